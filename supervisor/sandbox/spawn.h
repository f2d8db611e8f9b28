/*
 * spawn.h - start a gao-dev-worker: fork + execve with the fixed fd map.
 */
#ifndef GAO_SUPERVISOR_SPAWN_H
#define GAO_SUPERVISOR_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "supervisor/sandbox/cgroup.h"

struct spawn_opts {
	int worker_fd;            /* O_PATH/O_RDONLY fd of gao-dev-worker */
	int project_fd;           /* O_DIRECTORY fd of the project */
	const char *project_path; /* reopened in a new mount namespace */
	const char *tmp_path;     /* the worker's private tmp (or NULL) */
	const char *ro_path;      /* one more directory it reads (or NULL) */
	char *const *envp;        /* the worker's whole environment */
	int ns_flags;             /* CLONE_NEW* to create; 0 for none */
	bool private_tmp;         /* a tmpfs on /tmp (with CLONE_NEWNS) */
	/* With CLONE_NEWNS, the worker's minimal root (spawn_root.h) is
	 * built from these (the policy's read-only paths), the project,
	 * tmp_path and ro_path; false: the host's tree with a private
	 * /proc and /tmp (and the view of spawn_view.h). */
	bool minimal_root;
	char *const *root_ro_paths;
	size_t n_root_ro;
	char *const *root_rw_paths; /* the policy's read-write paths */
	size_t n_root_rw;
	/* run as uid/gid below (when root); root that does not drop its
	 * uid (no separate uid mapped, uidmap.h) drops every capability */
	bool drop_uid;
	uid_t uid;
	gid_t gid;
	uint64_t nproc_limit; /* RLIMIT_NPROC set before exec; 0 = leave */
	/* the run's cgroup (cgroup_procs_fds()): the child writes "0" into
	 * each before anything else; 0 fds = no cgroup */
	int cgroup_fds[CGROUP_MAX_FDS];
	int n_cgroup_fds;
};

struct spawn_child {
	pid_t pid;
	int req_fd;      /* write end: frames to the worker (non-blocking) */
	int res_fd;      /* read end: frames from the worker (non-blocking) */
	int log_fd;      /* read end: the worker's stderr (non-blocking) */
	uint32_t layers; /* msg_layer bits set up at spawn (namespaces, uid) */
};

/*
 * spawn_worker - start one worker.
 * Returns 0 and fills *out (the caller owns the three fds and must reap
 * pid), or a negative errno with a message in err: the exec failed, or
 * the kernel refused the namespaces asked for (the caller may retry with
 * fewer), or a path the worker needs lies below a directory its uid
 * cannot search and there is no mount namespace to make it reachable in
 * (spawn_view.h), or the minimal root could not be built in the mount
 * namespace (spawn_root.h; never a fallback to the host's tree). Between
 * fork and execve the child makes only async-signal-safe calls: joining
 * the run's cgroup, setsid,
 * the fd map (fdmap.h), close_range, PDEATHSIG, the namespace mounts and
 * the minimal root (or the project view), core limit 0, no_new_privs, the
 * uid drop (or, as root keeping its uid, the drop of every capability),
 * execveat. The layers reported include MSG_LAYER_MIN_ROOT
 * exactly when the root was built.
 */
int spawn_worker(const struct spawn_opts *o, struct spawn_child *out, char *err,
		 size_t errlen);

/* Close the fds of *c (not the process). */
void spawn_child_close(struct spawn_child *c);

#endif
