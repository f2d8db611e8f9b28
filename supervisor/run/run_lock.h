/*
 * run_lock.h - the lock a run holds for its whole life.
 *
 * Design note
 * -----------
 * A run that ends writes results/<run_id>.json; a run whose supervisor was
 * killed (kill -9, a power cut, the OOM killer) writes nothing more. From
 * the files alone a dead run and a live one look the same, so each run
 * holds an exclusive flock(2) on runs/<run_id>/lock from before anything
 * else of the run is written until after its results file is: the kernel
 * drops the lock when the last fd of it closes, which a dead process
 * cannot prevent. The fd is O_CLOEXEC and no worker is handed it, so no
 * worker (or a process it leaves behind) keeps a dead run "running".
 *
 * The lock file also says what the run is, for `runs list` of a run that
 * never wrote results: one JSON line, {"run_id", "benchmark",
 * "start_time", "pid"}, written by the run after it took the lock (0600).
 * It is read bounded (RUN_LOCK_MAX bytes) and every field is checked.
 *
 * A reader probes the lock with flock(LOCK_EX | LOCK_NB) on a fd of its
 * own: taken means no one holds it (the reader then holds it until it
 * closes the fd, which `runs list --prune` uses to keep a run from
 * starting under the same id while it prunes: ids are random, so this is
 * belt and braces).
 */
#ifndef GAO_SUPERVISOR_RUN_LOCK_H
#define GAO_SUPERVISOR_RUN_LOCK_H

#include <stddef.h>
#include <time.h>

#define RUN_LOCK_FILE "lock"
#define RUN_LOCK_MAX 4096

/*
 * run_lock_take - create SANDBOX_ROOT/runs/<run_id> (0700, with its
 * parents) and runs/<run_id>/lock, take the exclusive lock without
 * waiting and write the lock line. Returns the fd (O_CLOEXEC; the caller
 * keeps it open for the run's life and closes it last), or -1 with err
 * naming the path and the reason.
 */
int run_lock_take(const char *root, const char *run_id, const char *benchmark,
		  time_t start, char *err, size_t errlen);

enum run_lock_state {
	RUN_LOCK_MISSING, /* no lock file: a run from before the lock, or
			   * one that died before taking it */
	RUN_LOCK_FREE,    /* no process holds it: the run is dead */
	RUN_LOCK_HELD,    /* a live process holds it */
	RUN_LOCK_UNKNOWN, /* cannot be opened (permissions, not a file) */
};

/*
 * run_lock_probe - the state of run_dir_fd/lock, never following a
 * symlink. With RUN_LOCK_FREE and keep != NULL, *keep is the fd that now
 * holds the lock (the caller closes it); otherwise the probe's fd is
 * closed. line (may be NULL) gets the lock file's text, NUL-terminated
 * and cut at cap - 1 bytes.
 */
enum run_lock_state run_lock_probe(int run_dir_fd, int *keep, char *line,
				   size_t cap);

/* "missing", "free", "held", "unknown" (static). */
const char *run_lock_state_name(enum run_lock_state s);

#endif
