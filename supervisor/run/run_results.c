/*
 * run_results.c - phase records, the run's metrics, and the results
 * document (docs/results.md describes its shape).
 *
 * Design note
 * -----------
 * A phase's record is built from the phase (struct phase: its definition,
 * status, model, policy, files) and how it ended (a session's result or a
 * command's); statuses are written with their *_name() function, never
 * spelled here. The run's final status and exit code come from
 * run_status.c (run_state_finish, run_status_exit_code); this file writes
 * them down: into the results file, atomically, and the last event.
 */
#include "supervisor/run/run_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "common/utf8.h"
#include "config.h"
#include "supervisor/config/cli.h"
#include "supervisor/out/results.h"
#include "supervisor/run/report.h"

static void
iso_time(time_t t, char buf[32])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_t *
usage_json(const struct api_usage *u)
{
	return json_pack("{s:I,s:I,s:I,s:I}", "input",
			 (json_int_t)u->input_tokens, "output",
			 (json_int_t)u->output_tokens, "cache_creation",
			 (json_int_t)u->cache_creation_input_tokens,
			 "cache_read", (json_int_t)u->cache_read_input_tokens);
}

static void
add_usage(struct api_usage *sum, const struct api_usage *u)
{
	sum->input_tokens += u->input_tokens;
	sum->output_tokens += u->output_tokens;
	sum->cache_creation_input_tokens += u->cache_creation_input_tokens;
	sum->cache_read_input_tokens += u->cache_read_input_tokens;
}

static void
merge_counts(struct run *r, const json_t *by)
{
	const char *k;
	json_t *v;

	if (!r->tools_by_name)
		r->tools_by_name = json_object();
	json_object_foreach((json_t *)by, k, v) {
		json_int_t n = json_integer_value(
			json_object_get(r->tools_by_name, k));

		json_object_set_new(r->tools_by_name, k,
				    json_integer(n + json_integer_value(v)));
	}
}

/* The record of an agent phase p that ended with res. */
static json_t *
session_record(const struct phase *p, const struct session_result *res,
	       const char *layers)
{
	char start[32], end[32];
	json_t *j;

	iso_time(p->started, start);
	iso_time(time(NULL), end);
	j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:f,s:i,s:i,s:i,s:i,s:i,"
		      "s:o,s:O,s:s,s:s,s:s,s:s,s:O}",
		      "name", p->def->name, "agent", p->def->agent, "status",
		      phase_status_name(p->status), "stop_reason",
		      res->stop_reason, "start_time", start, "end_time", end,
		      "duration_seconds", (double)res->duration_ms / 1000.0,
		      "turns", res->turns, "api_calls", res->api_calls,
		      "tool_calls", res->tool_calls, "tool_errors",
		      res->tool_errors, "tool_calls_refused", res->denied,
		      "tokens", usage_json(&res->usage), "tools_by_name",
		      res->tools_by_name, "model", p->model, "policy",
		      policy_name(p->policy), "transcript", p->transcript,
		      "audit_log", p->audit, "todos", res->todos);
	json_object_set_new(j, "cost_usd",
			    res->cost_known ? json_real(res->cost_usd) :
					      json_null());
	json_object_set_new(j, "audit_head", json_string(res->audit_head));
	json_object_set_new(j, "audit_records",
			    json_integer((json_int_t)res->audit_records));
	json_object_set_new(j, "isolation",
			    json_pack("{s:I,s:i,s:I,s:s}", "layers",
				      (json_int_t)res->layers, "landlock_abi",
				      res->landlock_abi, "uid",
				      (json_int_t)res->worker_uid, "summary",
				      layers));
	json_object_set_new(j, "final_text", json_string(res->final_text));
	if (res->error[0])
		json_object_set_new(j, "error", json_string(res->error));
	return j;
}

