/*
 * harness_api.c - see harness_api.h for the design note.
 */
#include "harness_api.h"

#include <criterion/criterion.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

void
ha_write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	size_t n = strlen(text);

	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(write(fd, text, n), (ssize_t)n);
	cr_assert_eq(fchmod(fd, mode), 0);
	close(fd);
}

void
ha_scenario(const char *dir, const char *rel, const char *faults_json,
	    char *buf, size_t cap)
{
	char src[512];
	json_error_t je;
	json_t *sc, *faults;

	h_src(rel, src, sizeof(src));
	sc = json_load_file(src, 0, &je);
	cr_assert_not_null(sc, "%s:%d: %s", src, je.line, je.text);
	if (faults_json) {
		faults = json_loads(faults_json, 0, &je);
		cr_assert(json_is_array(faults), "faults: %s", je.text);
		json_object_set_new(sc, "faults", faults);
	}
	snprintf(buf, cap, "%s/scenario.json", dir);
	cr_assert_eq(json_dump_file(sc, buf, JSON_INDENT(1)), 0);
	json_decref(sc);
}

/* Key file, sandbox root, config and fake, in the existing t->dir. */
static void
setup_in(struct ha_run *t, const char *scenario, const char *key)
{
	h_keyfile(t->dir, key, t->key, sizeof(t->key));
	snprintf(t->root, sizeof(t->root), "%s/sandbox", t->dir);
	h_src("tests/integration/scenarios/api-bench.yaml", t->config,
	      sizeof(t->config));
	h_fake_start(&t->fake, scenario, t->key, t->dir);
	snprintf(t->base, sizeof(t->base),
		 "ANTHROPIC_BASE_URL=http://127.0.0.1:%d", t->fake.port);
}

void
ha_setup(struct ha_run *t, const char *scenario, const char *key)
{
	char sc[512];

	memset(t, 0, sizeof(*t));
	h_tmpdir(t->dir, sizeof(t->dir));
	if (scenario[0] == '/')
		snprintf(sc, sizeof(sc), "%s", scenario);
	else
		h_src(scenario, sc, sizeof(sc));
	setup_in(t, sc, key);
}

void
ha_setup_faults(struct ha_run *t, const char *rel, const char *faults_json,
		const char *key)
{
	char sc[512];

	memset(t, 0, sizeof(*t));
	h_tmpdir(t->dir, sizeof(t->dir));
	ha_scenario(t->dir, rel, faults_json, sc, sizeof(sc));
	setup_in(t, sc, key);
}

/* Length of the name part of "NAME=value" (the whole string without =). */
static size_t
name_len(const char *kv)
{
	const char *eq = strchr(kv, '=');

	return eq ? (size_t)(eq - kv) : strlen(kv);
}

static bool
env_dropped(const char *kv, const char *const *extra)
{
	static const char *const drop[] = { "ANTHROPIC_API_KEY",
					    "ANTHROPIC_BASE_URL",
					    "GAO_DEV_CONFIG" };
	size_t n = name_len(kv);

	for (size_t i = 0; i < sizeof(drop) / sizeof(*drop); i++)
		if (n == strlen(drop[i]) && strncmp(kv, drop[i], n) == 0)
			return true;
	for (size_t i = 0; extra && extra[i]; i++)
		if (n == name_len(extra[i]) && strncmp(kv, extra[i], n) == 0)
			return true;
	return false;
}

/* Ours, minus what must not leak in and what the test sets, plus that. */
static char **
child_env(const char *base, const char *const *extra)
{
	size_t n = 0, m = 0, k = 0;
	char **env;

	while (environ[n])
		n++;
	while (extra && extra[m])
		m++;
	env = calloc(n + m + 2, sizeof(char *));
	cr_assert_not_null(env);
	for (size_t i = 0; i < n; i++)
		if (!env_dropped(environ[i], extra) &&
		    strncmp(environ[i], base, name_len(base) + 1) != 0)
			env[k++] = environ[i];
	env[k++] = (char *)base;
	for (size_t i = 0; i < m; i++)
		env[k++] = (char *)extra[i];
	return env;
}

static void
child_files(const char *dir)
{
	char p[512];
	int fd;

	snprintf(p, sizeof(p), "%s/.stdout", dir);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || dup2(fd, 1) < 0)
		_exit(126);
	snprintf(p, sizeof(p), "%s/.stderr", dir);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || dup2(fd, 2) < 0)
		_exit(126);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || dup2(fd, 0) < 0)
		_exit(126);
}

