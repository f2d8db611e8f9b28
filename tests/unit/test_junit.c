/*
 * test_junit.c - unit tests of the JUnit document (junit.h) and of the
 * XML text step under it (xmltext.h).
 *
 * Design note
 * -----------
 * xmltext_put is fed each class of byte XML 1.0 forbids or gives a
 * meaning (C0 controls, NUL, U+FFFE/U+FFFF, encoded surrogates, overlong
 * forms, lone continuation and truncated sequences, markup characters,
 * "]]>") and must write only characters XML allows, never split a
 * character at a cut, and say how much it cut. junit_render is given
 * results documents built here (the shape of docs/results.md) and its
 * text is checked: the counts, the kinds, the bounds on huge values,
 * redaction of sk-ant- tokens, the early-error document. The
 * integration test (tests/integration/test_junit.c) reads real files
 * with python3-junitparser.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "common/utf8.h"
#include "supervisor/out/junit.h"
#include "supervisor/out/xmltext.h"

#define FFFD "\xef\xbf\xbd"

/* xmltext_put of s[0..len) into a string (caller frees); cut into *cut. */
static char *
esc(const char *s, size_t len, size_t max, bool attr, size_t *cut)
{
	char *buf = NULL;
	size_t n = 0, c;
	FILE *m = open_memstream(&buf, &n);

	cr_assert_not_null(m);
	c = xmltext_put(m, s, len, max, attr);
	cr_assert_eq(fclose(m), 0);
	if (cut)
		*cut = c;
	return buf;
}

static void
expect(const char *in, size_t len, bool attr, const char *want)
{
	char *got = esc(in, len, 0, attr, NULL);

	cr_assert_str_eq(got, want, "in %zu bytes: got \"%s\"", len, got);
	free(got);
}

#define EXPECT(lit, attr, want) expect(lit, sizeof(lit) - 1, attr, want)

Test(xmltext, markup_is_escaped)
{
	EXPECT("a&b<c>d\"e'f", false, "a&amp;b&lt;c&gt;d&quot;e&apos;f");
	EXPECT("]]>", false, "]]&gt;");
	EXPECT("<![CDATA[x]]>", false, "&lt;![CDATA[x]]&gt;");
	EXPECT("&amp;", false, "&amp;amp;");
}

Test(xmltext, controls_become_replacement)
{
	EXPECT("\x01\x08\x0b\x0c\x1b\x1f", false,
	       FFFD FFFD FFFD FFFD FFFD FFFD);
	EXPECT("a\0b", false, "a" FFFD "b");
	/* DEL and C1 controls are XML 1.0 characters */
	EXPECT("\x7f\xc2\x9b", false, "\x7f\xc2\x9b");
}

Test(xmltext, whitespace_kept_in_text_escaped_in_attributes)
{
	EXPECT("a\tb\nc\rd", false, "a\tb\nc&#13;d");
	EXPECT("a\tb\nc\rd", true, "a&#9;b&#10;c&#13;d");
}

Test(xmltext, nonchars_and_invalid_utf8_become_replacement)
{
	EXPECT("\xef\xbf\xbe\xef\xbf\xbf", false, FFFD FFFD);
	EXPECT("\xef\xbf\xbd", false, FFFD); /* U+FFFD itself is fine */
	EXPECT("\xed\xa0\x80", false, FFFD FFFD FFFD); /* a surrogate */
	EXPECT("\xc0\xaf", false, FFFD FFFD);          /* overlong '/' */
	EXPECT("\x80x", false, FFFD "x");              /* lone continuation */
	EXPECT("\xe2\x82", false, FFFD);               /* truncated */
	EXPECT("\xff\xfe", false, FFFD FFFD);
	EXPECT("\xf4\x90\x80\x80", false, FFFD FFFD FFFD FFFD); /* > 10FFFF */
	EXPECT("\xf0\x9f\x98\x80 \xe2\x82\xac", false,
	       "\xf0\x9f\x98\x80 \xe2\x82\xac");
}

Test(xmltext, cut_on_a_character_with_a_marker)
{
	size_t cut = 0;
	/* 3 bytes, then a 4-byte character across the limit of 5 */
	char *got = esc("abc\xf0\x9f\x98\x80zz", 9, 5, false, &cut);

	cr_assert_eq(cut, 6);
	cr_assert_str_eq(got, "abc [... 6 more bytes cut]");
	free(got);
	got = esc("abc", 3, 3, false, &cut);
	cr_assert_eq(cut, 0);
	cr_assert_str_eq(got, "abc");
	free(got);
}

