/*
 * test_bench.c - issue #5 end to end: the four shared GAO-Dev configs run
 * unchanged, the failure paths, and the results schema.
 *
 * Each test starts its own fake API (tests/integration/scenarios/bench-*.json:
 * one scripted conversation per phase or story step, chosen by the agent
 * and phase names in its prompts) and runs the real gao-dev and
 * gao-dev-worker with `sandbox run CONFIG --standalone`. Every results
 * file goes through hb_check_results() (schema, events, file modes,
 * `gao-dev audit verify` on every audit log); the tests then assert the
 * exit code, the status, the phases and their agents in order, the tool
 * calls per tool, the artifacts, each success criterion's outcome and the
 * commits in the project's git history. The configs of the failure paths
 * are written by the tests into their temp dirs.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness_bench.h"

#define PATHS "tests/integration/scenarios/bench-paths.json"

/* ---- shared expectations ------------------------------------------------ */

/* Every request the API received was valid and met its expectations. */
static void
assert_fake_ok(const struct hb *t, size_t min_calls)
{
	json_t *rec = h_jsonl(t->fake.record), *q;
	size_t i, calls = 0;

	json_array_foreach(rec, i, q) {
		if (strcmp(hb_str(q, "path"), "/v1/messages"))
			continue;
		calls++;
		cr_assert_eq(hb_int(q, "status"), 200, "request %zu got %lld "
			     "(see %s)", i, hb_int(q, "status"), t->fake.log);
	}
	cr_assert_geq(calls, min_calls, "%zu API calls", calls);
	json_decref(rec);
}

/*
 * min_test_coverage: measured only when Python's coverage module is
 * installed where the workers run; else skipped with that reason.
 */
static void
assert_coverage(const json_t *r, double want)
{
	const json_t *c;
	size_t i;
	double got, req;

	if (!hb_python_has("coverage")) {
		hb_assert_criterion(r, "min_test_coverage", 0, "skipped",
				    "the coverage module is not installed");
		return;
	}
	json_array_foreach(json_object_get(r, "success_criteria"), i, c) {
		if (strcmp(hb_str(c, "name"), "min_test_coverage"))
			continue;
		cr_assert_eq(sscanf(hb_str(c, "reason"), "line coverage %lf%%, "
				    "required %lf%%", &got, &req), 2, "%s",
			     hb_str(c, "reason"));
		cr_assert_float_eq(req, want, 0.01);
		cr_assert_str_eq(hb_str(c, "outcome"), got >= want ? "passed" :
				 "failed");
		return;
	}
	cr_assert_fail("no min_test_coverage criterion");
}

/* tests_passing / tests_must_pass: the detected command passed. */
static void
assert_tests_passed(const json_t *r, const char *name)
{
	hb_assert_criterion(r, name, 0, "passed", hb_python_has("pytest") ?
			    "python3 -m pytest -q exited 0" :
			    "python3 -m unittest discover -v -p \"test*.py\" "
			    "exited 0");
}

/* git log of the project, newest first: "subject\n\nfile\n..." */
static void
assert_git_log(const json_t *r, const char *want)
{
	const char *args[] = { "log", "--format=%s", "--name-only", NULL };
	char *log = hb_git(hb_str(r, "project_dir"), args);

	cr_assert_str_eq(log, want, "git log of %s:\n%s", hb_str(r,
			 "project_dir"), log);
	free(log);
}

static void
assert_file(const json_t *r, const char *rel, const char *needle)
{
	char path[2048];

	snprintf(path, sizeof(path), "%s/%s", hb_str(r, "project_dir"), rel);
	cr_assert(hb_file_contains(path, needle), "%s lacks \"%s\"", path,
		  needle);
}

static bool
has_warning(const json_t *r, const char *needle)
{
	const json_t *w;
	size_t i;

	json_array_foreach(json_object_get(r, "warnings"), i, w)
		if (strstr(json_string_value(w), needle))
			return true;
	return false;
}

