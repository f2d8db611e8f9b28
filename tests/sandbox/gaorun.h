/*
 * gaorun.h - the escape suite's runs of the whole gao-dev binary at a
 * level, against the fake API.
 *
 * Design note
 * -----------
 * Most attempts drive one worker (sbx.h); a few need the supervisor too
 * (test_hooks.c, test_checks.c, test_leftovers.c). Each of those ran
 * `gao-dev sandbox run CONFIG --standalone` with a key file, a sandbox
 * root and the fake API (tests/integration/harness.c), and added the
 * level's test switches; that set-up lives here once, so the level's
 * switches and the directory's mode cannot differ between them.
 */
#ifndef GAO_TESTS_GAORUN_H
#define GAO_TESTS_GAORUN_H

#include "../integration/harness.h"
#include "sbx.h"

/* One test's directory for a gao-dev run. */
struct gaorun {
	char dir[256];    /* the test's directory: sbx_rmtree() it at the end */
	char key[512];    /* the API key file, in dir */
	char root[600];   /* dir/sandbox: the --sandbox-root */
	char record[512]; /* after gaorun_run: the fake's record of requests */
	const char *extra[4]; /* more gao-dev options, NULL-ended */
};

/*
 * gaorun_prepare - a fresh test directory with the key file, and GAO_DEV
 * and SOURCE_ROOT set for the harness. Without namespaces the directory
 * is 0711: gao-dev refuses a sandbox root the workers' uid cannot reach
 * (test_private_root.c), so the test lets it pass, as an operator would.
 * Fails the test on any error.
 */
void gaorun_prepare(const struct sbx *s, struct gaorun *g);

/*
 * gaorun_run - start the fake API with scenario (a path), run
 * `gao-dev sandbox run cfg --standalone --api-key-file KEY --sandbox-root
 * ROOT` with s's level's test switches in g->dir (timeout_s at most),
 * stop the fake. out gets the exit code and output (h_out_free() it).
 * Returns the seconds gao-dev itself ran.
 */
double gaorun_run(const struct sbx *s, struct gaorun *g, const char *scenario,
		  const char *cfg, int timeout_s, struct h_out *out);

#endif
