/*
 * test_check_conditions.c - gao-dev sandbox check tells the truth on the
 * hosts CI users run on (issue 11, "done means"): under each condition
 * the launcher (launch.c) rebuilds, `sandbox check --json` reports
 * exactly the layers, Landlock ABI and run uid a real run under the same
 * condition records for its agent (phases[0].isolation), the run caps it
 * records (isolation.run_caps), and an --require-isolation level a run
 * meets: a run at the reported level completes, one level above it ends
 * exit 4. The conditions are test_conditions.c's; their expected layers
 * are asserted there, the agreement here.
 *
 * Runs only as root (the launcher needs it; the user conditions drop to
 * $GAO_SBX_USER, default gaodev-test); otherwise skipped with the reason.
 */
#include <criterion/criterion.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cond.h"
#include "../integration/harness_check.h"

/* The fake API's part: one Bash call for Amelia, then done. */
static const char scenario[] =
	"{\"description\": \"test_check_conditions.c\", "
	"\"conversations\": [{\"name\": \"amelia\", \"match\": "
	"\"Amelia\", \"turns\": [{\"content\": [{\"type\": "
	"\"tool_use\", \"name\": \"Bash\", \"input\": {\"command\": "
	"\"echo hi\"}}]}, {\"content\": [{\"type\": \"text\", "
	"\"text\": \"done\"}]}]}]}\n";

/* gao-dev ARGS under the launcher with opts, as w; output in out. */
static void
launch(const struct cond_box *b, const char *const *opts,
       const struct cond_who *w, const char *const *args, struct h_out *out)
{
	const char *env[] = { b->base, "HOME=/nonexistent", NULL };

	cond_launch(opts, w, args, env, b->dir, out);
}

/* The check's report under the condition (its exit code in *code). */
static json_t *
check(struct cond_box *b, const char *const *opts, const struct cond_who *w,
      const char *require, int *code)
{
	const char *args[] = {
		"sandbox", "check",
		"--json",  require ? "--require-isolation" : NULL,
		require,   NULL
	};
	struct h_out o;
	json_t *j;

	launch(b, opts, w, args, &o);
	*code = o.code;
	j = json_loads(o.out, 0, NULL);
	cr_assert_not_null(j, "check exited %d, no JSON:\n%s\n%s", o.code,
			   o.out, o.err);
	h_out_free(&o);
	return j;
}

/* A run under the condition; its results (NULL: none), exit in *code. */
static json_t *
run(struct cond_box *b, const char *const *opts, const struct cond_who *w,
    const char *require, int *code)
{
	static int runs;
	char cfg[4096], root[512], res[1024];
	const char *args[] = { "sandbox",
			       "run",
			       cfg,
			       "--standalone",
			       "--skip-key-validation",
			       "--api-key-file",
			       b->key,
			       "--sandbox-root",
			       root,
			       require ? "--require-isolation" : NULL,
			       require,
			       NULL };
	struct h_out o;
	json_t *r = NULL;

	h_src("tests/integration/configs/plain.yaml", cfg, sizeof(cfg));
	snprintf(root, sizeof(root), "%s/sandbox-%d", b->dir, ++runs);
	cond_sandbox_root(root, w);
	launch(b, opts, w, args, &o);
	*code = o.code;
	if (h_single_file(root, "results", res, sizeof(res)))
		r = json_load_file(res, 0, NULL);
	cr_assert_not_null(r, "run exited %d, no results:\n%s", o.code, o.err);
	h_out_free(&o);
	return r;
}

static const json_t *
get(const json_t *o, const char *a, const char *b)
{
	return json_object_get(json_object_get(o, a), b);
}

/* The check and a run under opts agree (see the design note); the
 * check's advice mentions advice (NULL: no assertion). */
