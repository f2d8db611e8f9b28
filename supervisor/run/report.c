/*
 * report.c - gao-dev report: find the run's files, write the page. See
 * report.h.
 */
#include "supervisor/run/report.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/io.h"
#include "common/pathbuf.h"
#include "supervisor/config/cli.h"
#include "supervisor/out/results.h"
#include "supervisor/run/report_read.h"

/* A run id names a directory: no slash, not . or .., not empty. */
static bool
run_id_ok(const char *id)
{
	return id && *id && !strchr(id, '/') && strcmp(id, ".") != 0 &&
	       strcmp(id, "..") != 0 && strlen(id) < 256;
}

/*
 * The run directory and results file of in: a directory runs/<id> gives
 * ../../results/<id>.json; a file results/<id>.json gives ../runs/<id>.
 */
static int
locate(const char *in, char *run_dir, char *results, size_t cap, char *err,
       size_t errlen)
{
	char copy[4096], copy2[4096];
	struct stat st;
	const char *id, *parent;

	if (stat(in, &st) < 0) {
		snprintf(err, errlen,
			 "%s: %s; give a run directory "
			 "(SANDBOX_ROOT/runs/<run_id>) or a results file",
			 in, strerror(errno));
		return -1;
	}
	if (pathbuf_fmt(copy, sizeof(copy), "%s", in) < 0 ||
	    pathbuf_fmt(copy2, sizeof(copy2), "%s", in) < 0) {
		snprintf(err, errlen, "%s: path too long", in);
		return -1;
	}
	id = basename(copy);
	parent = dirname(copy2);
	if (S_ISDIR(st.st_mode)) {
		if (!run_id_ok(id) || pathbuf_fmt(run_dir, cap, "%s", in) < 0 ||
		    pathbuf_fmt(results, cap, "%s/../results/%s.json", parent,
				id) < 0) {
			snprintf(err, errlen, "%s: not a run directory", in);
			return -1;
		}
		return 0;
	}
	if (pathbuf_fmt(results, cap, "%s", in) < 0) {
		snprintf(err, errlen, "%s: path too long", in);
		return -1;
	}
	run_dir[0] = 0; /* from the run id, once the file is read */
	(void)parent;
	return 0;
}

static int
write_page(const json_t *res, const char *run_dir, const char *out, char *err,
	   size_t errlen)
{
	char *page = report_html(res, run_dir);
	int rc;

	if (!page) {
		snprintf(err, errlen, "out of memory writing the report");
		return -ENOMEM;
	}
	rc = io_write_file_atomic(out, page, strlen(page));
	if (rc < 0)
		snprintf(err, errlen, "cannot write %s: %s", out,
			 strerror(-rc));
	free(page);
	return rc;
}

int
report_write(const char *in, const char *out, char *err, size_t errlen)
{
	char run_dir[4096], results[4096], def[4096], copy[4096];
	const char *id;
	json_t *res;
	int rc = EXIT_USAGE;

	if (locate(in, run_dir, results, sizeof(run_dir), err, errlen) < 0)
		return EXIT_USAGE;
	res = results_read(results, err, errlen);
	if (!res) {
		/* say what the command takes */
		size_t used = strlen(err);

		snprintf(err + used, errlen - used,
			 "; give a run directory or a results file");
		return EXIT_USAGE;
	}
	id = json_string_value(json_object_get(res, "run_id"));
	if (!run_id_ok(id)) {
		snprintf(err, errlen, "%s: run_id: missing or not a run id",
			 results);
		goto out;
	}
	if (!run_dir[0]) {
		snprintf(copy, sizeof(copy), "%s", results);
		if (pathbuf_fmt(run_dir, sizeof(run_dir), "%s/../runs/%s",
				dirname(copy), id) < 0) {
			snprintf(err, errlen, "%s: path too long", results);
			goto out;
		}
	}
	if (!out) {
		if (pathbuf_fmt(def, sizeof(def), "%s/report.html", run_dir) <
		    0) {
			snprintf(err, errlen, "%s: path too long", run_dir);
			goto out;
		}
		out = def;
	}
	rc = write_page(res, run_dir, out, err, errlen) < 0 ? EXIT_INFRA :
							      EXIT_OK;
out:
	json_decref(res);
	return rc;
}

int
report_write_run(const json_t *results, const char *run_dir, char *err,
		 size_t errlen)
{
	char out[4096];

	if (pathbuf_fmt(out, sizeof(out), "%s/report.html", run_dir) < 0) {
		snprintf(err, errlen, "%s: path too long", run_dir);
		return -ENAMETOOLONG;
	}
	return write_page(results, run_dir, out, err, errlen);
}
