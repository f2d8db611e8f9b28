/*
 * test_bm_parse.c - unit tests of reading a config's fields
 * (bm_parse.c): types, positions, unknown keys, warnings.
 *
 * Design note
 * -----------
 * Each field read with the wrong type is an error that names the
 * field's path and its line and column, in the flat and the wrapped
 * shape; an unknown key is a warning, never an error, and its value is
 * not used.
 */
#include <criterion/criterion.h>

#include "bm_fixture.h"

TestSuite(benchmark, .init = bm_fixture_setup, .fini = bm_fixture_teardown);

Test(benchmark, long_timeout_warns)
{
	struct confine_rules r = { .max_timeout = 86400 };
	struct benchmark *b = bm_fixture_load_text_rules(
		BM_FIXTURE_OK_HEAD
		"timeout_seconds: 14401\n" BM_FIXTURE_ONE_PHASE,
		&r);

	bm_fixture_expect_no_errors(b);
	bm_fixture_expect_in(b->warnings,
			     "3:1: timeout_seconds: timeout of 14401 s is "
			     "over 4 hours");
	cr_assert_eq(b->timeout_seconds, 14401);
	benchmark_free(b);
}

Test(benchmark, wrapped_shape_positions)
{
	bm_fixture_expect_error(
		"benchmark:\n  name: t\n  description: d\n"
		"  timeout_seconds: 0\n  phases:\n"
		"    - phase_name: A\n",
		"4:3: timeout_seconds: Timeout must be positive: got 0, "
		"expected 1 to 86400 seconds");
}

Test(benchmark, type_errors)
{
	bm_fixture_expect_error(
		"name: [a, b]\ndescription: d\n" BM_FIXTURE_ONE_PHASE,
		"1:1: name: expected a string, got a list; write it in "
		"quotes");
	bm_fixture_expect_error(
		BM_FIXTURE_OK_HEAD
		"timeout_seconds: soon\n" BM_FIXTURE_ONE_PHASE,
		"3:1: timeout_seconds: expected a whole number, got "
		"soon");
	bm_fixture_expect_error(
		BM_FIXTURE_OK_HEAD BM_FIXTURE_ONE_PHASE
		"    skip_if_failed: maybe\n",
		"5:5: workflow_phases[0].skip_if_failed: expected true or "
		"false");
	bm_fixture_expect_error(
		BM_FIXTURE_OK_HEAD BM_FIXTURE_ONE_PHASE
		"    expected_artifacts: [a, [b]]\n",
		"5:5: workflow_phases[0].expected_artifacts: entry 1 is "
		"not a string");
	bm_fixture_expect_error(
		BM_FIXTURE_OK_HEAD "workflow_phases: 3\n",
		"3:1: workflow_phases: expected a list of phases");
	bm_fixture_expect_error(BM_FIXTURE_OK_HEAD BM_FIXTURE_ONE_PHASE
				"scale_level: 7\n",
				"5:1: scale_level: expected 0 to 4, got 7");
	/* -1 means "not set" inside; a config cannot say it */
	bm_fixture_expect_error(BM_FIXTURE_OK_HEAD BM_FIXTURE_ONE_PHASE
				"scale_level: -1\n",
				"5:1: scale_level: expected 0 to 4, got -1");
	bm_fixture_expect_error(BM_FIXTURE_OK_HEAD BM_FIXTURE_ONE_PHASE
				"success_criteria: 5\n",
				"5:1: success_criteria: expected a mapping");
}

Test(benchmark, unknown_keys_warn)
{
	struct benchmark *b = bm_fixture_load_text(BM_FIXTURE_OK_HEAD
						   "colour: blue\n"
						   "workflow_phases:\n"
						   "  - phase_name: A\n"
						   "    agnet: John\n");

	bm_fixture_expect_no_errors(b);
	bm_fixture_expect_in(b->warnings,
			     "3:1: colour: unknown key, ignored (check the "
			     "spelling)");
	bm_fixture_expect_in(b->warnings,
			     "6:5: workflow_phases[0].agnet: unknown key, "
			     "ignored (check the spelling)");
	cr_assert_eq(json_array_size(b->warnings), 2);
	/* the misspelt agent is not used: inferred from the name instead */
	cr_assert(b->phases[0].agent_inferred);
	benchmark_free(b);
}
