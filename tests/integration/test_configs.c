/*
 * test_configs.c - the project's own config fixtures through the real
 * binary: every shape gao-dev reads is valid and planned as it should
 * be, every config it must refuse is refused with its exact message and
 * exit code, before any side effect.
 *
 * Design note
 * -----------
 * The fixtures are the YAML files of tests/fixtures/configs/ (one per
 * shape: flat, wrapped, the phases alias, legacy phase names and
 * criteria, epics and stories, prompt only at a small and a large scale)
 * and of tests/fixtures/configs/refused/ (one per refusal). No API is
 * involved: `gao-dev sandbox validate` and `sandbox run --dry-run` never
 * call it, and a refused `sandbox run` stops before it looks for a key.
 *
 * A refusal is a row of `refusals`: the file, the exit code, and the
 * lines gao-dev must write to stderr, each after "<path>:" (the path is
 * where the source tree is, so the rows hold the rest). The same rows are
 * checked three ways: validate (stdout says invalid, with the count),
 * run --dry-run and run without a key (stdout empty, and the sandbox root
 * never created). The valid fixtures are checked by their plan: steps,
 * agents (and whether inferred) and the run timeout. The end-to-end runs
 * of the same fixtures are in test_bench.c.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

#define FIX "tests/fixtures/configs/"
#define NO_TEMPLATES \
	": replace it with the real value (gao-dev does not " \
	"fill in templates)"

#define OUTSIDE \
	", outside the config's directory {dir}: a config may name " \
	"boilerplate only below its own directory; move the template " \
	"there, or let the operator allow its place with " \
	"--boilerplate-root DIR (boilerplate_root: in the user config): " \
	"error"
#define ONLY_DEFAULT \
	": a config may name only a built-in policy no wider than " \
	"\"default\"; remove the key, or let the operator allow it with " \
	"--allow-config-policy (or choose the policy with --policy): error"
#define OVER_CEILING \
	" is over the operator's ceiling of 7200 s: lower it, or raise " \
	"the ceiling with --max-timeout S (max_timeout: in the user " \
	"config): error"

struct refusal {
	const char *file; /* below FIX "refused/" */
	int code;
	bool yaml;            /* not YAML: nothing is printed to stdout */
	const char *lines[3]; /* stderr, each after "<path>:" */
};

