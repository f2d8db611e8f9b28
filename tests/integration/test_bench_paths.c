/*
 * test_bench_paths.c - issue #5 failure paths: each gives the right
 * status, results file and exit code.
 *
 * A refusal, phase and run timeouts, a missing artifact, failing project
 * tests, skip_if_failed and continue_on_failure, command phases, SIGTERM
 * while a Bash command runs (and no process of the run left), Murat's
 * VERDICT: FAIL, an unknown story dependency (nothing created), several
 * runs with --jobs and --repeat, and a boilerplate_path template with
 * symlinks pointing out of it. The configs are written by the tests into
 * their temp dirs; one scenario (bench-paths.json) scripts every phase
 * by its name. Every results file goes through hb_check_results().
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness_bench.h"

#define PATHS "tests/integration/scenarios/bench-paths.json"

/* Run the config text yaml (as bench.yaml) against bench-paths.json. */
static void
run_own(struct hb *t, const char *yaml, const char *extra)
{
	char cfg[512];

	hb_start(t, PATHS);
	hb_write(t, "bench.yaml", yaml, cfg, sizeof(cfg));
	const char *args[] = { cfg, extra, NULL };

	hb_run(t, args, 120);
}

/* ---- failure paths ------------------------------------------------------ */

Test(paths, refusal_fails_the_phase_and_stops)
{
	struct hb t;
	json_t *r;

	run_own(&t,
		"name: refusal\ndescription: the model refuses\n"
		"initial_prompt: do it\nworkflow_phases:\n"
		"  - phase_name: Refusing Step\n    agent: Amelia\n"
		"  - phase_name: Good Step\n    agent: Amelia\n",
		NULL);
	r = hb_results(&t);
	hb_assert_run(&t, r, 1, "failed", "refusal");
	/* the run stopped: the second phase never started */
	cr_assert_eq(hb_n_phases(r), 1);
	hb_assert_phase(r, 0, "Refusing Step", "Amelia", "failed");
	cr_assert_str_eq(hb_str(hb_phase(r, 0), "stop_reason"), "refusal");
	cr_assert_not_null(strstr(t.out.out, "status:    failed"));
	hb_assert_fake_ok(&t, 1);
	json_decref(r);
	hb_finish(&t);
}

Test(paths, phase_timeout)
{
	struct hb t;
	json_t *r;

	run_own(&t,
		"name: phase-timeout\ndescription: a slow phase\n"
		"initial_prompt: do it\nworkflow_phases:\n"
		"  - phase_name: Slow Step\n    agent: Amelia\n"
		"    timeout_seconds: 2\n",
		NULL);
	r = hb_results(&t);
	hb_assert_run(&t, r, 5, "timeout", "phase_timeout");
	hb_assert_phase(r, 0, "Slow Step", "Amelia", "timeout");
	/* enforced: the phase ended at its 2 s (its own clock; the setup
	 * before it is slow on a loaded host), the reply was 60 s away */
	cr_assert_geq(json_real_value(json_object_get(hb_phase(r, 0),
						      "duration_seconds")),
		      1.9);
	cr_assert_lt(json_real_value(json_object_get(hb_phase(r, 0),
						     "duration_seconds")),
		     8.0);
	cr_assert_lt(t.seconds, 40.0, "took %.1f s", t.seconds);
	json_decref(r);
	hb_finish(&t);
}

Test(paths, run_timeout)
{
	struct hb t;
	json_t *r;

	/* the run's clock starts before its setup (workers, the project):
	 * 12 s leaves the phase time to begin on a loaded host (2 s did not,
	 * at a load of 47), and still ends it long before the reply, 60 s
	 * away */
	run_own(&t,
		"name: run-timeout\ndescription: a slow run\n"
		"initial_prompt: do it\ntimeout_seconds: 12\nworkflow_phases:\n"
		"  - phase_name: Slow Step\n    agent: Amelia\n",
		NULL);
	r = hb_results(&t);
	hb_assert_run(&t, r, 5, "timeout", "run_timeout");
	hb_assert_phase(r, 0, "Slow Step", "Amelia", "timeout");
	cr_assert_lt(t.seconds, 40.0, "took %.1f s", t.seconds);
	json_decref(r);
	hb_finish(&t);
}

