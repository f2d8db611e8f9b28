/*
 * test_cli.c - unit tests of command-line parsing (cli.h).
 *
 * Design note
 * -----------
 * cli_parse() is run on argument vectors built from string literals
 * (copied, since getopt permutes argv and --api-key is wiped later). A
 * test may parse several vectors: cli_parse sets optind itself. Error
 * messages go to stderr, captured (Criterion's redirection, or a pipe for
 * the table of bad values) and compared exactly, which is the point:
 * every refusal must name the option, the value and the fix.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/redirect.h>

#include "config.h"
#include "supervisor/config/cli.h"

#define MAXARGS 32

struct argv {
	int argc;
	char *v[MAXARGS + 1];
};

/* Build a writable argv from a NULL-terminated list of literals. */
static struct argv *
vmkargv(const char *first, va_list ap)
{
	static struct argv a;
	const char *s;

	for (int i = 0; i < a.argc; i++)
		free(a.v[i]);
	memset(&a, 0, sizeof(a));
	a.v[a.argc++] = strdup("gao-dev");
	for (s = first; s; s = va_arg(ap, const char *)) {
		cr_assert_lt(a.argc, MAXARGS);
		a.v[a.argc++] = strdup(s);
	}
	return &a;
}

static struct argv *
mkargv(const char *first, ...)
{
	struct argv *a;
	va_list ap;

	va_start(ap, first);
	a = vmkargv(first, ap);
	va_end(ap);
	return a;
}

/* cli_parse of "gao-dev" and the NULL-terminated arguments. */
static int
parse_list(struct cli *c, const char *first, ...)
{
	struct argv *a;
	va_list ap;

	va_start(ap, first);
	a = vmkargv(first, ap);
	va_end(ap);
	return cli_parse(a->argc, a->v, c);
}

#define PARSE(c, ...) parse_list((c), __VA_ARGS__, NULL)

static void
redirect(void)
{
	cr_redirect_stderr();
}

TestSuite(cli, .init = redirect);

Test(cli, run_defaults)
{
	struct cli c;

	cr_assert_eq(PARSE(&c, "sandbox", "run", "a.yaml"), 0);
	cr_assert_eq(c.cmd, CLI_RUN);
	cr_assert_eq(c.n_args, 1);
	cr_assert_str_eq(c.args[0], "a.yaml");
	cr_assert_not(c.standalone);
	cr_assert_not(c.dry_run);
	cr_assert(c.stream);
	cr_assert_str_eq(c.sandbox_root, "./sandbox");
	cr_assert_null(
		c.anthropic_version); /* the user config, then 2026-10-21 */
	cr_assert_eq(c.max_turns, 200);
	cr_assert_float_eq(c.max_cost_usd, 10.0, 1e-12);
	cr_assert_eq(c.max_retries, 4);
	cr_assert_float_eq(c.retry_budget_s, 300.0, 1e-12);
	cr_assert_eq(c.jobs, 1);
	cr_assert_eq(c.repeat, 1);
	cr_assert_eq(c.max_tokens, 0);
	cr_assert_eq(c.max_output_tokens, 0);
	cr_assert_eq(c.timeout_s, 0);
	cr_assert_null(c.api_key);
	cr_assert_null(c.model);
	cr_assert_eq(c.require_isolation, 0);
	cr_assert_eq(c.max_memory, 4ull << 30);
	cr_assert_eq(c.max_disk, 1ull << 30);
	cr_assert_eq(c.max_files, 100000);
	cr_assert_not(c.max_memory_set || c.max_disk_set || c.max_files_set);
}

Test(cli, run_totals_with_suffixes)
{
	static const struct {
		const char *val;
		uint64_t bytes;
	} ok[] = {
		{ "16777216", 16ull << 20 },    { "64M", 64ull << 20 },
		{ "64MiB", 64ull << 20 },       { "20000K", 20000ull << 10 },
		{ "20000KiB", 20000ull << 10 }, { "2G", 2ull << 30 },
		{ "2GiB", 2ull << 30 },         { "1T", 1ull << 40 },
		{ "1024TiB", 1ull << 50 },
	};
	struct cli c;

	for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++) {
		cr_assert_eq(PARSE(&c, "sandbox", "run", "a.yaml",
				   "--max-memory", ok[i].val, "--max-disk",
				   ok[i].val),
			     0, "%s", ok[i].val);
		cr_assert_eq(c.max_memory, ok[i].bytes, "%s", ok[i].val);
		cr_assert_eq(c.max_disk, ok[i].bytes, "%s", ok[i].val);
		cr_assert(c.max_memory_set && c.max_disk_set);
		cr_assert_not(c.max_files_set);
	}
	cr_assert_eq(PARSE(&c, "sandbox", "run", "a.yaml", "--max-files", "1"),
		     0);
	cr_assert_eq(c.max_files, 1);
	cr_assert(c.max_files_set);
}

