/*
 * runner.c - "sandbox run" and "sandbox validate": load and validate
 * every config, then in order the key, the data files and the sandbox
 * root, then start runs (--jobs at once, --repeat times each) on one
 * event loop and pick the exit code.
 *
 * Design note
 * -----------
 * Everything that can be wrong before a side effect is checked first, in
 * this order: the configs (exit 2), the key (exit 3), the data files and
 * the worker binary (exit 4). Only then are directories created and the
 * API called. With several runs the exit code is the first of 130, 3, 2,
 * 4, 5, 1, 0 that any run produced (docs/decisions.md). Signals arrive
 * through a signalfd on the loop: the runs are cancelled, their workers
 * killed and their results written with status "cancelled".
 *
 * --junit PATH is probed first of all (exit 2, nothing else done); from
 * then on the file is written at the end whatever happened: from the
 * runs' results, or, when no run started, one error saying why (the
 * first error printed, kept by runner_say()).
 *
 * --shard I/N runs only the slots shard.h assigns to shard I (the others
 * are counted finished at once and take no part in the summary, the exit
 * code or the JUnit file) and writes the shard's manifest at the end.
 *
 * This file is the order of the steps and the loop that starts runs; the
 * steps themselves are in runner_*.c (runner_int.h lists them).
 */
#include "supervisor/run/runner.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/termesc.h"
#include "supervisor/agent/web.h"
#include "supervisor/api/api.h"
#include "supervisor/api/cost.h"
#include "supervisor/config/agents.h"
#include "supervisor/config/benchmark.h"
#include "supervisor/core/child.h"
#include "supervisor/core/datadir.h"
#include "supervisor/core/evlog.h"
#include "supervisor/core/secret.h"
#include "supervisor/out/junit.h"
#include "supervisor/out/progress.h"
#include "supervisor/run/boilerplate.h"
#include "supervisor/run/record_replay.h"
#include "supervisor/run/run.h"
#include "supervisor/run/runner_int.h"
#include "supervisor/run/shard.h"

static void
print_findings(const struct benchmark *b)
{
	json_t *e;
	size_t i;

	json_array_foreach(b->errors, i, e)
		runner_say("%s: error\n", json_string_value(e));
	json_array_foreach(b->warnings, i, e)
		termesc_fprintf(stderr, "%s: warning\n", json_string_value(e));
}

/* Load every config; 0 when all are valid, else EXIT_USAGE. */
static int
load_configs(struct runner *rn)
{
	struct cli *c = rn->cli;
	int bad = runner_userconf_check();
	char err[1024];

	if (!bad)
		bad = runner_userconf_rules(c, &rn->rules, rn->bp_root,
					    sizeof(rn->bp_root));

	/* the operator's rules come first: every config is read under them */
	if (bad)
		return bad;
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
	rn->configs = calloc((size_t)c->n_args, sizeof(*rn->configs));
	if (!rn->configs)
		return EXIT_INFRA;
	rn->n_configs = 0; /* the count of non-null rn->configs from here */
	for (int i = 0; i < c->n_args; i++) {
		struct benchmark *b = benchmark_load_rules(c->args[i],
							   &rn->rules, err,
							   sizeof(err));

		if (!b) {
			runner_say("%s: error\n", err);
			bad = 1;
			continue;
		}
		rn->configs[rn->n_configs++] = b;
		print_findings(b);
		if (json_array_size(b->errors))
			bad = 1;
	}
	return bad ? EXIT_USAGE : 0;
}

static int check_agents(struct runner *rn);
static int check_models(struct runner *rn, struct models *m);
static void print_model_warnings(const struct runner *rn, FILE *f);

