/*
 * test_watch.c - the supervisor's verdict on a project measurement
 * (agent/watch.h): the worker's answer is hostile input, so anything but
 * a well-formed complete measurement under both caps stops the run.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "supervisor/agent/watch.h"

static const struct watch_caps caps = { .max_bytes = 1000, .max_files = 10 };

static enum session_stop
verdict(const char *content, bool is_error, char *why, size_t cap)
{
	struct msg_tool_result r = { .id = "gao-measure-1",
				     .content = (char *)content,
				     .is_error = is_error,
				     .exit_code = -1 };

	return watch_verdict(&caps, &r, why, cap);
}

Test(watch, within_the_caps)
{
	char why[512] = "";

	cr_assert_eq(verdict("measure 1000 10 complete\n", false, why,
			     sizeof(why)),
		     SESSION_STOP_NONE);
	cr_assert_eq(verdict("measure 0 0 complete\n", false, why, sizeof(why)),
		     SESSION_STOP_NONE);
	cr_assert_eq(verdict("measure 5 5 complete", false, why, sizeof(why)),
		     SESSION_STOP_NONE);
}

Test(watch, over_each_cap)
{
	char why[512] = "";

	cr_assert_eq(verdict("measure 10 11 over\n", false, why, sizeof(why)),
		     SESSION_STOP_FILE_LIMIT);
	cr_assert(strstr(why, "--max-files"), "%s", why);
	cr_assert_eq(verdict("measure 1001 3 over\n", false, why, sizeof(why)),
		     SESSION_STOP_DISK_LIMIT);
	cr_assert(strstr(why, "--max-disk"), "%s", why);
	/* a "complete" answer over a cap is over all the same */
	cr_assert_eq(verdict("measure 99999 3 complete\n", false, why,
			     sizeof(why)),
		     SESSION_STOP_DISK_LIMIT);
	cr_assert_eq(verdict("measure 1 50 complete\n", false, why,
			     sizeof(why)),
		     SESSION_STOP_FILE_LIMIT);
}

Test(watch, what_cannot_be_read_stops_the_run)
{
	static const char *const bad[] = {
		"",
		"measure",
		"measure 1 2",
		"measure 1 2 complete extra",
		"measure -1 2 complete",
		"measure 1 -2 complete",
		"measure 1x 2 complete",
		"measure 99999999999999999999999 2 complete",
		" measure 1 2 complete",
		"MEASURE 1 2 complete",
		"measure 1 2 COMPLETE",
		"measure 1 2 incomplete\nthe walk ran out of time",
		"measure 1 2 over\n", /* says over, numbers say within */
		"measure 1 2 done",
		"hello",
	};
	char why[512];

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		why[0] = 0;
		cr_assert_eq(verdict(bad[i], false, why, sizeof(why)),
			     SESSION_STOP_DISK_LIMIT, "accepted: \"%s\"",
			     bad[i]);
		cr_assert(why[0], "no reason for \"%s\"", bad[i]);
	}
	cr_assert_eq(verdict("measure 1 2 complete\n", true, why, sizeof(why)),
		     SESSION_STOP_DISK_LIMIT, "an is_error answer");
	cr_assert_eq(watch_verdict(&caps, NULL, why, sizeof(why)),
		     SESSION_STOP_DISK_LIMIT);
	cr_assert(strstr(why, "died"), "%s", why);
}

Test(watch, which_calls_are_measured)
{
	static const struct watch_caps none = { 0, 0 };

	cr_assert(watch_wants(&caps, "Write"));
	cr_assert(watch_wants(&caps, "Edit"));
	cr_assert(watch_wants(&caps, "MultiEdit"));
	cr_assert(watch_wants(&caps, "Bash"));
	cr_assert_not(watch_wants(&caps, "Read"));
	cr_assert_not(watch_wants(&caps, "Glob"));
	cr_assert_not(watch_wants(&caps, "Grep"));
	cr_assert_not(watch_wants(&caps, "TodoWrite"));
	cr_assert_not(watch_wants(&caps, "bash"));
	cr_assert_not(watch_wants(&caps, NULL));
	cr_assert_not(watch_wants(&none, "Write"));
}

Test(watch, the_request)
{
	json_t *in = watch_input(&caps);

	cr_assert_eq(json_integer_value(json_object_get(in, "max_bytes")),
		     1000);
	cr_assert_eq(json_integer_value(json_object_get(in, "max_files")), 10);
	json_decref(in);
	cr_assert_str_eq(WATCH_TOOL, "gao_measure");
}
