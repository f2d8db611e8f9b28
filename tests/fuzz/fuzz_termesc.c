/*
 * fuzz_termesc.c - libFuzzer harness: arbitrary bytes through the one
 * terminal escape step (common/termesc.h).
 *
 * Design note
 * -----------
 * The promise checked on every input, not only "no crash": the escaped
 * text is valid UTF-8, holds no byte below 0x20 other than newline and
 * tab, no DEL, no C1 or bidi control (termesc_clean says so of it), and
 * escaping it again is the identity (an escape is plain ASCII).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/termesc.h"
#include "common/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *e = termesc_ndup((const char *)data, size), *again;
	size_t n;

	if (!e)
		abort();
	n = strlen(e);
	if (!utf8_valid(e, n) || !termesc_clean(e, n))
		abort();
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)e[i] < 0x20 && e[i] != '\n' &&
		     e[i] != '\t') ||
		    e[i] == 0x7f)
			abort();
	again = termesc_dup(e);
	if (!again || strcmp(again, e) != 0)
		abort();
	free(again);
	free(e);
	return 0;
}
