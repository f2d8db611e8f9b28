/*
 * test_benchmark.c - unit tests of benchmark configs (benchmark.c): the
 * fields every config has and the rules that check them.
 *
 * Design note
 * -----------
 * The project's fixtures for the phase shapes (flat, wrapped with the
 * "phases" alias, legacy) must load with no errors, in the right mode,
 * with the phases, agents, timeouts and success criteria the file says.
 * Then small configs (bm_fixture.h), one per validation rule of
 * docs/decisions.md, each checked for its exact message and the
 * file:line:column it points at. The other modules have their own
 * binaries: test_bm_parse.c (field types and positions), test_bm_plan.c
 * (how a config becomes phases), test_bm_stories.c, test_bm_text.c
 * (placeholders) and test_bm_confine.c (untrusted configs). The real
 * GAO-Dev configs, when they are beside the clone, are loaded by the
 * conformance suite (tests/conformance/).
 */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "bm_fixture.h"

TestSuite(benchmark, .init = bm_fixture_setup, .fini = bm_fixture_teardown);

Test(benchmark, fixture_flat_phases)
{
	struct benchmark *b = bm_fixture_load("flat-phases.yaml");
	char want[1024], path[512];
	json_t *qg;

	bm_fixture_expect_no_errors(b);
	cr_assert_eq(b->mode, BM_MODE_PHASES);
	cr_assert_str_eq(b->name, "fixture-flat");
	cr_assert_str_eq(b->version, "2.1.0");
	cr_assert_str_eq(b->project_name, "wordcount");
	cr_assert_str_eq(b->initial_prompt, "Build wc.py: count the words of "
					    "a text, with unit tests.");
	bm_fixture_expect_hash(b);
	cr_assert_eq(b->timeout_seconds, 1200);
	/* relative to the config file; it does not exist: a warning */
	bm_fixture_path("flat-phases.yaml", path, sizeof(path));
	snprintf(want, sizeof(want),
		 "%s:16:1: boilerplate_path: boilerplate "
		 "path %s/templates/absent does not exist; the project "
		 "starts empty",
		 path, getenv("GAO_DEV_FIXTURES"));
	cr_assert_eq(json_array_size(b->warnings), 1);
	cr_assert_str_eq(json_string_value(json_array_get(b->warnings, 0)),
			 want);
	cr_assert_eq(b->n_phases, 2);
	bm_fixture_expect_phase(b, 0, "Requirements", "John", true, 600);
	bm_fixture_expect_phase(b, 1, "implementation", "Amelia", true, 3600);
	cr_assert_str_eq(bm_fixture_artifact(&b->phases[0], 0),
			 "docs/requirements.md");
	cr_assert_str_eq(bm_fixture_artifact(&b->phases[1], 1), "test_*.py");
	cr_assert_not(b->phases[0].skip_if_failed);
	cr_assert(b->phases[1].skip_if_failed);
	cr_assert_str_eq(b->phases[1].description, "Write wc.py and "
						   "test_wc.py");
	cr_assert_float_eq(bm_fixture_crit_num(b, "min_test_coverage"), 50.0,
			   1e-9);
	cr_assert_eq(bm_fixture_crit_num(b, "max_manual_interventions"), 2);
	cr_assert_eq(bm_fixture_crit_num(b, "max_errors"), 1);
	cr_assert_eq(json_array_size(json_object_get(b->success_criteria,
						     "required_features")),
		     1);
	qg = json_object_get(b->success_criteria, "quality_gates");
	cr_assert(json_is_true(json_object_get(qg, "tests_passing")));
	benchmark_free(b);
}

