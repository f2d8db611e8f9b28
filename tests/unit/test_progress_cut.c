/*
 * test_progress_cut.c - progress_cut(): how much of a line fits the
 * terminal's width (supervisor/out/progress.h). The status area itself
 * is tested in a real terminal (tests/progress/).
 */
#include <string.h>

#include <criterion/criterion.h>

#include "common/utf8.h"
#include "supervisor/out/progress.h"

Test(progress_cut, ascii_fits_or_is_cut_at_the_width)
{
	cr_assert_eq(progress_cut("hello", 80), 5);
	cr_assert_eq(progress_cut("hello", 5), 5);
	cr_assert_eq(progress_cut("hello", 3), 3);
	cr_assert_eq(progress_cut("hello", 0), 0);
	cr_assert_eq(progress_cut("", 10), 0);
}

Test(progress_cut, a_sequence_is_never_split)
{
	/* é: 2 bytes, one column */
	cr_assert_eq(progress_cut("\xc3\xa9\xc3\xa9\xc3\xa9", 2), 4);
	/* 漢: 3 bytes, counted as two columns */
	cr_assert_eq(progress_cut("\xe6\xbc\xa2\xe6\xbc\xa2", 3), 3);
	cr_assert_eq(progress_cut("\xe6\xbc\xa2\xe6\xbc\xa2", 4), 6);
	cr_assert_eq(progress_cut("a\xe6\xbc\xa2", 2), 1);
	/* an emoji: 4 bytes, two columns */
	cr_assert_eq(progress_cut("\xf0\x9f\x98\x80x", 2), 4);
	cr_assert_eq(progress_cut("\xf0\x9f\x98\x80x", 1), 0);
}

Test(progress_cut, every_cut_is_valid_utf8_within_the_width)
{
	const char *s = "ab\xc3\xa9\xe6\xbc\xa2 \xf0\x9f\x98\x80-\xe2\x80\xae|";

	for (unsigned long cols = 0; cols < 20; cols++) {
		unsigned long n = progress_cut(s, cols);

		cr_assert(utf8_valid(s, n), "cols %lu: %lu bytes", cols, n);
		cr_assert_leq(n, strlen(s));
		/* a wider terminal never shows less */
		cr_assert_leq(n, progress_cut(s, cols + 1));
	}
	/* a, b, é, 漢 (two columns), space: 6 columns, 8 bytes */
	cr_assert_eq(progress_cut(s, 6), 8);
	cr_assert_eq(progress_cut(s, 5), 7);
	cr_assert_eq(progress_cut(s, 4), 4); /* 漢 does not fit in one */
	cr_assert_eq(progress_cut(s, 100), strlen(s));
}

Test(progress_cut, invalid_utf8_ends_the_line)
{
	cr_assert_eq(progress_cut("ab\xff"
				  "cd",
				  10),
		     2);
	cr_assert_eq(progress_cut("ab\xe6\xbc", 10), 2);
	cr_assert_eq(progress_cut("\x9b[2J", 10), 0);
}
