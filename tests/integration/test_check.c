/*
 * test_check.c - gao-dev sandbox check tells the truth (issue 11): what
 * it reports for this host equals, layer for layer, what a real run
 * against the fake API records in its results: the agent's layers and
 * Landlock ABI (phases[].isolation), the run's cgroup and caps
 * (isolation.run_caps), and the --require-isolation level: a run at the
 * level the check reports passes, a run one level above it ends exit 4.
 *
 * Nothing here knows what this host gives: every assertion compares the
 * check with a run, or the check with its own documented rules, so the
 * tests hold on any host. They run as root and again as an ordinary
 * user (check_unprivileged, through as-user). In a build with the test
 * switches, the lower levels are reached on purpose (no namespaces, no
 * Landlock, no seccomp) and compared the same way, with the exit codes
 * of docs/decisions.md ("sandbox check").
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "harness.h"
#include "harness_bench.h"
#include "harness_check.h"

/* A fake API playing one Bash call and "done" for Amelia (plain.yaml). */
static void
start(struct hb *t)
{
	json_t *sc = json_pack("{s:s,s:[{s:s,s:s,s:[{s:[{s:s,s:s,s:{s:s}}]},"
			       "{s:[{s:s,s:s}]}]}]}",
			       "description", "test_check", "conversations",
			       "name", "amelia", "match", "Amelia", "turns",
			       "content", "type", "tool_use", "name", "Bash",
			       "input", "command", "echo hi", "content", "type",
			       "text", "text", "done");
	char path[600];

	memset(t, 0, sizeof(*t));
	h_tmpdir(t->dir, sizeof(t->dir));
	/* without namespaces the run's uid must pass through to the root */
	cr_assert_eq(chmod(t->dir, 0711), 0);
	h_keyfile(t->dir, H_TEST_KEY, t->key, sizeof(t->key));
	snprintf(t->root, sizeof(t->root), "%s/sandbox", t->dir);
	snprintf(path, sizeof(path), "%s/scenario.json", t->dir);
	cr_assert_eq(json_dump_file(sc, path, JSON_INDENT(1)), 0);
	json_decref(sc);
	h_fake_start(&t->fake, path, t->key, t->dir);
	snprintf(t->base, sizeof(t->base),
		 "ANTHROPIC_BASE_URL=http://127.0.0.1:%d", t->fake.port);
}

/* `gao-dev sandbox check --json EXTRA...`: its exit code, its report. */
static json_t *
check(struct hb *t, const char *const *extra, int *code)
{
	const char *args[16] = { "sandbox", "check", "--json" };
	const char *env[] = { NULL };
	struct h_out o;
	json_error_t e;
	json_t *j;
	size_t n = 3;

	for (size_t i = 0; extra && extra[i] && n < 15; i++)
		args[n++] = extra[i];
	args[n] = NULL;
	h_run(args, env, t->dir, 60, &o);
	*code = o.code;
	j = json_loads(o.out, 0, &e);
	cr_assert(j, "check: no JSON (%s); exit %d\nstdout:\n%s\nstderr:\n%s",
		  e.text, o.code, o.out, o.err);
	cr_assert_eq(hb_int(j, "exit_code"), o.code, "stdout:\n%s", o.out);
	cr_assert_str_eq(hb_str(j, "schema"), "gao-dev-sandbox-check/1");
	h_out_free(&o);
	return j;
}

/* A run of plain.yaml with extra options; its results (NULL: none). */
static json_t *
run(struct hb *t, const char *const *extra)
{
	static int runs;
	char cfg[600];
	const char *args[16] = { cfg };
	size_t n = 1;

	/* a root of its own: hb_results wants the run's only results file */
	snprintf(t->root, sizeof(t->root), "%s/sandbox-%d", t->dir, ++runs);
	h_src("tests/integration/configs/plain.yaml", cfg, sizeof(cfg));
	for (size_t i = 0; extra && extra[i] && n < 15; i++)
		args[n++] = extra[i];
	args[n] = NULL;
	hb_run(t, args, 120);
	return hb_results(t);
}

