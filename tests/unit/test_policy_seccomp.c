/*
 * test_policy_seccomp.c - the worker side of the policy: the seccomp filters,
 * each checked in a forked child (policy_child.h). Each layer is also tested on
 * its own, since each must hold when another is missing. The msg_policy comes
 * from the shipped profiles through policy_to_msg(), the way the
 * supervisor builds it.
 */
#include "policy_child.h"

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
	CHECK(r == -1 && errno == ENOSYS, "clone3: %ld %s", r, strerror(errno));
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
			   makedev(1, 3)),
		   EPERM);
	EXPECT_ERR(mknodat(AT_FDCWD, "/tmp/gao-pol-sda", S_IFBLK | 0600,
			   makedev(8, 0)),
		   EPERM);
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
		      WEXITSTATUS(st) == 0,
	      "exec /bin/true: status 0x%x", st);
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

/* Whether /proc/self/status reports Seccomp_filters (Linux 5.9+); asked
 * of the host by the test before its children look for the line. */
static bool status_counts_filters;

static bool
status_has(const char *buf, const char *field, long *val)
{
	const char *line = strstr(buf, field);

	if (!line)
		return false;
	*val = strtol(line + strlen(field), NULL, 10);
	return true;
}

/* /proc/self/status into buf; false when it cannot be read. */
static bool
read_status(char *buf, size_t len)
{
	ssize_t n;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	n = read(fd, buf, len - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return n > 0;
}

static void
child_filter_count(const struct msg_policy *m)
{
	char buf[4096];
	long n;

	apply_seccomp(m);
	CHECK(read_status(buf, sizeof(buf)), "status: %s", strerror(errno));
	CHECK(status_has(buf, "Seccomp:", &n) && n == 2, "not in filter "
							 "mode");
	if (status_counts_filters) {
		CHECK(status_has(buf, "Seccomp_filters:", &n),
		      "no "
		      "Seccomp_filters line");
		CHECK(n == (m->seccomp_allowlist ? 1 : 2), "filters: %ld", n);
	}
	CHECK(status_has(buf, "NoNewPrivs:", &n) && n == 1,
	      "no_new_privs not set");
}

Test(seccomp, denylist_loads_the_supplement_filter, .init = dirs_setup,
     .fini = dirs_teardown)
{
	struct msg_policy m;
	char buf[4096];
	long n;

	cr_assert(read_status(buf, sizeof(buf)), "/proc/self/status: %s",
		  strerror(errno));
	status_counts_filters = status_has(buf, "Seccomp_filters:", &n);
	if (!status_counts_filters)
		host_note("this kernel's /proc/self/status has no "
			  "Seccomp_filters line: filter mode checked, the "
			  "count cannot be");
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
	EXPECT_ERR(syscall(SYS_execveat, AT_FDCWD, "/bin/true", argv, NULL, 0),
		   EPERM);
}

Test(seccomp, denylist_without_exec)
{
	struct msg_policy m = { .allow_exec = false };

	expect_child_ok(child_exec_denied, &m);
}

/* ---- seccomp: no socket that can address a host socket ---------------- */

/*
 * Datagram listeners of the "host", made by the test process (unconfined)
 * before the child confines itself: one at a pathname in the outside
 * directory (mode 0777, like /dev/log) and one abstract. The promise:
 * after the child has tried every way, neither has received a byte. The
 * test first shows that an unconfined datagram pair reaches both, so a
 * listener that hears nothing means something.
 */
static struct sockaddr_un dgram_path, dgram_abs;
static socklen_t dgram_path_len, dgram_abs_len;

static int
dgram_listener(struct sockaddr_un *a, socklen_t *len, bool abstract)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	cr_assert_geq(fd, 0, "socket: %s", strerror(errno));
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	if (abstract) {
		snprintf(a->sun_path + 1, sizeof(a->sun_path) - 1,
			 "gao-pol-dgram-%d", (int)getpid());
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
				   strlen(a->sun_path + 1));
	} else {
		snprintf(a->sun_path, sizeof(a->sun_path), "%s/log.sock",
			 outside);
		*len = (socklen_t)sizeof(*a);
	}
	cr_assert_eq(bind(fd, (struct sockaddr *)a, *len), 0, "bind: %s",
		     strerror(errno));
	if (!abstract)
		cr_assert_eq(chmod(a->sun_path, 0777), 0);
	return fd;
}

/* Datagrams waiting on fd (read and dropped). */
static int
dgrams_heard(int fd)
{
	char b[64];
	int n = 0;

	while (recv(fd, b, sizeof(b), MSG_DONTWAIT) >= 0)
		n++;
	cr_assert(errno == EAGAIN || errno == EWOULDBLOCK, "recv: %s",
		  strerror(errno));
	return n;
}

