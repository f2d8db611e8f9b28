/*
 * test_policy_apply.c - the worker side of the policy: rlimits, Landlock
 * and seccomp, each checked in a forked child.
 *
 * The test process itself is never confined: every check runs in a child
 * (run_child()) that applies one or more layers and then probes the
 * kernel. The child reports the first failed check as text through a pipe
 * and exits 1, or exits 0 when everything held; the tests for killed
 * processes look at the wait status instead. Children leave with _exit()
 * only, so nothing of Criterion or the sanitizers runs confined at exit.
 *
 * Each layer is also tested on its own (a Landlock-only child still has
 * every syscall; a seccomp-only child every file), since each layer must
 * hold when another is missing. The msg_policy comes from the shipped
 * profiles through policy_to_msg(), the way the supervisor builds it.
 *
 * Sanitizer builds: ASan reserves terabytes of address space, so
 * RLIMIT_AS is left out of the children that go on allocating
 * (POLICY_TEST_ASAN); everything else runs the same.
 */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "policy/apply.h"
#include "policy/policy.h"
#include "proto/msg.h"

#if defined(__SANITIZE_ADDRESS__)
#define POLICY_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POLICY_TEST_ASAN 1
#endif
#endif
#ifndef POLICY_TEST_ASAN
#define POLICY_TEST_ASAN 0
#endif

/* ---- fixture: a project, a private tmp and an outside directory ------- */

static char proj[64], tmpd[64], outside[64];

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
dirs_setup(void)
{
	char path[128];
	int fd;

	strcpy(proj, "/tmp/gao-pol-proj-XXXXXX");
	strcpy(tmpd, "/tmp/gao-pol-tmp-XXXXXX");
	strcpy(outside, "/tmp/gao-pol-out-XXXXXX");
	cr_assert_not_null(mkdtemp(proj));
	cr_assert_not_null(mkdtemp(tmpd));
	cr_assert_not_null(mkdtemp(outside));
	snprintf(path, sizeof(path), "%s/secret", outside);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "s3cret\n", 7), 7);
	close(fd);
}

static void
dirs_teardown(void)
{
	nftw(proj, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	nftw(tmpd, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	nftw(outside, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The shipped profile name as the worker would receive it. */
static void
profile_msg(const char *name, struct msg_policy *m)
{
	struct policy *p = NULL;
	char err[256];

	cr_assert_eq(policy_load_named(name, POLICY_TEST_PROFILES, &p, err,
				       sizeof(err)), 0, "%s", err);
	cr_assert_eq(policy_to_msg(p, proj, tmpd, m), 0);
	policy_free(p);
	if (POLICY_TEST_ASAN)
		m->memory_bytes = 0;
}

/* ---- the child harness ------------------------------------------------ */

static int report_fd = -1;

__attribute__((format(printf, 1, 2), noreturn)) static void
child_fail(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0 && write(report_fd, buf, strnlen(buf, sizeof(buf))) < 0)
		_exit(3);
	_exit(1);
}

#define CHECK(cond, ...) do { \
		if (!(cond)) \
			child_fail(__VA_ARGS__); \
	} while (0)

/* The call must fail with errno e. */
#define EXPECT_ERR(call, e) do { \
		long r_; \
		int e_; \
		errno = 0; \
		r_ = (long)(call); \
		e_ = errno; \
		if (r_ != -1 || e_ != (e)) \
			child_fail("line %d: %s: want -1/%s, got %ld/%s", \
				   __LINE__, #call, strerror(e), r_, \
				   strerror(e_)); \
	} while (0)

/* The call must succeed (return >= 0). */
#define EXPECT_OK(call) do { \
		long r_; \
		errno = 0; \
		r_ = (long)(call); \
		if (r_ < 0) \
			child_fail("line %d: %s: %s", __LINE__, #call, \
				   strerror(errno)); \
	} while (0)

typedef void (*child_fn)(const struct msg_policy *m);

/* Run fn(m) in a child; return its wait status and report text. */
static int
run_child(child_fn fn, const struct msg_policy *m, char *msg, size_t len)
{
	int fds[2], status = 0;
	size_t got = 0;
	ssize_t r;
	pid_t pid;

	cr_assert_eq(pipe2(fds, O_CLOEXEC), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		report_fd = fds[1];
		fn(m);
		_exit(0);
	}
	close(fds[1]);
	while (got + 1 < len &&
	       ((r = read(fds[0], msg + got, len - 1 - got)) > 0 ||
		(r < 0 && errno == EINTR)))
		got += r > 0 ? (size_t)r : 0;
	msg[got] = '\0';
	close(fds[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	return status;
}

static void
expect_child_ok(child_fn fn, const struct msg_policy *m)
{
	char msg[512];
	int st = run_child(fn, m, msg, sizeof(msg));

	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		  "child failed (status 0x%x): %s", st, msg);
}

static void
expect_child_signal(child_fn fn, const struct msg_policy *m, int sig)
{
	char msg[512];
	int st = run_child(fn, m, msg, sizeof(msg));

	cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == sig,
		  "want signal %d, got status 0x%x: %s", sig, st, msg);
}

