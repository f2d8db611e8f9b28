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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proto/frame.h"
#include "supervisor/sandbox/spawn.h"

#define WCONN_GRACE_MS 5000
#define WCONN_LOG_LINE 2048
#define WCONN_LOG_TOTAL (1u << 20)

enum wconn_state { W_STARTING, W_IDLE, W_BUSY, W_DEAD };

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
	bool in_callback;
	bool stop_requested;
	uid_t sweep_uid;          /* 0: no sweep needed (PID ns, or not root) */
};

/* Which worker message each state permits (0: none). */
static const int permitted[] = {
	[W_STARTING] = MSG_W2S_READY,
	[W_IDLE] = 0,
	[W_BUSY] = MSG_W2S_TOOL_RESULT,
	[W_DEAD] = 0,
};

pid_t
wconn_pid(const struct wconn *w)
{
	return w->child.pid;
}

/*
 * Without a PID namespace, processes a command left behind (each Bash
 * command is its own session) outlive the worker's process group. As
 * root, a run's workers have a uid of their own (run.c): a short-lived
 * helper with that uid sends SIGKILL to every process it may signal,
 * which is exactly that uid's processes. (An idle service worker of the
 * same run dies too; it is started again when next needed.)
 */
static void
sweep_uid(uid_t uid)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (setresgid(uid, uid, uid) == 0 && setgroups(0, NULL) == 0 &&
		    setresuid(uid, uid, uid) == 0)
			kill(-1, SIGKILL);
		_exit(0);
	}
	while (pid > 0 && waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* Kill the worker's process group (its namespace with it) and reap. */
static void
kill_and_reap(struct wconn *w)
{
	if (w->child.pid > 0) {
		kill(-w->child.pid, SIGKILL);
		kill(w->child.pid, SIGKILL);
		while (waitpid(w->child.pid, NULL, 0) < 0 && errno == EINTR)
			;
		w->child.pid = 0;
	}
	/* also after a clean exit: what the commands left is still there */
	if (w->sweep_uid)
		sweep_uid(w->sweep_uid);
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
	die(w, w->state == W_STARTING ? "worker did not become ready in time"
				      : "worker missed the tool deadline");
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
	if (permitted[w->state] != (int)m->type) {
		char why[128];

		snprintf(why, sizeof(why), "worker sent %s, not permitted now",
			 msg_type_name(m->type));
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
	if (strcmp(m->u.result.id, w->call_id) != 0) {
		die(w, "worker answered with the wrong tool_use id");
		return;
	}
	w->state = W_IDLE;
	loop_cancel_timer(w->loop, w->timer);
	w->timer = 0;
	w->cbs.result(w->ctx, &m->u.result);
}

/* Why the worker's pipe closed: its exit status when it is already gone
 * (it usually is: the pipe closes as the process exits). */
static void
exit_reason(struct wconn *w, char *why, size_t cap)
{
	int status = 0;

	struct timespec ms = { 0, 1000000 };
	pid_t got = 0;

	snprintf(why, cap, "worker exited");
	/* a PID-namespace init exits a moment after the worker: wait for it
	 * a little (a rare path: a worker only dies like this on a crash) */
	for (int i = 0; w->child.pid > 0 && i < 20 && got == 0; i++) {
		got = waitpid(w->child.pid, &status, WNOHANG);
		if (got == 0)
			nanosleep(&ms, NULL);
	}
	if (got != w->child.pid)
		return;
	w->child.pid = 0;
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
}

static void
on_results(struct loop *l, int fd, int events, void *ctx)
{
	struct wconn *w = ctx;
	uint8_t *body;
	size_t len;
	struct msg m;
	int rc;

	(void)l;
	(void)events;
	while (w->state != W_DEAD) {
		rc = frame_reader_read(&w->reader, fd, &body, &len);
		if (rc == 0)
			return;
		if (rc == FRAME_E_EOF) {
			char why[96];

			exit_reason(w, why, sizeof(why));
			die(w, why);
			return;
		}
		if (rc < 0) {
			die(w, frame_strerror(rc));
			return;
		}
		rc = msg_decode(body, len, &m);
		free(body);
		if (rc < 0) {
			die(w, msg_strerror(rc));
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
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
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
		.worker_fd = o->worker_fd, .project_fd = o->project_fd,
		.project_path = o->project_path,
		.tmp_path = o->tmp_path, .ro_path = o->ro_path,
		.envp = o->envp, .ns_flags = o->ns_flags,
		.private_tmp = o->private_tmp,
		.drop_uid = o->drop_uid, .uid = o->uid, .gid = o->gid,
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
	if (spawn_worker(&so, &w->child, err, errlen) < 0) {
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
	struct timespec ts = { 0, 2000000 };

	if (!w)
		return;
	if (w->state == W_IDLE && send_msg(w, &m) == 0) {
		/* a clean exit takes well under 100 ms */
		for (int i = 0; i < 50 && w->child.pid > 0; i++) {
			if (waitpid(w->child.pid, NULL, WNOHANG) ==
			    w->child.pid)
				w->child.pid = 0;
			else
				nanosleep(&ts, NULL);
		}
	}
	w->state = W_DEAD;
	detach(w);
	kill_and_reap(w);
	frame_reader_clear(&w->reader);
	frame_writer_clear(&w->writer);
	free(w);
}
