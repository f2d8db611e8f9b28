/*
 * session_tools.c - the tool half of a session: the worker, the checks
 * before a tool call, TodoWrite, results, audit records.
 *
 * Design note
 * -----------
 * The tool_use blocks of one assistant message run one at a time, in
 * order, and their results go back in the same order (the API requires
 * it). Each block is checked here before anything reaches the worker: the
 * tool must be granted to this agent (the tools offered to the API are
 * exactly the granted ones, so anything else is the model inventing a
 * tool), and the input must be a JSON object of at most 1 MiB. A refused
 * call becomes an is_error tool_result and an audit record with outcome
 * "denied". If the worker dies during a call, the agent reads a clear
 * error and a fresh worker is started for the next call (at most
 * SESSION_MAX_RESPAWNS times).
 */
#include "supervisor/agent/session_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/core/text.h"

static void next_tool(struct session *s);

static void
count_tool(struct session *s, const char *name)
{
	json_t *n = json_object_get(s->res.tools_by_name, name);

	json_object_set_new(s->res.tools_by_name, name,
			    json_integer(json_integer_value(n) + 1));
	s->res.tool_calls++;
}

/* Cap a tool input for the audit log at 4 KiB of JSON. */
static json_t *
capped_input(const json_t *input)
{
	char *text = json_dumps(input, JSON_COMPACT | JSON_ENCODE_ANY);
	json_t *out;

	if (!text)
		return json_null();
	if (strlen(text) <= 4096) {
		free(text);
		return json_deep_copy(input);
	}
	text[4096] = 0;
	char *clean = text_utf8_clean(text, strlen(text));

	out = json_pack("{s:s,s:b}", "prefix", clean ? clean : "",
			"truncated", 1);
	free(clean);
	free(text);
	return out;
}

static void
audit_call(struct session *s, const json_t *block, const char *outcome,
	   const struct msg_tool_result *r, const char *note)
{
	json_t *rec = json_pack("{s:s,s:s,s:s?,s:s?,s:o,s:s,s:b}",
		"agent", s->cfg.agent, "phase", s->cfg.phase,
		"tool", json_string_value(json_object_get(block, "name")),
		"tool_use_id", json_string_value(json_object_get(block, "id")),
		"input", capped_input(json_object_get(block, "input")),
		"outcome", outcome, "is_error", r ? r->is_error : 1);

	if (r) {
		json_object_set_new(rec, "exit_code", json_integer(r->exit_code));
		json_object_set_new(rec, "duration_ms",
				    json_integer((json_int_t)r->duration_ms));
		json_object_set_new(rec, "bytes",
				    json_integer((json_int_t)r->bytes));
		json_object_set_new(rec, "truncated", json_boolean(r->truncated));
	}
	if (note)
		json_object_set_new(rec, "note", json_string(note));
	if (audit_append(s->audit, rec) < 0)
		evlog_emit(s->cfg.events, "error", "audit_write_failed",
			   json_pack("{s:s}", "agent", s->cfg.agent));
	json_decref(rec);
}

/* Add one tool_result block and move to the next tool_use. */
static void
add_result(struct session *s, const json_t *block, const char *content,
	   bool is_error)
{
	const char *id = json_string_value(json_object_get(block, "id"));
	const char *name = json_string_value(json_object_get(block, "name"));

	json_array_append_new(s->results, json_pack("{s:s,s:s,s:s,s:b}",
		"type", "tool_result", "tool_use_id", id, "content", content,
		"is_error", is_error));
	if (is_error)
		s->res.tool_errors++;
	evlog_emit(s->cfg.events, is_error ? "warn" : "info", "tool_call",
		   json_pack("{s:s,s:s,s:s,s:s,s:b,s:I}", "agent",
			     s->cfg.agent, "phase", s->cfg.phase, "tool", name,
			     "tool_use_id", id, "is_error", is_error,
			     "duration_ms", (json_int_t)(loop_now_ms() -
							 s->tool_started)));
	s->idx++;
}

static void
refuse(struct session *s, const json_t *block, const char *why)
{
	s->res.denied++;
	audit_call(s, block, "denied", NULL, why);
	add_result(s, block, why, true);
}

static bool
granted(const struct session *s, const char *name)
{
	json_t *d;
	size_t i;

	json_array_foreach(s->cfg.tool_defs, i, d) {
		if (strcmp(json_string_value(json_object_get(d, "name")),
			   name) == 0)
			return true;
	}
	return false;
}

static bool
todos_valid(const json_t *todos)
{
	static const char *const states[] = { "pending", "in_progress",
					      "completed" };
	json_t *t;
	size_t i;

	if (!json_is_array(todos) || json_array_size(todos) > 200)
		return false;
	json_array_foreach(todos, i, t) {
		const char *st = json_string_value(json_object_get(t, "status"));
		bool ok = false;

		if (!json_is_string(json_object_get(t, "content")) || !st)
			return false;
		for (size_t k = 0; k < 3; k++)
			ok = ok || strcmp(st, states[k]) == 0;
		if (!ok)
			return false;
	}
	return true;
}

