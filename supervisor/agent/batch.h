/*
 * batch.h - the tool calls of one assistant message, and the workers that
 * run them.
 *
 * Design note
 * -----------
 * The session hands over the content of an assistant message
 * (batch_run()) and gets back, through one callback, the tool_result
 * blocks in the order of its tool_use blocks (the API requires that
 * order). Everything about tools happens in between, here:
 *
 *   - Each tool_use block is a slot:
 *         PENDING -> checked -> WAITING (for a worker) -> RUNNING (at the
 *         worker) -> DONE, with its tool_result
 *     A refused call and TodoWrite go from PENDING straight to DONE.
 *   - The checks, before anything reaches the worker: the tool is granted
 *     to this agent (the tools offered to the API are exactly the granted
 *     ones, so anything else is the model inventing a tool), and its input
 *     is a JSON object of at most BATCH_INPUT_MAX bytes. A refused call
 *     becomes an is_error tool_result and an audit record "denied".
 *   - TodoWrite is the supervisor's own tool: its list is kept here.
 *   - The primary worker is started by batch_start() (its READY is
 *     checked against the isolation the run requires and recorded in the
 *     audit log) and serves every batch of the session. A worker that
 *     dies during a call leaves that call an is_error result the agent
 *     can read, and a fresh worker is started for the next call that
 *     needs one, at most BATCH_MAX_RESPAWNS times in the session.
 *   - After a call that can write (watch.h), the primary measures the
 *     project before the next slot moves; a project over the run's disk
 *     or file cap, or one that cannot be measured, ends the batch with
 *     DISK_LIMIT or FILE_LIMIT (the run stops).
 *   - A worker's result is trusted for its shape only: its text is cut
 *     to the policy's output_bytes and BATCH_RESULT_SLACK (the tool's own
 *     notes: a truncation marker, Bash's exit code and leftovers) before
 *     the model sees it, with a note, although the frame would carry up
 *     to PROTO_STR_MAX. Only a broken or subverted worker sends more.
 *   - Every call, allowed or refused, gets exactly one audit record and
 *     one tool_call event, written in the order of the calls whatever
 *     order they finish in (batch_rec.c); a call cut short by the
 *     session's end gets its record from batch_cancel() ("interrupted:
 *     <reason>").
 *
 * Calls that run at once. The read-only calls (Read, Glob, Grep:
 * batch_read_only) run at up to BATCH_POOL_MAX workers of the agent at
 * the same time: a pool of worker processes, each spawned like the
 * primary (same options, same confinement, its READY checked and
 * recorded the same way), started when a read-only call finds every
 * worker busy and kept for the session. The strict policy allows no
 * threads, and a process per call would pay a spawn each time. Every
 * other call (Write, Edit, MultiEdit, Bash) waits until every earlier
 * call is DONE, runs on the primary alone (so Bash's background jobs
 * and the measurement stay in one worker), and every later call waits
 * for it: a write never overlaps a read, and a read sees exactly the
 * writes of the calls before it. The results go back in the order of the
 * tool_use blocks. A pool worker that cannot start, or dies before its
 * READY, leaves the batch to the workers it has (the pool stops growing
 * for the session). Without a PID namespace, as root, stopping one
 * worker kills every process of the run's uid (wconn.c), so there the
 * pool does not grow and the calls run one at a time. Each worker is two
 * processes (the worker and its PID-namespace init) in the run's cgroup:
 * the pool's 2 * BATCH_POOL_MAX fit in the process slack of run_caps.c.
 */
#ifndef GAO_SUPERVISOR_AGENT_BATCH_H
#define GAO_SUPERVISOR_AGENT_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "supervisor/agent/audit.h"
#include "supervisor/agent/stop.h"
#include "supervisor/agent/watch.h"
#include "supervisor/core/evlog.h"
#include "supervisor/core/loop.h"
#include "supervisor/sandbox/wconn.h"

#define BATCH_MAX_RESPAWNS 3
/* Workers of one agent at most, the primary included (see above). */
#define BATCH_POOL_MAX 4
#define BATCH_INPUT_MAX (1u << 20)  /* one tool input, JSON bytes */
#define BATCH_TOOL_TIMEOUT_MS 60000 /* tools other than Bash */
/* The excerpt of each tool result kept in the transcript (bytes). */
#define BATCH_EXCERPT_MAX 2048
/* What a tool result may hold past the policy's output_bytes: the
 * tool's notes around its capped output (the worker's largest, Bash's,
 * stay under 3 KiB). */
