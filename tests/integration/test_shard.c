/*
 * test_shard.c - `sandbox run --shard I/N` and `results merge`, through
 * the real gao-dev against the fake API.
 *
 * Covered: three shards started in parallel over two configs x --repeat
 * 2, merged, against an unsharded run of the same configs (same units,
 * statuses, exit code; a JUnit suite per unit); a shard with no units
 * (exit 0, an empty manifest) and two manifests in one directory; --shard
 * values refused (exit 2 naming --shard); bad shard sets and files, each
 * refused with exit 2 and a message naming the problem, with what --out
 * already held left whole: a missing shard, a shard given twice,
 * overlapping shards, another gao-dev version, another manifest format,
 * another config hash, a truncated manifest, a field of the wrong type, a
 * results file outside the shard's directory (by "..", or through a
 * symlinked directory), an unwritable --out.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "harness_bench.h"

#define PATHS "tests/integration/scenarios/bench-paths.json"
#define GOOD \
	"name: good\ndescription: passes\ninitial_prompt: do it\n" \
	"workflow_phases:\n  - phase_name: Good Step\n    agent: Amelia\n"
#define RED \
	"name: red\ndescription: the project's tests fail\n" \
	"initial_prompt: do it\nworkflow_phases:\n" \
	"  - phase_name: Broken Tests Step\n    agent: Amelia\n" \
	"success_criteria:\n  quality_gates:\n    tests_passing: true\n"

/* gao-dev results merge DIRS... --out OUT [--junit J] in cwd dir. */
static void
merge(const char *cwd, const char *const *dirs, const char *out,
      const char *junit, struct h_out *o)
{
	const char *args[16] = { "results", "merge" };
	size_t n = 2;

	for (size_t i = 0; dirs[i] && n < 10; i++)
		args[n++] = dirs[i];
	args[n++] = "--out";
	args[n++] = out;
	if (junit) {
		args[n++] = "--junit";
		args[n++] = junit;
	}
	args[n] = NULL;
	h_run(args, NULL, cwd, 60, o);
}

static json_t *
load(const char *path)
{
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);

	cr_assert_not_null(j, "%s: %s", path, je.text);
	return j;
}

