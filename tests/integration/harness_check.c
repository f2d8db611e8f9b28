/*
 * harness_check.c - see harness_check.h.
 */
#include "harness_check.h"

#include <string.h>

#include <criterion/criterion.h>

const char *const hc_levels[4] = { "none", "seccomp", "landlock", "full" };

int
hc_level_of(const json_t *report)
{
	const char *l = json_string_value(
		json_object_get(report, "isolation_level"));

	for (int i = 0; l && i < 4; i++)
		if (strcmp(l, hc_levels[i]) == 0)
			return i;
	cr_assert_fail("isolation_level %s", l ? l : "(none)");
	return -1;
}

bool
hc_advises(const json_t *report, const char *needle)
{
	const json_t *v;
	size_t i;

	json_array_foreach(json_object_get(report, "advice"), i, v)
		if (strstr(json_string_value(v), needle))
			return true;
	return false;
}
