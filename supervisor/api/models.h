/*
 * models.h - the model data: default model, prices and lifecycle.
 *
 * Design note
 * -----------
 * Models and prices change; code should not. They live in
 * data/models.json (docs/api-client.md, "Models"): one entry per model
 * with its prices (USD per million tokens; a cache price not published is
 * null, never 0), its release, deprecation and retirement dates, a legacy
 * flag and a replacement, and the table's dates. The file ships with
 * gao-dev, but it is still checked field by field when loaded: a bad date,
 * a negative price or an unknown key is an error naming the file and the
 * field, never a silent 0.
 *
 * Whether a model is retired is judged against today's date (UTC) and the
 * retirement date in the data, so a planned retirement takes effect on its
 * day without a new release. Today comes from the clock, or from
 * models_set_today() (the --test-today switch of test builds).
 */
#ifndef GAO_SUPERVISOR_MODELS_H
#define GAO_SUPERVISOR_MODELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct models {
	json_t *doc;
	char today[11];     /* YYYY-MM-DD, UTC, or the test override */
	char *user_default; /* the user config's model:, or NULL */
};

enum models_state {
	MODELS_CURRENT,    /* served, nothing to say */
	MODELS_LEGACY,     /* served, superseded: a warning */
	MODELS_DEPRECATED, /* served until its retirement date: a warning */
	MODELS_RETIRED,    /* no longer served: refused before any call */
	MODELS_UNLISTED,   /* not in the table (unknown price and dates) */
};

/* One model's lifecycle, as of m->today. Strings are owned by the
 * struct models and valid until models_clear; any may be NULL. */
struct models_life {
	enum models_state state;
	const char *deprecated;  /* deprecation date */
	const char *retired;     /* retirement date (past or planned) */
	const char *replacement; /* the model to move to */
	bool cache_unpriced;     /* cache prices not published (null) */
};

/*
 * models_load - read <datadir>/models.json into *m (free with
 * models_clear) and check it. 0, or -1 with "path: field: problem" (or
 * "path:line:col: message" for bad JSON) in err. today is set from the
 * clock (UTC).
 */
int models_load(struct models *m, char *err, size_t errlen);

/*
 * models_check_doc - check a parsed model table (what models_load does
 * after parsing). 0, or -1 with "field: problem" in err.
 */
int models_check_doc(const json_t *doc, char *err, size_t errlen);

/* Free what models_load read; *m may be loaded again. */
void models_clear(struct models *m);

/* models_set_today - take date (YYYY-MM-DD, a real day) as today. 0, or
 * -1 when it is not one. For the test switch --test-today. */
int models_set_today(struct models *m, const char *date);

/* models_set_default - the operator's default model (the user config's
 * model:), copied; it replaces the table's default. 0 or -1 (memory). */
int models_set_default(struct models *m, const char *model);

/* The default model id (owned by *m, valid until models_clear): the
 * operator's, else the table's, else the built-in "claude-sonnet-5-5". */
const char *models_default(const struct models *m);

/* The default per-request max_tokens (the API's), or 16000 when the data
 * has none. */
int64_t models_default_max_output(const struct models *m);

/* The price table's date, YYYY-MM-DD (owned by *m), or "unknown". */
const char *models_price_date(const struct models *m);

/* The lifecycle table's date ("lifecycle_as_of"), or "unknown". */
const char *models_lifecycle_date(const struct models *m);

/* models_life - model's lifecycle as of m->today into *out. */
void models_life(const struct models *m, const char *model,
		 struct models_life *out);

/*
 * models_refusal - when model is retired: the reason into buf ("model X
 * was retired on DATE; choose another with --model, e.g. Y") and true;
 * else false (buf untouched).
 */
bool models_refusal(const struct models *m, const char *model, char *buf,
		    size_t cap);

/*
 * models_warnings - the warnings model deserves (deprecated with both
 * dates, legacy, cache prices not published: the budget's estimate), each
 * appended to arr as a new JSON string. Returns how many.
 */
size_t models_warnings(const struct models *m, const char *model, json_t *arr);

/* models_price - model's entry of the table (borrowed), or NULL. */
const json_t *models_price(const struct models *m, const char *model);

#endif
