/*
 * test_results.c - unit tests of the results file and summary (results.h).
 *
 * Design note
 * -----------
 * results_write_atomic is exercised on a real temp directory: the file's
 * mode (whatever the umask), its exact content, that an existing file is
 * replaced by rename (a new inode, never rewritten in place), that no
 * temp file is ever left behind, and each way it can fail. The tests run
 * as root in CI, so an unwritable directory is made with paths that no
 * uid can write (a missing directory, a file used as a directory, a
 * directory where the file should go). The summary is printed into a
 * memory stream and checked line by line.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "supervisor/core/secret.h"
#include "supervisor/out/results.h"

static char dir[] = "/tmp/results-test-XXXXXX";

static void
setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(results, .init = setup, .fini = teardown);

/* Number of entries in dir (without . and ..). */
static int
entries(const char *d)
{
	DIR *dp = opendir(d);
	struct dirent *e;
	int n = 0;

	cr_assert_not_null(dp);
	while ((e = readdir(dp)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(dp);
	return n;
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	int c;

	cr_assert_not_null(f);
	while ((c = fgetc(f)) != EOF)
		fputc(c, m);
	fclose(f);
	fclose(m);
	return buf;
}

Test(results, write_mode_content_no_temp)
{
	json_t *v = json_pack("{s:s, s:i, s:[s]}", "run_id", "demo-1",
			      "exit_code", 0, "errors", "none");
	char path[256], *text;
	struct stat st;

	snprintf(path, sizeof(path), "%s/demo-1.json", dir);
	umask(0); /* the file must still be 0600 */
	cr_assert_eq(results_write_atomic(path, v), 0);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0600);
	text = slurp(path);
	cr_assert_str_eq(text,
			 "{\n  \"errors\": [\n    \"none\"\n  ],\n"
			 "  \"exit_code\": 0,\n  \"run_id\": \"demo-1\"\n}\n");
	free(text);
	cr_assert_eq(entries(dir), 1);
	json_decref(v);
}

Test(results, replaces_existing_file_by_rename)
{
	json_t *a = json_pack("{s:s}", "status", "running");
	json_t *b = json_pack("{s:s}", "status", "completed");
	char path[256], *text;
	struct stat s1, s2;
	json_t *back;

	snprintf(path, sizeof(path), "%s/r.json", dir);
	cr_assert_eq(results_write_atomic(path, a), 0);
	cr_assert_eq(stat(path, &s1), 0);
	cr_assert_eq(results_write_atomic(path, b), 0);
	cr_assert_eq(stat(path, &s2), 0);
	cr_assert_neq(s1.st_ino, s2.st_ino, "rewritten in place");
	text = slurp(path);
	back = json_loads(text, 0, NULL);
	cr_assert(json_equal(back, b));
	cr_assert_eq(entries(dir), 1);
	json_decref(back);
	free(text);
	json_decref(a);
	json_decref(b);
}

Test(results, key_is_redacted)
{
	struct secret *s;
	json_t *v;
	char path[256], *text;

	cr_assert_eq(secret_from_string("RESULTS-key-0042", &s), 0);
	v = json_pack("{s:[s]}", "errors", "401 for RESULTS-key-0042");
	snprintf(path, sizeof(path), "%s/r.json", dir);
	cr_assert_eq(results_write_atomic(path, v), 0);
	text = slurp(path);
	cr_assert_null(strstr(text, "RESULTS-key-0042"));
	cr_assert_neq(strstr(text, "401 for [REDACTED]"), NULL);
	free(text);
	json_decref(v);
	secret_free(s);
}

Test(results, failures_leave_nothing)
{
	json_t *v = json_pack("{s:s}", "a", "b");
	char path[PATH_MAX + 64];

	/* a directory that does not exist */
	snprintf(path, sizeof(path), "%s/missing/r.json", dir);
	cr_assert_eq(results_write_atomic(path, v), -ENOENT);
	/* a file where a directory should be */
	snprintf(path, sizeof(path), "%s/file", dir);
	cr_assert_eq(results_write_atomic(path, v), 0);
	snprintf(path, sizeof(path), "%s/file/r.json", dir);
	cr_assert_eq(results_write_atomic(path, v), -ENOTDIR);
	/* a directory where the file should be: the rename fails, and
	 * the temp file written before it is removed again */
	snprintf(path, sizeof(path), "%s/sub", dir);
	cr_assert_eq(mkdir(path, 0700), 0);
	cr_assert_eq(results_write_atomic(path, v), -EISDIR);
	cr_assert_eq(entries(dir), 2, "a temp file was left behind");
	/* a path too long for the temp name */
	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = 0;
	cr_assert_eq(results_write_atomic(path, v), -ENAMETOOLONG);
	json_decref(v);
}

Test(results, stale_temp_file_is_not_followed)
{
	/* a symlink planted at the temp name is refused, not followed */
	json_t *v = json_pack("{s:s}", "a", "b");
	char path[256], tmp[300], target[300];
	struct stat st;

	snprintf(path, sizeof(path), "%s/r.json", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	snprintf(target, sizeof(target), "%s/target", dir);
	cr_assert_eq(symlink(target, tmp), 0);
	cr_assert_lt(results_write_atomic(path, v), 0);
	cr_assert_neq(lstat(target, &st), 0, "followed the symlink");
	json_decref(v);
}

/* The summary of r, as text (caller frees). */
static char *
summary(const json_t *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	results_print_summary(f, r);
	cr_assert_eq(fclose(f), 0);
	return buf;
}

static json_t *
sample(void)
{
	json_error_t je;
	json_t *r = json_loads(
		"{\"run_id\": \"demo-calculator-20261124-040000-0badf00d\","
		" \"status\": \"stopped\", \"stop_reason\": \"max_cost\","
		" \"duration_seconds\": 12.34, \"max_cost_usd\": 10,"
		" \"metrics\": {\"cost_usd\": 0.01234,"
		"   \"tokens\": {\"input\": 100, \"output\": 20,"
		"     \"cache_creation\": 3000, \"cache_read\": 4000},"
		"   \"api_calls\": 5, \"retries\": 1, \"tool_calls\": 9,"
		"   \"tool_errors\": 2, \"tool_calls_refused\": 1},"
		" \"isolation\": {\"summary\": \"landlock+seccomp\"},"
		" \"phases\": ["
		"   {\"name\": \"Implementation\", \"agent\": \"Amelia\","
		"    \"status\": \"success\", \"duration_seconds\": 7.5,"
		"    \"tokens\": {\"input\": 60, \"output\": 10,"
		"      \"cache_creation\": 3000, \"cache_read\": 1000},"
		"    \"cost_usd\": 0.005},"
		"   {\"name\": \"Testing\", \"agent\": \"Murat\","
		"    \"status\": \"stopped\", \"duration_seconds\": 4,"
		"    \"tokens\": {\"input\": 40, \"output\": 10,"
		"      \"cache_creation\": 0, \"cache_read\": 3000},"
		"    \"cost_usd\": null}],"
		" \"success_criteria\": ["
		"   {\"name\": \"tests_passing\", \"outcome\": \"passed\"},"
		"   {\"name\": \"min_test_coverage\", \"outcome\": \"skipped\","
		"    \"reason\": \"no coverage tool\"}],"
		" \"errors\": [\"phase Testing: stopped by --max-cost-usd\"],"
		" \"project_dir\": \"sb/projects/demo\","
		" \"results_file\": \"sb/results/demo.json\","
		" \"run_dir\": \"sb/runs/demo\"}",
		0, &je);

	cr_assert_not_null(r, "%s", je.text);
	return r;
}

static void
expect_line(const char *text, const char *line)
{
	cr_assert_neq(strstr(text, line), NULL, "no line \"%s\" in:\n%s", line,
		      text);
}

Test(results, summary_lines)
{
	json_t *r = sample();
	char *s = summary(r);

	expect_line(s, "run:       demo-calculator-20261124-040000-0badf00d\n");
	expect_line(s, "status:    stopped (max_cost)\n");
	expect_line(s, "duration:  12.3 s\n");
	expect_line(s, "cost:      $0.0123 (cap $10.00, --max-cost-usd)\n");
	expect_line(s, "tokens:    100 in, 20 out, 3000 cache write, 4000 "
		       "cache read\n");
	expect_line(s, "api calls: 5 (1 retries), tool calls: 9 (2 errors, 1 "
		       "refused)\n");
	expect_line(s, "isolation: landlock+seccomp\n");
	expect_line(s, "  1   Implementation               Amelia    success   "
		       "     7.5       4070 $0.0050\n");
	expect_line(s, "  2   Testing                      Murat     stopped   "
		       "     4.0       3050 unknown\n");
	expect_line(s, "criteria:\n  passed   tests_passing\n"
		       "  skipped  min_test_coverage (no coverage tool)\n");
	expect_line(s, "errors:\n  phase Testing: stopped by --max-cost-usd\n");
	expect_line(s, "project:   sb/projects/demo\n");
	expect_line(s, "results:   sb/results/demo.json\n");
	expect_line(s, "logs:      sb/runs/demo\n");
	free(s);
	json_decref(r);
}

Test(results, summary_of_a_sparse_document)
{
	/* a run that failed early has few keys: nothing is invented */
	json_t *r = json_pack("{s:s, s:s, s:[i]}", "run_id", "x-1", "status",
			      "error", "errors", 42);
	char *s = summary(r);

	expect_line(s, "run:       x-1\n");
	expect_line(s, "status:    error\n");
	expect_line(s, "cost:      unknown\n");
	cr_assert_null(strstr(s, "cap $"));
	cr_assert_null(strstr(s, "criteria:"));
	cr_assert_null(strstr(s, "(null)"), "%s", s);
	free(s);
	json_decref(r);
}

Test(results, summary_of_huge_numbers)
{
	/* a hostile copy's numbers past any integer (results merge prints
	 * the shards' summaries): saturated, never a cast with no defined
	 * result (the sanitizer build runs this test) */
	json_t *r = json_loads(
		"{\"run_id\": \"x-1\", \"status\": \"error\","
		" \"metrics\": {\"tokens\": {\"input\": 1e308,"
		"   \"output\": -1e308, \"cache_creation\": 2.5,"
		"   \"cache_read\": 9223372036854775807},"
		"   \"api_calls\": 1e19, \"retries\": 0},"
		" \"phases\": [{\"name\": \"P\", \"agent\": \"A\","
		"   \"status\": \"error\", \"duration_seconds\": 1e308,"
		"   \"tokens\": {\"input\": 1e308, \"output\": 1e308},"
		"   \"audit_records\": 1e300, \"audit_head\": \"h\"}]}",
		0, NULL);
	char *s;

	cr_assert_not_null(r);
	s = summary(r);
	expect_line(s, "tokens:    9223372036854775807 in, "
		       "-9223372036854775808 out, 2 cache write, "
		       "9223372036854775807 cache read\n");
	expect_line(s, "api calls: 9223372036854775807 (0 retries)");
	expect_line(s, " 9223372036854775807 ");
	free(s);
	json_decref(r);
}

Test(results, summary_is_redacted)
{
	struct secret *k;
	json_t *r;
	char *s;

	cr_assert_eq(secret_from_string("SUMMARY-key-77", &k), 0);
	r = json_pack("{s:s, s:s, s:[s]}", "run_id", "x-1", "status", "error",
		      "errors", "API said: bad key SUMMARY-key-77");
	s = summary(r);
	cr_assert_null(strstr(s, "SUMMARY-key-77"), "%s", s);
	expect_line(s, "  API said: bad key [REDACTED]\n");
	free(s);
	json_decref(r);
	secret_free(k);
}

/* What the runner reads back at the end (runner_end.c) is what it wrote:
 * the redacted document, equal to the one given less the key. */
Test(results, read_back_what_was_written)
{
	json_t *v = json_pack("{s:s, s:i, s:{s:s}}", "run_id", "demo-1",
			      "exit_code", 5, "benchmark", "name", "demo");
	char path[256], err[512];
	json_t *back;

	snprintf(path, sizeof(path), "%s/demo-1.json", dir);
	cr_assert_eq(results_write_atomic(path, v), 0);
	back = results_read(path, err, sizeof(err));
	cr_assert_not_null(back, "%s", err);
	cr_assert(json_equal(back, v));
	json_decref(back);
	json_decref(v);
}

/* Each way a file is not results: named, with the path, never parsed. */
Test(results, read_refuses_what_is_not_results)
{
	static const char *const bodies[] = { "[1, 2]", "{\"a\": 1", "",
					      "{\"a\": 1, \"a\": 2}" };
	char path[256], link[300], err[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/r.json", dir);
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		f = fopen(path, "we");
		cr_assert_not_null(f);
		fputs(bodies[i], f);
		fclose(f);
		err[0] = '\0';
		cr_expect_null(results_read(path, err, sizeof(err)), "%s",
			       bodies[i]);
		cr_expect(strstr(err, "not a results file") &&
				  strstr(err, path),
			  "%s: %s", bodies[i], err);
	}
	/* a symlink, a directory, nothing */
	snprintf(link, sizeof(link), "%s/link.json", dir);
	cr_assert_eq(symlink(path, link), 0);
	cr_expect_null(results_read(link, err, sizeof(err)));
	cr_expect(strstr(err, link) != NULL, "%s", err);
	cr_expect_null(results_read(dir, err, sizeof(err)));
	cr_expect(strstr(err, "not a regular file") != NULL, "%s", err);
	snprintf(link, sizeof(link), "%s/missing.json", dir);
	cr_expect_null(results_read(link, err, sizeof(err)));
	cr_expect(strstr(err, "cannot open") != NULL, "%s", err);
}
