/*
 * test_conditions.c - gao-dev on the hosts CI users run it on, rebuilt by
 * the launcher (launch.c): each condition gives the best isolation it
 * allows, the results record exactly the layers in force, and
 * --require-isolation full fails with exit 4 naming what is missing.
 *
 * Tests probe the host and assert the promise: a baseline run on this
 * host without the launcher (as root, and as the unprivileged user for
 * the user conditions) gives the layers this host has; a condition must
 * give exactly those minus the ones it takes away:
 *
 *   condition                        as     takes away
 *   Docker-like seccomp, no          root   every namespace, the minimal
 *     CAP_SYS_ADMIN                  user   root (all need a mount ns)
 *   root in a user namespace that    root*  the per-run uid (workers keep
 *     maps only root                        uid 0, no capabilities), the
 *                                           cgroup (not delegated)
 *   ... with a subordinate range     root*  the cgroup; the uid is picked
 *                                           inside the map
 *   no nested user namespaces        user   every namespace, the minimal
 *     (user.max_user_namespaces=0)          root
 *   a masked /proc (Docker's masks,  root*  the PID namespace (no private
 *     locked by a user namespace)    user   /proc can be mounted)
 *
 *   (* root of a rootless container: uid 0 inside a user namespace whose
 *   root is the unprivileged outside uid COND_ROOTLESS_UID, with a subordinate
 *   range 1000-66535 where the condition says so; its files are chowned
 *   to that uid)
 *
 * Runs only as root (the launcher needs it; the user conditions drop to
 * $GAO_SBX_USER, default gaodev-test, after the set-up); otherwise every
 * test is skipped with the reason.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cond.h"
#include "proto/msg.h"

#define NS_ALL \
	(MSG_LAYER_NS_USER | MSG_LAYER_NS_MOUNT | MSG_LAYER_NS_PID | \
	 MSG_LAYER_NS_NET | MSG_LAYER_NS_IPC | MSG_LAYER_NS_UTS | \
	 MSG_LAYER_MIN_ROOT)
/* what --require-isolation full asks besides seccomp and Landlock */
#define FULL_NS \
	(MSG_LAYER_NS_MOUNT | MSG_LAYER_NS_PID | MSG_LAYER_NS_NET | \
	 MSG_LAYER_NS_IPC | MSG_LAYER_NS_UTS)

/* One run's outcome. */
struct outcome {
	int code;
	uint32_t layers;
	int abi; /* the Landlock ABI recorded */
	long long uid;
	char *err;   /* gao-dev's stderr */
	json_t *res; /* the results document, or NULL */
};

/* The fake API's part: one Bash call for Amelia, its output checked. */
static const char scenario[] =
	"{\"description\": \"test_conditions.c\", \"conversations\": "
	"[{\"name\": \"amelia\", \"match\": \"Amelia\", \"turns\": [\n"
	"{\"content\": [{\"type\": \"tool_use\", \"name\": \"Bash\", "
	"\"input\": {\"command\": \"echo cond-$((40+2))\"}}]},\n"
	"{\"expect\": {\"tool_result_contains\": [\"cond-42\"]}, "
	"\"content\": [{\"type\": \"text\", \"text\": \"done\"}]}\n"
	"]}]}\n";

/* The results document of a run: layers, uid, Landlock ABI, and the
 * errors appended to o->err (the reasons, in one text). */
static void
read_results(const char *res, struct outcome *o)
{
	json_t *ph;
	char *errs, *all;

	o->res = json_load_file(res, 0, NULL);
	/* the reasons: stderr and the results' errors, one text */
	errs = json_dumps(json_object_get(o->res, "errors"), 0);
	if (errs && asprintf(&all, "%s\n%s", o->err ? o->err : "", errs) > 0) {
		free(o->err);
		o->err = all;
	}
	free(errs);
	ph = json_array_get(json_object_get(o->res, "phases"), 0);
	ph = json_object_get(ph, "isolation");
	o->layers = (uint32_t)json_integer_value(json_object_get(ph, "layers"));
	o->uid = json_integer_value(json_object_get(ph, "uid"));
	o->abi = (int)json_integer_value(json_object_get(ph, "landlock_abi"));
}

