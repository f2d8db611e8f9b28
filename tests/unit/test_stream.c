/*
 * test_stream.c - unit tests of the stream assembler (stream.h): whole
 * messages, error events, limits, and a body cut at every byte (events
 * out of order and malformed data: test_stream_bad.c).
 *
 * Design note
 * -----------
 * Most tests feed events one by one with stream_fixture_ev(), the way
 * sse_feed()'s callback would, and check the return code of each and the
 * assembled message at the end (stream_fixture.h). The split test runs a
 * whole SSE body through the real parser (sse.h) cut at every byte, and
 * compares the result with the message assembled from the uncut body.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "supervisor/api/response.h"
#include "supervisor/api/sse.h"
#include "supervisor/api/stream.h"
#include "tests/unit/stream_fixture.h"

/* ------------------------------------------------------------------ */
/* Normal paths                                                         */

Test(stream, text_message)
{
	struct stream *s = stream_fixture_started();
	json_t *msg;

	cr_assert_eq(stream_fixture_ev(s, "ping", "{'type':'ping'}"), 0);
	stream_fixture_block_start(s, 0, "{'type':'text','text':''}");
	cr_assert_eq(stream_fixture_delta(s, 0,
					  "{'type':'text_delta','text':'Hel'}"),
		     0);
	cr_assert_eq(stream_fixture_ev(s, "ping", "{'type':'ping'}"), 0);
	cr_assert_eq(stream_fixture_delta(s, 0,
					  "{'type':'text_delta','text':'lo'}"),
		     0);
	cr_assert_eq(stream_fixture_block_stop(s, 0), 0);
	cr_assert_not(stream_done(s));
	cr_assert_null(stream_take_message(s));
	stream_fixture_finish(s);
	msg = stream_take_message(s);
	cr_assert_not_null(msg);
	stream_fixture_expect_json(
		msg, "{'id':'msg_1','type':'message','role':'assistant',"
		     "'model':'claude-sonnet-5-5','content':[{'type':'text',"
		     "'text':'Hello'}],'stop_reason':'end_turn',"
		     "'stop_sequence':null,'usage':{'input_tokens':10,"
		     "'output_tokens':42,'cache_read_input_tokens':5}}");
	/* Taken once only. */
	cr_assert_null(stream_take_message(s));
	json_decref(msg);
	stream_free(s);
}

