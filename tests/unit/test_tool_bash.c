/*
 * test_tool_bash.c - the Bash tool: output and exit codes, stderr merged,
 * cwd, stdin, the fds a command sees, timeouts that kill the whole group,
 * background processes that outlive bash, output capping, invalid UTF-8,
 * signal dispositions, the policy switch and input validation.
 * Processes a call leaves behind (background, setsid, double fork, nohup,
 * their own process group, a fork tree under timeout) are gone when it
 * returns, and the next call forks; background jobs (run_in_background)
 * write their output file, outlive the call, are counted against half of
 * the process cap and die with the session (bash_jobs_free).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/unit/tool_fixture.h"
#include "worker/bash_jobs.h"
#include "common/reaper.h"
#include "worker/tool.h"

static struct tool_fixture fx;
static struct tool_out out;

static void
setup(void)
{
	tool_fixture_begin(&fx, &out);
	/* as in the worker: this test process becomes a subreaper */
	fx.ctx.jobs = bash_jobs_new(false);
	cr_assert_not_null(fx.ctx.jobs);
}

static void
teardown(void)
{
	bash_jobs_free(fx.ctx.jobs);
	tool_fixture_end(&fx, &out);
}

TestSuite(bash, .init = setup, .fini = teardown, .timeout = 60);

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Run a command (JSON-escaped already) with extra JSON fields. */
static void
bash_run(const char *cmd, const char *extra, uint32_t timeout_ms)
{
	char *json;

	cr_assert_gt(asprintf(&json, "{\"command\": \"%s\"%s%s}", cmd,
			      extra ? ", " : "", extra ? extra : ""),
		     0);
	tool_fixture_run(&fx, tool_bash, json, timeout_ms, &out);
	free(json);
}

/* True once pid is gone or a zombie (killed or exited), waiting up to
 * 10 s (a loaded machine under the sanitizers). */
static bool
dead(pid_t pid)
{
	char path[64], buf[256], *p;
	int i, fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	for (i = 0; i < 1000; i++) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return true;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[n > 0 ? n : 0] = '\0';
		p = strrchr(buf, ')');
		if (p != NULL && (p[2] == 'Z' || p[2] == 'X'))
			return true;
		usleep(10000);
	}
	return false;
}

Test(bash, output_and_success)
{
	bash_run("echo hello; printf 'x y'", NULL, 0);
	cr_assert(!out.is_error);
	cr_assert_str_eq(out.content, "hello\nx y");
	cr_assert_eq(out.exit_code, 0);
	cr_assert_eq(out.bytes, 9);
	cr_assert(!out.truncated);
}

Test(bash, exit_code_is_reported_not_an_error)
{
	bash_run("echo out; exit 3", NULL, 0);
	cr_assert(!out.is_error);
	cr_assert_eq(out.exit_code, 3);
	cr_assert_str_eq(out.content, "out\n[exit code: 3]");
	bash_run("printf partial; false", NULL, 0);
	cr_assert_str_eq(out.content, "partial\n[exit code: 1]");
}

Test(bash, killed_by_signal_is_128_plus)
{
	bash_run("kill -9 $$", NULL, 0);
	cr_assert_eq(out.exit_code, 137);
	cr_assert(strstr(out.content, "[exit code: 137]") != NULL);
}

Test(bash, stderr_is_merged_in_order)
{
	bash_run("echo one; echo two >&2; echo three", NULL, 0);
	cr_assert_str_eq(out.content, "one\ntwo\nthree\n");
}

Test(bash, runs_in_the_project_with_null_stdin)
{
	char *want;

	bash_run("pwd; readlink /proc/self/fd/0; cat; echo end", NULL, 0);
	cr_assert_gt(asprintf(&want, "%s\n/dev/null\nend\n", fx.dir), 0);
	cr_assert_str_eq(out.content, want);
	free(want);
}

