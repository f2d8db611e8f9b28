/*
 * tool_common.c - helpers shared by the tools, and tool_lookup(): see
 * tool_common.h for the design note.
 *
 * Output is produced in a struct tool_buf that never holds more than the
 * cap (so a flood cannot exhaust memory) but counts everything, and it is
 * turned into UTF-8 only at the end, so a multi-byte character cut by the
 * cap or a binary byte becomes U+FFFD instead of breaking the JSON the
 * supervisor builds. Files are replaced through a temp file and rename in
 * the same directory, both named relative to a directory fd resolved
 * beneath the project.
 */
#include "worker/tool_common.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

/*
 * Length of the valid UTF-8 sequence at s (n bytes available), or the
 * negated length of the maximal invalid prefix to replace (at least 1).
 * NUL counts as invalid: the content is a C string.
 */
static int
utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	int need, i;

	if (c >= 0x01 && c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		need = 1;
	else if (c >= 0xe0 && c <= 0xef)
		need = 2;
	else if (c >= 0xf0 && c <= 0xf4)
		need = 3;
	else
		return -1;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	for (i = 1; i <= need; i++) {
		if ((size_t)i >= n || s[i] < lo || s[i] > hi)
			return -i;
		lo = 0x80;
		hi = 0xbf;
	}
	return need + 1;
}

int
tool_utf8_sanitize(const char *in, size_t len, char **res, size_t *reslen)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, outlen = 0;
	char *o;
	int k;

	while (i < len) {
		k = utf8_seq(s + i, len - i);
		outlen += k > 0 ? (size_t)k : 3;
		i += k > 0 ? (size_t)k : (size_t)-k;
	}
	o = malloc(outlen + 1);
	if (o == NULL)
		return -ENOMEM;
	for (i = 0, outlen = 0; i < len;) {
		k = utf8_seq(s + i, len - i);
		if (k > 0) {
			memcpy(o + outlen, s + i, (size_t)k);
			outlen += (size_t)k;
			i += (size_t)k;
		} else {
			memcpy(o + outlen, "\xef\xbf\xbd", 3);
			outlen += 3;
			i += (size_t)-k;
		}
	}
	o[outlen] = '\0';
	*res = o;
	*reslen = outlen;
	return 0;
}

size_t
tool_utf8_boundary(const char *s, size_t len, size_t max)
{
	size_t n;

	if (max >= len)
		return len;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
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

	rc = tool_utf8_sanitize(b->data ? b->data : "", b->len, &s, &sl);
	if (rc < 0)
		goto out;
	if (sl > b->limit) {
		sl = tool_utf8_boundary(s, sl, b->limit);
		truncated = true;
	}
	if (truncated)
		snprintf(marker, sizeof(marker),
			 "%s[output truncated: showing the first %zu of %"
			 PRIu64 " bytes%s%s]", sl && s[sl - 1] != '\n' ?
			 "\n" : "", sl, b->total, hint ? "; " : "",
			 hint ? hint : "");
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

static int __attribute__((format(printf, 3, 0)))
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
	rc = tool_utf8_sanitize(msg, (size_t)n, &s, &sl);
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
	return tool_fail(out, "invalid input: the tool input must be a JSON "
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
		return tool_fail(out, "invalid input: missing required field "
				 "\"%s\" (a string)", key);
	}
	if (!json_is_string(v))
		return tool_fail(out, "invalid input: field \"%s\" must be a "
				 "string, not %s", key, json_type_name(v));
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
		return tool_fail(out, "invalid input: field \"%s\" contains a "
				 "NUL byte", key);
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
		return tool_fail(out, "invalid input: field \"%s\" must be a "
				 "boolean, not %s", key, json_type_name(j));
	*v = json_is_true(j);
	return 0;
}

int
tool_arg_uint(const json_t *input, const char *key, uint64_t *v,
	      bool *present, struct tool_out *out)
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
	return tool_fail(out, "invalid input: field \"%s\" must be a "
			 "non-negative integer, not %s", key,
			 json_is_number(j) ? "that number" : json_type_name(j));
}

