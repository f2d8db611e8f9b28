/*
 * tool_bash.c - the Bash tool: run a command with /bin/bash -c.
 *
 * Design note
 * -----------
 * Input {command, timeout?, description?, run_in_background?}; timeout
 * in milliseconds (default ctx->timeout_default_ms, clamped to
 * ctx->timeout_max_ms and to the supervisor's deadline for the call).
 * Refused when the policy says the agent may not run programs.
 *
 * The child (bash_exec.h): setsid(), so the command and everything it
 * starts form one process group we can kill as a whole; signals reset;
 * cwd = the project; fd 0 = /dev/null; fds 1 and 2 = the same pipe, so
 * stdout and stderr interleave as a terminal shows them; every other fd
 * closed, so a command can never reach the worker's protocol fds.
 *
 * The parent polls the pipe and a pidfd (or polls waitpid every 10 ms
 * where pidfd_open is missing or denied) until bash has exited and the
 * pipe is at EOF. A command may leave a background process holding the
 * pipe: we stop reading BASH_GRACE_MS after bash exits. On timeout the
 * whole group gets SIGKILL and is reaped, and the result is an error
 * with the output so far. Then, whichever way it ended, every process the
 * call left behind is killed and reaped (bash_jobs_settle(); the result
 * says how many), and what they had written to the pipe is still read.
 * The sweeps before and after the command run outside its timeout, so
 * they, and the answer after them, are bounded to fit in the grace the
 * supervisor gives a call past its timeout (PROTO_CALL_GRACE_MS).
 * Output beyond ctx->output_max is still drained and counted; the agent
 * sees its first and last halves around a marker, since a build's last
 * lines usually hold the error. A writer can keep the pipe full forever
 * (cat /dev/zero on a pipe grown to 1 MiB), so one read pass takes at
 * most BASH_DRAIN_PASS bytes and the loop looks at the clock between
 * passes: the timeout and the grace hold whatever the command writes.
 *
 * run_in_background: the command becomes a job of ctx->jobs
 * (bash_jobs.h) and the result names its pid and output file at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/io.h"
#include "common/utf8.h"
#include "proto/msg.h"
#include "worker/bash_exec.h"
#include "worker/bash_jobs.h"
#include "worker/tool.h"
#include "worker/tool_common.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

/* After the sweep that follows the command: reaping bash, the last read
 * pass, the result and its frame. With the two sweeps it must fit in the
 * supervisor's grace past the deadline, whose timer started when the
 * call was sent, before the first sweep. */
#define BASH_ANSWER_MS 1000
_Static_assert(2 * BASH_JOBS_SWEEP_MS + BASH_ANSWER_MS <= PROTO_CALL_GRACE_MS,
	       "a Bash call could answer after the supervisor killed the "
	       "worker");

#define BASH_TIMEOUT_DEFAULT_MS 120000
#define BASH_TIMEOUT_MAX_MS 600000
#define BASH_GRACE_MS 100
#define BASH_POLL_FALLBACK_MS 10
#define BASH_NOTES_MAX 2048
/* Most bytes one read pass takes from the pipe: twice the largest pipe an
 * unprivileged command can ask for (fs.pipe-max-size, 1 MiB by default),
 * so the pass after the leftovers are killed still empties it. */
#define BASH_DRAIN_PASS ((size_t)2 << 20)

/* Output capture: the first `limit` bytes, and a ring of the last half. */
struct capture {
	size_t limit;
	char *head;
	size_t hlen;
	char *ring;
	size_t rcap, rpos; /* ring size, next write position */
	uint64_t total;
};

struct run {
	pid_t pid;
	int rfd;   /* read end of the output pipe */
	int pidfd; /* -1 when pidfd_open is unavailable */
	uint64_t deadline;
	bool exited, eof, timed_out;
	int status;
	struct capture cap;
};

/* Fork the command; fills r->pid, r->rfd, r->pidfd. 0 or -errno. */
static int
spawn(const struct tool_ctx *ctx, const char *command, struct run *r)
{
	int p[2], nullfd, rc = 0;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC | O_NOCTTY);
	r->pid = fork();
	if (r->pid == 0)
		bash_exec_child(ctx->project_fd, p[1], nullfd, command, true);
	if (r->pid < 0)
		rc = -errno;
	close(p[1]);
	if (nullfd >= 0)
		close(nullfd);
	if (rc < 0) {
		close(p[0]);
		return rc;
	}
	r->rfd = p[0];
	if (fcntl(r->rfd, F_SETFL, O_NONBLOCK) < 0)
		rc = -errno; /* the loop would block on read: refuse */
	r->pidfd = (int)syscall(SYS_pidfd_open, r->pid, 0U);
	return rc;
}

