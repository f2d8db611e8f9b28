/*
 * test_api_fatal.c - faults that end the API client's call, through the
 * real gao-dev against the fake API (issue #4): an infrastructure failure
 * (exit 4: a 5xx not to retry, retries or their budget used up, the
 * spend, usage and credit limits, a refused request), the conversation
 * outgrowing the context window (failed, exit 1), the key and the model
 * (exit 3 and 2). Each names its cause and the option that helps.
 *
 * Each test plays the two-turn Write scenario with the faults it injects
 * (harness_seen.h).
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness_seen.h"

/* --- faults that end the run: infrastructure (exit 4) ------------------ */

Test(fault, server_error_500_with_should_retry_false_fails)
{
	struct ha_run t;
	struct seen s;

	seen_run_fault(&t, &s,
		       "[{\"request\": 1, \"kind\": \"status\", "
		       "\"status\": 500, \"should_retry\": \"false\"}]",
		       KEYOPTS(&t, NULL));
	seen_exit(&t, 4);
	seen_status(&s, "error", "server_error");
	cr_assert_eq(json_array_size(s.retried), 0, "retried anyway");
	cr_assert_eq(json_array_size(s.posts), 1);
	cr_assert_not_null(strstr(ha_str(s.res, "errors.0"), "HTTP 500"));
	cr_assert_not_null(strstr(ha_str(s.res, "errors.0"), "x-should-retry"),
			   "%s", ha_str(s.res, "errors.0"));
	seen_done(&t, &s);
}

Test(fault, retries_exhausted_is_an_infrastructure_failure)
{
	struct ha_run t;
	struct seen s;
	const char *err;

	seen_run_fault(&t, &s,
		       "[{\"conversation\": \"amelia\", \"turn\": 0, "
		       "\"attempt\": \"all\", \"kind\": \"status\", "
		       "\"status\": 529, \"retry_after\": 0}]",
		       KEYOPTS(&t, "--max-retries", "1", NULL));
	seen_exit(&t, 4);
	seen_status(&s, "error", "retries_exhausted");
	cr_assert_str_eq(ha_str(s.res, "phases.0.status"), "error",
			 "never an agent failure");
	cr_assert_eq(json_array_size(s.posts), 2, "1 retry after the first");
	cr_assert_eq(json_array_size(s.retried), 1);
	err = ha_str(s.res, "errors.0");
	cr_assert_not_null(strstr(err, "HTTP 529"), "%s", err);
	cr_assert_not_null(strstr(err, "overloaded_error"), "%s", err);
	cr_assert_not_null(strstr(err, "--max-retries"), "%s", err);
	seen_done(&t, &s);
}

Test(fault, retry_budget_exceeded_gives_up_at_once)
{
	struct ha_run t;
	struct seen s;
	const char *err;

	seen_run_fault(&t, &s,
		       "[{\"request\": 1, \"kind\": \"status\", "
		       "\"status\": 529, \"retry_after\": 30}]",
		       KEYOPTS(&t, "--retry-budget", "2", NULL));
	seen_exit(&t, 4);
	seen_status(&s, "error", "retries_exhausted");
	cr_assert_lt(t.seconds, 15.0, "waited %.1f s beyond the budget",
		     t.seconds);
	cr_assert_eq(json_array_size(s.retried), 0);
	cr_assert_eq(json_array_size(s.posts), 1);
	err = ha_str(s.res, "errors.0");
	cr_assert_not_null(strstr(err, "--retry-budget"), "%s", err);
	seen_done(&t, &s);
}

Test(fault, spend_limit_429_is_fatal_without_retry)
{
	struct ha_run t;
	struct seen s;

	seen_run_fault(&t, &s, "[{\"request\": 1, \"kind\": \"spend_limit\"}]",
		       KEYOPTS(&t, NULL));
	seen_exit(&t, 4);
	seen_status(&s, "error", "spend_limit");
	cr_assert_eq(json_array_size(s.retried), 0);
	cr_assert_eq(json_array_size(s.posts), 1);
	cr_assert_not_null(strstr(ha_str(s.res, "errors.0"), "spend limit"));
	seen_done(&t, &s);
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

		seen_run_fault(&t, &s, faults[i], KEYOPTS(&t, NULL));
		seen_exit(&t, 4);
		seen_status(&s, "error", "spend_limit");
		cr_assert_eq(json_array_size(s.posts), 1);
		seen_done(&t, &s);
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

	seen_run_fault(
		&t, &s,
		"[{\"request\": 2, \"kind\": \"status\", \"status\": 400, "
		"\"message\": \"prompt is too long: 210345 tokens > 200000 "
		"maximum\"}]",
		KEYOPTS(&t, NULL));
	seen_exit(&t, 1);
	seen_status(&s, "failed", "model_context_window_exceeded");
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
	seen_done(&t, &s);
}

Test(fault, invalid_request_400_fails_with_the_message)
{
	struct ha_run t;
	struct seen s;
	const char *err;

	seen_run_fault(&t, &s,
		       "[{\"request\": 1, \"kind\": \"status\", "
		       "\"status\": 400, \"message\": \"max_tokens: 999999 > "
		       "128000, which is the maximum allowed\"}]",
		       KEYOPTS(&t, NULL));
	seen_exit(&t, 4);
	seen_status(&s, "error", "invalid_request");
	cr_assert_eq(json_array_size(s.posts), 1);
	err = ha_str(s.res, "errors.0");
	cr_assert_not_null(strstr(err, "invalid_request_error"), "%s", err);
	cr_assert_not_null(strstr(err, "max_tokens: 999999"), "%s", err);
	cr_assert_not_null(strstr(err, "--max-output-tokens"), "%s", err);
	seen_done(&t, &s);
}

/* --- faults that end the run: key and model --------------------------- */

Test(fault, unknown_model_exits_2_naming_the_option)
{
	struct ha_run t;
	json_t *rec, *posts;

	ha_setup(&t, WRITE_SCENARIO, H_TEST_KEY);
	ha_run(&t, KEYOPTS(&t, "--model", "claude-unknown-9", NULL), NULL);
	seen_exit(&t, 2);
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
	seen_look(&t, &s);
	seen_exit(&t, 2);
	seen_status(&s, "error", "not_found_error");
	cr_assert_not_null(strstr(ha_str(s.res, "errors.0"), "--model"), "%s",
			   ha_str(s.res, "errors.0"));
	seen_done(&t, &s);
}

Test(fault, unauthorized_401_mid_run_exits_3)
{
	struct ha_run t;
	struct seen s;

	seen_run_fault(&t, &s,
		       "[{\"request\": 2, \"kind\": \"status\", "
		       "\"status\": 401}]",
		       KEYOPTS(&t, NULL));
	seen_exit(&t, 3);
	seen_status(&s, "error", "authentication_error");
	cr_assert_eq(json_array_size(s.retried), 0);
	cr_assert_eq(json_array_size(s.posts), 2);
	seen_done(&t, &s);
}