Test(benchmark, fixture_wrapped_phases_alias)
{
	struct benchmark *b = bm_fixture_load("wrapped-phases.yaml");
	json_t *qg;

	bm_fixture_expect_no_errors(b);
	cr_assert_eq(json_array_size(b->warnings), 0);
	cr_assert_eq(b->mode, BM_MODE_PHASES);
	cr_assert_str_eq(b->name, "fixture-wrapped");
	cr_assert_str_eq(b->project_name, "fixture-wrapped");
	cr_assert_eq(strncmp(b->initial_prompt, "Build a temperature", 19), 0);
	/* constraints.timeout_seconds lowers the default 7200 */
	cr_assert_eq(b->timeout_seconds, 1800);
	cr_assert_null(b->boilerplate_url);
	cr_assert_null(b->boilerplate_path);
	cr_assert_eq(b->n_phases, 3);
	bm_fixture_expect_phase(b, 0, "Product Requirements", "John", false,
				3600);
	bm_fixture_expect_phase(b, 1, "System Architecture", "Winston", false,
				3600);
	bm_fixture_expect_phase(b, 2, "Implementation", "Amelia", false, 3600);
	cr_assert_str_eq(b->phases[0].description, "Write the PRD in "
						   "docs/PRD.md");
	cr_assert_float_eq(bm_fixture_crit_num(b, "min_test_coverage"), 60.0,
			   1e-9);
	cr_assert_eq(json_array_size(json_object_get(b->success_criteria,
						     "required_features")),
		     2);
	qg = json_object_get(b->success_criteria, "quality_gates");
	cr_assert(json_is_true(json_object_get(qg, "linting")));
	/* the config kept for the results: the wrapped mapping */
	cr_assert_str_eq(json_string_value(json_object_get(b->config, "name")),
			 "fixture-wrapped");
	benchmark_free(b);
}

Test(benchmark, fixture_legacy_phases)
{
	struct benchmark *b = bm_fixture_load("legacy-phases.yaml");
	json_t *list;

	bm_fixture_expect_no_errors(b);
	cr_assert_eq(json_array_size(b->warnings), 0);
	cr_assert_eq(b->mode, BM_MODE_PHASES);
	cr_assert_str_eq(b->version, "1.0.0");
	cr_assert_eq(b->timeout_seconds, 7200);
	cr_assert_null(b->boilerplate_url);
	cr_assert_eq(b->n_phases, 3);
	bm_fixture_expect_phase(b, 0, "Business Analysis", "Mary", true, 3600);
	bm_fixture_expect_phase(b, 1, "Development", "Amelia", true, 3600);
	bm_fixture_expect_phase(b, 2, "QA", "Murat", true, 3600);
	cr_assert_str_eq(bm_fixture_artifact(&b->phases[1], 1),
			 "test_fizzbuzz.py");
	/* the older list, kept as it is under "criteria" */
	list = json_object_get(b->success_criteria, "criteria");
	cr_assert_eq(json_array_size(list), 2);
	cr_assert_str_eq(json_string_value(
				 json_object_get(json_array_get(list, 1),
						 "name")),
			 "coverage");
	cr_assert_null(
		json_object_get(b->success_criteria, "min_test_coverage"));
	benchmark_free(b);
}

Test(benchmark, small_valid_config)
{
	struct benchmark *b = bm_fixture_load_text(
		BM_FIXTURE_OK_HEAD BM_FIXTURE_ONE_PHASE);

	bm_fixture_expect_no_errors(b);
	cr_assert_eq(json_array_size(b->warnings), 0);
	cr_assert_str_eq(b->version, "1.0.0");
	cr_assert_eq(b->timeout_seconds, 7200);
	cr_assert_eq(b->scale_level, -1);
	cr_assert_float_eq(b->max_cost_usd, -1, 1e-9);
	cr_assert_eq(b->max_tokens, -1);
	cr_assert_float_eq(bm_fixture_crit_num(b, "min_test_coverage"), 80.0,
			   1e-9);
	benchmark_free(b);
}

Test(benchmark, name_required)
{
	bm_fixture_expect_error(
		"description: d\n" BM_FIXTURE_ONE_PHASE,
		"1:1: name: Benchmark name is required: add name: "
		"\"my-benchmark\"");
	bm_fixture_expect_error(
		"name: \"\"\ndescription: d\n" BM_FIXTURE_ONE_PHASE,
		"1:1: name: Benchmark name is required: add name: "
		"\"my-benchmark\"");
}

