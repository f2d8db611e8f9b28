/*
 * evil_worker.c - a hostile stand-in for gao-dev-worker (attempt #28).
 *
 * Design note
 * -----------
 * The escape suite spawns this binary in place of the worker, through
 * the supervisor's own wconn_start() and the same fd map (fdmap.h), to
 * show that whatever a compromised worker writes on its result pipe, the
 * supervisor kills it, says why, and goes on. EVIL_MODE in the
 * environment picks the misbehaviour:
 *
 *   garbage        a frame whose body is not msgpack
 *   huge           a header announcing 4 GiB, then nothing
 *   empty          a header announcing 0 bytes
 *   deep           READY with a field nested 1000 arrays deep
 *   unknown_type   a map whose "type" is 99
 *   unknown_field  READY with one extra key
 *   trailing       READY followed by a stray byte inside the frame
 *   early_result   TOOL_RESULT before READY
 *   double_ready   READY twice
 *   unsolicited    READY, then TOOL_RESULT with no call in flight
 *   wrong_id       READY, then a TOOL_RESULT for another tool_use id
 *   big_result     READY, then a TOOL_RESULT whose content is 5 MiB
 *   stall_start    half a frame header, then silence
 *   stall_busy     READY, then half of a TOOL_RESULT, then silence
 *   silent         nothing at all
 *   exit           exits at once
 *   log_flood      20 MiB on its log pipe, then behaves
 *   fork_hold      a child (argv[0] $EVIL_TOKEN) keeps the pipes open,
 *                  the parent sends garbage
 *
 * It is never confined (it plays a worker that escaped its confinement)
 * and never built with coverage or sanitizers.
 */
#include <errno.h>
#include <msgpack.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto/fdmap.h"
#include "proto/frame.h"
#include "proto/msg.h"

static void
put(const void *p, size_t n)
{
	if (write(FDMAP_RES, p, n) != (ssize_t)n)
		_exit(3);
}

static void
header(uint32_t len)
{
	uint8_t h[4] = { (uint8_t)(len >> 24), (uint8_t)(len >> 16),
			 (uint8_t)(len >> 8), (uint8_t)len };

	put(h, 4);
}

static void
frame(const void *body, size_t len)
{
	header((uint32_t)len);
	put(body, len);
}

__attribute__((noreturn)) static void
hang(void)
{
	for (;;)
		pause();
}

/* A correct message, encoded by the real codec. */
static void
send_msg(const struct msg *m, size_t extra)
{
	uint8_t *buf = NULL;
	size_t len = 0;

	if (msg_encode(m, &buf, &len) < 0)
		_exit(4);
	header((uint32_t)(len + extra));
	put(buf, len);
	if (extra)
		put("\xc0", 1);
	free(buf);
}

static void
ready(void)
{
	struct msg m = { .type = MSG_W2S_READY };

	m.u.ready = (struct msg_ready){ .version = PROTO_VERSION,
					.pid = getpid(),
					.uid = geteuid() };
	send_msg(&m, 0);
}

static void
result(const char *id, const char *content)
{
	struct msg m = { .type = MSG_W2S_TOOL_RESULT };

	m.u.result = (struct msg_tool_result){ .id = (char *)id,
					       .content = (char *)content,
					       .exit_code = 0 };
	send_msg(&m, 0);
}

/* Read the next frame from the supervisor; the tool_use id of a call. */
static char *
next_call(void)
{
	uint8_t *body = NULL;
	size_t len = 0;
	struct msg m;
	char *id;

	do {
		if (frame_read_blocking(FDMAP_REQ, PROTO_FRAME_MAX, &body,
					&len) < 0)
			_exit(5);
		if (msg_decode(body, len, &m) < 0)
			_exit(6);
		free(body);
		if (m.type != MSG_S2W_TOOL_CALL)
			msg_clear(&m);
	} while (m.type != MSG_S2W_TOOL_CALL);
	id = strdup(m.u.call.id);
	msg_clear(&m);
	return id;
}

/* A READY map with one extra key, or with "pid" nested deep. */
static void
bad_ready(bool deep)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 6 + !deep);
	msgpack_pack_str_with_body(&pk, "type", 4);
	msgpack_pack_uint32(&pk, MSG_W2S_READY);
	msgpack_pack_str_with_body(&pk, "version", 7);
	msgpack_pack_uint32(&pk, PROTO_VERSION);
	msgpack_pack_str_with_body(&pk, "pid", 3);
	for (int i = 0; deep && i < 1000; i++)
		msgpack_pack_array(&pk, 1);
	msgpack_pack_int64(&pk, getpid());
	msgpack_pack_str_with_body(&pk, "uid", 3);
	msgpack_pack_int64(&pk, 0);
	msgpack_pack_str_with_body(&pk, "layers", 6);
	msgpack_pack_uint32(&pk, 0);
	msgpack_pack_str_with_body(&pk, "landlock_abi", 12);
	msgpack_pack_int32(&pk, 0);
	if (!deep) {
		msgpack_pack_str_with_body(&pk, "evil", 4);
		msgpack_pack_true(&pk);
	}
	frame(sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
}

