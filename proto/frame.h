/*
 * frame.h - length-prefixed frames over pipes: [u32 big-endian length][body].
 *
 * Design note
 * -----------
 * This layer knows nothing of msgpack. It moves opaque bodies and enforces
 * one rule before any allocation: a body is 1..max bytes, max chosen by the
 * receiver. The reader never reads past the end of the current frame, so it
 * needs no buffer beyond the frame itself and works on blocking and
 * non-blocking fds alike. The writer queues bytes and flushes what the pipe
 * takes, so a peer that stops reading can never block the supervisor.
 */
#ifndef GAO_PROTO_FRAME_H
#define GAO_PROTO_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_HDR 4

enum frame_err {
	FRAME_E_EOF = -1000,       /* clean end of stream between frames */
	FRAME_E_TRUNCATED = -1001, /* end of stream inside a frame */
	FRAME_E_TOO_LARGE = -1002, /* announced length above the maximum */
	FRAME_E_EMPTY = -1003,     /* announced length 0 */
};

struct frame_reader {
	uint8_t hdr[FRAME_HDR];
	size_t hdr_got;
	uint8_t *body;
	size_t len; /* announced body length */
	size_t got;
	size_t max;
};

/* Human-readable text for a frame_err or a negative errno. */
const char *frame_strerror(int err);

/* Prepare a reader accepting bodies of at most max bytes. */
void frame_reader_init(struct frame_reader *r, size_t max);

/* Free a partly read body; the reader can be reused after init. */
void frame_reader_clear(struct frame_reader *r);

/*
 * frame_reader_read - make progress on fd.
 * Returns 1 when a whole frame arrived: *body (malloc'ed, caller frees) and
 * *len are set and the reader is ready for the next frame. Returns 0 when
 * the fd would block (non-blocking fds only). Returns FRAME_E_EOF,
 * FRAME_E_TRUNCATED, FRAME_E_TOO_LARGE, FRAME_E_EMPTY, or -errno; after an
 * error the stream is unusable. EINTR is retried internally.
 */
int frame_reader_read(struct frame_reader *r, int fd, uint8_t **body,
		      size_t *len);

/*
 * frame_read_blocking - read one whole frame from a blocking fd.
 * Same results as frame_reader_read, never 0.
 */
int frame_read_blocking(int fd, size_t max, uint8_t **body, size_t *len);

struct frame_writer {
	uint8_t *buf;
	size_t len;
	size_t off;
	size_t cap;
};

/* Queue one frame (copies body). 0, -ENOMEM or FRAME_E_TOO_LARGE (> 4 GiB). */
int frame_writer_push(struct frame_writer *w, const uint8_t *body, size_t len);

/*
 * frame_writer_flush - write queued bytes to fd.
 * Returns 1 when the queue is empty, 0 when the fd would block with bytes
 * left, -errno on failure (EPIPE when the reader is gone).
 */
int frame_writer_flush(struct frame_writer *w, int fd);

/* True when bytes are waiting. */
int frame_writer_pending(const struct frame_writer *w);

void frame_writer_clear(struct frame_writer *w);

/* Write one whole frame to a blocking fd. 0 or -errno. */
int frame_write_blocking(int fd, const uint8_t *body, size_t len);

#endif
