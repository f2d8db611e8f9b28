/*
 * test_api.c - the API client through the real gao-dev against the fake
 * API: injected faults, stop reasons, run limits and prompt caching
 * (issue #4).
 *
 * Each test starts its own fake API with a scenario of
 * tests/integration/scenarios/ and the faults it injects written inline,
 * runs a one-phase benchmark (scenarios/api-bench.yaml) through the real
 * gao-dev and its real worker,
 * and asserts the outcome the way a CI job would see it: the exit code,
 * the results file (status, stop_reason, errors, metrics), the events
 * file (api_call_* events with status, request id and the delay chosen)
 * and what the fake API received (its record).
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

static void
look(struct ha_run *t, struct seen *s)
{
	json_t *rec = ha_records(t);

	s->res = ha_results(t);
	s->events = ha_events(s->res);
	s->retried = ha_events_named(s->events, "api_call_retried");
	s->posts = ha_posts(rec);
	json_decref(rec);
}

static void
unlook(struct seen *s)
{
	json_decref(s->res);
	json_decref(s->events);
	json_decref(s->retried);
	json_decref(s->posts);
}

static void
expect_exit(const struct ha_run *t, int code)
{
	cr_assert_eq(t->out.code, code, "exit %d, expected %d; stderr:\n%s",
		     t->out.code, code, t->out.err);
}

static void
expect_status(const struct seen *s, const char *status, const char *reason)
{
	cr_assert_str_eq(ha_str(s->res, "status"), status, "status %s (%s)",
			 ha_str(s->res, "status"),
			 ha_str(s->res, "stop_reason"));
	if (reason)
		cr_assert_str_eq(ha_str(s->res, "stop_reason"), reason);
}

/* The run completed, as if nothing had happened: both turns played and
 * the Write ran once. */
static void
expect_completed(const struct ha_run *t, const struct seen *s)
{
	expect_exit(t, 0);
	expect_status(s, "completed", "");
	cr_assert_str_eq(ha_str(s->res, "phases.0.status"), "success");
	cr_assert_str_eq(ha_str(s->res, "phases.0.stop_reason"), "end_turn");
	cr_assert_eq(ha_int(s->res, "phases.0.turns"), 2);
	cr_assert_eq(ha_int(s->res, "metrics.tool_calls"), 1);
}

/* Exactly one retry, of this status and error type, with a delay in
 * [lo, hi] ms, and the next attempt really waited that long. */
static const json_t *
expect_one_retry(const struct seen *s, long status, const char *type,
		 long long lo, long long hi)
{
	const json_t *r = json_array_get(s->retried, 0), *next = NULL, *e;
	size_t i;

	cr_assert_eq(json_array_size(s->retried), 1, "%zu retries",
		     json_array_size(s->retried));
	cr_assert_eq(ha_int(s->res, "metrics.retries"), 1);
	cr_assert_eq(ha_int(r, "status"), status, "status %lld",
		     ha_int(r, "status"));
	cr_assert_str_eq(ha_str(r, "error_type"), type, "%s: %s",
			 ha_str(r, "error_type"), ha_str(r, "message"));
	cr_assert(ha_int(r, "delay_ms") >= lo && ha_int(r, "delay_ms") <= hi,
		  "delay_ms %lld not in [%lld, %lld]", ha_int(r, "delay_ms"),
		  lo, hi);
	if (status > 0)
		cr_assert_eq(strncmp(ha_str(r, "request_id"), "req_", 4), 0,
			     "request id of the failed attempt");
	cr_assert(json_is_integer(ha_get(r, "latency_ms")), "latency_ms");
	json_array_foreach(s->events, i, e)
		if (!next && ha_int(e, "attempt") == 2 &&
		    strcmp(ha_str(e, "event"), "api_call_started") == 0)
			next = e;
	cr_assert_not_null(next, "no second attempt");
	cr_assert_geq(ha_ts_diff_ms(r, next), ha_int(r, "delay_ms") - 5,
		      "the next attempt did not wait");
	return r;
}

/* The recorded attempts of a turn of the one conversation. */
static size_t
attempts_of_turn(const struct seen *s, long turn)
{
	const json_t *p;
	size_t i, n = 0;

	json_array_foreach(s->posts, i, p)
		n += ha_int(p, "turn") == turn;
	return n;
}

/* Run the two-turn Write scenario with these faults and options. */
static void
run_fault(struct ha_run *t, struct seen *s, const char *faults,
	  const char *const *opts)
{
	ha_setup_faults(t, WRITE_SCENARIO, faults, H_TEST_KEY);
	ha_run(t, opts, NULL);
	look(t, s);
}

static void
done(struct ha_run *t, struct seen *s)
{
	unlook(s);
	ha_finish(t);
}

/* --- faults that are retried, then the run completes ------------------ */

Test(fault, overloaded_529_honours_retry_after)
{
	struct ha_run t;
	struct seen s;

	run_fault(&t, &s,
		  "[{\"request\": 1, \"kind\": \"status\", "
		  "\"status\": 529, \"retry_after\": 1}]",
		  KEYOPTS(&t, NULL));
	expect_completed(&t, &s);
	expect_one_retry(&s, 529, "overloaded_error", 1000, 1000);
	cr_assert_eq(json_array_size(s.posts), 3);
	cr_assert_eq(ha_int(s.posts, "0.status"), 529);
	cr_assert_eq(attempts_of_turn(&s, 0), 2);
	done(&t, &s);
}

