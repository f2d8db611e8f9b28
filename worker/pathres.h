/*
 * pathres.h - resolve an agent's path beneath the project directory.
 *
 * Design note
 * -----------
 * Tools get paths from the model, which is hostile. A path is first
 * *translated* to a relative path (pathres_relative): a relative path is
 * kept as is; an absolute path is accepted only when it lies under the
 * project directory the agent sees, and that prefix is removed at a
 * path-component boundary. That step is translation, not security. The
 * security is the kernel's: every open goes through openat2(2) from the
 * project directory fd with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS, so
 * "..", symlinks and /proc magic links can never take a lookup outside
 * the project, whatever races the agent runs in parallel. ".." that stays
 * inside and relative symlinks that point inside work; an absolute
 * symlink is refused (EXDEV) even when it names a path inside the
 * project, since RESOLVE_BENEATH refuses every absolute link.
 *
 * Creating parents (pathres_open_parent with create = true) resolves each
 * prefix of the parent path from the project fd the same way and creates
 * a missing component with mkdirat() on the fd of its already-resolved
 * parent, so a symlinked parent cannot redirect a write outside either.
 *
 * Every function reports failure as a negative errno plus a message in
 * err that names the agent's path and says what to do; tools hand that
 * message to the agent unchanged.
 */
#ifndef GAO_WORKER_PATHRES_H
#define GAO_WORKER_PATHRES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* RESOLVE_* flags for pathres_openat2 (values from linux/openat2.h). */
#define PATHRES_RESOLVE_NO_XDEV 0x01
#define PATHRES_RESOLVE_NO_MAGICLINKS 0x02
#define PATHRES_RESOLVE_NO_SYMLINKS 0x04
#define PATHRES_RESOLVE_BENEATH 0x08

/* The resolve flags every project lookup uses. */
#define PATHRES_RESOLVE_DEFAULT \
	(PATHRES_RESOLVE_BENEATH | PATHRES_RESOLVE_NO_MAGICLINKS)

/* Mode of directories pathres_open_parent creates (before the umask). */
#define PATHRES_DIR_MODE 0755

/*
 * openat2(dirfd, rel, {flags | O_CLOEXEC, mode, resolve}) through the raw
 * syscall. EINTR and EAGAIN (a concurrent rename or mount during the
 * lookup) are retried a bounded number of times. Returns a new fd (the
 * caller owns it) or a negative errno; -ENOSYS on kernels before 5.6.
 */
int pathres_openat2(int dirfd, const char *rel, int flags, mode_t mode,
		    uint64_t resolve);

/*
 * Translate the agent's path to a path relative to the project directory.
 * project_dir is the absolute path the agent sees (may be NULL: then every
 * absolute path is refused). On success writes a NUL-terminated relative
 * path into rel ("." for the project root itself) and returns 0. Refuses
 * an empty path, a path with a NUL byte (len != strlen), one of PATH_MAX
 * bytes or more, and an absolute path outside project_dir: returns
 * -EINVAL, -ENAMETOOLONG or -EXDEV with a message in err.
 * The path is not looked up, so ".." is not judged here.
 */
int pathres_relative(const char *project_dir, const char *path, size_t len,
		     char *rel, size_t relsize, char *err, size_t errlen);

/*
 * Translate path (pathres_relative) and open it beneath project_fd with
 * RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS. flags are open(2) flags
 * (O_CLOEXEC is always added); mode applies with O_CREAT. Missing parents
 * are not created (see pathres_open_parent). On success stores a new fd the
 * caller owns in *fd_out and returns 0; else returns a negative errno and
 * writes a message for the agent into err (EXDEV: "escapes the project").
 */
int pathres_open(int project_fd, const char *project_dir, const char *path,
		 int flags, mode_t mode, int *fd_out, char *err, size_t errlen);

/*
 * Open the directory that will hold path's last component, beneath
 * project_fd. With create, missing directories are made one component at
 * a time (mode PATHRES_DIR_MODE), each mkdirat() done on a parent fd that
 * was itself resolved beneath the project. Writes the last component into
 * name (NUL-terminated, at most NAME_MAX bytes) and returns an O_DIRECTORY
 * fd the caller owns, or a negative errno with a message in err; -EISDIR
 * when the path names a directory itself (".", "..", a trailing slash, the
 * project root).
 */
int pathres_open_parent(int project_fd, const char *project_dir,
			const char *path, bool create, char *name,
			size_t namesize, char *err, size_t errlen);

/*
 * Create path's missing parent directories (pathres_open_parent with
 * create, the directory fd closed again). Returns 0 or a negative errno
 * with a message in err.
 */
int pathres_mkparents(int project_fd, const char *project_dir, const char *path,
		      char *err, size_t errlen);

/*
 * Write into err a message for the agent explaining why the lookup of
 * path failed with errno e (positive or negative). Always NUL-terminates
 * err when errlen > 0.
 */
void pathres_explain(int e, const char *path, char *err, size_t errlen);

#endif
