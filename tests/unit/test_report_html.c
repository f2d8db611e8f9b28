/*
 * test_report_html.c - unit tests of the report page (supervisor/run/report.h)
 * built from a hand-made run directory full of hostile text.
 *
 * Design note
 * -----------
 * A run directory with events, a transcript and a real audit log (made
 * with audit.c) whose values carry <script>, event-handler attributes,
 * javascript: links, ANSI sequences, C1 controls and non-characters (invalid
 * UTF-8 cannot be in JSON: a line holding it is skipped and counted), a
 * key-shaped token
 * and a 100 KB line. The page is then scanned tag by tag: every tag is
 * one the builder writes, every attribute one of its fixed few, no value
 * from the run inside a tag; the four sections are there, the CSP meta
 * comes first, the long line is cut, the key is redacted. A second run
 * breaks its audit log and the header must say so.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "supervisor/agent/audit.h"
#include "supervisor/run/report.h"
#include "supervisor/run/report_read.h"

#define HOSTILE \
	"<script>alert('x')</script><img src=x onerror=alert(1)>" \
	"<a href=\"javascript:alert(2)\">go</a>\x1b[31m\xef\xbf\xbe\xc2\x9b"

static char dir[] = "/tmp/gao-report-XXXXXX";
static char run_dir[256];

static void
put_file(const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", run_dir, name);
	f = fopen(path, "we");
	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

/* The transcript: a response with hostile text, a key and two tool
 * calls (one refused in the audit log), a 100 KB result, the end. */
static void
write_transcript(void)
{
	char path[512], *big = malloc(100001), *dump;
	json_t *line;
	FILE *f;

	cr_assert_not_null(big);
	memset(big, 'A', 100000);
	big[100000] = 0;
	snprintf(path, sizeof(path), "%s/agents/01-impl-dev.transcript.jsonl",
		 run_dir);
	f = fopen(path, "we");
	cr_assert_not_null(f);
	line = json_pack("{s:s,s:i,s:{s:s,s:[{s:s,s:s},{s:s,s:s,s:s,s:{s:s}},"
			 "{s:s,s:s,s:s,s:{s:s}}]},s:{s:i}}",
			 "type", "response", "turn", 1, "message",
			 "stop_reason", "tool_use", "content", "type", "text",
			 "text",
			 HOSTILE
			 " sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789",
			 "type", "tool_use", "id", "t1", "name", "Bash",
			 "input", "command", "echo '<script>'", "type",
			 "tool_use", "id", "t2", "name", "Write", "input",
			 "file_path", "/etc/x", "usage", "input_tokens", 10);
	dump = json_dumps(line, JSON_COMPACT);
	fprintf(f, "%s\n", dump);
	free(dump);
	json_decref(line);
	line = json_pack("{s:s,s:s,s:b,s:s}", "type", "tool_result",
			 "tool_use_id", "t1", "is_error", 0, "excerpt", big);
	dump = json_dumps(line, JSON_COMPACT);
	fprintf(f, "%s\n", dump);
	free(dump);
	json_decref(line);
	fprintf(f, "{\"type\":\"session_end\",\"status\":\"failed\","
		   "\"error\":\"<svg onload=alert(3)>\"}\n");
	fclose(f);
	free(big);
}

static json_t *
make_run(bool break_audit)
{
	char path[512];
	struct audit *a;
	json_t *rec, *res;
	FILE *f;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(run_dir, sizeof(run_dir), "%s/runs", dir);
	mkdir(run_dir, 0700);
	snprintf(run_dir, sizeof(run_dir), "%s/runs/r1", dir);
	mkdir(run_dir, 0700);
	snprintf(path, sizeof(path), "%s/agents", run_dir);
	mkdir(path, 0700);
	put_file("events.jsonl",
		 "{\"ts\":\"2026-01-01T00:00:00Z\",\"level\":\"info\","
		 "\"event\":\"phase_started\",\"phase\":\"<script>ev"
		 "</script>\"}\nnot json\n");
	snprintf(path, sizeof(path), "%s/agents/01-impl-dev.audit.jsonl",
		 run_dir);
	a = audit_open(path);
	cr_assert_not_null(a);
	rec = json_pack("{s:s,s:s,s:s}", "tool", "Bash", "tool_use_id", "t1",
			"outcome", "allowed");
	audit_append(a, rec);
	json_decref(rec);
	rec = json_pack("{s:s,s:s,s:s}", "tool", "Write", "tool_use_id", "t2",
			"outcome", "denied");
	audit_append(a, rec);
	json_decref(rec);
	res = json_pack("{s:s,s:s,s:i,s:f,s:{s:{s:i,s:i,s:i,s:i},s:f}}",
			"run_id", "r1", "status", "failed", "exit_code", 1,
			"max_cost_usd", 10.0, "metrics", "tokens", "input", 100,
			"output", 50, "cache_creation", 0, "cache_read", 300,
			"cost_usd", 0.5);
	json_object_set_new(res, "phases",
			    json_pack("[{s:s,s:s,s:s,s:s,s:s,s:s,s:{s:i},s:f}]",
				      "name", "impl<b>", "agent", "dev",
				      "status", "failed", "transcript",
				      "/elsewhere/01-impl-dev.transcript.jsonl",
				      "audit_log", "01-impl-dev.audit.jsonl",
				      "audit_head", audit_head(a), "tokens",
				      "input", 450, "cost_usd", 0.5));
	audit_close(a);
	json_object_set_new(res, "success_criteria",
			    json_pack("[{s:s,s:s,s:s}]", "name",
				      "tests_passing", "outcome", "failed",
				      "reason", HOSTILE));
	write_transcript();
	if (break_audit) {
		snprintf(path, sizeof(path),
			 "%s/agents/01-impl-dev.audit.jsonl", run_dir);
		f = fopen(path, "ae");
		fputs("{\"seq\":9}\n", f);
		fclose(f);
	}
	return res;
}

