/*
 * seccomp.c - the policy's syscall rules as seccomp-bpf filters (worker
 * side), built with libseccomp.
 *
 * Design note
 * -----------
 * Two shapes, chosen by msg_policy.seccomp_allowlist:
 *
 * Deny-list (default, networked): everything is allowed but the
 * dangerous set, which returns an errno (EPERM; ENOSYS where a caller
 * should fall back, as glibc does from clone3 to clone). Conditional rules
 * cover clone with any CLONE_NEW* flag, the TIOCSTI/TIOCLINUX ioctls
 * (compared on the low 32 bits only: the kernel truncates the request to
 * unsigned int, so 0xdead00005412 is TIOCSTI), socket families,
 * socketpair types (a stream pair only, unless the policy allows unix
 * sockets: no unconnected socket can address a host socket), device
 * nodes from mknod, and execve when the policy forbids exec.
 *
 * Allow-list (strict): everything returns EPERM but what the worker's own
 * file tools and main loop need (measured with strace; see
 * docs/policy.md). No fork, no exec, no sockets.
 *
 * Both: a foreign architecture kills the process (SCMP_FLTATR_ACT_BADARCH):
 * i386 `int 0x80` arrives with AUDIT_ARCH_I386, and libseccomp's x86_64
 * filter sends x32 numbers (nr | 0x40000000) to the same bad-arch action.
 * Apart from that nothing kills: a denied call returns an errno, so an
 * agent sees a clear error instead of a vanished process.
 *
 * libseccomp 2.5.4 does not know every syscall of the running kernel, and a
 * default-allow filter must not let new ones through unexamined. So the
 * syscalls numbered from 424 on (one number on every architecture since
 * Linux 5.1) are handled by number in sc_new[], each allowed or denied on
 * purpose, and a second, hand-written BPF filter (sc_load_supplement())
 * returns ENOSYS for every number from SC_FIRST_UNKNOWN on, which this file
 * has never seen. The same small filter enforces the personality rule
 * (only PER_LINUX and the 0xffffffff query), which needs two comparisons
 * on one argument: libseccomp refuses that in a single rule. When two
 * filters disagree the kernel applies the stricter action, and the two
 * filters here never return different errnos for the same call.
 *
 * Only libc and libseccomp: linked into the worker.
 */
#include "policy/apply.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Request numbers (asm-generic; x86_64 uses them). */
#define SC_TCGETS 0x5401u
#define SC_TIOCSTI 0x5412u
#define SC_TIOCGWINSZ 0x5413u
#define SC_FIONREAD 0x541Bu
#define SC_TIOCLINUX 0x541Cu
#define SC_FIONBIO 0x5421u
#define SC_FIONCLEX 0x5450u
#define SC_FIOCLEX 0x5451u

/* Socket families up to AF_INET6 (10) are ruled on one by one. */
#define SC_AF_LAST_LISTED 10
#define SC_SOCK_TYPE_MASK 0xfu
#define SC_SOCK_RAW 3u
#define SC_SOCK_PACKET 10u

/* The first syscall number this file does not know (Linux 6.18). */
#define SC_FIRST_UNKNOWN 470u
#define SC_X32_BIT 0x40000000u

#define SC_NR_CLONE3 435

/* Namespace flags of clone(2) (CLONE_NEWTIME is clone3-only). */
static const uint64_t sc_clone_ns_flags[] = {
	0x00020000, /* CLONE_NEWNS */
	0x02000000, /* CLONE_NEWCGROUP */
	0x04000000, /* CLONE_NEWUTS */
	0x08000000, /* CLONE_NEWIPC */
	0x10000000, /* CLONE_NEWUSER */
	0x20000000, /* CLONE_NEWPID */
	0x40000000, /* CLONE_NEWNET */
};

