/*
 * test_leftovers.c - attempts #21 and #22 once more, through the real
 * gao-dev: one Bash call cannot break the next.
 *
 * The escape suite's other attempts drive one worker directly; this one
 * runs the whole binary against the fake API (the integration harness)
 * with the level's test switches, so the tool definition the model is
 * offered, the system prompt and the supervisor's handling of a
 * background call are in play too. The scripted agent (a scenario
 * written per test, with the test's token in every process name):
 *
 *   1. runs a fork bomb under `timeout 2` (its own process group);
 *   2. then `echo` with arithmetic: the fake expects "ok-42", so a call
 *      that could not fork fails the run;
 *   3. leaves `setsid sleep` and a double-forked sleep behind;
 *   4. counts them from inside (/proc): the fake expects "left=0";
 *   5. starts a sleep with run_in_background: true;
 *   6. counts it: the fake expects "bg=1", and reads its output file
 *      with Bash;
 *   7. ends.
 *
 * From the host the test then checks that the run completed, that no
 * process with the token is left once gao-dev has exited (the job died
 * with the session), and that the request offered run_in_background in
 * Bash's input_schema and spoke of it in the system prompt. Run at every
 * isolation level, as root and as the unprivileged user (run-as-users).
 * Contained at every level, as docs/escape-suite.md says for #21 and #22.
 *
 * The second test kills the worker itself: the run's --timeout (3 s)
 * ends it in the middle of a Bash call, while a background job with a
 * double-forked grandchild and the call's own setsid child run. Without
 * a PID namespace those would outlive the worker; the supervisor is a
 * subreaper (supervisor/core/child.h) and sweeps what is handed to it, so
 * none may be left once gao-dev has exited, at any level, as root and as
 * the unprivileged user.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attempt.h"
#include "gaorun.h"

/* One tool_use turn: Bash with command (JSON-escaped), maybe in the
 * background, expecting want in the previous result (NULL: nothing). */
static void
turn(FILE *f, const char *want, const char *command, bool bg)
{
	fputs("{", f);
	if (want)
		fprintf(f, "\"expect\": {\"tool_result_contains\": [\"%s\"]}, ",
			want);
	fprintf(f,
		"\"content\": [{\"type\": \"tool_use\", \"name\": \"Bash\", "
		"\"input\": {\"command\": \"%s\", \"timeout\": 20000%s}}]},\n",
		command, bg ? ", \"run_in_background\": true" : "");
}

/* A scenario file at path, opened and begun: Amelia's turns follow. */
static FILE *
scenario_open(const char *path, const char *description)
{
	FILE *f = fopen(path, "we");

	cr_assert_not_null(f);
	fprintf(f,
		"{\"description\": \"%s\", \"conversations\": "
		"[{\"name\": \"amelia\", \"match\": \"Amelia\", "
		"\"turns\": [\n",
		description);
	return f;
}

/* The scenario above, with tok in every process name, written to path. */
static void
write_scenario(const char *path, const char *tok)
{
	char cmd[512];
	FILE *f = scenario_open(path, "test_leftovers.c");

	fputs("{\"expect\": {\"system_contains\": [\"run_in_background\"], "
	      "\"tools_include\": [\"Bash\"]}, ",
	      f);
	snprintf(cmd, sizeof(cmd),
		 "timeout 2 bash -c 'b() { b | b & }; b; sleep 10 # %s'; "
		 "echo bomb-done",
		 tok);
	fprintf(f,
		"\"content\": [{\"type\": \"tool_use\", \"name\": \"Bash\", "
		"\"input\": {\"command\": \"%s\", \"timeout\": 20000}}]},\n",
		cmd);
	turn(f, "bomb-done", "echo ok-$((40+2))", false);
	snprintf(cmd, sizeof(cmd),
		 "setsid bash -c 'exec -a %s-s sleep 1000' & "
		 "( (exec -a %s-d sleep 1000 &) & ); sleep 0.2; echo started",
		 tok, tok);
	turn(f, "ok-42", cmd, false);
	/* a bracket expression: the grep does not count itself */
	snprintf(cmd, sizeof(cmd),
		 "echo left=$(grep -ls '%.3s[%c]%s' /proc/[0-9]*/cmdline | "
		 "wc -l)",
		 tok, tok[3], tok + 4);
	turn(f, "started", cmd, false);
	snprintf(cmd, sizeof(cmd), "echo job-out; exec -a %s-j sleep 1000",
		 tok);
	turn(f, "left=0", cmd, true);
	/* the job runs on its own time: wait (up to 10 s, a loaded host) for
	 * its output and its sleep; a job the calls killed never shows */
	snprintf(cmd, sizeof(cmd),
		 "while [ $SECONDS -lt 10 ]; do n=$(grep -ls '%.3s[%c]%s-j' "
		 "/proc/[0-9]*/cmdline | wc -l); [ $n -ge 1 ] && grep -qs "
		 "job-out \\\"$TMPDIR\\\"/bash-bg-1.log && break; sleep 0.05; "
		 "done; echo bg=$n; cat \\\"$TMPDIR\\\"/bash-bg-1.log",
		 tok, tok[3], tok + 4);
	turn(f, "Started in the background", cmd, false);
	fputs("{\"expect\": {\"tool_result_contains\": [\"bg=1\", "
	      "\"job-out\"]}, \"content\": [{\"type\": \"text\", \"text\": "
	      "\"done\"}]}\n]}]}\n",
	      f);
	cr_assert_eq(fclose(f), 0);
}

