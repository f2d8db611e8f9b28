/*
 * tool_read.c - the Read tool: a file's lines, numbered like `cat -n`.
 *
 * Design note
 * -----------
 * Input {file_path, offset?, limit?}: offset is a 1-based line number,
 * limit a line count (default 2000). The file is streamed in 64 KiB
 * chunks, never loaded whole, and reading stops after the last requested
 * line, so a huge log costs only what is shown. Each line is printed as a
 * right-aligned 6-wide number, a tab and the line; a line longer than
 * 2000 characters is cut and marked. A NUL byte in the first 8 KiB makes
 * the file binary: refused, since it is no use to the model as text. When
 * the output cap is reached the output is cut back to the last whole line
 * and the marker says which offset continues.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/io.h"
#include "worker/tool.h"
#include "worker/tool_common.h"

#define READ_LIMIT_DEFAULT 2000
#define READ_LINE_CHARS 2000
#define READ_CHUNK 65536

struct reader {
	struct tool_buf b;
	uint64_t line;    /* 1-based number of the current line */
	uint64_t first;   /* first line to show */
	uint64_t last;    /* last line to show */
	uint64_t chars;   /* characters of the current line so far */
	bool started;     /* current line's number was printed */
	bool partial;     /* bytes seen since the last newline */
	bool done;        /* the last line to show has ended */
	uint64_t whole;   /* last line that fit whole under the cap */
	size_t whole_len; /* b.len after that line */
};

/* Characters (UTF-8 lead bytes) in p[0..n). */
static size_t
count_chars(const char *p, size_t n)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)p[i] & 0xc0) != 0x80)
			c++;
	return c;
}

/* Bytes of p[0..n) holding its first max characters. */
static size_t
bytes_for_chars(const char *p, size_t n, uint64_t max)
{
	size_t i;
	uint64_t c = 0;

	for (i = 0; i < n; i++) {
		if (((unsigned char)p[i] & 0xc0) != 0x80 && c++ == max)
			return i;
	}
	return n;
}

/* Print a piece of the current line (the line is in the shown range). */
static int
emit(struct reader *r, const char *p, size_t n)
{
	uint64_t room;
	size_t take;
	int rc;

	if (!r->started) {
		rc = tool_buf_printf(&r->b, "%6" PRIu64 "\t", r->line);
		if (rc < 0)
			return rc;
		r->started = true;
	}
	room = r->chars < READ_LINE_CHARS ? READ_LINE_CHARS - r->chars : 0;
	take = bytes_for_chars(p, n, room);
	r->chars += count_chars(p, n);
	return tool_buf_append(&r->b, p, take);
}

/* End the current line. */
static int
end_line(struct reader *r)
{
	int rc = 0;

	if (r->started) {
		if (r->chars > READ_LINE_CHARS)
			rc = tool_buf_printf(&r->b,
					     " [... line cut at %d of %" PRIu64
					     " characters]",
					     READ_LINE_CHARS, r->chars);
		if (rc == 0)
			rc = tool_buf_append(&r->b, "\n", 1);
		if (rc == 0 && !tool_buf_full(&r->b)) {
			r->whole = r->line;
			r->whole_len = r->b.len;
		}
	}
	if (r->line >= r->last)
		r->done = true;
	r->line++;
	r->chars = 0;
	r->started = false;
	r->partial = false;
	return rc;
}

/* Feed data[0..n); returns the bytes consumed (all unless done). */
static int
feed(struct reader *r, const char *data, size_t n, size_t *used)
{
	const char *p = data, *end = data + n, *nl;
	int rc = 0;

	while (p < end && !r->done && rc == 0) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (r->line >= r->first)
			rc = emit(r, p, (size_t)((nl ? nl : end) - p));
		if (nl == NULL) {
			r->partial = true;
			p = end;
		} else {
			p = nl + 1;
			if (rc == 0)
				rc = end_line(r);
		}
	}
	*used = (size_t)(p - data);
	return rc;
}

/* Stream fd through the reader; *more says lines follow the range. */
static int
stream(struct reader *r, int fd, char *chunk, ssize_t n, bool *more)
{
	size_t used = 0;
	int rc = 0;

	*more = false;
	while (n > 0) {
		rc = feed(r, chunk, (size_t)n, &used);
		if (rc < 0)
			return rc;
		if (r->done) {
			*more = used < (size_t)n ||
				io_read_all(fd, chunk, 1) > 0;
			return 0;
		}
		n = io_read_all(fd, chunk, READ_CHUNK);
	}
	if (n < 0)
		return (int)n;
	if (r->partial || r->started)
		rc = end_line(r);
	return rc;
}

