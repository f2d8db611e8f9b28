/*
 * wconn_in.h - what a worker sends, as the supervisor takes it: frames,
 * messages, and the permit table of the connection's states.
 *
 * Design note
 * -----------
 * The worker's result pipe is the one channel through which a confined,
 * hostile process talks to the trusted one. wconn.c owns the connection
 * (spawn, timers, deaths); the bytes pass through here, in two steps
 * kept free of the loop and the process so that they can be fuzzed as
 * they run (tests/fuzz/fuzz_wconn.c):
 *
 *   wconn_in_next()   bytes to one decoded message: the frame layer's
 *                     size rule (1..PROTO_FRAME_MAX before any
 *                     allocation), then msg_decode()'s checks
 *   wconn_in_permit() the message against the state: in STARTING only
 *                     READY, in BUSY only the TOOL_RESULT whose id is the
 *                     call in flight, in IDLE, EXITING or DEAD nothing
 *
 * Any refusal is the worker's death (wconn.c kills it); the reasons are
 * short static or formatted texts that never quote the worker's bytes.
 */
#ifndef GAO_SUPERVISOR_SANDBOX_WCONN_IN_H
#define GAO_SUPERVISOR_SANDBOX_WCONN_IN_H

#include <stddef.h>

#include "proto/frame.h"
#include "proto/msg.h"

enum wconn_state { W_STARTING, W_IDLE, W_BUSY, W_EXITING, W_DEAD };

/* wconn_in_next() results beside 1 (a message) and 0 (nothing yet). */
#define WCONN_IN_EOF (-1) /* the worker closed the pipe between frames */
#define WCONN_IN_BAD (-2) /* a broken frame or message: *why says which */

/*
 * wconn_in_next - read from fd (non-blocking) through r until one message
 * is whole. 1 with *m decoded (msg_clear() it), 0 when fd would block,
 * WCONN_IN_EOF, or WCONN_IN_BAD with *why a static reason. After EOF or
 * BAD the stream is unusable.
 */
int wconn_in_next(struct frame_reader *r, int fd, struct msg *m,
		  const char **why);

/*
 * wconn_in_permit - whether m may arrive in state st, with call_id the
 * id of the call in flight (BUSY). NULL when it may; else the reason,
 * written into why (cap bytes), which is returned.
 */
const char *wconn_in_permit(enum wconn_state st, const struct msg *m,
			    const char *call_id, char *why, size_t cap);

#endif
