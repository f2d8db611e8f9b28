/*
 * test_sse.c - unit tests of the Server-Sent Events parser (sse.h).
 *
 * Design note
 * -----------
 * A collector callback records every event it is given (name and data,
 * copied) so that each test can compare what came out with what should
 * have. The split tests feed one realistic Messages API stream cut at every
 * byte position, byte by byte, and in pseudo-random chunks, with each of
 * the three line-end conventions, and require the same events every time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "supervisor/api/sse.h"

#define MAX_EVENTS 64

struct seen {
	size_t n;
	char *name[MAX_EVENTS];
	char *data[MAX_EVENTS];
	size_t len[MAX_EVENTS];
	int stop_after; /* return stop_rc after this many; 0: never */
	int stop_rc;
};

static int
collect(void *ctx, const char *event, const char *data, size_t len)
{
	struct seen *s = ctx;

	cr_assert_lt(s->n, MAX_EVENTS);
	cr_assert_eq(data[len], '\0', "data is not NUL-terminated");
	s->name[s->n] = strdup(event);
	s->data[s->n] = malloc(len + 1);
	cr_assert_not_null(s->name[s->n]);
	cr_assert_not_null(s->data[s->n]);
	memcpy(s->data[s->n], data, len + 1);
	s->len[s->n] = len;
	s->n++;
	if (s->stop_after && s->n == (size_t)s->stop_after)
		return s->stop_rc;
	return 0;
}

static void
seen_clear(struct seen *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->name[i]);
		free(s->data[i]);
	}
	memset(s, 0, sizeof(*s));
}

/* Feed str in one go to a fresh parser; returns sse_feed's value. */
static int
feed_all(const char *str, size_t len, size_t max, struct seen *s)
{
	struct sse_parser *p = sse_new(max);
	int rc;

	cr_assert_not_null(p);
	rc = sse_feed(p, str, len, collect, s);
	sse_free(p);
	return rc;
}

static void
expect_event(const struct seen *s, size_t i, const char *name, const char *data)
{
	cr_assert_gt(s->n, i, "event %zu missing", i);
	cr_assert_str_eq(s->name[i], name);
	cr_assert_eq(s->len[i], strlen(data));
	cr_assert_str_eq(s->data[i], data);
}

Test(sse, one_event)
{
	struct seen s = { 0 };
	const char *in = "event: ping\ndata: {\"type\": \"ping\"}\n\n";

	cr_assert_eq(feed_all(in, strlen(in), 1024, &s), 0);
	cr_assert_eq(s.n, 1);
	expect_event(&s, 0, "ping", "{\"type\": \"ping\"}");
	seen_clear(&s);
}

Test(sse, default_name_is_message)
{
	struct seen s = { 0 };
	const char *in = "data: a\n\nevent:\ndata: b\n\n";

	cr_assert_eq(feed_all(in, strlen(in), 1024, &s), 0);
	cr_assert_eq(s.n, 2);
	expect_event(&s, 0, "message", "a");
	expect_event(&s, 1, "message", "b");
	seen_clear(&s);
}

Test(sse, data_lines_joined)
{
	struct seen s = { 0 };
	const char *in = "data: one\ndata:two\ndata:  three\ndata\ndata:\n\n";

	cr_assert_eq(feed_all(in, strlen(in), 1024, &s), 0);
	cr_assert_eq(s.n, 1);
	/* One leading space is removed, no more; no colon = empty value. */
	expect_event(&s, 0, "message", "one\ntwo\n three\n\n");
	seen_clear(&s);
}

Test(sse, empty_data_is_dispatched)
{
	struct seen s = { 0 };
	const char *in = "event: x\ndata\n\n";

	cr_assert_eq(feed_all(in, strlen(in), 1024, &s), 0);
	cr_assert_eq(s.n, 1);
	expect_event(&s, 0, "x", "");
	seen_clear(&s);
}

Test(sse, comments_id_retry_unknown_ignored)
{
	struct seen s = { 0 };
	const char *in = ": keep-alive\nid: 7\nretry: 100\nfoo: bar\n"
			 "event: e\n:comment in between\ndata: d\n\n";

	cr_assert_eq(feed_all(in, strlen(in), 1024, &s), 0);
	cr_assert_eq(s.n, 1);
	expect_event(&s, 0, "e", "d");
	seen_clear(&s);
}

