/*
 * child.h - waiting for child processes on the event loop.
 *
 * Design note
 * -----------
 * The supervisor runs many workers at once (--jobs N) on one thread, so
 * no stop or reap may block: one worker slow to die must not stall the
 * other runs. A watched child's pidfd (pidfd_open, Linux 5.3) joins the
 * loop's epoll set; when it becomes readable the child has exited and is
 * reaped with WNOHANG, and the callback gets its wait status. Where the
 * kernel or a seccomp profile refuses pidfd_open, a 5 ms timer polls
 * waitpid(WNOHANG) instead: still never blocking.
 *
 * At shutdown, child_drain() runs the loop until every child watched on
 * it has been reaped (their kill deadlines still fire), so that nothing
 * a run started outlives gao-dev.
 *
 * Orphans: a worker is a subreaper for what its commands start, but a
 * worker killed outright (a timeout, a cancelled run) leaves its
 * descendants without it. Without a PID namespace (a host without user
 * namespaces, a container's seccomp profile) they would go to init and
 * outlive the run. After child_adopt_orphans() the supervisor is a child
 * subreaper too: whatever a dead worker leaves is handed to it, whatever
 * it did to hide (setsid, double forks). Every child the supervisor
 * starts is either watched here or claimed (child_claim: a live worker,
 * watched only once it ends), so every other child is such an orphan:
 * each time a watched child is reaped, a pass on the loop SIGKILLs the
 * tree of every unwatched child and reaps it (common/reaper.h), again
 * every CHILD_POLL_MS until a pass finds none; child_drain() ends with
 * passes until none is left (at most ORPHAN_DRAIN_MS). What escapes it:
 * only a supervisor killed with SIGKILL, whose orphans go to init.
 */
#ifndef GAO_SUPERVISOR_CHILD_H
#define GAO_SUPERVISOR_CHILD_H

#include <stdint.h>
#include <sys/types.h>

#include "supervisor/core/loop.h"

/* Called once, after the child was reaped; status as from waitpid. */
typedef void (*child_exit_fn)(struct loop *l, pid_t pid, int status, void *ctx);

/*
 * child_watch - call fn when child pid (of this process) exits, and reap
 * it. Returns a watch id (> 0), or 0 when out of memory (the caller may
 * then reap on its own). The loop must outlive the watch: call
 * child_drain() before loop_free().
 */
uint64_t child_watch(struct loop *l, pid_t pid, child_exit_fn fn, void *ctx);

/* Stop watching (the child is not reaped; fn never runs). Unknown ids
 * are ignored. */
void child_cancel(struct loop *l, uint64_t id);

/*
 * child_adopt_orphans - make this process a child subreaper and sweep the
 * orphans it is handed on loop l (see the design note). 0, or -errno
 * (prctl refused; -ENOSYS when /proc does not show this process's PID
 * namespace, so children cannot be listed).
 */
int child_adopt_orphans(struct loop *l);

/*
 * child_claim - pid is a child of ours that is not watched yet (a live
 * worker): the orphan sweep leaves it alone. A later child_watch() of
 * the same pid, or child_unclaim(), ends the claim. 0 or -ENOMEM.
 */
int child_claim(pid_t pid);

/* End a claim (the caller reaped pid itself). Unknown pids are ignored. */
void child_unclaim(pid_t pid);

/* How many orphans the sweep has reaped so far (for tests and logs). */
unsigned long child_orphans_reaped(void);

/* Number of children still watched on l. */
size_t child_pending(const struct loop *l);

/*
 * child_drain - run the loop until every child watched on l has exited
 * and its callback ran (callbacks may watch further children: those are
 * waited for too). Other fds and timers of l are served meanwhile. For
 * shutdown and tests: the caller waits until then.
 */
void child_drain(struct loop *l);

#endif
