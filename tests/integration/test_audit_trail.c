/*
 * test_audit_trail.c - issue 13: `gao-dev audit verify RUN_DIR` and
 * `gao-dev audit show` on real runs.
 *
 * A real run (the flat fixture: John writes docs/requirements.md, Amelia
 * writes wc.py and test_wc.py and runs Bash) against the fake API; then
 * its sandbox root is copied and each copy tampered with one way: the last
 * line cut off, the last line cut in the middle, a middle record edited, a
 * record removed, a log replaced by another run's log, the results' head
 * edited, a log added that the results do not name, bytes hidden after a
 * NUL inside a record's line, an endless line. verify RUN_DIR must
 * exit 1 and name file:line for each; the untouched run verifies (exit 0).
 * show lists the tool calls with each filter and as JSON lines; a hostile
 * path with ESC sequences and a newline prints inert, on one line.
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness_bench.h"

static void
run_flat(struct hb *t)
{
	char cfg[512];

	hb_start(t, "tests/integration/scenarios/fixture-flat.json");
	hb_fixture("flat-phases.yaml", cfg, sizeof(cfg));
	const char *args[] = { cfg, NULL };

	hb_run(t, args, 120);
}

/* gao-dev audit ARGS...: its stdout+stderr, exit status in *st. */
static char *
audit(int *st, const char *a, const char *b, const char *c, const char *d,
      const char *e)
{
	const char *argv[] = {
		getenv("GAO_DEV"), "audit", a, b, c, d, e, NULL
	};

	return hb_capture(argv, st);
}

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A shell command (paths are the test's own temp dirs), which must
 * succeed. */
static void
sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
}

/* A copy of t's sandbox root at t->dir/name; its run directory path
 * (same run id) into run. */
static void
copy_root(const struct hb *t, const json_t *r, const char *name, char *run,
	  size_t cap)
{
	char dst[400];
	const char *id = hb_str(r, "run_id");

	snprintf(dst, sizeof(dst), "%s/%s", t->dir, name);
	sh("cp -a '%s' '%s'", t->root, dst);
	snprintf(run, cap, "%s/runs/%s", dst, id);
}

/* run/agents/<basename of phase i's audit_log> */
static void
log_of(const json_t *r, size_t i, const char *run, char *buf, size_t cap)
{
	const char *log = hb_str(hb_phase(r, i), "audit_log");

	snprintf(buf, cap, "%s/agents/%s", run, strrchr(log, '/') + 1);
}

/* verify RUN_DIR fails (exit 1) and names want ("file:line: BROKEN"). */
static void
assert_broken(const char *run, const char *file, long line, const char *how)
{
	char want[1200];
	int st;
	char *out = audit(&st, "verify", run, NULL, NULL, NULL);

	snprintf(want, sizeof(want), "%s:%ld: BROKEN", file, line);
	cr_assert_eq(st, 1, "%s: exit %d:\n%s", how, st, out);
	cr_assert_not_null(strstr(out, want), "%s: no \"%s\" in:\n%s", how,
			   want, out);
	cr_assert_not_null(strstr(out, "FAILED"), "%s:\n%s", how, out);
	free(out);
}

