/*
 * cgroup.c - the run's cgroup: find the hierarchies, make it, limit it,
 * empty and remove it. See cgroup.h for the design note.
 *
 * Everything read here (/proc/self/cgroup, mountinfo, cgroup.procs) is
 * bounded: files are read into fixed buffers and a line that does not
 * parse is skipped, never trusted. Paths are built with snprintf and a
 * cut path is an error.
 */
#include "supervisor/sandbox/cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "common/io.h"
#include "common/pathbuf.h"

#define CG_FILE_MAX (64u << 10) /* /proc/self/cgroup, one cgroup.procs */
#define CG_INFO_MAX (1u << 20)  /* mountinfo */

enum cg_kind { CG_NONE, CG_V1, CG_V2 };

struct cgroup {
	enum cg_kind kind;
	int n; /* directories made: 1 or 2 */
	char dir[CGROUP_MAX_FDS][PATH_MAX];
	uint32_t ctl[CGROUP_MAX_FDS]; /* the controller(s) of each dir */
	int procs[CGROUP_MAX_FDS];    /* cgroup.procs, O_WRONLY */
	uint32_t enforced;
	bool fake;
};

void
cgroup_src_host(struct cgroup_src *src)
{
	*src = (struct cgroup_src){
		.proc_cgroup = "/proc/self/cgroup",
		.mountinfo = "/proc/self/mountinfo",
		.self = getpid(),
	};
}

/* Read at most cap-1 bytes of path, NUL-terminated: bytes, or -errno. */
static ssize_t
read_text(const char *path, char *buf, size_t cap)
{
	int fd = io_open(path, O_RDONLY, 0);
	ssize_t n;

	if (fd < 0)
		return fd;
	n = io_read_all(fd, buf, cap - 1);
	close(fd);
	buf[n < 0 ? 0 : n] = 0;
	return n;
}

/* Write text to dir/file (created in a fake tree): 0 or -errno. */
static int
write_ctl(const struct cgroup *cg, const char *dir, const char *file,
	  const char *text)
{
	char path[PATH_MAX];
	int fd, rc;

	if (pathbuf_fmt(path, sizeof(path), "%s/%s", dir, file) < 0)
		return -ENAMETOOLONG;
	fd = io_open(path, O_WRONLY | (cg->fake ? O_CREAT | O_TRUNC : 0), 0600);
	if (fd < 0)
		return fd;
	rc = io_write_all(fd, text, strlen(text));
	close(fd);
	return rc;
}

static bool
word_in(const char *list, const char *word, char sep)
{
	size_t n = strlen(word);

	for (const char *p = list; p && *p;) {
		const char *e = strchr(p, sep);
		size_t len = e ? (size_t)(e - p) : strlen(p);

		if (len == n && strncmp(p, word, n) == 0)
			return true;
		p = e ? e + 1 : NULL;
	}
	return false;
}

/* Undo mountinfo's octal escapes (\040 for a space) in place. */
static void
unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' &&
		    s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
				      (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = 0;
}

/*
 * The supervisor's path in the hierarchy that has controller ctl ("memory",
 * "pids"; NULL = the v2 entry "0::"), from /proc/self/cgroup. 0 or -ENOENT.
 */
