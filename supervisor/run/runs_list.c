/*
 * runs_list.c - `gao-dev runs list [--prune]`. See runs_list.h for the
 * design note (how a status is decided) and runs_prune.h for what a
 * prune removes.
 */
#include "supervisor/run/runs_list.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/io.h"
#include "common/termesc.h"
#include "supervisor/config/cli.h"
#include "supervisor/run/run_lock.h"
#include "supervisor/run/runs_prune.h"

struct entry {
	char *id;            /* the name found on disk (hostile bytes) */
	const char *status;  /* static */
	char *benchmark;     /* NULL: unknown */
	char start[32];      /* ISO-8601, "" unknown */
	double duration;     /* seconds, < 0 unknown */
	long long exit_code; /* < 0: none */
	bool pruned;
	char *error;      /* why corrupt/unreadable/unknown, or NULL */
	json_t *removed;  /* --prune: what was removed (NULL: not pruned) */
	json_t *problems; /* --prune: what could not be */
};

struct runs {
	struct entry *e;
	size_t n, cap;
	size_t dropped; /* beyond RUNS_MAX */
};

static const char *const known_status[] = {
	"completed", "failed", "timeout", "stopped", "cancelled", "error",
};

/* Add id (a copy); dedup() drops the second of a name in runs/ and
 * results/. */
static void
add_id(struct runs *rs, const char *id)
{
	struct entry *ne;

	if (rs->n >= RUNS_MAX) {
		rs->dropped++;
		return;
	}
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 64;

		ne = realloc(rs->e, cap * sizeof(*ne));
		if (!ne) {
			rs->dropped++;
			return;
		}
		rs->e = ne;
		rs->cap = cap;
	}
	rs->e[rs->n] = (struct entry){ .duration = -1, .exit_code = -1 };
	rs->e[rs->n].id = strdup(id);
	if (rs->e[rs->n].id)
		rs->n++;
}

/* The names of root/sub: directories (runs/) or NAME.json files
 * (results/, the name without .json). -errno when sub cannot be read. */
static int
scan(int root_fd, const char *sub, bool results, struct runs *rs)
{
	struct dirent *e;
	int fd = io_openat(root_fd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW,
			   0);
	DIR *d;

	if (fd < 0)
		return fd;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -ENOMEM;
	}
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);

		if (e->d_name[0] == '.')
			continue;
		if (!results) {
			if (e->d_type == DT_DIR || e->d_type == DT_UNKNOWN)
				add_id(rs, e->d_name);
			continue;
		}
		if (n > 5 && strcmp(e->d_name + n - 5, ".json") == 0) {
			e->d_name[n - 5] = 0;
			add_id(rs, e->d_name);
		}
	}
	closedir(d);
	return 0;
}

static int
cmp_id(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->id,
		      ((const struct entry *)b)->id);
}

/* One entry per name, in O(n log n) for a root of many runs. */
static void
dedup(struct runs *rs)
{
	size_t k = 0;

	if (rs->n < 2)
		return;
	qsort(rs->e, rs->n, sizeof(*rs->e), cmp_id);
	for (size_t i = 0; i < rs->n; i++) {
		if (k > 0 && strcmp(rs->e[k - 1].id, rs->e[i].id) == 0) {
			free(rs->e[i].id);
			continue;
		}
		rs->e[k++] = rs->e[i];
	}
	rs->n = k;
}

static void
set_error(struct entry *e, const char *status, const char *why)
{
	e->status = status;
	free(e->error);
	e->error = strdup(why);
}

/* The static name of a results status, or NULL when it is none. */
static const char *
status_known(const char *s)
{
	for (size_t i = 0;
	     s && i < sizeof(known_status) / sizeof(*known_status); i++)
		if (strcmp(s, known_status[i]) == 0)
			return known_status[i];
	return NULL;
}

