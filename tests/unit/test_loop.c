/*
 * test_loop.c - unit tests of the event loop (loop.h): fds and timers.
 *
 * Design note
 * -----------
 * Real non-blocking pipes stand in for worker pipes; no curl transfer is
 * started (the curl side needs a server and is covered by the integration
 * tests). Callbacks append what happened to a small log, and each test
 * compares the log with the order the contract promises. Delays are a few
 * milliseconds so the whole binary runs in well under a second; a guard
 * timer stops any loop that would otherwise hang.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "supervisor/core/loop.h"

struct log {
	char s[128];
	size_t n;
};

static struct log lg;

static void
note(char c)
{
	cr_assert_lt(lg.n, sizeof(lg.s) - 1);
	lg.s[lg.n++] = c;
	lg.s[lg.n] = 0;
}

static void
mkpipe(int p[2])
{
	cr_assert_eq(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
}

static void
on_stop(struct loop *l, void *ctx)
{
	(void)ctx;
	note('S');
	loop_stop(l);
}

/* Stop the loop after ms whatever happens (a failing test must end). */
static void
guard(struct loop *l, uint64_t ms)
{
	cr_assert_gt(loop_add_timer(l, ms, on_stop, NULL), 0);
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { 0, ms * 1000000L };

	nanosleep(&ts, NULL);
}

struct fdctx {
	char tag;
	int events;
	int calls;
	int other; /* an fd to remove, or -1 */
	bool stop;
};

static void
on_fd(struct loop *l, int fd, int events, void *ctx)
{
	struct fdctx *c = ctx;
	char buf[16];

	c->calls++;
	c->events |= events;
	note(c->tag);
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	if (c->other >= 0)
		loop_del_fd(l, c->other);
	if (c->stop)
		loop_stop(l);
}

Test(loop, readable_callback)
{
	struct loop *l = loop_new();
	struct fdctx c = { .tag = 'r', .other = -1, .stop = true };
	int p[2];

	cr_assert_not_null(l);
	cr_assert_not_null(loop_multi(l));
	mkpipe(p);
	cr_assert_eq(loop_add_fd(l, p[0], LOOP_IN, on_fd, &c), 0);
	cr_assert_eq(write(p[1], "x", 1), 1);
	guard(l, 2000);
	cr_assert_eq(loop_run(l), 0);
	cr_assert_eq(c.calls, 1);
	cr_assert_eq(c.events, LOOP_IN);
	cr_assert_str_eq(lg.s, "r");
	loop_free(l);
	close(p[0]);
	close(p[1]);
}

Test(loop, nothing_ready_nothing_called)
{
	struct loop *l = loop_new();
	struct fdctx c = { .tag = 'r', .other = -1 };
	int p[2];

	mkpipe(p);
	cr_assert_eq(loop_add_fd(l, p[0], LOOP_IN, on_fd, &c), 0);
	guard(l, 20);
	cr_assert_eq(loop_run(l), 0);
	cr_assert_eq(c.calls, 0);
	cr_assert_str_eq(lg.s, "S");
	loop_free(l);
	close(p[0]);
	close(p[1]);
}

Test(loop, hangup_reported_as_err)
{
	struct loop *l = loop_new();
	struct fdctx c = { .tag = 'h', .other = -1, .stop = true };
	int p[2];

	mkpipe(p);
	cr_assert_eq(loop_add_fd(l, p[0], LOOP_IN, on_fd, &c), 0);
	close(p[1]);
	guard(l, 2000);
	cr_assert_eq(loop_run(l), 0);
	cr_assert_eq(c.calls, 1);
	cr_assert(c.events & LOOP_ERR, "events %d", c.events);
	loop_free(l);
	close(p[0]);
}

Test(loop, writable_and_mod)
{
	struct loop *l = loop_new();
	struct fdctx c = { .tag = 'w', .other = -1, .stop = true };
	int p[2];

	mkpipe(p);
	/* watched for nothing: never called */
	cr_assert_eq(loop_add_fd(l, p[1], 0, on_fd, &c), 0);
	guard(l, 20);
	cr_assert_eq(loop_run(l), 0);
	cr_assert_eq(c.calls, 0);
	cr_assert_eq(loop_mod_fd(l, p[1], LOOP_OUT), 0);
	guard(l, 2000);
	cr_assert_eq(loop_run(l), 0);
	cr_assert_eq(c.calls, 1);
	cr_assert_eq(c.events, LOOP_OUT);
	loop_free(l);
	close(p[0]);
	close(p[1]);
}

