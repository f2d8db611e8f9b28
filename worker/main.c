/*
 * main.c - gao-dev-worker: the confined executor of one agent's tool calls.
 *
 * Design note
 * -----------
 * Started only by the supervisor (fork + execve, clean environment, the fd
 * map of fdmap.h). Life of a worker:
 *
 *   fds checked and made close-on-exec -> a child subreaper with its
 *   Bash job table (bash_jobs.h) -> INIT read (the only message accepted
 *   in this state) -> confine_apply() -> READY sent -> loop: TOOL_CALL ->
 *   run the tool -> TOOL_RESULT; SHUTDOWN -> every background job and
 *   leftover killed -> exit 0.
 *
 * Any frame or message that is malformed or not allowed in the current
 * state ends the worker with FDMAP_EXIT_PROTOCOL: the supervisor is the
 * only peer and never sends one, so it means a bug or tampering. The worker
 * writes nothing to stdout; diagnostics go to fd 2, the log pipe, which the
 * supervisor records. The worker never sees the API key: it is not in its
 * environment, argv, memory or fds (a fresh execve carries none of the
 * supervisor's memory).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/io.h"
#include "proto/fdmap.h"
#include "proto/frame.h"
#include "proto/msg.h"
#include "worker/bash_jobs.h"
#include "worker/confine.h"
#include "worker/tool.h"

__attribute__((format(printf, 1, 2))) static void
wlog(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	/* the log pipe is best effort: a full pipe must not stop tools */
	if (write(FDMAP_LOG, buf, (size_t)n) < 0)
		return;
}

/* Check the fd map and make the protocol fds close-on-exec. */
static int
setup_fds(void)
{
	for (int fd = FDMAP_REQ; fd < FDMAP_COUNT; fd++) {
		int fl = fcntl(fd, F_GETFD);

		if (fl < 0 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0)
			return -1;
	}
	return 0;
}

static int
send_msg(const struct msg *m)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = msg_encode(m, &buf, &len);

	if (rc < 0) {
		wlog("encode %s: %s", msg_type_name(m->type), msg_strerror(rc));
		return rc;
	}
	rc = frame_write_blocking(FDMAP_RES, buf, len);
	free(buf);
	return rc;
}

/* Read one message; any failure is the end of this worker. */
static int
recv_msg(struct msg *m)
{
	uint8_t *body = NULL;
	size_t len = 0;
	int rc = frame_read_blocking(FDMAP_REQ, PROTO_FRAME_MAX, &body, &len);

	if (rc < 0) {
		if (rc != FRAME_E_EOF)
			wlog("frame: %s", frame_strerror(rc));
		return rc;
	}
	rc = msg_decode(body, len, m);
	free(body);
	if (rc < 0)
		wlog("decode: %s", msg_strerror(rc));
	return rc;
}

static bool
tool_granted(const struct msg_init *init, const char *tool)
{
	for (size_t i = 0; i < init->n_tools; i++)
		if (strcmp(init->tools[i], tool) == 0)
			return true;
	return false;
}

static int
run_call(const struct msg_init *init, struct bash_jobs *jobs,
	 const struct msg_tool_call *call)
{
	const struct msg_policy *p = &init->policy;
	struct tool_ctx ctx = {
		.project_fd = FDMAP_PROJECT,
		.project_dir = init->project_dir,
		.output_max = p->output_bytes,
		.timeout_default_ms = p->timeout_default_ms,
		.timeout_max_ms = p->timeout_max_ms,
		.allow_exec = p->allow_exec,
		.jobs = jobs,
		.tmp_dir = getenv("TMPDIR"), /* set at exec by the supervisor */
	};
	struct tool_out out = { .exit_code = -1 };
	struct msg reply = { .type = MSG_W2S_TOOL_RESULT };
	tool_fn fn = tool_lookup(call->tool);
	uint64_t t0 = clock_now_ms();
	int rc = 0;

	if (!fn || !tool_granted(init, call->tool)) {
		out.is_error = true;
		out.content = strdup("this tool is not available to this "
				     "agent");
	} else {
		rc = fn(&ctx, call->input, call->timeout_ms, &out);
	}
	if (rc < 0 || !out.content) {
		wlog("tool %s failed: %s", call->tool, strerror(-rc));
		tool_out_clear(&out);
		return rc < 0 ? rc : -ENOMEM;
	}
	reply.u.result = (struct msg_tool_result){
		.id = call->id,
		.is_error = out.is_error,
		.content = out.content,
		.exit_code = out.exit_code,
		.duration_ms = clock_now_ms() - t0,
		.bytes = out.bytes,
		.truncated = out.truncated,
	};
	rc = send_msg(&reply);
	tool_out_clear(&out);
	return rc;
}

