/*
 * run_tasks.c - the run's questions to its service workers, one after
 * another, inside the run's time limit; and the one check both the phases
 * and the criteria ask: which paths exist.
 *
 * Design note
 * -----------
 * A task is a Bash command, the service worker that runs it and a parser
 * of its answer. Tasks run in the order they were queued; the list ends
 * in a continuation. Every task gets an answer: the worker's, or "not
 * run" with the reason, so a parser always records a verdict.
 *
 * The run's deadline bounds the tasks: each runs with its own timeout cut
 * to the time left; one that cannot start in time, or that was cut by the
 * deadline, is "not run: run time limit" and the run's status becomes
 * timeout (exit 5). A check never outlives its run.
 *
 * Checks fail closed. A command's answer counts only when it is complete
 * and what the parser expects: the path check below answers one line per
 * pattern, by index (a path an agent chose never becomes a line of the
 * protocol), and an END line with the count; anything else (a project
 * the worker cannot enter, a killed shell, a truncated output) makes the
 * check fail with the reason.
 */
#include "supervisor/run/run_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"

/* The least time worth starting a check with. */
#define TASK_MIN_MS 1000u

struct task {
	struct svc *svc;
	char *command;
	uint32_t timeout_ms;
	bool cut; /* its timeout was cut to the run's time left */
	run_task_parse parse;
	void *arg;
};

uint64_t
run_time_left_ms(const struct run *r)
{
	uint64_t now = loop_now_ms();

	return r->budget.deadline_ms > now ? r->budget.deadline_ms - now : 0;
}

static void run_next_task(struct run *r);

/* The run's time is up: the task is not run, and the run timed out. */
static void
task_out_of_time(struct run *r, struct task *t)
{
	run_audit_record(r, t->svc, t->command, NULL, RUN_NOT_RUN_TIME);
	run_set_status(&r->state, RUN_STATUS_TIMEOUT, "run_timeout");
	t->parse(r, NULL, RUN_NOT_RUN_TIME, t->arg);
}

/* The task's service worker fell short of --require-isolation: the run
 * is an isolation error (exit 4), said once, and the task is not run. */
static void
task_isolation_unmet(struct run *r, struct task *t, const char *why)
{
	if (run_set_status(&r->state, RUN_STATUS_ERROR, "isolation_unmet"))
		json_array_append_new(r->errors, json_string(why));
	t->parse(r, NULL, RUN_NOT_RUN_ISOLATION, t->arg);
}

static void
on_task(void *ctx, const struct msg_tool_result *res)
{
	struct run *r = ctx;
	struct task *t = &r->tasks[r->task_idx++];
	const char *unmet = res ? NULL : svc_unmet(t->svc);

	run_audit_record(r, t->svc, t->command, res,
			 unmet ? unmet : RUN_NOT_RUN_SVC);
	if (unmet)
		task_isolation_unmet(r, t, unmet);
	else if (t->cut && (!res || res->is_error) &&
		 run_time_left_ms(r) < TASK_MIN_MS)
		task_out_of_time(r, t);
	else
		t->parse(r, res, res ? NULL : RUN_NOT_RUN_SVC, t->arg);
	run_next_task(r);
}

/* Start task t with the time the run has left; false when it cannot. */
static bool
task_start(struct run *r, struct task *t)
{
	uint64_t left = run_time_left_ms(r);

	if (left < TASK_MIN_MS) {
		task_out_of_time(r, t);
		return false;
	}
	if (left < t->timeout_ms) {
		t->timeout_ms = (uint32_t)left;
		t->cut = true;
	}
	if (!t->svc ||
	    svc_bash(t->svc, t->command, t->timeout_ms, on_task, r) < 0) {
		run_audit_record(r, t->svc, t->command, NULL, RUN_NOT_RUN_SVC);
		t->parse(r, NULL, RUN_NOT_RUN_SVC, t->arg);
		return false;
	}
	return true;
}

static void
run_next_task(struct run *r)
{
	void (*cont)(struct run *) = r->tasks_done;

	while (r->task_idx < r->n_tasks) {
		if (task_start(r, &r->tasks[r->task_idx]))
			return;
		r->task_idx++;
	}
	for (size_t i = 0; i < r->n_tasks; i++)
		free(r->tasks[i].command);
	free(r->tasks);
	r->tasks = NULL;
	r->n_tasks = r->task_idx = 0;
	r->tasks_done = NULL;
	if (cont)
		cont(r);
}

void
run_task_add(struct run *r, struct svc *svc, char *command, uint32_t timeout_ms,
	     run_task_parse p, void *arg)
{
	struct task *t = realloc(r->tasks, (r->n_tasks + 1) * sizeof(*t));

	if (t)
		r->tasks = t; /* realloc may have moved it, command or not */
	if (!t || !command) {
		free(command);
		p(r, NULL, "not run: out of memory", arg);
		return;
	}
	r->tasks[r->n_tasks++] = (struct task){ .svc = svc,
						.command = command,
						.timeout_ms = timeout_ms,
						.parse = p,
						.arg = arg };
}

