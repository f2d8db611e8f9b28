/*
 * audit.c - hash-chained audit records; see audit.h for the format.
 */
#include "supervisor/agent/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/io.h"
#include "common/utf8.h"
#include "supervisor/core/evlog.h"
#include "supervisor/core/secret.h"
#include "supervisor/core/wfault.h"

#define ZERO_HASH \
	"0000000000000000000000000000000000000000000000000000000000000000"

struct audit {
	int fd;
	char *path;
	off_t size; /* bytes of whole records written */
	uint64_t seq;
	char head[65];
};

static void
sha256_hex(const char *s, size_t n, char out[65])
{
	unsigned char md[32];
	unsigned int len = 0;

	EVP_Digest(s, n, md, &len, EVP_sha256(), NULL);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

struct audit *
audit_open(const char *path)
{
	struct audit *a = calloc(1, sizeof(*a));
	int fd;

	if (!a)
		return NULL;
	a->path = strdup(path);
	fd = a->path ? io_open_private(path, O_EXCL) : -ENOMEM;
	if (fd < 0) {
		free(a->path);
		free(a);
		errno = -fd;
		return NULL;
	}
	a->fd = fd;
	return a;
}

/*
 * Append one line with write(2), not stdio: a failed stdio flush keeps the
 * bytes buffered and writes them with the next record, which would leave
 * a record the chain never had. A partial write is cut off again.
 */
static int
write_line(struct audit *a, const char *line)
{
	size_t n = strlen(line);
	int e = wfault_write(WFAULT_AUDIT);
	int rc = e ? -e : io_append_whole(a->fd, &a->size, line, n);

	if (rc < 0) {
		errno = -rc; /* the caller reports it */
		return -1;
	}
	return 0;
}

/* Hash of rec without its "hash" key; rec's canonical form is redacted
 * first, so what is hashed is exactly what is written. */
static char *
canonical(const json_t *rec)
{
	return secret_redact_json(rec, JSON_COMPACT | JSON_SORT_KEYS);
}

/* line + "\n", reallocated; NULL (line freed) on ENOMEM. */
static char *
append_newline(char *line)
{
	size_t n = strlen(line);
	char *p = realloc(line, n + 2);

	if (!p) {
		free(line);
		return NULL;
	}
	p[n] = '\n';
	p[n + 1] = 0;
	return p;
}

json_t *
audit_capped_input(const json_t *input)
{
	char *text = input ? json_dumps(input, JSON_COMPACT | JSON_ENCODE_ANY) :
			     NULL;
	char *clean;
	json_t *out;

	if (!text)
		return json_null();
	if (strlen(text) <= AUDIT_INPUT_MAX) {
		free(text);
		return json_deep_copy(input);
	}
	text[AUDIT_INPUT_MAX] = 0;
	clean = utf8_clean(text, strlen(text));
	out = json_pack("{s:s,s:b}", "prefix", clean ? clean : "", "truncated",
			1);
	free(clean);
	free(text);
	return out;
}

int
audit_append(struct audit *a, const json_t *rec)
{
	json_t *r = json_deep_copy(rec);
	char ts[32], *body, *line;
	int rc = -1;

	if (!r)
		return -1;
	evlog_timestamp(ts);
	json_object_set_new(r, "seq", json_integer((json_int_t)a->seq));
	json_object_set_new(r, "ts", json_string(ts));
	json_object_set_new(r, "prev",
			    json_string(a->seq ? a->head : ZERO_HASH));
	body = canonical(r);
	if (body) {
		/* parse back the redacted form so hash and line agree */
		json_t *red = json_loads(body, JSON_ALLOW_NUL, NULL);
		char h[65];

		sha256_hex(body, strlen(body), h);
		if (red) {
			json_object_set_new(red, "hash", json_string(h));
			line = json_dumps(red, JSON_COMPACT | JSON_SORT_KEYS);
			if (line)
				line = append_newline(line);
			if (line && strlen(line) > AUDIT_LINE_MAX)
				errno = EFBIG; /* no reader would take it */
			else if (line && write_line(a, line) == 0) {
				memcpy(a->head, h, sizeof(a->head));
				a->seq++;
				rc = 0;
			}
			free(line);
			json_decref(red);
		}
		free(body);
	}
	json_decref(r);
	return rc;
}

const char *
audit_head(const struct audit *a)
{
	return a->head;
}

uint64_t
audit_count(const struct audit *a)
{
	return a->seq;
}

const char *
audit_path(const struct audit *a)
{
	return a->path;
}

void
audit_close(struct audit *a)
{
	if (!a)
		return;
	(void)fsync(a->fd);
	close(a->fd);
	free(a->path);
	free(a);
}

/* Check one parsed record against the chain so far. */
static int
verify_record(json_t *r, uint64_t seq, const char *prev, char out[65],
	      char *why, size_t whylen)
{
	const char *h = json_string_value(json_object_get(r, "hash"));
	const char *p = json_string_value(json_object_get(r, "prev"));
	json_t *s = json_object_get(r, "seq");
	char hash[65], *body;

	if (!h || !p || !json_is_integer(s) || strlen(h) != 64) {
		snprintf(why, whylen, "record lacks seq, prev or hash");
		return -1;
	}
	memcpy(hash, h, sizeof(hash)); /* deleting the key frees h */
	if ((uint64_t)json_integer_value(s) != seq) {
		snprintf(why, whylen, "seq %lld, expected %llu",
			 (long long)json_integer_value(s),
			 (unsigned long long)seq);
		return -1;
	}
	if (strcmp(p, prev) != 0) {
		snprintf(why, whylen, "prev does not match the previous hash");
		return -1;
	}
	json_object_del(r, "hash");
	body = json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS);
	if (!body)
		return -1;
	sha256_hex(body, strlen(body), out);
	free(body);
	if (strcmp(out, hash) != 0) {
		snprintf(why, whylen, "hash does not match the record");
		return -1;
	}
	return 0;
}

