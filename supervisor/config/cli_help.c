/*
 * cli_help.c - the --help texts of every command, and cli_help() that
 * prints them. See cli.h.
 *
 * Design note
 * -----------
 * Text only: what each command and option does, its default and its exit
 * codes, written next to nothing else so the texts read as they print.
 * The options themselves (names, values, which command takes which) are
 * cli.c's table; the man page test (tests/man/test_manpage.py) holds
 * these texts, docs/gao-dev.1 and the table to each other. A string
 * literal is capped at 4095 bytes (C99), so the run help is three.
 */
#include "supervisor/config/cli.h"

#include <stdio.h>

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
"                           (also mount, PID, net, IPC and UTS namespaces)\n"
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
	static const struct {
		enum cli_cmd cmd;
		const char *text;
	} texts[] = {
		{ CLI_CHECK, check_help },
		{ CLI_DEMO, demo_help },
		{ CLI_MERGE, merge_help },
		{ CLI_AUDIT_VERIFY, audit_help },
		{ CLI_AUDIT_SHOW, audit_help },
		{ CLI_REPORT, report_help },
		{ CLI_RUNS_LIST, runs_help },
	};

	for (size_t i = 0; i < sizeof(texts) / sizeof(*texts); i++) {
		if (texts[i].cmd == cmd) {
			fputs(texts[i].text, stdout);
			return;
		}
	}
	fputs(run ? run_help : general_help, stdout);
	if (run) {
		fputs(run_help2, stdout);
		fputs(run_help3, stdout);
	}
}
