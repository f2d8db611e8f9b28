/*
 * main.c - the conformance suite's entry point: the Criterion tests run
 * only when the real GAO-Dev configs are beside the source tree.
 *
 * Design note
 * -----------
 * A clone with nothing beside it has no ../shared/benchmarks/gao-dev: the
 * suite then says so and exits 77, which meson reports as SKIP, so the
 * other suites stay green and nobody mistakes an absent data set for a
 * failure. With the directory present this is an ordinary Criterion
 * binary (the usual options work).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <sys/stat.h>

#include "conformance.h"

#define EXIT_SKIP 77

int
main(int argc, char *argv[])
{
	struct criterion_test_set *tests;
	char dir[4096];
	struct stat st;
	int rc = 0;

	if (!cf_dir(dir, sizeof(dir))) {
		fprintf(stderr, "conformance: SOURCE_ROOT is not set (run "
				"through meson)\n");
		return 1;
	}
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr,
			"conformance: SKIP: the conformance data is "
			"absent: %s does not exist (the real GAO-Dev configs "
			"go in " CF_REL_DIR " beside the source tree)\n",
			dir);
		return EXIT_SKIP;
	}
	tests = criterion_initialize();
	if (criterion_handle_args(argc, argv, true))
		rc = !criterion_run_all_tests(tests);
	criterion_finalize(tests);
	return rc;
}
