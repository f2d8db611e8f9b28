/*
 * tool_glob.c - the Glob tool (find files by name pattern), with the glob
 * matcher and the tree walk that Grep shares.
 *
 * Design note
 * -----------
 * Input {pattern, path?}. The pattern is matched against each file's path
 * relative to the search directory (path, default the project root; an
 * absolute pattern under the project directory is taken relative to the
 * project root). Brace alternatives are expanded first ("src/x.{c,h}" is
 * two patterns, at most GLOB_ALTS_MAX); each alternative is split into
 * components: "**" matches any number of whole components, any other
 * component is an fnmatch(3) pattern ("*", "?", "[...]", backslash
 * escapes) for exactly one path component, hidden names included. The
 * component matcher is the usual greedy wildcard walk with one backtrack
 * point, linear-ish, so no pattern can make it exponential.
 *
 * The tree walk (tool_glob_walk_run, shared with Grep) reads each
 * directory whole and sorts it, so results do not depend on readdir
 * order; it opens every subdirectory from its parent's fd with
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), so it never follows a
 * symlinked directory and never leaves the project; it skips .git and
 * stops at a depth, entry-count and time budget. Glob only descends as
 * deep as a pattern without "**" can reach. Only non-directories are
 * reported, the newest modification time first; at most GLOB_SHOW of
 * them, kept in a bounded array while walking so memory does not grow
 * with the tree.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "worker/pathres.h"
#include "worker/tool.h"
#include "worker/tool_common.h"

#define GLOB_ALTS_MAX 256
#define GLOB_SHOW 100
/* Walk budget when the supervisor gave no deadline. */
#define GLOB_DEFAULT_BUDGET_MS 120000

/* ---- brace expansion ------------------------------------------------- */

struct alts {
	char **v;
	size_t n;
};

/* Index of the '}' closing the '{' at s[open], or 0 when unbalanced. */
static size_t
brace_close(const char *s, size_t open, bool *has_comma)
{
	size_t i, depth = 0;

	*has_comma = false;
	for (i = open; s[i] != '\0'; i++) {
		if (s[i] == '\\' && s[i + 1] != '\0') {
			i++;
		} else if (s[i] == '{') {
			depth++;
		} else if (s[i] == '}' && --depth == 0) {
			return i;
		} else if (s[i] == ',' && depth == 1) {
			*has_comma = true;
		}
	}
	return 0;
}

/* Find the first expandable {a,b} group of s; false when none. */
static bool
brace_find(const char *s, size_t *open, size_t *close)
{
	size_t i;
	bool comma;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == '\\' && s[i + 1] != '\0') {
			i++;
			continue;
		}
		if (s[i] != '{')
			continue;
		*close = brace_close(s, i, &comma);
		if (*close == 0)
			return false;
		if (comma) {
			*open = i;
			return true;
		}
	}
	return false;
}

static int expand(const char *s, struct alts *a, unsigned depth);

/* Expand prefix + part + suffix. */
static int
expand_part(const char *s, size_t open, size_t start, size_t end, size_t close,
	    struct alts *a, unsigned depth)
{
	size_t plen = end - start, slen = strlen(s + close + 1);
	char *t = malloc(open + plen + slen + 1);
	int rc;

	if (t == NULL)
		return -ENOMEM;
	memcpy(t, s, open);
	memcpy(t + open, s + start, plen);
	memcpy(t + open + plen, s + close + 1, slen + 1);
	rc = expand(t, a, depth);
	free(t);
	return rc;
}

/*
 * Add every brace expansion of s to a; 0, 1 (too many), -ENOMEM. Every
 * group has two alternatives or more, so nesting deeper than log2 of
 * GLOB_ALTS_MAX already means too many: that bounds the recursion.
 */
static int
expand(const char *s, struct alts *a, unsigned level)
{
	size_t open, close, i, start, depth = 0;
	char **nv;
	int rc = 0;

	if (level > 8)
		return 1;
	if (!brace_find(s, &open, &close)) {
		if (a->n >= GLOB_ALTS_MAX)
			return 1;
		nv = realloc(a->v, (a->n + 1) * sizeof(*nv));
		if (nv == NULL)
			return -ENOMEM;
		a->v = nv;
		a->v[a->n] = strdup(s);
		if (a->v[a->n] == NULL)
			return -ENOMEM;
		a->n++;
		return 0;
	}
	for (i = start = open + 1; i <= close && rc == 0; i++) {
		if (s[i] == '\\' && i + 1 < close) {
			i++;
		} else if (s[i] == '{') {
			depth++;
		} else if (s[i] == '}' && depth > 0) {
			depth--;
		} else if ((s[i] == ',' && depth == 0) || i == close) {
			rc = expand_part(s, open, start, i, close, a,
					 level + 1);
			start = i + 1;
		}
	}
	return rc;
}