Test(sse, event_without_data_not_dispatched)
{
	struct seen s = { 0 };
	const char *in = "event: lonely\n\n: c\n\ndata: x\n\n";

	cr_assert_eq(feed_all(in, strlen(in), 1024, &s), 0);
	cr_assert_eq(s.n, 1);
	/* The name of the undispatched event does not leak into the next. */
	expect_event(&s, 0, "message", "x");
	seen_clear(&s);
}

Test(sse, last_event_name_wins)
{
	struct seen s = { 0 };
	const char *in = "event: first\nevent: second\ndata: x\n\n";

	cr_assert_eq(feed_all(in, strlen(in), 1024, &s), 0);
	expect_event(&s, 0, "second", "x");
	seen_clear(&s);
}

Test(sse, pending_event_at_end_not_dispatched)
{
	struct seen s = { 0 };
	const char *in = "data: a\n\ndata: b\n";

	cr_assert_eq(feed_all(in, strlen(in), 1024, &s), 0);
	cr_assert_eq(s.n, 1);
	expect_event(&s, 0, "message", "a");
	seen_clear(&s);
}

Test(sse, crlf_and_cr_line_ends)
{
	struct seen s = { 0 };
	const char *crlf = "event: a\r\ndata: 1\r\ndata: 2\r\n\r\n";
	const char *cr = "event: b\rdata: 3\r\rdata: 4\r\r";
	const char *mixed = "data: 5\r\n\ndata: 6\n\r";

	cr_assert_eq(feed_all(crlf, strlen(crlf), 1024, &s), 0);
	cr_assert_eq(s.n, 1);
	expect_event(&s, 0, "a", "1\n2");
	seen_clear(&s);

	cr_assert_eq(feed_all(cr, strlen(cr), 1024, &s), 0);
	cr_assert_eq(s.n, 2);
	expect_event(&s, 0, "b", "3");
	expect_event(&s, 1, "message", "4");
	seen_clear(&s);

	cr_assert_eq(feed_all(mixed, strlen(mixed), 1024, &s), 0);
	cr_assert_eq(s.n, 2);
	expect_event(&s, 0, "message", "5");
	expect_event(&s, 1, "message", "6");
	seen_clear(&s);
}

Test(sse, cr_then_lf_across_chunks_is_one_line_end)
{
	struct seen s = { 0 };
	struct sse_parser *p = sse_new(1024);

	/* Were the \n taken as a second line end, the blank line would
	 * dispatch "a" alone before "b" arrives. */
	cr_assert_eq(sse_feed(p, "data: a\r", 8, collect, &s), 0);
	cr_assert_eq(sse_feed(p, "\ndata: b\r", 9, collect, &s), 0);
	cr_assert_eq(s.n, 0);
	cr_assert_eq(sse_feed(p, "\n\r", 2, collect, &s), 0);
	cr_assert_eq(s.n, 1);
	expect_event(&s, 0, "message", "a\nb");
	/* A lone \r ending a chunk, then another \r: two line ends. */
	cr_assert_eq(sse_feed(p, "\ndata: c\r", 9, collect, &s), 0);
	cr_assert_eq(sse_feed(p, "\r", 1, collect, &s), 0);
	cr_assert_eq(s.n, 2);
	expect_event(&s, 1, "message", "c");
	sse_free(p);
	seen_clear(&s);
}

Test(sse, byte_order_mark)
{
	struct seen s = { 0 };
	const char *bom = "\xEF\xBB\xBF"
			  "event: a\ndata: x\n\n";
	const char *late = "data: x\n\n\xEF\xBB\xBF"
			   "data: y\n\n";

	cr_assert_eq(feed_all(bom, strlen(bom), 1024, &s), 0);
	cr_assert_eq(s.n, 1);
	expect_event(&s, 0, "a", "x");
	seen_clear(&s);
	/* Only at the very start: later it makes an unknown field. */
	cr_assert_eq(feed_all(late, strlen(late), 1024, &s), 0);
	cr_assert_eq(s.n, 1);
	expect_event(&s, 0, "message", "x");
	seen_clear(&s);
}

Test(sse, bom_split_across_chunks)
{
	struct seen s = { 0 };
	struct sse_parser *p = sse_new(1024);

	cr_assert_eq(sse_feed(p, "\xEF", 1, collect, &s), 0);
	cr_assert_eq(sse_feed(p,
			      "\xBB\xBF"
			      "da",
			      4, collect, &s),
		     0);
	cr_assert_eq(sse_feed(p, "ta: z\n\n", 7, collect, &s), 0);
	cr_assert_eq(s.n, 1);
	expect_event(&s, 0, "message", "z");
	sse_free(p);
	seen_clear(&s);
}