static void
todo_write(struct session *s, const json_t *block)
{
	const json_t *todos = json_object_get(json_object_get(block, "input"),
					      "todos");
	struct msg_tool_result r = { .exit_code = -1 };

	count_tool(s, "TodoWrite");
	if (!todos_valid(todos)) {
		audit_call(s, block, "error", NULL, "invalid todos");
		add_result(s, block, "TodoWrite needs todos: a list of "
			   "{content, status: pending|in_progress|completed, "
			   "activeForm?}", true);
		return;
	}
	json_decref(s->res.todos);
	s->res.todos = json_deep_copy(todos);
	audit_call(s, block, "allowed", &r, NULL);
	session_transcript(s, "todos", json_pack("{s:O}", "todos", todos));
	add_result(s, block, "Todos have been updated.", false);
}

/* The deadline a tool call gets. */
static uint32_t
tool_timeout(const struct session *s, const char *name, const json_t *input)
{
	const struct msg_policy *p = &s->cfg.worker.init->policy;
	json_t *t = json_object_get(input, "timeout");
	uint64_t ms = p->timeout_default_ms;

	if (strcmp(name, "Bash") != 0)
		return SESSION_TOOL_TIMEOUT_MS;
	if (json_is_integer(t) && json_integer_value(t) > 0)
		ms = (uint64_t)json_integer_value(t);
	if (ms > p->timeout_max_ms)
		ms = p->timeout_max_ms;
	return (uint32_t)ms;
}

/* Check one block; true when it must go to the worker. */
static bool
check_block(struct session *s, const json_t *block)
{
	const char *name = json_string_value(json_object_get(block, "name"));
	const json_t *input = json_object_get(block, "input");
	char why[256];
	char *text;
	size_t n;

	if (!granted(s, name)) {
		snprintf(why, sizeof(why), "Tool %.64s is not available to %s. "
			 "Use one of the tools you were given.", name,
			 s->cfg.agent);
		refuse(s, block, why);
		return false;
	}
	text = json_dumps(input, JSON_COMPACT | JSON_ENCODE_ANY);
	n = text ? strlen(text) : 0;
	free(text);
	if (!json_is_object(input) || n > SESSION_INPUT_MAX) {
		refuse(s, block, "The tool input must be a JSON object of at "
		       "most 1 MiB.");
		return false;
	}
	if (strcmp(name, "TodoWrite") == 0) {
		todo_write(s, block);
		return false;
	}
	return true;
}

static void
finish_turn(struct session *s)
{
	json_array_append_new(s->messages, json_pack("{s:s,s:O}", "role",
		"user", "content", s->results));
	json_decref(s->pending);
	json_decref(s->results);
	s->pending = s->results = NULL;
	session_call_api(s);
}

static void
next_tool(struct session *s)
{
	char err[256];

	while (s->state == S_TOOLS && s->idx < json_array_size(s->pending)) {
		json_t *block = json_array_get(s->pending, s->idx);
		const char *name = json_string_value(json_object_get(block,
								     "name"));
		const json_t *input = json_object_get(block, "input");

		s->tool_started = loop_now_ms();
		if (!check_block(s, block))
			continue;
		if (!s->w) {
			if (s->respawns >= SESSION_MAX_RESPAWNS ||
			    session_spawn_worker(s, err, sizeof(err)) < 0) {
				session_finish(s, SESSION_ERROR,
					       SESSION_STOP_WORKER_FAILED, NULL,
					       "the sandbox worker keeps dying");
				return;
			}
			s->respawns++;
			s->state = S_RESPAWN;
			return; /* on_ready continues */
		}
		count_tool(s, name);
		if (wconn_call(s->w, json_string_value(json_object_get(block,
			       "id")), name, input,
			       tool_timeout(s, name, input)) < 0) {
			session_finish(s, SESSION_ERROR,
				       SESSION_STOP_WORKER_FAILED, NULL,
				       "cannot send a tool call to the worker");
		}
		return; /* on_result continues */
	}
	if (s->state == S_TOOLS)
		finish_turn(s);
}

void
session_run_tools(struct session *s, const json_t *content)
{
	json_t *b;
	size_t i;

	s->pending = json_array();
	s->results = json_array();
	s->idx = 0;
	json_array_foreach(content, i, b) {
		const char *t = json_string_value(json_object_get(b, "type"));

		if (t && strcmp(t, "tool_use") == 0)
			json_array_append(s->pending, b);
	}
	s->state = S_TOOLS;
	next_tool(s);
}

