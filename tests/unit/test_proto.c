/*
 * test_proto.c - frames and the strict message codec.
 *
 * Every decoder rejection has its own test with a hand-built body, so a
 * regression in one check cannot hide behind another.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <msgpack.h>

#include "proto/codec.h"
#include "proto/frame.h"
#include "proto/msg.h"

/* Encode a message, decode it again, return the decoded copy. */
static void
roundtrip(const struct msg *in, struct msg *out)
{
	uint8_t *buf = NULL;
	size_t len = 0;

	cr_assert_eq(msg_encode(in, &buf, &len), 0);
	cr_assert_eq(msg_decode(buf, len, out), 0);
	free(buf);
}

Test(msg, tool_call_roundtrip)
{
	struct msg m = { .type = MSG_S2W_TOOL_CALL }, d;
	json_error_t je;

	m.u.call.id = "toolu_01";
	m.u.call.tool = "Write";
	m.u.call.input = json_loads("{\"file_path\":\"a.py\",\"content\":"
				    "\"x\\u00e9\",\"n\":[1,-2,3.5,true,null]}",
				    0, &je);
	m.u.call.timeout_ms = 1234;
	roundtrip(&m, &d);
	cr_assert_eq(d.type, MSG_S2W_TOOL_CALL);
	cr_assert_str_eq(d.u.call.id, "toolu_01");
	cr_assert_str_eq(d.u.call.tool, "Write");
	cr_assert_eq(d.u.call.timeout_ms, 1234);
	cr_assert(json_equal(d.u.call.input, m.u.call.input));
	json_decref(m.u.call.input);
	msg_clear(&d);
	cr_assert_null(d.u.call.id);
}

Test(msg, init_roundtrip_with_policy)
{
	char *ro[] = { "/usr", "/etc" };
	char *rw[] = { "/tmp/x" };
	char *tools[] = { "Read", "Bash" };
	struct msg m = { .type = MSG_S2W_INIT }, d;

	m.u.init.version = PROTO_VERSION;
	m.u.init.project_dir = "/p";
	m.u.init.agent = "Amelia";
	m.u.init.tools = tools;
	m.u.init.n_tools = 2;
	m.u.init.policy.name = "default";
	m.u.init.policy.ro_paths = ro;
	m.u.init.policy.n_ro = 2;
	m.u.init.policy.rw_paths = rw;
	m.u.init.policy.n_rw = 1;
	m.u.init.policy.allow_exec = true;
	m.u.init.policy.exec_ro_only = true;
	m.u.init.policy.memory_bytes = 1ull << 33;
	m.u.init.policy.timeout_max_ms = 600000;
	roundtrip(&m, &d);
	cr_assert_eq(d.u.init.n_tools, 2);
	cr_assert_str_eq(d.u.init.tools[1], "Bash");
	cr_assert_eq(d.u.init.policy.n_ro, 2);
	cr_assert_str_eq(d.u.init.policy.ro_paths[1], "/etc");
	cr_assert_str_eq(d.u.init.policy.rw_paths[0], "/tmp/x");
	cr_assert(d.u.init.policy.allow_exec);
	cr_assert(d.u.init.policy.exec_ro_only);
	cr_assert_eq(d.u.init.policy.memory_bytes, 1ull << 33);
	cr_assert_eq(d.u.init.policy.timeout_max_ms, 600000);
	msg_clear(&d);
}

