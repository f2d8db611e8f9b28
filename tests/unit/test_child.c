/*
 * test_child.c - waiting for children on the loop (supervisor/core/child.c):
 * real forked children, reaped without blocking, callbacks once, drain.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "supervisor/core/child.h"
#include "supervisor/core/loop.h"

struct seen {
	int calls;
	pid_t pid;
	int status;
};

static void
on_exit_cb(struct loop *l, pid_t pid, int status, void *ctx)
{
	struct seen *s = ctx;

	s->calls++;
	s->pid = pid;
	s->status = status;
	loop_stop(l);
}

static pid_t
child_exiting(int code, unsigned delay_ms)
{
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		usleep(delay_ms * 1000u);
		_exit(code);
	}
	return pid;
}

static void
on_give_up(struct loop *l, void *ctx)
{
	(void)ctx;
	loop_stop(l);
}

Test(child, exit_is_reported_once_and_reaped)
{
	struct loop *l = loop_new();
	struct seen s = { 0 };
	pid_t pid = child_exiting(7, 20);

	cr_assert_neq(child_watch(l, pid, on_exit_cb, &s), 0);
	cr_assert_eq(child_pending(l), 1);
	loop_add_timer(l, 5000, on_give_up, NULL);
	cr_assert_eq(loop_run(l), 0);
	cr_assert_eq(s.calls, 1);
	cr_assert_eq(s.pid, pid);
	cr_assert(WIFEXITED(s.status) && WEXITSTATUS(s.status) == 7);
	cr_assert_eq(child_pending(l), 0);
	/* already reaped: nothing left to wait for */
	cr_assert_eq(waitpid(pid, NULL, WNOHANG), -1);
	cr_assert_eq(errno, ECHILD);
	loop_free(l);
}

Test(child, the_loop_is_not_blocked_while_a_child_runs)
{
	struct loop *l = loop_new();
	struct seen s = { 0 };
	pid_t pid = child_exiting(0, 500);
	uint64_t t0 = loop_now_ms();

	child_watch(l, pid, on_exit_cb, &s);
	/* a timer due long before the child exits fires first */
	loop_add_timer(l, 10, on_give_up, NULL);
	cr_assert_eq(loop_run(l), 0);
	cr_assert_eq(s.calls, 0);
	cr_assert_lt(loop_now_ms() - t0, 400);
	child_drain(l);
	cr_assert_eq(s.calls, 1);
	loop_free(l);
}

Test(child, cancel_means_no_callback)
{
	struct loop *l = loop_new();
	struct seen s = { 0 };
	pid_t pid = child_exiting(0, 0);
	uint64_t id = child_watch(l, pid, on_exit_cb, &s);

	child_cancel(l, id);
	cr_assert_eq(child_pending(l), 0);
	cr_assert_eq(waitpid(pid, NULL, 0), pid); /* still ours to reap */
	child_drain(l);
	cr_assert_eq(s.calls, 0);
	loop_free(l);
}

static void
on_kill_timer(struct loop *l, void *ctx)
{
	(void)l;
	kill(*(pid_t *)ctx, SIGKILL);
}

Test(child, drain_serves_timers_so_a_deadline_can_end_a_stuck_child)
{
	struct loop *l = loop_new();
	struct seen s = { 0 };
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		pause();
		_exit(0);
	}
	child_watch(l, pid, on_exit_cb, &s);
	loop_add_timer(l, 50, on_kill_timer, &pid);
	child_drain(l);
	cr_assert_eq(s.calls, 1);
	cr_assert(WIFSIGNALED(s.status) && WTERMSIG(s.status) == SIGKILL);
	loop_free(l);
}

Test(child, drain_waits_for_children_watched_by_callbacks)
{
	struct loop *l = loop_new();
	struct seen first = { 0 };
	pid_t pid = child_exiting(3, 10);

	child_watch(l, pid, on_exit_cb, &first);
	child_watch(l, child_exiting(4, 30), NULL, NULL);
	child_drain(l);
	cr_assert_eq(first.calls, 1);
	cr_assert_eq(child_pending(l), 0);
	loop_free(l);
}
