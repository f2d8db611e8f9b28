/*
 * schema_check.c - see schema_check.h.
 *
 * One recursive walk: check() applies every keyword of a schema object to
 * a value, recursing into properties, items and additionalProperties with
 * a longer path. oneOf runs each alternative with a private error list and
 * keeps the closest alternative's problems for the message when none
 * matches.
 */
#include "schema_check.h"

#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SC_MAX_ERRORS 100
#define SC_MAX_DEPTH 64
#define SC_PATH 512

struct sc {
	const json_t *root; /* for $ref */
	json_t *errors;
	bool bad_schema;
};

static void check(struct sc *c, const json_t *s, const json_t *v,
		  const char *path, int depth);

__attribute__((format(printf, 3, 4))) static void
problem(struct sc *c, const char *path, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (json_array_size(c->errors) >= SC_MAX_ERRORS)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_array_append_new(c->errors, json_sprintf("%s: %s", path, msg));
}

__attribute__((format(printf, 3, 4))) static void
schema_bad(struct sc *c, const char *path, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->bad_schema = true;
	json_array_append_new(c->errors,
			      json_sprintf("schema at %s: %s", path, msg));
}

static const char *
type_of(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "object";
	case JSON_ARRAY:
		return "array";
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
		return "integer";
	case JSON_REAL:
		return "number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "boolean";
	default:
		return "null";
	}
}

static bool
has_type(const json_t *v, const char *t)
{
	const char *got = type_of(v);

	if (!strcmp(t, got))
		return true;
	if (!strcmp(t, "number"))
		return json_is_number(v);
	if (!strcmp(t, "integer") && json_is_real(v)) {
		double d = json_real_value(v);

		return isfinite(d) && d == floor(d);
	}
	return false;
}

static void
check_type(struct sc *c, const json_t *t, const json_t *v, const char *path)
{
	json_t *e;
	size_t i;

	if (json_is_string(t)) {
		if (!has_type(v, json_string_value(t)))
			problem(c, path, "expected %s, found %s",
				json_string_value(t), type_of(v));
		return;
	}
	if (!json_is_array(t)) {
		schema_bad(c, path, "type must be a string or a list");
		return;
	}
	json_array_foreach(t, i, e)
		if (json_is_string(e) && has_type(v, json_string_value(e)))
			return;
	char *want = json_dumps(t, JSON_COMPACT);

	problem(c, path, "expected one of %s, found %s", want ? want : "?",
		type_of(v));
	free(want);
}

static void
check_enum(struct sc *c, const json_t *list, const json_t *v, const char *path)
{
	json_t *e;
	size_t i;

	if (!json_is_array(list)) {
		schema_bad(c, path, "enum must be a list");
		return;
	}
	json_array_foreach(list, i, e)
		if (json_equal(e, v))
			return;
	char *got = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	char *want = json_dumps(list, JSON_COMPACT);

	problem(c, path, "%.200s is not one of %.400s", got ? got : "?",
		want ? want : "?");
	free(got);
	free(want);
}

static void
check_const(struct sc *c, const json_t *k, const json_t *v, const char *path)
{
	if (json_equal(k, v))
		return;
	char *got = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	char *want = json_dumps(k, JSON_COMPACT | JSON_ENCODE_ANY);

	problem(c, path, "%.200s is not %.200s", got ? got : "?",
		want ? want : "?");
	free(got);
	free(want);
}

static void
check_pattern(struct sc *c, const json_t *p, const json_t *v, const char *path)
{
	regex_t re;

	if (!json_is_string(p) ||
	    regcomp(&re, json_string_value(p), REG_EXTENDED | REG_NOSUB) != 0) {
		schema_bad(c, path,
			   "pattern is not a valid regular "
			   "expression");
		return;
	}
	if (json_is_string(v) &&
	    regexec(&re, json_string_value(v), 0, NULL, 0) != 0)
		problem(c, path, "\"%.200s\" does not match %s",
			json_string_value(v), json_string_value(p));
	regfree(&re);
}