Test(cli, each_command)
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
	};

	for (size_t i = 0; i < sizeof(cmds) / sizeof(*cmds); i++) {
		struct cli c;

		cr_assert_eq(PARSE(&c, cmds[i].a, cmds[i].b, "f1", "f2"), 0);
		cr_assert_eq(c.cmd, cmds[i].cmd, "%s %s", cmds[i].a, cmds[i].b);
		cr_assert_eq(c.standalone, cmds[i].standalone);
		cr_assert_eq(c.n_args, 2);
		cr_assert_str_eq(c.args[0], "f1");
		cr_assert_str_eq(c.args[1], "f2");
	}
}

Test(cli, options_anywhere)
{
	struct cli c;

	cr_assert_eq(PARSE(&c, "sandbox", "run", "--standalone", "a.yaml",
			   "--model", "claude-opus-4-8", "b.yaml",
			   "--max-turns=7", "--dry-run", "c.yaml",
			   "--sandbox-root", "/tmp/sb", "--no-stream"),
		     0);
	cr_assert_eq(c.n_args, 3);
	cr_assert_str_eq(c.args[0], "a.yaml");
	cr_assert_str_eq(c.args[1], "b.yaml");
	cr_assert_str_eq(c.args[2], "c.yaml");
	cr_assert(c.standalone);
	cr_assert(c.dry_run);
	cr_assert_not(c.stream);
	cr_assert_str_eq(c.model, "claude-opus-4-8");
	cr_assert_str_eq(c.sandbox_root, "/tmp/sb");
	cr_assert_eq(c.max_turns, 7);
}

Test(cli, string_options)
{
	struct cli c;

	cr_assert_eq(PARSE(&c, "sandbox", "run", "a.yaml", "--api-key", "k-123",
			   "--api-key-file", "/k", "--allow-insecure-key-file",
			   "--policy", "strict", "--agents-dir", "/agents",
			   "--anthropic-version", "2023-06-01",
			   "--skip-key-validation"),
		     0);
	cr_assert_str_eq(c.api_key, "k-123");
	cr_assert_str_eq(c.api_key_file, "/k");
	cr_assert(c.allow_insecure_key_file);
	cr_assert_str_eq(c.policy, "strict");
	cr_assert_str_eq(c.agents_dir, "/agents");
	cr_assert_str_eq(c.anthropic_version, "2023-06-01");
	cr_assert(c.skip_key_validation);
}

Test(cli, untrusted_config_options)
{
	struct cli c;

	cr_assert_eq(PARSE(&c, "sandbox", "validate", "a.yaml"), 0);
	cr_assert_null(c.boilerplate_root);
	cr_assert(!c.allow_config_policy);
	cr_assert_eq(c.max_timeout, 0); /* the user config's, else 7200 */
	cr_assert_eq(PARSE(&c, "sandbox", "run", "a.yaml", "--boilerplate-root",
			   "/srv/templates", "--allow-config-policy",
			   "--max-timeout", "10800"),
		     0);
	cr_assert_str_eq(c.boilerplate_root, "/srv/templates");
	cr_assert(c.allow_config_policy);
	cr_assert_eq(c.max_timeout, 10800);
}

Test(cli, api_key_points_into_argv)
{
	/* the key must be wipeable in place: it is argv's own string */
	struct argv *a = mkargv("sandbox", "run", "x.yaml", "--api-key",
				"wipe-me", NULL);
	char *orig = a->v[5];
	struct cli c;

	cr_assert_eq(cli_parse(a->argc, a->v, &c), 0);
	cr_assert_eq(c.api_key, orig);
}

