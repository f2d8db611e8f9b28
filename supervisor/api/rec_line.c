/*
 * rec_line.c - a recorded call's line, encoded and read back as hostile
 * input. See rec_line.h.
 */
#include "supervisor/api/rec_line.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/utf8.h"

#define REC_MAX_STATUS 999
#define REC_MAX_TRANSPORT 1000     /* curl's codes are below */
#define REC_MAX_DELAY_MS 86400000u /* a day */

bool
rec_line_header_kept(const char *line, size_t n)
{
	static const char *const kept[] = {
		"request-id:",     "retry-after:",  "retry-after-ms:",
		"x-should-retry:", "content-type:", "anthropic-ratelimit-",
	};

	for (size_t i = 0; i < sizeof(kept) / sizeof(*kept); i++) {
		size_t k = strlen(kept[i]);

		if (n >= k && strncasecmp(line, kept[i], k) == 0)
			return true;
	}
	return false;
}

static json_t *
hex_of(const char *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char *h = malloc(2 * n + 1);
	json_t *s;

	if (!h)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		h[2 * i] = digits[(unsigned char)p[i] >> 4];
		h[2 * i + 1] = digits[(unsigned char)p[i] & 15];
	}
	h[2 * n] = 0;
	s = json_stringn(h, 2 * n);
	free(h);
	return s;
}

/* The words of enum rec_cut in a line; index REC_CUT_NONE is never one. */
static const char *const cut_words[] = {
	[REC_CUT_HEADERS_TOO_LARGE] = "headers_too_large",
	[REC_CUT_HEADER_TIMEOUT] = "header_timeout",
};

static json_t *
attempt_json(const struct rec_attempt *a)
{
	json_t *o = json_pack("{s:I,s:i,s:[],s:b,s:I}", "status",
			      (json_int_t)a->status, "transport", a->transport,
			      "headers", "overflow", a->overflow, "delay_ms",
			      (json_int_t)a->delay_ms);
	json_t *hs = json_object_get(o, "headers");
	const char *body = a->body ? a->body : "";
	bool text = utf8_valid(body, a->body_len) &&
		    memchr(body, 0, a->body_len) == NULL;

	if (!o)
		return NULL;
	if (a->cut != REC_CUT_NONE &&
	    json_object_set_new(o, "cut", json_string(cut_words[a->cut])) < 0) {
		json_decref(o);
		return NULL;
	}
	for (size_t i = 0; i < a->n_headers; i++)
		json_array_append_new(hs, json_string(a->headers[i]));
	if (json_object_set_new(o, text ? "body" : "body_hex",
				text ? json_stringn(body, a->body_len) :
				       hex_of(body, a->body_len)) < 0 ||
	    json_array_size(hs) != a->n_headers) {
		json_decref(o);
		return NULL;
	}
	return o;
}

char *
rec_line_encode(const struct rec_line_key *key, const json_t *delta,
		const struct rec_attempt *att, size_t n_att,
		const char *outcome)
{
	json_t *o = json_pack("{s:s,s:i,s:I,s:s,s:s,s:I,s:O,s:[],s:s}", "unit",
			      key->unit, "repeat", key->repeat, "phase_index",
			      (json_int_t)key->phase_index, "phase", key->phase,
			      "agent", key->agent, "turn",
			      (json_int_t)key->turn, "request", delta,
			      "attempts", "outcome", outcome);
	json_t *arr = json_object_get(o, "attempts");
	char *text, *line = NULL;
	size_t n;

	if (!o)
		return NULL;
	for (size_t i = 0; i < n_att; i++)
		if (json_array_append_new(arr, attempt_json(&att[i])) < 0)
			goto out;
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	if (!text)
		goto out;
	n = strlen(text);
	line = realloc(text, n + 2);
	if (!line) {
		free(text);
		goto out;
	}
	line[n] = '\n';
	line[n + 1] = 0;
out:
	json_decref(o);
	return line;
}

void
rec_line_attempt_clear(struct rec_attempt *a)
{
	for (size_t i = 0; i < a->n_headers; i++)
		free(a->headers[i]);
	free(a->headers);
	free(a->body);
	memset(a, 0, sizeof(*a));
}