Test(audit, verify_run_detects_every_tampering, .timeout = 300)
{
	struct hb t, t2;
	json_t *r, *r2;
	char run[1024], log[1300], log2[1300], other[1300], want[512];
	int st;
	char *out;
	long n;

	run_flat(&t);
	r = hb_results(&t);
	hb_assert_run(&t, r, 0, "completed", "");
	cr_assert_eq(hb_int(r, "audit_format"), 1);
	n = hb_int(hb_phase(r, 1), "audit_records");
	cr_assert_gt(n, 3, "Amelia's log has %ld records", n);
	/* the summary carries each chain head and count (the CI log) */
	for (size_t i = 0; i < 2; i++) {
		snprintf(want, sizeof(want),
			 "audit:     %02zu %s %s %s (%lld "
			 "records)",
			 i + 1, hb_str(hb_phase(r, i), "name"),
			 hb_str(hb_phase(r, i), "agent"),
			 hb_str(hb_phase(r, i), "audit_head"),
			 hb_int(hb_phase(r, i), "audit_records"));
		cr_assert_not_null(strstr(t.out.out, want), "no \"%s\" in:\n%s",
				   want, t.out.out);
	}

	snprintf(want, sizeof(want), "audit:     run gao-dev %s (%lld records)",
		 hb_str(json_object_get(r, "run_audit"), "head"),
		 hb_int(json_object_get(r, "run_audit"), "records"));
	cr_assert_not_null(strstr(t.out.out, want), "no \"%s\" in:\n%s", want,
			   t.out.out);

	/* the untouched run verifies, by directory and by results file */
	out = audit(&st, "verify", hb_str(r, "run_dir"), NULL, NULL, NULL);
	cr_assert_eq(st, 0, "%s", out);
	cr_assert_not_null(strstr(out, "verified: 3 audit logs"), "%s", out);
	free(out);
	out = audit(&st, "verify", hb_str(r, "results_file"), NULL, NULL, NULL);
	cr_assert_eq(st, 0, "%s", out);
	free(out);
	/* one file: its chain, and the caveat */
	out = audit(&st, "verify", hb_str(hb_phase(r, 1), "audit_log"), NULL,
		    NULL, NULL);
	cr_assert_eq(st, 0, "%s", out);
	cr_assert_not_null(strstr(out, "a single file cannot show truncation"),
			   "%s", out);
	free(out);

	/* the last line cut off: a valid, shorter chain */
	copy_root(&t, r, "cut", run, sizeof(run));
	log_of(r, 1, run, log, sizeof(log));
	sh("sed -i '$d' '%s'", log);
	out = audit(&st, "verify", log, NULL, NULL, NULL);
	cr_assert_eq(st, 0, "a cut log alone still chains:\n%s", out);
	free(out);
	assert_broken(run, log, n, "last line removed");

	/* the last line cut in its middle */
	copy_root(&t, r, "half", run, sizeof(run));
	log_of(r, 1, run, log, sizeof(log));
	sh("truncate -s -20 '%s'", log);
	assert_broken(run, log, n, "last line cut mid-way");

	/* bytes hidden in record 2 after a NUL, where a C string ends */
	copy_root(&t, r, "nul", run, sizeof(run));
	log_of(r, 1, run, log, sizeof(log));
	sh("perl -pi -e 's/\\n$/\\0hidden\\n/ if $. == 2' '%s'", log);
	sh("grep -qa hidden '%s'", log);
	assert_broken(run, log, 2, "bytes after a NUL in record 2");

	/* an endless line at the end (8 MiB of it): broken, and read only
	 * up to the longest record there can be */
	copy_root(&t, r, "endless", run, sizeof(run));
	log_of(r, 1, run, log, sizeof(log));
	sh("head -c 8388608 /dev/zero | tr '\\0' x >> '%s'", log);
	assert_broken(run, log, n + 1, "an endless last line");
	out = audit(&st, "verify", log, NULL, NULL, NULL);
	cr_assert_eq(st, 1, "%s", out);
	cr_assert_not_null(strstr(out, "record longer than 1048576 bytes"),
			   "%s", out);
	free(out);

	/* the run-level log (gao-dev's own commands) cut at the end */
	copy_root(&t, r, "runcut", run, sizeof(run));
	snprintf(log, sizeof(log), "%s/gao-dev.audit.jsonl", run);
	sh("sed -i '$d' '%s'", log);
	assert_broken(run, log,
		      hb_int(json_object_get(r, "run_audit"), "records"),
		      "run log's last line removed");

	/* a middle record edited */
	copy_root(&t, r, "edit", run, sizeof(run));
	log_of(r, 1, run, log, sizeof(log));
	sh("sed -i '3s/\"tool\":\"/\"tool\":\"X/' '%s'", log);
	assert_broken(run, log, 3, "record 3 edited");

	/* a middle record removed */
	copy_root(&t, r, "removed", run, sizeof(run));
	log_of(r, 1, run, log, sizeof(log));
	sh("sed -i '2d' '%s'", log);
	assert_broken(run, log, 2, "record 2 removed");

	/* the results' head edited (the log intact) */
	copy_root(&t, r, "head", run, sizeof(run));
	log_of(r, 0, run, log, sizeof(log));
	snprintf(other, sizeof(other), "%s/head/results/%s.json", t.dir,
		 hb_str(r, "run_id"));
	sh("sed -i 's/%s/0000000000000000000000000000000000000000000000000"
	   "000000000000000/' '%s'",
	   hb_str(hb_phase(r, 0), "audit_head"), other);
	assert_broken(run, log, hb_int(hb_phase(r, 0), "audit_records"),
		      "results head edited");

	/* a log the results file does not name */
	copy_root(&t, r, "extra", run, sizeof(run));
	log_of(r, 0, run, log, sizeof(log));
	snprintf(other, sizeof(other), "%s/agents/03-x-mallory.audit.jsonl",
		 run);
	sh("cp '%s' '%s'", log, other);
	assert_broken(run, other, 1, "an extra log");

	/* a log replaced by another run's log of the same phase */
	run_flat(&t2);
	r2 = hb_results(&t2);
	copy_root(&t, r, "replaced", run, sizeof(run));
	log_of(r, 1, run, log, sizeof(log));
	log_of(r2, 1, hb_str(r2, "run_dir"), log2, sizeof(log2));
	sh("cp '%s' '%s'", log2, log);
	out = audit(&st, "verify", log, NULL, NULL, NULL);
	cr_assert_eq(st, 0, "the other run's log chains alone:\n%s", out);
	free(out);
	assert_broken(run, log, hb_int(hb_phase(r2, 1), "audit_records"),
		      "log replaced");

	/* unreadable input: exit 2 */
	snprintf(other, sizeof(other), "%s/nowhere", t.dir);
	out = audit(&st, "verify", other, NULL, NULL, NULL);
	cr_assert_eq(st, 2, "%s", out);
	free(out);
	json_decref(r2);
	hb_finish(&t2);
	json_decref(r);
	hb_finish(&t);
}

