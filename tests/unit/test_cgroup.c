/*
 * test_cgroup.c - the run's cgroup (supervisor/sandbox/cgroup.h) against
 * fake cgroup trees: a temp directory of plain files standing for the
 * cgroupfs mounts, with its own /proc/self/cgroup and mountinfo. This is
 * how the cgroup v2 path is tested at all: the project's machines have
 * cgroup v1 (the v1 path runs for real in tests/integration/test_caps.c).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "supervisor/sandbox/cgroup.h"

static char T[PATH_MAX];

static void
setup(void)
{
	snprintf(T, sizeof(T), "/tmp/gao-cgtest-XXXXXX");
	cr_assert_not_null(mkdtemp(T));
}

static void
teardown(void)
{
	char cmd[PATH_MAX + 32];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", T);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(cgroup, .init = setup, .fini = teardown);

static void __attribute__((format(printf, 2, 3)))
put(const char *rel, const char *fmt, ...)
{
	char path[PATH_MAX * 2], cmd[PATH_MAX * 3];
	va_list ap;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", T, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
	cr_assert_eq(system(cmd), 0);
	f = fopen(path, "we");
	cr_assert_not_null(f, "%s", path);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
}

static void
dir(const char *rel)
{
	char cmd[PATH_MAX * 2];

	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/%s'", T, rel);
	cr_assert_eq(system(cmd), 0);
}

/* The first line of T/rel, or "" when absent. */
static const char *
get(const char *rel)
{
	static char buf[256];
	char path[PATH_MAX * 2];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", T, rel);
	buf[0] = 0;
	f = fopen(path, "re");
	if (!f)
		return "";
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return buf;
}

static bool
exists(const char *rel)
{
	char path[PATH_MAX * 2];

	snprintf(path, sizeof(path), "%s/%s", T, rel);
	return access(path, F_OK) == 0;
}

static struct cgroup_src
src(void)
{
	static char pc[PATH_MAX + 16], mi[PATH_MAX + 16];

	snprintf(pc, sizeof(pc), "%s/proc-cgroup", T);
	snprintf(mi, sizeof(mi), "%s/mountinfo", T);
	return (struct cgroup_src){
		.proc_cgroup = pc, .mountinfo = mi, .self = 4242, .fake = true
	};
}

/* A v1 host like the project's: memory and pids hierarchies, a v2 one
 * that is empty. */
static void
v1_host(const char *mem_path)
{
	put("proc-cgroup",
	    "9:name=systemd:/\n8:pids:/\n4:memory:%s\n1:cpu:/\n0::/\n",
	    mem_path);
	put("mountinfo",
	    "30 22 0:27 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n"
	    "31 30 0:28 / %s/cpu rw,relatime - cgroup cgroup rw,cpu\n"
	    "34 30 0:31 / %s/memory rw,relatime - cgroup cgroup rw,memory\n"
	    "38 30 0:35 / %s/pids rw,relatime - cgroup cgroup rw,pids\n"
	    "40 30 0:37 / %s/unified rw,relatime - cgroup2 cgroup2 rw\n",
	    T, T, T, T);
	dir("cpu");
	dir("pids");
	dir("unified");
	{
		char rel[PATH_MAX];

		snprintf(rel, sizeof(rel), "memory%s", mem_path);
		dir(rel);
	}
}

Test(cgroup, v1_memory_and_pids)
{
	struct cgroup_caps caps = { .memory_bytes = 64 << 20, .pids = 100 };
	struct cgroup_src s = src();
	struct cgroup *cg = NULL;
	int fds[CGROUP_MAX_FDS];
	char err[1024];

	v1_host("/process_api/abc");
	cr_assert_eq(cgroup_create(&s, "run-1", &caps, &cg, err, sizeof(err)),
		     0);
	cr_assert_not_null(cg, "%s", err);
	cr_assert_str_eq(err, "");
	cr_assert_eq(cgroup_enforced(cg), CGROUP_MEMORY | CGROUP_PIDS);
	cr_assert_str_eq(cgroup_kind(cg), "v1");
	cr_assert_str_eq(
		get("memory/process_api/abc/gao-dev-run-1/memory.limit_in_bytes"),
		"67108864");
	cr_assert_str_eq(get("memory/process_api/abc/gao-dev-run-1/"
			     "memory.memsw.limit_in_bytes"),
			 "67108864");
	cr_assert_str_eq(get("pids/gao-dev-run-1/pids.max"), "100");
	cr_assert_eq(cgroup_procs_fds(cg, fds), 2);
	cr_assert_eq(write(fds[0], "0", 1), 1);
	cr_assert_eq(write(fds[1], "0", 1), 1);
	cr_assert_str_eq(get("memory/process_api/abc/gao-dev-run-1/"
			     "cgroup.procs"),
			 "0");
	cr_assert_str_eq(get("pids/gao-dev-run-1/cgroup.procs"), "0");
	/* a phase with a larger policy raises the cap, never lowers it */
	cr_assert_eq(cgroup_raise_pids(cg, 300), 0);
	cr_assert_str_eq(get("pids/gao-dev-run-1/pids.max"), "300");
	cr_assert_eq(cgroup_raise_pids(cg, 50), 0);
	cr_assert_str_eq(get("pids/gao-dev-run-1/pids.max"), "300");
	cgroup_destroy(cg); /* plain files: the directories stay */
}

