/*
 * test_uidmap.c - the run's uid inside whatever ids the user namespace
 * maps (supervisor/sandbox/uidmap.c).
 *
 * The container cases are maps as text: a plain host, rootless Podman's
 * "root plus a subordinate range", a userns-remapped Docker, root alone,
 * and malformed maps. The last test reads this process's own maps.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "supervisor/sandbox/uidmap.h"

static struct uidmap *
map(const char *text)
{
	static struct uidmap m[4];
	static int i;
	struct uidmap *out = &m[i++ % 4];

	cr_assert_eq(uidmap_parse(text, strlen(text), out), 0, "%s", text);
	return out;
}

/* Every id that some account names, for the tests: 1000 and 1001. */
static bool
taken_low(uint32_t id, void *arg)
{
	(void)arg;
	return id == 1000 || id == 1001;
}

static bool
taken_all(uint32_t id, void *arg)
{
	(void)arg;
	(void)id;
	return true;
}

Test(uidmap, parse_the_kernels_format)
{
	struct uidmap m;
	const char *t = "         0          0 4294967295\n";

	cr_assert_eq(uidmap_parse(t, strlen(t), &m), 0);
	cr_assert_eq(m.n, 1);
	cr_assert_eq(m.e[0].count, 4294967295u);
	t = "0 1000 1\n1 100000 65536\n";
	cr_assert_eq(uidmap_parse(t, strlen(t), &m), 0);
	cr_assert_eq(m.n, 2);
	cr_assert_eq(m.e[1].inside, 1);
	cr_assert_eq(m.e[1].outside, 100000);
	cr_assert_eq(uidmap_parse("", 0, &m), 0);
	cr_assert_eq(m.n, 0);
}

Test(uidmap, parse_refuses_malformed_maps)
{
	static const char *const bad[] = {
		"0 0\n",
		"0 0 0\n",
		"x 0 1\n",
		"0 0 1 junk\n",
		"-1 0 1\n",
		"4294967296 0 1\n",
		"4294967295 0 2\n",
		"0 0 4294967297\n",
	};
	struct uidmap m;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(uidmap_parse(bad[i], strlen(bad[i]), &m), -1, "%s",
			     bad[i]);
}

Test(uidmap, parse_refuses_more_lines_than_the_kernel_allows)
{
	char *t = malloc(20 * (UIDMAP_MAX_LINES + 2));
	size_t n = 0;
	struct uidmap m;

	cr_assert_not_null(t);
	for (int i = 0; i <= UIDMAP_MAX_LINES; i++)
		n += (size_t)sprintf(t + n, "%d %d 1\n", i, i);
	cr_expect_eq(uidmap_parse(t, n, &m), -1);
	free(t);
}

Test(uidmap, covers)
{
	struct uidmap *m = map("0 0 10\n10 500 10\n30 0 5\n");

	cr_expect(uidmap_covers(m, 0, 20));
	cr_expect(uidmap_covers(m, 5, 10));
	cr_expect_not(uidmap_covers(m, 15, 10));
	cr_expect(uidmap_covers(m, 30, 5));
	cr_expect_not(uidmap_covers(m, 34, 2));
}

Test(uidmap, plain_host_keeps_the_high_range)
{
	struct uidmap *u = map("0 0 4294967295\n");
	uint32_t rnd[] = { 0xdeadbeef };
	uid_t out = 0;

	cr_assert_eq(uidmap_pick(u, u, rnd, 1, taken_all, NULL, &out), 1);
	cr_expect_eq(out, UIDMAP_BASE + (0xdeadbeef & (UIDMAP_SPAN - 1)));
}

Test(uidmap, rootless_podman_picks_inside_the_subordinate_range)
{
	struct uidmap *u = map("0 1000 1\n1 100000 65536\n");
	uid_t out = 0;

	for (uint32_t r = 0; r < 200000; r += 997) {
		uint32_t rnd[] = { r };
		uint32_t id;

		cr_assert_eq(uidmap_pick(u, u, rnd, 1, NULL, NULL, &out), 1);
		id = (uint32_t)out;
		cr_assert(id >= UIDMAP_MIN_ID && id <= 65536, "%u", id);
		cr_assert(id != 65534 && id != 65535, "%u", id);
		cr_assert(uidmap_covers(u, id, 1), "%u", id);
	}
}

Test(uidmap, only_ids_both_maps_list)
{
	struct uidmap *u = map("0 0 1\n5000 200000 100\n");
	struct uidmap *g = map("0 0 1\n5050 300000 1000\n");
	uid_t out = 0;

	for (uint32_t r = 0; r < 1000; r++) {
		uint32_t rnd[] = { r * 2654435761u };

		cr_assert_eq(uidmap_pick(u, g, rnd, 1, NULL, NULL, &out), 1);
		cr_assert(out >= 5050 && out < 5100, "%u", (unsigned)out);
	}
}

Test(uidmap, an_accounts_id_is_never_picked)
{
	struct uidmap *u = map("0 0 1\n1000 100000 3\n");
	uint32_t rnd[] = { 0, 1, 2, 3 }; /* 1000, 1001, 1002 */
	uid_t out = 0;

	cr_assert_eq(uidmap_pick(u, u, rnd, 4, taken_low, NULL, &out), 1);
	cr_expect_eq(out, 1002);
	/* every try lands on a taken id: no separate uid */
	cr_expect_eq(uidmap_pick(u, u, rnd, 2, taken_low, NULL, &out), 0);
}

Test(uidmap, root_alone_or_only_system_ids_give_none)
{
	static const char *const maps[] = {
		"0 1000 1\n",
		"0 0 1000\n",
		"0 0 1\n65534 65534 2\n",
	};
	uint32_t rnd[] = { 7, 8, 9 };
	uid_t out = 42;

	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		struct uidmap *u = map(maps[i]);

		cr_expect_eq(uidmap_pick(u, u, rnd, 3, NULL, NULL, &out), 0,
			     "%s", maps[i]);
	}
	cr_expect_eq(out, 42);
}

Test(uidmap, this_process)
{
	char why[512] = "";
	uid_t out = 12345;
	int rc = uidmap_run_uid(&out, why, sizeof(why));

	if (geteuid() != 0) {
		cr_expect_eq(rc, 0);
		cr_expect_eq(out, geteuid());
		return;
	}
	cr_assert_geq(rc, 0, "%s", why);
	if (rc == 1)
		cr_expect_neq(out, 0);
	else
		cr_expect_eq(out, 0, "%s", why);
}