/* One line, at most REC_MAX_LINE bytes: 0, REC_LINE_EOF or -1. */
static int
read_line(FILE *in, char **out, size_t *len, char *err, size_t errlen)
{
	size_t cap = 0, n = 0;
	char *buf = NULL;
	int ch;

	while ((ch = getc(in)) != EOF && ch != '\n') {
		if (n == REC_MAX_LINE) {
			snprintf(err, errlen,
				 "the line is longer than %u bytes",
				 REC_MAX_LINE);
			free(buf);
			return -1;
		}
		if (n + 1 >= cap) {
			char *b = realloc(buf, cap ? cap * 2 : 4096);

			if (!b) {
				free(buf);
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			buf = b;
			cap = cap ? cap * 2 : 4096;
		}
		buf[n++] = (char)ch;
	}
	if (ch == EOF && n == 0) {
		free(buf);
		if (ferror(in)) {
			snprintf(err, errlen, "cannot read the file");
			return -1;
		}
		return REC_LINE_EOF;
	}
	if (ch == EOF) {
		free(buf);
		snprintf(err, errlen, "the last line has no newline (cut)");
		return -1;
	}
	*out = buf;
	*len = n;
	return 0;
}

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The body of attempt o into a (text or hex). */
static int
read_body(const json_t *o, struct rec_attempt *a, size_t *total)
{
	const json_t *t = json_object_get(o, "body");
	const json_t *h = json_object_get(o, "body_hex");
	size_t n;

	if ((t && h) || (!t && !h) || (t && !json_is_string(t)) ||
	    (h && !json_is_string(h)))
		return -1;
	n = t ? json_string_length(t) : json_string_length(h) / 2;
	if (*total + n > REC_MAX_BODIES || (h && json_string_length(h) % 2))
		return -1;
	a->body = malloc(n + 1);
	if (!a->body)
		return -1;
	if (t) {
		memcpy(a->body, json_string_value(t), n);
	} else {
		const char *s = json_string_value(h);

		for (size_t i = 0; i < n; i++) {
			int hi = hex_digit(s[2 * i]),
			    lo = hex_digit(s[2 * i + 1]);

			if (hi < 0 || lo < 0)
				return -1;
			a->body[i] = (char)(hi << 4 | lo);
		}
	}
	a->body[n] = 0;
	a->body_len = n;
	*total += n;
	return 0;
}

static bool
int_in(const json_t *v, json_int_t lo, json_int_t hi)
{
	return json_is_integer(v) && json_integer_value(v) >= lo &&
	       json_integer_value(v) <= hi;
}

/* An attempt's optional "cut": absent, or one of cut_words. */
static int
read_cut(const json_t *v, enum rec_cut *cut)
{
	*cut = REC_CUT_NONE;
	if (!v)
		return 0;
	for (size_t i = 0; i < sizeof(cut_words) / sizeof(cut_words[0]); i++)
		if (cut_words[i] && json_is_string(v) &&
		    strcmp(json_string_value(v), cut_words[i]) == 0) {
			*cut = (enum rec_cut)i;
			return 0;
		}
	return -1;
}

/* Attempt o into a: -1 names nothing (the caller names the attempt). */
static int
read_attempt(const json_t *o, struct rec_attempt *a, size_t *total,
	     const char **field)
{
	const json_t *hs = json_object_get(o, "headers");
	const json_t *ov = json_object_get(o, "overflow");
	const json_t *h;
	size_t i;

	*field = "status";
	if (!json_is_object(o) ||
	    !int_in(json_object_get(o, "status"), 0, REC_MAX_STATUS))
		return -1;
	a->status = (long)json_integer_value(json_object_get(o, "status"));
	*field = "transport";
	if (!int_in(json_object_get(o, "transport"), 0, REC_MAX_TRANSPORT))
		return -1;
	a->transport = (int)json_integer_value(json_object_get(o, "transport"));
	*field = "delay_ms";
	if (!int_in(json_object_get(o, "delay_ms"), 0, REC_MAX_DELAY_MS))
		return -1;
	a->delay_ms = (uint64_t)json_integer_value(
		json_object_get(o, "delay_ms"));
	*field = "overflow";
	if (ov && !json_is_boolean(ov))
		return -1;
	a->overflow = json_is_true(ov);
	*field = "cut";
	if (read_cut(json_object_get(o, "cut"), &a->cut) < 0)
		return -1;
	*field = "headers";
	if (!json_is_array(hs) || json_array_size(hs) > REC_MAX_HEADERS)
		return -1;
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): pointers */
	a->headers = calloc(json_array_size(hs) + 1, sizeof(char *));
	if (!a->headers)
		return -1;
	json_array_foreach(hs, i, h) {
		const char *s = json_string_value(h);

		if (!s || json_string_length(h) > REC_MAX_HEADER_LINE ||
		    strlen(s) != json_string_length(h) || strpbrk(s, "\r\n") ||
		    !rec_line_header_kept(s, strlen(s)))
			return -1;
		a->headers[a->n_headers] = strdup(s);
		if (!a->headers[a->n_headers])
			return -1;
		a->n_headers++;
	}
	*field = "body";
	return read_body(o, a, total);
}

