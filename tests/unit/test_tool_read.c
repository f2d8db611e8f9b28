/*
 * test_tool_read.c - the Read tool: numbering, offset and limit, long
 * lines, binary and empty files, directories, the output cap, input
 * validation and escapes; also tool_lookup and tool_out_clear.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
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

TestSuite(read, .init = setup, .fini = teardown);

static void
read_json(const char *json)
{
	tool_fixture_run(&fx, tool_read, json, 0, &out);
}

/* Expected cat -n output of lines first..last of "line N" lines. */
static char *
numbered(int first, int last)
{
	char *s = calloc(1, 64 * (size_t)(last - first + 2));
	size_t n = 0;
	int i;

	cr_assert_not_null(s);
	for (i = first; i <= last; i++)
		n += (size_t)sprintf(s + n, "%6d\tline %d\n", i, i);
	return s;
}

static void
put_lines(const char *rel, int count)
{
	char *s = calloc(1, 32 * (size_t)count + 1);
	size_t n = 0;
	int i;

	cr_assert_not_null(s);
	for (i = 1; i <= count; i++)
		n += (size_t)sprintf(s + n, "line %d\n", i);
	tool_fixture_put(fx.dir, rel, s);
	free(s);
}

Test(read, numbers_lines_like_cat_n)
{
	tool_fixture_put(fx.dir, "f.txt", "one\ntwo\n\nfour");
	read_json("{\"file_path\": \"f.txt\"}");
	cr_assert(!out.is_error);
	cr_assert_str_eq(out.content, "     1\tone\n     2\ttwo\n     3\t\n"
				      "     4\tfour\n");
	cr_assert_eq(out.exit_code, -1);
	cr_assert(!out.truncated);
}

Test(read, absolute_path_inside_project)
{
	char json[PATH_MAX * 2];

	tool_fixture_put(fx.dir, "d/f.txt", "x\n");
	snprintf(json, sizeof(json), "{\"file_path\": \"%s/d/f.txt\"}", fx.dir);
	read_json(json);
	cr_assert(!out.is_error, "%s", out.content);
	cr_assert_str_eq(out.content, "     1\tx\n");
}

Test(read, offset_and_limit)
{
	char *want = numbered(3, 4);

	put_lines("f.txt", 10);
	read_json("{\"file_path\": \"f.txt\", \"offset\": 3, \"limit\": 2}");
	cr_assert(!out.is_error);
	cr_assert(strncmp(out.content, want, strlen(want)) == 0, "%s",
		  out.content);
	cr_assert(strstr(out.content, "offset=5") != NULL, "continuation");
	free(want);
}

Test(read, default_limit_is_2000_lines)
{
	char *want = numbered(1, 2000);

	fx.ctx.output_max = 1 << 20;
	put_lines("f.txt", 2100);
	read_json("{\"file_path\": \"f.txt\"}");
	cr_assert(strncmp(out.content, want, strlen(want)) == 0);
	cr_assert(strstr(out.content, "  2001\t") == NULL);
	cr_assert(strstr(out.content, "offset=2001") != NULL);
	free(want);
}

Test(read, offset_to_the_end_has_no_continuation)
{
	char *want = numbered(8, 10);

	put_lines("f.txt", 10);
	read_json("{\"file_path\": \"f.txt\", \"offset\": 8}");
	cr_assert_str_eq(out.content, want);
	free(want);
}

Test(read, offset_past_the_end)
{
	put_lines("f.txt", 3);
	read_json("{\"file_path\": \"f.txt\", \"offset\": 10}");
	cr_assert(!out.is_error);
	cr_assert(strstr(out.content, "has 3 lines") != NULL, "%s",
		  out.content);
}

Test(read, long_lines_are_cut_and_marked)
{
	char *line = malloc(2502);

	cr_assert_not_null(line);
	memset(line, 'x', 2500);
	strcpy(line + 2500, "\n");
	tool_fixture_put(fx.dir, "f.txt", line);
	read_json("{\"file_path\": \"f.txt\"}");
	cr_assert(strstr(out.content, "cut at 2000 of 2500") != NULL);
	/* Exactly 2000 x's between the tab and the marker. */
	cr_assert_eq(strspn(out.content + 7, "x"), 2000);
	free(line);
}

Test(read, long_lines_count_characters_not_bytes)
{
	size_t i, n = 0;
	char *line = malloc(2100 * 2 + 2), *p;

	cr_assert_not_null(line);
	for (i = 0; i < 2100; i++) {
		line[n++] = '\xc3';
		line[n++] = '\xa9'; /* é */
	}
	line[n] = '\0';
	tool_fixture_put(fx.dir, "f.txt", line);
	read_json("{\"file_path\": \"f.txt\"}");
	cr_assert(tool_fixture_utf8_ok(out.content));
	p = strstr(out.content, " [... line cut at 2000 of 2100");
	cr_assert_not_null(p);
	cr_assert_eq((size_t)(p - (out.content + 7)), 4000);
	free(line);
}

Test(read, binary_files_are_refused)
{
	tool_fixture_put_bytes(fx.dir, "bin", "ELF\0\1\2", 6);
	read_json("{\"file_path\": \"bin\"}");
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "binary") != NULL, "%s", out.content);
}

Test(read, nul_after_the_probe_is_not_binary)
{
	char *buf = malloc(9000);

	cr_assert_not_null(buf);
	memset(buf, 'a', 9000);
	buf[100] = '\n';
	buf[8999] = '\0';
	tool_fixture_put_bytes(fx.dir, "late", buf, 9000);
	read_json("{\"file_path\": \"late\", \"limit\": 1}");
	cr_assert(!out.is_error, "%s", out.content);
	free(buf);
}

