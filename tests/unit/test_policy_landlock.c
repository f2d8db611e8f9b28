/*
 * test_policy_landlock.c - the worker side of the policy: Landlock, each
 * checked in a forked child (policy_child.h). Each layer is also tested on its
 * own, since each must hold when another is missing. The msg_policy comes
 * from the shipped profiles through policy_to_msg(), the way the
 * supervisor builds it.
 */
#include "policy_child.h"

/* ---- Landlock --------------------------------------------------------- */

static void
child_landlock_fs(const struct msg_policy *m)
{
	char buf[64];
	int fd;

	apply_landlock(m);
	fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0, "read /etc: %s", strerror(errno));
	CHECK(read(fd, buf, sizeof(buf)) >= 0, "read: %s", strerror(errno));
	close(fd);
	CHECK(write_file(proj, "inside") == 0, "write inside denied");
	CHECK(write_file(tmpd, "in-tmp") == 0, "write in {tmp} denied");
	CHECK(write_file(outside, "x") == -EACCES, "write outside allowed");
	EXPECT_ERR(open_in(outside, "secret", O_RDONLY), EACCES);
	/* EROFS where the host's /etc is read-only: refused either way */
	EXPECT_ERR_ANY(open("/etc/gao-pol-test", O_WRONLY | O_CREAT | O_CLOEXEC,
			    0644),
		       EACCES, EROFS);
	fd = open("/dev/null", O_WRONLY | O_TRUNC | O_CLOEXEC);
	CHECK(fd >= 0, "/dev/null: %s", strerror(errno));
	close(fd);
	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0, "/dev/urandom: %s", strerror(errno));
	close(fd);
	/* Landlock's EACCES, or the host's: no controlling terminal (ENXIO),
	 * no /dev/tty at all (ENOENT) */
	EXPECT_ERR_ANY(open("/dev/tty", O_RDWR | O_CLOEXEC), EACCES, ENXIO,
		       ENOENT);
	if (access("/root", F_OK) == 0)
		EXPECT_ERR(open("/root", O_RDONLY | O_DIRECTORY | O_CLOEXEC),
			   EACCES);
	/* secrets beneath /etc stay out of reach even for root */
	if (access("/etc/shadow", F_OK) == 0)
		EXPECT_ERR(open("/etc/shadow", O_RDONLY | O_CLOEXEC), EACCES);
	fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0, "/etc/passwd: %s", strerror(errno));
	close(fd);
	fd = open("/etc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(fd >= 0, "list /etc: %s", strerror(errno));
	close(fd);
}

