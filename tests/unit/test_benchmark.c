/*
 * test_benchmark.c - unit tests of benchmark configs (benchmark.h).
 *
 * Design note
 * -----------
 * Two halves. First the project's own fixtures, one config per shape
 * gao-dev reads (tests/fixtures/configs/, found through
 * GAO_DEV_FIXTURES, which meson computes from the source tree): each must
 * load with no errors, in the right mode, with the phases, agents
 * (explicit or inferred), timeouts and success criteria the file says.
 * Second, small configs written to a temp directory, one per validation
 * rule of docs/decisions.md, each checked for its exact message and the
 * file:line:column it points at. The slug and agent-inference tables are
 * checked row by row. The real GAO-Dev configs, when they are beside the
 * clone, are loaded by the conformance suite (tests/conformance/).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "supervisor/config/benchmark.h"

static char dir[] = "/tmp/benchmark-test-XXXXXX";
static char cfg[300];

static void
setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
	snprintf(cfg, sizeof(cfg), "%s/bench.yaml", dir);
}

static void
teardown(void)
{
	unlink(cfg);
	rmdir(dir);
}

TestSuite(benchmark, .init = setup, .fini = teardown);

/* ------------------------------------------------------------------ */
/* The project's fixtures, one per shape                               */

/* The fixture's path into buf (GAO_DEV_FIXTURES/name). */
static void
fixture_path(const char *name, char *buf, size_t cap)
{
	const char *d = getenv("GAO_DEV_FIXTURES");

	cr_assert_not_null(d, "GAO_DEV_FIXTURES is not set (run through "
			      "meson)");
	snprintf(buf, cap, "%s/%s", d, name);
}

static struct benchmark *
load_fixture(const char *name)
{
	char path[512], err[512] = "";
	struct benchmark *b;

	fixture_path(name, path, sizeof(path));
	b = benchmark_load(path, err, sizeof(err));
	cr_assert_not_null(b, "%s", err);
	return b;
}

static void
expect_no_errors(const struct benchmark *b)
{
	char *e = json_dumps(b->errors, JSON_INDENT(1));

	cr_assert_eq(json_array_size(b->errors), 0, "%s", e);
	free(e);
}

static void
expect_phase(const struct benchmark *b, size_t i, const char *name,
	     const char *agent, bool inferred, int64_t timeout)
{
	const struct bm_phase *p;

	cr_assert_lt(i, b->n_phases);
	p = &b->phases[i];
	cr_assert_str_eq(p->name, name, "phase %zu", i);
	cr_assert_str_eq(p->agent, agent, "phase %zu", i);
	cr_assert_eq(p->agent_inferred, inferred, "phase %zu", i);
	cr_assert_eq(p->timeout_seconds, timeout, "phase %zu", i);
}

static void
expect_hash(const struct benchmark *b)
{
	cr_assert_eq(strncmp(b->prompt_hash, "sha256:", 7), 0);
	cr_assert_eq(strlen(b->prompt_hash), 7 + 64);
	cr_assert_eq(strspn(b->prompt_hash + 7, "0123456789abcdef"), 64);
}

static double
crit_num(const struct benchmark *b, const char *k)
{
	return json_number_value(json_object_get(b->success_criteria, k));
}

static const char *
artifact(const struct bm_phase *p, size_t i)
{
	return json_string_value(json_array_get(p->expected_artifacts, i));
}

Test(benchmark, fixture_flat_phases)
{
	struct benchmark *b = load_fixture("flat-phases.yaml");
	char want[1024], path[512];
	json_t *qg;

	expect_no_errors(b);
	cr_assert_eq(b->mode, BM_MODE_PHASES);
	cr_assert_str_eq(b->name, "fixture-flat");
	cr_assert_str_eq(b->version, "2.1.0");
	cr_assert_str_eq(b->project_name, "wordcount");
	cr_assert_str_eq(b->initial_prompt, "Build wc.py: count the words of "
					    "a text, with unit tests.");
	expect_hash(b);
	cr_assert_eq(b->timeout_seconds, 1200);
	/* relative to the config file; it does not exist: a warning */
	fixture_path("flat-phases.yaml", path, sizeof(path));
	snprintf(want, sizeof(want),
		 "%s:16:1: boilerplate_path: boilerplate "
		 "path %s/templates/absent does not exist; the project "
		 "starts empty",
		 path, getenv("GAO_DEV_FIXTURES"));
	cr_assert_eq(json_array_size(b->warnings), 1);
	cr_assert_str_eq(json_string_value(json_array_get(b->warnings, 0)),
			 want);
	cr_assert_eq(b->n_phases, 2);
	expect_phase(b, 0, "Requirements", "John", true, 600);
	expect_phase(b, 1, "implementation", "Amelia", true, 3600);
	cr_assert_str_eq(artifact(&b->phases[0], 0), "docs/requirements.md");
	cr_assert_str_eq(artifact(&b->phases[1], 1), "test_*.py");
	cr_assert_not(b->phases[0].skip_if_failed);
	cr_assert(b->phases[1].skip_if_failed);
	cr_assert_str_eq(b->phases[1].description, "Write wc.py and "
						   "test_wc.py");
	cr_assert_float_eq(crit_num(b, "min_test_coverage"), 50.0, 1e-9);
	cr_assert_eq(crit_num(b, "max_manual_interventions"), 2);
	cr_assert_eq(crit_num(b, "max_errors"), 1);
	cr_assert_eq(json_array_size(json_object_get(b->success_criteria,
						     "required_features")),
		     1);
	qg = json_object_get(b->success_criteria, "quality_gates");
	cr_assert(json_is_true(json_object_get(qg, "tests_passing")));
	benchmark_free(b);
}

