/*
 * load.c - YAML profile -> struct policy, strictly (supervisor side).
 *
 * Design note
 * -----------
 * libyaml's document loader turns the text into a node graph with a
 * position (mark) on every node; this file walks that graph against a
 * fixed schema (docs/policy.md) and fills a struct policy. Every key is
 * looked up in a per-mapping table of {key, required, handler}: unknown
 * keys, duplicates, missing required keys, wrong node types, bad enum
 * values and out-of-range numbers fail with "file:line:column: message"
 * pointing at the offending node. Cross-field contradictions are checked
 * after the walk (ld_check()) and point at the field that contradicts.
 *
 * Hostile input: the file is read with a size cap (POLICY_FILE_MAX) and
 * must be a regular file; anchors and aliases are refused (a node may be
 * visited once), so the walk is linear in the size of the file; explicit
 * tags other than the defaults are refused; strings with NUL bytes or
 * control characters are refused. Only the first document is read, and a
 * second one is an error. Nothing half-loaded is returned.
 */
#include "policy/policy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "common/io.h"

/* Loader state for one profile. */
struct ld {
	const char *file; /* label in messages */
	yaml_document_t *doc;
	unsigned char *seen; /* one byte per node: already walked */
	size_t n_nodes;
	struct policy *p;
	char *err;
	size_t errlen;
	/* where the fields that take part in cross-checks were */
	yaml_mark_t m_exec, m_network, m_unix, m_mode, m_tools, m_bash, m_tdef;
	yaml_mark_t *m_ro, *m_rw; /* one per path */
};

typedef int (*ld_fn)(struct ld *ld, yaml_node_t *value, size_t arg);

struct ld_key {
	const char *key;
	bool required;
	ld_fn fn;
	size_t arg; /* passed to fn (e.g. which limit) */
};

#define LD_COUNT(a) (sizeof(a) / sizeof((a)[0]))

