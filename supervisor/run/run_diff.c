/*
 * run_diff.c - the files each phase changed, with their diff, for the
 * report: runs/<run_id>/diffs/NN-PHASE.diff.
 *
 * Design note
 * -----------
 * The supervisor never runs git on the agents' tree. Before a phase's
 * commit (run_checks.c), the checks service worker stages the project as
 * the commit will (GIT_ADD_ALL) and prints `git diff --cached --stat`
 * (4 KiB at most) and the diff itself (RUN_DIFF_MAX bytes at most), with
 * no colour, no external diff driver and no textconv (an agent's
 * .gitattributes names no program that runs). The answer is capped again
 * by the worker's output limit. The supervisor writes it, redacted, to
 * the run directory (0600, atomically) and names it in the phase's
 * results entry (`diff`). A phase that changed nothing, or whose answer
 * is not complete, gets no file: the diff is for people, it decides
 * nothing (the commit and the checks do).
 */
#include "supervisor/run/run_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/io.h"
#include "common/pathbuf.h"
#include "supervisor/config/benchmark.h"
#include "supervisor/core/secret.h"

#define DIFF_TIMEOUT_MS 120000
#define DIFF_END "GAO_DIFF_END"

/* The same staging as the commit's (run_checks.c, GIT_ADD_ALL). */
#define DIFF_CMD \
	RUN_GIT_ADD_ALL \
	" || exit 3; " \
	"git -c core.quotepath=off diff --cached --no-color --no-ext-diff " \
	"--no-textconv --stat=160 | head -c 4096; echo; " \
	"git -c core.quotepath=off diff --cached --no-color --no-ext-diff " \
	"--no-textconv | head -c %d; echo; echo " DIFF_END

static void
parse_diff(struct run *r, const struct msg_tool_result *res, const char *why,
	   void *arg)
{
	struct phase *p = arg;
	char dir[PATH_MAX], path[PATH_MAX], slug[64], *red;
	const char *c = res ? res->content : NULL;
	size_t n = c ? strlen(c) : 0, k = strlen(DIFF_END);

	(void)why;
	if (!c || res->is_error || res->exit_code != 0 || n < k + 1 ||
	    strcmp(c + n - k - 1, DIFF_END "\n") != 0)
		return; /* not complete: no diff shown */
	n -= k + 1;
	while (n > 0 && (c[n - 1] == '\n' || c[n - 1] == ' '))
		n--;
	if (n == 0)
		return; /* nothing changed */
	benchmark_slug(p->def->name, slug, sizeof(slug));
	if (pathbuf_fmt(dir, sizeof(dir), "%s/diffs", r->run_dir) < 0 ||
	    pathbuf_fmt(path, sizeof(path), "%s/%02zu-%s.diff", dir,
			p->index + 1, slug) < 0 ||
	    run_mkdirs(dir) < 0)
		return;
	red = strndup(c, n);
	if (red) {
		char *clean = secret_redact(red);

		if (clean &&
		    io_write_file_atomic(path, clean, strlen(clean)) == 0)
			json_object_set_new(p->record, "diff",
					    json_string(path));
		free(clean);
	}
	free(red);
}

void
run_diff_task(struct run *r, struct phase *p)
{
	char *cmd = NULL;

	if (asprintf(&cmd, DIFF_CMD, RUN_DIFF_MAX) < 0)
		cmd = NULL;
	run_task_add(r, r->svc, cmd, DIFF_TIMEOUT_MS, parse_diff, p);
}
