/*
 * batch.c - the tool calls of one assistant message; see batch.h for the
 * slots, the checks and the worker's lifecycle.
 *
 * Everything moves forward in pump(): it takes the next slot, checks it,
 * and either completes it here (refused, TodoWrite) or hands it to the
 * worker (starting a fresh one when there is none). The worker's
 * callbacks complete the RUNNING slot and pump again; when every slot is
 * DONE the results go back through the batch's callback.
 */
#include "supervisor/agent/batch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"
#include "supervisor/sandbox/isolation.h"

enum slot_state {
	SLOT_PENDING, /* not looked at yet */
	SLOT_WAITING, /* checked, waits for a ready worker */
	SLOT_RUNNING, /* at a worker */
	SLOT_DONE,    /* has its result, or was cut short (cancel) */
};

struct slot {
	json_t *block; /* the tool_use block (a reference) */
	enum slot_state state;
	json_t *result;   /* DONE: its tool_result block */
	uint64_t started; /* for the tool_call event's duration */
};

/* A worker and the slot it runs; the wconn callbacks' context. */
struct bworker {
	struct batch *b;
	struct wconn *w;   /* NULL: none */
	bool ready;        /* READY seen and accepted */
	struct slot *slot; /* RUNNING at this worker, or NULL */
};

enum batch_state {
	B_IDLE,      /* no batch in flight */
	B_STARTING,  /* batch_start(): waiting for READY */
	B_RUNNING,   /* a batch in flight */
	B_FAILED,    /* ended with a stop: inert until cancelled or freed */
	B_CANCELLED, /* batch_cancel(): inert */
};

struct batch {
	struct batch_cfg cfg;
	enum batch_state state;
	batch_done_fn done;
	void *done_ctx;
	uint64_t timer; /* the first pump of a batch, or 0 */
	struct slot *slots;
	size_t n_slots;
	struct bworker wk;
	bool measuring;      /* the worker measures the project (watch.h) */
	unsigned measure_no; /* for the measurement's call id */
	struct wconn *dead[BATCH_MAX_RESPAWNS + 1]; /* freed by batch_free */
	size_t n_dead;
	struct batch_stats st;
};

static void pump(struct batch *b);

/* ---- records: counters, audit, events ---- */

static const char *
block_str(const json_t *block, const char *key)
{
	return json_string_value(json_object_get(block, key));
}

static void
count_tool(struct batch *b, const char *name)
{
	json_t *n = json_object_get(b->st.tools_by_name, name);

	json_object_set_new(b->st.tools_by_name, name,
			    json_integer(json_integer_value(n) + 1));
	b->st.tool_calls++;
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
	char *clean = utf8_clean(text, strlen(text));

	out = json_pack("{s:s,s:b}", "prefix", clean ? clean : "", "truncated",
			1);
	free(clean);
	free(text);
	return out;
}

/* The audit record of one call; r is the worker's result when any. */
static void
audit_call(struct batch *b, const json_t *block, const char *outcome,
	   const struct msg_tool_result *r, const char *note)
{
	json_t *rec = json_pack("{s:s,s:s,s:s?,s:s?,s:o,s:s,s:b}", "agent",
				b->cfg.agent, "phase", b->cfg.phase, "tool",
				block_str(block, "name"), "tool_use_id",
				block_str(block, "id"), "input",
				capped_input(json_object_get(block, "input")),
				"outcome", outcome, "is_error",
				r ? r->is_error : 1);

	if (r) {
		json_object_set_new(rec, "exit_code",
				    json_integer(r->exit_code));
		json_object_set_new(rec, "duration_ms",
				    json_integer((json_int_t)r->duration_ms));
		json_object_set_new(rec, "bytes",
				    json_integer((json_int_t)r->bytes));
		json_object_set_new(rec, "truncated",
				    json_boolean(r->truncated));
	}
	if (note)
		json_object_set_new(rec, "note", json_string(note));
	if (audit_append(b->cfg.audit, rec) < 0) {
		evlog_write_failed(b->cfg.events, "an audit log", errno);
		evlog_emit(b->cfg.events, "error", "audit_write_failed",
			   json_pack("{s:s}", "agent", b->cfg.agent));
	}
	json_decref(rec);
}

