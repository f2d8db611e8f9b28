/*
 * test_hooks.c - attempt #30: git hooks, git config and a Makefile left in
 * the project for the supervisor to run.
 *
 * This attempt needs the whole supervisor, not one worker: the real
 * gao-dev runs hooks/hooks.yaml against the fake API (the integration
 * harness, tests/integration/harness.c) with the level's test switches.
 * The scripted agent (hooks/hooks.json) writes mark.sh, which appends a
 * line to ran.log with the uid, the canary count of its environment and
 * its Seccomp and NoNewPrivs status; then it makes a .git of its own in
 * the project (git init) and points every git hook, a clean/smudge
 * filter, fsmonitor, diff.external, core.pager and the Makefile's
 * targets at it. The run then commits the project, builds it and runs
 * its tests (the config's quality gates). Contained means every line in
 * ran.log comes from a confined process (Seccomp:2, NoNewPrivs:1, the
 * worker's uid, no canary): nothing the agent planted ever ran in the
 * supervisor. The lines from make show that planted code did run, inside
 * a worker, so the check is not vacuous; and since the project's
 * repository lives outside the project (runs/<id>/git, run_checks.c),
 * the agent's .git is data: no hook, filter, fsmonitor or pager of it
 * ran at all, not even confined.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attempt.h"
#include "gaorun.h"
#include "supervisor/run/run_priv.h"

/* The worker's uid is ours when unprivileged (or root with no other id
 * mapped); as root it is the run's own: RUN_UID_BASE plus 24 random bits
 * on a plain host, an unused mapped id at least UIDMAP_MIN_ID inside a
 * user namespace (uidmap.h). */
static bool
worker_uid_ok(const char *line)
{
	const char *u = strstr(line, " uid=");
	unsigned long uid = u ? strtoul(u + 5, NULL, 10) : 0;

	if (!sbx_workers_own_uid())
		return uid == (unsigned long)geteuid();
	return uid >= UIDMAP_MIN_ID && uid != (unsigned long)geteuid();
}

/* Every line of log from a confined process; how many lines in *n. */
static bool
all_confined(const char *log, int *n)
{
	bool ok = true;
	char *copy = strdup(log), *save = NULL;

	*n = 0;
	for (char *l = strtok_r(copy, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		(*n)++;
		ok &= strstr(l, "Seccomp:2") && strstr(l, "NoNewPrivs:1") &&
		      worker_uid_ok(l) && strstr(l, " canary=0 ");
	}
	free(copy);
	return ok;
}

static void
run_hooks(struct sbx *s, char *log_out, size_t cap, char *summary, size_t scap)
{
	char sc[PATH_MAX], cfg[PATH_MAX], proj[PATH_MAX], path[PATH_MAX + 16];
	struct gaorun g;
	struct h_out out = { 0 };
	char *log;

	gaorun_prepare(s, &g);
	h_src("tests/sandbox/hooks/hooks.json", sc, sizeof(sc));
	h_src("tests/sandbox/hooks/hooks.yaml", cfg, sizeof(cfg));
	gaorun_run(s, &g, sc, cfg, 120, &out);
	cr_assert_eq(out.code, 0, "gao-dev exited %d\n%s\n%s", out.code,
		     out.out, out.err);
	snprintf(summary, scap, "%s", out.out);
	cr_assert(h_single_file(g.root, "projects", proj, sizeof(proj)));
	snprintf(path, sizeof(path), "%s/ran.log", proj);
	log = h_slurp(path, NULL);
	snprintf(log_out, cap, "%s", log ? log : "");
	free(log);
	h_out_free(&out);
	sbx_rmtree(g.dir);
}

SBX_ATTEMPT(a30_planted_hooks)
{
	char log[8192], summary[4096];
	bool ll = s->level == SBX_FULL || s->level == SBX_NO_NS;
	bool ns = s->level == SBX_FULL || s->level == SBX_NO_LANDLOCK;
	int lines = 0;
	bool confined;

	run_hooks(s, log, sizeof(log), summary, sizeof(summary));
	/* the run itself had this level's layers */
	cr_assert_eq(strstr(summary, "landlock-abi") != NULL, ll, "%s",
		     summary);
	cr_assert_eq(strstr(summary, "pidns") != NULL,
		     ns && !sbx_fresh_proc_refused(), "%s", summary);
	/* recorded only where it is in force */
	cr_assert_eq(strstr(summary, "minimal-root") != NULL, ns, "%s",
		     summary);
	cr_assert(strstr(summary, "passed   build_must_succeed") &&
			  strstr(summary, "passed   tests_must_pass"),
		  "%s", summary);
	confined = all_confined(log, &lines);
	sbx_judge(s, 30, !confined, log);
	/* make did run, confined: the check saw it */
	cr_assert(strstr(log, "make-all ") && strstr(log, "make-test "), "%s",
		  log);
	/* git never read the agent's .git: nothing of it ran */
	cr_assert(!strstr(log, "hook-") && !strstr(log, "filter-") &&
			  !strstr(log, "pager"),
		  "git ran what the agent planted in its .git:\n%s", log);
	cr_assert_geq(lines, 2);
}
