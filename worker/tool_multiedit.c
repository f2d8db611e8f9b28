/*
 * tool_multiedit.c - the MultiEdit tool: several Edits of one file, all or
 * nothing.
 *
 * Design note
 * -----------
 * Input {file_path, edits: [{old_string, new_string, replace_all?}, ...]}.
 * Every edit is validated first (so a malformed fifth edit is reported
 * before anything is tried), then the edits are applied in order to an
 * in-memory copy with the same step as Edit (tool_edit_step), each seeing
 * the result of the previous ones. Only when all succeed is the file
 * replaced, atomically; if any fails the file is untouched and the error
 * names the failing edit by its index.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "worker/tool.h"
#include "worker/tool_common.h"

/* Most edits one call may carry. */
#define MULTIEDIT_MAX 1000

/* Validate edits[i] into *e; 0, 1 with a tool error, or -ENOMEM. */
static int
parse_edit(const json_t *j, size_t i, struct tool_edit_op *e,
	   struct tool_out *out)
{
	struct tool_out tmp;
	int rc;

	if (!json_is_object(j))
		return tool_fail(out,
				 "invalid input: edits[%zu] must be an "
				 "object {old_string, new_string, "
				 "replace_all?}",
				 i);
	memset(&tmp, 0, sizeof(tmp));
	memset(e, 0, sizeof(*e));
	rc = tool_arg_string(j, "old_string", true, &e->old, &e->oldlen, &tmp);
	if (rc == 0)
		rc = tool_arg_string(j, "new_string", true, &e->rep, &e->replen,
				     &tmp);
	if (rc == 0)
		rc = tool_arg_bool(j, "replace_all", &e->all, &tmp);
	if (rc > 0) {
		/* Name the edit in front of the field's message. */
		rc = tool_fail(out, "edits[%zu]: %s", i, tmp.content);
		tool_out_clear(&tmp);
	}
	return rc;
}

/* Parse the input into a new array *edits (caller frees) of *n edits. */
static int
parse(const json_t *input, const char **path, struct tool_edit_op **edits,
      size_t *n, struct tool_out *out)
{
	json_t *arr;
	size_t i, count;
	int rc;

	rc = tool_check_object(input, out);
	if (rc == 0)
		rc = tool_arg_text(input, "file_path", true, path, out);
	if (rc != 0)
		return rc;
	arr = json_object_get(input, "edits");
	if (arr == NULL || json_is_null(arr))
		return tool_fail(out, "invalid input: missing required field "
				      "\"edits\" (an array of {old_string, "
				      "new_string, replace_all?})");
	if (!json_is_array(arr))
		return tool_fail(out, "invalid input: field \"edits\" must be "
				      "an array");
	count = json_array_size(arr);
	if (count == 0 || count > MULTIEDIT_MAX)
		return tool_fail(out,
				 "invalid input: \"edits\" must hold 1 "
				 "to %d edits, not %zu",
				 MULTIEDIT_MAX, count);
	*edits = calloc(count, sizeof(**edits));
	if (*edits == NULL)
		return -ENOMEM;
	for (i = 0; i < count && rc == 0; i++)
		rc = parse_edit(json_array_get(arr, i), i, &(*edits)[i], out);
	*n = count;
	return rc;
}

/* Apply every edit to buf; 0, 1 with a tool error, or -ENOMEM. */
static int
apply_all(const char *path, const struct tool_edit_op *edits, size_t n,
	  char **buf, size_t *len, size_t *total, struct tool_out *out)
{
	char err[TOOL_ERRLEN];
	size_t i, count = 0;
	int rc;

	*total = 0;
	for (i = 0; i < n; i++) {
		rc = tool_edit_step(path, buf, len, &edits[i], &count, err,
				    sizeof(err));
		if (rc > 0)
			return tool_fail(out,
					 "edit %zu of %zu (edits[%zu]) "
					 "failed: %s; no edits were applied, "
					 "the file is unchanged",
					 i + 1, n, i, err);
		if (rc < 0)
			return rc;
		*total += count;
	}
	return 0;
}

int
tool_multiedit(const struct tool_ctx *ctx, const json_t *input,
	       uint32_t timeout_ms, struct tool_out *out)
{
	char err[TOOL_ERRLEN], *buf = NULL;
	const char *path = NULL;
	struct tool_edit_op *edits = NULL;
	size_t n = 0, len = 0, total = 0;
	bool created = false;
	int rc;

	(void)timeout_ms;
	rc = parse(input, &path, &edits, &n, out);
	if (rc == 0)
		rc = tool_edit_load(ctx, path, &buf, &len, out);
	if (rc == 0)
		rc = apply_all(path, edits, n, &buf, &len, &total, out);
	if (rc != 0)
		goto out;
	rc = tool_write_file(ctx, path, buf, len, &created, err, sizeof(err));
	if (rc < 0 && rc != -ENOMEM)
		rc = tool_fail(out, "%s", err);
	else if (rc == 0)
		rc = tool_ok(out,
			     "Applied %zu edit%s to %s (%zu "
			     "replacement%s)",
			     n, n == 1 ? "" : "s", path, total,
			     total == 1 ? "" : "s");
out:
	free(edits);
	free(buf);
	return rc > 0 ? 0 : rc;
}
