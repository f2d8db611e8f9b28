/*
 * bm_fixture.c - see bm_fixture.h: the temp directory, the config file in
 * it, and the helpers the benchmark config tests share.
 */
#include "bm_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

char bm_fixture_dir[] = "/tmp/benchmark-test-XXXXXX";
char bm_fixture_cfg[300];

void
bm_fixture_setup(void)
{
	cr_assert_not_null(mkdtemp(bm_fixture_dir));
	snprintf(bm_fixture_cfg, sizeof(bm_fixture_cfg), "%s/bench.yaml",
		 bm_fixture_dir);
}

void
bm_fixture_teardown(void)
{
	unlink(bm_fixture_cfg);
	rmdir(bm_fixture_dir);
}

/* The fixture's path into buf (GAO_DEV_FIXTURES/name). */
void
bm_fixture_path(const char *name, char *buf, size_t cap)
{
	const char *d = getenv("GAO_DEV_FIXTURES");

	cr_assert_not_null(d, "GAO_DEV_FIXTURES is not set (run through "
			      "meson)");
	snprintf(buf, cap, "%s/%s", d, name);
}

struct benchmark *
bm_fixture_load(const char *name)
{
	char path[512], err[512] = "";
	struct benchmark *b;

	bm_fixture_path(name, path, sizeof(path));
	b = benchmark_load(path, err, sizeof(err));
	cr_assert_not_null(b, "%s", err);
	return b;
}

void
bm_fixture_expect_no_errors(const struct benchmark *b)
{
	char *e = json_dumps(b->errors, JSON_INDENT(1));

	cr_assert_eq(json_array_size(b->errors), 0, "%s", e);
	free(e);
}

void
bm_fixture_expect_phase(const struct benchmark *b, size_t i, const char *name,
			const char *agent, bool inferred, int64_t timeout)
{
	const struct bm_phase *p;

	cr_assert_lt(i, b->n_phases);
	p = &b->phases[i];
	cr_assert_str_eq(p->name, name, "phase %zu", i);
	cr_assert_str_eq(p->agent, agent, "phase %zu", i);
	cr_assert_eq(p->agent_inferred, inferred, "phase %zu", i);
	cr_assert_eq(p->timeout_seconds, timeout, "phase %zu", i);
}

void
bm_fixture_expect_hash(const struct benchmark *b)
{
	cr_assert_eq(strncmp(b->prompt_hash, "sha256:", 7), 0);
	cr_assert_eq(strlen(b->prompt_hash), 7 + 64);
	cr_assert_eq(strspn(b->prompt_hash + 7, "0123456789abcdef"), 64);
}

double
bm_fixture_crit_num(const struct benchmark *b, const char *k)
{
	return json_number_value(json_object_get(b->success_criteria, k));
}

const char *
bm_fixture_artifact(const struct bm_phase *p, size_t i)
{
	return json_string_value(json_array_get(p->expected_artifacts, i));
}

struct benchmark *
bm_fixture_load_text_rules(const char *text, const struct confine_rules *rules)
{
	char err[512] = "";
	struct benchmark *b;
	FILE *f = fopen(bm_fixture_cfg, "we");

	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	b = benchmark_load_rules(bm_fixture_cfg, rules, err, sizeof(err));
	cr_assert_not_null(b, "%s", err);
	return b;
}

struct benchmark *
bm_fixture_load_text(const char *text)
{
	return bm_fixture_load_text_rules(text, NULL);
}

/* list holds "<cfg>:<rest>" exactly. */
void
bm_fixture_expect_in(const json_t *list, const char *rest)
{
	char want[1024];
	json_t *e;
	size_t i;
	char *all;

	snprintf(want, sizeof(want), "%s:%s", bm_fixture_cfg, rest);
	json_array_foreach(list, i, e)
		if (strcmp(json_string_value(e), want) == 0)
			return;
	all = json_dumps(list, JSON_INDENT(1));
	cr_assert_fail("missing \"%s\" in %s", want, all);
	free(all);
}

void
bm_fixture_expect_error(const char *text, const char *rest)
{
	struct benchmark *b = bm_fixture_load_text(text);

	bm_fixture_expect_in(b->errors, rest);
	benchmark_free(b);
}
