/*
 * tool_common.c - helpers shared by the tools, and tool_lookup(): see
 * tool_common.h for the design note.
 *
 * Output is produced in a struct tool_buf that never holds more than the
 * cap (so a flood cannot exhaust memory) but counts everything, and it is
 * turned into UTF-8 only at the end, so a multi-byte character cut by the
 * cap or a binary byte becomes U+FFFD instead of breaking the JSON the
 * supervisor builds.
 */
#include "worker/tool_common.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/io.h"
#include "common/utf8.h"
#include "worker/pathres.h"

/* ---- output ---------------------------------------------------------- */

size_t
tool_output_limit(const struct tool_ctx *ctx)
{
	return ctx->output_max ? ctx->output_max : TOOL_OUTPUT_DEFAULT;
}

void
tool_buf_init(struct tool_buf *b, size_t limit)
{
	memset(b, 0, sizeof(*b));
	b->limit = limit;
}

int
tool_buf_append(struct tool_buf *b, const void *p, size_t n)
{
	size_t keep = 0, want;
	char *d;

	b->total += n;
	if (b->len < b->limit)
		keep = b->limit - b->len < n ? b->limit - b->len : n;
	if (keep < n)
		b->truncated = true;
	if (keep == 0)
		return 0;
	if (b->len + keep + 1 > b->alloc) {
		want = b->alloc ? b->alloc : 256;
		while (want < b->len + keep + 1)
			want *= 2;
		if (want > b->limit + 1)
			want = b->limit + 1;
		d = realloc(b->data, want);
		if (d == NULL)
			return -ENOMEM;
		b->data = d;
		b->alloc = want;
	}
	memcpy(b->data + b->len, p, keep);
	b->len += keep;
	b->data[b->len] = '\0';
	return 0;
}

int
tool_buf_printf(struct tool_buf *b, const char *fmt, ...)
{
	char small[512], *big = NULL;
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n < sizeof(small))
		return tool_buf_append(b, small, (size_t)n);
	big = malloc((size_t)n + 1);
	if (big == NULL)
		return -ENOMEM;
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	rc = tool_buf_append(b, big, (size_t)n);
	free(big);
	return rc;
}

bool
tool_buf_full(const struct tool_buf *b)
{
	return b->truncated;
}

void
tool_buf_free(struct tool_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->alloc = 0;
}

/* Fill *out with the string text[0..len) (copied); 0 or -ENOMEM. */
static int
out_set(struct tool_out *out, bool is_error, const char *text, size_t len,
	uint64_t bytes, bool truncated)
{
	char *c = malloc(len + 1);

	if (c == NULL)
		return -ENOMEM;
	memcpy(c, text, len);
	c[len] = '\0';
	memset(out, 0, sizeof(*out));
	out->content = c;
	out->is_error = is_error;
	out->exit_code = -1;
	out->bytes = bytes;
	out->truncated = truncated;
	return 0;
}

int
tool_buf_finish(struct tool_buf *b, bool is_error, const char *hint,
		const char *tail, struct tool_out *out)
{
	char marker[256] = "", *s = NULL, *all = NULL;
	size_t sl = 0, ml, tl = tail ? strlen(tail) : 0;
	bool truncated = b->truncated;
	int rc;

	rc = utf8_sanitize(b->data ? b->data : "", b->len, &s, &sl);
	if (rc < 0)
		goto out;
	if (sl > b->limit) {
		sl = utf8_boundary(s, sl, b->limit);
		truncated = true;
	}
	if (truncated)
		snprintf(
			marker, sizeof(marker),
			"%s[output truncated: showing the first %zu of %" PRIu64
			" bytes%s%s]",
			sl && s[sl - 1] != '\n' ? "\n" : "", sl, b->total,
			hint ? "; " : "", hint ? hint : "");
	ml = strlen(marker);
	all = malloc(sl + ml + tl + 1);
	rc = -ENOMEM;
	if (all == NULL)
		goto out;
	memcpy(all, s, sl);
	memcpy(all + sl, marker, ml);
	memcpy(all + sl + ml, tail ? tail : "", tl);
	all[sl + ml + tl] = '\0';
	memset(out, 0, sizeof(*out));
	out->content = all;
	out->is_error = is_error;
	out->exit_code = -1;
	out->bytes = b->total;
	out->truncated = truncated;
	rc = 0;
out:
	free(s);
	tool_buf_free(b);
	return rc;
}

