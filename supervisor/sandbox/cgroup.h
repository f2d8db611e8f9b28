/*
 * cgroup.h - one cgroup per run: the run's memory and process totals.
 *
 * Design note
 * -----------
 * rlimits cap one process (RLIMIT_AS) or one uid (RLIMIT_NPROC); a run's
 * total needs a cgroup that holds every worker of the run and everything
 * they start. cgroup_create() makes one below the supervisor's own cgroup
 * (gao-dev-<name>), sets its limits, and opens its cgroup.procs files;
 * spawn.c hands those fds to each worker's child, which writes "0" into
 * them (itself) before it does anything else, so the worker and all its
 * descendants are counted from their first instruction. cgroup_destroy()
 * kills what is left (cgroup.kill where the kernel has it, else SIGKILL to
 * every pid listed until none is) and removes the directories.
 *
 * What the host offers is read, never assumed: /proc/self/cgroup says
 * where the supervisor is in each hierarchy and /proc/self/mountinfo where
 * each hierarchy is mounted.
 *
 *   v1   the "memory" and "pids" hierarchies, each separately:
 *        memory.limit_in_bytes (and memory.memsw.limit_in_bytes when swap
 *        is accounted, so swap does not extend the cap) and pids.max.
 *   v2   the unified hierarchy, used when no v1 hierarchy has memory or
 *        pids. Its no-internal-processes rule: a cgroup whose children get
 *        controllers holds no process itself. When the supervisor's
 *        cgroup lists the controllers in cgroup.controllers but has not
 *        enabled them for its children, and the supervisor is its only
 *        process, the supervisor moves itself into a leaf of its own
 *        (gao-dev-supervisor-<pid>) and enables exactly the controllers it
 *        needs ("+memory", "+pids") in cgroup.subtree_control. The run's
 *        cgroup is a leaf: memory.max, memory.swap.max = 0, pids.max.
 *
 * A hierarchy that is absent, read-only, or not delegated to the
 * supervisor's uid means that cap cannot be enforced here; the caller
 * decides whether that is an error (a cap asked for explicitly) or a
 * warning (a default). The paths to read are parameters (struct
 * cgroup_src), so the v2 path, which this project's CI hosts (v1) cannot
 * run, is tested against a fake tree of plain files
 * (tests/unit/test_cgroup.c).
 */
#ifndef GAO_SUPERVISOR_CGROUP_H
#define GAO_SUPERVISOR_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Controllers, as bits of cgroup_enforced(). */
enum cgroup_ctl {
	CGROUP_MEMORY = 1u << 0,
	CGROUP_PIDS = 1u << 1,
};

#define CGROUP_MAX_FDS 2 /* v1: memory and pids; v2: one */

/* Where to look: the real host, or a test's fake tree. */
struct cgroup_src {
	const char *proc_cgroup; /* "/proc/self/cgroup" */
	const char *mountinfo;   /* "/proc/self/mountinfo" */
	pid_t self;              /* the supervisor's pid (v2 leaf move) */
	bool fake; /* a tree of plain files: control files are created when
		    * written (a real cgroupfs makes them itself) */
};

/* What to cap; 0 = no cap of that kind. */
struct cgroup_caps {
	uint64_t memory_bytes;
	uint64_t pids;
};

struct cgroup;

/* The host's paths (/proc/self/...) and pid. */
void cgroup_src_host(struct cgroup_src *src);

/*
 * cgroup_create - make the run's cgroup gao-dev-<name> for the caps asked
 * (name: [a-z0-9-], at most 160 bytes). Returns 0 and *out when at least
 * one asked cap is in force (cgroup_enforced() says which), and *out NULL
 * when none is or none was asked. Whenever an asked cap is not in force,
 * err holds what is missing and the fix (else err is ""). A negative
 * errno only for bad arguments or ENOMEM. The caller owns *out
 * (cgroup_destroy).
 */
int cgroup_create(const struct cgroup_src *src, const char *name,
		  const struct cgroup_caps *caps, struct cgroup **out,
		  char *err, size_t errlen);

/* Bits of enum cgroup_ctl in force; 0 for NULL. */
uint32_t cgroup_enforced(const struct cgroup *cg);

/* "v1" or "v2" (static); "none" for NULL. */
const char *cgroup_kind(const struct cgroup *cg);

/*
 * cgroup_procs_fds - the cgroup.procs fds a new process writes "0" into
 * to join the run's cgroup (borrowed: valid until cgroup_destroy; opened
 * O_WRONLY | O_CLOEXEC by the supervisor, so the kernel checks the
 * supervisor's credentials, not the child's). Returns how many (0 for
 * NULL), at most CGROUP_MAX_FDS, written to fds.
 */
int cgroup_procs_fds(const struct cgroup *cg, int fds[CGROUP_MAX_FDS]);

/*
 * cgroup_raise_pids - make pids.max at least n (a phase whose policy
 * allows more processes); never lowers it. 0, or -errno. A no-op
 * without the pids controller.
 */
int cgroup_raise_pids(struct cgroup *cg, uint64_t n);

/*
 * cgroup_destroy - kill every process still in the run's cgroup, remove
 * its directories, close the fds and free. Waits at most about two
 * seconds for the kernel to let go of dying processes; a directory that
 * cannot be removed by then is left (its limits still hold). NULL is a
 * no-op. Returns 0, or -errno of the first removal that failed.
 */
int cgroup_destroy(struct cgroup *cg);

/*
 * cgroup_dir - the path of the run's directory i (0 <= i < n), borrowed
 * until cgroup_destroy; n (how many) into *n when n is not NULL. NULL
 * for a NULL cg or an i out of range. The run records them
 * (runs/<run_id>/cgroups) so that `runs list --prune` finds the cgroup of
 * a run whose supervisor died.
 */
const char *cgroup_dir(const struct cgroup *cg, int i, int *n);

/*
 * cgroup_remove_stale - remove the cgroup directory dir that a dead
 * supervisor left for the run called name: only when dir is absolute,
 * has no "." or ".." component, is named gao-dev-<name> and is a
 * directory on a cgroup or cgroup2 file system (statfs). The processes
 * still in it are killed first, as cgroup_destroy does; how many were
 * listed goes to *killed. 1 removed, 0 nothing there (ENOENT), or
 * -errno with err saying why (EINVAL: not a gao-dev cgroup of that run;
 * EBUSY: processes would not die).
 */
int cgroup_remove_stale(const char *dir, const char *name, int *killed,
			char *err, size_t errlen);

#endif
