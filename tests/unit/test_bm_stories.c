/*
 * test_bm_stories.c - unit tests of the story mode (bm_stories.c):
 * epics and stories become spec, implement and validate phases.
 *
 * Design note
 * -----------
 * The epics fixture gives six phases in dependency order, with their
 * agents, acceptance criteria and spec files; small configs check the
 * order with a dependency declared later, an unknown dependency, a cycle
 * and an epic without stories.
 */
#include <stdio.h>

#include <criterion/criterion.h>

#include "bm_fixture.h"

TestSuite(benchmark, .init = bm_fixture_setup, .fini = bm_fixture_teardown);

Test(benchmark, fixture_epics_stories)
{
	static const char *const steps[] = { "spec", "implement", "validate" };
	static const char *const agents[] = { "Bob", "Amelia", "Murat" };
	static const char *const order[][3] = {
		/* epic, story, spec; Input first: Output depends on it */
		{ "Input", "Split Words", "docs/stories/split-words.md" },
		{ "Output", "Format Slug", "docs/stories/format-slug.md" },
	};
	static const size_t n_criteria[] = { 2, 1 };
	struct benchmark *b = bm_fixture_load("epics-stories.yaml");

	bm_fixture_expect_no_errors(b);
	cr_assert_eq(b->mode, BM_MODE_STORIES);
	cr_assert_str_eq(b->project_name, "slugger");
	cr_assert_str_eq(b->initial_prompt, "");
	cr_assert_eq(b->timeout_seconds, 2400);
	cr_assert_null(
		json_object_get(b->success_criteria, "min_test_coverage"));
	cr_assert_eq(b->n_phases, 6);
	for (size_t s = 0; s < 2; s++) {
		for (size_t k = 0; k < 3; k++) {
			const struct bm_phase *p = &b->phases[3 * s + k];
			char want[200];

			snprintf(want, sizeof(want), "%s %s %s", order[s][0],
				 order[s][1], steps[k]);
			bm_fixture_expect_phase(b, 3 * s + k, want, agents[k],
						false, 600);
			cr_assert_str_eq(p->story, order[s][1]);
			cr_assert_str_eq(p->epic, order[s][0]);
			cr_assert_eq(p->is_validation, k == 2);
			cr_assert_eq(json_array_size(p->acceptance_criteria),
				     n_criteria[s]);
			cr_assert_eq(json_array_size(p->expected_artifacts),
				     k == 0);
		}
		cr_assert_str_eq(bm_fixture_artifact(&b->phases[3 * s], 0),
				 order[s][2]);
	}
	cr_assert_str_eq(json_string_value(json_array_get(
				 b->phases[3].acceptance_criteria, 0)),
			 "slug('Hello, World') == 'hello-world'");
	benchmark_free(b);
}

Test(benchmark, story_dependencies_order_and_errors)
{
	struct benchmark *b = bm_fixture_load_text(
		BM_FIXTURE_OK_HEAD "epics:\n  - name: E\n"
				   "    stories:\n"
				   "      - name: Second\n"
				   "        dependencies: [First]\n"
				   "      - name: First\n");

	bm_fixture_expect_no_errors(b);
	cr_assert_eq(b->n_phases, 6);
	cr_assert_str_eq(b->phases[0].story, "First");
	cr_assert_str_eq(b->phases[3].story, "Second");
	benchmark_free(b);
	bm_fixture_expect_error(
		BM_FIXTURE_OK_HEAD
		"epics:\n  - name: E\n    stories:\n"
		"      - name: A\n        dependencies: [Nope]\n",
		"6:9: epics[0].stories[0]: dependency Nope is not a story "
		"of this benchmark");
	bm_fixture_expect_error(
		BM_FIXTURE_OK_HEAD
		"epics:\n  - name: E\n    stories:\n"
		"      - name: A\n        dependencies: [B]\n"
		"      - name: B\n        dependencies: [A]\n",
		"3:1: epics: the story dependencies form a cycle");
	bm_fixture_expect_error(
		BM_FIXTURE_OK_HEAD "epics:\n  - name: E\n",
		"4:5: epics[0]: an epic needs a name and a list of "
		"stories");
}