Test(cli, numeric_options_in_range)
{
	struct cli c;

	cr_assert_eq(PARSE(&c, "sandbox", "run", "a.yaml", "--max-turns",
			   "100000", "--max-output-tokens", "1", "--max-tokens",
			   "5000000", "--max-cost-usd", "0", "--timeout",
			   "86400", "--max-retries", "0", "--retry-budget",
			   "2.5", "--jobs", "256", "--repeat", "1000",
			   "--thinking-budget", "1024", "--idle-timeout", "5"),
		     0);
	cr_assert_eq(c.thinking_budget, 1024);
	cr_assert_eq(c.idle_timeout_s, 5);
	cr_assert_eq(c.max_turns, 100000);
	cr_assert_eq(c.max_output_tokens, 1);
	cr_assert_eq(c.max_tokens, 5000000);
	cr_assert_float_eq(c.max_cost_usd, 0.0, 1e-12);
	cr_assert_eq(c.timeout_s, 86400);
	cr_assert_eq(c.max_retries, 0);
	cr_assert_float_eq(c.retry_budget_s, 2.5, 1e-12);
	cr_assert_eq(c.jobs, 256);
	cr_assert_eq(c.repeat, 1000);
	cr_assert_eq(PARSE(&c, "sandbox", "run", "a.yaml", "--idle-timeout",
			   "3600"),
		     0);
	cr_assert_eq(c.idle_timeout_s, 3600);
	cr_assert_eq(PARSE(&c, "sandbox", "run", "a.yaml"), 0);
	cr_assert_eq(c.idle_timeout_s, 300, "the default");
}

static const struct {
	const char *opt, *val, *msg;
} bad_numbers[] = {
	{ "--max-turns", "0", "a whole number from 1 to 100000" },
	{ "--max-turns", "100001", "a whole number from 1 to 100000" },
	{ "--max-turns", "ten", "a whole number from 1 to 100000" },
	{ "--max-turns", "5x", "a whole number from 1 to 100000" },
	{ "--max-turns", "", "a whole number from 1 to 100000" },
	{ "--max-output-tokens", "0", "a whole number from 1 to 1000000" },
	{ "--max-output-tokens", "1000001",
	  "a whole number from 1 to 1000000" },
	{ "--thinking-budget", "1023", "a whole number from 1024 to 1000000" },
	{ "--thinking-budget", "1000001",
	  "a whole number from 1024 to 1000000" },
	{ "--thinking-budget", "2k", "a whole number from 1024 to 1000000" },
	{ "--max-tokens", "0", "a whole number from 1 to 4611686018427387903" },
	{ "--max-tokens", "99999999999999999999",
	  "a whole number from 1 to 4611686018427387903" },
	{ "--timeout", "0", "a whole number from 1 to 86400" },
	{ "--max-timeout", "0", "a whole number from 1 to 86400" },
	{ "--max-timeout", "86401", "a whole number from 1 to 86400" },
	{ "--timeout", "86401", "a whole number from 1 to 86400" },
	{ "--max-retries", "-1", "a whole number from 0 to 100" },
	{ "--idle-timeout", "4", "a whole number from 5 to 3600" },
	{ "--idle-timeout", "3601", "a whole number from 5 to 3600" },
	{ "--idle-timeout", "0", "a whole number from 5 to 3600" },
	{ "--idle-timeout", "1m", "a whole number from 5 to 3600" },
	{ "--max-retries", "101", "a whole number from 0 to 100" },
	{ "--jobs", "0", "a whole number from 1 to 256" },
	{ "--jobs", "257", "a whole number from 1 to 256" },
	{ "--repeat", "0", "a whole number from 1 to 1000" },
	{ "--repeat", "1001", "a whole number from 1 to 1000" },
	{ "--max-cost-usd", "-0.01", "a non-negative number" },
	{ "--max-cost-usd", "ten", "a non-negative number" },
	{ "--max-cost-usd", "nan", "a non-negative number" },
	{ "--max-cost-usd", "inf", "a non-negative number" },
	{ "--max-cost-usd", "1e999", "a non-negative number" },
	{ "--retry-budget", "-1", "a non-negative number" },
	{ "--retry-budget", "3s", "a non-negative number" },
	{ "--require-isolation", "max", "full, landlock or seccomp" },
#define SIZE_MSG(lo) \
	"a size from " lo " to 1125899906842624 bytes: digits with an " \
	"optional suffix K, M, G or T (or KiB, MiB, GiB, TiB; powers of " \
	"1024), e.g. 512M"
	{ "--max-memory", "4GB", SIZE_MSG("16777216") },
	{ "--max-memory", "4g", SIZE_MSG("16777216") },
	{ "--max-memory", "1.5G", SIZE_MSG("16777216") },
	{ "--max-memory", "-1G", SIZE_MSG("16777216") },
	{ "--max-memory", " 1G", SIZE_MSG("16777216") },
	{ "--max-memory", "G", SIZE_MSG("16777216") },
	{ "--max-memory", "", SIZE_MSG("16777216") },
	{ "--max-memory", "1M", SIZE_MSG("16777216") },
	{ "--max-memory", "1025T", SIZE_MSG("16777216") },
	{ "--max-memory", "18446744073709551615K", SIZE_MSG("16777216") },
	{ "--max-memory", "99999999999999999999999", SIZE_MSG("16777216") },
	{ "--max-disk", "1K", SIZE_MSG("65536") },
	{ "--max-disk", "1GiBs", SIZE_MSG("65536") },
	{ "--max-files", "0", "a whole number from 1 to 1000000000" },
	{ "--max-files", "10k", "a whole number from 1 to 1000000000" },
	{ "--require-isolation", "FULL", "full, landlock or seccomp" },
};

