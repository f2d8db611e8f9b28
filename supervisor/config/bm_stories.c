/*
 * bm_stories.c - the story mode of a benchmark config (see bm_parse.h):
 * each story of each epic becomes three phases, Bob's spec, the
 * implementation and Murat's validation, in the order the stories'
 * dependencies allow.
 */
#include "supervisor/config/bm_parse.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What each step of a story asks: text, the spec file, more text. */
static const char *const story_steps[][4] = {
	{ "spec", "Bob", "Write the specification of this story to ",
	  ": the user value, the acceptance criteria as checkable "
	  "statements, and implementation notes. Do not implement it." },
	{ "implement", "Amelia", "Implement the story specified in ",
	  ", with tests, and run the tests until they pass." },
	{ "validate", "Murat", "Validate the implementation of the story in ",
	  " against its acceptance criteria: read the code, run the tests, "
	  "add missing ones. End your final answer with a line that is "
	  "exactly VERDICT: PASS or VERDICT: FAIL." },
};

/* Story mode: Bob writes the spec, Amelia implements, Murat validates. */
static void
plan_story(struct bm_ctx *c, const char *epic, json_t *s, const char *path)
{
	char fp[400], slug[160], spec[200],
		*name = bm_parse_str(c, s, "name", path);
	char *impl = bm_parse_str(c, s, "agent", path);
	char *desc = bm_parse_str(c, s, "description", path);

	snprintf(fp, sizeof(fp), "%s.name", path);
	bm_parse_name(c, fp, name);
	if (name && strlen(name) <= BM_NAME_MAX &&
	    strlen(epic) <= BM_NAME_MAX &&
	    /* "<epic> <story> implement": the space before the story
	     * counts where sizeof counts the NUL */
	    strlen(epic) + strlen(name) + sizeof(" implement") > BM_NAME_MAX)
		BM_ERR(c, fp,
		       "the step names of this story (\"<epic> <story> "
		       "implement\") would be %zu bytes; a name is at most "
		       "%d bytes: shorten the epic's or the story's name",
		       strlen(epic) + strlen(name) + sizeof(" implement"),
		       BM_NAME_MAX);
	snprintf(fp, sizeof(fp), "%s.agent", path);
	bm_parse_name(c, fp, impl);
	benchmark_slug(name ? name : "", slug, sizeof(slug));
	snprintf(spec, sizeof(spec), "docs/stories/%s.md", slug);
	for (size_t k = 0; name && k < 3; k++) {
		struct bm_phase ph = { 0 };
		char *task = NULL;

		ph.story = strdup(name);
		ph.epic = strdup(epic);
		if (asprintf(&ph.name, "%s %s %s", epic, name,
			     story_steps[k][0]) < 0)
			ph.name = NULL;
		ph.agent = strdup(k == 1 && impl ? impl : story_steps[k][1]);
		ph.is_validation = k == 2;
		if (asprintf(&task, "%s%s%s", story_steps[k][2], spec,
			     story_steps[k][3]) < 0)
			task = NULL;
		if (asprintf(&ph.description, "Story: %s\n%s\n\n%s", name,
			     desc ? desc : "", task ? task : "") < 0)
			ph.description = NULL;
		free(task);
		snprintf(fp, sizeof(fp), "%s.timeout_seconds", path);
		ph.timeout_seconds = bm_parse_int(c, s, "timeout_seconds", fp,
						  3600);
		if (k == 0 && ph.timeout_seconds <= 0)
			BM_ERR(c, fp,
			       "Phase timeout must be positive: got %lld",
			       (long long)ph.timeout_seconds);
		else if (k == 0 && json_object_get(s, "timeout_seconds"))
			bm_parse_timeout(c, ph.timeout_seconds, fp,
					 "Phase timeout");
		snprintf(fp, sizeof(fp), "%s.acceptance_criteria", path);
		ph.acceptance_criteria = bm_parse_list(c, s,
						       "acceptance_criteria",
						       fp);
		ph.expected_artifacts = k == 0 ? json_pack("[s]", spec) :
						 json_array();
		if (benchmark_phase_add(c->b, &ph) < 0)
			BM_ERR(c, path, "out of memory");
	}
	if (!name)
		BM_ERR(c, path, "a story needs a name");
	free(name);
	free(impl);
	free(desc);
}

