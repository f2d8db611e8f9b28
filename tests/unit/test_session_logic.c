/*
 * test_session_logic.c - the session's decisions (supervisor/agent/turn.h)
 * and the words of its statuses and stop reasons (stop.h).
 *
 * Design note
 * -----------
 * No HTTP, no loop, no worker: each test builds a canned decoded reply (a
 * struct response as response.c would fill it: stop_reason, the count of
 * tool_use blocks) or a set of counters, and checks the verdict. The
 * words are checked against the literal strings the results file, the
 * events and docs/results.schema.json carry, so renaming an enum can
 * never change the output.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "supervisor/agent/stop.h"
#include "supervisor/agent/turn.h"

/* A canned reply: only what the decisions read. */
static struct response
reply(const char *stop_reason, size_t n_tool_use)
{
	return (struct response){ .stop_reason = (char *)stop_reason,
				  .n_tool_use = n_tool_use };
}

static struct turn_next
next(const char *stop_reason, size_t n_tool_use, int pause_turns)
{
	struct response r = reply(stop_reason, n_tool_use);
	struct turn_next n;

	turn_next(&r, pause_turns, 5, &n);
	return n;
}

/* ---- turn_next ---- */

Test(turn_next, end_turn_and_stop_sequence_succeed)
{
	struct turn_next n = next("end_turn", 0, 2);

	cr_expect_eq(n.action, TURN_FINISH);
	cr_expect_eq(n.status, SESSION_SUCCESS);
	cr_expect_eq(n.stop, SESSION_STOP_END_TURN);
	cr_expect_str_eq(n.error, "");
	n = next("stop_sequence", 0, 0);
	cr_expect_eq(n.action, TURN_FINISH);
	cr_expect_eq(n.status, SESSION_SUCCESS);
	cr_expect_eq(n.stop, SESSION_STOP_STOP_SEQUENCE);
}

Test(turn_next, end_turn_with_tool_use_blocks_does_not_run_them)
{
	struct turn_next n = next("end_turn", 2, 0);

	cr_expect_eq(n.action, TURN_FINISH);
	cr_expect_eq(n.status, SESSION_SUCCESS);
}

Test(turn_next, tool_use_runs_the_tools_and_resets_pause_turns)
{
	struct turn_next n = next("tool_use", 3, 4);

	cr_expect_eq(n.action, TURN_TOOLS);
	cr_expect_eq(n.pause_turns, 0);
}

Test(turn_next, tool_use_without_a_block_is_a_success)
{
	struct turn_next n = next("tool_use", 0, 0);

	cr_expect_eq(n.action, TURN_FINISH);
	cr_expect_eq(n.status, SESSION_SUCCESS);
	cr_expect_eq(n.stop, SESSION_STOP_TOOL_USE);
	cr_expect_str_eq(session_stop_name(n.stop), "tool_use");
}

Test(turn_next, pause_turn_continues_five_times_then_fails)
{
	int pauses = 0;
	struct turn_next n;

	for (int i = 1; i <= 5; i++) {
		n = next("pause_turn", 0, pauses);
		cr_assert_eq(n.action, TURN_CONTINUE, "continuation %d", i);
		cr_assert_eq(n.pause_turns, i);
		pauses = n.pause_turns;
	}
	n = next("pause_turn", 0, pauses);
	cr_expect_eq(n.action, TURN_FINISH);
	cr_expect_eq(n.status, SESSION_FAILED);
	cr_expect_eq(n.stop, SESSION_STOP_PAUSE_TURN_LIMIT);
	cr_expect_str_eq(n.error, "too many pause_turn continuations");
}

Test(turn_next, pause_turn_limit_is_the_callers)
{
	struct response r = reply("pause_turn", 0);
	struct turn_next n;

	turn_next(&r, 0, 0, &n);
	cr_expect_eq(n.action, TURN_FINISH, "max_pause_turns 0: none");
	turn_next(&r, 1, 2, &n);
	cr_expect_eq(n.action, TURN_CONTINUE);
}

