/*
 * retry.h - when and how long to wait before another attempt.
 *
 * Design note
 * -----------
 * Pure functions, no I/O, so the rules can be unit-tested exactly. The
 * rules are the official SDKs': retry connection errors, timeouts, 408,
 * 409, 429 and 5xx (529 included); a response header x-should-retry
 * overrides the status; the delay is retry-after-ms, else retry-after
 * (seconds or an HTTP date), else min(0.5 * 2^n, 8) s times a jitter
 * factor in [0.75, 1.0]. Server-given delays above 60 s are honoured too
 * (the caller's budget decides whether to wait that long).
 */
#ifndef GAO_SUPERVISOR_RETRY_H
#define GAO_SUPERVISOR_RETRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* The rate-limit buckets one response may name (requests, tokens, input
 * tokens, output tokens, and room for more), each read on its own. */
#define RETRY_RL_BUCKETS 8

struct retry_rl_bucket {
	char name[48];     /* "requests", "input-tokens", ... */
	int64_t remaining; /* -1 when not given */
	time_t reset;      /* UTC, 0 when not given */
};

struct retry_hints {
	int should_retry;       /* x-should-retry: -1 absent, 0 false, 1 true */
	int64_t retry_after_ms; /* -1 when absent */
	int64_t rl_remaining;   /* lowest anthropic-ratelimit-*-remaining, -1 */
	time_t rl_reset;        /* when every bucket with nothing remaining
				 * refills (UTC); 0 when none is empty or its
				 * reset is not given */
	struct retry_rl_bucket rl[RETRY_RL_BUCKETS];
	size_t n_rl;
	char request_id[128];
};

void retry_hints_init(struct retry_hints *h);

/*
 * retry_parse_header - look at one raw header line ("Name: value\r\n") and
 * record what matters. now_ms is the current UTC time in milliseconds
 * since the epoch (retry_now_ms()): an HTTP date is waited for to the
 * millisecond, never less.
 */
void retry_parse_header(struct retry_hints *h, const char *line, size_t len,
			int64_t now_ms);

/*
 * retry_now_ms - the current UTC time in milliseconds since the epoch, from
 * the precise clock (time() may lag it by a tick across a second boundary,
 * which would wait a whole second too long for an HTTP date).
 */
int64_t retry_now_ms(void);

/* Whether an HTTP status is worth another attempt, before hints. */
bool retry_status_retryable(long status);

/*
 * retry_delay_ms - the wait before retry number n (0 for the first retry).
 * jitter is a random number in [0, 1).
 */
uint64_t retry_delay_ms(const struct retry_hints *h, unsigned n, double jitter);

/* Parse an RFC 3339 UTC time ("2026-11-24T04:00:00Z"); 0 on failure. */
time_t retry_parse_rfc3339(const char *s);

#endif
