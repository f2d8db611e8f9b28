/*
 * test_caps.c - the run's totals through the real gao-dev, the real
 * worker and the real sandbox (issue 10, class 2): files and bytes in the
 * project stop the run (stopped, file_limit / disk_limit, exit 5), the
 * memory of all of a run's processes together is capped by a cgroup
 * where the host has one (the command fails, the session goes on), and a
 * memory cap asked for where no cgroup can enforce it is exit 4.
 *
 * The scenarios are written by each test into its temp dir (large Write
 * contents, many tool calls). The host is probed, never assumed: the
 * memory tests assert enforcement where gao-dev can make a cgroup (root
 * with the v1 memory hierarchy writable) and the exit-4 promise where it
 * cannot (an ordinary user without a delegated cgroup); on other hosts
 * (cgroup v2) they accept either outcome but check each is whole. Run
 * them as root and as an ordinary user (docs/security.md, "Run totals").
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "harness_bench.h"

/* hb_start with a scenario the test wrote: one conversation, called name,
 * for the agent whose prompt matches match; turns is a JSON array
 * (stolen). */
static void
start_as(struct hb *t, const char *name, const char *match, json_t *turns)
{
	json_t *sc = json_pack("{s:s,s:[{s:s,s:s,s:o}]}", "description",
			       "test_caps", "conversations", "name", name,
			       "match", match, "turns", turns);
	char path[600];

	memset(t, 0, sizeof(*t));
	h_tmpdir(t->dir, sizeof(t->dir));
	h_keyfile(t->dir, H_TEST_KEY, t->key, sizeof(t->key));
	snprintf(t->root, sizeof(t->root), "%s/sandbox", t->dir);
	snprintf(path, sizeof(path), "%s/scenario.json", t->dir);
	cr_assert_eq(json_dump_file(sc, path, JSON_INDENT(1)), 0);
	json_decref(sc);
	h_fake_start(&t->fake, path, t->key, t->dir);
	snprintf(t->base, sizeof(t->base),
		 "ANTHROPIC_BASE_URL=http://127.0.0.1:%d", t->fake.port);
}

/* start_as() for Amelia, the agent of the plain config. */
static void
start(struct hb *t, json_t *turns)
{
	start_as(t, "amelia", "Amelia", turns);
}

static json_t *
bash(const char *command)
{
	return json_pack("{s:s,s:s,s:{s:s}}", "type", "tool_use", "name",
			 "Bash", "input", "command", command);
}

static json_t *
write_block(const char *path, const char *content)
{
	return json_pack("{s:s,s:s,s:{s:s,s:s}}", "type", "tool_use", "name",
			 "Write", "input", "file_path", path, "content",
			 content);
}

/* A turn of tool_use blocks (stolen), then a final "done" turn. */
static json_t *
turns_of(json_t *blocks)
{
	return json_pack("[{s:o},{s:[{s:s,s:s}]}]", "content", blocks,
			 "content", "type", "text", "text", "done");
}

/* start() with one turn of one Bash call (then "done"). */
static void
start_bash(struct hb *t, const char *command)
{
	start(t, turns_of(json_pack("[o]", bash(command))));
}

static void
run_plain(struct hb *t, const char *o1, const char *o2)
{
	char cfg[600];
	const char *args[] = { cfg, o1, o2, NULL };

	h_src("tests/integration/configs/plain.yaml", cfg, sizeof(cfg));
	hb_run(t, args, 120);
}

/* The run stopped on reason, exit 5, in the results and the phase. */
static json_t *
assert_stopped(struct hb *t, const char *reason)
{
	json_t *r, *ph;

	cr_assert_eq(t->out.code, 5, "exit %d; stderr:\n%s", t->out.code,
		     t->out.err);
	r = hb_results(t);
	cr_assert_str_eq(hb_str(r, "status"), "stopped");
	cr_assert_str_eq(hb_str(r, "stop_reason"), reason);
	ph = json_array_get(json_object_get(r, "phases"), 0);
	cr_assert_str_eq(hb_str(ph, "status"), "stopped");
	cr_assert_str_eq(hb_str(ph, "stop_reason"), reason);
	cr_assert(strstr(t->out.out, reason), "summary:\n%s", t->out.out);
	return r;
}

