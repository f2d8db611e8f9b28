/*
 * results.h - writing a run's results file and printing its summary.
 *
 * Design note
 * -----------
 * results/<run_id>.json is written atomically: a temp file in the same
 * directory (0600), fsync, rename, fsync of the directory. A reader sees
 * the old file or the new one, never half of one, even after a crash. The
 * JSON passes through the redaction step first. The shape is documented in
 * docs/results.md.
 */
#ifndef GAO_SUPERVISOR_RESULTS_H
#define GAO_SUPERVISOR_RESULTS_H

#include <stdio.h>

#include <jansson.h>

/*
 * Write text to path atomically (see above; the caller has redacted it).
 * 0, or -errno.
 */
int results_write_text_atomic(const char *path, const char *text);

/* Write v to path atomically (see above). 0, or -errno. */
int results_write_atomic(const char *path, const json_t *v);

/* The most results_read() reads of one file. */
#define RESULTS_FILE_MAX (64u << 20)

/*
 * results_read - parse the results file at path: a regular file (its
 * last component not a symlink) of at most RESULTS_FILE_MAX bytes
 * holding a JSON object. The object (caller json_decref's it), or NULL
 * with "<path>: why" in err (cannot open, not a regular file or too
 * big, cannot read, "not a results file (line L: why)").
 */
json_t *results_read(const char *path, char *err, size_t errlen);

/* Print the human summary of one results document to f. */
void results_print_summary(FILE *f, const json_t *results);

#endif
