/*
 * models_fixture.c - the real model table for the tests. See
 * models_fixture.h.
 *
 * Design note
 * -----------
 * models_load() reads the table the way gao-dev does (datadir.h); a
 * load error fails the test with its message.
 */
#include "tests/unit/models_fixture.h"

#include <stdlib.h>

#include <criterion/criterion.h>

struct models models_fixture;

void
models_fixture_setup(void)
{
	char err[512] = "";

	cr_assert_not_null(getenv("GAO_DEV_DATADIR"),
			   "run through meson: GAO_DEV_DATADIR is not set");
	cr_assert_eq(models_load(&models_fixture, err, sizeof(err)), 0, "%s",
		     err);
}

void
models_fixture_teardown(void)
{
	models_clear(&models_fixture);
}
