/*
 * yamljson.h - a YAML document as a JSON tree, with source positions.
 *
 * Design note
 * -----------
 * Configs (benchmarks, agent files, the user config's settings) are read
 * with libyaml into jansson values, so the rest of the supervisor
 * validates one kind of tree. Two YAML readers stay apart on purpose:
 * policy profiles (policy/load.c, a library below the supervisor that the
 * worker's side shares) and the key's entries of the user config
 * (core/secret.c: the key must never sit in a jansson tree). Plain scalars are
 * typed as YAML 1.1 loaders type them (null, ~, true/false/yes/no/on/off,
 * integers, floats); quoted scalars are strings. Aliases are refused (they
 * allow exponential documents), as are duplicate keys, non-scalar keys, more
 * than one document, nesting deeper than 64 and files larger than 4 MiB. Every
 * node's position is kept: yamljson_pos gives "line:column" (1-based) for a
 * path such as "phases[0].agent", so validation errors can point at the exact
 * place.
 */
#ifndef GAO_SUPERVISOR_YAMLJSON_H
#define GAO_SUPERVISOR_YAMLJSON_H

#include <stddef.h>

#include <jansson.h>

struct yamljson {
	json_t *root;  /* the document (null for an empty file) */
	json_t *marks; /* path -> [line, column] */
};

/*
 * yamljson_load - parse the file at path. Returns 0 and fills *out (free
 * with yamljson_clear), or -1 with "path:line:column: message" in err.
 */
int yamljson_load(const char *path, struct yamljson *out, char *err,
		  size_t errlen);

/* Parse a string instead (name is used in messages). Same contract. */
int yamljson_load_string(const char *name, const char *text,
			 struct yamljson *out, char *err, size_t errlen);

void yamljson_clear(struct yamljson *y);

/*
 * yamljson_pos - line and column of the node at path ("" is the root),
 * into *line and *col; 0 when known, -1 (and 0:0) when not.
 */
int yamljson_pos(const struct yamljson *y, const char *path, int *line,
		 int *col);

#endif