/* Parse one bad value; its stderr must be the exact message. */
static void
check_bad(size_t i)
{
	char want[512], got[512] = "";
	FILE *f;
	struct cli c;
	int fds[2], saved;
	ssize_t n;

	cr_assert_eq(pipe2(fds, O_CLOEXEC), 0);
	fflush(stderr);
	saved = fcntl(2, F_DUPFD_CLOEXEC, 0);
	cr_assert_eq(dup2(fds[1], 2), 2);
	cr_assert_eq(PARSE(&c, "sandbox", "run", "a.yaml", bad_numbers[i].opt,
			   bad_numbers[i].val),
		     -1, "%s %s accepted", bad_numbers[i].opt,
		     bad_numbers[i].val);
	fflush(stderr);
	cr_assert_eq(dup2(saved, 2), 2);
	close(saved);
	close(fds[1]);
	f = fdopen(fds[0], "r");
	n = (ssize_t)fread(got, 1, sizeof(got) - 1, f);
	got[n > 0 ? n : 0] = 0;
	fclose(f);
	snprintf(want, sizeof(want), "gao-dev: %s %s: expected %s\n",
		 bad_numbers[i].opt, bad_numbers[i].val, bad_numbers[i].msg);
	cr_assert_str_eq(got, want);
}

Test(cli, numeric_bounds_and_messages)
{
	for (size_t i = 0; i < sizeof(bad_numbers) / sizeof(*bad_numbers); i++)
		check_bad(i);
}

Test(cli, isolation_levels)
{
	static const char *const levels[] = { "none", "seccomp", "landlock",
					      "full" };

	for (int i = 0; i < 4; i++) {
		struct cli c;

		cr_assert_eq(PARSE(&c, "sandbox", "run", "a.yaml",
				   "--require-isolation", levels[i]),
			     0);
		cr_assert_eq(c.require_isolation, i);
	}
}

Test(cli, help_and_version)
{
	struct cli c;

	cr_assert_eq(PARSE(&c, "--help"), 0);
	cr_assert_eq(c.cmd, CLI_HELP);
	cr_assert_eq(PARSE(&c, "-h"), 0);
	cr_assert_eq(c.cmd, CLI_HELP);
	cr_assert_eq(PARSE(&c, "help"), 0);
	cr_assert_eq(c.cmd, CLI_HELP);
	cr_assert_eq(PARSE(&c, "--version"), 0);
	cr_assert_eq(c.cmd, CLI_VERSION);
	cr_assert_eq(PARSE(&c, "-V"), 0);
	cr_assert_eq(c.cmd, CLI_VERSION);
}

Test(cli, help_after_a_command)
{
	struct cli c;

	/* --help needs no file and wins over the rest */
	cr_assert_eq(PARSE(&c, "sandbox", "run", "--help"), 0);
	cr_assert_eq(c.cmd, CLI_RUN);
	cr_assert_eq(c.n_args, -1);
}

