/*
 * test_spawn_root.c - the worker's minimal root (supervisor/sandbox/
 * spawn_root.c), planned in the test process and built in a forked child
 * that has a mount namespace of its own (and a user namespace when the
 * test is not root), never in the test process itself. The child checks
 * what the root holds and reports the first failure through a pipe; it
 * exits 77 when the host gives it no mount namespace (the test is then
 * skipped, as the worker would go without the root).
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "supervisor/sandbox/spawn_root.h"

static char base[64], project[PATH_MAX], tmpdir[PATH_MAX], beside[PATH_MAX];
static int report_fd = -1;

__attribute__((format(printf, 1, 2), noreturn)) static void
fail(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (write(report_fd, buf, strlen(buf)) < 0)
		_exit(3);
	_exit(1);
}

#define CHECK(cond, ...) \
	do { \
		if (!(cond)) \
			fail(__VA_ARGS__); \
	} while (0)

static int
write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* base/project (with a file), base/tmp, base/beside (a 0600 file next
 * to the project). Below /var/tmp when it exists, like a sandbox root. */
static void
setup(void)
{
	char path[PATH_MAX + 16];

	snprintf(base, sizeof(base), "%s/gao-root-XXXXXX",
		 access("/var/tmp", W_OK) == 0 ? "/var/tmp" : "/tmp");
	cr_assert_not_null(mkdtemp(base));
	snprintf(project, sizeof(project), "%s/project", base);
	snprintf(tmpdir, sizeof(tmpdir), "%s/tmp", base);
	snprintf(beside, sizeof(beside), "%s/beside", base);
	cr_assert_eq(mkdir(project, 0700), 0);
	cr_assert_eq(mkdir(tmpdir, 0700), 0);
	cr_assert_eq(write_text(beside, "outside\n"), 0);
	snprintf(path, sizeof(path), "%s/inside", project);
	cr_assert_eq(write_text(path, "inside\n"), 0);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
teardown(void)
{
	nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A mount namespace (and, unprivileged, a user namespace keeping our
 * ids) whose mounts are private; false when the host refuses. */
static bool
enter_ns(void)
{
	char map[64];
	uid_t uid = getuid();
	gid_t gid = getgid();

	if (uid == 0)
		return unshare(CLONE_NEWNS) == 0 &&
		       mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0;
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
		return false;
	snprintf(map, sizeof(map), "%u %u 1", (unsigned)uid, (unsigned)uid);
	if (write_text("/proc/self/setgroups", "deny") < 0 ||
	    write_text("/proc/self/uid_map", map) < 0)
		return false;
	snprintf(map, sizeof(map), "%u %u 1", (unsigned)gid, (unsigned)gid);
	return write_text("/proc/self/gid_map", map) == 0 &&
	       mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0;
}

typedef void (*check_fn)(void);

/* Plan from ro (NULL-terminated), build in a child, run check there. */
static void
in_root(const char *const *ro, check_fn check)
{
	char msg[512] = "";
	struct spawn_root *r = NULL;
	struct spawn_root_opts o = {
		.ro_paths = (char *const *)ro,
		.project = project,
		.tmp = tmpdir,
	};
	int p[2], st = 0;
	ssize_t n;
	pid_t pid;

	while (ro[o.n_ro])
		o.n_ro++;
	cr_assert_eq(spawn_root_plan(&o, &r), 0);
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		bool fresh;

		report_fd = p[1];
		if (!enter_ns())
			_exit(77);
		CHECK(spawn_root_child_build(r, false, &fresh) == 0,
		      "build: %s", strerror(errno));
		check();
		_exit(0);
	}
	close(p[1]);
	n = read(p[0], msg, sizeof(msg) - 1);
	msg[n > 0 ? n : 0] = 0;
	close(p[0]);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	spawn_root_free(r);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 77)
		cr_skip_test("no mount namespace on this host");
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child 0x%x: %s", st,
		  msg);
}

static const char *const default_ro[] = {
	"/usr", "/bin", "/sbin",      "/lib",  "/lib64",
	"/etc", "/opt", "/usr/local", "/proc", "/sys/devices/system/cpu",
	NULL,
};