Test(benchmark, description_required)
{
	bm_fixture_expect_error(
		"\n\nname: t\n" BM_FIXTURE_ONE_PHASE,
		"3:1: description: Benchmark description is required: "
		"add description: \"what this benchmark builds\"");
}

Test(benchmark, timeout_positive)
{
	bm_fixture_expect_error(
		BM_FIXTURE_OK_HEAD "timeout_seconds: 0\n" BM_FIXTURE_ONE_PHASE,
		"3:1: timeout_seconds: Timeout must be positive: got 0, "
		"expected 1 to 86400 seconds");
	bm_fixture_expect_error(
		BM_FIXTURE_OK_HEAD "timeout_seconds: -5\n" BM_FIXTURE_ONE_PHASE,
		"3:1: timeout_seconds: Timeout must be positive: got -5, "
		"expected 1 to 86400 seconds");
}

Test(benchmark, timeout_maximum)
{
	bm_fixture_expect_error(
		BM_FIXTURE_OK_HEAD BM_FIXTURE_ONE_PHASE
		"timeout_seconds: 86401\n",
		"5:1: timeout_seconds: Timeout exceeds maximum of 86400s "
		"(24 hours): got 86401; lower it to at most 86400");
}

Test(benchmark, invalid_url)
{
	bm_fixture_expect_error(
		BM_FIXTURE_OK_HEAD
		"boilerplate_url: ftp://example.com/x.git\n" BM_FIXTURE_ONE_PHASE,
		"3:1: boilerplate_url: Invalid URL format: "
		"got \"ftp://example.com/x.git\", expected http(s)://, "
		"git@ or file://");
}

Test(benchmark, valid_urls_and_old_spelling)
{
	char local[300];
	const char *const urls[] = {
		"https://github.com/a/b.git",
		"http://h/x",
		"git@github.com:a/b",
		local,
	};

	/* a file:// URL below the config's own directory */
	snprintf(local, sizeof(local), "file://%s/repo", bm_fixture_dir);
	for (size_t i = 0; i < sizeof(urls) / sizeof(*urls); i++) {
		char text[512];
		struct benchmark *b;

		snprintf(
			text, sizeof(text),
			BM_FIXTURE_OK_HEAD
			"boilerplate:\n"
			"  repo_url: %s\n  branch: main\n" BM_FIXTURE_ONE_PHASE,
			urls[i]);
		b = bm_fixture_load_text(text);
		bm_fixture_expect_no_errors(b);
		cr_assert_str_eq(b->boilerplate_url, urls[i]);
		benchmark_free(b);
	}
}

Test(benchmark, boilerplate_path_relative_to_config)
{
	struct benchmark *b;
	char want[400], sub[400];

	snprintf(sub, sizeof(sub), "%s/tpl", bm_fixture_dir);
	cr_assert_eq(mkdir(sub, 0700), 0);
	b = bm_fixture_load_text(
		BM_FIXTURE_OK_HEAD
		"boilerplate_path: tpl\n" BM_FIXTURE_ONE_PHASE);
	bm_fixture_expect_no_errors(b);
	snprintf(want, sizeof(want), "%s/tpl", bm_fixture_dir);
	cr_assert_str_eq(b->boilerplate_path, want);
	cr_assert_eq(json_array_size(b->warnings), 0);
	benchmark_free(b);
	rmdir(sub);
}

Test(benchmark, coverage_range)
{
	bm_fixture_expect_error(
		BM_FIXTURE_OK_HEAD BM_FIXTURE_ONE_PHASE
		"success_criteria:\n"
		"  min_test_coverage: 120\n",
		"6:3: success_criteria.min_test_coverage: Test coverage "
		"must be between 0 and 100: got 120");
	bm_fixture_expect_error(
		BM_FIXTURE_OK_HEAD BM_FIXTURE_ONE_PHASE
		"success_criteria:\n"
		"  min_test_coverage: -0.5\n",
		"6:3: success_criteria.min_test_coverage: Test coverage "
		"must be between 0 and 100: got -0.5");
}

