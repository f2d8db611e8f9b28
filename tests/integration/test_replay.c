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
 *   stop reason, without waiting the recorded delays;
 * - fail closed: another initial_prompt, --model, phase, agent or a
 *   repeat the recording lacks: exit 4, replay_mismatch, the error names
 *   unit, repeat, phase, agent, turn and what differs, while a live fake
 *   behind ANTHROPIC_BASE_URL receives nothing;
 * - bad recordings: manifests (missing directory or file, a file for a
 *   directory, another format, not JSON, not an object, a symlink): exit
 *   2 naming --replay and the path; conversation lines (cut, not JSON,
 *   fields of the wrong type, wrong turn or unit, a header the format
 *   never keeps, a bad body): exit 4 naming FILE:LINE and the field;
 *   --record into a non-empty directory, a file or a symlink, --record
 *   with --replay, two configs with one benchmark name: exit 2, nothing
 *   written, nothing sent;
 * - the key (a sk-ant shaped one) is in no file of the recording, the
 *   results or the logs, and no request header is recorded.
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

#include "harness_bench.h"

#define SCEN "tests/integration/scenarios/replay.json"
#define RETRY "tests/integration/scenarios/retry.json"
#define EXHAUSTED "tests/integration/scenarios/replay-exhausted.json"

#define ALPHA \
	"name: alpha\ndescription: two phases, two agents\n" \
	"initial_prompt: do it\nworkflow_phases:\n" \
	"  - phase_name: Stamp Step\n    agent: Amelia\n" \
	"  - phase_name: Test Step\n    agent: Murat\n" \
	"success_criteria:\n  quality_gates:\n" \
	"    tests_passing: true\n"
#define BETA \
	"name: beta\ndescription: the project's tests fail\n" \
	"initial_prompt: do it\nworkflow_phases:\n" \
	"  - phase_name: Broken Step\n    agent: Amelia\n" \
	"success_criteria:\n  quality_gates:\n" \
	"    tests_passing: true\n"
#define GAMMA \
	"name: gamma\ndescription: one call, retried\n" \
	"initial_prompt: do it\nworkflow_phases:\n" \
	"  - phase_name: Only Step\n    agent: Amelia\n"

/* ---- running ------------------------------------------------------- */

/*
 * `gao-dev sandbox run ARGS... --standalone --sandbox-root ROOT` in
 * t->dir with no key anywhere (h_run never passes ANTHROPIC_API_KEY) and
 * ANTHROPIC_BASE_URL at port; the output into t->out.
 */
static void
run_nokey(struct hb *t, const char *root, int port, const char *const *args)
{
	const char *argv[40] = { "sandbox", "run" };
	char base[64];
	const char *env[] = { base, NULL };
	size_t n = 2;

	snprintf(base, sizeof(base), "ANTHROPIC_BASE_URL=http://127.0.0.1:%d",
		 port);
	for (size_t i = 0; args[i] && n < 34; i++)
		argv[n++] = args[i];
	argv[n++] = "--standalone";
	argv[n++] = "--sandbox-root";
	argv[n++] = root;
	argv[n] = NULL;
	h_out_free(&t->out);
	t->seconds = h_now_s();
	h_run(argv, env, t->dir, 180, &t->out);
	t->seconds = h_now_s() - t->seconds;
	cr_assert(t->out.out && t->out.err);
}

/* Whether something accepts connections on 127.0.0.1:port. */
static bool
port_open(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool open;

	cr_assert_geq(fd, 0);
	open = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return open;
}

/* Stop t's fake and make sure nothing answers on its port any more. */
static void
stop_fake(struct hb *t)
{
	int port = t->fake.port;

	h_fake_stop(&t->fake);
	cr_assert_not(port_open(port), "the fake still listens on %d", port);
}

/* The POST /v1/messages requests the fake at record got. */
static size_t
fake_posts(const char *record)
{
	json_t *all = h_jsonl(record), *e;
	size_t i, n = 0;

	json_array_foreach(all, i, e)
		n += !strcmp(hb_str(e, "path"), "/v1/messages");
	json_decref(all);
	return n;
}

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

