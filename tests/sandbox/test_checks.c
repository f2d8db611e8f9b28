/*
 * test_checks.c - issue #10, classes 4 and 5: the checks fail closed, and
 * git and the judging tools take nothing from the agents.
 *
 * Each test runs the real gao-dev against the fake API (the integration
 * harness) with the level's test switches, as the escape suite's user
 * (run-as-users: root, then an unprivileged user). The agents' attacks
 * are scripted in checks/checks.json; command phases and the config do
 * the rest. The expected outcome at each level is written down in
 * docs/escape-suite.md ("Checks and git") and asserted here:
 *
 *  - planted_git_and_bent_artifacts: a strict agent writes a .git with
 *    fsmonitor, hooks, a filter and an include; an agent with Bash
 *    plants a nested repository, replaces artifacts with a FIFO, an
 *    outside symlink and unreadable files, tries to write the run's real
 *    git directory, and makes the whole project unreadable. Nothing
 *    planted runs, no artifact that is not a readable file counts, and
 *    every criterion is failed, never passed or absent. Writing the real
 *    git directory is refused wherever Landlock is on;
 *  - killed_service_worker: a command that kills its service worker
 *    (its own, at every level) loses its own call only: the later phases
 *    and checks still run on a fresh worker, every criterion is present;
 *  - utf8_cuts_and_order: long reasons with multi-byte characters at the
 *    cut, every verdict present in the config's order, no skip that
 *    depends on the project;
 *  - run_time_limit_bounds_checks: checks and command phases end within
 *    the run's time limit, "not run: run time limit", status timeout;
 *  - project_cannot_replace_tools: a pytest.py, unittest.py and
 *    coverage.py in the project do not replace the judging tools;
 *  - boilerplate_url_clones: the clone of a file:// template still works
 *    with the history outside the project.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attempt.h"
#include "gaorun.h"

/* One gao-dev run of a config text at a level. */
struct chk {
	struct gaorun g; /* its directory, key file and sandbox root */
	char project[PATH_MAX];
	struct h_out out;
	json_t *res;
	double seconds;
};

/*
 * Run yaml (written as bench.yaml, "@DIR@" replaced by the test's
 * directory) at s's level, after the shell snippet setup (NULL: none) ran
 * in that directory; results into c.
 */
static void
chk_run_with(const struct sbx *s, struct chk *c, const char *yaml,
	     const char *setup, int timeout_s)
{
	char sc[PATH_MAX], cfg[PATH_MAX], path[PATH_MAX];
	FILE *f;

	memset(c, 0, sizeof(*c));
	gaorun_prepare(s, &c->g);
	snprintf(cfg, sizeof(cfg), "%s/bench.yaml", c->g.dir);
	f = fopen(cfg, "we");
	cr_assert_not_null(f);
	/* "@DIR@" in the config stands for the test's directory */
	for (const char *p = yaml; *p; p++) {
		if (strncmp(p, "@DIR@", 5) == 0) {
			cr_assert_geq(fputs(c->g.dir, f), 0);
			p += 4;
		} else {
			cr_assert_neq(fputc(*p, f), EOF);
		}
	}
	cr_assert_eq(fclose(f), 0);
	if (setup) {
		char *sh = NULL;

		cr_assert_geq(asprintf(&sh, "cd '%s' && (%s) >/dev/null 2>&1",
				       c->g.dir, setup),
			      0);
		cr_assert_eq(system(sh), 0, "setup failed: %s", setup);
		free(sh);
	}
	h_src("tests/sandbox/checks/checks.json", sc, sizeof(sc));
	c->seconds = gaorun_run(s, &c->g, sc, cfg, timeout_s, &c->out);
	cr_assert(h_single_file(c->g.root, "results", path, sizeof(path)),
		  "no results file; gao-dev exited %d\n%s", c->out.code,
		  c->out.err);
	c->res = json_load_file(path, 0, NULL);
	cr_assert_not_null(c->res, "%s is not JSON", path);
	snprintf(c->project, sizeof(c->project), "%s",
		 json_string_value(json_object_get(c->res, "project_dir")));
	/* an agent may have locked it: open it again to look and clean up */
	chmod(c->project, 0700);
}