/* Lines of out that contain needle. */
static size_t
count_lines(const char *out, const char *needle)
{
	size_t n = 0;
	const char *p = out;

	while (*p) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		char *line = strndup(p, len);

		n += strstr(line, needle) != NULL;
		free(line);
		p += len + (e != NULL);
	}
	return n;
}

Test(audit, show_lists_and_filters, .timeout = 300)
{
	struct hb t;
	json_t *r;
	char run[1024], log[1300];
	const char *dir;
	int st;
	char *out;

	run_flat(&t);
	r = hb_results(&t);
	dir = hb_str(r, "run_dir");
	out = audit(&st, "show", dir, NULL, NULL, NULL);
	cr_assert_eq(st, 0, "%s", out);
	cr_assert_eq(count_lines(out, " John Write ok docs/requirements.md"), 1,
		     "%s", out);
	cr_assert_eq(count_lines(out, " Amelia Write ok wc.py"), 1, "%s", out);
	cr_assert_eq(count_lines(out, " Amelia Write ok test_wc.py"), 1, "%s",
		     out);
	cr_assert_eq(count_lines(out, " Amelia Bash "), 1, "%s", out);
	free(out);

	/* gao-dev's own commands: git init and the commits, with exit codes */
	out = audit(&st, "show", dir, "--agent", "gao-dev", NULL);
	cr_assert_eq(st, 0, "%s", out);
	cr_assert_gt(count_lines(out, " gao-dev Bash ok "), 2, "%s", out);
	cr_assert_eq(count_lines(out, " John "), 0, "%s", out);
	cr_assert_gt(count_lines(out, "git init"), 0, "%s", out);
	cr_assert_gt(count_lines(out, "git commit"), 1, "%s", out);
	free(out);
	out = audit(&st, "show", dir, "--agent", "gao-dev", "--json");
	cr_assert_gt(count_lines(out, "\"exit_code\":0"), 2, "%s", out);
	free(out);

	out = audit(&st, "show", dir, "--agent", "John", NULL);
	cr_assert_eq(st, 0, "%s", out);
	cr_assert_eq(count_lines(out, " Amelia "), 0, "%s", out);
	cr_assert_eq(count_lines(out, " John Write "), 1, "%s", out);
	free(out);

	out = audit(&st, "show", dir, "--tool", "Bash", NULL);
	cr_assert_eq(st, 0, "%s", out);
	cr_assert_eq(count_lines(out, " Write "), 0, "%s", out);
	cr_assert_eq(count_lines(out, " Amelia Bash "), 1, "%s", out);
	free(out);

	out = audit(&st, "show", dir, "--path", "*wc.py", NULL);
	cr_assert_eq(st, 0, "%s", out);
	cr_assert_eq(count_lines(out, " Write ok "), 2, "%s", out);
	cr_assert_eq(count_lines(out, "requirements"), 0, "%s", out);
	free(out);
	out = audit(&st, "show", dir, "--path", "docs/*", NULL);
	cr_assert_eq(count_lines(out, " Write ok "), 1, "%s", out);
	cr_assert_eq(count_lines(out, "docs/requirements.md"), 1, "%s", out);
	free(out);

	/* --json: one object per line, with the fields */
	out = audit(&st, "show", dir, "--json", "--tool", "Write");
	cr_assert_eq(st, 0, "%s", out);
	{
		size_t lines = 0;
		char *save = NULL;

		for (char *l = strtok_r(out, "\n", &save); l;
		     l = strtok_r(NULL, "\n", &save)) {
			json_error_t e;
			json_t *o = json_loads(l, 0, &e);

			cr_assert_not_null(o, "not JSON: %s", l);
			cr_assert_str_eq(hb_str(o, "tool"), "Write");
			cr_assert_str_eq(hb_str(o, "result"), "ok");
			cr_assert(json_is_false(json_object_get(o, "refused")));
			cr_assert(json_is_integer(json_object_get(o, "line")));
			cr_assert(*hb_str(o, "ts") && *hb_str(o, "agent") &&
				  *hb_str(o, "target") && *hb_str(o, "log"));
			json_decref(o);
			lines++;
		}
		cr_assert_eq(lines, 3);
	}
	free(out);

	/* a broken chain: what chains is shown, the break named, exit 1 */
	copy_root(&t, r, "removed", run, sizeof(run));
	log_of(r, 1, run, log, sizeof(log));
	sh("sed -i '3d' '%s'", log);
	out = audit(&st, "show", log, NULL, NULL, NULL);
	cr_assert_eq(st, 1, "%s", out);
	cr_assert_eq(count_lines(out, " Amelia Write ok wc.py"), 1, "%s", out);
	cr_assert_eq(count_lines(out, ":3: BROKEN"), 1, "%s", out);
	cr_assert_eq(count_lines(out, "test_wc.py"), 0, "%s", out);
	free(out);
	out = audit(&st, "show", run, NULL, NULL, NULL);
	cr_assert_eq(st, 1, "%s", out);
	free(out);
	json_decref(r);
	hb_finish(&t);
}

