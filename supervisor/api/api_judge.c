/*
 * api_judge.c - the verdict on one finished attempt of an API call.
 *
 * Design note
 * -----------
 * An attempt ends in one of three ways (api_call.h: enum api_verdict): a
 * whole, valid message (OK), a fault worth another attempt (RETRY: a
 * connection error, a timeout, a cut stream, 408/409/429/5xx/529, an
 * answer our checks refused), or an end (FATAL, with its outcome: 401,
 * 403, 404, other 4xx, x-should-retry: false, a spend limit). The order
 * of the checks matters: a transfer curl could not finish is judged by
 * why it stopped (the stream's error event, the parser's refusal, a
 * bound, a timeout) unless the stream already held the whole message;
 * then a 200 by its body, then any other status by its error body and
 * headers.
 *
 * The same bad answer twice: a 200 whose answer our checks refused is
 * retried once; refused again for exactly the same reason (the error text
 * holds the position), it is the API's answer, not a transient fault, and
 * no more attempts are spent on it (API_E_BAD_RESPONSE). Live and replay
 * alike. A status error (429, 5xx, 529), a cut or a reset are never "the
 * same". A response whose headers never end (too long, or not done in
 * time: api_xfer.c) counts as a malformed answer. An SSE event over
 * API_SSE_EVENT_MAX is never retried: no answer within max_tokens comes
 * near 16 MiB, so the peer is broken or hostile, and asking again would
 * only fetch it again (bad_response at once).
 *
 * TLS (tls_error): a certificate that is not trusted (unknown issuer,
 * self-signed, wrong name, pinned key) is final at once, since another
 * attempt meets the same certificate; a handshake that fails (e.g. a
 * plain-HTTP server behind an https:// base URL) is tried once more and
 * ends at the second identical failure, like a bad answer. Verification
 * is never turned off; the message names ANTHROPIC_BASE_URL. Every text
 * that goes into the reply is bounded (cut to fit).
 */
#include <string.h>
#include <strings.h>

#include "common/utf8.h"
#include "supervisor/api/api_call.h"

void
api_judge_set_error(struct api_call *c, const char *type, const char *msg)
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

/* The TLS failures: 1 not trusted, 2 no handshake, 0 not TLS. */
static int
tls_kind(CURLcode res)
{
	switch (res) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
		return 1;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CIPHER:
		return 2;
	default:
		return 0;
	}
}

static enum api_verdict
judge_tls(struct api_call *c, CURLcode res, enum api_outcome *o)
{
	const char *why = c->curl_err[0] ? c->curl_err :
					   curl_easy_strerror(res);
	char msg[400];

	c->tls_failed = true;
	if (tls_kind(res) == 1) {
		snprintf(msg, sizeof(msg),
			 "TLS: the server's certificate is not trusted (%s); "
			 "check ANTHROPIC_BASE_URL (verification is never "
			 "turned off)",
			 why);
		api_judge_set_error(c, "tls_untrusted", msg);
		*o = API_E_TLS;
		return API_V_FATAL;
	}
	snprintf(msg, sizeof(msg),
		 "TLS handshake failed (%s); is ANTHROPIC_BASE_URL an "
		 "https:// server?",
		 why);
	api_judge_set_error(c, "tls_handshake", msg);
	c->malformed = true; /* the second identical failure ends it */
	return API_V_RETRY;
}

/* The bounds of api_xfer.c on the headers and on one SSE event. */
static enum api_verdict
judge_bounds(struct api_call *c, enum api_outcome *o)
{
	char msg[200];

	if (c->headers_too_large) {
		snprintf(msg, sizeof(msg),
			 "the response's headers passed %u KiB without "
			 "ending (a broken server or proxy)",
			 API_HEADERS_MAX >> 10);
		api_judge_set_error(c, "headers_too_large", msg);
		c->malformed = true;
		return API_V_RETRY;
	}
	if (c->header_timeout) {
		snprintf(msg, sizeof(msg),
			 "the response's headers did not end within %ld s "
			 "of its status line (--idle-timeout)",
			 c->api->cfg.idle_timeout_s);
		api_judge_set_error(c, "header_timeout", msg);
		c->malformed = true;
		return API_V_RETRY;
	}
	snprintf(msg, sizeof(msg),
		 "an SSE event passed %u MiB, the client's limit (no answer "
		 "within max_tokens is that large): not retried",
		 API_SSE_EVENT_MAX >> 20);
	api_judge_set_error(c, "event_too_large", msg);
	*o = API_E_BAD_RESPONSE;
	return API_V_FATAL;
}

