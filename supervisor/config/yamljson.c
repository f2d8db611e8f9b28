/*
 * yamljson.c - YAML to JSON with positions; see yamljson.h.
 *
 * A recursive descent over libyaml's event stream: one function per node
 * kind, the path of the current node built in a fixed buffer.
 */
#include "supervisor/config/yamljson.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <yaml.h>

#include "common/io.h"

#define YJ_MAX_DEPTH 64
#define YJ_MAX_BYTES (4u << 20)
#define YJ_PATH_MAX 512

struct yj {
	yaml_parser_t parser;
	const char *name;
	json_t *marks;
	char path[YJ_PATH_MAX];
	char *err;
	size_t errlen;
};

static int parse_node(struct yj *y, yaml_event_t *ev, int depth, json_t **out);

static int
fail(struct yj *y, const yaml_mark_t *m, const char *msg)
{
	snprintf(y->err, y->errlen, "%s:%zu:%zu: %s", y->name, m->line + 1,
		 m->column + 1, msg);
	return -1;
}

static int
next(struct yj *y, yaml_event_t *ev)
{
	if (yaml_parser_parse(&y->parser, ev))
		return 0;
	snprintf(y->err, y->errlen, "%s:%zu:%zu: %s", y->name,
		 y->parser.problem_mark.line + 1,
		 y->parser.problem_mark.column + 1,
		 y->parser.problem ? y->parser.problem : "invalid YAML");
	return -1;
}

static void
mark(struct yj *y, const yaml_mark_t *m)
{
	json_object_set_new(y->marks, y->path,
			    json_pack("[I,I]", (json_int_t)m->line + 1,
				      (json_int_t)m->column + 1));
}

static bool
is_one_of(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcasecmp(s, *list) == 0)
			return true;
	return false;
}

/* Type a plain scalar the way YAML 1.1 loaders (PyYAML) do. */
static json_t *
plain_scalar(const char *s)
{
	static const char *const nulls[] = { "", "~", "null", NULL };
	static const char *const trues[] = { "true", "yes", "on", NULL };
	static const char *const falses[] = { "false", "no", "off", NULL };
	char *end;
	long long i;
	double d;

	if (is_one_of(s, nulls))
		return json_null();
	if (is_one_of(s, trues))
		return json_true();
	if (is_one_of(s, falses))
		return json_false();
	errno = 0;
	i = strtoll(s, &end, 10);
	if (*s && *end == 0 && errno == 0)
		return json_integer(i);
	d = strtod(s, &end);
	/* JSON has no infinity or NaN: "1e999" and "-inf" stay strings */
	if (*s && *end == 0 && isfinite(d) &&
	    (s[0] == '-' || s[0] == '.' || (s[0] >= '0' && s[0] <= '9')))
		return json_real(d);
	return json_string(s);
}

static int
scalar(struct yj *y, yaml_event_t *ev, json_t **out)
{
	const char *s = (const char *)ev->data.scalar.value;

	/* "\0" in a double-quoted scalar: jansson would keep the NUL, and
	 * every C string read from the tree would be silently cut there */
	if (memchr(s, 0, ev->data.scalar.length))
		return fail(y, &ev->start_mark,
			    "scalar is not valid UTF-8 or has a NUL byte");
	if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
		*out = plain_scalar(s);
	else
		*out = json_stringn(s, ev->data.scalar.length);
	if (!*out)
		return fail(y, &ev->start_mark,
			    "scalar is not valid UTF-8 or has a NUL byte");
	return 0;
}

static int
sequence(struct yj *y, yaml_event_t *start, int depth, json_t **out)
{
	size_t base = strlen(y->path), i = 0;
	json_t *arr = json_array(), *v;
	yaml_event_t ev;
	int rc = 0;

	(void)start;
	for (;;) {
		if (next(y, &ev) < 0) {
			rc = -1;
			break;
		}
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		snprintf(y->path + base, sizeof(y->path) - base, "[%zu]", i++);
		rc = parse_node(y, &ev, depth + 1, &v);
		yaml_event_delete(&ev);
		if (rc < 0)
			break;
		json_array_append_new(arr, v);
	}
	y->path[base] = 0;
	if (rc < 0)
		json_decref(arr);
	else
		*out = arr;
	return rc;
}

/* Read one key of a mapping; 1 at the mapping's end, 0, or -1. */
static int
map_key(struct yj *y, json_t *obj, size_t base, char *key, size_t cap)
{
	yaml_event_t ev;
	int rc = 0;

	if (next(y, &ev) < 0)
		return -1;
	if (ev.type == YAML_MAPPING_END_EVENT) {
		rc = 1;
	} else if (ev.type != YAML_SCALAR_EVENT) {
		rc = fail(y, &ev.start_mark, "mapping keys must be scalars");
	} else if (ev.data.scalar.length >= cap ||
		   memchr(ev.data.scalar.value, 0, ev.data.scalar.length)) {
		rc = fail(y, &ev.start_mark, "mapping key too long");
	} else {
		memcpy(key, ev.data.scalar.value, ev.data.scalar.length + 1);
		if (json_object_get(obj, key))
			rc = fail(y, &ev.start_mark, "duplicate key");
		snprintf(y->path + base, sizeof(y->path) - base, "%s%s",
			 base ? "." : "", key);
		if (rc == 0)
			mark(y, &ev.start_mark);
	}
	yaml_event_delete(&ev);
	return rc;
}

