/*
 * run_status.h - the statuses of a run and of its phases, the verdicts of
 * its success criteria, and the rules that combine them.
 *
 * Design note
 * -----------
 * Everything here is pure: no I/O, no loop, no JSON. The rules a run
 * follows are written once, here, and tested without an API, a worker or
 * a project (tests/unit/test_run_status.c). The names are the strings of
 * the results file (docs/results.md, docs/results.schema.json), the
 * events and the summary; the rest of supervisor/run/ neither spells nor
 * compares them.
 *
 * A run's status lives in a struct run_state, and only run_set_status()
 * changes it: the precedence between failed, timeout, stopped, cancelled
 * and error is decided there (run_status_merge() states the rules). A
 * phase ends with an enum phase_status; run_phase_ended() applies it to
 * the run with the phase's continue_on_failure, run_state_skips() applies
 * skip_if_failed to the phase after it. When the phases are over,
 * run_state_finish() decides between completed and failed from the phases
 * and the criteria' verdicts, run_status_exit_code() maps the status to
 * the exit code, and run_exit_aggregate() picks one code for many runs.
 */
#ifndef GAO_SUPERVISOR_RUN_STATUS_H
#define GAO_SUPERVISOR_RUN_STATUS_H

#include <stdbool.h>
#include <stddef.h>

#include "supervisor/agent/stop.h"
#include "supervisor/api/api.h"

/* A run's status; the order is not a precedence (see run_status_merge). */
enum run_status {
	RUN_STATUS_NONE = 0, /* no status yet: the run goes on */
	RUN_STATUS_COMPLETED,
	RUN_STATUS_FAILED,
	RUN_STATUS_TIMEOUT,
	RUN_STATUS_STOPPED,
	RUN_STATUS_CANCELLED,
	RUN_STATUS_ERROR,
};

/* How one phase ended (a session's status, or a command's). */
enum phase_status {
	PHASE_STATUS_SUCCESS = 0,
	PHASE_STATUS_FAILED,
	PHASE_STATUS_SKIPPED,
	PHASE_STATUS_TIMEOUT,
	PHASE_STATUS_STOPPED,
	PHASE_STATUS_CANCELLED,
	PHASE_STATUS_ERROR,
};

/* The outcome of one success criterion. */
enum verdict {
	VERDICT_PASSED = 0,
	VERDICT_FAILED,
	VERDICT_SKIPPED,
};

/*
 * The names in every output: "completed", "failed", "timeout", "stopped",
 * "cancelled", "error" ("running" for RUN_STATUS_NONE, which no output
 * shows); "success", "failed", "skipped", "timeout", "stopped",
 * "cancelled", "error"; "passed", "failed", "skipped". A value out of
 * range gives "unknown". Static strings, never NULL.
 */
const char *run_status_name(enum run_status s);
const char *phase_status_name(enum phase_status s);
const char *verdict_name(enum verdict v);

/*
 * phase_status_of_session - the phase status for how its agent session
 * ended (agent/stop.h). A value out of range gives PHASE_STATUS_ERROR: a
 * phase whose end is not understood did not succeed.
 */
enum phase_status phase_status_of_session(enum session_status st);

/* How many criteria got each verdict. */
struct verdict_tally {
	unsigned passed, failed, skipped;
};

/* Count one verdict (out of range: counted as failed). */
void verdict_tally_add(struct verdict_tally *t, enum verdict v);

/*
 * verdict_tally_result - the verdict of all the criteria together: failed
 * when any failed, else passed when any passed, else skipped (none at all,
 * or all skipped). Only failed fails a run: a skipped criterion could not
 * be evaluated and is reported so, never counted as passed.
 */
enum verdict verdict_tally_result(const struct verdict_tally *t);

/* What decides a run's status. Zeroed: a run that goes on. */
struct run_state {
	enum run_status status;       /* only run_set_status() writes it */
	char stop_reason[64];         /* why; "" while the status is NONE */
	enum api_outcome api_outcome; /* of the phase that set the status */
	bool last_failed;             /* the last phase that ran failed */
	bool any_failed;              /* a failed phase the run went past */
	struct verdict_tally criteria;
};

/*
 * run_status_merge - the status a run has when next is reported while it
 * has cur (next may be NONE: nothing changes). The rules are stated above
 * its definition in run_status.c.
 */
enum run_status run_status_merge(enum run_status cur, enum run_status next);

/*
 * run_set_status - the one setter of a run's status: report st with its
 * reason (a stop_reason, "" for none; NULL is ""). The status becomes
 * run_status_merge(s->status, st); the reason is taken only when the
 * status changes. Returns true when it changed.
 */
bool run_set_status(struct run_state *s, enum run_status st,
		    const char *reason);

/* True while the run may start phases: it has no status yet. */
bool run_state_going(const struct run_state *s);

/*
 * run_state_skips - whether the next phase, with its skip_if_failed, is
 * skipped: only when the last phase that ran did not succeed. A skipped
 * phase changes nothing: the one after it looks at the same phase.
 */
bool run_state_skips(const struct run_state *s, bool skip_if_failed);

/*
 * run_phase_effect - the status a phase that ended with st asks of its
 * run, NONE when the run goes on. A failed phase stops the run unless its
 * continue_on_failure says go on; timeout, stopped, cancelled and error
 * stop it whatever the config says; success and skipped let it go on.
 */
enum run_status run_phase_effect(enum phase_status st,
				 bool continue_on_failure);

/*
 * run_phase_ended - a phase that ran ended with st (after its checks: a
 * missing artifact has already made a success failed). Records whether it
 * failed (for skip_if_failed, and any_failed when the run goes past it)
 * and reports run_phase_effect() through run_set_status() with reason;
 * the api outcome is kept when that set the status. Returns what
 * run_set_status() returned.
 */
bool run_phase_ended(struct run_state *s, enum phase_status st,
		     const char *reason, enum api_outcome o,
		     bool continue_on_failure);

/*
 * run_state_judges_criteria - whether the success criteria are judged:
 * only when the phases ran to their end, that is with no status or a
 * failure (a failed run still reports its criteria). Not after a timeout,
 * a limit, a cancellation or an error.
 */
bool run_state_judges_criteria(const struct run_state *s);

/*
 * run_state_finish - the run's final status once every phase and check is
 * over. A run without a status yet becomes failed when it went past a
 * failed phase ("phase_failed") or a criterion failed ("criteria_failed"),
 * else completed (stop_reason ""). A failed run without a reason gets one
 * of those two. Afterwards the status is never NONE.
 */
void run_state_finish(struct run_state *s);

/*
 * run_status_exit_code - the exit code of one run: completed 0, failed 1,
 * timeout and stopped 5, cancelled 130; error 3 when the API refused the
 * key (401, 403), 2 when it did not know the model (404), else 4. NONE
 * (a run that never finished) is 4. The codes are cli.h's EXIT_*.
 */
int run_status_exit_code(enum run_status st, enum api_outcome o);

/*
 * run_exit_aggregate - the exit code of several runs (codes[i] of each;
 * a run that could not start counts as 4): 130 when interrupted, else the
 * first of 130, 3, 2, 4, 5, 1 that any run produced, else 0
 * (docs/api-client.md).
 */
int run_exit_aggregate(const int *codes, size_t n, bool interrupted);

#endif