Test(audit, hostile_values_print_inert, .timeout = 300)
{
	struct hb t;
	json_t *r;
	char cfg[512];
	const char *dir;
	int st;
	char *out;

	hb_start(&t, "tests/integration/scenarios/audit-hostile.json");
	hb_write(&t, "bench.yaml",
		 "name: hostile audit\ndescription: hostile paths\n"
		 "initial_prompt: do it\nworkflow_phases:\n"
		 "  - phase_name: Write Step\n    agent: Amelia\n",
		 cfg, sizeof(cfg));
	const char *args[] = { cfg, NULL };

	hb_run(&t, args, 120);
	r = hb_results(&t);
	dir = hb_str(r, "run_dir");
	for (int json = 0; json < 2; json++) {
		out = audit(&st, "show", dir, json ? "--json" : NULL, NULL,
			    NULL);
		cr_assert_eq(st, 0, "%s", out);
		cr_assert_null(strchr(out, 0x1b), "raw ESC in:\n%s", out);
		cr_assert_null(strchr(out, 0x07), "raw BEL in:\n%s", out);
		cr_assert_null(strstr(out, "\xc2\x9b"), "raw C1 CSI");
		cr_assert_null(strstr(out, "\xe2\x80\xae"), "raw bidi");
		cr_assert_eq(count_lines(out, "pwned"), 1, "%s", out);
		cr_assert_eq(count_lines(out, "cleared"), 1, "%s", out);
		/* the newline in the path does not start a forged line */
		cr_assert_eq(count_lines(out, "FORGED"), 1, "%s", out);
		cr_assert_eq(count_lines(out, "pwned") &&
				     strstr(out, "\nFORGED") == NULL,
			     1, "%s", out);
		free(out);
	}
	json_decref(r);
	hb_finish(&t);
}
