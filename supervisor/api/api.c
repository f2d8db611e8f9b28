/*
 * api.c - Messages API calls on the event loop. See api.h for the design
 * note; the retry rules themselves are in retry.c.
 */
#include "supervisor/api/api.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "common/utf8.h"
#include "config.h"
#include "supervisor/api/retry.h"
#include "supervisor/api/sse.h"
#include "supervisor/api/stream.h"

#define API_ERRBODY_MAX (1u << 20)
#define API_SSE_EVENT_MAX (16u << 20)

struct api {
	struct loop *loop;
	char *base_url;
	char *version_hdr;
	char *beta_hdr; /* anthropic-beta, or NULL */
	char *key_hdr;  /* "x-api-key: ..." wiped at free */
	struct api_config cfg;
	uint64_t backoff_until;  /* shared: no attempt starts before */
	struct api_call **calls; /* live calls, for completion lookup */
	size_t n_calls, cap_calls;
};

struct api_call {
	struct api *api;
	char *url;
	char *body; /* NULL for GET */
	bool is_get;
	char tag[64];
	struct evlog *events;
	api_done_fn fn;
	void *ctx;
	struct rec_conv *conv; /* its conversation in the recording */
	struct rec_call *rc;   /* the call being recorded or replayed */
	CURL *easy;
	struct curl_slist *hdrs;
	uint64_t timer;
	uint64_t first_start, attempt_start;
	uint64_t last_byte; /* when the attempt last received a byte */
	unsigned attempt;   /* attempts made so far */
	struct retry_hints hints;
	/* response of the current attempt */
	bool is_sse;
	struct sse_parser *sse;
	struct stream *stream;
	char *raw; /* non-SSE body */
	size_t raw_len, raw_cap, raw_max;
	bool overflow;
	/* the attempt's 200 answer failed our checks (parse or validate) */
	bool malformed;
	/* "type: message" of the previous attempt when it was malformed */
	char last_malformed[sizeof(((struct api_reply *)0)->error_type) +
			    sizeof(((struct api_reply *)0)->error_message) + 2];
	struct api_reply reply;
};

static void start_attempt(struct api_call *c);

const char *
api_outcome_name(enum api_outcome o)
{
	static const char *const n[] = {
		"ok",
		"authentication_error",
		"permission_error",
		"not_found_error",
		"invalid_request",
		"spend_limit",
		"retries_exhausted",
		"cancelled",
		"server_error",
		"replay_mismatch",
		"recording_failed",
		"bad_response",
	};

	return (unsigned)o < sizeof(n) / sizeof(n[0]) ? n[o] : "unknown";
}

static double
jitter(void)
{
	uint32_t r = 0;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
		r = (uint32_t)loop_now_ms();
	return (double)r / 4294967296.0;
}

/* A key may travel over https, or over http to this machine only. */
static bool
url_is_safe(const char *url)
{
	static const char *const loopback[] = {
		"http://127.",
		"http://localhost:",
		"http://localhost/",
		"http://[::1]",
	};

	if (strncmp(url, "https://", 8) == 0)
		return true;
	for (size_t i = 0; i < sizeof(loopback) / sizeof(*loopback); i++)
		if (strncmp(url, loopback[i], strlen(loopback[i])) == 0)
			return true;
	return strcmp(url, "http://localhost") == 0;
}

static void on_curl_done(struct loop *l, CURLMsg *msg, void *ctx);

static bool
replaying(const struct api *a)
{
	return a->cfg.rec && rec_mode(a->cfg.rec) == REC_REPLAY;
}

