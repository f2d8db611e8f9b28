/*
 * test_parallel.c - the tool calls of one assistant message through the
 * real gao-dev, the real workers and the real sandbox (issue 14,
 * "Parallel tool calls"): the read-only calls (Read, Glob, Grep) of a
 * message run at several workers of the agent at once, every other call
 * alone and in its place.
 *
 * One run of the plain config plays one scenario (written by the test)
 * and every assertion reads what the run left: the fake API's record of
 * the requests (the tool_result blocks as the model got them, in order),
 * the audit log (call order, the workers that ran each call, their READY
 * records, the chain through `gao-dev audit verify`), the events
 * (tool_call with in_flight: how many calls of the batch were at workers
 * when it was sent). Concurrency is shown without timing: three calls
 * sent to three distinct READY workers before any answer was read
 * (in_flight 1, 2, 3). The process cap: a Bash call forks until the
 * kernel says no, with the pool's workers alive; it gets fewer than the
 * policy's 256 processes, and the session goes on.
 *
 * As root without a PID namespace (a test switch) the pool does not grow:
 * stopping a worker there kills every process of the run's uid.
 *
 * Killing a worker mid-batch and cancelling mid-batch, which need a
 * worker held still (SIGSTOP), are in tests/unit/test_batch.c with the
 * real worker.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "harness.h"
#include "harness_bench.h"

static json_t *
use(const char *name, json_t *input)
{
	return json_pack("{s:s,s:s,s:o}", "type", "tool_use", "name", name,
			 "input", input);
}

static json_t *
read_of(const char *path)
{
	return use("Read", json_pack("{s:s}", "file_path", path));
}

static json_t *
grep_of(const char *pattern, const char *path)
{
	return use("Grep", json_pack("{s:s,s:s,s:s}", "pattern", pattern,
				     "path", path, "output_mode", "content"));
}

static const char make_tree[] =
	"mkdir -p src && for i in $(seq 1 40); do echo \"needle-$i\" > "
	"src/f$i.txt; done && echo version-one > a.txt && echo made";

/* Forks until the kernel refuses; the children wait on a pipe. */
static const char fork_until_refused[] =
	"python3 -c 'import os\n"
	"r, w = os.pipe()\n"
	"n = 0\n"
	"try:\n"
	"    while n < 400:\n"
	"        if os.fork() == 0:\n"
	"            os.close(w); os.read(r, 1); os._exit(0)\n"
	"        n += 1\n"
	"except OSError:\n"
	"    pass\n"
	"os.close(w)\n"
	"print(\"forked\", n)'";

/*
 * The turns: 0 makes the tree; 1 mixes reads with a Write, an Edit and
 * Bash on the same file; 2 is four Greps (three workers are READY by
 * then); 3 forks until refused; 4 ends.
 */
static json_t *
scenario(void)
{
	json_t *t1 = json_pack(
		"[o,o,o,o,o,o,o,o,o]", read_of("a.txt"),
		grep_of("version-", "a.txt"),
		use("Glob", json_pack("{s:s}", "pattern", "src/f1*.txt")),
		use("Write", json_pack("{s:s,s:s}", "file_path", "a.txt",
				       "content", "version-two\n")),
		read_of("a.txt"), grep_of("needle-7$", "src"),
		use("Edit",
		    json_pack("{s:s,s:s,s:s}", "file_path", "a.txt",
			      "old_string", "two", "new_string", "three")),
		read_of("a.txt"),
		use("Bash", json_pack("{s:s}", "command",
				      "cat a.txt; echo bash-done")));
	json_t *t2 = json_pack("[o,o,o,o]", grep_of("needle-1$", "src"),
			       grep_of("needle-2$", "src"),
			       grep_of("needle-3$", "src"),
			       grep_of("needle-4$", "src"));

	return json_pack("{s:s,s:[{s:s,s:s,s:[{s:[o]},{s:o},{s:o},{s:[o]},"
			 "{s:[{s:s,s:s}]}]}]}",
			 "description", "test_parallel", "conversations",
			 "name", "amelia", "match", "Amelia", "turns",
			 "content",
			 use("Bash", json_pack("{s:s}", "command", make_tree)),
			 "content", t1, "content", t2, "content",
			 use("Bash",
			     json_pack("{s:s}", "command", fork_until_refused)),
			 "content", "type", "text", "text", "done");
}

static void
start(struct hb *t)
{
	json_t *sc = scenario();
	char path[600];

	memset(t, 0, sizeof(*t));
	h_tmpdir(t->dir, sizeof(t->dir));
	h_keyfile(t->dir, H_TEST_KEY, t->key, sizeof(t->key));
	snprintf(t->root, sizeof(t->root), "%s/sandbox", t->dir);
	snprintf(path, sizeof(path), "%s/scenario.json", t->dir);
	cr_assert_eq(json_dump_file(sc, path, JSON_INDENT(1)), 0);
	json_decref(sc);
	h_fake_start(&t->fake, path, t->key, t->dir);
	snprintf(t->base, sizeof(t->base),
		 "ANTHROPIC_BASE_URL=http://127.0.0.1:%d", t->fake.port);
}

