/*
 * models.c - the model data: loading, checking, lifecycle; see models.h.
 */
#include "supervisor/api/models.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "supervisor/core/datadir.h"

/* The keys a model's entry may hold (a typo is an error, not a 0). */
static const char *const entry_keys[] = {
	"input",
	"output",
	"cache_write",
	"cache_read",
	"effective",
	"released",
	"legacy",
	"replacement",
	"deprecation_date",
	"retirement_date",
	"long_context_above",
	"long_input",
	"long_output",
	NULL,
};

/* The value of n decimal digits (already checked to be digits). */
static int
digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

/* A real calendar day written YYYY-MM-DD. */
static bool
is_date(const char *s)
{
	static const int days[] = { 31, 29, 31, 30, 31, 30,
				    31, 31, 30, 31, 30, 31 };
	int y, mo, d;

	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	y = digits(s, 4);
	mo = digits(s + 5, 2);
	d = digits(s + 8, 2);
	if (y < 2000 || mo < 1 || mo > 12 || d < 1 || d > days[mo - 1])
		return false;
	return !(mo == 2 && d == 29 &&
		 (y % 4 != 0 || (y % 100 == 0 && y % 400 != 0)));
}

static int
bad(char *err, size_t errlen, const char *model, const char *key,
    const char *what)
{
	if (model)
		snprintf(err, errlen, "models.%.100s.%s: %s", model, key, what);
	else
		snprintf(err, errlen, "%s: %s", key, what);
	return -1;
}

/* A price: a number >= 0; null too when nullable (not published). */
static int
check_price(const json_t *e, const char *model, const char *key, bool nullable,
	    char *err, size_t errlen)
{
	const json_t *v = json_object_get(e, key);

	if (nullable && json_is_null(v))
		return 0;
	if (!json_is_number(v) || json_number_value(v) < 0 ||
	    json_number_value(v) > 1e6)
		return bad(err, errlen, model, key,
			   nullable ? "expected USD per million tokens (a "
				      "number from 0), or null when not "
				      "published" :
				      "expected USD per million tokens (a "
				      "number from 0)");
	return 0;
}

static int
check_date_key(const json_t *e, const char *model, const char *key, char *err,
	       size_t errlen)
{
	const json_t *v = json_object_get(e, key);

	if (!v || json_is_null(v) || is_date(json_string_value(v)))
		return 0;
	return bad(err, errlen, model, key,
		   "expected a date YYYY-MM-DD (or null)");
}

static int
check_keys(const json_t *e, const char *model, char *err, size_t errlen)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)e, k, v) {
		size_t i = 0;

		while (entry_keys[i] && strcmp(entry_keys[i], k) != 0)
			i++;
		if (!entry_keys[i])
			return bad(err, errlen, model, k, "unknown key");
	}
	return 0;
}

static int
check_long_context(const json_t *e, const char *model, char *err, size_t errlen)
{
	const json_t *above = json_object_get(e, "long_context_above");

	if (!above)
		return 0;
	if (!json_is_integer(above) || json_integer_value(above) < 1)
		return bad(err, errlen, model, "long_context_above",
			   "expected a token count from 1");
	if (check_price(e, model, "long_input", false, err, errlen) < 0 ||
	    check_price(e, model, "long_output", false, err, errlen) < 0)
		return -1;
	return 0;
}

