/*
 * test_termesc.c - unit tests of the terminal escape step
 * (common/termesc.h).
 *
 * Design note
 * -----------
 * A table of inputs with their exact escaped forms, one row per class of
 * the design note (C0, DEL, C1, bidi, invalid UTF-8) and the texts that
 * must pass unchanged (ASCII, newline, tab, backslash, other non-ASCII
 * text, the code points just outside each escaped range). Then every byte
 * value alone and every code point of the escaped ranges, checked against
 * the promise (no control byte left, valid UTF-8), and the printf form.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "common/termesc.h"
#include "common/utf8.h"

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
	C("plain", "plain"),
	C("", ""),
	C("a\nb\tc", "a\nb\tc"),
	C("back\\slash \\x1b", "back\\slash \\x1b"),
	C("\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07"),
	C("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),
	C("cr\rlf", "cr\\x0dlf"),
	C("nul\0in", "nul\\x00in"),
	C("\x01\x1f\x7f", "\\x01\\x1f\\x7f"),
	C("c1 \xc2\x80 \xc2\x9b \xc2\x9f", "c1 \\u0080 \\u009b \\u009f"),
	C("after c1 \xc2\xa0 \xc2\xbf", "after c1 \xc2\xa0 \xc2\xbf"),
	C("\xe2\x80\xaa\xe2\x80\xae", "\\u202a\\u202e"),
	C("\xe2\x81\xa6\xe2\x81\xa9", "\\u2066\\u2069"),
	C("edges \xe2\x80\xa9 \xe2\x80\xaf \xe2\x81\xa5 \xe2\x81\xaa",
	  "edges \xe2\x80\xa9 \xe2\x80\xaf \xe2\x81\xa5 \xe2\x81\xaa"),
	C("utf8 \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	  "utf8 \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
	C("lone \x9b CSI", "lone " R " CSI"),
	C("cut \xe2\x80", "cut " R),
	C("overlong \xc0\xaf", "overlong " R R),
	C("surrogate \xed\xa0\x80", "surrogate " R R R),
	C("too big \xf4\x90\x80\x80", "too big " R R R R),
	C("\xff\xfe", R R),
};

Test(termesc, table)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *e = termesc_ndup(cases[i].in, cases[i].len);

		cr_assert_not_null(e);
		cr_expect_str_eq(e, cases[i].out, "case %zu", i);
		cr_expect_eq(termesc_clean(cases[i].in, cases[i].len),
			     strcmp(cases[i].in, cases[i].out) == 0 &&
				     strlen(cases[i].in) == cases[i].len,
			     "clean, case %zu", i);
		free(e);
	}
}

/* The promise on any output: valid UTF-8, no control left. */
static void
assert_safe(const char *e)
{
	size_t n = strlen(e);

	cr_assert(utf8_valid(e, n), "not UTF-8: %s", e);
	cr_assert(termesc_clean(e, n), "control left in: %s", e);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)e[i];

		cr_assert(c >= 0x20 || c == '\n' || c == '\t');
		cr_assert(c != 0x7f);
	}
}

Test(termesc, every_byte)
{
	for (unsigned b = 0; b < 256; b++) {
		char in[3] = { 'x', (char)b, 'y' };
		char *e = termesc_ndup(in, 3);

		cr_assert_not_null(e);
		assert_safe(e);
		cr_assert_eq(e[0], 'x');
		cr_assert_eq(e[strlen(e) - 1], 'y');
		free(e);
	}
}

Test(termesc, every_escaped_code_point)
{
	static const unsigned ranges[][2] = { { 0x80, 0x9f },
					      { 0x202a, 0x202e },
					      { 0x2066, 0x2069 } };

	for (size_t r = 0; r < 3; r++) {
		for (unsigned cp = ranges[r][0]; cp <= ranges[r][1]; cp++) {
			char in[4], want[8];
			size_t n;
			char *e;

			if (cp < 0x800) {
				in[0] = (char)(0xc0 | (cp >> 6));
				in[1] = (char)(0x80 | (cp & 0x3f));
				n = 2;
			} else {
				in[0] = (char)(0xe0 | (cp >> 12));
				in[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
				in[2] = (char)(0x80 | (cp & 0x3f));
				n = 3;
			}
			e = termesc_ndup(in, n);
			snprintf(want, sizeof(want), "\\u%04x", cp);
			cr_assert_str_eq(e, want);
			free(e);
		}
	}
}

Test(termesc, dup_null_and_idempotent)
{
	char *e = termesc_dup(NULL), *again;

	cr_assert_str_eq(e, "");
	free(e);
	e = termesc_dup("t\x1b]2;x\x07 \xe2\x80\xae \x9b");
	again = termesc_dup(e);
	cr_assert_str_eq(again, e);
	free(again);
	free(e);
}

Test(termesc, printf_and_fputs)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	int n;

	cr_assert_not_null(m);
	n = termesc_fprintf(m, "phase %s: %d\n", "\x1b[31mred", 7);
	cr_assert_eq(n, (int)strlen("phase \\x1b[31mred: 7\n"));
	cr_assert_eq(termesc_fputs("\xc2\x9b\n", m), 0);
	fclose(m);
	cr_assert_str_eq(buf, "phase \\x1b[31mred: 7\n\\u009b\n");
	free(buf);
}
