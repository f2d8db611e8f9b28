/*
 * test_batch.c - the batch of tool calls of one assistant message
 * (supervisor/agent/batch.h), with the real gao-dev-worker: one worker
 * (the pool of read-only calls is test_batch_pool.c).
 *
 * Design note
 * -----------
 * Each test plays the session (batch_fixture.h): it makes a batch for a
 * fresh project with the shipped "default" policy, starts the real worker
 * (no namespaces, so it runs as any user; Landlock and seccomp as the
 * machine allows), hands over canned assistant content and runs the event
 * loop until the batch's callback. Then it checks what the session and
 * the reader of the run would see: the tool_result blocks and their
 * order, the counters, the audit log (every call, allowed or refused,
 * exactly once, chained), the events and the transcript lines. Worker
 * deaths are real too: the test kills the worker's pid from a timer while
 * a call runs. The project watch's caps are checked here as well.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "supervisor/agent/batch.h"
#include "supervisor/core/loop.h"
#include "tests/unit/batch_fixture.h"

static struct batch_fixture *const fx = &batch_fixture;

TestSuite(batch, .init = batch_fixture_setup, .fini = batch_fixture_teardown,
	  .timeout = 120);

Test(batch, start_waits_for_ready_and_records_it)
{
	const struct batch_stats *st;
	json_t *recs;

	batch_fixture_start();
	st = batch_stats(fx->b);
	cr_expect_eq(json_array_size(fx->results), 0);
	cr_expect(st->layers & MSG_LAYER_SECCOMP, "layers 0x%x", st->layers);
	cr_expect(st->layers & MSG_LAYER_NO_NEW_PRIVS);
	cr_expect_gt(st->worker_pid, 0);
	cr_expect_eq(st->worker_uid, (int64_t)geteuid());
	recs = batch_fixture_audit();
	cr_assert_eq(json_array_size(recs), 1);
	cr_expect_str_eq(batch_fixture_str(recs, 0, "outcome"), "worker_ready");
	cr_expect_str_eq(batch_fixture_str(recs, 0, "tool"), "session");
	json_decref(recs);
}

Test(batch, results_come_back_in_the_order_of_the_calls)
{
	const struct batch_stats *st;
	json_t *recs;

	batch_fixture_start();
	batch_fixture_run(json_pack(
		"[{s:s,s:s},o,o,o]", "type", "text", "text", "writing a file",
		batch_fixture_tool_use("toolu_1", "Write",
				       json_pack("{s:s,s:s}", "file_path",
						 "a.txt", "content",
						 "hello\n")),
		batch_fixture_tool_use("toolu_2", "Read",
				       json_pack("{s:s}", "file_path",
						 "a.txt")),
		batch_fixture_tool_use("toolu_3", "Bash",
				       json_pack("{s:s}", "command",
						 "echo from-bash"))));
	cr_assert_eq(fx->stop, SESSION_STOP_NONE, "%s", fx->error);
	cr_assert_eq(json_array_size(fx->results), 3);
	for (size_t i = 0; i < 3; i++) {
		char id[16];

		snprintf(id, sizeof(id), "toolu_%zu", i + 1);
		cr_expect_str_eq(json_string_value(json_object_get(
					 batch_fixture_result(i),
					 "tool_use_id")),
				 id);
		cr_expect_str_eq(json_string_value(json_object_get(
					 batch_fixture_result(i), "type")),
				 "tool_result");
		cr_expect(!batch_fixture_result_error(i), "%zu: %s", i,
			  batch_fixture_result_text(i));
	}
	cr_expect(strstr(batch_fixture_result_text(1), "hello"), "%s",
		  batch_fixture_result_text(1));
	cr_expect(strstr(batch_fixture_result_text(2), "from-bash"), "%s",
		  batch_fixture_result_text(2));
	st = batch_stats(fx->b);
	cr_expect_eq(st->tool_calls, 3);
	cr_expect_eq(st->tool_errors, 0);
	cr_expect_eq(st->denied, 0);
	cr_expect_eq(json_integer_value(
			     json_object_get(st->tools_by_name, "Bash")),
		     1);
	recs = batch_fixture_audit();
	cr_assert_eq(json_array_size(recs), 4);
	for (size_t i = 1; i < 4; i++)
		cr_expect_str_eq(batch_fixture_str(recs, i, "outcome"),
				 "allowed");
	cr_expect_str_eq(batch_fixture_str(recs, 3, "tool_use_id"), "toolu_3");
	json_decref(recs);
	cr_expect_eq(batch_fixture_count_lines("tool_result"), 3);
	cr_expect_eq(batch_fixture_count_events("tool_call"), 3);
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
	batch_fixture_start();
	batch_fixture_run(json_pack(
		"[o,o,o,o]",
		batch_fixture_tool_use("toolu_a", "Teleport", json_object()),
		batch_fixture_tool_use("toolu_b", "Write",
				       json_string("a.txt")),
		batch_fixture_tool_use("toolu_c", "Write", big),
		batch_fixture_tool_use("toolu_d", "Bash",
				       json_pack("{s:s}", "command", "ls"))));
	cr_assert_eq(json_array_size(fx->results), 4);
	cr_expect(batch_fixture_result_error(0) &&
		  batch_fixture_result_error(1) &&
		  batch_fixture_result_error(2));
	cr_expect(strstr(batch_fixture_result_text(0),
			 "Tool Teleport is not available to "
			 "tester"),
		  "%s", batch_fixture_result_text(0));
	cr_expect(
		strstr(batch_fixture_result_text(1), "must be a JSON object"));
	cr_expect(strstr(batch_fixture_result_text(2), "at most 1 MiB"));
	cr_expect(!batch_fixture_result_error(3));
	st = batch_stats(fx->b);
	cr_expect_eq(st->denied, 3);
	cr_expect_eq(st->tool_errors, 3);
	cr_expect_eq(st->tool_calls, 1);
	recs = batch_fixture_audit();
	cr_assert_eq(json_array_size(recs), 5);
	for (size_t i = 1; i < 4; i++)
		cr_expect_str_eq(batch_fixture_str(recs, i, "outcome"),
				 "denied");
	cr_expect_str_eq(batch_fixture_str(recs, 1, "tool"), "Teleport");
	cr_expect(json_is_true(json_object_get(
			  json_object_get(json_array_get(recs, 3), "input"),
			  "truncated")),
		  "a large input is capped in the audit log");
	cr_expect_str_eq(batch_fixture_str(recs, 4, "outcome"), "allowed");
	json_decref(recs);
	cr_expect(!batch_fixture_has("a.txt") && !batch_fixture_has("big.txt"),
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
	batch_fixture_start();
	batch_fixture_run(json_pack(
		"[o,o,o]",
		batch_fixture_tool_use("toolu_a", "Write",
				       json_pack("{s:s%,s:s}", "file_path",
						 "x\0.txt", (size_t)6,
						 "content", "hi")),
		batch_fixture_tool_use("toolu_b", "Write", deep),
		batch_fixture_tool_use("toolu_c", "Write",
				       json_pack("{s:s,s:s}", "file_path",
						 "ok.txt", "content",
						 "fine"))));
	cr_assert_eq(json_array_size(fx->results), 3);
	cr_expect(batch_fixture_result_error(0) &&
		  batch_fixture_result_error(1) &&
		  !batch_fixture_result_error(2));
	cr_expect(strstr(batch_fixture_result_text(0),
			 "field \"file_path\" holds a NUL"),
		  "%s", batch_fixture_result_text(0));
	cr_expect(strstr(batch_fixture_result_text(1),
			 "field \"new_string\" holds a NUL"),
		  "%s", batch_fixture_result_text(1));
	cr_expect_eq(batch_stats(fx->b)->denied, 2);
	cr_expect(!batch_fixture_has("x") && !batch_fixture_has("m.txt"),
		  "a refused Write wrote nothing");
	cr_expect(batch_fixture_has("ok.txt"));
}

Test(batch, a_bash_timeout_given_as_a_real_is_the_deadline_on_both_sides)
{
	/* the worker reads 5000.0 as 5000 ms: the supervisor's deadline
	 * must not stay at the default, which the worker would obey */
	fx->init.policy.timeout_default_ms = 500;
	batch_fixture_start();
	batch_fixture_run(json_pack(
		"[o]", batch_fixture_tool_use("toolu_1", "Bash",
					      json_pack("{s:s,s:f}", "command",
							"sleep 1; echo slept",
							"timeout", 5000.0))));
	cr_assert_eq(fx->stop, SESSION_STOP_NONE, "%s", fx->error);
	cr_expect(!batch_fixture_result_error(0), "%s",
		  batch_fixture_result_text(0));
	cr_expect(strstr(batch_fixture_result_text(0), "slept"), "%s",
		  batch_fixture_result_text(0));
}