void
run_tasks_drop(struct run *r, const char *why)
{
	for (size_t i = 0; i < r->n_tasks; i++) {
		r->tasks[i].parse(r, NULL, why, r->tasks[i].arg);
		free(r->tasks[i].command);
	}
	free(r->tasks);
	r->tasks = NULL;
	r->n_tasks = r->task_idx = 0;
}

void
run_tasks_start(struct run *r, void (*done)(struct run *))
{
	r->tasks_done = done;
	r->task_idx = 0;
	run_next_task(r);
}

/* ---- which paths exist -------------------------------------------------- */

/* Quote each string of list for bash, space-separated (malloc'ed). */
static char *
quote_list(const json_t *list)
{
	size_t i, len = 0;
	json_t *v;
	char *out = calloc(1, 1);

	json_array_foreach(list, i, v) {
		char *q = svc_quote(
			json_string_value(v) ? json_string_value(v) : "");
		size_t n = q ? strlen(q) : 0;
		char *m = q ? realloc(out, len + n + 2) : NULL;

		if (!m) {
			free(q);
			free(out);
			return NULL;
		}
		out = m;
		out[len++] = ' ';
		memcpy(out + len, q, n + 1);
		len += n;
		free(q);
	}
	return out;
}

/*
 * A bash script: for each pattern (alternatives joined by " OR "), FOUND
 * or MISSING with its index, then END and the count. A path counts when
 * it resolves inside the project and is a readable regular file, or a
 * directory the worker may list ("dir/": a non-empty one). Globs use
 * globstar and never split on spaces. stderr is dropped: the answer is
 * stdout alone, and the script fails (no END) when the project cannot be
 * entered.
 */
static const char find_fn[] =
	"exec 2>/dev/null; shopt -s globstar nullglob dotglob; "
	"root=$(pwd -P) && [ -r \"$root\" ] && [ -x \"$root\" ] || exit 3; "
	"ok() { local r; r=$(realpath -e -- \"$1\") || return 1; "
	"case \"$r\" in \"$root\"|\"$root\"/*) ;; *) return 1;; esac; "
	"if [ -d \"$r\" ]; then [ -r \"$r\" ] && [ -x \"$r\" ]; "
	"else [ -f \"$r\" ] && [ -r \"$r\" ]; fi; }; "
	"have() { local p=\"$1\" f IFS=; if [[ \"$p\" == */ ]]; then "
	"p=\"${p%/}\"; ok \"$p\" && [ -d \"$p\" ] && "
	"[ -n \"$(ls -A -- \"$p\")\" ]; return; fi; local m=( $p ); "
	"for f in \"${m[@]}\"; do ok \"$f\" && return 0; done; return 1; }; "
	"check() { local s=\"$1\" alt; while [ -n \"$s\" ]; do "
	"alt=\"${s%% OR *}\"; [ \"$alt\" = \"$s\" ] && s=\"\" || "
	"s=\"${s#* OR }\"; have \"$alt\" && return 0; done; return 1; }; "
	"i=0; for a in \"$@\"; do if check \"$a\"; then echo \"FOUND $i\"; "
	"else echo \"MISSING $i\"; fi; i=$((i+1)); done; echo \"END $i\"";

char *
run_find_command(const json_t *patterns)
{
	char *args = quote_list(patterns), *fn = svc_quote(find_fn);
	char *cmd = NULL;

	if (args && fn && asprintf(&cmd, "bash -c %s _%s", fn, args) < 0)
		cmd = NULL;
	free(args);
	free(fn);
	return cmd;
}

/* The answer's reason for a failed check: the start of what it said. */
static void
why_malformed(const struct msg_tool_result *res, const char *what, char *why,
	      size_t cap)
{
	char head[200];

	utf8_copy(head, sizeof(head), res->content);
	for (char *p = head; *p; p++)
		if (*p == '\n')
			*p = ' ';
	snprintf(why, cap, "%s (exit %lld%s): %s", what,
		 (long long)res->exit_code,
		 res->truncated ? ", output truncated" : "", head);
}

int
run_parse_found(const struct msg_tool_result *res, size_t n, bool *found,
		char *why, size_t cap)
{
	const char *p = res ? res->content : NULL;
	char want[48];
	size_t i;

	if (!res || !p) {
		snprintf(why, cap, "%s", RUN_NOT_RUN_SVC);
		return -1;
	}
	for (i = 0; !res->is_error && !res->truncated && i <= n; i++) {
		size_t len;

		if (i == n)
			snprintf(want, sizeof(want), "END %zu", n);
		else if (strncmp(p, "FOUND ", 6) == 0)
			snprintf(want, sizeof(want), "FOUND %zu", i);
		else
			snprintf(want, sizeof(want), "MISSING %zu", i);
		len = strlen(want);
		/* the last line may have lost its newline */
		if (strncmp(p, want, len) != 0 ||
		    (p[len] != '\n' && (i < n || p[len] != 0)))
			break;
		if (i < n)
			found[i] = want[0] == 'F';
		p += len + (p[len] ? 1 : 0);
	}
	if (i == n + 1 && *p == 0 && res->exit_code == 0)
		return 0;
	why_malformed(res, "the check gave no complete answer", why, cap);
	return -1;
}
