/*
 * datadir.h - where gao-dev's files live: the worker binary, personas,
 * tool definitions, prompt templates, model prices, the policy profiles
 * and the demo.
 *
 * Design note
 * -----------
 * One lookup, done once and kept in static storage, in this order:
 *
 *   1. the environment: GAO_DEV_WORKER (the worker), GAO_DEV_DATADIR
 *      (the data directory);
 *   2. relative to the executable, as installed: <bindir>/<rel>/libexec/
 *      gao-dev-worker and <bindir>/<rel>/share/gao-dev, where <rel> is the
 *      path from the configured bindir to the configured libexecdir and
 *      datadir (../libexec, ../share/gao-dev by default), so an installed
 *      tree still works after it was moved elsewhere (DESTDIR, a
 *      relocated prefix);
 *   3. the build tree, only for a program that this build tree made and
 *      that runs from it (<builddir>/supervisor/gao-dev, the test
 *      programs): the worker in <builddir>/worker/, the data in the
 *      source tree's data/ and policy/profiles;
 *   4. the paths compiled in from the configured prefix.
 *
 * An installed gao-dev therefore never uses a source tree's data, even
 * when the source tree it was built from is still there: step 3 applies
 * only to an executable that sits in the build tree itself (decided by
 * where /proc/self/exe is, not by what exists).
 */
#ifndef GAO_SUPERVISOR_DATADIR_H
#define GAO_SUPERVISOR_DATADIR_H

#include <stddef.h>

/*
 * datadir_path - the data directory (steps 1 to 4 above, GAO_DEV_DATADIR
 * for step 1). Never NULL; the directory may be missing (step 4), and the
 * files read from it then fail with their path named. Static storage.
 */
const char *datadir_path(void);

/*
 * datadir_profiles - the policy profiles: <datadir>/policy/profiles, or
 * the source tree's policy/profiles when the data directory is the
 * source tree's data/ (a build that was not installed, or tests that set
 * GAO_DEV_DATADIR to it). Static storage.
 */
const char *datadir_profiles(void);

/*
 * datadir_demo - the demo's files (the fake API, the demo benchmark and
 * its scenario): <datadir>/demo as installed, or, for the build tree's
 * gao-dev only, <builddir>/demo (meson copies them there). Static
 * storage.
 */
const char *datadir_demo(void);

/*
 * datadir_worker - the gao-dev-worker executable to start: steps 1 to 4
 * above, GAO_DEV_WORKER for step 1 (taken as given, not probed). Writes
 * the path to buf (cap bytes) and returns 0; -1 when nothing executable
 * was found, with buf naming the places looked at.
 */
int datadir_worker(char *buf, size_t cap);

#endif