Test(benchmark, fixture_wrapped_phases_alias)
{
	struct benchmark *b = load_fixture("wrapped-phases.yaml");
	json_t *qg;

	expect_no_errors(b);
	cr_assert_eq(json_array_size(b->warnings), 0);
	cr_assert_eq(b->mode, BM_MODE_PHASES);
	cr_assert_str_eq(b->name, "fixture-wrapped");
	cr_assert_str_eq(b->project_name, "fixture-wrapped");
	cr_assert_eq(strncmp(b->initial_prompt, "Build a temperature", 19), 0);
	/* constraints.timeout_seconds lowers the default 7200 */
	cr_assert_eq(b->timeout_seconds, 1800);
	cr_assert_null(b->boilerplate_url);
	cr_assert_null(b->boilerplate_path);
	cr_assert_eq(b->n_phases, 3);
	expect_phase(b, 0, "Product Requirements", "John", false, 3600);
	expect_phase(b, 1, "System Architecture", "Winston", false, 3600);
	expect_phase(b, 2, "Implementation", "Amelia", false, 3600);
	cr_assert_str_eq(b->phases[0].description, "Write the PRD in "
						   "docs/PRD.md");
	cr_assert_float_eq(crit_num(b, "min_test_coverage"), 60.0, 1e-9);
	cr_assert_eq(json_array_size(json_object_get(b->success_criteria,
						     "required_features")),
		     2);
	qg = json_object_get(b->success_criteria, "quality_gates");
	cr_assert(json_is_true(json_object_get(qg, "linting")));
	/* the config kept for the results: the wrapped mapping */
	cr_assert_str_eq(json_string_value(json_object_get(b->config, "name")),
			 "fixture-wrapped");
	benchmark_free(b);
}

Test(benchmark, fixture_legacy_phases)
{
	struct benchmark *b = load_fixture("legacy-phases.yaml");
	json_t *list;

	expect_no_errors(b);
	cr_assert_eq(json_array_size(b->warnings), 0);
	cr_assert_eq(b->mode, BM_MODE_PHASES);
	cr_assert_str_eq(b->version, "1.0.0");
	cr_assert_eq(b->timeout_seconds, 7200);
	cr_assert_null(b->boilerplate_url);
	cr_assert_eq(b->n_phases, 3);
	expect_phase(b, 0, "Business Analysis", "Mary", true, 3600);
	expect_phase(b, 1, "Development", "Amelia", true, 3600);
	expect_phase(b, 2, "QA", "Murat", true, 3600);
	cr_assert_str_eq(artifact(&b->phases[1], 1), "test_fizzbuzz.py");
	/* the older list, kept as it is under "criteria" */
	list = json_object_get(b->success_criteria, "criteria");
	cr_assert_eq(json_array_size(list), 2);
	cr_assert_str_eq(json_string_value(
				 json_object_get(json_array_get(list, 1),
						 "name")),
			 "coverage");
	cr_assert_null(
		json_object_get(b->success_criteria, "min_test_coverage"));
	benchmark_free(b);
}

Test(benchmark, fixture_epics_stories)
{
	static const char *const steps[] = { "spec", "implement", "validate" };
	static const char *const agents[] = { "Bob", "Amelia", "Murat" };
	static const char *const order[][3] = {
		/* epic, story, spec; Input first: Output depends on it */
		{ "Input", "Split Words", "docs/stories/split-words.md" },
		{ "Output", "Format Slug", "docs/stories/format-slug.md" },
	};
	static const size_t n_criteria[] = { 2, 1 };
	struct benchmark *b = load_fixture("epics-stories.yaml");

	expect_no_errors(b);
	cr_assert_eq(b->mode, BM_MODE_STORIES);
	cr_assert_str_eq(b->project_name, "slugger");
	cr_assert_str_eq(b->initial_prompt, "");
	cr_assert_eq(b->timeout_seconds, 2400);
	cr_assert_null(
		json_object_get(b->success_criteria, "min_test_coverage"));
	cr_assert_eq(b->n_phases, 6);
	for (size_t s = 0; s < 2; s++) {
		for (size_t k = 0; k < 3; k++) {
			const struct bm_phase *p = &b->phases[3 * s + k];
			char want[200];

			snprintf(want, sizeof(want), "%s %s %s", order[s][0],
				 order[s][1], steps[k]);
			expect_phase(b, 3 * s + k, want, agents[k], false, 600);
			cr_assert_str_eq(p->story, order[s][1]);
			cr_assert_str_eq(p->epic, order[s][0]);
			cr_assert_eq(p->is_validation, k == 2);
			cr_assert_eq(json_array_size(p->acceptance_criteria),
				     n_criteria[s]);
			cr_assert_eq(json_array_size(p->expected_artifacts),
				     k == 0);
		}
		cr_assert_str_eq(artifact(&b->phases[3 * s], 0), order[s][2]);
	}
	cr_assert_str_eq(json_string_value(json_array_get(
				 b->phases[3].acceptance_criteria, 0)),
			 "slug('Hello, World') == 'hello-world'");
	benchmark_free(b);
}

