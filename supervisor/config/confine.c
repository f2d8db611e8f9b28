/*
 * confine.c - see confine.h for the design note and the rules.
 */
#include "supervisor/config/confine.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"
#include "supervisor/core/datadir.h"

/* The built-in profile every config's policy is compared with. */
#define CONFINE_BASE_POLICY "default"

int64_t
confine_max_timeout(const struct confine_rules *rules)
{
	return rules && rules->max_timeout > 0 ? rules->max_timeout :
						 CONFINE_MAX_TIMEOUT_DEFAULT;
}

/* True when path is base or below it (both canonical). */
static bool
at_or_below(const char *path, const char *base)
{
	size_t n = strlen(base);

	if (strcmp(base, "/") == 0)
		return true;
	return strncmp(path, base, n) == 0 && (path[n] == 0 || path[n] == '/');
}

static bool
has_dotdot(const char *p)
{
	for (const char *s = p; (s = strstr(s, "..")); s += 2)
		if ((s == p || s[-1] == '/') && (s[2] == 0 || s[2] == '/'))
			return true;
	return false;
}

/*
 * The canonical form of the absolute path abs into out (PATH_MAX): its
 * longest existing prefix through realpath(), the rest appended as
 * written ("." components dropped). 0, or -1 with errno.
 */
