/*
 * harness_check.h - reading the report of `gao-dev sandbox check --json`,
 * for the tests that compare it with real runs (integration/test_check.c
 * on this host, conditions/test_check_conditions.c under the conditions
 * of CI hosts).
 *
 * Design note
 * -----------
 * Both suites ask the same two things of a report: its isolation level
 * as an index into the --require-isolation levels (so that "one level
 * above" is a number), and whether an advice line mentions something.
 * Built on jansson alone, so that either suite can link it.
 */
#ifndef GAO_TESTS_HARNESS_CHECK_H
#define GAO_TESTS_HARNESS_CHECK_H

#include <stdbool.h>

#include <jansson.h>

/* The --require-isolation levels, lowest first: none, seccomp, landlock,
 * full. */
extern const char *const hc_levels[4];

/* The report's isolation_level as an index into hc_levels; fails the
 * test when it is missing or not one of them. */
int hc_level_of(const json_t *report);

/* Whether a line of the report's advice mentions needle. */
bool hc_advises(const json_t *report, const char *needle);

#endif