/* ---- helpers used inside children ------------------------------------ */

static void
apply_landlock(const struct msg_policy *m)
{
	char err[256];
	int abi = -1, rc = policy_landlock_apply(m, proj, &abi, err,
						  sizeof(err));

	CHECK(rc == 0, "landlock: %s", err);
	CHECK(abi == policy_landlock_abi() && abi > 0, "abi %d", abi);
}

static void
apply_seccomp(const struct msg_policy *m)
{
	char err[256];

	CHECK(policy_seccomp_apply(m, err, sizeof(err)) == 0, "seccomp: %s",
	      err);
}

static void
apply_all(const struct msg_policy *m)
{
	char err[256];

	CHECK(policy_limits_apply(m, err, sizeof(err)) == 0, "limits: %s",
	      err);
	if (policy_landlock_abi() > 0)
		apply_landlock(m);
	apply_seccomp(m);
}

/* Create dir/name with some content; returns 0 or -errno. */
static int
write_file(const char *dir, const char *name)
{
	char path[256];
	int fd, e;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	e = write(fd, "data\n", 5) == 5 ? 0 : -EIO;
	close(fd);
	return e;
}

static int
open_in(const char *dir, const char *name, int flags)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return open(path, flags | O_CLOEXEC, 0644);
}

static void
require_landlock(int abi)
{
	if (policy_landlock_abi() < abi)
		cr_skip_test("Landlock ABI %d needed, kernel has %d", abi,
			     policy_landlock_abi());
}

/* ---- rlimits ---------------------------------------------------------- */

static void
child_limits(const struct msg_policy *m)
{
	struct rlimit r;
	char err[256];

	CHECK(policy_limits_apply(m, err, sizeof(err)) == 0, "%s", err);
	EXPECT_OK(getrlimit(RLIMIT_CORE, &r));
	CHECK(r.rlim_cur == 0 && r.rlim_max == 0, "core %lu", r.rlim_max);
	EXPECT_OK(getrlimit(RLIMIT_CPU, &r));
	CHECK(r.rlim_cur == 600 && r.rlim_max == 605, "cpu %lu/%lu",
	      r.rlim_cur, r.rlim_max);
	EXPECT_OK(getrlimit(RLIMIT_FSIZE, &r));
	CHECK(r.rlim_cur == 1ul << 30 && r.rlim_max == 1ul << 30,
	      "fsize %lu", r.rlim_cur);
	EXPECT_OK(getrlimit(RLIMIT_NOFILE, &r));
	CHECK(r.rlim_cur == 1024 && r.rlim_max == 1024, "nofile %lu",
	      r.rlim_cur);
	EXPECT_OK(getrlimit(RLIMIT_NPROC, &r));
	CHECK(r.rlim_cur == 256 && r.rlim_max == 256, "nproc %lu",
	      r.rlim_cur);
	EXPECT_OK(getrlimit(RLIMIT_AS, &r));
	CHECK(r.rlim_cur == m->memory_bytes ||
	      (m->memory_bytes == 0 && r.rlim_cur == RLIM_INFINITY),
	      "as %lu", r.rlim_cur);
}

Test(limits, default_profile_values, .init = dirs_setup,
     .fini = dirs_teardown)
{
	struct msg_policy m;

	profile_msg("default", &m);
	expect_child_ok(child_limits, &m);
	msg_policy_clear(&m);
}

static void
child_never_raises(const struct msg_policy *m)
{
	struct rlimit r = { 100, 200 };
	char err[256];

	EXPECT_OK(setrlimit(RLIMIT_NOFILE, &r));
	CHECK(policy_limits_apply(m, err, sizeof(err)) == 0, "%s", err);
	EXPECT_OK(getrlimit(RLIMIT_NOFILE, &r));
	CHECK(r.rlim_max == 200 && r.rlim_cur == 200, "nofile %lu/%lu",
	      r.rlim_cur, r.rlim_max);
}