static void
chk_run(const struct sbx *s, struct chk *c, const char *yaml, int timeout_s)
{
	chk_run_with(s, c, yaml, NULL, timeout_s);
}

static void
chk_free(struct chk *c)
{
	json_decref(c->res);
	h_out_free(&c->out);
	sbx_rmtree(c->g.dir);
}

static const char *
str(const json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v ? v : "";
}

static const json_t *
phase(const struct chk *c, size_t i)
{
	const json_t *p = json_array_get(json_object_get(c->res, "phases"), i);

	cr_assert_not_null(p, "no phase %zu", i);
	return p;
}

/* Criterion i: its name and outcome, and a reason containing why. */
static void
verdict(const struct chk *c, size_t i, const char *name, const char *outcome,
	const char *why)
{
	const json_t *v = json_array_get(json_object_get(c->res,
							 "success_criteria"),
					 i);

	cr_assert_not_null(v, "no criterion %zu", i);
	cr_assert_str_eq(str(v, "name"), name, "criterion %zu", i);
	cr_assert_str_eq(str(v, "outcome"), outcome, "%s #%zu: %s (%s)", name,
			 i, str(v, "outcome"), str(v, "reason"));
	if (why)
		cr_assert_not_null(strstr(str(v, "reason"), why),
				   "%s #%zu: reason \"%s\" lacks \"%s\"", name,
				   i, str(v, "reason"), why);
}

static size_t
n_criteria(const struct chk *c)
{
	return json_array_size(json_object_get(c->res, "success_criteria"));
}

static void
assert_run(const struct chk *c, int code, const char *status)
{
	cr_assert_eq(c->out.code, code, "exit %d, want %d\n%s\n%s", c->out.code,
		     code, c->out.out, c->out.err);
	cr_assert_str_eq(str(c->res, "status"), status, "stop_reason %s",
			 str(c->res, "stop_reason"));
}

static bool
in_project(const struct chk *c, const char *name)
{
	char path[PATH_MAX + 64];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", c->project, name);
	return lstat(path, &st) == 0;
}

static char *
project_file(const struct chk *c, const char *name)
{
	char path[PATH_MAX + 64];
	char *t;

	snprintf(path, sizeof(path), "%s/%s", c->project, name);
	t = h_slurp(path, NULL);
	return t ? t : strdup("");
}

/* `git --git-dir <git_dir> args...`: its output (malloc'ed). */
static char *
git_out(const struct chk *c, const char *args)
{
	char cmd[PATH_MAX + 256], *out;
	FILE *p;
	size_t n;

	snprintf(cmd, sizeof(cmd),
		 "GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null git "
		 "-c safe.directory='*' -c core.fsmonitor=false "
		 "--git-dir '%s' %s 2>&1",
		 str(c->res, "git_dir"), args);
	p = popen(cmd, "re");
	cr_assert_not_null(p);
	out = calloc(1, 65536);
	cr_assert_not_null(out);
	n = fread(out, 1, 65535, p);
	out[n] = 0;
	pclose(p);
	return out;
}

/* ---- planted git, bent artifacts, a locked project ---------------------- */

static const char planted_yaml[] =
	"name: checks-attacks\n"
	"description: the agents attack what gao-dev judges\n"
	"initial_prompt: Do what the scenario says.\n"
	"timeout_seconds: 240\n"
	"workflow_phases:\n"
	"  - phase_name: Plant\n    agent: John\n"
	"  - phase_name: Reach\n    agent: Amelia\n"
	"  - phase_name: Attack\n    agent: Amelia\n"
	"    expected_artifacts: [good.txt, link-in.txt, app.py, notes.txt,"
	" data.txt, docs/]\n"
	"    continue_on_failure: true\n"
	"  - phase_name: Lock\n    agent: Amelia\n"
	"    expected_artifacts: [good.txt]\n"
	"    continue_on_failure: true\n"
	"success_criteria:\n"
	"  required_features: [good.txt, \"*.txt\"]\n"
	"  quality_gates:\n"
	"    min_commits: 1\n"
	"    commit_format: conventional\n";

static void
assert_artifacts(const json_t *p, const char *found, const char *missing)
{
	const json_t *a = json_object_get(p, "artifacts");
	char *f = json_dumps(json_object_get(a, "found"), JSON_COMPACT);
	char *m = json_dumps(json_object_get(a, "missing"), JSON_COMPACT);

	cr_assert_str_eq(f, found, "found %s (missing %s)", f, m);
	cr_assert_str_eq(m, missing, "missing %s", m);
	free(f);
	free(m);
}