static int
own_path(const char *text, const char *ctl, char *out, size_t cap)
{
	const char *line = text;

	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char buf[PATH_MAX + 256], *c1, *c2;

		if (len < sizeof(buf)) {
			memcpy(buf, line, len);
			buf[len] = 0;
			c1 = strchr(buf, ':');
			c2 = c1 ? strchr(c1 + 1, ':') : NULL;
			if (c2 && c2[1] == '/') {
				*c1 = *c2 = 0; /* id, controllers, path */
				if (ctl ? word_in(c1 + 1, ctl, ',') :
					  (c1[1] == 0 && strcmp(buf, "0") == 0))
					return pathbuf_fmt(out, cap, "%s",
							   c2 + 1);
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	return -ENOENT;
}

/* One mountinfo line: its root, mount point, type and super options. */
struct mnt {
	char *root, *point, *type, *opts;
};

static bool
split_mountinfo(char *line, struct mnt *m)
{
	char *f[6], *dash, *save = NULL, *tok;
	int i = 0;

	dash = strstr(line, " - ");
	if (!dash)
		return false;
	*dash = 0;
	for (tok = strtok_r(line, " ", &save); tok && i < 6;
	     tok = strtok_r(NULL, " ", &save))
		f[i++] = tok;
	if (i < 5)
		return false;
	m->root = f[3];
	m->point = f[4];
	save = NULL;
	m->type = strtok_r(dash + 3, " ", &save);
	if (!m->type || !strtok_r(NULL, " ", &save))
		return false;
	m->opts = strtok_r(NULL, " \n", &save);
	unescape(m->root);
	unescape(m->point);
	return m->opts != NULL;
}

/*
 * The directory of the supervisor's cgroup in the hierarchy of ctl (v1;
 * NULL: v2): the mount point of that hierarchy plus the supervisor's path
 * below the mount's root. 0 or -ENOENT (no such hierarchy, or the
 * supervisor's cgroup is not below the mounted part).
 */
static int
base_dir(const char *info, const char *self_text, const char *ctl, char *out,
	 size_t cap)
{
	char own[PATH_MAX], *copy = strdup(info), *save = NULL, *line;
	int rc = -ENOENT;

	if (!copy)
		return -ENOMEM;
	if (own_path(self_text, ctl, own, sizeof(own)) < 0) {
		free(copy);
		return -ENOENT;
	}
	for (line = strtok_r(copy, "\n", &save); line && rc == -ENOENT;
	     line = strtok_r(NULL, "\n", &save)) {
		struct mnt m;
		size_t rl;

		if (!split_mountinfo(line, &m))
			continue;
		if (ctl ? strcmp(m.type, "cgroup") != 0 ||
				    !word_in(m.opts, ctl, ',') :
			  strcmp(m.type, "cgroup2") != 0)
			continue;
		rl = strcmp(m.root, "/") == 0 ? 0 : strlen(m.root);
		if (rl && (strncmp(own, m.root, rl) != 0 ||
			   (own[rl] != '/' && own[rl] != 0)))
			continue; /* not below the mounted part */
		rc = pathbuf_fmt(out, cap, "%s%s", m.point,
				 strcmp(own + rl, "/") == 0 ? "" : own + rl);
	}
	free(copy);
	return rc;
}

static void say(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Append a sentence to err ("" at first). */
static void
say(char *err, size_t errlen, const char *fmt, ...)
{
	size_t o = strlen(err);
	va_list ap;

	if (o + 2 >= errlen)
		return;
	if (o)
		err[o++] = ' ';
	va_start(ap, fmt);
	vsnprintf(err + o, errlen - o, fmt, ap);
	va_end(ap);
}

static const char *
ctl_name(uint32_t ctl)
{
	return ctl == CGROUP_MEMORY ? "memory" : "pids";
}

/* mkdir of the run's directory below base, its cgroup.procs opened. */
static int
make_dir(struct cgroup *cg, const char *base, const char *name, uint32_t ctl)
{
	int i = cg->n, fd;
	char path[PATH_MAX];

	if (pathbuf_fmt(cg->dir[i], sizeof(cg->dir[i]), "%s/gao-dev-%s", base,
			name) < 0)
		return -ENAMETOOLONG;
	if (mkdir(cg->dir[i], 0755) < 0)
		return -errno;
	cg->ctl[i] = ctl;
	cg->n++;
	if (cg->fake && write_ctl(cg, cg->dir[i], "cgroup.procs", "") < 0)
		return -EIO;
	if (pathbuf_fmt(path, sizeof(path), "%s/cgroup.procs", cg->dir[i]) < 0)
		return -ENAMETOOLONG;
	fd = io_open(path, O_WRONLY, 0);
	if (fd < 0)
		return fd;
	cg->procs[i] = fd;
	return 0;
}

static int
write_u64(const struct cgroup *cg, const char *dir, const char *file,
	  uint64_t v)
{
	char num[32];

	snprintf(num, sizeof(num), "%" PRIu64, v);
	return write_ctl(cg, dir, file, num);
}

/* Whether dir/file exists (a real cgroupfs shows only what it has). */
static bool
has_file(const struct cgroup *cg, const char *dir, const char *file)
{
	char path[PATH_MAX];

	if (cg->fake)
		return true;
	return pathbuf_fmt(path, sizeof(path), "%s/%s", dir, file) == 0 &&
	       access(path, F_OK) == 0;
}

/* The memory limit of a directory: v1 with memsw when present, v2 with
 * no swap beyond it. */
static int
limit_memory(const struct cgroup *cg, const char *dir, uint64_t bytes)
{
	int rc;

	if (cg->kind == CG_V2) {
		rc = write_u64(cg, dir, "memory.max", bytes);
		if (rc == 0 && has_file(cg, dir, "memory.swap.max"))
			rc = write_ctl(cg, dir, "memory.swap.max", "0");
		return rc;
	}
	/* memsw >= limit always holds: the limit first, then memsw */
	rc = write_u64(cg, dir, "memory.limit_in_bytes", bytes);
	if (rc == 0 && has_file(cg, dir, "memory.memsw.limit_in_bytes"))
		rc = write_u64(cg, dir, "memory.memsw.limit_in_bytes", bytes);
	return rc;
}

static int
apply_caps(struct cgroup *cg, int i, const struct cgroup_caps *caps)
{
	int rc = 0;

	if (cg->ctl[i] & CGROUP_MEMORY)
		rc = limit_memory(cg, cg->dir[i], caps->memory_bytes);
	if (rc == 0 && (cg->ctl[i] & CGROUP_PIDS))
		rc = write_u64(cg, cg->dir[i], "pids.max", caps->pids);
	return rc;
}

/* v1: one directory per controller asked, in its own hierarchy. */
static void
setup_v1(struct cgroup *cg, const char *info, const char *self, uint32_t want,
	 const struct cgroup_caps *caps, const char *name, char *err,
	 size_t errlen)
{
	static const uint32_t ctls[] = { CGROUP_MEMORY, CGROUP_PIDS };

	for (size_t k = 0; k < 2; k++) {
		char base[PATH_MAX];
		int rc;

		if (!(want & ctls[k]))
			continue;
		if (base_dir(info, self, ctl_name(ctls[k]), base,
			     sizeof(base)) < 0) {
			say(err, errlen,
			    "no cgroup v1 \"%s\" hierarchy that holds "
			    "gao-dev's cgroup is mounted.",
			    ctl_name(ctls[k]));
			continue;
		}
		rc = make_dir(cg, base, name, ctls[k]);
		if (rc == 0)
			rc = apply_caps(cg, cg->n - 1, caps);
		if (rc < 0) {
			say(err, errlen,
			    "cannot create a cgroup below %s (%s): run gao-dev "
			    "as root or delegate that cgroup to this user.",
			    base, strerror(-rc));
			continue;
		}
		cg->enforced |= ctls[k];
	}
}

/* Whether base/cgroup.procs lists no process but self. */
static bool
only_self(const char *base, pid_t self)
{
	char path[PATH_MAX], *buf = malloc(CG_FILE_MAX), *p, *end;
	bool ok = buf != NULL;

	if (!buf ||
	    pathbuf_fmt(path, sizeof(path), "%s/cgroup.procs", base) < 0 ||
	    read_text(path, buf, CG_FILE_MAX) < 0) {
		free(buf);
		return false;
	}
	for (p = buf; ok && *p; p = end) {
		long v = strtol(p, &end, 10);

		if (end == p)
			break;
		ok = v == (long)self;
		while (*end == '\n')
			end++;
	}
	free(buf);
	return ok;
}

/*
 * v2: the controllers must be listed in base's cgroup.controllers and
 * enabled in its cgroup.subtree_control; enabling them needs base to hold
 * no process (the no-internal-processes rule; the root cgroup is exempt),
 * so the supervisor first moves itself into a leaf of its own.
 */
static int
delegate_v2(struct cgroup *cg, const char *base, bool is_root, uint32_t want,
	    pid_t self, char *err, size_t errlen)
{
	char path[PATH_MAX], have[512], on[512], ctl[64] = "", leaf[PATH_MAX];
	char pid[32];

	if (pathbuf_fmt(path, sizeof(path), "%s/cgroup.controllers", base) <
		    0 ||
	    read_text(path, have, sizeof(have)) < 0)
		have[0] = 0;
	have[strcspn(have, "\n")] = 0;
	for (uint32_t c = CGROUP_MEMORY; c <= CGROUP_PIDS; c <<= 1) {
		if ((want & c) && !word_in(have, ctl_name(c), ' ')) {
			say(err, errlen,
			    "the cgroup v2 controller \"%s\" is not delegated "
			    "to %s: ask for it (systemd: Delegate=yes, e.g. "
			    "systemd-run --user -p Delegate=yes --scope).",
			    ctl_name(c), base);
			return -ENOTSUP;
		}
	}
	if (pathbuf_fmt(path, sizeof(path), "%s/cgroup.subtree_control", base) <
		    0 ||
	    read_text(path, on, sizeof(on)) < 0)
		on[0] = 0;
	on[strcspn(on, "\n")] = 0;
	for (uint32_t c = CGROUP_MEMORY; c <= CGROUP_PIDS; c <<= 1)
		if ((want & c) && !word_in(on, ctl_name(c), ' '))
			snprintf(ctl + strlen(ctl), sizeof(ctl) - strlen(ctl),
				 "%s+%s", ctl[0] ? " " : "", ctl_name(c));
	if (!ctl[0])
		return 0;
	if (!is_root) {
		if (!only_self(base, self)) {
			say(err, errlen,
			    "%s holds other processes, so its controllers "
			    "cannot be enabled for a child (cgroup v2 "
			    "no-internal-processes rule): start gao-dev in a "
			    "cgroup of its own with the controllers delegated.",
			    base);
			return -EBUSY;
		}
		snprintf(pid, sizeof(pid), "%ld", (long)self);
		if (pathbuf_fmt(leaf, sizeof(leaf), "%s/gao-dev-supervisor-%s",
				base, pid) < 0 ||
		    (mkdir(leaf, 0755) < 0 && errno != EEXIST) ||
		    write_ctl(cg, leaf, "cgroup.procs", pid) < 0) {
			say(err, errlen,
			    "cannot move gao-dev into a leaf cgroup below %s "
			    "(%s): delegate that cgroup to this user.",
			    base, strerror(errno));
			return -EACCES;
		}
	}
	if (write_ctl(cg, base, "cgroup.subtree_control", ctl) < 0) {
		say(err, errlen,
		    "cannot enable %s in %s/cgroup.subtree_control: delegate "
		    "that cgroup to this user.",
		    ctl, base);
		return -EACCES;
	}
	return 0;
}

static void
setup_v2(struct cgroup *cg, const char *info, const char *self_text,
	 const struct cgroup_src *src, const struct cgroup_caps *caps,
	 const char *name, char *err, size_t errlen)
{
	uint32_t want = (caps->memory_bytes ? CGROUP_MEMORY : 0) |
			(caps->pids ? CGROUP_PIDS : 0);
	char base[PATH_MAX], own[PATH_MAX];
	int rc;

	if (base_dir(info, self_text, NULL, base, sizeof(base)) < 0 ||
	    own_path(self_text, NULL, own, sizeof(own)) < 0) {
		say(err, errlen,
		    "the host has neither cgroup v1 memory/pids hierarchies "
		    "nor a mounted cgroup v2 hierarchy.");
		return;
	}
	cg->kind = CG_V2;
	if (delegate_v2(cg, base, strcmp(own, "/") == 0, want, src->self, err,
			errlen) < 0)
		return;
	rc = make_dir(cg, base, name, want);
	if (rc == 0)
		rc = apply_caps(cg, 0, caps);
	if (rc < 0) {
		say(err, errlen,
		    "cannot create the run's cgroup below %s (%s): delegate "
		    "that cgroup to this user.",
		    base, strerror(-rc));
		return;
	}
	cg->enforced = want;
}

static bool
name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 160)
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

/* Whether mountinfo shows a v1 hierarchy with memory or pids (mounted
 * at all: whether it holds gao-dev's cgroup is setup_v1's question). */
static bool
has_v1(const char *info, uint32_t want)
{
	char *copy = strdup(info), *save = NULL, *line;
	bool found = false;

	for (line = copy ? strtok_r(copy, "\n", &save) : NULL; line && !found;
	     line = strtok_r(NULL, "\n", &save)) {
		struct mnt m;

		if (!split_mountinfo(line, &m) || strcmp(m.type, "cgroup") != 0)
			continue;
		found = ((want & CGROUP_MEMORY) &&
			 word_in(m.opts, "memory", ',')) ||
			((want & CGROUP_PIDS) && word_in(m.opts, "pids", ','));
	}
	free(copy);
	return found;
}

int
cgroup_create(const struct cgroup_src *src, const char *name,
	      const struct cgroup_caps *caps, struct cgroup **out, char *err,
	      size_t errlen)
{
	uint32_t want = (caps->memory_bytes ? CGROUP_MEMORY : 0) |
			(caps->pids ? CGROUP_PIDS : 0);
	char *info = NULL, *self = NULL;
	struct cgroup *cg = NULL;
	int rc = 0;

	*out = NULL;
	err[0] = 0;
	if (!name_ok(name))
		return -EINVAL;
	if (!want)
		return 0;
	info = malloc(CG_INFO_MAX);
	self = malloc(CG_FILE_MAX);
	cg = calloc(1, sizeof(*cg));
	if (!info || !self || !cg) {
		rc = -ENOMEM;
		goto out;
	}
	cg->procs[0] = cg->procs[1] = -1;
	cg->fake = src->fake;
	if (read_text(src->mountinfo, info, CG_INFO_MAX) < 0 ||
	    read_text(src->proc_cgroup, self, CG_FILE_MAX) < 0) {
		say(err, errlen, "cannot read %s or %s.", src->mountinfo,
		    src->proc_cgroup);
		goto out;
	}
	if (has_v1(info, want)) {
		cg->kind = CG_V1;
		setup_v1(cg, info, self, want, caps, name, err, errlen);
	} else {
		setup_v2(cg, info, self, src, caps, name, err, errlen);
	}
	if (cg->enforced) {
		*out = cg;
		cg = NULL;
	}
out:
	if (cg)
		cgroup_destroy(cg);
	free(info);
	free(self);
	return rc;
}

uint32_t
cgroup_enforced(const struct cgroup *cg)
{
	return cg ? cg->enforced : 0;
}

const char *
cgroup_kind(const struct cgroup *cg)
{
	if (!cg)
		return "none";
	return cg->kind == CG_V2 ? "v2" : "v1";
}

int
cgroup_procs_fds(const struct cgroup *cg, int fds[CGROUP_MAX_FDS])
{
	int n = 0;

	for (int i = 0; cg && i < cg->n; i++)
		if (cg->procs[i] >= 0 && (cg->enforced & cg->ctl[i]))
			fds[n++] = cg->procs[i];
	return n;
}

int
cgroup_raise_pids(struct cgroup *cg, uint64_t n)
{
	char path[PATH_MAX], buf[64];
	uint64_t cur;

	for (int i = 0; cg && i < cg->n; i++) {
		if (!(cg->ctl[i] & CGROUP_PIDS) ||
		    !(cg->enforced & CGROUP_PIDS))
			continue;
		if (pathbuf_fmt(path, sizeof(path), "%s/pids.max", cg->dir[i]) <
			    0 ||
		    read_text(path, buf, sizeof(buf)) < 0)
			return -EIO;
		if (strncmp(buf, "max", 3) == 0)
			return 0;
		cur = strtoull(buf, NULL, 10);
		return n > cur ? write_u64(cg, cg->dir[i], "pids.max", n) : 0;
	}
	return 0;
}

/* SIGKILL every pid dir/cgroup.procs lists: how many it listed, -errno. */
static int
kill_listed(const char *dir)
{
	char path[PATH_MAX], *buf = malloc(CG_FILE_MAX), *p, *end;
	int n = 0;

	if (!buf)
		return -ENOMEM;
	if (pathbuf_fmt(path, sizeof(path), "%s/cgroup.procs", dir) < 0 ||
	    read_text(path, buf, CG_FILE_MAX) < 0) {
		free(buf);
		return -EIO;
	}
	for (p = buf; *p; p = end) {
		long v = strtol(p, &end, 10);

		if (end == p)
			break;
		/* never 0 or -1 (a process group, everything), never us */
		if (v > 1 && v <= INT_MAX && (pid_t)v != getpid()) {
			kill((pid_t)v, SIGKILL);
			n++;
		}
		while (*end == '\n')
			end++;
	}
	free(buf);
	return n;
}

/* Empty and remove one directory. */
static int
remove_dir(const struct cgroup *cg, const char *dir)
{
	struct timespec ten_ms = { 0, 10 * 1000 * 1000 };

	if (cg->kind == CG_V2 && !cg->fake && has_file(cg, dir, "cgroup.kill"))
		write_ctl(cg, dir, "cgroup.kill", "1");
	for (int i = 0; i < 200; i++) {
		if (!cg->fake)
			kill_listed(dir);
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -errno;
		nanosleep(&ten_ms, NULL);
	}
	return -EBUSY;
}

int
cgroup_destroy(struct cgroup *cg)
{
	int rc = 0;

	if (!cg)
		return 0;
	for (int i = 0; i < cg->n; i++) {
		int r;

		if (cg->procs[i] >= 0)
			close(cg->procs[i]);
		r = remove_dir(cg, cg->dir[i]);
		if (r < 0 && rc == 0)
			rc = r;
	}
	free(cg);
	return rc;
}

const char *
cgroup_dir(const struct cgroup *cg, int i, int *n)
{
	if (n)
		*n = cg ? cg->n : 0;
	if (!cg || i < 0 || i >= cg->n)
		return NULL;
	return cg->dir[i];
}

#define CG_V1_MAGIC 0x27e0ebu   /* CGROUP_SUPER_MAGIC */
#define CG_V2_MAGIC 0x63677270u /* CGROUP2_SUPER_MAGIC */

/* Whether dir names a run's cgroup: absolute, no "." or ".." component,
 * its last component gao-dev-<name>. */
static bool
stale_name_ok(const char *dir, const char *name)
{
	const char *base = strrchr(dir, '/');

	if (dir[0] != '/' || strstr(dir, "/../") || strstr(dir, "/./") ||
	    !base || strlen(dir) >= PATH_MAX)
		return false;
	base++;
	return strncmp(base, "gao-dev-", 8) == 0 && strcmp(base + 8, name) == 0;
}

int
cgroup_remove_stale(const char *dir, const char *name, int *killed, char *err,
		    size_t errlen)
{
	struct cgroup cg = { .kind = CG_V1 };
	struct statfs fs;
	struct stat st;
	int rc;

	*killed = 0;
	if (!stale_name_ok(dir, name)) {
		snprintf(err, errlen, "%s is not gao-dev-%s: left alone", dir,
			 name);
		return -EINVAL;
	}
	if (lstat(dir, &st) < 0) {
		rc = -errno;
		if (rc == -ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", dir, strerror(-rc));
		return rc;
	}
	if (!S_ISDIR(st.st_mode) || statfs(dir, &fs) < 0 ||
	    ((unsigned long)fs.f_type != CG_V1_MAGIC &&
	     (unsigned long)fs.f_type != CG_V2_MAGIC)) {
		snprintf(err, errlen,
			 "%s is not a directory of a cgroup file system: "
			 "left alone",
			 dir);
		return -EINVAL;
	}
	if ((unsigned long)fs.f_type == CG_V2_MAGIC)
		cg.kind = CG_V2;
	rc = kill_listed(dir);
	*killed = rc > 0 ? rc : 0;
	rc = remove_dir(&cg, dir);
	if (rc < 0) {
		snprintf(err, errlen, "cannot remove %s: %s", dir,
			 strerror(-rc));
		return rc;
	}
	return 1;
}
