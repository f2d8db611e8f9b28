/*
 * stream_fixture.c - the stream tests' event feeders. See
 * stream_fixture.h.
 *
 * Design note
 * -----------
 * Each feeder builds the event's JSON with snprintf into a fixed buffer
 * (the tests' blocks and deltas are short), swaps the quotes and hands it
 * to stream_event() as sse.h would: name and data, no trailing NUL
 * counted.
 */
#include "tests/unit/stream_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

char *
stream_fixture_q(const char *s)
{
	char *d = strdup(s), *p;

	cr_assert_not_null(d);
	for (p = d; *p; p++)
		if (*p == '\'')
			*p = '"';
	return d;
}

int
stream_fixture_ev(struct stream *s, const char *name, const char *data)
{
	char *d = stream_fixture_q(data);
	int rc = stream_event(s, name, d, strlen(d));

	free(d);
	return rc;
}

struct stream *
stream_fixture_started(void)
{
	struct stream *s = stream_new();

	cr_assert_not_null(s);
	cr_assert_eq(stream_fixture_ev(s, "message_start",
				       STREAM_FIXTURE_MSG_START),
		     0);
	return s;
}

void
stream_fixture_finish(struct stream *s)
{
	cr_assert_eq(stream_fixture_ev(
			     s, "message_delta",
			     "{'type':'message_delta','delta':{'stop_reason':"
			     "'end_turn','stop_sequence':null},'usage':"
			     "{'output_tokens':42}}"),
		     0);
	cr_assert_eq(stream_fixture_ev(s, "message_stop",
				       "{'type':'message_stop'}"),
		     0);
	cr_assert(stream_done(s));
	cr_assert_null(stream_error(s));
}

void
stream_fixture_block_start(struct stream *s, int idx, const char *block)
{
	char buf[512];

	snprintf(buf, sizeof(buf),
		 "{'type':'content_block_start','index':%d,"
		 "'content_block':%s}",
		 idx, block);
	cr_assert_eq(stream_fixture_ev(s, "content_block_start", buf), 0, "%s",
		     stream_error(s));
}

int
stream_fixture_delta(struct stream *s, int idx, const char *d)
{
	char buf[512];

	snprintf(buf, sizeof(buf),
		 "{'type':'content_block_delta','index':%d,'delta':%s}", idx,
		 d);
	return stream_fixture_ev(s, "content_block_delta", buf);
}

int
stream_fixture_block_stop(struct stream *s, int idx)
{
	char buf[128];

	snprintf(buf, sizeof(buf), "{'type':'content_block_stop','index':%d}",
		 idx);
	return stream_fixture_ev(s, "content_block_stop", buf);
}

void
stream_fixture_refused(bool started, const char *name, const char *const *bad,
		       size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct stream *s = started ? stream_fixture_started() :
					     stream_new();

		cr_assert_not_null(s);
		cr_assert_eq(stream_fixture_ev(s, name, bad[i]),
			     STREAM_E_PROTOCOL, "case %zu", i);
		stream_free(s);
	}
}

json_t *
stream_fixture_parse(const char *single_quoted)
{
	char *d = stream_fixture_q(single_quoted);
	json_t *j = json_loads(d, 0, NULL);

	free(d);
	cr_assert_not_null(j);
	return j;
}

void
stream_fixture_expect_json(const json_t *got, const char *want_sq)
{
	json_t *want = stream_fixture_parse(want_sq);
	char *g = json_dumps(got, JSON_SORT_KEYS | JSON_ENCODE_ANY);

	cr_assert(json_equal(got, want), "got %s", g);
	free(g);
	json_decref(want);
}