int
runner_validate(struct cli *c)
{
	struct runner rn = { .cli = c };
	struct agents agents = { 0 };
	struct models models = { 0 };
	char err[1024];
	int rc;

	rc = load_configs(&rn);
	if (agents_load(&agents, c->agents_dir, err, sizeof(err)) < 0) {
		runner_say("gao-dev: %s\n", err);
		rc = EXIT_USAGE;
	} else {
		rn.env.agents = &agents;
		if (check_agents(&rn))
			rc = EXIT_USAGE;
	}
	if (models_load(&models, err, sizeof(err)) < 0) {
		runner_say("gao-dev: %s\n", err);
		rc = rc ? rc : EXIT_INFRA;
	} else if (rn.env.agents) {
		rn.env.models = &models;
		if (check_models(&rn, &models))
			rc = rc ? rc : EXIT_USAGE;
		print_model_warnings(&rn, stderr);
	}

	for (int i = 0; rn.configs && i < rn.n_configs; i++) {
		struct benchmark *b = rn.configs[i];
		size_t n_err = b ? json_array_size(b->errors) : 0;

		if (!b)
			continue;
		termesc_fprintf(stdout, "%s: %s (%zu errors, %zu warnings)\n",
				b->path, n_err ? "invalid" : "valid", n_err,
				json_array_size(b->warnings));
		benchmark_free(b);
	}
	free(rn.configs);
	agents_clear(&agents);
	json_decref(rn.model_warnings);
	models_clear(&models);
	return rc;
}

/* The web settings (runner_web.c) and, with --web, data/web.json. */
static int
load_web(struct runner *rn)
{
	struct web_data *d = NULL;
	char err[1024];
	int rc = runner_web_settings(rn->cli, &rn->env.web);

	if (rc != 0 || !rn->env.web.on)
		return rc;
	if (web_data_load(&d, err, sizeof(err)) < 0) {
		runner_say("gao-dev: %s\n", err);
		return EXIT_INFRA;
	}
	rn->env.web_data = d;
	return 0;
}

/* The tools an agent gets: WebSearch/WebFetch only with --web. */
static void
print_tools(const struct agent_def *a, bool web_on)
{
	bool first = true, web = false;

	for (size_t t = 0; t < json_array_size(a->tools); t++) {
		const char *n = json_string_value(json_array_get(a->tools, t));

		if (!web_on &&
		    (!strcmp(n, "WebSearch") || !strcmp(n, "WebFetch"))) {
			web = true;
			continue;
		}
		termesc_fprintf(stdout, "%s%s", first ? "" : ",", n);
		first = false;
	}
	termesc_fprintf(stdout, "%s\n",
			web ? " (WebSearch/WebFetch left out: no --web)" : "");
}

/* The plan's web line: on (domains, maximum) or off. */
static void
print_web(const struct runner *rn)
{
	const struct webopt *w = &rn->env.web;
	char *domains = w->on ? webopt_domains_text(w) : NULL;

	if (!w->on)
		printf("web tools: off (--web and --web-domains turn them "
		       "on)\n");
	else
		termesc_fprintf(stdout,
				"web tools: on (server tools %s), domains %s, "
				"max uses %d per run, %d per request\n",
				"WebSearch/WebFetch", domains ? domains : "?",
				w->max_uses,
				web_per_request(rn->env.web_data, w));
	free(domains);
}

static void
print_plan(const struct runner *rn)
{
	for (int i = 0; i < rn->n_configs; i++) {
		const struct benchmark *b = rn->configs[i];

		termesc_fprintf(stdout, "%s: %s, %zu step(s), timeout %lld s\n",
				b->path, b->name, b->n_phases,
				(long long)b->timeout_seconds);
		for (size_t k = 0; k < b->n_phases; k++) {
			const struct agent_def *a =
				agents_find(rn->env.agents, b->phases[k].agent);

			termesc_fprintf(stdout, "  %2zu. %-30s %-8s%s ", k + 1,
					b->phases[k].name, b->phases[k].agent,
					b->phases[k].agent_inferred ?
						" (inferred)" :
						"");
			if (b->phases[k].command) {
				termesc_fprintf(stdout, "command: %s\n",
						b->phases[k].command);
				continue;
			}
			if (!a) {
				termesc_fprintf(stdout, "UNKNOWN AGENT\n");
				continue;
			}
			termesc_fprintf(stdout, "policy %s, tools: ",
					rn->cli->policy ? rn->cli->policy :
					b->policy       ? b->policy :
					agents_has_tool(a, "Bash") ? "default" :
								     "strict");
			print_tools(a, rn->env.web.on);
		}
	}
	termesc_fprintf(
		stdout,
		"limits: max-turns %d, max-cost-usd %.2f%s, max-tokens %lld\n",
		rn->cli->max_turns, rn->cli->max_cost_usd,
		rn->cli->max_cost_usd > 0 ? "" : " (none)",
		(long long)rn->cli->max_tokens);
	if (rn->cli->thinking_budget)
		printf("thinking: budget_tokens %lld in every request (part of "
		       "max-output-tokens)\n",
		       (long long)rn->cli->thinking_budget);
	else
		printf("thinking: no thinking parameter sent\n");
	printf("run totals: max-memory %llu, max-disk %llu, max-files %llu "
	       "(user config values apply at run time)\n",
	       (unsigned long long)rn->cli->max_memory,
	       (unsigned long long)rn->cli->max_disk,
	       (unsigned long long)rn->cli->max_files);
	print_web(rn);
}