Test(benchmark, cannot_be_negative)
{
	bm_fixture_expect_error(
		BM_FIXTURE_OK_HEAD BM_FIXTURE_ONE_PHASE "success_criteria:\n"
							"  max_errors: -1\n",
		"6:3: success_criteria.max_errors: Cannot be negative: "
		"got -1");
	bm_fixture_expect_error(
		BM_FIXTURE_OK_HEAD BM_FIXTURE_ONE_PHASE
		"success_criteria:\n"
		"  max_errors: 0\n  max_manual_interventions: -2\n",
		"7:3: success_criteria.max_manual_interventions: Cannot "
		"be negative: got -2");
}

Test(benchmark, phase_name_required)
{
	bm_fixture_expect_error(
		BM_FIXTURE_OK_HEAD "workflow_phases:\n  - phase_name: A\n"
				   "  - agent: John\n    description: x\n",
		"5:5: workflow_phases[1]: Phase name is required: add "
		"phase_name: \"Implementation\"");
}

Test(benchmark, names_at_most_256_bytes)
{
	/* a name is in every output and each audit record: 256 bytes fit,
	 * 257 are an error naming the field */
	char text[2048], n256[257], n257[258];
	struct benchmark *b;

	memset(n256, 'n', 256);
	n256[256] = 0;
	memset(n257, 'n', 257);
	n257[257] = 0;
	snprintf(text, sizeof(text),
		 "name: %s\ndescription: d\nworkflow_phases:\n"
		 "  - phase_name: %s\n    agent: %s\n",
		 n256, n256, n256);
	b = bm_fixture_load_text(text);
	bm_fixture_expect_no_errors(b);
	cr_expect_eq(strlen(b->phases[0].name), 256);
	benchmark_free(b);
	snprintf(text, sizeof(text),
		 "name: %s\ndescription: d\n" BM_FIXTURE_ONE_PHASE, n257);
	bm_fixture_expect_error(text, "1:1: name: a name of 257 bytes; a "
				      "name is at most 256 bytes: shorten it");
	snprintf(text, sizeof(text),
		 BM_FIXTURE_OK_HEAD "workflow_phases:\n  - phase_name: %s\n",
		 n257);
	bm_fixture_expect_error(
		text, "4:5: workflow_phases[0].phase_name: a "
		      "name of 257 bytes; a name is at most 256 bytes: "
		      "shorten it");
	snprintf(text, sizeof(text),
		 BM_FIXTURE_OK_HEAD "workflow_phases:\n  - name: %s\n", n257);
	bm_fixture_expect_error(text,
				"4:5: workflow_phases[0].name: a name "
				"of 257 bytes; a name is at most 256 bytes: "
				"shorten it");
	snprintf(text, sizeof(text),
		 BM_FIXTURE_OK_HEAD
		 "workflow_phases:\n  - phase_name: A\n    agent: %s\n",
		 n257);
	bm_fixture_expect_error(text,
				"5:5: workflow_phases[0].agent: a name "
				"of 257 bytes; a name is at most 256 bytes: "
				"shorten it");
}

