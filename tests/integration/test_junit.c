/*
 * test_junit.c - `sandbox run --junit PATH` read by real JUnit consumers.
 *
 * Every test runs the real gao-dev against the fake API (bench-paths.json
 * scripts each phase by its name) with --junit, then hands the file to
 * junit_check.py: Python's expat parser (well-formed XML 1.0?) and
 * Debian's python3-junitparser (the Jenkins/Ant dialect). What they read
 * is compared with the results files, by rules written here again
 * independently of supervisor/out/junit.c: one suite per results file,
 * one testcase per phase, per criterion and one for the run, each of the
 * kind its status says, the declared counts equal to what junitparser
 * counts, the properties equal to the results' values.
 *
 * Covered: a passing run with a skipped criterion, a failing criterion, a
 * failed and a skipped phase, a limit (phase timeout), an infrastructure
 * error inside a run (retries exhausted) and before any run (API down,
 * exit 4), a rejected key (exit 3), a bad config (exit 2), --jobs 2 over
 * two configs, hostile agent and config text (]]>, <script>, controls,
 * U+FFFE, a 40 KB final text; the XML cut itself: tests/unit/test_junit.c),
 * unwritable --junit paths (exit 2, no API call), a path that cannot take
 * the file at the end (exit 4), and the key never in the file.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "harness_bench.h"

#define PATHS "tests/integration/scenarios/bench-paths.json"

/* junit_check.py's reading of path (asserts it could read it). */
static json_t *
junit_read(const char *path)
{
	char script[512];
	json_error_t je;
	json_t *j;
	int status;
	char *out;

	h_src("tests/integration/junit_check.py", script, sizeof(script));
	/* Debian's python3, where python3-junitparser is installed */
	const char *argv[] = { "env",     "-i",   "PATH=/usr/bin:/bin",
			       "python3", script, path,
			       NULL };

	out = hb_capture(argv, &status);
	cr_assert_eq(status, 0, "junit_check.py %s: %s", path, out);
	j = json_loads(out, 0, &je);
	cr_assert_not_null(j, "junit_check.py printed %s", out);
	free(out);
	return j;
}