/* Every .jsonl file below dir (recursive), sorted, into paths. */
static void
jsonl_files(const char *dir, json_t *paths)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	cr_assert_not_null(d, "%s: %s", dir, strerror(errno));
	while ((e = readdir(d))) {
		char p[PATH_MAX];
		struct stat st;
		size_t len = strlen(e->d_name);

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		cr_assert_eq(lstat(p, &st), 0);
		if (S_ISDIR(st.st_mode))
			jsonl_files(p, paths);
		else if (len > 6 && !strcmp(e->d_name + len - 6, ".jsonl"))
			json_array_append_new(paths, json_string(p));
	}
	closedir(d);
}

/* Every call line of the recording in dir (each gets "_file"). */
static json_t *
rec_lines(const char *dir)
{
	json_t *paths = json_array(), *all = json_array(), *p, *l;
	size_t i, k;

	jsonl_files(dir, paths);
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
	cr_assert_eq(fake_posts(t.fake.record), n_calls);
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
	stop_fake(&t);
	snprintf(root2, sizeof(root2), "%s/sandbox2", t.dir);
	run_nokey(&t, root2, port, pargs);
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
	stop_fake(t);
	argv[n] = "--replay";
	snprintf(root2, sizeof(root2), "%s/sandbox2", t->dir);
	run_nokey(t, root2, port, argv);
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
	/* replayed, the recorded delays count as waited, not waited now */
	/* (the phase: the whole invocation's setup is slow on a loaded
	 * machine, the phase only makes the call once its worker runs) */
	double ps = json_number_value(
		json_object_get(hb_phase(b, 0), "duration_seconds"));
	double pa = json_number_value(
		json_object_get(hb_phase(a, 0), "duration_seconds"));

	cr_assert_geq(pa, (double)waited / 1000.0, "recorded phase %.1f s", pa);
	cr_assert_lt(ps, (double)waited / 1000.0,
		     "the replayed phase took %.1f s (the recording waited "
		     "%lld ms)",
		     ps, waited);
	json_decref(lines);
	json_decref(a);
	json_decref(b);
	hb_finish(&t);
}

/* ---- 3. fail closed --------------------------------------------------- */

/* beta recorded into t->dir/rec; the fake stopped. */
static void
record_beta(struct hb *t, const char *scenario, const char *key)
{
	const char *args[] = { "beta.yaml", "--record", NULL, NULL };
	char cfg[512], rec[600];

	hb_start_key(t, scenario, key);
	hb_write(t, "beta.yaml", BETA, cfg, sizeof(cfg));
	snprintf(rec, sizeof(rec), "%s/rec", t->dir);
	args[2] = rec;
	hb_run(t, args, 120);
	cr_assert_eq(t->out.code, 1, "record: exit %d: %s", t->out.code,
		     t->out.err);
	stop_fake(t);
}

struct mismatch {
	const char *config; /* beta.yaml's text */
	const char *opt[4]; /* more options */
	const char *names;  /* the conversation named */
	const char *differs;
};

