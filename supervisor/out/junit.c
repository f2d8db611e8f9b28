/*
 * junit.c - JUnit XML from results documents. See junit.h.
 */
#include "supervisor/out/junit.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/io.h"
#include "config.h"
#include "supervisor/core/secret.h"
#include "supervisor/out/jfield.h"
#include "supervisor/out/results.h"
#include "supervisor/out/xmltext.h"

enum junit_kind { JUNIT_PASS, JUNIT_FAIL, JUNIT_ERROR, JUNIT_SKIP };

/* One testcase's outcome: its kind, a message and an optional detail. */
struct outcome {
	enum junit_kind kind;
	const char *type; /* the type attribute of failure/error */
	char msg[JUNIT_MAX_MESSAGE + 64];
	const char *detail; /* element text, or NULL */
};

/* The counts of a suite (and of the whole file). */
struct counts {
	long tests, failures, errors, skipped;
	double time;
};

/* A value, redacted first (a key cut in half could not be), then
 * escaped and bounded. */
static void
put(FILE *f, const char *s, size_t max, bool attr)
{
	char *red = secret_redact(s ? s : "");

	if (red)
		xmltext_puts(f, red, max, attr);
	free(red);
}

static void
attr(FILE *f, const char *name, const char *value, size_t max)
{
	fprintf(f, " %s=\"", name);
	put(f, value, max, true);
	fputc('"', f);
}

static void
prop(FILE *f, const char *name, const char *value)
{
	fputs("      <property", f);
	attr(f, "name", name, JUNIT_MAX_MESSAGE);
	attr(f, "value", value, JUNIT_MAX_MESSAGE);
	fputs("/>\n", f);
}

static void
prop_num(FILE *f, const char *name, const json_t *v)
{
	char buf[64];

	if (json_is_integer(v))
		snprintf(buf, sizeof(buf), "%lld",
			 (long long)json_integer_value(v));
	else if (json_is_number(v))
		snprintf(buf, sizeof(buf), "%.6f", json_number_value(v));
	else
		snprintf(buf, sizeof(buf), "unknown");
	prop(f, name, buf);
}

/* How a phase (or step) ended, as a testcase outcome. */
static void
phase_outcome(const json_t *p, struct outcome *o)
{
	const char *st = jfield_str(p, "status"),
		   *why = jfield_str(p, "stop_reason");
	const char *err = jfield_str(p, "error");

	o->detail = *err ? err : NULL;
	if (!strcmp(st, "success")) {
		o->kind = JUNIT_PASS;
	} else if (!strcmp(st, "skipped")) {
		o->kind = JUNIT_SKIP;
		snprintf(o->msg, sizeof(o->msg), "%s", jfield_str(p, "reason"));
	} else if (!strcmp(st, "failed")) {
		o->kind = JUNIT_FAIL;
		o->type = "failed";
		snprintf(o->msg, sizeof(o->msg), "phase failed: %s%s%.1024s",
			 *why ? why : "failed", *err ? ": " : "", err);
	} else if (!strcmp(st, "timeout") || !strcmp(st, "stopped")) {
		o->kind = JUNIT_FAIL;
		o->type = "limit";
		snprintf(o->msg, sizeof(o->msg), "stopped by a limit: %s (%s)",
			 *why ? why : st, st);
	} else {
		/* error, cancelled, or a status this version does not know */
		o->kind = JUNIT_ERROR;
		o->type = !strcmp(st, "cancelled") ? "cancelled" :
						     "infrastructure";
		snprintf(o->msg, sizeof(o->msg), "%s: %s%s%.1024s", st,
			 *why ? why : st, *err ? ": " : "", err);
	}
}

