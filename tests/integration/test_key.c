/*
 * test_key.c - the API key through the real gao-dev against the fake API
 * (issue #4): each source and their order, the errors, and that the key
 * is nowhere it should not be, on disk, in outputs, in requests and in
 * the live processes.
 *
 * Precedence: every source gets a different key and the fake accepts only
 * one of them, so a run that completes proves which source was used.
 * Sources, first found wins: --api-key, --api-key-file, ANTHROPIC_API_KEY,
 * the user config ($GAO_DEV_CONFIG, else ~/.config/gao-dev/config.yaml),
 * ./.env.
 *
 * Leaks: two keys, one not shaped like an Anthropic key (pattern
 * redaction cannot hide a missed exact-match redaction) and one that is.
 * While a run is in progress (the agent's Bash command sleeps), the test
 * reads /proc: gao-dev's environ and cmdline no longer hold the key, and
 * no process below gao-dev (the worker and the command it runs) has it in
 * its environment or anywhere in its memory. Reading another process's
 * memory needs root (or CAP_SYS_PTRACE): the test says so and fails
 * rather than pass without looking.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness_api.h"

#define ONE_TURN "tests/integration/scenarios/key-one-turn.json"
#define SLEEP_TURN "tests/integration/scenarios/key-sleep.json"

/* --- sources and their order ------------------------------------------ */

enum source { SRC_ARG, SRC_FILE, SRC_ENV, SRC_CONFIG, SRC_DOTENV, SRC_N };

static const char *const source_key[SRC_N] = {
	"gaodev-key-from-arg-0a1b2c3d4e",
	"gaodev-key-from-file-1b2c3d4e5f",
	"gaodev-key-from-env-2c3d4e5f6a",
	"gaodev-key-from-config-3d4e5f6a7b",
	"gaodev-key-from-dotenv-4e5f6a7b8c",
};

/* Set up every source from `first` down, each with its own key; the
 * fake accepts only the key of `valid`. Runs gao-dev. */
static void
run_sources(struct ha_run *t, enum source first, enum source valid)
{
	char file[600], cfg[600], dotenv[600], text[600], env_key[128],
		env_cfg[700], env_home[300];
	const char *opts[8] = { 0 };
	const char *env[4] = { 0 };
	size_t o = 0, e = 0;

	ha_setup(t, ONE_TURN, source_key[valid]);
	snprintf(file, sizeof(file), "%s/file-key", t->dir);
	snprintf(cfg, sizeof(cfg), "%s/config.yaml", t->dir);
	snprintf(dotenv, sizeof(dotenv), "%s/.env", t->dir);
	if (first <= SRC_ARG) {
		opts[o++] = "--api-key";
		opts[o++] = source_key[SRC_ARG];
	}
	if (first <= SRC_FILE) {
		snprintf(text, sizeof(text), "%s\n", source_key[SRC_FILE]);
		ha_write_file(file, text, 0600);
		opts[o++] = "--api-key-file";
		opts[o++] = file;
	}
	if (first <= SRC_ENV) {
		snprintf(env_key, sizeof(env_key), "ANTHROPIC_API_KEY=%s",
			 source_key[SRC_ENV]);
		env[e++] = env_key;
	}
	if (first <= SRC_CONFIG) {
		snprintf(text, sizeof(text),
			 "# gao-dev user config\n"
			 "api_key: %s\n",
			 source_key[SRC_CONFIG]);
		ha_write_file(cfg, text, 0600);
	}
	snprintf(env_cfg, sizeof(env_cfg), "GAO_DEV_CONFIG=%s", cfg);
	env[e++] = env_cfg;
	snprintf(env_home, sizeof(env_home), "HOME=%s", t->dir);
	env[e++] = env_home;
	snprintf(text, sizeof(text),
		 "OTHER=1\n"
		 "export ANTHROPIC_API_KEY=\"%s\"\n",
		 source_key[SRC_DOTENV]);
	ha_write_file(dotenv, text, 0600);
	ha_run(t, opts, env);
}

