/*
 * test_run.c - the real gao-dev and gao-dev-worker against the fake API.
 *
 * Each test gets its own temp dir (sandbox root, key file, record file)
 * and its own fake API process on a free loopback port.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"
#include "harness_bench.h"

/* Run config (source-relative) with one extra option (or NULL). */
static void
run_config(struct hb *t, const char *config, const char *extra)
{
	char cfg[512];
	const char *args[] = { cfg, extra, NULL };

	h_src(config, cfg, sizeof(cfg));
	hb_run(t, args, 120);
}

static json_t *
results_of(struct hb *t)
{
	char path[1024];
	json_error_t je;
	json_t *r;

	cr_assert(h_single_file(t->root, "results", path, sizeof(path)),
		  "no single results file; stderr:\n%s", t->out.err);
	r = json_load_file(path, 0, &je);
	cr_assert_not_null(r, "%s: %s", path, je.text);
	return r;
}

/* No output of any kind holds the key: files, stdout, stderr, requests. */
static void
assert_no_key(struct hb *t, const char *key)
{
	cr_assert_not(h_tree_contains(t->root, key),
		      "key under the sandbox root");
	cr_assert_null(strstr(t->out.out, key), "key on stdout");
	cr_assert_null(strstr(t->out.err, key), "key on stderr");
	size_t n = 0;
	char *rec = h_slurp(t->fake.record, &n);

	cr_assert_not_null(rec);
	cr_assert_null(memmem(rec, n, key, strlen(key)),
		       "key in a request the API received (outside x-api-key)");
	free(rec);
}

Test(run, demo_benchmark_end_to_end)
{
	struct hb t;
	json_t *r, *reqs, *ph;
	char path[1024];
	size_t i;
	bool saw_failed = false, saw_ok = false;

	hb_start_key(&t, "benchmarks/demo.fake.json", H_TEST_KEY);
	run_config(&t, "benchmarks/demo.yaml", NULL);
	cr_assert_eq(t.out.code, 0, "exit %d; stderr:\n%s", t.out.code,
		     t.out.err);
	r = results_of(&t);
	cr_assert_str_eq(json_string_value(json_object_get(r, "status")),
			 "completed");
	ph = json_array_get(json_object_get(r, "phases"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(ph, "agent")),
			 "Amelia");
	cr_assert_eq(json_integer_value(json_object_get(ph, "tool_calls")), 5);
	/* the files exist in the project */
	snprintf(path, sizeof(path), "%s/calc.py",
		 json_string_value(json_object_get(r, "project_dir")));
	char *calc = h_slurp(path, NULL);

	cr_assert_not_null(calc);
	cr_assert_not_null(strstr(calc, "return a - b"),
			   "the Edit was applied");
	free(calc);
	/* the API received the command's real output in tool_results */
	reqs = h_jsonl(t.fake.record);
	json_t *q;

	json_array_foreach(reqs, i, q) {
		char *body = json_dumps(json_object_get(q, "body"), 0);

		saw_failed |= body && strstr(body, "FAILED (failures=1)");
		saw_ok |= body && strstr(body, "\\nOK");
		free(body);
	}
	cr_assert(saw_failed && saw_ok, "tool results reached the API");
	cr_assert_not_null(strstr(t.out.out, "status:    completed"));
	assert_no_key(&t, H_TEST_KEY);
	json_decref(reqs);
	json_decref(r);
	hb_finish(&t);
}

Test(run, tool_output_refusal_and_clean_env)
{
	struct hb t;
	json_t *r, *ph;

	hb_start_key(&t, "tests/integration/scenarios/tools.json",
		     H_TEST_KEY_SKANT);
	run_config(&t, "tests/integration/configs/plain.yaml", NULL);
	cr_assert_eq(t.out.code, 0, "exit %d; stderr:\n%s", t.out.code,
		     t.out.err);
	r = results_of(&t);
	ph = json_array_get(json_object_get(r, "phases"), 0);
	cr_assert_eq(json_integer_value(
			     json_object_get(ph, "tool_calls_refused")),
		     1);
	/* the worker's environment has no ANTHROPIC_* variable: the Bash
	 * command counted 0 of them (checked in the record) */
	char *rec = h_slurp(t.fake.record, NULL);

	cr_assert_not_null(strstr(rec, "MARK-42\\n0"), "env had ANTHROPIC_*");
	free(rec);
	assert_no_key(&t, H_TEST_KEY_SKANT);
	json_decref(r);
	hb_finish(&t);
}

Test(run, retries_after_529_and_cut_stream)
{
	struct hb t;
	json_t *r, *ev;
	char path[1024];
	size_t i, retried = 0;

	hb_start_key(&t, "tests/integration/scenarios/retry.json", H_TEST_KEY);
	run_config(&t, "tests/integration/configs/plain.yaml", NULL);
	cr_assert_eq(t.out.code, 0, "exit %d; stderr:\n%s", t.out.code,
		     t.out.err);
	r = results_of(&t);
	cr_assert_eq(json_integer_value(
			     json_object_get(json_object_get(r, "metrics"),
					     "retries")),
		     2);
	snprintf(path, sizeof(path), "%s/events.jsonl",
		 json_string_value(json_object_get(r, "run_dir")));
	json_t *events = h_jsonl(path);

	json_array_foreach(events, i, ev)
		retried += strcmp(json_string_value(
					  json_object_get(ev, "event")),
				  "api_call_retried") == 0;
	cr_assert_eq(retried, 2);
	json_decref(events);
	json_decref(r);
	hb_finish(&t);
}

