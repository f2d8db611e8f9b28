/*
 * test_tool_grep.c - the Grep tool: the three output modes, line numbers,
 * context, -i, glob filter, a file as path, head_limit, multiline, binary
 * files and .git skipped, symlinks not followed, bad regex, and a
 * catastrophic pattern that must fail fast instead of hanging; a pattern
 * whose every start position stays under PCRE2's match limit (the limit
 * counts per position) is still stopped by the time limit of one match
 * and by the call's deadline.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
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
set_mtime(const char *rel, time_t sec)
{
	struct timespec ts[2] = { { sec, 0 }, { sec, 0 } };

	cr_assert_eq(utimensat(fx.fd, rel, ts, AT_SYMLINK_NOFOLLOW), 0);
}

static void
setup(void)
{
	tool_fixture_begin(&fx, &out);
	tool_fixture_put(fx.dir, "a.txt",
			 "one\nHello world\nthree\nhello "
			 "again\nfive\n");
	tool_fixture_put(fx.dir, "src/b.c", "int hello;\nint x;\n");
	tool_fixture_put(fx.dir, "src/c.h", "nothing here\n");
	tool_fixture_put(fx.dir, ".git/config", "hello from git\n");
	tool_fixture_put_bytes(fx.dir, "bin.dat", "hello\0world", 11);
	set_mtime("a.txt", 1000);
	set_mtime("src/b.c", 2000);
}

static void
teardown(void)
{
	tool_fixture_end(&fx, &out);
}

TestSuite(grep, .init = setup, .fini = teardown);

static void
grep_json(const char *json)
{
	tool_fixture_run(&fx, tool_grep, json, 0, &out);
}

Test(grep, files_with_matches_is_the_default)
{
	grep_json("{\"pattern\": \"hello\"}");
	cr_assert(!out.is_error, "%s", out.content);
	/* Newest first; .git and the binary file skipped. */
	cr_assert_str_eq(out.content, "Found 2 files\nsrc/b.c\na.txt\n");
}

Test(grep, content_mode_with_line_numbers)
{
	grep_json("{\"pattern\": \"hello\", \"output_mode\": \"content\"}");
	cr_assert_str_eq(out.content, "a.txt:4:hello again\n"
				      "src/b.c:1:int hello;\n");
	grep_json("{\"pattern\": \"hello\", \"output_mode\": \"content\", "
		  "\"-n\": false}");
	cr_assert_str_eq(out.content, "a.txt:hello again\n"
				      "src/b.c:int hello;\n");
}

Test(grep, case_insensitive)
{
	grep_json("{\"pattern\": \"HELLO\", \"-i\": true, "
		  "\"output_mode\": \"content\", \"path\": \"a.txt\"}");
	cr_assert_str_eq(out.content, "a.txt:2:Hello world\n"
				      "a.txt:4:hello again\n");
}

Test(grep, count_mode)
{
	grep_json("{\"pattern\": \"(?i)hello\", \"output_mode\": \"count\"}");
	cr_assert_str_eq(out.content, "a.txt:2\nsrc/b.c:1\n"
				      "Found 3 matching lines\n");
}

Test(grep, context_lines_and_separators)
{
	tool_fixture_put(fx.dir, "ctx.txt", "1\n2\nX\n4\n5\n6\n7\nX\n9\n");
	grep_json("{\"pattern\": \"X\", \"output_mode\": \"content\", "
		  "\"-C\": 1, \"path\": \"ctx.txt\"}");
	cr_assert_str_eq(out.content,
			 "ctx.txt-2-2\nctx.txt:3:X\n"
			 "ctx.txt-4-4\n--\nctx.txt-7-7\nctx.txt:8:X\n"
			 "ctx.txt-9-9\n");
	grep_json("{\"pattern\": \"X\", \"output_mode\": \"content\", "
		  "\"-B\": 2, \"-A\": 0, \"path\": \"ctx.txt\"}");
	cr_assert_str_eq(out.content,
			 "ctx.txt-1-1\nctx.txt-2-2\n"
			 "ctx.txt:3:X\n--\nctx.txt-6-6\nctx.txt-7-7\n"
			 "ctx.txt:8:X\n");
	/* Overlapping context is merged, not repeated. */
	grep_json("{\"pattern\": \"X\", \"output_mode\": \"content\", "
		  "\"-A\": 5, \"path\": \"ctx.txt\"}");
	cr_assert_str_eq(out.content, "ctx.txt:3:X\nctx.txt-4-4\n"
				      "ctx.txt-5-5\nctx.txt-6-6\nctx.txt-7-7\n"
				      "ctx.txt:8:X\nctx.txt-9-9\n");
}

