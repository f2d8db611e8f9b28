/*
 * test_bm_plan.c - unit tests of how a benchmark config becomes phases
 * (benchmark.c's planning): the prompt mode's scale levels, the phase
 * list and its aliases, agents inferred from names, slugs.
 *
 * Design note
 * -----------
 * The prompt fixtures (small and large) and small configs around the
 * 2000-character threshold; the prompt hash against a value computed
 * independently; the slug and agent-inference tables row by row.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "bm_fixture.h"

TestSuite(benchmark, .init = bm_fixture_setup, .fini = bm_fixture_teardown);

Test(benchmark, fixture_prompt_small)
{
	struct benchmark *b = bm_fixture_load("prompt-small.yaml");

	bm_fixture_expect_no_errors(b);
	cr_assert_eq(json_array_size(b->warnings), 0);
	cr_assert_eq(b->mode, BM_MODE_PROMPT);
	cr_assert_eq(b->scale_level, 1);
	cr_assert_eq(b->timeout_seconds, 900);
	cr_assert_str_eq(b->test_command, "python3 -m unittest -v test_roman");
	cr_assert_not_null(strstr(b->initial_prompt, "1 <= n <= 3999,\n"));
	bm_fixture_expect_hash(b);
	/* scale level 1: one implementation phase by Amelia */
	cr_assert_eq(b->n_phases, 1);
	bm_fixture_expect_phase(b, 0, "Implementation", "Amelia", false, 900);
	cr_assert_eq(json_array_size(json_object_get(b->success_criteria,
						     "required_features")),
		     3);
	benchmark_free(b);
}

Test(benchmark, fixture_prompt_large)
{
	struct benchmark *b = bm_fixture_load("prompt-large.yaml");

	bm_fixture_expect_no_errors(b);
	cr_assert_eq(b->mode, BM_MODE_PROMPT);
	cr_assert_eq(b->scale_level, 3);
	cr_assert_eq(b->n_phases, 4);
	bm_fixture_expect_phase(b, 0, "Product Requirements", "John", false,
				1800);
	bm_fixture_expect_phase(b, 1, "System Architecture", "Winston", false,
				1800);
	bm_fixture_expect_phase(b, 2, "Implementation", "Amelia", false, 1800);
	bm_fixture_expect_phase(b, 3, "Testing", "Murat", false, 1800);
	cr_assert_str_eq(b->phases[0].description, "Write the PRD in "
						   "docs/PRD.md");
	benchmark_free(b);
}

Test(benchmark, phases_alias_and_agents_inferred)
{
	struct benchmark *b = bm_fixture_load_text(
		BM_FIXTURE_OK_HEAD "phases:\n"
				   "  - name: Requirements Analysis\n"
				   "  - name: UX Design\n"
				   "  - name: QA\n"
				   "  - phase_name: Deploy\n"
				   "    agent: Brian\n");

	bm_fixture_expect_no_errors(b);
	cr_assert_eq(b->n_phases, 4);
	bm_fixture_expect_phase(b, 0, "Requirements Analysis", "Mary", true,
				3600);
	bm_fixture_expect_phase(b, 1, "UX Design", "Sally", true, 3600);
	bm_fixture_expect_phase(b, 2, "QA", "Murat", true, 3600);
	bm_fixture_expect_phase(b, 3, "Deploy", "Brian", false, 3600);
	benchmark_free(b);
}

Test(benchmark, workflow_phases_wins_over_phases)
{
	struct benchmark *b = bm_fixture_load_text(
		BM_FIXTURE_OK_HEAD BM_FIXTURE_ONE_PHASE
		"phases:\n  - phase_name: Other\n");

	cr_assert_eq(b->n_phases, 1);
	cr_assert_str_eq(b->phases[0].name, "Implementation");
	benchmark_free(b);
}

Test(benchmark, prompt_only_large_scale)
{
	struct benchmark *b = bm_fixture_load_text(BM_FIXTURE_OK_HEAD
						   "initial_prompt: Build it\n"
						   "scale_level: 2\n");

	bm_fixture_expect_no_errors(b);
	cr_assert_eq(b->mode, BM_MODE_PROMPT);
	cr_assert_eq(b->n_phases, 4);
	bm_fixture_expect_phase(b, 0, "Product Requirements", "John", false,
				7200);
	bm_fixture_expect_phase(b, 1, "System Architecture", "Winston", false,
				7200);
	bm_fixture_expect_phase(b, 2, "Implementation", "Amelia", false, 7200);
	bm_fixture_expect_phase(b, 3, "Testing", "Murat", false, 7200);
	benchmark_free(b);
}

