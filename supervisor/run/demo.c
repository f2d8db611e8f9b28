/*
 * demo.c - the "demo" command. See demo.h.
 *
 * The fake API's files live in a private temporary directory
 * ($TMPDIR, else /tmp: gao-dev-demo-XXXXXX, mode 0700): the demo key
 * (0600), the fake's stdout, where it prints "PORT <n>" once it listens,
 * and its log, printed when the run fails. The directory is removed at
 * the end, whatever happened; the fake API is stopped with SIGTERM and
 * reaped before demo_run returns.
 */
#include "supervisor/run/demo.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "common/io.h"
#include "common/termesc.h"
#include "supervisor/core/child.h"
#include "supervisor/core/datadir.h"
#include "supervisor/run/runner.h"

#define DEMO_KEY "demo-key-for-the-fake-api-only\n"
#define DEMO_START_MS 15000 /* python3 starting on a loaded machine */

struct demo {
	char tmp[PATH_MAX];
	char key[PATH_MAX + 16];
	char out[PATH_MAX + 16];
	char log[PATH_MAX + 16];
	char fake[PATH_MAX + 64];
	char scenario[PATH_MAX + 64];
	char config[PATH_MAX + 64];
	pid_t pid;
	pid_t parent; /* gao-dev: the fake checks it is still there */
};

/* The bundled files, each checked, or EXIT_INFRA naming the missing one. */
static int
find_files(struct demo *d)
{
	const char *dir = datadir_demo();
	const char *paths[] = { d->fake, d->scenario, d->config };

	snprintf(d->fake, sizeof(d->fake), "%s/scripts/fake-anthropic", dir);
	snprintf(d->scenario, sizeof(d->scenario),
		 "%s/benchmarks/demo.fake.json", dir);
	snprintf(d->config, sizeof(d->config), "%s/benchmarks/demo.yaml", dir);
	for (size_t i = 0; i < sizeof(paths) / sizeof(*paths); i++) {
		if (access(paths[i], R_OK) != 0) {
			termesc_fprintf(stderr,
					"gao-dev demo: %s: %s; the demo files "
					"are installed under "
					"<datadir>/gao-dev/demo (reinstall "
					"gao-dev, or set GAO_DEV_DATADIR to a "
					"data directory that has demo/)\n",
					paths[i], strerror(errno));
			return EXIT_INFRA;
		}
	}
	return 0;
}

/* The private temporary directory and the demo key in it. */
static int
make_tmp(struct demo *d)
{
	const char *base = getenv("TMPDIR");
	int fd, rc;

	if (!base || !*base || strlen(base) > PATH_MAX - 64)
		base = "/tmp";
	snprintf(d->tmp, sizeof(d->tmp), "%s/gao-dev-demo-XXXXXX", base);
	if (!mkdtemp(d->tmp)) {
		termesc_fprintf(stderr,
				"gao-dev demo: cannot create a temporary "
				"directory in %s: %s (set TMPDIR)\n",
				base, strerror(errno));
		d->tmp[0] = 0;
		return EXIT_INFRA;
	}
	snprintf(d->key, sizeof(d->key), "%s/key", d->tmp);
	snprintf(d->out, sizeof(d->out), "%s/fake.out", d->tmp);
	snprintf(d->log, sizeof(d->log), "%s/fake.log", d->tmp);
	fd = io_open_private(d->key, O_EXCL);
	if (fd < 0) {
		termesc_fprintf(stderr, "gao-dev demo: %s: %s\n", d->key,
				strerror(-fd));
		return EXIT_INFRA;
	}
	rc = io_write_all(fd, DEMO_KEY, strlen(DEMO_KEY));
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc < 0) {
		termesc_fprintf(stderr, "gao-dev demo: %s: %s\n", d->key,
				strerror(-rc));
		return EXIT_INFRA;
	}
	return 0;
}

/* In the child: stdout and stderr to the files, then python3. */
static void
exec_fake(const struct demo *d)
{
	int out = io_open_private(d->out, O_EXCL);
	int log = io_open_private(d->log, O_EXCL);
	int null = io_open("/dev/null", O_RDONLY, 0);

	sigset_t none;

	/* the demo holds SIGINT/SIGTERM/SIGHUP (demo_run): not the fake,
	 * which must die of our SIGTERM, and of our death too */
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0 ||
	    prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) < 0 ||
	    getppid() != d->parent)
		_exit(127);
	if (out < 0 || log < 0 || null < 0 || dup2(null, 0) < 0 ||
	    dup2(out, 1) < 0 || dup2(log, 2) < 0)
		_exit(127);
	unsetenv("ANTHROPIC_API_KEY");
	execlp("python3", "python3", d->fake, "--scenario", d->scenario,
	       "--key-file", d->key, (char *)NULL);
	dprintf(2, "gao-dev demo: cannot run python3: %s\n", strerror(errno));
	_exit(127);
}

/* The port the fake printed ("PORT <n>\n"): > 0, or 0 when not yet. */
static long
read_port(const struct demo *d)
{
	char buf[64] = "", *end;
	int fd = io_open(d->out, O_RDONLY, 0);
	ssize_t n;
	long port;

	if (fd < 0)
		return 0;
	n = io_read_all(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 7 || strncmp(buf, "PORT ", 5) != 0 || buf[5] < '1' ||
	    buf[5] > '9')
		return 0;
	errno = 0;
	port = strtol(buf + 5, &end, 10);
	if (errno || *end != '\n' || port <= 0 || port > 65535)
		return 0;
	return port;
}