Test(paths, missing_artifact)
{
	struct hb t;
	json_t *r, *art, *want;

	run_own(&t,
		"name: missing\ndescription: an artifact is missing\n"
		"initial_prompt: do it\nworkflow_phases:\n"
		"  - phase_name: Forgetful Step\n    agent: Amelia\n"
		"    expected_artifacts: [app.py, docs/, notes.txt]\n"
		"  - phase_name: Good Step\n    agent: Amelia\n",
		NULL);
	r = hb_results(&t);
	hb_assert_run(&t, r, 1, "failed", "missing_artifacts");
	cr_assert_eq(hb_n_phases(r), 1, "the run stops after the failed phase");
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

	run_own(&t,
		"name: red\ndescription: the project's tests fail\n"
		"initial_prompt: do it\nworkflow_phases:\n"
		"  - phase_name: Broken Tests Step\n    agent: Amelia\n"
		"success_criteria:\n  quality_gates:\n"
		"    tests_passing: true\n",
		NULL);
	r = hb_results(&t);
	hb_assert_run(&t, r, 1, "failed", "criteria_failed");
	/* the phase itself succeeded; the criterion fails the run */
	hb_assert_phase(r, 0, "Broken Tests Step", "Amelia", "success");
	hb_assert_tools(r, 0, "{\"Write\": 2, \"Bash\": 1}");
	cr_assert_eq(hb_n_criteria(r), 1);
	hb_assert_criterion(r, "tests_passing", 0, "failed", "exited 1");
	cr_assert_not_null(strstr(t.out.out, "failed   tests_passing"));
	json_decref(r);
	hb_finish(&t);
}