static void
transcript(struct batch *b, const char *type, json_t *fields)
{
	if (b->cfg.transcript)
		b->cfg.transcript(b->cfg.transcript_ctx, type, fields);
	else
		json_decref(fields);
}

/* The slot's tool_result block and tool_call event: the slot is DONE. */
static void
complete(struct batch *b, struct slot *s, const char *content, bool is_error)
{
	const char *id = block_str(s->block, "id");

	s->result = json_pack("{s:s,s:s,s:s,s:b}", "type", "tool_result",
			      "tool_use_id", id, "content", content, "is_error",
			      is_error);
	s->state = SLOT_DONE;
	if (is_error)
		b->st.tool_errors++;
	evlog_emit(b->cfg.events, is_error ? "warn" : "info", "tool_call",
		   json_pack("{s:s,s:s,s:s,s:s,s:b,s:I}", "agent", b->cfg.agent,
			     "phase", b->cfg.phase, "tool",
			     block_str(s->block, "name"), "tool_use_id", id,
			     "is_error", is_error, "duration_ms",
			     (json_int_t)(loop_now_ms() - s->started)));
}

/* ---- the checks before the worker, and TodoWrite ---- */

static void
refuse(struct batch *b, struct slot *s, const char *why)
{
	b->st.denied++;
	audit_call(b, s->block, "denied", NULL, why);
	complete(b, s, why, true);
}

