/*
 * bench_stats.c - see bench_stats.h.
 */
#include "bench_stats.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t
bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

double
bench_ms(uint64_t t0, uint64_t t1)
{
	return (double)(t1 - t0) / 1e6;
}

int
bench_series_init(struct bench_series *s, const char *name, size_t cap)
{
	memset(s, 0, sizeof(*s));
	s->name = name;
	s->cap = cap ? cap : 16;
	s->v = calloc(s->cap, sizeof(double));
	return s->v ? 0 : -ENOMEM;
}

int
bench_series_add(struct bench_series *s, double ms)
{
	if (s->n == s->cap) {
		double *v = realloc(s->v, s->cap * 2 * sizeof(double));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap *= 2;
	}
	s->v[s->n++] = ms;
	return 0;
}

void
bench_series_free(struct bench_series *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The q-quantile of sorted v[0..n) (nearest rank, interpolated). */
static double
quantile(const double *v, size_t n, double q)
{
	double pos = q * (double)(n - 1);
	size_t i = (size_t)pos;
	double frac = pos - (double)i;

	if (i + 1 >= n)
		return v[n - 1];
	return v[i] + (v[i + 1] - v[i]) * frac;
}

void
bench_series_summary(const struct bench_series *s, struct bench_summary *out)
{
	double *v;

	memset(out, 0, sizeof(*out));
	if (s->n == 0)
		return;
	v = malloc(s->n * sizeof(double));
	if (!v)
		return;
	memcpy(v, s->v, s->n * sizeof(double));
	qsort(v, s->n, sizeof(double), cmp_double);
	out->n = s->n;
	out->min = v[0];
	out->max = v[s->n - 1];
	out->median = quantile(v, s->n, 0.5);
	out->p90 = quantile(v, s->n, 0.9);
	free(v);
}

double
bench_ratio(const struct bench_series *a, const struct bench_series *b)
{
	struct bench_summary x, y;

	bench_series_summary(a, &x);
	bench_series_summary(b, &y);
	return y.median > 0 ? x.median / y.median : 0;
}

void
bench_table_print(FILE *f, const char *title, const struct bench_series *rows,
		  size_t n, size_t base)
{
	struct bench_summary s, b;

	bench_series_summary(&rows[base], &b);
	fprintf(f, "\n%s (baseline: %s)\n\n", title, rows[base].name);
	fprintf(f, "| what | n | median ms | min ms | max ms | p90 ms "
		   "| x baseline |\n");
	fprintf(f, "|---|---:|---:|---:|---:|---:|---:|\n");
	for (size_t i = 0; i < n; i++) {
		if (rows[i].n == 0)
			continue; /* a row this machine could not measure */
		bench_series_summary(&rows[i], &s);
		fprintf(f, "| %s | %zu | %.3f | %.3f | %.3f | %.3f | %.2f |\n",
			rows[i].name, s.n, s.median, s.min, s.max, s.p90,
			b.median > 0 ? s.median / b.median : 0);
	}
	fflush(f);
}

size_t
bench_parse_count(const char *opt, const char *arg)
{
	char *end = NULL;
	unsigned long long v;

	errno = 0;
	v = strtoull(arg ? arg : "", &end, 10);
	if (!arg || errno || end == arg || *end || v == 0 || v > 10000000) {
		fprintf(stderr,
			"%s: expected a count from 1 to 10000000, "
			"got \"%s\"\n",
			opt, arg ? arg : "");
		exit(2);
	}
	return (size_t)v;
}
