/*
 * test_evlog.c - the events log's file (supervisor/core/evlog.h):
 * evlog_close_file() ends the file and keeps the log usable.
 *
 * Design note
 * -----------
 * A finished run closes its events file while others may still hold the
 * log (scripts/soak found the fds held until the invocation's end): the
 * file must keep exactly what came before, later events must go nowhere
 * near it (and not crash), the observer must still see them, and a
 * second close, a NULL log and evlog_close() after it must be harmless.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "supervisor/core/evlog.h"

static int observed;

static void
count_events(void *ctx, const char *run_id, const char *level,
	     const char *event, const json_t *fields)
{
	(void)ctx;
	(void)run_id;
	(void)level;
	(void)fields;
	if (strcmp(event, "late") == 0)
		observed++;
}

static int
count_lines(const char *path)
{
	FILE *f = fopen(path, "re");
	int n = 0, c;

	cr_assert_not_null(f);
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

Test(evlog, close_file_keeps_the_log_usable)
{
	char dir[] = "/tmp/gao-evlog-XXXXXX", path[PATH_MAX];
	struct evlog *l;
	int fds_before, fds_after;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/events.jsonl", dir);
	evlog_set_mode(EVLOG_QUIET);
	evlog_set_observer(count_events, NULL);
	fds_before = fcntl(0, F_DUPFD_CLOEXEC, 0);
	cr_assert(fds_before >= 0);
	close(fds_before);
	l = evlog_open(path, "run-1");
	cr_assert_not_null(l);
	evlog_emit(l, "info", "first", json_pack("{s:i}", "n", 1));
	evlog_emit(l, "info", "last", NULL);
	evlog_close_file(l);
	/* the file's fd is gone: the lowest free fd is the one before */
	fds_after = fcntl(0, F_DUPFD_CLOEXEC, 0);
	cr_assert_eq(fds_after, fds_before);
	close(fds_after);
	evlog_emit(l, "warn", "late", json_pack("{s:s}", "x", "y"));
	evlog_close_file(l);
	evlog_close_file(NULL);
	evlog_emit(l, "warn", "late", NULL);
	cr_assert_eq(observed, 2);
	cr_assert_eq(count_lines(path), 2);
	evlog_close(l);
	evlog_set_observer(NULL, NULL);
	unlink(path);
	rmdir(dir);
}
