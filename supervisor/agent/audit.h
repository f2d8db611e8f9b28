/*
 * audit.h - the per-agent audit log: one hash-chained record per tool call.
 *
 * Design note
 * -----------
 * runs/<run_id>/agents/<nn>-<phase>-<agent>.audit.jsonl holds one JSON
 * object per line: seq (from 0: the worker_ready record), ts, agent, tool,
 * tool_use_id, input (capped at 4 KiB of JSON), outcome (allowed, denied,
 * error), is_error, exit_code, duration_ms, bytes, truncated, prev (the
 * previous record's hash, 64 zeros for the first) and hash: SHA-256, in hex, of
 * the record serialised without "hash" (compact, keys sorted). Editing,
 * removing or reordering a record breaks the chain at that record; the last
 * hash (the head) is recorded in the results file, so truncating the log shows
 * too. The first record (seq 0, tool "session") records the isolation layers.
 *
 * A record's line is at most AUDIT_LINE_MAX bytes with its newline: the
 * writer refuses a longer record (the inputs it holds are capped first, by
 * audit_capped_input), and the readers take a longer line for a broken
 * record without holding more than that of it, so a hostile log of one
 * endless line costs a reader 1 MiB, not the whole file.
 */
#ifndef GAO_SUPERVISOR_AUDIT_H
#define GAO_SUPERVISOR_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define AUDIT_LINE_MAX ((size_t)1 << 20) /* one record's line, bytes */
#define AUDIT_INPUT_MAX 4096 /* a record's input, bytes of compact JSON */

struct audit;

/* Create path (0600, must not exist). NULL with errno on failure. */
struct audit *audit_open(const char *path);

/*
 * audit_append - add a record: rec's fields plus seq, ts, prev, hash.
 * rec is borrowed. 0, or -1 with errno when the record could not be
 * written (EFBIG: its line would exceed AUDIT_LINE_MAX); the caller
 * reports it, and the chain stays consistent.
 */
int audit_append(struct audit *a, const json_t *rec);

/*
 * audit_capped_input - a tool's input as a record keeps it: a copy when
 * its compact JSON is at most AUDIT_INPUT_MAX bytes, else {"prefix": the
 * first AUDIT_INPUT_MAX bytes of that JSON (made valid UTF-8),
 * "truncated": true}. A new reference; JSON null when input is NULL or
 * cannot be serialised.
 */
json_t *audit_capped_input(const json_t *input);

/* Hex SHA-256 head of the chain ("" before the first record). */
const char *audit_head(const struct audit *a);
uint64_t audit_count(const struct audit *a);

/* The path the log was opened at (owned by a; valid until audit_close). */
const char *audit_path(const struct audit *a);

void audit_close(struct audit *a);

/*
 * audit_verify_file - check a whole file. Returns 0 when every record
 * chains; otherwise the 1-based line number of the first broken record,
 * with the reason in why (a line longer than AUDIT_LINE_MAX, or one that
 * is not exactly one JSON object, is a broken record). -1 when the file cannot
 * be read. On success head (65 bytes) gets the last hash and *count the number
 * of records.
 */
long audit_verify_file(const char *path, char head[65], uint64_t *count,
		       char *why, size_t whylen);

/* Called with each record that chains (its "hash" key removed) and its
 * 1-based line number; rec is borrowed for the call. */
typedef void (*audit_record_fn)(const json_t *rec, long line, void *ctx);

/*
 * audit_read_file - audit_verify_file, calling fn (if not NULL) with each
 * record in order up to the first broken one.
 */
long audit_read_file(const char *path, audit_record_fn fn, void *ctx,
		     char head[65], uint64_t *count, char *why, size_t whylen);

#endif