Test(limits, never_raises_a_hard_limit)
{
	struct msg_policy m = { .open_files = 1024 };

	expect_child_ok(child_never_raises, &m);
}

static void
child_fsize(const struct msg_policy *m)
{
	static char buf[64 << 10];
	char err[256];
	size_t total = 0;
	ssize_t w = 0;
	int fd;

	signal(SIGXFSZ, SIG_IGN);
	CHECK(policy_limits_apply(m, err, sizeof(err)) == 0, "%s", err);
	fd = open_in(proj, "big", O_WRONLY | O_CREAT);
	CHECK(fd >= 0, "open: %s", strerror(errno));
	while (total < (2u << 20) && (w = write(fd, buf, sizeof(buf))) > 0)
		total += (size_t)w;
	CHECK(w < 0 && errno == EFBIG, "wrote %zu bytes, last %zd (%s)",
	      total, w, strerror(errno));
	CHECK(total == m->file_size_bytes, "stopped at %zu", total);
}

Test(limits, file_size_is_enforced, .init = dirs_setup,
     .fini = dirs_teardown)
{
	struct msg_policy m = { .file_size_bytes = 1u << 20 };

	expect_child_ok(child_fsize, &m);
}

/* ---- Landlock --------------------------------------------------------- */

static void
child_landlock_fs(const struct msg_policy *m)
{
	char buf[64];
	int fd;

	apply_landlock(m);
	fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0, "read /etc: %s", strerror(errno));
	CHECK(read(fd, buf, sizeof(buf)) >= 0, "read: %s", strerror(errno));
	close(fd);
	CHECK(write_file(proj, "inside") == 0, "write inside denied");
	CHECK(write_file(tmpd, "in-tmp") == 0, "write in {tmp} denied");
	CHECK(write_file(outside, "x") == -EACCES, "write outside allowed");
	EXPECT_ERR(open_in(outside, "secret", O_RDONLY), EACCES);
	EXPECT_ERR(open("/etc/gao-pol-test", O_WRONLY | O_CREAT | O_CLOEXEC,
			0644), EACCES);
	fd = open("/dev/null", O_WRONLY | O_TRUNC | O_CLOEXEC);
	CHECK(fd >= 0, "/dev/null: %s", strerror(errno));
	close(fd);
	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0, "/dev/urandom: %s", strerror(errno));
	close(fd);
	fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
	CHECK(fd < 0 && (errno == EACCES || errno == ENXIO), "/dev/tty open");
	EXPECT_ERR(open("/root", O_RDONLY | O_DIRECTORY | O_CLOEXEC), EACCES);
	/* secrets beneath /etc stay out of reach even for root */
	if (access("/etc/shadow", F_OK) == 0)
		EXPECT_ERR(open("/etc/shadow", O_RDONLY | O_CLOEXEC), EACCES);
	fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0, "/etc/passwd: %s", strerror(errno));
	close(fd);
	fd = open("/etc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(fd >= 0, "list /etc: %s", strerror(errno));
	close(fd);
}

