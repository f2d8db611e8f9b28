/*
 * cli.c - command line parsing and help. See cli.h.
 */
#include "supervisor/config/cli.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/termesc.h"
#include "config.h"
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

/* The help texts, at column 0 as they print: clang-format leaves them. */
/* clang-format off */
static const char audit_help[] =
"usage: gao-dev audit verify RUN_DIR|RESULTS_FILE|FILE...\n"
"       gao-dev audit show RUN_DIR|RESULTS_FILE|FILE... [--agent A] [--tool T]\n"
"                          [--path GLOB] [--json]\n"
"\n"
"verify RUN_DIR (SANDBOX_ROOT/runs/<run_id>, or its results file) checks\n"
"every audit log of the run: its hash chain, and its head and record count\n"
"against the results file, so a log cut at the end, a record edited,\n"
"removed or added, a log replaced or missing shows; it names the first bad\n"
"record (file:line). verify FILE checks one log's chain only: a single file\n"
"cannot show records cut from its end.\n"
"\n"
"show lists each tool call (time, agent, tool, result ok or error, refused,\n"
"then the path or command), verifying the chains as it reads; records after\n"
"a break are not shown.\n"
"  --agent A                only agent A's calls\n"
"  --tool T                 only calls of tool T (Read, Bash, ...)\n"
"  --path GLOB              only calls whose file path matches GLOB (fnmatch,\n"
"                           * also matches /)\n"
"  --json                   one JSON object per line: log, line, seq, ts,\n"
"                           agent, tool, target, result, refused\n"
"\n"
"exit codes: 0 verified, 1 a chain broken, cut or not matching the results\n"
"file, 2 usage error or unreadable input.\n";

static const char general_help[] =
"usage: gao-dev COMMAND ...\n"
"\n"
"A standalone, sandboxed runner for GAO-Dev agent benchmarks.\n"
"\n"
"commands:\n"
"  sandbox run CONFIG... [--standalone] [options]   run benchmarks\n"
"  sandbox run-standalone CONFIG... [options]       same as run --standalone\n"
"  sandbox validate CONFIG...                       check configs, run nothing\n"
"  sandbox check [--json] [options]                 the host's isolation, no key\n"
"  policy show NAME|FILE                            print a sandbox policy\n"
"  policy check FILE                                validate a policy file\n"
"  audit verify RUN_DIR|FILE                        check a run's audit trail\n"
"  audit show RUN_DIR|FILE [options]                list the agents' tool calls\n"
"  results merge DIR... --out DIR [--junit PATH]    merge shards' results\n"
"  report RUN_DIR|RESULTS_FILE [--out FILE]         a run's HTML report\n"
"  demo [--sandbox-root DIR] [options]              run the bundled demo offline\n"
"  runs list [--sandbox-root DIR] [--json] [--prune] every run and its status\n"
"\n"
"  --help, -h       this text (gao-dev sandbox run --help: the run options)\n"
"  --version, -V    print the version\n"
"\n"
"gao-dev finds gao-dev-worker and its data (personas, prompts, prices,\n"
"policy profiles, the demo) relative to its executable as installed\n"
"(../libexec, ../share/gao-dev); GAO_DEV_WORKER and GAO_DEV_DATADIR\n"
"override that. More in man gao-dev.\n"
"\n"
"exit codes: 0 completed and passed, 1 a benchmark failed, 2 usage or config\n"
"error, 3 API key missing or rejected, 4 infrastructure failure (API\n"
"unreachable, retries exhausted, sandbox unavailable), 5 stopped by a limit,\n"
"130 interrupted.\n";