/*
 * Run gao-dev under the launcher with opts (NULL-ended), as w, with
 * extra gao-dev options (NULL-ended, may be NULL).
 */
static void
run(const char *const *opts, const struct cond_who *w, const char *const *extra,
    struct outcome *o)
{
	char cfg[4096], root[512], res[1024];
	const char *args[32], *env[3] = { NULL };
	struct cond_box b;
	struct h_out out = { 0 };
	size_t n = 0;

	memset(o, 0, sizeof(*o));
	cond_box_start(&b, "gao-cond-", scenario, w);
	snprintf(root, sizeof(root), "%s/sandbox", b.dir);
	cond_sandbox_root(root, w);
	h_src("tests/integration/configs/plain.yaml", cfg, sizeof(cfg));
	env[0] = b.base;
	env[1] = "HOME=/nonexistent";
	args[n++] = "sandbox";
	args[n++] = "run";
	args[n++] = cfg;
	args[n++] = "--standalone";
	args[n++] = "--api-key-file";
	args[n++] = b.key;
	args[n++] = "--sandbox-root";
	args[n++] = root;
	for (size_t i = 0; extra && extra[i] && n < 30; i++)
		args[n++] = extra[i];
	args[n] = NULL;
	cond_launch(opts, w, args, env, b.dir, &out);
	o->code = out.code;
	o->err = out.err;
	out.err = NULL;
	if (h_single_file(root, "results", res, sizeof(res)))
		read_results(res, o);
	h_out_free(&out);
	cond_box_finish(&b);
}

static void
outcome_free(struct outcome *o)
{
	free(o->err);
	json_decref(o->res);
}

/* This host's layers without any condition, as root or as the user. */
static uint32_t
baseline(const struct cond_who *w)
{
	static uint32_t cached[2];
	static bool have[2];
	struct cond_who real = *w;
	struct outcome o;

	if (have[w->user])
		return cached[w->user];
	if (!w->user)
		real.owner = 0; /* this host's root, outside any namespace */
	run(NULL, &real, NULL, &o);
	cr_assert_eq(o.code, 0, "the baseline run exited %d:\n%s", o.code,
		     o.err);
	cached[w->user] = o.layers;
	have[w->user] = true;
	outcome_free(&o);
	return cached[w->user];
}

static const char *
names(uint32_t layers, char *buf, size_t cap)
{
	msg_layers_text(layers, 0, buf, cap);
	return buf;
}

/*
 * The promise for one condition: the run completes with exactly the
 * baseline's layers minus removed, and --require-isolation full fails
 * (exit 4, naming a missing layer) exactly when a namespace is gone.
 */
static void
check_condition(const char *const *opts, const struct cond_who *w,
		uint32_t removed, struct outcome *keep)
{
	uint32_t want = baseline(w) & ~removed;
	const char *full[] = { "--require-isolation", "full", NULL };
	char a[256], b[256];
	struct outcome o, f;

	run(opts, w, NULL, &o);
	cr_assert_eq(o.code, 0, "exited %d:\n%s", o.code, o.err);
	cr_assert_eq(o.layers & ~MSG_LAYER_LANDLOCK, want & ~MSG_LAYER_LANDLOCK,
		     "layers recorded: %s; this condition must give: %s",
		     names(o.layers, a, sizeof(a)), names(want, b, sizeof(b)));
	/* say which layers it got (not a Criterion warning: that fails) */
	fprintf(stderr, "[NOTE] %s as %s: %s\n", criterion_current_test->name,
		w->user  ? "the user" :
		w->owner ? "a rootless root" :
			   "root",
		(msg_layers_text(o.layers, o.abi, a, sizeof(a)), a));
	run(opts, w, full, &f);
	if ((want & FULL_NS) != FULL_NS || !(want & MSG_LAYER_LANDLOCK)) {
		uint32_t missing = FULL_NS & ~want;
		char one[64];

		cr_assert_eq(f.code, 4, "--require-isolation full exited %d",
			     f.code);
		cr_assert_not_null(strstr(f.err, "lacks"), "%s", f.err);
		if (missing) {
			/* the first missing layer is named */
			msg_layers_text(missing & -missing, 0, one,
					sizeof(one));
			cr_assert_not_null(strstr(f.err, one),
					   "%s not named:\n%s", one, f.err);
		}
	} else {
		cr_assert_eq(f.code, 0,
			     "--require-isolation full exited "
			     "%d:\n%s",
			     f.code, f.err);
	}
	outcome_free(&f);
	if (keep)
		*keep = o;
	else
		outcome_free(&o);
}