/* The fields of a parsed results document; false when it is corrupt. */
static bool
from_results(struct entry *e, const json_t *r)
{
	const json_t *st = json_object_get(r, "status");
	const json_t *ec = json_object_get(r, "exit_code");
	const json_t *b = json_object_get(json_object_get(r, "benchmark"),
					  "name");
	const char *start = json_string_value(json_object_get(r, "start_time"));
	const json_t *d = json_object_get(r, "duration_seconds");

	const char *status = status_known(json_string_value(st));

	if (!status || !json_is_integer(ec) || json_integer_value(ec) < 0 ||
	    json_integer_value(ec) > 255)
		return false;
	e->status = status;
	e->exit_code = json_integer_value(ec);
	if (json_is_string(b))
		e->benchmark = strdup(json_string_value(b));
	if (start)
		snprintf(e->start, sizeof(e->start), "%s", start);
	if (json_is_number(d) && json_number_value(d) >= 0)
		e->duration = json_number_value(d);
	return true;
}

/* results/<id>.json: 1 read (status set), 0 absent. */
static int
read_results(int root_fd, struct entry *e)
{
	char path[PATH_MAX], why[PATH_MAX + 256];
	json_error_t jerr;
	json_t *r;
	char *buf;
	size_t n;
	int fd, err;

	snprintf(path, sizeof(path), "results/%s.json", e->id);
	fd = io_openat(root_fd, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, 0);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0) {
		snprintf(why, sizeof(why), "%s: %s", path, strerror(-fd));
		set_error(e, "unreadable", why);
		return 1;
	}
	buf = io_read_file_fd(fd, RUNS_RESULTS_MAX, &n, &err);
	close(fd);
	if (!buf) {
		if (err == -EINVAL || err == -EFBIG)
			snprintf(why, sizeof(why),
				 "%s: not a regular file of at most %u bytes",
				 path, RUNS_RESULTS_MAX);
		else
			snprintf(why, sizeof(why), "%s: %s", path,
				 strerror(-err));
		set_error(e, "unreadable", why);
		return 1;
	}
	r = json_loadb(buf, n, JSON_REJECT_DUPLICATES, &jerr);
	free(buf);
	if (!r) {
		snprintf(why, sizeof(why), "%s: not JSON (line %d: %s)", path,
			 jerr.line, jerr.text);
		set_error(e, "corrupt", why);
	} else if (!json_is_object(r) || !from_results(e, r)) {
		snprintf(why, sizeof(why),
			 "%s: no known status and exit_code (docs/results.md)",
			 path);
		set_error(e, "corrupt", why);
	}
	json_decref(r);
	return 1;
}

static time_t
parse_iso(const char *s)
{
	struct tm tm = { 0 };
	const char *end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);

	return end && !*end ? timegm(&tm) : (time_t)-1;
}

/* What a lock line says of the run's end (run_lock.h), each field
 * checked: state "" when absent or not one gao-dev writes. */
struct lock_end {
	char state[16];     /* "running", "ended", "not_started" */
	const char *status; /* a known run status (static), or NULL */
	long long exit_code;
	bool results;
	char error[RUN_LOCK_TAIL];
};

/* The lock line: start time and benchmark name, each checked, and what
 * it says of the run's end into end. */
static void
from_lock_line(struct entry *e, const char *line, struct lock_end *end)
{
	json_t *o = json_loads(line, JSON_DISABLE_EOF_CHECK, NULL);
	const char *s = json_string_value(json_object_get(o, "start_time"));
	const char *b = json_string_value(json_object_get(o, "benchmark"));
	const char *st = json_string_value(json_object_get(o, "state"));
	const char *err = json_string_value(json_object_get(o, "error"));
	const json_t *ec = json_object_get(o, "exit_code");

	if (s && parse_iso(s) != (time_t)-1)
		snprintf(e->start, sizeof(e->start), "%s", s);
	if (b)
		e->benchmark = strdup(b);
	*end = (struct lock_end){ .exit_code = -1 };
	if (st && (strcmp(st, "running") == 0 || strcmp(st, "ended") == 0 ||
		   strcmp(st, "not_started") == 0))
		snprintf(end->state, sizeof(end->state), "%s", st);
	end->status = status_known(
		json_string_value(json_object_get(o, "status")));
	if (json_is_integer(ec) && json_integer_value(ec) >= 0 &&
	    json_integer_value(ec) <= 255)
		end->exit_code = json_integer_value(ec);
	end->results = json_is_true(json_object_get(o, "results"));
	snprintf(end->error, sizeof(end->error), "%s", err ? err : "");
	json_decref(o);
}

