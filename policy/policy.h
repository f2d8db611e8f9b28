/*
 * policy.h - sandbox profiles as data: load, validate, show, hash, and
 * convert to the message the worker applies.
 *
 * Design note
 * -----------
 * A profile is a small YAML file (policy/profiles/<name>.yaml; the schema
 * is in docs/policy.md). The supervisor loads it into a struct policy,
 * which is plain data: no fds, no kernel state. Loading is strict: unknown
 * keys, wrong types, bad enum values, out-of-range numbers and
 * contradictions are errors reported as "file:line:column: message", and
 * nothing half-loaded is ever returned.
 *
 * Paths in a profile are templates. A path is absolute, or starts with the
 * placeholder {project} (the agent's project directory) or {tmp} (its
 * private temporary directory). policy_to_msg() expands them into a
 * struct msg_policy (proto/msg.h), which the worker turns into rlimits,
 * Landlock rules and a seccomp filter (policy/apply.h). The supervisor side
 * (this header) needs libyaml and libcrypto; the worker side does not.
 *
 * struct policy is public so the supervisor can read the limits and tools;
 * treat it as read-only and release it with policy_free().
 */
#ifndef GAO_POLICY_POLICY_H
#define GAO_POLICY_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "proto/msg.h"

/* Bounds the loader enforces. */
#define POLICY_FILE_MAX (256u << 10) /* bytes of one profile file */
#define POLICY_NAME_MAX 64           /* [a-z0-9][a-z0-9_-]* */
#define POLICY_DESCRIPTION_MAX 512
#define POLICY_OUTPUT_MAX (1u << 20)  /* output_bytes upper bound */
#define POLICY_TIMEOUT_CAP_MS 600000u /* docs/decisions.md: Bash maximum */

enum policy_net {
	POLICY_NET_NONE = 0, /* no sockets but AF_UNIX (when allowed) */
	POLICY_NET_TCP = 1,  /* outbound TCP (and UDP for DNS) */
};

enum policy_syscalls {
	POLICY_SYSCALLS_DENYLIST = 0,  /* allow all but the dangerous set */
	POLICY_SYSCALLS_ALLOWLIST = 1, /* default deny, file tools only */
};

/* Tools a profile may grant (bits of policy.tools). */
enum policy_tool {
	POLICY_TOOL_READ = 1u << 0,
	POLICY_TOOL_WRITE = 1u << 1,
	POLICY_TOOL_EDIT = 1u << 2,
	POLICY_TOOL_MULTIEDIT = 1u << 3,
	POLICY_TOOL_GLOB = 1u << 4,
	POLICY_TOOL_GREP = 1u << 5,
	POLICY_TOOL_BASH = 1u << 6,
	POLICY_TOOL_TODOWRITE = 1u << 7,
	POLICY_TOOL_ALL = (1u << 8) - 1,
};

/* Resource limits; 0 means "unlimited" (the rlimit is left as it is). */
struct policy_limits {
	uint64_t cpu_seconds;        /* RLIMIT_CPU, per process */
	uint64_t memory_bytes;       /* RLIMIT_AS, per process */
	uint64_t file_size_bytes;    /* RLIMIT_FSIZE, per file */
	uint64_t open_files;         /* RLIMIT_NOFILE */
	uint64_t processes;          /* RLIMIT_NPROC (per uid!) */
	uint64_t output_bytes;       /* one tool result's content; never 0 */
	uint32_t timeout_default_ms; /* Bash default; never 0 */
	uint32_t timeout_max_ms;     /* Bash maximum; never 0 */
};

struct policy {
	char *name;        /* [a-z0-9][a-z0-9_-]*, at most 64 bytes */
	char *description; /* one line, or NULL */
	char *source;      /* the file it was loaded from, or NULL */
	char **ro_paths;   /* templates: read + execute */
	size_t n_ro;
	char **rw_paths; /* templates: every right */
	size_t n_rw;
	enum policy_net network;
	bool allow_exec; /* execve/execveat (Bash) */
	bool allow_unix; /* AF_UNIX sockets */
	enum policy_syscalls syscalls;
	struct policy_limits limits;
	uint32_t tools; /* enum policy_tool bits */
};

