/*
 * test_batch.c - the batch of tool calls of one assistant message
 * (supervisor/agent/batch.h), with the real gao-dev-worker.
 *
 * Design note
 * -----------
 * Each test plays the session: it makes a batch for a fresh project with
 * the shipped "default" policy, starts the real worker (no namespaces, so
 * it runs as any user; Landlock and seccomp as the machine allows), hands
 * over canned assistant content and runs the event loop until the batch's
 * callback. Then it checks what the session and the reader of the run
 * would see: the tool_result blocks and their order, the counters, the
 * audit log (every call, allowed or refused, exactly once, chained), the
 * events and the transcript lines. Worker deaths are real too: the test
 * kills the worker's pid from a timer while a call runs.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "policy/policy.h"
#include "supervisor/agent/audit.h"
#include "supervisor/agent/batch.h"
#include "supervisor/core/evlog.h"
#include "supervisor/core/loop.h"

struct fx {
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
	json_t *lines; /* the transcript lines: [type, fields] */
	struct batch *b;
	/* the last callback */
	int calls;
	enum session_stop stop;
	char error[512];
	json_t *results;
	/* the killer timer */
	int64_t killed[8];
	int n_killed;
	int kill_max;
};

static struct fx fx;
static struct watch_caps watch; /* the next batch's project watch */

static void
on_line(void *ctx, const char *type, json_t *fields)
{
	struct fx *f = ctx;

	json_array_append_new(f->lines, json_pack("[s,o]", type, fields));
}

static void
on_done(void *ctx, const struct batch_end *end)
{
	struct fx *f = ctx;

	f->calls++;
	f->stop = end->stop;
	snprintf(f->error, sizeof(f->error), "%s",
		 end->error ? end->error : "");
	json_decref(f->results);
	f->results = json_incref(end->results);
	loop_stop(f->loop);
}

static void
on_guard(struct loop *l, void *ctx)
{
	(void)ctx;
	loop_stop(l);
}

/* Run the loop until a callback, or ms. */
static void
run_loop_for(uint64_t ms)
{
	uint64_t guard = loop_add_timer(fx.loop, ms, on_guard, NULL);

	loop_run(fx.loop);
	loop_cancel_timer(fx.loop, guard);
}

static void
run_loop(void)
{
	run_loop_for(30000);
}

static const char *
worker_path(void)
{
	const char *p = getenv("GAO_TEST_WORKER");

	cr_assert_not_null(p, "GAO_TEST_WORKER is not set (meson test)");
	return p;
}

static void
make_init(void)
{
	static char *tools[] = { "Read",        "Write", "Bash",
				 "gao_measure", "Grep",  "Glob" };
	char err[512] = "";

	cr_assert_eq(policy_load_named("default", POLICY_TEST_PROFILES,
				       &fx.policy, err, sizeof(err)),
		     0, "policy: %s", err);
	cr_assert_eq(policy_to_msg(fx.policy, fx.project, fx.tmp,
				   &fx.init.policy),
		     0);
	fx.init.version = PROTO_VERSION;
	fx.init.project_dir = fx.project;
	fx.init.agent = "tester";
	fx.init.tools = tools;
	fx.init.n_tools = 6;
}

static void
make_worker_opts(void)
{
	int wfd = open(worker_path(), O_PATH | O_CLOEXEC);
	int pfd = open(fx.project, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	cr_assert_geq(wfd, 0, "%s: %s", worker_path(), strerror(errno));
	cr_assert_geq(pfd, 0);
	cr_assert_gt(asprintf(&fx.envp[0], "HOME=%s", fx.project), 0);
	cr_assert_gt(asprintf(&fx.envp[1], "TMPDIR=%s", fx.tmp), 0);
	fx.envp[2] = strdup("PATH=/usr/local/bin:/usr/bin:/bin");
	fx.wopts = (struct wconn_opts){
		.worker_fd = wfd,
		.project_fd = pfd,
		.project_path = fx.project,
		.tmp_path = fx.tmp,
		.envp = fx.envp,
		.ready_timeout_ms = 10000,
		.init = &fx.init,
	};
}

static void
setup(void)
{
	memset(&fx, 0, sizeof(fx));
	snprintf(fx.base, sizeof(fx.base), "/tmp/batch-test-XXXXXX");
	cr_assert_not_null(mkdtemp(fx.base));
	snprintf(fx.project, sizeof(fx.project), "%s/project", fx.base);
	snprintf(fx.tmp, sizeof(fx.tmp), "%s/tmp", fx.base);
	snprintf(fx.audit_path, sizeof(fx.audit_path), "%s/audit", fx.base);
	snprintf(fx.events_path, sizeof(fx.events_path), "%s/events", fx.base);
	cr_assert_eq(mkdir(fx.project, 0700), 0);
	cr_assert_eq(mkdir(fx.tmp, 0700), 0);
	signal(SIGPIPE, SIG_IGN);
	evlog_set_mode(EVLOG_QUIET);
	make_init();
	make_worker_opts();
	fx.loop = loop_new();
	fx.events = evlog_open(fx.events_path, "test");
	fx.audit = audit_open(fx.audit_path);
	cr_assert(fx.loop && fx.events && fx.audit);
	fx.tool_defs = json_pack("[{s:s},{s:s},{s:s},{s:s},{s:s},{s:s}]",
				 "name", "Read", "name", "Write", "name",
				 "Bash", "name", "TodoWrite", "name", "Grep",
				 "name", "Glob");
	fx.lines = json_array();
	fx.stop = SESSION_N_STOPS;
}

static void
teardown(void)
{
	char cmd[PATH_MAX];

	batch_free(fx.b);
	audit_close(fx.audit);
	evlog_close(fx.events);
	loop_free(fx.loop);
	close(fx.wopts.worker_fd);
	close(fx.wopts.project_fd);
	json_decref(fx.tool_defs);
	json_decref(fx.lines);
	json_decref(fx.results);
	msg_policy_clear(&fx.init.policy);
	policy_free(fx.policy);
	for (size_t i = 0; i < 3; i++)
		free(fx.envp[i]);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx.base);
	if (system(cmd) != 0)
		cr_log_warn("could not remove %s", fx.base);
}