static bool
str_is(const json_t *v, const char *want)
{
	return json_is_string(v) && strcmp(json_string_value(v), want) == 0;
}

/* The key fields must name the call expected. */
static int
check_key(const json_t *o, const struct rec_line_key *w, char *err,
	  size_t errlen)
{
	const char *bad = NULL;

	if (!str_is(json_object_get(o, "unit"), w->unit))
		bad = "unit";
	else if (!int_in(json_object_get(o, "repeat"), w->repeat, w->repeat))
		bad = "repeat";
	else if (!int_in(json_object_get(o, "phase_index"),
			 (json_int_t)w->phase_index,
			 (json_int_t)w->phase_index))
		bad = "phase_index";
	else if (!str_is(json_object_get(o, "phase"), w->phase))
		bad = "phase";
	else if (!str_is(json_object_get(o, "agent"), w->agent))
		bad = "agent";
	else if (!int_in(json_object_get(o, "turn"), w->turn, w->turn))
		bad = "turn";
	else if (!json_is_string(json_object_get(o, "outcome")))
		bad = "outcome";
	if (!bad)
		return 0;
	snprintf(err, errlen,
		 "\"%s\" is not the one expected here (turn %u of this "
		 "conversation)",
		 bad, w->turn);
	return -1;
}

static int
read_attempts(const json_t *arr, struct rec_attempt **att, size_t *n_att,
	      char *err, size_t errlen)
{
	size_t n = json_array_size(arr), total = 0;
	const char *field = "";

	if (!json_is_array(arr) || n == 0 || n > REC_MAX_ATTEMPTS) {
		snprintf(err, errlen,
			 "\"attempts\" must be an array of 1 to %d attempts",
			 REC_MAX_ATTEMPTS);
		return -1;
	}
	*att = calloc(n, sizeof(**att));
	if (!*att) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (*n_att = 0; *n_att < n; (*n_att)++) {
		if (read_attempt(json_array_get(arr, *n_att), &(*att)[*n_att],
				 &total, &field) < 0) {
			snprintf(err, errlen,
				 "\"attempts\"[%zu].\"%s\" is missing, of "
				 "the wrong type or out of bounds",
				 *n_att, field);
			(*n_att)++; /* the partial one is cleared too */
			return -1;
		}
	}
	return 0;
}

int
rec_line_read(FILE *in, const struct rec_line_key *want, json_t **delta,
	      struct rec_attempt **att, size_t *n_att, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	json_error_t je;
	json_t *o;
	int rc;

	*delta = NULL;
	*att = NULL;
	*n_att = 0;
	rc = read_line(in, &buf, &len, err, errlen);
	if (rc != 0)
		return rc;
	o = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
	free(buf);
	if (!json_is_object(o)) {
		snprintf(err, errlen, "not a JSON object (%s)",
			 o ? "another JSON value" : je.text);
		json_decref(o);
		return -1;
	}
	rc = check_key(o, want, err, errlen);
	if (rc == 0 && !json_is_object(json_object_get(o, "request"))) {
		snprintf(err, errlen, "\"request\" is not an object");
		rc = -1;
	}
	if (rc == 0)
		rc = read_attempts(json_object_get(o, "attempts"), att, n_att,
				   err, errlen);
	if (rc == 0)
		*delta = json_incref(json_object_get(o, "request"));
	if (rc < 0 && *att) {
		for (size_t i = 0; i < *n_att; i++)
			rec_line_attempt_clear(&(*att)[i]);
		free(*att);
		*att = NULL;
		*n_att = 0;
	}
	json_decref(o);
	return rc;
}
