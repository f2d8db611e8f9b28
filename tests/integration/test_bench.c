/*
 * test_bench.c - issue #5 end to end: every config shape gao-dev reads
 * runs, on the project's own fixtures (tests/fixtures/configs/).
 *
 * Each test starts its own fake API (tests/integration/scenarios/
 * fixture-*.json: one scripted conversation per phase or story step,
 * chosen by the agent, project and phase names in its prompts) and runs
 * the real gao-dev and gao-dev-worker with `sandbox run CONFIG
 * --standalone`. Every results file goes through hb_check_results()
 * (schema, events, file modes, `gao-dev audit verify` on every audit
 * log); the tests then assert the exit code, the status, the mode, the
 * phases and their agents in order (explicit, inferred, planned from
 * the prompt or from the stories), the tool calls per tool, the
 * artifacts, each success criterion's outcome (as the config implies)
 * and the commits in the project's git history. The failure paths are in
 * test_bench_paths.c, the refusals in test_configs.c; the real GAO-Dev
 * configs, when they are beside the clone, in tests/conformance/.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness_bench.h"

static void
run_fixture(struct hb *t, const char *scenario, const char *config)
{
	char sc[256], cfg[512];

	snprintf(sc, sizeof(sc), "tests/integration/scenarios/%s", scenario);
	hb_start(t, sc);
	hb_fixture(config, cfg, sizeof(cfg));
	const char *args[] = { cfg, NULL };

	hb_run(t, args, 120);
}

static void
assert_mode(const json_t *r, const char *mode)
{
	cr_assert_str_eq(hb_str(json_object_get(r, "benchmark"), "mode"), mode);
}

/* The expected artifacts of phase i: all found, none missing. */
static void
assert_found(const json_t *r, size_t i, size_t n)
{
	const json_t *art = json_object_get(hb_phase(r, i), "artifacts");

	cr_assert_eq(json_array_size(json_object_get(art, "found")), n,
		     "phase %zu: %s", i, json_dumps(art, JSON_COMPACT));
	cr_assert_eq(json_array_size(json_object_get(art, "missing")), 0);
}

/* flat: agents inferred, artifacts with a glob, a missing boilerplate */
Test(fixtures, flat_phases)
{
	struct hb t;
	json_t *r;

	run_fixture(&t, "fixture-flat.json", "flat-phases.yaml");
	r = hb_results(&t);
	hb_assert_run(&t, r, 0, "completed", "");
	assert_mode(r, "phases");
	cr_assert_str_eq(hb_str(json_object_get(r, "benchmark"), "version"),
			 "2.1.0");
	cr_assert_eq(hb_n_phases(r), 2);
	hb_assert_phase(r, 0, "Requirements", "John", "success");
	hb_assert_phase(r, 1, "implementation", "Amelia", "success");
	hb_assert_tools(r, 0, "{\"Write\": 1}");
	hb_assert_tools(r, 1, "{\"Write\": 2, \"Bash\": 1}");
	cr_assert_str_eq(hb_str(hb_phase(r, 0), "policy"), "strict");
	cr_assert_str_eq(hb_str(hb_phase(r, 1), "policy"), "default");
	assert_found(r, 0, 1);
	assert_found(r, 1, 2);
	cr_assert(hb_has_warning(r, "does not exist; the project starts "
				    "empty"));
	cr_assert_eq(hb_n_criteria(r), 5);
	hb_assert_coverage(r, 50.0);
	hb_assert_criterion(r, "max_manual_interventions", 0, "passed", NULL);
	hb_assert_criterion(r, "max_errors", 0, "skipped", "no lint");
	hb_assert_criterion(r, "required_features", 0, "skipped", "prose");
	hb_assert_tests_passed(r, "tests_passing");
	hb_assert_file(r, "wc.py", "return len(text.split())");
	hb_assert_git_log(r,
			  "chore(implementation): implementation by Amelia\n\n"
			  "test_wc.py\nwc.py\n"
			  "chore(requirements): Requirements by John\n\n"
			  "docs/requirements.md\n"
			  "chore: initial project setup\n");
	cr_assert_not_null(strstr(t.out.out, "status:    completed"));
	hb_assert_fake_ok(&t, 5);
	json_decref(r);
	hb_finish(&t);
}

