/*
 * tool_measure.c - gao_measure: how many bytes and entries the project
 * holds, for the run's disk and file caps (supervisor/agent/watch.h).
 *
 * Design note
 * -----------
 * Nothing in the kernel caps a directory tree's size here, so the run
 * watches it; the supervisor never walks the agent's tree itself, it asks
 * the agent's own confined worker after every call that can write. This
 * is not a tool a model can call: the supervisor offers the model only
 * the tools in its definitions, and grants this one to the worker alone.
 *
 * The walk starts from the project's fd and opens every directory with
 * openat(O_DIRECTORY | O_NOFOLLOW) below its parent's fd, and looks at
 * every entry with fstatat(AT_SYMLINK_NOFOLLOW): no path is resolved, no
 * symlink followed, nothing outside the project reached. It is bounded:
 * it stops as soon as a cap is passed ("over"), at a depth of
 * MEASURE_MAX_DEPTH, and at three quarters of the call's deadline; a
 * directory it cannot read, a tree too deep or a deadline reached make
 * the answer "incomplete", which the supervisor treats as over the cap
 * (fail closed: what cannot be measured cannot be shown to be small).
 *
 * The agent's temporary directory (ctx->tmp_dir: $TMPDIR, set by the
 * supervisor when it started the worker: a directory of the run on the same
 * disk, where Bash's background jobs write too) is walked the same way and
 * counted with the project, so files parked there are no way around the caps.
 * When it is set but cannot be opened, the answer is "incomplete".
 *
 * Bytes are the space allocated (st_blocks * 512) of every entry,
 * directories included, so sparse files count for what they use; an
 * inode with several hard links counts once per link. Entries are every
 * name below the project (files, directories, links, others).
 *
 * Input: {"max_bytes": N, "max_files": N} (0 = no cap of that kind).
 * Output: one line "measure <bytes> <entries> complete|over|incomplete",
 * then, when incomplete, a line saying why.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/clock.h"
#include "worker/tool.h"

#define MEASURE_MAX_DEPTH 200

enum walk_state { WALK_OK, WALK_OVER, WALK_INCOMPLETE };

struct walk {
	uint64_t bytes, entries;
	uint64_t max_bytes, max_files;
	uint64_t deadline_ms;
	uint64_t seen;
	enum walk_state state;
	const char *why;
};

static void
stop_incomplete(struct walk *w, const char *why)
{
	if (w->state == WALK_OK) {
		w->state = WALK_INCOMPLETE;
		w->why = why;
	}
}

/* Count one entry; false when the walk must stop. */
static bool
count(struct walk *w, const struct stat *st)
{
	w->entries++;
	w->bytes += (uint64_t)st->st_blocks * 512u;
	if ((w->max_files && w->entries > w->max_files) ||
	    (w->max_bytes && w->bytes > w->max_bytes)) {
		w->state = WALK_OVER;
		return false;
	}
	if ((++w->seen & 1023u) == 0 && clock_now_ms() > w->deadline_ms) {
		stop_incomplete(w, "the measurement ran out of time");
		return false;
	}
	return true;
}

static void walk_dir(struct walk *w, int fd, int depth);

/* A subdirectory name of dir d: open it beneath d and walk it. */
static void
descend(struct walk *w, DIR *d, const char *name, int depth)
{
	int fd;

	if (depth >= MEASURE_MAX_DEPTH) {
		stop_incomplete(w, "the project is nested too deeply to "
				   "measure (more than 200 levels)");
		return;
	}
	fd = openat(dirfd(d), name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		/* gone, or replaced by a link or a file meanwhile: it was
		 * counted as what it was */
		if (errno == ENOENT || errno == ELOOP || errno == ENOTDIR)
			return;
		stop_incomplete(w, "a directory in the project cannot be "
				   "read (its permissions were changed?)");
		return;
	}
	walk_dir(w, fd, depth + 1);
}

/* Walk the directory open at fd (consumed). */
static void
walk_dir(struct walk *w, int fd, int depth)
{
	DIR *d = fdopendir(fd);
	struct dirent *e;
	struct stat st;

	if (!d) {
		close(fd);
		stop_incomplete(w, "a directory could not be listed");
		return;
	}
	for (;;) {
		errno = 0;
		e = readdir(d);
		if (!e) {
			if (errno)
				stop_incomplete(w, "a directory could not be "
						   "listed to its end");
			break;
		}
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) <
		    0) {
			if (errno == ENOENT)
				continue; /* removed meanwhile */
			stop_incomplete(w, "an entry could not be examined");
			break;
		}
		if (!count(w, &st))
			break;
		if (S_ISDIR(st.st_mode))
			descend(w, d, e->d_name, depth);
		if (w->state != WALK_OK)
			break;
	}
	closedir(d);
}

/* The worker's own $TMPDIR (ctx->tmp_dir, from the worker's environment,
 * which no command can change), counted with the project. */
static void
walk_tmp(struct walk *w, const char *tmp)
{
	int fd;

	if (!tmp || tmp[0] != '/')
		return;
	fd = open(tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		stop_incomplete(w, "the temporary directory cannot be read");
	else
		walk_dir(w, fd, 0);
}

static uint64_t
cap_of(const json_t *input, const char *key)
{
	const json_t *v = json_object_get(input, key);

	return json_is_integer(v) && json_integer_value(v) > 0 ?
		       (uint64_t)json_integer_value(v) :
		       0;
}

int
tool_measure(const struct tool_ctx *ctx, const json_t *input,
	     uint32_t timeout_ms, struct tool_out *out)
{
	static const char *const words[] = { "complete", "over", "incomplete" };
	struct walk w = {
		.max_bytes = cap_of(input, "max_bytes"),
		.max_files = cap_of(input, "max_files"),
		.deadline_ms = clock_now_ms() +
			       (timeout_ms ? (uint64_t)timeout_ms * 3 / 4 :
					     10000),
	};
	int fd = openat(ctx->project_fd, ".",
			O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	char *text = NULL;

	if (fd < 0)
		stop_incomplete(&w, "the project directory cannot be read");
	else
		walk_dir(&w, fd, 0);
	if (w.state == WALK_OK)
		walk_tmp(&w, ctx->tmp_dir);
	if (asprintf(&text, "measure %" PRIu64 " %" PRIu64 " %s\n%s", w.bytes,
		     w.entries, words[w.state],
		     w.state == WALK_INCOMPLETE ? w.why : "") < 0)
		return -ENOMEM;
	out->content = text;
	out->bytes = strlen(text);
	out->exit_code = -1;
	return 0;
}
