/*
 * runner_key.c - the API key of "sandbox run": loaded from its sources,
 * then proved with one API call before any run starts.
 *
 * Design note
 * -----------
 * The key comes from secret.h's sources (option, key file, environment,
 * user config, .env) and stays in the secret module: this file only
 * hands the struct secret on. The probe, GET /v1/models/<model>, checks
 * the key and the model the runs will ask for in one call, so that a bad
 * key is exit 3 and an unknown model exit 2 before any directory is made
 * or any worker started.
 */
#include <limits.h>
#include <stdio.h>

#include "common/termesc.h"
#include "supervisor/api/api.h"
#include "supervisor/api/cost.h"
#include "supervisor/config/cli.h"
#include "supervisor/core/evlog.h"
#include "supervisor/core/loop.h"
#include "supervisor/core/secret.h"
#include "supervisor/run/runner_int.h"

int
runner_key_load(struct cli *c, struct secret **key)
{
	char cfgpath[PATH_MAX], err[1024];
	const char *source = "";
	struct secret_sources src = {
		.arg_key = c->api_key,
		.key_file = c->api_key_file,
		.allow_insecure = c->allow_insecure_key_file,
		.dotenv = ".env",
	};

	runner_userconf_path(cfgpath, sizeof(cfgpath));
	src.config_file = cfgpath;
	if (c->api_key)
		termesc_fprintf(stderr,
				"gao-dev: warning: --api-key is visible to "
				"other users in the process list; prefer "
				"--api-key-file\n");
	if (secret_load(&src, key, &source, err, sizeof(err)) < 0) {
		runner_say("gao-dev: %s\n", err);
		return EXIT_KEY;
	}
	evlog_emit(NULL, "info", "api_key_loaded",
		   json_pack("{s:s}", "source", source));
	return 0;
}

struct probe {
	struct loop *loop;
	enum api_outcome outcome;
	long status;
	char msg[600];
};

static void
on_probe(void *ctx, struct api_reply *r)
{
	struct probe *p = ctx;

	p->outcome = r->outcome;
	p->status = r->http_status;
	snprintf(p->msg, sizeof(p->msg), "%s: %s", r->error_type,
		 r->error_message);
	loop_stop(p->loop);
}

/* GET /v1/models/<model>: checks the key and the model in one call. */
int
runner_key_validate(struct runner *rn, const char *base, const char *model)
{
	struct probe p = { .loop = rn->env.loop, .outcome = API_E_CANCELLED };
	char path[300];

	snprintf(path, sizeof(path), "/v1/models/%s", model);
	if (!api_get(rn->env.api, path, NULL, on_probe, &p))
		return EXIT_INFRA;
	loop_run(rn->env.loop);
	switch (p.outcome) {
	case API_OK:
		return 0;
	case API_E_AUTH:
		runner_say("gao-dev: API key is invalid (HTTP 401)\n");
		return EXIT_KEY;
	case API_E_PERMISSION:
		runner_say("gao-dev: API key lacks permission (HTTP 403)\n");
		return EXIT_KEY;
	case API_E_CANCELLED:
		return EXIT_INTERRUPTED;
	case API_E_NOT_FOUND:
		runner_say("gao-dev: model %s is not known to the API; "
			   "choose another with --model\n",
			   model);
		return EXIT_USAGE;
	default:
		runner_say("gao-dev: cannot reach %s: %s\n", base, p.msg);
		return EXIT_INFRA;
	}
}

const char *
runner_key_first_model(const struct runner *rn)
{
	if (rn->cli->model)
		return rn->cli->model;
	for (int i = 0; i < rn->n_configs; i++)
		if (rn->configs[i]->model)
			return rn->configs[i]->model;
	return models_default(rn->env.models);
}
