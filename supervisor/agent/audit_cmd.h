/*
 * audit_cmd.h - the audit commands: `audit verify` and `audit show`.
 *
 * Design note
 * -----------
 * verify FILE checks one log's chain (and says a single file cannot show
 * records cut from its end); verify RUN_DIR (or a results file) checks
 * every log of the run against the heads and counts in the results file
 * (audit_run.h). show lists the records as it verifies them, filtered by
 * agent, tool and path glob, as text or one JSON object per line. Every
 * value in a record is agent-controlled: text output passes termesc (and
 * newlines and tabs inside a value are shown as \n and \t, so a value
 * cannot forge a line); JSON output is jansson's escaping, then termesc.
 */
#ifndef GAO_SUPERVISOR_AUDIT_CMD_H
#define GAO_SUPERVISOR_AUDIT_CMD_H

#include <stdbool.h>

struct audit_filter {
	const char *agent; /* exact, or NULL */
	const char *tool;  /* exact, or NULL */
	const char *path;  /* fnmatch(3) glob over the file path, or NULL */
	bool json;
};

/* gao-dev audit verify ARG...: 0 verified, 1 a chain broken, cut or not
 * matching the results file, 2 an argument unreadable or malformed. */
int audit_cmd_verify(char **args, int n);

/* gao-dev audit show ARG...: 0, 1 when a chain is broken (what was read
 * before is printed, and where it broke), 2 usage or unreadable input. */
int audit_cmd_show(char **args, int n, const struct audit_filter *f);

#endif