static bool
granted(const struct batch *b, const char *name)
{
	json_t *d;
	size_t i;

	json_array_foreach(b->cfg.tool_defs, i, d) {
		if (strcmp(block_str(d, "name"), name) == 0)
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
		const char *st = block_str(t, "status");
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
todo_write(struct batch *b, struct slot *s)
{
	const json_t *todos = json_object_get(json_object_get(s->block,
							      "input"),
					      "todos");
	struct msg_tool_result r = { .exit_code = -1 };

	count_tool(b, "TodoWrite");
	if (!todos_valid(todos)) {
		audit_call(b, s->block, "error", NULL, "invalid todos");
		complete(b, s,
			 "TodoWrite needs todos: a list of {content, "
			 "status: pending|in_progress|completed, "
			 "activeForm?}",
			 true);
		return;
	}
	json_decref(b->st.todos);
	b->st.todos = json_deep_copy(todos);
	audit_call(b, s->block, "allowed", &r, NULL);
	transcript(b, "todos", json_pack("{s:O}", "todos", todos));
	complete(b, s, "Todos have been updated.", false);
}

/* Check a PENDING slot: false when it is DONE already (refused, or
 * TodoWrite), true when it must go to the worker. */
static bool
check_slot(struct batch *b, struct slot *s)
{
	const char *name = block_str(s->block, "name");
	const json_t *input = json_object_get(s->block, "input");
	char why[512];
	char *text;
	size_t n;

	if (!granted(b, name)) {
		snprintf(why, sizeof(why),
			 "Tool %.64s is not available to %s. "
			 "Use one of the tools you were given.",
			 name, b->cfg.agent);
		refuse(b, s, why);
		return false;
	}
	text = json_dumps(input, JSON_COMPACT | JSON_ENCODE_ANY);
	n = text ? strlen(text) : 0;
	free(text);
	if (!json_is_object(input) || n > BATCH_INPUT_MAX) {
		refuse(b, s,
		       "The tool input must be a JSON object of at "
		       "most 1 MiB.");
		return false;
	}
	if (strcmp(name, "TodoWrite") == 0) {
		todo_write(b, s);
		return false;
	}
	return true;
}

/* ---- the worker ---- */

/* The deadline a tool call gets. */
static uint32_t
tool_timeout(const struct batch *b, const char *name, const json_t *input)
{
	const struct msg_policy *p = &b->cfg.worker->init->policy;
	json_t *t = json_object_get(input, "timeout");
	uint64_t ms = p->timeout_default_ms;

	if (strcmp(name, "Bash") != 0)
		return BATCH_TOOL_TIMEOUT_MS;
	if (json_is_integer(t) && json_integer_value(t) > 0)
		ms = (uint64_t)json_integer_value(t);
	if (ms > p->timeout_max_ms)
		ms = p->timeout_max_ms;
	return (uint32_t)ms;
}

static void on_ready(void *ctx, const struct msg_ready *r);
static void on_result(void *ctx, const struct msg_tool_result *r);
static void on_dead(void *ctx, const char *why);
static void on_log(void *ctx, const char *line);

static int
spawn(struct batch *b, char *err, size_t errlen)
{
	static const struct wconn_cbs cbs = {
		.ready = on_ready,
		.result = on_result,
		.dead = on_dead,
		.log = on_log,
	};

	b->wk.ready = false;
	b->wk.slot = NULL;
	b->wk.w = wconn_start(b->cfg.loop, b->cfg.worker, &cbs, &b->wk, err,
			      errlen);
	return b->wk.w ? 0 : -1;
}

/* A dead worker cannot be freed inside its own callback: keep it for
 * batch_free(). */
static void
bury(struct batch *b)
{
	if (b->wk.w && b->n_dead < BATCH_MAX_RESPAWNS + 1)
		b->dead[b->n_dead++] = b->wk.w;
	b->wk.w = NULL;
	b->wk.ready = false;
	b->wk.slot = NULL;
	b->st.worker_pid = 0;
}

/* ---- the batch ---- */

static void
slots_clear(struct batch *b)
{
	for (size_t i = 0; i < b->n_slots; i++) {
		json_decref(b->slots[i].block);
		json_decref(b->slots[i].result);
	}
	free(b->slots);
	b->slots = NULL;
	b->n_slots = 0;
}

/* The batch (or the start) ends with a stop; the batch goes inert. The
 * slots stay, so that batch_cancel() records the call that was cut. */
static void
fail(struct batch *b, enum session_stop stop, const char *error)
{
	struct batch_end end = { .stop = stop, .error = error };

	b->state = B_FAILED;
	b->done(b->done_ctx, &end);
}

/* Every slot is DONE: hand the results over. */
static void
end_batch(struct batch *b)
{
	struct batch_end end = { .stop = SESSION_STOP_NONE };
	json_t *results = json_array();

	for (size_t i = 0; i < b->n_slots; i++)
		json_array_append(results, b->slots[i].result);
	slots_clear(b);
	b->state = B_IDLE;
	end.results = results;
	b->done(b->done_ctx, &end);
	json_decref(results);
}

/*
 * The slot to move next: the first one not DONE, unless it is RUNNING (one
 * call at a time). NULL when there is none, or when one runs.
 */
static struct slot *
next_slot(struct batch *b)
{
	for (size_t i = 0; i < b->n_slots; i++) {
		struct slot *s = &b->slots[i];

		if (s->state == SLOT_DONE)
			continue;
		return s->state == SLOT_RUNNING ? NULL : s;
	}
	return NULL;
}

/* Send a WAITING slot to the worker (it becomes RUNNING), or start a
 * worker when there is none (on_ready comes back here), or fail. */
static void
dispatch(struct batch *b, struct slot *s)
{
	const char *name = block_str(s->block, "name");
	const json_t *input = json_object_get(s->block, "input");
	char err[256];

	if (b->wk.w && !b->wk.ready)
		return; /* on_ready continues */
	if (!b->wk.w && !b->cfg.worker) {
		fail(b, SESSION_STOP_WORKER_FAILED,
		     "this agent has no sandbox worker");
		return;
	}
	if (!b->wk.w) {
		if (b->st.respawns >= BATCH_MAX_RESPAWNS ||
		    spawn(b, err, sizeof(err)) < 0) {
			fail(b, SESSION_STOP_WORKER_FAILED,
			     "the sandbox worker keeps dying");
			return;
		}
		b->st.respawns++;
		return; /* on_ready continues */
	}
	s->started = loop_now_ms();
	count_tool(b, name);
	/* for a live view only (evlog_note): the call being run */
	evlog_note(b->cfg.events, "tool_started",
		   json_pack("{s:s,s:s,s:s,s:O?}", "agent", b->cfg.agent,
			     "phase", b->cfg.phase, "tool", name, "input",
			     input));
	if (wconn_call(b->wk.w, block_str(s->block, "id"), name, input,
		       tool_timeout(b, name, input)) < 0) {
		fail(b, SESSION_STOP_WORKER_FAILED,
		     "cannot send a tool call to the worker");
		return;
	}
	s->state = SLOT_RUNNING;
	b->wk.slot = s;
}

static void
pump(struct batch *b)
{
	struct slot *s;

	while (b->state == B_RUNNING && (s = next_slot(b))) {
		if (s->state == SLOT_PENDING) {
			s->started = loop_now_ms();
			if (!check_slot(b, s))
				continue;
			s->state = SLOT_WAITING;
		}
		dispatch(b, s);
		return; /* on_result or on_ready continues */
	}
	for (size_t i = 0; i < b->n_slots; i++) {
		if (b->slots[i].state != SLOT_DONE)
			return;
	}
	if (b->state == B_RUNNING)
		end_batch(b);
}

static void
on_pump_timer(struct loop *l, void *ctx)
{
	struct batch *b = ctx;

	(void)l;
	b->timer = 0;
	pump(b);
}

/* ---- the worker's callbacks ---- */

static void
audit_ready(struct batch *b, const struct msg_ready *r)
{
	json_t *rec = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:i}", "agent",
				b->cfg.agent, "phase", b->cfg.phase, "tool",
				"session", "outcome", "worker_ready", "pid",
				(json_int_t)r->pid, "uid", (json_int_t)r->uid,
				"layers", (json_int_t)r->layers, "landlock_abi",
				r->landlock_abi);

	if (audit_append(b->cfg.audit, rec) < 0)
		evlog_write_failed(b->cfg.events, "an audit log", errno);
	json_decref(rec);
}