Test(bash, only_fds_0_1_2_reach_the_command)
{
	/* NOLINTNEXTLINE(android-cloexec-open): the leak is the test */
	int leak = open("/dev/null", O_RDONLY);

	cr_assert_geq(leak, 0);
	cr_assert_eq(dup2(leak, 77), 77);
	/* The shell's own fds: the glob opens the directory as fd 3. */
	bash_run("cd /proc/self/fd && for f in *; do echo $f; done", NULL, 0);
	cr_assert(!out.is_error);
	cr_assert(strncmp(out.content, "0\n1\n2\n", 6) == 0, "%s", out.content);
	cr_assert(strstr(out.content, "77") == NULL, "%s", out.content);
	cr_assert(strcmp(out.content + 6, "") == 0 ||
			  strcmp(out.content + 6, "3\n") == 0,
		  "%s", out.content);
	close(leak);
	close(77);
}

Test(bash, timeout_kills_the_whole_group)
{
	static const char want[] = "Command timed out after 3000 ms\n"
				   "started\n";
	double t0 = now_s();
	char *pidtxt;
	pid_t bg;

	/* 3 s: bash must have forked, written bg.pid and echoed before the
	 * timeout, on a loaded machine under the sanitizers too; the sleeps
	 * of 100 s still tell a killed group from one left running */
	bash_run("sleep 100 & echo $! > bg.pid; echo started; sleep 100",
		 "\"timeout\": 3000", 0);
	cr_assert_lt(now_s() - t0, 10.0);
	cr_assert(out.is_error);
	cr_assert(strncmp(out.content, want, strlen(want)) == 0, "%s",
		  out.content);
	cr_assert_eq(out.exit_code, 128 + SIGKILL);
	pidtxt = tool_fixture_get(fx.dir, "bg.pid", NULL);
	cr_assert_not_null(pidtxt);
	bg = (pid_t)atoi(pidtxt);
	free(pidtxt);
	cr_assert_gt(bg, 1);
	cr_assert(dead(bg), "background sleep %d survived", (int)bg);
}

Test(bash, supervisor_deadline_bounds_the_timeout)
{
	double t0 = now_s();

	bash_run("sleep 10", NULL, 200);
	cr_assert_lt(now_s() - t0, 5.0);
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "timed out after 200 ms") != NULL);
}

Test(bash, timeout_above_the_maximum_is_clamped)
{
	fx.ctx.timeout_max_ms = 300;
	bash_run("sleep 10", "\"timeout\": 5000", 0);
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "clamped to 300 ms") != NULL, "%s",
		  out.content);
	cr_assert(strstr(out.content, "timed out after 300 ms") != NULL);
}

Test(bash, default_timeout_from_the_policy)
{
	fx.ctx.timeout_default_ms = 200;
	bash_run("sleep 10", NULL, 0);
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "timed out after 200 ms") != NULL);
}

Test(bash, background_process_does_not_hold_the_call)
{
	double t0 = now_s();
	pid_t bg;

	/* sleep keeps the output pipe open after bash exits. */
	bash_run("sleep 30 & echo $!", NULL, 0);
	cr_assert_lt(now_s() - t0, 3.0, "waited for the background job");
	cr_assert(!out.is_error);
	cr_assert_eq(out.exit_code, 0);
	bg = (pid_t)atoi(out.content);
	cr_assert_gt(bg, 1);
	/* killed and reaped by the time the call returned */
	cr_assert_neq(kill(bg, 0), 0, "the leftover sleep %d lives", (int)bg);
	cr_assert(strstr(out.content, "1 process left running by the command "
				      "was killed"),
		  "%s", out.content);
}

Test(bash, output_is_capped_head_and_tail)
{
	fx.ctx.output_max = 1000;
	bash_run("printf START; head -c 100000 /dev/zero | tr '\\\\0' a; "
		 "printf END",
		 NULL, 0);
	cr_assert(!out.is_error);
	cr_assert(out.truncated);
	cr_assert_eq(out.bytes, 100008);
	cr_assert(strncmp(out.content, "START", 5) == 0);
	cr_assert(strstr(out.content, "output truncated: 100008 bytes") != NULL,
		  "%.600s", out.content);
	cr_assert_eq(strcmp(out.content + strlen(out.content) - 3, "END"), 0);
	cr_assert_lt(strlen(out.content), 1200);
}

Test(bash, floods_are_drained_and_counted)
{
	fx.ctx.output_max = 100;
	bash_run("yes | head -c 5000000; echo done >&2", NULL, 0);
	cr_assert_eq(out.exit_code, 0);
	cr_assert_eq(out.bytes, 5000005);
	cr_assert(strstr(out.content, "done\n") != NULL);
}

