/*
 * utf8.c - see utf8.h.
 */
#include "common/utf8.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD */

/*
 * Length of the valid UTF-8 sequence at s (n bytes available), or the
 * negated length of the maximal invalid prefix to replace (at least 1).
 * The second-byte ranges of E0, ED, F0 and F4 exclude overlong forms,
 * surrogates and code points above U+10FFFF (RFC 3629, table 3-7 of the
 * Unicode standard).
 */
static int
seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	int need, i;

	if (c >= 0x01 && c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		need = 1;
	else if (c >= 0xe0 && c <= 0xef)
		need = 2;
	else if (c >= 0xf0 && c <= 0xf4)
		need = 3;
	else
		return -1;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	for (i = 1; i <= need; i++) {
		if ((size_t)i >= n || s[i] < lo || s[i] > hi)
			return -i;
		lo = 0x80;
		hi = 0xbf;
	}
	return need + 1;
}

int
utf8_seq(const char *s, size_t n)
{
	return seq((const unsigned char *)s, n);
}

bool
utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	int k;

	while (i < len) {
		k = seq(p + i, len - i);
		if (k < 0)
			return false;
		i += (size_t)k;
	}
	return true;
}

/* The length of the sanitized copy of s[from..len). */
static size_t
clean_len(const unsigned char *s, size_t from, size_t len)
{
	size_t out = from;
	int k;

	while (from < len) {
		k = seq(s + from, len - from);
		out += k > 0 ? (size_t)k : 3;
		from += k > 0 ? (size_t)k : (size_t)-k;
	}
	return out;
}

int
utf8_sanitize(const char *in, size_t len, char **res, size_t *reslen)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, o = 0;
	char *out;
	int k;

	/* the common case, plain ASCII without NUL, is one pass and a copy */
	while (i < len && s[i] != 0 && s[i] < 0x80)
		i++;
	out = malloc((i == len ? len : clean_len(s, i, len)) + 1);
	if (out == NULL)
		return -ENOMEM;
	memcpy(out, in, i);
	o = i;
	while (i < len) {
		k = seq(s + i, len - i);
		if (k > 0) {
			memcpy(out + o, s + i, (size_t)k);
			o += (size_t)k;
			i += (size_t)k;
		} else {
			memcpy(out + o, REPLACEMENT, 3);
			o += 3;
			i += (size_t)-k;
		}
	}
	out[o] = '\0';
	*res = out;
	*reslen = o;
	return 0;
}

char *
utf8_clean(const char *s, size_t len)
{
	char *out = NULL;
	size_t n;

	return utf8_sanitize(s, len, &out, &n) == 0 ? out : NULL;
}

size_t
utf8_boundary(const char *s, size_t len, size_t max)
{
	size_t n;

	if (max >= len)
		return len;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

void
utf8_copy(char *out, size_t cap, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), i = 0, n;
	int k;

	if (cap == 0)
		return;
	while (i < len) {
		k = seq(p + i, len - i);
		n = k > 0 ? (size_t)k : (size_t)-k;
		if (i + n > cap - 1)
			break;
		i += n;
	}
	memcpy(out, s, i);
	out[i] = 0;
}
