/*
 * test_runs.c - a supervisor killed mid-run, and `gao-dev runs list
 * [--json] [--prune]` (issue 15, "Crashes").
 *
 * One sandbox root holds every kind of run, made for real through the
 * binary and the fake API (scenarios/runs-list.json): a completed run; a
 * run whose gao-dev got SIGKILL while the agent's Bash command slept (the
 * test first checks that every process of that run, the workers and the
 * sleep with its background child, is gone within a bounded wait); a run
 * still in progress; and, planted by hand, a corrupt and a half-valid
 * results file and a run directory whose name and lock line hold terminal
 * control bytes. One listing, one prune and a second prune are checked
 * against all of them, and the prune against a symlink the "agent"
 * planted in its tmp. The same binary runs as root and, through as-user,
 * as an unprivileged user (no cgroup then; the cgroup checks apply where
 * the run recorded one).
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "harness_bench.h"

#define SCENARIO "tests/integration/scenarios/runs-list.json"
#define HOSTILE "evil\x1b]0;pwned\x07-run"
#define HOSTILE_SHOWN "evil\\x1b]0;pwned\\x07-run"
#define LONG_ID \
	"a-benchmark-whose-name-is-longer-than-its-column-20261207-000000-0"

static bool
exists(const char *path)
{
	struct stat sb;

	return lstat(path, &sb) == 0;
}

/* The processes whose argv[0] is exactly token. */
static int
named(const char *token)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	char path[300], buf[256];
	int n = 0;

	cr_assert_not_null(d);
	while ((e = readdir(d))) {
		ssize_t k;
		int fd;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		k = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (k <= 0)
			continue; /* a zombie has no command line */
		buf[k] = 0;
		n += strcmp(buf, token) == 0;
	}
	closedir(d);
	return n;
}

/* Field 4 (ppid) and 22 (start time) of /proc/pid/stat; state in *st. */
static bool
stat_of(pid_t pid, pid_t *ppid, unsigned long long *start, char *st)
{
	char path[64], buf[1024], *p;
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	ok = fgets(buf, sizeof(buf), f) != NULL;
	fclose(f);
	p = ok ? strrchr(buf, ')') : NULL;
	if (!p)
		return false;
	return sscanf(p + 2,
		      "%c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d "
		      "%*d %*d %*d %*d %*d %llu",
		      st, ppid, start) == 3;
}

struct procs {
	pid_t pid[256];
	unsigned long long start[256];
	int n;
};

/* Every descendant of root (pids and start times, to tell reuse). */
static void
descendants(pid_t root, struct procs *ps)
{
	ps->n = 0;
	ps->pid[ps->n++] = root;
	for (int grew = 1; grew;) {
		DIR *d = opendir("/proc");
		struct dirent *e;

		grew = 0;
		cr_assert_not_null(d);
		while ((e = readdir(d)) && ps->n < 256) {
			pid_t pid = atoi(e->d_name), pp;
			unsigned long long st;
			bool have = false;
			char s;

			if (pid <= 0 || !stat_of(pid, &pp, &st, &s))
				continue;
			for (int i = 0; i < ps->n; i++)
				have |= ps->pid[i] == pid;
			for (int i = 0; i < ps->n && !have; i++) {
				if (ps->pid[i] != pp)
					continue;
				ps->pid[ps->n] = pid;
				ps->start[ps->n++] = st;
				grew = have = true;
			}
		}
		closedir(d);
	}
}

/* How many of ps (but the root) are still alive: not gone, not a zombie,
 * not a new process under a reused pid. */
static int
alive(const struct procs *ps)
{
	int n = 0;

	for (int i = 1; i < ps->n; i++) {
		pid_t pp;
		unsigned long long st;
		char s;

		if (stat_of(ps->pid[i], &pp, &st, &s) && st == ps->start[i] &&
		    s != 'Z' && s != 'X')
			n++;
	}
	return n;
}

/* The only project whose name is not in taken[], within 10 s; its run
 * id (the project's name) into id. */
