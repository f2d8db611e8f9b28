/*
 * msg.c - encode and strictly decode the protocol messages of msg.h.
 *
 * Each message is described once, by a field table; the same table drives
 * the decoder (codec_decode_map) and the encoder below, so the two cannot
 * drift apart. The "type" key comes first in every encoded map.
 */
#include "proto/msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "proto/codec.h"

#define F(st, fld) offsetof(struct st, fld)

static const struct codec_field policy_fields[] = {
	{ "name", CODEC_STR, true, PROTO_ID_MAX, F(msg_policy, name), 0, NULL },
	{ "ro_paths", CODEC_STRLIST, true, PROTO_LIST_MAX,
	  F(msg_policy, ro_paths), F(msg_policy, n_ro), NULL },
	{ "rw_paths", CODEC_STRLIST, true, PROTO_LIST_MAX,
	  F(msg_policy, rw_paths), F(msg_policy, n_rw), NULL },
	{ "net_tcp", CODEC_BOOL, true, 0, F(msg_policy, net_tcp), 0, NULL },
	{ "allow_exec", CODEC_BOOL, true, 0, F(msg_policy, allow_exec), 0,
	  NULL },
	{ "allow_unix", CODEC_BOOL, true, 0, F(msg_policy, allow_unix), 0,
	  NULL },
	{ "seccomp_allowlist", CODEC_BOOL, true, 0,
	  F(msg_policy, seccomp_allowlist), 0, NULL },
	{ "cpu_seconds", CODEC_U64, true, 0, F(msg_policy, cpu_seconds), 0,
	  NULL },
	{ "memory_bytes", CODEC_U64, true, 0, F(msg_policy, memory_bytes), 0,
	  NULL },
	{ "file_size_bytes", CODEC_U64, true, 0, F(msg_policy, file_size_bytes),
	  0, NULL },
	{ "open_files", CODEC_U64, true, 0, F(msg_policy, open_files), 0,
	  NULL },
	{ "processes", CODEC_U64, true, 0, F(msg_policy, processes), 0, NULL },
	{ "output_bytes", CODEC_U64, true, 0, F(msg_policy, output_bytes), 0,
	  NULL },
	{ "timeout_default_ms", CODEC_U32, true, 0,
	  F(msg_policy, timeout_default_ms), 0, NULL },
	{ "timeout_max_ms", CODEC_U32, true, 0, F(msg_policy, timeout_max_ms),
	  0, NULL },
	{ "test_disable", CODEC_U32, false, 0, F(msg_policy, test_disable), 0,
	  NULL },
	{ "exec_ro_only", CODEC_BOOL, false, 0, F(msg_policy, exec_ro_only), 0,
	  NULL },
	{ NULL, 0, false, 0, 0, 0, NULL },
};

static const struct codec_field init_fields[] = {
	{ "version", CODEC_U32, true, 0, F(msg_init, version), 0, NULL },
	{ "project_dir", CODEC_STR, true, PROTO_PATH_MAX,
	  F(msg_init, project_dir), 0, NULL },
	{ "agent", CODEC_STR, true, PROTO_NAME_MAX, F(msg_init, agent), 0,
	  NULL },
	{ "tools", CODEC_STRLIST, true, 32, F(msg_init, tools),
	  F(msg_init, n_tools), NULL },
	{ "policy", CODEC_MAP, true, 0, F(msg_init, policy), 0, policy_fields },
	{ NULL, 0, false, 0, 0, 0, NULL },
};

static const struct codec_field ready_fields[] = {
	{ "version", CODEC_U32, true, 0, F(msg_ready, version), 0, NULL },
	{ "pid", CODEC_I64, true, 0, F(msg_ready, pid), 0, NULL },
	{ "uid", CODEC_I64, true, 0, F(msg_ready, uid), 0, NULL },
	{ "layers", CODEC_U32, true, 0, F(msg_ready, layers), 0, NULL },
	{ "landlock_abi", CODEC_I32, true, 0, F(msg_ready, landlock_abi), 0,
	  NULL },
	{ NULL, 0, false, 0, 0, 0, NULL },
};

static const struct codec_field call_fields[] = {
	{ "id", CODEC_STR, true, PROTO_ID_MAX, F(msg_tool_call, id), 0, NULL },
	{ "tool", CODEC_STR, true, 64, F(msg_tool_call, tool), 0, NULL },
	{ "input", CODEC_OBJECT, true, 0, F(msg_tool_call, input), 0, NULL },
	{ "timeout_ms", CODEC_U32, true, 0, F(msg_tool_call, timeout_ms), 0,
	  NULL },
	{ NULL, 0, false, 0, 0, 0, NULL },
};

