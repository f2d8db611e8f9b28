/*
 * test_batch_pool.c - the read-only calls of one assistant message at
 * several workers at once (supervisor/agent/batch.h, its worker pool),
 * with the real gao-dev-worker.
 *
 * Design note
 * -----------
 * Played like test_batch.c (batch_fixture.h). A batch of read-only calls
 * (Read, Grep, Glob) grows the pool up to BATCH_POOL_MAX workers; each
 * worker's READY record in the audit log carries its pool index and host
 * pid, so a test can tell which worker ran which call, stop one
 * (SIGSTOP) to hold its call and kill it from a timer. The tests check
 * that reads see exactly the writes before them, that the calls run at
 * once yet are recorded and answered in the order of the message, and
 * that a pool worker's death, a cancel or a pool that cannot grow lose
 * no call.
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

TestSuite(batch_pool, .init = batch_fixture_setup,
	  .fini = batch_fixture_teardown, .timeout = 120);

static json_t *
read_call(const char *id, const char *path)
{
	return batch_fixture_tool_use(id, "Read",
				      json_pack("{s:s}", "file_path", path));
}

static json_t *
grep_call(const char *id, const char *pattern)
{
	return batch_fixture_tool_use(id, "Grep",
				      json_pack("{s:s,s:s}", "pattern", pattern,
						"output_mode", "content"));
}

/* The audit records of calls (not READY), in file order. */
static json_t *
call_records(void)
{
	json_t *recs = batch_fixture_audit(), *out = json_array(), *r;
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
	json_t *recs = batch_fixture_audit(), *r;
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

static void
put_file(const char *rel, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fx->project, rel);
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
	batch_fixture_run(json_pack("[o,o,o,o]", read_call("toolu_w1", "w.txt"),
				    read_call("toolu_w2", "w.txt"),
				    read_call("toolu_w3", "w.txt"),
				    read_call("toolu_w4", "w.txt")));
	cr_assert_eq(fx->stop, SESSION_STOP_NONE, "%s", fx->error);
	fx->calls = 0;
	for (int i = 0; i < BATCH_POOL_MAX; i++)
		cr_assert_gt(pool_pid(i), 0, "pool worker %d is READY", i);
}

Test(batch_pool, reads_see_the_writes_before_them_and_not_after)
{
	json_t *recs;

	put_file("a.txt", "version-one\n");
	batch_fixture_start();
	batch_fixture_run(json_pack(
		"[o,o,o,o,o,o,o]", read_call("toolu_1", "a.txt"),
		grep_call("toolu_2", "version-"),
		batch_fixture_tool_use("toolu_3", "Write",
				       json_pack("{s:s,s:s}", "file_path",
						 "a.txt", "content",
						 "version-two\n")),
		read_call("toolu_4", "a.txt"), grep_call("toolu_5", "version-"),
		batch_fixture_tool_use(
			"toolu_6", "Bash",
			json_pack("{s:s}", "command",
				  "echo version-three > a.txt; echo bash")),
		read_call("toolu_7", "a.txt")));
	cr_assert_eq(fx->stop, SESSION_STOP_NONE, "%s", fx->error);
	cr_assert_eq(json_array_size(fx->results), 7);
	for (size_t i = 0; i < 7; i++) {
		char id[16];

		snprintf(id, sizeof(id), "toolu_%zu", i + 1);
		cr_expect_str_eq(batch_fixture_str(fx->results, i,
						   "tool_use_id"),
				 id);
		cr_expect(!batch_fixture_result_error(i), "%zu: %s", i,
			  batch_fixture_result_text(i));
	}
	cr_expect(strstr(batch_fixture_result_text(0), "version-one") &&
			  !strstr(batch_fixture_result_text(0), "version-two"),
		  "%s", batch_fixture_result_text(0));
	cr_expect(strstr(batch_fixture_result_text(1), "version-one") &&
			  !strstr(batch_fixture_result_text(1), "version-two"),
		  "%s", batch_fixture_result_text(1));
	cr_expect(strstr(batch_fixture_result_text(3), "version-two"), "%s",
		  batch_fixture_result_text(3));
	cr_expect(strstr(batch_fixture_result_text(4), "version-two") &&
			  !strstr(batch_fixture_result_text(4),
				  "version-three"),
		  "%s", batch_fixture_result_text(4));
	cr_expect(strstr(batch_fixture_result_text(6), "version-three"), "%s",
		  batch_fixture_result_text(6));
	recs = call_records();
	cr_assert_eq(json_array_size(recs), 7);
	for (size_t i = 0; i < 7; i++)
		cr_expect_str_eq(batch_fixture_str(recs, i, "tool_use_id"),
				 batch_fixture_str(fx->results, i,
						   "tool_use_id"));
	json_decref(recs);
}