/* A transfer that curl could not finish. */
static enum api_verdict
judge_transport(struct api_call *c, CURLcode res, enum api_outcome *o)
{
	if (c->is_sse && c->stream && stream_api_error_type(c->stream)) {
		api_judge_set_error(c, stream_api_error_type(c->stream),
				    stream_api_error_message(c->stream));
		*o = API_E_REQUEST;
		return retryable_type(c->reply.error_type) ? API_V_RETRY :
							     API_V_FATAL;
	}
	if (tls_kind(res))
		return judge_tls(c, res, o);
	if (c->headers_too_large || c->header_timeout ||
	    c->sse_error == SSE_E_TOO_LARGE)
		return judge_bounds(c, o);
	if (c->is_sse && c->stream && stream_error(c->stream)) {
		api_judge_set_error(c, "stream_error", stream_error(c->stream));
		c->malformed = true; /* the parser refused what came */
		return API_V_RETRY;
	}
	if (c->overflow) {
		api_judge_set_error(c, "response_too_large",
				    "response body too large");
		*o = API_E_REQUEST;
		return API_V_FATAL;
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
		api_judge_set_error(c, "timeout", msg);
		return API_V_RETRY;
	}
	if (c->is_sse && c->stream) {
		char msg[256];

		snprintf(msg, sizeof(msg),
			 "stream cut before message_stop "
			 "(%s)",
			 curl_easy_strerror(res));
		api_judge_set_error(c, "stream_error", msg);
		return API_V_RETRY;
	}
	api_judge_set_error(c, "connection_error", curl_easy_strerror(res));
	return API_V_RETRY;
}

/* HTTP 200: a whole, valid message (or any body for a GET). */
static enum api_verdict
judge_success(struct api_call *c)
{
	char err[256] = "";
	int rc;

	if (c->is_get)
		return API_V_OK;
	if (c->is_sse) {
		if (!stream_done(c->stream)) {
			api_judge_set_error(c, "stream_error",
					    "stream ended before message_stop");
			return API_V_RETRY;
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
		return API_V_OK;
	api_judge_set_error(c, "invalid_response",
			    err[0] ? err : "invalid message");
	c->malformed = true;
	return API_V_RETRY;
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

void
api_judge_add_to_message(struct api_call *c, const char *text)
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
add_hint(struct api_call *c, long status, enum api_outcome o)
{
	const char *m = c->reply.error_message;

	if (c->is_get)
		return;
	if (status == 404 && strstr(m, "model"))
		api_judge_add_to_message(
			c, " (choose another model with --model)");
	else if (o == API_E_CONTEXT_WINDOW)
		api_judge_add_to_message(c, " (the conversation outgrew the "
					    "model's context window: lower "
					    "--max-turns)");
	else if (status == 400 && strstr(m, "max_tokens"))
		api_judge_add_to_message(c, " (lower --max-output-tokens)");
	else if (status == 400 && strstr(m, "anthropic-version"))
		api_judge_add_to_message(c, " (see --anthropic-version)");
	else if (status == 413)
		api_judge_add_to_message(c,
					 " (the conversation outgrew the API's "
					 "request size: lower --max-turns)");
}

static enum api_verdict
judge_status(struct api_call *c, long status, enum api_outcome *o)
{
	char *type = NULL, *msg = NULL;
	bool retry;

	if (response_parse_error(c->raw ? c->raw : "", c->raw_len, &type,
				 &msg) == 0)
		api_judge_set_error(c, type, msg);
	else
		api_judge_set_error(c, "http_error",
				    "response without an error body");
	free(type);
	free(msg);
	retry = c->hints.should_retry >= 0 ? c->hints.should_retry == 1 :
					     retry_status_retryable(status);
	/* the account's limits: a 429 naming the spend limit (without
	 * retry-after), or the 400s of the usage limit and credit balance */
	if ((status == 429 && c->hints.retry_after_ms < 0 &&
	     strcasestr(c->reply.error_message, "spend")) ||
	    (status == 400 &&
	     (strcasestr(c->reply.error_message, "usage limits") ||
	      strcasestr(c->reply.error_message, "credit balance")))) {
		*o = API_E_SPEND_LIMIT;
		return API_V_FATAL;
	}
	*o = fatal_outcome(status);
	if (status == 400 &&
	    strstr(c->reply.error_message, "prompt is too long"))
		*o = API_E_CONTEXT_WINDOW;
	if (!retry && retry_status_retryable(status)) {
		/* x-should-retry: false on a status worth retrying */
		api_judge_add_to_message(c, " (the API said not to retry: "
					    "x-should-retry: false)");
		*o = status >= 500 ? API_E_SERVER : API_E_REQUEST;
	}
	add_hint(c, status, *o);
	return retry ? API_V_RETRY : API_V_FATAL;
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

/* The same bad answer twice (see the design note); records this one. */
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
		 c->tls_failed ? " (the same failure on attempts %u and %u)" :
				 " (the API gave the same malformed answer on "
				 "attempts %u and %u)",
		 c->attempt - 1, c->attempt);
	api_judge_add_to_message(c, why);
	return true;
}

enum api_verdict
api_judge_attempt(struct api_call *c, CURLcode res, long status,
		  enum api_outcome *fatal)
{
	enum api_verdict v;

	*fatal = API_OK;
	if (res != CURLE_OK && !stream_whole(c))
		v = judge_transport(c, res, fatal);
	else if (status == 200)
		v = judge_success(c);
	else
		v = judge_status(c, status, fatal);
	if (v == API_V_RETRY && same_bad_answer(c)) {
		v = API_V_FATAL;
		*fatal = c->tls_failed ? API_E_TLS : API_E_BAD_RESPONSE;
	}
	return v;
}