Test(benchmark, fixture_prompt_small)
{
	struct benchmark *b = load_fixture("prompt-small.yaml");

	expect_no_errors(b);
	cr_assert_eq(json_array_size(b->warnings), 0);
	cr_assert_eq(b->mode, BM_MODE_PROMPT);
	cr_assert_eq(b->scale_level, 1);
	cr_assert_eq(b->timeout_seconds, 900);
	cr_assert_str_eq(b->test_command, "python3 -m unittest -v test_roman");
	cr_assert_not_null(strstr(b->initial_prompt, "1 <= n <= 3999,\n"));
	expect_hash(b);
	/* scale level 1: one implementation phase by Amelia */
	cr_assert_eq(b->n_phases, 1);
	expect_phase(b, 0, "Implementation", "Amelia", false, 900);
	cr_assert_eq(json_array_size(json_object_get(b->success_criteria,
						     "required_features")),
		     3);
	benchmark_free(b);
}

Test(benchmark, fixture_prompt_large)
{
	struct benchmark *b = load_fixture("prompt-large.yaml");

	expect_no_errors(b);
	cr_assert_eq(b->mode, BM_MODE_PROMPT);
	cr_assert_eq(b->scale_level, 3);
	cr_assert_eq(b->n_phases, 4);
	expect_phase(b, 0, "Product Requirements", "John", false, 1800);
	expect_phase(b, 1, "System Architecture", "Winston", false, 1800);
	expect_phase(b, 2, "Implementation", "Amelia", false, 1800);
	expect_phase(b, 3, "Testing", "Murat", false, 1800);
	cr_assert_str_eq(b->phases[0].description, "Write the PRD in "
						   "docs/PRD.md");
	benchmark_free(b);
}

/* ------------------------------------------------------------------ */
/* Validation rules, one small config each                             */

static struct benchmark *
load_text_rules(const char *text, const struct confine_rules *rules)
{
	char err[512] = "";
	struct benchmark *b;
	FILE *f = fopen(cfg, "we");

	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	b = benchmark_load_rules(cfg, rules, err, sizeof(err));
	cr_assert_not_null(b, "%s", err);
	return b;
}

static struct benchmark *
load_text(const char *text)
{
	return load_text_rules(text, NULL);
}

/* list holds "<cfg>:<rest>" exactly. */
static void
expect_in(const json_t *list, const char *rest)
{
	char want[1024];
	json_t *e;
	size_t i;
	char *all;

	snprintf(want, sizeof(want), "%s:%s", cfg, rest);
	json_array_foreach(list, i, e)
		if (strcmp(json_string_value(e), want) == 0)
			return;
	all = json_dumps(list, JSON_INDENT(1));
	cr_assert_fail("missing \"%s\" in %s", want, all);
	free(all);
}

static void
expect_error(const char *text, const char *rest)
{
	struct benchmark *b = load_text(text);

	expect_in(b->errors, rest);
	benchmark_free(b);
}

#define OK_HEAD "name: t\ndescription: d\n"
#define ONE_PHASE "workflow_phases:\n  - phase_name: Implementation\n"

Test(benchmark, small_valid_config)
{
	struct benchmark *b = load_text(OK_HEAD ONE_PHASE);

	expect_no_errors(b);
	cr_assert_eq(json_array_size(b->warnings), 0);
	cr_assert_str_eq(b->version, "1.0.0");
	cr_assert_eq(b->timeout_seconds, 7200);
	cr_assert_eq(b->scale_level, -1);
	cr_assert_float_eq(b->max_cost_usd, -1, 1e-9);
	cr_assert_eq(b->max_tokens, -1);
	cr_assert_float_eq(crit_num(b, "min_test_coverage"), 80.0, 1e-9);
	benchmark_free(b);
}

Test(benchmark, name_required)
{
	expect_error("description: d\n" ONE_PHASE,
		     "1:1: name: Benchmark name is required: add name: "
		     "\"my-benchmark\"");
	expect_error("name: \"\"\ndescription: d\n" ONE_PHASE,
		     "1:1: name: Benchmark name is required: add name: "
		     "\"my-benchmark\"");
}

Test(benchmark, description_required)
{
	expect_error("\n\nname: t\n" ONE_PHASE,
		     "3:1: description: Benchmark description is required: "
		     "add description: \"what this benchmark builds\"");
}

Test(benchmark, timeout_positive)
{
	expect_error(OK_HEAD "timeout_seconds: 0\n" ONE_PHASE,
		     "3:1: timeout_seconds: Timeout must be positive: got 0, "
		     "expected 1 to 86400 seconds");
	expect_error(OK_HEAD "timeout_seconds: -5\n" ONE_PHASE,
		     "3:1: timeout_seconds: Timeout must be positive: got -5, "
		     "expected 1 to 86400 seconds");
}

