/*
 * cli.c - command line parsing. See cli.h.
 *
 * Design note
 * -----------
 * One table of every option (options[], with the OPT_ codes above it),
 * then what each option sets (set_option and the helpers it falls
 * through to), which command takes which option (option_applies), the
 * command words and the checks after the options. An option is added in
 * those places and in its command's help text. The values' parsers are
 * cli_value.c, the help texts cli_help.c.
 */
#include "supervisor/config/cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "common/termesc.h"
#include "config.h"
#include "supervisor/config/cli_value.h"
#include "supervisor/config/webopt.h"
#include "supervisor/core/wfault.h"

enum {
	OPT_STANDALONE = 256,
	OPT_API_KEY,
	OPT_API_KEY_FILE,
	OPT_INSECURE,
	OPT_ROOT,
	OPT_MODEL,
	OPT_MAX_TURNS,
	OPT_MAX_OUT,
	OPT_MAX_TOKENS,
	OPT_MAX_COST,
	OPT_TIMEOUT,
	OPT_MAX_RETRIES,
	OPT_RETRY_BUDGET,
	OPT_VERSION_HDR,
	OPT_REQUIRE,
	OPT_POLICY,
	OPT_AGENTS_DIR,
	OPT_NO_STREAM,
	OPT_DRY_RUN,
	OPT_SKIP_VALIDATION,
	OPT_JOBS,
	OPT_REPEAT,
	OPT_MAX_MEMORY,
	OPT_MAX_DISK,
	OPT_MAX_FILES,
	OPT_TEST_DISABLE,
	OPT_NO_NS,
	OPT_BP_ROOT,
	OPT_ALLOW_POLICY,
	OPT_MAX_TIMEOUT,
	OPT_JSON,
	OPT_JUNIT,
	OPT_SHARD,
	OPT_OUT,
	OPT_RECORD,
	OPT_REPLAY,
	OPT_AGENT,
	OPT_TOOL,
	OPT_PATH,
	OPT_REPORT,
	OPT_NO_PROGRESS,
	OPT_WEB,
	OPT_WEB_DOMAINS,
	OPT_WEB_MAX_USES,
	OPT_THINKING,
	OPT_IDLE_TIMEOUT,
	OPT_TEST_TODAY,
	OPT_PRUNE,
	OPT_TEST_FAULT,
};

static const struct option options[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "standalone", no_argument, NULL, OPT_STANDALONE },
	{ "api-key", required_argument, NULL, OPT_API_KEY },
	{ "api-key-file", required_argument, NULL, OPT_API_KEY_FILE },
	{ "allow-insecure-key-file", no_argument, NULL, OPT_INSECURE },
	{ "sandbox-root", required_argument, NULL, OPT_ROOT },
	{ "model", required_argument, NULL, OPT_MODEL },
	{ "max-turns", required_argument, NULL, OPT_MAX_TURNS },
	{ "max-output-tokens", required_argument, NULL, OPT_MAX_OUT },
	{ "max-tokens", required_argument, NULL, OPT_MAX_TOKENS },
	{ "max-cost-usd", required_argument, NULL, OPT_MAX_COST },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "max-retries", required_argument, NULL, OPT_MAX_RETRIES },
	{ "retry-budget", required_argument, NULL, OPT_RETRY_BUDGET },
	{ "anthropic-version", required_argument, NULL, OPT_VERSION_HDR },
	{ "require-isolation", required_argument, NULL, OPT_REQUIRE },
	{ "policy", required_argument, NULL, OPT_POLICY },
	{ "agents-dir", required_argument, NULL, OPT_AGENTS_DIR },
	{ "no-stream", no_argument, NULL, OPT_NO_STREAM },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "skip-key-validation", no_argument, NULL, OPT_SKIP_VALIDATION },
	{ "jobs", required_argument, NULL, OPT_JOBS },
	{ "repeat", required_argument, NULL, OPT_REPEAT },
	{ "max-memory", required_argument, NULL, OPT_MAX_MEMORY },
	{ "max-disk", required_argument, NULL, OPT_MAX_DISK },
	{ "max-files", required_argument, NULL, OPT_MAX_FILES },
	{ "boilerplate-root", required_argument, NULL, OPT_BP_ROOT },
	{ "allow-config-policy", no_argument, NULL, OPT_ALLOW_POLICY },
	{ "max-timeout", required_argument, NULL, OPT_MAX_TIMEOUT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "junit", required_argument, NULL, OPT_JUNIT },
	{ "shard", required_argument, NULL, OPT_SHARD },
	{ "record", required_argument, NULL, OPT_RECORD },
	{ "replay", required_argument, NULL, OPT_REPLAY },
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "agent", required_argument, NULL, OPT_AGENT },
	{ "tool", required_argument, NULL, OPT_TOOL },
	{ "path", required_argument, NULL, OPT_PATH },
	{ "report", no_argument, NULL, OPT_REPORT },
	{ "web", no_argument, NULL, OPT_WEB },
	{ "web-domains", required_argument, NULL, OPT_WEB_DOMAINS },
	{ "web-max-uses", required_argument, NULL, OPT_WEB_MAX_USES },
	{ "thinking-budget", required_argument, NULL, OPT_THINKING },
	{ "prune", no_argument, NULL, OPT_PRUNE },
	{ "idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT },
#if GAO_DEV_TEST_SWITCHES
	{ "test-today", required_argument, NULL, OPT_TEST_TODAY },
	{ "test-disable-layers", required_argument, NULL, OPT_TEST_DISABLE },
	{ "test-no-namespaces", no_argument, NULL, OPT_NO_NS },
	{ "test-fault", required_argument, NULL, OPT_TEST_FAULT },
#endif
	{ NULL, 0, NULL, 0 },
};

