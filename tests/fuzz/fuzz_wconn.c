/*
 * fuzz_wconn.c - libFuzzer harness for a worker's byte stream, taken as
 * the worker connection takes it (supervisor/sandbox/wconn_in.c: frames,
 * messages, the permit table).
 *
 * The input's first byte seeds the sizes of the writes (a worker may
 * write a frame in pieces, or many frames at once); the rest is what the
 * worker writes into its result pipe. The harness reads it as wconn.c
 * does, from a non-blocking pipe, and plays the supervisor's side of the
 * states: STARTING until a READY, then a call in flight (BUSY, id
 * "toolu_fuzz") answered by a TOOL_RESULT, then the next call. The first
 * refusal, a broken frame or message, or the end of the stream ends the
 * input, as it ends a worker.
 *
 * Checked, beyond no crash, leak or sanitizer report: a message that
 * passes is READY only when starting and a TOOL_RESULT with the id of the
 * call only when busy; a refusal always has a reason.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "supervisor/sandbox/wconn_in.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CALL_ID "toolu_fuzz"

struct side {
	struct frame_reader reader;
	enum wconn_state state;
	int fd;
};

/* One message, as handle_msg() in wconn.c takes it. false: the end. */
static bool
take(struct side *s, const struct msg *m)
{
	char why[128];

	if (wconn_in_permit(s->state, m, CALL_ID, why, sizeof(why))) {
		if (why[0] == '\0')
			abort();
		return false;
	}
	if (m->type == MSG_W2S_READY && s->state != W_STARTING)
		abort();
	if (m->type == MSG_W2S_TOOL_RESULT &&
	    (s->state != W_BUSY || strcmp(m->u.result.id, CALL_ID) != 0))
		abort();
	s->state = W_BUSY; /* READY or a result: the next call goes out */
	return true;
}

/* Read what the pipe holds. false: the stream ended (EOF, bad, refused). */
static bool
drain(struct side *s)
{
	const char *why = NULL;
	struct msg m;
	int rc;
	bool go;

	for (;;) {
		rc = wconn_in_next(&s->reader, s->fd, &m, &why);
		if (rc == 0)
			return true;
		if (rc == WCONN_IN_BAD && (why == NULL || why[0] == '\0'))
			abort();
		if (rc < 0)
			return false;
		go = take(s, &m);
		msg_clear(&m);
		if (!go)
			return false;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct side s = { .state = W_STARTING };
	int p[2];
	unsigned seed;
	size_t off = 1, piece;
	bool alive = true;

	if (size < 1)
		return 0;
	seed = data[0];
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0)
		abort();
	s.fd = p[0];
	frame_reader_init(&s.reader, PROTO_FRAME_MAX);
	while (alive && off < size) {
		/* pieces of 1 to 256 bytes, varied by the seed */
		seed = seed * 1103515245u + 12345u;
		piece = 1 + ((seed >> 16) & 0xff);
		if (piece > size - off)
			piece = size - off;
		if (write(p[1], data + off, piece) != (ssize_t)piece)
			abort();
		off += piece;
		alive = drain(&s);
	}
	close(p[1]);
	if (alive)
		(void)drain(
			&s); /* the end of the stream, inside a frame or not */
	frame_reader_clear(&s.reader);
	close(p[0]);
	return 0;
}
