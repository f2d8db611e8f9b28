/*
 * sse.h - an incremental Server-Sent Events parser.
 *
 * Design note
 * -----------
 * The Messages API streams its answer as Server-Sent Events (the WHATWG
 * "text/event-stream" format). libcurl hands us the body in chunks cut at
 * arbitrary byte positions, so the parser keeps the partial line, the event
 * name and the data lines of the event under construction between calls to
 * sse_feed() and calls back once per complete event.
 *
 * The rules followed: a line ends with "\n", "\r\n" or "\r" (a "\r" that
 * ends one chunk and a "\n" that starts the next are one line end); a
 * leading UTF-8 byte order mark is skipped; a line starting with ':' is a
 * comment; "field:value" with one space after the colon removed, a line
 * without a colon is a field with an empty value; the fields "event" and
 * "data" are used, "id", "retry" and unknown fields are ignored; a blank line
 * dispatches the event, unless it has no data line. A pending event at the
 * end of the stream (no blank line after it) is never dispatched: the
 * caller simply stops feeding.
 *
 * The bytes are hostile: the size of the event under construction (its
 * data, its name and the current line) is capped at max_event_bytes, and
 * the parser never allocates more than about twice that. Any byte value
 * (NUL included) is accepted inside data and handed on with its length.
 */
#ifndef GAO_SUPERVISOR_SSE_H
#define GAO_SUPERVISOR_SSE_H

#include <stddef.h>

/* Error codes of sse_feed(); a range of their own, so that they cannot be
 * mistaken for the other modules' codes a callback may return. */
enum sse_error {
	SSE_E_NOMEM = -101,     /* out of memory */
	SSE_E_TOO_LARGE = -102, /* one event exceeded max_event_bytes */
};

struct sse_parser;

/*
 * Called once per complete event. event is the event name, "message" when
 * the event had no (or an empty) "event:" line; it is NUL-terminated and
 * cut at the first NUL byte it contains. data is the event's data lines
 * joined with "\n", NUL-terminated, data_len bytes long without the NUL (it
 * may contain NUL bytes). Both pointers are valid only during the call.
 * Return 0 to go on, non-zero to stop: sse_feed() then returns that value.
 */
typedef int (*sse_event_fn)(void *ctx, const char *event, const char *data,
			    size_t data_len);

/*
 * Create a parser that refuses events larger than max_event_bytes (0 is
 * taken as 1). Returns NULL when out of memory. Free with sse_free().
 */
struct sse_parser *sse_new(size_t max_event_bytes);

/*
 * Feed len bytes of the stream (buf may be NULL when len is 0), calling cb
 * for each event they complete. Returns 0 when all bytes were consumed,
 * the callback's non-zero value when it asked to stop (the rest of buf is
 * then dropped: the caller should stop feeding), SSE_E_TOO_LARGE when an
 * event outgrew the limit, SSE_E_NOMEM when out of memory. The two errors
 * are sticky: every later call returns the same error without parsing.
 */
int sse_feed(struct sse_parser *p, const char *buf, size_t len, sse_event_fn cb,
	     void *ctx);

/* Free the parser and everything it holds. NULL is a no-op. */
void sse_free(struct sse_parser *p);

#endif /* GAO_SUPERVISOR_SSE_H */
