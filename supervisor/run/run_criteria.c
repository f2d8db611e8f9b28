/*
 * run_criteria.c - the success criteria: one verdict for each check the
 * config names, in the config's order.
 *
 * Design note
 * -----------
 * Every criterion gets its entry in r->criteria when the config is read,
 * before any check runs: a slot that says "failed, not run". A check's
 * parser then fills its slot; a check that never answers leaves it
 * failed with the reason. So no criterion can go missing, whatever the
 * service workers, the project or the clock do, and the order is the
 * config's. The run's tally is made from the slots at the end.
 *
 * The verdicts fail closed: a check passes only on a complete answer
 * that says so (a TESTCMD line and exit 0, a COVERAGE figure, a COUNT, an
 * END line). A check is skipped only for a reason that depends on the
 * config or the host (not required, nothing configured to judge it, the
 * coverage module not installed), never for what the agents put in the
 * project: no tests, no build step, no coverage figure are failures.
 *
 * Two service workers run them (run_priv.h): the checks worker looks at
 * the project and the git history (it executes nothing in the project);
 * the exec worker runs the project's tests, build and coverage, which run
 * the agents' code by design (docs/results.md says so). The tools gao-dev
 * itself runs to judge take nothing from the project: python3 -I (no cwd
 * on sys.path, no PYTHON* variables), coverage with --rcfile=/dev/null, a
 * fixed PATH, git with the repository config gao-dev wrote.
 */
#include "supervisor/run/run_priv.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"

#define CHECK_TIMEOUT_MS 120000
#define TEST_TIMEOUT_MS 600000
#define REASON_MAX 600 /* bytes of a reason, cut on a character */

/* ---- the slots ---------------------------------------------------------- */

/* A new slot for criterion name: failed, not run. Its index. */
static size_t
slot_add(struct run *r, const char *name)
{
	char *clean = utf8_clean(name, strlen(name));
	json_t *c = json_pack("{s:s,s:s,s:s}", "name",
			      clean ? clean : "criterion", "outcome",
			      verdict_name(VERDICT_FAILED), "reason",
			      RUN_NOT_RUN_SVC);

	free(clean);
	json_array_append_new(r->criteria, c ? c : json_object());
	return json_array_size(r->criteria) - 1;
}

/* Slot i's verdict; the reason is made valid UTF-8 and cut on a character. */
static void
slot_set(struct run *r, size_t i, enum verdict v, const char *reason)
{
	json_t *c = json_array_get(r->criteria, i);
	char *clean = utf8_clean(reason, strlen(reason));
	char buf[REASON_MAX];

	utf8_copy(buf, sizeof(buf), clean ? clean : "(out of memory)");
	free(clean);
	json_object_set_new(c, "outcome", json_string(verdict_name(v)));
	json_object_set_new(c, "reason", json_string(buf));
}

/* A verdict known without the project: a slot, set at once. */
static void
criterion(struct run *r, const char *name, enum verdict v, const char *reason)
{
	slot_set(r, slot_add(r, name), v, reason);
}

/* The slot index carried by a task's arg. */
#define SLOT_ARG(i) ((void *)(uintptr_t)(i))
#define ARG_SLOT(a) ((size_t)(uintptr_t)(a))

/*
 * The first line of out that starts with tag, after the tag, into buf
 * (cut on a character); or NULL.
 */