Test(batch_pool, reads_of_one_message_run_at_several_workers_at_once)
{
	json_t *recs, *evs, *seen = json_object();

	batch_fixture_start();
	warm_pool();
	put_file("b.txt", "bee\n");
	batch_fixture_run(json_pack(
		"[o,o,o,o,o]", read_call("toolu_1", "w.txt"),
		read_call("toolu_2", "b.txt"), read_call("toolu_3", "w.txt"),
		read_call("toolu_4", "b.txt"), read_call("toolu_5", "w.txt")));
	cr_assert_eq(fx->stop, SESSION_STOP_NONE, "%s", fx->error);
	for (size_t i = 0; i < 5; i++)
		cr_expect(strstr(batch_fixture_result_text(i),
				 i % 2 ? "bee" : "warm"),
			  "%zu: %s", i, batch_fixture_result_text(i));
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
	evs = batch_fixture_events("tool_call");
	cr_assert_eq(json_array_size(evs), 9);
	for (size_t i = 4; i < 8; i++)
		cr_expect_eq(json_integer_value(
				     json_object_get(json_array_get(evs, i),
						     "in_flight")),
			     (json_int_t)i - 3, "call %zu", i);
	json_decref(evs);
	json_decref(seen);
	cr_expect_eq(batch_stats(fx->b)->respawns, 0,
		     "pool workers are not respawns");
}

static void
on_kill_victim(struct loop *l, void *ctx)
{
	(void)l;
	(void)ctx;
	kill((pid_t)fx->killed[0], SIGKILL);
}

Test(batch_pool, a_pool_worker_killed_during_a_call)
{
	json_t *recs;

	batch_fixture_start();
	warm_pool();
	fx->killed[0] = pool_pid(2);
	/* stopped, it holds the call it is sent until it is killed */
	cr_assert_eq(kill((pid_t)fx->killed[0], SIGSTOP), 0);
	loop_add_timer(fx->loop, 200, on_kill_victim, NULL);
	batch_fixture_run(json_pack(
		"[o,o,o,o,o]", read_call("toolu_1", "w.txt"),
		read_call("toolu_2", "w.txt"), read_call("toolu_3", "w.txt"),
		read_call("toolu_4", "w.txt"), read_call("toolu_5", "w.txt")));
	cr_assert_eq(fx->stop, SESSION_STOP_NONE, "%s", fx->error);
	for (size_t i = 0; i < 5; i++) {
		if (i == 2)
			continue;
		cr_expect(!batch_fixture_result_error(i) &&
				  strstr(batch_fixture_result_text(i), "warm"),
			  "%zu: %s", i, batch_fixture_result_text(i));
	}
	cr_expect(batch_fixture_result_error(2));
	cr_expect(strstr(batch_fixture_result_text(2),
			 "The sandbox running this tool was "
			 "stopped"),
		  "%s", batch_fixture_result_text(2));
	recs = call_records();
	cr_assert_eq(json_array_size(recs), 9);
	cr_expect_str_eq(batch_fixture_str(recs, 6, "tool_use_id"), "toolu_3");
	cr_expect_str_eq(batch_fixture_str(recs, 6, "outcome"), "error");
	cr_expect_eq(json_integer_value(json_object_get(json_array_get(recs, 6),
							"worker")),
		     fx->killed[0]);
	for (size_t i = 4; i < 9; i++) {
		char id[16];

		snprintf(id, sizeof(id), "toolu_%zu", i - 3);
		cr_expect_str_eq(batch_fixture_str(recs, i, "tool_use_id"), id);
	}
	json_decref(recs);
	cr_expect_eq(batch_fixture_count_events("worker_died"), 1);
	/* the next batch that needs four workers starts one again */
	fx->calls = 0;
	warm_pool();
	cr_expect_eq(batch_stats(fx->b)->respawns, 1);
	cr_expect_neq(pool_pid(2), fx->killed[0]);
}

