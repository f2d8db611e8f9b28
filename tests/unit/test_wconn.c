/*
 * test_wconn.c - the worker connection (supervisor/sandbox/wconn.c)
 * against a hostile worker, on a real loop, in every build.
 *
 * The hostile-frame cases of the escape suite's attempt #28 (garbage,
 * huge lengths, empty frames, deep nesting, unknown types and fields,
 * trailing bytes, wrong ids, out-of-state frames, stalls mid-frame, a
 * child holding the pipes, an early exit, a log flood), without the
 * suite's confinement: tests/sandbox/evil_worker.c is the "worker"
 * binary, spawned with ns_flags 0 and no uid drop. The suite never runs
 * under the sanitizers; this test does, so whatever a hostile worker
 * sends, the supervisor's side is also checked for memory errors and
 * leaks (the build-asan run of scripts/test, detect_leaks=1).
 *
 * For each mode of evil_modes.h (the table attempt #28 uses too): the
 * dead callback runs exactly once with the mode's reason (or, for a
 * worker gone before INIT, wconn_start refuses with it), no result is
 * delivered, the worker and whatever it forked are gone once the loop
 * is drained, and no child of ours is left, not even a zombie. A real
 * gao-dev-worker, idle on the same loop all along, still answers
 * afterwards, and so does a fresh one. The real worker confines itself
 * on INIT (rlimits, Landlock, seccomp: its own process only) with a
 * minimal policy; Read needs nothing beyond the project.
 *
 * The binaries' paths come from meson (WCONN_EVIL, WCONN_WORKER);
 * GAO_WCONN_EVIL and GAO_WCONN_WORKER in the environment override them.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "supervisor/core/child.h"
#include "supervisor/core/loop.h"
#include "supervisor/sandbox/wconn.h"
#include "tests/sandbox/evil_modes.h"

/* the supervisor waits a tool's timeout plus this (wconn.c) */
#define GRACE_MS 5000
#define LOG_TOTAL (1u << 20) /* wconn's cap on a worker's log lines */

/* One worker as its owner sees it. */
struct peer {
	struct wconn *w;
	pid_t pid;
	int ready;
	int results;
	int dead;
	char why[256];
	char content[256];
	size_t log_bytes;
	size_t log_lines;
};

static struct {
	struct loop *loop;
	char base[64];
	char project[96];
	char file[128];
	int project_fd;
	int evil_fd;
	int worker_fd;
	struct msg_init init;
	struct peer peer[3]; /* the workers: stopped in .fini */
} fx = { .project_fd = -1, .evil_fd = -1, .worker_fd = -1 };

static char *tools[] = { "Read" };

static const char *
env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return v && *v ? v : dflt;
}

/* ---- callbacks --------------------------------------------------------- */

static void
on_ready(void *ctx, const struct msg_ready *r)
{
	struct peer *p = ctx;

	(void)r;
	p->ready++;
}

static void
on_result(void *ctx, const struct msg_tool_result *r)
{
	struct peer *p = ctx;

	p->results++;
	snprintf(p->content, sizeof(p->content), "%s", r->content);
}

static void
on_dead(void *ctx, const char *why)
{
	struct peer *p = ctx;

	p->dead++;
	snprintf(p->why, sizeof(p->why), "%s", why);
}

static void
on_log(void *ctx, const char *line)
{
	struct peer *p = ctx;

	p->log_bytes += strlen(line);
	p->log_lines++;
}

static const struct wconn_cbs cbs = {
	.ready = on_ready,
	.result = on_result,
	.dead = on_dead,
	.log = on_log,
};

/* ---- the loop ---------------------------------------------------------- */

struct until {
	const struct peer *p;
	bool (*pred)(const struct peer *p);
	bool expired;
};

static bool
until_done(void *ctx)
{
	struct until *u = ctx;

	return u->expired || u->pred(u->p);
}

static void
on_guard(struct loop *l, void *ctx)
{
	(void)l;
	*(bool *)ctx = true;
}

/* Run the loop until pred(p) holds or ms pass; pred(p) then. */
static bool
wait_for(struct peer *p, bool (*pred)(const struct peer *p), uint32_t ms)
{
	struct until u = { p, pred, false };
	uint64_t t = loop_add_timer(fx.loop, ms, on_guard, &u.expired);

	cr_assert_neq(t, 0u);
	cr_assert_eq(loop_run_until(fx.loop, until_done, &u), 0);
	if (!u.expired)
		loop_cancel_timer(fx.loop, t);
	return pred(p);
}

