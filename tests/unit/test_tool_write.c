/*
 * test_tool_write.c - the Write tool: new files with parents, overwrite
 * (mode kept, no temp file left), directory targets, symlinks and hard
 * links, escapes through symlinks and symlinked parents, input checks.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/unit/tool_fixture.h"
#include "worker/tool.h"

static struct tool_fixture fx;
static struct tool_out out;

static void
setup(void)
{
	tool_fixture_begin(&fx, &out);
}

static void
teardown(void)
{
	tool_fixture_end(&fx, &out);
}

TestSuite(write, .init = setup, .fini = teardown);

static void
write_json(const char *json)
{
	tool_fixture_run(&fx, tool_write, json, 0, &out);
}

static void
assert_file(const char *root, const char *rel, const char *want)
{
	char *s = tool_fixture_get(root, rel, NULL);

	cr_assert_not_null(s, "%s/%s missing", root, rel);
	cr_assert_str_eq(s, want);
	free(s);
}

static mode_t
mode_of(const char *rel)
{
	char path[PATH_MAX * 2];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", fx.dir, rel);
	cr_assert_eq(lstat(path, &st), 0);
	return st.st_mode;
}

/* Entries in the project's directory rel (temp files would show). */
static int
count_entries(const char *rel)
{
	char path[PATH_MAX * 2];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "%s/%s", fx.dir, rel);
	d = opendir(path);
	cr_assert_not_null(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' || (strcmp(de->d_name, ".") != 0 &&
					     strcmp(de->d_name, "..") != 0))
			n++;
	closedir(d);
	return n;
}

Test(write, creates_file_and_parents)
{
	write_json("{\"file_path\": \"a/b/c.txt\", \"content\": \"hi\\n\"}");
	cr_assert(!out.is_error, "%s", out.content);
	cr_assert_str_eq(out.content, "File created successfully at: "
				      "a/b/c.txt");
	assert_file(fx.dir, "a/b/c.txt", "hi\n");
	cr_assert_eq(mode_of("a/b/c.txt") & 0600, 0600);
	cr_assert(S_ISDIR(mode_of("a/b")));
	cr_assert_eq(count_entries("a/b"), 1);
}

Test(write, overwrite_keeps_mode_and_leaves_no_temp)
{
	char path[PATH_MAX * 2];

	tool_fixture_put(fx.dir, "run.sh", "old old old\n");
	snprintf(path, sizeof(path), "%s/run.sh", fx.dir);
	cr_assert_eq(chmod(path, 0751), 0);
	write_json("{\"file_path\": \"run.sh\", \"content\": \"new\"}");
	cr_assert(!out.is_error, "%s", out.content);
	cr_assert_str_eq(out.content, "File updated successfully at: run.sh");
	assert_file(fx.dir, "run.sh", "new");
	cr_assert_eq(mode_of("run.sh") & 07777, 0751);
	cr_assert_eq(count_entries("."), 1);
}

Test(write, absolute_path_inside)
{
	char json[PATH_MAX * 2];

	snprintf(json, sizeof(json),
		 "{\"file_path\": \"%s/x/y.txt\", "
		 "\"content\": \"abs\"}",
		 fx.dir);
	write_json(json);
	cr_assert(!out.is_error, "%s", out.content);
	assert_file(fx.dir, "x/y.txt", "abs");
}

Test(write, content_with_nul_bytes_is_written_whole)
{
	size_t len = 0;
	char *s;

	write_json("{\"file_path\": \"n.bin\", \"content\": \"a\\u0000b\"}");
	cr_assert(!out.is_error);
	s = tool_fixture_get(fx.dir, "n.bin", &len);
	cr_assert_eq(len, 3);
	cr_assert_eq(memcmp(s, "a\0b", 3), 0);
	free(s);
}

Test(write, directory_target_is_refused)
{
	tool_fixture_put(fx.dir, "d/keep", "k");
	write_json("{\"file_path\": \"d\", \"content\": \"x\"}");
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "is a directory") != NULL, "%s",
		  out.content);
	cr_assert(S_ISDIR(mode_of("d")));
	assert_file(fx.dir, "d/keep", "k");
	write_json("{\"file_path\": \"d/\", \"content\": \"x\"}");
	cr_assert(out.is_error);
	write_json("{\"file_path\": \".\", \"content\": \"x\"}");
	cr_assert(out.is_error);
}