static const struct refusal refusals[] = {
	{ "yaml-syntax.yaml",
	  2,
	  true,
	  { "8:15: did not find expected ',' or ']': error" } },
	{ "missing-name.yaml",
	  2,
	  false,
	  { "2:1: name: Benchmark name is required: add name: "
	    "\"my-benchmark\": error" } },
	{ "missing-description.yaml",
	  2,
	  false,
	  { "2:1: description: Benchmark description is required: add "
	    "description: \"what this benchmark builds\": error" } },
	{ "phase-without-name.yaml",
	  2,
	  false,
	  { "6:5: workflow_phases[1]: Phase name is required: add phase_name: "
	    "\"Implementation\": error" } },
	{ "timeout-zero.yaml",
	  2,
	  false,
	  { "4:1: timeout_seconds: Timeout must be positive: got 0, expected 1 "
	    "to 86400 seconds: error" } },
	{ "timeout-over-max.yaml",
	  2,
	  false,
	  { "5:3: timeout_seconds: Timeout exceeds maximum of 86400s (24 "
	    "hours): got 86401; lower it to at most 86400: error" } },
	{ "phase-timeout-zero.yaml",
	  2,
	  false,
	  { "6:5: workflow_phases[0].timeout_seconds: Phase timeout must be "
	    "positive: got 0: error" } },
	{ "coverage-out-of-range.yaml",
	  2,
	  false,
	  { "7:3: success_criteria.min_test_coverage: Test coverage must be "
	    "between 0 and 100: got 150: error" } },
	{ "negative-max-errors.yaml",
	  2,
	  false,
	  { "7:3: success_criteria.max_errors: Cannot be negative: got -1: "
	    "error" } },
	{ "bad-boilerplate-url.yaml",
	  2,
	  false,
	  { "4:1: boilerplate_url: Invalid URL format: got "
	    "\"ftp://example.com/template.git\", expected http(s)://, git@ or "
	    "file://: error" } },
	/* an untrusted config stays in its directory and its sandbox
	 * (docs/security.md); {dir} is the fixtures' resolved directory */
	{ "boilerplate-dot.yaml",
	  2,
	  false,
	  { "5:1: boilerplate_path: is the config's own directory {dir} (the "
	    "config, and perhaps a .env, live there): a config may name "
	    "boilerplate only below its own directory; move the template "
	    "into a subdirectory, or let the operator allow its place with "
	    "--boilerplate-root DIR: error" } },
	{ "boilerplate-dotdot.yaml",
	  2,
	  false,
	  { "4:1: boilerplate_path: \"../../configs\" has a \"..\" component: "
	    "a config may name boilerplate only below its own directory: "
	    "error" } },
	{ "boilerplate-absolute.yaml",
	  2,
	  false,
	  { "4:1: boilerplate_path: "
	    "resolves to /etc" OUTSIDE } },
	{ "boilerplate-symlink.yaml",
	  2,
	  false,
	  { "5:1: boilerplate_path: "
	    "resolves to /etc/ssl" OUTSIDE } },
	{ "boilerplate-file-url.yaml",
	  2,
	  false,
	  { "5:1: boilerplate_url: "
	    "resolves to /etc" OUTSIDE } },
	{ "policy-networked.yaml",
	  2,
	  false,
	  { "5:1: policy: policy \"networked\" is wider than \"default\" "
	    "(network: tcp)" ONLY_DEFAULT } },
	{ "policy-file.yaml",
	  2,
	  false,
	  { "4:1: policy: \"./open.yaml\" is a policy file" ONLY_DEFAULT } },
	{ "timeout-over-ceiling.yaml",
	  2,
	  false,
	  { "4:1: timeout_seconds: 7201 s" OVER_CEILING,
	    "7:5: workflow_phases[0].timeout_seconds: 9000 s" OVER_CEILING } },
	{ "nothing-to-run.yaml",
	  2,
	  false,
	  { "2:1: (document): nothing to run: give initial_prompt, "
	    "workflow_phases or epics: error" } },
	/* the cycle leaves no step, hence the second line */
	{ "story-dependency-cycle.yaml",
	  2,
	  false,
	  { "4:1: epics: the story dependencies form a cycle: error",
	    "2:1: (document): nothing to run: give initial_prompt, "
	    "workflow_phases or epics: error" } },
	{ "placeholder-braces.yaml",
	  2,
	  false,
	  { "4:8: name: template placeholder \"{{BENCHMARK_NAME}}\" was never "
	    "filled in" NO_TEMPLATES ": error",
	    "8:16: initial_prompt: template placeholder \"{{APP_KIND}}\" was "
	    "never filled in" NO_TEMPLATES ": error" } },
	{ "placeholder-angle.yaml",
	  2,
	  false,
	  { "5:15: project_name: template placeholder \"<your-project>\" was "
	    "never filled in" NO_TEMPLATES ": error" } },
	{ "placeholder-unquoted.yaml",
	  2,
	  true,
	  { "3:8: mapping keys must be scalars; this line holds the template "
	    "placeholder \"{{ benchmark_name }}\"" NO_TEMPLATES ": error" } },
};

#define N_REFUSALS (sizeof(refusals) / sizeof(*refusals))

static size_t indices[N_REFUSALS];

/* line with "{dir}" replaced by the resolved directory of path. */
static char *
with_dir(const char *line, const char *path)
{
	char dir[PATH_MAX], *copy = strdup(path), *out = NULL;
	const char *at = strstr(line, "{dir}");

	cr_assert_not_null(copy);
	cr_assert_not_null(realpath(dirname(copy), dir));
	free(copy);
	if (!at)
		return strdup(line);
	cr_assert_geq(asprintf(&out, "%.*s%s%s", (int)(at - line), line, dir,
			       at + 5),
		      0);
	return out;
}

/* What gao-dev must write to stderr for row r of a config at path. */
static char *
want_stderr(const struct refusal *r, const char *path)
{
	char *s = NULL, *next, *line;
	size_t i;

	for (i = 0; i < 3 && r->lines[i]; i++) {
		line = with_dir(r->lines[i], path);
		cr_assert_geq(asprintf(&next, "%s%s:%s\n", s ? s : "", path,
				       line),
			      0);
		free(line);
		free(s);
		s = next;
	}
	return s;
}

