/*
 * xmltext.h - text from anywhere made safe for an XML 1.0 document.
 *
 * Design note
 * -----------
 * The JUnit file (junit.h) carries phase names, reasons, error texts and
 * what the agents said: hostile bytes. XML 1.0 allows only tab, newline,
 * carriage return, U+0020..U+D7FF, U+E000..U+FFFD and U+10000..U+10FFFF;
 * a single other character makes the whole file unreadable to a CI
 * system. So every value passes through xmltext_put(), which:
 *
 *   - writes each maximal invalid UTF-8 subpart (lone bytes, overlong
 *     forms, encoded surrogates, NUL) as U+FFFD (common/utf8.h);
 *   - writes C0 controls other than tab and newline, U+FFFE and U+FFFF
 *     as U+FFFD, and carriage return as &#13; (a parser would turn a
 *     raw one into a newline);
 *   - escapes & < > " ' always, so "]]>" can never end anything (the
 *     file has no CDATA section) and the same function serves attribute
 *     values and element text; in attributes tab and newline become
 *     &#9; and &#10;, which a parser would otherwise normalise to spaces;
 *   - cuts the value after at most max bytes of input, on a character
 *     boundary, and then says so with a marker naming the bytes left out.
 */
#ifndef GAO_SUPERVISOR_XMLTEXT_H
#define GAO_SUPERVISOR_XMLTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* The marker written after a cut value: " [... N more bytes cut]". */
#define XMLTEXT_CUT_FMT " [... %zu more bytes cut]"

/*
 * xmltext_put - write s[0..len) to f as XML character data (attr: for an
 * attribute value, see above), at most max input bytes of it (0: no
 * limit). s may hold NUL bytes. Returns the number of input bytes left
 * out (0 when the whole value was written).
 */
size_t xmltext_put(FILE *f, const char *s, size_t len, size_t max, bool attr);

/* xmltext_put of a NUL-terminated string (NULL is written as ""). */
size_t xmltext_puts(FILE *f, const char *s, size_t max, bool attr);

#endif