/*
 * Every way a socket of the child could carry a datagram to a. The
 * kernel refuses a connected stream socket in more than one way
 * (EISCONN, EOPNOTSUPP, EPROTOTYPE against a datagram peer): the promise
 * is that the call fails and the listener hears nothing, whatever errno.
 */
static void
try_reach(int fd, const struct sockaddr_un *a, socklen_t len)
{
	struct iovec iov = { .iov_base = "x", .iov_len = 1 };
	struct msghdr mh = {
		.msg_name = (void *)a,
		.msg_namelen = len,
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};

	CHECK(sendto(fd, "x", 1, MSG_DONTWAIT, (const struct sockaddr *)a,
		     len) == -1,
	      "sendto from a stream pair succeeded");
	CHECK(sendmsg(fd, &mh, MSG_DONTWAIT) == -1,
	      "sendmsg with an address from a stream pair succeeded");
	CHECK(connect(fd, (const struct sockaddr *)a, len) == -1,
	      "connect of a stream pair succeeded");
}

/* What an agent would try for a socket that can address the host. */
static void
child_socketpair(const struct msg_policy *m)
{
	char b[2];
	int sv[2];

	apply_seccomp(m);
	/* every type but SOCK_STREAM, with and without flags; RAW is DGRAM
	 * in AF_UNIX; high bits the kernel drops from its int */
	for (unsigned long t = 0; t <= 15; t++) {
		if (t == SOCK_STREAM)
			continue;
		EXPECT_ERR(socketpair(AF_UNIX, (int)t, 0, sv), EPERM);
		EXPECT_ERR(socketpair(AF_UNIX,
				      (int)t | SOCK_CLOEXEC | SOCK_NONBLOCK, 0,
				      sv),
			   EPERM);
		EXPECT_ERR(syscall(SYS_socketpair, AF_UNIX,
				   0xffffffff00000000ul | t, 0, sv),
			   EPERM);
	}
	EXPECT_ERR(socketpair(AF_UNIX, SOCK_DGRAM, PF_UNIX, sv), EPERM);
	EXPECT_ERR(syscall(SYS_socketpair, (1ul << 32) | AF_UNIX, SOCK_DGRAM, 0,
			   sv),
		   EAFNOSUPPORT);
	EXPECT_ERR(socket(AF_UNIX, SOCK_DGRAM, 0), EPERM);
	/* a stream pair works (with flags, with high bits) ... */
	EXPECT_OK(syscall(SYS_socketpair, AF_UNIX,
			  0xffffffff00000000ul | SOCK_STREAM, 0, sv));
	close(sv[0]);
	close(sv[1]);
	EXPECT_OK(socketpair(AF_UNIX,
			     SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0,
			     sv));
	CHECK(write(sv[0], "y", 1) == 1 && read(sv[1], b, 1) == 1 &&
		      b[0] == 'y',
	      "stream pair: %s", strerror(errno));
	/* ... and is connected for good, even once its twin is gone */
	try_reach(sv[0], &dgram_path, dgram_path_len);
	try_reach(sv[0], &dgram_abs, dgram_abs_len);
	close(sv[1]);
	try_reach(sv[0], &dgram_path, dgram_path_len);
	try_reach(sv[0], &dgram_abs, dgram_abs_len);
	CHECK(listen(sv[0], 1) == -1, "listen on a stream pair succeeded");
	close(sv[0]);
}

/* Without the filter a datagram pair reaches both listeners. */
static void
unconfined_pair_reaches(int lp, int la)
{
	int sv[2];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv), 0);
	cr_assert_eq(sendto(sv[0], "x", 1, 0,
			    (const struct sockaddr *)&dgram_path,
			    dgram_path_len),
		     1, "sendto %s: %s", dgram_path.sun_path, strerror(errno));
	cr_assert_eq(sendto(sv[0], "x", 1, 0,
			    (const struct sockaddr *)&dgram_abs, dgram_abs_len),
		     1, "sendto abstract: %s", strerror(errno));
	close(sv[0]);
	close(sv[1]);
	cr_assert_eq(dgrams_heard(lp), 1);
	cr_assert_eq(dgrams_heard(la), 1);
}

Test(seccomp, socketpair_stream_only, .init = dirs_setup, .fini = dirs_teardown)
{
	static const char *const profiles[] = { "default", "networked" };
	struct msg_policy m;
	int lp = dgram_listener(&dgram_path, &dgram_path_len, false);
	int la = dgram_listener(&dgram_abs, &dgram_abs_len, true);

	unconfined_pair_reaches(lp, la);
	for (size_t i = 0; i < 2; i++) {
		profile_msg(profiles[i], &m);
		expect_child_ok(child_socketpair, &m);
		msg_policy_clear(&m);
		cr_assert_eq(dgrams_heard(lp), 0, "%s: /dev/log stand-in heard",
			     profiles[i]);
		cr_assert_eq(dgrams_heard(la), 0, "%s: abstract listener heard",
			     profiles[i]);
	}
	close(lp);
	close(la);
}

