/*
 * runner_end.c - what "sandbox run" keeps of a run once it is over: its
 * exit code and where its results are (runner_int.h).
 *
 * Design note
 * -----------
 * An invocation may run thousands of runs for hours (--repeat, many
 * configs). Keeping each finished run, or only its results document,
 * until the final summaries grew the supervisor by some 50 KB a run
 * (scripts/soak's memory check). So a run is freed as soon as it has
 * given everything back (run_done_fn), and its slot keeps the exit code
 * and the results file's path; the summaries, the JUnit file and the
 * manifest read each results file back, one at a time (results_read:
 * bounded, no symlink). What the run wrote is what they show. Only a run
 * whose results could not be written, and a run that could not start,
 * keep a document in memory: there is no file to read back.
 */
#include <stdlib.h>
#include <string.h>

#include "supervisor/config/cli.h"
#include "supervisor/out/results.h"
#include "supervisor/run/runner_int.h"

/* The record of a slot that has no results file ({benchmark, status
 * "error", stop_reason, errors [why], exit_code 4}). */
static json_t *
error_record(const struct benchmark *b, const char *stop_reason,
	     const char *why)
{
	return json_pack("{s:{s:s,s:s},s:s,s:s,s:[s],s:i}", "benchmark", "name",
			 b->name, "config_file", b->path, "status", "error",
			 "stop_reason", stop_reason, "errors", why, "exit_code",
			 EXIT_INFRA);
}

void
runner_end_run(struct runner *rn, int slot, struct run *r)
{
	struct runner_end *e = &rn->ends[slot];
	const char *path = run_results_path(r);

	e->over = true;
	e->ran = true;
	e->exit_code = run_exit_code(r);
	e->results_path = path ? strdup(path) : NULL;
	/* no file (or no memory for its path): the document stays */
	if (!e->results_path)
		e->results = json_incref((json_t *)run_results(r));
	rn->runs[slot] = NULL;
	run_free(r);
}

void
runner_end_not_started(struct runner *rn, int slot, const struct benchmark *b,
		       const char *err)
{
	struct runner_end *e = &rn->ends[slot];

	e->over = true;
	e->exit_code = EXIT_INFRA;
	e->results = error_record(b, "not_started", err);
}

json_t *
runner_end_results(struct runner *rn, int slot)
{
	struct runner_end *e = &rn->ends[slot];
	char err[PATH_MAX + 200];
	json_t *v;

	if (rn->runs[slot]) /* still running: the loop was left early */
		return json_incref((json_t *)run_results(rn->runs[slot]));
	if (!e->over)
		return NULL;
	if (e->results || !e->results_path)
		return json_incref(e->results);
	v = results_read(e->results_path, err, sizeof(err));
	if (v)
		return v;
	runner_say("gao-dev: cannot read back the results: %s\n", err);
	e->results = error_record(rn->configs[slot % rn->n_configs],
				  "results_lost", err);
	e->exit_code = EXIT_INFRA;
	free(e->results_path);
	e->results_path = NULL;
	return json_incref(e->results);
}

int
runner_end_exit_code(const struct runner *rn, int slot)
{
	if (rn->runs[slot])
		return run_exit_code(rn->runs[slot]);
	return rn->ends[slot].over ? rn->ends[slot].exit_code : -1;
}

void
runner_end_free(struct runner *rn)
{
	for (int i = 0; rn->ends && i < rn->n_slots; i++) {
		free(rn->ends[i].results_path);
		json_decref(rn->ends[i].results);
	}
	free(rn->ends);
	rn->ends = NULL;
}