Test(batch, a_result_past_the_policy_cap_is_cut_by_the_supervisor)
{
	const char *text;

	batch_fixture_start();
	/* the worker was told the policy's output_bytes in its INIT; the
	 * supervisor's is now far lower, so the worker sends more than it
	 * allows, as a subverted worker could */
	cr_assert_gt(fx->init.policy.output_bytes, 20000);
	fx->init.policy.output_bytes = 1000;
	batch_fixture_run(json_pack(
		"[o]",
		batch_fixture_tool_use("toolu_1", "Bash",
				       json_pack("{s:s}", "command",
						 "head -c 100000 /dev/zero | "
						 "tr '\\0' a"))));
	cr_assert_eq(fx->stop, SESSION_STOP_NONE, "%s", fx->error);
	text = batch_fixture_result_text(0);
	cr_expect_lt(strlen(text), 1000 + BATCH_RESULT_SLACK + 200);
	cr_expect(strstr(text, "[output cut by the supervisor: the sandbox "
			       "sent ") != NULL,
		  "%.300s", text + strlen(text) - 300);
}

Test(batch, todo_write_is_kept_without_a_worker)
{
	const struct batch_stats *st;
	json_t *list = json_pack("[{s:s,s:s}]", "content", "write tests",
				 "status", "in_progress");
	json_t *recs;

	batch_fixture_new(false, 0);
	batch_fixture_run(json_pack(
		"[o,o]",
		batch_fixture_tool_use("toolu_1", "TodoWrite",
				       json_pack("{s:O}", "todos", list)),
		batch_fixture_tool_use("toolu_2", "TodoWrite",
				       json_pack("{s:[{s:s}]}", "todos",
						 "status", "someday"))));
	cr_assert_eq(fx->stop, SESSION_STOP_NONE);
	cr_expect_str_eq(batch_fixture_result_text(0),
			 "Todos have been updated.");
	cr_expect(!batch_fixture_result_error(0));
	cr_expect(batch_fixture_result_error(1));
	cr_expect(
		strstr(batch_fixture_result_text(1), "TodoWrite needs todos"));
	st = batch_stats(fx->b);
	cr_expect(json_equal(st->todos, list), "the valid list is kept");
	cr_expect_eq(st->tool_calls, 2);
	cr_expect_eq(st->denied, 0);
	cr_expect_eq(st->tool_errors, 1);
	cr_expect_eq(batch_fixture_count_lines("todos"), 1);
	recs = batch_fixture_audit();
	cr_assert_eq(json_array_size(recs), 2);
	cr_expect_str_eq(batch_fixture_str(recs, 0, "outcome"), "allowed");
	cr_expect_str_eq(batch_fixture_str(recs, 1, "outcome"), "error");
	cr_expect_str_eq(batch_fixture_str(recs, 1, "note"), "invalid todos");
	json_decref(recs);
	json_decref(list);
}

