/*
 * response.h - decoding and validating a Messages API answer.
 *
 * Design note
 * -----------
 * Whatever path an answer took (a non-streaming body, or a stream assembled
 * by stream.h), it ends here as one JSON message, and this module decides
 * whether the rest of the supervisor may trust its shape: type "message",
 * role "assistant", a content array of typed blocks whose required fields
 * are present with the right types, tool_use ids that are safe to echo and
 * to log, non-negative usage figures. What passes is copied into a struct
 * response that owns its fields; the content array keeps every block as
 * the API sent it (thinking and server-tool blocks must go back unchanged
 * in the next request).
 *
 * It also decodes the error body that comes with a non-2xx status, so that
 * the caller can tell "overloaded_error" from "invalid_request_error".
 *
 * The bytes are hostile: bodies are bounded (RESPONSE_MAX_BODY), JSON is
 * parsed by jansson with duplicate keys refused and NUL bytes in strings
 * refused, and every field is checked before it is used. Error texts name
 * the field and block, never echo message text.
 */
#ifndef GAO_SUPERVISOR_RESPONSE_H
#define GAO_SUPERVISOR_RESPONSE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define RESPONSE_MAX_BODY (64u << 20) /* one body, bytes */
#define RESPONSE_MAX_BLOCKS 4096      /* content blocks of one message */
#define RESPONSE_TOOL_ID_MAX 128      /* tool_use id, bytes */
#define RESPONSE_TOOL_NAME_MAX 64     /* tool_use name, bytes */
#define RESPONSE_STR_MAX 256          /* id, model, stop_reason, error type */

/* Error codes; a range of their own (see sse.h). */
enum response_error {
	RESPONSE_E_NOMEM = -301,     /* out of memory */
	RESPONSE_E_TOO_LARGE = -302, /* body over RESPONSE_MAX_BODY, or
				      * more than RESPONSE_MAX_BLOCKS blocks */
	RESPONSE_E_JSON = -303,      /* not valid JSON */
	RESPONSE_E_INVALID = -304,   /* JSON, but not a valid message */
	RESPONSE_E_API_ERROR = -305, /* an error body ({"type":"error"}):
				      * see response_parse_error() */
};

struct api_usage {
	int64_t input_tokens; /* uncached input only */
	int64_t output_tokens;
	int64_t cache_creation_input_tokens;
	int64_t cache_read_input_tokens;
	/* usage.server_tool_use: the server tools' uses (agent/web.h) */
	int64_t web_search_requests;
	int64_t web_fetch_requests;
};

struct response {
	char *id;               /* message id, NULL when absent */
	char *model;            /* NULL when absent */
	char *stop_reason;      /* NULL when null or absent */
	json_t *content;        /* the content array, validated; owned */
	struct api_usage usage; /* missing figures are 0 */
	size_t n_tool_use;      /* number of tool_use blocks in content */
};

/*
 * Parse and validate a non-streaming response body of len bytes (body
 * need not be NUL-terminated). Returns 0 and fills *out (the caller owns
 * it: response_clear()), or a negative RESPONSE_E_* with *out zeroed and,
 * when err is not NULL, a message in err (at most errlen bytes, always
 * NUL-terminated when errlen > 0).
 */
int response_parse(const char *body, size_t len, struct response *out,
		   char *err, size_t errlen);

/*
 * Validate an already-parsed message object (from stream_take_message())
 * and fill *out as response_parse() does. Steals nothing: strings are
 * copied and out->content is a new reference to msg's content array
 * (shared with msg, so changing one changes the other).
 */
int response_from_json(const json_t *msg, struct response *out, char *err,
		       size_t errlen);

/* Free what *r owns and zero it. A zeroed struct is fine; r may be NULL. */
void response_clear(struct response *r);

/*
 * Parse an error body {"type":"error","error":{"type":T,"message":M},
 * "request_id":...}. Returns 0 and sets *type and *message to malloc'ed
 * copies (the caller frees them), or a negative RESPONSE_E_* when the body
 * does not have that shape (then both are NULL). T is at most
 * RESPONSE_STR_MAX bytes of [A-Za-z0-9_]; M is any string.
 */
int response_parse_error(const char *body, size_t len, char **type,
			 char **message);

#endif /* GAO_SUPERVISOR_RESPONSE_H */
