/*
 * schema_check.h - a small JSON Schema validator for the tests.
 *
 * Design note
 * -----------
 * The integration tests check every results file gao-dev writes against
 * docs/results.schema.json. This validator understands the subset of JSON
 * Schema draft 2020-12 that the schema uses, and nothing more:
 *
 *   type (a name or a list), enum, const, properties, required,
 *   additionalProperties (false or a schema), items (one schema),
 *   minimum, pattern (POSIX extended regular expressions, searched as in
 *   JSON Schema: anchor with ^ and $), oneOf, and $ref to "#/$defs/NAME".
 *
 * Annotations ($schema, $id, $comment, $defs, title, description,
 * examples, default) are ignored. Any other keyword makes the schema
 * invalid: a schema can never rely on a check this validator silently
 * skips. "integer" accepts a JSON real with an integral value, as the
 * specification says.
 */
#ifndef GAO_TESTS_SCHEMA_CHECK_H
#define GAO_TESTS_SCHEMA_CHECK_H

#include <jansson.h>

/*
 * schema_check - validate doc against schema (both borrowed). Appends one
 * string per problem to errors (a JSON array owned by the caller), each
 * "PATH: message" with PATH like "$.phases[2].status". Returns the number
 * of problems (0: valid), or -1 when the schema itself is unusable (an
 * unsupported keyword, a bad $ref or pattern; the reason is in errors).
 * At most 100 problems are reported.
 */
int schema_check(const json_t *schema, const json_t *doc, json_t *errors);

/*
 * schema_check_text - the same, returning the problems joined by newlines
 * (malloc'ed, caller frees), or NULL when doc is valid. A broken schema
 * is reported as a problem too.
 */
char *schema_check_text(const json_t *schema, const json_t *doc);

#endif
