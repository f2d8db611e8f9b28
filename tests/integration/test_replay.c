/*
 * test_replay.c - `sandbox run --record DIR` and `--replay DIR`, through
 * the real gao-dev against the fake API.
 *
 * Design note
 * -----------
 * A recording is made against the live fake, the fake is stopped (its
 * port refuses connections), and the same invocation is replayed with no
 * key at all (no key file, no ANTHROPIC_API_KEY). A unit of the replay is
 * paired with the unit of the recording by the request ids its events
 * carry: the recorded responses' request-id headers, found in the
 * recording's unit directory (so the pairing also proves each run was
 * answered from its own unit's conversations).
 *
 * Covered:
 * - reproduction: two configs, three phases, two agents, --repeat 2
 *   --jobs 3: per unit the same status, exit code, stop reason, phases,
 *   criteria, metrics (tokens and cost included), the same tool calls in
 *   the same order with the same inputs (the audit logs), the same
 *   project files; the "recording" object of every results file, its
 *   differences equal to the replay_difference events (the scenario's
 *   Bash prints the clock, so there is at least one), the summary lines;
 * - retries: a 529 then a cut stream replay to the same retries, and a
 *   run that ended in retries exhausted replays to exit 4 and the same
 *   stop reason, without waiting the recorded delays; the same malformed
 *   answer twice (bad_response, two attempts) replays to the same end;
 * - an answer holding "\u0000" (text and a tool input the tool refuses)
 *   records and replays to the same run, without a difference;
 *
 * The refusals (fail closed, bad recordings, misuse, the key) are in
 * test_replay_refuse.c; the shared helpers in harness_replay.c.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness_replay.h"

/* ---- running ------------------------------------------------------- */

static size_t
count(const char *text, const char *needle)
{
	size_t n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void
abs_path(const char *p, char *buf)
{
	cr_assert_not_null(realpath(p, buf), "%s: %s", p, strerror(errno));
}

/* ---- reading a recording --------------------------------------------- */

/* Every call line of the recording in dir (each gets "_file"). */
static json_t *
rec_lines(const char *dir)
{
	json_t *paths = json_array(), *all = json_array(), *p, *l;
	size_t i, k;

	hr_jsonl_files(dir, paths);
	json_array_foreach(paths, i, p) {
		json_t *lines = h_jsonl(json_string_value(p));

		json_array_foreach(lines, k, l)
			json_object_set(l, "_file", p);
		json_array_extend(all, lines);
		json_decref(lines);
	}
	json_decref(paths);
	return all;
}

/* "name#repeat" of a recorded line or a results file's unit. */
static void
unit_name(char *buf, size_t cap, const char *name, long long repeat)
{
	snprintf(buf, cap, "%s#%lld", name, repeat);
}

/* request id -> "unit#repeat", from the recorded response headers. */
static json_t *
request_ids(const json_t *lines)
{
	json_t *map = json_object(), *l, *a, *h;
	size_t i, j, k;

	json_array_foreach(lines, i, l) {
		char unit[256];

		unit_name(unit, sizeof(unit), hb_str(l, "unit"),
			  hb_int(l, "repeat"));
		json_array_foreach(json_object_get(l, "attempts"), j, a)
			json_array_foreach(json_object_get(a, "headers"), k,
					   h) {
				const char *s = json_string_value(h);

				if (s && !strncasecmp(s, "request-id: ", 12))
					json_object_set_new(map, s + 12,
							    json_string(unit));
			}
	}
	return map;
}

static json_t *
events_of(const json_t *r)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/events.jsonl", hb_str(r, "run_dir"));
	return h_jsonl(path);
}

/* Milliseconds from the run's first api_call_started to its last
 * api_call_completed (events' own clock). */
static long long
call_span_ms(const json_t *r)
{
	json_t *ev = events_of(r), *e;
	long long first = -1, last = -1;
	size_t i;

	json_array_foreach(ev, i, e) {
		if (first < 0 &&
		    !strcmp(hb_str(e, "event"), "api_call_started"))
			first = h_ts_ms(e);
		if (!strcmp(hb_str(e, "event"), "api_call_completed"))
			last = h_ts_ms(e);
	}
	json_decref(ev);
	cr_assert(first >= 0 && last >= first, "%s: no whole API call",
		  hb_str(r, "run_id"));
	return last - first;
}

