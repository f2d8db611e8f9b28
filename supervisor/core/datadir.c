/*
 * datadir.c - see datadir.h.
 */
#include "supervisor/core/datadir.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

const char *
datadir_path(void)
{
	static char path[PATH_MAX];
	char exe[PATH_MAX], *slash;
	const char *env = getenv("GAO_DEV_DATADIR");
	ssize_t n;

	if (path[0])
		return path;
	if (env && *env) {
		snprintf(path, sizeof(path), "%s", env);
		return path;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = 0;
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = 0;
			snprintf(path, sizeof(path), "%.*s/../share/gao-dev",
				 (int)(sizeof(path) - 20), exe);
			if (access(path, R_OK) == 0)
				return path;
		}
	}
	snprintf(path, sizeof(path), "%s", GAO_DEV_SOURCE_DATADIR);
	if (access(path, R_OK) != 0)
		snprintf(path, sizeof(path), "%s", GAO_DEV_DATADIR);
	return path;
}

const char *
datadir_profiles(void)
{
	static char path[PATH_MAX];

	if (path[0])
		return path;
	snprintf(path, sizeof(path), "%s/policy/profiles", datadir_path());
	if (access(path, R_OK) != 0)
		snprintf(path, sizeof(path), "%s/../policy/profiles",
			 GAO_DEV_SOURCE_DATADIR);
	return path;
}
