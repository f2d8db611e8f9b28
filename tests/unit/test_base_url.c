/*
 * test_base_url.c - unit tests of where the API key may be sent
 * (base_url.h).
 *
 * Design note
 * -----------
 * Each refused URL is one a prefix check let through or a form curl reads
 * differently from how a person does: user info before an @ (the host is
 * what follows it), a DNS name that merely starts with "127.", a query or
 * fragment. The accepted ones are every loopback spelling the docs name
 * plus the forms curl normalises to them. A refusal must never quote a
 * password.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "supervisor/api/base_url.h"

static void
accepted(const char *url)
{
	char why[512] = "";

	cr_assert(base_url_check(url, why, sizeof(why)), "%s refused: %s", url,
		  why);
}

static void
refused(const char *url, const char *says)
{
	char why[512] = "";

	cr_assert_not(base_url_check(url, why, sizeof(why)), "%s accepted",
		      url);
	cr_assert(strstr(why, says), "%s: \"%s\" does not say \"%s\"", url, why,
		  says);
}

Test(base_url, https_to_any_host_and_http_to_loopback)
{
	accepted("https://api.anthropic.com");
	accepted("https://api.anthropic.com/");
	accepted("https://proxy.example:8443/anthropic");
	accepted("http://127.0.0.1:8080");
	accepted("http://127.1.2.3/");
	accepted("http://localhost");
	accepted("http://localhost:9/v1proxy");
	accepted("http://LocalHost:9/");
	accepted("http://[::1]:9/");
	accepted("HTTP://127.0.0.1:9"); /* the scheme is not case-sensitive */
}

Test(base_url, user_info_is_refused_and_never_quoted)
{
	char why[512] = "";

	/* curl sends this to evil.example, "127.0.0.1" being a user name */
	refused("http://127.0.0.1@evil.example/", "user name or password");
	refused("http://localhost:x@evil.example/", "user name or password");
	refused("https://user:hunter2@api.example/", "user name or password");
	cr_assert_not(base_url_check("https://user:hunter2@api.example/", why,
				     sizeof(why)));
	cr_assert_null(strstr(why, "hunter2"), "%s", why);
	/* not even when the URL does not parse */
	cr_assert_not(base_url_check("http://u:hunter2@127.0.0.1:99999/", why,
				     sizeof(why)));
	cr_assert_null(strstr(why, "hunter2"), "%s", why);
}

Test(base_url, plain_http_beyond_this_machine_is_refused)
{
	refused("http://127.attacker.example/", "loopback");
	refused("http://127.0.0.1.nip.io/", "loopback");
	refused("http://localhost.example/", "loopback");
	refused("http://api.anthropic.com", "loopback");
	refused("http://128.0.0.1/", "loopback");
	refused("http://[::2]/", "loopback");
	refused("http://[::ffff:8.8.8.8]/", "loopback");
}

Test(base_url, what_is_not_a_base_url_is_refused)
{
	refused("ftp://127.0.0.1/", "scheme");
	refused("file:///etc/passwd", "");
	refused("127.0.0.1:8080", "not a URL");
	refused("", "not a URL");
	refused("http://127.0.0.1:99999/", "not a URL");
	refused("https://api.anthropic.com/?x=1", "query or fragment");
	refused("https://api.anthropic.com#frag", "query or fragment");
}
