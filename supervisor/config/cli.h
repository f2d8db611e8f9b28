/*
 * cli.h - the command line: commands, options, --help text.
 *
 * Design note
 * -----------
 * Parsing only: cli_parse() fills struct cli or explains what is wrong;
 * main.c decides what to do. Every option is written in one table
 * (cli.c) and, with its default, in its command's help text
 * (cli_help.c), so --help, the docs and the code cannot drift. The
 * options' values are read by cli_value.c. Exit codes are the table in
 * docs/decisions.md.
 */
#ifndef GAO_SUPERVISOR_CLI_H
#define GAO_SUPERVISOR_CLI_H

#include <stdbool.h>
#include <stdint.h>

enum cli_cmd {
	CLI_HELP,
	CLI_VERSION,
	CLI_RUN,
	CLI_VALIDATE,
	CLI_POLICY_SHOW,
	CLI_POLICY_CHECK,
	CLI_AUDIT_VERIFY,
	CLI_AUDIT_SHOW,
	CLI_CHECK, /* sandbox check */
	CLI_DEMO,
	CLI_MERGE,  /* results merge */
	CLI_REPORT, /* report RUN_DIR|RESULTS_FILE */
	/* runs list [--prune] */
	CLI_RUNS_LIST,
};

/* Exit codes, one table for every command. */
enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1,
	EXIT_USAGE = 2,
	EXIT_KEY = 3,
	EXIT_INFRA = 4,
	EXIT_LIMIT = 5,
	EXIT_INTERRUPTED = 130,
};

struct cli {
	enum cli_cmd cmd;
	char **args; /* configs, policy names, files */
	int n_args;
	bool standalone;
	bool dry_run;
	bool stream;
	bool skip_key_validation;
	bool allow_insecure_key_file;
	char *api_key; /* points into argv: wiped after use */
	const char *api_key_file;
	const char *sandbox_root;
	bool sandbox_root_set; /* given on the command line */
	const char *model;
	const char *policy;
	const char *agents_dir;
	const char *junit;            /* --junit PATH, or NULL */
	const char *boilerplate_root; /* NULL: the user config's, or none */
	bool allow_config_policy;
	int64_t max_timeout;           /* 0: the user config's, or 7200 */
	const char *anthropic_version; /* NULL: the user config's, or current */
	int require_isolation;         /* enum run_isolation */
	int max_turns;
	int64_t max_output_tokens;
	int64_t thinking_budget; /* 0: none (the user config's, or none) */
	int64_t max_tokens;
	double max_cost_usd;
	int64_t timeout_s;
	unsigned max_retries;
	long idle_timeout_s;   /* --idle-timeout: silent this long, it ends */
	bool idle_timeout_set; /* given: wins over idle_timeout: */
	double retry_budget_s;
	int jobs;
	int repeat;
	/* run totals (docs/decisions.md, "Run totals"); *_set: given on the
	 * command line (else the user config's or the default applies) */
	uint64_t max_memory; /* bytes, all workers of a run (cgroup) */
	uint64_t max_disk;   /* bytes in the project (watched) */
	uint64_t max_files;  /* files and directories in the project */
	bool max_memory_set, max_disk_set, max_files_set;
	uint32_t test_disable;  /* test builds only */
	const char *test_today; /* test builds only: YYYY-MM-DD */
	bool no_namespaces;
	bool json;            /* sandbox check --json */
	bool no_progress;     /* --no-progress: plain lines on a terminal */
	int shard_i, shard_n; /* --shard I/N; 0/0: no sharding */
	const char *out;      /* results merge --out DIR, report --out */
	const char *record;   /* --record DIR, or NULL */
	const char *replay;   /* --replay DIR, or NULL */
	/* audit show's filters (NULL: any) */
	const char *audit_agent, *audit_tool, *audit_path;
	bool report; /* sandbox run --report */
	/* web tools (webopt.h); the user config fills what is unset */
	bool web;
	const char *web_domains; /* --web-domains LIST, or NULL */
	int web_max_uses;        /* 0: the user config's, or the default */
	bool prune;              /* runs list --prune */
};

/*
 * cli_parse - parse argv. Returns 0, or -1 after printing a message that
 * names the option and the fix to stderr (exit code 2 then).
 */
int cli_parse(int argc, char **argv, struct cli *out);

/* Defaults of the run totals. */
#define CLI_DEFAULT_MAX_MEMORY (4ull << 30) /* 4 GiB */
#define CLI_DEFAULT_MAX_DISK (1ull << 30)   /* 1 GiB */
#define CLI_DEFAULT_MAX_FILES 100000ull
#define CLI_MIN_MAX_MEMORY (16ull << 20) /* below it nothing starts */
#define CLI_MIN_MAX_DISK (64ull << 10)
/* --idle-timeout bounds, seconds: below 5 a slow but healthy stream may
 * look dead; above an hour a dead one holds the run too long */
#define CLI_MIN_IDLE_TIMEOUT 5
#define CLI_MAX_IDLE_TIMEOUT 3600
#define CLI_MAX_SHARDS 1000
#define CLI_MAX_CAP (1ull << 50) /* 1 PiB: a typo, not a wish */

/*
 * cli_parse_size - a byte count: digits with an optional suffix K, M, G,
 * T (powers of 1024, also written KiB, MiB, GiB, TiB; no "B", no
 * fractions, no sign), from min to max. 0 and *out set, or -1 with
 * *why a static explanation.
 */
int cli_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out,
		   const char **why);

/*
 * cli_api_version_ok - whether v has the shape of an anthropic-version
 * value: a date, YYYY-MM-DD (digits, month 01-12, day 01-31). The value
 * becomes a request header, so nothing else may pass (no CR or LF).
 */
bool cli_api_version_ok(const char *v);

/*
 * cli_model_id_ok - whether s (NULL: no) has the shape of a model id as
 * the API spells them: 1 to 128 bytes of [A-Za-z0-9._-]. An id goes into
 * the URL path of the key check, so nothing else may pass, whoever gives
 * it (--model, the user config, a benchmark config, an agent file).
 */
bool cli_model_id_ok(const char *s);

/* Print the help for the command (or the general help; run: the
 * sandbox run options) to stdout. In cli_help.c. */
void cli_help(enum cli_cmd cmd, bool run_help);

#endif
