/*
 * spawn_ns.h - namespaces for a worker: what the kernel allows, the id
 * maps (parent side) and the private mounts (child side).
 *
 * Design note
 * -----------
 * A worker gets new mount, PID, network, IPC and UTS namespaces, and a
 * user namespace when gao-dev is not root (root needs none: it drops to an
 * unprivileged uid instead). In the child, before execve and with only
 * async-signal-safe calls: mounts become private, a fresh /proc shows only
 * the worker's PID namespace, /tmp is a private tmpfs, the hostname is
 * "gao-sandbox", and loopback is brought up (agents' tests often talk to
 * localhost; nothing else is reachable in a new network namespace). Each
 * step is best effort and recorded: the child reports the layers it got.
 */
#ifndef GAO_SUPERVISOR_SPAWN_NS_H
#define GAO_SUPERVISOR_SPAWN_NS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * spawn_ns_flags - the CLONE_NEW* flags to ask for: all of them (the
 * network one only when !network), CLONE_NEWUSER only when not root, and
 * none when a probe (done once, cached) shows the kernel refuses them.
 * Where a fresh /proc cannot be mounted in the new namespaces (a masked
 * /proc), CLONE_NEWPID is left out: a PID namespace seen through the
 * host's /proc would hide its own processes from the worker's reaper.
 */
int spawn_ns_flags(bool network);

/* Parent: write setgroups/uid_map/gid_map of child pid (user namespace:
 * the worker keeps its own uid and gid). 0 or -errno. */
int spawn_ns_write_maps(pid_t pid, uid_t uid, gid_t gid);

/* Child: the private mounts, hostname and loopback for ns_flags; returns
 * the msg_layer bits achieved. fs_mounts: a fresh /proc for the PID
 * namespace and, with private_tmp, a tmpfs on /tmp (only when the project
 * does not live under /tmp: it would hide it); false when the minimal
 * root (spawn_root.h) brings its own. Async-signal-safe. */
uint32_t spawn_ns_child_setup(int ns_flags, bool private_tmp, bool fs_mounts);

#endif