Test(replay, a_changed_request_fails_closed_and_sends_nothing)
{
	static const struct mismatch cases[] = {
		{ "name: beta\ndescription: x\ninitial_prompt: do it twice\n"
		  "workflow_phases:\n  - phase_name: Broken Step\n"
		  "    agent: Amelia\n",
		  { NULL },
		  "unit beta, repeat 0, phase 1 (Broken Step), agent Amelia, "
		  "turn 1",
		  "message 0 (user), block 0 (text) differs" },
		{ BETA,
		  { "--model", "claude-haiku-5-5", NULL },
		  "unit beta, repeat 0, phase 1 (Broken Step), agent Amelia, "
		  "turn 1",
		  "the request's \"model\" differs" },
		{ BETA,
		  { "--repeat", "2", NULL },
		  "unit beta, repeat 1, phase 1 (Broken Step), agent Amelia, "
		  "turn 1",
		  "the recording has no such conversation" },
		{ "name: beta\ndescription: x\ninitial_prompt: do it\n"
		  "workflow_phases:\n  - phase_name: Other Step\n"
		  "    agent: Amelia\n",
		  { NULL },
		  "unit beta, repeat 0, phase 1 (Other Step), agent Amelia, "
		  "turn 1",
		  "the recording has no such conversation" },
		{ "name: beta\ndescription: x\ninitial_prompt: do it\n"
		  "workflow_phases:\n  - phase_name: Broken Step\n"
		  "    agent: Murat\n",
		  { NULL },
		  "unit beta, repeat 0, phase 1 (Broken Step), agent Murat, "
		  "turn 1",
		  "the recording has no such conversation" },
	};
	struct hb t;
	struct h_fake live;
	char sc[512], ldir[600], rec[600], cfg[512];

	record_beta(&t, SCEN, H_TEST_KEY);
	snprintf(rec, sizeof(rec), "%s/rec", t.dir);
	/* a live fake behind ANTHROPIC_BASE_URL: it must hear nothing */
	snprintf(ldir, sizeof(ldir), "%s/live", t.dir);
	cr_assert_eq(mkdir(ldir, 0700), 0);
	h_src(SCEN, sc, sizeof(sc));
	h_fake_start(&live, sc, t.key, ldir);
	for (size_t c = 0; c < sizeof(cases) / sizeof(*cases); c++) {
		const char *args[12] = { "beta.yaml", "--replay", rec };
		char root[600];
		size_t n = 3;
		json_t *r;
		const char *err;

		hb_write(&t, "beta.yaml", cases[c].config, cfg, sizeof(cfg));
		for (size_t k = 0; cases[c].opt[k]; k++)
			args[n++] = cases[c].opt[k];
		args[n] = NULL;
		snprintf(root, sizeof(root), "%s/sb%zu", t.dir, c);
		run_nokey(&t, root, live.port, args);
		cr_assert_eq(t.out.code, 4, "case %zu: exit %d: %s", c,
			     t.out.code, t.out.err);
		snprintf(t.root, sizeof(t.root), "%.400s", root);
		if (cases[c].opt[0] && !strcmp(cases[c].opt[0], "--repeat")) {
			json_t *all = hb_all_results(&t), *x;
			size_t i;

			cr_assert_eq(json_array_size(all), 2);
			r = NULL;
			json_array_foreach(all, i, x)
				if (!strcmp(hb_str(x, "status"), "error"))
					r = json_incref(x);
			json_decref(all);
			cr_assert_not_null(r, "case %zu: no run failed", c);
		} else {
			r = hb_results(&t);
		}
		hb_assert_run(&t, r, 4, "error", "replay_mismatch");
		cr_assert_str_eq(hb_str(hb_phase(r, 0), "stop_reason"),
				 "replay_mismatch");
		err = json_string_value(
			json_array_get(json_object_get(r, "errors"), 0));
		cr_assert_not_null(err, "case %zu: no error", c);
		cr_assert_not_null(strstr(err, cases[c].names), "case %zu: %s",
				   c, err);
		cr_assert_not_null(strstr(err, cases[c].differs),
				   "case %zu: %s", c, err);
		cr_assert_not_null(strstr(t.out.out, cases[c].names),
				   "case %zu: %s", c, t.out.out);
		json_decref(r);
	}
	/* the fake was there all along and heard no request */
	cr_assert(port_open(live.port));
	char *heard = h_slurp(live.record, NULL);

	cr_assert(!heard || !heard[0], "the live fake got: %.400s", heard);
	free(heard);
	h_fake_stop(&live);
	hb_finish(&t);
}

/* ---- 4. bad recordings ------------------------------------------------ */

static void
write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	cr_assert_geq(fputs(text, f), 0);
	cr_assert_eq(fclose(f), 0);
}

static void
assert_nothing_ran(const struct hb *t, const char *root)
{
	char p[700];

	snprintf(p, sizeof(p), "%s/results", root);
	cr_assert_neq(access(p, F_OK), 0, "%s exists", p);
	cr_assert_eq(fake_posts(t->fake.record), 0);
}

