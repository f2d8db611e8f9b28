/*
 * stop.c - the words of the session's statuses and stop reasons; see
 * stop.h. The tables are indexed by the enums, so a new value without a
 * word fails the build (the static assertions below).
 */
#include "supervisor/agent/stop.h"

#include <assert.h>
#include <string.h>

static const char *const status_names[] = {
	[SESSION_ERROR] = "error",     [SESSION_SUCCESS] = "success",
	[SESSION_FAILED] = "failed",   [SESSION_TIMEOUT] = "timeout",
	[SESSION_STOPPED] = "stopped", [SESSION_CANCELLED] = "cancelled",
};

static const char *const stop_names[] = {
	[SESSION_STOP_NONE] = "",
	[SESSION_STOP_END_TURN] = "end_turn",
	[SESSION_STOP_STOP_SEQUENCE] = "stop_sequence",
	[SESSION_STOP_TOOL_USE] = "tool_use",
	[SESSION_STOP_REFUSAL] = "refusal",
	[SESSION_STOP_CONTEXT_WINDOW] = "model_context_window_exceeded",
	[SESSION_STOP_MODEL_UNKNOWN] = "unknown",
	[SESSION_STOP_MODEL_OTHER] = "model_other",
	[SESSION_STOP_PAUSE_TURN_LIMIT] = "pause_turn_limit",
	[SESSION_STOP_MAX_TURNS] = "max_turns",
	[SESSION_STOP_TOKEN_LIMIT] = "token_limit",
	[SESSION_STOP_COST_LIMIT] = "cost_limit",
	[SESSION_STOP_RUN_TIMEOUT] = "run_timeout",
	[SESSION_STOP_PHASE_TIMEOUT] = "phase_timeout",
	[SESSION_STOP_DISK_LIMIT] = "disk_limit",
	[SESSION_STOP_FILE_LIMIT] = "file_limit",
	[SESSION_STOP_WEB_LIMIT] = "web_limit",
	[SESSION_STOP_API_ERROR] = "api_error",
	[SESSION_STOP_WORKER_FAILED] = "worker_failed",
	[SESSION_STOP_ISOLATION_UNMET] = "isolation_unmet",
	[SESSION_STOP_INTERNAL] = "internal",
	[SESSION_STOP_SIGNAL] = "signal",
};

static_assert(sizeof(status_names) / sizeof(status_names[0]) ==
		      SESSION_N_STATUSES,
	      "a session status without a name");
static_assert(sizeof(stop_names) / sizeof(stop_names[0]) == SESSION_N_STOPS,
	      "a stop reason without a name");

const char *
session_status_name(enum session_status st)
{
	return (unsigned)st < SESSION_N_STATUSES ? status_names[st] : "unknown";
}

const char *
session_stop_name(enum session_stop stop)
{
	return (unsigned)stop < SESSION_N_STOPS ? stop_names[stop] : "unknown";
}

const char *
session_stop_text(enum session_stop stop, enum api_outcome outcome,
		  const char *model_word)
{
	if (stop == SESSION_STOP_API_ERROR)
		return api_outcome_name(outcome);
	if (stop == SESSION_STOP_MODEL_OTHER && model_word)
		return model_word;
	return session_stop_name(stop);
}

bool
session_status_parse(const char *name, enum session_status *out)
{
	for (unsigned i = 0; name && i < SESSION_N_STATUSES; i++) {
		if (strcmp(name, status_names[i]) == 0) {
			*out = (enum session_status)i;
			return true;
		}
	}
	return false;
}

/* The two words that stand for others (api_error, model_other) are not
 * words a result ever shows, so they do not parse. */
bool
session_stop_parse(const char *name, enum session_stop *out)
{
	for (unsigned i = 0; name && i < SESSION_N_STOPS; i++) {
		if (i == SESSION_STOP_API_ERROR ||
		    i == SESSION_STOP_MODEL_OTHER)
			continue;
		if (strcmp(name, stop_names[i]) == 0) {
			*out = (enum session_stop)i;
			return true;
		}
	}
	return false;
}
