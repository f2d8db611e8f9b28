/*
 * cli_value.h - the values of the command-line options: whole numbers,
 * amounts, sizes, isolation levels, shards. For cli.c alone.
 *
 * Design note
 * -----------
 * Each parser takes the option's name and the text given, checks the
 * whole text against the option's range and either stores the value or
 * prints one line to stderr naming the option, the value and what is
 * expected (the fix), then returns -1: cli_parse() stops there (exit 2).
 * Nothing is allocated. The two value checks other modules use as well
 * (sizes and anthropic-version dates in the user config) are declared in
 * cli.h: cli_parse_size() and cli_api_version_ok(), defined in
 * cli_value.c.
 */
#ifndef GAO_SUPERVISOR_CLI_VALUE_H
#define GAO_SUPERVISOR_CLI_VALUE_H

#include <stdbool.h>
#include <stdint.h>

/*
 * cli_value_bad - print "gao-dev: OPT VAL: expected WANT" (VAL escaped
 * for the terminal) to stderr. Returns -1, for the caller to return.
 */
int cli_value_bad(const char *opt, const char *val, const char *want);

/*
 * cli_value_int - s as a whole number from min to max (decimal, the
 * whole text) into *out: 0, or -1 after saying so (*out unchanged).
 */
int cli_value_int(const char *opt, const char *s, int64_t min, int64_t max,
		  int64_t *out);

/*
 * cli_value_num - s as a finite number of at least min into *out: 0, or
 * -1 after saying so (inf and nan are refused: 0 is how a cap is off).
 */
int cli_value_num(const char *opt, const char *s, double min, double *out);

/*
 * cli_value_level - an isolation level name (none, seccomp, landlock,
 * full) as its index 0 to 3 (enum run_isolation) into *out: 0, or -1
 * after saying so (for --require-isolation).
 */
int cli_value_level(const char *s, int *out);

/*
 * cli_value_cap - arg as a size from min to max bytes (cli_parse_size)
 * into *out, and *set true: 0, or -1 after saying so (nothing set).
 */
int cli_value_cap(const char *opt, const char *arg, uint64_t min, uint64_t max,
		  uint64_t *out, bool *set);

/*
 * cli_value_shard - --shard I/N: two whole numbers in plain decimal
 * digits (no sign, no spaces, no leading zero), 1 <= I <= N <=
 * CLI_MAX_SHARDS, into *i and *n: 0, or -1 after saying so.
 */
int cli_value_shard(const char *s, int *i, int *n);

#endif