static int
canonical(const char *abs, char *out)
{
	char head[PATH_MAX], tail[PATH_MAX] = "", tmp[PATH_MAX], *slash;

	if (snprintf(head, sizeof(head), "%s", abs) >= (int)sizeof(head)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	while (!realpath(head, out)) {
		if (errno != ENOENT && errno != ENOTDIR)
			return -1;
		slash = strrchr(head, '/');
		if (!slash || slash == head)
			return -1;
		if (strcmp(slash + 1, ".") != 0 && slash[1]) {
			snprintf(tmp, sizeof(tmp), "/%s%s", slash + 1, tail);
			memcpy(tail, tmp, sizeof(tail));
		}
		*slash = 0;
	}
	if (strlen(out) + strlen(tail) >= PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcat(out, strcmp(out, "/") == 0 && tail[0] ? tail + 1 : tail);
	return 0;
}

/* Is the canonical path p allowed for a config in config_dir? */
static int
allowed(const struct confine_rules *rules, const char *config_dir,
	const char *p, char *why, size_t cap)
{
	char dir[PATH_MAX], root[PATH_MAX];
	const char *br = rules ? rules->boilerplate_root : NULL;

	if (!realpath(config_dir, dir)) {
		snprintf(why, cap, "cannot resolve the config's directory %s",
			 config_dir);
		return -1;
	}
	if (at_or_below(p, dir) && strcmp(p, dir) != 0)
		return 0;
	if (br && realpath(br, root) && at_or_below(p, root))
		return 0;
	if (strcmp(p, dir) == 0) {
		snprintf(why, cap,
			 "is the config's own directory %s (the config, and "
			 "perhaps a .env, live there): a config may name "
			 "boilerplate only below its own directory; move the "
			 "template into a subdirectory, or let the operator "
			 "allow its place with --boilerplate-root DIR",
			 dir);
		return -1;
	}
	snprintf(why, cap,
		 "resolves to %s, outside the config's directory %s%s%s: a "
		 "config may name boilerplate only below its own directory; "
		 "move the template there, or let the operator allow its "
		 "place with --boilerplate-root DIR (boilerplate_root: in the "
		 "user config)",
		 p, dir, br ? " and --boilerplate-root " : "", br ? br : "");
	return -1;
}

int
confine_boilerplate(const struct confine_rules *rules, const char *config_dir,
		    const char *value, char **resolved, char *why, size_t cap)
{
	char joined[PATH_MAX], canon[PATH_MAX];

	*resolved = NULL;
	if (!value[0]) {
		snprintf(why, cap,
			 "is empty: name a directory below the "
			 "config's own");
		return -1;
	}
	if (has_dotdot(value)) {
		snprintf(why, cap,
			 "\"%s\" has a \"..\" component: a config may name "
			 "boilerplate only below its own directory",
			 value);
		return -1;
	}
	if (snprintf(joined, sizeof(joined), "%s%s%s",
		     value[0] == '/' ? "" : config_dir,
		     value[0] == '/' ? "" : "/",
		     value) >= (int)sizeof(joined) ||
	    canonical(joined, canon) < 0) {
		snprintf(why, cap, "\"%s\": cannot resolve it: %s", value,
			 strerror(errno));
		return -1;
	}
	if (allowed(rules, config_dir, canon, why, cap) < 0)
		return -1;
	*resolved = strdup(canon);
	if (!*resolved) {
		snprintf(why, cap, "out of memory");
		return -1;
	}
	return 0;
}

int
confine_file_url(const struct confine_rules *rules, const char *config_dir,
		 const char *url, char **resolved, char *why, size_t cap)
{
	const char *path = url + strlen("file://");
	char *p = NULL;

	*resolved = NULL;
	if (path[0] != '/' || strchr(path, '%')) {
		snprintf(why, cap,
			 "\"%s\": a file:// URL must name an absolute path "
			 "(file:///...) without percent-escapes",
			 url);
		return -1;
	}
	if (confine_boilerplate(rules, config_dir, path, &p, why, cap) < 0)
		return -1;
	if (asprintf(resolved, "file://%s", p) < 0) {
		*resolved = NULL;
		snprintf(why, cap, "out of memory");
	}
	free(p);
	return *resolved ? 0 : -1;
}

static bool
is_path(const char *v)
{
	size_t n = strlen(v);

	return strchr(v, '/') || (n >= 5 && strcmp(v + n - 5, ".yaml") == 0);
}

/* Load the built-in name and the base; compare. 0, or -1 with why. */
static int
no_wider(const char *dir, const char *name, char *why, size_t cap)
{
	struct policy *p = NULL, *base = NULL;
	char err[512], grant[200];
	int rc = -1;

	if (policy_load_named(name, dir, &p, err, sizeof(err)) < 0 ||
	    policy_load_named(CONFINE_BASE_POLICY, dir, &base, err,
			      sizeof(err)) < 0) {
		snprintf(why, cap, "%s", err);
		goto out;
	}
	if (policy_wider(p, base, grant, sizeof(grant))) {
		snprintf(why, cap,
			 "policy \"%s\" is wider than \"%s\" (%s): a config "
			 "may name only a built-in policy no wider than "
			 "\"%s\"; remove the key, or let the operator allow it "
			 "with --allow-config-policy (or choose the policy "
			 "with --policy)",
			 name, CONFINE_BASE_POLICY, grant, CONFINE_BASE_POLICY);
		goto out;
	}
	rc = 0;
out:
	policy_free(p);
	policy_free(base);
	return rc;
}

int
confine_policy(const struct confine_rules *rules, const char *config_dir,
	       const char *value, char **resolved, char *why, size_t cap)
{
	const char *dir = rules && rules->profiles_dir ? rules->profiles_dir :
							 datadir_profiles();
	bool allow = rules && rules->allow_config_policy;
	struct policy *p = NULL;
	char err[512];

	*resolved = NULL;
	if (is_path(value) && !allow) {
		snprintf(why, cap,
			 "\"%s\" is a policy file: a config may name only a "
			 "built-in policy no wider than \"%s\"; remove the "
			 "key, or let the operator allow it with "
			 "--allow-config-policy (or choose the policy with "
			 "--policy)",
			 value, CONFINE_BASE_POLICY);
		return -1;
	}
	if (!allow)
		return no_wider(dir, value, why, cap) < 0 ?
			       -1 :
			       ((*resolved = strdup(value)) ? 0 : -1);
	if (is_path(value) && value[0] != '/') {
		if (asprintf(resolved, "%s/%s", config_dir, value) < 0)
			*resolved = NULL;
	} else {
		*resolved = strdup(value);
	}
	if (!*resolved ||
	    policy_load_named(*resolved, dir, &p, err, sizeof(err)) < 0) {
		snprintf(why, cap, "%s", *resolved ? err : "out of memory");
		free(*resolved);
		*resolved = NULL;
		return -1;
	}
	policy_free(p);
	return 0;
}
