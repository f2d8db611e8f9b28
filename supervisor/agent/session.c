/*
 * session.c - the agent's conversation: requests, replies, accounting, the
 * transcript. See session.h for the state machine; the decisions are in
 * turn.c, the tool calls of a reply in batch.c.
 */
#include "supervisor/agent/session.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/io.h"
#include "common/utf8.h"
#include "supervisor/agent/audit.h"
#include "supervisor/agent/batch.h"
#include "supervisor/agent/turn.h"
#include "supervisor/core/secret.h"
#include "supervisor/core/wfault.h"

enum session_state {
	S_START,     /* waiting for the worker's READY */
	S_CALL,      /* an API call in flight (or about to go) */
	S_TOOLS,     /* the batch runs the reply's tool calls */
	S_FINISHING, /* done runs from the loop */
	S_DONE,
};

struct session {
	struct session_cfg cfg;
	session_done_fn done;
	void *done_ctx;
	uint64_t started;
	enum session_state state;
	struct session_result res;
	json_t *messages;
	json_t *tools_cached; /* tool_defs with their breakpoint */
	size_t logged_messages;
	int transcript;        /* fd, -1: none */
	off_t transcript_size; /* bytes of whole lines written */
	struct audit *audit;
	struct batch *batch; /* the tool calls and the worker */
	struct api_call *call;
	struct rec_conv *conv; /* in the recording, or NULL */
	uint64_t first_timer;  /* the first call without a worker */
	uint64_t finish_timer;
	uint64_t timeout_timer;
	int pause_turns;
	json_t *web_calls; /* {"WebSearch": n, ...}: uses recorded */
};

/* Append line and a newline with write(2): a line written in part (a
 * full disk) is cut off again, as audit.c and evlog.c do; the first
 * failure makes the run an infrastructure error naming the file. */
static void
transcript_line(struct session *s, const char *line)
{
	char *nl = NULL;
	int e = wfault_write(WFAULT_TRANSCRIPT);
	int n = e ? -1 : asprintf(&nl, "%s\n", line);
	int rc = e ? -e : (n < 0 ? -ENOMEM : 0);

	if (rc == 0)
		rc = io_append_whole(s->transcript, &s->transcript_size, nl,
				     (size_t)n);
	free(nl);
	if (rc < 0)
		evlog_write_failed(s->cfg.events, s->cfg.transcript_path, -rc);
}

/* One transcript line: fields (stolen) plus ts, type and turn. */
static void
session_transcript(struct session *s, const char *type, json_t *fields)
{
	char ts[32], *line;

	if (!fields)
		return;
	evlog_timestamp(ts);
	json_object_set_new(fields, "ts", json_string(ts));
	json_object_set_new(fields, "type", json_string(type));
	json_object_set_new(fields, "turn", json_integer(s->res.turns));
	line = secret_redact_json(fields, JSON_COMPACT);
	if (line && s->transcript >= 0)
		transcript_line(s, line);
	free(line);
	json_decref(fields);
}

/* The web tool uses count as the agent's tool calls, under the persona's
 * tool names (each has its audit record, as every tool call has). */
static void
add_web_calls(struct session *s)
{
	json_t *by, *v;
	const char *name;

	if (json_object_size(s->web_calls) == 0)
		return;
	by = json_deep_copy(s->res.tools_by_name);
	if (!by)
		return;
	json_object_foreach(s->web_calls, name, v) {
		s->res.tool_calls += (int)json_integer_value(v);
		json_object_set_new(by, name,
				    json_integer(
					    json_integer_value(
						    json_object_get(by, name)) +
					    json_integer_value(v)));
	}
	json_decref(s->res.tools_by_name);
	s->res.tools_by_name = by;
}

/* The batch's counters and the worker's layers, for the result. */
static void
take_batch_stats(struct session *s)
{
	const struct batch_stats *st = batch_stats(s->batch);

	s->res.tool_calls = st->tool_calls;
	s->res.tool_errors = st->tool_errors;
	s->res.denied = st->denied;
	s->res.layers = st->layers;
	s->res.landlock_abi = st->landlock_abi;
	s->res.worker_uid = st->worker_uid;
	json_decref(s->res.tools_by_name);
	s->res.tools_by_name = json_incref(st->tools_by_name);
	json_decref(s->res.todos);
	s->res.todos = json_incref(st->todos);
	add_web_calls(s);
}