Test(replay, bad_manifests_are_refused_with_exit_2)
{
	static const char *const manifests[] = {
		NULL, /* none */
		"{\"format\": 2, \"gao_dev_version\": \"0.1.0\"}\n",
		"{\"format\": \"1\"}\n",
		"{\"format\": 1.0}\n",
		"{\"format\": 1\n",
		"[1]\n",
		"",
		"{\"format\": 1, \"format\": 1}\n",
	};
	struct hb t;
	char cfg[512], dir[600], path[700], root[600];

	hb_start(&t, SCEN);
	hb_write(&t, "beta.yaml", BETA, cfg, sizeof(cfg));
	snprintf(root, sizeof(root), "%s/sb", t.dir);
	for (size_t i = 0; i < sizeof(manifests) / sizeof(*manifests) + 4;
	     i++) {
		const char *args[] = { "beta.yaml", "--replay", dir, NULL };

		snprintf(dir, sizeof(dir), "%s/rec%zu", t.dir, i);
		if (i < sizeof(manifests) / sizeof(*manifests)) {
			cr_assert_eq(mkdir(dir, 0700), 0);
			snprintf(path, sizeof(path), "%s/recording.json", dir);
			if (manifests[i])
				write_text(path, manifests[i]);
		} else if (i == sizeof(manifests) / sizeof(*manifests)) {
			/* a missing directory */
		} else if (i == sizeof(manifests) / sizeof(*manifests) + 1) {
			write_text(dir, "{\"format\": 1}\n"); /* a file */
		} else if (i == sizeof(manifests) / sizeof(*manifests) + 2) {
			/* a symlink to a good manifest (never followed) */
			char good[700];

			cr_assert_eq(mkdir(dir, 0700), 0);
			snprintf(good, sizeof(good), "%s/good.json", t.dir);
			write_text(good, "{\"format\": 1}\n");
			snprintf(path, sizeof(path), "%s/recording.json", dir);
			cr_assert_eq(symlink(good, path), 0);
		} else {
			/* a directory for recording.json */
			cr_assert_eq(mkdir(dir, 0700), 0);
			snprintf(path, sizeof(path), "%s/recording.json", dir);
			cr_assert_eq(mkdir(path, 0700), 0);
		}
		run_nokey(&t, root, t.fake.port, args);
		cr_assert_eq(t.out.code, 2, "case %zu: exit %d: %s", i,
			     t.out.code, t.out.err);
		cr_assert_not_null(strstr(t.out.err, "--replay "),
				   "case %zu: %s", i, t.out.err);
		cr_assert_not_null(strstr(t.out.err, dir), "case %zu: %s", i,
				   t.out.err);
		assert_nothing_ran(&t, root);
	}
	hb_finish(&t);
}

/* The recording's only conversation file (beta has one phase). */
static void
only_conversation(const char *rec, char *buf, size_t cap)
{
	json_t *paths = json_array();

	jsonl_files(rec, paths);
	cr_assert_eq(json_array_size(paths), 1);
	snprintf(buf, cap, "%s", json_string_value(json_array_get(paths, 0)));
	json_decref(paths);
}

/* The lines of a file (each with its newline), as strings. */
static json_t *
raw_lines(const char *path)
{
	json_t *out = json_array();
	char *c = h_slurp(path, NULL), *p, *nl;

	cr_assert_not_null(c, "%s", path);
	for (p = c; (nl = strchr(p, '\n')); p = nl + 1)
		json_array_append_new(out,
				      json_stringn(p, (size_t)(nl - p + 1)));
	free(c);
	return out;
}

enum edit {
	E_CUT_FIRST,
	E_CUT_SECOND,
	E_NOT_JSON,
	E_TURN_STRING,
	E_STATUS_STRING,
	E_TURN_WRONG,
	E_SWAPPED,
	E_UNIT_WRONG,
	E_HEADER_KEY,
	E_BODY_HEX_ODD,
	E_NO_ATTEMPTS,
	E_KEEP_TOO_BIG,
	N_EDITS,
};

