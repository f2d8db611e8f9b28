/*
 * tool_fixture.h - a throw-away project directory for the tool tests.
 *
 * Design note
 * -----------
 * Each test gets a fresh temp directory holding two siblings: project/
 * (the project the tools see, opened as ctx.project_fd) and outside/ (a
 * place the tools must never reach: escape tests put secrets there and
 * check afterwards that nothing changed). Helpers create and read files
 * directly, unconfined, and run a tool on a JSON text. Teardown removes
 * the whole tree without following symlinks. The helpers fail the
 * current Criterion test on any setup error.
 */
#ifndef GAO_TESTS_TOOL_FIXTURE_H
#define GAO_TESTS_TOOL_FIXTURE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "worker/tool.h"

struct tool_fixture {
	char base[PATH_MAX];         /* the temp dir holding both */
	char dir[PATH_MAX + 16];     /* base/project, the project dir */
	char outside[PATH_MAX + 16]; /* base/outside */
	int fd;                      /* O_DIRECTORY fd of dir */
	struct tool_ctx ctx;         /* output_max 30000, exec allowed */
};

/* Create the directories, open the project fd, fill ctx. */
void tool_fixture_setup(struct tool_fixture *f);

/* Close the fd and remove base recursively (symlinks not followed). */
void tool_fixture_teardown(struct tool_fixture *f);

/* The tool tests' .init and .fini: the fixture and an empty out, then
 * out cleared and the fixture torn down. */
void tool_fixture_begin(struct tool_fixture *f, struct tool_out *out);
void tool_fixture_end(struct tool_fixture *f, struct tool_out *out);

/* Write content to dir/rel (root is f->dir or f->outside), parents made. */
void tool_fixture_put(const char *root, const char *rel, const char *content);

/* Write len bytes (may hold NULs) to root/rel, parents made. */
void tool_fixture_put_bytes(const char *root, const char *rel, const void *data,
			    size_t len);

/*
 * The content of root/rel as a new NUL-terminated string (the caller
 * frees), its length in *len when len is non-NULL; NULL when the file
 * cannot be read.
 */
char *tool_fixture_get(const char *root, const char *rel, size_t *len);

/* True when root/rel exists (lstat). */
bool tool_fixture_exists(const char *root, const char *rel);

/* A symlink root/rel pointing to target. */
void tool_fixture_symlink(const char *target, const char *root,
			  const char *rel);

/*
 * Parse json (must be valid), run fn with f->ctx and timeout_ms, and fail
 * the test unless the tool returned 0 with content. out must be empty
 * (zeroed) or hold an earlier result, which is cleared first; the new one
 * is the caller's to tool_out_clear.
 */
void tool_fixture_run(struct tool_fixture *f, tool_fn fn, const char *json,
		      uint32_t timeout_ms, struct tool_out *out);

/* True when s is valid UTF-8 without NUL bytes (jansson accepts it). */
bool tool_fixture_utf8_ok(const char *s);

#endif
