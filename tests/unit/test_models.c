/*
 * test_models.c - unit tests of the model data's lifecycle and checks
 * (models.h).
 *
 * Design note
 * -----------
 * The lifecycle is read from the project's real table, data/models.json
 * (GAO_DEV_DATADIR, set by meson), on days chosen with models_set_today():
 * the facts of December 2026 (claude-sonnet-4-5 retired on 2026-11-30,
 * claude-opus-4-5 deprecated on 2026-11-23 and retiring on 2027-01-22,
 * claude-opus-5 and claude-sonnet-5 legacy, fable/mythos 5.2 without
 * cache prices) and the days around them. The checks of the file are
 * driven through models_check_doc() on tables made here, one flaw each.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "supervisor/api/models.h"
#include "tests/unit/models_fixture.h"

static struct models *const m = &models_fixture;

TestSuite(models, .init = models_fixture_setup,
	  .fini = models_fixture_teardown);

static enum models_state
state_on(const char *day, const char *model)
{
	struct models_life l;

	cr_assert_eq(models_set_today(m, day), 0, "%s", day);
	models_life(m, model, &l);
	return l.state;
}

Test(models, today_is_the_clock_unless_set)
{
	cr_assert_eq(strlen(m->today), 10);
	cr_assert_eq(models_set_today(m, "2027-02-29"), -1);
	cr_assert_eq(models_set_today(m, "2026-13-01"), -1);
	cr_assert_eq(models_set_today(m, "2026-1-01"), -1);
	cr_assert_eq(models_set_today(m, "2026-12-06x"), -1);
	cr_assert_eq(models_set_today(m, ""), -1);
	cr_assert_eq(models_set_today(m, "2028-02-29"), 0);
	cr_assert_str_eq(m->today, "2028-02-29");
}

Test(models, sonnet_4_5_retired_on_2026_11_30)
{
	char why[400] = "";

	cr_assert_eq(state_on("2026-11-29", "claude-sonnet-4-5"),
		     MODELS_DEPRECATED);
	cr_assert_eq(state_on("2026-11-30", "claude-sonnet-4-5"),
		     MODELS_RETIRED);
	cr_assert_eq(state_on("2026-12-06", "claude-sonnet-4-5-20250929"),
		     MODELS_RETIRED);
	cr_assert(models_refusal(m, "claude-sonnet-4-5", why, sizeof(why)));
	cr_assert_str_eq(why, "model claude-sonnet-4-5 was retired on "
			      "2026-11-30 and the API no longer serves it; "
			      "choose another, e.g. --model "
			      "claude-sonnet-5-5");
}

Test(models, opus_4_5_deprecated_then_retired_by_the_date_alone)
{
	json_t *w = json_array();
	char why[400] = "";

	cr_assert_eq(state_on("2026-12-06", "claude-opus-4-5"),
		     MODELS_DEPRECATED);
	cr_assert_not(models_refusal(m, "claude-opus-4-5", why, sizeof(why)));
	cr_assert_eq(models_warnings(m, "claude-opus-4-5", w), 1);
	cr_assert_str_eq(json_string_value(json_array_get(w, 0)),
			 "model claude-opus-4-5 is deprecated (since "
			 "2026-11-23) and will be retired on 2027-01-22; "
			 "move to claude-opus-5-5");
	cr_assert_eq(state_on("2027-01-21", "claude-opus-4-5"),
		     MODELS_DEPRECATED);
	cr_assert_eq(state_on("2027-01-22", "claude-opus-4-5"), MODELS_RETIRED);
	cr_assert(models_refusal(m, "claude-opus-4-5", why, sizeof(why)));
	cr_assert_neq(strstr(why, "retired on 2027-01-22"), NULL, "%s", why);
	cr_assert_neq(strstr(why, "--model claude-opus-5-5"), NULL, "%s", why);
	json_decref(w);
}

Test(models, legacy_and_current_and_unlisted)
{
	json_t *w = json_array();

	cr_assert_eq(state_on("2026-12-06", "claude-opus-5"), MODELS_LEGACY);
	cr_assert_eq(state_on("2026-12-06", "claude-sonnet-5"), MODELS_LEGACY);
	cr_assert_eq(state_on("2026-12-06", "claude-sonnet-5-5"),
		     MODELS_CURRENT);
	cr_assert_eq(state_on("2026-12-06", "claude-imaginary-9"),
		     MODELS_UNLISTED);
	cr_assert_eq(models_warnings(m, "claude-sonnet-5", w), 1);
	cr_assert_str_eq(json_string_value(json_array_get(w, 0)),
			 "model claude-sonnet-5 is a legacy model (still "
			 "served, superseded); consider claude-sonnet-5-5");
	cr_assert_eq(models_warnings(m, "claude-sonnet-5-5", w), 0);
	cr_assert_eq(models_warnings(m, "claude-imaginary-9", w), 0);
	json_decref(w);
}

Test(models, fable_and_mythos_5_2_cache_prices_not_published)
{
	json_t *w = json_array();
	struct models_life l;

	for (int i = 0; i < 2; i++) {
		const char *id = i ? "claude-mythos-5-2" : "claude-fable-5-2";
		const json_t *e = models_price(m, id);

		cr_assert_not_null(e, "%s", id);
		cr_assert_float_eq(json_number_value(
					   json_object_get(e, "input")),
				   8.0, 1e-12);
		cr_assert_float_eq(json_number_value(
					   json_object_get(e, "output")),
				   40.0, 1e-12);
		cr_assert(json_is_null(json_object_get(e, "cache_read")));
		cr_assert_str_eq(json_string_value(
					 json_object_get(e, "released")),
				 "2026-11-09");
		models_life(m, id, &l);
		cr_assert_eq(l.state, MODELS_CURRENT);
		cr_assert(l.cache_unpriced);
	}
	cr_assert_eq(models_warnings(m, "claude-fable-5-2", w), 1);
	cr_assert_str_eq(json_string_value(json_array_get(w, 0)),
			 "model claude-fable-5-2: cache prices are not "
			 "published; the budget counts its cache writes and "
			 "reads at the input price ($8.00 per million tokens)");
	json_decref(w);
}

Test(models, operator_default_replaces_the_tables)
{
	cr_assert_str_eq(models_default(m), "claude-sonnet-5-5");
	cr_assert_eq(models_set_default(m, "claude-opus-5-5"), 0);
	cr_assert_str_eq(models_default(m), "claude-opus-5-5");
}

/* ---- the checks of the file ------------------------------------------ */