static const char *const docker[] = { "--docker-seccomp", "--docker-caps",
				      NULL };

Test(conditions, docker_seccomp_without_sys_admin_as_root, .timeout = 300)
{
	struct cond_who root = { false, 0, 0, 0 };

	cond_need_root();
	check_condition(docker, &root, NS_ALL, NULL);
}

Test(conditions, docker_seccomp_as_a_user, .timeout = 300)
{
	struct cond_who w;

	cond_need_root();
	w = cond_user();
	check_condition(docker, &w, NS_ALL, NULL);
}

/* A rootless container's root: uid 0 inside, unprivileged outside; it
 * cannot make cgroups below the host's. */
Test(conditions, root_in_a_userns_mapping_only_root, .timeout = 300)
{
	static const char *const opts[] = { "--userns", "0 100000 1", NULL };
	struct cond_who w;
	struct outcome o;
	const char *warn;

	cond_need_root();
	w = cond_rootless();
	check_condition(opts, &w, MSG_LAYER_UNPRIVILEGED_UID | MSG_LAYER_CGROUP,
			&o);
	/* no other id is mapped: uid 0 without capabilities, said so */
	cr_expect_eq(o.uid, 0);
	warn = json_string_value(
		json_array_get(json_object_get(o.res, "warnings"), 0));
	cr_assert(warn && strstr(warn, "per-run uid"), "warnings: %s",
		  warn ? warn : "(none)");
	outcome_free(&o);
}

Test(conditions, root_in_a_userns_with_a_subordinate_range, .timeout = 300)
{
	static const char *const opts[] = { "--userns",
					    "0 100000 1,1000 200000 65536",
					    NULL };
	struct cond_who w;
	struct outcome o;

	cond_need_root();
	w = cond_rootless();
	check_condition(opts, &w, MSG_LAYER_CGROUP, &o);
	/* inside the map, above the system ids, never nobody */
	cr_expect(o.uid >= 1000 && o.uid <= 65536 && o.uid != 65534, "uid %lld",
		  o.uid);
	outcome_free(&o);
}

Test(conditions, no_nested_user_namespaces_as_a_user, .timeout = 300)
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

		check_condition(opts, &w, NS_ALL, NULL);
	}
}

Test(conditions, masked_proc_as_root_in_a_userns, .timeout = 300)
{
	static const char *const opts[] = { "--mask-proc", "--userns",
					    "0 100000 1,1000 200000 65536",
					    NULL };
	struct cond_who w;

	cond_need_root();
	w = cond_rootless();
	check_condition(opts, &w, MSG_LAYER_NS_PID | MSG_LAYER_CGROUP, NULL);
}

Test(conditions, masked_proc_as_a_user, .timeout = 300)
{
	static const char *const opts[] = { "--mask-proc", NULL };
	struct cond_who w;

	cond_need_root();
	w = cond_user();
	check_condition(opts, &w, MSG_LAYER_NS_PID, NULL);
}
