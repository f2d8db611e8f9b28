/*
 * test_yamljson.c - unit tests of the YAML to JSON loader (yamljson.h).
 *
 * Design note
 * -----------
 * Each test loads a small document from a string (or a temp file for the
 * file-only rules: size, NUL bytes, unreadable paths) and checks the JSON
 * types, the positions yamljson_pos gives for nested paths, and the exact
 * "name:line:column: message" of every refusal.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "supervisor/config/yamljson.h"

static struct yamljson
load_ok(const char *text)
{
	struct yamljson y;
	char err[512] = "";

	cr_assert_eq(yamljson_load_string("t.yaml", text, &y, err, sizeof(err)),
		     0, "%s", err);
	return y;
}

/* Load text, expect failure, return the message (static). */
static const char *
load_err(const char *text)
{
	static char err[512];
	struct yamljson y;

	err[0] = 0;
	cr_assert_eq(yamljson_load_string("t.yaml", text, &y, err, sizeof(err)),
		     -1);
	cr_assert_null(y.root);
	cr_assert_null(y.marks);
	return err;
}

static json_t *
get(struct yamljson *y, const char *key)
{
	return json_object_get(y->root, key);
}

Test(yamljson, plain_scalars_are_typed)
{
	struct yamljson y = load_ok(
		"n1: ~\nn2: null\nn3:\nt1: true\nt2: yes\nt3: On\n"
		"f1: false\nf2: no\nf3: OFF\ni1: 42\ni2: -7\ni3: +3\n"
		"r1: 1.5\nr2: -0.25\nr3: .5\nr4: 1e3\n"
		"s1: hello\ns2: 1.0.0\ns3: 12abc\ns4: 0x\n");

	cr_assert(json_is_null(get(&y, "n1")));
	cr_assert(json_is_null(get(&y, "n2")));
	cr_assert(json_is_null(get(&y, "n3")));
	cr_assert(json_is_true(get(&y, "t1")));
	cr_assert(json_is_true(get(&y, "t2")));
	cr_assert(json_is_true(get(&y, "t3")));
	cr_assert(json_is_false(get(&y, "f1")));
	cr_assert(json_is_false(get(&y, "f2")));
	cr_assert(json_is_false(get(&y, "f3")));
	cr_assert_eq(json_integer_value(get(&y, "i1")), 42);
	cr_assert_eq(json_integer_value(get(&y, "i2")), -7);
	cr_assert_eq(json_integer_value(get(&y, "i3")), 3);
	cr_assert(json_is_real(get(&y, "r1")));
	cr_assert_float_eq(json_real_value(get(&y, "r1")), 1.5, 1e-12);
	cr_assert_float_eq(json_real_value(get(&y, "r2")), -0.25, 1e-12);
	cr_assert_float_eq(json_real_value(get(&y, "r3")), 0.5, 1e-12);
	cr_assert_float_eq(json_real_value(get(&y, "r4")), 1000.0, 1e-9);
	cr_assert_str_eq(json_string_value(get(&y, "s1")), "hello");
	cr_assert_str_eq(json_string_value(get(&y, "s2")), "1.0.0");
	cr_assert_str_eq(json_string_value(get(&y, "s3")), "12abc");
	cr_assert_str_eq(json_string_value(get(&y, "s4")), "0x");
	yamljson_clear(&y);
}

Test(yamljson, quoted_scalars_are_strings)
{
	struct yamljson y = load_ok(
		"a: \"true\"\nb: '42'\nc: \"~\"\nd: ''\ne: \"1.5\"\n"
		"f: |\n  two\n  lines\n");

	cr_assert_str_eq(json_string_value(get(&y, "a")), "true");
	cr_assert_str_eq(json_string_value(get(&y, "b")), "42");
	cr_assert_str_eq(json_string_value(get(&y, "c")), "~");
	cr_assert_str_eq(json_string_value(get(&y, "d")), "");
	cr_assert_str_eq(json_string_value(get(&y, "e")), "1.5");
	cr_assert_str_eq(json_string_value(get(&y, "f")), "two\nlines\n");
	yamljson_clear(&y);
}

Test(yamljson, huge_numbers_stay_valid_json)
{
	/* out of range for int64: a real; out of range for a double or
	 * infinite: kept as the string the file holds, never refused */
	struct yamljson y = load_ok("big: 99999999999999999999\n"
				    "inf: 1e999\nninf: -inf\n");

	cr_assert(json_is_real(get(&y, "big")));
	cr_assert_float_eq(json_real_value(get(&y, "big")), 1e20, 1e6);
	cr_assert_str_eq(json_string_value(get(&y, "inf")), "1e999");
	cr_assert_str_eq(json_string_value(get(&y, "ninf")), "-inf");
	yamljson_clear(&y);
}

