/*
 * test_recording.c - unit tests of the recording (recording.h), its
 * lines (rec_line.h) and request matching (rec_match.h).
 *
 * Design note
 * -----------
 * rec_match is pure: deltas are checked by rebuilding every request of a
 * conversation whose cache breakpoint moves each turn, and the comparison
 * by changing one thing at a time (a parameter, an assistant block, a
 * tool_use_id, a tool result's content). rec_line is checked by a round
 * trip (text and hex bodies, header filtering) and by hostile lines read
 * from a memory stream. The directory is checked end to end in a temp
 * dir: record a call, replay it, miss it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "supervisor/api/rec_line.h"
#include "supervisor/api/rec_match.h"
#include "supervisor/api/recording.h"

/* ---- rec_match ------------------------------------------------------- */

/* A request of turn t: t user/assistant pairs, the newest marked. */
static json_t *
body_at(int t, const char *result_text)
{
	json_t *msgs = json_array();
	json_t *b;

	json_array_append_new(msgs, json_pack("{s:s,s:s}", "role", "user",
					      "content", "do it"));
	for (int i = 0; i < t; i++) {
		char id[32];

		snprintf(id, sizeof(id), "toolu_%d", i);
		json_array_append_new(msgs,
				      json_pack("{s:s,s:[{s:s,s:s,s:s,s:{}}]}",
						"role", "assistant", "content",
						"type", "tool_use", "id", id,
						"name", "Bash", "input"));
		json_array_append_new(msgs, json_pack("{s:s,s:[{s:s,s:s,s:s}]}",
						      "role", "user", "content",
						      "type", "tool_result",
						      "tool_use_id", id,
						      "content", result_text));
	}
	/* the rolling breakpoint: on the newest message only */
	json_object_set_new(json_array_get(msgs, json_array_size(msgs) - 1),
			    "cache_control",
			    json_pack("{s:s}", "type", "ephemeral"));
	b = json_pack("{s:s,s:s,s:i,s:o}", "model", "m", "system", "sys",
		      "max_tokens", 100, "messages", msgs);
	return b;
}

Test(rec_match, deltas_rebuild_every_request)
{
	struct rec_req rec = { 0 }, play = { 0 };
	char err[256];

	for (int t = 0; t < 5; t++) {
		json_t *b = body_at(t, "ok");
		json_t *d = rec_match_delta(&rec, b);
		json_t *seen = json_object(), *diffs = json_array();

		cr_assert_not_null(d);
		/* parameters only the first time, the prefix kept after */
		cr_assert_eq(json_object_get(d, "params") != NULL, t == 0);
		if (t > 0)
			cr_assert_eq(json_integer_value(
					     json_object_get(d, "keep")),
				     2 * t - 2);
		cr_assert_eq(rec_match_apply(&play, d, err, sizeof(err)), 0,
			     "%s", err);
		cr_assert_eq(rec_match_compare(&play, b, seen, diffs, err,
					       sizeof(err)),
			     0, "turn %d: %s", t, err);
		cr_assert_eq(json_array_size(diffs), 0);
		json_decref(d);
		json_decref(b);
		json_decref(seen);
		json_decref(diffs);
	}
	rec_req_clear(&rec);
	rec_req_clear(&play);
}

/* play holds body_at(t, "ok"); compare other against it. */
static int
compare_with(int t, json_t *other, json_t *seen, json_t *diffs, char *err,
	     size_t errlen)
{
	struct rec_req rec = { 0 }, play = { 0 };
	json_t *b = body_at(t, "ok");
	json_t *d = rec_match_delta(&rec, b);
	int rc;

	cr_assert_eq(rec_match_apply(&play, d, err, errlen), 0);
	rc = rec_match_compare(&play, other, seen, diffs, err, errlen);
	json_decref(d);
	json_decref(b);
	rec_req_clear(&rec);
	rec_req_clear(&play);
	return rc;
}

