/*
 * test_bm_text.c - unit tests of a config's text (bm_text.c): template
 * placeholders that were never filled in.
 *
 * Design note
 * -----------
 * "{{...}}" anywhere in a string and a whole "<words>" value are errors at
 * the placeholder's own line and column (in block scalars too); single
 * braces, routes, markup and comparisons are text. An unquoted "{{" is a
 * YAML error that names the placeholder.
 */
#include <stdio.h>

#include <criterion/criterion.h>

#include "bm_fixture.h"

TestSuite(benchmark, .init = bm_fixture_setup, .fini = bm_fixture_teardown);

#define PH_FIX \
	": replace it with the real value (gao-dev does not fill " \
	"in templates)"

Test(benchmark, placeholder_in_braces)
{
	bm_fixture_expect_error(
		"name: \"{{BENCHMARK_NAME}}\"\ndescription: d\n" BM_FIXTURE_ONE_PHASE,
		"1:8: name: template placeholder "
		"\"{{BENCHMARK_NAME}}\" was never filled in" PH_FIX);
	/* inside a block scalar: the placeholder's own line and column */
	bm_fixture_expect_error(
		BM_FIXTURE_OK_HEAD
		"initial_prompt: |\n  Build an app.\n"
		"  It is a {{ app_kind }} app.\n" BM_FIXTURE_ONE_PHASE,
		"5:11: initial_prompt: template placeholder "
		"\"{{ app_kind }}\" was never filled in" PH_FIX);
	/* a "{{" whose "}}" is on another line is text; a later one is not */
	bm_fixture_expect_error(
		BM_FIXTURE_OK_HEAD
		"initial_prompt: \"a {{ b\\n c }} {{X}}\"\n" BM_FIXTURE_ONE_PHASE,
		"3:32: initial_prompt: template placeholder "
		"\"{{X}}\" was never filled in" PH_FIX);
	bm_fixture_expect_error(
		BM_FIXTURE_OK_HEAD
		"workflow_phases:\n  - phase_name: A\n"
		"    expected_artifacts: [app.py, \"{{MODULE}}.py\"]\n",
		"5:35: workflow_phases[0].expected_artifacts[1]: template "
		"placeholder \"{{MODULE}}\" was never filled in" PH_FIX);
}

Test(benchmark, placeholder_in_angle_brackets)
{
	bm_fixture_expect_error(
		BM_FIXTURE_OK_HEAD
		"project_name: <your-project>\n" BM_FIXTURE_ONE_PHASE,
		"3:15: project_name: template placeholder "
		"\"<your-project>\" was never filled in" PH_FIX);
	bm_fixture_expect_error(
		"benchmark:\n  name: t\n  description: \"<what it "
		"builds>\"\n  phases:\n    - phase_name: A\n",
		"3:17: description: template placeholder \"<what it "
		"builds>\" was never filled in" PH_FIX);
}

Test(benchmark, not_placeholders)
{
	/* single braces, routes, markup and comparisons are text */
	struct benchmark *b = bm_fixture_load_text(
		BM_FIXTURE_OK_HEAD
		"initial_prompt: |\n"
		"  GET /hello/{name} returns {\"message\": \"Hello\"};\n"
		"  Flask routes look like /hello/<name>; keep <b>bold</b>.\n"
		"  Check that 1 < 2 > 0.\n"
		"metadata:\n  note: \"<a href=x>\"\n  cmp: \"<>\"\n" BM_FIXTURE_ONE_PHASE);

	bm_fixture_expect_no_errors(b);
	benchmark_free(b);
}

Test(benchmark, unquoted_placeholder_is_a_yaml_error)
{
	char err[600] = "", want[600];
	FILE *f = fopen(bm_fixture_cfg, "we");

	cr_assert_not_null(f);
	fputs("description: d\nname: {{ name }}\n", f);
	fclose(f);
	cr_assert_null(benchmark_load(bm_fixture_cfg, err, sizeof(err)));
	snprintf(
		want, sizeof(want),
		"%s:2:8: mapping keys must be scalars; "
		"this line holds the template placeholder \"{{ name }}\"" PH_FIX,
		bm_fixture_cfg);
	cr_assert_str_eq(err, want);
}
