/*
 * stream.c - assembling a streamed Messages API answer (see stream.h).
 *
 * Design note
 * -----------
 * Two tables drive the assembly: stream_events says which handler takes
 * each event name and whether it needs a message_start first; stream_deltas
 * says, for each delta type of content_block_delta, which kind of block it
 * may touch and where its payload goes. Anything not in the tables is
 * ignored, as the API asks of clients; anything in them that is out of
 * order or of the wrong shape fails the stream.
 *
 * The message from message_start is kept as a jansson object whose
 * "content" array receives each block's object at content_block_start.
 * Text, thinking and tool-input fragments are not appended to JSON strings
 * one by one (that would copy the whole string per delta, quadratic in its
 * length): they go to a growable buffer per block and are written into the
 * block object once, at content_block_stop.
 *
 * Budget: every event we act on counts its data length against
 * STREAM_MAX_BYTES before it is parsed. All buffers hold subsets of that
 * data, so the one count bounds them all. Error texts built here quote only
 * short, sanitised names, never message text or tool input.
 */
#include "supervisor/api/stream.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum stream_kind {
	STREAM_KIND_TEXT,     /* "text" */
	STREAM_KIND_TOOL,     /* "tool_use", "server_tool_use", "*_tool_use" */
	STREAM_KIND_THINKING, /* "thinking" */
	STREAM_KIND_OTHER,    /* kept as it came */
};

struct stream_buf {
	char *p;
	size_t len;
	size_t cap;
};

struct stream_block {
	json_t *obj; /* the block object; s->content owns it */
	enum stream_kind kind;
	bool stopped;           /* content_block_stop seen */
	struct stream_buf text; /* text or thinking, joined */
	struct stream_buf json; /* partial_json fragments, joined */
};

struct stream {
	json_t *message; /* from message_start; owned */
	json_t *content; /* message's "content" array; borrowed */
	struct stream_block *blocks;
	size_t n_blocks;
	size_t cap_blocks;
	size_t n_open;  /* blocks started and not stopped */
	size_t total;   /* event data bytes counted so far */
	bool done;      /* message_stop accepted */
	bool cut;       /* a tool block's input was not whole JSON ... */
	size_t cut_idx; /* ... the first such block */
	long cut_at;    /* ... and where its JSON broke */
	int error;      /* sticky STREAM_E_* or 0 */
	char *api_type; /* from an error event */
	char *api_message;
	char err[256];
};

/* Longest excerpt of a name quoted in an error text. */
#define STREAM_QUOTE_MAX 40
/* Longest error.type kept from an error event. */
#define STREAM_ERROR_TYPE_MAX 256

typedef int (*stream_handler)(struct stream *s, json_t *ev);

struct stream_event_rule {
	const char *name;
	stream_handler fn;  /* NULL: ignored (ping) */
	bool needs_message; /* only after message_start */
};

/* ------------------------------------------------------------------ */
/* Helpers: errors, buffers                                             */

