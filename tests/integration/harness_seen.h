/*
 * harness_seen.h - what a test of the API client (test_api.c,
 * test_api_retry.c, test_api_fatal.c) looks at after a run, and the checks
 * those tests share.
 *
 * Each test runs a one-phase benchmark (scenarios/api-bench.yaml) through
 * the real gao-dev against the fake API (harness_api.h). The fault tests
 * play the two-turn Write scenario (WRITE_SCENARIO): a completed run plays
 * both turns and runs the Write once; seen_run_fault() runs it with the
 * faults a test injects. Then seen_look() reads the results file, the
 * events and the fake's record into a struct seen, the seen_* checks
 * assert on it, and seen_done() frees it and ends the test's run.
 */
#ifndef GAO_TESTS_HARNESS_SEEN_H
#define GAO_TESTS_HARNESS_SEEN_H

#include <stddef.h>

#include <jansson.h>

#include "harness_api.h"

/* The key option every run needs, then the test's own; end with NULL. */
#define KEYOPTS(t, ...) \
	((const char *const[]){ "--api-key-file", (t)->key, __VA_ARGS__ })

#define WRITE_SCENARIO "tests/integration/scenarios/api-write.json"

/* Everything a test looks at after the run. */
struct seen {
	json_t *res;     /* results document */
	json_t *events;  /* events.jsonl */
	json_t *retried; /* api_call_retried events */
	json_t *posts;   /* POST /v1/messages the fake received */
};

/* Read the run's results, events (and the retries among them) and the
 * POST /v1/messages the fake received. */
void seen_look(struct ha_run *t, struct seen *s);

/* Free what seen_look() read and end the test's run (ha_finish). */
void seen_done(struct ha_run *t, struct seen *s);

/* gao-dev exited with code (its stderr in the message otherwise). */
void seen_exit(const struct ha_run *t, int code);

/* The run's status and, unless NULL, its stop_reason. */
void seen_status(const struct seen *s, const char *status, const char *reason);

/* The run completed, as if nothing had happened: both turns of the Write
 * scenario played and the Write ran once. */
void seen_completed(const struct ha_run *t, const struct seen *s);

/* Exactly one retry, of this status and error type, with a delay in
 * [lo, hi] ms, and the next attempt really waited that long; returns the
 * api_call_retried event. */
const json_t *seen_one_retry(const struct seen *s, long status,
			     const char *type, long long lo, long long hi);

/* How many attempts of the conversation's turn the fake received. */
size_t seen_attempts_of_turn(const struct seen *s, long turn);

/* Run the Write scenario with these faults (a JSON array, the fake's
 * --faults) and options, then seen_look(). */
void seen_run_fault(struct ha_run *t, struct seen *s, const char *faults,
		    const char *const *opts);

#endif