SBX_ATTEMPT(chk_planted_git_and_bent_artifacts)
{
	static const char *const never[] = {
		"PWNED-fsmonitor",    "PWNED-filter", "PWNED-hook",
		"PWNED-include",      "PWNED-nested", "PWNED-real-hook",
		"PWNED-nested-write",
	};
	bool landlock = s->level == SBX_FULL || s->level == SBX_NO_NS;
	struct chk c;
	char *reach, *log, *cfg;
	bool wrote;

	chk_run(s, &c, planted_yaml, 200);
	/* the Lock phase's project cannot be measured: the run stops there
	 * (the project watch fails closed, docs/security.md "Run totals") */
	assert_run(&c, 5, "stopped");
	/* the summary says where the history is */
	cr_assert_not_null(strstr(c.out.out, "history:   git --git-dir "), "%s",
			   c.out.out);
	cr_assert_str_eq(str(phase(&c, 0), "policy"), "strict");
	cr_assert_str_eq(str(phase(&c, 0), "status"), "success");
	cr_assert_str_eq(str(phase(&c, 1), "status"), "success");
	/* a FIFO, a symlink out, an unreadable file: missing */
	cr_assert_str_eq(str(phase(&c, 2), "status"), "failed");
	cr_assert_str_eq(str(phase(&c, 2), "stop_reason"), "missing_artifacts");
	assert_artifacts(phase(&c, 2),
			 "[\"good.txt\",\"link-in.txt\",\"docs/\"]",
			 "[\"app.py\",\"notes.txt\",\"data.txt\"]");
	cr_assert_str_eq(str(phase(&c, 3), "status"), "stopped");
	cr_assert_str_eq(str(phase(&c, 3), "stop_reason"), "disk_limit");
	/* every criterion, in order; none passes when the run stopped */
	cr_assert_eq(n_criteria(&c), 4);
	verdict(&c, 0, "required_features", "failed", "not run");
	verdict(&c, 1, "required_features", "failed", "not run");
	verdict(&c, 2, "min_commits", "failed", NULL);
	verdict(&c, 3, "commit_format", "failed", NULL);
	/* nothing the agents planted in their .git ran, at any level */
	for (size_t i = 0; i < sizeof(never) / sizeof(*never); i++)
		cr_assert(!in_project(&c, never[i]), "%s exists", never[i]);
	/* the real git directory: out of reach wherever Landlock is on */
	reach = project_file(&c, "reach-outcome.txt");
	wrote = strstr(reach, "WROTE-REAL") != NULL;
	cr_assert(wrote || strstr(reach, "DENIED-REAL"), "%s", reach);
	if (landlock)
		cr_assert(!wrote, "an agent wrote the run's git config");
	/* no Landlock and no mount view: the same uid reaches it (the
	 * known gap of that level); with a mount namespace it depends on
	 * the view (escape-suite.md, "Checks and git") */
	if (s->level == SBX_SECCOMP_ONLY)
		cr_assert(wrote, "the seccomp-only level hid the git dir: "
				 "update docs/escape-suite.md");
	/* what it wrote is what ran: never more */
	cr_assert_eq(in_project(&c, "PWNED-real"), wrote);
	cfg = git_out(&c, "config --local --list");
	cr_assert_eq(strstr(cfg, "PWNED") != NULL, wrote, "%s", cfg);
	cr_assert_not_null(strstr(cfg, "core.hookspath=/dev/null"), "%s", cfg);
	sbx_note("checks: the run's git directory, written by an agent at "
		 "level %s as %s: %s",
		 sbx_level_name(s->level), sbx_is_root() ? "root" : "a user",
		 wrote ? "yes (no Landlock, path reachable)" : "no");
	/* the history: the agents' files, never a .git of theirs */
	log = git_out(&c, "log --format=%s --name-only");
	cr_assert_not_null(strstr(log, "chore(plant): Plant by John\n\n"
				       ".gitattributes\nevil.inc\ngood.txt\n"),
			   "%s", log);
	cr_assert_not_null(strstr(log, "chore(reach): Reach by Amelia"), "%s",
			   log);
	cr_assert_null(strstr(log, ".git/"), "%s", log);
	cr_assert_null(strstr(log, "chore(attack)"), "%s", log);
	free(reach);
	free(log);
	free(cfg);
	chk_free(&c);
}

