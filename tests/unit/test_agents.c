/*
 * test_agents.c - unit tests of the persona loader (agents.h).
 *
 * Design note
 * -----------
 * The built-in personas are the project's real data/agents/ files, found
 * through GAO_DEV_DATADIR (set by meson to the source tree's data/). The
 * tool sets are checked against the table in docs/decisions.md, web
 * tools included (the policy decides later whether they are offered).
 * --agents-dir cases write agent files into a temp directory; broken files
 * must be named with line and column.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "supervisor/config/agents.h"
#include "supervisor/core/datadir.h"

static char dir[] = "/tmp/agents-test-XXXXXX";

static void
setup(void)
{
	cr_assert_not_null(getenv("GAO_DEV_DATADIR"),
			   "run through meson: GAO_DEV_DATADIR is not set");
	cr_assert_not_null(mkdtemp(dir));
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(agents, .init = setup, .fini = teardown);

/* dir/name := text; returns the path (static). */
static const char *
put(const char *name, const char *text)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "we");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static const struct {
	const char *name, *role;
	const char *tools; /* comma-separated, in file order */
} builtin[] = {
	{ "Mary", "Business analyst",
	  "Read,Write,Grep,Glob,WebSearch,WebFetch" },
	{ "John", "Product manager",
	  "Read,Write,Grep,Glob,WebSearch,WebFetch" },
	{ "Winston", "Architect",
	  "Read,Write,Edit,Grep,Glob,WebSearch,WebFetch" },
	{ "Sally", "UX designer", "Read,Write,Grep,Glob,WebSearch,WebFetch" },
	{ "Bob", "Scrum master", "Read,Write,Grep,Glob,TodoWrite" },
	{ "Amelia", "Developer",
	  "Read,Write,Edit,MultiEdit,Bash,Grep,Glob,"
	  "TodoWrite,WebSearch,WebFetch" },
	{ "Murat", "Test architect",
	  "Read,Write,Edit,Bash,Grep,Glob,TodoWrite" },
	{ "Brian", "Workflow coordinator",
	  "Read,Grep,Glob,WebSearch,WebFetch" },
};

static void
expect_tools(const struct agent_def *d, const char *list)
{
	char buf[256], *save = NULL, *t;
	size_t i = 0;

	snprintf(buf, sizeof(buf), "%s", list);
	for (t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		cr_assert_str_eq(json_string_value(json_array_get(d->tools, i)),
				 t, "%s tool %zu", d->name, i);
		cr_assert(agents_has_tool(d, t));
		i++;
	}
	cr_assert_eq(json_array_size(d->tools), i, "%s", d->name);
}

Test(agents, datadir_from_environment)
{
	cr_assert_str_eq(datadir_path(), getenv("GAO_DEV_DATADIR"));
}

