/*
 * pathres.c - resolve an agent's path beneath the project directory: see
 * pathres.h for the design note.
 *
 * Everything that reaches the filesystem goes through pathres_openat2(),
 * the one place that calls openat2(2). Debian 12's headers have
 * linux/openat2.h, but struct open_how and the syscall number are defined
 * locally so the file also builds against older headers; the layout is
 * the kernel's ABI and cannot change.
 */
#include "worker/pathres.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

/* The kernel's struct open_how (linux/openat2.h), version 0: 24 bytes. */
struct pathres_how {
	uint64_t flags;
	uint64_t mode;
	uint64_t resolve;
};

/* How often a lookup disturbed by a concurrent rename is retried. */
#define PATHRES_EAGAIN_TRIES 64

int
pathres_openat2(int dirfd, const char *rel, int flags, mode_t mode,
		uint64_t resolve)
{
	struct pathres_how how;
	int tries = 0;
	long fd;

	memset(&how, 0, sizeof(how));
	how.flags = (uint64_t)(unsigned int)(flags | O_CLOEXEC);
	/* The kernel rejects a non-zero mode without O_CREAT/O_TMPFILE. */
	if (flags & (O_CREAT | __O_TMPFILE))
		how.mode = mode & 07777;
	how.resolve = resolve;
	for (;;) {
		fd = syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));
		if (fd >= 0)
			return (int)fd;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN && ++tries < PATHRES_EAGAIN_TRIES)
			continue;
		return -errno;
	}
}

void
pathres_explain(int e, const char *path, char *err, size_t errlen)
{
	const char *why;

	if (errlen == 0)
		return;
	if (e < 0)
		e = -e;
	switch (e) {
	case EXDEV:
		why = "path escapes the project directory (through \"..\", an "
		      "absolute path, a symlink pointing outside, or an "
		      "absolute symlink, refused even when it names a file "
		      "inside); use a path inside the project, and relative "
		      "symlinks";
		break;
	case ELOOP:
		why = "too many levels of symbolic links, or a /proc magic "
		      "link, which is refused";
		break;
	case ENOENT:
		why = "no such file or directory";
		break;
	case ENOTDIR:
		why = "a component of the path is not a directory";
		break;
	case EISDIR:
		why = "is a directory";
		break;
	case EACCES:
	case EPERM:
		why = "permission denied";
		break;
	case ENAMETOOLONG:
		why = "path or a component of it is too long";
		break;
	case ENOSYS:
		why = "the kernel lacks openat2 (Linux 5.6 or later needed)";
		break;
	default:
		why = strerror(e);
		break;
	}
	snprintf(err, errlen, "%s: %s", path, why);
}

/* Length of project_dir without trailing slashes ("/" becomes 0). */
static size_t
prefix_len(const char *project_dir)
{
	size_t n = strlen(project_dir);

	while (n > 0 && project_dir[n - 1] == '/')
		n--;
	return n;
}

/*
 * The part of the absolute path p below project_dir, or NULL when p is
 * not under it. "/proj" and "/proj/" give "", "/projX" gives NULL.
 */
static const char *
strip_project(const char *project_dir, const char *p)
{
	size_t n;

	if (project_dir == NULL || project_dir[0] != '/')
		return NULL;
	n = prefix_len(project_dir);
	if (strncmp(p, project_dir, n) != 0)
		return NULL;
	if (p[n] != '\0' && p[n] != '/')
		return NULL;
	p += n;
	while (*p == '/')
		p++;
	return p;
}

