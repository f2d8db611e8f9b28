/*
 * harness.c - see harness.h.
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

pid_t
h_fork(int death_signal)
{
	pid_t parent = getpid(), pid = fork();

	cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
	if (pid > 0)
		return pid;
	if (prctl(PR_SET_PDEATHSIG, death_signal, 0, 0, 0) < 0)
		_exit(127);
	/* the test process died between fork() and prctl() */
	if (getppid() != parent)
		_exit(127);
	return 0;
}

void
h_tmpdir(char *buf, size_t cap)
{
	snprintf(buf, cap, "/tmp/gao-it-XXXXXX");
	cr_assert_not_null(mkdtemp(buf), "mkdtemp: %s", strerror(errno));
	/* left 0700: as root, gao-dev makes the sandbox root below it
	 * reachable for the workers (test_private_root.c) */
}

void
h_keyfile(const char *dir, const char *key, char *buf, size_t cap)
{
	int fd;

	snprintf(buf, cap, "%s/key", dir);
	fd = open(buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, key, strlen(key)), (ssize_t)strlen(key));
	cr_assert_eq(write(fd, "\n", 1), 1);
	close(fd);
}

double
h_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
h_src(const char *rel, char *buf, size_t cap)
{
	const char *root = getenv("SOURCE_ROOT");

	cr_assert_not_null(root, "SOURCE_ROOT is not set (run through meson)");
	snprintf(buf, cap, "%s/%s", root, rel);
}

/* Read "PORT <n>" from the fake's stdout within 30 s. */
static int
read_port(int fd)
{
	char buf[64] = { 0 };
	size_t n = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (n < sizeof(buf) - 1 && !strchr(buf, '\n')) {
		/* Python's start on a host at load 40 and more (two test
		 * suites and a compile at once) took over 10 s */
		if (poll(&p, 1, 30000) <= 0)
			return -1;
		ssize_t r = read(fd, buf + n, sizeof(buf) - 1 - n);

		if (r <= 0)
			return -1;
		n += (size_t)r;
	}
	return strncmp(buf, "PORT ", 5) == 0 ? atoi(buf + 5) : -1;
}

/* In the fake's child: stdout to the pipe, stderr to the log, exec. */
__attribute__((noreturn)) static void
exec_fake(char *const *argv, int out, const char *log)
{
	int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || dup2(fd, 2) < 0 || dup2(out, 1) < 0)
		_exit(126);
	execve(argv[0], argv, environ);
	_exit(127);
}

/* The fake API, over TLS when cert and key are given. */
static void
fake_start(struct h_fake *f, const char *scenario, const char *keyfile,
	   const char *dir, const char *cert, const char *key)
{
	char fake[512];
	int out[2];

	h_src("scripts/fake-anthropic", fake, sizeof(fake));
	snprintf(f->record, sizeof(f->record), "%s/record.jsonl", dir);
	snprintf(f->log, sizeof(f->log), "%s/fake.log", dir);
	cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
	char *argv[] = { fake,
			 "--scenario",
			 (char *)scenario,
			 "--key-file",
			 (char *)keyfile,
			 "--record",
			 f->record,
			 cert ? "--tls-cert" : NULL,
			 (char *)cert,
			 "--tls-key",
			 (char *)key,
			 NULL };

	f->pid = h_fork(SIGKILL);
	if (f->pid == 0)
		exec_fake(argv, out[1], f->log);
	close(out[1]);
	f->port = read_port(out[0]);
	close(out[0]);
	cr_assert_gt(f->port, 0, "the fake API did not start (see %s)", f->log);
}

void
h_fake_start(struct h_fake *f, const char *scenario, const char *keyfile,
	     const char *dir)
{
	fake_start(f, scenario, keyfile, dir, NULL, NULL);
}

void
h_fake_start_tls(struct h_fake *f, const char *scenario, const char *keyfile,
		 const char *dir, const char *cert, const char *key)
{
	fake_start(f, scenario, keyfile, dir, cert, key);
}

void
h_fake_stop(struct h_fake *f)
{
	if (f->pid > 0) {
		kill(f->pid, SIGTERM);
		waitpid(f->pid, NULL, 0);
		f->pid = 0;
	}
}

static char *
read_all(int fd)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	ssize_t r;

	while (buf && (r = read(fd, buf + n, cap - n - 1)) > 0) {
		n += (size_t)r;
		if (cap - n < 2) {
			cap *= 2;
			buf = realloc(buf, cap);
		}
	}
	if (buf)
		buf[n] = 0;
	return buf;
}

