/*
 * test_retry.c - unit tests of the retry rules (retry.h).
 *
 * Design note
 * -----------
 * The module is pure, so every rule is checked exactly: each header form
 * the API sends (as curl hands it over: "Name: value\r\n", any case), the
 * status table, and the back-off formula at both ends of the jitter range.
 * Times are fixed epoch values so that HTTP dates give exact delays.
 */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "supervisor/api/retry.h"

/* 2026-11-24T04:00:00Z */
#define NOW ((time_t)1795492800)
/* a quarter of a second into NOW: a date is waited for to the millisecond */
#define NOW_MS ((int64_t)NOW * 1000 + 250)

static struct retry_hints
parse(const char *line)
{
	struct retry_hints h;

	retry_hints_init(&h);
	retry_parse_header(&h, line, strlen(line), NOW_MS);
	return h;
}

Test(retry, init_means_absent)
{
	struct retry_hints h;

	memset(&h, 0x5a, sizeof(h));
	retry_hints_init(&h);
	cr_assert_eq(h.should_retry, -1);
	cr_assert_eq(h.retry_after_ms, -1);
	cr_assert_eq(h.rl_remaining, -1);
	cr_assert_eq(h.rl_reset, 0);
	cr_assert_str_eq(h.request_id, "");
}

Test(retry, retry_after_ms)
{
	cr_assert_eq(parse("retry-after-ms: 1500\r\n").retry_after_ms, 1500);
	cr_assert_eq(parse("Retry-After-Ms:250").retry_after_ms, 250);
	cr_assert_eq(parse("retry-after-ms: 0\r\n").retry_after_ms, 0);
	cr_assert_eq(parse("retry-after-ms: -5\r\n").retry_after_ms, -1);
	cr_assert_eq(parse("retry-after-ms: soon\r\n").retry_after_ms, -1);
}

Test(retry, retry_after_seconds)
{
	cr_assert_eq(parse("retry-after: 3\r\n").retry_after_ms, 3000);
	cr_assert_eq(parse("RETRY-AFTER: 0.5\r\n").retry_after_ms, 500);
	cr_assert_eq(parse("retry-after:   7  \r\n").retry_after_ms, 7000);
	/* above a minute is honoured too: the caller's budget decides */
	cr_assert_eq(parse("retry-after: 120\r\n").retry_after_ms, 120000);
	cr_assert_eq(parse("retry-after: never\r\n").retry_after_ms, -1);
}

Test(retry, retry_after_http_date)
{
	/* NOW is Tue, 24 Nov 2026 04:00:00 GMT; NOW_MS 250 ms after it */
	cr_assert_eq(parse("retry-after: Tue, 24 Nov 2026 04:00:30 GMT\r\n")
			     .retry_after_ms,
		     29751);
	/* a date in the past means: now */
	cr_assert_eq(parse("retry-after: Tue, 24 Nov 2026 03:59:00 GMT\r\n")
			     .retry_after_ms,
		     0);
}

Test(retry, ms_wins_over_seconds_in_either_order)
{
	struct retry_hints h;
	const char *a = "retry-after-ms: 200\r\n", *b = "retry-after: 9\r\n";

	retry_hints_init(&h);
	retry_parse_header(&h, a, strlen(a), NOW_MS);
	retry_parse_header(&h, b, strlen(b), NOW_MS);
	cr_assert_eq(h.retry_after_ms, 200);
	retry_hints_init(&h);
	retry_parse_header(&h, b, strlen(b), NOW_MS);
	retry_parse_header(&h, a, strlen(a), NOW_MS);
	cr_assert_eq(h.retry_after_ms, 200);
}

Test(retry, should_retry)
{
	cr_assert_eq(parse("x-should-retry: true\r\n").should_retry, 1);
	cr_assert_eq(parse("X-Should-Retry: TRUE\r\n").should_retry, 1);
	cr_assert_eq(parse("x-should-retry: false\r\n").should_retry, 0);
	cr_assert_eq(parse("x-should-retry: maybe\r\n").should_retry, -1);
}

