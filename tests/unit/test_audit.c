/*
 * test_audit.c - unit tests of the hash-chained audit log (audit.h).
 *
 * Design note
 * -----------
 * Each test writes a real log with audit_open/audit_append in a temp
 * directory, then verifies it with audit_verify_file, the same code
 * `gao-dev audit verify` runs. Tampering is done on the file's lines the
 * way an attacker with write access would: edit a field, drop a line,
 * swap two lines, cut the file, even recompute a record's own hash; each
 * must be caught at the right line, and a log cut at a record boundary
 * must show as a different head and count than the ones the writer had.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <openssl/evp.h>

#include "supervisor/agent/audit.h"
#include "supervisor/core/secret.h"

#define N 6
#define MAXL 16

static char dir[] = "/tmp/audit-test-XXXXXX";
static char path[256];
static char head[65]; /* the writer's head after N records */

static void
setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/00-impl-amelia.audit.jsonl", dir);
}

static void
teardown(void)
{
	unlink(path);
	rmdir(dir);
}

TestSuite(audit, .init = setup, .fini = teardown);

static json_t *
record(int i)
{
	return json_pack("{s:s, s:s, s:s, s:{s:s, s:i}, s:s, s:b, s:i, s:f}",
			 "agent", "Amelia", "tool", i % 2 ? "Bash" : "Read",
			 "tool_use_id", "toolu_01", "input", "file_path",
			 "src/main.py", "n", i, "outcome", "allowed",
			 "is_error", i == 3, "exit_code", 0, "duration_ms",
			 1.25 * i);
}

/* Write N records with a fresh writer; remember its head. */
static void
write_log(void)
{
	struct audit *a = audit_open(path);

	cr_assert_not_null(a, "%s", strerror(errno));
	cr_assert_str_eq(audit_head(a), "");
	cr_assert_eq(audit_count(a), 0);
	for (int i = 0; i < N; i++) {
		json_t *r = record(i);

		cr_assert_eq(audit_append(a, r), 0);
		json_decref(r);
	}
	cr_assert_eq(audit_count(a), N);
	cr_assert_eq(strlen(audit_head(a)), 64);
	memcpy(head, audit_head(a), sizeof(head));
	audit_close(a);
}

struct lines {
	char *l[MAXL];
	size_t n;
};

static void
read_lines(struct lines *ls)
{
	FILE *f = fopen(path, "re");
	size_t cap = 0;
	char *line = NULL;

	cr_assert_not_null(f);
	memset(ls, 0, sizeof(*ls));
	while (getline(&line, &cap, f) > 0) {
		cr_assert_lt(ls->n, MAXL);
		ls->l[ls->n++] = strdup(line);
	}
	free(line);
	fclose(f);
}

static void
write_lines(struct lines *ls)
{
	FILE *f = fopen(path, "we");

	cr_assert_not_null(f);
	for (size_t i = 0; i < ls->n; i++)
		fputs(ls->l[i], f);
	fclose(f);
	for (size_t i = 0; i < ls->n; i++)
		free(ls->l[i]);
}

static long
verify(char *why, size_t whylen, uint64_t *count, char h[65])
{
	return audit_verify_file(path, h, count, why, whylen);
}

Test(audit, chain_verifies)
{
	char why[256] = "", h[65];
	uint64_t count = 99;
	struct lines ls;

	write_log();
	cr_assert_eq(verify(why, sizeof(why), &count, h), 0, "%s", why);
	cr_assert_eq(count, N);
	cr_assert_str_eq(h, head);
	/* the format: seq from 0, prev chaining, the last hash the head */
	read_lines(&ls);
	cr_assert_eq(ls.n, N);
	for (size_t i = 0; i < ls.n; i++) {
		json_t *r = json_loads(ls.l[i], 0, NULL);

		cr_assert_not_null(r);
		cr_assert_eq(json_integer_value(json_object_get(r, "seq")),
			     (json_int_t)i);
		cr_assert(json_is_string(json_object_get(r, "ts")));
		cr_assert_str_eq(json_string_value(json_object_get(
					 json_object_get(r, "input"),
					 "file_path")),
				 "src/main.py");
		if (i == 0)
			cr_assert_str_eq(json_string_value(
						 json_object_get(r, "prev")),
					 "0000000000000000000000000000000"
					 "000000000000000000000000000000000");
		if (i == N - 1)
			cr_assert_str_eq(json_string_value(
						 json_object_get(r, "hash")),
					 head);
		json_decref(r);
	}
	write_lines(&ls);
}

