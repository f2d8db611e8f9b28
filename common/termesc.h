/*
 * termesc.h - the one escape step for text bound for a terminal or a
 * human-readable file.
 *
 * Design note
 * -----------
 * Strings from a config, the agent, the API or the project (phase and
 * benchmark names, commit subjects, error texts, paths) reach the
 * operator's terminal in the summary, the human progress lines, the
 * --dry-run plan, error messages and `policy show`. A terminal obeys
 * control sequences: ESC ] 0 ; ... BEL sets the window title, ESC [ 31 m
 * colours, some terminals do far more; a bidirectional override makes
 * text read differently from what it is. Every such output passes
 * through termesc, which makes these visible and harmless:
 *
 *   C0 controls except newline and tab, and DEL   \xNN  (\x1b, \x07, \x7f)
 *   C1 controls U+0080..U+009F (as UTF-8)         \uNNNN (\u009b)
 *   bidi controls U+202A..U+202E, U+2066..U+2069  \uNNNN (\u202e)
 *   invalid UTF-8 (each maximal invalid subpart,  U+FFFD (common/utf8.h)
 *   so a lone 0x9b byte, an 8-bit CSI, too)
 *
 * Everything else, backslashes included, passes through unchanged, so the
 * escaped form is for reading, not a reversible encoding: the exact
 * string is in the JSON outputs (results, events, transcripts), which
 * keep jansson's own escaping and never pass through here.
 */
#ifndef GAO_COMMON_TERMESC_H
#define GAO_COMMON_TERMESC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/*
 * termesc_ndup - a malloc'ed, NUL-terminated escaped copy of s[0..len)
 * (which may hold NUL bytes: each becomes \x00). The caller frees it.
 * NULL only on ENOMEM.
 */
char *termesc_ndup(const char *s, size_t len);

/* termesc_ndup(s, strlen(s)); s may be NULL (gives ""). */
char *termesc_dup(const char *s);

/* True when s[0..len) passes through termesc unchanged. */
bool termesc_clean(const char *s, size_t len);

/*
 * termesc_fputs - write the escaped s to f. Returns 0, or EOF when the
 * write failed or memory ran out (then nothing was written).
 */
int termesc_fputs(const char *s, FILE *f);

/*
 * termesc_fprintf - format like fprintf, then write the whole result
 * escaped (the format's own newlines and tabs stay). Returns the number
 * of bytes written, or -1 on failure.
 */
int termesc_fprintf(FILE *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