/* A free lock whose run ended on its own (run_lock.h): `unsaved` when
 * it could not write its results file, `not_started` when it failed
 * before it began. false for a run that died (`interrupted`). */
static bool
ended_on_its_own(struct entry *e, const struct lock_end *end)
{
	char why[RUN_LOCK_TAIL + 256];

	if (strcmp(end->state, "not_started") == 0) {
		e->exit_code = end->exit_code;
		snprintf(why, sizeof(why), "the run failed before it began: %s",
			 end->error[0] ? end->error : "(no reason kept)");
		set_error(e, "not_started", why);
		return true;
	}
	if (strcmp(end->state, "ended") != 0)
		return false;
	e->exit_code = end->exit_code;
	if (end->results)
		snprintf(why, sizeof(why),
			 "the run ended (%s) and wrote results/%s.json, which "
			 "is not there any more",
			 end->status ? end->status : "?", e->id);
	else
		snprintf(why, sizeof(why),
			 "the run ended (%s) but its results file "
			 "results/%s.json could not be written: %s; its "
			 "events.jsonl says more",
			 end->status ? end->status : "?", e->id,
			 end->error[0] ? end->error : "(no reason kept)");
	set_error(e, end->results ? "unknown" : "unsaved", why);
	return true;
}

/* Seconds from the start to the last write of the run (events.jsonl or
 * the lock file), or to now for a running one. */
static void
live_duration(struct entry *e, int run_fd, bool running)
{
	time_t start = e->start[0] ? parse_iso(e->start) : (time_t)-1;
	time_t end = time(NULL);
	struct stat sb;

	if (start == (time_t)-1)
		return;
	if (!running) {
		if (fstatat(run_fd, "events.jsonl", &sb, AT_SYMLINK_NOFOLLOW) <
			    0 &&
		    fstatat(run_fd, RUN_LOCK_FILE, &sb, AT_SYMLINK_NOFOLLOW) <
			    0)
			return;
		end = sb.st_mtime;
	}
	e->duration = end >= start ? (double)(end - start) : 0;
}

/* Status of a run without a results file, from runs/<id>; prunes it
 * when asked and it is interrupted (only then: its lock is free, it
 * says the run never ended, and this process holds it meanwhile). */
static void
classify_live(int root_fd, struct entry *e, bool prune)
{
	char line[RUN_LOCK_MAX], path[PATH_MAX];
	enum run_lock_state st;
	struct lock_end end;
	int run_fd, kept = -1;
	struct stat sb;

	snprintf(path, sizeof(path), "runs/%s", e->id);
	run_fd = io_openat(root_fd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW,
			   0);
	if (run_fd < 0) {
		set_error(e, "unknown",
			  "no results file, and runs/ has no "
			  "directory of it");
		return;
	}
	st = run_lock_probe(run_fd, prune ? &kept : NULL, line, sizeof(line));
	from_lock_line(e, line, &end);
	e->pruned = fstatat(run_fd, "pruned", &sb, AT_SYMLINK_NOFOLLOW) == 0;
	if (st == RUN_LOCK_UNKNOWN) {
		set_error(e, "unknown",
			  "its lock file cannot be opened "
			  "(another user's run?)");
		goto out;
	}
	if (st == RUN_LOCK_MISSING) {
		/* the lock appears held (run_lock.h): none yet is a run
		 * starting, or a directory gao-dev did not make */
		set_error(e, "unknown",
			  "no lock file: a run still starting, or a "
			  "directory gao-dev did not lock (never pruned)");
		goto out;
	}
	live_duration(e, run_fd, st == RUN_LOCK_HELD);
	if (st == RUN_LOCK_HELD) {
		e->status = "running";
		goto out;
	}
	if (ended_on_its_own(e, &end))
		goto out;
	e->status = "interrupted";
	if (!prune || kept < 0)
		goto out;
	e->removed = json_array();
	e->problems = json_array();
	runs_prune(root_fd, run_fd, e->id, e->removed, e->problems);
	e->pruned = fstatat(run_fd, "pruned", &sb, AT_SYMLINK_NOFOLLOW) == 0;
out:
	if (kept >= 0)
		close(kept);
	close(run_fd);
}

