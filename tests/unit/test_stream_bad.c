/*
 * test_stream_bad.c - unit tests of the stream assembler (stream.h) on
 * hostile streams: events out of order, and malformed data or data of
 * the wrong shape.
 *
 * Design note
 * -----------
 * Each test feeds events one by one with stream_fixture_ev()
 * (stream_fixture.h) up to the bad one and checks the code it returns
 * (STREAM_E_PROTOCOL for an event out of order or of the wrong shape,
 * STREAM_E_JSON for data that is not one JSON object) and, where it
 * matters, the error text and that the error sticks. Valid JSON that
 * only looks odd ("\u0000" in a string) is kept whole: the check that
 * refuses it comes later, where it is used.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "supervisor/api/response.h"
#include "supervisor/api/stream.h"
#include "tests/unit/stream_fixture.h"

/* ------------------------------------------------------------------ */
/* Ordering violations                                                  */

Test(stream_bad, nothing_before_message_start)
{
	const char *evs[][2] = {
		{ "content_block_start",
		  "{'type':'content_block_start',"
		  "'index':0,'content_block':{'type':'text','text':''}}" },
		{ "content_block_delta",
		  "{'type':'content_block_delta',"
		  "'index':0,'delta':{'type':'text_delta','text':'x'}}" },
		{ "content_block_stop", "{'type':'content_block_stop',"
					"'index':0}" },
		{ "message_delta", "{'type':'message_delta','delta':{}}" },
		{ "message_stop", "{'type':'message_stop'}" },
	};
	size_t i;

	for (i = 0; i < sizeof(evs) / sizeof(*evs); i++) {
		struct stream *s = stream_new();

		cr_assert_eq(stream_fixture_ev(s, evs[i][0], evs[i][1]),
			     STREAM_E_PROTOCOL, "%s", evs[i][0]);
		cr_assert_not_null(strstr(stream_error(s), "before"));
		stream_free(s);
	}
}

Test(stream_bad, delta_before_block_start)
{
	struct stream *s = stream_fixture_started();

	cr_assert_eq(stream_fixture_delta(s, 0,
					  "{'type':'text_delta','text':'x'}"),
		     STREAM_E_PROTOCOL);
	stream_free(s);
}

Test(stream_bad, stop_before_block_start)
{
	struct stream *s = stream_fixture_started();

	cr_assert_eq(stream_fixture_block_stop(s, 0), STREAM_E_PROTOCOL);
	stream_free(s);
}

Test(stream_bad, duplicate_block_index)
{
	struct stream *s = stream_fixture_started();

	stream_fixture_block_start(s, 0, "{'type':'text','text':''}");
	cr_assert_eq(
		stream_fixture_ev(s, "content_block_start",
				  "{'type':'content_block_start','index':0,"
				  "'content_block':{'type':'text','text':''}}"),
		STREAM_E_PROTOCOL);
	stream_free(s);
}

Test(stream_bad, out_of_order_block_index)
{
	struct stream *s = stream_fixture_started();

	cr_assert_eq(
		stream_fixture_ev(s, "content_block_start",
				  "{'type':'content_block_start','index':1,"
				  "'content_block':{'type':'text','text':''}}"),
		STREAM_E_PROTOCOL);
	cr_assert_not_null(strstr(stream_error(s), "expected 0"));
	stream_free(s);
}

Test(stream_bad, bad_indexes)
{
	const char *bad[] = {
		"{'type':'content_block_start','index':-1,"
		"'content_block':{'type':'text'}}",
		"{'type':'content_block_start','index':'0',"
		"'content_block':{'type':'text'}}",
		"{'type':'content_block_start','index':0.0,"
		"'content_block':{'type':'text'}}",
		"{'type':'content_block_start',"
		"'content_block':{'type':'text'}}",
	};

	stream_fixture_refused(true, "content_block_start", bad,
			       sizeof(bad) / sizeof(*bad));
}

Test(stream_bad, delta_and_stop_after_block_stop)
{
	struct stream *s = stream_fixture_started();

	stream_fixture_block_start(s, 0, "{'type':'text','text':''}");
	cr_assert_eq(stream_fixture_block_stop(s, 0), 0);
	cr_assert_eq(stream_fixture_delta(s, 0,
					  "{'type':'text_delta','text':'x'}"),
		     STREAM_E_PROTOCOL);
	stream_free(s);

	s = stream_fixture_started();
	stream_fixture_block_start(s, 0, "{'type':'text','text':''}");
	cr_assert_eq(stream_fixture_block_stop(s, 0), 0);
	cr_assert_eq(stream_fixture_block_stop(s, 0), STREAM_E_PROTOCOL);
	stream_free(s);
}

