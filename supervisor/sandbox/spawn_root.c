/*
 * spawn_root.c - see spawn_root.h.
 */
#include "supervisor/sandbox/spawn_root.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ROOT_MAX_ENTRIES 128
#define ROOT_POOL (4 * PATH_MAX + 16384)
#define ROOT_OLD "/.oldroot"
/* The staging mount point in the old root; pivoted away at once, so the
 * host's /tmp below it stays reachable at /.oldroot/tmp. */
#define ROOT_STAGE "/tmp"

enum root_kind {
	ROOT_DIR,     /* an empty directory */
	ROOT_SYMLINK, /* path -> target */
	ROOT_BIND,    /* the host's path, at the same path */
	ROOT_TMPFS,   /* the private /tmp */
	ROOT_PROC,    /* /proc */
};

enum root_flag {
	ROOT_RO = 1u << 0,  /* read-only */
	ROOT_DEV = 1u << 1, /* a device node: no nodev */
	ROOT_ISDIR = 1u << 2,
};

struct root_entry {
	uint8_t kind;
	uint8_t flags;
	uint32_t path;   /* offsets into pool */
	uint32_t target; /* ROOT_SYMLINK */
};

struct spawn_root {
	size_t n;
	struct root_entry e[ROOT_MAX_ENTRIES];
	size_t used;
	char pool[ROOT_POOL];
};

/*
 * What programs need of /etc (the dynamic loader, Debian's alternatives,
 * user and host names, DNS, TLS roots, the time zone, file types, shells
 * and language runtimes' own configuration). A trailing '*' is a prefix.
 * Left out on purpose: secrets (shadow, sudoers, ssh), the machine's
 * identity (machine-id, hostname), services' configuration, and
 * gitconfig (git in the service worker takes no host configuration).
 */
static const char *const etc_keep[] = {
	"alternatives",
	"bash.bashrc",
	"ca-certificates",
	"ca-certificates.conf",
	"crypto-policies",
	"debian_version",
	"fonts",
	"fpc*",
	"gai.conf",
	"gdb",
	"gnucobol",
	"group",
	"host.conf",
	"hosts",
	"ImageMagick*",
	"inputrc",
	"java*",
	"ld.so.cache",
	"ld.so.conf",
	"ld.so.conf.d",
	"locale.alias",
	"localtime",
	"lsb-release",
	"magic",
	"magic.mime",
	"maven",
	"mime.types",
	"mtab",
	"netconfig",
	"networks",
	"npmrc",
	"nsswitch.conf",
	"os-release",
	"passwd",
	"perl",
	"pip.conf",
	"pki",
	"profile",
	"profile.d",
	"protocols",
	"python3*",
	"resolv.conf",
	"rpc",
	"services",
	"sgml",
	"shells",
	"ssl",
	"terminfo",
	"timezone",
	"vim",
	"wgetrc",
	"xml",
};

/* The device nodes a worker gets, and /dev's links. */
static const char *const dev_nodes[] = {
	"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom",
};

static const struct {
	const char *path, *target;
} dev_links[] = {
	{ "/dev/fd", "/proc/self/fd" },
	{ "/dev/stdin", "/proc/self/fd/0" },
	{ "/dev/stdout", "/proc/self/fd/1" },
	{ "/dev/stderr", "/proc/self/fd/2" },
};

#define ROOT_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the plan (parent) ------------------------------------------------ */

static int
pool_add(struct spawn_root *r, const char *s, uint32_t *off)
{
	size_t len = strlen(s) + 1;

	if (len > PATH_MAX)
		return -ENAMETOOLONG;
	if (r->used + len > sizeof(r->pool))
		return -E2BIG;
	memcpy(r->pool + r->used, s, len);
	*off = (uint32_t)r->used;
	r->used += len;
	return 0;
}

static int
add(struct spawn_root *r, enum root_kind kind, unsigned flags, const char *path,
    const char *target)
{
	struct root_entry *e;
	int rc;

	if (path[0] != '/')
		return -EINVAL;
	if (r->n >= ROOT_MAX_ENTRIES)
		return -E2BIG;
	e = &r->e[r->n];
	memset(e, 0, sizeof(*e));
	e->kind = (uint8_t)kind;
	e->flags = (uint8_t)flags;
	rc = pool_add(r, path, &e->path);
	if (rc == 0 && target)
		rc = pool_add(r, target, &e->target);
	if (rc == 0)
		r->n++;
	return rc;
}

