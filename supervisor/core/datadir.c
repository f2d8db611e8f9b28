/*
 * datadir.c - see datadir.h for the lookup order and why.
 */
#include "supervisor/core/datadir.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

/* The directory of this executable ("" when /proc is not there). */
static const char *
exe_dir(void)
{
	static char dir[PATH_MAX];
	static bool done;
	char *slash;
	ssize_t n;

	if (done)
		return dir;
	done = true;
	n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
	if (n <= 0) {
		dir[0] = 0;
		return dir;
	}
	dir[n] = 0;
	slash = strrchr(dir, '/');
	if (slash)
		*slash = 0;
	else
		dir[0] = 0;
	return dir;
}

/*
 * <exe dir>/<rel>, or rel itself when the configured path was absolute;
 * without its ".." when it exists, so paths in messages and results read
 * as the installed tree's.
 */
static void
exe_relative(char *buf, size_t cap, const char *rel)
{
	char real[PATH_MAX];

	if (rel[0] == '/' || !exe_dir()[0])
		snprintf(buf, cap, "%s", rel);
	else
		snprintf(buf, cap, "%s/%s", exe_dir(), rel);
	if (realpath(buf, real) && strlen(real) < cap)
		snprintf(buf, cap, "%s", real);
}

static bool
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Whether this executable lies in the build tree it was configured in
 * (step 3 of datadir.h). */
static bool
in_build_tree(void)
{
	static int known = -1;
	char real[PATH_MAX];
	size_t n;

	if (known < 0) {
		/* the build tree may be reached through a symlink */
		known = exe_dir()[0] && realpath(GAO_DEV_BUILD_ROOT, real);
		n = known ? strlen(real) : 0;
		known = known && strncmp(exe_dir(), real, n) == 0 &&
			(exe_dir()[n] == '/' || exe_dir()[n] == 0);
	}
	return known == 1;
}

const char *
datadir_path(void)
{
	static char path[PATH_MAX];
	const char *env = getenv("GAO_DEV_DATADIR");

	if (path[0])
		return path;
	if (env && *env) {
		snprintf(path, sizeof(path), "%s", env);
		return path;
	}
	exe_relative(path, sizeof(path), GAO_DEV_REL_DATADIR);
	if (is_dir(path))
		return path;
	if (in_build_tree())
		snprintf(path, sizeof(path), "%s", GAO_DEV_SOURCE_DATADIR);
	else
		snprintf(path, sizeof(path), "%s", GAO_DEV_DATADIR);
	return path;
}

/* Whether dir is the source tree's data/ (compared as real paths). */
static bool
is_source_data(const char *dir)
{
	char a[PATH_MAX], b[PATH_MAX];

	return realpath(dir, a) && realpath(GAO_DEV_SOURCE_DATADIR, b) &&
	       strcmp(a, b) == 0;
}

const char *
datadir_profiles(void)
{
	static char path[PATH_MAX];

	if (path[0])
		return path;
	snprintf(path, sizeof(path), "%s/policy/profiles", datadir_path());
	if (!is_dir(path) && is_source_data(datadir_path()))
		snprintf(path, sizeof(path), "%s/policy/profiles",
			 GAO_DEV_SOURCE_ROOT);
	return path;
}

const char *
datadir_demo(void)
{
	static char path[PATH_MAX];

	if (path[0])
		return path;
	snprintf(path, sizeof(path), "%s/demo", datadir_path());
	if (!is_dir(path) && is_source_data(datadir_path()))
		snprintf(path, sizeof(path), "%s", GAO_DEV_SOURCE_ROOT);
	return path;
}

int
datadir_worker(char *buf, size_t cap)
{
	const char *env = getenv("GAO_DEV_WORKER");

	if (!buf || cap == 0)
		return -1;
	if (env && *env) {
		snprintf(buf, cap, "%s", env);
		return 0;
	}
	exe_relative(buf, cap, GAO_DEV_REL_LIBEXECDIR "/gao-dev-worker");
	if (access(buf, X_OK) == 0)
		return 0;
	if (in_build_tree()) {
		snprintf(buf, cap, "%s/worker/gao-dev-worker",
			 GAO_DEV_BUILD_ROOT);
		if (access(buf, X_OK) == 0)
			return 0;
	}
	snprintf(buf, cap, "%s/gao-dev-worker", GAO_DEV_LIBEXECDIR);
	if (access(buf, X_OK) == 0)
		return 0;
	snprintf(buf, cap,
		 "cannot find gao-dev-worker (looked in %s/%s and %s); "
		 "set GAO_DEV_WORKER to its path",
		 exe_dir(), GAO_DEV_REL_LIBEXECDIR, GAO_DEV_LIBEXECDIR);
	return -1;
}