static bool
is_ready(const struct peer *p)
{
	return p->ready > 0 || p->dead > 0;
}

static bool
is_dead(const struct peer *p)
{
	return p->dead > 0;
}

static bool
has_result(const struct peer *p)
{
	return p->results > 0 || p->dead > 0;
}

static bool
never(const struct peer *p)
{
	(void)p;
	return false;
}

/* ---- processes --------------------------------------------------------- */

/* Our children other than keep, zombies included: a child that was not
 * reaped shows here. */
static size_t
children_except(pid_t keep)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	size_t n = 0;

	cr_assert_not_null(d);
	while ((de = readdir(d)) != NULL) {
		pid_t pid = (pid_t)atoi(de->d_name);
		char path[64], buf[512], *p;
		int ppid = 0, fd;
		ssize_t len;
		char state;

		if (pid <= 0 || pid == keep)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (len <= 0)
			continue;
		buf[len] = 0;
		p = strrchr(buf, ')'); /* the command name may hold anything */
		if (p && sscanf(p + 1, " %c %d", &state, &ppid) == 2 &&
		    ppid == getpid())
			n++;
	}
	closedir(d);
	return n;
}

/* Live processes whose argv[0] starts with prefix (a zombie has no
 * cmdline), after waiting up to wait_ms for them to go. */
static size_t
survivors(const char *prefix, long wait_ms)
{
	struct timespec ts = { 0, 20000000 };

	for (;;) {
		DIR *d = opendir("/proc");
		struct dirent *de;
		size_t n = 0;

		cr_assert_not_null(d);
		while ((de = readdir(d)) != NULL) {
			pid_t pid = (pid_t)atoi(de->d_name);
			char path[64], buf[256];
			ssize_t len;
			int fd;

			if (pid <= 0)
				continue;
			snprintf(path, sizeof(path), "/proc/%d/cmdline",
				 (int)pid);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				continue;
			len = read(fd, buf, sizeof(buf) - 1);
			close(fd);
			if (len <= 0)
				continue;
			buf[len] = 0;
			if (!strncmp(buf, prefix, strlen(prefix)))
				n++;
		}
		closedir(d);
		if (n == 0 || wait_ms <= 0)
			return n;
		nanosleep(&ts, NULL);
		wait_ms -= 20;
	}
}

static bool
gone(pid_t pid)
{
	return pid > 0 && kill(pid, 0) < 0 && errno == ESRCH;
}

/* ---- fixture ----------------------------------------------------------- */

