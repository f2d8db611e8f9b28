/*
 * test_secret.c - unit tests of key loading and redaction (secret.h).
 *
 * Design note
 * -----------
 * Every source of the key is exercised for real: key files and config
 * files in a fresh temp directory, the environment through putenv() of a
 * buffer the test owns (so the test can see that the bytes were wiped in
 * place, which is what clears /proc/self/environ), and --api-key as a
 * writable string standing in for argv. Criterion runs each test in its
 * own process, so the environment and the registered keys start clean.
 * Keys that do not start with sk-ant- are used wherever redaction is
 * checked, so pattern redaction cannot hide a missed exact match; every
 * error message is checked not to contain the key.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "supervisor/core/secret.h"

static char dir[] = "/tmp/secret-test-XXXXXX";

static void
setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
	unsetenv("ANTHROPIC_API_KEY");
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(secret, .init = setup, .fini = teardown);

/* dir/name with content and mode; returns the path (static, rotating). */
static const char *
put(const char *name, const char *content, mode_t mode)
{
	static char paths[4][256];
	static int k;
	char *p = paths[k++ % 4];
	int fd;

	snprintf(p, 256, "%s/%s", dir, name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, content, strlen(content)),
		     (ssize_t)strlen(content));
	cr_assert_eq(fchmod(fd, mode), 0);
	close(fd);
	return p;
}

struct loaded {
	int rc;
	struct secret *s;
	const char *source;
	char err[512];
};

static struct loaded
load(struct secret_sources *src)
{
	struct loaded l = { 0 };

	l.rc = secret_load(src, &l.s, &l.source, l.err, sizeof(l.err));
	if (l.rc < 0)
		cr_assert_null(l.s);
	else
		cr_assert_not_null(l.s);
	return l;
}

static void
expect_key(struct loaded *l, const char *key, const char *source)
{
	cr_assert_eq(l->rc, 0, "%s", l->err);
	cr_assert_str_eq(secret_value(l->s), key);
	cr_assert_str_eq(l->source, source);
	secret_free(l->s);
	l->s = NULL;
}

Test(secret, arg_key_wins_and_is_wiped)
{
	char arg[] = "arg-key-0123456789";
	static char env[] = "ANTHROPIC_API_KEY=env-key-1";
	struct secret_sources src = {
		.arg_key = arg,
		.key_file = put("key", "file-key\n", 0600),
	};
	struct loaded l;

	cr_assert_eq(putenv(env), 0);
	l = load(&src);
	expect_key(&l, "arg-key-0123456789", "--api-key");
	cr_assert_str_eq(arg, "xxxxxxxxxxxxxxxxxx");
}

Test(secret, arg_key_invalid)
{
	char arg[] = "bad key with spaces";
	struct secret_sources src = { .arg_key = arg };
	struct loaded l = load(&src);

	cr_assert_eq(l.rc, SECRET_E_INVALID);
	cr_assert_str_eq(l.err, "--api-key is not a valid key");
	cr_assert_str_eq(arg, "xxxxxxxxxxxxxxxxxxx");
}

Test(secret, key_file_0600)
{
	struct secret_sources src = {
		.key_file = put("key", "file-key-abc \r\n\n", 0600),
	};
	static char env[] = "ANTHROPIC_API_KEY=env-key-1";
	struct loaded l;

	cr_assert_eq(putenv(env), 0);
	l = load(&src);
	expect_key(&l, "file-key-abc", "--api-key-file");
	/* the file won: the environment was not consumed */
	cr_assert_str_eq(getenv("ANTHROPIC_API_KEY"), "env-key-1");
}

