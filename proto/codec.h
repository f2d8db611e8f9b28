/*
 * codec.h - strict msgpack helpers under the message layer (msg.c).
 *
 * Design note
 * -----------
 * msgpack-c trusts the counts a buffer announces: an 8-byte frame can
 * declare an array of four billion elements and make the unpacker allocate
 * for them. codec_scan() therefore walks the raw bytes first, with an
 * explicit stack, and rejects any container that announces more elements
 * than bytes remain, nesting deeper than allowed, reserved or extension
 * types, and anything after the first object. Only a buffer that passed the
 * scan is handed to msgpack_unpack_next().
 *
 * The field table (struct codec_field) describes one message: each key,
 * its kind, whether it is required, its bound, and where the value goes.
 * codec_decode_map() applies a table to a map object: unknown keys,
 * duplicates, missing required keys and wrong kinds are distinct errors.
 */
#ifndef GAO_PROTO_CODEC_H
#define GAO_PROTO_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <msgpack.h>

#define CODEC_MAX_OBJECTS 65536 /* objects in one body */

/*
 * codec_scan - validate the structure of one msgpack object in buf[0..len).
 * Returns 0 when exactly one well-formed object fills the buffer, else a
 * negative enum msg_err (MSG_E_MALFORMED, MSG_E_TRAILING, MSG_E_TOO_DEEP,
 * MSG_E_TOO_LARGE, MSG_E_FIELD_TYPE for ext types).
 */
int codec_scan(const uint8_t *buf, size_t len, unsigned max_depth);

/* Pack a JSON value as msgpack. 0 or a negative msg_err. */
int codec_pack_json(msgpack_packer *pk, const json_t *v, unsigned depth);

/*
 * Convert a msgpack object to a new JSON value (caller owns the reference).
 * Strings must be valid UTF-8 without NUL; map keys must be strings.
 * Returns 0 or a negative msg_err, with *out NULL.
 */
int codec_to_json(const msgpack_object *o, unsigned depth, json_t **out);

/* Pack a NUL-terminated string (NULL packs as an empty string). */
void codec_pack_str(msgpack_packer *pk, const char *s);

enum codec_kind {
	CODEC_U32,
	CODEC_I32,
	CODEC_U64,
	CODEC_I64,
	CODEC_BOOL,
	CODEC_STR,     /* char *, malloc'ed, bounded by max */
	CODEC_STRLIST, /* char **, count in the following size_t */
	CODEC_OBJECT,  /* json_t * holding a JSON object */
	CODEC_MAP,     /* nested table, see sub */
};

struct codec_field {
	const char *name;
	enum codec_kind kind;
	bool required;
	size_t max;                    /* bytes (STR), entries (STRLIST) */
	size_t offset;                 /* of the value in the struct */
	size_t count_offset;           /* STRLIST: of the size_t count */
	const struct codec_field *sub; /* MAP: fields, NULL-name terminated */
};

/*
 * codec_decode_map - fill the struct at base from map object o, strictly.
 * skip_key, when not NULL, names one key (the message "type") that is
 * accepted and ignored. Returns 0 or a negative msg_err; on error the
 * caller frees what was filled (all members start zeroed).
 */
int codec_decode_map(const msgpack_object *o, const struct codec_field *t,
		     void *base, const char *skip_key);

/* Free what codec_decode_map allocated in base for table t. */
void codec_free_fields(const struct codec_field *t, void *base);

#endif
