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
 *
 * The supervisor knows the API key, so the bytes pass a last check on
 * their way: a file that holds the key (searched chunk by chunk, with an
 * overlap so a key across a cut is found), or that is a file the key was
 * read from (secret_is_source: the key file, a .env, the user config), is
 * never copied: the copy stops with an error that names the file (never
 * the key) and the part already written is removed. The template is
 * opened by its canonical path (the config check resolved it,
 * confine.h) with openat2(RESOLVE_NO_SYMLINKS): a symlink put on the path
 * since the check is refused. boilerplate_check() makes the same walk
 * without writing, before any run starts, so such a template is refused
 * as a config error before any side effect.
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

/*
 * boilerplate_check - walk the template at src as boilerplate_copy would,
 * writing nothing: 0, or -1 with a message in err (a file that holds the
 * API key or is a file it was read from, an unreadable template, over
 * the bounds).
 */
int boilerplate_check(const char *src, char *err, size_t errlen);

#endif
