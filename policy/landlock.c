/*
 * landlock.c - the policy's filesystem and network rules as a Landlock
 * ruleset (worker side).
 *
 * Design note
 * -----------
 * Landlock is best effort by ABI. The ruleset handles every right the
 * running kernel knows, so anything not granted by a rule is denied:
 *
 *   ABI 1  filesystem: execute, read, write, readdir, remove, make *
 *   ABI 2  + REFER (rename/link across directories)
 *   ABI 3  + TRUNCATE
 *   ABI 4  + TCP bind/connect (LANDLOCK_RULE_NET_PORT)
 *   ABI 5  + IOCTL_DEV (ioctl on device files)
 *   ABI 6  + scoping: signals and abstract unix sockets stay inside
 *
 * Grants: read + execute + readdir beneath the read-only paths; every
 * right but making device nodes beneath the read-write paths and the
 * project directory (execute excepted when the policy says exec_ro_only:
 * a service worker runs system programs, never one an agent wrote);
 * read/write/truncate on /dev/null and /dev/zero
 * (`cmd > /dev/null` opens with O_TRUNC); read on /dev/random and
 * /dev/urandom. /dev/tty is deliberately absent (TIOCSTI, reading the
 * operator's terminal). Device ioctls are never granted.
 *
 * Network: TCP bind is always denied. TCP connect is denied unless the
 * policy allows TCP; since Landlock grants connect per port, "allowed" is
 * expressed by not handling CONNECT at all. UDP and other protocols are not
 * covered by Landlock: seccomp decides which socket families exist.
 *
 * A path that does not exist (or cannot be opened: it would be
 * unreachable anyway) is skipped; the project directory must open.
 *
 * A few secrets beneath system directories (/etc/shadow, sudoers, host
 * keys: ll_withheld[]) are never granted. Landlock can only add rights,
 * so a read-only path with a secret beneath it is granted entry by entry,
 * the secret left out (ll_add_ro()). For a worker that runs unprivileged
 * this repeats what file permissions already say; for one running as root
 * it is the only barrier.
 *
 * Debian 12's <linux/landlock.h> stops at ABI 2 or 3, so the constants and
 * structures (kernel UAPI facts) are defined here with an LL_ prefix and
 * the syscalls are called by number. Passing the full attribute struct is
 * fine on older kernels: they accept a larger struct whose unknown
 * trailing fields are zero, which ll_handled_*() guarantees.
 *
 * Only libc: linked into the worker.
 */
#include "policy/apply.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/io.h"

/* x86_64 syscall numbers (identical on every architecture since 5.13). */
#define LL_SYS_CREATE_RULESET 444
#define LL_SYS_ADD_RULE 445
#define LL_SYS_RESTRICT_SELF 446

#define LL_CREATE_RULESET_VERSION (1u << 0)
#define LL_RULE_PATH_BENEATH 1
#define LL_RULE_NET_PORT 2

#define LL_FS_EXECUTE (1ull << 0)
#define LL_FS_WRITE_FILE (1ull << 1)
#define LL_FS_READ_FILE (1ull << 2)
#define LL_FS_READ_DIR (1ull << 3)
#define LL_FS_REMOVE_DIR (1ull << 4)
#define LL_FS_REMOVE_FILE (1ull << 5)
#define LL_FS_MAKE_CHAR (1ull << 6)
#define LL_FS_MAKE_DIR (1ull << 7)
#define LL_FS_MAKE_REG (1ull << 8)
#define LL_FS_MAKE_SOCK (1ull << 9)
#define LL_FS_MAKE_FIFO (1ull << 10)
#define LL_FS_MAKE_BLOCK (1ull << 11)
#define LL_FS_MAKE_SYM (1ull << 12)
#define LL_FS_REFER (1ull << 13)     /* ABI 2 */
#define LL_FS_TRUNCATE (1ull << 14)  /* ABI 3 */
#define LL_FS_IOCTL_DEV (1ull << 15) /* ABI 5 */

#define LL_NET_BIND_TCP (1ull << 0) /* ABI 4 */
#define LL_NET_CONNECT_TCP (1ull << 1)

#define LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ull << 0) /* ABI 6 */
#define LL_SCOPE_SIGNAL (1ull << 1)

/* Rights that apply to a non-directory (the kernel rejects the others). */
#define LL_FS_FILE_RIGHTS \
	(LL_FS_EXECUTE | LL_FS_WRITE_FILE | LL_FS_READ_FILE | LL_FS_TRUNCATE | \
	 LL_FS_IOCTL_DEV)