static size_t
n_lines(const struct refusal *r)
{
	size_t n = 0;

	while (n < 3 && r->lines[n])
		n++;
	return n;
}

/* Run gao-dev with args in a fresh dir; assert exit code and stderr. */
static void
run_refused(const struct refusal *r, const char *const *args, const char *path,
	    struct h_out *o, char *dir, size_t cap)
{
	char *want = want_stderr(r, path);

	h_tmpdir(dir, cap);
	h_run(args, NULL, dir, 30, o);
	cr_assert_eq(o->code, r->code, "%s: exit %d, want %d; stderr:\n%s",
		     r->file, o->code, r->code, o->err);
	cr_assert_str_eq(o->err, want, "%s: stderr", r->file);
	free(want);
}

ParameterizedTestParameters(refused, validate)
{
	for (size_t i = 0; i < N_REFUSALS; i++)
		indices[i] = i;
	return cr_make_param_array(size_t, indices, N_REFUSALS);
}

ParameterizedTest(size_t *i, refused, validate)
{
	const struct refusal *r = &refusals[*i];
	char path[512], rel[256], dir[256], want[700];
	struct h_out o;

	snprintf(rel, sizeof(rel), FIX "refused/%s", r->file);
	h_src(rel, path, sizeof(path));
	const char *args[] = { "sandbox", "validate", path, NULL };

	run_refused(r, args, path, &o, dir, sizeof(dir));
	if (r->yaml)
		want[0] = 0;
	else
		snprintf(want, sizeof(want),
			 "%s: invalid (%zu errors, 0 "
			 "warnings)\n",
			 path, n_lines(r));
	cr_assert_str_eq(o.out, want, "%s: stdout", r->file);
	h_out_free(&o);
	rmdir(dir);
}

ParameterizedTestParameters(refused, run_has_no_side_effect)
{
	for (size_t i = 0; i < N_REFUSALS; i++)
		indices[i] = i;
	return cr_make_param_array(size_t, indices, N_REFUSALS);
}

/* --dry-run, then a real run without a key: refused the same way. */
ParameterizedTest(size_t *i, refused, run_has_no_side_effect)
{
	const struct refusal *r = &refusals[*i];
	char path[512], rel[256], dir[256], root[512];
	struct h_out o;
	struct stat st;

	snprintf(rel, sizeof(rel), FIX "refused/%s", r->file);
	h_src(rel, path, sizeof(path));
	for (int dry = 1; dry >= 0; dry--) {
		const char *args[] = {
			"sandbox", "run",
			path,      "--sandbox-root",
			"sandbox", dry ? "--dry-run" : "--standalone",
			NULL
		};

		run_refused(r, args, path, &o, dir, sizeof(dir));
		cr_assert_str_eq(o.out, "", "%s: stdout", r->file);
		snprintf(root, sizeof(root), "%s/sandbox", dir);
		cr_assert_neq(stat(root, &st), 0, "%s: %s was created", r->file,
			      root);
		cr_assert_eq(errno, ENOENT);
		h_out_free(&o);
		rmdir(dir);
	}
}

/* ---- the shapes gao-dev reads ------------------------------------------ */

static const char *const valid[] = {
	"flat-phases.yaml",   "wrapped-phases.yaml", "legacy-phases.yaml",
	"epics-stories.yaml", "prompt-small.yaml",   "prompt-large.yaml",
};

#define N_VALID (sizeof(valid) / sizeof(*valid))

Test(shapes, all_validate)
{
	char dir[256], fix[512], cfg[N_VALID][512], rel[256], want[4096];
	const char *args[N_VALID + 3] = { "sandbox", "validate" };
	struct h_out o;

	h_src("tests/fixtures/configs", fix, sizeof(fix));
	for (size_t i = 0; i < N_VALID; i++) {
		snprintf(rel, sizeof(rel), FIX "%s", valid[i]);
		h_src(rel, cfg[i], sizeof(cfg[i]));
		args[2 + i] = cfg[i];
	}
	h_tmpdir(dir, sizeof(dir));
	h_run(args, NULL, dir, 30, &o);
	cr_assert_eq(o.code, 0, "exit %d:\n%s%s", o.code, o.out, o.err);
	for (size_t i = 0; i < N_VALID; i++) {
		snprintf(want, sizeof(want),
			 "%s: valid (0 errors, %d "
			 "warnings)\n",
			 cfg[i], i == 0);
		cr_assert_not_null(strstr(o.out, want), "%s", o.out);
	}
	/* the one warning: flat-phases.yaml's boilerplate_path */
	snprintf(want, sizeof(want),
		 "%s:16:1: boilerplate_path: boilerplate "
		 "path %s/templates/absent does not exist; the project "
		 "starts empty: warning\n",
		 cfg[0], fix);
	cr_assert_str_eq(o.err, want);
	h_out_free(&o);
	rmdir(dir);
}

