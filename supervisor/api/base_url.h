/*
 * base_url.h - may the API key travel to this base URL?
 *
 * Design note
 * -----------
 * The key goes in a header of every request to ANTHROPIC_BASE_URL, so the
 * URL decides who may read it: a server reached over https, or this
 * machine over plain http. Comparing prefixes is not enough
 * ("http://127.0.0.1@evil.example/" names the host evil.example, and
 * "http://127.evil.example/" is a name anyone can own), so the URL is
 * parsed by libcurl's own URL parser, the one that will later connect:
 * what is checked is the host curl will use. Over http the host must be
 * a numeric IPv4 address in 127.0.0.0/8, ::1, or "localhost" (which curl
 * resolves to loopback itself, whatever /etc/hosts says). A user name or
 * password, a query or a fragment are refused for every scheme: none has
 * a meaning for a base URL, and a password would otherwise be echoed in
 * error messages.
 */
#ifndef GAO_SUPERVISOR_BASE_URL_H
#define GAO_SUPERVISOR_BASE_URL_H

#include <stdbool.h>
#include <stddef.h>

/*
 * base_url_check - true if the key may be sent to url (see above).
 * Otherwise false, and why holds a sentence saying what is wrong and how
 * to fix it; it never quotes the URL's user name or password.
 */
bool base_url_check(const char *url, char *why, size_t whylen);

#endif