static const char *
line_after(const char *out, const char *tag, char *buf, size_t cap)
{
	const char *p = out;
	size_t n = strlen(tag);

	while (p && *p) {
		if (strncmp(p, tag, n) == 0) {
			const char *e = strchr(p + n, '\n');
			size_t len = e ? (size_t)(e - p - n) : strlen(p + n);

			len = utf8_boundary(p + n, len, cap - 1);
			memcpy(buf, p + n, len);
			buf[len] = 0;
			return buf;
		}
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	return NULL;
}

/* The first line of out is tag...: what follows the tag, into buf. */
static const char *
first_line(const char *out, const char *tag, char *buf, size_t cap)
{
	return out && strncmp(out, tag, strlen(tag)) == 0 ?
		       line_after(out, tag, buf, cap) :
		       NULL;
}

/* ---- tests and build (the exec worker: the project's code runs) -------- */

static const char detect_tests[] =
	"shopt -s globstar nullglob; "
	"py=( **/test_*.py **/*_test.py ); "
	"if [ -n \"${GAO_TEST_COMMAND:-}\" ]; then c=\"$GAO_TEST_COMMAND\"; "
	"elif [ -f package.json ] && grep -q '\"test\"' package.json; then "
	"c='npm test --silent'; "
	"elif [ ${#py[@]} -gt 0 ] && python3 -I -c 'import pytest' "
	"2>/dev/null; then c='python3 -I -m pytest -q -p no:cacheprovider'; "
	"elif [ ${#py[@]} -gt 0 ]; then c='python3 -I -m unittest discover -v "
	"-p \"test*.py\"'; "
	"elif [ -f Makefile ] && grep -q '^test:' Makefile; then c='make test'; "
	"else echo NOTESTS; exit 0; fi; ";

/* A command's verdict from "TAG cmd" on its first line and its exit. */
static void
parse_ran(struct run *r, const struct msg_tool_result *res, const char *why,
	  size_t slot, const char *tag, const char *none, const char *none_why)
{
	char cmd[300], *text = NULL;

	if (!res) {
		slot_set(r, slot, VERDICT_FAILED, why);
		return;
	}
	if (strncmp(res->content, none, strlen(none)) == 0 &&
	    res->exit_code == 0) {
		slot_set(r, slot, VERDICT_FAILED, none_why);
		return;
	}
	if (!first_line(res->content, tag, cmd, sizeof(cmd))) {
		slot_set(r, slot, VERDICT_FAILED,
			 "the check gave no complete answer");
		return;
	}
	if (asprintf(&text, "%s %s %lld", cmd,
		     res->is_error ? "timed out, exit" : "exited",
		     (long long)res->exit_code) < 0)
		text = NULL;
	slot_set(r, slot,
		 res->exit_code == 0 && !res->is_error ? VERDICT_PASSED :
							 VERDICT_FAILED,
		 text ? text : "out of memory");
	free(text);
}

static void
parse_tests(struct run *r, const struct msg_tool_result *res, const char *why,
	    void *arg)
{
	parse_ran(r, res, why, ARG_SLOT(arg), "TESTCMD ", "NOTESTS",
		  "no tests were found (no test_*.py, npm test, make test, "
		  "or test_command)");
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
	run_task_add(r, r->svc_exec, cmd, TEST_TIMEOUT_MS, parse_tests,
		     SLOT_ARG(slot_add(r, name)));
}

static void
parse_build(struct run *r, const struct msg_tool_result *res, const char *why,
	    void *arg)
{
	parse_ran(r, res, why, ARG_SLOT(arg), "BUILDCMD ", "NOBUILD",
		  "no build step was found (Makefile, package.json build, "
		  "meson.build)");
}

static void
add_build_task(struct run *r, const char *name)
{
	run_task_add(
		r, r->svc_exec,
		strdup("if [ -f Makefile ]; then c=make; elif [ -f "
		       "package.json ] && grep -q '\"build\"' package.json; "
		       "then c='npm run build'; elif [ -f meson.build ]; then "
		       "c='meson setup _gao_build && ninja -C _gao_build'; "
		       "else echo NOBUILD; exit 0; fi; echo \"BUILDCMD $c\"; "
		       "bash -c \"$c\" 2>&1 | tail -c 4000; "
		       "exit ${PIPESTATUS[0]}"),
		TEST_TIMEOUT_MS, parse_build, SLOT_ARG(slot_add(r, name)));
}

/* ---- coverage ----------------------------------------------------------- */

static void
parse_coverage(struct run *r, const struct msg_tool_result *res,
	       const char *why, void *arg)
{
	size_t slot = ARG_SLOT(arg);
	double want = r->want_coverage, got;
	char buf[128], text[256], *end = NULL;

	if (!res) {
		slot_set(r, slot, VERDICT_FAILED, why);
		return;
	}
	/* a reason of the host (the tool is not installed) */
	if (first_line(res->content, "NOTOOL ", buf, sizeof(buf))) {
		slot_set(r, slot, VERDICT_SKIPPED, buf);
		return;
	}
	if (!first_line(res->content, "COVERAGE ", buf, sizeof(buf))) {
		slot_set(r, slot, VERDICT_FAILED,
			 first_line(res->content, "NOCOVERAGE ", buf,
				    sizeof(buf)) ?
				 buf :
				 "no coverage figure could be obtained");
		return;
	}
	got = strtod(buf, &end);
	if (end == buf || *end || !(got >= 0.0 && got <= 100.0)) {
		slot_set(r, slot, VERDICT_FAILED,
			 "the coverage report gave no figure");
		return;
	}
	snprintf(text, sizeof(text), "line coverage %.1f%%, required %.1f%%",
		 got, want);
	slot_set(r, slot, got >= want ? VERDICT_PASSED : VERDICT_FAILED, text);
}

/*
 * The coverage tool is the host's: python3 -I imports it from the system
 * paths only, and --rcfile=/dev/null keeps the project's .coveragerc,
 * setup.cfg, tox.ini and pyproject.toml out. The report is a process of
 * its own, and only its one row whose first field is exactly TOTAL counts
 * (a file named TOTAL_x.py has a row of its own: two rows, no figure). The
 * measured run itself runs the agents' tests (documented).
 */
static void
add_coverage_task(struct run *r)
{
	run_task_add(
		r, r->svc_exec,
		strdup("shopt -s globstar nullglob; "
		       "if ! python3 -I -c 'import coverage' 2>/dev/null; then "
		       "echo 'NOTOOL the coverage module is not installed'; "
		       "exit 0; fi; py=( **/test_*.py **/*_test.py ); "
		       "if [ ${#py[@]} -eq 0 ]; then echo 'NOCOVERAGE no Python "
		       "tests to measure (coverage is measured for Python "
		       "tests, test_*.py)'; exit 0; fi; "
		       "export COVERAGE_FILE=\"${TMPDIR:-/tmp}/.coverage\"; "
		       "rm -f \"$COVERAGE_FILE\"; "
		       "c='python3 -I -m coverage run --rcfile=/dev/null'; "
		       "if python3 -I -c 'import pytest' 2>/dev/null; then "
		       "$c -m pytest -q -p no:cacheprovider >/dev/null 2>&1; "
		       "else $c -m unittest discover -p 'test*.py' >/dev/null "
		       "2>&1; fi; t=$(python3 -I -m coverage report "
		       "--rcfile=/dev/null 2>/dev/null | awk '$1 == \"TOTAL\" "
		       "{ t = $NF; n++ } END { if (n == 1) print t }' | "
		       "tr -d %); [ -n \"$t\" ] && "
		       "echo \"COVERAGE $t\" || "
		       "echo 'NOCOVERAGE the coverage report failed'"),
		TEST_TIMEOUT_MS, parse_coverage,
		SLOT_ARG(slot_add(r, "min_test_coverage")));
}

/* ---- the git history (the checks worker) -------------------------------- */

static void
parse_commits(struct run *r, const struct msg_tool_result *res, const char *why,
	      void *arg)
{
	long want = r->want_commits, got;
	char buf[64], text[128], *end = NULL;
	size_t slot = ARG_SLOT(arg);

	if (!res) {
		slot_set(r, slot, VERDICT_FAILED, why);
		return;
	}
	if (res->exit_code != 0 ||
	    !line_after(res->content, "COUNT ", buf, sizeof(buf)) ||
	    (got = strtol(buf, &end, 10)) < 1 || end == buf || *end) {
		slot_set(r, slot, VERDICT_FAILED, "git history unreadable");
		return;
	}
	got -= 1; /* not the setup commit */
	snprintf(text, sizeof(text), "%ld commits, required %ld", got, want);
	slot_set(r, slot, got >= want ? VERDICT_PASSED : VERDICT_FAILED, text);
}

static void
parse_commit_format(struct run *r, const struct msg_tool_result *res,
		    const char *why, void *arg)
{
	char buf[512], *text = NULL;
	size_t slot = ARG_SLOT(arg);

	if (!res) {
		slot_set(r, slot, VERDICT_FAILED, why);
		return;
	}
	if (res->exit_code != 0 ||
	    !line_after(res->content, "END ", buf, sizeof(buf))) {
		slot_set(r, slot, VERDICT_FAILED, "git log unreadable");
		return;
	}
	if (!line_after(res->content, "BAD ", buf, sizeof(buf))) {
		slot_set(r, slot, VERDICT_PASSED,
			 "every commit subject is conventional");
		return;
	}
	if (asprintf(&text, "not conventional: %s", buf) < 0)
		text = NULL;
	slot_set(r, slot, VERDICT_FAILED, text ? text : "not conventional");
	free(text);
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
		if (on)
			add_build_task(r, name);
		else
			criterion(r, name, VERDICT_SKIPPED, "not required");
	} else if (!strcmp(name, "min_commits") && json_is_integer(v)) {
		r->want_commits = json_integer_value(v);
		run_task_add(r, r->svc,
			     strdup("n=$(git rev-list --count HEAD) || exit 3;"
				    " echo \"COUNT $n\""),
			     CHECK_TIMEOUT_MS, parse_commits,
			     SLOT_ARG(slot_add(r, name)));
	} else if (!strcmp(name, "commit_format") && json_is_string(v) &&
		   !strcmp(json_string_value(v), "conventional")) {
		run_task_add(
			r, r->svc,
			strdup("s=$(git log --format=%s) || exit 3; "
			       "n=$(printf '%s\\n' \"$s\" | wc -l); "
			       "printf '%s\\n' \"$s\" | head -n -1 | grep -vE "
			       "'^(feat|fix|chore|docs|test|refactor|style|perf|"
			       "build|ci|revert)(\\([^)]*\\))?!?: .+' | "
			       "head -5 | sed 's/^/BAD /'; echo \"END $n\""),
			CHECK_TIMEOUT_MS, parse_commit_format,
			SLOT_ARG(slot_add(r, name)));
	} else {
		criterion(r, name, VERDICT_SKIPPED,
			  json_is_false(v) ? "not required" :
					     "no command is configured to "
					     "evaluate this gate");
	}
}

