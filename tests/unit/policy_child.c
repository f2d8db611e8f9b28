/*
 * policy_child.c - the harness of the policy apply tests; see
 * policy_child.h.
 */
#include "policy_child.h"

/* ---- fixture: a project, a private tmp and an outside directory ------- */

char proj[64], tmpd[64], outside[64];

int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void
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

void
dirs_teardown(void)
{
	nftw(proj, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	nftw(tmpd, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	nftw(outside, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The shipped profile name as the worker would receive it. */
void
profile_msg(const char *name, struct msg_policy *m)
{
	struct policy *p = NULL;
	char err[256];

	cr_assert_eq(policy_load_named(name, POLICY_TEST_PROFILES, &p, err,
				       sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(policy_to_msg(p, proj, tmpd, m), 0);
	policy_free(p);
	if (POLICY_TEST_ASAN)
		m->memory_bytes = 0;
}

/* ---- the child harness ------------------------------------------------ */

int report_fd = -1;

void
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

/* Run fn(m) in a child; return its wait status and report text. */
int
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

void
expect_child_ok(child_fn fn, const struct msg_policy *m)
{
	char msg[512];
	int st = run_child(fn, m, msg, sizeof(msg));

	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		  "child failed (status 0x%x): %s", st, msg);
}

void
expect_child_signal(child_fn fn, const struct msg_policy *m, int sig)
{
	char msg[512];
	int st = run_child(fn, m, msg, sizeof(msg));

	cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == sig,
		  "want signal %d, got status 0x%x: %s", sig, st, msg);
}

/* ---- helpers used inside children ------------------------------------ */

void
apply_landlock(const struct msg_policy *m)
{
	char err[256];
	int abi = -1,
	    rc = policy_landlock_apply(m, proj, &abi, err, sizeof(err));

	CHECK(rc == 0, "landlock: %s", err);
	CHECK(abi == policy_landlock_abi() && abi > 0, "abi %d", abi);
}

void
apply_seccomp(const struct msg_policy *m)
{
	char err[256];

	CHECK(policy_seccomp_apply(m, err, sizeof(err)) == 0, "seccomp: %s",
	      err);
}

void
apply_all(const struct msg_policy *m)
{
	char err[256];

	CHECK(policy_limits_apply(m, err, sizeof(err)) == 0, "limits: %s", err);
	if (policy_landlock_abi() > 0)
		apply_landlock(m);
	apply_seccomp(m);
}

/* Create dir/name with some content; returns 0 or -errno. */
int
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

int
open_in(const char *dir, const char *name, int flags)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return open(path, flags | O_CLOEXEC, 0644);
}

void
require_landlock(int abi)
{
	if (policy_landlock_abi() < abi)
		cr_skip_test("Landlock ABI %d needed, kernel has %d", abi,
			     policy_landlock_abi());
}

void
host_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("[NOTE] ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

bool
errno_in(int e, const int *want)
{
	for (; *want; want++)
		if (*want == e)
			return true;
	return false;
}

/* ---- foreign ABIs: the host first, then the sandbox ------------------- */

static void
sig_name(int sig, char *buf, size_t len)
{
	const char *abbrev = sigabbrev_np(sig);

	if (abbrev)
		snprintf(buf, len, "SIG%s", abbrev);
	else
		snprintf(buf, len, "signal %d", sig);
}

bool
host_delivers(child_fn fn, char *how, size_t len)
{
	char msg[512];
	int st = run_child(fn, NULL, msg, sizeof(msg));

	if (WIFSIGNALED(st)) {
		sig_name(WTERMSIG(st), how, len);
		return false;
	}
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1 && msg[0],
		  "unconfined probe: status 0x%x: %s", st, msg);
	snprintf(how, len, "%s", msg);
	return true;
}

bool
expect_foreign_abi_stopped(const char *what, child_fn fn,
			   const struct msg_policy *m)
{
	char host[256], msg[512], sig[32];
	bool delivered = host_delivers(fn, host, sizeof(host));
	int st = run_child(fn, m, msg, sizeof(msg));

	cr_assert(WIFSIGNALED(st), "%s ran in the sandbox (status 0x%x): %s",
		  what, st, msg);
	sig_name(WTERMSIG(st), sig, sizeof(sig));
	if (delivered) {
		cr_assert_eq(WTERMSIG(st), SIGSYS,
			     "%s: the host delivers it "
			     "(outside any sandbox: %s), so the filter must "
			     "kill it with SIGSYS; got %s",
			     what, host, sig);
		cr_log_info("%s: delivered by the host (%s); in the sandbox "
			    "killed by the filter (SIGSYS)",
			    what, host);
	} else {
		host_note("%s: never delivered by this host (%s outside any "
			  "sandbox too); in the sandbox %s stopped it: %s",
			  what, host, sig,
			  WTERMSIG(st) == SIGSYS ?
				  "the filter" :
				  "the kernel, before the filter");
	}
	return delivered;
}

unsigned short listen_port;

/* A TCP listener on 127.0.0.1 in the (unconfined) test process. */
int
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

int
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
