/*
 * results.c - atomic results files and the run summary. See results.h.
 */
#include "supervisor/out/results.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/io.h"
#include "common/termesc.h"
#include "supervisor/core/secret.h"
#include "supervisor/core/wfault.h"
#include "supervisor/out/jfield.h"

int
results_write_text_atomic(const char *path, const char *text)
{
	return io_write_file_atomic(path, text, strlen(text));
}

json_t *
results_read(const char *path, char *err, size_t errlen)
{
	json_error_t je;
	json_t *v = NULL;
	size_t n;
	int e, fd = io_open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, 0);
	char *buf;

	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot open: %s", path,
			 strerror(-fd));
		return NULL;
	}
	buf = io_read_file_fd(fd, RESULTS_FILE_MAX, &n, &e);
	close(fd);
	if (!buf) {
		if (e == -EINVAL || e == -EFBIG)
			snprintf(err, errlen,
				 "%s: not a regular file of at most %u MiB",
				 path, RESULTS_FILE_MAX >> 20);
		else
			snprintf(err, errlen, "%s: cannot read: %s", path,
				 strerror(-e));
		return NULL;
	}
	v = json_loadb(buf, n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
	free(buf);
	if (!json_is_object(v)) {
		snprintf(err, errlen, "%s: not a results file (line %d: %s)",
			 path, je.line, v ? "not a JSON object" : je.text);
		json_decref(v);
		v = NULL;
	}
	return v;
}

