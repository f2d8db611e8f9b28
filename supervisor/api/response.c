/*
 * response.c - decoding and validating a Messages API answer (response.h).
 *
 * Design note
 * -----------
 * Validation happens in full before anything is copied into the caller's
 * struct, so a refused message leaves nothing half-filled. Content blocks
 * are checked through one table, keyed by block type, of the fields each
 * type must carry; types not in the table (server tools, future types) are
 * kept unchecked beyond having a string "type", since the supervisor never
 * acts on them, only sends them back.
 *
 * tool_use ids are the one piece of content that travels on: into the next
 * request, the worker protocol and the audit log. They are held to
 * [A-Za-z0-9_-]{1,128} and must be unique within the message (tool results
 * are matched by id). Tool names are held to the API's own rule for tool
 * names, [A-Za-z0-9_-]{1,64}.
 */
#include "supervisor/api/response.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void response_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Write a message to err when the caller gave room for one. */
static void
response_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* True when s is 1..max bytes, all in [A-Za-z0-9_] (and '-' if dash). */
static bool
response_safe_name(const char *s, size_t len, size_t max, bool dash)
{
	size_t i;

	if (len == 0 || len > max)
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || (dash && c == '-')))
			return false;
	}
	return true;
}

/* obj[key] when it is a string without a NUL character, else NULL. */
static const char *
response_str(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);
	const char *s = json_string_value(v);

	return s && strlen(s) == json_string_length(v) ? s : NULL;
}

/* ------------------------------------------------------------------ */
/* Content blocks                                                       */

struct response_ctx {
	char *err;
	size_t errlen;
	const char **tool_ids; /* the tool_use ids seen, for duplicates */
	size_t n_tool_use;
};

typedef int (*response_block_fn)(struct response_ctx *c, const json_t *b,
				 size_t i);

/*
 * Require string fields key1 (and key2 when not NULL) of block i. The
 * block's type matched the rule table, so it is safe to quote.
 */
static int
response_need_strings(struct response_ctx *c, const json_t *b, size_t i,
		      const char *key1, const char *key2)
{
	const char *key = NULL;

	if (!json_is_string(json_object_get(b, key1)))
		key = key1;
	else if (key2 && !json_is_string(json_object_get(b, key2)))
		key = key2;
	if (!key)
		return 0;
	response_err(c->err, c->errlen,
		     "content block %zu (%s): %s is missing or not a string", i,
		     response_str(b, "type"), key);
	return RESPONSE_E_INVALID;
}

static int
response_check_text(struct response_ctx *c, const json_t *b, size_t i)
{
	return response_need_strings(c, b, i, "text", NULL);
}

static int
response_check_thinking(struct response_ctx *c, const json_t *b, size_t i)
{
	return response_need_strings(c, b, i, "thinking", "signature");
}

static int
response_check_redacted(struct response_ctx *c, const json_t *b, size_t i)
{
	return response_need_strings(c, b, i, "data", NULL);
}

static int
response_check_tool_use(struct response_ctx *c, const json_t *b, size_t i)
{
	json_t *id = json_object_get(b, "id");
	json_t *name = json_object_get(b, "name");

	if (!json_is_string(id) ||
	    !response_safe_name(json_string_value(id), json_string_length(id),
				RESPONSE_TOOL_ID_MAX, true)) {
		response_err(c->err, c->errlen,
			     "content block %zu (tool_use): id is missing, "
			     "empty, longer than %d bytes or not [A-Za-z0-9_-]",
			     i, RESPONSE_TOOL_ID_MAX);
		return RESPONSE_E_INVALID;
	}
	if (!json_is_string(name) ||
	    !response_safe_name(json_string_value(name),
				json_string_length(name),
				RESPONSE_TOOL_NAME_MAX, true)) {
		response_err(c->err, c->errlen,
			     "content block %zu (tool_use): name is missing, "
			     "empty, longer than %d bytes or not [A-Za-z0-9_-]",
			     i, RESPONSE_TOOL_NAME_MAX);
		return RESPONSE_E_INVALID;
	}
	if (!json_is_object(json_object_get(b, "input"))) {
		response_err(c->err, c->errlen,
			     "content block %zu (tool_use): input is missing "
			     "or not an object",
			     i);
		return RESPONSE_E_INVALID;
	}
	c->tool_ids[c->n_tool_use++] = json_string_value(id);
	return 0;
}

static const struct response_block_rule {
	const char *type;
	response_block_fn check;
} response_blocks[] = {
	{ "text", response_check_text },
	{ "tool_use", response_check_tool_use },
	{ "thinking", response_check_thinking },
	{ "redacted_thinking", response_check_redacted },
};