static bool
isolation_met(struct batch *b, const struct msg_ready *r)
{
	char why[256];

	if ((r->layers & b->cfg.require_layers) == b->cfg.require_layers &&
	    r->landlock_abi >= b->cfg.require_landlock_abi)
		return true;
	isolation_unmet_text(r->layers, r->landlock_abi, b->cfg.require_layers,
			     b->cfg.require_landlock_abi, "the worker", why,
			     sizeof(why));
	fail(b, SESSION_STOP_ISOLATION_UNMET, why);
	return false;
}

static void
on_ready(void *ctx, const struct msg_ready *r)
{
	struct bworker *wk = ctx;
	struct batch *b = wk->b;
	struct batch_end end = { .stop = SESSION_STOP_NONE };

	b->st.layers = r->layers;
	b->st.landlock_abi = r->landlock_abi;
	b->st.worker_uid = r->uid;
	b->st.worker_pid = r->pid;
	audit_ready(b, r);
	if (b->state != B_STARTING && b->state != B_RUNNING)
		return;
	if (!isolation_met(b, r))
		return;
	wk->ready = true;
	if (b->state == B_RUNNING) {
		pump(b);
		return;
	}
	b->state = B_IDLE;
	end.results = json_array();
	b->done(b->done_ctx, &end);
	json_decref(end.results);
}

/* After a call that can write: ask the worker to measure the project.
 * true when the measurement (or the batch's failure) follows. */