/* Deny-list: unconditionally refused, with EPERM. */
static const int sc_denied[] = {
	/* other processes' memory */
	SCMP_SYS(ptrace),
	SCMP_SYS(process_vm_readv),
	SCMP_SYS(process_vm_writev),
	/* mounts and root changes (new mount API by number, sc_new[]) */
	SCMP_SYS(mount),
	SCMP_SYS(umount2),
	SCMP_SYS(pivot_root),
	SCMP_SYS(chroot),
	/* namespaces (clone flags are conditional, below) */
	SCMP_SYS(unshare),
	SCMP_SYS(setns),
	/* kernel attack surface an agent never needs */
	SCMP_SYS(bpf),
	SCMP_SYS(perf_event_open),
	SCMP_SYS(userfaultfd),
	SCMP_SYS(keyctl),
	SCMP_SYS(add_key),
	SCMP_SYS(request_key),
	SCMP_SYS(open_by_handle_at),
	SCMP_SYS(name_to_handle_at),
	SCMP_SYS(lookup_dcookie),
	SCMP_SYS(modify_ldt),
	SCMP_SYS(uselib),
	/* the machine itself */
	SCMP_SYS(kexec_load),
	SCMP_SYS(kexec_file_load),
	SCMP_SYS(init_module),
	SCMP_SYS(finit_module),
	SCMP_SYS(delete_module),
	SCMP_SYS(reboot),
	SCMP_SYS(swapon),
	SCMP_SYS(swapoff),
	SCMP_SYS(acct),
	SCMP_SYS(quotactl),
	SCMP_SYS(vhangup),
	SCMP_SYS(iopl),
	SCMP_SYS(ioperm),
	SCMP_SYS(syslog),
	SCMP_SYS(sethostname),
	SCMP_SYS(setdomainname),
	/* the clock */
	SCMP_SYS(settimeofday),
	SCMP_SYS(clock_settime),
	SCMP_SYS(adjtimex),
	SCMP_SYS(clock_adjtime),
};

/*
 * Syscalls 424 .. SC_FIRST_UNKNOWN-1, by number. err 0 = allowed in the
 * deny-list filter (the allow-list names the ones it wants itself).
 */
static const struct {
	int nr;
	int err;
} sc_new[] = {
	{ 424, 0 },     /* pidfd_send_signal: as kill(); Landlock scopes */
	{ 425, EPERM }, /* io_uring_setup */
	{ 426, EPERM }, /* io_uring_enter */
	{ 427, EPERM }, /* io_uring_register */
	{ 428, EPERM }, /* open_tree */
	{ 429, EPERM }, /* move_mount */
	{ 430, EPERM }, /* fsopen */
	{ 431, EPERM }, /* fsconfig */
	{ 432, EPERM }, /* fsmount */
	{ 433, EPERM }, /* fspick */
	{ 434, 0 },     /* pidfd_open */
	{ SC_NR_CLONE3, ENOSYS }, /* clone3: flags live in memory; glibc
				   * falls back to clone, which we can check */
	{ 436, 0 },               /* close_range */
	{ 437, 0 },               /* openat2 */
	{ 438, EPERM },           /* pidfd_getfd: another process's fds */
	{ 439, 0 },               /* faccessat2 */
	{ 440, EPERM },           /* process_madvise */
	{ 441, 0 },               /* epoll_pwait2 */
	{ 442, EPERM },           /* mount_setattr */
	{ 443, EPERM },           /* quotactl_fd */
	{ 444, 0 },      /* landlock_create_ruleset: can only drop rights */
	{ 445, 0 },      /* landlock_add_rule */
	{ 446, 0 },      /* landlock_restrict_self */
	{ 447, ENOSYS }, /* memfd_secret */
	{ 448, EPERM },  /* process_mrelease */
	{ 449, 0 },      /* futex_waitv */
	{ 450, ENOSYS }, /* set_mempolicy_home_node */
	{ 451, 0 },      /* cachestat */
	{ 452, 0 },      /* fchmodat2 */
	{ 453, 0 },      /* map_shadow_stack: glibc CET support */
	{ 454, 0 },      /* futex_wake */
	{ 455, 0 },      /* futex_wait */
	{ 456, 0 },      /* futex_requeue */
	{ 457, ENOSYS }, /* statmount: the host's mount table */
	{ 458, ENOSYS }, /* listmount */
	{ 459, ENOSYS }, /* lsm_get_self_attr */
	{ 460, ENOSYS }, /* lsm_set_self_attr */
	{ 461, ENOSYS }, /* lsm_list_modules */
	{ 462, 0 },      /* mseal: only restricts the caller */
	{ 463, 0 },      /* setxattrat: as setxattr */
	{ 464, 0 },      /* getxattrat */
	{ 465, 0 },      /* listxattrat */
	{ 466, 0 },      /* removexattrat */
	{ 467, EPERM },  /* open_tree_attr */
	{ 468, ENOSYS }, /* file_getattr */
	{ 469, ENOSYS }, /* file_setattr */
};

