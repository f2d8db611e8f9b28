/*
 * runner.c - "sandbox run": load and validate every config, load the key,
 * start runs (--jobs at once, --repeat times each) on one event loop,
 * handle SIGINT/SIGTERM, print the summaries, pick the exit code.
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
 * first error printed, kept by say()).
 *
 * --shard I/N runs only the slots shard.h assigns to shard I (the others
 * are counted finished at once and take no part in the summary, the exit
 * code or the JUnit file) and writes the shard's manifest at the end.
 */
#include "supervisor/run/runner.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/termesc.h"
#include "supervisor/api/api.h"
#include "supervisor/api/cost.h"
#include "supervisor/config/agents.h"
#include "supervisor/config/benchmark.h"
#include "supervisor/config/yamljson.h"
#include "supervisor/core/child.h"
#include "supervisor/core/datadir.h"
#include "supervisor/core/evlog.h"
#include "supervisor/core/secret.h"
#include "supervisor/out/junit.h"
#include "supervisor/out/results.h"
#include "supervisor/run/boilerplate.h"
#include "supervisor/run/record_replay.h"
#include "supervisor/run/run.h"
#include "supervisor/run/run_status.h"
#include "supervisor/run/shard.h"
#include "supervisor/sandbox/cgroup.h"
#include "supervisor/sandbox/spawn_ns.h"
#include "supervisor/sandbox/spawn_view.h"

struct runner {
	struct cli *cli;
	struct confine_rules rules; /* the operator's, for every config */
	char bp_root[PATH_MAX];
	struct run_env env;
	struct benchmark **configs;
	int n_configs;
	struct run **runs; /* n_configs * repeat slots */
	int n_slots, next_slot, active, finished;
	int sigfd;
	bool interrupted;
	json_t *not_started; /* per slot: why run_start failed, or null */
	char api_version[64];
	struct shard_inv shard; /* --shard I/N (n 0: every slot is ours) */
	struct rec *rec;        /* --record or --replay, or NULL */
};

/*
 * The first error of the invocation, in the words it was printed in: the
 * reason the JUnit file gives when no run started (junit.h).
 */
static char first_error[1024];

/* Print an error line to stderr (through termesc) and keep the first. */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
say(const char *fmt, ...)
{
	char *buf = NULL;
	const char *p;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&buf, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	termesc_fputs(buf, stderr);
	p = buf;
	if (!strncmp(p, "gao-dev: ", 9))
		p += 9;
	if (!first_error[0])
		snprintf(first_error, sizeof(first_error), "%.*s",
			 (int)strcspn(p, "\n"), p);
	free(buf);
}

static void
print_findings(const struct benchmark *b)
{
	json_t *e;
	size_t i;

	json_array_foreach(b->errors, i, e)
		say("%s: error\n", json_string_value(e));
	json_array_foreach(b->warnings, i, e)
		termesc_fprintf(stderr, "%s: warning\n", json_string_value(e));
}

static int pick_rules(struct runner *rn);

