/*
 * spawn_ns.c - see spawn_ns.h.
 */
#include "supervisor/sandbox/spawn_ns.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/io.h"
#include "proto/msg.h"

#define ALL_NS \
	(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | \
	 CLONE_NEWUTS)

/*
 * Try the flags once in a throwaway child. With a PID and a mount
 * namespace the child also mounts a fresh /proc (on its own, private
 * copy of /proc): a container whose /proc is masked refuses that in a
 * user namespace, and a PID namespace whose processes the worker's /proc
 * cannot show would blind the worker's reaper (common/reaper.h).
 */
static bool
probe(int flags)
{
	pid_t pid = (pid_t)syscall(SYS_clone, SIGCHLD | flags, NULL, NULL, NULL,
				   NULL);
	int status = 0;

	if (pid < 0)
		return false;
	if (pid == 0) {
		if ((flags & (CLONE_NEWPID | CLONE_NEWNS)) !=
		    (CLONE_NEWPID | CLONE_NEWNS))
			_exit(0);
		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    mount("proc", "/proc", "proc",
			  MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
			_exit(1);
		_exit(0);
	}
	io_waitpid(pid, &status, 0); /* it exits at once */
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int
spawn_ns_flags(bool network)
{
	static int cached = -1;
	int flags;

	if (cached < 0) {
		flags = ALL_NS | (geteuid() == 0 ? 0 : CLONE_NEWUSER);
		if (probe(flags))
			cached = flags;
		else if (probe(flags & ~CLONE_NEWPID))
			cached = flags & ~CLONE_NEWPID; /* no fresh /proc */
		else
			cached = 0;
	}
	flags = cached;
	if (network)
		flags &= ~CLONE_NEWNET;
	return flags;
}

static int
write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -EIO;
}

int
spawn_ns_write_maps(pid_t pid, uid_t uid, gid_t gid)
{
	char path[64], map[64];
	int rc;

	snprintf(path, sizeof(path), "/proc/%d/setgroups", (int)pid);
	rc = write_file(path, "deny");
	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
	snprintf(map, sizeof(map), "%u %u 1", (unsigned)uid, (unsigned)uid);
	if (rc == 0)
		rc = write_file(path, map);
	snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)pid);
	snprintf(map, sizeof(map), "%u %u 1", (unsigned)gid, (unsigned)gid);
	if (rc == 0)
		rc = write_file(path, map);
	return rc;
}

/* ifconfig lo up, with one ioctl pair. Async-signal-safe. */
static bool
loopback_up(void)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (s < 0)
		return false;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, "lo", 3);
	ok = ioctl(s, SIOCGIFFLAGS, &ifr) == 0;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	ok = ok && ioctl(s, SIOCSIFFLAGS, &ifr) == 0;
	close(s);
	return ok;
}

uint32_t
spawn_ns_child_setup(int ns_flags, bool private_tmp, bool fs_mounts)
{
	uint32_t layers = 0;

	if (ns_flags & CLONE_NEWUSER)
		layers |= MSG_LAYER_NS_USER;
	if (ns_flags & CLONE_NEWIPC)
		layers |= MSG_LAYER_NS_IPC;
	if ((ns_flags & CLONE_NEWUTS) && sethostname("gao-sandbox", 11) == 0)
		layers |= MSG_LAYER_NS_UTS;
	if (ns_flags & CLONE_NEWNET) {
		loopback_up();
		layers |= MSG_LAYER_NS_NET;
	}
	if (!(ns_flags & CLONE_NEWNS))
		return layers;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return layers;
	layers |= MSG_LAYER_NS_MOUNT;
	if (!fs_mounts)
		return layers;
	/* /proc of the new PID namespace: other processes are invisible */
	if ((ns_flags & CLONE_NEWPID) &&
	    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL) == 0)
		layers |= MSG_LAYER_NS_PID;
	/* a private /tmp: nothing written there reaches the host */
	if (private_tmp)
		mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV,
		      "mode=1777,size=1g");
	return layers;
}
