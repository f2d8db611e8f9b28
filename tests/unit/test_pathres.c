/*
 * test_pathres.c - path translation and resolution beneath the project.
 *
 * The escapes an agent would try: "..", absolute paths outside, symlinks
 * (absolute and relative) pointing outside, a symlinked parent directory,
 * /proc magic links; an absolute symlink is refused even when it points
 * inside. Each is checked to fail with the right errno and a
 * message, and, for writes, to leave nothing behind outside.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/tool_fixture.h"
#include "worker/pathres.h"

static struct tool_fixture fx;
static char err[1024];

static void
setup(void)
{
	tool_fixture_setup(&fx);
	err[0] = '\0';
}

static void
teardown(void)
{
	tool_fixture_teardown(&fx);
}

TestSuite(pathres, .init = setup, .fini = teardown);

static int
rel_of(const char *path, char *rel)
{
	return pathres_relative(fx.dir, path, strlen(path), rel, PATH_MAX, err,
				sizeof(err));
}

Test(pathres, relative_paths_are_kept)
{
	char rel[PATH_MAX];

	cr_assert_eq(rel_of("a/b.txt", rel), 0);
	cr_assert_str_eq(rel, "a/b.txt");
	cr_assert_eq(rel_of("../x", rel), 0, "judged at lookup, not here");
	cr_assert_str_eq(rel, "../x");
}

Test(pathres, absolute_inside_loses_the_prefix)
{
	char rel[PATH_MAX], path[PATH_MAX * 2];

	snprintf(path, sizeof(path), "%s/src/main.c", fx.dir);
	cr_assert_eq(rel_of(path, rel), 0);
	cr_assert_str_eq(rel, "src/main.c");
	snprintf(path, sizeof(path), "%s//src", fx.dir);
	cr_assert_eq(rel_of(path, rel), 0);
	cr_assert_str_eq(rel, "src");
	cr_assert_eq(rel_of(fx.dir, rel), 0);
	cr_assert_str_eq(rel, ".");
	snprintf(path, sizeof(path), "%s/", fx.dir);
	cr_assert_eq(rel_of(path, rel), 0);
	cr_assert_str_eq(rel, ".");
}

Test(pathres, project_dir_with_trailing_slash)
{
	char rel[PATH_MAX], proj[PATH_MAX * 2], path[PATH_MAX * 2];

	snprintf(proj, sizeof(proj), "%s/", fx.dir);
	snprintf(path, sizeof(path), "%s/a", fx.dir);
	cr_assert_eq(pathres_relative(proj, path, strlen(path), rel,
				      sizeof(rel), err, sizeof(err)),
		     0);
	cr_assert_str_eq(rel, "a");
}

Test(pathres, absolute_outside_is_refused)
{
	char rel[PATH_MAX], path[PATH_MAX * 2];

	cr_assert_eq(rel_of("/etc/passwd", rel), -EXDEV);
	cr_assert(strstr(err, "outside the project") != NULL, "%s", err);
	/* A sibling sharing the prefix is not inside. */
	snprintf(path, sizeof(path), "%sX/a", fx.dir);
	cr_assert_eq(rel_of(path, rel), -EXDEV);
	cr_assert_eq(pathres_relative(NULL, "/a", 2, rel, sizeof(rel), err,
				      sizeof(err)),
		     -EXDEV);
	cr_assert_eq(rel_of("/proc/self/root/etc/passwd", rel), -EXDEV);
}

Test(pathres, empty_nul_and_long_are_refused)
{
	char rel[PATH_MAX], *longp;

	cr_assert_eq(rel_of("", rel), -EINVAL);
	cr_assert(strstr(err, "empty") != NULL);
	cr_assert_eq(pathres_relative(fx.dir, "a\0b", 3, rel, sizeof(rel), err,
				      sizeof(err)),
		     -EINVAL);
	cr_assert(strstr(err, "NUL") != NULL);
	longp = malloc(PATH_MAX + 10);
	cr_assert_not_null(longp);
	memset(longp, 'a', PATH_MAX + 9);
	longp[PATH_MAX + 9] = '\0';
	cr_assert_eq(rel_of(longp, rel), -ENAMETOOLONG);
	free(longp);
}

