/*
 * xmltext.c - XML 1.0 character data from untrusted bytes. See xmltext.h.
 */
#include "supervisor/out/xmltext.h"

#include <string.h>

#include "common/utf8.h"

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD */

/* The escape of one ASCII byte, or NULL when it is written as it is. */
static const char *
ascii_escape(unsigned char c, bool attr)
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
		return "&apos;";
	case '\r':
		return "&#13;";
	case '\t':
		return attr ? "&#9;" : NULL;
	case '\n':
		return attr ? "&#10;" : NULL;
	default:
		/* XML 1.0 forbids every other C0 control, even as &#N; */
		return c < 0x20 ? REPLACEMENT : NULL;
	}
}

/* U+FFFE and U+FFFF (EF BF BE, EF BF BF): valid UTF-8, not XML. */
static bool
is_nonchar(const unsigned char *p, int k)
{
	return k == 3 && p[0] == 0xef && p[1] == 0xbf &&
	       (p[2] == 0xbe || p[2] == 0xbf);
}

size_t
xmltext_put(FILE *f, const char *s, size_t len, size_t max, bool attr)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, end = max && max < len ? max : len;

	while (i < end) {
		int k = utf8_seq((const char *)p + i, len - i);
		size_t step = k < 0 ? (size_t)-k : (size_t)k;
		const char *esc;

		if (i + step > end)
			break; /* never split a character at the cut */
		if (k < 0 || is_nonchar(p + i, k)) {
			fputs(REPLACEMENT, f);
		} else if (k == 1 && (esc = ascii_escape(p[i], attr))) {
			fputs(esc, f);
		} else {
			/* a write error shows at the stream's fclose */
			(void)fwrite(p + i, 1, step, f);
		}
		i += step;
	}
	if (i < len)
		fprintf(f, XMLTEXT_CUT_FMT, len - i);
	return len - i;
}

size_t
xmltext_puts(FILE *f, const char *s, size_t max, bool attr)
{
	return s ? xmltext_put(f, s, strlen(s), max, attr) : 0;
}