static size_t
count_events(const json_t *r, const char *name)
{
	json_t *ev = events_of(r), *e;
	size_t i, n = 0;

	json_array_foreach(ev, i, e)
		n += !strcmp(hb_str(e, "event"), name);
	json_decref(ev);
	return n;
}

/*
 * The unit a results file ran: every request id of its events belongs to
 * one unit directory of the recording, that of its benchmark.
 */
static void
unit_of(const json_t *r, const json_t *ids, char *buf, size_t cap)
{
	json_t *ev = events_of(r), *e;
	size_t i, seen = 0;

	buf[0] = 0;
	json_array_foreach(ev, i, e) {
		const char *id = hb_str(e, "request_id");
		const char *u;

		if (!id[0] || !strcmp(id, "none"))
			continue;
		u = json_string_value(json_object_get(ids, id));
		cr_assert_not_null(u, "%s: request %s is not in the recording",
				   hb_str(r, "run_id"), id);
		if (!buf[0])
			snprintf(buf, cap, "%s", u);
		cr_assert_str_eq(u, buf, "%s: requests of two units",
				 hb_str(r, "run_id"));
		seen++;
	}
	json_decref(ev);
	cr_assert_gt(seen, 0, "%s: no request id", hb_str(r, "run_id"));
	cr_assert_eq(strncmp(buf,
			     hb_str(json_object_get(r, "benchmark"), "name"),
			     strlen(hb_str(json_object_get(r, "benchmark"),
					   "name"))),
		     0, "%s answered from %s", hb_str(r, "run_id"), buf);
}

/* results files by unit ("name#repeat" -> results). */
static json_t *
by_unit(const json_t *all, const json_t *ids)
{
	json_t *m = json_object(), *r;
	size_t i;

	json_array_foreach(all, i, r) {
		char u[256];

		unit_of(r, ids, u, sizeof(u));
		cr_assert_null(json_object_get(m, u), "two runs of unit %s", u);
		json_object_set(m, u, r);
	}
	return m;
}

/* ---- what a run did ------------------------------------------------- */

/* Per phase, its tool calls in order: {tool, tool_use_id, input, outcome}. */
static json_t *
tool_calls(const json_t *r)
{
	json_t *out = json_array(), *p;
	size_t i, k;

	json_array_foreach(json_object_get(r, "phases"), i, p) {
		json_t *calls = json_array(), *log, *e;

		log = h_jsonl(hb_str(p, "audit_log"));
		json_array_foreach(log, k, e) {
			if (!strcmp(hb_str(e, "tool"), "session"))
				continue;
			json_array_append_new(
				calls,
				json_pack("{s:s,s:s,s:O,s:s}", "tool",
					  hb_str(e, "tool"), "tool_use_id",
					  hb_str(e, "tool_use_id"), "input",
					  json_object_get(e, "input"),
					  "outcome", hb_str(e, "outcome")));
		}
		json_decref(log);
		json_array_append_new(out, calls);
	}
	return out;
}

/* The project's files below dir (relative path -> content), without
 * .git and caches. */
static void
tree_files(const char *root, const char *rel, json_t *out)
{
	char dir[PATH_MAX];
	struct dirent *e;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s%s%s", root, rel[0] ? "/" : "", rel);
	d = opendir(dir);
	cr_assert_not_null(d, "%s: %s", dir, strerror(errno));
	while ((e = readdir(d))) {
		char p[2 * PATH_MAX], r[PATH_MAX];
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    !strcmp(e->d_name, ".git") ||
		    !strcmp(e->d_name, "__pycache__") ||
		    !strcmp(e->d_name, ".pytest_cache"))
			continue;
		snprintf(r, sizeof(r), "%s%s%s", rel, rel[0] ? "/" : "",
			 e->d_name);
		snprintf(p, sizeof(p), "%s/%s", root, r);
		cr_assert_eq(lstat(p, &st), 0);
		if (S_ISDIR(st.st_mode)) {
			tree_files(root, r, out);
		} else {
			size_t len = 0;
			char *c = h_slurp(p, &len);

			cr_assert_not_null(c, "%s", p);
			json_object_set_new(out, r, json_stringn(c, len));
			free(c);
		}
	}
	closedir(d);
}