/* cat /dev/zero on a pipe of 1 MiB (F_SETPIPE_SZ): the reader never
 * finds it empty */
#define BIG_PIPE_FLOOD \
	"python3 -c 'import fcntl, os; fcntl.fcntl(1, 1031, 1 << 20); " \
	"os.execvp(\\\"cat\\\", [\\\"cat\\\", \\\"/dev/zero\\\"])'"

/* A writer that keeps the pipe full: the timeout still ends the call,
 * which is the timeout error with the output so far. */
static void
flood_times_out(const char *cmd)
{
	double t0 = now_s();

	bash_run(cmd, "\"timeout\": 1000", 0);
	cr_assert_lt(now_s() - t0, 5.0, "%s: %.1f s", cmd, now_s() - t0);
	cr_assert(out.is_error, "%s: %.200s", cmd, out.content);
	cr_assert(strncmp(out.content, "Command timed out after 1000 ms\n",
			  32) == 0,
		  "%s: %.200s", cmd, out.content);
	cr_assert_eq(out.exit_code, 128 + SIGKILL);
	cr_assert_gt(out.bytes, 0);
}

Test(bash, endless_floods_end_at_the_timeout)
{
	flood_times_out("yes");
	flood_times_out("cat /dev/zero");
	fx.ctx.output_max = 1 << 20;
	flood_times_out(BIG_PIPE_FLOOD);
}

/* bash exits at once, what it left keeps the pipe full: the call ends
 * after the grace and kills it. */
static void
flood_left_behind(const char *cmd)
{
	double t0 = now_s();

	bash_run(cmd, "\"timeout\": 1000", 0);
	cr_assert_lt(now_s() - t0, 5.0, "%s: %.1f s", cmd, now_s() - t0);
	cr_assert(!out.is_error, "%s: %.200s", cmd, out.content);
	cr_assert(strstr(out.content, "left running by the command") != NULL,
		  "%s: %.200s", cmd, out.content);
}

Test(bash, a_flood_left_behind_ends_with_the_call)
{
	flood_left_behind("yes & exit 0");
	flood_left_behind(BIG_PIPE_FLOOD " & exit 0");
}

Test(bash, invalid_utf8_and_nul_are_replaced)
{
	bash_run("printf 'a\\\\377\\\\0b\\\\303'", NULL, 0);
	cr_assert(tool_fixture_utf8_ok(out.content));
	cr_assert_str_eq(out.content, "a\xef\xbf\xbd\xef\xbf\xbd"
				      "b"
				      "\xef\xbf\xbd");
	cr_assert_eq(out.bytes, 5);
}

Test(bash, ignored_sigpipe_is_reset_for_the_command)
{
	signal(SIGPIPE, SIG_IGN);
	bash_run("yes | head -n 1; echo ${PIPESTATUS[0]}", NULL, 10000);
	signal(SIGPIPE, SIG_DFL);
	cr_assert(!out.is_error, "%s", out.content);
	/* 141 = killed by SIGPIPE; an inherited SIG_IGN would give 1. */
	cr_assert_str_eq(out.content, "y\n141\n");
}

Test(bash, environment_is_passed)
{
	setenv("GAO_TOOL_TEST_VAR", "visible", 1);
	bash_run("echo $GAO_TOOL_TEST_VAR", NULL, 0);
	cr_assert_str_eq(out.content, "visible\n");
}

Test(bash, refused_without_exec_permission)
{
	fx.ctx.allow_exec = false;
	bash_run("touch should_not_exist", NULL, 0);
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "not allowed") != NULL);
	cr_assert(!tool_fixture_exists(fx.dir, "should_not_exist"));
}

Test(bash, child_is_reaped)
{
	int status;

	bash_run("true", NULL, 0);
	cr_assert_eq(waitpid(-1, &status, WNOHANG), -1);
	cr_assert_eq(errno, ECHILD);
}