/* The run ended with exit 0: its results (checked, the caller's). */
static json_t *
assert_ok(struct hb *t)
{
	cr_assert_eq(t->out.code, 0, "exit %d; stderr:\n%s", t->out.code,
		     t->out.err);
	return hb_results(t);
}

/* assert_stopped() when nothing more of the results is looked at. */
static void
assert_stopped_only(struct hb *t, const char *reason)
{
	json_decref(assert_stopped(t, reason));
}

static int
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* ---- files ------------------------------------------------------------ */

static const char many_files[] =
	"mkdir many && cd many && i=0; while [ $i -lt 400 ]; do : > f$i; "
	"i=$((i+1)); done; echo made";

Test(caps, files_bash_loop_stops_the_run)
{
	struct hb t;
	json_t *r;

	start_bash(&t, many_files);
	run_plain(&t, "--max-files", "300");
	r = assert_stopped(&t, "file_limit");
	cr_assert(
		strstr(json_string_value(
			       json_array_get(json_object_get(r, "errors"), 0)),
		       "--max-files"));
	/* the model was not asked again after the stop */
	cr_assert_eq(hb_int(json_array_get(json_object_get(r, "phases"), 0),
			    "api_calls"),
		     1);
	json_decref(r);
	hb_finish(&t);
}

Test(caps, files_same_loop_under_the_cap_completes)
{
	struct hb t;
	json_t *r;

	start_bash(&t, many_files);
	run_plain(&t, "--max-files", "1000");
	r = assert_ok(&t);
	cr_assert_eq(json_integer_value(json_object_get(
			     json_object_get(json_object_get(r, "isolation"),
					     "run_caps"),
			     "files")),
		     1000);
	json_decref(r);
	hb_finish(&t);
}

Test(caps, files_many_write_calls)
{
	json_t *blocks = json_array(), *r;
	char project[600], path[64];
	struct hb t;

	for (int i = 0; i < 60; i++) {
		snprintf(path, sizeof(path), "d%02d/f.txt", i);
		json_array_append_new(blocks, write_block(path, "x\n"));
	}
	start(&t, turns_of(blocks));
	run_plain(&t, "--max-files", "100");
	r = assert_stopped(&t, "file_limit");
	/* measured after each call: it stopped well before the 60th */
	snprintf(project, sizeof(project), "%s", hb_str(r, "project_dir"));
	cr_assert_lt(count_entries(project), 60, "%d entries",
		     count_entries(project));
	cr_assert_lt(hb_int(json_array_get(json_object_get(r, "phases"), 0),
			    "tool_calls"),
		     60);
	json_decref(r);
	hb_finish(&t);
}

Test(caps, files_directories_count_too)
{
	struct hb t;

	start_bash(
		&t,
		"for i in $(seq 1 120); do mkdir -p t$i/a/b; done; echo dirs");
	run_plain(&t, "--max-files", "200");
	assert_stopped_only(&t, "file_limit");
	hb_finish(&t);
}

