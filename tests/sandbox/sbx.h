/*
 * sbx.h - the escape suite's harness: a real worker at a chosen isolation
 * level, driven the way the supervisor drives it.
 *
 * Design note
 * -----------
 * Each test is one attempt of docs/escape-suite.md at one isolation level. The
 * harness plays the supervisor: it makes itself non-dumpable, loads the
 * real "default" policy, expands it for a fresh project and private tmp,
 * and starts the real gao-dev-worker with wconn_start() and the spawn
 * options of supervisor/run/run_phase.c (namespaces from spawn_ns_flags(),
 * the uid drop and the 0711 traversal when root, a private /tmp when the
 * project is not below /tmp). Tool calls go through wconn_call() on a
 * real event loop, so the supervisor's permit table and deadlines are in
 * play. The level only changes what run_phase.c lets a test build change:
 * no namespaces (ns_flags 0) and msg_policy.test_disable.
 *
 * Each test gets a directory (below $GAO_SBX_TMPDIR, else /var/tmp: not
 * below /tmp, like a real sandbox root, so the worker gets a private
 * /tmp) with three parts:
 *
 *   project/  the agent's project (owned by the worker's uid)
 *   tmp/      the agent's private TMPDIR
 *   host/     "outside": mode 0700, the test user's, where the tests put
 *             secrets, canaries and listeners the worker must not reach
 *
 * The expected outcome of every attempt at every level is read from
 * docs/escape-suite.md (sbx_expected()), so the document and the
 * assertions cannot drift apart: sbx_judge() fails a test whose attempt
 * escaped where the table says contained, and also one that was
 * contained where the table says it escapes.
 */
#ifndef GAO_TESTS_SBX_H
#define GAO_TESTS_SBX_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "proto/msg.h"

enum sbx_level {
	SBX_FULL,         /* namespaces, Landlock, seccomp */
	SBX_NO_NS,        /* Landlock and seccomp */
	SBX_NO_LANDLOCK,  /* namespaces and seccomp */
	SBX_SECCOMP_ONLY, /* seccomp */
	SBX_N_LEVELS,
};

/* A cell of the table in docs/escape-suite.md. */
enum sbx_outcome {
	SBX_CONTAINED,
	SBX_ESCAPES,        /* as root and unprivileged */
	SBX_ESCAPES_UNPRIV, /* only when the suite runs unprivileged */
};

/* A canary that stands for the API key: in the suite's environment and
 * memory, never given to a worker. */
#define SBX_CANARY "gaoSBXcanary-4b1d9e7f0c2a"

struct sbx_res {
	bool is_error;
	char *content;
	int64_t exit_code;
	uint64_t duration_ms;
	uint64_t bytes;
	bool truncated;
};

struct sbx {
	enum sbx_level level;
	char base[PATH_MAX / 2];
	char project[PATH_MAX / 2 + 16];
	char tmp[PATH_MAX / 2 + 16];
	char host[PATH_MAX / 2 + 16];
	char token[40]; /* unique per test: names, markers */
	uid_t uid;      /* the worker's: as root a fresh one per
			 * test, as run.c picks one per run */
	struct loop *loop;
	struct policy *policy;
	struct msg_init init;
	char *envp[16];
	int project_fd;
	int worker_fd;
	struct wconn *w;
	struct wconn *graveyard[8]; /* dead connections, freed at the end */
	size_t n_graves;
	bool ready;
	struct msg_ready rdy;
	bool dead;
	char why[256];
	bool got_result;
	struct sbx_res res;
	bool waiting;
	size_t log_bytes; /* worker log lines received, bytes */
	size_t log_lines;
	unsigned calls;
};

/* The suite's paths (built in, each overridable by an env variable). */
const char *sbx_worker_path(void);
const char *sbx_probe_path(void);
const char *sbx_evil_path(void);
const char *sbx_gao_dev_path(void);
const char *sbx_source_root(void);

const char *sbx_level_name(enum sbx_level lv);
bool sbx_is_root(void);

/* The uid a run's workers get (run_pick_uid): root's separate one, or
 * the caller's. */
uid_t sbx_run_uid(void);

/* Whether workers get a uid of their own: gao-dev is root and a separate
 * id is mapped. Root in a user namespace that maps only root keeps uid 0
 * without capabilities: the table's "ordinary user" column applies. */
