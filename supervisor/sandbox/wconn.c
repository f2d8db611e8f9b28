/*
 * wconn.c - one worker, seen from the supervisor. See wconn.h.
 */
#include "supervisor/sandbox/wconn.h"

#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/io.h"
#include "proto/frame.h"
#include "supervisor/core/child.h"
#include "supervisor/sandbox/spawn.h"
#include "supervisor/sandbox/wconn_in.h"

/* past a call's timeout: the worker's budget for its answer (msg.h) */
#define WCONN_GRACE_MS PROTO_CALL_GRACE_MS
#define WCONN_SHUTDOWN_MS 100   /* a clean exit takes well under this */
#define WCONN_EXIT_WAIT_MS 1000 /* pipe closed: the exit status follows */
#define WCONN_LOG_LINE 2048
#define WCONN_LOG_TOTAL (1u << 20)

struct wconn {
	struct loop *loop;
	struct spawn_child child;
	enum wconn_state state;
	struct wconn_cbs cbs;
	void *ctx;
	struct frame_reader reader;
	struct frame_writer writer;
	uint64_t timer;
	char call_id[PROTO_ID_MAX + 1];
	char logbuf[WCONN_LOG_LINE + 1];
	size_t log_len;
	size_t log_total;
	uid_t sweep_uid;     /* 0: no sweep needed (PID ns, or not root) */
	uint64_t exit_watch; /* W_EXITING: waiting for the exit status */
};

pid_t
wconn_pid(const struct wconn *w)
{
	return w->child.pid;
}

/*
 * A stopped or dead worker is handed over to a reap: it is reaped on the
 * loop when it exits (child.h), and killed with its process group if it
 * has not exited by the deadline. Without a PID namespace its uid is
 * swept first. Nothing here waits for a worker: one stopping worker never
 * stalls the other runs. The reap outlives the wconn, which is freed at
 * once.
 */
struct reap {
	struct loop *loop;
	pid_t pid;
	uint64_t timer;
};

static void
kill_group(pid_t pid)
{
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
}

/*
 * Without a PID namespace, processes a command left behind (each Bash
 * command is its own session) outlive the worker's process group. As
 * root, a run's workers have a uid of their own (run.c): a short-lived
 * helper with that uid sends SIGKILL to every process it may signal,
 * which is exactly that uid's processes, the worker included. (An idle
 * service worker of the same run dies too; it is started again when next
 * needed.)
 *
 * The sweep is done by the time this returns: vfork() resumes us when the
 * helper has exited, after three syscalls of its own (no wait on any
 * other process), so the next worker of the run, with the same uid, can
 * never be hit by a late sweep. Only raw syscalls in the helper: it shares
 * our memory, and glibc's setresuid would signal our threads. The helper
 * is reaped on the loop like any child.
 */
static void
sweep_uid(struct loop *l, uid_t uid)
{
	/* vfork on purpose (see above): the helper only makes raw syscalls
	 * and exits */
	/* NOLINTNEXTLINE(clang-analyzer-security.insecureAPI.vfork) */
	pid_t pid = vfork();

	if (pid == 0) {
		/* NOLINTNEXTLINE(clang-analyzer-unix.Vfork): raw syscalls */
		if (syscall(SYS_setgroups, 0, NULL) == 0 &&
		    syscall(SYS_setresgid, uid, uid, uid) == 0 &&
		    syscall(SYS_setresuid, uid, uid, uid) == 0)
			kill(-1, SIGKILL);
		_exit(0);
	}
	if (pid > 0 && !child_watch(l, pid, NULL, NULL))
		io_waitpid(pid, NULL, 0); /* no memory: it has exited */
}

static void
on_reaped(struct loop *l, pid_t pid, int status, void *ctx)
{
	struct reap *r = ctx;

	(void)pid;
	(void)status;
	if (r->timer)
		loop_cancel_timer(l, r->timer);
	free(r);
}

static void
on_reap_deadline(struct loop *l, void *ctx)
{
	struct reap *r = ctx;

	(void)l;
	r->timer = 0;
	kill_group(r->pid);
}