Test(write, symlink_outside_is_refused_target_untouched)
{
	char target[PATH_MAX * 2];

	tool_fixture_put(fx.outside, "victim", "original");
	tool_fixture_symlink("../outside/victim", fx.dir, "rel");
	snprintf(target, sizeof(target), "%s/victim", fx.outside);
	tool_fixture_symlink(target, fx.dir, "abs");
	write_json("{\"file_path\": \"rel\", \"content\": \"pwned\"}");
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "escapes") != NULL, "%s", out.content);
	write_json("{\"file_path\": \"abs\", \"content\": \"pwned\"}");
	cr_assert(out.is_error);
	assert_file(fx.outside, "victim", "original");
	cr_assert(S_ISLNK(mode_of("rel")), "the link itself is kept");
	tool_fixture_symlink("../outside/newfile", fx.dir, "dangling");
	write_json("{\"file_path\": \"dangling\", \"content\": \"x\"}");
	cr_assert(out.is_error);
	cr_assert(!tool_fixture_exists(fx.outside, "newfile"));
}

Test(write, symlinked_parent_outside_is_refused)
{
	tool_fixture_symlink("../outside", fx.dir, "out");
	write_json("{\"file_path\": \"out/x.txt\", \"content\": \"x\"}");
	cr_assert(out.is_error);
	write_json("{\"file_path\": \"out/deep/x.txt\", \"content\": \"x\"}");
	cr_assert(out.is_error);
	cr_assert(!tool_fixture_exists(fx.outside, "x.txt"));
	cr_assert(!tool_fixture_exists(fx.outside, "deep"));
}

Test(write, paths_outside_are_refused)
{
	char json[PATH_MAX * 2];

	write_json("{\"file_path\": \"../outside/x\", \"content\": \"x\"}");
	cr_assert(out.is_error);
	snprintf(json, sizeof(json),
		 "{\"file_path\": \"%s/y\", \"content\": "
		 "\"y\"}",
		 fx.outside);
	write_json(json);
	cr_assert(out.is_error);
	cr_assert(!tool_fixture_exists(fx.outside, "x"));
	cr_assert(!tool_fixture_exists(fx.outside, "y"));
}

Test(write, symlink_inside_is_written_through)
{
	tool_fixture_put(fx.dir, "sub/real.txt", "old");
	tool_fixture_symlink("sub/real.txt", fx.dir, "link");
	write_json("{\"file_path\": \"link\", \"content\": \"new\"}");
	cr_assert(!out.is_error, "%s", out.content);
	cr_assert(S_ISLNK(mode_of("link")));
	assert_file(fx.dir, "sub/real.txt", "new");
}

Test(write, symlink_chain_is_followed_and_the_target_replaced)
{
	char path[PATH_MAX * 2];

	/* first -> d/second -> ../sub/real.txt, written like real.txt */
	tool_fixture_put(fx.dir, "sub/real.txt", "old");
	snprintf(path, sizeof(path), "%s/sub/real.txt", fx.dir);
	cr_assert_eq(chmod(path, 0640), 0);
	tool_fixture_symlink("../sub/real.txt", fx.dir, "d/second");
	tool_fixture_symlink("d/second", fx.dir, "first");
	write_json("{\"file_path\": \"first\", \"content\": \"new\"}");
	cr_assert(!out.is_error, "%s", out.content);
	cr_assert_str_eq(out.content, "File updated successfully at: first");
	assert_file(fx.dir, "sub/real.txt", "new");
	cr_assert(S_ISLNK(mode_of("first")));
	cr_assert(S_ISLNK(mode_of("d/second")));
	cr_assert_eq(mode_of("sub/real.txt") & 07777, 0640);
	cr_assert_eq(count_entries("sub"), 1, "no temp file left");
}

Test(write, dangling_symlink_inside_creates_its_target)
{
	tool_fixture_put(fx.dir, "sub/keep", "k");
	tool_fixture_symlink("sub/new.txt", fx.dir, "link");
	write_json("{\"file_path\": \"link\", \"content\": \"made\"}");
	cr_assert(!out.is_error, "%s", out.content);
	cr_assert_str_eq(out.content, "File created successfully at: link");
	assert_file(fx.dir, "sub/new.txt", "made");
	cr_assert(S_ISLNK(mode_of("link")));
	/* a missing directory on the way is not made */
	tool_fixture_symlink("nodir/x.txt", fx.dir, "far");
	write_json("{\"file_path\": \"far\", \"content\": \"x\"}");
	cr_assert(out.is_error);
	cr_assert(!tool_fixture_exists(fx.dir, "nodir"));
}