Test(batch, a_worker_tool_without_a_worker_fails_the_batch)
{
	json_t *recs;

	batch_fixture_new(false, 0);
	batch_fixture_run(json_pack(
		"[o]",
		batch_fixture_tool_use("toolu_1", "Bash",
				       json_pack("{s:s}", "command", "true"))));
	cr_expect_eq(fx->stop, SESSION_STOP_WORKER_FAILED);
	cr_expect_str_eq(fx->error, "this agent has no sandbox worker");
	batch_cancel(fx->b, "worker_failed");
	recs = batch_fixture_audit();
	cr_assert_eq(json_array_size(recs), 1, "the call is recorded once");
	cr_expect_str_eq(batch_fixture_str(recs, 0, "note"), "interrupted: "
							     "worker_failed");
	json_decref(recs);
}

Test(batch, the_callback_never_runs_inside_batch_run)
{
	json_t *none = json_array();

	batch_fixture_new(false, 0);
	cr_assert_eq(batch_run(fx->b, none, batch_fixture_on_done, fx), 0);
	cr_expect_eq(fx->calls, 0);
	cr_expect_eq(batch_run(fx->b, none, batch_fixture_on_done, fx), -1,
		     "one batch at a time");
	json_decref(none);
	batch_fixture_loop();
	cr_expect_eq(fx->calls, 1);
	cr_expect_eq(json_array_size(fx->results), 0);
}

