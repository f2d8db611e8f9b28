/*
 * bench_spawn.c - how long a fully confined worker takes to start,
 * against a plain fork + exec and against bubblewrap, in the same run.
 *
 * Design note
 * -----------
 * Target 1 of docs/performance.md: worker spawn to READY with every isolation
 * layer the machine allows must be faster than `bwrap --unshare-all
 * --new-session /bin/true` (required) and should be at most 2x a plain
 * fork + exec of /bin/true (aim). The worker is started exactly as the
 * supervisor does (bench_worker.h): spawn_worker() with spawn_ns_flags(),
 * uid 65534 when root, the INIT of policy/profiles/default.yaml; the clock
 * stops when READY has been decoded. A second row carries on through
 * SHUTDOWN until the worker is reaped (the whole life of a worker that
 * runs no tool), a third starts workers without namespaces, to show what
 * the namespaces cost. With -D, one row per namespace left out shows
 * which of them costs what. With -C, one more row starts a candidate
 * worker binary and/or profile directory in the same run, to weigh a
 * change to the worker or the policy against the current ones.
 *
 * The rows are measured interleaved (one sample of each in turn), after a
 * warm-up, so that a noisy neighbour slows them all alike. bubblewrap needs
 * a root with /bin/true in it: /usr read-only and the usual symlinks (the
 * fewest binds that let it exec; more binds would only slow it down).
 *
 * usage: bench_spawn [-n SPAWNS] [-W WARMUP] [-w WORKER] [-p PROFILES]
 *                    [-d BASE_DIR] [-b BWRAP|none] [-D]
 *                    [-C CANDIDATE_WORKER[:CANDIDATE_PROFILES]]
 */
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_stats.h"
#include "bench_worker.h"

struct opts {
	size_t n;
	size_t warmup;
	const char *worker;
	const char *profiles;
	const char *base;
	const char *bwrap; /* NULL: no bwrap row */
	bool diag;
	char *cand_worker; /* -C: NULL for none */
	const char *cand_profiles;
};

/* Diagnostic rows: the full set of namespaces but one. (Never without
 * the user namespace: an unprivileged caller needs it for the others.) */
static const struct {
	int flag;
	const char *name;
} ns_list[] = {
	{ CLONE_NEWNS, "worker -> READY, without mount ns" },
	{ CLONE_NEWPID, "worker -> READY, without PID ns" },
	{ CLONE_NEWNET, "worker -> READY, without net ns" },
	{ CLONE_NEWIPC, "worker -> READY, without IPC ns" },
	{ CLONE_NEWUTS, "worker -> READY, without UTS ns" },
};
#define NS_COUNT (sizeof(ns_list) / sizeof(ns_list[0]))

enum row {
	R_TRUE,
	R_BWRAP,
	R_READY,
	R_REAPED,
	R_NONS,
	R_CAND,
	R_DIAG,
};

static void
usage(void)
{
	fprintf(stderr,
		"usage: bench_spawn [-n SPAWNS] [-W WARMUP] "
		"[-w WORKER] [-p PROFILES] [-d BASE_DIR] [-b BWRAP|none] "
		"[-D] [-C WORKER[:PROFILES]]\n");
	exit(2);
}

