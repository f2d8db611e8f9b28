/*
 * probe.c - sbx-probe: the escape suite's syscall prober, run INSIDE a
 * worker through the Bash tool.
 *
 * Design note
 * -----------
 * Some escape attempts need a raw syscall that no shell utility makes
 * (ptrace, process_vm_readv, io_uring_setup, fsopen, TIOCSTI with high
 * bits, int 0x80, x32 numbers). The suite copies this binary into the
 * project, as an agent could compile it there, and runs it from Bash. Each
 * mode tries its calls and prints one line "name=RESULT" per call, RESULT
 * being "OK" or the errno's name (EPERM, ENOSYS, ...), so the test can
 * assert the exact outcome. Modes that should be killed print "before"
 * first: a line "after N" (N the call's raw return value) means the
 * process survived. The suite also runs int80 and x32 unconfined, outside
 * any worker, to learn whether the host delivers those calls at all
 * (sbx_probe_unconfined()).
 *
 * Every call is chosen to be harmless if it were allowed: invalid magic
 * numbers, mounts on a directory of the project, a file descriptor of the
 * probe itself. The probe is never built with coverage or sanitizers (a
 * confined process can run neither).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <termios.h>
#include <unistd.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

/* Syscall numbers libc may not name (identical on x86_64 and arm64 for
 * the ones above 424). */
#define P_NR_IO_URING_SETUP 425
#define P_NR_OPEN_TREE 428
#define P_NR_MOVE_MOUNT 429
#define P_NR_FSOPEN 430
#define P_NR_FSMOUNT 432
#define P_NR_CLONE3 435
#define P_NR_PIDFD_GETFD 438
#define P_X32_BIT 0x40000000L

static void
report(const char *name, long rc)
{
	const char *e = rc < 0 ? strerrorname_np(errno) : "OK";

	printf("%s=%s\n", name, e ? e : "EUNKNOWN");
	fflush(stdout);
}

/* report() for a call returning an fd: closes it when it succeeded. */
static void
report_fd(const char *name, long fd)
{
	report(name, fd);
	if (fd >= 0)
		close((int)fd);
}

static int
mode_int80(void)
{
	long ret = 20; /* i386 getpid */

	puts("before");
	fflush(stdout);
#if defined(__x86_64__)
	__asm__ volatile("int $0x80" : "+a"(ret) : : "memory");
#endif
	printf("after %ld\n", ret);
	return 0;
}

static int
mode_x32(void)
{
	long ret = P_X32_BIT | SYS_getpid;

	puts("before");
	fflush(stdout);
#if defined(__x86_64__)
	/* raw, like int80: "after" shows the kernel's value (-38: ENOSYS) */
	__asm__ volatile("syscall" : "+a"(ret) : : "rcx", "r11", "memory");
#endif
	printf("after %ld\n", ret);
	return 0;
}

static int
mode_io_uring(void)
{
	char params[120];

	memset(params, 0, sizeof(params));
	report("io_uring_setup", syscall(P_NR_IO_URING_SETUP, 4, params));
	puts("alive");
	return 0;
}

/* Namespaces: unshare, clone with CLONE_NEW*, setns, clone3. */
static int
mode_ns(void)
{
	static const struct {
		const char *name;
		int flag;
	} fl[] = {
		{ "USER", CLONE_NEWUSER },     { "NS", CLONE_NEWNS },
		{ "NET", CLONE_NEWNET },       { "PID", CLONE_NEWPID },
		{ "IPC", CLONE_NEWIPC },       { "UTS", CLONE_NEWUTS },
		{ "CGROUP", CLONE_NEWCGROUP },
	};
	char name[64];
	uint64_t args[11];
	long pid;
	int fd;

	for (size_t i = 0; i < sizeof(fl) / sizeof(fl[0]); i++) {
		snprintf(name, sizeof(name), "unshare_%s", fl[i].name);
		report(name, unshare(fl[i].flag));
		pid = syscall(SYS_clone, SIGCHLD | fl[i].flag, NULL, NULL, NULL,
			      NULL);
		if (pid == 0)
			_exit(0);
		if (pid > 0)
			waitpid((pid_t)pid, NULL, 0);
		snprintf(name, sizeof(name), "clone_%s", fl[i].name);
		report(name, pid);
	}
	fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	report("setns", fd < 0 ? fd : setns(fd, 0));
	if (fd >= 0)
		close(fd);
	memset(args, 0, sizeof(args));
	args[0] = CLONE_NEWUSER;
	args[4] = SIGCHLD;
	pid = syscall(P_NR_CLONE3, args, sizeof(args));
	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid((pid_t)pid, NULL, 0);
	report("clone3", pid);
	return 0;
}

