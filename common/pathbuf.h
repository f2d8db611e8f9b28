/*
 * pathbuf.h - a path formatted into a fixed buffer, or a clear refusal.
 *
 * Design note
 * -----------
 * The supervisor builds its file names (run directories, cgroup files)
 * with snprintf into PATH_MAX buffers. A name cut short names another
 * file, so each place had the same vsnprintf-and-check wrapper; it lives
 * here once: a name that does not fit is an error and leaves the buffer
 * empty, never a truncated path.
 */
#ifndef GAO_COMMON_PATHBUF_H
#define GAO_COMMON_PATHBUF_H

#include <stddef.h>

/*
 * pathbuf_fmt - snprintf(buf, cap, fmt, ...) for a path: 0 when the whole
 * result fits in cap bytes (NUL included); otherwise (or on an encoding
 * error) -ENAMETOOLONG with buf set to "". cap must be > 0.
 */
int pathbuf_fmt(char *buf, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
