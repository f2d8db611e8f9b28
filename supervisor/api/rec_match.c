/*
 * rec_match.c - request deltas and the replay comparison. See
 * rec_match.h.
 */
#include "supervisor/api/rec_match.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

void
rec_req_clear(struct rec_req *r)
{
	json_decref(r->params);
	json_decref(r->messages);
	r->params = NULL;
	r->messages = NULL;
}

/* The body without its messages (a new object), or NULL. */
static json_t *
params_of(const json_t *body)
{
	json_t *p = json_deep_copy(body);

	if (p)
		json_object_del(p, "messages");
	return p;
}

json_t *
rec_match_delta(struct rec_req *prev, const json_t *body)
{
	json_t *msgs = json_object_get(body, "messages");
	json_t *params, *delta, *tail;
	size_t keep = 0, n;

	if (!json_is_object(body) || !json_is_array(msgs))
		return NULL;
	params = params_of(body);
	delta = json_object();
	tail = json_array();
	if (!params || !delta || !tail)
		goto fail;
	n = json_array_size(msgs);
	if (prev->messages)
		while (keep < n && keep < json_array_size(prev->messages) &&
		       json_equal(json_array_get(msgs, keep),
				  json_array_get(prev->messages, keep)))
			keep++;
	for (size_t i = keep; i < n; i++)
		if (json_array_append(tail, json_array_get(msgs, i)) < 0)
			goto fail;
	if (!prev->params || !json_equal(params, prev->params))
		json_object_set(delta, "params", params);
	if (json_object_set_new(delta, "keep", json_integer((json_int_t)keep)) <
		    0 ||
	    json_object_set(delta, "messages", tail) < 0)
		goto fail;
	rec_req_clear(prev);
	prev->params = params;
	prev->messages = json_deep_copy(msgs);
	json_decref(tail);
	if (!prev->messages) {
		json_decref(delta);
		return NULL;
	}
	return delta;
fail:
	json_decref(params);
	json_decref(delta);
	json_decref(tail);
	return NULL;
}

int
rec_match_apply(struct rec_req *prev, const json_t *delta, char *err,
		size_t errlen)
{
	const json_t *params = json_object_get(delta, "params");
	const json_t *keep = json_object_get(delta, "keep");
	const json_t *tail = json_object_get(delta, "messages");
	size_t have = prev->messages ? json_array_size(prev->messages) : 0;
	json_t *msgs, *m;
	size_t i;

	if (!json_is_object(delta) || !json_is_integer(keep) ||
	    json_integer_value(keep) < 0 ||
	    (size_t)json_integer_value(keep) > have || !json_is_array(tail) ||
	    (params && !json_is_object(params)) || (!params && !prev->params)) {
		snprintf(err, errlen,
			 "\"request\" is not a delta of the previous "
			 "request (needs \"params\" the first time, \"keep\" "
			 "at most %zu, \"messages\" an array)",
			 have);
		return -1;
	}
	json_array_foreach(tail, i, m) {
		if (!json_is_object(m)) {
			snprintf(err, errlen,
				 "\"request\".\"messages\"[%zu] is not an "
				 "object",
				 i);
			return -1;
		}
	}
	msgs = json_array();
	if (!msgs)
		goto nomem;
	for (i = 0; i < (size_t)json_integer_value(keep); i++)
		json_array_append(msgs, json_array_get(prev->messages, i));
	if (json_array_extend(msgs, (json_t *)tail) < 0) {
		json_decref(msgs);
		goto nomem;
	}
	if (params) {
		json_decref(prev->params);
		prev->params = json_deep_copy(params);
	}
	json_decref(prev->messages);
	prev->messages = msgs;
	if (!prev->params)
		goto nomem;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	return -1;
}

/* The first parameter (body key but "messages") that differs, or NULL. */
static const char *
param_differs(const json_t *rec, const json_t *body)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)body, k, v) {
		if (strcmp(k, "messages") != 0 &&
		    !json_equal(v, json_object_get(rec, k)))
			return k;
	}
	json_object_foreach((json_t *)rec, k, v) {
		if (!json_object_get(body, k))
			return k;
	}
	return NULL;
}

