/*
 * test_report.c - gao-dev report and sandbox run --report through the
 * real binary against the fake API, and the page in a real browser.
 *
 * Design note
 * -----------
 * The scenario (written by the test: it holds a 100 KB line) has Amelia
 * say <script>, an <img onerror=...>, a javascript: link, ANSI sequences
 * and a 100 KB line, then run Bash commands whose output holds the same
 * plus invalid UTF-8 (one fails, one writes evil.html: the phase's diff),
 * and call a tool it was not given. The run is
 * made with --report; the test then checks the page it wrote (0600, the
 * sections, nothing live), runs `gao-dev report` on the results file with --out
 * and on bad inputs (exit 2 naming the file), and renders the page in headless
 * chromium (tests/integration/report_browser.py): the DOM has the sections and
 * no script, event-handler attribute or javascript: URL, the marker the agent
 * wrote is shown as text, and the screenshot is not blank. Where chromium
 * cannot be found or started, that part is skipped with a message saying so.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "harness_bench.h"
#include "supervisor/run/report.h"

#define MARKER "PWNED-MARKER-7f3a"
#define SAY \
	"Report test. <script>document.title='" MARKER "'</script> " \
	"<img src=x onerror=\"alert('" MARKER "')\"> " \
	"<a href=\"javascript:alert(1)\">click</a> " \
	"<svg onload=alert(2)></svg> \x1b[31mred\x1b[0m \x1b]0;title\x07 " \
	"&amp; done.\n"

/* The scenario: two turns of Amelia, the first with a 100 KB line. */
static void
write_scenario(const char *path)
{
	char *big = malloc(100001), *text;
	json_t *sc;
	size_t n = strlen(SAY);

	cr_assert_not_null(big);
	memset(big, 'L', 100000);
	big[100000] = 0;
	text = malloc(n + 100002);
	cr_assert_not_null(text);
	memcpy(text, SAY, n);
	memcpy(text + n, big, 100001);
	sc = json_pack(
		"{s:[{s:s,s:s,s:[{s:[{s:s,s:s},{s:s,s:s,s:{s:s}},"
		"{s:s,s:s,s:{s:s}},{s:s,s:s,s:{s:s}}]},{s:[{s:s,s:s}]}]}]}",
		"conversations", "name", "amelia", "match", "Amelia", "turns",
		"content", "type", "text", "text", text, "type", "tool_use",
		"name", "Bash", "input", "command",
		"printf '<script>alert(3)</script> \\377\\376 "
		"\\033[32mgreen\\033[0m <a href=\"javascript:x\">j</a>\\n'; "
		"printf '<script>alert(4)</script>\\n' > evil.html; "
		"head -c 100000 /dev/zero | tr '\\0' y",
		"type", "tool_use", "name", "Bash", "input", "command",
		"cat /no/such/file", "type", "tool_use", "name", "NoSuchTool",
		"input", "x", "y", "content", "type", "text", "text",
		"All done " MARKER);
	cr_assert_eq(json_dump_file(sc, path, JSON_COMPACT), 0);
	json_decref(sc);
	free(text);
	free(big);
}

static void
start(struct hb *t)
{
	char sc[600];

	memset(t, 0, sizeof(*t));
	h_tmpdir(t->dir, sizeof(t->dir));
	h_keyfile(t->dir, H_TEST_KEY, t->key, sizeof(t->key));
	snprintf(t->root, sizeof(t->root), "%s/sandbox", t->dir);
	snprintf(sc, sizeof(sc), "%s/scenario.json", t->dir);
	write_scenario(sc);
	h_fake_start(&t->fake, sc, t->key, t->dir);
	snprintf(t->base, sizeof(t->base),
		 "ANTHROPIC_BASE_URL=http://127.0.0.1:%d", t->fake.port);
}

static void
run_hostile(struct hb *t, char *cfg, size_t cap)
{
	const char *args[] = { cfg, "--report", NULL };

	hb_write(t, "report.yaml",
		 "name: report-test\n"
		 "description: The report of a hostile agent\n"
		 "initial_prompt: Do what the scenario says.\n"
		 "timeout_seconds: 300\n"
		 "workflow_phases:\n"
		 "  - phase_name: \"impl <b>bold</b>\"\n"
		 "    agent: Amelia\n"
		 "success_criteria:\n"
		 "  quality_gates:\n"
		 "    commit_format: conventional\n",
		 cfg, cap);
	hb_run(t, args, 120);
}

/* Run gao-dev with args; its exit code and stderr into o. */
static void
gao(const struct hb *t, const char *const *args, struct h_out *o)
{
	h_run(args, NULL, t->dir, 60, o);
}