/* A fixture's plan: "name, N step(s), timeout T s", then each step. */
struct plan {
	const char *file;
	const char *head;
	const char *steps[7][3]; /* name, agent, "i" when inferred */
};

static const struct plan plans[] = {
	{ "flat-phases.yaml",
	  "fixture-flat, 2 step(s), timeout 1200 s",
	  { { "Requirements", "John", "i" },
	    { "implementation", "Amelia", "i" } } },
	/* constraints.timeout_seconds lowers the run timeout */
	{ "wrapped-phases.yaml",
	  "fixture-wrapped, 3 step(s), timeout 1800 s",
	  { { "Product Requirements", "John", "" },
	    { "System Architecture", "Winston", "" },
	    { "Implementation", "Amelia", "" } } },
	{ "legacy-phases.yaml",
	  "fixture-legacy, 3 step(s), timeout 7200 s",
	  { { "Business Analysis", "Mary", "i" },
	    { "Development", "Amelia", "i" },
	    { "QA", "Murat", "i" } } },
	/* Input's story first: Output's depends on it */
	{ "epics-stories.yaml",
	  "fixture-stories, 6 step(s), timeout 2400 s",
	  { { "Input Split Words spec", "Bob", "" },
	    { "Input Split Words implement", "Amelia", "" },
	    { "Input Split Words validate", "Murat", "" },
	    { "Output Format Slug spec", "Bob", "" },
	    { "Output Format Slug implement", "Amelia", "" },
	    { "Output Format Slug validate", "Murat", "" } } },
	{ "prompt-small.yaml",
	  "fixture-prompt-small, 1 step(s), timeout 900 "
	  "s",
	  { { "Implementation", "Amelia", "" } } },
	{ "prompt-large.yaml",
	  "fixture-prompt-large, 4 step(s), timeout 1800 "
	  "s",
	  { { "Product Requirements", "John", "" },
	    { "System Architecture", "Winston", "" },
	    { "Implementation", "Amelia", "" },
	    { "Testing", "Murat", "" } } },
};

#define N_PLANS (sizeof(plans) / sizeof(*plans))

static size_t plan_indices[N_PLANS];

ParameterizedTestParameters(shapes, dry_run_plan)
{
	for (size_t i = 0; i < N_PLANS; i++)
		plan_indices[i] = i;
	return cr_make_param_array(size_t, plan_indices, N_PLANS);
}

ParameterizedTest(size_t *i, shapes, dry_run_plan)
{
	const struct plan *p = &plans[*i];
	char path[512], rel[256], dir[256], want[700];
	struct h_out o;
	size_t k;

	snprintf(rel, sizeof(rel), FIX "%s", p->file);
	h_src(rel, path, sizeof(path));
	const char *args[] = { "sandbox", "run", path, "--dry-run", NULL };

	h_tmpdir(dir, sizeof(dir));
	h_run(args, NULL, dir, 30, &o);
	cr_assert_eq(o.code, 0, "%s: exit %d:\n%s", p->file, o.code, o.err);
	snprintf(want, sizeof(want), "%s: %s\n", path, p->head);
	cr_assert_eq(strncmp(o.out, want, strlen(want)), 0, "%s", o.out);
	for (k = 0; k < 7 && p->steps[k][0]; k++) {
		snprintf(want, sizeof(want), "\n  %2zu. %-30s %-8s%s ", k + 1,
			 p->steps[k][0], p->steps[k][1],
			 p->steps[k][2][0] ? " (inferred)" : "");
		cr_assert_not_null(strstr(o.out, want), "%s: no \"%s\" in\n%s",
				   p->file, want + 1, o.out);
	}
	snprintf(want, sizeof(want), "\n  %2zu. ", k + 1);
	cr_assert_null(strstr(o.out, want), "%s: too many steps", p->file);
	h_out_free(&o);
	rmdir(dir);
}
