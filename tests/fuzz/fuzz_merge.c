/*
 * fuzz_merge.c - libFuzzer harness for `gao-dev results merge`
 * (supervisor/run/merge.c: merge_main).
 *
 * Design note
 * -----------
 * The shards of one invocation come back from N machines as N
 * directories, and merge reads every byte of them as hostile (merge.h).
 * The input is parts separated by a line "%%"; a part's first line names
 * the file it becomes, its other lines are the file's bytes. The names
 * are fixed (files[] below): the manifests and results files of two
 * shard directories, a/ and b/. A part naming no file of the list is
 * dropped; a file no part names is not there. Directory a/ is always
 * given to merge (the command line needs one DIR), b/ when a part names
 * a file in it; so a seed can be a 2-shard merge, a missing shard, a
 * shard given twice or two manifests in one DIR. a/ also holds, made
 * once, what a results_file must not reach: a symlink to a results file
 * (a/results/link.json), a symlink out of the directory (a/up -> ..)
 * and a FIFO (a/fifo).
 *
 * Two costs of merge's that are no part of what is fuzzed are taken
 * away. merge prints a summary per unit on stdout and every refusal on
 * stderr: the harness points the stdio streams stdout and stderr at
 * /dev/null (libFuzzer and the sanitizers keep writing to file
 * descriptor 2); FUZZ_MERGE_VERBOSE set in the environment keeps them,
 * to see why a seed is refused. And fsync() is replaced by one that
 * does nothing: the six of an accepted merge (its three files written
 * atomically, each file and its directory) made an execution take 47 ms
 * on ext4 instead of 9; a host that crashes mid-write is no input a
 * fuzzer makes.
 *
 * Checked, beyond no crash, leak or sanitizer report (merge.h,
 * docs/decisions.md "Exit codes", docs/results.md "Shards and merge"):
 *
 * - the exit code is one of 0, 1, 2, 3, 4, 5 and 130;
 * - a refused merge (no OUT/results-index.json) returns 2 and writes
 *   nothing: no index, no summary, no JUnit file (each removed before
 *   the input);
 * - either way OUT and the JUnit file's directory hold nothing else
 *   afterwards: no temporary or probe file of merge's is left;
 * - an accepted merge writes all three, regular files of mode 0600
 *   (results.h, junit.h); the index is a JSON object of format 1 whose
 *   shards is the manifests' "of", with one entry per unit of the
 *   manifests, and its exit_code is the one returned, which is the rule
 *   of one invocation over the units' codes (130 when a manifest says
 *   interrupted, else the first of 3, 2, 4, 5, 1, else 0), computed here
 *   again; the summary's last line names that code;
 * - each results file the index names is a regular file below one of
 *   the DIRs given, reached with no ".." and no symlink: none on the
 *   way where the kernel has openat2 (5.6 and later), none in the last
 *   component everywhere.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <jansson.h>

#include "supervisor/run/merge.h"
#include "tests/fuzz/fuzz_input_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEP "\n%%\n"

/* The files a part may name, below the harness's directory. */
static const char *const files[] = {
	"a/manifest-1-of-2.json", "a/manifest-2-of-2.json",
	"a/manifest-1-of-1.json", "a/results/1.json",
	"a/results/2.json",       "b/manifest-1-of-2.json",
	"b/manifest-2-of-2.json", "b/results/1.json",
	"b/results/2.json",
};
#define FILES (sizeof(files) / sizeof(files[0]))

/* One input's files: the bytes each part gave (NULL: not there). */
struct parts {
	const char *text[FILES];
	size_t len[FILES];
};

static char dir_a[512], dir_b[512], out_dir[512], index_path[600],
	summary_path[600], junit_path[512];
static bool has_openat2;

/* The libc fsync(), replaced for this executable (see the design note). */
int
fsync(int fd)
{
	(void)fd;
	return 0;
}

static void
must(bool ok)
{
	if (!ok)
		abort(); /* the harness could not set itself up */
}

