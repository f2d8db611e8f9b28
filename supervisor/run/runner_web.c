/*
 * runner_web.c - the run's web settings (config/webopt.h) from the
 * command line and the user config, checked before anything runs.
 *
 * Design note
 * -----------
 * The command line wins over the user config key by key (--web over web:,
 * --web-domains over web_domains:, --web-max-uses over web_max_uses:).
 * Web tools need two explicit words: --web (or web: true) and the domains
 * (--web-domains or web_domains:, '*' for every domain said as such). A
 * half-given setting is a usage error (exit 2) that names the option or
 * the file and key, and the fix; it is said before the plan, the key or
 * any side effect, so even --dry-run refuses it.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "supervisor/config/webopt.h"
#include "supervisor/config/yamljson.h"
#include "supervisor/run/runner_int.h"

/* A key of the user config in error: file:line:col: key: why. */
static int
conf_bad(const struct yamljson *y, const char *path, const char *key,
	 const char *why)
{
	int line = 0, col = 0;

	yamljson_pos(y, key, &line, &col);
	runner_say("gao-dev: %s:%d:%d: %s: %s\n", path, line, col, key, why);
	return EXIT_USAGE;
}

/* web:, web_domains:, web_max_uses: of the user config into *w. */
static int
from_userconf(struct webopt *w)
{
	char path[PATH_MAX], err[1024];
	struct yamljson y;
	const json_t *v;
	int rc = 0;

	runner_userconf_path(path, sizeof(path));
	if (access(path, R_OK) != 0)
		return 0;
	if (yamljson_load(path, &y, err, sizeof(err)) < 0) {
		runner_say("gao-dev: %s\n", err);
		return EXIT_USAGE;
	}
	v = json_object_get(y.root, "web");
	if (v && !json_is_boolean(v))
		rc = conf_bad(&y, path, "web", "expected true or false");
	else if (v)
		w->on = json_is_true(v);
	v = json_object_get(y.root, "web_max_uses");
	if (rc == 0 && v &&
	    (!json_is_integer(v) ||
	     json_integer_value(v) < WEBOPT_MIN_MAX_USES ||
	     json_integer_value(v) > WEBOPT_MAX_MAX_USES))
		rc = conf_bad(&y, path, "web_max_uses",
			      "expected a whole number from 2 to 1000");
	else if (v)
		w->max_uses = (int)json_integer_value(v);
	v = json_object_get(y.root, "web_domains");
	if (rc == 0 && v) {
		if (webopt_domains_json(v, &w->domains, err, sizeof(err)) < 0)
			rc = conf_bad(&y, path, "web_domains", err);
		else
			w->domains_set = true;
	}
	yamljson_clear(&y);
	return rc;
}

int
runner_web_settings(const struct cli *c, struct webopt *w)
{
	char err[512];
	int rc;

	memset(w, 0, sizeof(*w));
	rc = from_userconf(w);
	if (rc != 0)
		return rc;
	if (c->web)
		w->on = true;
	if (c->web_max_uses)
		w->max_uses = c->web_max_uses;
	if (!w->max_uses)
		w->max_uses = WEBOPT_DEFAULT_MAX_USES;
	if (c->web_domains) {
		json_decref(w->domains);
		w->domains = NULL;
		if (webopt_parse_domains(c->web_domains, &w->domains, err,
					 sizeof(err)) < 0) {
			runner_say("gao-dev: --web-domains %s: %s; give "
				   "comma-separated host names (e.g. "
				   "docs.python.org,pypi.org) or '*' for "
				   "every domain\n",
				   c->web_domains, err);
			return EXIT_USAGE;
		}
		w->domains_set = true;
	}
	if ((c->web_domains || c->web_max_uses) && !w->on) {
		runner_say("gao-dev: --web-%s is given but web tools are off: "
			   "add --web (or web: true in the user config)\n",
			   c->web_domains ? "domains" : "max-uses");
		return EXIT_USAGE;
	}
	if (w->on && !w->domains_set) {
		runner_say("gao-dev: --web needs --web-domains LIST: the "
			   "domains WebSearch and WebFetch may reach, "
			   "comma-separated (e.g. --web-domains "
			   "docs.python.org,pypi.org), or '*' for every domain "
			   "(or web_domains: in the user config)\n");
		return EXIT_USAGE;
	}
	if (!w->on)
		webopt_clear(w);
	return 0;
}
