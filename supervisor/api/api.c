/*
 * api.c - Messages API calls on the event loop: a call's life, from its
 * first attempt to its end. See api.h for the design note; api_call.h
 * says which file does what (the transfer, the verdict, the recording);
 * the retry rules themselves are in retry.c.
 */
#include "supervisor/api/api.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "supervisor/api/api_call.h"
#include "supervisor/api/base_url.h"

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
		"tls_error",
		"model_context_window_exceeded",
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

static void on_curl_done(struct loop *l, CURLMsg *msg, void *ctx);

bool
api_replaying(const struct api *a)
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
	if (!replay && !base_url_check(cfg->base_url, err, errlen))
		return NULL;
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

/* Drop everything of the current attempt. */
static void
end_attempt(struct api_call *c)
{
	if (c->easy) {
		curl_multi_remove_handle(loop_multi(c->api->loop), c->easy);
		curl_easy_cleanup(c->easy);
		c->easy = NULL;
	}
	api_xfer_free_headers(c->hdrs);
	c->hdrs = NULL;
	sse_free(c->sse);
	c->sse = NULL;
	stream_free(c->stream);
	c->stream = NULL;
	free(c->raw);
	c->raw = NULL;
	c->raw_len = c->raw_cap = 0;
	c->overflow = false;
	c->sse_error = 0;
	c->header_start = 0;
	c->header_bytes = 0;
	c->headers_done = c->headers_too_large = c->header_timeout = false;
	c->tls_failed = false;
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

void
api_finish(struct api_call *c, enum api_outcome o)
{
	o = api_rec_end(c, o);
	c->reply.outcome = o;
	c->reply.attempts = c->attempt;
	c->fn(c->ctx, &c->reply);
	call_free(c);
}

void
api_event(struct api_call *c, const char *level, const char *name, json_t *f)
{
	if (!f)
		return;
	json_object_set_new(f, "agent", json_string(c->tag));
	json_object_set_new(f, "attempt", json_integer(c->attempt));
	evlog_emit(c->events, level, name, f);
}

void
api_on_timer(struct loop *l, void *ctx)
{
	struct api_call *c = ctx;

	(void)l;
	c->timer = 0;
	start_attempt(c);
}

static void
start_attempt(struct api_call *c)
{
	struct api *a = c->api;
	uint64_t now = loop_now_ms();

	if (c->attempt == 0 && !api_rec_begin(c))
		return;
	if (api_replaying(a)) {
		api_rec_replay_attempt(c);
		return;
	}
	if (a->backoff_until > now) {
		c->reply.waited_ms += a->backoff_until - now;
		c->timer = loop_add_timer(a->loop, a->backoff_until - now,
					  api_on_timer, c);
		if (c->timer)
			return;
	}
	c->attempt++;
	c->attempt_start = now;
	c->last_byte = now;
	retry_hints_init(&c->hints);
	if ((c->rc && rec_attempt_begin(c->rc) < 0) || api_xfer_setup(c) < 0 ||
	    curl_multi_add_handle(loop_multi(a->loop), c->easy) != CURLM_OK) {
		snprintf(c->reply.error_type, sizeof(c->reply.error_type),
			 "local_error");
		snprintf(c->reply.error_message, sizeof(c->reply.error_message),
			 "out of memory");
		end_attempt(c);
		api_finish(c, API_E_EXHAUSTED);
		return;
	}
	api_event(c, "info", "api_call_started",
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
	c->timer = loop_add_timer(a->loop, 0, api_on_timer, c);
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

/* Respect rate-limit headers: nothing left means wait for the reset. */
static void
note_rate_limits(struct api_call *c)
{
	struct api *a = c->api;
	int64_t now_ms = retry_now_ms();
	int64_t reset_ms = (int64_t)c->hints.rl_reset * 1000;

	if (c->hints.rl_remaining == 0 && reset_ms > now_ms) {
		uint64_t until = loop_now_ms() + (uint64_t)(reset_ms - now_ms);

		if (until > a->backoff_until)
			a->backoff_until = until;
	}
}

void
api_give_up(struct api_call *c, enum api_outcome fatal, uint64_t delay)
{
	const struct api_config *cfg = &c->api->cfg;
	char why[160];

	if (api_replaying(c->api)) /* the recording's attempts, not ours */
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
	api_judge_add_to_message(c, why);
	if (fatal == API_OK)
		fatal = API_E_EXHAUSTED;
	api_event(c, "error", "api_call_completed",
		  json_pack("{s:I,s:s,s:I,s:s,s:s,s:s,s:b}", "status",
			    (json_int_t)c->reply.http_status, "request_id",
			    c->reply.request_id, "latency_ms",
			    (json_int_t)c->reply.latency_ms, "error_type",
			    c->reply.error_type, "message",
			    c->reply.error_message, "outcome",
			    api_outcome_name(fatal), "retried",
			    c->attempt > 1));
	api_finish(c, fatal);
}

void
api_retry_after(struct api_call *c, uint64_t delay, uint64_t wait_ms)
{
	api_event(c, "warn", "api_call_retried",
		  json_pack("{s:I,s:s,s:s,s:s,s:I,s:I}", "status",
			    (json_int_t)c->reply.http_status, "request_id",
			    c->reply.request_id, "error_type",
			    c->reply.error_type, "message",
			    c->reply.error_message, "latency_ms",
			    (json_int_t)c->reply.latency_ms, "delay_ms",
			    (json_int_t)delay));
	c->reply.waited_ms += delay;
	c->timer = loop_add_timer(c->api->loop, wait_ms, api_on_timer, c);
	if (!c->timer)
		api_finish(c, API_E_EXHAUSTED);
}

static void
retry_or_give_up(struct api_call *c, enum api_outcome fatal)
{
	struct api *a = c->api;
	uint64_t delay = retry_delay_ms(&c->hints, c->attempt - 1, jitter());
	double budget_ms = a->cfg.retry_budget_s * 1000.0;
	long status = c->reply.http_status;

	if (api_replaying(a)) {
		api_rec_retry_or_give_up(c, fatal);
		return;
	}
	if (c->attempt > a->cfg.max_retries ||
	    (double)(c->reply.waited_ms + delay) > budget_ms) {
		api_give_up(c, fatal, delay);
		return;
	}
	if (c->rc)
		rec_attempt_delay(c->rc, delay);
	if (status == 429 || status == 529) {
		uint64_t until = loop_now_ms() + delay;

		if (until > a->backoff_until)
			a->backoff_until = until;
	}
	api_retry_after(c, delay, delay);
}

static void
completed_event(struct api_call *c)
{
	const struct api_usage *u = &c->reply.resp.usage;

	api_event(c, "info", "api_call_completed",
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

void
api_attempt_done(struct api_call *c, CURLcode res, long status)
{
	enum api_outcome fatal = API_OK;
	enum api_verdict v;

	c->reply.http_status = status;
	c->reply.latency_ms = loop_now_ms() - c->attempt_start;
	memcpy(c->reply.request_id, c->hints.request_id,
	       sizeof(c->reply.request_id));
	if (c->rc && !api_replaying(c->api))
		rec_attempt_end(c->rc, status, (int)res, c->overflow,
				c->headers_too_large ?
					REC_CUT_HEADERS_TOO_LARGE :
				c->header_timeout ? REC_CUT_HEADER_TIMEOUT :
						    REC_CUT_NONE);
	if (!api_replaying(c->api))
		note_rate_limits(c);
	v = api_judge_attempt(c, res, status, &fatal);
	end_attempt(c);
	if (v == API_V_OK) {
		completed_event(c);
		api_finish(c, API_OK);
	} else if (v == API_V_RETRY) {
		retry_or_give_up(c, fatal);
	} else {
		api_event(c, "error", "api_call_completed",
			  json_pack("{s:I,s:s,s:I,s:s,s:s,s:s}", "status",
				    (json_int_t)status, "request_id",
				    c->reply.request_id, "latency_ms",
				    (json_int_t)c->reply.latency_ms,
				    "error_type", c->reply.error_type,
				    "message", c->reply.error_message,
				    "outcome", api_outcome_name(fatal)));
		api_finish(c, fatal);
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
	api_attempt_done(c, msg->data.result, status);
}
