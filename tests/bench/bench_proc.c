/*
 * bench_proc.c - run one command (gao-dev) and report what it cost: wall
 * time, its own CPU time, its peak RSS, and the memory of every
 * gao-dev-worker it started, sampled from /proc while they run.
 *
 * Design note
 * -----------
 * /usr/bin/time would give the CPU of gao-dev and of every process it
 * reaped (the workers, and the bash, git and python they ran) in one sum.
 * To get the supervisor's own share we stop it between death and burial:
 * waitid(WEXITED | WNOWAIT) leaves the zombie in place, so /proc/<pid>/stat
 * still holds its own utime and stime (ticks, threads included) and
 * /proc/<pid>/schedstat its main thread's run time in nanoseconds (exact
 * when it never had a second thread, which the samples tell). Then wait4()
 * reaps it and gives the total with children.
 *
 * While it runs, every INTERVAL ms: the supervisor's VmHWM (its peak RSS
 * so far) and thread count, and its descendants, found through
 * /proc/<pid>/task/<tid>/children (only our subtree is visited, so other
 * work on the machine is never counted). A descendant whose /proc/<pid>/exe
 * is a gao-dev-worker is a worker process: with a PID namespace each agent
 * has two, the namespace's init (child of gao-dev) and the worker proper
 * (its child). For each we keep the peak VmHWM, and per agent the peak of
 * the PSS (smaps_rollup) of both together: shared library pages divided
 * among the processes that map them, so the sum over agents is what the
 * machine really spends.
 *
 * Output: key=value lines in REPORT (for scripts/bench); the command's own
 * stdout and stderr are left alone. Exit status: the command's.
 *
 * usage: bench_proc -o REPORT [-i INTERVAL_MS] -- COMMAND [ARG...]
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_stats.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

#define MAX_PROCS 4096

/* One worker process seen in the samples. */
struct wproc {
	pid_t pid;
	pid_t top;       /* the agent's outermost worker process */
	bool proper;     /* the worker itself, not a namespace's init */
	uint64_t hwm_kb; /* peak RSS */
	uint64_t pss_kb; /* latest PSS */
};

/* One agent: its outermost worker and the peak PSS of its processes. */
struct agent {
	pid_t top;
	uint64_t pss_peak_kb;
};

struct sampler {
	pid_t root;
	uint64_t hwm_kb; /* the supervisor's peak RSS so far */
	long threads_max;
	struct wproc w[MAX_PROCS];
	size_t nw;
	struct agent a[MAX_PROCS];
	size_t na;
	size_t agents_at_once;   /* peak number of agents alive */
	uint64_t pss_at_once_kb; /* peak PSS of all workers together */
	size_t agents_now;       /* in the current sample */
	size_t samples;
};

__attribute__((noreturn)) static void
die(const char *what, const char *msg)
{
	fprintf(stderr, "bench_proc: %s: %s\n", what, msg);
	exit(125);
}

/* The value (in kB) of "key:" in a /proc status-like file, or 0. */
static uint64_t
proc_kb(const char *path, const char *key)
{
	char line[256];
	size_t klen = strlen(key);
	unsigned long long v = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, klen) == 0) {
			v = strtoull(line + klen, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

static bool
is_worker(pid_t pid)
{
	char path[64], exe[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n <= 0)
		return false;
	exe[n] = 0;
	return strstr(exe, "/gao-dev-worker") != NULL;
}

static struct wproc *
wproc_get(struct sampler *s, pid_t pid, pid_t top, bool proper)
{
	for (size_t i = 0; i < s->nw; i++)
		if (s->w[i].pid == pid)
			return &s->w[i];
	if (s->nw == MAX_PROCS)
		return NULL;
	s->w[s->nw] = (struct wproc){ .pid = pid,
				      .top = top,
				      .proper = proper };
	return &s->w[s->nw++];
}

static struct agent *
agent_get(struct sampler *s, pid_t top)
{
	for (size_t i = 0; i < s->na; i++)
		if (s->a[i].top == top)
			return &s->a[i];
	if (s->na == MAX_PROCS)
		return NULL;
	s->a[s->na] = (struct agent){ .top = top };
	return &s->a[s->na++];
}

/* Record one worker process; returns its PSS now (kB). */
static uint64_t
sample_worker(struct sampler *s, pid_t pid, pid_t top, bool proper)
{
	char path[64];
	struct wproc *w = wproc_get(s, pid, top, proper);
	uint64_t hwm, pss;

	if (!w)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	hwm = proc_kb(path, "VmHWM:");
	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	pss = proc_kb(path, "Pss:");
	if (hwm > w->hwm_kb)
		w->hwm_kb = hwm;
	w->pss_kb = pss;
	return pss;
}

/* Where a walk is: below which agent, and whether a worker process
 * found there is the worker proper (below a namespace's init) or a fork
 * of it about to exec a tool (not counted). */
struct pos {
	pid_t top; /* 0 above the workers */
	bool want_worker;
	int depth;
};

static uint64_t walk(struct sampler *s, pid_t pid, struct pos at);

/* True when pid is process 1 of its own PID namespace. */
static bool
is_ns_init(pid_t pid)
{
	char path[64], line[256];
	bool init = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "NSpid:", 6) == 0) {
			char *last = strrchr(line, '\t');

			init = last && strtol(last + 1, NULL, 10) == 1 &&
			       strchr(line, '\t') != last;
			break;
		}
	if (f)
		fclose(f);
	return init;
}

