/*
 * runner_userconf.c - what "sandbox run" takes from the user config
 * ($GAO_DEV_CONFIG, else ~/.config/gao-dev/config.yaml): the API version,
 * the run totals, the idle timeout and the rules for untrusted configs.
 *
 * Design note
 * -----------
 * The command line always wins; the user config fills in what it left
 * unset, and a missing or unreadable file is no config at all. The file
 * is the operator's, but still checked: a value of the wrong kind or out
 * of range is a usage error (exit 2) naming the file, the key and the
 * fix, said before any side effect. Each reader loads the file again:
 * they run once an invocation, and each stays self-contained.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "supervisor/config/cli.h"
#include "supervisor/config/confine.h"
#include "supervisor/config/yamljson.h"
#include "supervisor/run/runner_int.h"

/* The user config: $GAO_DEV_CONFIG, else ~/.config/gao-dev/config.yaml. */
void
runner_userconf_path(char *buf, size_t cap)
{
	const char *home = getenv("HOME"), *gc = getenv("GAO_DEV_CONFIG");

	if (gc && *gc)
		snprintf(buf, cap, "%s", gc);
	else
		snprintf(buf, cap, "%s/.config/gao-dev/config.yaml",
			 home ? home : "/nonexistent");
}

int
runner_userconf_load(struct yamljson *y, char *path, size_t cap)
{
	char err[1024];

	runner_userconf_path(path, cap);
	if (access(path, R_OK) != 0)
		return 0;
	if (yamljson_load(path, y, err, sizeof(err)) < 0) {
		runner_say("gao-dev: %s\n", err);
		return EXIT_USAGE;
	}
	return 1;
}

/* Every key the user config may hold (docs/gao-dev.1, FILES). */
static const char *const known_keys[] = {
	"api_key_file",
	"api_key",
	"anthropic_version",
	"model",
	"thinking_budget",
	"boilerplate_root",
	"max_timeout",
	"max_memory",
	"max_disk",
	"max_files",
	"web",
	"web_domains",
	"web_max_uses",
	"idle_timeout",
};

int
runner_userconf_check(void)
{
	char path[PATH_MAX], known[512] = "";
	struct yamljson y;
	int rc = runner_userconf_load(&y, path, sizeof(path)), line = 0,
	    col = 0;
	const char *k;
	json_t *v;
	size_t i;

	if (rc != 1)
		return rc;
	rc = 0;
	for (i = 0; i < sizeof(known_keys) / sizeof(*known_keys); i++)
		snprintf(known + strlen(known), sizeof(known) - strlen(known),
			 "%s%s", i ? ", " : "", known_keys[i]);
	if (!json_is_object(y.root) && !json_is_null(y.root)) {
		yamljson_pos(&y, "", &line, &col);
		runner_say("gao-dev: %s:%d:%d: the user config must be a "
			   "mapping of keys (%s), not a list or a scalar\n",
			   path, line ? line : 1, col ? col : 1, known);
		rc = EXIT_USAGE;
	}
	json_object_foreach(y.root, k, v) {
		bool ok = false;

		for (i = 0; i < sizeof(known_keys) / sizeof(*known_keys); i++)
			ok |= strcmp(k, known_keys[i]) == 0;
		if (ok || rc)
			continue;
		yamljson_pos(&y, k, &line, &col);
		runner_say("gao-dev: %s:%d:%d: %s: not a key of the user "
			   "config (a typo?); the keys are %s\n",
			   path, line, col, k, known);
		rc = EXIT_USAGE;
	}
	yamljson_clear(&y);
	return rc;
}

/*
 * --anthropic-version, else anthropic_version: in the user config, else
 * the current version. 0, or EXIT_USAGE for a config that does not parse.
 */