/* The line edit makes wrong (1-based) and a word the error must have. */
static const struct {
	unsigned line;
	const char *says;
} edits[N_EDITS] = {
	[E_CUT_FIRST] = { 1, "no newline (cut)" },
	[E_CUT_SECOND] = { 2, "no newline (cut)" },
	[E_NOT_JSON] = { 1, "not a JSON object" },
	[E_TURN_STRING] = { 1, "\"turn\"" },
	[E_STATUS_STRING] = { 1, "\"attempts\"[0].\"status\"" },
	[E_TURN_WRONG] = { 2, "\"turn\"" },
	[E_SWAPPED] = { 1, "\"turn\"" },
	[E_UNIT_WRONG] = { 1, "\"unit\"" },
	[E_HEADER_KEY] = { 1, "\"attempts\"[0].\"headers\"" },
	[E_BODY_HEX_ODD] = { 2, "\"attempts\"[0].\"body\"" },
	[E_NO_ATTEMPTS] = { 1, "\"attempts\"" },
	[E_KEEP_TOO_BIG] = { 2, "\"keep\"" },
};

static char *
dump_line(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS), *l;

	cr_assert_not_null(s);
	cr_assert_geq(asprintf(&l, "%s\n", s), 0);
	free(s);
	return l;
}

/* Write the two lines of file, changed by e. */
static void
apply_edit(const char *file, const json_t *lines, enum edit e)
{
	const char *l1 = json_string_value(json_array_get(lines, 0));
	const char *l2 = json_string_value(json_array_get(lines, 1));
	json_t *o1 = json_loads(l1, 0, NULL), *o2 = json_loads(l2, 0, NULL);
	json_t *a1 = json_array_get(json_object_get(o1, "attempts"), 0);
	json_t *a2 = json_array_get(json_object_get(o2, "attempts"), 0);
	char *s1 = NULL, *s2 = NULL, *text = NULL;

	cr_assert(o1 && o2 && a1 && a2);
	switch (e) {
	case E_CUT_FIRST:
		cr_assert_geq(asprintf(&text, "%.*s", (int)strlen(l1) / 2, l1),
			      0);
		break;
	case E_CUT_SECOND:
		cr_assert_geq(asprintf(&text, "%s%.*s", l1, (int)strlen(l2) / 2,
				       l2),
			      0);
		break;
	case E_NOT_JSON:
		cr_assert_geq(asprintf(&text, "garbage\n%s", l2), 0);
		break;
	case E_TURN_STRING:
		json_object_set_new(o1, "turn", json_string("1"));
		break;
	case E_STATUS_STRING:
		json_object_set_new(a1, "status", json_string("200"));
		break;
	case E_TURN_WRONG:
		json_object_set_new(o2, "turn", json_integer(5));
		break;
	case E_SWAPPED:
		cr_assert_geq(asprintf(&text, "%s%s", l2, l1), 0);
		break;
	case E_UNIT_WRONG:
		json_object_set_new(o1, "unit", json_string("alpha"));
		break;
	case E_HEADER_KEY:
		json_array_append_new(json_object_get(a1, "headers"),
				      json_string("x-api-key: sk-ant-x"));
		break;
	case E_BODY_HEX_ODD:
		json_object_del(a2, "body");
		json_object_set_new(a2, "body_hex", json_string("abc"));
		break;
	case E_NO_ATTEMPTS:
		json_object_set_new(o1, "attempts", json_array());
		break;
	case E_KEEP_TOO_BIG:
		json_object_set_new(json_object_get(o2, "request"), "keep",
				    json_integer(99));
		break;
	default:
		break;
	}
	if (!text) {
		s1 = dump_line(o1);
		s2 = dump_line(o2);
		cr_assert_geq(asprintf(&text, "%s%s", s1, s2), 0);
	}
	write_text(file, text);
	free(text);
	free(s1);
	free(s2);
	json_decref(o1);
	json_decref(o2);
}