#define ENTRY \
	"{\"input\":1,\"output\":2,\"cache_write\":null,\"cache_read\":0.1"

static void
refused(const char *models_json, const char *top, const char *want)
{
	char text[2048], err[512] = "";
	json_t *doc;

	snprintf(text, sizeof(text), "{%s%s\"models\": %s}", top ? top : "",
		 top ? "," : "", models_json);
	doc = json_loads(text, 0, NULL);
	cr_assert_not_null(doc, "%s", text);
	cr_assert_eq(models_check_doc(doc, err, sizeof(err)), -1, "%s", text);
	cr_assert_str_eq(err, want, "for %s", text);
	json_decref(doc);
}

Test(models_check, the_shipped_table_and_a_minimal_one_pass)
{
	char err[512] = "";
	json_t *doc = json_loads("{\"models\":{\"a\":" ENTRY "}}}", 0, NULL);

	cr_assert_eq(models_check_doc(doc, err, sizeof(err)), 0, "%s", err);
	json_decref(doc);
}

Test(models_check, prices)
{
	refused("{\"a\":{\"input\":-1,\"output\":2,\"cache_write\":1,"
		"\"cache_read\":1}}",
		NULL,
		"models.a.input: expected USD per million tokens (a number "
		"from 0)");
	refused("{\"a\":{\"input\":1,\"output\":null,\"cache_write\":1,"
		"\"cache_read\":1}}",
		NULL,
		"models.a.output: expected USD per million tokens (a number "
		"from 0)");
	refused("{\"a\":{\"input\":1,\"output\":\"2\",\"cache_write\":1,"
		"\"cache_read\":1}}",
		NULL,
		"models.a.output: expected USD per million tokens (a number "
		"from 0)");
	refused("{\"a\":{\"input\":1,\"output\":2,\"cache_write\":-0.5,"
		"\"cache_read\":1}}",
		NULL,
		"models.a.cache_write: expected USD per million tokens (a "
		"number from 0), or null when not published");
	/* a cache price left out is not a silent 0: say null */
	refused("{\"a\":{\"input\":1,\"output\":2,\"cache_write\":1}}", NULL,
		"models.a.cache_read: expected USD per million tokens (a "
		"number from 0), or null when not published");
	refused("{\"a\":" ENTRY ",\"long_context_above\":1000}}", NULL,
		"models.a.long_input: expected USD per million tokens (a "
		"number from 0)");
}

