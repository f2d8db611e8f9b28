/*
 * run_audit.c - the run-level audit log: what gao-dev itself ran on the
 * run's behalf through its service workers.
 *
 * Design note
 * -----------
 * runs/<run_id>/gao-dev.audit.jsonl has the per-agent logs' format
 * (supervisor/agent/audit.h: hash-chained JSON lines): one record per
 * command a service worker answered or that was not run (clone, git init
 * and commits, artifact and criteria checks, diffs, command phases): agent
 * "gao-dev", phase (the current one, or ""), tool "Bash", input {command,
 * worker: checks, exec or net}, outcome (allowed, or not_run with the
 * reason in note), is_error, exit_code, duration_ms, bytes, truncated. The
 * periodic disk and file measurement (run_caps.c) is not recorded: it is
 * the run's own watch, not work on its behalf. Its head and record count go
 * in the results (run_audit), and audit verify RUN_DIR checks them.
 * A log that cannot be created or written is an error of the run's own
 * writes (evlog_write_failed: status error, write_failed, exit 4, the
 * file named once); the run goes on.
 */
#include "supervisor/run/run_priv.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/pathbuf.h"

void
run_audit_open(struct run *r)
{
	pathbuf_fmt(r->audit_path, sizeof(r->audit_path),
		    "%s/gao-dev.audit.jsonl", r->run_dir);
	r->audit = audit_open(r->audit_path);
	if (!r->audit)
		evlog_write_failed(r->events, r->audit_path, errno);
}

static const char *
worker_name(const struct run *r, const struct svc *s)
{
	if (s && s == r->svc_exec)
		return "exec";
	if (s && s == r->svc_net)
		return "net";
	return "checks";
}

void
run_audit_record(struct run *r, const struct svc *s, const char *command,
		 const struct msg_tool_result *res, const char *not_run)
{
	json_t *rec, *input;

	if (!r->audit)
		return;
	input = json_pack("{s:s,s:s}", "command", command ? command : "",
			  "worker", worker_name(r, s));
	/* a command from the config may be megabytes: capped like an agent's */
	rec = json_pack("{s:s,s:s,s:s,s:o,s:s,s:b}", "agent", "gao-dev",
			"phase", r->cur.def ? r->cur.def->name : "", "tool",
			"Bash", "input", audit_capped_input(input), "outcome",
			res ? "allowed" : "not_run", "is_error",
			res ? res->is_error : 1);
	json_decref(input);
	if (!rec)
		return;
	if (res) {
		json_object_set_new(rec, "exit_code",
				    json_integer(res->exit_code));
		json_object_set_new(rec, "duration_ms",
				    json_integer((json_int_t)res->duration_ms));
		json_object_set_new(rec, "bytes",
				    json_integer((json_int_t)res->bytes));
		json_object_set_new(rec, "truncated",
				    json_boolean(res->truncated));
	} else {
		json_object_set_new(rec, "note",
				    json_string(not_run ? not_run : "not run"));
	}
	if (audit_append(r->audit, rec) < 0)
		evlog_write_failed(r->events, r->audit_path, errno);
	json_decref(rec);
}

json_t *
run_audit_json(const struct run *r)
{
	if (!r->audit)
		return NULL;
	return json_pack("{s:s,s:s,s:I}", "log", r->audit_path, "head",
			 audit_head(r->audit), "records",
			 (json_int_t)audit_count(r->audit));
}
