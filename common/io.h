/*
 * io.h - the system calls both processes repeat, with the one EINTR loop.
 *
 * Design note
 * -----------
 * The supervisor and the worker both read and write whole buffers, wait
 * for children and create private files. Each of those had its own
 * retry loop; they live here once. Every function returns 0 or a byte
 * count on success and a negative errno on failure (never -1 with errno),
 * so callers can pass the code on. Every fd opened here is close-on-exec.
 */
#ifndef GAO_COMMON_IO_H
#define GAO_COMMON_IO_H

#include <stddef.h>
#include <sys/types.h>

/* One read(2), retried on EINTR: bytes read (0 at EOF) or -errno. */
ssize_t io_read(int fd, void *buf, size_t len);

/* read(2) until len bytes or EOF: the bytes read (fewer than len only at
 * EOF), or -errno. EAGAIN on a non-blocking fd ends it like an error. */
ssize_t io_read_all(int fd, void *buf, size_t len);

/* write(2) until all len bytes are written: 0, or -errno (the number
 * already written is lost: for files the caller truncates). */
int io_write_all(int fd, const void *buf, size_t len);

/*
 * io_append_whole - append len bytes (a record: a JSON line) to the file
 * fd, which ends at *size: all of them and *size grows by len (0), or
 * none: a part written before an error (a full disk) is cut off again
 * and the fd left at *size, so the file holds whole records only; then
 * the write's -errno, or the cut's if that failed too (the file then ends
 * in a part of a record).
 */
int io_append_whole(int fd, off_t *size, const void *buf, size_t len);

/*
 * io_read_file_fd - the content of the regular file fd (left open; read
 * from its offset, so pass it just opened) up to the size fstat(2) gives,
 * which must be at most max bytes, NUL-terminated (it may
 * hold NULs before *len), malloc'ed. NULL with *err: -EINVAL when fd is
 * not a regular file, -EFBIG when it is larger than max, -ENOMEM, or the
 * -errno of fstat or read. The one reader of the bounded files gao-dev
 * reads back (results, manifests, configs): each names the file itself.
 */
char *io_read_file_fd(int fd, size_t max, size_t *len, int *err);

/* waitpid(2), retried on EINTR: the pid, 0 (WNOHANG, still running), or
 * -errno. status may be NULL. */
pid_t io_waitpid(pid_t pid, int *status, int flags);

/* open(2)/openat(2), retried on EINTR, always O_CLOEXEC: fd or -errno. */
int io_open(const char *path, int flags, mode_t mode);
int io_openat(int dirfd, const char *path, int flags, mode_t mode);

/*
 * io_open_private - create path for writing, mode 0600 whatever the
 * umask, never following a symlink in its last component: extra_flags
 * add O_EXCL (a new file), O_TRUNC or O_APPEND. The fd (caller closes),
 * or -errno.
 */
int io_open_private(const char *path, int extra_flags);

/*
 * io_write_file_atomic - replace path with len bytes of data: a private
 * temporary file beside it (0600), written, fsync'ed, renamed over path,
 * the directory fsync'ed. A reader sees the old file or the whole new
 * one, never a part. 0, or -errno (the temporary file is removed).
 */
int io_write_file_atomic(const char *path, const void *data, size_t len);

#endif
