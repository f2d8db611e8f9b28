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
 * own are chowned to that uid (cond_who.owner). A test's files live in a
 * cond_box: a temp directory under /var/tmp with the test key and a fake
 * API playing the test's scenario; each run gets a sandbox root in it
 * (cond_sandbox_root) that the workers' uids can reach.
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

/* One test's directory, key and fake API (cond_box_start). */
struct cond_box {
	char dir[64];   /* /var/tmp/<prefix>XXXXXX, mode 0755 */
	char key[512];  /* dir/<key file>: H_TEST_KEY, owned by w's owner */
	char base[128]; /* "ANTHROPIC_BASE_URL=http://127.0.0.1:<port>" */
	struct h_fake fake;
};

/*
 * cond_box_start - b's directory made (named /var/tmp/<prefix>XXXXXX),
 * scenario (the fake API's JSON text) written to dir/scenario.json, the
 * key file made and given to w's owner, the fake API started with them.
 * Fails the test on any error; cond_box_finish() undoes it all.
 */
void cond_box_start(struct cond_box *b, const char *prefix,
		    const char *scenario, const struct cond_who *w);

/* Stop b's fake API and remove b's directory (cond_rm_tree). */
void cond_box_finish(struct cond_box *b);

/* A sandbox root at path: made 0711 (without a mount namespace the
 * workers' uid must pass) and given to w's owner. */
void cond_sandbox_root(const char *path, const struct cond_who *w);

/* The --userns and --gidmap values that map root and w itself ("0 0
 * 1,<id> <id> 1") into map and gmap (cap bytes each). */
void cond_self_maps(const struct cond_who *w, char *map, char *gmap,
		    size_t cap);

/*
 * cond_launch - gao-dev args (NULL-ended) under the launcher with opts
 * (NULL-ended, may be NULL), as w, with env (NULL-ended) in cwd; the
 * outcome in out (h_out_free() it).
 */
void cond_launch(const char *const *opts, const struct cond_who *w,
		 const char *const *args, const char *const *env,
		 const char *cwd, struct h_out *out);

#endif