struct api *
api_new(struct loop *l, const struct api_config *cfg, char *err, size_t errlen)
{
	bool replay = cfg->rec && rec_mode(cfg->rec) == REC_REPLAY;
	struct api *a;
	size_t n;

	if (!replay && !cfg->key) {
		snprintf(err, errlen, "no API key");
		return NULL;
	}
	if (!replay && !url_is_safe(cfg->base_url)) {
		snprintf(err, errlen,
			 "ANTHROPIC_BASE_URL %s: the key is only "
			 "sent over https, or over http to a loopback address",
			 cfg->base_url);
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (!a)
		goto nomem;
	a->loop = l;
	a->cfg = *cfg;
	a->base_url = strdup(cfg->base_url);
	if (!a->base_url)
		goto nomem;
	n = strlen(a->base_url);
	while (n > 0 && a->base_url[n - 1] == '/')
		a->base_url[--n] = 0;
	a->cfg.key = NULL; /* only its header is kept */
	if (asprintf(&a->version_hdr, "anthropic-version: %s", cfg->version) <
		    0 ||
	    (!replay && asprintf(&a->key_hdr, "x-api-key: %s",
				 secret_value(cfg->key)) < 0) ||
	    (cfg->beta &&
	     asprintf(&a->beta_hdr, "anthropic-beta: %s", cfg->beta) < 0))
		goto nomem;
	loop_on_curl_done(l, on_curl_done, a);
	return a;
nomem:
	snprintf(err, errlen, "out of memory");
	api_free(a);
	return NULL;
}

void
api_free(struct api *a)
{
	if (!a)
		return;
	/* Off the list first: call_free() then has nothing to untrack. */
	while (a->n_calls > 0)
		api_call_cancel(a->calls[--a->n_calls]);
	if (a->key_hdr) {
		explicit_bzero(a->key_hdr, strlen(a->key_hdr));
		free(a->key_hdr);
	}
	free(a->version_hdr);
	free(a->beta_hdr);
	free(a->base_url);
	free(a->calls);
	free(a);
}

static int
track(struct api *a, struct api_call *c)
{
	if (a->n_calls == a->cap_calls) {
		size_t cap = a->cap_calls ? a->cap_calls * 2 : 16;
		/* NOLINTNEXTLINE(bugprone-sizeof-expression): pointers */
		struct api_call **p = realloc(a->calls, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		a->calls = p;
		a->cap_calls = cap;
	}
	a->calls[a->n_calls++] = c;
	return 0;
}

static void
untrack(struct api *a, struct api_call *c)
{
	for (size_t i = 0; i < a->n_calls; i++) {
		if (a->calls[i] == c) {
			a->calls[i] = a->calls[--a->n_calls];
			return;
		}
	}
}

/* Wipe the header list (it holds the key) and free it. */
static void
free_headers(struct curl_slist *h)
{
	for (struct curl_slist *p = h; p; p = p->next)
		explicit_bzero(p->data, strlen(p->data));
	curl_slist_free_all(h);
}

/* Drop everything of the current attempt. */
static void
end_attempt(struct api_call *c)
{
	if (c->easy) {
		curl_multi_remove_handle(loop_multi(c->api->loop), c->easy);
		curl_easy_cleanup(c->easy);
		c->easy = NULL;
	}
	free_headers(c->hdrs);
	c->hdrs = NULL;
	sse_free(c->sse);
	c->sse = NULL;
	stream_free(c->stream);
	c->stream = NULL;
	free(c->raw);
	c->raw = NULL;
	c->raw_len = c->raw_cap = 0;
	c->overflow = false;
	c->is_sse = false;
	c->malformed = false;
}

static void
call_free(struct api_call *c)
{
	end_attempt(c);
	rec_call_drop(c->rc);
	if (c->timer)
		loop_cancel_timer(c->api->loop, c->timer);
	response_clear(&c->reply.resp);
	json_decref(c->reply.message);
	untrack(c->api, c);
	free(c->url);
	free(c->body);
	free(c);
}

void
api_call_cancel(struct api_call *c)
{
	if (c)
		call_free(c);
}

static void event(struct api_call *c, const char *level, const char *name,
		  json_t *f);

/* --record: the call's line; a failure ends the call recording_failed. */
static enum api_outcome
record_call(struct api_call *c, enum api_outcome o)
{
	char err[400];

	if (!c->rc ||
	    rec_call_end(c->rc, api_outcome_name(o), err, sizeof(err)) == 0) {
		c->rc = NULL;
		return o;
	}
	c->rc = NULL;
	snprintf(c->reply.error_type, sizeof(c->reply.error_type),
		 "recording_failed");
	snprintf(c->reply.error_message, sizeof(c->reply.error_message), "%s",
		 err);
	event(c, "error", "api_call_completed",
	      json_pack("{s:s,s:s,s:s}", "error_type", "recording_failed",
			"message", err, "outcome",
			api_outcome_name(API_E_RECORDING)));
	return API_E_RECORDING;
}

static void
finish(struct api_call *c, enum api_outcome o)
{
	o = record_call(c, o);
	c->reply.outcome = o;
	c->reply.attempts = c->attempt;
	c->fn(c->ctx, &c->reply);
	call_free(c);
}

static void
event(struct api_call *c, const char *level, const char *name, json_t *f)
{
	if (!f)
		return;
	json_object_set_new(f, "agent", json_string(c->tag));
	json_object_set_new(f, "attempt", json_integer(c->attempt));
	evlog_emit(c->events, level, name, f);
}

static size_t
append_raw(struct api_call *c, const char *p, size_t n)
{
	if (c->raw_len + n > c->raw_max) {
		c->overflow = true;
		return 0; /* makes curl fail the transfer: CURLE_WRITE_ERROR */
	}
	if (!c->raw || c->raw_len + n + 1 > c->raw_cap) {
		size_t cap = (c->raw_len + n + 1) * 2;
		char *q = realloc(c->raw, cap);

		if (!q)
			return 0;
		c->raw = q;
		c->raw_cap = cap;
	}
	memcpy(c->raw + c->raw_len, p, n);
	c->raw_len += n;
	c->raw[c->raw_len] = 0;
	return n;
}

/*
 * Called by curl about once a second during a transfer: an attempt that
 * has received no byte for --idle-timeout ends here (CURLE_ABORTED_BY_
 * CALLBACK, judged a timeout). Exact to a second, where curl's own
 * low-speed check averages over a window and ends it up to twice as late
 * (CURLOPT_LOW_SPEED_* stays as a backstop).
 */
static int
on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
	    curl_off_t ulnow)
{
	struct api_call *c = ud;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return loop_now_ms() - c->last_byte >=
			       (uint64_t)c->api->cfg.idle_timeout_s * 1000u ?
		       1 :
		       0;
}

/* n bytes of the body of a response with status: n, or 0 to stop. */
static size_t
take_body(struct api_call *c, const char *p, size_t n, long status)
{
	if (!c->sse && !c->raw) {
		c->is_sse = status == 200 && c->api->cfg.stream && !c->is_get;
		c->raw_max = status == 200 ? RESPONSE_MAX_BODY :
					     API_ERRBODY_MAX;
		if (c->is_sse) {
			c->sse = sse_new(API_SSE_EVENT_MAX);
			c->stream = stream_new();
			if (!c->sse || !c->stream)
				return 0;
		}
	}
	if (!c->is_sse)
		return append_raw(c, p, n);
	/* a stream error stops the transfer; on_done reads the reason */
	return sse_feed(c->sse, p, n, stream_on_sse, c->stream) == 0 ? n : 0;
}

static size_t
on_write(char *p, size_t size, size_t nmemb, void *ud)
{
	struct api_call *c = ud;
	size_t n = size * nmemb;
	long status = 0;

	c->last_byte = loop_now_ms();
	curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
	/* kept before it is judged: a replay feeds the same bytes */
	if (c->rc && rec_attempt_body(c->rc, p, n) < 0)
		return 0;
	return take_body(c, p, n, status);
}

static size_t
on_header(char *p, size_t size, size_t nmemb, void *ud)
{
	struct api_call *c = ud;
	size_t n = size * nmemb;

	c->last_byte = loop_now_ms();
	retry_parse_header(&c->hints, p, n, time(NULL));
	if (c->rc)
		rec_attempt_header(c->rc, p, n);
	return n;
}

static struct curl_slist *
make_headers(struct api_call *c)
{
	struct curl_slist *h = NULL, *t;
	const char *lines[] = {
		c->api->key_hdr,
		c->api->version_hdr,
		"content-type: application/json",
		"accept: application/json",
		("user-agent: gao-dev/" GAO_DEV_VERSION),
		"expect:",
	};

	for (size_t i = 0; i < sizeof(lines) / sizeof(*lines) + 1; i++) {
		const char *line = i < sizeof(lines) / sizeof(*lines) ?
					   lines[i] :
					   c->api->beta_hdr;

		if (!line)
			break;
		t = curl_slist_append(h, line);
		if (!t) {
			free_headers(h);
			return NULL;
		}
		h = t;
	}
	return h;
}

static int
setup_easy(struct api_call *c)
{
	const struct api_config *cfg = &c->api->cfg;
	CURL *e = curl_easy_init();

	c->easy = e;
	c->hdrs = make_headers(c);
	if (!e || !c->hdrs)
		return -ENOMEM;
	curl_easy_setopt(e, CURLOPT_URL, c->url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, c->hdrs);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, cfg->connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, cfg->idle_timeout_s * 2);
	curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(e, CURLOPT_XFERINFODATA, c);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, c);
	curl_easy_setopt(e, CURLOPT_PRIVATE, c);
	if (!c->is_get) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, c->body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)strlen(c->body));
	}
	return 0;
}

