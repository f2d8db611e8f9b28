/*
 * test_run_status.c - unit tests of a run's statuses and their rules
 * (supervisor/run/run_status.h).
 *
 * Design note
 * -----------
 * The rules are pure, so they are tested as data: the names of every
 * status and verdict (the strings the results file, the events and the
 * summary carry, which the integration tests and docs/results.schema.json
 * pin too), the whole 7x7 table of the status precedence, the effect of
 * each phase status with and without continue_on_failure, the final
 * status from phases and criteria, and the exit codes of one run and of
 * many. Sequences of phases are walked by walk(), which follows the same
 * steps as run.c's start_phase (going? skip? run, ended; criteria when the
 * phases ran to their end; finish), with made-up phase outcomes instead
 * of sessions. Links only the sv_run_status library.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "supervisor/run/run_status.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ---- names --------------------------------------------------------------- */

Test(names, run_statuses)
{
	cr_assert_str_eq(run_status_name(RUN_STATUS_COMPLETED), "completed");
	cr_assert_str_eq(run_status_name(RUN_STATUS_FAILED), "failed");
	cr_assert_str_eq(run_status_name(RUN_STATUS_TIMEOUT), "timeout");
	cr_assert_str_eq(run_status_name(RUN_STATUS_STOPPED), "stopped");
	cr_assert_str_eq(run_status_name(RUN_STATUS_CANCELLED), "cancelled");
	cr_assert_str_eq(run_status_name(RUN_STATUS_ERROR), "error");
	cr_assert_str_eq(run_status_name(RUN_STATUS_NONE), "running");
	cr_assert_str_eq(run_status_name((enum run_status)99), "unknown");
	cr_assert_str_eq(run_status_name((enum run_status) - 1), "unknown");
}

Test(names, phase_statuses)
{
	cr_assert_str_eq(phase_status_name(PHASE_STATUS_SUCCESS), "success");
	cr_assert_str_eq(phase_status_name(PHASE_STATUS_FAILED), "failed");
	cr_assert_str_eq(phase_status_name(PHASE_STATUS_SKIPPED), "skipped");
	cr_assert_str_eq(phase_status_name(PHASE_STATUS_TIMEOUT), "timeout");
	cr_assert_str_eq(phase_status_name(PHASE_STATUS_STOPPED), "stopped");
	cr_assert_str_eq(phase_status_name(PHASE_STATUS_CANCELLED),
			 "cancelled");
	cr_assert_str_eq(phase_status_name(PHASE_STATUS_ERROR), "error");
	cr_assert_str_eq(phase_status_name((enum phase_status)7), "unknown");
}

Test(names, verdicts)
{
	cr_assert_str_eq(verdict_name(VERDICT_PASSED), "passed");
	cr_assert_str_eq(verdict_name(VERDICT_FAILED), "failed");
	cr_assert_str_eq(verdict_name(VERDICT_SKIPPED), "skipped");
	cr_assert_str_eq(verdict_name((enum verdict)3), "unknown");
}

/* Each way a session ends is the phase status of the same word. */
Test(names, session_status_maps_to_the_phase_status_of_its_word)
{
	static const struct {
		enum session_status st;
		const char *word;
	} map[] = {
		{ SESSION_ERROR, "error" },
		{ SESSION_SUCCESS, "success" },
		{ SESSION_FAILED, "failed" },
		{ SESSION_TIMEOUT, "timeout" },
		{ SESSION_STOPPED, "stopped" },
		{ SESSION_CANCELLED, "cancelled" },
	};

	cr_assert_eq(sizeof(map) / sizeof(map[0]), SESSION_N_STATUSES);
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		cr_assert_str_eq(phase_status_name(
					 phase_status_of_session(map[i].st)),
				 map[i].word, "session status %d",
				 (int)map[i].st);
}

/* A session status that is not understood did not succeed. */
Test(names, unknown_session_status_is_error)
{
	cr_assert_eq(phase_status_of_session(SESSION_N_STATUSES),
		     PHASE_STATUS_ERROR);
	cr_assert_eq(phase_status_of_session((enum session_status) - 1),
		     PHASE_STATUS_ERROR);
}