static void
new_run(const struct hb *t, const char *const *taken, char *id, size_t cap)
{
	char dir[600];

	snprintf(dir, sizeof(dir), "%s/projects", t->root);
	for (int i = 0; i < 400; i++) {
		DIR *d = opendir(dir);
		struct dirent *e;

		while (d && (e = readdir(d))) {
			bool old = e->d_name[0] == '.';

			for (size_t k = 0; taken[k]; k++)
				old |= strcmp(e->d_name, taken[k]) == 0;
			if (!old) {
				snprintf(id, cap, "%s", e->d_name);
				closedir(d);
				return;
			}
		}
		if (d)
			closedir(d);
		usleep(25000);
	}
	cr_assert_fail("no new project appeared under %s", dir);
}

/* Wait (10 s at most) for n processes named token. */
static void
wait_named(const char *token, int n)
{
	for (int i = 0; i < 400 && named(token) < n; i++)
		usleep(25000);
	cr_assert_eq(named(token), n, "%s: %d processes, want %d", token,
		     named(token), n);
}

static void
runs_list(struct hb *t, const char *extra1, const char *extra2, struct h_out *o)
{
	const char *args[] = { "runs",  "list", "--sandbox-root",
			       t->root, extra1, extra2,
			       NULL };

	char cwd[600];

	/* not t->dir: h_run's output files there would be the background
	 * gao-dev's */
	snprintf(cwd, sizeof(cwd), "%s/list-cwd", t->dir);
	if (mkdir(cwd, 0700) < 0)
		cr_assert_eq(errno, EEXIST);
	h_run(args, NULL, cwd, 30, o);
}

/* The JSON line of run id in a --json listing (owned by the caller). */
static json_t *
line_of(const char *out, const char *id)
{
	const char *p = out;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		json_t *o = json_loadb(p, nl ? (size_t)(nl - p) : strlen(p), 0,
				       NULL);

		cr_assert_not_null(o, "not JSON: %.200s", p);
		if (strcmp(hb_str(o, "run_id"), id) == 0)
			return o;
		json_decref(o);
		p = nl ? nl + 1 : NULL;
	}
	cr_assert_fail("%s is not listed:\n%s", id, out);
	return NULL;
}

static void
assert_status(const char *out, const char *id, const char *status, bool pruned)
{
	json_t *o = line_of(out, id);

	cr_assert_str_eq(hb_str(o, "status"), status, "%s", id);
	cr_assert_eq(json_is_true(json_object_get(o, "pruned")), pruned, "%s",
		     id);
	json_decref(o);
}

/* The cgroup directories a run recorded (0 when it had none). */
static int
cgroups_of(const struct hb *t, const char *id, char dirs[2][1024])
{
	char path[1024], *text, *save = NULL;
	int n = 0;

	snprintf(path, sizeof(path), "%s/runs/%s/cgroups", t->root, id);
	text = h_slurp(path, NULL);
	for (char *l = text ? strtok_r(text, "\n", &save) : NULL; l && n < 2;
	     l = strtok_r(NULL, "\n", &save))
		snprintf(dirs[n++], 1024, "%s", l);
	free(text);
	return n;
}

/*
 * A tree an agent can leave in its tmp: a chain 150 directories deep
 * (the project watch measures 200 levels), with a file at each level and,
 * halfway, a directory it made 0500 (its entries cannot be unlinked until
 * it is writable again). A prune that walked a tree it could not remove
 * again at every level above would take 2^depth steps.
 */
static void
plant_deep(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), next, mid = -1;

	cr_assert_geq(fd, 0, "%s: %s", dir, strerror(errno));
	for (int i = 0; i < 150; i++) {
		next = openat(fd, "f", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		cr_assert_geq(next, 0);
		close(next);
		cr_assert_eq(mkdirat(fd, "d", 0700), 0);
		next = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		cr_assert_geq(next, 0);
		if (i == 75)
			mid = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		close(fd);
		fd = next;
	}
	close(fd);
	/* once full: a 0500 directory takes no new entries, not even ours */
	cr_assert_geq(mid, 0);
	cr_assert_eq(fchmodat(mid, "d", 0500, 0), 0);
	close(mid);
}