static void
on_timer(struct loop *l, void *ctx)
{
	struct api_call *c = ctx;

	(void)l;
	c->timer = 0;
	start_attempt(c);
}

static void replay_attempt(struct api_call *c);
static bool call_begin(struct api_call *c);

static void
start_attempt(struct api_call *c)
{
	struct api *a = c->api;
	uint64_t now = loop_now_ms();

	if (c->attempt == 0 && !call_begin(c))
		return;
	if (replaying(a)) {
		replay_attempt(c);
		return;
	}
	if (a->backoff_until > now) {
		c->reply.waited_ms += a->backoff_until - now;
		c->timer = loop_add_timer(a->loop, a->backoff_until - now,
					  on_timer, c);
		if (c->timer)
			return;
	}
	c->attempt++;
	c->attempt_start = now;
	c->last_byte = now;
	retry_hints_init(&c->hints);
	if ((c->rc && rec_attempt_begin(c->rc) < 0) || setup_easy(c) < 0 ||
	    curl_multi_add_handle(loop_multi(a->loop), c->easy) != CURLM_OK) {
		snprintf(c->reply.error_type, sizeof(c->reply.error_type),
			 "local_error");
		snprintf(c->reply.error_message, sizeof(c->reply.error_message),
			 "out of memory");
		end_attempt(c);
		finish(c, API_E_EXHAUSTED);
		return;
	}
	event(c, "info", "api_call_started",
	      json_pack("{s:s,s:s}", "method", c->is_get ? "GET" : "POST",
			"path", c->url + strlen(a->base_url)));
}

