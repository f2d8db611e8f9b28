/*
 * benchmark.c - load, validate and plan a GAO-Dev benchmark config. See
 * benchmark.h for the design note; the field table is docs/decisions.md
 * (Benchmark configs).
 *
 * gao-dev fills in no templates, so a config that still holds a template's
 * placeholder (a "{{...}}" in any string value, or a whole value "<...>")
 * was never finished: each one is an error at the placeholder's own line
 * and column. An unquoted "{{" is not even YAML (a flow mapping whose key
 * is a mapping); the YAML error then says so too.
 */
#include "supervisor/config/benchmark.h"

#include <ctype.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "supervisor/config/confine.h"
#include "supervisor/config/yamljson.h"

#define TIMEOUT_MAX 86400

#define TEXT_MAX (4 << 20) /* yamljson's limit on a config's size */

struct ctx {
	struct benchmark *b;
	const struct confine_rules *rules; /* the operator's, or NULL */
	struct yamljson *y;
	const char *prefix; /* "benchmark." in the wrapped shape */
	char *text;         /* the file's text, read when needed */
};

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
static void
field_pos(struct ctx *c, const char *path, int *line, int *col)
{
	char full[600];

	snprintf(full, sizeof(full), "%s%s", c->prefix, path);
	if (yamljson_pos(c->y, full, line, col) < 0)
		yamljson_pos(c->y, "", line, col);
}

static void
emit(struct ctx *c, json_t *list, int line, int col, const char *path,
     const char *msg)
{
	json_array_append_new(list,
			      json_sprintf("%s:%d:%d: %s: %s", c->b->path,
					   line ? line : 1, col ? col : 1,
					   path[0] ? path : "(document)", msg));
}

__attribute__((format(printf, 4, 5))) static void
finding(struct ctx *c, json_t *list, const char *path, const char *fmt, ...)
{
	char msg[1024];
	int line = 0, col = 0;
	va_list ap;

	field_pos(c, path, &line, &col);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	emit(c, list, line, col, path, msg);
}

#define ERR(c, path, ...) finding(c, (c)->b->errors, path, __VA_ARGS__)
#define WARN(c, path, ...) finding(c, (c)->b->warnings, path, __VA_ARGS__)

static bool
in_list(const char *k, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(k, *list) == 0)
			return true;
	return false;
}

/* A string field: NULL when absent or null; an error on another type. */
static char *
get_str(struct ctx *c, json_t *o, const char *key, const char *path)
{
	json_t *v = json_object_get(o, key);
	char buf[64];

	if (!v || json_is_null(v))
		return NULL;
	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (json_is_integer(v)) { /* version: 1 */
		snprintf(buf, sizeof(buf), "%lld",
			 (long long)json_integer_value(v));
		return strdup(buf);
	}
	if (json_is_real(v)) { /* version: 1.0 */
		snprintf(buf, sizeof(buf), "%g", json_real_value(v));
		return strdup(buf);
	}
	ERR(c, path, "expected a string, got %s; write it in quotes",
	    json_is_object(v) ? "a mapping" :
	    json_is_array(v)  ? "a list" :
				"a boolean");
	return NULL;
}

/* An integer field; def when absent; an error on another type. */
static int64_t
get_int(struct ctx *c, json_t *o, const char *key, const char *path,
	int64_t def)
{
	json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v))
		return def;
	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_real(v) &&
	    json_real_value(v) == (double)(int64_t)json_real_value(v))
		return (int64_t)json_real_value(v);
	ERR(c, path, "expected a whole number, got %s",
	    json_is_string(v) ? json_string_value(v) : "another type");
	return def;
}

static bool
get_bool(struct ctx *c, json_t *o, const char *key, const char *path, bool def)
{
	json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v))
		return def;
	if (json_is_boolean(v))
		return json_is_true(v);
	ERR(c, path, "expected true or false");
	return def;
}

static double
get_num(struct ctx *c, json_t *o, const char *key, const char *path, double def)
{
	json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v))
		return def;
	if (json_is_number(v))
		return json_number_value(v);
	ERR(c, path, "expected a number");
	return def;
}

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

static void
check_unknown(struct ctx *c, json_t *o, const char *const *known,
	      const char *path)
{
	const char *k;
	json_t *v;
	char p[300];

	json_object_foreach(o, k, v) {
		if (in_list(k, known))
			continue;
		snprintf(p, sizeof(p), "%s%s%s", path, path[0] ? "." : "", k);
		WARN(c, p, "unknown key, ignored (check the spelling)");
	}
}