Test(benchmark, epic_story_and_step_names_at_most_256_bytes)
{
	/* a story's step is named "<epic> <story> <step>": each part and the
	 * longest step name ("... implement") fit in 256 bytes */
	char text[2048], n257[258], e120[121], s126[127];
	struct benchmark *b;

	memset(n257, 'n', 257);
	n257[257] = 0;
	memset(e120, 'e', 120);
	e120[120] = 0;
	memset(s126, 's', 126);
	s126[126] = 0;
#define STORY(epic, story, agent) \
	(snprintf(text, sizeof(text), \
		  BM_FIXTURE_OK_HEAD "epics:\n  - name: %s\n    stories:\n" \
				     "      - name: %s\n        agent: %s\n", \
		  epic, story, agent), \
	 text)
	/* 120 + 1 + 126 + 10 = 257 bytes, one too many */
	bm_fixture_expect_error(
		STORY(e120, s126, "Amelia"),
		"6:9: epics[0].stories[0].name: the step names of this story "
		"(\"<epic> <story> implement\") would be 257 bytes; a name is "
		"at most 256 bytes: shorten the epic's or the story's name");
	s126[125] = 0; /* 256: the longest step name there may be */
	b = bm_fixture_load_text(STORY(e120, s126, "Amelia"));
	bm_fixture_expect_no_errors(b);
	cr_expect_eq(strlen(b->phases[1].name), 256);
	benchmark_free(b);
	bm_fixture_expect_error(STORY(n257, "s", "Amelia"),
				"4:5: epics[0].name: a name of 257 bytes; a "
				"name is at most 256 bytes: shorten it");
	bm_fixture_expect_error(STORY("e", n257, "Amelia"),
				"6:9: epics[0].stories[0].name: a name of 257 "
				"bytes; a name is at most 256 bytes: shorten "
				"it");
	bm_fixture_expect_error(STORY("e", "s", n257),
				"7:9: epics[0].stories[0].agent: a name of "
				"257 bytes; a name is at most 256 bytes: "
				"shorten it");
#undef STORY
}

Test(benchmark, whole_numbers_in_range)
{
	/* a real past int64 has no defined cast: refused before one */
	bm_fixture_expect_error(
		BM_FIXTURE_OK_HEAD
		"timeout_seconds: 1e300\n" BM_FIXTURE_ONE_PHASE,
		"3:1: timeout_seconds: expected a whole number, "
		"got 1e+300");
	bm_fixture_expect_error(
		BM_FIXTURE_OK_HEAD
		"timeout_seconds: 2.5\n" BM_FIXTURE_ONE_PHASE,
		"3:1: timeout_seconds: expected a whole number, "
		"got 2.5");
	/* YAML's .nan stays a string: yamljson makes no NaN */
	bm_fixture_expect_error(
		BM_FIXTURE_OK_HEAD
		"timeout_seconds: .nan\n" BM_FIXTURE_ONE_PHASE,
		"3:1: timeout_seconds: expected a whole number, "
		"got .nan");
}

Test(benchmark, phase_timeout_positive)
{
	bm_fixture_expect_error(
		BM_FIXTURE_OK_HEAD "workflow_phases:\n  - phase_name: A\n"
				   "    timeout_seconds: 0\n",
		"5:5: workflow_phases[0].timeout_seconds: Phase timeout "
		"must be positive: got 0");
}

Test(benchmark, version_numbers_become_strings)
{
	struct benchmark *b = bm_fixture_load_text(
		BM_FIXTURE_OK_HEAD "version: 2\n" BM_FIXTURE_ONE_PHASE);

	cr_assert_str_eq(b->version, "2");
	benchmark_free(b);
	b = bm_fixture_load_text(BM_FIXTURE_OK_HEAD
				 "version: 1.5\n" BM_FIXTURE_ONE_PHASE);
	cr_assert_str_eq(b->version, "1.5");
	benchmark_free(b);
}

Test(benchmark, nothing_to_run)
{
	bm_fixture_expect_error(BM_FIXTURE_OK_HEAD,
				"1:1: (document): nothing to run: give "
				"initial_prompt, workflow_phases or epics");
}

Test(benchmark, not_a_mapping)
{
	bm_fixture_expect_error("- a\n- b\n",
				"1:1: (document): a benchmark config must "
				"be a YAML mapping");
}