Test(replay, corrupt_conversation_lines_fail_closed_naming_file_and_line)
{
	struct hb t;
	char rec[600], file[PATH_MAX], rel[PATH_MAX];
	json_t *lines;

	record_beta(&t, SCEN, H_TEST_KEY);
	snprintf(rec, sizeof(rec), "%s/rec", t.dir);
	only_conversation(rec, file, sizeof(file));
	snprintf(rel, sizeof(rel), "%s", file + strlen(rec));
	lines = raw_lines(file);
	cr_assert_eq(json_array_size(lines), 2);
	for (int e = 0; e < N_EDITS; e++) {
		char copy[700], cfile[PATH_MAX + 800], at[PATH_MAX + 816],
			root[700];
		const char *args[] = { "beta.yaml", "--replay", copy, NULL };
		int st;
		json_t *r;

		snprintf(copy, sizeof(copy), "%s/copy%d", t.dir, e);
		const char *cp[] = { "cp", "-a", rec, copy, NULL };
		free(hb_capture(cp, &st));
		cr_assert_eq(st, 0);
		snprintf(cfile, sizeof(cfile), "%s%s", copy, rel);
		apply_edit(cfile, lines, (enum edit)e);
		snprintf(root, sizeof(root), "%s/sb%d", t.dir, e);
		run_nokey(&t, root, t.fake.port, args);
		cr_assert_eq(t.out.code, 4, "edit %d: exit %d: %s", e,
			     t.out.code, t.out.err);
		snprintf(t.root, sizeof(t.root), "%.400s", root);
		r = hb_results(&t);
		hb_assert_run(&t, r, 4, "error", "replay_mismatch");
		snprintf(at, sizeof(at), "%s:%u: ", cfile, edits[e].line);
		const char *err = hb_str(hb_phase(r, 0), "error");

		cr_assert_not_null(strstr(err, at), "edit %d: no \"%s\" in %s",
				   e, at, err);
		cr_assert_not_null(strstr(err, edits[e].says),
				   "edit %d: no \"%s\" in %s", e, edits[e].says,
				   err);
		cr_assert_not_null(strstr(err, "unit beta, repeat 0, phase 1 "
					       "(Broken Step), agent Amelia"),
				   "edit %d: %s", e, err);
		/* a bad second line: the first call was answered */
		cr_assert_eq(hb_int(hb_phase(r, 0), "api_calls"),
			     edits[e].line == 2 ? 1 : 0, "edit %d", e);
		json_decref(r);
	}
	json_decref(lines);
	hb_finish(&t);
}

Test(replay, record_and_option_misuse_is_refused_with_exit_2)
{
	struct hb t;
	char cfg[512], dir[600], keep[700], file[600], link[600], empty[600],
		root[600], both[600];
	char *text;

	hb_start(&t, SCEN);
	hb_write(&t, "beta.yaml", BETA, cfg, sizeof(cfg));
	hb_write(&t, "beta2.yaml", BETA, cfg, sizeof(cfg));
	snprintf(root, sizeof(root), "%s/sb", t.dir);

	/* a non-empty directory: refused, left as it was */
	snprintf(dir, sizeof(dir), "%s/full", t.dir);
	cr_assert_eq(mkdir(dir, 0755), 0);
	snprintf(keep, sizeof(keep), "%s/keep.txt", dir);
	write_text(keep, "mine\n");
	/* a regular file, and a symlink to an empty directory */
	snprintf(file, sizeof(file), "%s/afile", t.dir);
	write_text(file, "mine\n");
	snprintf(empty, sizeof(empty), "%s/empty", t.dir);
	cr_assert_eq(mkdir(empty, 0755), 0);
	snprintf(link, sizeof(link), "%s/link", t.dir);
	cr_assert_eq(symlink(empty, link), 0);
	const char *const targets[] = { dir, file, link };

	for (size_t i = 0; i < 3; i++) {
		const char *args[] = { "beta.yaml", "--record", targets[i],
				       NULL };

		run_nokey(&t, root, t.fake.port, args);
		cr_assert_eq(t.out.code, 2, "--record %s: exit %d: %s",
			     targets[i], t.out.code, t.out.err);
		cr_assert_not_null(strstr(t.out.err, "--record "), "%s",
				   t.out.err);
		cr_assert_not_null(strstr(t.out.err, targets[i]), "%s",
				   t.out.err);
		assert_nothing_ran(&t, root);
	}
	cr_assert_not_null(strstr(t.out.err, "not a directory"), "%s",
			   t.out.err);
	text = h_slurp(keep, NULL);
	cr_assert_str_eq(text, "mine\n");
	free(text);
	text = h_slurp(file, NULL);
	cr_assert_str_eq(text, "mine\n");
	free(text);
	DIR *d = opendir(dir);
	size_t n = 0;

	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	closedir(d);
	cr_assert_eq(n, 1, "something was written into %s", dir);
	d = opendir(empty);
	n = 0;
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	closedir(d);
	cr_assert_eq(n, 0, "something was written through %s", link);

	/* --record with --replay */
	snprintf(both, sizeof(both), "%s/new", t.dir);
	const char *bargs[] = { "beta.yaml", "--record", both,
				"--replay",  dir,        NULL };
	run_nokey(&t, root, t.fake.port, bargs);
	cr_assert_eq(t.out.code, 2, "exit %d: %s", t.out.code, t.out.err);
	cr_assert_not_null(strstr(t.out.err, "--record and --replay"), "%s",
			   t.out.err);
	cr_assert_neq(access(both, F_OK), 0);
	assert_nothing_ran(&t, root);

	/* two configs, one benchmark name */
	for (int replay = 0; replay < 2; replay++) {
		const char *args[] = { "beta.yaml", "beta2.yaml",
				       replay ? "--replay" : "--record", both,
				       NULL };

		run_nokey(&t, root, t.fake.port, args);
		cr_assert_eq(t.out.code, 2, "exit %d: %s", t.out.code,
			     t.out.err);
		cr_assert_not_null(strstr(t.out.err, "both are benchmark "
						     "\"beta\""),
				   "%s", t.out.err);
		cr_assert_not_null(strstr(t.out.err, "beta2.yaml"), "%s",
				   t.out.err);
		cr_assert_not_null(strstr(t.out.err,
					  replay ? "--replay" : "--record"),
				   "%s", t.out.err);
		cr_assert_neq(access(both, F_OK), 0);
		assert_nothing_ran(&t, root);
	}
	hb_finish(&t);
}