/* The directories, the fixtures and the silenced streams, once. */
static void
set_up(void)
{
	static const char *const subdirs[] = { "a", "a/results", "b",
					       "b/results" };
	char path[600];
	FILE *null;

	for (size_t i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", fuzz_input_dir(),
			 subdirs[i]);
		must(mkdir(path, 0700) == 0);
	}
	snprintf(path, sizeof(path), "%s/a/results/link.json",
		 fuzz_input_dir());
	must(symlink("1.json", path) == 0);
	snprintf(path, sizeof(path), "%s/a/up", fuzz_input_dir());
	must(symlink("..", path) == 0);
	snprintf(path, sizeof(path), "%s/a/fifo", fuzz_input_dir());
	must(mkfifo(path, 0600) == 0);
	snprintf(dir_a, sizeof(dir_a), "%s/a", fuzz_input_dir());
	snprintf(dir_b, sizeof(dir_b), "%s/b", fuzz_input_dir());
	snprintf(out_dir, sizeof(out_dir), "%s/out", fuzz_input_dir());
	snprintf(index_path, sizeof(index_path), "%s/results-index.json",
		 out_dir);
	snprintf(summary_path, sizeof(summary_path), "%s/summary.txt", out_dir);
	snprintf(junit_path, sizeof(junit_path), "%s/junit.xml",
		 fuzz_input_dir());
	/* openat2 with bad arguments: EFAULT or EINVAL where it exists */
	has_openat2 = syscall(SYS_openat2, -1, NULL, NULL, 0) < 0 &&
		      errno != ENOSYS;
	if (getenv("FUZZ_MERGE_VERBOSE"))
		return;
	null = fopen("/dev/null", "we");
	must(null != NULL);
	stdout = null;
	stderr = null;
}

/* The input's parts as files (see the design note). */
static void
write_parts(const uint8_t *data, size_t size, struct parts *ps)
{
	const char *p = (const char *)data, *end = p + size;
	char path[600];

	memset(ps, 0, sizeof(*ps));
	while (p) {
		const char *sep = memmem(p, (size_t)(end - p), SEP,
					 strlen(SEP));
		const char *stop = sep ? sep : end;
		const char *nl = memchr(p, '\n', (size_t)(stop - p));
		const char *body = nl ? nl + 1 : stop;
		size_t name_len = (size_t)((nl ? nl : stop) - p);

		for (size_t i = 0; i < FILES; i++)
			if (strlen(files[i]) == name_len &&
			    !memcmp(files[i], p, name_len)) {
				ps->text[i] = body;
				ps->len[i] = (size_t)(stop - body);
			}
		p = sep ? sep + strlen(SEP) : NULL;
	}
	for (size_t i = 0; i < FILES; i++) {
		if (ps->text[i]) {
			fuzz_input_write(files[i], (const uint8_t *)ps->text[i],
					 ps->len[i], path, sizeof(path));
		} else {
			snprintf(path, sizeof(path), "%s/%s", fuzz_input_dir(),
				 files[i]);
			(void)unlink(path);
		}
	}
}

/* What a run of merge before this input wrote, removed. */
static void
remove_outputs(void)
{
	(void)unlink(index_path);
	(void)unlink(summary_path);
	(void)unlink(junit_path);
}

static bool
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Aborts unless path is a regular file of mode 0600, as merge writes. */
static void
check_written(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (st.st_mode & 07777) != 0600)
		abort();
}

/*
 * Aborts unless dir holds no name but those of names[0..n): no temporary
 * or probe file of merge's left behind.
 */
static void
check_only(const char *dir, const char *const *names, size_t n)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	must(d != NULL);
	while ((de = readdir(d))) {
		bool known = !strcmp(de->d_name, ".") ||
			     !strcmp(de->d_name, "..");

		for (size_t i = 0; i < n && !known; i++)
			known = !strcmp(de->d_name, names[i]);
		if (!known)
			abort(); /* a file merge left behind */
	}
	closedir(d);
}

static bool
is_exit_code(long long c)
{
	return (c >= 0 && c <= 5) || c == 130;
}

/* One invocation's code over codes (docs/decisions.md), again. */
static int
expected_code(const int *codes, size_t n, bool interrupted)
{
	static const int order[] = { 3, 2, 4, 5, 1 };

	if (interrupted)
		return 130;
	for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++)
		for (size_t i = 0; i < n; i++)
			if (codes[i] == order[k])
				return order[k];
	return 0;
}

/*
 * Aborts unless path, a results file the index names, is a regular file
 * below dir_a or dir_b reached with no ".." and no symlink (see the
 * design note).
 */
static void
check_results_path(const char *path)
{
	char prefix[4200];
	const char *rel;
	struct stat st;
	size_t n;

	if (!strncmp(path, dir_a, strlen(dir_a)) && path[strlen(dir_a)] == '/')
		rel = path + strlen(dir_a) + 1;
	else if (!strncmp(path, dir_b, strlen(dir_b)) &&
		 path[strlen(dir_b)] == '/')
		rel = path + strlen(dir_b) + 1;
	else
		abort(); /* not below a DIR given */
	for (const char *c = rel; *c; c += *c == '/') {
		n = strcspn(c, "/");
		if (n == 2 && !strncmp(c, "..", 2))
			abort(); /* a ".." component */
		c += n;
		if (snprintf(prefix, sizeof(prefix), "%.*s", (int)(c - path),
			     path) >= (int)sizeof(prefix) ||
		    lstat(prefix, &st) < 0)
			abort(); /* not there: merge read something else */
		if (S_ISLNK(st.st_mode) && (has_openat2 || *c == '\0'))
			abort(); /* a symlink followed */
	}
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		abort(); /* not a regular file */
}