static bool
measure(struct batch *b, const char *tool)
{
	char id[48];
	json_t *input;
	int rc;

	if (!watch_wants(&b->cfg.watch, tool) || !b->wk.w || !b->wk.ready)
		return false;
	input = watch_input(&b->cfg.watch);
	snprintf(id, sizeof(id), "gao-measure-%u", ++b->measure_no);
	rc = input ? wconn_call(b->wk.w, id, WATCH_TOOL, input,
				WATCH_TIMEOUT_MS) :
		     -1;
	json_decref(input);
	if (rc < 0) {
		fail(b, SESSION_STOP_WORKER_FAILED,
		     "cannot ask the sandbox worker to measure the project");
		return true;
	}
	b->measuring = true;
	return true;
}

/* The measurement's answer (NULL: the worker died): go on, or stop. */
static void
measured(struct batch *b, const struct msg_tool_result *r)
{
	char why[512];
	enum session_stop stop;

	b->measuring = false;
	stop = watch_verdict(&b->cfg.watch, r, why, sizeof(why));
	if (stop != SESSION_STOP_NONE) {
		fail(b, stop, why);
		return;
	}
	pump(b);
}

/* The first BATCH_EXCERPT_MAX bytes of a result (valid UTF-8), cut on
 * a character, for the transcript (the report shows it). */
static json_t *
excerpt(const char *clean)
{
	size_t n;

	if (!clean)
		return json_string("");
	n = utf8_boundary(clean, strlen(clean), BATCH_EXCERPT_MAX);
	return json_stringn(clean, n);
}

static void
on_result(void *ctx, const struct msg_tool_result *r)
{
	struct bworker *wk = ctx;
	struct batch *b = wk->b;
	struct slot *s = wk->slot;
	char *clean;

	if (b->state != B_RUNNING) {
		b->measuring = false;
		return; /* cancelled: the call has its record */
	}
	if (b->measuring) {
		measured(b, r);
		return;
	}
	if (!s)
		return;
	wk->slot = NULL;
	clean = utf8_clean(r->content, strlen(r->content));
	audit_call(b, s->block, r->is_error ? "error" : "allowed", r, NULL);
	transcript(b, "tool_result",
		   json_pack("{s:s,s:s,s:b,s:I,s:I,s:I,"
			     "s:b,s:o}",
			     "tool_use_id", r->id, "tool",
			     block_str(s->block, "name"), "is_error",
			     r->is_error, "exit_code", (json_int_t)r->exit_code,
			     "duration_ms", (json_int_t)r->duration_ms, "bytes",
			     (json_int_t)r->bytes, "truncated", r->truncated,
			     "excerpt", excerpt(clean)));
	complete(b, s, clean ? clean : "(output not available)", r->is_error);
	free(clean);
	if (measure(b, block_str(s->block, "name")))
		return;
	pump(b);
}

static void
on_dead(void *ctx, const char *why)
{
	struct bworker *wk = ctx;
	struct batch *b = wk->b;
	struct slot *s = wk->slot;
	bool was_ready = wk->ready;
	char msg[300];

	evlog_emit(b->cfg.events, "warn", "worker_died",
		   json_pack("{s:s,s:s,s:s}", "agent", b->cfg.agent, "phase",
			     b->cfg.phase, "reason", why));
	bury(b);
	if (b->measuring) {
		/* fail closed: a project that could not be measured */
		if (b->state == B_RUNNING)
			measured(b, NULL);
		b->measuring = false;
		return;
	}
	if (b->state == B_STARTING || (b->state == B_RUNNING && !was_ready)) {
		snprintf(msg, sizeof(msg),
			 "the sandbox worker failed to "
			 "start: %s",
			 why);
		fail(b, SESSION_STOP_WORKER_FAILED, msg);
		return;
	}
	if (b->state != B_RUNNING || !s)
		return; /* the next call starts a new worker */
	snprintf(msg, sizeof(msg),
		 "The sandbox running this tool was "
		 "stopped: %s. A fresh sandbox will run your next tool call.",
		 why);
	audit_call(b, s->block, "error", NULL, why);
	complete(b, s, msg, true);
	pump(b);
}

