/*
 * merge.c - results merge: shards checked and combined. See merge.h.
 */
#include "supervisor/run/merge.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <jansson.h>
#include <linux/openat2.h>

#include "common/io.h"
#include "common/termesc.h"
#include "config.h"
#include "supervisor/config/cli.h"
#include "supervisor/out/junit.h"
#include "supervisor/out/results.h"
#include "supervisor/run/run_status.h"
#include "supervisor/run/shard.h"

#define MAX_MANIFESTS 1000
#define MAX_TEXT 1024

struct manifest {
	char path[4200]; /* DIR/manifest-I-of-N.json */
	const char *dir;
	json_t *j;
	int i, n;
};

struct merge {
	struct manifest m[MAX_MANIFESTS];
	int n;
};

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
fail(const char *fmt, ...)
{
	char buf[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	termesc_fprintf(stderr, "gao-dev: results merge: %s\n", buf);
	return EXIT_USAGE;
}

/*
 * rel opened below dir with no symlink anywhere on the way and no ".."
 * out of it (openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS); a kernel
 * without openat2 (before 5.6): open(2) with O_NOFOLLOW on the last
 * component. The fd, or -errno.
 */
static int
open_beneath(const char *dir, const char *rel)
{
	struct open_how how = {
		.flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
			   RESOLVE_NO_MAGICLINKS,
	};
	char path[8300];
	long fd;
	int dfd = io_open(dir, O_PATH | O_DIRECTORY, 0);

	if (dfd < 0)
		return dfd;
	fd = syscall(SYS_openat2, dfd, rel, &how, sizeof(how));
	if (fd < 0)
		fd = -errno;
	close(dfd);
	if (fd != -ENOSYS)
		return (int)fd;
	snprintf(path, sizeof(path), "%.4000s/%.4000s", dir, rel);
	return io_open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, 0);
}

/* A regular file of at most max bytes, as JSON (no duplicate keys). */
static json_t *
load_bounded(const char *dir, const char *rel, size_t max, char *why,
	     size_t cap)
{
	json_error_t je;
	json_t *j;
	char *buf;
	size_t n;
	int err, fd = open_beneath(dir, rel);

	if (fd < 0) {
		snprintf(why, cap, "cannot open: %s", strerror(-fd));
		return NULL;
	}
	buf = io_read_file_fd(fd, max, &n, &err);
	close(fd);
	if (!buf) {
		if (err == -EINVAL)
			snprintf(why, cap, "not a regular file");
		else if (err == -EFBIG)
			snprintf(why, cap, "larger than %zu bytes", max);
		else
			snprintf(why, cap, "%s", strerror(-err));
		return NULL;
	}
	j = json_loadb(buf, n, JSON_REJECT_DUPLICATES, &je);
	free(buf);
	if (!j)
		snprintf(why, cap, "not valid JSON (line %d, column %d: %s)",
			 je.line, je.column, je.text);
	else if (!json_is_object(j)) {
		snprintf(why, cap, "not a JSON object");
		json_decref(j);
		j = NULL;
	}
	return j;
}

/* A string field of at most MAX_TEXT bytes (null allowed when nullable). */
static bool
is_text(const json_t *o, const char *k, bool nullable)
{
	const json_t *v = json_object_get(o, k);

	if (nullable && json_is_null(v))
		return true;
	return json_is_string(v) && json_string_length(v) <= MAX_TEXT &&
	       strlen(json_string_value(v)) == json_string_length(v);
}

static bool
is_int(const json_t *o, const char *k, long long lo, long long hi)
{
	const json_t *v = json_object_get(o, k);

	return json_is_integer(v) && json_integer_value(v) >= lo &&
	       json_integer_value(v) <= hi;
}

static bool
is_exit_code(long long c)
{
	return (c >= 0 && c <= 5) || c == 130;
}

/* What names a unit, {name, repeat, ...}: NULL, or the bad field. */
static const char *
check_unit_id(const json_t *u)
{
	if (!json_is_object(u))
		return "";
	if (!is_text(u, "name", false))
		return ".name";
	if (!is_int(u, "repeat", 0, 999))
		return ".repeat";
	return NULL;
}

/* A unit of the list: {name, repeat, shard}. NULL, or the bad field. */
static const char *
check_unit(const json_t *u, int n)
{
	const char *bad = check_unit_id(u);

	if (bad)
		return bad;
	if (!is_int(u, "shard", 1, n))
		return ".shard";
	return NULL;
}