/* Unconfined root reads /etc/shadow; the sandbox must not. */
static void
child_withheld(const struct msg_policy *m)
{
	char buf[16];
	int fd;

	fd = open("/etc/shadow", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0 && read(fd, buf, sizeof(buf)) > 0,
	      "cannot read /etc/shadow before Landlock");
	close(fd);
	apply_landlock(m);
	EXPECT_ERR(open("/etc/shadow", O_RDONLY | O_CLOEXEC), EACCES);
	EXPECT_ERR(open("/etc/gshadow", O_RDONLY | O_CLOEXEC), EACCES);
	fd = open("/etc/ssl/certs", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(fd >= 0 || errno == ENOENT, "/etc/ssl/certs: %s",
	      strerror(errno));
	if (fd >= 0)
		close(fd);
	fd = open("/etc/localtime", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0 || errno == ENOENT, "/etc/localtime (a symlink into "
	      "/usr): %s", strerror(errno));
	if (fd >= 0)
		close(fd);
}

Test(landlock, secrets_beneath_etc_are_withheld, .init = dirs_setup,
     .fini = dirs_teardown)
{
	struct msg_policy m;

	require_landlock(1);
	if (geteuid() != 0 || access("/etc/shadow", R_OK) != 0 ||
	    access("/etc/gshadow", R_OK) != 0)
		cr_skip_test("needs root and /etc/shadow, /etc/gshadow");
	profile_msg("default", &m);
	expect_child_ok(child_withheld, &m);
	msg_policy_clear(&m);
}

Test(landlock, default_filesystem, .init = dirs_setup, .fini = dirs_teardown)
{
	struct msg_policy m;

	require_landlock(1);
	profile_msg("default", &m);
	expect_child_ok(child_landlock_fs, &m);
	msg_policy_clear(&m);
}

static void
child_landlock_refer(const struct msg_policy *m)
{
	char from[128], to[128];
	long r;

	snprintf(from, sizeof(from), "%s/secret", outside);
	snprintf(to, sizeof(to), "%s/stolen", proj);
	apply_landlock(m);
	errno = 0;
	r = link(from, to);
	CHECK(r < 0 && errno == EXDEV, "hard link from outside: %ld %s", r,
	      strerror(errno));
	CHECK(write_file(proj, "a") == 0, "write");
	CHECK(mkdirat(AT_FDCWD, to, 0755) == 0, "mkdir");
	snprintf(from, sizeof(from), "%s/a", proj);
	snprintf(to, sizeof(to), "%s/stolen/a", proj);
	EXPECT_OK(rename(from, to));
}

Test(landlock, no_hard_links_from_outside, .init = dirs_setup,
     .fini = dirs_teardown)
{
	struct msg_policy m;

	require_landlock(2);
	profile_msg("default", &m);
	expect_child_ok(child_landlock_refer, &m);
	msg_policy_clear(&m);
}

static void
child_landlock_ro(const struct msg_policy *m)
{
	char path[128], buf[16];
	int fd;

	apply_landlock(m);
	fd = open_in(outside, "secret", O_RDONLY);
	CHECK(fd >= 0 && read(fd, buf, sizeof(buf)) == 7, "read ro file");
	close(fd);
	EXPECT_ERR(open_in(outside, "secret", O_WRONLY), EACCES);
	EXPECT_ERR(open_in(outside, "secret", O_RDONLY | O_TRUNC), EACCES);
	EXPECT_ERR(open_in(outside, "new", O_WRONLY | O_CREAT), EACCES);
	snprintf(path, sizeof(path), "%s/secret", outside);
	EXPECT_ERR(unlink(path), EACCES);
	snprintf(path, sizeof(path), "%s/dir", outside);
	EXPECT_ERR(mkdir(path, 0755), EACCES);
}

Test(landlock, read_only_paths_are_read_only, .init = dirs_setup,
     .fini = dirs_teardown)
{
	char *ro[] = { outside };
	struct msg_policy m = { .ro_paths = ro, .n_ro = 1 };

	require_landlock(3);
	expect_child_ok(child_landlock_ro, &m);
}

static int listen_port;

/* A TCP listener on 127.0.0.1 in the (unconfined) test process. */
static int
tcp_listener(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(s, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(s, 4), 0);
	cr_assert_eq(getsockname(s, (struct sockaddr *)&a, &len), 0);
	listen_port = ntohs(a.sin_port);
	return s;
}

static int
tcp_connect(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), r, e;

	if (s < 0)
		return -errno;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)listen_port);
	r = connect(s, (struct sockaddr *)&a, sizeof(a));
	e = errno;
	close(s);
	return r < 0 ? -e : 0;
}

static int
tcp_bind(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), r, e;

	if (s < 0)
		return -errno;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	r = bind(s, (struct sockaddr *)&a, sizeof(a));
	e = errno;
	close(s);
	return r < 0 ? -e : 0;
}

static void
child_landlock_tcp(const struct msg_policy *m)
{
	int rc;

	CHECK(tcp_connect() == 0, "connect before Landlock failed");
	apply_landlock(m);
	rc = tcp_connect();
	if (m->net_tcp)
		CHECK(rc == 0, "connect denied: %s", strerror(-rc));
	else
		CHECK(rc == -EACCES, "connect: want EACCES, got %d", rc);
	rc = tcp_bind();
	CHECK(rc == -EACCES, "bind: want EACCES, got %d", rc);
}

Test(landlock, tcp_denied_by_default, .init = dirs_setup,
     .fini = dirs_teardown)
{
	struct msg_policy m;
	int s;

	require_landlock(4);
	s = tcp_listener();
	profile_msg("default", &m);
	expect_child_ok(child_landlock_tcp, &m);
	msg_policy_clear(&m);
	close(s);
}

Test(landlock, tcp_connect_when_networked, .init = dirs_setup,
     .fini = dirs_teardown)
{
	struct msg_policy m;
	int s;

	require_landlock(4);
	s = tcp_listener();
	profile_msg("networked", &m);
	expect_child_ok(child_landlock_tcp, &m);
	msg_policy_clear(&m);
	close(s);
}