static void
parse(int argc, char **argv, struct opts *o)
{
	int c;

	*o = (struct opts){ .n = 500,
			    .warmup = 20,
			    .worker = bench_default_worker(),
			    .profiles = bench_default_profiles(),
			    .base = "/var/tmp",
			    .bwrap = "/usr/bin/bwrap" };
	while ((c = getopt(argc, argv, "n:W:w:p:d:b:DC:")) != -1) {
		switch (c) {
		case 'n':
			o->n = bench_parse_count("-n", optarg);
			break;
		case 'W':
			o->warmup = bench_parse_count("-W", optarg);
			break;
		case 'w':
			o->worker = optarg;
			break;
		case 'p':
			o->profiles = optarg;
			break;
		case 'd':
			o->base = optarg;
			break;
		case 'b':
			o->bwrap = strcmp(optarg, "none") ? optarg : NULL;
			break;
		case 'D':
			o->diag = true;
			break;
		case 'C':
			o->cand_worker = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (o->cand_worker) {
		char *colon = strchr(o->cand_worker, ':');

		o->cand_profiles = colon ? colon + 1 : o->profiles;
		if (colon)
			*colon = 0;
		if (!*o->cand_worker)
			o->cand_worker = (char *)o->worker;
	}
}

__attribute__((noreturn)) static void
die(const char *what, const char *msg)
{
	fprintf(stderr, "bench_spawn: %s: %s\n", what, msg);
	exit(1);
}

/* One fork + exec + wait of argv; the milliseconds it took. */
static double
time_exec(char *const argv[])
{
	uint64_t t0 = bench_now_ns();
	int st = bench_fork_exec(argv, NULL);
	uint64_t t1 = bench_now_ns();

	if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		char msg[64];

		snprintf(msg, sizeof(msg), "exited with status %d", st);
		die(argv[0], msg);
	}
	return bench_ms(t0, t1);
}

/*
 * Start one worker with ns_flags; *ready is spawn -> READY, *reaped
 * spawn -> reaped (NULL: not wanted). The first READY seen is printed.
 */
static void
time_worker(struct bench_env *e, int ns_flags, double *ready, double *reaped)
{
	static bool shown;
	struct bench_worker w;
	char err[512];
	uint64_t t0, t1, t2;
	int st;

	e->so.ns_flags = ns_flags;
	t0 = bench_now_ns();
	if (bench_worker_start(e, &w, err, sizeof(err)) < 0)
		die("worker", err);
	t1 = bench_now_ns();
	st = bench_worker_stop(&w);
	t2 = bench_now_ns();
	if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		die("worker", "did not exit cleanly after SHUTDOWN");
	if (!shown) {
		bench_layers_str(&w.ready, err, sizeof(err));
		printf("worker layers: %s (uid %lld)\n", err,
		       (long long)w.ready.uid);
		shown = true;
	}
	*ready = bench_ms(t0, t1);
	if (reaped)
		*reaped = bench_ms(t0, t2);
}

static void
add(struct bench_series *s, double v, bool keep)
{
	if (keep && bench_series_add(s, v) < 0)
		die("samples", "out of memory");
}

/* One sample of every row, in turn; cand is the -C worker or NULL. */
static void
round_once(const struct opts *o, struct bench_env *e, struct bench_env *cand,
	   int full, struct bench_series *rows, bool keep)
{
	char *true_argv[] = { "/bin/true", NULL };
	char *bwrap_argv[] = { (char *)o->bwrap,
			       "--ro-bind",
			       "/usr",
			       "/usr",
			       "--symlink",
			       "usr/bin",
			       "/bin",
			       "--symlink",
			       "usr/lib",
			       "/lib",
			       "--symlink",
			       "usr/lib64",
			       "/lib64",
			       "--unshare-all",
			       "--new-session",
			       "/bin/true",
			       NULL };
	double a, b;

	add(&rows[R_TRUE], time_exec(true_argv), keep);
	if (o->bwrap)
		add(&rows[R_BWRAP], time_exec(bwrap_argv), keep);
	time_worker(e, full, &a, &b);
	add(&rows[R_READY], a, keep);
	add(&rows[R_REAPED], b, keep);
	time_worker(e, 0, &a, NULL);
	add(&rows[R_NONS], a, keep);
	if (cand) {
		time_worker(cand, full, &a, NULL);
		add(&rows[R_CAND], a, keep);
	}
	for (size_t i = 0, k = 0; o->diag && i < NS_COUNT; i++) {
		if (!(full & ns_list[i].flag))
			continue;
		time_worker(e, full & ~ns_list[i].flag, &a, NULL);
		add(&rows[R_DIAG + k++], a, keep);
	}
}

static void
print_header(const struct opts *o, const struct bench_env *e, int full)
{
	struct utsname u;

	uname(&u);
	printf("bench_spawn: %zu spawns per row (after %zu warm-up rounds), "
	       "interleaved\n",
	       o->n, o->warmup);
	printf("machine: %s %s %s, %ld CPUs, euid %d\n", u.sysname, u.release,
	       u.machine, sysconf(_SC_NPROCESSORS_ONLN), (int)geteuid());
	printf("worker: %s, policy %s, namespaces 0x%x, private /tmp %s\n",
	       o->worker, policy_name(e->policy), (unsigned)full,
	       e->so.private_tmp ? "yes" : "no");
	if (o->cand_worker)
		printf("candidate (-C): worker %s, profiles %s\n",
		       o->cand_worker, o->cand_profiles);
}

static void
print_verdict(const struct opts *o, const struct bench_series *rows)
{
	double vs_true = bench_ratio(&rows[R_READY], &rows[R_TRUE]);

	printf("\n");
	if (o->bwrap) {
		double vs_bwrap = bench_ratio(&rows[R_READY], &rows[R_BWRAP]);

		printf("required: spawn -> READY faster than bwrap: %.2fx "
		       "bwrap: %s\n",
		       vs_bwrap, vs_bwrap < 1 ? "met" : "NOT MET");
	}
	printf("aim: spawn -> READY at most 2x fork+exec: %.2fx: %s\n", vs_true,
	       vs_true <= 2 ? "met" : "not met");
}

/* Name and prepare the rows this run measures; returns how many. */
static size_t
init_rows(const struct opts *o, int full, struct bench_series *rows)
{
	static const char *const names[R_DIAG] = {
		"fork+exec /bin/true",
		"bwrap --unshare-all --new-session",
		"worker spawn -> READY (all layers)",
		"worker spawn -> READY -> SHUTDOWN -> reaped",
		"worker spawn -> READY, no namespaces",
		"candidate (-C) worker spawn -> READY (all layers)",
	};
	size_t n = R_DIAG;

	for (size_t i = 0; i < R_DIAG; i++)
		bench_series_init(&rows[i], names[i], o->n);
	for (size_t i = 0; o->diag && i < NS_COUNT; i++)
		if (full & ns_list[i].flag)
			bench_series_init(&rows[n++], ns_list[i].name, o->n);
	return n;
}

static void
open_env(struct bench_env *e, const char *worker, const char *profiles,
	 const char *base)
{
	struct bench_env_cfg cfg = { .worker_path = worker,
				     .profiles_dir = profiles,
				     .profile = "default",
				     .base_dir = base };
	char err[1024];

	if (bench_env_open(e, &cfg, err, sizeof(err)) < 0)
		die("setup", err);
}

int
main(int argc, char **argv)
{
	struct bench_series rows[R_DIAG + NS_COUNT];
	struct bench_env e, cand;
	struct opts o;
	size_t nrows;
	int full;

	parse(argc, argv, &o);
	open_env(&e, o.worker, o.profiles, o.base);
	if (o.cand_worker)
		open_env(&cand, o.cand_worker, o.cand_profiles, o.base);
	full = e.so.ns_flags;
	print_header(&o, &e, full);
	nrows = init_rows(&o, full, rows);
	for (size_t i = 0; i < o.warmup + o.n; i++)
		round_once(&o, &e, o.cand_worker ? &cand : NULL, full, rows,
			   i >= o.warmup);
	bench_table_print(stdout, "Worker spawn", rows, nrows, R_TRUE);
	print_verdict(&o, rows);
	for (size_t i = 0; i < nrows; i++)
		bench_series_free(&rows[i]);
	if (o.cand_worker)
		bench_env_close(&cand);
	bench_env_close(&e);
	return 0;
}
