/*
 * test_shared_load.c - the conformance suite: the four real GAO-Dev
 * configs of ../shared/benchmarks/gao-dev load (benchmark.h) unchanged.
 *
 * Design note
 * -----------
 * Each must load with no errors, in the right mode, with the phases,
 * agents (explicit or inferred), timeouts and success criteria the file
 * says. The same checks on the project's own fixtures, one per shape, are
 * in tests/unit/test_benchmark.c and test_bm_*.c, with the same helpers
 * (tests/unit/bm_fixture.h); main.c skips this suite when the configs
 * are absent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "conformance.h"
#include "../unit/bm_fixture.h"
#include "supervisor/config/benchmark.h"

static struct benchmark *
load_real(const char *name)
{
	char path[4096], err[512] = "";
	struct benchmark *b;

	cf_config(name, path, sizeof(path));
	b = benchmark_load(path, err, sizeof(err));
	cr_assert_not_null(b, "%s", err);
	return b;
}

Test(shared_load, greenfield_simple)
{
	struct benchmark *b = load_real("greenfield-simple.yaml");
	json_t *qg;

	bm_fixture_expect_no_errors(b);
	cr_assert_eq(json_array_size(b->warnings), 0);
	cr_assert_eq(b->mode, BM_MODE_PHASES);
	cr_assert_str_eq(b->name, "greenfield-simple");
	cr_assert_str_eq(b->version, "1.0.0");
	cr_assert_str_eq(b->project_name, "greenfield-simple");
	cr_assert_eq(strncmp(b->initial_prompt, "Build a simple todo", 19), 0);
	bm_fixture_expect_hash(b);
	cr_assert_eq(b->timeout_seconds, 7200);
	cr_assert_null(b->boilerplate_url);
	cr_assert_null(b->boilerplate_path);
	cr_assert_eq(b->n_phases, 4);
	bm_fixture_expect_phase(b, 0, "Product Requirements", "John", false,
				3600);
	bm_fixture_expect_phase(b, 1, "System Architecture", "Winston", false,
				3600);
	bm_fixture_expect_phase(b, 2, "Story Creation", "Bob", false, 3600);
	bm_fixture_expect_phase(b, 3, "Implementation", "Amelia", false, 3600);
	cr_assert_str_eq(b->phases[0].description, "Create comprehensive PRD");
	cr_assert_float_eq(bm_fixture_crit_num(b, "min_test_coverage"), 80.0,
			   1e-9);
	cr_assert_eq(bm_fixture_crit_num(b, "max_manual_interventions"), 5);
	cr_assert_eq(bm_fixture_crit_num(b, "max_errors"), 3);
	cr_assert_eq(json_array_size(json_object_get(b->success_criteria,
						     "required_features")),
		     3);
	qg = json_object_get(b->success_criteria, "quality_gates");
	cr_assert(json_is_true(json_object_get(qg, "tests_passing")));
	cr_assert(json_is_true(json_object_get(qg, "type_safety")));
	/* the config is kept for the results: the wrapped document */
	cr_assert_str_eq(json_string_value(json_object_get(b->config, "name")),
			 "greenfield-simple");
	benchmark_free(b);
}