Test(caps, files_strict_policy_agent)
{
	json_t *blocks = json_array(), *r;
	char path[64], cfg[600];
	const char *args[] = { cfg, "--max-files", "40", NULL };
	struct hb t;

	/* Mary has file tools only: the strict policy (seccomp allow-list)
	 * must let her worker measure the project too */
	for (int i = 0; i < 60; i++) {
		snprintf(path, sizeof(path), "notes/n%02d.md", i);
		json_array_append_new(blocks, write_block(path, "note\n"));
	}
	start_as(&t, "mary", "Mary", turns_of(blocks));
	hb_write(&t, "mary.yaml",
		 "name: strict\ndescription: Mary writes notes\n"
		 "initial_prompt: Write notes.\ntimeout_seconds: 120\n"
		 "workflow_phases:\n  - phase_name: Analysis\n"
		 "    agent: Mary\nsuccess_criteria: {}\n",
		 cfg, sizeof(cfg));
	hb_run(&t, args, 120);
	r = assert_stopped(&t, "file_limit");
	cr_assert_str_eq(hb_str(json_array_get(json_object_get(r, "phases"), 0),
				"policy"),
			 "strict");
	json_decref(r);
	hb_finish(&t);
}

/* ---- disk ------------------------------------------------------------- */

Test(caps, disk_large_write_calls)
{
	json_t *blocks = json_array(), *r;
	char *big = malloc(300 << 10), path[32];
	struct hb t;

	cr_assert_not_null(big);
	memset(big, 'w', (300 << 10) - 1);
	big[(300 << 10) - 1] = 0;
	for (int i = 0; i < 6; i++) {
		snprintf(path, sizeof(path), "big%d.txt", i);
		json_array_append_new(blocks, write_block(path, big));
	}
	free(big);
	start(&t, turns_of(blocks));
	run_plain(&t, "--max-disk", "1M");
	r = assert_stopped(&t, "disk_limit");
	cr_assert_leq(hb_int(json_array_get(json_object_get(r, "phases"), 0),
			     "tool_calls"),
		      4);
	cr_assert(
		strstr(json_string_value(
			       json_array_get(json_object_get(r, "errors"), 0)),
		       "--max-disk"));
	json_decref(r);
	hb_finish(&t);
}

Test(caps, disk_one_file_is_cut_at_the_cap)
{
	char path[700];
	struct stat st;
	struct hb t;
	json_t *r;

	/* RLIMIT_FSIZE is at most --max-disk: head cannot write 5 MB; the
	 * note beside it takes the project over the cap (the project holds
	 * no .git of gao-dev's: that is under the run directory) */
	start_bash(
		&t,
		"echo note > note; head -c 5000000 /dev/zero > big; echo rc=$?");
	run_plain(&t, "--max-disk", "2M");
	r = assert_stopped(&t, "disk_limit");
	snprintf(path, sizeof(path), "%s/big", hb_str(r, "project_dir"));
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_leq(st.st_size, 2 << 20, "big is %lld bytes",
		      (long long)st.st_size);
	json_decref(r);
	hb_finish(&t);
}

/* three files of 1 MB each */
static const char three_mb[] =
	"for i in 1 2 3; do dd if=/dev/zero of=f$i bs=1M count=1 2>/dev/null; "
	"done; echo written";

Test(caps, disk_several_files_each_under_the_cap)
{
	struct hb t;

	start_bash(&t, three_mb);
	run_plain(&t, "--max-disk", "2M");
	assert_stopped_only(&t, "disk_limit");
	hb_finish(&t);
}

Test(caps, disk_same_files_under_the_cap_complete)
{
	struct hb t;
	json_t *r;

	start_bash(&t, three_mb);
	run_plain(&t, "--max-disk", "64M");
	r = assert_ok(&t);
	cr_assert_str_eq(hb_str(r, "status"), "completed");
	json_decref(r);
	hb_finish(&t);
}

Test(caps, an_unmeasurable_project_stops_the_run)
{
	struct hb t;
	json_t *r;

	/* the worker's uid owns it but may not list it: fail closed */
	start(&t,
	      turns_of(json_pack("[o]",
				 bash("mkdir locked && echo x > locked/f && "
				      "chmod 000 locked; echo hidden"))));
	run_plain(&t, NULL, NULL);
	r = assert_stopped(&t, "disk_limit");
	cr_assert(strstr(json_string_value(json_array_get(
				 json_object_get(r, "errors"), 0)),
			 "could not be measured"),
		  "%s",
		  json_string_value(
			  json_array_get(json_object_get(r, "errors"), 0)));
	json_decref(r);
	hb_finish(&t);
}