/* A unit run: NULL, or the bad field. */
static const char *
check_ran(const json_t *u)
{
	const char *bad = check_unit_id(u);
	const json_t *h;
	size_t k;

	if (bad)
		return bad;
	if (!is_text(u, "run_id", true))
		return ".run_id";
	if (!is_text(u, "status", false))
		return ".status";
	if (!is_int(u, "exit_code", 0, 255) ||
	    !is_exit_code(json_integer_value(json_object_get(u, "exit_code"))))
		return ".exit_code";
	if (!is_text(u, "results_file", true))
		return ".results_file";
	if (!json_is_array(json_object_get(u, "audit_heads")))
		return ".audit_heads";
	json_array_foreach(json_object_get(u, "audit_heads"), k, h)
		if (!is_text(h, "head", false))
			return ".audit_heads[].head";
	return NULL;
}

/* The manifest's shape; 0, or EXIT_USAGE after naming file and field. */
static int
check_shape(const struct manifest *m)
{
	static const char *const texts[] = { "gao_dev_version", "model",
					     "api_version", "price_table_date",
					     "policy" };
	const json_t *j = m->j, *e;
	const char *bad;
	size_t k;

	if (!is_int(j, "format", 1, 1000000))
		return fail("%s: format: expected a whole number", m->path);
	if (json_integer_value(json_object_get(j, "format")) != SHARD_FORMAT)
		return fail("%s: format %lld: this gao-dev reads manifest "
			    "format %d; merge with the gao-dev that ran the "
			    "shards",
			    m->path,
			    (long long)json_integer_value(
				    json_object_get(j, "format")),
			    SHARD_FORMAT);
	for (k = 0; k < sizeof(texts) / sizeof(*texts); k++)
		if (!is_text(j, texts[k], k > 0))
			return fail("%s: %s: expected a string", m->path,
				    texts[k]);
	if (!is_int(j, "of", 1, CLI_MAX_SHARDS) ||
	    json_integer_value(json_object_get(j, "of")) != m->n)
		return fail("%s: of: expected %d, as the file name says",
			    m->path, m->n);
	if (!is_int(j, "shard", 1, m->n) ||
	    json_integer_value(json_object_get(j, "shard")) != m->i)
		return fail("%s: shard: expected %d, as the file name says",
			    m->path, m->i);
	if (!is_int(j, "repeat", 1, 1000))
		return fail("%s: repeat: expected 1 to 1000", m->path);
	if (!json_is_boolean(json_object_get(j, "interrupted")))
		return fail("%s: interrupted: expected true or false", m->path);
	if (!json_is_array(json_object_get(j, "configs")))
		return fail("%s: configs: expected an array", m->path);
	json_array_foreach(json_object_get(j, "configs"), k, e)
		if (!is_text(e, "name", false) || !is_text(e, "sha256", false))
			return fail("%s: configs[%zu]: expected name and "
				    "sha256 strings",
				    m->path, k);
	if (!json_is_array(json_object_get(j, "units")) ||
	    json_array_size(json_object_get(j, "units")) > 1000000)
		return fail("%s: units: expected an array", m->path);
	json_array_foreach(json_object_get(j, "units"), k, e)
		if ((bad = check_unit(e, m->n)))
			return fail("%s: units[%zu]%s: missing or of the "
				    "wrong type",
				    m->path, k, bad);
	if (!json_is_array(json_object_get(j, "ran")))
		return fail("%s: ran: expected an array", m->path);
	json_array_foreach(json_object_get(j, "ran"), k, e)
		if ((bad = check_ran(e)))
			return fail("%s: ran[%zu]%s: missing or of the wrong "
				    "type",
				    m->path, k, bad);
	return 0;
}