static void
check_timeout(struct ctx *c, int64_t t, const char *path, const char *what)
{
	int64_t ceiling = confine_max_timeout(c->rules);

	if (t <= 0)
		ERR(c, path,
		    "%s must be positive: got %lld, expected 1 to %d "
		    "seconds",
		    what, (long long)t, TIMEOUT_MAX);
	else if (t > TIMEOUT_MAX)
		ERR(c, path,
		    "Timeout exceeds maximum of 86400s (24 hours): "
		    "got %lld; lower it to at most 86400",
		    (long long)t);
	else if (t > ceiling)
		ERR(c, path,
		    "%lld s is over the operator's ceiling of %lld s: lower "
		    "it, or raise the ceiling with --max-timeout S "
		    "(max_timeout: in the user config)",
		    (long long)t, (long long)ceiling);
	else if (t > 14400)
		WARN(c, path, "timeout of %lld s is over 4 hours",
		     (long long)t);
}

static void phase_clear(struct bm_phase *p);

/* Append *ph (ownership moves); on failure its members are freed. */
static int
add_phase(struct benchmark *b, struct bm_phase *ph)
{
	struct bm_phase *p = realloc(b->phases, (b->n_phases + 1) * sizeof(*p));

	if (!p) {
		phase_clear(ph);
		return -1;
	}
	b->phases = p;
	b->phases[b->n_phases++] = *ph;
	return 0;
}

static json_t *
string_list(struct ctx *c, json_t *o, const char *key, const char *path)
{
	json_t *v = json_object_get(o, key), *e;
	size_t i;

	if (!v || json_is_null(v))
		return json_array();
	if (json_is_string(v))
		return json_pack("[O]", v);
	if (!json_is_array(v)) {
		ERR(c, path, "expected a list of strings");
		return json_array();
	}
	json_array_foreach(v, i, e) {
		if (!json_is_string(e)) {
			ERR(c, path, "entry %zu is not a string", i);
			return json_array();
		}
	}
	return json_incref(v);
}

static void
parse_phase(struct ctx *c, json_t *o, size_t i, const char *list)
{
	struct bm_phase ph = { 0 };
	char path[256], fp[300];

	snprintf(path, sizeof(path), "%s[%zu]", list, i);
	if (!json_is_object(o)) {
		ERR(c, path, "a phase must be a mapping with phase_name");
		return;
	}
	check_unknown(c, o, phase_keys, path);
#define FP(k) (snprintf(fp, sizeof(fp), "%s.%s", path, k), fp)
	ph.name = get_str(c, o, "phase_name", FP("phase_name"));
	if (!ph.name)
		ph.name = get_str(c, o, "name", FP("name"));
	if (!ph.name || !ph.name[0]) {
		ERR(c, path,
		    "Phase name is required: add phase_name: "
		    "\"Implementation\"");
		free(ph.name);
		ph.name = strdup("unnamed");
	}
	ph.agent = get_str(c, o, "agent", FP("agent"));
	if (!ph.agent) {
		ph.agent = strdup(benchmark_infer_agent(ph.name));
		ph.agent_inferred = true;
	}
	ph.description = get_str(c, o, "description", FP("description"));
	ph.timeout_seconds = get_int(c, o, "timeout_seconds",
				     FP("timeout_seconds"), 3600);
	if (ph.timeout_seconds <= 0)
		ERR(c, FP("timeout_seconds"),
		    "Phase timeout must be positive: "
		    "got %lld",
		    (long long)ph.timeout_seconds);
	else if (json_object_get(o, "timeout_seconds"))
		check_timeout(c, ph.timeout_seconds, FP("timeout_seconds"),
			      "Phase timeout");
	ph.expected_artifacts = string_list(c, o, "expected_artifacts",
					    FP("expected_artifacts"));
	ph.skip_if_failed = get_bool(c, o, "skip_if_failed",
				     FP("skip_if_failed"), false);
	ph.continue_on_failure = get_bool(c, o, "continue_on_failure",
					  FP("continue_on_failure"), false);
	ph.command = get_str(c, o, "command", FP("command"));
#undef FP
	if (add_phase(c->b, &ph) < 0)
		ERR(c, path, "out of memory");
}

