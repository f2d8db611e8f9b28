/*
 * cli_value.c - the values of the command-line options. See
 * cli_value.h (and cli.h for cli_parse_size and cli_api_version_ok).
 *
 * Design note
 * -----------
 * Strict and whole: every parser reads the entire text (no trailing
 * junk, no sign where none belongs, no inf), checks the range the
 * option documents in --help, and on a bad value prints one line that
 * names the option, echoes the value escaped for the terminal, and says
 * what is expected. No value is half-stored on an error.
 */
#include "supervisor/config/cli_value.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/termesc.h"
#include "supervisor/config/cli.h"

int
cli_value_bad(const char *opt, const char *val, const char *want)
{
	termesc_fprintf(stderr, "gao-dev: %s %s: expected %s\n", opt, val,
			want);
	return -1;
}

int
cli_value_int(const char *opt, const char *s, int64_t min, int64_t max,
	      int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		char want[96];

		snprintf(want, sizeof(want), "a whole number from %lld to %lld",
			 (long long)min, (long long)max);
		return cli_value_bad(opt, s, want);
	}
	*out = v;
	return 0;
}

int
cli_value_num(const char *opt, const char *s, double min, double *out)
{
	char *end;
	double v = strtod(s, &end);

	/* inf would switch a cap off without saying so; 0 does that */
	if (end == s || *end || v < min || !isfinite(v))
		return cli_value_bad(opt, s, "a non-negative number");
	*out = v;
	return 0;
}

int
cli_value_level(const char *s, int *out)
{
	static const char *const levels[] = { "none", "seccomp", "landlock",
					      "full" };

	for (int i = 0; i < 4; i++) {
		if (strcmp(s, levels[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	return cli_value_bad("--require-isolation", s,
			     "full, landlock or seccomp");
}

bool
cli_api_version_ok(const char *v)
{
	int month, day;

	if (strlen(v) != 10 || v[4] != '-' || v[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (v[i] < '0' || v[i] > '9'))
			return false;
	month = (v[5] - '0') * 10 + (v[6] - '0');
	day = (v[8] - '0') * 10 + (v[9] - '0');
	return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

bool
cli_model_id_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 128)
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz"
			 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

int
cli_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out,
	       const char **why)
{
	static const struct {
		const char *suffix;
		unsigned shift;
	} units[] = {
		{ "", 0 },     { "K", 10 },   { "KiB", 10 },
		{ "M", 20 },   { "MiB", 20 }, { "G", 30 },
		{ "GiB", 30 }, { "T", 40 },   { "TiB", 40 },
	};
	unsigned long long v;
	char *end;

	*why = "a whole number of bytes with an optional suffix K, M, G or T "
	       "(KiB, MiB, GiB, TiB), e.g. 512M";
	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(*units); i++) {
		if (strcmp(end, units[i].suffix) != 0)
			continue;
		if (v > (UINT64_MAX >> units[i].shift))
			return -1;
		v <<= units[i].shift;
		if (v < min || v > max) {
			*why = "a size within the allowed range";
			return -1;
		}
		*out = v;
		return 0;
	}
	return -1;
}

/* --max-memory and friends: sizes, or a count for --max-files. */
int
cli_value_cap(const char *opt, const char *arg, uint64_t min, uint64_t max,
	      uint64_t *out, bool *set)
{
	const char *why;
	char want[256];

	if (cli_parse_size(arg, min, max, out, &why) < 0) {
		(void)why;
		snprintf(want, sizeof(want),
			 "a size from %llu to %llu bytes: digits with an "
			 "optional suffix K, M, G or T (or KiB, MiB, GiB, TiB; "
			 "powers of 1024), e.g. 512M",
			 (unsigned long long)min, (unsigned long long)max);
		return cli_value_bad(opt, arg, want);
	}
	*set = true;
	return 0;
}

int
cli_value_shard(const char *s, int *i, int *n)
{
	const char *p = s;
	long v[2] = { 0, 0 };

	for (int k = 0; k < 2; k++) {
		const char *start = p;

		while (*p >= '0' && *p <= '9' && p - start < 5)
			v[k] = v[k] * 10 + (*p++ - '0');
		if (p == start || (*start == '0') ||
		    (k == 0 ? *p != '/' : *p != 0))
			goto bad;
		p++;
	}
	if (v[0] < 1 || v[1] > CLI_MAX_SHARDS || v[0] > v[1])
		goto bad;
	*i = (int)v[0];
	*n = (int)v[1];
	return 0;
bad:
	termesc_fprintf(stderr,
			"gao-dev: --shard %s: expected I/N, two whole numbers "
			"with 1 <= I <= N <= %d, e.g. --shard 2/3 for the "
			"second of three shards\n",
			s, CLI_MAX_SHARDS);
	return -1;
}
