/*
 * test_utf8.c - unit tests of the one UTF-8 check (common/utf8.h).
 *
 * Design note
 * -----------
 * utf8_clean must pass every valid sequence through byte for byte
 * and turn each maximal invalid subpart into one U+FFFD (EF BF BD), the
 * Unicode standard's recommended practice (the one rule of common/utf8.c,
 * shared with the worker), following RFC 3629: overlong forms, UTF-16
 * surrogates, code points above U+10FFFF, stray continuation bytes,
 * truncated sequences and NUL are all invalid. A truncated sequence is
 * one replacement; a lead byte that can never start a valid sequence
 * (C0, C1, F5..FF) and every byte after a broken second byte are one
 * each.
 * The table below gives input and exact expected output for each case.
 * utf8_copy is checked at every buffer size against a slow model:
 * the output is the longest prefix made of whole sequences that fits.
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "common/utf8.h"

#define R "\xef\xbf\xbd" /* U+FFFD */

struct clean_case {
	const char *in;
	size_t len;
	const char *want;
};

#define C(in, want) \
	{ \
		in, sizeof(in) - 1, want \
	}

static const struct clean_case clean_cases[] = {
	C("plain ascii", "plain ascii"),
	C("", ""),
	C("caf\xc3\xa9", "caf\xc3\xa9"),           /* U+00E9 */
	C("\xe2\x82\xac", "\xe2\x82\xac"),         /* U+20AC */
	C("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"), /* U+1F600 */
	C("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf"), /* U+10FFFF */
	C("\xed\x9f\xbf", "\xed\x9f\xbf"),         /* U+D7FF */
	C("\xee\x80\x80", "\xee\x80\x80"),         /* U+E000 */
	C("\xc2\x80", "\xc2\x80"),                 /* U+0080 */
	C("\xe0\xa0\x80", "\xe0\xa0\x80"),         /* U+0800 */
	C("\xf0\x90\x80\x80", "\xf0\x90\x80\x80"), /* U+10000 */
	/* overlong forms */
	C("\xc0\xaf", R R),
	C("\xc1\xbf", R R),
	C("\xe0\x80\xaf", R R R),
	C("\xe0\x9f\xbf", R R R),
	C("\xf0\x80\x80\xaf", R R R R),
	C("\xf0\x8f\xbf\xbf", R R R R),
	/* surrogates */
	C("\xed\xa0\x80", R R R),
	C("\xed\xbf\xbf", R R R),
	C("a\xed\xb2\x80z", "a" R R R "z"),
	/* above U+10FFFF */
	C("\xf4\x90\x80\x80", R R R R),
	C("\xf5\x80\x80\x80", R R R R),
	C("\xf7\xbf\xbf\xbf", R R R R),
	C("\xf8\x88\x80\x80\x80", R R R R R),
	C("\xff", R),
	C("\xfe", R),
	/* stray continuation bytes */
	C("\x80", R),
	C("a\xbf"
	  "b",
	  "a" R "b"),
	/* truncated sequences, at the end and in the middle */
	C("\xc3", R),
	C("\xe2\x82", R),
	C("\xf0\x9f\x98", R),
	C("\xe2\x82"
	  "x",
	  R "x"),
	C("\xf0\x9f"
	  "ok",
	  R "ok"),
	C("\xc3\xc3\xa9", R "\xc3\xa9"),
	/* NUL bytes */
	C("a\0b", "a" R "b"),
	C("\0\0", R R),
};

Test(text, clean_table)
{
	for (size_t i = 0; i < sizeof(clean_cases) / sizeof(*clean_cases);
	     i++) {
		const struct clean_case *c = &clean_cases[i];
		char *out = utf8_clean(c->in, c->len);

		cr_assert_not_null(out);
		cr_assert_str_eq(out, c->want, "case %zu", i);
		free(out);
	}
}

Test(text, clean_respects_len)
{
	/* bytes past len are not looked at */
	char *out = utf8_clean("abc\xff", 3);

	cr_assert_str_eq(out, "abc");
	free(out);
	/* a sequence cut by len is truncated, hence invalid */
	out = utf8_clean("\xe2\x82\xac", 2);
	cr_assert_str_eq(out, R);
	free(out);
}

Test(text, clean_worst_case_growth)
{
	/* every byte invalid: the output is three times the input */
	char in[300], *out;

	memset(in, 0xff, sizeof(in));
	out = utf8_clean(in, sizeof(in));
	cr_assert_not_null(out);
	cr_assert_eq(strlen(out), 3 * sizeof(in));
	for (size_t i = 0; i < sizeof(in); i++)
		cr_assert_eq(memcmp(out + 3 * i, R, 3), 0);
	free(out);
}

/* The length of the sequence at p as utf8_copy must treat it. */
static size_t
model_seq(const char *p)
{
	char *clean;
	size_t n;

	for (n = 1; n <= 4 && p[n - 1]; n++) {
		clean = utf8_clean(p, n);
		cr_assert_not_null(clean);
		if (strlen(clean) == n && memcmp(clean, p, n) == 0 &&
		    strstr(clean, R) == NULL) {
			free(clean);
			return n;
		}
		free(clean);
	}
	return 1; /* an invalid byte counts on its own */
}

Test(text, copy_never_splits)
{
	const char *s = "a\xc3\xa9"
			"b\xe2\x82\xac"
			"c\xf0\x9f\x98\x80"
			"d";
	size_t len = strlen(s);
	char out[64];

	for (size_t cap = 1; cap <= len + 2; cap++) {
		size_t want = 0, n;

		while (want < len) {
			n = model_seq(s + want);
			if (want + n > cap - 1)
				break;
			want += n;
		}
		memset(out, '#', sizeof(out));
		utf8_copy(out, cap, s);
		cr_assert_eq(strlen(out), want, "cap %zu", cap);
		cr_assert_eq(memcmp(out, s, want), 0);
		cr_assert_eq(out[cap], '#', "wrote past cap %zu", cap);
	}
}

Test(text, copy_examples)
{
	char out[8];

	utf8_copy(out, 3, "\xe2\x82\xac");
	cr_assert_str_eq(out, "");
	utf8_copy(out, 4, "\xe2\x82\xac!");
	cr_assert_str_eq(out, "\xe2\x82\xac");
	utf8_copy(out, sizeof(out), "abc");
	cr_assert_str_eq(out, "abc");
	/* invalid bytes are copied one at a time, still bounded */
	utf8_copy(out, 3, "\xff\xfe\xfd");
	cr_assert_eq(strlen(out), 2);
	cr_assert_eq((unsigned char)out[0], 0xff);
}

Test(text, copy_cap_zero_writes_nothing)
{
	char out[2] = { '#', '#' };

	utf8_copy(out, 0, "abc");
	cr_assert_eq(out[0], '#');
	utf8_copy(out, 1, "abc");
	cr_assert_eq(out[0], 0);
	cr_assert_eq(out[1], '#');
}
