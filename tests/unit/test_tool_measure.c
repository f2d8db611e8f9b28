/*
 * test_tool_measure.c - gao_measure, the worker's half of the project
 * watch: counts entries and allocated bytes beneath the project only,
 * never follows a symlink out, stops early past a cap ("over"), and says
 * "incomplete" for what it cannot see (an unreadable directory, a tree
 * too deep), which the supervisor turns into a stop.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/tool_fixture.h"
#include "worker/tool.h"

static struct tool_fixture fx;
static struct tool_out out;

static void
setup(void)
{
	tool_fixture_begin(&fx, &out);
}

static void
teardown(void)
{
	char path[PATH_MAX * 2];

	/* a test may leave a 000 directory: give it back for the cleanup */
	snprintf(path, sizeof(path), "%s/locked", fx.dir);
	chmod(path, 0700);
	tool_fixture_end(&fx, &out);
}

TestSuite(measure, .init = setup, .fini = teardown);

struct m {
	uint64_t bytes, entries;
	char state[16];
};

static struct m
measure(uint64_t max_bytes, uint64_t max_files)
{
	char json[128];
	struct m m = { 0 };
	int n = -1;

	snprintf(json, sizeof(json),
		 "{\"max_bytes\": %" PRIu64 ", \"max_files\": %" PRIu64 "}",
		 max_bytes, max_files);
	tool_fixture_run(&fx, tool_measure, json, 10000, &out);
	cr_assert_not(out.is_error, "%s", out.content);
	cr_assert_eq(sscanf(out.content,
			    "measure %" SCNu64 " %" SCNu64 " %15s%n", &m.bytes,
			    &m.entries, m.state, &n),
		     3, "%s", out.content);
	return m;
}

Test(measure, empty_project)
{
	struct m m = measure(0, 0);

	cr_assert_eq(m.entries, 0);
	cr_assert_eq(m.bytes, 0);
	cr_assert_str_eq(m.state, "complete");
}

Test(measure, counts_files_and_directories)
{
	struct m m;

	tool_fixture_put(fx.dir, "a.txt", "hello\n");
	tool_fixture_put(fx.dir, "d/e/f.txt", "x");
	tool_fixture_put(fx.dir, "d/g.txt", "y");
	m = measure(0, 0);
	/* a.txt d d/e d/e/f.txt d/g.txt */
	cr_assert_eq(m.entries, 5, "%s", out.content);
	cr_assert_str_eq(m.state, "complete");
	cr_assert_gt(m.bytes, 0);
}

Test(measure, allocated_bytes_of_a_large_file)
{
	static char buf[1 << 20];
	struct m m;

	memset(buf, 'x', sizeof(buf));
	tool_fixture_put_bytes(fx.dir, "big", buf, sizeof(buf));
	m = measure(0, 0);
	cr_assert_geq(m.bytes, sizeof(buf), "%s", out.content);
	cr_assert_str_eq(m.state, "complete");
}

Test(measure, symlinks_are_counted_not_followed)
{
	struct m m;

	/* a big tree outside, reachable through links: never counted */
	for (int i = 0; i < 50; i++) {
		char rel[32];

		snprintf(rel, sizeof(rel), "tree/f%d", i);
		tool_fixture_put(fx.outside, rel, "outside");
	}
	tool_fixture_symlink(fx.outside, fx.dir, "out");
	tool_fixture_symlink("/", fx.dir, "root");
	tool_fixture_symlink("out/tree", fx.dir, "rel");
	m = measure(0, 0);
	cr_assert_eq(m.entries, 3, "%s", out.content);
	cr_assert_str_eq(m.state, "complete");
}

Test(measure, stops_early_past_the_file_cap)
{
	struct m m;

	for (int i = 0; i < 100; i++) {
		char rel[32];

		snprintf(rel, sizeof(rel), "f%d", i);
		tool_fixture_put(fx.dir, rel, "");
	}
	m = measure(0, 10);
	cr_assert_str_eq(m.state, "over");
	cr_assert_eq(m.entries, 11, "stops at the first entry past the cap");
	m = measure(0, 100);
	cr_assert_str_eq(m.state, "complete");
	cr_assert_eq(m.entries, 100);
}

Test(measure, stops_early_past_the_byte_cap)
{
	static char buf[256 << 10];
	struct m m;

	memset(buf, 'y', sizeof(buf));
	for (int i = 0; i < 8; i++) {
		char rel[32];

		snprintf(rel, sizeof(rel), "b%d", i);
		tool_fixture_put_bytes(fx.dir, rel, buf, sizeof(buf));
	}
	m = measure(1 << 20, 0);
	cr_assert_str_eq(m.state, "over");
	cr_assert_gt(m.bytes, 1 << 20);
	cr_assert_lt(m.entries, 8);
}

Test(measure, a_tree_too_deep_is_incomplete)
{
	char rel[2048] = "";
	struct m m;

	for (int i = 0; i < 205; i++)
		strcat(rel, "a/");
	strcat(rel, "f");
	tool_fixture_put(fx.dir, rel, "");
	m = measure(0, 0);
	cr_assert_str_eq(m.state, "incomplete", "%s", out.content);
	cr_assert(strstr(out.content, "nested too deeply"));
}

Test(measure, an_unreadable_directory_is_incomplete)
{
	char path[PATH_MAX * 2];
	struct m m;

	if (geteuid() == 0)
		cr_skip_test("root reads a 0000 directory (the confined "
			     "worker does not: tests/integration/"
			     "test_caps.c)");
	tool_fixture_put(fx.dir, "locked/inside", "x");
	snprintf(path, sizeof(path), "%s/locked", fx.dir);
	cr_assert_eq(chmod(path, 0), 0);
	m = measure(0, 0);
	cr_assert_str_eq(m.state, "incomplete", "%s", out.content);
}

Test(measure, bad_caps_mean_no_cap)
{
	tool_fixture_put(fx.dir, "a", "");
	tool_fixture_run(&fx, tool_measure,
			 "{\"max_bytes\": -5, \"max_files\": \"x\"}", 10000,
			 &out);
	cr_assert_eq(strncmp(out.content, "measure ", 8), 0);
	cr_assert(strstr(out.content, " complete"));
}

/* The agent's temporary directory counts with the project: files parked
 * there are no way around the caps; one that cannot be read is no
 * answer. */
Test(measure, the_temporary_directory_counts_too)
{
	struct m m;

	tool_fixture_put(fx.dir, "a.txt", "hello\n");
	tool_fixture_put(fx.outside, "t1", "x");
	tool_fixture_put(fx.outside, "sub/t2", "y");
	m = measure(0, 0);
	cr_assert_eq(m.entries, 1, "%s", out.content);
	fx.ctx.tmp_dir = fx.outside;
	m = measure(0, 0);
	/* a.txt, and t1 sub sub/t2 */
	cr_assert_eq(m.entries, 4, "%s", out.content);
	cr_assert_str_eq(m.state, "complete");
	m = measure(0, 3);
	cr_assert_str_eq(m.state, "over", "%s", out.content);
	fx.ctx.tmp_dir = "/nonexistent-gao-dev-tmp";
	m = measure(0, 0);
	cr_assert_str_eq(m.state, "incomplete", "%s", out.content);
	fx.ctx.tmp_dir = NULL;
}