static void
cleanup(void)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
}

/* Each tag of the page is one the builder writes, with its attributes. */
static void
expect_only_own_tags(const char *page)
{
	static const char *const tags[] = {
		"!DOCTYPE", "html",    "head", "meta",   "title", "style",
		"body",     "header",  "h1",   "h2",     "table", "tr",
		"th",       "td",      "div",  "span",   "pre",   "section",
		"details",  "summary", "p",    "footer",
	};
	static const char *const attrs[] = { "lang",    "charset", "http-equiv",
					     "content", "name",    "class",
					     "style",   "open",    "id",
					     "colspan" };
	const char *p = page;

	while ((p = strchr(p, '<'))) {
		const char *end = strchr(p, '>');
		char tag[64] = "";
		size_t n = 0;
		bool known = false;

		cr_assert_not_null(end);
		p++;
		if (*p == '/')
			p++;
		while (n < sizeof(tag) - 1 && p[n] &&
		       !isspace((unsigned char)p[n]) && p[n] != '>')
			tag[n] = p[n], n++;
		for (size_t i = 0; i < sizeof(tags) / sizeof(*tags); i++)
			known |= strcasecmp(tag, tags[i]) == 0;
		cr_expect(known, "unexpected tag <%s>", tag);
		/* attribute names inside this tag */
		for (const char *q = p + n; q < end;) {
			char name[32] = "";
			size_t k = 0;
			bool ok = false;

			while (q < end && isspace((unsigned char)*q))
				q++;
			while (q < end && k < sizeof(name) - 1 && *q != '=' &&
			       !isspace((unsigned char)*q))
				name[k++] = *q++;
			if (!k)
				break;
			if (strcmp(tag, "!DOCTYPE") == 0)
				ok = true;
			for (size_t i = 0; i < sizeof(attrs) / sizeof(*attrs);
			     i++)
				ok |= strcmp(name, attrs[i]) == 0;
			cr_expect(ok, "attribute %s in <%s>", name, tag);
			if (q < end && *q == '=') {
				char quote = *++q;

				cr_assert(quote == '"', "unquoted attribute");
				q = strchr(q + 1, '"');
				cr_assert(q && q < end);
				q++;
			}
		}
		p = end + 1;
	}
}

Test(report, hostile_run_is_inert)
{
	json_t *res = make_run(false);
	char *page = report_html(res, run_dir);

	cr_assert_not_null(page);
	cr_expect(strstr(page, "<meta http-equiv=\"Content-Security-Policy\" "
			       "content=\"default-src 'none'; style-src "
			       "'unsafe-inline'\">") != NULL);
	cr_expect(strstr(page, "<meta http-equiv") < strstr(page, "<style>"));
	for (const char *id =
		     "header\0chart\0changes\0timeline\0conversations\0"
		     "criteria\0";
	     *id; id += strlen(id) + 1) {
		char want[64];

		snprintf(want, sizeof(want), "id=\"%s\"", id);
		cr_expect(strstr(page, want) != NULL, "section %s", id);
	}
	cr_expect(strstr(page, "&lt;script&gt;alert(&#39;x&#39;)") != NULL);
	cr_expect(strstr(page, "\\x1b[31m") != NULL);
	cr_expect(strstr(page, "\\ufffe\\u009b") != NULL);
	cr_expect(strstr(page, "sk-ant-api03-abc") == NULL);
	cr_expect(strstr(page, "more bytes cut]") != NULL);
	cr_expect(strstr(page, "AAAAAAAAAA") != NULL);
	cr_expect(strlen(page) < 60000, "page of %zu bytes", strlen(page));
	cr_expect(strstr(page, "every audit log verified") != NULL);
	cr_expect(strstr(page, "refused") != NULL);
	cr_expect(strstr(page, "1 malformed lines skipped") != NULL);
	cr_expect(strstr(page, "cache share of input 75.0%") != NULL);
	expect_only_own_tags(page);
	free(page);
	json_decref(res);
	cleanup();
}

