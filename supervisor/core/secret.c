/*
 * secret.c - the API key and redaction. See secret.h for the design note.
 */
#include "supervisor/core/secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#define SECRET_MAX 1024 /* longer than any real key */
#define SECRET_MIN 5    /* far shorter than any real key */
#define SECRET_PAGE 4096

struct secret {
	char *page; /* mmap'ed, locked, not dumped, not forked */
	size_t len;
};

/* The registered keys for redaction: few, so a tiny fixed table. */
static const struct secret *registered[4];

/* -1 when the table is full: a key that cannot be redacted is refused. */
static int
register_key(const struct secret *s)
{
	for (size_t i = 0; i < 4; i++) {
		if (!registered[i]) {
			registered[i] = s;
			return 0;
		}
	}
	return -1;
}

static void
unregister_key(const struct secret *s)
{
	for (size_t i = 0; i < 4; i++)
		if (registered[i] == s)
			registered[i] = NULL;
}

/*
 * The files secret_load() read the key from or opened looking for it
 * (the key file, the user config when it held api_key:, a .env): never
 * to be copied into a project (boilerplate.c). Identified by device and
 * inode, so another path to the same file is the same file.
 */
static struct {
	dev_t dev;
	ino_t ino;
} sources[4];
static size_t n_sources;

static void
note_source(const struct stat *st)
{
	if (n_sources < sizeof(sources) / sizeof(*sources)) {
		sources[n_sources].dev = st->st_dev;
		sources[n_sources].ino = st->st_ino;
		n_sources++;
	}
}

bool
secret_is_source(const struct stat *st)
{
	for (size_t i = 0; i < n_sources; i++)
		if (sources[i].dev == st->st_dev &&
		    sources[i].ino == st->st_ino)
			return true;
	return false;
}

size_t
secret_max_len(void)
{
	size_t n = 0;

	for (size_t i = 0; i < 4; i++)
		if (registered[i] && registered[i]->len > n)
			n = registered[i]->len;
	return n;
}

bool
secret_find(const void *buf, size_t len)
{
	for (size_t i = 0; i < 4; i++) {
		const struct secret *s = registered[i];

		if (s && s->len <= len && memmem(buf, len, s->page, s->len))
			return true;
	}
	return false;
}

void
secret_wipe_string(char *s)
{
	if (s)
		memset(s, 'x', strlen(s));
}