/* The end of a long text, for assertion messages. */
static const char *
tail(const char *s)
{
	size_t n = strlen(s);

	return n > 3000 ? s + n - 3000 : s;
}

static void
assert_run(const struct hb *t, const json_t *r, int code, const char *status,
	   const char *stop_reason)
{
	cr_assert_eq(t->out.code, code, "exit %d, want %d; stderr ends:\n%s",
		     t->out.code, code, tail(t->out.err));
	cr_assert_eq(hb_int(r, "exit_code"), code);
	cr_assert_str_eq(hb_str(r, "status"), status, "stop_reason %s; "
			 "stderr ends:\n%s", hb_str(r, "stop_reason"),
			 tail(t->out.err));
	cr_assert_str_eq(hb_str(r, "stop_reason"), stop_reason);
	cr_assert_eq(json_array_size(json_object_get(r, "phases")) > 0, true);
}

static size_t
n_phases(const json_t *r)
{
	return json_array_size(json_object_get(r, "phases"));
}

static size_t
n_criteria(const json_t *r)
{
	return json_array_size(json_object_get(r, "success_criteria"));
}

static void
run_shared(struct hb *t, const char *scenario, const char *config)
{
	char cfg[512];

	hb_start(t, scenario);
	hb_shared_config(config, cfg, sizeof(cfg));
	const char *args[] = { cfg, NULL };

	hb_run(t, args, 120);
}

static void
run_own(struct hb *t, const char *yaml, const char *extra)
{
	char cfg[512];

	hb_start(t, PATHS);
	hb_write(t, "bench.yaml", yaml, cfg, sizeof(cfg));
	const char *args[] = { cfg, extra, NULL };

	hb_run(t, args, 120);
}

/* ---- the four shared configs, unchanged --------------------------------- */