/* The request of turn n that the fake recorded (borrowed from recs). */
static const json_t *
request(const json_t *recs, long n)
{
	const json_t *r;
	size_t i;

	json_array_foreach(recs, i, r) {
		if (json_integer_value(json_object_get(r, "turn")) == n &&
		    json_integer_value(json_object_get(r, "status")) == 200)
			return json_object_get(r, "body");
	}
	cr_assert_fail("no request for turn %ld", n);
	return NULL;
}

/* Message i from the end of a request body. */
static const json_t *
msg_from_end(const json_t *body, size_t i)
{
	const json_t *m = json_object_get(body, "messages");

	return json_object_get(json_array_get(m, json_array_size(m) - 1 - i),
			       "content");
}

static const char *
field(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/* The tool results of turn n's calls (in the request of turn n + 1)
 * against the tool_use ids of turn n's message: same ids, same order. */
static const json_t *
results_of(const json_t *recs, long n, size_t want)
{
	const json_t *body = request(recs, n + 1);
	const json_t *res = msg_from_end(body, 0),
		     *uses = msg_from_end(body, 1);
	size_t k = 0, i;
	json_t *b;

	cr_assert_eq(json_array_size(res), want);
	json_array_foreach(uses, i, b) {
		if (strcmp(field(b, "type"), "tool_use") != 0)
			continue;
		cr_assert_str_eq(field(json_array_get(res, k), "tool_use_id"),
				 field(b, "id"), "result %zu", k);
		k++;
	}
	cr_assert_eq(k, want);
	return res;
}

static const char *
text_of(const json_t *res, size_t i)
{
	const json_t *r = json_array_get(res, i);

	cr_assert(!json_is_true(json_object_get(r, "is_error")), "%zu: %s", i,
		  field(r, "content"));
	return field(r, "content");
}

static void
assert_turn1(const json_t *res)
{
	/* before the Write */
	cr_expect(strstr(text_of(res, 0), "version-one"));
	cr_expect(strstr(text_of(res, 1), "version-one"));
	cr_expect(strstr(text_of(res, 2), "src/f1"), "%s", text_of(res, 2));
	/* after the Write, before the Edit */
	cr_expect(strstr(text_of(res, 4), "version-two"), "%s",
		  text_of(res, 4));
	cr_expect(strstr(text_of(res, 5), "needle-7"), "%s", text_of(res, 5));
	cr_expect_not(strstr(text_of(res, 5), "needle-17"));
	/* after the Edit */
	cr_expect(strstr(text_of(res, 7), "version-three"), "%s",
		  text_of(res, 7));
	cr_expect(strstr(text_of(res, 8), "version-three\nbash-done"), "%s",
		  text_of(res, 8));
}

/* The audit log's call records (not READY) and the READY records. */
static void
audit_split(const char *path, json_t *calls, json_t *readies)
{
	json_t *recs = h_jsonl(path), *r;
	size_t i;

	cr_assert_not_null(recs, "%s", path);
	json_array_foreach(recs, i, r) {
		if (strcmp(field(r, "tool"), "session") == 0)
			json_array_append(readies, r);
		else
			json_array_append(calls, r);
	}
	json_decref(recs);
}

/* The READY record of the worker with host pid pid, or NULL. */
static const json_t *
ready_of(const json_t *readies, json_int_t pid)
{
	const json_t *r;
	size_t i;

	json_array_foreach(readies, i, r) {
		if (json_integer_value(json_object_get(r, "worker")) == pid)
			return r;
	}
	return NULL;
}

/* Every call in the order of the messages, each run by a worker whose
 * READY is recorded with the primary's layers; turn 2's first three
 * calls at three distinct workers. */
static void
assert_audit(const json_t *recs, const char *path)
{
	json_t *calls = json_array(), *readies = json_array();
	json_int_t layers;
	size_t k = 0;

	audit_split(path, calls, readies);
	cr_assert_geq(json_array_size(readies), 3);
	layers = json_integer_value(
		json_object_get(json_array_get(readies, 0), "layers"));
	for (long n = 0; n < 4; n++) {
		const json_t *uses = msg_from_end(request(recs, n + 1), 1), *b;
		size_t i;

		json_array_foreach(uses, i, b) {
			const json_t *c = json_array_get(calls, k++);
			const json_t *rd = ready_of(
				readies, json_integer_value(
						 json_object_get(c, "worker")));

			cr_assert_str_eq(field(c, "tool_use_id"),
					 field(b, "id"));
			cr_assert_not_null(rd, "call %zu: no READY", k);
			cr_expect_eq(json_integer_value(
					     json_object_get(rd, "layers")),
				     layers);
		}
	}
	cr_assert_eq(json_array_size(calls), k);
	/* turn 2 (calls 10-13): the first three at distinct workers */
	for (size_t i = 10; i < 13; i++) {
		for (size_t j = i + 1; j < 13; j++)
			cr_expect_neq(
				json_integer_value(json_object_get(
					json_array_get(calls, i), "worker")),
				json_integer_value(json_object_get(
					json_array_get(calls, j), "worker")));
	}
	json_decref(calls);
	json_decref(readies);
}

/* in_flight of the tool_call events of turn 2: 1, 2, 3 for the calls
 * sent in one go to the three READY workers. */
static void
assert_in_flight(const char *events)
{
	json_t *evs = h_jsonl(events), *e;
	json_int_t seen[16];
	size_t n = 0, i;

	cr_assert_not_null(evs);
	json_array_foreach(evs, i, e) {
		if (strcmp(field(e, "event"), "tool_call") == 0 && n < 16)
			seen[n++] = json_integer_value(json_object_get(
				json_object_get(e, "fields") ?
					json_object_get(e, "fields") :
					e,
				"in_flight"));
	}
	json_decref(evs);
	cr_assert_eq(n, 15, "15 tool_call events");
	for (size_t k = 0; k < 3; k++)
		cr_expect_eq(seen[10 + k], (json_int_t)k + 1, "call %zu",
			     10 + k);
}

Test(parallel, reads_run_at_once_in_order_within_the_caps, .timeout = 120)
{
	struct hb t;
	char cfg[600], run_dir[700], events[800];
	const char *args[] = { cfg, NULL };
	const char *argv[] = { getenv("GAO_DEV"), "audit", "verify", run_dir,
			       NULL };
	json_t *r, *recs;
	const char *forked;
	char *out;
	int st;

	start(&t);
	h_src("tests/integration/configs/plain.yaml", cfg, sizeof(cfg));
	hb_run(&t, args, 100);
	cr_assert_eq(t.out.code, 0, "exit %d:\n%s", t.out.code, t.out.err);
	r = hb_results(&t);
	hb_assert_fake_ok(&t, 5);
	recs = h_jsonl(t.fake.record);
	assert_turn1(results_of(recs, 1, 9));
	results_of(recs, 2, 4);
	for (size_t i = 0; i < 4; i++) {
		char want[16];

		snprintf(want, sizeof(want), "needle-%zu", i + 1);
		cr_expect(strstr(text_of(results_of(recs, 2, 4), i), want));
	}
	forked = strstr(text_of(results_of(recs, 3, 1), 0), "forked ");
	cr_assert_not_null(forked);
	cr_expect_lt(atoi(forked + 7), 256, "the process cap holds: %s",
		     forked);
	cr_expect_gt(atoi(forked + 7), 0, "%s", forked);
	cr_log_info("with the pool alive, the Bash call forked %d processes",
		    atoi(forked + 7));
	assert_audit(recs, hb_str(hb_phase(r, 0), "audit_log"));
	snprintf(run_dir, sizeof(run_dir), "%s", hb_str(r, "run_dir"));
	snprintf(events, sizeof(events), "%s/events.jsonl", run_dir);
	assert_in_flight(events);
	out = hb_capture(argv, &st);
	cr_expect_eq(st, 0, "audit verify:\n%s", out);
	free(out);
	json_decref(recs);
	json_decref(r);
	hb_finish(&t);
}

#if GAO_DEV_TEST_SWITCHES /* --test-no-namespaces */
/* In order, at one worker: one READY, in_flight 1 for every call. */
Test(parallel, no_pool_as_root_without_a_pid_namespace, .timeout = 120)
{
	struct hb t;
	char cfg[600], events[800];
	const char *args[] = { cfg, "--test-no-namespaces", NULL };
	json_t *r, *recs, *calls = json_array(), *readies = json_array(), *e;
	json_t *evs;
	size_t i;

	if (geteuid() != 0)
		cr_skip_test("as root only: an ordinary user's workers are "
			     "not swept by uid");
	start(&t);
	/* without namespaces the run's uid must pass through the test's dir */
	cr_assert_eq(chmod(t.dir, 0711), 0);
	h_src("tests/integration/configs/plain.yaml", cfg, sizeof(cfg));
	hb_run(&t, args, 100);
	cr_assert_eq(t.out.code, 0, "exit %d:\n%s", t.out.code, t.out.err);
	r = hb_results(&t);
	recs = h_jsonl(t.fake.record);
	assert_turn1(results_of(recs, 1, 9));
	audit_split(hb_str(hb_phase(r, 0), "audit_log"), calls, readies);
	cr_expect_eq(json_array_size(readies), 1, "one worker");
	cr_expect_eq(json_array_size(calls), 15);
	snprintf(events, sizeof(events), "%s/events.jsonl",
		 hb_str(r, "run_dir"));
	evs = h_jsonl(events);
	cr_assert_not_null(evs);
	json_array_foreach(evs, i, e) {
		if (strcmp(field(e, "event"), "tool_call") == 0)
			cr_expect_eq(json_integer_value(
					     json_object_get(e, "in_flight")),
				     1, "%s", field(e, "tool_use_id"));
	}
	json_decref(evs);
	json_decref(calls);
	json_decref(readies);
	json_decref(recs);
	json_decref(r);
	hb_finish(&t);
}
#endif
