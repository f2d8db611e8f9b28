/*
 * test_htmltext.c - unit tests of the HTML escape step
 * (supervisor/out/htmltext.h).
 *
 * Design note
 * -----------
 * A table of hostile inputs with their exact escaped forms, one row per
 * class of the design note (the five markup characters, C0 controls and
 * ANSI sequences, DEL, NUL, C1 and bidi controls, U+FFFE/U+FFFF, invalid
 * UTF-8), the texts that pass unchanged, then every byte value alone
 * checked against the promise (no markup character, no raw control,
 * valid UTF-8), and the cut on a character boundary with its marker.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "common/utf8.h"
#include "supervisor/out/htmltext.h"

#define R "\xef\xbf\xbd" /* U+FFFD */

struct esc_case {
	const char *in;
	size_t len;
	const char *out;
};

#define C(in, out) \
	{ \
		in, sizeof(in) - 1, out \
	}

static const struct esc_case cases[] = {
	C("plain text", "plain text"),
	C("", ""),
	C("a\nb\tc", "a\nb\tc"),
	C("&<>\"'", "&amp;&lt;&gt;&quot;&#39;"),
	C("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
	C("<img src=x onerror=\"alert(1)\">",
	  "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"),
	C("<a href='javascript:alert(1)'>x</a>",
	  "&lt;a href=&#39;javascript:alert(1)&#39;&gt;x&lt;/a&gt;"),
	C("&lt;already&gt;", "&amp;lt;already&amp;gt;"),
	C("]]><!-- -->", "]]&gt;&lt;!-- --&gt;"),
	C("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),
	C("\x1b]0;title\x07", "\\x1b]0;title\\x07"),
	C("cr\rlf", "cr\\x0dlf"),
	C("nul\0x", "nul\\x00x"),
	C("del\x7f", "del\\x7f"),
	C("c1 \xc2\x9b", "c1 \\u009b"),
	C("bidi \xe2\x80\xae rtl", "bidi \\u202e rtl"),
	C("isolate \xe2\x81\xa6", "isolate \\u2066"),
	C("nonchar \xef\xbf\xbe\xef\xbf\xbf", "nonchar \\ufffe\\uffff"),
	C("lone \xff byte", "lone " R " byte"),
	C("cut \xe2\x82", "cut " R),
	C("overlong \xc0\xaf", "overlong " R R),
	C("surrogate \xed\xa0\x80", "surrogate " R R R),
	C("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	  "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
	C("\xc2\xa0nbsp", "\xc2\xa0nbsp"),
};

static char *
escape(const char *s, size_t len, size_t max)
{
	char *out = htmltext_dup(s, len, max);

	cr_assert_not_null(out);
	return out;
}

Test(htmltext, table)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *out = escape(cases[i].in, cases[i].len, 0);

		cr_expect_str_eq(out, cases[i].out, "case %zu: %s", i,
				 cases[i].out);
		free(out);
	}
}

/* No markup character, no raw control, valid UTF-8: for every byte. */
static void
expect_inert(const char *out)
{
	cr_expect(utf8_valid(out, strlen(out)), "%s", out);
	for (const unsigned char *p = (const unsigned char *)out; *p; p++) {
		cr_expect(*p != '<' && *p != '>' && *p != '"' && *p != '\'',
			  "markup in %s", out);
		cr_expect(*p >= 0x20 || *p == '\n' || *p == '\t',
			  "control in %s", out);
		cr_expect(*p != 0x7f);
		if (*p == '&')
			cr_expect(!strncmp((const char *)p, "&amp;", 5) ||
					  !strncmp((const char *)p, "&lt;",
						   4) ||
					  !strncmp((const char *)p, "&gt;",
						   4) ||
					  !strncmp((const char *)p, "&quot;",
						   6) ||
					  !strncmp((const char *)p, "&#39;", 5),
				  "entity in %s", out);
	}
}

Test(htmltext, every_byte)
{
	for (int b = 0; b < 256; b++) {
		char in[3] = { 'x', (char)b, 'y' };
		char *out = escape(in, 3, 0);

		expect_inert(out);
		free(out);
	}
}

Test(htmltext, cut_on_character)
{
	/* "é" is 2 bytes: a cap in its middle cuts before it */
	char *out = escape("ab\xc3\xa9z", 5, 3);

	cr_expect_str_eq(out, "ab [... 3 more bytes cut]");
	free(out);
	out = escape("abcdef", 6, 4);
	cr_expect_str_eq(out, "abcd [... 2 more bytes cut]");
	free(out);
	out = escape("abc", 3, 3);
	cr_expect_str_eq(out, "abc");
	free(out);
}

Test(htmltext, long_line_capped)
{
	size_t n = 100000;
	char *in = malloc(n), *out;

	cr_assert_not_null(in);
	for (size_t i = 0; i < n; i++)
		in[i] = "<a>\x1b"[i % 4];
	out = escape(in, n, 2048);
	cr_expect(strstr(out, " more bytes cut]") != NULL);
	cr_expect(strlen(out) < 2048 * 6 + 64);
	expect_inert(out);
	free(in);
	free(out);
}

Test(htmltext, puts_null)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&buf, &n);

	cr_assert_not_null(m);
	cr_expect_eq(htmltext_puts(m, NULL, 0), 0);
	cr_expect_eq(htmltext_puts(m, "<b>", 0), 0);
	fclose(m);
	cr_expect_str_eq(buf, "&lt;b&gt;");
	free(buf);
}
