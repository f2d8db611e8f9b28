/*
 * cost.h - what a call costs, from the prices of the model data
 * (models.h).
 *
 * Design note
 * -----------
 * Prices change; code should not. They live in data/models.json (USD per
 * million tokens, with the table's date) and are loaded once. A model
 * missing from the table has an unknown cost: cost_of() says so and the
 * caller records null, never 0. A cache price that is not published
 * (null) is counted at the model's input price, an estimate the run's
 * warnings state (models_warnings).
 */
#ifndef GAO_SUPERVISOR_COST_H
#define GAO_SUPERVISOR_COST_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "supervisor/api/models.h"
#include "supervisor/api/response.h"

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