/* Mount family and root changes, aimed at a directory of the project. */
static int
mode_mount(void)
{
	mkdir("mnt-probe", 0700);
	report("mount", mount("none", "mnt-probe", "tmpfs", 0, NULL));
	report("umount2", umount2("mnt-probe", MNT_DETACH));
	report_fd("fsopen", syscall(P_NR_FSOPEN, "tmpfs", 0));
	report_fd("fsmount", syscall(P_NR_FSMOUNT, -1, 0, 0));
	report_fd("open_tree", syscall(P_NR_OPEN_TREE, AT_FDCWD, ".", 1));
	report("move_mount",
	       syscall(P_NR_MOVE_MOUNT, -1, "", AT_FDCWD, "mnt-probe", 0));
	report("pivot_root", syscall(SYS_pivot_root, ".", "mnt-probe"));
	report("chroot", chroot("."));
	rmdir("mnt-probe");
	return 0;
}

/* Kernel attack surface: all with arguments that would fail anyway. */
static int
mode_kernel(void)
{
	char attr[128], handle[64];

	memset(attr, 0, sizeof(attr));
	memset(handle, 0, sizeof(handle));
	attr[4] = (char)sizeof(attr); /* perf_event_attr.size (LE) */
	report("bpf", syscall(SYS_bpf, 0, attr, 0));
	report_fd("perf_event_open",
		  syscall(SYS_perf_event_open, attr, 0, -1, -1, 0));
	report_fd("userfaultfd", syscall(SYS_userfaultfd, O_CLOEXEC));
	report("keyctl", syscall(SYS_keyctl, 0 /* GET_KEYRING_ID */,
				 -3 /* session */, 0));
	report("add_key", syscall(SYS_add_key, "user", "gao-sbx", "x", 1, -3));
	report("request_key",
	       syscall(SYS_request_key, "user", "gao-sbx", NULL, 0));
	report_fd("open_by_handle_at",
		  syscall(SYS_open_by_handle_at, AT_FDCWD, handle, O_RDONLY));
	report("name_to_handle_at",
	       syscall(SYS_name_to_handle_at, AT_FDCWD, ".", handle, attr, 0));
	report("init_module", syscall(SYS_init_module, NULL, 0, ""));
	report("finit_module", syscall(SYS_finit_module, -1, "", 0));
	report("delete_module",
	       syscall(SYS_delete_module, "gao_sbx_none", O_NONBLOCK));
	report("kexec_load", syscall(SYS_kexec_load, 0, 0, NULL, 0));
	report("kexec_file_load",
	       syscall(SYS_kexec_file_load, -1, -1, 0, "", 0));
	report("reboot", syscall(SYS_reboot, 0, 0, 0, NULL)); /* bad magic */
	report("swapon", swapon("/nonexistent-gao-sbx", 0));
	report("acct", acct(NULL));
	report("personality", syscall(SYS_personality, 0x0040000 /*
				      ADDR_NO_RANDOMIZE */));
	return 0;
}

/* Terminal injection on fd 0, on /dev/tty, and on a fresh pty. */
static void
tty_try(const char *what, int fd)
{
	char c = 'x', name[64];
	unsigned long high = 0xdead00000000ul | TIOCSTI;
	char sub = 0; /* TIOCLINUX subcode 0 is invalid */

	snprintf(name, sizeof(name), "%s_TIOCSTI", what);
	report(name, ioctl(fd, TIOCSTI, &c));
	snprintf(name, sizeof(name), "%s_TIOCSTI_high", what);
	report(name, syscall(SYS_ioctl, fd, high, &c));
	snprintf(name, sizeof(name), "%s_TIOCLINUX", what);
	report(name, ioctl(fd, TIOCLINUX, &sub));
}

static int
mode_tty(void)
{
	int fd, pt;

	tty_try("stdin", 0);
	fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	report("open_dev_tty", fd);
	if (fd >= 0) {
		tty_try("tty", fd);
		close(fd);
	}
	pt = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	report("open_ptmx", pt);
	if (pt >= 0 && grantpt(pt) == 0 && unlockpt(pt) == 0) {
		fd = open(ptsname(pt), O_RDWR | O_NOCTTY | O_CLOEXEC);
		report("open_pts", fd);
		if (fd >= 0) {
			tty_try("pts", fd);
			close(fd);
		}
	}
	if (pt >= 0)
		close(pt);
	return 0;
}

static void
sock_try(const char *name, int family, int type)
{
	report_fd(name, socket(family, type | SOCK_CLOEXEC, 0));
}