static void
absent(const char *path)
{
	struct stat st;

	CHECK(lstat(path, &st) < 0, "%s is there", path);
	CHECK(errno == ENOENT, "%s refused, not absent: %s", path,
	      strerror(errno));
}

static void
check_default(void)
{
	static const char *const gone[] = {
		"/run",           "/home",         "/root",
		"/var/log",       "/var/lib",      "/srv",
		"/etc/shadow",    "/etc/gshadow",  "/etc/sudoers",
		"/etc/ssh",       "/etc/hostname", "/etc/machine-id",
		"/etc/gitconfig", "/dev/tty",      "/dev/sda",
		"/dev/shm",       "/boot",
	};
	char path[PATH_MAX + 16], buf[16];
	struct stat st;
	int fd;

	for (size_t i = 0; i < sizeof(gone) / sizeof(*gone); i++)
		absent(gone[i]);
	absent(beside);
	CHECK(stat("/etc/passwd", &st) == 0, "no /etc/passwd");
	CHECK(access("/bin/sh", X_OK) == 0, "no /bin/sh: %s", strerror(errno));
	CHECK(stat("/proc/self", &st) == 0, "no /proc");
	/* the directories above the project: the root's own, searchable */
	CHECK(stat(base, &st) == 0 && (st.st_mode & 07777) == 0755,
	      "%s: mode %o", base, st.st_mode & 07777);
	snprintf(path, sizeof(path), "%s/inside", project);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0 && read(fd, buf, 6) == 6 && !memcmp(buf, "inside", 6),
	      "the project's file: %s", strerror(errno));
	close(fd);
	snprintf(path, sizeof(path), "%s/new", project);
	CHECK(write_text(path, "x") == 0, "project not writable: %s",
	      strerror(errno));
	CHECK(write_text("/tmp/x", "x") == 0, "/tmp not writable");
	CHECK(write_text("/dev/null", "x") == 0, "/dev/null: %s",
	      strerror(errno));
	CHECK(write_text("/x", "x") < 0 && errno == EROFS, "/ writable: %s",
	      strerror(errno));
	CHECK(write_text("/usr/x", "x") < 0, "/usr writable");
}

Test(spawn_root, default_policy_sees_nothing_else, .init = setup,
     .fini = teardown)
{
	in_root(default_ro, check_default);
	/* what the child wrote reached the host's project, and only it */
	cr_assert_eq(access(project, F_OK), 0);
	cr_assert_eq(access("/x", F_OK), -1);
}

static const char *const lib_only[] = { "/lib", NULL };

/* A symlinked policy path brings its target (Landlock follows it). */
static void
check_lib_only(void)
{
	char target[64];
	ssize_t n = readlink("/lib", target, sizeof(target) - 1);
	struct stat st;

	CHECK(n > 0, "/lib is no symlink: %s", strerror(errno));
	CHECK(stat("/lib/", &st) == 0 && S_ISDIR(st.st_mode),
	      "/lib leads nowhere");
	absent("/usr/bin");
	absent("/etc");
}

Test(spawn_root, symlinked_path_brings_its_target, .init = setup,
     .fini = teardown)
{
	struct stat st;

	if (lstat("/lib", &st) < 0 || !S_ISLNK(st.st_mode))
		cr_skip_test("/lib is not a symlink on this host");
	in_root(lib_only, check_lib_only);
}

Test(spawn_root, plan_refusals, .init = setup, .fini = teardown)
{
	const char *whole[] = { "/usr", "/", NULL };
	struct spawn_root *r = NULL;
	struct spawn_root_opts o = { .ro_paths = (char *const *)whole,
				     .n_ro = 2,
				     .project = project };

	/* the whole host granted: no minimal root, said with 1 */
	cr_assert_eq(spawn_root_plan(&o, &r), 1);
	cr_assert_null(r);
	o.n_ro = 1;
	o.project = "relative/project";
	cr_assert_eq(spawn_root_plan(&o, &r), -EINVAL);
	cr_assert_null(r);
	spawn_root_free(NULL);
}