/* ---- junit_render -------------------------------------------------------- */

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static json_t *
results(const char *status, const char *stop, json_t *phases, json_t *crit)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:f,s:i,s:{s:s},s:o,s:o,s:[],"
			 "s:{s:s,s:s},s:{s:{s:i,s:i,s:i,s:i},s:f},"
			 "s:{s:s,s:[s]}}",
			 "run_id", "b-20261206-000000-00000000", "status",
			 status, "stop_reason", stop, "start_time",
			 "2026-12-06T00:00:00Z", "duration_seconds", 10.0,
			 "exit_code", 0, "benchmark", "name", "b", "phases",
			 phases, "success_criteria", crit, "errors",
			 "reproduce", "gao_dev_version", "9.9", "model", "m",
			 "metrics", "tokens", "input", 1, "output", 2,
			 "cache_creation", 3, "cache_read", 4, "cost_usd", 0.5,
			 "isolation", "summary", "seccomp", "workers",
			 "seccomp");
}

Test(junit, counts_and_kinds)
{
	json_t *runs = json_array(), *r;
	char *x;

	r = results("failed", "phase_failed",
		    json_pack("[{s:s,s:s,s:s,s:f,s:s},{s:s,s:s,s:s,s:s},"
			      "{s:s,s:s,s:s,s:s,s:f}]",
			      "name", "one", "agent", "A", "status", "success",
			      "duration_seconds", 2.0, "audit_head", "abc",
			      "name", "two", "agent", "A", "status", "skipped",
			      "reason", "skip_if_failed", "name", "three",
			      "agent", "A", "status", "timeout", "stop_reason",
			      "phase_timeout", "duration_seconds", 3.0),
		    json_pack("[{s:s,s:s,s:s},{s:s,s:s,s:s}]", "name", "c1",
			      "outcome", "failed", "reason", "exited 1", "name",
			      "c2", "outcome", "skipped", "reason",
			      "not required"));
	json_array_append_new(runs, r);
	x = junit_render(runs, 1, NULL);
	cr_assert_not_null(x);
	cr_assert_not_null(strstr(x, "<testsuites name=\"gao-dev\" tests=\"6\" "
				     "failures=\"3\" errors=\"0\" "
				     "skipped=\"2\" time=\"10.000\">"),
			   "%s", x);
	cr_assert_not_null(
		strstr(x, "name=\"b (b-20261206-000000-00000000)\""));
	cr_assert_eq(count(x, "<testcase "), 6);
	cr_assert_eq(count(x, "<failure "), 3);
	cr_assert_eq(count(x, "<skipped "), 2);
	cr_assert_not_null(strstr(x, "message=\"skip_if_failed\""));
	cr_assert_not_null(
		strstr(x, "message=\"stopped by a limit: phase_timeout"));
	/* the run's case has the time outside the phases: 10 - 2 - 3 */
	cr_assert_not_null(strstr(x, "name=\"run\" time=\"5.000\""), "%s", x);
	cr_assert_not_null(
		strstr(x,
		       "<property name=\"audit_head.01.one\" value=\"abc\"/>"));
	cr_assert_not_null(
		strstr(x,
		       "<property name=\"gao_dev_version\" value=\"9.9\"/>"));
	cr_assert_not_null(
		strstr(x, "<property name=\"cost_usd\" value=\"0.500000\"/>"));
	free(x);
	json_decref(runs);
}

Test(junit, huge_values_are_cut_and_secrets_redacted)
{
	size_t n = 200000;
	char *big = malloc(n + 1), *x;
	json_t *runs = json_array(), *r;

	cr_assert_not_null(big);
	memset(big, '<', n);
	memcpy(big, "sk-ant-api03-ABCDEFGHIJKLMNOP ", 30);
	big[n] = 0;
	r = results("error", "api_error",
		    json_pack("[{s:s,s:s,s:s,s:s,s:s}]", "name", big, "agent",
			      "A", "status", "error", "final_text", big,
			      "error", big),
		    json_array());
	json_array_append_new(json_object_get(r, "errors"), json_string(big));
	json_array_append(runs, r);
	json_array_append_new(runs, r);
	x = junit_render(runs, 4, NULL);
	cr_assert_not_null(x);
	cr_assert_null(strstr(x, "sk-ant-api03"));
	cr_assert_not_null(strstr(x, "[REDACTED]"));
	cr_assert_null(strstr(x, "<<"), "a raw < in the text");
	cr_assert_gt(count(x, "more bytes cut]"), 6);
	/* two suites, each value bounded: far below the input */
	cr_assert_lt(strlen(x),
		     2 * (5 * JUNIT_MAX_TEXT + JUNIT_MAX_SUMMARY) * 5);
	cr_assert_eq(count(x, "<error "), 4);
	cr_assert_not_null(strstr(x, "errors=\"4\""));
	free(x);
	free(big);
	json_decref(runs);
}

