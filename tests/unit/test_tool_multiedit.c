/*
 * test_tool_multiedit.c - the MultiEdit tool: edits in order on the
 * result of the previous ones, all or nothing, the failing edit named by
 * index, and the input checks.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/tool_fixture.h"
#include "worker/tool.h"

static struct tool_fixture fx;
static struct tool_out out;

static void
setup(void)
{
	tool_fixture_begin(&fx, &out);
	tool_fixture_put(fx.dir, "f.py", "def f():\n    return 1\n\nf()\n");
}

static void
teardown(void)
{
	tool_fixture_end(&fx, &out);
}

TestSuite(multiedit, .init = setup, .fini = teardown);

static void
me_json(const char *json)
{
	tool_fixture_run(&fx, tool_multiedit, json, 0, &out);
}

static void
assert_file(const char *want)
{
	char *s = tool_fixture_get(fx.dir, "f.py", NULL);

	cr_assert_not_null(s);
	cr_assert_str_eq(s, want);
	free(s);
}

Test(multiedit, applies_in_order)
{
	me_json("{\"file_path\": \"f.py\", \"edits\": ["
		"{\"old_string\": \"def f()\", \"new_string\": \"def g()\"},"
		"{\"old_string\": \"f()\\n\", \"new_string\": \"g()\\n\"},"
		"{\"old_string\": \"g\", \"new_string\": \"h\", "
		" \"replace_all\": true}]}");
	cr_assert(!out.is_error, "%s", out.content);
	cr_assert_str_eq(out.content, "Applied 3 edits to f.py (4 "
				      "replacements)");
	assert_file("def h():\n    return 1\n\nh()\n");
}

Test(multiedit, a_failing_edit_leaves_the_file_unchanged)
{
	me_json("{\"file_path\": \"f.py\", \"edits\": ["
		"{\"old_string\": \"return 1\", \"new_string\": \"return 2\"},"
		"{\"old_string\": \"missing\", \"new_string\": \"x\"},"
		"{\"old_string\": \"f()\", \"new_string\": \"y\"}]}");
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "edits[1]") != NULL, "%s", out.content);
	cr_assert(strstr(out.content, "edit 2 of 3") != NULL);
	cr_assert(strstr(out.content, "not found") != NULL);
	assert_file("def f():\n    return 1\n\nf()\n");
}

Test(multiedit, later_edit_sees_earlier_result)
{
	/* The second edit only matches after the first. */
	me_json("{\"file_path\": \"f.py\", \"edits\": ["
		"{\"old_string\": \"return 1\", \"new_string\": \"return 7\"},"
		"{\"old_string\": \"return 7\", \"new_string\": \"return 8\"}"
		"]}");
	cr_assert(!out.is_error, "%s", out.content);
	assert_file("def f():\n    return 8\n\nf()\n");
}

Test(multiedit, not_unique_is_reported_with_index)
{
	me_json("{\"file_path\": \"f.py\", \"edits\": ["
		"{\"old_string\": \"f()\", \"new_string\": \"g()\"}]}");
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "edits[0]") != NULL);
	cr_assert(strstr(out.content, "found 2 times") != NULL, "%s",
		  out.content);
	assert_file("def f():\n    return 1\n\nf()\n");
}

Test(multiedit, input_validation)
{
	me_json("{\"file_path\": \"f.py\"}");
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "\"edits\"") != NULL);
	me_json("{\"file_path\": \"f.py\", \"edits\": {}}");
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "must be an array") != NULL);
	me_json("{\"file_path\": \"f.py\", \"edits\": []}");
	cr_assert(out.is_error);
	me_json("{\"file_path\": \"f.py\", \"edits\": ["
		"{\"old_string\": \"a\", \"new_string\": \"b\"}, 5]}");
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "edits[1] must be an object") != NULL);
	me_json("{\"file_path\": \"f.py\", \"edits\": ["
		"{\"old_string\": \"return\"}]}");
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "edits[0]:") != NULL, "%s", out.content);
	cr_assert(strstr(out.content, "\"new_string\"") != NULL);
	me_json("{\"file_path\": \"f.py\", \"edits\": ["
		"{\"old_string\": \"return\", \"new_string\": \"x\", "
		"\"replace_all\": 1}]}");
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "boolean") != NULL);
	assert_file("def f():\n    return 1\n\nf()\n");
}

Test(multiedit, missing_file)
{
	me_json("{\"file_path\": \"none.py\", \"edits\": ["
		"{\"old_string\": \"a\", \"new_string\": \"b\"}]}");
	cr_assert(out.is_error);
	cr_assert(!tool_fixture_exists(fx.dir, "none.py"));
}
