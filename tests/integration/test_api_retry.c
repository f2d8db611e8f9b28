/*
 * test_api_retry.c - faults the API client retries, through the real
 * gao-dev against the fake API (issues #4 and #15): after each the run
 * completes as if nothing had happened. Statuses with retry-after (in
 * seconds, as an HTTP date, in ms), back-off with jitter, connection
 * resets, cut streams and bodies, error events, invalid JSON (the same
 * bad answer twice stops the retries), stalls and the idle timeout, slow
 * answers, --no-stream, a NUL in an answer, and the rate-limit back-off
 * every run of the process shares.
 *
 * Each test plays the two-turn Write scenario with the faults it injects
 * written inline (harness_seen.h) and asserts what a CI job would see: the
 * exit code, the results file, the api_call_* events with the delay
 * chosen, and what the fake received.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness_seen.h"

/* --- faults that are retried, then the run completes ------------------ */

Test(fault, overloaded_529_honours_retry_after)
{
	struct ha_run t;
	struct seen s;

	seen_run_fault(&t, &s,
		       "[{\"request\": 1, \"kind\": \"status\", "
		       "\"status\": 529, \"retry_after\": 1}]",
		       KEYOPTS(&t, NULL));
	seen_completed(&t, &s);
	seen_one_retry(&s, 529, "overloaded_error", 1000, 1000);
	cr_assert_eq(json_array_size(s.posts), 3);
	cr_assert_eq(ha_int(s.posts, "0.status"), 529);
	cr_assert_eq(seen_attempts_of_turn(&s, 0), 2);
	seen_done(&t, &s);
}

Test(fault, retry_after_as_an_http_date_is_honoured)
{
	struct ha_run t;
	struct seen s;

	/* the fake names a whole second 1 to 2 s ahead; the client waits to
	 * the start of that second, to the millisecond */
	seen_run_fault(
		&t, &s,
		"[{\"request\": 1, \"kind\": \"status\", "
		"\"status\": 529, \"retry_after\": 1, \"retry_after_date\": "
		"true}]",
		KEYOPTS(&t, NULL));
	seen_completed(&t, &s);
	seen_one_retry(&s, 529, "overloaded_error", 0, 2000);
	/* the retry reached the fake at or after the date it named (its
	 * clock: received_at in ms, retry_at in whole seconds) */
	cr_assert_gt(ha_int(s.posts, "0.retry_at"), 0, "no date recorded");
	cr_assert_geq(json_real_value(ha_get(s.posts, "1.received_at")),
		      (double)ha_int(s.posts, "0.retry_at"),
		      "the retry came %.3f s before the date",
		      (double)ha_int(s.posts, "0.retry_at") -
			      json_real_value(
				      ha_get(s.posts, "1.received_at")));
	seen_done(&t, &s);
}

Test(fault, rate_limit_429_honours_retry_after_ms)
{
	struct ha_run t;
	struct seen s;

	/* the second request: turn 1, after the Write ran */
	seen_run_fault(&t, &s,
		       "[{\"request\": 2, \"kind\": \"status\", "
		       "\"status\": 429, \"retry_after_ms\": 300}]",
		       KEYOPTS(&t, NULL));
	seen_completed(&t, &s);
	seen_one_retry(&s, 429, "rate_limit_error", 300, 300);
	cr_assert_eq(seen_attempts_of_turn(&s, 1), 2);
	cr_assert_eq(ha_int(s.posts, "1.status"), 429);
	seen_done(&t, &s);
}

Test(fault, unavailable_503_backs_off_with_jitter)
{
	struct ha_run t;
	struct seen s;

	/* no retry-after: the first back-off is 0.5 s times [0.75, 1] */
	seen_run_fault(&t, &s,
		       "[{\"request\": 1, \"kind\": \"status\", "
		       "\"status\": 503}]",
		       KEYOPTS(&t, NULL));
	seen_completed(&t, &s);
	seen_one_retry(&s, 503, "api_error", 375, 500);
	seen_done(&t, &s);
}