/* Allow-list: what the worker's file tools and main loop use. */
static const int sc_allowed[] = {
	/* I/O on open fds */
	SCMP_SYS(read),
	SCMP_SYS(write),
	SCMP_SYS(readv),
	SCMP_SYS(writev),
	SCMP_SYS(pread64),
	SCMP_SYS(pwrite64),
	SCMP_SYS(preadv),
	SCMP_SYS(pwritev),
	SCMP_SYS(preadv2),
	SCMP_SYS(pwritev2),
	SCMP_SYS(lseek),
	SCMP_SYS(close),
	436 /* close_range */,
	SCMP_SYS(dup),
	SCMP_SYS(dup2),
	SCMP_SYS(dup3),
	SCMP_SYS(fcntl),
	SCMP_SYS(pipe2),
	SCMP_SYS(flock),
	/* paths (Landlock and openat2 RESOLVE_BENEATH bound them) */
	SCMP_SYS(open),
	SCMP_SYS(openat),
	437 /* openat2 */,
	SCMP_SYS(stat),
	SCMP_SYS(fstat),
	SCMP_SYS(lstat),
	SCMP_SYS(newfstatat),
	SCMP_SYS(statx),
	SCMP_SYS(statfs),
	SCMP_SYS(fstatfs),
	SCMP_SYS(readlink),
	SCMP_SYS(readlinkat),
	SCMP_SYS(access),
	SCMP_SYS(faccessat),
	439 /* faccessat2 */,
	SCMP_SYS(getdents64),
	SCMP_SYS(getcwd),
	SCMP_SYS(chdir),
	SCMP_SYS(fchdir),
	SCMP_SYS(mkdir),
	SCMP_SYS(mkdirat),
	SCMP_SYS(rename),
	SCMP_SYS(renameat),
	SCMP_SYS(renameat2),
	SCMP_SYS(unlink),
	SCMP_SYS(unlinkat),
	SCMP_SYS(rmdir),
	SCMP_SYS(ftruncate),
	SCMP_SYS(fallocate),
	SCMP_SYS(fsync),
	SCMP_SYS(fdatasync),
	SCMP_SYS(fchmod),
	SCMP_SYS(fchmodat),
	452 /* fchmodat2 */,
	SCMP_SYS(utimensat),
	SCMP_SYS(umask),
	/* memory */
	SCMP_SYS(brk),
	SCMP_SYS(mmap),
	SCMP_SYS(munmap),
	SCMP_SYS(mremap),
	SCMP_SYS(mprotect),
	SCMP_SYS(madvise),
	/* waiting and time */
	SCMP_SYS(poll),
	SCMP_SYS(ppoll),
	SCMP_SYS(select),
	SCMP_SYS(pselect6),
	SCMP_SYS(epoll_create1),
	SCMP_SYS(epoll_ctl),
	SCMP_SYS(epoll_wait),
	SCMP_SYS(epoll_pwait),
	441 /* epoll_pwait2 */,
	SCMP_SYS(eventfd2),
	SCMP_SYS(timerfd_create),
	SCMP_SYS(timerfd_settime),
	SCMP_SYS(timerfd_gettime),
	SCMP_SYS(signalfd4),
	SCMP_SYS(clock_gettime),
	SCMP_SYS(clock_getres),
	SCMP_SYS(clock_nanosleep),
	SCMP_SYS(nanosleep),
	SCMP_SYS(gettimeofday),
	SCMP_SYS(time),
	SCMP_SYS(alarm),
	SCMP_SYS(setitimer),
	SCMP_SYS(getitimer),
	/* signals (sending: own process only, below) */
	SCMP_SYS(rt_sigaction),
	SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(rt_sigreturn),
	SCMP_SYS(rt_sigpending),
	SCMP_SYS(rt_sigtimedwait),
	SCMP_SYS(rt_sigsuspend),
	SCMP_SYS(sigaltstack),
	SCMP_SYS(restart_syscall),
	/* identity and environment */
	SCMP_SYS(getpid),
	SCMP_SYS(gettid),
	SCMP_SYS(getppid),
	SCMP_SYS(getuid),
	SCMP_SYS(geteuid),
	SCMP_SYS(getgid),
	SCMP_SYS(getegid),
	SCMP_SYS(getgroups),
	SCMP_SYS(getresuid),
	SCMP_SYS(getresgid),
	SCMP_SYS(uname),
	SCMP_SYS(getrlimit),
	SCMP_SYS(getrusage),
	SCMP_SYS(sysinfo),
	SCMP_SYS(times),
	SCMP_SYS(sched_getaffinity),
	SCMP_SYS(sched_yield),
	SCMP_SYS(getrandom),
	/* threads and exit (glibc internals) */
	SCMP_SYS(futex),
	SCMP_SYS(set_robust_list),
	SCMP_SYS(set_tid_address),
	SCMP_SYS(rseq),
	SCMP_SYS(exit),
	SCMP_SYS(exit_group),
};

