/*
 * tool_grep.c - the Grep tool: search file contents with a PCRE2 regex.
 *
 * Design note
 * -----------
 * Input {pattern, path?, glob?, output_mode?, -i?, -n?, -A?, -B?, -C?,
 * head_limit?, multiline?}, ripgrep's meaning for each. output_mode is
 * files_with_matches (default: paths, newest first), content (matching
 * lines as "path:N:line", context lines as "path-N-line", "--" between
 * separate groups) or count ("path:N" lines that match). `path` is a file
 * or a directory (default the project root); a directory is walked
 * beneath the project (tool_glob_walk_run: no symlinks followed, no .git, name
 * order), `glob` filters file names (a glob with a '/' is matched against
 * the path below the search directory, like rg --glob). Binary files (a
 * NUL byte in the first 8 KiB) and files over TOOL_FILE_MAX are skipped.
 *
 * The regex is hostile too: PCRE2 runs with match, depth and heap limits,
 * so a catastrophic pattern ("(a+)+$") fails fast with a clear error
 * instead of hanging the worker. The match limit alone bounds no time:
 * PCRE2 counts it afresh at every start position, and one count can stand
 * for a scan of the whole subject, so "a{0,1000}a{0,1000}(?:c|d)" on a
 * line of 16 KiB of "a" stays under it everywhere and takes a minute.
 * So the pattern is compiled with auto-callouts (a callout before every
 * item), and the callout looks at the clock every GREP_CLOCK_EVERY calls:
 * one match (a line, or one search of a multiline file) that runs past
 * GREP_MATCH_MS is the same "too expensive" error, and any match is cut at
 * the call's deadline (from the supervisor), which stops the search with a
 * note; the deadline is also checked before every line. The callouts cost
 * from nothing to 45% more CPU time on ordinary patterns (measured on 60
 * MB of C headers, line by line). Without multiline each line is matched on its
 * own (a match cannot cross a newline); with multiline the whole file is
 * matched with PCRE2_MULTILINE | PCRE2_DOTALL and every line a match
 * touches counts as matching. Subjects may be invalid UTF-8
 * (PCRE2_MATCH_INVALID_UTF); the output is made valid at the end.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "worker/pathres.h"
#include "worker/tool.h"
#include "worker/tool_common.h"

#define GREP_MATCH_LIMIT 1000000
/* The longest one match may run, and how often (callouts, a power of two)
 * the callout reads the clock. */
#define GREP_MATCH_MS 2000
#define GREP_CLOCK_EVERY 16
#define GREP_DEPTH_LIMIT 10000
#define GREP_HEAP_LIMIT_KIB 32768
/* Search budget when the supervisor gave no deadline. */
#define GREP_DEFAULT_BUDGET_MS 120000
#define GREP_CONTEXT_MAX 1000
#define GREP_LINE_CHARS 2000
#define GREP_PATTERN_MAX 65536

enum grep_mode { GREP_FILES, GREP_CONTENT, GREP_COUNT };

struct grep_file {
	char *rel;
	struct timespec mtime;
};

struct grep_span {
	uint64_t first, last; /* lines a multiline match touches */
};

struct grep {
	pcre2_code *re;
	pcre2_match_data *md;
	pcre2_match_context *mc;
	struct tool_glob_pat glob;
	bool has_glob, glob_by_path;
	enum grep_mode mode;
	bool lineno, multiline;
	uint64_t after, before, head_limit;
	struct tool_buf b;
	uint64_t lines_out;
	bool head_hit;         /* head_limit cut the results */
	uint64_t last_printed; /* content: last line printed in this file */
	bool printed_any;
	struct grep_file *files;
	size_t nfiles, files_cap;
	uint64_t total; /* matching lines in all files */
	size_t skipped_large;
	bool failed;          /* a match limit tripped: err says where */
	uint64_t deadline_ms; /* clock_now_ms() value */
	uint64_t match_until; /* the match running now ends by then */
	unsigned callouts;    /* of all matches, for GREP_CLOCK_EVERY */
	bool timed_out;       /* the deadline stopped the search */
	char err[TOOL_ERRLEN];
	struct grep_span *spans;
	size_t nspans, spans_cap, span_at;
	struct {
		size_t start, len;
	} * ring;
};

/* ---- matching -------------------------------------------------------- */

/* Called by PCRE2 before every item of the pattern: a negative value
 * abandons the match once its time is up. */