/* The check and the run's agent agree on every layer and the caps. */
static void
assert_same(const json_t *c, const json_t *r)
{
	const json_t *iso = json_object_get(hb_phase(r, 0), "isolation");
	const json_t *cc = json_object_get(c, "run_caps");
	const json_t *rc = json_object_get(json_object_get(r, "isolation"),
					   "run_caps");
	static const char *const caps[] = {
		"cgroup",       "memory_enforced",
		"processes",    "processes_enforced",
		"memory_bytes", "disk_bytes",
		"files"
	};

	cr_assert(json_is_true(json_object_get(json_object_get(c, "worker"),
					       "started")),
		  "the check's worker did not start");
	cr_assert_eq(hb_int(c, "layer_bits"), hb_int(iso, "layers"),
		     "check %s, run %s", hb_str(c, "summary"),
		     hb_str(iso, "summary"));
	cr_assert_eq(hb_int(c, "landlock_abi"), hb_int(iso, "landlock_abi"));
	cr_assert_str_eq(hb_str(c, "summary"), hb_str(iso, "summary"));
	for (size_t i = 0; i < sizeof(caps) / sizeof(*caps); i++)
		cr_assert(json_equal(json_object_get(cc, caps[i]),
				     json_object_get(rc, caps[i])),
			  "run_caps.%s: check %s, run %s", caps[i],
			  json_dumps(json_object_get(cc, caps[i]),
				     JSON_ENCODE_ANY),
			  json_dumps(json_object_get(rc, caps[i]),
				     JSON_ENCODE_ANY));
	/* the list of names is the bits, one by one */
	cr_assert_eq(json_array_size(json_object_get(c, "layers")),
		     (size_t)__builtin_popcountll(
			     (unsigned long long)hb_int(c, "layer_bits")));
}

/*
 * The whole comparison under the options sw (test switches or none):
 * check, run, layers and caps equal; a run at the reported level passes
 * and one level above ends as isolation_unmet, exit 4; the check's own
 * --require-isolation says the same. Returns the check's report.
 */
static json_t *
compare(struct hb *t, const char *const *sw, int want_code)
{
	const char *extra[12] = { "--skip-key-validation" };
	const char *cextra[12] = { 0 };
	size_t n = 1, k = 0;
	json_t *c, *r;
	int code, lvl;

	for (size_t i = 0; sw && sw[i]; i++) {
		extra[n++] = sw[i];
		cextra[k++] = sw[i];
	}
	c = check(t, cextra, &code);
	cr_assert_eq(code, want_code, "check exit %d, want %d:\n%s", code,
		     want_code, json_dumps(c, JSON_INDENT(1)));
	r = run(t, extra);
	assert_same(c, r);
	json_decref(r);
	lvl = hc_level_of(c);
	/* --require-isolation at the level: the run passes */
	if (lvl > 0) {
		extra[n] = "--require-isolation";
		extra[n + 1] = hc_levels[lvl];
		extra[n + 2] = NULL;
		r = run(t, extra);
		cr_assert_eq(t->out.code, 0, "at %s: exit %d\n%s",
			     hc_levels[lvl], t->out.code, t->out.err);
		json_decref(r);
	}
	/* one above it: exit 4, for the run and for the check */
	if (lvl < 3) {
		extra[n] = "--require-isolation";
		extra[n + 1] = hc_levels[lvl + 1];
		extra[n + 2] = NULL;
		r = run(t, extra);
		cr_assert_eq(t->out.code, 4, "above %s: exit %d\n%s",
			     hc_levels[lvl], t->out.code, t->out.err);
		cr_assert_str_eq(hb_str(r, "stop_reason"), "isolation_unmet");
		json_decref(r);
		cextra[k] = "--require-isolation";
		cextra[k + 1] = hc_levels[lvl + 1];
		cextra[k + 2] = NULL;
		json_decref(check(t, cextra, &code));
		cr_assert_eq(code, 4);
	}
	return c;
}

/* Whether the report lists layer name as in force. */
static bool
in_force(const json_t *c, const char *name)
{
	const json_t *v;
	size_t i;

	json_array_foreach(json_object_get(c, "layers"), i, v)
		if (strcmp(json_string_value(v), name) == 0)
			return true;
	return false;
}

Test(check, agrees_with_a_run)
{
	struct hb t;
	json_t *c;

	start(&t);
	c = compare(&t, NULL, 0);
	cr_assert(json_is_true(json_object_get(c, "applies_as_documented")));
	cr_assert(in_force(c, "seccomp") && in_force(c, "no_new_privs") &&
		  in_force(c, "rlimits"));
	/* a level below full names what to change */
	if (hc_level_of(c) < 3)
		cr_assert(json_array_size(json_object_get(c, "advice")) > 0);
	/* as root, the uid layer is exactly the report's run_uid */
	if (json_is_true(json_object_get(c, "root")))
		cr_assert_eq(in_force(c, "unprivileged-uid"),
			     json_is_true(json_object_get(
				     json_object_get(c, "run_uid"),
				     "separate")));
	json_decref(c);
	hb_finish(&t);
}

