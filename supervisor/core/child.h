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