static void
parse_phases(struct ctx *c, json_t *doc)
{
	const char *key = json_object_get(doc, "workflow_phases") ?
				  "workflow_phases" :
				  "phases";
	json_t *list = json_object_get(doc, key), *o;
	size_t i;

	if (!list || json_is_null(list))
		return;
	if (!json_is_array(list)) {
		ERR(c, key, "expected a list of phases");
		return;
	}
	json_array_foreach(list, i, o)
		parse_phase(c, o, i, key);
}

/* What each step of a story asks: text, the spec file, more text. */
static const char *const story_steps[][4] = {
	{ "spec", "Bob", "Write the specification of this story to ",
	  ": the user value, the acceptance criteria as checkable "
	  "statements, and implementation notes. Do not implement it." },
	{ "implement", "Amelia", "Implement the story specified in ",
	  ", with tests, and run the tests until they pass." },
	{ "validate", "Murat", "Validate the implementation of the story in ",
	  " against its acceptance criteria: read the code, run the tests, "
	  "add missing ones. End your final answer with a line that is "
	  "exactly VERDICT: PASS or VERDICT: FAIL." },
};

/* Story mode: Bob writes the spec, Amelia implements, Murat validates. */
static void
plan_story(struct ctx *c, const char *epic, json_t *s, const char *path)
{
	char fp[400], slug[160], spec[200], *name = get_str(c, s, "name", path);
	char *impl = get_str(c, s, "agent", path);
	char *desc = get_str(c, s, "description", path);

	benchmark_slug(name ? name : "", slug, sizeof(slug));
	snprintf(spec, sizeof(spec), "docs/stories/%s.md", slug);
	for (size_t k = 0; name && k < 3; k++) {
		struct bm_phase ph = { 0 };
		char *task = NULL;

		ph.story = strdup(name);
		ph.epic = strdup(epic);
		if (asprintf(&ph.name, "%s %s %s", epic, name,
			     story_steps[k][0]) < 0)
			ph.name = NULL;
		ph.agent = strdup(k == 1 && impl ? impl : story_steps[k][1]);
		ph.is_validation = k == 2;
		if (asprintf(&task, "%s%s%s", story_steps[k][2], spec,
			     story_steps[k][3]) < 0)
			task = NULL;
		if (asprintf(&ph.description, "Story: %s\n%s\n\n%s", name,
			     desc ? desc : "", task ? task : "") < 0)
			ph.description = NULL;
		free(task);
		snprintf(fp, sizeof(fp), "%s.timeout_seconds", path);
		ph.timeout_seconds = get_int(c, s, "timeout_seconds", fp, 3600);
		if (k == 0 && ph.timeout_seconds <= 0)
			ERR(c, fp, "Phase timeout must be positive: got %lld",
			    (long long)ph.timeout_seconds);
		else if (k == 0 && json_object_get(s, "timeout_seconds"))
			check_timeout(c, ph.timeout_seconds, fp,
				      "Phase timeout");
		snprintf(fp, sizeof(fp), "%s.acceptance_criteria", path);
		ph.acceptance_criteria = string_list(c, s,
						     "acceptance_criteria", fp);
		ph.expected_artifacts = k == 0 ? json_pack("[s]", spec) :
						 json_array();
		if (add_phase(c->b, &ph) < 0)
			ERR(c, path, "out of memory");
	}
	if (!name)
		ERR(c, path, "a story needs a name");
	free(name);
	free(impl);
	free(desc);
}

struct story_ref {
	const char *epic;
	json_t *story;
	char path[300];
	bool done;
};

/* True when every dependency of st is already planned. */
static bool
deps_met(struct story_ref *all, size_t n, const struct story_ref *st)
{
	json_t *deps = json_object_get(st->story, "dependencies"), *d;
	size_t i;

	json_array_foreach(deps, i, d) {
		for (size_t k = 0; k < n; k++) {
			const char *nm = json_string_value(
				json_object_get(all[k].story, "name"));

			if (nm && json_is_string(d) &&
			    strcmp(nm, json_string_value(d)) == 0 &&
			    !all[k].done)
				return false;
		}
	}
	return true;
}

static bool
known_story(struct story_ref *all, size_t n, const char *name)
{
	for (size_t k = 0; k < n; k++) {
		const char *nm = json_string_value(
			json_object_get(all[k].story, "name"));

		if (nm && strcmp(nm, name) == 0)
			return true;
	}
	return false;
}