static long long
num(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* The declared counts equal the counted ones (time within rounding). */
static void
assert_counts_agree(const json_t *declared, const json_t *counted,
		    const char *what)
{
	static const char *const keys[] = { "tests", "failures", "errors",
					    "skipped" };

	for (size_t i = 0; i < 4; i++)
		cr_assert_eq(num(declared, keys[i]), num(counted, keys[i]),
			     "%s: %s declared %lld, counted %lld", what,
			     keys[i], num(declared, keys[i]),
			     num(counted, keys[i]));
	double d = json_number_value(json_object_get(declared, "time"));
	double c = json_number_value(json_object_get(counted, "time"));

	cr_assert(d - c < 0.01 && c - d < 0.01, "%s: time %f vs %f", what, d,
		  c);
}

/* The kind a phase's status should give. */
static const char *
phase_kind(const char *st)
{
	if (!strcmp(st, "success"))
		return "pass";
	if (!strcmp(st, "skipped"))
		return "skipped";
	if (!strcmp(st, "failed") || !strcmp(st, "timeout") ||
	    !strcmp(st, "stopped"))
		return "failure";
	return "error";
}

static const char *
criterion_kind(const char *oc)
{
	return !strcmp(oc, "passed")  ? "pass" :
	       !strcmp(oc, "skipped") ? "skipped" :
					"failure";
}

static const char *
run_kind(const char *st)
{
	if (!strcmp(st, "completed"))
		return "pass";
	if (!strcmp(st, "failed") || !strcmp(st, "timeout") ||
	    !strcmp(st, "stopped"))
		return "failure";
	return "error";
}

/* The suite whose run_id property is id. */
static const json_t *
suite_of(const json_t *j, const char *id)
{
	json_t *s;
	size_t i;

	json_array_foreach(json_object_get(j, "suites"), i, s) {
		const json_t *p = json_object_get(s, "properties");

		if (!strcmp(hb_str(p, "run_id"), id))
			return s;
	}
	cr_assert_fail("no testsuite for run %s", id);
	return NULL;
}

/* Case i is of kind, and a non-pass has a non-empty message. */
static void
assert_case(const json_t *c, const char *kind, const char *what)
{
	cr_assert_str_eq(hb_str(c, "kind"), kind, "%s: kind %s, want %s", what,
			 hb_str(c, "kind"), kind);
	if (strcmp(kind, "pass") != 0)
		cr_assert_gt(strlen(hb_str(c, "message")), 0, "%s: no message",
			     what);
}

/* One suite against its results document. */
static void
assert_suite(const json_t *s, const json_t *r)
{
	const json_t *phases = json_object_get(r, "phases");
	const json_t *crit = json_object_get(r, "success_criteria");
	const json_t *cases = json_object_get(s, "cases");
	const json_t *props = json_object_get(s, "properties");
	const json_t *rep = json_object_get(r, "reproduce");
	size_t np = json_array_size(phases), nc = json_array_size(crit), i;
	char name[1024], what[256], key[600];
	json_t *e;

	/* "NAME (RUN_ID)"; the name as XML carries it (see hostile) */
	snprintf(name, sizeof(name), " (%s)", hb_str(r, "run_id"));
	cr_assert_gt(strlen(hb_str(s, "name")), strlen(name));
	cr_assert_str_eq(hb_str(s, "name") + strlen(hb_str(s, "name")) -
				 strlen(name),
			 name);
	assert_counts_agree(json_object_get(s, "declared"),
			    json_object_get(s, "counted"), name);
	cr_assert_eq(json_array_size(cases), np + nc + 1,
		     "%s: %zu cases for %zu phases and %zu criteria", name,
		     json_array_size(cases), np, nc);
	json_array_foreach(phases, i, e) {
		snprintf(what, sizeof(what), "phase %zu", i);
		assert_case(json_array_get(cases, i),
			    phase_kind(hb_str(e, "status")), what);
		if (!strcmp(hb_str(e, "status"), "skipped"))
			cr_assert_str_eq(hb_str(json_array_get(cases, i),
						"message"),
					 hb_str(e, "reason"));
		if (!json_is_string(json_object_get(e, "audit_head")))
			continue;
		snprintf(key, sizeof(key), "audit_head.%02zu.%s", i + 1,
			 hb_str(e, "name"));
		cr_assert_str_eq(hb_str(props, key), hb_str(e, "audit_head"));
	}
	json_array_foreach(crit, i, e) {
		snprintf(what, sizeof(what), "criterion %s", hb_str(e, "name"));
		assert_case(json_array_get(cases, np + i),
			    criterion_kind(hb_str(e, "outcome")), what);
	}
	assert_case(json_array_get(cases, np + nc),
		    run_kind(hb_str(r, "status")), "run");
	cr_assert_str_eq(hb_str(json_array_get(cases, np + nc), "name"), "run");
	cr_assert_str_eq(hb_str(props, "model"), hb_str(rep, "model"));
	cr_assert_str_eq(hb_str(props, "gao_dev_version"),
			 hb_str(rep, "gao_dev_version"));
	cr_assert_str_eq(hb_str(props, "status"), hb_str(r, "status"));
	cr_assert_str_eq(hb_str(props, "isolation"),
			 hb_str(json_object_get(r, "isolation"), "summary"));
	cr_assert_eq(atoll(hb_str(props, "tokens_output")),
		     num(json_object_get(json_object_get(r, "metrics"),
					 "tokens"),
			 "output"));
	cr_assert_not_null(strstr(hb_str(s, "system_out"), hb_str(r, "run_id")),
			   "the summary is not in system-out");
}

/*
 * The file at path against every results file of t: one suite each,
 * counts agreeing, totals the sums. Returns junit_check.py's reading.
 */
static json_t *
assert_junit(struct hb *t, const char *path)
{
	json_t *all = hb_all_results(t), *j = junit_read(path), *r;
	struct stat st;
	size_t i;

	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600, "mode %o", st.st_mode & 0777);
	cr_assert_eq(json_array_size(json_object_get(j, "suites")),
		     json_array_size(all));
	assert_counts_agree(json_object_get(j, "declared"),
			    json_object_get(j, "totals"), "testsuites");
	json_array_foreach(all, i, r)
		assert_suite(suite_of(j, hb_str(r, "run_id")), r);
	json_decref(all);
	return j;
}

