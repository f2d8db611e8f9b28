/*
 * confine.h - what a benchmark config may ask for: the rules that keep an
 * untrusted config inside its own directory and inside the sandbox the
 * operator chose.
 *
 * Design note
 * -----------
 * CI runs configs from pull requests, so a config is untrusted input
 * (docs/security.md, threat model). It may not:
 *
 *   - name boilerplate (boilerplate_path, or a file:// boilerplate_url)
 *     outside its own directory: the resolved path (realpath: symlinks
 *     followed, then compared) must lie strictly below the directory the
 *     config file is in, or at or below the operator's --boilerplate-root
 *     (boilerplate_root: in the user config). A ".." component is refused
 *     outright, as is a percent-escape in a file:// URL;
 *   - widen the sandbox: its policy: must be a built-in profile name no
 *     wider than the "default" profile (policy_wider, policy/compare.c);
 *     a wider one, or a path to a policy file, needs the operator's
 *     --allow-config-policy;
 *   - ask for more time than the operator allows: every timeout_seconds
 *     is at most --max-timeout (max_timeout: in the user config; default
 *     CONFINE_MAX_TIMEOUT_DEFAULT, which every bundled config and the
 *     config default of 7200 s fit under).
 *
 * The functions here decide; benchmark.c reports each refusal at the
 * field's file:line:column (exit 2). Nothing here prints.
 */
#ifndef GAO_SUPERVISOR_CONFINE_H
#define GAO_SUPERVISOR_CONFINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFINE_MAX_TIMEOUT_DEFAULT 7200
#define CONFINE_MAX_TIMEOUT_MAX 86400

/* The operator's choices; all borrowed. */
struct confine_rules {
	const char *boilerplate_root; /* --boilerplate-root, or NULL */
	int64_t max_timeout;          /* 0: CONFINE_MAX_TIMEOUT_DEFAULT */
	bool allow_config_policy;     /* --allow-config-policy */
	const char *profiles_dir;     /* NULL: datadir_profiles() */
};

/*
 * confine_boilerplate - may a config in config_dir name the local
 * boilerplate value (a path as written: absolute, or relative to
 * config_dir)? Returns 0 with *resolved set to its canonical absolute
 * path (malloc'ed, caller frees; a path that does not exist yet is
 * resolved as far as it exists), or -1 with the reason and the fix in why
 * (cap bytes) and *resolved NULL. rules may be NULL (the defaults).
 */
int confine_boilerplate(const struct confine_rules *rules,
			const char *config_dir, const char *value,
			char **resolved, char *why, size_t cap);

/*
 * confine_file_url - as confine_boilerplate for a "file://" URL (url
 * starts with it): the path must be absolute ("file:///...") and hold no
 * '%'. *resolved is then "file://" and the canonical path.
 */
int confine_file_url(const struct confine_rules *rules, const char *config_dir,
		     const char *url, char **resolved, char *why, size_t cap);

/*
 * confine_policy - may a config name the policy value? Without
 * --allow-config-policy: a built-in profile name no wider than
 * "default". With it: any name, or a path (relative to config_dir), whose
 * profile loads. Returns 0 with *resolved (malloc'ed: the name, or the
 * absolute path of a file), or -1 with the reason and fix in why.
 */
int confine_policy(const struct confine_rules *rules, const char *config_dir,
		   const char *value, char **resolved, char *why, size_t cap);

/* The ceiling for every timeout_seconds of a config under rules. */
int64_t confine_max_timeout(const struct confine_rules *rules);

#endif