static const char run_help[] =
"usage: gao-dev sandbox run CONFIG... [--standalone] [options]\n"
"       gao-dev sandbox run-standalone CONFIG... [options]\n"
"\n"
"Runs each GAO-Dev benchmark config in a fresh sandbox project under\n"
"SANDBOX_ROOT/projects/<run_id>/, with results in SANDBOX_ROOT/results/ and\n"
"events, transcripts and audit logs in SANDBOX_ROOT/runs/<run_id>/.\n"
"\n"
"  --standalone             never read stdin; JSON-lines progress on stderr,\n"
"                           the summary on stdout\n"
"  --api-key KEY            the API key (visible to other users in the\n"
"                           process list: prefer --api-key-file)\n"
"  --api-key-file PATH      read the key from a file (mode 0600)\n"
"  --allow-insecure-key-file  accept a key file readable by group or others\n"
"  --sandbox-root DIR       where projects and results go (default ./sandbox)\n"
"  --model ID               model for every agent (default: the agent file's,\n"
"                           then the config's model:, then the user config's\n"
"                           model:, then claude-sonnet-5-5); a retired model\n"
"                           is refused (exit 2)\n"
"  --max-turns N            API turns per agent (default 200)\n"
"  --max-output-tokens N    max_tokens of each request (default 16000)\n"
"  --thinking-budget N      ask for extended thinking: budget_tokens N\n"
"                           (1024 or more, below --max-output-tokens, of\n"
"                           which thinking is a part; default: no thinking\n"
"                           parameter, or thinking_budget: in the user\n"
"                           config)\n"
"  --max-tokens N           input + output tokens per run (default: none)\n"
"  --max-cost-usd X         spend cap per run in USD (default 10.00; 0 = none)\n"
"  --timeout S              run time limit (default: the config's\n"
"                           timeout_seconds, else 7200)\n"
"  --max-retries N          retries per API call (default 4)\n"
"  --retry-budget S         seconds of retry waits per call (default 300)\n"
"  --idle-timeout S         an API attempt that receives no byte for S\n"
"                           seconds ends and is retried (5 to 3600,\n"
"                           default 300)\n"
"  --anthropic-version V    anthropic-version header, a date YYYY-MM-DD (default:\n"
"                           anthropic_version: in the user config, else\n"
"                           2026-10-21)\n"
"  --no-stream              plain JSON responses instead of streaming\n"
"  --policy NAME|FILE       sandbox policy for every agent (default: default\n"
"                           for agents with Bash, strict for the others)\n"
"  --require-isolation L    fail (exit 4) unless the sandbox has level L:\n"
"                           seccomp, landlock (ABI >= 4 and seccomp), or full\n"
"                           (also user, mount, PID, net, IPC, UTS namespaces)\n"
"  --agents-dir DIR         agent files that add to or override the built-in\n"
"                           personas\n"
"  --boilerplate-root DIR   a config may also name boilerplate (path or\n"
"                           file:// URL) at or below DIR; without it, only\n"
"                           below the config's own directory\n"
"  --allow-config-policy    let a config's policy: be wider than default\n"
"                           (e.g. networked) or a policy file; without it a\n"
"                           config may name only default or strict\n"
"  --max-timeout S          ceiling for every timeout_seconds in a config\n"
"                           (default 7200; at most 86400)\n"
"";

static const char check_help[] =
"usage: gao-dev sandbox check [--json] [--policy NAME|FILE]\n"
"                             [--sandbox-root DIR] [--require-isolation L]\n"
"                             [--max-memory BYTES] [--max-disk BYTES]\n"
"                             [--max-files N]\n"
"\n"
"Says what this host gives a run, before anything is spent and without an\n"
"API key: it starts one real worker with the policy (default: default)\n"
"exactly as a run does, reports the layers that worker confirmed (the same\n"
"list a run records as isolation in its results), makes and removes a\n"
"run's cgroup, and lists each run cap and whether it can be enforced, the\n"
"highest level --require-isolation would reach, and what to change to get\n"
"more.\n"
"\n"
"  --json                   one JSON object on stdout (docs/sandbox-check.md)\n"
"  --policy NAME|FILE       the policy to check (default: default)\n"
"  --sandbox-root DIR       where the check's temporary project goes\n"
"                           (default: $TMPDIR, else /tmp); removed after\n"
"  --require-isolation L    also exit 4 unless the level reached is at\n"
"                           least L: seccomp, landlock or full\n"
"  --max-memory BYTES       a run memory total to check, as if asked for\n"
"                           (without it: the default, or max_memory: in\n"
"                           the user config)\n"
"  --max-disk BYTES         the disk cap to show (default 1G)\n"
"  --max-files N            the file cap to show (default 100000)\n"
"\n"
"exit codes: 0 the policy can be applied as documented (docs/security.md,\n"
"\"Checking a host\"; missing layers below full are listed with advice),\n"
"2 usage error, 4 the worker cannot start or confine itself, seccomp or\n"
"no_new_privs is missing, a memory total asked for cannot be enforced, or\n"
"--require-isolation is not reached, 130 interrupted.\n";

