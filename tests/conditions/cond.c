/*
 * cond.c - see cond.h.
 */
#include "cond.h"

#include <criterion/criterion.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *
launcher(void)
{
	const char *l = getenv("GAO_LAUNCH");

	cr_assert_not_null(l, "GAO_LAUNCH is not set (run through meson)");
	return l;
}

void
cond_need_root(void)
{
	if (geteuid() != 0)
		cr_skip_test("the launcher needs root (it builds namespaces "
			     "and maps); run the suite as root");
}

void
cond_need_readable(uid_t uid, gid_t gid)
{
	const char *paths[] = { getenv("GAO_DEV"), launcher() };
	char cfg[4096], fake[4096];

	h_src("tests/integration/configs/plain.yaml", cfg, sizeof(cfg));
	h_src("scripts/fake-anthropic", fake, sizeof(fake));
	for (size_t i = 0; i < 4; i++) {
		const char *p = i < 2 ? paths[i] : i == 2 ? cfg : fake;
		pid_t pid;
		int st = 0;

		cr_assert_not_null(p, "GAO_DEV is not set (run through meson)");
		pid = fork();
		cr_assert_geq(pid, 0);
		if (pid == 0) {
			if (setgroups(0, NULL) < 0 ||
			    setresgid(gid, gid, gid) < 0 ||
			    setresuid(uid, uid, uid) < 0)
				_exit(2);
			_exit(access(p, R_OK) == 0 ? 0 : 1);
		}
		cr_assert_eq(waitpid(pid, &st, 0), pid);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			cr_skip_test("uid %u cannot read %s: give others "
				     "read access to the build and source "
				     "trees",
				     (unsigned)uid, p);
	}
}

struct cond_who
cond_user(void)
{
	const char *name = getenv("GAO_SBX_USER");
	struct passwd *pw = getpwnam(name && *name ? name : "gaodev-test");
	struct cond_who w = { true, 0, 0, 0 };

	if (!pw)
		cr_skip_test("no user %s (tests/sandbox/run-as-users makes "
			     "it)",
			     name && *name ? name : "gaodev-test");
	w.uid = w.owner = pw->pw_uid;
	w.gid = pw->pw_gid;
	cond_need_readable(w.uid, w.gid);
	return w;
}

struct cond_who
cond_rootless(void)
{
	struct cond_who w = { false, 0, 0, COND_ROOTLESS_UID };

	cond_need_readable(COND_ROOTLESS_UID, COND_ROOTLESS_UID);
	return w;
}

void
cond_rm_tree(const char *dir)
{
	pid_t pid = fork();
	int st = 0;

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		execl("/bin/rm", "rm", "-rf", "--", dir, (char *)NULL);
		_exit(127);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "rm -rf %s", dir);
}

void
cond_chown(const char *path, const struct cond_who *w)
{
	gid_t g = w->user ? w->gid : (gid_t)w->owner;

	if (w->owner)
		cr_assert_eq(chown(path, w->owner, g), 0, "chown %s", path);
}

void
cond_launch(const char *const *opts, const struct cond_who *w,
	    const char *const *args, const char *const *env, const char *cwd,
	    struct h_out *out)
{
	const char *argv[64], *gao = getenv("GAO_DEV");
	char *saved = strdup(gao ? gao : ""), user[64];
	size_t n = 0;

	cr_assert_not_null(saved);
	for (size_t i = 0; opts && opts[i] && n < 40; i++)
		argv[n++] = opts[i];
	if (w->user) {
		snprintf(user, sizeof(user), "%u:%u", (unsigned)w->uid,
			 (unsigned)w->gid);
		argv[n++] = "--user";
		argv[n++] = user;
	}
	argv[n++] = "--";
	argv[n++] = saved;
	for (size_t i = 0; args[i] && n < 63; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	setenv("GAO_DEV", launcher(), 1);
	h_run(argv, env, cwd, 120, out);
	setenv("GAO_DEV", saved, 1);
	free(saved);
}

void
cond_box_start(struct cond_box *b, const char *prefix, const char *scenario,
	       const struct cond_who *w)
{
	char sc[512];
	FILE *f;

	memset(b, 0, sizeof(*b));
	snprintf(b->dir, sizeof(b->dir), "/var/tmp/%sXXXXXX", prefix);
	cr_assert_not_null(mkdtemp(b->dir));
	cr_assert_eq(chmod(b->dir, 0755), 0);
	snprintf(sc, sizeof(sc), "%s/scenario.json", b->dir);
	f = fopen(sc, "we");
	cr_assert_not_null(f);
	fputs(scenario, f);
	cr_assert_eq(fclose(f), 0);
	h_keyfile(b->dir, H_TEST_KEY, b->key, sizeof(b->key));
	cond_chown(b->key, w);
	h_fake_start(&b->fake, sc, b->key, b->dir);
	snprintf(b->base, sizeof(b->base),
		 "ANTHROPIC_BASE_URL=http://127.0.0.1:%d", b->fake.port);
}

void
cond_box_finish(struct cond_box *b)
{
	h_fake_stop(&b->fake);
	cond_rm_tree(b->dir);
}

void
cond_sandbox_root(const char *path, const struct cond_who *w)
{
	/* 0711: without a mount namespace the workers' uid must pass */
	cr_assert_eq(mkdir(path, 0711), 0);
	cr_assert_eq(chmod(path, 0711), 0);
	cond_chown(path, w);
}

void
cond_self_maps(const struct cond_who *w, char *map, char *gmap, size_t cap)
{
	snprintf(map, cap, "0 0 1,%u %u 1", (unsigned)w->uid, (unsigned)w->uid);
	snprintf(gmap, cap, "0 0 1,%u %u 1", (unsigned)w->gid,
		 (unsigned)w->gid);
}