static const struct codec_field result_fields[] = {
	{ "id", CODEC_STR, true, PROTO_ID_MAX, F(msg_tool_result, id), 0,
	  NULL },
	{ "is_error", CODEC_BOOL, true, 0, F(msg_tool_result, is_error), 0,
	  NULL },
	{ "content", CODEC_STR, true, PROTO_STR_MAX,
	  F(msg_tool_result, content), 0, NULL },
	{ "exit_code", CODEC_I64, true, 0, F(msg_tool_result, exit_code), 0,
	  NULL },
	{ "duration_ms", CODEC_U64, true, 0, F(msg_tool_result, duration_ms), 0,
	  NULL },
	{ "bytes", CODEC_U64, true, 0, F(msg_tool_result, bytes), 0, NULL },
	{ "truncated", CODEC_BOOL, true, 0, F(msg_tool_result, truncated), 0,
	  NULL },
	{ NULL, 0, false, 0, 0, 0, NULL },
};

static const struct codec_field shutdown_fields[] = {
	{ NULL, 0, false, 0, 0, 0, NULL },
};

static const struct codec_field *
table_for(int type)
{
	switch (type) {
	case MSG_S2W_INIT:
		return init_fields;
	case MSG_W2S_READY:
		return ready_fields;
	case MSG_S2W_TOOL_CALL:
		return call_fields;
	case MSG_W2S_TOOL_RESULT:
		return result_fields;
	case MSG_S2W_SHUTDOWN:
		return shutdown_fields;
	default:
		return NULL;
	}
}

const char *
msg_type_name(int type)
{
	switch (type) {
	case MSG_S2W_INIT:
		return "INIT";
	case MSG_W2S_READY:
		return "READY";
	case MSG_S2W_TOOL_CALL:
		return "TOOL_CALL";
	case MSG_W2S_TOOL_RESULT:
		return "TOOL_RESULT";
	case MSG_S2W_SHUTDOWN:
		return "SHUTDOWN";
	default:
		return "UNKNOWN";
	}
}

const char *
msg_strerror(int err)
{
	static const char *const text[] = {
		"ok",
		"malformed msgpack",
		"trailing bytes after the message",
		"message is not a map",
		"unknown or missing message type",
		"unknown field",
		"missing field",
		"field has the wrong type",
		"field or message too large",
		"nesting too deep",
		"duplicate field",
		"invalid field value",
		"out of memory",
	};

	if (err > 0 || -err >= (int)(sizeof(text) / sizeof(text[0])))
		return "unknown error";
	return text[-err];
}

static int
count_fields(const struct codec_field *t)
{
	int n = 0;

	while (t[n].name)
		n++;
	return n;
}

static int pack_fields(msgpack_packer *pk, const struct codec_field *t,
		       const void *base);

/* A string field longer than its decoder's limit (NULL packs as ""). */
static bool
too_long(const char *s, size_t max)
{
	return s && strnlen(s, max + 1) > max;
}

static int
pack_field(msgpack_packer *pk, const struct codec_field *f, const void *base)
{
	const void *src = (const char *)base + f->offset;

	switch (f->kind) {
	case CODEC_U32:
		msgpack_pack_uint32(pk, *(const uint32_t *)src);
		break;
	case CODEC_U64:
		msgpack_pack_uint64(pk, *(const uint64_t *)src);
		break;
	case CODEC_I32:
		msgpack_pack_int32(pk, *(const int32_t *)src);
		break;
	case CODEC_I64:
		msgpack_pack_int64(pk, *(const int64_t *)src);
		break;
	case CODEC_BOOL:
		if (*(const bool *)src)
			msgpack_pack_true(pk);
		else
			msgpack_pack_false(pk);
		break;
	case CODEC_STR:
		/* what the other side's decoder would refuse is not sent */
		if (too_long(*(char *const *)src, f->max))
			return MSG_E_TOO_LARGE;
		codec_pack_str(pk, *(char *const *)src);
		break;
	case CODEC_STRLIST: {
		char *const *list = *(char **const *)src;
		size_t n = *(const size_t *)((const char *)base +
					     f->count_offset);

		if (n > f->max)
			return MSG_E_TOO_LARGE;
		for (size_t i = 0; i < n; i++)
			if (too_long(list[i], PROTO_PATH_MAX))
				return MSG_E_TOO_LARGE;
		msgpack_pack_array(pk, n);
		for (size_t i = 0; i < n; i++)
			codec_pack_str(pk, list[i]);
		break;
	}
	case CODEC_OBJECT: {
		const json_t *o = *(json_t *const *)src;

		if (!json_is_object(o))
			return MSG_E_BAD_VALUE;
		return codec_pack_json(pk, o, 1);
	}
	case CODEC_MAP:
		return pack_fields(pk, f->sub, src);
	}
	return 0;
}