TestSuite(batch, .init = setup, .fini = teardown, .timeout = 120);

/* A batch for the fixture; worker false: one without a worker. */
static void
new_batch(bool worker, uint32_t require_layers)
{
	struct batch_cfg cfg = {
		.loop = fx.loop,
		.events = fx.events,
		.audit = fx.audit,
		.agent = "tester",
		.phase = "build",
		.tool_defs = fx.tool_defs,
		.worker = worker ? &fx.wopts : NULL,
		.require_layers = require_layers,
		.transcript = on_line,
		.transcript_ctx = &fx,
		.watch = watch,
	};

	fx.b = batch_new(&cfg);
	cr_assert_not_null(fx.b);
}

/* A batch with a ready worker. */
static void
started_batch(void)
{
	char err[256] = "";

	new_batch(true, 0);
	cr_assert_eq(batch_start(fx.b, on_done, &fx, err, sizeof(err)), 0,
		     "start: %s", err);
	run_loop();
	cr_assert_eq(fx.calls, 1);
	cr_assert_eq(fx.stop, SESSION_STOP_NONE, "start: %s", fx.error);
	fx.calls = 0;
}

static json_t *
tool_use(const char *id, const char *name, json_t *input)
{
	return json_pack("{s:s,s:s,s:s,s:o}", "type", "tool_use", "id", id,
			 "name", name, "input", input);
}

/* Hand content (stolen) to the batch and wait for the callback. */
static void
run_batch(json_t *content)
{
	cr_assert_eq(batch_run(fx.b, content, on_done, &fx), 0);
	json_decref(content);
	run_loop();
	cr_assert_eq(fx.calls, 1, "the callback ran %d times", fx.calls);
}

static json_t *
result(size_t i)
{
	return json_array_get(fx.results, i);
}

static const char *
result_text(size_t i)
{
	return json_string_value(json_object_get(result(i), "content"));
}

static bool
result_error(size_t i)
{
	return json_is_true(json_object_get(result(i), "is_error"));
}

/* The audit log's records, checked to chain, as a JSON array. */
static json_t *
audit_records(void)
{
	char head[65], why[256];
	uint64_t count = 0;
	json_t *recs = json_array();
	char line[16384];
	FILE *f;

	cr_assert_eq(audit_verify_file(fx.audit_path, head, &count, why,
				       sizeof(why)),
		     0, "audit: %s", why);
	f = fopen(fx.audit_path, "re");
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f))
		json_array_append_new(recs, json_loads(line, 0, NULL));
	fclose(f);
	cr_assert_eq(json_array_size(recs), count);
	return recs;
}

static const char *
rec_str(const json_t *recs, size_t i, const char *key)
{
	return json_string_value(json_object_get(json_array_get(recs, i), key));
}

/* How many events named name the events file holds. */
static int
count_events(const char *name)
{
	char line[16384];
	int n = 0;
	FILE *f = fopen(fx.events_path, "re");

	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f)) {
		json_t *e = json_loads(line, 0, NULL);

		n += e && strcmp(json_string_value(json_object_get(e, "event")),
				 name) == 0;
		json_decref(e);
	}
	fclose(f);
	return n;
}

static bool
project_has(const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", fx.project, rel);
	return access(path, F_OK) == 0;
}

static int
count_lines(const char *type)
{
	json_t *l;
	size_t i;
	int n = 0;

	json_array_foreach(fx.lines, i, l)
		n += strcmp(json_string_value(json_array_get(l, 0)), type) == 0;
	return n;
}

Test(batch, start_waits_for_ready_and_records_it)
{
	const struct batch_stats *st;
	json_t *recs;

	started_batch();
	st = batch_stats(fx.b);
	cr_expect_eq(json_array_size(fx.results), 0);
	cr_expect(st->layers & MSG_LAYER_SECCOMP, "layers 0x%x", st->layers);
	cr_expect(st->layers & MSG_LAYER_NO_NEW_PRIVS);
	cr_expect_gt(st->worker_pid, 0);
	cr_expect_eq(st->worker_uid, (int64_t)geteuid());
	recs = audit_records();
	cr_assert_eq(json_array_size(recs), 1);
	cr_expect_str_eq(rec_str(recs, 0, "outcome"), "worker_ready");
	cr_expect_str_eq(rec_str(recs, 0, "tool"), "session");
	json_decref(recs);
}