Test(cgroup, v1_without_a_pids_hierarchy)
{
	struct cgroup_caps caps = { .memory_bytes = 64 << 20, .pids = 100 };
	struct cgroup_src s = src();
	struct cgroup *cg = NULL;
	char err[1024];

	put("proc-cgroup", "4:memory:/\n0::/\n");
	put("mountinfo",
	    "34 30 0:31 / %s/memory rw - cgroup cgroup rw,memory\n", T);
	dir("memory");
	cr_assert_eq(cgroup_create(&s, "run-2", &caps, &cg, err, sizeof(err)),
		     0);
	cr_assert_eq(cgroup_enforced(cg), CGROUP_MEMORY);
	cr_assert(strstr(err, "no cgroup v1 \"pids\""), "%s", err);
	cgroup_destroy(cg);
}

Test(cgroup, v1_mount_of_a_subtree)
{
	struct cgroup_caps caps = { .memory_bytes = 32 << 20 };
	struct cgroup_src s = src();
	struct cgroup *cg = NULL;
	char err[1024];

	/* the hierarchy's /ctr is mounted: our /ctr/job is <mount>/job */
	put("proc-cgroup", "4:memory:/ctr/job\n");
	put("mountinfo",
	    "34 30 0:31 /ctr %s/mem\\040cg rw - cgroup cgroup rw,memory\n", T);
	dir("mem cg/job");
	cr_assert_eq(cgroup_create(&s, "run-3", &caps, &cg, err, sizeof(err)),
		     0);
	cr_assert_not_null(cg, "%s", err);
	cr_assert_str_eq(get("mem cg/job/gao-dev-run-3/memory.limit_in_bytes"),
			 "33554432");
	cgroup_destroy(cg);

	/* a cgroup outside the mounted part cannot be reached */
	put("proc-cgroup", "4:memory:/other/job\n");
	cr_assert_eq(cgroup_create(&s, "run-4", &caps, &cg, err, sizeof(err)),
		     0);
	cr_assert_null(cg);
	cr_assert(strstr(err, "no cgroup v1 \"memory\" hierarchy that holds"),
		  "%s", err);
}

Test(cgroup, v1_not_writable)
{
	struct cgroup_caps caps = { .memory_bytes = 64 << 20, .pids = 10 };
	struct cgroup_src s = src();
	struct cgroup *cg = NULL;
	char err[1024], path[PATH_MAX * 2];

	if (geteuid() == 0)
		cr_skip_test("root writes a 0555 directory");
	v1_host("/");
	snprintf(path, sizeof(path), "%s/memory", T);
	chmod(path, 0555);
	snprintf(path, sizeof(path), "%s/pids", T);
	chmod(path, 0555);
	cr_assert_eq(cgroup_create(&s, "run-5", &caps, &cg, err, sizeof(err)),
		     0);
	cr_assert_null(cg);
	cr_assert(strstr(err, "delegate"), "%s", err);
	chmod(path, 0755);
	snprintf(path, sizeof(path), "%s/memory", T);
	chmod(path, 0755);
}

/* A v2-only host; the supervisor in /user/sess, alone unless others. */
static void
v2_host(const char *own, const char *controllers, const char *subtree,
	const char *procs)
{
	char rel[PATH_MAX];

	put("proc-cgroup", "0::%s\n", own);
	put("mountinfo",
	    "25 1 0:22 / /sys rw - sysfs sysfs rw\n"
	    "26 25 0:23 / %s/cg rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n",
	    T);
	snprintf(rel, sizeof(rel), "cg%s/cgroup.controllers",
		 strcmp(own, "/") ? own : "");
	put(rel, "%s\n", controllers);
	snprintf(rel, sizeof(rel), "cg%s/cgroup.subtree_control",
		 strcmp(own, "/") ? own : "");
	put(rel, "%s\n", subtree);
	snprintf(rel, sizeof(rel), "cg%s/cgroup.procs",
		 strcmp(own, "/") ? own : "");
	put(rel, "%s", procs);
}