Test(write, symlinks_that_cannot_be_written_through)
{
	char abs[PATH_MAX * 2];

	tool_fixture_put(fx.dir, "real.txt", "old");
	tool_fixture_put(fx.dir, "dir/keep", "k");
	/* absolute, even to a file inside: refused like RESOLVE_BENEATH */
	snprintf(abs, sizeof(abs), "%s/real.txt", fx.dir);
	tool_fixture_symlink(abs, fx.dir, "abs");
	write_json("{\"file_path\": \"abs\", \"content\": \"x\"}");
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "escapes") != NULL, "%s", out.content);
	assert_file(fx.dir, "real.txt", "old");
	tool_fixture_symlink("dir", fx.dir, "todir");
	write_json("{\"file_path\": \"todir\", \"content\": \"x\"}");
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "is a directory") != NULL, "%s",
		  out.content);
	tool_fixture_symlink("loop", fx.dir, "loop");
	write_json("{\"file_path\": \"loop\", \"content\": \"x\"}");
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "too many levels") != NULL, "%s",
		  out.content);
	cr_assert(S_ISLNK(mode_of("loop")));
}

Test(write, hard_link_is_rewritten_in_place)
{
	char a[PATH_MAX * 2], b[PATH_MAX * 2];

	tool_fixture_put(fx.dir, "a", "old");
	snprintf(a, sizeof(a), "%s/a", fx.dir);
	snprintf(b, sizeof(b), "%s/b", fx.dir);
	cr_assert_eq(link(a, b), 0);
	write_json("{\"file_path\": \"a\", \"content\": \"shared\"}");
	cr_assert(!out.is_error);
	assert_file(fx.dir, "b", "shared");
	cr_assert_eq(count_entries("."), 2, "no temp file left");
}

/*
 * Write content to rel in a child whose file size limit is limit bytes
 * (SIGXFSZ ignored, so the write fails with EFBIG), running as uid and
 * gid 65534 with as_nobody: true when the tool answered with the "file
 * too large" error, which also holds note unless NULL.
 */
static bool
write_too_large_as(const char *rel, const char *content, rlim_t limit,
		   bool as_nobody, const char *note)
{
	pid_t pid;
	int status;

	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct rlimit rl = { limit, limit };
		struct tool_out o;
		json_t *in = json_pack("{s:s, s:s}", "file_path", rel,
				       "content", content);

		memset(&o, 0, sizeof(o));
		signal(SIGXFSZ, SIG_IGN);
		if (in == NULL || setrlimit(RLIMIT_FSIZE, &rl) < 0)
			_exit(2);
		if (as_nobody && (setgid(65534) < 0 || setuid(65534) < 0))
			_exit(2);
		if (tool_write(&fx.ctx, in, 0, &o) != 0)
			_exit(3);
		_exit(o.is_error && strstr(o.content, "file too large") &&
				      (!note || strstr(o.content, note)) ?
			      0 :
			      1);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status));
	return WEXITSTATUS(status) == 0;
}

static bool
write_too_large(const char *rel, const char *content, rlim_t limit)
{
	return write_too_large_as(rel, content, limit, false, NULL);
}

#define BIG_CONTENT "0123456789abcdefghijklmnopqrstuvwxyz"

Test(write, failed_write_keeps_a_regular_file)
{
	tool_fixture_put(fx.dir, "f", "old");
	cr_assert(write_too_large("f", BIG_CONTENT, 10));
	assert_file(fx.dir, "f", "old");
	cr_assert_eq(count_entries("."), 1, "no temp file left");
}

Test(write, failed_write_through_a_symlink_keeps_the_target)
{
	tool_fixture_put(fx.dir, "sub/real.txt", "old");
	tool_fixture_symlink("sub/real.txt", fx.dir, "link");
	cr_assert(write_too_large("link", BIG_CONTENT, 10));
	assert_file(fx.dir, "sub/real.txt", "old");
	cr_assert(S_ISLNK(mode_of("link")));
	cr_assert_eq(count_entries("sub"), 1, "no temp file left");
}

Test(write, failed_write_of_a_hard_link_keeps_both_names)
{
	char a[PATH_MAX * 2], b[PATH_MAX * 2];

	tool_fixture_put(fx.dir, "a", "old");
	snprintf(a, sizeof(a), "%s/a", fx.dir);
	snprintf(b, sizeof(b), "%s/b", fx.dir);
	cr_assert_eq(link(a, b), 0);
	cr_assert(write_too_large("a", BIG_CONTENT, 10));
	assert_file(fx.dir, "a", "old");
	assert_file(fx.dir, "b", "old");
	cr_assert_eq(count_entries("."), 2, "no temp file left");
}