Test(fault, retry_after_as_an_http_date_is_honoured)
{
	struct ha_run t;
	struct seen s;

	/* the fake names a whole second 1 to 2 s ahead; the client waits to
	 * the start of that second, to the millisecond */
	run_fault(&t, &s,
		  "[{\"request\": 1, \"kind\": \"status\", "
		  "\"status\": 529, \"retry_after\": 1, \"retry_after_date\": "
		  "true}]",
		  KEYOPTS(&t, NULL));
	expect_completed(&t, &s);
	expect_one_retry(&s, 529, "overloaded_error", 0, 2000);
	/* the retry reached the fake at or after the date it named (its
	 * clock: received_at in ms, retry_at in whole seconds) */
	cr_assert_gt(ha_int(s.posts, "0.retry_at"), 0, "no date recorded");
	cr_assert_geq(json_real_value(ha_get(s.posts, "1.received_at")),
		      (double)ha_int(s.posts, "0.retry_at"),
		      "the retry came %.3f s before the date",
		      (double)ha_int(s.posts, "0.retry_at") -
			      json_real_value(
				      ha_get(s.posts, "1.received_at")));
	done(&t, &s);
}

Test(fault, rate_limit_429_honours_retry_after_ms)
{
	struct ha_run t;
	struct seen s;

	/* the second request: turn 1, after the Write ran */
	run_fault(&t, &s,
		  "[{\"request\": 2, \"kind\": \"status\", "
		  "\"status\": 429, \"retry_after_ms\": 300}]",
		  KEYOPTS(&t, NULL));
	expect_completed(&t, &s);
	expect_one_retry(&s, 429, "rate_limit_error", 300, 300);
	cr_assert_eq(attempts_of_turn(&s, 1), 2);
	cr_assert_eq(ha_int(s.posts, "1.status"), 429);
	done(&t, &s);
}

Test(fault, unavailable_503_backs_off_with_jitter)
{
	struct ha_run t;
	struct seen s;

	/* no retry-after: the first back-off is 0.5 s times [0.75, 1] */
	run_fault(&t, &s,
		  "[{\"request\": 1, \"kind\": \"status\", "
		  "\"status\": 503}]",
		  KEYOPTS(&t, NULL));
	expect_completed(&t, &s);
	expect_one_retry(&s, 503, "api_error", 375, 500);
	done(&t, &s);
}

Test(fault, connection_reset_is_retried)
{
	struct ha_run t;
	struct seen s;

	/* without the key check, the first POST opens a fresh connection,
	 * so the reset reaches the client (libcurl itself resends a request
	 * once when a reused keep-alive connection dies first) */
	run_fault(&t, &s, "[{\"request\": 1, \"kind\": \"reset\"}]",
		  KEYOPTS(&t, "--skip-key-validation", NULL));
	expect_completed(&t, &s);
	expect_one_retry(&s, 0, "connection_error", 375, 500);
	cr_assert_str_eq(ha_str(s.posts, "0.fault"), "reset");
	cr_assert_eq(attempts_of_turn(&s, 0), 2);
	done(&t, &s);
}

Test(fault, connection_reset_on_a_reused_connection_is_survived)
{
	struct ha_run t;
	struct seen s;

	run_fault(&t, &s, "[{\"request\": 2, \"kind\": \"reset\"}]",
		  KEYOPTS(&t, NULL));
	expect_completed(&t, &s);
	cr_assert_str_eq(ha_str(s.posts, "1.fault"), "reset");
	cr_assert_eq(attempts_of_turn(&s, 1), 2);
	done(&t, &s);
}

Test(fault, stream_cut_mid_event_is_retried)
{
	struct ha_run t;
	struct seen s;
	const json_t *r;

	run_fault(&t, &s, "[{\"request\": 1, \"kind\": \"cut\"}]",
		  KEYOPTS(&t, NULL));
	expect_completed(&t, &s);
	r = expect_one_retry(&s, 200, "stream_error", 375, 500);
	cr_assert_not_null(strstr(ha_str(r, "message"), "message_stop"), "%s",
			   ha_str(r, "message"));
	cr_assert_eq(attempts_of_turn(&s, 0), 2);
	/* the tool ran once: nothing of the cut answer was acted on */
	cr_assert_eq(ha_int(s.res, "metrics.tool_calls"), 1);
	done(&t, &s);
}

Test(fault, body_cut_without_streaming_is_retried)
{
	struct ha_run t;
	struct seen s;

	/* half of the JSON body, then the connection closes */
	run_fault(&t, &s, "[{\"request\": 1, \"kind\": \"cut\"}]",
		  KEYOPTS(&t, "--no-stream", NULL));
	expect_completed(&t, &s);
	expect_one_retry(&s, 200, "connection_error", 375, 500);
	cr_assert_eq(attempts_of_turn(&s, 0), 2);
	done(&t, &s);
}