Test(sse, nul_bytes_in_data_pass_through)
{
	struct seen s = { 0 };
	const char in[] = "data: a\0b\n\n";

	cr_assert_eq(feed_all(in, sizeof(in) - 1, 1024, &s), 0);
	cr_assert_eq(s.n, 1);
	cr_assert_eq(s.len[0], 3);
	cr_assert_eq(memcmp(s.data[0], "a\0b", 4), 0);
	seen_clear(&s);
}

Test(sse, callback_stops_feed)
{
	struct seen s = { .stop_after = 1, .stop_rc = 42 };
	const char *in = "data: 1\n\ndata: 2\n\n";

	cr_assert_eq(feed_all(in, strlen(in), 1024, &s), 42);
	cr_assert_eq(s.n, 1);
	expect_event(&s, 0, "message", "1");
	seen_clear(&s);
}

Test(sse, callback_may_return_parser_codes)
{
	/* A callback's negative code is passed through, not made sticky. */
	struct seen s = { .stop_after = 1, .stop_rc = SSE_E_TOO_LARGE };
	struct sse_parser *p = sse_new(1024);

	cr_assert_eq(sse_feed(p, "data: 1\n\n", 9, collect, &s),
		     SSE_E_TOO_LARGE);
	s.stop_after = 0;
	cr_assert_eq(sse_feed(p, "data: 2\n\n", 9, collect, &s), 0);
	cr_assert_eq(s.n, 2);
	expect_event(&s, 1, "message", "2");
	sse_free(p);
	seen_clear(&s);
}

Test(sse, size_limit_boundary)
{
	struct seen s = { 0 };
	const char *in = "data: 0123456789\n\n"; /* a 16-byte line */

	cr_assert_eq(feed_all(in, strlen(in), 16, &s), 0);
	cr_assert_eq(s.n, 1);
	expect_event(&s, 0, "message", "0123456789");
	seen_clear(&s);
	cr_assert_eq(feed_all(in, strlen(in), 15, &s), SSE_E_TOO_LARGE);
	cr_assert_eq(s.n, 0);
	seen_clear(&s);
}

Test(sse, size_limit_counts_whole_event)
{
	struct seen s = { 0 };
	struct sse_parser *p = sse_new(32);
	int i, rc = 0;

	/* Many short data lines: each fits, their sum does not. */
	for (i = 0; i < 20 && rc == 0; i++)
		rc = sse_feed(p, "data: abc\n", 10, collect, &s);
	cr_assert_eq(rc, SSE_E_TOO_LARGE);
	cr_assert_lt(i, 20);
	/* Sticky: a well-formed event is refused too. */
	cr_assert_eq(sse_feed(p, "\n", 1, collect, &s), SSE_E_TOO_LARGE);
	cr_assert_eq(s.n, 0);
	sse_free(p);
}

Test(sse, size_limit_resets_per_event)
{
	struct seen s = { 0 };
	struct sse_parser *p = sse_new(32);
	int i;

	/* Each event is small: any number of them is fine. */
	for (i = 0; i < 50; i++)
		cr_assert_eq(sse_feed(p, "data: 0123456789\n\n", 18, collect,
				      &s),
			     0);
	cr_assert_eq(s.n, 50);
	sse_free(p);
	seen_clear(&s);
}

Test(sse, endless_line_is_refused)
{
	struct seen s = { 0 };
	struct sse_parser *p = sse_new(4096);
	char chunk[1000];
	int i, rc = 0;

	/* A comment that never ends must not grow memory without bound. */
	memset(chunk, 'x', sizeof(chunk));
	chunk[0] = ':';
	for (i = 0; i < 100 && rc == 0; i++)
		rc = sse_feed(p, chunk, sizeof(chunk), collect, &s);
	cr_assert_eq(rc, SSE_E_TOO_LARGE);
	cr_assert_eq(i, 5);
	sse_free(p);
}

Test(sse, empty_feed_and_null_free)
{
	struct seen s = { 0 };
	struct sse_parser *p = sse_new(0);

	cr_assert_not_null(p);
	cr_assert_eq(sse_feed(p, NULL, 0, collect, &s), 0);
	cr_assert_eq(s.n, 0);
	sse_free(p);
	sse_free(NULL);
}

/* ------------------------------------------------------------------ */
/* Every split point of a realistic stream                              */

