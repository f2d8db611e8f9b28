/*
 * runner_signals.c - SIGINT, SIGTERM and SIGHUP during "sandbox run".
 *
 * Design note
 * -----------
 * The signals are blocked and read from a signalfd on the event loop, so
 * nothing runs in a signal handler. The first one cancels every run
 * (run_cancel: the workers are killed, the results written with status
 * "cancelled") and marks the invocation interrupted (exit 130); later
 * ones are read and dropped. The loop stops once no run is active.
 */
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "common/termesc.h"
#include "supervisor/core/loop.h"
#include "supervisor/run/run.h"
#include "supervisor/run/runner_int.h"

static void
on_signal(struct loop *l, int fd, int events, void *ctx)
{
	struct runner *rn = ctx;
	struct signalfd_siginfo si;

	(void)events;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (rn->interrupted)
			continue;
		rn->interrupted = true;
		termesc_fprintf(stderr,
				"gao-dev: signal %u: stopping the runs\n",
				si.ssi_signo);
		for (int i = 0; i < rn->n_slots; i++)
			if (rn->runs[i])
				run_cancel(rn->runs[i]);
	}
	if (!rn->active)
		loop_stop(l);
}

int
runner_signals_setup(struct runner *rn)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	rn->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (rn->sigfd < 0)
		return -1;
	return loop_add_fd(rn->env.loop, rn->sigfd, LOOP_IN, on_signal, rn);
}