/* Load every config; 0 when all are valid, else EXIT_USAGE. */
static int
load_configs(struct runner *rn)
{
	struct cli *c = rn->cli;
	int bad = pick_rules(rn);
	char err[1024];

	/* the operator's rules come first: every config is read under them */
	if (bad)
		return bad;
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
	rn->configs = calloc((size_t)c->n_args, sizeof(*rn->configs));
	if (!rn->configs)
		return EXIT_INFRA;
	for (int i = 0; i < c->n_args; i++) {
		struct benchmark *b = benchmark_load_rules(c->args[i],
							   &rn->rules, err,
							   sizeof(err));

		if (!b) {
			say("%s: error\n", err);
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

int
runner_validate(struct cli *c)
{
	struct runner rn = { .cli = c };
	struct agents agents = { 0 };
	char err[1024];
	int rc;

	rc = load_configs(&rn);
	if (agents_load(&agents, c->agents_dir, err, sizeof(err)) < 0) {
		say("gao-dev: %s\n", err);
		rc = EXIT_USAGE;
	} else {
		rn.env.agents = &agents;
		if (check_agents(&rn))
			rc = EXIT_USAGE;
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
	return rc;
}

/* The tools an agent gets (web tools are never offered: no backend). */
static void
print_tools(const struct agent_def *a)
{
	bool first = true, web = false;

	for (size_t t = 0; t < json_array_size(a->tools); t++) {
		const char *n = json_string_value(json_array_get(a->tools, t));

		if (!strcmp(n, "WebSearch") || !strcmp(n, "WebFetch")) {
			web = true;
			continue;
		}
		termesc_fprintf(stdout, "%s%s", first ? "" : ",", n);
		first = false;
	}
	termesc_fprintf(stdout, "%s\n",
			web ? " (WebSearch/WebFetch left out)" : "");
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
			print_tools(a);
		}
	}
	termesc_fprintf(
		stdout,
		"limits: max-turns %d, max-cost-usd %.2f%s, max-tokens %lld\n",
		rn->cli->max_turns, rn->cli->max_cost_usd,
		rn->cli->max_cost_usd > 0 ? "" : " (none)",
		(long long)rn->cli->max_tokens);
	printf("run totals: max-memory %llu, max-disk %llu, max-files %llu "
	       "(user config values apply at run time)\n",
	       (unsigned long long)rn->cli->max_memory,
	       (unsigned long long)rn->cli->max_disk,
	       (unsigned long long)rn->cli->max_files);
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

/* The user config: $GAO_DEV_CONFIG, else ~/.config/gao-dev/config.yaml. */
static void
user_config_path(char *buf, size_t cap)
{
	const char *home = getenv("HOME"), *gc = getenv("GAO_DEV_CONFIG");

	if (gc && *gc)
		snprintf(buf, cap, "%s", gc);
	else
		snprintf(buf, cap, "%s/.config/gao-dev/config.yaml",
			 home ? home : "/nonexistent");
}

/*
 * --anthropic-version, else anthropic_version: in the user config, else
 * the current version. 0, or EXIT_USAGE for a config that does not parse.
 */
static int
pick_api_version(struct cli *c, char *buf, size_t cap)
{
	char path[PATH_MAX], err[1024];
	struct yamljson y;
	const char *v;

	snprintf(buf, cap, "%s",
		 c->anthropic_version ? c->anthropic_version : "2026-10-21");
	user_config_path(path, sizeof(path));
	if (c->anthropic_version || access(path, R_OK) != 0)
		return 0;
	if (yamljson_load(path, &y, err, sizeof(err)) < 0) {
		say("gao-dev: %s\n", err);
		return EXIT_USAGE;
	}
	v = json_string_value(json_object_get(y.root, "anthropic_version"));
	if (v)
		snprintf(buf, cap, "%s", v);
	yamljson_clear(&y);
	return 0;
}

/*
 * One cap of the user config: a whole number (max_files), or a size in
 * bytes, a number or a string with a suffix (min: the smallest allowed).
 * 0 (and *out set when the key is there), or EXIT_USAGE with a message
 * naming the file, the position, the key and the fix.
 */
static int
user_cap(const struct yamljson *y, const char *path, const char *key,
	 uint64_t min, uint64_t *out)
{
	const json_t *v = json_object_get(y->root, key);
	const char *why = "";
	char num[64];
	int line = 0, col = 0;

	if (!v)
		return 0;
	if (min == 0) { /* a count */
		if (json_is_integer(v) && json_integer_value(v) >= 1 &&
		    json_integer_value(v) <= 1000000000) {
			*out = (uint64_t)json_integer_value(v);
			return 0;
		}
	} else {
		if (json_is_integer(v) && json_integer_value(v) >= 0)
			snprintf(num, sizeof(num), "%lld",
				 (long long)json_integer_value(v));
		else
			snprintf(num, sizeof(num), "%s",
				 json_is_string(v) ? json_string_value(v) : "");
		if (cli_parse_size(num, min, CLI_MAX_CAP, out, &why) == 0)
			return 0;
	}
	yamljson_pos(y, key, &line, &col);
	if (min == 0)
		say("gao-dev: %s:%d:%d: %s: expected a whole number from "
		    "1 to 1000000000\n",
		    path, line, col, key);
	else
		say("gao-dev: %s:%d:%d: %s: expected a size from %llu to "
		    "%llu bytes: digits with an optional suffix K, M, G or "
		    "T (or KiB, MiB, GiB, TiB), e.g. 512M\n",
		    path, line, col, key, (unsigned long long)min,
		    (unsigned long long)CLI_MAX_CAP);
	return EXIT_USAGE;
}

/*
 * The run totals: the options, else max_memory:, max_disk: and
 * max_files: in the user config, else the defaults (cli.h). 0, or
 * EXIT_USAGE for a config value that is not one.
 */
static int
pick_caps(struct cli *c)
{
	char path[PATH_MAX], err[1024];
	struct yamljson y;
	uint64_t mem = c->max_memory, disk = c->max_disk, files = c->max_files;
	int rc;

	user_config_path(path, sizeof(path));
	if ((c->max_memory_set && c->max_disk_set && c->max_files_set) ||
	    access(path, R_OK) != 0)
		return 0;
	if (yamljson_load(path, &y, err, sizeof(err)) < 0) {
		say("gao-dev: %s\n", err);
		return EXIT_USAGE;
	}
	rc = user_cap(&y, path, "max_memory", CLI_MIN_MAX_MEMORY, &mem);
	if (rc == 0)
		rc = user_cap(&y, path, "max_disk", CLI_MIN_MAX_DISK, &disk);
	if (rc == 0)
		rc = user_cap(&y, path, "max_files", 0, &files);
	if (rc == 0 && !c->max_memory_set &&
	    json_object_get(y.root, "max_memory")) {
		c->max_memory = mem;
		c->max_memory_set = true; /* asked for: enforced or exit 4 */
	}
	if (rc == 0 && !c->max_disk_set)
		c->max_disk = disk;
	if (rc == 0 && !c->max_files_set)
		c->max_files = files;
	yamljson_clear(&y);
	return rc;
}

/*
 * The rules for untrusted configs (confine.h): the command line, else
 * boilerplate_root: (absolute, or relative to the user config's
 * directory) and max_timeout: (1 to 86400) in the user config. 0, or
 * EXIT_USAGE after saying which key of which file is wrong.
 */
static int
pick_rules(struct runner *rn)
{
	struct cli *c = rn->cli;
	char path[PATH_MAX], err[1024], *slash;
	struct yamljson y;
	json_t *root, *mt;
	const char *br;
	int rc = 0;

	rn->rules.allow_config_policy = c->allow_config_policy;
	rn->rules.max_timeout = c->max_timeout;
	rn->rules.boilerplate_root = c->boilerplate_root;
	user_config_path(path, sizeof(path));
	if ((c->max_timeout && c->boilerplate_root) || access(path, R_OK) != 0)
		return 0;
	if (yamljson_load(path, &y, err, sizeof(err)) < 0) {
		say("gao-dev: %s\n", err);
		return EXIT_USAGE;
	}
	root = y.root;
	mt = json_object_get(root, "max_timeout");
	br = json_string_value(json_object_get(root, "boilerplate_root"));
	if (!c->max_timeout && mt) {
		if (!json_is_integer(mt) || json_integer_value(mt) < 1 ||
		    json_integer_value(mt) > CONFINE_MAX_TIMEOUT_MAX) {
			say("gao-dev: %s: max_timeout: expected "
			    "a whole number of seconds from 1 to "
			    "%d\n",
			    path, CONFINE_MAX_TIMEOUT_MAX);
			rc = EXIT_USAGE;
		} else {
			rn->rules.max_timeout = json_integer_value(mt);
		}
	}
	if (!c->boilerplate_root && br && br[0]) {
		slash = strrchr(path, '/');
		if (slash && br[0] != '/')
			slash[1] = 0;
		snprintf(rn->bp_root, sizeof(rn->bp_root), "%s%s",
			 slash && br[0] != '/' ? path : "", br);
		rn->rules.boilerplate_root = rn->bp_root;
	}
	yamljson_clear(&y);
	return rc;
}

static int
load_key(struct cli *c, struct secret **key)
{
	char cfgpath[PATH_MAX], err[1024];
	const char *source = "";
	struct secret_sources src = {
		.arg_key = c->api_key,
		.key_file = c->api_key_file,
		.allow_insecure = c->allow_insecure_key_file,
		.dotenv = ".env",
	};

	user_config_path(cfgpath, sizeof(cfgpath));
	src.config_file = cfgpath;
	if (c->api_key)
		termesc_fprintf(stderr,
				"gao-dev: warning: --api-key is visible to "
				"other users in the process list; prefer "
				"--api-key-file\n");
	if (secret_load(&src, key, &source, err, sizeof(err)) < 0) {
		say("gao-dev: %s\n", err);
		return EXIT_KEY;
	}
	evlog_emit(NULL, "info", "api_key_loaded",
		   json_pack("{s:s}", "source", source));
	return 0;
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
		say("%s: %s: %s: error\n", b->path,
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

	(void)r;
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
			say("gao-dev: %s: %s\n", b->path, err);
			json_array_set_new(
				rn->not_started, (size_t)slot,
				json_pack("{s:{s:s,s:s},s:s,s:s,s:[s],"
					  "s:i}",
					  "benchmark", "name", b->name,
					  "config_file", b->path, "status",
					  "error", "stop_reason", "not_started",
					  "errors", err, "exit_code",
					  EXIT_INFRA));
			rn->finished++;
			continue;
		}
		rn->active++;
	}
	if (rn->finished == rn->n_slots)
		loop_stop(rn->env.loop);
}

static void
on_signal(struct loop *l, int fd, int events, void *ctx)
{
	struct runner *rn = ctx;
	struct signalfd_siginfo si;

	(void)events;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (rn->interrupted)
			continue;
		rn->interrupted = true;
		termesc_fprintf(stderr,
				"gao-dev: signal %u: stopping the runs\n",
				si.ssi_signo);
		for (int i = 0; i < rn->n_slots; i++)
			if (rn->runs[i])
				run_cancel(rn->runs[i]);
	}
	if (!rn->active)
		loop_stop(l);
}

static int
setup_signals(struct runner *rn)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	rn->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (rn->sigfd < 0)
		return -1;
	return loop_add_fd(rn->env.loop, rn->sigfd, LOOP_IN, on_signal, rn);
}