static void
do_finish(struct loop *l, void *ctx)
{
	struct session *s = ctx;

	(void)l;
	s->finish_timer = 0;
	if (s->timeout_timer)
		loop_cancel_timer(s->cfg.loop, s->timeout_timer);
	s->timeout_timer = 0;
	api_call_cancel(s->call);
	s->call = NULL;
	take_batch_stats(s);
	batch_free(s->batch); /* the workers stop here */
	s->batch = NULL;
	s->res.duration_ms = loop_now_ms() - s->started;
	snprintf(s->res.audit_head, sizeof(s->res.audit_head), "%s",
		 audit_head(s->audit));
	s->res.audit_records = audit_count(s->audit);
	session_transcript(s, "session_end",
			   json_pack("{s:s,s:s,s:s}", "status", s->res.status,
				     "stop_reason", s->res.stop_reason, "error",
				     s->res.error));
	s->state = S_DONE;
	s->done(s->done_ctx, &s->res);
}

/*
 * End the session with a status and a stop reason, shown as word when it
 * is not NULL; the work happens from the loop, never inside a worker or
 * API callback. The first end counts.
 */
static void
finish(struct session *s, enum session_status status, enum session_stop stop,
       const char *word, const char *error)
{
	const char *text = word ? word :
				  session_stop_text(stop, s->res.api_outcome,
						    NULL);

	if (s->state == S_FINISHING || s->state == S_DONE)
		return;
	batch_cancel(s->batch, text);
	s->state = S_FINISHING;
	s->res.status_code = status;
	s->res.status = session_status_name(status);
	s->res.stop = stop;
	snprintf(s->res.stop_reason, sizeof(s->res.stop_reason), "%s", text);
	if (error)
		utf8_copy(s->res.error, sizeof(s->res.error), error);
	api_call_cancel(s->call);
	s->call = NULL;
	s->finish_timer = loop_add_timer(s->cfg.loop, 0, do_finish, s);
}

void
session_abort(struct session *s, const char *status, const char *reason)
{
	enum session_status st = SESSION_ERROR;
	enum session_stop stop = SESSION_STOP_NONE;

	session_status_parse(status, &st);
	if (session_stop_parse(reason, &stop))
		reason = NULL;
	finish(s, st, stop, reason, NULL);
}

static json_t *
cached_text_block(const char *text)
{
	return json_pack("{s:s,s:s,s:{s:s}}", "type", "text", "text", text,
			 "cache_control", "type", "ephemeral");
}

/*
 * The rolling breakpoint goes on the newest block of the conversation for
 * the time of one serialisation, in place: copying the whole conversation
 * for every request made the supervisor's CPU per turn grow with it. A
 * newest message whose content is a string becomes one text block, which
 * the API treats the same.
 */
static json_t *
newest_block(struct session *s)
{
	json_t *last = json_array_get(s->messages,
				      json_array_size(s->messages) - 1);
	json_t *content = json_object_get(last, "content");

	if (json_is_string(content)) {
		json_object_set_new(last, "content",
				    json_pack("[{s:s,s:O}]", "type", "text",
					      "text", content));
		content = json_object_get(last, "content");
	}
	return json_array_get(content, json_array_size(content) - 1);
}

static json_t *
tools_with_breakpoint(const json_t *defs)
{
	json_t *copy = json_deep_copy(defs);
	size_t n = json_array_size(copy);

	if (n)
		json_object_set_new(json_array_get(copy, n - 1),
				    "cache_control",
				    json_pack("{s:s}", "type", "ephemeral"));
	return copy;
}