/* Unconfined root reads /etc/shadow; the sandbox must not. */
static void
child_withheld(const struct msg_policy *m)
{
	char buf[16];
	int fd;

	fd = open("/etc/shadow", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0 && read(fd, buf, sizeof(buf)) > 0,
	      "cannot read /etc/shadow before Landlock");
	close(fd);
	apply_landlock(m);
	EXPECT_ERR(open("/etc/shadow", O_RDONLY | O_CLOEXEC), EACCES);
	EXPECT_ERR(open("/etc/gshadow", O_RDONLY | O_CLOEXEC), EACCES);
	fd = open("/etc/ssl/certs", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(fd >= 0 || errno == ENOENT, "/etc/ssl/certs: %s",
	      strerror(errno));
	if (fd >= 0)
		close(fd);
	fd = open("/etc/localtime", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0 || errno == ENOENT,
	      "/etc/localtime (a symlink into "
	      "/usr): %s",
	      strerror(errno));
	if (fd >= 0)
		close(fd);
}

Test(landlock, secrets_beneath_etc_are_withheld, .init = dirs_setup,
     .fini = dirs_teardown)
{
	struct msg_policy m;

	require_landlock(1);
	if (geteuid() != 0 || access("/etc/shadow", R_OK) != 0 ||
	    access("/etc/gshadow", R_OK) != 0)
		cr_skip_test("needs root and /etc/shadow, /etc/gshadow");
	profile_msg("default", &m);
	expect_child_ok(child_withheld, &m);
	msg_policy_clear(&m);
}

Test(landlock, default_filesystem, .init = dirs_setup, .fini = dirs_teardown)
{
	struct msg_policy m;

	require_landlock(1);
	profile_msg("default", &m);
	expect_child_ok(child_landlock_fs, &m);
	msg_policy_clear(&m);
}

static void
child_landlock_refer(const struct msg_policy *m)
{
	char from[128], to[128];

	snprintf(from, sizeof(from), "%s/secret", outside);
	snprintf(to, sizeof(to), "%s/stolen", proj);
	apply_landlock(m);
	/* Landlock refuses with EXDEV (no REFER right) or EACCES (no right
	 * at all on the source's directory): which one depends on the
	 * kernel; both leave no link */
	EXPECT_ERR_ANY(link(from, to), EXDEV, EACCES);
	CHECK(access(to, F_OK) < 0 && errno == ENOENT, "the link exists");
	CHECK(write_file(proj, "a") == 0, "write");
	CHECK(mkdirat(AT_FDCWD, to, 0755) == 0, "mkdir");
	snprintf(from, sizeof(from), "%s/a", proj);
	snprintf(to, sizeof(to), "%s/stolen/a", proj);
	EXPECT_OK(rename(from, to));
}

Test(landlock, no_hard_links_from_outside, .init = dirs_setup,
     .fini = dirs_teardown)
{
	struct msg_policy m;

	require_landlock(2);
	profile_msg("default", &m);
	expect_child_ok(child_landlock_refer, &m);
	msg_policy_clear(&m);
}

static void
child_landlock_ro(const struct msg_policy *m)
{
	char path[128], buf[16];
	int fd;

	apply_landlock(m);
	fd = open_in(outside, "secret", O_RDONLY);
	CHECK(fd >= 0 && read(fd, buf, sizeof(buf)) == 7, "read ro file");
	close(fd);
	EXPECT_ERR(open_in(outside, "secret", O_WRONLY), EACCES);
	EXPECT_ERR(open_in(outside, "secret", O_RDONLY | O_TRUNC), EACCES);
	EXPECT_ERR(open_in(outside, "new", O_WRONLY | O_CREAT), EACCES);
	snprintf(path, sizeof(path), "%s/secret", outside);
	EXPECT_ERR(unlink(path), EACCES);
	snprintf(path, sizeof(path), "%s/dir", outside);
	EXPECT_ERR(mkdir(path, 0755), EACCES);
}

Test(landlock, read_only_paths_are_read_only, .init = dirs_setup,
     .fini = dirs_teardown)
{
	char *ro[] = { outside };
	struct msg_policy m = { .ro_paths = ro, .n_ro = 1 };

	require_landlock(3);
	expect_child_ok(child_landlock_ro, &m);
}

static int
tcp_bind(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), r, e;

	if (s < 0)
		return -errno;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	r = bind(s, (struct sockaddr *)&a, sizeof(a));
	e = errno;
	close(s);
	return r < 0 ? -e : 0;
}

static void
child_landlock_tcp(const struct msg_policy *m)
{
	int rc;

	CHECK(tcp_connect() == 0, "connect before Landlock failed");
	apply_landlock(m);
	rc = tcp_connect();
	if (m->net_tcp)
		CHECK(rc == 0, "connect denied: %s", strerror(-rc));
	else
		CHECK(rc == -EACCES, "connect: want EACCES, got %d", rc);
	rc = tcp_bind();
	CHECK(rc == -EACCES, "bind: want EACCES, got %d", rc);
}

Test(landlock, tcp_denied_by_default, .init = dirs_setup, .fini = dirs_teardown)
{
	struct msg_policy m;
	int s;

	require_landlock(4);
	s = tcp_listener();
	profile_msg("default", &m);
	expect_child_ok(child_landlock_tcp, &m);
	msg_policy_clear(&m);
	close(s);
}

Test(landlock, tcp_connect_when_networked, .init = dirs_setup,
     .fini = dirs_teardown)
{
	struct msg_policy m;
	int s;

	require_landlock(4);
	s = tcp_listener();
	profile_msg("networked", &m);
	expect_child_ok(child_landlock_tcp, &m);
	msg_policy_clear(&m);
	close(s);
}

static struct sockaddr_un abstract_addr;
static socklen_t abstract_len;

static void
child_landlock_scope(const struct msg_policy *m)
{
	int s;

	CHECK(kill(getppid(), 0) == 0, "kill(parent, 0) before Landlock");
	apply_landlock(m);
	EXPECT_ERR(kill(getppid(), 0), EPERM);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(s >= 0, "socket: %s", strerror(errno));
	EXPECT_ERR(connect(s, (struct sockaddr *)&abstract_addr, abstract_len),
		   EPERM);
	close(s);
}