static int
on_callout(pcre2_callout_block *cb, void *arg)
{
	struct grep *g = arg;

	(void)cb;
	if (++g->callouts % GREP_CLOCK_EVERY != 0 ||
	    clock_now_ms() < g->match_until)
		return 0;
	return PCRE2_ERROR_CALLOUT;
}

/* Before a match: the time it may take. false when the call's deadline
 * has passed (the search stops). */
static bool
match_begin(struct grep *g)
{
	uint64_t now = clock_now_ms();

	if (now >= g->deadline_ms) {
		g->timed_out = true;
		return false;
	}
	g->match_until = now + GREP_MATCH_MS < g->deadline_ms ?
				 now + GREP_MATCH_MS :
				 g->deadline_ms;
	return true;
}

/* Compile the pattern; 0, 1 with a tool error, or -ENOMEM. */
static int
grep_compile(struct grep *g, const char *pattern, bool ci, struct tool_out *out)
{
	uint32_t opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF |
			PCRE2_AUTO_CALLOUT;
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE eoff = 0;
	int ecode = 0;

	if (strlen(pattern) > GREP_PATTERN_MAX)
		return tool_fail(out,
				 "invalid input: \"pattern\" is longer "
				 "than %d bytes",
				 GREP_PATTERN_MAX);
	if (ci)
		opts |= PCRE2_CASELESS;
	if (g->multiline)
		opts |= PCRE2_MULTILINE | PCRE2_DOTALL;
	g->re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, opts,
			      &ecode, &eoff, NULL);
	if (g->re == NULL) {
		if (pcre2_get_error_message(ecode, msg, sizeof(msg)) < 0)
			snprintf((char *)msg, sizeof(msg), "error %d", ecode);
		return tool_fail(out,
				 "invalid regex: %s at offset %zu of "
				 "pattern %s",
				 (char *)msg, (size_t)eoff, pattern);
	}
	g->md = pcre2_match_data_create_from_pattern(g->re, NULL);
	g->mc = pcre2_match_context_create(NULL);
	if (g->md == NULL || g->mc == NULL)
		return -ENOMEM;
	pcre2_set_match_limit(g->mc, GREP_MATCH_LIMIT);
	pcre2_set_depth_limit(g->mc, GREP_DEPTH_LIMIT);
	pcre2_set_heap_limit(g->mc, GREP_HEAP_LIMIT_KIB);
	pcre2_set_callout(g->mc, on_callout, g);
	return 0;
}

/* Record a match failure other than "no match"; true when fatal. */
static bool
match_failed(struct grep *g, int rc, const char *rel, uint64_t line)
{
	PCRE2_UCHAR msg[256];

	if (rc == PCRE2_ERROR_CALLOUT && g->match_until >= g->deadline_ms) {
		g->timed_out = true; /* the call's deadline, not the match's */
		return true;
	}
	if (rc == PCRE2_ERROR_CALLOUT)
		snprintf((char *)msg, sizeof(msg),
			 "one match took more than %d ms", GREP_MATCH_MS);
	else if (rc != PCRE2_ERROR_MATCHLIMIT && rc != PCRE2_ERROR_DEPTHLIMIT &&
		 rc != PCRE2_ERROR_HEAPLIMIT && rc != PCRE2_ERROR_NOMEMORY)
		return false; /* e.g. a bad offset: treat as no match */
	else if (pcre2_get_error_message(rc, msg, sizeof(msg)) < 0)
		snprintf((char *)msg, sizeof(msg), "error %d", rc);
	snprintf(g->err, sizeof(g->err),
		 "the pattern is too expensive to "
		 "match (%s) at %s:%" PRIu64 "; simplify it, for example "
		 "avoid nested quantifiers like (a+)+",
		 (char *)msg, rel, line);
	g->failed = true;
	return true;
}

/* Does line (data[start..start+len)) match? -1 on a fatal match error. */
static int
line_matches(struct grep *g, const char *data, size_t start, size_t len,
	     const char *rel, uint64_t line)
{
	int rc;

	if (g->multiline) {
		while (g->span_at < g->nspans &&
		       g->spans[g->span_at].last < line)
			g->span_at++;
		return g->span_at < g->nspans &&
		       g->spans[g->span_at].first <= line;
	}
	if (!match_begin(g))
		return -1;
	rc = pcre2_match(g->re, (PCRE2_SPTR)(data + start), len, 0, 0, g->md,
			 g->mc);
	if (rc >= 0)
		return 1;
	if (rc == PCRE2_ERROR_NOMATCH || !match_failed(g, rc, rel, line))
		return 0;
	return -1;
}

