/*
 * fuzz_sse.c - libFuzzer harness: arbitrary bytes through the SSE parser
 * (sse.h) into the stream assembler (stream.h), and a finished message
 * through response_from_json() (response.h).
 *
 * Design note
 * -----------
 * The first input byte is not stream data: it picks how the rest is cut
 * into chunks (as the network would cut it) and which event size limit the
 * parser gets, so that one input explores both the split-point logic and
 * the limit. The rest is fed as the body of a response. Whatever happens,
 * the harness frees everything: a leak is a finding too. Only crashes,
 * sanitizer reports and leaks count; return codes are not checked here
 * (the unit tests do that).
 */
#include <stddef.h>
#include <stdint.h>

#include "supervisor/api/response.h"
#include "supervisor/api/sse.h"
#include "supervisor/api/stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Chunk length number i for a given pattern: 1, 2, 3, 7, 64, or all. */
static size_t
fuzz_chunk(unsigned pattern, size_t i, size_t left)
{
	static const size_t sizes[] = { 1, 2, 3, 7, 64, SIZE_MAX };
	size_t n = sizes[pattern % 6];

	/* Odd patterns vary the cut from one chunk to the next. */
	if (pattern & 0x8)
		n = 1 + (i * 31 + pattern) % (n == SIZE_MAX ? 4096 : n + 5);
	return n < left ? n : left;
}

/* Check a finished message the way the supervisor would. */
static void
fuzz_finish(struct stream *s)
{
	struct response r;
	char err[128];
	json_t *msg;

	(void)stream_error(s);
	(void)stream_api_error_type(s);
	(void)stream_api_error_message(s);
	if (!stream_done(s))
		return;
	msg = stream_take_message(s);
	if (!msg)
		return;
	if (response_from_json(msg, &r, err, sizeof(err)) == 0)
		response_clear(&r);
	json_decref(msg);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sse_parser *p;
	struct stream *s;
	unsigned pattern;
	size_t off, i, n;

	if (size < 1)
		return 0;
	pattern = data[0];
	data++;
	size--;
	p = sse_new(pattern & 0x80 ? 256 : 1u << 20);
	s = stream_new();
	if (!p || !s)
		goto out;
	for (off = 0, i = 0; off < size; off += n, i++) {
		n = fuzz_chunk(pattern, i, size - off);
		if (sse_feed(p, (const char *)data + off, n, stream_on_sse,
			     s) != 0)
			break;
	}
	fuzz_finish(s);
out:
	stream_free(s);
	sse_free(p);
	return 0;
}
