/*
 * api_rec.c - the API client's --record and --replay hooks.
 *
 * Design note
 * -----------
 * Recording, a call of a conversation becomes a recorded call before its
 * first attempt (api_rec_begin), each attempt's headers and body bytes
 * are kept as they come (api_xfer.c) and its end by api_attempt_done, and
 * the call's line is written before the callback runs (api_rec_end): a
 * line that cannot be kept ends the call API_E_RECORDING, never silently.
 *
 * Replaying, the recording decides, not the network or the clock: the
 * recorded call is matched against the request (a miss fails closed,
 * API_E_REPLAY_MISS, nothing is sent), each recorded attempt is fed to
 * the same body parser and judged by the same code as a live one
 * (api_attempt_done), and another attempt comes when the recording has
 * one; its delay counts as waited but is not waited.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "supervisor/api/api_call.h"

enum api_outcome
api_rec_end(struct api_call *c, enum api_outcome o)
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
	api_event(c, "error", "api_call_completed",
		  json_pack("{s:s,s:s,s:s}", "error_type", "recording_failed",
			    "message", err, "outcome",
			    api_outcome_name(API_E_RECORDING)));
	return API_E_RECORDING;
}

void
api_rec_retry_or_give_up(struct api_call *c, enum api_outcome fatal)
{
	const struct rec_attempt *at = rec_call_attempt(c->rc,
							(size_t)c->attempt - 1);
	uint64_t delay = at ? at->delay_ms : 0;

	if (c->attempt >= rec_call_n_attempts(c->rc)) {
		api_give_up(c, fatal, delay);
		return;
	}
	/* the recorded wait is reported, not waited */
	api_retry_after(c, delay, 0);
}

/* A call no recording can answer: it fails closed, nothing is sent. */
static void
replay_miss(struct api_call *c, const char *why)
{
	api_judge_set_error(c, "replay_mismatch", why);
	api_event(c, "error", "api_call_completed",
		  json_pack("{s:s,s:s,s:s}", "error_type", "replay_mismatch",
			    "message", c->reply.error_message, "outcome",
			    api_outcome_name(API_E_REPLAY_MISS)));
	api_finish(c, API_E_REPLAY_MISS);
}

bool
api_rec_begin(struct api_call *c)
{
	char err[PATH_MAX + 400], why[PATH_MAX + 700], name[256];
	const json_t *d;
	json_t *diff;
	size_t i;

	if (!c->api->cfg.rec)
		return true;
	if (!c->conv) {
		if (api_replaying(c->api)) {
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
			 api_replaying(c->api) ? "replay" : "record", name,
			 rec_conv_turn(c->conv) + 1, err);
		if (api_replaying(c->api))
			replay_miss(c, why);
		else {
			api_judge_set_error(c, "recording_failed", why);
			api_finish(c, API_E_RECORDING);
		}
		return false;
	}
	d = rec_call_differences(c->rc);
	c->reply.replay_differences = (unsigned)json_array_size(d);
	json_array_foreach(d, i, diff)
		api_event(c, "warn", "replay_difference",
			  json_pack("{s:s,s:I,s:O}", "conversation", name,
				    "turn", (json_int_t)rec_call_turn(c->rc),
				    "difference", diff));
	return true;
}

void
api_rec_replay_attempt(struct api_call *c)
{
	const struct rec_attempt *at = rec_call_attempt(c->rc,
							(size_t)c->attempt);
	int64_t now_ms = retry_now_ms();
	CURLcode res;

	if (!at) { /* api_rec_retry_or_give_up never asks past the last */
		api_finish(c, API_E_EXHAUSTED);
		return;
	}
	c->attempt++;
	c->attempt_start = loop_now_ms();
	retry_hints_init(&c->hints);
	api_event(c, "info", "api_call_started",
		  json_pack("{s:s,s:s,s:b}", "method",
			    c->is_get ? "GET" : "POST", "path",
			    c->url + strlen(c->api->base_url), "replayed", 1));
	for (size_t i = 0; i < at->n_headers; i++)
		retry_parse_header(&c->hints, at->headers[i],
				   strlen(at->headers[i]), now_ms);
	res = (CURLcode)at->transport;
	/* the client's own bounds on the headers, as they ended it live */
	c->headers_too_large = at->cut == REC_CUT_HEADERS_TOO_LARGE;
	c->header_timeout = at->cut == REC_CUT_HEADER_TIMEOUT;
	/* a short take stopped the live transfer too (its code says so),
	 * unless memory ran out here: then as a live write callback would */
	if (at->body_len &&
	    api_xfer_take_body(c, at->body, at->body_len, at->status) <
		    at->body_len &&
	    res == CURLE_OK)
		res = CURLE_WRITE_ERROR;
	api_attempt_done(c, res, at->status);
}
