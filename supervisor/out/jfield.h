/*
 * jfield.h - a JSON object's member read with a default, for the
 * writers of what a run leaves (results summary, JUnit, HTML report).
 *
 * Design note
 * -----------
 * The writers read files gao-dev wrote (or a hostile copy of them) and
 * print what is there: a missing or wrongly typed member is shown as
 * empty or zero, never a crash. The checks of those files' shapes are
 * elsewhere (report_read.c, merge.c); this only reads.
 */
#ifndef GAO_SUPERVISOR_JFIELD_H
#define GAO_SUPERVISOR_JFIELD_H

#include <jansson.h>

/*
 * jfield_str - o's member k when it is a string (borrowed from o), else
 * "" (also when o is NULL or not an object).
 */
const char *jfield_str(const json_t *o, const char *k);

/*
 * jfield_num - o's member k when it is a number (integer or real), else
 * 0.
 */
double jfield_num(const json_t *o, const char *k);

/*
 * jfield_ll - v as a long long: truncated toward zero, saturated at
 * LLONG_MIN and LLONG_MAX, NaN as 0. A hostile file's 1e308 converts
 * without undefined behaviour (a plain cast of it has none defined).
 */
long long jfield_ll(double v);

/*
 * jfield_int - o's member k as a whole number to print: an integer as it
 * is, a real through jfield_ll, else 0.
 */
long long jfield_int(const json_t *o, const char *k);

#endif