static int
check_entry(const json_t *tab, const char *model, const json_t *e, char *err,
	    size_t errlen)
{
	static const char *const dates[] = { "effective", "released",
					     "deprecation_date",
					     "retirement_date" };
	const char *dep, *ret, *rep;

	if (!json_is_object(e))
		return bad(err, errlen, NULL, "models",
			   "each model is an object");
	if (check_keys(e, model, err, errlen) < 0 ||
	    check_price(e, model, "input", false, err, errlen) < 0 ||
	    check_price(e, model, "output", false, err, errlen) < 0 ||
	    check_price(e, model, "cache_write", true, err, errlen) < 0 ||
	    check_price(e, model, "cache_read", true, err, errlen) < 0 ||
	    check_long_context(e, model, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(dates) / sizeof(dates[0]); i++)
		if (check_date_key(e, model, dates[i], err, errlen) < 0)
			return -1;
	if (json_object_get(e, "legacy") &&
	    !json_is_boolean(json_object_get(e, "legacy")))
		return bad(err, errlen, model, "legacy",
			   "expected true or false");
	dep = json_string_value(json_object_get(e, "deprecation_date"));
	ret = json_string_value(json_object_get(e, "retirement_date"));
	if (dep && ret && strcmp(dep, ret) > 0)
		return bad(err, errlen, model, "retirement_date",
			   "is before the deprecation_date");
	rep = json_string_value(json_object_get(e, "replacement"));
	if (json_object_get(e, "replacement") &&
	    (!rep || !json_is_object(json_object_get(tab, rep)) ||
	     json_object_get(json_object_get(tab, rep), "retirement_date")))
		return bad(err, errlen, model, "replacement",
			   "expected a model of the table that is not "
			   "retiring");
	return 0;
}

int
models_check_doc(const json_t *doc, char *err, size_t errlen)
{
	const json_t *tab = json_object_get(doc, "models"), *e, *v;
	const char *model, *def;

	if (!json_is_object(tab) || json_object_size(tab) == 0)
		return bad(err, errlen, NULL, "models",
			   "expected an object with one entry per model");
	json_object_foreach((json_t *)tab, model, e)
		if (check_entry(tab, model, e, err, errlen) < 0)
			return -1;
	if (check_date_key(doc, NULL, "price_table_date", err, errlen) < 0 ||
	    check_date_key(doc, NULL, "lifecycle_as_of", err, errlen) < 0)
		return -1;
	v = json_object_get(doc, "default_max_output_tokens");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 1 ||
		  json_integer_value(v) > 1000000))
		return bad(err, errlen, NULL, "default_max_output_tokens",
			   "expected a whole number from 1 to 1000000");
	v = json_object_get(doc, "default_model");
	def = json_string_value(v);
	if (v &&
	    (!def || !json_is_object(json_object_get(tab, def)) ||
	     json_object_get(json_object_get(tab, def), "retirement_date") ||
	     json_is_true(
		     json_object_get(json_object_get(tab, def), "legacy"))))
		return bad(err, errlen, NULL, "default_model",
			   "expected a current model of the table (not "
			   "legacy, no retirement date)");
	return 0;
}

int
models_load(struct models *m, char *err, size_t errlen)
{
	char path[PATH_MAX], why[400];
	json_error_t je;
	time_t now = time(NULL);
	struct tm tm;

	memset(m, 0, sizeof(*m));
	if (!gmtime_r(&now, &tm) ||
	    strftime(m->today, sizeof(m->today), "%Y-%m-%d", &tm) == 0)
		snprintf(m->today, sizeof(m->today), "1970-01-01");
	snprintf(path, sizeof(path), "%s/models.json", datadir_path());
	m->doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!m->doc) {
		/* jansson gives no position (-1) for I/O errors */
		if (je.line > 0)
			snprintf(err, errlen, "%s:%d:%d: %s", path, je.line,
				 je.column, je.text);
		else
			snprintf(err, errlen, "%s: %s", path, je.text);
		return -1;
	}
	if (models_check_doc(m->doc, why, sizeof(why)) < 0) {
		snprintf(err, errlen,
			 "%s: %s (the model data shipped with "
			 "gao-dev: reinstall, or fix the file)",
			 path, why);
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
	free(m->user_default);
	m->user_default = NULL;
}

int
models_set_today(struct models *m, const char *date)
{
	if (!is_date(date))
		return -1;
	snprintf(m->today, sizeof(m->today), "%s", date);
	return 0;
}

int
models_set_default(struct models *m, const char *model)
{
	char *copy = strdup(model);

	if (!copy)
		return -1;
	free(m->user_default);
	m->user_default = copy;
	return 0;
}

