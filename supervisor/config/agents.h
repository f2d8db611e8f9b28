/*
 * agents.h - the agent personas: built in (data/agents/NAME.yaml) and from
 * --agents-dir.
 *
 * Design note
 * -----------
 * A persona is data: name, role, tools, optional model, persona text. The
 * built-in eight come from the installed data directory; files in
 * --agents-dir (same format) add agents or override built-in ones by name
 * (case-insensitive). Web tools are dropped when the policy has no
 * network, and the caller is told so.
 */
#ifndef GAO_SUPERVISOR_AGENTS_H
#define GAO_SUPERVISOR_AGENTS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* The longest persona name, bytes; also the longest name a config may
 * give (a phase names its persona; bm_parse.h BM_NAME_MAX). */
#define AGENTS_NAME_MAX 256

struct agent_def {
	char *name;
	char *role;
	char *model; /* NULL: use the run's model */
	char *persona;
	json_t *tools; /* array of tool names */
	char *source;  /* file it came from */
};

struct agents {
	struct agent_def *list;
	size_t n;
};

/*
 * agents_load - read every .yaml file of <datadir>/agents, then of extra_dir,
 * when extra_dir is not NULL. 0, or -1 with "file:line:col: message" in err
 * (a name longer than AGENTS_NAME_MAX is one).
 */
int agents_load(struct agents *a, const char *extra_dir, char *err,
		size_t errlen);
void agents_clear(struct agents *a);

/* The agent named name (case-insensitive), or NULL. */
const struct agent_def *agents_find(const struct agents *a, const char *name);

/* Whether def lists tool. */
bool agents_has_tool(const struct agent_def *def, const char *tool);

#endif
