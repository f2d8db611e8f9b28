/*
 * cost.c - the cost of a call from the model data's prices; see cost.h.
 */
#include "supervisor/api/cost.h"

static double
price(const json_t *p, const char *k)
{
	return json_number_value(json_object_get(p, k)) / 1e6;
}

/* A cache price, or the input price when it is not published (null):
 * the estimate models_warnings() tells the operator about. */
static double
cache_price(const json_t *p, const char *k)
{
	return json_is_null(json_object_get(p, k)) ? price(p, "input") :
						     price(p, k);
}

bool
cost_of(const struct models *m, const char *model, const struct api_usage *u,
	double *usd)
{
	const json_t *p = models_price(m, model);
	int64_t prompt = u->input_tokens + u->cache_creation_input_tokens +
			 u->cache_read_input_tokens;
	double in = price(p, "input"), out = price(p, "output");
	const json_t *above = json_object_get(p, "long_context_above");

	if (!p)
		return false;
	/* long-context pricing (haiku-5-5): the whole call at the high rate */
	if (json_is_number(above) &&
	    (double)prompt > json_number_value(above)) {
		in = price(p, "long_input");
		out = price(p, "long_output");
	}
	*usd = (double)u->input_tokens * in + (double)u->output_tokens * out +
	       (double)u->cache_creation_input_tokens *
		       cache_price(p, "cache_write") +
	       (double)u->cache_read_input_tokens *
		       cache_price(p, "cache_read");
	return true;
}

bool
cost_worst_case(const struct models *m, const char *model, int64_t input_tokens,
		int64_t max_output, double *usd)
{
	struct api_usage u = {
		.input_tokens = input_tokens,
		.output_tokens = max_output,
	};

	/* cache writes cost more than plain input: price them all as writes */
	if (!cost_of(m, model, &u, usd))
		return false;
	const json_t *p = models_price(m, model);
	double w = cache_price(p, "cache_write") - price(p, "input");

	if (w > 0)
		*usd += (double)input_tokens * w;
	return true;
}
