/*
 * loop.h - the supervisor's one event loop: curl multi, fds, timers.
 *
 * Design note
 * -----------
 * Single-threaded, on epoll. curl's sockets join the same epoll set
 * through CURLMOPT_SOCKETFUNCTION and its timeout through
 * CURLMOPT_TIMERFUNCTION, so one epoll_wait() sleeps on the API transfers,
 * the worker pipes and the signalfd at once, with a timeout that is the
 * nearest of our timers and curl's. (curl_multi_poll() was not used: it
 * drops POLLHUP on extra fds, and a worker's closed pipe must be seen.)
 * Callbacks may add or remove fds and timers at any time; entries are
 * looked up again before each dispatch, so removal during dispatch is
 * safe. Nothing blocks: every fd given to the loop must be non-blocking.
 */
#ifndef GAO_SUPERVISOR_LOOP_H
#define GAO_SUPERVISOR_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include <curl/curl.h>

struct loop;

#define LOOP_IN 1
#define LOOP_OUT 2
#define LOOP_ERR 4 /* error or hang-up; always reported */

typedef void (*loop_fd_fn)(struct loop *l, int fd, int events, void *ctx);
typedef void (*loop_timer_fn)(struct loop *l, void *ctx);
typedef void (*loop_curl_fn)(struct loop *l, CURLMsg *msg, void *ctx);

/* A new loop; NULL on ENOMEM. Owns its CURLM handle (loop_multi()). */
struct loop *loop_new(void);

/* Free the loop and its CURLM handle (the caller has removed its curl
 * easy handles first). Watched fds are not closed: their owners close
 * them. Children still watched (child.h) must be drained first. NULL is
 * a no-op. */
void loop_free(struct loop *l);

/* The loop's CURLM handle: add easy handles to it; owned by the loop. */
CURLM *loop_multi(struct loop *l);

/* Called for each finished curl transfer (CURLMSG_DONE); one callback
 * per loop, replaced by the next call. */
void loop_on_curl_done(struct loop *l, loop_curl_fn fn, void *ctx);

/* Watch fd (non-blocking, owned by the caller) for events (LOOP_IN,
 * LOOP_OUT; LOOP_ERR is always reported). 0, -EEXIST when fd is already
 * watched, or another -errno. */
int loop_add_fd(struct loop *l, int fd, int events, loop_fd_fn fn, void *ctx);

/* Change the events of a watched fd: 0, -ENOENT when not watched. */
int loop_mod_fd(struct loop *l, int fd, int events);

/* Stop watching fd (before closing it); unknown fds are ignored. Safe
 * from inside any callback. */
void loop_del_fd(struct loop *l, int fd);

/* One-shot timer after delay_ms; returns an id > 0, or 0 on ENOMEM.
 * Timers due at once fire in the order they were added. */
uint64_t loop_add_timer(struct loop *l, uint64_t delay_ms, loop_timer_fn fn,
			void *ctx);

/* Cancel a timer that has not fired; unknown or fired ids are ignored. */
void loop_cancel_timer(struct loop *l, uint64_t id);

/* Run until loop_stop(). 0, or -errno when polling failed. */
int loop_run(struct loop *l);

/* Run until done(ctx) is true (checked before each pass) or loop_stop().
 * 0, or -errno when polling failed. */
int loop_run_until(struct loop *l, bool (*done)(void *ctx), void *ctx);

/* Make loop_run return after the callback in progress; events already
 * collected wait for the next run. */
void loop_stop(struct loop *l);

/* Milliseconds on CLOCK_MONOTONIC (common/clock.h). */
uint64_t loop_now_ms(void);

#endif