/* socket families, then connections to the test's listeners. */
static int
mode_sock(int argc, char **argv)
{
	struct sockaddr_in in = { .sin_family = AF_INET };
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	int fd, sp[2];

	sock_try("inet_stream", AF_INET, SOCK_STREAM);
	sock_try("inet_dgram", AF_INET, SOCK_DGRAM);
	sock_try("inet_raw", AF_INET, SOCK_RAW);
	sock_try("inet6_stream", AF_INET6, SOCK_STREAM);
	sock_try("inet6_dgram", AF_INET6, SOCK_DGRAM);
	sock_try("netlink", AF_NETLINK, SOCK_RAW);
	sock_try("packet", AF_PACKET, SOCK_RAW);
	sock_try("vsock", AF_VSOCK, SOCK_STREAM);
	sock_try("unix_stream", AF_UNIX, SOCK_STREAM);
	sock_try("unix_dgram", AF_UNIX, SOCK_DGRAM);
	report("socketpair_inet", socketpair(AF_INET, SOCK_STREAM, 0, sp));
	if (argc < 5)
		return 0;
	/* argv: tcp-port udp-port unix-path abstract-name */
	in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	in.sin_port = htons((uint16_t)atoi(argv[1]));
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	report("tcp_connect",
	       fd < 0 ? fd : connect(fd, (struct sockaddr *)&in, sizeof(in)));
	if (fd >= 0)
		close(fd);
	in.sin_port = htons((uint16_t)atoi(argv[2]));
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	report("udp_send", fd < 0 ? fd :
				    sendto(fd, "x", 1, 0,
					   (struct sockaddr *)&in, sizeof(in)));
	if (fd >= 0)
		close(fd);
	snprintf(un.sun_path, sizeof(un.sun_path), "%s", argv[3]);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	report("unix_connect",
	       fd < 0 ? fd : connect(fd, (struct sockaddr *)&un, sizeof(un)));
	if (fd >= 0)
		close(fd);
	memset(un.sun_path, 0, sizeof(un.sun_path));
	snprintf(un.sun_path + 1, sizeof(un.sun_path) - 1, "%s", argv[4]);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	report("abstract_connect",
	       fd < 0 ? fd :
			connect(fd, (struct sockaddr *)&un,
				(socklen_t)(offsetof(struct sockaddr_un,
						     sun_path) +
					    1 + strlen(argv[4]))));
	if (fd >= 0)
		close(fd);
	return 0;
}

/* A unix address from "@name" (abstract) or a path; its length. */
static socklen_t
unix_addr(struct sockaddr_un *un, const char *spec)
{
	memset(un, 0, sizeof(*un));
	un->sun_family = AF_UNIX;
	if (spec[0] != '@') {
		snprintf(un->sun_path, sizeof(un->sun_path), "%s", spec);
		return (socklen_t)sizeof(*un);
	}
	snprintf(un->sun_path + 1, sizeof(un->sun_path) - 1, "%s", spec + 1);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
			   strlen(spec));
}

/* sendto, sendmsg with an address, connect + send: "<what>_<how><i>". */
static void
dgram_reach(const char *what, int fd, int argc, char **argv)
{
	struct sockaddr_un un;
	struct iovec iov = { .iov_base = "x", .iov_len = 1 };
	struct msghdr mh = { .msg_name = &un,
			     .msg_iov = &iov,
			     .msg_iovlen = 1 };
	char name[96];

	for (int i = 1; i < argc; i++) {
		socklen_t len = unix_addr(&un, argv[i]);

		snprintf(name, sizeof(name), "%s_sendto%d", what, i);
		report(name, sendto(fd, "x", 1, MSG_DONTWAIT,
				    (struct sockaddr *)&un, len));
		mh.msg_namelen = len;
		snprintf(name, sizeof(name), "%s_sendmsg%d", what, i);
		report(name, sendmsg(fd, &mh, MSG_DONTWAIT));
		snprintf(name, sizeof(name), "%s_connect%d", what, i);
		report(name, connect(fd, (struct sockaddr *)&un, len));
	}
}

/*
 * Every way to a socket that can address a host socket, then every such
 * socket at each target (argv[1..]: paths, "@name" for abstract ones).
 * Lines: pair_<type>=..., and for each pair or socket that exists,
 * <type>_sendto<i>, _sendmsg<i>, _connect<i>.
 */