/* The web tools' flag and domains (the list is checked by runner_web.c,
 * with the user config's). */
static int
set_web_option(struct cli *c, int opt, const char *arg)
{
	if (opt == OPT_WEB)
		c->web = true;
	else if (opt == OPT_WEB_DOMAINS)
		c->web_domains = arg;
	else
		return -1;
	return 0;
}

/* The options that are a flag or a string: 0, or -1 for any other opt. */
/* audit show's filters, runs list --prune, --test-fault. */
static int
set_audit_option(struct cli *c, int opt, const char *arg)
{
	if (opt == OPT_PRUNE)
		c->prune = true;
	else if (opt == OPT_AGENT)
		c->audit_agent = arg;
	else if (opt == OPT_TOOL)
		c->audit_tool = arg;
	else if (opt == OPT_PATH)
		c->audit_path = arg;
#if GAO_DEV_TEST_SWITCHES
	else if (opt == OPT_TEST_FAULT) /* injected write failures (wfault.h) */
		return wfault_set(arg);
#endif
	else
		return set_web_option(c, opt, arg);
	return 0;
}

static int
set_plain_option(struct cli *c, int opt, const char *arg)
{
	switch (opt) {
	case OPT_STANDALONE:
		c->standalone = true;
		break;
	case OPT_NO_PROGRESS:
		c->no_progress = true;
		break;
	case OPT_API_KEY:
		c->api_key = (char *)arg;
		break;
	case OPT_API_KEY_FILE:
		c->api_key_file = arg;
		break;
	case OPT_INSECURE:
		c->allow_insecure_key_file = true;
		break;
	case OPT_ROOT:
		c->sandbox_root = arg;
		c->sandbox_root_set = true;
		break;
	case OPT_MODEL:
		c->model = arg;
		break;
	case OPT_POLICY:
		c->policy = arg;
		break;
	case OPT_AGENTS_DIR:
		c->agents_dir = arg;
		break;
	case OPT_VERSION_HDR:
		if (!cli_api_version_ok(arg))
			return cli_value_bad(
				"--anthropic-version", arg,
				"an API version, a date such as 2026-10-21");
		c->anthropic_version = arg;
		break;
	case OPT_NO_STREAM:
		c->stream = false;
		break;
	case OPT_DRY_RUN:
		c->dry_run = true;
		break;
	case OPT_SKIP_VALIDATION:
		c->skip_key_validation = true;
		break;
	case OPT_NO_NS:
		c->no_namespaces = true;
		break;
	case OPT_BP_ROOT:
		c->boilerplate_root = arg;
		break;
	case OPT_ALLOW_POLICY:
		c->allow_config_policy = true;
		break;
	case OPT_JSON:
		c->json = true;
		break;
	case OPT_JUNIT:
		c->junit = arg;
		break;
	case OPT_RECORD:
		c->record = arg;
		break;
	case OPT_REPLAY:
		c->replay = arg;
		break;
	case OPT_OUT:
		c->out = arg;
		break;
	case OPT_REPORT:
		c->report = true;
		break;
	case OPT_TEST_TODAY:
		c->test_today = arg;
		break;
	default:
		return set_audit_option(c, opt, arg);
	}
	return 0;
}