static char *
build_body(struct session *s)
{
	json_t *body, *block = newest_block(s);
	char *text;

	if (!s->tools_cached && json_array_size(s->cfg.tool_defs))
		s->tools_cached = tools_with_breakpoint(s->cfg.tool_defs);
	body = json_pack("{s:s,s:I,s:[o],s:O,s:b}", "model", s->cfg.model,
			 "max_tokens", (json_int_t)s->cfg.max_output_tokens,
			 "system", cached_text_block(s->cfg.system_prompt),
			 "messages", s->messages, "stream", s->cfg.stream);
	if (!body)
		return NULL;
	if (s->tools_cached)
		json_object_set(body, "tools", s->tools_cached);
	/* no tool_choice: the default, auto, is the only one thinking
	 * models accept; the thinking parameter is the session's, constant */
	if (s->cfg.thinking_budget > 0)
		json_object_set_new(
			body, "thinking",
			json_pack("{s:s,s:I}", "type", "enabled",
				  "budget_tokens",
				  (json_int_t)s->cfg.thinking_budget));
	if (block)
		json_object_set_new(block, "cache_control",
				    json_pack("{s:s}", "type", "ephemeral"));
	text = json_dumps(body, JSON_COMPACT);
	if (block)
		json_object_del(block, "cache_control");
	json_decref(body);
	return text;
}

/* Whether the most uses the next call can make (max_uses of each web
 * tool offered) would pass the run's maximum: then the phase stops. */
static bool
web_limit_reached(const struct session *s)
{
	const struct run_budget *b = s->cfg.budget;

	return s->cfg.web.data && b->web_max_uses > 0 &&
	       b->web_searches + b->web_fetches +
			       (int64_t)s->cfg.web.n_tools *
				       s->cfg.web.per_request >
		       b->web_max_uses;
}

/* A stop before the call when a limit would be crossed (turn.h). true =
 * stopped. */
static bool
limits_stop(struct session *s, size_t body_len)
{
	struct run_budget *b = s->cfg.budget;
	struct turn_limits l = {
		.turns = s->res.turns,
		.max_turns = s->cfg.max_turns,
		.now_ms = loop_now_ms(),
		.deadline_ms = b->deadline_ms,
		.tokens_used = b->tokens_used,
		.max_tokens = b->max_tokens,
		.est_input = (int64_t)body_len / 4,
		.web_input = s->cfg.web.worst_tokens,
		.max_output = s->cfg.max_output_tokens,
		.cost_used = b->cost_used,
		.max_cost_usd = b->max_cost_usd,
	};
	struct turn_verdict v;

	if (b->max_cost_usd > 0)
		l.worst_priced = cost_worst_case(s->cfg.models, s->cfg.model,
						 l.est_input, l.max_output,
						 &l.worst_usd);
	/* the web's part: searches priced per use, and what the results
	 * can bring in at the input price (billed as input of this call) */
	l.web_usd = s->cfg.web.worst_usd;
	if (l.worst_priced && l.web_input > 0) {
		struct api_usage web = { .input_tokens = l.web_input };
		double usd = 0;

		if (cost_of(s->cfg.models, s->cfg.model, &web, &usd))
			l.web_usd += usd;
	}
	l.worst_usd += l.web_usd;
	v = turn_limits(&l);
	if (v.unpriced && !b->warned_unpriced)
		evlog_emit(
			s->cfg.events, "warn", "cost_unknown",
			json_pack(
				"{s:s,s:s}", "model", s->cfg.model, "message",
				"this model has no price in the model "
				"data: its cost is unknown and --max-cost-usd "
				"cannot be enforced"));
	if (v.unpriced)
		b->warned_unpriced = true;
	if (!v.stop && web_limit_reached(s))
		v = (struct turn_verdict){
			.stop = true,
			.status = SESSION_STOPPED,
			.reason = SESSION_STOP_WEB_LIMIT,
			.error = "the next call's web tool uses could pass "
				 "--web-max-uses",
		};
	if (v.stop)
		finish(s, v.status, v.reason, NULL, v.error);
	return v.stop;
}

/* The request line: the first request in full, later ones only the
 * messages added since. */