static json_t *
project_files(const json_t *r)
{
	json_t *f = json_object();

	tree_files(hb_str(r, "project_dir"), "", f);
	return f;
}

static void
assert_same_json(const json_t *a, const json_t *b, const char *unit,
		 const char *what)
{
	char *x = json_dumps(a, JSON_SORT_KEYS | JSON_COMPACT);
	char *y = json_dumps(b, JSON_SORT_KEYS | JSON_COMPACT);

	cr_assert((!a && !b) || json_equal(a, b),
		  "%s: %s recorded %.600s, replayed %.600s", unit, what, x, y);
	free(x);
	free(y);
}

/* What a phase record must repeat (not its times, uid or paths). */
static void
assert_same_phase(const json_t *a, const json_t *b, const char *unit)
{
	static const char *const keys[] = {
		"name",   "agent",     "status",     "stop_reason",
		"turns",  "api_calls", "tool_calls", "tool_errors",
		"tokens", "cost_usd",  "final_text", "tools_by_name",
		"model",  "error",     "policy",
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++)
		assert_same_json(json_object_get(a, keys[i]),
				 json_object_get(b, keys[i]), unit, keys[i]);
}

/* A replayed unit b against its recorded run a. */
static void
assert_same_unit(const json_t *a, const json_t *b, const char *unit)
{
	static const char *const keys[] = { "status", "exit_code",
					    "stop_reason", "success_criteria",
					    "metrics" };
	json_t *ta = tool_calls(a), *tb = tool_calls(b);
	json_t *fa = project_files(a), *fb = project_files(b);
	size_t i, n = json_array_size(json_object_get(a, "phases"));

	for (i = 0; i < sizeof(keys) / sizeof(*keys); i++)
		assert_same_json(json_object_get(a, keys[i]),
				 json_object_get(b, keys[i]), unit, keys[i]);
	cr_assert_eq(json_array_size(json_object_get(b, "phases")), n);
	for (i = 0; i < n; i++)
		assert_same_phase(hb_phase(a, i), hb_phase(b, i), unit);
	assert_same_json(ta, tb, unit, "tool calls");
	assert_same_json(fa, fb, unit, "project files");
	cr_assert_gt(json_object_size(fa), 0, "%s: no project file", unit);
	for (i = 0; i < n; i++)
		cr_assert_gt(json_array_size(json_array_get(ta, i)), 0,
			     "%s: phase %zu made no tool call", unit, i);
	json_decref(ta);
	json_decref(tb);
	json_decref(fa);
	json_decref(fb);
}

static void
assert_recording(const json_t *r, const char *mode, const char *dir)
{
	const json_t *rec = json_object_get(r, "recording");

	cr_assert(json_is_object(rec), "%s: no \"recording\"",
		  hb_str(r, "run_id"));
	cr_assert_str_eq(hb_str(rec, "mode"), mode);
	cr_assert_str_eq(hb_str(rec, "dir"), dir);
	cr_assert_eq(hb_int(rec, "differences"),
		     (long long)count_events(r, "replay_difference"),
		     "%s: differences %lld, replay_difference events %zu",
		     hb_str(r, "run_id"), hb_int(rec, "differences"),
		     count_events(r, "replay_difference"));
}

/* ---- 1. reproduction ------------------------------------------------ */