/* The options whose value is a level, an amount, a size or a shard. */
static int
set_value_option(struct cli *c, int opt, const char *arg)
{
	switch (opt) {
	case OPT_REQUIRE:
		return cli_value_level(arg, &c->require_isolation);
	case OPT_MAX_COST:
		return cli_value_num("--max-cost-usd", arg, 0,
				     &c->max_cost_usd);
	case OPT_RETRY_BUDGET:
		return cli_value_num("--retry-budget", arg, 0,
				     &c->retry_budget_s);
	case OPT_MAX_MEMORY:
		return cli_value_cap("--max-memory", arg, CLI_MIN_MAX_MEMORY,
				     CLI_MAX_CAP, &c->max_memory,
				     &c->max_memory_set);
	case OPT_MAX_DISK:
		return cli_value_cap("--max-disk", arg, CLI_MIN_MAX_DISK,
				     CLI_MAX_CAP, &c->max_disk,
				     &c->max_disk_set);
	case OPT_SHARD:
		return cli_value_shard(arg, &c->shard_i, &c->shard_n);
	default:
		return set_plain_option(c, opt, arg);
	}
}

/* The options whose value is a whole number; the others further down. */
static int
set_option(struct cli *c, int opt, const char *arg)
{
	int64_t v = 0;
	int rc = 0;

	switch (opt) {
	case OPT_MAX_TURNS:
		rc = cli_value_int("--max-turns", arg, 1, 100000, &v);
		c->max_turns = (int)v;
		break;
	case OPT_MAX_OUT:
		rc = cli_value_int("--max-output-tokens", arg, 1, 1000000, &v);
		c->max_output_tokens = v;
		break;
	case OPT_MAX_TOKENS:
		rc = cli_value_int("--max-tokens", arg, 1, INT64_MAX / 2, &v);
		c->max_tokens = v;
		break;
	case OPT_TIMEOUT:
		rc = cli_value_int("--timeout", arg, 1, 86400, &v);
		c->timeout_s = v;
		break;
	case OPT_MAX_TIMEOUT:
		rc = cli_value_int("--max-timeout", arg, 1, 86400, &v);
		c->max_timeout = v;
		break;
	case OPT_MAX_RETRIES:
		rc = cli_value_int("--max-retries", arg, 0, 100, &v);
		c->max_retries = (unsigned)v;
		break;
	case OPT_JOBS:
		rc = cli_value_int("--jobs", arg, 1, 256, &v);
		c->jobs = (int)v;
		break;
	case OPT_REPEAT:
		rc = cli_value_int("--repeat", arg, 1, 1000, &v);
		c->repeat = (int)v;
		break;
	case OPT_MAX_FILES:
		rc = cli_value_int("--max-files", arg, 1, 1000000000, &v);
		c->max_files = (uint64_t)v;
		c->max_files_set = rc == 0;
		break;
	case OPT_WEB_MAX_USES:
		rc = cli_value_int("--web-max-uses", arg, WEBOPT_MIN_MAX_USES,
				   WEBOPT_MAX_MAX_USES, &v);
		c->web_max_uses = (int)v;
		break;
	case OPT_TEST_DISABLE:
		rc = cli_value_int("--test-disable-layers", arg, 0, 0xffff, &v);
		c->test_disable = (uint32_t)v;
		break;
	case OPT_THINKING:
		rc = cli_value_int("--thinking-budget", arg, 1024, 1000000, &v);
		c->thinking_budget = v;
		break;
	case OPT_IDLE_TIMEOUT:
		rc = cli_value_int("--idle-timeout", arg, CLI_MIN_IDLE_TIMEOUT,
				   CLI_MAX_IDLE_TIMEOUT, &v);
		c->idle_timeout_s = (long)v;
		c->idle_timeout_set = true;
		break;
	default:
		return set_value_option(c, opt, arg);
	}
	return rc;
}