Test(benchmark, yaml_errors_are_fatal)
{
	char err[512] = "", want[400];
	FILE *f = fopen(bm_fixture_cfg, "we");

	cr_assert_not_null(f);
	fputs("name: t\nname: u\n", f);
	fclose(f);
	cr_assert_null(benchmark_load(bm_fixture_cfg, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s:2:1: duplicate key", bm_fixture_cfg);
	cr_assert_str_eq(err, want);
	cr_assert_null(benchmark_load("/nonexistent.yaml", err, sizeof(err)));
}

Test(benchmark, constraints)
{
	struct benchmark *b = bm_fixture_load_text(
		BM_FIXTURE_OK_HEAD BM_FIXTURE_ONE_PHASE
		"constraints:\n"
		"  max_cost_usd: 2.5\n"
		"  max_tokens: 100000\n"
		"  timeout_seconds: 600\n");

	bm_fixture_expect_no_errors(b);
	cr_assert_float_eq(b->max_cost_usd, 2.5, 1e-9);
	cr_assert_eq(b->max_tokens, 100000);
	cr_assert_eq(b->timeout_seconds, 600);
	benchmark_free(b);
}

Test(benchmark, model_must_be_a_model_id)
{
	/* it goes into the key check's URL path */
	bm_fixture_expect_error(BM_FIXTURE_OK_HEAD
				"model: \"a/../b?c\"\n" BM_FIXTURE_ONE_PHASE,
				"3:1: model: expected a model id such as "
				"claude-sonnet-5-5 (letters, digits, '.', '_', "
				"'-'; at most 128 bytes)");
	struct benchmark *b = bm_fixture_load_text(
		BM_FIXTURE_OK_HEAD
		"model: claude-opus-5-5\n" BM_FIXTURE_ONE_PHASE);

	bm_fixture_expect_no_errors(b);
	cr_assert_str_eq(b->model, "claude-opus-5-5");
	benchmark_free(b);
}

Test(benchmark, constraints_given_are_limits)
{
	/* 0 or less is no limit by accident: an error that says how to
	 * have none; the other keys of the real configs' constraints pass */
	bm_fixture_expect_error(BM_FIXTURE_OK_HEAD BM_FIXTURE_ONE_PHASE
				"constraints:\n  max_cost_usd: 0\n",
				"6:3: constraints.max_cost_usd: expected a "
				"positive number of US dollars, got 0: remove "
				"the key for no cost limit");
	bm_fixture_expect_error(BM_FIXTURE_OK_HEAD BM_FIXTURE_ONE_PHASE
				"constraints:\n  max_cost_usd: -0.5\n",
				"6:3: constraints.max_cost_usd: expected a "
				"positive number of US dollars, got -0.5: "
				"remove the key for no cost limit");
	bm_fixture_expect_error(BM_FIXTURE_OK_HEAD BM_FIXTURE_ONE_PHASE
				"constraints:\n  max_tokens: -5\n",
				"6:3: constraints.max_tokens: expected a "
				"positive number of tokens, got -5: remove the "
				"key for no token limit");
	bm_fixture_expect_error(
		BM_FIXTURE_OK_HEAD BM_FIXTURE_ONE_PHASE
		"constraints:\n  timeout_seconds: 0\n",
		"6:3: constraints.timeout_seconds: Timeout must "
		"be positive: got 0, expected 1 to 86400 "
		"seconds");
	/* a wrong type is one error, not two */
	struct benchmark *b = bm_fixture_load_text(
		BM_FIXTURE_OK_HEAD BM_FIXTURE_ONE_PHASE
		"constraints:\n  max_tokens: lots\n");

	cr_assert_eq(json_array_size(b->errors), 1);
	benchmark_free(b);
	b = bm_fixture_load_text(BM_FIXTURE_OK_HEAD BM_FIXTURE_ONE_PHASE
				 "constraints:\n  max_retries: 2\n"
				 "  allow_manual_intervention: true\n");
	bm_fixture_expect_no_errors(b);
	cr_assert_lt(b->max_tokens, 0);
	cr_assert_lt(b->max_cost_usd, 0);
	benchmark_free(b);
}

Test(benchmark, old_criteria_list)
{
	struct benchmark *b = bm_fixture_load_text(
		BM_FIXTURE_OK_HEAD BM_FIXTURE_ONE_PHASE
		"success_criteria:\n"
		"  - name: tests\n    type: boolean\n");

	bm_fixture_expect_no_errors(b);
	cr_assert_eq(json_array_size(
			     json_object_get(b->success_criteria, "criteria")),
		     1);
	benchmark_free(b);
}
