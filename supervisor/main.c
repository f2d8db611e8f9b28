/*
 * main.c - gao-dev: wiring only. Hardens the process, parses the command
 * line and hands over to the command's module.
 *
 * Before anything else the process makes itself non-dumpable (no core
 * file, no /proc/<pid>/mem or environ for same-uid processes, no ptrace
 * attach) and sets its core limit to 0: it is about to hold the API key.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "common/termesc.h"
#include "config.h"
#include "policy/policy.h"
#include "supervisor/agent/audit_cmd.h"
#include "supervisor/config/agents.h"
#include "supervisor/config/cli.h"
#include "supervisor/core/datadir.h"
#include "supervisor/run/hostcheck.h"
#include "supervisor/run/demo.h"
#include "supervisor/run/merge.h"
#include "supervisor/run/report.h"
#include "supervisor/run/runner.h"
#include "supervisor/run/runs_list.h"

static void
harden(void)
{
	struct rlimit zero = { 0, 0 };

	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	setrlimit(RLIMIT_CORE, &zero);
	/* every file of a run is private: 0600 files, 0700 directories */
	umask(077);
	/* a worker closing its pipe must give EPIPE, not kill us */
	signal(SIGPIPE, SIG_IGN);
}

/* policy show: a policy file's names and paths are text from a file,
 * so the listing leaves through the terminal escape step like all else. */
static void
print_policy(const struct policy *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	if (!m)
		return;
	policy_print(m, p);
	if (fclose(m) == 0)
		termesc_fputs(buf, stdout);
	free(buf);
}

static int
cmd_policy(const struct cli *c)
{
	struct policy *p = NULL;
	char err[1024];
	int rc = 0;

	for (int i = 0; i < c->n_args && rc == 0; i++) {
		if (c->cmd == CLI_POLICY_SHOW)
			rc = policy_load_named(c->args[i], datadir_profiles(),
					       &p, err, sizeof(err));
		else
			rc = policy_load_file(c->args[i], &p, err, sizeof(err));
		if (rc < 0) {
			termesc_fprintf(stderr, "%s\n", err);
			return EXIT_USAGE;
		}
		if (c->cmd == CLI_POLICY_SHOW)
			print_policy(p);
		else
			termesc_fprintf(stdout, "%s: valid policy \"%s\"\n",
					c->args[i], policy_name(p));
		policy_free(p);
	}
	return EXIT_OK;
}

static int
cmd_audit(const struct cli *c)
{
	struct audit_filter f = { c->audit_agent, c->audit_tool, c->audit_path,
				  c->json };

	if (c->cmd == CLI_AUDIT_SHOW)
		return audit_cmd_show(c->args, c->n_args, &f);
	return audit_cmd_verify(c->args, c->n_args);
}

static int
cmd_report(const struct cli *c)
{
	char err[1024] = "";
	int rc = report_write(c->args[0], c->out, err, sizeof(err));

	if (rc != EXIT_OK)
		termesc_fprintf(stderr, "gao-dev report: %s\n", err);
	return rc;
}

int
main(int argc, char **argv)
{
	struct cli c;
	int rc;

	harden();
	if (cli_parse(argc, argv, &c) < 0)
		return EXIT_USAGE;
	if (c.n_args < 0) {
		cli_help(c.cmd, c.cmd == CLI_RUN);
		return EXIT_OK;
	}
	switch (c.cmd) {
	case CLI_HELP:
		cli_help(c.cmd, false);
		return EXIT_OK;
	case CLI_VERSION:
		printf("gao-dev %s\n", GAO_DEV_VERSION);
		return EXIT_OK;
	case CLI_VALIDATE:
		return runner_validate(&c);
	case CLI_POLICY_SHOW:
	case CLI_POLICY_CHECK:
		return cmd_policy(&c);
	case CLI_AUDIT_VERIFY:
	case CLI_AUDIT_SHOW:
		return cmd_audit(&c);
	case CLI_CHECK:
		return hostcheck_main(&c);
	case CLI_MERGE:
		return merge_main(c.args, c.n_args, c.out, c.junit);
	case CLI_REPORT:
		return cmd_report(&c);
	case CLI_RUNS_LIST:
		return runs_list_main(c.sandbox_root, c.json, c.prune);
	case CLI_RUN:
	case CLI_DEMO:
		break;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "gao-dev: libcurl failed to initialise\n");
		return EXIT_INFRA;
	}
	rc = c.cmd == CLI_DEMO ? demo_run(&c) : runner_run(&c);
	curl_global_cleanup();
	return rc;
}
