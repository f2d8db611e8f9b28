/*
 * harness_bench.c - see harness_bench.h.
 */
#include "harness_bench.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "schema_check.h"

extern char **environ;

/* All of fd (NUL-terminated, malloc'ed); its length into *len. */
static char *
read_fd(int fd, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap), *nb;
	ssize_t r;

	while (buf && (r = read(fd, buf + n, cap - n - 1)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		n += (size_t)r;
		if (cap - n < 2) {
			nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
	}
	if (buf)
		buf[n] = 0;
	if (len)
		*len = n;
	return buf;
}

void
hb_start(struct hb *t, const char *scenario)
{
	hb_start_key(t, scenario, H_TEST_KEY);
}

void
hb_start_key(struct hb *t, const char *scenario, const char *key)
{
	char sc[512];

	memset(t, 0, sizeof(*t));
	h_tmpdir(t->dir, sizeof(t->dir));
	h_keyfile(t->dir, key, t->key, sizeof(t->key));
	snprintf(t->root, sizeof(t->root), "%s/sandbox", t->dir);
	h_src(scenario, sc, sizeof(sc));
	h_fake_start(&t->fake, sc, t->key, t->dir);
	snprintf(t->base, sizeof(t->base),
		 "ANTHROPIC_BASE_URL=http://127.0.0.1:%d", t->fake.port);
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(path) < 0 ? -1 : 0;
}

void
hb_finish(struct hb *t)
{
	h_fake_stop(&t->fake);
	h_out_free(&t->out);
	/* only reached when every assertion held: a failed test keeps its
	 * directory for a look */
	if (t->dir[0])
		nftw(t->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void
hb_fixture(const char *file, char *buf, size_t cap)
{
	char rel[256];

	snprintf(rel, sizeof(rel), "tests/fixtures/configs/%s", file);
	h_src(rel, buf, cap);
}

void
hb_write(const struct hb *t, const char *name, const char *text, char *buf,
	 size_t cap)
{
	FILE *f;

	snprintf(buf, cap, "%s/%s", t->dir, name);
	f = fopen(buf, "we");
	cr_assert_not_null(f, "%s: %s", buf, strerror(errno));
	cr_assert_geq(fputs(text, f), 0);
	cr_assert_eq(fclose(f), 0);
}

void
hb_write_config(const struct hb *t, const char *name, const char *step,
		char *cfg, size_t cap)
{
	char text[512], file[64];

	snprintf(text, sizeof(text),
		 "name: %s\ndescription: %s\ninitial_prompt: do it\n"
		 "workflow_phases:\n  - phase_name: %s\n    agent: Amelia\n",
		 name, name, step);
	snprintf(file, sizeof(file), "%s.yaml", name);
	hb_write(t, file, text, cfg, cap);
}

/* Our environment without ANTHROPIC_*, plus the fake's base URL. */
static char **
child_env(const struct hb *t)
{
	size_t n = 0, k = 0;
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + 2, sizeof(char *));
	cr_assert_not_null(env);
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "ANTHROPIC_", 10) != 0)
			env[k++] = environ[i];
	env[k++] = (char *)t->base;
	return env;
}

static void
redirect(const char *path, int fd, int flags)
{
	int f = open(path, flags | O_CLOEXEC, 0600);

	if (f < 0 || dup2(f, fd) < 0)
		_exit(126);
	close(f);
}

