/*
 * fuzz_audit.c - libFuzzer harness for the audit log reader
 * (supervisor/agent/audit.c: audit_read_file).
 *
 * `gao-dev audit verify` and `audit show` read audit logs from run
 * directories an auditor was handed: a CI artifact, another person's
 * sandbox root. Every byte of such a log is hostile. The input becomes
 * the log file; it is read with a record callback (as `audit show` does)
 * and verified (as `audit verify` does).
 *
 * Checked, beyond no crash, leak or sanitizer report: the file is read
 * (never -1: it is a regular file); the records that chain are the
 * first lines of the file, given to the callback in order, one a line,
 * and they are as many as the count; the head is "" with no record and
 * 64 lowercase hex digits otherwise; a broken record is the line after
 * the last one that chained, with a reason; verifying gives the same
 * answer as reading.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/agent/audit.h"
#include "tests/fuzz/fuzz_input_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	long records; /* callbacks so far */
	size_t bytes; /* of the records, serialised (as audit show prints) */
};

static void
on_record(const json_t *rec, long line, void *ctx)
{
	struct seen *s = ctx;
	char *text = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);

	if (line != s->records + 1 || !json_is_object(rec) ||
	    json_object_get(rec, "hash"))
		abort(); /* out of order, or not the record as documented */
	s->records++;
	if (text)
		s->bytes += strlen(text);
	free(text);
}

static int
is_head(const char *h)
{
	if (strlen(h) != 64)
		return 0;
	for (int i = 0; i < 64; i++)
		if (!strchr("0123456789abcdef", h[i]))
			return 0;
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[512], head[65], head2[65], why[512] = "", why2[512] = "";
	uint64_t count = 0, count2 = 0;
	struct seen s = { 0, 0 };
	long bad, bad2;

	fuzz_input_write("00-p-a.audit.jsonl", data, size, path, sizeof(path));
	bad = audit_read_file(path, on_record, &s, head, &count, why,
			      sizeof(why));
	if (bad < 0 || (uint64_t)s.records != count)
		abort();
	if (count == 0 ? head[0] != '\0' : !is_head(head))
		abort();
	if (bad > 0 && ((uint64_t)bad != count + 1 || why[0] == '\0'))
		abort();
	bad2 = audit_verify_file(path, head2, &count2, why2, sizeof(why2));
	if (bad2 != bad || count2 != count || strcmp(head, head2) != 0 ||
	    strcmp(why, why2) != 0)
		abort();
	return 0;
}
