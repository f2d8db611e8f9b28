/*
 * junit.h - the JUnit XML file of an invocation (--junit PATH).
 *
 * Design note
 * -----------
 * CI systems show tests, not JSON: one file in the Jenkins/Ant dialect
 * (what Jenkins, GitLab, GitHub actions' reporters and python3-junitparser
 * read) covers the whole invocation. It is made from the results
 * documents alone (docs/results.md), so `results merge` can write the same
 * file from results read back from disk. The mapping (docs/results.md,
 * "JUnit XML"):
 *
 *   <testsuites name="gao-dev">      totals of the suites below
 *     <testsuite name="NAME (RUN_ID)">   one per run
 *       <properties>                 model, tokens, cost, isolation,
 *                                    audit heads, gao-dev version, ...
 *       <testcase>  per phases[] entry (phase, command or story step)
 *       <testcase>  per success_criteria[] entry
 *       <testcase name="run">        the run's own status
 *       <system-out>                 the run's summary text
 *
 * A phase or run that failed is a <failure>; one stopped by a limit too,
 * with a message naming the limit (stop_reason); an infrastructure
 * problem (status error) or a cancelled run is an <error>; a skipped
 * phase or criterion is <skipped> with its reason. An invocation that
 * stopped before any run gets one suite "gao-dev" with one <error>
 * testcase saying why.
 *
 * Every value is redacted (secret_redact) and made XML-safe and bounded
 * (xmltext.h); the whole document passes the redaction step once more
 * before it is written, atomically and 0600, like the results files.
 */
#ifndef GAO_SUPERVISOR_JUNIT_H
#define GAO_SUPERVISOR_JUNIT_H

#include <stddef.h>

#include <jansson.h>

/* Bounds, in bytes of input, of the values the file carries. */
#define JUNIT_MAX_MESSAGE 1024       /* a failure's message attribute */
#define JUNIT_MAX_TEXT (16 << 10)    /* a final text, an error's detail */
#define JUNIT_MAX_SUMMARY (64 << 10) /* a run's summary (system-out) */

/*
 * junit_check_path - whether path can take the file: not a directory,
 * its directory exists and a file can be created there (probed with a
 * temp file, removed at once). 0, or -1 with a message naming --junit
 * and the path in err.
 */
int junit_check_path(const char *path, char *err, size_t errlen);

/*
 * junit_render - the document for runs (an array of results documents;
 * a run that could not start is an object with "benchmark": {"name"},
 * "status": "error" and its reason in "errors"). When runs is NULL or
 * empty, the invocation failed before any run: one "gao-dev" suite with
 * one error testcase, its message why and its type "exit CODE".
 * Returns malloc'ed, redacted text (caller frees), NULL on ENOMEM.
 */
char *junit_render(const json_t *runs, int code, const char *why);

/*
 * junit_write - junit_render, then write it to path atomically (temp
 * file in the same directory, 0600, fsync, rename). 0, or -errno.
 */
int junit_write(const char *path, const json_t *runs, int code,
		const char *why);

#endif
