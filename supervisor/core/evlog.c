/*
 * evlog.c - see evlog.h for the design note.
 */
#include "supervisor/core/evlog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/io.h"
#include "common/termesc.h"
#include "supervisor/core/secret.h"
#include "supervisor/core/wfault.h"

struct evlog {
	int fd;     /* the events file, -1: none (stderr only) */
	off_t size; /* bytes of whole lines written */
	char *path;
	char *run_id;
	/* the failed writes of the run's own files, one per file */
	int write_err[EVLOG_FAILED_MAX];
	char *write_what[EVLOG_FAILED_MAX];
	size_t n_failed;
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
	if (!l || l->n_failed == EVLOG_FAILED_MAX)
		return;
	what = what ? what : "a file";
	for (size_t i = 0; i < l->n_failed; i++)
		if (strcmp(l->write_what[i], what) == 0)
			return; /* the first failure of a file says it */
	l->write_what[l->n_failed] = strdup(what);
	if (!l->write_what[l->n_failed])
		return;
	l->write_err[l->n_failed++] = err > 0 ? err : EIO;
}

int
evlog_write_error(const struct evlog *l, size_t i, const char **what)
{
	if (!l || i >= l->n_failed)
		return 0;
	*what = l->write_what[i];
	return l->write_err[i];
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
	struct stat sb;

	if (!l)
		return NULL;
	l->fd = -1;
	l->run_id = strdup(run_id ? run_id : "");
	l->path = path ? strdup(path) : NULL;
	if (!l->run_id || (path && !l->path))
		goto fail;
	if (path) {
		l->fd = io_open_private(path, O_APPEND);
		if (l->fd < 0) {
			errno = -l->fd;
			goto fail;
		}
		if (fstat(l->fd, &sb) == 0)
			l->size = sb.st_size;
	}
	return l;
fail:
	free(l->path);
	free(l->run_id);
	free(l);
	return NULL;
}

void
evlog_close(struct evlog *l)
{
	if (!l)
		return;
	evlog_close_file(l);
	free(l->path);
	for (size_t i = 0; i < l->n_failed; i++)
		free(l->write_what[i]);
	free(l->run_id);
	free(l);
}

void
evlog_close_file(struct evlog *l)
{
	if (!l || l->fd < 0)
		return;
	close(l->fd);
	l->fd = -1;
}

/*
 * One line with write(2), not stdio: a failed stdio flush (a full disk)
 * keeps the bytes and writes them with the next line, and a line written
 * in part stays a broken line. A partial write is cut off again, so the
 * file holds whole lines only; the first failure is kept for the run.
 */
static void
write_line(struct evlog *l, const char *line)
{
	size_t n = strlen(line);
	int e = wfault_write(WFAULT_EVENTS);
	int rc = e ? -e : io_append_whole(l->fd, &l->size, line, n);

	if (rc < 0)
		evlog_write_failed(l, l->path, -rc);
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
		if (l && l->fd >= 0) {
			char *nl = NULL;

			if (asprintf(&nl, "%s\n", line) < 0)
				evlog_write_failed(l, l->path, ENOMEM);
			else
				write_line(l, nl);
			free(nl);
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