/* Build the child's environment: ours minus the key, plus extras. */
static char **
child_env(const char *const *extra)
{
	size_t n = 0, m = 0, k = 0;
	char **env;

	while (environ[n])
		n++;
	while (extra && extra[m])
		m++;
	env = calloc(n + m + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		bool overridden = false;

		/* an extra "K=V" replaces an inherited K */
		for (size_t j = 0; j < m; j++) {
			const char *eq = strchr(extra[j], '=');
			size_t len = eq ? (size_t)(eq - extra[j]) + 1 : 0;

			overridden |= len &&
				      !strncmp(environ[i], extra[j], len);
		}
		if (!overridden &&
		    strncmp(environ[i], "ANTHROPIC_API_KEY=", 18) != 0 &&
		    strncmp(environ[i], "ANTHROPIC_BASE_URL=", 19) != 0)
			env[k++] = environ[i];
	}
	for (size_t i = 0; i < m; i++)
		env[k++] = (char *)extra[i];
	return env;
}

void
h_run(const char *const *args, const char *const *env, const char *cwd,
      int timeout_s, struct h_out *o)
{
	const char *bin = getenv("GAO_DEV");
	char outp[512], errp[512], *argv[64];
	int status = 0, fd;
	size_t n = 0;
	pid_t pid;

	cr_assert_not_null(bin, "GAO_DEV is not set (run through meson)");
	snprintf(outp, sizeof(outp), "%s/.stdout", cwd);
	snprintf(errp, sizeof(errp), "%s/.stderr", cwd);
	argv[n++] = (char *)bin;
	while (args[n - 1] && n < 63) {
		argv[n] = (char *)args[n - 1];
		n++;
	}
	argv[n] = NULL;
	char **e = child_env(env);

	pid = h_fork(H_GAO_DEV_DEATH);
	if (pid == 0) {
		if (chdir(cwd) < 0)
			_exit(126);
		fd = open(outp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		dup2(fd, 1);
		fd = open(errp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		dup2(fd, 2);
		fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		dup2(fd, 0);
		execve(bin, argv, e);
		_exit(127);
	}
	free(e);
	for (int i = 0; i < timeout_s * 20; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			goto done;
		struct timespec ts = { 0, 50000000 };

		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
done:
	o->code = WIFEXITED(status) ? WEXITSTATUS(status) :
				      128 + WTERMSIG(status);
	fd = open(outp, O_RDONLY | O_CLOEXEC);
	o->out = read_all(fd);
	close(fd);
	fd = open(errp, O_RDONLY | O_CLOEXEC);
	o->err = read_all(fd);
	close(fd);
	unlink(outp);
	unlink(errp);
}

void
h_out_free(struct h_out *o)
{
	free(o->out);
	free(o->err);
	o->out = o->err = NULL;
}

char *
h_slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf;

	if (fd < 0)
		return NULL;
	buf = read_all(fd);
	close(fd);
	if (buf && len)
		*len = strlen(buf);
	return buf;
}

bool
h_tree_contains(const char *dir, const char *needle)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool found = false;

	if (!d)
		return false;
	while (!found && (e = readdir(d))) {
		char p[4096];
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (lstat(p, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			found = h_tree_contains(p, needle);
		} else if (S_ISREG(st.st_mode)) {
			size_t len = 0;
			char *c = h_slurp(p, &len);

			found = c && memmem(c, len, needle, strlen(needle));
			free(c);
		}
	}
	closedir(d);
	return found;
}

bool
h_single_file(const char *dir, const char *sub, char *buf, size_t cap)
{
	char p[4096];
	DIR *d;
	struct dirent *e;
	int n = 0;

	snprintf(p, sizeof(p), "%s/%s", dir, sub);
	d = opendir(p);
	if (!d)
		return false;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(buf, cap, "%s/%s", p, e->d_name);
		n++;
	}
	closedir(d);
	return n == 1;
}

json_t *
h_jsonl(const char *path)
{
	json_t *arr = json_array();
	char *c = h_slurp(path, NULL), *save = NULL;

	for (char *line = c ? strtok_r(c, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		json_t *v = json_loads(line, JSON_ALLOW_NUL, NULL);

		cr_assert_not_null(v, "%s: a line is not JSON: %.200s", path,
				   line);
		json_array_append_new(arr, v);
	}
	free(c);
	return arr;
}

long long
h_ts_ms(const json_t *event)
{
	const char *s = json_string_value(json_object_get(event, "ts"));
	struct tm tm = { 0 };
	const char *rest = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;

	cr_assert(rest && rest[0] == '.', "bad ts %s", s ? s : "(none)");
	return (long long)timegm(&tm) * 1000 + strtol(rest + 1, NULL, 10);
}