/* The outermost worker process of an agent: sample it and what is below
 * it; returns their PSS. */
static uint64_t
walk_agent(struct sampler *s, pid_t c, int depth)
{
	bool init = is_ns_init(c);
	struct pos below = { c, init, depth + 1 };
	uint64_t pss = sample_worker(s, c, c, !init);
	struct agent *a = agent_get(s, c);

	pss += walk(s, c, below);
	if (a) {
		s->agents_now++;
		if (pss > a->pss_peak_kb)
			a->pss_peak_kb = pss;
	}
	return pss;
}

/* One descendant: an agent's worker process (counted) or anything else
 * (looked through). Returns the PSS of the worker processes at and below
 * it. */
static uint64_t
walk_one(struct sampler *s, pid_t c, struct pos at)
{
	struct pos next = at;

	next.depth++;
	if (!is_worker(c))
		return walk(s, c, next);
	if (!at.top)
		return walk_agent(s, c, at.depth);
	if (!at.want_worker)
		return 0;
	next.want_worker = false;
	return sample_worker(s, c, at.top, true) + walk(s, c, next);
}

/* The children of every thread of pid; returns the PSS of the worker
 * processes below (top: the agent's outermost worker, 0 above them). */
static uint64_t
walk(struct sampler *s, pid_t pid, struct pos at)
{
	char path[96], buf[4096];
	uint64_t pss = 0;
	struct dirent *d;
	DIR *dir;

	if (at.depth > 16)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	dir = opendir(path);
	if (!dir)
		return 0;
	while ((d = readdir(dir))) {
		FILE *f;
		size_t n;

		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/children",
			 (int)pid, d->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = 0;
		for (char *p = buf, *end; *p; p = end) {
			pid_t c = (pid_t)strtol(p, &end, 10);

			if (end == p)
				break;
			pss += walk_one(s, c, at);
		}
	}
	closedir(dir);
	return pss;
}

static void
sample(struct sampler *s)
{
	char path[64];
	uint64_t hwm, pss;
	long threads;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)s->root);
	hwm = proc_kb(path, "VmHWM:");
	threads = (long)proc_kb(path, "Threads:");
	if (hwm > s->hwm_kb)
		s->hwm_kb = hwm;
	if (threads > s->threads_max)
		s->threads_max = threads;
	s->agents_now = 0;
	pss = walk(s, s->root, (struct pos){ 0, false, 0 });
	if (s->agents_now > s->agents_at_once)
		s->agents_at_once = s->agents_now;
	if (pss > s->pss_at_once_kb)
		s->pss_at_once_kb = pss;
	s->samples++;
}

/* The zombie's own CPU: utime and stime from stat (clock ticks, all its
 * threads) and its main thread's run time from schedstat (ns), in ms. */
static void
zombie_cpu(pid_t pid, double *user_ms, double *sys_ms, double *main_ms)
{
	char path[64], buf[2048], *p;
	unsigned long long ut = 0, st = 0, run = 0;
	double tick = 1000.0 / (double)sysconf(_SC_CLK_TCK);
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = 0;
	/* fields after the comm: state(3) ... utime(14) stime(15) */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2,
			 "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u "
			 "%*u %llu %llu",
			 &ut, &st) != 2)
		die("stat", "cannot read the supervisor's CPU times");
	*user_ms = (double)ut * tick;
	*sys_ms = (double)st * tick;
	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
	f = fopen(path, "re");
	if (!f || fscanf(f, "%llu", &run) != 1)
		run = 0;
	if (f)
		fclose(f);
	*main_ms = (double)run / 1e6;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Median and max of the peak RSS of the workers proper, or of the
 * namespaces' inits. */
static void
worker_rss(const struct sampler *s, bool proper, uint64_t *med, uint64_t *max,
	   size_t *count)
{
	uint64_t v[MAX_PROCS];
	size_t n = 0;

	for (size_t i = 0; i < s->nw; i++)
		if (s->w[i].proper == proper && s->w[i].hwm_kb)
			v[n++] = s->w[i].hwm_kb;
	qsort(v, n, sizeof(v[0]), cmp_u64);
	*med = n ? v[n / 2] : 0;
	*max = n ? v[n - 1] : 0;
	*count = n;
}

