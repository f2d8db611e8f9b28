/*
 * fuzz_response.c - libFuzzer harness: arbitrary bytes as a non-streaming
 * response body (response_parse()) and as an error body
 * (response_parse_error()).
 *
 * Design note
 * -----------
 * The input is copied into a buffer of exactly its size, without a NUL
 * after it, so that AddressSanitizer catches any read past the length the
 * decoder was given. A body that passes is walked once more (the fields
 * the supervisor reads next) to make sure what it returns is usable.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/api/response.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Touch what a caller of response_parse() relies on. */
static void
fuzz_walk(const struct response *r)
{
	size_t i, tools = 0;

	for (i = 0; i < json_array_size(r->content); i++) {
		json_t *b = json_array_get(r->content, i);
		const char *type = json_string_value(
			json_object_get(b, "type"));

		if (!type)
			abort(); /* validation let an untyped block through */
		if (strcmp(type, "tool_use") == 0) {
			if (!json_is_object(json_object_get(b, "input")))
				abort();
			tools++;
		}
	}
	if (tools != r->n_tool_use)
		abort();
	if (r->usage.input_tokens < 0 || r->usage.output_tokens < 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct response r;
	char *buf, *type, *message;
	char err[128];

	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	if (size)
		memcpy(buf, data, size);
	if (response_parse(buf, size, &r, err, sizeof(err)) == 0) {
		fuzz_walk(&r);
		response_clear(&r);
	}
	if (response_parse_error(buf, size, &type, &message) == 0) {
		free(type);
		free(message);
	}
	free(buf);
	return 0;
}