/* A file the prune must not reach, and links to it in the dead run's
 * tmp: a link to a file, to a directory, tmp's subdirectory made
 * unreadable (mode 0) as an agent could, and a deep tree (plant_deep). */
static void
plant(const struct hb *t, const char *id, char *outside, size_t cap)
{
	char path[1200], tmp[1100];
	FILE *f;

	snprintf(outside, cap, "%s/outside", t->dir);
	cr_assert_eq(mkdir(outside, 0777), 0);
	snprintf(path, sizeof(path), "%s/keep.txt", outside);
	f = fopen(path, "we");
	cr_assert_not_null(f);
	fputs("keep\n", f);
	fclose(f);
	snprintf(tmp, sizeof(tmp), "%s/runs/%s/tmp/zz-planted", t->root, id);
	if (mkdir(tmp, 0700) < 0)
		cr_assert_eq(errno, EEXIST);
	snprintf(path, sizeof(path), "%s/link-to-dir", tmp);
	cr_assert_eq(symlink(outside, path), 0, "%s", strerror(errno));
	plant_deep(tmp);
	snprintf(path, sizeof(path), "%s/link-to-file", tmp);
	snprintf(tmp + strlen(tmp), sizeof(tmp) - strlen(tmp), "/../closed");
	cr_assert_eq(mkdir(tmp, 0700), 0);
	cr_assert_eq(chmod(tmp, 0), 0);
	snprintf(tmp, sizeof(tmp), "%s/keep.txt", outside);
	cr_assert_eq(symlink(tmp, path), 0);
}

