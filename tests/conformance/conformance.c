/*
 * conformance.c - see conformance.h.
 */
#include "conformance.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

bool
cf_dir(char *buf, size_t cap)
{
	const char *root = getenv("SOURCE_ROOT");

	if (!root)
		return false;
	snprintf(buf, cap, "%s/%s", root, CF_REL_DIR);
	return true;
}

void
cf_config(const char *file, char *buf, size_t cap)
{
	char dir[4096];
	struct stat st;

	cr_assert(cf_dir(dir, sizeof(dir)), "SOURCE_ROOT is not set (run "
					    "through meson)");
	snprintf(buf, cap, "%s/%s", dir, file);
	cr_assert_eq(stat(buf, &st), 0, "%s: %s", buf, strerror(errno));
}