static void
check_required(struct sc *c, const json_t *req, const json_t *v,
	       const char *path)
{
	json_t *k;
	size_t i;

	if (!json_is_array(req)) {
		schema_bad(c, path, "required must be a list");
		return;
	}
	if (!json_is_object(v))
		return;
	json_array_foreach(req, i, k)
		if (!json_object_get(v, json_string_value(k)))
			problem(c, path, "missing required key \"%s\"",
				json_string_value(k));
}

/* properties and additionalProperties together: each key once. */
static void
check_members(struct sc *c, const json_t *s, const json_t *v, const char *path,
	      int depth)
{
	const json_t *props = json_object_get(s, "properties");
	const json_t *extra = json_object_get(s, "additionalProperties");
	const char *k;
	json_t *m;
	char sub[SC_PATH];

	if ((props && !json_is_object(props)) ||
	    (extra && !json_is_object(extra) && !json_is_boolean(extra))) {
		schema_bad(c, path,
			   "properties must be an object, "
			   "additionalProperties a boolean or a schema");
		return;
	}
	if (!json_is_object(v))
		return;
	json_object_foreach((json_t *)v, k, m) {
		const json_t *ps = props ? json_object_get(props, k) : NULL;

		snprintf(sub, sizeof(sub), "%s.%s", path, k);
		if (ps)
			check(c, ps, m, sub, depth + 1);
		else if (json_is_false(extra))
			problem(c, path, "unexpected key \"%s\"", k);
		else if (json_is_object(extra))
			check(c, extra, m, sub, depth + 1);
	}
}

static void
check_items(struct sc *c, const json_t *s, const json_t *v, const char *path,
	    int depth)
{
	json_t *e;
	size_t i;
	char sub[SC_PATH];

	if (!json_is_object(s)) {
		schema_bad(c, path, "items must be a schema");
		return;
	}
	if (!json_is_array(v))
		return;
	json_array_foreach(v, i, e) {
		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		check(c, s, e, sub, depth + 1);
	}
}

static void
check_minimum(struct sc *c, const json_t *m, const json_t *v, const char *path)
{
	if (!json_is_number(m)) {
		schema_bad(c, path, "minimum must be a number");
		return;
	}
	if (json_is_number(v) && json_number_value(v) < json_number_value(m))
		problem(c, path, "%g is below the minimum %g",
			json_number_value(v), json_number_value(m));
}

/* Exactly one alternative must match. */
static void
check_one_of(struct sc *c, const json_t *alts, const json_t *v,
	     const char *path, int depth)
{
	json_t *a, *best = NULL;
	size_t i, matched = 0;

	if (!json_is_array(alts) || json_array_size(alts) == 0) {
		schema_bad(c, path, "oneOf must be a non-empty list");
		return;
	}
	json_array_foreach(alts, i, a) {
		struct sc sub = { .root = c->root, .errors = json_array() };

		check(&sub, a, v, path, depth + 1);
		if (sub.bad_schema) {
			c->bad_schema = true;
			json_array_extend(c->errors, sub.errors);
		}
		if (json_array_size(sub.errors) == 0)
			matched++;
		if (!best ||
		    json_array_size(sub.errors) < json_array_size(best)) {
			json_decref(best);
			best = json_incref(sub.errors);
		}
		json_decref(sub.errors);
	}
	if (matched == 0) {
		problem(c, path,
			"matches none of the %zu oneOf alternatives; "
			"the closest one says:",
			json_array_size(alts));
		json_array_foreach(best, i, a)
			if (json_array_size(c->errors) < SC_MAX_ERRORS)
				json_array_append_new(
					c->errors,
					json_sprintf("  %s",
						     json_string_value(a)));
	} else if (matched > 1) {
		problem(c, path, "matches %zu oneOf alternatives, not one",
			matched);
	}
	json_decref(best);
}