Test(replay, reproduces_two_configs_phases_repeat_jobs)
{
	struct hb t;
	char cfg[512], rec[600], rec_abs[PATH_MAX], root2[600],
		line[PATH_MAX + 200];
	const char *rargs[] = { "alpha.yaml", "beta.yaml", "--repeat",
				"2",          "--jobs",    "3",
				"--record",   NULL,        NULL };
	const char *pargs[] = { "alpha.yaml", "beta.yaml", "--repeat",
				"2",          "--jobs",    "3",
				"--replay",   NULL,        NULL };
	json_t *lines, *ids, *recs, *reps, *ur, *up, *a;
	const char *u;
	size_t n_calls, i;
	long long diffs = 0;
	int port, code;

	hb_start(&t, SCEN);
	port = t.fake.port;
	hb_write(&t, "alpha.yaml", ALPHA, cfg, sizeof(cfg));
	hb_write(&t, "beta.yaml", BETA, cfg, sizeof(cfg));
	snprintf(rec, sizeof(rec), "%s/rec", t.dir);
	rargs[7] = rec;
	pargs[7] = rec;
	hb_run(&t, rargs, 240);
	code = t.out.code;
	cr_assert_eq(code, 1, "record: exit %d: %s", code, t.out.err);
	cr_assert_not_null(strstr(t.out.out, "2 of 4 runs passed"), "%s",
			   t.out.out);
	abs_path(rec, rec_abs);

	/* one line per call: 2 x (3 + 2) for alpha, 2 x 2 for beta */
	lines = rec_lines(rec);
	n_calls = json_array_size(lines);
	cr_assert_eq(n_calls, 14, "%zu calls recorded", n_calls);
	cr_assert_eq(hr_fake_posts(t.fake.record), n_calls);
	snprintf(line, sizeof(line), "recorded %zu API calls to %s\n", n_calls,
		 rec_abs);
	cr_assert_not_null(strstr(t.out.out, line), "no \"%s\" in:\n%s", line,
			   t.out.out);
	snprintf(line, sizeof(line), "api:       recorded to %s\n", rec_abs);
	cr_assert_eq(count(t.out.out, line), 4, "%s", t.out.out);
	recs = hb_all_results(&t);
	cr_assert_eq(json_array_size(recs), 4);
	json_array_foreach(recs, i, a)
		assert_recording(a, "recorded", rec_abs);
	cr_assert_not(h_tree_contains(rec, H_TEST_KEY), "the key is in %s",
		      rec);

	/* nothing to answer any more; no key at all */
	hr_stop_fake(&t);
	snprintf(root2, sizeof(root2), "%s/sandbox2", t.dir);
	hr_run_nokey(&t, root2, port, pargs);
	cr_assert_eq(t.out.code, code, "replay: exit %d, recorded %d: %s",
		     t.out.code, code, t.out.err);
	cr_assert_not_null(strstr(t.out.out, "2 of 4 runs passed"), "%s",
			   t.out.out);
	snprintf(t.root, sizeof(t.root), "%.400s", root2);
	reps = hb_all_results(&t);
	cr_assert_eq(json_array_size(reps), 4);

	ids = request_ids(lines);
	ur = by_unit(recs, ids);
	up = by_unit(reps, ids);
	cr_assert_eq(json_object_size(ur), 4);
	cr_assert_eq(json_object_size(up), 4);
	json_object_foreach(ur, u, a) {
		const json_t *b = json_object_get(up, u);
		long long d;

		cr_assert_not_null(b, "unit %s was not replayed", u);
		assert_same_unit(a, b, u);
		assert_recording(b, "replayed", rec_abs);
		d = hb_int(json_object_get(b, "recording"), "differences");
		/* Stamp Step's Bash prints the clock: never the same */
		if (!strncmp(u, "alpha#", 6))
			cr_assert_geq(d, 1, "%s: no difference", u);
		snprintf(line, sizeof(line),
			 "api:       replayed from %s (no network; %lld tool "
			 "results differed)\n",
			 rec_abs, d);
		cr_assert_not_null(strstr(t.out.out, line), "no \"%s\" in:\n%s",
				   line, t.out.out);
		diffs += d;
	}
	snprintf(line, sizeof(line),
		 "replayed %zu API calls from %s (no network, no key); %lld "
		 "tool results differed from the recording\n",
		 n_calls, rec_abs, diffs);
	cr_assert_not_null(strstr(t.out.out, line), "no \"%s\" in:\n%s", line,
			   t.out.out);
	cr_assert_null(strstr(t.out.out, "recorded to"));
	json_decref(ur);
	json_decref(up);
	json_decref(ids);
	json_decref(recs);
	json_decref(reps);
	json_decref(lines);
	hb_finish(&t);
}

/* ---- 2. retries ------------------------------------------------------ */

