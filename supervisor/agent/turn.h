/*
 * turn.h - the session's decisions, as pure functions: what a reply of the
 * model means for the conversation, and whether the next call may go out.
 *
 * Design note
 * -----------
 * session.c does things (API calls, tool batches, transcript lines); the
 * choices behind them are made here, away from the loop, the API client
 * and the worker, so that a test can hand in a canned reply or a set of
 * counters and check the verdict. Nothing here allocates, logs or reads
 * the clock: the caller passes the time in.
 *
 *   turn_next()    a decoded reply (struct response) ->
 *                    tool_use with tool_use blocks  -> run them (the
 *                                   pause_turn count starts again)
 *                    pause_turn     -> call again with the content as is,
 *                                   at most max_pause_turns times since
 *                                   the last tool_use turn, then
 *                                   failed/pause_turn_limit
 *                    max_tokens     -> drop a partial tool_use, tell the
 *                                   agent, call again
 *                    end_turn, stop_sequence, tool_use without a block
 *                                   -> success
 *                    refusal, model_context_window_exceeded, none, any
 *                                   other -> failed
 *   turn_limits()  before each call, with that call's worst case (its
 *                  web tools' results and uses included), in this
 *                  order: turns, the run's deadline, the run's token
 *                  budget, the run's cost budget; the first one crossed
 *                  stops the session.
 *   turn_last_line() the line a validation's verdict is read from.
 */
#ifndef GAO_SUPERVISOR_AGENT_TURN_H
#define GAO_SUPERVISOR_AGENT_TURN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "supervisor/agent/stop.h"
#include "supervisor/api/response.h"

enum turn_action {
	TURN_TOOLS,    /* append the reply, run its tool calls, call again */
	TURN_CONTINUE, /* pause_turn: append the reply, call again */
	TURN_CUT,      /* max_tokens: append the reply without tool_use
			* blocks, tell the agent, call again */
	TURN_FINISH,   /* end with status and stop (success: the reply is
			* the conversation's last turn) */
};

struct turn_next {
	enum turn_action action;
	int pause_turns;            /* the pause_turn count after this reply */
	enum session_status status; /* TURN_FINISH */
	enum session_stop stop;     /* TURN_FINISH */
	const char *stop_word;      /* SESSION_STOP_MODEL_OTHER: the reply's
				     * stop_reason (borrowed from it) */
	char error[128];            /* TURN_FINISH, not success: why */
};

/*
 * turn_next - the next step after a reply. pause_turns is the count of
 * pause_turn continuations so far (the session keeps it between calls:
 * out->pause_turns is the new count). resp is borrowed, and so is
 * out->stop_word, which points into it. Fills *out; no failure.
 */
void turn_next(const struct response *resp, int pause_turns,
	       int max_pause_turns, struct turn_next *out);

/* What the limits are measured against before one call. */
struct turn_limits {
	int turns;            /* calls answered so far */
	int max_turns;        /* must be > 0 */
	uint64_t now_ms;      /* loop_now_ms() */
	uint64_t deadline_ms; /* the run's deadline; 0 = none */
	int64_t tokens_used;  /* over the run */
	int64_t max_tokens;   /* the run's budget; 0 = none */
	int64_t est_input;    /* this call's input, estimated */
	int64_t web_input;    /* what its web results can add to it */
	int64_t max_output;   /* this call's output at most */
	double cost_used;     /* USD over the run */
	double max_cost_usd;  /* 0 = none */
	bool worst_priced;    /* the model has a price: worst_usd is set */
	double worst_usd;     /* this call's cost at most, web included */
	double web_usd;       /* the web's part of worst_usd (uses and
			       * results) */
};

struct turn_verdict {
	bool stop;                  /* the call must not go out */
	enum session_status status; /* stop: SESSION_STOPPED or _TIMEOUT */
	enum session_stop reason;   /* stop */
	const char *error;          /* stop: why, static storage */
	bool unpriced;              /* a cost budget that cannot be enforced
				     * (the model has no price): warn */
};

/* turn_limits - may the call described by l go out? Returns the verdict
 * (stop false: yes). No failure. */
struct turn_verdict turn_limits(const struct turn_limits *l);

/*
 * turn_last_line - the last line of an agent's text, as a judge reads it:
 * trailing blanks and markdown emphasis (" \t\r\n*`") dropped, then the
 * line's leading blanks and emphasis. Taken from the whole text, however
 * long (the text kept for the record is capped; the verdict is not). A
 * line longer than cap - 1 bytes is cut to that length, so compare out
 * only with strings shorter than cap - 1. out is always terminated; cap
 * must be > 0.
 */
void turn_last_line(const char *text, char *out, size_t cap);

#endif