Test(caps, the_measure_tool_is_not_the_models)
{
	json_t *blocks = json_pack("[{s:s,s:s,s:{s:i,s:i}}]", "type",
				   "tool_use", "name", "gao_measure", "input",
				   "max_bytes", 1, "max_files", 1);
	json_t *turns = json_pack("[{s:o},{s:{s:b,s:[s]},s:[{s:s,s:s}]}]",
				  "content", blocks, "expect",
				  "tool_result_is_error", 1,
				  "tool_result_contains", "not available",
				  "content", "type", "text", "text", "done");
	char rec[600];
	struct hb t;
	json_t *r, *recs, *e;
	size_t i;
	int offered = 0;

	start(&t, turns);
	run_plain(&t, NULL, NULL);
	r = assert_ok(&t);
	cr_assert_eq(hb_int(json_array_get(json_object_get(r, "phases"), 0),
			    "tool_calls_refused"),
		     1);
	/* and it was never offered: no request's tools name it */
	snprintf(rec, sizeof(rec), "%s", t.fake.record);
	recs = h_jsonl(rec);
	cr_assert_gt(json_array_size(recs), 0);
	json_array_foreach(recs, i, e) {
		json_t *tools = json_object_get(json_object_get(e, "body"),
						"tools"),
		       *d;
		size_t k;

		json_array_foreach(tools, k, d) {
			offered++;
			cr_assert_str_neq(hb_str(d, "name"), "gao_measure");
		}
	}
	cr_assert_gt(offered, 0);
	json_decref(recs);
	json_decref(r);
	hb_finish(&t);
}

/* A one-phase config with a command (no agent), run with opt val. */
static void
run_command_phase(struct hb *t, const char *command, const char *opt,
		  const char *val)
{
	char cfg[600], text[1024];
	const char *args[] = { cfg, opt, val, NULL };

	snprintf(text, sizeof(text),
		 "name: cmd\ndescription: a command phase\n"
		 "timeout_seconds: 120\nworkflow_phases:\n"
		 "  - phase_name: Generate\n    command: \"%s\"\n"
		 "success_criteria: {}\n",
		 command);
	hb_write(t, "cmd.yaml", text, cfg, sizeof(cfg));
	hb_run(t, args, 120);
}

Test(caps, a_command_phase_is_measured_at_its_end)
{
	struct hb t;
	json_t *r;

	/* no agent, no tool call: the phase's end is measured all the same
	 * (by the service worker) */
	start_bash(&t, "echo unused");
	run_command_phase(&t,
			  "mkdir m && for i in $(seq 400); do : > m/f$i; done",
			  "--max-files", "300");
	r = assert_stopped(&t, "file_limit");
	cr_assert(
		strstr(json_string_value(
			       json_array_get(json_object_get(r, "errors"), 0)),
		       "at its end"));
	json_decref(r);
	hb_finish(&t);
}

Test(caps, a_command_phase_over_the_disk_cap)
{
	static const char three_mb_cmd[] =
		"for i in 1 2 3; do head -c 1000000 /dev/zero > f$i; done";
	struct hb t;

	start_bash(&t, "echo unused");
	run_command_phase(&t, three_mb_cmd, "--max-disk", "2M");
	assert_stopped_only(&t, "disk_limit");
	/* the control: the same under a larger cap completes */
	hb_finish(&t);
	start_bash(&t, "echo unused");
	run_command_phase(&t, three_mb_cmd, "--max-disk", "64M");
	cr_assert_eq(t.out.code, 0, "exit %d; stderr:\n%s", t.out.code,
		     t.out.err);
	hb_finish(&t);
}

