/*
 * tool_write.c - the Write tool: create or replace a file's content.
 *
 * Design note
 * -----------
 * Input {file_path, content}. Missing parent directories are created
 * beneath the project. A write that fails (the sandbox's file size limit,
 * a full disk or quota) never leaves a half-written file:
 *
 * - A regular file, or a new one, is replaced atomically: the content goes
 *   to a temp file in its directory, which gets the old file's permission
 *   bits (st_mode & 0777: setuid, setgid and sticky are dropped) and is
 *   renamed over it.
 * - A symlink is followed to the entry it finally names, one link at a
 *   time: the link's text is joined to the directory part of the path
 *   that named the link and looked up again from the project fd, so the
 *   kernel refuses whatever leads out, as for every path (an absolute
 *   link is refused even when it points inside, as RESOLVE_BENEATH does).
 *   That entry is then written as if it had been named: replaced through
 *   a temp file in its own directory, or created there when missing; the
 *   links stay.
 * - A hard-linked file (st_nlink > 1) must keep its inode, or its other
 *   names would keep the old content, so it is rewritten in place; but
 *   first the new content is written whole to a temp file beside it and
 *   removed, so the size limit, the disk or the quota fail there with the
 *   file untouched. If the rewrite still fails (space taken meanwhile),
 *   the old content, kept in memory when the file is at most TOOL_FILE_MAX
 *   bytes, is written back.
 * - A writable file in a directory we may not add to (no temp file
 *   there) is rewritten in place the same way, without the trial.
 *
 * A directory target, a non-regular file, or a path or symlink leading
 * outside the project is a tool error and nothing is written. The content
 * is written byte for byte, NUL bytes included.
 *
 * tool_write_file() is also how Edit and MultiEdit store their result.
 * The temp file and the rename are both named relative to the directory's
 * fd, which was resolved beneath the project, so a parent swapped for a
 * symlink mid-call cannot redirect them.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/io.h"
#include "worker/pathres.h"
#include "worker/tool.h"
#include "worker/tool_common.h"

/* Most symlinks followed to the final entry (the kernel's MAXSYMLINKS). */
#define WRITE_LINKS_MAX 40

/* Where the content goes: the entry name in the directory dfd. */
struct dest {
	int dfd;
	char name[NAME_MAX + 1];
	struct stat st; /* lstat of the entry, when it exists */
	bool exists;
};

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

/* ---- finding the entry ----------------------------------------------- */

/*
 * Open the directory of lookup's last component beneath the project
 * (creating missing ones with create) and lstat that entry. 0 (the entry
 * may be missing: d->exists false) or a negative errno with err.
 */
static int
dest_open(const struct tool_ctx *ctx, const char *lookup, bool create,
	  struct dest *d, char *err, size_t errlen)
{
	int rc;

	d->dfd = pathres_open_parent(ctx->project_fd, ctx->project_dir, lookup,
				     create, d->name, sizeof(d->name), err,
				     errlen);
	if (d->dfd < 0)
		return d->dfd;
	d->exists = fstatat(d->dfd, d->name, &d->st, AT_SYMLINK_NOFOLLOW) == 0;
	if (d->exists || errno == ENOENT)
		return 0;
	rc = -errno;
	pathres_explain(rc, lookup, err, errlen);
	close(d->dfd);
	d->dfd = -1;
	return rc;
}

/*
 * rel names the symlink d found: make it the path the link names, the
 * link's text joined to rel's directory part. 0, -EXDEV for an absolute
 * link, -ENAMETOOLONG, or readlinkat's negative errno.
 */
static int
next_hop(const struct dest *d, char *rel, size_t relsize)
{
	char target[PATH_MAX], *slash;
	size_t dirlen;
	ssize_t n;

	n = readlinkat(d->dfd, d->name, target, sizeof(target));
	if (n < 0)
		return -errno;
	if ((size_t)n >= sizeof(target))
		return -ENAMETOOLONG;
	target[n] = '\0';
	if (target[0] == '/')
		return -EXDEV;
	slash = strrchr(rel, '/');
	dirlen = slash ? (size_t)(slash - rel) + 1 : 0;
	if (dirlen + (size_t)n + 1 > relsize)
		return -ENAMETOOLONG;
	memcpy(rel + dirlen, target, (size_t)n + 1);
	return 0;
}

/*
 * Find the entry path names, its parents created, its symlinks followed
 * beneath the project. 0 with d->dfd open (the caller closes it), or a
 * negative errno with err (naming path).
 */
static int
dest_find(const struct tool_ctx *ctx, const char *path, struct dest *d,
	  char *err, size_t errlen)
{
	char rel[PATH_MAX];
	int hops, rc;

	rc = dest_open(ctx, path, true, d, err, errlen);
	if (rc < 0 || !d->exists || !S_ISLNK(d->st.st_mode))
		return rc;
	/* path was accepted above, so it translates */
	rc = pathres_relative(ctx->project_dir, path, strlen(path), rel,
			      sizeof(rel), err, errlen);
	for (hops = 0; rc == 0 && d->exists && S_ISLNK(d->st.st_mode); hops++) {
		rc = hops < WRITE_LINKS_MAX ? next_hop(d, rel, sizeof(rel)) :
					      -ELOOP;
		close(d->dfd);
		d->dfd = -1;
		if (rc == 0)
			rc = dest_open(ctx, rel, false, d, err, errlen);
	}
	if (rc < 0)
		pathres_explain(rc, path, err, errlen);
	return rc;
}

