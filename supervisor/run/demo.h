/*
 * demo.h - the "demo" command: the bundled demo benchmark, offline.
 *
 * Design note
 * -----------
 * What scripts/demo does in a checkout, for an installed gao-dev and from
 * any directory: start the bundled fake Anthropic API (python3, on
 * loopback, a demo key of its own), run the bundled demo benchmark
 * against it in this process (runner_run), stop the fake API and return
 * gao-dev's exit code. The files come from datadir_demo(); the user's
 * own key is never read or sent: ANTHROPIC_API_KEY is unset and
 * --api-key/--api-key-file are replaced by the demo key.
 */
#ifndef GAO_SUPERVISOR_DEMO_H
#define GAO_SUPERVISOR_DEMO_H

#include "supervisor/config/cli.h"

/*
 * demo_run - run the demo with c's run options (c->sandbox_root is where
 * projects and results go; cli.c makes it ./gao-dev-demo for this
 * command). c is changed: its configs and key become the demo's.
 * Returns the run's exit code, or EXIT_INFRA when the demo files are
 * missing or the fake API does not start (the message says which).
 */
int demo_run(struct cli *c);

#endif
