/*
 * bench_stats.h - samples, their summary and the tables the benchmark
 * programs print.
 *
 * Design note
 * -----------
 * Machines here are shared and noisy (docs/performance.md), so no figure is
 * reported alone: each series of samples is summarised by its median, min,
 * max and 90th percentile, and every table names one row as its baseline,
 * measured in the same run, with each row's median as a ratio of the
 * baseline's median. The tables are Markdown, so docs/performance.md can
 * quote them as printed.
 */
#ifndef GAO_BENCH_STATS_H
#define GAO_BENCH_STATS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* One series of samples, in milliseconds. */
struct bench_series {
	const char *name; /* the table's row label (not owned) */
	double *v;
	size_t n;
	size_t cap;
};

struct bench_summary {
	size_t n;
	double median;
	double min;
	double max;
	double p90;
};

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t bench_now_ns(void);

/* Milliseconds between two bench_now_ns() values. */
double bench_ms(uint64_t t0, uint64_t t1);

/* Prepare an empty series named name, room for cap samples. 0 or -ENOMEM. */
int bench_series_init(struct bench_series *s, const char *name, size_t cap);

/* Append one sample (grows as needed). 0 or -ENOMEM. */
int bench_series_add(struct bench_series *s, double ms);

/* Release the samples; the series is empty afterwards. */
void bench_series_free(struct bench_series *s);

/* Summarise s (the samples are not reordered); all 0 when s is empty. */
void bench_series_summary(const struct bench_series *s,
			  struct bench_summary *out);

/*
 * bench_table_print - a Markdown table of rows[0..n): samples, median,
 * min, max, p90 (ms) and the median as a multiple of rows[base]'s median.
 * Rows without samples are left out.
 */
void bench_table_print(FILE *f, const char *title,
		       const struct bench_series *rows, size_t n, size_t base);

/*
 * bench_ratio - median of a over median of b (0 when b's median is 0).
 */
double bench_ratio(const struct bench_series *a, const struct bench_series *b);

/* Parse a positive count for option opt; exits with a message if bad. */
size_t bench_parse_count(const char *opt, const char *arg);

#endif