Test(retry, request_id)
{
	struct retry_hints h = parse("request-id: req_011CAbc\r\n");
	char line[300];

	cr_assert_str_eq(h.request_id, "req_011CAbc");
	cr_assert_str_eq(parse("Request-Id:req_2").request_id, "req_2");
	/* an over-long id is cut to the buffer, still terminated */
	memset(line, 0, sizeof(line));
	strcpy(line, "request-id: ");
	memset(line + strlen(line), 'r', 250);
	h = parse(line);
	cr_assert_eq(strlen(h.request_id), sizeof(h.request_id) - 1);
	/* x-request-id or names that only start alike are other headers */
	cr_assert_str_eq(parse("request-ids: x\r\n").request_id, "");
}

Test(retry, ratelimit_lowest_remaining_and_latest_reset)
{
	static const char *const lines[] = {
		"anthropic-ratelimit-requests-remaining: 40\r\n",
		"anthropic-ratelimit-input-tokens-remaining: 7\r\n",
		"Anthropic-Ratelimit-Output-Tokens-Remaining: 900\r\n",
		"anthropic-ratelimit-requests-reset: 2026-11-24T04:00:10Z\r\n",
		"anthropic-ratelimit-tokens-reset: 2026-11-24T04:01:00Z\r\n",
		"anthropic-ratelimit-requests-limit: 50\r\n",
		"content-type: application/json\r\n",
		"no colon here\r\n",
	};
	struct retry_hints h;

	retry_hints_init(&h);
	for (size_t i = 0; i < sizeof(lines) / sizeof(*lines); i++)
		retry_parse_header(&h, lines[i], strlen(lines[i]), NOW_MS);
	cr_assert_eq(h.rl_remaining, 7);
	/* no bucket is empty: no reset to wait for */
	cr_assert_eq(h.rl_reset, 0);
	/* nothing else was touched */
	cr_assert_eq(h.retry_after_ms, -1);
	cr_assert_eq(h.should_retry, -1);
}

/* Feed the header lines to h, in order. */
static void
feed(struct retry_hints *h, const char *const *lines, size_t n)
{
	for (size_t i = 0; i < n; i++)
		retry_parse_header(h, lines[i], strlen(lines[i]), NOW_MS);
}

/* An empty bucket's own reset is the wait, not another bucket's later
 * one (requests empty for 1 s must not stall every agent for 50 s); with
 * two empty, the later of their own resets. */
Test(retry, ratelimit_reset_is_the_empty_buckets_own)
{
	static const char *const one_empty[] = {
		"anthropic-ratelimit-output-tokens-reset: 2026-11-24T04:00:50Z\r\n",
		"anthropic-ratelimit-requests-remaining: 0\r\n",
		"anthropic-ratelimit-output-tokens-remaining: 5000\r\n",
		"anthropic-ratelimit-requests-reset: 2026-11-24T04:00:01Z\r\n",
	};
	static const char *const two_empty[] = {
		"anthropic-ratelimit-output-tokens-reset: 2026-11-24T04:00:50Z\r\n",
		"anthropic-ratelimit-requests-remaining: 0\r\n",
		"anthropic-ratelimit-output-tokens-remaining: 0\r\n",
		"anthropic-ratelimit-requests-reset: 2026-11-24T04:00:01Z\r\n",
	};
	struct retry_hints h;

	retry_hints_init(&h);
	feed(&h, one_empty, 4);
	cr_assert_eq(h.rl_remaining, 0);
	cr_assert_eq(h.rl_reset, NOW + 1);
	retry_hints_init(&h);
	feed(&h, two_empty, 4);
	cr_assert_eq(h.rl_remaining, 0);
	cr_assert_eq(h.rl_reset, NOW + 50);
}