/*
 * Reap pid on the loop; kill it (and its group) after grace_ms (0: now).
 * With a uid to sweep (no PID namespace), everything of that uid, the
 * worker included, is killed now: nothing of the session may survive its
 * end, and the run's next worker has the same uid.
 */
static void
reap_later(struct loop *l, pid_t pid, uid_t uid, uint64_t grace_ms)
{
	struct reap *r = calloc(1, sizeof(*r));

	if ((grace_ms == 0 || uid) && pid > 0)
		kill_group(pid);
	if (uid)
		sweep_uid(l, uid);
	if (!r || pid <= 0 || !child_watch(l, pid, on_reaped, r)) {
		/* nothing to wait for, or no memory: reap here (killed) */
		if (pid > 0) {
			kill_group(pid);
			io_waitpid(pid, NULL, 0);
			child_unclaim(pid);
		}
		free(r);
		return;
	}
	*r = (struct reap){ l, pid, 0 };
	if (grace_ms)
		r->timer = loop_add_timer(l, grace_ms, on_reap_deadline, r);
}

/* Kill the worker's process group (its namespace with it); it is reaped
 * and its uid swept on the loop. */
static void
kill_and_reap(struct wconn *w)
{
	if (w->exit_watch)
		child_cancel(w->loop, w->exit_watch);
	w->exit_watch = 0;
	if (w->child.pid > 0 || w->sweep_uid)
		reap_later(w->loop, w->child.pid, w->sweep_uid, 0);
	w->child.pid = 0;
	w->sweep_uid = 0;
}

static void
detach(struct wconn *w)
{
	if (w->child.res_fd >= 0)
		loop_del_fd(w->loop, w->child.res_fd);
	if (w->child.log_fd >= 0)
		loop_del_fd(w->loop, w->child.log_fd);
	if (w->child.req_fd >= 0)
		loop_del_fd(w->loop, w->child.req_fd);
	if (w->timer)
		loop_cancel_timer(w->loop, w->timer);
	w->timer = 0;
	spawn_child_close(&w->child);
}

/* The worker broke a rule or died: end it and tell the owner once. */
static void
die(struct wconn *w, const char *why)
{
	if (w->state == W_DEAD)
		return;
	w->state = W_DEAD;
	detach(w);
	kill_and_reap(w);
	if (w->cbs.dead)
		w->cbs.dead(w->ctx, why);
}

static void
on_deadline(struct loop *l, void *ctx)
{
	struct wconn *w = ctx;

	(void)l;
	w->timer = 0;
	if (w->state == W_EXITING) {
		die(w, "worker exited");
		return;
	}
	die(w, w->state == W_STARTING ? "worker did not become ready in time" :
					"worker missed the tool deadline");
}

static void
arm(struct wconn *w, uint64_t ms)
{
	if (w->timer)
		loop_cancel_timer(w->loop, w->timer);
	w->timer = loop_add_timer(w->loop, ms, on_deadline, w);
}

static void
handle_msg(struct wconn *w, struct msg *m)
{
	char why[128];

	if (wconn_in_permit(w->state, m, w->call_id, why, sizeof(why))) {
		die(w, why);
		return;
	}
	if (m->type == MSG_W2S_READY) {
		/* the worker reports its own layers; spawn knows the rest */
		m->u.ready.layers |= w->child.layers;
		w->state = W_IDLE;
		loop_cancel_timer(w->loop, w->timer);
		w->timer = 0;
		if (w->cbs.ready)
			w->cbs.ready(w->ctx, &m->u.ready);
		return;
	}
	w->state = W_IDLE;
	loop_cancel_timer(w->loop, w->timer);
	w->timer = 0;
	w->cbs.result(w->ctx, &m->u.result);
}

