/*
 * secret.h - the API key, and the one redaction step for every output.
 *
 * Design note
 * -----------
 * This is the only module that holds the key. It lives in its own page,
 * mlock()ed (never swapped), MADV_DONTDUMP (never in a core file) and
 * MADV_DONTFORK (not even mapped in a child between fork and exec), and is
 * wiped with explicit_bzero() when freed. The string it was read from
 * (argv or the environment) is overwritten in place, because unsetenv()
 * does not clear /proc/<pid>/environ.
 *
 * Every log line, transcript, results file and error message passes
 * through secret_redact() before it leaves the process: it removes the
 * exact key and anything shaped like an Anthropic key (sk-ant-...).
 */
#ifndef GAO_SUPERVISOR_SECRET_H
#define GAO_SUPERVISOR_SECRET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include <jansson.h>

struct secret;

/* Where the key may come from, first found wins (see secret_load). */
struct secret_sources {
	char *arg_key;           /* --api-key (argv string; wiped in place) */
	const char *key_file;    /* --api-key-file */
	bool allow_insecure;     /* --allow-insecure-key-file */
	const char *config_file; /* user config (api_key_file: / api_key:) */
	const char *dotenv;      /* .env file path, or NULL */
};

enum secret_err {
	SECRET_E_MISSING = -1,  /* no source had a key */
	SECRET_E_FILE = -2,     /* key file unreadable or empty */
	SECRET_E_INSECURE = -3, /* key file readable by group or others */
	SECRET_E_INVALID = -4,  /* control characters, too long */
	SECRET_E_NOMEM = -5,
};

/*
 * secret_load - find the key: --api-key, --api-key-file, then the
 * ANTHROPIC_API_KEY environment variable, then the user config file, then
 * ./.env. On success returns 0, *out owns the key (free with
 * secret_free) and *source names where it came from (static string).
 * On failure returns a negative enum secret_err with a message in err
 * (which never contains the key). Registers the key for secret_redact().
 * In the config file, api_key_file: may start with "~/" (the home
 * directory) or be relative to the config file's directory. The string
 * the key came from (argv, the environment) is overwritten in place.
 */
int secret_load(struct secret_sources *src, struct secret **out,
		const char **source, char *err, size_t errlen);

/* Build a secret directly (tests, key validation); same guarantees. */
int secret_from_string(const char *key, struct secret **out);

/* The key, NUL-terminated, for the x-api-key header only. */
const char *secret_value(const struct secret *s);

/* Wipe and free; NULL is a no-op. Unregisters it from redaction. */
void secret_free(struct secret *s);

/*
 * secret_redact - a malloc'ed copy of text with every registered key and
 * every sk-ant-... token replaced by "[REDACTED]". NULL only on ENOMEM.
 */
char *secret_redact(const char *text);

/* secret_redact of json_dumps(v, flags); caller frees. NULL on failure. */
char *secret_redact_json(const json_t *v, size_t flags);

/*
 * secret_is_source - true when st (from stat/fstat) is a file that
 * secret_load() read the key from or opened looking for it: the key
 * file, the user config when it held api_key:, a .env. Such a file is
 * never copied into a project.
 */
bool secret_is_source(const struct stat *st);

/* secret_find - true when buf[0..len) holds a registered key. */
bool secret_find(const void *buf, size_t len);

/* The length of the longest registered key; 0 when there is none. A
 * scan in chunks keeps this many bytes minus one between chunks. */
size_t secret_max_len(void);

/* Overwrite a string in place with 'x' (argv and environ wiping). */
void secret_wipe_string(char *s);

#endif