static void
criterion_outcome(const json_t *c, struct outcome *o)
{
	const char *oc = jfield_str(c, "outcome"),
		   *why = jfield_str(c, "reason");

	if (!strcmp(oc, "passed")) {
		o->kind = JUNIT_PASS;
	} else if (!strcmp(oc, "skipped")) {
		o->kind = JUNIT_SKIP;
		snprintf(o->msg, sizeof(o->msg), "%s", why);
	} else {
		o->kind = JUNIT_FAIL;
		o->type = "criterion";
		snprintf(o->msg, sizeof(o->msg), "criterion %s: %.1024s", oc,
			 why);
	}
}

/* What failed in a failed run: the criteria and phases, by name. */
static void
failed_parts(const json_t *r, char *buf, size_t cap)
{
	size_t len = 0, i;
	json_t *e;

	buf[0] = 0;
	json_array_foreach(json_object_get(r, "success_criteria"), i, e)
		if (!strcmp(jfield_str(e, "outcome"), "failed") && len < cap)
			len += (size_t)snprintf(buf + len, cap - len,
						"%scriterion %s",
						len ? ", " : "",
						jfield_str(e, "name"));
	json_array_foreach(json_object_get(r, "phases"), i, e)
		if (strcmp(jfield_str(e, "status"), "success") != 0 &&
		    strcmp(jfield_str(e, "status"), "skipped") != 0 &&
		    len < cap)
			len += (size_t)snprintf(buf + len, cap - len,
						"%sphase %s (%s)",
						len ? ", " : "",
						jfield_str(e, "name"),
						jfield_str(e, "status"));
}

/* The first entry of the run's errors, as text. */
static const char *
first_error(const json_t *r)
{
	const char *s = json_string_value(
		json_array_get(json_object_get(r, "errors"), 0));

	return s ? s : "";
}

static void
run_outcome(const json_t *r, struct outcome *o, char *parts, size_t cap)
{
	const char *st = jfield_str(r, "status"),
		   *why = jfield_str(r, "stop_reason");
	const char *err = first_error(r);

	o->detail = NULL;
	if (!strcmp(st, "completed")) {
		o->kind = JUNIT_PASS;
	} else if (!strcmp(st, "failed")) {
		o->kind = JUNIT_FAIL;
		o->type = "failed";
		failed_parts(r, parts, cap);
		snprintf(o->msg, sizeof(o->msg), "benchmark failed: %s%s%s",
			 parts, *parts && *err ? "; " : "", err);
	} else if (!strcmp(st, "timeout") || !strcmp(st, "stopped")) {
		o->kind = JUNIT_FAIL;
		o->type = "limit";
		snprintf(o->msg, sizeof(o->msg),
			 "stopped by a limit: %s (status %s)", *why ? why : st,
			 st);
	} else {
		o->kind = JUNIT_ERROR;
		o->type = !strcmp(st, "cancelled") ? "cancelled" :
						     "infrastructure";
		snprintf(o->msg, sizeof(o->msg), "%s: %s%s%s",
			 !strcmp(st, "cancelled") ? "cancelled" :
						    "infrastructure error",
			 *why ? why : st, *err ? ": " : "", err);
	}
}

/* One <testcase> with its outcome and output; counts into c. */
static void
testcase(FILE *f, const char *cls, const char *name, double secs,
	 const struct outcome *o, const char *out, struct counts *c)
{
	static const char *const tag[] = { "", "failure", "error", "skipped" };

	fputs("    <testcase", f);
	attr(f, "classname", cls, JUNIT_MAX_MESSAGE);
	attr(f, "name", name, JUNIT_MAX_MESSAGE);
	/* the suite's time is the sum of what its cases say, to the digit */
	secs = secs > 0 ? (double)jfield_ll(secs * 1000 + 0.5) / 1000 : 0.0;
	fprintf(f, " time=\"%.3f\"", secs);
	c->time += secs;
	if (o->kind == JUNIT_PASS && !(out && *out)) {
		fputs("/>\n", f);
		goto count;
	}
	fputs(">\n", f);
	if (o->kind != JUNIT_PASS) {
		fprintf(f, "      <%s", tag[o->kind]);
		attr(f, "message", o->msg, JUNIT_MAX_MESSAGE);
		if (o->kind != JUNIT_SKIP)
			attr(f, "type", o->type, JUNIT_MAX_MESSAGE);
		fputc('>', f);
		put(f, o->detail ? o->detail : o->msg, JUNIT_MAX_TEXT, false);
		fprintf(f, "</%s>\n", tag[o->kind]);
	}
	if (out && *out) {
		fputs("      <system-out>", f);
		put(f, out, JUNIT_MAX_TEXT, false);
		fputs("</system-out>\n", f);
	}
	fputs("    </testcase>\n", f);
count:
	c->tests++;
	c->failures += o->kind == JUNIT_FAIL;
	c->errors += o->kind == JUNIT_ERROR;
	c->skipped += o->kind == JUNIT_SKIP;
}