/*
 * A memory total asked for: the check says a run would exit 4 exactly
 * when a run does (no cgroup memory controller for this user).
 */
Test(check, explicit_memory_cap_agrees_with_a_run)
{
	const char *cx[] = { "--max-memory", "512M", NULL };
	const char *rx[] = { "--skip-key-validation", "--max-memory", "512M",
			     NULL };
	struct hb t;
	json_t *c, *r;
	int code;
	bool mem;

	start(&t);
	c = check(&t, cx, &code);
	mem = json_is_true(
		json_object_get(json_object_get(c, "cgroup"), "memory"));
	cr_assert_eq(code, mem ? 0 : 4);
	cr_assert(json_is_true(json_object_get(json_object_get(c, "run_caps"),
					       "memory_explicit")));
	cr_assert_eq(hb_int(json_object_get(c, "run_caps"), "memory_bytes"),
		     512LL << 20);
	if (mem) {
		r = run(&t, rx);
		cr_assert_eq(t.out.code, 0, "%s", t.out.err);
		assert_same(c, r);
		json_decref(r);
	} else {
		char cfg[600];
		const char *args[] = { "sandbox",
				       "run",
				       cfg,
				       "--standalone",
				       "--skip-key-validation",
				       "--api-key-file",
				       t.key,
				       "--max-memory",
				       "512M",
				       "--sandbox-root",
				       t.root,
				       NULL };
		const char *env[] = { t.base, NULL };
		struct h_out o;

		h_src("tests/integration/configs/plain.yaml", cfg, sizeof(cfg));
		h_run(args, env, t.dir, 60, &o);
		cr_assert_eq(o.code, 4, "run exit %d: %s", o.code, o.err);
		h_out_free(&o);
	}
	json_decref(c);
	hb_finish(&t);
}

/*
 * Leftover cgroups of checks whose gao-dev is gone: gao-dev-check-<pid>
 * below this process's own v1 memory and pids cgroups (gao-dev is its
 * child, in the same ones; a check still running elsewhere is alive,
 * even one of another uid: EPERM, not ESRCH).
 */
static int
leftover_cgroups(void)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	char line[512], dir[1024];
	int n = 0;

	cr_assert(f);
	while (fgets(line, sizeof(line), f)) {
		char *ctl = strchr(line, ':'), *path;
		struct dirent *d;
		DIR *dd;

		if (!ctl || !(path = strchr(ctl + 1, ':')))
			continue;
		*path++ = 0;
		path[strcspn(path, "\n")] = 0;
		if (strcmp(ctl + 1, "memory") != 0 &&
		    strcmp(ctl + 1, "pids") != 0)
			continue;
		snprintf(dir, sizeof(dir), "/sys/fs/cgroup/%s%s", ctl + 1,
			 path);
		dd = opendir(dir);
		while (dd && (d = readdir(dd))) {
			long pid;

			if (sscanf(d->d_name, "gao-dev-check-%ld", &pid) == 1 &&
			    kill((pid_t)pid, 0) < 0 && errno == ESRCH)
				n++;
		}
		if (dd)
			closedir(dd);
	}
	fclose(f);
	return n;
}

/* The check leaves nothing behind in its sandbox root. */
Test(check, leaves_nothing_behind)
{
	char root[600], text[64];
	const char *cx[] = { "--sandbox-root", root, NULL };
	struct hb t;
	struct dirent *d;
	json_t *c;
	DIR *dir;
	int code, n = 0;

	start(&t);
	snprintf(root, sizeof(root), "%s/croot", t.dir);
	cr_assert_eq(mkdir(root, 0711), 0);
	c = check(&t, cx, &code);
	cr_assert(code == 0 || code == 4);
	dir = opendir(root);
	cr_assert(dir);
	while ((d = readdir(dir)))
		if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0)
			n++;
	closedir(dir);
	cr_assert_eq(n, 0, "the check left %d entries in %s", n, root);
	cr_assert_eq(leftover_cgroups(), 0, "the check left its cgroup");
	/* the text report says the same level and exit code */
	{
		const char *args[] = { "sandbox", "check", "--sandbox-root",
				       root, NULL };
		const char *env[] = { NULL };
		struct h_out o;

		h_run(args, env, t.dir, 60, &o);
		cr_assert_eq(o.code, code);
		snprintf(text, sizeof(text), "reaches %s",
			 hb_str(c, "isolation_level"));
		cr_assert(strstr(o.out, text), "%s", o.out);
		cr_assert(strstr(o.out, hb_str(c, "summary")), "%s", o.out);
		h_out_free(&o);
	}
	json_decref(c);
	hb_finish(&t);
}

