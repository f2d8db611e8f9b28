/*
 * fuzz_report.c - libFuzzer harness for the report (gao-dev report):
 * a run's files, all hostile, rendered as one HTML page.
 *
 * Design note
 * -----------
 * The input is up to five parts separated by a line "%%": the results
 * document, then the files it names under the run directory: the
 * transcript (agents/t.transcript.jsonl), the audit log
 * (agents/t.audit.jsonl), events.jsonl and a diff (diffs/d.diff). A part
 * the input does not have is a file that is not there. The results part
 * must be JSON (report_write refuses any other); its phases name the
 * files by these base names, as the seeds do.
 *
 * The page is checked for what report.h promises, beyond no crash, leak
 * or sanitizer report: the only markup is the page's own (every "<"
 * opens or closes one of its tags, every "&" starts one of the five
 * escapes htmltext writes), the page is valid UTF-8, and it holds no
 * control character but newline and tab, no C1 control and no bidi
 * control: nothing a hostile run wrote is markup or reaches the reader
 * raw.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/utf8.h"
#include "supervisor/run/report.h"
#include "tests/fuzz/fuzz_input_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEP "\n%%\n"

static const char *const files[] = {
	NULL, /* the results document: not a file */
	"run/agents/t.transcript.jsonl",
	"run/agents/t.audit.jsonl",
	"run/events.jsonl",
	"run/diffs/d.diff",
};
#define PARTS (sizeof(files) / sizeof(files[0]))

/* The tags report_html writes, each opened and closed. */
static const char *const tags[] = {
	"!DOCTYPE", "html",    "head",    "meta",   "title",   "style",
	"body",     "header",  "h1",      "h2",     "section", "table",
	"tr",       "th",      "td",      "p",      "div",     "span",
	"pre",      "details", "summary", "footer",
};

static int
is_tag(const char *s, size_t left)
{
	size_t skip = left > 0 && s[0] == '/' ? 1 : 0;

	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		size_t n = strlen(tags[i]);

		if (left >= skip + n + 1 && !memcmp(s + skip, tags[i], n) &&
		    strchr(" >\n", s[skip + n]))
			return 1;
	}
	return 0;
}

static int
is_escape(const char *s, size_t left)
{
	static const char *const esc[] = { "&amp;", "&lt;", "&gt;", "&quot;",
					   "&#39;" };

	for (size_t i = 0; i < sizeof(esc) / sizeof(esc[0]); i++)
		if (left >= strlen(esc[i]) &&
		    !memcmp(s, esc[i], strlen(esc[i])))
			return 1;
	return 0;
}

/* Aborts unless page is as report.h promises (see the design note). */
static void
check_page(const char *page)
{
	const unsigned char *u = (const unsigned char *)page;
	size_t len = strlen(page);

	if (!utf8_valid(page, len))
		abort();
	for (size_t i = 0; i < len; i++) {
		if (u[i] == '<' && !is_tag(page + i + 1, len - i - 1))
			abort(); /* markup the page does not write */
		if (u[i] == '&' && !is_escape(page + i, len - i))
			abort(); /* an entity htmltext does not write */
		if ((u[i] < 0x20 && u[i] != '\n' && u[i] != '\t') ||
		    u[i] == 0x7f)
			abort(); /* a C0 control or DEL */
		if (u[i] == 0xc2 && i + 1 < len && u[i + 1] >= 0x80 &&
		    u[i + 1] <= 0x9f)
			abort(); /* a C1 control */
		if (u[i] == 0xe2 && i + 2 < len &&
		    ((u[i + 1] == 0x80 && u[i + 2] >= 0xaa &&
		      u[i + 2] <= 0xae) ||
		     (u[i + 1] == 0x81 && u[i + 2] >= 0xa6 &&
		      u[i + 2] <= 0xa9)))
			abort(); /* a bidi control */
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	char path[512], run_dir[512];
	json_t *results = NULL;
	char *page;

	snprintf(run_dir, sizeof(run_dir), "%s/run", fuzz_input_dir());
	snprintf(path, sizeof(path), "%s/agents", run_dir);
	(void)mkdir(run_dir, 0700);
	(void)mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/diffs", run_dir);
	(void)mkdir(path, 0700);
	for (size_t i = 0; i < PARTS; i++) {
		const char *sep = p ? memmem(p, (size_t)(end - p), SEP,
					     strlen(SEP)) :
				      NULL;
		const char *stop = sep ? sep : end;

		if (i == 0) {
			results = json_loadb(p, (size_t)(stop - p),
					     JSON_ALLOW_NUL, NULL);
		} else if (p) {
			fuzz_input_write(files[i], (const uint8_t *)p,
					 (size_t)(stop - p), path,
					 sizeof(path));
		} else {
			snprintf(path, sizeof(path), "%s/%s", fuzz_input_dir(),
				 files[i]);
			(void)unlink(path);
		}
		p = sep ? sep + strlen(SEP) : NULL;
	}
	if (!results)
		return 0;
	page = report_html(results, run_dir);
	if (!page)
		abort(); /* only on ENOMEM, which the fuzzer does not cause */
	check_page(page);
	free(page);
	json_decref(results);
	return 0;
}
