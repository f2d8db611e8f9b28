/*
 * api.h - calls to the Anthropic Messages API over libcurl, on the loop.
 *
 * Design note
 * -----------
 * One struct api per process: it owns the connection settings, the key's
 * header and the back-off shared by every agent (a 429 or 529 seen by one
 * agent delays the next attempt of all of them, and so does a rate-limit
 * header saying nothing remains). A struct api_call is one logical call:
 * attempts, with retries as the official SDKs make them (connection
 * errors, timeouts, 408, 409, 429, 5xx, 529; x-should-retry overrides;
 * retry-after-ms, retry-after in seconds or as an HTTP date, else
 * exponential back-off with jitter), bounded by an attempt count and a
 * total time budget. A stream that ends before message_stop, an error
 * event after HTTP 200 and a body that is not a valid message are retried
 * too: tools only run after a whole message, so a retry is always safe.
 *
 * Every attempt is an event: api_call_started, api_call_completed or
 * api_call_retried, with the request id, status, latency and the delay
 * chosen. The key goes only into the x-api-key header; the header list is
 * wiped before it is freed.
 *
 * With a recording (recording.h) a call of a conversation is recorded
 * (--record: each attempt's status, kept headers and body bytes, as they
 * come) or replayed (--replay): no network at all, the key is not needed,
 * and each recorded attempt goes through the same parsing and judging as
 * a live one, so errors and retries replay too; the delays are not
 * waited. A call the recording cannot answer ends API_E_REPLAY_MISS.
 */
#ifndef GAO_SUPERVISOR_API_H
#define GAO_SUPERVISOR_API_H

#include <stdbool.h>

#include <jansson.h>

#include "supervisor/api/recording.h"
#include "supervisor/api/response.h"
#include "supervisor/core/evlog.h"
#include "supervisor/core/loop.h"
#include "supervisor/core/secret.h"

struct api_config {
	const char *base_url;     /* e.g. https://api.anthropic.com */
	const char *version;      /* anthropic-version header */
	const char *beta;         /* anthropic-beta header, or NULL */
	const struct secret *key; /* NULL only when replaying */
	struct rec *rec;          /* --record or --replay, else NULL */
	bool stream;              /* SSE (default) or plain JSON */
	unsigned max_retries;     /* retries after the first attempt */
	double retry_budget_s;    /* total time waiting between attempts */
	long connect_timeout_ms;
	long idle_timeout_s; /* no byte for this long: attempt fails */
};

enum api_outcome {
	API_OK = 0,
	API_E_AUTH,        /* 401: the key is invalid */
	API_E_PERMISSION,  /* 403 */
	API_E_NOT_FOUND,   /* 404: unknown model or path */
	API_E_REQUEST,     /* 400, 402, 413 and other non-retryable 4xx */
	API_E_SPEND_LIMIT, /* 429 that says a spend limit was reached */
	API_E_EXHAUSTED,   /* retries or budget used up */
	API_E_CANCELLED,
	API_E_SERVER,       /* 5xx the server said not to retry */
	API_E_REPLAY_MISS,  /* --replay: no recorded answer (fail closed) */
	API_E_RECORDING,    /* --record: the exchange could not be kept */
	API_E_BAD_RESPONSE, /* two attempts in a row: the same bad answer */
	API_E_TLS,          /* TLS: certificate not trusted, or no handshake */
	API_E_CONTEXT_WINDOW, /* 400 "prompt is too long": the conversation
			       * outgrew the model's context window */
};

struct api_reply {
	enum api_outcome outcome;
	long http_status;     /* of the last attempt; 0 without one */
	char request_id[128]; /* of the last attempt, "" if none */
	char error_type[64];  /* API error type, or a local reason */
	char error_message[512];
	struct response resp; /* valid when outcome == API_OK */
	json_t *message;      /* the assembled message (API_OK) */
	unsigned attempts;
	uint64_t latency_ms;         /* of the successful attempt */
	uint64_t waited_ms;          /* spent waiting between attempts */
	unsigned replay_differences; /* tool results unlike the recording */
};

struct api;
struct api_call;

/* Called once per call; r is valid only during the callback. */
typedef void (*api_done_fn)(void *ctx, struct api_reply *r);

/*
 * api_new - check the configuration and get ready. A key is only sent over
 * https, or over http to a loopback address. Returns NULL with a message
 * in err on a bad base URL or ENOMEM. The loop's curl completion callback
 * is taken by the api.
 */
struct api *api_new(struct loop *l, const struct api_config *cfg, char *err,
		    size_t errlen);
void api_free(struct api *a);

/*
 * api_messages - POST body (a JSON request, copied) to /v1/messages.
 * events may be NULL; tag names the caller in events (agent name); conv
 * is the call's conversation in the recording (NULL without one; a
 * replaying api answers such a call API_E_REPLAY_MISS). Returns the call,
 * or NULL on ENOMEM. fn runs exactly once, from the loop, unless
 * api_call_cancel() runs first.
 */
struct api_call *api_messages(struct api *a, const char *body,
			      struct evlog *events, const char *tag,
			      struct rec_conv *conv, api_done_fn fn, void *ctx);

/*
 * api_get - GET path (e.g. "/v1/models/claude-sonnet-5-5") with the same
 * retry rules; the reply's resp is empty, only outcome and status count.
 * Never recorded; a replaying api answers API_E_REPLAY_MISS.
 */
struct api_call *api_get(struct api *a, const char *path, struct evlog *events,
			 api_done_fn fn, void *ctx);

/* Stop a call; its callback will not run. */
void api_call_cancel(struct api_call *c);

/* Human-readable name of an outcome. */
const char *api_outcome_name(enum api_outcome o);

#endif