/* What the decoder would refuse is refused when encoding, not sent. */
Test(msg, encode_refuses_what_decode_would)
{
	char name[PROTO_NAME_MAX + 2], path[PROTO_PATH_MAX + 2];
	char *tools[] = { "Read" }, *ro[] = { path };
	struct msg m = { .type = MSG_S2W_INIT }, d;
	uint8_t *buf = NULL;
	size_t len = 0;

	memset(name, 'N', sizeof(name) - 1);
	name[PROTO_NAME_MAX] = 0;
	m.u.init.version = PROTO_VERSION;
	m.u.init.project_dir = "/p";
	m.u.init.agent = name;
	m.u.init.tools = tools;
	m.u.init.n_tools = 1;
	m.u.init.policy.name = "default";
	roundtrip(&m, &d); /* a name of PROTO_NAME_MAX bytes goes through */
	cr_assert_eq(strlen(d.u.init.agent), PROTO_NAME_MAX);
	msg_clear(&d);
	name[PROTO_NAME_MAX] = 'N';
	name[PROTO_NAME_MAX + 1] = 0;
	cr_assert_eq(msg_encode(&m, &buf, &len), MSG_E_TOO_LARGE);
	cr_assert_null(buf);
	name[PROTO_NAME_MAX] = 0;
	/* a list entry (read only paths: at most PROTO_PATH_MAX bytes) */
	memset(path, '/', sizeof(path) - 1);
	path[PROTO_PATH_MAX + 1] = 0;
	m.u.init.policy.ro_paths = ro;
	m.u.init.policy.n_ro = 1;
	cr_assert_eq(msg_encode(&m, &buf, &len), MSG_E_TOO_LARGE);
	path[PROTO_PATH_MAX] = 0;
	cr_assert_eq(msg_encode(&m, &buf, &len), 0);
	free(buf);
}

Test(msg, result_and_ready_roundtrip)
{
	struct msg m = { .type = MSG_W2S_TOOL_RESULT }, d;

	m.u.result.id = "t1";
	m.u.result.is_error = true;
	m.u.result.content = "boom";
	m.u.result.exit_code = -1;
	m.u.result.bytes = 4;
	m.u.result.truncated = true;
	roundtrip(&m, &d);
	cr_assert(d.u.result.is_error && d.u.result.truncated);
	cr_assert_eq(d.u.result.exit_code, -1);
	cr_assert_str_eq(d.u.result.content, "boom");
	msg_clear(&d);

	memset(&m, 0, sizeof(m));
	m.type = MSG_W2S_READY;
	m.u.ready.pid = 42;
	m.u.ready.layers = MSG_LAYER_SECCOMP | MSG_LAYER_LANDLOCK;
	m.u.ready.landlock_abi = 7;
	roundtrip(&m, &d);
	cr_assert_eq(d.u.ready.pid, 42);
	cr_assert_eq(d.u.ready.landlock_abi, 7);
	cr_assert_eq(d.u.ready.layers, MSG_LAYER_SECCOMP | MSG_LAYER_LANDLOCK);
	msg_clear(&d);
}

Test(msg, shutdown_has_no_fields)
{
	struct msg m = { .type = MSG_S2W_SHUTDOWN }, d;

	roundtrip(&m, &d);
	cr_assert_eq(d.type, MSG_S2W_SHUTDOWN);
}

/* Helpers to build hostile bodies by hand. */
struct body {
	msgpack_sbuffer sb;
	msgpack_packer pk;
};

static void
body_init(struct body *b)
{
	msgpack_sbuffer_init(&b->sb);
	msgpack_packer_init(&b->pk, &b->sb, msgpack_sbuffer_write);
}

static int
body_decode(struct body *b)
{
	struct msg m;
	int rc = msg_decode((const uint8_t *)b->sb.data, b->sb.size, &m);

	if (rc == 0)
		msg_clear(&m);
	msgpack_sbuffer_destroy(&b->sb);
	return rc;
}

static void
kv_str(struct body *b, const char *k, const char *v)
{
	codec_pack_str(&b->pk, k);
	codec_pack_str(&b->pk, v);
}