Test(benchmark, timeout_maximum)
{
	expect_error(OK_HEAD ONE_PHASE "timeout_seconds: 86401\n",
		     "5:1: timeout_seconds: Timeout exceeds maximum of 86400s "
		     "(24 hours): got 86401; lower it to at most 86400");
}

Test(benchmark, long_timeout_warns)
{
	struct confine_rules r = { .max_timeout = 86400 };
	struct benchmark *b = load_text_rules(
		OK_HEAD "timeout_seconds: 14401\n" ONE_PHASE, &r);

	expect_no_errors(b);
	expect_in(b->warnings, "3:1: timeout_seconds: timeout of 14401 s is "
			       "over 4 hours");
	cr_assert_eq(b->timeout_seconds, 14401);
	benchmark_free(b);
}

Test(benchmark, invalid_url)
{
	expect_error(OK_HEAD
		     "boilerplate_url: ftp://example.com/x.git\n" ONE_PHASE,
		     "3:1: boilerplate_url: Invalid URL format: "
		     "got \"ftp://example.com/x.git\", expected http(s)://, "
		     "git@ or file://");
}

Test(benchmark, valid_urls_and_old_spelling)
{
	char local[300];
	const char *const urls[] = {
		"https://github.com/a/b.git",
		"http://h/x",
		"git@github.com:a/b",
		local,
	};

	/* a file:// URL below the config's own directory */
	snprintf(local, sizeof(local), "file://%s/repo", dir);
	for (size_t i = 0; i < sizeof(urls) / sizeof(*urls); i++) {
		char text[512];
		struct benchmark *b;

		snprintf(text, sizeof(text),
			 OK_HEAD "boilerplate:\n"
				 "  repo_url: %s\n  branch: main\n" ONE_PHASE,
			 urls[i]);
		b = load_text(text);
		expect_no_errors(b);
		cr_assert_str_eq(b->boilerplate_url, urls[i]);
		benchmark_free(b);
	}
}

Test(benchmark, boilerplate_path_relative_to_config)
{
	struct benchmark *b;
	char want[400], sub[400];

	snprintf(sub, sizeof(sub), "%s/tpl", dir);
	cr_assert_eq(mkdir(sub, 0700), 0);
	b = load_text(OK_HEAD "boilerplate_path: tpl\n" ONE_PHASE);
	expect_no_errors(b);
	snprintf(want, sizeof(want), "%s/tpl", dir);
	cr_assert_str_eq(b->boilerplate_path, want);
	cr_assert_eq(json_array_size(b->warnings), 0);
	benchmark_free(b);
	rmdir(sub);
}

/* ------------------------------------------------------------------ */
/* An untrusted config stays in its directory and its sandbox          */

#define OUTSIDE(field, shown) \
	field ": resolves to " shown ", outside the config's directory " \
	      "@: a config may name boilerplate only below its own " \
	      "directory; move the template there, or let the operator " \
	      "allow its place with --boilerplate-root DIR " \
	      "(boilerplate_root: in the user config)"

/* The config refused with the message want ("<line>:<col>: <field>:
 * ..."), where each "@" stands for the config's directory. */
static void
expect_refused(const char *text, const struct confine_rules *r,
	       const char *want)
{
	struct benchmark *b = load_text_rules(text, r);
	char rest[1024];
	size_t o = 0;

	for (const char *p = want; *p && o + strlen(dir) + 1 < sizeof(rest);
	     p++) {
		if (*p == '@') {
			memcpy(rest + o, dir, strlen(dir));
			o += strlen(dir);
		} else {
			rest[o++] = *p;
		}
	}
	rest[o] = 0;
	expect_in(b->errors, rest);
	/* the refused field is dropped: nothing outside is ever used */
	cr_assert(!b->boilerplate_path && !b->boilerplate_url && !b->policy);
	benchmark_free(b);
}

Test(benchmark, boilerplate_outside_refused)
{
	char link[400];

	expect_refused(OK_HEAD "boilerplate_path: .\n" ONE_PHASE, NULL,
		       "3:1: boilerplate_path: is the config's own directory @ "
		       "(the config, and perhaps a .env, live there): a "
		       "config may name boilerplate only below its own "
		       "directory; move the template into a subdirectory, or "
		       "let the operator allow its place with "
		       "--boilerplate-root DIR");
	expect_refused(OK_HEAD "boilerplate_path: /etc\n" ONE_PHASE, NULL,
		       "3:1: " OUTSIDE("boilerplate_path", "/etc"));
	expect_refused(OK_HEAD "boilerplate_url: file:///etc\n" ONE_PHASE, NULL,
		       "3:1: " OUTSIDE("boilerplate_url", "/etc"));
	expect_refused(OK_HEAD "boilerplate_path: tpl/../..\n" ONE_PHASE, NULL,
		       "3:1: boilerplate_path: \"tpl/../..\" has a \"..\" "
		       "component: a config may name boilerplate only below "
		       "its own directory");
	expect_refused(OK_HEAD "boilerplate_url: file://etc/x\n" ONE_PHASE,
		       NULL,
		       "3:1: boilerplate_url: \"file://etc/x\": a file:// URL "
		       "must name an absolute path (file:///...) without "
		       "percent-escapes");
	expect_refused(OK_HEAD "boilerplate_url: file:///%2e%2e\n" ONE_PHASE,
		       NULL,
		       "3:1: boilerplate_url: \"file:///%2e%2e\": a file:// "
		       "URL must name an absolute path (file:///...) without "
		       "percent-escapes");
	/* a symlink below the directory that leads out of it */
	snprintf(link, sizeof(link), "%s/out", dir);
	cr_assert_eq(symlink("/etc", link), 0);
	expect_refused(OK_HEAD "boilerplate_path: out\n" ONE_PHASE, NULL,
		       "3:1: " OUTSIDE("boilerplate_path", "/etc"));
	unlink(link);
}