Test(fault, error_event_after_200_is_retried)
{
	struct ha_run t;
	struct seen s;

	run_fault(&t, &s, "[{\"request\": 1, \"kind\": \"error_event\"}]",
		  KEYOPTS(&t, NULL));
	expect_completed(&t, &s);
	expect_one_retry(&s, 200, "overloaded_error", 375, 500);
	done(&t, &s);
}

Test(fault, invalid_json_in_the_stream_is_retried)
{
	struct ha_run t;
	struct seen s;

	run_fault(&t, &s, "[{\"request\": 1, \"kind\": \"invalid_json\"}]",
		  KEYOPTS(&t, NULL));
	expect_completed(&t, &s);
	expect_one_retry(&s, 200, "stream_error", 375, 500);
	cr_assert(json_is_true(ha_get(s.posts, "0.body.stream")));
	done(&t, &s);
}

Test(fault, invalid_json_without_streaming_is_retried)
{
	struct ha_run t;
	struct seen s;
	const json_t *p;
	size_t i;

	run_fault(&t, &s, "[{\"request\": 1, \"kind\": \"invalid_json\"}]",
		  KEYOPTS(&t, "--no-stream", NULL));
	expect_completed(&t, &s);
	expect_one_retry(&s, 200, "invalid_response", 375, 500);
	json_array_foreach(s.posts, i, p)
		cr_assert(json_is_false(ha_get(p, "body.stream")));
	done(&t, &s);
}

/*
 * The same malformed 200 on every attempt is the API's answer, not a
 * transient fault: two attempts (one retry), then bad_response, exit 4,
 * streamed or not. (invalid_json on attempt 1 only is retried and
 * succeeds: the two tests above.)
 */
static void
run_same_bad(const char *const *extra, const char *type)
{
	struct ha_run t;
	struct seen s;
	json_t *ends;
	const char *err;

	run_fault(&t, &s,
		  "[{\"conversation\": \"amelia\", \"turn\": 0, "
		  "\"attempt\": \"all\", \"kind\": \"invalid_json\"}]",
		  extra ? KEYOPTS(&t, extra[0], NULL) : KEYOPTS(&t, NULL));
	expect_exit(&t, 4);
	expect_status(&s, "error", "bad_response");
	cr_assert_str_eq(ha_str(s.res, "phases.0.status"), "error");
	cr_assert_eq(json_array_size(s.posts), 2, "%zu attempts, not 2",
		     json_array_size(s.posts));
	cr_assert_eq(json_array_size(s.retried), 1);
	cr_assert_str_eq(ha_str(s.retried, "0.error_type"), type);
	ends = ha_events_named(s.events, "api_call_completed");
	cr_assert_str_eq(ha_str(ends, "0.outcome"), "bad_response");
	cr_assert_eq(ha_int(ends, "0.status"), 200);
	json_decref(ends);
	err = ha_str(s.res, "errors.0");
	cr_assert_not_null(strstr(err, "bad_response"), "%s", err);
	cr_assert_not_null(strstr(err, "not valid JSON"), "%s", err);
	cr_assert_not_null(strstr(err, "same malformed answer"), "%s", err);
	cr_assert_not_null(strstr(t.out.out, "bad_response"), "summary:\n%s",
			   t.out.out);
	done(&t, &s);
}

Test(fault, same_invalid_json_stream_twice_stops_retrying)
{
	run_same_bad(NULL, "stream_error");
}

Test(fault, same_invalid_json_body_twice_stops_retrying)
{
	run_same_bad((const char *const[]){ "--no-stream" },
		     "invalid_response");
}

/*
 * A stream that stalls mid-event (half an event, then silence): the
 * attempt ends as a timeout after --idle-timeout, not the default 300 s
 * nor the user config's idle_timeout: 3600 (the option wins), the event
 * says why, and the retry completes the run.
 */
Test(fault, stalled_stream_ends_at_the_idle_timeout_and_is_retried)
{
	struct ha_run t;
	struct seen s;
	const json_t *r;
	char conf[400], env[420];

	ha_setup_faults(&t, WRITE_SCENARIO,
			"[{\"request\": 1, \"kind\": \"stall\", "
			"\"stall_ms\": 60000}]",
			H_TEST_KEY);
	snprintf(conf, sizeof(conf), "%s/config.yaml", t.dir);
	ha_write_file(conf, "idle_timeout: 3600\n", 0600);
	snprintf(env, sizeof(env), "GAO_DEV_CONFIG=%s", conf);
	ha_run(&t, KEYOPTS(&t, "--idle-timeout", "5", NULL),
	       (const char *const[]){ env, NULL });
	look(&t, &s);
	expect_completed(&t, &s);
	r = expect_one_retry(&s, 200, "timeout", 375, 500);
	cr_assert_not_null(strstr(ha_str(r, "message"), "no byte for 5 s"),
			   "%s", ha_str(r, "message"));
	cr_assert_not_null(strstr(ha_str(r, "message"), "--idle-timeout"));
	cr_assert(ha_int(r, "latency_ms") >= 4500 &&
			  ha_int(r, "latency_ms") < 9000,
		  "the stalled attempt ended after %lld ms",
		  ha_int(r, "latency_ms"));
	cr_assert_eq(attempts_of_turn(&s, 0), 2);
	cr_assert_lt(t.seconds, 40.0, "not ended before the 60 s stall");
	done(&t, &s);
}

