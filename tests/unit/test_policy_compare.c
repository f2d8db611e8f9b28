/*
 * test_policy_compare.c - unit tests of policy_wider() (policy/compare.c).
 *
 * Design note
 * -----------
 * The shipped profiles against "default" (networked is wider for its
 * network, strict is not, default is not wider than itself), then one
 * variant of default per field, each widening exactly one grant, with the
 * exact description policy_wider() gives; and the narrowing variants
 * that must not count (a path below a granted one, a lower limit, fewer
 * tools). Whole path components: /usrx is not below /usr. Against
 * strict, default is wider first of all for exec.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "policy/policy.h"

static struct policy *
shipped(const char *name)
{
	struct policy *p = NULL;
	char err[512];

	cr_assert_eq(policy_load_named(name, POLICY_TEST_PROFILES, &p, err,
				       sizeof(err)),
		     0, "%s", err);
	return p;
}

/* default.yaml with the line starting "from" replaced by "to". */
static struct policy *
variant(const char *from, const char *to)
{
	char path[600], *text, *at, *eol, *out = NULL, err[512];
	struct policy *p = NULL;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/default.yaml", POLICY_TEST_PROFILES);
	f = fopen(path, "re");
	cr_assert_not_null(f);
	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)n + 1);
	cr_assert_eq(fread(text, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	at = strstr(text, from);
	cr_assert_not_null(at, "no \"%s\" in default.yaml", from);
	eol = strchr(at, '\n');
	cr_assert_geq(asprintf(&out, "%.*s%s%s", (int)(at - text), text, to,
			       eol ? eol : ""),
		      0);
	cr_assert_eq(policy_load_buffer(out, strlen(out), "v.yaml", &p, err,
					sizeof(err)),
		     0, "%s\n%s", err, out);
	free(text);
	free(out);
	return p;
}

static void
expect(struct policy *p, bool wider, const char *why)
{
	struct policy *base = shipped("default");
	char got[200];

	cr_expect_eq(policy_wider(p, base, got, sizeof(got)), wider, "%s", got);
	cr_expect_str_eq(got, why);
	policy_free(p);
	policy_free(base);
}

Test(policy_wider, shipped_profiles)
{
	expect(shipped("networked"), true, "network: tcp");
	expect(shipped("strict"), false, "");
	expect(shipped("default"), false, "");
}

Test(policy_wider, one_grant_each)
{
	expect(variant("unix_sockets:", "unix_sockets: true"), true,
	       "unix_sockets: true");
	expect(variant("    - /sys/devices/system/cpu", "    - /root"), true,
	       "read_only path /root");
	expect(variant("    - /sys/devices/system/cpu", "    - /usrx"), true,
	       "read_only path /usrx");
	expect(variant("    - \"{tmp}\"", "    - /var"), true,
	       "read_write path /var");
	expect(variant("  processes: 256", "  processes: 257"), true,
	       "limits.processes 257 is above 256");
	expect(variant("  memory: 4GiB", "  memory: unlimited"), true,
	       "limits.memory 0 is above 4294967296 (0: unlimited)");
	expect(variant("  timeout_max_ms: 600000", "  timeout_max_ms: 300000"),
	       false, "");
}

Test(policy_wider, narrower_is_not_wider)
{
	/* a read-write path below {project}, a read-only one below /usr */
	expect(variant("    - \"{tmp}\"", "    - \"{project}/sub\""), false,
	       "");
	expect(variant("    - /sys/devices/system/cpu", "    - /usr/share"),
	       false, "");
	expect(variant("  cpu_seconds: 600", "  cpu_seconds: 10"), false, "");
	expect(variant("tools: all", "tools: [Read, Grep]"), false, "");
}

Test(policy_wider, the_syscall_mode_and_exec)
{
	struct policy *strict = shipped("strict");
	struct policy *def = shipped("default");
	char got[200];

	cr_assert(policy_wider(def, strict, got, sizeof(got)));
	cr_assert_str_eq(got, "exec: true");
	policy_free(strict);
	policy_free(def);
}