/* Add lines first..last to the spans, merging with the previous one. */
static int
add_span(struct grep *g, uint64_t first, uint64_t last)
{
	struct grep_span *ns;

	if (g->nspans > 0 && g->spans[g->nspans - 1].last + 1 >= first) {
		if (last > g->spans[g->nspans - 1].last)
			g->spans[g->nspans - 1].last = last;
		return 0;
	}
	if (g->nspans == g->spans_cap) {
		g->spans_cap = g->spans_cap ? g->spans_cap * 2 : 64;
		ns = realloc(g->spans, g->spans_cap * sizeof(*ns));
		if (ns == NULL)
			return -ENOMEM;
		g->spans = ns;
	}
	g->spans[g->nspans].first = first;
	g->spans[g->nspans].last = last;
	g->nspans++;
	return 0;
}

/* Newlines in data[from..to). */
static uint64_t
count_nl(const char *data, size_t from, size_t to)
{
	const char *p = data + from, *end = data + to;
	uint64_t n = 0;

	while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		n++;
		p++;
	}
	return n;
}

/* Multiline: find the line spans every match of the file touches. */
static int
collect_spans(struct grep *g, const char *data, size_t len, const char *rel)
{
	PCRE2_SIZE *ov;
	size_t off = 0, pos = 0, s, e;
	uint64_t line = 1, first;
	int rc;

	g->nspans = g->span_at = 0;
	while (off <= len) {
		if (!match_begin(g))
			return 1;
		rc = pcre2_match(g->re, (PCRE2_SPTR)data, len, off, 0, g->md,
				 g->mc);
		if (rc < 0) {
			if (rc != PCRE2_ERROR_NOMATCH &&
			    match_failed(g, rc, rel, line))
				return 1;
			break;
		}
		ov = pcre2_get_ovector_pointer(g->md);
		s = ov[0];
		e = ov[1] > s ? ov[1] : s;
		line += count_nl(data, pos, s);
		pos = s;
		first = line;
		rc = add_span(g, first,
			      first + count_nl(data, s, e > s ? e - 1 : s));
		if (rc < 0)
			return rc;
		off = e > s ? e : s + 1;
		while (off < len && ((unsigned char)data[off] & 0xc0) == 0x80)
			off++;
	}
	return 0;
}

/* ---- output ---------------------------------------------------------- */

/* Count one output line against head_limit; false when over it. */
static bool
take_line(struct grep *g)
{
	if (g->head_limit && g->lines_out >= g->head_limit) {
		g->head_hit = true;
		return false;
	}
	g->lines_out++;
	return true;
}

/* Print "rel<sep>N<sep>text" (N when -n), the text cut to a bound. */
static int
print_line(struct grep *g, const char *rel, char sep, uint64_t line,
	   const char *text, size_t len)
{
	size_t i, chars = 0, cut = len;
	int rc;

	for (i = 0; i < len; i++)
		if (((unsigned char)text[i] & 0xc0) != 0x80 &&
		    chars++ == GREP_LINE_CHARS) {
			cut = i;
			break;
		}
	if (g->lineno)
		rc = tool_buf_printf(&g->b, "%s%c%" PRIu64 "%c", rel, sep, line,
				     sep);
	else
		rc = tool_buf_printf(&g->b, "%s%c", rel, sep);
	if (rc == 0)
		rc = tool_buf_append(&g->b, text, cut);
	if (rc == 0 && cut < len)
		rc = tool_buf_printf(&g->b,
				     " [... line cut at %d "
				     "characters]",
				     GREP_LINE_CHARS);
	if (rc == 0)
		rc = tool_buf_append(&g->b, "\n", 1);
	return rc;
}

/* Print a line unless already printed, with "--" before a new group. */
static int
show(struct grep *g, const char *rel, char sep, uint64_t line, const char *text,
     size_t len)
{
	int rc = 0;

	if (line <= g->last_printed)
		return 0;
	if ((g->after || g->before) && g->printed_any &&
	    (g->last_printed == 0 || line > g->last_printed + 1)) {
		if (!take_line(g))
			return 1;
		rc = tool_buf_append(&g->b, "--\n", 3);
	}
	if (rc == 0 && !take_line(g))
		return 1;
	if (rc == 0)
		rc = print_line(g, rel, sep, line, text, len);
	g->last_printed = line;
	g->printed_any = true;
	return rc;
}