Test(batch, results_come_back_in_the_order_of_the_calls)
{
	const struct batch_stats *st;
	json_t *recs;

	started_batch();
	run_batch(json_pack(
		"[{s:s,s:s},o,o,o]", "type", "text", "text", "writing a file",
		tool_use("toolu_1", "Write",
			 json_pack("{s:s,s:s}", "file_path", "a.txt", "content",
				   "hello\n")),
		tool_use("toolu_2", "Read",
			 json_pack("{s:s}", "file_path", "a.txt")),
		tool_use("toolu_3", "Bash",
			 json_pack("{s:s}", "command", "echo from-bash"))));
	cr_assert_eq(fx.stop, SESSION_STOP_NONE, "%s", fx.error);
	cr_assert_eq(json_array_size(fx.results), 3);
	for (size_t i = 0; i < 3; i++) {
		char id[16];

		snprintf(id, sizeof(id), "toolu_%zu", i + 1);
		cr_expect_str_eq(json_string_value(
					 json_object_get(result(i),
							 "tool_use_id")),
				 id);
		cr_expect_str_eq(json_string_value(
					 json_object_get(result(i), "type")),
				 "tool_result");
		cr_expect(!result_error(i), "%zu: %s", i, result_text(i));
	}
	cr_expect(strstr(result_text(1), "hello"), "%s", result_text(1));
	cr_expect(strstr(result_text(2), "from-bash"), "%s", result_text(2));
	st = batch_stats(fx.b);
	cr_expect_eq(st->tool_calls, 3);
	cr_expect_eq(st->tool_errors, 0);
	cr_expect_eq(st->denied, 0);
	cr_expect_eq(json_integer_value(
			     json_object_get(st->tools_by_name, "Bash")),
		     1);
	recs = audit_records();
	cr_assert_eq(json_array_size(recs), 4);
	for (size_t i = 1; i < 4; i++)
		cr_expect_str_eq(rec_str(recs, i, "outcome"), "allowed");
	cr_expect_str_eq(rec_str(recs, 3, "tool_use_id"), "toolu_3");
	json_decref(recs);
	cr_expect_eq(count_lines("tool_result"), 3);
	cr_expect_eq(count_events("tool_call"), 3);
}

Test(batch, refused_calls_never_reach_the_worker)
{
	const struct batch_stats *st;
	json_t *recs, *big = json_object();
	char *blob = malloc(BATCH_INPUT_MAX + 1);

	memset(blob, 'x', BATCH_INPUT_MAX);
	blob[BATCH_INPUT_MAX] = 0;
	json_object_set_new(big, "file_path", json_string("big.txt"));
	json_object_set_new(big, "content", json_string(blob));
	free(blob);
	started_batch();
	run_batch(json_pack("[o,o,o,o]",
			    tool_use("toolu_a", "Teleport", json_object()),
			    tool_use("toolu_b", "Write", json_string("a.txt")),
			    tool_use("toolu_c", "Write", big),
			    tool_use("toolu_d", "Bash",
				     json_pack("{s:s}", "command", "ls"))));
	cr_assert_eq(json_array_size(fx.results), 4);
	cr_expect(result_error(0) && result_error(1) && result_error(2));
	cr_expect(strstr(result_text(0), "Tool Teleport is not available to "
					 "tester"),
		  "%s", result_text(0));
	cr_expect(strstr(result_text(1), "must be a JSON object"));
	cr_expect(strstr(result_text(2), "at most 1 MiB"));
	cr_expect(!result_error(3));
	st = batch_stats(fx.b);
	cr_expect_eq(st->denied, 3);
	cr_expect_eq(st->tool_errors, 3);
	cr_expect_eq(st->tool_calls, 1);
	recs = audit_records();
	cr_assert_eq(json_array_size(recs), 5);
	for (size_t i = 1; i < 4; i++)
		cr_expect_str_eq(rec_str(recs, i, "outcome"), "denied");
	cr_expect_str_eq(rec_str(recs, 1, "tool"), "Teleport");
	cr_expect(json_is_true(json_object_get(
			  json_object_get(json_array_get(recs, 3), "input"),
			  "truncated")),
		  "a large input is capped in the audit log");
	cr_expect_str_eq(rec_str(recs, 4, "outcome"), "allowed");
	json_decref(recs);
	cr_expect(!project_has("a.txt") && !project_has("big.txt"),
		  "a refused Write wrote nothing");
}

/*
 * "\u0000" is valid JSON and reaches the batch (the API client loads
 * with JSON_ALLOW_NUL): a string holding it, at any depth, is refused
 * with an error naming the field; nothing reaches the worker.
 */