Test(junit, huge_times_are_saturated)
{
	/* a hostile shard's duration past any integer: a time is printed
	 * (the sanitizer build runs this test: no undefined cast) */
	json_t *runs = json_array(), *r;
	char *x;

	r = results("completed", "end_turn",
		    json_pack("[{s:s,s:s,s:s,s:f}]", "name", "P", "agent", "A",
			      "status", "success", "duration_seconds", 1e308),
		    json_array());
	json_object_set_new(r, "duration_seconds", json_real(1e308));
	json_array_append_new(runs, r);
	x = junit_render(runs, 0, NULL);
	cr_assert_not_null(x);
	cr_assert_not_null(strstr(x, "time=\"9223372036854776.000\""), "%s", x);
	free(x);
	json_decref(runs);
}

Test(junit, early_error_document)
{
	char *x = junit_render(NULL, 3, "API key is <invalid> (HTTP 401)");

	cr_assert_not_null(x);
	cr_assert_not_null(strstr(x, "<testsuites name=\"gao-dev\" tests=\"1\" "
				     "failures=\"0\" errors=\"1\""));
	cr_assert_not_null(strstr(x, "<testsuite name=\"gao-dev\""));
	cr_assert_not_null(strstr(x, "message=\"API key is &lt;invalid&gt; "
				     "(HTTP 401)\" type=\"exit 3\""));
	free(x);
}

/* ---- random bytes: only what XML 1.0 allows comes out -------------------- */

/* The code point of the valid UTF-8 sequence at p (k bytes). */
static unsigned
code_point(const unsigned char *p, int k)
{
	static const unsigned char lead_mask[] = { 0, 0x7f, 0x1f, 0x0f, 0x07 };
	unsigned cp = p[0] & lead_mask[k];

	for (int i = 1; i < k; i++)
		cp = (cp << 6) | (p[i] & 0x3f);
	return cp;
}

static bool
xml_char(unsigned cp, bool attr)
{
	if (cp == '\t' || cp == '\n')
		return !attr;
	return (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) ||
	       (cp >= 0x10000 && cp <= 0x10ffff);
}

/* Assert out is valid UTF-8 of XML characters with only our entities. */
static void
assert_xml_safe(const char *out, bool attr)
{
	static const char *const ent[] = { "&amp;",  "&lt;",  "&gt;", "&quot;",
					   "&apos;", "&#13;", "&#9;", "&#10;" };
	const unsigned char *p = (const unsigned char *)out;
	size_t len = strlen(out), i = 0;

	while (i < len) {
		int k = utf8_seq(out + i, len - i);
		bool known = false;

		cr_assert_gt(k, 0, "invalid UTF-8 at %zu", i);
		cr_assert(xml_char(code_point(p + i, k), attr), "U+%04X at %zu",
			  code_point(p + i, k), i);
		cr_assert(!strchr("<>\"'", p[i]) || k > 1, "raw %c", p[i]);
		if (p[i] == '&') {
			for (size_t e = 0; e < sizeof(ent) / sizeof(*ent); e++)
				known |= !strncmp(out + i, ent[e],
						  strlen(ent[e]));
			cr_assert(known, "a raw & at %zu", i);
		}
		i += (size_t)k;
	}
}

Test(xmltext, random_bytes_give_only_xml_characters)
{
	unsigned seed = 12345;
	static const char odd[] = "\xef\xbf\xbe\xed\xa0\x80<>&\"'";
	unsigned char in[256];

	for (int round = 0; round < 20000; round++) {
		size_t n = (size_t)(rand_r(&seed) % (int)sizeof(in));
		size_t max = (size_t)(rand_r(&seed) % 300);

		for (size_t i = 0; i < n; i++) {
			/* skew towards the interesting bytes */
			int r = rand_r(&seed) % 8;
			unsigned v = (unsigned)rand_r(&seed);

			in[i] = r == 0 ? (unsigned char)(v % 0x20) :
				r == 1 ? (unsigned char)odd[v % 11] :
					 (unsigned char)(v & 0xff);
		}
		for (int attr = 0; attr < 2; attr++) {
			size_t cut;
			char *out = esc((const char *)in, n, max, attr, &cut);

			assert_xml_safe(out, attr);
			cr_assert(cut == 0 || strstr(out, "more bytes cut]"));
			free(out);
		}
	}
}