Test(secret, key_file_readable_by_others_refused)
{
	const char *path = put("key", "file-key-abc\n", 0644);
	struct secret_sources src = { .key_file = path };
	struct loaded l = load(&src);
	char want[1024];

	cr_assert_eq(l.rc, SECRET_E_INSECURE);
	snprintf(want, sizeof(want),
		 "API key file %s is readable by group or "
		 "others (mode 0644); run chmod 600 %s, or pass "
		 "--allow-insecure-key-file",
		 path, path);
	cr_assert_str_eq(l.err, want);
	/* group-readable only is refused as well */
	cr_assert_eq(chmod(path, 0640), 0);
	l = load(&src);
	cr_assert_eq(l.rc, SECRET_E_INSECURE);
	/* unless allowed */
	src.allow_insecure = true;
	cr_assert_eq(chmod(path, 0644), 0);
	l = load(&src);
	expect_key(&l, "file-key-abc", "--api-key-file");
}

Test(secret, key_file_empty)
{
	const char *path = put("key", "\n", 0600);
	struct secret_sources src = { .key_file = path };
	struct loaded l = load(&src);
	char want[512];

	cr_assert_eq(l.rc, SECRET_E_FILE);
	snprintf(want, sizeof(want), "API key file %s is empty", path);
	cr_assert_str_eq(l.err, want);
}

Test(secret, key_file_control_characters)
{
	const char *path = put("key", "file\x01key\n", 0600);
	struct secret_sources src = { .key_file = path };
	struct loaded l = load(&src);
	char want[512];

	cr_assert_eq(l.rc, SECRET_E_INVALID);
	snprintf(want, sizeof(want),
		 "API key file %s does not hold one key "
		 "(empty, too long, or control characters)",
		 path);
	cr_assert_str_eq(l.err, want);
	cr_assert_null(strstr(l.err, "file\x01key"));
	/* two lines: the newline inside is a control character */
	src.key_file = put("key2", "one\ntwo\n", 0600);
	cr_assert_eq(load(&src).rc, SECRET_E_INVALID);
	/* a tab inside */
	src.key_file = put("key3", "one\ttwo\n", 0600);
	cr_assert_eq(load(&src).rc, SECRET_E_INVALID);
	/* DEL and bytes above ASCII */
	src.key_file = put("key4", "one\x7ftwo", 0600);
	cr_assert_eq(load(&src).rc, SECRET_E_INVALID);
	src.key_file = put("key5", "caf\xc3\xa9", 0600);
	cr_assert_eq(load(&src).rc, SECRET_E_INVALID);
}

Test(secret, key_file_length_limit)
{
	char key[1100];
	struct secret_sources src = { 0 };
	struct loaded l;

	memset(key, 'k', 1024);
	key[1024] = 0;
	src.key_file = put("ok", key, 0600);
	l = load(&src);
	cr_assert_eq(l.rc, 0, "%s", l.err);
	cr_assert_eq(strlen(secret_value(l.s)), 1024);
	secret_free(l.s);
	memset(key, 'k', 1025);
	key[1025] = 0;
	src.key_file = put("long", key, 0600);
	cr_assert_eq(load(&src).rc, SECRET_E_INVALID);
}

Test(secret, key_file_missing)
{
	struct secret_sources src = { .key_file = "/nonexistent/key" };
	struct loaded l = load(&src);

	cr_assert_eq(l.rc, SECRET_E_FILE);
	cr_assert_str_eq(l.err, "cannot read API key file /nonexistent/key: "
				"No such file or directory");
}

Test(secret, env_copied_then_wiped)
{
	static char env[] = "ANTHROPIC_API_KEY=env-key-0123 \n";
	struct secret_sources src = { 0 };
	struct loaded l;

	cr_assert_eq(putenv(env), 0);
	l = load(&src);
	expect_key(&l, "env-key-0123", "ANTHROPIC_API_KEY");
	cr_assert_null(getenv("ANTHROPIC_API_KEY"));
	/* the bytes of the environment block itself were overwritten */
	cr_assert_str_eq(env, "ANTHROPIC_API_KEY=xxxxxxxxxxxxxx");
}