static struct api_call *
call_new(struct api *a, const char *path, const char *body,
	 struct evlog *events, const char *tag, struct rec_conv *conv,
	 api_done_fn fn, void *ctx)
{
	struct api_call *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->api = a;
	c->events = events;
	c->fn = fn;
	c->ctx = ctx;
	c->conv = conv;
	c->is_get = body == NULL;
	snprintf(c->tag, sizeof(c->tag), "%s", tag ? tag : "");
	if (asprintf(&c->url, "%s%s", a->base_url, path) < 0) {
		c->url = NULL;
		goto fail;
	}
	if (body && !(c->body = strdup(body)))
		goto fail;
	if (track(a, c) < 0)
		goto fail;
	c->first_start = loop_now_ms();
	/* the first attempt starts from the loop: a failure to start it
	 * answers through the callback, never before the caller holds c */
	c->timer = loop_add_timer(a->loop, 0, on_timer, c);
	if (!c->timer) {
		untrack(a, c);
		goto fail;
	}
	return c;
fail:
	free(c->url);
	free(c->body);
	free(c);
	return NULL;
}

struct api_call *
api_messages(struct api *a, const char *body, struct evlog *events,
	     const char *tag, struct rec_conv *conv, api_done_fn fn, void *ctx)
{
	return call_new(a, "/v1/messages", body, events, tag, conv, fn, ctx);
}

struct api_call *
api_get(struct api *a, const char *path, struct evlog *events, api_done_fn fn,
	void *ctx)
{
	return call_new(a, path, NULL, events, "", NULL, fn, ctx);
}

enum verdict { V_OK, V_RETRY, V_FATAL };

static void
set_error(struct api_call *c, const char *type, const char *msg)
{
	snprintf(c->reply.error_type, sizeof(c->reply.error_type), "%s",
		 type ? type : "");
	/* a long message is cut: the reply's field is bounded */
	utf8_copy(c->reply.error_message, sizeof(c->reply.error_message),
		  msg ? msg : "");
}

static bool
retryable_type(const char *t)
{
	return t && (strcmp(t, "overloaded_error") == 0 ||
		     strcmp(t, "api_error") == 0 ||
		     strcmp(t, "rate_limit_error") == 0 ||
		     strcmp(t, "timeout_error") == 0);
}

