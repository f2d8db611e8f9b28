/*
 * watch.c - the supervisor's half of the project watch; see watch.h.
 */
#include "supervisor/agent/watch.h"

#include <inttypes.h>
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

/* "measure <bytes> <entries> <state>\n...": 0, or -1 when malformed. */
static int
parse(const char *text, uint64_t *bytes, uint64_t *entries, char *state,
      size_t cap)
{
	char word[16];
	int n = -1;

	if (!text || strlen(text) > 1024 ||
	    sscanf(text, "measure %20" SCNu64 " %20" SCNu64 " %15[a-z]%n",
		   bytes, entries, word, &n) != 3 ||
	    n < 0 || (text[n] != '\n' && text[n] != 0) ||
	    strncmp(text, "measure ", 8) != 0)
		return -1;
	snprintf(state, cap, "%s", word);
	return 0;
}

enum session_stop
watch_verdict(const struct watch_caps *c, const struct msg_tool_result *r,
	      char *why, size_t whylen)
{
	uint64_t bytes = 0, entries = 0;
	char state[16] = "";

	if (!r || r->is_error ||
	    parse(r->content, &bytes, &entries, state, sizeof(state)) < 0 ||
	    (strcmp(state, "complete") && strcmp(state, "over"))) {
		snprintf(why, whylen,
			 "the project could not be measured (%s), so it "
			 "cannot be shown to be within --max-disk %" PRIu64
			 " and --max-files %" PRIu64 "; the run stops",
			 !r                           ? "the sandbox worker died" :
			 strcmp(state, "incomplete") ? "a malformed answer" :
						       "the walk was incomplete",
			 c->max_bytes, c->max_files);
		return SESSION_STOP_DISK_LIMIT;
	}
	if (c->max_files && entries > c->max_files) {
		snprintf(why, whylen,
			 "the project holds more than %" PRIu64
			 " files and directories (--max-files); the run stops",
			 c->max_files);
		return SESSION_STOP_FILE_LIMIT;
	}
	if (c->max_bytes && bytes > c->max_bytes) {
		snprintf(why, whylen,
			 "the project uses more than %" PRIu64
			 " bytes (--max-disk); the run stops",
			 c->max_bytes);
		return SESSION_STOP_DISK_LIMIT;
	}
	if (strcmp(state, "over") == 0) {
		/* the worker says over, the numbers say otherwise */
		snprintf(why, whylen,
			 "the project's measurement contradicts itself; the "
			 "run stops");
		return SESSION_STOP_DISK_LIMIT;
	}
	return SESSION_STOP_NONE;
}