Test(caps, a_background_writer_is_caught_at_the_phase_end)
{
	json_t *turns = json_pack(
		"[{s:[o]},{s:i,s:[o]},{s:[{s:s,s:s}]}]", "content",
		json_pack("{s:s,s:s,s:{s:s,s:b}}", "type", "tool_use", "name",
			  "Bash", "input", "command",
			  "(for i in $(seq 400); do : > bg$i; done) "
			  ">/dev/null 2>&1 & echo started",
			  "run_in_background", 1),
		"delay_ms", 2500, "content",
		json_pack("{s:s,s:s,s:{s:s}}", "type", "tool_use", "name",
			  "Read", "input", "file_path", "bg1"),
		"content", "type", "text", "text", "done");
	struct hb t;

	/* the Bash call returns at once (run_in_background: where the
	 * worker kills what a call leaves behind, this one may stay); the
	 * files come after its measurement, and no writing call follows */
	start(&t, turns);
	run_plain(&t, "--max-files", "300");
	assert_stopped_only(&t, "file_limit");
	hb_finish(&t);
}

/* ---- memory ----------------------------------------------------------- */

enum host { HOST_ENFORCES, HOST_CANNOT, HOST_UNKNOWN };

/* What gao-dev must do with an explicit memory cap on this host. */
static enum host
memory_host(void)
{
	struct stat st;

	if (stat("/sys/fs/cgroup/memory", &st) == 0) {
		if (geteuid() == 0 &&
		    access("/sys/fs/cgroup/memory", W_OK) == 0)
			return HOST_ENFORCES;
		if (geteuid() != 0 &&
		    access("/sys/fs/cgroup/memory", W_OK) != 0)
			return HOST_CANNOT;
	}
	return HOST_UNKNOWN;
}

static void
assert_exit4(struct hb *t)
{
	char dir[600];

	cr_assert_eq(t->out.code, 4, "exit %d; stderr:\n%s", t->out.code,
		     t->out.err);
	cr_assert(strstr(t->out.err, "cannot enforce it"), "%s", t->out.err);
	cr_assert(strstr(t->out.err, "delegate") ||
			  strstr(t->out.err, "Delegate"),
		  "%s", t->out.err);
	snprintf(dir, sizeof(dir), "%s/results", t->root);
	cr_assert_leq(count_entries(dir), 0, "a run started");
}

/* Three processes of 300 MiB each: under 512 MiB together, at least one
 * dies; alone each is far below the policy's 4 GiB RLIMIT_AS. */
static const char three_hogs[] =
	"pids=''; for i in 1 2 3; do python3 -c 'import time; "
	"x=b\"x\"*(300<<20); time.sleep(4)' & pids=\"$pids $!\"; done; "
	"bad=0; for p in $pids; do wait $p || bad=$((bad+1)); done; "
	"if [ $bad -ge 1 ]; then echo OOM-HIT; else echo NO-OOM; fi";

static json_t *
hog_turns(const char *want)
{
	return json_pack(
		"[{s:[o]},{s:{s:[s]},s:[o]},{s:{s:[s]},s:[{s:s,s:s}]}]",
		"content", bash(three_hogs), "expect", "tool_result_contains",
		want, "content", bash("echo next-call-works"), "expect",
		"tool_result_contains", "next-call-works", "content", "type",
		"text", "text", "done");
}

Test(caps, memory_total_of_three_processes, .timeout = 120)
{
	enum host h = memory_host();
	struct hb t;
	json_t *r, *caps;

	start(&t, hog_turns("OOM-HIT"));
	run_plain(&t, "--max-memory", "512M");
	if (h == HOST_CANNOT || (h == HOST_UNKNOWN && t.out.code == 4)) {
		assert_exit4(&t);
		hb_finish(&t);
		return;
	}
	/* the combined use was capped, the command failed, the session
	 * went on and the next call worked (the fake checked both) */
	r = assert_ok(&t);
	caps = json_object_get(json_object_get(r, "isolation"), "run_caps");
	cr_assert(json_is_true(json_object_get(caps, "memory_enforced")));
	/* the default policy's 256 processes, plus gao-dev's own 16 */
	cr_assert_eq(json_integer_value(json_object_get(caps, "processes")),
		     272);
	cr_assert_eq(json_integer_value(json_object_get(caps, "memory_bytes")),
		     512 << 20);
	cr_assert(strstr(hb_str(json_object_get(r, "isolation"), "summary"),
			 "cgroup"));
	json_decref(r);
	hb_finish(&t);
}

