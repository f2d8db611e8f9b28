/*
 * spawn.c - fork + execve a worker with nothing inherited.
 *
 * Design note
 * -----------
 * The child gets exactly the fd map of proto/fdmap.h and an explicit
 * envp: no inherited fd, environment variable or signal disposition
 * reaches the worker. Because execve replaces the whole address space, no
 * byte of the supervisor's memory (the API key included) survives into the
 * worker; the key's pages are also MADV_DONTFORK (secret.c), so they are
 * not even mapped in the short-lived child between fork and exec.
 *
 * Failures in the child are reported through a close-on-exec pipe: either
 * the pipe closes without data (execve succeeded) or it carries the errno
 * and the step that failed.
 */
#include "supervisor/sandbox/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/io.h"
#include "proto/fdmap.h"
#include "proto/msg.h"
#include "supervisor/sandbox/spawn_ns.h"
#include "supervisor/sandbox/spawn_root.h"
#include "supervisor/sandbox/spawn_view.h"

#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

enum spawn_step {
	STEP_SETSID = 1,
	STEP_FDMAP,
	STEP_CLOSE,
	STEP_PDEATH,
	STEP_RLIMIT,
	STEP_UID,
	STEP_NNP,
	STEP_VIEW,
	STEP_ROOT,
	STEP_EXEC,
	STEP_CGROUP,
	STEP_CAPS,
};

static const char *const step_names[] = {
	"",
	"setsid",
	"fd map",
	"close_range",
	"PR_SET_PDEATHSIG",
	"setrlimit",
	"dropping the uid",
	"PR_SET_NO_NEW_PRIVS",
	("making the project reachable below a directory others cannot "
	 "search (needs a mount namespace)"),
	"building the minimal root (tmpfs, binds, pivot_root)",
	"execve",
	"joining the run's cgroup",
	"dropping every capability",
};

struct child_args {
	const struct spawn_opts *o;
	int src[FDMAP_COUNT]; /* what becomes fd i in the child */
	int errfd;
	int syncfd;  /* user namespace: wait until the maps exist */
	int sync_w;  /* the parent's end, closed in the child */
	int ready_w; /* child -> parent: ready for the maps */
	int ready_r;
	pid_t parent;
	struct spawn_view view;  /* bind mounts below blocked directories */
	struct spawn_root *root; /* the minimal root, or NULL */
};

/* What the child reports on the error pipe: the layers it set up just
 * before execve, or the step that failed. */
struct child_msg {
	int kind; /* 0 = layers, 1 = failure */
	int a;    /* layers, or the step */
	int b;    /* errno */
};

/* Report a failed step to the parent and exit. Async-signal-safe. */
__attribute__((noreturn)) static void
child_fail(int errfd, int step)
{
	struct child_msg msg = { 1, step, errno };

	if (write(errfd, &msg, sizeof(msg)) < 0)
		_exit(127);
	_exit(127);
}

/* Put src[i] at fd i for every i, whatever the numbers overlap. */
static int
child_fdmap(struct child_args *a)
{
	int high[FDMAP_COUNT];

	for (int i = 0; i < FDMAP_COUNT; i++) {
		high[i] = fcntl(a->src[i], F_DUPFD_CLOEXEC, 64);
		if (high[i] < 0)
			return -1;
	}
	for (int i = 0; i < FDMAP_COUNT; i++)
		if (dup2(high[i], i) < 0) /* dup2 clears FD_CLOEXEC on i */
			return -1;
	return 0;
}

/* The namespace's mounts, the project view below blocked directories and
 * the project fd reopened inside: the layers achieved. */
static uint32_t
child_mounts(struct child_args *a)
{
	const struct spawn_opts *o = a->o;
	uint32_t layers;
	bool fresh_proc;

	if (a->view.n_masks && spawn_view_child_open(&a->view) < 0)
		child_fail(a->errfd, STEP_VIEW);
	layers = spawn_ns_child_setup(o->ns_flags, o->private_tmp, !a->root);
	if (a->root) {
		/* a layer the kernel offers that fails to build is fatal */
		errno = EACCES;
		if (!(layers & MSG_LAYER_NS_MOUNT) ||
		    spawn_root_child_build(a->root, o->ns_flags & CLONE_NEWPID,
					   &fresh_proc) < 0)
			child_fail(a->errfd, STEP_ROOT);
		layers |= MSG_LAYER_MIN_ROOT;
		if (fresh_proc)
			layers |= MSG_LAYER_NS_PID;
	} else if (a->view.n_masks) {
		/* only in a namespace whose mounts are private: never on
		 * the host */
		errno = EACCES;
		if (!(layers & MSG_LAYER_NS_MOUNT) ||
		    spawn_view_child_apply(&a->view) < 0)
			child_fail(a->errfd, STEP_VIEW);
	}
	/* The project fd came from the parent's mount namespace: opened
	 * again here, so that getcwd() in the worker resolves. */
	if ((o->ns_flags & CLONE_NEWNS) && o->project_path) {
		int pfd = open(o->project_path,
			       O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);

		if (pfd < 0)
			child_fail(a->errfd, STEP_FDMAP);
		a->src[FDMAP_PROJECT] = pfd;
	}
	return layers;
}

