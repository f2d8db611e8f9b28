/*
 * batch_rec.c - the records of a batch's calls: the audit record, the
 * transcript line and the tool_call event of each, written in the order
 * of the calls whatever order they finish in.
 *
 * Design note
 * -----------
 * Read-only calls of one message run at several workers at once
 * (batch.h), so a later call can finish first. Its records are built
 * when it finishes and kept in its slot; they are written when every
 * earlier call has written its own (batch_rec_flush). The audit log, the
 * transcript and the events therefore follow the calls of the message,
 * as they did when the calls ran one after the other, and the audit
 * chain's order is deterministic. A worker's READY record is the
 * exception: it is written when the worker is ready (the isolation check
 * happens then), between the records of calls.
 *
 * At the session's end (batch_rec_cancel) nothing kept is lost: the calls
 * that finished are recorded in order, and one still waiting or running
 * gets "interrupted: <reason>" in its place.
 */
#include "supervisor/agent/batch_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *
block_str(const json_t *block, const char *key)
{
	return json_string_value(json_object_get(block, key));
}

static void
append(struct batch *b, const json_t *rec)
{
	if (audit_append(b->cfg.audit, rec) < 0) {
		evlog_write_failed(b->cfg.events, audit_path(b->cfg.audit),
				   errno);
		evlog_emit(b->cfg.events, "error", "audit_write_failed",
			   json_pack("{s:s}", "agent", b->cfg.agent));
	}
}

static json_t *
call_record(struct batch *b, const struct slot *s, const char *outcome,
	    const struct msg_tool_result *r, const char *note)
{
	const json_t *block = s->block;
	json_t *rec = json_pack(
		"{s:s,s:s,s:s?,s:s?,s:o,s:s,s:b}", "agent", b->cfg.agent,
		"phase", b->cfg.phase, "tool", block_str(block, "name"),
		"tool_use_id", block_str(block, "id"), "input",
		audit_capped_input(json_object_get(block, "input")), "outcome",
		outcome, "is_error", r ? r->is_error : 1);

	if (!rec)
		return NULL;
	if (r) {
		json_object_set_new(rec, "exit_code",
				    json_integer(r->exit_code));
		json_object_set_new(rec, "duration_ms",
				    json_integer((json_int_t)r->duration_ms));
		json_object_set_new(rec, "bytes",
				    json_integer((json_int_t)r->bytes));
		json_object_set_new(rec, "truncated",
				    json_boolean(r->truncated));
	}
	if (s->worker > 0)
		json_object_set_new(rec, "worker", json_integer(s->worker));
	if (note)
		json_object_set_new(rec, "note", json_string(note));
	return rec;
}

void
batch_rec_call(struct batch *b, struct slot *s, const char *outcome,
	       const struct msg_tool_result *r, const char *note)
{
	json_decref(s->rec);
	s->rec = call_record(b, s, outcome, r, note);
}

void
batch_rec_line(struct batch *b, struct slot *s, const char *type,
	       json_t *fields)
{
	(void)b;
	json_decref(s->line);
	s->line_type = type;
	s->line = fields;
}

/* Write s's kept records: the audit record, the transcript line, the
 * event. */
static void
write_slot(struct batch *b, struct slot *s)
{
	const char *id = block_str(s->block, "id");

	if (s->rec)
		append(b, s->rec);
	if (s->line && b->cfg.transcript)
		b->cfg.transcript(b->cfg.transcript_ctx, s->line_type,
				  json_incref(s->line));
	evlog_emit(b->cfg.events, s->is_error ? "warn" : "info", "tool_call",
		   json_pack("{s:s,s:s,s:s,s:s,s:b,s:I,s:I,s:i}", "agent",
			     b->cfg.agent, "phase", b->cfg.phase, "tool",
			     block_str(s->block, "name"), "tool_use_id", id,
			     "is_error", s->is_error, "duration_ms",
			     s->duration_ms, "worker", (json_int_t)s->worker,
			     "in_flight", s->in_flight));
	batch_rec_clear(s);
	s->recorded = true;
}

/* Write the records of the DONE slots that are next in order. */
static void
flush(struct batch *b)
{
	while (b->n_recorded < b->n_slots &&
	       b->slots[b->n_recorded].state == SLOT_DONE) {
		struct slot *s = &b->slots[b->n_recorded++];

		if (!s->recorded)
			write_slot(b, s);
	}
}

void
batch_rec_done(struct batch *b, struct slot *s, const char *content,
	       bool is_error)
{
	const char *id = block_str(s->block, "id");

	s->result = json_pack("{s:s,s:s,s:s,s:b}", "type", "tool_result",
			      "tool_use_id", id, "content", content, "is_error",
			      is_error);
	s->state = SLOT_DONE;
	s->is_error = is_error;
	s->duration_ms = (json_int_t)(loop_now_ms() - s->started);
	if (is_error)
		b->st.tool_errors++;
	flush(b);
}

void
batch_rec_cancel(struct batch *b, const char *note)
{
	for (size_t i = b->n_recorded; i < b->n_slots; i++) {
		struct slot *s = &b->slots[i];

		if (s->recorded)
			continue;
		if (s->state == SLOT_DONE) {
			write_slot(b, s);
			continue;
		}
		if (s->state != SLOT_WAITING && s->state != SLOT_RUNNING)
			continue; /* never looked at: no record */
		batch_rec_clear(s);
		s->rec = call_record(b, s, "error", NULL, note);
		if (s->rec)
			append(b, s->rec);
		batch_rec_clear(s);
		s->recorded = true;
		s->state = SLOT_DONE; /* recorded once */
	}
	b->n_recorded = b->n_slots;
}

void
batch_rec_ready(struct batch *b, const struct bworker *wk,
		const struct msg_ready *r)
{
	json_t *rec = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:i,s:I,s:i}",
				"agent", b->cfg.agent, "phase", b->cfg.phase,
				"tool", "session", "outcome", "worker_ready",
				"pid", (json_int_t)r->pid, "uid",
				(json_int_t)r->uid, "layers",
				(json_int_t)r->layers, "landlock_abi",
				r->landlock_abi, "worker",
				(json_int_t)wconn_pid(wk->w), "pool_index",
				wk->index);

	if (rec && audit_append(b->cfg.audit, rec) < 0)
		evlog_write_failed(b->cfg.events, audit_path(b->cfg.audit),
				   errno);
	json_decref(rec);
}

void
batch_rec_clear(struct slot *s)
{
	json_decref(s->rec);
	json_decref(s->line);
	s->rec = NULL;
	s->line = NULL;
	s->line_type = NULL;
}
