/*
 * runner_env.c - what "sandbox run" prepares before its first run: the
 * sandbox root, the memory-cap probe, and the environment every run
 * borrows (the loop, the API client, the limits).
 *
 * Design note
 * -----------
 * These are the first side effects of the invocation, taken only after
 * the configs, the key and the data files were checked. The sandbox root
 * is the operator's: created when missing, an existing one kept as it is.
 * As root, workers run as unprivileged uids, so the root must be
 * reachable for them, through a mount namespace when the host gives one
 * (spawn_view.h); when it cannot be, that is said now (exit 4), not in the
 * first phase. A memory total asked for is proved enforceable with a
 * probe cgroup before any run starts, for the same reason.
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/pathbuf.h"
#include "common/termesc.h"
#include "supervisor/agent/web.h"
#include "supervisor/api/api.h"
#include "supervisor/config/cli.h"
#include "supervisor/core/child.h"
#include "supervisor/core/loop.h"
#include "supervisor/run/run.h"
#include "supervisor/run/runner_int.h"
#include "supervisor/sandbox/cgroup.h"
#include "supervisor/sandbox/spawn_ns.h"
#include "supervisor/sandbox/spawn_view.h"

int
runner_env_prepare(struct runner *rn, struct secret *key, char *root_abs)
{
	struct cli *c = rn->cli;
	const char *base = getenv("ANTHROPIC_BASE_URL");
	struct api_config ac = {
		.base_url = base && *base ? base : "https://api.anthropic.com",
		.version = rn->api_version,
		.beta = rn->env.web_data ? web_data_beta(rn->env.web_data) :
					   NULL,
		.key = key,
		.rec = rn->rec,
		.stream = c->stream,
		.max_retries = c->max_retries,
		.retry_budget_s = c->retry_budget_s,
		.connect_timeout_ms = 5000,
		.idle_timeout_s = c->idle_timeout_s,
	};
	char err[1024];

	rn->env.loop = loop_new();
	if (!rn->env.loop)
		return EXIT_INFRA;
	/* what a worker killed outright leaves comes to us (child.h) */
	if (child_adopt_orphans(rn->env.loop) < 0)
		termesc_fprintf(stderr,
				"gao-dev: warning: /proc does not show this "
				"process's PID namespace: processes a killed "
				"worker leaves cannot be swept\n");
	rn->env.api = api_new(rn->env.loop, &ac, err, sizeof(err));
	if (!rn->env.api) {
		runner_say("gao-dev: %s\n", err);
		return EXIT_USAGE;
	}
	rn->env.sandbox_root = root_abs;
	rn->env.model = c->model;
	rn->env.api_version = rn->api_version;
	rn->env.max_turns = c->max_turns;
	rn->env.max_output_tokens = c->max_output_tokens;
	rn->env.thinking_budget = c->thinking_budget;
	rn->env.max_tokens = c->max_tokens;
	rn->env.max_cost_usd = c->max_cost_usd;
	rn->env.timeout_s = c->timeout_s;
	rn->env.policy = c->policy;
	rn->env.require = (enum run_isolation)c->require_isolation;
	rn->env.stream = c->stream;
	rn->env.report = c->report;
	rn->env.test_disable = c->test_disable;
	rn->env.use_namespaces = !c->no_namespaces;
	rn->env.max_memory = c->max_memory;
	rn->env.memory_explicit = c->max_memory_set;
	rn->env.max_disk = c->max_disk;
	rn->env.max_files = c->max_files;
	rn->env.rec = rn->rec;
	if (runner_signals_setup(rn) < 0)
		return EXIT_INFRA;
	if (!c->skip_key_validation && !c->replay)
		return runner_key_validate(rn, ac.base_url,
					   runner_key_first_model(rn));
	return 0;
}

/*
 * As root, workers run as an unprivileged uid. A sandbox root below a
 * directory others cannot search (a 0700 home) is made reachable in each
 * worker's mount namespace (spawn_view.h); without mount namespaces there
 * is no such route: say so clearly instead of failing in the first phase.
 */
static int
check_reachable(const char *abs, bool namespaces)
{
	char dir[PATH_MAX];
	struct stat st;

	if (namespaces && (spawn_ns_flags(false) & CLONE_NEWNS))
		return 0;
	/* the root itself is the operator's and keeps its mode */
	if (stat(abs, &st) == 0 && !(st.st_mode & S_IXOTH))
		snprintf(dir, sizeof(dir), "%s", abs);
	else if (!spawn_view_blocked(abs, dir, sizeof(dir)))
		return 0;
	st.st_mode = 0;
	stat(dir, &st);
	runner_say(
		"gao-dev: workers run as an unprivileged user and "
		"cannot pass through %s (mode %04o) to reach --sandbox-root "
		"%s, and this host gives no mount namespace in which gao-dev "
		"could make it reachable; choose a sandbox root that others "
		"may search, under directories they may search too, e.g. "
		"--sandbox-root /var/tmp/gao-dev\n",
		dir, (unsigned)(st.st_mode & 07777), abs);
	return EXIT_INFRA;
}

