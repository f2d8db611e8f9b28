/*
 * test_policy_load.c - the supervisor side of the policy: loading the YAML
 * profiles strictly, placeholder expansion, printing and hashing.
 *
 * Error tests load a small inline profile that differs from a valid one
 * (BASE) in one place, and check the whole "label:line:column: message"
 * prefix, so a message that points at the wrong node fails the test.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy/policy.h"
#include "proto/msg.h"

/* A valid profile; line numbers below refer to this layout. */
#define BASE_HEAD \
	"name: t\n"                       /* 1 */ \
	"filesystem:\n"                   /* 2 */ \
	"  read_only: [/usr, /etc]\n"     /* 3 */ \
	"  read_write: [\"{project}\"]\n" /* 4 */
#define BASE_SWITCHES \
	"network: none\n"       /* 5 */ \
	"exec: true\n"          /* 6 */ \
	"unix_sockets: false\n" /* 7 */ \
	"syscalls:\n"           /* 8 */ \
	"  mode: denylist\n"    /* 9 */
#define BASE_LIMITS \
	"limits:\n"                    /* 10 */ \
	"  cpu_seconds: 60\n"          /* 11 */ \
	"  memory: 1GiB\n"             /* 12 */ \
	"  file_size: 64MiB\n"         /* 13 */ \
	"  open_files: 256\n"          /* 14 */ \
	"  processes: 32\n"            /* 15 */ \
	"  output_bytes: 10000\n"      /* 16 */ \
	"  timeout_default_ms: 5000\n" /* 17 */ \
	"  timeout_max_ms: 10000\n"    /* 18 */
#define BASE_TOOLS "tools: all\n"      /* 19 */
#define BASE BASE_HEAD BASE_SWITCHES BASE_LIMITS BASE_TOOLS

static char err[512];

static int
load(const char *yaml, struct policy **p)
{
	err[0] = '\0';
	return policy_load_buffer(yaml, strlen(yaml), "t.yaml", p, err,
				  sizeof(err));
}

/* yaml must fail with -EINVAL and a message starting with prefix. */
static void
expect_error(const char *yaml, const char *prefix, const char *text)
{
	struct policy *p = (struct policy *)1;
	int rc = load(yaml, &p);

	cr_assert_eq(rc, -EINVAL, "rc %d for:\n%s", rc, yaml);
	cr_assert_null(p);
	cr_assert(strncmp(err, prefix, strlen(prefix)) == 0,
		  "want '%s...', got '%s'", prefix, err);
	cr_assert_not_null(strstr(err, text), "want '%s' in '%s'", text, err);
}

/* BASE with the first occurrence of from replaced by to. */
static char *
base_with(const char *from, const char *to)
{
	static char buf[4096];
	const char *at = strstr(BASE, from);

	cr_assert_not_null(at, "'%s' not in BASE", from);
	snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - BASE), BASE, to,
		 at + strlen(from));
	return buf;
}

/* ---- the shipped profiles -------------------------------------------- */

static struct policy *
shipped(const char *name)
{
	struct policy *p = NULL;

	cr_assert_eq(policy_load_named(name, POLICY_TEST_PROFILES, &p, err,
				       sizeof(err)),
		     0, "%s: %s", name, err);
	cr_assert_str_eq(policy_name(p), name);
	return p;
}

Test(profiles, default_loads)
{
	struct policy *p = shipped("default");

	cr_assert_eq(p->network, POLICY_NET_NONE);
	cr_assert(p->allow_exec);
	cr_assert(!p->allow_unix);
	cr_assert_eq(p->syscalls, POLICY_SYSCALLS_DENYLIST);
	cr_assert_eq(p->limits.cpu_seconds, 600);
	cr_assert_eq(p->limits.memory_bytes, 4ull << 30);
	cr_assert_eq(p->limits.file_size_bytes, 1ull << 30);
	cr_assert_eq(p->limits.open_files, 1024);
	cr_assert_eq(p->limits.processes, 256);
	cr_assert_eq(p->limits.output_bytes, 30000);
	cr_assert_eq(p->limits.timeout_default_ms, 120000);
	cr_assert_eq(p->limits.timeout_max_ms, 600000);
	cr_assert_eq(p->tools, POLICY_TOOL_ALL);
	cr_assert_eq(p->n_rw, 2);
	cr_assert_str_eq(p->rw_paths[0], "{project}");
	cr_assert_str_eq(p->rw_paths[1], "{tmp}");
	cr_assert_geq(p->n_ro, 9);
	cr_assert_str_eq(p->ro_paths[0], "/usr");
	cr_assert(policy_allows_tool(p, "Bash"));
	cr_assert(policy_allows_tool(p, "TodoWrite"));
	cr_assert_not_null(strstr(p->source, "default.yaml"));
	policy_free(p);
}