/* A transfer that curl could not finish. */
static enum verdict
judge_transport(struct api_call *c, CURLcode res, enum api_outcome *o)
{
	if (c->is_sse && c->stream && stream_api_error_type(c->stream)) {
		set_error(c, stream_api_error_type(c->stream),
			  stream_api_error_message(c->stream));
		*o = API_E_REQUEST;
		return retryable_type(c->reply.error_type) ? V_RETRY : V_FATAL;
	}
	if (c->is_sse && c->stream && stream_error(c->stream)) {
		set_error(c, "stream_error", stream_error(c->stream));
		c->malformed = true; /* the parser refused what came */
		return V_RETRY;
	}
	if (c->overflow) {
		set_error(c, "response_too_large", "response body too large");
		*o = API_E_REQUEST;
		return V_FATAL;
	}
	if (res == CURLE_ABORTED_BY_CALLBACK ||
	    (res == CURLE_OPERATION_TIMEDOUT && c->reply.http_status > 0)) {
		char msg[160];

		/* on_progress, or the low-speed backstop once an answer began
		 */
		snprintf(msg, sizeof(msg),
			 "%s: no byte for %ld s (--idle-timeout)",
			 c->reply.http_status > 0 ? "the answer stalled" :
						    "no answer came",
			 c->api->cfg.idle_timeout_s);
		set_error(c, "timeout", msg);
		return V_RETRY;
	}
	if (c->is_sse && c->stream) {
		char msg[256];

		snprintf(msg, sizeof(msg),
			 "stream cut before message_stop "
			 "(%s)",
			 curl_easy_strerror(res));
		set_error(c, "stream_error", msg);
		return V_RETRY;
	}
	set_error(c, "connection_error", curl_easy_strerror(res));
	return V_RETRY;
}

/* HTTP 200: a whole, valid message (or any body for a GET). */
static enum verdict
judge_success(struct api_call *c)
{
	char err[256] = "";
	int rc;

	if (c->is_get)
		return V_OK;
	if (c->is_sse) {
		if (!stream_done(c->stream)) {
			set_error(c, "stream_error",
				  "stream ended before message_stop");
			return V_RETRY;
		}
		c->reply.message = stream_take_message(c->stream);
		rc = c->reply.message ? response_from_json(c->reply.message,
							   &c->reply.resp, err,
							   sizeof(err)) :
					-1;
	} else {
		rc = response_parse(c->raw ? c->raw : "", c->raw_len,
				    &c->reply.resp, err, sizeof(err));
		if (rc == 0)
			c->reply.message = json_loadb(c->raw, c->raw_len,
						      JSON_ALLOW_NUL, NULL);
	}
	if (rc == 0 && c->reply.message)
		return V_OK;
	set_error(c, "invalid_response", err[0] ? err : "invalid message");
	c->malformed = true;
	return V_RETRY;
}

static enum api_outcome
fatal_outcome(long status)
{
	switch (status) {
	case 401:
		return API_E_AUTH;
	case 403:
		return API_E_PERMISSION;
	case 404:
		return API_E_NOT_FOUND;
	default:
		return retry_status_retryable(status) ? API_E_EXHAUSTED :
							API_E_REQUEST;
	}
}

/* Append text to the reply's error message (cut to fit). */
static void
add_to_message(struct api_call *c, const char *text)
{
	size_t n = strlen(c->reply.error_message);

	snprintf(c->reply.error_message + n, sizeof(c->reply.error_message) - n,
		 "%s", text);
}

/*
 * What the user can change when the API refuses a request: the message
 * names the option (docs/api-client.md: 400/413 and an unknown model).
 */
static void
add_hint(struct api_call *c, long status)
{
	const char *m = c->reply.error_message;

	if (c->is_get)
		return;
	if (status == 404 && strstr(m, "model"))
		add_to_message(c, " (choose another model with --model)");
	else if (status == 400 && strstr(m, "max_tokens"))
		add_to_message(c, " (lower --max-output-tokens)");
	else if (status == 400 && strstr(m, "anthropic-version"))
		add_to_message(c, " (see --anthropic-version)");
	else if (status == 413)
		add_to_message(c, " (the conversation outgrew the API's "
				  "request size: lower --max-turns)");
}

