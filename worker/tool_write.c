/*
 * tool_write.c - the Write tool: create or replace a file's content.
 *
 * Design note
 * -----------
 * Input {file_path, content}. Missing parent directories are created
 * beneath the project; the file is replaced atomically through a temp
 * file and rename in its directory (an existing file keeps its mode), or
 * rewritten in place when it is a symlink or hard link inside the project
 * (the rename would replace the link, not the file the agent meant). A
 * symlink leading outside, a directory target or a path outside the
 * project is a tool error and nothing is written. The content is written
 * byte for byte, NUL bytes included.
 *
 * tool_write_file() is also how Edit and MultiEdit store their result.
 * The temp file and the rename are both named relative to the parent
 * directory's fd, which was resolved beneath the project, so a parent
 * swapped for a symlink mid-call cannot redirect them.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/io.h"
#include "worker/pathres.h"
#include "worker/tool.h"
#include "worker/tool_common.h"

/* A message for a failed write of path. */
static void
explain_write(int e, const char *path, char *err, size_t errlen)
{
	if (e < 0)
		e = -e;
	if (e == EFBIG)
		snprintf(err, errlen,
			 "%s: file too large (the sandbox's file "
			 "size limit)",
			 path);
	else if (e == ENOSPC || e == EDQUOT)
		snprintf(err, errlen, "%s: no space left for the project",
			 path);
	else
		snprintf(err, errlen, "%s: cannot write: %s", path,
			 strerror(e));
}

/* Rewrite the file path resolves to (a symlink or hard link) in place. */
static int
rewrite_in_place(const struct tool_ctx *ctx, const char *path, const void *data,
		 size_t len, bool *created, char *err, size_t errlen)
{
	struct stat st;
	int fd = -1, rc;

	*created = false;
	rc = pathres_open(ctx->project_fd, ctx->project_dir, path,
			  O_WRONLY | O_NONBLOCK | O_NOCTTY, 0, &fd, err,
			  errlen);
	if (rc == -ENOENT) {
		/* A dangling symlink inside: create its target, beneath. A
		 * FIFO put there meanwhile must not block us (ENXIO, or the
		 * S_ISREG check below); on a regular file O_NONBLOCK changes
		 * nothing, so it stays for the write. */
		*created = true;
		rc = pathres_open(ctx->project_fd, ctx->project_dir, path,
				  O_WRONLY | O_CREAT | O_NONBLOCK | O_NOCTTY,
				  TOOL_FILE_MODE, &fd, err, errlen);
	}
	if (rc < 0)
		return rc;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		rc = -EINVAL;
	} else if (ftruncate(fd, 0) < 0) {
		rc = -errno;
	} else {
		rc = io_write_all(fd, data, len);
	}
	if (close(fd) < 0 && rc == 0 && errno != EINTR)
		rc = -errno;
	if (rc < 0 && rc != -EINVAL)
		explain_write(rc, path, err, errlen);
	return rc;
}

/* Create an unused temp file in dfd; stores its name. fd or -errno. */
static int
create_temp(int dfd, mode_t mode, char *tmp, size_t tmpsize)
{
	static unsigned counter;
	int fd = -EEXIST, tries;

	for (tries = 0; tries < 16 && fd == -EEXIST; tries++) {
		snprintf(tmp, tmpsize, ".gao-tmp.%ld.%u.%" PRIx64,
			 (long)getpid(), counter++, clock_now_ms());
		fd = pathres_openat2(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL,
				     mode,
				     PATHRES_RESOLVE_BENEATH |
					     PATHRES_RESOLVE_NO_SYMLINKS);
	}
	return fd;
}

/* Write data to a temp file in dfd, then rename it over name. */
static int
replace_atomic(int dfd, const char *name, const struct stat *old,
	       const void *data, size_t len, const char *path, char *err,
	       size_t errlen)
{
	char tmp[64];
	mode_t mode = old ? (old->st_mode & 0777) : TOOL_FILE_MODE;
	int fd, rc;

	fd = create_temp(dfd, mode, tmp, sizeof(tmp));
	if (fd < 0) {
		explain_write(fd, path, err, errlen);
		return fd;
	}
	rc = io_write_all(fd, data, len);
	/* Keep the old mode exactly, whatever the umask took away. */
	if (rc == 0 && old != NULL && fchmod(fd, mode) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0 && errno != EINTR)
		rc = -errno;
	if (rc == 0 && renameat(dfd, tmp, dfd, name) < 0)
		rc = -errno;
	if (rc < 0) {
		unlinkat(dfd, tmp, 0);
		if (rc == -EISDIR)
			pathres_explain(rc, path, err, errlen);
		else
			explain_write(rc, path, err, errlen);
	}
	return rc;
}

int
tool_write_file(const struct tool_ctx *ctx, const char *path, const void *data,
		size_t len, bool *created, char *err, size_t errlen)
{
	char name[NAME_MAX + 1];
	struct stat st;
	bool exists = true;
	int dfd, rc;

	dfd = pathres_open_parent(ctx->project_fd, ctx->project_dir, path, true,
				  name, sizeof(name), err, errlen);
	if (dfd < 0)
		return dfd;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		rc = -errno;
		if (rc != -ENOENT) {
			pathres_explain(rc, path, err, errlen);
			goto out;
		}
		exists = false;
	}
	*created = !exists;
	if (exists && S_ISDIR(st.st_mode)) {
		rc = -EISDIR;
		snprintf(err, errlen,
			 "%s is a directory; give the path of a "
			 "file",
			 path);
	} else if (exists && (S_ISLNK(st.st_mode) ||
			      (S_ISREG(st.st_mode) && st.st_nlink > 1))) {
		rc = rewrite_in_place(ctx, path, data, len, created, err,
				      errlen);
	} else if (exists && !S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		snprintf(err, errlen, "%s is not a regular file", path);
	} else {
		rc = replace_atomic(dfd, name, exists ? &st : NULL, data, len,
				    path, err, errlen);
		/* A writable file in a directory we may not add to. */
		if (exists && (rc == -EACCES || rc == -EPERM))
			rc = rewrite_in_place(ctx, path, data, len, created,
					      err, errlen);
	}
out:
	close(dfd);
	return rc;
}

int
tool_write(const struct tool_ctx *ctx, const json_t *input, uint32_t timeout_ms,
	   struct tool_out *out)
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
	rc = tool_write_file(ctx, path, content, len, &created, err,
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