Test(loop, add_mod_del_errors)
{
	struct loop *l = loop_new();
	struct fdctx c = { .other = -1 };
	int p[2];

	mkpipe(p);
	cr_assert_eq(loop_add_fd(l, p[0], LOOP_IN, on_fd, &c), 0);
	cr_assert_eq(loop_add_fd(l, p[0], LOOP_IN, on_fd, &c), -EEXIST);
	cr_assert_eq(loop_mod_fd(l, p[1], LOOP_IN), -ENOENT);
	loop_del_fd(l, p[1]); /* unknown: no-op */
	loop_del_fd(l, p[0]);
	cr_assert_eq(loop_mod_fd(l, p[0], LOOP_IN), -ENOENT);
	/* once removed it may be added again */
	cr_assert_eq(loop_add_fd(l, p[0], LOOP_IN, on_fd, &c), 0);
	close(p[1]);
	cr_assert_eq(loop_add_fd(l, p[1], LOOP_IN, on_fd, &c), -EBADF);
	/* a regular file cannot be polled */
	{
		int fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC);

		if (fd >= 0) {
			cr_assert_eq(loop_add_fd(l, fd, LOOP_IN, on_fd, &c),
				     -EPERM);
			close(fd);
		}
	}
	loop_free(l);
	close(p[0]);
}

Test(loop, removal_during_dispatch)
{
	/* both pipes are readable in the same epoll_wait; whichever
	 * callback runs first removes the other, which must then not run
	 * (its entry is looked up again before dispatch) */
	struct loop *l = loop_new();
	int a[2], b[2];
	struct fdctx ca = { .tag = 'a' }, cb = { .tag = 'b' };

	mkpipe(a);
	mkpipe(b);
	ca.other = b[0];
	cb.other = a[0];
	cr_assert_eq(loop_add_fd(l, a[0], LOOP_IN, on_fd, &ca), 0);
	cr_assert_eq(loop_add_fd(l, b[0], LOOP_IN, on_fd, &cb), 0);
	cr_assert_eq(write(a[1], "1", 1), 1);
	cr_assert_eq(write(b[1], "2", 1), 1);
	guard(l, 30);
	cr_assert_eq(loop_run(l), 0);
	cr_assert_eq(ca.calls + cb.calls, 1, "a %d, b %d", ca.calls, cb.calls);
	cr_assert_eq(lg.n, 2);
	cr_assert_eq(lg.s[1], 'S');
	loop_free(l);
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
}

static void
on_self_remove(struct loop *l, int fd, int events, void *ctx)
{
	(void)events;
	(void)ctx;
	note('x');
	loop_del_fd(l, fd);
	close(fd);
}

Test(loop, callback_removes_and_closes_itself)
{
	struct loop *l = loop_new();
	int p[2];

	mkpipe(p);
	cr_assert_eq(loop_add_fd(l, p[0], LOOP_IN, on_self_remove, NULL), 0);
	cr_assert_eq(write(p[1], "abc", 3), 3);
	guard(l, 30);
	cr_assert_eq(loop_run(l), 0);
	cr_assert_str_eq(lg.s, "xS");
	loop_free(l);
	close(p[1]);
}

Test(loop, many_fds)
{
	/* more than the arrays' first allocation (16) */
	enum { K = 40 };
	struct loop *l = loop_new();
	struct fdctx c[K];
	int p[K][2], total = 0;

	for (int i = 0; i < K; i++) {
		c[i] = (struct fdctx){ .tag = 'f', .other = -1 };
		mkpipe(p[i]);
		cr_assert_eq(loop_add_fd(l, p[i][0], LOOP_IN, on_fd, &c[i]), 0);
	}
	for (int i = 0; i < K; i += 2)
		cr_assert_eq(write(p[i][1], "z", 1), 1);
	guard(l, 30);
	cr_assert_eq(loop_run(l), 0);
	for (int i = 0; i < K; i++) {
		cr_assert_eq(c[i].calls, i % 2 == 0, "fd %d", i);
		total += c[i].calls;
		close(p[i][0]);
		close(p[i][1]);
	}
	cr_assert_eq(total, K / 2);
	loop_free(l);
}

static void
on_tag(struct loop *l, void *ctx)
{
	(void)l;
	note(*(const char *)ctx);
}

