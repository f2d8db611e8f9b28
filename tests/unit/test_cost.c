/*
 * test_cost.c - unit tests of model data and prices (cost.h).
 *
 * Design note
 * -----------
 * The prices are the project's real table, data/models.json, found
 * through GAO_DEV_DATADIR (meson sets it to the source tree's data/). The
 * expected costs are computed here by hand from the per-million prices the
 * table holds, so a change of the table or of the formula shows up. The
 * error paths load a broken table from a temp directory in a separate
 * test process (datadir_path() remembers its first answer).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "supervisor/api/cost.h"
#include "supervisor/config/agents.h"
#include "supervisor/core/datadir.h"
#include "tests/unit/models_fixture.h"

static struct models *const m = &models_fixture;

TestSuite(cost, .init = models_fixture_setup, .fini = models_fixture_teardown);

#define EPS 1e-12

static double
cost(const char *model, int64_t in, int64_t out, int64_t cw, int64_t cr)
{
	struct api_usage u = {
		.input_tokens = in,
		.output_tokens = out,
		.cache_creation_input_tokens = cw,
		.cache_read_input_tokens = cr,
	};
	double usd = -1;

	cr_assert(cost_of(m, model, &u, &usd), "no price for %s", model);
	return usd;
}

Test(cost, table_metadata)
{
	cr_assert_str_eq(models_default(m), "claude-sonnet-5-5");
	cr_assert_eq(models_default_max_output(m), 16000);
	cr_assert_str_eq(models_price_date(m), "2026-12-01");
	cr_assert_str_eq(models_lifecycle_date(m), "2026-12-01");
}

Test(cost, known_model_input_output)
{
	/* sonnet-5-5: $2 in, $10 out per million */
	cr_assert_float_eq(cost("claude-sonnet-5-5", 1000000, 0, 0, 0), 2.0,
			   EPS);
	cr_assert_float_eq(cost("claude-sonnet-5-5", 0, 1000000, 0, 0), 10.0,
			   EPS);
	cr_assert_float_eq(cost("claude-sonnet-5-5", 1234, 567, 0, 0),
			   1234 * 2e-6 + 567 * 10e-6, EPS);
	/* opus-4-8: $5 / $25 */
	cr_assert_float_eq(cost("claude-opus-4-8", 2000, 1000, 0, 0),
			   2000 * 5e-6 + 1000 * 25e-6, EPS);
	cr_assert_float_eq(cost("claude-opus-4-8", 0, 0, 0, 0), 0.0, EPS);
}

Test(cost, cache_write_and_read)
{
	/* sonnet-5-5: cache write $2.50, cache read $0.10 */
	cr_assert_float_eq(cost("claude-sonnet-5-5", 0, 0, 1000000, 0), 2.5,
			   EPS);
	cr_assert_float_eq(cost("claude-sonnet-5-5", 0, 0, 0, 1000000), 0.1,
			   EPS);
	cr_assert_float_eq(cost("claude-sonnet-4-6", 100, 200, 3000, 40000),
			   100 * 3e-6 + 200 * 15e-6 + 3000 * 3.75e-6 +
				   40000 * 0.3e-6,
			   EPS);
}

Test(cost, unknown_model)
{
	struct api_usage u = { .input_tokens = 10, .output_tokens = 10 };
	double usd = 42.0;

	cr_assert_not(cost_of(m, "claude-imaginary-9", &u, &usd));
	cr_assert_not(cost_of(m, "", &u, &usd));
	cr_assert_not(cost_worst_case(m, "claude-imaginary-9", 10, 10, &usd));
	cr_assert_float_eq(usd, 42.0, EPS, "usd was written for no price");
}

Test(cost, haiku_5_5_long_context)
{
	/* $0.10 / $0.50 up to 100000 prompt tokens; above: the whole call at
	 * $0.50 / $2.50; the prompt counts cache writes and reads too */
	cr_assert_float_eq(cost("claude-haiku-5-5", 100000, 1000, 0, 0),
			   100000 * 0.1e-6 + 1000 * 0.5e-6, EPS);
	cr_assert_float_eq(cost("claude-haiku-5-5", 100001, 1000, 0, 0),
			   100001 * 0.5e-6 + 1000 * 2.5e-6, EPS);
	cr_assert_float_eq(cost("claude-haiku-5-5", 50000, 1000, 30000, 20001),
			   50000 * 0.5e-6 + 1000 * 2.5e-6 + 30000 * 0.125e-6 +
				   20001 * 0.01e-6,
			   EPS);
	cr_assert_float_eq(cost("claude-haiku-5-5", 50000, 1000, 30000, 20000),
			   50000 * 0.1e-6 + 1000 * 0.5e-6 + 30000 * 0.125e-6 +
				   20000 * 0.01e-6,
			   EPS);
	/* no long-context rule on other models */
	cr_assert_float_eq(cost("claude-haiku-4-5", 500000, 0, 0, 0),
			   500000 * 1e-6, EPS);
}