/* Kill each new worker once a call runs on it, up to kill_max times. */
static void
on_kill(struct loop *l, void *ctx)
{
	const struct batch_stats *st = batch_stats(fx->b);
	bool seen = false;

	(void)ctx;
	for (int i = 0; i < fx->n_killed; i++)
		seen = seen || fx->killed[i] == st->worker_pid;
	if (st->worker_pid > 0 && !seen && fx->n_killed < fx->kill_max) {
		kill((pid_t)st->worker_pid, SIGKILL);
		fx->killed[fx->n_killed++] = st->worker_pid;
	}
	loop_add_timer(l, 100, on_kill, NULL);
}

Test(batch, a_worker_killed_during_a_call_is_replaced)
{
	const struct batch_stats *st;
	json_t *recs;

	batch_fixture_start();
	fx->kill_max = 1;
	loop_add_timer(fx->loop, 300, on_kill, NULL);
	batch_fixture_run(
		json_pack("[o,o]",
			  batch_fixture_tool_use("toolu_1", "Bash",
						 json_pack("{s:s}", "command",
							   "sleep 30")),
			  batch_fixture_tool_use("toolu_2", "Bash",
						 json_pack("{s:s}", "command",
							   "echo after"))));
	cr_assert_eq(fx->stop, SESSION_STOP_NONE, "%s", fx->error);
	cr_expect(batch_fixture_result_error(0));
	cr_expect(strstr(batch_fixture_result_text(0),
			 "The sandbox running this tool was "
			 "stopped"),
		  "%s", batch_fixture_result_text(0));
	cr_expect(!batch_fixture_result_error(1));
	cr_expect(strstr(batch_fixture_result_text(1), "after"));
	st = batch_stats(fx->b);
	cr_expect_eq(st->respawns, 1);
	cr_expect_neq(st->worker_pid, fx->killed[0]);
	recs = batch_fixture_audit();
	cr_assert_eq(json_array_size(recs), 4);
	cr_expect_str_eq(batch_fixture_str(recs, 1, "outcome"), "error");
	cr_expect_str_eq(batch_fixture_str(recs, 1, "tool_use_id"), "toolu_1");
	cr_expect_str_eq(batch_fixture_str(recs, 2, "outcome"), "worker_ready");
	cr_expect_str_eq(batch_fixture_str(recs, 3, "outcome"), "allowed");
	json_decref(recs);
	cr_expect_eq(batch_fixture_count_events("worker_died"), 1);
}