static void
phase_cases(FILE *f, const json_t *r, const char *bench, struct counts *c)
{
	char cls[600], name[1200];
	struct outcome o;
	json_t *p;
	size_t i;

	snprintf(cls, sizeof(cls), "%.500s.phases", bench);
	json_array_foreach(json_object_get(r, "phases"), i, p) {
		const char *out = jfield_str(p, "final_text");

		memset(&o, 0, sizeof(o));
		phase_outcome(p, &o);
		snprintf(name, sizeof(name), "%02zu %.500s (%.500s)", i + 1,
			 jfield_str(p, "name"), jfield_str(p, "agent"));
		testcase(f, cls, name,
			 json_number_value(
				 json_object_get(p, "duration_seconds")),
			 &o, *out ? out : jfield_str(p, "output"), c);
	}
}

static void
criterion_cases(FILE *f, const json_t *r, const char *bench, struct counts *c)
{
	char cls[600], name[600];
	struct outcome o;
	json_t *e;
	size_t i;

	snprintf(cls, sizeof(cls), "%.500s.criteria", bench);
	json_array_foreach(json_object_get(r, "success_criteria"), i, e) {
		memset(&o, 0, sizeof(o));
		criterion_outcome(e, &o);
		/* numbered: required_features has one entry per feature */
		snprintf(name, sizeof(name), "%02zu %.500s", i + 1,
			 jfield_str(e, "name"));
		testcase(f, cls, name, 0, &o, NULL, c);
	}
}

