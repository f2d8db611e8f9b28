/*
 * loop.c - see loop.h for the design note.
 *
 * Sizes stay small (a few fds per agent, a timer or two per agent), so fds
 * and timers live in plain arrays scanned linearly: simpler than a heap and
 * fast enough for hundreds of agents.
 */
#include "supervisor/core/loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"

struct loop_fd {
	int fd;
	int events;
	bool is_curl; /* a socket curl asked us to watch */
	loop_fd_fn fn;
	void *ctx;
};

struct loop_timer {
	uint64_t id;
	uint64_t due;
	loop_timer_fn fn;
	void *ctx;
};

struct loop {
	CURLM *multi;
	int epfd;
	struct loop_fd *fds;
	size_t n_fds, cap_fds;
	struct loop_timer *timers;
	size_t n_timers, cap_timers;
	uint64_t next_id;
	uint64_t curl_due; /* 0 = no curl timeout pending */
	loop_curl_fn curl_fn;
	void *curl_ctx;
	bool stop;
};

uint64_t
loop_now_ms(void)
{
	return clock_now_ms();
}

static struct loop_fd *
find_fd(struct loop *l, int fd)
{
	for (size_t i = 0; i < l->n_fds; i++)
		if (l->fds[i].fd == fd)
			return &l->fds[i];
	return NULL;
}

/* Grow an array of elem-sized entries to hold n + 1. */
static int
grow(void **arr, size_t *cap, size_t n, size_t elem)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	p = realloc(*arr, ncap * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

static uint32_t
ep_events(int events)
{
	return (events & LOOP_IN ? EPOLLIN : 0u) |
	       (events & LOOP_OUT ? EPOLLOUT : 0u);
}

static int
ep_ctl(struct loop *l, int op, int fd, int events)
{
	struct epoll_event ev = { .events = ep_events(events) };

	ev.data.fd = fd;
	return epoll_ctl(l->epfd, op, fd, &ev) < 0 ? -errno : 0;
}

static int
add_entry(struct loop *l, struct loop_fd e)
{
	int rc;

	if (grow((void **)&l->fds, &l->cap_fds, l->n_fds, sizeof(*l->fds)))
		return -ENOMEM;
	rc = ep_ctl(l, EPOLL_CTL_ADD, e.fd, e.events);
	if (rc < 0)
		return rc;
	l->fds[l->n_fds++] = e;
	return 0;
}

static void
del_entry(struct loop *l, struct loop_fd *e)
{
	/* the fd may already be closed; EBADF/ENOENT are fine here */
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, e->fd, NULL);
	*e = l->fds[--l->n_fds];
}

/* CURLMOPT_SOCKETFUNCTION: curl tells us which sockets to watch. */
static int
curl_socket_cb(CURL *easy, curl_socket_t s, int what, void *userp,
	       void *socketp)
{
	struct loop *l = userp;
	struct loop_fd *e = find_fd(l, s);
	int events = (what == CURL_POLL_IN ? LOOP_IN : 0) |
		     (what == CURL_POLL_OUT ? LOOP_OUT : 0) |
		     (what == CURL_POLL_INOUT ? LOOP_IN | LOOP_OUT : 0);

	(void)easy;
	(void)socketp;
	if (what == CURL_POLL_REMOVE) {
		if (e && e->is_curl)
			del_entry(l, e);
		return 0;
	}
	if (e) {
		e->events = events;
		return ep_ctl(l, EPOLL_CTL_MOD, s, events) < 0 ? -1 : 0;
	}
	return add_entry(l, (struct loop_fd){ s, events, true, NULL, NULL }) <
			       0 ?
		       -1 :
		       0;
}

/* CURLMOPT_TIMERFUNCTION: curl wants to be called after timeout_ms. */
static int
curl_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct loop *l = userp;

	(void)multi;
	l->curl_due = timeout_ms < 0 ? 0 : loop_now_ms() + (uint64_t)timeout_ms;
	return 0;
}

struct loop *
loop_new(void)
{
	struct loop *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	l->multi = curl_multi_init();
	if (l->epfd < 0 || !l->multi) {
		loop_free(l);
		return NULL;
	}
	curl_multi_setopt(l->multi, CURLMOPT_SOCKETFUNCTION, curl_socket_cb);
	curl_multi_setopt(l->multi, CURLMOPT_SOCKETDATA, l);
	curl_multi_setopt(l->multi, CURLMOPT_TIMERFUNCTION, curl_timer_cb);
	curl_multi_setopt(l->multi, CURLMOPT_TIMERDATA, l);
	l->next_id = 1;
	return l;
}

void
loop_free(struct loop *l)
{
	if (!l)
		return;
	if (l->multi)
		curl_multi_cleanup(l->multi);
	if (l->epfd >= 0)
		close(l->epfd);
	free(l->fds);
	free(l->timers);
	free(l);
}

CURLM *
loop_multi(struct loop *l)
{
	return l->multi;
}

void
loop_on_curl_done(struct loop *l, loop_curl_fn fn, void *ctx)
{
	l->curl_fn = fn;
	l->curl_ctx = ctx;
}

int
loop_add_fd(struct loop *l, int fd, int events, loop_fd_fn fn, void *ctx)
{
	if (find_fd(l, fd))
		return -EEXIST;
	return add_entry(l, (struct loop_fd){ fd, events, false, fn, ctx });
}