static size_t
count(const char *text, const char *needle)
{
	size_t n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

Test(shard, parallel_shards_merge_like_one_run)
{
	struct hb t[3], u;
	char cfg[512], out[600], junit[600], sh[3][8];
	const char *dirs[4];
	pid_t pid[3];
	struct h_out o = { 0 };
	json_t *idx, *all, *e;
	size_t i, total = 0;

	for (int k = 0; k < 3; k++) {
		hb_start(&t[k], PATHS);
		hb_write(&t[k], "good.yaml", GOOD, cfg, sizeof(cfg));
		hb_write(&t[k], "red.yaml", RED, cfg, sizeof(cfg));
		snprintf(sh[k], sizeof(sh[k]), "%d/3", k + 1);
		const char *args[] = { "good.yaml", "red.yaml", "--repeat", "2",
				       "--shard",   sh[k],      NULL };
		pid[k] = hb_spawn(&t[k], args);
		dirs[k] = t[k].root;
	}
	dirs[3] = NULL;
	for (int k = 0; k < 3; k++) {
		char man[700];
		json_t *m;

		hb_wait(&t[k], pid[k], 240);
		cr_assert(t[k].out.code == 0 || t[k].out.code == 1,
			  "shard %d: exit %d: %s", k + 1, t[k].out.code,
			  t[k].out.err);
		snprintf(man, sizeof(man), "%s/manifest-%d-of-3.json",
			 t[k].root, k + 1);
		m = load(man);
		total += json_array_size(json_object_get(m, "ran"));
		cr_assert_eq(json_array_size(json_object_get(m, "units")), 4);
		struct stat st;
		cr_assert_eq(stat(man, &st), 0);
		cr_assert_eq(st.st_mode & 0777, 0600);
		cr_assert_not(hb_file_contains(man, H_TEST_KEY));
		json_decref(m);
	}
	cr_assert_eq(total, 4, "the shards ran %zu units, not 4", total);

	hb_start(&u, PATHS);
	hb_write(&u, "good.yaml", GOOD, cfg, sizeof(cfg));
	hb_write(&u, "red.yaml", RED, cfg, sizeof(cfg));
	const char *uargs[] = { "good.yaml", "red.yaml", "--repeat", "2",
				NULL };
	hb_run(&u, uargs, 240);
	cr_assert_eq(u.out.code, 1, "unsharded: exit %d", u.out.code);

	snprintf(out, sizeof(out), "%s/merged", u.dir);
	snprintf(junit, sizeof(junit), "%s/merged.xml", u.dir);
	merge(u.dir, dirs, out, junit, &o);
	cr_assert_eq(o.code, u.out.code, "merge exit %d, one run %d: %s",
		     o.code, u.out.code, o.err);
	cr_assert_not_null(strstr(o.out, "2 of 4 runs passed"), "%s", o.out);
	char ipath[700];

	snprintf(ipath, sizeof(ipath), "%.600s/results-index.json", out);
	idx = load(ipath);
	cr_assert_eq(hb_int(idx, "exit_code"), 1);
	all = hb_all_results(&u);
	cr_assert_eq(json_array_size(json_object_get(idx, "units")),
		     json_array_size(all));
	json_array_foreach(json_object_get(idx, "units"), i, e) {
		size_t same = 0, k;
		json_t *r;

		json_array_foreach(all, k, r)
			same += !strcmp(hb_str(json_object_get(r, "benchmark"),
					       "name"),
					hb_str(e, "name")) &&
				!strcmp(hb_str(r, "status"),
					hb_str(e, "status")) &&
				hb_int(r, "exit_code") ==
					hb_int(e, "exit_code");
		cr_assert_eq(same, 2,
			     "unit %s #%lld: status %s in %zu "
			     "unsharded runs, want 2",
			     hb_str(e, "name"), hb_int(e, "repeat"),
			     hb_str(e, "status"), same);
		cr_assert_eq(access(hb_str(e, "results_file"), R_OK), 0);
	}
	cr_assert_not(h_tree_contains(out, H_TEST_KEY), "the key is in --out");
	cr_assert_not(hb_file_contains(junit, H_TEST_KEY));
	char *x = h_slurp(junit, NULL);
	cr_assert_not_null(x);
	cr_assert_eq(count(x, "<testsuite "), 4, "%s", x);
	free(x);
	json_decref(all);
	json_decref(idx);
	h_out_free(&o);
	for (int k = 0; k < 3; k++)
		hb_finish(&t[k]);
	hb_finish(&u);
}

/* One config, --shard 1/2 and 2/2 into one root: one of them is empty. */
static void
two_shards_one_unit(struct hb *t)
{
	char cfg[512];

	hb_start(t, PATHS);
	hb_write(t, "good.yaml", GOOD, cfg, sizeof(cfg));
	for (int k = 1; k <= 2; k++) {
		const char *args[] = { "good.yaml", "--shard",
				       k == 1 ? "1/2" : "2/2", NULL };

		hb_run(t, args, 120);
		cr_assert_eq(t->out.code, 0, "shard %d/2: exit %d: %s", k,
			     t->out.code, t->out.err);
	}
}

Test(shard, empty_shard_exits_0_with_an_empty_manifest)
{
	struct hb t;
	char path[700], out[700];
	size_t empty = 0;
	const char *dirs[] = { NULL, NULL };
	struct h_out o = { 0 };

	two_shards_one_unit(&t);
	for (int k = 1; k <= 2; k++) {
		json_t *m;

		snprintf(path, sizeof(path), "%s/manifest-%d-of-2.json", t.root,
			 k);
		m = load(path);
		empty += json_array_size(json_object_get(m, "ran")) == 0;
		cr_assert_eq(json_array_size(json_object_get(m, "units")), 1);
		json_decref(m);
	}
	cr_assert_eq(empty, 1);
	dirs[0] = t.root;
	snprintf(out, sizeof(out), "%s/merged", t.dir);
	merge(t.dir, dirs, out, NULL, &o);
	cr_assert_eq(o.code, 0, "%s", o.err);
	cr_assert_not_null(strstr(o.out, "1 of 1 runs passed"), "%s", o.out);
	h_out_free(&o);
	hb_finish(&t);
}

Test(shard, bad_shard_values_are_refused)
{
	static const char *const bad[] = {
		"0/3",  "4/3",    "1/0", "3",  "1/3x", "-1/3",
		"01/3", "1/1001", "/3",  "1/", " 1/3", "99999999/1"
	};
	struct hb t;
	char cfg[512];

	hb_start(&t, PATHS);
	hb_write(&t, "good.yaml", GOOD, cfg, sizeof(cfg));
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		const char *args[] = { "good.yaml", "--shard", bad[i], NULL };

		hb_run(&t, args, 30);
		cr_assert_eq(t.out.code, 2, "--shard %s: exit %d", bad[i],
			     t.out.code);
		cr_assert_not_null(strstr(t.out.err, "--shard"), "%s",
				   t.out.err);
	}
	hb_finish(&t);
}

