/*
 * report_html.c - the report's page: header, criteria, chart, changes,
 * conversations, timeline. See report.h.
 *
 * Every value from a file goes through htmltext (element text only); the
 * only attributes are fixed class names and bar widths computed here.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/core/secret.h"
#include "supervisor/out/htmltext.h"
#include "supervisor/out/jfield.h"
#include "supervisor/run/report.h"
#include "supervisor/run/report_read.h"

/* clang-format off */
static const char page_head[] =
"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
"<meta name=\"referrer\" content=\"no-referrer\">\n"
"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";

static const char page_style[] =
"<style>\n"
"body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1150px;padding:16px;color:#1d2430;background:#fff}\n"
"h1{font-size:22px;margin:0 0 8px}h2{font-size:18px;border-bottom:2px solid #dfe3ea;padding-bottom:4px;margin-top:28px}\n"
"table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #e6e9ef;padding:4px 8px;text-align:left;vertical-align:top}\n"
"th{background:#f3f5f8;font-weight:600}.kv th{width:190px}\n"
"pre,.wrap{white-space:pre-wrap;overflow-wrap:anywhere;word-break:break-word;max-height:420px;overflow:auto;margin:4px 0}\n"
"pre{background:#f6f8fa;border:1px solid #e1e4e8;border-radius:4px;padding:6px 8px;font:12px/1.4 ui-monospace,monospace}\n"
".badge{display:inline-block;border-radius:10px;padding:1px 10px;font-weight:600;color:#fff;background:#6a737d}\n"
".ok,.passed,.success,.completed{background:#1a7f37}.bad,.failed,.error,.timeout,.stopped,.cancelled{background:#cf222e}\n"
".skipped{background:#9a6700}\n"
".bars td{padding:3px 8px}.bar{height:14px;border-radius:3px;min-width:1px}.tok{background:#3b82f6}.usd{background:#f59e0b}\n"
".turn{border-left:3px solid #d0d7de;margin:10px 0;padding:2px 0 2px 10px}\n"
".say{background:#eef6ff;border:1px solid #cfe3ff;border-radius:4px;padding:6px 8px}\n"
".tool{border:1px solid #d0d7de;border-radius:4px;margin:6px 0;padding:4px 8px}.tool.err{border-color:#cf222e;background:#fff5f5}\n"
".tool.refused{border-color:#9a6700;background:#fff8e6}.tname{font-weight:600}\n"
".meta{color:#57606a;font-size:12px}.warn{color:#cf222e;font-weight:600}\n"
"details{margin:8px 0}summary{cursor:pointer;font-weight:600}\n"
".ev-warn td{background:#fff8e6}.ev-error td{background:#fff5f5}\n"
"</style>\n";
/* clang-format on */

/* ---- values ---- */

/* A JSON value as text: strings as they are, the rest as compact JSON. */
static void
put_value(FILE *f, const json_t *v, size_t max)
{
	char *d;

	if (!v || json_is_null(v))
		return;
	if (json_is_string(v)) {
		htmltext_put(f, json_string_value(v), json_string_length(v),
			     max);
		return;
	}
	d = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	if (d)
		htmltext_puts(f, d, max);
	free(d);
}

/* <tag class="cls">escaped text</tag>; cls is a fixed name or NULL. */
static void
elem(FILE *f, const char *tag, const char *cls, const char *s, size_t max)
{
	fprintf(f, cls ? "<%s class=\"%s\">" : "<%s>", tag, cls);
	htmltext_puts(f, s, max);
	fprintf(f, "</%s>", tag);
}

/* A status badge: the class is one of a fixed list, else plain. */
static void
badge(FILE *f, const char *status)
{
	static const char *const known[] = {
		"ok",        "bad",       "passed", "success",
		"completed", "failed",    "error",  "timeout",
		"stopped",   "cancelled", "skipped"
	};
	const char *cls = "";

	for (size_t i = 0; i < sizeof(known) / sizeof(*known); i++)
		if (strcmp(status, known[i]) == 0)
			cls = known[i];
	fprintf(f, "<span class=\"badge %s\">", cls);
	htmltext_puts(f, status, 64);
	fputs("</span>", f);
}