Test(bash, input_validation)
{
	tool_fixture_run(&fx, tool_bash, "{}", 0, &out);
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "\"command\"") != NULL);
	bash_run("", NULL, 0);
	cr_assert(out.is_error);
	bash_run("true", "\"timeout\": \"1000\"", 0);
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "\"timeout\"") != NULL);
	bash_run("true", "\"timeout\": 0", 0);
	cr_assert(out.is_error);
	bash_run("echo ok", "\"description\": \"say ok\", \"other\": 1", 0);
	cr_assert_str_eq(out.content, "ok\n");
	tool_fixture_run(&fx, tool_bash, "{\"command\": \"echo a\\u0000b\"}", 0,
			 &out);
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "NUL") != NULL);
}

/* ---- leftovers and background jobs ---------------------------------- */

/*
 * Live processes whose command line holds token (zombies have none); with
 * named, only those whose argv[0] is the token, not the shells that start
 * them. grep -l over /proc/[0-9]*\/cmdline: the grep itself and this
 * shell hold the token only as a bracket expression.
 */
static int
procs_with(const char *token, bool named)
{
	char cmd[160], line[32] = "0";
	FILE *f;

	snprintf(cmd, sizeof(cmd),
		 "grep -lsa '%s%.3s[%c]%s' /proc/[0-9]*/cmdline | wc -l",
		 named ? "^" : "", token, token[3], token + 4);
	f = popen(cmd, "re");
	cr_assert_not_null(f);
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	pclose(f);
	return atoi(line);
}

static int
marked(const char *token)
{
	return procs_with(token, false);
}

static int
named(const char *token)
{
	return procs_with(token, true);
}

/* The children of this process (every thread), zombies included. */
static int
children(void)
{
	char cmd[96], line[32] = "0";
	FILE *f;

	snprintf(cmd, sizeof(cmd), "cat /proc/%d/task/*/children | wc -w",
		 (int)getpid());
	f = popen(cmd, "re");
	cr_assert_not_null(f);
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	pclose(f);
	return atoi(line) - 1; /* popen's shell is one */
}

/* A token unique to this test process. */
static const char *
token(void)
{
	static char t[64];

	snprintf(t, sizeof(t), "gaotok%dx", (int)getpid());
	return t;
}

/* Run a command with every "%s" in it replaced by the token. */
static void
bash_fmt(const char *fmt, const char *extra)
{
	char cmd[1024];
	const char *p;
	size_t n = 0;

	for (p = fmt; *p && n + 64 < sizeof(cmd); p++) {
		if (p[0] == '%' && p[1] == 's') {
			n += (size_t)snprintf(cmd + n, sizeof(cmd) - n, "%s",
					      token());
			p++;
		} else {
			cmd[n++] = *p;
		}
	}
	cmd[n] = '\0';
	bash_run(cmd, extra, 20000);
}

Test(bash, leftovers_of_every_kind_die_when_the_call_returns)
{
	static const char *const kinds[] = {
		"bash -c 'exec -a %s sleep 100' &",
		"setsid -f bash -c 'exec -a %s sleep 100'",
		"setsid bash -c 'exec -a %s sleep 100' &",
		"( ( exec -a %s sleep 100 & ) & )",
		"nohup bash -c 'exec -a %s sleep 100' >/dev/null 2>&1 &",
		"set -m; bash -c 'exec -a %s sleep 100' & disown",
		("python3 -c 'import os,sys\\nif os.fork()==0:\\n os.setsid()\\n"
		 " if os.fork()==0: os.execvp(\\\"sleep\\\", [sys.argv[1], "
		 "\\\"100\\\"])' %s"),
		("perl -e 'setpgrp(0,0); exec {\\\"sleep\\\"} \\\"%s\\\", "
		 "100' &"),
	};
	char cmd[512];

	for (size_t i = 0; i < sizeof(kinds) / sizeof(*kinds); i++) {
		snprintf(cmd, sizeof(cmd), "%s\\nsleep 0.3; echo started",
			 kinds[i]);
		bash_fmt(cmd, NULL);
		cr_assert(strstr(out.content, "started"), "%s: %s", kinds[i],
			  out.content);
		cr_assert(strstr(out.content, "killed when it returned"),
			  "%s: %s", kinds[i], out.content);
		cr_assert_eq(marked(token()), 0, "%s survived the call",
			     kinds[i]);
		cr_assert_eq(children(), 0, "%s left a child", kinds[i]);
		bash_run("echo ok", NULL, 0);
		cr_assert_str_eq(out.content, "ok\n");
	}
}

