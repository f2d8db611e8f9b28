/*
 * fuzz_input_file.h - the fuzz input as a file, for the loaders that take
 * a path (benchmark configs, personas, the user config).
 *
 * Design note
 * -----------
 * One private directory per process (mkdtemp below $TMPDIR or /tmp,
 * removed at exit); each input rewrites the same file in it. A loader
 * that names other files relative to its input (a config's boilerplate)
 * then sees only that directory. Header-only: each harness is one
 * translation unit plus the sources it fuzzes.
 */
#ifndef GAO_TESTS_FUZZ_INPUT_FILE_H
#define GAO_TESTS_FUZZ_INPUT_FILE_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char fuzz_dir[256];

static void
fuzz_dir_remove(void)
{
	char cmd[300];

	if (fuzz_dir[0] == '\0')
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fuzz_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz: could not remove %s\n", fuzz_dir);
}

/* The private directory, made on the first call; aborts on failure. */
static const char *
fuzz_input_dir(void)
{
	const char *tmp = getenv("TMPDIR");

	if (fuzz_dir[0] != '\0')
		return fuzz_dir;
	snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/gao-fuzz-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(fuzz_dir) == NULL)
		abort();
	atexit(fuzz_dir_remove);
	return fuzz_dir;
}

/*
 * fuzz_input_write - data (size bytes) as <dir>/name, replacing it; its
 * path into path (cap bytes). Aborts when the file cannot be written: the
 * harness would otherwise fuzz nothing.
 */
static void
fuzz_input_write(const char *name, const uint8_t *data, size_t size, char *path,
		 size_t cap)
{
	int fd;

	snprintf(path, cap, "%s/%s", fuzz_input_dir(), name);
	/* a new file each time, never the old one truncated: ext4 flushes
	 * a truncated file's new data at close (auto_da_alloc), which
	 * made each input wait for the disk: 18 times slower */
	(void)unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		abort();
	while (size > 0) {
		ssize_t n = write(fd, data, size);

		if (n <= 0)
			abort();
		data += n;
		size -= (size_t)n;
	}
	if (close(fd) != 0)
		abort();
}

#endif
