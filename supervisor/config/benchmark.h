/*
 * benchmark.h - a GAO-Dev benchmark config, loaded and validated.
 *
 * Design note
 * -----------
 * Reads both shapes (flat, or under a top-level "benchmark:" mapping) and
 * the older spellings (phases for workflow_phases, name for phase_name,
 * boilerplate.repo_url, success_criteria as a list). Every problem is
 * collected, each with file:line:column, the field, the value, what was
 * expected and a suggestion, before the caller does anything with side
 * effects. Unknown keys are warnings. The config's JSON tree is kept for
 * the results file.
 *
 * After loading, benchmark_plan() turns the config into the steps a run
 * executes: one agent session per phase (or per story step), in order.
 */
#ifndef GAO_SUPERVISOR_BENCHMARK_H
#define GAO_SUPERVISOR_BENCHMARK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "supervisor/config/confine.h"

struct bm_phase {
	char *name;
	char *agent; /* explicit or inferred from the name */
	bool agent_inferred;
	char *description;
	int64_t timeout_seconds;    /* 3600 */
	json_t *expected_artifacts; /* array of strings */
	bool skip_if_failed;
	bool continue_on_failure;
	char *command; /* run in the sandbox instead of an agent */
	/* story mode */
	json_t *acceptance_criteria;
	char *story; /* story name, NULL for phases */
	char *epic;
	bool is_validation; /* Murat's step: needs VERDICT: PASS */
};

enum bm_mode { BM_MODE_PHASES, BM_MODE_STORIES, BM_MODE_PROMPT };

struct benchmark {
	char *path; /* the config file */
	char *dir;  /* its directory (boilerplate_path base) */
	char *name;
	char *description;
	char *version;
	char *project_name;
	char *initial_prompt;
	char prompt_hash[72]; /* "sha256:<hex>" of the collapsed prompt */
	char *boilerplate_path;
	char *boilerplate_url;
	int64_t timeout_seconds; /* 7200 */
	int64_t scale_level;     /* -1 when unset */
	char *model;             /* config's model key, or NULL */
	char *policy;            /* config's policy key, or NULL */
	double max_cost_usd;     /* constraints.max_cost_usd, -1 unset */
	int64_t max_tokens;      /* constraints.max_tokens, -1 unset */
	char *test_command;      /* test_command key, or NULL */
	enum bm_mode mode;
	struct bm_phase *phases; /* the plan, after benchmark_load */
	size_t n_phases;
	json_t *success_criteria; /* normalized mapping */
	json_t *config;           /* the whole document, for results */
	json_t *errors;           /* array of strings */
	json_t *warnings;         /* array of strings */
};

/*
 * benchmark_load - read and validate path. Returns a benchmark even when it
 * has errors (b->errors non-empty: the caller reports them all and stops);
 * NULL only when the file cannot be parsed as YAML at all, with the
 * message in err. Free with benchmark_free().
 */
struct benchmark *benchmark_load(const char *path, char *err, size_t errlen);

/*
 * benchmark_load_rules - benchmark_load() under the operator's rules for
 * untrusted configs (confine.h: where boilerplate may come from, which
 * policy a config may name, the timeout ceiling); rules NULL means the
 * defaults, as benchmark_load(). boilerplate_path, a file://
 * boilerplate_url and a policy path come back resolved (canonical,
 * absolute); a field that breaks a rule is an error at its position and
 * is left NULL.
 */
struct benchmark *benchmark_load_rules(const char *path,
				       const struct confine_rules *rules,
				       char *err, size_t errlen);
void benchmark_free(struct benchmark *b);

/* Lower-case, every run of [^a-z0-9] turned into one '-', trimmed. */
void benchmark_slug(const char *in, char *out, size_t cap);

/* The agent GAO-Dev infers from a phase name (Amelia when unsure). */
const char *benchmark_infer_agent(const char *phase_name);

#endif
