/*
 * htmltext.h - text from anywhere made inert and readable in an HTML page.
 *
 * Design note
 * -----------
 * The report (report.h) shows what agents said and what their tools
 * printed: hostile bytes. Every value reaches the page through
 * htmltext_put() and only as element text (never as an attribute built
 * from it, never as a link), which:
 *
 *   - escapes & < > " ' (&amp; &lt; &gt; &quot; &#39;), so no tag,
 *     attribute or entity can start;
 *   - writes each maximal invalid UTF-8 subpart (lone bytes, overlong
 *     forms, encoded surrogates) as U+FFFD (common/utf8.h);
 *   - makes control characters visible as text, like the terminal step
 *     (common/termesc.h): C0 controls except tab and newline, DEL and NUL
 *     as \xNN (so an ANSI sequence ESC [ 3 1 m reads \x1b[31m), C1
 *     controls U+0080..U+009F, bidi controls U+202A..U+202E and
 *     U+2066..U+2069, U+FFFE and U+FFFF as \uNNNN;
 *   - cuts the value after at most max bytes of input, on a character
 *     boundary, and then says so with a marker naming the bytes left out.
 *
 * The output is valid UTF-8 with no markup of its own: safe as the
 * content of any element but <script> and <style> (the page has neither
 * for agent text).
 */
#ifndef GAO_SUPERVISOR_HTMLTEXT_H
#define GAO_SUPERVISOR_HTMLTEXT_H

#include <stddef.h>
#include <stdio.h>

/* The marker written after a cut value. */
#define HTMLTEXT_CUT_FMT " [... %zu more bytes cut]"

/*
 * htmltext_put - write s[0..len) (may hold NUL bytes) to f as HTML text,
 * at most max input bytes of it (0: no limit). Returns the number of
 * input bytes left out (0 when the whole value was written). A write
 * error shows at the stream's fclose.
 */
size_t htmltext_put(FILE *f, const char *s, size_t len, size_t max);

/* htmltext_put of a NUL-terminated string (NULL is written as ""). */
size_t htmltext_puts(FILE *f, const char *s, size_t max);

/*
 * htmltext_dup - the escaped form of s[0..len) as a malloc'ed string
 * (caller frees), at most max input bytes; NULL only on ENOMEM.
 */
char *htmltext_dup(const char *s, size_t len, size_t max);

#endif