Test(batch, a_worker_that_keeps_dying_fails_the_batch)
{
	json_t *content = json_array(), *recs;
	size_t n;

	batch_fixture_start();
	for (int i = 0; i < BATCH_MAX_RESPAWNS + 2; i++) {
		char id[16];

		snprintf(id, sizeof(id), "toolu_%d", i);
		json_array_append_new(
			content,
			batch_fixture_tool_use(id, "Bash",
					       json_pack("{s:s}", "command",
							 "sleep 30")));
	}
	fx->kill_max = BATCH_MAX_RESPAWNS + 1;
	loop_add_timer(fx->loop, 300, on_kill, NULL);
	batch_fixture_run(content);
	cr_assert_eq(fx->stop, SESSION_STOP_WORKER_FAILED);
	cr_expect_str_eq(fx->error, "the sandbox worker keeps dying");
	cr_expect_eq(batch_stats(fx->b)->respawns, BATCH_MAX_RESPAWNS);
	batch_cancel(fx->b, "worker_failed");
	recs = batch_fixture_audit();
	n = json_array_size(recs);
	/* 4 READY, 4 calls cut by a death, the last one interrupted */
	cr_assert_eq(n, 9);
	cr_expect_str_eq(batch_fixture_str(recs, n - 1, "note"),
			 "interrupted: worker_failed");
	cr_expect_str_eq(batch_fixture_str(recs, n - 1, "tool_use_id"),
			 "toolu_4");
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
	json_t *content = json_pack(
		"[o]", batch_fixture_tool_use("toolu_1", "Bash",
					      json_pack("{s:s}", "command",
							"sleep 30")));

	batch_fixture_start();
	loop_add_timer(fx->loop, 300, on_cancel, fx->b);
	cr_assert_eq(batch_run(fx->b, content, batch_fixture_on_done, fx), 0);
	json_decref(content);
	batch_fixture_loop();
	cr_expect_eq(fx->calls, 0, "no callback after batch_cancel()");
	cr_expect_eq(batch_run(fx->b, none, batch_fixture_on_done, fx), -1);
	json_decref(none);
	recs = batch_fixture_audit();
	cr_assert_eq(json_array_size(recs), 2);
	cr_expect_str_eq(batch_fixture_str(recs, 1, "outcome"), "error");
	cr_expect_str_eq(batch_fixture_str(recs, 1, "note"), "interrupted: "
							     "phase_timeout");
	json_decref(recs);
	batch_free(fx->b); /* stops the worker in its sleep */
	fx->b = NULL;
}

Test(batch, unmet_isolation_is_reported_at_start)
{
	char err[256] = "";
	json_t *recs;

	batch_fixture_new(true, MSG_LAYER_NS_PID);
	cr_assert_eq(batch_start(fx->b, batch_fixture_on_done, fx, err,
				 sizeof(err)),
		     0);
	batch_fixture_loop();
	cr_assert_eq(fx->calls, 1);
	cr_expect_eq(fx->stop, SESSION_STOP_ISOLATION_UNMET);
	cr_expect(strstr(fx->error, "--require-isolation is not met"), "%s",
		  fx->error);
	recs = batch_fixture_audit();
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

	close(fx->wopts.worker_fd);
	fx->wopts.worker_fd = open("/bin/true", O_PATH | O_CLOEXEC);
	cr_assert_geq(fx->wopts.worker_fd, 0);
	batch_fixture_new(true, 0);
	if (batch_start(fx->b, batch_fixture_on_done, fx, err, sizeof(err)) <
	    0) {
		cr_expect_neq(err[0], 0, "a reason");
		batch_fixture_loop_for(500);
		cr_expect_eq(fx->calls, 0, "no callback after a failed start");
		return;
	}
	batch_fixture_loop();
	cr_assert_eq(fx->calls, 1);
	cr_expect_eq(fx->stop, SESSION_STOP_WORKER_FAILED);
	cr_expect(strstr(fx->error, "failed to start"), "%s", fx->error);
}

static json_t *
write_call(const char *id, const char *path)
{
	return batch_fixture_tool_use(id, "Write",
				      json_pack("{s:s,s:s}", "file_path", path,
						"content", "x\n"));
}

