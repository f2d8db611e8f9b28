/*
 * run_checks.c - what the run asks its service workers around the phases:
 * the project's setup (boilerplate_url, the git repository) and, after
 * each phase, its expected artifacts and a commit.
 *
 * Design note
 * -----------
 * Every question about the agent-controlled tree is a Bash command run in
 * a confined service worker (run_tasks.c); the supervisor only parses the
 * answer, and an answer that is not complete and exactly what it expects
 * makes the check fail: a hostile project can make a check fail, never
 * pass, and never run code outside the sandbox.
 *
 * The repository's git directory is not in the project: it is
 * runs/<run_id>/git, the private directory of the checks worker, which
 * runs git with GIT_DIR and GIT_WORK_TREE set, no system or global config
 * (GIT_CONFIG_NOSYSTEM, GIT_CONFIG_GLOBAL=/dev/null) and the repository
 * config gao-dev writes here. No agent's worker can write it (Landlock
 * grants an agent its project and its own tmp; a masked mount view, as
 * root, does not even show the run directory), so nothing an agent
 * writes becomes git config, a hook or an fsmonitor command. Without
 * Landlock the uid and the view are all that stand guard (security.md,
 * Known gaps). A .git an agent
 * creates in the project is agent data: git never adds a .git path, and
 * the repository's info/exclude names it besides.
 *
 * A phase's own checks decide its end with the session: a success whose
 * artifacts are missing fails ("missing_artifacts"), one whose checks
 * gave no complete answer or whose commit failed fails too ("checks_failed",
 * "commit_failed"), one whose checks the service worker could not run is
 * an error ("checks_not_run"), and one whose checks the run's time limit
 * cut is a timeout ("run_timeout").
 */
#include "supervisor/run/run_priv.h"

#include "supervisor/run/boilerplate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"

#define CHECK_TIMEOUT_MS 120000
#define CLONE_TIMEOUT_MS 600000

/* The last line of a command's answer is want, and it exited 0. */
static bool
ends_with_line(const struct msg_tool_result *res, const char *want)
{
	const char *c = res ? res->content : NULL;
	size_t n = c ? strlen(c) : 0, w = strlen(want);

	if (!c || res->is_error || res->exit_code != 0)
		return false;
	while (n > 0 && c[n - 1] == '\n')
		n--;
	return n >= w && memcmp(c + n - w, want, w) == 0 &&
	       (n == w || c[n - w - 1] == '\n');
}

