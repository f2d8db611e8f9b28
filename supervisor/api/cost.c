/*
 * cost.c - model data and prices; see cost.h.
 */
#include "supervisor/api/cost.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "supervisor/core/datadir.h"

int
models_load(struct models *m, char *err, size_t errlen)
{
	char path[PATH_MAX];
	json_error_t je;

	snprintf(path, sizeof(path), "%s/models.json", datadir_path());
	m->doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!m->doc || !json_is_object(json_object_get(m->doc, "prices"))) {
		/* jansson gives no position (-1) for I/O errors */
		if (!m->doc && je.line > 0)
			snprintf(err, errlen, "%s:%d:%d: %s", path, je.line,
				 je.column, je.text);
		else
			snprintf(err, errlen, "%s: %s", path,
				 m->doc ? "no prices table" : je.text);
		json_decref(m->doc);
		m->doc = NULL;
		return -1;
	}
	return 0;
}

void
models_clear(struct models *m)
{
	json_decref(m->doc);
	m->doc = NULL;
}

const char *
models_default(const struct models *m)
{
	const char *s = json_string_value(
		json_object_get(m->doc, "default_model"));

	return s ? s : "claude-sonnet-5-5";
}

int64_t
models_default_max_output(const struct models *m)
{
	json_t *v = json_object_get(m->doc, "default_max_output_tokens");

	return json_is_integer(v) ? json_integer_value(v) : 16000;
}

const char *
models_price_date(const struct models *m)
{
	const char *s = json_string_value(
		json_object_get(m->doc, "price_table_date"));

	return s ? s : "unknown";
}

const char *
models_deprecated(const struct models *m, const char *model)
{
	return json_string_value(
		json_object_get(json_object_get(m->doc, "deprecated"), model));
}

static double
price(json_t *p, const char *k)
{
	return json_number_value(json_object_get(p, k)) / 1e6;
}

bool
cost_of(const struct models *m, const char *model, const struct api_usage *u,
	double *usd)
{
	json_t *p = json_object_get(json_object_get(m->doc, "prices"), model);
	int64_t prompt = u->input_tokens + u->cache_creation_input_tokens +
			 u->cache_read_input_tokens;
	double in = price(p, "input"), out = price(p, "output");
	json_t *above = json_object_get(p, "long_context_above");

	if (!json_is_object(p))
		return false;
	/* long-context pricing (haiku-5-5): the whole call at the high rate */
	if (json_is_number(above) &&
	    (double)prompt > json_number_value(above)) {
		in = price(p, "long_input");
		out = price(p, "long_output");
	}
	*usd = (double)u->input_tokens * in + (double)u->output_tokens * out +
	       (double)u->cache_creation_input_tokens *
		       price(p, "cache_write") +
	       (double)u->cache_read_input_tokens * price(p, "cache_read");
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
	json_t *p = json_object_get(json_object_get(m->doc, "prices"), model);
	double w = price(p, "cache_write") - price(p, "input");

	if (w > 0)
		*usd += (double)input_tokens * w;
	return true;
}