/* Content mode: a match at line, after its before-context from the ring. */
static int
show_match(struct grep *g, const char *rel, const char *data, uint64_t line,
	   size_t start, size_t len)
{
	uint64_t k, from = line > g->before ? line - g->before : 1;
	size_t slot;
	int rc = 0;

	for (k = from; k < line && rc == 0; k++) {
		slot = (size_t)(k % g->before);
		rc = show(g, rel, '-', k, data + g->ring[slot].start,
			  g->ring[slot].len);
	}
	if (rc == 0)
		rc = show(g, rel, ':', line, data + start, len);
	return rc;
}

/*
 * Go through the lines of one file. Returns 0, 1 when the search should
 * stop (head_limit, a match error), or -ENOMEM. *count gets the number of
 * matching lines (files mode stops at the first).
 */
static int
scan_lines(struct grep *g, const char *rel, const char *data, size_t len,
	   uint64_t *count)
{
	const char *nl;
	size_t start = 0, l;
	uint64_t line = 1, after_left = 0;
	int m, rc = 0;

	*count = 0;
	g->last_printed = 0;
	while (start < len && rc == 0) {
		nl = memchr(data + start, '\n', len - start);
		l = (nl ? (size_t)(nl - data) : len) - start;
		m = line_matches(g, data, start, l, rel, line);
		if (m < 0)
			return 1;
		if (m && ++*count && g->mode == GREP_FILES)
			return 0;
		if (m && g->mode == GREP_CONTENT) {
			rc = show_match(g, rel, data, line, start, l);
			after_left = g->after;
		} else if (after_left > 0 && g->mode == GREP_CONTENT) {
			rc = show(g, rel, '-', line, data + start, l);
			after_left--;
		}
		if (g->before) {
			g->ring[line % g->before].start = start;
			g->ring[line % g->before].len = l;
		}
		start += l + 1;
		line++;
	}
	return rc;
}

/* Remember a matching file for files_with_matches. */
static int
add_file(struct grep *g, const char *rel, const struct stat *st)
{
	struct grep_file *nf;

	if (g->nfiles == g->files_cap) {
		g->files_cap = g->files_cap ? g->files_cap * 2 : 64;
		nf = realloc(g->files, g->files_cap * sizeof(*nf));
		if (nf == NULL)
			return -ENOMEM;
		g->files = nf;
	}
	g->files[g->nfiles].rel = strdup(rel);
	if (g->files[g->nfiles].rel == NULL)
		return -ENOMEM;
	g->files[g->nfiles].mtime = st->st_mtim;
	g->nfiles++;
	return 0;
}

/* Search one open regular file; 0 goes on, 1 stops, -ENOMEM. */
static int
search_fd(struct grep *g, int fd, const char *rel)
{
	struct stat st;
	char *data = NULL;
	size_t len = 0, probe;
	uint64_t count = 0;
	int rc;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	rc = tool_read_fd(fd, TOOL_FILE_MAX, &data, &len);
	if (rc == -EFBIG)
		g->skipped_large++;
	if (rc < 0)
		return rc == -ENOMEM ? rc : 0;
	probe = len < TOOL_BINARY_PROBE ? len : TOOL_BINARY_PROBE;
	if (memchr(data, '\0', probe) != NULL)
		goto out;
	if (g->multiline)
		rc = collect_spans(g, data, len, rel);
	if (rc == 0)
		rc = scan_lines(g, rel, data, len, &count);
	g->total += count;
	if (rc == 0 && count > 0 && g->mode == GREP_FILES)
		rc = add_file(g, rel, &st);
	if (rc == 0 && count > 0 && g->mode == GREP_COUNT) {
		rc = take_line(g) ? tool_buf_printf(&g->b, "%s:%" PRIu64 "\n",
						    rel, count) :
				    1;
		g->total -= rc == 1 ? count : 0;
	}
out:
	free(data);
	return rc;
}

/* Walk callback: filter by type and glob, then search the file. */
static int
on_entry(void *arg, const struct tool_glob_ent *e)
{
	struct grep *g = arg;
	int fd, rc;

	if (e->type != DT_REG)
		return 0;
	if (g->has_glob &&
	    !tool_glob_match(&g->glob, g->glob_by_path ? e->sub : e->name))
		return 0;
	fd = pathres_openat2(e->dirfd, e->name,
			     O_RDONLY | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW, 0,
			     PATHRES_RESOLVE_BENEATH |
				     PATHRES_RESOLVE_NO_SYMLINKS);
	if (fd < 0)
		return 0;
	rc = search_fd(g, fd, e->rel);
	close(fd);
	return rc;
}