Test(paths, skip_if_failed_and_continue_on_failure)
{
	struct hb t;
	json_t *r;

	run_own(&t,
		"name: flow\ndescription: skip and continue\n"
		"initial_prompt: do it\nworkflow_phases:\n"
		"  - phase_name: Refusing Step\n    agent: Amelia\n"
		"    continue_on_failure: true\n"
		"  - phase_name: Good Step\n    agent: Amelia\n"
		"    skip_if_failed: true\n"
		"  - phase_name: Good Step B\n    agent: Amelia\n"
		"  - phase_name: Good Step C\n    agent: Amelia\n"
		"    skip_if_failed: true\n",
		NULL);
	r = hb_results(&t);
	/* a failed phase fails the run even when the run went on */
	hb_assert_run(&t, r, 1, "failed", "phase_failed");
	cr_assert_eq(hb_n_phases(r), 4);
	hb_assert_phase(r, 0, "Refusing Step", "Amelia", "failed");
	hb_assert_phase(r, 1, "Good Step", "Amelia", "skipped");
	cr_assert_not_null(
		strstr(hb_str(hb_phase(r, 1), "reason"), "skip_if_failed"));
	hb_assert_phase(r, 2, "Good Step B", "Amelia", "success");
	/* the previous phase succeeded: skip_if_failed does not skip */
	hb_assert_phase(r, 3, "Good Step C", "Amelia", "success");
	hb_assert_git_log(
		r, "chore(good-step-c): Good Step C by Amelia\n\ngood-c.txt\n"
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

	run_own(&t,
		"name: commands\ndescription: command phases\n"
		"initial_prompt: do it\nworkflow_phases:\n"
		"  - phase_name: Prepare\n"
		"    command: \"mkdir -p data && echo seed > data/seed.txt\"\n"
		"    expected_artifacts: [data/seed.txt]\n"
		"  - phase_name: Lint\n"
		"    command: \"echo 'lint: 2 problems'; exit 3\"\n"
		"    continue_on_failure: true\n"
		"  - phase_name: Good Step\n    agent: Amelia\n",
		NULL);
	r = hb_results(&t);
	hb_assert_run(&t, r, 1, "failed", "phase_failed");
	cr_assert_eq(hb_n_phases(r), 3);
	hb_assert_phase(r, 0, "Prepare", "command", "success");
	p = json_object_get(hb_phase(r, 0), "artifacts");
	cr_assert_eq(json_array_size(json_object_get(p, "found")), 1);
	hb_assert_phase(r, 1, "Lint", "command", "failed");
	cr_assert_str_eq(hb_str(hb_phase(r, 1), "stop_reason"), "nonzero_exit");
	cr_assert_eq(hb_int(hb_phase(r, 1), "exit_code"), 3);
	cr_assert_not_null(
		strstr(hb_str(hb_phase(r, 1), "output"), "lint: 2 problems"));
	/* continue_on_failure: the agent phase still ran */
	hb_assert_phase(r, 2, "Good Step", "Amelia", "success");
	cr_assert_eq(hb_int(json_object_get(r, "metrics"), "tool_calls"), 1,
		     "commands are not agent tool calls");
	const char *args[] = { "log", "--format=%s", "--name-only", NULL };

	log = hb_git(hb_str(r, "git_dir"), args);
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

/*
 * Run yaml, wait for the process named proc (the project is its cwd),
 * send SIGTERM: within 15 s gao-dev exits 130 with the run and its first
 * phase (name, agent) cancelled, no later phase started, and nothing of
 * the run left (no worker: their cwd is the run's dir; no command: its
 * cwd is the project; a process the kernel is still tearing down gets a
 * moment). The results are returned for more checks.
 */
static json_t *
sigterm_while(struct hb *t, const char *yaml, const char *proc,
	      const char *phase, const char *agent)
{
	char cfg[512], project[1024];
	json_t *r;
	pid_t pid, sleeper = 0;
	bool running = false;

	hb_start(t, PATHS);
	hb_write(t, "bench.yaml", yaml, cfg, sizeof(cfg));
	const char *args[] = { cfg, NULL };

	pid = hb_spawn(t, args);
	wait_project(t, project, sizeof(project));
	for (int i = 0; i < 300 && !running; i++) {
		running = hb_find_proc(project, proc, &sleeper);
		if (!running)
			usleep(50000);
	}
	cr_assert(running, "%s never started", proc);
	cr_assert_eq(kill(pid, SIGTERM), 0);
	double t0 = (double)time(NULL);

	hb_wait(t, pid, 60);
	cr_assert_lt((double)time(NULL) - t0, 15.0, "slow to stop");
	r = hb_results(t);
	hb_assert_run(t, r, 130, "cancelled", "signal");
	cr_assert_eq(hb_n_phases(r), 1);
	hb_assert_phase(r, 0, phase, agent, "cancelled");
	running = true;
	for (int i = 0; i < 60 && running; i++) {
		running = hb_find_proc(t->dir, NULL, &sleeper);
		if (running)
			usleep(50000);
	}
	cr_assert_not(running, "process %d of the run is still alive",
		      (int)sleeper);
	return r;
}

Test(paths, sigterm_mid_run)
{
	struct hb t;

	json_decref(sigterm_while(
		&t,
		"name: interrupted\ndescription: SIGTERM\n"
		"initial_prompt: do it\nworkflow_phases:\n"
		"  - phase_name: Sleeping Step\n    agent: Amelia\n"
		"  - phase_name: Good Step\n    agent: Amelia\n",
		"sleep 30", "Sleeping Step", "Amelia"));
	hb_finish(&t);
}

/*
 * SIGTERM while a command phase runs in the service worker: the command
 * is killed at once (not waited for), the phase and the run are
 * cancelled, exit 130, no later phase starts.
 */
Test(paths, sigterm_during_a_command_phase)
{
	struct hb t;
	json_t *r;

	r = sigterm_while(&t,
			  "name: interrupted-command\ndescription: SIGTERM\n"
			  "initial_prompt: do it\nworkflow_phases:\n"
			  "  - phase_name: Slow Command\n"
			  "    command: \"sleep 300\"\n"
			  "  - phase_name: Good Step\n    agent: Amelia\n",
			  "sleep 300", "Slow Command", "command");
	cr_assert_str_eq(hb_str(hb_phase(r, 0), "stop_reason"), "signal");
	json_decref(r);
	hb_finish(&t);
}

Test(paths, verdict_fail)
{
	struct hb t;
	json_t *r;

	run_own(&t,
		"name: verdict\ndescription: Murat says FAIL\n"
		"epics:\n  - name: Checks\n    stories:\n"
		"      - name: Verdict Story\n        agent: Amelia\n"
		"        description: greet a person\n"
		"        acceptance_criteria: [\"greet('Ada') returns "
		"'Hello, Ada!'\"]\n",
		NULL);
	r = hb_results(&t);
	hb_assert_run(&t, r, 1, "failed", "verdict_fail");
	cr_assert_eq(hb_n_phases(r), 3);
	hb_assert_phase(r, 0, "Checks Verdict Story spec", "Bob", "success");
	hb_assert_phase(r, 1, "Checks Verdict Story implement", "Amelia",
			"success");
	hb_assert_phase(r, 2, "Checks Verdict Story validate", "Murat",
			"failed");
	cr_assert_str_eq(hb_str(hb_phase(r, 2), "stop_reason"), "verdict_fail");
	cr_assert_not_null(
		strstr(hb_str(hb_phase(r, 2), "error"), "VERDICT: PASS"));
	json_decref(r);
	hb_finish(&t);
}

/*
 * The verdict is the last line of Murat's whole answer: a report longer
 * than the final_text a result keeps (4 KiB) still passes on its last
 * line, and the text kept is the report's start.
 */
Test(paths, verdict_after_a_long_report)
{
	struct hb t;
	json_t *r;
	const char *kept;

	run_own(&t,
		"name: long-verdict\ndescription: Murat writes at length\n"
		"epics:\n  - name: Checks\n    stories:\n"
		"      - name: Long Verdict Story\n        agent: Amelia\n"
		"        description: greet a person\n"
		"        acceptance_criteria: [\"greet('Ada') returns "
		"'Hello, Ada!'\"]\n",
		NULL);
	r = hb_results(&t);
	hb_assert_run(&t, r, 0, "completed", "");
	cr_assert_eq(hb_n_phases(r), 3);
	hb_assert_phase(r, 2, "Checks Long Verdict Story validate", "Murat",
			"success");
	kept = hb_str(hb_phase(r, 2), "final_text");
	cr_assert(strncmp(kept, "Validation report.", 18) == 0, "%s", kept);
	cr_assert_lt(strlen(kept), 4096);
	cr_assert_null(strstr(kept, "VERDICT"), "the whole report was kept");
	json_decref(r);
	hb_finish(&t);
}

/*
 * A persona name as long as a config may make one (256 bytes) reaches the
 * worker: the worker's INIT frame holds names of that length.
 */
Test(paths, longest_persona_name_runs)
{
	struct hb t;
	json_t *r;
	char name[257], text[1024], cfg[512], dir[512], file[512];

	memset(name, 'N', 256);
	name[256] = 0;
	hb_start(&t, PATHS);
	snprintf(dir, sizeof(dir), "%s/agents", t.dir);
	cr_assert_eq(mkdir(dir, 0700), 0);
	snprintf(text, sizeof(text),
		 "name: %s\nrole: Developer\ntools: [Read, Write]\n"
		 "persona: You write code.\n",
		 name);
	hb_write(&t, "agents/long.yaml", text, file, sizeof(file));
	snprintf(text, sizeof(text),
		 "name: long-name\ndescription: a long persona name\n"
		 "initial_prompt: do it\nworkflow_phases:\n"
		 "  - phase_name: Good Step\n    agent: %s\n",
		 name);
	hb_write(&t, "bench.yaml", text, cfg, sizeof(cfg));
	const char *args[] = { cfg, "--agents-dir", dir, NULL };

	hb_run(&t, args, 120);
	r = hb_results(&t);
	hb_assert_run(&t, r, 0, "completed", "");
	hb_assert_phase(r, 0, "Good Step", name, "success");
	json_decref(r);
	hb_finish(&t);
}

Test(paths, unknown_dependency_has_no_side_effect)
{
	struct hb t;
	struct stat st;

	run_own(&t,
		"name: deps\ndescription: a bad dependency\n"
		"epics:\n  - name: E\n    stories:\n"
		"      - name: First\n        description: a story\n"
		"        dependencies: [\"Nope\"]\n",
		NULL);
	cr_assert_eq(t.out.code, 2, "exit %d; stderr:\n%s", t.out.code,
		     t.out.err);
	cr_assert_not_null(strstr(t.out.err, "bench.yaml:6:"), "%s", t.out.err);
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
	hb_write(&t, "good.yaml",
		 "name: good\ndescription: passes\n"
		 "initial_prompt: do it\nworkflow_phases:\n"
		 "  - phase_name: Good Step\n    agent: Amelia\n"
		 "    expected_artifacts: [good.txt]\n",
		 good, sizeof(good));
	hb_write(&t, "bad.yaml",
		 "name: bad\ndescription: fails\n"
		 "initial_prompt: do it\nworkflow_phases:\n"
		 "  - phase_name: Refusing Step\n    agent: Amelia\n",
		 bad, sizeof(bad));
	const char *args[] = {
		good, bad, "--jobs", "2", "--repeat", "2", NULL
	};

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
	hb_write(&t, "bench.yaml",
		 "name: template\ndescription: boilerplate\n"
		 "initial_prompt: do it\nboilerplate_path: ./tpl\n"
		 "workflow_phases:\n"
		 "  - phase_name: Template Step\n    agent: Amelia\n",
		 cfg, sizeof(cfg));
	const char *args[] = { cfg, NULL };

	hb_run(&t, args, 120);
	r = hb_results(&t);
	hb_assert_run(&t, r, 0, "completed", "");
	hb_assert_tools(r, 0, "{\"Read\": 1, \"Bash\": 1}");
	hb_assert_file(r, "README.md", "TEMPLATE-README");
	hb_assert_file(r, "sub/inner.txt", "TEMPLATE-INNER");
	hb_assert_file(r, "sub/deeper/leaf.txt", "leaf");
	snprintf(path, sizeof(path), "%s/link", hb_str(r, "project_dir"));
	cr_assert_neq(lstat(path, &st), 0, "the symlink was copied");
	snprintf(path, sizeof(path), "%s/sub/link-abs",
		 hb_str(r, "project_dir"));
	cr_assert_neq(lstat(path, &st), 0, "the symlink was copied");
	cr_assert(hb_has_warning(r, "boilerplate: link skipped (a symlink is "
				    "never followed)"));
	cr_assert(hb_has_warning(r, "link-abs skipped"));
	cr_assert_not(
		h_tree_contains(hb_str(r, "project_dir"), "TEMPLATE-OUTSIDE"));
	/* the template is the project's first commit */
	const char *ls[] = { "ls-tree", "-r", "--name-only", "HEAD", NULL };
	char *tree = hb_git(hb_str(r, "git_dir"), ls);

	cr_assert_str_eq(tree, "README.md\nsub/deeper/leaf.txt\n"
			       "sub/inner.txt\n");
	free(tree);
	hb_assert_git_log(r, "chore: initial project setup\n\nREADME.md\n"
			     "sub/deeper/leaf.txt\nsub/inner.txt\n");
	json_decref(r);
	hb_finish(&t);
}