static struct sockaddr_un abstract_addr;
static socklen_t abstract_len;

static void
child_landlock_scope(const struct msg_policy *m)
{
	int s;

	CHECK(kill(getppid(), 0) == 0, "kill(parent, 0) before Landlock");
	apply_landlock(m);
	EXPECT_ERR(kill(getppid(), 0), EPERM);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(s >= 0, "socket: %s", strerror(errno));
	EXPECT_ERR(connect(s, (struct sockaddr *)&abstract_addr,
			   abstract_len), EPERM);
	close(s);
}

Test(landlock, signals_and_abstract_sockets_scoped, .init = dirs_setup,
     .fini = dirs_teardown)
{
	struct msg_policy m;
	int s;

	require_landlock(6);
	abstract_addr.sun_family = AF_UNIX;
	snprintf(abstract_addr.sun_path + 1, sizeof(abstract_addr.sun_path) - 1,
		 "gao-policy-test-%d", (int)getpid());
	abstract_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
				   strlen(abstract_addr.sun_path + 1));
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(s, 0);
	cr_assert_eq(bind(s, (struct sockaddr *)&abstract_addr, abstract_len),
		     0);
	cr_assert_eq(listen(s, 4), 0);
	profile_msg("default", &m);
	expect_child_ok(child_landlock_scope, &m);
	msg_policy_clear(&m);
	close(s);
}

static void
child_landlock_missing(const struct msg_policy *m)
{
	apply_landlock(m);
	CHECK(write_file(proj, "ok") == 0, "write inside denied");
	CHECK(write_file(outside, "x") == -EACCES, "write outside allowed");
}

Test(landlock, missing_paths_are_skipped, .init = dirs_setup,
     .fini = dirs_teardown)
{
	char *ro[] = { "/nonexistent/gao-pol", "/usr" };
	char *rw[] = { "/nonexistent/gao-pol-rw" };
	struct msg_policy m = {
		.ro_paths = ro, .n_ro = 2, .rw_paths = rw, .n_rw = 1,
	};

	require_landlock(1);
	expect_child_ok(child_landlock_missing, &m);
}

static void
child_landlock_bad_project(const struct msg_policy *m)
{
	char err[256] = "";
	int abi = -1, rc;

	rc = policy_landlock_apply(m, "/nonexistent/gao-pol-project", &abi,
				   err, sizeof(err));
	CHECK(rc == -ENOENT, "rc %d", rc);
	CHECK(abi == 0, "abi %d", abi);
	CHECK(strstr(err, "gao-pol-project") != NULL, "err '%s'", err);
	rc = policy_landlock_apply(m, "relative", &abi, err, sizeof(err));
	CHECK(rc == -EINVAL, "relative: rc %d", rc);
}

Test(landlock, project_dir_must_exist)
{
	struct msg_policy m = { .n_ro = 0 };

	require_landlock(1);
	expect_child_ok(child_landlock_bad_project, &m);
}

/* ---- seccomp: deny-list ----------------------------------------------- */

