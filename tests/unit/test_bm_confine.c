/*
 * test_bm_confine.c - unit tests of the rules for untrusted configs
 * (confine.h; confine.c, and bm_parse.c for the timeout ceiling) as the
 * loader applies them: boilerplate only below the config's directory,
 * built-in policies no wider than "default", the timeout ceiling; and
 * what the operator's rules admit.
 *
 * Design note
 * -----------
 * Each refusal is checked for its exact message, and for the refused
 * field being dropped: nothing outside is ever used. Symlinks and ".."
 * leading out, and file:// URLs, are refused like plain paths.
 */
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "bm_fixture.h"

TestSuite(benchmark, .init = bm_fixture_setup, .fini = bm_fixture_teardown);

#define OUTSIDE(field, shown) \
	field ": resolves to " shown ", outside the config's directory " \
	      "@: a config may name boilerplate only below its own " \
	      "directory; move the template there, or let the operator " \
	      "allow its place with --boilerplate-root DIR " \
	      "(boilerplate_root: in the user config)"

/* The config refused with the message want ("<line>:<col>: <field>:
 * ..."), where each "@" stands for the config's directory. */
static void
expect_refused(const char *text, const struct confine_rules *r,
	       const char *want)
{
	struct benchmark *b = bm_fixture_load_text_rules(text, r);
	char rest[1024];
	size_t o = 0;

	for (const char *p = want;
	     *p && o + strlen(bm_fixture_dir) + 1 < sizeof(rest); p++) {
		if (*p == '@') {
			memcpy(rest + o, bm_fixture_dir,
			       strlen(bm_fixture_dir));
			o += strlen(bm_fixture_dir);
		} else {
			rest[o++] = *p;
		}
	}
	rest[o] = 0;
	bm_fixture_expect_in(b->errors, rest);
	/* the refused field is dropped: nothing outside is ever used */
	cr_assert(!b->boilerplate_path && !b->boilerplate_url && !b->policy);
	benchmark_free(b);
}

Test(benchmark, boilerplate_outside_refused)
{
	char link[400];

	expect_refused(BM_FIXTURE_OK_HEAD
		       "boilerplate_path: .\n" BM_FIXTURE_ONE_PHASE,
		       NULL,
		       "3:1: boilerplate_path: is the config's own directory @ "
		       "(the config, and perhaps a .env, live there): a "
		       "config may name boilerplate only below its own "
		       "directory; move the template into a subdirectory, or "
		       "let the operator allow its place with "
		       "--boilerplate-root DIR");
	expect_refused(BM_FIXTURE_OK_HEAD
		       "boilerplate_path: /etc\n" BM_FIXTURE_ONE_PHASE,
		       NULL, "3:1: " OUTSIDE("boilerplate_path", "/etc"));
	expect_refused(BM_FIXTURE_OK_HEAD
		       "boilerplate_url: file:///etc\n" BM_FIXTURE_ONE_PHASE,
		       NULL, "3:1: " OUTSIDE("boilerplate_url", "/etc"));
	expect_refused(BM_FIXTURE_OK_HEAD
		       "boilerplate_path: tpl/../..\n" BM_FIXTURE_ONE_PHASE,
		       NULL,
		       "3:1: boilerplate_path: \"tpl/../..\" has a \"..\" "
		       "component: a config may name boilerplate only below "
		       "its own directory");
	expect_refused(BM_FIXTURE_OK_HEAD
		       "boilerplate_url: file://etc/x\n" BM_FIXTURE_ONE_PHASE,
		       NULL,
		       "3:1: boilerplate_url: \"file://etc/x\": a file:// URL "
		       "must name an absolute path (file:///...) without "
		       "percent-escapes");
	expect_refused(BM_FIXTURE_OK_HEAD
		       "boilerplate_url: file:///%2e%2e\n" BM_FIXTURE_ONE_PHASE,
		       NULL,
		       "3:1: boilerplate_url: \"file:///%2e%2e\": a file:// "
		       "URL must name an absolute path (file:///...) without "
		       "percent-escapes");
	/* a symlink below the directory that leads out of it */
	snprintf(link, sizeof(link), "%s/out", bm_fixture_dir);
	cr_assert_eq(symlink("/etc", link), 0);
	expect_refused(BM_FIXTURE_OK_HEAD
		       "boilerplate_path: out\n" BM_FIXTURE_ONE_PHASE,
		       NULL, "3:1: " OUTSIDE("boilerplate_path", "/etc"));
	unlink(link);
}

