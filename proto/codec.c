/*
 * codec.c - strict msgpack scanning, JSON conversion and table-driven map
 * decoding. See codec.h for the design note.
 */
#include "proto/codec.h"

#include <stdlib.h>
#include <string.h>

#include "proto/msg.h"

/* Read a big-endian unsigned integer of n bytes (n <= 4). */
static uint32_t
be_read(const uint8_t *p, size_t n)
{
	uint32_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/*
 * Classify the object starting at buf[pos]: header size, payload bytes to
 * skip, and children (array elements, 2x map entries). Returns 0 or a
 * negative msg_err.
 */
static int
scan_head(const uint8_t *buf, size_t len, size_t pos, size_t *hdr,
	  uint64_t *skip, uint64_t *children)
{
	uint8_t b = buf[pos];
	size_t avail = len - pos;
	size_t n = 0; /* width of a length field */

	*hdr = 1;
	*skip = 0;
	*children = 0;
	if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
		return 0;
	if (b >= 0x80 && b <= 0x8f) {
		*children = 2u * (b & 0x0f);
		return 0;
	}
	if (b >= 0x90 && b <= 0x9f) {
		*children = b & 0x0f;
		return 0;
	}
	if (b >= 0xa0 && b <= 0xbf) {
		*skip = b & 0x1f;
		return 0;
	}
	switch (b) {
	case 0xca:
		*skip = 4;
		return 0;
	case 0xcb:
		*skip = 8;
		return 0;
	case 0xcc:
	case 0xd0:
		*skip = 1;
		return 0;
	case 0xcd:
	case 0xd1:
		*skip = 2;
		return 0;
	case 0xce:
	case 0xd2:
		*skip = 4;
		return 0;
	case 0xcf:
	case 0xd3:
		*skip = 8;
		return 0;
	case 0xc4:
	case 0xd9:
		n = 1;
		break;
	case 0xc5:
	case 0xda:
		n = 2;
		break;
	case 0xc6:
	case 0xdb:
		n = 4;
		break;
	case 0xdc:
	case 0xde:
		n = 2;
		break;
	case 0xdd:
	case 0xdf:
		n = 4;
		break;
	default:
		/* 0xc1 is reserved; 0xc7-0xc9 and 0xd4-0xd8 are ext types,
		 * which no message of ours carries. */
		return b == 0xc1 ? MSG_E_MALFORMED : MSG_E_FIELD_TYPE;
	}
	if (avail < 1 + n)
		return MSG_E_MALFORMED;
	*hdr = 1 + n;
	if (b == 0xdc || b == 0xdd)
		*children = be_read(buf + pos + 1, n);
	else if (b == 0xde || b == 0xdf)
		*children = 2ull * be_read(buf + pos + 1, n);
	else
		*skip = be_read(buf + pos + 1, n);
	return 0;
}

int
codec_scan(const uint8_t *buf, size_t len, unsigned max_depth)
{
	uint64_t left[CODEC_MAX_DEPTH + 2]; /* children left per level */
	unsigned depth = 0;
	size_t pos = 0, objects = 0, hdr;
	uint64_t skip, children;
	int rc;

	if (max_depth > CODEC_MAX_DEPTH)
		max_depth = CODEC_MAX_DEPTH;
	left[0] = 1;
	while (depth > 0 || left[0] > 0) {
		if (left[depth] == 0) {
			depth--;
			continue;
		}
		if (pos >= len)
			return MSG_E_MALFORMED;
		if (++objects > CODEC_MAX_OBJECTS)
			return MSG_E_TOO_LARGE;
		rc = scan_head(buf, len, pos, &hdr, &skip, &children);
		if (rc < 0)
			return rc;
		left[depth]--;
		if (skip > len - pos - hdr)
			return MSG_E_MALFORMED;
		pos += hdr + (size_t)skip;
		if (children == 0)
			continue;
		/* every child needs at least one byte */
		if (children > len - pos)
			return MSG_E_TOO_LARGE;
		if (depth + 1 > max_depth)
			return MSG_E_TOO_DEEP;
		left[++depth] = children;
	}
	return pos == len ? 0 : MSG_E_TRAILING;
}

void
codec_pack_str(msgpack_packer *pk, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, s ? s : "", n);
}