/* A session's counts, tokens and cost into the run's metrics. */
static void
add_metrics(struct run *r, const struct phase *p,
	    const struct session_result *res)
{
	add_usage(&r->usage, &res->usage);
	r->cost += res->cost_usd;
	if (!res->cost_known && !r->cost_unknown)
		json_array_append_new(
			r->warnings,
			json_sprintf(
				"model %s has no "
				"price in the model data: cost unknown (null), and "
				"--max-cost-usd could not be enforced",
				p->model));
	r->cost_unknown |= !res->cost_known;
	r->api_calls += res->api_calls;
	r->retries += res->retries;
	r->tool_calls += res->tool_calls;
	r->tool_errors += res->tool_errors;
	r->denied += res->denied;
	r->replay_differences += res->replay_differences;
	merge_counts(r, res->tools_by_name);
}

void
run_record_phase(struct run *r, struct phase *p,
		 const struct session_result *res)
{
	const struct bm_phase *ph = p->def;
	bool ok = p->status == PHASE_STATUS_SUCCESS;
	char layers[256];

	msg_layers_text(res->layers, res->landlock_abi, layers, sizeof(layers));
	p->record = session_record(p, res, layers);
	if (res->error[0])
		json_array_append_new(r->errors,
				      json_sprintf("phase %s: %s", ph->name,
						   res->error));
	json_array_append_new(r->phases, p->record);
	json_array_append_new(r->workers, json_string(layers));
	add_metrics(r, p, res);
	evlog_emit(r->events, ok ? "info" : "warn", "phase_completed",
		   json_pack("{s:s,s:s,s:s,s:s,s:i}", "phase", ph->name,
			     "agent", ph->agent, "status",
			     phase_status_name(p->status), "stop_reason",
			     res->stop_reason, "turns", res->turns));
}

/* How a command ended, for its record. */
static const char *
command_reason(const struct msg_tool_result *res, bool ok)
{
	if (!res)
		return "worker_failed";
	if (res->is_error)
		return "timeout_or_error";
	return ok ? "exit_0" : "nonzero_exit";
}

void
run_record_command(struct run *r, struct phase *p,
		   const struct msg_tool_result *res)
{
	const struct bm_phase *ph = p->def;
	bool ok = p->status == PHASE_STATUS_SUCCESS;
	const char *st = phase_status_name(p->status);
	json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:f}", "name", ph->name,
			      "agent", "command", "command", ph->command,
			      "status", st, "stop_reason",
			      p->status == PHASE_STATUS_CANCELLED ?
				      "signal" :
				      command_reason(res, ok),
			      "exit_code",
			      (json_int_t)(res ? res->exit_code : -1),
			      "duration_seconds",
			      (double)(loop_now_ms() - p->started_ms) / 1000.0);

	json_object_set_new(j, "cost_usd", json_real(0));
	json_object_set_new(j, "tokens",
			    json_pack("{s:i,s:i,s:i,s:i}", "input", 0, "output",
				      0, "cache_creation", 0, "cache_read", 0));
	if (res) {
		char out[4001],
			*clean = utf8_clean(res->content, strlen(res->content));

		utf8_copy(out, sizeof(out), clean ? clean : "");
		json_object_set_new(j, "output", json_string(out));
		free(clean);
	}
	p->record = j;
	json_array_append_new(r->phases, j);
	evlog_emit(r->events, ok ? "info" : "warn", "phase_completed",
		   json_pack("{s:s,s:s,s:s}", "phase", ph->name, "agent",
			     "command", "status", st));
}

void
run_record_skipped(struct run *r, const struct bm_phase *ph, const char *why)
{
	const char *st = phase_status_name(PHASE_STATUS_SKIPPED);

	json_array_append_new(r->phases,
			      json_pack("{s:s,s:s,s:s,s:s,s:f,"
					"s:{s:i,s:i,s:i,s:i}}",
					"name", ph->name, "agent",
					ph->command ? "command" : ph->agent,
					"status", st, "reason", why, "cost_usd",
					0.0, "tokens", "input", 0, "output", 0,
					"cache_creation", 0, "cache_read", 0));
	evlog_emit(r->events, "info", "phase_completed",
		   json_pack("{s:s,s:s,s:s}", "phase", ph->name, "status", st,
			     "reason", why));
}