static void
log_request(struct session *s, const char *body, size_t n)
{
	json_t *added = json_array();

	for (size_t i = s->logged_messages; i < json_array_size(s->messages);
	     i++)
		json_array_append(added, json_array_get(s->messages, i));
	if (s->logged_messages == 0)
		session_transcript(s, "request",
				   json_pack("{s:o?,s:o}", "body",
					     json_loads(body, JSON_ALLOW_NUL,
							NULL),
					     "messages_added", added));
	else
		session_transcript(s, "request",
				   json_pack("{s:o,s:I}", "messages_added",
					     added, "bytes", (json_int_t)n));
}

static void on_api_done(void *ctx, struct api_reply *r);

static void
call_api(struct session *s)
{
	char *body;
	size_t n;

	if (s->state == S_FINISHING || s->state == S_DONE)
		return;
	body = build_body(s);
	if (!body) {
		finish(s, SESSION_ERROR, SESSION_STOP_INTERNAL, NULL,
		       "out of memory");
		return;
	}
	n = strlen(body);
	if (limits_stop(s, n)) {
		free(body);
		return;
	}
	log_request(s, body, n);
	s->logged_messages = json_array_size(s->messages);
	s->state = S_CALL;
	s->call = api_messages(s->cfg.api, body, s->cfg.events, s->cfg.agent,
			       s->conv, on_api_done, s);
	free(body);
	if (!s->call)
		finish(s, SESSION_ERROR, SESSION_STOP_INTERNAL, NULL,
		       "out of memory");
}

/* The run's spend so far, for a live view only (evlog_note: written
 * nowhere, so the events stay as documented). */
static void
note_spend(const struct session *s)
{
	const struct run_budget *b = s->cfg.budget;

	evlog_note(s->cfg.events, "spend",
		   json_pack("{s:s,s:s,s:i,s:I,s:f,s:b,s:f}", "agent",
			     s->cfg.agent, "phase", s->cfg.phase, "turn",
			     s->res.turns, "tokens", (json_int_t)b->tokens_used,
			     "cost_usd", b->cost_used, "cost_unknown",
			     b->cost_unknown, "max_cost_usd", b->max_cost_usd));
}

static void
web_line(void *ctx, const char *type, json_t *fields)
{
	session_transcript(ctx, type, fields);
}

/* The reply's web tool uses: counted against the run's maximum, and each
 * written to the transcript and the audit log (web.h). */
static void
account_web(struct session *s, const struct api_reply *r)
{
	struct run_budget *b = s->cfg.budget;
	int64_t searches = 0, fetches = 0;

	web_uses(s->cfg.web.data, r->resp.content, &r->resp.usage, &searches,
		 &fetches);
	s->res.web_searches += searches;
	s->res.web_fetches += fetches;
	b->web_searches += searches;
	b->web_fetches += fetches;
	if (web_record(s->cfg.web.data, r->resp.content, s->cfg.agent,
		       s->cfg.phase, s->audit, s->web_calls, web_line, s) < 0)
		evlog_emit(s->cfg.events, "error", "audit_write_failed",
			   json_pack("{s:s}", "agent", s->cfg.agent));
}

static void
account(struct session *s, const struct api_reply *r)
{
	const struct api_usage *u = &r->resp.usage;
	struct run_budget *b = s->cfg.budget;
	double usd = 0;

	s->res.usage.input_tokens += u->input_tokens;
	s->res.usage.output_tokens += u->output_tokens;
	s->res.usage.cache_creation_input_tokens +=
		u->cache_creation_input_tokens;
	s->res.usage.cache_read_input_tokens += u->cache_read_input_tokens;
	s->res.api_calls++;
	s->res.retries += (int)r->attempts - 1;
	b->tokens_used += u->input_tokens + u->cache_creation_input_tokens +
			  u->cache_read_input_tokens + u->output_tokens;
	if (cost_of(s->cfg.models, s->cfg.model, u, &usd)) {
		if (s->cfg.web.data)
			usd += web_cost_usd(s->cfg.web.data, u);
		s->res.cost_usd += usd;
		b->cost_used += usd;
	} else {
		s->res.cost_known = false;
		b->cost_unknown = true;
	}
	session_transcript(
		s, "response",
		json_pack("{s:O,s:s,s:I,s:I,s:I,"
			  "s:{s:I,s:I,s:I,s:I},s:f}",
			  "message", r->message, "request_id", r->request_id,
			  "latency_ms", (json_int_t)r->latency_ms, "attempts",
			  (json_int_t)r->attempts, "waited_ms",
			  (json_int_t)r->waited_ms, "usage", "input_tokens",
			  (json_int_t)u->input_tokens, "output_tokens",
			  (json_int_t)u->output_tokens,
			  "cache_creation_input_tokens",
			  (json_int_t)u->cache_creation_input_tokens,
			  "cache_read_input_tokens",
			  (json_int_t)u->cache_read_input_tokens, "cost_usd",
			  usd));
	if (s->cfg.web.data)
		account_web(s, r);
}