Test(fault, connection_reset_is_retried)
{
	struct ha_run t;
	struct seen s;

	/* without the key check, the first POST opens a fresh connection,
	 * so the reset reaches the client (libcurl itself resends a request
	 * once when a reused keep-alive connection dies first) */
	seen_run_fault(&t, &s, "[{\"request\": 1, \"kind\": \"reset\"}]",
		       KEYOPTS(&t, "--skip-key-validation", NULL));
	seen_completed(&t, &s);
	seen_one_retry(&s, 0, "connection_error", 375, 500);
	cr_assert_str_eq(ha_str(s.posts, "0.fault"), "reset");
	cr_assert_eq(seen_attempts_of_turn(&s, 0), 2);
	seen_done(&t, &s);
}

Test(fault, connection_reset_on_a_reused_connection_is_survived)
{
	struct ha_run t;
	struct seen s;

	seen_run_fault(&t, &s, "[{\"request\": 2, \"kind\": \"reset\"}]",
		       KEYOPTS(&t, NULL));
	seen_completed(&t, &s);
	cr_assert_str_eq(ha_str(s.posts, "1.fault"), "reset");
	cr_assert_eq(seen_attempts_of_turn(&s, 1), 2);
	seen_done(&t, &s);
}

Test(fault, stream_cut_mid_event_is_retried)
{
	struct ha_run t;
	struct seen s;
	const json_t *r;

	seen_run_fault(&t, &s, "[{\"request\": 1, \"kind\": \"cut\"}]",
		       KEYOPTS(&t, NULL));
	seen_completed(&t, &s);
	r = seen_one_retry(&s, 200, "stream_error", 375, 500);
	cr_assert_not_null(strstr(ha_str(r, "message"), "message_stop"), "%s",
			   ha_str(r, "message"));
	cr_assert_eq(seen_attempts_of_turn(&s, 0), 2);
	/* the tool ran once: nothing of the cut answer was acted on */
	cr_assert_eq(ha_int(s.res, "metrics.tool_calls"), 1);
	seen_done(&t, &s);
}

Test(fault, body_cut_without_streaming_is_retried)
{
	struct ha_run t;
	struct seen s;

	/* half of the JSON body, then the connection closes */
	seen_run_fault(&t, &s, "[{\"request\": 1, \"kind\": \"cut\"}]",
		       KEYOPTS(&t, "--no-stream", NULL));
	seen_completed(&t, &s);
	seen_one_retry(&s, 200, "connection_error", 375, 500);
	cr_assert_eq(seen_attempts_of_turn(&s, 0), 2);
	seen_done(&t, &s);
}

Test(fault, error_event_after_200_is_retried)
{
	struct ha_run t;
	struct seen s;

	seen_run_fault(&t, &s, "[{\"request\": 1, \"kind\": \"error_event\"}]",
		       KEYOPTS(&t, NULL));
	seen_completed(&t, &s);
	seen_one_retry(&s, 200, "overloaded_error", 375, 500);
	seen_done(&t, &s);
}

Test(fault, invalid_json_in_the_stream_is_retried)
{
	struct ha_run t;
	struct seen s;

	seen_run_fault(&t, &s, "[{\"request\": 1, \"kind\": \"invalid_json\"}]",
		       KEYOPTS(&t, NULL));
	seen_completed(&t, &s);
	seen_one_retry(&s, 200, "stream_error", 375, 500);
	cr_assert(json_is_true(ha_get(s.posts, "0.body.stream")));
	seen_done(&t, &s);
}