Test(batch, a_nul_character_in_the_input_is_refused_naming_the_field)
{
	json_t *deep = json_pack("{s:[{s:s}]}", "edits", "old_string", "a");

	json_object_set_new(json_array_get(json_object_get(deep, "edits"), 0),
			    "new_string", json_stringn("b\0c", 3));
	json_object_set_new(deep, "file_path", json_string("m.txt"));
	started_batch();
	run_batch(json_pack("[o,o,o]",
			    tool_use("toolu_a", "Write",
				     json_pack("{s:s%,s:s}", "file_path",
					       "x\0.txt", (size_t)6, "content",
					       "hi")),
			    tool_use("toolu_b", "Write", deep),
			    tool_use("toolu_c", "Write",
				     json_pack("{s:s,s:s}", "file_path",
					       "ok.txt", "content", "fine"))));
	cr_assert_eq(json_array_size(fx.results), 3);
	cr_expect(result_error(0) && result_error(1) && !result_error(2));
	cr_expect(strstr(result_text(0), "field \"file_path\" holds a NUL"),
		  "%s", result_text(0));
	cr_expect(strstr(result_text(1), "field \"new_string\" holds a NUL"),
		  "%s", result_text(1));
	cr_expect_eq(batch_stats(fx.b)->denied, 2);
	cr_expect(!project_has("x") && !project_has("m.txt"),
		  "a refused Write wrote nothing");
	cr_expect(project_has("ok.txt"));
}

Test(batch, todo_write_is_kept_without_a_worker)
{
	const struct batch_stats *st;
	json_t *list = json_pack("[{s:s,s:s}]", "content", "write tests",
				 "status", "in_progress");
	json_t *recs;

	new_batch(false, 0);
	run_batch(json_pack("[o,o]",
			    tool_use("toolu_1", "TodoWrite",
				     json_pack("{s:O}", "todos", list)),
			    tool_use("toolu_2", "TodoWrite",
				     json_pack("{s:[{s:s}]}", "todos", "status",
					       "someday"))));
	cr_assert_eq(fx.stop, SESSION_STOP_NONE);
	cr_expect_str_eq(result_text(0), "Todos have been updated.");
	cr_expect(!result_error(0));
	cr_expect(result_error(1));
	cr_expect(strstr(result_text(1), "TodoWrite needs todos"));
	st = batch_stats(fx.b);
	cr_expect(json_equal(st->todos, list), "the valid list is kept");
	cr_expect_eq(st->tool_calls, 2);
	cr_expect_eq(st->denied, 0);
	cr_expect_eq(st->tool_errors, 1);
	cr_expect_eq(count_lines("todos"), 1);
	recs = audit_records();
	cr_assert_eq(json_array_size(recs), 2);
	cr_expect_str_eq(rec_str(recs, 0, "outcome"), "allowed");
	cr_expect_str_eq(rec_str(recs, 1, "outcome"), "error");
	cr_expect_str_eq(rec_str(recs, 1, "note"), "invalid todos");
	json_decref(recs);
	json_decref(list);
}

Test(batch, a_worker_tool_without_a_worker_fails_the_batch)
{
	json_t *recs;

	new_batch(false, 0);
	run_batch(json_pack("[o]",
			    tool_use("toolu_1", "Bash",
				     json_pack("{s:s}", "command", "true"))));
	cr_expect_eq(fx.stop, SESSION_STOP_WORKER_FAILED);
	cr_expect_str_eq(fx.error, "this agent has no sandbox worker");
	batch_cancel(fx.b, "worker_failed");
	recs = audit_records();
	cr_assert_eq(json_array_size(recs), 1, "the call is recorded once");
	cr_expect_str_eq(rec_str(recs, 0, "note"), "interrupted: "
						   "worker_failed");
	json_decref(recs);
}

Test(batch, the_callback_never_runs_inside_batch_run)
{
	json_t *none = json_array();

	new_batch(false, 0);
	cr_assert_eq(batch_run(fx.b, none, on_done, &fx), 0);
	cr_expect_eq(fx.calls, 0);
	cr_expect_eq(batch_run(fx.b, none, on_done, &fx), -1,
		     "one batch at a time");
	json_decref(none);
	run_loop();
	cr_expect_eq(fx.calls, 1);
	cr_expect_eq(json_array_size(fx.results), 0);
}

/* Kill each new worker once a call runs on it, up to kill_max times. */
static void
on_kill(struct loop *l, void *ctx)
{
	const struct batch_stats *st = batch_stats(fx.b);
	bool seen = false;

	(void)ctx;
	for (int i = 0; i < fx.n_killed; i++)
		seen = seen || fx.killed[i] == st->worker_pid;
	if (st->worker_pid > 0 && !seen && fx.n_killed < fx.kill_max) {
		kill((pid_t)st->worker_pid, SIGKILL);
		fx.killed[fx.n_killed++] = st->worker_pid;
	}
	loop_add_timer(l, 100, on_kill, NULL);
}

Test(batch, a_worker_killed_during_a_call_is_replaced)
{
	const struct batch_stats *st;
	json_t *recs;

	started_batch();
	fx.kill_max = 1;
	loop_add_timer(fx.loop, 300, on_kill, NULL);
	run_batch(json_pack("[o,o]",
			    tool_use("toolu_1", "Bash",
				     json_pack("{s:s}", "command", "sleep 30")),
			    tool_use("toolu_2", "Bash",
				     json_pack("{s:s}", "command",
					       "echo after"))));
	cr_assert_eq(fx.stop, SESSION_STOP_NONE, "%s", fx.error);
	cr_expect(result_error(0));
	cr_expect(strstr(result_text(0), "The sandbox running this tool was "
					 "stopped"),
		  "%s", result_text(0));
	cr_expect(!result_error(1));
	cr_expect(strstr(result_text(1), "after"));
	st = batch_stats(fx.b);
	cr_expect_eq(st->respawns, 1);
	cr_expect_neq(st->worker_pid, fx.killed[0]);
	recs = audit_records();
	cr_assert_eq(json_array_size(recs), 4);
	cr_expect_str_eq(rec_str(recs, 1, "outcome"), "error");
	cr_expect_str_eq(rec_str(recs, 1, "tool_use_id"), "toolu_1");
	cr_expect_str_eq(rec_str(recs, 2, "outcome"), "worker_ready");
	cr_expect_str_eq(rec_str(recs, 3, "outcome"), "allowed");
	json_decref(recs);
	cr_expect_eq(count_events("worker_died"), 1);
}