/* Core limit 0, the process limit, the uid drop (and the parent-death
 * signal again after it): the layers achieved. */
/* Root that keeps uid 0 (no separate uid is mapped in this user
 * namespace, uidmap.h): no capability in any set, none regained by
 * execve (an empty bounding set, SECBIT_NOROOT), all of it locked. */
static int
drop_all_caps(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3,
						0 };
	struct __user_cap_data_struct data[2] = { { 0, 0, 0 }, { 0, 0, 0 } };
	const unsigned long bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED |
				   SECBIT_NO_SETUID_FIXUP |
				   SECBIT_NO_SETUID_FIXUP_LOCKED |
				   SECBIT_KEEP_CAPS_LOCKED |
				   SECBIT_NO_CAP_AMBIENT_RAISE |
				   SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;

	if (prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) < 0)
		return -1;
	for (unsigned long c = 0; c < 64; c++)
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			return -1;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
	    errno != EINVAL)
		return -1;
	return (int)syscall(SYS_capset, &hdr, data);
}

static uint32_t
child_limits_and_uid(struct child_args *a)
{
	const struct spawn_opts *o = a->o;
	struct rlimit zero = { 0, 0 }, nproc;
	uint32_t layers = 0;

	if (setrlimit(RLIMIT_CORE, &zero) < 0)
		child_fail(a->errfd, STEP_RLIMIT);
	nproc.rlim_cur = nproc.rlim_max = o->nproc_limit;
	if (o->nproc_limit && setrlimit(RLIMIT_NPROC, &nproc) < 0)
		child_fail(a->errfd, STEP_RLIMIT);
	if (!o->drop_uid) {
		if (geteuid() == 0 && drop_all_caps() < 0)
			child_fail(a->errfd, STEP_CAPS);
		return 0;
	}
	if (o->uid == 0 || o->gid == 0)
		child_fail(a->errfd, STEP_UID); /* never "drop" to root */
	if (setgroups(0, NULL) < 0 || setresgid(o->gid, o->gid, o->gid) < 0 ||
	    setresuid(o->uid, o->uid, o->uid) < 0)
		child_fail(a->errfd, STEP_UID);
	layers |= MSG_LAYER_UNPRIVILEGED_UID;
	/* a change of credentials clears the parent-death signal: set it
	 * again, and make sure the supervisor did not die meanwhile */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		child_fail(a->errfd, STEP_PDEATH);
	if (getppid() != a->parent && !(o->ns_flags & CLONE_NEWPID))
		_exit(127);
	return layers;
}

/* Join the run's cgroup: "0" is the writer itself, and the fd was opened
 * by the supervisor, whose credentials the kernel checks. Everything the
 * worker starts inherits the cgroup. The layer, or 0 without a cgroup. */
static uint32_t
child_cgroup(struct child_args *a)
{
	const struct spawn_opts *o = a->o;

	for (int i = 0; i < o->n_cgroup_fds && i < CGROUP_MAX_FDS; i++)
		if (write(o->cgroup_fds[i], "0", 1) != 1)
			child_fail(a->errfd, STEP_CGROUP);
	return o->n_cgroup_fds > 0 ? MSG_LAYER_CGROUP : 0;
}