Test(cli, version_after_a_command)
{
	struct cli c;

	cr_assert_eq(PARSE(&c, "sandbox", "validate", "x.yaml", "-V"), 0);
	cr_assert_eq(c.cmd, CLI_VERSION);
}

Test(cli, missing_file_argument)
{
	struct cli c;

	cr_assert_eq(PARSE(&c, "sandbox", "run", "--standalone"), -1);
	fflush(stderr);
	cr_assert_stderr_eq_str("gao-dev: sandbox run needs at least one "
				"file; see gao-dev sandbox run --help\n");
}

Test(cli, missing_file_for_audit_verify)
{
	struct cli c;

	cr_assert_eq(PARSE(&c, "audit", "verify"), -1);
	fflush(stderr);
	cr_assert_stderr_eq_str("gao-dev: audit verify needs at least one "
				"file; see gao-dev audit verify --help\n");
}

Test(cli, unknown_command)
{
	struct cli c;

	cr_assert_eq(PARSE(&c, "sandbox", "explode", "x"), -1);
	fflush(stderr);
	cr_assert_stderr_eq_str("gao-dev: unknown command sandbox; try "
				"gao-dev --help\n");
}

Test(cli, no_command)
{
	struct argv *a = mkargv(NULL);
	struct cli c;

	cr_assert_eq(cli_parse(a->argc, a->v, &c), -1);
	fflush(stderr);
	cr_assert_stderr_eq_str("gao-dev: unknown command; try gao-dev "
				"--help\n");
}

Test(cli, unknown_option)
{
	struct cli c;

	cr_assert_eq(PARSE(&c, "sandbox", "run", "a.yaml", "--frobnicate"), -1);
	fflush(stderr);
	cr_assert_stderr_eq_str("gao-dev: --frobnicate: unknown option or "
				"missing value; see gao-dev sandbox run "
				"--help\n");
}

Test(cli, anthropic_version_must_be_a_date)
{
	static const char *const bad[] = {
		"latest",    "2026-13-01", "2026-10-21\r\nx-evil: 1",
		"2026-10-2", "2026-1O-21", ""
	};
	struct cli c;

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		cr_assert_eq(PARSE(&c, "sandbox", "run", "a.yaml",
				   "--anthropic-version", bad[i]),
			     -1, "%s", bad[i]);
	cr_assert(cli_api_version_ok("2023-06-01"));
	cr_assert(cli_api_version_ok("2026-10-21"));
	cr_assert_not(cli_api_version_ok("2026-00-21"));
	cr_assert_not(cli_api_version_ok("2026-10-32"));
}

Test(cli, missing_value)
{
	struct cli c;

	cr_assert_eq(PARSE(&c, "sandbox", "run", "a.yaml", "--model"), -1);
	fflush(stderr);
	cr_assert_stderr_eq_str("gao-dev: --model: unknown option or missing "
				"value; see gao-dev sandbox run --help\n");
}

Test(cli, test_switches_only_in_test_builds)
{
	struct cli c;
	int rc = PARSE(&c, "sandbox", "run", "a.yaml", "--test-disable-layers",
		       "3", "--test-no-namespaces");

#if GAO_DEV_TEST_SWITCHES
	cr_assert_eq(rc, 0);
	cr_assert_eq(c.test_disable, 3);
	cr_assert(c.no_namespaces);
#else
	cr_assert_eq(rc, -1);
#endif
	/* the model lifecycle's clock (a release build reads the real one) */
	rc = PARSE(&c, "sandbox", "run", "a.yaml", "--test-today",
		   "2027-01-22");
#if GAO_DEV_TEST_SWITCHES
	cr_assert_eq(rc, 0);
	cr_assert_str_eq(c.test_today, "2027-01-22");
#else
	cr_assert_eq(rc, -1);
#endif
}

/* The help text cli_help prints, in buf. */
static void
help_text(bool run, char *buf, size_t cap)
{
	FILE *f = fmemopen(buf, cap, "w");
	FILE *saved = stdout;

	cr_assert_not_null(f);
	stdout = f;
	cli_help(run ? CLI_RUN : CLI_HELP, run);
	stdout = saved;
	cr_assert_eq(fclose(f), 0);
}