Test(audit, file_mode_and_no_overwrite)
{
	struct stat st;

	write_log();
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	/* an existing log is never reopened or truncated */
	cr_assert_null(audit_open(path));
	cr_assert_eq(errno, EEXIST);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_gt(st.st_size, 0);
}

Test(audit, hash_is_sha256_of_sorted_compact_record)
{
	struct lines ls;
	json_t *r;
	char *body, hex[65];
	unsigned char md[32];
	unsigned int n;

	write_log();
	read_lines(&ls);
	r = json_loads(ls.l[2], 0, NULL);
	cr_assert_not_null(r);
	json_object_del(r, "hash");
	body = json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS);
	EVP_Digest(body, strlen(body), md, &n, EVP_sha256(), NULL);
	for (unsigned i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	json_decref(r);
	r = json_loads(ls.l[2], 0, NULL);
	cr_assert_str_eq(json_string_value(json_object_get(r, "hash")), hex);
	json_decref(r);
	free(body);
	write_lines(&ls);
}

Test(audit, edited_field_detected)
{
	struct lines ls;
	char why[256], h[65], *p;
	uint64_t count;

	write_log();
	read_lines(&ls);
	p = strstr(ls.l[3], "src/main.py");
	cr_assert_not_null(p);
	/* NOLINTNEXTLINE(bugprone-not-null-terminated-result): in place */
	memcpy(p, "src/evil.py", 11);
	write_lines(&ls);
	cr_assert_eq(verify(why, sizeof(why), &count, h), 4);
	cr_assert_str_eq(why, "hash does not match the record");
}

Test(audit, rehashed_record_detected_at_the_next)
{
	/* an attacker edits record 1 and recomputes its own hash: the
	 * next record's prev no longer matches */
	struct lines ls;
	char why[256], h[65], *body, hex[65];
	unsigned char md[32];
	unsigned int n;
	uint64_t count;
	json_t *r;

	write_log();
	read_lines(&ls);
	r = json_loads(ls.l[1], 0, NULL);
	json_object_set_new(r, "outcome", json_string("denied"));
	json_object_del(r, "hash");
	body = json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS);
	EVP_Digest(body, strlen(body), md, &n, EVP_sha256(), NULL);
	for (unsigned i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	json_object_set_new(r, "hash", json_string(hex));
	free(body);
	free(ls.l[1]);
	body = json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS);
	cr_assert_eq(asprintf(&ls.l[1], "%s\n", body) > 0, 1);
	free(body);
	json_decref(r);
	write_lines(&ls);
	cr_assert_eq(verify(why, sizeof(why), &count, h), 3);
	cr_assert_str_eq(why, "prev does not match the previous hash");
}

Test(audit, deleted_line_detected)
{
	struct lines ls;
	char why[256], h[65];
	uint64_t count;

	write_log();
	read_lines(&ls);
	free(ls.l[2]);
	memmove(&ls.l[2], &ls.l[3], (ls.n - 3) * sizeof(*ls.l));
	ls.n--;
	write_lines(&ls);
	cr_assert_eq(verify(why, sizeof(why), &count, h), 3);
	cr_assert_str_eq(why, "seq 3, expected 2");
}