Test(turn_next, a_tool_use_turn_restarts_the_pause_count)
{
	struct turn_next n = next("pause_turn", 0, 4);

	cr_assert_eq(n.action, TURN_CONTINUE);
	n = next("tool_use", 1, n.pause_turns);
	n = next("pause_turn", 0, n.pause_turns);
	cr_expect_eq(n.action, TURN_CONTINUE);
	cr_expect_eq(n.pause_turns, 1);
}

Test(turn_next, max_tokens_cuts_and_goes_on)
{
	struct turn_next n = next("max_tokens", 1, 3);

	cr_expect_eq(n.action, TURN_CUT);
	cr_expect_eq(n.pause_turns, 3, "max_tokens leaves the count alone");
}

Test(turn_next, refusal_fails)
{
	struct turn_next n = next("refusal", 0, 0);

	cr_expect_eq(n.action, TURN_FINISH);
	cr_expect_eq(n.status, SESSION_FAILED);
	cr_expect_eq(n.stop, SESSION_STOP_REFUSAL);
	cr_expect_str_eq(n.error, "the model stopped: refusal");
	cr_expect_str_eq(session_stop_text(n.stop, API_OK, n.stop_word),
			 "refusal");
}

Test(turn_next, context_window_exceeded_fails)
{
	struct turn_next n = next("model_context_window_exceeded", 0, 0);

	cr_expect_eq(n.status, SESSION_FAILED);
	cr_expect_eq(n.stop, SESSION_STOP_CONTEXT_WINDOW);
	cr_expect_str_eq(session_stop_name(n.stop),
			 "model_context_window_exceeded");
}

Test(turn_next, no_stop_reason_fails_as_unknown)
{
	struct turn_next n = next(NULL, 0, 0);

	cr_expect_eq(n.action, TURN_FINISH);
	cr_expect_eq(n.status, SESSION_FAILED);
	cr_expect_eq(n.stop, SESSION_STOP_MODEL_UNKNOWN);
	cr_expect_str_eq(session_stop_name(n.stop), "unknown");
	cr_expect_str_eq(n.error, "the model stopped: no stop_reason");
	n = next("", 0, 0);
	cr_expect_eq(n.stop, SESSION_STOP_MODEL_UNKNOWN);
}

Test(turn_next, an_unknown_stop_reason_fails_with_its_own_word)
{
	struct response r = reply("new_reason_2027", 1);
	struct turn_next n;

	turn_next(&r, 0, 5, &n);
	cr_expect_eq(n.action, TURN_FINISH);
	cr_expect_eq(n.status, SESSION_FAILED);
	cr_expect_eq(n.stop, SESSION_STOP_MODEL_OTHER);
	cr_expect_eq(n.stop_word, r.stop_reason, "borrowed from the reply");
	cr_expect_str_eq(session_stop_text(n.stop, API_OK, n.stop_word),
			 "new_reason_2027");
	cr_expect_str_eq(n.error, "the model stopped: new_reason_2027");
}

Test(turn_next, a_long_stop_reason_is_cut_in_the_error)
{
	char word[257];
	struct turn_next n;

	memset(word, 'z', 256);
	word[256] = 0;
	n = next(word, 0, 0);
	cr_expect_eq(strlen(n.error), sizeof(n.error) - 1);
	cr_expect_eq(strncmp(n.error, "the model stopped: zzz", 22), 0);
}

Test(turn_next, stop_reasons_are_case_sensitive)
{
	cr_expect_eq(next("END_TURN", 0, 0).stop, SESSION_STOP_MODEL_OTHER);
}

/* ---- turn_limits ---- */