Test(shared_load, minimal)
{
	struct benchmark *b = load_real("minimal.yaml");

	bm_fixture_expect_no_errors(b);
	cr_assert_eq(b->mode, BM_MODE_PHASES);
	cr_assert_str_eq(b->name, "minimal");
	cr_assert_str_eq(b->version, "1.0.0");
	cr_assert_str_eq(b->project_name, "minimal-test");
	cr_assert_str_eq(b->initial_prompt, "");
	cr_assert_eq(b->timeout_seconds, 1800);
	/* relative to the config file; it does not exist: a warning */
	cr_assert_not_null(b->boilerplate_path);
	cr_assert_neq(strstr(b->boilerplate_path, "/templates/minimal"), NULL,
		      "%s", b->boilerplate_path);
	cr_assert_eq(json_array_size(b->warnings), 1);
	cr_assert_neq(strstr(json_string_value(json_array_get(b->warnings, 0)),
			     "minimal.yaml:12:1: boilerplate_path: boilerplate "
			     "path "),
		      NULL, "%s",
		      json_string_value(json_array_get(b->warnings, 0)));
	cr_assert_eq(b->n_phases, 1);
	bm_fixture_expect_phase(b, 0, "implementation", "Amelia", true, 1800);
	cr_assert_eq(json_array_size(b->phases[0].expected_artifacts), 1);
	cr_assert_str_eq(json_string_value(
				 json_array_get(b->phases[0].expected_artifacts,
						0)),
			 "src/main.py");
	cr_assert_not(b->phases[0].skip_if_failed);
	cr_assert_float_eq(bm_fixture_crit_num(b, "min_test_coverage"), 50.0,
			   1e-9);
	cr_assert_eq(bm_fixture_crit_num(b, "max_errors"), 5);
	benchmark_free(b);
}

Test(shared_load, simple_hello_api)
{
	struct benchmark *b = load_real("simple-hello-api.yaml");
	json_t *rf;

	bm_fixture_expect_no_errors(b);
	cr_assert_eq(json_array_size(b->warnings), 0);
	cr_assert_eq(b->mode, BM_MODE_PROMPT);
	cr_assert_str_eq(b->name, "simple-hello-api");
	cr_assert_eq(b->scale_level, 0);
	cr_assert_eq(b->timeout_seconds, 3600);
	cr_assert_neq(strstr(b->initial_prompt, "GET /hello"), NULL);
	bm_fixture_expect_hash(b);
	/* scale level 0: one implementation phase by Amelia */
	cr_assert_eq(b->n_phases, 1);
	bm_fixture_expect_phase(b, 0, "Implementation", "Amelia", false, 3600);
	rf = json_object_get(b->success_criteria, "required_features");
	cr_assert_eq(json_array_size(rf), 3);
	cr_assert_str_eq(json_string_value(json_array_get(rf, 2)),
			 "**/test_*.py OR tests/*.py");
	cr_assert_float_eq(bm_fixture_crit_num(b, "min_test_coverage"), 70.0,
			   1e-9);
	benchmark_free(b);
}

Test(shared_load, simple_story_test)
{
	static const char *const steps[] = { "spec", "implement", "validate" };
	static const char *const agents[] = { "Bob", "Amelia", "Murat" };
	static const char *const stories[] = {
		"Create Hello World Function",
		"Create Greeting Function",
	};
	struct benchmark *b = load_real("simple-story-test.yaml");

	bm_fixture_expect_no_errors(b);
	cr_assert_eq(b->mode, BM_MODE_STORIES);
	cr_assert_str_eq(b->project_name, "simple-test");
	cr_assert_eq(b->timeout_seconds, 3600);
	cr_assert_eq(b->n_phases, 6);
	for (size_t s = 0; s < 2; s++) {
		for (size_t k = 0; k < 3; k++) {
			const struct bm_phase *p = &b->phases[3 * s + k];
			char want[200];

			snprintf(want, sizeof(want), "Simple Feature %s %s",
				 stories[s], steps[k]);
			bm_fixture_expect_phase(b, 3 * s + k, want, agents[k],
						false, 900);
			cr_assert_str_eq(p->story, stories[s]);
			cr_assert_str_eq(p->epic, "Simple Feature");
			cr_assert_eq(p->is_validation, k == 2);
			cr_assert_eq(json_array_size(p->acceptance_criteria),
				     3);
		}
	}
	cr_assert_str_eq(json_string_value(
				 json_array_get(b->phases[0].expected_artifacts,
						0)),
			 "docs/stories/create-hello-world-function.md");
	cr_assert_str_eq(json_string_value(json_array_get(
				 b->phases[0].acceptance_criteria, 0)),
			 "Function returns 'Hello, World!'");
	benchmark_free(b);
}