/* The case of suite 0 named name ("01 Good Step (Amelia)", "run"). */
static const json_t *
case_named(const json_t *j, const char *name)
{
	const json_t *s = json_array_get(json_object_get(j, "suites"), 0);
	json_t *c;
	size_t i;

	json_array_foreach(json_object_get(s, "cases"), i, c)
		if (!strcmp(hb_str(c, "name"), name))
			return c;
	cr_assert_fail("no testcase %s", name);
	return NULL;
}

/*
 * The case of suite 0 named name, of kind (assert_case; NULL: any), of
 * type (NULL: not checked), with needle in its message (NULL: not
 * checked). Returns it, borrowed from j, for more checks.
 */
static const json_t *
expect_case(const json_t *j, const char *name, const char *kind,
	    const char *type, const char *needle)
{
	const json_t *c = case_named(j, name);

	if (kind)
		assert_case(c, kind, name);
	if (type)
		cr_assert_str_eq(hb_str(c, "type"), type, "%s", name);
	if (needle)
		cr_assert_not_null(strstr(hb_str(c, "message"), needle),
				   "%s: %s", name, hb_str(c, "message"));
	return c;
}

/* Write yaml as bench.yaml and run it with --junit t->dir/junit.xml. */
static void
run_junit(struct hb *t, const char *yaml, const char *const *extra, char *junit,
	  size_t cap)
{
	char cfg[512];
	const char *args[16] = { cfg, "--junit", junit };
	size_t n = 3;

	hb_write(t, "bench.yaml", yaml, cfg, sizeof(cfg));
	snprintf(junit, cap, "%s/junit.xml", t->dir);
	for (size_t i = 0; extra && extra[i] && n < 15; i++)
		args[n++] = extra[i];
	args[n] = NULL;
	hb_run(t, args, 120);
	cr_assert_not(hb_file_contains(junit, H_TEST_KEY),
		      "the key is in the JUnit file");
}

#define GOOD \
	"name: good\ndescription: passes\ninitial_prompt: do it\n" \
	"workflow_phases:\n  - phase_name: Good Step\n    agent: Amelia\n"

Test(junit, passing_run_with_a_skipped_criterion)
{
	struct hb t;
	char junit[512];
	json_t *j;
	const json_t *c;

	hb_start(&t, PATHS);
	run_junit(&t,
		  GOOD "    expected_artifacts: [good.txt]\n"
		       "success_criteria:\n  quality_gates:\n"
		       "    build_must_succeed: false\n",
		  NULL, junit, sizeof(junit));
	cr_assert_eq(t.out.code, 0, "exit %d: %s", t.out.code, t.out.err);
	j = assert_junit(&t, junit);
	cr_assert_eq(num(json_object_get(j, "totals"), "tests"), 3);
	cr_assert_eq(num(json_object_get(j, "totals"), "skipped"), 1);
	c = expect_case(j, "01 build_must_succeed", "skipped", NULL, NULL);
	cr_assert_str_eq(hb_str(c, "message"), "not required");
	expect_case(j, "01 Good Step (Amelia)", "pass", NULL, NULL);
	json_decref(j);
	hb_finish(&t);
}

Test(junit, failing_criterion)
{
	struct hb t;
	char junit[512];
	json_t *j;

	hb_start(&t, PATHS);
	run_junit(&t,
		  "name: red\ndescription: the project's tests fail\n"
		  "initial_prompt: do it\nworkflow_phases:\n"
		  "  - phase_name: Broken Tests Step\n    agent: Amelia\n"
		  "success_criteria:\n  quality_gates:\n"
		  "    tests_passing: true\n",
		  NULL, junit, sizeof(junit));
	cr_assert_eq(t.out.code, 1);
	j = assert_junit(&t, junit);
	expect_case(j, "01 tests_passing", "failure", NULL, "exited 1");
	expect_case(j, "run", NULL, NULL,
		    "benchmark failed: criterion tests_passing");
	json_decref(j);
	hb_finish(&t);
}