Test(cost, worst_case)
{
	double usd = -1;

	/* input priced as cache writes (the higher rate) plus max output */
	cr_assert(cost_worst_case(m, "claude-sonnet-5-5", 10000, 16000, &usd));
	cr_assert_float_eq(usd, 10000 * 2.5e-6 + 16000 * 10e-6, EPS);
	cr_assert(cost_worst_case(m, "claude-opus-4-8", 0, 0, &usd));
	cr_assert_float_eq(usd, 0.0, EPS);
	/* haiku-5-5 above the long-context threshold */
	cr_assert(cost_worst_case(m, "claude-haiku-5-5", 200000, 1000, &usd));
	cr_assert_geq(usd, 200000 * 0.5e-6 + 1000 * 2.5e-6 - EPS);
	/* the worst case is never below the real cost of the same call */
	cr_assert_geq(usd, cost("claude-haiku-5-5", 0, 1000, 200000, 0) - EPS);
}

Test(cost, worst_case_bounds_every_model)
{
	json_t *prices = json_object_get(m->doc, "models"), *p;
	const char *model;

	json_object_foreach(prices, model, p) {
		double worst = -1;

		cr_assert(cost_worst_case(m, model, 120000, 8000, &worst), "%s",
			  model);
		cr_assert_geq(worst, cost(model, 120000, 8000, 0, 0) - EPS,
			      "%s", model);
		cr_assert_geq(worst, cost(model, 0, 8000, 120000, 0) - EPS,
			      "%s", model);
		cr_assert_geq(worst, cost(model, 0, 8000, 0, 120000) - EPS,
			      "%s", model);
	}
}

Test(cost, unpublished_cache_prices_count_at_the_input_price)
{
	double usd = -1;

	/* fable-5-2 and mythos-5-2: $8 / $40, cache prices null (not
	 * published): a budget counts cache tokens at the input price */
	cr_assert(json_is_null(
		json_object_get(models_price(m, "claude-fable-5-2"),
				"cache_write")));
	cr_assert_float_eq(cost("claude-fable-5-2", 1000000, 0, 0, 0), 8.0,
			   EPS);
	cr_assert_float_eq(cost("claude-mythos-5-2", 0, 1000000, 0, 0), 40.0,
			   EPS);
	cr_assert_float_eq(cost("claude-fable-5-2", 10, 20, 3000, 40000),
			   (10 + 3000 + 40000) * 8e-6 + 20 * 40e-6, EPS);
	cr_assert(cost_worst_case(m, "claude-mythos-5-2", 10000, 16000, &usd));
	cr_assert_float_eq(usd, 10000 * 8e-6 + 16000 * 40e-6, EPS);
}

/* A data dir of our own, set before datadir_path() first runs. */
static char own[] = "/tmp/cost-test-XXXXXX";
static char own_json[64];

static void
own_datadir(const char *models_json)
{
	FILE *f;

	cr_assert_not_null(mkdtemp(own));
	cr_assert_eq(setenv("GAO_DEV_DATADIR", own, 1), 0);
	cr_assert_str_eq(datadir_path(), own);
	if (!models_json)
		return;
	snprintf(own_json, sizeof(own_json), "%s/models.json", own);
	f = fopen(own_json, "we");
	cr_assert_not_null(f);
	fputs(models_json, f);
	fclose(f);
}

static void
own_cleanup(void)
{
	if (own_json[0])
		unlink(own_json);
	rmdir(own);
}

TestSuite(cost_data, .fini = own_cleanup);

Test(cost_data, missing_table)
{
	struct models mm = { 0 };
	char err[512], want[600];

	own_datadir(NULL);
	cr_assert_eq(models_load(&mm, err, sizeof(err)), -1);
	cr_assert_null(mm.doc);
	snprintf(want, sizeof(want),
		 "%s/models.json: unable to open "
		 "%s/models.json: No such file or directory",
		 own, own);
	cr_assert_str_eq(err, want);
}

Test(cost_data, syntax_error_has_position)
{
	struct models mm = { 0 };
	char err[512], want[600];

	own_datadir("{\"prices\": {\n  \"a\": 1,\n}}\n");
	cr_assert_eq(models_load(&mm, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:3:", own_json);
	cr_assert_eq(strncmp(err, want, strlen(want)), 0, "%s", err);
}

Test(cost_data, duplicate_keys_refused)
{
	struct models mm = { 0 };
	char err[512];

	own_datadir("{\"models\": {}, \"models\": {}}\n");
	cr_assert_eq(models_load(&mm, err, sizeof(err)), -1);
	cr_assert_neq(strstr(err, "duplicate"), NULL, "%s", err);
}

Test(cost_data, models_must_be_a_mapping)
{
	struct models mm = { 0 };
	char err[512], want[600];

	own_datadir("{\"models\": []}\n");
	cr_assert_eq(models_load(&mm, err, sizeof(err)), -1);
	snprintf(want, sizeof(want),
		 "%s: models: expected an object with one entry per model",
		 own_json);
	cr_assert_eq(strncmp(err, want, strlen(want)), 0, "%s", err);
}

Test(cost_data, defaults_when_keys_absent)
{
	struct models mm = { 0 };
	char err[512];

	own_datadir("{\"models\": {\"claude-x\": {\"input\": 1, "
		    "\"output\": 2, \"cache_write\": null, "
		    "\"cache_read\": null}}}\n");
	cr_assert_eq(models_load(&mm, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(models_default(&mm), "claude-sonnet-5-5");
	cr_assert_eq(models_default_max_output(&mm), 16000);
	cr_assert_str_eq(models_price_date(&mm), "unknown");
	cr_assert_str_eq(models_lifecycle_date(&mm), "unknown");
	models_clear(&mm);
	models_clear(&mm);
	cr_assert_null(mm.doc);
}
