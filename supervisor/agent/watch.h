/*
 * watch.h - the project watch: the run's disk and file caps.
 *
 * Design note
 * -----------
 * Nothing in the kernel caps a directory tree's size on these hosts (no
 * project quotas), so the run watches the project: after every tool call
 * that can write (Write, Edit, MultiEdit, Bash), the batch asks the
 * agent's own confined worker to measure it (the worker's "gao_measure",
 * worker/tool_measure.c); the supervisor never walks the agent's tree.
 * This file holds the supervisor's half: which calls are measured, the
 * request, and the verdict on the worker's answer, which is hostile
 * input like any other: anything but a well-formed "complete" answer
 * under both caps stops the run (an answer that is malformed, incomplete
 * or missing because the worker died: the project could not be shown to
 * be within its caps).
 *
 * RLIMIT_FSIZE (no more than the disk cap, run_caps.c) bounds each file
 * one call writes, not their number: a call can overshoot the cap by
 * several files before the measurement that follows it.
 */
#ifndef GAO_SUPERVISOR_WATCH_H
#define GAO_SUPERVISOR_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "proto/msg.h"
#include "supervisor/agent/stop.h"

#define WATCH_TOOL "gao_measure" /* the worker's tool; never a model's */
#define WATCH_TIMEOUT_MS 20000   /* the measurement's deadline */

/* The caps; 0 = no cap of that kind (both 0: no watch). */
struct watch_caps {
	uint64_t max_bytes;
	uint64_t max_files;
};

/* Whether a call of tool must be followed by a measurement. */
bool watch_wants(const struct watch_caps *c, const char *tool);

/* The gao_measure input for c (a new reference). */
json_t *watch_input(const struct watch_caps *c);

/*
 * watch_verdict - the worker's answer r (NULL: it died or could not be
 * asked) against the caps. SESSION_STOP_NONE when the project is within
 * both; else SESSION_STOP_FILE_LIMIT or SESSION_STOP_DISK_LIMIT (also for
 * an answer that is not a complete measurement) with why filled.
 */
enum session_stop watch_verdict(const struct watch_caps *c,
				const struct msg_tool_result *r, char *why,
				size_t whylen);

#endif