static enum verdict
judge_status(struct api_call *c, long status, enum api_outcome *o)
{
	char *type = NULL, *msg = NULL;
	bool retry;

	if (response_parse_error(c->raw ? c->raw : "", c->raw_len, &type,
				 &msg) == 0)
		set_error(c, type, msg);
	else
		set_error(c, "http_error", "response without an error body");
	free(type);
	free(msg);
	retry = c->hints.should_retry >= 0 ? c->hints.should_retry == 1 :
					     retry_status_retryable(status);
	if (status == 429 && c->hints.retry_after_ms < 0 &&
	    strcasestr(c->reply.error_message, "spend")) {
		*o = API_E_SPEND_LIMIT;
		return V_FATAL;
	}
	*o = fatal_outcome(status);
	if (!retry && retry_status_retryable(status)) {
		/* x-should-retry: false on a status worth retrying */
		add_to_message(c, " (the API said not to retry: "
				  "x-should-retry: false)");
		*o = status >= 500 ? API_E_SERVER : API_E_REQUEST;
	}
	add_hint(c, status);
	return retry ? V_RETRY : V_FATAL;
}

/* Respect rate-limit headers: nothing left means wait for the reset. */
static void
note_rate_limits(struct api_call *c)
{
	struct api *a = c->api;
	time_t now = time(NULL);

	if (c->hints.rl_remaining == 0 && c->hints.rl_reset > now) {
		uint64_t until = loop_now_ms() +
				 (uint64_t)(c->hints.rl_reset - now) * 1000u;

		if (until > a->backoff_until)
			a->backoff_until = until;
	}
}

/* No more attempts: say why in the message, then end the call. */
static void
give_up(struct api_call *c, enum api_outcome fatal, uint64_t delay)
{
	const struct api_config *cfg = &c->api->cfg;
	char why[160];

	if (replaying(c->api)) /* the recording's attempts, not ours */
		snprintf(why, sizeof(why),
			 " (gave up after %u attempt%s, as the recording did)",
			 c->attempt, c->attempt == 1 ? "" : "s");
	else if (c->attempt > cfg->max_retries)
		snprintf(why, sizeof(why),
			 " (gave up after %u attempt%s: "
			 "--max-retries %u)",
			 c->attempt, c->attempt == 1 ? "" : "s",
			 cfg->max_retries);
	else
		snprintf(why, sizeof(why),
			 " (gave up after %u attempt%s: "
			 "waiting %.1f s more would pass --retry-budget %g s)",
			 c->attempt, c->attempt == 1 ? "" : "s",
			 (double)delay / 1000.0, cfg->retry_budget_s);
	add_to_message(c, why);
	if (fatal == API_OK)
		fatal = API_E_EXHAUSTED;
	event(c, "error", "api_call_completed",
	      json_pack("{s:I,s:s,s:I,s:s,s:s,s:s,s:b}", "status",
			(json_int_t)c->reply.http_status, "request_id",
			c->reply.request_id, "latency_ms",
			(json_int_t)c->reply.latency_ms, "error_type",
			c->reply.error_type, "message", c->reply.error_message,
			"outcome", api_outcome_name(fatal), "retried",
			c->attempt > 1));
	finish(c, fatal);
}

/*
 * Replaying: the recording decides, not the clock. The recorded delay
 * counts as waited (not waited now); another attempt comes when the
 * recording has one.
 */
static void
replay_retry_or_give_up(struct api_call *c, enum api_outcome fatal)
{
	const struct rec_attempt *at = rec_call_attempt(c->rc,
							(size_t)c->attempt - 1);
	uint64_t delay = at ? at->delay_ms : 0;

	if (c->attempt >= rec_call_n_attempts(c->rc)) {
		give_up(c, fatal, delay);
		return;
	}
	event(c, "warn", "api_call_retried",
	      json_pack("{s:I,s:s,s:s,s:s,s:I,s:I}", "status",
			(json_int_t)c->reply.http_status, "request_id",
			c->reply.request_id, "error_type", c->reply.error_type,
			"message", c->reply.error_message, "latency_ms",
			(json_int_t)c->reply.latency_ms, "delay_ms",
			(json_int_t)delay));
	c->reply.waited_ms += delay;
	c->timer = loop_add_timer(c->api->loop, 0, on_timer, c);
	if (!c->timer)
		finish(c, API_E_EXHAUSTED);
}