static void
on_cancel_batch(struct loop *l, void *ctx)
{
	(void)ctx;
	batch_cancel(fx->b, "phase_timeout");
	loop_stop(l);
}

/* Calls finished after one still running are recorded at the cancel, in
 * the order of the calls; the running one is interrupted. */
Test(batch_pool, cancel_during_parallel_reads_records_every_call_in_order)
{
	json_t *recs, *content;

	batch_fixture_start();
	warm_pool();
	fx->killed[0] = pool_pid(1);
	cr_assert_eq(kill((pid_t)fx->killed[0], SIGSTOP), 0);
	content = json_pack("[o,o,o,o]", read_call("toolu_1", "w.txt"),
			    read_call("toolu_2", "w.txt"),
			    batch_fixture_tool_use("toolu_3", "Teleport",
						   json_object()),
			    read_call("toolu_4", "w.txt"));
	loop_add_timer(fx->loop, 300, on_cancel_batch, NULL);
	cr_assert_eq(batch_run(fx->b, content, batch_fixture_on_done, fx), 0);
	json_decref(content);
	batch_fixture_loop();
	cr_expect_eq(fx->calls, 0, "no callback after batch_cancel()");
	recs = call_records();
	cr_assert_eq(json_array_size(recs), 8, "each call recorded once");
	for (size_t i = 4; i < 8; i++) {
		char id[16];

		snprintf(id, sizeof(id), "toolu_%zu", i - 3);
		cr_expect_str_eq(batch_fixture_str(recs, i, "tool_use_id"), id);
	}
	cr_expect_str_eq(batch_fixture_str(recs, 5, "note"),
			 "interrupted: phase_timeout");
	cr_expect_str_eq(batch_fixture_str(recs, 6, "outcome"), "denied",
			 "a call done after the running one is kept");
	json_decref(recs);
	batch_free(fx->b); /* stops the workers, the stopped one too */
	fx->b = NULL;
}

/* A pool worker that cannot start leaves the calls to the workers there
 * are; the batch goes on. */
Test(batch_pool, a_pool_that_cannot_grow_runs_the_calls_on_the_primary)
{
	json_t *recs;

	batch_fixture_start();
	close(fx->wopts.worker_fd);
	fx->wopts.worker_fd = open("/bin/true", O_PATH | O_CLOEXEC);
	cr_assert_geq(fx->wopts.worker_fd, 0);
	put_file("w.txt", "warm\n");
	for (int round = 0; round < 2; round++) {
		fx->calls = 0;
		batch_fixture_run(json_pack("[o,o,o]",
					    read_call("toolu_1", "w.txt"),
					    read_call("toolu_2", "w.txt"),
					    read_call("toolu_3", "w.txt")));
		cr_assert_eq(fx->stop, SESSION_STOP_NONE, "%s", fx->error);
		for (size_t i = 0; i < 3; i++)
			cr_expect(!batch_fixture_result_error(i) &&
					  strstr(batch_fixture_result_text(i),
						 "warm"),
				  "%zu: %s", i, batch_fixture_result_text(i));
	}
	recs = batch_fixture_audit();
	cr_expect_eq(json_array_size(recs), 7, "one READY and six calls");
	json_decref(recs);
	cr_expect_eq(batch_stats(fx->b)->respawns, 0);
}