pid_t
hb_spawn(struct hb *t, const char *const *args)
{
	const char *bin = getenv("GAO_DEV");
	const char *fixed[] = { "--standalone", "--api-key-file", t->key,
				"--sandbox-root", t->root };
	char *argv[64], outp[512], errp[512], **env;
	size_t n = 0;
	pid_t pid;

	cr_assert_not_null(bin, "GAO_DEV is not set (run through meson)");
	argv[n++] = (char *)bin;
	argv[n++] = "sandbox";
	argv[n++] = "run";
	for (size_t i = 0; args[i] && n < 50; i++)
		argv[n++] = (char *)args[i];
	for (size_t i = 0; i < sizeof(fixed) / sizeof(*fixed); i++)
		argv[n++] = (char *)fixed[i];
	argv[n] = NULL;
	snprintf(outp, sizeof(outp), "%s/.stdout", t->dir);
	snprintf(errp, sizeof(errp), "%s/.stderr", t->dir);
	env = child_env(t);
	t->seconds = h_now_s();
	pid = h_fork(H_GAO_DEV_DEATH);
	if (pid == 0) {
		if (chdir(t->dir) < 0)
			_exit(126);
		redirect("/dev/null", 0, O_RDONLY);
		redirect(outp, 1, O_WRONLY | O_CREAT | O_TRUNC);
		redirect(errp, 2, O_WRONLY | O_CREAT | O_TRUNC);
		execve(bin, argv, env);
		_exit(127);
	}
	free(env);
	return pid;
}

void
hb_wait(struct hb *t, pid_t pid, int timeout_s)
{
	char path[512];
	int status = 0;
	bool done = false;

	for (int i = 0; i < timeout_s * 50 && !done; i++) {
		struct timespec ts = { 0, 20000000 };
		pid_t w = waitpid(pid, &status, WNOHANG);

		cr_assert_geq(w, 0, "waitpid: %s", strerror(errno));
		done = w == pid;
		if (!done)
			nanosleep(&ts, NULL);
	}
	if (!done) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	t->seconds = h_now_s() - t->seconds;
	t->out.code = WIFEXITED(status) ? WEXITSTATUS(status) :
					  128 + WTERMSIG(status);
	h_out_free(&t->out);
	snprintf(path, sizeof(path), "%s/.stdout", t->dir);
	t->out.out = h_slurp(path, NULL);
	unlink(path);
	snprintf(path, sizeof(path), "%s/.stderr", t->dir);
	t->out.err = h_slurp(path, NULL);
	unlink(path);
	cr_assert(t->out.out && t->out.err, "gao-dev's output is missing");
}

void
hb_run(struct hb *t, const char *const *args, int timeout_s)
{
	hb_wait(t, hb_spawn(t, args), timeout_s);
}

json_t *
hb_results(struct hb *t)
{
	char path[1024];
	json_error_t je;
	json_t *r;

	cr_assert(h_single_file(t->root, "results", path, sizeof(path)),
		  "not exactly one results file; exit %d, stderr:\n%s",
		  t->out.code, t->out.err);
	r = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	cr_assert_not_null(r, "%s: %s", path, je.text);
	hb_check_results(t, path, r);
	return r;
}

json_t *
hb_all_results(struct hb *t)
{
	char dir[1024], path[2048];
	json_t *all = json_array();
	struct dirent *e;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/results", t->root);
	d = opendir(dir);
	cr_assert_not_null(d, "%s: %s", dir, strerror(errno));
	while ((e = readdir(d))) {
		json_error_t je;
		json_t *r;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		r = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
		cr_assert_not_null(r, "%s: %s", path, je.text);
		hb_check_results(t, path, r);
		json_array_append_new(all, r);
	}
	closedir(d);
	return all;
}

/* ---- the checks every results file gets -------------------------------- */

static json_t *
results_schema(void)
{
	static json_t *schema;
	char path[512];
	json_error_t je;

	if (schema)
		return schema;
	h_src("docs/results.schema.json", path, sizeof(path));
	schema = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	cr_assert_not_null(schema, "%s:%d: %s", path, je.line, je.text);
	return schema;
}

