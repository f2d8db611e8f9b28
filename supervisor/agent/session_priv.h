/*
 * session_priv.h - what session.c and session_tools.c share. Not for
 * other modules: they use session.h.
 */
#ifndef GAO_SUPERVISOR_SESSION_PRIV_H
#define GAO_SUPERVISOR_SESSION_PRIV_H

#include <stdio.h>

#include "supervisor/agent/audit.h"
#include "supervisor/agent/session.h"

#define SESSION_MAX_RESPAWNS 3
#define SESSION_INPUT_MAX (1u << 20)   /* one tool input, JSON bytes */
#define SESSION_TOOL_TIMEOUT_MS 60000  /* non-Bash tools */

enum session_state {
	S_START,      /* waiting for the first READY */
	S_CALL,       /* an API call in flight */
	S_TOOLS,      /* running tool calls */
	S_RESPAWN,    /* a new worker is starting mid-tools */
	S_FINISHING,
	S_DONE,
};

struct session {
	struct session_cfg cfg;
	session_done_fn done;
	void *done_ctx;
	bool stream;
	uint64_t started;
	enum session_state state;
	struct session_result res;
	json_t *messages;
	json_t *tools_cached;         /* tool_defs with their breakpoint */
	size_t logged_messages;
	FILE *transcript;
	struct audit *audit;
	struct api_call *call;
	uint64_t finish_timer;
	uint64_t timeout_timer;
	int pause_turns;
	/* workers */
	struct wconn *w;             /* live worker, or NULL */
	struct wconn *dead[SESSION_MAX_RESPAWNS + 1];
	size_t n_dead;
	int respawns;
	/* the tool_use blocks of the current turn */
	json_t *pending;
	size_t idx;
	json_t *results;
	uint64_t tool_started;
};

void session_transcript(struct session *s, const char *type, json_t *fields);
/* End the session (from the loop); word, when not NULL, is the stop
 * reason's text instead of its name. The first end counts. */
void session_finish(struct session *s, enum session_status status,
		    enum session_stop stop, const char *word,
		    const char *error);
void session_call_api(struct session *s);

/* session_tools.c */
int session_spawn_worker(struct session *s, char *err, size_t errlen);
void session_run_tools(struct session *s, const json_t *content);
void session_stop_workers(struct session *s);
void session_tools_clear(struct session *s);
/* Audit the call in flight when the session is stopped (signal, timeout). */
void session_audit_interrupted(struct session *s, const char *reason);

#endif