Test(secret, env_invalid_is_wiped_too)
{
	static char env[] = "ANTHROPIC_API_KEY=env key";
	struct secret_sources src = { 0 };
	struct loaded l;

	cr_assert_eq(putenv(env), 0);
	l = load(&src);
	cr_assert_eq(l.rc, SECRET_E_INVALID);
	cr_assert_str_eq(l.err, "ANTHROPIC_API_KEY does not hold a valid key "
				"(control characters, too short or too long)");
	cr_assert_null(getenv("ANTHROPIC_API_KEY"));
	cr_assert_str_eq(env, "ANTHROPIC_API_KEY=xxxxxxx");
}

Test(secret, env_empty_falls_through)
{
	static char env[] = "ANTHROPIC_API_KEY=";
	struct secret_sources src = {
		.config_file = put("config.yaml", "api_key: cfg-key\n", 0600),
	};
	struct loaded l;

	cr_assert_eq(putenv(env), 0);
	l = load(&src);
	expect_key(&l, "cfg-key", "config file");
}

Test(secret, config_api_key_file)
{
	const char *key = put("key", "cfg-file-key\n", 0600);
	char text[512];
	struct secret_sources src = { 0 };
	struct loaded l;

	snprintf(text, sizeof(text),
		 "anthropic_version: 2026-10-21\n"
		 "api_key: ignored-key\napi_key_file: %s\n",
		 key);
	src.config_file = put("config.yaml", text, 0600);
	l = load(&src);
	expect_key(&l, "cfg-file-key", "config file");
	/* the same rules as --api-key-file */
	cr_assert_eq(chmod(key, 0604), 0);
	l = load(&src);
	cr_assert_eq(l.rc, SECRET_E_INSECURE);
	cr_assert_null(strstr(l.err, "cfg-file-key"));
}

Test(secret, config_api_key)
{
	struct secret_sources src = {
		.config_file = put("config.yaml",
				   "# user config\nmodel: x\n"
				   "api_key: \"cfg-inline-key\"\n",
				   0600),
	};
	struct loaded l = load(&src);

	expect_key(&l, "cfg-inline-key", "config file");
}

Test(secret, config_nested_keys_do_not_count)
{
	/* api_key_file with a mapping value, api_key only below the top */
	struct secret_sources src = {
		.config_file = put("config.yaml",
				   "api_key_file:\n  path: /etc/x\n"
				   "other: not-a-path\n"
				   "nested:\n  api_key: nested-key\n"
				   "list:\n  - api_key\n  - list-key\n",
				   0600),
	};
	struct loaded l = load(&src);

	cr_assert_eq(l.rc, SECRET_E_MISSING, "%d %s", l.rc, l.err);
}

Test(secret, config_top_level_sequence_ignored)
{
	struct secret_sources src = {
		.config_file = put("config.yaml", "- api_key\n- seq-key\n",
				   0600),
	};

	cr_assert_eq(load(&src).rc, SECRET_E_MISSING);
}

Test(secret, config_invalid_api_key)
{
	struct secret_sources src = {
		.config_file = put("config.yaml", "api_key: \"two words\"\n",
				   0600),
	};
	struct loaded l = load(&src);
	char want[512];

	cr_assert_eq(l.rc, SECRET_E_INVALID);
	snprintf(want, sizeof(want), "%s: api_key is not a valid key",
		 src.config_file);
	cr_assert_str_eq(l.err, want);
}

Test(secret, dotenv_forms)
{
	static const char *const files[][2] = {
		{ "ANTHROPIC_API_KEY=plain-key\n", "plain-key" },
		{ "# comment\nOTHER=1\nexport ANTHROPIC_API_KEY=exp-key\n",
		  "exp-key" },
		{ "ANTHROPIC_API_KEY=\"dq-key\"\n", "dq-key" },
		{ "export ANTHROPIC_API_KEY='sq-key'\r\n", "sq-key" },
		{ "ANTHROPIC_API_KEY=first\nANTHROPIC_API_KEY=second\n",
		  "first" },
		{ "ANTHROPIC_API_KEY=no-newline", "no-newline" },
	};
	struct secret_sources src = { 0 };

	for (size_t i = 0; i < sizeof(files) / sizeof(*files); i++) {
		struct loaded l;

		src.dotenv = put(".env", files[i][0], 0600);
		l = load(&src);
		expect_key(&l, files[i][1], ".env");
	}
}