static void
on_ready(void *ctx, const struct msg_ready *r)
{
	struct session *s = ctx;

	s->res.layers = r->layers;
	s->res.landlock_abi = r->landlock_abi;
	s->res.worker_uid = r->uid;
	json_t *rec = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:i}", "agent",
		s->cfg.agent, "phase", s->cfg.phase, "tool", "session",
		"outcome", "worker_ready", "pid", (json_int_t)r->pid,
		"uid", (json_int_t)r->uid, "layers", (json_int_t)r->layers,
		"landlock_abi", r->landlock_abi);

	audit_append(s->audit, rec);
	json_decref(rec);
	if ((r->layers & s->cfg.require_layers) != s->cfg.require_layers ||
	    r->landlock_abi < s->cfg.require_landlock_abi) {
		char why[256];

		snprintf(why, sizeof(why), "--require-isolation is not met: "
			 "the worker has layers 0x%x and Landlock ABI %d, the "
			 "level needs layers 0x%x and ABI %d", r->layers,
			 r->landlock_abi, s->cfg.require_layers,
			 s->cfg.require_landlock_abi);
		session_finish(s, SESSION_ERROR, SESSION_STOP_ISOLATION_UNMET,
			       NULL, why);
		return;
	}
	if (s->state == S_START) {
		session_call_api(s);
	} else if (s->state == S_RESPAWN) {
		s->state = S_TOOLS;
		next_tool(s);
	}
}

static void
on_result(void *ctx, const struct msg_tool_result *r)
{
	struct session *s = ctx;
	json_t *block = json_array_get(s->pending, s->idx);
	char *clean = text_utf8_clean(r->content, strlen(r->content));

	audit_call(s, block, r->is_error ? "error" : "allowed", r, NULL);
	session_transcript(s, "tool_result", json_pack("{s:s,s:s,s:b,s:I,"
		"s:I,s:I,s:b}", "tool_use_id", r->id, "tool",
		json_string_value(json_object_get(block, "name")), "is_error",
		r->is_error, "exit_code", (json_int_t)r->exit_code,
		"duration_ms", (json_int_t)r->duration_ms, "bytes",
		(json_int_t)r->bytes, "truncated", r->truncated));
	add_result(s, block, clean ? clean : "(output not available)",
		   r->is_error);
	free(clean);
	next_tool(s);
}

static void
bury_worker(struct session *s)
{
	if (s->w && s->n_dead < SESSION_MAX_RESPAWNS + 1)
		s->dead[s->n_dead++] = s->w; /* freed by session_stop_workers */
	s->w = NULL;
}

static void
on_dead(void *ctx, const char *why)
{
	struct session *s = ctx;
	char msg[300];

	evlog_emit(s->cfg.events, "warn", "worker_died", json_pack(
		"{s:s,s:s,s:s}", "agent", s->cfg.agent, "phase", s->cfg.phase,
		"reason", why));
	bury_worker(s);
	if (s->state == S_START || s->state == S_RESPAWN) {
		snprintf(msg, sizeof(msg), "the sandbox worker failed to "
			 "start: %s", why);
		session_finish(s, SESSION_ERROR, SESSION_STOP_WORKER_FAILED,
			       NULL, msg);
		return;
	}
	if (s->state != S_TOOLS)
		return; /* the next tool call starts a new worker */
	json_t *block = json_array_get(s->pending, s->idx);

	snprintf(msg, sizeof(msg), "The sandbox running this tool was "
		 "stopped: %s. A fresh sandbox will run your next tool call.",
		 why);
	audit_call(s, block, "error", NULL, why);
	add_result(s, block, msg, true);
	next_tool(s);
}

static void
on_log(void *ctx, const char *line)
{
	struct session *s = ctx;
	char *clean = text_utf8_clean(line, strlen(line));

	evlog_emit(s->cfg.events, "warn", "worker_log", json_pack(
		"{s:s,s:s}", "agent", s->cfg.agent, "line", clean ? clean : ""));
	free(clean);
}

int
session_spawn_worker(struct session *s, char *err, size_t errlen)
{
	static const struct wconn_cbs cbs = {
		.ready = on_ready, .result = on_result, .dead = on_dead,
		.log = on_log,
	};

	s->w = wconn_start(s->cfg.loop, &s->cfg.worker, &cbs, s, err, errlen);
	return s->w ? 0 : -1;
}

void
session_stop_workers(struct session *s)
{
	wconn_stop(s->w);
	s->w = NULL;
	for (size_t i = 0; i < s->n_dead; i++)
		wconn_stop(s->dead[i]);
	s->n_dead = 0;
}

void
session_audit_interrupted(struct session *s, const char *reason)
{
	json_t *block;
	char note[128];

	if (s->state != S_TOOLS && s->state != S_RESPAWN)
		return;
	block = json_array_get(s->pending, s->idx);
	if (!block)
		return;
	snprintf(note, sizeof(note), "interrupted: %s", reason ? reason : "");
	audit_call(s, block, "error", NULL, note);
	s->idx++; /* recorded once */
}

void
session_tools_clear(struct session *s)
{
	json_decref(s->pending);
	json_decref(s->results);
	s->pending = s->results = NULL;
}
