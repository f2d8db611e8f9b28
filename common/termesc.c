/*
 * termesc.c - see termesc.h for the design note and the table.
 */
#include "common/termesc.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD */

/* The code point of the valid sequence s[0..n) (n from utf8_seq). */
static uint32_t
code_point(const unsigned char *s, int n)
{
	static const unsigned char lead_mask[] = { 0, 0x7f, 0x1f, 0x0f, 0x07 };
	uint32_t cp = s[0] & lead_mask[n];

	for (int i = 1; i < n; i++)
		cp = (cp << 6) | (s[i] & 0x3fu);
	return cp;
}

static bool
escaped_cp(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

/*
 * One step at s[i..len): the bytes consumed; the text to write instead
 * goes to rep (at most 7 bytes, NUL-terminated) with *keep false, or
 * *keep is true and the consumed bytes go out unchanged.
 */
static size_t
step(const unsigned char *s, size_t len, size_t i, char rep[8], bool *keep)
{
	unsigned char c = s[i];
	int k;

	*keep = false;
	if (c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f)) {
		*keep = true;
		return 1;
	}
	if (c < 0x20 || c == 0x7f) {
		snprintf(rep, 8, "\\x%02x", c);
		return 1;
	}
	k = utf8_seq((const char *)s + i, len - i);
	if (k < 0) {
		memcpy(rep, REPLACEMENT, sizeof(REPLACEMENT));
		return (size_t)-k;
	}
	if (escaped_cp(code_point(s + i, k))) {
		snprintf(rep, 8, "\\u%04x", code_point(s + i, k));
		return (size_t)k;
	}
	*keep = true;
	return (size_t)k;
}

bool
termesc_clean(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	char rep[8];
	bool keep;

	for (size_t i = 0; i < len;) {
		i += step(p, len, i, rep, &keep);
		if (!keep)
			return false;
	}
	return true;
}

char *
termesc_ndup(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	char rep[8], *out;
	size_t o = 0, n;
	bool keep;

	/* the worst case: each byte becomes "\xNN" (4 bytes) */
	if (len > (SIZE_MAX - 1) / 4)
		return NULL;
	out = malloc(len * 4 + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i += n) {
		n = step(p, len, i, rep, &keep);
		if (keep) {
			memcpy(out + o, s + i, n);
			o += n;
		} else {
			memcpy(out + o, rep, strlen(rep));
			o += strlen(rep);
		}
	}
	out[o] = 0;
	return out;
}

char *
termesc_dup(const char *s)
{
	return termesc_ndup(s ? s : "", s ? strlen(s) : 0);
}

int
termesc_fputs(const char *s, FILE *f)
{
	char *e = termesc_dup(s);
	int rc;

	if (!e)
		return EOF;
	rc = fputs(e, f);
	free(e);
	return rc == EOF ? EOF : 0;
}

int
termesc_fprintf(FILE *f, const char *fmt, ...)
{
	char *raw = NULL, *e;
	va_list ap;
	int n, rc = -1;

	va_start(ap, fmt);
	n = vasprintf(&raw, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	e = termesc_ndup(raw, (size_t)n);
	if (e && fputs(e, f) != EOF)
		rc = (int)strlen(e);
	free(e);
	free(raw);
	return rc;
}