/* unix_sockets: true allows socket(AF_UNIX) of any type, so socketpair
 * follows (it would add nothing to refuse it). */
static void
child_socketpair_unix_allowed(const struct msg_policy *m)
{
	int sv[2];

	apply_seccomp(m);
	EXPECT_OK(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv));
	close(sv[0]);
	close(sv[1]);
	EXPECT_OK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	close(sv[0]);
	close(sv[1]);
	EXPECT_ERR(socketpair(AF_INET, SOCK_DGRAM, 0, sv), EAFNOSUPPORT);
}

Test(seccomp, socketpair_any_type_when_unix_allowed)
{
	struct msg_policy m = { .allow_exec = true, .allow_unix = true };

	expect_child_ok(child_socketpair_unix_allowed, &m);
}

/* ---- seccomp: foreign architectures ----------------------------------- */

/*
 * The promise: a foreign-ABI call never runs. Whether the kernel's
 * syscall entry sees it at all depends on the host (ia32 emulation may be
 * off: int 0x80 raises SIGSEGV; without CONFIG_X86_X32_ABI an x32 number
 * still reaches the entry and returns ENOSYS), so each child is also run
 * unconfined (m NULL) to ask the host first: expect_foreign_abi_stopped().
 */
static void
child_x32(const struct msg_policy *m)
{
	long r;

	if (m)
		apply_seccomp(m);
	/* getpid through the x32 ABI: nr | __X32_SYSCALL_BIT */
	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(0x40000000L | 39)
			 : "rcx", "r11", "memory");
	child_fail("x32 syscall returned %ld%s", r,
		   r == -ENOSYS ? " (-ENOSYS)" : "");
}

static void
child_int80(const struct msg_policy *m)
{
	long r;

	if (m)
		apply_seccomp(m);
	/* getpid through the i386 ABI (20) */
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory");
	child_fail("int 0x80 returned %ld%s", r,
		   r == -ENOSYS ? " (-ENOSYS)" : "");
}

struct foreign_abi {
	const char *name;
	child_fn fn;
};

static const struct foreign_abi abi_x32 = { "x32 getpid", child_x32 };
static const struct foreign_abi abi_int80 = { "i386 int 0x80 getpid",
					      child_int80 };

/* Where this host never delivers a's call, say which path shows the
 * filter's kill instead, or that none can here. */
static void
note_filter_kill(const struct foreign_abi *a, const struct foreign_abi *other)
{
	char how[256];

	if (host_delivers(other->fn, how, sizeof(how)))
		host_note("%s: the filter's kill is shown by %s instead "
			  "(delivered here: %s)",
			  a->name, other->name, how);
	else
		host_note("neither %s nor %s is delivered by this host (%s "
			  "outside any sandbox): the filter's kill cannot be "
			  "shown here",
			  a->name, other->name, how);
}

static void
foreign_abi_never_runs(const struct foreign_abi *a,
		       const struct foreign_abi *other)
{
	static const char *const profiles[] = { "default", "strict" };
	struct msg_policy m;
	bool delivered = true;
	char what[128];

	for (size_t i = 0; i < 2; i++) {
		snprintf(what, sizeof(what), "%s (%s profile)", a->name,
			 profiles[i]);
		profile_msg(profiles[i], &m);
		delivered &= expect_foreign_abi_stopped(what, a->fn, &m);
		msg_policy_clear(&m);
	}
	if (!delivered)
		note_filter_kill(a, other);
}

Test(seccomp, x32_never_runs, .init = dirs_setup, .fini = dirs_teardown)
{
	foreign_abi_never_runs(&abi_x32, &abi_int80);
}

Test(seccomp, int80_never_runs, .init = dirs_setup, .fini = dirs_teardown)
{
	foreign_abi_never_runs(&abi_int80, &abi_x32);
}

/* ---- seccomp: allow-list (strict) ------------------------------------- */

static void
child_strict(const struct msg_policy *m)
{
	char *argv[] = { "true", NULL };
	char from[128], to[128], buf[16];
	int fd, dfd, sv[2];
	long r;

	apply_seccomp(m);
	EXPECT_ERR(execve("/bin/true", argv, NULL), EPERM);
	r = fork();
	if (r == 0)
		_exit(0);
	CHECK(r == -1 && errno == EPERM, "fork: %ld %s", r, strerror(errno));
	EXPECT_ERR(socket(AF_UNIX, SOCK_STREAM, 0), EPERM);
	EXPECT_ERR(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), EPERM);
	EXPECT_ERR(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), EPERM);
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
	CHECK(isatty(0) == 0 && errno != EPERM, "isatty: %s", strerror(errno));
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
	struct msg_policy m = { .seccomp_allowlist = true, .allow_exec = true };

	expect_child_ok(child_allowlist_contradiction, &m);
}
