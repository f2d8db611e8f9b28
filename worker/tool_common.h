/*
 * tool_common.h - private helpers shared by the worker's tools.
 *
 * Design note
 * -----------
 * Every tool does the same few things around its own work: check the
 * input object's fields (tool_arg_*), collect output in a capped buffer
 * that keeps counting past the cap (struct tool_buf), turn the bytes into
 * valid UTF-8 for JSON (common/utf8.h), reply with a message (tool_ok,
 * tool_fail), open and read a file beneath the project (tool_open_regular,
 * tool_read_fd). Those live in tool_common.c. A few helpers belong to one
 * tool and are shared with another; they are declared here too, under
 * their file's prefix: replacing a file atomically (tool_write_file, used
 * by Edit and MultiEdit), the glob matcher and the tree walk (tool_glob_*,
 * used by Grep), one in-memory edit (tool_edit_*, used by MultiEdit).
 *
 * Return convention (docs/decisions.md, Code conventions): 0 = go on; a
 * positive value = a tool error was written into the struct tool_out (the tool
 * returns 0 to its caller); a negative errno = a worker-level failure (out of
 * memory).
 *
 * This header is not part of the worker's interface (tool.h is); only
 * tool_*.c include it.
 */
#ifndef GAO_WORKER_TOOL_COMMON_H
#define GAO_WORKER_TOOL_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <stdint.h>
#include <sys/stat.h>

#include <jansson.h>

#include "worker/tool.h"

/* Size of the error message buffers the tools use. */
#define TOOL_ERRLEN 1024
/* Output cap used when ctx->output_max is 0. */
#define TOOL_OUTPUT_DEFAULT 30000
/* Largest file Edit, MultiEdit and Grep load into memory. */
#define TOOL_FILE_MAX ((size_t)64 << 20)
/* Mode of files the tools create (before the umask). */
#define TOOL_FILE_MODE 0644
/* Bytes inspected for a NUL byte to call a file binary. */
#define TOOL_BINARY_PROBE 8192

/* ---- output ---------------------------------------------------------- */

/*
 * A growable buffer holding at most limit bytes; total counts every byte
 * offered, kept or not, and truncated says some were dropped.
 */
struct tool_buf {
	char *data;
	size_t len;
	size_t alloc;
	size_t limit;
	uint64_t total;
	bool truncated;
};

/* The effective output cap of ctx (TOOL_OUTPUT_DEFAULT when unset). */
size_t tool_output_limit(const struct tool_ctx *ctx);

/* Start an empty buffer that keeps at most limit bytes. */
void tool_buf_init(struct tool_buf *b, size_t limit);

/*
 * Offer n bytes: the part that fits under the limit is kept, all n are
 * counted. Returns 0 or -ENOMEM.
 */
int tool_buf_append(struct tool_buf *b, const void *p, size_t n);