/* Record args with --record DIR/rec (the fake up), stop the fake, replay
 * the same args with --replay into DIR/sandbox2; both results returned. */
static void
record_then_replay(struct hb *t, const char *const *args, int want_code,
		   json_t **rec_r, json_t **rep_r, double *rec_s)
{
	const char *argv[20];
	char rec[600], root2[600];
	size_t n = 0;
	int port = t->fake.port;

	snprintf(rec, sizeof(rec), "%s/rec", t->dir);
	for (; args[n] && n < 16; n++)
		argv[n] = args[n];
	argv[n] = "--record";
	argv[n + 1] = rec;
	argv[n + 2] = NULL;
	hb_run(t, argv, 120);
	cr_assert_eq(t->out.code, want_code, "record: exit %d: %s", t->out.code,
		     t->out.err);
	*rec_s = t->seconds;
	*rec_r = hb_results(t);
	hr_stop_fake(t);
	argv[n] = "--replay";
	snprintf(root2, sizeof(root2), "%s/sandbox2", t->dir);
	hr_run_nokey(t, root2, port, argv);
	cr_assert_eq(t->out.code, want_code, "replay: exit %d: %s", t->out.code,
		     t->out.err);
	snprintf(t->root, sizeof(t->root), "%.400s", root2);
	*rep_r = hb_results(t);
}

Test(replay, retried_calls_replay_with_the_same_retries)
{
	struct hb t;
	char cfg[512], rec[600];
	const char *args[] = { "gamma.yaml", NULL };
	json_t *a, *b, *lines, *att;
	double s;

	hb_start(&t, RETRY);
	hb_write(&t, "gamma.yaml", GAMMA, cfg, sizeof(cfg));
	record_then_replay(&t, args, 0, &a, &b, &s);
	/* a 529, a cut stream, then the answer: one call, three attempts */
	snprintf(rec, sizeof(rec), "%s/rec", t.dir);
	lines = rec_lines(rec);
	cr_assert_eq(json_array_size(lines), 2);
	att = json_object_get(json_array_get(lines, 0), "attempts");
	cr_assert_eq(json_array_size(att), 3);
	cr_assert_eq(hb_int(json_array_get(att, 0), "status"), 529);
	cr_assert_neq(hb_int(json_array_get(att, 1), "transport"), 0,
		      "the cut stream has no transport error");
	cr_assert_eq(hb_int(json_array_get(att, 2), "status"), 200);
	cr_assert_eq(hb_int(json_array_get(att, 2), "transport"), 0);

	cr_assert_eq(hb_int(json_object_get(a, "metrics"), "retries"), 2);
	assert_same_unit(a, b, "gamma#0");
	hb_assert_run(&t, b, 0, "completed", "");
	cr_assert_eq(count_events(b, "api_call_retried"),
		     count_events(a, "api_call_retried"));
	cr_assert_eq(count_events(b, "api_call_retried"), 2);
	json_decref(lines);
	json_decref(a);
	json_decref(b);
	hb_finish(&t);
}

