/*
 * run_lock.c - the lock a run holds for its whole life. See run_lock.h
 * for the design note.
 */
#include "supervisor/run/run_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "common/io.h"
#include "common/pathbuf.h"
#include "supervisor/run/run_priv.h"

/* The lock line: what the run is, for a reader that finds no results. */
static int
write_line(int fd, const char *run_id, const char *benchmark, time_t start)
{
	char when[32];
	struct tm tm;
	json_t *o;
	char *text;
	int rc;

	gmtime_r(&start, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	o = json_pack("{s:s,s:s?,s:s,s:I}", "run_id", run_id, "benchmark",
		      benchmark, "start_time", when, "pid",
		      (json_int_t)getpid());
	text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!text)
		return -ENOMEM;
	rc = io_write_all(fd, text, strlen(text));
	if (rc == 0)
		rc = io_write_all(fd, "\n", 1);
	free(text);
	return rc;
}

int
run_lock_take(const char *root, const char *run_id, const char *benchmark,
	      time_t start, char *err, size_t errlen)
{
	char dir[PATH_MAX], path[PATH_MAX];
	int fd = -1, rc;

	if (pathbuf_fmt(dir, sizeof(dir), "%s/runs/%s", root, run_id) < 0 ||
	    pathbuf_fmt(path, sizeof(path), "%s/%s", dir, RUN_LOCK_FILE) < 0) {
		snprintf(err, errlen, "%s/runs/%s: path too long", root,
			 run_id);
		return -1;
	}
	rc = run_mkdirs(dir);
	if (rc < 0)
		goto fail;
	fd = io_open_private(path, O_EXCL);
	if (fd < 0) {
		rc = fd;
		goto fail;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		rc = -errno;
		goto fail;
	}
	rc = write_line(fd, run_id, benchmark, start);
	if (rc < 0)
		goto fail;
	return fd;
fail:
	snprintf(err, errlen, "cannot take the run's lock %s: %s", path,
		 strerror(-rc));
	if (fd >= 0)
		close(fd);
	return -1;
}

enum run_lock_state
run_lock_probe(int run_dir_fd, int *keep, char *line, size_t cap)
{
	enum run_lock_state st = RUN_LOCK_UNKNOWN;
	struct stat sb;
	ssize_t n;
	int fd;

	if (line && cap)
		line[0] = 0;
	if (keep)
		*keep = -1;
	fd = io_openat(run_dir_fd, RUN_LOCK_FILE,
		       O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK, 0);
	if (fd == -ENOENT)
		return RUN_LOCK_MISSING;
	if (fd < 0)
		return RUN_LOCK_UNKNOWN;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode))
		goto out;
	if (line && cap > 1) {
		n = io_read_all(fd, line, cap - 1);
		line[n > 0 ? n : 0] = 0;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
		st = RUN_LOCK_FREE;
		if (keep) {
			*keep = fd;
			fd = -1;
		}
	} else if (errno == EWOULDBLOCK) {
		st = RUN_LOCK_HELD;
	}
out:
	if (fd >= 0)
		close(fd);
	return st;
}

const char *
run_lock_state_name(enum run_lock_state s)
{
	switch (s) {
	case RUN_LOCK_MISSING:
		return "missing";
	case RUN_LOCK_FREE:
		return "free";
	case RUN_LOCK_HELD:
		return "held";
	case RUN_LOCK_UNKNOWN:
		break;
	}
	return "unknown";
}