int
loop_mod_fd(struct loop *l, int fd, int events)
{
	struct loop_fd *e = find_fd(l, fd);

	if (!e || e->is_curl)
		return -ENOENT;
	e->events = events;
	return ep_ctl(l, EPOLL_CTL_MOD, fd, events);
}

void
loop_del_fd(struct loop *l, int fd)
{
	struct loop_fd *e = find_fd(l, fd);

	if (e && !e->is_curl)
		del_entry(l, e);
}

uint64_t
loop_add_timer(struct loop *l, uint64_t delay_ms, loop_timer_fn fn, void *ctx)
{
	if (grow((void **)&l->timers, &l->cap_timers, l->n_timers,
		 sizeof(*l->timers)))
		return 0;
	l->timers[l->n_timers++] = (struct loop_timer){
		l->next_id,
		loop_now_ms() + delay_ms,
		fn,
		ctx,
	};
	return l->next_id++;
}

void
loop_cancel_timer(struct loop *l, uint64_t id)
{
	for (size_t i = 0; i < l->n_timers; i++) {
		if (l->timers[i].id == id) {
			l->timers[i] = l->timers[--l->n_timers];
			return;
		}
	}
}

void
loop_stop(struct loop *l)
{
	l->stop = true;
}

/* Milliseconds until the nearest timer (ours or curl's), capped at 1 s. */
static int
wait_timeout(const struct loop *l)
{
	uint64_t now = loop_now_ms(), best = now + 1000;

	for (size_t i = 0; i < l->n_timers; i++)
		if (l->timers[i].due < best)
			best = l->timers[i].due;
	if (l->curl_due && l->curl_due < best)
		best = l->curl_due;
	return best <= now ? 0 : (int)(best - now);
}

/* Index of the earliest timer due by now (ties: the first added), or
 * n_timers when none is due. */
static size_t
next_due(const struct loop *l, uint64_t now)
{
	size_t best = l->n_timers;

	for (size_t i = 0; i < l->n_timers; i++) {
		const struct loop_timer *t = &l->timers[i];

		if (t->due > now)
			continue;
		if (best == l->n_timers || t->due < l->timers[best].due ||
		    (t->due == l->timers[best].due &&
		     t->id < l->timers[best].id))
			best = i;
	}
	return best;
}

/* Fire every due timer in due order (removal swaps entries, so the array
 * order means nothing). */
static void
fire_timers(struct loop *l)
{
	uint64_t now = loop_now_ms();
	size_t i;

	while (!l->stop && (i = next_due(l, now)) < l->n_timers) {
		struct loop_timer t = l->timers[i];

		/* remove first: the callback may add or cancel timers */
		l->timers[i] = l->timers[--l->n_timers];
		t.fn(l, t.ctx);
	}
}

static void
curl_progress(struct loop *l, curl_socket_t s, int mask)
{
	CURLMsg *msg;
	int left, running;

	curl_multi_socket_action(l->multi, s, mask, &running);
	while ((msg = curl_multi_info_read(l->multi, &left))) {
		if (msg->msg == CURLMSG_DONE && l->curl_fn)
			l->curl_fn(l, msg, l->curl_ctx);
	}
}

static void
dispatch(struct loop *l, const struct epoll_event *ev)
{
	struct loop_fd *e = find_fd(l, ev->data.fd);
	int events = 0, mask = 0;

	if (!e)
		return;
	if (ev->events & EPOLLIN)
		events |= LOOP_IN;
	if (ev->events & EPOLLOUT)
		events |= LOOP_OUT;
	if (ev->events & (EPOLLERR | EPOLLHUP))
		events |= LOOP_ERR;
	if (!e->is_curl) {
		e->fn(l, e->fd, events, e->ctx);
		return;
	}
	mask = (events & LOOP_IN ? CURL_CSELECT_IN : 0) |
	       (events & LOOP_OUT ? CURL_CSELECT_OUT : 0) |
	       (events & LOOP_ERR ? CURL_CSELECT_ERR : 0);
	curl_progress(l, ev->data.fd, mask);
}

/* One pass: wait for events (at most until the next timer), dispatch
 * them, then curl's timeout and our due timers. 0, or -errno. */
static int
one_pass(struct loop *l)
{
	struct epoll_event evs[64];
	int n = epoll_wait(l->epfd, evs, 64, wait_timeout(l));

	if (n < 0 && errno != EINTR)
		return -errno;
	for (int i = 0; i < n && !l->stop; i++)
		dispatch(l, &evs[i]);
	if (l->curl_due && loop_now_ms() >= l->curl_due && !l->stop) {
		l->curl_due = 0;
		curl_progress(l, CURL_SOCKET_TIMEOUT, 0);
	}
	fire_timers(l);
	return 0;
}

int
loop_run(struct loop *l)
{
	int rc = 0;

	l->stop = false;
	while (!l->stop && rc == 0)
		rc = one_pass(l);
	return rc;
}

int
loop_run_until(struct loop *l, bool (*done)(void *ctx), void *ctx)
{
	int rc = 0;

	l->stop = false;
	while (!done(ctx) && !l->stop && rc == 0)
		rc = one_pass(l);
	return rc;
}