Test(batch, a_worker_that_keeps_dying_fails_the_batch)
{
	json_t *content = json_array(), *recs;
	size_t n;

	started_batch();
	for (int i = 0; i < BATCH_MAX_RESPAWNS + 2; i++) {
		char id[16];

		snprintf(id, sizeof(id), "toolu_%d", i);
		json_array_append_new(content,
				      tool_use(id, "Bash",
					       json_pack("{s:s}", "command",
							 "sleep 30")));
	}
	fx.kill_max = BATCH_MAX_RESPAWNS + 1;
	loop_add_timer(fx.loop, 300, on_kill, NULL);
	run_batch(content);
	cr_assert_eq(fx.stop, SESSION_STOP_WORKER_FAILED);
	cr_expect_str_eq(fx.error, "the sandbox worker keeps dying");
	cr_expect_eq(batch_stats(fx.b)->respawns, BATCH_MAX_RESPAWNS);
	batch_cancel(fx.b, "worker_failed");
	recs = audit_records();
	n = json_array_size(recs);
	/* 4 READY, 4 calls cut by a death, the last one interrupted */
	cr_assert_eq(n, 9);
	cr_expect_str_eq(rec_str(recs, n - 1, "note"),
			 "interrupted: worker_failed");
	cr_expect_str_eq(rec_str(recs, n - 1, "tool_use_id"), "toolu_4");
	json_decref(recs);
}

static void
on_cancel(struct loop *l, void *ctx)
{
	batch_cancel(ctx, "phase_timeout");
	batch_cancel(ctx, "phase_timeout");
	loop_stop(l);
}

Test(batch, cancel_records_the_call_in_flight_once)
{
	json_t *recs, *none = json_array();
	json_t *content = json_pack("[o]",
				    tool_use("toolu_1", "Bash",
					     json_pack("{s:s}", "command",
						       "sleep 30")));

	started_batch();
	loop_add_timer(fx.loop, 300, on_cancel, fx.b);
	cr_assert_eq(batch_run(fx.b, content, on_done, &fx), 0);
	json_decref(content);
	run_loop();
	cr_expect_eq(fx.calls, 0, "no callback after batch_cancel()");
	cr_expect_eq(batch_run(fx.b, none, on_done, &fx), -1);
	json_decref(none);
	recs = audit_records();
	cr_assert_eq(json_array_size(recs), 2);
	cr_expect_str_eq(rec_str(recs, 1, "outcome"), "error");
	cr_expect_str_eq(rec_str(recs, 1, "note"), "interrupted: "
						   "phase_timeout");
	json_decref(recs);
	batch_free(fx.b); /* stops the worker in its sleep */
	fx.b = NULL;
}

Test(batch, unmet_isolation_is_reported_at_start)
{
	char err[256] = "";
	json_t *recs;

	new_batch(true, MSG_LAYER_NS_PID);
	cr_assert_eq(batch_start(fx.b, on_done, &fx, err, sizeof(err)), 0);
	run_loop();
	cr_assert_eq(fx.calls, 1);
	cr_expect_eq(fx.stop, SESSION_STOP_ISOLATION_UNMET);
	cr_expect(strstr(fx.error, "--require-isolation is not met"), "%s",
		  fx.error);
	recs = audit_records();
	cr_expect_eq(json_array_size(recs), 1, "READY is recorded still");
	json_decref(recs);
}

/*
 * A program that exits at once instead of answering READY: either it is
 * gone before INIT could be written (batch_start() fails, no callback) or
 * the batch sees it die (the callback). Both are told apart, never lost.
 */
Test(batch, a_worker_that_never_gets_ready_fails_the_start)
{
	char err[256] = "";

	close(fx.wopts.worker_fd);
	fx.wopts.worker_fd = open("/bin/true", O_PATH | O_CLOEXEC);
	cr_assert_geq(fx.wopts.worker_fd, 0);
	new_batch(true, 0);
	if (batch_start(fx.b, on_done, &fx, err, sizeof(err)) < 0) {
		cr_expect_neq(err[0], 0, "a reason");
		run_loop_for(500);
		cr_expect_eq(fx.calls, 0, "no callback after a failed start");
		return;
	}
	run_loop();
	cr_assert_eq(fx.calls, 1);
	cr_expect_eq(fx.stop, SESSION_STOP_WORKER_FAILED);
	cr_expect(strstr(fx.error, "failed to start"), "%s", fx.error);
}

static json_t *
write_call(const char *id, const char *path)
{
	return tool_use(id, "Write",
			json_pack("{s:s,s:s}", "file_path", path, "content",
				  "x\n"));
}

static bool
in_project(const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", fx.project, rel);
	return access(path, F_OK) == 0;
}