/* ---- time ------------------------------------------------------------ */

uint64_t
tool_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t
tool_deadline(uint32_t timeout_ms)
{
	return timeout_ms ? tool_now_ms() + timeout_ms : 0;
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
		rc = tool_fail(out, "%s is a directory, use Glob or Bash ls "
			       "to list it", path);
	} else if (!S_ISREG(st->st_mode)) {
		rc = tool_fail(out, "%s is not a regular file (a FIFO, "
			       "socket or device)", path);
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
		r = read(fd, b + n, alloc - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			r = -errno;
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

int
tool_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* A message for a failed write of path. */
static void
explain_write(int e, const char *path, char *err, size_t errlen)
{
	if (e < 0)
		e = -e;
	if (e == EFBIG)
		snprintf(err, errlen, "%s: file too large (the sandbox's file "
			 "size limit)", path);
	else if (e == ENOSPC || e == EDQUOT)
		snprintf(err, errlen, "%s: no space left for the project",
			 path);
	else
		snprintf(err, errlen, "%s: cannot write: %s", path,
			 strerror(e));
}

/* Rewrite the file path resolves to (a symlink or hard link) in place. */
static int
rewrite_in_place(const struct tool_ctx *ctx, const char *path,
		 const void *data, size_t len, bool *created, char *err,
		 size_t errlen)
{
	struct stat st;
	int fd = -1, rc;

	*created = false;
	rc = pathres_open(ctx->project_fd, ctx->project_dir, path,
			  O_WRONLY | O_NONBLOCK | O_NOCTTY, 0, &fd, err,
			  errlen);
	if (rc == -ENOENT) {
		/* A dangling symlink inside: create its target, beneath. */
		*created = true;
		rc = pathres_open(ctx->project_fd, ctx->project_dir, path,
				  O_WRONLY | O_CREAT | O_NOCTTY,
				  TOOL_FILE_MODE, &fd, err, errlen);
	}
	if (rc < 0)
		return rc;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		rc = -EINVAL;
	} else if (ftruncate(fd, 0) < 0) {
		rc = -errno;
	} else {
		rc = tool_write_all(fd, data, len);
	}
	if (close(fd) < 0 && rc == 0 && errno != EINTR)
		rc = -errno;
	if (rc < 0 && rc != -EINVAL)
		explain_write(rc, path, err, errlen);
	return rc;
}

/* Create an unused temp file in dfd; stores its name. fd or -errno. */
static int
create_temp(int dfd, mode_t mode, char *tmp, size_t tmpsize)
{
	static unsigned counter;
	int fd = -EEXIST, tries;

	for (tries = 0; tries < 16 && fd == -EEXIST; tries++) {
		snprintf(tmp, tmpsize, ".gao-tmp.%ld.%u.%" PRIx64,
			 (long)getpid(), counter++, tool_now_ms());
		fd = pathres_openat2(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL,
				     mode, PATHRES_RESOLVE_BENEATH |
				     PATHRES_RESOLVE_NO_SYMLINKS);
	}
	return fd;
}

/* Write data to a temp file in dfd, then rename it over name. */
static int
replace_atomic(int dfd, const char *name, const struct stat *old,
	       const void *data, size_t len, const char *path, char *err,
	       size_t errlen)
{
	char tmp[64];
	mode_t mode = old ? (old->st_mode & 0777) : TOOL_FILE_MODE;
	int fd, rc;

	fd = create_temp(dfd, mode, tmp, sizeof(tmp));
	if (fd < 0) {
		explain_write(fd, path, err, errlen);
		return fd;
	}
	rc = tool_write_all(fd, data, len);
	/* Keep the old mode exactly, whatever the umask took away. */
	if (rc == 0 && old != NULL && fchmod(fd, mode) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0 && errno != EINTR)
		rc = -errno;
	if (rc == 0 && renameat(dfd, tmp, dfd, name) < 0)
		rc = -errno;
	if (rc < 0) {
		unlinkat(dfd, tmp, 0);
		if (rc == -EISDIR)
			pathres_explain(rc, path, err, errlen);
		else
			explain_write(rc, path, err, errlen);
	}
	return rc;
}

int
tool_replace_file(const struct tool_ctx *ctx, const char *path,
		  const void *data, size_t len, bool *created, char *err,
		  size_t errlen)
{
	char name[NAME_MAX + 1];
	struct stat st;
	bool exists = true;
	int dfd = -1, rc;

	rc = pathres_open_parent(ctx->project_fd, ctx->project_dir, path,
				 true, &dfd, name, sizeof(name), err, errlen);
	if (rc < 0)
		return rc;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		rc = -errno;
		if (rc != -ENOENT) {
			pathres_explain(rc, path, err, errlen);
			goto out;
		}
		exists = false;
	}
	*created = !exists;
	if (exists && S_ISDIR(st.st_mode)) {
		rc = -EISDIR;
		snprintf(err, errlen, "%s is a directory; give the path of a "
			 "file", path);
	} else if (exists && (S_ISLNK(st.st_mode) ||
			      (S_ISREG(st.st_mode) && st.st_nlink > 1))) {
		rc = rewrite_in_place(ctx, path, data, len, created, err,
				      errlen);
	} else if (exists && !S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		snprintf(err, errlen, "%s is not a regular file", path);
	} else {
		rc = replace_atomic(dfd, name, exists ? &st : NULL, data, len,
				    path, err, errlen);
	}
out:
	close(dfd);
	return rc;
}

