/*
 * frame.c - length-prefixed frames: see frame.h for the design note.
 *
 * The announced length is checked against the receiver's maximum before the
 * body is allocated, so a hostile peer cannot make us allocate more than
 * max bytes, whatever it sends.
 */
#include "proto/frame.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/io.h"

const char *
frame_strerror(int err)
{
	switch (err) {
	case FRAME_E_EOF:
		return "end of stream";
	case FRAME_E_TRUNCATED:
		return "end of stream inside a frame";
	case FRAME_E_TOO_LARGE:
		return "frame larger than the maximum";
	case FRAME_E_EMPTY:
		return "empty frame";
	default:
		return err < 0 ? strerror(-err) : "no error";
	}
}

void
frame_reader_init(struct frame_reader *r, size_t max)
{
	memset(r, 0, sizeof(*r));
	r->max = max;
}

void
frame_reader_clear(struct frame_reader *r)
{
	size_t max = r->max;

	free(r->body);
	frame_reader_init(r, max);
}

/* Header complete: validate the length and allocate the body. */
static int
start_body(struct frame_reader *r)
{
	uint32_t n = (uint32_t)r->hdr[0] << 24 | (uint32_t)r->hdr[1] << 16 |
		     (uint32_t)r->hdr[2] << 8 | (uint32_t)r->hdr[3];

	if (n == 0)
		return FRAME_E_EMPTY;
	if (n > r->max)
		return FRAME_E_TOO_LARGE;
	r->body = malloc(n);
	if (!r->body)
		return -ENOMEM;
	r->len = n;
	r->got = 0;
	return 0;
}

int
frame_reader_read(struct frame_reader *r, int fd, uint8_t **body, size_t *len)
{
	ssize_t got;
	int err;

	for (;;) {
		if (r->hdr_got < FRAME_HDR) {
			got = io_read(fd, r->hdr + r->hdr_got,
				      FRAME_HDR - r->hdr_got);
		} else {
			got = io_read(fd, r->body + r->got, r->len - r->got);
		}
		if (got == -EAGAIN || got == -EWOULDBLOCK)
			return 0;
		if (got < 0)
			return (int)got;
		if (got == 0)
			return r->hdr_got == 0 ? FRAME_E_EOF :
						 FRAME_E_TRUNCATED;
		if (r->hdr_got < FRAME_HDR) {
			r->hdr_got += (size_t)got;
			if (r->hdr_got < FRAME_HDR)
				continue;
			err = start_body(r);
			if (err < 0)
				return err;
			continue;
		}
		r->got += (size_t)got;
		if (r->got == r->len) {
			*body = r->body;
			*len = r->len;
			r->body = NULL;
			r->hdr_got = 0;
			r->len = r->got = 0;
			return 1;
		}
	}
}

int
frame_read_blocking(int fd, size_t max, uint8_t **body, size_t *len)
{
	struct frame_reader r;
	int rc;

	frame_reader_init(&r, max);
	rc = frame_reader_read(&r, fd, body, len);
	if (rc == 0)
		rc = -EAGAIN; /* a non-blocking fd was passed by mistake */
	frame_reader_clear(&r);
	return rc;
}

int
frame_writer_push(struct frame_writer *w, const uint8_t *body, size_t len)
{
	size_t need, cap;
	uint8_t *p;

	if (len > UINT32_MAX)
		return FRAME_E_TOO_LARGE;
	if (w->off == w->len)
		w->off = w->len = 0;
	need = w->len + FRAME_HDR + len;
	if (need > w->cap) {
		cap = w->cap ? w->cap : 256;
		while (cap < need)
			cap *= 2;
		p = realloc(w->buf, cap);
		if (!p)
			return -ENOMEM;
		w->buf = p;
		w->cap = cap;
	}
	p = w->buf + w->len;
	p[0] = (uint8_t)(len >> 24);
	p[1] = (uint8_t)(len >> 16);
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	if (len)
		memcpy(p + FRAME_HDR, body, len);
	w->len = need;
	return 0;
}

int
frame_writer_flush(struct frame_writer *w, int fd)
{
	ssize_t n;

	while (w->off < w->len) {
		n = write(fd, w->buf + w->off, w->len - w->off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0)
			return -errno;
		w->off += (size_t)n;
	}
	w->off = w->len = 0;
	return 1;
}

int
frame_writer_pending(const struct frame_writer *w)
{
	return w->off < w->len;
}

void
frame_writer_clear(struct frame_writer *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

int
frame_write_blocking(int fd, const uint8_t *body, size_t len)
{
	struct frame_writer w = { 0 };
	int rc;

	rc = frame_writer_push(&w, body, len);
	if (rc == 0)
		rc = frame_writer_flush(&w, fd);
	if (rc == 0)
		rc = -EAGAIN;
	frame_writer_clear(&w);
	return rc < 0 ? rc : 0;
}