__attribute__((format(printf, 3, 0))) static int
vreply(struct tool_out *out, bool is_error, const char *fmt, va_list ap)
{
	char msg[TOOL_ERRLEN * 2], *s = NULL;
	size_t sl;
	int n, rc;

	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(msg))
		n = sizeof(msg) - 1;
	rc = utf8_sanitize(msg, (size_t)n, &s, &sl);
	if (rc < 0)
		return rc;
	rc = out_set(out, is_error, s, sl, sl, false);
	free(s);
	return rc;
}

int
tool_fail(struct tool_out *out, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vreply(out, true, fmt, ap);
	va_end(ap);
	return rc < 0 ? rc : 1;
}

int
tool_ok(struct tool_out *out, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vreply(out, false, fmt, ap);
	va_end(ap);
	return rc;
}

/* ---- input ----------------------------------------------------------- */

static const char *
json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}

int
tool_check_object(const json_t *input, struct tool_out *out)
{
	if (input != NULL && json_is_object(input))
		return 0;
	return tool_fail(out,
			 "invalid input: the tool input must be a JSON "
			 "object, not %s",
			 input ? json_type_name(input) : "nothing");
}

/* input's field key, or NULL when absent or null. */
static json_t *
field(const json_t *input, const char *key)
{
	json_t *v = json_object_get(input, key);

	return v == NULL || json_is_null(v) ? NULL : v;
}

int
tool_arg_string(const json_t *input, const char *key, bool required,
		const char **s, size_t *len, struct tool_out *out)
{
	json_t *v = field(input, key);

	*s = NULL;
	if (v == NULL) {
		if (!required)
			return 0;
		return tool_fail(out,
				 "invalid input: missing required field "
				 "\"%s\" (a string)",
				 key);
	}
	if (!json_is_string(v))
		return tool_fail(out,
				 "invalid input: field \"%s\" must be a "
				 "string, not %s",
				 key, json_type_name(v));
	*s = json_string_value(v);
	if (len != NULL)
		*len = json_string_length(v);
	return 0;
}

int
tool_arg_text(const json_t *input, const char *key, bool required,
	      const char **s, struct tool_out *out)
{
	size_t len = 0;
	int rc;

	rc = tool_arg_string(input, key, required, s, &len, out);
	if (rc != 0 || *s == NULL)
		return rc;
	if (strlen(*s) != len)
		return tool_fail(out,
				 "invalid input: field \"%s\" contains a "
				 "NUL byte",
				 key);
	return 0;
}

int
tool_arg_bool(const json_t *input, const char *key, bool *v,
	      struct tool_out *out)
{
	json_t *j = field(input, key);

	if (j == NULL)
		return 0;
	if (!json_is_boolean(j))
		return tool_fail(out,
				 "invalid input: field \"%s\" must be a "
				 "boolean, not %s",
				 key, json_type_name(j));
	*v = json_is_true(j);
	return 0;
}

int
tool_arg_uint(const json_t *input, const char *key, uint64_t *v, bool *present,
	      struct tool_out *out)
{
	json_t *j = field(input, key);
	double d;

