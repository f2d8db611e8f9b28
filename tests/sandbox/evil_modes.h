/*
 * evil_modes.h - what the supervisor must say about each misbehaviour of
 * evil_worker.c (see its header for the modes).
 *
 * One table for both places that run the hostile worker: attempt #28 of
 * the escape suite (test_frames.c, the worker spawned at each isolation
 * level) and tests/unit/test_wconn.c (unconfined, also in the sanitizer
 * build). A mode added to evil_worker.c belongs here, with its reason.
 * log_flood is not here: that worker is served, not killed.
 */
#ifndef GAO_TESTS_EVIL_MODES_H
#define GAO_TESTS_EVIL_MODES_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct evil_mode {
	const char *name; /* EVIL_MODE */
	bool call;        /* make a tool call after READY */
	const char *why;  /* the dead callback's reason holds one of
			   * these '|'-separated substrings */
};

static const struct evil_mode evil_modes[] = {
	{ "garbage", false, "malformed msgpack" },
	{ "huge", false, "frame larger than the maximum" },
	{ "empty", false, "empty frame" },
	{ "deep", false, "nesting too deep" },
	{ "unknown_type", false, "unknown or missing message type" },
	{ "unknown_field", false, "unknown field" },
	{ "trailing", false, "trailing bytes" },
	{ "early_result", false, "sent TOOL_RESULT, not permitted now" },
	{ "double_ready", false, "sent READY, not permitted now" },
	{ "unsolicited", false, "sent TOOL_RESULT, not permitted now" },
	{ "wrong_id", true, "wrong tool_use id" },
	{ "big_result", true, "too large" },
	{ "stall_start", false, "did not become ready in time" },
	{ "silent", false, "did not become ready in time" },
	/* gone before INIT: wconn_start itself reports it */
	{ "exit", false, "worker exited|cannot talk to the worker" },
	{ "fork_hold", false, "malformed msgpack" },
	{ "stall_busy", true, "missed the tool deadline" },
};

#define EVIL_N_MODES (sizeof(evil_modes) / sizeof(evil_modes[0]))

/* Whether why holds one of want's '|'-separated substrings. */
static inline bool
evil_reason_ok(const char *why, const char *want)
{
	char buf[128], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", want);
	for (char *t = strtok_r(buf, "|", &save); t;
	     t = strtok_r(NULL, "|", &save))
		if (strstr(why, t))
			return true;
	return false;
}

#endif