Test(junit, failed_and_skipped_phases)
{
	struct hb t;
	char junit[512];
	json_t *j;

	hb_start(&t, PATHS);
	run_junit(&t,
		  "name: flow\ndescription: skip and continue\n"
		  "initial_prompt: do it\nworkflow_phases:\n"
		  "  - phase_name: Refusing Step\n    agent: Amelia\n"
		  "    continue_on_failure: true\n"
		  "  - phase_name: Good Step\n    agent: Amelia\n"
		  "    skip_if_failed: true\n",
		  NULL, junit, sizeof(junit));
	cr_assert_eq(t.out.code, 1);
	j = assert_junit(&t, junit);
	expect_case(j, "01 Refusing Step (Amelia)", "failure", NULL, "refusal");
	expect_case(j, "02 Good Step (Amelia)", "skipped", NULL,
		    "skip_if_failed");
	json_decref(j);
	hb_finish(&t);
}

Test(junit, limit_is_a_failure_naming_it)
{
	struct hb t;
	char junit[512];
	json_t *j;

	hb_start(&t, PATHS);
	run_junit(&t,
		  "name: phase-timeout\ndescription: a slow phase\n"
		  "initial_prompt: do it\nworkflow_phases:\n"
		  "  - phase_name: Slow Step\n    agent: Amelia\n"
		  "    timeout_seconds: 2\n",
		  NULL, junit, sizeof(junit));
	cr_assert_eq(t.out.code, 5);
	j = assert_junit(&t, junit);
	expect_case(j, "01 Slow Step (Amelia)", "failure", "limit",
		    "phase_timeout");
	expect_case(j, "run", "failure", NULL,
		    "stopped by a limit: phase_timeout");
	json_decref(j);
	hb_finish(&t);
}

Test(junit, max_turns_stop_names_the_limit)
{
	struct hb t;
	char junit[512];
	const char *opts[] = { "--max-turns", "1", NULL };
	json_t *j;

	hb_start(&t, PATHS);
	run_junit(&t, GOOD, opts, junit, sizeof(junit));
	cr_assert_eq(t.out.code, 5, "exit %d: %s", t.out.code, t.out.err);
	j = assert_junit(&t, junit);
	expect_case(j, "run", "failure", "limit", "max_turns");
	json_decref(j);
	hb_finish(&t);
}

/* A scenario of our own in t->dir, the fake started on it. */
static void
start_own(struct hb *t, json_t *scenario)
{
	char path[512];

	memset(t, 0, sizeof(*t));
	h_tmpdir(t->dir, sizeof(t->dir));
	h_keyfile(t->dir, H_TEST_KEY, t->key, sizeof(t->key));
	snprintf(t->root, sizeof(t->root), "%s/sandbox", t->dir);
	snprintf(path, sizeof(path), "%s/scenario.json", t->dir);
	cr_assert_eq(json_dump_file(scenario, path, 0), 0);
	json_decref(scenario);
	h_fake_start(&t->fake, path, t->key, t->dir);
	snprintf(t->base, sizeof(t->base),
		 "ANTHROPIC_BASE_URL=http://127.0.0.1:%d", t->fake.port);
}

Test(junit, infrastructure_error_in_a_run)
{
	struct hb t;
	char junit[512];
	const char *opts[] = { "--max-retries", "0", NULL };
	json_t *j;

	/* every request fails with a 500: retries exhausted, status error */
	start_own(&t, json_pack("{s:[{s:s,s:s,s:[{s:[{s:s,s:s}]}]}],"
				"s:[{s:i,s:s,s:i},{s:i,s:s,s:i}]}",
				"conversations", "name", "good", "match",
				"Good Step", "turns", "content", "type", "text",
				"text", "never", "faults", "request", 1, "kind",
				"status", "status", 500, "request", 2, "kind",
				"status", "status", 500));
	run_junit(&t, GOOD, opts, junit, sizeof(junit));
	cr_assert_eq(t.out.code, 4, "exit %d: %s", t.out.code, t.out.err);
	j = assert_junit(&t, junit);
	expect_case(j, "run", "error", "infrastructure", NULL);
	json_decref(j);
	hb_finish(&t);
}