/*
 * A copy of t's root in t->dir/NAME: the results files, and each
 * manifest k of 2 (when keep[k-1]) changed by edit (may be NULL).
 */
static void
copy_root(const struct hb *t, const char *name, const bool keep[2],
	  void (*edit)(json_t *m, int k, const char *path), char *dst,
	  size_t cap)
{
	char src[700], to[700];
	int st;

	snprintf(dst, cap, "%s/%s", t->dir, name);
	cr_assert_eq(mkdir(dst, 0700), 0);
	snprintf(src, sizeof(src), "%s/results", t->root);
	const char *cp[] = { "cp", "-a", src, dst, NULL };
	free(hb_capture(cp, &st));
	cr_assert_eq(st, 0);
	for (int k = 1; k <= 2; k++) {
		json_t *m;

		if (!keep[k - 1])
			continue;
		snprintf(src, sizeof(src), "%s/manifest-%d-of-2.json", t->root,
			 k);
		snprintf(to, sizeof(to), "%s/manifest-%d-of-2.json", dst, k);
		m = load(src);
		if (edit)
			edit(m, k, to);
		if (access(to, F_OK) != 0)
			cr_assert_eq(json_dump_file(m, to, 0), 0);
		json_decref(m);
	}
}

static void
set_version(json_t *m, int k, const char *p)
{
	if (k == 2)
		json_object_set_new(m, "gao_dev_version", json_string("0.0.1"));
}

static void
set_format(json_t *m, int k, const char *p)
{
	json_object_set_new(m, "format", json_integer(2));
}

static void
set_hash(json_t *m, int k, const char *p)
{
	if (k == 1)
		json_object_set_new(
			json_array_get(json_object_get(m, "configs"), 0),
			"sha256", json_string("sha256:00"));
}

/* The empty shard claims the unit the other ran too. */
static void
overlap(json_t *m, int k, const char *p)
{
	static json_t *ran;

	if (json_array_size(json_object_get(m, "ran")))
		ran = json_deep_copy(json_object_get(m, "ran"));
	else if (ran)
		json_object_set_new(m, "ran", ran);
	else
		json_object_set_new(m, "ran", json_array()); /* 2 first */
}

static void
truncate_it(json_t *m, int k, const char *p)
{
	char *s = json_dumps(m, 0);
	FILE *f = fopen(p, "we");

	if (k == 1) {
		cr_assert(f && s);
		cr_assert_eq(fwrite(s, 1, strlen(s) / 2, f), strlen(s) / 2);
	}
	if (f)
		fclose(f);
	if (k != 1)
		unlink(p);
	free(s);
}

static void
wrong_type(json_t *m, int k, const char *p)
{
	json_object_set_new(m, "units", json_string("all"));
}

static void
escape(json_t *m, int k, const char *p)
{
	json_t *r = json_array_get(json_object_get(m, "ran"), 0);

	if (r)
		json_object_set_new(r, "results_file",
				    json_string("../../../etc/passwd"));
}

/* results/ is a symlink to the real directory: not followed. */
static void
symlinked(json_t *m, int k, const char *p)
{
	char dir[800], from[900], to[900];

	if (k != 1)
		return;
	snprintf(dir, sizeof(dir), "%.700s", p);
	*strrchr(dir, '/') = 0;
	snprintf(from, sizeof(from), "%s/results", dir);
	snprintf(to, sizeof(to), "%s/real", dir);
	cr_assert_eq(rename(from, to), 0);
	cr_assert_eq(symlink("real", from), 0);
}