static int
pack_object(msgpack_packer *pk, const json_t *v, unsigned depth)
{
	const char *key;
	json_t *val;
	int rc;

	msgpack_pack_map(pk, json_object_size(v));
	json_object_foreach((json_t *)v, key, val) {
		codec_pack_str(pk, key);
		rc = codec_pack_json(pk, val, depth + 1);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int
codec_pack_json(msgpack_packer *pk, const json_t *v, unsigned depth)
{
	size_t i;
	int rc;

	if (depth >= CODEC_MAX_DEPTH)
		return MSG_E_TOO_DEEP;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return pack_object(pk, v, depth);
	case JSON_ARRAY:
		msgpack_pack_array(pk, json_array_size(v));
		for (i = 0; i < json_array_size(v); i++) {
			rc = codec_pack_json(pk, json_array_get(v, i),
					     depth + 1);
			if (rc < 0)
				return rc;
		}
		return 0;
	case JSON_STRING:
		msgpack_pack_str(pk, json_string_length(v));
		msgpack_pack_str_body(pk, json_string_value(v),
				      json_string_length(v));
		return 0;
	case JSON_INTEGER:
		msgpack_pack_int64(pk, json_integer_value(v));
		return 0;
	case JSON_REAL:
		msgpack_pack_double(pk, json_real_value(v));
		return 0;
	case JSON_TRUE:
		msgpack_pack_true(pk);
		return 0;
	case JSON_FALSE:
		msgpack_pack_false(pk);
		return 0;
	case JSON_NULL:
		msgpack_pack_nil(pk);
		return 0;
	}
	return MSG_E_BAD_VALUE;
}

static int
map_to_json(const msgpack_object_map *m, unsigned depth, json_t **out)
{
	json_t *obj = json_object(), *val = NULL;
	char *key;
	int rc = 0;

	if (!obj)
		return MSG_E_NOMEM;
	for (uint32_t i = 0; i < m->size && rc == 0; i++) {
		const msgpack_object *k = &m->ptr[i].key;

		if (k->type != MSGPACK_OBJECT_STR) {
			rc = MSG_E_FIELD_TYPE;
			break;
		}
		if (memchr(k->via.str.ptr, 0, k->via.str.size)) {
			rc = MSG_E_BAD_VALUE;
			break;
		}
		key = strndup(k->via.str.ptr, k->via.str.size);
		if (!key) {
			rc = MSG_E_NOMEM;
			break;
		}
		if (json_object_get(obj, key))
			rc = MSG_E_DUPLICATE;
		if (rc == 0)
			rc = codec_to_json(&m->ptr[i].val, depth + 1, &val);
		if (rc == 0 && json_object_set_new(obj, key, val) < 0)
			rc = MSG_E_BAD_VALUE; /* key not valid UTF-8 */
		free(key);
	}
	if (rc < 0)
		json_decref(obj);
	else
		*out = obj;
	return rc;
}

static int
array_to_json(const msgpack_object_array *a, unsigned depth, json_t **out)
{
	json_t *arr = json_array(), *val;
	int rc = 0;

	if (!arr)
		return MSG_E_NOMEM;
	for (uint32_t i = 0; i < a->size && rc == 0; i++) {
		rc = codec_to_json(&a->ptr[i], depth + 1, &val);
		if (rc == 0 && json_array_append_new(arr, val) < 0)
			rc = MSG_E_NOMEM;
	}
	if (rc < 0)
		json_decref(arr);
	else
		*out = arr;
	return rc;
}

int
codec_to_json(const msgpack_object *o, unsigned depth, json_t **out)
{
	*out = NULL;
	if (depth >= CODEC_MAX_DEPTH)
		return MSG_E_TOO_DEEP;
	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		*out = json_null();
		return 0;
	case MSGPACK_OBJECT_BOOLEAN:
		*out = json_boolean(o->via.boolean);
		return 0;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		if (o->via.u64 > INT64_MAX)
			return MSG_E_BAD_VALUE;
		*out = json_integer((json_int_t)o->via.u64);
		break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		*out = json_integer(o->via.i64);
		break;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		*out = json_real(o->via.f64);
		return *out ? 0 : MSG_E_BAD_VALUE; /* NaN, Inf */
	case MSGPACK_OBJECT_STR:
		if (memchr(o->via.str.ptr, 0, o->via.str.size))
			return MSG_E_BAD_VALUE;
		*out = json_stringn(o->via.str.ptr, o->via.str.size);
		return *out ? 0 : MSG_E_BAD_VALUE; /* invalid UTF-8 */
	case MSGPACK_OBJECT_ARRAY:
		return array_to_json(&o->via.array, depth, out);
	case MSGPACK_OBJECT_MAP:
		return map_to_json(&o->via.map, depth, out);
	default:
		return MSG_E_FIELD_TYPE;
	}
	return *out ? 0 : MSG_E_NOMEM;
}