/* ---- required_features -------------------------------------------------- */

/* The path entries of required_features and their slots. */
struct feat {
	json_t *globs; /* the patterns, in order */
	size_t n;
	size_t slot[];
};

static void
parse_features(struct run *r, const struct msg_tool_result *res,
	       const char *why, void *arg)
{
	struct feat *f = arg;
	bool *found = calloc(f->n + 1, sizeof(bool));
	char text[REASON_MAX];
	int rc = -1;

	if (res && found)
		rc = run_parse_found(res, f->n, found, text, sizeof(text));
	for (size_t i = 0; i < f->n; i++) {
		const char *pat = json_string_value(
			json_array_get(f->globs, i));
		char *t = NULL;

		if (rc < 0) {
			slot_set(r, f->slot[i], VERDICT_FAILED,
				 res ? (found ? text : "out of memory") : why);
			continue;
		}
		if (asprintf(&t, "%s: %s",
			     found[i] ? "found" : "nothing matches", pat) < 0)
			t = NULL;
		slot_set(r, f->slot[i],
			 found[i] ? VERDICT_PASSED : VERDICT_FAILED,
			 t ? t : "out of memory");
		free(t);
	}
	free(found);
	json_decref(f->globs);
	free(f);
}

/* A feature that names paths or globs (older configs have prose). */
static bool
is_path_feature(const char *f)
{
	return strpbrk(f, "*?[/.") && !strchr(f, '\n');
}

