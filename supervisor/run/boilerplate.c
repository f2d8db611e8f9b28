/*
 * boilerplate.c - see boilerplate.h.
 */
#include "supervisor/run/boilerplate.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "supervisor/core/secret.h"

#define CHUNK 65536
#define CARRY 1024 /* >= the longest key (secret.c's SECRET_MAX) */

struct copy {
	long files;
	unsigned long long bytes;
	json_t *warnings;
	int owner;
	bool scan; /* boilerplate_check: read and judge, write nothing */
	char rel[PATH_MAX]; /* the directory being walked, for messages */
	char *err;
	size_t errlen;
};

static void
key_found(struct copy *c, const char *name)
{
	snprintf(c->err, c->errlen,
		 "boilerplate: %s%s holds the API key: gao-dev never copies "
		 "the key into a project; remove it from the template",
		 c->rel, name);
}

/*
 * Read the file sfd in chunks, each searched for the key together with
 * the last bytes of the one before (a key across the cut is found), and
 * written to out (unless scanning). 0, 1 when the key was found, or -1.
 */
static int
pass_bytes(struct copy *c, int sfd, int out, const char *name)
{
	/* static: the supervisor is one thread, and 65 KiB is a lot of
	 * stack; wiped after every file (it may hold a part of the key) */
	static char buf[CARRY + CHUNK];
	size_t keep = secret_max_len(), carry = 0;
	ssize_t n;
	int rc = 0;

	keep = keep > CARRY ? CARRY : keep;
	while ((n = read(sfd, buf + carry, CHUNK)) > 0) {
		size_t have = carry + (size_t)n;

		c->bytes += (unsigned long long)n;
		if (secret_find(buf, have)) {
			key_found(c, name);
			rc = 1;
			break;
		}
		if (c->bytes > BOILERPLATE_MAX_BYTES ||
		    (out >= 0 && write(out, buf + carry, (size_t)n) != n)) {
			snprintf(c->err, c->errlen, "%s: %s", name,
				 c->bytes > BOILERPLATE_MAX_BYTES ?
					 "template larger than 512 MiB" :
					 strerror(errno));
			rc = -1;
			break;
		}
		carry = keep > 1 ? (have < keep - 1 ? have : keep - 1) : 0;
		memmove(buf, buf + have - carry, carry);
	}
	if (n < 0)
		rc = -1;
	explicit_bzero(buf, sizeof(buf));
	return rc;
}

static int
copy_file(struct copy *c, int sfd, int ddir, const char *name, mode_t mode)
{
	int out = -1, rc;

	if (!c->scan) {
		out = openat(ddir, name,
			     O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
				     O_NOFOLLOW,
			     mode & 0777);
		if (out < 0) {
			snprintf(c->err, c->errlen, "%s: %s", name,
				 strerror(errno));
			return -1;
		}
	}
	rc = pass_bytes(c, sfd, out, name);
	if (rc == 0 && out >= 0 && c->owner >= 0 &&
	    fchown(out, (uid_t)c->owner, (gid_t)c->owner) < 0)
		rc = -1;
	if (out >= 0) {
		close(out);
		/* a part of the key may be in what was written */
		if (rc > 0)
			unlinkat(ddir, name, 0);
	}
	c->files++;
	return rc ? -1 : 0;
}

static int copy_dir(struct copy *c, int sdir, int ddir, int depth);