/* gao-dev-worker, found as datadir.h says (the environment, next to the
 * executable as installed, the build tree, the configured libexecdir). */
static int
open_worker(char *err, size_t errlen)
{
	char path[PATH_MAX + 256];
	int fd;

	if (datadir_worker(path, sizeof(path)) < 0) {
		snprintf(err, errlen, "%.900s", path);
		return -1;
	}
	fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0)
		snprintf(err, errlen, "%s%.900s: %s",
			 getenv("GAO_DEV_WORKER") ? "GAO_DEV_WORKER=" : "",
			 path, strerror(errno));
	return fd;
}

/*
 * Now that the key is known: no config's boilerplate_path may hold it or
 * be a file it came from. Checked before any side effect (exit 2); the
 * copy itself checks again (boilerplate.h).
 */
static int
check_templates(const struct runner *rn)
{
	char err[1024];
	int rc = 0;

	for (int i = 0; i < rn->n_configs; i++) {
		const struct benchmark *b = rn->configs[i];
		const char *u = b->boilerplate_url;
		/* a local repository's work tree: the clone checks again */
		const char *src = b->boilerplate_path ? b->boilerplate_path :
				  u && !strncmp(u, "file://", 7) ? u + 7 :
								   NULL;

		if (!src || access(src, F_OK) != 0 ||
		    boilerplate_check(src, err, sizeof(err)) == 0)
			continue;
		runner_say("%s: %s: %s: error\n", b->path,
			   b->boilerplate_path ? "boilerplate_path" :
						 "boilerplate_url",
			   err);
		rc = EXIT_USAGE;
	}
	return rc;
}

static void start_more(struct runner *rn);

static void
on_run_done(void *ctx, struct run *r)
{
	struct runner *rn = ctx;
	int slot = 0;

	while (slot < rn->n_slots && rn->runs[slot] != r)
		slot++;
	if (slot < rn->n_slots)
		runner_end_run(rn, slot, r);
	rn->active--;
	rn->finished++;
	start_more(rn);
	if (rn->finished == rn->n_slots || (rn->interrupted && !rn->active))
		loop_stop(rn->env.loop);
}

static void
start_more(struct runner *rn)
{
	char err[1024];

	while (!rn->interrupted && rn->active < rn->cli->jobs &&
	       rn->next_slot < rn->n_slots) {
		int slot = rn->next_slot++;
		struct benchmark *b = rn->configs[slot % rn->n_configs];

		if (!shard_slot_mine(&rn->shard, slot)) {
			rn->finished++;
			continue;
		}
		rn->runs[slot] = run_start(&rn->env, b, slot / rn->n_configs,
					   on_run_done, rn, err, sizeof(err));
		if (!rn->runs[slot]) {
			runner_say("gao-dev: %s: %s\n", b->path, err);
			runner_end_not_started(rn, slot, b, err);
			rn->finished++;
			continue;
		}
		rn->active++;
	}
	if (rn->finished == rn->n_slots)
		loop_stop(rn->env.loop);
}