/* ---- compiled patterns ----------------------------------------------- */

/*
 * Split alternative s into '\0'-separated components in place: empty and
 * "." components dropped. Returns the number of components.
 */
static size_t
split_components(char *s)
{
	char *r = s, *w = s, *c;
	size_t n = 0, len;

	while (*r != '\0') {
		c = r;
		while (*r != '\0' && *r != '/')
			r++;
		len = (size_t)(r - c);
		if (*r == '/')
			r++;
		if (len == 0 || (len == 1 && c[0] == '.'))
			continue;
		memmove(w, c, len);
		w[len] = '\0';
		w += len + 1;
		n++;
	}
	if (n == 0)
		*s = '\0';
	return n;
}

int
tool_glob_compile(const char *pattern, struct tool_glob_pat *p,
		  struct tool_out *out)
{
	struct alts a = { NULL, 0 };
	size_t i, k;
	const char *c;
	int rc;

	memset(p, 0, sizeof(*p));
	if (pattern[0] == '\0')
		return tool_fail(out, "invalid input: \"pattern\" is empty");
	if (strlen(pattern) >= PATH_MAX)
		return tool_fail(out,
				 "invalid input: \"pattern\" is longer "
				 "than %d bytes",
				 PATH_MAX - 1);
	rc = expand(pattern, &a, 0);
	if (rc == 0 && (p->ncomps = calloc(a.n, sizeof(size_t))) == NULL)
		rc = -ENOMEM;
	p->alts = a.v;
	p->nalts = a.n;
	if (rc > 0)
		return tool_fail(out,
				 "pattern %s expands to more than %d "
				 "brace alternatives",
				 pattern, GLOB_ALTS_MAX);
	for (i = 0; rc == 0 && i < a.n; i++) {
		p->ncomps[i] = split_components(a.v[i]);
		if (p->ncomps[i] > p->max_depth)
			p->max_depth = (unsigned)p->ncomps[i];
		for (c = a.v[i], k = 0; k < p->ncomps[i]; k++) {
			if (strcmp(c, "**") == 0)
				p->globstar = true;
			c += strlen(c) + 1;
		}
	}
	return rc;
}

void
tool_glob_free(struct tool_glob_pat *p)
{
	size_t i;

	for (i = 0; p->alts != NULL && i < p->nalts; i++)
		free(p->alts[i]);
	free(p->alts);
	free(p->ncomps);
	memset(p, 0, sizeof(*p));
}

/* Match components pc[0..np) against path components sc[0..ns). */
static bool
match_comps(char *const *pc, size_t np, char *const *sc, size_t ns)
{
	size_t pi = 0, si = 0, star = SIZE_MAX, mark = 0;

	while (si < ns) {
		if (pi < np && strcmp(pc[pi], "**") == 0) {
			star = pi++;
			mark = si;
		} else if (pi < np && fnmatch(pc[pi], sc[si], 0) == 0) {
			pi++;
			si++;
		} else if (star != SIZE_MAX) {
			pi = star + 1;
			si = ++mark;
		} else {
			return false;
		}
	}
	while (pi < np && strcmp(pc[pi], "**") == 0)
		pi++;
	return pi == np;
}

/* Pointers to the components of alternative i, into v (room: max). */
static size_t
alt_comps(const struct tool_glob_pat *p, size_t i, char **v, size_t max)
{
	char *c = p->alts[i];
	size_t k, n = p->ncomps[i] < max ? p->ncomps[i] : max;

	for (k = 0; k < n; k++) {
		v[k] = c;
		c += strlen(c) + 1;
	}
	return n;
}

bool
tool_glob_match(const struct tool_glob_pat *p, const char *path)
{
	char buf[PATH_MAX], *sc[PATH_MAX / 2], *pc[PATH_MAX / 2];
	size_t len = strlen(path), ns, np, i, off;

	if (len >= sizeof(buf))
		return false;
	memcpy(buf, path, len + 1);
	ns = split_components(buf);
	for (i = 0, off = 0; i < ns; i++) {
		sc[i] = buf + off;
		off += strlen(buf + off) + 1;
	}
	for (i = 0; i < p->nalts; i++) {
		np = alt_comps(p, i, pc, PATH_MAX / 2);
		if (match_comps(pc, np, sc, ns))
			return true;
	}
	return false;
}

