/*
 * report_read.h - what the report reads: bounded JSON-lines files of a
 * run and the verification of its audit chains (report.h).
 *
 * Design note
 * -----------
 * Every file is opened without following a symlink in its last
 * component, must be a regular file, and is read up to REPORT_FILE_MAX
 * bytes (the rest is left out and said so). A line that is not a JSON
 * object is counted, not fatal: a report shows what is there.
 */
#ifndef GAO_SUPERVISOR_REPORT_READ_H
#define GAO_SUPERVISOR_REPORT_READ_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* The lines of a JSON-lines file. */
struct report_lines {
	json_t *items; /* array of the objects read, in order */
	size_t bad;    /* lines that were not JSON objects */
	bool cut;      /* the file was longer than the cap */
	bool missing;  /* the file could not be opened */
};

/*
 * report_read_lines - read path (a regular file, REPORT_FILE_MAX bytes
 * at most) into out (out->items always set; caller json_decref's it).
 * 0, or -ENOMEM.
 */
int report_read_lines(const char *path, struct report_lines *out);

/*
 * report_read_text - the bytes of the regular file at path, at most
 * REPORT_FILE_MAX (malloc'ed, NUL-terminated; caller frees), *len its
 * length, *cut whether the file was longer. NULL when it cannot be read.
 */
char *report_read_text(const char *path, size_t *len, bool *cut);

/*
 * report_agent_file - the path of a phase's file under run_dir/agents/
 * from the base name of the results' value (transcript, audit_log),
 * into buf. False when the value is missing or its base name is empty,
 * "." or "..".
 */
bool report_agent_file(const char *run_dir, const json_t *phase,
		       const char *key, char *buf, size_t cap);

/*
 * report_audit_check - verify every agent phase's audit log as `gao-dev
 * audit verify` does, and that its head is the phase's audit_head in
 * results. Returns a new array of {phase, file, ok, records, head,
 * problem} (NULL on ENOMEM); *all_ok says whether every log verified
 * (false too when a log is missing).
 */
json_t *report_audit_check(const json_t *results, const char *run_dir,
			   bool *all_ok);

#endif