/* Copy a msgpack string into a new C string, bounded, without NUL. */
static int
dup_str(const msgpack_object *o, size_t max, char **out)
{
	if (o->type != MSGPACK_OBJECT_STR)
		return MSG_E_FIELD_TYPE;
	if (o->via.str.size > max)
		return MSG_E_TOO_LARGE;
	if (memchr(o->via.str.ptr, 0, o->via.str.size))
		return MSG_E_BAD_VALUE;
	*out = strndup(o->via.str.ptr, o->via.str.size);
	return *out ? 0 : MSG_E_NOMEM;
}

static int
get_uint(const msgpack_object *o, uint64_t max, uint64_t *v)
{
	if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return MSG_E_FIELD_TYPE;
	if (o->via.u64 > max)
		return MSG_E_BAD_VALUE;
	*v = o->via.u64;
	return 0;
}

static int
get_int(const msgpack_object *o, int64_t min, int64_t max, int64_t *v)
{
	if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
		if (o->via.u64 > (uint64_t)max)
			return MSG_E_BAD_VALUE;
		*v = (int64_t)o->via.u64;
		return 0;
	}
	if (o->type != MSGPACK_OBJECT_NEGATIVE_INTEGER)
		return MSG_E_FIELD_TYPE;
	if (o->via.i64 < min)
		return MSG_E_BAD_VALUE;
	*v = o->via.i64;
	return 0;
}

static int
decode_strlist(const msgpack_object *o, const struct codec_field *f, void *base)
{
	char ***list = (char ***)((char *)base + f->offset);
	size_t *count = (size_t *)((char *)base + f->count_offset);
	const msgpack_object_array *a;
	int rc;

	if (o->type != MSGPACK_OBJECT_ARRAY)
		return MSG_E_FIELD_TYPE;
	a = &o->via.array;
	if (a->size > f->max)
		return MSG_E_TOO_LARGE;
	*list = calloc(a->size + 1, sizeof(char *));
	if (!*list)
		return MSG_E_NOMEM;
	for (uint32_t i = 0; i < a->size; i++) {
		rc = dup_str(&a->ptr[i], PROTO_PATH_MAX, &(*list)[i]);
		if (rc < 0)
			return rc;
		*count = i + 1;
	}
	return 0;
}

