/*
 * pathbuf.c - see pathbuf.h.
 */
#include "common/pathbuf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

int
pathbuf_fmt(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap) {
		buf[0] = 0;
		return -ENAMETOOLONG;
	}
	return 0;
}