Test(audit, deleted_first_line_detected)
{
	struct lines ls;
	char why[256], h[65];
	uint64_t count;

	write_log();
	read_lines(&ls);
	free(ls.l[0]);
	memmove(&ls.l[0], &ls.l[1], (ls.n - 1) * sizeof(*ls.l));
	ls.n--;
	write_lines(&ls);
	cr_assert_eq(verify(why, sizeof(why), &count, h), 1);
	cr_assert_str_eq(why, "seq 1, expected 0");
}

Test(audit, reordered_lines_detected)
{
	struct lines ls;
	char why[256], h[65], *t;
	uint64_t count;

	write_log();
	read_lines(&ls);
	t = ls.l[4];
	ls.l[4] = ls.l[5];
	ls.l[5] = t;
	write_lines(&ls);
	cr_assert_eq(verify(why, sizeof(why), &count, h), 5);
	cr_assert_str_eq(why, "seq 5, expected 4");
}

Test(audit, truncation_detected)
{
	struct lines ls;
	char why[256] = "", h[65];
	uint64_t count;
	size_t keep;

	write_log();
	read_lines(&ls);
	/* cut in the middle of the last record */
	keep = strlen(ls.l[N - 1]) / 2;
	ls.l[N - 1][keep] = 0;
	write_lines(&ls);
	cr_assert_eq(verify(why, sizeof(why), &count, h), N);
	cr_assert_str_eq(why, "not a JSON object");
	/* cut at a record boundary: the chain is fine, but the head and
	 * count differ from what the writer recorded (in the results) */
	read_lines(&ls);
	free(ls.l[--ls.n]);
	free(ls.l[--ls.n]);
	write_lines(&ls);
	cr_assert_eq(verify(why, sizeof(why), &count, h), 0, "%s", why);
	cr_assert_eq(count, N - 2);
	cr_assert_str_neq(h, head);
}

Test(audit, missing_fields_and_garbage)
{
	struct lines ls;
	char why[256], h[65];
	uint64_t count;

	write_log();
	read_lines(&ls);
	free(ls.l[1]);
	ls.l[1] = strdup("{\"seq\": 1}\n");
	write_lines(&ls);
	cr_assert_eq(verify(why, sizeof(why), &count, h), 2);
	cr_assert_str_eq(why, "record lacks seq, prev or hash");
	read_lines(&ls);
	free(ls.l[0]);
	ls.l[0] = strdup("\n");
	write_lines(&ls);
	cr_assert_eq(verify(why, sizeof(why), &count, h), 1);
	cr_assert_str_eq(why, "not a JSON object");
}

Test(audit, empty_and_missing_files)
{
	char why[256], h[65] = "x";
	uint64_t count = 7;
	struct audit *a = audit_open(path);

	cr_assert_not_null(a);
	audit_close(a);
	cr_assert_eq(verify(why, sizeof(why), &count, h), 0);
	cr_assert_eq(count, 0);
	cr_assert_str_eq(h, "");
	unlink(path);
	cr_assert_eq(verify(why, sizeof(why), &count, h), -1);
	cr_assert_neq(strstr(why, "No such file or directory"), NULL);
	/* a FIFO (a run directory made by someone else): refused at once,
	 * never waited on */
	cr_assert_eq(mkfifo(path, 0600), 0);
	cr_assert_eq(verify(why, sizeof(why), &count, h), -1);
	cr_assert_neq(strstr(why, "not a regular file"), NULL, "%s", why);
	unlink(path);
	audit_close(NULL);
}