#define LL_FS_RO (LL_FS_EXECUTE | LL_FS_READ_FILE | LL_FS_READ_DIR)
/* Everything but device nodes and device ioctls. */
#define LL_FS_RW \
	(((1ull << 16) - 1) & \
	 ~(LL_FS_MAKE_CHAR | LL_FS_MAKE_BLOCK | LL_FS_IOCTL_DEV))
#define LL_FS_DEV_RW (LL_FS_READ_FILE | LL_FS_WRITE_FILE | LL_FS_TRUNCATE)

struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net; /* ABI 4 */
	uint64_t scoped;             /* ABI 6 */
};

struct ll_path_beneath_attr {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

/* Device files every sandbox needs, with their rights. */
static const struct {
	const char *path;
	uint64_t access;
} ll_devices[] = {
	{ "/dev/null", LL_FS_DEV_RW },
	{ "/dev/zero", LL_FS_DEV_RW },
	{ "/dev/random", LL_FS_READ_FILE },
	{ "/dev/urandom", LL_FS_READ_FILE },
};

/*
 * Secrets beneath system directories that a read-only grant must not
 * cover: a worker running as root (a test level, a misconfigured host)
 * would otherwise read them through the /etc rule. Matched by name
 * against the policy's paths, so a grant of /etc is split into one rule
 * per entry of /etc but these (see ll_add_ro()).
 */
static const char *const ll_withheld[] = {
	"/etc/shadow",
	"/etc/shadow-",
	"/etc/gshadow",
	"/etc/gshadow-",
	"/etc/sudoers",
	"/etc/sudoers.d",
	"/etc/security/opasswd",
	"/etc/ssl/private",
	"/etc/ssh/ssh_host_rsa_key",
	"/etc/ssh/ssh_host_ecdsa_key",
	"/etc/ssh/ssh_host_ed25519_key",
	"/etc/ssh/ssh_host_dsa_key",
};

#define LL_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* The ruleset being built, and where errors go. */
struct ll_ctx {
	int ruleset;
	uint64_t handled; /* filesystem rights the ruleset handles */
	char *err;
	size_t errlen;
};

int
policy_landlock_abi(void)
{
	long abi = syscall(LL_SYS_CREATE_RULESET, NULL, (size_t)0,
			   (unsigned long)LL_CREATE_RULESET_VERSION);

	return abi > 0 && abi < 1000 ? (int)abi : 0;
}

/* Filesystem rights the kernel with this ABI knows. */
static uint64_t
ll_handled_fs(int abi)
{
	uint64_t fs = (1ull << 13) - 1;

	if (abi >= 2)
		fs |= LL_FS_REFER;
	if (abi >= 3)
		fs |= LL_FS_TRUNCATE;
	if (abi >= 5)
		fs |= LL_FS_IOCTL_DEV;
	return fs;
}

static void
ll_seterr(char *err, size_t errlen, const char *what, const char *path, int e)
{
	if (errlen == 0)
		return;
	snprintf(err, errlen, "landlock: %s%s%s: %s", what, path ? " " : "",
		 path ? path : "", strerror(e));
}

/*
 * Grant access beneath path. A path that cannot be opened is skipped
 * unless required. Returns 0 or a negative errno.
 */
static int
ll_add_path(const struct ll_ctx *c, const char *path, uint64_t access,
	    bool required)
{
	struct ll_path_beneath_attr rule;
	struct stat st;
	int fd, rc = 0;

	fd = io_open(path, O_PATH, 0);
	if (fd < 0) {
		if (!required)
			return 0;
		ll_seterr(c->err, c->errlen, "cannot open", path, -fd);
		return fd;
	}
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		ll_seterr(c->err, c->errlen, "cannot stat", path, errno);
		goto out;
	}
	rule.allowed_access = access & c->handled;
	if (!S_ISDIR(st.st_mode))
		rule.allowed_access &= LL_FS_FILE_RIGHTS;
	rule.parent_fd = fd;
	if (syscall(LL_SYS_ADD_RULE, (long)c->ruleset,
		    (long)LL_RULE_PATH_BENEATH, &rule, 0ul) < 0) {
		rc = -errno;
		ll_seterr(c->err, c->errlen, "add_rule", path, errno);
	}
out:
	close(fd);
	return rc;
}

/* 1: path is a withheld secret or beneath one; 2: one is beneath path. */
static int
ll_withheld_relation(const char *path)
{
	size_t i, n = strlen(path), m;
	int rel = 0;

	for (i = 0; i < LL_COUNT(ll_withheld); i++) {
		m = strlen(ll_withheld[i]);
		if (m <= n && strncmp(path, ll_withheld[i], m) == 0 &&
		    (path[m] == '\0' || path[m] == '/'))
			return 1;
		if (n < m && strncmp(path, ll_withheld[i], n) == 0 &&
		    ll_withheld[i][n] == '/')
			rel = 2;
	}
	return rel;
}

