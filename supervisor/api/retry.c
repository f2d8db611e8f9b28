/*
 * retry.c - retry rules; see retry.h for the design note.
 */
#include "supervisor/api/retry.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

void
retry_hints_init(struct retry_hints *h)
{
	memset(h, 0, sizeof(*h));
	h->should_retry = -1;
	h->retry_after_ms = -1;
	h->rl_remaining = -1;
}

time_t
retry_parse_rfc3339(const char *s)
{
	struct tm tm = { 0 };
	const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);

	if (!end)
		return 0;
	return timegm(&tm);
}

/* Copy the trimmed value of a header line into buf. */
static void
header_value(const char *line, size_t len, size_t name_len, char *buf,
	     size_t cap)
{
	size_t i = name_len + 1, n = 0;

	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	while (i < len && line[i] != '\r' && line[i] != '\n' && n + 1 < cap)
		buf[n++] = line[i++];
	while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	buf[n] = 0;
}

static bool
is_header(const char *line, size_t len, const char *name)
{
	size_t n = strlen(name);

	return len > n && line[n] == ':' && strncasecmp(line, name, n) == 0;
}

/* retry-after: a number of seconds, or an HTTP date (whole seconds: the
 * wait ends at the start of that second). */
static int64_t
parse_retry_after(const char *v, int64_t now_ms)
{
	char *end;
	double secs;
	time_t when;

	secs = strtod(v, &end);
	if (end != v && *end == 0 && secs >= 0 && secs < 86400.0 * 7)
		return (int64_t)(secs * 1000.0);
	when = curl_getdate(v, NULL);
	if (when < 0)
		return -1;
	/* + 1: now_ms and the loop's timers count whole milliseconds, so a
	 * wait of exactly the difference could end just before the date */
	return (int64_t)when * 1000 > now_ms ?
		       (int64_t)when * 1000 - now_ms + 1 :
		       0;
}

/* The bucket named name (len bytes), added when new; NULL when full. */
static struct retry_rl_bucket *
rl_bucket(struct retry_hints *h, const char *name, size_t len)
{
	struct retry_rl_bucket *b;

	if (len >= sizeof(h->rl[0].name))
		return NULL;
	for (size_t i = 0; i < h->n_rl; i++)
		if (strlen(h->rl[i].name) == len &&
		    strncasecmp(h->rl[i].name, name, len) == 0)
			return &h->rl[i];
	if (h->n_rl == RETRY_RL_BUCKETS)
		return NULL;
	b = &h->rl[h->n_rl++];
	memcpy(b->name, name, len);
	b->name[len] = 0;
	b->remaining = -1;
	b->reset = 0;
	return b;
}

/* rl_remaining and rl_reset from the buckets: a bucket's reset counts
 * only when that bucket is the one empty (its own, not another's). */
static void
rl_summarise(struct retry_hints *h)
{
	h->rl_remaining = -1;
	h->rl_reset = 0;
	for (size_t i = 0; i < h->n_rl; i++) {
		const struct retry_rl_bucket *b = &h->rl[i];

		if (b->remaining >= 0 &&
		    (h->rl_remaining < 0 || b->remaining < h->rl_remaining))
			h->rl_remaining = b->remaining;
		if (b->remaining == 0 && b->reset > h->rl_reset)
			h->rl_reset = b->reset;
	}
}

static void
parse_ratelimit(struct retry_hints *h, const char *line, size_t len,
		const char *v)
{
	static const char prefix[] = "anthropic-ratelimit-";
	const char *name_end = memchr(line, ':', len), *bucket;
	struct retry_rl_bucket *b;
	size_t name_len;
	char *end;
	long long n;

	if (!name_end || (size_t)(name_end - line) < sizeof(prefix) ||
	    strncasecmp(line, prefix, sizeof(prefix) - 1) != 0)
		return;
	bucket = line + sizeof(prefix) - 1;
	name_len = (size_t)(name_end - bucket);
	if (name_len > 10 &&
	    strncasecmp(name_end - 10, "-remaining", 10) == 0) {
		n = strtoll(v, &end, 10);
		b = rl_bucket(h, bucket, name_len - 10);
		if (b && end != v && n >= 0)
			b->remaining = n;
	} else if (name_len > 6 &&
		   strncasecmp(name_end - 6, "-reset", 6) == 0) {
		time_t t = retry_parse_rfc3339(v);

		b = rl_bucket(h, bucket, name_len - 6);
		if (b && t > 0)
			b->reset = t;
	}
	rl_summarise(h);
}

int64_t
retry_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
retry_parse_header(struct retry_hints *h, const char *line, size_t len,
		   int64_t now_ms)
{
	char v[256];
	char *end;
	long long ms;

	if (is_header(line, len, "retry-after-ms")) {
		header_value(line, len, 14, v, sizeof(v));
		ms = strtoll(v, &end, 10);
		if (end != v && ms >= 0)
			h->retry_after_ms = ms;
	} else if (is_header(line, len, "retry-after")) {
		header_value(line, len, 11, v, sizeof(v));
		if (h->retry_after_ms < 0) /* -ms wins when both come */
			h->retry_after_ms = parse_retry_after(v, now_ms);
	} else if (is_header(line, len, "x-should-retry")) {
		header_value(line, len, 14, v, sizeof(v));
		h->should_retry = strcasecmp(v, "true") == 0  ? 1 :
				  strcasecmp(v, "false") == 0 ? 0 :
								-1;
	} else if (is_header(line, len, "request-id")) {
		header_value(line, len, 10, h->request_id,
			     sizeof(h->request_id));
	} else {
		const char *colon = memchr(line, ':', len);

		if (!colon)
			return;
		header_value(line, len, (size_t)(colon - line), v, sizeof(v));
		parse_ratelimit(h, line, len, v);
	}
}

bool
retry_status_retryable(long status)
{
	return status == 408 || status == 409 || status == 429 || status >= 500;
}

uint64_t
retry_delay_ms(const struct retry_hints *h, unsigned n, double jitter)
{
	double s = 0.5;

	if (h->retry_after_ms >= 0)
		return (uint64_t)h->retry_after_ms;
	for (unsigned i = 0; i < n && s < 8.0; i++)
		s *= 2.0;
	if (s > 8.0)
		s = 8.0;
	if (jitter < 0 || jitter >= 1)
		jitter = 0;
	return (uint64_t)(s * (1.0 - 0.25 * jitter) * 1000.0);
}