static void
features(struct run *r, json_t *list)
{
	struct feat *f = calloc(1, sizeof(*f) + (json_array_size(list) + 1) *
							sizeof(size_t));
	json_t *v;
	size_t i;

	if (f)
		f->globs = json_array();
	json_array_foreach(list, i, v) {
		const char *s = json_string_value(v);
		char *why = NULL;

		if (!s) {
			criterion(r, "required_features", VERDICT_SKIPPED,
				  "an entry that is not a string");
			continue;
		}
		if (is_path_feature(s)) {
			if (!f) {
				criterion(r, "required_features",
					  VERDICT_FAILED,
					  "not run: out of memory");
				continue;
			}
			f->slot[f->n++] = slot_add(r, "required_features");
			json_array_append(f->globs, v);
			continue;
		}
		if (asprintf(&why,
			     "\"%s\": a feature described in prose cannot be "
			     "checked automatically",
			     s) < 0)
			why = NULL;
		criterion(r, "required_features",
			  why ? VERDICT_SKIPPED : VERDICT_FAILED,
			  why ? why : "out of memory");
		free(why);
	}
	if (f && f->n) {
		run_task_add(r, r->svc, run_find_command(f->globs),
			     CHECK_TIMEOUT_MS, parse_features, f);
	} else if (f) {
		json_decref(f->globs);
		free(f);
	}
}

/* ---- all of them -------------------------------------------------------- */

/* The checks are over: the run's tally from the slots, then next. */
static void
judged(struct run *r)
{
	void (*next)(struct run *) = r->judged;
	json_t *c;
	size_t i;

	json_array_foreach(r->criteria, i, c) {
		const char *o = json_string_value(
			json_object_get(c, "outcome"));

		if (o && !strcmp(o, verdict_name(VERDICT_PASSED)))
			verdict_tally_add(&r->state.criteria, VERDICT_PASSED);
		else if (o && !strcmp(o, verdict_name(VERDICT_SKIPPED)))
			verdict_tally_add(&r->state.criteria, VERDICT_SKIPPED);
		else
			verdict_tally_add(&r->state.criteria, VERDICT_FAILED);
	}
	r->judged = NULL;
	next(r);
}

void
run_judge_criteria(struct run *r, void (*next)(struct run *))
{
	json_t *sc = r->b->success_criteria, *v, *g;
	const char *k, *gk;

	r->judged = next;
	json_object_foreach(sc, k, v) {
		if (!strcmp(k, "max_manual_interventions"))
			criterion(r, k, VERDICT_PASSED,
				  "a standalone run has no manual "
				  "interventions");
		else if (!strcmp(k, "max_errors"))
			criterion(r, k, VERDICT_SKIPPED,
				  "no lint or type-check command is "
				  "configured");
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
				  "the older list form of success_criteria "
				  "is recorded, not evaluated");
		else
			criterion(r, k, VERDICT_SKIPPED, "unknown criterion");
	}
	if (!run_state_judges_criteria(&r->state))
		run_tasks_drop(
			r, r->state.status == RUN_STATUS_TIMEOUT ?
				   RUN_NOT_RUN_TIME :
				   "not run: the run ended before its checks");
	run_tasks_start(r, judged);
}