/* The second half (C99 caps one string literal at 4095 bytes). */
static const char run_help2[] =
"  --max-memory BYTES       memory of all of a run's processes together\n"
"                           (default 4G; suffixes K M G T = KiB ...); a\n"
"                           cgroup enforces it: a command over it fails,\n"
"                           the session goes on. Given here or as\n"
"                           max_memory: in the user config and the host\n"
"                           has no usable cgroup: exit 4\n"
"  --max-disk BYTES         bytes in the project and the agent's temporary\n"
"                           directory (default 1G); measured\n"
"                           after each Write/Edit/MultiEdit/Bash call and\n"
"                           at each phase's end, and no single file may\n"
"                           grow past it: over it the run stops (stopped,\n"
"                           disk_limit, exit 5)\n"
"  --max-files N            files and directories in the project and the\n"
"                           agent's temporary directory (default\n"
"                           100000); over it the run stops (file_limit)\n"
"  --web                    offer WebSearch and WebFetch (the API's server\n"
"                           tools, run by Anthropic, not in the sandbox)\n"
"                           to the agents whose personas list them; needs\n"
"                           --web-domains\n"
"  --web-domains LIST       the domains they may reach: comma-separated\n"
"                           host names (subdomains included), or '*' alone\n"
"                           for every domain\n"
"  --web-max-uses N         searches and fetches over the run (default 20,\n"
"                           2 to 1000); a call that could pass it stops the\n"
"                           phase (stopped, web_limit, exit 5)\n"
"  --jobs N                 runs at once (default 1)\n"
"  --repeat K               run each config K times (default 1)\n"
"  --junit PATH             also write a JUnit XML file for CI: a testsuite\n"
"                           per run, a testcase per phase and criterion;\n"
"                           written even when no run starts (exit 2-4)\n"
"  --shard I/N              run only shard I of N (1 <= I <= N <= 1000) of\n"
"                           the work units (benchmark name, repeat index),\n"
"                           chosen by a stable hash; writes\n"
"                           SANDBOX_ROOT/manifest-I-of-N.json for\n"
"                           gao-dev results merge (docs/results.md)\n"
;