/* ---- writing --------------------------------------------------------- */

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

/*
 * Write data whole to a temp file in dfd and remove it again: the errors
 * a file of that size meets there (the size limit, the disk, the quota)
 * show before the real file is touched. 0 or a negative errno.
 */
static int
trial_write(int dfd, const void *data, size_t len)
{
	char tmp[64];
	int fd, rc;

	fd = create_temp(dfd, TOOL_FILE_MODE, tmp, sizeof(tmp));
	if (fd < 0)
		return fd;
	rc = io_write_all(fd, data, len);
	if (close(fd) < 0 && rc == 0 && errno != EINTR)
		rc = -errno;
	unlinkat(dfd, tmp, 0);
	return rc;
}

/* Replace the content of the open file fd by data. 0 or -errno. */
static int
put_content(int fd, const void *data, size_t len)
{
	if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	return io_write_all(fd, data, len);
}

/*
 * Open d's entry for rewriting in place: a regular file, never a FIFO
 * (O_NONBLOCK, which changes nothing for a regular file's writes). Its
 * old content goes into *old (NULL when it cannot be kept: larger than
 * TOOL_FILE_MAX or unreadable). fd, -ENOMEM, or another negative errno
 * with err.
 */
static int
open_in_place(const struct dest *d, char **old, size_t *oldlen,
	      const char *path, char *err, size_t errlen)
{
	const uint64_t how = PATHRES_RESOLVE_BENEATH |
			     PATHRES_RESOLVE_NO_SYMLINKS;
	const int flags = O_NONBLOCK | O_NOCTTY | O_NOFOLLOW;
	struct stat st;
	int fd, rc;

	*old = NULL;
	fd = pathres_openat2(d->dfd, d->name, O_RDWR | flags, 0, how);
	if (fd == -EACCES)
		fd = pathres_openat2(d->dfd, d->name, O_WRONLY | flags, 0, how);
	if (fd < 0) {
		pathres_explain(fd, path, err, errlen);
		return fd;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		snprintf(err, errlen, "%s: not a regular file", path);
		return -EINVAL;
	}
	rc = (uint64_t)st.st_size <= TOOL_FILE_MAX ?
		     tool_read_fd(fd, TOOL_FILE_MAX, old, oldlen) :
		     -EFBIG;
	if (rc == -ENOMEM) {
		close(fd);
		return rc;
	}
	if (rc < 0)
		*old = NULL;
	return fd;
}

/*
 * Rewrite d's entry in place, keeping its inode (its other hard links),
 * after a trial write of data beside it when try_first. On a failed
 * rewrite the old content is written back when it was kept.
 */
static int
rewrite_in_place(const struct dest *d, const void *data, size_t len,
		 bool try_first, const char *path, char *err, size_t errlen)
{
	char *old = NULL;
	size_t oldlen = 0, n;
	int fd, rc = 0;

	if (try_first)
		rc = trial_write(d->dfd, data, len);
	/* no temp file in this directory: no trial either */
	if (rc == -EACCES || rc == -EPERM)
		rc = 0;
	if (rc < 0) {
		explain_write(rc, path, err, errlen);
		return rc;
	}
	fd = open_in_place(d, &old, &oldlen, path, err, errlen);
	if (fd < 0)
		return fd;
	rc = put_content(fd, data, len);
	if (rc < 0) {
		explain_write(rc, path, err, errlen);
		n = strlen(err);
		snprintf(err + n, errlen - n, "%s",
			 old && put_content(fd, old, oldlen) == 0 ?
				 "; its old content was put back" :
				 "; it may be left partly written");
	}
	if (close(fd) < 0 && rc == 0 && errno != EINTR) {
		rc = -errno;
		explain_write(rc, path, err, errlen);
	}
	free(old);
	return rc;
}

/* Give d's entry the content: see the design note. */
static int
store(const struct dest *d, const void *data, size_t len, const char *path,
      char *err, size_t errlen)
{
	int rc;

	if (!d->exists)
		return replace_atomic(d->dfd, d->name, NULL, data, len, path,
				      err, errlen);
	if (S_ISDIR(d->st.st_mode)) {
		snprintf(err, errlen,
			 "%s is a directory; give the path of a file", path);
		return -EISDIR;
	}
	if (!S_ISREG(d->st.st_mode)) {
		snprintf(err, errlen, "%s is not a regular file", path);
		return -EINVAL;
	}
	if (d->st.st_nlink > 1)
		return rewrite_in_place(d, data, len, true, path, err, errlen);
	rc = replace_atomic(d->dfd, d->name, &d->st, data, len, path, err,
			    errlen);
	/* A writable file in a directory we may not add to. */
	if (rc == -EACCES || rc == -EPERM)
		rc = rewrite_in_place(d, data, len, false, path, err, errlen);
	return rc;
}

int
tool_write_file(const struct tool_ctx *ctx, const char *path, const void *data,
		size_t len, bool *created, char *err, size_t errlen)
{
	struct dest d;
	int rc;

	rc = dest_find(ctx, path, &d, err, errlen);
	if (rc < 0)
		return rc;
	*created = !d.exists;
	rc = store(&d, data, len, path, err, errlen);
	close(d.dfd);
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
