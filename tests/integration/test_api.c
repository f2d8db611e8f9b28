/*
 * test_api.c - the API client through the real gao-dev against the fake
 * API: stop reasons, run limits and prompt caching (issue #4). The faults
 * are in test_api_retry.c (retried) and test_api_fatal.c (final).
 *
 * Each test starts its own fake API with a scenario of
 * tests/integration/scenarios/, runs a one-phase benchmark
 * (scenarios/api-bench.yaml) through the real gao-dev and its real
 * worker, and asserts the outcome the way a CI job would see it: the exit
 * code, the results file (status, stop_reason, errors, metrics), the
 * events and what the fake API received (harness_seen.h).
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness_seen.h"

/* --- stop reasons ------------------------------------------------------ */

static void
run_scenario(struct ha_run *t, struct seen *s, const char *name,
	     const char *const *opts)
{
	char rel[256];

	snprintf(rel, sizeof(rel), "tests/integration/scenarios/%s", name);
	ha_setup(t, rel, H_TEST_KEY);
	ha_run(t, opts, NULL);
	seen_look(t, s);
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
	seen_completed(&t, &s);
	cr_assert_eq(json_array_size(s.retried), 0);
	cr_assert(project_has(s.res, "hello.txt"));
	turns = ha_events_named(s.events, "agent_turn");
	cr_assert_str_eq(ha_str(turns, "0.stop_reason"), "tool_use");
	cr_assert_str_eq(ha_str(turns, "1.stop_reason"), "end_turn");
	json_decref(turns);
	seen_done(&t, &s);
}

Test(stop, max_tokens_does_not_run_the_partial_tool_use)
{
	struct ha_run t;
	struct seen s;
	const char *second;

	run_scenario(&t, &s, "api-stop-max-tokens.json", KEYOPTS(&t, NULL));
	seen_exit(&t, 0);
	seen_status(&s, "completed", "");
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
	seen_done(&t, &s);
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
		seen_exit(&t, 0);
		seen_status(&s, "completed", "");
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
		seen_done(&t, &s);
	}
}

Test(stop, pause_turn_is_continued)
{
	struct ha_run t;
	struct seen s;
	json_t *msgs;

	run_scenario(&t, &s, "api-stop-pause.json", KEYOPTS(&t, NULL));
	seen_exit(&t, 0);
	seen_status(&s, "completed", "");
	cr_assert_eq(json_array_size(s.posts), 2);
	/* the continuation sends the paused content back as is, last */
	msgs = ha_get(s.posts, "1.body.messages");
	cr_assert_eq(json_array_size(msgs), 2);
	cr_assert_str_eq(ha_str(msgs, "1.role"), "assistant");
	cr_assert_str_eq(ha_str(msgs, "1.content.0.text"),
			 "Still working on it");
	seen_done(&t, &s);
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
	seen_exit(&t, 1);
	seen_status(&s, "failed", "pause_turn_limit");
	cr_assert_eq(json_array_size(s.posts), 6, "1 call + 5 continuations");
	seen_done(&t, &s);
}

Test(stop, refusal_fails_the_phase_and_the_run)
{
	struct ha_run t;
	struct seen s;

	run_scenario(&t, &s, "api-stop-refusal.json", KEYOPTS(&t, NULL));
	seen_exit(&t, 1);
	seen_status(&s, "failed", "refusal");
	cr_assert_str_eq(ha_str(s.res, "phases.0.status"), "failed");
	cr_assert_str_eq(ha_str(s.res, "phases.0.stop_reason"), "refusal");
	cr_assert_eq(json_array_size(s.posts), 1);
	seen_done(&t, &s);
}

/* --- limits ------------------------------------------------------------ */

Test(limit, max_turns_stops_the_run)
{
	struct ha_run t;
	struct seen s;

	run_scenario(&t, &s, "api-turns.json",
		     KEYOPTS(&t, "--max-turns", "2", NULL));
	seen_exit(&t, 5);
	seen_status(&s, "stopped", "max_turns");
	cr_assert_eq(json_array_size(s.posts), 2);
	cr_assert(project_has(s.res, "t2.txt"));
	cr_assert_not(project_has(s.res, "t3.txt"));
	seen_done(&t, &s);
}

Test(limit, max_tokens_stops_before_the_call_that_could_cross_it)
{
	struct ha_run t;
	struct seen s;
	long long used;

	run_scenario(&t, &s, "api-turns.json",
		     KEYOPTS(&t, "--max-tokens", "6000", "--max-output-tokens",
			     "1000", NULL));
	seen_exit(&t, 5);
	seen_status(&s, "stopped", "token_limit");
	used = ha_int(s.res, "metrics.tokens.input") +
	       ha_int(s.res, "metrics.tokens.output") +
	       ha_int(s.res, "metrics.tokens.cache_creation") +
	       ha_int(s.res, "metrics.tokens.cache_read");
	cr_assert_leq(used, 6000, "used %lld tokens", used);
	cr_assert(json_array_size(s.posts) >= 1 && json_array_size(s.posts) < 6,
		  "%zu calls", json_array_size(s.posts));
	seen_done(&t, &s);
}

Test(limit, tiny_max_cost_stops_before_the_first_call)
{
	struct ha_run t;
	struct seen s;

	run_scenario(&t, &s, "api-turns.json",
		     KEYOPTS(&t, "--max-cost-usd", "0.001", NULL));
	seen_exit(&t, 5);
	seen_status(&s, "stopped", "cost_limit");
	cr_assert_eq(json_array_size(s.posts), 0,
		     "the worst case of the call is checked before it");
	seen_done(&t, &s);
}

Test(limit, timeout_stops_a_slow_run)
{
	struct ha_run t;
	struct seen s;

	run_scenario(&t, &s, "api-slow.json",
		     KEYOPTS(&t, "--timeout", "2", NULL));
	seen_exit(&t, 5);
	seen_status(&s, "timeout", NULL);
	/* cut at the limit, far before the answer's 30 s (the run's own
	 * clock starts after the key check; loaded machines are slow) */
	cr_assert_geq(ha_num(s.res, "duration_seconds"), 1.9, "run took %.1f s",
		      ha_num(s.res, "duration_seconds"));
	cr_assert_lt(ha_num(s.res, "duration_seconds"), 15.0, "run took %.1f s",
		     ha_num(s.res, "duration_seconds"));
	cr_assert_lt(t.seconds, 25.0, "took %.1f s", t.seconds);
	seen_done(&t, &s);
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
	seen_exit(&t, 0);
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
	seen_done(&t, &s);
}
