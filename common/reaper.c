/*
 * reaper.c - see reaper.h.
 */
#include "common/reaper.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/io.h"

#define REAPER_FILE_MAX (1u << 20) /* a children file of 65536 pids */

struct pidvec {
	pid_t *v;
	size_t n, cap;
};

/* A snapshot of (pid, parent) for the scan mode. */
struct procs {
	struct pidvec pid, ppid;
};

enum { MODE_UNKNOWN, MODE_CHILDREN, MODE_SCAN };

static int
push(struct pidvec *p, pid_t pid)
{
	pid_t *nv;
	size_t ncap;

	if (p->n >= REAPER_MAX_PIDS)
		return 0; /* the next pass sees the rest */
	if (p->n == p->cap) {
		ncap = p->cap ? p->cap * 2 : 64;
		nv = realloc(p->v, ncap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		p->v = nv;
		p->cap = ncap;
	}
	p->v[p->n++] = pid;
	return 0;
}

/* A positive decimal pid from s[0..n), or 0. */
static pid_t
parse_pid(const char *s, size_t n)
{
	long v = 0;

	if (n == 0 || n > 9)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (s[i] - '0');
	}
	return (pid_t)v;
}

/* The content of path (at most REAPER_FILE_MAX bytes), NUL-terminated
 * in a new buffer; NULL when it cannot be read (the process is gone). */
static char *
slurp(const char *path, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = NULL, *nb;
	ssize_t r;
	int fd = io_open(path, O_RDONLY | O_CLOEXEC, 0);

	if (fd < 0)
		return NULL;
	for (;;) {
		if (!buf || n + 1 >= cap) {
			if (buf)
				cap *= 2;
			nb = cap <= REAPER_FILE_MAX ? realloc(buf, cap) : NULL;
			if (!nb)
				break;
			buf = nb;
		}
		r = io_read(fd, buf + n, cap - n - 1);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (buf) {
		buf[n] = '\0';
		*len = n;
	}
	return buf;
}

/* Append every pid of a space-separated list to v. */
static int
push_list(struct pidvec *v, const char *s, size_t n)
{
	size_t i = 0, j;
	pid_t pid;
	int rc = 0;

	while (rc == 0 && i < n) {
		while (i < n && (s[i] == ' ' || s[i] == '\n'))
			i++;
		for (j = i; j < n && s[j] != ' ' && s[j] != '\n'; j++)
			;
		pid = parse_pid(s + i, j - i);
		if (pid > 0)
			rc = push(v, pid);
		i = j;
	}
	return rc;
}

/* Which way this kernel shows children; decided once. */
static int m = MODE_UNKNOWN;

void
reaper_force_scan(void)
{
	m = MODE_SCAN;
}

static int
mode(void)
{
	char path[64];

	if (m == MODE_UNKNOWN) {
		snprintf(path, sizeof(path), "/proc/self/task/%d/children",
			 (int)gettid());
		m = access(path, R_OK) == 0 ? MODE_CHILDREN : MODE_SCAN;
	}
	return m;
}

/* The children of pid (0 = this process) through every thread's
 * children file. A process that is gone has none. */
static int
children_file(pid_t pid, struct pidvec *out)
{
	char dir[64], path[128], *buf;
	struct dirent *e;
	size_t len = 0;
	DIR *d;
	int rc = 0;

	if (pid == 0)
		snprintf(dir, sizeof(dir), "/proc/self/task");
	else
		snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
	d = opendir(dir);
	if (!d)
		return errno == ENOMEM ? -ENOMEM : 0;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (parse_pid(e->d_name, strlen(e->d_name)) <= 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s/children", dir, e->d_name);
		buf = slurp(path, &len);
		if (buf)
			rc = push_list(out, buf, len);
		free(buf);
	}
	closedir(d);
	return rc;
}

/* Every process of /proc with its parent (the scan mode). */
static int
scan(struct procs *s)
{
	char path[64], *buf, *p;
	struct dirent *e;
	size_t len = 0;
	pid_t pid, ppid;
	size_t k;
	DIR *d = opendir("/proc");
	int rc = 0;

	if (!d)
		return -ENOSYS;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		pid = parse_pid(e->d_name, strlen(e->d_name));
		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		buf = slurp(path, &len);
		/* "pid (comm) S ppid ...": comm may hold anything, even ')' */
		p = buf ? strrchr(buf, ')') : NULL;
		ppid = 0;
		if (p && p[1] == ' ' && p[2] && p[3] == ' ') {
			p += 4;
			k = strspn(p, "0123456789");
			ppid = parse_pid(p, k);
		}
		if (ppid > 0) {
			rc = push(&s->pid, pid);
			if (rc == 0)
				rc = push(&s->ppid, ppid);
		}
		free(buf);
	}
	closedir(d);
	return rc;
}

