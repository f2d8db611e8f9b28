/*
 * boilerplate.c - see boilerplate.h.
 */
#include "supervisor/run/boilerplate.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct copy {
	long files;
	unsigned long long bytes;
	json_t *warnings;
	int owner;
	char *err;
	size_t errlen;
};

static int
copy_file(struct copy *c, int sfd, int ddir, const char *name, mode_t mode)
{
	char buf[65536];
	ssize_t n;
	int out = openat(ddir, name,
			 O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
			 mode & 0777);
	int rc = 0;

	if (out < 0) {
		snprintf(c->err, c->errlen, "%s: %s", name, strerror(errno));
		return -1;
	}
	while ((n = read(sfd, buf, sizeof(buf))) > 0) {
		c->bytes += (unsigned long long)n;
		if (c->bytes > BOILERPLATE_MAX_BYTES ||
		    write(out, buf, (size_t)n) != n) {
			snprintf(c->err, c->errlen, "%s: %s", name,
				 c->bytes > BOILERPLATE_MAX_BYTES ?
					 "template larger than 512 MiB" :
					 strerror(errno));
			rc = -1;
			break;
		}
	}
	if (n < 0)
		rc = -1;
	if (c->owner >= 0 && fchown(out, (uid_t)c->owner, (gid_t)c->owner) < 0)
		rc = -1;
	close(out);
	c->files++;
	return rc;
}

static int copy_dir(struct copy *c, int sdir, int ddir, int depth);

static int
copy_entry(struct copy *c, int sdir, int ddir, const char *name, int depth)
{
	struct stat st;
	int fd, sub, rc;

	if (fstatat(sdir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	if (S_ISDIR(st.st_mode)) {
		if (mkdirat(ddir, name, 0700) < 0 && errno != EEXIST)
			return -1;
		fd = openat(sdir, name,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		sub = openat(ddir, name,
			     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		rc = fd < 0 || sub < 0 ? -1 : copy_dir(c, fd, sub, depth + 1);
		if (rc == 0 && c->owner >= 0 &&
		    fchown(sub, (uid_t)c->owner, (gid_t)c->owner) < 0)
			rc = -1;
		if (fd >= 0)
			close(fd);
		if (sub >= 0)
			close(sub);
		return rc;
	}
	if (!S_ISREG(st.st_mode)) {
		json_array_append_new(
			c->warnings,
			json_sprintf("boilerplate: %s skipped (%s)", name,
				     S_ISLNK(st.st_mode) ?
					     "a symlink is never followed" :
					     "not a regular file"));
		return 0;
	}
	if (++c->files > BOILERPLATE_MAX_FILES) {
		snprintf(c->err, c->errlen, "template has more than %d files",
			 BOILERPLATE_MAX_FILES);
		return -1;
	}
	c->files--;
	fd = openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
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

long
boilerplate_copy(const char *src, int dst_fd, int owner, json_t *warnings,
		 char *err, size_t errlen)
{
	struct copy c = { .warnings = warnings,
			  .owner = owner,
			  .err = err,
			  .errlen = errlen };
	int sfd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	err[0] = 0;
	if (sfd < 0) {
		snprintf(err, errlen, "boilerplate_path %s: %s", src,
			 strerror(errno));
		return -1;
	}
	rc = copy_dir(&c, sfd, dst_fd, 0);
	close(sfd);
	return rc < 0 ? -1 : c.files;
}
