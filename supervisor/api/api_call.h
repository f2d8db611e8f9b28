/*
 * api_call.h - the state of the API client shared by its files (internal
 * to supervisor/api/; callers use api.h).
 *
 * Design note
 * -----------
 * One logical call (struct api_call) is worked on by four files, each
 * with one job:
 *
 *   api.c       the call's life: attempts, retries, back-off, the end;
 *   api_xfer.c  one attempt's transfer: curl's options and callbacks,
 *               and the bounds on what comes in (idle timeout, header
 *               deadline and size, body and event size);
 *   api_judge.c the verdict on a finished attempt (a message, a retry or
 *               an end), including "the same bad answer twice";
 *   api_rec.c   the --record and --replay hooks.
 *
 * The structs are here, not in api.h, so that no caller outside
 * supervisor/api/ can reach into a call. Every function declared here is
 * called on the loop's thread only.
 */
#ifndef GAO_SUPERVISOR_API_CALL_H
#define GAO_SUPERVISOR_API_CALL_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stdint.h>

#include "supervisor/api/api.h"
#include "supervisor/api/retry.h"
#include "supervisor/api/sse.h"
#include "supervisor/api/stream.h"

/* Bounds on what one attempt takes in (see api_xfer.c). */
#define API_ERRBODY_MAX (1u << 20)
#define API_SSE_EVENT_MAX (16u << 20)
/* All header lines of one response; the real API's are about 2 KiB. */
#define API_HEADERS_MAX (64u << 10)
/* The wait for a plain (not streamed) answer's first byte, at least. */
#define API_PLAIN_FIRST_BYTE_S 600

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
	int sse_error; /* the SSE parser's refusal (sse.h), or 0 */
	/* the headers: when the first line came, how many bytes, whether
	 * the blank line ended them; a bound broken ends the attempt */
	uint64_t header_start;
	size_t header_bytes;
	bool headers_done, headers_too_large, header_timeout;
	bool tls_failed;                /* the TLS kind: another try fails */
	char curl_err[CURL_ERROR_SIZE]; /* curl's own words on a failure */
	/* the attempt's 200 answer failed our checks (parse or validate) */
	bool malformed;
	/* "type: message" of the previous attempt when it was malformed */
	char last_malformed[sizeof(((struct api_reply *)0)->error_type) +
			    sizeof(((struct api_reply *)0)->error_message) + 2];
	struct api_reply reply;
};

enum api_verdict { API_V_OK, API_V_RETRY, API_V_FATAL };

/* --- api.c -------------------------------------------------------------- */

/* Whether the api replays a recording (no network at all). */
bool api_replaying(const struct api *a);

/* Emit event name at level for the call (agent and attempt added); takes
 * f (NULL: nothing is emitted). */
void api_event(struct api_call *c, const char *level, const char *name,
	       json_t *f);

/* End the call with outcome o: the recording's line, the callback, then
 * the call is freed (c is gone on return). */
void api_finish(struct api_call *c, enum api_outcome o);

/* An attempt ended with curl's result res and HTTP status: judge it,
 * then finish, retry or give up. Live and replay alike. */
void api_attempt_done(struct api_call *c, CURLcode res, long status);

/* No more attempts: say why in the message and end the call with fatal
 * (API_OK means retries_exhausted); delay is the wait that was refused. */
void api_give_up(struct api_call *c, enum api_outcome fatal, uint64_t delay);

/* Another attempt: the api_call_retried event (its delay_ms: delay, also
 * counted in the call's waits), then the next attempt in wait_ms (the
 * delay live; 0 on replay, which reports the recorded wait but does not
 * wait). Ends the call (exhausted) when no timer can be made. */
void api_retry_after(struct api_call *c, uint64_t delay, uint64_t wait_ms);

/* The loop timer that starts the call's next attempt (ctx is the call). */
void api_on_timer(struct loop *l, void *ctx);

/* --- api_xfer.c --------------------------------------------------------- */

/*
 * api_xfer_setup - a new easy handle in c->easy for the next attempt, with
 * the call's headers (c->hdrs, holding the key), its body and every bound.
 * Returns 0 or -ENOMEM (what was made stays in c for end_attempt).
 */
int api_xfer_setup(struct api_call *c);

/*
 * api_xfer_take_body - n bytes of the body of a response with status:
 * parsed as SSE when streaming a 200, else kept in c->raw (bounded).
 * Returns n, or 0 when the transfer must stop (the reason is in c).
 */
size_t api_xfer_take_body(struct api_call *c, const char *p, size_t n,
			  long status);

/* Wipe a header list (it holds the key) and free it; NULL is a no-op. */
void api_xfer_free_headers(struct curl_slist *h);

/* --- api_judge.c -------------------------------------------------------- */

/* The reply's error type and message (the message cut to fit). */
void api_judge_set_error(struct api_call *c, const char *type, const char *msg);

/* Append text to the reply's error message (cut to fit). */
void api_judge_add_to_message(struct api_call *c, const char *text);

/*
 * api_judge_attempt - the verdict on an attempt that ended with curl's
 * result res and HTTP status; the reply's error type and message say why
 * when it is not API_V_OK, and *fatal the outcome of an end (API_OK when
 * the caller chooses: retries_exhausted once no retry is left).
 */
enum api_verdict api_judge_attempt(struct api_call *c, CURLcode res,
				   long status, enum api_outcome *fatal);

/* --- api_rec.c ---------------------------------------------------------- */

/*
 * api_rec_begin - before the first attempt: the call's place in the
 * recording (recording: a new call; replaying: the recorded one, matched
 * against the request). False when the call has ended (a miss, or the
 * recording failed): c is gone.
 */
bool api_rec_begin(struct api_call *c);

/* api_rec_end - --record: the call's line, before the callback. Returns
 * o, or API_E_RECORDING when the line could not be kept. */
enum api_outcome api_rec_end(struct api_call *c, enum api_outcome o);

/* api_rec_replay_attempt - replaying: the next recorded attempt, through
 * api_attempt_done like a live one. */
void api_rec_replay_attempt(struct api_call *c);

/* api_rec_retry_or_give_up - replaying: another attempt when the recording
 * has one (its delay counted, not waited), else give up. */
void api_rec_retry_or_give_up(struct api_call *c, enum api_outcome fatal);

#endif
