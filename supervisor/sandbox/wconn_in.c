/*
 * wconn_in.c - a worker's bytes to permitted messages. See wconn_in.h.
 */
#include "supervisor/sandbox/wconn_in.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Which worker message each state permits (0: none). */
static const int permitted[] = {
	[W_STARTING] = MSG_W2S_READY,
	[W_IDLE] = 0,
	[W_BUSY] = MSG_W2S_TOOL_RESULT,
	[W_EXITING] = 0,
	[W_DEAD] = 0,
};

int
wconn_in_next(struct frame_reader *r, int fd, struct msg *m, const char **why)
{
	uint8_t *body;
	size_t len;
	int rc;

	rc = frame_reader_read(r, fd, &body, &len);
	if (rc == 0)
		return 0;
	if (rc == FRAME_E_EOF)
		return WCONN_IN_EOF;
	if (rc < 0) {
		*why = frame_strerror(rc);
		return WCONN_IN_BAD;
	}
	rc = msg_decode(body, len, m);
	free(body);
	if (rc < 0) {
		*why = msg_strerror(rc);
		return WCONN_IN_BAD;
	}
	return 1;
}

const char *
wconn_in_permit(enum wconn_state st, const struct msg *m, const char *call_id,
		char *why, size_t cap)
{
	if ((unsigned)st >= sizeof(permitted) / sizeof(*permitted) ||
	    permitted[st] != (int)m->type) {
		snprintf(why, cap, "worker sent %s, not permitted now",
			 msg_type_name(m->type));
		return why;
	}
	if (m->type == MSG_W2S_TOOL_RESULT &&
	    strcmp(m->u.result.id, call_id) != 0) {
		snprintf(why, cap,
			 "worker answered with the wrong tool_use id");
		return why;
	}
	return NULL;
}