static int
open_path(const char *path, int flags)
{
	int fd = -1, rc;

	rc = pathres_open(fx.fd, fx.dir, path, flags, 0644, &fd, err,
			  sizeof(err));
	if (rc == 0) {
		cr_assert_geq(fd, 0);
		cr_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC, "fd not cloexec");
		close(fd);
	}
	return rc;
}

Test(pathres, dotdot_inside_works_escaping_fails)
{
	tool_fixture_put(fx.dir, "b.txt", "b");
	tool_fixture_put(fx.dir, "a/x", "x");
	cr_assert_eq(open_path("a/../b.txt", O_RDONLY), 0);
	cr_assert_eq(open_path("../../etc/passwd", O_RDONLY), -EXDEV);
	cr_assert(strstr(err, "escapes the project") != NULL, "%s", err);
	cr_assert(strstr(err, "../../etc/passwd") != NULL, "names the path");
	cr_assert_eq(open_path("a/../../outside", O_RDONLY), -EXDEV);
}

Test(pathres, symlinks_inside_followed_outside_refused)
{
	char target[PATH_MAX * 2];

	tool_fixture_put(fx.dir, "real.txt", "real");
	tool_fixture_put(fx.outside, "secret", "secret");
	tool_fixture_symlink("real.txt", fx.dir, "in");
	tool_fixture_symlink("sub/../real.txt", fx.dir, "in2");
	tool_fixture_symlink("../outside/secret", fx.dir, "rel_out");
	snprintf(target, sizeof(target), "%s/secret", fx.outside);
	tool_fixture_symlink(target, fx.dir, "abs_out");
	tool_fixture_symlink("/proc/self/root/etc/passwd", fx.dir, "magic");
	cr_assert_eq(open_path("in", O_RDONLY), 0);
	cr_assert_eq(open_path("rel_out", O_RDONLY), -EXDEV);
	cr_assert_eq(open_path("abs_out", O_RDONLY), -EXDEV);
	cr_assert_eq(open_path("magic", O_RDONLY), -EXDEV);
	/* Writing through the outside link must not touch the target. */
	cr_assert_lt(open_path("rel_out", O_WRONLY | O_TRUNC), 0);
	cr_assert_lt(open_path("abs_out", O_WRONLY | O_CREAT), 0);
	char *s = tool_fixture_get(fx.outside, "secret", NULL);
	cr_assert_str_eq(s, "secret");
	free(s);
}

Test(pathres, absolute_symlink_inside_is_refused_too)
{
	char target[PATH_MAX * 2];

	/* RESOLVE_BENEATH refuses every absolute link, even to a file of
	 * the project; the message must not say it points outside */
	tool_fixture_put(fx.dir, "real.txt", "real");
	snprintf(target, sizeof(target), "%s/real.txt", fx.dir);
	tool_fixture_symlink(target, fx.dir, "abs_in");
	cr_assert_eq(open_path("abs_in", O_RDONLY), -EXDEV);
	cr_assert(strstr(err, "absolute symlink") != NULL, "%s", err);
	cr_assert(strstr(err, "relative symlink") != NULL, "%s", err);
}

Test(pathres, proc_magic_links_are_refused)
{
	int proc = open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int fd = -1, rc;

	cr_assert_geq(proc, 0);
	/* fd/N and root are magic links: never resolved. */
	rc = pathres_openat2(proc, "root/etc/passwd", O_RDONLY, 0,
			     PATHRES_RESOLVE_DEFAULT);
	cr_assert_lt(rc, 0);
	cr_assert(rc == -ELOOP || rc == -EXDEV, "rc %d", rc);
	rc = pathres_open(proc, "/proc/self", "fd/0", O_RDONLY, 0, &fd, err,
			  sizeof(err));
	cr_assert_lt(rc, 0);
	cr_assert(rc == -ELOOP || rc == -EXDEV, "rc %d", rc);
	cr_assert_gt(strlen(err), 0);
	close(proc);
}

