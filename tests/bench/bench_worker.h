/*
 * bench_worker.h - a real gao-dev-worker, started and spoken to the way
 * the supervisor does it, for the benchmark programs.
 *
 * Design note
 * -----------
 * A benchmark that measured a mock would measure nothing. The worker here
 * is the real binary, started by the supervisor's own spawn_worker() with
 * the namespace flags of spawn_ns_flags(), as uid 65534 when we are root,
 * with the environment run_phase.c gives it and the INIT of a real policy
 * (policy/profiles/<name>.yaml through policy_load_named() and
 * policy_to_msg()). Frames go through proto/ (msg_encode, frame_writer,
 * frame_reader, msg_decode) on the same non-blocking pipes the supervisor
 * uses; where the supervisor waits in epoll, we wait in poll(), which
 * costs the same one syscall per wake-up.
 *
 * Everything lives in a fresh directory (project/ and tmp/) under a base
 * directory of the caller's choice, removed by bench_env_close(). A base
 * outside /tmp gives the worker a private /tmp, as a run under ./sandbox
 * does.
 */
#ifndef GAO_BENCH_WORKER_H
#define GAO_BENCH_WORKER_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "policy/policy.h"
#include "proto/frame.h"
#include "proto/msg.h"
#include "supervisor/sandbox/spawn.h"

struct bench_env_cfg {
	const char *worker_path;  /* the gao-dev-worker binary */
	const char *profiles_dir; /* policy/profiles */
	const char *profile;      /* a profile name, e.g. "default" */
	const char *base_dir;     /* where the temp directory is made */
};

#define BENCH_ENV_MAX 12

struct bench_env {
	char dir[PATH_MAX]; /* the temp directory; removed at close */
	char project[PATH_MAX];
	char tmp[PATH_MAX];
	int project_fd;
	int worker_fd;
	struct policy *policy;
	struct msg_init init;
	char *envp[BENCH_ENV_MAX];
	struct spawn_opts so; /* callers may change so.ns_flags */
};

struct bench_worker {
	struct spawn_child c;
	struct frame_reader rd;
	struct msg_ready ready;
	char log[512]; /* the last bytes of the worker's stderr */
	size_t log_len;
};

/*
 * bench_env_open - the directory, the policy, the INIT message and the
 * spawn options for workers. Returns 0, or -1 with a message in err (then
 * nothing needs closing). The caller owns *e and releases it with
 * bench_env_close().
 */
int bench_env_open(struct bench_env *e, const struct bench_env_cfg *cfg,
		   char *err, size_t errlen);

/* Release what bench_env_open() made and remove the directory. */
void bench_env_close(struct bench_env *e);

/*
 * bench_env_write - create the file name (relative to the project) with
 * len bytes of data, owned by the worker's uid. 0 or -errno.
 */
int bench_env_write(const struct bench_env *e, const char *name,
		    const void *data, size_t len);

/*
 * bench_worker_start - spawn a worker with e->so, send INIT and wait for
 * READY (w->ready). Returns 0, or -1 with a message in err; on failure the
 * worker is killed and reaped.
 */
int bench_worker_start(const struct bench_env *e, struct bench_worker *w,
		       char *err, size_t errlen);

/*
 * bench_worker_call - one TOOL_CALL and its TOOL_RESULT, encoded, framed
 * and decoded as the supervisor does. On success returns 0 and fills
 * *reply (release with msg_clear()); -1 with a message in err when the
 * worker broke the protocol or died (then stop it with bench_worker_kill).
 */
int bench_worker_call(struct bench_worker *w, const char *id, const char *tool,
		      const json_t *input, struct msg *reply, char *err,
		      size_t errlen);

/*
 * bench_worker_stop - send SHUTDOWN, close the pipes and reap the worker.
 * Returns its wait status, or -1 when it could not be reaped.
 */
int bench_worker_stop(struct bench_worker *w);

/* Kill the worker's process group and the worker, close, reap. */
void bench_worker_kill(struct bench_worker *w);

/* The layers of a READY as words ("seccomp,landlock-abi7,pidns,..."). */
void bench_layers_str(const struct msg_ready *r, char *buf, size_t cap);

/*
 * bench_fork_exec - fork, execve(argv[0], argv, envp) in the child (envp
 * NULL: our own environment), wait. Nothing else happens in the child, so
 * this is the plain fork + exec the benchmarks compare against. Returns
 * the wait status or -errno.
 */
int bench_fork_exec(char *const argv[], char *const envp[]);

/* The default worker and profiles paths of this build (never NULL). */
const char *bench_default_worker(void);
const char *bench_default_profiles(void);

#endif