static int
pack_fields(msgpack_packer *pk, const struct codec_field *t, const void *base)
{
	int rc;

	msgpack_pack_map(pk, (size_t)count_fields(t));
	for (int i = 0; t[i].name; i++) {
		codec_pack_str(pk, t[i].name);
		rc = pack_field(pk, &t[i], base);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int
msg_encode(const struct msg *m, uint8_t **out, size_t *out_len)
{
	const struct codec_field *t = table_for(m->type);
	msgpack_sbuffer sb;
	msgpack_packer pk;
	int rc;

	if (!t)
		return MSG_E_UNKNOWN_TYPE;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, (size_t)count_fields(t) + 1);
	codec_pack_str(&pk, "type");
	msgpack_pack_uint32(&pk, (uint32_t)m->type);
	for (int i = 0; t[i].name; i++) {
		codec_pack_str(&pk, t[i].name);
		rc = pack_field(&pk, &t[i], &m->u);
		if (rc < 0)
			goto fail;
	}
	if (!sb.data) {
		rc = MSG_E_NOMEM;
		goto fail;
	}
	if (sb.size > PROTO_FRAME_MAX) {
		rc = MSG_E_TOO_LARGE;
		goto fail;
	}
	*out = (uint8_t *)sb.data;
	*out_len = sb.size;
	return 0;
fail:
	msgpack_sbuffer_destroy(&sb);
	return rc;
}

/* Find the message type: the "type" key of the top-level map. */
static int
find_type(const msgpack_object *o)
{
	const msgpack_object_map *m = &o->via.map;
	int type = MSG_E_UNKNOWN_TYPE;

	for (uint32_t i = 0; i < m->size; i++) {
		const msgpack_object *k = &m->ptr[i].key;
		const msgpack_object *v = &m->ptr[i].val;

		if (k->type != MSGPACK_OBJECT_STR || k->via.str.size != 4 ||
		    memcmp(k->via.str.ptr, "type", 4) != 0)
			continue;
		if (type != MSG_E_UNKNOWN_TYPE)
			return MSG_E_DUPLICATE;
		if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
			return MSG_E_UNKNOWN_TYPE;
		if (!table_for((int)(v->via.u64 & 0xff)) || v->via.u64 > 0xff)
			return MSG_E_UNKNOWN_TYPE;
		type = (int)v->via.u64;
	}
	return type;
}

int
msg_decode(const uint8_t *buf, size_t len, struct msg *m)
{
	msgpack_unpacked up;
	size_t off = 0;
	int rc, type;

	memset(m, 0, sizeof(*m));
	if (len > PROTO_FRAME_MAX)
		return MSG_E_TOO_LARGE;
	rc = codec_scan(buf, len, CODEC_MAX_DEPTH);
	if (rc < 0)
		return rc;
	msgpack_unpacked_init(&up);
	if (msgpack_unpack_next(&up, (const char *)buf, len, &off) !=
	    MSGPACK_UNPACK_SUCCESS) {
		rc = MSG_E_MALFORMED;
		goto out;
	}
	if (off != len) {
		rc = MSG_E_TRAILING;
		goto out;
	}
	if (up.data.type != MSGPACK_OBJECT_MAP) {
		rc = MSG_E_NOT_MAP;
		goto out;
	}
	type = find_type(&up.data);
	if (type < 0) {
		rc = type;
		goto out;
	}
	m->type = (enum msg_type)type;
	rc = codec_decode_map(&up.data, table_for(type), &m->u, "type");
	if (rc < 0)
		msg_clear(m);
out:
	msgpack_unpacked_destroy(&up);
	return rc;
}

void
msg_policy_clear(struct msg_policy *p)
{
	codec_free_fields(policy_fields, p);
	memset(p, 0, sizeof(*p));
}

void
msg_clear(struct msg *m)
{
	const struct codec_field *t = table_for(m->type);

	if (t)
		codec_free_fields(t, &m->u);
	memset(m, 0, sizeof(*m));
}

void
msg_layers_text(uint32_t layers, int abi, char *buf, size_t cap)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} n[] = {
		{ MSG_LAYER_SECCOMP, "seccomp" },
		{ MSG_LAYER_NO_NEW_PRIVS, "no_new_privs" },
		{ MSG_LAYER_RLIMITS, "rlimits" },
		{ MSG_LAYER_NS_USER, "userns" },
		{ MSG_LAYER_NS_PID, "pidns" },
		{ MSG_LAYER_NS_NET, "netns" },
		{ MSG_LAYER_NS_MOUNT, "mntns" },
		{ MSG_LAYER_NS_IPC, "ipcns" },
		{ MSG_LAYER_NS_UTS, "utsns" },
		{ MSG_LAYER_UNPRIVILEGED_UID, "unprivileged-uid" },
		{ MSG_LAYER_MIN_ROOT, "minimal-root" },
		{ MSG_LAYER_CGROUP, "cgroup" },
	};
	size_t o = 0;
	int k;

	if (cap == 0)
		return;
	buf[0] = 0;
	if (layers & MSG_LAYER_LANDLOCK) {
		k = snprintf(buf, cap, "landlock-abi%d", abi);
		o = k > 0 ? (size_t)k : 0;
	}
	for (size_t i = 0; i < sizeof(n) / sizeof(*n) && o < cap; i++) {
		if (!(layers & n[i].bit))
			continue;
		k = snprintf(buf + o, cap - o, "%s%s", o ? "," : "", n[i].name);
		o += k > 0 ? (size_t)k : 0;
	}
	if (!buf[0])
		snprintf(buf, cap, "none");
}