/* A directory: make its copy (unless scanning) and walk it. */
static int
copy_subdir(struct copy *c, int sdir, int ddir, const char *name, int depth)
{
	size_t base = strlen(c->rel);
	int fd, sub = -1, rc;

	if (!c->scan && mkdirat(ddir, name, 0700) < 0 && errno != EEXIST)
		return -1;
	fd = openat(sdir, name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (!c->scan)
		sub = openat(ddir, name,
			     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	snprintf(c->rel + base, sizeof(c->rel) - base, "%s/", name);
	rc = fd < 0 || (!c->scan && sub < 0) ? -1 :
					       copy_dir(c, fd, sub, depth + 1);
	c->rel[base] = 0;
	if (rc == 0 && sub >= 0 && c->owner >= 0 &&
	    fchown(sub, (uid_t)c->owner, (gid_t)c->owner) < 0)
		rc = -1;
	if (fd >= 0)
		close(fd);
	if (sub >= 0)
		close(sub);
	return rc;
}

/* The key file is never copied, whether stat'ed or opened as it: -1. */
static int
refuse_secret(struct copy *c, const char *name)
{
	snprintf(c->err, c->errlen,
		 "boilerplate: %s%s is the file the API key was read "
		 "from: gao-dev never copies it into a project; "
		 "remove it from the template",
		 c->rel, name);
	return -1;
}

static int
copy_entry(struct copy *c, int sdir, int ddir, const char *name, int depth)
{
	struct stat st;
	int fd, rc;

	if (fstatat(sdir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	if (S_ISDIR(st.st_mode))
		return copy_subdir(c, sdir, ddir, name, depth);
	if (!S_ISREG(st.st_mode)) {
		if (!c->scan)
			json_array_append_new(
				c->warnings,
				json_sprintf("boilerplate: %s skipped (%s)",
					     name,
					     S_ISLNK(st.st_mode) ?
						     "a symlink is never "
						     "followed" :
						     "not a regular file"));
		return 0;
	}
	if (secret_is_source(&st))
		return refuse_secret(c, name);
	if (++c->files > BOILERPLATE_MAX_FILES) {
		snprintf(c->err, c->errlen, "template has more than %d files",
			 BOILERPLATE_MAX_FILES);
		return -1;
	}
	c->files--;
	fd = openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* the identity of what was opened, not of what was stat'ed */
	if (fstat(fd, &st) == 0 && secret_is_source(&st)) {
		close(fd);
		return refuse_secret(c, name);
	}
	rc = copy_file(c, fd, ddir, name, st.st_mode);
	close(fd);
	return rc;
}

static int
copy_dir(struct copy *c, int sdir, int ddir, int depth)
{
	int fd = fcntl(sdir, F_DUPFD_CLOEXEC, 0);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *e;
	int rc = 0;

	if (!d || depth > 64) {
		if (d)
			closedir(d);
		else if (fd >= 0)
			close(fd);
		snprintf(c->err, c->errlen, "template too deep or unreadable");
		return -1;
	}
	while (rc == 0 && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    !strcmp(e->d_name, ".git"))
			continue;
		rc = copy_entry(c, sdir, ddir, e->d_name, depth);
		if (rc < 0 && !c->err[0])
			snprintf(c->err, c->errlen, "%s: %s", e->d_name,
				 strerror(errno));
	}
	closedir(d);
	return rc;
}

/* Open the template: the canonical path the config check resolved, with
 * no symlink anywhere on it (one swapped in since is refused). */
static int
open_template(const char *src)
{
	struct open_how how = {
		.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, AT_FDCWD, src, &how, sizeof(how));

	/* a kernel without openat2 (before 5.6): the plain open */
	if (fd < 0 && errno == ENOSYS)
		fd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return (int)fd;
}

static long
walk(const char *src, int dst_fd, int owner, bool scan, json_t *warnings,
     char *err, size_t errlen)
{
	struct copy c = { .warnings = warnings,
			  .owner = owner,
			  .scan = scan,
			  .err = err,
			  .errlen = errlen };
	int sfd = open_template(src);
	int rc;

	err[0] = 0;
	if (sfd < 0) {
		snprintf(err, errlen, "boilerplate_path %s: %s%s", src,
			 strerror(errno),
			 errno == ELOOP ? " (a symlink on the path)" : "");
		return -1;
	}
	rc = copy_dir(&c, sfd, dst_fd, 0);
	close(sfd);
	return rc < 0 ? -1 : c.files;
}

long
boilerplate_copy(const char *src, int dst_fd, int owner, json_t *warnings,
		 char *err, size_t errlen)
{
	return walk(src, dst_fd, owner, false, warnings, err, errlen);
}

int
boilerplate_check(const char *src, char *err, size_t errlen)
{
	return walk(src, -1, -1, true, NULL, err, errlen) < 0 ? -1 : 0;
}