Test(bash, leftovers_die_with_the_stat_scan_too)
{
	/* kernels without /proc/<pid>/task/<tid>/children */
	reaper_force_scan();
	bash_fmt("setsid -f bash -c 'exec -a %s sleep 100'; "
		 "( ( exec -a %s sleep 100 & ) & ); sleep 0.3; echo started",
		 NULL);
	cr_assert(strstr(out.content, "2 processes left running"), "%s",
		  out.content);
	cr_assert_eq(marked(token()), 0);
	cr_assert_eq(children(), 0);
}

Test(bash, fork_tree_under_timeout_is_gone_and_the_next_call_forks)
{
	double t0 = now_s();

	/* a bounded fork storm (127 shells, each with a sleep): the unit
	 * test may run as root, which RLIMIT_NPROC does not stop; the
	 * unbounded bomb runs in the sandbox (escape suite #21) */
	/* the tree ignores SIGTERM, which timeout sends its group */
	bash_fmt("b() { trap '' TERM; if [ $1 -gt 0 ]; then b $(($1-1)) & "
		 "b $(($1-1)) & fi; exec -a %s sleep 100; }; "
		 "export -f b; timeout 2 bash -c '(b 6 &); exec sleep 100'",
		 NULL);
	cr_assert_lt(now_s() - t0, 10.0);
	cr_assert_eq(out.exit_code, 124, "%s", out.content);
	cr_assert(strstr(out.content, "killed when it returned"), "%s",
		  out.content);
	cr_assert_eq(marked(token()), 0);
	cr_assert_eq(children(), 0);
	bash_run("for i in 1 2 3 4 5; do (true) & done; wait; echo forked",
		 NULL, 0);
	cr_assert_str_eq(out.content, "forked\n");
}

Test(bash, timed_out_command_leaves_nothing)
{
	bash_fmt("setsid -f bash -c 'exec -a %s sleep 100'; sleep 100",
		 "\"timeout\": 500");
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "timed out"), "%s", out.content);
	cr_assert_eq(marked(token()), 0);
	cr_assert_eq(children(), 0);
}

/* The output file a background result names. */
static char *
job_path(const char *content)
{
	const char *p = strstr(content, "go to ");
	const char *e;

	cr_assert_not_null(p, "%s", content);
	p += 6;
	e = strchr(p, ';');
	cr_assert_not_null(e, "%s", content);
	return strndup(p, (size_t)(e - p));
}

/* The job's pid from "pid N". */
static pid_t
job_pid(const char *content)
{
	const char *p = strstr(content, "pid ");

	cr_assert_not_null(p, "%s", content);
	return (pid_t)atoi(p + 4);
}

/* Wait up to 3 s until path holds want. */
static bool
file_has(const char *path, const char *want)
{
	char *s;
	bool ok = false;

	for (int i = 0; i < 300 && !ok; i++) {
		s = tool_fixture_get("/", path + 1, NULL);
		ok = s && strstr(s, want);
		free(s);
		if (!ok)
			usleep(10000);
	}
	return ok;
}

Test(bash, background_job_writes_its_file_and_outlives_the_call)
{
	char *path;
	pid_t pid;

	setenv("TMPDIR", fx.outside, 1);
	bash_fmt("echo out; echo err >&2; (exec -a %s sleep 100 &); "
		 "exec -a %s sleep 100",
		 "\"run_in_background\": true");
	cr_assert(!out.is_error, "%s", out.content);
	cr_assert(strstr(out.content, "read it with Bash (cat "), "%s",
		  out.content);
	path = job_path(out.content);
	pid = job_pid(out.content);
	cr_assert(strncmp(path, fx.outside, strlen(fx.outside)) == 0, "%s",
		  path);
	cr_assert(file_has(path, "out\nerr\n"));
	/* the next calls leave the job alone, its double fork included */
	/* the two sleeps; the shells that start them hold the token too */
	for (int i = 0; i < 500 && named(token()) < 2; i++)
		usleep(10000);
	bash_run("echo next", NULL, 0);
	cr_assert_str_eq(out.content, "next\n");
	cr_assert_eq(named(token()), 2);
	cr_assert_eq(kill(pid, 0), 0);
	cr_assert_eq(bash_jobs_live(fx.ctx.jobs), 1);
	/* the session ends: everything dies */
	bash_jobs_free(fx.ctx.jobs);
	fx.ctx.jobs = NULL;
	cr_assert_eq(marked(token()), 0);
	cr_assert_eq(children(), 0);
	free(path);
}