/* Plan the stories in dependency order (stable otherwise). */
static void
plan_stories(struct ctx *c, struct story_ref *all, size_t n)
{
	size_t planned = 0;
	bool progress = true;

	for (size_t k = 0; k < n; k++) {
		json_t *deps = json_object_get(all[k].story, "dependencies"),
		       *d;
		size_t i;

		json_array_foreach(deps, i, d)
			if (!json_is_string(d) ||
			    !known_story(all, n, json_string_value(d)))
				ERR(c, all[k].path,
				    "dependency %s is not a story "
				    "of this benchmark",
				    json_is_string(d) ? json_string_value(d) :
							"(not a string)");
	}
	while (planned < n && progress) {
		progress = false;
		for (size_t k = 0; k < n; k++) {
			if (all[k].done || !deps_met(all, n, &all[k]))
				continue;
			plan_story(c, all[k].epic, all[k].story, all[k].path);
			all[k].done = true;
			planned++;
			progress = true;
		}
	}
	if (planned < n)
		ERR(c, "epics", "the story dependencies form a cycle");
}

static void
parse_epics(struct ctx *c, json_t *doc)
{
	json_t *epics = json_object_get(doc, "epics"), *e, *s;
	struct story_ref *all = NULL, *p;
	char path[256];
	size_t i, j, n = 0;

	if (!epics || json_is_null(epics))
		return;
	if (!json_is_array(epics)) {
		ERR(c, "epics", "expected a list of epics");
		return;
	}
	json_array_foreach(epics, i, e) {
		json_t *stories = json_object_get(e, "stories");
		const char *en = json_string_value(json_object_get(e, "name"));

		snprintf(path, sizeof(path), "epics[%zu]", i);
		if (!json_is_object(e) || !en || !json_is_array(stories)) {
			ERR(c, path,
			    "an epic needs a name and a list of "
			    "stories");
			continue;
		}
		json_array_foreach(stories, j, s) {
			p = realloc(all, (n + 1) * sizeof(*all));
			if (!p)
				break;
			all = p;
			all[n] = (struct story_ref){ .epic = en, .story = s };
			snprintf(all[n].path, sizeof(all[n].path),
				 "%s.stories[%zu]", path, j);
			if (!json_is_object(s))
				ERR(c, all[n].path,
				    "a story must be a mapping");
			else
				n++;
		}
	}
	plan_stories(c, all, n);
	free(all);
}

/* success_criteria: a mapping, or the older list of {name, type, ...}. */
static void
parse_criteria(struct ctx *c, json_t *doc)
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
		ERR(c, "success_criteria", "expected a mapping");
		c->b->success_criteria = json_object();
		return;
	}
	c->b->success_criteria = json_deep_copy(sc);
	cov = get_num(c, sc, "min_test_coverage",
		      "success_criteria.min_test_coverage", 80.0);
	if (cov < 0 || cov > 100)
		ERR(c, "success_criteria.min_test_coverage",
		    "Test coverage "
		    "must be between 0 and 100: got %g",
		    cov);
	v = json_object_get(sc, "max_errors");
	if (json_is_integer(v) && json_integer_value(v) < 0)
		ERR(c, "success_criteria.max_errors",
		    "Cannot be negative: "
		    "got %lld",
		    (long long)json_integer_value(v));
	v = json_object_get(sc, "max_manual_interventions");
	if (json_is_integer(v) && json_integer_value(v) < 0)
		ERR(c, "success_criteria.max_manual_interventions",
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
confined(struct ctx *c, const char *path, char **field,
	 int (*check)(const struct confine_rules *, const char *, const char *,
		      char **, char *, size_t))
{
	char why[1024], *res = NULL;

	if (check(c->rules, c->b->dir, *field, &res, why, sizeof(why)) < 0) {
		ERR(c, path, "%s", why);
		free(*field);
		*field = NULL;
		return;
	}
	free(*field);
	*field = res;
}

static void
parse_boilerplate(struct ctx *c, json_t *doc)
{
	struct benchmark *b = c->b;
	json_t *old = json_object_get(doc, "boilerplate");
	const char *url_path = "boilerplate_url";

	b->boilerplate_url = get_str(c, doc, "boilerplate_url",
				     "boilerplate_url");
	if (!b->boilerplate_url && json_is_object(old)) {
		b->boilerplate_url = get_str(c, old, "repo_url",
					     "boilerplate.repo_url");
		url_path = "boilerplate.repo_url";
	}
	if (b->boilerplate_url && !url_ok(b->boilerplate_url))
		ERR(c, url_path,
		    "Invalid URL format: got \"%s\", "
		    "expected http(s)://, git@ or file://",
		    b->boilerplate_url);
	else if (b->boilerplate_url &&
		 strncmp(b->boilerplate_url, "file://", 7) == 0)
		confined(c, url_path, &b->boilerplate_url, confine_file_url);
	b->boilerplate_path = get_str(c, doc, "boilerplate_path",
				      "boilerplate_path");
	if (b->boilerplate_path)
		confined(c, "boilerplate_path", &b->boilerplate_path,
			 confine_boilerplate);
	if (b->boilerplate_path && access(b->boilerplate_path, R_OK) < 0)
		WARN(c, "boilerplate_path",
		     "boilerplate path %s does not "
		     "exist; the project starts empty",
		     b->boilerplate_path);
}

static void
parse_constraints(struct ctx *c, json_t *doc)
{
	json_t *k = json_object_get(doc, "constraints");
	int64_t t;

	c->b->max_cost_usd = -1;
	c->b->max_tokens = -1;
	if (!json_is_object(k))
		return;
	c->b->max_cost_usd = get_num(c, k, "max_cost_usd",
				     "constraints.max_cost_usd", -1);
	c->b->max_tokens = get_int(c, k, "max_tokens", "constraints.max_tokens",
				   -1);
	t = get_int(c, k, "timeout_seconds", "constraints.timeout_seconds", 0);
	if (t > 0)
		check_timeout(c, t, "constraints.timeout_seconds", "Timeout");
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

		add_phase(b, &ph);
	}
}

