/*
 * main.c - the escape suite's entry point.
 *
 * Design note
 * -----------
 * The suite stands in for the supervisor, whose memory holds the API key.
 * So that an attempt to read the "supervisor's" environment has something
 * to find, the binary re-executes itself once with SBX_CANARY in its
 * environment (a variable set after start would not show in
 * /proc/<pid>/environ, which is the block execve laid out). Tests run one
 * at a time by default (--jobs 1): the fork bomb and the kill(-1)
 * attempts reach every process of the worker's uid, and concurrent tests
 * of the same uid would see each other.
 */
#include <criterion/criterion.h>
#include <criterion/options.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attempt.h"

struct sbx sbx_cur;

void
sbx_fini(void)
{
	if (sbx_cur.loop || sbx_cur.base[0])
		sbx_teardown(&sbx_cur);
}

int
main(int argc, char *argv[])
{
	struct criterion_test_set *tests;
	int rc = 0;

	/* for run-as-users: what the suite reads besides the build */
	if (argc == 2 && strcmp(argv[1], "--gao-sbx-print-source-root") == 0)
		return puts(sbx_source_root()) < 0;
	if (!getenv("GAO_SBX_CANARY")) {
		if (setenv("GAO_SBX_CANARY", SBX_CANARY, 1) == 0)
			execv("/proc/self/exe", argv);
		perror("test_escape: re-exec with the canary");
		return 1;
	}
	tests = criterion_initialize();
	criterion_options.jobs = 1;
	if (criterion_handle_args(argc, argv, true))
		rc = !criterion_run_all_tests(tests);
	criterion_finalize(tests);
	return rc;
}