Test(bash, background_job_end_is_reported_once)
{
	char *path;
	pid_t pid;

	setenv("TMPDIR", fx.outside, 1);
	bash_run("echo done; exit 3", "\"run_in_background\": true", 0);
	cr_assert(!out.is_error, "%s", out.content);
	path = job_path(out.content);
	pid = job_pid(out.content);
	cr_assert(file_has(path, "done\n"));
	/* the keeper exits after its bash; a zombie until the next call
	 * reaps it, which is what that call reports */
	cr_assert(dead(pid), "the keeper %d is still running", (int)pid);
	bash_run("echo a", NULL, 0);
	cr_assert(strstr(out.content, "background job 1 "), "%s", out.content);
	cr_assert(strstr(out.content, "ended with exit code 3"), "%s",
		  out.content);
	bash_run("echo b", NULL, 0);
	cr_assert_str_eq(out.content, "b\n");
	free(path);
}

Test(bash, stopping_a_job_kills_its_tree)
{
	char cmd[512];
	pid_t pid;

	setenv("TMPDIR", fx.outside, 1);
	bash_fmt("(setsid -f bash -c 'exec -a %s sleep 100'); "
		 "exec -a %s sleep 100",
		 "\"run_in_background\": true");
	pid = job_pid(out.content);
	/* the two sleeps; the shells that start them hold the token too */
	for (int i = 0; i < 500 && named(token()) < 2; i++)
		usleep(10000);
	cr_assert_eq(named(token()), 2);
	/* the sweep after this call spares a live keeper's tree: wait (up
	 * to 10 s) until the keeper is dead, a zombie until that sweep */
	snprintf(cmd, sizeof(cmd),
		 "kill -- -%d; i=0; until grep -qs '^State:.Z' /proc/%d/status "
		 "|| [ ! -e /proc/%d ] || [ $i -ge 1000 ]; do sleep 0.01; "
		 "i=$((i+1)); done; echo stopped",
		 (int)pid, (int)pid, (int)pid);
	bash_run(cmd, NULL, 0);
	cr_assert(strstr(out.content, "stopped"), "%s", out.content);
	/* the setsid one left the group: the sweep took it */
	cr_assert_eq(marked(token()), 0);
	cr_assert_eq(children(), 0);
	cr_assert_eq(bash_jobs_live(fx.ctx.jobs), 0);
}

Test(bash, at_most_eight_background_jobs)
{
	setenv("TMPDIR", fx.outside, 1);
	for (int i = 0; i < BASH_JOBS_MAX; i++) {
		bash_run("sleep 100", "\"run_in_background\": true", 0);
		cr_assert(!out.is_error, "%d: %s", i, out.content);
	}
	bash_run("sleep 100", "\"run_in_background\": true", 0);
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "8 background jobs are running"), "%s",
		  out.content);
	bash_run("echo fg", NULL, 0);
	cr_assert_str_eq(out.content, "fg\n");
}

Test(bash, background_share_is_half_of_the_cap)
{
	bash_jobs_set_cap(fx.ctx.jobs, 20);
	setenv("TMPDIR", fx.outside, 1);
	/* keeper + bash + 6 sleeps = 8 of the 10 */
	bash_fmt("for i in 1 2 3 4 5 6; do (exec -a %s sleep 100) & done; "
		 "wait",
		 "\"run_in_background\": true");
	cr_assert(!out.is_error, "%s", out.content);
	for (int i = 0; i < 500 && marked(token()) < 6; i++)
		usleep(10000);
	/* keeper + sleep (bash execs it) = 10 of 10 */
	bash_fmt("exec -a %s sleep 100", "\"run_in_background\": true");
	cr_assert(!out.is_error, "%s", out.content);
	for (int i = 0; i < 500 && marked(token()) < 7; i++)
		usleep(10000);
	bash_run("sleep 100", "\"run_in_background\": true", 0);
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "hold 10 of the 10 allowed"), "%s",
		  out.content);
	bash_run("echo fg", NULL, 0);
	cr_assert_str_eq(out.content, "fg\n");
}

