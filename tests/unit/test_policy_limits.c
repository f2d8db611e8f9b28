/*
 * test_policy_limits.c - the worker side of the policy: rlimits, and every
 * layer together as the worker applies them, each checked in a forked child
 * (policy_child.h). Each layer is also tested on its own, since each must hold
 * when another is missing. The msg_policy comes from the shipped profiles
 * through policy_to_msg(), the way the supervisor builds it.
 */
#include "policy_child.h"

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
	CHECK(r.rlim_cur == 600 && r.rlim_max == 605, "cpu %lu/%lu", r.rlim_cur,
	      r.rlim_max);
	EXPECT_OK(getrlimit(RLIMIT_FSIZE, &r));
	CHECK(r.rlim_cur == 1ul << 30 && r.rlim_max == 1ul << 30, "fsize %lu",
	      r.rlim_cur);
	EXPECT_OK(getrlimit(RLIMIT_NOFILE, &r));
	CHECK(r.rlim_cur == 1024 && r.rlim_max == 1024, "nofile %lu",
	      r.rlim_cur);
	EXPECT_OK(getrlimit(RLIMIT_NPROC, &r));
	CHECK(r.rlim_cur == 256 && r.rlim_max == 256, "nproc %lu", r.rlim_cur);
	EXPECT_OK(getrlimit(RLIMIT_AS, &r));
	CHECK(r.rlim_cur == m->memory_bytes ||
		      (m->memory_bytes == 0 && r.rlim_cur == RLIM_INFINITY),
	      "as %lu", r.rlim_cur);
	/* what no policy sets is not the operator's to pass on */
	EXPECT_OK(getrlimit(RLIMIT_RTPRIO, &r));
	CHECK(r.rlim_cur == 0 && r.rlim_max == 0, "rtprio %lu", r.rlim_max);
	EXPECT_OK(getrlimit(RLIMIT_NICE, &r));
	CHECK(r.rlim_cur == 0 && r.rlim_max == 0, "nice %lu", r.rlim_max);
	EXPECT_OK(getrlimit(RLIMIT_MEMLOCK, &r));
	CHECK(r.rlim_max <= 8u << 20, "memlock %lu", r.rlim_max);
	EXPECT_OK(getrlimit(RLIMIT_MSGQUEUE, &r));
	CHECK(r.rlim_max <= 819200, "msgqueue %lu", r.rlim_max);
}

/* An operator's generous limits (as root: a real-time priority, unlimited
 * locked memory) stop at the worker. */
static void
child_operator_limits(const struct msg_policy *m)
{
	struct rlimit big = { RLIM_INFINITY, RLIM_INFINITY }, r;
	struct rlimit prio = { 50, 50 };
	char err[256];

	/* raised where this process may (CAP_SYS_RESOURCE), else as the
	 * host has them: the promise is the same */
	(void)setrlimit(RLIMIT_RTPRIO, &prio);
	(void)setrlimit(RLIMIT_MEMLOCK, &big);
	CHECK(policy_limits_apply(m, err, sizeof(err)) == 0, "%s", err);
	EXPECT_OK(getrlimit(RLIMIT_RTPRIO, &r));
	CHECK(r.rlim_max == 0, "rtprio %lu", r.rlim_max);
	EXPECT_OK(getrlimit(RLIMIT_MEMLOCK, &r));
	CHECK(r.rlim_max <= 8u << 20, "memlock %lu", r.rlim_max);
}

Test(limits, operator_limits_stop_at_the_worker, .init = dirs_setup,
     .fini = dirs_teardown)
{
	struct msg_policy m;

	profile_msg("default", &m);
	expect_child_ok(child_operator_limits, &m);
	msg_policy_clear(&m);
}

Test(limits, default_profile_values, .init = dirs_setup, .fini = dirs_teardown)
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
	CHECK(w < 0 && errno == EFBIG, "wrote %zu bytes, last %zd (%s)", total,
	      w, strerror(errno));
	CHECK(total == m->file_size_bytes, "stopped at %zu", total);
}

Test(limits, file_size_is_enforced, .init = dirs_setup, .fini = dirs_teardown)
{
	struct msg_policy m = { .file_size_bytes = 1u << 20 };

	expect_child_ok(child_fsize, &m);
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
