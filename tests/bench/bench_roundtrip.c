/*
 * bench_roundtrip.c - what a tool call costs on top of the work itself.
 *
 * Design note
 * -----------
 * Target 2 of docs/performance.md, with a ready, fully confined worker (started
 * as the supervisor starts one, bench_worker.h):
 *
 *   - Read of a 1 KiB file: TOOL_CALL encoded (JSON input to msgpack),
 *     framed, sent; the worker resolves the path beneath the project,
 *     reads, numbers the lines, answers; TOOL_RESULT read and decoded.
 *     Baseline: a bare pipe ping-pong between two processes of exactly the
 *     bytes that exchange put on the pipes (the request frame one way, the
 *     result frame back), read the same way (non-blocking, poll on
 *     EAGAIN). Target: at most 3x.
 *   - Bash `true`: the same exchange, the worker running `bash -c true`
 *     (fork, exec, output pipe, wait). Baseline: fork + exec + wait of
 *     `/bin/bash -c true` with the worker's environment. Target: at most
 *     1.2x.
 *
 * The four rows are measured interleaved after a warm-up, and every reply
 * is checked (the file's text came back, bash exited 0), so a broken
 * worker cannot pass for a fast one.
 *
 * -t read or -t bash measures one pair only (for a profiler).
 *
 * usage: bench_roundtrip [-n CALLS] [-W WARMUP] [-w WORKER] [-p PROFILES]
 *                        [-d BASE_DIR] [-t read|bash]
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_stats.h"
#include "bench_worker.h"

#define FILE_NAME "read-1k.txt"
#define FILE_LINES 16
#define LINE_LEN 64 /* with its newline: 16 x 64 = 1024 bytes */

struct opts {
	size_t n;
	size_t warmup;
	const char *worker;
	const char *profiles;
	const char *base;
	bool read; /* measure the Read pair */
	bool bash; /* measure the Bash pair */
};

/* The ping-pong peer: a process that answers each request. */
struct peer {
	pid_t pid;
	int to;      /* our write end (non-blocking) */
	int from;    /* our read end (non-blocking) */
	size_t req;  /* bytes of one request */
	size_t resp; /* bytes of one answer */
	uint8_t *buf;
};

enum row { R_PIPE, R_READ, R_BASH_DIRECT, R_BASH, R_COUNT };

__attribute__((noreturn)) static void
die(const char *what, const char *msg)
{
	fprintf(stderr, "bench_roundtrip: %s: %s\n", what, msg);
	exit(1);
}

static void
usage(void)
{
	fprintf(stderr,
		"usage: bench_roundtrip [-n CALLS] [-W WARMUP] "
		"[-w WORKER] [-p PROFILES] [-d BASE_DIR] [-t read|bash]\n");
	exit(2);
}