Test(read, empty_file_gets_a_note)
{
	tool_fixture_put(fx.dir, "empty", "");
	read_json("{\"file_path\": \"empty\"}");
	cr_assert(!out.is_error);
	cr_assert(strstr(out.content, "empty") != NULL);
}

Test(read, directory_is_an_error)
{
	char path[PATH_MAX * 2];

	snprintf(path, sizeof(path), "%s/sub", fx.dir);
	cr_assert_eq(mkdir(path, 0755), 0);
	read_json("{\"file_path\": \"sub\"}");
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "is a directory, use Glob or Bash ls") !=
			  NULL,
		  "%s", out.content);
}

Test(read, fifo_is_refused_without_blocking)
{
	char path[PATH_MAX * 2];

	snprintf(path, sizeof(path), "%s/fifo", fx.dir);
	cr_assert_eq(mkfifo(path, 0644), 0);
	read_json("{\"file_path\": \"fifo\"}");
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "not a regular file") != NULL);
}

Test(read, missing_file)
{
	read_json("{\"file_path\": \"nope.txt\"}");
	cr_assert(out.is_error);
	cr_assert_str_eq(out.content, "nope.txt: no such file or directory");
}

Test(read, output_cap_cuts_at_a_line)
{
	put_lines("f.txt", 50);
	fx.ctx.output_max = 100;
	read_json("{\"file_path\": \"f.txt\"}");
	cr_assert(out.truncated);
	/* The full output: 9 lines of 14 bytes, 41 of 15. */
	cr_assert_eq(out.bytes, 9 * 14 + 41 * 15);
	cr_assert(strstr(out.content, "output truncated") != NULL);
	/* 100 bytes hold 7 lines of 14 bytes: continue at 8. */
	cr_assert(strstr(out.content, "offset=8") != NULL, "%s", out.content);
	cr_assert(strstr(out.content, "     7\tline 7\n[output") != NULL);
}

Test(read, invalid_utf8_becomes_replacement_characters)
{
	tool_fixture_put(fx.dir, "f.txt",
			 "a\xff\xfe"
			 "b\n");
	read_json("{\"file_path\": \"f.txt\"}");
	cr_assert(tool_fixture_utf8_ok(out.content));
	cr_assert_str_eq(out.content, "     1\ta\xef\xbf\xbd\xef\xbf\xbd"
				      "b\n");
}

Test(read, escapes_are_refused)
{
	char json[PATH_MAX * 2];

	tool_fixture_put(fx.outside, "secret", "TOPSECRET\n");
	tool_fixture_symlink("../outside/secret", fx.dir, "link");
	read_json("{\"file_path\": \"link\"}");
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "TOPSECRET") == NULL);
	cr_assert(strstr(out.content, "escapes") != NULL);
	read_json("{\"file_path\": \"../outside/secret\"}");
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "TOPSECRET") == NULL);
	snprintf(json, sizeof(json), "{\"file_path\": \"%s/secret\"}",
		 fx.outside);
	read_json(json);
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "outside the project") != NULL);
	read_json("{\"file_path\": \"/proc/self/root/etc/passwd\"}");
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "root:") == NULL);
}

Test(read, input_validation)
{
	read_json("[]");
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "JSON object") != NULL);
	read_json("{}");
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "\"file_path\"") != NULL);
	read_json("{\"file_path\": 3}");
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "must be a string") != NULL);
	read_json("{\"file_path\": \"f\", \"offset\": \"2\"}");
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "\"offset\"") != NULL);
	read_json("{\"file_path\": \"f\", \"limit\": -1}");
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "\"limit\"") != NULL);
	read_json("{\"file_path\": \"f\", \"limit\": 1.5}");
	cr_assert(out.is_error);
	read_json("{\"file_path\": \"a\\u0000b\"}");
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "NUL") != NULL);
}

Test(read, unknown_fields_ignored_and_reals_accepted)
{
	put_lines("f.txt", 5);
	read_json("{\"file_path\": \"f.txt\", \"offset\": 2.0, \"limit\": 1,"
		  " \"extra\": [1]}");
	cr_assert(!out.is_error, "%s", out.content);
	cr_assert(strncmp(out.content, "     2\tline 2\n", 14) == 0);
}

Test(lookup, maps_every_tool_name)
{
	cr_assert_eq(tool_lookup("Read"), tool_read);
	cr_assert_eq(tool_lookup("Write"), tool_write);
	cr_assert_eq(tool_lookup("Edit"), tool_edit);
	cr_assert_eq(tool_lookup("MultiEdit"), tool_multiedit);
	cr_assert_eq(tool_lookup("Glob"), tool_glob);
	cr_assert_eq(tool_lookup("Grep"), tool_grep);
	cr_assert_eq(tool_lookup("Bash"), tool_bash);
	cr_assert_null(tool_lookup("read"));
	cr_assert_null(tool_lookup("TodoWrite"));
	cr_assert_null(tool_lookup(""));
	cr_assert_null(tool_lookup(NULL));
}

Test(lookup, out_clear_frees_and_zeroes)
{
	struct tool_out o;

	memset(&o, 0, sizeof(o));
	o.content = strdup("x");
	o.is_error = true;
	tool_out_clear(&o);
	cr_assert_null(o.content);
	cr_assert(!o.is_error);
	tool_out_clear(&o);
	tool_out_clear(NULL);
}
