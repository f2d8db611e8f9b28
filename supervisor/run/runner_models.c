/*
 * runner_models.c - the models "sandbox run" will ask for, checked before
 * any API call: retired ones refused, the others' warnings said; and the
 * operator's model settings (the user config's model: and
 * thinking_budget:, --thinking-budget, the test clock).
 *
 * Design note
 * -----------
 * Each phase's model is known before the run: --model, else the agent
 * file's model:, else the config's model:, else the operator's default
 * (the user config's model:), else the model data's default; the same
 * order run_phase.c follows. A retired model (models.h: today on or after
 * its retirement date) is a usage error, exit 2, naming the config, the
 * phase, where the model was asked for, the date and a replacement, and
 * nothing is started: the API would refuse every call of it. Warnings
 * (deprecated, legacy, cache prices not published) go to stderr once per
 * model here, to the plan of --dry-run, and to each run's results.
 *
 * The thinking budget is constant for the invocation (every request of
 * every conversation carries the same thinking parameter, or none): the
 * API counts thinking in max_tokens, so the budget must be at least 1024
 * and below the per-request --max-output-tokens.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "supervisor/api/models.h"
#include "supervisor/config/agents.h"
#include "supervisor/config/yamljson.h"
#include "supervisor/run/runner_int.h"

/* The user config's model: and thinking_budget:. 0 or EXIT_USAGE. */
static int
user_settings(struct cli *c, struct models *m)
{
	char path[PATH_MAX];
	struct yamljson y;
	const json_t *v;
	int rc = runner_userconf_load(&y, path, sizeof(path));

	if (rc != 1)
		return rc;
	rc = 0;
	v = json_object_get(y.root, "model");
	if (v && !cli_model_id_ok(json_string_value(v))) {
		runner_say("gao-dev: %s: model: expected a model id such as "
			   "%s\n",
			   path, models_default(m));
		rc = EXIT_USAGE;
	} else if (v && models_set_default(m, json_string_value(v)) < 0) {
		rc = EXIT_INFRA;
	}
	v = json_object_get(y.root, "thinking_budget");
	if (rc == 0 && v && !c->thinking_budget) {
		if (json_is_integer(v) && json_integer_value(v) >= 1024 &&
		    json_integer_value(v) <= 1000000) {
			c->thinking_budget = json_integer_value(v);
		} else {
			runner_say("gao-dev: %s: thinking_budget: expected a "
				   "whole number of tokens from 1024 to "
				   "1000000\n",
				   path);
			rc = EXIT_USAGE;
		}
	}
	yamljson_clear(&y);
	return rc;
}

int
runner_models_setup(struct cli *c, struct models *m)
{
	int64_t max_out = c->max_output_tokens > 0 ?
				  c->max_output_tokens :
				  models_default_max_output(m);
	int rc;

	if (c->test_today && models_set_today(m, c->test_today) < 0) {
		runner_say("gao-dev: --test-today %s: expected a date "
			   "YYYY-MM-DD\n",
			   c->test_today);
		return EXIT_USAGE;
	}
	if (c->model && !cli_model_id_ok(c->model)) {
		runner_say("gao-dev: --model %s: expected a model id such as "
			   "%s\n",
			   c->model, models_default(m));
		return EXIT_USAGE;
	}
	rc = user_settings(c, m);
	if (rc == 0 && c->thinking_budget && c->thinking_budget >= max_out) {
		runner_say("gao-dev: thinking budget %lld is not below the "
			   "output limit %lld (--max-output-tokens): thinking "
			   "counts in max_tokens; lower --thinking-budget or "
			   "raise --max-output-tokens\n",
			   (long long)c->thinking_budget, (long long)max_out);
		rc = EXIT_USAGE;
	}
	return rc;
}

/* Phase k's model and where it was asked for. */
static const char *
phase_model(const struct runner *rn, const struct benchmark *b,
	    const struct agent_def *a, const char **from)
{
	if (rn->cli->model) {
		*from = "--model";
		return rn->cli->model;
	}
	if (a->model) {
		*from = "the agent file's model:";
		return a->model;
	}
	if (b->model) {
		*from = "the config's model:";
		return b->model;
	}
	*from = rn->env.models->user_default ? "the user config's model:" :
					       "the model data's default";
	return models_default(rn->env.models);
}

/* Add model's warnings to out, once an invocation (out's strings are
 * unique: a model's warnings begin with its name). */
static void
warn_once(const struct models *m, const char *model, json_t *out)
{
	json_t *w = json_array();
	const json_t *e, *o;
	size_t i, j;

	if (!w)
		return;
	models_warnings(m, model, w);
	json_array_foreach(w, i, e) {
		bool dup = false;

		json_array_foreach(out, j, o)
			dup = dup || json_equal(e, o);
		if (!dup)
			json_array_append(out, (json_t *)e);
	}
	json_decref(w);
}

int
runner_models_check(struct runner *rn, json_t *warnings)
{
	char why[400];
	int rc = 0;

	/* --model names the model of every agent, and of the key check */
	if (rn->cli->model &&
	    models_refusal(rn->env.models, rn->cli->model, why, sizeof(why))) {
		runner_say("gao-dev: --model: %s\n", why);
		return EXIT_USAGE;
	}
	for (int i = 0; i < rn->n_configs; i++) {
		const struct benchmark *b = rn->configs[i];

		for (size_t k = 0; k < b->n_phases; k++) {
			const struct agent_def *a =
				agents_find(rn->env.agents, b->phases[k].agent);
			const char *from, *model;

			if (!a || b->phases[k].command)
				continue;
			model = phase_model(rn, b, a, &from);
			if (models_refusal(rn->env.models, model, why,
					   sizeof(why))) {
				runner_say("%s: phase \"%s\" (agent %s): %s "
					   "(asked by %s): error\n",
					   b->path, b->phases[k].name, a->name,
					   why, from);
				rc = EXIT_USAGE;
				continue;
			}
			warn_once(rn->env.models, model, warnings);
		}
	}
	return rc;
}
