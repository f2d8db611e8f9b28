/*
 * record_replay.h - the --record DIR and --replay DIR options of an
 * invocation: checked, opened before any run, closed after the last.
 *
 * Design note
 * -----------
 * The recording itself (format, matching) is the API client's
 * (supervisor/api/recording.h). Here is what the invocation decides:
 * the work units must have unique benchmark names (a recording is keyed
 * by them, as shards are), the directory is opened before the key is
 * loaded (a replay needs no key, and an unusable directory is a usage
 * error, exit 2, before anything is spent), and at the end a recording
 * that lost a write makes the invocation exit 4 (it is incomplete).
 */
#ifndef GAO_SUPERVISOR_RECORD_REPLAY_H
#define GAO_SUPERVISOR_RECORD_REPLAY_H

#include <stdbool.h>
#include <stddef.h>

#include "supervisor/api/recording.h"
#include "supervisor/config/benchmark.h"
#include "supervisor/config/cli.h"

/*
 * record_replay_open - *rec = the recording c asks for (--record or
 * --replay), or NULL when it asks for none. Returns 0, or EXIT_USAGE with
 * the reason (naming the option, the directory or the configs, and the
 * fix) in err.
 */
int record_replay_open(const struct cli *c, struct benchmark *const *configs,
		       int n_configs, struct rec **rec, char *err,
		       size_t errlen);

/*
 * record_replay_close - the line the summary ends with (into line:
 * "recorded N API calls to DIR" or "replayed N API calls from DIR, D
 * tool results differed"), then close rec (NULL is fine: line is "").
 * complete: the invocation was not interrupted. Returns rc, or EXIT_INFRA
 * (when rc was 0, 1 or 5) with the reason in err when the recording is
 * incomplete.
 */
int record_replay_close(struct rec *rec, bool complete, int rc, char *line,
			size_t linecap, char *err, size_t errlen);

#endif
