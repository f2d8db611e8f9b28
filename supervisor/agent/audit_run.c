/*
 * audit_run.c - a run's audit logs against its results file; see
 * audit_run.h.
 */
#include "supervisor/agent/audit_run.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "common/io.h"

#define RESULTS_MAX ((size_t)64 << 20)

static char *
join(const char *a, const char *b)
{
	char *s = NULL;

	if (asprintf(&s, "%s/%s", a, b) < 0)
		return NULL;
	return s;
}

/*
 * A results file: a JSON object with run_id and phases, at most 64 MiB.
 * The path is the user's own argument, so a symlink to it is followed;
 * what is checked is what is read (one fd).
 */
static json_t *
load_results(const char *path, char *err, size_t errlen)
{
	json_error_t je;
	json_t *j;
	char *buf;
	size_t n;
	int e, fd = io_open(path, O_RDONLY | O_NONBLOCK, 0);

	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-fd));
		return NULL;
	}
	buf = io_read_file_fd(fd, RESULTS_MAX, &n, &e);
	close(fd);
	if (!buf && (e == -EINVAL || e == -EFBIG)) {
		snprintf(err, errlen,
			 "%s: not a results file (a regular file of at "
			 "most 64 MiB)",
			 path);
		return NULL;
	}
	if (!buf) {
		snprintf(err, errlen, "%s: %s", path, strerror(-e));
		return NULL;
	}
	j = json_loadb(buf, n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
	free(buf);
	if (!j) {
		snprintf(err, errlen, "%s: line %d: %s", path, je.line,
			 je.text);
		return NULL;
	}
	if (!json_is_object(j) ||
	    !json_is_string(json_object_get(j, "run_id")) ||
	    !json_is_array(json_object_get(j, "phases"))) {
		snprintf(err, errlen,
			 "%s: not a results file (no run_id or phases)", path);
		json_decref(j);
		return NULL;
	}
	return j;
}

bool
audit_run_is_run(const char *arg)
{
	struct stat st;
	char err[8];
	json_t *j;

	if (stat(arg, &st) < 0)
		return false;
	if (S_ISDIR(st.st_mode))
		return true;
	j = load_results(arg, err, sizeof(err));
	json_decref(j);
	return j != NULL;
}

/* The run id must be a plain name: it becomes a path component. */
static bool
plain_name(const char *s)
{
	return *s && strcmp(s, ".") != 0 && strcmp(s, "..") != 0 &&
	       !strchr(s, '/');
}

/* SANDBOX_ROOT/results/<id>.json for SANDBOX_ROOT/runs/<id>. */
static char *
results_of_dir(const char *dir)
{
	char *real = realpath(dir, NULL), *slash, *s = NULL;

	if (!real)
		return NULL;
	slash = strrchr(real, '/');
	if (slash && slash > real) {
		*slash = 0;
		char *up = strrchr(real, '/');

		if (up && asprintf(&s, "%.*s/results/%s.json", (int)(up - real),
				   real, slash + 1) < 0)
			s = NULL;
	}
	free(real);
	return s;
}

/* SANDBOX_ROOT/runs/<id> for SANDBOX_ROOT/results/<id>.json. */
static char *
dir_of_results(const char *results, const char *id)
{
	char *real = realpath(results, NULL), *slash, *s = NULL;

	if (!real)
		return NULL;
	slash = strrchr(real, '/');
	if (slash)
		*slash = 0;
	if (asprintf(&s, "%s/../runs/%s", real, id) < 0)
		s = NULL;
	free(real);
	return s;
}