Test(cgroup, v2_moves_itself_into_a_leaf_and_delegates)
{
	struct cgroup_caps caps = { .memory_bytes = 128 << 20, .pids = 64 };
	struct cgroup_src s = src();
	struct cgroup *cg = NULL;
	int fds[CGROUP_MAX_FDS];
	char err[1024];

	v2_host("/user/sess", "cpuset cpu io memory pids", "", "4242\n");
	cr_assert_eq(cgroup_create(&s, "run-6", &caps, &cg, err, sizeof(err)),
		     0);
	cr_assert_not_null(cg, "%s", err);
	cr_assert_str_eq(cgroup_kind(cg), "v2");
	cr_assert_eq(cgroup_enforced(cg), CGROUP_MEMORY | CGROUP_PIDS);
	/* no internal processes: the supervisor went to a leaf first */
	cr_assert_str_eq(
		get("cg/user/sess/gao-dev-supervisor-4242/cgroup.procs"),
		"4242");
	cr_assert_str_eq(get("cg/user/sess/cgroup.subtree_control"),
			 "+memory +pids");
	cr_assert_str_eq(get("cg/user/sess/gao-dev-run-6/memory.max"),
			 "134217728");
	cr_assert_str_eq(get("cg/user/sess/gao-dev-run-6/memory.swap.max"),
			 "0");
	cr_assert_str_eq(get("cg/user/sess/gao-dev-run-6/pids.max"), "64");
	cr_assert_eq(cgroup_procs_fds(cg, fds), 1);
	cgroup_destroy(cg);
}

Test(cgroup, v2_already_delegated)
{
	struct cgroup_caps caps = { .memory_bytes = 128 << 20, .pids = 64 };
	struct cgroup_src s = src();
	struct cgroup *cg = NULL;
	char err[1024];

	/* controllers enabled below, and other processes in leaves */
	v2_host("/svc", "memory pids", "memory pids", "");
	cr_assert_eq(cgroup_create(&s, "run-7", &caps, &cg, err, sizeof(err)),
		     0);
	cr_assert_not_null(cg, "%s", err);
	cr_assert_not(exists("cg/svc/gao-dev-supervisor-4242"));
	cr_assert_str_eq(get("cg/svc/cgroup.subtree_control"), "memory pids");
	cr_assert_str_eq(get("cg/svc/gao-dev-run-7/pids.max"), "64");
	cgroup_destroy(cg);
}

Test(cgroup, v2_only_the_controllers_needed)
{
	struct cgroup_caps caps = { .memory_bytes = 128 << 20 };
	struct cgroup_src s = src();
	struct cgroup *cg = NULL;
	char err[1024];

	v2_host("/svc", "memory pids", "pids", "4242\n");
	cr_assert_eq(cgroup_create(&s, "run-8", &caps, &cg, err, sizeof(err)),
		     0);
	cr_assert_eq(cgroup_enforced(cg), CGROUP_MEMORY);
	cr_assert_str_eq(get("cg/svc/cgroup.subtree_control"), "+memory");
	cr_assert_not(exists("cg/svc/gao-dev-run-8/pids.max"));
	cgroup_destroy(cg);
}

Test(cgroup, v2_root_cgroup_needs_no_leaf)
{
	struct cgroup_caps caps = { .memory_bytes = 128 << 20, .pids = 8 };
	struct cgroup_src s = src();
	struct cgroup *cg = NULL;
	char err[1024];

	v2_host("/", "memory pids", "", "1\n77\n4242\n");
	cr_assert_eq(cgroup_create(&s, "run-9", &caps, &cg, err, sizeof(err)),
		     0);
	cr_assert_not_null(cg, "%s", err);
	cr_assert_not(exists("cg/gao-dev-supervisor-4242"));
	cr_assert_str_eq(get("cg/cgroup.subtree_control"), "+memory +pids");
	cgroup_destroy(cg);
}

Test(cgroup, v2_not_delegated)
{
	struct cgroup_caps caps = { .memory_bytes = 128 << 20, .pids = 8 };
	struct cgroup_src s = src();
	struct cgroup *cg = NULL;
	char err[1024];

	v2_host("/user/sess", "cpu io", "", "4242\n");
	cr_assert_eq(cgroup_create(&s, "run-10", &caps, &cg, err, sizeof(err)),
		     0);
	cr_assert_null(cg);
	cr_assert(strstr(err, "\"memory\" is not delegated"), "%s", err);
	cr_assert(strstr(err, "Delegate=yes"), "%s", err);
	cr_assert_not(exists("cg/user/sess/gao-dev-run-10"));
	cr_assert_not(exists("cg/user/sess/gao-dev-supervisor-4242"));
}

Test(cgroup, v2_other_processes_in_the_cgroup)
{
	struct cgroup_caps caps = { .memory_bytes = 128 << 20 };
	struct cgroup_src s = src();
	struct cgroup *cg = NULL;
	char err[1024];

	v2_host("/user/sess", "memory pids", "", "4242\n999\n");
	cr_assert_eq(cgroup_create(&s, "run-11", &caps, &cg, err, sizeof(err)),
		     0);
	cr_assert_null(cg);
	cr_assert(strstr(err, "other processes"), "%s", err);
	cr_assert_not(exists("cg/user/sess/gao-dev-supervisor-4242"));
	cr_assert_str_eq(get("cg/user/sess/cgroup.subtree_control"), "");
}