long
audit_verify_file(const char *path, char head[65], uint64_t *count, char *why,
		  size_t whylen)
{
	return audit_read_file(path, NULL, NULL, head, count, why, whylen);
}

/*
 * An audit log to read: a regular file, opened without blocking first (a
 * FIFO in a run directory someone else made would wait for ever). NULL
 * with errno set.
 */
static FILE *
open_log(const char *path)
{
	struct stat st;
	FILE *f;
	int fd = io_open(path, O_RDONLY | O_NONBLOCK, 0);

	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return NULL;
	}
	f = fdopen(fd, "r");
	if (!f)
		close(fd);
	return f;
}

#define LINE_EOF (-1)
#define LINE_TOO_LONG (-2)
#define LINE_NO_MEMORY (-3)

/* A growing line buffer: at most AUDIT_LINE_MAX bytes. */
struct linebuf {
	char *p;
	size_t cap;
};

/*
 * The next line of f into b, its newline left out: its length, LINE_EOF
 * at the end of the file, LINE_TOO_LONG when the line is longer than a
 * record can be (the rest of it is not read), LINE_NO_MEMORY.
 */
static long
next_line(FILE *f, struct linebuf *b)
{
	size_t n = 0;
	int c;

	while ((c = getc_unlocked(f)) != EOF && c != '\n') {
		if (n == AUDIT_LINE_MAX - 1)
			return LINE_TOO_LONG; /* no room for its newline */
		if (n == b->cap) {
			size_t cap = b->cap ? 2 * b->cap : 4096;
			char *p;

			cap = cap < AUDIT_LINE_MAX ? cap : AUDIT_LINE_MAX;
			p = realloc(b->p, cap);
			if (!p)
				return LINE_NO_MEMORY;
			b->p = p;
			b->cap = cap;
		}
		b->p[n++] = (char)c;
	}
	if (c == EOF && n == 0)
		return LINE_EOF;
	return (long)n;
}

long
audit_read_file(const char *path, audit_record_fn fn, void *ctx, char head[65],
		uint64_t *count, char *why, size_t whylen)
{
	FILE *f = open_log(path);
	char prev[65] = ZERO_HASH, h[65];
	struct linebuf line = { NULL, 0 };
	long n, lineno = 0, bad = 0;

	if (!f) {
		snprintf(why, whylen, "%s: %s", path,
			 errno == EINVAL ? "not a regular file" :
					   strerror(errno));
		return -1;
	}
	*count = 0;
	while (!bad && (n = next_line(f, &line)) != LINE_EOF) {
		/* exactly one value, NUL bytes and all: nothing can hide
		 * after a NUL where a C string would end */
		json_t *r = n < 0 ? NULL :
				    json_loadb(n ? line.p : "", (size_t)n,
					       JSON_ALLOW_NUL, NULL);

		lineno++;
		if (n == LINE_NO_MEMORY) {
			snprintf(why, whylen, "%s: %s", path, strerror(ENOMEM));
			bad = -1;
		} else if (n == LINE_TOO_LONG) {
			snprintf(why, whylen,
				 "record longer than %zu bytes (no record "
				 "gao-dev writes is)",
				 AUDIT_LINE_MAX);
			bad = lineno;
		} else if (!json_is_object(r)) {
			snprintf(why, whylen, "not a JSON object");
			bad = lineno;
		} else if (verify_record(r, *count, prev, h, why, whylen) < 0) {
			bad = lineno;
		} else {
			memcpy(prev, h, sizeof(prev));
			(*count)++;
			if (fn)
				fn(r, lineno, ctx);
		}
		json_decref(r);
	}
	free(line.p);
	fclose(f);
	memcpy(head, *count ? prev : "", *count ? 65 : 1);
	return bad;
}