/* ---- the precedence ------------------------------------------------------ */

#define R_NO RUN_STATUS_NONE
#define R_CO RUN_STATUS_COMPLETED
#define R_FA RUN_STATUS_FAILED
#define R_TI RUN_STATUS_TIMEOUT
#define R_ST RUN_STATUS_STOPPED
#define R_CA RUN_STATUS_CANCELLED
#define R_ER RUN_STATUS_ERROR

/* merge_table[cur][next]: the status after next is reported on cur. */
static const enum run_status merge_table[7][7] = {
	/* next:    R_NO  R_CO  R_FA  R_TI  R_ST  R_CA  R_ER */
	[R_NO] = { R_NO, R_CO, R_FA, R_TI, R_ST, R_CA, R_ER },
	[R_CO] = { R_CO, R_CO, R_CO, R_CO, R_CO, R_CA, R_CO },
	[R_FA] = { R_FA, R_FA, R_FA, R_TI, R_ST, R_CA, R_ER },
	[R_TI] = { R_TI, R_TI, R_TI, R_TI, R_TI, R_CA, R_TI },
	[R_ST] = { R_ST, R_ST, R_ST, R_ST, R_ST, R_CA, R_ST },
	[R_CA] = { R_CA, R_CA, R_CA, R_CA, R_CA, R_CA, R_CA },
	[R_ER] = { R_ER, R_ER, R_ER, R_ER, R_ER, R_CA, R_ER },
};

Test(precedence, whole_table)
{
	for (int c = 0; c < 7; c++)
		for (int n = 0; n < 7; n++)
			cr_assert_eq(run_status_merge((enum run_status)c,
						      (enum run_status)n),
				     merge_table[c][n], "%s then %s",
				     run_status_name((enum run_status)c),
				     run_status_name((enum run_status)n));
}

Test(precedence, cancelled_wins_and_stays)
{
	struct run_state s = { 0 };

	cr_assert(run_set_status(&s, RUN_STATUS_TIMEOUT, "run_timeout"));
	cr_assert(run_set_status(&s, RUN_STATUS_CANCELLED, "signal"));
	cr_assert_eq(s.status, RUN_STATUS_CANCELLED);
	cr_assert_str_eq(s.stop_reason, "signal");
	/* e.g. a clone that fails because the run was cancelled */
	cr_assert_not(
		run_set_status(&s, RUN_STATUS_ERROR, "boilerplate_failed"));
	cr_assert_not(run_set_status(&s, RUN_STATUS_CANCELLED, "again"));
	cr_assert_eq(s.status, RUN_STATUS_CANCELLED);
	cr_assert_str_eq(s.stop_reason, "signal");
}

Test(precedence, limits_and_errors_replace_failed)
{
	struct run_state s = { 0 };

	cr_assert(run_set_status(&s, RUN_STATUS_FAILED, "max_turns"));
	cr_assert(run_set_status(&s, RUN_STATUS_ERROR, "worker_failed"));
	cr_assert_eq(s.status, RUN_STATUS_ERROR);
	cr_assert_str_eq(s.stop_reason, "worker_failed");
}

Test(precedence, first_cause_stands)
{
	struct run_state s = { 0 };

	cr_assert(run_set_status(&s, RUN_STATUS_FAILED, "refusal"));
	cr_assert_not(
		run_set_status(&s, RUN_STATUS_FAILED, "missing_artifacts"));
	cr_assert_str_eq(s.stop_reason, "refusal");
	cr_assert(run_set_status(&s, RUN_STATUS_TIMEOUT, "run_timeout"));
	cr_assert_not(run_set_status(&s, RUN_STATUS_ERROR, "worker_failed"));
	cr_assert_not(run_set_status(&s, RUN_STATUS_STOPPED, "cost_limit"));
	cr_assert_eq(s.status, RUN_STATUS_TIMEOUT);
	cr_assert_str_eq(s.stop_reason, "run_timeout");
}

