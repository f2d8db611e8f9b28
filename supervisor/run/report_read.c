/*
 * report_read.c - the report's bounded reads. See report_read.h.
 */
#include "supervisor/run/report_read.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/io.h"
#include "common/pathbuf.h"
#include "supervisor/agent/audit.h"
#include "supervisor/run/report.h"

/*
 * Read at most REPORT_FILE_MAX bytes of the regular file at path, into a
 * buffer of the file's size (not of the cap: a report reads many small
 * files); bytes the file gained since its fstat are left out.
 */
static char *
slurp(const char *path, size_t *len, bool *cut)
{
	struct stat st;
	char *buf = NULL;
	size_t want;
	ssize_t n;
	int fd = io_open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, 0);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < 0)
		goto out;
	want = st.st_size > (off_t)REPORT_FILE_MAX ? REPORT_FILE_MAX :
						     (size_t)st.st_size;
	buf = malloc(want + 1);
	if (!buf)
		goto out;
	n = io_read_all(fd, buf, want);
	if (n < 0) {
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[n] = 0;
	*len = (size_t)n;
	*cut = st.st_size > (off_t)REPORT_FILE_MAX;
out:
	close(fd);
	return buf;
}

char *
report_read_text(const char *path, size_t *len, bool *cut)
{
	*len = 0;
	*cut = false;
	return slurp(path, len, cut);
}

int
report_read_lines(const char *path, struct report_lines *out)
{
	size_t len = 0;
	char *buf, *p, *end;

	memset(out, 0, sizeof(*out));
	out->items = json_array();
	if (!out->items)
		return -ENOMEM;
	buf = slurp(path, &len, &out->cut);
	if (!buf) {
		out->missing = true;
		return 0;
	}
	for (p = buf, end = buf + len; p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		json_t *v;

		if (n > 0) {
			v = json_loadb(p, n,
				       JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
				       NULL);
			if (json_is_object(v))
				json_array_append_new(out->items, v);
			else {
				json_decref(v);
				out->bad++;
			}
		}
		p += n + 1;
	}
	free(buf);
	return 0;
}

bool
report_agent_file(const char *run_dir, const json_t *phase, const char *key,
		  char *buf, size_t cap)
{
	const char *v = json_string_value(json_object_get(phase, key));
	const char *base;

	if (!v)
		return false;
	base = strrchr(v, '/');
	base = base ? base + 1 : v;
	if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return false;
	return pathbuf_fmt(buf, cap, "%s/agents/%s", run_dir, base) == 0;
}

/* One phase's log: its entry in the list; false when it did not verify. */
static bool
check_one(const json_t *phase, const char *run_dir, json_t *list)
{
	char path[4096], head[65] = "", why[256] = "";
	const char *want = json_string_value(
		json_object_get(phase, "audit_head"));
	uint64_t n = 0;
	long bad = -1;
	bool ok;

	if (report_agent_file(run_dir, phase, "audit_log", path, sizeof(path)))
		bad = audit_verify_file(path, head, &n, why, sizeof(why));
	else
		snprintf(why, sizeof(why), "no audit_log in the results");
	if (bad == 0 && want && *want && strcmp(want, head) != 0)
		snprintf(why, sizeof(why),
			 "the log's head is not the results' audit_head (a "
			 "record added, removed or cut at the end)");
	ok = bad == 0 && !why[0];
	if (bad > 0) {
		char tmp[256];

		snprintf(tmp, sizeof(tmp), "broken at record %ld: %s", bad,
			 why);
		memcpy(why, tmp, sizeof(why));
	}
	json_array_append_new(
		list, json_pack("{s:O?,s:s,s:b,s:I,s:s,s:s}", "phase",
				json_object_get(phase, "name"), "file",
				json_string_value(
					json_object_get(phase, "audit_log")) ?
					path :
					"",
				"ok", ok, "records", (json_int_t)n, "head",
				head, "problem", why));
	return ok;
}

json_t *
report_audit_check(const json_t *results, const char *run_dir, bool *all_ok)
{
	json_t *list = json_array(), *phase;
	size_t i;

	*all_ok = true;
	if (!list)
		return NULL;
	json_array_foreach(json_object_get(results, "phases"), i, phase) {
		/* an agent phase that ran has a log; a command phase none */
		if (!json_object_get(phase, "audit_log") &&
		    !json_object_get(phase, "audit_head"))
			continue;
		if (!check_one(phase, run_dir, list))
			*all_ok = false;
	}
	return list;
}
