/*
 * bash_exec.c - see bash_exec.h.
 */
#include "worker/bash_exec.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

extern char **environ;

void
bash_exec_close_from(int from)
{
	long max, fd;

	if (syscall(SYS_close_range, (unsigned)from, ~0U, 0U) == 0)
		return;
	max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 65536)
		max = 65536;
	for (fd = from; fd < max; fd++)
		close((int)fd);
}

/* Signal dispositions back to default, mask empty (execve keeps both). */
static void
reset_signals(void)
{
	struct sigaction sa;
	sigset_t none;

	/* execve resets handled signals; ignored ones would stay ignored.
	 * The worker ignores exactly these two (worker/main.c). */
	static const int ignored[] = { SIGPIPE, SIGXFSZ };

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(ignored) / sizeof(*ignored); i++)
		sigaction(ignored[i], &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

void
bash_exec_child(int project_fd, int out_fd, int null_fd, const char *command,
		bool new_session)
{
	static const char msg[] = "gao-dev: cannot run " BASH_EXEC_PATH "\n";
	char *argv[] = { (char *)"bash", (char *)"-c", (char *)command, NULL };
	int w, n, p[2];

	if (new_session)
		setsid();
	reset_signals();
	if (fchdir(project_fd) < 0)
		_exit(126);
	/* Move both above 2 first, so dup2 always makes fresh fds 0-2. */
	w = fcntl(out_fd, F_DUPFD, 3);
	n = null_fd >= 0 ? fcntl(null_fd, F_DUPFD, 3) : -1;
	if (n < 0 && pipe2(p, O_CLOEXEC) == 0) {
		close(p[1]); /* an empty stdin at EOF */
		n = p[0];
	}
	if (w < 0 || n < 0 || dup2(n, 0) < 0 || dup2(w, 1) < 0 ||
	    dup2(w, 2) < 0)
		_exit(126);
	bash_exec_close_from(3);
	execve(BASH_EXEC_PATH, argv, environ);
	if (write(1, msg, sizeof(msg) - 1) < 0)
		_exit(127);
	_exit(127);
}
