/*
 * conformance.h - where the real GAO-Dev configs are, for the
 * conformance suite.
 *
 * Design note
 * -----------
 * The real configs (greenfield-simple.yaml, minimal.yaml,
 * simple-hello-api.yaml, simple-story-test.yaml) are not part of the
 * repository: they live in ../shared/benchmarks/gao-dev beside the source
 * root (SOURCE_ROOT, set by meson). main.c runs the suite only when that
 * directory exists and exits 77 (meson: SKIP) otherwise; the tests
 * (test_shared_load.c, test_shared_runs.c) find each file here. The
 * project's own fixtures, which the default suites use, are in
 * tests/fixtures/.
 */
#ifndef GAO_TESTS_CONFORMANCE_H
#define GAO_TESTS_CONFORMANCE_H

#include <stdbool.h>
#include <stddef.h>

/* Relative to the source root. */
#define CF_REL_DIR "../shared/benchmarks/gao-dev"

/*
 * The directory of the real configs into buf (SOURCE_ROOT/CF_REL_DIR);
 * false when SOURCE_ROOT is not set. Usable outside a test.
 */
bool cf_dir(char *buf, size_t cap);

/* Path of the real config file into buf; asserts that it exists. */
void cf_config(const char *file, char *buf, size_t cap);

#endif