/* The exit code of all the runs (run_exit_aggregate: 130, 3, 2, 4, 5, 1). */
static int
aggregate(const struct runner *rn)
{
	int *codes = calloc((size_t)rn->n_slots + 1, sizeof(int));
	size_t n = 0;
	int rc;

	if (!codes)
		return EXIT_INFRA;
	for (int i = 0; i < rn->n_slots; i++)
		if (shard_slot_mine(&rn->shard, i))
			codes[n++] = rn->runs[i] ? run_exit_code(rn->runs[i]) :
						   EXIT_INFRA;
	rc = run_exit_aggregate(codes, n, rn->interrupted);
	free(codes);
	return rc;
}

static void
print_summaries(const struct runner *rn)
{
	for (int i = 0; i < rn->n_slots; i++) {
		if (!rn->runs[i] || !run_results(rn->runs[i]))
			continue;
		if (i)
			termesc_fprintf(stdout, "\n");
		results_print_summary(stdout, run_results(rn->runs[i]));
	}
	if (rn->n_slots > 1 || rn->shard.n) {
		int ok = 0, mine = 0;

		for (int i = 0; i < rn->n_slots; i++) {
			mine += shard_slot_mine(&rn->shard, i);
			ok += rn->runs[i] && run_exit_code(rn->runs[i]) == 0;
		}
		termesc_fprintf(stdout, "\n%d of %d runs passed\n", ok, mine);
		if (rn->shard.n)
			termesc_fprintf(stdout,
					"shard %d of %d: %d of %d units\n",
					rn->shard.i, rn->shard.n, mine,
					rn->n_slots);
	}
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
			say("%s: error\n",
			    json_string_value(json_array_get(
				    b->errors,
				    json_array_size(b->errors) - 1)));
			bad = 1;
		}
	}
	return bad ? EXIT_USAGE : 0;
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
static int
validate_key(struct runner *rn, const char *base, const char *model)
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
		say("gao-dev: API key is invalid (HTTP 401)\n");
		return EXIT_KEY;
	case API_E_PERMISSION:
		say("gao-dev: API key lacks permission (HTTP 403)\n");
		return EXIT_KEY;
	case API_E_CANCELLED:
		return EXIT_INTERRUPTED;
	case API_E_NOT_FOUND:
		say("gao-dev: model %s is not known to the API; "
		    "choose another with --model\n",
		    model);
		return EXIT_USAGE;
	default:
		say("gao-dev: cannot reach %s: %s\n", base, p.msg);
		return EXIT_INFRA;
	}
}

