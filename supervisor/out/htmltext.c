/*
 * htmltext.c - HTML element text from untrusted bytes. See htmltext.h.
 */
#include "supervisor/out/htmltext.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD */

/* The escape of one ASCII byte, or NULL when it is written as it is. */
static const char *
ascii_escape(unsigned char c)
{
	switch (c) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '"':
		return "&quot;";
	case '\'':
		return "&#39;";
	default:
		return NULL;
	}
}

/* The code point of the valid UTF-8 sequence p[0..k). */
static uint32_t
code_point(const unsigned char *p, int k)
{
	static const unsigned char lead_mask[5] = { 0, 0x7f, 0x1f, 0x0f, 0x07 };
	uint32_t cp = p[0] & lead_mask[k];

	for (int i = 1; i < k; i++)
		cp = (cp << 6) | (p[i] & 0x3f);
	return cp;
}

/* Characters shown as \uNNNN: C1, bidi controls, U+FFFE, U+FFFF. */
static bool
shown_as_code(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfffe || cp == 0xffff;
}

size_t
htmltext_put(FILE *f, const char *s, size_t len, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, end = max && max < len ? max : len;

	while (i < end) {
		/* utf8_seq calls NUL invalid; it is a control here */
		int k = p[i] == 0 ? 1 : utf8_seq((const char *)p + i, len - i);
		size_t step = k < 0 ? (size_t)-k : (size_t)k;
		const char *esc;

		if (i + step > end)
			break; /* never split a character at the cut */
		if (k < 0) {
			fputs(REPLACEMENT, f);
		} else if (k == 1 && (esc = ascii_escape(p[i]))) {
			fputs(esc, f);
		} else if (k == 1 &&
			   ((p[i] < 0x20 && p[i] != '\n' && p[i] != '\t') ||
			    p[i] == 0x7f)) {
			fprintf(f, "\\x%02x", p[i]);
		} else if (k > 1 && shown_as_code(code_point(p + i, k))) {
			fprintf(f, "\\u%04x", (unsigned)code_point(p + i, k));
		} else {
			(void)fwrite(p + i, 1, step, f);
		}
		i += step;
	}
	if (i < len)
		fprintf(f, HTMLTEXT_CUT_FMT, len - i);
	return len - i;
}

size_t
htmltext_puts(FILE *f, const char *s, size_t max)
{
	return s ? htmltext_put(f, s, strlen(s), max) : 0;
}

char *
htmltext_dup(const char *s, size_t len, size_t max)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&buf, &n);

	if (!m)
		return NULL;
	htmltext_put(m, s, len, max);
	if (fclose(m) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