/*
 * Nobody else may swap what gao-dev writes below the sandbox root: the
 * root is ours (or root's, like /var/tmp) and, when others may write in
 * it, sticky (they cannot rename what is ours); projects/, runs/ and
 * results/ are made here, before any run, and must be our own
 * directories that only we may write in (one someone made in a shared
 * root beforehand would let them replace a run's directories with links
 * that root's chmod and chown then follow). 0, or EXIT_INFRA said.
 */
static int
check_own_dirs(const char *abs)
{
	static const char *const sub[] = { "projects", "runs", "results" };
	char path[PATH_MAX];
	struct stat st;

	errno = 0;
	if (lstat(abs, &st) < 0 || !S_ISDIR(st.st_mode))
		goto bad_root;
	if ((st.st_uid != geteuid() && st.st_uid != 0) ||
	    ((st.st_mode & 0022) && !(st.st_mode & S_ISVTX))) {
		runner_say("gao-dev: --sandbox-root %s: owned by uid %u, mode "
			   "%04o: it must be yours (or root's) and, if others "
			   "may write in it, sticky (1777); choose another\n",
			   abs, (unsigned)st.st_uid,
			   (unsigned)(st.st_mode & 07777));
		return EXIT_INFRA;
	}
	for (size_t i = 0; i < sizeof(sub) / sizeof(*sub); i++) {
		if (pathbuf_fmt(path, sizeof(path), "%s/%s", abs, sub[i]) !=
		    0) {
			errno = ENAMETOOLONG;
			goto bad_sub;
		}
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			goto bad_sub;
		if (lstat(path, &st) < 0)
			goto bad_sub;
		if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
		    (st.st_mode & 0022)) {
			runner_say("gao-dev: %s is not a directory of yours "
				   "that only you may write in (uid %u, mode "
				   "%04o): someone else could replace what "
				   "gao-dev writes there; remove it or choose "
				   "another --sandbox-root\n",
				   path, (unsigned)st.st_uid,
				   (unsigned)(st.st_mode & 07777));
			return EXIT_INFRA;
		}
	}
	return 0;
bad_root:
	runner_say("gao-dev: --sandbox-root %s: %s\n", abs,
		   errno ? strerror(errno) : "not a directory");
	return EXIT_INFRA;
bad_sub:
	runner_say("gao-dev: %s: %s\n", path, strerror(errno));
	return EXIT_INFRA;
}

/*
 * The sandbox root: created 0700 when missing (0711 as root, so the
 * workers' uids may pass), an existing one kept as it is: gao-dev never
 * changes the mode of a directory it did not create (run.c creates what
 * it needs below, after check_own_dirs).
 */
int
runner_env_make_root(const char *root, bool namespaces, char *abs, size_t cap)
{
	char tmp[PATH_MAX];
	bool made;

	if (strlen(root) > 1024) {
		runner_say("gao-dev: --sandbox-root is too long\n");
		return EXIT_USAGE;
	}
	snprintf(tmp, sizeof(tmp), "%s", root);
	made = mkdir(tmp, 0700) == 0;
	if (!made && errno != EEXIST) {
		runner_say("gao-dev: cannot create --sandbox-root %s: "
			   "%s\n",
			   root, strerror(errno));
		return EXIT_INFRA;
	}
	if (!realpath(tmp, abs) || strlen(abs) >= cap ||
	    (made && geteuid() == 0 && chmod(abs, 0711) < 0)) {
		runner_say("gao-dev: --sandbox-root %s: %s\n", root,
			   strerror(errno));
		return EXIT_INFRA;
	}
	if (check_own_dirs(abs) != 0)
		return EXIT_INFRA;
	return geteuid() == 0 ? check_reachable(abs, namespaces) : 0;
}

/*
 * A memory total asked for (--max-memory, max_memory: in the user config)
 * must be enforceable before any run starts: a probe cgroup, made and
 * removed at once. 0, or EXIT_INFRA with what is missing and the fix.
 */
int
runner_env_check_memory_cap(const struct cli *c)
{
	struct cgroup_caps caps = { .memory_bytes = c->max_memory };
	struct cgroup_src src;
	struct cgroup *cg = NULL;
	char name[64], why[1024];
	bool ok;

	if (!c->max_memory_set)
		return 0;
	cgroup_src_host(&src);
	snprintf(name, sizeof(name), "probe-%ld", (long)getpid());
	ok = cgroup_create(&src, name, &caps, &cg, why, sizeof(why)) == 0 &&
	     (cgroup_enforced(cg) & CGROUP_MEMORY);
	cgroup_destroy(cg);
	if (ok)
		return 0;
	runner_say(
		"gao-dev: --max-memory %llu (or max_memory: in the user "
		"config) asks for a memory total per run, and this host "
		"cannot enforce it: %s Or leave --max-memory and max_memory: "
		"unset (each process still has the policy's RLIMIT_AS)\n",
		(unsigned long long)c->max_memory, why);
	return EXIT_INFRA;
}