/* ---- placeholders left from a template ------------------------------ */

/*
 * The template placeholder in s, into out: the first "{{...}}" on one
 * line, or the whole value (spaces aside) when it is "<words>" (a word or
 * a few: "<my-benchmark>", not "<a href=...>" or "GET /hello/<name>").
 */
static bool
placeholder(const char *s, char *out, size_t cap)
{
	const char *a, *z;
	size_t n;

	for (a = strstr(s, "{{"); a; a = strstr(a + 2, "{{")) {
		z = strstr(a + 2, "}}");
		if (z && !memchr(a, '\n', (size_t)(z - a))) {
			snprintf(out, cap, "%.*s", (int)(z + 2 - a), a);
			return true;
		}
	}
	s += strspn(s, " \t\n");
	n = strlen(s);
	while (n && strchr(" \t\n", s[n - 1]))
		n--;
	if (n < 3 || s[0] != '<' || s[n - 1] != '>' ||
	    !isalpha((unsigned char)s[1]))
		return false;
	for (size_t i = 1; i < n - 1; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr(" _-.", s[i]))
			return false;
	snprintf(out, cap, "%.*s", (int)n, s);
	return true;
}

/* The file's text (NUL-terminated, malloc'ed), or NULL. */
static char *
read_text(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = f ? malloc(TEXT_MAX + 1) : NULL;
	size_t n = 0;

	if (buf)
		n = fread(buf, 1, TEXT_MAX, f);
	if (f)
		fclose(f);
	if (buf)
		buf[n] = 0;
	return buf;
}

/* The start of line number line (1-based) of text, or NULL. */
static const char *
line_start(const char *text, int line)
{
	for (int i = 1; text && i < line; i++) {
		text = strchr(text, '\n');
		if (text)
			text++;
	}
	return text;
}

/*
 * Where needle first occurs in the file at or after line *line: its line
 * and column (in characters, as YAML counts them); unchanged if nowhere.
 */
static void
text_pos(struct ctx *c, const char *needle, int *line, int *col)
{
	const char *bol, *hit, *nl;
	int l = *line, n = 1;

	if (!c->text)
		c->text = read_text(c->b->path);
	bol = line_start(c->text, l);
	hit = bol ? strstr(bol, needle) : NULL;
	if (!hit)
		return;
	for (nl = strchr(bol, '\n'); nl && nl < hit; nl = strchr(bol, '\n')) {
		bol = nl + 1;
		l++;
	}
	for (const char *p = bol; p < hit; p++)
		n += ((unsigned char)*p & 0xc0) != 0x80;
	*line = l;
	*col = n;
}

static void
report_placeholder(struct ctx *c, const char *path, const char *ph)
{
	char msg[400];
	int line = 0, col = 0;

	field_pos(c, path, &line, &col);
	text_pos(c, ph, &line, &col);
	snprintf(msg, sizeof(msg),
		 "template placeholder \"%.80s\" was never "
		 "filled in: replace it with the real value (gao-dev does not "
		 "fill in templates)",
		 ph);
	emit(c, c->b->errors, line, col, path, msg);
}