/* wrapped in benchmark:, the phases alias, constraints.timeout_seconds */
Test(fixtures, wrapped_phases_alias)
{
	struct hb t;
	json_t *r;

	run_fixture(&t, "fixture-wrapped.json", "wrapped-phases.yaml");
	r = hb_results(&t);
	hb_assert_run(&t, r, 0, "completed", "");
	assert_mode(r, "phases");
	cr_assert_str_eq(hb_str(json_object_get(r, "benchmark"), "name"),
			 "fixture-wrapped");
	/* the config kept in the results is the wrapped mapping */
	cr_assert_str_eq(hb_str(json_object_get(r, "config"), "name"),
			 "fixture-wrapped");
	cr_assert_eq(hb_n_phases(r), 3);
	hb_assert_phase(r, 0, "Product Requirements", "John", "success");
	hb_assert_phase(r, 1, "System Architecture", "Winston", "success");
	hb_assert_phase(r, 2, "Implementation", "Amelia", "success");
	hb_assert_tools(r, 0, "{\"Write\": 1}");
	hb_assert_tools(r, 1, "{\"Read\": 1, \"Write\": 1}");
	hb_assert_tools(r, 2, "{\"Write\": 2, \"Bash\": 1}");
	cr_assert_eq(hb_n_criteria(r), 6);
	hb_assert_coverage(r, 60.0);
	hb_assert_criterion(r, "max_manual_interventions", 0, "passed", NULL);
	cr_assert_eq(hb_count_criteria(r, "required_features", "skipped"), 2,
		     "prose features cannot be checked");
	hb_assert_tests_passed(r, "tests_passing");
	hb_assert_criterion(r, "linting", 0, "skipped", NULL);
	cr_assert(hb_has_warning(r, "WebSearch left out"));
	hb_assert_file(r, "docs/ARCHITECTURE.md", "to_fahrenheit()");
	hb_assert_git_log(
		r,
		"chore(implementation): Implementation by Amelia\n\n"
		"temperature.py\ntest_temperature.py\n"
		"chore(system-architecture): System Architecture by Winston\n\n"
		"docs/ARCHITECTURE.md\n"
		"chore(product-requirements): Product Requirements by John\n\n"
		"docs/PRD.md\n"
		"chore: initial project setup\n");
	hb_assert_fake_ok(&t, 8);
	json_decref(r);
	hb_finish(&t);
}

/* phases with name:, agents inferred, the older list of criteria */
Test(fixtures, legacy_phases)
{
	struct hb t;
	json_t *r;

	run_fixture(&t, "fixture-legacy.json", "legacy-phases.yaml");
	r = hb_results(&t);
	hb_assert_run(&t, r, 0, "completed", "");
	assert_mode(r, "phases");
	cr_assert_str_eq(hb_str(json_object_get(r, "benchmark"), "version"),
			 "1.0.0");
	cr_assert_eq(hb_n_phases(r), 3);
	hb_assert_phase(r, 0, "Business Analysis", "Mary", "success");
	hb_assert_phase(r, 1, "Development", "Amelia", "success");
	hb_assert_phase(r, 2, "QA", "Murat", "success");
	hb_assert_tools(r, 0, "{\"Write\": 1}");
	hb_assert_tools(r, 1, "{\"Write\": 2, \"Bash\": 1}");
	hb_assert_tools(r, 2, "{\"Bash\": 1}");
	assert_found(r, 0, 1);
	assert_found(r, 1, 2);
	cr_assert_not_null(strstr(hb_str(hb_phase(r, 2), "final_text"),
				  "the 2 tests pass"));
	/* recorded, not evaluated */
	cr_assert_eq(hb_n_criteria(r), 1);
	hb_assert_criterion(r, "criteria", 0, "skipped", "older list form");
	/* QA changed nothing: no commit of its own */
	hb_assert_git_log(
		r, "chore(development): Development by Amelia\n\n"
		   "fizzbuzz.py\ntest_fizzbuzz.py\n"
		   "chore(business-analysis): Business Analysis by Mary\n\n"
		   "docs/analysis.md\n"
		   "chore: initial project setup\n");
	hb_assert_fake_ok(&t, 7);
	json_decref(r);
	hb_finish(&t);
}

/* stories in dependency order across epics, a commit per changing step */
Test(fixtures, epics_stories)
{
	static const char *const step[][2] = {
		{ "Input Split Words spec", "Bob" },
		{ "Input Split Words implement", "Amelia" },
		{ "Input Split Words validate", "Murat" },
		{ "Output Format Slug spec", "Bob" },
		{ "Output Format Slug implement", "Amelia" },
		{ "Output Format Slug validate", "Murat" },
	};
	struct hb t;
	json_t *r;

	run_fixture(&t, "fixture-stories.json", "epics-stories.yaml");
	r = hb_results(&t);
	hb_assert_run(&t, r, 0, "completed", "");
	assert_mode(r, "stories");
	cr_assert_eq(hb_n_phases(r), 6);
	for (size_t i = 0; i < 6; i++)
		hb_assert_phase(r, i, step[i][0], step[i][1], "success");
	hb_assert_tools(r, 0, "{\"Write\": 1}");
	hb_assert_tools(r, 1, "{\"Read\": 1, \"Write\": 2, \"Bash\": 1}");
	hb_assert_tools(r, 2, "{\"Bash\": 1}");
	hb_assert_tools(r, 3, "{\"Write\": 1}");
	hb_assert_tools(r, 4, "{\"Edit\": 1, \"Write\": 1, \"Bash\": 1}");
	hb_assert_tools(r, 5, "{\"Read\": 1, \"Bash\": 1}");
	/* Bob's spec is the spec step's expected artifact */
	json_t *art = json_object_get(hb_phase(r, 3), "artifacts");

	cr_assert_str_eq(json_string_value(
				 json_array_get(json_object_get(art, "found"),
						0)),
			 "docs/stories/format-slug.md");
	cr_assert_not_null(
		strstr(hb_str(hb_phase(r, 2), "final_text"), "VERDICT: PASS"));
	cr_assert_not_null(
		strstr(hb_str(hb_phase(r, 5), "final_text"), "VERDICT: PASS"));
	cr_assert_eq(hb_n_criteria(r), 4);
	hb_assert_criterion(r, "max_errors", 0, "skipped", NULL);
	hb_assert_tests_passed(r, "tests_passing");
	hb_assert_criterion(r, "min_commits", 0, "passed",
			    "4 commits, required 4");
	hb_assert_criterion(r, "commit_format", 0, "passed", NULL);
	hb_assert_file(r, "slugger.py", "def slug(title):");
	/* validation steps change nothing: no commit of their own */
	hb_assert_git_log(
		r,
		"feat(format-slug): Output Format Slug implement by Amelia\n\n"
		"slugger.py\ntest_slug.py\n"
		"feat(format-slug): Output Format Slug spec by Bob\n\n"
		"docs/stories/format-slug.md\n"
		"feat(split-words): Input Split Words implement by Amelia\n\n"
		"slugger.py\ntest_slugger.py\n"
		"feat(split-words): Input Split Words spec by Bob\n\n"
		"docs/stories/split-words.md\n"
		"chore: initial project setup\n");
	hb_assert_fake_ok(&t, 16);
	json_decref(r);
	hb_finish(&t);
}

