/*
 * runner.h - the "sandbox run" and "sandbox validate" commands.
 */
#ifndef GAO_SUPERVISOR_RUNNER_H
#define GAO_SUPERVISOR_RUNNER_H

#include "supervisor/config/cli.h"

/* Run every config of c (jobs at once, repeats); returns the exit code. */
int runner_run(struct cli *c);

/* Validate configs, print findings; 0 or EXIT_USAGE. */
int runner_validate(struct cli *c);

#endif
