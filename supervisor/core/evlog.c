/*
 * evlog.c - see evlog.h for the design note.
 */
#include "supervisor/core/evlog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/io.h"
#include "common/termesc.h"
#include "supervisor/core/secret.h"

struct evlog {
	FILE *f;
	char *run_id;
	int write_err; /* first failed write of the run's own files */
	const char *write_what;
};

static enum evlog_mode stderr_mode = EVLOG_JSON;
static evlog_observer_fn observer;
static void *observer_ctx;

void
evlog_set_mode(enum evlog_mode mode)
{
	stderr_mode = mode;
}

void
evlog_set_observer(evlog_observer_fn fn, void *ctx)
{
	observer = fn;
	observer_ctx = ctx;
}

void
evlog_note(struct evlog *l, const char *name, json_t *fields)
{
	char *line;
	json_t *red;

	if (!observer || !fields) {
		json_decref(fields);
		return;
	}
	/* the same redaction step as the events (values from the agent) */
	line = secret_redact_json(fields, JSON_COMPACT);
	red = line ? json_loads(line, JSON_ALLOW_NUL, NULL) : NULL;
	if (red)
		observer(observer_ctx, l ? l->run_id : "", "info", name, red);
	json_decref(red);
	free(line);
	json_decref(fields);
}

void
evlog_write_failed(struct evlog *l, const char *what, int err)
{
	if (l && !l->write_err) {
		l->write_err = err > 0 ? err : EIO;
		l->write_what = what;
	}
}

int
evlog_write_error(const struct evlog *l, const char **what)
{
	if (!l || !l->write_err)
		return 0;
	*what = l->write_what;
	return l->write_err;
}

void
evlog_timestamp(char buf[32])
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(buf, 24, "%Y-%m-%dT%H:%M:%S", &tm);

	snprintf(buf + n, 32 - n, ".%03uZ",
		 (unsigned)(ts.tv_nsec / 1000000) % 1000u);
}

struct evlog *
evlog_open(const char *path, const char *run_id)
{
	struct evlog *l = calloc(1, sizeof(*l));
	int fd;

	if (!l)
		return NULL;
	l->run_id = strdup(run_id ? run_id : "");
	if (!l->run_id)
		goto fail;
	if (path) {
		fd = io_open_private(path, O_APPEND);
		if (fd < 0)
			goto fail;
		l->f = fdopen(fd, "a");
		if (!l->f) {
			close(fd);
			goto fail;
		}
	}
	return l;
fail:
	free(l->run_id);
	free(l);
	return NULL;
}

void
evlog_close(struct evlog *l)
{
	if (!l)
		return;
	if (l->f)
		fclose(l->f);
	free(l->run_id);
	free(l);
}

void
evlog_close_file(struct evlog *l)
{
	if (!l || !l->f)
		return;
	fclose(l->f);
	l->f = NULL;
}

char *
evlog_human_text(const char *level, const char *event, const json_t *fields)
{
	const char *key;
	char *buf = NULL, *red = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	json_t *v;

	if (!m)
		return NULL;
	fprintf(m, "gao-dev: %s%s%s", strcmp(level, "info") ? level : "",
		strcmp(level, "info") ? ": " : "", event);
	json_object_foreach((json_t *)fields, key, v) {
		char *s;

		if (json_is_object(v) || json_is_array(v))
			continue;
		s = json_is_string(v) ? NULL : json_dumps(v, JSON_ENCODE_ANY);
		fprintf(m, " %s=%s", key,
			s                 ? s :
			json_is_string(v) ? json_string_value(v) :
					    "");
		free(s);
	}
	fputc('\n', m);
	if (fclose(m) == 0)
		red = secret_redact(buf);
	free(buf);
	return red;
}

/* One progress line for a person: built in memory, then the redaction
 * step and the terminal escape step (values come from the config, the
 * agent and the API). */
static void
human_line(const char *level, const char *event, const json_t *fields)
{
	char *red = evlog_human_text(level, event, fields);

	if (red)
		termesc_fputs(red, stderr);
	free(red);
}

/* The observer gets the redacted line's fields (never the raw ones);
 * JSON_ALLOW_NUL: a string holding "\u0000" (valid JSON, written to
 * the file) must reach the live view too. */
static void
observe(const struct evlog *l, const char *level, const char *event,
	const char *line)
{
	json_t *red = json_loads(line, JSON_ALLOW_NUL, NULL);

	if (red)
		observer(observer_ctx, l ? l->run_id : "", level, event, red);
	json_decref(red);
}

void
evlog_emit(struct evlog *l, const char *level, const char *event,
	   json_t *fields)
{
	char ts[32];
	json_t *o = json_object();
	char *line;

	if (!o) {
		json_decref(fields);
		return;
	}
	evlog_timestamp(ts);
	json_object_set_new(o, "ts", json_string(ts));
	json_object_set_new(o, "level", json_string(level));
	json_object_set_new(o, "event", json_string(event));
	if (l && l->run_id[0])
		json_object_set_new(o, "run_id", json_string(l->run_id));
	if (fields)
		json_object_update(o, fields);
	line = secret_redact_json(o, JSON_COMPACT);
	if (line) {
		if (l && l->f &&
		    (fprintf(l->f, "%s\n", line) < 0 || fflush(l->f) == EOF)) {
			evlog_write_failed(l, "the events log", errno);
			clearerr(l->f);
		}
		if (stderr_mode == EVLOG_JSON)
			fprintf(stderr, "%s\n", line);
		else if (stderr_mode == EVLOG_HUMAN)
			human_line(level, event, fields ? fields : o);
		if (observer)
			observe(l, level, event, line);
	}
	free(line);
	json_decref(fields);
	json_decref(o);
}