static int
decode_field(const msgpack_object *o, const struct codec_field *f, void *base)
{
	void *dst = (char *)base + f->offset;
	uint64_t u = 0;
	int64_t i = 0;
	int rc;

	switch (f->kind) {
	case CODEC_U32:
		rc = get_uint(o, UINT32_MAX, &u);
		*(uint32_t *)dst = (uint32_t)u;
		return rc;
	case CODEC_U64:
		rc = get_uint(o, UINT64_MAX, &u);
		*(uint64_t *)dst = u;
		return rc;
	case CODEC_I32:
		rc = get_int(o, INT32_MIN, INT32_MAX, &i);
		*(int32_t *)dst = (int32_t)i;
		return rc;
	case CODEC_I64:
		rc = get_int(o, INT64_MIN, INT64_MAX, &i);
		*(int64_t *)dst = i;
		return rc;
	case CODEC_BOOL:
		if (o->type != MSGPACK_OBJECT_BOOLEAN)
			return MSG_E_FIELD_TYPE;
		*(bool *)dst = o->via.boolean;
		return 0;
	case CODEC_STR:
		return dup_str(o, f->max, (char **)dst);
	case CODEC_STRLIST:
		return decode_strlist(o, f, base);
	case CODEC_OBJECT:
		if (o->type != MSGPACK_OBJECT_MAP)
			return MSG_E_FIELD_TYPE;
		return codec_to_json(o, 1, (json_t **)dst);
	case CODEC_MAP:
		return codec_decode_map(o, f->sub, dst, NULL);
	}
	return MSG_E_FIELD_TYPE;
}

static const struct codec_field *
find_field(const struct codec_field *t, const msgpack_object_str *k,
	   size_t *idx)
{
	for (size_t i = 0; t[i].name; i++) {
		if (strlen(t[i].name) == k->size &&
		    memcmp(t[i].name, k->ptr, k->size) == 0) {
			*idx = i;
			return &t[i];
		}
	}
	return NULL;
}

int
codec_decode_map(const msgpack_object *o, const struct codec_field *t,
		 void *base, const char *skip_key)
{
	uint64_t seen = 0; /* tables have fewer than 64 fields */
	const struct codec_field *f;
	size_t idx = 0;
	int rc;

	if (o->type != MSGPACK_OBJECT_MAP)
		return MSG_E_NOT_MAP;
	for (uint32_t i = 0; i < o->via.map.size; i++) {
		const msgpack_object *k = &o->via.map.ptr[i].key;

		if (k->type != MSGPACK_OBJECT_STR)
			return MSG_E_UNKNOWN_FIELD;
		if (skip_key && strlen(skip_key) == k->via.str.size &&
		    memcmp(skip_key, k->via.str.ptr, k->via.str.size) == 0)
			continue;
		f = find_field(t, &k->via.str, &idx);
		if (!f)
			return MSG_E_UNKNOWN_FIELD;
		if (seen & (1ull << idx))
			return MSG_E_DUPLICATE;
		seen |= 1ull << idx;
		rc = decode_field(&o->via.map.ptr[i].val, f, base);
		if (rc < 0)
			return rc;
	}
	for (size_t j = 0; t[j].name; j++) {
		if (t[j].required && !(seen & (1ull << j)))
			return MSG_E_MISSING_FIELD;
	}
	return 0;
}

void
codec_free_fields(const struct codec_field *t, void *base)
{
	for (size_t i = 0; t[i].name; i++) {
		void *dst = (char *)base + t[i].offset;

		if (t[i].kind == CODEC_STR) {
			free(*(char **)dst);
			*(char **)dst = NULL;
		} else if (t[i].kind == CODEC_STRLIST) {
			char **list = *(char ***)dst;
			size_t *n = (size_t *)((char *)base +
					       t[i].count_offset);

			for (size_t j = 0; list && list[j]; j++)
				free(list[j]);
			free(list);
			*(char ***)dst = NULL;
			*n = 0;
		} else if (t[i].kind == CODEC_OBJECT) {
			json_decref(*(json_t **)dst);
			*(json_t **)dst = NULL;
		} else if (t[i].kind == CODEC_MAP) {
			codec_free_fields(t[i].sub, dst);
		}
	}
}