static void
on_log(void *ctx, const char *line)
{
	struct bworker *wk = ctx;
	char *clean = utf8_clean(line, strlen(line));

	evlog_emit(wk->b->cfg.events, "warn", "worker_log",
		   json_pack("{s:s,s:s}", "agent", wk->b->cfg.agent, "line",
			     clean ? clean : ""));
	free(clean);
}

/* ---- the interface ---- */

struct batch *
batch_new(const struct batch_cfg *cfg)
{
	struct batch *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->cfg = *cfg;
	b->wk.b = b;
	b->st.tools_by_name = json_object();
	b->st.todos = json_null();
	if (!b->st.tools_by_name) {
		batch_free(b);
		return NULL;
	}
	return b;
}

int
batch_start(struct batch *b, batch_done_fn fn, void *ctx, char *err,
	    size_t errlen)
{
	if (b->state != B_IDLE || b->wk.w || !b->cfg.worker) {
		snprintf(err, errlen, "no sandbox worker to start");
		return -1;
	}
	if (spawn(b, err, errlen) < 0)
		return -1;
	b->done = fn;
	b->done_ctx = ctx;
	b->state = B_STARTING;
	return 0;
}

static bool
is_tool_use(const json_t *block)
{
	const char *t = block_str(block, "type");

	return t && strcmp(t, "tool_use") == 0;
}

/* The tool_use blocks of content as PENDING slots. */
static int
make_slots(struct batch *b, const json_t *content)
{
	json_t *blk;
	size_t i, n = 0;

	json_array_foreach(content, i, blk)
		n += is_tool_use(blk);
	b->slots = calloc(n ? n : 1, sizeof(*b->slots));
	if (!b->slots)
		return -1;
	json_array_foreach(content, i, blk) {
		if (is_tool_use(blk))
			b->slots[b->n_slots++].block = json_incref(blk);
	}
	return 0;
}

int
batch_run(struct batch *b, const json_t *content, batch_done_fn fn, void *ctx)
{
	if (b->state != B_IDLE)
		return -1;
	if (make_slots(b, content) < 0)
		return -1;
	b->timer = loop_add_timer(b->cfg.loop, 0, on_pump_timer, b);
	if (!b->timer) {
		slots_clear(b);
		return -1;
	}
	b->done = fn;
	b->done_ctx = ctx;
	b->state = B_RUNNING;
	return 0;
}

void
batch_cancel(struct batch *b, const char *reason)
{
	char note[128];

	if (!b || b->state == B_CANCELLED)
		return;
	snprintf(note, sizeof(note), "interrupted: %s", reason ? reason : "");
	for (size_t i = 0; i < b->n_slots; i++) {
		struct slot *s = &b->slots[i];

		if (s->state != SLOT_WAITING && s->state != SLOT_RUNNING)
			continue;
		audit_call(b, s->block, "error", NULL, note);
		s->state = SLOT_DONE; /* recorded once */
	}
	if (b->timer)
		loop_cancel_timer(b->cfg.loop, b->timer);
	b->timer = 0;
	b->wk.slot = NULL;
	b->state = B_CANCELLED;
}

const struct batch_stats *
batch_stats(const struct batch *b)
{
	return &b->st;
}

void
batch_free(struct batch *b)
{
	if (!b)
		return;
	if (b->timer)
		loop_cancel_timer(b->cfg.loop, b->timer);
	wconn_stop(b->wk.w);
	for (size_t i = 0; i < b->n_dead; i++)
		wconn_stop(b->dead[i]);
	slots_clear(b);
	json_decref(b->st.tools_by_name);
	json_decref(b->st.todos);
	free(b);
}