Test(write, racing_symlink_swap_never_escapes, .timeout = 60)
{
	char d[PATH_MAX * 2], alt[PATH_MAX * 2];
	struct tool_out rd;
	pid_t pid;
	int i, status;

	/* "d" flips between a real directory and a link to outside/. */
	tool_fixture_put(fx.dir, "d/secret", "inside");
	tool_fixture_put(fx.outside, "secret", "TOPSECRET");
	tool_fixture_symlink("../outside", fx.dir, "alt");
	snprintf(d, sizeof(d), "%s/d", fx.dir);
	snprintf(alt, sizeof(alt), "%s/alt", fx.dir);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		for (;;)
			renameat2(AT_FDCWD, d, AT_FDCWD, alt, RENAME_EXCHANGE);
	}
	memset(&rd, 0, sizeof(rd));
	for (i = 0; i < 2000; i++) {
		write_json("{\"file_path\": \"d/x.txt\", \"content\": \"x\"}");
		tool_fixture_run(&fx, tool_read,
				 "{\"file_path\": "
				 "\"d/secret\"}",
				 0, &rd);
		cr_assert(strstr(rd.content, "TOPSECRET") == NULL);
		write_json("{\"file_path\": \"d/new/y.txt\", \"content\": "
			   "\"y\"}");
	}
	tool_out_clear(&rd);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	/* Writes went through while "d" was the directory... */
	cr_assert(tool_fixture_exists(fx.dir, S_ISDIR(mode_of("d")) ?
						      "d/x.txt" :
						      "alt/x.txt"));
	/* ...and never while it led outside. */
	cr_assert(!tool_fixture_exists(fx.outside, "x.txt"));
	cr_assert(!tool_fixture_exists(fx.outside, "new"));
	assert_file(fx.outside, "secret", "TOPSECRET");
}

Test(write, unwritable_directory_falls_back_to_in_place)
{
	char path[PATH_MAX * 2];
	pid_t pid;
	int status;

	if (geteuid() != 0)
		cr_skip_test("needs root to drop to another uid");
	tool_fixture_put(fx.dir, "ro/f", "old");
	snprintf(path, sizeof(path), "%s/ro/f", fx.dir);
	cr_assert_eq(chown(path, 65534, 65534), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct tool_out o;
		json_t *in = json_pack("{s:s, s:s}", "file_path", "ro/f",
				       "content", "new");

		memset(&o, 0, sizeof(o));
		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(2);
		if (tool_write(&fx.ctx, in, 0, &o) != 0 || o.is_error)
			_exit(1);
		_exit(0);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status));
	cr_assert_eq(WEXITSTATUS(status), 0);
	assert_file(fx.dir, "ro/f", "new");
	cr_assert_eq(count_entries("ro"), 1, "no temp file left");
}

Test(write, fifo_raced_under_a_dangling_link_never_blocks, .timeout = 30)
{
	char fifo[PATH_MAX * 2];
	pid_t pid;
	int i, status;

	/* "link" dangles to "target", which the child keeps making and
	 * removing as a FIFO: a blocking open of it would wait forever for
	 * a reader */
	tool_fixture_symlink("target", fx.dir, "link");
	snprintf(fifo, sizeof(fifo), "%s/target", fx.dir);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		/* dies with the test, even one that timed out blocked */
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;) {
			(void)mkfifo(fifo, 0644);
			(void)unlink(fifo);
		}
	}
	for (i = 0; i < 3000; i++) {
		write_json("{\"file_path\": \"link\", \"content\": \"x\"}");
		(void)unlink(fifo); /* a file the write made */
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

Test(write, failed_in_place_rewrite_puts_the_old_content_back)
{
	char path[PATH_MAX * 2];

	if (geteuid() != 0)
		cr_skip_test("needs root to drop to another uid");
	/* no temp file in ro/ for uid 65534: rewritten in place, no trial */
	tool_fixture_put(fx.dir, "ro/f", "old");
	snprintf(path, sizeof(path), "%s/ro/f", fx.dir);
	cr_assert_eq(chown(path, 65534, 65534), 0);
	cr_assert(write_too_large_as("ro/f", BIG_CONTENT, 10, true,
				     "its old content was put back"));
	assert_file(fx.dir, "ro/f", "old");
	cr_assert_eq(count_entries("ro"), 1, "no temp file left");
}

Test(write, input_validation)
{
	write_json("{\"file_path\": \"f\"}");
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "\"content\"") != NULL);
	write_json("{\"file_path\": \"f\", \"content\": 12}");
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "must be a string") != NULL);
	write_json("{\"content\": \"x\"}");
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "\"file_path\"") != NULL);
	write_json("{\"file_path\": \"\", \"content\": \"x\"}");
	cr_assert(out.is_error);
	write_json("\"text\"");
	cr_assert(out.is_error);
	cr_assert(!tool_fixture_exists(fx.dir, "f"));
}