#if GAO_DEV_TEST_SWITCHES /* --test-disable-layers */
Test(junit, require_isolation_unmet_is_an_error)
{
	struct hb t;
	char junit[512];
	/* the worker leaves seccomp out (bit 1); seccomp is required */
	const char *opts[] = { "--test-disable-layers", "2",
			       "--require-isolation", "seccomp", NULL };
	json_t *j;
	const json_t *c;

	hb_start(&t, PATHS);
	run_junit(&t, GOOD, opts, junit, sizeof(junit));
	cr_assert_eq(t.out.code, 4, "exit %d: %s", t.out.code, t.out.err);
	j = assert_junit(&t, junit);
	c = expect_case(j, "run", "error", "infrastructure", NULL);
	cr_assert_not_null(strstr(hb_str(c, "text"), "seccomp"), "%s",
			   hb_str(c, "text"));
	json_decref(j);
	hb_finish(&t);
}
#endif

Test(junit, jobs_two_configs)
{
	struct hb t;
	char good[512], bad[512], junit[512];
	json_t *j, *s;
	size_t i, passed = 0, failed = 0;

	hb_start(&t, PATHS);
	hb_write(&t, "good.yaml", GOOD, good, sizeof(good));
	hb_write(&t, "bad.yaml",
		 "name: bad\ndescription: fails\n"
		 "initial_prompt: do it\nworkflow_phases:\n"
		 "  - phase_name: Refusing Step\n    agent: Amelia\n",
		 bad, sizeof(bad));
	snprintf(junit, sizeof(junit), "%s/junit.xml", t.dir);
	const char *args[] = { good, bad,       "--jobs", "2", "--repeat",
			       "2",  "--junit", junit,    NULL };

	hb_run(&t, args, 120);
	cr_assert_eq(t.out.code, 1);
	j = assert_junit(&t, junit);
	cr_assert_eq(json_array_size(json_object_get(j, "suites")), 4);
	/* each suite's cases matched its results (assert_junit); the run
	 * cases: two passes (good), two failures (bad) */
	json_array_foreach(json_object_get(j, "suites"), i, s) {
		const json_t *cs = json_object_get(s, "cases");
		const json_t *run = json_array_get(cs, json_array_size(cs) - 1);

		if (!strncmp(hb_str(s, "name"), "good (", 6)) {
			assert_case(run, "pass", "good");
			passed++;
		} else {
			assert_case(run, "failure", "bad");
			failed++;
		}
	}
	cr_assert_eq(passed, 2);
	cr_assert_eq(failed, 2);
	cr_assert_eq(num(json_object_get(j, "totals"), "errors"), 0);
	json_decref(j);
	hb_finish(&t);
}

/* Text no XML file may hold raw, with an agent's long answer. */
#define HOSTILE \
	"]]> <script>alert(1)</script> &amp; \"q\" 'a' \x01\x08\x0b\x0c" \
	"\x1b[31m \xef\xbf\xbe\xef\xbf\xbf \r\n end ]]>"

