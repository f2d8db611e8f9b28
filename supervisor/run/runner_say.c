/*
 * runner_say.c - the error lines of "sandbox run", and the first of them.
 *
 * Design note
 * -----------
 * Every error of the invocation before or between runs is printed here,
 * through termesc (the text may hold a config's or the API's bytes). The
 * first one is kept, in the words it was printed in, without "gao-dev: ":
 * when no run started, it is the reason the JUnit file gives (junit.h).
 * One invocation a process: the kept line is never reset.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/termesc.h"
#include "supervisor/run/runner_int.h"

/*
 * The first error of the invocation, in the words it was printed in: the
 * reason the JUnit file gives when no run started (junit.h).
 */
static char first_error[1024];

/* Print an error line to stderr (through termesc) and keep the first. */
void
runner_say(const char *fmt, ...)
{
	char *buf = NULL;
	const char *p;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&buf, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	termesc_fputs(buf, stderr);
	p = buf;
	if (!strncmp(p, "gao-dev: ", 9))
		p += 9;
	if (!first_error[0])
		snprintf(first_error, sizeof(first_error), "%.*s",
			 (int)strcspn(p, "\n"), p);
	free(buf);
}

const char *
runner_say_first(void)
{
	return first_error[0] ? first_error : NULL;
}