Test(fault, invalid_json_without_streaming_is_retried)
{
	struct ha_run t;
	struct seen s;
	const json_t *p;
	size_t i;

	seen_run_fault(&t, &s, "[{\"request\": 1, \"kind\": \"invalid_json\"}]",
		       KEYOPTS(&t, "--no-stream", NULL));
	seen_completed(&t, &s);
	seen_one_retry(&s, 200, "invalid_response", 375, 500);
	json_array_foreach(s.posts, i, p)
		cr_assert(json_is_false(ha_get(p, "body.stream")));
	seen_done(&t, &s);
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

	seen_run_fault(&t, &s,
		       "[{\"conversation\": \"amelia\", \"turn\": 0, "
		       "\"attempt\": \"all\", \"kind\": \"invalid_json\"}]",
		       extra ? KEYOPTS(&t, extra[0], NULL) : KEYOPTS(&t, NULL));
	seen_exit(&t, 4);
	seen_status(&s, "error", "bad_response");
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
	seen_done(&t, &s);
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
	seen_look(&t, &s);
	seen_completed(&t, &s);
	r = seen_one_retry(&s, 200, "timeout", 375, 500);
	cr_assert_not_null(strstr(ha_str(r, "message"), "no byte for 5 s"),
			   "%s", ha_str(r, "message"));
	cr_assert_not_null(strstr(ha_str(r, "message"), "--idle-timeout"));
	cr_assert(ha_int(r, "latency_ms") >= 4500 &&
			  ha_int(r, "latency_ms") < 9000,
		  "the stalled attempt ended after %lld ms",
		  ha_int(r, "latency_ms"));
	cr_assert_eq(seen_attempts_of_turn(&s, 0), 2);
	cr_assert_lt(t.seconds, 40.0, "not ended before the 60 s stall");
	seen_done(&t, &s);
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

	seen_run_fault(&t, &s,
		       "[{\"request\": 1, \"kind\": \"slow\", "
		       "\"delay_ms\": 7000}]",
		       KEYOPTS(&t, "--no-stream", "--idle-timeout", "5", NULL));
	seen_completed(&t, &s);
	cr_assert_eq(json_array_size(s.retried), 0, "the slow answer was cut");
	seen_done(&t, &s);
	seen_run_fault(&t, &s,
		       "[{\"request\": 1, \"kind\": \"stall\", "
		       "\"stall_ms\": 60000}]",
		       KEYOPTS(&t, "--no-stream", "--idle-timeout", "5", NULL));
	seen_completed(&t, &s);
	r = seen_one_retry(&s, 200, "timeout", 375, 500);
	cr_assert(ha_int(r, "latency_ms") >= 4500 &&
			  ha_int(r, "latency_ms") < 9000,
		  "the stalled attempt ended after %lld ms",
		  ha_int(r, "latency_ms"));
	seen_done(&t, &s);
}

Test(fault, slow_answer_within_limits_is_waited_for)
{
	struct ha_run t;
	struct seen s;
	json_t *done_ev;

	seen_run_fault(&t, &s,
		       "[{\"request\": 1, \"kind\": \"slow\", "
		       "\"delay_ms\": 1500}]",
		       KEYOPTS(&t, NULL));
	seen_completed(&t, &s);
	cr_assert_eq(json_array_size(s.retried), 0);
	done_ev = ha_events_named(s.events, "api_call_completed");
	cr_assert_geq(ha_int(done_ev, "0.latency_ms"), 1500);
	cr_assert_eq(ha_int(done_ev, "0.status"), 200);
	json_decref(done_ev);
	seen_done(&t, &s);
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
	seen_look(&t, &s);
	seen_exit(&t, 0);
	seen_status(&s, "completed", "");
	cr_assert_eq(ha_int(s.res, "metrics.tool_calls"), 5);
	cr_assert(json_is_false(ha_get(s.res, "reproduce.streaming")));
	cr_assert_eq(json_array_size(s.posts), 6);
	json_array_foreach(s.posts, i, p)
		cr_assert(json_is_false(ha_get(p, "body.stream")));
	seen_done(&t, &s);
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
	seen_look(&t, &s);
	seen_exit(&t, 0);
	seen_status(&s, "completed", "");
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
	seen_done(&t, &s);
}

Test(fault, nul_in_a_streamed_answer_reaches_the_tool)
{
	run_nul(NULL);
}

Test(fault, nul_in_a_plain_answer_reaches_the_tool)
{
	run_nul((const char *const[]){ "--no-stream" });
}

/* --- a back-off every run shares -------------------------------------- */

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
	seen_exit(&t, 0);
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
