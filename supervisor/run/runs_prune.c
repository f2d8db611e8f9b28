/*
 * runs_prune.c - remove what an interrupted run left behind. See
 * runs_prune.h for the design note: what is removed, what is kept, and
 * why every step is an *at() call below an O_NOFOLLOW directory fd.
 */
#include "supervisor/run/runs_prune.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/io.h"
#include "supervisor/sandbox/cgroup.h"

#define CGROUPS_MAX 8192 /* runs/<id>/cgroups: CGROUP_MAX_FDS paths */

struct rm {
	json_t *problems;
	const char *shown; /* the tree's name in messages */
	size_t n;          /* entries removed */
	bool failed;
};

__attribute__((format(printf, 2, 3))) static void
problem(json_t *problems, const char *fmt, ...)
{
	va_list ap;
	json_t *s;

	va_start(ap, fmt);
	s = json_vsprintf(fmt, ap);
	va_end(ap);

	/* a name that is not UTF-8 makes json_sprintf fail: say it anyway */
	json_array_append_new(problems,
			      s ? s : json_string("a path that is not UTF-8"));
}

static int rm_entry(int dfd, const char *name, int depth, struct rm *st);

/*
 * Every entry of the directory fd (consumed). A removal during readdir
 * may hide an entry from the same pass, so a pass that removed something
 * is followed by another; the first failure ends the walk (a tree that
 * cannot all go is left, and walking it again at every level above would
 * cost 2^depth). The directory is made writable to us first: the agent
 * may have left it 0500, and its entries could not be unlinked.
 */
static void
rm_children(int fd, int depth, struct rm *st)
{
	DIR *d;
	struct dirent *e;
	struct stat sb;
	size_t before;

	if (fstat(fd, &sb) == 0 && (sb.st_mode & 0700) != 0700)
		(void)fchmod(fd, 0700); /* by fd: no link to swap in */
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		st->failed = true;
		return;
	}
	do {
		before = st->n;
		rewinddir(d);
		while (!st->failed && (e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 ||
			    strcmp(e->d_name, "..") == 0)
				continue;
			rm_entry(dirfd(d), e->d_name, depth + 1, st);
		}
	} while (!st->failed && st->n > before);
	closedir(d);
}

/* Remove dfd/name, never following a symlink: 0 or -errno. */
static int
rm_entry(int dfd, const char *name, int depth, struct rm *st)
{
	struct stat sb;
	int fd;

	if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(sb.st_mode)) {
		if (unlinkat(dfd, name, 0) < 0 && errno != ENOENT)
			goto fail;
		st->n++;
		return 0;
	}
	if (depth >= PRUNE_MAX_DEPTH) {
		errno = ELOOP;
		goto fail;
	}
	/* a directory the agent made unreadable (mode 0) is its own uid's,
	 * or ours when we are that uid: make it ours to read, not a link */
	fd = io_openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
	if (fd == -EACCES &&
	    fchmodat(dfd, name, 0700, AT_SYMLINK_NOFOLLOW) == 0)
		fd = io_openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW,
			       0);
	if (fd < 0) {
		errno = -fd;
		goto fail;
	}
	rm_children(fd, depth, st);
	if (unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		goto fail;
	st->n++;
	return 0;
fail:
	if (!st->failed) /* the first failure is enough to say */
		problem(st->problems, "%s: %s: left in place", st->shown,
			strerror(errno));
	st->failed = true;
	return -1;
}