static const char *const stream_lines[] = {
	"event: message_start",
	("data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_01\","
	 "\"type\":\"message\",\"role\":\"assistant\",\"content\":[],"
	 "\"model\":\"claude-sonnet-5-5\",\"stop_reason\":null,"
	 "\"usage\":{\"input_tokens\":25,\"output_tokens\":1}}}"),
	"",
	": a comment from a proxy",
	"event: ping",
	"data: {\"type\": \"ping\"}",
	"",
	"event: content_block_start",
	("data: {\"type\":\"content_block_start\",\"index\":0,"
	 "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}"),
	"",
	"event: content_block_delta",
	("data: {\"type\":\"content_block_delta\",\"index\":0,"
	 "\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello\"}}"),
	"",
	"event: content_block_stop",
	"data: {\"type\":\"content_block_stop\",\"index\":0}",
	"",
	"event: message_delta",
	("data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
	 "\"end_turn\",\"stop_sequence\":null},"
	 "\"usage\":{\"output_tokens\":15}}"),
	"",
	"event: message_stop",
	"data: {\"type\":\"message_stop\"}",
	"",
};

#define N_STREAM_EVENTS 7

/* Join stream_lines with eol; the caller frees the result. */
static char *
make_stream(const char *eol, size_t *len)
{
	size_t i, n = 0, el = strlen(eol);
	size_t count = sizeof(stream_lines) / sizeof(*stream_lines);
	char *buf, *q;

	for (i = 0; i < count; i++)
		n += strlen(stream_lines[i]) + el;
	buf = malloc(n + 1);
	cr_assert_not_null(buf);
	q = buf;
	for (i = 0; i < count; i++) {
		q = stpcpy(q, stream_lines[i]);
		q = stpcpy(q, eol);
	}
	*len = n;
	return buf;
}

static void
expect_stream_events(const struct seen *s)
{
	cr_assert_eq(s->n, N_STREAM_EVENTS);
	cr_assert_str_eq(s->name[0], "message_start");
	cr_assert_eq(s->len[0], strlen(stream_lines[1]) - 6);
	cr_assert_str_eq(s->data[0], stream_lines[1] + 6);
	cr_assert_str_eq(s->name[1], "ping");
	cr_assert_str_eq(s->data[1], "{\"type\": \"ping\"}");
	cr_assert_str_eq(s->name[2], "content_block_start");
	cr_assert_str_eq(s->name[3], "content_block_delta");
	cr_assert_str_eq(s->data[3], stream_lines[11] + 6);
	cr_assert_str_eq(s->name[4], "content_block_stop");
	cr_assert_str_eq(s->name[5], "message_delta");
	cr_assert_str_eq(s->name[6], "message_stop");
	cr_assert_str_eq(s->data[6], "{\"type\":\"message_stop\"}");
}

static void
split_everywhere(const char *eol)
{
	struct seen s = { 0 };
	size_t len, k;
	char *in = make_stream(eol, &len);

	for (k = 0; k <= len; k++) {
		struct sse_parser *p = sse_new(4096);

		cr_assert_eq(sse_feed(p, in, k, collect, &s), 0);
		cr_assert_eq(sse_feed(p, in + k, len - k, collect, &s), 0);
		expect_stream_events(&s);
		seen_clear(&s);
		sse_free(p);
	}
	free(in);
}

Test(sse, every_split_point_lf)
{
	split_everywhere("\n");
}
Test(sse, every_split_point_crlf)
{
	split_everywhere("\r\n");
}
Test(sse, every_split_point_cr)
{
	split_everywhere("\r");
}

static void
chunked(const char *eol)
{
	struct seen s = { 0 };
	size_t len, i, step;
	char *in = make_stream(eol, &len);
	unsigned seed = 12345;
	int round;

	/* Byte by byte, then pseudo-random chunk sizes. */
	for (round = 0; round < 40; round++) {
		struct sse_parser *p = sse_new(4096);

		for (i = 0; i < len; i += step) {
			seed = seed * 1103515245u + 12345u;
			step = round == 0 ? 1 : 1 + (seed >> 16) % 64;
			if (step > len - i)
				step = len - i;
			cr_assert_eq(sse_feed(p, in + i, step, collect, &s), 0);
		}
		expect_stream_events(&s);
		seen_clear(&s);
		sse_free(p);
	}
	free(in);
}

Test(sse, chunked_lf)
{
	chunked("\n");
}
Test(sse, chunked_crlf)
{
	chunked("\r\n");
}
Test(sse, chunked_cr)
{
	chunked("\r");
}
