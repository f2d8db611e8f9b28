/*
 * benchmark.c - load, validate and plan a GAO-Dev benchmark config. See
 * benchmark.h for the design note; the field table is docs/decisions.md
 * (Benchmark configs). The story mode is bm_stories.c, the checks of the
 * file's text bm_text.c, the shared reading of fields bm_parse.c.
 */
#include "supervisor/config/benchmark.h"

#include <ctype.h>
#include <libgen.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "supervisor/config/bm_parse.h"
#include "supervisor/config/cli.h"

static const char *const top_keys[] = {
	"name",
	"description",
	"version",
	"project_name",
	"initial_prompt",
	"boilerplate_path",
	"boilerplate_url",
	"boilerplate",
	"timeout_seconds",
	"workflow_phases",
	"phases",
	"epics",
	"success_criteria",
	"scale_level",
	"complexity_level",
	"estimated_duration_minutes",
	"expected_duration_minutes",
	"tech_stack",
	"constraints",
	"metadata",
	"expected_outcomes",
	"model",
	"policy",
	"test_command",
	NULL,
};

static const char *const phase_keys[] = {
	"phase_name",
	"name",
	"agent",
	"description",
	"timeout_seconds",
	"expected_duration_minutes",
	"expected_artifacts",
	"quality_gates",
	"skip_if_failed",
	"continue_on_failure",
	"command",
	NULL,
};

/* Line and column of the field at path (the document's when unknown). */
void
benchmark_slug(const char *in, char *out, size_t cap)
{
	size_t o = 0;
	bool dash = false;

	for (const char *p = in; *p && o + 1 < cap; p++) {
		char ch = (char)tolower((unsigned char)*p);

		if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) {
			if (dash && o > 0) {
				if (o + 2 >= cap)
					break; /* never merge two words */
				out[o++] = '-';
			}
			dash = false;
			out[o++] = ch;
		} else {
			dash = true;
		}
	}
	out[o] = 0;
	if (o == 0 && cap > 8)
		snprintf(out, cap, "unnamed");
}

const char *
benchmark_infer_agent(const char *name)
{
	static const struct {
		const char *word, *agent;
	} rules[] = {
		{ "analysis", "Mary" },     { "analys", "Mary" },
		{ "requirement", "John" },  { "planning", "John" },
		{ "prd", "John" },          { "product", "John" },
		{ "architect", "Winston" }, { "ux", "Sally" },
		{ "design", "Sally" },      { "story", "Bob" },
		{ "stories", "Bob" },       { "implement", "Amelia" },
		{ "develop", "Amelia" },    { "test", "Murat" },
		{ "qa", "Murat" },          { "validat", "Murat" },
	};
	char slug[256];

	benchmark_slug(name ? name : "", slug, sizeof(slug));
	for (size_t i = 0; i < sizeof(rules) / sizeof(*rules); i++) {
		const char *w = rules[i].word;
		const char *hit = strstr(slug, w);

		/* at the start of a word ("latest" is not "test"); the
		 * short ones ("ux", "qa", "prd") only as whole words */
		while (hit && hit != slug && hit[-1] != '-')
			hit = strstr(hit + 1, w);
		if (hit && strlen(w) <= 3) {
			size_t n = strlen(w);

			if (hit[n] != 0 && hit[n] != '-')
				continue;
		}
		if (hit)
			return rules[i].agent;
	}
	return "Amelia";
}

