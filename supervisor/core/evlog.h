/*
 * evlog.h - structured events of a run: runs/<run_id>/events.jsonl and
 * stderr.
 *
 * Design note
 * -----------
 * Every event is one JSON object on one line: {"ts", "level", "event",
 * "run_id", ...fields}, timestamps UTC ISO-8601 with milliseconds. The
 * same line goes to the run's events file and, in --standalone mode, to
 * stderr; on a terminal without --standalone stderr gets a short human
 * line instead. Each line passes through secret_redact() first. Event
 * names are the snake_case list of docs/results.md.
 */
#ifndef GAO_SUPERVISOR_EVLOG_H
#define GAO_SUPERVISOR_EVLOG_H

#include <jansson.h>

enum evlog_mode {
	EVLOG_JSON,  /* JSON lines on stderr (--standalone) */
	EVLOG_HUMAN, /* short lines on stderr */
	EVLOG_QUIET, /* nothing on stderr (an observer may show them) */
};

/*
 * The observer: run_id ("" for events outside a run), level, event and
 * the event's fields as emitted, redacted (valid for the call only; the
 * observer must not keep or change them). Called from the loop thread.
 */
typedef void (*evlog_observer_fn)(void *ctx, const char *run_id,
				  const char *level, const char *event,
				  const json_t *fields);

struct evlog;

/* Set how events reach stderr, process-wide. */
void evlog_set_mode(enum evlog_mode mode);

/* Register the observer (fn NULL: none), process-wide. */
void evlog_set_observer(evlog_observer_fn fn, void *ctx);

/*
 * evlog_note - give the observer a fact that is not an event: written
 * nowhere. fields is stolen (may be NULL); l may be NULL. Without an
 * observer it costs nothing but the json.
 */
void evlog_note(struct evlog *l, const char *name, json_t *fields);

/*
 * evlog_human_text - the one-line human form of an event ("gao-dev:
 * [level: ]event key=value ..."), redacted, NOT terminal-escaped (the
 * caller escapes it for its output); malloc'ed, NULL on ENOMEM.
 */
char *evlog_human_text(const char *level, const char *event,
		       const json_t *fields);

/*
 * evlog_open - events of one run, appended to path (created 0600) with
 * write(2), a whole line at a time. path may be NULL (stderr only). NULL
 * on failure with errno set.
 */
struct evlog *evlog_open(const char *path, const char *run_id);
void evlog_close(struct evlog *l);

/*
 * evlog_close_file - close the log's file but keep l: later events go to
 * stderr (as evlog_set_mode() says) and to the observer, not to the
 * file. For a run that is over, whose log others may still point at.
 * l may be NULL; a second call does nothing.
 */
void evlog_close_file(struct evlog *l);

/*
 * evlog_emit - record one event. fields is stolen (may be NULL); its keys
 * are merged after ts/level/event/run_id. level: "info", "warn", "error".
 */
void evlog_emit(struct evlog *l, const char *level, const char *event,
		json_t *fields);

#define EVLOG_FAILED_MAX 8 /* files whose failed writes are kept */

/*
 * evlog_write_failed - one of the run's own files could not be written
 * (what: its path, copied; err: the errno, EIO when unknown). The first
 * failure of each file is kept (EVLOG_FAILED_MAX files) for
 * evlog_write_error; l may be NULL. A line of the events file that
 * could not be written whole is cut off again: the file holds whole
 * lines only.
 */
void evlog_write_failed(struct evlog *l, const char *what, int err);

/*
 * evlog_write_error - 0, or the errno of the i-th (from 0) file of the
 * run's own whose write failed, its path in *what (valid until
 * evlog_close). A run that lost a record of its own is an
 * infrastructure error (exit 4).
 */
int evlog_write_error(const struct evlog *l, size_t i, const char **what);

/* UTC ISO-8601 with milliseconds of the current time, into buf[32]. */
void evlog_timestamp(char buf[32]);

#endif