	if (present != NULL)
		*present = false;
	if (j == NULL)
		return 0;
	if (json_is_integer(j) && json_integer_value(j) >= 0) {
		*v = (uint64_t)json_integer_value(j);
	} else if (json_is_real(j)) {
		d = json_real_value(j);
		/* NaN fails both comparisons; the cast is then in range. */
		if (!(d >= 0 && d < 1.8e19) || d != (double)(uint64_t)d)
			goto bad;
		*v = (uint64_t)d;
	} else {
		goto bad;
	}
	if (present != NULL)
		*present = true;
	return 0;
bad:
	return tool_fail(out,
			 "invalid input: field \"%s\" must be a "
			 "non-negative integer, not %s",
			 key,
			 json_is_number(j) ? "that number" : json_type_name(j));
}

/* ---- time ------------------------------------------------------------ */

uint64_t
tool_deadline(uint32_t timeout_ms)
{
	return timeout_ms ? clock_now_ms() + timeout_ms : 0;
}

/* ---- files ----------------------------------------------------------- */

int
tool_open_regular(const struct tool_ctx *ctx, const char *path, int *fd,
		  struct stat *st, struct tool_out *out)
{
	char err[TOOL_ERRLEN];
	int f = -1, rc;

	rc = pathres_open(ctx->project_fd, ctx->project_dir, path,
			  O_RDONLY | O_NONBLOCK | O_NOCTTY, 0, &f, err,
			  sizeof(err));
	if (rc < 0)
		return tool_fail(out, "%s", err);
	if (fstat(f, st) < 0) {
		rc = tool_fail(out, "%s: cannot stat: %s", path,
			       strerror(errno));
	} else if (S_ISDIR(st->st_mode)) {
		rc = tool_fail(out,
			       "%s is a directory, use Glob or Bash ls "
			       "to list it",
			       path);
	} else if (!S_ISREG(st->st_mode)) {
		rc = tool_fail(out,
			       "%s is not a regular file (a FIFO, "
			       "socket or device)",
			       path);
	} else {
		*fd = f;
		return 0;
	}
	close(f);
	return rc;
}

int
tool_read_fd(int fd, size_t max, char **buf, size_t *len)
{
	size_t n = 0, alloc = 4096;
	char *b = malloc(alloc), *nb;
	ssize_t r;

	if (b == NULL)
		return -ENOMEM;
	for (;;) {
		if (n + 1 >= alloc) {
			if (alloc > max + 1) {
				free(b);
				return -EFBIG;
			}
			nb = realloc(b, alloc * 2);
			if (nb == NULL) {
				free(b);
				return -ENOMEM;
			}
			b = nb;
			alloc *= 2;
		}
		r = io_read(fd, b + n, alloc - n - 1);
		if (r < 0) {
			free(b);
			return (int)r;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > max) {
		free(b);
		return -EFBIG;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

/* ---- paths ----------------------------------------------------------- */

char *
tool_rel_tidy(char *rel)
{
	size_t n;

	while (rel[0] == '.' && rel[1] == '/') {
		n = 2;
		while (rel[n] == '/')
			n++;
		memmove(rel, rel + n, strlen(rel + n) + 1);
	}
	if (strcmp(rel, ".") == 0)
		rel[0] = '\0';
	n = strlen(rel);
	while (n > 0 && rel[n - 1] == '/')
		rel[--n] = '\0';
	return rel;
}

/* ---- the tool table -------------------------------------------------- */

static const struct {
	const char *name;
	tool_fn fn;
} tool_table[] = {
	{ "Read", tool_read },
	{ "Write", tool_write },
	{ "Edit", tool_edit },
	{ "MultiEdit", tool_multiedit },
	{ "Glob", tool_glob },
	{ "Grep", tool_grep },
	{ "Bash", tool_bash },
	/* granted by the supervisor only, never offered to a model */
	{ "gao_measure", tool_measure },
};

tool_fn
tool_lookup(const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < sizeof(tool_table) / sizeof(tool_table[0]); i++)
		if (strcmp(tool_table[i].name, name) == 0)
			return tool_table[i].fn;
	return NULL;
}

void
tool_out_clear(struct tool_out *out)
{
	if (out == NULL)
		return;
	free(out->content);
	memset(out, 0, sizeof(*out));
}