static void
setup(void)
{
	const char *evil, *worker;
	FILE *f;

	/* what the supervisor's main() does: a worker's closed pipe must
	 * be an error, not a signal */
	signal(SIGPIPE, SIG_IGN);
	memset(&fx, 0, sizeof(fx));
	fx.project_fd = fx.evil_fd = fx.worker_fd = -1;
	fx.loop = loop_new();
	cr_assert_not_null(fx.loop);
	snprintf(fx.base, sizeof(fx.base), "/tmp/gao-wconn-XXXXXX");
	cr_assert_not_null(mkdtemp(fx.base), "mkdtemp: %s", strerror(errno));
	snprintf(fx.project, sizeof(fx.project), "%s/project", fx.base);
	cr_assert_eq(mkdir(fx.project, 0700), 0);
	snprintf(fx.file, sizeof(fx.file), "%s/hello.txt", fx.project);
	f = fopen(fx.file, "we");
	cr_assert_not_null(f);
	fputs("still-here\n", f);
	fclose(f);
	fx.project_fd = open(fx.project, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(fx.project_fd, 0);
	evil = env_or("GAO_WCONN_EVIL", WCONN_EVIL);
	fx.evil_fd = open(evil, O_PATH | O_CLOEXEC);
	cr_assert_geq(fx.evil_fd, 0, "%s: %s", evil, strerror(errno));
	worker = env_or("GAO_WCONN_WORKER", WCONN_WORKER);
	fx.worker_fd = open(worker, O_PATH | O_CLOEXEC);
	cr_assert_geq(fx.worker_fd, 0, "%s: %s", worker, strerror(errno));
	/* the smallest policy: the project only, no exec, defaults */
	fx.init = (struct msg_init){
		.version = PROTO_VERSION,
		.project_dir = fx.project,
		.agent = "wconn-test",
		.tools = tools,
		.n_tools = 1,
		.policy = { .name = "wconn-test" },
	};
}

static void
teardown(void)
{
	for (size_t i = 0; i < sizeof(fx.peer) / sizeof(fx.peer[0]); i++) {
		wconn_stop(fx.peer[i].w);
		fx.peer[i].w = NULL;
	}
	if (fx.loop) {
		child_drain(fx.loop);
		loop_free(fx.loop);
		fx.loop = NULL;
	}
	if (fx.project_fd >= 0)
		close(fx.project_fd);
	if (fx.evil_fd >= 0)
		close(fx.evil_fd);
	if (fx.worker_fd >= 0)
		close(fx.worker_fd);
	fx.project_fd = fx.evil_fd = fx.worker_fd = -1;
	if (fx.base[0]) {
		unlink(fx.file);
		rmdir(fx.project);
		rmdir(fx.base);
	}
}

TestSuite(wconn, .init = setup, .fini = teardown, .timeout = 60);

/* Start the evil worker in mode, or the real worker (mode NULL), as
 * peer slot. Its w is NULL, with the reason in why, when wconn_start
 * refused. */
static struct peer *
start(size_t slot, const char *mode, uint32_t ready_ms)
{
	struct peer *p = &fx.peer[slot];
	char mode_env[64], token_env[96];
	char *envp[] = { "PATH=/usr/bin:/bin", mode_env, token_env, NULL };
	struct wconn_opts o = {
		.worker_fd = mode ? fx.evil_fd : fx.worker_fd,
		.project_fd = fx.project_fd,
		.project_path = fx.project,
		.envp = envp,
		.ns_flags = 0,
		.drop_uid = false,
		.ready_timeout_ms = ready_ms,
		.init = &fx.init,
	};

	snprintf(mode_env, sizeof(mode_env), "EVIL_MODE=%s", mode ? mode : "");
	/* fork_hold's child takes this as its argv[0] */
	snprintf(token_env, sizeof(token_env), "EVIL_TOKEN=wconn-evil-%d-%s",
		 (int)getpid(), mode ? mode : "");
	if (!mode)
		envp[1] = NULL;
	cr_assert_null(p->w, "slot %zu is in use", slot);
	memset(p, 0, sizeof(*p));
	p->w = wconn_start(fx.loop, &o, &cbs, p, p->why, sizeof(p->why));
	if (p->w)
		p->pid = wconn_pid(p->w);
	return p;
}

static void
stop(struct peer *p)
{
	wconn_stop(p->w);
	p->w = NULL;
}

/* A Read of the project's file through p: the worker answers. */
static void
read_back(struct peer *p, const char *who)
{
	json_t *in = json_pack("{s:s}", "file_path", fx.file);
	int rc = wconn_call(p->w, "toolu_wconn_read", "Read", in, 5000);

	json_decref(in);
	cr_assert_eq(rc, 0, "%s: wconn_call: %s", who, strerror(-rc));
	cr_assert(wait_for(p, has_result, 10000), "%s: no answer", who);
	cr_assert_eq(p->dead, 0, "%s died: %s", who, p->why);
	cr_assert_eq(p->results, 1);
	cr_assert(strstr(p->content, "still-here"), "%s answered \"%s\"", who,
		  p->content);
}

/* One hostile worker: killed once for the expected reason, nothing
 * delivered, reaped with whatever it forked. */
static void
one_mode(const struct evil_mode *m, pid_t keep)
{
	char prefix[64];
	struct peer *p = start(1, m->name, 1000);

	snprintf(prefix, sizeof(prefix), "wconn-evil-%d-", (int)getpid());
	if (!p->w) {
		/* gone before INIT: refused, reaped on the loop, no
		 * callback */
		cr_log_info("%s: start refused: \"%s\"", m->name, p->why);
		cr_expect(evil_reason_ok(p->why, m->why),
			  "%s: start refused: \"%s\", want \"%s\"", m->name,
			  p->why, m->why);
		child_drain(fx.loop);
		cr_expect_eq(p->dead + p->ready + p->results, 0,
			     "%s: a callback ran after a refused start",
			     m->name);
		cr_expect_eq(children_except(keep), 0u, "%s: a child is left",
			     m->name);
		return;
	}
	if (m->call && wait_for(p, is_ready, 2000) && !p->dead) {
		json_t *in = json_pack("{s:s}", "file_path", "hello.txt");

		int rc = wconn_call(p->w, "toolu_wconn_evil", "Read", in, 100);

		json_decref(in);
		cr_expect_eq(rc, 0, "%s: wconn_call: %s", m->name,
			     strerror(-rc));
	}
	wait_for(p, is_dead, GRACE_MS + 3000);
	/* a second report would come from what is still queued */
	wait_for(p, never, 50);
	stop(p);
	child_drain(fx.loop);
	cr_log_info("%s: \"%s\"", m->name, p->why);
	cr_expect_eq(p->dead, 1, "%s: dead callback ran %d times (\"%s\")",
		     m->name, p->dead, p->why);
	cr_expect(evil_reason_ok(p->why, m->why),
		  "%s: died \"%s\", want \"%s\"", m->name, p->why, m->why);
	cr_expect_eq(p->results, 0, "%s: a result was delivered", m->name);
	cr_expect(gone(p->pid), "%s: pid %d is still there", m->name,
		  (int)p->pid);
	cr_expect_eq(survivors(prefix, 1000), 0u,
		     "%s: a process it forked survived", m->name);
	cr_expect_eq(children_except(keep), 0u, "%s: a child is left", m->name);
	cr_expect_eq(child_pending(fx.loop), 0u);
}

Test(wconn, hostile_workers_are_killed_and_the_loop_goes_on)
{
	struct peer *idle, *fresh;

	/* a real worker, idle on the same loop all along */
	idle = start(0, NULL, 10000);
	cr_assert_not_null(idle->w, "start: %s", idle->why);
	cr_assert(wait_for(idle, is_ready, 10000), "no READY");
	cr_assert_eq(idle->dead, 0, "the real worker died: %s", idle->why);
	for (size_t i = 0; i < EVIL_N_MODES; i++) {
		one_mode(&evil_modes[i], idle->pid);
		cr_assert_eq(idle->dead, 0,
			     "after %s, the real worker died: %s",
			     evil_modes[i].name, idle->why);
	}
	read_back(idle, "the idle worker");
	/* and a new worker starts and works */
	fresh = start(2, NULL, 10000);
	cr_assert_not_null(fresh->w, "start: %s", fresh->why);
	cr_assert(wait_for(fresh, is_ready, 10000), "no READY");
	read_back(fresh, "a fresh worker");
	stop(fresh);
	stop(idle);
	child_drain(fx.loop);
	cr_assert(gone(idle->pid) && gone(fresh->pid));
	cr_assert_eq(children_except(0), 0u);
}

/* 20 MiB on the log pipe: capped, and the worker is served. */
Test(wconn, a_log_flood_is_capped_and_served)
{
	struct peer *p = start(1, "log_flood", 10000), *real;
	json_t *in;
	int rc;

	cr_assert_not_null(p->w, "start: %s", p->why);
	cr_assert(wait_for(p, is_ready, 10000));
	cr_assert_eq(p->dead, 0, "died: %s", p->why);
	in = json_pack("{s:s}", "file_path", "hello.txt");
	rc = wconn_call(p->w, "toolu_wconn_flood", "Read", in, 1000);
	json_decref(in);
	cr_assert_eq(rc, 0, "wconn_call: %s", strerror(-rc));
	cr_assert(wait_for(p, has_result, 5000));
	cr_assert_eq(p->dead, 0, "died: %s", p->why);
	cr_assert_str_eq(p->content, "fine");
	cr_assert_gt(p->log_bytes, 0u);
	cr_assert_leq(p->log_bytes, LOG_TOTAL + 4096u, "%zu bytes logged",
		      p->log_bytes);
	/* idle: asked to exit, killed when it does not */
	stop(p);
	child_drain(fx.loop);
	cr_assert_eq(p->dead, 0);
	cr_assert(gone(p->pid));
	cr_assert_eq(children_except(0), 0u);
	/* the same loop serves a real worker */
	real = start(2, NULL, 10000);
	cr_assert_not_null(real->w, "start: %s", real->why);
	cr_assert(wait_for(real, is_ready, 10000), "no READY");
	read_back(real, "the real worker");
}
