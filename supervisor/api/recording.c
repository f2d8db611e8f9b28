/*
 * recording.c - the recording directory, its conversations and their
 * calls. See recording.h; a line's encoding is in rec_line.c, request
 * deltas and the comparison in rec_match.c.
 */
#include "supervisor/api/recording.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/io.h"
#include "common/pathbuf.h"
#include "config.h"
#include "supervisor/api/rec_line.h"
#include "supervisor/api/rec_match.h"
#include "supervisor/core/wfault.h"

#define REC_MANIFEST "recording.json"
#define REC_MANIFEST_MAX (1u << 20)

struct rec {
	enum rec_mode mode;
	char dir[PATH_MAX];
	char created[32];
	json_t *units; /* record: {"unit", "repeat", "dir"} seen */
	unsigned calls, differences, failures;
	char first_failure[PATH_MAX + 160];
};

struct rec_conv {
	struct rec *rec;
	char *unit, *phase, *agent;
	int repeat;
	size_t phase_index;
	char path[PATH_MAX];
	int fd;     /* record: appended to, opened on the first call */
	off_t size; /* record: bytes of whole lines written */
	FILE *in;   /* replay: read line by line */
	unsigned line;
	unsigned turn; /* calls begun */
	struct rec_req prev;
	json_t *seen;                /* replay: tool_use_ids already reported */
	char broken[PATH_MAX + 320]; /* replay: why every next call misses */
};

struct rec_call {
	struct rec_conv *conv;
	unsigned turn;
	json_t *delta; /* record: the request */
	struct rec_attempt *att;
	size_t n_att;
	size_t body_total;
	bool failed;
	json_t *diffs; /* replay */
};

/* ---- the directory ----------------------------------------------- */

static int
write_manifest(const struct rec *r, bool complete)
{
	char path[PATH_MAX];
	json_t *m = json_pack("{s:i,s:s,s:s,s:b,s:I,s:O}", "format", REC_FORMAT,
			      "gao_dev_version", GAO_DEV_VERSION, "created",
			      r->created, "complete", complete, "calls",
			      (json_int_t)r->calls, "units", r->units);
	char *text;
	int rc;

	if (!m)
		return -ENOMEM;
	text = json_dumps(m, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(m);
	if (!text)
		return -ENOMEM;
	rc = pathbuf_fmt(path, sizeof(path), "%s/%s", r->dir, REC_MANIFEST);
	if (rc == 0)
		rc = io_write_file_atomic(path, text, strlen(text));
	free(text);
	return rc;
}

/* The missing parents of dir, as mkdir -p makes them (umask applies). */
static void
make_parents(const char *dir)
{
	char p[PATH_MAX];

	if (pathbuf_fmt(p, sizeof(p), "%s", dir) < 0)
		return;
	for (char *s = p + 1; (s = strchr(s, '/')); s++) {
		*s = 0;
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return; /* the mkdir of dir says why */
		*s = '/';
	}
}

/* Record: dir is new or empty; made 0700, with its missing parents. */
static int
make_dir(const char *dir, char *err, size_t errlen)
{
	struct stat st;
	int fd;

	make_parents(dir);
	if (mkdir(dir, 0700) == 0)
		return 0;
	if (errno != EEXIST || lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen,
			 "--record %s: cannot make the directory (%s); name "
			 "a new directory in a writable place",
			 dir,
			 errno == EEXIST ? "not a directory" : strerror(errno));
		return -1;
	}
	fd = io_open(dir, O_RDONLY | O_DIRECTORY, 0);
	if (fd >= 0) {
		DIR *d = fdopendir(fd);
		struct dirent *e;
		bool empty = true;

		while (d && (e = readdir(d)))
			if (strcmp(e->d_name, ".") != 0 &&
			    strcmp(e->d_name, "..") != 0)
				empty = false;
		if (d)
			closedir(d);
		else
			close(fd);
		if (empty && chmod(dir, 0700) == 0)
			return 0;
	}
	snprintf(err, errlen,
		 "--record %s: the directory is not empty (a recording is "
		 "never added to or overwritten); name a new directory",
		 dir);
	return -1;
}