void
ha_spawn(struct ha_run *t, const char *const *opts, const char *const *env)
{
	const char *bin = getenv("GAO_DEV");
	const char *argv[64] = { bin,       "sandbox",      "run",
				 t->config, "--standalone", "--sandbox-root",
				 t->root };
	size_t n = 7;
	char **e;

	cr_assert_not_null(bin, "GAO_DEV is not set (run through meson)");
	for (size_t i = 0; opts && opts[i]; i++) {
		cr_assert_lt(n, 63);
		argv[n++] = opts[i];
	}
	argv[n] = NULL;
	e = child_env(t->base, env);
	t->started = h_now_s();
	t->pid = h_fork(H_GAO_DEV_DEATH);
	if (t->pid == 0) {
		if (chdir(t->dir) < 0)
			_exit(126);
		child_files(t->dir);
		execve(bin, (char *const *)argv, e);
		_exit(127);
	}
	free(e);
}

static char *
slurp_and_unlink(const char *dir, const char *name)
{
	char p[512], *c;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	c = h_slurp(p, NULL);
	unlink(p);
	return c ? c : strdup("");
}

void
ha_wait(struct ha_run *t, int timeout_s)
{
	struct rusage ru = { 0 };
	int status = 0;
	pid_t got = 0;

	cr_assert_gt(t->pid, 0);
	for (int i = 0; i < timeout_s * 50 && got == 0; i++) {
		struct timespec ts = { 0, 20000000 };

		got = wait4(t->pid, &status, WNOHANG, &ru);
		if (got == 0)
			nanosleep(&ts, NULL);
	}
	if (got == 0) {
		kill(t->pid, SIGKILL);
		waitpid(t->pid, &status, 0);
	}
	t->seconds = h_now_s() - t->started;
	t->maxrss_kb = ru.ru_maxrss;
	t->pid = 0;
	t->out.code = WIFEXITED(status) ? WEXITSTATUS(status) :
					  128 + WTERMSIG(status);
	h_out_free(&t->out);
	t->out.out = slurp_and_unlink(t->dir, ".stdout");
	t->out.err = slurp_and_unlink(t->dir, ".stderr");
}

void
ha_run(struct ha_run *t, const char *const *opts, const char *const *env)
{
	ha_spawn(t, opts, env);
	ha_wait(t, 120);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		return rmdir(path) < 0 ? -1 : 0;
	return unlink(path) < 0 ? -1 : 0;
}

void
ha_finish(struct ha_run *t)
{
	if (t->pid > 0) {
		kill(t->pid, SIGKILL);
		waitpid(t->pid, NULL, 0);
		t->pid = 0;
	}
	h_fake_stop(&t->fake);
	h_out_free(&t->out);
	/* reached only when every assertion held: a failed test keeps its
	 * directory for a look */
	if (t->dir[0] && strncmp(t->dir, "/tmp/gao-it-", 12) == 0)
		cr_assert_eq(nftw(t->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0,
			     "cannot remove %s", t->dir);
}

json_t *
ha_results(struct ha_run *t)
{
	char path[1024];
	json_error_t je;
	json_t *r;

	cr_assert(h_single_file(t->root, "results", path, sizeof(path)),
		  "no single results file (exit %d); stderr:\n%s", t->out.code,
		  t->out.err);
	r = json_load_file(path, 0, &je);
	cr_assert_not_null(r, "%s: %s", path, je.text);
	return r;
}

json_t *
ha_events(const json_t *results)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/events.jsonl",
		 ha_str(results, "run_dir"));
	return h_jsonl(path);
}

json_t *
ha_records(const struct ha_run *t)
{
	return h_jsonl(t->fake.record);
}

json_t *
ha_get(const json_t *v, const char *path)
{
	char part[128];
	const char *p = path;

	while (v && *p) {
		size_t n = strcspn(p, ".");
		char *end;

		cr_assert_lt(n, sizeof(part));
		memcpy(part, p, n);
		part[n] = 0;
		p += n + (p[n] == '.');
		if (json_is_array(v) && isdigit((unsigned char)part[0]))
			v = json_array_get(v, strtoul(part, &end, 10));
		else
			v = json_object_get(v, part);
	}
	return (json_t *)v;
}

const char *
ha_str(const json_t *v, const char *path)
{
	const char *s = json_string_value(ha_get(v, path));

	return s ? s : "";
}

long long
ha_int(const json_t *v, const char *path)
{
	return (long long)json_integer_value(ha_get(v, path));
}

double
ha_num(const json_t *v, const char *path)
{
	return json_number_value(ha_get(v, path));
}

