/*
 * test_real_api.c - the demo benchmark against the real Anthropic API.
 *
 * Runs only when GAO_DEV_REAL_API=1 and ANTHROPIC_API_KEY are both set
 * (skips itself otherwise: CI and this project's machines have no route
 * to the API). It checks what must hold whatever the model writes: the
 * run reaches the API, finishes as completed or failed (never error), the
 * agent used tools in the sandbox, and the key is in no output.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

Test(real_api, demo_benchmark, .timeout = 900)
{
	const char *on = getenv("GAO_DEV_REAL_API");
	const char *key = getenv("ANTHROPIC_API_KEY");
	char dir[256], keyfile[512], root[512], cfg[512], res[1024];
	struct h_out o;
	json_t *r;

	if (!on || strcmp(on, "1") != 0 || !key || !*key)
		cr_skip_test("set GAO_DEV_REAL_API=1 and ANTHROPIC_API_KEY to "
			     "run against the real API");
	h_tmpdir(dir, sizeof(dir));
	h_keyfile(dir, key, keyfile, sizeof(keyfile));
	snprintf(root, sizeof(root), "%s/sandbox", dir);
	h_src("benchmarks/demo.yaml", cfg, sizeof(cfg));
	const char *args[] = { "sandbox",
			       "run",
			       cfg,
			       "--standalone",
			       "--api-key-file",
			       keyfile,
			       "--sandbox-root",
			       root,
			       "--max-cost-usd",
			       "1",
			       NULL };

	h_run(args, NULL, dir, 880, &o);
	cr_assert(o.code == 0 || o.code == 1, "exit %d; stderr:\n%s", o.code,
		  o.err);
	cr_assert(h_single_file(root, "results", res, sizeof(res)));
	r = json_load_file(res, 0, NULL);
	cr_assert_not_null(r);
	cr_assert_gt(json_integer_value(
			     json_object_get(json_object_get(r, "metrics"),
					     "tool_calls")),
		     0);
	cr_assert_not(h_tree_contains(root, key), "the key is in a file");
	cr_assert_null(strstr(o.out, key));
	cr_assert_null(strstr(o.err, key));
	json_decref(r);
	h_out_free(&o);
}