/* ---- the parent ------------------------------------------------------ */

static int
capture_init(struct capture *c, size_t limit)
{
	memset(c, 0, sizeof(*c));
	c->limit = limit;
	c->rcap = limit / 2 ? limit / 2 : 1;
	c->head = malloc(limit + 1);
	c->ring = malloc(c->rcap);
	return c->head && c->ring ? 0 : -ENOMEM;
}

static void
capture_add(struct capture *c, const char *p, size_t n)
{
	size_t k;

	c->total += n;
	if (c->hlen < c->limit) {
		k = c->limit - c->hlen < n ? c->limit - c->hlen : n;
		memcpy(c->head + c->hlen, p, k);
		c->hlen += k;
	}
	/* Only the last rcap bytes can matter to the ring. */
	if (n > c->rcap) {
		p += n - c->rcap;
		n = c->rcap;
	}
	/* up to the ring's end, then the rest from its start */
	k = c->rcap - c->rpos < n ? c->rcap - c->rpos : n;
	memcpy(c->ring + c->rpos, p, k);
	memcpy(c->ring, p + k, n - k);
	c->rpos = (c->rpos + n) % c->rcap;
}

/*
 * Read what the pipe holds now, at most BASH_DRAIN_PASS bytes; sets
 * r->eof at end of stream. A writer may keep the pipe full forever, so
 * the caller's loop gets back to its clock after each pass.
 */
static void
drain(struct run *r)
{
	char buf[16384];
	size_t got = 0;
	ssize_t n;

	while (!r->eof && got < BASH_DRAIN_PASS) {
		n = io_read(r->rfd, buf, sizeof(buf));
		if (n < 0 && n != -EAGAIN)
			r->eof = true; /* EIO and such: nothing more */
		if (n < 0)
			return;
		if (n == 0)
			r->eof = true;
		else
			capture_add(&r->cap, buf, (size_t)n);
		got += (size_t)n;
	}
}

/* waitpid, EINTR-safe; true once the child is reaped. */
static bool
reap(struct run *r, bool block)
{
	pid_t w;

	w = io_waitpid(r->pid, &r->status, block ? 0 : WNOHANG);
	if (w == r->pid || w == -ECHILD) {
		if (w < 0) /* reaped elsewhere (SIGCHLD ignored) */
			r->status = 0;
		r->exited = true;
	}
	return r->exited;
}

/* Kill the whole process group and reap bash. */
static void
kill_group(struct run *r)
{
	r->timed_out = true;
	kill(-r->pid, SIGKILL);
	kill(r->pid, SIGKILL);
	reap(r, true);
	drain(r);
}

/* Poll until bash has exited and the pipe is done, or the timeout. */
static void
wait_output(struct run *r)
{
	struct pollfd pf[2];
	uint64_t now, grace = 0, until;
	nfds_t n;

	for (;;) {
		now = clock_now_ms();
		if (!r->exited && now >= r->deadline) {
			kill_group(r);
			return;
		}
		if (r->exited && (r->eof || now >= grace))
			return;
		until = r->exited ? grace : r->deadline;
		n = 0;
		if (!r->eof)
			pf[n++] = (struct pollfd){ .fd = r->rfd,
						   .events = POLLIN };
		if (!r->exited && r->pidfd >= 0)
			pf[n++] = (struct pollfd){ .fd = r->pidfd,
						   .events = POLLIN };
		if (!r->exited && r->pidfd < 0 &&
		    until > now + BASH_POLL_FALLBACK_MS)
			until = now + BASH_POLL_FALLBACK_MS;
		/* An error (EINTR; no other with valid fds) goes round again.
		 */
		(void)poll(pf, n, (int)(until - now));
		drain(r);
		if (!r->exited && reap(r, false))
			grace = clock_now_ms() + BASH_GRACE_MS;
	}
}

/* ---- the result ------------------------------------------------------ */

/*
 * Append p[0..n), made valid UTF-8, to b: at most max bytes of it, cut at
 * a character boundary from the end (or, with keep_end, from the front).
 * Sets *cut when something was dropped. 0 or -ENOMEM.
 */