Test(loop, timers_fire_in_due_order)
{
	struct loop *l = loop_new();

	cr_assert_gt(loop_add_timer(l, 30, on_tag, "3"), 0);
	cr_assert_gt(loop_add_timer(l, 10, on_tag, "1"), 0);
	cr_assert_gt(loop_add_timer(l, 20, on_tag, "2"), 0);
	guard(l, 60);
	cr_assert_eq(loop_run(l), 0);
	cr_assert_str_eq(lg.s, "123S");
	loop_free(l);
}

static void
on_stop_guarded(struct loop *l, void *ctx)
{
	(void)ctx;
	loop_stop(l);
}

/* All due by the time the loop first looks: still in due order, and
 * timers with the same due time in the order they were added. */
Test(loop, timers_due_together_fire_in_due_order)
{
	struct loop *l = loop_new();

	loop_add_timer(l, 5, on_tag, "c");
	loop_add_timer(l, 1, on_tag, "a");
	loop_add_timer(l, 3, on_tag, "b");
	loop_add_timer(l, 0, on_tag, "0");
	loop_add_timer(l, 0, on_tag, "1");
	sleep_ms(20);
	loop_add_timer(l, 0, on_stop_guarded, NULL);
	cr_assert_eq(loop_run(l), 0);
	cr_assert_str_eq(lg.s, "01abc");
	loop_free(l);
}

Test(loop, cancel)
{
	struct loop *l = loop_new();
	uint64_t a, b, c;

	a = loop_add_timer(l, 1, on_tag, "a");
	b = loop_add_timer(l, 2, on_tag, "b");
	c = loop_add_timer(l, 3, on_tag, "c");
	cr_assert(a > 0 && b > a && c > b, "ids %lu %lu %lu", (unsigned long)a,
		  (unsigned long)b, (unsigned long)c);
	loop_cancel_timer(l, b);
	loop_cancel_timer(l, b);      /* twice: no-op */
	loop_cancel_timer(l, 999999); /* unknown: no-op */
	guard(l, 30);
	cr_assert_eq(loop_run(l), 0);
	cr_assert_str_eq(lg.s, "acS");
	loop_free(l);
}

struct canceller {
	struct loop *l;
	uint64_t victim;
};

static void
on_cancel_other(struct loop *l, void *ctx)
{
	struct canceller *k = ctx;

	note('k');
	loop_cancel_timer(l, k->victim);
}

Test(loop, cancel_from_a_callback)
{
	/* both due in the same pass: the first cancels the second */
	struct loop *l = loop_new();
	struct canceller k = { .l = l };

	loop_add_timer(l, 1, on_cancel_other, &k);
	k.victim = loop_add_timer(l, 2, on_tag, "v");
	sleep_ms(10);
	guard(l, 20);
	cr_assert_eq(loop_run(l), 0);
	cr_assert_str_eq(lg.s, "kS");
	loop_free(l);
}

static void
on_rearm(struct loop *l, void *ctx)
{
	int *left = ctx;

	note('t');
	if (--*left > 0)
		cr_assert_gt(loop_add_timer(l, 1, on_rearm, ctx), 0);
	else
		loop_stop(l);
}

Test(loop, timer_added_by_a_callback)
{
	struct loop *l = loop_new();
	int left = 3;

	loop_add_timer(l, 1, on_rearm, &left);
	guard(l, 2000);
	cr_assert_eq(loop_run(l), 0);
	cr_assert_str_eq(lg.s, "ttt");
	loop_free(l);
}

Test(loop, stop_from_fd_callback_skips_due_timers)
{
	/* loop_stop takes effect at once: a timer due in the same pass
	 * waits for the next loop_run */
	struct loop *l = loop_new();
	struct fdctx c = { .tag = 'r', .other = -1, .stop = true };
	int p[2];

	mkpipe(p);
	cr_assert_eq(loop_add_fd(l, p[0], LOOP_IN, on_fd, &c), 0);
	loop_add_timer(l, 0, on_tag, "t");
	cr_assert_eq(write(p[1], "x", 1), 1);
	sleep_ms(2);
	cr_assert_eq(loop_run(l), 0);
	cr_assert_str_eq(lg.s, "r");
	loop_add_timer(l, 5, on_stop, NULL);
	cr_assert_eq(loop_run(l), 0);
	cr_assert_str_eq(lg.s, "rtS");
	loop_free(l);
	close(p[0]);
	close(p[1]);
}

Test(loop, now_is_monotonic_ms)
{
	uint64_t a = loop_now_ms(), b;

	sleep_ms(15);
	b = loop_now_ms();
	cr_assert_geq(b - a, 14);
	cr_assert_lt(b - a, 1000);
	loop_free(NULL);
}