static int
serve(const struct msg_init *init, struct bash_jobs *jobs)
{
	struct msg m;
	int rc;

	for (;;) {
		rc = recv_msg(&m);
		if (rc == FRAME_E_EOF)
			return FDMAP_EXIT_OK; /* supervisor went away */
		if (rc < 0)
			return FDMAP_EXIT_PROTOCOL;
		if (m.type == MSG_S2W_SHUTDOWN) {
			msg_clear(&m);
			return FDMAP_EXIT_OK;
		}
		if (m.type != MSG_S2W_TOOL_CALL) {
			wlog("unexpected %s after READY",
			     msg_type_name(m.type));
			msg_clear(&m);
			return FDMAP_EXIT_PROTOCOL;
		}
		rc = run_call(init, jobs, &m.u.call);
		msg_clear(&m);
		if (rc < 0)
			return FDMAP_EXIT_PROTOCOL;
	}
}

/*
 * In a new PID namespace the worker is process 1, which must reap every
 * orphan and whose exit ends the namespace. Split: this process stays as a
 * minimal init (reaps, then exits with the worker's status, which kills
 * whatever is left), the child goes on as the worker.
 */
static bool
become_init_if_pid1(void)
{
	int status = 0;
	pid_t worker, pid;

	if (getpid() != 1)
		return false;
	worker = fork();
	if (worker < 0)
		_exit(FDMAP_EXIT_SETUP);
	if (worker == 0)
		return true;
	for (int fd = 0; fd < FDMAP_COUNT; fd++)
		close(fd);
	do
		pid = io_waitpid(-1, &status, 0);
	while (pid > 0 && pid != worker);
	/* a worker killed by a signal shows as 128 + the signal */
	_exit(WIFEXITED(status)   ? WEXITSTATUS(status) :
	      WIFSIGNALED(status) ? 128 + WTERMSIG(status) :
				    FDMAP_EXIT_PROTOCOL);
}

int
main(void)
{
	struct bash_jobs *jobs;
	struct confine_report rep;
	struct msg init, ready = { .type = MSG_W2S_READY };
	char err[256] = "";
	bool own_pidns;
	int rc;

	/* Not dumpable from the first instruction we control: the process
	 * that stays PID 1 below is never confined, and a command of the
	 * same uid must not reach its memory (/proc/1/mem) or ours before
	 * confinement; both inherit this through fork. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	own_pidns = become_init_if_pid1();
	/* A command that closes our result pipe must not kill us silently. */
	signal(SIGPIPE, SIG_IGN);
	/* over RLIMIT_FSIZE a write fails with EFBIG, which the tools
	 * report, instead of killing the worker */
	signal(SIGXFSZ, SIG_IGN);
	/* Files of the sandbox are private: 0600 files, 0700 directories,
	 * for the tools and every command they run (docs/decisions.md). */
	umask(077);
	if (setup_fds() < 0)
		return FDMAP_EXIT_SETUP;
	/* A child subreaper: nothing a command starts leaves our tree, and
	 * the Bash tool kills what a call left (worker/bash_jobs.h). */
	jobs = bash_jobs_new(own_pidns);
	if (!jobs) {
		wlog("PR_SET_CHILD_SUBREAPER: %s", strerror(errno));
		return FDMAP_EXIT_SETUP;
	}
	if (recv_msg(&init) < 0)
		return FDMAP_EXIT_SETUP;
	if (init.type != MSG_S2W_INIT || init.u.init.version != PROTO_VERSION) {
		wlog("expected INIT version %d", PROTO_VERSION);
		msg_clear(&init);
		return FDMAP_EXIT_PROTOCOL;
	}
	if (confine_apply(&init.u.init, &rep, err, sizeof(err)) < 0) {
		wlog("confine: %s", err);
		msg_clear(&init);
		return FDMAP_EXIT_CONFINE;
	}
	/* (Not dumpable since main began: no core dump even where
	 * core_pattern pipes to a program, which ignores RLIMIT_CORE, and no
	 * /proc/<pid>/mem for the commands we run. Children of execve become
	 * dumpable again: nothing to hide.) */
	ready.u.ready = (struct msg_ready){
		.version = PROTO_VERSION,
		.pid = getpid(),
		.uid = geteuid(),
		.layers = rep.layers,
		.landlock_abi = rep.landlock_abi,
	};
	rc = send_msg(&ready) < 0 ? FDMAP_EXIT_PROTOCOL :
				    serve(&init.u.init, jobs);
	/* every background job and leftover dies with the session */
	bash_jobs_free(jobs);
	msg_clear(&init);
	return rc;
}