static int
append_clean(struct tool_buf *b, const char *p, size_t n, size_t max,
	     bool keep_end, bool *cut)
{
	char *s = NULL;
	size_t sl, skip = 0;
	int rc;

	rc = utf8_sanitize(p, n, &s, &sl);
	if (rc < 0)
		return rc;
	if (sl > max) {
		*cut = true;
		if (keep_end) {
			skip = sl - max;
			while (skip < sl &&
			       ((unsigned char)s[skip] & 0xc0) == 0x80)
				skip++;
			sl -= skip;
		} else {
			sl = utf8_boundary(s, sl, max);
		}
	}
	rc = tool_buf_append(b, s + skip, sl);
	free(s);
	return rc;
}

/* The captured output, head and tail around a marker when cut. */
static int
put_output(struct tool_buf *b, const struct capture *c, bool *cut)
{
	size_t half = c->limit / 2, tn = c->rcap, start;
	char *tail;
	int rc;

	if (c->total <= c->limit) {
		rc = append_clean(b, c->head, c->hlen, c->limit, false, cut);
		if (rc == 0 && *cut)
			rc = tool_buf_printf(b,
					     "\n[output truncated: invalid "
					     "UTF-8 made it longer than %zu "
					     "bytes]\n",
					     c->limit);
		return rc;
	}
	*cut = true;
	rc = append_clean(b, c->head, half, half, false, cut);
	if (rc == 0)
		rc = tool_buf_printf(b,
				     "\n[... output truncated: %" PRIu64
				     " bytes in all; showing the first %zu "
				     "and the last %zu ...]\n",
				     c->total, half, tn);
	tail = rc < 0 ? NULL : malloc(tn);
	if (rc < 0 || tail == NULL)
		return rc < 0 ? rc : -ENOMEM;
	start = c->rpos; /* the oldest byte of a full ring */
	memcpy(tail, c->ring + start, tn - start);
	memcpy(tail + tn - start, c->ring, start);
	rc = append_clean(b, tail, tn, tn, true, cut);
	free(tail);
	return rc;
}

/* Build *out from a finished run. */
static int
result(struct run *r, uint64_t timeout, const char *note, const char *notes,
       struct tool_out *out)
{
	struct tool_buf b;
	int64_t code;
	bool cut = false;
	int rc = 0;

	code = WIFSIGNALED(r->status) ? 128 + WTERMSIG(r->status) :
					WEXITSTATUS(r->status);
	/* No limit here: put_output already bounds the text. */
	tool_buf_init(&b, SIZE_MAX / 2);
	if (note != NULL)
		rc = tool_buf_printf(&b, "%s\n", note);
	if (rc == 0 && r->timed_out)
		rc = tool_buf_printf(&b,
				     "Command timed out after %" PRIu64 " ms\n",
				     timeout);
	if (rc == 0)
		rc = put_output(&b, &r->cap, &cut);
	if (rc == 0 && code != 0 && !r->timed_out)
		rc = tool_buf_printf(&b, "%s[exit code: %" PRId64 "]",
				     b.len && b.data[b.len - 1] != '\n' ? "\n" :
									  "",
				     code);
	if (rc == 0 && notes[0])
		rc = tool_buf_printf(&b, "%s%s",
				     b.len && b.data[b.len - 1] != '\n' ? "\n" :
									  "",
				     notes);
	if (rc == 0)
		rc = tool_buf_finish(&b, r->timed_out, NULL, NULL, out);
	else
		tool_buf_free(&b);
	if (rc < 0)
		return rc;
	out->exit_code = code;
	out->bytes = r->cap.total;
	out->truncated = cut;
	return 0;
}

/* The timeout to use; *note explains a clamp. 0, or 1 with an error. */
static int
pick_timeout(const struct tool_ctx *ctx, const json_t *input,
	     uint32_t timeout_ms, uint64_t *t, char *note, size_t notesize,
	     struct tool_out *out)
{
	uint64_t max = ctx->timeout_max_ms ? ctx->timeout_max_ms :
					     BASH_TIMEOUT_MAX_MS;
	bool given = false;
	int rc;