static void
child_seccomp_default(const struct msg_policy *m)
{
	uint64_t ca[8] = { 0 }; /* struct clone_args, version 0 */
	char c = 'x';
	long r;
	int sv[2];

	ca[4] = SIGCHLD; /* exit_signal */
	apply_seccomp(m);
	EXPECT_ERR(ptrace(PTRACE_TRACEME, 0, NULL, NULL), EPERM);
	EXPECT_ERR(unshare(CLONE_NEWUSER), EPERM);
	EXPECT_ERR(unshare(CLONE_FILES), EPERM);
	EXPECT_ERR(setns(0, 0), EPERM);
	EXPECT_ERR(mount("none", proj, "tmpfs", 0, NULL), EPERM);
	EXPECT_ERR(umount2(proj, 0), EPERM);
	EXPECT_ERR(chroot(proj), EPERM);
	EXPECT_ERR(syscall(SYS_bpf, 0, NULL, 0), EPERM);
	EXPECT_ERR(syscall(SYS_keyctl, 0, -1, 0), EPERM);
	EXPECT_ERR(syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0), EPERM);
	EXPECT_ERR(syscall(SYS_userfaultfd, 0), EPERM);
	EXPECT_ERR(syscall(SYS_init_module, NULL, 0, ""), EPERM);
	EXPECT_ERR(syscall(SYS_kexec_load, 0, 0, NULL, 0), EPERM);
	EXPECT_ERR(syscall(SYS_open_by_handle_at, -1, NULL, 0), EPERM);
	EXPECT_ERR(syscall(425 /* io_uring_setup */, 1, NULL), EPERM);
	EXPECT_ERR(syscall(430 /* fsopen */, "tmpfs", 0), EPERM);
	EXPECT_ERR(syscall(438 /* pidfd_getfd */, 0, 0, 0), EPERM);
	EXPECT_ERR(syscall(457 /* statmount */, NULL, NULL, 0, 0), ENOSYS);
	/* clone with a namespace flag; success would fork */
	r = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, 0);
	if (r == 0)
		_exit(0);
	CHECK(r == -1 && errno == EPERM, "clone(NEWUSER): %ld %s", r,
	      strerror(errno));
	r = syscall(435 /* clone3 */, ca, sizeof(ca));
	if (r == 0)
		_exit(0);
	CHECK(r == -1 && errno == ENOSYS, "clone3: %ld %s", r,
	      strerror(errno));
	/* TIOCSTI, also with high bits the kernel ignores */
	EXPECT_ERR(syscall(SYS_ioctl, 0, (unsigned long)TIOCSTI, &c), EPERM);
	EXPECT_ERR(syscall(SYS_ioctl, 0, 0xdead00000000ul | TIOCSTI, &c),
		   EPERM);
	EXPECT_ERR(syscall(SYS_ioctl, 0, 0xdead00000000ul | TIOCLINUX, &c),
		   EPERM);
	/* sockets: none but socketpair without network */
	EXPECT_ERR(socket(AF_INET, SOCK_STREAM, 0), EPERM);
	EXPECT_ERR(socket(AF_INET6, SOCK_DGRAM, 0), EPERM);
	EXPECT_ERR(socket(AF_UNIX, SOCK_STREAM, 0), EPERM);
	EXPECT_ERR(socket(AF_NETLINK, SOCK_RAW, 0), EAFNOSUPPORT);
	EXPECT_ERR(socket(AF_PACKET, SOCK_RAW, 0), EAFNOSUPPORT);
	EXPECT_ERR(syscall(SYS_socket, (1ul << 32) | AF_INET, SOCK_STREAM, 0),
		   EAFNOSUPPORT);
	EXPECT_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	EXPECT_ERR(socketpair(AF_INET, SOCK_STREAM, 0, sv), EAFNOSUPPORT);
	/* device nodes, not FIFOs */
	EXPECT_ERR(mknodat(AT_FDCWD, "/tmp/gao-pol-null", S_IFCHR | 0600,
			   makedev(1, 3)), EPERM);
	EXPECT_ERR(mknodat(AT_FDCWD, "/tmp/gao-pol-sda", S_IFBLK | 0600,
			   makedev(8, 0)), EPERM);
}

static void
child_seccomp_default_allowed(const struct msg_policy *m)
{
	char path[128];
	pid_t pid;
	int st;

	apply_seccomp(m);
	CHECK(personality(0xffffffff) >= 0, "personality query");
	CHECK(personality(PER_LINUX) >= 0, "personality(PER_LINUX)");
	EXPECT_ERR(personality(ADDR_NO_RANDOMIZE), EPERM);
	EXPECT_ERR(personality(PER_LINUX32), EPERM);
	EXPECT_ERR(syscall(SYS_personality, 1ul << 32), EPERM);
	snprintf(path, sizeof(path), "%s/fifo", proj);
	EXPECT_OK(mkfifo(path, 0600));
	EXPECT_OK(getpid());
	pid = fork();
	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	      WEXITSTATUS(st) == 0, "exec /bin/true: status 0x%x", st);
}

Test(seccomp, default_denies_the_dangerous_set, .init = dirs_setup,
     .fini = dirs_teardown)
{
	struct msg_policy m;

	profile_msg("default", &m);
	expect_child_ok(child_seccomp_default, &m);
	msg_policy_clear(&m);
}

Test(seccomp, default_allows_ordinary_work, .init = dirs_setup,
     .fini = dirs_teardown)
{
	struct msg_policy m;

	profile_msg("default", &m);
	expect_child_ok(child_seccomp_default_allowed, &m);
	msg_policy_clear(&m);
}

