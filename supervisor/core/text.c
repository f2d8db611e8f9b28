/*
 * text.c - see text.h. The UTF-8 check is the one of common/utf8.c.
 */
#include "supervisor/core/text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"

char *
text_utf8_clean(const char *s, size_t len)
{
	return utf8_clean(s, len);
}

void
text_copy_utf8(char *out, size_t cap, const char *s)
{
	utf8_copy(out, cap, s);
}