static void
expect_pos(struct yamljson *y, const char *path, int line, int col)
{
	int l = -5, c = -5;

	cr_assert_eq(yamljson_pos(y, path, &l, &c), 0, "no position for %s",
		     path);
	cr_assert_eq(l, line, "%s: line %d, expected %d", path, l, line);
	cr_assert_eq(c, col, "%s: column %d, expected %d", path, c, col);
}

Test(yamljson, nested_paths_and_positions)
{
	struct yamljson y = load_ok("# comment\n"
				    "a:\n"
				    "  b:\n"
				    "    - x\n"
				    "    - c: 1\n"
				    "      d: [10, 20]\n"
				    "top: v\n");
	int l, c;

	cr_assert_eq(json_integer_value(json_object_get(
			     json_array_get(json_object_get(get(&y, "a"), "b"),
					    1),
			     "c")),
		     1);
	expect_pos(&y, "", 2, 1);
	expect_pos(&y, "a", 2, 1);
	expect_pos(&y, "a.b", 3, 3);
	expect_pos(&y, "a.b[0]", 4, 7);
	expect_pos(&y, "a.b[1]", 5, 7);
	expect_pos(&y, "a.b[1].c", 5, 7);
	expect_pos(&y, "a.b[1].d", 6, 7);
	expect_pos(&y, "a.b[1].d[1]", 6, 15);
	expect_pos(&y, "top", 7, 1);
	cr_assert_eq(yamljson_pos(&y, "a.b[2]", &l, &c), -1);
	cr_assert_eq(l, 0);
	cr_assert_eq(c, 0);
	cr_assert_eq(yamljson_pos(&y, "nope", &l, &c), -1);
	yamljson_clear(&y);
}

Test(yamljson, top_level_sequence)
{
	struct yamljson y = load_ok("- 1\n- two\n- {k: v}\n");

	cr_assert(json_is_array(y.root));
	cr_assert_eq(json_array_size(y.root), 3);
	expect_pos(&y, "[2].k", 3, 4);
	yamljson_clear(&y);
}

Test(yamljson, empty_documents_are_null)
{
	struct yamljson y = load_ok("");

	cr_assert(json_is_null(y.root));
	yamljson_clear(&y);
	y = load_ok("# only a comment\n");
	cr_assert(json_is_null(y.root));
	yamljson_clear(&y);
	y = load_ok("---\n...\n");
	cr_assert(json_is_null(y.root));
	yamljson_clear(&y);
}

Test(yamljson, duplicate_keys_refused)
{
	cr_assert_str_eq(load_err("a: 1\nb: 2\na: 3\n"),
			 "t.yaml:3:1: duplicate key");
	cr_assert_str_eq(load_err("x:\n  k: 1\n  k: 2\n"),
			 "t.yaml:3:3: duplicate key");
}

Test(yamljson, aliases_refused)
{
	cr_assert_str_eq(load_err("a: &anchor 1\nb: *anchor\n"),
			 "t.yaml:2:4: YAML aliases (*name) are not supported");
}

Test(yamljson, non_scalar_keys_refused)
{
	cr_assert_str_eq(load_err("? [a, b]\n: 1\n"),
			 "t.yaml:1:3: mapping keys must be scalars");
}

Test(yamljson, long_keys_refused)
{
	char doc[400];

	memset(doc, 'k', 300);
	strcpy(doc + 300, ": 1\n");
	cr_assert_str_eq(load_err(doc), "t.yaml:1:1: mapping key too long");
}

Test(yamljson, multiple_documents_refused)
{
	cr_assert_str_eq(load_err("a: 1\n---\nb: 2\n"),
			 "t.yaml:2:1: only one YAML document is allowed");
}

Test(yamljson, syntax_errors_have_positions)
{
	const char *e = load_err("a: [1, 2\nb: 3\n");

	cr_assert(strncmp(e, "t.yaml:", 7) == 0, "%s", e);
	cr_assert_neq(strstr(e, ": did not find expected"), NULL, "%s", e);
	e = load_err("a: 1\n  b: 2\n");
	cr_assert(strncmp(e, "t.yaml:2:", 9) == 0, "%s", e);
}

