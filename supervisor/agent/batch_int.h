/*
 * batch_int.h - what batch.c (the slots and the workers) and batch_rec.c
 * (their records, in the order of the calls) share. Not for other
 * modules: batch.h is the interface.
 */
#ifndef GAO_SUPERVISOR_AGENT_BATCH_INT_H
#define GAO_SUPERVISOR_AGENT_BATCH_INT_H

#include "supervisor/agent/batch.h"

enum slot_state {
	SLOT_PENDING, /* not looked at yet */
	SLOT_WAITING, /* checked, waits for its turn or a ready worker */
	SLOT_RUNNING, /* at a worker */
	SLOT_DONE,    /* has its result, or was cut short (cancel) */
};

struct bworker;

struct slot {
	json_t *block; /* the tool_use block (a reference) */
	enum slot_state state;
	json_t *result;     /* DONE: its tool_result block */
	uint64_t started;   /* for the tool_call event's duration */
	struct bworker *wk; /* WAITING for this new worker, or RUNNING */
	int64_t worker;     /* the host pid of the worker that ran it */
	int in_flight;      /* calls RUNNING when it was sent (itself too) */
	/* Its records, kept until every earlier slot has written its own
	 * (batch_rec.c): the audit record, a transcript line, the event. */
	json_t *rec;
	const char *line_type; /* "tool_result", "todos" or NULL */
	json_t *line;
	bool is_error;
	json_int_t duration_ms;
	bool recorded; /* its records are written */
};

/* A worker of the pool and the slot it runs; the wconn callbacks' ctx. */
struct bworker {
	struct batch *b;
	int index;         /* 0: the primary, the only one for writes */
	struct wconn *w;   /* NULL: none */
	bool ready;        /* READY seen and accepted */
	bool used;         /* started before: a new start is a respawn */
	bool measuring;    /* it measures the project (watch.h) */
	struct slot *slot; /* RUNNING here, or waiting for its READY */
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
	size_t n_recorded; /* slots[0..n_recorded) have written records */
	struct bworker wk[BATCH_POOL_MAX];
	bool no_growth;      /* the pool stays as it is (batch.c) */
	unsigned measure_no; /* for the measurement's call id */
	struct wconn *dead[BATCH_MAX_RESPAWNS + BATCH_POOL_MAX];
	size_t n_dead; /* freed by batch_free */
	struct batch_stats st;
};

/* ---- batch_check.c ---- */

/* Check a PENDING slot: false when it is DONE already (refused, or
 * TodoWrite, with its records), true when it must go to a worker. */
bool batch_check_slot(struct batch *b, struct slot *s);

/* Count a call of tool in the session's counters. */
void batch_count_tool(struct batch *b, const char *tool);

/* ---- batch_rec.c ---- */

/* The audit record of s (kept until its turn); r is the worker's result
 * when any. */
void batch_rec_call(struct batch *b, struct slot *s, const char *outcome,
		    const struct msg_tool_result *r, const char *note);

/* The transcript line of s (type static, fields stolen), kept likewise. */
void batch_rec_line(struct batch *b, struct slot *s, const char *type,
		    json_t *fields);

/* s is DONE with its tool_result block; the records of every DONE slot
 * whose earlier slots are recorded are written now, in order. */
void batch_rec_done(struct batch *b, struct slot *s, const char *content,
		    bool is_error);

/* The session ends: DONE slots not yet recorded are, in order, and a
 * WAITING or RUNNING one gets its record "error" with note. */
void batch_rec_cancel(struct batch *b, const char *note);

/* A worker's READY, recorded at once (tool "session"). */
void batch_rec_ready(struct batch *b, const struct bworker *wk,
		     const struct msg_ready *r);

/* A slot's records (kept or not) are dropped. */
void batch_rec_clear(struct slot *s);

#endif