#define BATCH_RESULT_SLACK 8192

/* A transcript line: type and fields (stolen). See session.c. */
typedef void (*batch_transcript_fn)(void *ctx, const char *type,
				    json_t *fields);

struct batch_cfg {
	struct loop *loop;
	struct evlog *events;
	struct audit *audit; /* every call's record goes here */
	const char *agent;
	const char *phase;
	const json_t *tool_defs;         /* the API tools array (granted) */
	const struct wconn_opts *worker; /* NULL: no worker (TodoWrite only) */
	uint32_t require_layers;         /* msg_layer bits READY must show */
	int require_landlock_abi;        /* minimum Landlock ABI, 0 = any */
	batch_transcript_fn transcript;  /* tool_result and todos lines */
	void *transcript_ctx;
	struct watch_caps watch; /* the project watch; zero: none */
};

/* How a batch (or the worker's start) ended. */
struct batch_end {
	enum session_stop stop; /* NONE: done; WORKER_FAILED,
				 * ISOLATION_UNMET, DISK_LIMIT or FILE_LIMIT:
				 * the session must end */
	const char *error;      /* stop: why (valid during the callback) */
	json_t *results;        /* NONE: the tool_result blocks, in order
				 * (borrowed: json_incref to keep) */
};

/*
 * Called once per batch_start() or batch_run(), from the loop, never
 * inside the call that started it. end is valid during the call. fn may
 * call batch_cancel() and batch_run(), not batch_free().
 */
typedef void (*batch_done_fn)(void *ctx, const struct batch_end *end);

/* What the session's result reports about its tools. */
struct batch_stats {
	int tool_calls;        /* TodoWrite and the calls sent to a worker */
	int tool_errors;       /* is_error results, refused ones included */
	int denied;            /* refused before the worker */
	int respawns;          /* workers started after the first */
	json_t *tools_by_name; /* {"Bash": 3, ...}; the batch's */
	json_t *todos;         /* the last valid TodoWrite list, or null;
				* the batch's */
	uint32_t layers;       /* of the primary's last READY, less what a
				* pool worker's lacked */
	int landlock_abi;
	int64_t worker_uid;
	int64_t worker_pid; /* the live primary's, 0 when none is ready */
};

/*
 * batch_new - an idle batch without a worker. cfg is copied; what it
 * points to (strings, tool_defs, worker options, audit) must outlive the
 * batch. NULL on ENOMEM.
 */
struct batch *batch_new(const struct batch_cfg *cfg);

/*
 * batch_start - spawn the worker. 0: fn follows with stop NONE and an
 * empty results array once READY met the required isolation, or with
 * WORKER_FAILED / ISOLATION_UNMET. -1 with a message in err when no worker
 * could be spawned (no callback then), or there is no worker to start.
 */
int batch_start(struct batch *b, batch_done_fn fn, void *ctx, char *err,
		size_t errlen);

/*
 * batch_run - run the tool_use blocks of content (an assistant message's
 * content array, borrowed) in order. 0: fn follows with the results (or a
 * stop when the worker keeps dying). -1 when the batch is not idle (a
 * batch in flight, a start not done, cancelled) or on ENOMEM.
 */
int batch_run(struct batch *b, const json_t *content, batch_done_fn fn,
	      void *ctx);

/*
 * batch_cancel - the session ends: the call in flight or waiting for a
 * worker gets its audit record with "interrupted: <reason>", no callback
 * runs afterwards, batch_run() refuses. The workers live on until
 * batch_free(). Safe inside any callback; idempotent.
 */
void batch_cancel(struct batch *b, const char *reason);

/* Whether tool is read-only: Read, Glob, Grep (they may run at once). */
bool batch_read_only(const char *tool);

/* The counters so far; valid until batch_free(). */
const struct batch_stats *batch_stats(const struct batch *b);

/* Stop the workers (SHUTDOWN, kill, reap) and free. NULL is a no-op. Not
 * inside a batch callback. */
void batch_free(struct batch *b);

#endif
