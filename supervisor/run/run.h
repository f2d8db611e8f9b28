/*
 * run.h - one benchmark run: project, phases, results.
 *
 * Design note
 * -----------
 * A run is a state machine on the loop: it makes its directories, then
 * runs its phases one after another, each an agent session (session.h)
 * or a command, honouring skip_if_failed and continue_on_failure, then
 * judges the success criteria, writes results/<run_id>.json atomically
 * and reports to its owner. Its status, and the exit code that follows
 * from it, obey the rules of run_status.h. Several runs can be in flight in one
 * supervisor: they share the loop, the API client (and its back-off) and
 * nothing else.
 */
#ifndef GAO_SUPERVISOR_RUN_H
#define GAO_SUPERVISOR_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "supervisor/api/api.h"
#include "supervisor/api/cost.h"
#include "supervisor/config/agents.h"
#include "supervisor/config/benchmark.h"
#include "supervisor/config/webopt.h"
#include "supervisor/core/loop.h"

enum run_isolation {
	RUN_ISO_NONE = 0,
	RUN_ISO_SECCOMP = 1,
	RUN_ISO_LANDLOCK = 2,
	RUN_ISO_FULL = 3,
};

/*
 * run_iso_need - the layers (msg_layer bits, ORed into *layers) and the
 * Landlock ABI (*abi, raised) every worker must report in READY for
 * --require-isolation lvl; the levels nest.
 */
void run_iso_need(enum run_isolation lvl, uint32_t *layers, int *abi);

struct web_data; /* agent/web.h */

/* What every run of one invocation shares (owned by the caller). */
struct run_env {
	struct loop *loop;
	struct api *api;
	const struct models *models;
	const struct agents *agents;
	int worker_fd;            /* gao-dev-worker, opened once */
	const char *sandbox_root; /* absolute */
	const char *model;        /* --model, or NULL */
	const char *api_version;
	int max_turns;
	int64_t max_output_tokens; /* 0: the model data's default */
	int64_t thinking_budget;   /* 0: no thinking parameter */
	int64_t max_tokens;        /* 0: none */
	double max_cost_usd;       /* 0: none */
	int64_t timeout_s;         /* 0: the config's timeout_seconds */
	const char *policy;        /* --policy, or NULL */
	enum run_isolation require;
	bool stream;
	bool use_namespaces;
	uint32_t test_disable; /* test builds: layers to skip */
	/* run totals (docs/decisions.md, "Run totals") */
	uint64_t max_memory;  /* bytes, every worker together (cgroup) */
	bool memory_explicit; /* asked for: unenforceable means exit 4 */
	uint64_t max_disk;    /* bytes in the project (watched) */
	uint64_t max_files;   /* entries in the project (watched) */
	struct rec *rec;      /* --record or --replay, else NULL */
	bool report;          /* --report: RUN_DIR/report.html at the end */
	struct webopt web;    /* --web and friends (webopt.h) */
	const struct web_data *web_data; /* data/web.json (agent/web.h) */
};

struct run;

/*
 * Called once, from the loop, when the run is over and has given back
 * what it held (its results written, its workers and cgroup gone, its
 * lock released); the callee may run_free(r) there. Not called for a
 * run freed before it ended.
 */
typedef void (*run_done_fn)(void *ctx, struct run *r);

/*
 * run_start - create the run's directories and start its first phase.
 * b is borrowed and must outlive the run; repeat is the run's index among
 * the config's --repeat runs (its work unit, with b's name). Returns the
 * run, or NULL with a message in err (nothing was started; the exit code
 * is 4 then).
 */
struct run *run_start(const struct run_env *env, struct benchmark *b,
		      int repeat, run_done_fn done, void *ctx, char *err,
		      size_t errlen);

/*
 * run_cancel - stop the run now (SIGINT/SIGTERM): its session is aborted,
 * no phase starts after it, and the results say "cancelled" (exit 130)
 * whatever else happened. A finished run is left alone.
 */
void run_cancel(struct run *r);

/* After done: the results document (borrowed; NULL before). */
const json_t *run_results(const struct run *r);

/*
 * After done: the exit code, run_status_exit_code() of its status; 4 for
 * a completed run whose results file could not be written.
 */
int run_exit_code(const struct run *r);

/*
 * After done: the path of the run's results file, or NULL when it could
 * not be written (run_results() still has them). Borrowed from r.
 */
const char *run_results_path(const struct run *r);

/* The run's id, <benchmark>-<UTC time>-<8 hex>. */
const char *run_id(const struct run *r);

/* Free r (NULL is fine); its sessions and workers are stopped first. */
void run_free(struct run *r);

#endif