static int
cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c = strcmp(x->start, y->start);

	return c ? c : strcmp(x->id, y->id);
}

/* A table cell: escaped, newline and tab shown, "-" when empty; padded
 * to width and a space when width > 0, a space at least (a longer value
 * never runs into the next column). */
static void
cell(const char *s, int width)
{
	char *esc = termesc_dup(s && *s ? s : "-");
	size_t n = 0;

	for (const char *p = esc ? esc : "?"; *p; p++, n++) {
		if (*p == '\n')
			fputs("\\x0a", stdout);
		else if (*p == '\t')
			fputs("\\x09", stdout);
		else
			putchar(*p);
	}
	if (width > 0)
		for (putchar(' '), n++; (int)n <= width; n++)
			putchar(' ');
	free(esc);
}

static void
print_row(const struct entry *e)
{
	char status[48], dur[32] = "", code[24] = "";

	snprintf(status, sizeof(status), "%s%s", e->status,
		 e->pruned ? " (pruned)" : "");
	if (e->duration >= 0)
		snprintf(dur, sizeof(dur), "%.0fs", e->duration);
	if (e->exit_code >= 0)
		snprintf(code, sizeof(code), "%lld", e->exit_code);
	cell(e->id, 44);
	cell(status, 22);
	cell(e->start, 20);
	cell(dur, 8);
	cell(e->benchmark, 20);
	cell(code, 0);
	putchar('\n');
	if (e->error) {
		fputs("  ", stdout);
		cell(e->error, 0);
		putchar('\n');
	}
}

/* A JSON string of hostile bytes: as is when UTF-8, else escaped. */
static json_t *
jstr(const char *s)
{
	json_t *v;
	char *esc;

	if (!s)
		return json_null();
	v = json_string(s);
	if (v)
		return v;
	esc = termesc_dup(s);
	v = json_string(esc ? esc : "?");
	free(esc);
	return v;
}

static void
print_json(const struct entry *e)
{
	json_t *o = json_object();
	char *text;

	json_object_set_new(o, "run_id", jstr(e->id));
	json_object_set_new(o, "status", json_string(e->status));
	json_object_set_new(o, "pruned", json_boolean(e->pruned));
	json_object_set_new(o, "start_time",
			    e->start[0] ? json_string(e->start) : json_null());
	json_object_set_new(o, "duration_seconds",
			    e->duration >= 0 ? json_real(e->duration) :
					       json_null());
	json_object_set_new(o, "benchmark", jstr(e->benchmark));
	json_object_set_new(o, "exit_code",
			    e->exit_code >= 0 ? json_integer(e->exit_code) :
						json_null());
	if (e->error)
		json_object_set_new(o, "error", jstr(e->error));
	if (e->removed) {
		json_object_set(o, "removed", e->removed);
		json_object_set(o, "not_removed", e->problems);
	}
	text = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII |
				     JSON_REAL_PRECISION(9));
	if (text)
		puts(text);
	free(text);
	json_decref(o);
}