/* The host's path as it is: a symlink recreated, a directory or file
 * bound (flags added); nothing when it does not exist. */
static int
add_host(struct spawn_root *r, const char *path, unsigned flags)
{
	char target[PATH_MAX];
	struct stat st;
	ssize_t n;

	if (lstat(path, &st) < 0)
		return 0;
	if (S_ISLNK(st.st_mode)) {
		n = readlink(path, target, sizeof(target) - 1);
		if (n < 0)
			return 0;
		target[n] = 0;
		return add(r, ROOT_SYMLINK, 0, path, target);
	}
	if (S_ISDIR(st.st_mode))
		flags |= ROOT_ISDIR;
	else if (!S_ISREG(st.st_mode) && !(flags & ROOT_DEV))
		return 0;
	return add(r, ROOT_BIND, flags, path, NULL);
}

static bool
etc_wanted(const char *name)
{
	for (size_t i = 0; i < ROOT_COUNT(etc_keep); i++) {
		const char *k = etc_keep[i];
		size_t n = strlen(k);

		if (k[n - 1] == '*' ? !strncmp(name, k, n - 1) :
				      !strcmp(name, k))
			return true;
	}
	return false;
}

/* /etc as a directory of the root with the curated entries bound. */
static int
add_etc(struct spawn_root *r)
{
	char path[PATH_MAX];
	struct dirent *d;
	DIR *dir = opendir("/etc");
	int rc;

	if (!dir)
		return 0;
	rc = add(r, ROOT_DIR, 0, "/etc", NULL);
	while (rc == 0 && (d = readdir(dir)) != NULL) {
		if (d->d_name[0] == '.' || !etc_wanted(d->d_name))
			continue;
		size_t n = strlen(d->d_name);

		if (n + 6 > sizeof(path))
			continue;
		memcpy(path, "/etc/", 5);
		memcpy(path + 5, d->d_name, n);
		path[5 + n] = '\0';
		rc = add_host(r, path, ROOT_RO);
	}
	closedir(dir);
	return rc;
}

/* True when an ancestor of path (or path itself) is among the first n
 * policy paths, so binding that one covers it (MS_REC). /etc covers
 * nothing: it is curated. */
static bool
covered(char *const *ro, size_t n, const char *path)
{
	for (size_t j = 0; j < n; j++) {
		size_t len = ro[j] ? strlen(ro[j]) : 0;

		if (len && strcmp(ro[j], "/etc") != 0 &&
		    !strncmp(path, ro[j], len) &&
		    (path[len] == '/' || path[len] == 0))
			return true;
	}
	return false;
}

/* A policy path; a symlink also brings its target (as Landlock, which
 * follows it, grants the target), unless another policy path covers it. */
static int
add_policy_path(struct spawn_root *r, const struct spawn_root_opts *o,
		const char *p)
{
	char real[PATH_MAX];
	struct stat st;
	int rc;

	if (!strcmp(p, "/etc"))
		return add_etc(r);
	rc = add_host(r, p, ROOT_RO);
	if (rc < 0 || lstat(p, &st) < 0 || !S_ISLNK(st.st_mode) ||
	    !realpath(p, real) || covered(o->ro_paths, o->n_ro, real))
		return rc;
	return add_host(r, real, ROOT_RO);
}

static int
add_policy_paths(struct spawn_root *r, const struct spawn_root_opts *o)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < o->n_ro; i++) {
		const char *p = o->ro_paths[i];

		if (!p || !strcmp(p, "/proc") || !strncmp(p, "/proc/", 6) ||
		    covered(o->ro_paths, i, p))
			continue;
		if (!strcmp(p, "/"))
			return 1; /* the whole host: no minimal root */
		rc = add_policy_path(r, o, p);
	}
	return rc;
}