/*
 * Replay: a file of the recording opened to read, no symlink followed and
 * never a FIFO or a device (opening one would block or worse): the fd,
 * or -errno (-EINVAL: not a regular file).
 */
static int
open_recorded(const char *path)
{
	struct stat st;
	int fd = io_open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, 0);

	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}

/* Replay: the manifest says this format. */
static int
check_manifest(const char *dir, char *err, size_t errlen)
{
	char path[PATH_MAX], *buf = NULL;
	json_t *m = NULL;
	size_t n = 0;
	int fd, e, rc = -1;

	fd = pathbuf_fmt(path, sizeof(path), "%s/%s", dir, REC_MANIFEST);
	if (fd == 0)
		fd = open_recorded(path);
	if (fd < 0) {
		snprintf(err, errlen,
			 "--replay %s: no %s (%s); name a directory that "
			 "--record wrote",
			 dir, REC_MANIFEST,
			 fd == -EINVAL ? "not a regular file" : strerror(-fd));
		return -1;
	}
	buf = io_read_file_fd(fd, REC_MANIFEST_MAX, &n, &e);
	close(fd);
	if (buf)
		m = json_loadb(buf, n, JSON_REJECT_DUPLICATES, NULL);
	if (!m || !json_is_object(m)) {
		snprintf(err, errlen,
			 "--replay %s: %s is not a JSON object of at most "
			 "%u bytes; record again",
			 dir, path, REC_MANIFEST_MAX);
		goto out;
	}
	if (!json_is_integer(json_object_get(m, "format")) ||
	    json_integer_value(json_object_get(m, "format")) != REC_FORMAT) {
		snprintf(err, errlen,
			 "--replay %s: %s: \"format\" must be %d (this "
			 "gao-dev's); record again with this version",
			 dir, path, REC_FORMAT);
		goto out;
	}
	rc = 0;
out:
	json_decref(m);
	free(buf);
	return rc;
}