Test(audit, key_in_input_is_redacted_and_chain_holds)
{
	struct secret *s;
	struct audit *a;
	json_t *r;
	char why[256], h[65], *text;
	uint64_t count;
	struct lines ls;

	cr_assert_eq(secret_from_string("AUDIT-key-9f8e7d", &s), 0);
	a = audit_open(path);
	cr_assert_not_null(a);
	r = json_pack("{s:s, s:{s:s}}", "tool", "Bash", "input", "command",
		      "curl -H 'x-api-key: AUDIT-key-9f8e7d' sk-ant-abc");
	cr_assert_eq(audit_append(a, r), 0);
	json_decref(r);
	r = json_pack("{s:s}", "tool", "Read");
	cr_assert_eq(audit_append(a, r), 0);
	json_decref(r);
	memcpy(head, audit_head(a), sizeof(head));
	audit_close(a);
	read_lines(&ls);
	text = ls.l[0];
	cr_assert_null(strstr(text, "AUDIT-key-9f8e7d"));
	cr_assert_null(strstr(text, "sk-ant-abc"));
	cr_assert_neq(strstr(text, "x-api-key: [REDACTED]' [REDACTED]"), NULL,
		      "%s", text);
	write_lines(&ls);
	cr_assert_eq(verify(why, sizeof(why), &count, h), 0, "%s", why);
	cr_assert_eq(count, 2);
	cr_assert_str_eq(h, head);
	secret_free(s);
}

Test(audit, failed_write_keeps_chain)
{
	/* a write that fails (a full disk; here a file size limit) fails
	 * the append and leaves both the file and the chain as they were,
	 * so the next append, once there is room, still chains */
	struct audit *a = audit_open(path);
	struct rlimit rl, old;
	char why[256], h[65], before[65];
	uint64_t count;
	struct stat st;
	json_t *r = record(1), *big;

	cr_assert_not_null(a);
	cr_assert_eq(audit_append(a, r), 0);
	memcpy(before, audit_head(a), sizeof(before));
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_neq(signal(SIGXFSZ, SIG_IGN), SIG_ERR);
	cr_assert_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
	rl = old;
	rl.rlim_cur = (rlim_t)st.st_size + 10;
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	big = record(2);
	cr_assert_eq(audit_append(a, big), -1);
	cr_assert_eq(audit_count(a), 1);
	cr_assert_str_eq(audit_head(a), before);
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
	cr_assert_eq(audit_append(a, big), 0);
	cr_assert_eq(audit_count(a), 2);
	memcpy(head, audit_head(a), sizeof(head));
	audit_close(a);
	cr_assert_eq(verify(why, sizeof(why), &count, h), 0, "%s", why);
	cr_assert_eq(count, 2);
	cr_assert_str_eq(h, head);
	json_decref(r);
	json_decref(big);
}

/* The log's whole text, its length in *len. */
static char *
slurp(size_t *len)
{
	FILE *f = fopen(path, "re");
	char *buf = malloc(2 * AUDIT_LINE_MAX);

	cr_assert_not_null(f);
	cr_assert_not_null(buf);
	*len = fread(buf, 1, 2 * AUDIT_LINE_MAX, f);
	fclose(f);
	return buf;
}

Test(audit, bytes_after_a_nul_detected)
{
	/* what follows a NUL inside a line is part of the record: a
	 * reader that stopped at the NUL would let it hide there */
	char why[256], h[65], *text, *nl;
	uint64_t count;
	size_t len;
	FILE *f;

	write_log();
	text = slurp(&len);
	nl = memchr(text, '\n', len); /* the end of record 1 */
	cr_assert_not_null(nl);
	f = fopen(path, "we");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(text, 1, (size_t)(nl - text), f),
		     (size_t)(nl - text));
	cr_assert_eq(fwrite("\0hidden", 1, 7, f), 7);
	cr_assert_eq(fwrite(nl, 1, len - (size_t)(nl - text), f),
		     len - (size_t)(nl - text));
	cr_assert_eq(fclose(f), 0);
	free(text);
	cr_assert_eq(verify(why, sizeof(why), &count, h), 1);
	cr_assert_str_eq(why, "not a JSON object");
}

