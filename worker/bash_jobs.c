/*
 * bash_jobs.c - see bash_jobs.h.
 */
#include "worker/bash_jobs.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/io.h"
#include "worker/bash_exec.h"
#include "common/reaper.h"

/* Tries at a fresh output file name before giving up. */
#define BASH_JOBS_NAME_TRIES 100

struct job {
	int id;
	pid_t pid;
	bool live;
	bool ended; /* reaped, not yet reported */
	int status;
	char path[PATH_MAX];
};

struct bash_jobs {
	bool own_pidns;
	uint64_t cap;
	int next_id;
	struct job job[BASH_JOBS_MAX];
};

/* Append a formatted line to notes (cut when full). */
__attribute__((format(printf, 3, 4))) static void
note(char *notes, size_t size, const char *fmt, ...)
{
	size_t len = strnlen(notes, size);
	va_list ap;

	if (len + 1 >= size)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(notes + len, size - len, fmt, ap);
	va_end(ap);
}

struct bash_jobs *
bash_jobs_new(bool own_pidns)
{
	struct bash_jobs *j;
	int rc = reaper_init();

	if (rc < 0) {
		errno = -rc;
		return NULL;
	}
	j = calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	j->own_pidns = own_pidns;
	j->next_id = 1;
	return j;
}

void
bash_jobs_set_cap(struct bash_jobs *j, uint64_t cap)
{
	j->cap = cap;
}

size_t
bash_jobs_live(const struct bash_jobs *j)
{
	size_t n = 0;

	for (size_t i = 0; i < BASH_JOBS_MAX; i++)
		n += j->job[i].live;
	return n;
}

/* Half of RLIMIT_NPROC (at least 1), 0 when it is unlimited. */
static uint64_t
half_nproc(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NPROC, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		return 0;
	return rl.rlim_cur / 2 ? rl.rlim_cur / 2 : 1;
}

/* The processes background jobs may hold: half of the cap, 0 = any. */
static uint64_t
share(const struct bash_jobs *j)
{
	if (j->cap)
		return j->cap / 2 ? j->cap / 2 : 1;
	return half_nproc();
}

/* reaper_exit_fn: a keeper that exited ends its job. */
static void
on_exit_cb(pid_t pid, int status, void *arg)
{
	struct bash_jobs *j = arg;

	for (size_t i = 0; i < BASH_JOBS_MAX; i++) {
		if (j->job[i].live && j->job[i].pid == pid) {
			j->job[i].live = false;
			j->job[i].ended = true;
			j->job[i].status = status;
		}
	}
}

/* Processes below live jobs (keepers included), each job's in count[]. */
static uint64_t
count_jobs(const struct bash_jobs *j, long count[BASH_JOBS_MAX])
{
	uint64_t total = 0;

	for (size_t i = 0; i < BASH_JOBS_MAX; i++) {
		count[i] = j->job[i].live ? reaper_count(j->job[i].pid) : 0;
		if (count[i] > 0)
			total += (uint64_t)count[i];
	}
	return total;
}

/* The live job started last, or NULL. */
static struct job *
newest(struct bash_jobs *j)
{
	struct job *best = NULL;

	for (size_t i = 0; i < BASH_JOBS_MAX; i++)
		if (j->job[i].live && (!best || j->job[i].id > best->id))
			best = &j->job[i];
	return best;
}

/* Kill the newest jobs while they hold more than their share. */
static bool
enforce_share(struct bash_jobs *j, char *notes, size_t size)
{
	long count[BASH_JOBS_MAX];
	uint64_t max, total;
	struct job *victim;
	bool killed = false;

	if (bash_jobs_live(j) == 0)
		return false;
	max = share(j);
	if (max == 0)
		return false;
	total = count_jobs(j, count);
	while (total > max && (victim = newest(j)) != NULL) {
		note(notes, size,
		     "[background job %d (pid %d) was killed: background "
		     "processes held %llu of the %llu allowed (half of the "
		     "process limit)]\n",
		     victim->id, (int)victim->pid, (unsigned long long)total,
		     (unsigned long long)max);
		(void)reaper_kill_tree(victim->pid);
		victim->live = false;
		total -= (uint64_t)count[victim - j->job];
		killed = true;
	}
	return killed;
}