static void
parse(int argc, char **argv, struct opts *o)
{
	int c;

	*o = (struct opts){ .n = 1000,
			    .warmup = 50,
			    .worker = bench_default_worker(),
			    .profiles = bench_default_profiles(),
			    .base = "/var/tmp",
			    .read = true,
			    .bash = true };
	while ((c = getopt(argc, argv, "n:W:w:p:d:t:")) != -1) {
		switch (c) {
		case 'n':
			o->n = bench_parse_count("-n", optarg);
			break;
		case 'W':
			o->warmup = bench_parse_count("-W", optarg);
			break;
		case 'w':
			o->worker = optarg;
			break;
		case 'p':
			o->profiles = optarg;
			break;
		case 'd':
			o->base = optarg;
			break;
		case 't':
			o->read = !strcmp(optarg, "read");
			o->bash = !strcmp(optarg, "bash");
			if (!o->read && !o->bash)
				usage();
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
}

/* read() or write() exactly len bytes on a blocking fd. */
static int
xfer(int fd, uint8_t *buf, size_t len, bool out)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = out ? write(fd, buf + done, len - done) :
			  read(fd, buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

/* Wait until fd is ready for events; 0 or -1. */
static int
wait_fd(int fd, short events)
{
	struct pollfd pf = { .fd = fd, .events = events };

	for (;;) {
		int rc = poll(&pf, 1, 30000);

		if (rc > 0)
			return 0;
		if (rc == 0 || errno != EINTR)
			return -1;
	}
}

/* Move len bytes over a non-blocking fd the way the supervisor does:
 * try, and poll when the pipe says EAGAIN. */
static int
xfer_nb(int fd, uint8_t *buf, size_t len, bool out)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = out ? write(fd, buf + done, len - done) :
			  read(fd, buf + done, len - done);
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			return -1;
		if (errno == EAGAIN && wait_fd(fd, out ? POLLOUT : POLLIN) < 0)
			return -1;
	}
	return 0;
}

__attribute__((noreturn)) static void
peer_main(int in, int out, size_t req, size_t resp)
{
	uint8_t *buf = calloc(1, req > resp ? req : resp);

	if (!buf)
		_exit(1);
	while (xfer(in, buf, req, false) == 0)
		if (xfer(out, buf, resp, true) < 0)
			break;
	_exit(0);
}

static void
peer_start(struct peer *p, size_t req, size_t resp)
{
	int a[2], b[2];

	if (pipe2(a, O_CLOEXEC) < 0 || pipe2(b, O_CLOEXEC) < 0)
		die("pipe", strerror(errno));
	p->req = req;
	p->resp = resp;
	p->buf = calloc(1, req > resp ? req : resp);
	p->pid = fork();
	if (!p->buf || p->pid < 0)
		die("ping-pong peer", strerror(errno));
	if (p->pid == 0) {
		close(a[1]);
		close(b[0]);
		peer_main(a[0], b[1], req, resp);
	}
	close(a[0]);
	close(b[1]);
	p->to = a[1];
	p->from = b[0];
	if (fcntl(p->to, F_SETFL, O_NONBLOCK) < 0 ||
	    fcntl(p->from, F_SETFL, O_NONBLOCK) < 0)
		die("pipe", strerror(errno));
}

static double
time_pingpong(struct peer *p)
{
	uint64_t t0 = bench_now_ns();

	memset(p->buf, 'x', p->req);
	if (xfer_nb(p->to, p->buf, p->req, true) < 0 ||
	    xfer_nb(p->from, p->buf, p->resp, false) < 0)
		die("ping-pong", "the peer went away");
	return bench_ms(t0, bench_now_ns());
}

static void
peer_stop(struct peer *p)
{
	int st;

	close(p->to);
	close(p->from);
	while (waitpid(p->pid, &st, 0) < 0 && errno == EINTR)
		;
	free(p->buf);
}

/* Bytes of one message as a frame on the pipe. */
static size_t
frame_bytes(const struct msg *m)
{
	uint8_t *buf = NULL;
	size_t len = 0;

	if (msg_encode(m, &buf, &len) < 0)
		die("encode", "cannot measure a frame");
	free(buf);
	return len + FRAME_HDR;
}

/* One call through the worker; checks the answer; its duration. */
static double
time_call(struct bench_worker *w, const char *tool, const json_t *input,
	  const char *expect, struct msg *keep)
{
	static unsigned seq;
	char id[40], err[512];
	struct msg r;
	uint64_t t0;
	double ms;

	snprintf(id, sizeof(id), "toolu_bench%08u", seq++);
	t0 = bench_now_ns();
	if (bench_worker_call(w, id, tool, input, &r, err, sizeof(err)) < 0)
		die(tool, err);
	ms = bench_ms(t0, bench_now_ns());
	if (r.u.result.is_error || !strstr(r.u.result.content, expect) ||
	    (!strcmp(tool, "Bash") && r.u.result.exit_code != 0))
		die(tool, r.u.result.content);
	if (keep)
		*keep = r;
	else
		msg_clear(&r);
	return ms;
}

static double
time_bash_direct(char *const envp[])
{
	char *argv[] = { "/bin/bash", "-c", "true", NULL };
	uint64_t t0 = bench_now_ns();
	int st = bench_fork_exec(argv, envp);

	if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		die("bash -c true", "failed");
	return bench_ms(t0, bench_now_ns());
}

static void
write_file(const struct bench_env *e, char *line0)
{
	char text[FILE_LINES * LINE_LEN + 1];

	for (int i = 0; i < FILE_LINES; i++) {
		int n = snprintf(text + i * LINE_LEN, LINE_LEN + 1,
				 "line %02d: the quick brown fox jumps over "
				 "the lazy dog, again.",
				 i + 1);

		memset(text + i * LINE_LEN + n, '.',
		       (size_t)(LINE_LEN - 1 - n));
		text[(i + 1) * LINE_LEN - 1] = '\n';
	}
	snprintf(line0, 32, "%.31s", text);
	if (bench_env_write(e, FILE_NAME, text, FILE_LINES * LINE_LEN) < 0)
		die(FILE_NAME, strerror(errno));
}

static void
add(struct bench_series *s, double v, bool keep)
{
	if (keep && bench_series_add(s, v) < 0)
		die("samples", "out of memory");
}

/* Size the ping-pong like the Read exchange: one call, both frames. */
static void
size_peer(struct bench_worker *w, const json_t *read_in, const char *line0,
	  struct peer *p)
{
	struct msg call = { .type = MSG_S2W_TOOL_CALL }, res;

	call.u.call.id = "toolu_bench00000000";
	call.u.call.tool = "Read";
	call.u.call.input = (json_t *)read_in;
	call.u.call.timeout_ms = 120000;
	time_call(w, "Read", read_in, line0, &res);
	printf("Read exchange: request frame %zu bytes, result frame %zu "
	       "bytes\n",
	       frame_bytes(&call), frame_bytes(&res));
	peer_start(p, frame_bytes(&call), frame_bytes(&res));
	msg_clear(&res);
}

static void
print_results(const struct opts *o, const struct bench_series *rows)
{
	double r = bench_ratio(&rows[R_READ], &rows[R_PIPE]);
	double b = bench_ratio(&rows[R_BASH], &rows[R_BASH_DIRECT]);

	if (o->read)
		bench_table_print(stdout, "Tool round trip: Read", rows, 2,
				  R_PIPE);
	if (o->bash)
		bench_table_print(stdout, "Tool round trip: Bash", rows + 2, 2,
				  0);
	printf("\n");
	if (o->read)
		printf("target: Read at most 3x the ping-pong: %.2fx: %s\n", r,
		       r <= 3 ? "met" : "not met");
	if (o->bash)
		printf("target: Bash true at most 1.2x bash -c true: %.2fx: "
		       "%s\n",
		       b, b <= 1.2 ? "met" : "not met");
}

int
main(int argc, char **argv)
{
	const char *names[R_COUNT] = {
		"pipe ping-pong, same bytes",
		"Read 1 KiB through the worker",
		"bash -c true, fork+exec+wait",
		"Bash true through the worker",
	};
	struct bench_series rows[R_COUNT];
	struct bench_env_cfg cfg;
	struct bench_worker w;
	struct bench_env e;
	struct peer peer;
	struct opts o;
	char err[1024], line0[32], layers[256];
	json_t *read_in, *bash_in;

	parse(argc, argv, &o);
	signal(SIGPIPE, SIG_IGN);
	cfg = (struct bench_env_cfg){ .worker_path = o.worker,
				      .profiles_dir = o.profiles,
				      .profile = "default",
				      .base_dir = o.base };
	if (bench_env_open(&e, &cfg, err, sizeof(err)) < 0)
		die("setup", err);
	write_file(&e, line0);
	if (bench_worker_start(&e, &w, err, sizeof(err)) < 0)
		die("worker", err);
	bench_layers_str(&w.ready, layers, sizeof(layers));
	printf("bench_roundtrip: %zu calls per row (after %zu warm-up "
	       "rounds), interleaved\nworker layers: %s (uid %lld)\n",
	       o.n, o.warmup, layers, (long long)w.ready.uid);
	read_in = json_pack("{s:s}", "file_path", FILE_NAME);
	bash_in = json_pack("{s:s,s:s}", "command", "true", "description",
			    "benchmark");
	size_peer(&w, read_in, line0, &peer);
	for (size_t i = 0; i < R_COUNT; i++)
		bench_series_init(&rows[i], names[i], o.n);
	for (size_t i = 0; i < o.warmup + o.n; i++) {
		bool keep = i >= o.warmup;

		if (o.read) {
			add(&rows[R_PIPE], time_pingpong(&peer), keep);
			add(&rows[R_READ],
			    time_call(&w, "Read", read_in, line0, NULL), keep);
		}
		if (o.bash) {
			add(&rows[R_BASH_DIRECT], time_bash_direct(e.envp),
			    keep);
			add(&rows[R_BASH],
			    time_call(&w, "Bash", bash_in, "", NULL), keep);
		}
	}
	print_results(&o, rows);
	peer_stop(&peer);
	if (bench_worker_stop(&w) != 0)
		die("worker", "did not exit cleanly after SHUTDOWN");
	json_decref(read_in);
	json_decref(bash_in);
	for (size_t i = 0; i < R_COUNT; i++)
		bench_series_free(&rows[i]);
	bench_env_close(&e);
	return 0;
}