/*
 * policy_load_file - load and validate the profile at path.
 * Returns 0 and sets *out (caller frees with policy_free()). On failure
 * returns a negative errno (-EINVAL for an invalid profile, -ENOENT,
 * -EACCES, -EFBIG, ... for I/O, -ENOMEM) with *out set to NULL and a
 * message in err: "path:line:column: message" for a profile error,
 * "path: message" for an I/O error. err may be NULL when errlen is 0.
 */
int policy_load_file(const char *path, struct policy **out, char *err,
		     size_t errlen);

/*
 * policy_load_buffer - as policy_load_file(), from len bytes at buf
 * (need not be NUL-terminated). label names the source in messages and
 * becomes policy.source (NULL: "<buffer>" and no source). For tests and
 * the fuzz harness.
 */
int policy_load_buffer(const char *buf, size_t len, const char *label,
		       struct policy **out, char *err, size_t errlen);

/*
 * policy_load_named - load a profile by name or path. A value containing
 * '/' or ending in ".yaml" is a path, loaded with policy_load_file().
 * Anything else must be a profile name ([a-z0-9][a-z0-9_-]*) and is loaded
 * from profiles_dir/<name>.yaml; an unknown name fails with -ENOENT and a
 * message that names the directory. Returns and owns as policy_load_file().
 */
int policy_load_named(const char *name_or_path, const char *profiles_dir,
		      struct policy **out, char *err, size_t errlen);

/* Release p and everything it owns; policy_free(NULL) is a no-op. */
void policy_free(struct policy *p);

/* The profile's name (owned by p). */
const char *policy_name(const struct policy *p);

/*
 * policy_tool_bit - the enum policy_tool bit for a tool name ("Read",
 * "Bash", ...; case-sensitive), or 0 for a name gao-dev does not know.
 */
uint32_t policy_tool_bit(const char *tool);

/* The name of one enum policy_tool bit (static storage), or NULL. */
const char *policy_tool_name(uint32_t bit);

/* True when p grants the tool named tool; false for unknown names. */
bool policy_allows_tool(const struct policy *p, const char *tool);

/*
 * policy_wider - true when p grants something base does not: network,
 * exec, AF_UNIX sockets, a denylist where base has an allow-list, a tool,
 * a read-only path not covered by base's paths, a read-write path not
 * covered by base's read-write paths, or a higher limit (0, unlimited,
 * is the highest). The first such grant is described in why (cap bytes,
 * e.g. "network: tcp"); why is "" when p is no wider. Both are borrowed.
 */
bool policy_wider(const struct policy *p, const struct policy *base, char *why,
		  size_t cap);

/*
 * policy_to_msg - the policy as the worker needs it, placeholders expanded.
 * project_dir must be an absolute path other than "/". tmp_dir is the
 * agent's private temporary directory (absolute), or NULL when there is
 * none: then every path that uses {tmp} is left out (less access, never
 * more). On success returns 0 and fills *out, whose members are malloc'ed
 * (release them with msg_policy_clear()); test_disable is 0. On failure
 * returns -EINVAL (bad directory argument), -ENAMETOOLONG (an expanded
 * path reaches PROTO_PATH_MAX) or -ENOMEM, and *out is zeroed.
 */
int policy_to_msg(const struct policy *p, const char *project_dir,
		  const char *tmp_dir, struct msg_policy *out);

/*
 * policy_print - write the effective policy to f as commented YAML (the
 * text of `gao-dev policy show`). The output is itself a valid profile that
 * loads to an equal policy (same hash). Returns 0, or -EIO when writing to
 * f failed.
 */
int policy_print(FILE *f, const struct policy *p);

/*
 * policy_hash - lower-case hex SHA-256 of the canonical form of p (every
 * field that changes behaviour; not the description or source file; path
 * lists sorted), NUL-terminated in out. Stable across releases as long as
 * the canonical form's version line ("gao-dev-policy 1") is unchanged.
 * On the (allocation) failure of libcrypto out is the empty string.
 */
void policy_hash(const struct policy *p, char out[65]);

#endif