/* The run's errors, one per line: the detail of its own testcase. */
static char *
errors_text(const json_t *r)
{
	char *buf = NULL;
	size_t len = 0, i;
	FILE *m = open_memstream(&buf, &len);
	json_t *e;

	if (!m)
		return NULL;
	json_array_foreach(json_object_get(r, "errors"), i, e) {
		char *j = json_is_string(e) ? NULL :
					      json_dumps(e, JSON_ENCODE_ANY);

		fprintf(m, "%s\n", j ? j : json_string_value(e));
		free(j);
	}
	if (fclose(m) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void
properties(FILE *f, const json_t *r)
{
	const json_t *rep = json_object_get(r, "reproduce");
	const json_t *m = json_object_get(r, "metrics");
	const json_t *tok = json_object_get(m, "tokens");
	const json_t *iso = json_object_get(r, "isolation");
	char name[600];
	json_t *p;
	size_t i;

	fputs("    <properties>\n", f);
	prop(f, "run_id", jfield_str(r, "run_id"));
	prop(f, "status", jfield_str(r, "status"));
	prop(f, "stop_reason", jfield_str(r, "stop_reason"));
	prop_num(f, "exit_code", json_object_get(r, "exit_code"));
	prop(f, "gao_dev_version",
	     *jfield_str(rep, "gao_dev_version") ?
		     jfield_str(rep, "gao_dev_version") :
		     GAO_DEV_VERSION);
	prop(f, "model", jfield_str(rep, "model"));
	prop(f, "api_version", jfield_str(rep, "api_version"));
	prop(f, "price_table_date", jfield_str(rep, "price_table_date"));
	prop(f, "policy", jfield_str(json_object_get(rep, "policy"), "name"));
	prop(f, "policy_hash",
	     jfield_str(json_object_get(rep, "policy"), "hash"));
	prop_num(f, "tokens_input", json_object_get(tok, "input"));
	prop_num(f, "tokens_output", json_object_get(tok, "output"));
	prop_num(f, "tokens_cache_creation",
		 json_object_get(tok, "cache_creation"));
	prop_num(f, "tokens_cache_read", json_object_get(tok, "cache_read"));
	prop_num(f, "cost_usd", json_object_get(m, "cost_usd"));
	prop(f, "isolation", jfield_str(iso, "summary"));
	json_array_foreach(json_object_get(iso, "workers"), i, p) {
		snprintf(name, sizeof(name), "isolation.worker.%zu", i + 1);
		prop(f, name, json_string_value(p));
	}
	json_array_foreach(json_object_get(r, "phases"), i, p) {
		if (!json_is_string(json_object_get(p, "audit_head")))
			continue;
		snprintf(name, sizeof(name), "audit_head.%02zu.%.500s", i + 1,
			 jfield_str(p, "name"));
		prop(f, name, jfield_str(p, "audit_head"));
	}
	prop(f, "results_file", jfield_str(r, "results_file"));
	prop(f, "config_file",
	     jfield_str(json_object_get(r, "benchmark"), "config_file"));
	fputs("    </properties>\n", f);
}

/* The human summary (results.h), the suite's system-out. */
static void
summary(FILE *f, const json_t *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m;

	if (!json_object_get(r, "run_id"))
		return; /* a run that never started has no summary */
	m = open_memstream(&buf, &len);
	if (!m)
		return;
	results_print_summary(m, r);
	if (fclose(m) == 0) {
		fputs("    <system-out>", f);
		put(f, buf, JUNIT_MAX_SUMMARY, false);
		fputs("</system-out>\n", f);
	}
	free(buf);
}

static void
suite_open(FILE *f, const char *name, long id, const char *stamp,
	   const struct counts *c)
{
	fputs("  <testsuite", f);
	attr(f, "name", name, JUNIT_MAX_MESSAGE);
	fprintf(f, " id=\"%ld\" package=\"gao-dev\"", id);
	if (stamp && *stamp)
		attr(f, "timestamp", stamp, 64);
	fprintf(f,
		" tests=\"%ld\" failures=\"%ld\" errors=\"%ld\" "
		"skipped=\"%ld\" time=\"%.3f\">\n",
		c->tests, c->failures, c->errors, c->skipped, c->time);
}

static void
add_counts(struct counts *sum, const struct counts *c)
{
	sum->tests += c->tests;
	sum->failures += c->failures;
	sum->errors += c->errors;
	sum->skipped += c->skipped;
	sum->time += c->time;
}

/* One run's <testsuite>; its counts are added to sum. 0 or -ENOMEM. */
static int
run_suite(FILE *f, const json_t *r, long id, struct counts *sum)
{
	const char *bench = jfield_str(json_object_get(r, "benchmark"), "name");
	char *body = NULL, *errs, name[1200], parts[JUNIT_MAX_MESSAGE];
	size_t len = 0;
	struct counts c = { 0 };
	struct outcome o;
	FILE *m = open_memstream(&body, &len);

	if (!m)
		return -ENOMEM;
	properties(m, r);
	phase_cases(m, r, bench, &c);
	criterion_cases(m, r, bench, &c);
	memset(&o, 0, sizeof(o));
	run_outcome(r, &o, parts, sizeof(parts));
	errs = errors_text(r);
	o.detail = errs && *errs ? errs : NULL;
	/* the run's own case has the time outside its phases (setup,
	 * checks, commits), so the cases add up to the run's duration */
	testcase(m, bench, "run",
		 json_number_value(json_object_get(r, "duration_seconds")) -
			 c.time,
		 &o, NULL, &c);
	free(errs);
	summary(m, r);
	if (fclose(m) != 0) {
		free(body);
		return -ENOMEM;
	}
	if (*jfield_str(r, "run_id"))
		snprintf(name, sizeof(name), "%.500s (%.500s)", bench,
			 jfield_str(r, "run_id"));
	else
		snprintf(name, sizeof(name), "%.500s (not started)", bench);
	suite_open(f, name, id, jfield_str(r, "start_time"), &c);
	fputs(body, f);
	fputs("  </testsuite>\n", f);
	free(body);
	add_counts(sum, &c);
	return 0;
}

/* The invocation ended before any run: one suite, one error. */
static void
early_suite(FILE *f, int code, const char *why, struct counts *sum)
{
	char *body = NULL, type[32];
	size_t len = 0;
	struct counts c = { 0 };
	struct outcome o = { .kind = JUNIT_ERROR };
	FILE *m = open_memstream(&body, &len);

	if (!m)
		return;
	snprintf(type, sizeof(type), "exit %d", code);
	o.type = type;
	snprintf(o.msg, sizeof(o.msg), "%.*s", JUNIT_MAX_MESSAGE,
		 why && *why ? why : "gao-dev stopped before any run");
	o.detail = why;
	testcase(m, "gao-dev", "invocation", 0, &o, NULL, &c);
	if (fclose(m) != 0) {
		free(body);
		return;
	}
	suite_open(f, "gao-dev", 0, NULL, &c);
	fputs(body, f);
	fputs("  </testsuite>\n", f);
	free(body);
	add_counts(sum, &c);
}

char *
junit_render(const json_t *runs, int code, const char *why)
{
	char *body = NULL, *doc = NULL, *red;
	size_t len = 0, dlen = 0, i;
	struct counts sum = { 0 };
	FILE *m = open_memstream(&body, &len), *d;
	json_t *r;
	int rc = 0;

	if (!m)
		return NULL;
	if (json_array_size(runs) == 0)
		early_suite(m, code, why, &sum);
	json_array_foreach(runs, i, r) {
		if (rc == 0)
			rc = run_suite(m, r, (long)i, &sum);
	}
	if (fclose(m) != 0 || rc < 0 || !(d = open_memstream(&doc, &dlen))) {
		free(body);
		return NULL;
	}
	fprintf(d,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<testsuites name=\"gao-dev\" tests=\"%ld\" failures=\"%ld\" "
		"errors=\"%ld\" skipped=\"%ld\" time=\"%.3f\">\n%s"
		"</testsuites>\n",
		sum.tests, sum.failures, sum.errors, sum.skipped, sum.time,
		body);
	free(body);
	if (fclose(d) != 0) {
		free(doc);
		return NULL;
	}
	/* the one redaction step, once more over the whole document */
	red = secret_redact(doc);
	free(doc);
	return red;
}

int
junit_check_path(const char *path, char *err, size_t errlen)
{
	char dir[PATH_MAX], probe[PATH_MAX];
	struct stat st;
	int fd;

	if (!*path || strlen(path) > PATH_MAX - 64) {
		snprintf(err, errlen, "--junit %s: %s", path,
			 *path ? "the path is too long" : "an empty path");
		return -1;
	}
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(err, errlen,
			 "--junit %s: is a directory; name a file in it, "
			 "e.g. %s/junit.xml",
			 path, path);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	snprintf(probe, sizeof(probe), "%s.tmp.%d", path, (int)getpid());
	fd = io_open_private(probe, O_EXCL);
	if (fd < 0) {
		snprintf(err, errlen,
			 "--junit %s: cannot create a file in %s: %s; choose "
			 "a path in an existing directory you may write to",
			 path, dirname(dir), strerror(-fd));
		return -1;
	}
	close(fd);
	unlink(probe);
	return 0;
}

int
junit_write(const char *path, const json_t *runs, int code, const char *why)
{
	char *text = junit_render(runs, code, why);
	int rc;

	if (!text)
		return -ENOMEM;
	rc = results_write_text_atomic(path, text);
	free(text);
	return rc;
}