bool sbx_workers_own_uid(void);

/* Whether this host refuses a fresh /proc in new PID and mount namespaces
 * (a masked /proc): workers then run without a PID namespace. */
bool sbx_fresh_proc_refused(void);

/*
 * sbx_setup - directories, policy and a READY worker at level lv. Skips
 * the test (cr_skip_test) when the machine cannot provide the level;
 * asserts the layers READY reports match it.
 */
void sbx_setup(struct sbx *s, enum sbx_level lv);

/* Stop the worker (wconn_stop), free everything, remove the directory. */
void sbx_teardown(struct sbx *s);

/*
 * sbx_start - start a worker: exe (NULL: the real one), extra "K=V"
 * environment entries (NULL-terminated, may be NULL). Does not wait.
 * Returns false (with s->why) when wconn_start refused.
 */
bool sbx_start(struct sbx *s, const char *exe, const char *const *extra_env,
	       uint32_t ready_timeout_ms);

/* Run the loop until READY, death or wait_ms. True when READY. */
bool sbx_wait_ready(struct sbx *s, uint32_t wait_ms);

/* Run the loop until the worker dies or wait_ms pass. True when dead. */
bool sbx_wait_dead(struct sbx *s, uint32_t wait_ms);

/* Put the current connection aside (dead or not); frees at teardown. */
void sbx_bury(struct sbx *s);

/*
 * sbx_tool - one TOOL_CALL (input is stolen) with timeout_ms. Returns
 * &s->res when a TOOL_RESULT came back, NULL when the worker died (the
 * reason is in s->why).
 */
const struct sbx_res *sbx_tool(struct sbx *s, const char *tool, json_t *input,
			       uint32_t timeout_ms);

/* A Bash command (printf format) with timeout_ms; asserts a result came
 * back and returns its content (valid until the next call). */
const char *sbx_bash(struct sbx *s, uint32_t timeout_ms, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Copy the probe binary into the project as ./sbx-probe. */
void sbx_install_probe(struct sbx *s);

/*
 * sbx_probe_unconfined - run the probe in mode as the suite itself,
 * outside any worker, to learn what the host does with a call before
 * the sandbox is judged on it. Its standard output (truncated to cap - 1
 * bytes) goes to out; returns the wait status.
 */
int sbx_probe_unconfined(const char *mode, char *out, size_t cap);

/* The table's outcome for attempt n (1..31) at level lv. */
enum sbx_outcome sbx_expected(int n, enum sbx_level lv);

/* True when the table says attempt n escapes at lv for the current user. */
bool sbx_expect_escape(int n, enum sbx_level lv);

/* Assert that attempt n's observed result (escaped or not) is the
 * table's; detail is printed on a mismatch. */
void sbx_judge(const struct sbx *s, int n, bool escaped, const char *detail);

/*
 * sbx_note - record a fact about the host that a passing attempt depends
 * on: a "[NOTE] ..." line on stderr, shown in every run. Not
 * cr_log_warn(): Criterion exits 1 after any warning, even when every
 * test passed.
 */
void sbx_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Files, written and read directly by the suite (unconfined). */
void sbx_put(const char *path, const char *content, mode_t mode);
char *sbx_slurp(const char *path);
bool sbx_exists(const char *path);

/* Pids of the processes whose command line contains needle (not us). */
size_t sbx_find_procs(const char *needle, pid_t *pids, size_t max);

/* How many processes with needle in their command line are left once
 * they had up to wait_ms to die (a killed process takes a moment). */
size_t sbx_survivors(const char *needle, long wait_ms);

/* How many processes (zombies too) have real uid uid, not counting us:
 * what RLIMIT_NPROC counts. */
size_t sbx_uid_procs(uid_t uid);

/* SIGKILL every process whose command line contains needle; returns how
 * many there were. */
size_t sbx_kill_procs(const char *needle);

/* Remove a tree (no symlink followed; unreadable directories made
 * readable first). */
void sbx_rmtree(const char *path);

/* True when the "name=VALUE" line is in out (exact line match). */
bool sbx_has_line(const char *out, const char *name, const char *value);

/* The VALUE of the first "name=VALUE" line in out (up to its newline),
 * or NULL when there is none. */
const char *sbx_line_value(const char *out, const char *name);

#endif