static const char *
str_or_empty(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static int
add_log(struct audit_run *r, const json_t *p, char *err, size_t errlen)
{
	const char *log = json_string_value(json_object_get(p, "audit_log"));
	const char *head = json_string_value(json_object_get(p, "audit_head"));
	const json_t *n = json_object_get(p, "audit_records");
	const char *base = log ? strrchr(log, '/') : NULL;
	struct audit_run_log *l, *grown;
	char *agents;

	base = base ? base + 1 : log;
	if (!log || !head || strlen(head) > 64 || !plain_name(base) ||
	    (n && (!json_is_integer(n) || json_integer_value(n) < 0))) {
		snprintf(err, errlen,
			 "%s: phase \"%s\": audit_log, audit_head or "
			 "audit_records malformed",
			 r->results_path, str_or_empty(p, "name"));
		return -1;
	}
	grown = realloc(r->logs, (r->n_logs + 1) * sizeof(*grown));
	if (!grown)
		return -1;
	r->logs = grown;
	l = &r->logs[r->n_logs];
	memset(l, 0, sizeof(*l));
	agents = join(r->run_dir, "agents");
	l->path = agents ? join(agents, base) : NULL;
	free(agents);
	l->phase = strdup(str_or_empty(p, "name"));
	l->agent = strdup(str_or_empty(p, "agent"));
	snprintf(l->head, sizeof(l->head), "%s", head);
	l->have_records = n != NULL;
	l->records = n ? (uint64_t)json_integer_value(n) : 0;
	r->n_logs++;
	if (!l->path || !l->phase || !l->agent)
		return -1;
	return 0;
}

/* The run-level log (run_audit), when the results name one. */
static int
add_run_log(struct audit_run *r, const json_t *ra, char *err, size_t errlen)
{
	const char *log = json_string_value(json_object_get(ra, "log"));
	const char *head = json_string_value(json_object_get(ra, "head"));
	const json_t *n = json_object_get(ra, "records");
	const char *base = log ? strrchr(log, '/') : NULL;
	struct audit_run_log *l, *grown;

	if (!ra)
		return 0;
	base = base ? base + 1 : log;
	if (!log || !head || strlen(head) > 64 || !plain_name(base) ||
	    !json_is_integer(n) || json_integer_value(n) < 0) {
		snprintf(err, errlen, "%s: run_audit malformed",
			 r->results_path);
		return -1;
	}
	grown = realloc(r->logs, (r->n_logs + 1) * sizeof(*grown));
	if (!grown)
		return -1;
	r->logs = grown;
	l = &r->logs[r->n_logs++];
	memset(l, 0, sizeof(*l));
	l->path = join(r->run_dir, base);
	l->phase = strdup("");
	l->agent = strdup("gao-dev");
	snprintf(l->head, sizeof(l->head), "%s", head);
	l->have_records = true;
	l->records = (uint64_t)json_integer_value(n);
	return l->path && l->phase && l->agent ? 0 : -1;
}

static bool
named(const struct audit_run *r, const char *path)
{
	for (size_t i = 0; i < r->n_logs; i++)
		if (strcmp(r->logs[i].path, path) == 0)
			return true;
	return false;
}

/* Logs in agents/ that the results file does not name. */
static int
find_extra(struct audit_run *r)
{
	char *agents = join(r->run_dir, "agents");
	DIR *d = agents ? opendir(agents) : NULL;
	struct dirent *e;
	int rc = 0;

	if (!d) {
		free(agents);
		return 0; /* a missing folder: each named log reports it */
	}
	while ((e = readdir(d)) && rc == 0) {
		size_t len = strlen(e->d_name);
		char *p, **grown;

		if (len < 12 ||
		    strcmp(e->d_name + len - 12, ".audit.jsonl") != 0)
			continue;
		p = join(agents, e->d_name);
		if (!p)
			rc = -1;
		else if (named(r, p))
			free(p);
		else if (!(grown = realloc(r->extra, (r->n_extra + 1) *
							     sizeof(*grown)))) {
			free(p);
			rc = -1;
		} else {
			r->extra = grown;
			r->extra[r->n_extra++] = p;
		}
	}
	closedir(d);
	free(agents);
	return rc;
}

int
audit_run_load(const char *arg, struct audit_run *r, char *err, size_t errlen)
{
	struct stat st;
	json_t *j = NULL, *p, *fmt;
	const char *id;
	size_t i;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	if (stat(arg, &st) < 0) {
		snprintf(err, errlen, "%s: %s", arg, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		r->run_dir = realpath(arg, NULL);
		r->results_path = results_of_dir(arg);
		if (!r->run_dir || !r->results_path) {
			snprintf(err, errlen, "%s: not a run directory", arg);
			goto out;
		}
	} else {
		r->results_path = strdup(arg);
		if (!r->results_path)
			goto out;
	}
	j = load_results(r->results_path, err, errlen);
	if (!j)
		goto out;
	id = json_string_value(json_object_get(j, "run_id"));
	if (!plain_name(id)) {
		snprintf(err, errlen, "%s: run_id is not a plain name",
			 r->results_path);
		goto out;
	}
	if (!r->run_dir &&
	    !(r->run_dir = dir_of_results(r->results_path, id))) {
		snprintf(err, errlen, "%s: %s", r->results_path,
			 strerror(errno));
		goto out;
	}
	fmt = json_object_get(j, "audit_format");
	if (fmt && (!json_is_integer(fmt) || json_integer_value(fmt) != 1)) {
		snprintf(err, errlen,
			 "%s: audit_format: this gao-dev knows format 1 "
			 "only",
			 r->results_path);
		goto out;
	}
	r->format = fmt ? 1 : 0;
	json_array_foreach(json_object_get(j, "phases"), i, p) {
		if (!json_object_get(p, "audit_log"))
			continue; /* a command or skipped phase */
		if (add_log(r, p, err, errlen) < 0)
			goto out;
	}
	if (add_run_log(r, json_object_get(j, "run_audit"), err, errlen) < 0)
		goto out;
	if (find_extra(r) < 0) {
		snprintf(err, errlen, "%s: %s", r->run_dir, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	json_decref(j);
	if (rc < 0 && !err[0])
		snprintf(err, errlen, "%s: out of memory", arg);
	return rc;
}

void
audit_run_free(struct audit_run *r)
{
	for (size_t i = 0; i < r->n_logs; i++) {
		free(r->logs[i].path);
		free(r->logs[i].phase);
		free(r->logs[i].agent);
	}
	for (size_t i = 0; i < r->n_extra; i++)
		free(r->extra[i]);
	free(r->logs);
	free(r->extra);
	free(r->results_path);
	free(r->run_dir);
	memset(r, 0, sizeof(*r));
}

int
audit_run_check(const struct audit_run_log *l, audit_record_fn fn, void *ctx,
		long *line, char *why, size_t whylen)
{
	char head[65] = "";
	uint64_t n = 0;
	long bad;

	*line = 0;
	if (access(l->path, F_OK) < 0 && errno == ENOENT) {
		if (!l->head[0] && (!l->have_records || l->records == 0))
			return 0; /* the phase wrote no log */
		*line = 1;
		snprintf(why, whylen,
			 "the log is missing; the results file says %llu "
			 "records",
			 (unsigned long long)l->records);
		return 1;
	}
	bad = audit_read_file(l->path, fn, ctx, head, &n, why, whylen);
	if (bad < 0)
		return -1;
	if (bad > 0) {
		*line = bad;
		return 1;
	}
	if (l->have_records && n < l->records) {
		*line = (long)n + 1;
		snprintf(why, whylen,
			 "the log ends after %llu records; the results file "
			 "says %llu (cut at the end)",
			 (unsigned long long)n, (unsigned long long)l->records);
		return 1;
	}
	if (l->have_records && n > l->records) {
		*line = (long)l->records + 1;
		snprintf(why, whylen,
			 "record beyond the %llu the results file counts",
			 (unsigned long long)l->records);
		return 1;
	}
	if (strcmp(head, l->head) != 0) {
		*line = n ? (long)n : 1;
		snprintf(why, whylen,
			 "head %s does not match the results file's %s (a "
			 "log cut, replaced or from another run, or edited "
			 "results)",
			 head[0] ? head : "(none)",
			 l->head[0] ? l->head : "(none)");
		return 1;
	}
	return 0;
}