int
results_write_atomic(const char *path, const json_t *v)
{
	char *text;
	char *line;
	size_t n;
	int rc = wfault_write(WFAULT_RESULTS);

	if (rc)
		return -rc; /* a test build's injected failure (wfault.h) */
	text = secret_redact_json(v, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (!text)
		return -ENOMEM;
	n = strlen(text);
	line = realloc(text, n + 2);
	if (!line) {
		free(text);
		return -ENOMEM;
	}
	line[n] = '\n';
	line[n + 1] = 0;
	rc = results_write_text_atomic(path, line);
	free(line);
	return rc;
}

static void
print_cost(FILE *f, const json_t *v)
{
	if (json_is_number(v))
		fprintf(f, "$%.4f", json_number_value(v));
	else
		fprintf(f, "unknown");
}

static void
print_agents(FILE *f, const json_t *phases)
{
	json_t *p;
	size_t i;

	fprintf(f, "  %-3s %-28s %-9s %-9s %8s %10s %9s\n", "#", "phase",
		"agent", "status", "seconds", "tokens", "cost");
	json_array_foreach(phases, i, p) {
		const json_t *t = json_object_get(p, "tokens");

		fprintf(f, "  %-3zu %-28.28s %-9.9s %-9.9s %8.1f %10lld ",
			i + 1, jfield_str(p, "name"), jfield_str(p, "agent"),
			jfield_str(p, "status"),
			jfield_num(p, "duration_seconds"),
			jfield_ll(jfield_num(t, "input") +
				  jfield_num(t, "output") +
				  jfield_num(t, "cache_creation") +
				  jfield_num(t, "cache_read")));
		print_cost(f, json_object_get(p, "cost_usd"));
		fputc('\n', f);
	}
}

/* Each agent phase's audit chain head and record count, and the
 * run-level log's: a copy of them in the CI log, outside the run directory
 * (gao-dev audit verify). */
static void
print_audit_heads(FILE *f, const json_t *r)
{
	const json_t *phases = json_object_get(r, "phases");
	json_t *p;
	size_t i;

	json_array_foreach(phases, i, p) {
		if (!json_is_string(json_object_get(p, "audit_head")) ||
		    !*jfield_str(p, "audit_head"))
			continue;
		fprintf(f, "audit:     %02zu %s %s %s (%lld records)\n", i + 1,
			jfield_str(p, "name"), jfield_str(p, "agent"),
			jfield_str(p, "audit_head"),
			jfield_int(p, "audit_records"));
	}
	if (json_is_object(json_object_get(r, "run_audit"))) {
		const json_t *ra = json_object_get(r, "run_audit");

		fprintf(f, "audit:     run gao-dev %s (%lld records)\n",
			jfield_str(ra, "head"), jfield_int(ra, "records"));
	}
}

static void
print_criteria(FILE *f, const json_t *crit)
{
	json_t *c;
	size_t i;

	if (json_array_size(crit) == 0)
		return;
	fprintf(f, "criteria:\n");
	json_array_foreach(crit, i, c) {
		fprintf(f, "  %-8s %s", jfield_str(c, "outcome"),
			jfield_str(c, "name"));
		if (*jfield_str(c, "reason"))
			fprintf(f, " (%s)", jfield_str(c, "reason"));
		fputc('\n', f);
	}
}

/* The errors (or warnings) of the run, under title. */
static void
print_list(FILE *f, const char *title, const json_t *errors)
{
	json_t *e;
	size_t i;

	if (json_array_size(errors) == 0)
		return;
	fprintf(f, "%s:\n", title);
	json_array_foreach(errors, i, e) {
		/* a non-string entry is shown as JSON, never as "(null)" */
		char *j = json_is_string(e) ?
				  NULL :
				  json_dumps(e, JSON_ENCODE_ANY | JSON_COMPACT);

		fprintf(f, "  %s\n",
			j                 ? j :
			json_is_string(e) ? json_string_value(e) :
					    "");
		free(j);
	}
}

/* Whether web tools were on, their domains, uses and maximum. */
static void
print_web(FILE *f, const json_t *w)
{
	const json_t *d = json_object_get(w, "domains");
	const json_t *e;
	size_t i;

	if (!json_is_object(w))
		return;
	if (!json_is_true(json_object_get(w, "enabled"))) {
		fprintf(f, "web:       off (WebSearch/WebFetch left out)\n");
		return;
	}
	fprintf(f,
		"web:       on, %lld searches, %lld fetches (at most %lld; "
		"domains ",
		jfield_int(w, "searches"), jfield_int(w, "fetches"),
		jfield_int(w, "max_uses"));
	if (json_is_string(d))
		fprintf(f, "%s", json_string_value(d));
	json_array_foreach(d, i, e)
		fprintf(f, "%s%s", i ? "," : "", json_string_value(e));
	fprintf(f, ")\n");
}

static void
print_summary(FILE *f, const json_t *r)
{
	const json_t *m = json_object_get(r, "metrics");
	const json_t *t = json_object_get(m, "tokens");
	const json_t *iso = json_object_get(r, "isolation");

	fprintf(f, "run:       %s\n", jfield_str(r, "run_id"));
	fprintf(f, "status:    %s", jfield_str(r, "status"));
	if (*jfield_str(r, "stop_reason"))
		fprintf(f, " (%s)", jfield_str(r, "stop_reason"));
	fprintf(f, "\nduration:  %.1f s\n", jfield_num(r, "duration_seconds"));
	fprintf(f, "cost:      ");
	print_cost(f, json_object_get(m, "cost_usd"));
	if (jfield_num(r, "max_cost_usd") > 0)
		fprintf(f, " (cap $%.2f, --max-cost-usd)",
			jfield_num(r, "max_cost_usd"));
	fprintf(f,
		"\ntokens:    %lld in, %lld out, %lld cache write, "
		"%lld cache read\n",
		jfield_int(t, "input"), jfield_int(t, "output"),
		jfield_int(t, "cache_creation"), jfield_int(t, "cache_read"));
	fprintf(f,
		"api calls: %lld (%lld retries), tool calls: %lld "
		"(%lld errors, %lld refused)\n",
		jfield_int(m, "api_calls"), jfield_int(m, "retries"),
		jfield_int(m, "tool_calls"), jfield_int(m, "tool_errors"),
		jfield_int(m, "tool_calls_refused"));
	fprintf(f, "isolation: %s\n", jfield_str(iso, "summary"));
	print_web(f, json_object_get(r, "web"));
	if (json_is_object(json_object_get(r, "recording"))) {
		const json_t *rec = json_object_get(r, "recording");

		fprintf(f, "api:       %s %s", jfield_str(rec, "mode"),
			strcmp(jfield_str(rec, "mode"), "replayed") == 0 ?
				"from" :
				"to");
		fprintf(f, " %s", jfield_str(rec, "dir"));
		if (strcmp(jfield_str(rec, "mode"), "replayed") == 0)
			fprintf(f, " (no network; %lld tool results differed)",
				jfield_int(rec, "differences"));
		fprintf(f, "\n");
	}
	print_agents(f, json_object_get(r, "phases"));
	print_criteria(f, json_object_get(r, "success_criteria"));
	print_audit_heads(f, r);
	print_list(f, "warnings", json_object_get(r, "warnings"));
	print_list(f, "errors", json_object_get(r, "errors"));
	fprintf(f, "project:   %s\n", jfield_str(r, "project_dir"));
	fprintf(f, "results:   %s\n", jfield_str(r, "results_file"));
	fprintf(f, "logs:      %s\n", jfield_str(r, "run_dir"));
	/* the history is not in the project (out of the agents' reach) */
	if (json_object_get(r, "git_dir"))
		fprintf(f, "history:   git --git-dir %s log\n",
			jfield_str(r, "git_dir"));
}

/* The summary is built in memory and leaves through the redaction step
 * and then the terminal escape step, like every other output: phase
 * names, criteria, reasons and error texts come from the config, the
 * agent and the project. */
void
results_print_summary(FILE *f, const json_t *r)
{
	char *buf = NULL, *red;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	if (!m)
		return;
	print_summary(m, r);
	if (fclose(m) == 0 && (red = secret_redact(buf))) {
		termesc_fputs(red, f);
		free(red);
	}
	free(buf);
}