const char *
models_default(const struct models *m)
{
	const char *s = json_string_value(
		json_object_get(m->doc, "default_model"));

	if (m->user_default)
		return m->user_default;
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
models_lifecycle_date(const struct models *m)
{
	const char *s = json_string_value(
		json_object_get(m->doc, "lifecycle_as_of"));

	return s ? s : "unknown";
}

const json_t *
models_price(const struct models *m, const char *model)
{
	const json_t *e = json_object_get(json_object_get(m->doc, "models"),
					  model);

	return json_is_object(e) ? e : NULL;
}

void
models_life(const struct models *m, const char *model, struct models_life *out)
{
	const json_t *e = models_price(m, model);

	memset(out, 0, sizeof(*out));
	if (!e) {
		out->state = MODELS_UNLISTED;
		return;
	}
	out->deprecated = json_string_value(
		json_object_get(e, "deprecation_date"));
	out->retired = json_string_value(json_object_get(e, "retirement_date"));
	out->replacement = json_string_value(json_object_get(e, "replacement"));
	out->cache_unpriced = json_is_null(json_object_get(e, "cache_write")) ||
			      json_is_null(json_object_get(e, "cache_read"));
	if (out->retired && strcmp(out->retired, m->today) <= 0)
		out->state = MODELS_RETIRED;
	else if (out->retired ||
		 (out->deprecated && strcmp(out->deprecated, m->today) <= 0))
		out->state = MODELS_DEPRECATED;
	else if (json_is_true(json_object_get(e, "legacy")))
		out->state = MODELS_LEGACY;
	else
		out->state = MODELS_CURRENT;
}

/* The model to suggest instead of model: its replacement, else the
 * default (when that is another model). */
static const char *
suggest(const struct models *m, const struct models_life *l, const char *model)
{
	if (l->replacement)
		return l->replacement;
	return strcmp(models_default(m), model) != 0 ? models_default(m) :
						       "claude-sonnet-5-5";
}

bool
models_refusal(const struct models *m, const char *model, char *buf, size_t cap)
{
	struct models_life l;

	models_life(m, model, &l);
	if (l.state != MODELS_RETIRED)
		return false;
	snprintf(buf, cap,
		 "model %.100s was retired on %s and the API no longer "
		 "serves it; choose another, e.g. --model %s",
		 model, l.retired, suggest(m, &l, model));
	return true;
}

/* Append the text in buf to arr; 1 when it was, else 0. */
static size_t
add(json_t *arr, const char *buf)
{
	return json_array_append_new(arr, json_string(buf)) == 0;
}

size_t
models_warnings(const struct models *m, const char *model, json_t *arr)
{
	const json_t *e = models_price(m, model);
	struct models_life l;
	char buf[512];
	size_t n = 0;

	models_life(m, model, &l);
	if (l.state == MODELS_DEPRECATED && l.retired) {
		snprintf(buf, sizeof(buf),
			 "model %.100s is deprecated (since %s) and will be "
			 "retired on %s; move to %s",
			 model,
			 l.deprecated ? l.deprecated : "its announcement",
			 l.retired, suggest(m, &l, model));
		n += add(arr, buf);
	} else if (l.state == MODELS_DEPRECATED) {
		snprintf(buf, sizeof(buf),
			 "model %.100s is deprecated (since %s); move to %s",
			 model, l.deprecated, suggest(m, &l, model));
		n += add(arr, buf);
	} else if (l.state == MODELS_LEGACY) {
		snprintf(buf, sizeof(buf),
			 "model %.100s is a legacy model (still served, "
			 "superseded); consider %s",
			 model, suggest(m, &l, model));
		n += add(arr, buf);
	}
	if (l.cache_unpriced) {
		snprintf(buf, sizeof(buf),
			 "model %.100s: cache prices are not published; the "
			 "budget counts its cache writes and reads at the "
			 "input price ($%.2f per million tokens)",
			 model, json_number_value(json_object_get(e, "input")));
		n += add(arr, buf);
	}
	return n;
}