/* ---- 5. the key ------------------------------------------------------ */

/* Whether any file below dir holds needle, case-insensitively. */
static bool
tree_has_nocase(const char *dir, const char *needle)
{
	json_t *paths = json_array(), *p;
	bool found = false;
	size_t i;

	jsonl_files(dir, paths);
	json_array_append_new(paths, json_sprintf("%s/recording.json", dir));
	json_array_foreach(paths, i, p) {
		char *c = h_slurp(json_string_value(p), NULL);

		cr_assert_not_null(c);
		found |= strcasestr(c, needle) != NULL;
		free(c);
	}
	json_decref(paths);
	return found;
}

Test(replay, the_key_and_request_headers_are_never_recorded)
{
	static const char *const headers[] = {
		"x-api-key",         "authorization", "bearer",
		"anthropic-version", "user-agent",    "content-length",
	};
	struct hb t;
	char rec[600], hex[2 * sizeof(H_TEST_KEY_SKANT) + 1];
	json_t *seen, *e;
	size_t i;

	record_beta(&t, SCEN, H_TEST_KEY_SKANT);
	snprintf(rec, sizeof(rec), "%s/rec", t.dir);
	/* the key was sent, and accepted */
	seen = h_jsonl(t.fake.record);
	cr_assert_gt(json_array_size(seen), 0);
	json_array_foreach(seen, i, e)
		cr_assert_str_eq(hb_str(e, "auth"), "ok");
	json_decref(seen);
	for (i = 0; i < strlen(H_TEST_KEY_SKANT); i++)
		snprintf(hex + 2 * i, 3, "%02x",
			 (unsigned char)H_TEST_KEY_SKANT[i]);
	cr_assert_not(h_tree_contains(rec, H_TEST_KEY_SKANT));
	cr_assert_not(h_tree_contains(rec, hex));
	cr_assert_not(h_tree_contains(t.root, H_TEST_KEY_SKANT),
		      "the key is in the results, events or transcripts");
	cr_assert_null(strstr(t.out.out, H_TEST_KEY_SKANT));
	cr_assert_null(strstr(t.out.err, H_TEST_KEY_SKANT));
	/* the response headers that matter are there; no request header */
	cr_assert(tree_has_nocase(rec, "request-id: req_"));
	cr_assert(tree_has_nocase(rec, "anthropic-ratelimit-"));
	for (i = 0; i < sizeof(headers) / sizeof(*headers); i++)
		cr_assert_not(tree_has_nocase(rec, headers[i]),
			      "%s is in the recording", headers[i]);
	hb_finish(&t);
}
