/*
 * turn.c - the session's decisions; see turn.h for the rules.
 *
 * The reply's stop_reason is read into an enum once (reply_stop()); the
 * decisions below switch on it.
 */
#include "supervisor/agent/turn.h"

#include <stdio.h>
#include <string.h>

/* The stop_reason words of the Messages API this supervisor knows. */
enum reply_stop {
	REPLY_NONE,
	REPLY_END_TURN,
	REPLY_STOP_SEQUENCE,
	REPLY_TOOL_USE,
	REPLY_PAUSE_TURN,
	REPLY_MAX_TOKENS,
	REPLY_REFUSAL,
	REPLY_CONTEXT_WINDOW,
	REPLY_OTHER,
};

static enum reply_stop
reply_stop(const char *word)
{
	static const struct {
		const char *word;
		enum reply_stop stop;
	} known[] = {
		{ "end_turn", REPLY_END_TURN },
		{ "stop_sequence", REPLY_STOP_SEQUENCE },
		{ "tool_use", REPLY_TOOL_USE },
		{ "pause_turn", REPLY_PAUSE_TURN },
		{ "max_tokens", REPLY_MAX_TOKENS },
		{ "refusal", REPLY_REFUSAL },
		{ "model_context_window_exceeded", REPLY_CONTEXT_WINDOW },
	};

	if (!word || !word[0])
		return REPLY_NONE;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (strcmp(word, known[i].word) == 0)
			return known[i].stop;
	}
	return REPLY_OTHER;
}

static void
finish(struct turn_next *out, enum session_status status,
       enum session_stop stop)
{
	out->action = TURN_FINISH;
	out->status = status;
	out->stop = stop;
}

/* The model ended the conversation without success. */
static void
model_failed(struct turn_next *out, enum reply_stop rs, const char *word)
{
	static const enum session_stop stops[] = {
		[REPLY_NONE] = SESSION_STOP_MODEL_UNKNOWN,
		[REPLY_REFUSAL] = SESSION_STOP_REFUSAL,
		[REPLY_CONTEXT_WINDOW] = SESSION_STOP_CONTEXT_WINDOW,
		[REPLY_OTHER] = SESSION_STOP_MODEL_OTHER,
	};

	finish(out, SESSION_FAILED, stops[rs]);
	if (rs == REPLY_OTHER)
		out->stop_word = word;
	snprintf(out->error, sizeof(out->error), "the model stopped: %s",
		 rs == REPLY_NONE ? "no stop_reason" : word);
}

void
turn_next(const struct response *resp, int pause_turns, int max_pause_turns,
	  struct turn_next *out)
{
	enum reply_stop rs = reply_stop(resp->stop_reason);

	memset(out, 0, sizeof(*out));
	out->pause_turns = pause_turns;
	switch (rs) {
	case REPLY_TOOL_USE:
		if (resp->n_tool_use == 0) {
			finish(out, SESSION_SUCCESS, SESSION_STOP_TOOL_USE);
			break;
		}
		out->action = TURN_TOOLS;
		out->pause_turns = 0;
		break;
	case REPLY_PAUSE_TURN:
		out->pause_turns = pause_turns + 1;
		out->action = TURN_CONTINUE;
		if (out->pause_turns <= max_pause_turns)
			break;
		finish(out, SESSION_FAILED, SESSION_STOP_PAUSE_TURN_LIMIT);
		snprintf(out->error, sizeof(out->error),
			 "too many pause_turn continuations");
		break;
	case REPLY_MAX_TOKENS:
		out->action = TURN_CUT;
		break;
	case REPLY_END_TURN:
		finish(out, SESSION_SUCCESS, SESSION_STOP_END_TURN);
		break;
	case REPLY_STOP_SEQUENCE:
		finish(out, SESSION_SUCCESS, SESSION_STOP_STOP_SEQUENCE);
		break;
	case REPLY_NONE:
	case REPLY_REFUSAL:
	case REPLY_CONTEXT_WINDOW:
	case REPLY_OTHER:
		model_failed(out, rs, resp->stop_reason);
		break;
	}
}

static struct turn_verdict
stop_with(enum session_status status, enum session_stop reason,
	  const char *error)
{
	return (struct turn_verdict){
		.stop = true, .status = status, .reason = reason, .error = error
	};
}

struct turn_verdict
turn_limits(const struct turn_limits *l)
{
	struct turn_verdict v = { 0 };

	if (l->turns >= l->max_turns)
		return stop_with(SESSION_STOPPED, SESSION_STOP_MAX_TURNS,
				 "the agent used its turns (--max-turns)");
	if (l->deadline_ms && l->now_ms >= l->deadline_ms)
		return stop_with(SESSION_TIMEOUT, SESSION_STOP_RUN_TIMEOUT,
				 "the run's time limit was reached");
	if (l->max_tokens > 0 &&
	    l->tokens_used + l->est_input + l->max_output > l->max_tokens)
		return stop_with(SESSION_STOPPED, SESSION_STOP_TOKEN_LIMIT,
				 "the next call could exceed --max-tokens");
	if (l->max_tokens > 0 &&
	    l->tokens_used + l->est_input + l->web_input + l->max_output >
		    l->max_tokens)
		return stop_with(SESSION_STOPPED, SESSION_STOP_TOKEN_LIMIT,
				 "the next call could exceed --max-tokens "
				 "with what its web results bring in");
	if (l->max_cost_usd > 0 && !l->worst_priced)
		v.unpriced = true;
	else if (l->max_cost_usd > 0 &&
		 l->cost_used + l->worst_usd - l->web_usd > l->max_cost_usd)
		return stop_with(SESSION_STOPPED, SESSION_STOP_COST_LIMIT,
				 "the next call could exceed --max-cost-usd");
	else if (l->max_cost_usd > 0 &&
		 l->cost_used + l->worst_usd > l->max_cost_usd)
		return stop_with(SESSION_STOPPED, SESSION_STOP_COST_LIMIT,
				 "the next call could exceed --max-cost-usd "
				 "with its web uses and what their results "
				 "bring in");
	return v;
}

void
turn_last_line(const char *text, char *out, size_t cap)
{
	static const char tail[] = " \t\r\n*`", head[] = " \t*`";
	size_t end = strlen(text), start, n;

	while (end > 0 && strchr(tail, text[end - 1]))
		end--;
	start = end;
	while (start > 0 && text[start - 1] != '\n')
		start--;
	while (start < end && strchr(head, text[start]))
		start++;
	n = end - start < cap - 1 ? end - start : cap - 1;
	memcpy(out, text + start, n);
	out[n] = 0;
}
