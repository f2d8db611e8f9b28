/*
 * child.c - see child.h.
 */
#include "supervisor/core/child.h"

#include <errno.h>
#include <stdbool.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/io.h"
#include "common/reaper.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434 /* the same number on every architecture */
#endif

#define CHILD_POLL_MS 5
#define ORPHAN_DRAIN_MS 5000 /* at shutdown: SIGKILLed orphans exit fast */

struct watch {
	uint64_t id;
	struct loop *loop;
	pid_t pid;
	int pidfd; /* -1: polled by timer */
	uint64_t timer;
	child_exit_fn fn;
	void *ctx;
};

/* Every watch of the process: the supervisor is single-threaded. */
static struct watch *watches;
static size_t n_watches, cap_watches;
static uint64_t next_id = 1;

/* Children that are ours but not watched yet (child_claim). */
static pid_t *claims;
static size_t n_claims, cap_claims;

/* The orphan sweep (child_adopt_orphans): its loop, pending pass, count. */
static struct loop *orphan_loop;
static uint64_t orphan_timer;
static unsigned long orphans_reaped;

static void schedule_sweep(void);

static struct watch *
find(uint64_t id)
{
	for (size_t i = 0; i < n_watches; i++)
		if (watches[i].id == id)
			return &watches[i];
	return NULL;
}

/* Take w out of the table (and the loop); returns its copy. */
static struct watch
take(struct watch *w)
{
	struct watch out = *w;

	if (out.pidfd >= 0) {
		loop_del_fd(out.loop, out.pidfd);
		close(out.pidfd);
	}
	if (out.timer)
		loop_cancel_timer(out.loop, out.timer);
	*w = watches[--n_watches];
	return out;
}

static void
finish(struct watch *w, int status)
{
	struct watch done = take(w);

	if (done.fn)
		done.fn(done.loop, done.pid, status, done.ctx);
	schedule_sweep();
}

/* Reap without blocking; true when the child is gone (status set). */
static bool
try_reap(pid_t pid, int *status)
{
	pid_t got = io_waitpid(pid, status, WNOHANG);

	if (got < 0)
		*status = 0; /* ECHILD: reaped elsewhere; nothing to wait for */
	return got != 0;
}

static void on_poll(struct loop *l, void *ctx);

static void
on_pidfd(struct loop *l, int fd, int events, void *ctx)
{
	struct watch *w = find((uint64_t)(uintptr_t)ctx);
	int status;

	(void)l;
	(void)fd;
	(void)events;
	if (w && try_reap(w->pid, &status))
		finish(w, status);
}

static void
on_poll(struct loop *l, void *ctx)
{
	struct watch *w = find((uint64_t)(uintptr_t)ctx);
	int status;

	if (!w)
		return;
	w->timer = 0;
	if (try_reap(w->pid, &status)) {
		finish(w, status);
		return;
	}
	w->timer = loop_add_timer(l, CHILD_POLL_MS, on_poll, ctx);
}

uint64_t
child_watch(struct loop *l, pid_t pid, child_exit_fn fn, void *ctx)
{
	struct watch *w;
	void *key;

	if (n_watches == cap_watches) {
		size_t ncap = cap_watches ? cap_watches * 2 : 16;
		struct watch *p = realloc(watches, ncap * sizeof(*p));

		if (!p)
			return 0;
		watches = p;
		cap_watches = ncap;
	}
	child_unclaim(pid); /* watched from now on */
	w = &watches[n_watches++];
	*w = (struct watch){ next_id++, l, pid, -1, 0, fn, ctx };
	key = (void *)(uintptr_t)w->id;
	w->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (w->pidfd >= 0 &&
	    loop_add_fd(l, w->pidfd, LOOP_IN, on_pidfd, key) < 0) {
		close(w->pidfd);
		w->pidfd = -1;
	}
	/* no pidfd (old kernel, a seccomp profile): poll, never block */
	if (w->pidfd < 0)
		w->timer = loop_add_timer(l, CHILD_POLL_MS, on_poll, key);
	if (w->pidfd < 0 && !w->timer) {
		n_watches--;
		return 0;
	}
	return w->id;
}

void
child_cancel(struct loop *l, uint64_t id)
{
	struct watch *w = find(id);

	if (w && w->loop == l)
		take(w);
}

size_t
child_pending(const struct loop *l)
{
	size_t n = 0;

	for (size_t i = 0; i < n_watches; i++)
		n += watches[i].loop == l;
	return n;
}

int
child_claim(pid_t pid)
{
	if (n_claims == cap_claims) {
		size_t ncap = cap_claims ? cap_claims * 2 : 16;
		pid_t *p = realloc(claims, ncap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		claims = p;
		cap_claims = ncap;
	}
	claims[n_claims++] = pid;
	return 0;
}

void
child_unclaim(pid_t pid)
{
	for (size_t i = 0; i < n_claims; i++)
		if (claims[i] == pid) {
			claims[i] = claims[--n_claims];
			return;
		}
}

static bool
watched(pid_t pid)
{
	for (size_t i = 0; i < n_watches; i++)
		if (watches[i].pid == pid)
			return true;
	for (size_t i = 0; i < n_claims; i++)
		if (claims[i] == pid)
			return true;
	return false;
}

/* One pass: SIGKILL the tree of every child nobody watches, and reap
 * those that are gone. How many such children there were (0: none), or
 * -errno when /proc cannot list them. */
static long
sweep_pass(void)
{
	pid_t *kids = NULL;
	long n = reaper_children(&kids), unknown = 0;

	for (long i = 0; i < n; i++) {
		int status;

		if (watched(kids[i]))
			continue;
		unknown++;
		reaper_kill_tree(kids[i]);
		if (io_waitpid(kids[i], &status, WNOHANG) > 0)
			orphans_reaped++;
	}
	free(kids);
	return n < 0 ? n : unknown;
}

static void
on_sweep(struct loop *l, void *ctx)
{
	(void)ctx;
	orphan_timer = 0;
	if (sweep_pass() > 0)
		orphan_timer = loop_add_timer(l, CHILD_POLL_MS, on_sweep, NULL);
}

static void
schedule_sweep(void)
{
	if (orphan_loop && !orphan_timer)
		orphan_timer = loop_add_timer(orphan_loop, 0, on_sweep, NULL);
}

int
child_adopt_orphans(struct loop *l)
{
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		return -errno;
	if (!reaper_proc_usable())
		return -ENOSYS;
	orphan_loop = l;
	return 0;
}

unsigned long
child_orphans_reaped(void)
{
	return orphans_reaped;
}

static bool
drained(void *ctx)
{
	return child_pending(ctx) == 0;
}

void
child_drain(struct loop *l)
{
	/* the loop, not a blocking waitpid: a reap's kill deadline (a timer)
	 * must still fire while we wait */
	while (child_pending(l) > 0 && loop_run_until(l, drained, l) == 0 &&
	       child_pending(l) > 0)
		; /* loop_stop() from a callback: go on until drained */
	if (orphan_loop == l) {
		struct timespec ms = { 0, 1000000 };
		uint64_t left = ORPHAN_DRAIN_MS;

		if (orphan_timer)
			loop_cancel_timer(l, orphan_timer);
		orphan_timer = 0;
		while (sweep_pass() > 0 && left-- > 0)
			nanosleep(&ms, NULL);
	}
	if (n_watches == 0 && n_claims == 0) {
		free(claims);
		claims = NULL;
		cap_claims = 0;
	}
	if (n_watches == 0) {
		free(watches);
		watches = NULL;
		cap_watches = 0;
	}
}