Test(benchmark, prompt_only_unset_scale)
{
	char *text, *brief = malloc(2001);
	struct benchmark *b = bm_fixture_load_text(
		BM_FIXTURE_OK_HEAD "initial_prompt: Build it\n");

	/* no scale_level and a brief under 2000 characters: one phase */
	bm_fixture_expect_no_errors(b);
	cr_assert_eq(b->n_phases, 1);
	bm_fixture_expect_phase(b, 0, "Implementation", "Amelia", false, 7200);
	benchmark_free(b);
	/* 2000 characters or more: the four phases */
	cr_assert_not_null(brief);
	memset(brief, 'x', 2000);
	brief[2000] = 0;
	cr_assert_geq(asprintf(&text, BM_FIXTURE_OK_HEAD "initial_prompt: %s\n",
			       brief),
		      0);
	b = bm_fixture_load_text(text);
	bm_fixture_expect_no_errors(b);
	cr_assert_eq(b->n_phases, 4);
	bm_fixture_expect_phase(b, 3, "Testing", "Murat", false, 7200);
	benchmark_free(b);
	free(text);
	free(brief);
}

Test(benchmark, prompt_hash_collapses_whitespace)
{
	struct benchmark *a = bm_fixture_load_text(
		BM_FIXTURE_OK_HEAD "initial_prompt: \"a  b\\n\\tc "
				   "\"\n");
	char h[72];
	struct benchmark *b;

	memcpy(h, a->prompt_hash, sizeof(h));
	benchmark_free(a);
	b = bm_fixture_load_text(BM_FIXTURE_OK_HEAD "initial_prompt: a b c\n");
	cr_assert_str_eq(b->prompt_hash, h);
	benchmark_free(b);
	/* sha256("a b c"), computed independently */
	cr_assert_str_eq(h, "sha256:0e9f64031fcb2bc708b531c2a20441580425d151"
			    "a38503f38592a7dd36019d3b");
}

Test(benchmark, slug_table)
{
	static const char *const rows[][2] = {
		{ "Greenfield Simple!", "greenfield-simple" },
		{ "  --Hello__World--  ", "hello-world" },
		{ "Product Requirements", "product-requirements" },
		{ "a.b/c", "a-b-c" },
		{ "ABC123", "abc123" },
		{ "", "unnamed" },
		{ "!!!", "unnamed" },
		{ "caf\xc3\xa9 au lait", "caf-au-lait" },
	};
	char out[64];

	for (size_t i = 0; i < sizeof(rows) / sizeof(*rows); i++) {
		benchmark_slug(rows[i][0], out, sizeof(out));
		cr_assert_str_eq(out, rows[i][1], "\"%s\"", rows[i][0]);
	}
	/* bounded by cap, always terminated, never ending in '-' */
	benchmark_slug("abcdef", out, 4);
	cr_assert_str_eq(out, "abc");
}

Test(benchmark, infer_agent_table)
{
	static const char *const rows[][2] = {
		{ "Analysis", "Mary" },
		{ "Business Analysis", "Mary" },
		{ "Product Requirements", "John" },
		{ "Planning", "John" },
		{ "PRD", "John" },
		{ "Write the PRD", "John" },
		{ "System Architecture", "Winston" },
		{ "Architect review", "Winston" },
		{ "UX", "Sally" },
		{ "UX Design", "Sally" },
		{ "Design", "Sally" },
		{ "Story Creation", "Bob" },
		{ "Create stories", "Bob" },
		{ "Implementation", "Amelia" },
		{ "Development", "Amelia" },
		{ "Testing", "Murat" },
		{ "QA", "Murat" },
		{ "Validation", "Murat" },
		/* short words only as whole words */
		{ "Luxury features", "Amelia" },
		{ "Qatar market", "Amelia" },
		/* unsure: Amelia */
		{ "Deployment", "Amelia" },
		{ "", "Amelia" },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(*rows); i++)
		cr_assert_str_eq(benchmark_infer_agent(rows[i][0]), rows[i][1],
				 "\"%s\"", rows[i][0]);
	cr_assert_str_eq(benchmark_infer_agent(NULL), "Amelia");
}
