/*
 * harness.h - run the real gao-dev against the project's fake API.
 *
 * Design note
 * -----------
 * Integration tests drive the real binaries as a user would: the fake API
 * (scripts/fake-anthropic, a real HTTP server on loopback) is started with
 * a scenario, a key file and a record file; gao-dev runs as a child with a
 * chosen argv and environment; its exit code, stdout and stderr are kept
 * for the assertions. Paths come from the environment that meson sets:
 * GAO_DEV (the binary) and SOURCE_ROOT.
 *
 * Criterion runs each test in a process of its own, and a failed
 * assertion ends that process at once: the cleanup after it never runs.
 * So every child a harness starts (the fake, gao-dev, git) comes from
 * h_fork(), which asks the kernel to signal it when the test process
 * dies: the fake and helpers get SIGKILL; gao-dev gets SIGTERM, its own
 * clean stop, which kills its workers too (a worker that dropped to
 * another uid lost its own death signal in setresuid(), so a SIGKILLed
 * gao-dev would leave its workers running). A failed test leaves no fake
 * API, gao-dev or worker behind.
 */
#ifndef GAO_TESTS_HARNESS_H
#define GAO_TESTS_HARNESS_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

/* A distinctive key that pattern redaction would not catch. */
#define H_TEST_KEY "gaodevTESTkey-7f3a9c1e55d2b8e4-notsk"
/* A second one shaped like a real key. */
#define H_TEST_KEY_SKANT "sk-ant-api03-GAODEVtestKEY0123456789abcdefXYZ-AA"

struct h_fake {
	pid_t pid;
	int port;
	char record[512];
	char log[512];
};

struct h_out {
	int code; /* exit code, or 128 + signal */
	char *out;
	char *err;
};

/*
 * fork() for a child that must not outlive the test process: in the child,
 * PR_SET_PDEATHSIG(death_signal), and _exit(127) if the test process
 * already died before that (getppid() changed). Returns as fork() does;
 * asserts that it worked. Call it from the test's own thread (the death
 * signal follows the thread that forked). H_GAO_DEV_DEATH is the signal
 * for gao-dev.
 */
#define H_GAO_DEV_DEATH SIGTERM
pid_t h_fork(int death_signal);

/* A fresh temp dir (0700) for one test; path into buf. */
void h_tmpdir(char *buf, size_t cap);

/* Write a 0600 key file holding key in dir; path into buf. */
void h_keyfile(const char *dir, const char *key, char *buf, size_t cap);

/* Path of a file in the source tree. */
void h_src(const char *rel, char *buf, size_t cap);

/* CLOCK_MONOTONIC in seconds: for a test's own durations. */
double h_now_s(void);

/* Start the fake with scenario (path); records into dir/record.jsonl. */
void h_fake_start(struct h_fake *f, const char *scenario, const char *keyfile,
		  const char *dir);
/* h_fake_start over TLS only, with the PEM files cert and key. */
void h_fake_start_tls(struct h_fake *f, const char *scenario,
		      const char *keyfile, const char *dir, const char *cert,
		      const char *key);
void h_fake_stop(struct h_fake *f);

/*
 * Run gao-dev with args (NULL-terminated, without argv[0]) and the extra
 * environment (NULL-terminated "K=V"), in cwd. ANTHROPIC_API_KEY is never
 * inherited. A run longer than timeout_s is killed (code 128+9).
 */
void h_run(const char *const *args, const char *const *env, const char *cwd,
	   int timeout_s, struct h_out *o);
void h_out_free(struct h_out *o);

/* A file's whole content (NUL-terminated), or NULL. */
char *h_slurp(const char *path, size_t *len);

/* True when needle occurs in any file below dir (recursive). */
bool h_tree_contains(const char *dir, const char *needle);

/* The only file in dir/sub (e.g. the results file), path into buf. */
bool h_single_file(const char *dir, const char *sub, char *buf, size_t cap);

/* Parse a JSON-lines file into an array. */
json_t *h_jsonl(const char *path);

/* An event's "ts" (UTC, "YYYY-MM-DDTHH:MM:SS.mmmZ") in milliseconds since
 * the epoch; fails the test on another form. */
long long h_ts_ms(const json_t *event);

#endif