static void
defaults(struct cli *c)
{
	memset(c, 0, sizeof(*c));
	c->cmd = CLI_HELP;
	c->stream = true;
	c->sandbox_root = "./sandbox";
	c->max_turns = 200;
	c->max_cost_usd = 10.0;
	c->max_retries = 4;
	c->retry_budget_s = 300;
	c->idle_timeout_s = 300;
	c->jobs = 1;
	c->repeat = 1;
	c->max_memory = CLI_DEFAULT_MAX_MEMORY;
	c->max_disk = CLI_DEFAULT_MAX_DISK;
	c->max_files = CLI_DEFAULT_MAX_FILES;
}

/* Whether opt is one of cmd's options: --json is sandbox check's alone,
 * and sandbox check takes only what its --help lists (and the test
 * switches of a test build); the other commands take the run options. */
static bool
option_applies(enum cli_cmd cmd, int opt)
{
	static const int check_opts[] = {
		'h',
		'V',
		OPT_JSON,
		OPT_POLICY,
		OPT_ROOT,
		OPT_REQUIRE,
		OPT_MAX_MEMORY,
		OPT_MAX_DISK,
		OPT_MAX_FILES,
		OPT_TEST_DISABLE,
		OPT_NO_NS,
	};

	if (cmd == CLI_MERGE)
		return opt == 'h' || opt == 'V' || opt == OPT_OUT ||
		       opt == OPT_JUNIT;
	if (cmd == CLI_AUDIT_SHOW)
		return opt == 'h' || opt == 'V' || opt == OPT_JSON ||
		       opt == OPT_AGENT || opt == OPT_TOOL || opt == OPT_PATH;
	if (cmd == CLI_AUDIT_VERIFY)
		return opt == 'h' || opt == 'V';
	if (opt == OPT_AGENT || opt == OPT_TOOL || opt == OPT_PATH)
		return false; /* audit show's filters */
	if (cmd == CLI_REPORT)
		return opt == 'h' || opt == 'V' || opt == OPT_OUT;
	if (cmd == CLI_RUNS_LIST)
		return opt == 'h' || opt == 'V' || opt == OPT_ROOT ||
		       opt == OPT_JSON || opt == OPT_PRUNE;
	if (opt == OPT_PRUNE)
		return false;
	if (opt == OPT_OUT)
		return false;
	if (opt == OPT_REPORT)
		return cmd == CLI_RUN || cmd == CLI_DEMO;
	if (opt == OPT_SHARD || opt == OPT_RECORD || opt == OPT_REPLAY)
		return cmd == CLI_RUN;
	if (opt == OPT_NO_PROGRESS)
		return cmd == CLI_RUN || cmd == CLI_DEMO;
	if (cmd != CLI_CHECK)
		return opt != OPT_JSON;
	for (size_t i = 0; i < sizeof(check_opts) / sizeof(*check_opts); i++)
		if (check_opts[i] == opt)
			return true;
	return false;
}

/* The command words before the options: "sandbox run", ... */
static int
parse_command(struct cli *c, int argc, char **argv, int *i)
{
	static const struct {
		const char *a, *b;
		enum cli_cmd cmd;
		bool standalone;
	} cmds[] = {
		{ "sandbox", "run", CLI_RUN, false },
		{ "sandbox", "run-standalone", CLI_RUN, true },
		{ "sandbox", "validate", CLI_VALIDATE, false },
		{ "policy", "show", CLI_POLICY_SHOW, false },
		{ "policy", "check", CLI_POLICY_CHECK, false },
		{ "audit", "verify", CLI_AUDIT_VERIFY, false },
		{ "audit", "show", CLI_AUDIT_SHOW, false },
		{ "results", "merge", CLI_MERGE, false },
		{ "sandbox", "check", CLI_CHECK, false },
		{ "demo", NULL, CLI_DEMO, false },
		{ "report", NULL, CLI_REPORT, false },
		{ "runs", "list", CLI_RUNS_LIST, false },
	};

	if (argc < 2)
		return -1;
	for (size_t k = 0; k < sizeof(cmds) / sizeof(*cmds); k++) {
		if (strcmp(argv[1], cmds[k].a) != 0)
			continue;
		if (!cmds[k].b) { /* a one-word command */
			c->cmd = cmds[k].cmd;
			*i = 2;
			return 0;
		}
		if (argc >= 3 && strcmp(argv[2], cmds[k].b) == 0) {
			c->cmd = cmds[k].cmd;
			c->standalone = cmds[k].standalone;
			*i = 3;
			return 0;
		}
	}
	return -1;
}

/* demo: no files; its sandbox root defaults to ./gao-dev-demo. report:
 * one run directory or results file. */
