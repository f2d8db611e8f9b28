/*
 * test_shard_assign.c - unit tests of the shard assignment (shard.h).
 *
 * Design note
 * -----------
 * The assignment is a promise across machines and versions: N machines
 * given the same options must agree without talking, today and after an
 * upgrade. So the expected shards are a fixed table, computed once
 * outside gao-dev (Python's hashlib.sha256 over "name" NUL "repeat" NUL
 * "k", the highest digest winning), and the rendezvous properties are
 * checked over many units: growing N to N+1 moves a unit only to the new
 * shard, and every shard gets a share.
 */
#include <stdio.h>

#include <criterion/criterion.h>

#include "supervisor/run/shard.h"

Test(shard, assignment_is_the_documented_hash)
{
	static const struct {
		const char *name;
		int repeat;
		int want[3]; /* for N = 2, 3, 7 */
	} t[] = {
		{ "alpha", 0, { 2, 2, 6 } },
		{ "alpha", 1, { 1, 3, 6 } },
		{ "alpha", 2, { 2, 2, 4 } },
		{ "beta", 0, { 2, 2, 2 } },
		{ "beta", 1, { 2, 3, 3 } },
		{ "beta", 2, { 1, 3, 5 } },
		{ "hello world", 0, { 2, 2, 6 } },
		{ "hello world", 1, { 1, 3, 3 } },
		{ "hello world", 2, { 1, 3, 5 } },
		{ "\xc3\x9cn\xc3\xaf"
		  "code",
		  0,
		  { 2, 2, 2 } },
		{ "\xc3\x9cn\xc3\xaf"
		  "code",
		  1,
		  { 1, 1, 1 } },
		{ "\xc3\x9cn\xc3\xaf"
		  "code",
		  2,
		  { 2, 2, 7 } },
	};
	static const int ns[] = { 2, 3, 7 };

	for (size_t i = 0; i < sizeof(t) / sizeof(*t); i++)
		for (size_t j = 0; j < 3; j++)
			cr_expect_eq(shard_of(t[i].name, t[i].repeat, ns[j]),
				     t[i].want[j], "%s/%d of %d", t[i].name,
				     t[i].repeat, ns[j]);
	/* one shard: everything is in it */
	cr_assert_eq(shard_of("alpha", 0, 1), 1);
}

Test(shard, growing_n_moves_units_only_to_the_new_shard)
{
	char name[32];

	for (int n = 1; n < 12; n++) {
		int moved = 0, count[13] = { 0 };

		for (int u = 0; u < 300; u++) {
			int a, b;

			snprintf(name, sizeof(name), "bench-%d", u);
			a = shard_of(name, u % 3, n);
			b = shard_of(name, u % 3, n + 1);
			cr_assert(a >= 1 && a <= n);
			cr_assert(b == a || b == n + 1,
				  "%s moved from %d to %d going to %d shards",
				  name, a, b, n + 1);
			moved += b != a;
			count[b]++;
		}
		/* about 1/(n+1) move; every shard gets a share */
		cr_assert(moved > 300 / (n + 1) / 3 &&
				  moved < 300 * 2 / (n + 1),
			  "%d of 300 moved to shard %d", moved, n + 1);
		for (int k = 1; k <= n + 1; k++)
			cr_assert(count[k] > 0, "shard %d of %d is empty", k,
				  n + 1);
	}
}
