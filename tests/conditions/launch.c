/*
 * launch.c - start a command under the conditions of a CI user's host,
 * reproduced from the process's side (issue: containers and unprivileged
 * runners). Test-only; run as root.
 *
 *   gao-launch [--mask-proc] [--userns MAP [--gidmap MAP]] [--max-userns N]
 *              [--docker-seccomp] [--docker-caps] [--user UID:GID]
 *              -- COMMAND [ARGS...]
 *
 * Design note
 * -----------
 * The machines this project is tested on are full VMs with /proc/sys
 * read-only even for root, so the hosts users run on are rebuilt around
 * one process instead, in this order (each step needs what the previous
 * left):
 *
 *   --mask-proc     a private mount namespace in which Docker's masked
 *                   /proc paths are covered (/dev/null over files, an
 *                   empty read-only tmpfs over directories) and /proc/sys
 *                   and friends are read-only. Overmounts of /proc make
 *                   the kernel refuse a fresh proc mount in any user
 *                   namespace below (mnt_too_revealing): a container
 *                   whose /proc is masked.
 *   --userns MAP    a user namespace (with a mount namespace of its own,
 *                   which locks the masks above) whose uid and gid maps
 *                   are MAP: extents "inside outside count" separated by
 *                   commas. "0 0 1" is rootless Podman without a
 *                   subordinate range; "0 0 1,1000 100000 65536" is one
 *                   with it. The gid map is the same unless --gidmap
 *                   says otherwise. The launcher is uid 0 inside.
 *   --max-userns N  write user.max_user_namespaces in that namespace (the
 *                   sysctl is per user namespace): 0 is a host without
 *                   (nested) unprivileged user namespaces.
 *   --docker-seccomp  a filter like Docker's default profile: the
 *                   namespace flags of clone and unshare, setns, mount,
 *                   umount2, pivot_root and the new mount API are EPERM,
 *                   clone3 is ENOSYS (so callers fall back to clone),
 *                   and keyctl, bpf, perf_event_open, userfaultfd and
 *                   add_key are EPERM too. Installed before the
 *                   capabilities go: it needs CAP_SYS_ADMIN or
 *                   no_new_privs, and Docker does not set the latter.
 *   --docker-caps   keep only Docker's default capabilities (no
 *                   CAP_SYS_ADMIN among them) in every set.
 *   --user UID:GID  drop to that uid and gid (no supplementary groups).
 *
 * Then COMMAND is executed (PATH is searched). Every failure is a clear
 * message and exit 125, so a test can tell the launcher's own error from
 * the command's.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define LAUNCH_FAIL 125

__attribute__((noreturn, format(printf, 1, 2))) static void
die(const char *fmt, ...)
{
	va_list ap;

	fputs("gao-launch: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(LAUNCH_FAIL);
}

/* Docker's masked and read-only /proc paths (its default spec). */
static const char *const masked[] = {
	"/proc/acpi",       "/proc/asound",      "/proc/interrupts",
	"/proc/kcore",      "/proc/keys",        "/proc/latency_stats",
	"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
	"/proc/scsi",       "/sys/firmware",     "/proc/sysrq-trigger",
};
static const char *const read_only[] = {
	"/proc/bus",
	"/proc/fs",
	"/proc/irq",
	"/proc/sys",
};

static void
mask_proc(void)
{
	struct stat st;

	if (unshare(CLONE_NEWNS) < 0)
		die("unshare(CLONE_NEWNS): %s", strerror(errno));
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		die("making / private: %s", strerror(errno));
	for (size_t i = 0; i < sizeof(masked) / sizeof(masked[0]); i++) {
		const char *p = masked[i];

		if (stat(p, &st) < 0)
			continue; /* this kernel has no such file */
		if (S_ISDIR(st.st_mode) ?
			    mount("tmpfs", p, "tmpfs", MS_RDONLY, "size=0") :
			    mount("/dev/null", p, NULL, MS_BIND, NULL))
			die("masking %s: %s", p, strerror(errno));
	}
	for (size_t i = 0; i < sizeof(read_only) / sizeof(read_only[0]); i++) {
		const char *p = read_only[i];

		if (stat(p, &st) < 0)
			continue;
		if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0 ||
		    mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY,
			  NULL) < 0)
			die("making %s read-only: %s", p, strerror(errno));
	}
}

static void
write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t n = strlen(text);

	if (fd < 0 || write(fd, text, n) != (ssize_t)n)
		die("writing %s: %s", path, strerror(errno));
	close(fd);
}

/* "a b c,d e f" -> "a b c\nd e f\n" */
static void
map_text(const char *map, char *out, size_t cap)
{
	size_t n = 0;

	for (const char *p = map; *p && n + 2 < cap; p++)
		out[n++] = (char)(*p == ',' ? '\n' : *p);
	out[n++] = '\n';
	out[n] = 0;
}

/*
 * A user namespace with the given maps: a helper child, still outside,
 * writes them once we have unshared (only a process with CAP_SETUID in
 * the parent namespace may map ids other than its own).
 */
static void
enter_userns(const char *map, const char *gidmap)
{
	char text[4096], gtext[4096], path[64];
	int go[2], done[2];
	pid_t parent = getpid(), pid;
	char c = 0;
	int status;

	map_text(map, text, sizeof(text));
	map_text(gidmap ? gidmap : map, gtext, sizeof(gtext));
	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(done, O_CLOEXEC) < 0)
		die("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)parent);
		write_file(path, text);
		snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)parent);
		write_file(path, gtext);
		_exit(0);
	}
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
		die("unshare(CLONE_NEWUSER|CLONE_NEWNS): %s", strerror(errno));
	if (write(go[1], "g", 1) != 1 || waitpid(pid, &status, 0) != pid ||
	    !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		die("writing the maps \"%s\" failed", map);
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		die("becoming root in the user namespace (is 0 mapped?): %s",
		    strerror(errno));
}

