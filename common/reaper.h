/*
 * reaper.h - find, count and kill the processes a Bash command left.
 *
 * Design note
 * -----------
 * The worker is a child subreaper (PR_SET_CHILD_SUBREAPER): a process
 * whose parent dies is handed to the worker, not to init, whatever it did
 * to hide (setsid, a double fork, nohup, a new process group). So every
 * process a command started is either still below the command or a
 * direct child of the worker, and "everything the worker did not keep"
 * is simply: its children other than the kept ones (background job
 * keepers, bash_jobs.c) and all their descendants.
 *
 * Descendants are read from /proc/<pid>/task/<tid>/children (every thread:
 * a thread's children are listed under that thread), or, where the kernel
 * lacks that file (CONFIG_PROC_CHILDREN), from a scan of every
 * /proc/<pid>/stat for its parent. A walk kills top-down: a process is
 * sent SIGKILL before its children are read. A process with SIGKILL
 * pending cannot complete a fork (the kernel re-checks pending signals
 * under the same lock that links the child in), so its list of children
 * is final once it is killed, and a child forked just before shows up in
 * that list. A child that a killed parent leaves is handed to the worker
 * and found by the next pass; a pass finds fewer processes each time, and
 * the sweep ends when the worker has no child but the kept ones, all
 * reaped (a zombie still counts against RLIMIT_NPROC).
 *
 * Pid reuse: a listed child of a killed process can be reaped only by the
 * worker (its parent is dying and will not wait again), so its pid cannot
 * be recycled before the worker sends its signal; the one window is a
 * parent inside wait() at the very moment it is killed, and a reuse then
 * needs the pid counter to wrap (pid_max) in microseconds.
 *
 * /proc must show this process's PID namespace: reaper_proc_usable()
 * checks that /proc/self is getpid() (a /proc of another namespace would
 * name other processes), and every function here refuses (-ENOSYS)
 * otherwise. Only libc: linked into the worker, and into the supervisor,
 * which is a subreaper too (supervisor/core/child.c: what a killed worker
 * leaves is handed to it).
 */
#ifndef GAO_COMMON_REAPER_H
#define GAO_COMMON_REAPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* At most this many pids in one walk; the rest waits for the next pass. */
#define REAPER_MAX_PIDS 65536

/* Use the scan of /proc/<pid>/stat even where children files exist (for
 * the unit tests of that path). */
void reaper_force_scan(void);

/* Make the caller a child subreaper. 0 or -errno. */
int reaper_init(void);

/* True when /proc shows this process's own PID namespace. */
bool reaper_proc_usable(void);

/* Called for every child the sweep or reaper_reap() reaped. */
typedef void (*reaper_exit_fn)(pid_t pid, int status, void *arg);

/* Reap every exited child without waiting; on_exit (may be NULL) is told. */
void reaper_reap(reaper_exit_fn on_exit, void *arg);

/*
 * SIGKILL every descendant of the caller except the kept children keep[]
 * (direct children) and their descendants, and reap them all, within
 * budget_ms. Children reaped meanwhile (kept ones that exited too) are
 * passed to on_exit. Returns how many processes the first pass found
 * (0: nothing was left), -ETIMEDOUT when some were still there at the
 * budget's end, -ENOSYS when /proc cannot be used, -ENOMEM.
 */
long reaper_sweep(const pid_t *keep, size_t n_keep, uint32_t budget_ms,
		  reaper_exit_fn on_exit, void *arg);

/*
 * reaper_children - the direct children of this process (every thread's),
 * zombies included, into a malloc'd array *out (the caller frees it).
 * How many (>= 0), or -ENOSYS, -ENOMEM.
 */
long reaper_children(pid_t **out);

/* root and its descendants now (>= 1; root 0: the caller's descendants,
 * >= 0), or -ENOSYS, -ENOMEM. */
long reaper_count(pid_t root);

/* SIGKILL root and its descendants, top-down: how many, or -errno. The
 * caller reaps (a later reaper_sweep()). */
long reaper_kill_tree(pid_t root);

#endif
