/*
 * utf8.h - the one UTF-8 check of gao-dev, for untrusted bytes.
 *
 * Design note
 * -----------
 * Tool output, API text and anything an agent wrote reach JSON, logs and
 * terminals, which need valid UTF-8. The check follows RFC 3629 (no
 * overlong forms, no surrogates, nothing above U+10FFFF) and NUL counts
 * as invalid (the results are C strings). Replacement follows Unicode's
 * "maximal subpart" practice: each maximal invalid prefix of a sequence
 * becomes one U+FFFD, so a truncated 3-byte sequence is one replacement
 * character, not three. Plain ASCII, the common case, is one pass.
 */
#ifndef GAO_COMMON_UTF8_H
#define GAO_COMMON_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/*
 * utf8_seq - the length of the valid UTF-8 sequence at s (n > 0 bytes
 * available), or the negated length of the maximal invalid prefix that
 * one U+FFFD replaces (at least 1). NUL counts as invalid.
 */
int utf8_seq(const char *s, size_t n);

/* True when s[0..len) is valid UTF-8 without NUL. */
bool utf8_valid(const char *s, size_t len);

/*
 * utf8_sanitize - a malloc'ed, NUL-terminated copy of in[0..len) in which
 * every invalid sequence and NUL byte is U+FFFD; *res (caller frees) and
 * its length *reslen. 0, or -ENOMEM.
 */
int utf8_sanitize(const char *in, size_t len, char **res, size_t *reslen);

/* utf8_sanitize() as a plain string; NULL on ENOMEM. */
char *utf8_clean(const char *s, size_t len);

/*
 * utf8_boundary - the largest n <= max such that s[0..n) does not end
 * inside a UTF-8 sequence (s is len bytes of valid UTF-8).
 */
size_t utf8_boundary(const char *s, size_t len, size_t max);

/* Copy at most cap-1 bytes of the string s into out, never splitting a
 * UTF-8 sequence, always NUL-terminated (cap > 0). */
void utf8_copy(char *out, size_t cap, const char *s);

#endif