static const char *
first_model(const struct runner *rn)
{
	if (rn->cli->model)
		return rn->cli->model;
	for (int i = 0; i < rn->n_configs; i++)
		if (rn->configs[i]->model)
			return rn->configs[i]->model;
	return models_default(rn->env.models);
}

static int
prepare_env(struct runner *rn, struct secret *key, char *root_abs)
{
	struct cli *c = rn->cli;
	const char *base = getenv("ANTHROPIC_BASE_URL");
	struct api_config ac = {
		.base_url = base && *base ? base : "https://api.anthropic.com",
		.version = rn->api_version,
		.key = key,
		.rec = rn->rec,
		.stream = c->stream,
		.max_retries = c->max_retries,
		.retry_budget_s = c->retry_budget_s,
		.connect_timeout_ms = 5000,
		.idle_timeout_s = 300,
	};
	char err[1024];

	rn->env.loop = loop_new();
	if (!rn->env.loop)
		return EXIT_INFRA;
	/* what a worker killed outright leaves comes to us (child.h) */
	if (child_adopt_orphans(rn->env.loop) < 0)
		termesc_fprintf(stderr,
				"gao-dev: warning: /proc does not show this "
				"process's PID namespace: processes a killed "
				"worker leaves cannot be swept\n");
	rn->env.api = api_new(rn->env.loop, &ac, err, sizeof(err));
	if (!rn->env.api) {
		say("gao-dev: %s\n", err);
		return EXIT_USAGE;
	}
	rn->env.sandbox_root = root_abs;
	rn->env.model = c->model;
	rn->env.api_version = rn->api_version;
	rn->env.max_turns = c->max_turns;
	rn->env.max_output_tokens = c->max_output_tokens;
	rn->env.max_tokens = c->max_tokens;
	rn->env.max_cost_usd = c->max_cost_usd;
	rn->env.timeout_s = c->timeout_s;
	rn->env.policy = c->policy;
	rn->env.require = (enum run_isolation)c->require_isolation;
	rn->env.stream = c->stream;
	rn->env.report = c->report;
	rn->env.test_disable = c->test_disable;
	rn->env.use_namespaces = !c->no_namespaces;
	rn->env.max_memory = c->max_memory;
	rn->env.memory_explicit = c->max_memory_set;
	rn->env.max_disk = c->max_disk;
	rn->env.max_files = c->max_files;
	rn->env.rec = rn->rec;
	if (setup_signals(rn) < 0)
		return EXIT_INFRA;
	if (!c->skip_key_validation && !c->replay)
		return validate_key(rn, ac.base_url, first_model(rn));
	return 0;
}