Test(caps, memory_same_processes_under_the_default, .timeout = 120)
{
	struct hb t;
	json_t *r;

	/* the control: under the default 4 GiB nothing is killed */
	start(&t, hog_turns("NO-OOM"));
	run_plain(&t, NULL, NULL);
	r = assert_ok(&t);
	json_decref(r);
	hb_finish(&t);
}

Test(caps, memory_default_layer_or_warning)
{
	enum host h = memory_host();
	struct hb t;
	json_t *r, *iso, *caps, *w;
	bool warned = false;
	size_t i;

	start_bash(&t, "echo hi");
	run_plain(&t, NULL, NULL);
	r = assert_ok(&t);
	iso = json_object_get(r, "isolation");
	caps = json_object_get(iso, "run_caps");
	json_array_foreach(json_object_get(r, "warnings"), i, w)
		warned |= strstr(json_string_value(w), "cannot be enforced") !=
			  NULL;
	if (json_is_true(json_object_get(caps, "memory_enforced"))) {
		cr_assert_neq(h, HOST_CANNOT);
		cr_assert(strstr(hb_str(iso, "summary"), "cgroup"));
		cr_assert_not(warned);
	} else {
		cr_assert_neq(h, HOST_ENFORCES,
			      "root and v1 memory: no cgroup");
		/* a default that cannot be enforced: said, and no layer */
		cr_assert_null(strstr(hb_str(iso, "summary"), "cgroup"));
		cr_assert(warned);
		cr_assert(strstr(t.out.err, "warning"), "%s", t.out.err);
		cr_assert_str_eq(hb_str(caps, "cgroup"), "none");
	}
	json_decref(r);
	hb_finish(&t);
}

Test(caps, memory_from_the_user_config)
{
	enum host h = memory_host();
	char cfg[600];
	struct hb t;
	json_t *r;

	start_bash(&t, "echo hi");
	hb_write(&t, "user.yaml", "max_memory: 256MiB\nmax_files: 5000\n", cfg,
		 sizeof(cfg));
	setenv("GAO_DEV_CONFIG", cfg, 1);
	run_plain(&t, NULL, NULL);
	if (h == HOST_CANNOT || (h == HOST_UNKNOWN && t.out.code == 4)) {
		assert_exit4(&t); /* asked for in the config: as explicit */
		hb_finish(&t);
		return;
	}
	r = assert_ok(&t);
	cr_assert_eq(json_integer_value(json_object_get(
			     json_object_get(json_object_get(r, "isolation"),
					     "run_caps"),
			     "memory_bytes")),
		     256 << 20);
	json_decref(r);
	hb_finish(&t);
}