static int stream_fail(struct stream *s, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Record the first error of the stream; returns code. */
static int
stream_fail(struct stream *s, int code, const char *fmt, ...)
{
	va_list ap;

	if (s->error)
		return s->error;
	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
	s->error = code;
	return code;
}

/*
 * Copy at most STREAM_QUOTE_MAX bytes of src into buf (of that size plus
 * 4), printable ASCII only, so that a hostile name cannot inject control
 * characters into a log line. Returns buf.
 */
static const char *
stream_quote(char buf[STREAM_QUOTE_MAX + 4], const char *src)
{
	size_t i;

	for (i = 0; src[i] && i < STREAM_QUOTE_MAX; i++) {
		unsigned char c = (unsigned char)src[i];

		buf[i] = (char)((c >= 0x20 && c < 0x7f) ? c : '?');
	}
	if (src[i])
		buf[i++] = '~';
	buf[i] = '\0';
	return buf;
}

static int
stream_buf_append(struct stream_buf *b, const char *p, size_t n)
{
	size_t cap;
	char *np;

	if (n == 0)
		return 0;
	if (b->len + n > b->cap) {
		cap = b->cap ? b->cap : 256;
		while (cap < b->len + n)
			cap *= 2;
		np = realloc(b->p, cap);
		if (!np)
			return STREAM_E_NOMEM;
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

static void
stream_buf_free(struct stream_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
}

/* Set obj[key] to a new string holding b's bytes. */
static int
stream_set_string(struct stream *s, json_t *obj, const char *key,
		  const struct stream_buf *b)
{
	json_t *str;

	str = b->len ? json_stringn(b->p, b->len) : json_string("");
	/* The fragments were valid UTF-8 strings, so is their join. */
	if (!str || json_object_set_new(obj, key, str) < 0)
		return stream_fail(s, STREAM_E_NOMEM, "out of memory");
	return 0;
}

static enum stream_kind
stream_kind_of(const char *type)
{
	size_t n = strlen(type);

	if (strcmp(type, "text") == 0)
		return STREAM_KIND_TEXT;
	if (strcmp(type, "thinking") == 0)
		return STREAM_KIND_THINKING;
	if (strcmp(type, "tool_use") == 0 ||
	    (n > 9 && strcmp(type + n - 9, "_tool_use") == 0))
		return STREAM_KIND_TOOL;
	return STREAM_KIND_OTHER;
}

/*
 * The open block named by ev's "index" (what: the event, for errors).
 * Returns 0 and *out, or STREAM_E_PROTOCOL.
 */
static int
stream_open_block(struct stream *s, json_t *ev, const char *what,
		  struct stream_block **out)
{
	json_t *jidx = json_object_get(ev, "index");
	json_int_t i;

	if (!json_is_integer(jidx))
		return stream_fail(s, STREAM_E_PROTOCOL,
				   "%s without an integer index", what);
	i = json_integer_value(jidx);
	if (i < 0 || (uint64_t)i >= s->n_blocks)
		return stream_fail(s, STREAM_E_PROTOCOL,
				   "%s for block %lld, which was not started",
				   what, (long long)i);
	if (s->blocks[i].stopped)
		return stream_fail(s, STREAM_E_PROTOCOL,
				   "%s for block %lld after its stop", what,
				   (long long)i);
	*out = &s->blocks[i];
	return 0;
}

/* ------------------------------------------------------------------ */
/* message_start, message_delta, message_stop, error                   */

static int
stream_on_message_start(struct stream *s, json_t *ev)
{
	json_t *msg = json_object_get(ev, "message");
	json_t *content;

	if (s->message)
		return stream_fail(s, STREAM_E_PROTOCOL,
				   "a second message_start");
	if (!json_is_object(msg))
		return stream_fail(s, STREAM_E_PROTOCOL,
				   "message_start without a message object");
	content = json_object_get(msg, "content");
	if (content && (!json_is_array(content) || json_array_size(content)))
		return stream_fail(s, STREAM_E_PROTOCOL,
				   "message_start whose content is not []");
	content = json_array();
	/* json_object_set_new() takes content even when it fails. */
	if (!content || json_object_set_new(msg, "content", content) < 0)
		return stream_fail(s, STREAM_E_NOMEM, "out of memory");
	s->content = content;
	s->message = json_incref(msg);
	return 0;
}

/* Copy delta[key] into the message when present (string or null). */
static int
stream_copy_reason(struct stream *s, json_t *delta, const char *key)
{
	json_t *v = json_object_get(delta, key);

	if (!v)
		return 0;
	if (!json_is_string(v) && !json_is_null(v))
		return stream_fail(s, STREAM_E_PROTOCOL,
				   "message_delta: %s is not a string", key);
	if (json_object_set(s->message, key, v) < 0)
		return stream_fail(s, STREAM_E_NOMEM, "out of memory");
	return 0;
}

/* Usage figures are cumulative: a later non-null value replaces. */
static int
stream_merge_usage(struct stream *s, json_t *usage)
{
	json_t *into = json_object_get(s->message, "usage");
	const char *key;
	json_t *v;

	if (!usage)
		return 0;
	if (!json_is_object(usage))
		return stream_fail(s, STREAM_E_PROTOCOL,
				   "message_delta: usage is not an object");
	if (!json_is_object(into)) {
		into = json_object();
		if (!into || json_object_set_new(s->message, "usage", into) < 0)
			return stream_fail(s, STREAM_E_NOMEM, "out of memory");
	}
	json_object_foreach(usage, key, v) {
		if (json_is_null(v))
			continue;
		if (json_object_set(into, key, v) < 0)
			return stream_fail(s, STREAM_E_NOMEM, "out of memory");
	}
	return 0;
}

static int
stream_on_message_delta(struct stream *s, json_t *ev)
{
	json_t *delta = json_object_get(ev, "delta");
	int rc;

	if (!json_is_object(delta))
		return stream_fail(s, STREAM_E_PROTOCOL,
				   "message_delta without a delta object");
	rc = stream_copy_reason(s, delta, "stop_reason");
	if (rc == 0)
		rc = stream_copy_reason(s, delta, "stop_sequence");
	if (rc == 0)
		rc = stream_merge_usage(s, json_object_get(ev, "usage"));
	return rc;
}

/*
 * A tool input that is not whole JSON is what a reply cut at max_tokens
 * inside a tool call carries (the API streams the input as it is made):
 * the session drops every tool_use of such a reply, so its {} is never
 * run. With any other stop_reason the stream is broken.
 */
static int
stream_on_message_stop(struct stream *s, json_t *ev)
{
	const char *why = json_string_value(
		json_object_get(s->message, "stop_reason"));

	(void)ev;
	if (s->n_open)
		return stream_fail(s, STREAM_E_PROTOCOL,
				   "message_stop with %zu block(s) not stopped",
				   s->n_open);
	if (s->cut && !(why && strcmp(why, "max_tokens") == 0))
		return stream_fail(s, STREAM_E_JSON,
				   "tool input of block %zu is not valid JSON "
				   "(at byte %ld)",
				   s->cut_idx, s->cut_at);
	s->done = true;
	return 0;
}

/* True when s is 1..STREAM_ERROR_TYPE_MAX bytes of [A-Za-z0-9_]. */
static bool
stream_safe_type(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++) {
		char c = s[i];

		if (i >= STREAM_ERROR_TYPE_MAX ||
		    !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return i > 0;
}

/*
 * Duplicate obj[key] when it is a string (and, when safe is set, a safe
 * error type: callers compare it and log it); *out = NULL otherwise.
 */
static int
stream_dup_field(json_t *obj, const char *key, bool safe, char **out)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!json_is_string(v) ||
	    (safe && !stream_safe_type(json_string_value(v))))
		return 0;
	*out = strdup(json_string_value(v));
	return *out ? 0 : STREAM_E_NOMEM;
}

static int
stream_on_error(struct stream *s, json_t *ev)
{
	json_t *err = json_object_get(ev, "error");
	char q[STREAM_QUOTE_MAX + 4];

	if (stream_dup_field(err, "type", true, &s->api_type) < 0 ||
	    stream_dup_field(err, "message", false, &s->api_message) < 0)
		return stream_fail(s, STREAM_E_NOMEM, "out of memory");
	return stream_fail(s, STREAM_E_API_ERROR, "the API sent an error: %s",
			   s->api_type ? stream_quote(q, s->api_type) :
					 "(no error type)");
}

/* ------------------------------------------------------------------ */
/* content_block_start, content_block_delta, content_block_stop        */

static int
stream_grow_blocks(struct stream *s)
{
	struct stream_block *nb;
	size_t cap;

	if (s->n_blocks < s->cap_blocks)
		return 0;
	cap = s->cap_blocks ? s->cap_blocks * 2 : 8;
	if (cap > STREAM_MAX_BLOCKS)
		cap = STREAM_MAX_BLOCKS;
	nb = realloc(s->blocks, cap * sizeof(*nb));
	if (!nb)
		return stream_fail(s, STREAM_E_NOMEM, "out of memory");
	s->blocks = nb;
	s->cap_blocks = cap;
	return 0;
}

/* Check index and content_block of a content_block_start. */
static int
stream_check_start(struct stream *s, json_t *ev, json_t **cb)
{
	json_t *jidx = json_object_get(ev, "index");

	if (!json_is_integer(jidx))
		return stream_fail(s, STREAM_E_PROTOCOL,
				   "content_block_start without an integer "
				   "index");
	if (json_integer_value(jidx) < 0 ||
	    (uint64_t)json_integer_value(jidx) != s->n_blocks)
		return stream_fail(s, STREAM_E_PROTOCOL,
				   "content_block_start for block %lld, "
				   "expected %zu",
				   (long long)json_integer_value(jidx),
				   s->n_blocks);
	if (s->n_blocks >= STREAM_MAX_BLOCKS)
		return stream_fail(s, STREAM_E_TOO_LARGE,
				   "more than %d content blocks",
				   STREAM_MAX_BLOCKS);
	*cb = json_object_get(ev, "content_block");
	if (!json_is_object(*cb) ||
	    !json_is_string(json_object_get(*cb, "type")))
		return stream_fail(s, STREAM_E_PROTOCOL,
				   "content_block_start without a typed "
				   "content_block");
	return 0;
}

/* The text a text or thinking block starts with (usually ""). */
static int
stream_initial_text(struct stream *s, struct stream_block *b)
{
	const char *key;
	json_t *v;

	if (b->kind == STREAM_KIND_TEXT)
		key = "text";
	else if (b->kind == STREAM_KIND_THINKING)
		key = "thinking";
	else
		return 0;
	v = json_object_get(b->obj, key);
	if (!v)
		return 0;
	if (!json_is_string(v))
		return stream_fail(s, STREAM_E_PROTOCOL,
				   "content_block_start: %s is not a string",
				   key);
	if (stream_buf_append(&b->text, json_string_value(v),
			      json_string_length(v)) < 0)
		return stream_fail(s, STREAM_E_NOMEM, "out of memory");
	return 0;
}

static int
stream_on_block_start(struct stream *s, json_t *ev)
{
	struct stream_block *b;
	json_t *cb = NULL;
	int rc;

	rc = stream_check_start(s, ev, &cb);
	if (rc == 0)
		rc = stream_grow_blocks(s);
	if (rc)
		return rc;
	b = &s->blocks[s->n_blocks];
	memset(b, 0, sizeof(*b));
	b->obj = cb;
	b->kind = stream_kind_of(
		json_string_value(json_object_get(cb, "type")));
	rc = stream_initial_text(s, b);
	if (rc == 0 && json_array_append(s->content, cb) < 0)
		rc = stream_fail(s, STREAM_E_NOMEM, "out of memory");
	if (rc) {
		stream_buf_free(&b->text);
		return rc;
	}
	s->n_blocks++;
	s->n_open++;
	return 0;
}

static int
stream_delta_text(struct stream *s, struct stream_block *b, json_t *v)
{
	if (stream_buf_append(&b->text, json_string_value(v),
			      json_string_length(v)) < 0)
		return stream_fail(s, STREAM_E_NOMEM, "out of memory");
	return 0;
}

static int
stream_delta_json(struct stream *s, struct stream_block *b, json_t *v)
{
	if (stream_buf_append(&b->json, json_string_value(v),
			      json_string_length(v)) < 0)
		return stream_fail(s, STREAM_E_NOMEM, "out of memory");
	return 0;
}

static int
stream_delta_signature(struct stream *s, struct stream_block *b, json_t *v)
{
	if (json_object_set(b->obj, "signature", v) < 0)
		return stream_fail(s, STREAM_E_NOMEM, "out of memory");
	return 0;
}

static int
stream_delta_citation(struct stream *s, struct stream_block *b, json_t *v)
{
	json_t *list = json_object_get(b->obj, "citations");

	if (list && !json_is_array(list) && !json_is_null(list))
		return stream_fail(s, STREAM_E_PROTOCOL,
				   "citations of a text block is not a list");
	if (!json_is_array(list)) {
		list = json_array();
		if (!list || json_object_set_new(b->obj, "citations", list) < 0)
			return stream_fail(s, STREAM_E_NOMEM, "out of memory");
	}
	if (json_array_append(list, v) < 0)
		return stream_fail(s, STREAM_E_NOMEM, "out of memory");
	return 0;
}

typedef int (*stream_delta_fn)(struct stream *s, struct stream_block *b,
			       json_t *v);

static const struct stream_delta_rule {
	const char *type;      /* delta.type */
	enum stream_kind kind; /* the only block kind it may touch */
	const char *field;     /* the payload's key in delta */
	json_type jtype;       /* and its JSON type */
	stream_delta_fn fn;
} stream_deltas[] = {
	{ "text_delta", STREAM_KIND_TEXT, "text", JSON_STRING,
	  stream_delta_text },
	{ "input_json_delta", STREAM_KIND_TOOL, "partial_json", JSON_STRING,
	  stream_delta_json },
	{ "thinking_delta", STREAM_KIND_THINKING, "thinking", JSON_STRING,
	  stream_delta_text },
	{ "signature_delta", STREAM_KIND_THINKING, "signature", JSON_STRING,
	  stream_delta_signature },
	{ "citations_delta", STREAM_KIND_TEXT, "citation", JSON_OBJECT,
	  stream_delta_citation },
};

static int
stream_on_block_delta(struct stream *s, json_t *ev)
{
	const struct stream_delta_rule *r = NULL;
	struct stream_block *b = NULL;
	json_t *delta, *v;
	const char *type;
	size_t i;
	int rc;

	rc = stream_open_block(s, ev, "content_block_delta", &b);
	if (rc)
		return rc;
	delta = json_object_get(ev, "delta");
	type = json_string_value(json_object_get(delta, "type"));
	if (!json_is_object(delta) || !type)
		return stream_fail(s, STREAM_E_PROTOCOL,
				   "content_block_delta without a typed delta");
	for (i = 0; i < sizeof(stream_deltas) / sizeof(*r); i++)
		if (strcmp(type, stream_deltas[i].type) == 0)
			r = &stream_deltas[i];
	if (!r)
		return 0; /* unknown delta types are ignored */
	if (b->kind != r->kind)
		return stream_fail(s, STREAM_E_PROTOCOL,
				   "%s for a block of another type", r->type);
	v = json_object_get(delta, r->field);
	if (!v || json_typeof(v) != r->jtype)
		return stream_fail(s, STREAM_E_PROTOCOL,
				   "%s without a valid %s", r->type, r->field);
	return r->fn(s, b, v);
}

/* Parse a tool block's joined input fragments into its "input". */
static int
stream_finish_tool(struct stream *s, struct stream_block *b, size_t idx)
{
	json_error_t jerr;
	json_t *input;

	if (b->json.len == 0) {
		/* No fragments: keep an input object the start carried. */
		if (json_is_object(json_object_get(b->obj, "input")))
			return 0;
		input = json_object();
	} else {
		/* "\u0000" is valid JSON: the tool refuses it, visibly */
		input = json_loadb(b->json.p, b->json.len,
				   JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
				   &jerr);
		if (!input) {
			/* cut by max_tokens, or broken: message_stop tells
			 * (stream_on_message_stop); never run either way */
			if (!s->cut) {
				s->cut = true;
				s->cut_idx = idx;
				s->cut_at = (long)jerr.position;
			}
			input = json_object();
			if (!input)
				return stream_fail(s, STREAM_E_NOMEM,
						   "out of memory");
		}
	}
	if (!json_is_object(input)) {
		json_decref(input);
		return stream_fail(s, STREAM_E_PROTOCOL,
				   "tool input of block %zu is not an object",
				   idx);
	}
	if (json_object_set_new(b->obj, "input", input) < 0)
		return stream_fail(s, STREAM_E_NOMEM, "out of memory");
	return 0;
}

static int
stream_on_block_stop(struct stream *s, json_t *ev)
{
	struct stream_block *b = NULL;
	int rc;

	rc = stream_open_block(s, ev, "content_block_stop", &b);
	if (rc || !b)
		return rc ? rc : stream_fail(s, STREAM_E_PROTOCOL, "no block");
	if (b->kind == STREAM_KIND_TEXT)
		rc = stream_set_string(s, b->obj, "text", &b->text);
	else if (b->kind == STREAM_KIND_THINKING)
		rc = stream_set_string(s, b->obj, "thinking", &b->text);
	else if (b->kind == STREAM_KIND_TOOL)
		rc = stream_finish_tool(s, b, (size_t)(b - s->blocks));
	if (rc)
		return rc;
	stream_buf_free(&b->text);
	stream_buf_free(&b->json);
	b->stopped = true;
	s->n_open--;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Dispatch                                                             */

static const struct stream_event_rule stream_events[] = {
	{ "message_start", stream_on_message_start, false },
	{ "content_block_start", stream_on_block_start, true },
	{ "content_block_delta", stream_on_block_delta, true },
	{ "content_block_stop", stream_on_block_stop, true },
	{ "message_delta", stream_on_message_delta, true },
	{ "message_stop", stream_on_message_stop, true },
	{ "error", stream_on_error, false },
	{ "ping", NULL, false },
};

static const struct stream_event_rule *
stream_rule(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(stream_events) / sizeof(*stream_events); i++)
		if (strcmp(name, stream_events[i].name) == 0)
			return &stream_events[i];
	return NULL;
}

/* Parse the data of event name into a JSON object. */
static int
stream_parse(struct stream *s, const char *name, const char *data, size_t len,
	     json_t **out)
{
	char q[STREAM_QUOTE_MAX + 4];
	json_error_t jerr;
	json_t *root;

	if (len > STREAM_MAX_BYTES - s->total)
		return stream_fail(s, STREAM_E_TOO_LARGE,
				   "stream data larger than %u bytes",
				   STREAM_MAX_BYTES);
	s->total += len;
	root = json_loadb(data, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
			  &jerr);
	if (!root)
		return stream_fail(s, STREAM_E_JSON,
				   "%s event: data is not valid JSON "
				   "(at byte %ld)",
				   stream_quote(q, name), (long)jerr.position);
	if (!json_is_object(root)) {
		json_decref(root);
		return stream_fail(s, STREAM_E_PROTOCOL,
				   "%s event: data is not a JSON object",
				   stream_quote(q, name));
	}
	*out = root;
	return 0;
}

/*
 * Which rule handles this event: by name, or by the data's "type" for an
 * unnamed event. A named event whose data carries another type is
 * refused. *rule is NULL for an event to ignore.
 */
static int
stream_resolve(struct stream *s, const char *name, json_t *root,
	       const struct stream_event_rule **rule)
{
	const char *type = json_string_value(json_object_get(root, "type"));
	char q1[STREAM_QUOTE_MAX + 4], q2[STREAM_QUOTE_MAX + 4];

	if (!*rule) {
		*rule = type ? stream_rule(type) : NULL;
		return 0;
	}
	if (type && strcmp(type, (*rule)->name) != 0)
		return stream_fail(s, STREAM_E_PROTOCOL,
				   "%s event carries type %s",
				   stream_quote(q1, name),
				   stream_quote(q2, type));
	return 0;
}

static int
stream_dispatch(struct stream *s, const struct stream_event_rule *rule,
		json_t *root)
{
	if (!rule || !rule->fn)
		return 0;
	if (s->done)
		return stream_fail(s, STREAM_E_PROTOCOL,
				   "%s after message_stop", rule->name);
	if (rule->needs_message && !s->message)
		return stream_fail(s, STREAM_E_PROTOCOL,
				   "%s before message_start", rule->name);
	return rule->fn(s, root);
}

int
stream_event(struct stream *s, const char *event, const char *data, size_t len)
{
	const struct stream_event_rule *rule;
	json_t *root = NULL;
	int rc;

	if (s->error)
		return s->error;
	rule = stream_rule(event);
	if (rule ? !rule->fn : strcmp(event, "message") != 0)
		return 0; /* ping, unknown event */
	rc = stream_parse(s, event, data, len, &root);
	if (rc == 0)
		rc = stream_resolve(s, event, root, &rule);
	if (rc == 0)
		rc = stream_dispatch(s, rule, root);
	json_decref(root);
	return rc;
}

int
stream_on_sse(void *s, const char *event, const char *data, size_t len)
{
	return stream_event(s, event, data, len);
}

/* ------------------------------------------------------------------ */
/* Life cycle and accessors                                             */

struct stream *
stream_new(void)
{
	return calloc(1, sizeof(struct stream));
}

bool
stream_done(const struct stream *s)
{
	return s->done && !s->error;
}

json_t *
stream_take_message(struct stream *s)
{
	json_t *msg;

	if (!stream_done(s))
		return NULL;
	msg = s->message;
	s->message = NULL;
	s->content = NULL;
	return msg;
}

const char *
stream_error(const struct stream *s)
{
	return s->error ? s->err : NULL;
}

const char *
stream_api_error_type(const struct stream *s)
{
	return s->api_type;
}

const char *
stream_api_error_message(const struct stream *s)
{
	return s->api_message;
}

void
stream_free(struct stream *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n_blocks; i++) {
		stream_buf_free(&s->blocks[i].text);
		stream_buf_free(&s->blocks[i].json);
	}
	free(s->blocks);
	json_decref(s->message);
	free(s->api_type);
	free(s->api_message);
	free(s);
}