/*
 * As root, workers run as an unprivileged uid. A sandbox root below a
 * directory others cannot search (a 0700 home) is made reachable in each
 * worker's mount namespace (spawn_view.h); without mount namespaces there
 * is no such route: say so clearly instead of failing in the first phase.
 */
static int
check_reachable(const char *abs, bool namespaces)
{
	char dir[PATH_MAX];
	struct stat st;

	if (namespaces && (spawn_ns_flags(false) & CLONE_NEWNS))
		return 0;
	/* the root itself is the operator's and keeps its mode */
	if (stat(abs, &st) == 0 && !(st.st_mode & S_IXOTH))
		snprintf(dir, sizeof(dir), "%s", abs);
	else if (!spawn_view_blocked(abs, dir, sizeof(dir)))
		return 0;
	st.st_mode = 0;
	stat(dir, &st);
	say("gao-dev: workers run as an unprivileged user and "
	    "cannot pass through %s (mode %04o) to reach --sandbox-root "
	    "%s, and this host gives no mount namespace in which gao-dev "
	    "could make it reachable; choose a sandbox root that others "
	    "may search, under directories they may search too, e.g. "
	    "--sandbox-root /var/tmp/gao-dev\n",
	    dir, (unsigned)(st.st_mode & 07777), abs);
	return EXIT_INFRA;
}

/*
 * The sandbox root: created 0700 when missing (0711 as root, so the
 * workers' uids may pass), an existing one kept as it is: gao-dev never
 * changes the mode of a directory it did not create (run.c creates what
 * it needs below).
 */