/* The run completed and every request carried the accepted key. */
static void
expect_accepted(struct ha_run *t)
{
	json_t *rec, *r;
	size_t i;

	cr_assert_eq(t->out.code, 0, "exit %d; stderr:\n%s", t->out.code,
		     t->out.err);
	rec = ha_records(t);
	cr_assert_geq(json_array_size(rec), 2, "key check and a message");
	json_array_foreach(rec, i, r)
		cr_assert_str_eq(ha_str(r, "auth"), "ok");
	json_decref(rec);
	for (size_t k = 0; k < SRC_N; k++)
		ha_assert_no_key(t, source_key[k]);
}

Test(key_source, api_key_beats_every_other_source_and_warns)
{
	struct ha_run t;

	run_sources(&t, SRC_ARG, SRC_ARG);
	expect_accepted(&t);
	cr_assert_not_null(strstr(t.out.err, "--api-key is visible to other "
					     "users in the process list"),
			   "%s", t.out.err);
	ha_finish(&t);
}

Test(key_source, api_key_file_beats_env_config_and_dotenv)
{
	struct ha_run t;

	run_sources(&t, SRC_FILE, SRC_FILE);
	expect_accepted(&t);
	cr_assert_null(strstr(t.out.err, "process list"), "no warning");
	ha_finish(&t);
}

Test(key_source, env_beats_config_and_dotenv)
{
	struct ha_run t;

	run_sources(&t, SRC_ENV, SRC_ENV);
	expect_accepted(&t);
	ha_finish(&t);
}

Test(key_source, config_file_beats_dotenv)
{
	struct ha_run t;

	run_sources(&t, SRC_CONFIG, SRC_CONFIG);
	expect_accepted(&t);
	ha_finish(&t);
}

Test(key_source, dotenv_is_the_last_source)
{
	struct ha_run t;

	run_sources(&t, SRC_DOTENV, SRC_DOTENV);
	expect_accepted(&t);
	ha_finish(&t);
}

Test(key_source, first_found_wins_even_when_it_is_wrong)
{
	struct ha_run t;

	/* the file's key is rejected: gao-dev must not fall back to the
	 * environment's (valid) one */
	run_sources(&t, SRC_FILE, SRC_ENV);
	cr_assert_eq(t.out.code, 3, "exit %d; stderr:\n%s", t.out.code,
		     t.out.err);
	cr_assert_not_null(strstr(t.out.err, "API key is invalid"));
	for (size_t k = 0; k < SRC_N; k++)
		ha_assert_no_key(&t, source_key[k]);
	ha_finish(&t);
}

Test(key_source, default_config_with_api_key_file_under_home)
{
	struct ha_run t;
	char path[700], text[800], env_home[300];

	/* no GAO_DEV_CONFIG: ~/.config/gao-dev/config.yaml, whose
	 * api_key_file: names a file relative to the home directory */
	ha_setup(&t, ONE_TURN, source_key[SRC_CONFIG]);
	snprintf(path, sizeof(path), "%s/.config", t.dir);
	cr_assert_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/.config/gao-dev", t.dir);
	cr_assert_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/.anthropic-key", t.dir);
	snprintf(text, sizeof(text), "%s\n", source_key[SRC_CONFIG]);
	ha_write_file(path, text, 0600);
	snprintf(path, sizeof(path), "%s/.config/gao-dev/config.yaml", t.dir);
	ha_write_file(path,
		      "anthropic_version: 2026-10-21\n"
		      "api_key_file: ~/.anthropic-key\n",
		      0600);
	snprintf(path, sizeof(path), "%s/.env", t.dir);
	snprintf(text, sizeof(text), "ANTHROPIC_API_KEY=%s\n",
		 source_key[SRC_DOTENV]);
	ha_write_file(path, text, 0600);
	snprintf(env_home, sizeof(env_home), "HOME=%s", t.dir);
	const char *env[] = { env_home, NULL };

	ha_run(&t, NULL, env);
	expect_accepted(&t);
	ha_finish(&t);
}

/* --- errors ------------------------------------------------------------ */

