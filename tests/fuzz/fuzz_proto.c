/*
 * fuzz_proto.c - libFuzzer harness for the worker-message decoder.
 *
 * Feeds arbitrary bytes to msg_decode() (the supervisor's first contact
 * with a hostile worker's frame) and, when a message decodes, re-encodes
 * it and checks that the result decodes to the same type.
 */
#include <stdint.h>
#include <stdlib.h>

#include "proto/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msg m, again;
	uint8_t *buf = NULL;
	size_t len = 0;

	if (msg_decode(data, size, &m) != 0)
		return 0;
	if (msg_encode(&m, &buf, &len) == 0) {
		if (msg_decode(buf, len, &again) != 0 || again.type != m.type)
			abort();
		msg_clear(&again);
		free(buf);
	}
	msg_clear(&m);
	return 0;
}