/* One decimal number of at most 4 digits at *p, moved past it. */
static long
digits(const char **p)
{
	long v = 0;
	int n = 0;

	while (**p >= '0' && **p <= '9' && n < 5) {
		v = v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	return n && n < 5 ? v : -1;
}

/* "manifest-I-of-N.json": 0 and I, N; -1 for any other name. */
static int
parse_name(const char *name, int *i, int *n)
{
	const char *p = name;
	long a, b;

	if (strncmp(p, "manifest-", 9) != 0)
		return -1;
	p += 9;
	a = digits(&p);
	if (a < 0 || strncmp(p, "-of-", 4) != 0)
		return -1;
	p += 4;
	b = digits(&p);
	if (b < 0 || strcmp(p, ".json") != 0)
		return -1;
	*i = (int)a;
	*n = (int)b;
	return 0;
}

/* Read every manifest-I-of-N.json of dir. */
static int
read_dir(struct merge *g, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int found = 0, rc = 0;

	if (!d)
		return fail("%s: %s", dir, strerror(errno));
	while (rc == 0 && (de = readdir(d))) {
		struct manifest *m;
		char canon[64], why[600];
		int i, n;

		if (parse_name(de->d_name, &i, &n) < 0)
			continue;
		snprintf(canon, sizeof(canon), "manifest-%d-of-%d.json", i, n);
		if (strcmp(canon, de->d_name) != 0 || i < 1 || i > n ||
		    n > CLI_MAX_SHARDS)
			continue;
		if (g->n >= MAX_MANIFESTS) {
			rc = fail("more than %d manifests", MAX_MANIFESTS);
			break;
		}
		m = &g->m[g->n];
		snprintf(m->path, sizeof(m->path), "%.3900s/%.250s", dir,
			 de->d_name);
		m->dir = dir;
		m->i = i;
		m->n = n;
		m->j = load_bounded(dir, de->d_name, MERGE_MAX_MANIFEST, why,
				    sizeof(why));
		if (!m->j) {
			rc = fail("%s: %s", m->path, why);
			break;
		}
		g->n++;
		found++;
		rc = check_shape(m);
	}
	closedir(d);
	if (rc == 0 && !found)
		rc = fail("%s: no manifest-I-of-N.json here; give the "
			  "--sandbox-root of each sandbox run --shard I/N",
			  dir);
	return rc;
}

/* The configs' names and hashes (their paths may differ by machine). */
static bool
same_configs(const json_t *a, const json_t *b)
{
	size_t k;

	if (json_array_size(a) != json_array_size(b))
		return false;
	for (k = 0; k < json_array_size(a); k++) {
		const json_t *x = json_array_get(a, k),
			     *y = json_array_get(b, k);

		if (!json_equal(json_object_get(x, "name"),
				json_object_get(y, "name")) ||
		    !json_equal(json_object_get(x, "sha256"),
				json_object_get(y, "sha256")))
			return false;
	}
	return true;
}

/* What every manifest must share with the first. */
static int
check_agree(const struct merge *g)
{
	static const char *const keys[] = {
		"gao_dev_version",  "of",     "repeat",
		"configs",          "model",  "api_version",
		"price_table_date", "policy", "units",
	};
	const struct manifest *a = &g->m[0];

	for (int k = 1; k < g->n; k++) {
		const struct manifest *b = &g->m[k];

		for (size_t f = 0; f < sizeof(keys) / sizeof(*keys); f++)
			if (!strcmp(keys[f], "configs") ?
				    !same_configs(
					    json_object_get(a->j, keys[f]),
					    json_object_get(b->j, keys[f])) :
				    !json_equal(json_object_get(a->j, keys[f]),
						json_object_get(b->j, keys[f])))
				return fail("%s and %s disagree on %s%s; "
					    "merge only the shards of one "
					    "invocation (same gao-dev, "
					    "configs and options)",
					    a->path, b->path, keys[f],
					    !strcmp(keys[f], "configs") ?
						    " (the configs' SHA-256 "
						    "hashes)" :
						    "");
	}
	for (int k = 0; k < g->n; k++)
		for (int l = k + 1; l < g->n; l++)
			if (g->m[k].i == g->m[l].i)
				return fail("shard %d of %d given twice: %s "
					    "and %s",
					    g->m[k].i, g->m[k].n, g->m[k].path,
					    g->m[l].path);
	for (int s = 1; s <= a->n; s++) {
		bool seen = false;

		for (int k = 0; k < g->n; k++)
			seen |= g->m[k].i == s;
		if (!seen)
			return fail("shard %d of %d is missing: no "
				    "manifest-%d-of-%d.json in any DIR given",
				    s, a->n, s, a->n);
	}
	return 0;
}

static bool
same_unit(const json_t *a, const json_t *b)
{
	return json_equal(json_object_get(a, "name"),
			  json_object_get(b, "name")) &&
	       json_equal(json_object_get(a, "repeat"),
			  json_object_get(b, "repeat"));
}

/* Every unit ran exactly once; each run is a unit. Fills who[u]. */
static int
check_cover(const struct merge *g, const json_t **who, int *whom)
{
	const json_t *units = json_object_get(g->m[0].j, "units"), *u, *r;
	size_t k, x;

	if (!who || !whom)
		return fail("out of memory");

	for (int m = 0; m < g->n; m++)
		json_array_foreach(json_object_get(g->m[m].j, "ran"), x, r) {
			bool known = false;

			json_array_foreach(units, k, u) {
				if (!same_unit(u, r))
					continue;
				known = true;
				if (who[k])
					return fail(
						"unit %s #%lld ran twice: in "
						"%s and in %s (overlapping "
						"shards)",
						json_string_value(
							json_object_get(
								u, "name")),
						json_integer_value(
							json_object_get(
								u, "repeat")),
						g->m[whom[k]].path,
						g->m[m].path);
				who[k] = r;
				whom[k] = m;
			}
			if (!known)
				return fail("%s: ran[%zu]: not a unit of the "
					    "invocation",
					    g->m[m].path, x);
		}
	json_array_foreach(units, k, u)
		if (!who[k])
			return fail("unit %s #%lld (shard %lld) did not run: "
				    "no manifest lists it; rerun that shard",
				    json_string_value(
					    json_object_get(u, "name")),
				    json_integer_value(
					    json_object_get(u, "repeat")),
				    json_integer_value(
					    json_object_get(u, "shard")));
	return 0;
}

/* A relative path with no ".." component. */
static bool
safe_rel(const char *p)
{
	const char *s = p;

	if (!*p || *p == '/')
		return false;
	while (*s) {
		size_t n = strcspn(s, "/");

		if (n == 2 && !strncmp(s, "..", 2))
			return false;
		s += n;
		s += *s == '/';
	}
	return true;
}

/* The results document of a unit run (or a not-started record). */
static json_t *
unit_results(const struct manifest *m, const json_t *r, char *full, size_t cap,
	     int *rc)
{
	const char *rel = json_string_value(json_object_get(r, "results_file"));
	char why[600];
	json_t *doc;

	full[0] = 0;
	if (!rel || !*rel)
		return json_pack("{s:{s:O},s:O,s:s,s:[s],s:O}", "benchmark",
				 "name", json_object_get(r, "name"), "status",
				 json_object_get(r, "status"), "stop_reason",
				 "not_started", "errors",
				 "the run did not start", "exit_code",
				 json_object_get(r, "exit_code"));
	if (!safe_rel(rel)) {
		*rc = fail("%s: results_file %s: expected a path below the "
			   "shard's directory",
			   m->path, rel);
		return NULL;
	}
	snprintf(full, cap, "%.3000s/%.1024s", m->dir, rel);
	doc = load_bounded(m->dir, rel, MERGE_MAX_RESULTS, why, sizeof(why));
	if (!doc) {
		*rc = fail("%s (results_file of %s): %s", full, m->path, why);
		return NULL;
	}
	if (!json_equal(json_object_get(doc, "run_id"),
			json_object_get(r, "run_id")) ||
	    !json_equal(json_object_get(doc, "status"),
			json_object_get(r, "status"))) {
		json_decref(doc);
		*rc = fail("%s: run_id or status differ from %s", full,
			   m->path);
		return NULL;
	}
	return doc;
}

/* OUT exists (made 0700) and takes a file; 0 or EXIT_USAGE. */
static int
check_out(const char *out)
{
	char probe[4200];
	struct stat st;
	int fd;

	if (mkdir(out, 0700) < 0 && errno != EEXIST)
		return fail("--out %s: %s", out, strerror(errno));
	if (stat(out, &st) < 0 || !S_ISDIR(st.st_mode))
		return fail("--out %s: not a directory", out);
	snprintf(probe, sizeof(probe), "%.4000s/.merge-probe-%ld", out,
		 (long)getpid());
	fd = io_open_private(probe, O_EXCL);
	if (fd < 0)
		return fail("--out %s: cannot write there: %s; choose a "
			    "directory you may write",
			    out, strerror(-fd));
	close(fd);
	unlink(probe);
	return 0;
}

static int
write_text(const char *out, const char *name, const char *text)
{
	char path[4200];
	int wrc;

	snprintf(path, sizeof(path), "%.4000s/%s", out, name);
	wrc = results_write_text_atomic(path, text);
	if (wrc < 0)
		return fail("cannot write %s: %s", path, strerror(-wrc));
	return 0;
}

/*
 * Unit u, run as r in manifest m: its line of the index, its summary into
 * f, its results document into runs. 0, or EXIT_USAGE (said why).
 */
static int
add_unit(const struct manifest *m, const json_t *u, const json_t *r,
	 json_t *index, json_t *runs, FILE *f)
{
	char full[4200];
	int rc = 0;
	json_t *doc = unit_results(m, r, full, sizeof(full), &rc);

	if (!doc)
		return rc ? rc : EXIT_USAGE;
	json_array_append_new(index,
			      json_pack("{s:O,s:O,s:O,s:O,s:O,s:O,s:s?}",
					"name", json_object_get(u, "name"),
					"repeat", json_object_get(u, "repeat"),
					"shard", json_object_get(u, "shard"),
					"run_id", json_object_get(r, "run_id"),
					"status", json_object_get(r, "status"),
					"exit_code",
					json_object_get(r, "exit_code"),
					"results_file", full[0] ? full : NULL));
	if (full[0]) {
		results_print_summary(f, doc);
		fputc('\n', f);
	} else {
		fprintf(f, "%s #%lld: did not start (exit %lld)\n\n",
			json_string_value(json_object_get(u, "name")),
			json_integer_value(json_object_get(u, "repeat")),
			json_integer_value(json_object_get(r, "exit_code")));
	}
	json_array_append_new(runs, doc);
	return 0;
}

/* The index, the summary and the JUnit file; the exit code. */
static int
write_all(const struct merge *g, const json_t **who, const int *whom,
	  const char *out, const char *junit)
{
	const json_t *units = json_object_get(g->m[0].j, "units"), *u;
	json_t *index = json_array(), *runs = json_array(), *doc;
	size_t nu = json_array_size(units), len = 0, k, ok = 0;
	int *codes = calloc(nu + 1, sizeof(int));
	bool interrupted = false;
	char *sum = NULL, *text = NULL;
	FILE *f = open_memstream(&sum, &len);
	int rc = 0, code;

	if (!codes || !f || !index || !runs || !who || !whom) {
		rc = fail("out of memory");
		goto out;
	}
	for (int m = 0; m < g->n; m++)
		interrupted |= json_is_true(
			json_object_get(g->m[m].j, "interrupted"));
	for (k = 0; k < nu; k++) {
		u = json_array_get(units, k);
		rc = add_unit(&g->m[whom[k]], u, who[k], index, runs, f);
		if (rc)
			goto out;
		codes[k] = (int)json_integer_value(
			json_object_get(who[k], "exit_code"));
		ok += codes[k] == 0;
	}
	code = run_exit_aggregate(codes, nu, interrupted);
	fprintf(f, "%zu of %zu runs passed (%d shards merged), exit code %d\n",
		ok, nu, g->n, code);
	fclose(f);
	f = NULL;
	doc = json_pack("{s:i,s:s,s:i,s:i,s:o}", "format", SHARD_FORMAT,
			"gao_dev_version",
			json_string_value(
				json_object_get(g->m[0].j, "gao_dev_version")),
			"shards", g->m[0].n, "exit_code", code, "units", index);
	index = NULL;
	text = doc ? json_dumps(doc, JSON_INDENT(2)) : NULL;
	json_decref(doc);
	if (!text) {
		rc = fail("out of memory");
		goto out;
	}
	rc = write_text(out, "results-index.json", text);
	if (rc == 0)
		rc = write_text(out, "summary.txt", sum);
	if (rc == 0 && junit) {
		int wrc = junit_write(junit, runs, code, "no unit ran");

		if (wrc < 0)
			rc = fail("cannot write --junit %s: %s", junit,
				  strerror(-wrc));
	}
	if (rc == 0) {
		termesc_fputs(sum, stdout);
		rc = code;
	}
out:
	if (f)
		fclose(f);
	free(sum);
	free(text);
	free(codes);
	json_decref(index);
	json_decref(runs);
	return rc;
}

int
merge_main(char *const *dirs, int n, const char *out, const char *junit)
{
	struct merge *g = calloc(1, sizeof(*g));
	const json_t **who = NULL;
	int *whom = NULL, rc = 0;
	char err[1024];
	size_t nu;

	if (!g)
		return EXIT_INFRA;
	if (junit && junit_check_path(junit, err, sizeof(err)) < 0)
		rc = fail("%s", err);
	if (rc == 0)
		rc = check_out(out);
	for (int k = 0; rc == 0 && k < n; k++)
		rc = read_dir(g, dirs[k]);
	if (rc == 0)
		rc = check_agree(g);
	if (rc == 0) {
		nu = json_array_size(json_object_get(g->m[0].j, "units"));
		/* NOLINTNEXTLINE(bugprone-sizeof-expression): pointers */
		who = calloc(nu + 1, sizeof(*who));
		whom = calloc(nu + 1, sizeof(*whom));
		if (!who || !whom)
			rc = fail("out of memory");
	}
	if (rc == 0)
		rc = check_cover(g, who, whom);
	if (rc == 0)
		rc = write_all(g, who, whom, out, junit);
	for (int k = 0; k < g->n; k++)
		json_decref(g->m[k].j);
	free(who);
	free(whom);
	free(g);
	return rc;
}
