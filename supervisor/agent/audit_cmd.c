/*
 * audit_cmd.c - `audit verify` and `audit show`; see audit_cmd.h.
 */
#include "supervisor/agent/audit_cmd.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/termesc.h"
#include "supervisor/agent/audit.h"
#include "supervisor/agent/audit_run.h"
#include "supervisor/config/cli.h"

/* ---- verify ---- */

static int
verify_one_file(const char *path)
{
	char head[65], why[256] = "";
	uint64_t n = 0;
	long bad = audit_verify_file(path, head, &n, why, sizeof(why));

	if (bad < 0) {
		termesc_fprintf(stderr, "gao-dev: %s\n", why);
		return EXIT_USAGE;
	}
	if (bad > 0)
		termesc_fprintf(stdout,
				"%s: BROKEN at record %ld (line %ld): %s\n",
				path, bad, bad, why);
	else
		termesc_fprintf(stdout, "%s: OK, %llu records, head %s\n", path,
				(unsigned long long)n, head);
	termesc_fprintf(stdout,
			"%s: note: a single file cannot show truncation "
			"(records cut from its end leave a valid chain); "
			"gao-dev audit verify RUN_DIR checks it against the "
			"head and count in the results file\n",
			path);
	return bad > 0 ? EXIT_FAILED : EXIT_OK;
}

/* audit_run_load(), saying why on stderr when it fails: 0 or -1. */
static int
load_run(const char *arg, struct audit_run *r)
{
	char err[1024] = "";

	if (audit_run_load(arg, r, err, sizeof(err)) < 0) {
		termesc_fprintf(stderr, "gao-dev: %s\n", err);
		return -1;
	}
	return 0;
}

static int
verify_run(const char *arg)
{
	struct audit_run r;
	int rc = EXIT_OK;

	if (load_run(arg, &r) < 0)
		return EXIT_USAGE;
	termesc_fprintf(stdout, "%s: results file %s, audit format %ld\n", arg,
			r.results_path, r.format);
	if (r.format == 0)
		termesc_fprintf(stdout,
				"%s: note: no record counts in the results "
				"file (before audit format 1): heads only\n",
				arg);
	for (size_t i = 0; i < r.n_logs; i++) {
		const struct audit_run_log *l = &r.logs[i];
		char why[512] = "";
		long line;
		int k = audit_run_check(l, NULL, NULL, &line, why, sizeof(why));

		if (k < 0) {
			termesc_fprintf(stderr, "gao-dev: %s\n", why);
			rc = EXIT_USAGE;
			break;
		}
		if (k > 0) {
			termesc_fprintf(stdout, "%s:%ld: BROKEN: %s\n", l->path,
					line, why);
			rc = EXIT_FAILED;
		} else {
			termesc_fprintf(stdout,
					"%s: OK, %llu records, head %s\n",
					l->path, (unsigned long long)l->records,
					l->head[0] ? l->head : "(no log)");
		}
	}
	for (size_t i = 0; i < r.n_extra && rc != EXIT_USAGE; i++) {
		termesc_fprintf(stdout,
				"%s:1: BROKEN: an audit log the results file "
				"does not name\n",
				r.extra[i]);
		rc = EXIT_FAILED;
	}
	if (rc == EXIT_OK)
		termesc_fprintf(
			stdout,
			"%s: verified: %zu audit logs match the results "
			"file\n",
			arg, r.n_logs);
	else if (rc == EXIT_FAILED)
		termesc_fprintf(stdout,
				"%s: FAILED: the audit trail does not "
				"match the results file\n",
				arg);
	audit_run_free(&r);
	return rc;
}

int
audit_cmd_verify(char **args, int n)
{
	int rc = EXIT_OK;

	for (int i = 0; i < n; i++) {
		int k = audit_run_is_run(args[i]) ? verify_run(args[i]) :
						    verify_one_file(args[i]);

		if (k == EXIT_USAGE)
			return k;
		if (k != EXIT_OK)
			rc = k;
	}
	return rc;
}

/* ---- show ---- */

struct show_ctx {
	const struct audit_filter *f;
	const char *log;
};

static const char *
field(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

/* The path a call touched: file_path, notebook_path or path. */
static const char *
target_path(const json_t *in)
{
	static const char *const keys[] = { "file_path", "notebook_path",
					    "path" };

	for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++)
		if (json_is_string(json_object_get(in, keys[i])))
			return field(in, keys[i]);
	return NULL;
}

/* What the call was about: its path, else its command, pattern, url or
 * query (WebSearch's). */
static const char *
target(const json_t *in)
{
	static const char *const keys[] = { "command", "pattern", "url",
					    "query", "prefix" };
	const char *p = target_path(in);

	if (p)
		return p;
	for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++)
		if (json_is_string(json_object_get(in, keys[i])))
			return field(in, keys[i]);
	return "";
}