Test(caps, bad_user_config_values)
{
	static const char *const bad[][2] = {
		{ "max_memory: 4GB\n", "max_memory" },
		{ "max_memory: -1\n", "max_memory" },
		{ "max_memory: [1]\n", "max_memory" },
		{ "max_disk: 1.5G\n", "max_disk" },
		{ "max_files: 0\n", "max_files" },
		{ "max_files: \"10\"\n", "max_files" },
		/* the version becomes a request header: a date, nothing else */
		{ "anthropic_version: \"2026-10-21\\r\\nx-evil: 1\"\n",
		  "anthropic_version" },
		{ "anthropic_version: latest\n", "anthropic_version" },
		{ "anthropic_version: 20261021\n", "anthropic_version" },
		/* a key nothing reads is a typo, not a silent default */
		{ "max_memroy: 256MiB\n", "max_memroy: not a key" },
		{ "- max_memory: 256MiB\n", "must be a mapping" },
		{ "boilerplate_root: 5\n", "boilerplate_root" },
		{ "max_timeout: 0\n", "max_timeout" },
	};
	char cfg[600], want[700];
	struct hb t;

	start_bash(&t, "echo hi");
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		hb_write(&t, "user.yaml", bad[i][0], cfg, sizeof(cfg));
		setenv("GAO_DEV_CONFIG", cfg, 1);
		run_plain(&t, NULL, NULL);
		cr_assert_eq(t.out.code, 2, "%s: exit %d; stderr:\n%s",
			     bad[i][0], t.out.code, t.out.err);
		snprintf(want, sizeof(want), "%s:1:", cfg);
		cr_assert(strstr(t.out.err, want), "%s", t.out.err);
		cr_assert(strstr(t.out.err, bad[i][1]), "%s", t.out.err);
	}
	hb_finish(&t);
}

Test(caps, bad_options_are_usage_errors)
{
	static const char *const bad[][2] = {
		{ "--max-memory", "4GB" },
		{ "--max-memory", "1M" },
		{ "--max-disk", "lots" },
		{ "--max-files", "-3" },
	};
	struct hb t;

	start_bash(&t, "echo hi");
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		run_plain(&t, bad[i][0], bad[i][1]);
		cr_assert_eq(t.out.code, 2, "%s %s: exit %d", bad[i][0],
			     bad[i][1], t.out.code);
		cr_assert(strstr(t.out.err, bad[i][0]), "%s", t.out.err);
	}
	hb_finish(&t);
}

/* ---- gao-dev's own files ------------------------------------------------ */

/*
 * A record of gao-dev's own that cannot be written is an infrastructure
 * error. The sandbox root is a 4 MiB tmpfs; the agent fills it (its
 * events, transcript and audit lines then fail with ENOSPC), then frees
 * it, so the results file can be written and must say what was lost:
 * status error, write_failed, exit 4. Needs root (mounting the tmpfs);
 * elsewhere skipped.
 */
Test(own_files, a_lost_record_is_exit_4)
{
	struct hb t;
	json_t *r, *errors, *e;
	size_t i;
	bool named = false;

	start(&t, json_pack("[{s:[o]},{s:[o]},{s:[{s:s,s:s}]}]", "content",
			    bash("head -c 8000000 /dev/zero > big; echo full"),
			    "content", bash("rm -f big; echo freed"), "content",
			    "type", "text", "text", "done"));
	cr_assert_eq(mkdir(t.root, 0755), 0);
	if (mount("tmpfs", t.root, "tmpfs", MS_NOSUID | MS_NODEV,
		  "size=4m,mode=0755") != 0) {
		hb_finish(&t);
		cr_skip_test("cannot mount a tmpfs here (%s): needs root",
			     strerror(errno));
	}
	run_plain(&t, NULL, NULL);
	cr_assert_eq(t.out.code, 4, "exit %d; stdout:\n%s\nstderr:\n%s",
		     t.out.code, t.out.out, t.out.err);
	r = hb_results(&t);
	cr_assert_str_eq(hb_str(r, "status"), "error");
	cr_assert_str_eq(hb_str(r, "stop_reason"), "write_failed");
	errors = json_object_get(r, "errors");
	json_array_foreach(errors, i, e)
		named |= strstr(json_string_value(e), "cannot write") &&
			 strstr(json_string_value(e), strerror(ENOSPC));
	cr_assert(named, "no error names the lost write: %s",
		  json_dumps(errors, 0));
	cr_assert(strstr(t.out.out, "write_failed"), "%s", t.out.out);
	json_decref(r);
	cr_assert_eq(umount2(t.root, MNT_DETACH), 0);
	hb_finish(&t);
}