/*
 * gao-dev at s's level on plain.yaml, with the options extra (NULL-ended,
 * at most 3; may be NULL), against the scenario write() puts at a path
 * with the token tok_prefix + s->token in every process name. Returns how
 * many processes with the token outlived gao-dev (then killed); out gets
 * gao-dev's outcome, g the test's directory (sbx_rmtree() it).
 */
static size_t
run_scenario(struct sbx *s, struct gaorun *g, const char *tok_prefix,
	     void (*write)(const char *path, const char *tok),
	     const char *const *extra, struct h_out *out)
{
	char sc[PATH_MAX], cfg[PATH_MAX], tok[48];
	size_t left;

	snprintf(tok, sizeof(tok), "%s%s", tok_prefix, s->token);
	gaorun_prepare(s, g);
	snprintf(sc, sizeof(sc), "%s/scenario.json", g->dir);
	write(sc, tok);
	h_src("tests/integration/configs/plain.yaml", cfg, sizeof(cfg));
	for (size_t i = 0; extra && extra[i] && i < 3; i++)
		g->extra[i] = extra[i];
	gaorun_run(s, g, sc, cfg, 120, out);
	left = sbx_survivors(tok, 1000);
	sbx_kill_procs(tok);
	return left;
}

static void
leftovers_through_gao_dev(struct sbx *s)
{
	struct gaorun g;
	struct h_out out = { 0 };
	size_t left;
	char *rec;

	left = run_scenario(s, &g, "gaoLeft", write_scenario, NULL, &out);
	rec = h_slurp(g.record, NULL);
	sbx_judge(s, 22, out.code != 0 || left > 0, out.err);
	cr_assert_eq(out.code, 0, "gao-dev exited %d\n%s\n%s", out.code,
		     out.out, out.err);
	cr_assert_not_null(rec);
	/* the model was offered the parameter */
	cr_assert(strstr(rec, "\"run_in_background\": {\"type\": "
			      "\"boolean\"") ||
			  strstr(rec, "\"run_in_background\":{\"type\":"
				      "\"boolean\""),
		  "Bash's input_schema lacks run_in_background");
	free(rec);
	h_out_free(&out);
	sbx_rmtree(g.dir);
}

/* The killed-worker scenario of the design note, written to path. */
static void
write_kill_scenario(const char *path, const char *tok)
{
	char cmd[512];
	FILE *f = scenario_open(path, "test_leftovers.c, killed");

	snprintf(cmd, sizeof(cmd),
		 "( (exec -a %s-d sleep 1000 &) & ); echo job-up; "
		 "exec -a %s-j sleep 1000",
		 tok, tok);
	turn(f, NULL, cmd, true);
	snprintf(cmd, sizeof(cmd),
		 "setsid bash -c 'exec -a %s-s sleep 1000' & "
		 "exec -a %s-f sleep 1000",
		 tok, tok);
	turn(f, "Started in the background", cmd, false);
	fputs("{\"content\": [{\"type\": \"text\", \"text\": "
	      "\"never reached\"}]}\n]}]}\n",
	      f);
	cr_assert_eq(fclose(f), 0);
}

static void
killed_worker_leaves_nothing(struct sbx *s)
{
	static const char *const timeout[] = { "--timeout", "3", NULL };
	struct gaorun g;
	struct h_out out = { 0 };
	size_t left;

	left = run_scenario(s, &g, "gaoKill", write_kill_scenario, timeout,
			    &out);
	sbx_judge(s, 22, left > 0, out.err);
	/* the run ended by its time limit, in the Bash call */
	cr_assert_eq(out.code, 5, "gao-dev exited %d\n%s\n%s", out.code,
		     out.out, out.err);
	cr_assert_not_null(strstr(out.err, "\"status\":\"timeout\""),
			   "the run did not end by its time limit:\n%s",
			   out.err);
	cr_assert_eq(left, 0, "%zu processes outlived the killed worker", left);
	h_out_free(&out);
	sbx_rmtree(g.dir);
}

SBX_TEST_AT(full, SBX_FULL, killed_worker_leaves_nothing)
SBX_TEST_AT(no_namespaces, SBX_NO_NS, killed_worker_leaves_nothing)
SBX_TEST_AT(no_landlock, SBX_NO_LANDLOCK, killed_worker_leaves_nothing)
SBX_TEST_AT(seccomp_only, SBX_SECCOMP_ONLY, killed_worker_leaves_nothing)

SBX_TEST_AT(full, SBX_FULL, leftovers_through_gao_dev)
SBX_TEST_AT(no_namespaces, SBX_NO_NS, leftovers_through_gao_dev)
SBX_TEST_AT(no_landlock, SBX_NO_LANDLOCK, leftovers_through_gao_dev)
SBX_TEST_AT(seccomp_only, SBX_SECCOMP_ONLY, leftovers_through_gao_dev)
