/*
 * batch.c - the tool calls of one assistant message; see batch.h for the
 * slots, the checks, the pool of workers and their lifecycle.
 *
 * Everything moves forward in pump(): it walks the slots in order, checks
 * each one it reaches, and either completes it here (refused, TodoWrite)
 * or hands it to a worker. A read-only call (Read, Glob, Grep) goes to
 * any idle ready worker of the pool, or to a new one (bound to it until
 * its READY) while the pool may grow, and the walk goes on to the next
 * slot; any other call waits until every earlier slot is DONE, runs on the
 * primary worker alone (and its measurement after it), and the walk stops
 * there until it is DONE. The workers' callbacks complete their slots and
 * pump again; when every slot is DONE the results go back through the
 * batch's callback. The records of each call are written in the order of
 * the calls by batch_rec.c.
 */
#include "supervisor/agent/batch_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"
#include "supervisor/sandbox/isolation.h"

static void pump(struct batch *b);

/* ---- small helpers ---- */

static const char *
block_str(const json_t *block, const char *key)
{
	return json_string_value(json_object_get(block, key));
}

/* ---- the workers ---- */

/*
 * Bash's "timeout" read as the worker reads it (tool_arg_uint): an
 * integer, or a real with a whole value (300000.0). 0 when absent or
 * anything else (0, negative, fractional, not a number: the worker
 * answers those with an error, or uses its default).
 */
static uint64_t
bash_timeout_arg(const json_t *t)
{
	double d;

	if (json_is_integer(t))
		return json_integer_value(t) > 0 ?
			       (uint64_t)json_integer_value(t) :
			       0;
	if (!json_is_real(t))
		return 0;
	d = json_real_value(t);
	/* NaN fails both comparisons; the cast is then in range. */
	if (!(d >= 1 && d < 1.8e19) || d != (double)(uint64_t)d)
		return 0;
	return (uint64_t)d;
}

/* The deadline a tool call gets: for Bash, the timeout the worker will
 * use, so that the two never differ. */
static uint32_t
tool_timeout(const struct batch *b, const char *name, const json_t *input)
{
	const struct msg_policy *p = &b->cfg.worker->init->policy;
	uint64_t ms = bash_timeout_arg(json_object_get(input, "timeout"));

	if (strcmp(name, "Bash") != 0)
		return BATCH_TOOL_TIMEOUT_MS;
	if (ms == 0)
		ms = p->timeout_default_ms;
	if (ms > p->timeout_max_ms)
		ms = p->timeout_max_ms;
	return (uint32_t)ms;
}

static void on_ready(void *ctx, const struct msg_ready *r);
static void on_result(void *ctx, const struct msg_tool_result *r);
static void on_dead(void *ctx, const char *why);
static void on_log(void *ctx, const char *line);

/*
 * Start the worker of pool index i. A start of an index started before is
 * a respawn, at most BATCH_MAX_RESPAWNS in the session: 1 when that
 * budget is spent, -1 with err when the worker could not be spawned, 0.
 */
static int
spawn(struct batch *b, int i, char *err, size_t errlen)
{
	static const struct wconn_cbs cbs = {
		.ready = on_ready,
		.result = on_result,
		.dead = on_dead,
		.log = on_log,
	};
	struct bworker *wk = &b->wk[i];

	if (wk->used && b->st.respawns >= BATCH_MAX_RESPAWNS)
		return 1;
	wk->ready = false;
	wk->measuring = false;
	wk->slot = NULL;
	wk->w = wconn_start(b->cfg.loop, b->cfg.worker, &cbs, wk, err, errlen);
	if (!wk->w)
		return -1;
	if (wk->used)
		b->st.respawns++;
	wk->used = true;
	return 0;
}

/* A dead worker cannot be freed inside its own callback: keep it for
 * batch_free(). */
static void
bury(struct bworker *wk)
{
	struct batch *b = wk->b;

	/* room for every worker a session can start (BATCH_POOL_MAX first
	 * starts and BATCH_MAX_RESPAWNS more) */
	if (wk->w && b->n_dead < sizeof(b->dead) / sizeof(b->dead[0]))
		b->dead[b->n_dead++] = wk->w;
	wk->w = NULL;
	wk->ready = false;
	wk->measuring = false;
	wk->slot = NULL;
	if (wk->index == 0)
		b->st.worker_pid = 0;
}

/* ---- the batch ---- */