static int
add_dev(struct spawn_root *r)
{
	int rc = add(r, ROOT_DIR, 0, "/dev", NULL);

	for (size_t i = 0; rc == 0 && i < ROOT_COUNT(dev_nodes); i++)
		rc = add_host(r, dev_nodes[i], ROOT_DEV);
	for (size_t i = 0; rc == 0 && i < ROOT_COUNT(dev_links); i++)
		rc = add(r, ROOT_SYMLINK, 0, dev_links[i].path,
			 dev_links[i].target);
	return rc;
}

static bool
same(const char *a, const char *b)
{
	return b && !strcmp(a, b);
}

/* A directory the worker works in: bound at its path when it exists. */
static int
add_workdir(struct spawn_root *r, const char *path, unsigned flags)
{
	struct stat st;

	if (!path || stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	return add(r, ROOT_BIND, flags | ROOT_ISDIR, path, NULL);
}

int
spawn_root_plan(const struct spawn_root_opts *o, struct spawn_root **out)
{
	struct spawn_root *r = calloc(1, sizeof(*r));
	int rc;

	*out = NULL;
	if (!r)
		return -ENOMEM;
	if (!o->project || o->project[0] != '/') {
		free(r);
		return -EINVAL;
	}
	rc = add_policy_paths(r, o);
	if (rc > 0) {
		free(r);
		return rc;
	}
	if (rc == 0)
		rc = add_dev(r);
	if (rc == 0)
		rc = add(r, ROOT_PROC, 0, "/proc", NULL);
	if (rc == 0)
		rc = add(r, ROOT_TMPFS, 0, "/tmp", NULL);
	/* after /tmp: any of them may lie below it */
	if (rc == 0)
		rc = add_workdir(r, o->project, 0);
	if (rc == 0)
		rc = add_workdir(r, o->tmp, 0);
	if (rc == 0)
		rc = add_workdir(r, o->extra_ro, ROOT_RO);
	for (size_t i = 0; rc == 0 && i < o->n_rw; i++)
		if (o->rw_paths[i] && !same(o->rw_paths[i], o->project) &&
		    !same(o->rw_paths[i], o->tmp))
			rc = add_workdir(r, o->rw_paths[i], 0);
	if (rc < 0) {
		free(r);
		return rc;
	}
	*out = r;
	return 0;
}

void
spawn_root_free(struct spawn_root *r)
{
	free(r);
}

/* ---- the build (child; syscalls only) --------------------------------- */

/* mkdir -p path (0755), in place; existing components are left alone. */
static int
make_dirs(char *path, bool last)
{
	size_t len = strlen(path);

	for (size_t i = 1; i <= len; i++) {
		if (path[i] != '/' && path[i] != 0)
			continue;
		if (path[i] == 0 && !last)
			break;
		path[i] = 0;
		if (mkdir(path, 0755) < 0 && errno != EEXIST) {
			if (i < len)
				path[i] = '/';
			return -1;
		}
		if (i < len)
			path[i] = '/';
	}
	return 0;
}

/* A copy of s in buf (cap bytes), behind prefix; -1 when too long. */
static int
join(char *buf, size_t cap, const char *prefix, const char *s)
{
	size_t a = strlen(prefix), b = strlen(s);

	if (a + b + 1 > cap) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, prefix, a);
	memcpy(buf + a, s, b);
	buf[a + b] = '\0';
	return 0;
}

/* The host mount's flags that a remount must keep (a user namespace
 * may not clear them), as MS_* bits. */
static unsigned long
kept_flags(const char *path)
{
	static const struct {
		unsigned long st, ms;
	} map[] = {
		{ ST_NOSUID, MS_NOSUID },         { ST_NODEV, MS_NODEV },
		{ ST_NOEXEC, MS_NOEXEC },         { ST_NOATIME, MS_NOATIME },
		{ ST_NODIRATIME, MS_NODIRATIME }, { ST_RELATIME, MS_RELATIME },
		{ ST_RDONLY, MS_RDONLY },
	};
	struct statfs sf;
	unsigned long f = 0;

	if (statfs(path, &sf) < 0)
		return 0;
	for (size_t i = 0; i < ROOT_COUNT(map); i++)
		if ((unsigned long)sf.f_flags & map[i].st)
			f |= map[i].ms;
	return f;
}

