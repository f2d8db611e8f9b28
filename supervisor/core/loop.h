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
void loop_free(struct loop *l);
CURLM *loop_multi(struct loop *l);

/* Called for each finished curl transfer (CURLMSG_DONE). */
void loop_on_curl_done(struct loop *l, loop_curl_fn fn, void *ctx);

/* Watch fd for events (LOOP_IN/LOOP_OUT). 0 or -errno. */
int loop_add_fd(struct loop *l, int fd, int events, loop_fd_fn fn, void *ctx);
int loop_mod_fd(struct loop *l, int fd, int events);
void loop_del_fd(struct loop *l, int fd);

/* One-shot timer after delay_ms; returns an id > 0, or 0 on ENOMEM. */
uint64_t loop_add_timer(struct loop *l, uint64_t delay_ms, loop_timer_fn fn,
			void *ctx);
void loop_cancel_timer(struct loop *l, uint64_t id);

/* Run until loop_stop(). 0, or -errno when polling failed. */
int loop_run(struct loop *l);

/* Run until done(ctx) is true (checked before each pass) or loop_stop().
 * 0, or -errno when polling failed. */
int loop_run_until(struct loop *l, bool (*done)(void *ctx), void *ctx);
void loop_stop(struct loop *l);

/* Milliseconds on CLOCK_MONOTONIC. */
uint64_t loop_now_ms(void);

#endif