/* A valid READY minus the fields a test wants to vary. */
static void
ready_fields(struct body *b, int skip_layers)
{
	codec_pack_str(&b->pk, "type");
	msgpack_pack_uint32(&b->pk, MSG_W2S_READY);
	codec_pack_str(&b->pk, "version");
	msgpack_pack_uint32(&b->pk, 1);
	codec_pack_str(&b->pk, "pid");
	msgpack_pack_int64(&b->pk, 7);
	codec_pack_str(&b->pk, "uid");
	msgpack_pack_int64(&b->pk, 0);
	codec_pack_str(&b->pk, "landlock_abi");
	msgpack_pack_int32(&b->pk, 0);
	if (!skip_layers) {
		codec_pack_str(&b->pk, "layers");
		msgpack_pack_uint32(&b->pk, 0);
	}
}

Test(decode, valid_hand_built_ready)
{
	struct body b;

	body_init(&b);
	msgpack_pack_map(&b.pk, 6);
	ready_fields(&b, 0);
	cr_assert_eq(body_decode(&b), 0);
}

Test(decode, unknown_type)
{
	struct body b;

	body_init(&b);
	msgpack_pack_map(&b.pk, 1);
	codec_pack_str(&b.pk, "type");
	msgpack_pack_uint32(&b.pk, 99);
	cr_assert_eq(body_decode(&b), MSG_E_UNKNOWN_TYPE);

	body_init(&b);
	msgpack_pack_map(&b.pk, 1);
	kv_str(&b, "type", "READY");
	cr_assert_eq(body_decode(&b), MSG_E_UNKNOWN_TYPE);
}

Test(decode, unknown_field)
{
	struct body b;

	body_init(&b);
	msgpack_pack_map(&b.pk, 7);
	ready_fields(&b, 0);
	kv_str(&b, "extra", "x");
	cr_assert_eq(body_decode(&b), MSG_E_UNKNOWN_FIELD);
}

Test(decode, missing_field)
{
	struct body b;

	body_init(&b);
	msgpack_pack_map(&b.pk, 5);
	ready_fields(&b, 1);
	cr_assert_eq(body_decode(&b), MSG_E_MISSING_FIELD);
}

Test(decode, wrong_field_type)
{
	struct body b;

	body_init(&b);
	msgpack_pack_map(&b.pk, 6);
	ready_fields(&b, 1);
	kv_str(&b, "layers", "all");
	cr_assert_eq(body_decode(&b), MSG_E_FIELD_TYPE);
}

Test(decode, duplicate_field)
{
	struct body b;

	body_init(&b);
	msgpack_pack_map(&b.pk, 7);
	ready_fields(&b, 0);
	codec_pack_str(&b.pk, "pid");
	msgpack_pack_int64(&b.pk, 8);
	cr_assert_eq(body_decode(&b), MSG_E_DUPLICATE);
}

Test(decode, oversized_string)
{
	struct body b;
	char big[PROTO_ID_MAX + 2];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	body_init(&b);
	msgpack_pack_map(&b.pk, 8);
	codec_pack_str(&b.pk, "type");
	msgpack_pack_uint32(&b.pk, MSG_W2S_TOOL_RESULT);
	kv_str(&b, "id", big);
	codec_pack_str(&b.pk, "is_error");
	msgpack_pack_false(&b.pk);
	kv_str(&b, "content", "");
	codec_pack_str(&b.pk, "exit_code");
	msgpack_pack_int64(&b.pk, 0);
	codec_pack_str(&b.pk, "duration_ms");
	msgpack_pack_uint64(&b.pk, 0);
	codec_pack_str(&b.pk, "bytes");
	msgpack_pack_uint64(&b.pk, 0);
	codec_pack_str(&b.pk, "truncated");
	msgpack_pack_false(&b.pk);
	cr_assert_eq(body_decode(&b), MSG_E_TOO_LARGE);
}