static void
child_filter_count(const struct msg_policy *m)
{
	char buf[4096], *line;
	ssize_t n;
	int fd;

	apply_seccomp(m);
	fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0, "status: %s", strerror(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	CHECK(n > 0, "read status");
	buf[n] = '\0';
	line = strstr(buf, "Seccomp_filters:");
	CHECK(line != NULL, "no Seccomp_filters line");
	n = strtol(line + 16, NULL, 10);
	CHECK(n == (m->seccomp_allowlist ? 1 : 2), "filters: %zd", n);
	line = strstr(buf, "NoNewPrivs:");
	CHECK(line != NULL && strtol(line + 11, NULL, 10) == 1,
	      "no_new_privs not set");
}

Test(seccomp, denylist_loads_the_supplement_filter, .init = dirs_setup,
     .fini = dirs_teardown)
{
	struct msg_policy m;

	profile_msg("default", &m);
	expect_child_ok(child_filter_count, &m);
	msg_policy_clear(&m);
	profile_msg("strict", &m);
	expect_child_ok(child_filter_count, &m);
	msg_policy_clear(&m);
}

static void
child_seccomp_networked(const struct msg_policy *m)
{
	int s;

	apply_seccomp(m);
	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(s >= 0, "AF_INET stream: %s", strerror(errno));
	close(s);
	s = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	CHECK(s >= 0, "AF_INET6 dgram: %s", strerror(errno));
	close(s);
	EXPECT_ERR(socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), EPERM);
	EXPECT_ERR(socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK, IPPROTO_RAW),
		   EPERM);
	EXPECT_ERR(socket(AF_INET6, SOCK_PACKET, 0), EPERM);
	EXPECT_ERR(socket(AF_UNIX, SOCK_STREAM, 0), EPERM);
	EXPECT_ERR(socket(AF_NETLINK, SOCK_DGRAM, 0), EAFNOSUPPORT);
	CHECK(tcp_connect() == 0, "connect to loopback listener");
}

Test(seccomp, networked_allows_tcp_and_udp_only, .init = dirs_setup,
     .fini = dirs_teardown)
{
	struct msg_policy m;
	int s = tcp_listener();

	profile_msg("networked", &m);
	expect_child_ok(child_seccomp_networked, &m);
	msg_policy_clear(&m);
	close(s);
}

static void
child_unix_allowed(const struct msg_policy *m)
{
	int s;

	apply_seccomp(m);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(s >= 0, "AF_UNIX: %s", strerror(errno));
	close(s);
	EXPECT_ERR(socket(AF_INET, SOCK_STREAM, 0), EPERM);
}

Test(seccomp, unix_sockets_when_allowed)
{
	struct msg_policy m = { .allow_exec = true, .allow_unix = true };

	expect_child_ok(child_unix_allowed, &m);
}

static void
child_exec_denied(const struct msg_policy *m)
{
	char *argv[] = { "true", NULL };

	apply_seccomp(m);
	EXPECT_ERR(execve("/bin/true", argv, NULL), EPERM);
	EXPECT_ERR(syscall(SYS_execveat, AT_FDCWD, "/bin/true", argv, NULL,
			   0), EPERM);
}

Test(seccomp, denylist_without_exec)
{
	struct msg_policy m = { .allow_exec = false };

	expect_child_ok(child_exec_denied, &m);
}

/* ---- seccomp: foreign architectures ----------------------------------- */

static void
child_x32(const struct msg_policy *m)
{
	long r;

	apply_seccomp(m);
	/* getpid through the x32 ABI: nr | __X32_SYSCALL_BIT */
	__asm__ volatile("syscall" : "=a"(r) : "a"(0x40000000L | 39)
			 : "rcx", "r11", "memory");
	child_fail("x32 syscall returned %ld", r);
}

static void
child_int80(const struct msg_policy *m)
{
	long r;

	apply_seccomp(m);
	/* getpid through the i386 ABI (20) */
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory");
	child_fail("int 0x80 returned %ld", r);
}

Test(seccomp, x32_is_killed, .init = dirs_setup, .fini = dirs_teardown)
{
	struct msg_policy m;

	profile_msg("default", &m);
	expect_child_signal(child_x32, &m, SIGSYS);
	msg_policy_clear(&m);
	profile_msg("strict", &m);
	expect_child_signal(child_x32, &m, SIGSYS);
	msg_policy_clear(&m);
}

Test(seccomp, int80_is_killed, .init = dirs_setup, .fini = dirs_teardown)
{
	struct msg_policy m;

	profile_msg("default", &m);
	expect_child_signal(child_int80, &m, SIGSYS);
	msg_policy_clear(&m);
	profile_msg("strict", &m);
	expect_child_signal(child_int80, &m, SIGSYS);
	msg_policy_clear(&m);
}

/* ---- seccomp: allow-list (strict) ------------------------------------- */