static int
mapping(struct yj *y, int depth, json_t **out)
{
	size_t base = strlen(y->path);
	json_t *obj = json_object(), *v;
	yaml_event_t ev;
	char key[256];
	int rc;

	for (;;) {
		rc = map_key(y, obj, base, key, sizeof(key));
		if (rc != 0)
			break;
		if (next(y, &ev) < 0) {
			rc = -1;
			break;
		}
		rc = parse_node(y, &ev, depth + 1, &v);
		yaml_event_delete(&ev);
		if (rc < 0)
			break;
		json_object_set_new(obj, key, v);
	}
	y->path[base] = 0;
	if (rc < 0) {
		json_decref(obj);
		return -1;
	}
	*out = obj;
	return 0;
}

static int
parse_node(struct yj *y, yaml_event_t *ev, int depth, json_t **out)
{
	if (depth > YJ_MAX_DEPTH)
		return fail(y, &ev->start_mark, "nesting too deep");
	if (strlen(y->path) == 0 || !json_object_get(y->marks, y->path))
		mark(y, &ev->start_mark);
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return scalar(y, ev, out);
	case YAML_SEQUENCE_START_EVENT:
		return sequence(y, ev, depth, out);
	case YAML_MAPPING_START_EVENT:
		return mapping(y, depth, out);
	case YAML_ALIAS_EVENT:
		return fail(y, &ev->start_mark,
			    "YAML aliases (*name) are not supported");
	default:
		return fail(y, &ev->start_mark, "unexpected YAML event");
	}
}

/* Stream start, document start, the node, document end, stream end. */
static int
parse_document(struct yj *y, json_t **root)
{
	yaml_event_t ev;
	int rc;

	*root = NULL;
	if (next(y, &ev) < 0)
		return -1;
	yaml_event_delete(&ev); /* STREAM_START */
	if (next(y, &ev) < 0)
		return -1;
	if (ev.type == YAML_STREAM_END_EVENT) {
		yaml_event_delete(&ev);
		*root = json_null();
		return 0;
	}
	yaml_event_delete(&ev); /* DOCUMENT_START */
	if (next(y, &ev) < 0)
		return -1;
	rc = parse_node(y, &ev, 0, root);
	yaml_event_delete(&ev);
	if (rc < 0)
		return -1;
	if (next(y, &ev) < 0)
		return -1;
	yaml_event_delete(&ev); /* DOCUMENT_END */
	if (next(y, &ev) < 0)
		return -1;
	rc = ev.type == YAML_STREAM_END_EVENT ?
		     0 :
		     fail(y, &ev.start_mark,
			  "only one YAML document is allowed");
	yaml_event_delete(&ev);
	return rc;
}

int
yamljson_load_string(const char *name, const char *text, struct yamljson *out,
		     char *err, size_t errlen)
{
	struct yj y = { .name = name, .err = err, .errlen = errlen };
	json_t *root = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	y.marks = json_object();
	if (!y.marks || !yaml_parser_initialize(&y.parser)) {
		json_decref(y.marks);
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	yaml_parser_set_input_string(&y.parser, (const unsigned char *)text,
				     strlen(text));
	rc = parse_document(&y, &root);
	yaml_parser_delete(&y.parser);
	if (rc < 0) {
		json_decref(root);
		json_decref(y.marks);
		return -1;
	}
	out->root = root;
	out->marks = y.marks;
	return 0;
}

int
yamljson_load(const char *path, struct yamljson *out, char *err, size_t errlen)
{
	int e, rc, fd = io_open(path, O_RDONLY | O_NONBLOCK, 0);
	char *text;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot read: %s", path,
			 strerror(-fd));
		return -1;
	}
	text = io_read_file_fd(fd, YJ_MAX_BYTES, &n, &e);
	close(fd);
	if (!text) {
		if (e == -EINVAL || e == -EFBIG)
			snprintf(err, errlen,
				 "%s: not a regular file of at most 4 MiB",
				 path);
		else if (e == -ENOMEM)
			snprintf(err, errlen, "%s: out of memory", path);
		else
			snprintf(err, errlen, "%s: cannot read: %s", path,
				 strerror(-e));
		return -1;
	}
	if (strlen(text) != n) {
		snprintf(err, errlen, "%s: file contains a NUL byte", path);
		free(text);
		return -1;
	}
	rc = yamljson_load_string(path, text, out, err, errlen);
	free(text);
	return rc;
}

void
yamljson_clear(struct yamljson *y)
{
	json_decref(y->root);
	json_decref(y->marks);
	memset(y, 0, sizeof(*y));
}

int
yamljson_pos(const struct yamljson *y, const char *path, int *line, int *col)
{
	json_t *m = y->marks ? json_object_get(y->marks, path) : NULL;

	*line = *col = 0;
	if (!m)
		return -1;
	*line = (int)json_integer_value(json_array_get(m, 0));
	*col = (int)json_integer_value(json_array_get(m, 1));
	return 0;
}