static int
make_root(const char *root, bool namespaces, char *abs, size_t cap)
{
	char tmp[PATH_MAX];
	bool made;

	if (strlen(root) > 1024) {
		say("gao-dev: --sandbox-root is too long\n");
		return EXIT_USAGE;
	}
	snprintf(tmp, sizeof(tmp), "%s", root);
	made = mkdir(tmp, 0700) == 0;
	if (!made && errno != EEXIST) {
		say("gao-dev: cannot create --sandbox-root %s: "
		    "%s\n",
		    root, strerror(errno));
		return EXIT_INFRA;
	}
	if (!realpath(tmp, abs) || strlen(abs) >= cap ||
	    (made && geteuid() == 0 && chmod(abs, 0711) < 0)) {
		say("gao-dev: --sandbox-root %s: %s\n", root, strerror(errno));
		return EXIT_INFRA;
	}
	return geteuid() == 0 ? check_reachable(abs, namespaces) : 0;
}

/*
 * A memory total asked for (--max-memory, max_memory: in the user config)
 * must be enforceable before any run starts: a probe cgroup, made and
 * removed at once. 0, or EXIT_INFRA with what is missing and the fix.
 */
static int
check_memory_cap(const struct cli *c)
{
	struct cgroup_caps caps = { .memory_bytes = c->max_memory };
	struct cgroup_src src;
	struct cgroup *cg = NULL;
	char name[64], why[1024];
	bool ok;

	if (!c->max_memory_set)
		return 0;
	cgroup_src_host(&src);
	snprintf(name, sizeof(name), "probe-%ld", (long)getpid());
	ok = cgroup_create(&src, name, &caps, &cg, why, sizeof(why)) == 0 &&
	     (cgroup_enforced(cg) & CGROUP_MEMORY);
	cgroup_destroy(cg);
	if (ok)
		return 0;
	say("gao-dev: --max-memory %llu (or max_memory: in the user "
	    "config) asks for a memory total per run, and this host "
	    "cannot enforce it: %s Or leave --max-memory and max_memory: "
	    "unset (each process still has the policy's RLIMIT_AS)\n",
	    (unsigned long long)c->max_memory, why);
	return EXIT_INFRA;
}

/* What a run-less exit code means, when no message said more. */
static const char *
exit_meaning(int rc)
{
	switch (rc) {
	case EXIT_USAGE:
		return "usage or configuration error";
	case EXIT_KEY:
		return "API key missing or rejected";
	case EXIT_INTERRUPTED:
		return "interrupted before any run";
	default:
		return "infrastructure failure before any run";
	}
}

/*
 * --junit: the file for every run that started (its results) or could
 * not start, else for the invocation's early end (junit.h). The exit
 * code, or 4 when the file cannot be written and nothing worse happened:
 * a CI job would otherwise pass without its report.
 */
static int
write_junit(struct runner *rn, int rc)
{
	json_t *runs = rn->runs ? json_array() : NULL;
	int wrc;

	for (int i = 0; runs && i < rn->n_slots; i++) {
		const json_t *r = rn->runs[i] ? run_results(rn->runs[i]) : NULL;

		if (!r)
			r = json_array_get(rn->not_started, (size_t)i);
		if (json_is_object(r))
			json_array_append(runs, (json_t *)r);
	}
	wrc = junit_write(rn->cli->junit, runs, rc,
			  first_error[0] ? first_error : exit_meaning(rc));
	json_decref(runs);
	if (wrc == 0)
		return rc;
	termesc_fprintf(stderr, "gao-dev: cannot write --junit %s: %s\n",
			rn->cli->junit, strerror(-wrc));
	return rc == EXIT_OK || rc == EXIT_FAILED || rc == EXIT_LIMIT ?
		       EXIT_INFRA :
		       rc;
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
		.model = first_model(rn),
		.api_version = rn->api_version,
		.price_date = models_price_date(m),
		.policy = rn->cli->policy,
	};
	if (!rn->shard.n ||
	    shard_check_names(&rn->shard, err, sizeof(err)) == 0)
		return 0;
	say("gao-dev: %s\n", err);
	return EXIT_USAGE;
}