/* prctl queries the allow-list permits (the worker reports its layers). */
static const uint32_t sc_allowed_prctls[] = {
	PR_GET_DUMPABLE,
	PR_GET_SECCOMP,
	PR_GET_NO_NEW_PRIVS,
};

/* ioctl requests the allow-list permits (isatty, window size, fd flags). */
static const uint32_t sc_allowed_ioctls[] = {
	SC_TCGETS,  SC_TIOCGWINSZ, SC_FIONREAD,
	SC_FIONBIO, SC_FIONCLEX,   SC_FIOCLEX,
};

#define SC_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/*
 * One 64-bit argument comparison. libseccomp's SCMP_A*() macros leave
 * datum_b to the compiler, which clang flags; this spells out every field.
 * For SCMP_CMP_MASKED_EQ a is the mask and b the value.
 */
static struct scmp_arg_cmp
sc_arg(unsigned int arg, enum scmp_compare op, uint64_t a, uint64_t b)
{
	struct scmp_arg_cmp c = {
		.arg = arg,
		.op = op,
		.datum_a = a,
		.datum_b = b,
	};

	return c;
}

static int
sc_fail(char *err, size_t errlen, const char *what, int rc)
{
	if (rc >= 0)
		rc = -EINVAL;
	if (errlen > 0)
		snprintf(err, errlen, "seccomp: %s: %s", what, strerror(-rc));
	return rc;
}

/* Add "syscall nr with condition c returns action". */
static int
sc_rule1(scmp_filter_ctx ctx, uint32_t action, int nr, struct scmp_arg_cmp c)
{
	return seccomp_rule_add(ctx, action, nr, 1, c);
}

