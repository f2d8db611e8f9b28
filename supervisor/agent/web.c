/*
 * web.c - WebSearch and WebFetch as server tools; see web.h.
 */
#include "supervisor/agent/web.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"
#include "supervisor/core/datadir.h"

#define WEB_DEFAULT_PER_REQUEST 5
#define WEB_MAX_PER_REQUEST 100
/* What a record keeps of the API's strings (hostile bytes, bounded only
 * by the body limit): a query or URL, and the short words. */
#define WEB_TEXT_MAX 2048
#define WEB_WORD_MAX 128
/* result_tokens: the most one use's result adds to a call's input */
#define WEB_MAX_RESULT_TOKENS 1000000

struct web_data {
	json_t *doc;
	json_t *tools; /* borrowed from doc: {"WebSearch": {...}, ...} */
};

/* Whether s is 1 to 64 bytes of [a-z0-9] and the characters of extra:
 * what goes into a request's JSON and headers comes only from these. */
static bool
plain_word(const char *s, const char *extra)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || strchr(extra, s[i])))
			return false;
	return true;
}

/* Every tool entry needs these strings; usd_per_use a number >= 0;
 * result_tokens an integer, 1 to WEB_MAX_RESULT_TOKENS, not below the
 * fixed max_content_tokens the definition sends (the API's cap). */
static const char *
tool_problem(const json_t *t)
{
	static const char *const keys[] = { "type", "name", "input",
					    "result_type", "usage" };
	const json_t *usd = json_object_get(t, "usd_per_use");
	const json_t *fixed = json_object_get(t, "fixed");
	const json_t *rt = json_object_get(t, "result_tokens");
	const json_t *cap = json_object_get(fixed, "max_content_tokens");

	if (!json_is_object(t))
		return "is not an object";
	for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++)
		if (!json_is_string(json_object_get(t, keys[i])))
			return "lacks a string type, name, input, result_type "
			       "or usage";
	if (!plain_word(json_string_value(json_object_get(t, "type")), "_") ||
	    !plain_word(json_string_value(json_object_get(t, "name")), "_"))
		return "has a type or name other than [a-z0-9_]";
	if (json_object_get(t, "beta") &&
	    !plain_word(json_string_value(json_object_get(t, "beta")), "-"))
		return "has a beta other than [a-z0-9-] (a header value)";
	if (!json_is_number(usd) || json_number_value(usd) < 0)
		return "lacks a usd_per_use >= 0";
	if (fixed && !json_is_object(fixed))
		return "has a fixed that is not an object";
	if (!json_is_integer(rt) || json_integer_value(rt) < 1 ||
	    json_integer_value(rt) > WEB_MAX_RESULT_TOKENS)
		return "lacks a result_tokens from 1 to 1000000 (the most one "
		       "use's result adds to a call's input)";
	if (cap && (!json_is_integer(cap) ||
		    json_integer_value(rt) < json_integer_value(cap)))
		return "has a result_tokens below fixed.max_content_tokens "
		       "(or a max_content_tokens that is not an integer)";
	return NULL;
}

int
web_data_load(struct web_data **out, char *err, size_t errlen)
{
	char path[PATH_MAX];
	json_error_t je;
	struct web_data *d = calloc(1, sizeof(*d));
	const char *key, *why = NULL;
	json_t *t;

	*out = NULL;
	if (!d) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(path, sizeof(path), "%s/web.json", datadir_path());
	d->doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	d->tools = json_object_get(d->doc, "tools");
	if (!d->doc) {
		snprintf(err, errlen, "%s:%d: %s", path, je.line, je.text);
		goto fail;
	}
	if (!json_is_object(d->tools) ||
	    !json_object_get(d->tools, "WebSearch") ||
	    !json_object_get(d->tools, "WebFetch")) {
		snprintf(err, errlen, "%s: no tools WebSearch and WebFetch",
			 path);
		goto fail;
	}
	json_object_foreach(d->tools, key, t) {
		why = tool_problem(t);
		if (why) {
			snprintf(err, errlen, "%s: tools.%s %s", path, key,
				 why);
			goto fail;
		}
	}
	*out = d;
	return 0;
fail:
	web_data_free(d);
	return -1;
}