static const json_t *
resolve(struct sc *c, const json_t *ref, const char *path)
{
	const char *r = json_string_value(ref);
	const json_t *t;

	if (!r || strncmp(r, "#/$defs/", 8) != 0) {
		schema_bad(c, path, "only $ref \"#/$defs/NAME\" is supported");
		return NULL;
	}
	t = json_object_get(json_object_get(c->root, "$defs"), r + 8);
	if (!json_is_object(t))
		schema_bad(c, path, "$ref %s: no such definition", r);
	return json_is_object(t) ? t : NULL;
}

static bool
is_annotation(const char *k)
{
	static const char *const ann[] = { "$schema",  "$id",    "$comment",
					   "$defs",    "title",  "description",
					   "examples", "default" };

	for (size_t i = 0; i < sizeof(ann) / sizeof(*ann); i++)
		if (!strcmp(k, ann[i]))
			return true;
	return false;
}

static void
check_keyword(struct sc *c, const json_t *s, const char *k, const json_t *kv,
	      const json_t *v, const char *path, int depth)
{
	if (!strcmp(k, "type"))
		check_type(c, kv, v, path);
	else if (!strcmp(k, "enum"))
		check_enum(c, kv, v, path);
	else if (!strcmp(k, "const"))
		check_const(c, kv, v, path);
	else if (!strcmp(k, "pattern"))
		check_pattern(c, kv, v, path);
	else if (!strcmp(k, "required"))
		check_required(c, kv, v, path);
	else if (!strcmp(k, "properties"))
		check_members(c, s, v, path, depth);
	else if (!strcmp(k, "additionalProperties")) {
		if (!json_object_get(s, "properties"))
			check_members(c, s, v, path, depth);
	} else if (!strcmp(k, "items"))
		check_items(c, kv, v, path, depth);
	else if (!strcmp(k, "minimum"))
		check_minimum(c, kv, v, path);
	else if (!strcmp(k, "oneOf"))
		check_one_of(c, kv, v, path, depth);
	else if (!strcmp(k, "$ref")) {
		const json_t *t = resolve(c, kv, path);

		if (t)
			check(c, t, v, path, depth + 1);
	} else if (!is_annotation(k))
		schema_bad(c, path, "unsupported keyword \"%s\"", k);
}

static void
check(struct sc *c, const json_t *s, const json_t *v, const char *path,
      int depth)
{
	const char *k;
	json_t *kv;

	if (depth > SC_MAX_DEPTH) {
		schema_bad(c, path, "nested deeper than %d (a $ref loop?)",
			   SC_MAX_DEPTH);
		return;
	}
	if (json_is_true(s))
		return;
	if (!json_is_object(s)) {
		schema_bad(c, path, "a schema must be an object or true");
		return;
	}
	json_object_foreach((json_t *)s, k, kv)
		check_keyword(c, s, k, kv, v, path, depth);
}

int
schema_check(const json_t *schema, const json_t *doc, json_t *errors)
{
	struct sc c = { .root = schema, .errors = errors };
	size_t before = json_array_size(errors);

	check(&c, schema, doc, "$", 0);
	if (c.bad_schema)
		return -1;
	return (int)(json_array_size(errors) - before);
}

char *
schema_check_text(const json_t *schema, const json_t *doc)
{
	json_t *errors = json_array(), *e;
	size_t i, n = 1;
	char *out;

	if (schema_check(schema, doc, errors) == 0) {
		json_decref(errors);
		return NULL;
	}
	json_array_foreach(errors, i, e)
		n += strlen(json_string_value(e)) + 1;
	out = calloc(1, n);
	json_array_foreach(errors, i, e) {
		if (!out)
			break;
		strcat(out, json_string_value(e));
		strcat(out, "\n");
	}
	json_decref(errors);
	return out;
}