int
pathres_relative(const char *project_dir, const char *path, size_t len,
		 char *rel, size_t relsize, char *err, size_t errlen)
{
	const char *r = path;
	size_t n;

	if (len == 0) {
		snprintf(err, errlen,
			 "empty path; give a file path inside "
			 "the project");
		return -EINVAL;
	}
	if (memchr(path, '\0', len) != NULL) {
		snprintf(err, errlen, "path contains a NUL byte");
		return -EINVAL;
	}
	if (len >= PATH_MAX) {
		snprintf(err, errlen,
			 "path is %zu bytes long, the limit is "
			 "%d",
			 len, PATH_MAX - 1);
		return -ENAMETOOLONG;
	}
	if (path[0] == '/') {
		r = strip_project(project_dir, path);
		if (r == NULL) {
			snprintf(err, errlen,
				 "%s: absolute path outside the "
				 "project directory %s; use a path inside it "
				 "or a relative path",
				 path, project_dir ? project_dir : "(unset)");
			return -EXDEV;
		}
		if (*r == '\0')
			r = ".";
	}
	n = strlen(r);
	if (n + 1 > relsize) {
		snprintf(err, errlen, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	memcpy(rel, r, n + 1);
	return 0;
}

int
pathres_open(int project_fd, const char *project_dir, const char *path,
	     int flags, mode_t mode, int *fd_out, char *err, size_t errlen)
{
	char rel[PATH_MAX];
	int rc;

	rc = pathres_relative(project_dir, path, strlen(path), rel, sizeof(rel),
			      err, errlen);
	if (rc < 0)
		return rc;
	rc = pathres_openat2(project_fd, rel, flags, mode,
			     PATHRES_RESOLVE_DEFAULT);
	if (rc < 0) {
		pathres_explain(rc, path, err, errlen);
		return rc;
	}
	*fd_out = rc;
	return 0;
}

/*
 * Split rel (modified in place) into its directory part and last
 * component. Returns 0, or -EISDIR when the last component is empty, "."
 * or "..", or -ENAMETOOLONG when it exceeds NAME_MAX or namesize.
 */
static int
split_last(char *rel, const char **dir, char *name, size_t namesize)
{
	char *slash = strrchr(rel, '/');
	const char *last = slash ? slash + 1 : rel;
	size_t n = strlen(last);

	if (n == 0 || strcmp(last, ".") == 0 || strcmp(last, "..") == 0)
		return -EISDIR;
	if (n > NAME_MAX || n + 1 > namesize)
		return -ENAMETOOLONG;
	memcpy(name, last, n + 1);
	if (slash == NULL || slash == rel) {
		*dir = ".";
	} else {
		*slash = '\0';
		*dir = rel;
	}
	return 0;
}

/*
 * Open the directory dir (relative to project_fd), creating missing
 * components. Each prefix is resolved from project_fd (so ".." inside
 * the path works), and a missing component is created with mkdirat() on
 * the fd of the prefix before it. Returns an fd or a negative errno.
 */
static int
open_dir_creating(int project_fd, char *dir)
{
	int parent = -1, fd = -1, rc;
	char *p = dir;

	for (;;) {
		char *slash = strchr(p, '/');

		if (slash != NULL)
			*slash = '\0';
		fd = pathres_openat2(project_fd, dir, O_RDONLY | O_DIRECTORY, 0,
				     PATHRES_RESOLVE_DEFAULT);
		if (fd == -ENOENT) {
			/* p is one component; parent is resolved beneath. */
			rc = mkdirat(parent >= 0 ? parent : project_fd, p,
				     PATHRES_DIR_MODE);
			if (rc < 0 && errno != EEXIST) {
				fd = -errno;
			} else {
				fd = pathres_openat2(project_fd, dir,
						     O_RDONLY | O_DIRECTORY, 0,
						     PATHRES_RESOLVE_DEFAULT);
			}
		}
		if (slash != NULL)
			*slash = '/';
		if (parent >= 0)
			close(parent);
		if (fd < 0 || slash == NULL)
			return fd;
		parent = fd;
		p = slash + 1;
		while (*p == '/')
			p++;
		if (*p == '\0')
			return parent;
	}
}

int
pathres_open_parent(int project_fd, const char *project_dir, const char *path,
		    bool create, char *name, size_t namesize, char *err,
		    size_t errlen)
{
	char rel[PATH_MAX];
	const char *dir;
	int rc;

	rc = pathres_relative(project_dir, path, strlen(path), rel, sizeof(rel),
			      err, errlen);
	if (rc < 0)
		return rc;
	rc = split_last(rel, &dir, name, namesize);
	if (rc < 0) {
		pathres_explain(rc, path, err, errlen);
		return rc;
	}
	rc = pathres_openat2(project_fd, dir, O_RDONLY | O_DIRECTORY, 0,
			     PATHRES_RESOLVE_DEFAULT);
	/* ENOENT means dir is a prefix of rel, not ".": create it. */
	if (rc == -ENOENT && create)
		rc = open_dir_creating(project_fd, rel);
	if (rc < 0)
		pathres_explain(rc, path, err, errlen);
	return rc;
}

int
pathres_mkparents(int project_fd, const char *project_dir, const char *path,
		  char *err, size_t errlen)
{
	char name[NAME_MAX + 1];
	int fd;

	fd = pathres_open_parent(project_fd, project_dir, path, true, name,
				 sizeof(name), err, errlen);
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}
