/*
 * uidmap.h - which uid a run's workers get when gao-dev runs as root.
 *
 * Design note
 * -----------
 * As root, every worker of a run drops to the run's own unprivileged uid
 * and gid (the same number): runs cannot signal or trace each other even
 * without a PID namespace, and RLIMIT_NPROC (counted per uid) is the
 * run's alone. On a plain host every uid exists, and the run's uid is
 * UIDMAP_BASE plus 24 random bits: numbers no account uses.
 *
 * Root inside a user-namespaced container (rootless Podman, Docker with
 * userns-remap, Kubernetes user namespaces) has only the ids its
 * /proc/self/uid_map and gid_map list; setresuid() to any other fails.
 * So the maps are read, never assumed:
 *
 *   1. when both maps cover [UIDMAP_BASE, UIDMAP_BASE + 2^24), the id is
 *      picked there, as on a plain host;
 *   2. else it is picked at random among the ids both maps list that are
 *      at least UIDMAP_MIN_ID, not the overflow ids 65534/65535, and not
 *      named by any account or group this host knows (getpwuid and
 *      getgrgid): a container's own users keep their files;
 *   3. else (only root's own id mapped, "0 1000 1") no separate id
 *      exists: the worker keeps uid 0 and drops every capability
 *      (spawn.c), and the layer `unprivileged-uid` is not recorded.
 *
 * The parsers take text, so the container cases are unit-tested with any
 * map, and uidmap_run_uid() reads the real files.
 */
#ifndef GAO_SUPERVISOR_UIDMAP_H
#define GAO_SUPERVISOR_UIDMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define UIDMAP_BASE 0x40000000u
#define UIDMAP_SPAN (1u << 24)
#define UIDMAP_MIN_ID 1000u
#define UIDMAP_MAX_LINES 340 /* the kernel's limit on extents */

struct uidmap_extent {
	uint32_t inside, outside, count;
};

struct uidmap {
	struct uidmap_extent e[UIDMAP_MAX_LINES];
	int n;
};

/*
 * uidmap_parse - parse the text of a uid_map or gid_map file ("inside
 * outside count" per line). 0, or -1 (malformed: a field that is not a
 * number, a zero count, an extent that wraps, too many lines).
 */
int uidmap_parse(const char *text, size_t len, struct uidmap *m);

/* uidmap_covers - whether every id of [first, first + count) is mapped. */
bool uidmap_covers(const struct uidmap *m, uint32_t first, uint32_t count);

/* Whether an id is taken by an account or group (getpwuid, getgrgid);
 * a parameter so tests can name their own. */
typedef bool (*uidmap_taken_fn)(uint32_t id, void *arg);

/*
 * uidmap_pick - the run's uid under the rules of the design note, from
 * random bits rnd (several words: a retry uses the next). 1 with *out
 * set, 0 when no separate id is mapped (rule 3).
 */
int uidmap_pick(const struct uidmap *u, const struct uidmap *g,
		const uint32_t *rnd, size_t n_rnd, uidmap_taken_fn taken,
		void *arg, uid_t *out);

/*
 * uidmap_run_uid - the uid for a run's workers, from /proc/self/uid_map
 * and gid_map. 1 with a separate uid in *out; 0 when the worker keeps the
 * caller's uid (*out = geteuid(), why says why); -1 when the maps cannot
 * be read or parsed (why says which). Not root: 0 with the caller's uid.
 */
int uidmap_run_uid(uid_t *out, char *why, size_t whylen);

#endif
