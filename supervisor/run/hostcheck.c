/*
 * hostcheck.c - sandbox check, the probe: one real worker, one real
 * cgroup, on the run's own code path. See hostcheck.h.
 */
#include "supervisor/run/hostcheck.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "common/pathbuf.h"
#include "common/termesc.h"
#include "common/utf8.h"
#include "policy/policy.h"
#include "supervisor/core/child.h"
#include "supervisor/core/datadir.h"
#include "supervisor/run/run_priv.h"
#include "supervisor/run/runner.h"
#include "supervisor/sandbox/cgroup.h"
#include "supervisor/sandbox/spawn_ns.h"
#include "supervisor/sandbox/wconn.h"

/* The temporary sandbox of the check: base/project and base/tmp. */
struct box {
	char base[PATH_MAX];
	char project[PATH_MAX];
	char tmp[PATH_MAX];
	int project_fd;
};

/* The worker's progress, set by its callbacks. */
struct probe {
	struct hostcheck *h;
	bool done;
	char said[256]; /* the worker's first stderr line */
};

static void
on_ready(void *ctx, const struct msg_ready *r)
{
	struct probe *p = ctx;

	p->h->started = true;
	p->h->layers = r->layers;
	p->h->landlock_abi = r->landlock_abi;
	p->done = true;
}

static void
on_dead(void *ctx, const char *why)
{
	struct probe *p = ctx;

	if (!p->h->started)
		snprintf(p->h->error, sizeof(p->h->error),
			 "the worker did not confine itself: %s%s%s", why,
			 p->said[0] ? "; it said: " : "", p->said);
	p->done = true;
}

static void
on_log(void *ctx, const char *line)
{
	struct probe *p = ctx;

	/* the worker's own complaint says why it could not confine; kept
	 * escaped, so the JSON report (valid UTF-8 only) can carry it */
	if (!p->h->started && !p->said[0]) {
		char *clean = termesc_dup(line);

		utf8_copy(p->said, sizeof(p->said),
			  clean ? clean : "(unreadable)");
		free(clean);
	}
}

static bool
probe_done(void *ctx)
{
	return ((struct probe *)ctx)->done;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	if (flag == FTW_DP)
		return rmdir(path) < 0 ? -1 : 0;
	return unlink(path) < 0 ? -1 : 0;
}

static void
box_remove(struct box *b)
{
	if (b->project_fd >= 0)
		close(b->project_fd);
	b->project_fd = -1;
	if (b->base[0] && nftw(b->base, rm_entry, 16, FTW_DEPTH | FTW_PHYS) < 0)
		termesc_fprintf(stderr,
				"gao-dev: warning: cannot remove the check's "
				"directory %s: %s\n",
				b->base, strerror(errno));
	b->base[0] = 0;
}

/*
 * The check's project and tmp directory, as a run has them: below a
 * directory others may pass (0711) and, as root, owned by the run's uid.
 */