static void
unknown_type(void)
{
	static const uint8_t body[] = { 0x81, 0xa4, 't', 'y', 'p', 'e', 99 };

	frame(body, sizeof(body));
}

static void
log_flood(void)
{
	char line[4096];

	memset(line, 'L', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\n';
	for (int i = 0; i < 5120; i++)
		if (write(FDMAP_LOG, line, sizeof(line)) < 0)
			break;
}

static void
fork_hold(void)
{
	const char *token = getenv("EVIL_TOKEN");
	pid_t pid = fork();

	if (pid == 0) {
		char *argv[] = { (char *)(token ? token : "evil-child"),
				 (char *)"60", NULL };

		execv("/bin/sleep", argv);
		_exit(7);
	}
	usleep(100000);
	frame("\xc1\xc1\xc1", 3);
}

/* Packed by hand: the real codec refuses to encode a field this long. */
static void
big_result(void)
{
	size_t n = 5u << 20;
	char *big = malloc(n), *id = next_call();
	msgpack_sbuffer sb;
	msgpack_packer pk;

	if (!big)
		_exit(8);
	memset(big, 'x', n);
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 8);
	msgpack_pack_str_with_body(&pk, "type", 4);
	msgpack_pack_uint32(&pk, MSG_W2S_TOOL_RESULT);
	msgpack_pack_str_with_body(&pk, "id", 2);
	msgpack_pack_str_with_body(&pk, id, strlen(id));
	msgpack_pack_str_with_body(&pk, "is_error", 8);
	msgpack_pack_false(&pk);
	msgpack_pack_str_with_body(&pk, "content", 7);
	msgpack_pack_str_with_body(&pk, big, n);
	msgpack_pack_str_with_body(&pk, "exit_code", 9);
	msgpack_pack_int64(&pk, 0);
	msgpack_pack_str_with_body(&pk, "duration_ms", 11);
	msgpack_pack_uint64(&pk, 0);
	msgpack_pack_str_with_body(&pk, "bytes", 5);
	msgpack_pack_uint64(&pk, n);
	msgpack_pack_str_with_body(&pk, "truncated", 9);
	msgpack_pack_false(&pk);
	if (!sb.data)
		_exit(8);
	frame(sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
	free(big);
	free(id);
}

static int
run(const char *m)
{
	if (!strcmp(m, "garbage"))
		frame("\xc1\xc1\xc1\xc1\xc1", 5);
	else if (!strcmp(m, "huge"))
		header(0xffffffffu);
	else if (!strcmp(m, "empty"))
		header(0);
	else if (!strcmp(m, "deep"))
		bad_ready(true);
	else if (!strcmp(m, "unknown_type"))
		unknown_type();
	else if (!strcmp(m, "unknown_field"))
		bad_ready(false);
	else if (!strcmp(m, "trailing")) {
		struct msg r = { .type = MSG_W2S_READY };

		r.u.ready.version = PROTO_VERSION;
		send_msg(&r, 1);
	} else if (!strcmp(m, "early_result"))
		result("toolu_early", "early");
	else if (!strcmp(m, "double_ready")) {
		ready();
		ready();
	} else if (!strcmp(m, "unsolicited")) {
		ready();
		usleep(100000);
		result("toolu_none", "unasked");
	} else if (!strcmp(m, "wrong_id")) {
		ready();
		free(next_call());
		result("toolu_wrong", "wrong");
	} else if (!strcmp(m, "big_result")) {
		ready();
		big_result();
	} else if (!strcmp(m, "stall_start"))
		put("\x00\x00", 2);
	else if (!strcmp(m, "stall_busy")) {
		ready();
		free(next_call());
		put("\x00\x00\x00\x20\x85", 5);
	} else if (!strcmp(m, "exit"))
		return 0;
	else if (!strcmp(m, "log_flood")) {
		log_flood();
		ready();
		char *id = next_call();

		result(id, "fine");
		free(id);
	} else if (!strcmp(m, "fork_hold"))
		fork_hold();
	else if (strcmp(m, "silent") != 0)
		return 2;
	hang();
}

int
main(void)
{
	const char *m = getenv("EVIL_MODE");

	return run(m ? m : "");
}