Test(run, invalid_key_exits_3)
{
	struct hb t;
	char other[512], cfg[512];

	hb_start_key(&t, "benchmarks/demo.fake.json", H_TEST_KEY);
	snprintf(other, sizeof(other), "%s/other", t.dir);
	h_keyfile(other, "", other, sizeof(other)); /* placeholder */
	h_keyfile(t.dir, "wrong-key-value", other, sizeof(other));
	h_src("benchmarks/demo.yaml", cfg, sizeof(cfg));
	const char *env[] = { t.base, NULL };
	const char *args[] = { "sandbox",
			       "run",
			       cfg,
			       "--standalone",
			       "--api-key-file",
			       other,
			       "--sandbox-root",
			       t.root,
			       NULL };

	h_run(args, env, t.dir, 60, &t.out);
	cr_assert_eq(t.out.code, 3, "exit %d; stderr:\n%s", t.out.code,
		     t.out.err);
	cr_assert_not_null(strstr(t.out.err, "API key is invalid"));
	hb_finish(&t);
}

Test(run, missing_key_exits_3)
{
	char dir[256], cfg[512];
	struct h_out o;
	const char *env[] = { "GAO_DEV_CONFIG=/nonexistent", NULL };

	h_tmpdir(dir, sizeof(dir));
	h_src("benchmarks/demo.yaml", cfg, sizeof(cfg));
	const char *args[] = { "sandbox", "run-standalone", cfg, NULL };

	h_run(args, env, dir, 30, &o);
	cr_assert_eq(o.code, 3);
	cr_assert_not_null(strstr(o.err,
				  "API key not found. Provide via "
				  "--api-key, --api-key-file, or "
				  "ANTHROPIC_API_KEY environment variable"));
	h_out_free(&o);
}

Test(run, unreachable_api_exits_4)
{
	char dir[256], key[512], cfg[512];
	struct h_out o;
	/* port 9 on loopback: nothing listens there */
	const char *env[] = { "ANTHROPIC_BASE_URL=http://127.0.0.1:9", NULL };

	h_tmpdir(dir, sizeof(dir));
	h_keyfile(dir, H_TEST_KEY, key, sizeof(key));
	h_src("benchmarks/demo.yaml", cfg, sizeof(cfg));
	const char *args[] = { "sandbox",
			       "run",
			       cfg,
			       "--standalone",
			       "--api-key-file",
			       key,
			       "--max-retries",
			       "1",
			       "--sandbox-root",
			       dir,
			       NULL };

	h_run(args, env, dir, 60, &o);
	cr_assert_eq(o.code, 4, "exit %d; stderr:\n%s", o.code, o.err);
	cr_assert_not_null(strstr(o.err, "cannot reach http://127.0.0.1:9"));
	h_out_free(&o);
}

Test(run, insecure_key_file_is_refused)
{
	char dir[256], key[512], cfg[512];
	struct h_out o;

	h_tmpdir(dir, sizeof(dir));
	h_keyfile(dir, H_TEST_KEY, key, sizeof(key));
	cr_assert_eq(chmod(key, 0644), 0);
	h_src("benchmarks/demo.yaml", cfg, sizeof(cfg));
	const char *args[] = { "sandbox",        "run", cfg, "--standalone",
			       "--api-key-file", key,   NULL };

	h_run(args, NULL, dir, 30, &o);
	cr_assert_eq(o.code, 3);
	cr_assert_not_null(strstr(o.err, "readable by group or others"));
	cr_assert_null(strstr(o.err, H_TEST_KEY));
	h_out_free(&o);
}

Test(run, bad_config_exits_2_with_position)
{
	char dir[256], cfg[512];
	struct h_out o;
	FILE *f;

	h_tmpdir(dir, sizeof(dir));
	snprintf(cfg, sizeof(cfg), "%s/bad.yaml", dir);
	f = fopen(cfg, "we");
	fputs("name: x\ndescription: y\ntimeout_seconds: -5\n"
	      "initial_prompt: hi\n",
	      f);
	fclose(f);
	const char *args[] = { "sandbox", "run", cfg, "--standalone", NULL };

	h_run(args, NULL, dir, 30, &o);
	cr_assert_eq(o.code, 2);
	cr_assert_not_null(strstr(o.err, "bad.yaml:3:"), "%s", o.err);
	cr_assert_not_null(strstr(o.err, "Timeout must be positive"));
	h_out_free(&o);
}

Test(cli, help_and_version)
{
	char dir[256];
	struct h_out o;
	const char *v[] = { "--version", NULL };
	const char *h[] = { "sandbox", "run", "--help", NULL };

	h_tmpdir(dir, sizeof(dir));
	h_run(v, NULL, dir, 10, &o);
	cr_assert_eq(o.code, 0);
	cr_assert_not_null(strstr(o.out, "gao-dev "));
	h_out_free(&o);
	h_run(h, NULL, dir, 10, &o);
	cr_assert_eq(o.code, 0);
	cr_assert_not_null(strstr(o.out, "--api-key-file"));
	cr_assert_not_null(strstr(o.out, "exit codes"));
	h_out_free(&o);
}