Test(models_check, dates_and_keys)
{
	refused("{\"a\":" ENTRY ",\"retirement_date\":\"2026-02-30\"}}", NULL,
		"models.a.retirement_date: expected a date YYYY-MM-DD (or "
		"null)");
	refused("{\"a\":" ENTRY ",\"deprecation_date\":\"30.11.2026\"}}", NULL,
		"models.a.deprecation_date: expected a date YYYY-MM-DD (or "
		"null)");
	refused("{\"a\":" ENTRY ",\"released\":20261109}}", NULL,
		"models.a.released: expected a date YYYY-MM-DD (or null)");
	refused("{\"a\":" ENTRY ",\"deprecation_date\":\"2027-01-01\","
		"\"retirement_date\":\"2026-12-01\"}}",
		NULL,
		"models.a.retirement_date: is before the deprecation_date");
	refused("{\"a\":" ENTRY ",\"retirment_date\":\"2026-12-01\"}}", NULL,
		"models.a.retirment_date: unknown key");
	refused("{\"a\":" ENTRY ",\"legacy\":\"yes\"}}", NULL,
		"models.a.legacy: expected true or false");
	refused("{\"a\":" ENTRY "}}", "\"price_table_date\":\"2026-12\"",
		"price_table_date: expected a date YYYY-MM-DD (or null)");
	refused("{\"a\":" ENTRY "}}", "\"lifecycle_as_of\":\"tomorrow\"",
		"lifecycle_as_of: expected a date YYYY-MM-DD (or null)");
}

Test(models_check, defaults_and_replacements)
{
	refused("{}", NULL,
		"models: expected an object with one entry per model");
	refused("[]", NULL,
		"models: expected an object with one entry per model");
	refused("{\"a\":" ENTRY "}}", "\"default_model\":\"b\"",
		"default_model: expected a current model of the table (not "
		"legacy, no retirement date)");
	refused("{\"a\":" ENTRY ",\"retirement_date\":\"2030-01-01\"}}",
		"\"default_model\":\"a\"",
		"default_model: expected a current model of the table (not "
		"legacy, no retirement date)");
	refused("{\"a\":" ENTRY ",\"replacement\":\"z\"}}", NULL,
		"models.a.replacement: expected a model of the table that is "
		"not retiring");
	refused("{\"a\":" ENTRY ",\"replacement\":\"b\"},\"b\":" ENTRY
		",\"retirement_date\":\"2030-01-01\"}}",
		NULL,
		"models.a.replacement: expected a model of the table that is "
		"not retiring");
	refused("{\"a\":" ENTRY "}}", "\"default_max_output_tokens\":0",
		"default_max_output_tokens: expected a whole number from 1 "
		"to 1000000");
	refused("{\"a\":7}", NULL, "models: each model is an object");
}