/* s with newline and tab shown as \n and \t, then termesc'd: one value
 * cannot start a new line of the listing. */
static void
put_value(const char *s, FILE *f)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	if (!m)
		return;
	for (; *s; s++) {
		if (*s == '\n')
			fputs("\\n", m);
		else if (*s == '\t')
			fputs("\\t", m);
		else
			fputc(*s, m);
	}
	if (fclose(m) == 0)
		termesc_fputs(buf, f);
	free(buf);
}

static void
show_record(const json_t *rec, long line, void *vctx)
{
	const struct show_ctx *c = vctx;
	const struct audit_filter *f = c->f;
	const json_t *in = json_object_get(rec, "input");
	const char *path = target_path(in);
	const char *result = json_is_true(json_object_get(rec, "is_error")) ?
				     "error" :
				     "ok";
	bool refused = strcmp(field(rec, "outcome"), "denied") == 0;

	if (f->agent && strcmp(f->agent, field(rec, "agent")) != 0)
		return;
	if (f->tool && strcmp(f->tool, field(rec, "tool")) != 0)
		return;
	if (f->path && (!path || fnmatch(f->path, path, 0) != 0))
		return;
	if (f->json) {
		json_t *o = json_pack("{s:s,s:I,s:O?,s:s,s:s,s:s,s:s,s:s,s:b}",
				      "log", c->log, "line", (json_int_t)line,
				      "seq", json_object_get(rec, "seq"), "ts",
				      field(rec, "ts"), "agent",
				      field(rec, "agent"), "tool",
				      field(rec, "tool"), "target", target(in),
				      "result", result, "refused", refused);
		if (o && json_is_integer(json_object_get(rec, "exit_code")))
			json_object_set(o, "exit_code",
					json_object_get(rec, "exit_code"));
		char *s = o ? json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII) :
			      NULL;

		if (s) {
			termesc_fputs(s, stdout);
			fputc('\n', stdout);
		}
		free(s);
		json_decref(o);
		return;
	}
	put_value(field(rec, "ts"), stdout);
	fputc(' ', stdout);
	put_value(field(rec, "agent"), stdout);
	fputc(' ', stdout);
	put_value(field(rec, "tool"), stdout);
	fprintf(stdout, " %s%s ", result, refused ? " refused" : "");
	put_value(target(in), stdout);
	fputc('\n', stdout);
}

static int
show_file(const char *path, const struct audit_filter *f)
{
	struct show_ctx c = { f, path };
	char head[65], why[256] = "";
	uint64_t n;
	long bad = audit_read_file(path, show_record, &c, head, &n, why,
				   sizeof(why));

	fflush(stdout);
	if (bad < 0) {
		termesc_fprintf(stderr, "gao-dev: %s\n", why);
		return EXIT_USAGE;
	}
	if (bad > 0) {
		termesc_fprintf(stderr,
				"%s:%ld: BROKEN: %s (the records above it "
				"chain; nothing after it is shown)\n",
				path, bad, why);
		return EXIT_FAILED;
	}
	return EXIT_OK;
}

static int
show_run(const char *arg, const struct audit_filter *f)
{
	struct audit_run r;
	int rc = EXIT_OK;

	if (load_run(arg, &r) < 0)
		return EXIT_USAGE;
	for (size_t i = 0; i < r.n_logs; i++) {
		struct show_ctx c = { f, r.logs[i].path };
		char why[512] = "";
		long line;
		int k = audit_run_check(&r.logs[i], show_record, &c, &line, why,
					sizeof(why));

		fflush(stdout);
		if (k < 0) {
			termesc_fprintf(stderr, "gao-dev: %s\n", why);
			rc = EXIT_USAGE;
			break;
		}
		if (k > 0) {
			termesc_fprintf(stderr, "%s:%ld: BROKEN: %s\n",
					r.logs[i].path, line, why);
			rc = EXIT_FAILED;
		}
	}
	for (size_t i = 0; i < r.n_extra && rc != EXIT_USAGE; i++) {
		termesc_fprintf(stderr,
				"%s:1: BROKEN: an audit log the results file "
				"does not name\n",
				r.extra[i]);
		rc = EXIT_FAILED;
	}
	audit_run_free(&r);
	return rc;
}

int
audit_cmd_show(char **args, int n, const struct audit_filter *f)
{
	int rc = EXIT_OK;

	for (int i = 0; i < n; i++) {
		int k = audit_run_is_run(args[i]) ? show_run(args[i], f) :
						    show_file(args[i], f);

		if (k == EXIT_USAGE)
			return k;
		if (k != EXIT_OK)
			rc = k;
	}
	return rc;
}
