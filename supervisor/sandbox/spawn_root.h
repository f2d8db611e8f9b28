/*
 * spawn_root.h - the worker's minimal root: a tmpfs with only what its
 * policy grants, pivoted into in its mount namespace.
 *
 * Design note
 * -----------
 * Landlock decides what a worker may open, but not what it may see: stat
 * of a 0600 file anywhere on the host shows its size, owner and times,
 * and /run, /var, /home or the host's /tmp can be listed. With a mount
 * namespace the worker need not have the host's tree at all. In the
 * child, before the uid drop, a tmpfs is mounted and pivoted to (the old
 * root stays reachable below /.oldroot while the new root is filled, as
 * bubblewrap does), and the new root gets:
 *
 *   - the policy's read-only paths (/usr, /opt, /sys/devices/system/cpu
 *     ...) bound read-only at their own paths; a path that is a symlink
 *     on the host (/bin -> usr/bin on a merged-/usr Debian) is recreated
 *     as the same symlink;
 *   - when the policy grants /etc: a curated /etc, a tmpfs directory with
 *     only the host entries programs need (ld.so.cache, alternatives,
 *     passwd, group, nsswitch.conf, hosts, resolv.conf, ssl, localtime,
 *     ...: spawn_root.c lists them) bound read-only;
 *   - /dev with null, zero, full, random and urandom (the host's nodes
 *     bound) and the /dev/fd, stdin, stdout, stderr links;
 *   - /proc: a fresh one for the worker's PID namespace, else the host's
 *     bound (as without the minimal root);
 *   - /tmp: a private tmpfs (1 GiB);
 *   - the project, the worker's private tmp and any other read-write
 *     path of the policy bound read-write, a
 *     read-only extra directory (a file:// boilerplate) bound read-only,
 *     each at its own absolute path, so paths in results stay true; the
 *     directories above them are empty 0755 directories of the tmpfs, so
 *     a project below a directory others cannot search is reachable.
 *
 * Then the old root is detached (umount2 MNT_DETACH) and the root tmpfs
 * made read-only. /run, /var (but the path to the project), /home, /root
 * and the host's /tmp are simply not there. Every bind is MS_REC and
 * keeps the flags the host's mount had (a user namespace may not clear
 * them), adding nosuid and nodev (not on the device nodes).
 *
 * The plan is made in the parent (spawn_root_plan(), which may allocate
 * and lstat); the child only makes syscalls (spawn_root_child_build()).
 */
#ifndef GAO_SUPERVISOR_SPAWN_ROOT_H
#define GAO_SUPERVISOR_SPAWN_ROOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct spawn_root;

/* What the root is built from: paths absolute, canonical. */
struct spawn_root_opts {
	char *const *ro_paths; /* the policy's read-only paths */
	size_t n_ro;
	char *const *rw_paths; /* the policy's read-write paths */
	size_t n_rw;
	const char *project;  /* read-write (required) */
	const char *tmp;      /* read-write (or NULL) */
	const char *extra_ro; /* read-only (or NULL) */
};

/*
 * spawn_root_plan - plan the root for o. Returns 0 with *out (the caller
 * frees it with spawn_root_free()); 1 when the policy grants "/" itself,
 * so that a minimal root would have to hold the whole host (no plan: the
 * caller goes without one); or a negative errno: -ENOMEM, -EINVAL (a
 * path that is not absolute), -ENAMETOOLONG, -E2BIG (more entries than
 * the plan holds). Paths missing on the host are left out.
 */
int spawn_root_plan(const struct spawn_root_opts *o, struct spawn_root **out);

/* Free a plan; NULL is a no-op. */
void spawn_root_free(struct spawn_root *r);

/*
 * spawn_root_child_build - in the child, in its new mount namespace whose
 * mounts are already private, with CAP_SYS_ADMIN there: build the root
 * and pivot into it; the working directory is then "/". pid_ns: mount a
 * fresh /proc (sets *proc_fresh when that worked; otherwise the host's is
 * bound). Returns 0, or -1 with errno set (the namespace is then half
 * built: the caller must not exec). Async-signal-safe.
 */
int spawn_root_child_build(const struct spawn_root *r, bool pid_ns,
			   bool *proc_fresh);

#endif