static void
retry_or_give_up(struct api_call *c, enum api_outcome fatal)
{
	struct api *a = c->api;
	uint64_t delay = retry_delay_ms(&c->hints, c->attempt - 1, jitter());
	double budget_ms = a->cfg.retry_budget_s * 1000.0;
	long status = c->reply.http_status;

	if (replaying(a)) {
		replay_retry_or_give_up(c, fatal);
		return;
	}
	if (c->attempt > a->cfg.max_retries ||
	    (double)(c->reply.waited_ms + delay) > budget_ms) {
		give_up(c, fatal, delay);
		return;
	}
	if (c->rc)
		rec_attempt_delay(c->rc, delay);
	if (status == 429 || status == 529) {
		uint64_t until = loop_now_ms() + delay;

		if (until > a->backoff_until)
			a->backoff_until = until;
	}
	event(c, "warn", "api_call_retried",
	      json_pack("{s:I,s:s,s:s,s:s,s:I,s:I}", "status",
			(json_int_t)status, "request_id", c->reply.request_id,
			"error_type", c->reply.error_type, "message",
			c->reply.error_message, "latency_ms",
			(json_int_t)c->reply.latency_ms, "delay_ms",
			(json_int_t)delay));
	c->reply.waited_ms += delay;
	c->timer = loop_add_timer(a->loop, delay, on_timer, c);
	if (!c->timer)
		finish(c, API_E_EXHAUSTED);
}

static void
completed_event(struct api_call *c)
{
	const struct api_usage *u = &c->reply.resp.usage;

	event(c, "info", "api_call_completed",
	      json_pack("{s:I,s:s,s:I,s:s?,s:I,s:I,s:I,s:I}", "status",
			(json_int_t)c->reply.http_status, "request_id",
			c->reply.request_id, "latency_ms",
			(json_int_t)c->reply.latency_ms, "stop_reason",
			c->reply.resp.stop_reason, "input_tokens",
			(json_int_t)u->input_tokens, "output_tokens",
			(json_int_t)u->output_tokens,
			"cache_creation_input_tokens",
			(json_int_t)u->cache_creation_input_tokens,
			"cache_read_input_tokens",
			(json_int_t)u->cache_read_input_tokens));
}

/*
 * A stream that reached message_stop holds the whole message even if the
 * connection failed after it (a missing last chunk): no need to ask again.
 */
static bool
stream_whole(const struct api_call *c)
{
	return c->is_sse && c->stream && stream_done(c->stream) &&
	       !stream_error(c->stream) && !stream_api_error_type(c->stream);
}

/*
 * A 200 whose answer our checks refused is retried once; refused again
 * for exactly the same reason (the error text holds the position), it is
 * the API's answer, not a transient fault: no more attempts are spent on
 * it. Live and replay alike (replay_attempt goes through attempt_done).
 * A status error (429, 5xx, 529), a cut or a reset are never "the same".
 */
static bool
same_bad_answer(struct api_call *c)
{
	char now[sizeof(c->last_malformed)];
	char why[160];

	if (!c->malformed) {
		c->last_malformed[0] = '\0';
		return false;
	}
	snprintf(now, sizeof(now), "%s: %s", c->reply.error_type,
		 c->reply.error_message);
	if (!c->last_malformed[0] || strcmp(now, c->last_malformed) != 0) {
		memcpy(c->last_malformed, now, sizeof(now));
		return false;
	}
	snprintf(why, sizeof(why),
		 " (the API gave the same malformed answer on attempts %u "
		 "and %u)",
		 c->attempt - 1, c->attempt);
	add_to_message(c, why);
	return true;
}

/* An attempt ended with curl's result res and HTTP status. */
static void
attempt_done(struct api_call *c, CURLcode res, long status)
{
	enum api_outcome fatal = API_OK;
	enum verdict v;

	c->reply.http_status = status;
	c->reply.latency_ms = loop_now_ms() - c->attempt_start;
	memcpy(c->reply.request_id, c->hints.request_id,
	       sizeof(c->reply.request_id));
	if (c->rc && !replaying(c->api))
		rec_attempt_end(c->rc, status, (int)res, c->overflow);
	if (!replaying(c->api))
		note_rate_limits(c);
	if (res != CURLE_OK && !stream_whole(c))
		v = judge_transport(c, res, &fatal);
	else if (status == 200)
		v = judge_success(c);
	else
		v = judge_status(c, status, &fatal);
	if (v == V_RETRY && same_bad_answer(c)) {
		v = V_FATAL;
		fatal = API_E_BAD_RESPONSE;
	}
	end_attempt(c);
	if (v == V_OK) {
		completed_event(c);
		finish(c, API_OK);
	} else if (v == V_RETRY) {
		retry_or_give_up(c, fatal);
	} else {
		event(c, "error", "api_call_completed",
		      json_pack("{s:I,s:s,s:I,s:s,s:s,s:s}", "status",
				(json_int_t)status, "request_id",
				c->reply.request_id, "latency_ms",
				(json_int_t)c->reply.latency_ms, "error_type",
				c->reply.error_type, "message",
				c->reply.error_message, "outcome",
				api_outcome_name(fatal)));
		finish(c, fatal);
	}
}