/* Counters under every limit. */
static struct turn_limits
room(void)
{
	return (struct turn_limits){
		.turns = 3,
		.max_turns = 50,
		.now_ms = 1000,
		.deadline_ms = 5000,
		.tokens_used = 1000,
		.max_tokens = 100000,
		.est_input = 2000,
		.max_output = 8000,
		.cost_used = 0.5,
		.max_cost_usd = 2.0,
		.worst_priced = true,
		.worst_usd = 0.25,
	};
}

Test(turn_limits, a_call_with_room_goes_out)
{
	struct turn_limits l = room();
	struct turn_verdict v = turn_limits(&l);

	cr_expect(!v.stop);
	cr_expect(!v.unpriced);
}

Test(turn_limits, turns)
{
	struct turn_limits l = room();
	struct turn_verdict v;

	l.turns = 49;
	cr_expect(!turn_limits(&l).stop, "the last turn may go");
	l.turns = 50;
	v = turn_limits(&l);
	cr_expect(v.stop);
	cr_expect_eq(v.status, SESSION_STOPPED);
	cr_expect_eq(v.reason, SESSION_STOP_MAX_TURNS);
	cr_expect_str_eq(v.error, "the agent used its turns (--max-turns)");
}

Test(turn_limits, the_runs_deadline)
{
	struct turn_limits l = room();
	struct turn_verdict v;

	l.now_ms = 4999;
	cr_expect(!turn_limits(&l).stop);
	l.now_ms = 5000;
	v = turn_limits(&l);
	cr_expect(v.stop);
	cr_expect_eq(v.status, SESSION_TIMEOUT);
	cr_expect_eq(v.reason, SESSION_STOP_RUN_TIMEOUT);
	cr_expect_str_eq(v.error, "the run's time limit was reached");
	l.deadline_ms = 0;
	l.now_ms = UINT64_MAX;
	cr_expect(!turn_limits(&l).stop, "0: no deadline");
}

Test(turn_limits, tokens_count_the_calls_worst_case)
{
	struct turn_limits l = room();
	struct turn_verdict v;

	l.max_tokens = l.tokens_used + l.est_input + l.max_output;
	cr_expect(!turn_limits(&l).stop, "exactly at the budget");
	l.max_tokens--;
	v = turn_limits(&l);
	cr_expect(v.stop);
	cr_expect_eq(v.status, SESSION_STOPPED);
	cr_expect_eq(v.reason, SESSION_STOP_TOKEN_LIMIT);
	cr_expect_str_eq(v.error, "the next call could exceed --max-tokens");
	l.max_tokens = 0;
	l.tokens_used = INT64_MAX / 2;
	cr_expect(!turn_limits(&l).stop, "0: no token budget");
}

Test(turn_limits, cost_counts_the_calls_worst_case)
{
	struct turn_limits l = room();
	struct turn_verdict v;

	l.cost_used = 1.75;
	cr_expect(!turn_limits(&l).stop, "exactly at the budget");
	l.worst_usd = 0.2501;
	v = turn_limits(&l);
	cr_expect(v.stop);
	cr_expect_eq(v.status, SESSION_STOPPED);
	cr_expect_eq(v.reason, SESSION_STOP_COST_LIMIT);
	cr_expect_str_eq(v.error, "the next call could exceed --max-cost-usd");
	l.max_cost_usd = 0;
	cr_expect(!turn_limits(&l).stop, "0: no cost budget");
}

/* With web tools, what the results can bring in is input of the same
 * call: it counts in the worst case, and the message says so. */