Test(benchmark, boilerplate_root_admits)
{
	struct confine_rules r = { .boilerplate_root = "/usr/share" };
	struct benchmark *b;

	b = load_text_rules(OK_HEAD
			    "boilerplate_path: /usr/share/doc\n" ONE_PHASE,
			    &r);
	expect_no_errors(b);
	cr_assert_str_eq(b->boilerplate_path, "/usr/share/doc");
	benchmark_free(b);
	b = load_text_rules(OK_HEAD
			    "boilerplate_url: file:///usr/share\n" ONE_PHASE,
			    &r);
	expect_no_errors(b);
	cr_assert_str_eq(b->boilerplate_url, "file:///usr/share");
	benchmark_free(b);
	/* the root admits its own subtree, nothing beside it */
	b = load_text_rules(OK_HEAD "boilerplate_path: /usr/lib\n" ONE_PHASE,
			    &r);
	cr_assert_eq(json_array_size(b->errors), 1);
	cr_assert_null(b->boilerplate_path);
	benchmark_free(b);
}

Test(benchmark, config_policy)
{
	struct confine_rules allow = { .allow_config_policy = true };
	struct benchmark *b;

	expect_refused(OK_HEAD "policy: networked\n" ONE_PHASE, NULL,
		       "3:1: policy: policy \"networked\" is wider than "
		       "\"default\" (network: tcp): a config may name only a "
		       "built-in policy no wider than \"default\"; remove the "
		       "key, or let the operator allow it with "
		       "--allow-config-policy (or choose the policy with "
		       "--policy)");
	expect_refused(OK_HEAD "policy: ./mine.yaml\n" ONE_PHASE, NULL,
		       "3:1: policy: \"./mine.yaml\" is a policy file: a "
		       "config may name only a built-in policy no wider than "
		       "\"default\"; remove the key, or let the operator allow "
		       "it with --allow-config-policy (or choose the policy "
		       "with --policy)");
	for (int i = 0; i < 2; i++) {
		b = load_text(i ? OK_HEAD "policy: strict\n" ONE_PHASE :
				  OK_HEAD "policy: default\n" ONE_PHASE);
		expect_no_errors(b);
		benchmark_free(b);
	}
	b = load_text_rules(OK_HEAD "policy: networked\n" ONE_PHASE, &allow);
	expect_no_errors(b);
	cr_assert_str_eq(b->policy, "networked");
	benchmark_free(b);
}

Test(benchmark, timeout_ceiling)
{
	struct confine_rules r = { .max_timeout = 600 };
	struct benchmark *b;

	/* the default ceiling, 7200 s, the config default */
	b = load_text(OK_HEAD "timeout_seconds: 7201\n" ONE_PHASE);
	expect_in(b->errors, "3:1: timeout_seconds: 7201 s is over the "
			     "operator's ceiling of 7200 s: lower it, or "
			     "raise the ceiling with --max-timeout S "
			     "(max_timeout: in the user config)");
	benchmark_free(b);
	b = load_text(OK_HEAD "timeout_seconds: 7200\n" ONE_PHASE);
	expect_no_errors(b);
	benchmark_free(b);
	b = load_text_rules(OK_HEAD "timeout_seconds: 600\n"
				    "workflow_phases:\n"
				    "  - phase_name: Implementation\n"
				    "    timeout_seconds: 601\n",
			    &r);
	expect_in(b->errors, "6:5: workflow_phases[0].timeout_seconds: 601 "
			     "s is over the operator's ceiling of 600 s: "
			     "lower it, or raise the ceiling with "
			     "--max-timeout S (max_timeout: in the user "
			     "config)");
	benchmark_free(b);
}

Test(benchmark, coverage_range)
{
	expect_error(OK_HEAD ONE_PHASE "success_criteria:\n"
				       "  min_test_coverage: 120\n",
		     "6:3: success_criteria.min_test_coverage: Test coverage "
		     "must be between 0 and 100: got 120");
	expect_error(OK_HEAD ONE_PHASE "success_criteria:\n"
				       "  min_test_coverage: -0.5\n",
		     "6:3: success_criteria.min_test_coverage: Test coverage "
		     "must be between 0 and 100: got -0.5");
}