static int
box_make(struct box *b, const char *root, uid_t uid, char *err, size_t errlen)
{
	const char *tmpdir = getenv("TMPDIR");
	char where[PATH_MAX];

	b->project_fd = -1;
	if (!root)
		root = tmpdir && tmpdir[0] == '/' ? tmpdir : "/tmp";
	if (!realpath(root, where) ||
	    pathbuf_fmt(b->base, sizeof(b->base), "%s/gao-dev-check-XXXXXX",
			where) < 0 ||
	    !mkdtemp(b->base)) {
		snprintf(err, errlen,
			 "cannot make a directory under %.600s: %s", root,
			 strerror(errno));
		b->base[0] = 0;
		return -1;
	}
	if (pathbuf_fmt(b->project, sizeof(b->project), "%s/project", b->base) <
		    0 ||
	    pathbuf_fmt(b->tmp, sizeof(b->tmp), "%s/tmp", b->base) < 0 ||
	    mkdir(b->project, 0700) < 0 || mkdir(b->tmp, 0700) < 0 ||
	    (geteuid() == 0 &&
	     (chmod(b->base, 0711) < 0 || chown(b->project, uid, uid) < 0 ||
	      chown(b->tmp, uid, uid) < 0))) {
		snprintf(err, errlen, "cannot prepare %.600s: %s", b->base,
			 strerror(errno));
		return -1;
	}
	b->project_fd = open(b->project,
			     O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (b->project_fd < 0) {
		snprintf(err, errlen, "cannot open %.600s: %s", b->project,
			 strerror(errno));
		return -1;
	}
	return 0;
}

/* The run's uid, picked as a run picks it (run.c, uidmap.h). -1 when
 * the uid maps cannot be read (a run would not start either). */
static int
pick_uid(struct hostcheck *h)
{
	h->uid_why[0] = 0;
	h->uid_rc = run_pick_uid(&h->uid, h->uid_why, sizeof(h->uid_why));
	if (h->uid_rc < 0) {
		snprintf(h->error, sizeof(h->error),
			 "choosing the workers' uid: %s", h->uid_why);
		return -1;
	}
	if (!h->root)
		snprintf(h->uid_why, sizeof(h->uid_why),
			 "not root: workers keep your uid (in a user "
			 "namespace where the host gives one)");
	return 0;
}

/* The run's cgroup with the run's caps, made for the worker to join. */
static struct cgroup *
make_cgroup(struct hostcheck *h)
{
	struct cgroup_caps caps = { .memory_bytes = h->max_memory,
				    .pids = h->pids };
	struct cgroup_src src;
	struct cgroup *cg = NULL;
	char name[64];
	int rc;

	cgroup_src_host(&src);
	snprintf(name, sizeof(name), "check-%ld", (long)getpid());
	rc = cgroup_create(&src, name, &caps, &cg, h->cg_why,
			   sizeof(h->cg_why));
	if (rc < 0)
		snprintf(h->cg_why, sizeof(h->cg_why),
			 "cannot set up a cgroup: %s", strerror(-rc));
	h->cg_on = cgroup_enforced(cg);
	h->cg_kind = cgroup_kind(cg);
	return cg;
}

/*
 * The hierarchies the supervisor is in, from /proc/self/cgroup: each v1
 * line "ID:controllers:path" names its controllers (named hierarchies
 * such as name=systemd are left out); "0::path" is the v2 hierarchy.
 * What the run's cgroup got is cgroup_create()'s to say; this is only
 * what the host shows, for the report.
 */
static void
read_hierarchies(struct hostcheck *h)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	char line[512];
	size_t o = 0;

	while (f && fgets(line, sizeof(line), f)) {
		char *ctl = strchr(line, ':'), *end;

		if (!ctl || !(end = strchr(ctl + 1, ':')))
			continue;
		*end = 0;
		ctl++;
		if (strncmp(line, "0:", 2) == 0 && !*ctl) {
			h->cg_v2 = true;
			continue;
		}
		if (!*ctl || strncmp(ctl, "name=", 5) == 0 ||
		    o + strlen(ctl) + 2 >= sizeof(h->cg_v1))
			continue;
		o += (size_t)snprintf(h->cg_v1 + o, sizeof(h->cg_v1) - o,
				      "%s%s", o ? "," : "", ctl);
	}
	if (f)
		fclose(f);
}

/* The worker's environment, as an agent's (run_phase.c): nothing
 * inherited. */
static void
worker_env(const struct box *b, char *env[8], char bufs[2][PATH_MAX + 16])
{
	snprintf(bufs[0], sizeof(bufs[0]), "HOME=%s", b->project);
	snprintf(bufs[1], sizeof(bufs[1]), "TMPDIR=%s", b->tmp);
	env[0] = bufs[0];
	env[1] = bufs[1];
	env[2] = "PATH=/usr/local/bin:/usr/bin:/bin";
	env[3] = "LANG=C.UTF-8";
	env[4] = "TERM=dumb";
	env[5] = NULL;
}

/* Start the worker as an agent's and wait for READY or its end. */
static void
run_worker(struct hostcheck *h, const struct cli *c, const struct policy *pol,
	   const struct box *b, struct cgroup *cg, int worker_fd)
{
	char *tools[] = { "Bash", NULL };
	char *env[8], bufs[2][PATH_MAX + 16];
	struct msg_init init = { 0 };
	struct wconn_cbs cbs = { .ready = on_ready,
				 .dead = on_dead,
				 .log = on_log };
	struct probe p = { .h = h };
	struct loop *l = loop_new();
	struct wconn *w = NULL;
	char err[512];

	if (!l || policy_to_msg(pol, b->project, b->tmp, &init.policy) < 0) {
		snprintf(h->error, sizeof(h->error),
			 "cannot prepare the worker's sandbox: out of memory");
		goto out;
	}
	worker_env(b, env, bufs);
	init.policy.test_disable = c->test_disable;
	if (h->max_disk && (init.policy.file_size_bytes == 0 ||
			    init.policy.file_size_bytes > h->max_disk))
		init.policy.file_size_bytes = h->max_disk;
	init.version = PROTO_VERSION;
	init.project_dir = (char *)b->project;
	init.agent = "gao-dev-check";
	init.tools = tools;
	init.n_tools = 1;
	struct wconn_opts o = {
		.worker_fd = worker_fd,
		.project_fd = b->project_fd,
		.project_path = b->project,
		.tmp_path = b->tmp,
		.envp = env,
		.ready_timeout_ms = 10000,
		.init = &init,
		.ns_flags = c->no_namespaces ?
				    0 :
				    spawn_ns_flags(h->policy_network),
		.private_tmp = strncmp(b->project, "/tmp/", 5) != 0 &&
			       strncmp(b->tmp, "/tmp/", 5) != 0,
		.drop_uid = h->root && h->uid != 0,
		.uid = h->uid,
		.gid = h->uid,
		.cgroup = cg,
	};
	w = wconn_start(l, &o, &cbs, &p, err, sizeof(err));
	if (!w) {
		snprintf(h->error, sizeof(h->error),
			 "the worker could not be started: %s", err);
		goto out;
	}
	if (loop_run_until(l, probe_done, &p) < 0)
		snprintf(h->error, sizeof(h->error),
			 "waiting for the worker failed");
out:
	wconn_stop(w);
	if (l)
		child_drain(l);
	loop_free(l);
	init.tools = NULL;
	msg_policy_clear(&init.policy);
}