Test(key_error, config_key_file_readable_by_others_is_refused)
{
	struct ha_run t;
	char key[600], cfg[600], text[800], env_cfg[700];

	ha_setup(&t, ONE_TURN, H_TEST_KEY);
	snprintf(key, sizeof(key), "%s/shared-key", t.dir);
	ha_write_file(key, H_TEST_KEY "\n", 0640);
	snprintf(cfg, sizeof(cfg), "%s/config.yaml", t.dir);
	snprintf(text, sizeof(text), "api_key_file: %s\n", key);
	ha_write_file(cfg, text, 0600);
	snprintf(env_cfg, sizeof(env_cfg), "GAO_DEV_CONFIG=%s", cfg);
	const char *env[] = { env_cfg, NULL };

	ha_run(&t, NULL, env);
	cr_assert_eq(t.out.code, 3, "exit %d; stderr:\n%s", t.out.code,
		     t.out.err);
	cr_assert_not_null(strstr(t.out.err, "readable by group or others"));
	cr_assert_null(strstr(t.out.err, H_TEST_KEY));
	/* the user may say it is fine */
	const char *opts[] = { "--allow-insecure-key-file", NULL };

	ha_run(&t, opts, env);
	cr_assert_eq(t.out.code, 0, "exit %d; stderr:\n%s", t.out.code,
		     t.out.err);
	ha_finish(&t);
}

Test(key_error, invalid_key_from_the_environment_exits_3_unprinted)
{
	struct ha_run t;
	const char *env[] = { "ANTHROPIC_API_KEY=gaodev-wrong-key-5f6a7b8c9d",
			      NULL };

	ha_setup(&t, ONE_TURN, H_TEST_KEY);
	ha_run(&t, NULL, env);
	cr_assert_eq(t.out.code, 3, "exit %d; stderr:\n%s", t.out.code,
		     t.out.err);
	cr_assert_not_null(strstr(t.out.err, "API key is invalid"));
	cr_assert_null(strstr(t.out.err, "gaodev-wrong-key"));
	cr_assert_null(strstr(t.out.out, "gaodev-wrong-key"));
	ha_finish(&t);
}

/*
 * A base URL that reads like loopback but names another host (as curl
 * parses it) is refused before a request is made: exit 2, a message
 * that quotes no password, nothing under the sandbox root.
 */
Test(key_error, base_url_that_only_looks_like_loopback_is_refused)
{
	/* before the port, after it, what the refusal says */
	static const char *const urls[][3] = {
		{ "http://127.0.0.1:", "@evil.invalid/",
		  "user name or password" },
		{ "http://127.0.0.1.evil.invalid:", "/", "loopback address" },
		{ "http://127.0.0.1:", "/?evil", "query or fragment" },
	};
	const char *opts[] = { "--api-key-file", NULL, NULL };
	struct ha_run t;

	ha_setup(&t, ONE_TURN, H_TEST_KEY);
	opts[1] = t.key;
	for (size_t i = 0; i < sizeof(urls) / sizeof(*urls); i++) {
		snprintf(t.base, sizeof(t.base), "ANTHROPIC_BASE_URL=%s%d%s",
			 urls[i][0], t.fake.port, urls[i][1]);
		ha_run(&t, opts, NULL);
		cr_assert_eq(t.out.code, 2, "%s: exit %d; stderr:\n%s", t.base,
			     t.out.code, t.out.err);
		cr_assert_not_null(strstr(t.out.err, urls[i][2]), "%s: %s",
				   t.base, t.out.err);
		cr_assert_null(strstr(t.out.err, H_TEST_KEY));
		cr_assert_not(h_tree_contains(t.root, H_TEST_KEY));
	}
	/* the same fake, named as the docs allow, is reached */
	snprintf(t.base, sizeof(t.base),
		 "ANTHROPIC_BASE_URL=http://localhost:%d", t.fake.port);
	ha_run(&t, opts, NULL);
	cr_assert_eq(t.out.code, 0, "exit %d; stderr:\n%s", t.out.code,
		     t.out.err);
	ha_finish(&t);
}