static void
slots_clear(struct batch *b)
{
	for (size_t i = 0; i < b->n_slots; i++) {
		json_decref(b->slots[i].block);
		json_decref(b->slots[i].result);
		batch_rec_clear(&b->slots[i]);
	}
	free(b->slots);
	b->slots = NULL;
	b->n_slots = 0;
	b->n_recorded = 0;
}

/* The batch (or the start) ends with a stop; the batch goes inert. The
 * slots stay, so that batch_cancel() records the calls that were cut. */
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

static int
running(const struct batch *b)
{
	int n = 0;

	for (size_t i = 0; i < b->n_slots; i++)
		n += b->slots[i].state == SLOT_RUNNING;
	return n;
}

/* Send WAITING slot s to ready idle worker wk: it becomes RUNNING. */
static void
send_call(struct batch *b, struct slot *s, struct bworker *wk)
{
	const char *name = block_str(s->block, "name");
	const json_t *input = json_object_get(s->block, "input");
	int rc;

	s->started = loop_now_ms();
	batch_count_tool(b, name);
	/* for a live view only (evlog_note): the call being run */
	evlog_note(b->cfg.events, "tool_started",
		   json_pack("{s:s,s:s,s:s,s:O?}", "agent", b->cfg.agent,
			     "phase", b->cfg.phase, "tool", name, "input",
			     input));
	rc = wconn_call(wk->w, block_str(s->block, "id"), name, input,
			tool_timeout(b, name, input));
	/* EPIPE: the worker is gone and its death is on its way (on_dead
	 * completes the call) */
	if (rc < 0 && rc != -EPIPE) {
		fail(b, SESSION_STOP_WORKER_FAILED,
		     "cannot send a tool call to the worker");
		return;
	}
	s->state = SLOT_RUNNING;
	s->wk = wk;
	s->worker = wconn_pid(wk->w);
	wk->slot = s;
	s->in_flight = running(b);
}

static bool
idle(const struct bworker *wk)
{
	return wk->w && wk->ready && !wk->slot && !wk->measuring;
}

static int
live_workers(const struct batch *b)
{
	int n = 0;

	for (int i = 0; i < BATCH_POOL_MAX; i++)
		n += b->wk[i].w != NULL;
	return n;
}

/*
 * A call that is not read-only, every earlier slot DONE: on the primary
 * worker (started again when it died; on_ready continues), or the batch
 * fails.
 */
static void
dispatch_primary(struct batch *b, struct slot *s)
{
	struct bworker *wk = &b->wk[0];
	char err[256];

	if (!b->cfg.worker) {
		fail(b, SESSION_STOP_WORKER_FAILED,
		     "this agent has no sandbox worker");
		return;
	}
	if (wk->w && !wk->ready)
		return; /* on_ready continues */
	if (!wk->w) {
		if (spawn(b, 0, err, sizeof(err)) != 0)
			fail(b, SESSION_STOP_WORKER_FAILED,
			     "the sandbox worker keeps dying");
		return; /* on_ready continues */
	}
	send_call(b, s, wk);
}

/*
 * A read-only call: to the first idle ready worker, or to a new worker of
 * the pool bound to it (its READY sends it). false when no worker can
 * take it now (one that frees up pumps again), or the batch failed.
 */
static bool
dispatch_read(struct batch *b, struct slot *s)
{
	char err[256];
	int i, rc;

	if (!b->cfg.worker) {
		fail(b, SESSION_STOP_WORKER_FAILED,
		     "this agent has no sandbox worker");
		return false;
	}
	for (i = 0; i < BATCH_POOL_MAX; i++) {
		if (idle(&b->wk[i])) {
			send_call(b, s, &b->wk[i]);
			return b->state == B_RUNNING;
		}
	}
	for (i = 0; i < BATCH_POOL_MAX; i++) {
		if (b->wk[i].w)
			continue;
		/* the primary is always started again; the others only while
		 * the pool may grow */
		if (i > 0 && b->no_growth)
			return false;
		rc = spawn(b, i, err, sizeof(err));
		if (rc == 0) {
			b->wk[i].slot = s;
			s->wk = &b->wk[i];
			return true;
		}
		if (live_workers(b) > 0) {
			/* the pool stays as it is: the workers it has will
			 * run the call */
			b->no_growth = true;
			return false;
		}
		fail(b, SESSION_STOP_WORKER_FAILED,
		     "the sandbox worker keeps dying");
		return false;
	}
	return false;
}

