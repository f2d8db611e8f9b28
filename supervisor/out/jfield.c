/*
 * jfield.c - a JSON object's member read with a default. See jfield.h.
 */
#include "supervisor/out/jfield.h"

#include <limits.h>

const char *
jfield_str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

double
jfield_num(const json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

long long
jfield_ll(double v)
{
	if (v != v)
		return 0; /* NaN */
	if (v >= 0x1p63)
		return LLONG_MAX;
	if (v < -0x1p63)
		return LLONG_MIN;
	return (long long)v;
}

long long
jfield_int(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);

	if (json_is_integer(v))
		return (long long)json_integer_value(v);
	return jfield_ll(json_number_value(v));
}