static int
mode_dgram(int argc, char **argv)
{
	static const struct {
		const char *name;
		long type;
	} types[] = {
		{ "dgram", SOCK_DGRAM },
		{ "dgram_flags", SOCK_DGRAM | SOCK_NONBLOCK },
		{ "dgram_high", (long)(0xffffffff00000000ul | SOCK_DGRAM) },
		{ "seqpacket", SOCK_SEQPACKET },
		{ "raw", SOCK_RAW },
		{ "rdm", SOCK_RDM },
		{ "stream", SOCK_STREAM },
		{ "stream_flags", SOCK_STREAM | SOCK_NONBLOCK },
	};
	char name[64];
	int sv[2];
	long rc;

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		snprintf(name, sizeof(name), "pair_%s", types[i].name);
		rc = syscall(SYS_socketpair, AF_UNIX,
			     types[i].type | SOCK_CLOEXEC, 0, sv);
		report(name, rc);
		if (rc < 0)
			continue;
		dgram_reach(types[i].name, sv[0], argc, argv);
		close(sv[1]); /* a pair whose twin is gone */
		snprintf(name, sizeof(name), "%s_alone", types[i].name);
		dgram_reach(name, sv[0], argc, argv);
		close(sv[0]);
	}
	rc = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	report("socket_dgram", rc);
	if (rc >= 0) {
		dgram_reach("socket", (int)rc, argc, argv);
		close((int)rc);
	}
	return 0;
}

/* Another process: ptrace, process_vm_readv, pidfd_getfd, /proc files. */
static int
mode_peek(const char *pidstr)
{
	pid_t pid = (pid_t)atoi(pidstr);
	char buf[64], path[64];
	struct iovec local = { buf, sizeof(buf) }, remote = { NULL, 8 };
	long pidfd;

	report("ptrace_attach",
	       syscall(SYS_ptrace, 16 /* ATTACH */, pid, 0, 0));
	report("ptrace_seize",
	       syscall(SYS_ptrace, 0x4206 /* SEIZE */, pid, 0, 0));
	remote.iov_base = &local; /* any address: the call must not run */
	report("process_vm_readv",
	       syscall(SYS_process_vm_readv, pid, &local, 1, &remote, 1, 0));
	report("process_vm_writev",
	       syscall(SYS_process_vm_writev, pid, &local, 1, &remote, 1, 0));
	/* pidfd_open's answer is the host's (ESRCH in a PID namespace,
	 * ENOSYS before Linux 5.3); pidfd_getfd is tried whatever it was,
	 * on -1 without a pidfd, so the filter's answer always shows */
	pidfd = syscall(434 /* pidfd_open */, pid, 0);
	report("pidfd_open", pidfd);
	report_fd("pidfd_getfd", syscall(P_NR_PIDFD_GETFD, pidfd, 0, 0));
	if (pidfd >= 0)
		close((int)pidfd);
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	report_fd("open_mem", open(path, O_RDONLY | O_CLOEXEC));
	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	report_fd("open_environ", open(path, O_RDONLY | O_CLOEXEC));
	return 0;
}

/* Memory: address space beyond the limit. Nothing is touched. */
static int
mode_mem(void)
{
	void *p = malloc((size_t)8 << 30);
	void *m;

	report("malloc_8g", p ? 0 : -1);
	free(p);
	m = mmap(NULL, (size_t)64 << 30, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	report("mmap_64g", m == MAP_FAILED ? -1 : 0);
	if (m != MAP_FAILED)
		munmap(m, (size_t)64 << 30);
	return 0;
}

/* Open fds until the kernel refuses, then try to raise the limit. */
static int
mode_fds(void)
{
	struct rlimit rl = { 100000, 100000 };
	long n = 0;
	int fd, e = 0;

	while (n < 100000) {
		fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			e = errno;
			break;
		}
		n++;
	}
	printf("opened=%ld\n", n);
	errno = e;
	report("open_more", e ? -1 : 0);
	report("raise_nofile", setrlimit(RLIMIT_NOFILE, &rl));
	return 0;
}

static int
mode_ids(void)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "re");

	printf("uid=%d euid=%d gid=%d egid=%d\n", (int)getuid(), (int)geteuid(),
	       (int)getgid(), (int)getegid());
	/* the effective capabilities: what a setuid root exec gave */
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "CapEff:", 7))
			printf("%s", line);
	if (f)
		fclose(f);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "";

	if (!strcmp(m, "int80"))
		return mode_int80();
	if (!strcmp(m, "x32"))
		return mode_x32();
	if (!strcmp(m, "io_uring"))
		return mode_io_uring();
	if (!strcmp(m, "ns"))
		return mode_ns();
	if (!strcmp(m, "mount"))
		return mode_mount();
	if (!strcmp(m, "kernel"))
		return mode_kernel();
	if (!strcmp(m, "tty"))
		return mode_tty();
	if (!strcmp(m, "sock"))
		return mode_sock(argc - 1, argv + 1);
	if (!strcmp(m, "dgram"))
		return mode_dgram(argc - 1, argv + 1);
	if (!strcmp(m, "peek") && argc > 2)
		return mode_peek(argv[2]);
	if (!strcmp(m, "mem"))
		return mode_mem();
	if (!strcmp(m, "fds"))
		return mode_fds();
	if (!strcmp(m, "ids"))
		return mode_ids();
	fprintf(stderr, "usage: sbx-probe MODE [args]\n");
	return 2;
}