/* What --prune did to one run, on a line of its own (table mode). */
static void
print_pruned(const struct entry *e)
{
	size_t i;
	json_t *v;

	fputs("pruned ", stdout);
	cell(e->id, 0);
	fputs(json_array_size(e->removed) ? ": removed" :
					    ": nothing left to "
					    "remove",
	      stdout);
	json_array_foreach(e->removed, i, v) {
		fputs(i ? ", " : " ", stdout);
		termesc_fputs(json_string_value(v), stdout);
	}
	putchar('\n');
	json_array_foreach(e->problems, i, v) {
		fputs("  not removed: ", stdout);
		termesc_fputs(json_string_value(v), stdout);
		putchar('\n');
	}
}

static void
entry_clear(struct entry *e)
{
	free(e->id);
	free(e->benchmark);
	free(e->error);
	json_decref(e->removed);
	json_decref(e->problems);
}

/* Print everything; the exit code (4 when a prune left something). */
static int
report(struct runs *rs, bool json, const char *root)
{
	int rc = EXIT_OK;

	if (rs->n > 1)
		qsort(rs->e, rs->n, sizeof(*rs->e), cmp_entry);
	for (size_t i = 0; i < rs->n; i++) {
		if (json_array_size(rs->e[i].problems))
			rc = EXIT_INFRA;
		if (!json && rs->e[i].removed)
			print_pruned(&rs->e[i]);
	}
	if (!json && rs->n) {
		printf("%-44s %-22s %-20s %-8s %-20s %s\n", "RUN ID", "STATUS",
		       "START (UTC)", "TIME", "BENCHMARK", "EXIT");
	}
	for (size_t i = 0; i < rs->n; i++)
		(json ? print_json : print_row)(&rs->e[i]);
	if (!json && rs->n == 0)
		termesc_fprintf(stdout, "no runs under %s\n", root);
	if (rs->dropped)
		termesc_fprintf(stderr,
				"gao-dev runs list: %s: %zu more runs not "
				"listed (at most %u)\n",
				root, rs->dropped, RUNS_MAX);
	return rc;
}

/* Neither runs/ nor results/ could be read (a, b: -errno): say why. */
static void
bad_root(const char *root, int a, int b)
{
	if (a == -ENOENT && b == -ENOENT)
		termesc_fprintf(stderr,
				"gao-dev runs list: %s is not a sandbox root "
				"(it has no runs/ or results/); pass the "
				"directory the runs went to with "
				"--sandbox-root DIR\n",
				root);
	else
		termesc_fprintf(stderr,
				"gao-dev runs list: cannot read the runs/ and "
				"results/ of %s: %s; run it as the user who "
				"ran the benchmarks, or pass --sandbox-root "
				"DIR\n",
				root, strerror(a == -ENOENT ? -b : -a));
}

int
runs_list_main(const char *root, bool json, bool prune)
{
	struct runs rs = { 0 };
	int root_fd, a, b, rc;

	root_fd = io_open(root, O_RDONLY | O_DIRECTORY, 0);
	if (root_fd < 0) {
		termesc_fprintf(stderr,
				"gao-dev runs list: cannot open the sandbox "
				"root %s: %s; pass the directory the runs "
				"went to with --sandbox-root DIR (default "
				"./sandbox)\n",
				root, strerror(-root_fd));
		return EXIT_USAGE;
	}
	a = scan(root_fd, "runs", false, &rs);
	b = scan(root_fd, "results", true, &rs);
	if (a < 0 && b < 0) {
		bad_root(root, a, b);
		close(root_fd);
		return EXIT_USAGE;
	}
	dedup(&rs);
	for (size_t i = 0; i < rs.n; i++)
		if (!read_results(root_fd, &rs.e[i]))
			classify_live(root_fd, &rs.e[i], prune);
	rc = report(&rs, json, root);
	for (size_t i = 0; i < rs.n; i++)
		entry_clear(&rs.e[i]);
	free(rs.e);
	close(root_fd);
	return rc;
}
