/*
 * uidmap.c - see uidmap.h.
 */
#include "supervisor/sandbox/uidmap.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "common/io.h"

#define UIDMAP_FILE_MAX 16384 /* 340 lines of three 10-digit numbers */
#define UIDMAP_MAX_SPANS 1024
#define UIDMAP_TRIES 16

/* One decimal field of a map line; advances *p. */
static int
parse_u32(const char **p, const char *end, uint32_t *out)
{
	uint64_t v = 0;
	const char *s = *p;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	if (s >= end || *s < '0' || *s > '9')
		return -1;
	while (s < end && *s >= '0' && *s <= '9') {
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > UINT32_MAX)
			return -1;
		s++;
	}
	*out = (uint32_t)v;
	*p = s;
	return 0;
}

int
uidmap_parse(const char *text, size_t len, struct uidmap *m)
{
	const char *p = text, *end = text + len;

	m->n = 0;
	while (p < end) {
		struct uidmap_extent e;

		while (p < end && (*p == ' ' || *p == '\t' || *p == '\n'))
			p++;
		if (p >= end)
			break;
		if (m->n >= UIDMAP_MAX_LINES ||
		    parse_u32(&p, end, &e.inside) < 0 ||
		    parse_u32(&p, end, &e.outside) < 0 ||
		    parse_u32(&p, end, &e.count) < 0 || e.count == 0 ||
		    (uint64_t)e.inside + e.count > (uint64_t)UINT32_MAX + 1)
			return -1;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p < end && *p != '\n')
			return -1;
		m->e[m->n++] = e;
	}
	return 0;
}

bool
uidmap_covers(const struct uidmap *m, uint32_t first, uint32_t count)
{
	uint64_t at = first, stop = (uint64_t)first + count;

	/* extents never overlap (the kernel refuses that), so walk forward */
	while (at < stop) {
		bool found = false;

		for (int i = 0; i < m->n; i++) {
			const struct uidmap_extent *e = &m->e[i];

			if (at >= e->inside &&
			    at < (uint64_t)e->inside + e->count) {
				at = (uint64_t)e->inside + e->count;
				found = true;
				break;
			}
		}
		if (!found)
			return false;
	}
	return true;
}

struct span {
	uint64_t lo, hi; /* [lo, hi) */
};

/* The ids both maps list, within the allowed ranges: at most cap spans. */
static size_t
candidate_spans(const struct uidmap *u, const struct uidmap *g,
		struct span *out, size_t cap)
{
	static const struct span allowed[] = {
		{ UIDMAP_MIN_ID, 65534 },
		{ 65536, UINT32_MAX }, /* (uid_t)-1 is never an id */
	};
	size_t n = 0;

	for (int i = 0; i < u->n; i++) {
		for (int j = 0; j < g->n; j++) {
			const struct uidmap_extent *a = &u->e[i], *b = &g->e[j];
			uint64_t lo = a->inside > b->inside ? a->inside :
							      b->inside;
			uint64_t ahi = (uint64_t)a->inside + a->count;
			uint64_t bhi = (uint64_t)b->inside + b->count;
			uint64_t hi = ahi < bhi ? ahi : bhi;

			for (size_t k = 0; k < 2 && lo < hi; k++) {
				uint64_t l = lo > allowed[k].lo ? lo :
								  allowed[k].lo;
				uint64_t h = hi < allowed[k].hi ? hi :
								  allowed[k].hi;

				if (l < h && n < cap)
					out[n++] = (struct span){ l, h };
			}
		}
	}
	return n;
}

int
uidmap_pick(const struct uidmap *u, const struct uidmap *g, const uint32_t *rnd,
	    size_t n_rnd, uidmap_taken_fn taken, void *arg, uid_t *out)
{
	struct span *spans;
	uint64_t total = 0;
	size_t n;
	int rc = 0;

	if (n_rnd == 0)
		return 0;
	if (uidmap_covers(u, UIDMAP_BASE, UIDMAP_SPAN) &&
	    uidmap_covers(g, UIDMAP_BASE, UIDMAP_SPAN)) {
		*out = (uid_t)(UIDMAP_BASE + (rnd[0] & (UIDMAP_SPAN - 1)));
		return 1;
	}
	spans = calloc(UIDMAP_MAX_SPANS, sizeof(*spans));
	if (!spans)
		return 0;
	n = candidate_spans(u, g, spans, UIDMAP_MAX_SPANS);
	for (size_t i = 0; i < n; i++)
		total += spans[i].hi - spans[i].lo;
	for (size_t t = 0; t < n_rnd && total > 0 && rc == 0; t++) {
		uint64_t k = rnd[t] % total;

		for (size_t i = 0; i < n; i++) {
			uint64_t len = spans[i].hi - spans[i].lo;

			if (k >= len) {
				k -= len;
				continue;
			}
			if (!taken ||
			    !taken((uint32_t)(spans[i].lo + k), arg)) {
				*out = (uid_t)(spans[i].lo + k);
				rc = 1;
			}
			break;
		}
	}
	free(spans);
	return rc;
}

static bool
taken_by_account(uint32_t id, void *arg)
{
	(void)arg;
	return getpwuid((uid_t)id) != NULL || getgrgid((gid_t)id) != NULL;
}

static int
load(const char *path, struct uidmap *m, char *why, size_t whylen)
{
	char *buf = malloc(UIDMAP_FILE_MAX);
	ssize_t n = -1;
	int fd, rc = -1;

	if (!buf) {
		snprintf(why, whylen, "%s: out of memory", path);
		return -1;
	}
	fd = io_open(path, O_RDONLY | O_CLOEXEC, 0);
	if (fd >= 0) {
		n = io_read_all(fd, buf, UIDMAP_FILE_MAX);
		close(fd);
	}
	if (n < 0)
		snprintf(why, whylen, "cannot read %s: %s", path,
			 strerror(errno));
	else if (n >= UIDMAP_FILE_MAX || uidmap_parse(buf, (size_t)n, m) < 0)
		snprintf(why, whylen, "%s: not a uid/gid map", path);
	else
		rc = 0;
	free(buf);
	return rc;
}

int
uidmap_run_uid(uid_t *out, char *why, size_t whylen)
{
	struct uidmap *u = NULL, *g = NULL;
	uint32_t rnd[UIDMAP_TRIES];
	int rc = -1;

	*out = geteuid();
	if (*out != 0) {
		snprintf(why, whylen, "not root: workers run as the caller");
		return 0;
	}
	u = calloc(1, sizeof(*u));
	g = calloc(1, sizeof(*g));
	if (!u || !g) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	if (load("/proc/self/uid_map", u, why, whylen) < 0 ||
	    load("/proc/self/gid_map", g, why, whylen) < 0)
		goto out;
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		snprintf(why, whylen, "getrandom: %s", strerror(errno));
		goto out;
	}
	rc = uidmap_pick(u, g, rnd, UIDMAP_TRIES, taken_by_account, NULL, out);
	if (rc == 0)
		snprintf(why, whylen,
			 "no unused uid and gid besides root's are mapped in "
			 "this user namespace (/proc/self/uid_map): workers "
			 "keep uid 0 with every capability dropped; map a "
			 "range of ids into the container for per-run uids");
out:
	free(u);
	free(g);
	return rc;
}
