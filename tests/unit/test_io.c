/*
 * test_io.c - the one EINTR loop and private files (common/io.c), on real
 * pipes, files and children.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/io.h"

Test(io, write_all_and_read_all_move_every_byte_through_a_pipe)
{
	static char out[200000], in[200000];
	int p[2];
	pid_t pid;

	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (char)(i * 7);
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	/* more than a pipe holds: the writer blocks, short writes happen */
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		_exit(io_write_all(p[1], out, sizeof(out)) == 0 ? 0 : 1);
	}
	close(p[1]);
	cr_assert_eq(io_read_all(p[0], in, sizeof(in)), (ssize_t)sizeof(in));
	cr_assert_eq(memcmp(in, out, sizeof(in)), 0);
	/* then EOF: fewer bytes than asked, not an error */
	cr_assert_eq(io_read_all(p[0], in, 10), 0);
	close(p[0]);
	int status;

	cr_assert_eq(io_waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

Test(io, errors_are_negative_errnos)
{
	char c;

	cr_assert_eq(io_read(-1, &c, 1), -EBADF);
	cr_assert_eq(io_write_all(-1, "x", 1), -EBADF);
	cr_assert_eq(io_waitpid(getpid(), NULL, WNOHANG), -ECHILD);
	cr_assert_eq(io_open("/nonexistent/x", O_RDONLY, 0), -ENOENT);
}

Test(io, open_private_is_0600_whatever_the_umask_and_cloexec)
{
	char dir[] = "/tmp/gao-io-XXXXXX", path[64], link[64];
	struct stat st;
	mode_t old = umask(0);
	int fd;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f", dir);
	fd = io_open_private(path, O_EXCL);
	umask(old);
	cr_assert_geq(fd, 0);
	cr_assert_eq(fstat(fd, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0600);
	cr_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	/* O_EXCL: a second create fails */
	cr_assert_eq(io_open_private(path, O_EXCL), -EEXIST);
	/* an existing file is made private too */
	cr_assert_eq(chmod(path, 0644), 0);
	fd = io_open_private(path, O_APPEND);
	cr_assert_geq(fd, 0);
	cr_assert_eq(fstat(fd, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0600);
	close(fd);
	/* never through a symlink in the last component */
	snprintf(link, sizeof(link), "%s/l", dir);
	cr_assert_eq(symlink(path, link), 0);
	cr_assert_eq(io_open_private(link, 0), -ELOOP);
	unlink(link);
	unlink(path);
	rmdir(dir);
}

/*
 * A write cut short by the file size limit (a full disk's partial write,
 * made on demand): the part is cut off again, the size stays, and the
 * next record lands right after the last whole one. In a child, so the
 * limit and the ignored SIGXFSZ stay there.
 */
Test(io, append_whole_writes_a_record_whole_or_not_at_all)
{
	static char big[200];
	char path[] = "/tmp/gao-io-append-XXXXXX", text[64];
	int fd = mkstemp(path), status;
	pid_t pid;

	cr_assert_geq(fd, 0);
	memset(big, 'x', sizeof(big));
	pid = fork();
	if (pid == 0) {
		struct rlimit rl = { 100, 100 };
		off_t size = 0;
		int ok = io_append_whole(fd, &size, "first\n", 6) == 0 &&
			 size == 6;

		signal(SIGXFSZ, SIG_IGN);
		ok = ok && setrlimit(RLIMIT_FSIZE, &rl) == 0;
		/* 94 of the 200 bytes fit: written, then cut off again */
		ok = ok &&
		     io_append_whole(fd, &size, big, sizeof(big)) == -EFBIG &&
		     size == 6;
		ok = ok && io_append_whole(fd, &size, "second\n", 7) == 0 &&
		     size == 13;
		_exit(ok ? 0 : 1);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	memset(text, 0, sizeof(text));
	cr_assert_eq(pread(fd, text, sizeof(text) - 1, 0), 13);
	cr_assert_str_eq(text, "first\nsecond\n");
	close(fd);
	unlink(path);
}

Test(io, read_file_fd_reads_a_bounded_regular_file_or_says_why_not)
{
	char path[] = "/tmp/gao-io-read-XXXXXX";
	int fd = mkstemp(path), err = 1, p[2];
	size_t n = 99;
	char *buf;

	cr_assert_geq(fd, 0);
	cr_assert_eq(io_write_all(fd, "ab\0cd", 5), 0);
	cr_assert_eq(lseek(fd, 0, SEEK_SET), 0);
	buf = io_read_file_fd(fd, 5, &n, &err);
	cr_assert_not_null(buf);
	cr_assert_eq(err, 0);
	cr_assert_eq(n, 5);
	cr_assert_eq(memcmp(buf, "ab\0cd", 6), 0); /* NUL-terminated */
	free(buf);
	cr_assert_eq(lseek(fd, 0, SEEK_SET), 0);
	cr_assert_null(io_read_file_fd(fd, 4, &n, &err));
	cr_assert_eq(err, -EFBIG);
	cr_assert_eq(n, 0);
	close(fd);
	unlink(path);
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	cr_assert_null(io_read_file_fd(p[0], 100, &n, &err));
	cr_assert_eq(err, -EINVAL);
	close(p[0]);
	close(p[1]);
	fd = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_null(io_read_file_fd(fd, 100, &n, &err));
	cr_assert_eq(err, -EINVAL);
	close(fd);
}

Test(io, the_clock_is_monotonic_milliseconds)
{
	uint64_t a = clock_now_ms();

	usleep(20000);
	cr_assert_geq(clock_now_ms() - a, 19);
}
