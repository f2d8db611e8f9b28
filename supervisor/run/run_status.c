/*
 * run_status.c - statuses, verdicts and the rules that combine them. See
 * run_status.h for the design note.
 */
#include "supervisor/run/run_status.h"

#include <stdio.h>
#include <string.h>

#include "supervisor/config/cli.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static const char *const run_names[] = {
	[RUN_STATUS_NONE] = "running",    [RUN_STATUS_COMPLETED] = "completed",
	[RUN_STATUS_FAILED] = "failed",   [RUN_STATUS_TIMEOUT] = "timeout",
	[RUN_STATUS_STOPPED] = "stopped", [RUN_STATUS_CANCELLED] = "cancelled",
	[RUN_STATUS_ERROR] = "error",
};

static const char *const phase_names[] = {
	[PHASE_STATUS_SUCCESS] = "success",
	[PHASE_STATUS_FAILED] = "failed",
	[PHASE_STATUS_SKIPPED] = "skipped",
	[PHASE_STATUS_TIMEOUT] = "timeout",
	[PHASE_STATUS_STOPPED] = "stopped",
	[PHASE_STATUS_CANCELLED] = "cancelled",
	[PHASE_STATUS_ERROR] = "error",
};

static const char *const verdict_names[] = {
	[VERDICT_PASSED] = "passed",
	[VERDICT_FAILED] = "failed",
	[VERDICT_SKIPPED] = "skipped",
};

const char *
run_status_name(enum run_status s)
{
	return (unsigned)s < N_OF(run_names) ? run_names[s] : "unknown";
}

const char *
phase_status_name(enum phase_status s)
{
	return (unsigned)s < N_OF(phase_names) ? phase_names[s] : "unknown";
}

const char *
verdict_name(enum verdict v)
{
	return (unsigned)v < N_OF(verdict_names) ? verdict_names[v] : "unknown";
}

enum phase_status
phase_status_of_session(enum session_status st)
{
	switch (st) {
	case SESSION_SUCCESS:
		return PHASE_STATUS_SUCCESS;
	case SESSION_FAILED:
		return PHASE_STATUS_FAILED;
	case SESSION_TIMEOUT:
		return PHASE_STATUS_TIMEOUT;
	case SESSION_STOPPED:
		return PHASE_STATUS_STOPPED;
	case SESSION_CANCELLED:
		return PHASE_STATUS_CANCELLED;
	case SESSION_ERROR:
	case SESSION_N_STATUSES:
		break;
	}
	return PHASE_STATUS_ERROR;
}

void
verdict_tally_add(struct verdict_tally *t, enum verdict v)
{
	if (v == VERDICT_PASSED)
		t->passed++;
	else if (v == VERDICT_SKIPPED)
		t->skipped++;
	else
		t->failed++;
}

enum verdict
verdict_tally_result(const struct verdict_tally *t)
{
	if (t->failed)
		return VERDICT_FAILED;
	return t->passed ? VERDICT_PASSED : VERDICT_SKIPPED;
}

/*
 * The precedence of a run's statuses. A run gets a status when something
 * ends it early (a phase, a failed clone, a worker that cannot start, a
 * signal) or, failing that, at its end (run_state_finish). Reports can
 * come one after another: a signal while a failed phase's checks run, a
 * session aborted by the run timeout that ends "timeout", ... The rules:
 *
 *  1. NONE reports nothing: the status stays.
 *  2. cancelled wins over everything, and nothing replaces it: the user
 *     asked the run to stop, and what fails after that is the stop itself
 *     (exit 130 whatever happened before).
 *  3. error, timeout and stopped replace failed: the infrastructure or a
 *     limit, not the agent's work, decided how the run ended.
 *  4. Otherwise the first status stands: the first cause is reported,
 *     not its consequences (an error after a timeout, a second failure).
 *     completed is only ever set on a run without a status.
 */
enum run_status
run_status_merge(enum run_status cur, enum run_status next)
{
	if (next == RUN_STATUS_NONE || cur == RUN_STATUS_CANCELLED)
		return cur;
	if (next == RUN_STATUS_CANCELLED)
		return next;
	if (cur == RUN_STATUS_FAILED &&
	    (next == RUN_STATUS_ERROR || next == RUN_STATUS_TIMEOUT ||
	     next == RUN_STATUS_STOPPED))
		return next;
	return cur == RUN_STATUS_NONE ? next : cur;
}