static int
demo_args(struct cli *c)
{
	if (c->cmd == CLI_REPORT) {
		if (c->n_args == 1)
			return 0;
		termesc_fprintf(stderr,
				"gao-dev: report takes one run directory or "
				"results file; see gao-dev report --help\n");
		return -1;
	}
	if (c->n_args > 0) {
		termesc_fprintf(stderr,
				"gao-dev demo: %s: the demo takes no files; "
				"see gao-dev demo --help\n",
				c->args[0]);
		return -1;
	}
	if (!c->sandbox_root_set)
		c->sandbox_root = "./gao-dev-demo";
	return 0;
}

/* An option of another command: -1 after saying so (first: the index
 * of the first argument after the command words, 2 for a one-word one). */
static int
not_applicable(char **argv, int first, int idx)
{
	const char *sp = first == 2 ? "" : " ", *w2 = first == 2 ? "" : argv[2];

	termesc_fprintf(stderr,
			"gao-dev: --%s does not apply to %s%s%s; see gao-dev "
			"%s%s%s --help\n",
			idx >= 0 ? options[idx].name : "?", argv[1], sp, w2,
			argv[1], sp, w2);
	return -1;
}

/* After the options: the files and the combinations each command takes. */
static int
check_args(struct cli *c, char **argv)
{
	if (c->cmd == CLI_CHECK) {
		if (c->n_args == 0)
			return 0;
		termesc_fprintf(stderr,
				"gao-dev: sandbox check takes no file (%s); "
				"see gao-dev sandbox check --help\n",
				c->args[0]);
		return -1;
	}
	if (c->cmd == CLI_DEMO || c->cmd == CLI_REPORT)
		return demo_args(c);
	if (c->cmd == CLI_RUNS_LIST && c->n_args > 0) {
		termesc_fprintf(stderr,
				"gao-dev: runs list takes no file (%s); name "
				"the sandbox root with --sandbox-root DIR\n",
				c->args[0]);
		return -1;
	}
	if (c->cmd == CLI_RUNS_LIST)
		return 0;
	if (c->cmd == CLI_MERGE && c->n_args > 0 && !c->out) {
		termesc_fprintf(stderr,
				"gao-dev: results merge needs --out DIR; see "
				"gao-dev results merge --help\n");
		return -1;
	}
	if (c->record && c->replay) {
		termesc_fprintf(stderr,
				"gao-dev: --record and --replay exclude each "
				"other: record once, then replay that "
				"directory\n");
		return -1;
	}
	if (c->n_args == 0) {
		termesc_fprintf(stderr,
				"gao-dev: %s %s needs at least one file; see "
				"gao-dev %s %s --help\n",
				argv[1], argv[2], argv[1], argv[2]);
		return -1;
	}
	return 0;
}

int
cli_parse(int argc, char **argv, struct cli *c)
{
	int first = 1, opt, idx = -1;

	defaults(c);
	if (argc >= 2 &&
	    (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	     strcmp(argv[1], "help") == 0))
		return 0;
	if (argc >= 2 &&
	    (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)) {
		c->cmd = CLI_VERSION;
		return 0;
	}
	if (parse_command(c, argc, argv, &first) < 0) {
		termesc_fprintf(stderr,
				"gao-dev: unknown command%s%s; try gao-dev "
				"--help\n",
				argc > 1 ? " " : "", argc > 1 ? argv[1] : "");
		return -1;
	}
	if (c->cmd == CLI_CHECK)
		c->sandbox_root = NULL; /* the check's default: $TMPDIR */
	optind = first;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "hV", options, &idx)) != -1) {
		if (opt == 'h') {
			c->n_args = -1; /* help for this command */
			return 0;
		}
		if (opt == '?' || opt == ':') {
			termesc_fprintf(
				stderr,
				"gao-dev: %s: unknown option or missing "
				"value; see gao-dev sandbox %s --help\n",
				argv[optind - 1],
				c->cmd == CLI_CHECK ? "check" : "run");
			return -1;
		}
		if (!option_applies(c->cmd, opt))
			return not_applicable(argv, first, idx);
		if (opt == 'V' || set_option(c, opt, optarg) < 0)
			return opt == 'V' ? (c->cmd = CLI_VERSION, 0) : -1;
		idx = -1;
	}
	c->args = argv + optind;
	c->n_args = argc - optind;
	return check_args(c, argv);
}
