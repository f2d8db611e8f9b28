/*
 * runs_list.h - `gao-dev runs list`: every run under a sandbox root and
 * its status, a dead run told from a live one; --prune cleans up after
 * the dead ones.
 *
 * Design note
 * -----------
 * A run is any name in SANDBOX_ROOT/runs/ (a directory) or
 * SANDBOX_ROOT/results/ (<run_id>.json). Its status, in this order:
 *
 *   results file present   the file decides: its `status` and `exit_code`
 *                          (docs/results.md). A file that cannot be read
 *                          is `unreadable`, one that is not a JSON object
 *                          with a known status and an integer exit code
 *                          is `corrupt`; neither is ever shown as a run
 *                          that completed.
 *   no results, lock held  `running` (run_lock.h).
 *   no results, lock free  what the lock's state says (run_lock.h):
 *     state "ended"        `unsaved`: the run ended, and its results file
 *                          could not be written (a full or read-only
 *                          disk); its exit code and the reason are shown.
 *                          (Ended with results that are gone: `unknown`.)
 *     state "not_started"  `not_started`: the run failed before it began
 *                          (no uid left, directories it could not make),
 *                          exit code 4 and the reason.
 *     "running" or none    `interrupted`: the process that held the lock
 *                          died before the run ended.
 *   no lock file           `unknown`: a run still starting (the lock
 *                          appears held), or a directory gao-dev did not
 *                          lock; never pruned.
 *   lock not readable      `unknown` (another user's sandbox root).
 *
 * Names come from the file system and the lock line from a config: every
 * field is escaped (common/termesc.h) in the table, one run a line, with
 * a newline or tab shown as \x0a / \x09; --json writes one object a line
 * with jansson's escaping (ASCII only), a name that is not UTF-8 escaped
 * as in the table. Files are read bounded (RUNS_RESULTS_MAX) and never
 * through a symlink.
 *
 * --prune prunes each `interrupted` run (runs_prune.h) while holding its
 * lock, so a run cannot be (or start) running under it meanwhile; a
 * running, completed, unsaved, not_started, corrupt or unknown run is
 * never touched, and a prune never creates a lock file.
 */
#ifndef GAO_SUPERVISOR_RUNS_LIST_H
#define GAO_SUPERVISOR_RUNS_LIST_H

#include <stdbool.h>

#define RUNS_RESULTS_MAX (64u << 20) /* a results file read for its status */
#define RUNS_MAX 100000              /* runs listed; more are counted */

/*
 * runs_list_main - list (and with prune, prune) the runs under root; the
 * table or JSON lines on stdout, errors on stderr. Returns the exit code:
 * 0, 2 when root cannot be opened or holds neither runs/ nor results/
 * (the message names it and the fix), 4 when a prune left something.
 */
int runs_list_main(const char *root, bool json, bool prune);

#endif
