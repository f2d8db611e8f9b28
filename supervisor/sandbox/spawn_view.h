/*
 * spawn_view.h - the paths a worker needs, reachable in its mount
 * namespace even below directories its uid cannot search.
 *
 * Design note
 * -----------
 * As root, a worker drops to an unprivileged uid before execve. When the
 * sandbox root sits below a directory that others may not search (a 0700
 * home such as /root, a 0700 temporary directory), that uid could not
 * reach its project by path: not for Bash's working directory, not for
 * `python -m`, not for the Landlock rules the worker opens by path.
 *
 * The worker has a mount namespace of its own, so the path is made
 * reachable there instead of on the host: the child, still root, opens
 * each directory the worker needs (the project, its private tmp, a
 * read-only boilerplate repository), mounts a small tmpfs (mode 0755) on
 * the topmost directory of each path that others cannot search (the
 * "mask"), recreates the path's components inside it (0755), and
 * bind-mounts each opened directory back at its own path. The worker sees
 * its project at the very path the summary names, and nothing else of the
 * masked directory: the rest of /root is simply absent in its namespace.
 * Nothing changes on the host; mounts are made after the namespace's
 * mounts are private, so nothing propagates.
 *
 * Without a mount namespace there is no such route: spawn_view_blocked()
 * lets the caller refuse such a sandbox root clearly before any run.
 */
#ifndef GAO_SUPERVISOR_SPAWN_VIEW_H
#define GAO_SUPERVISOR_SPAWN_VIEW_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define SPAWN_VIEW_MAX 4 /* paths a worker may need: project, tmp, extra */

/* One directory the worker needs at its own path. */
struct spawn_view_path {
	const char *path; /* absolute, canonical (realpath) */
	bool ro;          /* bound read-only */
};

/* The plan, made in the parent and carried out in the child. Plain
 * arrays: the child uses it between clone and execve. */
struct spawn_view {
	size_t n_masks;
	char masks[SPAWN_VIEW_MAX][PATH_MAX]; /* tmpfs on each */
	size_t n_binds;
	char binds[SPAWN_VIEW_MAX][PATH_MAX]; /* bound back at this path */
	bool ro[SPAWN_VIEW_MAX];
	int fds[SPAWN_VIEW_MAX]; /* child: opened sources */
};

/*
 * spawn_view_blocked - true when some directory above path (not path
 * itself) lacks search permission for others; its path is copied to
 * dir (cap bytes) when dir is not NULL.
 */
bool spawn_view_blocked(const char *path, char *dir, size_t cap);

/*
 * spawn_view_plan - fill *v for the n paths (n <= SPAWN_VIEW_MAX; NULL
 * paths and paths that are not existing directories are skipped). Returns the
 * number of masks (0: every path is reachable and the child has nothing to do),
 * or -ENAMETOOLONG / -EINVAL for a path that is too long or not absolute.
 */
int spawn_view_plan(struct spawn_view *v, const struct spawn_view_path *p,
		    size_t n);

/*
 * Child, in its new mount namespace, as root, before the uid drop.
 * spawn_view_child_open opens every bind source (before any mount may
 * hide it); spawn_view_child_apply mounts the masks, recreates the paths
 * and binds the sources back, then closes them. Both return 0 or -1 with
 * errno set. Async-signal-safe (plain syscalls only).
 */
int spawn_view_child_open(struct spawn_view *v);
int spawn_view_child_apply(struct spawn_view *v);

#endif