/* ---- the tree walk (shared with Grep) --------------------------------- */

struct walk_ent {
	const char *name;
	size_t off;
	unsigned char type;
};

struct walk_state {
	struct tool_glob_walk *w;
	bool halt;           /* a limit ended the walk */
	size_t sub_off;      /* where the base's part of path ends */
	char path[PATH_MAX]; /* the current entry, project-relative */
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
	struct tool_glob_walk *w = s->w;

	if (s->halt)
		return false;
	if (++w->visited > TOOL_GLOB_ENTRIES_MAX) {
		w->stopped = "the limit on entries visited";
		s->halt = true;
	} else if (w->deadline_ms && (w->visited & 255) == 0 &&
		   clock_now_ms() >= w->deadline_ms) {
		w->stopped = "the time limit";
		s->halt = true;
	}
	return !s->halt;
}

static int walk_dir(struct walk_state *s, int fd, size_t plen, unsigned depth);

/* Handle one entry of the directory dfd; s->path holds its path. */
static int
walk_one(struct walk_state *s, int dfd, const struct walk_ent *e, size_t plen,
	 unsigned depth)
{
	struct tool_glob_walk *w = s->w;
	struct tool_glob_ent we;
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
		if (w->max_depth == TOOL_GLOB_DEPTH_MAX)
			w->stopped = "the directory depth limit";
		return 0;
	}
	fd = pathres_openat2(dfd, e->name, O_RDONLY | O_DIRECTORY, 0,
			     PATHRES_RESOLVE_BENEATH |
				     PATHRES_RESOLVE_NO_SYMLINKS |
				     PATHRES_RESOLVE_NO_MAGICLINKS);
	if (fd < 0)
		return 0; /* unreadable or replaced: skip it */
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
tool_glob_walk_run(struct tool_glob_walk *w, int dirfd, const char *base_rel)
{
	struct walk_state *s;
	size_t blen = strlen(base_rel);
	int fd, rc;

	w->visited = 0;
	w->stopped = NULL;
	if (w->max_depth == 0 || w->max_depth > TOOL_GLOB_DEPTH_MAX)
		w->max_depth = TOOL_GLOB_DEPTH_MAX;
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

/* ---- the Glob tool --------------------------------------------------- */

struct hit {
	char *rel;
	struct timespec mtime;
};

struct glob_run {
	struct tool_glob_pat pat;
	struct hit best[GLOB_SHOW];
	size_t nbest;
	size_t matched;
};

int
tool_glob_newer_first(const struct timespec *ta, const char *ra,
		      const struct timespec *tb, const char *rb)
{
	if (ta->tv_sec != tb->tv_sec)
		return ta->tv_sec > tb->tv_sec ? -1 : 1;
	if (ta->tv_nsec != tb->tv_nsec)
		return ta->tv_nsec > tb->tv_nsec ? -1 : 1;
	return strcmp(ra, rb);
}

/* Newer first, then by name: negative when a sorts before b. */
static int
hit_cmp(const void *va, const void *vb)
{
	const struct hit *a = va, *b = vb;

	return tool_glob_newer_first(&a->mtime, a->rel, &b->mtime, b->rel);
}

/* Walk callback: keep the GLOB_SHOW newest matches. */
static int
on_entry(void *arg, const struct tool_glob_ent *e)
{
	struct glob_run *g = arg;
	struct hit h, *slot;
	struct stat st;
	size_t i, worst = 0;

	if (!tool_glob_match(&g->pat, e->sub))
		return 0;
	if (fstatat(e->dirfd, e->name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	g->matched++;
	h.rel = (char *)e->rel;
	h.mtime = st.st_mtim;
	if (g->nbest < GLOB_SHOW) {
		slot = &g->best[g->nbest];
	} else {
		for (i = 1; i < GLOB_SHOW; i++)
			if (hit_cmp(&g->best[i], &g->best[worst]) > 0)
				worst = i;
		if (hit_cmp(&h, &g->best[worst]) >= 0)
			return 0;
		slot = &g->best[worst];
		free(slot->rel);
	}
	slot->rel = strdup(e->rel);
	if (slot->rel == NULL)
		return -ENOMEM;
	slot->mtime = h.mtime;
	if (g->nbest < GLOB_SHOW)
		g->nbest++;
	return 0;
}

/* Write the reply from the kept matches. */
static int
report(struct glob_run *g, const struct tool_glob_walk *w, size_t limit,
       struct tool_out *out)
{
	struct tool_buf b;
	size_t i;
	int rc = 0;

	if (g->nbest > 1)
		qsort(g->best, g->nbest, sizeof(g->best[0]), hit_cmp);
	tool_buf_init(&b, limit);
	if (g->matched == 0)
		rc = tool_buf_printf(&b, "No files found\n");
	for (i = 0; rc == 0 && i < g->nbest; i++)
		rc = tool_buf_printf(&b, "%s\n", g->best[i].rel);
	if (rc == 0 && g->matched > g->nbest)
		rc = tool_buf_printf(&b,
				     "(%zu files matched; showing the %zu "
				     "most recently modified. Use a more "
				     "specific pattern or path.)\n",
				     g->matched, g->nbest);
	if (rc == 0 && w->stopped != NULL)
		rc = tool_buf_printf(&b,
				     "[search incomplete: stopped by %s "
				     "after %zu entries]\n",
				     w->stopped, w->visited);
	if (rc < 0) {
		tool_buf_free(&b);
		return rc;
	}
	return tool_buf_finish(&b, false, NULL, NULL, out);
}

/* Open the directory to search; *base gets its project-relative path. */
static int
open_base(const struct tool_ctx *ctx, const char *path, char *base,
	  size_t basesize, int *fd, struct tool_out *out)
{
	char err[TOOL_ERRLEN];
	int rc;

	rc = pathres_relative(ctx->project_dir, path, strlen(path), base,
			      basesize, err, sizeof(err));
	if (rc == 0)
		rc = pathres_open(ctx->project_fd, ctx->project_dir, path,
				  O_RDONLY | O_DIRECTORY, 0, fd, err,
				  sizeof(err));
	if (rc == -ENOTDIR)
		return tool_fail(out,
				 "%s is not a directory; \"path\" must "
				 "name the directory to search",
				 path);
	if (rc < 0)
		return tool_fail(out, "%s", err);
	tool_rel_tidy(base);
	return 0;
}

/* Parse the input; an absolute pattern becomes project-relative. */
static int
parse(const struct tool_ctx *ctx, const json_t *input, const char **pattern,
      const char **path, char *rel, size_t relsize, struct tool_out *out)
{
	char err[TOOL_ERRLEN];
	int rc;

	rc = tool_check_object(input, out);
	if (rc == 0)
		rc = tool_arg_text(input, "pattern", true, pattern, out);
	if (rc == 0)
		rc = tool_arg_text(input, "path", false, path, out);
	if (rc != 0 || (*pattern)[0] != '/')
		return rc;
	if (pathres_relative(ctx->project_dir, *pattern, strlen(*pattern), rel,
			     relsize, err, sizeof(err)) < 0)
		return tool_fail(out, "%s", err);
	*pattern = rel;
	*path = NULL;
	return 0;
}

int
tool_glob(const struct tool_ctx *ctx, const json_t *input, uint32_t timeout_ms,
	  struct tool_out *out)
{
	char base[PATH_MAX] = "", apat[PATH_MAX];
	const char *pattern = NULL, *path = NULL;
	struct tool_glob_walk w;
	struct glob_run *g = NULL;
	size_t i;
	int fd = -1, rc;

	rc = parse(ctx, input, &pattern, &path, apat, sizeof(apat), out);
	if (rc == 0)
		rc = open_base(ctx, path ? path : ".", base, sizeof(base), &fd,
			       out);
	if (rc != 0)
		return rc > 0 ? 0 : rc;
	g = calloc(1, sizeof(*g));
	rc = g ? tool_glob_compile(pattern, &g->pat, out) : -ENOMEM;
	if (rc != 0)
		goto out;
	memset(&w, 0, sizeof(w));
	w.fn = on_entry;
	w.arg = g;
	w.max_depth = g->pat.globstar ? 0 : g->pat.max_depth;
	w.deadline_ms = tool_deadline(timeout_ms ? timeout_ms :
						   GLOB_DEFAULT_BUDGET_MS);
	rc = tool_glob_walk_run(&w, fd, base[0] ? base : ".");
	if (rc == 0)
		rc = report(g, &w, tool_output_limit(ctx), out);
	else if (rc != -ENOMEM)
		rc = tool_fail(out, "cannot search %s: %s", path ? path : ".",
			       strerror(-rc));
out:
	if (g != NULL) {
		for (i = 0; i < g->nbest; i++)
			free(g->best[i].rel);
		tool_glob_free(&g->pat);
		free(g);
	}
	close(fd);
	return rc > 0 ? 0 : rc;
}