static void
on_curl_done(struct loop *l, CURLMsg *msg, void *ctx)
{
	struct api_call *c = NULL;
	long status = 0;

	(void)l;
	(void)ctx;
	curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&c);
	if (!c)
		return;
	curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
	attempt_done(c, msg->data.result, status);
}

/* A call no recording can answer: it fails closed, nothing is sent. */
static void
replay_miss(struct api_call *c, const char *why)
{
	set_error(c, "replay_mismatch", why);
	event(c, "error", "api_call_completed",
	      json_pack("{s:s,s:s,s:s}", "error_type", "replay_mismatch",
			"message", c->reply.error_message, "outcome",
			api_outcome_name(API_E_REPLAY_MISS)));
	finish(c, API_E_REPLAY_MISS);
}

/*
 * Before the first attempt: the call's place in the recording. Recording,
 * a new call; replaying, the recorded one matched against the request
 * (a miss ends the call). False when the call has ended.
 */
static bool
call_begin(struct api_call *c)
{
	char err[PATH_MAX + 400], why[PATH_MAX + 700], name[256];
	const json_t *d;
	json_t *diff;
	size_t i;

	if (!c->api->cfg.rec)
		return true;
	if (!c->conv) {
		if (replaying(c->api)) {
			replay_miss(c, "replay: this call is never recorded "
				       "(no conversation)");
			return false;
		}
		return true;
	}
	rec_conv_name(c->conv, name, sizeof(name));
	c->rc = rec_call_begin(c->conv, c->body ? c->body : "{}", err,
			       sizeof(err));
	if (!c->rc) {
		snprintf(why, sizeof(why), "%s: %s, turn %u: %s",
			 replaying(c->api) ? "replay" : "record", name,
			 rec_conv_turn(c->conv) + 1, err);
		if (replaying(c->api))
			replay_miss(c, why);
		else {
			set_error(c, "recording_failed", why);
			finish(c, API_E_RECORDING);
		}
		return false;
	}
	d = rec_call_differences(c->rc);
	c->reply.replay_differences = (unsigned)json_array_size(d);
	json_array_foreach(d, i, diff)
		event(c, "warn", "replay_difference",
		      json_pack("{s:s,s:I,s:O}", "conversation", name, "turn",
				(json_int_t)rec_call_turn(c->rc), "difference",
				diff));
	return true;
}

/* Replaying: the next recorded attempt, through the live path's judges. */
static void
replay_attempt(struct api_call *c)
{
	const struct rec_attempt *at = rec_call_attempt(c->rc,
							(size_t)c->attempt);
	time_t now = time(NULL);
	CURLcode res;

	if (!at) { /* replay_retry_or_give_up never asks past the last */
		finish(c, API_E_EXHAUSTED);
		return;
	}
	c->attempt++;
	c->attempt_start = loop_now_ms();
	retry_hints_init(&c->hints);
	event(c, "info", "api_call_started",
	      json_pack("{s:s,s:s,s:b}", "method", c->is_get ? "GET" : "POST",
			"path", c->url + strlen(c->api->base_url), "replayed",
			1));
	for (size_t i = 0; i < at->n_headers; i++)
		retry_parse_header(&c->hints, at->headers[i],
				   strlen(at->headers[i]), now);
	res = (CURLcode)at->transport;
	/* a short take stopped the live transfer too (its code says so),
	 * unless memory ran out here: then as a live write callback would */
	if (at->body_len &&
	    take_body(c, at->body, at->body_len, at->status) < at->body_len &&
	    res == CURLE_OK)
		res = CURLE_WRITE_ERROR;
	attempt_done(c, res, at->status);
}
