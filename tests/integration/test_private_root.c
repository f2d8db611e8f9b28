/*
 * test_private_root.c - a sandbox root below a directory others cannot
 * search (a 0700 home, a 0700 temporary directory).
 *
 * As root, workers drop to an unprivileged uid that could not pass
 * through such a directory on the host; gao-dev makes the project, the
 * worker's tmp and nothing else of it reachable in the worker's mount
 * namespace (supervisor/sandbox/spawn_view.h). These tests run the demo
 * benchmark through the real binaries, with the Bash tool (cwd = the project)
 * and the file tools, and check that the project is where the summary says.
 * Without mount namespaces (a test-only switch) the same root is refused
 * with a message that names the blocking directory. As an ordinary user
 * the directory is the user's own: the run completes as well.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "harness.h"

struct t {
	char dir[256];
	char priv[320]; /* 0700, between dir and the sandbox root */
	char key[512];
	char root[512];
	char base[128];
	struct h_fake fake;
	struct h_out out;
};

static void
setup(struct t *t)
{
	char sc[512];

	memset(t, 0, sizeof(*t));
	h_tmpdir(t->dir, sizeof(t->dir));
	h_keyfile(t->dir, H_TEST_KEY, t->key, sizeof(t->key));
	snprintf(t->priv, sizeof(t->priv), "%s/home", t->dir);
	cr_assert_eq(mkdir(t->priv, 0700), 0);
	cr_assert_eq(chmod(t->priv, 0700), 0);
	snprintf(t->root, sizeof(t->root), "%s/checkout/sandbox", t->priv);
	snprintf(sc, sizeof(sc), "%s/checkout", t->priv);
	cr_assert_eq(mkdir(sc, 0755), 0);
	h_src("benchmarks/demo.fake.json", sc, sizeof(sc));
	h_fake_start(&t->fake, sc, t->key, t->dir);
	snprintf(t->base, sizeof(t->base),
		 "ANTHROPIC_BASE_URL=http://127.0.0.1:%d", t->fake.port);
}

static void
run_demo(struct t *t, const char *extra)
{
	char cfg[512];
	const char *env[] = { t->base, NULL };

	h_src("benchmarks/demo.yaml", cfg, sizeof(cfg));
	const char *args[] = { "sandbox",
			       "run",
			       cfg,
			       "--standalone",
			       "--api-key-file",
			       t->key,
			       "--sandbox-root",
			       t->root,
			       extra,
			       NULL };

	h_run(args, env, t->dir, 120, &t->out);
}

/* The value of "label:" in the summary, into buf. */
static void
summary_field(const char *out, const char *label, char *buf, size_t cap)
{
	const char *p = strstr(out, label);
	size_t n;

	cr_assert_not_null(p, "no \"%s\" in the summary:\n%s", label, out);
	p += strlen(label);
	p += strspn(p, " ");
	n = strcspn(p, "\n");
	cr_assert_lt(n, cap);
	memcpy(buf, p, n);
	buf[n] = 0;
}

Test(private_root, run_completes_with_the_project_where_the_summary_says)
{
	char project[1024], file[1200];
	struct stat st;
	struct t t;

	setup(&t);
	run_demo(&t, NULL);
	cr_assert_eq(t.out.code, 0, "exit %d; stderr:\n%s", t.out.code,
		     t.out.err);
	summary_field(t.out.out, "project:", project, sizeof(project));
	cr_assert_eq(strncmp(project, t.root, strlen(t.root)), 0,
		     "project %s is not below %s", project, t.root);
	/* written by the Write and Edit tools, run by Bash in the project */
	snprintf(file, sizeof(file), "%s/calc.py", project);
	cr_assert_eq(stat(file, &st), 0, "%s is missing", file);
	cr_assert(strstr(t.out.out, "passed   tests_passing"),
		  "the Bash check did not pass:\n%s", t.out.out);
	/* the host's directory is unchanged: still 0700 */
	cr_assert_eq(stat(t.priv, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0700);
	h_fake_stop(&t.fake);
	h_out_free(&t.out);
}

#if GAO_DEV_TEST_SWITCHES
Test(private_root, refused_clearly_without_a_mount_namespace)
{
	struct t t;

	if (geteuid() != 0)
		cr_skip_test("as an ordinary user the directory is the user's "
			     "own: nothing to refuse");
	setup(&t);
	run_demo(&t, "--test-no-namespaces");
	cr_assert_eq(t.out.code, 4, "exit %d; stderr:\n%s", t.out.code,
		     t.out.err);
	cr_assert(strstr(t.out.err, "cannot pass through") &&
			  strstr(t.out.err, t.priv),
		  "%s", t.out.err);
	cr_assert(strstr(t.out.err, "no mount namespace"), "%s", t.out.err);
	h_fake_stop(&t.fake);
	h_out_free(&t.out);
}
#endif
