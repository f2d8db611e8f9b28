/*
 * base_url.c - may the API key travel to this base URL? See base_url.h.
 */
#include "supervisor/api/base_url.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

/* The host part as curl will connect to it: loopback only. */
static bool
host_is_loopback(const char *host)
{
	struct in_addr a4;

	if (!strcasecmp(host, "localhost") || !strcmp(host, "[::1]"))
		return true;
	if (inet_pton(AF_INET, host, &a4) != 1)
		return false;
	return (ntohl(a4.s_addr) >> 24) == 127;
}

/* Whether the URL has the part (curl says "no such part" otherwise). */
static bool
has_part(CURLU *u, CURLUPart part)
{
	char *v = NULL;
	bool has = curl_url_get(u, part, &v, 0) == CURLUE_OK && v && *v;

	curl_free(v);
	return has;
}

static bool
check_parsed(CURLU *u, const char *url, char *why, size_t whylen)
{
	char *scheme = NULL, *host = NULL;
	bool ok = false;

	if (has_part(u, CURLUPART_USER) || has_part(u, CURLUPART_PASSWORD) ||
	    has_part(u, CURLUPART_OPTIONS)) {
		snprintf(
			why, whylen,
			"ANTHROPIC_BASE_URL holds a user name or password "
			"(before an @); give only scheme://host[:port][/path]");
		return false;
	}
	if (has_part(u, CURLUPART_QUERY) || has_part(u, CURLUPART_FRAGMENT)) {
		snprintf(why, whylen,
			 "ANTHROPIC_BASE_URL %s has a query or fragment (? or "
			 "#); give only scheme://host[:port][/path]",
			 url);
		return false;
	}
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		snprintf(why, whylen,
			 "ANTHROPIC_BASE_URL %s names no host; give "
			 "scheme://host[:port][/path]",
			 url);
		goto out;
	}
	ok = strcasecmp(scheme, "https") == 0 ||
	     (strcasecmp(scheme, "http") == 0 && host_is_loopback(host));
	if (ok)
		goto out;
	if (strcasecmp(scheme, "http") != 0)
		snprintf(why, whylen,
			 "ANTHROPIC_BASE_URL %s: the scheme must be https (or "
			 "http to this machine)",
			 url);
	else
		snprintf(
			why, whylen,
			"ANTHROPIC_BASE_URL %s: the key is only sent over "
			"https, or over http to a loopback address (127.x.y.z, "
			"::1, localhost); use https",
			url);
out:
	curl_free(scheme);
	curl_free(host);
	return ok;
}

bool
base_url_check(const char *url, char *why, size_t whylen)
{
	CURLU *u = curl_url();
	bool ok;

	if (!u) {
		snprintf(why, whylen, "out of memory");
		return false;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
		/* not parsed: what precedes an @ may be a password */
		snprintf(why, whylen,
			 "ANTHROPIC_BASE_URL %s is not a URL curl can use; "
			 "give scheme://host[:port][/path]",
			 strchr(url, '@') ? "(not shown: it has an @)" : url);
		curl_url_cleanup(u);
		return false;
	}
	ok = check_parsed(u, url, why, whylen);
	curl_url_cleanup(u);
	return ok;
}