bool
run_set_status(struct run_state *s, enum run_status st, const char *reason)
{
	enum run_status now = run_status_merge(s->status, st);

	if (now == s->status)
		return false;
	s->status = now;
	snprintf(s->stop_reason, sizeof(s->stop_reason), "%s",
		 reason ? reason : "");
	return true;
}

bool
run_state_going(const struct run_state *s)
{
	return s->status == RUN_STATUS_NONE;
}

bool
run_state_skips(const struct run_state *s, bool skip_if_failed)
{
	return skip_if_failed && s->last_failed;
}

enum run_status
run_phase_effect(enum phase_status st, bool continue_on_failure)
{
	switch (st) {
	case PHASE_STATUS_SUCCESS:
	case PHASE_STATUS_SKIPPED:
		return RUN_STATUS_NONE;
	case PHASE_STATUS_FAILED:
		return continue_on_failure ? RUN_STATUS_NONE :
					     RUN_STATUS_FAILED;
	case PHASE_STATUS_TIMEOUT:
		return RUN_STATUS_TIMEOUT;
	case PHASE_STATUS_STOPPED:
		return RUN_STATUS_STOPPED;
	case PHASE_STATUS_CANCELLED:
		return RUN_STATUS_CANCELLED;
	default:
		return RUN_STATUS_ERROR;
	}
}

bool
run_phase_ended(struct run_state *s, enum phase_status st, const char *reason,
		enum api_outcome o, bool continue_on_failure)
{
	enum run_status effect = run_phase_effect(st, continue_on_failure);

	if (st == PHASE_STATUS_SKIPPED)
		return false;
	s->last_failed = st != PHASE_STATUS_SUCCESS;
	if (st == PHASE_STATUS_FAILED && effect == RUN_STATUS_NONE)
		s->any_failed = true;
	if (!run_set_status(s, effect, reason))
		return false;
	s->api_outcome = o;
	return true;
}

bool
run_state_judges_criteria(const struct run_state *s)
{
	return s->status == RUN_STATUS_NONE || s->status == RUN_STATUS_FAILED;
}

void
run_state_finish(struct run_state *s)
{
	const char *why = s->any_failed ? "phase_failed" : "criteria_failed";

	if (s->any_failed ||
	    verdict_tally_result(&s->criteria) == VERDICT_FAILED)
		run_set_status(s, RUN_STATUS_FAILED, why);
	else
		run_set_status(s, RUN_STATUS_COMPLETED, "");
	if (s->status == RUN_STATUS_FAILED && !s->stop_reason[0])
		snprintf(s->stop_reason, sizeof(s->stop_reason), "%s", why);
}

int
run_status_exit_code(enum run_status st, enum api_outcome o)
{
	switch (st) {
	case RUN_STATUS_COMPLETED:
		return EXIT_OK;
	case RUN_STATUS_FAILED:
		return EXIT_FAILED;
	case RUN_STATUS_CANCELLED:
		return EXIT_INTERRUPTED;
	case RUN_STATUS_TIMEOUT:
	case RUN_STATUS_STOPPED:
		return EXIT_LIMIT;
	default:
		break;
	}
	if (st == RUN_STATUS_ERROR &&
	    (o == API_E_AUTH || o == API_E_PERMISSION))
		return EXIT_KEY;
	if (st == RUN_STATUS_ERROR && o == API_E_NOT_FOUND)
		return EXIT_USAGE;
	return EXIT_INFRA;
}

int
run_exit_aggregate(const int *codes, size_t n, bool interrupted)
{
	static const int order[] = {
		EXIT_INTERRUPTED, EXIT_KEY,   EXIT_USAGE,
		EXIT_INFRA,       EXIT_LIMIT, EXIT_FAILED
	};

	if (interrupted)
		return EXIT_INTERRUPTED;
	for (size_t k = 0; k < N_OF(order); k++)
		for (size_t i = 0; i < n; i++)
			if (codes[i] == order[k])
				return order[k];
	return EXIT_OK;
}