__attribute__((noreturn)) static void
child_main(struct child_args *a)
{
	const struct spawn_opts *o = a->o;
	char *const argv[] = { "gao-dev-worker", NULL };
	sigset_t none;
	uint32_t layers, cg_layer;
	int errfd, exe;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	cg_layer = child_cgroup(a);
	if (setsid() < 0)
		child_fail(a->errfd, STEP_SETSID);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		child_fail(a->errfd, STEP_PDEATH);
	/* in a new PID namespace the parent is outside: getppid() is 0 */
	if (getppid() != a->parent && !(o->ns_flags & CLONE_NEWPID))
		_exit(127); /* the supervisor died before we got here */
	if (o->ns_flags & CLONE_NEWUSER) {
		char c;

		/* The parent writes our uid_map through /proc/<pid>, which a
		 * non-dumpable process keeps root-owned. The key's pages are
		 * MADV_DONTFORK (not in this process), and execve follows
		 * within microseconds; the worker is dumpable anyway. */
		prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
		close(a->sync_w);
		close(a->ready_r);
		if (write(a->ready_w, "r", 1) != 1 ||
		    read(a->syncfd, &c, 1) != 1)
			_exit(127);
	}
	layers = child_mounts(a);
	layers |= child_limits_and_uid(a) | cg_layer;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		child_fail(a->errfd, STEP_NNP);
	/* move the error pipe and the binary out of the map's way */
	errfd = fcntl(a->errfd, F_DUPFD_CLOEXEC, 64);
	if (errfd < 0)
		child_fail(a->errfd, STEP_FDMAP);
	a->errfd = errfd;
	exe = fcntl(o->worker_fd, F_DUPFD_CLOEXEC, 64);
	if (exe < 0 || child_fdmap(a) < 0)
		child_fail(a->errfd, STEP_FDMAP);
	/* Everything above the map is closed by execve: the error pipe and
	 * the worker binary's fd stay usable until then. */
	if (syscall(SYS_close_range, FDMAP_COUNT, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		child_fail(a->errfd, STEP_CLOSE);
	struct child_msg ok = { 0, (int)layers, 0 };

	if (write(a->errfd, &ok, sizeof(ok)) != (ssize_t)sizeof(ok))
		child_fail(a->errfd, STEP_FDMAP);
	syscall(SYS_execveat, exe, "", argv, o->envp, AT_EMPTY_PATH);
	child_fail(a->errfd, STEP_EXEC);
}

/* Pipes: [0] requests, [1] results, [2] log, [3] exec errors, [4] maps
 * written (parent -> child), [5] ready for the maps (child -> parent). */
static int
make_pipes(int p[6][2])
{
	for (int i = 0; i < 6; i++) {
		if (pipe2(p[i], O_CLOEXEC) < 0)
			return -errno;
	}
	return 0;
}

static void
close_pipes(int p[6][2])
{
	for (int i = 0; i < 6; i++)
		for (int j = 0; j < 2; j++)
			if (p[i][j] >= 0)
				close(p[i][j]);
}

/* Read the child's reports until the pipe closes at execve. The last
 * one counts: layers (success) or the failed step. 0 or -errno. */
static int
exec_verdict(int errfd, pid_t pid, uint32_t *layers, char *err, size_t errlen)
{
	struct child_msg msg = { -1, 0, 0 }, m;
	ssize_t n;

	for (;;) {
		n = io_read(errfd, &m, sizeof(m));
		if (n != (ssize_t)sizeof(m))
			break;
		msg = m;
	}
	if (msg.kind == 0 && n == 0) {
		*layers = (uint32_t)msg.a;
		return 0;
	}
	io_waitpid(pid, NULL, 0); /* it exits right after its report */
	if (msg.kind != 1 || msg.a < 1 || msg.a > STEP_CAPS) {
		snprintf(err, errlen, "worker failed before exec");
		return -EIO;
	}
	snprintf(err, errlen, "starting the worker: %s: %s", step_names[msg.a],
		 strerror(msg.b));
	return msg.b ? -msg.b : -EIO;
}

/* As root (the worker drops its uid): plan the bind mounts that make its
 * paths reachable below directories others cannot search. */
static int
plan_view(const struct spawn_opts *o, struct spawn_view *v, char *err,
	  size_t errlen)
{
	struct spawn_view_path p[] = {
		{ o->project_path, false },
		{ o->tmp_path, false },
		{ o->ro_path, true },
	};
	int rc = spawn_view_plan(v, p, o->drop_uid ? 3 : 0);

	if (rc < 0)
		snprintf(err, errlen, "worker paths: %s", strerror(-rc));
	return rc < 0 ? rc : 0;
}

/* With a mount namespace: plan the minimal root (it makes every path
 * reachable, so no view is needed then). */
static int
plan_root(const struct spawn_opts *o, struct child_args *a, char *err,
	  size_t errlen)
{
	struct spawn_root_opts ro = {
		.ro_paths = o->root_ro_paths,
		.n_ro = o->n_root_ro,
		.rw_paths = o->root_rw_paths,
		.n_rw = o->n_root_rw,
		.project = o->project_path,
		.tmp = o->tmp_path,
		.extra_ro = o->ro_path,
	};
	int rc;

	if (!o->minimal_root || !(o->ns_flags & CLONE_NEWNS))
		return plan_view(o, &a->view, err, errlen);
	rc = spawn_root_plan(&ro, &a->root);
	if (rc > 0) /* the policy grants the whole tree */
		return plan_view(o, &a->view, err, errlen);
	if (rc < 0)
		snprintf(err, errlen, "the worker's minimal root: %s",
			 strerror(-rc));
	memset(&a->view, 0, sizeof(a->view));
	return rc < 0 ? rc : 0;
}

static int
set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ? -errno : 0;
}

int
spawn_worker(const struct spawn_opts *o, struct spawn_child *out, char *err,
	     size_t errlen)
{
	struct child_args a = { .o = o, .parent = getpid() };
	int p[6][2] = { { -1, -1 }, { -1, -1 }, { -1, -1 },
			{ -1, -1 }, { -1, -1 }, { -1, -1 } };
	int devnull, rc, maps_rc = 0;
	pid_t pid;

	memset(out, 0, sizeof(*out));
	out->req_fd = out->res_fd = out->log_fd = -1;
	if (plan_root(o, &a, err, errlen) < 0)
		return -EINVAL;
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	rc = devnull < 0 ? -errno : make_pipes(p);
	if (rc < 0) {
		snprintf(err, errlen, "worker pipes: %s", strerror(-rc));
		goto fail;
	}
	a.src[0] = a.src[1] = devnull;
	a.src[FDMAP_LOG] = p[2][1];
	a.src[FDMAP_REQ] = p[0][0];
	a.src[FDMAP_RES] = p[1][1];
	a.src[FDMAP_PROJECT] = o->project_fd;
	a.errfd = p[3][1];
	a.syncfd = p[4][0];
	a.sync_w = p[4][1];
	a.ready_w = p[5][1];
	a.ready_r = p[5][0];
	pid = (pid_t)syscall(SYS_clone, SIGCHLD | o->ns_flags, NULL, NULL, NULL,
			     NULL);
	if (pid < 0) {
		rc = -errno;
		snprintf(err, errlen, "clone: %s", strerror(errno));
		goto fail;
	}
	if (pid == 0)
		child_main(&a);
	close(p[3][1]);
	p[3][1] = -1;
	if (o->ns_flags & CLONE_NEWUSER) {
		char c = 0;

		close(p[5][1]);
		p[5][1] = -1;
		maps_rc = read(p[5][0], &c, 1) == 1 ? 0 : -ECHILD;
		if (maps_rc == 0)
			maps_rc = spawn_ns_write_maps(pid, getuid(), getgid());
		/* the child goes on, or dies on the closed pipe */
		if (maps_rc == 0 && write(p[4][1], "x", 1) != 1)
			maps_rc = -EPIPE;
		close(p[4][1]);
		p[4][1] = -1;
	}
	rc = exec_verdict(p[3][0], pid, &out->layers, err, errlen);
	if (rc < 0 && maps_rc < 0) {
		/* the child died because its id maps could not be written */
		snprintf(err, errlen,
			 "starting the worker: user namespace id "
			 "maps: %s",
			 strerror(-maps_rc));
		rc = maps_rc;
	}
	if (rc < 0)
		goto fail;
	out->pid = pid;
	out->req_fd = p[0][1];
	out->res_fd = p[1][0];
	out->log_fd = p[2][0];
	p[0][1] = p[1][0] = p[2][0] = -1;
	if (set_nonblock(out->req_fd) || set_nonblock(out->res_fd) ||
	    set_nonblock(out->log_fd)) {
		/* cannot happen on pipes; the caller kills and reaps */
		snprintf(err, errlen, "worker pipes: O_NONBLOCK failed");
		rc = -EIO;
	}
fail:
	if (devnull >= 0)
		close(devnull);
	close_pipes(p);
	spawn_root_free(a.root);
	return rc;
}

void
spawn_child_close(struct spawn_child *c)
{
	int *fds[] = { &c->req_fd, &c->res_fd, &c->log_fd };

	for (int i = 0; i < 3; i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}