	*t = ctx->timeout_default_ms ? ctx->timeout_default_ms :
				       BASH_TIMEOUT_DEFAULT_MS;
	rc = tool_arg_uint(input, "timeout", t, &given, out);
	if (rc != 0)
		return rc;
	if (given && *t == 0)
		return tool_fail(out, "invalid input: \"timeout\" must be a "
				      "positive number of milliseconds");
	if (*t > max) {
		if (given)
			snprintf(note, notesize,
				 "[timeout %" PRIu64 " ms is "
				 "above the maximum; clamped to %" PRIu64
				 " ms]",
				 *t, max);
		*t = max;
	}
	if (timeout_ms != 0 && *t > timeout_ms)
		*t = timeout_ms;
	return 0;
}

/* run_in_background: start the job, say where its output goes. */
static int
background(const struct tool_ctx *ctx, const char *command, const char *notes,
	   struct tool_out *out)
{
	struct bash_job_info info;
	char err[256];
	int rc;

	if (!ctx->jobs)
		return tool_fail(out, "run_in_background is not available "
				      "here");
	rc = bash_jobs_start(ctx->jobs, ctx->project_fd, command, &info, err,
			     sizeof(err));
	if (rc < 0)
		return rc;
	if (rc > 0)
		return tool_fail(out, "%scannot start in the background: %s",
				 notes, err);
	/* the notes last: a long path must not push the job's facts out of
	 * tool_ok's buffer */
	rc = tool_ok(out,
		     "Started in the background: job %d, pid %d (its "
		     "process group). Its stdout and stderr go to %s; read it "
		     "with Bash (cat %s, tail -n 50 %s). Stop it with: kill "
		     "-- -%d. It runs until it exits or this agent session "
		     "ends.%s%s",
		     info.id, (int)info.pid, info.path, info.path, info.path,
		     (int)info.pid, notes[0] ? "\n" : "", notes);
	if (rc == 0)
		out->exit_code = 0;
	return rc;
}

int
tool_bash(const struct tool_ctx *ctx, const json_t *input, uint32_t timeout_ms,
	  struct tool_out *out)
{
	char note[160] = "", notes[BASH_NOTES_MAX] = "";
	const char *command = NULL, *desc = NULL;
	bool bg = false;
	struct run r;
	uint64_t timeout = 0;
	int rc;

	memset(&r, 0, sizeof(r));
	r.rfd = r.pidfd = -1;
	rc = tool_check_object(input, out);
	if (rc == 0)
		rc = tool_arg_text(input, "command", true, &command, out);
	if (rc == 0)
		rc = tool_arg_string(input, "description", false, &desc, NULL,
				     out);
	if (rc == 0)
		rc = tool_arg_bool(input, "run_in_background", &bg, out);
	if (rc == 0 && !ctx->allow_exec)
		rc = tool_fail(out, "Bash is not allowed for this agent: the "
				    "policy does not let it run commands");
	if (rc == 0 && command[0] == '\0')
		rc = tool_fail(out, "invalid input: \"command\" is empty");
	if (rc == 0)
		rc = pick_timeout(ctx, input, timeout_ms, &timeout, note,
				  sizeof(note), out);
	if (rc != 0)
		return rc > 0 ? 0 : rc;
	/* jobs that ended, and the background share, before anything new */
	bash_jobs_settle(ctx->jobs, notes, sizeof(notes));
	if (bg) {
		rc = background(ctx, command, notes, out);
		return rc > 0 ? 0 : rc;
	}
	rc = capture_init(&r.cap, tool_output_limit(ctx));
	if (rc == 0) {
		r.deadline = clock_now_ms() + timeout;
		rc = spawn(ctx, command, &r);
		if (rc < 0 && rc != -ENOMEM)
			rc = tool_fail(out, "cannot start the command: %s",
				       strerror(-rc));
	}
	if (rc == 0) {
		wait_output(&r);
		/* whatever the command left behind dies now; what it wrote
		 * before that is still read */
		bash_jobs_settle(ctx->jobs, notes, sizeof(notes));
		drain(&r);
		rc = result(&r, timeout, note[0] ? note : NULL, notes, out);
	} else {
		if (r.pid > 0 && !r.exited)
			kill_group(&r);
		bash_jobs_settle(ctx->jobs, notes, sizeof(notes));
	}
	if (r.rfd >= 0)
		close(r.rfd);
	if (r.pidfd >= 0)
		close(r.pidfd);
	free(r.cap.head);
	free(r.cap.ring);
	return rc > 0 ? 0 : rc;
}