Test(stream_bad, message_stop_with_open_block)
{
	struct stream *s = stream_fixture_started();

	stream_fixture_block_start(s, 0,
				   "{'type':'tool_use','id':'t','name':'n',"
				   "'input':{}}");
	cr_assert_eq(stream_fixture_ev(s, "message_stop",
				       "{'type':'message_stop'}"),
		     STREAM_E_PROTOCOL);
	cr_assert_not(stream_done(s));
	stream_free(s);
}

Test(stream_bad, events_after_message_stop)
{
	struct stream *s = stream_fixture_started();

	stream_fixture_finish(s);
	cr_assert_eq(
		stream_fixture_ev(s, "content_block_start",
				  "{'type':'content_block_start','index':0,"
				  "'content_block':{'type':'text','text':''}}"),
		STREAM_E_PROTOCOL);
	cr_assert_not(stream_done(s));
	cr_assert_null(stream_take_message(s));
	stream_free(s);

	s = stream_fixture_started();
	stream_fixture_finish(s);
	cr_assert_eq(stream_fixture_ev(s, "message_stop",
				       "{'type':'message_stop'}"),
		     STREAM_E_PROTOCOL);
	stream_free(s);
}

Test(stream_bad, second_message_start)
{
	struct stream *s = stream_fixture_started();

	cr_assert_eq(stream_fixture_ev(s, "message_start",
				       STREAM_FIXTURE_MSG_START),
		     STREAM_E_PROTOCOL);
	stream_free(s);
}

Test(stream_bad, delta_for_wrong_block_kind)
{
	struct stream *s = stream_fixture_started();

	stream_fixture_block_start(s, 0,
				   "{'type':'tool_use','id':'t','name':'n',"
				   "'input':{}}");
	cr_assert_eq(stream_fixture_delta(s, 0,
					  "{'type':'text_delta','text':'x'}"),
		     STREAM_E_PROTOCOL);
	stream_free(s);

	s = stream_fixture_started();
	stream_fixture_block_start(s, 0, "{'type':'text','text':''}");
	cr_assert_eq(stream_fixture_delta(s, 0,
					  "{'type':'input_json_delta',"
					  "'partial_json':'{}'}"),
		     STREAM_E_PROTOCOL);
	stream_free(s);
}

/* ------------------------------------------------------------------ */
/* Malformed data                                                       */

Test(stream_bad, invalid_json_data)
{
	struct stream *s = stream_new();
	const char *bad = "{\"type\":\"message_start\",";

	cr_assert_eq(stream_event(s, "message_start", bad, strlen(bad)),
		     STREAM_E_JSON);
	cr_assert_not_null(stream_error(s));
	/* Sticky. */
	cr_assert_eq(stream_fixture_ev(s, "message_start",
				       STREAM_FIXTURE_MSG_START),
		     STREAM_E_JSON);
	stream_free(s);
}

/* "\u0000" is valid JSON: kept whole in text and tool input (the tool
 * check refuses it later, visibly); a name holding one is refused. */
Test(stream_bad, nul_characters_are_kept)
{
	struct stream *s = stream_fixture_started();
	struct response r;
	char err[256];
	json_t *msg, *v;

	stream_fixture_block_start(s, 0, "{'type':'text','text':''}");
	cr_assert_eq(stream_fixture_delta(
			     s, 0, "{'type':'text_delta','text':'a\\u0000b'}"),
		     0, "%s", stream_error(s));
	cr_assert_eq(stream_fixture_block_stop(s, 0), 0);
	stream_fixture_block_start(
		s, 1,
		"{'type':'tool_use','id':'toolu_01','name':'Write',"
		"'input':{}}");
	cr_assert_eq(stream_fixture_delta(
			     s, 1,
			     "{'type':'input_json_delta','partial_json':"
			     "'{\\'p\\': \\'x\\\\u0000y\\'}'}"),
		     0, "%s", stream_error(s));
	cr_assert_eq(stream_fixture_block_stop(s, 1), 0, "%s", stream_error(s));
	stream_fixture_finish(s);
	msg = stream_take_message(s);
	cr_assert_eq(response_from_json(msg, &r, err, sizeof(err)), 0, "%s",
		     err);
	v = json_object_get(json_array_get(r.content, 0), "text");
	cr_assert_eq(json_string_length(v), 3);
	cr_assert_eq(memcmp(json_string_value(v), "a\0b", 3), 0);
	v = json_object_get(json_object_get(json_array_get(r.content, 1),
					    "input"),
			    "p");
	cr_assert_eq(json_string_length(v), 3);
	cr_assert_eq(memcmp(json_string_value(v), "x\0y", 3), 0);
	response_clear(&r);
	json_decref(msg);
	stream_free(s);

	/* a block type holding a NUL is not "text" */
	s = stream_fixture_started();
	stream_fixture_block_start(s, 0, "{'type':'text\\u0000x','text':''}");
	cr_assert_eq(stream_fixture_block_stop(s, 0), 0);
	stream_fixture_finish(s);
	msg = stream_take_message(s);
	cr_assert_eq(response_from_json(msg, &r, err, sizeof(err)),
		     RESPONSE_E_INVALID);
	cr_assert_not_null(strstr(err, "string type"), "%s", err);
	json_decref(msg);
	stream_free(s);
}

