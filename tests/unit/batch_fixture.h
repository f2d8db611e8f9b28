/*
 * batch_fixture.h - what the batch tests share (test_batch.c: one
 * worker; test_batch_pool.c: the read-only calls at several workers):
 * a fresh project, the real gao-dev-worker, the event loop, and readers
 * of what a run keeps (audit log, events, transcript lines).
 *
 * Design note
 * -----------
 * The tests play the session: batch_fixture_new() makes a batch for a
 * fresh project with the shipped "default" policy (the real worker from
 * GAO_TEST_WORKER, no namespaces, so it runs as any user; Landlock and
 * seccomp as the machine allows), batch_fixture_run() hands over canned
 * assistant content and runs the loop until the batch's callback, which
 * stores what it was given in the fixture. The readers then show what
 * the session and the reader of the run would see. Criterion runs each
 * test in its own process: the one fixture is global, set up by the
 * suite's .init and torn down by its .fini. The helpers fail the
 * current test on any setup error.
 */
#ifndef GAO_TESTS_BATCH_FIXTURE_H
#define GAO_TESTS_BATCH_FIXTURE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "policy/policy.h"
#include "supervisor/agent/batch.h"

struct batch_fixture {
	char base[PATH_MAX / 2];
	char project[PATH_MAX / 2 + 16];
	char tmp[PATH_MAX / 2 + 16];
	char audit_path[PATH_MAX / 2 + 16];
	char events_path[PATH_MAX / 2 + 16];
	struct policy *policy;
	struct msg_init init;
	struct wconn_opts wopts;
	char *envp[4];
	struct loop *loop;
	struct evlog *events;
	struct audit *audit;
	json_t *tool_defs;
	json_t *lines;           /* the transcript lines: [type, fields] */
	struct watch_caps watch; /* the next batch's project watch */
	struct batch *b;
	/* the last callback */
	int calls;
	enum session_stop stop;
	char error[512];
	json_t *results;
	/* the killer timers of the tests */
	int64_t killed[8];
	int n_killed;
	int kill_max;
};

/* The fixture of the current test. */
extern struct batch_fixture batch_fixture;

/* The suite's .init: the directories, policy, worker options, loop,
 * events file and audit log. */
void batch_fixture_setup(void);

/* The suite's .fini: frees all of it (the batch too) and removes base. */
void batch_fixture_teardown(void);

/* The batch callback (ctx: &batch_fixture): counts the call, keeps the
 * stop, error and results, and stops the loop. */
void batch_fixture_on_done(void *ctx, const struct batch_end *end);

/* Run the loop until it is stopped (a callback), or ms at the most. */
void batch_fixture_loop_for(uint64_t ms);

/* batch_fixture_loop_for(30000). */
void batch_fixture_loop(void);

/* A batch into batch_fixture.b; worker false: one without a worker. */
void batch_fixture_new(bool worker, uint32_t require_layers);

/* A batch with a ready worker (its start's callback consumed). */
void batch_fixture_start(void);

/* A tool_use block; input is stolen. */
json_t *batch_fixture_tool_use(const char *id, const char *name, json_t *input);

/* Hand content (stolen) to the batch and wait for the one callback. */
void batch_fixture_run(json_t *content);

/* Result block i of the last callback, its content text, its is_error
 * (borrowed from batch_fixture.results). */
json_t *batch_fixture_result(size_t i);
const char *batch_fixture_result_text(size_t i);
bool batch_fixture_result_error(size_t i);

/* The audit log's records, checked to chain, as a new JSON array. */
json_t *batch_fixture_audit(void);

/* The string field key of element i of the array a (borrowed), or NULL. */
const char *batch_fixture_str(const json_t *a, size_t i, const char *key);

/* The events named name of the events file, in order (a new array). */
json_t *batch_fixture_events(const char *name);

/* How many events named name the events file holds. */
int batch_fixture_count_events(const char *name);

/* Whether the project holds rel. */
bool batch_fixture_has(const char *rel);

/* How many transcript lines of this type were written. */
int batch_fixture_count_lines(const char *type);

#endif
