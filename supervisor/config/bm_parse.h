/*
 * bm_parse.h - what the files that read a benchmark config share: the
 * parse context, reading a field with its position, and findings.
 *
 * Design note
 * -----------
 * A config is read by three files, each with one job: benchmark.c reads
 * the document's top and its phases and plans the run, bm_stories.c plans
 * the story mode (epics and their stories), bm_text.c looks at the file's
 * text (placeholders left from a template, YAML errors explained). They
 * report alike: "FILE:LINE:COL: FIELD: message" into the benchmark's
 * errors or warnings, the position from yamljson (the document's when the
 * field has none). Private to supervisor/config/.
 */
#ifndef GAO_SUPERVISOR_BM_PARSE_H
#define GAO_SUPERVISOR_BM_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "supervisor/config/agents.h"
#include "supervisor/config/benchmark.h"
#include "supervisor/config/confine.h"
#include "supervisor/config/yamljson.h"

#define BM_TIMEOUT_MAX 86400

#define BM_TEXT_MAX (4 << 20) /* yamljson's limit on a config's size */

/* The longest benchmark, phase or agent name, bytes: a name is in every
 * output, and in each audit record, whose lines are bounded (audit.h); a
 * phase's agent names a persona, so both share one limit. */
#define BM_NAME_MAX AGENTS_NAME_MAX

struct bm_ctx {
	struct benchmark *b;
	const struct confine_rules *rules; /* the operator's, or NULL */
	struct yamljson *y;
	const char *prefix; /* "benchmark." in the wrapped shape */
	char *text;         /* the file's text, read when needed */
};

/* Line and column of the field at path (the document's when unknown). */
void bm_parse_pos(struct bm_ctx *c, const char *path, int *line, int *col);

/* Append "FILE:LINE:COL: PATH: msg" to list. */
void bm_parse_emit(struct bm_ctx *c, json_t *list, int line, int col,
		   const char *path, const char *msg);

/* A finding at the field path, formatted, appended to list. */
__attribute__((format(printf, 4, 5))) void
bm_parse_finding(struct bm_ctx *c, json_t *list, const char *path,
		 const char *fmt, ...);

#define BM_ERR(c, path, ...) \
	bm_parse_finding(c, (c)->b->errors, path, __VA_ARGS__)
#define BM_WARN(c, path, ...) \
	bm_parse_finding(c, (c)->b->warnings, path, __VA_ARGS__)

/* True when k is one of the NULL-ended list. */
bool bm_parse_in_list(const char *k, const char *const *list);

/* o[key] as a fresh string (the caller frees it), NULL when absent; any
 * other type is an error at path. */
char *bm_parse_str(struct bm_ctx *c, json_t *o, const char *key,
		   const char *path);

/* An error at path when the name s (NULL: none) is longer than
 * BM_NAME_MAX bytes. */
void bm_parse_name(struct bm_ctx *c, const char *path, const char *s);

/* o[key] as an integer, def when absent; any other type is an error. */
int64_t bm_parse_int(struct bm_ctx *c, json_t *o, const char *key,
		     const char *path, int64_t def);

/* o[key] as a boolean, def when absent; any other type is an error. */
bool bm_parse_bool(struct bm_ctx *c, json_t *o, const char *key,
		   const char *path, bool def);

/* o[key] as a number, def when absent; any other type is an error. */
double bm_parse_num(struct bm_ctx *c, json_t *o, const char *key,
		    const char *path, double def);

/* A warning for every key of o that is not in known (NULL-ended). */
void bm_parse_unknown(struct bm_ctx *c, json_t *o, const char *const *known,
		      const char *path);

/* A timeout t at path: an error above BM_TIMEOUT_MAX or the operator's
 * ceiling, a warning above 4 hours. */
void bm_parse_timeout(struct bm_ctx *c, int64_t t, const char *path,
		      const char *what);

/* o[key] as a new JSON array of strings (a single string is a list of
 * one), an empty array when absent; other types are errors. */
json_t *bm_parse_list(struct bm_ctx *c, json_t *o, const char *key,
		      const char *path);

/* ---- benchmark.c --------------------------------------------------------- */

/* Append *ph to the plan (ownership moves); on failure its members are
 * freed. 0, or -1 (out of memory). */
int benchmark_phase_add(struct benchmark *b, struct bm_phase *ph);

/* Free the members of *p. */
void benchmark_phase_clear(struct bm_phase *p);

/* ---- bm_stories.c -------------------------------------------------------- */

/* epics: plan every story as three phases (spec, implement, validate) in
 * dependency order; errors for unknown or circular dependencies. */
void bm_stories_parse(struct bm_ctx *c, json_t *doc);

/* ---- bm_text.c ----------------------------------------------------------- */

/* An error for every template placeholder left in a string of v (path:
 * the field's, extended in place up to cap). */
void bm_text_placeholders(struct bm_ctx *c, json_t *v, char *path, size_t cap);

/* Append to err (a YAML parse error of path) what the offending line
 * holds when it is a template placeholder. */
void bm_text_explain_yaml_error(const char *path, char *err, size_t errlen);

#endif
