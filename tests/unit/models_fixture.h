/*
 * models_fixture.h - the model table the tests of models.h and cost.h
 * share (test_models.c, test_cost.c): the project's real
 * data/models.json, loaded once per test.
 *
 * Design note
 * -----------
 * The table is found through GAO_DEV_DATADIR, which meson sets to the
 * source tree's data/; run without it, the suite's .init fails naming
 * the variable. Criterion runs each test in its own process, so the one
 * table is global and a test may change it (models_set_today()).
 */
#ifndef GAO_TESTS_MODELS_FIXTURE_H
#define GAO_TESTS_MODELS_FIXTURE_H

#include "supervisor/api/models.h"

/* The table of the current test (loaded by models_fixture_setup). */
extern struct models models_fixture;

/* The suite's .init: loads models_fixture (it must load). */
void models_fixture_setup(void);

/* The suite's .fini: clears models_fixture. */
void models_fixture_teardown(void);

#endif