Test(decode, nul_in_string_rejected)
{
	struct body b;

	body_init(&b);
	msgpack_pack_map(&b.pk, 5);
	codec_pack_str(&b.pk, "type");
	msgpack_pack_uint32(&b.pk, MSG_S2W_TOOL_CALL);
	codec_pack_str(&b.pk, "id");
	msgpack_pack_str(&b.pk, 3);
	msgpack_pack_str_body(&b.pk, "a\0b", 3);
	kv_str(&b, "tool", "Read");
	codec_pack_str(&b.pk, "input");
	msgpack_pack_map(&b.pk, 0);
	codec_pack_str(&b.pk, "timeout_ms");
	msgpack_pack_uint32(&b.pk, 1);
	cr_assert_eq(body_decode(&b), MSG_E_BAD_VALUE);
}

Test(decode, too_deep)
{
	struct body b;

	body_init(&b);
	msgpack_pack_map(&b.pk, 5);
	codec_pack_str(&b.pk, "type");
	msgpack_pack_uint32(&b.pk, MSG_S2W_TOOL_CALL);
	kv_str(&b, "id", "t");
	kv_str(&b, "tool", "Read");
	codec_pack_str(&b.pk, "timeout_ms");
	msgpack_pack_uint32(&b.pk, 1);
	codec_pack_str(&b.pk, "input");
	for (int i = 0; i < CODEC_MAX_DEPTH + 2; i++)
		msgpack_pack_array(&b.pk, 1);
	msgpack_pack_nil(&b.pk);
	cr_assert_eq(body_decode(&b), MSG_E_TOO_DEEP);
}

Test(decode, trailing_bytes)
{
	struct body b;

	body_init(&b);
	msgpack_pack_map(&b.pk, 6);
	ready_fields(&b, 0);
	msgpack_pack_nil(&b.pk);
	cr_assert_eq(body_decode(&b), MSG_E_TRAILING);
}

Test(decode, not_a_map)
{
	struct body b;

	body_init(&b);
	msgpack_pack_array(&b.pk, 0);
	cr_assert_eq(body_decode(&b), MSG_E_NOT_MAP);
}

Test(decode, truncated_and_reserved)
{
	const uint8_t trunc[] = { 0x81, 0xa4, 't', 'y' };
	const uint8_t reserved[] = { 0xc1 };
	const uint8_t ext[] = { 0xd4, 0x01, 0x00 };
	struct msg m;

	cr_assert_eq(msg_decode(trunc, sizeof(trunc), &m), MSG_E_MALFORMED);
	cr_assert_eq(msg_decode(reserved, 1, &m), MSG_E_MALFORMED);
	cr_assert_eq(msg_decode(ext, sizeof(ext), &m), MSG_E_FIELD_TYPE);
}

Test(decode, huge_announced_count_is_rejected_before_allocation)
{
	/* array32 of 0xffffffff elements in a 5-byte body */
	const uint8_t arr[] = { 0xdd, 0xff, 0xff, 0xff, 0xff };
	const uint8_t map[] = { 0xdf, 0x7f, 0xff, 0xff, 0xff, 0xc0 };
	struct msg m;

	cr_assert_eq(msg_decode(arr, sizeof(arr), &m), MSG_E_TOO_LARGE);
	cr_assert_eq(msg_decode(map, sizeof(map), &m), MSG_E_TOO_LARGE);
}

Test(decode, invalid_utf8_in_tool_input)
{
	struct body b;

	body_init(&b);
	msgpack_pack_map(&b.pk, 5);
	codec_pack_str(&b.pk, "type");
	msgpack_pack_uint32(&b.pk, MSG_S2W_TOOL_CALL);
	kv_str(&b, "id", "t");
	kv_str(&b, "tool", "Read");
	codec_pack_str(&b.pk, "timeout_ms");
	msgpack_pack_uint32(&b.pk, 1);
	codec_pack_str(&b.pk, "input");
	msgpack_pack_map(&b.pk, 1);
	codec_pack_str(&b.pk, "file_path");
	msgpack_pack_str(&b.pk, 2);
	msgpack_pack_str_body(&b.pk, "\xff\xfe", 2);
	cr_assert_eq(body_decode(&b), MSG_E_BAD_VALUE);
}