static void
kv_row(FILE *f, const char *key, const char *val)
{
	fprintf(f, "<tr><th>%s</th><td>", key);
	htmltext_puts(f, val, REPORT_FIELD_MAX);
	fputs("</td></tr>\n", f);
}

/* ---- header ---- */

/* Whether every audit chain verified, and each log's count and head or
 * its first problem. */
static void
put_audit_row(FILE *f, const json_t *audits, bool audit_ok)
{
	const json_t *a;
	size_t i;

	fputs("<tr><th>audit chains</th><td>", f);
	badge(f, audit_ok ? "ok" : "bad");
	fprintf(f, " %s",
		audit_ok ? "every audit log verified" :
			   "NOT every audit log verified");
	json_array_foreach(audits, i, a) {
		fputs("<div class=\"meta\">", f);
		htmltext_puts(f, jfield_str(a, "phase"), 128);
		fputs(": ", f);
		if (json_is_true(json_object_get(a, "ok"))) {
			fprintf(f, "%" PRId64 " records, head ",
				(int64_t)json_integer_value(
					json_object_get(a, "records")));
			htmltext_puts(f, jfield_str(a, "head"), 65);
		} else {
			fputs("<span class=\"warn\">", f);
			htmltext_puts(f, jfield_str(a, "problem"), 300);
			fputs("</span>", f);
		}
		fputs("</div>", f);
	}
	fputs("</td></tr>\n", f);
}

static void
put_header(FILE *f, const json_t *res, const json_t *audits, bool audit_ok)
{
	const json_t *m = json_object_get(res, "metrics");
	const json_t *t = json_object_get(m, "tokens");
	const json_t *cost = json_object_get(m, "cost_usd");
	double in = jfield_num(t, "input"), out = jfield_num(t, "output");
	double cc = jfield_num(t, "cache_creation"),
	       cr = jfield_num(t, "cache_read");
	double all_in = in + cc + cr, cap = jfield_num(res, "max_cost_usd");
	const json_t *a;
	char buf[512];
	size_t i;

	fputs("<header id=\"header\"><h1>gao-dev report: ", f);
	htmltext_puts(f, jfield_str(res, "run_id"), 256);
	fputs("</h1>\n<table class=\"kv\">\n<tr><th>status</th><td>", f);
	badge(f, jfield_str(res, "status"));
	fputs(" ", f);
	htmltext_puts(f, jfield_str(res, "stop_reason"), 128);
	fputs("</td></tr>\n", f);
	snprintf(buf, sizeof(buf), "%" PRId64,
		 (int64_t)json_integer_value(
			 json_object_get(res, "exit_code")));
	kv_row(f, "exit code", buf);
	kv_row(f, "benchmark",
	       jfield_str(json_object_get(res, "benchmark"), "name"));
	snprintf(buf, sizeof(buf), "%.1f s (%s to %s)",
		 jfield_num(res, "duration_seconds"),
		 jfield_str(res, "start_time"), jfield_str(res, "end_time"));
	kv_row(f, "duration", buf);
	if (json_is_number(cost) && cap > 0)
		snprintf(buf, sizeof(buf), "$%.4f of the $%.2f cap (%.1f%%)",
			 jfield_num(m, "cost_usd"), cap,
			 100.0 * jfield_num(m, "cost_usd") / cap);
	else if (json_is_number(cost))
		snprintf(buf, sizeof(buf), "$%.4f (no cap)",
			 jfield_num(m, "cost_usd"));
	else
		snprintf(buf, sizeof(buf),
			 "unknown (no price for the model); cap $%.2f", cap);
	kv_row(f, "cost", buf);
	snprintf(buf, sizeof(buf),
		 "%.0f in, %.0f out, %.0f cache written, %.0f cache read "
		 "(cache share of input %.1f%%)",
		 in, out, cc, cr, all_in > 0 ? 100.0 * cr / all_in : 0.0);
	kv_row(f, "tokens", buf);
	snprintf(buf, sizeof(buf),
		 "%.0f API calls, %.0f retries, %.0f tool "
		 "calls, %.0f tool errors, %.0f refused",
		 jfield_num(m, "api_calls"), jfield_num(m, "retries"),
		 jfield_num(m, "tool_calls"), jfield_num(m, "tool_errors"),
		 jfield_num(m, "tool_calls_refused"));
	kv_row(f, "calls", buf);
	kv_row(f, "model",
	       jfield_str(json_object_get(res, "reproduce"), "model"));
	kv_row(f, "isolation",
	       jfield_str(json_object_get(res, "isolation"), "summary"));
	put_audit_row(f, audits, audit_ok);
	json_array_foreach(json_object_get(res, "errors"), i, a) {
		if (i >= 20)
			break;
		fputs("<tr><th>error</th><td class=\"warn\">", f);
		put_value(f, a, REPORT_FIELD_MAX);
		fputs("</td></tr>\n", f);
	}
	fputs("</table></header>\n", f);
}