Test(key_error, permission_403_mid_run_exits_3)
{
	struct ha_run t;
	json_t *res;
	const char *opts[] = { "--api-key-file", NULL, NULL };

	ha_setup_faults(&t, ONE_TURN,
			"[{\"request\": 1, \"kind\": "
			"\"status\", \"status\": 403}]",
			H_TEST_KEY);
	opts[1] = t.key;
	ha_run(&t, opts, NULL);
	cr_assert_eq(t.out.code, 3, "exit %d; stderr:\n%s", t.out.code,
		     t.out.err);
	res = ha_results(&t);
	cr_assert_str_eq(ha_str(res, "stop_reason"), "permission_error");
	json_decref(res);
	ha_finish(&t);
}

/* --- no leak, with the run in progress --------------------------------- */

/* Whether pid runs the agent's `sleep 600` (argv[0] "sleep", argv[1]
 * "600"): the process the test ends once it has looked. */
static bool
is_probe_sleep(pid_t pid)
{
	char path[64], argv[16] = { 0 };
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, argv, sizeof(argv));
	close(fd);
	return n == 10 && memcmp(argv,
				 "sleep\0"
				 "600",
				 10) == 0;
}

/* Wait (at most 60 s: a loaded machine) until the agent's Bash command
 * sleeps; the tree then holds the worker, the command's shell and its
 * sleep, all alive until end_sleep(): nothing vanishes mid-scan. */
static size_t
wait_for_command(struct ha_run *t, pid_t *tree, size_t cap)
{
	for (int i = 0; i < 1200; i++) {
		size_t n = ha_descendants(t->pid, tree, cap);

		for (size_t k = 0; k < n; k++)
			if (is_probe_sleep(tree[k]))
				return n;
		struct timespec ts = { 0, 50000000 };

		nanosleep(&ts, NULL);
	}
	cr_assert_fail("no worker ran the agent's command; stderr so far in "
		       "%s/.stderr",
		       t->dir);
	return 0;
}

/* End the agent's sleep: the command then says KEY-PROBE-END and the run
 * goes on to its end. */
static void
end_sleep(const pid_t *tree, size_t n)
{
	size_t ended = 0;

	for (size_t k = 0; k < n; k++)
		if (is_probe_sleep(tree[k]) && kill(tree[k], SIGTERM) == 0)
			ended++;
	cr_assert_eq(ended, 1, "the agent's sleep was not ended");
}

/* The first string of /proc/<pid>/environ (a positive control for the
 * memory scan: it lies on that process's stack). */
static void
first_env_string(pid_t pid, char *buf, size_t cap)
{
	char path[64];
	size_t n = 0;
	char *c;

	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	c = h_slurp(path, &n);
	cr_assert(c && n > 0, "cannot read %s", path);
	snprintf(buf, cap, "%s", c);
	free(c);
}

/* Every process below gao-dev: no key and no ANTHROPIC_ variable in its
 * environment, no key anywhere in its memory. */
static void
check_tree(const pid_t *tree, size_t n, const char *key)
{
	size_t scanned_all = 0;

	cr_assert_geq(n, 2, "the worker and its command");
	for (size_t k = 0; k < n; k++) {
		char control[256];
		const char *needles[2] = { key, control };
		bool found[2], readable;
		size_t scanned;

		cr_assert_not(
			ha_proc_contains(tree[k], "environ", key, &readable));
		if (!readable)
			continue; /* exited meanwhile */
		cr_assert_not(ha_proc_contains(tree[k], "environ", "ANTHROPIC_",
					       &readable),
			      "pid %d has an ANTHROPIC_ variable", tree[k]);
		first_env_string(tree[k], control, sizeof(control));
		scanned = ha_mem_scan(tree[k], needles, 2, found);
		cr_assert_gt(scanned, 0,
			     "cannot read /proc/%d/mem (this test "
			     "needs root or CAP_SYS_PTRACE)",
			     tree[k]);
		cr_assert(found[1],
			  "the scan of pid %d missed its own "
			  "environment string %s",
			  tree[k], control);
		cr_assert_not(found[0], "the key is in the memory of pid %d",
			      tree[k]);
		scanned_all += scanned;
	}
	printf("key: scanned %zu KiB of memory in %zu processes below "
	       "gao-dev\n",
	       scanned_all / 1024, n);
}

