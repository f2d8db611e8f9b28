/*
 * run_checks.c - what the run asks its service worker (svc.h): git setup
 * and a commit per phase, expected artifacts, and the success criteria.
 *
 * Design note
 * -----------
 * Every question about the agent-controlled tree is a Bash command run in
 * a confined worker; the supervisor only parses the answer. Each check is
 * a short script that prints one line per finding ("FOUND x", "MISSING
 * x", "COUNT n", "TESTCMD ...", ...), so a hostile project can at worst
 * make a check fail, never run code outside the sandbox. Criteria that
 * cannot be evaluated are "skipped" with the reason, never "passed".
 *
 * The checks run one after another through a small task list; each task
 * has a command and a parser, and the list ends in a continuation.
 */
#include "supervisor/run/run_priv.h"

#include "supervisor/run/boilerplate.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHECK_TIMEOUT_MS 120000
#define TEST_TIMEOUT_MS 600000

/* Quote each string of list for bash, space-separated (malloc'ed). */
static char *
quote_list(const json_t *list)
{
	size_t i, cap = 1;
	json_t *v;
	char *out = calloc(1, 1);

	json_array_foreach(list, i, v) {
		char *q = svc_quote(json_string_value(v));
		char *n = q ? realloc(out, cap + strlen(q) + 1) : NULL;

		if (!n) {
			free(q);
			free(out);
			return NULL;
		}
		out = n;
		strcat(out, " ");
		strcat(out, q);
		cap += strlen(q) + 1;
		free(q);
	}
	return out;
}

/*
 * A bash function: for each pattern (alternatives joined by " OR "), print
 * FOUND or MISSING. "dir/" means a non-empty directory; globs use
 * globstar; nothing follows a symlink out (the worker cannot anyway).
 */
static const char find_fn[] =
	"shopt -s globstar nullglob dotglob; "
	"have() { local p=\"$1\"; if [[ \"$p\" == */ ]]; then "
	"[ -d \"$p\" ] && [ -n \"$(ls -A -- \"$p\" 2>/dev/null)\" ]; return; "
	"fi; local m=( $p ); [ ${#m[@]} -gt 0 ] && [ -e \"${m[0]}\" ]; }; "
	"check() { local s=\"$1\" alt found=0; "
	"while [ -n \"$s\" ]; do alt=\"${s%% OR *}\"; "
	"[ \"$alt\" = \"$s\" ] && s=\"\" || s=\"${s#* OR }\"; "
	"have \"$alt\" && found=1; done; "
	"if [ $found = 1 ]; then echo \"FOUND $1\"; "
	"else echo \"MISSING $1\"; fi; }; "
	"for a in \"$@\"; do check \"$a\"; done";

/* The full artifact-check command for a list of patterns. */
static char *
find_command(const json_t *patterns)
{
	char *args = quote_list(patterns), *fn = svc_quote(find_fn);
	char *cmd = NULL;

	if (args && fn && asprintf(&cmd, "bash -c %s _ %s", fn, args) < 0)
		cmd = NULL;
	free(args);
	free(fn);
	return cmd;
}

