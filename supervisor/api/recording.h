/*
 * recording.h - --record DIR and --replay DIR: every API exchange of an
 * invocation kept on disk, and answered from there with no network.
 *
 * Design note
 * -----------
 * A recording is a directory (docs/recording.md has the format):
 *
 *   DIR/recording.json        the manifest: format, gao-dev version, when,
 *                             whether the recording invocation ended
 *   DIR/<unit>-r<N>/<PP>-<phase>-<agent>.jsonl
 *                             one conversation, one line per API call
 *
 * A conversation is keyed by its work unit (benchmark name and repeat
 * index), its phase (index and name) and its agent; a call by its turn,
 * the call's number in the conversation from 1. Runs of an invocation
 * run in any order (--jobs), so each conversation has its own file and a
 * replayed call is found by its key, never by the order of calls.
 *
 * A line holds the request as a delta against the conversation's previous
 * request (the request parameters only when they changed, then the
 * messages past the common prefix: the rolling cache breakpoint moves, so
 * the previous last message comes again), and every attempt of the call
 * as the network gave it: HTTP status, transport error, the response
 * headers that matter to the client (request-id, retry hints, rate
 * limits; nothing else, and never a request header, so never the key),
 * the body bytes (text, or hex when they are not UTF-8) and the delay
 * waited after it.
 *
 * Replaying, the request the runner builds is compared with the recorded
 * one: what the runner decides (every parameter, the system prompt, the
 * tools, the assistant turns, the text the runner writes, the order and
 * ids of tool results) must be equal, or the call is a miss; the content
 * and is_error of a tool_result, which the environment decides, may
 * differ and is reported once per tool_use_id as a difference.
 *
 * Everything read back is hostile: lines, attempts, headers and bodies
 * are bounded, every field is type-checked, and an error names the file
 * and line.
 */
#ifndef GAO_SUPERVISOR_RECORDING_H
#define GAO_SUPERVISOR_RECORDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define REC_FORMAT 1
#define REC_MAX_ATTEMPTS 64        /* per call */
#define REC_MAX_HEADERS 32         /* kept per attempt */
#define REC_MAX_HEADER_LINE 512    /* bytes of one kept header line */
#define REC_MAX_LINE (160u << 20)  /* bytes of one call's line */
#define REC_MAX_BODIES (96u << 20) /* body bytes of one call, decoded */

enum rec_mode {
	REC_RECORD = 1,
	REC_REPLAY = 2,
};

/*
 * Why the client stopped an attempt's headers, which the status and the
 * transport code alone do not tell (a bound of the client's, not of the
 * network): recorded as the attempt's "cut", replayed as the same end.
 */
enum rec_cut {
	REC_CUT_NONE = 0,
	REC_CUT_HEADERS_TOO_LARGE, /* "headers_too_large" */
	REC_CUT_HEADER_TIMEOUT,    /* "header_timeout" */
};

/* One attempt of a call, as the network gave it. */
struct rec_attempt {
	long status;    /* HTTP status, 0 without a response */
	int transport;  /* curl's result code, 0 (CURLE_OK) if none */
	char **headers; /* kept raw header lines, "name: value" */
	size_t n_headers;
	char *body; /* NUL-terminated; may hold NULs before body_len */
	size_t body_len;
	bool overflow;     /* the client stopped reading: too large */
	enum rec_cut cut;  /* the client gave up on the headers */
	uint64_t delay_ms; /* waited after it before the next attempt */
};

/* Where a conversation belongs. */
struct rec_key {
	const char *unit; /* the benchmark's name */
	int repeat;       /* 0 to --repeat - 1 */
	size_t phase_index;
	const char *phase;
	const char *agent;
};

struct rec;
struct rec_conv;
struct rec_call;

/*
 * rec_open - start recording into dir (REC_RECORD: dir must not exist or
 * be empty; it is made 0700 and the manifest written) or open dir to
 * replay (REC_REPLAY: the manifest must be this format). Returns NULL with
 * a message naming dir and the fix in err.
 */
struct rec *rec_open(const char *dir, enum rec_mode mode, char *err,
		     size_t errlen);

/*
 * rec_close - record: write the manifest with "complete" as given; the
 * number of failures seen (write errors) and what is left go to err.
 * Returns 0, or -1 when the recording is incomplete (err says why).
 * Replay: nothing to write; returns 0. r may be NULL (returns 0).
 */
int rec_close(struct rec *r, bool complete, char *err, size_t errlen);

enum rec_mode rec_mode(const struct rec *r);
const char *rec_dir(const struct rec *r); /* absolute */

/* Replay: tool results that differed from the recording, so far. */
unsigned rec_differences(const struct rec *r);

/* Record: calls written so far. Replay: calls answered so far. */
unsigned rec_calls(const struct rec *r);

/*
 * rec_conv_open - the conversation of key (strings copied). Record: its
 * file is created on the first call. Replay: its file is opened when it
 * exists (a missing one makes the first call a miss). NULL on ENOMEM.
 */
struct rec_conv *rec_conv_open(struct rec *r, const struct rec_key *key);
void rec_conv_close(struct rec_conv *c);

/* Calls begun in the conversation so far (the last turn). */
unsigned rec_conv_turn(const struct rec_conv *c);

/* "unit Hello, repeat 1, phase 2 (build), agent amelia" into buf. */
void rec_conv_name(const struct rec_conv *c, char *buf, size_t cap);

/*
 * rec_call_begin - the conversation's next call, whose request is body
 * (the JSON sent). Record: an empty call to add attempts to. Replay: the
 * recorded call, matched against body; NULL on a miss, with err saying
 * which turn and what differs (the conversation stays at that turn).
 * Record: NULL only on ENOMEM or a body that is not JSON.
 */
struct rec_call *rec_call_begin(struct rec_conv *c, const char *body, char *err,
				size_t errlen);

/* The call's turn in its conversation, from 1. */
unsigned rec_call_turn(const struct rec_call *k);

/*
 * Replay: the differences this call's request showed (an array of
 * {"message", "tool_use_id", "field"}, each reported once per
 * conversation), borrowed; empty when none.
 */
const json_t *rec_call_differences(const struct rec_call *k);

/* Replay: the number of recorded attempts, and attempt i (0-based). */
size_t rec_call_n_attempts(const struct rec_call *k);
const struct rec_attempt *rec_call_attempt(const struct rec_call *k, size_t i);

/*
 * Record: the next attempt starts; its header lines and body bytes are
 * added as they arrive (only the headers that matter are kept, bounded),
 * then it ends with its status and transport result. -1 on ENOMEM or a
 * limit (the call is then marked failed and not written).
 */
int rec_attempt_begin(struct rec_call *k);
void rec_attempt_header(struct rec_call *k, const char *line, size_t n);
int rec_attempt_body(struct rec_call *k, const char *p, size_t n);
void rec_attempt_end(struct rec_call *k, long status, int transport,
		     bool overflow, enum rec_cut cut);
/* The delay chosen after the last attempt ended. */
void rec_attempt_delay(struct rec_call *k, uint64_t delay_ms);

/*
 * rec_call_end - record: write the call's line with its outcome (a word of
 * api_outcome_name()); -1 with the reason in err when it cannot be
 * written (the recording is then incomplete). Replay: nothing to write.
 * Frees k either way (NULL is fine: returns 0).
 */
int rec_call_end(struct rec_call *k, const char *outcome, char *err,
		 size_t errlen);

/* Drop a call unfinished (cancelled): nothing is written. */
void rec_call_drop(struct rec_call *k);

#endif