/* Nothing live in the page as written: every '<' starts a tag of ours. */
static void
assert_inert(const char *page)
{
	static char run[REPORT_TEXT_MAX + 2];
	static const char *const bad[] = { "<script", "<img",    "<a ",
					   "<svg",    "<iframe", "<link",
					   "<base",   "<form",   "<object" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		cr_expect_null(strcasestr(page, bad[i]), "%s in the page",
			       bad[i]);
	cr_expect_null(strstr(page, "\x1b"), "a raw ESC in the page");
	cr_expect_not_null(strstr(page, "&lt;script&gt;document.title="));
	cr_expect_not_null(strstr(page, "&lt;img src=x onerror="));
	cr_expect_not_null(strstr(page, "\\x1b[31mred"));
	cr_expect_not_null(strstr(page, "more bytes cut]"));
	memset(run, 'L', sizeof(run) - 1);
	run[sizeof(run) - 1] = 0;
	cr_expect_null(strstr(page, run), "the 100 KB line is not cut");
	cr_expect_not_null(strstr(page, run + sizeof(run) - 1000),
			   "the long line is not shown at all");
}

Test(report, run_report_is_inert_and_complete, .timeout = 240)
{
	char cfg[600], run_dir[1200], page_path[1300], results[1200], out2[700],
		shot[700], py[600];
	struct stat st;
	struct h_out o = { 0 };
	json_t *r;
	size_t len = 0;
	char *page;
	int status;
	struct hb t;

	start(&t);
	run_hostile(&t, cfg, sizeof(cfg));
	r = hb_results(&t);
	cr_assert_eq(t.out.code, 0, "exit %d: %s", t.out.code, t.out.err);
	snprintf(run_dir, sizeof(run_dir), "%s/runs/%s", t.root,
		 hb_str(r, "run_id"));
	snprintf(page_path, sizeof(page_path), "%s/report.html", run_dir);
	cr_assert_eq(stat(page_path, &st), 0, "no %s", page_path);
	cr_expect_eq(st.st_mode & 0777, 0600);
	page = h_slurp(page_path, &len);
	cr_assert_not_null(page);
	assert_inert(page);
	cr_expect_not_null(strstr(page, "every audit log verified"));
	cr_expect_not_null(strstr(page, "commit_format"));
	cr_expect_not_null(strstr(page, "cat /no/such/file"));
	cr_expect_not_null(strstr(page, "badge error\">exit 1<"),
			   "the failed command is not marked");
	cr_expect_not_null(strstr(page, "badge skipped\">refused<"),
			   "the refused call is not marked");
	cr_expect_not_null(strstr(page, "Tool NoSuchTool is not available"));
	cr_expect_not_null(strstr(page, "\xef\xbf\xbd"),
			   "invalid UTF-8 not replaced");
	cr_expect_not_null(strstr(page, "impl &lt;b&gt;bold&lt;/b&gt;"));
	/* the files the phase changed, from the checks worker's diff */
	cr_expect_not_null(strstr(page, "id=\"changes\""));
	cr_expect_not_null(strstr(page,
				  "+&lt;script&gt;alert(4)&lt;/script&gt;"),
			   "the diff of evil.html is not shown");
	cr_expect_not_null(strstr(page, " evil.html | 1 +"));
	cr_expect_null(strstr(page, "could not be read"),
		       "a diff read whole is said to be unreadable");
	cr_expect_not_null(strstr(hb_str(hb_phase(r, 0), "diff"), "/diffs/01-"),
			   "the phase names no diff file");
	cr_expect_lt(len, 400000, "a page of %zu bytes", len);

	/* gao-dev report RESULTS_FILE --out FILE: the same page */
	snprintf(results, sizeof(results), "%s", hb_str(r, "results_file"));
	if (results[0] != '/')
		snprintf(results, sizeof(results), "%s/results/%s.json", t.root,
			 hb_str(r, "run_id"));
	snprintf(out2, sizeof(out2), "%s/second.html", t.dir);
	{
		const char *args[] = { "report", results, "--out", out2, NULL };

		gao(&t, args, &o);
	}
	cr_expect_eq(o.code, 0, "report: %s", o.err);
	cr_expect_eq(stat(out2, &st), 0);
	cr_expect_eq(st.st_mode & 0777, 0600);
	h_out_free(&o);
	{
		const char *args[] = { "report", run_dir, NULL };

		gao(&t, args, &o);
		cr_expect_eq(o.code, 0, "report RUN_DIR: %s", o.err);
		h_out_free(&o);
	}
	{
		const char *args[] = { "report", "/no/such/run", NULL };

		gao(&t, args, &o);
		cr_expect_eq(o.code, 2);
		cr_expect_not_null(strstr(o.err, "/no/such/run"), "%s", o.err);
		h_out_free(&o);
	}
	{
		const char *args[] = { "report", page_path, NULL };

		gao(&t, args, &o);
		cr_expect_eq(o.code, 2, "an HTML file as results");
		cr_expect_not_null(strstr(o.err, "not a results file"), "%s",
				   o.err);
		h_out_free(&o);
	}
	{
		const char *args[] = { "report", NULL };

		gao(&t, args, &o);
		cr_expect_eq(o.code, 2);
		h_out_free(&o);
	}

	/* the browser */
	h_src("tests/integration/report_browser.py", py, sizeof(py));
	snprintf(shot, sizeof(shot), "%s/shot.png", t.dir);
	{
		static const char marker[] = "All done " MARKER;
		const char *argv[] = { "python3", py,     page_path,
				       shot,      marker, NULL };
		char *so = hb_capture(argv, &status);

		free(so);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
		fprintf(stderr,
			"SKIP report browser check: chromium cannot be found "
			"or started here (apt-get install chromium)\n");
	} else {
		cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			  "report_browser.py failed (status %d): see stderr",
			  status);
	}
	free(page);
	json_decref(r);
	hb_finish(&t);
}