/* Lines "FOUND x" / "MISSING x" into two arrays. */
static void
parse_found(const char *out, json_t *found, json_t *missing)
{
	char *copy = strdup(out ? out : ""), *save = NULL;

	for (char *l = strtok_r(copy, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		if (strncmp(l, "FOUND ", 6) == 0)
			json_array_append_new(found, json_string(l + 6));
		else if (strncmp(l, "MISSING ", 8) == 0)
			json_array_append_new(missing, json_string(l + 8));
	}
	free(copy);
}

/* ---- the task list ---------------------------------------------------- */

typedef void (*task_parse)(struct run *r, const struct msg_tool_result *res,
			   void *arg);

struct task {
	struct svc *svc; /* which service worker runs it */
	char *command;
	uint32_t timeout_ms;
	task_parse parse;
	void *arg;
};

static void run_next_task(struct run *r);

static void
on_task(void *ctx, const struct msg_tool_result *res)
{
	struct run *r = ctx;
	struct task *t = &r->tasks[r->task_idx++];

	t->parse(r, res, t->arg);
	run_next_task(r);
}

static void
run_next_task(struct run *r)
{
	void (*cont)(struct run *) = r->tasks_done;

	while (r->task_idx < r->n_tasks) {
		struct task *t = &r->tasks[r->task_idx];

		if (svc_bash(t->svc, t->command, t->timeout_ms, on_task, r) ==
		    0)
			return;
		t->parse(r, NULL, t->arg);
		r->task_idx++;
	}
	for (size_t i = 0; i < r->n_tasks; i++)
		free(r->tasks[i].command);
	free(r->tasks);
	r->tasks = NULL;
	r->n_tasks = r->task_idx = 0;
	r->tasks_done = NULL;
	if (cont)
		cont(r);
}

static void
add_task_on(struct run *r, struct svc *svc, char *command, uint32_t timeout_ms,
	    task_parse p, void *arg)
{
	struct task *t = realloc(r->tasks, (r->n_tasks + 1) * sizeof(*t));

	if (t)
		r->tasks = t; /* realloc may have moved it, command or not */
	if (!t || !command) {
		free(command);
		p(r, NULL, arg); /* reported as a check that could not run */
		return;
	}
	r->tasks[r->n_tasks++] = (struct task){ svc, command, timeout_ms, p,
						arg };
}

static void
add_task(struct run *r, char *command, uint32_t timeout_ms, task_parse p,
	 void *arg)
{
	add_task_on(r, r->svc, command, timeout_ms, p, arg);
}

static void
start_tasks(struct run *r, void (*done)(struct run *))
{
	r->tasks_done = done;
	r->task_idx = 0;
	run_next_task(r);
}

/* ---- git: setup and a commit per phase -------------------------------- */

static void
parse_git_init(struct run *r, const struct msg_tool_result *res, void *arg)
{
	(void)arg;
	if (!res || res->exit_code != 0)
		json_array_append_new(
			r->warnings,
			json_sprintf("git init in the project failed: %.300s",
				     res ? res->content :
					   "the service worker failed"));
}

/*
 * A clone that brought the API key (a file holding it, in the repository
 * the config named) ends the run before git or any agent sees the
 * project: the supervisor walks the fresh tree as it walks a template
 * (boilerplate_check: no symlink followed, bounded), which no agent has
 * touched yet. 0 when it is clean.
 */
static int
clone_holds_key(struct run *r)
{
	char err[1024];

	if (boilerplate_check(r->project_dir, err, sizeof(err)) == 0)
		return 0;
	json_array_append_new(r->errors,
			      json_sprintf("boilerplate_url %s: %s",
					   r->b->boilerplate_url, err));
	run_set_status(&r->state, RUN_STATUS_ERROR, "boilerplate_failed");
	r->task_idx = r->n_tasks; /* no git init, no commit of it */
	return -1;
}

static void
parse_clone(struct run *r, const struct msg_tool_result *res, void *arg)
{
	(void)arg;
	if (res && res->exit_code == 0 && strstr(res->content, "CLONED")) {
		clone_holds_key(r);
		return;
	}
	json_array_append_new(r->errors,
			      json_sprintf("boilerplate_url %s: "
					   "the clone failed: %.400s",
					   r->b->boilerplate_url,
					   res ? res->content :
						 "the sandbox did not start"));
	run_set_status(&r->state, RUN_STATUS_ERROR, "boilerplate_failed");
}

void
run_setup_project(struct run *r, void (*next)(struct run *))
{
	char *q = r->svc_net ? svc_quote(r->b->boilerplate_url) : NULL;
	char *cmd = NULL;

	/* boilerplate_url: cloned into the empty project by a worker with
	 * the networked policy, its history dropped, before git init */
	if (q && asprintf(&cmd,
			  "git clone -q --depth 1 -- %s . && rm -rf "
			  ".git && echo CLONED",
			  q) >= 0)
		add_task_on(r, r->svc_net, cmd, TEST_TIMEOUT_MS, parse_clone,
			    NULL);
	free(q);
	add_task(
		r,
		strdup("git init -q -b main 2>/dev/null || git init -q; "
		       "git config user.email gao-dev@localhost && "
		       "git config user.name gao-dev && git add -A && "
		       "git commit -q --allow-empty -m 'chore: initial project "
		       "setup' && echo OK"),
		CHECK_TIMEOUT_MS, parse_git_init, NULL);
	start_tasks(r, next);
}

/* A missing artifact turns the phase's success into a failure. */
static void
parse_artifacts(struct run *r, const struct msg_tool_result *res, void *arg)
{
	struct phase *p = arg;
	json_t *found = json_array(), *missing = json_array();

	if (res)
		parse_found(res->content, found, missing);
	json_object_set_new(p->record, "artifacts",
			    json_pack("{s:O,s:o,s:o}", "expected",
				      p->def->expected_artifacts, "found",
				      found, "missing", missing));
	if (!res) {
		json_array_append_new(
			r->errors,
			json_string("the artifact check could not run"));
		return;
	}
	if (json_array_size(missing) && p->status == PHASE_STATUS_SUCCESS) {
		p->status = PHASE_STATUS_FAILED;
		snprintf(p->stop_reason, sizeof(p->stop_reason),
			 "missing_artifacts");
		json_object_set_new(p->record, "status",
				    json_string(phase_status_name(p->status)));
		json_object_set_new(p->record, "stop_reason",
				    json_string(p->stop_reason));
	}
}

static void
parse_commit(struct run *r, const struct msg_tool_result *res, void *arg)
{
	(void)arg;
	if (res && strstr(res->content, "COMMITTED"))
		r->commits++;
}

void
run_after_phase(struct run *r, struct phase *p, void (*next)(struct run *))
{
	const struct bm_phase *ph = p->def;
	char slug[64], *msg = NULL, *q = NULL;

	if (json_array_size(ph->expected_artifacts))
		add_task(r, find_command(ph->expected_artifacts),
			 CHECK_TIMEOUT_MS, parse_artifacts, p);
	benchmark_slug(ph->story ? ph->story : ph->name, slug, sizeof(slug));
	if (asprintf(&msg, "%s(%s): %s by %s", ph->story ? "feat" : "chore",
		     slug, ph->name, ph->command ? "command" : ph->agent) >= 0)
		q = svc_quote(msg);
	free(msg);
	if (q) {
		char *cmd = NULL;

		if (asprintf(&cmd,
			     "git add -A && git -c core.hooksPath=/dev/null"
			     " commit -q -m %s && echo COMMITTED",
			     q) < 0)
			cmd = NULL;
		add_task(r, cmd, CHECK_TIMEOUT_MS, parse_commit, NULL);
	}
	free(q);
	start_tasks(r, next);
}

/* ---- success criteria -------------------------------------------------- */

/* One criterion's verdict: into the results and the run's tally. */
static void
criterion(struct run *r, const char *name, enum verdict v, const char *reason)
{
	json_array_append_new(r->criteria,
			      json_pack("{s:s,s:s,s:s}", "name", name,
					"outcome", verdict_name(v), "reason",
					reason ? reason : ""));
	verdict_tally_add(&r->state.criteria, v);
}

/* The first line of out that starts with tag, after the tag; or NULL. */
static const char *
line_after(const char *out, const char *tag, char *buf, size_t cap)
{
	const char *p = out;
	size_t n = strlen(tag);

	while (p && *p) {
		if (strncmp(p, tag, n) == 0) {
			const char *e = strchr(p + n, '\n');
			size_t len = e ? (size_t)(e - p - n) : strlen(p + n);

			snprintf(buf, cap, "%.*s", (int)len, p + n);
			return buf;
		}
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	return NULL;
}

static const char detect_tests[] =
	"shopt -s globstar nullglob; "
	"py=( **/test_*.py **/*_test.py ); "
	"if [ -n \"${GAO_TEST_COMMAND:-}\" ]; then c=\"$GAO_TEST_COMMAND\"; "
	"elif [ -f package.json ] && grep -q '\"test\"' package.json; then "
	"c='npm test --silent'; "
	"elif [ ${#py[@]} -gt 0 ] && python3 -c 'import pytest' 2>/dev/null; "
	"then c='python3 -m pytest -q'; "
	"elif [ ${#py[@]} -gt 0 ]; then c='python3 -m unittest discover -v "
	"-p \"test*.py\"'; "
	"elif [ -f Makefile ] && grep -q '^test:' Makefile; then c='make test'; "
	"else echo NOTESTS; exit 0; fi; ";

static void
parse_tests(struct run *r, const struct msg_tool_result *res, void *arg)
{
	char cmd[512], why[700];

	if (!res) {
		criterion(r, arg, VERDICT_FAILED,
			  "the test run could not start");
		return;
	}
	if (strncmp(res->content, "NOTESTS", 7) == 0) {
		criterion(r, arg, VERDICT_FAILED,
			  "no tests were found (no "
			  "test_*.py, npm test, make test, or test_command)");
		return;
	}
	if (!line_after(res->content, "TESTCMD ", cmd, sizeof(cmd)))
		snprintf(cmd, sizeof(cmd), "?");
	snprintf(why, sizeof(why), "%s exited %lld", cmd,
		 (long long)res->exit_code);
	criterion(r, arg,
		  res->exit_code == 0 && !res->is_error ? VERDICT_PASSED :
							  VERDICT_FAILED,
		  why);
}

static void
add_tests_task(struct run *r, const char *name)
{
	char *q = r->b->test_command ? svc_quote(r->b->test_command) : NULL;
	char *cmd = NULL;

	if (asprintf(&cmd,
		     "GAO_TEST_COMMAND=%s; %s echo \"TESTCMD $c\"; "
		     "bash -c \"$c\" 2>&1 | tail -c 20000; "
		     "exit ${PIPESTATUS[0]}",
		     q ? q : "''", detect_tests) < 0)
		cmd = NULL;
	free(q);
	add_task(r, cmd, TEST_TIMEOUT_MS, parse_tests, (void *)name);
}

static void
parse_coverage(struct run *r, const struct msg_tool_result *res, void *arg)
{
	double want = *(double *)arg, got;
	char buf[128], why[256];

	if (!res || !line_after(res->content, "COVERAGE ", buf, sizeof(buf))) {
		criterion(r, "min_test_coverage", VERDICT_SKIPPED,
			  res && line_after(res->content, "NOCOVERAGE ", buf,
					    sizeof(buf)) ?
				  buf :
				  "no coverage figure could be obtained");
		return;
	}
	got = strtod(buf, NULL);
	snprintf(why, sizeof(why), "line coverage %.1f%%, required %.1f%%", got,
		 want);
	criterion(r, "min_test_coverage",
		  got >= want ? VERDICT_PASSED : VERDICT_FAILED, why);
}

static void
add_coverage_task(struct run *r)
{
	add_task(
		r,
		strdup("shopt -s globstar nullglob; py=( **/test_*.py "
		       "**/*_test.py ); if [ ${#py[@]} -eq 0 ]; then echo "
		       "'NOCOVERAGE no Python tests to measure (coverage is measured "
		       "for Python projects)'; exit 0; fi; if ! python3 -c 'import "
		       "coverage' 2>/dev/null; then echo 'NOCOVERAGE the coverage "
		       "module is not installed'; exit 0; fi; export "
		       "COVERAGE_FILE=\"${TMPDIR:-/tmp}/.coverage\"; if python3 -c "
		       "'import pytest' 2>/dev/null; then python3 -m coverage run -m "
		       "pytest -q >/dev/null 2>&1; else python3 -m coverage run -m "
		       "unittest discover -p 'test*.py' >/dev/null 2>&1; fi; t=$("
		       "python3 -m coverage report 2>/dev/null | awk '/^TOTAL/ "
		       "{print $NF}' | tr -d %); [ -n \"$t\" ] && echo \"COVERAGE $t\""
		       " || echo 'NOCOVERAGE coverage report failed'"),
		TEST_TIMEOUT_MS, parse_coverage, &r->want_coverage);
}

static void
parse_features(struct run *r, const struct msg_tool_result *res, void *arg)
{
	json_t *found = json_array(), *missing = json_array(), *v;
	char why[600];
	size_t i;

	(void)arg;
	if (res)
		parse_found(res->content, found, missing);
	json_array_foreach(found, i, v) {
		snprintf(why, sizeof(why), "found: %s", json_string_value(v));
		criterion(r, "required_features", VERDICT_PASSED, why);
	}
	json_array_foreach(missing, i, v) {
		snprintf(why, sizeof(why), "nothing matches: %s",
			 json_string_value(v));
		criterion(r, "required_features", VERDICT_FAILED, why);
	}
	if (!res)
		criterion(r, "required_features", VERDICT_FAILED,
			  "the check could not run");
	json_decref(found);
	json_decref(missing);
}

static void
parse_commits(struct run *r, const struct msg_tool_result *res, void *arg)
{
	long want = (long)(intptr_t)arg, got = -1;
	char buf[64], why[128];

	if (res && line_after(res->content, "COUNT ", buf, sizeof(buf)))
		got = strtol(buf, NULL, 10) - 1; /* not our setup commit */
	if (got < 0) {
		criterion(r, "min_commits", VERDICT_FAILED,
			  "git history unreadable");
		return;
	}
	snprintf(why, sizeof(why), "%ld commits, required %ld", got, want);
	criterion(r, "min_commits",
		  got >= want ? VERDICT_PASSED : VERDICT_FAILED, why);
}

static void
parse_commit_format(struct run *r, const struct msg_tool_result *res, void *arg)
{
	char buf[512], why[600];

	(void)arg;
	if (!res) {
		criterion(r, "commit_format", VERDICT_FAILED,
			  "git log unreadable");
	} else if (line_after(res->content, "BAD ", buf, sizeof(buf))) {
		snprintf(why, sizeof(why), "not conventional: %s", buf);
		criterion(r, "commit_format", VERDICT_FAILED, why);
	} else {
		criterion(r, "commit_format", VERDICT_PASSED,
			  "every commit subject is conventional");
	}
}

static void
parse_build(struct run *r, const struct msg_tool_result *res, void *arg)
{
	char cmd[256], why[400];

	(void)arg;
	if (res && strncmp(res->content, "NOBUILD", 7) == 0) {
		criterion(r, "build_must_succeed", VERDICT_SKIPPED,
			  "no build "
			  "step found (Makefile, package.json build, "
			  "meson.build)");
		return;
	}
	if (!res || !line_after(res->content, "BUILDCMD ", cmd, sizeof(cmd)))
		snprintf(cmd, sizeof(cmd), "the build");
	snprintf(why, sizeof(why), "%s exited %lld", cmd,
		 res ? (long long)res->exit_code : -1LL);
	criterion(r, "build_must_succeed",
		  res && res->exit_code == 0 ? VERDICT_PASSED : VERDICT_FAILED,
		  why);
}

static void
gate(struct run *r, const char *name, json_t *v)
{
	bool on = json_is_true(v);

	if (!strcmp(name, "tests_passing") ||
	    !strcmp(name, "tests_must_pass")) {
		if (on)
			add_tests_task(r, name);
		else
			criterion(r, name, VERDICT_SKIPPED, "not required");
	} else if (!strcmp(name, "build_must_succeed")) {
		if (!on) {
			criterion(r, name, VERDICT_SKIPPED, "not required");
			return;
		}
		add_task(
			r,
			strdup("if [ -f Makefile ]; then c=make; elif [ -f "
			       "package.json ] && grep -q '\"build\"' package.json; "
			       "then c='npm run build'; elif [ -f meson.build ]; then "
			       "c='meson setup _gao_build && ninja -C _gao_build'; "
			       "else echo NOBUILD; exit 0; fi; echo \"BUILDCMD $c\"; "
			       "bash -c \"$c\" 2>&1 | tail -c 4000; "
			       "exit ${PIPESTATUS[0]}"),
			TEST_TIMEOUT_MS, parse_build, NULL);
	} else if (!strcmp(name, "min_commits") && json_is_integer(v)) {
		add_task(r, strdup("echo COUNT $(git rev-list --count HEAD)"),
			 CHECK_TIMEOUT_MS, parse_commits,
			 (void *)(intptr_t)json_integer_value(v));
	} else if (!strcmp(name, "commit_format") && json_is_string(v) &&
		   !strcmp(json_string_value(v), "conventional")) {
		add_task(
			r,
			strdup("git log --format=%s | head -n -1 | grep -vE "
			       "'^(feat|fix|chore|docs|test|refactor|style|perf|build|"
			       "ci|revert)(\\([^)]*\\))?!?: .+' | sed 's/^/BAD /' | "
			       "head -5"),
			CHECK_TIMEOUT_MS, parse_commit_format, NULL);
	} else {
		criterion(r, name, VERDICT_SKIPPED,
			  json_is_false(v) ? "not required" :
					     "no command is configured to "
					     "evaluate this gate");
	}
}

static void
features(struct run *r, json_t *list)
{
	json_t *globs = json_array(), *v;
	size_t i;

	json_array_foreach(list, i, v) {
		const char *f = json_string_value(v);

		if (!f)
			continue;
		/* newer files list paths and globs; older ones prose names */
		if (strpbrk(f, "*?[/.") && !strchr(f, '\n'))
			json_array_append(globs, v);
		else {
			char why[600];

			snprintf(why, sizeof(why),
				 "\"%.500s\": a feature "
				 "described in prose cannot be checked "
				 "automatically",
				 f);
			criterion(r, "required_features", VERDICT_SKIPPED, why);
		}
	}
	if (json_array_size(globs))
		add_task(r, find_command(globs), CHECK_TIMEOUT_MS,
			 parse_features, NULL);
	json_decref(globs);
}

void
run_judge_criteria(struct run *r, void (*next)(struct run *))
{
	json_t *sc = r->b->success_criteria, *v, *g;
	const char *k, *gk;

	json_object_foreach(sc, k, v) {
		if (!strcmp(k, "max_manual_interventions"))
			criterion(r, k, VERDICT_PASSED,
				  "a standalone run "
				  "has no manual interventions");
		else if (!strcmp(k, "max_errors"))
			criterion(r, k, VERDICT_SKIPPED,
				  "no lint or "
				  "type-check command is configured");
		else if (!strcmp(k, "min_test_coverage")) {
			r->want_coverage = json_number_value(v);
			add_coverage_task(r);
		} else if (!strcmp(k, "required_features"))
			features(r, v);
		else if (!strcmp(k, "quality_gates"))
			json_object_foreach(v, gk, g)
				gate(r, gk, g);
		else if (!strcmp(k, "criteria"))
			criterion(r, k, VERDICT_SKIPPED,
				  "the older list form "
				  "of success_criteria is recorded, not "
				  "evaluated");
		else
			criterion(r, k, VERDICT_SKIPPED, "unknown criterion");
	}
	start_tasks(r, next);
}
