/*
 * bash_exec.h - the exec step shared by the Bash tool's foreground
 * commands (tool_bash.c) and background jobs (bash_jobs.c).
 *
 * Design note
 * -----------
 * One function, called in a freshly forked child, that turns it into
 * `/bin/bash -c COMMAND` with a known state: signal dispositions and mask
 * reset (an ignored SIGPIPE or SIGXFSZ would otherwise survive execve),
 * cwd = the project (fchdir on its fd), fd 0 = /dev/null (or an empty
 * pipe), fds 1 and 2 = the same output fd, every other fd closed
 * (close_range), so a command can never reach the worker's protocol fds.
 * The environment is the worker's, which the supervisor made clean.
 */
#ifndef GAO_WORKER_BASH_EXEC_H
#define GAO_WORKER_BASH_EXEC_H

#include <stdbool.h>

#define BASH_EXEC_PATH "/bin/bash"

/*
 * In a forked child only (async-signal-safe calls): set up as above and
 * execve bash. new_session: setsid() first, so the command and what it
 * starts form one process group. Never returns: on a failure before
 * execve the child exits 126; when execve fails it writes a line to the
 * output fd and exits 127. null_fd may be -1 (an empty pipe is used).
 */
__attribute__((noreturn)) void bash_exec_child(int project_fd, int out_fd,
					       int null_fd, const char *command,
					       bool new_session);

/* Close every fd from `from` up; a loop on kernels before 5.9. */
void bash_exec_close_from(int from);

#endif
