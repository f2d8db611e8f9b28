/*
 * boilerplate.h - copy a local template into a fresh project directory.
 *
 * Design note
 * -----------
 * The copy happens before any agent runs, into an empty directory, so the
 * supervisor may do it itself. It walks the template with openat() and
 * O_NOFOLLOW from a directory fd: a symlink anywhere in the template is
 * skipped (never followed out of it), as are devices, fifos and sockets.
 * Regular files keep their permission bits (without setuid/setgid);
 * directories are created 0700. The total is bounded (files and bytes).
 */
#ifndef GAO_SUPERVISOR_BOILERPLATE_H
#define GAO_SUPERVISOR_BOILERPLATE_H

#include <stddef.h>

#include <jansson.h>

#define BOILERPLATE_MAX_FILES 20000
#define BOILERPLATE_MAX_BYTES (512ull << 20)

/*
 * boilerplate_copy - copy the tree at src into the directory dst_fd.
 * Skipped entries are appended to warnings (strings). owner >= 0 makes
 * every copied file and directory belong to that uid and gid (the
 * worker's, when gao-dev runs as root). Returns the number
 * of files copied, or -1 with a message in err.
 */
long boilerplate_copy(const char *src, int dst_fd, int owner, json_t *warnings,
		      char *err, size_t errlen);

#endif
