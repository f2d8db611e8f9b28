/*
 * bash_jobs.h - the Bash tool's background jobs, and the sweep that kills
 * whatever a Bash call leaves behind.
 *
 * Design note
 * -----------
 * One table per worker (struct bash_jobs), owned by worker/main.c and
 * reached by the Bash tool through tool_ctx.jobs. Creating it makes the
 * worker a child subreaper (reaper.h), so nothing a command starts can
 * leave the worker's tree.
 *
 * A background job (`run_in_background: true`) is a keeper process
 * forked by the worker: it sets the parent-death signal, becomes a child
 * subreaper and a session leader itself, lowers its RLIMIT_NPROC to half
 * of the cap, forks `bash -c COMMAND` with stdout and stderr appended to a
 * fresh file under $TMPDIR (the worker's private tmp), and then only
 * reaps, until nothing is left below it; it exits with bash's status. So
 * a job's processes stay below their keeper whatever they do, and the
 * worker tells "kept" from "left behind" by one rule: its direct
 * children that are keepers of live jobs, and their trees, are kept;
 * everything else is killed.
 *
 * bash_jobs_settle() runs before and after every Bash call: it reaps
 * jobs that ended (the next result says so), kills the newest jobs while
 * background processes hold more than half of the cap (the policy's
 * process limit, RLIMIT_NPROC), and kills and reaps every other
 * descendant. With the keeper's RLIMIT_NPROC at half the cap, the kernel
 * already refuses a job's fork once the uid holds half of the cap (the
 * count is per uid, so such a fork fails while the agent's own commands
 * are busy too); the count here is the second line, for a cap without a
 * kernel limit (uid 0 ignores RLIMIT_NPROC).
 *
 * In its own PID namespace (the worker is process 2 beside its init,
 * worker/main.c), with no live job and something left, the sweep first
 * sends kill(-1, SIGKILL): the kernel signals every process of the
 * namespace but the caller and its init in one pass under the task list
 * lock, so not even a fork bomb gets a child past it. (kill(-1) spares the
 * caller and the namespace's pid 1; the worker is never pid 1 itself, since
 * main.c splits off the init.) It would kill the keepers too, so with a live
 * job only the /proc walk is used. Outside a PID namespace kill(-1) would reach
 * every process of the uid (the supervisor too, for an unprivileged user);
 * Landlock's signal scoping (ABI 6) would narrow it to the worker's own domain,
 * but a host with a lower ABI or without Landlock would not, so only the /proc
 * walk is used there.
 *
 * bash_jobs_free() (the worker's exit) kills every job and leftover. If
 * the worker dies without it (SIGKILL), the keepers die by their
 * parent-death signal and so does each job's bash; the PID namespace's
 * end (or, as root, the supervisor's sweep of the run's uid) takes the
 * rest.
 */
#ifndef GAO_WORKER_BASH_JOBS_H
#define GAO_WORKER_BASH_JOBS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* At most this many live background jobs per worker. */
#define BASH_JOBS_MAX 8
/* How long one sweep may take before it gives up (logged in the result).
 * A Bash call sweeps twice, before and after its command, outside the
 * command's timeout: both and the answer fit in PROTO_CALL_GRACE_MS
 * (proto/msg.h; tool_bash.c checks it), or the supervisor would kill the
 * worker while it still sweeps. Killed processes go in microseconds;
 * only one that cannot die (stuck in the kernel) uses it up. */
#define BASH_JOBS_SWEEP_MS 2000

struct bash_jobs;

/* What bash_jobs_start() started. */
struct bash_job_info {
	int id;              /* 1, 2, ... in this worker */
	pid_t pid;           /* the keeper: the job's process group */
	uint64_t share;      /* processes background jobs may hold, 0 = any */
	char path[PATH_MAX]; /* where stdout and stderr go */
};

/*
 * A new table; the caller becomes a child subreaper. own_pidns: the
 * caller is alone in its PID namespace but for the namespace's init, its
 * parent (kill(-1) is then used, see above). NULL with errno on failure.
 * The caller owns it (bash_jobs_free).
 */
struct bash_jobs *bash_jobs_new(bool own_pidns);

/* Kill every job and every other descendant, reap them, free j. NULL is
 * a no-op. */
void bash_jobs_free(struct bash_jobs *j);

/* The process cap the count of the half rule uses; 0 (the default) =
 * the caller's RLIMIT_NPROC, no count when that is unlimited. The
 * keeper's own limit is always half of RLIMIT_NPROC (tests set a cap to
 * exercise the count without the kernel's per-uid limit in the way). */
void bash_jobs_set_cap(struct bash_jobs *j, uint64_t cap);

/*
 * Before and after each Bash call (see above). Appends one line per
 * event (a job that ended or was killed, leftovers killed, a sweep that
 * failed) to notes[0..size), which stays NUL-terminated.
 */
void bash_jobs_settle(struct bash_jobs *j, char *notes, size_t size);

/*
 * Start command in the background in the project (project_fd). 0 with
 * *info filled; 1 when refused (too many jobs, background processes
 * already at their share, the output file or the keeper could not be
 * made), with the reason in err; -ENOMEM.
 */
int bash_jobs_start(struct bash_jobs *j, int project_fd, const char *command,
		    struct bash_job_info *info, char *err, size_t errlen);

/* Live jobs now. */
size_t bash_jobs_live(const struct bash_jobs *j);

#endif