Test(cli, general_help_lists_commands_and_exit_codes)
{
	static const char *const want[] = {
		"sandbox run CONFIG...",
		"sandbox run-standalone CONFIG...",
		"sandbox validate CONFIG...",
		"policy show NAME|FILE",
		"policy check FILE",
		"audit verify RUN_DIR|FILE",
		"audit show RUN_DIR|FILE",
		"runs list [--sandbox-root DIR] [--json] [--prune]",
		"--help, -h",
		"--version, -V",
		"0 completed and passed",
		"1 a benchmark failed",
		"2 usage or config\nerror",
		"3 API key missing or rejected",
		"4 infrastructure failure",
		"5 stopped by a limit",
		"130 interrupted",
	};
	char buf[8192];

	help_text(false, buf, sizeof(buf));
	for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++)
		cr_assert_neq(strstr(buf, want[i]), NULL, "%s", want[i]);
}

/* Every long option cli.c accepts appears in the run help. */
Test(cli, run_help_lists_every_option)
{
	static const char *const opts[] = {
		"--standalone",
		"--api-key KEY",
		"--api-key-file PATH",
		"--allow-insecure-key-file",
		"--sandbox-root DIR",
		"--model ID",
		"--max-turns N",
		"--max-output-tokens N",
		"--thinking-budget N",
		"--max-tokens N",
		"--max-cost-usd X",
		"--timeout S",
		"--max-retries N",
		"--retry-budget S",
		"--idle-timeout S",
		"--anthropic-version V",
		"--no-stream",
		"--policy NAME|FILE",
		"--require-isolation L",
		"--agents-dir DIR",
		"--jobs N",
		"--repeat K",
		"--junit PATH",
		"--dry-run",
		"--skip-key-validation",
	};
	char buf[8192];

	help_text(true, buf, sizeof(buf));
	for (size_t i = 0; i < sizeof(opts) / sizeof(*opts); i++)
		cr_assert_neq(strstr(buf, opts[i]), NULL, "%s", opts[i]);
	cr_assert_neq(strstr(buf, "(default 200)"), NULL);
	cr_assert_neq(strstr(buf, "(default 10.00; 0 = none)"), NULL);
}

/* sandbox check: no file, --json, only its own options (issue 11). */
Test(cli, sandbox_check)
{
	struct cli c;

	cr_assert_eq(PARSE(&c, "sandbox", "check"), 0);
	cr_assert_eq(c.cmd, CLI_CHECK);
	cr_assert_eq(c.n_args, 0);
	cr_assert_not(c.json);
	/* its default is $TMPDIR, not a run's ./sandbox */
	cr_assert_null(c.sandbox_root);
	cr_assert_eq(PARSE(&c, "sandbox", "check", "--json", "--policy",
			   "strict", "--sandbox-root", "/var/tmp",
			   "--require-isolation", "landlock", "--max-memory",
			   "1G", "--max-disk", "2G", "--max-files", "9"),
		     0);
	cr_assert(c.json);
	cr_assert_str_eq(c.policy, "strict");
	cr_assert_str_eq(c.sandbox_root, "/var/tmp");
	cr_assert_eq(c.require_isolation, 2);
	cr_assert(c.max_memory_set);
	cr_assert_eq(c.max_memory, 1ull << 30);
	cr_assert_eq(c.max_disk, 2ull << 30);
	cr_assert_eq(c.max_files, 9);
	cr_assert_eq(PARSE(&c, "sandbox", "check", "--help"), 0);
	cr_assert_eq(c.n_args, -1);
	cr_assert_eq(c.cmd, CLI_CHECK);
}

Test(cli, sandbox_check_refuses_a_file)
{
	struct cli c;

	cr_assert_eq(PARSE(&c, "sandbox", "check", "x.yaml"), -1);
	fflush(stderr);
	cr_assert_stderr_eq_str("gao-dev: sandbox check takes no file "
				"(x.yaml); see gao-dev sandbox check --help\n");
}

Test(cli, sandbox_check_refuses_run_options)
{
	struct cli c;

	cr_assert_eq(PARSE(&c, "sandbox", "check", "--api-key", "k"), -1);
	fflush(stderr);
	cr_assert_stderr_eq_str("gao-dev: --api-key does not apply to "
				"sandbox check; see gao-dev sandbox check "
				"--help\n");
}