static void
agent_pss(const struct sampler *s, uint64_t *med, uint64_t *max)
{
	uint64_t v[MAX_PROCS];
	size_t n = 0;

	for (size_t i = 0; i < s->na; i++)
		v[n++] = s->a[i].pss_peak_kb;
	qsort(v, n, sizeof(v[0]), cmp_u64);
	*med = n ? v[n / 2] : 0;
	*max = n ? v[n - 1] : 0;
}

static void
report_workers(FILE *f, const struct sampler *s)
{
	uint64_t med, max;
	size_t n;

	worker_rss(s, true, &med, &max, &n);
	fprintf(f,
		"worker_procs=%zu\nworker_rss_kb_median=%llu\n"
		"worker_rss_kb_max=%llu\n",
		n, (unsigned long long)med, (unsigned long long)max);
	worker_rss(s, false, &med, &max, &n);
	fprintf(f,
		"init_procs=%zu\ninit_rss_kb_median=%llu\n"
		"init_rss_kb_max=%llu\n",
		n, (unsigned long long)med, (unsigned long long)max);
	agent_pss(s, &med, &max);
	fprintf(f,
		"agents=%zu\nagents_at_once=%zu\nagent_pss_kb_median=%llu\n"
		"agent_pss_kb_max=%llu\nworkers_pss_at_once_kb=%llu\n",
		s->na, s->agents_at_once, (unsigned long long)med,
		(unsigned long long)max, (unsigned long long)s->pss_at_once_kb);
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench_proc -o REPORT [-i INTERVAL_MS] -- "
			"COMMAND [ARG...]\n");
	exit(125);
}

static pid_t
start(char **cmd)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork", strerror(errno));
	if (pid == 0) {
		execvp(cmd[0], cmd);
		fprintf(stderr, "bench_proc: %s: %s\n", cmd[0],
			strerror(errno));
		_exit(127);
	}
	return pid;
}

/* Sample until the child has exited (it stays a zombie). A pidfd wakes
 * us the moment it exits, so the wall time is exact. */
static void
watch(struct sampler *s, int interval_ms)
{
	struct pollfd pf = { .events = POLLIN };
	siginfo_t si;

	pf.fd = (int)syscall(SYS_pidfd_open, s->root, 0U);
	if (pf.fd < 0)
		die("pidfd_open", strerror(errno));
	for (;;) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)s->root, &si,
			   WEXITED | WNOHANG | WNOWAIT) < 0 &&
		    errno != EINTR)
			die("waitid", strerror(errno));
		if (si.si_pid == s->root)
			break;
		sample(s);
		if (poll(&pf, 1, interval_ms) < 0 && errno != EINTR)
			die("poll", strerror(errno));
	}
	close(pf.fd);
}

int
main(int argc, char **argv)
{
	static struct sampler s;
	const char *out = NULL;
	int c, interval = 20, status = 0;
	double user, sys, main_ms;
	struct rusage ru;
	uint64_t t0, t1;
	FILE *f;

	while ((c = getopt(argc, argv, "+o:i:")) != -1) {
		if (c == 'o')
			out = optarg;
		else if (c == 'i')
			interval = (int)bench_parse_count("-i", optarg);
		else
			usage();
	}
	if (!out || optind >= argc)
		usage();
	signal(SIGPIPE, SIG_IGN);
	t0 = bench_now_ns();
	s.root = start(argv + optind);
	watch(&s, interval);
	t1 = bench_now_ns();
	zombie_cpu(s.root, &user, &sys, &main_ms);
	while (wait4(s.root, &status, 0, &ru) < 0)
		if (errno != EINTR)
			die("wait4", strerror(errno));
	f = fopen(out, "we");
	if (!f)
		die(out, strerror(errno));
	fprintf(f,
		"exit_status=%d\nwall_ms=%.1f\nuser_ms=%.1f\nsys_ms=%.1f\n"
		"cpu_ms=%.1f\nmain_thread_cpu_ms=%.3f\nthreads_max=%ld\n"
		"cpu_with_children_ms=%.1f\npeak_rss_kb=%llu\n"
		"maxrss_with_children_kb=%ld\nsamples=%zu\n",
		WIFEXITED(status) ? WEXITSTATUS(status) :
				    128 + WTERMSIG(status),
		bench_ms(t0, t1), user, sys, user + sys, main_ms, s.threads_max,
		(double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
			(double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) /
				1e3,
		(unsigned long long)s.hwm_kb, ru.ru_maxrss, s.samples);
	report_workers(f, &s);
	if (fclose(f) != 0)
		die(out, strerror(errno));
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