/* ---- directory walk -------------------------------------------------- */

struct walk_ent {
	const char *name;
	size_t off;
	unsigned char type;
};

struct walk_state {
	struct tool_walk *w;
	bool halt;		/* a limit ended the walk */
	size_t sub_off;		/* where the base's part of path ends */
	char path[PATH_MAX];	/* the current entry, project-relative */
};

static int
ent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct walk_ent *)a)->name,
		      ((const struct walk_ent *)b)->name);
}

/* Read d's entries (without "." and "..") into a sorted array. */
static int
read_entries(DIR *d, struct walk_ent **ents, size_t *count, char **arena)
{
	size_t n = 0, cap = 0, used = 0, acap = 0, len, i;
	struct walk_ent *e = NULL, *ne;
	char *a = NULL, *na;
	struct dirent *de;

	while ((errno = 0, de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		len = strlen(de->d_name) + 1;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			ne = realloc(e, cap * sizeof(*e));
			if (ne == NULL)
				goto nomem;
			e = ne;
		}
		if (used + len > acap) {
			acap = acap ? acap * 2 : 1024;
			while (used + len > acap)
				acap *= 2;
			na = realloc(a, acap);
			if (na == NULL)
				goto nomem;
			a = na;
		}
		memcpy(a + used, de->d_name, len);
		e[n].off = used;
		e[n].type = de->d_type;
		used += len;
		n++;
	}
	for (i = 0; i < n; i++)
		e[i].name = a + e[i].off;
	if (n > 1)
		qsort(e, n, sizeof(*e), ent_cmp);
	*ents = e;
	*count = n;
	*arena = a;
	return 0;
nomem:
	free(e);
	free(a);
	return -ENOMEM;
}