Test(stream_bad, json_with_nul_or_duplicate_keys)
{
	struct stream *s;
	const char nul[] = "{\"type\":\"ping\"}\0junk";

	s = stream_fixture_started();
	cr_assert_eq(
		stream_fixture_ev(
			s, "content_block_start",
			"{'type':'content_block_start','index':0,'index':1,"
			"'content_block':{'type':'text','text':''}}"),
		STREAM_E_JSON);
	stream_free(s);

	s = stream_new();
	cr_assert_eq(stream_event(s, "message_stop", nul, sizeof(nul) - 1),
		     STREAM_E_JSON);
	stream_free(s);
}

Test(stream_bad, data_not_an_object)
{
	struct stream *s = stream_new();

	cr_assert_eq(stream_fixture_ev(s, "message_start", "[1,2]"),
		     STREAM_E_PROTOCOL);
	stream_free(s);
}

Test(stream_bad, named_event_with_other_type)
{
	struct stream *s = stream_fixture_started();

	cr_assert_eq(stream_fixture_ev(s, "message_stop",
				       "{'type':'message_delta',"
				       "'delta':{}}"),
		     STREAM_E_PROTOCOL);
	stream_free(s);
}

Test(stream_bad, message_start_shapes)
{
	const char *bad[] = {
		"{'type':'message_start'}",
		"{'type':'message_start','message':[]}",
		("{'type':'message_start','message':{'content':[{'type':"
		 "'text','text':'x'}]}}"),
		"{'type':'message_start','message':{'content':'x'}}",
	};

	stream_fixture_refused(false, "message_start", bad,
			       sizeof(bad) / sizeof(*bad));
}

Test(stream_bad, missing_or_wrong_fields)
{
	struct {
		const char *block, *delta;
	} bad[] = {
		{ "{'type':'text','text':''}", "{'type':'text_delta'}" },
		{ "{'type':'text','text':''}",
		  "{'type':'text_delta','text':5}" },
		{ "{'type':'tool_use','id':'t','name':'n'}",
		  "{'type':'input_json_delta','partial_json':{}}" },
		{ "{'type':'thinking','thinking':''}",
		  "{'type':'signature_delta'}" },
		{ "{'type':'text','text':''}",
		  "{'type':'citations_delta','citation':'x'}" },
		{ "{'type':'text','text':''}", "{'text':'x'}" },
		{ "{'type':'text','text':''}", "'text_delta'" },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct stream *s = stream_fixture_started();

		stream_fixture_block_start(s, 0, bad[i].block);
		cr_assert_eq(stream_fixture_delta(s, 0, bad[i].delta),
			     STREAM_E_PROTOCOL, "case %zu", i);
		stream_free(s);
	}
}

Test(stream_bad, bad_block_start_shapes)
{
	const char *bad[] = {
		"{'type':'content_block_start','index':0}",
		"{'type':'content_block_start','index':0,'content_block':"
		"'text'}",
		"{'type':'content_block_start','index':0,'content_block':"
		"{'text':''}}",
		"{'type':'content_block_start','index':0,'content_block':"
		"{'type':'text','text':5}}",
	};

	stream_fixture_refused(true, "content_block_start", bad,
			       sizeof(bad) / sizeof(*bad));
}

Test(stream_bad, bad_message_delta)
{
	const char *bad[] = {
		"{'type':'message_delta'}",
		"{'type':'message_delta','delta':{'stop_reason':1}}",
		"{'type':'message_delta','delta':{},'usage':[]}",
	};

	stream_fixture_refused(true, "message_delta", bad,
			       sizeof(bad) / sizeof(*bad));
}

/* message_delta with stop_reason why, then message_stop: its code. */
static int
stop_with(struct stream *s, const char *why)
{
	char d[160];

	snprintf(d, sizeof(d),
		 "{'type':'message_delta','delta':{'stop_reason':'%s'},"
		 "'usage':{'output_tokens':7}}",
		 why);
	cr_assert_eq(stream_fixture_ev(s, "message_delta", d), 0);
	return stream_fixture_ev(s, "message_stop", "{'type':'message_stop'}");
}