Test(audit, endless_line_is_a_broken_record)
{
	/* a line longer than any record is broken at that line; the
	 * reader holds at most AUDIT_LINE_MAX of it */
	char why[256], h[65];
	uint64_t count;
	FILE *f;

	write_log();
	f = fopen(path, "ae");
	cr_assert_not_null(f);
	for (size_t i = 0; i < 3 * AUDIT_LINE_MAX; i++)
		putc('{', f);
	fclose(f);
	cr_assert_eq(verify(why, sizeof(why), &count, h), N + 1);
	cr_assert_str_eq(why, "record longer than 1048576 bytes (no record "
			      "gao-dev writes is)");
	cr_assert_eq(count, N);
	cr_assert_str_eq(h, head);
}

/* A record whose "pad" is n bytes. */
static json_t *
padded(size_t n)
{
	char *pad = malloc(n + 1);
	json_t *r;

	cr_assert_not_null(pad);
	memset(pad, 'p', n);
	pad[n] = 0;
	r = json_pack("{s:s,s:s}", "tool", "Read", "pad", pad);
	free(pad);
	return r;
}

Test(audit, longest_record_written_and_read_one_more_refused)
{
	/* the writer and the readers agree on the longest line: a record
	 * of exactly AUDIT_LINE_MAX bytes is written and verifies, one a
	 * byte longer is refused (EFBIG) and the chain stays as it was */
	struct audit *a = audit_open(path);
	char why[256], h[65], before[65];
	uint64_t count;
	struct stat st;
	size_t base, len;
	json_t *r = padded(0);

	cr_assert_not_null(a);
	cr_assert_eq(audit_append(a, r), 0);
	json_decref(r);
	cr_assert_eq(stat(path, &st), 0);
	base = (size_t)st.st_size; /* a record with an empty pad */
	r = padded(AUDIT_LINE_MAX - base);
	cr_assert_eq(audit_append(a, r), 0, "%s", strerror(errno));
	json_decref(r);
	cr_assert_eq(stat(path, &st), 0);
	len = (size_t)st.st_size - base;
	cr_assert_eq(len, AUDIT_LINE_MAX, "the second line has %zu bytes", len);
	memcpy(before, audit_head(a), sizeof(before));
	r = padded(AUDIT_LINE_MAX - base + 1);
	errno = 0;
	cr_assert_eq(audit_append(a, r), -1);
	cr_assert_eq(errno, EFBIG);
	json_decref(r);
	cr_assert_eq(audit_count(a), 2);
	cr_assert_str_eq(audit_head(a), before);
	audit_close(a);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq((size_t)st.st_size, base + AUDIT_LINE_MAX);
	cr_assert_eq(verify(why, sizeof(why), &count, h), 0, "%s", why);
	cr_assert_eq(count, 2);
	cr_assert_str_eq(h, before);
}

Test(audit, capped_input)
{
	/* up to AUDIT_INPUT_MAX bytes of compact JSON: kept as it is;
	 * beyond: its first AUDIT_INPUT_MAX bytes, marked truncated */
	char cmd[2 * AUDIT_INPUT_MAX];
	json_t *in, *out;
	size_t fit = AUDIT_INPUT_MAX - strlen("{\"command\":\"\"}");

	memset(cmd, 'c', sizeof(cmd));
	cmd[fit] = 0;
	in = json_pack("{s:s}", "command", cmd);
	out = audit_capped_input(in);
	cr_assert(json_equal(in, out));
	json_decref(in);
	json_decref(out);
	cmd[fit] = 'c';
	cmd[fit + 1] = 0;
	in = json_pack("{s:s}", "command", cmd);
	out = audit_capped_input(in);
	cr_assert(json_is_true(json_object_get(out, "truncated")));
	cr_assert_eq(strlen(json_string_value(json_object_get(out, "prefix"))),
		     AUDIT_INPUT_MAX);
	cr_assert_eq(strncmp(json_string_value(json_object_get(out, "prefix")),
			     "{\"command\":\"ccc", 15),
		     0);
	json_decref(in);
	json_decref(out);
	out = audit_capped_input(NULL);
	cr_assert(json_is_null(out));
	json_decref(out);
}
