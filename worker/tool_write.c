/*
 * tool_write.c - the Write tool: create or replace a file's content.
 *
 * Design note
 * -----------
 * Input {file_path, content}. Missing parent directories are created
 * beneath the project; the file is replaced atomically through a temp
 * file and rename in its directory (an existing file keeps its mode), or
 * rewritten in place when it is a symlink or hard link inside the project
 * (tool_replace_file). A symlink leading outside, a directory target or a
 * path outside the project is a tool error and nothing is written. The
 * content is written byte for byte, NUL bytes included.
 */
#include <errno.h>

#include "worker/tool.h"
#include "worker/tool_common.h"

int
tool_write(const struct tool_ctx *ctx, const json_t *input,
	   uint32_t timeout_ms, struct tool_out *out)
{
	char err[TOOL_ERRLEN];
	const char *path = NULL, *content = NULL;
	size_t len = 0;
	bool created = false;
	int rc;

	(void)timeout_ms;
	rc = tool_check_object(input, out);
	if (rc == 0)
		rc = tool_arg_text(input, "file_path", true, &path, out);
	if (rc == 0)
		rc = tool_arg_string(input, "content", true, &content, &len,
				     out);
	if (rc != 0)
		return rc > 0 ? 0 : rc;
	rc = tool_replace_file(ctx, path, content, len, &created, err,
			       sizeof(err));
	if (rc == -ENOMEM)
		return rc;
	if (rc < 0)
		rc = tool_fail(out, "%s", err);
	else if (created)
		rc = tool_ok(out, "File created successfully at: %s", path);
	else
		rc = tool_ok(out, "File updated successfully at: %s", path);
	return rc > 0 ? 0 : rc;
}
