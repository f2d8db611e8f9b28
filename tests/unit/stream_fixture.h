/*
 * stream_fixture.h - what the stream assembler's tests share
 * (test_stream.c: whole messages, errors, limits, split bodies;
 * test_stream_bad.c: events out of order and malformed data).
 *
 * Design note
 * -----------
 * The tests feed events one by one with stream_fixture_ev(), the way
 * sse_feed()'s callback would, and check the return code of each and the
 * assembled message at the end. Event data is written with single quotes
 * for readability and turned into JSON by stream_fixture_q(). The
 * helpers that must succeed fail the current Criterion test otherwise;
 * the ones returning a code leave the check to the test.
 */
#ifndef GAO_TESTS_STREAM_FIXTURE_H
#define GAO_TESTS_STREAM_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "supervisor/api/stream.h"

/* A valid message_start event's data (single quotes). */
#define STREAM_FIXTURE_MSG_START \
	"{'type':'message_start','message':{'id':'msg_1','type':'message'," \
	"'role':'assistant','model':'claude-sonnet-5-5','content':[]," \
	"'stop_reason':null,'stop_sequence':null,'usage':{'input_tokens':10," \
	"'output_tokens':1,'cache_read_input_tokens':5}}}"

/* A copy of s with every ' turned into ". Freed by the caller. */
char *stream_fixture_q(const char *s);

/* Feed one event whose data is given with single quotes; stream_event()'s
 * return code. */
int stream_fixture_ev(struct stream *s, const char *name, const char *data);

/* A new stream (the caller frees) that has taken STREAM_FIXTURE_MSG_START. */
struct stream *stream_fixture_started(void);

/* Feed message_delta (end_turn, 42 output tokens) and message_stop; the
 * stream must be done without an error. */
void stream_fixture_finish(struct stream *s);

/* Feed content_block_start of block (single-quoted JSON) at idx; it must
 * be taken. */
void stream_fixture_block_start(struct stream *s, int idx, const char *block);

/* Feed content_block_delta d (single-quoted JSON) at idx; the code. */
int stream_fixture_delta(struct stream *s, int idx, const char *d);

/* Feed content_block_stop at idx; the code. */
int stream_fixture_block_stop(struct stream *s, int idx);

/* Each of the n event data bad[i] (single quotes), fed as event name to
 * a stream of its own (after message_start when started), is refused
 * with STREAM_E_PROTOCOL; the failure names the case. */
void stream_fixture_refused(bool started, const char *name,
			    const char *const *bad, size_t n);

/* single_quoted as JSON (it must parse); the caller frees. */
json_t *stream_fixture_parse(const char *single_quoted);

/* got equals want_sq (single-quoted JSON), else the test fails showing got. */
void stream_fixture_expect_json(const json_t *got, const char *want_sq);

#endif
