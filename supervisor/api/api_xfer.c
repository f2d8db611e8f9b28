/*
 * api_xfer.c - one attempt's transfer: curl's options and callbacks, and
 * the bounds on what comes in.
 *
 * Design note
 * -----------
 * Every byte of a response enters the supervisor through on_header and
 * on_write, and each is bounded before it is kept: an error body to
 * API_ERRBODY_MAX, a plain 200 body to RESPONSE_MAX_BODY, one SSE event
 * to API_SSE_EVENT_MAX (the parser refuses more). A callback that refuses
 * returns short, curl ends the transfer (CURLE_WRITE_ERROR) and the call
 * keeps the reason for api_judge.c.
 *
 * Time is bounded by the idle timeout (--idle-timeout): on_progress, which
 * curl calls about once a second, ends an attempt that has received no
 * byte for that long (CURLE_ABORTED_BY_CALLBACK, judged a timeout; a plain
 * answer's first byte may take 10 minutes: idle_limit_ms). Exact
 * to a second, where curl's own low-speed check averages over a window and
 * ends it up to twice as late (CURLOPT_LOW_SPEED_* stays as a backstop).
 * The headers have a deadline of their own: once the status line came,
 * the blank line that ends them must come within the idle timeout too,
 * however steadily header lines trickle in; and they are bounded in size
 * (API_HEADERS_MAX, all lines together). A header block that never ends
 * is thus cut by size when it comes fast and by time when it comes slowly.
 *
 * Recording (--record) sees each header line and body chunk before it is
 * judged, so that a replay feeds the same bytes to the same code.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "supervisor/api/api_call.h"

void
api_xfer_free_headers(struct curl_slist *h)
{
	for (struct curl_slist *p = h; p; p = p->next)
		explicit_bzero(p->data, strlen(p->data));
	curl_slist_free_all(h);
}

static size_t
append_raw(struct api_call *c, const char *p, size_t n)
{
	if (c->raw_len + n > c->raw_max) {
		c->overflow = true;
		return 0; /* makes curl fail the transfer: CURLE_WRITE_ERROR */
	}
	if (!c->raw || c->raw_len + n + 1 > c->raw_cap) {
		size_t cap = (c->raw_len + n + 1) * 2;
		char *q = realloc(c->raw, cap);

		if (!q)
			return 0;
		c->raw = q;
		c->raw_cap = cap;
	}
	memcpy(c->raw + c->raw_len, p, n);
	c->raw_len += n;
	c->raw[c->raw_len] = 0;
	return n;
}

/*
 * How long an attempt may receive nothing. A plain (not streamed) answer
 * sends no byte until the model has written all of it, which at 16,000
 * output tokens takes minutes: until its first byte it gets at least
 * API_PLAIN_FIRST_BYTE_S (what the SDKs allow such a request).
 */
static uint64_t
idle_limit_ms(const struct api_call *c)
{
	uint64_t s = (uint64_t)c->api->cfg.idle_timeout_s;

	if (!c->api->cfg.stream && !c->is_get && !c->header_start &&
	    s < API_PLAIN_FIRST_BYTE_S)
		s = API_PLAIN_FIRST_BYTE_S;
	return s * 1000u;
}

/* Called by curl about once a second: the idle timeout and the header
 * deadline (design note). */
static int
on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
	    curl_off_t ulnow)
{
	struct api_call *c = ud;
	uint64_t now = loop_now_ms(), limit = idle_limit_ms(c);

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	if (c->header_start && !c->headers_done &&
	    now - c->header_start >= limit) {
		c->header_timeout = true;
		return 1;
	}
	return now - c->last_byte >= limit ? 1 : 0;
}

size_t
api_xfer_take_body(struct api_call *c, const char *p, size_t n, long status)
{
	if (!c->sse && !c->raw) {
		c->is_sse = status == 200 && c->api->cfg.stream && !c->is_get;
		c->raw_max = status == 200 ? RESPONSE_MAX_BODY :
					     API_ERRBODY_MAX;
		if (c->is_sse) {
			c->sse = sse_new(API_SSE_EVENT_MAX);
			c->stream = stream_new();
			if (!c->sse || !c->stream)
				return 0;
		}
	}
	if (!c->is_sse)
		return append_raw(c, p, n);
	/* a stream error stops the transfer; the judge reads the reason */
	c->sse_error = sse_feed(c->sse, p, n, stream_on_sse, c->stream);
	return c->sse_error == 0 ? n : 0;
}

static size_t
on_write(char *p, size_t size, size_t nmemb, void *ud)
{
	struct api_call *c = ud;
	size_t n = size * nmemb;
	long status = 0;

	c->last_byte = loop_now_ms();
	curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
	/* kept before it is judged: a replay feeds the same bytes */
	if (c->rc && rec_attempt_body(c->rc, p, n) < 0)
		return 0;
	return api_xfer_take_body(c, p, n, status);
}

static size_t
on_header(char *p, size_t size, size_t nmemb, void *ud)
{
	struct api_call *c = ud;
	size_t n = size * nmemb;

	c->last_byte = loop_now_ms();
	if (!c->header_start || (n > 5 && memcmp(p, "HTTP/", 5) == 0)) {
		/* a status line: a new header block (after a 1xx) */
		c->header_start = c->last_byte;
		c->headers_done = false;
	}
	c->header_bytes += n;
	if (c->header_bytes > API_HEADERS_MAX) {
		c->headers_too_large = true;
		return 0; /* curl ends the transfer */
	}
	if ((n == 2 && p[0] == '\r' && p[1] == '\n') ||
	    (n == 1 && p[0] == '\n'))
		c->headers_done = true;
	retry_parse_header(&c->hints, p, n, retry_now_ms());
	if (c->rc)
		rec_attempt_header(c->rc, p, n);
	return n;
}

static struct curl_slist *
make_headers(struct api_call *c)
{
	struct curl_slist *h = NULL, *t;
	const char *lines[] = {
		c->api->key_hdr,
		c->api->version_hdr,
		"content-type: application/json",
		"accept: application/json",
		("user-agent: gao-dev/" GAO_DEV_VERSION),
		"expect:",
	};

	for (size_t i = 0; i < sizeof(lines) / sizeof(*lines) + 1; i++) {
		const char *line = i < sizeof(lines) / sizeof(*lines) ?
					   lines[i] :
					   c->api->beta_hdr;

		if (!line)
			break;
		t = curl_slist_append(h, line);
		if (!t) {
			api_xfer_free_headers(h);
			return NULL;
		}
		h = t;
	}
	return h;
}

int
api_xfer_setup(struct api_call *c)
{
	const struct api_config *cfg = &c->api->cfg;
	CURL *e = curl_easy_init();

	c->easy = e;
	c->hdrs = make_headers(c);
	if (!e || !c->hdrs)
		return -ENOMEM;
	curl_easy_setopt(e, CURLOPT_URL, c->url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, c->hdrs);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, cfg->connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME,
			 (long)(cfg->idle_timeout_s < API_PLAIN_FIRST_BYTE_S ?
					API_PLAIN_FIRST_BYTE_S :
					cfg->idle_timeout_s) *
				 2);
	curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(e, CURLOPT_XFERINFODATA, c);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, c);
	curl_easy_setopt(e, CURLOPT_PRIVATE, c);
	c->curl_err[0] = '\0';
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->curl_err);
	if (!c->is_get) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, c->body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)strlen(c->body));
	}
	return 0;
}