/* Printable ASCII only: anything else could split an HTTP header. */
static bool
key_is_valid(const char *k, size_t n)
{
	/* real keys are about 100 characters; a very short "key" would also
	 * make redaction shred every output that contains its letters */
	if (n < SECRET_MIN || n > SECRET_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (k[i] <= 0x20 || k[i] >= 0x7f)
			return false;
	return true;
}

static int
secret_from_mem(const char *key, size_t n, struct secret **out)
{
	struct secret *s;

	if (!key_is_valid(key, n))
		return SECRET_E_INVALID;
	s = calloc(1, sizeof(*s));
	if (!s || register_key(s) < 0) {
		free(s);
		return SECRET_E_NOMEM;
	}
	s->page = mmap(NULL, SECRET_PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s->page == MAP_FAILED) {
		unregister_key(s);
		free(s);
		return SECRET_E_NOMEM;
	}
	/* mlock may fail under a tight RLIMIT_MEMLOCK: the other two
	 * protections still hold, so this is not fatal. */
	(void)mlock(s->page, SECRET_PAGE);
	(void)madvise(s->page, SECRET_PAGE, MADV_DONTDUMP);
	(void)madvise(s->page, SECRET_PAGE, MADV_DONTFORK);
	memcpy(s->page, key, n);
	s->page[n] = 0;
	s->len = n;
	*out = s;
	return 0;
}

int
secret_from_string(const char *key, struct secret **out)
{
	return secret_from_mem(key, strlen(key), out);
}

const char *
secret_value(const struct secret *s)
{
	return s->page;
}

void
secret_free(struct secret *s)
{
	if (!s)
		return;
	unregister_key(s);
	explicit_bzero(s->page, SECRET_PAGE);
	munlock(s->page, SECRET_PAGE);
	munmap(s->page, SECRET_PAGE);
	free(s);
}

/* Length of the key in buf, without trailing whitespace. */
static size_t
trimmed_len(const char *buf, size_t n)
{
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
			 buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	return n;
}

static int
load_key_file(const char *path, bool allow_insecure, struct secret **out,
	      char *err, size_t errlen)
{
	char buf[SECRET_MAX + 2];
	struct stat st;
	ssize_t n;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(err, errlen, "cannot read API key file %s: %s", path,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return SECRET_E_FILE;
	}
	note_source(&st);
	if ((st.st_mode & 077) && !allow_insecure) {
		snprintf(err, errlen,
			 "API key file %s is readable by group or "
			 "others (mode %04o); run chmod 600 %s, or pass "
			 "--allow-insecure-key-file",
			 path, (unsigned)(st.st_mode & 07777), path);
		close(fd);
		return SECRET_E_INSECURE;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n >= 0 && trimmed_len(buf, (size_t)n) == 0) {
		snprintf(err, errlen, "API key file %s is empty", path);
		return SECRET_E_FILE;
	}
	rc = n < 0 ? SECRET_E_FILE :
		     secret_from_mem(buf, trimmed_len(buf, (size_t)n), out);
	explicit_bzero(buf, sizeof(buf));
	if (rc == SECRET_E_INVALID)
		snprintf(err, errlen,
			 "API key file %s does not hold one key "
			 "(empty, too long, or control characters)",
			 path);
	else if (rc < 0)
		snprintf(err, errlen, "cannot read API key file %s", path);
	return rc;
}

static int
load_env(struct secret **out, char *err, size_t errlen)
{
	char *v = getenv("ANTHROPIC_API_KEY");
	int rc;

	if (!v || !*v)
		return SECRET_E_MISSING;
	rc = secret_from_mem(v, trimmed_len(v, strlen(v)), out);
	/* getenv points into the original environment block: wiping it
	 * clears /proc/self/environ too, which unsetenv would not. */
	secret_wipe_string(v);
	unsetenv("ANTHROPIC_API_KEY");
	if (rc < 0)
		snprintf(err, errlen,
			 "ANTHROPIC_API_KEY does not hold a valid "
			 "key (control characters, too short or too long)");
	return rc;
}

/*
 * Find a top-level scalar key in a YAML mapping file; malloc'ed value.
 * Only scalar values count: a key whose value is a mapping, a list or an
 * alias is skipped, and so is a document that is not a mapping.
 *
 * Why the user config is not read with config/yamljson.c, the reader of
 * every other config: the file may hold the key itself (api_key:), and
 * this event reader makes exactly one heap copy of the one value asked
 * for, which the caller wipes before freeing it; a whole-document tree
 * would leave copies of the key in jansson strings that are freed
 * unwiped. (It also keeps core/, where the key lives, below config/.)
 */
static char *
yaml_top_scalar(const char *path, const char *want)
{
	yaml_parser_t p;
	yaml_event_t ev;
	FILE *f = fopen(path, "re");
	char *val = NULL;
	int depth = 0, want_next = 0, is_key = 1, root_map = 0;

	if (!f || !yaml_parser_initialize(&p)) {
		if (f)
			fclose(f);
		return NULL;
	}
	yaml_parser_set_input_file(&p, f);
	while (yaml_parser_parse(&p, &ev)) {
		yaml_event_type_t t = ev.type;

		if (t == YAML_MAPPING_START_EVENT && depth == 0)
			root_map = 1;
		if (t == YAML_MAPPING_START_EVENT ||
		    t == YAML_SEQUENCE_START_EVENT) {
			if (depth == 1) {
				is_key = !is_key;
				want_next = 0;
			}
			depth++;
		} else if (t == YAML_MAPPING_END_EVENT ||
			   t == YAML_SEQUENCE_END_EVENT) {
			depth--;
		} else if (t == YAML_ALIAS_EVENT && depth == 1) {
			is_key = !is_key;
			want_next = 0;
		} else if (t == YAML_SCALAR_EVENT && depth == 1 && root_map) {
			const char *s = (const char *)ev.data.scalar.value;

			if (want_next && !val)
				val = strdup(s);
			want_next = is_key && strcmp(s, want) == 0;
			is_key = !is_key;
		}
		yaml_event_delete(&ev);
		if (t == YAML_STREAM_END_EVENT)
			break;
	}
	yaml_parser_delete(&p);
	fclose(f);
	return val;
}

/*
 * Where api_key_file: points: "~/" is the home directory and a relative
 * path is relative to the config file's directory (not to wherever
 * gao-dev happens to run). malloc'ed; NULL on ENOMEM.
 */
static char *
config_path(const char *config, const char *v)
{
	const char *home = getenv("HOME"), *slash = strrchr(config, '/');
	char *p = NULL;

	if (strncmp(v, "~/", 2) == 0 && home && *home)
		return asprintf(&p, "%s/%s", home, v + 2) < 0 ? NULL : p;
	if (v[0] == '/' || v[0] == '~' || !slash)
		return strdup(v);
	if (asprintf(&p, "%.*s/%s", (int)(slash - config), config, v) < 0)
		return NULL;
	return p;
}

static int
load_config(const struct secret_sources *src, struct secret **out, char *err,
	    size_t errlen)
{
	struct stat st;
	char *v, *path;
	int rc;

	if (!src->config_file || access(src->config_file, R_OK) < 0)
		return SECRET_E_MISSING;
	v = yaml_top_scalar(src->config_file, "api_key_file");
	if (v) {
		path = config_path(src->config_file, v);
		free(v);
		if (!path)
			return SECRET_E_NOMEM;
		rc = load_key_file(path, src->allow_insecure, out, err, errlen);
		free(path);
		return rc;
	}
	v = yaml_top_scalar(src->config_file, "api_key");
	if (!v)
		return SECRET_E_MISSING;
	if (stat(src->config_file, &st) == 0)
		note_source(&st);
	rc = secret_from_mem(v, trimmed_len(v, strlen(v)), out);
	explicit_bzero(v, strlen(v));
	free(v);
	if (rc < 0)
		snprintf(err, errlen, "%s: api_key is not a valid key",
			 src->config_file);
	return rc;
}

/* ANTHROPIC_API_KEY=... (optionally "export ", optionally quoted). */
static int
load_dotenv(const char *path, struct secret **out, char *err, size_t errlen)
{
	static const char name[] = "ANTHROPIC_API_KEY=";
	char line[SECRET_MAX + 64];
	struct stat st;
	FILE *f;
	int rc = SECRET_E_MISSING;

	if (!path || !(f = fopen(path, "re")))
		return SECRET_E_MISSING;
	if (fstat(fileno(f), &st) == 0)
		note_source(&st);
	while (rc == SECRET_E_MISSING && fgets(line, sizeof(line), f)) {
		char *p = line;
		size_t n;

		if (strncmp(p, "export ", 7) == 0)
			p += 7;
		if (strncmp(p, name, sizeof(name) - 1) != 0)
			continue;
		p += sizeof(name) - 1;
		n = trimmed_len(p, strlen(p));
		if (n >= 2 && (p[0] == '"' || p[0] == '\'') &&
		    p[n - 1] == p[0]) {
			p++;
			n -= 2;
		}
		rc = secret_from_mem(p, n, out);
		if (rc < 0)
			snprintf(err, errlen,
				 "%s: ANTHROPIC_API_KEY is not a "
				 "valid key",
				 path);
	}
	explicit_bzero(line, sizeof(line));
	fclose(f);
	return rc;
}

int
secret_load(struct secret_sources *src, struct secret **out,
	    const char **source, char *err, size_t errlen)
{
	int rc;

	*out = NULL;
	if (src->arg_key) {
		*source = "--api-key";
		rc = secret_from_mem(src->arg_key, strlen(src->arg_key), out);
		secret_wipe_string(src->arg_key);
		if (rc < 0)
			snprintf(err, errlen, "--api-key is not a valid key");
		return rc;
	}
	if (src->key_file) {
		*source = "--api-key-file";
		return load_key_file(src->key_file, src->allow_insecure, out,
				     err, errlen);
	}
	*source = "ANTHROPIC_API_KEY";
	rc = load_env(out, err, errlen);
	if (rc != SECRET_E_MISSING)
		return rc;
	*source = "config file";
	rc = load_config(src, out, err, errlen);
	if (rc != SECRET_E_MISSING)
		return rc;
	*source = ".env";
	rc = load_dotenv(src->dotenv, out, err, errlen);
	if (rc != SECRET_E_MISSING)
		return rc;
	snprintf(err, errlen,
		 "API key not found. Provide via --api-key, "
		 "--api-key-file, or ANTHROPIC_API_KEY environment variable "
		 "(or api_key_file: in %s, or ANTHROPIC_API_KEY in ./.env)",
		 src->config_file ? src->config_file :
				    "~/.config/gao-dev/config.yaml");
	return SECRET_E_MISSING;
}

static bool
is_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* Length of a match of a registered key or sk-ant-token at p, or 0. */
static size_t
match_at(const char *p)
{
	size_t n = 0;

	for (size_t i = 0; i < 4; i++) {
		const struct secret *s = registered[i];

		if (s && strncmp(p, s->page, s->len) == 0)
			return s->len;
	}
	if (strncmp(p, "sk-ant-", 7) != 0)
		return 0;
	n = 7;
	while (is_key_char(p[n]))
		n++;
	return n;
}

char *
secret_redact(const char *text)
{
	static const char mark[] = "[REDACTED]";
	size_t len = strlen(text), cap = len + 1, o = 0, m;
	char *out = malloc(cap);

	if (!out)
		return NULL;
	for (const char *p = text; *p;) {
		m = match_at(p);
		if (m == 0) {
			out[o++] = *p++;
			continue;
		}
		/* the mark may be longer than a short key: grow */
		if (o + sizeof(mark) + (len - (size_t)(p - text)) > cap) {
			char *n = realloc(out, cap + sizeof(mark) + 16);

			if (!n) {
				free(out);
				return NULL;
			}
			out = n;
			cap += sizeof(mark) + 16;
		}
		memcpy(out + o, mark, sizeof(mark) - 1);
		o += sizeof(mark) - 1;
		p += m;
	}
	out[o] = 0;
	return out;
}

/*
 * The serialised text is what gets redacted, but a key holding a quote, a
 * backslash or a slash may appear escaped there ("\"", "\\", "\/"), so
 * its bytes are not found. For such keys (never seen in practice, hence
 * not on the fast path) every string value is redacted before encoding.
 */
static bool
keys_need_value_pass(void)
{
	for (size_t i = 0; i < 4; i++)
		if (registered[i] && strpbrk(registered[i]->page, "\"\\/"))
			return true;
	return false;
}

/* Redact every string value of v in place (strings with a NUL inside
 * are left to the text pass, where the NUL is escaped). */
static int
redact_values(json_t *v)
{
	const char *k;
	json_t *e;
	size_t i;
	char *red;
	int rc = 0;

	if (json_is_string(v) &&
	    strlen(json_string_value(v)) == json_string_length(v)) {
		red = secret_redact(json_string_value(v));
		rc = red ? json_string_set(v, red) : -1;
		free(red);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, e)
			if (rc == 0)
				rc = redact_values(e);
	} else if (json_is_object(v)) {
		json_object_foreach(v, k, e)
			if (rc == 0)
				rc = redact_values(e);
	}
	return rc;
}

char *
secret_redact_json(const json_t *v, size_t flags)
{
	json_t *copy = NULL;
	char *raw, *red;

	if (keys_need_value_pass()) {
		copy = json_deep_copy(v);
		if (!copy || redact_values(copy) < 0) {
			json_decref(copy);
			return NULL;
		}
		v = copy;
	}
	raw = json_dumps(v, flags);
	json_decref(copy);
	if (!raw)
		return NULL;
	red = secret_redact(raw);
	free(raw);
	return red;
}
