/*
 * stream.h - assembling a streamed Messages API answer into one message.
 *
 * Design note
 * -----------
 * With "stream": true the API sends the assistant message piecewise as
 * Server-Sent Events (sse.h cuts them out of the body): message_start (the
 * message with empty content), per content block content_block_start,
 * content_block_delta..., content_block_stop, then message_delta (stop
 * reason, cumulative usage) and message_stop. ping may come at any time and
 * unknown event types are ignored; an error event may come even after HTTP
 * 200. A struct stream takes these events one at a time and rebuilds the
 * message a non-streaming call would have returned, so the rest of the
 * supervisor (response.h) sees one shape only.
 *
 * Every event is checked against the order above; anything out of order,
 * malformed or too large fails the stream with a negative STREAM_E_* code
 * and a message (stream_error()). A failure is sticky: later events return
 * the same code. Tool input arrives as JSON text fragments that are joined
 * per block and parsed once, at content_block_stop; an input that is not
 * whole JSON becomes {} and is accepted only in a message whose
 * stop_reason is max_tokens (the API cut the call while making it; the
 * session never runs a tool_use of such a reply). A stream that ends
 * without message_stop is a failed call (stream_done() stays false); since
 * tools only run on a complete message, retrying the request is safe.
 *
 * Limits (the bytes are hostile): the data of all events together at most
 * STREAM_MAX_BYTES (this bounds every text and JSON buffer), at most
 * STREAM_MAX_BLOCKS content blocks, JSON nesting bounded by jansson.
 */
#ifndef GAO_SUPERVISOR_STREAM_H
#define GAO_SUPERVISOR_STREAM_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define STREAM_MAX_BYTES (32u << 20) /* event data of one stream, bytes */
#define STREAM_MAX_BLOCKS 4096       /* content blocks of one message */

/* Error codes; a range of their own (see sse.h). */
enum stream_error {
	STREAM_E_NOMEM = -201,     /* out of memory */
	STREAM_E_PROTOCOL = -202,  /* event out of order, wrong shape */
	STREAM_E_JSON = -203,      /* event data or tool input not JSON */
	STREAM_E_TOO_LARGE = -204, /* over STREAM_MAX_BYTES or _BLOCKS */
	STREAM_E_API_ERROR = -205, /* the API sent an error event */
};

struct stream;

/* A new, empty stream. Returns NULL when out of memory. */
struct stream *stream_new(void);

/*
 * Feed one SSE event: its name (NUL-terminated; "message" when the event
 * had no name, in which case the JSON "type" field names it), its data and
 * the data's length. Returns 0, or a negative STREAM_E_* code (the same one
 * for every later call once the stream has failed). Reads data only during
 * the call.
 */
int stream_event(struct stream *s, const char *event, const char *data,
		 size_t len);

/*
 * stream_event() with a void * first argument, so that it can be passed
 * to sse_feed() as its callback with the stream as ctx.
 */
int stream_on_sse(void *s, const char *event, const char *data, size_t len);

/* True once message_stop has been accepted (and the stream has not failed). */
bool stream_done(const struct stream *s);

/*
 * After stream_done(): the assembled message, the same shape as a
 * non-streaming response body, ready for response_from_json(). Ownership
 * moves to the caller (json_decref it). Returns NULL before the stream is
 * done or when the message was already taken.
 */
json_t *stream_take_message(struct stream *s);

/*
 * The last error as text, or NULL when the stream has not failed. Owned by
 * the stream, valid until stream_free(). Never contains the event's data
 * beyond short, sanitised excerpts of names.
 */
const char *stream_error(const struct stream *s);

/*
 * When the stream carried an error event: its error.type (for example
 * "overloaded_error"; kept only when it is 1..256 bytes of [A-Za-z0-9_])
 * and error.message (any text: escape it before logging); NULL otherwise,
 * or when the event lacked that field. Owned by the stream, valid until
 * stream_free().
 */
const char *stream_api_error_type(const struct stream *s);
const char *stream_api_error_message(const struct stream *s);

/* Free the stream and everything it holds. NULL is a no-op. */
void stream_free(struct stream *s);

#endif /* GAO_SUPERVISOR_STREAM_H */