Test(precedence, none_changes_nothing)
{
	struct run_state s = { 0 };

	cr_assert_not(run_set_status(&s, RUN_STATUS_NONE, "x"));
	cr_assert_eq(s.status, RUN_STATUS_NONE);
	cr_assert_str_eq(s.stop_reason, "");
	cr_assert(run_state_going(&s));
	cr_assert(run_set_status(&s, RUN_STATUS_STOPPED, NULL));
	cr_assert_str_eq(s.stop_reason, "");
	cr_assert_not(run_state_going(&s));
}

Test(precedence, long_reason_is_cut)
{
	struct run_state s = { 0 };
	char reason[200];

	memset(reason, 'x', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = 0;
	cr_assert(run_set_status(&s, RUN_STATUS_ERROR, reason));
	cr_assert_eq(strlen(s.stop_reason), sizeof(s.stop_reason) - 1);
}

/* ---- a phase's effect on its run ------------------------------------------
 */

Test(phases, effect_of_each_status)
{
	static const struct {
		enum phase_status st;
		enum run_status stop, cont; /* without, with continue */
	} t[] = {
		{ PHASE_STATUS_SUCCESS, R_NO, R_NO },
		{ PHASE_STATUS_SKIPPED, R_NO, R_NO },
		{ PHASE_STATUS_FAILED, R_FA, R_NO },
		{ PHASE_STATUS_TIMEOUT, R_TI, R_TI },
		{ PHASE_STATUS_STOPPED, R_ST, R_ST },
		{ PHASE_STATUS_CANCELLED, R_CA, R_CA },
		{ PHASE_STATUS_ERROR, R_ER, R_ER },
	};

	for (size_t i = 0; i < N_OF(t); i++) {
		cr_assert_eq(run_phase_effect(t[i].st, false), t[i].stop, "%s",
			     phase_status_name(t[i].st));
		cr_assert_eq(run_phase_effect(t[i].st, true), t[i].cont,
			     "%s, continue_on_failure",
			     phase_status_name(t[i].st));
	}
}

Test(phases, api_outcome_kept_with_the_status)
{
	struct run_state s = { 0 };

	cr_assert_not(run_phase_ended(&s, PHASE_STATUS_SUCCESS, "end_turn",
				      API_E_SERVER, false));
	cr_assert_eq(s.api_outcome, API_OK);
	cr_assert(run_phase_ended(&s, PHASE_STATUS_ERROR, "api_error",
				  API_E_AUTH, false));
	cr_assert_eq(s.api_outcome, API_E_AUTH);
	cr_assert_str_eq(s.stop_reason, "api_error");
	/* a later report that does not change the status keeps both */
	cr_assert_not(run_phase_ended(&s, PHASE_STATUS_ERROR, "x",
				      API_E_NOT_FOUND, false));
	cr_assert_eq(s.api_outcome, API_E_AUTH);
	cr_assert_str_eq(s.stop_reason, "api_error");
}

Test(phases, continue_on_failure_goes_on_but_fails)
{
	struct run_state s = { 0 };

	cr_assert_not(run_phase_ended(&s, PHASE_STATUS_FAILED, "refusal",
				      API_OK, true));
	cr_assert(run_state_going(&s));
	cr_assert(s.any_failed);
	cr_assert(s.last_failed);
	cr_assert_str_eq(s.stop_reason, "");
}

Test(phases, skip_if_failed_looks_at_the_last_phase_that_ran)
{
	struct run_state s = { 0 };

	cr_assert_not(run_state_skips(&s, true));
	run_phase_ended(&s, PHASE_STATUS_FAILED, "x", API_OK, true);
	cr_assert(run_state_skips(&s, true));
	cr_assert_not(run_state_skips(&s, false));
	/* a skipped phase changes nothing: the next one skips too */
	run_phase_ended(&s, PHASE_STATUS_SKIPPED, "", API_OK, false);
	cr_assert(run_state_skips(&s, true));
	run_phase_ended(&s, PHASE_STATUS_SUCCESS, "end_turn", API_OK, false);
	cr_assert_not(run_state_skips(&s, true));
	cr_assert(s.any_failed, "the failure is still remembered");
}

Test(phases, criteria_only_when_the_phases_ran_to_their_end)
{
	for (int c = 0; c < 7; c++) {
		struct run_state s = { .status = (enum run_status)c };
		bool want = c == RUN_STATUS_NONE || c == RUN_STATUS_FAILED;

		cr_assert_eq(run_state_judges_criteria(&s), want, "%s",
			     run_status_name((enum run_status)c));
	}
}

/* ---- verdicts and the final status ----------------------------------------
 */

static struct verdict_tally
tally(const enum verdict *v, size_t n)
{
	struct verdict_tally t = { 0 };

	for (size_t i = 0; i < n; i++)
		verdict_tally_add(&t, v[i]);
	return t;
}

Test(verdicts, aggregation)
{
	static const enum verdict skips[] = { VERDICT_SKIPPED,
					      VERDICT_SKIPPED };
	static const enum verdict mixed[] = { VERDICT_SKIPPED, VERDICT_PASSED,
					      VERDICT_SKIPPED };
	static const enum verdict one_bad[] = { VERDICT_PASSED, VERDICT_FAILED,
						VERDICT_SKIPPED };
	struct verdict_tally t = tally(NULL, 0);

	cr_assert_eq(verdict_tally_result(&t), VERDICT_SKIPPED);
	t = tally(skips, N_OF(skips));
	cr_assert_eq(verdict_tally_result(&t), VERDICT_SKIPPED);
	t = tally(mixed, N_OF(mixed));
	cr_assert_eq(verdict_tally_result(&t), VERDICT_PASSED);
	cr_assert_eq(t.passed, 1);
	cr_assert_eq(t.skipped, 2);
	t = tally(one_bad, N_OF(one_bad));
	cr_assert_eq(verdict_tally_result(&t), VERDICT_FAILED);
	cr_assert_eq(t.failed, 1);
}

Test(verdicts, out_of_range_counts_as_failed)
{
	struct verdict_tally t = { 0 };

	verdict_tally_add(&t, (enum verdict)42);
	cr_assert_eq(t.failed, 1);
	cr_assert_eq(verdict_tally_result(&t), VERDICT_FAILED);
}

Test(finish, completed)
{
	struct run_state s = { 0 };

	verdict_tally_add(&s.criteria, VERDICT_PASSED);
	verdict_tally_add(&s.criteria, VERDICT_SKIPPED);
	run_state_finish(&s);
	cr_assert_eq(s.status, RUN_STATUS_COMPLETED);
	cr_assert_str_eq(s.stop_reason, "");
}

Test(finish, a_failed_criterion_fails_the_run)
{
	struct run_state s = { 0 };

	verdict_tally_add(&s.criteria, VERDICT_PASSED);
	verdict_tally_add(&s.criteria, VERDICT_FAILED);
	run_state_finish(&s);
	cr_assert_eq(s.status, RUN_STATUS_FAILED);
	cr_assert_str_eq(s.stop_reason, "criteria_failed");
}

Test(finish, a_phase_failure_comes_first)
{
	struct run_state s = { .any_failed = true };

	verdict_tally_add(&s.criteria, VERDICT_FAILED);
	run_state_finish(&s);
	cr_assert_eq(s.status, RUN_STATUS_FAILED);
	cr_assert_str_eq(s.stop_reason, "phase_failed");
}

Test(finish, an_earlier_status_stands)
{
	struct run_state s = { 0 };

	run_set_status(&s, RUN_STATUS_FAILED, "missing_artifacts");
	verdict_tally_add(&s.criteria, VERDICT_FAILED);
	run_state_finish(&s);
	cr_assert_eq(s.status, RUN_STATUS_FAILED);
	cr_assert_str_eq(s.stop_reason, "missing_artifacts");

	s = (struct run_state){ 0 };
	run_set_status(&s, RUN_STATUS_STOPPED, "token_limit");
	run_state_finish(&s);
	cr_assert_eq(s.status, RUN_STATUS_STOPPED);
	cr_assert_str_eq(s.stop_reason, "token_limit");
}

Test(finish, a_failed_run_always_says_why)
{
	struct run_state s = { 0 };

	run_set_status(&s, RUN_STATUS_FAILED, "");
	run_state_finish(&s);
	cr_assert_str_eq(s.stop_reason, "criteria_failed");
	s = (struct run_state){ .any_failed = true };
	run_set_status(&s, RUN_STATUS_FAILED, NULL);
	run_state_finish(&s);
	cr_assert_str_eq(s.stop_reason, "phase_failed");
}

/* ---- exit codes ------------------------------------------------------------
 */

Test(exit_codes, one_run)
{
	cr_assert_eq(run_status_exit_code(R_CO, API_OK), 0);
	cr_assert_eq(run_status_exit_code(R_FA, API_OK), 1);
	cr_assert_eq(run_status_exit_code(R_TI, API_OK), 5);
	cr_assert_eq(run_status_exit_code(R_ST, API_OK), 5);
	cr_assert_eq(run_status_exit_code(R_CA, API_OK), 130);
	cr_assert_eq(run_status_exit_code(R_ER, API_OK), 4);
	cr_assert_eq(run_status_exit_code(R_NO, API_OK), 4);
}

Test(exit_codes, an_error_says_what_the_api_said)
{
	static const struct {
		enum api_outcome o;
		int code;
	} t[] = {
		{ API_E_AUTH, 3 },        { API_E_PERMISSION, 3 },
		{ API_E_NOT_FOUND, 2 },   { API_E_REQUEST, 4 },
		{ API_E_SPEND_LIMIT, 4 }, { API_E_EXHAUSTED, 4 },
		{ API_E_CANCELLED, 4 },   { API_E_SERVER, 4 },
	};

	for (size_t i = 0; i < N_OF(t); i++) {
		cr_assert_eq(run_status_exit_code(R_ER, t[i].o), t[i].code,
			     "outcome %d", (int)t[i].o);
		/* only an error looks at the API */
		cr_assert_eq(run_status_exit_code(R_FA, t[i].o), 1);
		cr_assert_eq(run_status_exit_code(R_CA, t[i].o), 130);
	}
}

Test(exit_codes, several_runs)
{
	static const struct {
		int codes[4];
		size_t n;
		int want;
	} t[] = {
		{ { 0 }, 0, 0 },
		{ { 0, 0, 0 }, 3, 0 },
		{ { 0, 1 }, 2, 1 },
		{ { 1, 5, 0 }, 3, 5 },
		{ { 5, 4, 1 }, 3, 4 },
		{ { 1, 4, 130, 5 }, 4, 130 },
		{ { 4, 2 }, 2, 2 },
		{ { 2, 3 }, 2, 3 },
		{ { 3, 130 }, 2, 130 },
		{ { 0, 7 }, 2, 0 }, /* a code with no rank counts as 0 */
	};

	for (size_t i = 0; i < N_OF(t); i++)
		cr_assert_eq(run_exit_aggregate(t[i].codes, t[i].n, false),
			     t[i].want, "case %zu", i);
}

Test(exit_codes, interrupted_is_130)
{
	static const int ok[] = { 0, 0 };

	cr_assert_eq(run_exit_aggregate(ok, 2, true), 130);
	cr_assert_eq(run_exit_aggregate(NULL, 0, true), 130);
}

/* ---- whole runs, phase by phase ------------------------------------------ */

struct step {
	enum phase_status outcome; /* how it ends if it runs */
	const char *reason;
	bool skip_if_failed;
	bool continue_on_failure;
};

/*
 * Walk the phases as run.c's start_phase does; got[i] is each phase's
 * status (PHASE_STATUS_SKIPPED when skipped, -1 when never reached). The
 * criteria's verdicts count only when the phases ran to their end.
 */
static struct run_state
walk(const struct step *ph, size_t n, const enum verdict *crit, size_t n_crit,
     int *got)
{
	struct run_state s = { 0 };
	size_t i;

	for (i = 0; i < n; i++)
		got[i] = -1;
	for (i = 0; i < n && run_state_going(&s); i++) {
		if (run_state_skips(&s, ph[i].skip_if_failed)) {
			got[i] = PHASE_STATUS_SKIPPED;
			continue;
		}
		got[i] = (int)ph[i].outcome;
		run_phase_ended(&s, ph[i].outcome, ph[i].reason, API_OK,
				ph[i].continue_on_failure);
	}
	if (run_state_judges_criteria(&s))
		s.criteria = tally(crit, n_crit);
	run_state_finish(&s);
	return s;
}

#define P_OK PHASE_STATUS_SUCCESS
#define P_FAIL PHASE_STATUS_FAILED
#define P_SKIP PHASE_STATUS_SKIPPED

/* The flow of the integration test paths/skip_if_failed_and_continue. */
Test(walk, skip_and_continue)
{
	static const struct step ph[] = {
		{ P_FAIL, "refusal", false, true },
		{ P_OK, "end_turn", true, false },
		{ P_OK, "end_turn", false, false },
		{ P_OK, "end_turn", true, false },
	};
	static const int want[] = { P_FAIL, P_SKIP, P_OK, P_OK };
	int got[4];
	struct run_state s = walk(ph, 4, NULL, 0, got);

	cr_assert_arr_eq(got, want, sizeof(want));
	cr_assert_eq(s.status, RUN_STATUS_FAILED);
	cr_assert_str_eq(s.stop_reason, "phase_failed");
	cr_assert_eq(run_status_exit_code(s.status, s.api_outcome), 1);
}

Test(walk, a_failure_stops_the_phases_but_not_the_criteria)
{
	static const struct step ph[] = {
		{ P_OK, "end_turn", false, false },
		{ P_FAIL, "missing_artifacts", false, false },
		{ P_OK, "end_turn", false, false },
	};
	static const enum verdict crit[] = { VERDICT_PASSED };
	static const int want[] = { P_OK, P_FAIL, -1 };
	int got[3];
	struct run_state s = walk(ph, 3, crit, 1, got);

	cr_assert_arr_eq(got, want, sizeof(want));
	cr_assert_eq(s.status, RUN_STATUS_FAILED);
	cr_assert_str_eq(s.stop_reason, "missing_artifacts");
	cr_assert_eq(s.criteria.passed, 1, "the criteria were judged");
}

Test(walk, continue_on_failure_does_not_survive_a_timeout)
{
	static const struct step ph[] = {
		{ PHASE_STATUS_TIMEOUT, "phase_timeout", false, true },
		{ P_OK, "end_turn", false, false },
	};
	static const enum verdict crit[] = { VERDICT_PASSED };
	static const int want[] = { PHASE_STATUS_TIMEOUT, -1 };
	int got[2];
	struct run_state s = walk(ph, 2, crit, 1, got);

	cr_assert_arr_eq(got, want, sizeof(want));
	cr_assert_eq(s.status, RUN_STATUS_TIMEOUT);
	cr_assert_str_eq(s.stop_reason, "phase_timeout");
	cr_assert_eq(s.criteria.passed, 0, "no criteria after a timeout");
	cr_assert_eq(run_status_exit_code(s.status, s.api_outcome), 5);
}

Test(walk, all_good_with_skipped_criteria_completes)
{
	static const struct step ph[] = {
		{ P_OK, "end_turn", false, false },
		{ P_OK, "end_turn", true, false },
	};
	static const enum verdict crit[] = { VERDICT_SKIPPED, VERDICT_PASSED };
	static const int want[] = { P_OK, P_OK };
	int got[2];
	struct run_state s = walk(ph, 2, crit, 2, got);

	cr_assert_arr_eq(got, want, sizeof(want));
	cr_assert_eq(s.status, RUN_STATUS_COMPLETED);
	cr_assert_str_eq(s.stop_reason, "");
	cr_assert_eq(run_status_exit_code(s.status, s.api_outcome), 0);
}

Test(walk, a_failed_criterion_after_good_phases)
{
	static const struct step ph[] = { { P_OK, "end_turn", false, false } };
	static const enum verdict crit[] = { VERDICT_PASSED, VERDICT_FAILED };
	int got[1];
	struct run_state s = walk(ph, 1, crit, 2, got);

	cr_assert_eq(s.status, RUN_STATUS_FAILED);
	cr_assert_str_eq(s.stop_reason, "criteria_failed");
}