static void
docker_seccomp(void)
{
	static const int eperm[] = {
		SCMP_SYS(unshare),       SCMP_SYS(setns),
		SCMP_SYS(mount),         SCMP_SYS(umount2),
		SCMP_SYS(pivot_root),    SCMP_SYS(open_tree),
		SCMP_SYS(move_mount),    SCMP_SYS(fsopen),
		SCMP_SYS(fsmount),       SCMP_SYS(fsconfig),
		SCMP_SYS(mount_setattr), SCMP_SYS(keyctl),
		SCMP_SYS(add_key),       SCMP_SYS(request_key),
		SCMP_SYS(bpf),           SCMP_SYS(perf_event_open),
		SCMP_SYS(userfaultfd),
	};
	static const unsigned long ns_flags[] = {
		CLONE_NEWNS,  CLONE_NEWUTS, CLONE_NEWIPC,    CLONE_NEWUSER,
		CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP,
	};
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int rc = ctx ? 0 : -ENOMEM;

	for (size_t i = 0; rc == 0 && i < sizeof(eperm) / sizeof(eperm[0]); i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), eperm[i], 0);
	for (size_t i = 0;
	     rc == 0 && i < sizeof(ns_flags) / sizeof(ns_flags[0]); i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
				      SCMP_SYS(clone), 1,
				      SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags[i],
					      ns_flags[i]));
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS),
				      SCMP_SYS(clone3), 0);
	if (rc == 0)
		rc = seccomp_load(ctx);
	if (ctx)
		seccomp_release(ctx);
	if (rc < 0)
		die("the Docker-like seccomp filter: %s", strerror(-rc));
}

/* Docker's default capability set. */
static const int docker_caps[] = {
	CAP_CHOWN,   CAP_DAC_OVERRIDE, CAP_FSETID,           CAP_FOWNER,
	CAP_MKNOD,   CAP_NET_RAW,      CAP_SETGID,           CAP_SETUID,
	CAP_SETFCAP, CAP_SETPCAP,      CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT,
	CAP_KILL,    CAP_AUDIT_WRITE,
};

static void
keep_docker_caps(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3,
						0 };
	struct __user_cap_data_struct data[2];
	uint64_t keep = 0;

	for (size_t i = 0; i < sizeof(docker_caps) / sizeof(docker_caps[0]);
	     i++)
		keep |= 1ull << docker_caps[i];
	for (unsigned long c = 0; c < 64; c++)
		if (!(keep & (1ull << c)) &&
		    prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			die("PR_CAPBSET_DROP %lu: %s", c, strerror(errno));
	if (syscall(SYS_capget, &hdr, data) < 0)
		die("capget: %s", strerror(errno));
	for (int i = 0; i < 2; i++) {
		uint32_t k = (uint32_t)(keep >> (32 * i));

		data[i].effective &= k;
		data[i].permitted &= k;
		data[i].inheritable &= k;
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		die("capset: %s", strerror(errno));
}

static void
become(const char *spec)
{
	unsigned long uid, gid;
	char *end;

	uid = strtoul(spec, &end, 10);
	if (*end != ':')
		die("--user wants UID:GID, not %s", spec);
	gid = strtoul(end + 1, &end, 10);
	if (*end || uid == 0 || gid == 0)
		die("--user wants a non-root UID:GID, not %s", spec);
	if (setgroups(0, NULL) < 0 ||
	    setresgid((gid_t)gid, (gid_t)gid, (gid_t)gid) < 0 ||
	    setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid) < 0)
		die("becoming %s: %s", spec, strerror(errno));
}

int
main(int argc, char **argv)
{
	const char *userns = NULL, *gidmap = NULL, *max_userns = NULL;
	const char *user = NULL;
	bool mask = false, seccomp = false, caps = false;
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--mask-proc") == 0)
			mask = true;
		else if (strcmp(argv[i], "--docker-seccomp") == 0)
			seccomp = true;
		else if (strcmp(argv[i], "--docker-caps") == 0)
			caps = true;
		else if (strcmp(argv[i], "--userns") == 0 && i + 1 < argc)
			userns = argv[++i];
		else if (strcmp(argv[i], "--gidmap") == 0 && i + 1 < argc)
			gidmap = argv[++i];
		else if (strcmp(argv[i], "--max-userns") == 0 && i + 1 < argc)
			max_userns = argv[++i];
		else if (strcmp(argv[i], "--user") == 0 && i + 1 < argc)
			user = argv[++i];
		else
			die("unknown option %s (see the head of launch.c)",
			    argv[i]);
	}
	if (i + 1 >= argc)
		die("usage: gao-launch [OPTIONS] -- COMMAND [ARGS...]");
	if (mask)
		mask_proc();
	if (userns)
		enter_userns(userns, gidmap);
	if (max_userns) {
		char text[32];

		if (!userns)
			die("--max-userns needs --userns (the sysctl of a "
			    "namespace of our own)");
		snprintf(text, sizeof(text), "%s\n", max_userns);
		write_file("/proc/sys/user/max_user_namespaces", text);
	}
	if (seccomp)
		docker_seccomp();
	if (caps)
		keep_docker_caps();
	if (user)
		become(user);
	execvp(argv[i + 1], argv + i + 1);
	die("%s: %s", argv[i + 1], strerror(errno));
}
