/*
 * runner_report.c - the end of "sandbox run": the summaries, the exit
 * code, the JUnit file and the shard's manifest.
 *
 * Design note
 * -----------
 * Only the slots of this shard count (shard.h): the others never ran and
 * take no part in the summary, the exit code or the manifest. Each run's
 * results are read back from its file one at a time (runner_end.c); a
 * slot whose run could not start has its "not_started" record instead.
 * The JUnit file and the manifest are what a CI job reads: when either
 * cannot be written, an exit code that would let the job pass (0, 1, 5)
 * becomes 4.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/termesc.h"
#include "supervisor/config/cli.h"
#include "supervisor/out/junit.h"
#include "supervisor/out/results.h"
#include "supervisor/run/run.h"
#include "supervisor/run/run_status.h"
#include "supervisor/run/runner_int.h"
#include "supervisor/run/shard.h"

/* The exit code of all the runs (run_exit_aggregate: 130, 3, 2, 4, 5, 1). */
int
runner_report_aggregate(const struct runner *rn)
{
	int *codes = calloc((size_t)rn->n_slots + 1, sizeof(int));
	size_t n = 0;
	int rc;

	if (!codes)
		return EXIT_INFRA;
	for (int i = 0; i < rn->n_slots; i++) {
		int c = runner_end_exit_code(rn, i);

		if (shard_slot_mine(&rn->shard, i))
			codes[n++] = c < 0 ? EXIT_INFRA : c;
	}
	rc = run_exit_aggregate(codes, n, rn->interrupted);
	free(codes);
	return rc;
}

void
runner_report_summaries(struct runner *rn)
{
	for (int i = 0; i < rn->n_slots; i++) {
		json_t *res;

		/* a run that could not start said why when it failed */
		if (!rn->runs[i] && !rn->ends[i].ran)
			continue;
		res = runner_end_results(rn, i);
		if (!res)
			continue;
		if (i)
			termesc_fprintf(stdout, "\n");
		results_print_summary(stdout, res);
		json_decref(res);
	}
	if (rn->n_slots > 1 || rn->shard.n) {
		int ok = 0, mine = 0;

		for (int i = 0; i < rn->n_slots; i++) {
			mine += shard_slot_mine(&rn->shard, i);
			ok += runner_end_exit_code(rn, i) == 0;
		}
		termesc_fprintf(stdout, "\n%d of %d runs passed\n", ok, mine);
		if (rn->shard.n)
			termesc_fprintf(stdout,
					"shard %d of %d: %d of %d units\n",
					rn->shard.i, rn->shard.n, mine,
					rn->n_slots);
	}
}

/* What a run-less exit code means, when no message said more. */
static const char *
exit_meaning(int rc)
{
	switch (rc) {
	case EXIT_USAGE:
		return "usage or configuration error";
	case EXIT_KEY:
		return "API key missing or rejected";
	case EXIT_INTERRUPTED:
		return "interrupted before any run";
	default:
		return "infrastructure failure before any run";
	}
}

/*
 * --junit: the file for every run that started (its results) or could
 * not start, else for the invocation's early end (junit.h). The exit
 * code, or 4 when the file cannot be written and nothing worse happened:
 * a CI job would otherwise pass without its report.
 */
int
runner_report_junit(struct runner *rn, int rc)
{
	json_t *runs = rn->runs ? json_array() : NULL;
	int wrc;

	for (int i = 0; runs && i < rn->n_slots; i++) {
		json_t *r = runner_end_results(rn, i);

		if (json_is_object(r))
			json_array_append(runs, r);
		json_decref(r);
	}
	wrc = junit_write(rn->cli->junit, runs, rc,
			  runner_say_first() ? runner_say_first() :
					       exit_meaning(rc));
	json_decref(runs);
	if (wrc == 0)
		return rc;
	termesc_fprintf(stderr, "gao-dev: cannot write --junit %s: %s\n",
			rn->cli->junit, strerror(-wrc));
	return rc == EXIT_OK || rc == EXIT_FAILED || rc == EXIT_LIMIT ?
		       EXIT_INFRA :
		       rc;
}

/* The shard's manifest; a CI job must not pass without it (exit 4). */
int
runner_report_manifest(struct runner *rn, const char *root, int rc)
{
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
	json_t **res = calloc((size_t)rn->n_slots + 1, sizeof(*res));
	char err[4300];
	int wrc = -1;

	if (res) {
		for (int i = 0; i < rn->n_slots; i++) {
			if (!shard_slot_mine(&rn->shard, i))
				continue;
			res[i] = runner_end_results(rn, i);
		}
		wrc = shard_write_manifest(root, &rn->shard,
					   (const json_t **)res,
					   rn->interrupted, err, sizeof(err));
		for (int i = 0; i < rn->n_slots; i++)
			json_decref(res[i]);
	} else {
		snprintf(err, sizeof(err), "out of memory");
	}
	free(res);
	if (wrc == 0)
		return rc;
	termesc_fprintf(stderr, "gao-dev: --shard: %s\n", err);
	return rc == EXIT_OK || rc == EXIT_FAILED || rc == EXIT_LIMIT ?
		       EXIT_INFRA :
		       rc;
}