static void
pump(struct batch *b)
{
	bool earlier = false; /* an earlier slot is not DONE */

	for (int i = 0; i < BATCH_POOL_MAX; i++) {
		if (b->wk[i].measuring)
			return; /* it runs alone; measured() continues */
	}
	for (size_t i = 0; b->state == B_RUNNING && i < b->n_slots; i++) {
		struct slot *s = &b->slots[i];

		if (s->state == SLOT_DONE)
			continue;
		if (s->state == SLOT_PENDING) {
			s->started = loop_now_ms();
			if (!batch_check_slot(b, s))
				continue;
			s->state = SLOT_WAITING;
		}
		if (!batch_read_only(block_str(s->block, "name"))) {
			if (!earlier && s->state == SLOT_WAITING)
				dispatch_primary(b, s);
			return; /* on_result or on_ready continues */
		}
		if (s->state == SLOT_WAITING && !s->wk && !dispatch_read(b, s))
			return; /* a worker that frees up continues */
		earlier = true;
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

/*
 * The session's counters: the primary's READY as it is; a pool worker's
 * can only lower them (the layers every worker had). Without a PID
 * namespace, as root, stopping a worker kills every process of the run's
 * uid (wconn.c), the pool's other workers too: there the pool does not
 * grow.
 */
static void
ready_stats(struct batch *b, const struct bworker *wk,
	    const struct msg_ready *r)
{
	const struct wconn_opts *o = b->cfg.worker;

	if (wk->index == 0) {
		b->st.layers = r->layers;
		b->st.landlock_abi = r->landlock_abi;
		b->st.worker_uid = r->uid;
		b->st.worker_pid = r->pid;
	} else {
		b->st.layers &= r->layers;
		if (r->landlock_abi < b->st.landlock_abi)
			b->st.landlock_abi = r->landlock_abi;
	}
	if (o->drop_uid && o->uid != 0 && !(r->layers & MSG_LAYER_NS_PID))
		b->no_growth = true;
}

static void
on_ready(void *ctx, const struct msg_ready *r)
{
	struct bworker *wk = ctx;
	struct batch *b = wk->b;
	struct batch_end end = { .stop = SESSION_STOP_NONE };
	struct slot *s = wk->slot;

	ready_stats(b, wk, r);
	batch_rec_ready(b, wk, r);
	if (b->state != B_STARTING && b->state != B_RUNNING)
		return;
	if (!isolation_met(b, r))
		return;
	wk->ready = true;
	if (b->state == B_RUNNING) {
		if (s) { /* the call it was started for */
			wk->slot = NULL;
			s->wk = NULL;
			send_call(b, s, wk);
		}
		pump(b);
		return;
	}
	b->state = B_IDLE;
	end.results = json_array();
	b->done(b->done_ctx, &end);
	json_decref(end.results);
}

/* After a call that can write: wk (the primary) measures the project.
 * true when the measurement (or the batch's failure) follows. */
static bool
measure(struct batch *b, struct bworker *wk, const char *tool)
{
	char id[48];
	json_t *input;
	int rc;

	if (!watch_wants(&b->cfg.watch, tool) || !wk->w || !wk->ready)
		return false;
	input = watch_input(&b->cfg.watch);
	snprintf(id, sizeof(id), "gao-measure-%u", ++b->measure_no);
	rc = input ? wconn_call(wk->w, id, WATCH_TOOL, input,
				WATCH_TIMEOUT_MS) :
		     -1;
	json_decref(input);
	if (rc < 0) {
		fail(b, SESSION_STOP_WORKER_FAILED,
		     "cannot ask the sandbox worker to measure the project");
		return true;
	}
	wk->measuring = true;
	return true;
}

/* The measurement's answer (NULL: the worker died): go on, or stop. */
static void
measured(struct batch *b, struct bworker *wk, const struct msg_tool_result *r)
{
	char why[512];
	enum session_stop stop;

	wk->measuring = false;
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

/*
 * clean (the worker's text, malloc'ed) cut to the policy's output_bytes
 * and BATCH_RESULT_SLACK on a character, with a note saying so; returns
 * clean itself when it fits, else a new string (clean is freed). NULL
 * stays NULL, or when out of memory.
 */
static char *
cap_result(const struct batch *b, char *clean)
{
	static const char note[] = "\n[output cut by the supervisor: the "
				   "sandbox sent %zu bytes, more than the "
				   "policy allows]";
	uint64_t cap = b->cfg.worker->init->policy.output_bytes +
		       BATCH_RESULT_SLACK;
	size_t len = clean ? strlen(clean) : 0, keep;
	char *cut;

	if (len <= cap)
		return clean;
	keep = utf8_boundary(clean, len, (size_t)cap);
	cut = malloc(keep + sizeof(note) + 24);
	if (cut) {
		memcpy(cut, clean, keep);
		snprintf(cut + keep, sizeof(note) + 24, note, len);
	}
	free(clean);
	return cut;
}

static void
on_result(void *ctx, const struct msg_tool_result *r)
{
	struct bworker *wk = ctx;
	struct batch *b = wk->b;
	struct slot *s = wk->slot;
	char *clean;

	if (b->state != B_RUNNING) {
		wk->measuring = false;
		return; /* cancelled: the call has its record */
	}
	if (wk->measuring) {
		measured(b, wk, r);
		return;
	}
	if (!s)
		return;
	wk->slot = NULL;
	s->wk = NULL;
	clean = cap_result(b, utf8_clean(r->content, strlen(r->content)));
	batch_rec_call(b, s, r->is_error ? "error" : "allowed", r, NULL);
	batch_rec_line(b, s, "tool_result",
		       json_pack("{s:s,s:s,s:b,s:I,s:I,s:I,"
				 "s:b,s:o}",
				 "tool_use_id", r->id, "tool",
				 block_str(s->block, "name"), "is_error",
				 r->is_error, "exit_code",
				 (json_int_t)r->exit_code, "duration_ms",
				 (json_int_t)r->duration_ms, "bytes",
				 (json_int_t)r->bytes, "truncated",
				 r->truncated, "excerpt", excerpt(clean)));
	batch_rec_done(b, s, clean ? clean : "(output not available)",
		       r->is_error);
	free(clean);
	if (measure(b, wk, block_str(s->block, "name")))
		return;
	pump(b);
}

/*
 * A worker of the pool that died before its READY: the batch goes on with
 * the workers it has (the call it was started for waits for one of them)
 * and the pool stops growing. The primary's is a failure, as before.
 */
static bool
pool_start_failed(struct batch *b, struct slot *s, int index)
{
	if (index == 0 || live_workers(b) == 0)
		return false;
	b->no_growth = true;
	if (s)
		s->wk = NULL;
	pump(b);
	return true;
}

static void
on_dead(void *ctx, const char *why)
{
	struct bworker *wk = ctx;
	struct batch *b = wk->b;
	struct slot *s = wk->slot;
	bool was_ready = wk->ready;
	bool was_measuring = wk->measuring;
	char msg[300];

	evlog_emit(b->cfg.events, "warn", "worker_died",
		   json_pack("{s:s,s:s,s:s,s:i}", "agent", b->cfg.agent,
			     "phase", b->cfg.phase, "reason", why, "pool_index",
			     wk->index));
	bury(wk);
	if (was_measuring) {
		/* fail closed: a project that could not be measured */
		if (b->state == B_RUNNING)
			measured(b, wk, NULL);
		return;
	}
	if (b->state == B_RUNNING && !was_ready &&
	    pool_start_failed(b, s, wk->index))
		return;
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
	s->wk = NULL;
	snprintf(msg, sizeof(msg),
		 "The sandbox running this tool was "
		 "stopped: %s. A fresh sandbox will run your next tool call.",
		 why);
	batch_rec_call(b, s, "error", NULL, why);
	batch_rec_done(b, s, msg, true);
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
	for (int i = 0; i < BATCH_POOL_MAX; i++) {
		b->wk[i].b = b;
		b->wk[i].index = i;
	}
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
	if (b->state != B_IDLE || b->wk[0].w || !b->cfg.worker) {
		snprintf(err, errlen, "no sandbox worker to start");
		return -1;
	}
	if (spawn(b, 0, err, errlen) != 0)
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
	batch_rec_cancel(b, note);
	if (b->timer)
		loop_cancel_timer(b->cfg.loop, b->timer);
	b->timer = 0;
	for (int i = 0; i < BATCH_POOL_MAX; i++)
		b->wk[i].slot = NULL;
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
	for (int i = 0; i < BATCH_POOL_MAX; i++)
		wconn_stop(b->wk[i].w);
	for (size_t i = 0; i < b->n_dead; i++)
		wconn_stop(b->dead[i]);
	slots_clear(b);
	json_decref(b->st.tools_by_name);
	json_decref(b->st.todos);
	free(b);
}