/* The third part: record and replay, and the notes. */
static const char run_help3[] =
"  --record DIR             also store every API exchange of the\n"
"                           invocation in DIR (new or empty; made 0700):\n"
"                           requests, streamed responses, errors, retries;\n"
"                           never the key (docs/recording.md)\n"
"  --replay DIR             answer every API call from a recording: no\n"
"                           network, no key; a request the recording\n"
"                           cannot answer ends the run (exit 4) naming\n"
"                           the unit, phase, agent and turn\n"
"  --report                 write each run's HTML report at its end,\n"
"                           SANDBOX_ROOT/runs/<run_id>/report.html\n"
"                           (gao-dev report --help; docs/report.md)\n"
"  --no-progress            on a terminal, one plain line per event on\n"
"                           stderr instead of the status area redrawn in\n"
"                           place (TERM=dumb does the same; NO_COLOR drops\n"
"                           the area's colours)\n"
"  --dry-run                validate and show the plan; no API key needed\n"
"  --skip-key-validation    do not check the key before the run\n"
"\n"
"A config is untrusted input (docs/security.md). The user config may set\n"
"boilerplate_root: and max_timeout: as well; the command line wins.\n"
"\n"
"The API key is taken from, first found: --api-key, --api-key-file,\n"
"ANTHROPIC_API_KEY, the user config ($GAO_DEV_CONFIG, else\n"
"~/.config/gao-dev/config.yaml: api_key_file: or api_key:), then\n"
"ANTHROPIC_API_KEY=... in ./.env. ANTHROPIC_BASE_URL sets the API address.\n"
"The key is never printed, logged or given to a sandboxed process.\n"
"The user config may also set max_memory:, max_disk:, max_files:, web:\n"
"(true/false), web_domains: (a list, or \"*\") and web_max_uses: (the\n"
"options win). The run's process total is the policy's processes\n"
"limit, enforced by the same cgroup where there is one.\n"
"\n"
"exit codes: 0 completed and passed, 1 a benchmark failed, 2 usage or config\n"
"error, 3 API key missing or rejected, 4 infrastructure failure, 5 stopped\n"
"by a limit (time, turns, tokens, cost, disk, files, web uses), 130\n"
"interrupted.\n"
"With several runs: the first of 130, 3, 2, 4, 5, 1, 0 that any run\n"
"produced.\n";
static const char demo_help[] =
"usage: gao-dev demo [--sandbox-root DIR] [options]\n"
"\n"
"Runs the bundled demo benchmark (demo/benchmarks/demo.yaml in the data\n"
"directory) against the bundled fake Anthropic API, which it starts with\n"
"python3 on 127.0.0.1 and stops at the end: offline, no API key needed,\n"
"the demo's own key only (ANTHROPIC_API_KEY is ignored; --api-key and\n"
"--api-key-file are refused). Projects, results and logs go to\n"
"./gao-dev-demo under the current directory unless --sandbox-root DIR\n"
"says otherwise; the fake API's key and log live in a private directory\n"
"under $TMPDIR (else /tmp) that is removed at the end.\n"
"\n"
"  --sandbox-root DIR       where projects and results go\n"
"                           (default ./gao-dev-demo)\n"
"\n"
"The other options of gao-dev sandbox run --help apply as well.\n"
"Exit code: gao-dev's for the run (0: the demo passed), or 4 when the\n"
"demo files are missing or the fake API does not start.\n";
static const char merge_help[] =
"usage: gao-dev results merge DIR... --out DIR [--junit PATH]\n"
"\n"
"Merges the shards of one invocation run with --shard I/N on several\n"
"machines: reads every manifest-I-of-N.json in each DIR (a shard's\n"
"sandbox root) and the results files they name, checks that the\n"
"manifests agree (format and gao-dev version, config hashes, model, API\n"
"version, policy, N, the list of units) and that every unit ran in\n"
"exactly one shard, then writes OUT/results-index.json and\n"
"OUT/summary.txt (the summary is printed too). Nothing is written when a\n"
"check fails. See docs/results.md.\n"
"\n"
"  --out DIR                where the merged index and summary go\n"
"                           (created 0700 when missing)\n"
"  --junit PATH             also write one JUnit XML file for all units\n"
"\n"
"exit codes: the code one invocation of all the units would give (0, 1,\n"
"3, 4, 5, 130: the first of 130, 3, 2, 4, 5, 1 that a unit produced),\n"
"2 when the manifests disagree, a unit is missing or ran twice, a file is\n"
"unreadable or malformed, or --out or --junit cannot be written.\n";
static const char report_help[] =
"usage: gao-dev report RUN_DIR|RESULTS_FILE [--out FILE]\n"
"\n"
"Writes one self-contained HTML page of a run (no script, nothing loaded\n"
"from the network; it opens from a CI artifact): the status, exit code,\n"
"time, cost against the cap, tokens and cache share, model, isolation and\n"
"whether every audit chain verified; tokens and cost per phase; a\n"
"timeline of the run's events; each agent's conversation (its text, each\n"
"tool call with its input and an excerpt of its result, errors and\n"
"refusals marked); each criterion's verdict and reason. RUN_DIR is\n"
"SANDBOX_ROOT/runs/<run_id>, RESULTS_FILE SANDBOX_ROOT/results/<run_id>.json;\n"
"the other is found beside it. Everything shown is text, escaped and\n"
"capped (docs/report.md).\n"
"\n"
"  --out FILE               where the page goes (default\n"
"                           RUN_DIR/report.html); written atomically, 0600\n"
"\n"
"exit codes: 0 written (whatever the run's status), 2 usage error or\n"
"the run's files missing or malformed, 4 the page cannot be written.\n";
static const char runs_help[] =
"usage: gao-dev runs list [--sandbox-root DIR] [--json] [--prune]\n"
"\n"
"Lists every run under the sandbox root (SANDBOX_ROOT/runs/ and results/)\n"
"with its status, start time (UTC), duration, benchmark and exit code.\n"
"A run with a results file has that file's status (completed, failed,\n"
"timeout, stopped, cancelled, error), or corrupt / unreadable when the file\n"
"cannot be read as one. A run without one is running while a process holds\n"
"its lock (runs/<run_id>/lock, held for the run's whole life); else, as\n"
"the lock's state says: unsaved (it ended but could not write its results\n"
"file: a full or read-only disk), not_started (it failed before it began),\n"
"or interrupted: its gao-dev died (kill -9, a crash) before it ended. A\n"
"run directory without a lock is unknown (a run still starting). Names\n"
"are escaped for the terminal. See docs/results.md.\n"
"\n"
"  --sandbox-root DIR       where the runs are (default ./sandbox)\n"
"  --json                   one JSON object per line: run_id, status,\n"
"                           pruned, start_time, duration_seconds,\n"
"                           benchmark, exit_code (and error, removed)\n"
"  --prune                  for each interrupted run only: kill what is\n"
"                           left in its cgroup and remove the cgroup, its\n"
"                           tmp directory and a cut-short results temp\n"
"                           file; events, transcripts, audit logs, git and\n"
"                           the project are kept; the run is then listed\n"
"                           \"interrupted (pruned)\"\n"
"\n"
"exit codes: 0 listed, 2 usage error or the sandbox root cannot be read,\n"
"4 --prune could not remove something (said on stdout).\n";
/* clang-format on */