/*
 * socketpair(AF_UNIX) for SOCK_STREAM only. A datagram socket, even one
 * born connected to its twin, may connect() again or sendto() any
 * pathname or abstract address, and seccomp cannot read the address that
 * sendmsg() carries in memory; a stream pair is connected for good (the
 * kernel refuses connect, listen and an address on send, even once the
 * twin is closed). So every type but SOCK_STREAM is EPERM: DGRAM, SEQPACKET,
 * and RAW, which AF_UNIX turns into DGRAM. The kernel reads the type as an int
 * whose low four bits are the type (SOCK_TYPE_MASK) and the rest SOCK_CLOEXEC
 * and SOCK_NONBLOCK (any other bit is EINVAL), so the comparison masks 0xf:
 * flags and high bits neither hide a type nor block a stream pair. A family
 * other than exactly AF_UNIX is the EAFNOSUPPORT rule's; these rules do not
 * overlap it.
 */
static int
sc_deny_socketpair_types(scmp_filter_ctx ctx)
{
	uint64_t t;
	int rc = 0;

	for (t = 0; rc == 0 && t <= SC_SOCK_TYPE_MASK; t++)
		if (t != SOCK_STREAM)
			rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
					      SCMP_SYS(socketpair), 2,
					      sc_arg(0, SCMP_CMP_EQ, AF_UNIX,
						     0),
					      sc_arg(1, SCMP_CMP_MASKED_EQ,
						     SC_SOCK_TYPE_MASK, t));
	return rc;
}

/* socket(): unlisted families EAFNOSUPPORT; INET/UNIX by the policy. */
static int
sc_deny_sockets(scmp_filter_ctx ctx, const struct msg_policy *p)
{
	const int sock = SCMP_SYS(socket);
	int rc, af;

	/* Any value above 10, including ones with high bits set. */
	rc = sc_rule1(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), sock,
		      sc_arg(0, SCMP_CMP_GT, SC_AF_LAST_LISTED, 0));
	for (af = 0; rc == 0 && af <= SC_AF_LAST_LISTED; af++) {
		uint32_t e = EAFNOSUPPORT;

		if (af == AF_UNIX)
			e = p->allow_unix ? 0 : EPERM;
		else if (af == AF_INET || af == AF_INET6)
			e = p->net_tcp ? 0 : EPERM;
		if (e != 0)
			rc = sc_rule1(ctx, SCMP_ACT_ERRNO(e), sock,
				      sc_arg(0, SCMP_CMP_EQ, (uint64_t)af, 0));
	}
	/* With the network: no raw or packet sockets (stream and datagram
	 * ones, TCP and UDP for DNS, are what it is for; other types stay
	 * allowed, docs/policy.md says so). */
	for (af = AF_INET; rc == 0 && p->net_tcp && af <= AF_INET6;
	     af += AF_INET6 - AF_INET) {
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), sock, 2,
				      sc_arg(0, SCMP_CMP_EQ, (uint64_t)af, 0),
				      sc_arg(1, SCMP_CMP_MASKED_EQ,
					     SC_SOCK_TYPE_MASK, SC_SOCK_RAW));
		if (rc == 0)
			rc = seccomp_rule_add(
				ctx, SCMP_ACT_ERRNO(EPERM), sock, 2,
				sc_arg(0, SCMP_CMP_EQ, (uint64_t)af, 0),
				sc_arg(1, SCMP_CMP_MASKED_EQ, SC_SOCK_TYPE_MASK,
				       SC_SOCK_PACKET));
	}
	if (rc == 0)
		rc = sc_rule1(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT),
			      SCMP_SYS(socketpair),
			      sc_arg(0, SCMP_CMP_NE, AF_UNIX, 0));
	if (rc == 0 && !p->allow_unix)
		rc = sc_deny_socketpair_types(ctx);
	return rc;
}

