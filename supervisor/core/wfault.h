/*
 * wfault.h - failures of gao-dev's own writes, injected on purpose (test
 * builds only).
 *
 * Design note
 * -----------
 * A full disk, a quota or a file system turned read-only must end a run
 * as an infrastructure error that names the file (docs/reliability.md,
 * "Full and read-only disks"). A small tmpfs produces ENOSPC; EDQUOT,
 * EROFS mid-run or a failure of one chosen file among several cannot be
 * had from it on demand. This module is the one place that makes them:
 * `--test-fault SPEC` (a switch compiled only with -Dtest_switches=true)
 * gives it a list, comma-separated, of
 *
 *   KIND:N[:ERRNO]   the N-th write (1-based, counted over the whole
 *                    invocation) of a file of KIND fails with ERRNO
 *                    (ENOSPC, EDQUOT, EROFS or EIO; default ENOSPC);
 *                    KIND is events, transcript, audit (the agents' and
 *                    the run's audit logs), results or recording
 *   stop-after-lock  the supervisor stops itself (SIGSTOP) right after a
 *                    run's lock file appears under its name, for a test
 *                    to look at it then (run_lock.h)
 *   mkdirs           a run cannot make its directories (EIO) once its
 *                    lock is taken: a run that fails before it begins
 *                    (run.c make_dirs)
 *
 * Each writer of those files asks wfault_write() once per write, just
 * before its real write, and takes a nonzero answer down the path a real
 * failure takes (the same errno, the same message, the same cleanup).
 * In a release build wfault_write() is an inline 0 and
 * wfault_stop_after_lock() an empty inline: nothing of this module is
 * compiled in. Single-threaded (the supervisor's loop thread).
 */
#ifndef GAO_SUPERVISOR_WFAULT_H
#define GAO_SUPERVISOR_WFAULT_H

#include "config.h"

enum wfault_kind {
	WFAULT_EVENTS,     /* runs/<id>/events.jsonl */
	WFAULT_TRANSCRIPT, /* runs/<id>/agents/NN-...transcript.jsonl */
	WFAULT_AUDIT,      /* the audit logs, the agents' and the run's */
	WFAULT_RESULTS,    /* results/<id>.json (and its temporary file) */
	WFAULT_RECORDING,  /* --record DIR: a conversation's lines */
	WFAULT_KINDS,
};

#if GAO_DEV_TEST_SWITCHES
/*
 * wfault_set - take SPEC (the design note's form); 0, or -1 with a
 * message on stderr naming what is wrong. Replaces an earlier SPEC.
 */
int wfault_set(const char *spec);

/* 0: write; else the errno (> 0) this write of kind k fails with. */
int wfault_write(enum wfault_kind k);

/* SIGSTOP to itself when stop-after-lock was asked for. */
void wfault_stop_after_lock(void);

/* EIO when mkdirs was asked for, else 0. */
int wfault_mkdirs(void);
#else
static inline int
wfault_write(enum wfault_kind k)
{
	(void)k;
	return 0;
}

static inline void
wfault_stop_after_lock(void)
{
}

static inline int
wfault_mkdirs(void)
{
	return 0;
}
#endif

#endif