Test(batch, the_watch_stops_at_the_write_past_the_file_cap)
{
	json_t *recs;

	fx->watch = (struct watch_caps){ .max_files = 2 };
	batch_fixture_start();
	batch_fixture_run(json_pack("[o,o,o,o]", write_call("toolu_1", "a.txt"),
				    write_call("toolu_2", "b.txt"),
				    write_call("toolu_3", "c.txt"),
				    write_call("toolu_4", "d.txt")));
	cr_assert_eq(fx->stop, SESSION_STOP_FILE_LIMIT, "%s", fx->error);
	cr_expect(strstr(fx->error, "--max-files"), "%s", fx->error);
	/* measured after each call: the fourth never ran */
	cr_expect(batch_fixture_has("c.txt"));
	cr_expect_not(batch_fixture_has("d.txt"));
	recs = batch_fixture_audit();
	cr_expect_eq(json_array_size(recs), 4, "ready and three writes");
	json_decref(recs);
	/* the measurement is not a tool call of the agent */
	cr_expect_eq(batch_stats(fx->b)->tool_calls, 3);
	cr_expect_eq(batch_fixture_count_events("tool_call"), 3);
}

Test(batch, the_watch_measures_only_after_calls_that_can_write)
{
	char path[PATH_MAX];
	FILE *f;

	/* two entries already: over a cap of one, but only a writing
	 * call is followed by a measurement */
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/old%d", fx->project, i);
		f = fopen(path, "we");
		cr_assert_not_null(f);
		fclose(f);
	}
	fx->watch = (struct watch_caps){ .max_files = 1 };
	batch_fixture_start();
	batch_fixture_run(json_pack(
		"[o,o]",
		batch_fixture_tool_use("toolu_1", "Read",
				       json_pack("{s:s}", "file_path", "old0")),
		batch_fixture_tool_use("toolu_2", "Read",
				       json_pack("{s:s}", "file_path",
						 "old1"))));
	cr_assert_eq(fx->stop, SESSION_STOP_NONE, "%s", fx->error);
	fx->calls = 0;
	batch_fixture_run(json_pack(
		"[o]",
		batch_fixture_tool_use("toolu_3", "Bash",
				       json_pack("{s:s}", "command", "true"))));
	cr_assert_eq(fx->stop, SESSION_STOP_FILE_LIMIT, "%s", fx->error);
}

Test(batch, the_watch_under_its_caps_lets_the_batch_end)
{
	fx->watch = (struct watch_caps){ .max_files = 100,
					 .max_bytes = 1 << 20 };
	batch_fixture_start();
	batch_fixture_run(
		json_pack("[o,o]", write_call("toolu_1", "a.txt"),
			  batch_fixture_tool_use("toolu_2", "Bash",
						 json_pack("{s:s}", "command",
							   "echo fine"))));
	cr_assert_eq(fx->stop, SESSION_STOP_NONE, "%s", fx->error);
	cr_assert_eq(json_array_size(fx->results), 2);
	cr_expect(strstr(batch_fixture_result_text(1), "fine"), "%s",
		  batch_fixture_result_text(1));
}

Test(batch, the_watch_stops_past_the_byte_cap)
{
	fx->watch = (struct watch_caps){ .max_bytes = 256 << 10 };
	batch_fixture_start();
	batch_fixture_run(
		json_pack("[o,o]",
			  batch_fixture_tool_use(
				  "toolu_1", "Bash",
				  json_pack("{s:s}", "command",
					    "head -c 600000 /dev/urandom > "
					    "r.bin")),
			  batch_fixture_tool_use("toolu_2", "Bash",
						 json_pack("{s:s}", "command",
							   "touch never"))));
	cr_assert_eq(fx->stop, SESSION_STOP_DISK_LIMIT, "%s", fx->error);
	cr_expect(strstr(fx->error, "--max-disk"), "%s", fx->error);
	cr_expect_not(batch_fixture_has("never"));
}
