/*
 * io.c - see io.h.
 */
#include "common/io.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

ssize_t
io_read(int fd, void *buf, size_t len)
{
	ssize_t n;

	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

ssize_t
io_read_all(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = io_read(fd, (char *)buf + got, len - got);

		if (n < 0)
			return n;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int
io_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
io_append_whole(int fd, off_t *size, const void *buf, size_t len)
{
	int rc = io_write_all(fd, buf, len);

	if (rc == 0) {
		*size += (off_t)len;
		return 0;
	}
	if (ftruncate(fd, *size) < 0)
		return -errno;
	(void)lseek(fd, *size, SEEK_SET);
	return rc;
}

char *
io_read_file_fd(int fd, size_t max, size_t *len, int *err)
{
	struct stat st;
	char *buf;
	ssize_t n;

	*len = 0;
	if (fstat(fd, &st) < 0) {
		*err = -errno;
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		*err = -EINVAL;
		return NULL;
	}
	if (st.st_size < 0 || (uintmax_t)st.st_size > max) {
		*err = -EFBIG;
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		*err = -ENOMEM;
		return NULL;
	}
	n = io_read_all(fd, buf, (size_t)st.st_size);
	if (n < 0) {
		free(buf);
		*err = (int)n;
		return NULL;
	}
	buf[n] = 0;
	*len = (size_t)n;
	*err = 0;
	return buf;
}

pid_t
io_waitpid(pid_t pid, int *status, int flags)
{
	pid_t got;

	do
		got = waitpid(pid, status, flags);
	while (got < 0 && errno == EINTR);
	return got < 0 ? -errno : got;
}

int
io_openat(int dirfd, const char *path, int flags, mode_t mode)
{
	int fd;

	do
		fd = openat(dirfd, path, flags | O_CLOEXEC, mode);
	while (fd < 0 && errno == EINTR);
	return fd < 0 ? -errno : fd;
}

int
io_open(const char *path, int flags, mode_t mode)
{
	return io_openat(AT_FDCWD, path, flags, mode);
}

int
io_open_private(const char *path, int extra_flags)
{
	int fd = io_open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | extra_flags,
			 0600);

	/* an existing file keeps its mode: make it private too */
	if (fd >= 0 && fchmod(fd, 0600) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

static void
fsync_parent(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	fd = io_open(dir, O_RDONLY | O_DIRECTORY, 0);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

int
io_write_file_atomic(const char *path, const void *data, size_t len)
{
	char tmp[PATH_MAX];
	int fd, rc;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >=
	    (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = io_open_private(tmp, O_EXCL);
	if (fd < 0)
		return fd;
	rc = io_write_all(fd, data, len);
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	close(fd);
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0)
		unlink(tmp);
	else
		fsync_parent(path);
	return rc;
}
