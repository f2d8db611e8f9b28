/*
 * cond.h - what the tests under tests/conditions/ share: who runs
 * gao-dev (root, a rootless container's root, the unprivileged user),
 * skips for what the host cannot give, and gao-dev started under the
 * launcher (launch.c).
 *
 * Design note
 * -----------
 * Every test rebuilds a CI host's condition around one gao-dev process:
 * GAO_LAUNCH (set by meson) is the launcher, GAO_DEV the real binary.
 * cond_launch() runs "LAUNCHER OPTS [--user U:G] -- GAO_DEV ARGS" through
 * the integration harness (h_run: timeouts, output captured, no key
 * inherited). A rootless container's root is uid 0 inside a user
 * namespace whose root is COND_ROOTLESS_UID outside: the files it must
 * own are chowned to that uid (cond_who.owner).
 */
#ifndef GAO_TESTS_COND_H
#define GAO_TESTS_COND_H

#include <stdbool.h>
#include <sys/types.h>

#include "../integration/harness.h"

#define COND_ROOTLESS_UID 100000u

struct cond_who {
	bool user; /* drop to uid:gid after the set-up */
	uid_t uid;
	gid_t gid;
	uid_t owner; /* who must own the run's files: 0 real root */
};

/* Skip unless root (the launcher builds namespaces and maps). */
void cond_need_root(void);

/* Skip unless uid:gid can read gao-dev, the launcher, the fake API and
 * the plain config. */
void cond_need_readable(uid_t uid, gid_t gid);

/* The unprivileged user ($GAO_SBX_USER, default gaodev-test), or a skip
 * when there is none or it cannot read what it runs. */
struct cond_who cond_user(void);

/* A rootless container's root, or a skip (see cond_need_readable). */
struct cond_who cond_rootless(void);

/* rm -rf dir (the workers' files belong to other uids). */
void cond_rm_tree(const char *dir);

/* Give path to w's owner (nothing for real root). */
void cond_chown(const char *path, const struct cond_who *w);

/*
 * cond_launch - gao-dev args (NULL-ended) under the launcher with opts
 * (NULL-ended, may be NULL), as w, with env (NULL-ended) in cwd; the
 * outcome in out (h_out_free() it).
 */
void cond_launch(const char *const *opts, const struct cond_who *w,
		 const char *const *args, const char *const *env,
		 const char *cwd, struct h_out *out);

#endif
