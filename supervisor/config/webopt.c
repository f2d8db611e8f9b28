/*
 * webopt.c - the run's web settings; see webopt.h.
 */
#include "supervisor/config/webopt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One domain of n bytes at s: labels of [a-z0-9-], dots between. */
static const char *
domain_problem(const char *s, size_t n)
{
	size_t label = 0;

	if (n == 0)
		return "an empty domain (two commas, or one at an end)";
	if (n > WEBOPT_DOMAIN_MAX)
		return "a domain longer than 253 bytes";
	if (memchr(s, ':', n) || memchr(s, '/', n))
		return "a scheme, port or path (give the host name alone, "
		       "e.g. docs.python.org)";
	if (memchr(s, '*', n))
		return "a wildcard ('*' is only allowed alone, for every "
		       "domain; subdomains of a listed domain are included)";
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return "an empty label or one ending in '-'";
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-'))
			return "a character other than letters, digits, '-' "
			       "and '.'";
		if (label == 0 && c == '-')
			return "a label starting with '-'";
		if (++label > 63)
			return "a label longer than 63 bytes";
	}
	if (label == 0 || s[n - 1] == '-')
		return "an empty label or one ending in '-'";
	if (!memchr(s, '.', n))
		return "a name without a dot (give a full domain such as "
		       "example.com)";
	return NULL;
}

/* Append the domain s[0..n) (lower-cased) to arr; -1 with err. */
static int
add_domain(json_t *arr, const char *s, size_t n, char *err, size_t errlen)
{
	const char *why = domain_problem(s, n);
	char buf[WEBOPT_DOMAIN_MAX + 1];
	json_t *e;
	size_t i;

	if (why) {
		snprintf(err, errlen, "'%.*s': %s", (int)(n > 80 ? 80 : n), s,
			 why);
		return -1;
	}
	for (i = 0; i < n; i++)
		buf[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
	buf[n] = 0;
	json_array_foreach(arr, i, e) {
		if (strcmp(json_string_value(e), buf) == 0) {
			snprintf(err, errlen, "'%s' is listed twice", buf);
			return -1;
		}
	}
	if (json_array_size(arr) >= WEBOPT_MAX_DOMAINS) {
		snprintf(err, errlen, "more than %d domains",
			 WEBOPT_MAX_DOMAINS);
		return -1;
	}
	return json_array_append_new(arr, json_string(buf)) == 0 ? 0 : -1;
}

int
webopt_parse_domains(const char *list, json_t **out, char *err, size_t errlen)
{
	json_t *arr;
	const char *p = list;

	*out = NULL;
	if (strcmp(list, "*") == 0)
		return 0;
	arr = json_array();
	if (!arr) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);

		if (n == 1 && *p == '*') {
			snprintf(err, errlen,
				 "'*' must be given alone (every domain), "
				 "not in a list");
			goto fail;
		}
		if (add_domain(arr, p, n, err, errlen) < 0)
			goto fail;
		if (!comma)
			break;
		p = comma + 1;
	}
	*out = arr;
	return 0;
fail:
	json_decref(arr);
	return -1;
}

int
webopt_domains_json(const json_t *v, json_t **out, char *err, size_t errlen)
{
	json_t *arr, *e;
	size_t i;

	*out = NULL;
	if (json_is_string(v))
		return webopt_parse_domains(json_string_value(v), out, err,
					    errlen);
	if (!json_is_array(v) || json_array_size(v) == 0) {
		snprintf(err, errlen,
			 "expected a list of domains, or \"*\" for every "
			 "domain");
		return -1;
	}
	if (json_array_size(v) == 1 && json_is_string(json_array_get(v, 0)) &&
	    strcmp(json_string_value(json_array_get(v, 0)), "*") == 0)
		return 0;
	arr = json_array();
	json_array_foreach(v, i, e) {
		const char *s = json_string_value(e);

		if (!s || strcmp(s, "*") == 0) {
			snprintf(err, errlen,
				 "item %zu: expected a domain such as "
				 "example.com ('*' only alone)",
				 i + 1);
			json_decref(arr);
			return -1;
		}
		if (add_domain(arr, s, strlen(s), err, errlen) < 0) {
			json_decref(arr);
			return -1;
		}
	}
	*out = arr;
	return 0;
}

char *
webopt_domains_text(const struct webopt *w)
{
	size_t n = 2, i;
	json_t *e;
	char *out;

	if (!w->domains)
		return strdup("*");
	json_array_foreach(w->domains, i, e)
		n += strlen(json_string_value(e)) + 1;
	out = calloc(1, n);
	json_array_foreach(w->domains, i, e) {
		if (!out)
			break;
		if (i)
			strcat(out, ",");
		strcat(out, json_string_value(e));
	}
	return out;
}

void
webopt_clear(struct webopt *w)
{
	json_decref(w->domains);
	w->domains = NULL;
	w->domains_set = false;
	w->on = false;
}