Test(decode, strerror_is_distinct)
{
	for (int a = MSG_E_NOMEM; a < 0; a++)
		for (int c = a + 1; c < 0; c++)
			cr_assert_str_neq(msg_strerror(a), msg_strerror(c));
}

/* Frames over a real pipe. */
Test(frame, roundtrip_over_pipe_nonblocking)
{
	int p[2];
	struct frame_reader r;
	uint8_t *body = NULL;
	size_t len = 0;

	cr_assert_eq(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	frame_reader_init(&r, 64);
	cr_assert_eq(frame_reader_read(&r, p[0], &body, &len), 0);
	/* a header split across two writes */
	cr_assert_eq(write(p[1], "\0\0", 2), 2);
	cr_assert_eq(frame_reader_read(&r, p[0], &body, &len), 0);
	cr_assert_eq(write(p[1], "\0\3ab", 4), 4);
	cr_assert_eq(frame_reader_read(&r, p[0], &body, &len), 0);
	cr_assert_eq(write(p[1], "c", 1), 1);
	cr_assert_eq(frame_reader_read(&r, p[0], &body, &len), 1);
	cr_assert_eq(len, 3);
	cr_assert_eq(memcmp(body, "abc", 3), 0);
	free(body);
	close(p[1]);
	cr_assert_eq(frame_reader_read(&r, p[0], &body, &len), FRAME_E_EOF);
	close(p[0]);
	frame_reader_clear(&r);
}

Test(frame, too_large_empty_truncated)
{
	int p[2];
	uint8_t *body;
	size_t len;

	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	cr_assert_eq(write(p[1], "\x00\x01\x00\x00", 4), 4);
	cr_assert_eq(frame_read_blocking(p[0], 1024, &body, &len),
		     FRAME_E_TOO_LARGE);
	cr_assert_eq(write(p[1], "\0\0\0\0", 4), 4);
	cr_assert_eq(frame_read_blocking(p[0], 1024, &body, &len),
		     FRAME_E_EMPTY);
	cr_assert_eq(write(p[1], "\0\0\0\5ab", 6), 6);
	close(p[1]);
	cr_assert_eq(frame_read_blocking(p[0], 1024, &body, &len),
		     FRAME_E_TRUNCATED);
	close(p[0]);
	cr_assert_str_neq(frame_strerror(FRAME_E_EMPTY),
			  frame_strerror(FRAME_E_EOF));
}

Test(frame, writer_queues_when_pipe_full)
{
	int p[2];
	struct frame_writer w = { 0 };
	size_t big = 256 * 1024, len;
	uint8_t *data = calloc(1, big), *body;
	int rc;

	cr_assert_eq(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	cr_assert_eq(frame_writer_push(&w, data, big), 0);
	cr_assert_eq(frame_writer_flush(&w, p[1]), 0); /* pipe is full */
	cr_assert(frame_writer_pending(&w));
	struct frame_reader r;

	frame_reader_init(&r, big);
	do {
		rc = frame_reader_read(&r, p[0], &body, &len);
		if (rc == 0)
			cr_assert_geq(frame_writer_flush(&w, p[1]), 0);
	} while (rc == 0);
	cr_assert_eq(rc, 1);
	cr_assert_eq(len, big);
	free(body);
	free(data);
	frame_writer_clear(&w);
	frame_reader_clear(&r);
	close(p[0]);
	close(p[1]);
	cr_assert_eq(frame_writer_flush(&w, p[1]), 1);
}

Test(frame, write_to_closed_reader_is_epipe)
{
	int p[2];

	signal(SIGPIPE, SIG_IGN);
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	close(p[0]);
	cr_assert_eq(frame_write_blocking(p[1], (const uint8_t *)"x", 1),
		     -EPIPE);
	close(p[1]);
}
