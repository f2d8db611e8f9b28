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
 * never wrote results: one JSON object on one line, {"run_id",
 * "benchmark", "start_time", "pid", "state", ...}, 0600. It is read
 * bounded (RUN_LOCK_MAX bytes) and every field is checked.
 *
 * The lock appears already held. The file is made under a temporary
 * name in the run's directory (lock.<pid>.new), locked, its line
 * written, and only then link(2)ed to its name (EEXIST: another run has
 * it) and the temporary name removed. A reader therefore never finds a
 * `lock` that a live, starting run does not hold yet; a run directory
 * without one is a run still starting (or not gao-dev's), which `runs
 * list` shows as `unknown` and never prunes.
 *
 * The state, in place. The line ends with a tail of RUN_LOCK_TAIL bytes,
 * `"state":...}`, padded with spaces to its fixed size and a newline,
 * written when the lock is taken ("state":"running"). How the run ended
 * overwrites that tail with pwrite(2) at the same offset, the file's size
 * unchanged: no new block is needed, so it is written even when the disk
 * is full and the results file could not be (on tmpfs, ext4 and xfs; a
 * copy-on-write file system such as btrfs or ZFS needs new blocks for an
 * overwrite too, and there a failed state write leaves "running", shown
 * as `interrupted`). The states:
 *
 *   running      taken; the run has not ended (a free lock: it died)
 *   ended        the run ended: "status", "exit_code", "results" (true
 *                when results/<run_id>.json was written), and "error"
 *                (why it was not, cut to fit the tail)
 *   not_started  the run failed before it began (no uid, directories it
 *                could not make): "exit_code" and "error"
 *
 * A reader probes the lock with flock(LOCK_EX | LOCK_NB) on a fd of its
 * own: taken means no one holds it (the reader then holds it until it
 * closes the fd, which `runs list --prune` uses to keep a run from
 * starting under the same id while it prunes: ids are random, so this is
 * belt and braces).
 */
#ifndef GAO_SUPERVISOR_RUN_LOCK_H
#define GAO_SUPERVISOR_RUN_LOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define RUN_LOCK_FILE "lock"
#define RUN_LOCK_MAX 4096
#define RUN_LOCK_TAIL 512 /* the state, rewritten in place */

/*
 * run_lock_take - create SANDBOX_ROOT/runs/<run_id> (0700, with its
 * parents) and runs/<run_id>/lock, held and its line written (state
 * "running") before it appears under that name (see the design note).
 * Returns the fd (O_CLOEXEC; the caller keeps it open for the run's life
 * and closes it last), or -1 with err naming the path and the reason.
 */
int run_lock_take(const char *root, const char *run_id, const char *benchmark,
		  time_t start, char *err, size_t errlen);

/*
 * run_lock_end - overwrite the state of the lock fd (from run_lock_take)
 * in place: state "ended" or "not_started"; status (NULL: none) is the
 * run's status, results whether its results file was written, error
 * (NULL: none) why not, cut at a UTF-8 boundary to fit RUN_LOCK_TAIL.
 * 0, or -errno (the state stays "running").
 */
int run_lock_end(int fd, const char *state, const char *status, int exit_code,
		 bool results, const char *error);

enum run_lock_state {
	RUN_LOCK_MISSING, /* no lock file: a run still starting, or a
			   * directory gao-dev did not lock */
	RUN_LOCK_FREE,    /* no process holds it: the run is over */
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
