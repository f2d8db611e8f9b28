/*
 * agents.c - personas from data files; see agents.h.
 */
#include "supervisor/config/agents.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "supervisor/config/cli.h"
#include "supervisor/config/yamljson.h"
#include "supervisor/core/datadir.h"

static void
def_clear(struct agent_def *d)
{
	free(d->name);
	free(d->role);
	free(d->model);
	free(d->persona);
	free(d->source);
	json_decref(d->tools);
	memset(d, 0, sizeof(*d));
}

static char *
dup_field(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? strdup(s) : NULL;
}
/* Validate one agent file's tree into *d. */
static int
parse_def(const char *path, struct yamljson *y, struct agent_def *d, char *err,
	  size_t errlen)
{
	json_t *o = y->root, *tools = json_object_get(o, "tools"), *t;
	size_t i, name_len;
	int l, c;

	yamljson_pos(y, "", &l, &c);
	if (!json_is_object(o) || !json_is_string(json_object_get(o, "name")) ||
	    !json_is_string(json_object_get(o, "persona")) ||
	    !json_is_array(tools)) {
		snprintf(err, errlen,
			 "%s:%d:%d: an agent file needs name, "
			 "persona (strings) and tools (a list)",
			 path, l ? l : 1, c ? c : 1);
		return -1;
	}
	name_len = strlen(json_string_value(json_object_get(o, "name")));
	if (name_len > AGENTS_NAME_MAX) {
		yamljson_pos(y, "name", &l, &c);
		snprintf(err, errlen,
			 "%s:%d:%d: name: a name of %zu bytes; a name is at "
			 "most %d bytes: shorten it",
			 path, l ? l : 1, c ? c : 1, name_len, AGENTS_NAME_MAX);
		return -1;
	}
	if (json_object_get(o, "model") &&
	    !cli_model_id_ok(json_string_value(json_object_get(o, "model")))) {
		yamljson_pos(y, "model", &l, &c);
		snprintf(err, errlen,
			 "%s:%d:%d: model: expected a model id such as "
			 "claude-sonnet-5-5 (letters, digits, '.', '_', '-'; "
			 "at most 128 bytes)",
			 path, l ? l : 1, c ? c : 1);
		return -1;
	}
	json_array_foreach(tools, i, t) {
		if (!json_is_string(t)) {
			char p[32];

			snprintf(p, sizeof(p), "tools[%zu]", i);
			yamljson_pos(y, p, &l, &c);
			snprintf(err, errlen,
				 "%s:%d:%d: tools[%zu] is not a "
				 "string",
				 path, l ? l : 1, c ? c : 1, i);
			return -1;
		}
	}
	d->name = dup_field(o, "name");
	d->role = dup_field(o, "role");
	d->model = dup_field(o, "model");
	d->persona = dup_field(o, "persona");
	d->tools = json_incref(tools);
	d->source = strdup(path);
	if (!d->role)
		d->role = strdup("agent");
	return 0;
}

static int
add_def(struct agents *a, struct agent_def *d)
{
	struct agent_def *p;

	for (size_t i = 0; i < a->n; i++) {
		if (strcasecmp(a->list[i].name, d->name) == 0) {
			def_clear(&a->list[i]); /* an override */
			a->list[i] = *d;
			return 0;
		}
	}
	p = realloc(a->list, (a->n + 1) * sizeof(*p));
	if (!p)
		return -1;
	a->list = p;
	a->list[a->n++] = *d;
	return 0;
}

static int
is_yaml(const char *name)
{
	size_t n = strlen(name);

	return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
	       (n > 4 && strcmp(name + n - 4, ".yml") == 0);
}

static int
load_dir(struct agents *a, const char *dir, char *err, size_t errlen)
{
	struct dirent **ents = NULL;
	char path[PATH_MAX];
	int n = scandir(dir, &ents, NULL, alphasort), rc = 0;

	if (n < 0) {
		snprintf(err, errlen, "%s: cannot read the agents directory",
			 dir);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		struct agent_def d = { 0 };
		struct yamljson y;

		if (rc == 0 && is_yaml(ents[i]->d_name)) {
			snprintf(path, sizeof(path), "%s/%s", dir,
				 ents[i]->d_name);
			rc = yamljson_load(path, &y, err, errlen);
			if (rc == 0) {
				rc = parse_def(path, &y, &d, err, errlen);
				yamljson_clear(&y);
			}
			if (rc == 0 && add_def(a, &d) < 0)
				rc = -1;
			if (rc < 0)
				def_clear(&d);
		}
		free(ents[i]);
	}
	free(ents);
	return rc;
}

int
agents_load(struct agents *a, const char *extra_dir, char *err, size_t errlen)
{
	char dir[PATH_MAX];

	memset(a, 0, sizeof(*a));
	snprintf(dir, sizeof(dir), "%s/agents", datadir_path());
	if (load_dir(a, dir, err, errlen) < 0 ||
	    (extra_dir && load_dir(a, extra_dir, err, errlen) < 0)) {
		agents_clear(a); /* nothing for the caller to free */
		return -1;
	}
	return 0;
}

void
agents_clear(struct agents *a)
{
	for (size_t i = 0; i < a->n; i++)
		def_clear(&a->list[i]);
	free(a->list);
	memset(a, 0, sizeof(*a));
}

const struct agent_def *
agents_find(const struct agents *a, const char *name)
{
	for (size_t i = 0; i < a->n; i++)
		if (strcasecmp(a->list[i].name, name) == 0)
			return &a->list[i];
	return NULL;
}

bool
agents_has_tool(const struct agent_def *def, const char *tool)
{
	json_t *t;
	size_t i;

	json_array_foreach(def->tools, i, t)
		if (strcmp(json_string_value(t), tool) == 0)
			return true;
	return false;
}
