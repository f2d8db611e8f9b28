/*
 * session.h - one agent session: the conversation of the multi-turn
 * tool-use loop.
 *
 * Design note
 * -----------
 * A session is a state machine driven by the event loop; it never blocks,
 * so many sessions (agents, runs) advance at once in one supervisor. It
 * keeps the conversation and nothing else: the messages, the API calls,
 * the accounting of tokens and cost, the transcript, and the decision
 * after each reply. The tool calls of a reply, the worker that runs them
 * and their audit records belong to the batch (batch.h); the decisions
 * themselves are pure functions (turn.h).
 *
 *   START -> the batch starts the worker; its READY is checked
 *   -> CALL: the limits are checked with the call's worst case (turns, the
 *      run's deadline, token and cost budgets), the request goes to the
 *      API (api.c retries) -> a reply, and turn_next() says:
 *        tool_use    -> TOOLS: batch_run() with the reply's content; its
 *                       tool_result blocks become the next user message
 *                       -> CALL
 *        pause_turn  -> CALL again with the content as is (at most
 *                       max_pause_turns since the last tool_use turn)
 *        max_tokens  -> a partial tool_use is never run; the agent is told
 *                       and CALL again
 *        end_turn, stop_sequence -> DONE success
 *        refusal, model_context_window_exceeded, ... -> DONE failed
 *   -> FINISHING (from any state: a stop, a timeout, session_abort()): the
 *      call in flight is cancelled, the batch records the tool call it
 *      cut, then from the loop the workers stop and done runs -> DONE.
 *   Statuses and stop reasons are enums with the words of the results
 *   file (stop.h).
 *
 * Every request and response goes to the transcript, redacted. Prompt
 * caching: a breakpoint after the tools, one after the system prompt, and
 * one rolling on the newest message (added to the request copy only),
 * three in all.
 */
#ifndef GAO_SUPERVISOR_SESSION_H
#define GAO_SUPERVISOR_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "supervisor/agent/stop.h"
#include "supervisor/agent/watch.h"
#include "supervisor/agent/web.h"
#include "supervisor/api/api.h"
#include "supervisor/api/cost.h"
#include "supervisor/core/evlog.h"
#include "supervisor/core/loop.h"
#include "supervisor/sandbox/wconn.h"

/* Budgets shared by every session of one run. */
struct run_budget {
	int64_t max_tokens;   /* input + output over the run; 0 = none */
	double max_cost_usd;  /* 0 = none */
	uint64_t deadline_ms; /* loop_now_ms() deadline; 0 = none */
	int64_t tokens_used;
	double cost_used;
	bool cost_unknown;    /* some call had no price */
	bool warned_unpriced; /* the cost_unknown warning was given */
	/* web tools (web.h): uses over the run and their maximum */
	int64_t web_max_uses; /* 0: web tools off */
	int64_t web_searches, web_fetches;
};

struct session_cfg {
	struct loop *loop;
	struct api *api;
	struct evlog *events;
	const struct models *models;
	struct run_budget *budget;
	const char *agent;
	const char *phase;
	const char *model;
	int64_t max_output_tokens;
	int64_t thinking_budget; /* > 0: thinking enabled, the same budget in
				  * every request; 0: no thinking parameter */
	int max_turns;
	int max_pause_turns;
	uint64_t timeout_ms; /* this session; 0 = none */
	const char *system_prompt;
	const char *task_prompt;
	const json_t *tool_defs;  /* the API tools array (granted ones) */
	struct wconn_opts worker; /* ignored when needs_worker is false */
	bool needs_worker;
	bool stream; /* SSE (must match the api config) */
	const char *transcript_path;
	const char *audit_path;
	uint32_t require_layers;  /* msg_layer bits READY must show */
	int require_landlock_abi; /* minimum Landlock ABI, 0 = any */
	struct watch_caps watch;  /* the run's disk and file caps */
	struct rec *rec;          /* --record/--replay, else NULL */
	struct rec_key rec_key;   /* the conversation's key in it */
	struct web_session web;   /* the server tools in tool_defs, if any */
};

/*
 * What a session ends with. status and stop_reason are the words of
 * status_code and stop (stop.h) as the results file shows them; the run
 * may rewrite the words (a failed validation verdict), not the enums.
 */
struct session_result {
	const char *status;   /* session_status_name(status_code) */
	char stop_reason[64]; /* session_stop_text(stop, ...) */
	enum session_status status_code;
	enum session_stop stop;
	char error[512];
	int turns;
	int api_calls;
	int retries;
	int tool_calls;
	int tool_errors;
	int denied;
	unsigned replay_differences; /* --replay: tool results that differed */
	struct api_usage usage;
	double cost_usd;
	bool cost_known;
	enum api_outcome api_outcome; /* why it stopped, when the API did */
	uint32_t layers;
	int landlock_abi;
	int64_t worker_uid;
	char audit_head[65];
	uint64_t audit_records;
	json_t *tools_by_name; /* {"Bash": 3, ...} */
	json_t *todos;         /* last TodoWrite list, or null */
	char final_text[4096]; /* the agent's last text, capped */
	char last_line[256];   /* its last line, from the whole text (a
				* validation's verdict: turn_last_line) */
	int64_t web_searches, web_fetches; /* server tool uses (web.h) */
	uint64_t duration_ms;
};

struct session;

typedef void (*session_done_fn)(void *ctx, struct session_result *r);

/*
 * session_start - begin a session. cfg is copied; its strings, tool_defs,
 * worker options, models and budget must outlive the session (the budget
 * is updated after each call). Creates the transcript and the audit log
 * (both must not exist). done runs exactly once, from the loop (r is
 * valid during the call; the caller may keep r's json with json_incref),
 * unless session_free() runs first. Returns the session (the caller frees
 * it with session_free(), not inside done), or NULL with a message in err
 * when nothing could start (files, the worker's spawn).
 */
struct session *session_start(const struct session_cfg *cfg,
			      session_done_fn done, void *ctx, char *err,
			      size_t errlen);

/*
 * session_abort - stop now (a signal, the run's timeout): done follows
 * with status and reason, the words of stop.h ("timeout"/"run_timeout",
 * "cancelled"/"signal"). An unknown status is "error"; an unknown reason
 * is shown as given (with stop SESSION_STOP_NONE). A session already
 * finishing keeps its first end.
 */
void session_abort(struct session *s, const char *status, const char *reason);

/* Stop what still runs (API call, workers) and free. NULL is a no-op. */
void session_free(struct session *s);

#endif
