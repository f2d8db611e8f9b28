/*
 * test_response.c - unit tests of message and error body decoding
 * (response.h).
 *
 * Design note
 * -----------
 * Bodies are written with single quotes for readability; q() turns them
 * into JSON. Each invalid case is one table row: the body and the error
 * code it must give, and every refused body must leave struct response
 * zeroed and an error text behind.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "supervisor/api/response.h"

static char *
q(const char *s)
{
	char *d = strdup(s), *p;

	cr_assert_not_null(d);
	for (p = d; *p; p++)
		if (*p == '\'')
			*p = '"';
	return d;
}

static int
parse_q(const char *sq, struct response *r, char *err, size_t errlen)
{
	char *body = q(sq);
	int rc = response_parse(body, strlen(body), r, err, errlen);

	free(body);
	return rc;
}

static void
expect_zeroed(const struct response *r)
{
	struct response zero;

	memset(&zero, 0, sizeof(zero));
	cr_assert_eq(memcmp(r, &zero, sizeof(zero)), 0);
}

#define HEAD \
	"{'id':'msg_1','type':'message','role':'assistant'," \
	"'model':'claude-sonnet-5-5','stop_reason':'tool_use'," \
	"'stop_sequence':null,"
#define USAGE \
	"'usage':{'input_tokens':12,'output_tokens':34," \
	"'cache_creation_input_tokens':56,'cache_read_input_tokens':78}"

Test(response, full_message)
{
	struct response r;
	char err[256];

	cr_assert_eq(parse_q(HEAD "'content':["
				  "{'type':'thinking','thinking':'hm',"
				  "'signature':'sig'},"
				  "{'type':'redacted_thinking','data':'abc'},"
				  "{'type':'text','text':'Reading.'},"
				  "{'type':'tool_use','id':'toolu_01A-b_9',"
				  "'name':'Read','input':{'file_path':'x'}},"
				  "{'type':'server_tool_use','id':'s!','x':1},"
				  "{'type':'tool_use','id':'toolu_02',"
				  "'name':'mcp__fs-read','input':{}}]," USAGE
				  "}",
			     &r, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_str_eq(r.id, "msg_1");
	cr_assert_str_eq(r.model, "claude-sonnet-5-5");
	cr_assert_str_eq(r.stop_reason, "tool_use");
	cr_assert_eq(r.n_tool_use, 2);
	cr_assert_eq(r.usage.input_tokens, 12);
	cr_assert_eq(r.usage.output_tokens, 34);
	cr_assert_eq(r.usage.cache_creation_input_tokens, 56);
	cr_assert_eq(r.usage.cache_read_input_tokens, 78);
	cr_assert_eq(json_array_size(r.content), 6);
	/* Unknown block types are kept as they came. */
	cr_assert_eq(json_integer_value(
			     json_object_get(json_array_get(r.content, 4),
					     "x")),
		     1);
	response_clear(&r);
	expect_zeroed(&r);
	response_clear(&r);
	response_clear(NULL);
}