Test(bash, a_job_that_grows_past_its_share_is_killed)
{
	char *path;

	bash_jobs_set_cap(fx.ctx.jobs, 20);
	setenv("TMPDIR", fx.outside, 1);
	bash_run("sleep 100", "\"run_in_background\": true", 0);
	cr_assert(!out.is_error, "%s", out.content);
	bash_fmt("for i in $(seq 12); do (exec -a %s sleep 100) & done; wait",
		 "\"run_in_background\": true");
	cr_assert(!out.is_error, "%s", out.content);
	path = job_path(out.content);
	for (int i = 0; i < 300 && marked(token()) < 12; i++)
		usleep(10000);
	bash_run("echo fg", NULL, 0);
	cr_assert(strstr(out.content, "fg\n"), "%s", out.content);
	cr_assert(strstr(out.content, "background job 2 "), "%s", out.content);
	cr_assert(strstr(out.content, "was killed: background processes held"),
		  "%s", out.content);
	cr_assert_eq(marked(token()), 0);
	/* the older job is within the share and lives */
	cr_assert_eq(bash_jobs_live(fx.ctx.jobs), 1);
	free(path);
}

Test(bash, background_input_and_refusals)
{
	struct tool_ctx keep = fx.ctx;
	char *path;

	bash_run("true", "\"run_in_background\": \"yes\"", 0);
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "\"run_in_background\""), "%s",
		  out.content);
	fx.ctx.jobs = NULL;
	bash_run("true", "\"run_in_background\": true", 0);
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "not available"), "%s", out.content);
	fx.ctx = keep;
	/* an unusable TMPDIR falls back to /tmp; false runs in the
	 * foreground */
	setenv("TMPDIR", "relative", 1);
	bash_run("true", "\"run_in_background\": true", 0);
	cr_assert(!out.is_error, "%s", out.content);
	cr_assert(strstr(out.content, "go to /tmp/bash-bg-"), "%s",
		  out.content);
	path = job_path(out.content);
	bash_run("echo fg", "\"run_in_background\": false", 0);
	cr_assert(strncmp(out.content, "fg\n", 3) == 0, "%s", out.content);
	unlink(path);
	free(path);
}

Test(bash, output_file_is_never_followed_or_reused)
{
	char *path, target[PATH_MAX + 32];

	setenv("TMPDIR", fx.outside, 1);
	snprintf(target, sizeof(target), "%s/victim", fx.outside);
	tool_fixture_put(fx.outside, "victim", "keep");
	tool_fixture_symlink(target, fx.outside, "bash-bg-1.log");
	bash_run("echo x", "\"run_in_background\": true", 0);
	cr_assert(!out.is_error, "%s", out.content);
	path = job_path(out.content);
	cr_assert(strstr(path, "bash-bg-1-1.log"), "%s", path);
	cr_assert(file_has(path, "x\n"));
	free(path);
	path = tool_fixture_get(fx.outside, "victim", NULL);
	cr_assert_str_eq(path, "keep");
	free(path);
}

Test(bash, a_job_runs_with_half_of_the_process_limit)
{
	struct rlimit rl = { 1000, 1000 };
	char *path, want[32];

	/* lower only (an unprivileged user cannot raise it) */
	cr_assert_eq(getrlimit(RLIMIT_NPROC, &rl), 0);
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1000)
		rl.rlim_cur = 1000;
	if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max > 1000)
		rl.rlim_max = 1000;
	cr_assert_eq(setrlimit(RLIMIT_NPROC, &rl), 0);
	setenv("TMPDIR", fx.outside, 1);
	bash_run("grep 'Max processes' /proc/self/limits",
		 "\"run_in_background\": true", 0);
	cr_assert(!out.is_error, "%s", out.content);
	path = job_path(out.content);
	snprintf(want, sizeof(want), " %llu ",
		 (unsigned long long)(rl.rlim_cur / 2));
	cr_assert(file_has(path, want), "want%s", want);
	free(path);
}