/* Every string value below v (its path in path, of size cap). */
static void
check_placeholders(struct ctx *c, json_t *v, char *path, size_t cap)
{
	size_t base = strlen(path), i;
	const char *k;
	char ph[128];
	json_t *e;

	if (json_is_string(v) &&
	    placeholder(json_string_value(v), ph, sizeof(ph)))
		report_placeholder(c, path, ph);
	json_object_foreach(v, k, e) {
		snprintf(path + base, cap - base, "%s%s", base ? "." : "", k);
		check_placeholders(c, e, path, cap);
	}
	json_array_foreach(v, i, e) {
		snprintf(path + base, cap - base, "[%zu]", i);
		check_placeholders(c, e, path, cap);
	}
	path[base] = 0;
}

/*
 * A YAML error on a line that holds "{{...}}": say it is a placeholder.
 * err is "path:line:column: message".
 */
static void
explain_yaml_error(const char *path, char *err, size_t errlen)
{
	size_t len = strlen(path), used = strlen(err);
	char *text, ph[128];
	const char *bol, *eol;
	int line;

	if (strncmp(err, path, len) != 0 || err[len] != ':')
		return;
	line = (int)strtol(err + len + 1, NULL, 10); /* 0 when none */
	text = read_text(path);
	bol = line > 0 ? line_start(text, line) : NULL;
	eol = bol ? strchrnul(bol, '\n') : NULL;
	if (eol)
		*(char *)eol = 0;
	if (bol && strstr(bol, "{{") && placeholder(bol, ph, sizeof(ph)))
		snprintf(err + used, errlen - used,
			 "; this line holds the "
			 "template placeholder \"%.80s\": replace it with the "
			 "real value (gao-dev does not fill in templates)",
			 ph);
	free(text);
}

static void
parse_top(struct ctx *c, json_t *doc)
{
	struct benchmark *b = c->b;

	check_unknown(c, doc, top_keys, "");
	b->name = get_str(c, doc, "name", "name");
	if (!b->name || !b->name[0])
		ERR(c, "name",
		    "Benchmark name is required: add name: "
		    "\"my-benchmark\"");
	b->description = get_str(c, doc, "description", "description");
	if (!b->description || !b->description[0])
		ERR(c, "description",
		    "Benchmark description is required: add "
		    "description: \"what this benchmark builds\"");
	b->version = get_str(c, doc, "version", "version");
	b->project_name = get_str(c, doc, "project_name", "project_name");
	b->initial_prompt = get_str(c, doc, "initial_prompt", "initial_prompt");
	b->model = get_str(c, doc, "model", "model");
	b->policy = get_str(c, doc, "policy", "policy");
	if (b->policy)
		confined(c, "policy", &b->policy, confine_policy);
	b->test_command = get_str(c, doc, "test_command", "test_command");
	b->timeout_seconds = get_int(c, doc, "timeout_seconds",
				     "timeout_seconds", 7200);
	check_timeout(c, b->timeout_seconds, "timeout_seconds", "Timeout");
	b->scale_level = get_int(c, doc, "scale_level", "scale_level", -1);
	if (b->scale_level < -1 || b->scale_level > 4)
		ERR(c, "scale_level", "expected 0 to 4, got %lld",
		    (long long)b->scale_level);
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
	struct ctx c = { .prefix = "", .rules = rules };
	char *tmp, ph_path[600] = "";
	json_t *doc;

	if (yamljson_load(path, &y, err, errlen) < 0) {
		explain_yaml_error(path, err, errlen);
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
		ERR(&c, "", "a benchmark config must be a YAML mapping");
		fill_defaults(b);
		yamljson_clear(&y);
		return b;
	}
	b->config = json_incref(doc);
	check_placeholders(&c, doc, ph_path, sizeof(ph_path));
	parse_top(&c, doc);
	parse_phases(&c, doc);
	b->mode = BM_MODE_PHASES;
	if (b->n_phases == 0) {
		parse_epics(&c, doc);
		b->mode = BM_MODE_STORIES;
	}
	fill_defaults(b);
	if (b->n_phases == 0) {
		b->mode = BM_MODE_PROMPT;
		if (!b->initial_prompt[0])
			ERR(&c, "",
			    "nothing to run: give initial_prompt, "
			    "workflow_phases or epics");
		else
			plan_prompt_only(b);
	}
	yamljson_clear(&y);
	free(c.text);
	return b;
}

static void
phase_clear(struct bm_phase *p)
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
		phase_clear(&b->phases[i]);
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
