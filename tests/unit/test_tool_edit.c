/*
 * test_tool_edit.c - the Edit tool: a unique replacement, not found, not
 * unique, replace_all, the refusals (empty or identical strings, missing
 * file, outside symlink), and that a refused edit changes nothing.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/tool_fixture.h"
#include "worker/tool.h"

static struct tool_fixture fx;
static struct tool_out out;

static void
setup(void)
{
	tool_fixture_begin(&fx, &out);
}

static void
teardown(void)
{
	tool_fixture_end(&fx, &out);
}

TestSuite(edit, .init = setup, .fini = teardown);

static void
edit_json(const char *json)
{
	tool_fixture_run(&fx, tool_edit, json, 0, &out);
}

static void
assert_file(const char *rel, const char *want)
{
	char *s = tool_fixture_get(fx.dir, rel, NULL);

	cr_assert_not_null(s);
	cr_assert_str_eq(s, want);
	free(s);
}

Test(edit, replaces_a_unique_string)
{
	tool_fixture_put(fx.dir, "m.c", "int main(void)\n{\n\treturn 0;\n}\n");
	edit_json("{\"file_path\": \"m.c\", \"old_string\": \"return 0;\", "
		  "\"new_string\": \"return 42;\"}");
	cr_assert(!out.is_error, "%s", out.content);
	cr_assert(strstr(out.content, "replaced 1 occurrence of") != NULL);
	assert_file("m.c", "int main(void)\n{\n\treturn 42;\n}\n");
}

Test(edit, deletion_and_growth)
{
	tool_fixture_put(fx.dir, "f", "keep DROP keep");
	edit_json("{\"file_path\": \"f\", \"old_string\": \" DROP\", "
		  "\"new_string\": \"\"}");
	cr_assert(!out.is_error);
	assert_file("f", "keep keep");
	edit_json("{\"file_path\": \"f\", \"old_string\": \"keep keep\", "
		  "\"new_string\": \"a much longer replacement text\"}");
	assert_file("f", "a much longer replacement text");
}

Test(edit, not_found_changes_nothing)
{
	tool_fixture_put(fx.dir, "f", "alpha\n");
	edit_json("{\"file_path\": \"f\", \"old_string\": \"beta\", "
		  "\"new_string\": \"gamma\"}");
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "old_string not found in f") != NULL,
		  "%s", out.content);
	assert_file("f", "alpha\n");
}

Test(edit, not_unique_without_replace_all)
{
	tool_fixture_put(fx.dir, "f", "x = 1; x = 1; x = 1;");
	edit_json("{\"file_path\": \"f\", \"old_string\": \"x = 1;\", "
		  "\"new_string\": \"x = 2;\"}");
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "found 3 times") != NULL, "%s",
		  out.content);
	cr_assert(strstr(out.content, "replace_all") != NULL);
	assert_file("f", "x = 1; x = 1; x = 1;");
}

Test(edit, replace_all)
{
	tool_fixture_put(fx.dir, "f", "x = 1; x = 1; x = 1;");
	edit_json("{\"file_path\": \"f\", \"old_string\": \"1\", "
		  "\"new_string\": \"22\", \"replace_all\": true}");
	cr_assert(!out.is_error);
	cr_assert(strstr(out.content, "replaced 3 occurrences") != NULL);
	assert_file("f", "x = 22; x = 22; x = 22;");
}

Test(edit, replace_all_counts_non_overlapping)
{
	tool_fixture_put(fx.dir, "f", "aaaaa");
	edit_json("{\"file_path\": \"f\", \"old_string\": \"aa\", "
		  "\"new_string\": \"b\", \"replace_all\": true}");
	cr_assert(strstr(out.content, "replaced 2 occurrences") != NULL);
	assert_file("f", "bba");
}

Test(edit, refuses_empty_and_identical)
{
	tool_fixture_put(fx.dir, "f", "abc");
	edit_json("{\"file_path\": \"f\", \"old_string\": \"\", "
		  "\"new_string\": \"x\"}");
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "must not be empty") != NULL);
	edit_json("{\"file_path\": \"f\", \"old_string\": \"b\", "
		  "\"new_string\": \"b\"}");
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "same") != NULL);
	assert_file("f", "abc");
}

Test(edit, missing_file_and_directory)
{
	edit_json("{\"file_path\": \"nope\", \"old_string\": \"a\", "
		  "\"new_string\": \"b\"}");
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "no such file") != NULL);
	cr_assert(!tool_fixture_exists(fx.dir, "nope"));
	tool_fixture_put(fx.dir, "d/f", "a");
	edit_json("{\"file_path\": \"d\", \"old_string\": \"a\", "
		  "\"new_string\": \"b\"}");
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "is a directory") != NULL);
}

Test(edit, keeps_the_file_mode)
{
	char path[PATH_MAX * 2];
	struct stat st;

	tool_fixture_put(fx.dir, "s.sh", "echo a\n");
	snprintf(path, sizeof(path), "%s/s.sh", fx.dir);
	cr_assert_eq(chmod(path, 0700), 0);
	edit_json("{\"file_path\": \"s.sh\", \"old_string\": \"a\", "
		  "\"new_string\": \"b\"}");
	cr_assert(!out.is_error);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0700);
}

Test(edit, symlink_outside_is_refused)
{
	tool_fixture_put(fx.outside, "v", "secret a");
	tool_fixture_symlink("../outside/v", fx.dir, "l");
	edit_json("{\"file_path\": \"l\", \"old_string\": \"a\", "
		  "\"new_string\": \"b\"}");
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "secret") == NULL);
	char *s = tool_fixture_get(fx.outside, "v", NULL);
	cr_assert_str_eq(s, "secret a");
	free(s);
}

Test(edit, input_validation)
{
	tool_fixture_put(fx.dir, "f", "abc");
	edit_json("{\"file_path\": \"f\", \"new_string\": \"x\"}");
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "\"old_string\"") != NULL);
	edit_json("{\"file_path\": \"f\", \"old_string\": \"a\"}");
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "\"new_string\"") != NULL);
	edit_json("{\"file_path\": \"f\", \"old_string\": \"a\", "
		  "\"new_string\": \"b\", \"replace_all\": \"yes\"}");
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "must be a boolean") != NULL);
	assert_file("f", "abc");
}
