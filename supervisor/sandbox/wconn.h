/*
 * wconn.h - the supervisor's side of one worker: spawn, frames, states.
 *
 * Design note
 * -----------
 * A worker is hostile once it has confined itself, so everything it sends
 * is checked against a permit table (OpenSSH monitor style): in state
 * STARTING only READY is accepted, in BUSY only the TOOL_RESULT whose id
 * matches the call in flight, in IDLE nothing at all. A malformed or
 * oversized frame, a message not permitted in the state, a wrong id, a
 * worker that stalls past its deadline or closes its pipe: the worker is
 * killed (its whole process group, or its PID namespace), reaped, and the
 * owner is told why through the dead callback. The supervisor itself never
 * stops because of a worker. The bytes-to-message steps and the permit
 * table are in wconn_in.c, apart from the process, so they are fuzzed as
 * they run (tests/fuzz/fuzz_wconn.c).
 *
 * The worker's stderr is a separate log channel: lines are cut at 2 KiB
 * and the total is capped, so a chatty worker cannot exhaust memory.
 */
#ifndef GAO_SUPERVISOR_WCONN_H
#define GAO_SUPERVISOR_WCONN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto/msg.h"
#include "supervisor/core/loop.h"
#include "supervisor/sandbox/cgroup.h"

struct wconn;

struct wconn_cbs {
	void (*ready)(void *ctx, const struct msg_ready *r);
	/* r is valid only during the call */
	void (*result)(void *ctx, const struct msg_tool_result *r);
	/* the worker is gone (killed and reaped); why is a short reason */
	void (*dead)(void *ctx, const char *why);
	void (*log)(void *ctx, const char *line);
};

struct wconn_opts {
	int worker_fd; /* the gao-dev-worker binary */
	int project_fd;
	const char *project_path;
	const char *tmp_path; /* reachable in its namespace (spawn_view.h) */
	const char *ro_path;  /* the same, read-only; NULL for none */
	char *const *envp;
	int ns_flags;
	bool private_tmp;
	bool drop_uid;
	uid_t uid;
	gid_t gid;
	uint64_t nproc_limit;
	const struct cgroup *cgroup; /* the run's, joined at spawn; or NULL */
	uint32_t ready_timeout_ms;
	const struct msg_init *init; /* sent right after the spawn */
};

/*
 * wconn_start - spawn a worker and send INIT. Returns the connection
 * (state STARTING; cbs->ready follows, or cbs->dead), or NULL with a
 * message in err when the worker could not be started.
 */
struct wconn *wconn_start(struct loop *l, const struct wconn_opts *o,
			  const struct wconn_cbs *cbs, void *ctx, char *err,
			  size_t errlen);

/*
 * wconn_call - send a TOOL_CALL (state must be IDLE; becomes BUSY). The
 * worker gets timeout_ms; the supervisor waits timeout_ms plus a grace
 * period before it kills the worker. 0, or a negative errno.
 */
int wconn_call(struct wconn *w, const char *id, const char *tool,
	       const json_t *input, uint32_t timeout_ms);

/* Send SHUTDOWN, give the worker a moment, kill what is left, reap, free.
 * No callback runs afterwards. NULL is a no-op. */
void wconn_stop(struct wconn *w);

pid_t wconn_pid(const struct wconn *w);

#endif
