/*
 * runner.h - the "sandbox run" and "sandbox validate" commands.
 */
#ifndef GAO_SUPERVISOR_RUNNER_H
#define GAO_SUPERVISOR_RUNNER_H

#include <stddef.h>

#include "supervisor/config/cli.h"

/* Run every config of c (jobs at once, repeats); returns the exit code. */
int runner_run(struct cli *c);

/* Validate configs, print findings; 0 or EXIT_USAGE. */
int runner_validate(struct cli *c);

/*
 * runner_open_worker - the gao-dev-worker binary a run uses
 * ($GAO_DEV_WORKER, next to gao-dev, then the install's libexec), opened
 * O_PATH | O_CLOEXEC; -1 with a message in err.
 */
int runner_open_worker(char *err, size_t errlen);

/*
 * runner_pick_caps - the run totals of c completed from the user config
 * as a run takes them (the options win; max_memory: there counts as asked
 * for). 0, or EXIT_USAGE after saying what is wrong.
 */
int runner_pick_caps(struct cli *c);

#endif