void
web_data_free(struct web_data *d)
{
	if (!d)
		return;
	json_decref(d->doc);
	free(d);
}

const char *
web_data_date(const struct web_data *d)
{
	const char *s = json_string_value(
		json_object_get(d->doc, "table_date"));

	return s ? s : "unknown";
}

const char *
web_data_beta(const struct web_data *d)
{
	const char *key;
	json_t *t;

	json_object_foreach(d->tools, key, t) {
		const char *b = json_string_value(json_object_get(t, "beta"));

		if (b)
			return b;
	}
	return NULL;
}

int
web_per_request(const struct web_data *d, const struct webopt *w)
{
	const json_t *v = json_object_get(d->doc, "max_uses_per_request");
	int n = WEB_DEFAULT_PER_REQUEST;

	if (json_is_integer(v) && json_integer_value(v) >= 1 &&
	    json_integer_value(v) <= WEB_MAX_PER_REQUEST)
		n = (int)json_integer_value(v);
	if (n > w->max_uses / 2)
		n = w->max_uses / 2;
	return n < 1 ? 1 : n;
}

bool
web_is_tool(const struct web_data *d, const char *name)
{
	return d && name && json_object_get(d->tools, name) != NULL;
}

double
web_usd_per_use(const struct web_data *d, const char *name)
{
	return json_number_value(
		json_object_get(json_object_get(d->tools, name),
				"usd_per_use"));
}

int64_t
web_result_tokens(const struct web_data *d, const char *name)
{
	/* checked at load: an integer from 1 to WEB_MAX_RESULT_TOKENS */
	return (int64_t)json_integer_value(
		json_object_get(json_object_get(d->tools, name),
				"result_tokens"));
}

json_t *
web_tool_def(const struct web_data *d, const char *name, const struct webopt *w)
{
	const json_t *t = json_object_get(d->tools, name);
	json_t *def;

	if (!t)
		return NULL;
	def = json_pack("{s:O,s:O,s:i}", "type", json_object_get(t, "type"),
			"name", json_object_get(t, "name"), "max_uses",
			web_per_request(d, w));
	if (def && w->domains)
		json_object_set(def, "allowed_domains", w->domains);
	if (def && json_object_get(t, "fixed"))
		json_object_update(def, json_object_get(t, "fixed"));
	return def;
}

/* The persona name of the tool whose API name is api_name, or NULL. */
static const char *
persona_name(const struct web_data *d, const char *api_name, json_t **entry)
{
	const char *key;
	json_t *t;

	json_object_foreach(d->tools, key, t) {
		const char *n = json_string_value(json_object_get(t, "name"));

		if (api_name && n && strcmp(n, api_name) == 0) {
			*entry = t;
			return key;
		}
	}
	return NULL;
}

static const char *
block_str(const json_t *b, const char *key)
{
	return json_string_value(json_object_get(b, key));
}

static bool
is_server_use(const json_t *b)
{
	const char *t = block_str(b, "type");

	return t && strcmp(t, "server_tool_use") == 0;
}

/* The usage figure named by the tool's "usage" key. */
static int64_t
usage_of(const json_t *t, const struct api_usage *u)
{
	const char *k = block_str(t, "usage");

	if (k && strcmp(k, "web_search_requests") == 0)
		return u->web_search_requests;
	if (k && strcmp(k, "web_fetch_requests") == 0)
		return u->web_fetch_requests;
	return 0;
}

void
web_uses(const struct web_data *d, const json_t *content,
	 const struct api_usage *u, int64_t *searches, int64_t *fetches)
{
	int64_t blocks[2] = { 0, 0 };
	json_t *b, *t;
	size_t i;

	json_array_foreach(content, i, b) {
		const char *who = is_server_use(b) ?
					  persona_name(d, block_str(b, "name"),
						       &t) :
					  NULL;

		if (who)
			blocks[strcmp(who, "WebFetch") == 0]++;
	}
	*searches = u->web_search_requests > blocks[0] ?
			    u->web_search_requests :
			    blocks[0];
	*fetches = u->web_fetch_requests > blocks[1] ? u->web_fetch_requests :
						       blocks[1];
}

