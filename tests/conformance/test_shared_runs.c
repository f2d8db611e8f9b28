/*
 * test_shared_runs.c - the conformance suite: the four real GAO-Dev
 * configs of ../shared/benchmarks/gao-dev validate and run unchanged.
 *
 * Each test starts its own fake API (tests/conformance/scenarios/
 * bench-*.json: one scripted conversation per phase or story step, chosen
 * by the agent and phase names in its prompts) and runs the real gao-dev
 * and gao-dev-worker with `sandbox run CONFIG --standalone`. Every
 * results file goes through hb_check_results() (schema, events, file
 * modes, `gao-dev audit verify` on every audit log); the tests then
 * assert the exit code, the status, the phases and their agents in order,
 * the tool calls per tool, the artifacts, each success criterion's
 * outcome (as the config implies) and the commits in the project's git
 * history. The same shapes, on the project's own fixtures, are in
 * tests/integration/test_bench.c; main.c skips this suite when the
 * configs are absent.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conformance.h"
#include "harness_bench.h"

static void
run_shared(struct hb *t, const char *scenario, const char *config)
{
	char sc[256], cfg[512];

	snprintf(sc, sizeof(sc), "tests/conformance/scenarios/%s", scenario);
	hb_start(t, sc);
	cf_config(config, cfg, sizeof(cfg));
	const char *args[] = { cfg, NULL };

	hb_run(t, args, 120);
}

/* ---- the four shared configs, unchanged --------------------------------- */

Test(shared, all_four_validate)
{
	static const char *const files[] = { "greenfield-simple.yaml",
					     "minimal.yaml",
					     "simple-hello-api.yaml",
					     "simple-story-test.yaml" };
	char dir[256], cfg[4][512], want[2100];
	const char *args[7] = { "sandbox", "validate" };
	struct h_out o;

	h_tmpdir(dir, sizeof(dir));
	for (size_t i = 0; i < 4; i++) {
		cf_config(files[i], cfg[i], sizeof(cfg[i]));
		args[2 + i] = cfg[i];
	}
	h_run(args, NULL, dir, 30, &o);
	cr_assert_eq(o.code, 0, "exit %d:\n%s%s", o.code, o.out, o.err);
	for (size_t i = 0; i < 4; i++) {
		snprintf(want, sizeof(want), "%s: valid (0 errors", cfg[i]);
		cr_assert_not_null(strstr(o.out, want), "%s", o.out);
	}
	/* the one warning names its position */
	cr_assert_not_null(strstr(o.err, "minimal.yaml:12:1: boilerplate_path"),
			   "%s", o.err);
	h_out_free(&o);
	rmdir(dir);
}

Test(shared, greenfield_simple)
{
	struct hb t;
	json_t *r;

	run_shared(&t, "bench-greenfield.json", "greenfield-simple.yaml");
	r = hb_results(&t);
	hb_assert_run(&t, r, 0, "completed", "");
	cr_assert_str_eq(hb_str(json_object_get(r, "benchmark"), "mode"),
			 "phases");
	cr_assert_eq(hb_n_phases(r), 4);
	hb_assert_phase(r, 0, "Product Requirements", "John", "success");
	hb_assert_phase(r, 1, "System Architecture", "Winston", "success");
	hb_assert_phase(r, 2, "Story Creation", "Bob", "success");
	hb_assert_phase(r, 3, "Implementation", "Amelia", "success");
	hb_assert_tools(r, 0, "{\"Glob\": 1, \"Write\": 1}");
	hb_assert_tools(r, 1, "{\"Read\": 1, \"Write\": 1}");
	hb_assert_tools(r, 2, "{\"TodoWrite\": 1, \"Write\": 2}");
	hb_assert_tools(r, 3, "{\"Write\": 2, \"Bash\": 1}");
	for (size_t i = 0; i < 4; i++) {
		cr_assert_eq(hb_int(hb_phase(r, i), "tool_errors"), 0);
		cr_assert_eq(hb_int(hb_phase(r, i), "tool_calls_refused"), 0);
	}
	cr_assert_str_eq(hb_str(hb_phase(r, 0), "policy"), "strict");
	cr_assert_str_eq(hb_str(hb_phase(r, 3), "policy"), "default");
	cr_assert_eq(json_array_size(json_object_get(hb_phase(r, 2), "todos")),
		     2, "Bob's TodoWrite list");
	json_t *m = json_object_get(r, "metrics");
	json_t *want = json_pack("{s:i,s:i,s:i,s:i,s:i}", "Glob", 1, "Read", 1,
				 "Write", 6, "TodoWrite", 1, "Bash", 1);

	cr_assert(json_equal(json_object_get(m, "tools_by_name"), want));
	cr_assert_eq(hb_int(m, "tool_calls"), 10);
	json_decref(want);
	/* the criteria, as the config implies */
	cr_assert_eq(hb_n_criteria(r), 9);
	hb_assert_criterion(r, "max_manual_interventions", 0, "passed", NULL);
	hb_assert_criterion(r, "max_errors", 0, "skipped", "no lint");
	cr_assert_eq(hb_count_criteria(r, "required_features", "skipped"), 3,
		     "prose features cannot be checked");
	hb_assert_criterion(r, "required_features", 0, "skipped", "prose");
	hb_assert_criterion(r, "type_safety", 0, "skipped", NULL);
	hb_assert_criterion(r, "linting", 0, "skipped", NULL);
	hb_assert_tests_passed(r, "tests_passing");
	hb_assert_coverage(r, 80.0);
	cr_assert(hb_has_warning(r, "WebSearch left out"));
	hb_assert_file(r, "docs/PRD.md", "Task CRUD operations");
	hb_assert_file(r, "docs/ARCHITECTURE.md", "TaskStore");
	hb_assert_git_log(
		r,
		"chore(implementation): Implementation by Amelia\n\n"
		"test_todo.py\ntodo.py\n"
		"chore(story-creation): Story Creation by Bob\n\n"
		"docs/epics.md\ndocs/stories/1-1-task-store.md\n"
		"chore(system-architecture): System Architecture by Winston\n\n"
		"docs/ARCHITECTURE.md\n"
		"chore(product-requirements): Product Requirements by John\n\n"
		"docs/PRD.md\n"
		"chore: initial project setup\n");
	cr_assert_not_null(strstr(t.out.out, "status:    completed"));
	hb_assert_fake_ok(&t, 12);
	json_decref(r);
	hb_finish(&t);
}