static const char *
str_or(const json_t *v, const char *dflt)
{
	const char *s = json_string_value(v);

	return s ? s : dflt;
}

/* Equal but for the fields the environment decides. */
static bool
tool_result_frame_equal(const json_t *a, const json_t *b)
{
	json_t *x = json_copy((json_t *)a), *y = json_copy((json_t *)b);
	bool eq;

	if (!x || !y) {
		json_decref(x);
		json_decref(y);
		return false;
	}
	json_object_del(x, "content");
	json_object_del(x, "is_error");
	json_object_del(y, "content");
	json_object_del(y, "is_error");
	eq = json_equal(x, y);
	json_decref(x);
	json_decref(y);
	return eq;
}

/* A tool_result whose content or is_error differs: a difference, once. */
static void
note_difference(size_t mi, const json_t *a, const json_t *b, json_t *seen,
		json_t *diffs)
{
	const char *id = str_or(json_object_get(a, "tool_use_id"), "");
	const char *field = NULL;

	if (!json_equal(json_object_get(a, "content"),
			json_object_get(b, "content")))
		field = "content";
	else if (!json_equal(json_object_get(a, "is_error"),
			     json_object_get(b, "is_error")))
		field = "is_error";
	if (!field || json_object_get(seen, id))
		return;
	json_object_set_new(seen, id, json_true());
	json_array_append_new(diffs, json_pack("{s:I,s:s,s:s}", "message",
					       (json_int_t)mi, "tool_use_id",
					       id, "field", field));
}

/* Message mi: blocks compared; -1 with err on a miss. */
static int
compare_message(size_t mi, const json_t *rm, const json_t *bm, json_t *seen,
		json_t *diffs, char *err, size_t errlen)
{
	const char *role = str_or(json_object_get(bm, "role"), "?");
	const json_t *rc = json_object_get(rm, "content");
	const json_t *bc = json_object_get(bm, "content");
	size_t nb;

	if (!json_equal(json_object_get(rm, "role"),
			json_object_get(bm, "role")) ||
	    !json_is_array(rc) || !json_is_array(bc) ||
	    json_array_size(rc) != json_array_size(bc)) {
		if (json_equal(rm, bm))
			return 0; /* string content, equal */
		snprintf(err, errlen, "message %zu (%s) differs", mi, role);
		return -1;
	}
	nb = json_array_size(bc);
	for (size_t j = 0; j < nb; j++) {
		const json_t *a = json_array_get(bc, j);
		const json_t *b = json_array_get(rc, j);
		const char *type = str_or(json_object_get(a, "type"), "?");

		if (json_equal(a, b))
			continue;
		if (strcmp(type, "tool_result") == 0 &&
		    json_equal(json_object_get(a, "type"),
			       json_object_get(b, "type")) &&
		    tool_result_frame_equal(a, b)) {
			note_difference(mi, a, b, seen, diffs);
			continue;
		}
		snprintf(err, errlen,
			 "message %zu (%s), block %zu (%s) differs", mi, role,
			 j, type);
		return -1;
	}
	return 0;
}

int
rec_match_compare(const struct rec_req *rec, const json_t *body, json_t *seen,
		  json_t *diffs, char *err, size_t errlen)
{
	const json_t *bm = json_object_get(body, "messages");
	const char *p;
	size_t n;

	p = param_differs(rec->params, body);
	if (p) {
		snprintf(err, errlen, "the request's \"%s\" differs", p);
		return -1;
	}
	n = json_array_size(bm);
	if (!json_is_array(bm) || n != json_array_size(rec->messages)) {
		snprintf(err, errlen,
			 "the conversation has %zu messages, the recording "
			 "%zu",
			 n, json_array_size(rec->messages));
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (compare_message(i, json_array_get(rec->messages, i),
				    json_array_get(bm, i), seen, diffs, err,
				    errlen) < 0)
			return -1;
	return 0;
}
