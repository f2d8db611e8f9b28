/*
 * fuzz_userconf.c - libFuzzer harness for the user config's readers.
 *
 * The user config ($GAO_DEV_CONFIG, else ~/.config/gao-dev/config.yaml) is
 * the operator's file, but it is still parsed and checked: a value of the
 * wrong kind or out of range is an error naming the key, never a crash or
 * a silent default (supervisor/run/runner_userconf.c, through
 * supervisor/config/yamljson.c). The input becomes that file
 * (GAO_DEV_CONFIG names it); the shape check and every reader run on
 * it with nothing set on the command line, as `gao-dev sandbox run` does
 * (the readers also where the check refused the file: each must stand
 * alone).
 *
 * runner_say(), the error printer of "sandbox run", is replaced by one
 * that formats the same way into a sink: the harness fuzzes the readers,
 * and millions of error lines on stderr would only slow it down.
 *
 * Checked, beyond no crash, leak or sanitizer report: each reader returns
 * 0 or EXIT_USAGE and says something exactly when it fails; an accepted
 * file gives an API version of 1 to 63 bytes, a timeout ceiling from 1 to
 * CONFINE_MAX_TIMEOUT_MAX, and caps at their minimums or above.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/config/cli.h"
#include "supervisor/config/confine.h"
#include "supervisor/run/runner_int.h"
#include "tests/fuzz/fuzz_input_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t said; /* runner_say() calls since the last reset */

void
runner_say(const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (line[0] == '\0')
		abort();
	said++;
}

/* rc is a reader's answer: 0 and silent, or EXIT_USAGE and said. */
static void
check_rc(int rc)
{
	if (!((rc == 0 && said == 0) || (rc == EXIT_USAGE && said > 0)))
		abort();
	said = 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cli c = { 0 };
	struct confine_rules rules = { 0 };
	char path[512], version[64], bp_root[4096];
	int rc;

	fuzz_input_write("config.yaml", data, size, path, sizeof(path));
	if (setenv("GAO_DEV_CONFIG", path, 1) != 0)
		abort();
	said = 0;

	rc = runner_userconf_check();
	check_rc(rc);

	rc = runner_userconf_api_version(&c, version, sizeof(version));
	check_rc(rc);
	if (rc == 0 && (version[0] == '\0' || strlen(version) >= 63))
		abort();

	rc = runner_userconf_caps(&c);
	check_rc(rc);
	if (rc == 0 &&
	    ((c.max_memory_set && c.max_memory < CLI_MIN_MAX_MEMORY) ||
	     (c.max_disk != 0 && c.max_disk < CLI_MIN_MAX_DISK)))
		abort();

	rc = runner_userconf_rules(&c, &rules, bp_root, sizeof(bp_root));
	check_rc(rc);
	if (rc == 0 && rules.max_timeout != 0 &&
	    (rules.max_timeout < 1 ||
	     rules.max_timeout > CONFINE_MAX_TIMEOUT_MAX))
		abort();
	return 0;
}