Test(yamljson, nesting_limit)
{
	char doc[1024];
	size_t o = 0;
	struct yamljson y;

	/* 64 levels below the root: accepted */
	for (int i = 0; i < 65; i++)
		doc[o++] = '[';
	for (int i = 0; i < 65; i++)
		doc[o++] = ']';
	doc[o] = 0;
	y = load_ok(doc);
	yamljson_clear(&y);
	/* 65: refused, at the innermost node */
	o = 0;
	for (int i = 0; i < 66; i++)
		doc[o++] = '[';
	for (int i = 0; i < 66; i++)
		doc[o++] = ']';
	doc[o] = 0;
	cr_assert_str_eq(load_err(doc), "t.yaml:1:66: nesting too deep");
}

Test(yamljson, nul_escape_in_quoted_scalar_refused)
{
	const char *e = load_err("a: \"x\\0y\"\n");

	cr_assert_str_eq(e, "t.yaml:1:4: scalar is not valid UTF-8 or has a "
			    "NUL byte");
}

Test(yamljson, invalid_utf8_refused)
{
	const char *e = load_err("a: \"\xff\"\n");

	cr_assert(strncmp(e, "t.yaml:1:", 9) == 0, "%s", e);
	/* a lone surrogate written as an escape */
	e = load_err("a: \"\\ud800\"\n");
	cr_assert(strncmp(e, "t.yaml:1:", 9) == 0, "%s", e);
}

/* Write len bytes to a new temp file; returns its path (static). */
static const char *
temp_file(const void *data, size_t len)
{
	static char path[] = "/tmp/yamljson-XXXXXX";
	int fd;

	strcpy(path, "/tmp/yamljson-XXXXXX");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

Test(yamljson, load_file)
{
	static const char text[] = "name: demo\nlist:\n  - 1\n";
	const char *path = temp_file(text, sizeof(text) - 1);
	struct yamljson y;
	char err[512];
	int l, c;

	cr_assert_eq(yamljson_load(path, &y, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(json_string_value(get(&y, "name")), "demo");
	cr_assert_eq(yamljson_pos(&y, "list[0]", &l, &c), 0);
	cr_assert_eq(l, 3);
	cr_assert_eq(c, 5);
	yamljson_clear(&y);
	cr_assert_null(y.root);
	unlink(path);
}

Test(yamljson, file_messages_name_the_file)
{
	static const char bad[] = "a: 1\na: 2\n";
	const char *path = temp_file(bad, sizeof(bad) - 1);
	struct yamljson y;
	char err[512], want[600];

	cr_assert_eq(yamljson_load(path, &y, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:2:1: duplicate key", path);
	cr_assert_str_eq(err, want);
	unlink(path);
}

Test(yamljson, file_with_nul_refused)
{
	static const char text[] = "a: 1\n\0b: 2\n";
	const char *path = temp_file(text, sizeof(text) - 1);
	struct yamljson y;
	char err[512], want[600];

	cr_assert_eq(yamljson_load(path, &y, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: file contains a NUL byte", path);
	cr_assert_str_eq(err, want);
	unlink(path);
}

Test(yamljson, file_over_4_mib_refused)
{
	size_t n = (4u << 20) + 1;
	char *text = malloc(n), err[512], want[600];
	const char *path;
	struct yamljson y;

	cr_assert_not_null(text);
	memset(text, '#', n); /* one long comment: valid YAML */
	text[n - 1] = '\n';
	path = temp_file(text, n);
	cr_assert_eq(yamljson_load(path, &y, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: not a regular file of at most 4 MiB",
		 path);
	cr_assert_str_eq(err, want);
	/* exactly 4 MiB is still fine */
	cr_assert_eq(truncate(path, (off_t)(n - 1)), 0);
	cr_assert_eq(yamljson_load(path, &y, err, sizeof(err)), 0, "%s", err);
	cr_assert(json_is_null(y.root));
	yamljson_clear(&y);
	unlink(path);
	free(text);
}

Test(yamljson, unreadable_paths)
{
	struct yamljson y;
	char err[512];

	cr_assert_eq(yamljson_load("/nonexistent/x.yaml", &y, err, sizeof(err)),
		     -1);
	cr_assert_str_eq(err, "/nonexistent/x.yaml: cannot read: No such "
			      "file or directory");
	cr_assert_eq(yamljson_load("/tmp", &y, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "/tmp: not a regular file of at most 4 MiB");
}

Test(yamljson, clear_is_idempotent)
{
	struct yamljson y = load_ok("a: 1\n");

	yamljson_clear(&y);
	yamljson_clear(&y);
	cr_assert_null(y.marks);
}