Test(grep, glob_filter)
{
	grep_json("{\"pattern\": \"int\", \"glob\": \"*.{c,h}\"}");
	cr_assert_str_eq(out.content, "Found 1 file\nsrc/b.c\n");
	grep_json("{\"pattern\": \"hello\", \"glob\": \"*.txt\"}");
	cr_assert_str_eq(out.content, "Found 1 file\na.txt\n");
	grep_json("{\"pattern\": \"e\", \"glob\": \"src/*.h\"}");
	cr_assert_str_eq(out.content, "Found 1 file\nsrc/c.h\n");
}

Test(grep, head_limit)
{
	grep_json("{\"pattern\": \"o\", \"output_mode\": \"content\", "
		  "\"head_limit\": 2}");
	cr_assert(strncmp(out.content,
			  "a.txt:1:one\na.txt:2:Hello world\n"
			  "[results cut",
			  44) == 0,
		  "%s", out.content);
	grep_json("{\"pattern\": \"hello\", \"head_limit\": 1}");
	cr_assert(strncmp(out.content, "Found 2 files\nsrc/b.c\n[results",
			  30) == 0,
		  "%s", out.content);
}

Test(grep, multiline)
{
	grep_json("{\"pattern\": \"world\\\\nthree\", \"output_mode\": "
		  "\"content\"}");
	cr_assert_str_eq(out.content, "No matches found\n");
	grep_json("{\"pattern\": \"world\\\\nthree\", \"output_mode\": "
		  "\"content\", \"multiline\": true}");
	cr_assert_str_eq(out.content, "a.txt:2:Hello world\n"
				      "a.txt:3:three\n");
	grep_json("{\"pattern\": \"one.*five\", \"multiline\": true, "
		  "\"output_mode\": \"count\"}");
	cr_assert_str_eq(out.content, "a.txt:5\nFound 5 matching lines\n");
}

Test(grep, no_match)
{
	grep_json("{\"pattern\": \"zzz\"}");
	cr_assert(!out.is_error);
	cr_assert_str_eq(out.content, "No files found\n");
	grep_json("{\"pattern\": \"zzz\", \"output_mode\": \"count\"}");
	cr_assert_str_eq(out.content, "No matches found\n");
}

Test(grep, bad_regex_reports_message_and_offset)
{
	grep_json("{\"pattern\": \"foo(bar\"}");
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "invalid regex") != NULL);
	cr_assert(strstr(out.content, "offset 7") != NULL, "%s", out.content);
	cr_assert(strstr(out.content, "missing closing parenthesis") != NULL);
}