/* A text block with nothing but blanks (the API sends "" before a
 * tool_use at times, and refuses it when it comes back). */
static bool
blank_text_block(const json_t *b)
{
	const char *t = json_string_value(json_object_get(b, "type"));
	const char *text = json_string_value(json_object_get(b, "text"));

	return t && strcmp(t, "text") == 0 && text &&
	       text[strspn(text, " \t\r\n\f\v")] == 0;
}

/*
 * Remember the agent's latest words for the summary, and their last line
 * for Murat's verdict (from the whole text: the words kept are capped); a
 * blank text block says nothing and replaces nothing.
 */
static void
keep_text(struct session *s, const json_t *content)
{
	json_t *b;
	size_t i;

	json_array_foreach(content, i, b) {
		const char *t = json_string_value(json_object_get(b, "text"));

		if (t && json_is_string(json_object_get(b, "type")) &&
		    strcmp(json_string_value(json_object_get(b, "type")),
			   "text") == 0 &&
		    !blank_text_block(b)) {
			utf8_copy(s->res.final_text, sizeof(s->res.final_text),
				  t);
			turn_last_line(t, s->res.last_line,
				       sizeof(s->res.last_line));
		}
	}
}

/*
 * Add the model's content as the newest assistant turn, without blank
 * text blocks (the API refuses them in a request; the transcript keeps
 * the reply as it came). After pause_turn the conversation already ends
 * with the assistant's partial turn: the continuation belongs to the same
 * turn, so its blocks are appended to it (two assistant messages in a row
 * are not a valid conversation).
 */
static void
append_assistant(struct session *s, const json_t *content)
{
	json_t *last = json_array_get(s->messages,
				      json_array_size(s->messages) - 1);
	const char *role = json_string_value(json_object_get(last, "role"));
	json_t *blocks = json_object_get(last, "content");
	json_t *kept = json_array(), *b;
	size_t i;

	json_array_foreach(content, i, b)
		if (!blank_text_block(b))
			json_array_append(kept, b);
	if (role && strcmp(role, "assistant") == 0 && json_is_array(blocks)) {
		json_array_extend(blocks, kept);
	} else {
		/* a turn is never empty: a reply of blanks alone says so */
		if (json_array_size(kept) == 0)
			json_array_append_new(kept,
					      json_pack("{s:s,s:s}", "type",
							"text", "text",
							"(empty reply)"));
		json_array_append_new(s->messages,
				      json_pack("{s:s,s:O}", "role",
						"assistant", "content", kept));
	}
	json_decref(kept);
}

/* max_tokens: drop a partial tool_use, tell the agent, go on. */
static void
continue_after_max_tokens(struct session *s, const json_t *content)
{
	json_t *kept = json_array(), *b;
	size_t i;

	json_array_foreach(content, i, b) {
		const char *t = json_string_value(json_object_get(b, "type"));

		if (t && strcmp(t, "tool_use") != 0 && !blank_text_block(b))
			json_array_append(kept, b);
	}
	if (json_array_size(kept) == 0)
		json_array_append_new(kept,
				      json_pack("{s:s,s:s}", "type", "text",
						"text",
						"(output cut at max_tokens)"));
	append_assistant(s, kept);
	json_decref(kept);
	json_array_append_new(
		s->messages,
		json_pack(
			"{s:s,s:s}", "role", "user", "content",
			"Your last reply was cut off at the output "
			"token limit, so any tool call in it was not run. Continue, "
			"and keep each tool input smaller (write large files in "
			"parts)."));
	call_api(s);
}