double
web_cost_usd(const struct web_data *d, const struct api_usage *u)
{
	const char *key;
	json_t *t;
	double usd = 0;

	json_object_foreach(d->tools, key, t)
		usd += (double)usage_of(t, u) *
		       json_number_value(json_object_get(t, "usd_per_use"));
	return usd;
}

/* The result block answering id in content, or NULL. */
static const json_t *
result_of(const json_t *content, const char *id)
{
	json_t *b;
	size_t i;

	json_array_foreach(content, i, b) {
		const char *u = block_str(b, "tool_use_id");

		if (u && id && strcmp(u, id) == 0 && !is_server_use(b))
			return b;
	}
	return NULL;
}

/* The error_code of a result whose content is an error object. */
static const char *
error_code(const json_t *res)
{
	const json_t *c = json_object_get(res, "content");

	return json_is_object(c) ? block_str(c, "error_code") : NULL;
}

/* s cut to cap bytes (on a character) in buf, or NULL for NULL. */
static const char *
capped(const char *s, char *buf, size_t cap)
{
	if (!s)
		return NULL;
	utf8_copy(buf, cap, s);
	return buf;
}

/* One use as its transcript fields (a new object); its strings capped. */
static json_t *
use_fields(const json_t *t, const char *who, const json_t *use,
	   const json_t *res)
{
	const char *in_key = block_str(t, "input");
	const json_t *in = json_object_get(use, "input");
	char *text = res ? json_dumps(res, JSON_COMPACT) : NULL;
	char id[WEB_WORD_MAX], rtype[WEB_WORD_MAX], code[WEB_WORD_MAX];
	char value[WEB_TEXT_MAX];
	json_t *f = json_pack(
		"{s:s,s:s?,s:O,s:s?,s:s?,s:I,s:s?}", "tool", who, "tool_use_id",
		capped(block_str(use, "id"), id, sizeof(id)), "server_tool",
		json_object_get(t, "type"), in_key,
		capped(json_is_object(in) ? block_str(in, in_key) : NULL, value,
		       sizeof(value)),
		"result_type",
		capped(res ? block_str(res, "type") : NULL, rtype,
		       sizeof(rtype)),
		"result_bytes", (json_int_t)(text ? strlen(text) : 0),
		"error_code",
		capped(res ? error_code(res) : NULL, code, sizeof(code)));

	free(text);
	return f;
}

int
web_record(const struct web_data *d, const json_t *content, const char *agent,
	   const char *phase, struct audit *audit, json_t *by_name,
	   web_line_fn line, void *ctx)
{
	json_t *b, *t;
	size_t i;
	int n = 0, rc = 0;

	json_array_foreach(content, i, b) {
		const char *who = is_server_use(b) ?
					  persona_name(d, block_str(b, "name"),
						       &t) :
					  NULL;
		const json_t *res;
		json_t *f, *rec;

		if (!who)
			continue;
		res = result_of(content, block_str(b, "id"));
		f = use_fields(t, who, b, res);
		if (!f)
			return -1;
		rec = json_deep_copy(f);
		json_object_set_new(rec, "agent", json_string(agent));
		json_object_set_new(rec, "phase", json_string(phase));
		/* the input as the record saw it: the query or URL, capped */
		json_object_set_new(
			rec, "input",
			json_pack("{s:O?}", block_str(t, "input"),
				  json_object_get(f, block_str(t, "input"))));
		json_object_del(rec, block_str(t, "input"));
		json_object_set_new(rec, "outcome",
				    json_string(res && !error_code(res) ?
							"allowed" :
							"error"));
		json_object_set_new(rec, "is_error",
				    json_boolean(!res || error_code(res)));
		if (audit_append(audit, rec) < 0)
			rc = -1;
		json_decref(rec);
		json_object_set_new(
			by_name, who,
			json_integer(json_integer_value(
					     json_object_get(by_name, who)) +
				     1));
		line(ctx, "web_tool", f);
		n++;
	}
	return rc < 0 ? -1 : n;
}