static int
children_of(pid_t pid, const struct procs *s, struct pidvec *out)
{
	pid_t parent = pid ? pid : getpid();
	int rc = 0;

	if (!s)
		return children_file(pid, out);
	for (size_t i = 0; rc == 0 && i < s->pid.n; i++)
		if (s->ppid.v[i] == parent)
			rc = push(out, s->pid.v[i]);
	return rc;
}

static bool
kept(pid_t pid, const pid_t *keep, size_t n_keep)
{
	for (size_t i = 0; i < n_keep; i++)
		if (keep[i] == pid)
			return true;
	return false;
}

/*
 * Walk from root (0: this process's children but the kept ones), killing
 * each process before reading its children when do_kill. The number of
 * processes visited, or -errno.
 */
static long
walk(pid_t root, const pid_t *keep, size_t n_keep, bool do_kill)
{
	struct pidvec q = { 0 }, first = { 0 };
	struct procs snap = { { 0 }, { 0 } }, *s = NULL;
	long rc = 0;

	if (!reaper_proc_usable())
		return -ENOSYS;
	if (mode() == MODE_SCAN) {
		s = &snap;
		rc = scan(s);
	}
	if (rc == 0 && root)
		rc = push(&q, root);
	else if (rc == 0)
		rc = children_of(0, s, &first);
	for (size_t i = 0; rc == 0 && i < first.n; i++)
		if (!kept(first.v[i], keep, n_keep))
			rc = push(&q, first.v[i]);
	for (size_t i = 0; rc == 0 && i < q.n; i++) {
		if (do_kill)
			kill(q.v[i], SIGKILL);
		rc = children_of(q.v[i], s, &q);
	}
	if (rc == 0)
		rc = (long)q.n;
	free(q.v);
	free(first.v);
	free(snap.pid.v);
	free(snap.ppid.v);
	return rc;
}

int
reaper_init(void)
{
	return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0 ? -errno : 0;
}

bool
reaper_proc_usable(void)
{
	char buf[32];
	ssize_t n = readlink("/proc/self", buf, sizeof(buf) - 1);

	if (n <= 0)
		return false;
	return parse_pid(buf, (size_t)n) == getpid();
}

/* Reap what has exited; true when something was. */
static bool
reap_some(reaper_exit_fn on_exit, void *arg)
{
	bool any = false;
	int status = 0;
	pid_t pid;

	while ((pid = io_waitpid(-1, &status, WNOHANG)) > 0) {
		any = true;
		if (on_exit)
			on_exit(pid, status, arg);
	}
	return any;
}

void
reaper_reap(reaper_exit_fn on_exit, void *arg)
{
	(void)reap_some(on_exit, arg);
}

long
reaper_sweep(const pid_t *keep, size_t n_keep, uint32_t budget_ms,
	     reaper_exit_fn on_exit, void *arg)
{
	struct timespec ms = { 0, 1000000 };
	uint64_t deadline = clock_now_ms() + budget_ms;
	long n, found = -1;

	for (;;) {
		reap_some(on_exit, arg);
		n = walk(0, keep, n_keep, true);
		if (n < 0)
			return n;
		if (found < 0)
			found = n;
		if (n == 0)
			return found;
		if (clock_now_ms() >= deadline)
			return -ETIMEDOUT;
		/* killed processes exit within microseconds; wait for them
		 * only when none had exited yet */
		if (!reap_some(on_exit, arg))
			nanosleep(&ms, NULL);
	}
}

long
reaper_children(pid_t **out)
{
	struct procs snap = { { 0 }, { 0 } }, *s = NULL;
	struct pidvec v = { 0 };
	int rc = 0;

	*out = NULL;
	if (!reaper_proc_usable())
		return -ENOSYS;
	if (mode() == MODE_SCAN) {
		s = &snap;
		rc = scan(s);
	}
	if (rc == 0)
		rc = children_of(0, s, &v);
	free(snap.pid.v);
	free(snap.ppid.v);
	if (rc < 0) {
		free(v.v);
		return rc;
	}
	*out = v.v;
	return (long)v.n;
}

long
reaper_count(pid_t root)
{
	return root >= 0 ? walk(root, NULL, 0, false) : -EINVAL;
}

long
reaper_kill_tree(pid_t root)
{
	return root > 0 ? walk(root, NULL, 0, true) : -EINVAL;
}