Test(benchmark, cannot_be_negative)
{
	expect_error(OK_HEAD ONE_PHASE "success_criteria:\n"
				       "  max_errors: -1\n",
		     "6:3: success_criteria.max_errors: Cannot be negative: "
		     "got -1");
	expect_error(OK_HEAD ONE_PHASE
		     "success_criteria:\n"
		     "  max_errors: 0\n  max_manual_interventions: -2\n",
		     "7:3: success_criteria.max_manual_interventions: Cannot "
		     "be negative: got -2");
}

Test(benchmark, phase_name_required)
{
	expect_error(OK_HEAD "workflow_phases:\n  - phase_name: A\n"
			     "  - agent: John\n    description: x\n",
		     "5:5: workflow_phases[1]: Phase name is required: add "
		     "phase_name: \"Implementation\"");
}

Test(benchmark, phase_timeout_positive)
{
	expect_error(OK_HEAD "workflow_phases:\n  - phase_name: A\n"
			     "    timeout_seconds: 0\n",
		     "5:5: workflow_phases[0].timeout_seconds: Phase timeout "
		     "must be positive: got 0");
}

Test(benchmark, wrapped_shape_positions)
{
	expect_error("benchmark:\n  name: t\n  description: d\n"
		     "  timeout_seconds: 0\n  phases:\n"
		     "    - phase_name: A\n",
		     "4:3: timeout_seconds: Timeout must be positive: got 0, "
		     "expected 1 to 86400 seconds");
}

Test(benchmark, type_errors)
{
	expect_error("name: [a, b]\ndescription: d\n" ONE_PHASE,
		     "1:1: name: expected a string, got a list; write it in "
		     "quotes");
	expect_error(OK_HEAD "timeout_seconds: soon\n" ONE_PHASE,
		     "3:1: timeout_seconds: expected a whole number, got "
		     "soon");
	expect_error(OK_HEAD ONE_PHASE "    skip_if_failed: maybe\n",
		     "5:5: workflow_phases[0].skip_if_failed: expected true or "
		     "false");
	expect_error(OK_HEAD ONE_PHASE "    expected_artifacts: [a, [b]]\n",
		     "5:5: workflow_phases[0].expected_artifacts: entry 1 is "
		     "not a string");
	expect_error(OK_HEAD "workflow_phases: 3\n",
		     "3:1: workflow_phases: expected a list of phases");
	expect_error(OK_HEAD ONE_PHASE "scale_level: 7\n",
		     "5:1: scale_level: expected 0 to 4, got 7");
	expect_error(OK_HEAD ONE_PHASE "success_criteria: 5\n",
		     "5:1: success_criteria: expected a mapping");
}

Test(benchmark, version_numbers_become_strings)
{
	struct benchmark *b = load_text(OK_HEAD "version: 2\n" ONE_PHASE);

	cr_assert_str_eq(b->version, "2");
	benchmark_free(b);
	b = load_text(OK_HEAD "version: 1.5\n" ONE_PHASE);
	cr_assert_str_eq(b->version, "1.5");
	benchmark_free(b);
}

Test(benchmark, unknown_keys_warn)
{
	struct benchmark *b = load_text(OK_HEAD "colour: blue\n"
						"workflow_phases:\n"
						"  - phase_name: A\n"
						"    agnet: John\n");

	expect_no_errors(b);
	expect_in(b->warnings, "3:1: colour: unknown key, ignored (check the "
			       "spelling)");
	expect_in(b->warnings, "6:5: workflow_phases[0].agnet: unknown key, "
			       "ignored (check the spelling)");
	cr_assert_eq(json_array_size(b->warnings), 2);
	/* the misspelt agent is not used: inferred from the name instead */
	cr_assert(b->phases[0].agent_inferred);
	benchmark_free(b);
}

Test(benchmark, nothing_to_run)
{
	expect_error(OK_HEAD, "1:1: (document): nothing to run: give "
			      "initial_prompt, workflow_phases or epics");
}

Test(benchmark, not_a_mapping)
{
	expect_error("- a\n- b\n", "1:1: (document): a benchmark config must "
				   "be a YAML mapping");
}