Test(profiles, strict_loads)
{
	struct policy *p = shipped("strict");

	cr_assert(!p->allow_exec);
	cr_assert(!p->allow_unix);
	cr_assert_eq(p->network, POLICY_NET_NONE);
	cr_assert_eq(p->syscalls, POLICY_SYSCALLS_ALLOWLIST);
	cr_assert(!policy_allows_tool(p, "Bash"));
	cr_assert(policy_allows_tool(p, "Read"));
	cr_assert(policy_allows_tool(p, "MultiEdit"));
	cr_assert(policy_allows_tool(p, "Grep"));
	cr_assert(!policy_allows_tool(p, "WebFetch"));
	cr_assert(!policy_allows_tool(p, NULL));
	policy_free(p);
}

Test(profiles, networked_loads)
{
	struct policy *p = shipped("networked");

	cr_assert_eq(p->network, POLICY_NET_TCP);
	cr_assert(p->allow_exec);
	cr_assert_eq(p->syscalls, POLICY_SYSCALLS_DENYLIST);
	cr_assert(policy_allows_tool(p, "Bash"));
	policy_free(p);
}

Test(profiles, load_named_by_path)
{
	struct policy *p = NULL;

	cr_assert_eq(policy_load_named(POLICY_TEST_PROFILES "/strict.yaml",
				       NULL, &p, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_str_eq(policy_name(p), "strict");
	policy_free(p);
}

Test(profiles, unknown_name)
{
	struct policy *p = (struct policy *)1;

	cr_assert_eq(policy_load_named("nosuch", POLICY_TEST_PROFILES, &p, err,
				       sizeof(err)),
		     -ENOENT);
	cr_assert_null(p);
	cr_assert_not_null(strstr(err, "unknown policy 'nosuch'"), "%s", err);
	cr_assert_not_null(strstr(err, POLICY_TEST_PROFILES), "%s", err);
	cr_assert_eq(policy_load_named("Bad Name", POLICY_TEST_PROFILES, &p,
				       err, sizeof(err)),
		     -EINVAL);
	cr_assert_eq(policy_load_named("..", POLICY_TEST_PROFILES, &p, err,
				       sizeof(err)),
		     -EINVAL);
	cr_assert_eq(policy_load_named("nosuch.yaml", POLICY_TEST_PROFILES, &p,
				       err, sizeof(err)),
		     -ENOENT);
}

Test(profiles, file_errors)
{
	struct policy *p = NULL;

	cr_assert_eq(policy_load_file(POLICY_TEST_PROFILES, &p, err,
				      sizeof(err)),
		     -EISDIR);
	cr_assert_eq(policy_load_file("/nonexistent/x.yaml", &p, err,
				      sizeof(err)),
		     -ENOENT);
	cr_assert_not_null(strstr(err, "/nonexistent/x.yaml: "), "%s", err);
	cr_assert_eq(policy_load_file("/dev/null", &p, err, sizeof(err)),
		     -EINVAL);
	cr_assert_null(p);
}

Test(profiles, file_too_large)
{
	char path[] = "/tmp/gao-pol-big-XXXXXX";
	struct policy *p = NULL;
	static char buf[POLICY_FILE_MAX + 2];
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	memset(buf, '#', sizeof(buf));
	cr_assert_eq(write(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	close(fd);
	cr_assert_eq(policy_load_file(path, &p, err, sizeof(err)), -EFBIG);
	cr_assert_not_null(strstr(err, "too large"), "%s", err);
	unlink(path);
}

/* ---- schema errors, with positions ----------------------------------- */

Test(errors, base_is_valid)
{
	struct policy *p = NULL;

	cr_assert_eq(load(BASE, &p), 0, "%s", err);
	cr_assert_str_eq(p->source, "t.yaml");
	cr_assert_eq(p->limits.file_size_bytes, 64u << 20);
	cr_assert_eq(p->limits.timeout_default_ms, 5000);
	policy_free(p);
}

Test(errors, unknown_key)
{
	expect_error(BASE "colour: red\n",
		     "t.yaml:20:1: ", "unknown key 'colour' in the profile");
	expect_error(base_with("  memory: 1GiB\n",
			       "  memory: 1GiB\n  swap: 0\n"),
		     "t.yaml:13:3: ", "unknown key 'swap' in limits");
}

Test(errors, wrong_type)
{
	expect_error(base_with("exec: true", "exec: \"true\""),
		     "t.yaml:6:7: ", "exec must be true or false");
	expect_error(base_with("exec: true", "exec: 1"),
		     "t.yaml:6:7: ", "exec must be true or false");
	expect_error(base_with("read_only: [/usr, /etc]", "read_only: /usr"),
		     "t.yaml:3:14: ", "read_only must be a list");
	expect_error(base_with("  mode: denylist", "  mode: [denylist]"),
		     "t.yaml:9:9: ", "mode must be a scalar, not a list");
	expect_error(base_with("  cpu_seconds: 60", "  cpu_seconds: \"60\""),
		     "t.yaml:11:16: ", "cpu_seconds must be a whole number");
	expect_error(base_with("  open_files: 256", "  open_files: 2.5"),
		     "t.yaml:14:15: ", "open_files must be a whole number");
	expect_error(base_with("tools: all", "tools: {Read: true}"),
		     "t.yaml:19:8: ", "tools must be 'all' or a list");
	expect_error(base_with("name: t", "name: ~"),
		     "t.yaml:1:7: ", "name must not be empty");
	expect_error(base_with("  processes: 32", "  processes: !!int 32"),
		     "t.yaml:15:14: ", "tags are not allowed");
}

Test(errors, bad_enum)
{
	expect_error(base_with("network: none", "network: udp"),
		     "t.yaml:5:10: ", "network must be none or tcp");
	expect_error(base_with("  mode: denylist", "  mode: whitelist"),
		     "t.yaml:9:9: ", "mode must be denylist or allowlist");
	expect_error(base_with("tools: all", "tools: [Read, WebFetch]"),
		     "t.yaml:19:15: ", "unknown tool 'WebFetch'");
	expect_error(base_with("tools: all", "tools: some"),
		     "t.yaml:19:8: ", "tools must be 'all' or a list");
}

Test(errors, out_of_range)
{
	expect_error(base_with("  memory: 1GiB", "  memory: 1MiB"),
		     "t.yaml:12:11: ", "memory must be between");
	expect_error(base_with("  memory: 1GiB", "  memory: 1GB"),
		     "t.yaml:12:11: ", "optionally with KiB, MiB, GiB or TiB");
	expect_error(base_with("  memory: 1GiB",
			       "  memory: 99999999999999999999"),
		     "t.yaml:12:11: ", "memory must be a whole number");
	expect_error(base_with("  memory: 1GiB", "  memory: 1GiBGiB"),
		     "t.yaml:12:11: ", "memory must be a whole number");
	expect_error(base_with("  timeout_max_ms: 10000",
			       "  timeout_max_ms: 600001"),
		     "t.yaml:18:19: ", "timeout_max_ms must be between");
	expect_error(base_with("  output_bytes: 10000",
			       "  output_bytes: unlimited"),
		     "t.yaml:16:17: ", "output_bytes must be a whole number");
	expect_error(base_with("  cpu_seconds: 60", "  cpu_seconds: 0"),
		     "t.yaml:11:16: ", "cpu_seconds must be between");
}

Test(errors, duplicate_and_missing_keys)
{
	expect_error(base_with("exec: true\n", "exec: true\nexec: false\n"),
		     "t.yaml:7:1: ", "duplicate key 'exec'");
	expect_error(base_with("  processes: 32\n", ""),
		     "t.yaml:11:3: ", "missing key 'processes' in limits");
	expect_error(base_with("unix_sockets: false\n", ""), "t.yaml:1:1: ",
		     "missing key 'unix_sockets' in the profile");
}

Test(errors, contradictions)
{
	expect_error(base_with("  mode: denylist", "  mode: allowlist"),
		     "t.yaml:6:7: ",
		     "exec: true contradicts syscalls mode "
		     "allowlist");
	expect_error(base_with("  timeout_default_ms: 5000",
			       "  timeout_default_ms: 20000"),
		     "t.yaml:17:23: ",
		     "timeout_default_ms (20000) is greater "
		     "than timeout_max_ms (10000)");
	expect_error(base_with("exec: true\n", "exec: false\n"),
		     "t.yaml:19:8: ", "tool Bash needs exec: true");
	expect_error(
		BASE_HEAD
		"network: none\nexec: false\n"
		"unix_sockets: true\nsyscalls:\n  mode: allowlist\n" BASE_LIMITS
		"tools: [Read]\n",
		"t.yaml:7:15: ",
		"unix_sockets: true contradicts syscalls mode allowlist");
	expect_error(
		BASE_HEAD
		"network: tcp\nexec: false\n"
		"unix_sockets: false\nsyscalls:\n  mode: allowlist\n" BASE_LIMITS
		"tools: [Read]\n",
		"t.yaml:5:10: ",
		"network: tcp contradicts syscalls mode allowlist");
}

Test(errors, contradiction_tcp_without_exec)
{
	char yaml[4096];

	snprintf(yaml, sizeof(yaml), "%s",
		 base_with("network: none\nexec: true",
			   "network: tcp\nexec: false"));
	/* tools: all includes Bash, which is checked after the network */
	expect_error(yaml, "t.yaml:5:10: ", "network: tcp needs exec: true");
}

Test(errors, bash_entry_is_pointed_at)
{
	char yaml[4096], *t;

	snprintf(yaml, sizeof(yaml), "%s",
		 base_with("exec: true", "exec: false"));
	t = strstr(yaml, BASE_TOOLS);
	cr_assert_not_null(t);
	snprintf(t, sizeof(yaml) - (size_t)(t - yaml),
		 "tools: [Read,\n"
		 "  Bash]\n");
	expect_error(yaml, "t.yaml:20:3: ", "tool Bash needs exec: true");
}

Test(errors, paths)
{
	expect_error(base_with("/etc]", "etc]"), "t.yaml:3:21: ",
		     "must be absolute or start with {project} or {tmp}");
	expect_error(base_with("/etc]", "/]"),
		     "t.yaml:3:21: ", "would grant the whole filesystem");
	expect_error(base_with("/etc]", "/usr/../root]"),
		     "t.yaml:3:21: ", "has a '..' component");
	expect_error(base_with("/etc]", "/usr/./x]"),
		     "t.yaml:3:21: ", "has a '.' component");
	expect_error(base_with("/etc]", "/usr//x]"),
		     "t.yaml:3:21: ", "empty component");
	expect_error(base_with("/etc]", "/etc/]"),
		     "t.yaml:3:21: ", "empty component");
	expect_error(base_with("\"{project}\"", "\"{home}/x\""),
		     "t.yaml:4:16: ", "must be absolute");
	expect_error(base_with("\"{project}\"", "\"{project}x\""),
		     "t.yaml:4:16: ", "must be absolute");
	expect_error(base_with("\"{project}\"", "\"/a/{tmp}\""),
		     "t.yaml:4:16: ", "only the placeholders");
	expect_error(base_with("\"{project}\"", "\"/a\\tb\""),
		     "t.yaml:4:16: ", "control character");
	expect_error(base_with("\"{project}\"", "/usr"), "t.yaml:4:16: ",
		     "path '/usr' is listed twice (read_only and read_write)");
	expect_error(base_with("/etc]", "/usr]"),
		     "t.yaml:3:21: ", "path '/usr' is listed twice");
}

Test(errors, yaml_level)
{
	expect_error(base_with("exec: true", "exec: [true"),
		     "t.yaml:", "YAML syntax error");
	expect_error("", "t.yaml:1:1: ", "empty profile");
	expect_error("# only a comment\n", "t.yaml:1:1: ", "empty profile");
	expect_error("- a\n- b\n",
		     "t.yaml:1:1: ", "the profile must be a mapping");
	expect_error(BASE "---\nname: x\n",
		     "t.yaml:20:1: ", "only one YAML document");
	expect_error(base_with("read_only: [/usr, /etc]",
			       "read_only: &p [/usr, /etc]\n  x: *p"),
		     "t.yaml:4:3: ", "unknown key 'x' in filesystem");
	expect_error(base_with("read_only: [/usr, /etc]\n  read_write: "
			       "[\"{project}\"]",
			       "read_only: &p [/usr, /etc]\n  read_write: *p"),
		     "t.yaml:3:14: ", "anchors and aliases are not allowed");
	expect_error(base_with("name: t", "name: \"a\\0b\""),
		     "t.yaml:1:7: ", "control character");
	expect_error(base_with("name: t", "name: Big"),
		     "t.yaml:1:7: ", "name must start with a-z or 0-9");
	expect_error(base_with("name: t", "name: a.b"),
		     "t.yaml:1:7: ", "name may contain only");
}

Test(errors, buffer_too_large)
{
	static char big[POLICY_FILE_MAX + 1];
	struct policy *p = NULL;

	memset(big, ' ', sizeof(big));
	cr_assert_eq(policy_load_buffer(big, sizeof(big), NULL, &p, err,
					sizeof(err)),
		     -EINVAL);
	cr_assert_not_null(strstr(err, "<buffer>:1:1: profile larger"), "%s",
			   err);
}

Test(values, sizes_and_unlimited)
{
	struct policy *p = NULL;
	char yaml[4096];

	snprintf(yaml, sizeof(yaml), "%s",
		 base_with("  memory: 1GiB\n"
			   "  file_size: 64MiB",
			   "  memory: unlimited\n"
			   "  file_size: 1TiB"));
	cr_assert_eq(load(yaml, &p), 0, "%s", err);
	cr_assert_eq(p->limits.memory_bytes, 0);
	cr_assert_eq(p->limits.file_size_bytes, 1ull << 40);
	policy_free(p);
	cr_assert_eq(load(base_with("  output_bytes: 10000",
				    "  output_bytes: 64KiB"),
			  &p),
		     0, "%s", err);
	cr_assert_eq(p->limits.output_bytes, 65536);
	policy_free(p);
}

Test(values, tools_list_and_error_buffer)
{
	struct policy *p = NULL;

	cr_assert_eq(load(base_with("tools: all", "tools: [Read, Glob]"), &p),
		     0, "%s", err);
	cr_assert_eq(p->tools, POLICY_TOOL_READ | POLICY_TOOL_GLOB);
	cr_assert(!policy_allows_tool(p, "Write"));
	cr_assert(!policy_allows_tool(p, "read"));
	policy_free(p);
	cr_assert_eq(policy_tool_bit("MultiEdit"), POLICY_TOOL_MULTIEDIT);
	cr_assert_str_eq(policy_tool_name(POLICY_TOOL_BASH), "Bash");
	cr_assert_null(policy_tool_name(POLICY_TOOL_READ | POLICY_TOOL_BASH));
	/* no error buffer at all must still work */
	cr_assert_eq(policy_load_buffer("x: 1\n", 5, NULL, &p, NULL, 0),
		     -EINVAL);
	cr_assert_null(p);
}

/* ---- placeholder expansion ------------------------------------------- */

Test(expand, project_and_tmp)
{
	struct policy *p = NULL;
	struct msg_policy m;

	cr_assert_eq(load(base_with("[\"{project}\"]",
				    "[\"{project}\", \"{project}/sub/dir\", "
				    "\"{tmp}\", \"{tmp}/x\", /var/cache]"),
			  &p),
		     0, "%s", err);
	cr_assert_eq(policy_to_msg(p, "/srv/p", "/run/t", &m), 0);
	cr_assert_str_eq(m.name, "t");
	cr_assert_eq(m.n_rw, 5);
	cr_assert_str_eq(m.rw_paths[0], "/srv/p");
	cr_assert_str_eq(m.rw_paths[1], "/srv/p/sub/dir");
	cr_assert_str_eq(m.rw_paths[2], "/run/t");
	cr_assert_str_eq(m.rw_paths[3], "/run/t/x");
	cr_assert_str_eq(m.rw_paths[4], "/var/cache");
	cr_assert_eq(m.n_ro, 2);
	cr_assert_str_eq(m.ro_paths[1], "/etc");
	cr_assert(m.allow_exec);
	cr_assert(!m.net_tcp);
	cr_assert(!m.seccomp_allowlist);
	cr_assert_eq(m.memory_bytes, 1u << 30);
	cr_assert_eq(m.timeout_max_ms, 10000);
	cr_assert_eq(m.output_bytes, 10000);
	cr_assert_eq(m.test_disable, 0);
	msg_policy_clear(&m);
	/* no tmp dir: {tmp} entries are left out */
	cr_assert_eq(policy_to_msg(p, "/srv/p", NULL, &m), 0);
	cr_assert_eq(m.n_rw, 3);
	cr_assert_str_eq(m.rw_paths[2], "/var/cache");
	msg_policy_clear(&m);
	policy_free(p);
}

Test(expand, bad_directories)
{
	struct policy *p = shipped("default");
	struct msg_policy m;
	char longdir[PROTO_PATH_MAX + 1];

	cr_assert_eq(policy_to_msg(p, "relative", "/tmp", &m), -EINVAL);
	cr_assert_null(m.name);
	cr_assert_eq(policy_to_msg(p, "/", "/tmp", &m), -EINVAL);
	cr_assert_eq(policy_to_msg(p, "/srv/p/", "/tmp", &m), -EINVAL);
	cr_assert_eq(policy_to_msg(p, NULL, "/tmp", &m), -EINVAL);
	cr_assert_eq(policy_to_msg(p, "/srv/p", "tmp", &m), -EINVAL);
	memset(longdir, 'a', sizeof(longdir) - 1);
	longdir[0] = '/';
	longdir[PROTO_PATH_MAX] = '\0';
	cr_assert_eq(policy_to_msg(p, "/srv/p", longdir, &m), -EINVAL);
	longdir[PROTO_PATH_MAX - 1] = '\0';
	cr_assert_eq(policy_to_msg(p, longdir, "/tmp", &m), 0);
	cr_assert_str_eq(m.rw_paths[0], longdir);
	msg_policy_clear(&m);
	cr_assert_eq(policy_to_msg(p, "/srv/p", longdir, &m), 0);
	msg_policy_clear(&m);
	policy_free(p);
}

Test(expand, too_long_after_expansion)
{
	struct policy *p = NULL;
	struct msg_policy m;
	char dir[PROTO_PATH_MAX - 8];

	cr_assert_eq(load(base_with("[\"{project}\"]",
				    "[\"{project}/0123456789\"]"),
			  &p),
		     0, "%s", err);
	memset(dir, 'a', sizeof(dir) - 1);
	dir[0] = '/';
	dir[sizeof(dir) - 1] = '\0';
	cr_assert_eq(policy_to_msg(p, dir, NULL, &m), -ENAMETOOLONG);
	cr_assert_null(m.rw_paths);
	cr_assert_eq(m.n_ro, 0);
	policy_free(p);
}

/* ---- printing and hashing -------------------------------------------- */

static char *
printed(const struct policy *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	cr_assert_eq(policy_print(f, p), 0);
	fclose(f);
	return buf;
}

Test(print, key_facts)
{
	struct policy *p = shipped("default");
	char hash[65], line[80], *text = printed(p);

	policy_hash(p, hash);
	snprintf(line, sizeof(line), "# sha256: %s\n", hash);
	cr_assert_not_null(strstr(text, line), "%s", text);
	cr_assert_not_null(strstr(text, "name: \"default\"\n"));
	cr_assert_not_null(strstr(text, "    - \"/usr\"\n"));
	cr_assert_not_null(strstr(text, "    - \"{project}\"\n"));
	cr_assert_not_null(strstr(text, "network: none\n"));
	cr_assert_not_null(strstr(text, "exec: true\n"));
	cr_assert_not_null(strstr(text, "unix_sockets: false\n"));
	cr_assert_not_null(strstr(text, "  mode: denylist\n"));
	cr_assert_not_null(strstr(text, "  memory: 4GiB\n"));
	cr_assert_not_null(strstr(text, "  file_size: 1GiB\n"));
	cr_assert_not_null(strstr(text, "  output_bytes: 30000\n"));
	cr_assert_not_null(strstr(text, "  timeout_max_ms: 600000\n"));
	cr_assert_not_null(strstr(text, "tools: all\n"));
	cr_assert_not_null(strstr(text, "Landlock"));
	cr_assert_not_null(strstr(text, "seccomp"));
	cr_assert_not_null(strstr(text, "RLIMIT_AS"));
	free(text);
	policy_free(p);
	p = shipped("strict");
	text = printed(p);
	cr_assert_not_null(strstr(text, "exec: false\n"));
	cr_assert_not_null(strstr(text, "  mode: allowlist\n"));
	cr_assert_not_null(strstr(text, "tools: [Read, Write, Edit, MultiEdit, "
					"Glob, Grep]\n"),
			   "%s", text);
	free(text);
	policy_free(p);
}

Test(print, output_loads_back_to_the_same_policy)
{
	static const char *const names[] = { "default", "strict", "networked" };
	char h1[65], h2[65];
	size_t i;

	for (i = 0; i < 3; i++) {
		struct policy *p = shipped(names[i]), *q = NULL;
		char *text = printed(p);

		cr_assert_eq(load(text, &q), 0, "%s\n%s", err, text);
		policy_hash(p, h1);
		policy_hash(q, h2);
		cr_assert_str_eq(h1, h2);
		cr_assert_str_eq(q->description, p->description);
		cr_assert_eq(q->limits.memory_bytes, p->limits.memory_bytes);
		cr_assert_eq(q->n_ro, p->n_ro);
		free(text);
		policy_free(p);
		policy_free(q);
	}
}

Test(print, odd_values_round_trip)
{
	struct policy *p = NULL, *q = NULL;
	char yaml[4096], *text;

	snprintf(yaml, sizeof(yaml), "%s",
		 base_with("  memory: 1GiB", "  memory: 1073741825"));
	cr_assert_eq(load(base_with("name: t",
				    "name: t\ndescription: 'say \"hi\" \\ "
				    "there'"),
			  &p),
		     0, "%s", err);
	text = printed(p);
	cr_assert_eq(load(text, &q), 0, "%s\n%s", err, text);
	cr_assert_str_eq(q->description, "say \"hi\" \\ there");
	free(text);
	policy_free(p);
	policy_free(q);
	cr_assert_eq(load(yaml, &p), 0, "%s", err);
	text = printed(p);
	cr_assert_not_null(strstr(text, "  memory: 1073741825\n"));
	cr_assert_eq(load(text, &q), 0, "%s", err);
	cr_assert_eq(q->limits.memory_bytes, 1073741825ull);
	free(text);
	policy_free(p);
	policy_free(q);
}

static void
hash_of(const char *yaml, char out[65])
{
	struct policy *p = NULL;

	cr_assert_eq(load(yaml, &p), 0, "%s", err);
	policy_hash(p, out);
	policy_free(p);
}

Test(hash, stable_and_sensitive)
{
	char a[65], b[65], c[65];
	size_t i;

	hash_of(BASE, a);
	cr_assert_eq(strlen(a), 64);
	for (i = 0; i < 64; i++)
		cr_assert(strchr("0123456789abcdef", a[i]) != NULL);
	hash_of(BASE, b);
	cr_assert_str_eq(a, b);
	/* formatting, comments, path order and description do not count */
	hash_of("# comment\n" BASE "description: \"x\"\n", b);
	cr_assert_str_eq(a, b);
	hash_of(base_with("[/usr, /etc]", "\n    - /etc\n    - /usr"), b);
	cr_assert_str_eq(a, b);
	/* behaviour does */
	hash_of(base_with("  processes: 32", "  processes: 33"), c);
	cr_assert_str_neq(a, c);
	hash_of(base_with("[/usr, /etc]", "[/usr, /etc, /opt]"), c);
	cr_assert_str_neq(a, c);
	hash_of(base_with("unix_sockets: false", "unix_sockets: true"), c);
	cr_assert_str_neq(a, c);
	hash_of(base_with("tools: all", "tools: [Read, Write, Edit, MultiEdit,"
					" Glob, Grep, Bash]"),
		c);
	cr_assert_str_neq(a, c);
	/* a path moving from one list to the other */
	hash_of(base_with("[/usr, /etc]\n  read_write: [\"{project}\"]",
			  "[/usr]\n  read_write: [\"{project}\", /etc]"),
		c);
	cr_assert_str_neq(a, c);
}

/*
 * Results files record this hash, so the canonical form must not drift:
 * change it only together with its version line, and update this value.
 * The value is sha256sum of BASE's canonical form as written out by hand
 * in docs/policy.md ("The hash"), not a copy of what the code printed.
 */
#define POLICY_TEST_BASE_HASH \
	"9995a67a84bd30899a8c50cab264ada311a0c48036af42f29634d58764bf0f60"
Test(hash, canonical_form_is_pinned)
{
	char h[65];

	hash_of(BASE, h);
	cr_assert_str_eq(h, POLICY_TEST_BASE_HASH,
			 "canonical form changed: "
			 "%s",
			 h);
}