int
runner_userconf_api_version(struct cli *c, char *buf, size_t cap)
{
	char path[PATH_MAX];
	struct yamljson y;
	const json_t *vj;
	const char *v;
	int line = 0, col = 0, rc;

	snprintf(buf, cap, "%s",
		 c->anthropic_version ? c->anthropic_version : "2026-10-21");
	if (c->anthropic_version)
		return 0;
	rc = runner_userconf_load(&y, path, sizeof(path));
	if (rc != 1)
		return rc;
	vj = json_object_get(y.root, "anthropic_version");
	v = json_string_value(vj);
	if (vj && (!v || !cli_api_version_ok(v))) {
		yamljson_pos(&y, "anthropic_version", &line, &col);
		runner_say("gao-dev: %s:%d:%d: anthropic_version: expected an "
			   "API version, a date such as 2026-10-21 (or remove "
			   "the key for the current one)\n",
			   path, line, col);
		yamljson_clear(&y);
		return EXIT_USAGE;
	}
	if (v)
		snprintf(buf, cap, "%s", v);
	yamljson_clear(&y);
	return 0;
}

/*
 * One cap of the user config: a whole number (max_files), or a size in
 * bytes, a number or a string with a suffix (min: the smallest allowed).
 * 0 (and *out set when the key is there), or EXIT_USAGE with a message
 * naming the file, the position, the key and the fix.
 */
static int
user_cap(const struct yamljson *y, const char *path, const char *key,
	 uint64_t min, uint64_t *out)
{
	const json_t *v = json_object_get(y->root, key);
	const char *why = "";
	char num[64];
	int line = 0, col = 0;

	if (!v)
		return 0;
	if (min == 0) { /* a count */
		if (json_is_integer(v) && json_integer_value(v) >= 1 &&
		    json_integer_value(v) <= 1000000000) {
			*out = (uint64_t)json_integer_value(v);
			return 0;
		}
	} else {
		if (json_is_integer(v) && json_integer_value(v) >= 0)
			snprintf(num, sizeof(num), "%lld",
				 (long long)json_integer_value(v));
		else
			snprintf(num, sizeof(num), "%s",
				 json_is_string(v) ? json_string_value(v) : "");
		if (cli_parse_size(num, min, CLI_MAX_CAP, out, &why) == 0)
			return 0;
	}
	yamljson_pos(y, key, &line, &col);
	if (min == 0)
		runner_say(
			"gao-dev: %s:%d:%d: %s: expected a whole number from "
			"1 to 1000000000\n",
			path, line, col, key);
	else
		runner_say(
			"gao-dev: %s:%d:%d: %s: expected a size from %llu to "
			"%llu bytes: digits with an optional suffix K, M, G or "
			"T (or KiB, MiB, GiB, TiB), e.g. 512M\n",
			path, line, col, key, (unsigned long long)min,
			(unsigned long long)CLI_MAX_CAP);
	return EXIT_USAGE;
}

/*
 * The run totals: the options, else max_memory:, max_disk: and
 * max_files: in the user config, else the defaults (cli.h). 0, or
 * EXIT_USAGE for a config value that is not one.
 */
int
runner_userconf_caps(struct cli *c)
{
	char path[PATH_MAX];
	struct yamljson y;
	uint64_t mem = c->max_memory, disk = c->max_disk, files = c->max_files;
	int rc;

	if (c->max_memory_set && c->max_disk_set && c->max_files_set)
		return 0;
	rc = runner_userconf_load(&y, path, sizeof(path));
	if (rc != 1)
		return rc;
	rc = user_cap(&y, path, "max_memory", CLI_MIN_MAX_MEMORY, &mem);
	if (rc == 0)
		rc = user_cap(&y, path, "max_disk", CLI_MIN_MAX_DISK, &disk);
	if (rc == 0)
		rc = user_cap(&y, path, "max_files", 0, &files);
	if (rc == 0 && !c->max_memory_set &&
	    json_object_get(y.root, "max_memory")) {
		c->max_memory = mem;
		c->max_memory_set = true; /* asked for: enforced or exit 4 */
	}
	if (rc == 0 && !c->max_disk_set)
		c->max_disk = disk;
	if (rc == 0 && !c->max_files_set)
		c->max_files = files;
	yamljson_clear(&y);
	return rc;
}

