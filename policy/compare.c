/*
 * compare.c - is one policy wider than another? See policy.h
 * (policy_wider) for the contract.
 *
 * Design note
 * -----------
 * A benchmark config is untrusted input and may name only a policy that
 * grants nothing the default does not (docs/security.md). "Wider" is
 * decided field by field, and the first grant found is named so the
 * refusal can say which:
 *
 *   network      tcp is wider than none
 *   exec         true is wider than false
 *   unix_sockets true is wider than false
 *   syscalls     denylist is wider than allowlist
 *   tools        any tool the base does not grant
 *   read_only    a path that is not the base's read-only or read-write
 *                path, nor below one (whole components: /usr/lib is
 *                below /usr, /usrx is not)
 *   read_write   a path that is not a base read-write path or below one
 *   limits       a higher limit; 0 ("unlimited") is higher than any
 *
 * Paths are compared as the templates they are ("{project}/x" is below
 * "{project}"), before expansion; a template never names a host path.
 */
#include "policy/policy.h"

#include <stdio.h>
#include <string.h>

/* True when path is base or lies below it (whole components). */
static bool
path_below(const char *path, const char *base)
{
	size_t n = strlen(base);

	while (n > 1 && base[n - 1] == '/')
		n--;
	if (strncmp(path, base, n) != 0)
		return false;
	return path[n] == 0 || path[n] == '/' || (n == 1 && base[0] == '/');
}

static bool
covered(const char *path, char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (path_below(path, list[i]))
			return true;
	return false;
}

/* A limit where 0 means unlimited: is a above b? */
static bool
limit_above(uint64_t a, uint64_t b)
{
	if (b == 0)
		return false;
	return a == 0 || a > b;
}

static bool
wider_limits(const struct policy_limits *p, const struct policy_limits *b,
	     char *why, size_t cap)
{
	const struct {
		const char *name;
		uint64_t p, b;
	} rows[] = {
		{ "limits.cpu_seconds", p->cpu_seconds, b->cpu_seconds },
		{ "limits.memory", p->memory_bytes, b->memory_bytes },
		{ "limits.file_size", p->file_size_bytes, b->file_size_bytes },
		{ "limits.open_files", p->open_files, b->open_files },
		{ "limits.processes", p->processes, b->processes },
		{ "limits.output_bytes", p->output_bytes, b->output_bytes },
		{ "limits.timeout_default_ms", p->timeout_default_ms,
		  b->timeout_default_ms },
		{ "limits.timeout_max_ms", p->timeout_max_ms,
		  b->timeout_max_ms },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(*rows); i++) {
		if (!limit_above(rows[i].p, rows[i].b))
			continue;
		snprintf(why, cap, "%s %llu is above %llu%s", rows[i].name,
			 (unsigned long long)rows[i].p,
			 (unsigned long long)rows[i].b,
			 rows[i].p ? "" : " (0: unlimited)");
		return true;
	}
	return false;
}

static bool
wider_paths(const struct policy *p, const struct policy *b, char *why,
	    size_t cap)
{
	for (size_t i = 0; i < p->n_rw; i++) {
		if (covered(p->rw_paths[i], b->rw_paths, b->n_rw))
			continue;
		snprintf(why, cap, "read_write path %s", p->rw_paths[i]);
		return true;
	}
	for (size_t i = 0; i < p->n_ro; i++) {
		if (covered(p->ro_paths[i], b->ro_paths, b->n_ro) ||
		    covered(p->ro_paths[i], b->rw_paths, b->n_rw))
			continue;
		snprintf(why, cap, "read_only path %s", p->ro_paths[i]);
		return true;
	}
	return false;
}

static bool
wider_switches(const struct policy *p, const struct policy *b, char *why,
	       size_t cap)
{
	const char *what = NULL;

	if (p->network > b->network)
		what = "network: tcp";
	else if (p->allow_exec && !b->allow_exec)
		what = "exec: true";
	else if (p->allow_unix && !b->allow_unix)
		what = "unix_sockets: true";
	else if (p->syscalls == POLICY_SYSCALLS_DENYLIST &&
		 b->syscalls == POLICY_SYSCALLS_ALLOWLIST)
		what = "syscalls: denylist";
	if (what)
		snprintf(why, cap, "%s", what);
	return what != NULL;
}

bool
policy_wider(const struct policy *p, const struct policy *base, char *why,
	     size_t cap)
{
	uint32_t extra = p->tools & ~base->tools;

	if (cap)
		why[0] = 0;
	if (wider_switches(p, base, why, cap))
		return true;
	if (extra) {
		snprintf(why, cap, "tool %s",
			 policy_tool_name(extra & -extra) ?
				 policy_tool_name(extra & -extra) :
				 "(unknown)");
		return true;
	}
	return wider_paths(p, base, why, cap) ||
	       wider_limits(&p->limits, &base->limits, why, cap);
}
