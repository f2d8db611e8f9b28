/*
 * harness_replay.h - what test_replay.c and test_replay_refuse.c share:
 * the configs and scenarios they record, a gao-dev run with no key at
 * all, stopping the fake for good, and reading a recording's files.
 */
#ifndef GAO_TESTS_HARNESS_REPLAY_H
#define GAO_TESTS_HARNESS_REPLAY_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "harness_bench.h"

#define SCEN "tests/integration/scenarios/replay.json"
#define RETRY "tests/integration/scenarios/retry.json"
#define EXHAUSTED "tests/integration/scenarios/replay-exhausted.json"

#define ALPHA \
	"name: alpha\ndescription: two phases, two agents\n" \
	"initial_prompt: do it\nworkflow_phases:\n" \
	"  - phase_name: Stamp Step\n    agent: Amelia\n" \
	"  - phase_name: Test Step\n    agent: Murat\n" \
	"success_criteria:\n  quality_gates:\n" \
	"    tests_passing: true\n"
#define BETA \
	"name: beta\ndescription: the project's tests fail\n" \
	"initial_prompt: do it\nworkflow_phases:\n" \
	"  - phase_name: Broken Step\n    agent: Amelia\n" \
	"success_criteria:\n  quality_gates:\n" \
	"    tests_passing: true\n"
#define GAMMA \
	"name: gamma\ndescription: one call, retried\n" \
	"initial_prompt: do it\nworkflow_phases:\n" \
	"  - phase_name: Only Step\n    agent: Amelia\n"

/*
 * `gao-dev sandbox run ARGS... --standalone --sandbox-root ROOT` in
 * t->dir with no key anywhere and ANTHROPIC_BASE_URL at port; the output
 * into t->out.
 */
void hr_run_nokey(struct hb *t, const char *root, int port,
		  const char *const *args);

/* Whether something accepts connections on 127.0.0.1:port. */
bool hr_port_open(int port);

/* Stop t's fake and make sure nothing answers on its port any more. */
void hr_stop_fake(struct hb *t);

/* The POST /v1/messages requests the fake that wrote record got. */
size_t hr_fake_posts(const char *record);

/* Every .jsonl file below dir (recursive) appended to paths. */
void hr_jsonl_files(const char *dir, json_t *paths);

#endif