Test(shard, bad_shard_sets_are_refused_and_nothing_is_lost)
{
	static const struct {
		const char *name;
		bool keep[2];
		void (*edit)(json_t *, int, const char *);
		const char *want;
	} cases[] = {
		{ "missing", { true, false }, NULL, "shard 2 of 2 is missing" },
		{ "version", { true, true }, set_version, "gao_dev_version" },
		{ "format", { true, true }, set_format, "format 2" },
		{ "hash", { true, true }, set_hash, "configs" },
		{ "truncated", { true, true }, truncate_it, "not valid JSON" },
		{ "type", { true, true }, wrong_type, "units" },
		{ "escape", { true, true }, escape, "results_file" },
		{ "symlink", { true, true }, symlinked, "results_file" },
	};
	struct hb t;
	char out[700], dir[1000], keep[800], *text;
	const char *dirs[3] = { NULL };
	struct h_out o = { 0 };
	FILE *f;

	two_shards_one_unit(&t);
	snprintf(out, sizeof(out), "%s/merged", t.dir);
	cr_assert_eq(mkdir(out, 0700), 0);
	snprintf(keep, sizeof(keep), "%s/results-index.json", out);
	f = fopen(keep, "we");
	cr_assert_not_null(f);
	fputs("KEEP", f);
	fclose(f);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		bool miss = !strcmp(cases[i].name, "missing");

		copy_root(&t, cases[i].name, cases[i].keep, cases[i].edit, dir,
			  sizeof(dir));
		/* a missing shard: only the shard that ran (1 or 2) */
		if (miss) {
			char m2[800];

			snprintf(m2, sizeof(m2), "%.700s/manifest-1-of-2.json",
				 dir);
			json_t *m = load(m2);
			if (!json_array_size(json_object_get(m, "ran"))) {
				/* keep 2 instead of 1 */
				char src[800];
				unlink(m2);
				snprintf(src, sizeof(src),
					 "%s/manifest-2-of-2.json", t.root);
				json_t *m_2 = load(src);
				snprintf(m2, sizeof(m2),
					 "%.700s/manifest-2-of-2.json", dir);
				json_dump_file(m_2, m2, 0);
				json_decref(m_2);
			}
			json_decref(m);
		}
		dirs[0] = dir;
		merge(t.dir, dirs, out, NULL, &o);
		cr_assert_eq(o.code, 2, "%s: exit %d: %s", cases[i].name,
			     o.code, o.err);
		if (miss)
			cr_assert(strstr(o.err, "is missing"), "%s", o.err);
		else
			cr_assert_not_null(strstr(o.err, cases[i].want),
					   "%s: %s", cases[i].name, o.err);
		text = h_slurp(keep, NULL);
		cr_assert_str_eq(text, "KEEP", "%s: --out lost", cases[i].name);
		free(text);
		h_out_free(&o);
	}
	/* the same shard twice, and overlapping shards */
	dirs[0] = t.root;
	dirs[1] = t.root;
	merge(t.dir, dirs, out, NULL, &o);
	cr_assert_eq(o.code, 2);
	cr_assert_not_null(strstr(o.err, "given twice"), "%s", o.err);
	h_out_free(&o);
	{
		static const bool both[2] = { true, true };

		/* run twice so the static copy of "ran" is known */
		copy_root(&t, "overlap0", both, overlap, dir, sizeof(dir));
		copy_root(&t, "overlap", both, overlap, dir, sizeof(dir));
	}
	dirs[0] = dir;
	dirs[1] = NULL;
	merge(t.dir, dirs, out, NULL, &o);
	cr_assert_eq(o.code, 2, "%s", o.err);
	cr_assert_not_null(strstr(o.err, "ran twice"), "%s", o.err);
	h_out_free(&o);
	/* --out that cannot be made */
	dirs[0] = t.root;
	snprintf(dir, sizeof(dir), "%.700s/results-index.json/sub", out);
	merge(t.dir, dirs, dir, NULL, &o);
	cr_assert_eq(o.code, 2);
	cr_assert_not_null(strstr(o.err, "--out"), "%s", o.err);
	h_out_free(&o);
	text = h_slurp(keep, NULL);
	cr_assert_str_eq(text, "KEEP");
	free(text);
	hb_finish(&t);
}