static void
child_strict(const struct msg_policy *m)
{
	char *argv[] = { "true", NULL };
	char from[128], to[128], buf[16];
	int fd, dfd;
	long r;

	apply_seccomp(m);
	EXPECT_ERR(execve("/bin/true", argv, NULL), EPERM);
	r = fork();
	if (r == 0)
		_exit(0);
	CHECK(r == -1 && errno == EPERM, "fork: %ld %s", r, strerror(errno));
	EXPECT_ERR(socket(AF_UNIX, SOCK_STREAM, 0), EPERM);
	EXPECT_ERR(syscall(425 /* io_uring_setup */, 1, NULL), EPERM);
	EXPECT_ERR(ptrace(PTRACE_TRACEME, 0, NULL, NULL), EPERM);
	EXPECT_ERR(kill(getppid(), 0), EPERM);
	EXPECT_ERR(syscall(SYS_ioctl, 0, 0xdead00000000ul | TIOCSTI, buf),
		   EPERM);
	EXPECT_ERR(prlimit(0, RLIMIT_NOFILE, &(struct rlimit){ 1, 1 }, NULL),
		   EPERM);
	CHECK(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1, "PR_GET_NNP");
	EXPECT_ERR(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), EPERM);
	/* what the file tools do */
	snprintf(from, sizeof(from), "%s/sub", proj);
	EXPECT_OK(mkdir(from, 0755));
	CHECK(write_file(from, "f") == 0, "write");
	snprintf(from, sizeof(from), "%s/sub/f", proj);
	snprintf(to, sizeof(to), "%s/sub/g", proj);
	EXPECT_OK(rename(from, to));
	fd = open(to, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0 && read(fd, buf, sizeof(buf)) == 5, "read back");
	close(fd);
	dfd = open(proj, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(dfd >= 0, "open dir");
	CHECK(syscall(SYS_getdents64, dfd, from, sizeof(from)) > 0,
	      "getdents64: %s", strerror(errno));
	close(dfd);
	EXPECT_OK(unlink(to));
	signal(SIGUSR1, SIG_IGN);
	EXPECT_OK(raise(SIGUSR1));
	CHECK(isatty(0) == 0 && errno != EPERM, "isatty: %s",
	      strerror(errno));
}

Test(seccomp, strict_allowlist, .init = dirs_setup, .fini = dirs_teardown)
{
	struct msg_policy m;

	profile_msg("strict", &m);
	cr_assert(m.seccomp_allowlist);
	expect_child_ok(child_strict, &m);
	msg_policy_clear(&m);
}

static void
child_allowlist_contradiction(const struct msg_policy *m)
{
	char err[256] = "";
	int rc = policy_seccomp_apply(m, err, sizeof(err));

	CHECK(rc == -EINVAL, "rc %d", rc);
	CHECK(strstr(err, "allow-list") != NULL, "err '%s'", err);
	CHECK(prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 0, "a filter was loaded");
}

Test(seccomp, allowlist_refuses_exec)
{
	struct msg_policy m = { .seccomp_allowlist = true,
				.allow_exec = true };

	expect_child_ok(child_allowlist_contradiction, &m);
}

/* ---- every layer together, as the worker applies them ---------------- */

static void
child_all_default(const struct msg_policy *m)
{
	apply_all(m);
	CHECK(write_file(proj, "inside") == 0, "write inside");
	if (policy_landlock_abi() > 0)
		CHECK(write_file(outside, "x") == -EACCES, "write outside");
	EXPECT_ERR(ptrace(PTRACE_TRACEME, 0, NULL, NULL), EPERM);
	EXPECT_ERR(unshare(CLONE_NEWNS), EPERM);
	EXPECT_ERR(socket(AF_INET, SOCK_STREAM, 0), EPERM);
}

Test(all, default_profile, .init = dirs_setup, .fini = dirs_teardown)
{
	struct msg_policy m;

	profile_msg("default", &m);
	expect_child_ok(child_all_default, &m);
	msg_policy_clear(&m);
}

static void
child_all_strict(const struct msg_policy *m)
{
	char *argv[] = { "true", NULL };

	apply_all(m);
	CHECK(write_file(proj, "inside") == 0, "write inside");
	CHECK(write_file(tmpd, "tmp") == 0, "write tmp");
	if (policy_landlock_abi() > 0)
		CHECK(write_file(outside, "x") == -EACCES, "write outside");
	EXPECT_ERR(execve("/bin/true", argv, NULL), EPERM);
}

Test(all, strict_profile, .init = dirs_setup, .fini = dirs_teardown)
{
	struct msg_policy m;

	profile_msg("strict", &m);
	expect_child_ok(child_all_strict, &m);
	msg_policy_clear(&m);
}
