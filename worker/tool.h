/*
 * tool.h - the tools a worker runs: Read, Write, Edit, MultiEdit, Glob,
 * Grep and Bash (TodoWrite lives in the supervisor: it touches no files).
 *
 * Design note
 * -----------
 * Each tool is one file (tool_<name>.c) with one entry point of type
 * tool_fn. A tool gets the project directory as an fd and resolves every
 * path beneath it with openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)
 * (pathres.h): the kernel, not a string check, keeps paths inside the
 * project, so symlinks and races cannot escape. Input fields use Claude
 * Code's names (file_path, content, offset, limit, old_string, new_string,
 * replace_all, command, timeout, ...). A tool never exits and never writes
 * to stdout/stderr; everything the agent should read goes into
 * tool_out.content, which the tool fills with valid UTF-8 of at most
 * ctx->output_max bytes (plus the truncation marker).
 *
 * These functions run unconfined in unit tests and confined in the worker;
 * they must not assume either.
 */
#ifndef GAO_WORKER_TOOL_H
#define GAO_WORKER_TOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct bash_jobs;

struct tool_ctx {
	int project_fd;              /* O_DIRECTORY fd of the project root */
	const char *project_dir;     /* absolute path the agent sees */
	size_t output_max;           /* cap on tool_out.content, bytes */
	uint32_t timeout_default_ms; /* Bash default timeout */
	uint32_t timeout_max_ms;     /* Bash maximum timeout */
	bool allow_exec;             /* Bash may run */
	struct bash_jobs *jobs;      /* Bash: background jobs and the sweep of
				      * leftovers (bash_jobs.h); NULL: none */
	const char *tmp_dir;         /* the agent's $TMPDIR (absolute), counted
				      * by tool_measure with the project;
				      * NULL: none */
};

struct tool_out {
	bool is_error;
	char *content;     /* malloc'ed UTF-8, NUL-terminated; caller frees */
	int64_t exit_code; /* Bash: exit status (128+sig when killed); else -1
			    */
	uint64_t bytes;    /* size of the full output before capping */
	bool truncated;
};

/*
 * A tool entry point. input is the tool_use input object (borrowed).
 * timeout_ms is the deadline the supervisor gave this call (0 = none).
 * Returns 0 when *out was filled (a tool failure the agent should read is
 * out->is_error = true with a message, still return 0); returns a negative
 * errno only for a worker-level failure (out of memory), after which *out
 * holds nothing to free.
 */
typedef int (*tool_fn)(const struct tool_ctx *ctx, const json_t *input,
		       uint32_t timeout_ms, struct tool_out *out);

int tool_read(const struct tool_ctx *, const json_t *, uint32_t,
	      struct tool_out *);
int tool_write(const struct tool_ctx *, const json_t *, uint32_t,
	       struct tool_out *);
int tool_edit(const struct tool_ctx *, const json_t *, uint32_t,
	      struct tool_out *);
int tool_multiedit(const struct tool_ctx *, const json_t *, uint32_t,
		   struct tool_out *);
int tool_glob(const struct tool_ctx *, const json_t *, uint32_t,
	      struct tool_out *);
int tool_grep(const struct tool_ctx *, const json_t *, uint32_t,
	      struct tool_out *);
int tool_bash(const struct tool_ctx *, const json_t *, uint32_t,
	      struct tool_out *);
/* Not a model's tool: the run's project watch (tool_measure.c). */
int tool_measure(const struct tool_ctx *, const json_t *, uint32_t,
		 struct tool_out *);

/* The tool named name ("Read", ...), or NULL when the worker has none. */
tool_fn tool_lookup(const char *name);

/* Release out->content and zero *out. */
void tool_out_clear(struct tool_out *out);

#endif