/* ---- a service worker killed again and again ---------------------------- */

/* Kill the gao-dev-worker this command runs under (never PID 1). */
#define KILLER \
	"p=$$; while [ \"$p\" -gt 1 ]; do " \
	"if [ \"$(cat /proc/$p/comm)\" = gao-dev-worker ]; then " \
	"kill -KILL $p; fi; p=$(awk '{print $4}' /proc/$p/stat); done; " \
	"echo survived"

static const char killer_yaml[] =
	"name: checks-killer\n"
	"description: commands kill their service worker\n"
	"initial_prompt: unused\n"
	"timeout_seconds: 240\n"
	"test_command: |-\n  " KILLER "\n"
	"workflow_phases:\n"
	"  - phase_name: Prepare\n"
	"    command: \"printf 'all:\\\\n\\\\ttrue\\\\n' > Makefile && "
	"echo one > one.txt\"\n"
	"  - phase_name: Killer\n"
	"    command: |-\n      " KILLER "\n"
	"    continue_on_failure: true\n"
	"  - phase_name: After\n"
	"    command: echo two > two.txt\n"
	"success_criteria:\n"
	"  required_features: [one.txt, two.txt]\n"
	"  quality_gates:\n"
	"    tests_passing: true\n"
	"    build_must_succeed: true\n"
	"    min_commits: 2\n";

SBX_ATTEMPT(chk_killed_service_worker)
{
	struct chk c;

	chk_run(s, &c, killer_yaml, 200);
	/* the command reached its worker (at every level: in a PID
	 * namespace the worker is not its init), so the test is not idle */
	cr_assert_str_eq(str(phase(&c, 1), "status"), "failed",
			 "Killer survived: %s", str(phase(&c, 1), "output"));
	cr_assert_str_eq(str(phase(&c, 1), "stop_reason"), "worker_failed");
	assert_run(&c, 1, "failed");
	cr_assert_str_eq(str(phase(&c, 0), "status"), "success");
	/* the phase after the kills ran on a fresh worker */
	cr_assert_str_eq(str(phase(&c, 2), "status"), "success");
	cr_assert_eq(n_criteria(&c), 5);
	verdict(&c, 0, "required_features", "passed", "found: one.txt");
	verdict(&c, 1, "required_features", "passed", "found: two.txt");
	verdict(&c, 2, "tests_passing", "failed",
		"not run: service worker unavailable");
	/* the same worker's next calls got their own restarts */
	verdict(&c, 3, "build_must_succeed", "passed", "make exited 0");
	verdict(&c, 4, "min_commits", "passed", "2 commits");
	chk_free(&c);
}

/* ---- UTF-8 at the cut, order, skips ------------------------------------- */

/* n copies of the two-byte "é" after prefix (malloc'ed). */
static char *
accents(const char *prefix, size_t n, const char *suffix)
{
	size_t cap = strlen(prefix) + 2 * n + strlen(suffix) + 1;
	char *s = malloc(cap);

	cr_assert_not_null(s);
	snprintf(s, cap, "%s", prefix);
	for (size_t i = 0; i < n; i++)
		strcat(s, "\xc3\xa9");
	strcat(s, suffix);
	return s;
}

