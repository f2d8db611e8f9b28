/*
 * jfield.c - a JSON object's member read with a default. See jfield.h.
 */
#include "supervisor/out/jfield.h"

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
