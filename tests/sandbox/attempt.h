/*
 * attempt.h - one escape attempt, registered once per isolation level.
 *
 * Design note
 * -----------
 * SBX_ATTEMPT(name) defines four Criterion tests, suites "full",
 * "no_namespaces", "no_landlock" and "seccomp_only", each of which starts
 * a fresh worker at its level (sbx_setup), runs the attempt's body with
 * it, and tears everything down in .fini (also after a failed
 * assertion). The body performs the attempt through the real tools,
 * checks what happened outside, and calls sbx_judge() with whether it
 * escaped; on the contained branch it also asserts the exact contained
 * outcome (errno, tool error, timeout). Filter with, for example,
 * --filter 'no_landlock/a01*'.
 */
#ifndef GAO_TESTS_ATTEMPT_H
#define GAO_TESTS_ATTEMPT_H

#include <criterion/criterion.h>

#include "sbx.h"

/* The sandbox of the running test (one test per process). */
extern struct sbx sbx_cur;

/* .fini of every attempt: sbx_teardown(&sbx_cur) when it was set up. */
void sbx_fini(void);

#define SBX_TEST_AT(suite, level, fn) \
	Test(suite, fn, .fini = sbx_fini, .timeout = 120) \
	{ \
		sbx_setup(&sbx_cur, level); \
		fn(&sbx_cur); \
	}

#define SBX_ATTEMPT(fn) \
	static void fn(struct sbx *s); \
	SBX_TEST_AT(full, SBX_FULL, fn) \
	SBX_TEST_AT(no_namespaces, SBX_NO_NS, fn) \
	SBX_TEST_AT(no_landlock, SBX_NO_LANDLOCK, fn) \
	SBX_TEST_AT(seccomp_only, SBX_SECCOMP_ONLY, fn) \
	static void fn(struct sbx *s)

#endif
