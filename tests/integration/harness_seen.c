/*
 * harness_seen.c - see harness_seen.h.
 */
#include "harness_seen.h"

#include <criterion/criterion.h>
#include <string.h>

void
seen_look(struct ha_run *t, struct seen *s)
{
	json_t *rec = ha_records(t);

	s->res = ha_results(t);
	s->events = ha_events(s->res);
	s->retried = ha_events_named(s->events, "api_call_retried");
	s->posts = ha_posts(rec);
	json_decref(rec);
}

static void
seen_unlook(struct seen *s)
{
	json_decref(s->res);
	json_decref(s->events);
	json_decref(s->retried);
	json_decref(s->posts);
}

void
seen_exit(const struct ha_run *t, int code)
{
	cr_assert_eq(t->out.code, code, "exit %d, expected %d; stderr:\n%s",
		     t->out.code, code, t->out.err);
}

void
seen_status(const struct seen *s, const char *status, const char *reason)
{
	cr_assert_str_eq(ha_str(s->res, "status"), status, "status %s (%s)",
			 ha_str(s->res, "status"),
			 ha_str(s->res, "stop_reason"));
	if (reason)
		cr_assert_str_eq(ha_str(s->res, "stop_reason"), reason);
}

/* The run completed, as if nothing had happened: both turns played and
 * the Write ran once. */
void
seen_completed(const struct ha_run *t, const struct seen *s)
{
	seen_exit(t, 0);
	seen_status(s, "completed", "");
	cr_assert_str_eq(ha_str(s->res, "phases.0.status"), "success");
	cr_assert_str_eq(ha_str(s->res, "phases.0.stop_reason"), "end_turn");
	cr_assert_eq(ha_int(s->res, "phases.0.turns"), 2);
	cr_assert_eq(ha_int(s->res, "metrics.tool_calls"), 1);
}

/* Exactly one retry, of this status and error type, with a delay in
 * [lo, hi] ms, and the next attempt really waited that long. */
const json_t *
seen_one_retry(const struct seen *s, long status, const char *type,
	       long long lo, long long hi)
{
	const json_t *r = json_array_get(s->retried, 0), *next = NULL, *e;
	size_t i;

	cr_assert_eq(json_array_size(s->retried), 1, "%zu retries",
		     json_array_size(s->retried));
	cr_assert_eq(ha_int(s->res, "metrics.retries"), 1);
	cr_assert_eq(ha_int(r, "status"), status, "status %lld",
		     ha_int(r, "status"));
	cr_assert_str_eq(ha_str(r, "error_type"), type, "%s: %s",
			 ha_str(r, "error_type"), ha_str(r, "message"));
	cr_assert(ha_int(r, "delay_ms") >= lo && ha_int(r, "delay_ms") <= hi,
		  "delay_ms %lld not in [%lld, %lld]", ha_int(r, "delay_ms"),
		  lo, hi);
	if (status > 0)
		cr_assert_eq(strncmp(ha_str(r, "request_id"), "req_", 4), 0,
			     "request id of the failed attempt");
	cr_assert(json_is_integer(ha_get(r, "latency_ms")), "latency_ms");
	json_array_foreach(s->events, i, e)
		if (!next && ha_int(e, "attempt") == 2 &&
		    strcmp(ha_str(e, "event"), "api_call_started") == 0)
			next = e;
	cr_assert_not_null(next, "no second attempt");
	cr_assert_geq(ha_ts_diff_ms(r, next), ha_int(r, "delay_ms") - 5,
		      "the next attempt did not wait");
	return r;
}

/* The recorded attempts of a turn of the one conversation. */
size_t
seen_attempts_of_turn(const struct seen *s, long turn)
{
	const json_t *p;
	size_t i, n = 0;

	json_array_foreach(s->posts, i, p)
		n += ha_int(p, "turn") == turn;
	return n;
}

/* Run the two-turn Write scenario with these faults and options. */
void
seen_run_fault(struct ha_run *t, struct seen *s, const char *faults,
	       const char *const *opts)
{
	ha_setup_faults(t, WRITE_SCENARIO, faults, H_TEST_KEY);
	ha_run(t, opts, NULL);
	seen_look(t, s);
}

void
seen_done(struct ha_run *t, struct seen *s)
{
	seen_unlook(s);
	ha_finish(t);
}
