/*
 * text.h - small text helpers for untrusted strings.
 */
#ifndef GAO_SUPERVISOR_TEXT_H
#define GAO_SUPERVISOR_TEXT_H

#include <stddef.h>

/*
 * text_utf8_clean - a malloc'ed copy of s (len bytes) that is valid UTF-8:
 * invalid sequences and NUL bytes become U+FFFD. NULL on ENOMEM.
 */
char *text_utf8_clean(const char *s, size_t len);

/* Copy at most cap-1 bytes of s into out, never splitting a UTF-8
 * sequence, always NUL-terminated. */
void text_copy_utf8(char *out, size_t cap, const char *s);

#endif