/*
 * A plain (--no-stream) answer sends nothing until the model is done:
 * its first byte may come later than --idle-timeout (up to 10 minutes),
 * while a plain answer that stalls once it began still ends at it.
 */
Test(fault, plain_answer_may_begin_after_the_idle_timeout)
{
	struct ha_run t;
	struct seen s;
	const json_t *r;

	run_fault(&t, &s,
		  "[{\"request\": 1, \"kind\": \"slow\", "
		  "\"delay_ms\": 7000}]",
		  KEYOPTS(&t, "--no-stream", "--idle-timeout", "5", NULL));
	expect_completed(&t, &s);
	cr_assert_eq(json_array_size(s.retried), 0, "the slow answer was cut");
	done(&t, &s);
	run_fault(&t, &s,
		  "[{\"request\": 1, \"kind\": \"stall\", "
		  "\"stall_ms\": 60000}]",
		  KEYOPTS(&t, "--no-stream", "--idle-timeout", "5", NULL));
	expect_completed(&t, &s);
	r = expect_one_retry(&s, 200, "timeout", 375, 500);
	cr_assert(ha_int(r, "latency_ms") >= 4500 &&
			  ha_int(r, "latency_ms") < 9000,
		  "the stalled attempt ended after %lld ms",
		  ha_int(r, "latency_ms"));
	done(&t, &s);
}

Test(fault, slow_answer_within_limits_is_waited_for)
{
	struct ha_run t;
	struct seen s;
	json_t *done_ev;

	run_fault(&t, &s,
		  "[{\"request\": 1, \"kind\": \"slow\", "
		  "\"delay_ms\": 1500}]",
		  KEYOPTS(&t, NULL));
	expect_completed(&t, &s);
	cr_assert_eq(json_array_size(s.retried), 0);
	done_ev = ha_events_named(s.events, "api_call_completed");
	cr_assert_geq(ha_int(done_ev, "0.latency_ms"), 1500);
	cr_assert_eq(ha_int(done_ev, "0.status"), 200);
	json_decref(done_ev);
	done(&t, &s);
}

Test(fault, no_stream_runs_the_demo_to_completion)
{
	struct ha_run t;
	struct seen s;
	const json_t *p;
	size_t i;

	ha_setup(&t, "benchmarks/demo.fake.json", H_TEST_KEY);
	h_src("benchmarks/demo.yaml", t.config, sizeof(t.config));
	ha_run(&t, KEYOPTS(&t, "--no-stream", NULL), NULL);
	look(&t, &s);
	expect_exit(&t, 0);
	expect_status(&s, "completed", "");
	cr_assert_eq(ha_int(s.res, "metrics.tool_calls"), 5);
	cr_assert(json_is_false(ha_get(s.res, "reproduce.streaming")));
	cr_assert_eq(json_array_size(s.posts), 6);
	json_array_foreach(s.posts, i, p)
		cr_assert(json_is_false(ha_get(p, "body.stream")));
	done(&t, &s);
}

/*
 * Valid JSON holding "\u0000" (a text block, a tool input, the final
 * text) is an answer like any other, streamed or not: the Write is refused
 * with an is_error result naming the field (the fake's expectation checks
 * it, or answers 400), the run goes on and completes, no retry is spent.
 */
static void
run_nul(const char *const *extra)
{
	struct ha_run t;
	struct seen s;
	const json_t *p;
	size_t i;

	ha_setup(&t, "tests/integration/scenarios/api-nul.json", H_TEST_KEY);
	ha_run(&t, extra ? KEYOPTS(&t, extra[0], NULL) : KEYOPTS(&t, NULL),
	       NULL);
	look(&t, &s);
	expect_exit(&t, 0);
	expect_status(&s, "completed", "");
	cr_assert_eq(ha_int(s.res, "phases.0.turns"), 3);
	cr_assert_eq(json_array_size(s.retried), 0, "a retry was spent");
	cr_assert_eq(ha_int(s.res, "metrics.retries"), 0);
	cr_assert_eq(json_array_size(s.posts), 3, "%zu requests",
		     json_array_size(s.posts));
	/* the answer went back as it came, NUL included */
	cr_assert_str_eq(ha_str(s.posts, "1.body.messages.1.content.0.text"),
			 "Writing");
	cr_assert_eq(json_string_length(
			     ha_get(s.posts,
				    "1.body.messages.1.content.0.text")),
		     18);
	json_array_foreach(s.posts, i, p)
		cr_assert_eq(json_is_true(ha_get(p, "body.stream")), !extra);
	done(&t, &s);
}

Test(fault, nul_in_a_streamed_answer_reaches_the_tool)
{
	run_nul(NULL);
}

Test(fault, nul_in_a_plain_answer_reaches_the_tool)
{
	run_nul((const char *const[]){ "--no-stream" });
}

/* --- faults that end the run: infrastructure (exit 4) ------------------ */