static void
chk_utf8_cuts_and_order(struct sbx *s)
{
	/* odd prefixes put a character across every even byte cut */
	char *prose = accents("a", 400, "");
	char *glob = accents("docs/b", 300, ".md");
	char *echo = accents("echo c", 300, "");
	char *yaml = NULL;
	const json_t *v;
	struct chk c;
	size_t i;

	cr_assert_geq(asprintf(&yaml,
			       "name: checks-utf8\ndescription: long reasons\n"
			       "initial_prompt: unused\ntimeout_seconds: 120\n"
			       "test_command: \"%s\"\n"
			       "workflow_phases:\n"
			       "  - phase_name: Make\n"
			       "    command: echo hi > hi.txt\n"
			       "success_criteria:\n"
			       "  required_features:\n"
			       "    - \"%s\"\n    - \"%s\"\n    - hi.txt\n"
			       "  quality_gates:\n"
			       "    tests_passing: true\n"
			       "    build_must_succeed: true\n"
			       "    min_commits: 1\n"
			       "  max_errors: 0\n"
			       "  min_test_coverage: 50\n",
			       echo, prose, glob),
		      0);
	chk_run(s, &c, yaml, 120);
	assert_run(&c, 1, "failed");
	cr_assert_eq(n_criteria(&c), 8);
	verdict(&c, 0, "required_features", "skipped", "a\xc3\xa9\xc3\xa9");
	verdict(&c, 1, "required_features", "failed",
		"nothing matches: docs/b");
	verdict(&c, 2, "required_features", "passed", "found: hi.txt");
	verdict(&c, 3, "tests_passing", "passed", "echo c\xc3\xa9");
	/* the project's content never makes a check skipped */
	verdict(&c, 4, "build_must_succeed", "failed", "no build step");
	verdict(&c, 5, "min_commits", "passed", "1 commits");
	verdict(&c, 6, "max_errors", "skipped", "no lint");
	v = json_array_get(json_object_get(c.res, "success_criteria"), 7);
	if (!strcmp(str(v, "outcome"), "skipped"))
		verdict(&c, 7, "min_test_coverage", "skipped",
			"the coverage module is not installed");
	else
		verdict(&c, 7, "min_test_coverage", "failed",
			"no Python tests");
	/* cut, on a character: jansson loaded it, so it is valid UTF-8 */
	json_array_foreach(json_object_get(c.res, "success_criteria"), i, v)
		cr_assert_lt(strlen(str(v, "reason")), 600, "%zu", i);
	free(prose);
	free(glob);
	free(echo);
	free(yaml);
	chk_free(&c);
}

SBX_TEST_AT(full, SBX_FULL, chk_utf8_cuts_and_order)
SBX_TEST_AT(seccomp_only, SBX_SECCOMP_ONLY, chk_utf8_cuts_and_order)

/* ---- the run's time limit bounds the checks ----------------------------- */

/* The run's clock starts before its setup (workers, the project), which
 * took more than 2 s on a loaded host (tests/integration/test_bench_paths.c):
 * limits of 15 s (setup, the phase and a passing check before the cut) and
 * 10 s (setup before the cut) leave that room, and still end the sleeps
 * of 60 s long before they would. */

static const char slow_checks_yaml[] =
	"name: checks-time\ndescription: a slow test command\n"
	"initial_prompt: unused\ntimeout_seconds: 15\n"
	"test_command: sleep 60\n"
	"workflow_phases:\n"
	"  - phase_name: Make\n    command: echo a > a.txt\n"
	"success_criteria:\n"
	"  required_features: [a.txt]\n"
	"  quality_gates:\n"
	"    tests_passing: true\n"
	"    min_commits: 1\n";

static const char slow_command_yaml[] =
	"name: checks-time-command\ndescription: a slow command phase\n"
	"initial_prompt: unused\ntimeout_seconds: 10\n"
	"workflow_phases:\n"
	"  - phase_name: Sleep\n    command: sleep 60\n"
	"    timeout_seconds: 120\n"
	"  - phase_name: Later\n    command: echo b > b.txt\n"
	"success_criteria:\n"
	"  required_features: [b.txt]\n";

static void
chk_run_time_limit_bounds_checks(struct sbx *s)
{
	struct chk c;

	/* a check cut by the deadline, and the checks after it */
	chk_run(s, &c, slow_checks_yaml, 60);
	assert_run(&c, 5, "timeout");
	cr_assert_str_eq(str(c.res, "stop_reason"), "run_timeout");
	cr_assert_lt(c.seconds, 15 + 6.0, "took %.1f s", c.seconds);
	cr_assert_eq(n_criteria(&c), 3);
	verdict(&c, 0, "required_features", "passed", "found: a.txt");
	verdict(&c, 1, "tests_passing", "failed", "not run: run time limit");
	verdict(&c, 2, "min_commits", "failed", "not run: run time limit");
	chk_free(&c);
	/* a command phase cut by the deadline: the run ends, no check runs */
	chk_run(s, &c, slow_command_yaml, 60);
	assert_run(&c, 5, "timeout");
	cr_assert_str_eq(str(c.res, "stop_reason"), "run_timeout");
	cr_assert_lt(c.seconds, 10 + 6.0, "took %.1f s", c.seconds);
	cr_assert_eq(json_array_size(json_object_get(c.res, "phases")), 1);
	cr_assert_str_eq(str(phase(&c, 0), "status"), "timeout");
	cr_assert_eq(n_criteria(&c), 1);
	verdict(&c, 0, "required_features", "failed",
		"not run: run time limit");
	chk_free(&c);
}

