/*
 * report.h - gao-dev report: one self-contained HTML page per run.
 *
 * Design note
 * -----------
 * A run leaves JSON for machines (results, events, transcripts, audit
 * logs); the report is the same run for people: a header (status, exit
 * code, time, cost against the cap, tokens and cache share, model,
 * isolation, whether every audit chain verified), tokens and cost per
 * phase as CSS bars, a timeline from events.jsonl, each agent's
 * conversation from its transcript, and each criterion's verdict.
 *
 * Everything it reads is hostile (agents wrote much of it): files are
 * opened below the run's directories without following a symlink at the
 * end, read up to a cap, parsed line by line (a bad line is counted and
 * skipped), and every value reaches the page through htmltext_put() as
 * element text, capped. The page has no script, no link and no URL; its
 * Content-Security-Policy (default-src 'none'; style-src 'unsafe-inline')
 * keeps it so even if a value escaped. The page passes the redaction
 * step (the key, sk-ant-...) before it is written, atomically and 0600.
 *
 * The files a run writes are named by the run layout alone (runs/<id>/,
 * results/<id>.json beside runs/), never by a path read from a file.
 */
#ifndef GAO_SUPERVISOR_REPORT_H
#define GAO_SUPERVISOR_REPORT_H

#include <stddef.h>

#include <jansson.h>

/* Caps of the page: values, rows, files read. */
#define REPORT_TEXT_MAX 16384       /* an assistant text, a final text */
#define REPORT_INPUT_MAX 4096       /* a tool call's input (JSON) */
#define REPORT_RESULT_MAX 2048      /* a tool result's excerpt */
#define REPORT_FIELD_MAX 600        /* a reason, an event's details */
#define REPORT_DIFF_MAX 65536       /* a phase's diff file */
#define REPORT_ROWS_MAX 5000        /* timeline rows */
#define REPORT_FILE_MAX (64u << 20) /* any one file read */

/*
 * report_write - write the report of the run at in (a run directory
 * runs/<id>, or a results file results/<id>.json) to out (NULL: the run
 * directory's report.html). Returns an exit code: 0 written, 2 the input
 * is missing, unreadable or malformed (err says which file and why), 4
 * the page could not be written.
 */
int report_write(const char *in, const char *out, char *err, size_t errlen);

/*
 * report_write_run - the same for a run that just ended: its results
 * document and its run directory (absolute or relative), written to
 * RUN_DIR/report.html. Returns 0 or -errno (err says why).
 */
int report_write_run(const json_t *results, const char *run_dir, char *err,
		     size_t errlen);

/*
 * report_html - the page of results (read with the files under run_dir)
 * as a malloc'ed, redacted string (caller frees), or NULL on ENOMEM.
 * Exposed for the unit tests.
 */
char *report_html(const json_t *results, const char *run_dir);

#endif