Test(secret, dotenv_invalid_and_unrelated)
{
	struct secret_sources src = {
		.dotenv = put(".env", "ANTHROPIC_API_KEY=two words\n", 0600),
	};
	struct loaded l = load(&src);
	char want[512];

	cr_assert_eq(l.rc, SECRET_E_INVALID);
	snprintf(want, sizeof(want),
		 "%s: ANTHROPIC_API_KEY is not a valid "
		 "key",
		 src.dotenv);
	cr_assert_str_eq(l.err, want);
	src.dotenv = put(".env2",
			 "MY_ANTHROPIC_API_KEY=x\n"
			 "ANTHROPIC_API_KEY_OLD=y\n",
			 0600);
	cr_assert_eq(load(&src).rc, SECRET_E_MISSING);
}

Test(secret, precedence_env_then_config_then_dotenv)
{
	static char env[] = "ANTHROPIC_API_KEY=env-key";
	struct secret_sources src = {
		.config_file = put("config.yaml", "api_key: cfg-key\n", 0600),
		.dotenv = put(".env", "ANTHROPIC_API_KEY=dotenv-key\n", 0600),
	};
	struct loaded l;

	cr_assert_eq(putenv(env), 0);
	l = load(&src);
	expect_key(&l, "env-key", "ANTHROPIC_API_KEY");
	l = load(&src);
	expect_key(&l, "cfg-key", "config file");
	src.config_file = put("empty.yaml", "model: x\n", 0600);
	l = load(&src);
	expect_key(&l, "dotenv-key", ".env");
	src.config_file = "/nonexistent/config.yaml";
	l = load(&src);
	expect_key(&l, "dotenv-key", ".env");
}

Test(secret, missing_key_message)
{
	struct secret_sources src = {
		.config_file = "/nonexistent/config.yaml",
		.dotenv = "/nonexistent/.env",
	};
	struct loaded l = load(&src);

	cr_assert_eq(l.rc, SECRET_E_MISSING);
	cr_assert_str_eq(l.err,
			 "API key not found. Provide via --api-key, "
			 "--api-key-file, or ANTHROPIC_API_KEY environment "
			 "variable (or api_key_file: in /nonexistent/"
			 "config.yaml, or ANTHROPIC_API_KEY in ./.env)");
	src.config_file = NULL;
	l = load(&src);
	cr_assert_eq(l.rc, SECRET_E_MISSING);
	cr_assert_neq(strstr(l.err, "~/.config/gao-dev/config.yaml"), NULL);
}

Test(secret, from_string_rules)
{
	struct secret *s = NULL;

	cr_assert_eq(secret_from_string("", &s), SECRET_E_INVALID);
	cr_assert_eq(secret_from_string("a b", &s), SECRET_E_INVALID);
	cr_assert_eq(secret_from_string("a\nb", &s), SECRET_E_INVALID);
	cr_assert_null(s);
	cr_assert_eq(secret_from_string("!~printable~!", &s), 0);
	cr_assert_str_eq(secret_value(s), "!~printable~!");
	secret_free(s);
	secret_free(NULL);
}

Test(secret, wipe_string)
{
	char s[] = "abc";

	secret_wipe_string(s);
	cr_assert_str_eq(s, "xxx");
	secret_wipe_string(NULL);
}

static void
expect_redact(const char *in, const char *want)
{
	char *out = secret_redact(in);

	cr_assert_not_null(out);
	cr_assert_str_eq(out, want);
	free(out);
}