/* Kill and reap everything but the live jobs. */
static void
sweep(struct bash_jobs *j, bool quiet, char *notes, size_t size)
{
	pid_t keep[BASH_JOBS_MAX];
	size_t n = 0;
	long rc, seen = 0;

	for (size_t i = 0; i < BASH_JOBS_MAX; i++)
		if (j->job[i].live)
			keep[n++] = j->job[i].pid;
	/* With nothing to keep, one walk tells whether anything was left
	 * (the common case: no); see bash_jobs.h for kill(-1) in its own
	 * PID namespace, which reaches every leftover at once. */
	if (n == 0) {
		seen = reaper_count(0);
		if (seen == 0)
			return;
		if (j->own_pidns)
			(void)kill(-1, SIGKILL);
	}
	rc = reaper_sweep(keep, n, BASH_JOBS_SWEEP_MS, on_exit_cb, j);
	if (rc >= 0 && seen > rc)
		rc = seen;
	if (rc > 0 && !quiet)
		note(notes, size,
		     "[%ld process%s left running by the command %s killed "
		     "when it returned; use run_in_background to keep one]\n",
		     rc, rc == 1 ? "" : "es", rc == 1 ? "was" : "were");
	else if (rc == -ETIMEDOUT)
		note(notes, size,
		     "[processes left running by the command were still "
		     "there after %d ms of killing]\n",
		     BASH_JOBS_SWEEP_MS);
	else if (rc == -ENOSYS && !j->own_pidns)
		note(notes, size,
		     "[/proc is not readable here: processes left running by "
		     "the command were not killed]\n");
}

/* Report jobs reaped since the last call, once. */
static void
report_ended(struct bash_jobs *j, char *notes, size_t size)
{
	struct job *b;
	int st;

	for (size_t i = 0; i < BASH_JOBS_MAX; i++) {
		b = &j->job[i];
		if (!b->ended)
			continue;
		st = b->status;
		note(notes, size,
		     "[background job %d (pid %d) ended with exit code %d; "
		     "its output: %s]\n",
		     b->id, (int)b->pid,
		     WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st),
		     b->path);
		b->ended = false;
	}
}

void
bash_jobs_settle(struct bash_jobs *j, char *notes, size_t size)
{
	bool killed;

	if (!j)
		return;
	reaper_reap(on_exit_cb, j);
	killed = enforce_share(j, notes, size);
	sweep(j, killed, notes, size);
	report_ended(j, notes, size);
}

void
bash_jobs_free(struct bash_jobs *j)
{
	if (!j)
		return;
	for (size_t i = 0; i < BASH_JOBS_MAX; i++) {
		if (j->job[i].live)
			(void)reaper_kill_tree(j->job[i].pid);
		j->job[i].live = false;
	}
	if (j->own_pidns)
		(void)kill(-1, SIGKILL);
	(void)reaper_sweep(NULL, 0, BASH_JOBS_SWEEP_MS, NULL, NULL);
	free(j);
}

/* ---- starting a job ----------------------------------------------------- */

/* A fresh output file under $TMPDIR (else /tmp): O_EXCL, no symlink
 * followed, 0600, appended to. The fd, or -errno. */
static int
open_output(int id, char *path, size_t size)
{
	const char *dir = getenv("TMPDIR");
	int fd = -EEXIST, n;

	if (!dir || dir[0] != '/' || strlen(dir) > size / 2)
		dir = "/tmp";
	for (int k = 0; k < BASH_JOBS_NAME_TRIES && fd == -EEXIST; k++) {
		n = k ? snprintf(path, size, "%s/bash-bg-%d-%d.log", dir, id,
				 k) :
			snprintf(path, size, "%s/bash-bg-%d.log", dir, id);
		if (n < 0 || (size_t)n >= size)
			return -ENAMETOOLONG;
		fd = io_open(path,
			     O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
				     O_APPEND | O_CLOEXEC | O_NOCTTY,
			     0600);
	}
	return fd;
}

/* Lower RLIMIT_NPROC to max (never raise it). */
static void
lower_nproc(uint64_t max)
{
	struct rlimit rl;

	if (max == 0 || getrlimit(RLIMIT_NPROC, &rl) < 0)
		return;
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > max)
		rl.rlim_cur = max;
	if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max > max)
		rl.rlim_max = max;
	(void)setrlimit(RLIMIT_NPROC, &rl);
}

/*
 * The keeper (see bash_jobs.h), in the forked child. Reports 0 or the
 * errno of the failed step on status_w, then reaps until nothing is left
 * below it and exits with bash's status.
 */
