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
#include "common/utf8.h"
#include "supervisor/core/wfault.h"
#include "supervisor/run/run_priv.h"

/* The tail of the lock line: fields (the object's members, without its
 * braces' first) padded with spaces to RUN_LOCK_TAIL bytes, the last a
 * newline. -E2BIG when they do not fit. */
static int
fill_tail(char tail[RUN_LOCK_TAIL], const json_t *fields)
{
	char *text = json_dumps(fields, JSON_COMPACT);
	size_t n;

	if (!text)
		return -ENOMEM;
	n = strlen(text);
	if (n < 2 || n - 1 > RUN_LOCK_TAIL - 1) {
		free(text);
		return -E2BIG;
	}
	memset(tail, ' ', RUN_LOCK_TAIL);
	memcpy(tail, text + 1, n - 1); /* without the opening brace */
	tail[RUN_LOCK_TAIL - 1] = '\n';
	free(text);
	return 0;
}

/* The lock line: what the run is, for a reader that finds no results,
 * then the state's tail, "running". */
static int
write_line(int fd, const char *run_id, const char *benchmark, time_t start)
{
	char when[32], tail[RUN_LOCK_TAIL];
	struct tm tm;
	json_t *o, *st;
	char *text;
	int rc;

	gmtime_r(&start, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	o = json_pack("{s:s,s:s?,s:s,s:I}", "run_id", run_id, "benchmark",
		      benchmark, "start_time", when, "pid",
		      (json_int_t)getpid());
	text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	st = json_pack("{s:s}", "state", "running");
	rc = text && st ? fill_tail(tail, st) : -ENOMEM;
	json_decref(st);
	if (rc == 0) {
		/* the head without its closing brace, a comma, the tail */
		text[strlen(text) - 1] = ',';
		rc = io_write_all(fd, text, strlen(text));
	}
	if (rc == 0)
		rc = io_write_all(fd, tail, sizeof(tail));
	free(text);
	return rc;
}

int
run_lock_take(const char *root, const char *run_id, const char *benchmark,
	      time_t start, char *err, size_t errlen)
{
	char dir[PATH_MAX], path[PATH_MAX], tmp[PATH_MAX];
	int fd = -1, rc;
	bool made = false;

	if (pathbuf_fmt(dir, sizeof(dir), "%s/runs/%s", root, run_id) < 0 ||
	    pathbuf_fmt(path, sizeof(path), "%s/%s", dir, RUN_LOCK_FILE) < 0 ||
	    pathbuf_fmt(tmp, sizeof(tmp), "%s.%d.new", path, (int)getpid()) <
		    0) {
		snprintf(err, errlen, "%s/runs/%s: path too long", root,
			 run_id);
		return -1;
	}
	rc = run_mkdirs(dir);
	if (rc < 0)
		goto fail;
	/* held and written under a name no reader looks at, then linked to
	 * its own: a `lock` is never seen free while its run lives */
	fd = io_open_private(tmp, O_EXCL);
	if (fd < 0) {
		rc = fd;
		goto fail;
	}
	made = true;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		rc = -errno;
		goto fail;
	}
	rc = write_line(fd, run_id, benchmark, start);
	if (rc == 0 && link(tmp, path) < 0)
		rc = -errno;
	if (rc < 0)
		goto fail;
	wfault_stop_after_lock();
	/* a name left behind is never read; the lock holds either way */
	(void)unlink(tmp);
	return fd;
fail:
	snprintf(err, errlen, "cannot take the run's lock %s: %s", path,
		 strerror(-rc));
	if (made)
		(void)unlink(tmp);
	if (fd >= 0)
		close(fd);
	(void)rmdir(dir); /* ours (a random id), when empty: none listed */
	return -1;
}

/* pwrite all of buf at off: 0 or -errno. */
static int
pwrite_all(int fd, const char *buf, size_t len, off_t off)
{
	while (len > 0) {
		ssize_t n = pwrite(fd, buf, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

int
run_lock_end(int fd, const char *state, const char *status, int exit_code,
	     bool results, const char *error)
{
	char tail[RUN_LOCK_TAIL], cut[RUN_LOCK_TAIL];
	struct stat sb;
	size_t cap = sizeof(cut);
	json_t *o;
	int rc;

	if (fstat(fd, &sb) < 0)
		return -errno;
	if (sb.st_size < (off_t)RUN_LOCK_TAIL)
		return -EINVAL;
	/* the error shrinks until the tail fits (escapes may grow it) */
	do {
		cap /= 2;
		utf8_copy(cut, cap, error ? error : "");
		o = json_pack("{s:s,s:s?,s:i}", "state", state, "status",
			      status, "exit_code", exit_code);
		if (o && strcmp(state, "ended") == 0)
			json_object_set_new(o, "results",
					    json_boolean(results));
		if (o && cut[0])
			json_object_set_new(o, "error", json_string(cut));
		rc = o ? fill_tail(tail, o) : -ENOMEM;
		json_decref(o);
	} while (rc == -E2BIG && cap > 1);
	if (rc < 0)
		return rc;
	/* the same bytes of the same file: no new block on a full disk */
	return pwrite_all(fd, tail, sizeof(tail),
			  sb.st_size - (off_t)RUN_LOCK_TAIL);
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
