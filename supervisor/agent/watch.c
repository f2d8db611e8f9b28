/*
 * watch.c - the supervisor's half of the project watch; see watch.h.
 */
#include "supervisor/agent/watch.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

bool
watch_wants(const struct watch_caps *c, const char *tool)
{
	static const char *const writers[] = { "Write", "Edit", "MultiEdit",
					       "Bash" };

	if (!c || (!c->max_bytes && !c->max_files) || !tool)
		return false;
	for (size_t i = 0; i < sizeof(writers) / sizeof(*writers); i++)
		if (strcmp(tool, writers[i]) == 0)
			return true;
	return false;
}

json_t *
watch_input(const struct watch_caps *c)
{
	return json_pack("{s:I,s:I}", "max_bytes", (json_int_t)c->max_bytes,
			 "max_files", (json_int_t)c->max_files);
}

/* A decimal number of at most 19 digits at *p, then one space (or the
 * end of the line when last): 0, or -1. */
static int
number(const char **p, uint64_t *out, bool last)
{
	size_t n = strspn(*p, "0123456789");
	uint64_t v = 0;

	if (n == 0 || n > 19)
		return -1;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (uint64_t)((*p)[i] - '0');
	*p += n;
	if (!last && **p != ' ')
		return -1;
	*out = v;
	*p += last ? 0 : 1;
	return 0;
}

/* "measure <bytes> <entries> <state>\n...", exactly: 0, or -1. */
static int
parse(const char *text, uint64_t *bytes, uint64_t *entries, char *state,
      size_t cap)
{
	const char *p = text;
	size_t n;

	if (!text || strlen(text) > 1024 || strncmp(p, "measure ", 8) != 0)
		return -1;
	p += 8;
	if (number(&p, bytes, false) < 0 || number(&p, entries, false) < 0)
		return -1;
	n = strspn(p, "abcdefghijklmnopqrstuvwxyz");
	if (n == 0 || n >= cap || (p[n] != '\n' && p[n] != 0))
		return -1;
	memcpy(state, p, n);
	state[n] = 0;
	return 0;
}

/* Whether have passes a set limit (0: none); if so why says so, e.g.
 * "the project uses more than 10 bytes (--max-disk); the run stops". */
static bool
over(uint64_t limit, uint64_t have, const char *verb, const char *unit,
     const char *flag, char *why, size_t whylen)
{
	if (!limit || have <= limit)
		return false;
	snprintf(why, whylen,
		 "the project %s more than %" PRIu64 " %s (%s); the run stops",
		 verb, limit, unit, flag);
	return true;
}

enum session_stop
watch_verdict(const struct watch_caps *c, const struct msg_tool_result *r,
	      char *why, size_t whylen)
{
	uint64_t bytes = 0, entries = 0;
	char state[16] = "";

	if (!r || r->is_error ||
	    parse(r->content, &bytes, &entries, state, sizeof(state)) < 0 ||
	    (strcmp(state, "complete") != 0 && strcmp(state, "over") != 0)) {
		snprintf(why, whylen,
			 "the project could not be measured (%s), so it "
			 "cannot be shown to be within --max-disk %" PRIu64
			 " and --max-files %" PRIu64 "; the run stops",
			 !r ? "the sandbox worker died" :
			 strcmp(state, "incomplete") ?
			      "a malformed answer" :
			      "the walk was incomplete",
			 c->max_bytes, c->max_files);
		return SESSION_STOP_DISK_LIMIT;
	}
	if (over(c->max_files, entries, "holds", "files and directories",
		 "--max-files", why, whylen))
		return SESSION_STOP_FILE_LIMIT;
	if (over(c->max_bytes, bytes, "uses", "bytes", "--max-disk", why,
		 whylen))
		return SESSION_STOP_DISK_LIMIT;
	if (strcmp(state, "over") == 0) {
		/* the worker says over, the numbers say otherwise */
		snprintf(why, whylen,
			 "the project's measurement contradicts itself; the "
			 "run stops");
		return SESSION_STOP_DISK_LIMIT;
	}
	return SESSION_STOP_NONE;
}
