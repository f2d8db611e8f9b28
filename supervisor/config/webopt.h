/*
 * webopt.h - the run's web settings: --web, --web-domains, --web-max-uses
 * (and web:, web_domains:, web_max_uses: in the user config).
 *
 * Design note
 * -----------
 * WebSearch and WebFetch are the Messages API's server tools: Anthropic
 * runs them, not the sandbox, so they are run-level settings of the
 * operator, never sandbox policy and never something a benchmark config
 * can ask for. A fetch is an outbound channel for whatever the model
 * read, so turning them on needs two explicit words: --web, and the
 * domains allowed (a list, or '*' said on its own for every domain).
 * This module only parses and checks what the operator wrote; what the
 * tools look like on the wire is agent/web.h's.
 */
#ifndef GAO_SUPERVISOR_WEBOPT_H
#define GAO_SUPERVISOR_WEBOPT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define WEBOPT_DEFAULT_MAX_USES 20 /* uses of both tools over a run */
#define WEBOPT_MIN_MAX_USES 2      /* room for one call offering both */
#define WEBOPT_MAX_MAX_USES 1000
#define WEBOPT_MAX_DOMAINS 100
#define WEBOPT_DOMAIN_MAX 253 /* bytes of one domain (DNS) */

struct webopt {
	bool on;          /* --web */
	bool domains_set; /* a list or '*' was given */
	json_t *domains;  /* array of strings, or NULL for '*' (all) */
	int max_uses;     /* over the run, both tools together */
};

/*
 * webopt_parse_domains - a comma-separated list of domains ("example.com,
 * docs.python.org"), or "*" alone for every domain. Domains are host
 * names without scheme, port, path or wildcard (subdomains are included
 * by the API), lower-cased, at most WEBOPT_MAX_DOMAINS, duplicates
 * refused. Returns 0 with *out a new array (NULL for "*"), or -1 with a
 * message in err that says what is wrong and how to write it.
 */
int webopt_parse_domains(const char *list, json_t **out, char *err,
			 size_t errlen);

/*
 * webopt_domains_json - the same for a user config value: a string as
 * above, or a list of strings (each one domain, or the single "*").
 */
int webopt_domains_json(const json_t *v, json_t **out, char *err,
			size_t errlen);

/* The domains as one line, "*" or "a.org,b.com" (malloc'ed; NULL: OOM). */
char *webopt_domains_text(const struct webopt *w);

/* Free what *w owns (its domains); the struct is left off. */
void webopt_clear(struct webopt *w);

#endif