Test(benchmark, boilerplate_root_admits)
{
	struct confine_rules r = { .boilerplate_root = "/usr/share" };
	struct benchmark *b;

	b = bm_fixture_load_text_rules(
		BM_FIXTURE_OK_HEAD
		"boilerplate_path: /usr/share/doc\n" BM_FIXTURE_ONE_PHASE,
		&r);
	bm_fixture_expect_no_errors(b);
	cr_assert_str_eq(b->boilerplate_path, "/usr/share/doc");
	benchmark_free(b);
	b = bm_fixture_load_text_rules(
		BM_FIXTURE_OK_HEAD
		"boilerplate_url: file:///usr/share\n" BM_FIXTURE_ONE_PHASE,
		&r);
	bm_fixture_expect_no_errors(b);
	cr_assert_str_eq(b->boilerplate_url, "file:///usr/share");
	benchmark_free(b);
	/* the root admits its own subtree, nothing beside it */
	b = bm_fixture_load_text_rules(
		BM_FIXTURE_OK_HEAD
		"boilerplate_path: /usr/lib\n" BM_FIXTURE_ONE_PHASE,
		&r);
	cr_assert_eq(json_array_size(b->errors), 1);
	cr_assert_null(b->boilerplate_path);
	benchmark_free(b);
}

Test(benchmark, config_policy)
{
	struct confine_rules allow = { .allow_config_policy = true };
	struct benchmark *b;

	expect_refused(BM_FIXTURE_OK_HEAD
		       "policy: networked\n" BM_FIXTURE_ONE_PHASE,
		       NULL,
		       "3:1: policy: policy \"networked\" is wider than "
		       "\"default\" (network: tcp): a config may name only a "
		       "built-in policy no wider than \"default\"; remove the "
		       "key, or let the operator allow it with "
		       "--allow-config-policy (or choose the policy with "
		       "--policy)");
	expect_refused(BM_FIXTURE_OK_HEAD
		       "policy: ./mine.yaml\n" BM_FIXTURE_ONE_PHASE,
		       NULL,
		       "3:1: policy: \"./mine.yaml\" is a policy file: a "
		       "config may name only a built-in policy no wider than "
		       "\"default\"; remove the key, or let the operator allow "
		       "it with --allow-config-policy (or choose the policy "
		       "with --policy)");
	for (int i = 0; i < 2; i++) {
		b = bm_fixture_load_text(
			i ? BM_FIXTURE_OK_HEAD
				"policy: strict\n" BM_FIXTURE_ONE_PHASE :
			    BM_FIXTURE_OK_HEAD
				"policy: default\n" BM_FIXTURE_ONE_PHASE);
		bm_fixture_expect_no_errors(b);
		benchmark_free(b);
	}
	b = bm_fixture_load_text_rules(
		BM_FIXTURE_OK_HEAD "policy: networked\n" BM_FIXTURE_ONE_PHASE,
		&allow);
	bm_fixture_expect_no_errors(b);
	cr_assert_str_eq(b->policy, "networked");
	benchmark_free(b);
}

Test(benchmark, timeout_ceiling)
{
	struct confine_rules r = { .max_timeout = 600 };
	struct benchmark *b;

	/* the default ceiling, 7200 s, the config default */
	b = bm_fixture_load_text(
		BM_FIXTURE_OK_HEAD
		"timeout_seconds: 7201\n" BM_FIXTURE_ONE_PHASE);
	bm_fixture_expect_in(b->errors,
			     "3:1: timeout_seconds: 7201 s is over the "
			     "operator's ceiling of 7200 s: lower it, or "
			     "raise the ceiling with --max-timeout S "
			     "(max_timeout: in the user config)");
	benchmark_free(b);
	b = bm_fixture_load_text(
		BM_FIXTURE_OK_HEAD
		"timeout_seconds: 7200\n" BM_FIXTURE_ONE_PHASE);
	bm_fixture_expect_no_errors(b);
	benchmark_free(b);
	b = bm_fixture_load_text_rules(BM_FIXTURE_OK_HEAD
				       "timeout_seconds: 600\n"
				       "workflow_phases:\n"
				       "  - phase_name: Implementation\n"
				       "    timeout_seconds: 601\n",
				       &r);
	bm_fixture_expect_in(b->errors,
			     "6:5: workflow_phases[0].timeout_seconds: 601 "
			     "s is over the operator's ceiling of 600 s: "
			     "lower it, or raise the ceiling with "
			     "--max-timeout S (max_timeout: in the user "
			     "config)");
	benchmark_free(b);
	/* a config that gives no timeout gets the default, 7200 s, or the
	 * ceiling when that is lower: no error for a field it lacks */
	b = bm_fixture_load_text_rules(BM_FIXTURE_OK_HEAD BM_FIXTURE_ONE_PHASE,
				       &r);
	bm_fixture_expect_no_errors(b);
	cr_assert_eq(b->timeout_seconds, 600);
	benchmark_free(b);
	b = bm_fixture_load_text(BM_FIXTURE_OK_HEAD BM_FIXTURE_ONE_PHASE);
	bm_fixture_expect_no_errors(b);
	cr_assert_eq(b->timeout_seconds, 7200);
	benchmark_free(b);
}