/* clone with namespace flags, terminal injection, device nodes. */
static int
sc_deny_conditional(scmp_filter_ctx ctx)
{
	const uint32_t eperm = SCMP_ACT_ERRNO(EPERM);
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < SC_COUNT(sc_clone_ns_flags); i++)
		rc = sc_rule1(ctx, eperm, SCMP_SYS(clone),
			      sc_arg(0, SCMP_CMP_MASKED_EQ,
				     sc_clone_ns_flags[i],
				     sc_clone_ns_flags[i]));
	if (rc == 0)
		rc = sc_rule1(ctx, eperm, SCMP_SYS(ioctl),
			      sc_arg(1, SCMP_CMP_MASKED_EQ, 0xffffffffu,
				     SC_TIOCSTI));
	if (rc == 0)
		rc = sc_rule1(ctx, eperm, SCMP_SYS(ioctl),
			      sc_arg(1, SCMP_CMP_MASKED_EQ, 0xffffffffu,
				     SC_TIOCLINUX));
	/*
	 * mknod of a char or block device: S_IFCHR's bit is set in both
	 * S_IFCHR and S_IFBLK, and in no other file type (FIFOs, sockets and
	 * regular files stay allowed).
	 */
	if (rc == 0)
		rc = sc_rule1(ctx, eperm, SCMP_SYS(mknod),
			      sc_arg(1, SCMP_CMP_MASKED_EQ, S_IFCHR, S_IFCHR));
	if (rc == 0)
		rc = sc_rule1(ctx, eperm, SCMP_SYS(mknodat),
			      sc_arg(2, SCMP_CMP_MASKED_EQ, S_IFCHR, S_IFCHR));
	return rc;
}

static int
sc_build_denylist(scmp_filter_ctx ctx, const struct msg_policy *p)
{
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < SC_COUNT(sc_denied); i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), sc_denied[i],
				      0);
	for (i = 0; rc == 0 && i < SC_COUNT(sc_new); i++)
		if (sc_new[i].err != 0)
			rc = seccomp_rule_add(ctx,
					      SCMP_ACT_ERRNO(sc_new[i].err),
					      sc_new[i].nr, 0);
	if (rc == 0)
		rc = sc_deny_conditional(ctx);
	if (rc == 0)
		rc = sc_deny_sockets(ctx, p);
	if (rc == 0 && !p->allow_exec)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
				      SCMP_SYS(execve), 0);
	if (rc == 0 && !p->allow_exec)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
				      SCMP_SYS(execveat), 0);
	return rc;
}

/* Allow-list rules with conditions: own signals, ioctls, prctl queries. */
static int
sc_allow_conditional(scmp_filter_ctx ctx)
{
	uint64_t self = (uint64_t)getpid();
	size_t i;
	int rc;

	rc = sc_rule1(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill),
		      sc_arg(0, SCMP_CMP_EQ, self, 0));
	if (rc == 0)
		rc = sc_rule1(ctx, SCMP_ACT_ALLOW, SCMP_SYS(kill),
			      sc_arg(0, SCMP_CMP_EQ, self, 0));
	/* Reading limits only: a root worker could otherwise raise them. */
	if (rc == 0)
		rc = sc_rule1(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64),
			      sc_arg(2, SCMP_CMP_EQ, 0, 0));
	for (i = 0; rc == 0 && i < SC_COUNT(sc_allowed_ioctls); i++)
		rc = sc_rule1(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl),
			      sc_arg(1, SCMP_CMP_MASKED_EQ, 0xffffffffu,
				     sc_allowed_ioctls[i]));
	for (i = 0; rc == 0 && i < SC_COUNT(sc_allowed_prctls); i++)
		rc = sc_rule1(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl),
			      sc_arg(0, SCMP_CMP_EQ, sc_allowed_prctls[i], 0));
	return rc;
}

static int
sc_build_allowlist(scmp_filter_ctx ctx)
{
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < SC_COUNT(sc_allowed); i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, sc_allowed[i], 0);
	if (rc == 0)
		rc = sc_allow_conditional(ctx);
	/* glibc falls back from clone3 only on ENOSYS (not that we fork). */
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SC_NR_CLONE3,
				      0);
	return rc;
}