/* The batch is done: its results are the next user message. */
static void
on_tools_done(void *ctx, const struct batch_end *end)
{
	struct session *s = ctx;

	if (end->stop != SESSION_STOP_NONE) {
		/* the run's disk and file caps stop it; the rest are errors */
		finish(s,
		       end->stop == SESSION_STOP_DISK_LIMIT ||
				       end->stop == SESSION_STOP_FILE_LIMIT ?
			       SESSION_STOPPED :
			       SESSION_ERROR,
		       end->stop, NULL, end->error);
		return;
	}
	json_array_append_new(s->messages,
			      json_pack("{s:s,s:O}", "role", "user", "content",
					end->results));
	call_api(s);
}

static void
run_tools(struct session *s, const json_t *content)
{
	s->state = S_TOOLS;
	if (batch_run(s->batch, content, on_tools_done, s) < 0)
		finish(s, SESSION_ERROR, SESSION_STOP_INTERNAL, NULL,
		       "cannot run the tool calls: out of memory");
}

static void
handle_message(struct session *s, struct api_reply *r)
{
	json_t *content = r->resp.content;
	struct turn_next next;

	keep_text(s, content);
	turn_next(&r->resp, s->pause_turns, s->cfg.max_pause_turns, &next);
	s->pause_turns = next.pause_turns;
	switch (next.action) {
	case TURN_TOOLS:
		append_assistant(s, content);
		run_tools(s, content);
		break;
	case TURN_CONTINUE:
		append_assistant(s, content);
		call_api(s);
		break;
	case TURN_CUT:
		continue_after_max_tokens(s, content);
		break;
	case TURN_FINISH:
		if (next.status == SESSION_SUCCESS)
			append_assistant(s, content);
		finish(s, next.status, next.stop, next.stop_word,
		       next.status == SESSION_SUCCESS ? NULL : next.error);
		break;
	}
}

static void
on_api_done(void *ctx, struct api_reply *r)
{
	struct session *s = ctx;
	char why[900];

	s->call = NULL;
	s->res.replay_differences += r->replay_differences;
	if (r->outcome != API_OK) {
		s->res.api_outcome = r->outcome;
		s->res.retries += r->attempts ? (int)r->attempts - 1 : 0;
		snprintf(why, sizeof(why),
			 "API call failed (%s, HTTP %ld, "
			 "request %s): %s: %s",
			 api_outcome_name(r->outcome), r->http_status,
			 r->request_id[0] ? r->request_id : "none",
			 r->error_type, r->error_message);
		/* the conversation outgrew the context window: the agent's
		 * doing, as the stop_reason model_context_window_exceeded */
		if (r->outcome == API_E_CONTEXT_WINDOW)
			finish(s, SESSION_FAILED, SESSION_STOP_CONTEXT_WINDOW,
			       NULL, why);
		else
			finish(s, SESSION_ERROR, SESSION_STOP_API_ERROR, NULL,
			       why);
		return;
	}
	s->res.turns++;
	account(s, r);
	evlog_emit(s->cfg.events, "info", "agent_turn",
		   json_pack("{s:s,s:s,s:i,s:s?}", "agent", s->cfg.agent,
			     "phase", s->cfg.phase, "turn", s->res.turns,
			     "stop_reason", r->resp.stop_reason));
	note_spend(s);
	handle_message(s, r);
}

static void
on_timeout(struct loop *l, void *ctx)
{
	struct session *s = ctx;

	(void)l;
	s->timeout_timer = 0;
	finish(s, SESSION_TIMEOUT, SESSION_STOP_PHASE_TIMEOUT, NULL,
	       "the phase's time limit was reached");
}