/* ---- tokens and cost per phase ---- */

static double
phase_tokens(const json_t *p)
{
	const json_t *t = json_object_get(p, "tokens");

	return jfield_num(t, "input") + jfield_num(t, "output") +
	       jfield_num(t, "cache_creation") + jfield_num(t, "cache_read");
}

/* part of whole as a bar's width, 0 to 100 (%), whatever the numbers. */
static int
percent(double part, double whole)
{
	double r = whole > 0 ? part / whole : 0;

	if (!(r > 0)) /* NaN too */
		return 0;
	return r >= 1 ? 100 : (int)(100.0 * r + 0.5);
}

static void
put_chart(FILE *f, const json_t *res)
{
	const json_t *phases = json_object_get(res, "phases"), *p;
	double max_t = 0, max_c = 0;
	size_t i;

	json_array_foreach(phases, i, p) {
		if (phase_tokens(p) > max_t)
			max_t = phase_tokens(p);
		if (jfield_num(p, "cost_usd") > max_c)
			max_c = jfield_num(p, "cost_usd");
	}
	fputs("<section id=\"chart\"><h2>Tokens and cost per phase</h2>\n"
	      "<table class=\"bars\"><tr><th>phase</th><th>tokens</th>"
	      "<th></th><th>cost</th><th></th></tr>\n",
	      f);
	json_array_foreach(phases, i, p) {
		double tk = phase_tokens(p), c = jfield_num(p, "cost_usd");
		int wt = percent(tk, max_t), wc = percent(c, max_c);

		fprintf(f, "<tr><td>%02zu ", i + 1);
		htmltext_puts(f, jfield_str(p, "name"), 128);
		fprintf(f,
			"</td><td>%.0f</td><td style=\"width:30%%\"><div "
			"class=\"bar tok\" style=\"width:%d%%\"></div></td>"
			"<td>$%.4f</td><td style=\"width:30%%\"><div "
			"class=\"bar usd\" style=\"width:%d%%\"></div></td>"
			"</tr>\n",
			tk, wt, c, wc);
	}
	fputs("</table></section>\n", f);
}

/* ---- timeline ---- */

static void
put_event_details(FILE *f, const json_t *ev)
{
	const char *k;
	const json_t *v;
	char *buf = NULL;
	size_t n = 0;
	bool first = true;
	FILE *m = open_memstream(&buf, &n);

	if (!m)
		return;
	json_object_foreach((json_t *)ev, k, v) {
		char *d;

		if (!strcmp(k, "ts") || !strcmp(k, "level") ||
		    !strcmp(k, "event") || !strcmp(k, "run_id"))
			continue;
		d = json_is_string(v) ?
			    strdup(json_string_value(v)) :
			    json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		fprintf(m, "%s%s=%s", first ? "" : " ", k, d ? d : "");
		first = false;
		free(d);
	}
	if (fclose(m) == 0)
		htmltext_put(f, buf, n, REPORT_FIELD_MAX);
	free(buf);
}