/* BPF_LD of one 32-bit word of struct seccomp_data. */
#define SC_LD(off) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define SC_JEQ(k, t, f) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (t), (f))
#define SC_JGE(k, t, f) BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, (k), (t), (f))
#define SC_RET(v) BPF_STMT(BPF_RET | BPF_K, (v))

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SC_ARG0_LO offsetof(struct seccomp_data, args[0])
#define SC_ARG0_HI (offsetof(struct seccomp_data, args[0]) + 4)
#else
#define SC_ARG0_LO (offsetof(struct seccomp_data, args[0]) + 4)
#define SC_ARG0_HI offsetof(struct seccomp_data, args[0])
#endif

/*
 * The supplement to the deny-list: ENOSYS for syscall numbers this file
 * does not know, and personality() limited to PER_LINUX (0) and the query
 * 0xffffffff. Foreign arches and x32 are left to the main filter (kill).
 */
static int
sc_load_supplement(char *err, size_t errlen)
{
	struct sock_filter code[] = {
		/* 0 */ SC_LD(offsetof(struct seccomp_data, arch)),
		/* 1 */ SC_JEQ(seccomp_arch_native(), 0, 9),
		/* 2 */ SC_LD(offsetof(struct seccomp_data, nr)),
		/* 3 */ SC_JGE(SC_X32_BIT, 7, 0),
		/* 4 */ SC_JGE(SC_FIRST_UNKNOWN, 8, 0),
		/* 5 */ SC_JEQ(SYS_personality, 0, 5),
		/* 6 */ SC_LD(SC_ARG0_HI),
		/* 7 */ SC_JEQ(0, 0, 4),
		/* 8 */ SC_LD(SC_ARG0_LO),
		/* 9 */ SC_JEQ(0, 1, 0),
		/* 10 */ SC_JEQ(0xffffffffu, 0, 1),
		/* 11 */ SC_RET(SECCOMP_RET_ALLOW),
		/* 12 */ SC_RET(SECCOMP_RET_ERRNO | EPERM),
		/* 13 */ SC_RET(SECCOMP_RET_ERRNO | ENOSYS),
	};
	struct sock_fprog prog = {
		.len = (unsigned short)SC_COUNT(code),
		.filter = code,
	};

	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0)
		return sc_fail(err, errlen, "loading the supplement filter",
			       -errno);
	return 0;
}

/* Filter attributes: kill on a foreign arch, sync threads, raw errors. */
static int
sc_set_attrs(scmp_filter_ctx ctx)
{
	int rc;

	rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
			      SCMP_ACT_KILL_PROCESS);
	if (rc == 0)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1);
	if (rc == 0)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	if (rc == 0)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	return rc;
}

int
policy_seccomp_apply(const struct msg_policy *p, char *err, size_t errlen)
{
	scmp_filter_ctx ctx = NULL;
	int rc;

	if (p->seccomp_allowlist &&
	    (p->allow_exec || p->net_tcp || p->allow_unix))
		return sc_fail(err, errlen,
			       "the allow-list permits no exec and no sockets",
			       -EINVAL);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return sc_fail(err, errlen, "PR_SET_NO_NEW_PRIVS", -errno);
	ctx = seccomp_init(p->seccomp_allowlist ? SCMP_ACT_ERRNO(EPERM) :
						  SCMP_ACT_ALLOW);
	if (ctx == NULL)
		return sc_fail(err, errlen, "seccomp_init", -ENOMEM);
	rc = sc_set_attrs(ctx);
	if (rc < 0) {
		rc = sc_fail(err, errlen, "filter attributes", rc);
		goto out;
	}
	rc = p->seccomp_allowlist ? sc_build_allowlist(ctx) :
				    sc_build_denylist(ctx, p);
	if (rc < 0) {
		rc = sc_fail(err, errlen, "building the filter", rc);
		goto out;
	}
	if (!p->seccomp_allowlist) {
		rc = sc_load_supplement(err, errlen);
		if (rc < 0)
			goto out;
	}
	rc = seccomp_load(ctx);
	if (rc < 0)
		rc = sc_fail(err, errlen, "loading the filter", rc);
out:
	seccomp_release(ctx);
	return rc;
}