/* The DT_ type of name in dfd, asking lstat when readdir did not say. */
static unsigned char
ent_type(int dfd, const struct walk_ent *e)
{
	struct stat st;

	if (e->type != DT_UNKNOWN)
		return e->type;
	if (fstatat(dfd, e->name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return DT_UNKNOWN;
	if (S_ISDIR(st.st_mode))
		return DT_DIR;
	if (S_ISREG(st.st_mode))
		return DT_REG;
	if (S_ISLNK(st.st_mode))
		return DT_LNK;
	return DT_UNKNOWN;
}

/* False (and w->stopped set) when a limit ends the walk. */
static bool
walk_budget(struct walk_state *s)
{
	struct tool_walk *w = s->w;

	if (s->halt)
		return false;
	if (++w->visited > TOOL_WALK_ENTRIES_MAX) {
		w->stopped = "the limit on entries visited";
		s->halt = true;
	} else if (w->deadline_ms && (w->visited & 255) == 0 &&
		   tool_now_ms() >= w->deadline_ms) {
		w->stopped = "the time limit";
		s->halt = true;
	}
	return !s->halt;
}

static int walk_dir(struct walk_state *s, int fd, size_t plen,
		    unsigned depth);

/* Handle one entry of the directory dfd; s->path holds its path. */
static int
walk_one(struct walk_state *s, int dfd, const struct walk_ent *e,
	 size_t plen, unsigned depth)
{
	struct tool_walk *w = s->w;
	struct tool_walk_ent we;
	unsigned char type = ent_type(dfd, e);
	int fd;

	if (type != DT_DIR) {
		we.rel = s->path;
		we.sub = s->path + s->sub_off;
		we.dirfd = dfd;
		we.name = e->name;
		we.type = type;
		return w->fn(w->arg, &we);
	}
	/* Entries of this directory have depth + 2 components. */
	if (strcmp(e->name, ".git") == 0)
		return 0;
	if (depth + 2 > w->max_depth) {
		if (w->max_depth == TOOL_WALK_DEPTH_MAX)
			w->stopped = "the directory depth limit";
		return 0;
	}
	fd = pathres_openat2(dfd, e->name, O_RDONLY | O_DIRECTORY, 0,
			     PATHRES_RESOLVE_BENEATH |
			     PATHRES_RESOLVE_NO_SYMLINKS |
			     PATHRES_RESOLVE_NO_MAGICLINKS);
	if (fd < 0)
		return 0;	/* unreadable or replaced: skip it */
	return walk_dir(s, fd, plen, depth + 1);
}

/* Walk the directory fd (owned) whose path is s->path[0..plen). */
static int
walk_dir(struct walk_state *s, int fd, size_t plen, unsigned depth)
{
	struct walk_ent *ents = NULL;
	char *arena = NULL;
	size_t n = 0, i, nl;
	DIR *d = fdopendir(fd);
	int rc = 0;

	if (d == NULL) {
		close(fd);
		return 0;
	}
	rc = read_entries(d, &ents, &n, &arena);
	for (i = 0; rc == 0 && i < n; i++) {
		if (!walk_budget(s))
			break;
		nl = strlen(ents[i].name);
		if (plen + 1 + nl >= sizeof(s->path))
			continue;
		if (plen > 0)
			s->path[plen] = '/';
		memcpy(s->path + plen + (plen > 0), ents[i].name, nl + 1);
		rc = walk_one(s, dirfd(d), &ents[i], plen + (plen > 0) + nl,
			      depth);
		s->path[plen] = '\0';
	}
	free(ents);
	free(arena);
	closedir(d);
	return rc;
}

int
tool_walk_run(struct tool_walk *w, int dirfd, const char *base_rel)
{
	struct walk_state *s;
	size_t blen = strlen(base_rel);
	int fd, rc;

	w->visited = 0;
	w->stopped = NULL;
	if (w->max_depth == 0 || w->max_depth > TOOL_WALK_DEPTH_MAX)
		w->max_depth = TOOL_WALK_DEPTH_MAX;
	if (strcmp(base_rel, ".") == 0)
		blen = 0;
	if (blen >= PATH_MAX)
		return -ENAMETOOLONG;
	s = malloc(sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	s->w = w;
	s->halt = false;
	memcpy(s->path, base_rel, blen);
	s->path[blen] = '\0';
	s->sub_off = blen ? blen + 1 : 0;
	/* A fresh open file description: readdir must not move dirfd's. */
	fd = pathres_openat2(dirfd, ".", O_RDONLY | O_DIRECTORY, 0,
			     PATHRES_RESOLVE_BENEATH);
	rc = fd < 0 ? fd : walk_dir(s, fd, blen, 0);
	if (rc > 0)
		rc = 0;
	free(s);
	return rc;
}

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
