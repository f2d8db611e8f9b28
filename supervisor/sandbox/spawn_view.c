/*
 * spawn_view.c - see spawn_view.h.
 */
#include "supervisor/sandbox/spawn_view.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

/* Length of the topmost proper ancestor of path that others cannot
 * search, or 0 when there is none. */
static size_t
topmost_blocked(const char *path)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);
	struct stat st;

	if (len >= sizeof(buf))
		return 0;
	memcpy(buf, path, len + 1);
	for (size_t i = 1; i < len; i++) {
		if (buf[i] != '/')
			continue;
		buf[i] = 0;
		if (stat(buf, &st) == 0 && S_ISDIR(st.st_mode) &&
		    !(st.st_mode & S_IXOTH))
			return i;
		buf[i] = '/';
	}
	return 0;
}

bool
spawn_view_blocked(const char *path, char *dir, size_t cap)
{
	size_t n = topmost_blocked(path);

	if (n && dir && cap)
		snprintf(dir, cap, "%.*s", (int)n, path);
	return n != 0;
}

static bool
have_mask(const struct spawn_view *v, const char *path, size_t n)
{
	for (size_t i = 0; i < v->n_masks; i++)
		if (strlen(v->masks[i]) == n && !strncmp(v->masks[i], path, n))
			return true;
	return false;
}

int
spawn_view_plan(struct spawn_view *v, const struct spawn_view_path *p, size_t n)
{
	memset(v, 0, sizeof(*v));
	for (size_t i = 0; i < SPAWN_VIEW_MAX; i++)
		v->fds[i] = -1;
	if (n > SPAWN_VIEW_MAX)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		const char *path = p[i].path;
		struct stat st;
		size_t m;

		/* nothing to bind for a path that does not exist (yet) */
		if (!path || stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		if (path[0] != '/')
			return -EINVAL;
		if (strlen(path) >= PATH_MAX)
			return -ENAMETOOLONG;
		memcpy(v->binds[v->n_binds], path, strlen(path) + 1);
		v->ro[v->n_binds++] = p[i].ro;
		m = topmost_blocked(path);
		if (m && !have_mask(v, path, m)) {
			memcpy(v->masks[v->n_masks], path, m);
			v->masks[v->n_masks++][m] = 0;
		}
	}
	if (v->n_masks == 0)
		v->n_binds = 0; /* every path is reachable as it is */
	return (int)v->n_masks;
}

int
spawn_view_child_open(struct spawn_view *v)
{
	for (size_t i = 0; i < v->n_binds; i++) {
		v->fds[i] = open(v->binds[i],
				 O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (v->fds[i] < 0)
			return -1;
	}
	return 0;
}

/* mkdir -p path, making each new component 0755 whatever the umask.
 * Components that exist (above the mask, on the host) are left alone.
 * Edits path in place and restores it. */
static int
make_path(char *path)
{
	size_t len = strlen(path);

	for (size_t i = 1; i <= len; i++) {
		if (path[i] != '/' && path[i] != 0)
			continue;
		path[i] = 0;
		if (mkdir(path, 0755) == 0) {
			if (chmod(path, 0755) < 0)
				return -1;
		} else if (errno != EEXIST) {
			return -1;
		}
		if (i < len)
			path[i] = '/';
	}
	return 0;
}

/* "/proc/self/fd/N" without snprintf (not async-signal-safe). */
static void
fd_path(char *buf, int fd)
{
	char digits[16];
	int n = 0;
	size_t off = sizeof("/proc/self/fd/") - 1;

	memcpy(buf, "/proc/self/fd/", off);
	do {
		digits[n++] = (char)('0' + fd % 10);
		fd /= 10;
	} while (fd > 0);
	while (n > 0)
		buf[off++] = digits[--n];
	buf[off] = 0;
}

static int
bind_back(struct spawn_view *v, size_t i)
{
	char src[32];

	fd_path(src, v->fds[i]);
	if (make_path(v->binds[i]) < 0 ||
	    mount(src, v->binds[i], NULL, MS_BIND | MS_REC, NULL) < 0)
		return -1;
	if (v->ro[i] &&
	    mount(NULL, v->binds[i], NULL,
		  MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV,
		  NULL) < 0)
		return -1;
	return 0;
}

int
spawn_view_child_apply(struct spawn_view *v)
{
	int rc = 0;

	for (size_t i = 0; i < v->n_masks && rc == 0; i++)
		rc = mount("tmpfs", v->masks[i], "tmpfs",
			   MS_NOSUID | MS_NODEV | MS_NOEXEC,
			   "mode=0755,size=64k,nr_inodes=256");
	for (size_t i = 0; i < v->n_binds && rc == 0; i++)
		rc = bind_back(v, i);
	for (size_t i = 0; i < v->n_binds; i++) {
		if (v->fds[i] >= 0)
			close(v->fds[i]);
		v->fds[i] = -1;
	}
	return rc;
}
