/*
 * test_tool_bash.c - the Bash tool: output and exit codes, stderr merged,
 * cwd, stdin, the fds a command sees, timeouts that kill the whole group,
 * background processes that outlive bash, output capping, invalid UTF-8,
 * signal dispositions, the policy switch and input validation.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/unit/tool_fixture.h"
#include "worker/tool.h"

static struct tool_fixture fx;
static struct tool_out out;

static void
setup(void)
{
	tool_fixture_setup(&fx);
	memset(&out, 0, sizeof(out));
}

static void
teardown(void)
{
	tool_out_clear(&out);
	tool_fixture_teardown(&fx);
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
	tool_out_clear(&out);
	tool_fixture_run(&fx, tool_bash, json, timeout_ms, &out);
	free(json);
}

/* True once pid is gone or a zombie (killed), waiting up to 3 s. */
static bool
dead(pid_t pid)
{
	char path[64], buf[256], *p;
	int i, fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	for (i = 0; i < 300; i++) {
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
	double t0 = now_s();
	char *pidtxt;
	pid_t bg;

	bash_run("sleep 100 & echo $! > bg.pid; echo started; sleep 100",
		 "\"timeout\": 300", 0);
	cr_assert_lt(now_s() - t0, 5.0);
	cr_assert(out.is_error);
	cr_assert(strncmp(out.content,
			  "Command timed out after 300 ms\n"
			  "started\n",
			  39) == 0,
		  "%s", out.content);
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
	cr_assert_eq(kill(bg, 0), 0, "left alive by design");
	kill(bg, SIGKILL);
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
	tool_out_clear(&out);
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
	tool_out_clear(&out);
	tool_fixture_run(&fx, tool_bash, "{\"command\": \"echo a\\u0000b\"}", 0,
			 &out);
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "NUL") != NULL);
}