/* Every phase's agent must exist; problems join the config's errors. */
static int
check_agents(struct runner *rn)
{
	int bad = 0;

	for (int i = 0; i < rn->n_configs; i++) {
		struct benchmark *b = rn->configs[i];

		for (size_t k = 0; k < b->n_phases; k++) {
			if (agents_find(rn->env.agents, b->phases[k].agent))
				continue;
			json_array_append_new(
				b->errors,
				json_sprintf(
					"%s: phase \"%s\": unknown agent \"%s\"; "
					"built-in agents are Mary, John, Winston, Sally, "
					"Bob, Amelia, Murat, Brian (or add one with "
					"--agents-dir)",
					b->path, b->phases[k].name,
					b->phases[k].agent));
			runner_say("%s: error\n",
				   json_string_value(json_array_get(
					   b->errors,
					   json_array_size(b->errors) - 1)));
			bad = 1;
		}
	}
	return bad ? EXIT_USAGE : 0;
}

/* --shard: the unit list must be unique (exit 2); what the manifest says. */
static int
shard_setup(struct runner *rn, const struct models *m)
{
	char err[1200];

	rn->shard = (struct shard_inv){
		.i = rn->cli->shard_i,
		.n = rn->cli->shard_n,
		.configs = rn->configs,
		.n_configs = rn->n_configs,
		.repeat = rn->cli->repeat,
		.model = runner_key_first_model(rn),
		.api_version = rn->api_version,
		.price_date = models_price_date(m),
		.policy = rn->cli->policy,
	};
	if (!rn->shard.n ||
	    shard_check_names(&rn->shard, err, sizeof(err)) == 0)
		return 0;
	runner_say("gao-dev: %s\n", err);
	return EXIT_USAGE;
}

/*
 * --record/--replay opened (exit 2 when unusable), then the key, which a
 * replay neither needs nor loads (it sends nothing).
 */
static int
open_recording_and_key(struct runner *rn, struct secret **key)
{
	char err[PATH_MAX + 400];
	int rc;

	rc = record_replay_open(rn->cli, rn->configs, rn->n_configs, &rn->rec,
				err, sizeof(err));
	if (rc) {
		runner_say("gao-dev: %s\n", err);
		return rc;
	}
	return rn->cli->replay ? 0 : runner_key_load(rn->cli, key);
}

/* Every run (slot) to its end on the loop, then the summaries: the
 * invocation's exit code. */
static int
run_all(struct runner *rn, const char *root)
{
	int rc;

	rn->n_slots = rn->n_configs * rn->cli->repeat;
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): pointers */
	rn->runs = calloc((size_t)rn->n_slots, sizeof(*rn->runs));
	rn->ends = calloc((size_t)rn->n_slots, sizeof(*rn->ends));
	if (!rn->runs || !rn->ends) {
		rn->n_slots = 0; /* cleanup walks none */
		return EXIT_INFRA;
	}
	progress_start(rn->env.loop);
	start_more(rn);
	if (rn->active)
		loop_run(rn->env.loop);
	progress_stop();
	runner_report_summaries(rn);
	rc = runner_report_aggregate(rn);
	if (rn->shard.n)
		rc = runner_report_manifest(rn, root, rc);
	return rc;
}

/* The recording's last line, and exit 4 when it lost a write. */
static int
close_recording(struct runner *rn, int rc)
{
	char line[PATH_MAX + 200], err[PATH_MAX + 400] = "";

	rc = record_replay_close(rn->rec, !rn->interrupted, rc, line,
				 sizeof(line), err, sizeof(err));
	rn->rec = NULL;
	if (line[0])
		termesc_fprintf(stdout, "%s\n", line);
	if (err[0])
		runner_say("gao-dev: %s\n", err);
	return rc;
}

static void
cleanup(struct runner *rn, struct models *m, struct agents *ag)
{
	for (int i = 0; i < rn->n_slots; i++)
		run_free(rn->runs[i]);
	free(rn->runs);
	runner_end_free(rn);
	for (int i = 0; i < rn->n_configs; i++)
		benchmark_free(rn->configs[i]);
	free(rn->configs);
	api_free(rn->env.api);
	/* every worker and sweep helper a run stopped is reaped before exit:
	 * nothing a run started outlives gao-dev */
	if (rn->env.loop)
		child_drain(rn->env.loop);
	loop_free(rn->env.loop);
	if (rn->env.worker_fd > 0)
		close(rn->env.worker_fd);
	if (rn->sigfd > 0)
		close(rn->sigfd);
	json_decref(rn->model_warnings);
	models_clear(m);
	agents_clear(ag);
	webopt_clear(&rn->env.web);
	web_data_free((struct web_data *)rn->env.web_data);
	rn->env.web_data = NULL;
}

