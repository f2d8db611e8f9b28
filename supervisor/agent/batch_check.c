/*
 * batch_check.c - what a batch decides about a call before any worker
 * sees it: the tool is granted to this agent and its input is a JSON
 * object of at most BATCH_INPUT_MAX bytes with no NUL character in any
 * string (else the call is refused:
 * an is_error result and an audit record "denied"), TodoWrite (the
 * supervisor's own tool, its list kept here), and which calls are
 * read-only (they may run at several workers at once; batch.h).
 */
#include "supervisor/agent/batch_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"

static const char *
block_str(const json_t *block, const char *key)
{
	return json_string_value(json_object_get(block, key));
}

void
batch_count_tool(struct batch *b, const char *name)
{
	json_t *n = json_object_get(b->st.tools_by_name, name);

	json_object_set_new(b->st.tools_by_name, name,
			    json_integer(json_integer_value(n) + 1));
	b->st.tool_calls++;
}

bool
batch_read_only(const char *tool)
{
	return tool && (strcmp(tool, "Read") == 0 ||
			strcmp(tool, "Glob") == 0 || strcmp(tool, "Grep") == 0);
}

/* ---- the checks before the worker, and TodoWrite ---- */

static void
refuse(struct batch *b, struct slot *s, const char *why)
{
	b->st.denied++;
	batch_rec_call(b, s, "denied", NULL, why);
	batch_rec_done(b, s, why, true);
}

static bool
granted(const struct batch *b, const char *name)
{
	json_t *d;
	size_t i;

	json_array_foreach(b->cfg.tool_defs, i, d) {
		if (strcmp(block_str(d, "name"), name) == 0)
			return true;
	}
	return false;
}

static bool
todos_valid(const json_t *todos)
{
	static const char *const states[] = { "pending", "in_progress",
					      "completed" };
	json_t *t;
	size_t i;

	if (!json_is_array(todos) || json_array_size(todos) > 200)
		return false;
	json_array_foreach(todos, i, t) {
		const char *st = block_str(t, "status");
		bool ok = false;

		if (!json_is_string(json_object_get(t, "content")) || !st)
			return false;
		for (size_t k = 0; k < 3; k++)
			ok = ok || strcmp(st, states[k]) == 0;
		if (!ok)
			return false;
	}
	return true;
}

static void
todo_write(struct batch *b, struct slot *s)
{
	const json_t *todos = json_object_get(json_object_get(s->block,
							      "input"),
					      "todos");
	struct msg_tool_result r = { .exit_code = -1 };

	batch_count_tool(b, "TodoWrite");
	if (!todos_valid(todos)) {
		batch_rec_call(b, s, "error", NULL, "invalid todos");
		batch_rec_done(b, s,
			       "TodoWrite needs todos: a list of {content, "
			       "status: pending|in_progress|completed, "
			       "activeForm?}",
			       true);
		return;
	}
	json_decref(b->st.todos);
	b->st.todos = json_deep_copy(todos);
	batch_rec_call(b, s, "allowed", &r, NULL);
	batch_rec_line(b, s, "todos", json_pack("{s:O}", "todos", todos));
	batch_rec_done(b, s, "Todos have been updated.", false);
}

/*
 * Whether a string in v (a value or an object key, at any depth) holds a
 * NUL character: valid JSON ("\u0000") that no tool takes, since paths,
 * patterns, commands and text are C strings at the worker. The first
 * such field's name goes into where.
 */
static bool
holds_nul(const json_t *v, const char *name, char *where, size_t cap)
{
	const char *k;
	json_t *x;
	size_t i;

	if (json_is_string(v) &&
	    strlen(json_string_value(v)) != json_string_length(v)) {
		/* the model's key, cut on a character (the result is JSON) */
		utf8_copy(where, cap, name);
		return true;
	}
	if (json_is_array(v)) {
		json_array_foreach(v, i, x) {
			if (holds_nul(x, name, where, cap))
				return true;
		}
	}
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, x) {
			if (holds_nul(x, k, where, cap))
				return true;
		}
	}
	return false;
}

/* Check a PENDING slot: false when it is DONE already (refused, or
 * TodoWrite), true when it must go to the worker. */
bool
batch_check_slot(struct batch *b, struct slot *s)
{
	const char *name = block_str(s->block, "name");
	const json_t *input = json_object_get(s->block, "input");
	char why[512], field[80];
	char *text;
	size_t n;

	if (!granted(b, name)) {
		snprintf(why, sizeof(why),
			 "Tool %.64s is not available to %s. "
			 "Use one of the tools you were given.",
			 name, b->cfg.agent);
		refuse(b, s, why);
		return false;
	}
	text = json_dumps(input, JSON_COMPACT | JSON_ENCODE_ANY);
	n = text ? strlen(text) : 0;
	free(text);
	if (!json_is_object(input) || n > BATCH_INPUT_MAX) {
		refuse(b, s,
		       "The tool input must be a JSON object of at "
		       "most 1 MiB.");
		return false;
	}
	if (holds_nul(input, "", field, sizeof(field))) {
		snprintf(why, sizeof(why),
			 "The tool input field \"%s\" holds a NUL character "
			 "(\\u0000), which no tool accepts. Send it without "
			 "that character.",
			 field);
		refuse(b, s, why);
		return false;
	}
	if (strcmp(name, "TodoWrite") == 0) {
		todo_write(b, s);
		return false;
	}
	return true;
}