/* ---- the tool -------------------------------------------------------- */

static int
file_cmp(const void *va, const void *vb)
{
	const struct grep_file *a = va, *b = vb;

	return tool_glob_newer_first(&a->mtime, a->rel, &b->mtime, b->rel);
}

/* List files_with_matches, newest first, up to head_limit. */
static int
list_files(struct grep *g)
{
	size_t i, n = g->nfiles;
	int rc;

	if (n > 1)
		qsort(g->files, n, sizeof(*g->files), file_cmp);
	if (g->head_limit && n > g->head_limit) {
		n = (size_t)g->head_limit;
		g->head_hit = true;
	}
	rc = tool_buf_printf(&g->b, "Found %zu file%s\n", g->nfiles,
			     g->nfiles == 1 ? "" : "s");
	for (i = 0; rc == 0 && i < n; i++)
		rc = tool_buf_printf(&g->b, "%s\n", g->files[i].rel);
	return rc;
}

/* Finish the output: the listing, the summary and any notes. */
static int
report(struct grep *g, const struct tool_glob_walk *w, struct tool_out *out)
{
	int rc = 0;

	if (g->failed) {
		tool_buf_free(&g->b);
		return tool_fail(out, "%s", g->err);
	}
	if (g->mode == GREP_FILES && g->nfiles > 0)
		rc = list_files(g);
	else if (g->total == 0 && !g->head_hit)
		rc = tool_buf_printf(&g->b, g->mode == GREP_FILES ?
						    "No files found\n" :
						    "No matches found\n");
	else if (g->mode == GREP_COUNT)
		rc = tool_buf_printf(&g->b,
				     "Found %" PRIu64 " matching line%s"
				     "\n",
				     g->total, g->total == 1 ? "" : "s");
	if (rc == 0 && g->head_hit)
		rc = tool_buf_printf(&g->b,
				     "[results cut at head_limit=%" PRIu64
				     "; there are more]\n",
				     g->head_limit);
	if (rc == 0 && g->skipped_large)
		rc = tool_buf_printf(&g->b,
				     "[%zu file%s larger than %zu bytes "
				     "skipped]\n",
				     g->skipped_large,
				     g->skipped_large == 1 ? "" : "s",
				     TOOL_FILE_MAX);
	if (rc == 0 && (w->stopped || g->timed_out))
		rc = tool_buf_printf(&g->b,
				     "[search incomplete: stopped by %s "
				     "after %zu entries]\n",
				     w->stopped ? w->stopped : "the time limit",
				     w->visited);
	if (rc < 0) {
		tool_buf_free(&g->b);
		return rc;
	}
	return tool_buf_finish(&g->b, false,
			       "narrow the search with path, "
			       "glob or head_limit",
			       NULL, out);
}

/* Parse output_mode; 0 or 1 with a tool error. */
static int
parse_mode(const json_t *input, struct grep *g, struct tool_out *out)
{
	const char *m = NULL;
	int rc;

	g->mode = GREP_FILES;
	rc = tool_arg_text(input, "output_mode", false, &m, out);
	if (rc != 0 || m == NULL || strcmp(m, "files_with_matches") == 0)
		return rc;
	if (strcmp(m, "content") == 0)
		g->mode = GREP_CONTENT;
	else if (strcmp(m, "count") == 0)
		g->mode = GREP_COUNT;
	else
		return tool_fail(out,
				 "invalid input: \"output_mode\" must be "
				 "\"content\", \"files_with_matches\" or "
				 "\"count\", not \"%s\"",
				 m);
	return 0;
}

/* Parse the context options -A, -B, -C into g. */
static int
parse_context(const json_t *input, struct grep *g, struct tool_out *out)
{
	uint64_t c = 0;
	bool has_a = false, has_b = false;
	int rc;

	rc = tool_arg_uint(input, "-C", &c, NULL, out);
	g->after = g->before = c;
	if (rc == 0)
		rc = tool_arg_uint(input, "-A", &g->after, &has_a, out);
	if (rc == 0)
		rc = tool_arg_uint(input, "-B", &g->before, &has_b, out);
	if (g->after > GREP_CONTEXT_MAX)
		g->after = GREP_CONTEXT_MAX;
	if (g->before > GREP_CONTEXT_MAX)
		g->before = GREP_CONTEXT_MAX;
	if (rc == 0 && g->before > 0) {
		g->ring = calloc((size_t)g->before, sizeof(*g->ring));
		if (g->ring == NULL)
			rc = -ENOMEM;
	}
	return rc;
}