Test(batch, the_watch_stops_at_the_write_past_the_file_cap)
{
	json_t *recs;

	watch = (struct watch_caps){ .max_files = 2 };
	started_batch();
	run_batch(json_pack("[o,o,o,o]", write_call("toolu_1", "a.txt"),
			    write_call("toolu_2", "b.txt"),
			    write_call("toolu_3", "c.txt"),
			    write_call("toolu_4", "d.txt")));
	cr_assert_eq(fx.stop, SESSION_STOP_FILE_LIMIT, "%s", fx.error);
	cr_expect(strstr(fx.error, "--max-files"), "%s", fx.error);
	/* measured after each call: the fourth never ran */
	cr_expect(in_project("c.txt"));
	cr_expect_not(in_project("d.txt"));
	recs = audit_records();
	cr_expect_eq(json_array_size(recs), 4, "ready and three writes");
	json_decref(recs);
	/* the measurement is not a tool call of the agent */
	cr_expect_eq(batch_stats(fx.b)->tool_calls, 3);
	cr_expect_eq(count_events("tool_call"), 3);
}

Test(batch, the_watch_measures_only_after_calls_that_can_write)
{
	char path[PATH_MAX];
	FILE *f;

	/* two entries already: over a cap of one, but only a writing
	 * call is followed by a measurement */
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/old%d", fx.project, i);
		f = fopen(path, "we");
		cr_assert_not_null(f);
		fclose(f);
	}
	watch = (struct watch_caps){ .max_files = 1 };
	started_batch();
	run_batch(json_pack("[o,o]",
			    tool_use("toolu_1", "Read",
				     json_pack("{s:s}", "file_path", "old0")),
			    tool_use("toolu_2", "Read",
				     json_pack("{s:s}", "file_path", "old1"))));
	cr_assert_eq(fx.stop, SESSION_STOP_NONE, "%s", fx.error);
	fx.calls = 0;
	run_batch(json_pack("[o]",
			    tool_use("toolu_3", "Bash",
				     json_pack("{s:s}", "command", "true"))));
	cr_assert_eq(fx.stop, SESSION_STOP_FILE_LIMIT, "%s", fx.error);
}

Test(batch, the_watch_under_its_caps_lets_the_batch_end)
{
	watch = (struct watch_caps){ .max_files = 100, .max_bytes = 1 << 20 };
	started_batch();
	run_batch(json_pack("[o,o]", write_call("toolu_1", "a.txt"),
			    tool_use("toolu_2", "Bash",
				     json_pack("{s:s}", "command",
					       "echo fine"))));
	cr_assert_eq(fx.stop, SESSION_STOP_NONE, "%s", fx.error);
	cr_assert_eq(json_array_size(fx.results), 2);
	cr_expect(strstr(result_text(1), "fine"), "%s", result_text(1));
}

Test(batch, the_watch_stops_past_the_byte_cap)
{
	watch = (struct watch_caps){ .max_bytes = 256 << 10 };
	started_batch();
	run_batch(json_pack("[o,o]",
			    tool_use("toolu_1", "Bash",
				     json_pack("{s:s}", "command",
					       "head -c 600000 /dev/urandom > "
					       "r.bin")),
			    tool_use("toolu_2", "Bash",
				     json_pack("{s:s}", "command",
					       "touch never"))));
	cr_assert_eq(fx.stop, SESSION_STOP_DISK_LIMIT, "%s", fx.error);
	cr_expect(strstr(fx.error, "--max-disk"), "%s", fx.error);
	cr_expect_not(in_project("never"));
}

/* ---- the read-only calls of one message at several workers ---- */

static json_t *
read_call(const char *id, const char *path)
{
	return tool_use(id, "Read", json_pack("{s:s}", "file_path", path));
}

static json_t *
grep_call(const char *id, const char *pattern)
{
	return tool_use(id, "Grep",
			json_pack("{s:s,s:s}", "pattern", pattern,
				  "output_mode", "content"));
}

/* The audit records of calls (not READY), in file order. */
static json_t *
call_records(void)
{
	json_t *recs = audit_records(), *out = json_array(), *r;
	size_t i;

	json_array_foreach(recs, i, r) {
		if (strcmp(json_string_value(json_object_get(r, "tool")),
			   "session") != 0)
			json_array_append(out, r);
	}
	json_decref(recs);
	return out;
}

/* The "worker" (host pid) of the READY record of pool index i, or 0. */
static pid_t
pool_pid(int index)
{
	json_t *recs = audit_records(), *r;
	pid_t pid = 0;
	size_t i;

	json_array_foreach(recs, i, r) {
		if (json_integer_value(json_object_get(r, "pool_index")) ==
			    index &&
		    json_object_get(r, "pool_index"))
			pid = (pid_t)json_integer_value(
				json_object_get(r, "worker"));
	}
	json_decref(recs);
	return pid;
}

/* The tool_call events of the events file, in order. */
static json_t *
tool_call_events(void)
{
	char line[16384];
	json_t *out = json_array();
	FILE *f = fopen(fx.events_path, "re");

	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f)) {
		json_t *e = json_loads(line, 0, NULL);

		if (e && strcmp(json_string_value(json_object_get(e, "event")),
				"tool_call") == 0)
			json_array_append(out, e);
		json_decref(e);
	}
	fclose(f);
	return out;
}

