/*
 * cost.h - model data: the default model, deprecations and prices.
 *
 * Design note
 * -----------
 * Prices change; code should not. They live in data/models.json (USD per
 * million tokens, with the table's date) and are loaded once. A model
 * missing from the table has an unknown cost: cost_of() says so and the
 * caller records null, never 0.
 */
#ifndef GAO_SUPERVISOR_COST_H
#define GAO_SUPERVISOR_COST_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "supervisor/api/response.h"

struct models {
	json_t *doc;
};

/* Load <datadir>/models.json into *m (free with models_clear). 0, or -1
 * with "path:line:col: message" in err. */
int models_load(struct models *m, char *err, size_t errlen);

/* Free what models_load read; *m may be loaded again. */
void models_clear(struct models *m);

/* The default model id (owned by *m, valid until models_clear; the
 * built-in "claude-sonnet-5-5" when the data names none). */
const char *models_default(const struct models *m);

/* The default per-request max_tokens (the API's), or 16000 when the data
 * has none. */
int64_t models_default_max_output(const struct models *m);

/* The price table's date, YYYY-MM-DD (owned by *m), or "unknown". */
const char *models_price_date(const struct models *m);

/* End-of-life date of a deprecated model, or NULL. */
const char *models_deprecated(const struct models *m, const char *model);

/* Cost in USD of one call's usage; false when the model has no price. */
bool cost_of(const struct models *m, const char *model,
	     const struct api_usage *u, double *usd);

/*
 * cost_worst_case - the most a call can cost: its estimated input tokens
 * at the (uncached) input price plus max_output tokens at the output
 * price; false when the model has no price.
 */
bool cost_worst_case(const struct models *m, const char *model,
		     int64_t input_tokens, int64_t max_output, double *usd);

#endif
