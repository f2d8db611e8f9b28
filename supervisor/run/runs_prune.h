/*
 * runs_prune.h - remove what an interrupted run left behind.
 *
 * Design note
 * -----------
 * A run whose supervisor died (kill -9, OOM, power) never ran its own
 * cleanup. What it leaves, and what `runs list --prune` does with each:
 *
 *   its cgroup(s)   gao-dev-<run_id> below the supervisor's cgroup in each
 *                   hierarchy, listed by the run in runs/<run_id>/cgroups:
 *                   removed (cgroup_remove_stale: only a directory of that
 *                   name on a cgroup file system; processes still in it
 *                   are killed first, as the run's own end would have).
 *   its tmp         runs/<run_id>/tmp, the workers' private TMPDIR (owned
 *                   by the run's uid as root): removed.
 *   a results temp  results/<run_id>.json.tmp.<pid> of a write cut short:
 *                   removed.
 *   per-run uid     gao-dev writes no file per uid (no /etc/subuid entry,
 *                   nothing under /run): the uid exists only as the owner
 *                   of the run's project and tmp. tmp goes; the project
 *                   is kept, owned by that uid, as a completed run's is.
 *
 * Kept, as the evidence a user wants: events.jsonl, the transcripts and
 * audit logs (agents/, gao-dev.audit.jsonl), git/, diffs/ and the project.
 * The run is marked with runs/<run_id>/pruned (one JSON line: when, what
 * was removed), which the next `runs list` shows.
 *
 * Every step goes through directory fds opened with O_NOFOLLOW from the
 * sandbox root down, and removal is unlinkat() of what fstatat(...,
 * AT_SYMLINK_NOFOLLOW) saw: a symlink is removed as a symlink, never
 * followed (tmp is written by the agent's uid, and a planted link to
 * somewhere else must not become a deletion there). A tree deeper than
 * PRUNE_MAX_DEPTH is left (said so), not followed down.
 */
#ifndef GAO_SUPERVISOR_RUNS_PRUNE_H
#define GAO_SUPERVISOR_RUNS_PRUNE_H

#include <jansson.h>

/* deeper than the project watch measures (MEASURE_MAX_DEPTH, 200) */
#define PRUNE_MAX_DEPTH 256

/*
 * runs_prune - prune the run id: root_fd is the sandbox root, run_fd its
 * runs/<id> (both O_DIRECTORY; borrowed). The caller holds the run's
 * lock (run_lock.h) and has checked it has no results file. Appends to
 * removed a string per thing removed and to problems a string per thing
 * that could not be (both caller-owned arrays), then writes
 * runs/<id>/pruned. 0 when nothing failed, -1 otherwise.
 */
int runs_prune(int root_fd, int run_fd, const char *id, json_t *removed,
	       json_t *problems);

#endif
