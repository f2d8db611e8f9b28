/*
 * sse.c - an incremental Server-Sent Events parser (see sse.h).
 *
 * Design note
 * -----------
 * Bytes are split into lines as they come; the bytes of a line that is not
 * finished yet wait in p->line. A finished line is interpreted at once: a
 * "data" field is appended to p->data (followed by "\n"), an "event" field
 * replaces p->event, a blank line dispatches. The only state that crosses a
 * line end is "the last byte was \r", so that a "\r\n" pair split across
 * two chunks counts as one line end and not as an extra blank line (which
 * would dispatch early).
 *
 * The limit is checked before every append to p->line: the data gathered so
 * far, the event name and the current line together may not exceed
 * p->max. Moving a line into p->data or p->event never makes the total
 * grow, so that one check bounds all three buffers.
 */
#include "supervisor/api/sse.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A growable byte buffer, always NUL-terminated once it holds memory. */
struct sse_buf {
	char *p;
	size_t len;
	size_t cap;
};

struct sse_parser {
	size_t max;           /* limit on one event, bytes */
	int error;            /* sticky SSE_E_* or 0 */
	bool cr_seen;         /* the last byte fed was '\r' */
	bool at_start;        /* no line finished yet (byte order mark) */
	bool has_data;        /* the pending event has a data line */
	struct sse_buf line;  /* the unfinished line */
	struct sse_buf data;  /* data lines, each followed by '\n' */
	struct sse_buf event; /* the event name, "" means "message" */
};

/* Keep the three buffers' sum far from SIZE_MAX. */
#define SSE_MAX_LIMIT (SIZE_MAX / 8)

static const char sse_bom[] = "\xEF\xBB\xBF";

/* Make room for need bytes plus a NUL. Returns 0 or SSE_E_NOMEM. */
static int
sse_buf_reserve(struct sse_buf *b, size_t need)
{
	size_t cap;
	char *np;

	if (need < b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap <= need)
		cap *= 2;
	np = realloc(b->p, cap);
	if (!np)
		return SSE_E_NOMEM;
	b->p = np;
	b->cap = cap;
	return 0;
}

static int
sse_buf_append(struct sse_buf *b, const char *s, size_t n)
{
	if (sse_buf_reserve(b, b->len + n + 1) < 0)
		return SSE_E_NOMEM;
	if (n)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static void
sse_buf_free(struct sse_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
}

struct sse_parser *
sse_new(size_t max_event_bytes)
{
	struct sse_parser *p;

	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	if (max_event_bytes == 0)
		max_event_bytes = 1;
	if (max_event_bytes > SSE_MAX_LIMIT)
		max_event_bytes = SSE_MAX_LIMIT;
	p->max = max_event_bytes;
	p->at_start = true;
	return p;
}

void
sse_free(struct sse_parser *p)
{
	if (!p)
		return;
	sse_buf_free(&p->line);
	sse_buf_free(&p->data);
	sse_buf_free(&p->event);
	free(p);
}

/*
 * Hand the pending event to cb (when it has data) and start a new one.
 * Returns the callback's value (0 when there was nothing to dispatch).
 */
static int
sse_dispatch(struct sse_parser *p, sse_event_fn cb, void *ctx)
{
	const char *name;
	int rc = 0;

	if (p->has_data) {
		/* Drop the '\n' that follows the last data line. */
		p->data.len--;
		p->data.p[p->data.len] = '\0';
		name = p->event.len ? p->event.p : "message";
		rc = cb(ctx, name, p->data.p, p->data.len);
	}
	p->data.len = 0;
	p->event.len = 0;
	p->has_data = false;
	return rc;
}

/* Interpret one "field:value" line (not blank, not a comment). */
static int
sse_field(struct sse_parser *p, const char *line, size_t n)
{
	const char *colon, *value;
	size_t flen, vlen;

	colon = memchr(line, ':', n);
	flen = colon ? (size_t)(colon - line) : n;
	value = colon ? colon + 1 : line + n;
	vlen = n - (size_t)(value - line);
	if (vlen && *value == ' ') {
		value++;
		vlen--;
	}
	if (flen == 4 && memcmp(line, "data", 4) == 0) {
		p->has_data = true;
		if (sse_buf_append(&p->data, value, vlen) < 0)
			return SSE_E_NOMEM;
		return sse_buf_append(&p->data, "\n", 1);
	}
	if (flen == 5 && memcmp(line, "event", 5) == 0) {
		p->event.len = 0;
		return sse_buf_append(&p->event, value, vlen);
	}
	/* "id", "retry" and unknown fields: nothing to do. */
	return 0;
}

/*
 * A whole line sits in p->line: act on it and empty p->line. Returns 0 or
 * SSE_E_NOMEM; a blank line stores the callback's value in *cb_rc, kept
 * apart so that a callback's code can never pass for the parser's own.
 */
static int
sse_line(struct sse_parser *p, sse_event_fn cb, void *ctx, int *cb_rc)
{
	const char *line = p->line.p;
	size_t n = p->line.len;

	p->line.len = 0;
	if (p->at_start) {
		p->at_start = false;
		if (n >= 3 && memcmp(line, sse_bom, 3) == 0) {
			line += 3;
			n -= 3;
		}
	}
	if (n == 0) {
		*cb_rc = sse_dispatch(p, cb, ctx);
		return 0;
	}
	if (line[0] == ':')
		return 0;
	return sse_field(p, line, n);
}

/* Append n bytes to the unfinished line, enforcing the event limit. */
static int
sse_grow_line(struct sse_parser *p, const char *s, size_t n)
{
	size_t used = p->data.len + p->event.len + p->line.len;

	if (n > p->max || used > p->max - n)
		return SSE_E_TOO_LARGE;
	return sse_buf_append(&p->line, s, n);
}

/* Offset of the first '\r' or '\n' in buf[i..len), or len. */
static size_t
sse_line_end(const char *buf, size_t i, size_t len)
{
	while (i < len && buf[i] != '\n' && buf[i] != '\r')
		i++;
	return i;
}

int
sse_feed(struct sse_parser *p, const char *buf, size_t len, sse_event_fn cb,
	 void *ctx)
{
	size_t i = 0, j;
	int rc, cb_rc = 0;

	if (p->error)
		return p->error;
	while (i < len) {
		if (p->cr_seen) {
			p->cr_seen = false;
			if (buf[i] == '\n') {
				i++;
				continue;
			}
		}
		j = sse_line_end(buf, i, len);
		rc = sse_grow_line(p, buf + i, j - i);
		if (rc < 0)
			goto fail;
		if (j == len)
			break;
		p->cr_seen = buf[j] == '\r';
		i = j + 1;
		rc = sse_line(p, cb, ctx, &cb_rc);
		if (rc < 0)
			goto fail;
		if (cb_rc)
			return cb_rc;
	}
	return 0;
fail:
	p->error = rc;
	return rc;
}