/* More buckets than it keeps: the first ones count, nothing overflows. */
Test(retry, ratelimit_buckets_are_bounded)
{
	struct retry_hints h;
	char line[128];

	retry_hints_init(&h);
	for (int i = 0; i < 3 * RETRY_RL_BUCKETS; i++) {
		snprintf(line, sizeof(line),
			 "anthropic-ratelimit-b%d-remaining: %d\r\n", i,
			 100 - i);
		retry_parse_header(&h, line, strlen(line), NOW_MS);
	}
	cr_assert_eq(h.n_rl, RETRY_RL_BUCKETS);
	cr_assert_eq(h.rl_remaining, 100 - (RETRY_RL_BUCKETS - 1));
	/* a bucket name longer than kept is not one */
	retry_hints_init(&h);
	snprintf(line, sizeof(line),
		 "anthropic-ratelimit-%060d-remaining: 0\r\n", 0);
	retry_parse_header(&h, line, strlen(line), NOW_MS);
	cr_assert_eq(h.n_rl, 0);
	cr_assert_eq(h.rl_remaining, -1);
}

Test(retry, ratelimit_ignores_bad_values)
{
	struct retry_hints h = parse(
		"anthropic-ratelimit-requests-remaining: lots\r\n");

	cr_assert_eq(h.rl_remaining, -1);
	h = parse("anthropic-ratelimit-requests-reset: tomorrow\r\n");
	cr_assert_eq(h.rl_reset, 0);
	h = parse("other-ratelimit-requests-remaining: 3\r\n");
	cr_assert_eq(h.rl_remaining, -1);
}

Test(retry, status_rules)
{
	static const long yes[] = { 408, 409, 429, 500, 502, 503, 504, 529 };
	static const long no[] = { 200, 400, 401, 403, 404, 413, 422 };

	for (size_t i = 0; i < sizeof(yes) / sizeof(*yes); i++)
		cr_assert(retry_status_retryable(yes[i]), "%ld", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(*no); i++)
		cr_assert_not(retry_status_retryable(no[i]), "%ld", no[i]);
}

Test(retry, backoff_formula)
{
	static const uint64_t base[] = {
		500, 1000, 2000, 4000, 8000, 8000, 8000
	};
	struct retry_hints h;

	retry_hints_init(&h);
	for (unsigned n = 0; n < sizeof(base) / sizeof(*base); n++) {
		uint64_t hi = retry_delay_ms(&h, n, 0.0);
		uint64_t lo = retry_delay_ms(&h, n, 0.999);

		cr_assert_eq(hi, base[n], "n=%u: %llu", n,
			     (unsigned long long)hi);
		/* jitter 0.999: just above three quarters */
		cr_assert_geq(lo, base[n] * 3 / 4, "n=%u", n);
		cr_assert_lt(lo, base[n] * 3 / 4 + base[n] / 1000 + 1);
		cr_assert_leq(retry_delay_ms(&h, n, 0.5), hi);
		cr_assert_geq(retry_delay_ms(&h, n, 0.5), lo);
	}
	cr_assert_eq(retry_delay_ms(&h, 1000000, 0.0), 8000);
	/* a jitter outside [0, 1) is treated as 0 */
	cr_assert_eq(retry_delay_ms(&h, 0, 1.0), 500);
	cr_assert_eq(retry_delay_ms(&h, 0, -3.0), 500);
}

Test(retry, server_delay_wins)
{
	struct retry_hints h = parse("retry-after-ms: 123\r\n");

	cr_assert_eq(retry_delay_ms(&h, 0, 0.5), 123);
	cr_assert_eq(retry_delay_ms(&h, 9, 0.0), 123);
	h = parse("retry-after: 90\r\n");
	cr_assert_eq(retry_delay_ms(&h, 0, 0.9), 90000);
}

Test(retry, rfc3339)
{
	cr_assert_eq(retry_parse_rfc3339("2026-11-24T04:00:00Z"), NOW);
	cr_assert_eq(retry_parse_rfc3339("1970-01-01T00:00:00Z"), 0);
	cr_assert_eq(retry_parse_rfc3339("2000-02-29T12:34:56Z"),
		     (time_t)951827696);
	cr_assert_eq(retry_parse_rfc3339("not a time"), 0);
	cr_assert_eq(retry_parse_rfc3339(""), 0);
	cr_assert_eq(retry_parse_rfc3339("2026-11-24"), 0);
}