Test(secret, redact_exact_key)
{
	struct secret *s;

	cr_assert_eq(secret_from_string("my-Exact_Key.42", &s), 0);
	expect_redact("key=my-Exact_Key.42;", "key=[REDACTED];");
	expect_redact("my-Exact_Key.42my-Exact_Key.42", "[REDACTED][REDACTED]");
	expect_redact("my-Exact_Key.4 is not it", "my-Exact_Key.4 is not it");
	expect_redact("", "");
	secret_free(s);
	/* freed: no longer registered */
	expect_redact("key=my-Exact_Key.42;", "key=my-Exact_Key.42;");
}

Test(secret, redact_sk_ant_tokens)
{
	expect_redact("a sk-ant-api03-AbC_d-9 b", "a [REDACTED] b");
	expect_redact("\"sk-ant-x\",sk-ant-y.", "\"[REDACTED]\",[REDACTED].");
	expect_redact("sk-ant-", "[REDACTED]");
	expect_redact("sk-an-t sk_ant-x", "sk-an-t sk_ant-x");
}

Test(secret, redact_short_key_grows_output)
{
	struct secret *s;
	char in[2001], *out;

	/* a one-letter "key" is refused: it would shred every output */
	cr_assert_eq(secret_from_string("k", &s), SECRET_E_INVALID);
	cr_assert_eq(secret_from_string("kkkkk", &s), 0);
	memset(in, 'k', 2000);
	in[2000] = 0;
	out = secret_redact(in);
	cr_assert_not_null(out);
	cr_assert_eq(strlen(out), 400 * 10);
	for (size_t i = 0; i < 400; i++)
		cr_assert_eq(memcmp(out + 10 * i, "[REDACTED]", 10), 0);
	free(out);
	expect_redact("akkkkkb", "a[REDACTED]b");
	secret_free(s);
}

Test(secret, redact_several_keys)
{
	struct secret *a, *b;

	cr_assert_eq(secret_from_string("first-key", &a), 0);
	cr_assert_eq(secret_from_string("second-key", &b), 0);
	expect_redact("first-key second-key", "[REDACTED] [REDACTED]");
	secret_free(a);
	expect_redact("first-key second-key", "first-key [REDACTED]");
	secret_free(b);
}

Test(secret, registry_full_fails_closed)
{
	struct secret *s[5] = { 0 };
	char k[16];
	int rc;

	for (int i = 0; i < 4; i++) {
		snprintf(k, sizeof(k), "key-%d", i);
		cr_assert_eq(secret_from_string(k, &s[i]), 0);
	}
	/* a key that could not be redacted must not be handed out */
	rc = secret_from_string("key-4", &s[4]);
	if (rc == 0)
		expect_redact("key-4", "[REDACTED]");
	else
		cr_assert_eq(rc, SECRET_E_NOMEM);
	for (int i = 0; i < 5; i++)
		secret_free(s[i]);
}

Test(secret, redact_json)
{
	struct secret *s;
	json_t *v;
	char *out;

	cr_assert_eq(secret_from_string("json-key-77", &s), 0);
	v = json_pack("{s:s, s:[s, i], s:{s:s}}", "a", "x json-key-77 y", "b",
		      "sk-ant-zzz", 3, "c", "d", "clean");
	out = secret_redact_json(v, JSON_COMPACT | JSON_SORT_KEYS);
	cr_assert_str_eq(out, "{\"a\":\"x [REDACTED] y\",\"b\":"
			      "[\"[REDACTED]\",3],\"c\":{\"d\":\"clean\"}}");
	free(out);
	json_decref(v);
	secret_free(s);
}

Test(secret, redact_json_key_with_escaped_characters)
{
	/* a key holding a quote and a backslash is escaped by the JSON
	 * encoder: the redaction must still find it */
	struct secret *s;
	json_t *v;
	char *out;

	cr_assert_eq(secret_from_string("q\"uo\\te-key", &s), 0);
	v = json_pack("{s:s}", "k", "<q\"uo\\te-key>");
	out = secret_redact_json(v, JSON_COMPACT);
	cr_assert_not_null(out);
	cr_assert_str_eq(out, "{\"k\":\"<[REDACTED]>\"}");
	free(out);
	json_decref(v);
	secret_free(s);
}