Test(response, minimal_message_defaults)
{
	struct response r;
	char err[64];

	cr_assert_eq(parse_q("{'type':'message','role':'assistant',"
			     "'content':[],'stop_reason':null}",
			     &r, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_null(r.id);
	cr_assert_null(r.model);
	cr_assert_null(r.stop_reason);
	cr_assert_eq(r.n_tool_use, 0);
	cr_assert_eq(r.usage.input_tokens, 0);
	cr_assert_eq(r.usage.output_tokens, 0);
	cr_assert_eq(json_array_size(r.content), 0);
	response_clear(&r);

	cr_assert_eq(parse_q("{'type':'message','role':'assistant',"
			     "'content':[],'usage':{'input_tokens':null,"
			     "'output_tokens':5,'server_tool_use':{}}}",
			     &r, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(r.usage.input_tokens, 0);
	cr_assert_eq(r.usage.output_tokens, 5);
	response_clear(&r);
}

Test(response, tool_id_and_name_bounds)
{
	char id128[129], id129[130], name64[65], name65[66];
	char body[512];
	struct response r;
	char err[256];

	memset(id128, 'a', 128);
	id128[128] = '\0';
	memset(id129, 'a', 129);
	id129[129] = '\0';
	memset(name64, 'n', 64);
	name64[64] = '\0';
	memset(name65, 'n', 65);
	name65[65] = '\0';

	snprintf(body, sizeof(body),
		 "{'type':'message','role':'assistant',"
		 "'content':[{'type':'tool_use','id':'%s','name':'%s',"
		 "'input':{}}]}",
		 id128, name64);
	cr_assert_eq(parse_q(body, &r, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(r.n_tool_use, 1);
	response_clear(&r);

	snprintf(body, sizeof(body),
		 "{'type':'message','role':'assistant',"
		 "'content':[{'type':'tool_use','id':'%s','name':'n',"
		 "'input':{}}]}",
		 id129);
	cr_assert_eq(parse_q(body, &r, err, sizeof(err)), RESPONSE_E_INVALID);
	cr_assert_not_null(strstr(err, "id"));
	expect_zeroed(&r);

	snprintf(body, sizeof(body),
		 "{'type':'message','role':'assistant',"
		 "'content':[{'type':'tool_use','id':'t','name':'%s',"
		 "'input':{}}]}",
		 name65);
	cr_assert_eq(parse_q(body, &r, err, sizeof(err)), RESPONSE_E_INVALID);
	cr_assert_not_null(strstr(err, "name"));
	expect_zeroed(&r);
}

struct bad_case {
	const char *body;
	int rc;
	const char *in_err; /* a word the error text must contain */
};

static const struct bad_case bad_messages[] = {
	{ "{'type':'msg','role':'assistant','content':[]}", RESPONSE_E_INVALID,
	  "type" },
	{ "{'role':'assistant','content':[]}", RESPONSE_E_INVALID, "type" },
	{ "{'type':'error','error':{'type':'x','message':'y'}}",
	  RESPONSE_E_API_ERROR, "error" },
	{ "{'type':'message','role':'user','content':[]}", RESPONSE_E_INVALID,
	  "role" },
	{ "{'type':'message','content':[]}", RESPONSE_E_INVALID, "role" },
	{ "{'type':'message','role':'assistant'}", RESPONSE_E_INVALID,
	  "content" },
	{ "{'type':'message','role':'assistant','content':{}}",
	  RESPONSE_E_INVALID, "content" },
	{ "{'type':'message','role':'assistant','content':['text']}",
	  RESPONSE_E_INVALID, "block 0" },
	{ "{'type':'message','role':'assistant','content':[{'text':'x'}]}",
	  RESPONSE_E_INVALID, "block 0" },
	{ "{'type':'message','role':'assistant','content':[{'type':1}]}",
	  RESPONSE_E_INVALID, "block 0" },
	{ "{'type':'message','role':'assistant','content':[{'type':'text',"
	  "'text':'a'},{'type':'text'}]}",
	  RESPONSE_E_INVALID, "block 1" },
	{ "{'type':'message','role':'assistant','content':[{'type':'text',"
	  "'text':null}]}",
	  RESPONSE_E_INVALID, "text" },
	{ "{'type':'message','role':'assistant','content':[{'type':"
	  "'tool_use','id':'a b','name':'n','input':{}}]}",
	  RESPONSE_E_INVALID, "id" },
	{ "{'type':'message','role':'assistant','content':[{'type':"
	  "'tool_use','id':'','name':'n','input':{}}]}",
	  RESPONSE_E_INVALID, "id" },
	{ "{'type':'message','role':'assistant','content':[{'type':"
	  "'tool_use','id':'t\\n','name':'n','input':{}}]}",
	  RESPONSE_E_INVALID, "id" },
	{ "{'type':'message','role':'assistant','content':[{'type':"
	  "'tool_use','name':'n','input':{}}]}",
	  RESPONSE_E_INVALID, "id" },
	{ "{'type':'message','role':'assistant','content':[{'type':"
	  "'tool_use','id':'t','input':{}}]}",
	  RESPONSE_E_INVALID, "name" },
	{ "{'type':'message','role':'assistant','content':[{'type':"
	  "'tool_use','id':'t','name':'a/b','input':{}}]}",
	  RESPONSE_E_INVALID, "name" },
	{ "{'type':'message','role':'assistant','content':[{'type':"
	  "'tool_use','id':'t','name':'n','input':[]}]}",
	  RESPONSE_E_INVALID, "input" },
	{ "{'type':'message','role':'assistant','content':[{'type':"
	  "'tool_use','id':'t','name':'n'}]}",
	  RESPONSE_E_INVALID, "input" },
	{ "{'type':'message','role':'assistant','content':[{'type':"
	  "'tool_use','id':'t','name':'n','input':{}},{'type':'tool_use',"
	  "'id':'u','name':'n','input':{}},{'type':'tool_use','id':'t',"
	  "'name':'m','input':{}}]}",
	  RESPONSE_E_INVALID, "share" },
	{ "{'type':'message','role':'assistant','content':[{'type':"
	  "'thinking','thinking':'x'}]}",
	  RESPONSE_E_INVALID, "signature" },
	{ "{'type':'message','role':'assistant','content':[{'type':"
	  "'thinking','signature':'x'}]}",
	  RESPONSE_E_INVALID, "thinking" },
	{ "{'type':'message','role':'assistant','content':[{'type':"
	  "'redacted_thinking'}]}",
	  RESPONSE_E_INVALID, "data" },
	{ "{'type':'message','role':'assistant','content':[],"
	  "'usage':{'input_tokens':-1}}",
	  RESPONSE_E_INVALID, "input_tokens" },
	{ "{'type':'message','role':'assistant','content':[],"
	  "'usage':{'output_tokens':1.5}}",
	  RESPONSE_E_INVALID, "output_tokens" },
	{ "{'type':'message','role':'assistant','content':[],"
	  "'usage':{'cache_read_input_tokens':'3'}}",
	  RESPONSE_E_INVALID, "cache_read" },
	{ "{'type':'message','role':'assistant','content':[],"
	  "'usage':{'cache_creation_input_tokens':true}}",
	  RESPONSE_E_INVALID, "cache_creation" },
	{ "{'type':'message','role':'assistant','content':[],'usage':[]}",
	  RESPONSE_E_INVALID, "usage" },
	{ "{'type':'message','role':'assistant','content':[],'id':7}",
	  RESPONSE_E_INVALID, "id" },
	{ "{'type':'message','role':'assistant','content':[],'model':[]}",
	  RESPONSE_E_INVALID, "model" },
	{ "{'type':'message','role':'assistant','content':[],"
	  "'stop_reason':false}",
	  RESPONSE_E_INVALID, "stop_reason" },
	{ "[]", RESPONSE_E_INVALID, "object" },
	{ "{'type':'message','role':'assistant','content':[]", RESPONSE_E_JSON,
	  "JSON" },
	{ "{'type':'message','role':'assistant','content':[]} x",
	  RESPONSE_E_JSON, "JSON" },
	{ "{'type':'message','type':'message','role':'assistant',"
	  "'content':[]}",
	  RESPONSE_E_JSON, "JSON" },
	/* a name holding a NUL never compares equal up to the NUL */
	{ "{'type':'message\\u0000x','role':'assistant','content':[]}",
	  RESPONSE_E_INVALID, "type" },
	{ "{'type':'message','role':'assistant\\u0000','content':[]}",
	  RESPONSE_E_INVALID, "role" },
	{ "{'type':'message','role':'assistant','content':[{'type':"
	  "'tool_use\\u0000','id':'t','name':'n','input':{}}]}",
	  RESPONSE_E_INVALID, "string type" },
	{ "{'type':'message','role':'assistant','content':[],"
	  "'stop_reason':'end_turn\\u0000x'}",
	  RESPONSE_E_INVALID, "stop_reason" },
	{ "{'type':'message','role':'assistant','content':[{'type':"
	  "'tool_use','id':'t\\u0000','name':'n','input':{}}]}",
	  RESPONSE_E_INVALID, "id" },
	{ "", RESPONSE_E_JSON, "JSON" },
	{ "{'type':'message','role':'assistant','content':[],"
	  "'usage':{'input_tokens':99999999999999999999999}}",
	  RESPONSE_E_JSON, "JSON" },
};

/* "\u0000" is valid JSON: a text and a tool input holding one are kept
 * whole (the tool check refuses the input later, with an error the agent
 * sees); it is not a broken body. */
Test(response, nul_characters_are_kept)
{
	struct response r;
	char err[256] = "";
	json_t *v;

	cr_assert_eq(parse_q("{'type':'message','role':'assistant','content':"
			     "[{'type':'text','text':'a\\u0000b'},"
			     "{'type':'tool_use','id':'t1','name':'Write',"
			     "'input':{'p':'x\\u0000y'}}]}",
			     &r, err, sizeof(err)),
		     0, "%s", err);
	v = json_object_get(json_array_get(r.content, 0), "text");
	cr_assert_eq(json_string_length(v), 3);
	cr_assert_eq(memcmp(json_string_value(v), "a\0b", 3), 0);
	cr_assert_eq(r.n_tool_use, 1);
	v = json_object_get(json_array_get(r.content, 1), "input");
	cr_assert_eq(json_object_size(v), 1);
	response_clear(&r);
}

Test(response, invalid_messages)
{
	size_t i;

	for (i = 0; i < sizeof(bad_messages) / sizeof(*bad_messages); i++) {
		const struct bad_case *c = &bad_messages[i];
		struct response r;
		char err[256] = "";

		cr_assert_eq(parse_q(c->body, &r, err, sizeof(err)), c->rc,
			     "case %zu: %s", i, err);
		cr_assert_not_null(strstr(err, c->in_err),
				   "case %zu: error '%s' lacks '%s'", i, err,
				   c->in_err);
		expect_zeroed(&r);
	}
}

Test(response, long_strings_refused)
{
	char body[1024], big[RESPONSE_STR_MAX + 2];
	struct response r;
	char err[256];

	memset(big, 'm', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	snprintf(body, sizeof(body),
		 "{'type':'message','role':'assistant',"
		 "'content':[],'model':'%s'}",
		 big);
	cr_assert_eq(parse_q(body, &r, err, sizeof(err)), RESPONSE_E_INVALID);
	cr_assert_not_null(strstr(err, "model"));
	big[sizeof(big) - 2] = '\0'; /* exactly RESPONSE_STR_MAX */
	snprintf(body, sizeof(body),
		 "{'type':'message','role':'assistant',"
		 "'content':[],'model':'%s'}",
		 big);
	cr_assert_eq(parse_q(body, &r, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(strlen(r.model), RESPONSE_STR_MAX);
	response_clear(&r);
}

Test(response, invalid_utf8_refused)
{
	const char body[] = "{\"type\":\"message\",\"role\":\"assistant\","
			    "\"content\":[{\"type\":\"text\","
			    "\"text\":\"\xff\"}]}";
	struct response r;
	char err[128];

	cr_assert_eq(response_parse(body, sizeof(body) - 1, &r, err,
				    sizeof(err)),
		     RESPONSE_E_JSON);
	expect_zeroed(&r);
}

Test(response, body_not_nul_terminated)
{
	const char *body = "{\"type\":\"message\",\"role\":\"assistant\","
			   "\"content\":[]}GARBAGE";
	size_t len = strlen(body) - strlen("GARBAGE");
	char *copy = malloc(len);
	struct response r;

	cr_assert_not_null(copy);
	/* NOLINTNEXTLINE(bugprone-not-null-terminated-result): no NUL */
	memcpy(copy, body, len); /* exactly len bytes, no NUL after */
	cr_assert_eq(response_parse(copy, len, &r, NULL, 0), 0);
	response_clear(&r);
	free(copy);
}

Test(response, too_many_blocks)
{
	size_t n = RESPONSE_MAX_BLOCKS + 1, i;
	const char *blk = "{\"type\":\"text\",\"text\":\"\"},";
	char *body = malloc(64 + n * strlen(blk));
	struct response r;
	char err[128];
	char *p;

	cr_assert_not_null(body);
	p = stpcpy(body, "{\"type\":\"message\",\"role\":\"assistant\","
			 "\"content\":[");
	for (i = 0; i < n; i++)
		p = stpcpy(p, blk);
	strcpy(p - 1, "]}");
	cr_assert_eq(response_parse(body, strlen(body), &r, err, sizeof(err)),
		     RESPONSE_E_TOO_LARGE);
	expect_zeroed(&r);
	free(body);
}

Test(response, body_too_large)
{
	size_t len = (size_t)RESPONSE_MAX_BODY + 1;
	char *body = malloc(len);
	struct response r;
	char *type, *msg;
	char err[128];

	cr_assert_not_null(body);
	memset(body, ' ', len);
	cr_assert_eq(response_parse(body, len, &r, err, sizeof(err)),
		     RESPONSE_E_TOO_LARGE);
	cr_assert_not_null(strstr(err, "larger"));
	expect_zeroed(&r);
	cr_assert_eq(response_parse_error(body, len, &type, &msg),
		     RESPONSE_E_TOO_LARGE);
	cr_assert_null(type);
	cr_assert_null(msg);
	free(body);
}

Test(response, from_json_steals_nothing)
{
	char *body = q("{'type':'message','role':'assistant','content':"
		       "[{'type':'text','text':'hi'}],'id':'m'}");
	json_t *msg = json_loads(body, 0, NULL);
	struct response r;
	char err[64];

	cr_assert_not_null(msg);
	cr_assert_eq(response_from_json(msg, &r, err, sizeof(err)), 0);
	cr_assert_eq(r.content, json_object_get(msg, "content"));
	cr_assert_eq(r.content->refcount, 2);
	json_decref(msg);
	/* Still ours after the caller dropped the message. */
	cr_assert_str_eq(json_string_value(
				 json_object_get(json_array_get(r.content, 0),
						 "text")),
			 "hi");
	cr_assert_str_eq(r.id, "m");
	response_clear(&r);
	free(body);

	cr_assert_eq(response_from_json(NULL, &r, err, sizeof(err)),
		     RESPONSE_E_INVALID);
	expect_zeroed(&r);
}

Test(response, error_text_bounded)
{
	struct response r;
	char err[8];

	cr_assert_eq(parse_q("{'type':'message','role':'user','content':[]}",
			     &r, err, sizeof(err)),
		     RESPONSE_E_INVALID);
	cr_assert_lt(strlen(err), sizeof(err));
	cr_assert_eq(parse_q("{'type':'message','role':'user','content':[]}",
			     &r, NULL, 0),
		     RESPONSE_E_INVALID);
}

/* ------------------------------------------------------------------ */
/* Error bodies                                                         */

static int
parse_err_q(const char *sq, char **type, char **message)
{
	char *body = q(sq);
	int rc = response_parse_error(body, strlen(body), type, message);

	free(body);
	return rc;
}

Test(response, error_body)
{
	char *type, *message;

	cr_assert_eq(parse_err_q("{'type':'error','error':{'type':"
				 "'overloaded_error','message':'Overloaded'},"
				 "'request_id':'req_011'}",
				 &type, &message),
		     0);
	cr_assert_str_eq(type, "overloaded_error");
	cr_assert_str_eq(message, "Overloaded");
	free(type);
	free(message);

	cr_assert_eq(parse_err_q("{'type':'error','error':{'type':"
				 "'invalid_request_error','message':''}}",
				 &type, &message),
		     0);
	cr_assert_str_eq(type, "invalid_request_error");
	cr_assert_str_eq(message, "");
	free(type);
	free(message);
}

Test(response, error_body_bad_shapes)
{
	const char *bad[] = {
		"{'error':{'type':'x','message':'y'}}",
		"{'type':'message','error':{'type':'x','message':'y'}}",
		"{'type':'error'}",
		"{'type':'error','error':'boom'}",
		"{'type':'error','error':{'message':'y'}}",
		"{'type':'error','error':{'type':'x'}}",
		"{'type':'error','error':{'type':3,'message':'y'}}",
		"{'type':'error','error':{'type':'x','message':null}}",
		"{'type':'error','error':{'type':'','message':'y'}}",
		"{'type':'error','error':{'type':'a b','message':'y'}}",
		"{'type':'error','error':{'type':'a\\u001b','message':'y'}}",
		"{'type':'error','error':{'type':'x','message':'y'},'type':1}",
		"<html>502 Bad Gateway</html>",
		"",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		char *type = (char *)1, *message = (char *)1;

		cr_assert_lt(parse_err_q(bad[i], &type, &message), 0,
			     "case %zu", i);
		cr_assert_null(type, "case %zu", i);
		cr_assert_null(message, "case %zu", i);
	}
}