static void
put_file(const char *rel, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fx.project, rel);
	f = fopen(path, "we");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

/* Four read-only calls: the pool grows to BATCH_POOL_MAX workers, all
 * READY when the batch ends. */
static void
warm_pool(void)
{
	put_file("w.txt", "warm\n");
	run_batch(json_pack("[o,o,o,o]", read_call("toolu_w1", "w.txt"),
			    read_call("toolu_w2", "w.txt"),
			    read_call("toolu_w3", "w.txt"),
			    read_call("toolu_w4", "w.txt")));
	cr_assert_eq(fx.stop, SESSION_STOP_NONE, "%s", fx.error);
	fx.calls = 0;
	for (int i = 0; i < BATCH_POOL_MAX; i++)
		cr_assert_gt(pool_pid(i), 0, "pool worker %d is READY", i);
}

static const char *
tool_field(const json_t *a, size_t i, const char *key)
{
	return json_string_value(json_object_get(json_array_get(a, i), key));
}

Test(batch, reads_see_the_writes_before_them_and_not_after)
{
	json_t *recs;

	put_file("a.txt", "version-one\n");
	started_batch();
	run_batch(json_pack(
		"[o,o,o,o,o,o,o]", read_call("toolu_1", "a.txt"),
		grep_call("toolu_2", "version-"),
		tool_use("toolu_3", "Write",
			 json_pack("{s:s,s:s}", "file_path", "a.txt", "content",
				   "version-two\n")),
		read_call("toolu_4", "a.txt"), grep_call("toolu_5", "version-"),
		tool_use("toolu_6", "Bash",
			 json_pack("{s:s}", "command",
				   "echo version-three > a.txt; echo bash")),
		read_call("toolu_7", "a.txt")));
	cr_assert_eq(fx.stop, SESSION_STOP_NONE, "%s", fx.error);
	cr_assert_eq(json_array_size(fx.results), 7);
	for (size_t i = 0; i < 7; i++) {
		char id[16];

		snprintf(id, sizeof(id), "toolu_%zu", i + 1);
		cr_expect_str_eq(tool_field(fx.results, i, "tool_use_id"), id);
		cr_expect(!result_error(i), "%zu: %s", i, result_text(i));
	}
	cr_expect(strstr(result_text(0), "version-one") &&
			  !strstr(result_text(0), "version-two"),
		  "%s", result_text(0));
	cr_expect(strstr(result_text(1), "version-one") &&
			  !strstr(result_text(1), "version-two"),
		  "%s", result_text(1));
	cr_expect(strstr(result_text(3), "version-two"), "%s", result_text(3));
	cr_expect(strstr(result_text(4), "version-two") &&
			  !strstr(result_text(4), "version-three"),
		  "%s", result_text(4));
	cr_expect(strstr(result_text(6), "version-three"), "%s",
		  result_text(6));
	recs = call_records();
	cr_assert_eq(json_array_size(recs), 7);
	for (size_t i = 0; i < 7; i++)
		cr_expect_str_eq(tool_field(recs, i, "tool_use_id"),
				 tool_field(fx.results, i, "tool_use_id"));
	json_decref(recs);
}

Test(batch, reads_of_one_message_run_at_several_workers_at_once)
{
	json_t *recs, *evs, *seen = json_object();

	started_batch();
	warm_pool();
	put_file("b.txt", "bee\n");
	run_batch(json_pack("[o,o,o,o,o]", read_call("toolu_1", "w.txt"),
			    read_call("toolu_2", "b.txt"),
			    read_call("toolu_3", "w.txt"),
			    read_call("toolu_4", "b.txt"),
			    read_call("toolu_5", "w.txt")));
	cr_assert_eq(fx.stop, SESSION_STOP_NONE, "%s", fx.error);
	for (size_t i = 0; i < 5; i++)
		cr_expect(strstr(result_text(i), i % 2 ? "bee" : "warm"),
			  "%zu: %s", i, result_text(i));
	recs = call_records();
	cr_assert_eq(json_array_size(recs), 9);
	/* the second batch: its first four calls were sent to the four
	 * READY workers before any answer was read */
	for (size_t i = 4; i < 8; i++) {
		char pid[32];

		snprintf(pid, sizeof(pid), "%lld",
			 json_integer_value(
				 json_object_get(json_array_get(recs, i),
						 "worker")));
		cr_expect_null(json_object_get(seen, pid), "worker %s twice",
			       pid);
		json_object_set_new(seen, pid, json_true());
		cr_expect_eq(json_integer_value(
				     json_object_get(json_array_get(recs, i),
						     "worker")),
			     pool_pid((int)i - 4), "call %zu", i);
	}
	json_decref(recs);
	evs = tool_call_events();
	cr_assert_eq(json_array_size(evs), 9);
	for (size_t i = 4; i < 8; i++)
		cr_expect_eq(json_integer_value(
				     json_object_get(json_array_get(evs, i),
						     "in_flight")),
			     (json_int_t)i - 3, "call %zu", i);
	json_decref(evs);
	json_decref(seen);
	cr_expect_eq(batch_stats(fx.b)->respawns, 0,
		     "pool workers are not respawns");
}

static void
on_kill_victim(struct loop *l, void *ctx)
{
	(void)l;
	(void)ctx;
	kill((pid_t)fx.killed[0], SIGKILL);
}

