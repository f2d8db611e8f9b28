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
 *
 * A string holding "\u0000" is valid JSON: the file has it, and the
 * observer (the live view) must get the same event, the NUL kept, both
 * from evlog_emit() and evlog_note().
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

/* What the observer last saw of field "s": its length, or -1. */
static int64_t nul_seen[2];

static void
keep_nul_field(void *ctx, const char *run_id, const char *level,
	       const char *event, const json_t *fields)
{
	const json_t *v = json_object_get(fields, "s");

	(void)ctx;
	(void)run_id;
	(void)level;
	if (strcmp(event, "with_nul") == 0)
		nul_seen[0] = json_is_string(v) ?
				      (int64_t)json_string_length(v) :
				      -1;
	else if (strcmp(event, "note_nul") == 0)
		nul_seen[1] = json_is_string(v) ?
				      (int64_t)json_string_length(v) :
				      -1;
}

Test(evlog, observer_sees_strings_holding_nul)
{
	char dir[] = "/tmp/gao-evlog-XXXXXX", path[PATH_MAX];
	/* a NUL first, in the middle, last, and several */
	static const char *const vals[] = { "\0ab", "a\0b", "ab\0", "\0\0x\0" };
	static const size_t lens[] = { 3, 3, 3, 4 };
	struct evlog *l;
	json_t *lines;
	json_error_t je;
	FILE *f;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/events.jsonl", dir);
	evlog_set_mode(EVLOG_QUIET);
	evlog_set_observer(keep_nul_field, NULL);
	l = evlog_open(path, "run-nul");
	cr_assert_not_null(l);
	for (size_t i = 0; i < sizeof(lens) / sizeof(*lens); i++) {
		nul_seen[0] = nul_seen[1] = 0;
		evlog_emit(l, "info", "with_nul",
			   json_pack("{s:s%}", "s", vals[i], lens[i]));
		evlog_note(l, "note_nul",
			   json_pack("{s:s%}", "s", vals[i], lens[i]));
		cr_assert_eq(nul_seen[0], (int64_t)lens[i],
			     "event %zu: the observer saw length %lld", i,
			     (long long)nul_seen[0]);
		cr_assert_eq(nul_seen[1], (int64_t)lens[i],
			     "note %zu: the observer saw length %lld", i,
			     (long long)nul_seen[1]);
	}
	evlog_close(l);
	evlog_set_observer(NULL, NULL);
	/* the file has every event, the NULs as \u0000 */
	cr_assert_eq(count_lines(path), 4);
	f = fopen(path, "re");
	cr_assert_not_null(f);
	lines = json_loadf(f, JSON_ALLOW_NUL | JSON_DISABLE_EOF_CHECK, &je);
	fclose(f);
	cr_assert_not_null(lines, "%s", je.text);
	cr_assert_eq(json_string_length(json_object_get(lines, "s")), 3);
	json_decref(lines);
	unlink(path);
	rmdir(dir);
}
