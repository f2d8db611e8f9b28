/*
 * svc.c - the run's service worker. See svc.h.
 */
#include "supervisor/sandbox/svc.h"
#include "supervisor/sandbox/isolation.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Worker starts one call may use (the first and two restarts). */
#define SVC_STARTS 3

struct svc_call {
	char *command;
	uint32_t timeout_ms;
	svc_fn fn;
	void *ctx;
	struct svc_call *next;
};

struct svc {
	struct loop *loop;
	const struct wconn_opts *opts;
	struct wconn *w;
	struct wconn *dead; /* stopped from the loop, not a callback */
	bool ready;
	bool busy;
	struct svc_call *head, *tail;
	uint64_t kick; /* timer that advances the queue */
	unsigned seq;
	int starts;
	uint32_t need_layers; /* svc_require() */
	int need_abi;
	char *unmet;    /* why a worker fell short: every call is refused */
	bool cancelled; /* svc_cancel: every call is refused */
};

static void advance(struct svc *s);

static void
on_kick(struct loop *l, void *ctx)
{
	struct svc *s = ctx;

	(void)l;
	s->kick = 0;
	wconn_stop(s->dead);
	s->dead = NULL;
	advance(s);
}

static void
schedule(struct svc *s)
{
	if (!s->kick)
		s->kick = loop_add_timer(s->loop, 0, on_kick, s);
}

static struct svc_call *
pop(struct svc *s)
{
	struct svc_call *c = s->head;

	if (c) {
		s->head = c->next;
		if (!s->head)
			s->tail = NULL;
	}
	return c;
}

/*
 * The call at the head is answered (r NULL: it could not run). The
 * restart budget is per call: what killed the worker for one call, an
 * agent's doing or the host's, cannot use up the next call's chances.
 */
static void
answer(struct svc *s, const struct msg_tool_result *r)
{
	struct svc_call *c = pop(s);

	s->busy = false;
	s->starts = 0;
	if (c) {
		c->fn(c->ctx, r);
		free(c->command);
		free(c);
	}
	schedule(s);
}

/* The worker's layers against svc_require(); false (and s->unmet) when
 * it falls short. */
static bool
isolation_met(struct svc *s, const struct msg_ready *r)
{
	char why[512];

	if ((r->layers & s->need_layers) == s->need_layers &&
	    r->landlock_abi >= s->need_abi)
		return true;
	isolation_unmet_text(r->layers, r->landlock_abi, s->need_layers,
			     s->need_abi, "a service worker", why, sizeof(why));
	free(s->unmet);
	s->unmet = strdup(why);
	if (!s->unmet)
		s->unmet = strdup("--require-isolation is not met");
	return false;
}

static void
on_ready(void *ctx, const struct msg_ready *r)
{
	struct svc *s = ctx;

	if (!isolation_met(s, r)) {
		/* it runs nothing: stopped from the loop, like a dead one */
		s->dead = s->w;
		s->w = NULL;
		s->ready = false;
		schedule(s);
		return;
	}
	s->ready = true;
	schedule(s);
}

static void
on_result(void *ctx, const struct msg_tool_result *r)
{
	answer(ctx, r);
}

/*
 * The worker died. A call in flight is tried again on a fresh worker (the
 * run's checks are idempotent, and as root a worker of the same run may
 * have been swept away while this one sat idle: wconn.c); after
 * SVC_STARTS starts for the same call it is answered with NULL, and the
 * next call starts with a fresh budget.
 */
static void
on_dead(void *ctx, const char *why)
{
	struct svc *s = ctx;

	(void)why;
	s->dead = s->w;
	s->w = NULL;
	s->ready = false;
	s->busy = false;
	if (s->starts >= SVC_STARTS)
		answer(s, NULL);
	else
		schedule(s);
}

static void
start_worker(struct svc *s)
{
	static const struct wconn_cbs cbs = {
		.ready = on_ready,
		.result = on_result,
		.dead = on_dead,
	};
	char err[256];

	s->starts++;
	s->w = wconn_start(s->loop, s->opts, &cbs, s, err, sizeof(err));
	if (!s->w)
		answer(s, NULL);
}

static void
advance(struct svc *s)
{
	json_t *input;
	char id[32];

	if (!s->head || s->busy)
		return;
	if (s->unmet || s->cancelled) {
		answer(s, NULL);
		return;
	}
	if (!s->w) {
		if (s->starts >= SVC_STARTS) {
			answer(s, NULL);
			return;
		}
		start_worker(s);
		return;
	}
	if (!s->ready)
		return;
	snprintf(id, sizeof(id), "svc_%u", ++s->seq);
	input = json_pack("{s:s,s:I}", "command", s->head->command, "timeout",
			  (json_int_t)s->head->timeout_ms);
	if (!input) {
		answer(s, NULL);
		return;
	}
	s->busy = true;
	if (wconn_call(s->w, id, "Bash", input, s->head->timeout_ms) < 0) {
		/* its pipe is gone: a fresh worker, same call */
		s->busy = false;
		wconn_stop(s->w);
		s->w = NULL;
		s->ready = false;
		if (s->starts >= SVC_STARTS)
			answer(s, NULL);
		else
			schedule(s);
	}
	json_decref(input);
}

struct svc *
svc_new(struct loop *l, const struct wconn_opts *opts)
{
	struct svc *s = calloc(1, sizeof(*s));

	if (s) {
		s->loop = l;
		s->opts = opts;
	}
	return s;
}

void
svc_require(struct svc *s, uint32_t layers, int landlock_abi)
{
	s->need_layers = layers;
	s->need_abi = landlock_abi;
}

const char *
svc_unmet(const struct svc *s)
{
	return s ? s->unmet : NULL;
}

void
svc_cancel(struct svc *s)
{
	if (!s || s->cancelled)
		return;
	s->cancelled = true;
	if (s->w) {
		/* killed now (a command in flight dies with it); the one a
		 * death left for the loop to stop goes first */
		wconn_stop(s->dead);
		s->dead = s->w;
		s->w = NULL;
	}
	s->ready = false;
	s->busy = false;
	schedule(s); /* answers the head, then each call behind it */
}

int
svc_bash(struct svc *s, const char *command, uint32_t timeout_ms, svc_fn fn,
	 void *ctx)
{
	struct svc_call *c = calloc(1, sizeof(*c));

	if (!c || !(c->command = strdup(command))) {
		free(c);
		return -ENOMEM;
	}
	c->timeout_ms = timeout_ms;
	c->fn = fn;
	c->ctx = ctx;
	if (s->tail)
		s->tail->next = c;
	else
		s->head = c;
	s->tail = c;
	schedule(s);
	return 0;
}

void
svc_free(struct svc *s)
{
	struct svc_call *c;

	if (!s)
		return;
	if (s->kick)
		loop_cancel_timer(s->loop, s->kick);
	wconn_stop(s->w);
	wconn_stop(s->dead);
	while ((c = pop(s))) {
		free(c->command);
		free(c);
	}
	free(s->unmet);
	free(s);
}

char *
svc_quote(const char *str)
{
	size_t n = 3;
	char *out, *o;

	for (const char *p = str; *p; p++)
		n += *p == '\'' ? 4 : 1;
	out = malloc(n);
	if (!out)
		return NULL;
	o = out;
	*o++ = '\'';
	for (const char *p = str; *p; p++) {
		if (*p == '\'') {
			memcpy(o, "'\\''", 4);
			o += 4;
		} else {
			*o++ = *p;
		}
	}
	*o++ = '\'';
	*o = 0;
	return out;
}