/* The run's report.html (--report), the only run under the root. */
static char *
report_of(const struct ha_run *t, size_t *len)
{
	char runs[700], path[1200];
	struct dirent *e;
	char *page = NULL;
	DIR *d;

	snprintf(runs, sizeof(runs), "%s/runs", t->root);
	d = opendir(runs);
	cr_assert_not_null(d, "no %s", runs);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s/report.html", runs,
				 e->d_name);
			page = h_slurp(path, len);
		}
	closedir(d);
	cr_assert_not_null(page, "no report.html under %s", runs);
	cr_assert(*len > 1000 && memmem(page, *len, "id=\"conversations\"",
					strlen("id=\"conversations\"")),
		  "the report is not a report");
	return page;
}

/* Key via ANTHROPIC_API_KEY (via_env) or --api-key; look at /proc while
 * the agent's command runs, then at every output. */
static void
leak_run(const char *key, bool via_env)
{
	struct ha_run t;
	pid_t tree[64];
	size_t n;
	bool readable, has;
	char env_key[256], junit[600], recdir[600], manifest[700], *xml;
	size_t xml_len = 0;
	const char *env[] = { env_key, NULL };
	const char *opts[] = { "--junit", junit,       "--report", "--record",
			       recdir,    "--api-key", key,        NULL };

	snprintf(env_key, sizeof(env_key), "ANTHROPIC_API_KEY=%s", key);
	ha_setup(&t, SLEEP_TURN, key);
	snprintf(junit, sizeof(junit), "%s/junit.xml", t.dir);
	/* the recording (--record) under the sandbox root: searched below */
	snprintf(recdir, sizeof(recdir), "%s/recording", t.root);
	if (via_env)
		opts[5] = NULL; /* JUnit, report, recording: not the key */
	ha_spawn(&t, opts, via_env ? env : NULL);
	n = wait_for_command(&t, tree, 64);
	/* gao-dev itself: the string it was given is overwritten */
	has = ha_proc_contains(t.pid, via_env ? "environ" : "cmdline", key,
			       &readable);
	cr_assert(readable, "cannot read gao-dev's /proc files");
	cr_assert_not(has, "the key is still in /proc/<gao-dev>/%s",
		      via_env ? "environ" : "cmdline");
	cr_assert(ha_proc_contains(t.pid, "environ",
				   "ANTHROPIC_BASE_URL=", &readable),
		  "environ control");
	if (!via_env)
		cr_assert(ha_proc_contains(t.pid, "cmdline", "--api-key",
					   &readable),
			  "cmdline control");
	check_tree(tree, n, key);
	end_sleep(tree, n);
	ha_wait(&t, 60);
	cr_assert_eq(t.out.code, 0, "exit %d; stderr:\n%s", t.out.code,
		     t.out.err);
	ha_assert_no_key(&t, key);
	snprintf(manifest, sizeof(manifest), "%s/recording.json", recdir);
	cr_assert(h_tree_contains(recdir, "\"calls\""), "no recording made");
	cr_assert_eq(access(manifest, F_OK), 0);
	/* the JUnit file (--junit) holds the run's texts too */
	xml = h_slurp(junit, &xml_len);
	cr_assert_not_null(xml, "no JUnit file");
	cr_assert_gt(xml_len, 0);
	cr_assert_null(memmem(xml, xml_len, key, strlen(key)),
		       "the key is in the JUnit file");
	free(xml);
	/* the report (--report) shows the conversations: searched above
	 * with the whole tree, and here by name so it cannot be missing */
	xml = report_of(&t, &xml_len);
	cr_assert_null(memmem(xml, xml_len, key, strlen(key)),
		       "the key is in the report");
	free(xml);
	ha_finish(&t);
}

Test(key_leak, plain_key_from_env_is_nowhere, .timeout = 90)
{
	leak_run(H_TEST_KEY, true);
}

Test(key_leak, sk_ant_key_from_env_is_nowhere, .timeout = 90)
{
	leak_run(H_TEST_KEY_SKANT, true);
}

Test(key_leak, plain_key_from_argv_is_nowhere, .timeout = 90)
{
	leak_run(H_TEST_KEY, false);
}

Test(key_leak, sk_ant_key_from_argv_is_nowhere, .timeout = 90)
{
	leak_run(H_TEST_KEY_SKANT, false);
}