/* tool_buf_append of a formatted string. Returns 0 or -ENOMEM. */
int tool_buf_printf(struct tool_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* True once the buffer has dropped bytes (later appends are only counted). */
bool tool_buf_full(const struct tool_buf *b);

/* Free the data; the buffer may be reused after tool_buf_init. */
void tool_buf_free(struct tool_buf *b);

/*
 * Turn the buffer into out->content: invalid UTF-8 (and NUL bytes) become
 * U+FFFD, the text is cut at a character boundary to the limit, and when
 * anything was dropped a marker "[output truncated: ...]" is added, ending
 * with hint when non-NULL. tail (may be NULL) is appended last, uncapped
 * (keep it short). Sets is_error, bytes = b->total, truncated, exit_code
 * -1. Frees the buffer in every case. Returns 0 or -ENOMEM (then *out is
 * left empty).
 */
int tool_buf_finish(struct tool_buf *b, bool is_error, const char *hint,
		    const char *tail, struct tool_out *out);

/*
 * Fill *out with a formatted message (sanitized), is_error true for
 * tool_fail, false for tool_ok. Return 1 (tool_fail) / 0 (tool_ok) on
 * success so a helper can "return tool_fail(...)", or -ENOMEM.
 */
int tool_fail(struct tool_out *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int tool_ok(struct tool_out *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- input ----------------------------------------------------------- */

/* 0 when input is a JSON object, else 1 with a tool error in *out. */
int tool_check_object(const json_t *input, struct tool_out *out);

/*
 * Field key of input as a string. Absent or null: with required, 1 and a
 * tool error naming the field; else 0 with *s = NULL. Present with another
 * type: 1 and a tool error naming the field and the expected type. On 0
 * with a value, *s borrows input's string and *len (may be NULL) is its
 * length (it may hold NUL bytes).
 */
int tool_arg_string(const json_t *input, const char *key, bool required,
		    const char **s, size_t *len, struct tool_out *out);

/* tool_arg_string for a path or pattern: also refuses NUL bytes. */
int tool_arg_text(const json_t *input, const char *key, bool required,
		  const char **s, struct tool_out *out);

/*
 * Boolean field key: absent or null leaves *v unchanged and returns 0;
 * true/false stores it; another type gives 1 with a tool error.
 */
int tool_arg_bool(const json_t *input, const char *key, bool *v,
		  struct tool_out *out);

/*
 * Non-negative integer field key (an integral JSON real is accepted).
 * Absent or null leaves *v unchanged, *present (may be NULL) false;
 * returns 0. A negative, fractional or non-number value gives 1 with a
 * tool error.
 */
int tool_arg_uint(const json_t *input, const char *key, uint64_t *v,
		  bool *present, struct tool_out *out);

/* ---- time ------------------------------------------------------------ */

/* The deadline timeout_ms from now, or 0 (none) when timeout_ms is 0. */
uint64_t tool_deadline(uint32_t timeout_ms);

/* ---- files ----------------------------------------------------------- */

/*
 * Open path beneath the project for reading a regular file (O_NONBLOCK,
 * so a FIFO cannot block us). On 0 stores an fd the caller owns in *fd and
 * its stat in *st. A directory, a non-regular file or a failed lookup
 * gives 1 with a tool error in *out; -ENOMEM is fatal.
 */
int tool_open_regular(const struct tool_ctx *ctx, const char *path, int *fd,
		      struct stat *st, struct tool_out *out);

/*
 * Read fd to EOF into a new buffer (NUL-terminated; the caller frees).
 * Returns 0, -EFBIG when the file holds more than max bytes, or another
 * negative errno.
 */
int tool_read_fd(int fd, size_t max, char **buf, size_t *len);

/*
 * Normalise a relative path for display as a prefix: leading "./" and
 * trailing slashes removed; "." becomes "". In place; returns rel.
 */
char *tool_rel_tidy(char *rel);

/* ---- shared between tools -------------------------------------------- */

/*
 * Give path (beneath the project) the content data[0..len), creating
 * missing parents; a failure leaves the file as it was. Symlinks are
 * followed beneath the project to the entry they name (links kept). A
 * regular file is replaced atomically (temp file in its directory, its
 * permission bits st_mode & 0777 kept, rename); a hard-linked file is
 * rewritten in place after a trial write of the content beside it; a new
 * file gets TOOL_FILE_MODE. *created says whether the file is new.
 * Returns 0, or a negative errno with a message for the agent in err (a
 * directory target: -EISDIR). Implemented in tool_write.c.
 */
int tool_write_file(const struct tool_ctx *ctx, const char *path,
		    const void *data, size_t len, bool *created, char *err,
		    size_t errlen);

/* Hard bounds of a walk (the fds held are one per level). */
#define TOOL_GLOB_DEPTH_MAX 64
#define TOOL_GLOB_ENTRIES_MAX 1000000

/* One non-directory entry the walk found. */
struct tool_glob_ent {
	const char *rel;    /* path relative to the project */
	const char *sub;    /* path relative to the walk's base */
	int dirfd;          /* the directory holding it (borrowed) */
	const char *name;   /* its name in dirfd */
	unsigned char type; /* DT_REG, DT_LNK, or another DT_ value */
};

/*
 * Callback: 0 goes on, 1 stops the walk (not an error), a negative errno
 * aborts it.
 */
typedef int (*tool_glob_walk_fn)(void *arg, const struct tool_glob_ent *e);

struct tool_glob_walk {
	tool_glob_walk_fn fn;
	void *arg;
	unsigned max_depth;   /* most components of a path below the base;
			       * 0 = the hard bound */
	uint64_t deadline_ms; /* clock_now_ms() value; 0 = none */
	/* results */
	size_t visited;      /* entries seen */
	const char *stopped; /* why the walk stopped early, or NULL */
};

/*
 * Walk the directory dirfd (borrowed; base_rel is its path relative to the
 * project, "." for the root) in name order, calling w->fn for every entry
 * that is not a directory. Never follows a symlink to a directory, never
 * enters ".git", never leaves the tree: every subdirectory is opened with
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) from its parent.
 * Unreadable directories are skipped. Stops early (setting w->stopped) at
 * the deadline or after TOOL_GLOB_ENTRIES_MAX entries; paths deeper than
 * TOOL_GLOB_DEPTH_MAX components are skipped (also noted in w->stopped).
 * Returns 0 (also when the callback stopped the walk) or a negative
 * errno. Implemented in tool_glob.c.
 */
int tool_glob_walk_run(struct tool_glob_walk *w, int dirfd,
		       const char *base_rel);

/*
 * A compiled glob: brace alternatives ("*.{c,h}") expanded, each split in
 * path components; "**" matches any number of components, other
 * components use fnmatch(3) ("*", "?", "[...]"). Implemented in
 * tool_glob.c.
 */
struct tool_glob_pat {
	char **alts;    /* alternative i: its components, '\0'-separated */
	size_t *ncomps; /* number of components of alternative i */
	size_t nalts;
	unsigned max_depth; /* components of the longest alternative */
	bool globstar;      /* some alternative has "**" (depth unbounded) */
};

/*
 * Compile pattern. Returns 0, 1 with a tool error in *out (empty pattern,
 * too many brace alternatives), or -ENOMEM. Release with tool_glob_free.
 */
int tool_glob_compile(const char *pattern, struct tool_glob_pat *p,
		      struct tool_out *out);

/* True when the relative path matches one of p's alternatives. */
bool tool_glob_match(const struct tool_glob_pat *p, const char *path);

/* Release p's memory; a zeroed or freed p is fine. */
void tool_glob_free(struct tool_glob_pat *p);

/*
 * The order Glob and Grep list files in: newer modification time first,
 * then by relative path (strcmp). Negative when (ta, ra) sorts before
 * (tb, rb), 0 when equal. Implemented in tool_glob.c.
 */
int tool_glob_newer_first(const struct timespec *ta, const char *ra,
			  const struct timespec *tb, const char *rb);

/* One replacement: Edit's input, or one of MultiEdit's edits. */
struct tool_edit_op {
	const char *old; /* old_string, oldlen bytes */
	size_t oldlen;
	const char *rep; /* new_string, replen bytes */
	size_t replen;
	bool all; /* replace_all: every occurrence, not just the one */
};

/*
 * One edit of an in-memory file: replace op->old by op->rep in *buf (*len
 * bytes), the single occurrence, or every non-overlapping one with
 * op->all. path only names the file in messages. On success replaces *buf
 * (the old buffer is freed; the caller owns the new one), updates *len,
 * stores the number of replacements in *count and returns 0. When old is
 * empty, equal to rep, absent, or found several times without all, or the
 * result would exceed TOOL_FILE_MAX, leaves *buf alone, writes a message
 * for the agent into err and returns 1. Returns -ENOMEM when out of
 * memory. Implemented in tool_edit.c, shared with MultiEdit.
 */
int tool_edit_step(const char *path, char **buf, size_t *len,
		   const struct tool_edit_op *op, size_t *count, char *err,
		   size_t errlen);

/*
 * Load path (beneath the project) for editing into *buf / *len (the caller
 * frees *buf). Returns 0, 1 with a tool error in *out (missing, directory,
 * larger than TOOL_FILE_MAX), or -ENOMEM. Implemented in tool_edit.c.
 */
int tool_edit_load(const struct tool_ctx *ctx, const char *path, char **buf,
		   size_t *len, struct tool_out *out);

#endif
