/*
 * bm_parse.c - see bm_parse.h: field access with positions, findings.
 */
#include "supervisor/config/bm_parse.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
bm_parse_pos(struct bm_ctx *c, const char *path, int *line, int *col)
{
	char full[600];

	snprintf(full, sizeof(full), "%s%s", c->prefix, path);
	if (yamljson_pos(c->y, full, line, col) < 0)
		yamljson_pos(c->y, "", line, col);
}

void
bm_parse_emit(struct bm_ctx *c, json_t *list, int line, int col,
	      const char *path, const char *msg)
{
	json_array_append_new(list,
			      json_sprintf("%s:%d:%d: %s: %s", c->b->path,
					   line ? line : 1, col ? col : 1,
					   path[0] ? path : "(document)", msg));
}

__attribute__((format(printf, 4, 5))) void
bm_parse_finding(struct bm_ctx *c, json_t *list, const char *path,
		 const char *fmt, ...)
{
	char msg[1024];
	int line = 0, col = 0;
	va_list ap;

	bm_parse_pos(c, path, &line, &col);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	bm_parse_emit(c, list, line, col, path, msg);
}

bool
bm_parse_in_list(const char *k, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(k, *list) == 0)
			return true;
	return false;
}

void
bm_parse_name(struct bm_ctx *c, const char *path, const char *s)
{
	if (s && strlen(s) > BM_NAME_MAX)
		BM_ERR(c, path,
		       "a name of %zu bytes; a name is at most %d bytes: "
		       "shorten it",
		       strlen(s), BM_NAME_MAX);
}

/* A string field: NULL when absent or null; an error on another type. */
char *
bm_parse_str(struct bm_ctx *c, json_t *o, const char *key, const char *path)
{
	json_t *v = json_object_get(o, key);
	char buf[64];

	if (!v || json_is_null(v))
		return NULL;
	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (json_is_integer(v)) { /* version: 1 */
		snprintf(buf, sizeof(buf), "%lld",
			 (long long)json_integer_value(v));
		return strdup(buf);
	}
	if (json_is_real(v)) { /* version: 1.0 */
		snprintf(buf, sizeof(buf), "%g", json_real_value(v));
		return strdup(buf);
	}
	BM_ERR(c, path, "expected a string, got %s; write it in quotes",
	       json_is_object(v) ? "a mapping" :
	       json_is_array(v)  ? "a list" :
				   "a boolean");
	return NULL;
}

/* An integer field; def when absent; an error on another type. */
int64_t
bm_parse_int(struct bm_ctx *c, json_t *o, const char *key, const char *path,
	     int64_t def)
{
	json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v))
		return def;
	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_real(v)) {
		double d = json_real_value(v);

		/* in range before the cast (NaN fails both tests): a cast
		 * of 1e300 has no defined result */
		if (d >= -0x1p63 && d < 0x1p63 && d == (double)(int64_t)d)
			return (int64_t)d;
		BM_ERR(c, path, "expected a whole number, got %g", d);
		return def;
	}
	BM_ERR(c, path, "expected a whole number, got %s",
	       json_is_string(v) ? json_string_value(v) : "another type");
	return def;
}

bool
bm_parse_bool(struct bm_ctx *c, json_t *o, const char *key, const char *path,
	      bool def)
{
	json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v))
		return def;
	if (json_is_boolean(v))
		return json_is_true(v);
	BM_ERR(c, path, "expected true or false");
	return def;
}

double
bm_parse_num(struct bm_ctx *c, json_t *o, const char *key, const char *path,
	     double def)
{
	json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v))
		return def;
	if (json_is_number(v))
		return json_number_value(v);
	BM_ERR(c, path, "expected a number");
	return def;
}

void
bm_parse_unknown(struct bm_ctx *c, json_t *o, const char *const *known,
		 const char *path)
{
	const char *k;
	json_t *v;
	char p[300];

	json_object_foreach(o, k, v) {
		if (bm_parse_in_list(k, known))
			continue;
		snprintf(p, sizeof(p), "%s%s%s", path, path[0] ? "." : "", k);
		BM_WARN(c, p, "unknown key, ignored (check the spelling)");
	}
}

void
bm_parse_timeout(struct bm_ctx *c, int64_t t, const char *path,
		 const char *what)
{
	int64_t ceiling = confine_max_timeout(c->rules);

	if (t <= 0)
		BM_ERR(c, path,
		       "%s must be positive: got %lld, expected 1 to %d "
		       "seconds",
		       what, (long long)t, BM_TIMEOUT_MAX);
	else if (t > BM_TIMEOUT_MAX)
		BM_ERR(c, path,
		       "Timeout exceeds maximum of 86400s (24 hours): "
		       "got %lld; lower it to at most 86400",
		       (long long)t);
	else if (t > ceiling)
		BM_ERR(c, path,
		       "%lld s is over the operator's ceiling of %lld s: lower "
		       "it, or raise the ceiling with --max-timeout S "
		       "(max_timeout: in the user config)",
		       (long long)t, (long long)ceiling);
	else if (t > 14400)
		BM_WARN(c, path, "timeout of %lld s is over 4 hours",
			(long long)t);
}

json_t *
bm_parse_list(struct bm_ctx *c, json_t *o, const char *key, const char *path)
{
	json_t *v = json_object_get(o, key), *e;
	size_t i;

	if (!v || json_is_null(v))
		return json_array();
	if (json_is_string(v))
		return json_pack("[O]", v);
	if (!json_is_array(v)) {
		BM_ERR(c, path, "expected a list of strings");
		return json_array();
	}
	json_array_foreach(v, i, e) {
		if (!json_is_string(e)) {
			BM_ERR(c, path, "entry %zu is not a string", i);
			return json_array();
		}
	}
	return json_incref(v);
}