void
cli_help(enum cli_cmd cmd, bool run)
{
	if (cmd == CLI_CHECK) {
		fputs(check_help, stdout);
		return;
	}
	if (cmd == CLI_DEMO) {
		fputs(demo_help, stdout);
		return;
	}
	if (cmd == CLI_MERGE) {
		fputs(merge_help, stdout);
		return;
	}
	if (cmd == CLI_AUDIT_VERIFY || cmd == CLI_AUDIT_SHOW) {
		fputs(audit_help, stdout);
		return;
	}
	if (cmd == CLI_REPORT) {
		fputs(report_help, stdout);
		return;
	}
	if (cmd == CLI_RUNS_LIST) {
		fputs(runs_help, stdout);
		return;
	}
	fputs(run ? run_help : general_help, stdout);
	if (run) {
		fputs(run_help2, stdout);
		fputs(run_help3, stdout);
	}
}

static int
bad(const char *opt, const char *val, const char *want)
{
	termesc_fprintf(stderr, "gao-dev: %s %s: expected %s\n", opt, val,
			want);
	return -1;
}

static int
parse_int(const char *opt, const char *s, int64_t min, int64_t max,
	  int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		char want[96];

		snprintf(want, sizeof(want), "a whole number from %lld to %lld",
			 (long long)min, (long long)max);
		return bad(opt, s, want);
	}
	*out = v;
	return 0;
}

static int
parse_num(const char *opt, const char *s, double min, double *out)
{
	char *end;
	double v = strtod(s, &end);

	/* inf would switch a cap off without saying so; 0 does that */
	if (end == s || *end || v < min || !isfinite(v))
		return bad(opt, s, "a non-negative number");
	*out = v;
	return 0;
}