static void
on_first_call(struct loop *l, void *ctx)
{
	struct session *s = ctx;

	(void)l;
	s->first_timer = 0;
	call_api(s);
}

/* The worker is up (or could not be): the first call may go. */
static void
on_worker_ready(void *ctx, const struct batch_end *end)
{
	struct session *s = ctx;

	if (end->stop != SESSION_STOP_NONE) {
		finish(s, SESSION_ERROR, end->stop, NULL, end->error);
		return;
	}
	call_api(s);
}

static void
batch_transcript(void *ctx, const char *type, json_t *fields)
{
	session_transcript(ctx, type, fields);
}

/* The transcript, the audit log and the batch; -1 with err. */
static int
open_outputs(struct session *s, char *err, size_t errlen)
{
	const struct session_cfg *c = &s->cfg;
	struct batch_cfg bc = {
		.loop = c->loop,
		.events = c->events,
		.agent = c->agent,
		.phase = c->phase,
		.tool_defs = c->tool_defs,
		.worker = c->needs_worker ? &s->cfg.worker : NULL,
		.require_layers = c->require_layers,
		.require_landlock_abi = c->require_landlock_abi,
		.watch = c->watch,
		.transcript = batch_transcript,
		.transcript_ctx = s,
	};

	s->transcript = io_open_private(c->transcript_path, O_EXCL | O_APPEND);
	if (s->transcript < 0) {
		snprintf(err, errlen, "cannot create %s: %s",
			 c->transcript_path, strerror(-s->transcript));
		return -1;
	}
	s->audit = audit_open(c->audit_path);
	if (!s->audit) {
		snprintf(err, errlen, "cannot create %s: %s", c->audit_path,
			 strerror(errno));
		return -1;
	}
	bc.audit = s->audit;
	s->batch = batch_new(&bc);
	if (!s->batch) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

struct session *
session_start(const struct session_cfg *cfg, session_done_fn done, void *ctx,
	      char *err, size_t errlen)
{
	struct session *s = calloc(1, sizeof(*s));

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->transcript = -1;
	s->cfg = *cfg;
	s->done = done;
	s->done_ctx = ctx;
	s->started = loop_now_ms();
	s->res.status = session_status_name(SESSION_ERROR);
	s->res.cost_known = true;
	s->res.tools_by_name = json_object();
	s->res.todos = json_null();
	s->web_calls = json_object();
	s->messages = json_pack("[{s:s,s:s}]", "role", "user", "content",
				cfg->task_prompt);
	if (open_outputs(s, err, errlen) < 0)
		goto fail;
	note_spend(s);
	if (cfg->rec && !(s->conv = rec_conv_open(cfg->rec, &cfg->rec_key))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (cfg->timeout_ms)
		s->timeout_timer = loop_add_timer(cfg->loop, cfg->timeout_ms,
						  on_timeout, s);
	s->state = cfg->needs_worker ? S_START : S_CALL;
	if (cfg->needs_worker &&
	    batch_start(s->batch, on_worker_ready, s, err, errlen) < 0)
		goto fail;
	if (!cfg->needs_worker)
		s->first_timer = loop_add_timer(cfg->loop, 0, on_first_call, s);
	return s;
fail:
	session_free(s);
	return NULL;
}

void
session_free(struct session *s)
{
	if (!s)
		return;
	if (s->first_timer)
		loop_cancel_timer(s->cfg.loop, s->first_timer);
	if (s->finish_timer)
		loop_cancel_timer(s->cfg.loop, s->finish_timer);
	if (s->timeout_timer)
		loop_cancel_timer(s->cfg.loop, s->timeout_timer);
	api_call_cancel(s->call);
	rec_conv_close(s->conv);
	batch_free(s->batch);
	if (s->transcript >= 0)
		close(s->transcript);
	audit_close(s->audit);
	json_decref(s->messages);
	json_decref(s->web_calls);
	json_decref(s->tools_cached);
	json_decref(s->res.tools_by_name);
	json_decref(s->res.todos);
	free(s);
}