/* Print the fake's log (its first 16 KiB) to stderr. */
static void
print_log(const struct demo *d)
{
	char buf[16384];
	int fd = io_open(d->log, O_RDONLY, 0);
	ssize_t n;

	if (fd < 0)
		return;
	n = io_read_all(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = 0;
	termesc_fprintf(stderr, "gao-dev demo: the fake API's log:\n%s", buf);
}

/* Start the fake API and wait for its port: > 0, or -EXIT_INFRA. */
static long
start_fake(struct demo *d)
{
	struct timespec tick = { 0, 20 * 1000 * 1000 };
	long port = 0;

	d->pid = fork();
	if (d->pid < 0) {
		termesc_fprintf(stderr, "gao-dev demo: fork: %s\n",
				strerror(errno));
		return -EXIT_INFRA;
	}
	if (d->pid == 0)
		exec_fake(d);
	/* ours: the runner's orphan sweep (child.h) must spare it */
	if (child_claim(d->pid) < 0) {
		kill(d->pid, SIGKILL);
		io_waitpid(d->pid, NULL, 0);
		d->pid = 0;
		termesc_fprintf(stderr, "gao-dev demo: out of memory\n");
		return -EXIT_INFRA;
	}
	for (int ms = 0; ms < DEMO_START_MS && port == 0; ms += 20) {
		if (io_waitpid(d->pid, NULL, WNOHANG) != 0) {
			child_unclaim(d->pid);
			d->pid = 0;
			break;
		}
		nanosleep(&tick, NULL);
		port = read_port(d);
	}
	if (port > 0)
		return port;
	if (d->pid == 0)
		termesc_fprintf(stderr,
				"gao-dev demo: the fake API (python3 %s) "
				"exited before it listened\n",
				d->fake);
	else
		termesc_fprintf(stderr,
				"gao-dev demo: the fake API (python3 %s) did "
				"not listen within %d s\n",
				d->fake, DEMO_START_MS / 1000);
	print_log(d);
	return -EXIT_INFRA;
}

static void
stop_and_clean(struct demo *d)
{
	if (d->pid > 0) {
		kill(d->pid, SIGTERM);
		io_waitpid(d->pid, NULL, 0);
		child_unclaim(d->pid);
	}
	if (!d->tmp[0])
		return;
	unlink(d->key);
	unlink(d->out);
	unlink(d->log);
	if (rmdir(d->tmp) < 0)
		termesc_fprintf(stderr, "gao-dev demo: cannot remove %s: %s\n",
				d->tmp, strerror(errno));
}

/* Whether one of the held signals came meanwhile. */
static bool
interrupted(void)
{
	sigset_t pending;

	if (sigpending(&pending) < 0)
		return false;
	return sigismember(&pending, SIGINT) == 1 ||
	       sigismember(&pending, SIGTERM) == 1 ||
	       sigismember(&pending, SIGHUP) == 1;
}

int
demo_run(struct cli *c)
{
	struct demo d = { .pid = 0 };
	sigset_t held;
	char *configs[2] = { NULL, NULL };
	char url[64];
	long port;
	int rc;

	if (c->api_key || c->api_key_file) {
		/* --api-key points into argv: wipe it as the run would */
		if (c->api_key)
			explicit_bzero(c->api_key, strlen(c->api_key));
		termesc_fprintf(stderr,
				"gao-dev demo: the demo uses a demo key of "
				"its own and never a real one: leave out "
				"--api-key and --api-key-file (gao-dev "
				"sandbox run takes them)\n");
		return EXIT_USAGE;
	}
	/* From here an interrupt is held until the run's own handling
	 * (runner_signals.c) or the clean-up below sees it: the temporary
	 * directory and the fake API go away whenever it comes. */
	sigemptyset(&held);
	sigaddset(&held, SIGINT);
	sigaddset(&held, SIGTERM);
	sigaddset(&held, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &held, NULL) < 0)
		return EXIT_INFRA;
	d.parent = getpid();
	rc = find_files(&d);
	if (rc == 0)
		rc = make_tmp(&d);
	port = rc == 0 ? start_fake(&d) : 0;
	if (port < 0)
		rc = (int)-port;
	if (rc == 0 && interrupted())
		rc = EXIT_INTERRUPTED;
	if (rc != 0)
		goto out;
	snprintf(url, sizeof(url), "http://127.0.0.1:%ld", port);
	if (setenv("ANTHROPIC_BASE_URL", url, 1) < 0 ||
	    unsetenv("ANTHROPIC_API_KEY") < 0) {
		rc = EXIT_INFRA;
		goto out;
	}
	termesc_fprintf(stderr,
			"== gao-dev demo: fake Anthropic API on %s (offline, "
			"a demo key); running %s; projects, results and logs "
			"go to %s\n",
			url, d.config, c->sandbox_root);
	configs[0] = d.config;
	c->cmd = CLI_RUN;
	c->args = configs;
	c->n_args = 1;
	c->api_key = NULL;
	c->api_key_file = d.key;
	rc = runner_run(c);
	if (rc != EXIT_OK && rc != EXIT_FAILED)
		print_log(&d);
out:
	stop_and_clean(&d);
	return rc;
}