static void
agree(const char *const *opts, const struct cond_who *w, const char *advice)
{
	static const char *const caps[] = { "cgroup", "memory_enforced",
					    "processes_enforced", "processes" };
	const json_t *iso, *rcaps;
	struct cond_box b;
	json_t *c, *r;
	int cc, rc, lvl;

	cond_box_start(&b, "gao-ccond-", scenario, w);
	c = check(&b, opts, w, NULL, &cc);
	cr_assert_eq(cc, 0, "check exited %d: %s", cc,
		     json_string_value(get(c, "worker", "error")));
	r = run(&b, opts, w, NULL, &rc);
	cr_assert_eq(rc, 0, "run exited %d", rc);
	iso = json_object_get(json_array_get(json_object_get(r, "phases"), 0),
			      "isolation");
	cr_assert_eq(json_integer_value(json_object_get(c, "layer_bits")),
		     json_integer_value(json_object_get(iso, "layers")),
		     "check: %s; run: %s",
		     json_string_value(json_object_get(c, "summary")),
		     json_string_value(json_object_get(iso, "summary")));
	cr_assert_str_eq(json_string_value(json_object_get(c, "summary")),
			 json_string_value(json_object_get(iso, "summary")));
	cr_assert_eq(json_integer_value(json_object_get(c, "landlock_abi")),
		     json_integer_value(json_object_get(iso, "landlock_abi")));
	/* the uid: the same kind (0 stays 0, the user's stays the user's) */
	if (json_integer_value(json_object_get(iso, "uid")) == 0 || w->user)
		cr_assert_eq(json_integer_value(get(c, "run_uid", "uid")),
			     json_integer_value(json_object_get(iso, "uid")));
	rcaps = get(r, "isolation", "run_caps");
	for (size_t i = 0; i < sizeof(caps) / sizeof(*caps); i++)
		cr_assert(json_equal(get(c, "run_caps", caps[i]),
				     json_object_get(rcaps, caps[i])),
			  "run_caps.%s differs", caps[i]);
	json_decref(r);
	if (advice)
		cr_assert(hc_advises(c, advice), "no advice about %s", advice);
	lvl = hc_level_of(c);
	if (lvl > 0) {
		json_decref(run(&b, opts, w, hc_levels[lvl], &rc));
		cr_assert_eq(rc, 0, "a run at %s exited %d", hc_levels[lvl],
			     rc);
	}
	if (lvl < 3) {
		json_decref(run(&b, opts, w, hc_levels[lvl + 1], &rc));
		cr_assert_eq(rc, 4, "a run at %s exited %d", hc_levels[lvl + 1],
			     rc);
		json_decref(check(&b, opts, w, hc_levels[lvl + 1], &cc));
		cr_assert_eq(cc, 4);
	}
	json_decref(c);
	cond_box_finish(&b);
}

static const char *const docker[] = { "--docker-seccomp", "--docker-caps",
				      NULL };

Test(check_conditions, docker_seccomp_as_root, .timeout = 300)
{
	struct cond_who root = { false, 0, 0, 0 };

	cond_need_root();
	agree(docker, &root, "namespaces");
}

Test(check_conditions, docker_seccomp_as_a_user, .timeout = 300)
{
	struct cond_who w;

	cond_need_root();
	w = cond_user();
	agree(docker, &w, "namespaces");
}

Test(check_conditions, root_in_a_userns_mapping_only_root, .timeout = 300)
{
	static const char *const opts[] = { "--userns", "0 100000 1", NULL };
	struct cond_who w;

	cond_need_root();
	w = cond_rootless();
	agree(opts, &w, "uid_map");
}

Test(check_conditions, root_in_a_userns_with_a_range, .timeout = 300)
{
	static const char *const opts[] = { "--userns",
					    "0 100000 1,1000 200000 65536",
					    NULL };
	struct cond_who w;

	cond_need_root();
	w = cond_rootless();
	agree(opts, &w, NULL);
}

Test(check_conditions, no_nested_user_namespaces_as_a_user, .timeout = 300)
{
	char map[64], gmap[64];
	struct cond_who w;

	cond_need_root();
	w = cond_user();
	cond_self_maps(&w, map, gmap, sizeof(map));
	{
		const char *const opts[] = {
			"--userns",     map, "--gidmap", gmap,
			"--max-userns", "0", NULL
		};

		agree(opts, &w, "user namespaces");
	}
}

Test(check_conditions, masked_proc_as_root_in_a_userns, .timeout = 300)
{
	static const char *const opts[] = { "--mask-proc", "--userns",
					    "0 100000 1,1000 200000 65536",
					    NULL };
	struct cond_who w;

	cond_need_root();
	w = cond_rootless();
	agree(opts, &w, "/proc");
}

Test(check_conditions, masked_proc_as_a_user, .timeout = 300)
{
	static const char *const opts[] = { "--mask-proc", NULL };
	struct cond_who w;

	cond_need_root();
	w = cond_user();
	agree(opts, &w, NULL);
}