/*
 * --idle-timeout, else idle_timeout: in the user config (a whole number
 * of seconds, the option's range), else the default (cli.c). 0, or
 * EXIT_USAGE naming the file, the position, the key and the fix.
 */
int
runner_userconf_idle_timeout(struct cli *c)
{
	char path[PATH_MAX];
	struct yamljson y;
	const json_t *v;
	int line = 0, col = 0, rc;

	if (c->idle_timeout_set)
		return 0;
	rc = runner_userconf_load(&y, path, sizeof(path));
	if (rc != 1)
		return rc;
	rc = 0;
	v = json_object_get(y.root, "idle_timeout");
	if (v && (!json_is_integer(v) ||
		  json_integer_value(v) < CLI_MIN_IDLE_TIMEOUT ||
		  json_integer_value(v) > CLI_MAX_IDLE_TIMEOUT)) {
		yamljson_pos(&y, "idle_timeout", &line, &col);
		runner_say("gao-dev: %s:%d:%d: idle_timeout: expected a whole "
			   "number of seconds from %d to %d (or remove the key "
			   "for the default, %ld)\n",
			   path, line, col, CLI_MIN_IDLE_TIMEOUT,
			   CLI_MAX_IDLE_TIMEOUT, c->idle_timeout_s);
		rc = EXIT_USAGE;
	} else if (v) {
		c->idle_timeout_s = (long)json_integer_value(v);
	}
	yamljson_clear(&y);
	return rc;
}

/*
 * The rules for untrusted configs (confine.h): the command line, else
 * boilerplate_root: (absolute, or relative to the user config's
 * directory) and max_timeout: (1 to 86400) in the user config. 0, or
 * EXIT_USAGE after saying which key of which file is wrong.
 */
int
runner_userconf_rules(const struct cli *c, struct confine_rules *rules,
		      char *bp_root, size_t bp_cap)
{
	char path[PATH_MAX], *slash;
	struct yamljson y;
	json_t *root, *mt, *brv;
	const char *br;
	int rc = 0, line = 0, col = 0;

	rules->allow_config_policy = c->allow_config_policy;
	rules->max_timeout = c->max_timeout;
	rules->boilerplate_root = c->boilerplate_root;
	if (c->max_timeout && c->boilerplate_root)
		return 0;
	rc = runner_userconf_load(&y, path, sizeof(path));
	if (rc != 1)
		return rc;
	rc = 0;
	root = y.root;
	mt = json_object_get(root, "max_timeout");
	brv = json_object_get(root, "boilerplate_root");
	br = json_string_value(brv);
	if (brv && (!br || !br[0])) {
		yamljson_pos(&y, "boilerplate_root", &line, &col);
		runner_say("gao-dev: %s:%d:%d: boilerplate_root: expected a "
			   "directory (a path, absolute or relative to the "
			   "user config's directory)\n",
			   path, line, col);
		rc = EXIT_USAGE;
	}
	if (!c->max_timeout && mt) {
		if (!json_is_integer(mt) || json_integer_value(mt) < 1 ||
		    json_integer_value(mt) > CONFINE_MAX_TIMEOUT_MAX) {
			yamljson_pos(&y, "max_timeout", &line, &col);
			runner_say("gao-dev: %s:%d:%d: max_timeout: expected "
				   "a whole number of seconds from 1 to "
				   "%d\n",
				   path, line, col, CONFINE_MAX_TIMEOUT_MAX);
			rc = EXIT_USAGE;
		} else {
			rules->max_timeout = json_integer_value(mt);
		}
	}
	if (!c->boilerplate_root && br && br[0]) {
		slash = strrchr(path, '/');
		if (slash && br[0] != '/')
			slash[1] = 0;
		snprintf(bp_root, bp_cap, "%s%s",
			 slash && br[0] != '/' ? path : "", br);
		rules->boilerplate_root = bp_root;
	}
	yamljson_clear(&y);
	return rc;
}