Test(fault, server_error_500_with_should_retry_false_fails)
{
	struct ha_run t;
	struct seen s;

	run_fault(&t, &s,
		  "[{\"request\": 1, \"kind\": \"status\", "
		  "\"status\": 500, \"should_retry\": \"false\"}]",
		  KEYOPTS(&t, NULL));
	expect_exit(&t, 4);
	expect_status(&s, "error", "server_error");
	cr_assert_eq(json_array_size(s.retried), 0, "retried anyway");
	cr_assert_eq(json_array_size(s.posts), 1);
	cr_assert_not_null(strstr(ha_str(s.res, "errors.0"), "HTTP 500"));
	cr_assert_not_null(strstr(ha_str(s.res, "errors.0"), "x-should-retry"),
			   "%s", ha_str(s.res, "errors.0"));
	done(&t, &s);
}

Test(fault, retries_exhausted_is_an_infrastructure_failure)
{
	struct ha_run t;
	struct seen s;
	const char *err;

	run_fault(&t, &s,
		  "[{\"conversation\": \"amelia\", \"turn\": 0, "
		  "\"attempt\": \"all\", \"kind\": \"status\", "
		  "\"status\": 529, \"retry_after\": 0}]",
		  KEYOPTS(&t, "--max-retries", "1", NULL));
	expect_exit(&t, 4);
	expect_status(&s, "error", "retries_exhausted");
	cr_assert_str_eq(ha_str(s.res, "phases.0.status"), "error",
			 "never an agent failure");
	cr_assert_eq(json_array_size(s.posts), 2, "1 retry after the first");
	cr_assert_eq(json_array_size(s.retried), 1);
	err = ha_str(s.res, "errors.0");
	cr_assert_not_null(strstr(err, "HTTP 529"), "%s", err);
	cr_assert_not_null(strstr(err, "overloaded_error"), "%s", err);
	cr_assert_not_null(strstr(err, "--max-retries"), "%s", err);
	done(&t, &s);
}

Test(fault, retry_budget_exceeded_gives_up_at_once)
{
	struct ha_run t;
	struct seen s;
	const char *err;

	run_fault(&t, &s,
		  "[{\"request\": 1, \"kind\": \"status\", "
		  "\"status\": 529, \"retry_after\": 30}]",
		  KEYOPTS(&t, "--retry-budget", "2", NULL));
	expect_exit(&t, 4);
	expect_status(&s, "error", "retries_exhausted");
	cr_assert_lt(t.seconds, 15.0, "waited %.1f s beyond the budget",
		     t.seconds);
	cr_assert_eq(json_array_size(s.retried), 0);
	cr_assert_eq(json_array_size(s.posts), 1);
	err = ha_str(s.res, "errors.0");
	cr_assert_not_null(strstr(err, "--retry-budget"), "%s", err);
	done(&t, &s);
}

Test(fault, spend_limit_429_is_fatal_without_retry)
{
	struct ha_run t;
	struct seen s;

	run_fault(&t, &s, "[{\"request\": 1, \"kind\": \"spend_limit\"}]",
		  KEYOPTS(&t, NULL));
	expect_exit(&t, 4);
	expect_status(&s, "error", "spend_limit");
	cr_assert_eq(json_array_size(s.retried), 0);
	cr_assert_eq(json_array_size(s.posts), 1);
	cr_assert_not_null(strstr(ha_str(s.res, "errors.0"), "spend limit"));
	done(&t, &s);
}

/* The real API's 400s of an account's usage limit and credit balance
 * are the spend limit too: fatal, not retried, named so. */
Test(fault, usage_limit_and_credit_400_are_the_spend_limit)
{
	static const char *const faults[] = {
		"[{\"request\": 1, \"kind\": \"status\", \"status\": 400, "
		"\"message\": \"You have reached your specified API usage "
		"limits. You will regain access on 2027-01-01 at 00:00 UTC.\"}]",
		"[{\"request\": 1, \"kind\": \"status\", \"status\": 400, "
		"\"message\": \"Your credit balance is too low to access the "
		"Anthropic API.\"}]",
	};

	for (size_t i = 0; i < 2; i++) {
		struct ha_run t;
		struct seen s;

		run_fault(&t, &s, faults[i], KEYOPTS(&t, NULL));
		expect_exit(&t, 4);
		expect_status(&s, "error", "spend_limit");
		cr_assert_eq(json_array_size(s.posts), 1);
		done(&t, &s);
	}
}

/* A conversation past the context window is the agent's run ending, as
 * the stop_reason model_context_window_exceeded: failed, exit 1, with
 * the option that helps. */
Test(fault, prompt_too_long_fails_the_phase)
{
	struct ha_run t;
	struct seen s;
	const char *err;
	json_t *done_ev;

	run_fault(&t, &s,
		  "[{\"request\": 2, \"kind\": \"status\", \"status\": 400, "
		  "\"message\": \"prompt is too long: 210345 tokens > 200000 "
		  "maximum\"}]",
		  KEYOPTS(&t, NULL));
	expect_exit(&t, 1);
	expect_status(&s, "failed", "model_context_window_exceeded");
	cr_assert_eq(json_array_size(s.posts), 2);
	err = ha_str(s.res, "errors.0");
	cr_assert_not_null(strstr(err, "--max-turns"), "%s", err);
	/* the API client's own outcome, in the event that ends the call */
	done_ev = ha_events_named(s.events, "api_call_completed");
	cr_assert_str_eq(ha_str(json_array_get(done_ev,
					       json_array_size(done_ev) - 1),
				"outcome"),
			 "model_context_window_exceeded");
	json_decref(done_ev);
	done(&t, &s);
}

