/*
 * runner_int.h - what the files of "sandbox run" share; private to
 * supervisor/run/runner*.c (the commands themselves are in runner.h).
 *
 * Design note
 * -----------
 * struct runner is one invocation: its configs, the run slots (configs
 * times --repeat), the environment every run borrows, the signal fd and
 * the shard. runner.c owns it and drives the order of the checks and the
 * event loop; the other files each take one step of it:
 *
 *   runner_say.c       error lines, and the first of them (the reason the
 *                      JUnit file gives when no run started)
 *   runner_userconf.c  the user config: API version, run totals, the
 *                      rules for untrusted configs
 *   runner_key.c       the key: loaded, then probed with one API call
 *   runner_models.c    the models asked for: retired ones refused,
 *                      warnings; the thinking budget, the test clock
 *   runner_env.c       the sandbox root, the memory-cap probe, the loop,
 *                      the API client and the run_env
 *   runner_signals.c   SIGINT/SIGTERM/SIGHUP through a signalfd
 *   runner_end.c       what is kept of a run once it is over (its
 *                      exit code and where its results are)
 *   runner_report.c    the end: summaries, exit code, JUnit, manifest
 *
 * Functions that can fail return 0 or an exit code (cli.h: EXIT_*) and
 * have said why (runner_say) before returning it.
 */
#ifndef GAO_SUPERVISOR_RUNNER_INT_H
#define GAO_SUPERVISOR_RUNNER_INT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "supervisor/api/models.h"
#include "supervisor/config/benchmark.h"
#include "supervisor/config/cli.h"
#include "supervisor/config/confine.h"
#include "supervisor/config/yamljson.h"
#include "supervisor/core/secret.h"
#include "supervisor/run/run.h"
#include "supervisor/run/shard.h"

/* A slot once its run is over and freed, or could not start (runner_end.c). */
struct runner_end {
	bool over;          /* false: not started (yet), or another shard's */
	bool ran;           /* over after running (not "not_started") */
	int exit_code;      /* the run's (run_exit_code), 4 when not started */
	char *results_path; /* its results file, or NULL: */
	json_t *results;    /* kept when there is no file to read back */
};

struct runner {
	struct cli *cli;
	struct confine_rules rules; /* the operator's, for every config */
	char bp_root[PATH_MAX];
	struct run_env env;
	struct benchmark **configs;
	int n_configs;
	struct run **runs;       /* n_configs * repeat slots; NULL once over */
	struct runner_end *ends; /* per slot */
	int n_slots, next_slot, active, finished;
	int sigfd;
	bool interrupted;
	char api_version[64];
	struct shard_inv shard; /* --shard I/N (n 0: every slot is ours) */
	struct rec *rec;        /* --record or --replay, or NULL */
	json_t *model_warnings; /* runner_models_check's, each once */
};

/* ---- runner_say.c ---------------------------------------------------- */

/*
 * runner_say - print an error line to stderr (through termesc, so a
 * config's or the API's bytes cannot drive the terminal) and keep the
 * first line of the first call, without a leading "gao-dev: ".
 */
void runner_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * runner_say_first - the line kept by the first runner_say of the
 * process, or NULL when nothing was said. Static storage: do not free.
 */
const char *runner_say_first(void);

/* ---- runner_end.c ---------------------------------------------------- */

/*
 * runner_end_run - slot's run r is over (run_done_fn): keep its exit code
 * and its results file's path (its results themselves only when they
 * could not be written), then free r. An invocation of many runs so
 * holds a few hundred bytes per finished run, not its results document.
 */
void runner_end_run(struct runner *rn, int slot, struct run *r);

/*
 * runner_end_not_started - slot's run could not start (err says why):
 * exit code 4, and a record of it for the JUnit file and the manifest.
 */
void runner_end_not_started(struct runner *rn, int slot,
			    const struct benchmark *b, const char *err);

/*
 * runner_end_results - slot's results (a new reference; json_decref it):
 * read back from its file, or the record kept. NULL for a slot that did
 * not run. A file that cannot be read back any more is said once and
 * replaced by an error record ("results_lost"), and the slot's exit code
 * becomes 4: a run without its results is an infrastructure error.
 */