Test(shared, minimal)
{
	struct hb t;
	json_t *r, *art;

	run_shared(&t, "bench-minimal.json", "minimal.yaml");
	r = hb_results(&t);
	hb_assert_run(&t, r, 0, "completed", "");
	cr_assert_eq(hb_n_phases(r), 1);
	/* agent inferred from the phase name */
	hb_assert_phase(r, 0, "implementation", "Amelia", "success");
	hb_assert_tools(r, 0, "{\"Write\": 2, \"Bash\": 1, \"Glob\": 1}");
	art = json_object_get(hb_phase(r, 0), "artifacts");
	cr_assert_str_eq(json_string_value(
				 json_array_get(json_object_get(art, "found"),
						0)),
			 "src/main.py");
	cr_assert_eq(json_array_size(json_object_get(art, "missing")), 0);
	/* ./templates/minimal does not exist next to the config */
	cr_assert(hb_has_warning(r, "does not exist; the project starts "
				    "empty"));
	cr_assert_eq(hb_n_criteria(r), 4);
	hb_assert_criterion(r, "max_manual_interventions", 0, "passed", NULL);
	hb_assert_criterion(r, "max_errors", 0, "skipped", NULL);
	hb_assert_criterion(r, "required_features", 0, "skipped", "prose");
	hb_assert_coverage(r, 50.0);
	hb_assert_git_log(r,
			  "chore(implementation): implementation by Amelia\n\n"
			  "src/main.py\ntest_main.py\n"
			  "chore: initial project setup\n");
	hb_assert_fake_ok(&t, 4);
	json_decref(r);
	hb_finish(&t);
}