Test(fault, invalid_request_400_fails_with_the_message)
{
	struct ha_run t;
	struct seen s;
	const char *err;

	run_fault(&t, &s,
		  "[{\"request\": 1, \"kind\": \"status\", "
		  "\"status\": 400, \"message\": \"max_tokens: 999999 > "
		  "128000, which is the maximum allowed\"}]",
		  KEYOPTS(&t, NULL));
	expect_exit(&t, 4);
	expect_status(&s, "error", "invalid_request");
	cr_assert_eq(json_array_size(s.posts), 1);
	err = ha_str(s.res, "errors.0");
	cr_assert_not_null(strstr(err, "invalid_request_error"), "%s", err);
	cr_assert_not_null(strstr(err, "max_tokens: 999999"), "%s", err);
	cr_assert_not_null(strstr(err, "--max-output-tokens"), "%s", err);
	done(&t, &s);
}

/* --- faults that end the run: key and model --------------------------- */

Test(fault, unknown_model_exits_2_naming_the_option)
{
	struct ha_run t;
	json_t *rec, *posts;

	ha_setup(&t, WRITE_SCENARIO, H_TEST_KEY);
	ha_run(&t, KEYOPTS(&t, "--model", "claude-unknown-9", NULL), NULL);
	expect_exit(&t, 2);
	cr_assert_not_null(strstr(t.out.err, "claude-unknown-9"));
	cr_assert_not_null(strstr(t.out.err, "--model"), "%s", t.out.err);
	rec = ha_records(&t);
	posts = ha_posts(rec);
	cr_assert_eq(json_array_size(posts), 0, "checked before any work");
	cr_assert_str_eq(ha_str(rec, "0.path"), "/v1/models/claude-unknown-9");
	cr_assert_eq(ha_int(rec, "0.status"), 404);
	json_decref(posts);
	json_decref(rec);
	ha_finish(&t);
}

Test(fault, unknown_model_in_a_message_call_exits_2)
{
	struct ha_run t;
	struct seen s;

	ha_setup(&t, WRITE_SCENARIO, H_TEST_KEY);
	ha_run(&t,
	       KEYOPTS(&t, "--model", "claude-unknown-9",
		       "--skip-key-validation", NULL),
	       NULL);
	look(&t, &s);
	expect_exit(&t, 2);
	expect_status(&s, "error", "not_found_error");
	cr_assert_not_null(strstr(ha_str(s.res, "errors.0"), "--model"), "%s",
			   ha_str(s.res, "errors.0"));
	done(&t, &s);
}

Test(fault, unauthorized_401_mid_run_exits_3)
{
	struct ha_run t;
	struct seen s;

	run_fault(&t, &s,
		  "[{\"request\": 2, \"kind\": \"status\", "
		  "\"status\": 401}]",
		  KEYOPTS(&t, NULL));
	expect_exit(&t, 3);
	expect_status(&s, "error", "authentication_error");
	cr_assert_eq(json_array_size(s.retried), 0);
	cr_assert_eq(json_array_size(s.posts), 2);
	done(&t, &s);
}

/* The events of every run under the sandbox root, in one array, each
 * tagged with its run's index as "run". */
static json_t *
all_events(const struct ha_run *t, size_t *runs)
{
	char dir[600], path[1024];
	json_t *all = json_array(), *res, *ev, *e;
	struct dirent *d;
	DIR *dp;
	size_t i;

	*runs = 0;
	snprintf(dir, sizeof(dir), "%s/results", t->root);
	dp = opendir(dir);
	cr_assert_not_null(dp);
	while ((d = readdir(dp))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		res = json_load_file(path, 0, NULL);
		cr_assert_not_null(res, "%s", path);
		ev = ha_events(res);
		json_array_foreach(ev, i, e) {
			json_object_set_new(e, "run",
					    json_integer((json_int_t)*runs));
			json_array_append(all, e);
		}
		(*runs)++;
		json_decref(ev);
		json_decref(res);
	}
	closedir(dp);
	return all;
}

Test(fault, rate_limit_slows_every_run_of_the_process)
{
	struct ha_run t;
	json_t *all, *retried, *r, *e;
	size_t i, runs, other_waited = 0;

	/* two runs at once: the first request gets a 429 asking for 2 s;
	 * the other run's first answer is slowed so that its next request
	 * comes while that back-off holds */
	ha_setup_faults(&t, WRITE_SCENARIO,
			"[{\"request\": 1, \"kind\": "
			"\"status\", \"status\": 429, \"retry_after\": 2}, "
			"{\"request\": 2, \"kind\": \"slow\", \"delay_ms\": "
			"500}]",
			H_TEST_KEY);
	ha_run(&t, KEYOPTS(&t, "--repeat", "2", "--jobs", "2", NULL), NULL);
	expect_exit(&t, 0);
	all = all_events(&t, &runs);
	cr_assert_eq(runs, 2);
	retried = ha_events_named(all, "api_call_retried");
	cr_assert_eq(json_array_size(retried), 1);
	r = json_array_get(retried, 0);
	cr_assert_eq(ha_int(r, "delay_ms"), 2000);
	json_array_foreach(all, i, e) {
		long long d = ha_ts_diff_ms(r, e);

		if (strcmp(ha_str(e, "event"), "api_call_started") != 0 ||
		    d <= 0)
			continue;
		/* the back-off is set a moment before the retried event
		 * takes its time: a margin for a preempted supervisor; the
		 * gap without the back-off would be the 500 ms slow reply */
		cr_assert_geq(d, 1950,
			      "a call started %lld ms into the "
			      "back-off",
			      d);
		other_waited += ha_int(e, "run") != ha_int(r, "run");
	}
	cr_assert_geq(other_waited, 1, "the other run did not wait");
	json_decref(retried);
	json_decref(all);
	ha_finish(&t);
}

