/*
 * gaorun.c - see gaorun.h.
 */
#include "gaorun.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <criterion/criterion.h>

/* The gao-dev options that give this level. */
static void
level_args(enum sbx_level lv, const char **a, size_t *n)
{
	if (lv == SBX_NO_NS || lv == SBX_SECCOMP_ONLY)
		a[(*n)++] = "--test-no-namespaces";
	if (lv == SBX_NO_LANDLOCK || lv == SBX_SECCOMP_ONLY) {
		a[(*n)++] = "--test-disable-layers";
		a[(*n)++] = "4"; /* MSG_LAYER_LANDLOCK */
	}
}

void
gaorun_prepare(const struct sbx *s, struct gaorun *g)
{
	memset(g, 0, sizeof(*g));
	setenv("GAO_DEV", sbx_gao_dev_path(), 1);
	setenv("SOURCE_ROOT", sbx_source_root(), 1);
	h_tmpdir(g->dir, sizeof(g->dir));
	if (s->level == SBX_NO_NS || s->level == SBX_SECCOMP_ONLY)
		cr_assert_eq(chmod(g->dir, 0711), 0);
	h_keyfile(g->dir, H_TEST_KEY, g->key, sizeof(g->key));
	snprintf(g->root, sizeof(g->root), "%s/sandbox", g->dir);
}

double
gaorun_run(const struct sbx *s, struct gaorun *g, const char *scenario,
	   const char *cfg, int timeout_s, struct h_out *out)
{
	char base[128];
	const char *args[16] = { "sandbox",
				 "run",
				 cfg,
				 "--standalone",
				 "--api-key-file",
				 g->key,
				 "--sandbox-root",
				 g->root };
	const char *env[] = { base, NULL };
	struct h_fake fake;
	size_t n = 8;
	double t0, t;

	h_fake_start(&fake, scenario, g->key, g->dir);
	snprintf(g->record, sizeof(g->record), "%s", fake.record);
	snprintf(base, sizeof(base), "ANTHROPIC_BASE_URL=http://127.0.0.1:%d",
		 fake.port);
	level_args(s->level, args, &n);
	for (size_t i = 0; i < 4 && g->extra[i]; i++)
		args[n++] = g->extra[i];
	args[n] = NULL;
	t0 = h_now_s();
	h_run(args, env, g->dir, timeout_s, out);
	t = h_now_s() - t0;
	h_fake_stop(&fake);
	return t;
}