Test(benchmark, yaml_errors_are_fatal)
{
	char err[512] = "", want[400];
	FILE *f = fopen(cfg, "we");

	cr_assert_not_null(f);
	fputs("name: t\nname: u\n", f);
	fclose(f);
	cr_assert_null(benchmark_load(cfg, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s:2:1: duplicate key", cfg);
	cr_assert_str_eq(err, want);
	cr_assert_null(benchmark_load("/nonexistent.yaml", err, sizeof(err)));
}

Test(benchmark, phases_alias_and_agents_inferred)
{
	struct benchmark *b = load_text(OK_HEAD
					"phases:\n"
					"  - name: Requirements Analysis\n"
					"  - name: UX Design\n"
					"  - name: QA\n"
					"  - phase_name: Deploy\n"
					"    agent: Brian\n");

	expect_no_errors(b);
	cr_assert_eq(b->n_phases, 4);
	expect_phase(b, 0, "Requirements Analysis", "Mary", true, 3600);
	expect_phase(b, 1, "UX Design", "Sally", true, 3600);
	expect_phase(b, 2, "QA", "Murat", true, 3600);
	expect_phase(b, 3, "Deploy", "Brian", false, 3600);
	benchmark_free(b);
}

Test(benchmark, workflow_phases_wins_over_phases)
{
	struct benchmark *b = load_text(OK_HEAD ONE_PHASE
					"phases:\n  - phase_name: Other\n");

	cr_assert_eq(b->n_phases, 1);
	cr_assert_str_eq(b->phases[0].name, "Implementation");
	benchmark_free(b);
}

Test(benchmark, prompt_only_large_scale)
{
	struct benchmark *b = load_text(OK_HEAD "initial_prompt: Build it\n"
						"scale_level: 2\n");

	expect_no_errors(b);
	cr_assert_eq(b->mode, BM_MODE_PROMPT);
	cr_assert_eq(b->n_phases, 4);
	expect_phase(b, 0, "Product Requirements", "John", false, 7200);
	expect_phase(b, 1, "System Architecture", "Winston", false, 7200);
	expect_phase(b, 2, "Implementation", "Amelia", false, 7200);
	expect_phase(b, 3, "Testing", "Murat", false, 7200);
	benchmark_free(b);
}

Test(benchmark, prompt_only_unset_scale)
{
	char *text, *brief = malloc(2001);
	struct benchmark *b = load_text(OK_HEAD "initial_prompt: Build it\n");

	/* no scale_level and a brief under 2000 characters: one phase */
	expect_no_errors(b);
	cr_assert_eq(b->n_phases, 1);
	expect_phase(b, 0, "Implementation", "Amelia", false, 7200);
	benchmark_free(b);
	/* 2000 characters or more: the four phases */
	cr_assert_not_null(brief);
	memset(brief, 'x', 2000);
	brief[2000] = 0;
	cr_assert_geq(asprintf(&text, OK_HEAD "initial_prompt: %s\n", brief),
		      0);
	b = load_text(text);
	expect_no_errors(b);
	cr_assert_eq(b->n_phases, 4);
	expect_phase(b, 3, "Testing", "Murat", false, 7200);
	benchmark_free(b);
	free(text);
	free(brief);
}

Test(benchmark, prompt_hash_collapses_whitespace)
{
	struct benchmark *a = load_text(OK_HEAD "initial_prompt: \"a  b\\n\\tc "
						"\"\n");
	char h[72];
	struct benchmark *b;

	memcpy(h, a->prompt_hash, sizeof(h));
	benchmark_free(a);
	b = load_text(OK_HEAD "initial_prompt: a b c\n");
	cr_assert_str_eq(b->prompt_hash, h);
	benchmark_free(b);
	/* sha256("a b c"), computed independently */
	cr_assert_str_eq(h, "sha256:0e9f64031fcb2bc708b531c2a20441580425d151"
			    "a38503f38592a7dd36019d3b");
}

Test(benchmark, constraints)
{
	struct benchmark *b = load_text(OK_HEAD ONE_PHASE
					"constraints:\n"
					"  max_cost_usd: 2.5\n"
					"  max_tokens: 100000\n"
					"  timeout_seconds: 600\n");

	expect_no_errors(b);
	cr_assert_float_eq(b->max_cost_usd, 2.5, 1e-9);
	cr_assert_eq(b->max_tokens, 100000);
	cr_assert_eq(b->timeout_seconds, 600);
	benchmark_free(b);
}

Test(benchmark, old_criteria_list)
{
	struct benchmark *b = load_text(OK_HEAD ONE_PHASE
					"success_criteria:\n"
					"  - name: tests\n    type: boolean\n");

	expect_no_errors(b);
	cr_assert_eq(json_array_size(
			     json_object_get(b->success_criteria, "criteria")),
		     1);
	benchmark_free(b);
}

Test(benchmark, story_dependencies_order_and_errors)
{
	struct benchmark *b = load_text(OK_HEAD
					"epics:\n  - name: E\n"
					"    stories:\n"
					"      - name: Second\n"
					"        dependencies: [First]\n"
					"      - name: First\n");

	expect_no_errors(b);
	cr_assert_eq(b->n_phases, 6);
	cr_assert_str_eq(b->phases[0].story, "First");
	cr_assert_str_eq(b->phases[3].story, "Second");
	benchmark_free(b);
	expect_error(OK_HEAD "epics:\n  - name: E\n    stories:\n"
			     "      - name: A\n        dependencies: [Nope]\n",
		     "6:9: epics[0].stories[0]: dependency Nope is not a story "
		     "of this benchmark");
	expect_error(OK_HEAD "epics:\n  - name: E\n    stories:\n"
			     "      - name: A\n        dependencies: [B]\n"
			     "      - name: B\n        dependencies: [A]\n",
		     "3:1: epics: the story dependencies form a cycle");
	expect_error(OK_HEAD "epics:\n  - name: E\n",
		     "4:5: epics[0]: an epic needs a name and a list of "
		     "stories");
}

#define PH_FIX \
	": replace it with the real value (gao-dev does not fill " \
	"in templates)"

Test(benchmark, placeholder_in_braces)
{
	expect_error("name: \"{{BENCHMARK_NAME}}\"\ndescription: d\n" ONE_PHASE,
		     "1:8: name: template placeholder "
		     "\"{{BENCHMARK_NAME}}\" was never filled in" PH_FIX);
	/* inside a block scalar: the placeholder's own line and column */
	expect_error(OK_HEAD "initial_prompt: |\n  Build an app.\n"
			     "  It is a {{ app_kind }} app.\n" ONE_PHASE,
		     "5:11: initial_prompt: template placeholder "
		     "\"{{ app_kind }}\" was never filled in" PH_FIX);
	/* a "{{" whose "}}" is on another line is text; a later one is not */
	expect_error(OK_HEAD
		     "initial_prompt: \"a {{ b\\n c }} {{X}}\"\n" ONE_PHASE,
		     "3:32: initial_prompt: template placeholder "
		     "\"{{X}}\" was never filled in" PH_FIX);
	expect_error(OK_HEAD
		     "workflow_phases:\n  - phase_name: A\n"
		     "    expected_artifacts: [app.py, \"{{MODULE}}.py\"]\n",
		     "5:35: workflow_phases[0].expected_artifacts[1]: template "
		     "placeholder \"{{MODULE}}\" was never filled in" PH_FIX);
}

Test(benchmark, placeholder_in_angle_brackets)
{
	expect_error(OK_HEAD "project_name: <your-project>\n" ONE_PHASE,
		     "3:15: project_name: template placeholder "
		     "\"<your-project>\" was never filled in" PH_FIX);
	expect_error("benchmark:\n  name: t\n  description: \"<what it "
		     "builds>\"\n  phases:\n    - phase_name: A\n",
		     "3:17: description: template placeholder \"<what it "
		     "builds>\" was never filled in" PH_FIX);
}

Test(benchmark, not_placeholders)
{
	/* single braces, routes, markup and comparisons are text */
	struct benchmark *b = load_text(
		OK_HEAD
		"initial_prompt: |\n"
		"  GET /hello/{name} returns {\"message\": \"Hello\"};\n"
		"  Flask routes look like /hello/<name>; keep <b>bold</b>.\n"
		"  Check that 1 < 2 > 0.\n"
		"metadata:\n  note: \"<a href=x>\"\n  cmp: \"<>\"\n" ONE_PHASE);

	expect_no_errors(b);
	benchmark_free(b);
}

Test(benchmark, unquoted_placeholder_is_a_yaml_error)
{
	char err[600] = "", want[600];
	FILE *f = fopen(cfg, "we");

	cr_assert_not_null(f);
	fputs("description: d\nname: {{ name }}\n", f);
	fclose(f);
	cr_assert_null(benchmark_load(cfg, err, sizeof(err)));
	snprintf(
		want, sizeof(want),
		"%s:2:8: mapping keys must be scalars; "
		"this line holds the template placeholder \"{{ name }}\"" PH_FIX,
		cfg);
	cr_assert_str_eq(err, want);
}

/* ------------------------------------------------------------------ */
/* Slugs and agent inference                                           */

Test(benchmark, slug_table)
{
	static const char *const rows[][2] = {
		{ "Greenfield Simple!", "greenfield-simple" },
		{ "  --Hello__World--  ", "hello-world" },
		{ "Product Requirements", "product-requirements" },
		{ "a.b/c", "a-b-c" },
		{ "ABC123", "abc123" },
		{ "", "unnamed" },
		{ "!!!", "unnamed" },
		{ "caf\xc3\xa9 au lait", "caf-au-lait" },
	};
	char out[64];

	for (size_t i = 0; i < sizeof(rows) / sizeof(*rows); i++) {
		benchmark_slug(rows[i][0], out, sizeof(out));
		cr_assert_str_eq(out, rows[i][1], "\"%s\"", rows[i][0]);
	}
	/* bounded by cap, always terminated, never ending in '-' */
	benchmark_slug("abcdef", out, 4);
	cr_assert_str_eq(out, "abc");
}

Test(benchmark, infer_agent_table)
{
	static const char *const rows[][2] = {
		{ "Analysis", "Mary" },
		{ "Business Analysis", "Mary" },
		{ "Product Requirements", "John" },
		{ "Planning", "John" },
		{ "PRD", "John" },
		{ "Write the PRD", "John" },
		{ "System Architecture", "Winston" },
		{ "Architect review", "Winston" },
		{ "UX", "Sally" },
		{ "UX Design", "Sally" },
		{ "Design", "Sally" },
		{ "Story Creation", "Bob" },
		{ "Create stories", "Bob" },
		{ "Implementation", "Amelia" },
		{ "Development", "Amelia" },
		{ "Testing", "Murat" },
		{ "QA", "Murat" },
		{ "Validation", "Murat" },
		/* short words only as whole words */
		{ "Luxury features", "Amelia" },
		{ "Qatar market", "Amelia" },
		/* unsure: Amelia */
		{ "Deployment", "Amelia" },
		{ "", "Amelia" },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(*rows); i++)
		cr_assert_str_eq(benchmark_infer_agent(rows[i][0]), rows[i][1],
				 "\"%s\"", rows[i][0]);
	cr_assert_str_eq(benchmark_infer_agent(NULL), "Amelia");
}