static json_t *
metrics_json(struct run *r)
{
	/* "o" takes the reference: a fresh object for a run without a tool
	 * call (none was made) is not leaked */
	return json_pack("{s:o,s:o,s:i,s:i,s:i,s:i,s:i,s:o}", "tokens",
			 usage_json(&r->usage), "cost_usd",
			 r->cost_unknown ? json_null() : json_real(r->cost),
			 "api_calls", r->api_calls, "retries", r->retries,
			 "tool_calls", r->tool_calls, "tool_errors",
			 r->tool_errors, "tool_calls_refused", r->denied,
			 "tools_by_name",
			 r->tools_by_name ? json_incref(r->tools_by_name) :
					    json_object());
}

static json_t *
reproduce_json(struct run *r)
{
	struct utsname u;
	json_t *rep;

	if (uname(&u) < 0)
		snprintf(u.release, sizeof(u.release), "unknown");
	rep = json_pack("{s:s,s:s,s:s,s:s,s:{s:s,s:s},s:s,s:b}",
			"gao_dev_version", GAO_DEV_VERSION, "model", r->model,
			"api_version", r->env->api_version, "price_table_date",
			models_price_date(r->env->models), "policy", "name",
			r->policy_name, "hash", r->policy_hash, "kernel",
			u.release, "streaming", r->env->stream);
	/* the thinking parameter every request carried (null: none) */
	if (rep)
		json_object_set_new(rep, "thinking_budget",
				    r->env->thinking_budget > 0 ?
					    json_integer(
						    r->env->thinking_budget) :
					    json_null());
	return rep;
}

/* Whether web tools were on (--web), their domains and maximum, and the
 * uses the run made (docs/results.md, "web"). */
static json_t *
web_json(const struct run *r)
{
	const struct webopt *w = &r->env->web;
	json_t *j = json_pack("{s:b,s:I,s:I}", "enabled", w->on, "searches",
			      (json_int_t)r->budget.web_searches, "fetches",
			      (json_int_t)r->budget.web_fetches);

	if (!w->on || !r->env->web_data)
		return j;
	json_object_set_new(j, "domains",
			    w->domains ? json_copy(w->domains) :
					 json_string("*"));
	json_object_set_new(j, "max_uses", json_integer(w->max_uses));
	json_object_set_new(j, "max_uses_per_request",
			    json_integer(web_per_request(r->env->web_data, w)));
	json_object_set_new(j, "data_date",
			    json_string(web_data_date(r->env->web_data)));
	return j;
}

static json_t *
build_results(struct run *r, json_t *criteria)
{
	char start[32], end[32];
	json_t *res;

	iso_time(r->start_time, start);
	iso_time(time(NULL), end);
	res = json_pack("{s:s,s:s,s:s,s:s,s:s,s:f,s:{s:s,s:s,s:s,s:s,s:s},"
			"s:O?,s:O,s:o,s:o,s:O,s:O,s:s,s:s,s:s,s:o,s:f}",
			"run_id", r->id, "status",
			run_status_name(r->state.status), "stop_reason",
			r->state.stop_reason, "start_time", start, "end_time",
			end, "duration_seconds",
			(double)(loop_now_ms() - r->start_ms) / 1000.0,
			"benchmark", "name", r->b->name, "version",
			r->b->version, "config_file", r->b->path, "mode",
			r->b->mode == BM_MODE_PHASES  ? "phases" :
			r->b->mode == BM_MODE_STORIES ? "stories" :
							"prompt",
			"prompt_hash", r->b->prompt_hash, "config",
			r->b->config, "phases", r->phases, "metrics",
			metrics_json(r), "success_criteria", criteria, "errors",
			r->errors, "warnings", r->warnings, "project_dir",
			r->project_dir, "run_dir", r->run_dir, "results_file",
			r->results_path, "reproduce", reproduce_json(r),
			"max_cost_usd", r->budget.max_cost_usd);
	/* the audit logs' format: hash chain, heads and record counts */
	json_object_set_new(res, "audit_format", json_integer(1));
	json_object_set_new(res, "web", web_json(r));
	if (r->audit)
		json_object_set_new(res, "run_audit", run_audit_json(r));
	/* the project's history: outside the project, out of agents' reach */
	json_object_set_new(res, "git_dir", json_string(r->git_dir));
	json_object_set_new(
		res, "isolation",
		json_pack("{s:O,s:s,s:o}", "workers", r->workers, "summary",
			  json_array_size(r->workers) ?
				  json_string_value(
					  json_array_get(r->workers, 0)) :
				  "no worker ran",
			  "run_caps", run_caps_json(r)));
	if (r->env->rec)
		json_object_set_new(res, "recording",
				    json_pack("{s:s,s:s,s:i}", "mode",
					      rec_mode(r->env->rec) ==
							      REC_RECORD ?
						      "recorded" :
						      "replayed",
					      "dir", rec_dir(r->env->rec),
					      "differences",
					      (int)r->replay_differences));
	return res;
}