static int
response_check_block(struct response_ctx *c, const json_t *b, size_t i)
{
	const char *type = response_str(b, "type");
	size_t k;

	if (!json_is_object(b) || !type) {
		response_err(c->err, c->errlen,
			     "content block %zu is not an object with a "
			     "string type",
			     i);
		return RESPONSE_E_INVALID;
	}
	for (k = 0; k < sizeof(response_blocks) / sizeof(*response_blocks); k++)
		if (strcmp(type, response_blocks[k].type) == 0)
			return response_blocks[k].check(c, b, i);
	return 0; /* server tools and other types: kept as they are */
}

static int
response_cmp_ids(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Tool results are matched by id: refuse a message that repeats one. */
static int
response_unique_ids(struct response_ctx *c)
{
	size_t i;

	qsort(c->tool_ids, c->n_tool_use, sizeof(*c->tool_ids),
	      response_cmp_ids);
	for (i = 1; i < c->n_tool_use; i++) {
		if (strcmp(c->tool_ids[i - 1], c->tool_ids[i]) == 0) {
			response_err(c->err, c->errlen,
				     "two tool_use blocks share the id %s",
				     c->tool_ids[i]);
			return RESPONSE_E_INVALID;
		}
	}
	return 0;
}

/* Validate the content array; *n_tool_use gets the tool_use count. */
static int
response_check_content(const json_t *content, size_t *n_tool_use, char *err,
		       size_t errlen)
{
	struct response_ctx c = { .err = err, .errlen = errlen };
	size_t i, n;
	int rc = 0;

	if (!json_is_array(content)) {
		response_err(err, errlen, "content is missing or not a list");
		return RESPONSE_E_INVALID;
	}
	n = json_array_size(content);
	if (n > RESPONSE_MAX_BLOCKS) {
		response_err(err, errlen, "more than %d content blocks",
			     RESPONSE_MAX_BLOCKS);
		return RESPONSE_E_TOO_LARGE;
	}
	c.tool_ids = calloc(n ? n : 1, sizeof(*c.tool_ids));
	if (!c.tool_ids) {
		response_err(err, errlen, "out of memory");
		return RESPONSE_E_NOMEM;
	}
	for (i = 0; i < n && rc == 0; i++)
		rc = response_check_block(&c, json_array_get(content, i), i);
	if (rc == 0)
		rc = response_unique_ids(&c);
	*n_tool_use = c.n_tool_use;
	free(c.tool_ids);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Message fields                                                       */

/* usage[key]: missing or null is 0, else a non-negative integer. */
static int
response_usage_field(const json_t *usage, const char *key, int64_t *out,
		     char *err, size_t errlen)
{
	json_t *v = json_object_get(usage, key);

	*out = 0;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		response_err(err, errlen,
			     "usage.%s is not a non-negative integer", key);
		return RESPONSE_E_INVALID;
	}
	*out = json_integer_value(v);
	return 0;
}

/* usage.server_tool_use: absent or null is none, else an object whose
 * web_search_requests and web_fetch_requests are non-negative integers. */
static int
response_server_tool_use(const json_t *usage, struct api_usage *u, char *err,
			 size_t errlen)
{
	const json_t *st = json_object_get(usage, "server_tool_use");
	int rc;

	if (!st || json_is_null(st))
		return 0;
	if (!json_is_object(st)) {
		response_err(err, errlen,
			     "usage.server_tool_use is not an object");
		return RESPONSE_E_INVALID;
	}
	rc = response_usage_field(st, "web_search_requests",
				  &u->web_search_requests, err, errlen);
	if (rc == 0)
		rc = response_usage_field(st, "web_fetch_requests",
					  &u->web_fetch_requests, err, errlen);
	return rc;
}

static int
response_check_usage(const json_t *msg, struct api_usage *u, char *err,
		     size_t errlen)
{
	json_t *usage = json_object_get(msg, "usage");
	int rc;

	memset(u, 0, sizeof(*u));
	if (!usage || json_is_null(usage))
		return 0;
	if (!json_is_object(usage)) {
		response_err(err, errlen, "usage is not an object");
		return RESPONSE_E_INVALID;
	}
	rc = response_usage_field(usage, "input_tokens", &u->input_tokens, err,
				  errlen);
	if (rc == 0)
		rc = response_usage_field(usage, "output_tokens",
					  &u->output_tokens, err, errlen);
	if (rc == 0)
		rc = response_usage_field(usage, "cache_creation_input_tokens",
					  &u->cache_creation_input_tokens, err,
					  errlen);
	if (rc == 0)
		rc = response_usage_field(usage, "cache_read_input_tokens",
					  &u->cache_read_input_tokens, err,
					  errlen);
	if (rc == 0)
		rc = response_server_tool_use(usage, u, err, errlen);
	return rc;
}

/*
 * msg[key]: absent or null gives *out = NULL; a string of at most
 * RESPONSE_STR_MAX bytes gives a copy; anything else is invalid.
 */
static int
response_opt_string(const json_t *msg, const char *key, char **out, char *err,
		    size_t errlen)
{
	json_t *v = json_object_get(msg, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v) || json_string_length(v) > RESPONSE_STR_MAX ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		response_err(err, errlen,
			     "%s is not a string of at most %d bytes without "
			     "a NUL character",
			     key, RESPONSE_STR_MAX);
		return RESPONSE_E_INVALID;
	}
	*out = strdup(json_string_value(v));
	if (!*out) {
		response_err(err, errlen, "out of memory");
		return RESPONSE_E_NOMEM;
	}
	return 0;
}