Test(cgroup, no_hierarchy_at_all)
{
	struct cgroup_caps caps = { .memory_bytes = 128 << 20, .pids = 8 };
	struct cgroup_src s = src();
	struct cgroup *cg = NULL;
	char err[1024];

	put("proc-cgroup", "0::/\n");
	put("mountinfo", "25 1 0:22 / /sys rw - sysfs sysfs rw\n");
	cr_assert_eq(cgroup_create(&s, "run-12", &caps, &cg, err, sizeof(err)),
		     0);
	cr_assert_null(cg);
	cr_assert(strstr(err, "neither"), "%s", err);
}

Test(cgroup, hostile_proc_files)
{
	static const char *const junk[] = {
		"",
		":::\n",
		"4:memory\n",
		"4:memory:relative\n",
		"x:y:z\n0:\n::/\n",
	};
	struct cgroup_caps caps = { .memory_bytes = 128 << 20 };
	struct cgroup_src s = src();
	struct cgroup *cg = NULL;
	char err[1024];

	put("mountinfo", "garbage\n - \n1 2 3\n34 30 0:31 / %s/m rw - cgroup\n",
	    T);
	for (size_t i = 0; i < sizeof(junk) / sizeof(*junk); i++) {
		put("proc-cgroup", "%s", junk[i]);
		cr_assert_eq(cgroup_create(&s, "run-13", &caps, &cg, err,
					   sizeof(err)),
			     0);
		cr_assert_null(cg, "%s", junk[i]);
		cr_assert(err[0], "no reason for \"%s\"", junk[i]);
	}
}

Test(cgroup, arguments)
{
	struct cgroup_caps none = { 0 }, caps = { .memory_bytes = 1 << 30 };
	struct cgroup_src s = src();
	struct cgroup *cg = NULL;
	char err[1024];
	int fds[CGROUP_MAX_FDS];

	cr_assert_eq(cgroup_create(&s, "ok", &none, &cg, err, sizeof(err)), 0);
	cr_assert_null(cg);
	cr_assert_str_eq(err, "");
	cr_assert_eq(cgroup_create(&s, "../x", &caps, &cg, err, sizeof(err)),
		     -EINVAL);
	cr_assert_eq(cgroup_create(&s, "", &caps, &cg, err, sizeof(err)),
		     -EINVAL);
	cr_assert_eq(cgroup_create(&s, "A", &caps, &cg, err, sizeof(err)),
		     -EINVAL);
	cr_assert_eq(cgroup_enforced(NULL), 0);
	cr_assert_str_eq(cgroup_kind(NULL), "none");
	cr_assert_eq(cgroup_procs_fds(NULL, fds), 0);
	cr_assert_eq(cgroup_raise_pids(NULL, 5), 0);
	cr_assert_eq(cgroup_destroy(NULL), 0);
}

/* runs list --prune removes a dead run's cgroup: only a directory named
 * gao-dev-<run> on a cgroup file system, whatever the file says. */
Test(cgroup, remove_stale_refuses_what_is_not_the_runs_cgroup)
{
	char dir[] = "/tmp/gao-cg-stale-XXXXXX", path[PATH_MAX],
	     err[PATH_MAX + 128];
	const char *bad[] = { "gao-dev-r1",
			      "/sys/fs/cgroup/../gao-dev-r1",
			      "/sys/fs/cgroup/./gao-dev-r1",
			      "/sys/fs/cgroup/gao-dev-r2",
			      "/sys/fs/cgroup/r1",
			      "/sys/fs/cgroup/gao-dev-r1x",
			      "" };
	int killed = -1;

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		cr_assert_eq(cgroup_remove_stale(bad[i], "r1", &killed, err,
						 sizeof(err)),
			     -EINVAL, "%s", bad[i]);
		cr_assert_eq(killed, 0);
	}
	/* the right name on a file system that is not a cgroup's */
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/gao-dev-r1", dir);
	cr_assert_eq(mkdir(path, 0700), 0);
	cr_assert_eq(cgroup_remove_stale(path, "r1", &killed, err, sizeof(err)),
		     -EINVAL);
	cr_assert_not_null(strstr(err, "not a directory of a cgroup"), "%s",
			   err);
	cr_assert_eq(access(path, F_OK), 0, "removed from a plain fs");
	cr_assert_eq(rmdir(path), 0);
	/* gone already: nothing to do */
	cr_assert_eq(cgroup_remove_stale(path, "r1", &killed, err, sizeof(err)),
		     0);
	cr_assert_eq(rmdir(dir), 0);
}