static int
build_bind(const struct spawn_root *r, const struct root_entry *e)
{
	char path[PATH_MAX], src[PATH_MAX + sizeof(ROOT_OLD)];
	unsigned long fl;
	int fd;

	if (join(path, sizeof(path), "", r->pool + e->path) < 0 ||
	    join(src, sizeof(src), ROOT_OLD, path) < 0)
		return -1;
	if (e->flags & ROOT_ISDIR) {
		if (make_dirs(path, true) < 0)
			return -1;
	} else {
		if (make_dirs(path, false) < 0)
			return -1;
		fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0444);
		if (fd < 0)
			return -1;
		close(fd);
	}
	if (mount(src, path, NULL, MS_BIND | MS_REC, NULL) < 0)
		return -1;
	fl = kept_flags(path) | MS_NOSUID;
	if (e->flags & ROOT_DEV)
		fl |= MS_NOEXEC;
	else
		fl |= MS_NODEV;
	if (e->flags & ROOT_RO)
		fl |= MS_RDONLY;
	return mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | fl, NULL);
}

/* /proc: a fresh one for the PID namespace (needs the old root's /proc
 * still attached: the kernel lets a namespace mount proc only where one
 * is fully visible), else the host's. */
static int
build_proc(bool pid_ns, bool *fresh)
{
	if (mkdir("/proc", 0555) < 0 && errno != EEXIST)
		return -1;
	if (pid_ns && mount("proc", "/proc", "proc",
			    MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0) {
		*fresh = true;
		return 0;
	}
	return mount(ROOT_OLD "/proc", "/proc", NULL, MS_BIND | MS_REC, NULL);
}

static int
build_entry(const struct spawn_root *r, const struct root_entry *e, bool pid_ns,
	    bool *proc_fresh)
{
	char path[PATH_MAX];

	if (join(path, sizeof(path), "", r->pool + e->path) < 0)
		return -1;
	switch (e->kind) {
	case ROOT_DIR:
		return make_dirs(path, true);
	case ROOT_SYMLINK:
		if (make_dirs(path, false) < 0)
			return -1;
		return symlink(r->pool + e->target, path);
	case ROOT_BIND:
		return build_bind(r, e);
	case ROOT_TMPFS:
		if (make_dirs(path, true) < 0)
			return -1;
		return mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV,
			     "mode=1777,size=1g");
	case ROOT_PROC:
		return build_proc(pid_ns, proc_fresh);
	default:
		errno = EINVAL;
		return -1;
	}
}

/* Stage, pivot, fill, detach the old root, seal. */
static int
build_root(const struct spawn_root *r, bool pid_ns, bool *proc_fresh)
{
	if (mount("tmpfs", ROOT_STAGE, "tmpfs", MS_NOSUID | MS_NODEV,
		  "mode=0755,size=1m,nr_inodes=4096") < 0 ||
	    chdir(ROOT_STAGE) < 0 || mkdir("." ROOT_OLD, 0700) < 0 ||
	    syscall(SYS_pivot_root, ".", "." ROOT_OLD) < 0 || chdir("/") < 0)
		return -1;
	for (size_t i = 0; i < r->n; i++)
		if (build_entry(r, &r->e[i], pid_ns, proc_fresh) < 0)
			return -1;
	if (umount2(ROOT_OLD, MNT_DETACH) < 0 || rmdir(ROOT_OLD) < 0)
		return -1;
	/* nothing in the root itself is for the worker to change */
	return mount(NULL, "/", NULL,
		     MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV,
		     "mode=0755,size=1m,nr_inodes=4096");
}

int
spawn_root_child_build(const struct spawn_root *r, bool pid_ns,
		       bool *proc_fresh)
{
	mode_t old_mask;
	int rc;

	*proc_fresh = false;
	/* the supervisor's umask (077) would make the directories above the
	 * project untraversable for the worker's uid */
	old_mask = umask(022);
	rc = build_root(r, pid_ns, proc_fresh);
	umask(old_mask);
	return rc;
}