/* runs/<id>/tmp, the workers' private TMPDIR. */
static int
prune_tmp(int run_fd, const char *id, json_t *removed, json_t *problems)
{
	char shown[PATH_MAX + 16];
	struct rm st = { .problems = problems, .shown = shown };
	struct stat sb;

	snprintf(shown, sizeof(shown), "runs/%s/tmp", id);
	if (fstatat(run_fd, "tmp", &sb, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	rm_entry(run_fd, "tmp", 0, &st);
	if (!st.failed)
		json_array_append_new(removed, json_sprintf("%s (%zu entries)",
							    shown, st.n - 1));
	return st.failed ? -1 : 0;
}

/* results/<id>.json.tmp.<digits>: a results write the crash cut short. */
static int
prune_results_tmp(int root_fd, const char *id, json_t *removed,
		  json_t *problems)
{
	size_t n = strlen(id);
	struct dirent *e;
	int fd, rc = 0;
	DIR *d;

	fd = io_openat(root_fd, "results", O_RDONLY | O_DIRECTORY | O_NOFOLLOW,
		       0);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while ((e = readdir(d)) != NULL) {
		const char *t = e->d_name + n;

		if (strncmp(e->d_name, id, n) != 0 ||
		    strncmp(t, ".json.tmp.", 10) != 0 || !t[10] ||
		    strspn(t + 10, "0123456789") != strlen(t + 10))
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) == 0) {
			json_array_append_new(removed,
					      json_sprintf("results/%s",
							   e->d_name));
		} else {
			problem(problems, "results/%s: %s", e->d_name,
				strerror(errno));
			rc = -1;
		}
	}
	closedir(d);
	return rc;
}

/* The cgroups runs/<id>/cgroups names (run_caps.c wrote them). */
static int
prune_cgroups(int run_fd, const char *id, json_t *removed, json_t *problems)
{
	char buf[CGROUPS_MAX], err[PATH_MAX + 128], *line, *save = NULL;
	ssize_t n;
	int fd, rc = 0, killed;

	fd = io_openat(run_fd, "cgroups", O_RDONLY | O_NOFOLLOW | O_NONBLOCK,
		       0);
	if (fd < 0)
		return 0; /* the run had no cgroup (or died before it) */
	n = io_read_all(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		int r = cgroup_remove_stale(line, id, &killed, err,
					    sizeof(err));

		if (r > 0 && killed)
			json_array_append_new(
				removed,
				json_sprintf("cgroup %s (%d processes killed)",
					     line, killed));
		else if (r > 0)
			json_array_append_new(removed,
					      json_sprintf("cgroup %s", line));
		if (r < 0) {
			problem(problems, "%s", err);
			rc = -1;
		}
	}
	return rc;
}

/* runs/<id>/pruned: one JSON line, what was removed and when. */
static int
mark(int run_fd, const json_t *removed, json_t *problems)
{
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	json_t *o;
	char *text = NULL;
	struct stat sb;
	int fd, rc = -1;

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	o = json_pack("{s:s,s:O}", "pruned_at", when, "removed", removed);
	text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	/* the run's directory may hold what its agent planted: never a
	 * FIFO's wait, a link's target or another name's data */
	fd = io_openat(run_fd, "pruned",
		       O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK, 0600);
	if (text && fd >= 0 && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    sb.st_nlink == 1 && ftruncate(fd, 0) == 0 &&
	    io_write_all(fd, text, strlen(text)) == 0 &&
	    io_write_all(fd, "\n", 1) == 0)
		rc = 0;
	if (rc < 0)
		problem(problems, "cannot write the pruned marker");
	if (fd >= 0)
		close(fd);
	free(text);
	return rc;
}

int
runs_prune(int root_fd, int run_fd, const char *id, json_t *removed,
	   json_t *problems)
{
	struct stat sb;
	int rc = 0;

	/* the cgroup first: a process left in it dies before its files go */
	rc |= prune_cgroups(run_fd, id, removed, problems);
	rc |= prune_tmp(run_fd, id, removed, problems);
	rc |= prune_results_tmp(root_fd, id, removed, problems);
	/* a second prune with nothing left to do changes nothing */
	if (json_array_size(removed) == 0 &&
	    fstatat(run_fd, "pruned", &sb, AT_SYMLINK_NOFOLLOW) == 0)
		return rc ? -1 : 0;
	rc |= mark(run_fd, removed, problems);
	return rc ? -1 : 0;
}