Test(report, broken_audit_chain_shown)
{
	json_t *res = make_run(true);
	char *page = report_html(res, run_dir);

	cr_assert_not_null(page);
	cr_expect(strstr(page, "NOT every audit log verified") != NULL);
	cr_expect(strstr(page, "broken at record 3") != NULL, "%s",
		  strstr(page, "audit chains"));
	free(page);
	json_decref(res);
	cleanup();
}

Test(report, write_from_dir_and_results_file)
{
	json_t *res = make_run(false);
	char path[512], out[512], err[512] = "";
	struct stat st;

	snprintf(path, sizeof(path), "%s/results", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/results/r1.json", dir);
	cr_assert_eq(json_dump_file(res, path, 0), 0);
	cr_expect_eq(report_write(run_dir, NULL, err, sizeof(err)), 0, "%s",
		     err);
	snprintf(out, sizeof(out), "%s/report.html", run_dir);
	cr_assert_eq(stat(out, &st), 0);
	cr_expect_eq(st.st_mode & 0777, 0600);
	snprintf(out, sizeof(out), "%s/other.html", dir);
	cr_expect_eq(report_write(path, out, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(stat(out, &st), 0);
	cr_expect_eq(report_write("/nonexistent/x", NULL, err, sizeof(err)), 2);
	cr_expect(strstr(err, "/nonexistent/x") != NULL);
	snprintf(out, sizeof(out), "%s/no-such-dir/x.html", dir);
	cr_expect_eq(report_write(path, out, err, sizeof(err)), 4);
	put_file("bad.json", "[1,2]");
	snprintf(path, sizeof(path), "%s/bad.json", run_dir);
	cr_expect_eq(report_write(path, NULL, err, sizeof(err)), 2);
	cr_expect(strstr(err, "not a results file") != NULL, "%s", err);
	json_decref(res);
	cleanup();
}

Test(report, file_past_the_cap_is_cut)
{
	/* a line, then zeros up to a byte past REPORT_FILE_MAX (sparse):
	 * read up to the cap, said to be cut; a small file is read whole
	 * into a buffer of its own size */
	char path[512], tmpl[] = "/tmp/gao-report-cap-XXXXXX";
	struct report_lines lines;
	size_t len = 0;
	bool cut = true;
	char *text;
	FILE *f;

	cr_assert_not_null(mkdtemp(tmpl));
	snprintf(path, sizeof(path), "%s/events.jsonl", tmpl);
	f = fopen(path, "we");
	cr_assert_not_null(f);
	fputs("{\"event\":\"run_started\"}\n", f);
	fclose(f);
	text = report_read_text(path, &len, &cut);
	cr_assert_not_null(text);
	cr_expect_eq(len, strlen("{\"event\":\"run_started\"}\n"));
	cr_expect(!cut);
	cr_expect_str_eq(text, "{\"event\":\"run_started\"}\n");
	free(text);
	cr_assert_eq(truncate(path, (off_t)REPORT_FILE_MAX + 1), 0);
	cr_assert_eq(report_read_lines(path, &lines), 0);
	cr_expect(lines.cut);
	cr_expect(!lines.missing);
	cr_expect_eq(json_array_size(lines.items), 1);
	cr_expect_eq(lines.bad, 1, "the zeros are one bad line");
	json_decref(lines.items);
	text = report_read_text(path, &len, &cut);
	cr_assert_not_null(text);
	cr_expect_eq(len, REPORT_FILE_MAX);
	cr_expect(cut);
	free(text);
	cr_expect_eq(unlink(path), 0);
	cr_expect_eq(rmdir(tmpl), 0);
}

Test(report, huge_numbers_give_bars_of_0_to_100)
{
	/* a hostile copy's token counts and costs past any integer, and
	 * their sums past any double: every bar 0 to 100 % wide (the
	 * sanitizer build runs this test: no undefined cast) */
	json_t *res = json_loads(
		"{\"run_id\": \"r1\", \"phases\": ["
		" {\"name\": \"a\", \"cost_usd\": 1e308, \"tokens\":"
		"  {\"input\": 1e308, \"output\": 1e308}},"
		" {\"name\": \"b\", \"cost_usd\": -1e308, \"tokens\":"
		"  {\"input\": -1e308}},"
		" {\"name\": \"c\", \"cost_usd\": 1, \"tokens\":"
		"  {\"input\": 5}}]}",
		0, NULL);
	char *page, *p;

	cr_assert_not_null(res);
	page = report_html(res, "/nonexistent");
	cr_assert_not_null(page);
	for (p = strstr(page, "class=\"bar "); p;
	     p = strstr(p + 1, "class=\"bar ")) {
		const char *w = strstr(p, "width:");
		int pct = -1;

		cr_assert_not_null(w);
		cr_assert_eq(sscanf(w, "width:%d%%", &pct), 1);
		cr_expect(pct >= 0 && pct <= 100, "a bar %d%% wide", pct);
	}
	free(page);
	json_decref(res);
}