/* Parse everything; 0, 1 with a tool error, or -ENOMEM. */
static int
parse(const json_t *input, struct grep *g, const char **pattern,
      const char **path, struct tool_out *out)
{
	const char *glob = NULL;
	bool ci = false;
	int rc;

	g->lineno = true;
	rc = tool_check_object(input, out);
	if (rc == 0)
		rc = tool_arg_text(input, "pattern", true, pattern, out);
	if (rc == 0)
		rc = tool_arg_text(input, "path", false, path, out);
	if (rc == 0)
		rc = tool_arg_text(input, "glob", false, &glob, out);
	if (rc == 0)
		rc = parse_mode(input, g, out);
	if (rc == 0)
		rc = tool_arg_bool(input, "-i", &ci, out);
	if (rc == 0)
		rc = tool_arg_bool(input, "-n", &g->lineno, out);
	if (rc == 0)
		rc = tool_arg_bool(input, "multiline", &g->multiline, out);
	if (rc == 0)
		rc = tool_arg_uint(input, "head_limit", &g->head_limit, NULL,
				   out);
	if (rc == 0)
		rc = parse_context(input, g, out);
	if (rc == 0 && glob != NULL) {
		g->has_glob = true;
		g->glob_by_path = strchr(glob, '/') != NULL;
		rc = tool_glob_compile(glob, &g->glob, out);
	}
	if (rc == 0)
		rc = grep_compile(g, *pattern, ci, out);
	return rc;
}

/* Search path (a file or a directory) beneath the project. */
static int
run(const struct tool_ctx *ctx, struct grep *g, const char *path,
    uint32_t timeout_ms, struct tool_glob_walk *w, struct tool_out *out)
{
	char err[TOOL_ERRLEN], rel[PATH_MAX];
	struct stat st;
	int fd = -1, rc;

	rc = pathres_relative(ctx->project_dir, path, strlen(path), rel,
			      sizeof(rel), err, sizeof(err));
	if (rc == 0)
		rc = pathres_open(ctx->project_fd, ctx->project_dir, path,
				  O_RDONLY | O_NONBLOCK | O_NOCTTY, 0, &fd, err,
				  sizeof(err));
	if (rc == 0 && fstat(fd, &st) < 0)
		rc = -errno;
	if (rc != 0) {
		if (fd >= 0)
			close(fd);
		return tool_fail(out, "%s", err);
	}
	tool_rel_tidy(rel);
	w->fn = on_entry;
	w->arg = g;
	g->deadline_ms = tool_deadline(timeout_ms ? timeout_ms :
						    GREP_DEFAULT_BUDGET_MS);
	w->deadline_ms = g->deadline_ms;
	if (S_ISDIR(st.st_mode))
		rc = tool_glob_walk_run(w, fd, rel[0] ? rel : ".");
	else
		rc = search_fd(g, fd, rel[0] ? rel : path);
	close(fd);
	if (rc < 0 && rc != -ENOMEM)
		return tool_fail(out, "cannot search %s: %s", path,
				 strerror(-rc));
	return rc < 0 ? rc : 0;
}

static void
grep_free(struct grep *g)
{
	size_t i;

	pcre2_match_data_free(g->md);
	pcre2_match_context_free(g->mc);
	pcre2_code_free(g->re);
	tool_glob_free(&g->glob);
	for (i = 0; i < g->nfiles; i++)
		free(g->files[i].rel);
	free(g->files);
	free(g->spans);
	free(g->ring);
	tool_buf_free(&g->b);
	free(g);
}

int
tool_grep(const struct tool_ctx *ctx, const json_t *input, uint32_t timeout_ms,
	  struct tool_out *out)
{
	const char *pattern = NULL, *path = NULL;
	struct tool_glob_walk w;
	struct grep *g;
	int rc;

	g = calloc(1, sizeof(*g));
	if (g == NULL)
		return -ENOMEM;
	memset(&w, 0, sizeof(w));
	tool_buf_init(&g->b, tool_output_limit(ctx));
	rc = parse(input, g, &pattern, &path, out);
	if (rc == 0)
		rc = run(ctx, g, path ? path : ".", timeout_ms, &w, out);
	if (rc == 0)
		rc = report(g, &w, out);
	grep_free(g);
	return rc > 0 ? 0 : rc;
}