/* sha256 of the prompt with whitespace runs collapsed to one space. */
static void
prompt_hash(const char *prompt, char out[72])
{
	unsigned char md[32];
	unsigned int n = 0;
	size_t len = strlen(prompt), o = 0;
	char *col = malloc(len + 1);
	bool space = false;

	if (!col) {
		out[0] = 0;
		return;
	}
	for (const char *p = prompt; *p; p++) {
		if (isspace((unsigned char)*p)) {
			space = o > 0;
			continue;
		}
		if (space)
			col[o++] = ' ';
		space = false;
		col[o++] = *p;
	}
	EVP_Digest(col, o, md, &n, EVP_sha256(), NULL);
	free(col);
	strcpy(out, "sha256:");
	for (unsigned i = 0; i < n && i < 32; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
}

/* Whether the config gives key a value (absent and null do not). */
static bool
given(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return v && !json_is_null(v);
}

/* A run's timeout when the config gives none: 2 hours, or the operator's
 * ceiling when that is lower. */
static int64_t
default_timeout(const struct confine_rules *rules)
{
	int64_t ceiling = confine_max_timeout(rules);

	return ceiling < 7200 ? ceiling : 7200;
}

/* Append *ph (ownership moves); on failure its members are freed. */
int
benchmark_phase_add(struct benchmark *b, struct bm_phase *ph)
{
	struct bm_phase *p = realloc(b->phases, (b->n_phases + 1) * sizeof(*p));

	if (!p) {
		benchmark_phase_clear(ph);
		return -1;
	}
	b->phases = p;
	b->phases[b->n_phases++] = *ph;
	return 0;
}

static void
parse_phase(struct bm_ctx *c, json_t *o, size_t i, const char *list)
{
	struct bm_phase ph = { 0 };
	char path[256], fp[300];

	snprintf(path, sizeof(path), "%s[%zu]", list, i);
	if (!json_is_object(o)) {
		BM_ERR(c, path, "a phase must be a mapping with phase_name");
		return;
	}
	bm_parse_unknown(c, o, phase_keys, path);
#define FP(k) (snprintf(fp, sizeof(fp), "%s.%s", path, k), fp)
	ph.name = bm_parse_str(c, o, "phase_name", FP("phase_name"));
	bm_parse_name(c, fp, ph.name);
	if (!ph.name) {
		ph.name = bm_parse_str(c, o, "name", FP("name"));
		bm_parse_name(c, fp, ph.name);
	}
	if (!ph.name || !ph.name[0]) {
		BM_ERR(c, path,
		       "Phase name is required: add phase_name: "
		       "\"Implementation\"");
		free(ph.name);
		ph.name = strdup("unnamed");
	}
	ph.agent = bm_parse_str(c, o, "agent", FP("agent"));
	bm_parse_name(c, fp, ph.agent);
	if (!ph.agent) {
		ph.agent = strdup(benchmark_infer_agent(ph.name));
		ph.agent_inferred = true;
	}
	ph.description = bm_parse_str(c, o, "description", FP("description"));
	ph.timeout_seconds = bm_parse_int(c, o, "timeout_seconds",
					  FP("timeout_seconds"), 3600);
	if (ph.timeout_seconds <= 0)
		BM_ERR(c, FP("timeout_seconds"),
		       "Phase timeout must be positive: "
		       "got %lld",
		       (long long)ph.timeout_seconds);
	else if (json_object_get(o, "timeout_seconds"))
		bm_parse_timeout(c, ph.timeout_seconds, FP("timeout_seconds"),
				 "Phase timeout");
	ph.expected_artifacts = bm_parse_list(c, o, "expected_artifacts",
					      FP("expected_artifacts"));
	ph.skip_if_failed = bm_parse_bool(c, o, "skip_if_failed",
					  FP("skip_if_failed"), false);
	ph.continue_on_failure = bm_parse_bool(c, o, "continue_on_failure",
					       FP("continue_on_failure"),
					       false);
	ph.command = bm_parse_str(c, o, "command", FP("command"));
#undef FP
	if (benchmark_phase_add(c->b, &ph) < 0)
		BM_ERR(c, path, "out of memory");
}

static void
parse_phases(struct bm_ctx *c, json_t *doc)
{
	const char *key = json_object_get(doc, "workflow_phases") ?
				  "workflow_phases" :
				  "phases";
	json_t *list = json_object_get(doc, key), *o;
	size_t i;

	if (!list || json_is_null(list))
		return;
	if (!json_is_array(list)) {
		BM_ERR(c, key, "expected a list of phases");
		return;
	}
	json_array_foreach(list, i, o)
		parse_phase(c, o, i, key);
}

/* success_criteria: a mapping, or the older list of {name, type, ...}. */
static void
parse_criteria(struct bm_ctx *c, json_t *doc)
{
	json_t *sc = json_object_get(doc, "success_criteria"), *v;
	double cov;

	if (!sc || json_is_null(sc)) {
		c->b->success_criteria = json_pack("{s:f}", "min_test_coverage",
						   80.0);
		return;
	}
	if (json_is_array(sc)) {
		c->b->success_criteria = json_pack("{s:O}", "criteria", sc);
		return;
	}
	if (!json_is_object(sc)) {
		BM_ERR(c, "success_criteria", "expected a mapping");
		c->b->success_criteria = json_object();
		return;
	}
	c->b->success_criteria = json_deep_copy(sc);
	cov = bm_parse_num(c, sc, "min_test_coverage",
			   "success_criteria.min_test_coverage", 80.0);
	if (cov < 0 || cov > 100)
		BM_ERR(c, "success_criteria.min_test_coverage",
		       "Test coverage "
		       "must be between 0 and 100: got %g",
		       cov);
	v = json_object_get(sc, "max_errors");
	if (json_is_integer(v) && json_integer_value(v) < 0)
		BM_ERR(c, "success_criteria.max_errors",
		       "Cannot be negative: "
		       "got %lld",
		       (long long)json_integer_value(v));
	v = json_object_get(sc, "max_manual_interventions");
	if (json_is_integer(v) && json_integer_value(v) < 0)
		BM_ERR(c, "success_criteria.max_manual_interventions",
		       "Cannot "
		       "be negative: got %lld",
		       (long long)json_integer_value(v));
}

static bool
url_ok(const char *u)
{
	return strncmp(u, "http://", 7) == 0 ||
	       strncmp(u, "https://", 8) == 0 || strncmp(u, "git@", 4) == 0 ||
	       strncmp(u, "file://", 7) == 0;
}

/* A confine_* check of *field: replaced by what it resolved to, or an
 * error at the field (and the field dropped: nothing outside is used). */
static void
confined(struct bm_ctx *c, const char *path, char **field,
	 int (*check)(const struct confine_rules *, const char *, const char *,
		      char **, char *, size_t))
{
	char why[1024], *res = NULL;

	if (check(c->rules, c->b->dir, *field, &res, why, sizeof(why)) < 0) {
		BM_ERR(c, path, "%s", why);
		free(*field);
		*field = NULL;
		return;
	}
	free(*field);
	*field = res;
}

static void
parse_boilerplate(struct bm_ctx *c, json_t *doc)
{
	struct benchmark *b = c->b;
	json_t *old = json_object_get(doc, "boilerplate");
	const char *url_path = "boilerplate_url";

	b->boilerplate_url = bm_parse_str(c, doc, "boilerplate_url",
					  "boilerplate_url");
	if (!b->boilerplate_url && json_is_object(old)) {
		b->boilerplate_url = bm_parse_str(c, old, "repo_url",
						  "boilerplate.repo_url");
		url_path = "boilerplate.repo_url";
	}
	if (b->boilerplate_url && !url_ok(b->boilerplate_url))
		BM_ERR(c, url_path,
		       "Invalid URL format: got \"%s\", "
		       "expected http(s)://, git@ or file://",
		       b->boilerplate_url);
	else if (b->boilerplate_url &&
		 strncmp(b->boilerplate_url, "file://", 7) == 0)
		confined(c, url_path, &b->boilerplate_url, confine_file_url);
	b->boilerplate_path = bm_parse_str(c, doc, "boilerplate_path",
					   "boilerplate_path");
	if (b->boilerplate_path)
		confined(c, "boilerplate_path", &b->boilerplate_path,
			 confine_boilerplate);
	if (b->boilerplate_path && access(b->boilerplate_path, R_OK) < 0)
		BM_WARN(c, "boilerplate_path",
			"boilerplate path %s does not "
			"exist; the project starts empty",
			b->boilerplate_path);
}

static void
parse_constraints(struct bm_ctx *c, json_t *doc)
{
	json_t *k = json_object_get(doc, "constraints");
	size_t errs;
	int64_t t;

	c->b->max_cost_usd = -1;
	c->b->max_tokens = -1;
	if (!json_is_object(k))
		return;
	/* a limit given is a limit: 0, a negative or an infinite one is not
	 * "none" by accident (leave the key out for none); a value of the
	 * wrong type has its own error already */
	errs = json_array_size(c->b->errors);
	c->b->max_cost_usd = bm_parse_num(c, k, "max_cost_usd",
					  "constraints.max_cost_usd", -1);
	if (given(k, "max_cost_usd") && errs == json_array_size(c->b->errors) &&
	    !(c->b->max_cost_usd > 0 && isfinite(c->b->max_cost_usd)))
		BM_ERR(c, "constraints.max_cost_usd",
		       "expected a positive number of US dollars, got %g: "
		       "remove the key for no cost limit",
		       c->b->max_cost_usd);
	errs = json_array_size(c->b->errors);
	c->b->max_tokens = bm_parse_int(c, k, "max_tokens",
					"constraints.max_tokens", -1);
	if (given(k, "max_tokens") && errs == json_array_size(c->b->errors) &&
	    c->b->max_tokens <= 0)
		BM_ERR(c, "constraints.max_tokens",
		       "expected a positive number of tokens, got %lld: "
		       "remove the key for no token limit",
		       (long long)c->b->max_tokens);
	errs = json_array_size(c->b->errors);
	t = bm_parse_int(c, k, "timeout_seconds", "constraints.timeout_seconds",
			 0);
	if (given(k, "timeout_seconds") &&
	    errs == json_array_size(c->b->errors))
		bm_parse_timeout(c, t, "constraints.timeout_seconds",
				 "Timeout");
	if (t > 0 && t < c->b->timeout_seconds)
		c->b->timeout_seconds = t;
}

/* Prompt only: one phase for small work, four for scale_level 2+. */
static void
plan_prompt_only(struct benchmark *b)
{
	static const char *const big[][3] = {
		{ "Product Requirements", "John",
		  "Write the PRD in docs/PRD.md" },
		{ "System Architecture", "Winston",
		  "Design the architecture in docs/ARCHITECTURE.md" },
		{ "Implementation", "Amelia",
		  "Implement the project with tests" },
		{ "Testing", "Murat", "Test the project and report" },
	};
	bool small = b->scale_level >= 0 ?
			     b->scale_level <= 1 :
			     strlen(b->initial_prompt ? b->initial_prompt :
							"") < 2000;
	size_t n = small ? 1 : 4;

	for (size_t i = 0; i < n; i++) {
		size_t k = small ? 2 : i;
		struct bm_phase ph = {
			.name = strdup(big[k][0]),
			.agent = strdup(big[k][1]),
			.description = strdup(big[k][2]),
			.timeout_seconds = b->timeout_seconds,
			.expected_artifacts = json_array(),
		};

		benchmark_phase_add(b, &ph);
	}
}

static void
parse_top(struct bm_ctx *c, json_t *doc)
{
	struct benchmark *b = c->b;

	bm_parse_unknown(c, doc, top_keys, "");
	b->name = bm_parse_str(c, doc, "name", "name");
	bm_parse_name(c, "name", b->name);
	if (!b->name || !b->name[0])
		BM_ERR(c, "name",
		       "Benchmark name is required: add name: "
		       "\"my-benchmark\"");
	b->description = bm_parse_str(c, doc, "description", "description");
	if (!b->description || !b->description[0])
		BM_ERR(c, "description",
		       "Benchmark description is required: add "
		       "description: \"what this benchmark builds\"");
	b->version = bm_parse_str(c, doc, "version", "version");
	b->project_name = bm_parse_str(c, doc, "project_name", "project_name");
	b->initial_prompt = bm_parse_str(c, doc, "initial_prompt",
					 "initial_prompt");
	b->model = bm_parse_str(c, doc, "model", "model");
	if (b->model && !cli_model_id_ok(b->model))
		BM_ERR(c, "model",
		       "expected a model id such as claude-sonnet-5-5 "
		       "(letters, digits, '.', '_', '-'; at most 128 bytes)");
	b->policy = bm_parse_str(c, doc, "policy", "policy");
	if (b->policy)
		confined(c, "policy", &b->policy, confine_policy);
	b->test_command = bm_parse_str(c, doc, "test_command", "test_command");
	b->timeout_seconds = bm_parse_int(c, doc, "timeout_seconds",
					  "timeout_seconds",
					  default_timeout(c->rules));
	if (given(doc, "timeout_seconds"))
		bm_parse_timeout(c, b->timeout_seconds, "timeout_seconds",
				 "Timeout");
	/* -1 is "not set" inside; a config saying -1 is out of range (a
	 * value of the wrong type is an error of its own, read as 0) */
	b->scale_level = bm_parse_int(c, doc, "scale_level", "scale_level", 0);
	if (b->scale_level < 0 || b->scale_level > 4)
		BM_ERR(c, "scale_level", "expected 0 to 4, got %lld",
		       (long long)b->scale_level);
	if (!given(doc, "scale_level") || b->scale_level < 0 ||
	    b->scale_level > 4)
		b->scale_level = -1;
	parse_boilerplate(c, doc);
	parse_constraints(c, doc);
	parse_criteria(c, doc);
}

static void
fill_defaults(struct benchmark *b)
{
	if (!b->name)
		b->name = strdup("unnamed");
	if (!b->description)
		b->description = strdup("");
	if (!b->version)
		b->version = strdup("1.0.0");
	if (!b->project_name)
		b->project_name = strdup(b->name);
	if (!b->initial_prompt)
		b->initial_prompt = strdup("");
	prompt_hash(b->initial_prompt, b->prompt_hash);
}

struct benchmark *
benchmark_load(const char *path, char *err, size_t errlen)
{
	return benchmark_load_rules(path, NULL, err, errlen);
}

struct benchmark *
benchmark_load_rules(const char *path, const struct confine_rules *rules,
		     char *err, size_t errlen)
{
	struct yamljson y;
	struct benchmark *b;
	struct bm_ctx c = { .prefix = "", .rules = rules };
	char *tmp, ph_path[600] = "";
	json_t *doc;

	if (yamljson_load(path, &y, err, errlen) < 0) {
		bm_text_explain_yaml_error(path, err, errlen);
		return NULL;
	}
	b = calloc(1, sizeof(*b));
	tmp = strdup(path);
	if (!b || !tmp) {
		snprintf(err, errlen, "%s: out of memory", path);
		free(b);
		free(tmp);
		yamljson_clear(&y);
		return NULL;
	}
	b->path = strdup(path);
	b->dir = strdup(dirname(tmp));
	free(tmp);
	b->errors = json_array();
	b->warnings = json_array();
	c.b = b;
	c.y = &y;
	doc = y.root;
	if (json_is_object(doc) &&
	    json_is_object(json_object_get(doc, "benchmark"))) {
		doc = json_object_get(doc, "benchmark");
		c.prefix = "benchmark.";
	}
	if (!json_is_object(doc)) {
		BM_ERR(&c, "", "a benchmark config must be a YAML mapping");
		fill_defaults(b);
		yamljson_clear(&y);
		return b;
	}
	b->config = json_incref(doc);
	bm_text_placeholders(&c, doc, ph_path, sizeof(ph_path));
	parse_top(&c, doc);
	parse_phases(&c, doc);
	b->mode = BM_MODE_PHASES;
	if (b->n_phases == 0) {
		bm_stories_parse(&c, doc);
		b->mode = BM_MODE_STORIES;
	}
	fill_defaults(b);
	if (b->n_phases == 0) {
		b->mode = BM_MODE_PROMPT;
		if (!b->initial_prompt[0])
			BM_ERR(&c, "",
			       "nothing to run: give initial_prompt, "
			       "workflow_phases or epics");
		else
			plan_prompt_only(b);
	}
	yamljson_clear(&y);
	free(c.text);
	return b;
}

void
benchmark_phase_clear(struct bm_phase *p)
{
	free(p->name);
	free(p->agent);
	free(p->description);
	free(p->command);
	free(p->story);
	free(p->epic);
	json_decref(p->expected_artifacts);
	json_decref(p->acceptance_criteria);
}

void
benchmark_free(struct benchmark *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n_phases; i++)
		benchmark_phase_clear(&b->phases[i]);
	free(b->phases);
	free(b->path);
	free(b->dir);
	free(b->name);
	free(b->description);
	free(b->version);
	free(b->project_name);
	free(b->initial_prompt);
	free(b->boilerplate_path);
	free(b->boilerplate_url);
	free(b->model);
	free(b->policy);
	free(b->test_command);
	json_decref(b->success_criteria);
	json_decref(b->config);
	json_decref(b->errors);
	json_decref(b->warnings);
	free(b);
}