Test(agents, eight_builtin_personas)
{
	struct agents a;
	char err[512] = "";

	cr_assert_eq(agents_load(&a, NULL, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(a.n, 8);
	for (size_t i = 0; i < sizeof(builtin) / sizeof(*builtin); i++) {
		const struct agent_def *d = agents_find(&a, builtin[i].name);

		cr_assert_not_null(d, "%s missing", builtin[i].name);
		cr_assert_str_eq(d->name, builtin[i].name);
		cr_assert_str_eq(d->role, builtin[i].role);
		cr_assert_null(d->model, "built-in personas carry no model");
		cr_assert_gt(strlen(d->persona), 100, "%s", d->name);
		cr_assert_neq(strstr(d->persona, builtin[i].name), NULL,
			      "%s's persona does not name them", d->name);
		cr_assert_neq(strstr(d->source, "/agents/"), NULL);
		expect_tools(d, builtin[i].tools);
	}
	cr_assert_not(agents_has_tool(agents_find(&a, "Bob"), "Bash"));
	cr_assert_not(agents_has_tool(agents_find(&a, "Amelia"), "bash"));
	agents_clear(&a);
	cr_assert_eq(a.n, 0);
	cr_assert_null(a.list);
}

Test(agents, find_is_case_insensitive)
{
	struct agents a;
	char err[512];

	cr_assert_eq(agents_load(&a, NULL, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(agents_find(&a, "amelia"), agents_find(&a, "AMELIA"));
	cr_assert_not_null(agents_find(&a, "wInStOn"));
	cr_assert_null(agents_find(&a, "Nobody"));
	cr_assert_null(agents_find(&a, ""));
	agents_clear(&a);
}

Test(agents, agents_dir_overrides_by_name_and_adds)
{
	struct agents a;
	char err[512], src[256];
	const struct agent_def *d;

	put("amelia.yaml", "name: AMELIA\nrole: Careful developer\n"
			   "model: claude-opus-4-8\ntools: [Read, Bash]\n"
			   "persona: You are Amelia, overridden.\n");
	snprintf(src, sizeof(src), "%s/amelia.yaml", dir);
	put("zed.yml", "name: Zed\ntools: []\npersona: You are Zed.\n");
	put("README.md", "not an agent: ignored\n");
	put("notes.yaml~", "name: [broken\n");
	cr_assert_eq(agents_load(&a, dir, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(a.n, 9);
	d = agents_find(&a, "Amelia");
	cr_assert_str_eq(d->name, "AMELIA");
	cr_assert_str_eq(d->role, "Careful developer");
	cr_assert_str_eq(d->model, "claude-opus-4-8");
	cr_assert_str_eq(d->persona, "You are Amelia, overridden.");
	cr_assert_str_eq(d->source, src);
	expect_tools(d, "Read,Bash");
	cr_assert_not(agents_has_tool(d, "Write"));
	d = agents_find(&a, "zed");
	cr_assert_not_null(d);
	cr_assert_str_eq(d->role, "agent"); /* the default */
	cr_assert_eq(json_array_size(d->tools), 0);
	/* the other built-ins are untouched */
	expect_tools(agents_find(&a, "Murat"), builtin[6].tools);
	agents_clear(&a);
}

static void
expect_load_error(const char *want_suffix)
{
	struct agents a;
	char err[512], want[600];

	cr_assert_eq(agents_load(&a, dir, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s/%s", dir, want_suffix);
	cr_assert_str_eq(err, want);
	/* a failed load leaves nothing to free */
	cr_assert_eq(a.n, 0);
	cr_assert_null(a.list);
	agents_clear(&a);
}

Test(agents, broken_yaml_has_position)
{
	put("bad.yaml", "name: X\ntools: [Read\npersona: y\n");
	expect_load_error("bad.yaml:3:8: did not find expected ',' or ']'");
}

Test(agents, missing_fields_have_position)
{
	put("bad.yaml", "# an agent\n\nname: X\ntools: Read\npersona: p\n");
	expect_load_error("bad.yaml:3:1: an agent file needs name, persona "
			  "(strings) and tools (a list)");
}

Test(agents, not_a_mapping)
{
	put("bad.yaml", "- just\n- a list\n");
	expect_load_error("bad.yaml:1:1: an agent file needs name, persona "
			  "(strings) and tools (a list)");
}

Test(agents, empty_file)
{
	put("bad.yaml", "");
	expect_load_error("bad.yaml:1:1: an agent file needs name, persona "
			  "(strings) and tools (a list)");
}

Test(agents, tool_not_a_string_has_position)
{
	put("bad.yaml", "name: X\npersona: p\ntools:\n  - Read\n  - {a: b}\n");
	expect_load_error("bad.yaml:5:5: tools[1] is not a string");
}

Test(agents, name_at_most_256_bytes)
{
	/* as long as a config's agent may be: 257 bytes are refused with
	 * the name's position, 256 load */
	char text[700], name[258], bad[300], err[512] = "";
	struct agents a;

	memset(name, 'N', 257);
	name[257] = 0;
	snprintf(text, sizeof(text), "persona: p\ntools: []\nname: %s\n", name);
	snprintf(bad, sizeof(bad), "%s", put("bad.yaml", text));
	expect_load_error("bad.yaml:3:1: name: a name of 257 bytes; a name is "
			  "at most 256 bytes: shorten it");
	cr_assert_eq(unlink(bad), 0);
	name[256] = 0;
	snprintf(text, sizeof(text), "persona: p\ntools: []\nname: %s\n", name);
	put("ok.yaml", text);
	cr_assert_eq(agents_load(&a, dir, err, sizeof(err)), 0, "%s", err);
	cr_assert_not_null(agents_find(&a, name));
	agents_clear(&a);
}

Test(agents, model_must_be_a_model_id)
{
	/* an id goes into the key check's URL path: anything else is refused
	 * with the key's position, a real id loads */
	static const char *const bad[] = { "\"../../v1/x?y\"", "42",
					   "\"claude sonnet\"", "\"\"" };
	char text[300], path[300], err[512] = "";
	struct agents a;

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		snprintf(text, sizeof(text),
			 "name: X\npersona: p\ntools: []\nmodel: %s\n", bad[i]);
		snprintf(path, sizeof(path), "%s", put("bad.yaml", text));
		expect_load_error("bad.yaml:4:1: model: expected a model id "
				  "such as claude-sonnet-5-5 (letters, "
				  "digits, '.', '_', '-'; at most 128 bytes)");
		cr_assert_eq(unlink(path), 0);
	}
	put("ok.yaml", "name: X\npersona: p\ntools: []\n"
		       "model: claude-opus-5-5\n");
	cr_assert_eq(agents_load(&a, dir, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(agents_find(&a, "X")->model, "claude-opus-5-5");
	agents_clear(&a);
}

Test(agents, duplicate_key_refused)
{
	put("bad.yaml", "name: X\nname: Y\ntools: []\npersona: p\n");
	expect_load_error("bad.yaml:2:1: duplicate key");
}

Test(agents, missing_agents_dir)
{
	struct agents a;
	char err[512];

	cr_assert_eq(agents_load(&a, "/nonexistent/agents", err, sizeof(err)),
		     -1);
	cr_assert_str_eq(err, "/nonexistent/agents: cannot read the agents "
			      "directory");
	agents_clear(&a);
}