static void
assert_mode(const char *path, mode_t want)
{
	struct stat st;

	cr_assert_eq(stat(path, &st), 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(st.st_mode & 0777, want, "%s: mode %o, want %o", path,
		     st.st_mode & 0777, want);
}

static size_t
count_events(const json_t *events, const char *name)
{
	const json_t *e;
	size_t i, n = 0;

	json_array_foreach(events, i, e)
		n += strcmp(hb_str(e, "event"), name) == 0;
	return n;
}

/* Phases that started (skipped ones never do). */
static size_t
count_started(const json_t *r)
{
	const json_t *p;
	size_t i, n = 0;

	json_array_foreach(json_object_get(r, "phases"), i, p)
		n += strcmp(hb_str(p, "status"), "skipped") != 0;
	return n;
}

static void
check_events(const json_t *r)
{
	char path[1024];
	json_t *ev, *e;
	size_t i, n;

	snprintf(path, sizeof(path), "%s/events.jsonl", hb_str(r, "run_dir"));
	assert_mode(path, 0600);
	ev = h_jsonl(path);
	n = json_array_size(ev);
	cr_assert_geq(n, 3, "%s: %zu events", path, n);
	json_array_foreach(ev, i, e) {
		cr_assert_str_eq(hb_str(e, "run_id"), hb_str(r, "run_id"));
		cr_assert(json_is_string(json_object_get(e, "ts")));
		cr_assert(!strcmp(hb_str(e, "level"), "info") ||
			  !strcmp(hb_str(e, "level"), "warn") ||
			  !strcmp(hb_str(e, "level"), "error"));
	}
	cr_assert_str_eq(hb_str(json_array_get(ev, 0), "event"),
			 "standalone_benchmark_started");
	e = json_array_get(ev, n - 1);
	cr_assert_str_eq(hb_str(e, "event"), "standalone_benchmark_completed");
	cr_assert_str_eq(hb_str(e, "status"), hb_str(r, "status"));
	cr_assert_eq(hb_int(e, "exit_code"), hb_int(r, "exit_code"));
	cr_assert_eq(count_events(ev, "results_saved"), 1);
	cr_assert_eq(count_events(ev, "phase_completed"),
		     json_array_size(json_object_get(r, "phases")),
		     "one phase_completed event per phase record");
	cr_assert_eq(count_events(ev, "phase_started"), count_started(r));
	json_decref(ev);
}

/* `gao-dev audit verify` on one log; its record count. */
static long
verify_audit(const char *path, const char *head)
{
	const char *argv[] = { getenv("GAO_DEV"), "audit", "verify", path,
			       NULL };
	char want[128];
	int status;
	char *out = hb_capture(argv, &status);
	const char *ok = strstr(out, ": OK, ");

	cr_assert_eq(status, 0, "audit verify %s failed:\n%s", path, out);
	cr_assert_not_null(ok, "audit verify %s:\n%s", path, out);
	if (head) {
		snprintf(want, sizeof(want), "head %s", head);
		cr_assert_not_null(strstr(out, want),
				   "%s: results say head "
				   "%s, audit verify says:\n%s",
				   path, head, out);
	}
	long n = strtol(ok + 6, NULL, 10);

	free(out);
	return n;
}

static size_t
count_audit_files(const char *run_dir)
{
	char dir[1024];
	struct dirent *e;
	size_t n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/agents", run_dir);
	d = opendir(dir);
	cr_assert_not_null(d, "%s: %s", dir, strerror(errno));
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		char path[2048];

		if (len < 12 ||
		    strcmp(e->d_name + len - 12, ".audit.jsonl") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		assert_mode(path, 0600);
		verify_audit(path, NULL);
		n++;
	}
	closedir(d);
	return n;
}

/* The worker_ready records of an audit log. */
static long
count_ready(const char *path)
{
	json_t *recs = h_jsonl(path), *rec;
	long n = 0;
	size_t i;

	cr_assert_not_null(recs, "%s", path);
	json_array_foreach(recs, i, rec) {
		n += strcmp(hb_str(rec, "outcome"), "worker_ready") == 0;
	}
	json_decref(recs);
	return n;
}

static void
check_audits(const json_t *r)
{
	const json_t *p;
	size_t i, logs = 0;

	json_array_foreach(json_object_get(r, "phases"), i, p) {
		const char *log = hb_str(p, "audit_log");

		if (!log[0])
			continue;
		logs++;
		assert_mode(hb_str(p, "transcript"), 0600);
		long n = verify_audit(log, hb_str(p, "audit_head"));
		long ready = count_ready(log);

		/* a worker_ready record per worker started (the primary, the
		 * pool's, a respawn), then one per tool call, refused ones
		 * too */
		cr_assert_geq(ready, 1, "%s: no worker_ready record", log);
		cr_assert_eq(n,
			     hb_int(p, "tool_calls") +
				     hb_int(p, "tool_calls_refused") + ready,
			     "%s: %ld records for %lld tool calls and %lld "
			     "refused, %ld workers",
			     log, n, hb_int(p, "tool_calls"),
			     hb_int(p, "tool_calls_refused"), ready);
	}
	cr_assert_eq(count_audit_files(hb_str(r, "run_dir")), logs,
		     "every audit log of the run belongs to a phase");
}

void
hb_check_results(struct hb *t, const char *path, const json_t *r)
{
	char *errs = schema_check_text(results_schema(), r);

	cr_assert_null(errs, "%s does not match docs/results.schema.json:\n%s",
		       path, errs);
	assert_mode(path, 0600);
	cr_assert_str_eq(hb_str(r, "results_file"), path);
	cr_assert(strncmp(hb_str(r, "project_dir"), t->root, strlen(t->root)) ==
		  0);
	check_events(r);
	check_audits(r);
}

/* ---- small accessors and assertions ------------------------------------ */

const char *
hb_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

long long
hb_int(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

const json_t *
hb_phase(const json_t *r, size_t i)
{
	const json_t *p = json_array_get(json_object_get(r, "phases"), i);

	cr_assert_not_null(p, "no phase %zu", i);
	return p;
}

void
hb_assert_phase(const json_t *r, size_t i, const char *name, const char *agent,
		const char *status)
{
	const json_t *p = hb_phase(r, i);

	cr_assert_str_eq(hb_str(p, "name"), name, "phase %zu", i);
	cr_assert_str_eq(hb_str(p, "agent"), agent, "phase %zu (%s)", i, name);
	cr_assert_str_eq(hb_str(p, "status"), status, "phase %zu (%s): %s %s",
			 i, name, hb_str(p, "stop_reason"), hb_str(p, "error"));
}

void
hb_assert_tools(const json_t *r, size_t i, const char *want)
{
	const json_t *p = hb_phase(r, i);
	json_t *w = json_loads(want, 0, NULL);
	char *got = json_dumps(json_object_get(p, "tools_by_name"),
			       JSON_SORT_KEYS | JSON_COMPACT);

	cr_assert_not_null(w, "bad JSON in the test: %s", want);
	cr_assert(json_equal(w, json_object_get(p, "tools_by_name")),
		  "phase %zu (%s): tools %s, want %s", i, hb_str(p, "name"),
		  got, want);
	free(got);
	json_decref(w);
}

static const json_t *
nth_criterion(const json_t *r, const char *name, size_t nth)
{
	const json_t *c;
	size_t i;

	json_array_foreach(json_object_get(r, "success_criteria"), i, c)
		if (!strcmp(hb_str(c, "name"), name) && nth-- == 0)
			return c;
	return NULL;
}

void
hb_assert_criterion(const json_t *r, const char *name, size_t nth,
		    const char *outcome, const char *reason)
{
	const json_t *c = nth_criterion(r, name, nth);

	cr_assert_not_null(c, "no criterion %s #%zu", name, nth);
	cr_assert_str_eq(hb_str(c, "outcome"), outcome, "%s: %s (%s)", name,
			 hb_str(c, "outcome"), hb_str(c, "reason"));
	if (reason)
		cr_assert_not_null(strstr(hb_str(c, "reason"), reason),
				   "%s: reason \"%s\" lacks \"%s\"", name,
				   hb_str(c, "reason"), reason);
}

void
hb_assert_coverage(const json_t *r, double want)
{
	const json_t *c;
	size_t i;
	double got, req;

	if (!hb_python_has("coverage")) {
		hb_assert_criterion(r, "min_test_coverage", 0, "skipped",
				    "the coverage module is not installed");
		return;
	}
	json_array_foreach(json_object_get(r, "success_criteria"), i, c) {
		if (strcmp(hb_str(c, "name"), "min_test_coverage") != 0)
			continue;
		cr_assert_eq(sscanf(hb_str(c, "reason"),
				    "line coverage %lf%%, "
				    "required %lf%%",
				    &got, &req),
			     2, "%s", hb_str(c, "reason"));
		cr_assert_float_eq(req, want, 0.01);
		cr_assert_str_eq(hb_str(c, "outcome"),
				 got >= want ? "passed" : "failed");
		return;
	}
	cr_assert_fail("no min_test_coverage criterion");
}

void
hb_assert_tests_passed(const json_t *r, const char *name)
{
	hb_assert_criterion(
		r, name, 0, "passed",
		hb_python_has("pytest") ?
			"python3 -I -m pytest -q -p no:cacheprovider exited 0" :
			"python3 -I -m unittest discover -v -p \"test*.py\" "
			"exited 0");
}

size_t
hb_count_criteria(const json_t *r, const char *name, const char *outcome)
{
	const json_t *c;
	size_t i, n = 0;

	json_array_foreach(json_object_get(r, "success_criteria"), i, c)
		n += !strcmp(hb_str(c, "name"), name) &&
		     (!outcome || !strcmp(hb_str(c, "outcome"), outcome));
	return n;
}

/* ---- assertions on a whole run ----------------------------------------- */

/* Every request the API received was valid and met its expectations. */
void
hb_assert_fake_ok(const struct hb *t, size_t min_calls)
{
	json_t *rec = h_jsonl(t->fake.record), *q;
	size_t i, calls = 0;

	json_array_foreach(rec, i, q) {
		if (strcmp(hb_str(q, "path"), "/v1/messages") != 0)
			continue;
		calls++;
		cr_assert_eq(hb_int(q, "status"), 200,
			     "request %zu got %lld "
			     "(see %s)",
			     i, hb_int(q, "status"), t->fake.log);
	}
	cr_assert_geq(calls, min_calls, "%zu API calls", calls);
	json_decref(rec);
}

/* git log of the project, newest first: "subject\n\nfile\n..." */
void
hb_assert_git_log(const json_t *r, const char *want)
{
	const char *args[] = { "log", "--format=%s", "--name-only", NULL };
	char *log = hb_git(hb_str(r, "git_dir"), args);

	cr_assert_str_eq(log, want, "git log of %s:\n%s", hb_str(r, "git_dir"),
			 log);
	free(log);
}

void
hb_assert_file(const json_t *r, const char *rel, const char *needle)
{
	char path[2048];

	snprintf(path, sizeof(path), "%s/%s", hb_str(r, "project_dir"), rel);
	cr_assert(hb_file_contains(path, needle), "%s lacks \"%s\"", path,
		  needle);
}

bool
hb_has_warning(const json_t *r, const char *needle)
{
	const json_t *w;
	size_t i;

	json_array_foreach(json_object_get(r, "warnings"), i, w)
		if (strstr(json_string_value(w), needle))
			return true;
	return false;
}

/* The end of a long text, for assertion messages. */
static const char *
tail(const char *s)
{
	size_t n = strlen(s);

	return n > 3000 ? s + n - 3000 : s;
}

void
hb_assert_run(const struct hb *t, const json_t *r, int code, const char *status,
	      const char *stop_reason)
{
	cr_assert_eq(t->out.code, code, "exit %d, want %d; stderr ends:\n%s",
		     t->out.code, code, tail(t->out.err));
	cr_assert_eq(hb_int(r, "exit_code"), code);
	cr_assert_str_eq(hb_str(r, "status"), status,
			 "stop_reason %s; "
			 "stderr ends:\n%s",
			 hb_str(r, "stop_reason"), tail(t->out.err));
	cr_assert_str_eq(hb_str(r, "stop_reason"), stop_reason);
	cr_assert_eq(json_array_size(json_object_get(r, "phases")) > 0, true);
}

size_t
hb_n_phases(const json_t *r)
{
	return json_array_size(json_object_get(r, "phases"));
}

size_t
hb_n_criteria(const json_t *r)
{
	return json_array_size(json_object_get(r, "success_criteria"));
}

/* ---- processes ---------------------------------------------------------- */

char *
hb_capture(const char *const *argv, int *status)
{
	int p[2], st = 0;
	pid_t pid;
	char *out;

	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	pid = h_fork(SIGKILL);
	if (pid == 0) {
		if (dup2(p[1], 1) < 0 || dup2(p[1], 2) < 0)
			_exit(126);
		redirect("/dev/null", 0, O_RDONLY);
		if (argv[0])
			execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	out = read_fd(p[0], NULL);
	close(p[0]);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	cr_assert_not_null(out);
	return out;
}

bool
hb_python_has(const char *module)
{
	char code[128];
	int status;

	snprintf(code, sizeof(code), "import %s", module);
	/* the PATH the sandbox's workers get */
	const char *argv[] = {
		"env",     "-i", "PATH=/usr/local/bin:/usr/bin:/bin",
		"python3", "-c", code,
		NULL
	};

	free(hb_capture(argv, &status));
	return status == 0;
}

char *
hb_git(const char *git_dir, const char *const *args)
{
	const char *argv[32] = { "git", "-c", "safe.directory=*", "--git-dir",
				 git_dir };
	size_t n = 5;
	int status;
	char *out;

	for (size_t i = 0; args[i] && n < 31; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	out = hb_capture(argv, &status);
	cr_assert_eq(status, 0, "git %s in %s:\n%s", args[0], git_dir, out);
	return out;
}

static bool
cwd_under(const char *pid, const char *dir)
{
	char link[300], cwd[4096];
	ssize_t n;
	size_t len = strlen(dir);

	snprintf(link, sizeof(link), "/proc/%s/cwd", pid);
	n = readlink(link, cwd, sizeof(cwd) - 1);
	if (n < 0)
		return false;
	cwd[n] = 0;
	return strncmp(cwd, dir, len) == 0 &&
	       (cwd[len] == 0 || cwd[len] == '/');
}

static bool
cmdline_has(const char *pid, const char *needle)
{
	char path[300];
	size_t len = 0;
	char *c;
	bool hit;
	int fd;

	if (!needle)
		return true;
	snprintf(path, sizeof(path), "/proc/%s/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	c = read_fd(fd, &len);
	close(fd);
	if (!c)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!c[i])
			c[i] = ' ';
	hit = strstr(c, needle) != NULL;
	free(c);
	return hit;
}

bool
hb_find_proc(const char *dir, const char *needle, pid_t *pid)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	bool found = false;

	cr_assert_not_null(d);
	while (!found && (e = readdir(d))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		if (cwd_under(e->d_name, dir) &&
		    cmdline_has(e->d_name, needle)) {
			found = true;
			if (pid)
				*pid = (pid_t)atoi(e->d_name);
		}
	}
	closedir(d);
	return found;
}

bool
hb_file_contains(const char *path, const char *needle)
{
	char *c = h_slurp(path, NULL);
	bool hit = c && strstr(c, needle);

	free(c);
	return hit;
}
