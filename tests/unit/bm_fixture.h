/*
 * bm_fixture.h - what the unit tests of benchmark configs share
 * (test_benchmark.c and test_bm_*.c, one binary a module of
 * supervisor/config/ that reads configs); the conformance suite's
 * test_shared_load.c uses its expect_ helpers on the real configs.
 *
 * Design note
 * -----------
 * Two kinds of input. The project's own fixtures, one config per shape
 * gao-dev reads (tests/fixtures/configs/, found through GAO_DEV_FIXTURES,
 * which meson sets from the source tree), loaded by name. And small
 * configs written as text to bm_fixture_cfg, a file in a fresh temp
 * directory (bm_fixture_dir) that the suite's .init and .fini make and
 * remove: each test's files there are its own to clean up. The expect_
 * helpers fail the current Criterion test with what was found instead.
 */
#ifndef GAO_TESTS_BM_FIXTURE_H
#define GAO_TESTS_BM_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "supervisor/config/benchmark.h"
#include "supervisor/config/confine.h"

/* The head every small config needs, and a one-phase body. */
#define BM_FIXTURE_OK_HEAD "name: t\ndescription: d\n"
#define BM_FIXTURE_ONE_PHASE \
	"workflow_phases:\n  - phase_name: Implementation\n"

/* The suite's temp directory (made by bm_fixture_setup) and the config
 * file in it that bm_fixture_load_text writes. */
extern char bm_fixture_dir[];
extern char bm_fixture_cfg[300];

/* The suite's .init: makes bm_fixture_dir, names bm_fixture_cfg. */
void bm_fixture_setup(void);

/* The suite's .fini: removes bm_fixture_cfg and the (then empty) dir. */
void bm_fixture_teardown(void);

/* The fixture's path into buf (GAO_DEV_FIXTURES/name). */
void bm_fixture_path(const char *name, char *buf, size_t cap);

/* The fixture name loaded (it must load); the caller frees it. */
struct benchmark *bm_fixture_load(const char *name);

/* b has no errors (they are printed when it has). */
void bm_fixture_expect_no_errors(const struct benchmark *b);

/* Phase i of b has this name, agent (inferred or not) and timeout. */
void bm_fixture_expect_phase(const struct benchmark *b, size_t i,
			     const char *name, const char *agent, bool inferred,
			     int64_t timeout);

/* b's prompt hash is "sha256:" and 64 lower-case hex digits. */
void bm_fixture_expect_hash(const struct benchmark *b);

/* success_criteria.k of b as a number (0 when absent). */
double bm_fixture_crit_num(const struct benchmark *b, const char *k);

/* Expected artifact i of p, borrowed from p (NULL when absent). */
const char *bm_fixture_artifact(const struct bm_phase *p, size_t i);

/* text written to bm_fixture_cfg and loaded under rules (NULL: the
 * defaults); it must load. The caller frees it. */
struct benchmark *bm_fixture_load_text_rules(const char *text,
					     const struct confine_rules *rules);

/* bm_fixture_load_text_rules with the default rules. */
struct benchmark *bm_fixture_load_text(const char *text);

/* list holds "<bm_fixture_cfg>:<rest>" exactly. */
void bm_fixture_expect_in(const json_t *list, const char *rest);

/* text loads with the error "<bm_fixture_cfg>:<rest>" among others. */
void bm_fixture_expect_error(const char *text, const char *rest);

#endif
