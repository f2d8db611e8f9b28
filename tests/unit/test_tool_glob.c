/*
 * test_tool_glob.c - the Glob tool and the shared matcher: "**", "*", "?",
 * "[...]" and braces; newest-first order; the 100-entry cap; the search
 * path; .git and symlinked directories never entered; escapes refused.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/tool_fixture.h"
#include "worker/tool.h"
#include "worker/tool_common.h"

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

TestSuite(glob, .init = setup, .fini = teardown);

static void
glob_json(const char *json)
{
	tool_fixture_run(&fx, tool_glob, json, 0, &out);
}

/* Set rel's mtime to sec seconds after the epoch. */
static void
set_mtime(const char *rel, time_t sec)
{
	struct timespec ts[2] = { { sec, 0 }, { sec, 0 } };

	cr_assert_eq(utimensat(fx.fd, rel, ts, AT_SYMLINK_NOFOLLOW), 0);
}

/* Files with distinct mtimes: later in the list = newer. */
static void
make_tree(void)
{
	static const char *files[] = {
		"top.c",
		"top.h",
		"src/a.c",
		"src/b.h",
		"src/x/y/deep.c",
		"docs/readme.md",
		".git/objects/o.c",
		"src/.hidden.c",
	};
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		tool_fixture_put(fx.dir, files[i], "int x;\n");
		set_mtime(files[i], 1000000 + (time_t)i * 10);
	}
}

static bool
matches(const char *pattern, const char *path)
{
	struct tool_glob_pat p;
	struct tool_out o;
	bool m;

	memset(&o, 0, sizeof(o));
	cr_assert_eq(tool_glob_compile(pattern, &p, &o), 0);
	m = tool_glob_match(&p, path);
	tool_glob_free(&p);
	return m;
}

Test(glob, matcher_rules)
{
	cr_assert(matches("**/*.c", "a.c"));
	cr_assert(matches("**/*.c", "x/y/z/a.c"));
	cr_assert(!matches("**/*.c", "a.h"));
	cr_assert(matches("*.c", "a.c"));
	cr_assert(!matches("*.c", "d/a.c"), "* stays in one component");
	cr_assert(matches("src/**", "src/a/b"));
	cr_assert(matches("src/**/b", "src/b"), "** matches zero dirs");
	cr_assert(matches("a/**/b/**/c", "a/x/b/y/z/c"));
	cr_assert(!matches("a/**/b/**/c", "a/x/c"));
	cr_assert(matches("?.c", "x.c"));
	cr_assert(!matches("?.c", "xy.c"));
	cr_assert(matches("[ab].c", "b.c"));
	cr_assert(!matches("[ab].c", "c.c"));
	cr_assert(matches("*.{c,h}", "x.h"));
	cr_assert(matches("{src,lib}/**/*.{c,h}", "lib/q/x.c"));
	cr_assert(!matches("{src,lib}/*.c", "bin/x.c"));
	cr_assert(matches("./src//*.c", "src/a.c"));
	cr_assert(matches("\\*.c", "*.c"));
	cr_assert(!matches("\\*.c", "a.c"));
}

Test(glob, matcher_bounds_braces)
{
	struct tool_glob_pat p;
	struct tool_out o;

	memset(&o, 0, sizeof(o));
	/* 2^10 alternatives: refused, not expanded. */
	cr_assert_eq(tool_glob_compile("{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}"
				       "{a,b}{a,b}{a,b}",
				       &p, &o),
		     1);
	cr_assert(o.is_error);
	tool_glob_free(&p);
	tool_out_clear(&o);
	cr_assert_eq(tool_glob_compile("", &p, &o), 1);
	tool_glob_free(&p);
	tool_out_clear(&o);
	/* Many '*' and '**' still match fast. */
	cr_assert(!matches("**/**/**/**/**/**/**/**/*a*a*a*a*a*a*a*a*b",
			   "a/a/a/a/a/a/a/a/a/a/a/a/a/"
			   "aaaaaaaaaaaaaaaaaaaaaaaa"));
}

Test(glob, recursive_pattern_newest_first)
{
	make_tree();
	glob_json("{\"pattern\": \"**/*.c\"}");
	cr_assert(!out.is_error, "%s", out.content);
	cr_assert_str_eq(out.content, "src/.hidden.c\nsrc/x/y/deep.c\n"
				      "src/a.c\ntop.c\n");
}