static int
parse_level(const char *s, int *out)
{
	static const char *const levels[] = { "none", "seccomp", "landlock",
					      "full" };

	for (int i = 0; i < 4; i++) {
		if (strcmp(s, levels[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	return bad("--require-isolation", s, "full, landlock or seccomp");
}

bool
cli_api_version_ok(const char *v)
{
	int month, day;

	if (strlen(v) != 10 || v[4] != '-' || v[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (v[i] < '0' || v[i] > '9'))
			return false;
	month = (v[5] - '0') * 10 + (v[6] - '0');
	day = (v[8] - '0') * 10 + (v[9] - '0');
	return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

int
cli_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out,
	       const char **why)
{
	static const struct {
		const char *suffix;
		unsigned shift;
	} units[] = {
		{ "", 0 },     { "K", 10 },   { "KiB", 10 },
		{ "M", 20 },   { "MiB", 20 }, { "G", 30 },
		{ "GiB", 30 }, { "T", 40 },   { "TiB", 40 },
	};
	unsigned long long v;
	char *end;

	*why = "a whole number of bytes with an optional suffix K, M, G or T "
	       "(KiB, MiB, GiB, TiB), e.g. 512M";
	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(*units); i++) {
		if (strcmp(end, units[i].suffix) != 0)
			continue;
		if (v > (UINT64_MAX >> units[i].shift))
			return -1;
		v <<= units[i].shift;
		if (v < min || v > max) {
			*why = "a size within the allowed range";
			return -1;
		}
		*out = v;
		return 0;
	}
	return -1;
}

/* --max-memory and friends: sizes, or a count for --max-files. */
static int
parse_cap(const char *opt, const char *arg, uint64_t min, uint64_t max,
	  uint64_t *out, bool *set)
{
	const char *why;
	char want[256];

	if (cli_parse_size(arg, min, max, out, &why) < 0) {
		(void)why;
		snprintf(want, sizeof(want),
			 "a size from %llu to %llu bytes: digits with an "
			 "optional suffix K, M, G or T (or KiB, MiB, GiB, TiB; "
			 "powers of 1024), e.g. 512M",
			 (unsigned long long)min, (unsigned long long)max);
		return bad(opt, arg, want);
	}
	*set = true;
	return 0;
}

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
			return bad("--anthropic-version", arg,
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

static int parse_shard(const char *s, int *i, int *n);

static int
set_option(struct cli *c, int opt, const char *arg)
{
	int64_t v = 0;
	int rc = 0;

	switch (opt) {
	case OPT_REQUIRE:
		return parse_level(arg, &c->require_isolation);
	case OPT_MAX_COST:
		return parse_num("--max-cost-usd", arg, 0, &c->max_cost_usd);
	case OPT_RETRY_BUDGET:
		return parse_num("--retry-budget", arg, 0, &c->retry_budget_s);
	case OPT_MAX_TURNS:
		rc = parse_int("--max-turns", arg, 1, 100000, &v);
		c->max_turns = (int)v;
		break;
	case OPT_MAX_OUT:
		rc = parse_int("--max-output-tokens", arg, 1, 1000000, &v);
		c->max_output_tokens = v;
		break;
	case OPT_MAX_TOKENS:
		rc = parse_int("--max-tokens", arg, 1, INT64_MAX / 2, &v);
		c->max_tokens = v;
		break;
	case OPT_TIMEOUT:
		rc = parse_int("--timeout", arg, 1, 86400, &v);
		c->timeout_s = v;
		break;
	case OPT_MAX_TIMEOUT:
		rc = parse_int("--max-timeout", arg, 1, 86400, &v);
		c->max_timeout = v;
		break;
	case OPT_MAX_RETRIES:
		rc = parse_int("--max-retries", arg, 0, 100, &v);
		c->max_retries = (unsigned)v;
		break;
	case OPT_JOBS:
		rc = parse_int("--jobs", arg, 1, 256, &v);
		c->jobs = (int)v;
		break;
	case OPT_REPEAT:
		rc = parse_int("--repeat", arg, 1, 1000, &v);
		c->repeat = (int)v;
		break;
	case OPT_MAX_MEMORY:
		return parse_cap("--max-memory", arg, CLI_MIN_MAX_MEMORY,
				 CLI_MAX_CAP, &c->max_memory,
				 &c->max_memory_set);
	case OPT_MAX_DISK:
		return parse_cap("--max-disk", arg, CLI_MIN_MAX_DISK,
				 CLI_MAX_CAP, &c->max_disk, &c->max_disk_set);
	case OPT_MAX_FILES:
		rc = parse_int("--max-files", arg, 1, 1000000000, &v);
		c->max_files = (uint64_t)v;
		c->max_files_set = rc == 0;
		break;
	case OPT_SHARD:
		return parse_shard(arg, &c->shard_i, &c->shard_n);
	case OPT_WEB_MAX_USES:
		rc = parse_int("--web-max-uses", arg, WEBOPT_MIN_MAX_USES,
			       WEBOPT_MAX_MAX_USES, &v);
		c->web_max_uses = (int)v;
		break;
	case OPT_TEST_DISABLE:
		rc = parse_int("--test-disable-layers", arg, 0, 0xffff, &v);
		c->test_disable = (uint32_t)v;
		break;
	case OPT_THINKING:
		rc = parse_int("--thinking-budget", arg, 1024, 1000000, &v);
		c->thinking_budget = v;
		break;
	case OPT_IDLE_TIMEOUT:
		rc = parse_int("--idle-timeout", arg, CLI_MIN_IDLE_TIMEOUT,
			       CLI_MAX_IDLE_TIMEOUT, &v);
		c->idle_timeout_s = (long)v;
		break;
	default:
		return set_plain_option(c, opt, arg);
	}
	return rc;
}

/*
 * --shard I/N: two whole numbers in plain decimal digits (no sign, no
 * spaces, no leading zero), 1 <= I <= N <= CLI_MAX_SHARDS.
 */
static int
parse_shard(const char *s, int *i, int *n)
{
	const char *p = s;
	long v[2] = { 0, 0 };

	for (int k = 0; k < 2; k++) {
		const char *start = p;

		while (*p >= '0' && *p <= '9' && p - start < 5)
			v[k] = v[k] * 10 + (*p++ - '0');
		if (p == start || (*start == '0') ||
		    (k == 0 ? *p != '/' : *p != 0))
			goto bad;
		p++;
	}
	if (v[0] < 1 || v[1] > CLI_MAX_SHARDS || v[0] > v[1])
		goto bad;
	*i = (int)v[0];
	*n = (int)v[1];
	return 0;
bad:
	termesc_fprintf(stderr,
			"gao-dev: --shard %s: expected I/N, two whole numbers "
			"with 1 <= I <= N <= %d, e.g. --shard 2/3 for the "
			"second of three shards\n",
			s, CLI_MAX_SHARDS);
	return -1;
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
