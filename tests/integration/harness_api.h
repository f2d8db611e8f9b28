/*
 * harness_api.h - helpers for the API client and key tests (test_api.c,
 * test_key.c), on top of harness.h.
 *
 * Design note
 * -----------
 * A test here is one run of the real gao-dev (and its real worker) against
 * the real fake API: ha_setup() makes a temp dir, a 0600 key file and a
 * fake API process; ha_run() runs "gao-dev sandbox run <config>
 * --standalone --sandbox-root <root> OPTS..." and keeps the exit code,
 * stdout, stderr and the wall time; the results file, the events file and
 * the fake's record are then read as JSON for the assertions.
 *
 * Faults are written inline by the test: ha_scenario() copies a scenario
 * file of tests/integration/scenarios/ into the temp dir with a "faults"
 * array added, so each test shows the fault it injects next to what it
 * asserts.
 *
 * The environment of gao-dev is ours minus ANTHROPIC_API_KEY,
 * ANTHROPIC_BASE_URL and GAO_DEV_CONFIG (a developer's own key or config
 * must never change a test), minus any name the test sets, plus what the
 * test sets: a test's HOME or GAO_DEV_CONFIG really replaces ours.
 *
 * ha_spawn()/ha_wait() split a run so that a test can look at the live
 * processes: ha_descendants() lists gao-dev's process tree (the worker is
 * a child of gao-dev, found through /proc/<pid>/task/<tid>/children), and
 * ha_proc_contains()/ha_mem_scan() read /proc/<pid>/environ, cmdline and
 * the whole readable memory of a process (needs root or CAP_SYS_PTRACE).
 */
#ifndef GAO_TESTS_HARNESS_API_H
#define GAO_TESTS_HARNESS_API_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#include "harness.h"

struct ha_run {
	char dir[256];    /* the test's temp dir (0700) */
	char key[512];    /* key file the fake accepts (0600) */
	char root[512];   /* --sandbox-root */
	char base[128];   /* "ANTHROPIC_BASE_URL=http://127.0.0.1:<port>" */
	char config[512]; /* benchmark config (default: api-bench.yaml) */
	struct h_fake fake;
	struct h_out out;
	pid_t pid;      /* gao-dev while it runs (ha_spawn) */
	double seconds; /* wall time of the last gao-dev run */
	long maxrss_kb; /* its peak resident memory (wait4), KiB */
	double started;
};

/*
 * ha_scenario - write dir/scenario.json: the scenario file rel (relative
 * to the source root) with "faults" set to faults_json (a JSON array as
 * text; NULL keeps the file's own). The path goes into buf.
 */
void ha_scenario(const char *dir, const char *rel, const char *faults_json,
		 char *buf, size_t cap);

/*
 * ha_setup - temp dir, key file holding key, and the fake API playing
 * scenario (an absolute path, e.g. from ha_scenario, or a path relative
 * to the source root) and accepting only that key. The config is
 * tests/integration/scenarios/api-bench.yaml (one phase by Amelia, no
 * artifacts or criteria); a test may set t->config to another.
 */
void ha_setup(struct ha_run *t, const char *scenario, const char *key);

/* ha_setup for a scenario file plus inline faults (see ha_scenario). */
void ha_setup_faults(struct ha_run *t, const char *rel, const char *faults_json,
		     const char *key);

/*
 * ha_spawn - start gao-dev sandbox run <config> --standalone
 * --sandbox-root <root> opts... (opts NULL-terminated, may be NULL) with
 * ANTHROPIC_BASE_URL and the extra env ("K=V", NULL-terminated, may be
 * NULL), in t->dir; its stdout and stderr go to files. No key option is
 * added: the test passes the one it wants.
 */
void ha_spawn(struct ha_run *t, const char *const *opts,
	      const char *const *env);

/* Wait at most timeout_s for the spawned gao-dev (then SIGKILL). */
void ha_wait(struct ha_run *t, int timeout_s);

/* ha_spawn + ha_wait with a 120 s limit. */
void ha_run(struct ha_run *t, const char *const *opts, const char *const *env);

/* Stop the fake, free the outputs and remove the temp dir (a test that
 * failed an assertion never gets here and keeps it). */
void ha_finish(struct ha_run *t);

/* The run's results document (asserts there is exactly one). */
json_t *ha_results(struct ha_run *t);

/* The run's events (runs/<id>/events.jsonl) as an array. */
json_t *ha_events(const json_t *results);

/* The fake's record (one object per request) as an array. */
json_t *ha_records(const struct ha_run *t);

/*
 * ha_get - a value by dotted path ("metrics.tokens.cache_read"); a path
 * part made of digits indexes an array. NULL when absent.
 */
json_t *ha_get(const json_t *v, const char *path);

/* ha_get as a string ("" when absent or not a string), integer or number
 * (integer or real; 0 when absent). */
const char *ha_str(const json_t *v, const char *path);
long long ha_int(const json_t *v, const char *path);
double ha_num(const json_t *v, const char *path);

/* The events named name, in order (a new array). */
json_t *ha_events_named(const json_t *events, const char *name);

/* Records of POST /v1/messages, in order (a new array). */
json_t *ha_posts(const json_t *records);

/* Milliseconds between two events' "ts" (b - a). */
long long ha_ts_diff_ms(const json_t *a, const json_t *b);

/* Assert that key is in no file under the sandbox root, not on stdout or
 * stderr, and in no request the fake recorded. */
void ha_assert_no_key(const struct ha_run *t, const char *key);

/*
 * ha_descendants - the pids below pid (children, grandchildren, ...),
 * at most cap; returns how many.
 */
size_t ha_descendants(pid_t pid, pid_t *out, size_t cap);

/* Whether /proc/<pid>/<file> (environ, cmdline) contains needle; false
 * when it cannot be read (*readable says which). */
bool ha_proc_contains(pid_t pid, const char *file, const char *needle,
		      bool *readable);

/*
 * ha_mem_scan - read every readable mapping of pid through /proc/<pid>/mem
 * and record in found[i] whether needles[i] occurs. Returns the number of
 * bytes read (0 when the memory could not be read at all).
 */
size_t ha_mem_scan(pid_t pid, const char *const *needles, size_t n,
		   bool *found);

/* Write text to path (mode). */
void ha_write_file(const char *path, const char *text, mode_t mode);

#endif