/*
 * A record of the run's own that could not be written (events, an audit
 * log, a transcript: ENOSPC, EIO, ...) makes the run an infrastructure
 * error (exit 4) with an error naming each such file and why, whatever
 * else it did: what it reports is no longer complete. A status already
 * set by a limit or a cancel stays, and the exit code still says 4
 * (run_finish).
 */
static void
own_writes_checked(struct run *r)
{
	const char *what = "";
	int err;
	size_t i;

	for (i = 0; (err = evlog_write_error(r->events, i, &what)) != 0; i++)
		json_array_append_new(r->errors,
				      json_sprintf("cannot write %s: %s", what,
						   strerror(err)));
	if (i == 0)
		return;
	run_set_status(&r->state, RUN_STATUS_ERROR, "write_failed");
	r->own_write_failed = true;
}

/* --report: the page beside the run's events; a failure is a warning
 * (the results are written and keep the run's verdict). */
static void
write_report(struct run *r)
{
	char err[1024];

	if (report_write_run(r->results, r->run_dir, err, sizeof(err)) < 0)
		evlog_emit(r->events, "warn", "report_failed",
			   json_pack("{s:s}", "error", err));
	else
		evlog_emit(r->events, "info", "report_saved",
			   json_pack("{s:s+}", "path", r->run_dir,
				     "/report.html"));
}

void
run_finish(struct run *r)
{
	json_t *criteria;
	int rc;

	if (r->finished)
		return;
	r->finished = true;
	if (r->timeout_timer)
		loop_cancel_timer(r->env->loop, r->timeout_timer);
	r->timeout_timer = 0;
	criteria = json_incref(r->criteria);
	own_writes_checked(r);
	run_state_finish(&r->state);
	if (!r->model[0])
		snprintf(r->model, sizeof(r->model), "%s",
			 r->env->model ? r->env->model :
					 models_default(r->env->models));
	r->exit_code = run_status_exit_code(r->state.status,
					    r->state.api_outcome);
	if (r->own_write_failed && r->exit_code != EXIT_INTERRUPTED)
		r->exit_code = EXIT_INFRA;
	r->results = build_results(r, criteria);
	json_object_set_new(r->results, "exit_code",
			    json_integer(r->exit_code));
	rc = results_write_atomic(r->results_path, r->results);
	r->results_saved = rc == 0;
	if (rc < 0) {
		snprintf(r->results_error, sizeof(r->results_error), "%s",
			 strerror(-rc));
		json_array_append_new(r->errors,
				      json_sprintf("cannot write %s: %s",
						   r->results_path,
						   strerror(-rc)));
		/* a run without its results is an infrastructure error */
		if (r->exit_code != EXIT_INTERRUPTED)
			r->exit_code = EXIT_INFRA;
	} else {
		evlog_emit(r->events, "info", "results_saved",
			   json_pack("{s:s}", "path", r->results_path));
	}
	/* before the last event, which stays the last line */
	if (r->env->report)
		write_report(r);
	evlog_emit(r->events, r->exit_code ? "warn" : "info",
		   "standalone_benchmark_completed",
		   json_pack("{s:s,s:s,s:i}", "status",
			     run_status_name(r->state.status), "stop_reason",
			     r->state.stop_reason, "exit_code", r->exit_code));
}