Test(stream_bad, invalid_tool_input)
{
	struct stream *s = stream_fixture_started();

	/* broken JSON is known at message_stop: a reply cut at max_tokens
	 * may carry it (below), any other may not */
	stream_fixture_block_start(s, 0,
				   "{'type':'tool_use','id':'t','name':'n',"
				   "'input':{}}");
	cr_assert_eq(stream_fixture_delta(
			     s, 0,
			     "{'type':'input_json_delta','partial_json':"
			     "'{\\'a\\': '}"),
		     0);
	cr_assert_eq(stream_fixture_block_stop(s, 0), 0);
	cr_assert_eq(stop_with(s, "end_turn"), STREAM_E_JSON);
	cr_assert_not_null(
		strstr(stream_error(s), "block 0 is not valid JSON"));
	cr_assert_not(stream_done(s));
	stream_free(s);

	s = stream_fixture_started();
	stream_fixture_block_start(s, 0,
				   "{'type':'tool_use','id':'t','name':'n',"
				   "'input':{}}");
	cr_assert_eq(stream_fixture_delta(
			     s, 0,
			     "{'type':'input_json_delta','partial_json':"
			     "'[1, 2]'}"),
		     0);
	cr_assert_eq(stream_fixture_block_stop(s, 0), STREAM_E_PROTOCOL);
	cr_assert_not_null(strstr(stream_error(s), "not an object"));
	stream_free(s);

	s = stream_fixture_started();
	stream_fixture_block_start(s, 0,
				   "{'type':'tool_use','id':'t','name':'n',"
				   "'input':{}}");
	cr_assert_eq(stream_fixture_delta(
			     s, 0,
			     "{'type':'input_json_delta','partial_json':"
			     "'{\\'a\\':1,\\'a\\':2}'}"),
		     0);
	cr_assert_eq(stream_fixture_block_stop(s, 0), 0);
	cr_assert_eq(stop_with(s, "tool_use"), STREAM_E_JSON);
	stream_free(s);
}

/*
 * The API streams a tool's input as it is made: a reply cut at
 * max_tokens inside a tool call ends with a block whose JSON is a prefix.
 * That message is whole; the block's input is {} (never run: the session
 * drops every tool_use of a max_tokens reply).
 */
Test(stream_bad, tool_input_cut_at_max_tokens_is_a_whole_message)
{
	struct stream *s = stream_fixture_started();
	json_t *m;

	stream_fixture_block_start(s, 0, "{'type':'text','text':''}");
	cr_assert_eq(stream_fixture_delta(
			     s, 0, "{'type':'text_delta','text':'Writing'}"),
		     0);
	cr_assert_eq(stream_fixture_block_stop(s, 0), 0);
	stream_fixture_block_start(s, 1,
				   "{'type':'tool_use','id':'toolu_1','name':"
				   "'Write','input':{}}");
	cr_assert_eq(stream_fixture_delta(
			     s, 1,
			     "{'type':'input_json_delta','partial_json':"
			     "'{\\'file_path\\': \\'a.py\\', "
			     "\\'content\\': \\'print('}"),
		     0);
	cr_assert_eq(stream_fixture_block_stop(s, 1), 0);
	cr_assert_eq(stop_with(s, "max_tokens"), 0);
	cr_assert(stream_done(s));
	m = stream_take_message(s);
	cr_assert_not_null(m);
	stream_fixture_expect_json(
		json_object_get(m, "content"),
		"[{'type':'text','text':'Writing'},{'type':'tool_use','id':"
		"'toolu_1','name':'Write','input':{}}]");
	cr_assert_str_eq(json_string_value(json_object_get(m, "stop_reason")),
			 "max_tokens");
	json_decref(m);
	stream_free(s);
}

Test(stream_bad, error_text_is_sanitised)
{
	struct stream *s = stream_fixture_started();
	const char *p;

	cr_assert_eq(stream_fixture_ev(s, "content_block_stop\x1b[31m",
				       "{'type':'content_block_stop'}"),
		     0);
	cr_assert_eq(stream_fixture_ev(s, "message", "{'type':'message_stop'}"),
		     0);
	stream_free(s);

	s = stream_new();
	cr_assert_eq(stream_fixture_ev(s, "ping\n", "{'type':'x'}"), 0);
	cr_assert_eq(
		stream_fixture_ev(
			s, "message_stop",
			"{'type':'message_stop\\u001b"
			"[31mAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'}"),
		STREAM_E_PROTOCOL);
	for (p = stream_error(s); *p; p++)
		cr_assert(*p >= 0x20 && *p < 0x7f, "byte %d", *p);
	cr_assert_lt(strlen(stream_error(s)), 120);
	stream_free(s);
}