Test(shared, all_four_validate)
{
	static const char *const files[] = { "greenfield-simple.yaml",
		"minimal.yaml", "simple-hello-api.yaml",
		"simple-story-test.yaml" };
	char dir[256], cfg[4][512], want[2100];
	const char *args[7] = { "sandbox", "validate" };
	struct h_out o;

	h_tmpdir(dir, sizeof(dir));
	for (size_t i = 0; i < 4; i++) {
		hb_shared_config(files[i], cfg[i], sizeof(cfg[i]));
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

	run_shared(&t, "tests/integration/scenarios/bench-greenfield.json",
		   "greenfield-simple.yaml");
	r = hb_results(&t);
	assert_run(&t, r, 0, "completed", "");
	cr_assert_str_eq(hb_str(json_object_get(r, "benchmark"), "mode"),
			 "phases");
	cr_assert_eq(n_phases(r), 4);
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
	cr_assert_eq(n_criteria(r), 9);
	hb_assert_criterion(r, "max_manual_interventions", 0, "passed", NULL);
	hb_assert_criterion(r, "max_errors", 0, "skipped", "no lint");
	cr_assert_eq(hb_count_criteria(r, "required_features", "skipped"), 3,
		     "prose features cannot be checked");
	hb_assert_criterion(r, "required_features", 0, "skipped", "prose");
	hb_assert_criterion(r, "type_safety", 0, "skipped", NULL);
	hb_assert_criterion(r, "linting", 0, "skipped", NULL);
	assert_tests_passed(r, "tests_passing");
	assert_coverage(r, 80.0);
	cr_assert(has_warning(r, "WebSearch left out"));
	assert_file(r, "docs/PRD.md", "Task CRUD operations");
	assert_file(r, "docs/ARCHITECTURE.md", "TaskStore");
	assert_git_log(r,
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
	assert_fake_ok(&t, 12);
	json_decref(r);
	hb_finish(&t);
}

Test(shared, minimal)
{
	struct hb t;
	json_t *r, *art;

	run_shared(&t, "tests/integration/scenarios/bench-minimal.json",
		   "minimal.yaml");
	r = hb_results(&t);
	assert_run(&t, r, 0, "completed", "");
	cr_assert_eq(n_phases(r), 1);
	/* agent inferred from the phase name */
	hb_assert_phase(r, 0, "implementation", "Amelia", "success");
	hb_assert_tools(r, 0, "{\"Write\": 2, \"Bash\": 1, \"Glob\": 1}");
	art = json_object_get(hb_phase(r, 0), "artifacts");
	cr_assert_str_eq(json_string_value(json_array_get(json_object_get(art,
			 "found"), 0)), "src/main.py");
	cr_assert_eq(json_array_size(json_object_get(art, "missing")), 0);
	/* ./templates/minimal does not exist next to the config */
	cr_assert(has_warning(r, "does not exist; the project starts empty"));
	cr_assert_eq(n_criteria(r), 4);
	hb_assert_criterion(r, "max_manual_interventions", 0, "passed", NULL);
	hb_assert_criterion(r, "max_errors", 0, "skipped", NULL);
	hb_assert_criterion(r, "required_features", 0, "skipped", "prose");
	assert_coverage(r, 50.0);
	assert_git_log(r,
		"chore(implementation): implementation by Amelia\n\n"
		"src/main.py\ntest_main.py\n"
		"chore: initial project setup\n");
	assert_fake_ok(&t, 4);
	json_decref(r);
	hb_finish(&t);
}

Test(shared, simple_hello_api)
{
	struct hb t;
	json_t *r;

	run_shared(&t, "tests/integration/scenarios/bench-hello-api.json",
		   "simple-hello-api.yaml");
	r = hb_results(&t);
	assert_run(&t, r, 0, "completed", "");
	/* prompt only, scale_level 0: one implementation phase */
	cr_assert_str_eq(hb_str(json_object_get(r, "benchmark"), "mode"),
			 "prompt");
	cr_assert_eq(n_phases(r), 1);
	hb_assert_phase(r, 0, "Implementation", "Amelia", "success");
	hb_assert_tools(r, 0, "{\"TodoWrite\": 1, \"Write\": 6, \"Bash\": 2, "
			"\"Edit\": 1}");
	cr_assert_eq(json_array_size(json_object_get(hb_phase(r, 0), "todos")),
		     3);
	cr_assert_not_null(strstr(hb_str(hb_phase(r, 0), "final_text"),
				  "the four tests pass"));
	cr_assert_eq(n_criteria(r), 10);
	hb_assert_criterion(r, "max_manual_interventions", 0, "passed", NULL);
	hb_assert_criterion(r, "max_errors", 0, "skipped", NULL);
	hb_assert_criterion(r, "required_features", 0, "passed", "**/*.py");
	hb_assert_criterion(r, "required_features", 1, "passed", "README.md");
	hb_assert_criterion(r, "required_features", 2, "passed",
			    "**/test_*.py OR tests/*.py");
	assert_tests_passed(r, "tests_must_pass");
	hb_assert_criterion(r, "build_must_succeed", 0, "skipped",
			    "not required");
	hb_assert_criterion(r, "min_commits", 0, "passed",
			    "1 commits, required 1");
	hb_assert_criterion(r, "commit_format", 0, "passed", NULL);
	assert_coverage(r, 70.0);
	assert_file(r, "main.py", "return 404");
	assert_git_log(r,
		"chore(implementation): Implementation by Amelia\n\n"
		"README.md\ndocs/epics.md\nmain.py\nrequirements.txt\n"
		"tests/__init__.py\ntests/test_main.py\n"
		"chore: initial project setup\n");
	assert_fake_ok(&t, 6);
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

	run_shared(&t, "tests/integration/scenarios/bench-story.json",
		   "simple-story-test.yaml");
	r = hb_results(&t);
	assert_run(&t, r, 0, "completed", "");
	cr_assert_str_eq(hb_str(json_object_get(r, "benchmark"), "mode"),
			 "stories");
	cr_assert_eq(n_phases(r), 6);
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

	cr_assert_str_eq(json_string_value(json_array_get(json_object_get(art,
			 "found"), 0)),
			 "docs/stories/create-greeting-function.md");
	cr_assert_not_null(strstr(hb_str(hb_phase(r, 5), "final_text"),
				  "VERDICT: PASS"));
	cr_assert_eq(n_criteria(r), 4);
	hb_assert_criterion(r, "max_manual_interventions", 0, "passed", NULL);
	hb_assert_criterion(r, "max_errors", 0, "skipped", NULL);
	assert_tests_passed(r, "tests_passing");
	assert_coverage(r, 70.0);
	assert_file(r, "hello.py", "def greet(name):");
	/* a commit per step that changed the tree (validation changes none) */
	assert_git_log(r,
		"feat(create-greeting-function): Simple Feature Create "
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
	assert_fake_ok(&t, 15);
	json_decref(r);
	hb_finish(&t);
}

/* ---- failure paths ------------------------------------------------------ */

Test(paths, refusal_fails_the_phase_and_stops)
{
	struct hb t;
	json_t *r;

	run_own(&t, "name: refusal\ndescription: the model refuses\n"
		"initial_prompt: do it\nworkflow_phases:\n"
		"  - phase_name: Refusing Step\n    agent: Amelia\n"
		"  - phase_name: Good Step\n    agent: Amelia\n", NULL);
	r = hb_results(&t);
	assert_run(&t, r, 1, "failed", "refusal");
	/* the run stopped: the second phase never started */
	cr_assert_eq(n_phases(r), 1);
	hb_assert_phase(r, 0, "Refusing Step", "Amelia", "failed");
	cr_assert_str_eq(hb_str(hb_phase(r, 0), "stop_reason"), "refusal");
	cr_assert_not_null(strstr(t.out.out, "status:    failed"));
	assert_fake_ok(&t, 1);
	json_decref(r);
	hb_finish(&t);
}

Test(paths, phase_timeout)
{
	struct hb t;
	json_t *r;

	run_own(&t, "name: phase-timeout\ndescription: a slow phase\n"
		"initial_prompt: do it\nworkflow_phases:\n"
		"  - phase_name: Slow Step\n    agent: Amelia\n"
		"    timeout_seconds: 2\n", NULL);
	r = hb_results(&t);
	assert_run(&t, r, 5, "timeout", "phase_timeout");
	hb_assert_phase(r, 0, "Slow Step", "Amelia", "timeout");
	/* enforced: the reply was 20 s away */
	cr_assert_lt(t.seconds, 12.0, "took %.1f s", t.seconds);
	cr_assert_geq(json_real_value(json_object_get(hb_phase(r, 0),
		      "duration_seconds")), 1.9);
	json_decref(r);
	hb_finish(&t);
}

Test(paths, run_timeout)
{
	struct hb t;
	json_t *r;

	run_own(&t, "name: run-timeout\ndescription: a slow run\n"
		"initial_prompt: do it\ntimeout_seconds: 2\nworkflow_phases:\n"
		"  - phase_name: Slow Step\n    agent: Amelia\n", NULL);
	r = hb_results(&t);
	assert_run(&t, r, 5, "timeout", "run_timeout");
	hb_assert_phase(r, 0, "Slow Step", "Amelia", "timeout");
	cr_assert_lt(t.seconds, 12.0, "took %.1f s", t.seconds);
	json_decref(r);
	hb_finish(&t);
}

Test(paths, missing_artifact)
{
	struct hb t;
	json_t *r, *art, *want;

	run_own(&t, "name: missing\ndescription: an artifact is missing\n"
		"initial_prompt: do it\nworkflow_phases:\n"
		"  - phase_name: Forgetful Step\n    agent: Amelia\n"
		"    expected_artifacts: [app.py, docs/, notes.txt]\n"
		"  - phase_name: Good Step\n    agent: Amelia\n", NULL);
	r = hb_results(&t);
	assert_run(&t, r, 1, "failed", "missing_artifacts");
	cr_assert_eq(n_phases(r), 1, "the run stops after the failed phase");
	hb_assert_phase(r, 0, "Forgetful Step", "Amelia", "failed");
	cr_assert_str_eq(hb_str(hb_phase(r, 0), "stop_reason"),
			 "missing_artifacts");
	art = json_object_get(hb_phase(r, 0), "artifacts");
	want = json_pack("{s:[sss],s:[s],s:[ss]}", "expected", "app.py",
			 "docs/", "notes.txt", "found", "notes.txt", "missing",
			 "app.py", "docs/");
	/* docs/ exists but is empty: a trailing / needs a non-empty dir */
	cr_assert(json_equal(art, want), "artifacts %s", json_dumps(art, 0));
	json_decref(want);
	json_decref(r);
	hb_finish(&t);
}

Test(paths, failing_project_tests)
{
	struct hb t;
	json_t *r;

	run_own(&t, "name: red\ndescription: the project's tests fail\n"
		"initial_prompt: do it\nworkflow_phases:\n"
		"  - phase_name: Broken Tests Step\n    agent: Amelia\n"
		"success_criteria:\n  quality_gates:\n"
		"    tests_passing: true\n", NULL);
	r = hb_results(&t);
	assert_run(&t, r, 1, "failed", "criteria_failed");
	/* the phase itself succeeded; the criterion fails the run */
	hb_assert_phase(r, 0, "Broken Tests Step", "Amelia", "success");
	hb_assert_tools(r, 0, "{\"Write\": 2, \"Bash\": 1}");
	cr_assert_eq(n_criteria(r), 1);
	hb_assert_criterion(r, "tests_passing", 0, "failed", "exited 1");
	cr_assert_not_null(strstr(t.out.out, "failed   tests_passing"));
	json_decref(r);
	hb_finish(&t);
}

Test(paths, skip_if_failed_and_continue_on_failure)
{
	struct hb t;
	json_t *r;

	run_own(&t, "name: flow\ndescription: skip and continue\n"
		"initial_prompt: do it\nworkflow_phases:\n"
		"  - phase_name: Refusing Step\n    agent: Amelia\n"
		"    continue_on_failure: true\n"
		"  - phase_name: Good Step\n    agent: Amelia\n"
		"    skip_if_failed: true\n"
		"  - phase_name: Good Step B\n    agent: Amelia\n"
		"  - phase_name: Good Step C\n    agent: Amelia\n"
		"    skip_if_failed: true\n", NULL);
	r = hb_results(&t);
	/* a failed phase fails the run even when the run went on */
	assert_run(&t, r, 1, "failed", "phase_failed");
	cr_assert_eq(n_phases(r), 4);
	hb_assert_phase(r, 0, "Refusing Step", "Amelia", "failed");
	hb_assert_phase(r, 1, "Good Step", "Amelia", "skipped");
	cr_assert_not_null(strstr(hb_str(hb_phase(r, 1), "reason"),
				  "skip_if_failed"));
	hb_assert_phase(r, 2, "Good Step B", "Amelia", "success");
	/* the previous phase succeeded: skip_if_failed does not skip */
	hb_assert_phase(r, 3, "Good Step C", "Amelia", "success");
	assert_git_log(r,
		"chore(good-step-c): Good Step C by Amelia\n\ngood-c.txt\n"
		"chore(good-step-b): Good Step B by Amelia\n\ngood-b.txt\n"
		"chore: initial project setup\n");
	json_decref(r);
	hb_finish(&t);
}

Test(paths, command_phases)
{
	struct hb t;
	json_t *r, *p;
	char *log;

	run_own(&t, "name: commands\ndescription: command phases\n"
		"initial_prompt: do it\nworkflow_phases:\n"
		"  - phase_name: Prepare\n"
		"    command: \"mkdir -p data && echo seed > data/seed.txt\"\n"
		"    expected_artifacts: [data/seed.txt]\n"
		"  - phase_name: Lint\n"
		"    command: \"echo 'lint: 2 problems'; exit 3\"\n"
		"    continue_on_failure: true\n"
		"  - phase_name: Good Step\n    agent: Amelia\n", NULL);
	r = hb_results(&t);
	assert_run(&t, r, 1, "failed", "phase_failed");
	cr_assert_eq(n_phases(r), 3);
	hb_assert_phase(r, 0, "Prepare", "command", "success");
	p = json_object_get(hb_phase(r, 0), "artifacts");
	cr_assert_eq(json_array_size(json_object_get(p, "found")), 1);
	hb_assert_phase(r, 1, "Lint", "command", "failed");
	cr_assert_str_eq(hb_str(hb_phase(r, 1), "stop_reason"),
			 "nonzero_exit");
	cr_assert_eq(hb_int(hb_phase(r, 1), "exit_code"), 3);
	cr_assert_not_null(strstr(hb_str(hb_phase(r, 1), "output"),
				  "lint: 2 problems"));
	/* continue_on_failure: the agent phase still ran */
	hb_assert_phase(r, 2, "Good Step", "Amelia", "success");
	cr_assert_eq(hb_int(json_object_get(r, "metrics"), "tool_calls"), 1,
		     "commands are not agent tool calls");
	const char *args[] = { "log", "--format=%s", "--name-only", NULL };

	log = hb_git(hb_str(r, "project_dir"), args);
	cr_assert_not_null(strstr(log, "chore(prepare): Prepare by "), "%s",
			   log);
	cr_assert_not_null(strstr(log, "\n\ndata/seed.txt\n"), "%s", log);
	free(log);
	json_decref(r);
	hb_finish(&t);
}

/* The project dir of the only run under the sandbox root, within 10 s. */
static void
wait_project(const struct hb *t, char *buf, size_t cap)
{
	for (int i = 0; i < 200; i++) {
		if (h_single_file(t->root, "projects", buf, cap))
			return;
		usleep(50000);
	}
	cr_assert_fail("no project dir appeared under %s", t->root);
}

Test(paths, sigterm_mid_run)
{
	struct hb t;
	char cfg[512], project[1024];
	json_t *r;
	pid_t pid, sleeper = 0;
	bool running = false;

	hb_start(&t, PATHS);
	hb_write(&t, "bench.yaml", "name: interrupted\ndescription: SIGTERM\n"
		 "initial_prompt: do it\nworkflow_phases:\n"
		 "  - phase_name: Sleeping Step\n    agent: Amelia\n"
		 "  - phase_name: Good Step\n    agent: Amelia\n", cfg,
		 sizeof(cfg));
	const char *args[] = { cfg, NULL };

	pid = hb_spawn(&t, args);
	wait_project(&t, project, sizeof(project));
	for (int i = 0; i < 300 && !running; i++) {
		running = hb_find_proc(project, "sleep 30", &sleeper);
		if (!running)
			usleep(50000);
	}
	cr_assert(running, "the agent's sleep never started");
	cr_assert_eq(kill(pid, SIGTERM), 0);
	double t0 = (double)time(NULL);

	hb_wait(&t, pid, 30);
	cr_assert_lt((double)time(NULL) - t0, 15.0, "slow to stop");
	r = hb_results(&t);
	assert_run(&t, r, 130, "cancelled", "signal");
	cr_assert_eq(n_phases(r), 1);
	hb_assert_phase(r, 0, "Sleeping Step", "Amelia", "cancelled");
	/* nothing of the run is left: no worker (their cwd is the run's
	 * dir), no command (its cwd is the project); a process the kernel
	 * is still tearing down gets a moment */
	running = true;
	for (int i = 0; i < 60 && running; i++) {
		running = hb_find_proc(t.dir, NULL, &sleeper);
		if (running)
			usleep(50000);
	}
	cr_assert_not(running, "process %d of the run is still alive",
		      (int)sleeper);
	json_decref(r);
	hb_finish(&t);
}

Test(paths, verdict_fail)
{
	struct hb t;
	json_t *r;

	run_own(&t, "name: verdict\ndescription: Murat says FAIL\n"
		"epics:\n  - name: Checks\n    stories:\n"
		"      - name: Verdict Story\n        agent: Amelia\n"
		"        description: greet a person\n"
		"        acceptance_criteria: [\"greet('Ada') returns "
		"'Hello, Ada!'\"]\n", NULL);
	r = hb_results(&t);
	assert_run(&t, r, 1, "failed", "verdict_fail");
	cr_assert_eq(n_phases(r), 3);
	hb_assert_phase(r, 0, "Checks Verdict Story spec", "Bob", "success");
	hb_assert_phase(r, 1, "Checks Verdict Story implement", "Amelia",
			"success");
	hb_assert_phase(r, 2, "Checks Verdict Story validate", "Murat",
			"failed");
	cr_assert_str_eq(hb_str(hb_phase(r, 2), "stop_reason"),
			 "verdict_fail");
	cr_assert_not_null(strstr(hb_str(hb_phase(r, 2), "error"),
				  "VERDICT: PASS"));
	json_decref(r);
	hb_finish(&t);
}

Test(paths, unknown_dependency_has_no_side_effect)
{
	struct hb t;
	struct stat st;

	run_own(&t, "name: deps\ndescription: a bad dependency\n"
		"epics:\n  - name: E\n    stories:\n"
		"      - name: First\n        description: a story\n"
		"        dependencies: [\"Nope\"]\n", NULL);
	cr_assert_eq(t.out.code, 2, "exit %d; stderr:\n%s", t.out.code,
		     t.out.err);
	cr_assert_not_null(strstr(t.out.err, "bench.yaml:6:"), "%s",
			   t.out.err);
	cr_assert_not_null(strstr(t.out.err, "dependency Nope is not a story"),
			   "%s", t.out.err);
	/* before any side effect: not even the sandbox root exists */
	cr_assert_neq(stat(t.root, &st), 0, "%s was created", t.root);
	json_t *rec = h_jsonl(t.fake.record);

	cr_assert_eq(json_array_size(rec), 0, "the API was called");
	json_decref(rec);
	hb_finish(&t);
}

Test(paths, jobs_and_repeat)
{
	struct hb t;
	char good[512], bad[512];
	json_t *all, *r;
	size_t i, passed = 0, failed = 0;

	hb_start(&t, PATHS);
	hb_write(&t, "good.yaml", "name: good\ndescription: passes\n"
		 "initial_prompt: do it\nworkflow_phases:\n"
		 "  - phase_name: Good Step\n    agent: Amelia\n"
		 "    expected_artifacts: [good.txt]\n", good, sizeof(good));
	hb_write(&t, "bad.yaml", "name: bad\ndescription: fails\n"
		 "initial_prompt: do it\nworkflow_phases:\n"
		 "  - phase_name: Refusing Step\n    agent: Amelia\n", bad,
		 sizeof(bad));
	const char *args[] = { good, bad, "--jobs", "2", "--repeat", "2",
			       NULL };

	hb_run(&t, args, 120);
	cr_assert_eq(t.out.code, 1, "exit %d; stderr:\n%s", t.out.code,
		     t.out.err);
	all = hb_all_results(&t);
	cr_assert_eq(json_array_size(all), 4);
	json_array_foreach(all, i, r) {
		const char *name = hb_str(json_object_get(r, "benchmark"),
					  "name");

		if (!strcmp(name, "good")) {
			cr_assert_str_eq(hb_str(r, "status"), "completed");
			passed++;
		} else {
			cr_assert_str_eq(hb_str(r, "status"), "failed");
			failed++;
		}
		/* the summary shows each run */
		cr_assert_not_null(strstr(t.out.out, hb_str(r, "run_id")));
	}
	cr_assert_eq(passed, 2);
	cr_assert_eq(failed, 2);
	cr_assert_not_null(strstr(t.out.out, "2 of 4 runs passed"), "%s",
			   t.out.out);
	json_decref(all);
	hb_finish(&t);
}

/* A template with a file, a subdirectory and symlinks pointing out. */
static void
make_template(const struct hb *t)
{
	char path[1024];

	hb_write(t, "outside.txt", "TEMPLATE-OUTSIDE secret\n", path,
		 sizeof(path));
	snprintf(path, sizeof(path), "%s/tpl", t->dir);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/tpl/sub", t->dir);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/tpl/sub/deeper", t->dir);
	cr_assert_eq(mkdir(path, 0755), 0);
	hb_write(t, "tpl/README.md", "TEMPLATE-README\n", path, sizeof(path));
	hb_write(t, "tpl/sub/inner.txt", "TEMPLATE-INNER\n", path,
		 sizeof(path));
	hb_write(t, "tpl/sub/deeper/leaf.txt", "leaf\n", path, sizeof(path));
	snprintf(path, sizeof(path), "%s/tpl/link", t->dir);
	cr_assert_eq(symlink("../outside.txt", path), 0);
	snprintf(path, sizeof(path), "%s/tpl/sub/link-abs", t->dir);
	cr_assert_eq(symlink("/etc/passwd", path), 0);
}

Test(paths, boilerplate_template)
{
	struct hb t;
	char cfg[512], path[2048];
	struct stat st;
	json_t *r;

	hb_start(&t, PATHS);
	make_template(&t);
	hb_write(&t, "bench.yaml", "name: template\ndescription: boilerplate\n"
		 "initial_prompt: do it\nboilerplate_path: ./tpl\n"
		 "workflow_phases:\n"
		 "  - phase_name: Template Step\n    agent: Amelia\n", cfg,
		 sizeof(cfg));
	const char *args[] = { cfg, NULL };

	hb_run(&t, args, 120);
	r = hb_results(&t);
	assert_run(&t, r, 0, "completed", "");
	hb_assert_tools(r, 0, "{\"Read\": 1, \"Bash\": 1}");
	assert_file(r, "README.md", "TEMPLATE-README");
	assert_file(r, "sub/inner.txt", "TEMPLATE-INNER");
	assert_file(r, "sub/deeper/leaf.txt", "leaf");
	snprintf(path, sizeof(path), "%s/link", hb_str(r, "project_dir"));
	cr_assert_neq(lstat(path, &st), 0, "the symlink was copied");
	snprintf(path, sizeof(path), "%s/sub/link-abs",
		 hb_str(r, "project_dir"));
	cr_assert_neq(lstat(path, &st), 0, "the symlink was copied");
	cr_assert(has_warning(r, "boilerplate: link skipped (a symlink is "
			      "never followed)"));
	cr_assert(has_warning(r, "link-abs skipped"));
	cr_assert_not(h_tree_contains(hb_str(r, "project_dir"),
				      "TEMPLATE-OUTSIDE"));
	/* the template is the project's first commit */
	const char *ls[] = { "ls-tree", "-r", "--name-only", "HEAD", NULL };
	char *tree = hb_git(hb_str(r, "project_dir"), ls);

	cr_assert_str_eq(tree, "README.md\nsub/deeper/leaf.txt\n"
			 "sub/inner.txt\n");
	free(tree);
	assert_git_log(r, "chore: initial project setup\n\nREADME.md\n"
		       "sub/deeper/leaf.txt\nsub/inner.txt\n");
	json_decref(r);
	hb_finish(&t);
}