Test(cli, junit_path)
{
	struct cli c;

	cr_assert_eq(PARSE(&c, "sandbox", "run", "a.yaml"), 0);
	cr_assert_null(c.junit);
	cr_assert_eq(PARSE(&c, "sandbox", "run", "a.yaml", "--junit",
			   "out/junit.xml"),
		     0);
	cr_assert_str_eq(c.junit, "out/junit.xml");
	cr_assert_eq(PARSE(&c, "sandbox", "check", "--junit", "j.xml"), -1);
}

Test(cli, json_is_only_for_sandbox_check)
{
	struct cli c;

	cr_assert_eq(PARSE(&c, "sandbox", "run", "a.yaml", "--json"), -1);
	fflush(stderr);
	cr_assert_stderr_eq_str("gao-dev: --json does not apply to sandbox "
				"run; see gao-dev sandbox run --help\n");
}

Test(cli, sandbox_check_unknown_option)
{
	struct cli c;

	cr_assert_eq(PARSE(&c, "sandbox", "check", "--frobnicate"), -1);
	fflush(stderr);
	cr_assert_stderr_eq_str("gao-dev: --frobnicate: unknown option or "
				"missing value; see gao-dev sandbox check "
				"--help\n");
}

/* demo: one word, no files, its own default sandbox root. */
Test(cli, demo_command)
{
	struct cli c;

	cr_assert_eq(PARSE(&c, "demo"), 0);
	cr_assert_eq(c.cmd, CLI_DEMO);
	cr_assert_eq(c.n_args, 0);
	cr_assert_str_eq(c.sandbox_root, "./gao-dev-demo");
	cr_assert_eq(PARSE(&c, "demo", "--sandbox-root", "./sandbox"), 0);
	cr_assert_str_eq(c.sandbox_root, "./sandbox");
	cr_assert_eq(PARSE(&c, "demo", "--max-turns", "7"), 0);
	cr_assert_eq(c.max_turns, 7);
	cr_assert_eq(PARSE(&c, "demo", "--help"), 0);
	cr_assert_eq(c.cmd, CLI_DEMO);
	cr_assert_eq(c.n_args, -1);
	cr_assert_eq(PARSE(&c, "demo", "a.yaml"), -1);
	cr_assert_eq(PARSE(&c, "demos"), -1);
	fflush(stderr);
	cr_assert_stderr_eq_str("gao-dev demo: a.yaml: the demo takes no "
				"files; see gao-dev demo --help\n"
				"gao-dev: unknown command demos; try gao-dev "
				"--help\n");
}

Test(cli, demo_help)
{
	char buf[8192];
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	FILE *saved = stdout;

	cr_assert_not_null(f);
	stdout = f;
	cli_help(CLI_DEMO, false);
	stdout = saved;
	cr_assert_eq(fclose(f), 0);
	cr_assert_neq(strstr(buf, "usage: gao-dev demo"), NULL);
	cr_assert_neq(strstr(buf, "(default ./gao-dev-demo)"), NULL);
	help_text(false, buf, sizeof(buf));
	cr_assert_neq(strstr(buf, "demo [--sandbox-root DIR]"), NULL);
}

Test(cli, report_command)
{
	struct cli c;

	cr_assert_eq(PARSE(&c, "report", "runs/r1"), 0);
	cr_assert_eq(c.cmd, CLI_REPORT);
	cr_assert_eq(c.n_args, 1);
	cr_assert_str_eq(c.args[0], "runs/r1");
	cr_assert_null(c.out);
	cr_assert_eq(PARSE(&c, "report", "r.json", "--out", "x.html"), 0);
	cr_assert_str_eq(c.out, "x.html");
	cr_assert_eq(PARSE(&c, "report", "--help"), 0);
	cr_assert_eq(c.n_args, -1);
	cr_assert_eq(PARSE(&c, "sandbox", "run", "a.yaml", "--report"), 0);
	cr_assert(c.report);
	cr_assert_eq(PARSE(&c, "demo", "--report"), 0);
	cr_assert(c.report);
	cr_assert_eq(PARSE(&c, "sandbox", "run", "a.yaml"), 0);
	cr_assert_not(c.report);
	cr_assert_eq(PARSE(&c, "report"), -1);
	cr_assert_eq(PARSE(&c, "report", "a", "b"), -1);
	cr_assert_eq(PARSE(&c, "report", "a", "--junit", "j.xml"), -1);
	cr_assert_eq(PARSE(&c, "report", "a", "--report"), -1);
	cr_assert_eq(PARSE(&c, "sandbox", "validate", "a.yaml", "--report"),
		     -1);
	fflush(stderr);
	cr_assert_stderr_eq_str(
		"gao-dev: report takes one run directory or results file; "
		"see gao-dev report --help\n"
		"gao-dev: report takes one run directory or results file; "
		"see gao-dev report --help\n"
		"gao-dev: --junit does not apply to report; see gao-dev "
		"report --help\n"
		"gao-dev: --report does not apply to report; see gao-dev "
		"report --help\n"
		"gao-dev: --report does not apply to sandbox validate; see "
		"gao-dev sandbox validate --help\n");
}