/* --- stop reasons ------------------------------------------------------ */

static void
run_scenario(struct ha_run *t, struct seen *s, const char *name,
	     const char *const *opts)
{
	char rel[256];

	snprintf(rel, sizeof(rel), "tests/integration/scenarios/%s", name);
	ha_setup(t, rel, H_TEST_KEY);
	ha_run(t, opts, NULL);
	look(t, s);
}

static bool
project_has(const json_t *res, const char *file)
{
	char p[1024];

	snprintf(p, sizeof(p), "%s/%s", ha_str(res, "project_dir"), file);
	return access(p, F_OK) == 0;
}

Test(stop, end_turn_completes)
{
	struct ha_run t;
	struct seen s;
	json_t *turns;

	run_scenario(&t, &s, "api-write.json", KEYOPTS(&t, NULL));
	expect_completed(&t, &s);
	cr_assert_eq(json_array_size(s.retried), 0);
	cr_assert(project_has(s.res, "hello.txt"));
	turns = ha_events_named(s.events, "agent_turn");
	cr_assert_str_eq(ha_str(turns, "0.stop_reason"), "tool_use");
	cr_assert_str_eq(ha_str(turns, "1.stop_reason"), "end_turn");
	json_decref(turns);
	done(&t, &s);
}

Test(stop, max_tokens_does_not_run_the_partial_tool_use)
{
	struct ha_run t;
	struct seen s;
	const char *second;

	run_scenario(&t, &s, "api-stop-max-tokens.json", KEYOPTS(&t, NULL));
	expect_exit(&t, 0);
	expect_status(&s, "completed", "");
	cr_assert_eq(ha_int(s.res, "phases.0.turns"), 3);
	cr_assert_eq(ha_int(s.res, "metrics.tool_calls"), 1);
	cr_assert_not(project_has(s.res, "partial.txt"), "the cut call ran");
	cr_assert(project_has(s.res, "small.txt"));
	/* the agent was told (the scenario's expect checked it too), and
	 * the cut tool_use was not sent back as if it had happened */
	json_t *msgs = ha_get(s.posts, "1.body.messages");
	char *body = json_dumps(msgs, 0);

	second = body ? body : "";
	cr_assert_not_null(strstr(second, "not run"));
	cr_assert_null(strstr(second, "partial.txt"), "%s", second);
	free(body);
	done(&t, &s);
}

/* Blank text blocks of a reply are not sent back (the API refuses them;
 * the fake answers 400), streamed or not. */
Test(stop, blank_text_blocks_are_not_sent_back)
{
	static const char *const modes[] = { NULL, "--no-stream" };

	for (size_t i = 0; i < 2; i++) {
		struct ha_run t;
		struct seen s;

		run_scenario(&t, &s, "api-blank-text.json",
			     KEYOPTS(&t, modes[i], NULL));
		expect_exit(&t, 0);
		expect_status(&s, "completed", "");
		cr_assert_eq(json_array_size(s.posts), 3);
		cr_assert(project_has(s.res, "b.txt"));
		/* the tool_use alone went back, not its blank text */
		cr_assert_eq(json_array_size(
				     ha_get(s.posts,
					    "2.body.messages.3.content")),
			     1);
		cr_assert_str_eq(ha_str(s.posts,
					"2.body.messages.3.content.0.type"),
				 "tool_use");
		done(&t, &s);
	}
}

Test(stop, pause_turn_is_continued)
{
	struct ha_run t;
	struct seen s;
	json_t *msgs;

	run_scenario(&t, &s, "api-stop-pause.json", KEYOPTS(&t, NULL));
	expect_exit(&t, 0);
	expect_status(&s, "completed", "");
	cr_assert_eq(json_array_size(s.posts), 2);
	/* the continuation sends the paused content back as is, last */
	msgs = ha_get(s.posts, "1.body.messages");
	cr_assert_eq(json_array_size(msgs), 2);
	cr_assert_str_eq(ha_str(msgs, "1.role"), "assistant");
	cr_assert_str_eq(ha_str(msgs, "1.content.0.text"),
			 "Still working on it");
	done(&t, &s);
}

/*
 * The client appends each continuation to the same assistant turn, so the
 * stateless fake (which picks the turn by counting assistant messages)
 * keeps answering pause_turn: the client must give up after 5.
 */
Test(stop, pause_turn_is_continued_at_most_5_times)
{
	struct ha_run t;
	struct seen s;

	run_scenario(&t, &s, "api-stop-pause-limit.json", KEYOPTS(&t, NULL));
	expect_exit(&t, 1);
	expect_status(&s, "failed", "pause_turn_limit");
	cr_assert_eq(json_array_size(s.posts), 6, "1 call + 5 continuations");
	done(&t, &s);
}