/* The operator's model settings, then every phase's model: a retired
 * one is exit 2 before any call (runner_models.c). */
static int
check_models(struct runner *rn, struct models *m)
{
	int rc = runner_models_setup(rn->cli, m);

	rn->model_warnings = json_array();
	if (!rn->model_warnings)
		return EXIT_INFRA;
	return rc ? rc : runner_models_check(rn, rn->model_warnings);
}

/* The models' warnings: the plan's lines, or stderr before a run. */
static void
print_model_warnings(const struct runner *rn, FILE *f)
{
	const json_t *w;
	size_t i;

	json_array_foreach(rn->model_warnings, i, w)
		termesc_fprintf(f, "%swarning: %s\n",
				f == stdout ? "" : "gao-dev: ",
				json_string_value(w));
}

int
runner_run(struct cli *c)
{
	struct runner rn = { .cli = c, .sigfd = -1 };
	struct models models = { 0 };
	struct agents agents = { 0 };
	struct secret *key = NULL;
	char err[1024], root[PATH_MAX];
	int rc;

	rn.env.worker_fd = -1;
	/* before anything else: a path that cannot take the file is a
	 * usage error, and no API call, no run */
	if (c->junit && junit_check_path(c->junit, err, sizeof(err)) < 0) {
		termesc_fprintf(stderr, "gao-dev: %s\n", err);
		return EXIT_USAGE;
	}
	progress_setup(c->standalone, c->no_progress);
	rc = load_configs(&rn);
	if (rc == 0 &&
	    (models_load(&models, err, sizeof(err)) < 0 ||
	     agents_load(&agents, c->agents_dir, err, sizeof(err)) < 0)) {
		runner_say("gao-dev: %s\n", err);
		rc = c->agents_dir ? EXIT_USAGE : EXIT_INFRA;
	}
	rn.env.models = &models;
	rn.env.agents = &agents;
	if (rc == 0)
		rc = check_agents(&rn);
	if (rc == 0)
		rc = check_models(&rn, &models);
	if (rc == 0)
		rc = shard_setup(&rn, &models);
	if (rc == 0)
		rc = load_web(&rn);
	if (rc == 0 && c->dry_run) {
		print_plan(&rn);
		print_model_warnings(&rn, stdout);
		goto out;
	}
	if (rc == 0)
		print_model_warnings(&rn, stderr);
	if (rc == 0)
		rc = runner_userconf_api_version(c, rn.api_version,
						 sizeof(rn.api_version));
	if (rc == 0)
		rc = runner_userconf_caps(c);
	if (rc == 0)
		rc = runner_userconf_idle_timeout(c);
	if (rc == 0)
		rc = open_recording_and_key(&rn, &key);
	if (rc == 0)
		rc = check_templates(&rn);
	if (rc == 0) {
		rn.env.worker_fd = open_worker(err, sizeof(err));
		if (rn.env.worker_fd < 0) {
			runner_say("gao-dev: %s\n", err);
			rc = EXIT_INFRA;
		}
	}
	if (rc == 0)
		rc = runner_env_make_root(c->sandbox_root, !c->no_namespaces,
					  root, sizeof(root));
	if (rc == 0)
		rc = runner_env_check_memory_cap(c);
	if (rc == 0)
		rc = runner_env_prepare(&rn, key, root);
	if (rc == 0)
		rc = run_all(&rn, root);
	rc = close_recording(&rn, rc);
out:
	if (c->junit && !(c->dry_run && rc == 0))
		rc = runner_report_junit(&rn, rc);
	cleanup(&rn, &models, &agents);
	secret_free(key);
	return rc;
}

int
runner_open_worker(char *err, size_t errlen)
{
	return open_worker(err, errlen);
}

int
runner_pick_caps(struct cli *c)
{
	return runner_userconf_caps(c);
}
