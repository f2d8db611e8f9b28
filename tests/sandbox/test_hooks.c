/*
 * test_hooks.c - attempt #30: git hooks, git config and a Makefile left in
 * the project for the supervisor to run.
 *
 * This attempt needs the whole supervisor, not one worker: the real
 * gao-dev runs hooks/hooks.yaml against the fake API (the integration
 * harness, tests/integration/harness.c) with the level's test switches.
 * The scripted agent (hooks/hooks.json) writes mark.sh, which appends a
 * line to ran.log with the uid, the canary count of its environment and
 * its Seccomp and NoNewPrivs status; then it points every git hook, a
 * clean/smudge filter, fsmonitor, diff.external, core.pager and the
 * Makefile's targets at it. The run then commits the project, builds it
 * and runs its tests (the config's quality gates), so git and make do
 * meet all of it. Contained means every line in ran.log comes from a
 * confined process (Seccomp:2, NoNewPrivs:1, the worker's uid, no
 * canary): nothing the agent planted ever ran in the supervisor. The
 * lines from make and the filter show that the planted code did run,
 * inside a worker, so the check is not vacuous.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../integration/harness.h"
#include "attempt.h"
#include "supervisor/run/run_priv.h"

/* The gao-dev options that give this level. */
static void
level_args(enum sbx_level lv, const char **a, size_t *n)
{
	if (lv == SBX_NO_NS || lv == SBX_SECCOMP_ONLY)
		a[(*n)++] = "--test-no-namespaces";
	if (lv == SBX_NO_LANDLOCK || lv == SBX_SECCOMP_ONLY) {
		a[(*n)++] = "--test-disable-layers";
		a[(*n)++] = "4"; /* MSG_LAYER_LANDLOCK */
	}
}

/* The worker's uid is ours when unprivileged; as root it is the run's
 * own, RUN_UID_BASE plus 24 random bits (run_priv.h). */
static bool
worker_uid_ok(const char *line)
{
	const char *u = strstr(line, " uid=");
	unsigned long uid = u ? strtoul(u + 5, NULL, 10) : 0;

	if (!sbx_is_root())
		return uid == (unsigned long)geteuid();
	return uid >= RUN_UID_BASE && uid < RUN_UID_BASE + (1ul << 24);
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
	char dir[256], key[512], root[600], base[128], sc[PATH_MAX],
		cfg[PATH_MAX], proj[PATH_MAX], path[PATH_MAX + 16];
	const char *args[16] = { "sandbox",
				 "run",
				 cfg,
				 "--standalone",
				 "--api-key-file",
				 key,
				 "--sandbox-root",
				 root };
	const char *env[] = { base, NULL };
	struct h_fake fake;
	struct h_out out = { 0 };
	size_t n = 8;
	char *log;

	setenv("GAO_DEV", sbx_gao_dev_path(), 1);
	setenv("SOURCE_ROOT", sbx_source_root(), 1);
	h_tmpdir(dir, sizeof(dir));
	/* without namespaces gao-dev cannot reach a sandbox root below a
	 * 0700 directory (it refuses it, test_private_root.c): let the
	 * workers' uid pass, as an operator would */
	if (s->level == SBX_NO_NS || s->level == SBX_SECCOMP_ONLY)
		cr_assert_eq(chmod(dir, 0711), 0);
	h_keyfile(dir, H_TEST_KEY, key, sizeof(key));
	snprintf(root, sizeof(root), "%s/sandbox", dir);
	h_src("tests/sandbox/hooks/hooks.json", sc, sizeof(sc));
	h_src("tests/sandbox/hooks/hooks.yaml", cfg, sizeof(cfg));
	h_fake_start(&fake, sc, key, dir);
	snprintf(base, sizeof(base), "ANTHROPIC_BASE_URL=http://127.0.0.1:%d",
		 fake.port);
	level_args(s->level, args, &n);
	args[n] = NULL;
	h_run(args, env, dir, 120, &out);
	h_fake_stop(&fake);
	cr_assert_eq(out.code, 0, "gao-dev exited %d\n%s\n%s", out.code,
		     out.out, out.err);
	snprintf(summary, scap, "%s", out.out);
	cr_assert(h_single_file(root, "projects", proj, sizeof(proj)));
	snprintf(path, sizeof(path), "%s/ran.log", proj);
	log = h_slurp(path, NULL);
	snprintf(log_out, cap, "%s", log ? log : "");
	free(log);
	h_out_free(&out);
	sbx_rmtree(dir);
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
	cr_assert_eq(strstr(summary, "pidns") != NULL, ns, "%s", summary);
	/* recorded only where it is in force */
	cr_assert_eq(strstr(summary, "minimal-root") != NULL, ns, "%s",
		     summary);
	cr_assert(strstr(summary, "passed   build_must_succeed") &&
			  strstr(summary, "passed   tests_must_pass"),
		  "%s", summary);
	confined = all_confined(log, &lines);
	sbx_judge(s, 30, !confined, log);
	/* make and the filter did run, confined: the check saw them */
	cr_assert(strstr(log, "make-all ") && strstr(log, "make-test ") &&
			  strstr(log, "filter-clean "),
		  "%s", log);
	cr_assert_geq(lines, 3);
}