/* A corrupt results file, a half-valid one, a hostile run directory. */
static void
plant_others(const struct hb *t)
{
	char path[1200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/results/corrupt-run.json", t->root);
	f = fopen(path, "we");
	cr_assert_not_null(f);
	fputs("{\"status\": \"completed\", \"exit_co", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/results/half-run.json", t->root);
	f = fopen(path, "we");
	cr_assert_not_null(f);
	fputs("{\"status\": \"completed\"}", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/runs/" HOSTILE, t->root);
	cr_assert_eq(mkdir(path, 0700), 0);
	/* a run id wider than its column (a long benchmark name) */
	snprintf(path, sizeof(path), "%s/runs/" LONG_ID, t->root);
	cr_assert_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/runs/" HOSTILE "/lock", t->root);
	f = fopen(path, "we");
	cr_assert_not_null(f);
	fputs("{\"run_id\":\"x\",\"benchmark\":\"bad\\u001b[31mname\","
	      "\"start_time\":\"2026-01-02T03:04:05Z\",\"pid\":1}\n",
	      f);
	fclose(f);
}

Test(runs, kill9_then_list_and_prune, .timeout = 120)
{
	struct hb t;
	struct h_out o = { 0 };
	struct procs ps;
	char cfg_done[512], cfg_sleep[512], done[256] = "", dead[256],
					    live[256], token[300], path[1400],
					    outside[600];
	char cg[2][1024];
	int n_cg;
	pid_t pid;

	hb_start(&t, SCENARIO);
	hb_write_config(&t, "runs-done", "Quick Step", cfg_done,
			sizeof(cfg_done));
	hb_write_config(&t, "runs-sleep", "Sleeping Step", cfg_sleep,
			sizeof(cfg_sleep));

	/* a completed run */
	const char *a_done[] = { cfg_done, NULL };
	hb_run(&t, a_done, 60);
	cr_assert_eq(t.out.code, 0, "%s", t.out.err);
	cr_assert(h_single_file(t.root, "projects", path, sizeof(path)));
	snprintf(done, sizeof(done), "%s", strrchr(path, '/') + 1);

	/* kill -9 mid-run: the workers, the sleep and its child die too */
	const char *a_sleep[] = { cfg_sleep, NULL };
	const char *taken1[] = { done, NULL };
	pid = hb_spawn(&t, a_sleep);
	new_run(&t, taken1, dead, sizeof(dead));
	snprintf(token, sizeof(token), "gaorl-%s", dead);
	wait_named(token, 2);
	descendants(pid, &ps);
	cr_assert_geq(ps.n, 4,
		      "gao-dev, a worker, the sleep and its child: "
		      "%d processes",
		      ps.n);
	cr_assert_eq(kill(pid, SIGKILL), 0);
	hb_wait(&t, pid, 10);
	cr_assert_eq(t.out.code, 128 + SIGKILL);
	double t0 = h_now_s();
	for (int i = 0; i < 200 && (alive(&ps) || named(token)); i++)
		usleep(25000);
	int survivors = alive(&ps);

	for (int i = 1; survivors && i < ps.n; i++)
		kill(ps.pid[i], SIGKILL); /* leave nothing behind a failure */
	cr_assert_eq(survivors, 0, "processes of the killed run live on");
	cr_assert_eq(named(token), 0);
	cr_assert_lt(h_now_s() - t0, 5.0);
	n_cg = cgroups_of(&t, dead, cg);
	for (int i = 0; i < n_cg; i++)
		cr_assert(exists(cg[i]), "%s is not there to prune", cg[i]);

	/* a run in progress */
	const char *taken2[] = { done, dead, NULL };
	char token2[300];
	pid = hb_spawn(&t, a_sleep);
	new_run(&t, taken2, live, sizeof(live));
	snprintf(token2, sizeof(token2), "gaorl-%s", live);
	wait_named(token2, 2);

	plant_others(&t);
	plant(&t, dead, outside, sizeof(outside));

	/* the listing: every kind, the table escaped */
	runs_list(&t, NULL, NULL, &o);
	cr_assert_eq(o.code, 0, "%s", o.err);
	cr_assert_not_null(strstr(o.out, HOSTILE_SHOWN), "%s", o.out);
	cr_assert_not_null(strstr(o.out, "bad\\x1b[31mname"), "%s", o.out);
	cr_assert_null(strchr(o.out, '\x1b'), "a raw ESC on the terminal");
	/* a value wider than its column is still followed by a space */
	cr_assert_not_null(strstr(o.out, LONG_ID " unknown"), "%s", o.out);
	cr_assert_null(strchr(o.out, '\x07'), "a raw BEL on the terminal");
	cr_assert_not_null(strstr(o.out, "corrupt"), "%s", o.out);
	h_out_free(&o);
	runs_list(&t, "--json", NULL, &o);
	cr_assert_eq(o.code, 0, "%s", o.err);
	assert_status(o.out, done, "completed", false);
	assert_status(o.out, dead, "interrupted", false);
	assert_status(o.out, live, "running", false);
	assert_status(o.out, "corrupt-run", "corrupt", false);
	assert_status(o.out, "half-run", "corrupt", false);
	assert_status(o.out, HOSTILE, "interrupted", false);
	json_t *d = line_of(o.out, done);
	cr_assert_eq(hb_int(d, "exit_code"), 0);
	cr_assert_str_eq(hb_str(d, "benchmark"), "runs-done");
	json_decref(d);
	d = line_of(o.out, dead);
	cr_assert_str_eq(hb_str(d, "benchmark"), "runs-sleep");
	cr_assert(json_is_null(json_object_get(d, "exit_code")));
	cr_assert_neq(hb_str(d, "start_time")[0], 0);
	json_decref(d);
	h_out_free(&o);

	/* --prune: the dead runs only, never through the planted links */
	runs_list(&t, "--prune", NULL, &o);
	snprintf(path, sizeof(path), "%s/keep.txt", outside);
	cr_assert(exists(path), "the prune followed a symlink out");
	cr_assert_eq(o.code, 0, "%s\n%s", o.out, o.err);
	snprintf(path, sizeof(path), "pruned %s: removed", dead);
	cr_assert_not_null(strstr(o.out, path), "%s", o.out);
	cr_assert_not_null(strstr(o.out, "interrupted (pruned)"), "%s", o.out);
	h_out_free(&o);
	cr_assert(exists(outside));
	snprintf(path, sizeof(path), "%s/runs/%s/tmp", t.root, dead);
	cr_assert_not(exists(path), "%s is left", path);
	for (int i = 0; i < n_cg; i++)
		cr_assert_not(exists(cg[i]), "%s is left", cg[i]);
	const char *kept[] = { "events.jsonl",        "agents", "git",
			       "gao-dev.audit.jsonl", "pruned", NULL };
	for (size_t i = 0; kept[i]; i++) {
		snprintf(path, sizeof(path), "%s/runs/%s/%s", t.root, dead,
			 kept[i]);
		cr_assert(exists(path), "%s is gone", path);
	}
	snprintf(path, sizeof(path), "%s/projects/%s", t.root, dead);
	cr_assert(exists(path));
	/* the completed and the running run keep their tmp */
	snprintf(path, sizeof(path), "%s/runs/%s/tmp", t.root, done);
	cr_assert(exists(path), "the completed run was pruned");
	snprintf(path, sizeof(path), "%s/runs/%s/tmp", t.root, live);
	cr_assert(exists(path), "the running run was pruned");
	cr_assert_eq(named(token2), 2, "the running run was touched");

	/* a second prune: nothing to do, the marks stay */
	runs_list(&t, "--prune", "--json", &o);
	cr_assert_eq(o.code, 0, "%s", o.err);
	d = line_of(o.out, dead);
	cr_assert_eq(json_array_size(json_object_get(d, "removed")), 0, "%s",
		     o.out);
	json_decref(d);
	assert_status(o.out, dead, "interrupted", true);
	assert_status(o.out, live, "running", false);
	assert_status(o.out, done, "completed", false);
	h_out_free(&o);

	/* the running run ends: its own results, listed as such */
	cr_assert_eq(kill(pid, SIGTERM), 0);
	hb_wait(&t, pid, 30);
	cr_assert_eq(t.out.code, 130, "%s", t.out.err);
	runs_list(&t, "--json", NULL, &o);
	assert_status(o.out, live, "cancelled", false);
	h_out_free(&o);
	hb_finish(&t);
}

Test(runs, bad_roots)
{
	struct h_out o = { 0 };
	char dir[256], root[300];
	const char *missing[] = { "runs", "list", "--sandbox-root",
				  "/nonexistent/gao-dev-runs", NULL };
	const char *empty[] = { "runs", "list", "--sandbox-root", root, NULL };
	const char *extra[] = { "runs", "list", "somefile", NULL };

	h_tmpdir(dir, sizeof(dir));
	h_run(missing, NULL, dir, 10, &o);
	cr_assert_eq(o.code, 2);
	cr_assert_not_null(strstr(o.err, "/nonexistent/gao-dev-runs"), "%s",
			   o.err);
	cr_assert_not_null(strstr(o.err, "--sandbox-root"), "%s", o.err);
	h_out_free(&o);
	snprintf(root, sizeof(root), "%s/empty", dir);
	cr_assert_eq(mkdir(root, 0700), 0);
	h_run(empty, NULL, dir, 10, &o);
	cr_assert_eq(o.code, 2);
	cr_assert_not_null(strstr(o.err, "not a sandbox root"), "%s", o.err);
	h_out_free(&o);
	h_run(extra, NULL, dir, 10, &o);
	cr_assert_eq(o.code, 2);
	h_out_free(&o);
	rmdir(root);
	rmdir(dir);
}

#if GAO_DEV_TEST_SWITCHES /* --test-fault mkdirs */
/* The run directory under t->root/runs other than skip. */
static void
run_other_than(const struct hb *t, const char *skip, char *id, size_t cap)
{
	char dir[600];
	DIR *d;
	struct dirent *e;

	snprintf(dir, sizeof(dir), "%s/runs", t->root);
	d = opendir(dir);
	cr_assert_not_null(d, "%s", dir);
	id[0] = 0;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && strcmp(e->d_name, skip) != 0)
			snprintf(id, cap, "%.200s", e->d_name);
	closedir(d);
	cr_assert_neq(id[0], 0, "no run under %s", dir);
}

/*
 * A run that fails before it begins (here: its directories cannot be
 * made once its lock is taken) is listed `not_started` with its exit
 * code and reason, not `interrupted`, and a prune leaves it alone.
 */
Test(runs, not_started_is_listed_as_such)
{
	struct hb t;
	struct h_out o = { 0 };
	char cfg[512], id[256];

	hb_start(&t, SCENARIO);
	hb_write_config(&t, "runs-done", "Quick Step", cfg, sizeof(cfg));
	const char *a[] = { cfg, "--test-fault", "mkdirs", NULL };
	hb_run(&t, a, 60);
	cr_assert_eq(t.out.code, 4, "%s", t.out.err);
	run_other_than(&t, "", id, sizeof(id));
	runs_list(&t, "--prune", "--json", &o);
	cr_assert_eq(o.code, 0, "%s", o.err);
	assert_status(o.out, id, "not_started", false);
	json_t *d = line_of(o.out, id);
	cr_assert_eq(hb_int(d, "exit_code"), 4);
	cr_assert(strstr(hb_str(d, "error"), "cannot create the run's "
					     "directories"),
		  "%s", hb_str(d, "error"));
	cr_assert_null(json_object_get(d, "removed"), "it was pruned");
	json_decref(d);
	h_out_free(&o);
	hb_finish(&t);
}
#endif

#if GAO_DEV_TEST_SWITCHES /* --test-fault stop-after-lock */
/* Whether pid is stopped (SIGSTOP), within 10 s. */
static bool
stopped(pid_t pid)
{
	for (int i = 0; i < 400; i++) {
		pid_t pp;
		unsigned long long st;
		char s;

		if (stat_of(pid, &pp, &st, &s) && s == 'T')
			return true;
		usleep(25000);
	}
	return false;
}

/*
 * The lock appears held. gao-dev stops itself the moment a run's lock
 * file is under its name (a test switch): `runs list --prune` then sees
 * the run `running` and leaves it alone; it resumes and completes. A run
 * directory with no lock yet (a run starting) is `unknown`, not pruned,
 * and the prune makes no lock file in it (which would keep that run
 * from starting).
 */
Test(runs, lock_appears_held)
{
	struct hb t;
	struct h_out o = { 0 };
	char cfg[512], path[1400], id[256] = "";
	bool is_stopped;
	pid_t pid;

	hb_start(&t, SCENARIO);
	hb_write_config(&t, "runs-done", "Quick Step", cfg, sizeof(cfg));
	cr_assert_eq(mkdir(t.root, 0755), 0);
	snprintf(path, sizeof(path), "%s/runs", t.root);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/runs/starting-run", t.root);
	cr_assert_eq(mkdir(path, 0700), 0);
	const char *a[] = { cfg, "--test-fault", "stop-after-lock", NULL };
	pid = hb_spawn(&t, a);
	is_stopped = stopped(pid);
	if (is_stopped) {
		run_other_than(&t, "starting-run", id, sizeof(id));
		runs_list(&t, "--prune", "--json", &o);
	}
	/* on before any assertion: a failed one must not leave it stopped
	 * (its death signal would wait for a SIGCONT) */
	cr_assert_eq(kill(pid, SIGCONT), 0);
	cr_assert(is_stopped, "gao-dev did not stop after its lock");
	cr_assert_eq(o.code, 0, "%s", o.err);
	assert_status(o.out, id, "running", false);
	assert_status(o.out, "starting-run", "unknown", false);
	h_out_free(&o);
	snprintf(path, sizeof(path), "%s/runs/starting-run/lock", t.root);
	cr_assert_not(exists(path), "the prune made a lock file");
	snprintf(path, sizeof(path), "%s/runs/%s/pruned", t.root, id);
	cr_assert_not(exists(path), "the starting run was pruned");
	hb_wait(&t, pid, 60);
	cr_assert_eq(t.out.code, 0, "%s", t.out.err);
	runs_list(&t, "--json", NULL, &o);
	assert_status(o.out, id, "completed", false);
	h_out_free(&o);
	hb_finish(&t);
}
#endif
