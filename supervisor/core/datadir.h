/*
 * datadir.h - where gao-dev's data lives: personas, tool definitions,
 * prompt templates, model prices and the policy profiles.
 *
 * Design note
 * -----------
 * One lookup, done once and kept in static storage: an installed gao-dev
 * finds its data next to the executable, a build that was not installed
 * uses the source tree, and tests point GAO_DEV_DATADIR elsewhere.
 */
#ifndef GAO_SUPERVISOR_DATADIR_H
#define GAO_SUPERVISOR_DATADIR_H

/*
 * datadir_path - the data directory: $GAO_DEV_DATADIR, else the installed
 * one next to the executable (<exe>/../share/gao-dev), else the source
 * tree's data/ (a build that was not installed). Static storage.
 */
const char *datadir_path(void);

/*
 * datadir_profiles - the policy profiles: <datadir>/policy/profiles when
 * installed, else the source tree's policy/profiles. Static storage.
 */
const char *datadir_profiles(void);

#endif
