/*
 * harness_bench.h - whole benchmark runs for test_bench.c.
 *
 * Design note
 * -----------
 * Built on harness.h. One struct hb per test: a temp dir (the cwd of
 * gao-dev, the home of the key file, the config files the test writes
 * and the sandbox root), one fake API process playing a scenario, and
 * the output of the last gao-dev run. gao-dev runs synchronously
 * (hb_run) or in the background (hb_spawn + hb_wait) when the test must
 * act during the run (SIGTERM).
 *
 * hb_check_results() is the set of checks every results file gets,
 * whatever the test: it validates against docs/results.schema.json
 * (schema_check.h), compares the exit code and status with events.jsonl,
 * checks file modes, and runs `gao-dev audit verify` on every audit log
 * of the run, matching each head with the results file. Tests then assert
 * what is particular to their benchmark.
 */
#ifndef GAO_TESTS_HARNESS_BENCH_H
#define GAO_TESTS_HARNESS_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#include "harness.h"

struct hb {
	char dir[256];  /* temp dir: cwd of gao-dev */
	char key[512];  /* 0600 key file */
	char root[512]; /* --sandbox-root (dir/sandbox) */
	char base[128]; /* ANTHROPIC_BASE_URL=... */
	struct h_fake fake;
	struct h_out out; /* the last run */
	double seconds;   /* its wall time */
};

/* A temp dir, a key and the fake API playing scenario (source-relative). */
void hb_start(struct hb *t, const char *scenario);

/* hb_start with key in the key file (H_TEST_KEY for hb_start). */
void hb_start_key(struct hb *t, const char *scenario, const char *key);

/* Stop the fake, free the output and remove the temp dir. */
void hb_finish(struct hb *t);

/* Path of a config fixture: SOURCE_ROOT/tests/fixtures/configs/file. */
void hb_fixture(const char *file, char *buf, size_t cap);

/* Write text to t->dir/name (0600); its path into buf. */
/*
 * hb_write_config - the config NAME.yaml in t's directory: benchmark NAME,
 * one phase STEP by Amelia; its path into cfg (cap bytes).
 */
void hb_write_config(const struct hb *t, const char *name, const char *step,
		     char *cfg, size_t cap);

void hb_write(const struct hb *t, const char *name, const char *text, char *buf,
	      size_t cap);

/*
 * Run `gao-dev sandbox run ARGS... --standalone --api-key-file KEY
 * --sandbox-root ROOT` against the fake, cwd t->dir; ARGS (configs and
 * options) NULL-terminated. Killed after timeout_s (code 137).
 */
void hb_run(struct hb *t, const char *const *args, int timeout_s);

/* The same in the background: the pid, for hb_wait. */
pid_t hb_spawn(struct hb *t, const char *const *args);
void hb_wait(struct hb *t, pid_t pid, int timeout_s);

/*
 * The only results file of the run, loaded and put through
 * hb_check_results(). The caller owns the returned document.
 */
json_t *hb_results(struct hb *t);

/* Every results file under the sandbox root (an array, checked). */
json_t *hb_all_results(struct hb *t);

/* The checks every results file gets (see the design note). */
void hb_check_results(struct hb *t, const char *path, const json_t *r);

/* r's value at key as a string ("" when absent) or an integer (-1). */
const char *hb_str(const json_t *o, const char *key);
long long hb_int(const json_t *o, const char *key);

/* Phase i of r (asserts it exists). */
const json_t *hb_phase(const json_t *r, size_t i);

/* Assert phase i's name, agent and status. */
void hb_assert_phase(const json_t *r, size_t i, const char *name,
		     const char *agent, const char *status);

/* Assert phase i's tools_by_name equals the JSON object text want. */
void hb_assert_tools(const json_t *r, size_t i, const char *want);

/*
 * Assert the criterion named name (its nth entry of that name, from 0)
 * has outcome and, when reason is not NULL, a reason containing it.
 */
void hb_assert_criterion(const json_t *r, const char *name, size_t nth,
			 const char *outcome, const char *reason);

/*
 * min_test_coverage wants `want` percent: measured (passed or failed by
 * the figure) when Python's coverage module is installed where the
 * workers run, else skipped with that reason.
 */
void hb_assert_coverage(const json_t *r, double want);

/*
 * The test gate called name (tests_passing, tests_must_pass) passed with
 * the detected command: pytest when installed, else unittest discovery.
 */
void hb_assert_tests_passed(const json_t *r, const char *name);

/* Number of criteria named name with outcome (NULL: any). */
size_t hb_count_criteria(const json_t *r, const char *name,
			 const char *outcome);

/* Assert the exit code, and the results' exit_code, status and stop_reason. */
void hb_assert_run(const struct hb *t, const json_t *r, int code,
		   const char *status, const char *stop_reason);

/* Number of phase records / success-criteria records of r. */
size_t hb_n_phases(const json_t *r);
size_t hb_n_criteria(const json_t *r);

/*
 * Every POST /v1/messages the fake received got a 200 (each request was
 * valid and met its scenario expectations); at least min_calls of them.
 */
void hb_assert_fake_ok(const struct hb *t, size_t min_calls);

/* `git log --format=%s --name-only` of r's project equals want. */
void hb_assert_git_log(const json_t *r, const char *want);

/* The project file rel contains needle. */
void hb_assert_file(const json_t *r, const char *rel, const char *needle);

/* One of r's warnings contains needle. */
bool hb_has_warning(const json_t *r, const char *needle);

/* Whether python3 can import module (what the sandbox's checks will see). */
bool hb_python_has(const char *module);

/*
 * Run argv (argv[0] a path or a name on PATH) and return its stdout
 * (malloc'ed, NUL-terminated); the exit status into *status.
 */
char *hb_capture(const char *const *argv, int *status);

/*
 * `git -c safe.directory=* --git-dir GIT_DIR` + args (the results'
 * git_dir: the history lives outside the project): its stdout
 * (malloc'ed).
 */
char *hb_git(const char *git_dir, const char *const *args);

/*
 * A live process whose working directory is dir or below it and whose
 * command line contains needle (NULL: any): true, with its pid.
 */
bool hb_find_proc(const char *dir, const char *needle, pid_t *pid);

/* A file's content contains needle. */
bool hb_file_contains(const char *path, const char *needle);

#endif