Test(replay, retries_exhausted_replays_without_the_waits)
{
	struct hb t;
	char cfg[512], rec[600];
	const char *args[] = { "gamma.yaml", "--max-retries",
			       "2",          "--retry-budget",
			       "10",         NULL };
	json_t *a, *b, *lines, *att, *x;
	long long waited = 0;
	double rec_s;
	size_t i;

	hb_start(&t, EXHAUSTED);
	hb_write(&t, "gamma.yaml", GAMMA, cfg, sizeof(cfg));
	record_then_replay(&t, args, 4, &a, &b, &rec_s);
	hb_assert_run(&t, a, 4, "error", "retries_exhausted");
	hb_assert_run(&t, b, 4, "error", "retries_exhausted");
	cr_assert_eq(hb_int(json_object_get(b, "metrics"), "retries"), 2);
	assert_same_json(json_object_get(a, "metrics"),
			 json_object_get(b, "metrics"), "gamma#0", "metrics");
	assert_same_json(json_object_get(hb_phase(a, 0), "status"),
			 json_object_get(hb_phase(b, 0), "status"), "gamma#0",
			 "phase status");
	/* the replay says why it gave up: the recording's attempts ran out */
	cr_assert_not_null(strstr(hb_str(hb_phase(b, 0), "error"),
				  "gave up after 3 attempts, as the "
				  "recording did"),
			   "%s", hb_str(hb_phase(b, 0), "error"));
	cr_assert_not_null(strstr(hb_str(hb_phase(b, 0), "error"),
				  "retries_exhausted, HTTP 529"));

	snprintf(rec, sizeof(rec), "%s/rec", t.dir);
	lines = rec_lines(rec);
	cr_assert_eq(json_array_size(lines), 1);
	cr_assert_str_eq(hb_str(json_array_get(lines, 0), "outcome"),
			 "retries_exhausted");
	att = json_object_get(json_array_get(lines, 0), "attempts");
	cr_assert_eq(json_array_size(att), 3);
	json_array_foreach(att, i, x) {
		cr_assert_eq(hb_int(x, "status"), 529);
		waited += hb_int(x, "delay_ms");
	}
	cr_assert_geq(waited, 4000, "recorded waits %lld ms", waited);
	cr_assert_geq(rec_s, 4.0);
	/* replayed, the recorded delays count as waited, not waited now:
	 * the call's own span, from its first attempt to its end (the
	 * setup around it is slow on a loaded machine, the span is not) */
	cr_assert_geq(call_span_ms(a), waited, "the recorded call took %lld ms",
		      call_span_ms(a));
	cr_assert_lt(call_span_ms(b), waited / 2,
		     "the replayed call took %lld ms (the recording waited "
		     "%lld ms)",
		     call_span_ms(b), waited);
	json_decref(lines);
	json_decref(a);
	json_decref(b);
	hb_finish(&t);
}

Test(replay, same_malformed_answer_replays_to_bad_response)
{
	struct hb t;
	char cfg[512], rec[600];
	const char *args[] = { "gamma.yaml", NULL };
	json_t *a, *b, *lines;
	double s;

	hb_start(&t, "tests/integration/scenarios/replay-bad.json");
	hb_write(&t, "gamma.yaml", GAMMA, cfg, sizeof(cfg));
	record_then_replay(&t, args, 4, &a, &b, &s);
	hb_assert_run(&t, a, 4, "error", "bad_response");
	hb_assert_run(&t, b, 4, "error", "bad_response");
	assert_same_json(json_object_get(a, "metrics"),
			 json_object_get(b, "metrics"), "gamma#0", "metrics");
	cr_assert_eq(hb_int(json_object_get(b, "metrics"), "retries"), 1);
	cr_assert_eq(count_events(a, "api_call_retried"), 1);
	cr_assert_eq(count_events(b, "api_call_retried"), 1);
	cr_assert_not_null(strstr(hb_str(hb_phase(b, 0), "error"),
				  "same malformed answer"),
			   "%s", hb_str(hb_phase(b, 0), "error"));
	snprintf(rec, sizeof(rec), "%s/rec", t.dir);
	lines = rec_lines(rec);
	cr_assert_eq(json_array_size(lines), 1);
	cr_assert_str_eq(hb_str(json_array_get(lines, 0), "outcome"),
			 "bad_response");
	cr_assert_eq(json_array_size(json_object_get(json_array_get(lines, 0),
						     "attempts")),
		     2);
	json_decref(lines);
	json_decref(a);
	json_decref(b);
	hb_finish(&t);
}

Test(replay, nul_characters_record_and_replay)
{
	struct hb t;
	char cfg[512];
	const char *args[] = { "gamma.yaml", NULL };
	json_t *a, *b;
	double s;

	hb_start(&t, "tests/integration/scenarios/api-nul.json");
	hb_write(&t, "gamma.yaml", GAMMA, cfg, sizeof(cfg));
	record_then_replay(&t, args, 0, &a, &b, &s);
	hb_assert_run(&t, b, 0, "completed", "");
	assert_same_unit(a, b, "gamma#0");
	cr_assert_eq(count_events(b, "replay_difference"), 0);
	cr_assert_eq(count_events(b, "api_call_retried"), 0);
	json_decref(a);
	json_decref(b);
	hb_finish(&t);
}