Test(turn_limits, web_results_count_in_the_worst_case)
{
	struct turn_limits l = room();
	struct turn_verdict v;

	l.web_input = 50000;
	l.max_tokens = l.tokens_used + l.est_input + l.web_input + l.max_output;
	cr_expect(!turn_limits(&l).stop, "exactly at the budget");
	l.max_tokens--;
	v = turn_limits(&l);
	cr_expect(v.stop, "one token short: the results could pass the cap");
	cr_expect_eq(v.status, SESSION_STOPPED);
	cr_expect_eq(v.reason, SESSION_STOP_TOKEN_LIMIT);
	cr_expect_str_eq(v.error, "the next call could exceed --max-tokens "
				  "with what its web results bring in");
	/* below the cap without the results: still the plain message */
	l.max_tokens = l.tokens_used + l.est_input + l.max_output - 1;
	cr_expect_str_eq(turn_limits(&l).error,
			 "the next call could exceed --max-tokens");
	l.max_tokens = 0;
	l.web_input = INT64_MAX / 4;
	cr_expect(!turn_limits(&l).stop, "0: no token budget");
	/* cost: worst_usd holds the web's part; it alone passes the cap */
	l = room();
	l.cost_used = 1.5;
	l.web_usd = 0.25;
	l.worst_usd = 0.25 + l.web_usd;
	cr_expect(!turn_limits(&l).stop, "exactly at the budget");
	l.web_usd += 0.0001;
	l.worst_usd += 0.0001;
	v = turn_limits(&l);
	cr_expect(v.stop);
	cr_expect_eq(v.reason, SESSION_STOP_COST_LIMIT);
	cr_expect_str_eq(v.error, "the next call could exceed --max-cost-usd "
				  "with its web uses and what their results "
				  "bring in");
	l.cost_used = 1.76; /* over even without the web */
	cr_expect_str_eq(turn_limits(&l).error,
			 "the next call could exceed --max-cost-usd");
}

Test(turn_limits, an_unpriced_model_warns_and_goes_out)
{
	struct turn_limits l = room();
	struct turn_verdict v;

	l.worst_priced = false;
	l.cost_used = 100;
	v = turn_limits(&l);
	cr_expect(!v.stop, "a budget that cannot be enforced does not stop");
	cr_expect(v.unpriced);
	l.max_cost_usd = 0;
	v = turn_limits(&l);
	cr_expect(!v.unpriced, "no budget: nothing to warn about");
}

Test(turn_limits, the_first_limit_crossed_wins)
{
	struct turn_limits l = room();
	struct turn_verdict v;

	l.turns = 50;
	l.now_ms = 9999;
	l.max_tokens = 1;
	l.worst_usd = 99;
	cr_expect_eq(turn_limits(&l).reason, SESSION_STOP_MAX_TURNS);
	l.turns = 0;
	cr_expect_eq(turn_limits(&l).reason, SESSION_STOP_RUN_TIMEOUT);
	l.deadline_ms = 0;
	cr_expect_eq(turn_limits(&l).reason, SESSION_STOP_TOKEN_LIMIT);
	l.max_tokens = 0;
	v = turn_limits(&l);
	cr_expect_eq(v.reason, SESSION_STOP_COST_LIMIT);
	l.worst_priced = false;
	l.turns = 50;
	v = turn_limits(&l);
	cr_expect(!v.unpriced, "a stop before the cost check warns nothing");
}

/* ---- the words ---- */

Test(words, statuses_keep_their_output_words)
{
	static const char *const want[] = {
		[SESSION_ERROR] = "error",
		[SESSION_SUCCESS] = "success",
		[SESSION_FAILED] = "failed",
		[SESSION_TIMEOUT] = "timeout",
		[SESSION_STOPPED] = "stopped",
		[SESSION_CANCELLED] = "cancelled",
	};

	for (int i = 0; i < SESSION_N_STATUSES; i++) {
		enum session_status back = SESSION_N_STATUSES;

		cr_expect_str_eq(session_status_name(i), want[i]);
		cr_expect(session_status_parse(want[i], &back));
		cr_expect_eq((int)back, i);
	}
	cr_expect_str_eq(session_status_name(SESSION_N_STATUSES), "unknown");
}