/* The manifest a part gave, as merge read it (it accepted it). */
static json_t *
load_manifest(const struct parts *ps, size_t i)
{
	json_t *m = json_loadb(ps->text[i], ps->len[i], JSON_REJECT_DUPLICATES,
			       NULL);

	if (!json_is_object(m))
		abort(); /* merge accepted a manifest that is no object */
	return m;
}

/* Aborts unless the summary's last line names code. */
static void
check_summary(int code)
{
	char want[64], *text;
	size_t len;
	long end;
	FILE *f = fopen(summary_path, "re");

	must(f != NULL && fseek(f, 0, SEEK_END) == 0);
	end = ftell(f);
	must(end >= 0 && fseek(f, 0, SEEK_SET) == 0);
	len = (size_t)end;
	text = malloc(len + 1);
	must(text != NULL && fread(text, 1, len, f) == len);
	fclose(f);
	text[len] = '\0';
	snprintf(want, sizeof(want), ", exit code %d\n", code);
	if (len < strlen(want) || strcmp(text + len - strlen(want), want) != 0)
		abort(); /* the summary ends with another code */
	free(text);
}

/*
 * Aborts unless what an accepted merge wrote is as the design note says.
 * code: what merge_main returned.
 */
static void
check_accepted(const struct parts *ps, int code)
{
	json_t *index, *units = NULL, *u;
	bool interrupted = false;
	long long of = -1;
	size_t n_units = 0, k;
	int *codes;

	for (size_t i = 0; i < FILES; i++) {
		json_t *m;

		if (!ps->text[i] || !strstr(files[i], "/manifest-"))
			continue;
		m = load_manifest(ps, i);
		interrupted |= json_is_true(json_object_get(m, "interrupted"));
		of = json_integer_value(json_object_get(m, "of"));
		n_units = json_array_size(json_object_get(m, "units"));
		json_decref(m);
	}
	if (of < 0)
		abort(); /* accepted with no manifest */
	check_written(index_path);
	check_written(summary_path); /* not the index alone */
	check_written(junit_path);
	index = json_load_file(index_path, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(index))
		abort();
	units = json_object_get(index, "units");
	if (json_integer_value(json_object_get(index, "format")) != 1 ||
	    !json_is_integer(json_object_get(index, "shards")) ||
	    json_integer_value(json_object_get(index, "shards")) != of ||
	    !json_is_integer(json_object_get(index, "exit_code")) ||
	    json_integer_value(json_object_get(index, "exit_code")) != code ||
	    !json_is_array(units) || json_array_size(units) != n_units)
		abort();
	codes = calloc(n_units + 1, sizeof(int));
	must(codes != NULL);
	json_array_foreach(units, k, u) {
		const json_t *c = json_object_get(u, "exit_code");
		const json_t *file = json_object_get(u, "results_file");

		if (!json_is_integer(c) || !is_exit_code(json_integer_value(c)))
			abort(); /* a unit's code merge should have refused */
		codes[k] = (int)json_integer_value(c);
		if (json_is_string(file))
			check_results_path(json_string_value(file));
		else if (!json_is_null(file))
			abort(); /* neither a path nor null (did not start) */
	}
	if (expected_code(codes, n_units, interrupted) != code)
		abort(); /* not the code of one invocation of the units */
	free(codes);
	json_decref(index);
	check_summary(code);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const outputs[] = { "results-index.json",
					       "summary.txt" };
	static const char *const top[] = { "a", "b", "out", "junit.xml" };
	static bool ready;
	struct parts ps;
	char *dirs[2] = { dir_a, dir_b };
	int n_dirs = 1, code;
	bool accepted;

	if (!ready) {
		set_up();
		ready = true;
	}
	write_parts(data, size, &ps);
	for (size_t i = 0; i < FILES; i++)
		if (ps.text[i] && files[i][0] == 'b')
			n_dirs = 2;
	remove_outputs();
	code = merge_main(dirs, n_dirs, out_dir, junit_path);
	if (!is_exit_code(code))
		abort(); /* a code docs/decisions.md does not list */
	accepted = exists(index_path);
	if (accepted)
		check_accepted(&ps, code);
	else if (code != 2 || exists(summary_path) || exists(junit_path))
		abort(); /* refused but not with 2, or wrote something */
	check_only(out_dir, outputs, accepted ? 2 : 0);
	check_only(fuzz_input_dir(), top, accepted ? 4 : 3);
	return 0;
}