Test(pathres, open_parent_creates_directories)
{
	char name[256];
	struct stat st;
	int dfd;

	dfd = pathres_open_parent(fx.fd, fx.dir, "a/b/c/f.txt", true, name,
				  sizeof(name), err, sizeof(err));
	cr_assert_geq(dfd, 0, "%s", err);
	cr_assert_str_eq(name, "f.txt");
	cr_assert_eq(fstat(dfd, &st), 0);
	cr_assert(S_ISDIR(st.st_mode));
	close(dfd);
	cr_assert(tool_fixture_exists(fx.dir, "a/b/c"));
	cr_assert_eq(pathres_mkparents(fx.fd, fx.dir, "x/../y//z/f", err,
				       sizeof(err)),
		     0, "%s", err);
	cr_assert(tool_fixture_exists(fx.dir, "x"));
	cr_assert(tool_fixture_exists(fx.dir, "y/z"));
	cr_assert(!tool_fixture_exists(fx.dir, "y/z/f"));
}

Test(pathres, open_parent_without_create_fails_on_missing)
{
	char name[256];

	cr_assert_eq(pathres_open_parent(fx.fd, fx.dir, "nope/f", false, name,
					 sizeof(name), err, sizeof(err)),
		     -ENOENT);
	cr_assert(!tool_fixture_exists(fx.dir, "nope"));
}

Test(pathres, symlinked_parent_cannot_redirect_creation)
{
	char target[PATH_MAX * 2];

	snprintf(target, sizeof(target), "%s", fx.outside);
	tool_fixture_symlink(target, fx.dir, "abs_link");
	tool_fixture_symlink("../outside", fx.dir, "rel_link");
	cr_assert_eq(pathres_mkparents(fx.fd, fx.dir, "abs_link/new/f", err,
				       sizeof(err)),
		     -EXDEV);
	cr_assert_eq(pathres_mkparents(fx.fd, fx.dir, "rel_link/new/f", err,
				       sizeof(err)),
		     -EXDEV);
	cr_assert(strstr(err, "escapes") != NULL, "%s", err);
	cr_assert(!tool_fixture_exists(fx.outside, "new"));
	cr_assert_eq(pathres_mkparents(fx.fd, fx.dir, "../outside/new2/f", err,
				       sizeof(err)),
		     -EXDEV);
	cr_assert(!tool_fixture_exists(fx.outside, "new2"));
}

Test(pathres, directory_names_are_not_file_paths)
{
	char name[256], path[PATH_MAX * 2];

	cr_assert_eq(pathres_open_parent(fx.fd, fx.dir, "a/", true, name,
					 sizeof(name), err, sizeof(err)),
		     -EISDIR);
	cr_assert_eq(pathres_open_parent(fx.fd, fx.dir, ".", true, name,
					 sizeof(name), err, sizeof(err)),
		     -EISDIR);
	cr_assert_eq(pathres_open_parent(fx.fd, fx.dir, "a/..", true, name,
					 sizeof(name), err, sizeof(err)),
		     -EISDIR);
	snprintf(path, sizeof(path), "%s", fx.dir);
	cr_assert_eq(pathres_open_parent(fx.fd, fx.dir, path, true, name,
					 sizeof(name), err, sizeof(err)),
		     -EISDIR);
}

Test(pathres, explain_names_path_and_reason)
{
	pathres_explain(-ENOENT, "x/y", err, sizeof(err));
	cr_assert_str_eq(err, "x/y: no such file or directory");
	pathres_explain(EXDEV, "../a", err, sizeof(err));
	cr_assert(strncmp(err, "../a: path escapes", 18) == 0, "%s", err);
	pathres_explain(ELOOP, "p", err, 4);
	cr_assert_eq(strlen(err), 3, "truncated, terminated");
}