/* type "message" and role "assistant"; an error body is told apart. */
static int
response_check_kind(const json_t *msg, char *err, size_t errlen)
{
	const char *type = response_str(msg, "type");
	const char *role = response_str(msg, "role");

	if (!json_is_object(msg)) {
		response_err(err, errlen, "the message is not a JSON object");
		return RESPONSE_E_INVALID;
	}
	if (type && strcmp(type, "error") == 0) {
		response_err(err, errlen, "the body is an API error");
		return RESPONSE_E_API_ERROR;
	}
	if (!type || strcmp(type, "message") != 0) {
		response_err(err, errlen, "type is not \"message\"");
		return RESPONSE_E_INVALID;
	}
	if (!role || strcmp(role, "assistant") != 0) {
		response_err(err, errlen, "role is not \"assistant\"");
		return RESPONSE_E_INVALID;
	}
	return 0;
}

int
response_from_json(const json_t *msg, struct response *out, char *err,
		   size_t errlen)
{
	struct response r;
	json_t *content;
	int rc;

	memset(&r, 0, sizeof(r));
	memset(out, 0, sizeof(*out));
	response_err(err, errlen, "%s", "");
	rc = response_check_kind(msg, err, errlen);
	if (rc)
		goto out;
	content = json_object_get(msg, "content");
	rc = response_check_content(content, &r.n_tool_use, err, errlen);
	if (rc == 0)
		rc = response_check_usage(msg, &r.usage, err, errlen);
	if (rc == 0)
		rc = response_opt_string(msg, "id", &r.id, err, errlen);
	if (rc == 0)
		rc = response_opt_string(msg, "model", &r.model, err, errlen);
	if (rc == 0)
		rc = response_opt_string(msg, "stop_reason", &r.stop_reason,
					 err, errlen);
	if (rc)
		goto out;
	r.content = json_incref(content);
	*out = r;
	memset(&r, 0, sizeof(r));
out:
	response_clear(&r);
	return rc;
}

/* Parse body as JSON, enforcing the size limit. */
static int
response_load(const char *body, size_t len, json_t **out, char *err,
	      size_t errlen)
{
	json_error_t jerr;

	*out = NULL;
	if (len > RESPONSE_MAX_BODY) {
		response_err(err, errlen, "response body larger than %u bytes",
			     RESPONSE_MAX_BODY);
		return RESPONSE_E_TOO_LARGE;
	}
	if (!body && len)
		return RESPONSE_E_JSON;
	/* "\u0000" is valid JSON: kept (response_str refuses it in a name) */
	*out = json_loadb(body ? body : "", len,
			  JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (!*out) {
		response_err(err, errlen,
			     "response body is not valid JSON (line %d, "
			     "column %d)",
			     jerr.line, jerr.column);
		return RESPONSE_E_JSON;
	}
	return 0;
}

int
response_parse(const char *body, size_t len, struct response *out, char *err,
	       size_t errlen)
{
	json_t *root = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = response_load(body, len, &root, err, errlen);
	if (rc == 0)
		rc = response_from_json(root, out, err, errlen);
	json_decref(root);
	return rc;
}

void
response_clear(struct response *r)
{
	if (!r)
		return;
	free(r->id);
	free(r->model);
	free(r->stop_reason);
	json_decref(r->content);
	memset(r, 0, sizeof(*r));
}

int
response_parse_error(const char *body, size_t len, char **type, char **message)
{
	json_t *root = NULL, *e, *t, *m;
	int rc;

	*type = NULL;
	*message = NULL;
	rc = response_load(body, len, &root, NULL, 0);
	if (rc)
		goto out;
	rc = RESPONSE_E_INVALID;
	e = json_object_get(root, "error");
	t = json_object_get(e, "type");
	m = json_object_get(e, "message");
	if (!json_is_object(root) || !json_is_string(t) || !json_is_string(m) ||
	    !response_str(root, "type") ||
	    strcmp(response_str(root, "type"), "error") != 0 ||
	    !response_safe_name(json_string_value(t), json_string_length(t),
				RESPONSE_STR_MAX, false))
		goto out;
	rc = RESPONSE_E_NOMEM;
	*type = strdup(json_string_value(t));
	*message = strdup(json_string_value(m));
	if (!*type || !*message) {
		free(*type);
		free(*message);
		*type = NULL;
		*message = NULL;
		goto out;
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}