Test(stop, refusal_fails_the_phase_and_the_run)
{
	struct ha_run t;
	struct seen s;

	run_scenario(&t, &s, "api-stop-refusal.json", KEYOPTS(&t, NULL));
	expect_exit(&t, 1);
	expect_status(&s, "failed", "refusal");
	cr_assert_str_eq(ha_str(s.res, "phases.0.status"), "failed");
	cr_assert_str_eq(ha_str(s.res, "phases.0.stop_reason"), "refusal");
	cr_assert_eq(json_array_size(s.posts), 1);
	done(&t, &s);
}

/* --- limits ------------------------------------------------------------ */

Test(limit, max_turns_stops_the_run)
{
	struct ha_run t;
	struct seen s;

	run_scenario(&t, &s, "api-turns.json",
		     KEYOPTS(&t, "--max-turns", "2", NULL));
	expect_exit(&t, 5);
	expect_status(&s, "stopped", "max_turns");
	cr_assert_eq(json_array_size(s.posts), 2);
	cr_assert(project_has(s.res, "t2.txt"));
	cr_assert_not(project_has(s.res, "t3.txt"));
	done(&t, &s);
}

Test(limit, max_tokens_stops_before_the_call_that_could_cross_it)
{
	struct ha_run t;
	struct seen s;
	long long used;

	run_scenario(&t, &s, "api-turns.json",
		     KEYOPTS(&t, "--max-tokens", "6000", "--max-output-tokens",
			     "1000", NULL));
	expect_exit(&t, 5);
	expect_status(&s, "stopped", "token_limit");
	used = ha_int(s.res, "metrics.tokens.input") +
	       ha_int(s.res, "metrics.tokens.output") +
	       ha_int(s.res, "metrics.tokens.cache_creation") +
	       ha_int(s.res, "metrics.tokens.cache_read");
	cr_assert_leq(used, 6000, "used %lld tokens", used);
	cr_assert(json_array_size(s.posts) >= 1 && json_array_size(s.posts) < 6,
		  "%zu calls", json_array_size(s.posts));
	done(&t, &s);
}

Test(limit, tiny_max_cost_stops_before_the_first_call)
{
	struct ha_run t;
	struct seen s;

	run_scenario(&t, &s, "api-turns.json",
		     KEYOPTS(&t, "--max-cost-usd", "0.001", NULL));
	expect_exit(&t, 5);
	expect_status(&s, "stopped", "cost_limit");
	cr_assert_eq(json_array_size(s.posts), 0,
		     "the worst case of the call is checked before it");
	done(&t, &s);
}

Test(limit, timeout_stops_a_slow_run)
{
	struct ha_run t;
	struct seen s;

	run_scenario(&t, &s, "api-slow.json",
		     KEYOPTS(&t, "--timeout", "2", NULL));
	expect_exit(&t, 5);
	expect_status(&s, "timeout", NULL);
	/* cut at the limit, far before the answer's 30 s (the run's own
	 * clock starts after the key check; loaded machines are slow) */
	cr_assert_geq(ha_num(s.res, "duration_seconds"), 1.9, "run took %.1f s",
		      ha_num(s.res, "duration_seconds"));
	cr_assert_lt(ha_num(s.res, "duration_seconds"), 15.0, "run took %.1f s",
		     ha_num(s.res, "duration_seconds"));
	cr_assert_lt(t.seconds, 25.0, "took %.1f s", t.seconds);
	done(&t, &s);
}

/* --- prompt caching ---------------------------------------------------- */

Test(cache, twenty_turns_are_mostly_cache_reads)
{
	struct ha_run t;
	struct seen s;
	json_t *calls, *c;
	long long in, cw, cr, sum_cr = 0;
	size_t i;
	double share;

	run_scenario(&t, &s, "api-cache-20.json", KEYOPTS(&t, NULL));
	expect_exit(&t, 0);
	cr_assert_eq(ha_int(s.res, "phases.0.turns"), 20);
	in = ha_int(s.res, "metrics.tokens.input");
	cw = ha_int(s.res, "metrics.tokens.cache_creation");
	cr = ha_int(s.res, "metrics.tokens.cache_read");
	share = (double)cr / (double)(in + cw + cr);
	printf("cache: 20 turns, input %lld, cache write %lld, cache read "
	       "%lld: %.1f %% of input tokens billed as cache reads\n",
	       in, cw, cr, share * 100.0);
	cr_assert_gt(share, 0.8, "cache reads are %.1f %% of the input",
		     share * 100.0);
	/* recorded per call too, and the calls add up to the run */
	calls = ha_events_named(s.events, "api_call_completed");
	json_array_foreach(calls, i, c)
		sum_cr += ha_int(c, "cache_read_input_tokens");
	cr_assert_eq(sum_cr, cr);
	cr_assert_eq(ha_int(calls, "0.cache_read_input_tokens"), 0);
	cr_assert_gt(ha_int(calls, "19.cache_read_input_tokens"), 0);
	json_decref(calls);
	done(&t, &s);
}