/* Build the reply once the range has been streamed. */
static int
finish(struct reader *r, const char *path, bool more, struct tool_out *out)
{
	char hint[128], tail[160] = "";
	uint64_t lines = r->line - 1;

	if (r->first > lines && !r->done) {
		tool_buf_free(&r->b);
		return tool_ok(out,
			       "%s has %" PRIu64 " lines; offset %" PRIu64
			       " is past the end of the file",
			       path, lines, r->first);
	}
	if (r->whole >= r->first)
		snprintf(hint, sizeof(hint),
			 "read the rest with offset=%" PRIu64, r->whole + 1);
	else
		snprintf(hint, sizeof(hint),
			 "the line is longer than the "
			 "output limit; use Bash (cut, head -c) to see parts");
	if (r->b.truncated && r->whole_len > 0) {
		/* Cut back to the last whole line; total stays counted. */
		r->b.len = r->whole_len;
		r->b.data[r->b.len] = '\0';
	}
	if (more && !r->b.truncated)
		snprintf(tail, sizeof(tail),
			 "[showing lines %" PRIu64 "-%" PRIu64
			 "; the file continues: read more with "
			 "offset=%" PRIu64 "]\n",
			 r->first, r->last, r->last + 1);
	return tool_buf_finish(&r->b, false, hint, tail, out);
}

/* Parse the input; 0, or 1 with a tool error in *out. */
static int
parse(const json_t *input, const char **path, uint64_t *first, uint64_t *last,
      struct tool_out *out)
{
	uint64_t offset = 1, limit = READ_LIMIT_DEFAULT;
	bool has_limit;
	int rc;

	rc = tool_check_object(input, out);
	if (rc == 0)
		rc = tool_arg_text(input, "file_path", true, path, out);
	if (rc == 0)
		rc = tool_arg_uint(input, "offset", &offset, NULL, out);
	if (rc == 0)
		rc = tool_arg_uint(input, "limit", &limit, &has_limit, out);
	if (rc != 0)
		return rc;
	if (has_limit && limit == 0)
		return tool_fail(out, "invalid input: \"limit\" must be at "
				      "least 1");
	if (offset == 0)
		offset = 1;
	*first = offset;
	*last = limit > UINT64_MAX - offset ? UINT64_MAX : offset + limit - 1;
	return 0;
}

int
tool_read(const struct tool_ctx *ctx, const json_t *input, uint32_t timeout_ms,
	  struct tool_out *out)
{
	struct reader r;
	struct stat st;
	const char *path = NULL;
	char *chunk = NULL;
	ssize_t n;
	bool more = false;
	int fd = -1, rc;

	(void)timeout_ms;
	memset(&r, 0, sizeof(r));
	rc = parse(input, &path, &r.first, &r.last, out);
	if (rc == 0)
		rc = tool_open_regular(ctx, path, &fd, &st, out);
	if (rc != 0)
		return rc > 0 ? 0 : rc;
	chunk = malloc(READ_CHUNK);
	rc = -ENOMEM;
	if (chunk == NULL)
		goto out;
	n = io_read_all(fd, chunk, READ_CHUNK);
	if (n < 0) {
		rc = tool_fail(out, "%s: cannot read: %s", path,
			       strerror((int)-n));
	} else if (n == 0) {
		rc = tool_ok(out, "Note: %s exists but is empty", path);
	} else if (memchr(chunk, '\0',
			  (size_t)n < TOOL_BINARY_PROBE ?
				  (size_t)n :
				  TOOL_BINARY_PROBE) != NULL) {
		rc = tool_fail(out,
			       "%s looks like a binary file (it has NUL "
			       "bytes); Read shows text only, use Bash (for "
			       "example `file` or `xxd | head`) to inspect "
			       "it",
			       path);
	} else {
		r.line = 1;
		tool_buf_init(&r.b, tool_output_limit(ctx));
		rc = stream(&r, fd, chunk, n, &more);
		if (rc == 0) {
			rc = finish(&r, path, more, out);
		} else {
			tool_buf_free(&r.b);
			if (rc != -ENOMEM)
				rc = tool_fail(out, "%s: cannot read: %s", path,
					       strerror(-rc));
		}
	}
out:
	free(chunk);
	close(fd);
	return rc > 0 ? 0 : rc;
}