/* What a failed git step said, for the errors list (malloc'ed). */
static char *
said(const struct msg_tool_result *res, const char *why)
{
	char head[400];

	if (!res)
		return strdup(why);
	utf8_copy(head, sizeof(head), res->content);
	for (char *p = head; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	return strdup(head[0] ? head : "(no output)");
}

/* ---- the project's setup ------------------------------------------------ */

static void
parse_git_init(struct run *r, const struct msg_tool_result *res,
	       const char *why, void *arg)
{
	char *s;

	(void)arg;
	if (ends_with_line(res, "OK"))
		return;
	s = said(res, why);
	json_array_append_new(r->errors,
			      json_sprintf("the project's git repository could "
					   "not be set up: %s",
					   s ? s : "?"));
	free(s);
	run_set_status(&r->state,
		       why && !strcmp(why, RUN_NOT_RUN_TIME) ?
			       RUN_STATUS_TIMEOUT :
			       RUN_STATUS_ERROR,
		       why && !strcmp(why, RUN_NOT_RUN_TIME) ? "run_timeout" :
							       "git_failed");
}

/*
 * A clone that brought the API key (a file holding it, in the repository
 * the config named) ends the run before git or any agent sees the
 * project: the supervisor walks the fresh tree as it walks a template
 * (boilerplate_check: no symlink followed, bounded), which no agent has
 * touched yet. 0 when it is clean.
 */
static int
clone_holds_key(struct run *r)
{
	char err[1024];

	if (boilerplate_check(r->project_dir, err, sizeof(err)) == 0)
		return 0;
	json_array_append_new(r->errors,
			      json_sprintf("boilerplate_url %s: %s",
					   r->b->boilerplate_url, err));
	run_set_status(&r->state, RUN_STATUS_ERROR, "boilerplate_failed");
	r->task_idx = r->n_tasks; /* no git init, no commit of it */
	return -1;
}

static void
parse_clone(struct run *r, const struct msg_tool_result *res, const char *why,
	    void *arg)
{
	char *s;

	(void)arg;
	if (ends_with_line(res, "CLONED")) {
		clone_holds_key(r);
		return;
	}
	s = said(res, why);
	json_array_append_new(r->errors,
			      json_sprintf("boilerplate_url %s: "
					   "the clone failed: %s",
					   r->b->boilerplate_url, s ? s : "?"));
	free(s);
	run_set_status(&r->state, RUN_STATUS_ERROR, "boilerplate_failed");
}

/*
 * The repository: hooks off, no fsmonitor, no untracked cache, no
 * signing, no submodule recursion, and .git entries of the project
 * excluded. Its config is the only one git reads (GIT_CONFIG_NOSYSTEM,
 * GIT_CONFIG_GLOBAL=/dev/null in the checks worker's environment).
 */
/*
 * git add -A, then every gitlink out of the index again. A directory of
 * the project holding a repository of its own (an agent can make one
 * with file tools alone) becomes a gitlink, and the next add asks that
 * "submodule" for its status: a git inside it, which reads the agent's
 * config there (core.fsmonitor, ...) and runs what it names. With no
 * gitlink in the index, no git ever runs inside a nested repository;
 * such a directory is not recorded in the history.
 */
#define GIT_ADD_ALL RUN_GIT_ADD_ALL

static const char git_init[] =
	"set -e; git init -q -b main >/dev/null 2>&1 || git init -q; "
	"git config core.hooksPath /dev/null; "
	"git config core.fsmonitor false; "
	"git config core.untrackedCache false; "
	"git config commit.gpgSign false; "
	"git config submodule.recurse false; "
	"git config advice.addEmbeddedRepo false; "
	"git config user.email gao-dev@localhost; "
	"git config user.name gao-dev; "
	"mkdir -p \"$GIT_DIR/info\"; "
	"printf '.git\\n' >> \"$GIT_DIR/info/exclude\"; " GIT_ADD_ALL "; "
	"git commit -q --allow-empty -m 'chore: initial project setup'; "
	"echo OK";

void
run_setup_project(struct run *r, void (*next)(struct run *))
{
	char *q = r->svc_net ? svc_quote(r->b->boilerplate_url) : NULL;
	char *cmd = NULL;

	/* boilerplate_url: cloned into the empty project by a worker with
	 * the networked policy, its history dropped, before git init */
	if (q && asprintf(&cmd,
			  "git clone -q --depth 1 -- %s . && rm -rf "
			  ".git && echo CLONED",
			  q) >= 0)
		run_task_add(r, r->svc_net, cmd, CLONE_TIMEOUT_MS, parse_clone,
			     NULL);
	free(q);
	run_task_add(r, r->svc, strdup(git_init), CHECK_TIMEOUT_MS,
		     parse_git_init, NULL);
	run_tasks_start(r, next);
}

/* ---- after a phase ------------------------------------------------------ */

/*
 * A check of phase p could not say yes: a success becomes a failure
 * (reason) when the check ran (ran), else an error, or a timeout when the
 * run's time limit stopped it; the errors list says why.
 */
static void
phase_check_failed(struct run *r, struct phase *p, const char *reason,
		   const char *what, bool ran, const char *why)
{
	enum phase_status st = PHASE_STATUS_FAILED;

	if (!ran && !strcmp(why, RUN_NOT_RUN_TIME)) {
		st = PHASE_STATUS_TIMEOUT;
		reason = "run_timeout";
	} else if (!ran) {
		st = PHASE_STATUS_ERROR;
		reason = "checks_not_run";
	}
	json_array_append_new(r->errors, json_sprintf("phase %s: %s: %s",
						      p->def->name, what, why));
	if (p->status != PHASE_STATUS_SUCCESS)
		return;
	p->status = st;
	snprintf(p->stop_reason, sizeof(p->stop_reason), "%s", reason);
	json_object_set_new(p->record, "status",
			    json_string(phase_status_name(p->status)));
	json_object_set_new(p->record, "stop_reason",
			    json_string(p->stop_reason));
}

static void
parse_artifacts(struct run *r, const struct msg_tool_result *res,
		const char *why, void *arg)
{
	struct phase *p = arg;
	const json_t *want = p->def->expected_artifacts;
	size_t n = json_array_size(want);
	json_t *found = json_array(), *missing = json_array(), *rec;
	bool *ok = calloc(n + 1, sizeof(bool));
	char text[600];

	rec = json_pack("{s:O,s:o,s:o}", "expected", want, "found", found,
			"missing", missing);
	json_object_set_new(p->record, "artifacts", rec);
	if (!res || !ok || run_parse_found(res, n, ok, text, sizeof(text))) {
		/* no complete answer: none of them counts as found */
		for (size_t i = 0; i < n; i++)
			json_array_append(missing, json_array_get(want, i));
		json_object_set_new(rec, "error",
				    json_string(res && ok ? text :
						why       ? why :
							    "out of memory"));
		phase_check_failed(r, p, "checks_failed", "the artifact check",
				   res != NULL,
				   res && ok ? text :
				   why       ? why :
					       "out of memory");
		free(ok);
		return;
	}
	for (size_t i = 0; i < n; i++)
		json_array_append(ok[i] ? found : missing,
				  json_array_get(want, i));
	free(ok);
	if (json_array_size(missing) && p->status == PHASE_STATUS_SUCCESS) {
		p->status = PHASE_STATUS_FAILED;
		snprintf(p->stop_reason, sizeof(p->stop_reason),
			 "missing_artifacts");
		json_object_set_new(p->record, "status",
				    json_string(phase_status_name(p->status)));
		json_object_set_new(p->record, "stop_reason",
				    json_string(p->stop_reason));
	}
}

static void
parse_commit(struct run *r, const struct msg_tool_result *res, const char *why,
	     void *arg)
{
	struct phase *p = arg;
	char *s;

	if (ends_with_line(res, "COMMITTED") || ends_with_line(res, "NOCHANGE"))
		return;
	s = said(res, why);
	phase_check_failed(r, p, "commit_failed", "the commit", res != NULL,
			   s ? s : "out of memory");
	free(s);
}

void
run_after_phase(struct run *r, struct phase *p, void (*next)(struct run *))
{
	const struct bm_phase *ph = p->def;
	char slug[64], *msg = NULL, *q = NULL, *cmd = NULL;

	if (json_array_size(ph->expected_artifacts))
		run_task_add(r, r->svc,
			     run_find_command(ph->expected_artifacts),
			     CHECK_TIMEOUT_MS, parse_artifacts, p);
	run_diff_task(r, p); /* before the commit: the staged changes */
	benchmark_slug(ph->story ? ph->story : ph->name, slug, sizeof(slug));
	if (asprintf(&msg, "%s(%s): %s by %s", ph->story ? "feat" : "chore",
		     slug, ph->name, ph->command ? "command" : ph->agent) >= 0)
		q = svc_quote(msg);
	free(msg);
	if (q && asprintf(&cmd,
			  GIT_ADD_ALL
			  " || exit 3; "
			  "if git diff --cached --quiet; then echo NOCHANGE; "
			  "else git commit -q -m %s && echo COMMITTED; fi",
			  q) < 0)
		cmd = NULL;
	free(q);
	run_task_add(r, r->svc, cmd, CHECK_TIMEOUT_MS, parse_commit, p);
	run_tasks_start(r, next);
}
