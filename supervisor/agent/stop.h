/*
 * stop.h - how an agent session ends: its status and its stop reason.
 *
 * Design note
 * -----------
 * Inside the agent layer a session's end is two enums, never strings, so
 * the compiler sees every case. Their names (session_status_name(),
 * session_stop_name()) are the words the results file, the events and the
 * transcripts carry (docs/results.schema.json, docs/results.md): a name is
 * part of the output format and never changes.
 *
 * Two stop reasons have no fixed word. SESSION_STOP_API_ERROR shows as the
 * API client's outcome (api_outcome_name(): "retries_exhausted",
 * "authentication_error", ...), and SESSION_STOP_MODEL_OTHER, a
 * stop_reason the model sent that this supervisor does not know, shows as
 * the model's own word; session_stop_text() picks the word to show.
 */
#ifndef GAO_SUPERVISOR_AGENT_STOP_H
#define GAO_SUPERVISOR_AGENT_STOP_H

#include <stdbool.h>

#include "supervisor/api/api.h"

enum session_status {
	SESSION_ERROR = 0, /* "error": the default until it ends otherwise */
	SESSION_SUCCESS,   /* "success" */
	SESSION_FAILED,    /* "failed": the model gave up or refused */
	SESSION_TIMEOUT,   /* "timeout": the phase's or the run's deadline */
	SESSION_STOPPED,   /* "stopped": a turn, token, cost, disk or file
			    * limit */
	SESSION_CANCELLED, /* "cancelled": the run was interrupted */
	SESSION_N_STATUSES,
};

enum session_stop {
	SESSION_STOP_NONE = 0, /* "": not stopped */
	/* the model's own stop reasons */
	SESSION_STOP_END_TURN,       /* "end_turn" */
	SESSION_STOP_STOP_SEQUENCE,  /* "stop_sequence" */
	SESSION_STOP_TOOL_USE,       /* "tool_use" without a tool_use block */
	SESSION_STOP_REFUSAL,        /* "refusal" */
	SESSION_STOP_CONTEXT_WINDOW, /* "model_context_window_exceeded" */
	SESSION_STOP_MODEL_UNKNOWN,  /* "unknown": a reply without one */
	SESSION_STOP_MODEL_OTHER,    /* shown as the model's own word */
	/* the session's limits */
	SESSION_STOP_PAUSE_TURN_LIMIT, /* "pause_turn_limit" */
	SESSION_STOP_MAX_TURNS,        /* "max_turns" */
	SESSION_STOP_TOKEN_LIMIT,      /* "token_limit" */
	SESSION_STOP_COST_LIMIT,       /* "cost_limit" */
	SESSION_STOP_RUN_TIMEOUT,      /* "run_timeout" */
	SESSION_STOP_PHASE_TIMEOUT,    /* "phase_timeout" */
	SESSION_STOP_DISK_LIMIT,       /* "disk_limit": the run's --max-disk */
	SESSION_STOP_FILE_LIMIT,       /* "file_limit": the run's --max-files */
	SESSION_STOP_WEB_LIMIT, /* "web_limit": the run's --web-max-uses */
	/* failures and interruptions */
	SESSION_STOP_API_ERROR,       /* shown as api_outcome_name() */
	SESSION_STOP_WORKER_FAILED,   /* "worker_failed" */
	SESSION_STOP_ISOLATION_UNMET, /* "isolation_unmet" */
	SESSION_STOP_INTERNAL,        /* "internal": out of memory */
	SESSION_STOP_SIGNAL,          /* "signal": SIGINT or SIGTERM */
	SESSION_N_STOPS,
};

/* The status's word ("success", ...); "unknown" out of range. Static. */
const char *session_status_name(enum session_status st);

/*
 * The stop reason's word; "api_error" and "model_other" for the two that
 * show another word (see session_stop_text()), "unknown" out of range.
 * Static storage.
 */
const char *session_stop_name(enum session_stop stop);

/*
 * The word a result shows for stop: api_outcome_name(outcome) for
 * SESSION_STOP_API_ERROR, model_word (when not NULL) for
 * SESSION_STOP_MODEL_OTHER, else session_stop_name(stop). Returns static
 * storage or model_word itself.
 */
const char *session_stop_text(enum session_stop stop, enum api_outcome outcome,
			      const char *model_word);

/*
 * The enum for a word, for callers that still speak in words
 * (session_abort()). true and *out set when name is one of the fixed
 * names; false (and *out untouched) otherwise, and for NULL.
 */
bool session_status_parse(const char *name, enum session_status *out);
bool session_stop_parse(const char *name, enum session_stop *out);

#endif
