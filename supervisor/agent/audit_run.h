/*
 * audit_run.h - a run's audit logs checked against its results file.
 *
 * Design note
 * -----------
 * One audit log on its own proves only that its records chain: cutting
 * records off its end leaves a valid, shorter chain. The results file keeps
 * each agent phase's head (audit_head) and record count (audit_records,
 * since audit_format 1), so a run's logs are checked against them: a log
 * cut at the end, one with a record removed, edited or added, one replaced
 * by another run's log, a missing log, or a log the results file does not
 * name. The logs are found by name in the run directory's agents/ folder
 * (a run directory copied elsewhere, a CI artifact, still checks).
 */
#ifndef GAO_SUPERVISOR_AUDIT_RUN_H
#define GAO_SUPERVISOR_AUDIT_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "supervisor/agent/audit.h"

/* One agent phase's log as the results file names it. */
struct audit_run_log {
	char *path;  /* run_dir/agents/<name>.audit.jsonl */
	char *phase; /* phase name, from the results file */
	char *agent;
	char head[65];
	uint64_t records;
	bool have_records; /* audit_records present */
};

struct audit_run {
	char *results_path;
	char *run_dir;
	long format; /* audit_format, 0 when absent (before format 1) */
	struct audit_run_log *logs;
	size_t n_logs;
	char **extra; /* logs in agents/ that the results file does not name */
	size_t n_extra;
};

/*
 * audit_run_is_run - whether arg names a run: a directory, or a JSON
 * results file (an object with run_id and phases), not an audit log.
 */
bool audit_run_is_run(const char *arg);

/*
 * audit_run_load - read the results file of arg (a runs/<id> directory or
 * a results file) into r. 0, or -1 with err set (unreadable, not a run,
 * malformed or unknown audit_format): a usage error.
 */
int audit_run_load(const char *arg, struct audit_run *r, char *err,
		   size_t errlen);
void audit_run_free(struct audit_run *r);

/*
 * audit_run_check - read l's log (fn, if not NULL, gets each record that
 * chains) and compare its head and count with the results file's. 0 when
 * they match; 1 when not, with *line the first bad record's line (1-based)
 * and why the reason; -1 when the log cannot be read (why says so).
 */
int audit_run_check(const struct audit_run_log *l, audit_record_fn fn,
		    void *ctx, long *line, char *why, size_t whylen);

#endif