__attribute__((format(printf, 3, 4))) static int
ld_err(struct ld *ld, const yaml_mark_t *m, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (ld->errlen == 0)
		return -EINVAL;
	n = snprintf(ld->err, ld->errlen, "%s:%zu:%zu: ", ld->file, m->line + 1,
		     m->column + 1);
	if (n < 0 || (size_t)n >= ld->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(ld->err + n, ld->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Node by index; refuses a second visit (that is an alias). */
static yaml_node_t *
ld_node(struct ld *ld, int index, const yaml_mark_t *from, int *rc)
{
	yaml_node_t *n = yaml_document_get_node(ld->doc, index);

	if (n == NULL || index < 1 || (size_t)index > ld->n_nodes) {
		*rc = ld_err(ld, from, "malformed document");
		return NULL;
	}
	if (ld->seen[index - 1]) {
		*rc = ld_err(ld, &n->start_mark,
			     "anchors and aliases are not allowed");
		return NULL;
	}
	ld->seen[index - 1] = 1;
	return n;
}

/* Printable ASCII or UTF-8 bytes only: no NUL, no control characters. */
static bool
ld_clean(const unsigned char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

/* The text of a scalar node, or NULL with an error naming what. */
static const char *
ld_scalar(struct ld *ld, yaml_node_t *n, const char *what, int *rc)
{
	if (n->type != YAML_SCALAR_NODE) {
		*rc = ld_err(ld, &n->start_mark,
			     "%s must be a scalar, not a %s", what,
			     n->type == YAML_MAPPING_NODE ? "mapping" : "list");
		return NULL;
	}
	if (n->tag != NULL && strcmp((char *)n->tag, YAML_STR_TAG) != 0) {
		*rc = ld_err(ld, &n->start_mark, "tags are not allowed (%s)",
			     what);
		return NULL;
	}
	if (!ld_clean(n->data.scalar.value, n->data.scalar.length)) {
		*rc = ld_err(ld, &n->start_mark,
			     "%s contains a control character", what);
		return NULL;
	}
	return (const char *)n->data.scalar.value;
}

static bool
ld_plain(const yaml_node_t *n)
{
	return n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

/* A plain true/false. */
static int
ld_bool(struct ld *ld, yaml_node_t *n, const char *what, bool *out)
{
	int rc = 0;
	const char *s = ld_scalar(ld, n, what, &rc);

	if (s == NULL)
		return rc;
	if (ld_plain(n) && strcmp(s, "true") == 0)
		*out = true;
	else if (ld_plain(n) && strcmp(s, "false") == 0)
		*out = false;
	else
		return ld_err(ld, &n->start_mark,
			      "%s must be true or false, not '%s'", what, s);
	return 0;
}

/* A non-empty string (not the plain nulls ~ and null). */
static int
ld_string(struct ld *ld, yaml_node_t *n, const char *what, size_t max,
	  char **out)
{
	int rc = 0;
	const char *s = ld_scalar(ld, n, what, &rc);
	size_t len;

	if (s == NULL)
		return rc;
	len = n->data.scalar.length;
	if (len == 0 ||
	    (ld_plain(n) && (strcmp(s, "~") == 0 || strcmp(s, "null") == 0)))
		return ld_err(ld, &n->start_mark, "%s must not be empty", what);
	if (len > max)
		return ld_err(ld, &n->start_mark, "%s is longer than %zu bytes",
			      what, max);
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

/*
 * Walk a mapping against keys[]: every key a plain string, known, once;
 * every required key present. where names the mapping in messages.
 */
static int
ld_mapping(struct ld *ld, yaml_node_t *map, const char *where,
	   const struct ld_key *keys, size_t n_keys)
{
	yaml_node_pair_t *pair;
	uint32_t found = 0;
	size_t i;
	int rc = 0;

	if (map->type != YAML_MAPPING_NODE)
		return ld_err(ld, &map->start_mark, "%s must be a mapping",
			      where);
	for (pair = map->data.mapping.pairs.start;
	     rc == 0 && pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *k, *v;
		const char *name;

		k = ld_node(ld, pair->key, &map->start_mark, &rc);
		if (k == NULL)
			break;
		name = ld_scalar(ld, k, "a key", &rc);
		if (name == NULL)
			break;
		for (i = 0; i < n_keys && strcmp(keys[i].key, name) != 0; i++)
			;
		if (i == n_keys)
			return ld_err(ld, &k->start_mark,
				      "unknown key '%s' in %s", name, where);
		if (found & (1u << i))
			return ld_err(ld, &k->start_mark,
				      "duplicate key '%s' in %s", name, where);
		found |= 1u << i;
		v = ld_node(ld, pair->value, &k->start_mark, &rc);
		if (v != NULL)
			rc = keys[i].fn(ld, v, keys[i].arg);
	}
	for (i = 0; rc == 0 && i < n_keys; i++)
		if (keys[i].required && !(found & (1u << i)))
			rc = ld_err(ld, &map->start_mark,
				    "missing key '%s' in %s", keys[i].key,
				    where);
	return rc;
}

/* --- paths ------------------------------------------------------------ */

/* Length of the placeholder prefix of s ({project}, {tmp}), else 0. */
static size_t
ld_placeholder(const char *s)
{
	static const char *const ph[] = { "{project}", "{tmp}" };
	size_t i, n;

	for (i = 0; i < LD_COUNT(ph); i++) {
		n = strlen(ph[i]);
		if (strncmp(s, ph[i], n) == 0 && (s[n] == '\0' || s[n] == '/'))
			return n;
	}
	return 0;
}

/* NULL when s is a valid path template, else why not. */
static const char *
ld_path_problem(const char *s)
{
	size_t start = ld_placeholder(s);
	const char *c;

	if (start == 0 && s[0] != '/')
		return "must be absolute or start with {project} or {tmp}";
	if (strcmp(s, "/") == 0)
		return "would grant the whole filesystem";
	if (strlen(s) >= PROTO_PATH_MAX)
		return "is too long";
	if (strpbrk(s + start, "{}") != NULL)
		return "may use only the placeholders {project} and {tmp}, "
		       "at its start";
	for (c = s + start; *c != '\0'; c++) {
		if (*c != '/')
			continue;
		if (c[1] == '/' || c[1] == '\0')
			return "has an empty component (// or a trailing /)";
		if (c[1] == '.' && (c[2] == '/' || c[2] == '\0'))
			return "has a '.' component";
		if (c[1] == '.' && c[2] == '.' && (c[3] == '/' || c[3] == '\0'))
			return "has a '..' component";
	}
	return NULL;
}

/* A list of path templates (arg 0: read_only, 1: read_write). */
static int
ld_paths(struct ld *ld, yaml_node_t *seq, size_t arg)
{
	const char *what = arg ? "read_write" : "read_only";
	char ***list = arg ? &ld->p->rw_paths : &ld->p->ro_paths;
	size_t *count = arg ? &ld->p->n_rw : &ld->p->n_ro;
	yaml_mark_t **marks = arg ? &ld->m_rw : &ld->m_ro;
	yaml_node_item_t *it;
	size_t n;
	int rc = 0;

	if (seq->type != YAML_SEQUENCE_NODE)
		return ld_err(ld, &seq->start_mark, "%s must be a list", what);
	n = (size_t)(seq->data.sequence.items.top -
		     seq->data.sequence.items.start);
	if (n > PROTO_LIST_MAX)
		return ld_err(ld, &seq->start_mark, "%s has more than %u paths",
			      what, PROTO_LIST_MAX);
	*list = calloc(n + 1, sizeof(**list));
	*marks = calloc(n + 1, sizeof(**marks));
	if (*list == NULL || *marks == NULL)
		return -ENOMEM;
	for (it = seq->data.sequence.items.start;
	     rc == 0 && it < seq->data.sequence.items.top; it++) {
		yaml_node_t *v = ld_node(ld, *it, &seq->start_mark, &rc);
		const char *why;
		char *s = NULL;

		if (v == NULL)
			break;
		rc = ld_string(ld, v, "a path", PROTO_PATH_MAX, &s);
		if (rc < 0)
			break;
		(*list)[*count] = s;
		(*marks)[(*count)++] = v->start_mark;
		why = ld_path_problem(s);
		if (why != NULL)
			rc = ld_err(ld, &v->start_mark, "path '%s' %s", s, why);
	}
	return rc;
}

static int
ld_filesystem(struct ld *ld, yaml_node_t *v, size_t arg)
{
	static const struct ld_key keys[] = {
		{ "read_only", true, ld_paths, 0 },
		{ "read_write", true, ld_paths, 1 },
	};

	(void)arg;
	return ld_mapping(ld, v, "filesystem", keys, LD_COUNT(keys));
}

/* --- scalars ---------------------------------------------------------- */

static int
ld_name(struct ld *ld, yaml_node_t *v, size_t arg)
{
	const char *s;
	int rc;

	(void)arg;
	rc = ld_string(ld, v, "name", POLICY_NAME_MAX, &ld->p->name);
	if (rc < 0)
		return rc;
	s = ld->p->name;
	if ((s[0] < 'a' || s[0] > 'z') && (s[0] < '0' || s[0] > '9'))
		return ld_err(ld, &v->start_mark,
			      "name must start with a-z or 0-9");
	if (s[strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-")] != '\0')
		return ld_err(ld, &v->start_mark,
			      "name may contain only a-z, 0-9, '_' and '-'");
	return 0;
}

static int
ld_description(struct ld *ld, yaml_node_t *v, size_t arg)
{
	(void)arg;
	return ld_string(ld, v, "description", POLICY_DESCRIPTION_MAX,
			 &ld->p->description);
}

static int
ld_network(struct ld *ld, yaml_node_t *v, size_t arg)
{
	int rc = 0;
	const char *s = ld_scalar(ld, v, "network", &rc);

	(void)arg;
	if (s == NULL)
		return rc;
	ld->m_network = v->start_mark;
	if (strcmp(s, "none") == 0)
		ld->p->network = POLICY_NET_NONE;
	else if (strcmp(s, "tcp") == 0)
		ld->p->network = POLICY_NET_TCP;
	else
		return ld_err(ld, &v->start_mark,
			      "network must be none or tcp, not '%s'", s);
	return 0;
}

static int
ld_exec(struct ld *ld, yaml_node_t *v, size_t arg)
{
	(void)arg;
	ld->m_exec = v->start_mark;
	return ld_bool(ld, v, "exec", &ld->p->allow_exec);
}

static int
ld_unix(struct ld *ld, yaml_node_t *v, size_t arg)
{
	(void)arg;
	ld->m_unix = v->start_mark;
	return ld_bool(ld, v, "unix_sockets", &ld->p->allow_unix);
}

static int
ld_mode(struct ld *ld, yaml_node_t *v, size_t arg)
{
	int rc = 0;
	const char *s = ld_scalar(ld, v, "mode", &rc);

	(void)arg;
	if (s == NULL)
		return rc;
	ld->m_mode = v->start_mark;
	if (strcmp(s, "denylist") == 0)
		ld->p->syscalls = POLICY_SYSCALLS_DENYLIST;
	else if (strcmp(s, "allowlist") == 0)
		ld->p->syscalls = POLICY_SYSCALLS_ALLOWLIST;
	else
		return ld_err(ld, &v->start_mark,
			      "mode must be denylist or allowlist, not '%s'",
			      s);
	return 0;
}

static int
ld_syscalls(struct ld *ld, yaml_node_t *v, size_t arg)
{
	static const struct ld_key keys[] = {
		{ "mode", true, ld_mode, 0 },
	};

	(void)arg;
	return ld_mapping(ld, v, "syscalls", keys, LD_COUNT(keys));
}

/* --- limits ----------------------------------------------------------- */

enum ld_lim {
	LD_CPU,
	LD_MEMORY,
	LD_FSIZE,
	LD_NOFILE,
	LD_NPROC,
	LD_OUTPUT,
	LD_TDEF,
	LD_TMAX,
};

/* How each limit is written, bounded and stored. */
#define LD_LIM(f) \
	offsetof(struct policy_limits, f), \
		sizeof(((struct policy_limits *)NULL)->f)
static const struct {
	const char *key;
	size_t off, width; /* the field in struct policy_limits */
	bool size;         /* accepts KiB/MiB/GiB/TiB suffixes */
	bool unlimited;    /* accepts "unlimited" (stored as 0) */
	uint64_t min, max;
} ld_lims[] = {
	[LD_CPU] = { "cpu_seconds", LD_LIM(cpu_seconds), false, true, 1,
		     604800 },
	[LD_MEMORY] = { "memory", LD_LIM(memory_bytes), true, true, 64ull << 20,
			1ull << 40 },
	[LD_FSIZE] = { "file_size", LD_LIM(file_size_bytes), true, true,
		       1ull << 20, 1ull << 40 },
	[LD_NOFILE] = { "open_files", LD_LIM(open_files), false, false, 64,
			1048576 },
	[LD_NPROC] = { "processes", LD_LIM(processes), false, true, 1,
		       4194304 },
	[LD_OUTPUT] = { "output_bytes", LD_LIM(output_bytes), true, false, 1024,
			POLICY_OUTPUT_MAX },
	[LD_TDEF] = { "timeout_default_ms", LD_LIM(timeout_default_ms), false,
		      false, 1000, POLICY_TIMEOUT_CAP_MS },
	[LD_TMAX] = { "timeout_max_ms", LD_LIM(timeout_max_ms), false, false,
		      1000, POLICY_TIMEOUT_CAP_MS },
};

/* Parse digits and an optional binary suffix; false on garbage/overflow. */
static bool
ld_parse_uint(const char *s, bool size, uint64_t *out)
{
	static const char *const sfx[] = { "KiB", "MiB", "GiB", "TiB" };
	uint64_t v = 0;
	size_t i;

	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	for (i = 0; size && *s != '\0' && i < LD_COUNT(sfx); i++) {
		if (strcmp(s, sfx[i]) != 0)
			continue;
		if (v > UINT64_MAX >> (10 * (i + 1)))
			return false;
		v <<= 10 * (i + 1);
		s += 3;
	}
	*out = v;
	return *s == '\0';
}

static int
ld_limit(struct ld *ld, yaml_node_t *v, size_t which)
{
	const char *key = ld_lims[which].key, *s;
	char *field = (char *)&ld->p->limits + ld_lims[which].off;
	uint64_t val = 0;
	uint32_t val32;
	int rc = 0;

	s = ld_scalar(ld, v, key, &rc);
	if (s == NULL)
		return rc;
	if (which == LD_TDEF)
		ld->m_tdef = v->start_mark;
	if (ld_plain(v) && ld_lims[which].unlimited &&
	    strcmp(s, "unlimited") == 0)
		val = 0;
	else if (!ld_plain(v) || !ld_parse_uint(s, ld_lims[which].size, &val))
		return ld_err(
			ld, &v->start_mark,
			"%s must be a whole number%s%s, not '%s'", key,
			ld_lims[which].size ?
				" (optionally with KiB, MiB, GiB or TiB)" :
				"",
			ld_lims[which].unlimited ? " or unlimited" : "", s);
	else if (val < ld_lims[which].min || val > ld_lims[which].max)
		return ld_err(ld, &v->start_mark,
			      "%s must be between %llu and %llu", key,
			      (unsigned long long)ld_lims[which].min,
			      (unsigned long long)ld_lims[which].max);
	val32 = (uint32_t)val; /* max fits: checked above */
	memcpy(field,
	       ld_lims[which].width == sizeof(val) ? (void *)&val :
						     (void *)&val32,
	       ld_lims[which].width);
	return 0;
}

static int
ld_limits(struct ld *ld, yaml_node_t *v, size_t arg)
{
	struct ld_key keys[LD_COUNT(ld_lims)];
	size_t i;

	(void)arg;
	for (i = 0; i < LD_COUNT(ld_lims); i++) {
		keys[i].key = ld_lims[i].key;
		keys[i].required = true;
		keys[i].fn = ld_limit;
		keys[i].arg = i;
	}
	return ld_mapping(ld, v, "limits", keys, LD_COUNT(keys));
}

/* --- tools ------------------------------------------------------------ */

static int
ld_tools(struct ld *ld, yaml_node_t *v, size_t arg)
{
	yaml_node_item_t *it;
	int rc = 0;

	(void)arg;
	ld->m_tools = v->start_mark;
	ld->m_bash = v->start_mark;
	if (v->type == YAML_SCALAR_NODE) {
		const char *s = ld_scalar(ld, v, "tools", &rc);

		if (s == NULL)
			return rc;
		if (strcmp(s, "all") != 0)
			return ld_err(ld, &v->start_mark,
				      "tools must be 'all' or a list of tool "
				      "names, not '%s'",
				      s);
		ld->p->tools = POLICY_TOOL_ALL;
		return 0;
	}
	if (v->type != YAML_SEQUENCE_NODE)
		return ld_err(ld, &v->start_mark,
			      "tools must be 'all' or a list of tool names");
	for (it = v->data.sequence.items.start;
	     rc == 0 && it < v->data.sequence.items.top; it++) {
		yaml_node_t *t = ld_node(ld, *it, &v->start_mark, &rc);
		const char *s = t ? ld_scalar(ld, t, "a tool", &rc) : NULL;
		uint32_t bit;

		if (s == NULL)
			break;
		bit = policy_tool_bit(s);
		if (bit == 0)
			return ld_err(ld, &t->start_mark,
				      "unknown tool '%s' (known: Read, Write, "
				      "Edit, MultiEdit, Glob, Grep, Bash, "
				      "TodoWrite)",
				      s);
		if (ld->p->tools & bit)
			return ld_err(ld, &t->start_mark,
				      "tool '%s' is listed twice", s);
		if (bit == POLICY_TOOL_BASH)
			ld->m_bash = t->start_mark;
		ld->p->tools |= bit;
	}
	return rc;
}

/* --- the whole profile ------------------------------------------------ */

/* A path listed twice, in one list or in both. */
static int
ld_check_paths(struct ld *ld)
{
	const struct policy *p = ld->p;
	size_t n = p->n_ro + p->n_rw, i, j;

	for (i = 1; i < n; i++) {
		const char *a = i < p->n_ro ? p->ro_paths[i] :
					      p->rw_paths[i - p->n_ro];
		yaml_mark_t *m = i < p->n_ro ? &ld->m_ro[i] :
					       &ld->m_rw[i - p->n_ro];

		for (j = 0; j < i; j++) {
			const char *b = j < p->n_ro ? p->ro_paths[j] :
						      p->rw_paths[j - p->n_ro];

			if (strcmp(a, b) == 0)
				return ld_err(
					ld, m,
					"path '%s' is listed "
					"twice%s",
					a,
					(i < p->n_ro) == (j < p->n_ro) ?
						"" :
						" (read_only and read_write)");
		}
	}
	return 0;
}

/* Contradictions between fields (docs/policy.md, "Rules"). */
static int
ld_check(struct ld *ld)
{
	const struct policy *p = ld->p;
	bool allow = p->syscalls == POLICY_SYSCALLS_ALLOWLIST;

	if (allow && p->allow_exec)
		return ld_err(ld, &ld->m_exec,
			      "exec: true contradicts "
			      "syscalls mode allowlist (it has no execve)");
	if (allow && p->network == POLICY_NET_TCP)
		return ld_err(ld, &ld->m_network,
			      "network: tcp contradicts "
			      "syscalls mode allowlist (it has no sockets)");
	if (allow && p->allow_unix)
		return ld_err(ld, &ld->m_unix,
			      "unix_sockets: true "
			      "contradicts syscalls mode allowlist (it has "
			      "no sockets)");
	if (!p->allow_exec && p->network == POLICY_NET_TCP)
		return ld_err(ld, &ld->m_network,
			      "network: tcp needs exec: "
			      "true (only commands run by Bash use the "
			      "network)");
	if (!p->allow_exec && (p->tools & POLICY_TOOL_BASH))
		return ld_err(ld, &ld->m_bash, "tool Bash needs exec: true");
	if (p->limits.timeout_default_ms > p->limits.timeout_max_ms)
		return ld_err(ld, &ld->m_tdef,
			      "timeout_default_ms (%u) is "
			      "greater than timeout_max_ms (%u)",
			      p->limits.timeout_default_ms,
			      p->limits.timeout_max_ms);
	return ld_check_paths(ld);
}

static int
ld_root(struct ld *ld, yaml_node_t *root)
{
	static const struct ld_key keys[] = {
		{ "name", true, ld_name, 0 },
		{ "description", false, ld_description, 0 },
		{ "filesystem", true, ld_filesystem, 0 },
		{ "network", true, ld_network, 0 },
		{ "exec", true, ld_exec, 0 },
		{ "unix_sockets", true, ld_unix, 0 },
		{ "syscalls", true, ld_syscalls, 0 },
		{ "limits", true, ld_limits, 0 },
		{ "tools", true, ld_tools, 0 },
	};
	int rc;

	rc = ld_mapping(ld, root, "the profile", keys, LD_COUNT(keys));
	return rc < 0 ? rc : ld_check(ld);
}

/* Report a libyaml parse error. */
static int
ld_yaml_error(struct ld *ld, const yaml_parser_t *parser)
{
	return ld_err(ld, &parser->problem_mark, "YAML syntax error: %s",
		      parser->problem ? parser->problem : "unknown");
}

/* The document's root node, or NULL for an empty document. */
static int
ld_document(struct ld *ld, yaml_parser_t *parser)
{
	yaml_document_t extra;
	yaml_node_t *root = yaml_document_get_root_node(ld->doc);
	yaml_mark_t start = { 0, 0, 0 };
	int rc = 0;

	if (root == NULL)
		return ld_err(ld, &start, "empty profile");
	if (!yaml_parser_load(parser, &extra))
		return ld_yaml_error(ld, parser);
	if (yaml_document_get_root_node(&extra) != NULL)
		rc = ld_err(ld, &extra.start_mark,
			    "only one YAML document is allowed");
	yaml_document_delete(&extra);
	if (rc < 0)
		return rc;
	ld->n_nodes = (size_t)(ld->doc->nodes.top - ld->doc->nodes.start);
	ld->seen = calloc(ld->n_nodes, 1);
	if (ld->seen == NULL)
		return -ENOMEM;
	ld->seen[0] = 1; /* the root */
	return ld_root(ld, root);
}

static int
ld_parse(struct ld *ld, const char *buf, size_t len)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	int rc;

	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = ld_yaml_error(ld, &parser);
		yaml_parser_delete(&parser);
		return rc;
	}
	ld->doc = &doc;
	rc = ld_document(ld, &parser);
	ld->doc = NULL;
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return rc;
}

int
policy_load_buffer(const char *buf, size_t len, const char *label,
		   struct policy **out, char *err, size_t errlen)
{
	struct ld ld;
	int rc;

	memset(&ld, 0, sizeof(ld));
	*out = NULL;
	ld.file = label ? label : "<buffer>";
	ld.err = err;
	ld.errlen = errlen;
	if (errlen > 0)
		err[0] = '\0';
	if (len > POLICY_FILE_MAX) {
		yaml_mark_t start = { 0, 0, 0 };

		return ld_err(&ld, &start, "profile larger than %u bytes",
			      POLICY_FILE_MAX);
	}
	ld.p = calloc(1, sizeof(*ld.p));
	if (ld.p == NULL)
		return -ENOMEM;
	rc = ld_parse(&ld, buf, len);
	if (rc == 0 && label != NULL) {
		ld.p->source = strdup(label);
		if (ld.p->source == NULL)
			rc = -ENOMEM;
	}
	if (rc == -ENOMEM && errlen > 0)
		snprintf(err, errlen, "%s: out of memory", ld.file);
	free(ld.seen);
	free(ld.m_ro);
	free(ld.m_rw);
	if (rc == 0) {
		*out = ld.p;
		ld.p = NULL;
	}
	policy_free(ld.p);
	return rc;
}

/* Read at most POLICY_FILE_MAX bytes of a regular file into *buf. */
static int
ld_read_file(const char *path, char **buf, size_t *len)
{
	struct stat st;
	size_t cap = POLICY_FILE_MAX + 1, n = 0;
	ssize_t r;
	int fd, rc = 0;

	*buf = NULL;
	fd = io_open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		goto out;
	}
	*buf = malloc(cap);
	if (*buf == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	r = io_read_all(fd, *buf, cap);
	if (r < 0) {
		rc = (int)r;
		goto out;
	}
	n = (size_t)r;
	rc = n > POLICY_FILE_MAX ? -EFBIG : 0;
	*len = n;
out:
	if (rc < 0) {
		free(*buf);
		*buf = NULL;
	}
	close(fd);
	return rc;
}

int
policy_load_file(const char *path, struct policy **out, char *err,
		 size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	rc = ld_read_file(path, &buf, &len);
	if (rc < 0) {
		if (errlen > 0)
			snprintf(err, errlen, "%s: %s", path,
				 rc == -EFBIG  ? "profile too large" :
				 rc == -EINVAL ? "not a regular file" :
						 strerror(-rc));
		return rc;
	}
	rc = policy_load_buffer(buf, len, path, out, err, errlen);
	free(buf);
	return rc;
}