Test(shared, simple_hello_api)
{
	struct hb t;
	json_t *r;

	run_shared(&t, "bench-hello-api.json", "simple-hello-api.yaml");
	r = hb_results(&t);
	hb_assert_run(&t, r, 0, "completed", "");
	/* prompt only, scale_level 0: one implementation phase */
	cr_assert_str_eq(hb_str(json_object_get(r, "benchmark"), "mode"),
			 "prompt");
	cr_assert_eq(hb_n_phases(r), 1);
	hb_assert_phase(r, 0, "Implementation", "Amelia", "success");
	hb_assert_tools(r, 0,
			"{\"TodoWrite\": 1, \"Write\": 6, \"Bash\": 2, "
			"\"Edit\": 1}");
	cr_assert_eq(json_array_size(json_object_get(hb_phase(r, 0), "todos")),
		     3);
	cr_assert_not_null(strstr(hb_str(hb_phase(r, 0), "final_text"),
				  "the four tests pass"));
	cr_assert_eq(hb_n_criteria(r), 10);
	hb_assert_criterion(r, "max_manual_interventions", 0, "passed", NULL);
	hb_assert_criterion(r, "max_errors", 0, "skipped", NULL);
	hb_assert_criterion(r, "required_features", 0, "passed", "**/*.py");
	hb_assert_criterion(r, "required_features", 1, "passed", "README.md");
	hb_assert_criterion(r, "required_features", 2, "passed",
			    "**/test_*.py OR tests/*.py");
	hb_assert_tests_passed(r, "tests_must_pass");
	hb_assert_criterion(r, "build_must_succeed", 0, "skipped",
			    "not required");
	hb_assert_criterion(r, "min_commits", 0, "passed",
			    "1 commits, required 1");
	hb_assert_criterion(r, "commit_format", 0, "passed", NULL);
	hb_assert_coverage(r, 70.0);
	hb_assert_file(r, "main.py", "return 404");
	hb_assert_git_log(
		r, "chore(implementation): Implementation by Amelia\n\n"
		   "README.md\ndocs/epics.md\nmain.py\nrequirements.txt\n"
		   "tests/__init__.py\ntests/test_main.py\n"
		   "chore: initial project setup\n");
	hb_assert_fake_ok(&t, 6);
	json_decref(r);
	hb_finish(&t);
}

Test(shared, simple_story_test)
{
	static const char *const step[][2] = {
		{ "Simple Feature Create Hello World Function spec", "Bob" },
		{ "Simple Feature Create Hello World Function implement",
		  "Amelia" },
		{ "Simple Feature Create Hello World Function validate",
		  "Murat" },
		{ "Simple Feature Create Greeting Function spec", "Bob" },
		{ "Simple Feature Create Greeting Function implement",
		  "Amelia" },
		{ "Simple Feature Create Greeting Function validate", "Murat" },
	};
	struct hb t;
	json_t *r;

	run_shared(&t, "bench-story.json", "simple-story-test.yaml");
	r = hb_results(&t);
	hb_assert_run(&t, r, 0, "completed", "");
	cr_assert_str_eq(hb_str(json_object_get(r, "benchmark"), "mode"),
			 "stories");
	cr_assert_eq(hb_n_phases(r), 6);
	for (size_t i = 0; i < 6; i++)
		hb_assert_phase(r, i, step[i][0], step[i][1], "success");
	hb_assert_tools(r, 0, "{\"Write\": 1}");
	hb_assert_tools(r, 1, "{\"Read\": 1, \"Write\": 2, \"Bash\": 1}");
	hb_assert_tools(r, 2, "{\"Read\": 1, \"Bash\": 1}");
	hb_assert_tools(r, 3, "{\"Glob\": 1, \"Write\": 1}");
	hb_assert_tools(r, 4, "{\"Edit\": 1, \"Write\": 1, \"Bash\": 1}");
	hb_assert_tools(r, 5, "{\"Bash\": 1}");
	/* Bob's spec is the step's expected artifact */
	json_t *art = json_object_get(hb_phase(r, 3), "artifacts");

	cr_assert_str_eq(json_string_value(
				 json_array_get(json_object_get(art, "found"),
						0)),
			 "docs/stories/create-greeting-function.md");
	cr_assert_not_null(
		strstr(hb_str(hb_phase(r, 5), "final_text"), "VERDICT: PASS"));
	cr_assert_eq(hb_n_criteria(r), 4);
	hb_assert_criterion(r, "max_manual_interventions", 0, "passed", NULL);
	hb_assert_criterion(r, "max_errors", 0, "skipped", NULL);
	hb_assert_tests_passed(r, "tests_passing");
	hb_assert_coverage(r, 70.0);
	hb_assert_file(r, "hello.py", "def greet(name):");
	/* a commit per step that changed the tree (validation changes none) */
	hb_assert_git_log(
		r, "feat(create-greeting-function): Simple Feature Create "
		   "Greeting Function implement by Amelia\n\n"
		   "hello.py\ntest_greet.py\n"
		   "feat(create-greeting-function): Simple Feature Create "
		   "Greeting Function spec by Bob\n\n"
		   "docs/stories/create-greeting-function.md\n"
		   "feat(create-hello-world-function): Simple Feature Create "
		   "Hello World Function implement by Amelia\n\n"
		   "hello.py\ntest_hello.py\n"
		   "feat(create-hello-world-function): Simple Feature Create "
		   "Hello World Function spec by Bob\n\n"
		   "docs/stories/create-hello-world-function.md\n"
		   "chore: initial project setup\n");
	hb_assert_fake_ok(&t, 15);
	json_decref(r);
	hb_finish(&t);
}
