/*
 * rec_match.h - a conversation's requests as deltas, and the comparison
 * of a replayed request with the recorded one (recording.h).
 *
 * Design note
 * -----------
 * struct rec_req is the conversation's previous request: its parameters
 * (the body without "messages") and its messages. A delta holds the
 * parameters only when they changed ("params"), the length of the common
 * prefix of the messages ("keep") and the messages after it ("messages").
 * Recording makes deltas from the bodies sent; replaying applies the
 * recorded deltas in turn to rebuild each recorded request in full, then
 * compares it with the body the runner built (rec_match_compare): pure
 * functions of JSON values, no I/O.
 */
#ifndef GAO_SUPERVISOR_REC_MATCH_H
#define GAO_SUPERVISOR_REC_MATCH_H

#include <stddef.h>

#include <jansson.h>

/* A conversation's previous request; zeroed means "none yet". */
struct rec_req {
	json_t *params;   /* owned; NULL before the first request */
	json_t *messages; /* owned; NULL before the first request */
};

void rec_req_clear(struct rec_req *r);

/*
 * rec_match_delta - the delta from prev to body (a request object), and
 * prev becomes body. NULL on ENOMEM or a body without a "messages" array.
 */
json_t *rec_match_delta(struct rec_req *prev, const json_t *body);

/*
 * rec_match_apply - prev becomes the request delta describes (recorded,
 * hostile: "keep" within prev's messages, "params" an object, "messages"
 * an array of objects). 0, or -1 with the reason in err.
 */
int rec_match_apply(struct rec_req *prev, const json_t *delta, char *err,
		    size_t errlen);

/*
 * rec_match_compare - whether body (what the runner sends now) is the
 * request rec holds. 0 when every part the runner decides is equal: then
 * each tool_result whose content or is_error differs, and whose
 * tool_use_id is not yet in seen, is added to diffs as {"message": index,
 * "tool_use_id", "field"} and to seen. -1 on a miss, with what differs
 * first in err ("message 4 (assistant), block 1 (tool_use): differs").
 */
int rec_match_compare(const struct rec_req *rec, const json_t *body,
		      json_t *seen, json_t *diffs, char *err, size_t errlen);

#endif
