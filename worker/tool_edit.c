/*
 * tool_edit.c - the Edit tool: replace an exact string in a file.
 *
 * Design note
 * -----------
 * Input {file_path, old_string, new_string, replace_all?}. The file is
 * loaded whole (at most TOOL_FILE_MAX), the edit is made in memory, and
 * the result replaces the file atomically (tool_write_file), so a failed
 * edit never leaves a half-written file. old_string must be non-empty,
 * differ from new_string and occur exactly once unless replace_all is
 * set; the messages say which rule failed and what to do, because the
 * model reads them and retries. Matching is byte-exact (no whitespace or
 * line-ending folding). The in-memory step is shared with MultiEdit.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "worker/tool.h"
#include "worker/tool_common.h"

/* Non-overlapping occurrences of old in buf[0..len), up to max. */
static size_t
count_occurrences(const char *buf, size_t len, const char *old, size_t oldlen,
		  size_t max)
{
	const char *p = buf, *end = buf + len, *hit;
	size_t n = 0;

	while (n < max && (size_t)(end - p) >= oldlen) {
		hit = memmem(p, (size_t)(end - p), old, oldlen);
		if (hit == NULL)
			break;
		n++;
		p = hit + oldlen;
	}
	return n;
}

/*
 * Build buf with the first count occurrences of op->old replaced by
 * op->rep. Stores the new buffer in *res. 0, -EFBIG or -ENOMEM.
 */
static int
replace(const char *buf, size_t len, const struct tool_edit_op *op,
	size_t count, char **res, size_t *reslen)
{
	const char *p = buf, *end = buf + len, *hit;
	const size_t oldlen = op->oldlen, replen = op->replen;
	size_t newlen = len, i;
	char *o, *w;

	/* newlen = len - count * oldlen + count * replen, checked. */
	if (replen > oldlen) {
		if (count > (TOOL_FILE_MAX - len) / (replen - oldlen))
			return -EFBIG;
		newlen = len + count * (replen - oldlen);
	} else {
		newlen = len - count * (oldlen - replen);
	}
	o = malloc(newlen + 1);
	if (o == NULL)
		return -ENOMEM;
	w = o;
	for (i = 0; i < count; i++) {
		hit = memmem(p, (size_t)(end - p), op->old, oldlen);
		memcpy(w, p, (size_t)(hit - p));
		w += hit - p;
		memcpy(w, op->rep, replen);
		w += replen;
		p = hit + oldlen;
	}
	memcpy(w, p, (size_t)(end - p));
	o[newlen] = '\0';
	*res = o;
	*reslen = newlen;
	return 0;
}

int
tool_edit_step(const char *path, char **buf, size_t *len,
	       const struct tool_edit_op *op, size_t *count, char *err,
	       size_t errlen)
{
	char *res = NULL;
	size_t n, reslen = 0;
	int rc;

	if (op->oldlen == 0) {
		snprintf(err, errlen,
			 "old_string must not be empty; use "
			 "Write to create a file or replace all of it");
		return 1;
	}
	if (op->oldlen == op->replen &&
	    memcmp(op->old, op->rep, op->oldlen) == 0) {
		snprintf(err, errlen,
			 "old_string and new_string are the "
			 "same; there is nothing to change");
		return 1;
	}
	n = count_occurrences(*buf, *len, op->old, op->oldlen,
			      op->all ? SIZE_MAX : 2);
	if (n == 0) {
		snprintf(err, errlen,
			 "old_string not found in %s; it must "
			 "match the file exactly, including whitespace and "
			 "indentation (Read the file to check)",
			 path);
		return 1;
	}
	if (n > 1 && !op->all) {
		n = count_occurrences(*buf, *len, op->old, op->oldlen,
				      SIZE_MAX);
		snprintf(err, errlen,
			 "old_string found %zu times in %s; add "
			 "context to make it unique or set replace_all",
			 n, path);
		return 1;
	}
	rc = replace(*buf, *len, op, n, &res, &reslen);
	if (rc == -EFBIG) {
		snprintf(err, errlen,
			 "%s: the edited file would be larger "
			 "than %zu bytes",
			 path, TOOL_FILE_MAX);
		return 1;
	}
	if (rc < 0)
		return rc;
	free(*buf);
	*buf = res;
	*len = reslen;
	*count = n;
	return 0;
}

int
tool_edit_load(const struct tool_ctx *ctx, const char *path, char **buf,
	       size_t *len, struct tool_out *out)
{
	struct stat st;
	int fd = -1, rc;

	rc = tool_open_regular(ctx, path, &fd, &st, out);
	if (rc != 0)
		return rc;
	rc = tool_read_fd(fd, TOOL_FILE_MAX, buf, len);
	close(fd);
	if (rc == -EFBIG)
		return tool_fail(out,
				 "%s is too large to edit (the limit is "
				 "%zu bytes); use Bash (sed) instead",
				 path, TOOL_FILE_MAX);
	if (rc < 0 && rc != -ENOMEM)
		return tool_fail(out, "%s: cannot read: %s", path,
				 strerror(-rc));
	return rc;
}

/* Parse Edit's input; 0, or 1 with a tool error in *out. */
static int
parse(const json_t *input, const char **path, struct tool_edit_op *op,
      struct tool_out *out)
{
	int rc;

	rc = tool_check_object(input, out);
	if (rc == 0)
		rc = tool_arg_text(input, "file_path", true, path, out);
	if (rc == 0)
		rc = tool_arg_string(input, "old_string", true, &op->old,
				     &op->oldlen, out);
	if (rc == 0)
		rc = tool_arg_string(input, "new_string", true, &op->rep,
				     &op->replen, out);
	if (rc == 0)
		rc = tool_arg_bool(input, "replace_all", &op->all, out);
	return rc;
}

int
tool_edit(const struct tool_ctx *ctx, const json_t *input, uint32_t timeout_ms,
	  struct tool_out *out)
{
	char err[TOOL_ERRLEN], *buf = NULL;
	const char *path = NULL;
	struct tool_edit_op op = { NULL, 0, NULL, 0, false };
	size_t len = 0, count = 0;
	bool created = false;
	int rc;

	(void)timeout_ms;
	rc = parse(input, &path, &op, out);
	if (rc == 0)
		rc = tool_edit_load(ctx, path, &buf, &len, out);
	if (rc != 0)
		goto out;
	rc = tool_edit_step(path, &buf, &len, &op, &count, err, sizeof(err));
	if (rc > 0)
		rc = tool_fail(out, "%s", err);
	if (rc != 0)
		goto out;
	rc = tool_write_file(ctx, path, buf, len, &created, err, sizeof(err));
	if (rc < 0 && rc != -ENOMEM)
		rc = tool_fail(out, "%s", err);
	else if (rc == 0)
		rc = tool_ok(out,
			     "The file %s has been updated: replaced %zu "
			     "occurrence%s of old_string",
			     path, count, count == 1 ? "" : "s");
out:
	free(buf);
	return rc > 0 ? 0 : rc;
}