/* Why the worker exited, from its wait status. */
static void
exit_reason(int status, char *why, size_t cap)
{
	if (WIFSIGNALED(status))
		snprintf(why, cap, "worker killed by signal %d (%s)",
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
	else if (WIFEXITED(status) && WEXITSTATUS(status) > 128 &&
		 WEXITSTATUS(status) < 128 + 65) /* through the PID-ns init */
		snprintf(why, cap, "worker killed by signal %d (%s)",
			 WEXITSTATUS(status) - 128,
			 strsignal(WEXITSTATUS(status) - 128));
	else if (WIFEXITED(status))
		snprintf(why, cap, "worker exited with status %d",
			 WEXITSTATUS(status));
	else
		snprintf(why, cap, "worker exited");
}

static void
on_exit_status(struct loop *l, pid_t pid, int status, void *ctx)
{
	struct wconn *w = ctx;
	char why[96];

	(void)l;
	(void)pid;
	w->exit_watch = 0;
	w->child.pid = 0; /* reaped */
	exit_reason(status, why, sizeof(why));
	die(w, why);
}

/*
 * The worker closed its pipe: it is exiting (a PID-namespace init exits a
 * moment after the worker). Wait for its status on the loop, up to
 * WCONN_EXIT_WAIT_MS, to report how it ended; then it is dead either way.
 */
static void
await_exit(struct wconn *w)
{
	detach(w);
	w->state = W_EXITING;
	if (w->child.pid > 0)
		w->exit_watch = child_watch(w->loop, w->child.pid,
					    on_exit_status, w);
	if (!w->exit_watch) {
		die(w, "worker exited");
		return;
	}
	arm(w, WCONN_EXIT_WAIT_MS);
}

static void
on_results(struct loop *l, int fd, int events, void *ctx)
{
	struct wconn *w = ctx;
	const char *why = "";
	struct msg m;
	int rc;

	(void)l;
	(void)events;
	while (w->state != W_DEAD) {
		rc = wconn_in_next(&w->reader, fd, &m, &why);
		if (rc == 0)
			return;
		if (rc == WCONN_IN_EOF) {
			await_exit(w);
			return;
		}
		if (rc < 0) {
			die(w, why);
			return;
		}
		handle_msg(w, &m);
		msg_clear(&m);
	}
}

static void
log_flush(struct wconn *w)
{
	w->logbuf[w->log_len] = 0;
	if (w->log_len && w->cbs.log && w->log_total <= WCONN_LOG_TOTAL)
		w->cbs.log(w->ctx, w->logbuf);
	w->log_total += w->log_len;
	w->log_len = 0;
}

static void
on_log(struct loop *l, int fd, int events, void *ctx)
{
	struct wconn *w = ctx;
	char buf[4096];
	ssize_t n;

	(void)events;
	for (;;) {
		n = io_read(fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n' || w->log_len == WCONN_LOG_LINE)
				log_flush(w);
			if (buf[i] != '\n')
				w->logbuf[w->log_len++] = buf[i];
		}
	}
	if (n == 0 || (n < 0 && errno != EAGAIN)) {
		log_flush(w);
		loop_del_fd(l, fd); /* the result pipe reports the death */
	}
}

static void
on_writable(struct loop *l, int fd, int events, void *ctx)
{
	struct wconn *w = ctx;
	int rc = frame_writer_flush(&w->writer, fd);

	(void)events;
	if (rc < 0)
		die(w, "worker closed its request pipe");
	else if (rc == 1)
		loop_mod_fd(l, fd, 0);
}

static int
send_msg(struct wconn *w, const struct msg *m)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = msg_encode(m, &buf, &len);

	if (rc < 0)
		return -EINVAL;
	rc = frame_writer_push(&w->writer, buf, len);
	free(buf);
	if (rc < 0)
		return rc;
	rc = frame_writer_flush(&w->writer, w->child.req_fd);
	if (rc == 0)
		loop_mod_fd(w->loop, w->child.req_fd, LOOP_OUT);
	return rc < 0 ? rc : 0;
}