SBX_TEST_AT(full, SBX_FULL, chk_run_time_limit_bounds_checks)
SBX_TEST_AT(seccomp_only, SBX_SECCOMP_ONLY, chk_run_time_limit_bounds_checks)

/* ---- the project cannot replace the judging tools ----------------------- */

static const char shadow_yaml[] =
	"name: checks-shadow\ndescription: tools shadowed by the project\n"
	"initial_prompt: Do what the scenario says.\ntimeout_seconds: 200\n"
	"workflow_phases:\n"
	"  - phase_name: Shadow\n    agent: Amelia\n"
	"success_criteria:\n"
	"  min_test_coverage: 99\n"
	"  quality_gates:\n"
	"    tests_passing: true\n";

static void
chk_project_cannot_replace_tools(struct sbx *s)
{
	const json_t *v;
	struct chk c;

	chk_run(s, &c, shadow_yaml, 200);
	assert_run(&c, 1, "failed");
	cr_assert_eq(n_criteria(&c), 2);
	v = json_array_get(json_object_get(c.res, "success_criteria"), 0);
	/* the host's coverage or none: never the project's 99.9 % */
	if (!strcmp(str(v, "outcome"), "skipped"))
		verdict(&c, 0, "min_test_coverage", "skipped",
			"the coverage module is not installed");
	else
		verdict(&c, 0, "min_test_coverage", "failed", "line coverage");
	cr_assert_null(strstr(str(v, "reason"), "99.9"), "%s",
		       str(v, "reason"));
	/* the real test runner ran the real, failing test */
	verdict(&c, 1, "tests_passing", "failed", "python3 -I -m ");
	verdict(&c, 1, "tests_passing", "failed", "exited 1");
	chk_free(&c);
}

SBX_TEST_AT(full, SBX_FULL, chk_project_cannot_replace_tools)
SBX_TEST_AT(seccomp_only, SBX_SECCOMP_ONLY, chk_project_cannot_replace_tools)

/* ---- boilerplate_url still clones, its history dropped ------------------ */

static const char clone_yaml[] =
	"name: checks-clone\ndescription: a cloned template\n"
	"initial_prompt: unused\ntimeout_seconds: 120\n"
	"boilerplate_url: file://@DIR@/tpl\n"
	"workflow_phases:\n"
	"  - phase_name: Touch\n    command: echo more > more.txt\n"
	"    expected_artifacts: [README.md, more.txt]\n"
	"success_criteria:\n"
	"  quality_gates:\n"
	"    min_commits: 1\n";

static void
chk_boilerplate_url_clones(struct sbx *s)
{
	struct chk c;
	char *log;

	chk_run_with(s, &c, clone_yaml,
		     "git init -q tpl && cd tpl && echo TEMPLATE > README.md "
		     "&& git add README.md && git -c user.name=t -c "
		     "user.email=t@t.invalid commit -qm template",
		     120);
	assert_run(&c, 0, "completed");
	/* the clone's .git is gone; the template is the first commit */
	cr_assert(!in_project(&c, ".git"), "the clone's .git is left");
	cr_assert(in_project(&c, "README.md"));
	log = git_out(&c, "log --format=%s --name-only");
	cr_assert_str_eq(log, "chore(touch): Touch by command\n\nmore.txt\n"
			      "chore: initial project setup\n\nREADME.md\n");
	verdict(&c, 0, "min_commits", "passed", "1 commits");
	free(log);
	chk_free(&c);
}

SBX_TEST_AT(full, SBX_FULL, chk_boilerplate_url_clones)
SBX_TEST_AT(seccomp_only, SBX_SECCOMP_ONLY, chk_boilerplate_url_clones)