Test(stream, assembled_message_passes_response_validation)
{
	struct stream *s = stream_fixture_started();
	struct response r;
	char err[256];
	json_t *msg;

	stream_fixture_block_start(s, 0, "{'type':'text','text':''}");
	cr_assert_eq(stream_fixture_delta(
			     s, 0, "{'type':'text_delta','text':'Run it'}"),
		     0);
	cr_assert_eq(stream_fixture_block_stop(s, 0), 0);
	stream_fixture_block_start(
		s, 1,
		"{'type':'tool_use','id':'toolu_01','name':'Bash',"
		"'input':{}}");
	cr_assert_eq(stream_fixture_delta(
			     s, 1,
			     "{'type':'input_json_delta','partial_json':"
			     "'{\\'command\\': \\'ls\\'}'}"),
		     0);
	cr_assert_eq(stream_fixture_block_stop(s, 1), 0);
	stream_fixture_finish(s);
	msg = stream_take_message(s);
	cr_assert_eq(response_from_json(msg, &r, err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_eq(r.n_tool_use, 1);
	cr_assert_str_eq(r.stop_reason, "end_turn");
	cr_assert_eq(r.usage.input_tokens, 10);
	cr_assert_eq(r.usage.output_tokens, 42);
	cr_assert_eq(r.usage.cache_read_input_tokens, 5);
	stream_fixture_expect_json(json_object_get(json_array_get(r.content, 1),
						   "input"),
				   "{'command':'ls'}");
	response_clear(&r);
	json_decref(msg);
	stream_free(s);
}

Test(stream, tool_input_in_one_byte_fragments)
{
	const char *input = "{\"path\": \"a/b.c\", \"n\": [1, 2.5, null], "
			    "\"s\": \"\\u00e9\\n\\\"\"}";
	struct stream *s = stream_fixture_started();
	json_t *msg, *want;
	size_t i;

	stream_fixture_block_start(
		s, 0,
		"{'type':'tool_use','id':'toolu_9','name':'Read',"
		"'input':{}}");
	for (i = 0; input[i]; i++) {
		/* Each fragment is one byte of the JSON text, escaped. */
		json_t *d = json_pack("{s:s,s:i,s:{s:s,s:s%}}", "type",
				      "content_block_delta", "index", 0,
				      "delta", "type", "input_json_delta",
				      "partial_json", input + i, (size_t)1);
		char *txt = json_dumps(d, 0);

		cr_assert_not_null(txt);
		cr_assert_eq(stream_event(s, "content_block_delta", txt,
					  strlen(txt)),
			     0);
		free(txt);
		json_decref(d);
	}
	cr_assert_eq(stream_fixture_block_stop(s, 0), 0);
	stream_fixture_finish(s);
	msg = stream_take_message(s);
	want = json_loads(input, 0, NULL);
	cr_assert(json_equal(
		json_object_get(json_array_get(json_object_get(msg, "content"),
					       0),
				"input"),
		want));
	json_decref(want);
	json_decref(msg);
	stream_free(s);
}

Test(stream, empty_tool_input_is_empty_object)
{
	struct stream *s = stream_fixture_started();
	json_t *msg, *content;

	stream_fixture_block_start(
		s, 0, "{'type':'tool_use','id':'t1','name':'Glob'}");
	cr_assert_eq(stream_fixture_block_stop(s, 0), 0);
	stream_fixture_block_start(s, 1,
				   "{'type':'tool_use','id':'t2','name':'Glob',"
				   "'input':{}}");
	cr_assert_eq(stream_fixture_delta(s, 1,
					  "{'type':'input_json_delta',"
					  "'partial_json':''}"),
		     0);
	cr_assert_eq(stream_fixture_block_stop(s, 1), 0);
	stream_fixture_finish(s);
	msg = stream_take_message(s);
	content = json_object_get(msg, "content");
	stream_fixture_expect_json(json_object_get(json_array_get(content, 0),
						   "input"),
				   "{}");
	stream_fixture_expect_json(json_object_get(json_array_get(content, 1),
						   "input"),
				   "{}");
	json_decref(msg);
	stream_free(s);
}

Test(stream, thinking_signature_and_citations)
{
	struct stream *s = stream_fixture_started();
	json_t *msg, *content;

	stream_fixture_block_start(
		s, 0, "{'type':'thinking','thinking':'','signature':''}");
	cr_assert_eq(
		stream_fixture_delta(s, 0,
				     "{'type':'thinking_delta','thinking':'Let "
				     "me '}"),
		0);
	cr_assert_eq(stream_fixture_delta(s, 0,
					  "{'type':'thinking_delta','thinking':"
					  "'think'}"),
		     0);
	cr_assert_eq(
		stream_fixture_delta(s, 0,
				     "{'type':'signature_delta','signature':"
				     "'c2lnbmF0dXJl'}"),
		0);
	cr_assert_eq(stream_fixture_block_stop(s, 0), 0);
	stream_fixture_block_start(
		s, 1, "{'type':'redacted_thinking','data':'ZW5j'}");
	cr_assert_eq(stream_fixture_block_stop(s, 1), 0);
	stream_fixture_block_start(
		s, 2, "{'type':'text','text':'','citations':null}");
	cr_assert_eq(stream_fixture_delta(
			     s, 2,
			     "{'type':'citations_delta','citation':"
			     "{'type':'char_location','cited_text':'x'}}"),
		     0);
	cr_assert_eq(stream_fixture_delta(
			     s, 2,
			     "{'type':'citations_delta','citation':"
			     "{'type':'char_location','cited_text':'y'}}"),
		     0);
	cr_assert_eq(stream_fixture_delta(
			     s, 2, "{'type':'text_delta','text':'cited'}"),
		     0);
	cr_assert_eq(stream_fixture_block_stop(s, 2), 0);
	stream_fixture_finish(s);
	msg = stream_take_message(s);
	content = json_object_get(msg, "content");
	stream_fixture_expect_json(
		content, "[{'type':'thinking','thinking':'Let me think',"
			 "'signature':'c2lnbmF0dXJl'},"
			 "{'type':'redacted_thinking','data':'ZW5j'},"
			 "{'type':'text','text':'cited','citations':["
			 "{'type':'char_location','cited_text':'x'},"
			 "{'type':'char_location','cited_text':'y'}]}]");
	json_decref(msg);
	stream_free(s);
}

Test(stream, server_tool_use_input)
{
	struct stream *s = stream_fixture_started();
	json_t *msg;

	stream_fixture_block_start(
		s, 0,
		"{'type':'server_tool_use','id':'srvtoolu_1',"
		"'name':'web_search','input':{}}");
	cr_assert_eq(stream_fixture_delta(
			     s, 0,
			     "{'type':'input_json_delta','partial_json':"
			     "'{\\'query\\':'}"),
		     0);
	cr_assert_eq(stream_fixture_delta(
			     s, 0,
			     "{'type':'input_json_delta','partial_json':"
			     "'\\'x\\'}'}"),
		     0);
	cr_assert_eq(stream_fixture_block_stop(s, 0), 0);
	stream_fixture_block_start(
		s, 1,
		"{'type':'web_search_tool_result','tool_use_id':"
		"'srvtoolu_1','content':[]}");
	cr_assert_eq(stream_fixture_block_stop(s, 1), 0);
	stream_fixture_finish(s);
	msg = stream_take_message(s);
	stream_fixture_expect_json(
		json_object_get(msg, "content"),
		"[{'type':'server_tool_use','id':'srvtoolu_1',"
		"'name':'web_search','input':{'query':'x'}},"
		"{'type':'web_search_tool_result','tool_use_id':"
		"'srvtoolu_1','content':[]}]");
	json_decref(msg);
	stream_free(s);
}

Test(stream, unknown_events_and_deltas_ignored)
{
	struct stream *s = stream_new();
	json_t *msg;

	/* Unknown events are ignored whatever their data, even first. */
	cr_assert_eq(stream_fixture_ev(s, "future_event", "not json at all"),
		     0);
	cr_assert_eq(stream_fixture_ev(s, "ping", "{'type':'ping'}"), 0);
	cr_assert_eq(stream_fixture_ev(s, "message_start",
				       STREAM_FIXTURE_MSG_START),
		     0);
	stream_fixture_block_start(s, 0, "{'type':'text','text':'A'}");
	cr_assert_eq(stream_fixture_delta(s, 0,
					  "{'type':'future_delta','x':1}"),
		     0);
	cr_assert_eq(stream_fixture_ev(s, "future_event",
				       "{'type':'future_event'}"),
		     0);
	cr_assert_eq(stream_fixture_delta(s, 0,
					  "{'type':'text_delta','text':'B'}"),
		     0);
	cr_assert_eq(stream_fixture_block_stop(s, 0), 0);
	stream_fixture_finish(s);
	/* After message_stop, pings and unknown events are still fine. */
	cr_assert_eq(stream_fixture_ev(s, "ping", "{'type':'ping'}"), 0);
	cr_assert_eq(stream_fixture_ev(s, "future_event", "{}"), 0);
	msg = stream_take_message(s);
	stream_fixture_expect_json(json_object_get(msg, "content"),
				   "[{'type':'text','text':'AB'}]");
	json_decref(msg);
	stream_free(s);
}

Test(stream, unnamed_events_use_data_type)
{
	struct stream *s = stream_new();
	json_t *msg;

	cr_assert_eq(stream_fixture_ev(s, "message", STREAM_FIXTURE_MSG_START),
		     0);
	cr_assert_eq(
		stream_fixture_ev(s, "message",
				  "{'type':'content_block_start','index':0,"
				  "'content_block':{'type':'text','text':''}}"),
		0);
	cr_assert_eq(stream_fixture_ev(s, "message",
				       "{'type':'some_future_thing'}"),
		     0);
	cr_assert_eq(stream_fixture_ev(s, "message", "{'no_type':1}"), 0);
	cr_assert_eq(
		stream_fixture_ev(s, "message",
				  "{'type':'content_block_delta','index':0,"
				  "'delta':{'type':'text_delta','text':'hi'}}"),
		0);
	cr_assert_eq(stream_fixture_ev(s, "message",
				       "{'type':'content_block_stop',"
				       "'index':0}"),
		     0);
	cr_assert_eq(stream_fixture_ev(s, "message", "{'type':'message_stop'}"),
		     0);
	msg = stream_take_message(s);
	cr_assert_not_null(msg);
	stream_fixture_expect_json(json_object_get(msg, "content"),
				   "[{'type':'text','text':'hi'}]");
	json_decref(msg);
	stream_free(s);
}

Test(stream, usage_merge_skips_nulls)
{
	struct stream *s = stream_fixture_started();
	json_t *msg;

	cr_assert_eq(stream_fixture_ev(
			     s, "message_delta",
			     "{'type':'message_delta','delta':{'stop_reason':"
			     "'tool_use'},'usage':{'output_tokens':7,"
			     "'input_tokens':null,"
			     "'cache_creation_input_tokens':3}}"),
		     0);
	cr_assert_eq(stream_fixture_ev(
			     s, "message_delta",
			     "{'type':'message_delta','delta':{'stop_reason':"
			     "'max_tokens','stop_sequence':'END'},'usage':"
			     "{'output_tokens':9}}"),
		     0);
	cr_assert_eq(stream_fixture_ev(s, "message_stop",
				       "{'type':'message_stop'}"),
		     0);
	msg = stream_take_message(s);
	stream_fixture_expect_json(json_object_get(msg, "usage"),
				   "{'input_tokens':10,'output_tokens':9,"
				   "'cache_read_input_tokens':5,"
				   "'cache_creation_input_tokens':3}");
	cr_assert_str_eq(json_string_value(json_object_get(msg, "stop_reason")),
			 "max_tokens");
	cr_assert_str_eq(json_string_value(
				 json_object_get(msg, "stop_sequence")),
			 "END");
	json_decref(msg);
	stream_free(s);
}

/* ------------------------------------------------------------------ */
/* Error events                                                         */

Test(stream, error_event_after_message_start)
{
	struct stream *s = stream_fixture_started();

	stream_fixture_block_start(s, 0, "{'type':'text','text':''}");
	cr_assert_eq(stream_fixture_ev(
			     s, "error",
			     "{'type':'error','error':{'type':"
			     "'overloaded_error','message':'Overloaded'}}"),
		     STREAM_E_API_ERROR);
	cr_assert_str_eq(stream_api_error_type(s), "overloaded_error");
	cr_assert_str_eq(stream_api_error_message(s), "Overloaded");
	cr_assert_not_null(strstr(stream_error(s), "overloaded_error"));
	/* Sticky: the stream cannot complete any more. */
	cr_assert_eq(stream_fixture_delta(s, 0,
					  "{'type':'text_delta','text':'x'}"),
		     STREAM_E_API_ERROR);
	cr_assert_eq(stream_fixture_ev(s, "message_stop",
				       "{'type':'message_stop'}"),
		     STREAM_E_API_ERROR);
	cr_assert_not(stream_done(s));
	cr_assert_null(stream_take_message(s));
	stream_free(s);
}

Test(stream, error_event_with_unsafe_type)
{
	struct stream *s = stream_fixture_started();

	cr_assert_eq(stream_fixture_ev(s, "error",
				       "{'type':'error','error':{'type':"
				       "'bad\\u001btype','message':'m\\n'}}"),
		     STREAM_E_API_ERROR);
	cr_assert_null(stream_api_error_type(s));
	cr_assert_str_eq(stream_api_error_message(s), "m\n");
	stream_free(s);
}

Test(stream, error_event_first_and_without_fields)
{
	struct stream *s = stream_new();

	cr_assert_null(stream_api_error_type(s));
	cr_assert_null(stream_error(s));
	cr_assert_eq(stream_fixture_ev(s, "error", "{'type':'error'}"),
		     STREAM_E_API_ERROR);
	cr_assert_null(stream_api_error_type(s));
	cr_assert_null(stream_api_error_message(s));
	cr_assert_not_null(stream_error(s));
	stream_free(s);
}

/* ------------------------------------------------------------------ */
/* Limits                                                               */

Test(stream, too_many_blocks)
{
	struct stream *s = stream_fixture_started();
	char buf[160];
	int i, rc = 0;

	for (i = 0; i <= STREAM_MAX_BLOCKS && rc == 0; i++) {
		snprintf(buf, sizeof(buf),
			 "{\"type\":\"content_block_start\",\"index\":%d,"
			 "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}",
			 i);
		rc = stream_event(s, "content_block_start", buf, strlen(buf));
	}
	cr_assert_eq(rc, STREAM_E_TOO_LARGE);
	cr_assert_eq(i, STREAM_MAX_BLOCKS + 1);
	stream_free(s);
}

Test(stream, too_much_data)
{
	struct stream *s = stream_fixture_started();
	size_t chunk = 1u << 20, n, i;
	char *buf = malloc(chunk + 100);
	int rc = 0;

	cr_assert_not_null(buf);
	stream_fixture_block_start(s, 0, "{'type':'text','text':''}");
	n = (size_t)sprintf(buf,
			    "{\"type\":\"content_block_delta\","
			    "\"index\":0,\"delta\":{\"type\":\"text_delta\","
			    "\"text\":\"");
	memset(buf + n, 'x', chunk);
	strcpy(buf + n + chunk, "\"}}");
	n = strlen(buf);
	for (i = 0; i < 40 && rc == 0; i++)
		rc = stream_event(s, "content_block_delta", buf, n);
	cr_assert_eq(rc, STREAM_E_TOO_LARGE);
	cr_assert_eq(i, STREAM_MAX_BYTES / n + 1);
	free(buf);
	stream_free(s);
}

Test(stream, free_unfinished)
{
	struct stream *s = stream_fixture_started();

	stream_fixture_block_start(s, 0, "{'type':'text','text':'abc'}");
	cr_assert_eq(stream_fixture_delta(s, 0,
					  "{'type':'text_delta','text':'def'}"),
		     0);
	stream_fixture_block_start(s, 1,
				   "{'type':'tool_use','id':'t','name':'n'}");
	cr_assert_eq(stream_fixture_delta(s, 1,
					  "{'type':'input_json_delta',"
					  "'partial_json':'{'}"),
		     0);
	stream_free(s);
	stream_free(NULL);
}

/* ------------------------------------------------------------------ */
/* A whole SSE body through sse.h, cut at every byte                    */

static const char sse_body[] =
	"event: message_start\r\n"
	"data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_2\","
	"\"type\":\"message\",\"role\":\"assistant\",\"model\":\"m\","
	"\"content\":[],\"stop_reason\":null,\"usage\":{\"input_tokens\":3,"
	"\"output_tokens\":1}}}\r\n\r\n"
	"event: ping\r\ndata: {\"type\": \"ping\"}\r\n\r\n"
	"event: content_block_start\r\n"
	"data: {\"type\":\"content_block_start\",\"index\":0,"
	"\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\r\n\r\n"
	"event: content_block_delta\r\n"
	"data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
	"{\"type\":\"text_delta\",\"text\":\"Let me look.\"}}\r\n\r\n"
	"event: content_block_stop\r\n"
	"data: {\"type\":\"content_block_stop\",\"index\":0}\r\n\r\n"
	"event: content_block_start\r\n"
	"data: {\"type\":\"content_block_start\",\"index\":1,"
	"\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_1\","
	"\"name\":\"Read\",\"input\":{}}}\r\n\r\n"
	"event: content_block_delta\r\n"
	"data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":"
	"{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"file_\"}}"
	"\r\n\r\n"
	"event: content_block_delta\r\n"
	"data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":"
	"{\"type\":\"input_json_delta\",\"partial_json\":\"path\\\": "
	"\\\"a.c\\\"}\"}}\r\n\r\n"
	"event: content_block_stop\r\n"
	"data: {\"type\":\"content_block_stop\",\"index\":1}\r\n\r\n"
	"event: message_delta\r\n"
	"data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
	"\"tool_use\",\"stop_sequence\":null},\"usage\":"
	"{\"output_tokens\":30}}\r\n\r\n"
	"event: message_stop\r\ndata: {\"type\":\"message_stop\"}\r\n\r\n";

/* Feed sse_body cut at k; returns the assembled message (owned). */
static json_t *
assemble_split(size_t k)
{
	size_t len = sizeof(sse_body) - 1;
	struct sse_parser *p = sse_new(1 << 16);
	struct stream *s = stream_new();
	json_t *msg;

	cr_assert_eq(sse_feed(p, sse_body, k, stream_on_sse, s), 0,
		     "split %zu: %s", k, stream_error(s));
	cr_assert_eq(sse_feed(p, sse_body + k, len - k, stream_on_sse, s), 0,
		     "split %zu: %s", k, stream_error(s));
	cr_assert(stream_done(s), "split %zu", k);
	msg = stream_take_message(s);
	stream_free(s);
	sse_free(p);
	return msg;
}

Test(stream, every_split_point_of_a_body)
{
	json_t *whole = assemble_split(sizeof(sse_body) - 1);
	size_t k;

	stream_fixture_expect_json(
		json_object_get(whole, "content"),
		"[{'type':'text','text':'Let me look.'},"
		"{'type':'tool_use','id':'toolu_1','name':'Read',"
		"'input':{'file_path':'a.c'}}]");
	for (k = 0; k < sizeof(sse_body) - 1; k++) {
		json_t *msg = assemble_split(k);

		cr_assert(json_equal(msg, whole), "split %zu", k);
		json_decref(msg);
	}
	json_decref(whole);
}