Test(rec_match, tool_output_differs_once_per_tool_use_id)
{
	json_t *seen = json_object(), *diffs = json_array();
	json_t *other = body_at(2, "Ran 1 test in 0.002s");
	char err[256];

	cr_assert_eq(compare_with(2, other, seen, diffs, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(json_array_size(diffs), 2);
	cr_assert_str_eq(json_string_value(
				 json_object_get(json_array_get(diffs, 0),
						 "tool_use_id")),
			 "toolu_0");
	cr_assert_str_eq(json_string_value(
				 json_object_get(json_array_get(diffs, 0),
						 "field")),
			 "content");
	/* the next turn carries the same results: not reported again */
	json_array_clear(diffs);
	cr_assert_eq(compare_with(2, other, seen, diffs, err, sizeof(err)), 0);
	cr_assert_eq(json_array_size(diffs), 0);
	json_decref(other);
	json_decref(seen);
	json_decref(diffs);
}

Test(rec_match, is_error_differs_is_a_difference)
{
	json_t *seen = json_object(), *diffs = json_array();
	json_t *other = body_at(1, "ok");
	json_t *blk = json_array_get(
		json_object_get(
			json_array_get(json_object_get(other, "messages"), 2),
			"content"),
		0);
	char err[256];

	json_object_set_new(blk, "is_error", json_true());
	cr_assert_eq(compare_with(1, other, seen, diffs, err, sizeof(err)), 0);
	cr_assert_eq(json_array_size(diffs), 1);
	cr_assert_str_eq(json_string_value(
				 json_object_get(json_array_get(diffs, 0),
						 "field")),
			 "is_error");
	json_decref(other);
	json_decref(seen);
	json_decref(diffs);
}

/* What the runner decides: each change a miss that names it. */
Test(rec_match, runner_decided_parts_must_match)
{
	static const char *const changes[] = {
		"system",    "model",       "max_tokens", "tools",
		"assistant", "tool_use_id", "count",      "user_text",
	};

	for (size_t i = 0; i < sizeof(changes) / sizeof(*changes); i++) {
		json_t *seen = json_object(), *diffs = json_array();
		json_t *o = body_at(2, "ok");
		json_t *msgs = json_object_get(o, "messages");
		const char *c = changes[i];
		char err[256] = "";
		const char *want = c;

		if (strcmp(c, "system") == 0)
			json_object_set_new(o, "system", json_string("other"));
		else if (strcmp(c, "model") == 0)
			json_object_set_new(o, "model", json_string("m2"));
		else if (strcmp(c, "max_tokens") == 0)
			json_object_del(o, "max_tokens");
		else if (strcmp(c, "tools") == 0)
			json_object_set_new(o, "tools", json_array());
		else if (strcmp(c, "assistant") == 0) {
			json_object_set_new(
				json_array_get(
					json_object_get(json_array_get(msgs, 1),
							"content"),
					0),
				"name", json_string("Read"));
			want = "message 1 (assistant), block 0 (tool_use)";
		} else if (strcmp(c, "tool_use_id") == 0) {
			json_object_set_new(
				json_array_get(
					json_object_get(json_array_get(msgs, 2),
							"content"),
					0),
				"tool_use_id", json_string("toolu_x"));
			want = "message 2 (user), block 0 (tool_result)";
		} else if (strcmp(c, "count") == 0) {
			json_array_remove(msgs, json_array_size(msgs) - 1);
			want = "the conversation has 4 messages, the "
			       "recording 5";
		} else {
			json_array_set_new(msgs, 0,
					   json_pack("{s:s,s:s}", "role",
						     "user", "content",
						     "do something else"));
			want = "message 0 (user) differs";
		}
		cr_assert_eq(compare_with(2, o, seen, diffs, err, sizeof(err)),
			     -1, "%s: not a miss", c);
		cr_assert(strstr(err, want), "%s: %s", c, err);
		cr_assert_eq(json_array_size(diffs), 0);
		json_decref(o);
		json_decref(seen);
		json_decref(diffs);
	}
}

Test(rec_match, hostile_deltas_are_refused)
{
	static const char *const bad[] = {
		"{\"keep\": 0, \"messages\": []}", /* no params at first */
		"{\"params\": {}, \"keep\": 1, \"messages\": []}",
		"{\"params\": {}, \"keep\": -1, \"messages\": []}",
		"{\"params\": [], \"keep\": 0, \"messages\": []}",
		"{\"params\": {}, \"keep\": 0, \"messages\": {}}",
		"{\"params\": {}, \"keep\": 0, \"messages\": [1]}",
		"{\"params\": {}, \"keep\": \"0\", \"messages\": []}",
		"[]",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct rec_req play = { 0 };
		json_t *d = json_loads(bad[i], 0, NULL);
		char err[256] = "";

		cr_assert_not_null(d, "%s", bad[i]);
		cr_assert_eq(rec_match_apply(&play, d, err, sizeof(err)), -1,
			     "%s", bad[i]);
		cr_assert(err[0]);
		json_decref(d);
		rec_req_clear(&play);
	}
}

/* ---- rec_line ------------------------------------------------------- */

static const struct rec_line_key key1 = { "Hello \"W\"", 1,        2,
					  "Build",       "Amelia", 3 };

static FILE *
mem(const char *text)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");

	cr_assert_not_null(f);
	return f;
}

Test(rec_line, round_trip_text_and_hex_bodies)
{
	struct rec_attempt in[2] = { 0 }, *out = NULL;
	char *hdrs[] = { "request-id: req_1", "retry-after: 2" };
	static const char bin[] = "ab\0\xff\xfe"
				  "cd";
	json_t *delta = json_pack("{s:i,s:[]}", "keep", 0, "messages");
	json_t *got = NULL;
	size_t n = 0;
	char err[256];
	char *line;
	FILE *f;

	in[0] = (struct rec_attempt){ .status = 529,
				      .headers = hdrs,
				      .n_headers = 2,
				      .body = "{\"e\":1}",
				      .body_len = 7,
				      .delay_ms = 1500 };
	in[1] = (struct rec_attempt){ .status = 200,
				      .transport = 18,
				      .body = (char *)bin,
				      .body_len = sizeof(bin) - 1 };
	line = rec_line_encode(&key1, delta, in, 2, "ok");
	cr_assert_not_null(line);
	cr_assert(strstr(line, "\"body_hex\":\"616200fffe6364\""), "%s", line);
	f = mem(line);
	cr_assert_eq(rec_line_read(f, &key1, &got, &out, &n, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(n, 2);
	cr_assert(json_equal(got, delta));
	cr_assert_eq(out[0].status, 529);
	cr_assert_eq(out[0].n_headers, 2);
	cr_assert_str_eq(out[0].headers[1], "retry-after: 2");
	cr_assert_eq(out[0].delay_ms, 1500);
	cr_assert_eq(out[0].body_len, 7);
	cr_assert_eq(out[1].transport, 18);
	cr_assert_eq(out[1].body_len, sizeof(bin) - 1);
	cr_assert_eq(memcmp(out[1].body, bin, sizeof(bin) - 1), 0);
	for (size_t i = 0; i < 2; i++)
		rec_line_attempt_clear(&out[i]);
	free(out);
	json_decref(got);
	cr_assert_eq(rec_line_read(f, &key1, &got, &out, &n, err, sizeof(err)),
		     REC_LINE_EOF);
	cr_assert_null(out);
	fclose(f);
	free(line);
	json_decref(got);
	json_decref(delta);
}

Test(rec_line, only_the_headers_that_matter_are_kept)
{
	static const char *const kept[] = {
		"request-id: x",
		"Retry-After: 1",
		"retry-after-ms: 5",
		"x-should-retry: true",
		"anthropic-ratelimit-requests-remaining: 3",
		"content-type: text/event-stream",
	};
	static const char *const dropped[] = {
		"x-api-key: sk-ant-secret",
		"authorization: Bearer x",
		"set-cookie: a=b",
		"anthropic-organization-id: org",
		"cf-ray: 1",
		"request-idx: 1",
	};

	for (size_t i = 0; i < sizeof(kept) / sizeof(*kept); i++)
		cr_assert(rec_line_header_kept(kept[i], strlen(kept[i])), "%s",
			  kept[i]);
	for (size_t i = 0; i < sizeof(dropped) / sizeof(*dropped); i++)
		cr_assert(!rec_line_header_kept(dropped[i], strlen(dropped[i])),
			  "%s", dropped[i]);
}

#define KEYS \
	"\"unit\":\"Hello \\\"W\\\"\",\"repeat\":1,\"phase_index\":2," \
	"\"phase\":\"Build\",\"agent\":\"Amelia\",\"turn\":3," \
	"\"outcome\":\"ok\",\"request\":{\"keep\":0,\"messages\":[]}"
#define ATT(x) ",\"attempts\":[{" x "}]}\n"
#define GOOD_ATT "\"status\":200,\"transport\":0,\"delay_ms\":0,\"headers\":[]"

Test(rec_line, hostile_lines_name_the_problem)
{
	static const struct {
		const char *line, *want;
	} bad[] = {
		{ "not json\n", "not a JSON object" },
		{ "[1]\n", "not a JSON object" },
		{ "{" KEYS ATT(GOOD_ATT ",\"body\":\"x\""), NULL }, /* good */
		/* the same line without its first byte: not JSON */
		{ KEYS ATT(GOOD_ATT ",\"body\":\"x\""), NULL },
		{ "{" KEYS ATT(GOOD_ATT), "\"attempts\"[0].\"body\"" },
		{ "{" KEYS ATT(GOOD_ATT ",\"body\":\"x\",\"body_hex\":\"00\""),
		  "\"body\"" },
		{ "{" KEYS ATT(GOOD_ATT ",\"body_hex\":\"0\""), "\"body\"" },
		{ "{" KEYS ATT(GOOD_ATT ",\"body_hex\":\"zz\""), "\"body\"" },
		{ "{" KEYS ATT("\"status\":\"200\",\"transport\":0,"
			       "\"delay_ms\":0,\"headers\":[],\"body\":\"\""),
		  "\"status\"" },
		{ "{" KEYS ATT("\"status\":200,\"transport\":-1,"
			       "\"delay_ms\":0,\"headers\":[],\"body\":\"\""),
		  "\"transport\"" },
		{ "{" KEYS ATT("\"status\":200,\"transport\":0,"
			       "\"delay_ms\":0,\"headers\":[\"x-api-key: "
			       "k\"],\"body\":\"\""),
		  "\"headers\"" },
		{ "{" KEYS ATT("\"status\":200,\"transport\":0,"
			       "\"delay_ms\":0,\"headers\":[\"request-id: "
			       "a\\r\\nset-cookie: b\"],\"body\":\"\""),
		  "\"headers\"" },
		{ "{" KEYS ATT(GOOD_ATT ",\"cut\":\"header_timeout\","
					"\"body\":\"\""),
		  NULL },
		{ "{" KEYS ATT(GOOD_ATT ",\"cut\":\"overflow\",\"body\":\"\""),
		  "\"cut\"" },
		{ "{" KEYS ATT(GOOD_ATT ",\"cut\":1,\"body\":\"\""),
		  "\"cut\"" },
		{ "{" KEYS ",\"attempts\":[]}\n", "\"attempts\" must be" },
		{ "{" KEYS ATT(GOOD_ATT ",\"body\":\"x\"") "", NULL },
		{ "{\"unit\":\"other\"}\n", "\"unit\" is not the one" },
		{ "{" KEYS ATT(GOOD_ATT ",\"body\":\"x\"") "x", NULL },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct rec_attempt *att = NULL;
		json_t *delta = NULL;
		size_t n = 0;
		char err[256] = "";
		FILE *f = mem(bad[i].line);
		int rc = rec_line_read(f, &key1, &delta, &att, &n, err,
				       sizeof(err));

		if (!bad[i].want) { /* the controls: good lines */
			if (bad[i].line[0] != '{') /* its first byte cut */
				cr_assert_eq(rc, -1, "%zu", i);
			else
				cr_assert_eq(rc, 0, "%zu: %s", i, err);
		} else {
			cr_assert_eq(rc, -1, "%zu: %s", i, bad[i].line);
			cr_assert(strstr(err, bad[i].want), "%zu: %s", i, err);
			cr_assert_null(att);
		}
		for (size_t k = 0; k < n; k++)
			rec_line_attempt_clear(&att[k]);
		free(att);
		json_decref(delta);
		fclose(f);
	}
}

Test(rec_line, a_wrong_turn_or_a_cut_line_is_refused)
{
	struct rec_line_key k = key1;
	const char *good = "{" KEYS ATT(GOOD_ATT ",\"body\":\"x\"");
	struct rec_attempt *att = NULL;
	json_t *delta = NULL;
	size_t n = 0;
	char err[256] = "", cut[512];
	FILE *f;

	k.turn = 4;
	f = mem(good);
	cr_assert_eq(rec_line_read(f, &k, &delta, &att, &n, err, sizeof(err)),
		     -1);
	cr_assert(strstr(err, "\"turn\""), "%s", err);
	fclose(f);
	snprintf(cut, sizeof(cut), "%.*s", (int)strlen(good) - 5, good);
	f = mem(cut);
	cr_assert_eq(rec_line_read(f, &key1, &delta, &att, &n, err,
				   sizeof(err)),
		     -1);
	cr_assert(strstr(err, "no newline"), "%s", err);
	fclose(f);
}

/* ---- the directory ---------------------------------------------------- */

static char tmp[64];

static void
mk_tmp(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/gao-rec-XXXXXX");
	cr_assert_not_null(mkdtemp(tmp));
}

static void
rm_tmp(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(recording, .init = mk_tmp, .fini = rm_tmp);

static const struct rec_key conv_key = { "bench", 0, 1, "Build Step",
					 "Amelia" };

/* Record one call of two attempts (a 529, then a body) into dir. */
static void
record_one(const char *dir, const char *body)
{
	char err[512] = "";
	struct rec *r = rec_open(dir, REC_RECORD, err, sizeof(err));
	struct rec_conv *c;
	struct rec_call *k;
	static const char hdr[] = "request-id: req_9\r\n";
	static const char key[] = "x-api-key: sk-ant-never\r\n";

	cr_assert_not_null(r, "%s", err);
	c = rec_conv_open(r, &conv_key);
	k = rec_call_begin(c, body, err, sizeof(err));
	cr_assert_not_null(k, "%s", err);
	cr_assert_eq(rec_call_turn(k), 1);
	cr_assert_eq(rec_attempt_begin(k), 0);
	rec_attempt_header(k, key, strlen(key));
	rec_attempt_header(k, hdr, strlen(hdr));
	cr_assert_eq(rec_attempt_body(k, "busy", 4), 0);
	rec_attempt_end(k, 529, 0, false, REC_CUT_HEADER_TIMEOUT);
	rec_attempt_delay(k, 700);
	cr_assert_eq(rec_attempt_begin(k), 0);
	cr_assert_eq(rec_attempt_body(k, "{\"a\":", 5), 0);
	cr_assert_eq(rec_attempt_body(k, "1}", 2), 0);
	rec_attempt_end(k, 200, 0, false, REC_CUT_NONE);
	cr_assert_eq(rec_call_end(k, "ok", err, sizeof(err)), 0, "%s", err);
	rec_conv_close(c);
	cr_assert_eq(rec_calls(r), 1);
	cr_assert_eq(rec_close(r, true, err, sizeof(err)), 0, "%s", err);
}

Test(recording, a_recorded_call_replays_and_a_changed_one_misses)
{
	static const char body[] =
		"{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
		"\"content\":\"hi\"}]}";
	char dir[128], err[1024] = "", cmd[300];
	const struct rec_attempt *a;
	struct rec *r;
	struct rec_conv *c;
	struct rec_call *k;
	struct stat st;

	snprintf(dir, sizeof(dir), "%s/rec", tmp);
	record_one(dir, body);
	cr_assert_eq(stat(dir, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0700);
	/* the key header was never kept */
	snprintf(cmd, sizeof(cmd), "grep -rq sk-ant-never '%s'", dir);
	cr_assert_neq(system(cmd), 0);

	r = rec_open(dir, REC_REPLAY, err, sizeof(err));
	cr_assert_not_null(r, "%s", err);
	c = rec_conv_open(r, &conv_key);
	k = rec_call_begin(c, body, err, sizeof(err));
	cr_assert_not_null(k, "%s", err);
	cr_assert_eq(rec_call_n_attempts(k), 2);
	a = rec_call_attempt(k, 0);
	cr_assert_eq(a->status, 529);
	cr_assert_eq(a->delay_ms, 700);
	cr_assert_eq(a->n_headers, 1);
	cr_assert_str_eq(a->headers[0], "request-id: req_9");
	cr_assert_eq(a->cut, REC_CUT_HEADER_TIMEOUT);
	a = rec_call_attempt(k, 1);
	cr_assert_str_eq(a->body, "{\"a\":1}");
	cr_assert_eq(a->cut, REC_CUT_NONE);
	cr_assert_null(rec_call_attempt(k, 2));
	cr_assert_eq(rec_call_end(k, "ok", err, sizeof(err)), 0);
	/* a second call: the recording has none */
	cr_assert_null(rec_call_begin(c, body, err, sizeof(err)));
	cr_assert(strstr(err, "ends after turn 1"), "%s", err);
	rec_conv_close(c);

	/* the same conversation asked differently: a miss that says what */
	c = rec_conv_open(r, &conv_key);
	cr_assert_null(rec_call_begin(
		c,
		"{\"model\":\"m2\",\"messages\":[{\"role\":\"user\","
		"\"content\":\"hi\"}]}",
		err, sizeof(err)));
	cr_assert(strstr(err, "\"model\" differs"), "%s", err);
	/* and stays missed */
	cr_assert_null(rec_call_begin(c, body, err, sizeof(err)));
	rec_conv_close(c);

	/* another conversation: none recorded */
	c = rec_conv_open(r, &(struct rec_key){ "bench", 1, 1, "Build Step",
						"Amelia" });
	cr_assert_null(rec_call_begin(c, body, err, sizeof(err)));
	cr_assert(strstr(err, "no such conversation"), "%s", err);
	rec_conv_close(c);
	cr_assert_eq(rec_close(r, true, err, sizeof(err)), 0);
}

Test(recording, directories_that_cannot_serve_are_refused)
{
	char dir[128], path[160], err[1024] = "";
	FILE *f;

	/* record: a non-empty directory, a file */
	snprintf(dir, sizeof(dir), "%s/full", tmp);
	cr_assert_eq(mkdir(dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/keep.txt", dir);
	f = fopen(path, "we");
	fclose(f);
	cr_assert_null(rec_open(dir, REC_RECORD, err, sizeof(err)));
	cr_assert(strstr(err, "not empty"), "%s", err);
	cr_assert_eq(access(path, F_OK), 0);
	cr_assert_null(rec_open(path, REC_RECORD, err, sizeof(err)));
	cr_assert(strstr(err, "--record"), "%s", err);
	/* replay: no manifest, another format, not JSON */
	cr_assert_null(rec_open(dir, REC_REPLAY, err, sizeof(err)));
	cr_assert(strstr(err, "no recording.json"), "%s", err);
	snprintf(path, sizeof(path), "%s/recording.json", dir);
	f = fopen(path, "we");
	fputs("{\"format\": 2}", f);
	fclose(f);
	cr_assert_null(rec_open(dir, REC_REPLAY, err, sizeof(err)));
	cr_assert(strstr(err, "\"format\" must be 1"), "%s", err);
	f = fopen(path, "we");
	fputs("{\"format\": 1", f);
	fclose(f);
	cr_assert_null(rec_open(dir, REC_REPLAY, err, sizeof(err)));
	cr_assert(strstr(err, "not a JSON object"), "%s", err);
	snprintf(path, sizeof(path), "%s/none", tmp);
	cr_assert_null(rec_open(path, REC_REPLAY, err, sizeof(err)));
	cr_assert(strstr(err, "--replay"), "%s", err);
}

Test(recording, an_empty_directory_may_be_recorded_into)
{
	char dir[128], err[1024] = "";
	struct rec *r;

	snprintf(dir, sizeof(dir), "%s/empty", tmp);
	cr_assert_eq(mkdir(dir, 0755), 0);
	r = rec_open(dir, REC_RECORD, err, sizeof(err));
	cr_assert_not_null(r, "%s", err);
	cr_assert_eq(rec_close(r, false, err, sizeof(err)), 0);
	r = rec_open(dir, REC_REPLAY, err, sizeof(err));
	cr_assert_not_null(r, "%s", err);
	cr_assert_eq(rec_close(r, true, err, sizeof(err)), 0);
}
