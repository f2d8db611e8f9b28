/*
 * rec_line.h - one call of a recording as one line of JSON, both ways.
 *
 * Design note
 * -----------
 * A line (docs/recording.md):
 *
 *   {"unit": "...", "repeat": 0, "phase_index": 0, "phase": "...",
 *    "agent": "...", "turn": 1, "request": {DELTA (rec_match.h)},
 *    "attempts": [{"status": 200, "transport": 0,
 *                  "headers": ["request-id: req_1", ...],
 *                  "body": "event: message_start\n..." | "body_hex": "..",
 *                  "overflow": false, "delay_ms": 0}, ...],
 *    "outcome": "ok"}
 *
 * Reading is for hostile bytes: a line is at most REC_MAX_LINE bytes, at
 * most REC_MAX_ATTEMPTS attempts and REC_MAX_HEADERS header lines of
 * REC_MAX_HEADER_LINE bytes each, bodies at most REC_MAX_BODIES bytes
 * together, every field of the right type and range, and the key fields
 * must be the ones expected. An error names the field.
 */
#ifndef GAO_SUPERVISOR_REC_LINE_H
#define GAO_SUPERVISOR_REC_LINE_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "supervisor/api/recording.h"

#define REC_LINE_EOF 1

/* The key fields of a line. */
struct rec_line_key {
	const char *unit;
	int repeat;
	size_t phase_index;
	const char *phase;
	const char *agent;
	unsigned turn;
};

/*
 * rec_line_encode - the line (with its newline) for a call, malloc'ed;
 * NULL on ENOMEM.
 */
char *rec_line_encode(const struct rec_line_key *key, const json_t *delta,
		      const struct rec_attempt *att, size_t n_att,
		      const char *outcome);

/*
 * rec_line_read - the next line of in, which must be the call want names:
 * 0 with its request delta (*delta, a new reference) and attempts (*att,
 * *n_att, freed with rec_line_attempt_clear and free), REC_LINE_EOF at
 * the end of the file, -1 with the reason in err.
 */
int rec_line_read(FILE *in, const struct rec_line_key *want, json_t **delta,
		  struct rec_attempt **att, size_t *n_att, char *err,
		  size_t errlen);

void rec_line_attempt_clear(struct rec_attempt *a);

/*
 * rec_line_header_kept - whether a response header line is kept: the
 * ones the client reads (request-id, retry-after, retry-after-ms,
 * x-should-retry, anthropic-ratelimit-*, content-type). Never anything
 * else.
 */
bool rec_line_header_kept(const char *line, size_t n);

#endif