Test(words, stop_reasons_keep_their_output_words)
{
	static const char *const want[] = {
		"end_turn",
		"stop_sequence",
		"tool_use",
		"refusal",
		"model_context_window_exceeded",
		"unknown",
		"pause_turn_limit",
		"max_turns",
		"token_limit",
		"cost_limit",
		"run_timeout",
		"phase_timeout",
		"worker_failed",
		"isolation_unmet",
		"internal",
		"signal",
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		enum session_stop stop = SESSION_N_STOPS;

		cr_expect(session_stop_parse(want[i], &stop), "%s", want[i]);
		cr_expect_str_eq(session_stop_name(stop), want[i]);
		cr_expect_str_eq(session_stop_text(stop, API_E_AUTH, "x"),
				 want[i]);
	}
	cr_expect_str_eq(session_stop_name(SESSION_STOP_NONE), "");
	cr_expect_str_eq(session_stop_name(SESSION_N_STOPS), "unknown");
}

Test(words, every_stop_has_a_distinct_name)
{
	for (int i = 0; i < SESSION_N_STOPS; i++) {
		cr_assert_not_null(session_stop_name(i));
		for (int k = 0; k < i; k++)
			cr_expect_str_neq(session_stop_name(i),
					  session_stop_name(k));
	}
}

Test(words, an_api_error_shows_the_api_outcome)
{
	cr_expect_str_eq(session_stop_text(SESSION_STOP_API_ERROR,
					   API_E_EXHAUSTED, NULL),
			 "retries_exhausted");
	cr_expect_str_eq(session_stop_text(SESSION_STOP_API_ERROR, API_E_AUTH,
					   NULL),
			 "authentication_error");
}

Test(words, the_stand_in_words_do_not_parse)
{
	enum session_stop stop = SESSION_STOP_NONE;

	cr_expect(!session_stop_parse("api_error", &stop));
	cr_expect(!session_stop_parse("model_other", &stop));
	cr_expect(!session_stop_parse("verdict_fail", &stop));
	cr_expect(!session_stop_parse(NULL, &stop));
	cr_expect_eq(stop, SESSION_STOP_NONE, "untouched");
	cr_expect_str_eq(session_stop_text(SESSION_STOP_MODEL_OTHER, API_OK,
					   NULL),
			 "model_other");
}

/* The line a verdict is read from (turn_last_line). */
static const char *
last_line(const char *text, size_t cap)
{
	static char out[64];

	cr_assert_leq(cap, sizeof(out));
	memset(out, 'x', sizeof(out));
	turn_last_line(text, out, cap);
	return out;
}

Test(turn, last_line_drops_blanks_and_emphasis)
{
	cr_assert_str_eq(last_line("report\n\nVERDICT: PASS", 64),
			 "VERDICT: PASS");
	cr_assert_str_eq(last_line("report\n**VERDICT: PASS**\n\n  ", 64),
			 "VERDICT: PASS");
	cr_assert_str_eq(last_line("`VERDICT: FAIL`\r\n", 64), "VERDICT: FAIL");
	cr_assert_str_eq(last_line("VERDICT: PASS", 64), "VERDICT: PASS");
	cr_assert_str_eq(last_line("VERDICT: PASS\nbut no", 64), "but no");
	cr_assert_str_eq(last_line("", 64), "");
	cr_assert_str_eq(last_line(" \n**\n", 64), "");
}

Test(turn, last_line_of_any_length_is_cut_to_the_buffer)
{
	char text[9000];

	memset(text, '-', sizeof(text));
	memcpy(text + sizeof(text) - 15, "\nVERDICT: PASS", 15);
	cr_assert_str_eq(last_line(text, 64), "VERDICT: PASS");
	/* a long last line is cut to cap - 1 bytes: a caller compares it
	 * only with lines shorter than that (session.h: 255 bytes) */
	cr_assert_str_eq(last_line("ab\nVERDICT: PASS and more", 14),
			 "VERDICT: PASS");
	cr_assert_eq(strlen(last_line("ab\nVERDICT: PASS and more", 14)), 13);
	cr_assert_str_eq(last_line("VERDICT", 1), "");
}