struct rec *
rec_open(const char *dir, enum rec_mode mode, char *err, size_t errlen)
{
	struct rec *r = calloc(1, sizeof(*r));
	time_t now = time(NULL);
	struct tm tm;

	if (!r || !(r->units = json_array())) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	r->mode = mode;
	if (mode == REC_RECORD && make_dir(dir, err, errlen) < 0)
		goto fail;
	if (!realpath(dir, r->dir)) {
		snprintf(err, errlen, "--%s %s: %s",
			 mode == REC_RECORD ? "record" : "replay", dir,
			 strerror(errno));
		goto fail;
	}
	gmtime_r(&now, &tm);
	strftime(r->created, sizeof(r->created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (mode == REC_REPLAY && check_manifest(r->dir, err, errlen) < 0)
		goto fail;
	if (mode == REC_RECORD && write_manifest(r, false) < 0) {
		snprintf(err, errlen, "--record %s: cannot write %s (%s)", dir,
			 REC_MANIFEST, strerror(errno));
		goto fail;
	}
	return r;
fail:
	if (r)
		json_decref(r->units);
	free(r);
	return NULL;
}

int
rec_close(struct rec *r, bool complete, char *err, size_t errlen)
{
	int rc = 0;

	if (!r)
		return 0;
	if (r->mode == REC_RECORD) {
		if (write_manifest(r, complete && !r->failures) < 0 &&
		    !r->failures) {
			r->failures++;
			snprintf(r->first_failure, sizeof(r->first_failure),
				 "%s/%s: cannot write", r->dir, REC_MANIFEST);
		}
		if (r->failures) {
			snprintf(err, errlen,
				 "the recording %s is incomplete: %u "
				 "write(s) failed, the first: %s",
				 r->dir, r->failures, r->first_failure);
			rc = -1;
		}
	}
	json_decref(r->units);
	free(r);
	return rc;
}

enum rec_mode
rec_mode(const struct rec *r)
{
	return r->mode;
}

const char *
rec_dir(const struct rec *r)
{
	return r->dir;
}

unsigned
rec_differences(const struct rec *r)
{
	return r->differences;
}

unsigned
rec_calls(const struct rec *r)
{
	return r->calls;
}

/* ---- conversations ------------------------------------------------ */

/* s with every byte but [A-Za-z0-9._-] as '_', at most max bytes. */
static void
safe_name(char *out, size_t cap, const char *s, size_t max)
{
	size_t n = 0;

	for (; s[n] && n < max && n + 1 < cap; n++) {
		char ch = s[n];
		bool ok = (ch >= 'a' && ch <= 'z') ||
			  (ch >= 'A' && ch <= 'Z') ||
			  (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
			  ch == '-';

		out[n] = (char)(ok ? ch : '_');
	}
	out[n] = 0;
	if (out[0] == '.')
		out[0] = '_';
}

/*
 * The unit's directory name: readable, and unique through a hash of the
 * exact name ("a b" and "a_b" look alike once made safe).
 */
static void
unit_dir(char *out, size_t cap, const char *unit, int repeat)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	char safe[48];

	safe_name(safe, sizeof(safe), unit, 40);
	if (!EVP_Digest(unit, strlen(unit), md, &mdlen, EVP_sha256(), NULL))
		memset(md, 0, 4);
	snprintf(out, cap, "%s-r%d-%02x%02x%02x%02x", safe, repeat, md[0],
		 md[1], md[2], md[3]);
}

static void
note_unit(struct rec *r, const struct rec_conv *c, const char *dir)
{
	json_t *u;
	size_t i;

	json_array_foreach(r->units, i, u) {
		if (strcmp(json_string_value(json_object_get(u, "dir")), dir) ==
		    0)
			return;
	}
	json_array_append_new(r->units,
			      json_pack("{s:s,s:i,s:s}", "unit", c->unit,
					"repeat", c->repeat, "dir", dir));
}

struct rec_conv *
rec_conv_open(struct rec *r, const struct rec_key *key)
{
	struct rec_conv *c = calloc(1, sizeof(*c));
	char ud[96], ph[48], ag[32];

	if (!c)
		return NULL;
	c->rec = r;
	c->fd = -1;
	c->repeat = key->repeat;
	c->phase_index = key->phase_index;
	c->unit = strdup(key->unit);
	c->phase = strdup(key->phase);
	c->agent = strdup(key->agent);
	c->seen = json_object();
	if (!c->unit || !c->phase || !c->agent || !c->seen) {
		rec_conv_close(c);
		return NULL;
	}
	unit_dir(ud, sizeof(ud), key->unit, key->repeat);
	safe_name(ph, sizeof(ph), key->phase, 40);
	safe_name(ag, sizeof(ag), key->agent, 24);
	if (pathbuf_fmt(c->path, sizeof(c->path), "%s/%s/%03zu-%s-%s.jsonl",
			r->dir, ud, key->phase_index, ph, ag) < 0) {
		rec_conv_close(c);
		return NULL;
	}
	if (r->mode == REC_RECORD) {
		note_unit(r, c, ud);
	} else {
		int fd = open_recorded(c->path);

		c->in = fd >= 0 ? fdopen(fd, "r") : NULL;
		if (fd >= 0 && !c->in)
			close(fd);
		if (!c->in)
			snprintf(c->broken, sizeof(c->broken),
				 "the recording has no such conversation "
				 "(%s: %s)",
				 c->path,
				 fd == -EINVAL ?
					 "not a regular file" :
					 strerror(fd < 0 ? -fd : errno));
	}
	return c;
}

void
rec_conv_close(struct rec_conv *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	if (c->in)
		fclose(c->in);
	rec_req_clear(&c->prev);
	json_decref(c->seen);
	free(c->unit);
	free(c->phase);
	free(c->agent);
	free(c);
}

unsigned
rec_conv_turn(const struct rec_conv *c)
{
	return c->turn;
}

void
rec_conv_name(const struct rec_conv *c, char *buf, size_t cap)
{
	snprintf(buf, cap, "unit %s, repeat %d, phase %zu (%s), agent %s",
		 c->unit, c->repeat, c->phase_index + 1, c->phase, c->agent);
}

/* ---- calls ---------------------------------------------------------- */

static struct rec_call *
call_new(struct rec_conv *c)
{
	struct rec_call *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	k->conv = c;
	k->turn = c->turn + 1;
	k->diffs = json_array();
	if (!k->diffs) {
		free(k);
		return NULL;
	}
	return k;
}

static void
call_free(struct rec_call *k)
{
	for (size_t i = 0; i < k->n_att; i++)
		rec_line_attempt_clear(&k->att[i]);
	free(k->att);
	json_decref(k->delta);
	json_decref(k->diffs);
	free(k);
}

/* Replay: read, check and match the next line. */
static struct rec_call *
replay_next(struct rec_conv *c, const json_t *body, char *err, size_t errlen)
{
	struct rec_line_key want = {
		.unit = c->unit,
		.repeat = c->repeat,
		.phase_index = c->phase_index,
		.phase = c->phase,
		.agent = c->agent,
		.turn = c->turn + 1,
	};
	char why[256] = "";
	struct rec_call *k = call_new(c);
	json_t *delta = NULL;
	int rc;

	if (!k) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->line++;
	rc = rec_line_read(c->in, &want, &delta, &k->att, &k->n_att, why,
			   sizeof(why));
	if (rc == 0)
		rc = rec_match_apply(&c->prev, delta, why, sizeof(why));
	if (rc < 0) {
		snprintf(c->broken, sizeof(c->broken), "%s:%u: %s", c->path,
			 c->line, why);
		goto miss;
	}
	if (rc == REC_LINE_EOF) {
		snprintf(err, errlen,
			 "the recording ends after turn %u (%s): this run "
			 "asks for more",
			 c->turn, c->path);
		goto fail;
	}
	if (rec_match_compare(&c->prev, body, c->seen, k->diffs, why,
			      sizeof(why)) < 0) {
		snprintf(c->broken, sizeof(c->broken),
			 "the request differs from the recording: %s", why);
		goto miss;
	}
	json_decref(delta);
	c->turn++;
	c->rec->calls++;
	c->rec->differences += (unsigned)json_array_size(k->diffs);
	return k;
miss:
	snprintf(err, errlen, "%s", c->broken);
fail:
	json_decref(delta);
	call_free(k);
	return NULL;
}

struct rec_call *
rec_call_begin(struct rec_conv *c, const char *body, char *err, size_t errlen)
{
	json_t *b = json_loads(body, JSON_ALLOW_NUL, NULL);
	struct rec_call *k = NULL;

	if (!b) {
		snprintf(err, errlen, "the request is not JSON");
		return NULL;
	}
	if (c->rec->mode == REC_REPLAY) {
		if (c->broken[0])
			snprintf(err, errlen, "%s", c->broken);
		else
			k = replay_next(c, b, err, errlen);
		json_decref(b);
		return k;
	}
	k = call_new(c);
	if (k)
		k->delta = rec_match_delta(&c->prev, b);
	json_decref(b);
	if (!k || !k->delta) {
		snprintf(err, errlen, "out of memory");
		if (k)
			call_free(k);
		return NULL;
	}
	c->turn++;
	return k;
}

unsigned
rec_call_turn(const struct rec_call *k)
{
	return k->turn;
}

const json_t *
rec_call_differences(const struct rec_call *k)
{
	return k->diffs;
}

size_t
rec_call_n_attempts(const struct rec_call *k)
{
	return k->n_att;
}

const struct rec_attempt *
rec_call_attempt(const struct rec_call *k, size_t i)
{
	return i < k->n_att ? &k->att[i] : NULL;
}

int
rec_attempt_begin(struct rec_call *k)
{
	struct rec_attempt *p;

	if (k->failed || k->n_att == REC_MAX_ATTEMPTS) {
		k->failed = true;
		return -1;
	}
	p = realloc(k->att, (k->n_att + 1) * sizeof(*p));
	if (!p) {
		k->failed = true;
		return -1;
	}
	k->att = p;
	memset(&k->att[k->n_att++], 0, sizeof(*p));
	return 0;
}

static struct rec_attempt *
current(struct rec_call *k)
{
	return k->failed || !k->n_att ? NULL : &k->att[k->n_att - 1];
}

void
rec_attempt_header(struct rec_call *k, const char *line, size_t n)
{
	struct rec_attempt *a = current(k);
	char **h;

	if (!a || a->n_headers == REC_MAX_HEADERS ||
	    !rec_line_header_kept(line, n))
		return;
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	if (n > REC_MAX_HEADER_LINE)
		n = REC_MAX_HEADER_LINE;
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): pointers */
	h = realloc(a->headers, (a->n_headers + 1) * sizeof(*h));
	if (!h) {
		k->failed = true;
		return;
	}
	a->headers = h;
	h[a->n_headers] = strndup(line, n);
	if (!h[a->n_headers])
		k->failed = true;
	else
		a->n_headers++;
}

int
rec_attempt_body(struct rec_call *k, const char *p, size_t n)
{
	struct rec_attempt *a = current(k);
	char *b;

	if (!a)
		return -1;
	if (k->body_total + n > REC_MAX_BODIES) {
		k->failed = true;
		return -1;
	}
	b = realloc(a->body, a->body_len + n + 1);
	if (!b) {
		k->failed = true;
		return -1;
	}
	memcpy(b + a->body_len, p, n);
	a->body = b;
	a->body_len += n;
	a->body[a->body_len] = 0;
	k->body_total += n;
	return 0;
}

void
rec_attempt_end(struct rec_call *k, long status, int transport, bool overflow,
		enum rec_cut cut)
{
	struct rec_attempt *a = current(k);

	if (!a)
		return;
	a->status = status;
	a->transport = transport;
	a->overflow = overflow;
	a->cut = cut;
}

void
rec_attempt_delay(struct rec_call *k, uint64_t delay_ms)
{
	struct rec_attempt *a = current(k);

	if (a)
		a->delay_ms = delay_ms;
}

/* Record: the conversation's file, opened (its directory made) once. */
static int
conv_fd(struct rec_conv *c)
{
	char dir[PATH_MAX];
	char *slash;

	if (c->fd >= 0)
		return 0;
	snprintf(dir, sizeof(dir), "%s", c->path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = 0;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	c->fd = io_open_private(c->path, O_EXCL | O_APPEND);
	return c->fd < 0 ? c->fd : 0;
}

/* what: "cannot write" or "a call could not be kept" */
static void
record_failure(struct rec *r, const char *what, const char *path, int e)
{
	if (r->failures++ == 0)
		snprintf(r->first_failure, sizeof(r->first_failure),
			 "%s: %s (%s)", path, what, strerror(e));
}

int
rec_call_end(struct rec_call *k, const char *outcome, char *err, size_t errlen)
{
	struct rec_conv *c;
	struct rec_line_key key;
	char *line;
	int rc;

	if (!k)
		return 0;
	c = k->conv;
	if (c->rec->mode == REC_REPLAY) {
		call_free(k);
		return 0;
	}
	key = (struct rec_line_key){ c->unit,  c->repeat, c->phase_index,
				     c->phase, c->agent,  k->turn };
	line = k->failed ? NULL :
			   rec_line_encode(&key, k->delta, k->att, k->n_att,
					   outcome);
	if (!line) {
		record_failure(c->rec, "a call could not be kept", c->path,
			       k->failed ? EFBIG : ENOMEM);
		rc = -1;
	} else {
		rc = conv_fd(c);
		if (rc == 0)
			rc = -wfault_write(WFAULT_RECORDING);
		if (rc == 0) /* a part of a line is cut off again */
			rc = io_append_whole(c->fd, &c->size, line,
					     strlen(line));
		/* on disk before the run goes on: an API call takes seconds */
		if (rc == 0 && fdatasync(c->fd) < 0)
			rc = -errno;
		if (rc < 0)
			record_failure(c->rec, "cannot write", c->path, -rc);
		else
			c->rec->calls++;
	}
	if (rc < 0)
		snprintf(err, errlen, "--record: %s", c->rec->first_failure);
	free(line);
	call_free(k);
	return rc < 0 ? -1 : 0;
}

void
rec_call_drop(struct rec_call *k)
{
	if (k)
		call_free(k);
}