struct wconn *
wconn_start(struct loop *l, const struct wconn_opts *o,
	    const struct wconn_cbs *cbs, void *ctx, char *err, size_t errlen)
{
	struct spawn_opts so = {
		.worker_fd = o->worker_fd,
		.project_fd = o->project_fd,
		.project_path = o->project_path,
		.tmp_path = o->tmp_path,
		.ro_path = o->ro_path,
		.envp = o->envp,
		.ns_flags = o->ns_flags,
		.private_tmp = o->private_tmp,
		/* with a mount namespace: the policy's paths and no more */
		.minimal_root = true,
		.root_ro_paths = o->init->policy.ro_paths,
		.n_root_ro = o->init->policy.n_ro,
		.root_rw_paths = o->init->policy.rw_paths,
		.n_root_rw = o->init->policy.n_rw,
		.drop_uid = o->drop_uid,
		.uid = o->uid,
		.gid = o->gid,
		.nproc_limit = o->nproc_limit,
	};
	struct msg init = { .type = MSG_S2W_INIT };
	struct wconn *w = calloc(1, sizeof(*w));

	if (!w) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w->loop = l;
	w->cbs = *cbs;
	w->ctx = ctx;
	frame_reader_init(&w->reader, PROTO_FRAME_MAX);
	so.n_cgroup_fds = cgroup_procs_fds(o->cgroup, so.cgroup_fds);
	if (spawn_worker(&so, &w->child, err, errlen) < 0) {
		free(w);
		return NULL;
	}
	/* ours until it is watched at its end: the orphan sweep spares it */
	if (child_claim(w->child.pid) < 0) {
		snprintf(err, errlen, "out of memory");
		w->state = W_DEAD;
		detach(w);
		kill_and_reap(w);
		free(w);
		return NULL;
	}
	init.u.init = *o->init;
	if (o->drop_uid && o->uid != 0 && !(w->child.layers & MSG_LAYER_NS_PID))
		w->sweep_uid = o->uid;
	if (loop_add_fd(l, w->child.res_fd, LOOP_IN, on_results, w) < 0 ||
	    loop_add_fd(l, w->child.log_fd, LOOP_IN, on_log, w) < 0 ||
	    loop_add_fd(l, w->child.req_fd, 0, on_writable, w) < 0 ||
	    send_msg(w, &init) < 0) {
		snprintf(err, errlen, "cannot talk to the worker");
		w->state = W_DEAD;
		detach(w);
		kill_and_reap(w);
		frame_writer_clear(&w->writer);
		free(w);
		return NULL;
	}
	arm(w, o->ready_timeout_ms);
	return w;
}

int
wconn_call(struct wconn *w, const char *id, const char *tool,
	   const json_t *input, uint32_t timeout_ms)
{
	struct msg m = { .type = MSG_S2W_TOOL_CALL };
	int rc;

	if (w->state != W_IDLE)
		return -EBUSY;
	m.u.call.id = (char *)id;
	m.u.call.tool = (char *)tool;
	m.u.call.input = (json_t *)input;
	m.u.call.timeout_ms = timeout_ms;
	snprintf(w->call_id, sizeof(w->call_id), "%s", id);
	rc = send_msg(w, &m);
	if (rc < 0)
		return rc;
	w->state = W_BUSY;
	arm(w, (uint64_t)timeout_ms + WCONN_GRACE_MS);
	return 0;
}

void
wconn_stop(struct wconn *w)
{
	struct msg m = { .type = MSG_S2W_SHUTDOWN };
	bool asked = false;

	if (!w)
		return;
	/* an idle worker is asked to exit, and killed if it has not by the
	 * deadline; any other is killed at once */
	if (w->state == W_IDLE && send_msg(w, &m) == 0)
		asked = true;
	if (w->exit_watch)
		child_cancel(w->loop, w->exit_watch);
	w->exit_watch = 0;
	w->state = W_DEAD;
	detach(w);
	if (w->child.pid > 0 || w->sweep_uid)
		reap_later(w->loop, w->child.pid, w->sweep_uid,
			   asked ? WCONN_SHUTDOWN_MS : 0);
	w->child.pid = 0;
	frame_reader_clear(&w->reader);
	frame_writer_clear(&w->writer);
	free(w);
}