Test(landlock, signals_and_abstract_sockets_scoped, .init = dirs_setup,
     .fini = dirs_teardown)
{
	struct msg_policy m;
	int s;

	require_landlock(6);
	abstract_addr.sun_family = AF_UNIX;
	snprintf(abstract_addr.sun_path + 1, sizeof(abstract_addr.sun_path) - 1,
		 "gao-policy-test-%d", (int)getpid());
	abstract_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
				   strlen(abstract_addr.sun_path + 1));
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(s, 0);
	cr_assert_eq(bind(s, (struct sockaddr *)&abstract_addr, abstract_len),
		     0);
	cr_assert_eq(listen(s, 4), 0);
	profile_msg("default", &m);
	expect_child_ok(child_landlock_scope, &m);
	msg_policy_clear(&m);
	close(s);
}

static void
child_landlock_missing(const struct msg_policy *m)
{
	apply_landlock(m);
	CHECK(write_file(proj, "ok") == 0, "write inside denied");
	CHECK(write_file(outside, "x") == -EACCES, "write outside allowed");
}

Test(landlock, missing_paths_are_skipped, .init = dirs_setup,
     .fini = dirs_teardown)
{
	char *ro[] = { "/nonexistent/gao-pol", "/usr" };
	char *rw[] = { "/nonexistent/gao-pol-rw" };
	struct msg_policy m = {
		.ro_paths = ro,
		.n_ro = 2,
		.rw_paths = rw,
		.n_rw = 1,
	};

	require_landlock(1);
	expect_child_ok(child_landlock_missing, &m);
}

static void
child_landlock_bad_project(const struct msg_policy *m)
{
	char err[256] = "";
	int abi = -1, rc;

	rc = policy_landlock_apply(m, "/nonexistent/gao-pol-project", &abi, err,
				   sizeof(err));
	CHECK(rc == -ENOENT, "rc %d", rc);
	CHECK(abi == 0, "abi %d", abi);
	CHECK(strstr(err, "gao-pol-project") != NULL, "err '%s'", err);
	rc = policy_landlock_apply(m, "relative", &abi, err, sizeof(err));
	CHECK(rc == -EINVAL, "relative: rc %d", rc);
}

Test(landlock, project_dir_must_exist)
{
	struct msg_policy m = { .n_ro = 0 };

	require_landlock(1);
	expect_child_ok(child_landlock_bad_project, &m);
}

/* ---- exec_ro_only: a service worker executes system programs only ---- */

/* Write an executable script dir/name that exits 0. */
static void
put_script(const char *dir, const char *name)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(write(fd, "#!/bin/sh\nexit 0\n", 17), 17);
	close(fd);
}

/* Run path (argv[0] only) in a child; its wait status, or -errno. */
static int
exec_status(const char *path)
{
	int st = 0;
	pid_t pid = fork();

	if (pid == 0) {
		char *const argv[] = { (char *)path, NULL };
		char *const envp[] = { NULL };

		execve(path, argv, envp);
		_exit(100 + (errno & 63));
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -ECHILD;
	return st;
}

static void
child_exec_ro_only(const struct msg_policy *m)
{
	char in_proj[128], in_tmp[128];

	snprintf(in_proj, sizeof(in_proj), "%s/run.sh", proj);
	snprintf(in_tmp, sizeof(in_tmp), "%s/run.sh", tmpd);
	apply_landlock(m);
	/* system programs run; nothing the project or tmp holds does */
	CHECK(exec_status("/bin/true") == 0, "/bin/true did not run");
	CHECK(exec_status(in_proj) == (100 + EACCES) << 8,
	      "a script in the project ran (status %d)", exec_status(in_proj));
	CHECK(exec_status(in_tmp) == (100 + EACCES) << 8,
	      "a script in {tmp} ran (status %d)", exec_status(in_tmp));
	/* the other rights stay: read and write the project */
	CHECK(write_file(proj, "still-writable") == 0, "write denied");
	EXPECT_OK(open_in(proj, "run.sh", O_RDONLY));
}

static void
child_exec_allowed(const struct msg_policy *m)
{
	char in_proj[128];

	snprintf(in_proj, sizeof(in_proj), "%s/run.sh", proj);
	apply_landlock(m);
	CHECK(exec_status(in_proj) == 0,
	      "the project's script did not run "
	      "without exec_ro_only (status %d)",
	      exec_status(in_proj));
}

Test(landlock, exec_ro_only_executes_system_programs_only, .init = dirs_setup,
     .fini = dirs_teardown)
{
	struct msg_policy m;

	require_landlock(1);
	put_script(proj, "run.sh");
	put_script(tmpd, "run.sh");
	profile_msg("default", &m);
	/* the control: the same script runs under the plain profile (so a
	 * noexec mount would show here, not pass the test below) */
	expect_child_ok(child_exec_allowed, &m);
	m.exec_ro_only = true;
	expect_child_ok(child_exec_ro_only, &m);
	msg_policy_clear(&m);
}