static void
put_timeline(FILE *f, const char *run_dir)
{
	char path[4096];
	struct report_lines ev;
	const json_t *e;
	size_t i;

	fputs("<section id=\"timeline\"><h2>Timeline</h2>\n", f);
	snprintf(path, sizeof(path), "%s/events.jsonl", run_dir);
	if (report_read_lines(path, &ev) < 0)
		return;
	if (ev.missing)
		fputs("<p class=\"warn\">events.jsonl could not be read</p>\n",
		      f);
	fputs("<table><tr><th>time</th><th>event</th><th>details</th></tr>\n",
	      f);
	json_array_foreach(ev.items, i, e) {
		const char *lvl = jfield_str(e, "level"),
			   *ts = jfield_str(e, "ts");

		if (i >= REPORT_ROWS_MAX) {
			fprintf(f,
				"<tr><td></td><td class=\"warn\">%zu more "
				"events not shown</td><td></td></tr>\n",
				json_array_size(ev.items) - i);
			break;
		}
		fprintf(f, "<tr class=\"ev-%s\"><td>",
			!strcmp(lvl, "error") ? "error" :
			!strcmp(lvl, "warn")  ? "warn" :
						"info");
		/* the time of day of an ISO-8601 stamp */
		htmltext_puts(f, strlen(ts) > 11 ? ts + 11 : ts, 32);
		fputs("</td><td>", f);
		htmltext_puts(f, jfield_str(e, "event"), 64);
		fputs("</td><td class=\"wrap\">", f);
		put_event_details(f, e);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
	if (ev.bad || ev.cut)
		fprintf(f,
			"<p class=\"warn\">%zu malformed lines skipped%s</p>\n",
			ev.bad, ev.cut ? "; the file was cut at 64 MiB" : "");
	fputs("</section>\n", f);
	json_decref(ev.items);
}

/* ---- conversations ---- */

/* A tool result block's content as text (a string or text blocks). */
static json_t *
block_text(const json_t *content)
{
	const json_t *b;
	size_t i;
	char *buf = NULL;
	size_t n = 0;
	FILE *m;
	json_t *out;

	if (json_is_string(content))
		return json_incref((json_t *)content);
	m = open_memstream(&buf, &n);
	if (!m)
		return NULL;
	json_array_foreach(content, i, b) {
		const char *s = jfield_str(b, "text");

		(void)fwrite(s, 1, strlen(s), m);
	}
	if (fclose(m) != 0) {
		free(buf);
		return NULL;
	}
	out = json_stringn_nocheck(buf, n);
	free(buf);
	return out;
}

/* Index the tool results and refusals: id -> {text, is_error, refused}. */
static json_t *
index_results(const json_t *lines, const char *audit_path)
{
	json_t *idx = json_object(), *l, *m, *b;
	struct report_lines au;
	size_t i, j, k;

	json_array_foreach(lines, i, l) {
		if (strcmp(jfield_str(l, "type"), "request") != 0)
			continue;
		json_array_foreach(json_object_get(l, "messages_added"), j, m) {
			json_array_foreach(json_object_get(m, "content"), k,
					   b) {
				if (strcmp(jfield_str(b, "type"),
					   "tool_result") != 0)
					continue;
				json_object_set_new(
					idx, jfield_str(b, "tool_use_id"),
					json_pack("{s:o*,s:b}", "text",
						  block_text(json_object_get(
							  b, "content")),
						  "is_error",
						  json_is_true(json_object_get(
							  b, "is_error"))));
			}
		}
	}
	json_array_foreach(lines, i, l) {
		json_t *r, *ex = json_object_get(l, "excerpt");

		if (strcmp(jfield_str(l, "type"), "tool_result") != 0)
			continue;
		r = json_object_get(idx, jfield_str(l, "tool_use_id"));
		if (!r) {
			r = json_object();
			json_object_set_new(idx, jfield_str(l, "tool_use_id"),
					    r);
		}
		if (json_is_string(ex))
			json_object_set(r, "text", ex);
		json_object_set(r, "is_error", json_object_get(l, "is_error"));
		json_object_set(r, "exit_code",
				json_object_get(l, "exit_code"));
	}
	if (audit_path && report_read_lines(audit_path, &au) == 0) {
		json_array_foreach(au.items, i, l) {
			const char *id = jfield_str(l, "tool_use_id");

			if (*id &&
			    !strcmp(jfield_str(l, "outcome"), "denied")) {
				json_t *r = json_object_get(idx, id);

				if (!r) {
					r = json_object();
					json_object_set_new(idx, id, r);
				}
				json_object_set_new(r, "refused", json_true());
				json_object_set(r, "note",
						json_object_get(l, "note"));
			}
		}
		json_decref(au.items);
	}
	return idx;
}

/* A tool's input: each field as a label and its text (strings as they
 * are, so a file's content reads as a file), at most 40 fields. */
static void
put_input(FILE *f, const json_t *input)
{
	const char *k;
	const json_t *v;
	size_t n = 0;

	if (!json_is_object(input)) {
		fputs("<pre>", f);
		put_value(f, input, REPORT_INPUT_MAX);
		fputs("</pre>", f);
		return;
	}
	json_object_foreach((json_t *)input, k, v) {
		if (n++ == 40) {
			fputs("<div class=\"meta\">more fields not shown</div>",
			      f);
			break;
		}
		fputs("<div class=\"meta\">", f);
		htmltext_puts(f, k, 64);
		fputs("</div><pre>", f);
		put_value(f, v, REPORT_INPUT_MAX);
		fputs("</pre>", f);
	}
}

static void
put_tool_use(FILE *f, const json_t *b, const json_t *idx)
{
	const json_t *r = json_object_get(idx, jfield_str(b, "id"));
	bool refused = json_is_true(json_object_get(r, "refused"));
	bool err = json_is_true(json_object_get(r, "is_error"));
	json_int_t code = json_integer_value(json_object_get(r, "exit_code"));
	const json_t *text = json_object_get(r, "text");

	fprintf(f, "<div class=\"tool%s\"><span class=\"tname\">",
		refused         ? " refused" :
		err || code > 0 ? " err" :
				  "");
	htmltext_puts(f, jfield_str(b, "name"), 64);
	fputs("</span>", f);
	if (refused)
		fputs(" <span class=\"badge skipped\">refused</span>", f);
	else if (err)
		fputs(" <span class=\"badge error\">error</span>", f);
	else if (code > 0) /* a command's; -1: not a command */
		fprintf(f,
			" <span class=\"badge error\">exit %" PRId64 "</span>",
			(int64_t)code);
	put_input(f, json_object_get(b, "input"));
	if (text) {
		fputs("<div class=\"meta\">result</div><pre>", f);
		put_value(f, text, REPORT_RESULT_MAX);
		fputs("</pre>", f);
	} else if (refused) {
		fputs("<div class=\"meta\">refused: ", f);
		put_value(f, json_object_get(r, "note"), REPORT_FIELD_MAX);
		fputs("</div>", f);
	} else {
		fputs("<div class=\"meta\">no result recorded</div>", f);
	}
	fputs("</div>\n", f);
}

static void
put_response(FILE *f, const json_t *l, const json_t *idx)
{
	const json_t *msg = json_object_get(l, "message"), *b;
	const json_t *u = json_object_get(l, "usage");
	size_t i;

	fprintf(f,
		"<div class=\"turn\"><div class=\"meta\">turn %" PRId64
		": %.0f in, %.0f out, %.0f cache read",
		(int64_t)json_integer_value(json_object_get(l, "turn")),
		jfield_num(u, "input_tokens"), jfield_num(u, "output_tokens"),
		jfield_num(u, "cache_read_input_tokens"));
	if (json_is_number(json_object_get(l, "cost_usd")))
		fprintf(f, ", $%.4f", jfield_num(l, "cost_usd"));
	fputs(", stop ", f);
	htmltext_puts(f, jfield_str(msg, "stop_reason"), 64);
	fputs("</div>\n", f);
	json_array_foreach(json_object_get(msg, "content"), i, b) {
		const char *t = jfield_str(b, "type");

		if (!strcmp(t, "text")) {
			fputs("<div class=\"say wrap\">", f);
			htmltext_puts(f, jfield_str(b, "text"),
				      REPORT_TEXT_MAX);
			fputs("</div>\n", f);
		} else if (!strcmp(t, "tool_use")) {
			put_tool_use(f, b, idx);
		}
	}
	fputs("</div>\n", f);
}

/* The task: the first request's first user message. */
static void
put_task(FILE *f, const json_t *l)
{
	const json_t *m0 = json_array_get(
		json_object_get(json_object_get(l, "body"), "messages"), 0);
	json_t *t = m0 ? block_text(json_object_get(m0, "content")) : NULL;

	if (t) {
		fputs("<details><summary>task given to the agent</summary>"
		      "<pre>",
		      f);
		put_value(f, t, REPORT_TEXT_MAX);
		fputs("</pre></details>\n", f);
	}
	json_decref(t);
}

static void
put_conversation(FILE *f, const json_t *phase, size_t n, const char *run_dir)
{
	char tpath[4096], apath[4096];
	struct report_lines tr;
	json_t *idx;
	const json_t *l;
	size_t i;
	bool have_audit;

	if (!report_agent_file(run_dir, phase, "transcript", tpath,
			       sizeof(tpath)))
		return;
	have_audit = report_agent_file(run_dir, phase, "audit_log", apath,
				       sizeof(apath));
	if (report_read_lines(tpath, &tr) < 0)
		return;
	fprintf(f, "<details class=\"agent\" open><summary>%02zu ", n);
	htmltext_puts(f, jfield_str(phase, "name"), 128);
	fputs(" (", f);
	htmltext_puts(f, jfield_str(phase, "agent"), 128);
	fputs(") ", f);
	badge(f, jfield_str(phase, "status"));
	fputs("</summary>\n", f);
	if (tr.missing)
		fputs("<p class=\"warn\">the transcript could not be read</p>\n",
		      f);
	idx = index_results(tr.items, have_audit ? apath : NULL);
	json_array_foreach(tr.items, i, l) {
		const char *t = jfield_str(l, "type");

		if (!strcmp(t, "request") && json_object_get(l, "body"))
			put_task(f, l);
		else if (!strcmp(t, "response"))
			put_response(f, l, idx);
		else if (!strcmp(t, "session_end")) {
			fputs("<div class=\"meta\">session end: ", f);
			badge(f, jfield_str(l, "status"));
			fputs(" ", f);
			htmltext_puts(f, jfield_str(l, "stop_reason"), 128);
			if (*jfield_str(l, "error")) {
				fputs(" <span class=\"warn\">", f);
				htmltext_puts(f, jfield_str(l, "error"),
					      REPORT_FIELD_MAX);
				fputs("</span>", f);
			}
			fputs("</div>\n", f);
		}
	}
	if (tr.bad || tr.cut)
		fprintf(f,
			"<p class=\"warn\">%zu malformed lines skipped%s</p>\n",
			tr.bad, tr.cut ? "; the file was cut at 64 MiB" : "");
	fputs("</details>\n", f);
	json_decref(idx);
	json_decref(tr.items);
}

static void
put_conversations(FILE *f, const json_t *res, const char *run_dir)
{
	const json_t *p;
	size_t i;

	fputs("<section id=\"conversations\"><h2>Conversations</h2>\n", f);
	json_array_foreach(json_object_get(res, "phases"), i, p) {
		if (!strcmp(jfield_str(p, "agent"), "command")) {
			fprintf(f, "<details class=\"command\"><summary>%02zu ",
				i + 1);
			htmltext_puts(f, jfield_str(p, "name"), 128);
			fputs(" (command) ", f);
			badge(f, jfield_str(p, "status"));
			fputs("</summary><pre>", f);
			htmltext_puts(f, jfield_str(p, "command"),
				      REPORT_INPUT_MAX);
			fputs("</pre><pre>", f);
			htmltext_puts(f, jfield_str(p, "output"),
				      REPORT_TEXT_MAX);
			fputs("</pre></details>\n", f);
			continue;
		}
		put_conversation(f, p, i + 1, run_dir);
	}
	fputs("</section>\n", f);
}

/* ---- the files each phase changed ---- */

/* A phase's diff file, read whole (it is capped when made). */
static void
put_phase_diff(FILE *f, const json_t *p, size_t n, const char *run_dir)
{
	const char *v = json_string_value(json_object_get(p, "diff"));
	const char *base = v ? strrchr(v, '/') : NULL;
	char path[4096];
	char *text = NULL;
	size_t len = 0;
	bool cut = false;

	base = base ? base + 1 : v;
	if (!base || !*base || !strcmp(base, "..") || !strcmp(base, ".") ||
	    snprintf(path, sizeof(path), "%s/diffs/%s", run_dir, base) >=
		    (int)sizeof(path))
		return;
	text = report_read_text(path, &len, &cut);
	fprintf(f, "<details class=\"diff\" open><summary>%02zu ", n);
	htmltext_puts(f, jfield_str(p, "name"), 128);
	fputs("</summary><pre>", f);
	if (!text)
		fputs("(the diff file could not be read)", f);
	else
		htmltext_put(f, text, len, REPORT_DIFF_MAX);
	if (cut)
		fputs(" [the file was cut at 64 MiB]", f);
	fputs("</pre></details>\n", f);
	free(text);
}

static void
put_changes(FILE *f, const json_t *res, const char *run_dir)
{
	const json_t *p;
	size_t i, shown = 0;

	fputs("<section id=\"changes\"><h2>Files changed per phase</h2>\n", f);
	json_array_foreach(json_object_get(res, "phases"), i, p) {
		if (json_is_string(json_object_get(p, "diff"))) {
			put_phase_diff(f, p, i + 1, run_dir);
			shown++;
		}
	}
	if (!shown)
		fputs("<p class=\"meta\">no phase changed the project, or "
		      "no diff was recorded</p>\n",
		      f);
	fputs("</section>\n", f);
}

/* ---- criteria ---- */

static void
put_criteria(FILE *f, const json_t *res)
{
	const json_t *c;
	size_t i;

	fputs("<section id=\"criteria\"><h2>Criteria</h2>\n<table><tr>"
	      "<th>criterion</th><th>verdict</th><th>reason</th></tr>\n",
	      f);
	json_array_foreach(json_object_get(res, "success_criteria"), i, c) {
		fputs("<tr>", f);
		elem(f, "td", NULL, jfield_str(c, "name"), 256);
		fputs("<td>", f);
		badge(f, jfield_str(c, "outcome"));
		fputs("</td>", f);
		elem(f, "td", "wrap", jfield_str(c, "reason"),
		     REPORT_FIELD_MAX);
		fputs("</tr>\n", f);
	}
	if (i == 0)
		fputs("<tr><td colspan=\"3\">no criteria configured</td></tr>\n",
		      f);
	fputs("</table></section>\n", f);
}

char *
report_html(const json_t *res, const char *run_dir)
{
	char *buf = NULL, *red;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	bool audit_ok = false;
	json_t *audits;

	if (!f)
		return NULL;
	audits = report_audit_check(res, run_dir, &audit_ok);
	fputs(page_head, f);
	fputs("<title>gao-dev report: ", f);
	htmltext_puts(f, jfield_str(res, "run_id"), 256);
	fputs("</title>\n", f);
	fputs(page_style, f);
	fputs("</head><body>\n", f);
	/* what failed first, then how: the CI user's order */
	put_header(f, res, audits, audit_ok);
	put_criteria(f, res);
	put_chart(f, res);
	put_changes(f, res, run_dir);
	put_conversations(f, res, run_dir);
	put_timeline(f, run_dir);
	fputs("<footer class=\"meta\"><p>Written by gao-dev report. "
	      "Every value is shown as text; the page runs no script and "
	      "loads nothing.</p></footer>\n</body></html>\n",
	      f);
	json_decref(audits);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	/* the one redaction step, over the whole page */
	red = secret_redact(buf);
	free(buf);
	return red;
}
