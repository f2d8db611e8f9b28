/*
 * policy.c - struct policy helpers: loading by name, tools, release, and
 * conversion to the worker's msg_policy (supervisor side).
 *
 * Design note
 * -----------
 * The loader (load.c) guarantees the invariants this file relies on:
 * every path template is absolute or starts with a whole {project} or
 * {tmp} component, has no '.', '..' or empty components, and is shorter
 * than PROTO_PATH_MAX; names are [a-z0-9][a-z0-9_-]*. Expansion here is
 * therefore plain concatenation, with one more length check because the
 * directories substituted are longer than the placeholders.
 *
 * The supervisor's directories are trusted, but still checked for shape
 * (absolute, not "/"): a relative project directory would silently make
 * Landlock rules relative to the worker's cwd.
 */
#include "policy/policy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const policy_tools[] = {
	"Read", "Write", "Edit", "MultiEdit",
	"Glob", "Grep",  "Bash", "TodoWrite",
};

#define POLICY_N_TOOLS (sizeof(policy_tools) / sizeof(policy_tools[0]))

static void
policy_free_list(char **list, size_t n)
{
	size_t i;

	if (list == NULL)
		return;
	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

void
policy_free(struct policy *p)
{
	if (p == NULL)
		return;
	free(p->name);
	free(p->description);
	free(p->source);
	policy_free_list(p->ro_paths, p->n_ro);
	policy_free_list(p->rw_paths, p->n_rw);
	free(p);
}

const char *
policy_name(const struct policy *p)
{
	return p->name;
}

uint32_t
policy_tool_bit(const char *tool)
{
	size_t i;

	for (i = 0; tool != NULL && i < POLICY_N_TOOLS; i++)
		if (strcmp(tool, policy_tools[i]) == 0)
			return 1u << i;
	return 0;
}

const char *
policy_tool_name(uint32_t bit)
{
	size_t i;

	for (i = 0; i < POLICY_N_TOOLS; i++)
		if (bit == 1u << i)
			return policy_tools[i];
	return NULL;
}

bool
policy_allows_tool(const struct policy *p, const char *tool)
{
	uint32_t bit = policy_tool_bit(tool);

	return bit != 0 && (p->tools & bit) != 0;
}

/* A profile name: [a-z0-9][a-z0-9_-]*, at most POLICY_NAME_MAX bytes. */
static bool
policy_valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > POLICY_NAME_MAX)
		return false;
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return false;
	return s[strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-")] == '\0';
}

static bool
policy_is_path(const char *s)
{
	size_t n = strlen(s);

	return strchr(s, '/') != NULL ||
	       (n >= 5 && strcmp(s + n - 5, ".yaml") == 0);
}

int
policy_load_named(const char *name_or_path, const char *profiles_dir,
		  struct policy **out, char *err, size_t errlen)
{
	char *path = NULL;
	size_t n;
	int rc;

	*out = NULL;
	if (policy_is_path(name_or_path))
		return policy_load_file(name_or_path, out, err, errlen);
	if (!policy_valid_name(name_or_path) || profiles_dir == NULL) {
		if (errlen > 0)
			snprintf(err, errlen,
				 "'%s' is not a policy name "
				 "([a-z0-9_-]) or a path to a .yaml file",
				 name_or_path);
		return -EINVAL;
	}
	n = strlen(profiles_dir) + strlen(name_or_path) + sizeof("/.yaml");
	path = malloc(n);
	if (path == NULL)
		return -ENOMEM;
	snprintf(path, n, "%s/%s.yaml", profiles_dir, name_or_path);
	rc = policy_load_file(path, out, err, errlen);
	if (rc == -ENOENT && errlen > 0)
		snprintf(err, errlen, "unknown policy '%s' (no %s.yaml in %s)",
			 name_or_path, name_or_path, profiles_dir);
	free(path);
	return rc;
}

/* Release what policy_to_msg() may have filled; zero *m. */
static void
policy_msg_reset(struct msg_policy *m)
{
	free(m->name);
	policy_free_list(m->ro_paths, m->n_ro);
	policy_free_list(m->rw_paths, m->n_rw);
	memset(m, 0, sizeof(*m));
}

/*
 * Expand one template into *out (malloc'ed). Returns 0, 1 when the path
 * uses {tmp} and there is no tmp_dir (leave it out), or a negative errno.
 */
static int
policy_expand(const char *tmpl, const char *project_dir, const char *tmp_dir,
	      char **out)
{
	const char *base = "", *rest = tmpl;
	size_t n;

	if (strncmp(tmpl, "{project}", 9) == 0) {
		base = project_dir;
		rest = tmpl + 9;
	} else if (strncmp(tmpl, "{tmp}", 5) == 0) {
		if (tmp_dir == NULL)
			return 1;
		base = tmp_dir;
		rest = tmpl + 5;
	}
	n = strlen(base) + strlen(rest);
	if (n >= PROTO_PATH_MAX)
		return -ENAMETOOLONG;
	*out = malloc(n + 1);
	if (*out == NULL)
		return -ENOMEM;
	memcpy(*out, base, strlen(base));
	memcpy(*out + strlen(base), rest, strlen(rest) + 1);
	return 0;
}

static int
policy_expand_list(char *const *tmpl, size_t n, const char *project_dir,
		   const char *tmp_dir, char ***out, size_t *n_out)
{
	size_t i;
	int rc = 0;

	*out = calloc(n + 1, sizeof(**out));
	if (*out == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		rc = policy_expand(tmpl[i], project_dir, tmp_dir,
				   &(*out)[*n_out]);
		if (rc < 0)
			return rc;
		if (rc == 0)
			(*n_out)++;
	}
	return 0;
}

/* A directory argument: absolute, not "/", no trailing '/'. */
static bool
policy_valid_dir(const char *d)
{
	size_t n = d ? strlen(d) : 0;

	return n >= 2 && d[0] == '/' && d[n - 1] != '/' && n < PROTO_PATH_MAX;
}

int
policy_to_msg(const struct policy *p, const char *project_dir,
	      const char *tmp_dir, struct msg_policy *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if (!policy_valid_dir(project_dir) ||
	    (tmp_dir != NULL && !policy_valid_dir(tmp_dir)))
		return -EINVAL;
	out->name = strdup(p->name);
	if (out->name == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	rc = policy_expand_list(p->ro_paths, p->n_ro, project_dir, tmp_dir,
				&out->ro_paths, &out->n_ro);
	if (rc == 0)
		rc = policy_expand_list(p->rw_paths, p->n_rw, project_dir,
					tmp_dir, &out->rw_paths, &out->n_rw);
	if (rc < 0)
		goto out;
	out->net_tcp = p->network == POLICY_NET_TCP;
	out->allow_exec = p->allow_exec;
	out->allow_unix = p->allow_unix;
	out->seccomp_allowlist = p->syscalls == POLICY_SYSCALLS_ALLOWLIST;
	out->cpu_seconds = p->limits.cpu_seconds;
	out->memory_bytes = p->limits.memory_bytes;
	out->file_size_bytes = p->limits.file_size_bytes;
	out->open_files = p->limits.open_files;
	out->processes = p->limits.processes;
	out->output_bytes = p->limits.output_bytes;
	out->timeout_default_ms = p->limits.timeout_default_ms;
	out->timeout_max_ms = p->limits.timeout_max_ms;
	out->test_disable = 0;
out:
	if (rc < 0)
		policy_msg_reset(out);
	return rc;
}