json_t *
ha_events_named(const json_t *events, const char *name)
{
	json_t *out = json_array(), *e;
	size_t i;

	json_array_foreach(events, i, e)
		if (strcmp(ha_str(e, "event"), name) == 0)
			json_array_append(out, e);
	return out;
}

json_t *
ha_posts(const json_t *records)
{
	json_t *out = json_array(), *r;
	size_t i;

	json_array_foreach(records, i, r)
		if (strcmp(ha_str(r, "method"), "POST") == 0 &&
		    strcmp(ha_str(r, "path"), "/v1/messages") == 0)
			json_array_append(out, r);
	return out;
}

long long
ha_ts_diff_ms(const json_t *a, const json_t *b)
{
	return h_ts_ms(b) - h_ts_ms(a);
}

void
ha_assert_no_key(const struct ha_run *t, const char *key)
{
	size_t n = 0;
	char *rec;

	cr_assert_not(h_tree_contains(t->root, key),
		      "the key is in a file under the sandbox root");
	cr_assert_null(strstr(t->out.out, key), "the key is on stdout");
	cr_assert_null(strstr(t->out.err, key), "the key is on stderr");
	rec = h_slurp(t->fake.record, &n);
	cr_assert_not_null(rec);
	cr_assert_gt(n, 0, "the fake recorded no request");
	cr_assert_null(memmem(rec, n, key, strlen(key)),
		       "the key is in a request (outside x-api-key)");
	free(rec);
}

/* Children of every thread of pid, appended to out. */
static size_t
children_of(pid_t pid, pid_t *out, size_t n, size_t cap)
{
	char path[64];
	DIR *d;
	struct dirent *e;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return n;
	while ((e = readdir(d)) && n < cap) {
		char p[400], *c, *save = NULL;

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s/children", path, e->d_name);
		c = h_slurp(p, NULL);
		for (char *tok = c ? strtok_r(c, " \n", &save) : NULL;
		     tok && n < cap; tok = strtok_r(NULL, " \n", &save))
			out[n++] = (pid_t)atoi(tok);
		free(c);
	}
	closedir(d);
	return n;
}

size_t
ha_descendants(pid_t pid, pid_t *out, size_t cap)
{
	size_t n = children_of(pid, out, 0, cap);

	/* breadth first: out grows while it is walked */
	for (size_t i = 0; i < n; i++)
		n = children_of(out[i], out, n, cap);
	return n;
}

bool
ha_proc_contains(pid_t pid, const char *file, const char *needle,
		 bool *readable)
{
	char path[64], buf[65536];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : read(fd, buf, sizeof(buf));
	if (fd >= 0)
		close(fd);
	*readable = n > 0;
	return n > 0 && memmem(buf, (size_t)n, needle, strlen(needle));
}

/* Scan [lo, hi) of /proc/<pid>/mem; bytes read. */
static size_t
scan_range(int fd, unsigned long lo, unsigned long hi,
	   const char *const *needles, size_t n, bool *found)
{
	static char buf[(1u << 20) + 256];
	const size_t keep = 255; /* overlap: a needle across two reads */
	size_t have = 0, total = 0;

	for (unsigned long at = lo; at < hi;) {
		size_t want = hi - at < (1u << 20) ? hi - at : (1u << 20);
		ssize_t r = pread(fd, buf + have, want, (off_t)at);

		if (r <= 0)
			break;
		have += (size_t)r;
		total += (size_t)r;
		at += (unsigned long)r;
		for (size_t i = 0; i < n; i++)
			found[i] |= memmem(buf, have, needles[i],
					   strlen(needles[i])) != NULL;
		if (have > keep) {
			memmove(buf, buf + have - keep, keep);
			have = keep;
		}
	}
	return total;
}

size_t
ha_mem_scan(pid_t pid, const char *const *needles, size_t n, bool *found)
{
	char path[64], line[1024];
	size_t total = 0;
	FILE *maps;
	int fd;

	for (size_t i = 0; i < n; i++) {
		cr_assert_leq(strlen(needles[i]), 255);
		found[i] = false;
	}
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	maps = fopen(path, "re");
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	while (maps && fd >= 0 && fgets(line, sizeof(line), maps)) {
		unsigned long lo, hi;
		char perms[8];

		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 ||
		    perms[0] != 'r' || strstr(line, "[vvar") ||
		    strstr(line, "[vsyscall]"))
			continue;
		total += scan_range(fd, lo, hi, needles, n, found);
	}
	if (maps)
		fclose(maps);
	if (fd >= 0)
		close(fd);
	return total;
}