Test(cli, report_help)
{
	char buf[8192];
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	FILE *saved = stdout;

	cr_assert_not_null(f);
	stdout = f;
	cli_help(CLI_REPORT, false);
	stdout = saved;
	cr_assert_eq(fclose(f), 0);
	cr_assert_neq(strstr(buf, "usage: gao-dev report RUN_DIR|RESULTS_FILE"),
		      NULL);
	cr_assert_neq(strstr(buf, "--out FILE"), NULL);
	help_text(false, buf, sizeof(buf));
	cr_assert_neq(strstr(buf, "report RUN_DIR|RESULTS_FILE [--out FILE]"),
		      NULL);
	help_text(true, buf, sizeof(buf));
	cr_assert_neq(strstr(buf, "--report"), NULL);
}

/* audit show takes its filters and --json; nothing else takes them, and the
 * audit commands take no run option. */
Test(cli, audit_show_filters)
{
	struct cli c;

	cr_assert_eq(PARSE(&c, "audit", "show", "runs/x", "--agent", "John",
			   "--tool", "Bash", "--path", "src/*", "--json"),
		     0);
	cr_assert_eq(c.cmd, CLI_AUDIT_SHOW);
	cr_assert_str_eq(c.audit_agent, "John");
	cr_assert_str_eq(c.audit_tool, "Bash");
	cr_assert_str_eq(c.audit_path, "src/*");
	cr_assert(c.json);
	cr_assert_eq(c.n_args, 1);
	cr_assert_eq(PARSE(&c, "sandbox", "run", "a.yaml", "--agent", "J"), -1);
	cr_assert_eq(PARSE(&c, "audit", "verify", "runs/x", "--json"), -1);
	cr_assert_eq(PARSE(&c, "audit", "verify", "runs/x", "--path", "x"), -1);
	cr_assert_eq(PARSE(&c, "audit", "show", "runs/x", "--max-turns", "3"),
		     -1);
	cr_assert_eq(PARSE(&c, "audit", "show"), -1);
}

Test(cli, runs_list_command)
{
	struct cli c;

	cr_assert_eq(PARSE(&c, "runs", "list"), 0);
	cr_assert_eq(c.cmd, CLI_RUNS_LIST);
	cr_assert_eq(c.n_args, 0);
	cr_assert_str_eq(c.sandbox_root, "./sandbox");
	cr_assert_not(c.json);
	cr_assert_not(c.prune);
	cr_assert_eq(PARSE(&c, "runs", "list", "--sandbox-root", "r", "--json",
			   "--prune"),
		     0);
	cr_assert_str_eq(c.sandbox_root, "r");
	cr_assert(c.json);
	cr_assert(c.prune);
	cr_assert_eq(PARSE(&c, "runs", "list", "--help"), 0);
	cr_assert_eq(c.n_args, -1);
	/* another command's options, a file, --prune elsewhere */
	cr_assert_eq(PARSE(&c, "runs", "list", "--out", "x"), -1);
	cr_assert_eq(PARSE(&c, "runs", "list", "--model", "m"), -1);
	cr_assert_eq(PARSE(&c, "runs", "list", "somefile"), -1);
	cr_assert_eq(PARSE(&c, "sandbox", "run", "a.yaml", "--prune"), -1);
	cr_assert_eq(PARSE(&c, "runs"), -1);
	cr_assert_eq(PARSE(&c, "runs", "show"), -1);
}