Test(glob, top_level_only_without_globstar)
{
	make_tree();
	glob_json("{\"pattern\": \"*.{c,h}\"}");
	cr_assert_str_eq(out.content, "top.h\ntop.c\n");
}

Test(glob, search_path_gives_project_relative_results)
{
	make_tree();
	glob_json("{\"pattern\": \"**/*.c\", \"path\": \"src\"}");
	cr_assert_str_eq(out.content, "src/.hidden.c\nsrc/x/y/deep.c\n"
				      "src/a.c\n");
	glob_json("{\"pattern\": \"*\", \"path\": \"./src/x/\"}");
	cr_assert_str_eq(out.content, "No files found\n");
}

Test(glob, absolute_path_and_pattern)
{
	char json[PATH_MAX * 3];

	make_tree();
	snprintf(json, sizeof(json),
		 "{\"pattern\": \"*.md\", \"path\": "
		 "\"%s/docs\"}",
		 fx.dir);
	glob_json(json);
	cr_assert_str_eq(out.content, "docs/readme.md\n");
	snprintf(json, sizeof(json), "{\"pattern\": \"%s/src/*.h\"}", fx.dir);
	glob_json(json);
	cr_assert_str_eq(out.content, "src/b.h\n");
}

Test(glob, no_match)
{
	make_tree();
	glob_json("{\"pattern\": \"**/*.rs\"}");
	cr_assert(!out.is_error);
	cr_assert_str_eq(out.content, "No files found\n");
}

Test(glob, capped_at_100_newest)
{
	char name[64];
	int i;

	for (i = 0; i < 150; i++) {
		snprintf(name, sizeof(name), "d/f%03d.txt", i);
		tool_fixture_put(fx.dir, name, "");
		set_mtime(name, 2000000 + i);
	}
	glob_json("{\"pattern\": \"**/*.txt\"}");
	cr_assert(strncmp(out.content, "d/f149.txt\nd/f148.txt\n", 22) == 0,
		  "%.40s", out.content);
	cr_assert(strstr(out.content, "d/f050.txt\n") != NULL);
	cr_assert(strstr(out.content, "d/f049.txt") == NULL);
	cr_assert(strstr(out.content, "150 files matched") != NULL);
}

Test(glob, symlinked_directories_are_not_entered)
{
	tool_fixture_put(fx.outside, "secret.c", "x");
	tool_fixture_put(fx.dir, "in/real.c", "x");
	tool_fixture_symlink("../outside", fx.dir, "out");
	tool_fixture_symlink("in", fx.dir, "alias");
	glob_json("{\"pattern\": \"**/*.c\"}");
	cr_assert_str_eq(out.content, "in/real.c\n");
	/* The link itself is an entry and may be matched by name. */
	glob_json("{\"pattern\": \"out\"}");
	cr_assert_str_eq(out.content, "out\n");
}

Test(glob, escapes_and_bad_paths_are_refused)
{
	char json[PATH_MAX * 3];

	tool_fixture_put(fx.outside, "secret.c", "x");
	tool_fixture_put(fx.dir, "file.c", "x");
	glob_json("{\"pattern\": \"*.c\", \"path\": \"..\"}");
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "escapes") != NULL);
	glob_json("{\"pattern\": \"../outside/*.c\"}");
	cr_assert_str_eq(out.content, "No files found\n");
	snprintf(json, sizeof(json), "{\"pattern\": \"%s/*.c\"}", fx.outside);
	glob_json(json);
	cr_assert(out.is_error);
	glob_json("{\"pattern\": \"*.c\", \"path\": \"file.c\"}");
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "not a directory") != NULL);
	glob_json("{\"pattern\": \"*.c\", \"path\": \"nope\"}");
	cr_assert(out.is_error);
}

Test(glob, input_validation)
{
	glob_json("{}");
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "\"pattern\"") != NULL);
	glob_json("{\"pattern\": [\"*\"]}");
	cr_assert(out.is_error);
	glob_json("{\"pattern\": \"*\", \"path\": 1}");
	cr_assert(out.is_error);
	cr_assert(strstr(out.content, "\"path\"") != NULL);
	glob_json("{\"pattern\": \"\"}");
	cr_assert(out.is_error);
}