struct story_ref {
	const char *epic;
	json_t *story;
	char path[300];
	bool done;
};

/* True when every dependency of st is already planned. */
static bool
deps_met(struct story_ref *all, size_t n, const struct story_ref *st)
{
	json_t *deps = json_object_get(st->story, "dependencies"), *d;
	size_t i;

	json_array_foreach(deps, i, d) {
		for (size_t k = 0; k < n; k++) {
			const char *nm = json_string_value(
				json_object_get(all[k].story, "name"));

			if (nm && json_is_string(d) &&
			    strcmp(nm, json_string_value(d)) == 0 &&
			    !all[k].done)
				return false;
		}
	}
	return true;
}

static bool
known_story(struct story_ref *all, size_t n, const char *name)
{
	for (size_t k = 0; k < n; k++) {
		const char *nm = json_string_value(
			json_object_get(all[k].story, "name"));

		if (nm && strcmp(nm, name) == 0)
			return true;
	}
	return false;
}

/* Plan the stories in dependency order (stable otherwise). */
static void
plan_stories(struct bm_ctx *c, struct story_ref *all, size_t n)
{
	size_t planned = 0;
	bool progress = true;

	for (size_t k = 0; k < n; k++) {
		json_t *deps = json_object_get(all[k].story, "dependencies"),
		       *d;
		size_t i;

		json_array_foreach(deps, i, d)
			if (!json_is_string(d) ||
			    !known_story(all, n, json_string_value(d)))
				BM_ERR(c, all[k].path,
				       "dependency %s is not a story "
				       "of this benchmark",
				       json_is_string(d) ?
					       json_string_value(d) :
					       "(not a string)");
	}
	while (planned < n && progress) {
		progress = false;
		for (size_t k = 0; k < n; k++) {
			if (all[k].done || !deps_met(all, n, &all[k]))
				continue;
			plan_story(c, all[k].epic, all[k].story, all[k].path);
			all[k].done = true;
			planned++;
			progress = true;
		}
	}
	if (planned < n)
		BM_ERR(c, "epics", "the story dependencies form a cycle");
}

void
bm_stories_parse(struct bm_ctx *c, json_t *doc)
{
	json_t *epics = json_object_get(doc, "epics"), *e, *s;
	struct story_ref *all = NULL, *p;
	char path[256], fp[300];
	size_t i, j, n = 0;

	if (!epics || json_is_null(epics))
		return;
	if (!json_is_array(epics)) {
		BM_ERR(c, "epics", "expected a list of epics");
		return;
	}
	json_array_foreach(epics, i, e) {
		json_t *stories = json_object_get(e, "stories");
		const char *en = json_string_value(json_object_get(e, "name"));

		snprintf(path, sizeof(path), "epics[%zu]", i);
		if (!json_is_object(e) || !en || !json_is_array(stories)) {
			BM_ERR(c, path,
			       "an epic needs a name and a list of "
			       "stories");
			continue;
		}
		snprintf(fp, sizeof(fp), "%s.name", path);
		bm_parse_name(c, fp, en);
		json_array_foreach(stories, j, s) {
			p = realloc(all, (n + 1) * sizeof(*all));
			if (!p)
				break;
			all = p;
			all[n] = (struct story_ref){ .epic = en, .story = s };
			snprintf(all[n].path, sizeof(all[n].path),
				 "%s.stories[%zu]", path, j);
			if (!json_is_object(s))
				BM_ERR(c, all[n].path,
				       "a story must be a mapping");
			else
				n++;
		}
	}
	plan_stories(c, all, n);
	free(all);
}