Test(batch, a_pool_worker_killed_during_a_call)
{
	json_t *recs;

	started_batch();
	warm_pool();
	fx.killed[0] = pool_pid(2);
	/* stopped, it holds the call it is sent until it is killed */
	cr_assert_eq(kill((pid_t)fx.killed[0], SIGSTOP), 0);
	loop_add_timer(fx.loop, 200, on_kill_victim, NULL);
	run_batch(json_pack("[o,o,o,o,o]", read_call("toolu_1", "w.txt"),
			    read_call("toolu_2", "w.txt"),
			    read_call("toolu_3", "w.txt"),
			    read_call("toolu_4", "w.txt"),
			    read_call("toolu_5", "w.txt")));
	cr_assert_eq(fx.stop, SESSION_STOP_NONE, "%s", fx.error);
	for (size_t i = 0; i < 5; i++) {
		if (i == 2)
			continue;
		cr_expect(!result_error(i) && strstr(result_text(i), "warm"),
			  "%zu: %s", i, result_text(i));
	}
	cr_expect(result_error(2));
	cr_expect(strstr(result_text(2), "The sandbox running this tool was "
					 "stopped"),
		  "%s", result_text(2));
	recs = call_records();
	cr_assert_eq(json_array_size(recs), 9);
	cr_expect_str_eq(tool_field(recs, 6, "tool_use_id"), "toolu_3");
	cr_expect_str_eq(tool_field(recs, 6, "outcome"), "error");
	cr_expect_eq(json_integer_value(json_object_get(json_array_get(recs, 6),
							"worker")),
		     fx.killed[0]);
	for (size_t i = 4; i < 9; i++) {
		char id[16];

		snprintf(id, sizeof(id), "toolu_%zu", i - 3);
		cr_expect_str_eq(tool_field(recs, i, "tool_use_id"), id);
	}
	json_decref(recs);
	cr_expect_eq(count_events("worker_died"), 1);
	/* the next batch that needs four workers starts one again */
	fx.calls = 0;
	warm_pool();
	cr_expect_eq(batch_stats(fx.b)->respawns, 1);
	cr_expect_neq(pool_pid(2), fx.killed[0]);
}

static void
on_cancel_batch(struct loop *l, void *ctx)
{
	(void)ctx;
	batch_cancel(fx.b, "phase_timeout");
	loop_stop(l);
}

/* Calls finished after one still running are recorded at the cancel, in
 * the order of the calls; the running one is interrupted. */
Test(batch, cancel_during_parallel_reads_records_every_call_in_order)
{
	json_t *recs, *content;

	started_batch();
	warm_pool();
	fx.killed[0] = pool_pid(1);
	cr_assert_eq(kill((pid_t)fx.killed[0], SIGSTOP), 0);
	content = json_pack("[o,o,o,o]", read_call("toolu_1", "w.txt"),
			    read_call("toolu_2", "w.txt"),
			    tool_use("toolu_3", "Teleport", json_object()),
			    read_call("toolu_4", "w.txt"));
	loop_add_timer(fx.loop, 300, on_cancel_batch, NULL);
	cr_assert_eq(batch_run(fx.b, content, on_done, &fx), 0);
	json_decref(content);
	run_loop();
	cr_expect_eq(fx.calls, 0, "no callback after batch_cancel()");
	recs = call_records();
	cr_assert_eq(json_array_size(recs), 8, "each call recorded once");
	for (size_t i = 4; i < 8; i++) {
		char id[16];

		snprintf(id, sizeof(id), "toolu_%zu", i - 3);
		cr_expect_str_eq(tool_field(recs, i, "tool_use_id"), id);
	}
	cr_expect_str_eq(tool_field(recs, 5, "note"),
			 "interrupted: phase_timeout");
	cr_expect_str_eq(tool_field(recs, 6, "outcome"), "denied",
			 "a call done after the running one is kept");
	json_decref(recs);
	batch_free(fx.b); /* stops the workers, the stopped one too */
	fx.b = NULL;
}

/* A pool worker that cannot start leaves the calls to the workers there
 * are; the batch goes on. */
Test(batch, a_pool_that_cannot_grow_runs_the_calls_on_the_primary)
{
	json_t *recs;

	started_batch();
	close(fx.wopts.worker_fd);
	fx.wopts.worker_fd = open("/bin/true", O_PATH | O_CLOEXEC);
	cr_assert_geq(fx.wopts.worker_fd, 0);
	put_file("w.txt", "warm\n");
	for (int round = 0; round < 2; round++) {
		fx.calls = 0;
		run_batch(json_pack("[o,o,o]", read_call("toolu_1", "w.txt"),
				    read_call("toolu_2", "w.txt"),
				    read_call("toolu_3", "w.txt")));
		cr_assert_eq(fx.stop, SESSION_STOP_NONE, "%s", fx.error);
		for (size_t i = 0; i < 3; i++)
			cr_expect(!result_error(i) &&
					  strstr(result_text(i), "warm"),
				  "%zu: %s", i, result_text(i));
	}
	recs = audit_records();
	cr_expect_eq(json_array_size(recs), 7, "one READY and six calls");
	json_decref(recs);
	cr_expect_eq(batch_stats(fx.b)->respawns, 0);
}