json_t *runner_end_results(struct runner *rn, int slot);

/* slot's exit code: its run's, 4 for one not started or lost; -1 when
 * the slot did not run (another shard's, or never reached). */
int runner_end_exit_code(const struct runner *rn, int slot);

/* Free what rn->ends holds, and the array. */
void runner_end_free(struct runner *rn);

/* ---- runner_userconf.c ----------------------------------------------- */

/*
 * runner_userconf_path - the user config's path into buf (cap bytes):
 * $GAO_DEV_CONFIG, else ~/.config/gao-dev/config.yaml. The file may not
 * exist.
 */
void runner_userconf_path(char *buf, size_t cap);

/*
 * runner_userconf_load - the user config into *y (yamljson_clear() it),
 * its path into path (cap bytes). 1 when loaded; 0 when there is none (a
 * missing or unreadable file is no config at all); EXIT_USAGE, said,
 * when it does not parse. The readers below and in runner_models.c and
 * runner_web.c each load it again: they run once an invocation.
 */
int runner_userconf_load(struct yamljson *y, char *path, size_t cap);

/*
 * runner_userconf_check - the user config's shape: a mapping whose keys
 * are all known (the readers each take theirs; a key none reads would be
 * a typo silently ignored). 0, or EXIT_USAGE naming the file, position
 * and key, and listing the keys. Called before anything else reads it.
 */
int runner_userconf_check(void);

/*
 * runner_userconf_api_version - the anthropic-version header into buf
 * (cap bytes): --anthropic-version, else anthropic_version: in the user
 * config, else the current version. 0, or EXIT_USAGE for a user config
 * that does not parse.
 */
int runner_userconf_api_version(struct cli *c, char *buf, size_t cap);

/*
 * runner_userconf_idle_timeout - --idle-timeout, else idle_timeout: in
 * the user config (5 to 3600 s), else the default, into c. 0, or
 * EXIT_USAGE after saying which file, position and fix.
 */
int runner_userconf_idle_timeout(struct cli *c);

/*
 * runner_userconf_caps - c's run totals (max_memory, max_disk,
 * max_files) completed from the user config where no option set them;
 * max_memory: there counts as asked for (c->max_memory_set). 0, or
 * EXIT_USAGE naming the file, position, key and fix.
 */
int runner_userconf_caps(struct cli *c);

/*
 * runner_userconf_rules - *rules (confine.h), the rules every config is
 * read under: the command line c, else boilerplate_root: and max_timeout:
 * in the user config. A relative boilerplate_root is resolved against the
 * user config's directory into bp_root (bp_cap bytes), which
 * rules->boilerplate_root then points to: it must outlive *rules.
 * 0, or EXIT_USAGE naming the key and file.
 */
int runner_userconf_rules(const struct cli *c, struct confine_rules *rules,
			  char *bp_root, size_t bp_cap);

/* ---- runner_web.c ---------------------------------------------------- */

/*
 * runner_web_settings - the run's web settings (webopt.h) into *w, which
 * the caller clears (webopt_clear): the options, else web:, web_domains:
 * and web_max_uses: in the user config. --web without domains, domains or
 * a maximum without --web, or a bad value: EXIT_USAGE after saying which
 * option or key and the fix; else 0 (w->on false: web tools off).
 */
int runner_web_settings(const struct cli *c, struct webopt *w);

/* ---- runner_key.c ---------------------------------------------------- */

/*
 * runner_key_load - the API key from the sources c names (secret.h), into
 * *key, owned by the caller (secret_free). Warns that --api-key shows in
 * the process list. 0, or EXIT_KEY with the reason said.
 */
int runner_key_load(struct cli *c, struct secret **key);

/*
 * runner_key_validate - GET /v1/models/<model> against base on rn's API
 * client, run on rn's loop until it answers: checks the key and the model
 * in one call. 0; EXIT_KEY (401, 403), EXIT_USAGE (unknown model),
 * EXIT_INTERRUPTED, or EXIT_INFRA (unreachable, anything else).
 */