/* The shard's manifest; a CI job must not pass without it (exit 4). */
static int
write_manifest(struct runner *rn, const char *root, int rc)
{
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
	const json_t **res = calloc((size_t)rn->n_slots + 1, sizeof(*res));
	char err[4300];
	int wrc = -1;

	if (res) {
		for (int i = 0; i < rn->n_slots; i++) {
			if (!shard_slot_mine(&rn->shard, i))
				continue;
			res[i] = rn->runs[i] ? run_results(rn->runs[i]) : NULL;
			if (!res[i])
				res[i] = json_array_get(rn->not_started,
							(size_t)i);
			if (json_is_null(res[i]) || !res[i])
				res[i] = NULL;
		}
		wrc = shard_write_manifest(root, &rn->shard, res,
					   rn->interrupted, err, sizeof(err));
	} else {
		snprintf(err, sizeof(err), "out of memory");
	}
	free(res);
	if (wrc == 0)
		return rc;
	termesc_fprintf(stderr, "gao-dev: --shard: %s\n", err);
	return rc == EXIT_OK || rc == EXIT_FAILED || rc == EXIT_LIMIT ?
		       EXIT_INFRA :
		       rc;
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
		say("gao-dev: %s\n", err);
	return rc;
}

static void
cleanup(struct runner *rn, struct models *m, struct agents *ag)
{
	for (int i = 0; i < rn->n_slots; i++)
		run_free(rn->runs[i]);
	free(rn->runs);
	json_decref(rn->not_started);
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
	models_clear(m);
	agents_clear(ag);
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
	evlog_set_mode(c->standalone || !isatty(2) ? EVLOG_JSON : EVLOG_HUMAN);
	rc = load_configs(&rn);
	if (rc == 0 &&
	    (models_load(&models, err, sizeof(err)) < 0 ||
	     agents_load(&agents, c->agents_dir, err, sizeof(err)) < 0)) {
		say("gao-dev: %s\n", err);
		rc = c->agents_dir ? EXIT_USAGE : EXIT_INFRA;
	}
	rn.env.models = &models;
	rn.env.agents = &agents;
	if (rc == 0)
		rc = check_agents(&rn);
	if (rc == 0)
		rc = shard_setup(&rn, &models);
	if (rc == 0 && c->dry_run) {
		print_plan(&rn);
		goto out;
	}
	if (rc == 0)
		rc = pick_api_version(c, rn.api_version,
				      sizeof(rn.api_version));
	if (rc == 0)
		rc = pick_caps(c);
	if (rc == 0) {
		rc = record_replay_open(c, rn.configs, rn.n_configs, &rn.rec,
					err, sizeof(err));
		if (rc)
			say("gao-dev: %s\n", err);
	}
	/* a replay sends nothing: it needs no key and loads none */
	if (rc == 0 && !c->replay)
		rc = load_key(c, &key);
	if (rc == 0)
		rc = check_templates(&rn);
	if (rc == 0) {
		rn.env.worker_fd = open_worker(err, sizeof(err));
		if (rn.env.worker_fd < 0) {
			say("gao-dev: %s\n", err);
			rc = EXIT_INFRA;
		}
	}
	if (rc == 0)
		rc = make_root(c->sandbox_root, !c->no_namespaces, root,
			       sizeof(root));
	if (rc == 0)
		rc = check_memory_cap(c);
	if (rc == 0)
		rc = prepare_env(&rn, key, root);
	if (rc == 0) {
		rn.n_slots = rn.n_configs * c->repeat;
		/* NOLINTNEXTLINE(bugprone-sizeof-expression): pointers */
		rn.runs = calloc((size_t)rn.n_slots, sizeof(*rn.runs));
		rn.not_started = json_array();
		for (int i = 0; i < rn.n_slots; i++)
			json_array_append_new(rn.not_started, json_null());
		start_more(&rn);
		if (rn.active)
			loop_run(rn.env.loop);
		print_summaries(&rn);
		rc = aggregate(&rn);
		if (rn.shard.n)
			rc = write_manifest(&rn, root, rc);
	}
	rc = close_recording(&rn, rc);
out:
	if (c->junit && !(c->dry_run && rc == 0))
		rc = write_junit(&rn, rc);
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
	return pick_caps(c);
}