__attribute__((noreturn)) static void
keeper(pid_t worker, int project_fd, int out_fd, int null_fd, int status_w,
       const char *command, uint64_t max)
{
	int e = 0, st = 0, code = 0;
	pid_t pid, w;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 ||
	    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0 || setsid() < 0)
		e = errno;
	if (getppid() != worker)
		_exit(126); /* the worker is gone already */
	lower_nproc(max);
	pid = e ? -1 : fork();
	if (pid == 0) {
		/* bash dies with its keeper, whoever kills that */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
			_exit(126);
		bash_exec_child(project_fd, out_fd, null_fd, command, false);
	}
	if (pid < 0 && e == 0)
		e = errno;
	if (write(status_w, &e, sizeof(e)) != (ssize_t)sizeof(e) || e)
		_exit(126);
	bash_exec_close_from(0); /* the keeper needs no fd at all */
	for (;;) {
		w = waitpid(-1, &st, 0);
		if (w == pid)
			code = WIFEXITED(st)   ? WEXITSTATUS(st) :
			       WIFSIGNALED(st) ? 128 + WTERMSIG(st) :
						 1;
		if (w < 0 && errno != EINTR)
			_exit(code); /* ECHILD: nothing left */
	}
}

/* Fork the keeper; 0 with *pid, or the errno it reported (positive), or
 * -errno of our own. */
static int
fork_keeper(int project_fd, int out_fd, const char *command, uint64_t max,
	    pid_t *pid)
{
	int p[2], nullfd, e = EIO, rc;
	pid_t worker = getpid();
	ssize_t n;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	nullfd = io_open("/dev/null", O_RDONLY | O_CLOEXEC | O_NOCTTY, 0);
	*pid = fork();
	if (*pid == 0) {
		close(p[0]);
		keeper(worker, project_fd, out_fd, nullfd, p[1], command, max);
	}
	rc = *pid < 0 ? -errno : 0;
	close(p[1]);
	if (nullfd >= 0)
		close(nullfd);
	if (rc == 0) {
		n = io_read_all(p[0], &e, sizeof(e));
		if (n == (ssize_t)sizeof(e) && e == 0)
			rc = 0;
		else
			rc = n == (ssize_t)sizeof(e) ? e : EIO;
		if (rc > 0) /* it exits at once: reap it */
			(void)io_waitpid(*pid, NULL, 0);
	}
	close(p[0]);
	return rc;
}

int
bash_jobs_start(struct bash_jobs *j, int project_fd, const char *command,
		struct bash_job_info *info, char *err, size_t errlen)
{
	long count[BASH_JOBS_MAX];
	uint64_t max = share(j), total = count_jobs(j, count);
	struct job *slot = NULL;
	int fd, rc;

	memset(info, 0, sizeof(*info));
	for (size_t i = 0; i < BASH_JOBS_MAX && !slot; i++)
		if (!j->job[i].live && !j->job[i].ended)
			slot = &j->job[i];
	if (!slot) {
		snprintf(err, errlen,
			 "%d background jobs are running already (the "
			 "maximum): stop one first (kill -- -PID)",
			 BASH_JOBS_MAX);
		return 1;
	}
	/* a new job needs two processes: its keeper and bash */
	if (max && total + 2 > max) {
		snprintf(err, errlen,
			 "background processes hold %llu of the %llu allowed "
			 "(half of the process limit): stop a job first "
			 "(kill -- -PID)",
			 (unsigned long long)total, (unsigned long long)max);
		return 1;
	}
	fd = open_output(j->next_id, info->path, sizeof(info->path));
	if (fd < 0) {
		snprintf(err, errlen, "cannot create the output file: %s",
			 strerror(-fd));
		return 1;
	}
	/* the kernel's limit for the job: half of the real RLIMIT_NPROC
	 * (a cap set for tests only changes the count) */
	rc = fork_keeper(project_fd, fd, command, half_nproc(), &info->pid);
	close(fd);
	if (rc != 0) {
		(void)unlink(info->path);
		snprintf(err, errlen, "cannot start the command: %s%s",
			 strerror(rc < 0 ? -rc : rc),
			 rc == EAGAIN ? " (a background job may fork only "
					"while the uid holds fewer than half "
					"of the process limit)" :
					"");
		return 1;
	}
	*slot = (struct job){ .id = j->next_id++,
			      .pid = info->pid,
			      .live = true };
	memcpy(slot->path, info->path, sizeof(slot->path));
	info->id = slot->id;
	info->share = max;
	return 0;
}