static int ll_add_ro(const struct ll_ctx *c, const char *path, int depth);

/*
 * A directory with a withheld secret beneath it: list it (READ_DIR), and
 * grant each entry on its own except the secrets. Symbolic links are
 * skipped: their targets are checked where they lead.
 */
static int
ll_split_dir(const struct ll_ctx *c, const char *path, int depth)
{
	char child[PROTO_PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd, rc;

	rc = ll_add_path(c, path, LL_FS_READ_DIR, false);
	if (rc < 0)
		return rc;
	fd = io_open(path, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		return 0;
	d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return 0;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if ((size_t)snprintf(child, sizeof(child), "%s/%s", path,
				     de->d_name) >= sizeof(child))
			continue;
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    S_ISLNK(st.st_mode))
			continue;
		rc = ll_add_ro(c, child, depth + 1);
	}
	closedir(d);
	return rc;
}

/* A read-only grant of path, withholding the secrets beneath it. */
static int
ll_add_ro(const struct ll_ctx *c, const char *path, int depth)
{
	switch (ll_withheld_relation(path)) {
	case 1:
		return 0;
	case 2:
		if (depth < 8)
			return ll_split_dir(c, path, depth);
		return 0;
	default:
		return ll_add_path(c, path, LL_FS_RO, false);
	}
}

/* Add every rule the policy implies to the ruleset. */
static int
ll_add_rules(const struct ll_ctx *c, const struct msg_policy *p,
	     const char *project_dir)
{
	/* a service worker executes system programs, nothing it may write */
	uint64_t rw = p->exec_ro_only ? LL_FS_RW & ~LL_FS_EXECUTE : LL_FS_RW;
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < p->n_ro; i++)
		rc = ll_add_ro(c, p->ro_paths[i], 0);
	for (i = 0; rc == 0 && i < p->n_rw; i++)
		rc = ll_add_path(c, p->rw_paths[i], rw, false);
	for (i = 0; rc == 0 && i < LL_COUNT(ll_devices); i++)
		rc = ll_add_path(c, ll_devices[i].path, ll_devices[i].access,
				 false);
	if (rc == 0)
		rc = ll_add_path(c, project_dir, rw, true);
	return rc;
}

static int
ll_create_ruleset(const struct msg_policy *p, int abi, char *err, size_t errlen)
{
	struct ll_ruleset_attr attr;
	long fd;

	memset(&attr, 0, sizeof(attr));
	attr.handled_access_fs = ll_handled_fs(abi);
	if (abi >= 4)
		attr.handled_access_net = LL_NET_BIND_TCP |
					  (p->net_tcp ? 0 : LL_NET_CONNECT_TCP);
	if (abi >= 6)
		attr.scoped = LL_SCOPE_ABSTRACT_UNIX_SOCKET | LL_SCOPE_SIGNAL;
	fd = syscall(LL_SYS_CREATE_RULESET, &attr, sizeof(attr), 0ul);
	if (fd < 0) {
		fd = -errno;
		ll_seterr(err, errlen, "create_ruleset", NULL, (int)-fd);
	}
	return (int)fd;
}

int
policy_landlock_apply(const struct msg_policy *p, const char *project_dir,
		      int *abi_out, char *err, size_t errlen)
{
	struct ll_ctx c = { .err = err, .errlen = errlen };
	int abi, ruleset, rc;

	*abi_out = 0;
	if (project_dir == NULL || project_dir[0] != '/') {
		ll_seterr(err, errlen, "project directory must be absolute",
			  NULL, EINVAL);
		return -EINVAL;
	}
	abi = policy_landlock_abi();
	if (abi == 0)
		return 0;
	ruleset = ll_create_ruleset(p, abi, err, errlen);
	if (ruleset < 0)
		return ruleset;
	c.ruleset = ruleset;
	c.handled = ll_handled_fs(abi);
	rc = ll_add_rules(&c, p, project_dir);
	if (rc < 0)
		goto out;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		rc = -errno;
		ll_seterr(err, errlen, "PR_SET_NO_NEW_PRIVS", NULL, errno);
		goto out;
	}
	if (syscall(LL_SYS_RESTRICT_SELF, (long)ruleset, 0ul) < 0) {
		rc = -errno;
		ll_seterr(err, errlen, "restrict_self", NULL, errno);
		goto out;
	}
	*abi_out = abi;
out:
	close(ruleset);
	return rc;
}
