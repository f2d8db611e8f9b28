/*
 * test_frames.c - attempt #28: a worker that sends garbage, huge or deep
 * frames, unknown types, wrong ids, out-of-state messages, or stalls.
 *
 * evil_worker.c is started in place of gao-dev-worker with the level's
 * spawn options, through the supervisor's wconn_start(). For each mode
 * the supervisor side must kill it, report a reason through the dead
 * callback, reap it (the pid is gone, its children too), and carry on:
 * at the end the real worker started by sbx_setup(), idle all along on
 * the same loop, still answers a tool call. The modes and their reasons
 * are evil_modes.h, shared with tests/unit/test_wconn.c.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "attempt.h"
#include "evil_modes.h"
#include "supervisor/core/child.h"
#include "supervisor/core/loop.h"
#include "supervisor/sandbox/wconn.h"

/* One hostile worker; true when it was killed for the expected reason
 * and is gone. */
static bool
one_mode(struct sbx *s, const struct evil_mode *m, char *log, size_t loglen)
{
	char mode_env[64], token_env[64];
	const char *env[] = { mode_env, token_env, NULL };
	pid_t pid;
	bool ok;

	snprintf(mode_env, sizeof(mode_env), "EVIL_MODE=%s", m->name);
	snprintf(token_env, sizeof(token_env), "EVIL_TOKEN=%s-evil", s->token);
	if (!sbx_start(s, sbx_evil_path(), env, 500)) {
		/* refused at start: the worker is reaped, the reason given */
		snprintf(log, loglen, "%s: start refused: %s", m->name, s->why);
		return evil_reason_ok(s->why, m->why);
	}
	pid = wconn_pid(s->w);
	if (m->call && sbx_wait_ready(s, 5000)) {
		json_t *in = json_pack("{s:s}", "command", "true");

		cr_assert_eq(wconn_call(s->w, "toolu_sbx_evil", "Bash", in,
					100),
			     0);
		json_decref(in);
	}
	sbx_wait_dead(s, 20000);
	wconn_stop(s->w);
	s->w = NULL;
	child_drain(s->loop); /* reaped (and swept) on the loop */
	ok = s->dead && evil_reason_ok(s->why, m->why) && kill(pid, 0) < 0 &&
	     errno == ESRCH;
	snprintf(log, loglen, "%s: dead=%d why=\"%s\" pid %d %s", m->name,
		 s->dead, s->why, (int)pid,
		 kill(pid, 0) == 0 ? "alive" : "gone");
	return ok;
}

SBX_ATTEMPT(a28_hostile_frames)
{
	char line[512], detail[8192] = "";
	size_t used = 0;
	bool escaped = false;

	/* The real worker is stopped first: without a PID namespace,
	 * stopping each hostile worker sweeps the run's uid as root, and the
	 * real worker's death would be reported through the same context. */
	wconn_stop(s->w);
	s->w = NULL;
	for (size_t i = 0; i < EVIL_N_MODES; i++) {
		/* the 5 s tool-deadline grace: once, at the full level */
		if (!strcmp(evil_modes[i].name, "stall_busy") &&
		    s->level != SBX_FULL)
			continue;
		if (!one_mode(s, &evil_modes[i], line, sizeof(line)))
			escaped = true;
		used += (size_t)snprintf(detail + used, sizeof(detail) - used,
					 "%s\n", line);
	}
	escaped |= sbx_survivors(s->token, 1000) > 0;
	sbx_kill_procs(s->token);
	sbx_judge(s, 28, escaped, detail);
	/* the supervisor side is fine: a real worker still works */
	s->dead = false;
	cr_assert(sbx_start(s, sbx_worker_path(), NULL, 10000), "%s", s->why);
	cr_assert(sbx_wait_ready(s, 10000), "%s", s->why);
	cr_assert(strstr(sbx_bash(s, 5000, "echo still-here"), "still-here"));
}

/* A worker flooding its log pipe is capped, and otherwise served. */
Test(full, a28_log_flood, .fini = sbx_fini, .timeout = 60)
{
	struct sbx *s = &sbx_cur;
	const char *env[] = { "EVIL_MODE=log_flood", NULL };
	const struct sbx_res *r;

	sbx_setup(s, SBX_FULL);
	wconn_stop(s->w);
	s->w = NULL;
	s->log_bytes = s->log_lines = 0;
	cr_assert(sbx_start(s, sbx_evil_path(), env, 10000), "%s", s->why);
	cr_assert(sbx_wait_ready(s, 15000), "%s", s->why);
	r = sbx_tool(s, "Bash", json_pack("{s:s}", "command", "true"), 5000);
	cr_assert_not_null(r, "%s", s->why);
	cr_assert_str_eq(r->content, "fine");
	/* 20 MiB were written; wconn keeps at most 1 MiB of log lines */
	cr_assert_leq(s->log_bytes, (1u << 20) + 4096u, "%zu bytes logged",
		      s->log_bytes);
	cr_assert_gt(s->log_bytes, 0u);
}