Test(junit, hostile_text_is_escaped)
{
	struct hb t;
	char junit[512], *big, *xml;
	size_t n = 40000, len = 0;
	json_t *j;
	const json_t *c;

	big = malloc(n + 1);
	cr_assert_not_null(big);
	memset(big, 'x', n);
	memcpy(big, HOSTILE, strlen(HOSTILE));
	big[n] = 0;
	start_own(&t, json_pack("{s:[{s:s,s:s,s:[{s:[{s:s,s:s}]}]}]}",
				"conversations", "name", "hostile", "match",
				"Good Step", "turns", "content", "type", "text",
				"text", big));
	run_junit(&t,
		  "name: \"evil ]]> <b>&amp; \\\"x\\\" \\e[2J\"\n"
		  "description: hostile\ninitial_prompt: do it\n"
		  "workflow_phases:\n  - phase_name: Good Step\n"
		  "    agent: Amelia\n",
		  NULL, junit, sizeof(junit));
	cr_assert_eq(t.out.code, 0, "exit %d: %s", t.out.code, t.out.err);
	j = assert_junit(&t, junit);
	c = case_named(j, "01 Good Step (Amelia)");
	/* parsed back: the markup is text, the forbidden characters are
	 * U+FFFD, the carriage return survives, the long text is cut */
	cr_assert_not_null(strstr(hb_str(c, "system_out"),
				  "]]> <script>alert(1)</script> &amp; "
				  "\"q\" 'a' \xef\xbf\xbd\xef\xbf\xbd"
				  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd[31m "
				  "\xef\xbf\xbd\xef\xbf\xbd \r\n end ]]>"),
			   "%s", hb_str(c, "system_out"));
	/* the session keeps 4 KiB of it (the XML cut: test_junit_render) */
	cr_assert_lt(strlen(hb_str(c, "system_out")), 4200);
	/* the config's name: markup as text, ESC as U+FFFD */
	cr_assert_eq(strncmp(hb_str(json_array_get(json_object_get(j, "suites"),
						   0),
				    "name"),
			     "evil ]]> <b>&amp; \"x\" \xef\xbf\xbd[2J (", 24),
		     0);
	xml = h_slurp(junit, &len);
	cr_assert_null(strstr(xml, "<script>"));
	cr_assert_null(strstr(xml, "]]>"));
	cr_assert_null(strstr(xml, "\x1b"));
	cr_assert_null(strstr(xml, "<![CDATA["));
	free(xml);
	free(big);
	json_decref(j);
	hb_finish(&t);
}

/* ---- before any run ----------------------------------------------------- */

/* The file of an invocation that ended early: one suite "gao-dev", one
 * error whose message holds needle. */
static void
assert_early(const char *junit, int code, const char *needle)
{
	json_t *j = junit_read(junit);
	const json_t *s = json_array_get(json_object_get(j, "suites"), 0);
	const json_t *c = json_array_get(json_object_get(s, "cases"), 0);
	char type[32];

	cr_assert_eq(json_array_size(json_object_get(j, "suites")), 1);
	cr_assert_str_eq(hb_str(s, "name"), "gao-dev");
	assert_counts_agree(json_object_get(j, "declared"),
			    json_object_get(j, "totals"), "testsuites");
	assert_counts_agree(json_object_get(s, "declared"),
			    json_object_get(s, "counted"), "gao-dev");
	cr_assert_eq(num(json_object_get(j, "totals"), "tests"), 1);
	cr_assert_eq(num(json_object_get(j, "totals"), "errors"), 1);
	assert_case(c, "error", "invocation");
	snprintf(type, sizeof(type), "exit %d", code);
	cr_assert_str_eq(hb_str(c, "type"), type);
	cr_assert_not_null(strstr(hb_str(c, "message"), needle), "%s",
			   hb_str(c, "message"));
	json_decref(j);
}

Test(junit, bad_config_exit_2_still_writes_the_file)
{
	struct hb t;
	char junit[512];

	hb_start(&t, PATHS);
	run_junit(&t, "name: broken\nworkflow_phases: 7\n", NULL, junit,
		  sizeof(junit));
	cr_assert_eq(t.out.code, 2, "exit %d: %s", t.out.code, t.out.err);
	assert_early(junit, 2, "bench.yaml");
	hb_finish(&t);
}

Test(junit, rejected_key_exit_3)
{
	struct hb t;
	char junit[512];

	hb_start(&t, PATHS);
	h_keyfile(t.dir, "not-the-fake-s-key-0123456789", t.key, sizeof(t.key));
	run_junit(&t, GOOD, NULL, junit, sizeof(junit));
	cr_assert_eq(t.out.code, 3, "exit %d: %s", t.out.code, t.out.err);
	assert_early(junit, 3, "API key is invalid");
	cr_assert(!hb_file_contains(junit, "not-the-fake-s-key"));
	hb_finish(&t);
}

Test(junit, api_down_exit_4)
{
	struct hb t;
	char junit[512];

	hb_start(&t, PATHS);
	h_fake_stop(&t.fake);
	run_junit(&t, GOOD, NULL, junit, sizeof(junit));
	cr_assert_eq(t.out.code, 4, "exit %d: %s", t.out.code, t.out.err);
	assert_early(junit, 4, "cannot reach");
	hb_finish(&t);
}

/* --junit at path: exit 2 naming --junit and the path, nothing run. */
static void
assert_refused(const char *path)
{
	struct hb t;
	char cfg[512], results[1024];
	size_t n = 0;
	char *rec;

	hb_start(&t, PATHS);
	hb_write(&t, "bench.yaml", GOOD, cfg, sizeof(cfg));
	const char *args[] = { cfg, "--junit", path, NULL };

	hb_run(&t, args, 60);
	cr_assert_eq(t.out.code, 2, "exit %d: %s", t.out.code, t.out.err);
	cr_assert_not_null(strstr(t.out.err, "--junit"), "%s", t.out.err);
	cr_assert_not_null(strstr(t.out.err, path), "%s", t.out.err);
	snprintf(results, sizeof(results), "%s/results", t.root);
	cr_assert_neq(access(results, F_OK), 0, "a run started");
	rec = h_slurp(t.fake.record, &n);
	cr_assert(!rec || n == 0, "the API was called");
	free(rec);
	hb_finish(&t);
}

Test(junit, unwritable_paths_exit_2_before_any_call)
{
	char dir[256], path[512];

	h_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/no/such/dir/junit.xml", dir);
	assert_refused(path);
	/* a directory is not a file */
	assert_refused(dir);
	if (geteuid() != 0) {
		/* a directory without write permission (root passes it) */
		snprintf(path, sizeof(path), "%s/ro", dir);
		cr_assert_eq(mkdir(path, 0500), 0);
		snprintf(path, sizeof(path), "%s/ro/junit.xml", dir);
		assert_refused(path);
	}
}

/*
 * The path was fine at the start but cannot take the file at the end (its
 * directory went away during the run): the run's own result stands in
 * its results file, and the invocation exits 4 naming --junit.
 */
Test(junit, a_file_that_cannot_be_written_at_the_end_is_exit_4)
{
	struct hb t;
	char cfg[512], dir[600], junit[700];
	size_t n = 0;
	char *rec = NULL;
	json_t *r;
	pid_t pid;

	hb_start(&t, "tests/integration/scenarios/junit-slow.json");
	hb_write(&t, "bench.yaml", GOOD, cfg, sizeof(cfg));
	snprintf(dir, sizeof(dir), "%s/out", t.dir);
	cr_assert_eq(mkdir(dir, 0700), 0);
	snprintf(junit, sizeof(junit), "%s/junit.xml", dir);
	const char *args[] = { cfg, "--junit", junit, NULL };

	pid = hb_spawn(&t, args);
	/* the fake records a request when its answer begins: the first
	 * record is the key check's GET, and the message call's answer is
	 * 2 s away: the run is in flight */
	for (int i = 0; i < 600 && n == 0; i++) {
		free(rec);
		rec = h_slurp(t.fake.record, &n);
		if (n == 0)
			usleep(50000);
	}
	free(rec);
	cr_assert_gt(n, 0, "the run never called the API");
	cr_assert_eq(rmdir(dir), 0, "%s", strerror(errno));
	hb_wait(&t, pid, 60);
	cr_assert_eq(t.out.code, 4, "exit %d: %s", t.out.code, t.out.err);
	cr_assert_not_null(strstr(t.out.err, "cannot write --junit"), "%s",
			   t.out.err);
	r = hb_results(&t);
	cr_assert_str_eq(json_string_value(json_object_get(r, "status")),
			 "completed");
	json_decref(r);
	hb_finish(&t);
}
