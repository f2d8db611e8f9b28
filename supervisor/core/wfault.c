/*
 * wfault.c - failures of gao-dev's own writes, injected on purpose. See
 * wfault.h for the design note. Compiled only in a test build
 * (-Dtest_switches=true; supervisor/core/meson.build).
 */
#include "supervisor/core/wfault.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/termesc.h"

#define WFAULT_MAX 16 /* faults in one SPEC */

struct fault {
	enum wfault_kind kind;
	unsigned long nth;
	int err;
};

static struct fault faults[WFAULT_MAX];
static size_t n_faults;
static unsigned long writes[WFAULT_KINDS];
static bool stop_after_lock;
static bool fail_mkdirs;

static const char *const kind_names[WFAULT_KINDS] = {
	[WFAULT_EVENTS] = "events",       [WFAULT_TRANSCRIPT] = "transcript",
	[WFAULT_AUDIT] = "audit",         [WFAULT_RESULTS] = "results",
	[WFAULT_RECORDING] = "recording",
};

static const struct {
	const char *name;
	int err;
} errnos[] = {
	{ "ENOSPC", ENOSPC },
	{ "EDQUOT", EDQUOT },
	{ "EROFS", EROFS },
	{ "EIO", EIO },
};

/* One KIND:N[:ERRNO] (item is writable): 0 or -1. */
static int
parse_one(char *item, struct fault *f)
{
	char *save = NULL, *kind = strtok_r(item, ":", &save);
	char *nth = strtok_r(NULL, ":", &save);
	char *err = strtok_r(NULL, ":", &save), *end;
	size_t i;

	if (!kind || !nth || strtok_r(NULL, ":", &save))
		return -1;
	for (i = 0; i < WFAULT_KINDS && strcmp(kind, kind_names[i]) != 0; i++)
		;
	if (i == WFAULT_KINDS)
		return -1;
	f->kind = (enum wfault_kind)i;
	errno = 0;
	f->nth = strtoul(nth, &end, 10);
	if (errno || *end || f->nth == 0 || nth[0] < '0' || nth[0] > '9')
		return -1;
	f->err = ENOSPC;
	if (!err)
		return 0;
	for (i = 0; i < sizeof(errnos) / sizeof(*errnos); i++)
		if (strcmp(err, errnos[i].name) == 0) {
			f->err = errnos[i].err;
			return 0;
		}
	return -1;
}

int
wfault_set(const char *spec)
{
	char *copy = strdup(spec), *save = NULL, *item;
	int rc = 0;

	n_faults = 0;
	stop_after_lock = false;
	fail_mkdirs = false;
	memset(writes, 0, sizeof(writes));
	if (!copy)
		return -1;
	for (item = strtok_r(copy, ",", &save); item && rc == 0;
	     item = strtok_r(NULL, ",", &save)) {
		if (strcmp(item, "stop-after-lock") == 0)
			stop_after_lock = true;
		else if (strcmp(item, "mkdirs") == 0)
			fail_mkdirs = true;
		else if (n_faults == WFAULT_MAX ||
			 parse_one(item, &faults[n_faults++]) < 0)
			rc = -1;
	}
	free(copy);
	if (rc < 0) {
		n_faults = 0;
		termesc_fprintf(stderr,
				"gao-dev: --test-fault %s: expected a list of "
				"KIND:N[:ERRNO] (KIND events, transcript, "
				"audit, results or recording; N from 1; ERRNO "
				"ENOSPC, EDQUOT, EROFS or EIO), "
				"stop-after-lock and mkdirs, at most %d\n",
				spec, WFAULT_MAX);
	}
	return rc;
}

int
wfault_write(enum wfault_kind k)
{
	unsigned long n;

	if (k >= WFAULT_KINDS)
		return 0;
	n = ++writes[k];
	for (size_t i = 0; i < n_faults; i++)
		if (faults[i].kind == k && faults[i].nth == n)
			return faults[i].err;
	return 0;
}

void
wfault_stop_after_lock(void)
{
	if (stop_after_lock)
		(void)raise(SIGSTOP);
}

int
wfault_mkdirs(void)
{
	return fail_mkdirs ? EIO : 0;
}