Test(grep, catastrophic_pattern_is_bounded, .timeout = 20)
{
	char *line = malloc(4096);
	time_t t0 = time(NULL);

	cr_assert_not_null(line);
	memset(line, 'a', 4000);
	strcpy(line + 4000, "!\n");
	tool_fixture_put(fx.dir, "evil.txt", line);
	free(line);
	grep_json("{\"pattern\": \"^(a|aa)+$\", \"path\": \"evil.txt\"}");
	cr_assert(out.is_error, "%s", out.content);
	cr_assert(strstr(out.content, "too expensive") != NULL, "%s",
		  out.content);
	cr_assert_lt(time(NULL) - t0, 10);
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* lines lines of n 'a's and a 'b': no position reaches the match limit,
 * but each takes about n * 1000 steps of the pattern below */
static void
put_slow_lines(const char *rel, size_t n, size_t lines)
{
	size_t i, len = (n + 2) * lines;
	char *data = malloc(len + 1), *p;

	cr_assert_not_null(data);
	for (i = 0, p = data; i < lines; i++, p += n + 2) {
		memset(p, 'a', n);
		p[n] = 'b';
		p[n + 1] = '\n';
	}
	tool_fixture_put_bytes(fx.dir, rel, data, len);
	free(data);
}

#define SLOW_PATTERN "a{0,1000}a{0,1000}(?:c|d)"

Test(grep, slow_pattern_on_a_long_line_is_bounded, .timeout = 120)
{
	uint64_t t0;

	/* about a minute of matching without a time limit */
	put_slow_lines("long.txt", 16384, 1);
	t0 = now_ms();
	grep_json("{\"pattern\": \"" SLOW_PATTERN "\", \"path\": "
		  "\"long.txt\"}");
	cr_assert_lt(now_ms() - t0, 8000);
	cr_assert(out.is_error, "%s", out.content);
	cr_assert(strstr(out.content, "too expensive") != NULL, "%s",
		  out.content);
	cr_assert(strstr(out.content, "long.txt:1") != NULL, "%s", out.content);
	t0 = now_ms();
	grep_json("{\"pattern\": \"" SLOW_PATTERN "\", \"path\": "
		  "\"long.txt\", \"multiline\": true}");
	cr_assert_lt(now_ms() - t0, 8000);
	cr_assert(out.is_error, "%s", out.content);
	cr_assert(strstr(out.content, "too expensive") != NULL, "%s",
		  out.content);
	/* the same pattern where it is cheap still matches */
	tool_fixture_put(fx.dir, "ok.txt", "xaaac\n");
	grep_json("{\"pattern\": \"" SLOW_PATTERN "\", \"output_mode\": "
		  "\"content\", \"path\": \"ok.txt\"}");
	cr_assert_str_eq(out.content, "ok.txt:1:xaaac\n");
}

Test(grep, many_slow_lines_stop_at_the_deadline, .timeout = 120)
{
	struct tool_out o;
	uint64_t t0;

	/* 40 lines of about half a second each, a one-second deadline */
	put_slow_lines("slow.txt", 1500, 40);
	memset(&o, 0, sizeof(o));
	t0 = now_ms();
	tool_fixture_run(&fx, tool_grep,
			 "{\"pattern\": \"" SLOW_PATTERN "\", "
			 "\"path\": \"slow.txt\"}",
			 1000, &o);
	cr_assert_lt(now_ms() - t0, 4000);
	cr_assert(!o.is_error, "%s", o.content);
	cr_assert(strstr(o.content, "stopped by the time limit") != NULL, "%s",
		  o.content);
	tool_out_clear(&o);
}

Test(grep, symlinks_are_not_followed_and_escapes_refused)
{
	tool_fixture_put(fx.outside, "secret.txt", "hello secret\n");
	tool_fixture_symlink("../outside/secret.txt", fx.dir, "link.txt");
	tool_fixture_symlink("../outside", fx.dir, "dirlink");
	grep_json("{\"pattern\": \"secret\"}");
	cr_assert_str_eq(out.content, "No files found\n");
	grep_json("{\"pattern\": \"secret\", \"path\": \"link.txt\"}");
	cr_assert(out.is_error);
	grep_json("{\"pattern\": \"secret\", \"path\": \"../outside\"}");
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "escapes") != NULL);
}

Test(grep, long_lines_are_cut)
{
	char *line = malloc(5002);

	cr_assert_not_null(line);
	memset(line, 'q', 5000);
	strcpy(line + 5000, "\n");
	tool_fixture_put(fx.dir, "long.txt", line);
	free(line);
	grep_json("{\"pattern\": \"q\", \"output_mode\": \"content\"}");
	cr_assert(strstr(out.content, "[... line cut at 2000 characters]") !=
		  NULL);
	cr_assert_lt(strlen(out.content), 2100);
}

Test(grep, output_cap)
{
	char name[32];
	int i;

	for (i = 0; i < 50; i++) {
		snprintf(name, sizeof(name), "many/f%02d.txt", i);
		tool_fixture_put(fx.dir, name, "match me\n");
	}
	fx.ctx.output_max = 200;
	grep_json("{\"pattern\": \"match\", \"output_mode\": \"content\"}");
	cr_assert(out.truncated);
	cr_assert_gt(out.bytes, 200);
	cr_assert(strstr(out.content, "output truncated") != NULL);
}

Test(grep, input_validation)
{
	grep_json("{}");
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "\"pattern\"") != NULL);
	grep_json("{\"pattern\": \"x\", \"output_mode\": \"lines\"}");
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "output_mode") != NULL);
	grep_json("{\"pattern\": \"x\", \"-C\": \"2\"}");
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "\"-C\"") != NULL);
	grep_json("{\"pattern\": \"x\", \"-i\": 1}");
	cr_assert(out.is_error);
	grep_json("{\"pattern\": \"x\", \"head_limit\": -3}");
	cr_assert(out.is_error);
}