/* Usage errors: exit 2, no report, no API key needed for any of it. */
Test(check, usage_errors_exit_2)
{
	static const char *const bad[][4] = {
		{ "sandbox", "check", "extra.yaml", NULL },
		{ "sandbox", "check", "--no-such-option", NULL },
		{ "sandbox", "check", "--api-key-file", "/dev/null" },
		{ "sandbox", "check", "--jobs", "2" },
		{ "sandbox", "check", "--policy", "no-such-profile" },
		{ "sandbox", "check", "--require-isolation", "most" },
		{ "sandbox", "check", "--max-memory", "lots" },
		{ "sandbox", "check", "--sandbox-root", "/nonexistent/gao" },
		{ "sandbox", "check", "--test-disable-layers", "-1" },
		{ "sandbox", "validate", "--json", "x.yaml" },
	};
	const char *env[] = { NULL };
	char dir[256];

	h_tmpdir(dir, sizeof(dir));
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		const char *args[5] = { bad[i][0], bad[i][1], bad[i][2],
					bad[i][3], NULL };
		struct h_out o;

		h_run(args, env, dir, 30, &o);
		cr_assert_eq(o.code, 2, "%s %s: exit %d", bad[i][2],
			     bad[i][3] ? bad[i][3] : "", o.code);
		cr_assert_str_eq(o.out, "", "%s", o.out);
		cr_assert(strstr(o.err, "gao-dev"), "%s", o.err);
		h_out_free(&o);
	}
}

#if GAO_DEV_TEST_SWITCHES
/* No namespaces: below full, the namespace layers gone and advised. */
Test(check, without_namespaces_agrees_with_a_run)
{
	const char *sw[] = { "--test-no-namespaces", NULL };
	struct hb t;
	json_t *c;

	start(&t);
	c = compare(&t, sw, 0);
	cr_assert_lt(hc_level_of(c), 3);
	cr_assert(!in_force(c, "pidns") && !in_force(c, "mntns") &&
		  !in_force(c, "minimal-root"));
	cr_assert(hc_advises(c, "--test-no-namespaces"));
	json_decref(c);
	hb_finish(&t);
}

/* No Landlock (bit 4): level seccomp at most, exit 0, advised. */
Test(check, without_landlock_agrees_with_a_run)
{
	const char *sw[] = { "--test-disable-layers", "4", NULL };
	struct hb t;
	json_t *c;

	start(&t);
	c = compare(&t, sw, 0);
	cr_assert_eq(hc_level_of(c), 1);
	cr_assert(!in_force(c, "landlock"));
	cr_assert_eq(hb_int(c, "landlock_abi"), 0);
	cr_assert(hc_advises(c, "--test-disable-layers"));
	json_decref(c);
	hb_finish(&t);
}

/* No seccomp (bit 2): not the documented policy: exit 4, level none. */
Test(check, without_seccomp_is_exit_4)
{
	const char *sw[] = { "--test-disable-layers", "2", NULL };
	struct hb t;
	json_t *c;

	start(&t);
	c = compare(&t, sw, 4);
	cr_assert_eq(hc_level_of(c), 0);
	cr_assert(!in_force(c, "seccomp"));
	cr_assert(json_is_false(json_object_get(c, "applies_as_documented")));
	json_decref(c);
	hb_finish(&t);
}

/* No namespaces and no Landlock together: seccomp, both advised. */
Test(check, seccomp_only_is_still_exit_0)
{
	const char *sw[] = { "--test-no-namespaces", "--test-disable-layers",
			     "4", NULL };
	struct hb t;
	json_t *c;

	start(&t);
	c = compare(&t, sw, 0);
	cr_assert_eq(hc_level_of(c), 1);
	cr_assert(json_is_true(json_object_get(c, "applies_as_documented")));
	cr_assert(hc_advises(c, "--test-no-namespaces") &&
		  hc_advises(c, "--test-disable-layers"));
	json_decref(c);
	hb_finish(&t);
}
#endif