/* prompt only, scale_level 1: one phase; test_command; glob features */
Test(fixtures, prompt_small)
{
	struct hb t;
	json_t *r;

	run_fixture(&t, "fixture-prompt-small.json", "prompt-small.yaml");
	r = hb_results(&t);
	hb_assert_run(&t, r, 0, "completed", "");
	assert_mode(r, "prompt");
	cr_assert_eq(hb_n_phases(r), 1);
	hb_assert_phase(r, 0, "Implementation", "Amelia", "success");
	hb_assert_tools(r, 0, "{\"TodoWrite\": 1, \"Write\": 3, \"Bash\": 1}");
	cr_assert_eq(json_array_size(json_object_get(hb_phase(r, 0), "todos")),
		     2);
	cr_assert_eq(hb_n_criteria(r), 7);
	hb_assert_criterion(r, "required_features", 0, "passed", "roman.py");
	hb_assert_criterion(r, "required_features", 1, "passed",
			    "tests/*.py OR test_*.py");
	hb_assert_criterion(r, "required_features", 2, "passed", "README.md");
	hb_assert_criterion(r, "tests_must_pass", 0, "passed",
			    "python3 -m unittest -v test_roman exited 0");
	hb_assert_criterion(r, "build_must_succeed", 0, "skipped",
			    "not required");
	hb_assert_criterion(r, "min_commits", 0, "passed",
			    "1 commits, required 1");
	hb_assert_criterion(r, "commit_format", 0, "passed", NULL);
	hb_assert_git_log(r,
			  "chore(implementation): Implementation by Amelia\n\n"
			  "README.md\nroman.py\ntest_roman.py\n"
			  "chore: initial project setup\n");
	hb_assert_fake_ok(&t, 4);
	json_decref(r);
	hb_finish(&t);
}

/* prompt only, scale_level 3: John, Winston, Amelia, Murat */
Test(fixtures, prompt_large)
{
	struct hb t;
	json_t *r;

	run_fixture(&t, "fixture-prompt-large.json", "prompt-large.yaml");
	r = hb_results(&t);
	hb_assert_run(&t, r, 0, "completed", "");
	assert_mode(r, "prompt");
	cr_assert_eq(hb_n_phases(r), 4);
	hb_assert_phase(r, 0, "Product Requirements", "John", "success");
	hb_assert_phase(r, 1, "System Architecture", "Winston", "success");
	hb_assert_phase(r, 2, "Implementation", "Amelia", "success");
	hb_assert_phase(r, 3, "Testing", "Murat", "success");
	hb_assert_tools(r, 0, "{\"Write\": 1}");
	hb_assert_tools(r, 1, "{\"Read\": 1, \"Write\": 1}");
	hb_assert_tools(r, 2, "{\"Write\": 2, \"Bash\": 1}");
	hb_assert_tools(r, 3, "{\"Bash\": 1, \"Write\": 1}");
	cr_assert_eq(hb_n_criteria(r), 2);
	hb_assert_criterion(r, "max_manual_interventions", 0, "passed", NULL);
	hb_assert_tests_passed(r, "tests_passing");
	hb_assert_git_log(
		r,
		"chore(testing): Testing by Murat\n\n"
		"docs/test-report.md\n"
		"chore(implementation): Implementation by Amelia\n\n"
		"kv.py\ntest_kv.py\n"
		"chore(system-architecture): System Architecture by Winston\n\n"
		"docs/ARCHITECTURE.md\n"
		"chore(product-requirements): Product Requirements by John\n\n"
		"docs/PRD.md\n"
		"chore: initial project setup\n");
	hb_assert_fake_ok(&t, 11);
	json_decref(r);
	hb_finish(&t);
}