int runner_key_validate(struct runner *rn, const char *base, const char *model);

/*
 * runner_key_first_model - the model the invocation asks for first:
 * --model, else the first config's model:, else the price table's
 * default. Borrowed from rn's cli, configs or models.
 */
const char *runner_key_first_model(const struct runner *rn);

/* ---- runner_models.c ------------------------------------------------- */

/*
 * runner_models_setup - the operator's model settings on c and m: the
 * --test-today clock (test builds), --model's spelling, the user
 * config's model: (m's default from then on) and thinking_budget: (when
 * no --thinking-budget), and the budget below the output limit. 0, or
 * EXIT_USAGE naming the option or the file and key.
 */
int runner_models_setup(struct cli *c, struct models *m);

/*
 * runner_models_check - each agent phase's model (--model, the agent
 * file's, the config's, the operator's or the data's default): a retired
 * one is EXIT_USAGE, said naming the config, phase, source, date and a
 * replacement; the others' warnings (deprecated, legacy, cache prices
 * not published) are appended to warnings (a JSON array, each once).
 * Needs rn->env.models and rn->env.agents. 0 or EXIT_USAGE.
 */
int runner_models_check(struct runner *rn, json_t *warnings);

/* ---- runner_env.c ---------------------------------------------------- */

/*
 * runner_env_prepare - rn->env for the runs: the loop (adopting orphans),
 * the API client with key (borrowed: it must outlive rn->env.api), the
 * sandbox root root_abs (borrowed), the limits of rn->cli; then the
 * signal fd, then the key probe unless --skip-key-validation. 0 or an
 * exit code; what was made is freed by the caller's clean-up.
 */
int runner_env_prepare(struct runner *rn, struct secret *key, char *root_abs);

/*
 * runner_env_make_root - the sandbox root root: created 0700 when missing
 * (0711 as root), an existing one left as it is; its real path into abs
 * (cap bytes). As root, checks the workers' uids can reach it (through a
 * mount namespace when namespaces is true and the host gives one).
 * 0, EXIT_USAGE (too long) or EXIT_INFRA.
 */
int runner_env_make_root(const char *root, bool namespaces, char *abs,
			 size_t cap);

/*
 * runner_env_check_memory_cap - when a memory total was asked for
 * (c->max_memory_set), a probe cgroup made and removed at once proves it
 * can be enforced. 0, or EXIT_INFRA with what is missing and the fix.
 */
int runner_env_check_memory_cap(const struct cli *c);

/* ---- runner_signals.c ------------------------------------------------ */

/*
 * runner_signals_setup - blocks SIGINT, SIGTERM and SIGHUP and reads them
 * from rn->sigfd (owned by rn, closed by the caller's clean-up) on
 * rn->env.loop: the first cancels every run, and the loop stops when no
 * run is active. 0, or a negative number (-1 with errno set, or loop.h's
 * -errno) when the signals cannot be read.
 */
int runner_signals_setup(struct runner *rn);

/* ---- runner_report.c ------------------------------------------------- */

/*
 * runner_report_aggregate - the exit code of the shard's runs
 * (run_exit_aggregate: 130, 3, 2, 4, 5, 1, 0); a slot of ours with no run
 * counts 4.
 */
int runner_report_aggregate(const struct runner *rn);

/*
 * runner_report_summaries - every run's summary on stdout, then, with
 * several runs or a shard, how many passed (and the shard's share).
 */
void runner_report_summaries(struct runner *rn);

/*
 * runner_report_junit - the --junit file (junit.h) for every run that
 * started or could not, else for the invocation's early end with reason
 * runner_say_first() (or what rc means). Returns rc, or EXIT_INFRA when
 * the file cannot be written and rc was 0, 1 or 5.
 */
int runner_report_junit(struct runner *rn, int rc);

/*
 * runner_report_manifest - the shard's manifest in root (shard.h) from
 * the results of its slots. Returns rc, or EXIT_INFRA when it cannot be
 * written and rc was 0, 1 or 5.
 */
int runner_report_manifest(struct runner *rn, const char *root, int rc);

#endif