/* Text from the host (paths, the kernel's name, errors) made valid
 * UTF-8 in place, so the JSON report can always carry it. */
static void
clean_text(char *buf, size_t cap)
{
	char *clean;

	if (utf8_valid(buf, strlen(buf)))
		return;
	clean = utf8_clean(buf, strlen(buf));
	utf8_copy(buf, cap, clean ? clean : "(unreadable)");
	free(clean);
}

int
hostcheck_probe(const struct cli *c, struct hostcheck *h)
{
	struct policy *pol = NULL;
	struct cgroup *cg = NULL;
	struct box b = { .project_fd = -1 };
	struct utsname u;
	char err[1024];
	int worker_fd = -1, rc = 0;
	sigset_t stop, old, pending;
	struct stat st;

	memset(h, 0, sizeof(*h));
	if (c->sandbox_root &&
	    (stat(c->sandbox_root, &st) < 0 || !S_ISDIR(st.st_mode))) {
		termesc_fprintf(stderr,
				"gao-dev: --sandbox-root %s: not a directory "
				"(the check makes its temporary directory in "
				"an existing one)\n",
				c->sandbox_root);
		return EXIT_USAGE;
	}
	h->root = geteuid() == 0;
	h->require = (enum run_isolation)c->require_isolation;
	h->cg_kind = "none";
	if (uname(&u) == 0)
		snprintf(h->kernel, sizeof(h->kernel), "%s", u.release);
	if (policy_load_named(c->policy ? c->policy : "default",
			      datadir_profiles(), &pol, err, sizeof(err)) < 0) {
		termesc_fprintf(stderr, "gao-dev: %s\n", err);
		return EXIT_USAGE;
	}
	snprintf(h->policy, sizeof(h->policy), "%s", policy_name(pol));
	h->policy_network = pol->network == POLICY_NET_TCP;
	h->ns_off = c->no_namespaces;
	h->test_disable = c->test_disable;
	h->ns_refused = !c->no_namespaces && spawn_ns_flags(false) == 0;
	h->max_memory = c->max_memory;
	h->memory_explicit = c->max_memory_set;
	h->pids = run_caps_pids(pol);
	h->max_disk = c->max_disk;
	h->max_files = c->max_files;
	read_hierarchies(h);
	/* an interrupt waits until the worker and the cgroup are gone */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGHUP);
	sigprocmask(SIG_BLOCK, &stop, &old);
	if (pick_uid(h) < 0)
		goto out;
	worker_fd = runner_open_worker(err, sizeof(err));
	if (worker_fd < 0) {
		snprintf(h->error, sizeof(h->error), "%s", err);
		goto out;
	}
	if (box_make(&b, c->sandbox_root, h->uid, err, sizeof(err)) < 0) {
		snprintf(h->error, sizeof(h->error), "%s", err);
		goto out;
	}
	cg = make_cgroup(h);
	run_worker(h, c, pol, &b, cg, worker_fd);
out:
	cgroup_destroy(cg);
	box_remove(&b);
	if (worker_fd >= 0)
		close(worker_fd);
	policy_free(pol);
	clean_text(h->kernel, sizeof(h->kernel));
	clean_text(h->policy, sizeof(h->policy));
	clean_text(h->error, sizeof(h->error));
	clean_text(h->uid_why, sizeof(h->uid_why));
	clean_text(h->cg_why, sizeof(h->cg_why));
	clean_text(h->cg_v1, sizeof(h->cg_v1));
	if (sigpending(&pending) == 0 && (sigismember(&pending, SIGINT) == 1 ||
					  sigismember(&pending, SIGTERM) == 1 ||
					  sigismember(&pending, SIGHUP) == 1)) {
		fprintf(stderr, "gao-dev: sandbox check interrupted\n");
		rc = EXIT_INTERRUPTED;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}

int
hostcheck_main(struct cli *c)
{
	struct hostcheck h;
	int rc;

	/* the run caps a run would take: options, then the user config */
	rc = runner_pick_caps(c);
	if (rc != 0)
		return rc;
	rc = hostcheck_probe(c, &h);
	if (rc != 0)
		return rc;
	hostcheck_judge(&h);
	if (c->json) {
		json_t *j = hostcheck_json(&h);
		char *s = j ? json_dumps(j, JSON_INDENT(2)) : NULL;

		json_decref(j);
		if (!s) {
			fprintf(stderr, "gao-dev: out of memory\n");
			return EXIT_INFRA;
		}
		/* JSON escapes every control character itself */
		puts(s);
		free(s);
	} else {
		hostcheck_print(&h, stdout);
	}
	return h.exit_code;
}
