/*
 * sbx.c - the escape suite's harness: see sbx.h.
 *
 * The worker runs exactly as run_phase.c starts it; the only differences
 * are the ones a test build allows (ns_flags 0, policy.test_disable). The
 * suite process stands in for the supervisor, so it also does what the
 * supervisor's main() does first: PR_SET_DUMPABLE 0, core limit 0, and
 * SIGPIPE ignored.
 */
#include "sbx.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "policy/apply.h"
#include "policy/policy.h"
#include "supervisor/core/child.h"
#include "supervisor/core/loop.h"
#include "supervisor/run/run_priv.h"
#include "supervisor/sandbox/spawn_ns.h"
#include "supervisor/sandbox/wconn.h"

static const char *const level_names[] = {
	[SBX_FULL] = "full",
	[SBX_NO_NS] = "no namespaces",
	[SBX_NO_LANDLOCK] = "no Landlock",
	[SBX_SECCOMP_ONLY] = "seccomp only",
};

#define SBX_NS_LAYERS \
	(MSG_LAYER_NS_MOUNT | MSG_LAYER_NS_PID | MSG_LAYER_NS_NET | \
	 MSG_LAYER_NS_IPC | MSG_LAYER_NS_UTS | MSG_LAYER_MIN_ROOT)

static const char *
env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return v && *v ? v : dflt;
}

const char *
sbx_worker_path(void)
{
	return env_or("GAO_SBX_WORKER", SBX_WORKER);
}

const char *
sbx_probe_path(void)
{
	return env_or("GAO_SBX_PROBE", SBX_PROBE);
}

const char *
sbx_evil_path(void)
{
	return env_or("GAO_SBX_EVIL", SBX_EVIL);
}

const char *
sbx_gao_dev_path(void)
{
	return env_or("GAO_SBX_GAO_DEV", SBX_GAO_DEV);
}

const char *
sbx_source_root(void)
{
	return env_or("GAO_SBX_SOURCE_ROOT", SBX_SOURCE_ROOT);
}

const char *
sbx_level_name(enum sbx_level lv)
{
	return lv < SBX_N_LEVELS ? level_names[lv] : "?";
}

bool
sbx_is_root(void)
{
	return geteuid() == 0;
}

/* ---- the supervisor's side of the worker ------------------------------ */

static void
on_ready(void *ctx, const struct msg_ready *r)
{
	struct sbx *s = ctx;

	s->ready = true;
	s->rdy = *r;
	loop_stop(s->loop);
}

static void
on_result(void *ctx, const struct msg_tool_result *r)
{
	struct sbx *s = ctx;

	free(s->res.content);
	s->res = (struct sbx_res){
		.is_error = r->is_error,
		.content = strdup(r->content),
		.exit_code = r->exit_code,
		.duration_ms = r->duration_ms,
		.bytes = r->bytes,
		.truncated = r->truncated,
	};
	s->got_result = true;
	loop_stop(s->loop);
}

static void
on_dead(void *ctx, const char *why)
{
	struct sbx *s = ctx;

	s->dead = true;
	snprintf(s->why, sizeof(s->why), "%s", why);
	loop_stop(s->loop);
}

static void
on_log(void *ctx, const char *line)
{
	struct sbx *s = ctx;

	s->log_bytes += strlen(line);
	s->log_lines++;
	if (s->log_lines <= 5)
		cr_log_info("worker log: %.200s", line);
}

static void
on_guard(struct loop *l, void *ctx)
{
	struct sbx *s = ctx;

	s->waiting = false;
	loop_stop(l);
}

/* Run the loop until a callback stops it or ms pass. */
static void
run_for(struct sbx *s, uint32_t ms)
{
	uint64_t t = loop_add_timer(s->loop, ms, on_guard, s);

	s->waiting = true;
	cr_assert_eq(loop_run(s->loop), 0, "loop_run failed");
	if (s->waiting)
		loop_cancel_timer(s->loop, t);
	s->waiting = false;
}

static void
make_dirs(struct sbx *s)
{
	const char *root = env_or("GAO_SBX_TMPDIR", "/var/tmp");
	static unsigned seq;

	snprintf(s->base, sizeof(s->base), "%s/gao-sbx-XXXXXX", root);
	cr_assert_not_null(mkdtemp(s->base), "mkdtemp below %s: %s", root,
			   strerror(errno));
	/* as root the worker (nobody) must pass through to its project */
	cr_assert_eq(chmod(s->base, 0711), 0);
	snprintf(s->project, sizeof(s->project), "%s/project", s->base);
	snprintf(s->tmp, sizeof(s->tmp), "%s/tmp", s->base);
	snprintf(s->host, sizeof(s->host), "%s/host", s->base);
	cr_assert_eq(mkdir(s->project, 0700), 0);
	cr_assert_eq(mkdir(s->tmp, 0700), 0);
	cr_assert_eq(mkdir(s->host, 0700), 0);
	if (sbx_is_root()) {
		cr_assert_eq(chown(s->project, s->uid, s->uid), 0);
		cr_assert_eq(chown(s->tmp, s->uid, s->uid), 0);
	}
	snprintf(s->token, sizeof(s->token), "sbxtok%d%u%s", (int)getpid(),
		 ++seq, strrchr(s->base, '-') + 1);
	/* a crash of the worker would leave its core file in its cwd */
	cr_assert_eq(chdir(s->base), 0);
}

/* The worker's whole environment, as run_phase.c's worker_env(). */
static void
make_env(struct sbx *s)
{
	int i = 0;

	cr_assert(asprintf(&s->envp[i++], "HOME=%s", s->project) > 0);
	cr_assert(asprintf(&s->envp[i++], "TMPDIR=%s", s->tmp) > 0);
	s->envp[i++] = strdup("PATH=/usr/local/bin:/usr/bin:/bin");
	s->envp[i++] = strdup("LANG=C.UTF-8");
	s->envp[i++] = strdup("TERM=dumb");
	s->envp[i++] = strdup("PYTHONDONTWRITEBYTECODE=1");
	s->envp[i++] = strdup("GIT_CONFIG_COUNT=1");
	s->envp[i++] = strdup("GIT_CONFIG_KEY_0=safe.directory");
	s->envp[i++] = strdup("GIT_CONFIG_VALUE_0=*");
	s->envp[i] = NULL;
}

static void
make_init(struct sbx *s)
{
	static char *tools[] = { "Read", "Write", "Edit", "MultiEdit",
				 "Glob", "Grep",  "Bash" };
	char profiles[PATH_MAX], err[512] = "";

	snprintf(profiles, sizeof(profiles), "%s/policy/profiles",
		 sbx_source_root());
	cr_assert_eq(policy_load_named("default", profiles, &s->policy, err,
				       sizeof(err)),
		     0, "policy: %s", err);
	cr_assert_eq(policy_to_msg(s->policy, s->project, s->tmp,
				   &s->init.policy),
		     0);
	s->init.version = PROTO_VERSION;
	s->init.project_dir = s->project;
	s->init.agent = "sbx";
	s->init.tools = tools;
	s->init.n_tools = sizeof(tools) / sizeof(tools[0]);
	if (s->level == SBX_NO_LANDLOCK || s->level == SBX_SECCOMP_ONLY)
		s->init.policy.test_disable = MSG_LAYER_LANDLOCK;
}

static bool
level_uses_ns(enum sbx_level lv)
{
	return lv == SBX_FULL || lv == SBX_NO_LANDLOCK;
}

/* Skip the test when the machine cannot give this level. */
static void
skip_unavailable(enum sbx_level lv)
{
	if (level_uses_ns(lv) && spawn_ns_flags(false) == 0)
		cr_skip_test(
			"the kernel refuses new namespaces here%s",
			sbx_is_root() ?
				"" :
				" (unprivileged, they need a "
				"user namespace, which the host may disable)");
	if ((lv == SBX_FULL || lv == SBX_NO_NS) && policy_landlock_abi() == 0)
		cr_skip_test("the kernel has no Landlock");
}

/*
 * Whether this host refuses a fresh /proc in a new PID namespace (a
 * container whose /proc is masked: the kernel will not mount a proc that
 * would reveal what the masks hide, in a user namespace). The worker then
 * binds the host's /proc and the layer pidns is not recorded. Probed in a
 * child, once.
 */
bool
sbx_fresh_proc_refused(void)
{
	static int refused = -1;
	int st = 0;
	pid_t pid;

	if (refused >= 0)
		return refused == 1;
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int flags = CLONE_NEWNS | CLONE_NEWPID |
			    (geteuid() != 0 ? CLONE_NEWUSER : 0);
		pid_t c;

		if (unshare(flags) < 0)
			_exit(2);
		c = fork();
		if (c == 0) {
			if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) <
			    0)
				_exit(2);
			_exit(mount("proc", "/proc", "proc",
				    MS_NOSUID | MS_NODEV | MS_NOEXEC,
				    NULL) == 0 ?
				      0 :
				      1);
		}
		if (c < 0 || waitpid(c, &st, 0) != c || !WIFEXITED(st))
			_exit(2);
		_exit(WEXITSTATUS(st));
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	refused = WIFEXITED(st) && WEXITSTATUS(st) == 1;
	return refused == 1;
}

/* The layers READY reports must be the level's, no more, no less. */
static void
check_layers(const struct sbx *s)
{
	uint32_t l = s->rdy.layers;
	bool ns = level_uses_ns(s->level);
	uint32_t ns_want = SBX_NS_LAYERS;

	/* no fresh /proc here: the PID namespace is not one to count on */
	if (ns && sbx_fresh_proc_refused())
		ns_want &= ~(uint32_t)MSG_LAYER_NS_PID;
	bool ll = s->level == SBX_FULL || s->level == SBX_NO_NS;

	cr_assert(l & MSG_LAYER_SECCOMP, "no seccomp at %s",
		  sbx_level_name(s->level));
	cr_assert(l & MSG_LAYER_NO_NEW_PRIVS);
	cr_assert(l & MSG_LAYER_RLIMITS);
	cr_assert_eq(!!(l & MSG_LAYER_LANDLOCK), ll, "Landlock %s at %s",
		     ll ? "missing" : "present", sbx_level_name(s->level));
	cr_assert_eq((l & ns_want) == ns_want, ns, "namespaces 0x%x at %s",
		     l & SBX_NS_LAYERS, sbx_level_name(s->level));
	if (!ns)
		cr_assert_eq(l & (SBX_NS_LAYERS | MSG_LAYER_NS_USER), 0u);
	cr_assert_eq(!!(l & MSG_LAYER_NS_USER), ns && !sbx_is_root());
	/* a uid of the run's own only where spawn dropped to one (as
	 * root, when another id is mapped): an ordinary user's worker keeps
	 * that user's uid, which is no such layer */
	cr_assert_eq(!!(l & MSG_LAYER_UNPRIVILEGED_UID),
		     sbx_is_root() && s->uid != 0, "unprivileged-uid %s",
		     sbx_is_root() && s->uid != 0 ? "missing" : "claimed");
	cr_assert_eq(s->rdy.uid, (int64_t)s->uid);
}

uid_t
sbx_run_uid(void)
{
	char why[512];
	uid_t uid;

	cr_assert_geq(run_pick_uid(&uid, why, sizeof(why)), 0, "%s", why);
	return uid;
}

bool
sbx_workers_own_uid(void)
{
	static int own = -1;

	if (own < 0)
		own = sbx_is_root() && sbx_run_uid() != 0;
	return own == 1;
}

void
sbx_setup(struct sbx *s, enum sbx_level lv)
{
	struct rlimit zero = { 0, 0 };

	memset(s, 0, sizeof(*s));
	s->level = lv;
	s->project_fd = s->worker_fd = -1;
	s->uid = sbx_run_uid();
	skip_unavailable(lv);
	/* what the supervisor's main() does first */
	cr_assert_eq(prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), 0);
	cr_assert_eq(setrlimit(RLIMIT_CORE, &zero), 0);
	signal(SIGPIPE, SIG_IGN);
	make_dirs(s);
	make_env(s);
	make_init(s);
	s->loop = loop_new();
	cr_assert_not_null(s->loop);
	s->project_fd = open(s->project,
			     O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	cr_assert_geq(s->project_fd, 0);
	cr_assert(sbx_start(s, NULL, NULL, 10000), "start: %s", s->why);
	cr_assert(sbx_wait_ready(s, 15000), "no READY: %s", s->why);
	check_layers(s);
}

bool
sbx_start(struct sbx *s, const char *exe, const char *const *extra_env,
	  uint32_t ready_timeout_ms)
{
	static const struct wconn_cbs cbs = {
		.ready = on_ready,
		.result = on_result,
		.dead = on_dead,
		.log = on_log,
	};
	char *env[32];
	size_t n = 0;
	struct wconn_opts o;

	if (s->worker_fd >= 0)
		close(s->worker_fd);
	s->worker_fd = open(exe ? exe : sbx_worker_path(), O_PATH | O_CLOEXEC);
	cr_assert_geq(s->worker_fd, 0, "%s: %s", exe ? exe : sbx_worker_path(),
		      strerror(errno));
	for (size_t i = 0; s->envp[i] && n < 24; i++)
		env[n++] = s->envp[i];
	for (size_t i = 0; extra_env && extra_env[i] && n < 31; i++)
		env[n++] = (char *)extra_env[i];
	env[n] = NULL;
	o = (struct wconn_opts){
		.worker_fd = s->worker_fd,
		.project_fd = s->project_fd,
		.project_path = s->project,
		.tmp_path = s->tmp,
		.envp = env,
		.ns_flags = level_uses_ns(s->level) ? spawn_ns_flags(false) : 0,
		.private_tmp = strncmp(s->project, "/tmp/", 5) != 0 &&
			       strncmp(s->tmp, "/tmp/", 5) != 0,
		.drop_uid = sbx_is_root() && s->uid != 0,
		.uid = s->uid,
		.gid = s->uid,
		.ready_timeout_ms = ready_timeout_ms,
		.init = &s->init,
	};
	s->ready = s->dead = s->got_result = false;
	s->why[0] = 0;
	/* wconn_start copies envp into the child before it returns */
	s->w = wconn_start(s->loop, &o, &cbs, s, s->why, sizeof(s->why));
	return s->w != NULL;
}

bool
sbx_wait_ready(struct sbx *s, uint32_t wait_ms)
{
	if (!s->ready && !s->dead)
		run_for(s, wait_ms);
	return s->ready && !s->dead;
}

bool
sbx_wait_dead(struct sbx *s, uint32_t wait_ms)
{
	uint64_t until = loop_now_ms() + wait_ms;

	while (!s->dead && loop_now_ms() < until)
		run_for(s, (uint32_t)(until - loop_now_ms()));
	return s->dead;
}

void
sbx_bury(struct sbx *s)
{
	if (!s->w)
		return;
	if (s->n_graves < sizeof(s->graveyard) / sizeof(s->graveyard[0]))
		s->graveyard[s->n_graves++] = s->w;
	else
		wconn_stop(s->w);
	s->w = NULL;
}

const struct sbx_res *
sbx_tool(struct sbx *s, const char *tool, json_t *input, uint32_t timeout_ms)
{
	char id[48];

	cr_assert_not_null(s->w, "no worker");
	cr_assert(!s->dead, "the worker is dead: %s", s->why);
	snprintf(id, sizeof(id), "toolu_sbx_%u", ++s->calls);
	s->got_result = false;
	cr_assert_eq(wconn_call(s->w, id, tool, input, timeout_ms), 0);
	json_decref(input);
	while (!s->got_result && !s->dead)
		run_for(s, timeout_ms + 10000);
	return s->got_result ? &s->res : NULL;
}

const char *
sbx_bash(struct sbx *s, uint32_t timeout_ms, const char *fmt, ...)
{
	const struct sbx_res *r;
	char *cmd = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&cmd, fmt, ap);
	va_end(ap);
	cr_assert_geq(n, 0);
	r = sbx_tool(s, "Bash", json_pack("{s:s}", "command", cmd), timeout_ms);
	cr_assert_not_null(r, "the worker died during `%.300s`: %s", cmd,
			   s->why);
	free(cmd);
	return r->content;
}

void
sbx_teardown(struct sbx *s)
{
	wconn_stop(s->w);
	s->w = NULL;
	for (size_t i = 0; i < s->n_graves; i++)
		wconn_stop(s->graveyard[i]);
	s->n_graves = 0;
	/* what an attempt that failed half-way may have left running */
	if (s->token[0])
		sbx_kill_procs(s->token);
	child_drain(s->loop); /* every stopped worker reaped and swept */
	loop_free(s->loop);
	s->loop = NULL;
	if (s->project_fd >= 0)
		close(s->project_fd);
	if (s->worker_fd >= 0)
		close(s->worker_fd);
	s->project_fd = s->worker_fd = -1;
	policy_free(s->policy);
	s->policy = NULL;
	msg_policy_clear(&s->init.policy);
	for (size_t i = 0; s->envp[i]; i++)
		free(s->envp[i]);
	memset(s->envp, 0, sizeof(s->envp));
	free(s->res.content);
	s->res.content = NULL;
	if (s->base[0]) {
		if (chdir("/") < 0)
			cr_log_warn("chdir /: %s", strerror(errno));
		sbx_rmtree(s->base);
	}
	s->base[0] = 0;
}

/* ---- files ------------------------------------------------------------ */

void
sbx_install_probe(struct sbx *s)
{
	char *data, dst[PATH_MAX];
	size_t len = 0, cap = 1 << 16;
	ssize_t n;
	int in, out;

	in = open(sbx_probe_path(), O_RDONLY | O_CLOEXEC);
	cr_assert_geq(in, 0, "%s: %s", sbx_probe_path(), strerror(errno));
	data = malloc(cap);
	while (data && (n = read(in, data + len, cap - len)) > 0) {
		len += (size_t)n;
		if (len == cap)
			data = realloc(data, cap *= 2);
	}
	close(in);
	cr_assert_not_null(data);
	snprintf(dst, sizeof(dst), "%s/sbx-probe", s->project);
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	cr_assert_geq(out, 0, "%s: %s", dst, strerror(errno));
	cr_assert_eq(write(out, data, len), (ssize_t)len);
	cr_assert_eq(fchmod(out, 0755), 0);
	if (sbx_is_root())
		cr_assert_eq(fchown(out, s->uid, s->uid), 0);
	close(out);
	free(data);
}

void
sbx_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("[NOTE] ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

int
sbx_probe_unconfined(const char *mode, char *out, size_t cap)
{
	size_t got = 0;
	int fds[2], st = 0;
	ssize_t n;
	pid_t pid;

	cr_assert_eq(pipe2(fds, O_CLOEXEC), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		if (dup2(fds[1], 1) == 1)
			execl(sbx_probe_path(), "sbx-probe", mode,
			      (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	while (got + 1 < cap &&
	       ((n = read(fds[0], out + got, cap - 1 - got)) > 0 ||
		(n < 0 && errno == EINTR)))
		got += n > 0 ? (size_t)n : 0;
	out[got] = 0;
	close(fds[0]);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	return st;
}

void
sbx_put(const char *path, const char *content, mode_t mode)
{
	int fd = open(path,
		      O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		      mode);

	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(write(fd, content, strlen(content)),
		     (ssize_t)strlen(content));
	cr_assert_eq(fchmod(fd, mode), 0);
	close(fd);
}

char *
sbx_slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!f)
		return NULL;
	n = getdelim(&buf, &cap, 0, f);
	fclose(f);
	if (n < 0) {
		free(buf);
		return strdup("");
	}
	return buf;
}

bool
sbx_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	if (flag == FTW_DP || flag == FTW_D)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

/* Pre-order pass: make every directory listable and writable. */
static int
open_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)f;
	if ((flag == FTW_D || flag == FTW_DNR) && !S_ISLNK(st->st_mode))
		chmod(path, 0700);
	return 0;
}

void
sbx_rmtree(const char *path)
{
	nftw(path, open_entry, 16, FTW_PHYS);
	nftw(path, rm_entry, 16, FTW_PHYS | FTW_DEPTH);
}

/* ---- processes -------------------------------------------------------- */

size_t
sbx_find_procs(const char *needle, pid_t *pids, size_t max)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	size_t n = 0;

	cr_assert_not_null(d);
	while ((de = readdir(d)) != NULL) {
		char path[300], buf[4096];
		pid_t pid = (pid_t)atoi(de->d_name);
		ssize_t len;
		int fd;

		if (pid <= 0 || pid == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (len <= 0)
			continue;
		for (ssize_t i = 0; i < len; i++)
			if (buf[i] == 0)
				buf[i] = ' ';
		buf[len] = 0;
		if (strstr(buf, needle) && n < max)
			pids[n++] = pid;
	}
	closedir(d);
	return n;
}

size_t
sbx_uid_procs(uid_t uid)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	size_t n = 0;

	cr_assert_not_null(d);
	while ((de = readdir(d)) != NULL) {
		char path[300], *st, *u;
		pid_t pid = (pid_t)atoi(de->d_name);

		if (pid <= 0 || pid == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
		st = sbx_slurp(path);
		u = st ? strstr(st, "\nUid:") : NULL;
		if (u && strtoul(u + 5, NULL, 10) == (unsigned long)uid)
			n++;
		free(st);
	}
	closedir(d);
	return n;
}

size_t
sbx_survivors(const char *needle, long wait_ms)
{
	struct timespec ts = { 0, 20000000 };
	pid_t pids[64];
	size_t n;

	for (;;) {
		n = sbx_find_procs(needle, pids, 64);
		if (n == 0 || wait_ms <= 0)
			return n;
		nanosleep(&ts, NULL);
		wait_ms -= 20;
	}
}

size_t
sbx_kill_procs(const char *needle)
{
	pid_t pids[512];
	size_t n = sbx_find_procs(needle, pids, 512);

	for (size_t i = 0; i < n; i++)
		kill(pids[i], SIGKILL);
	return n;
}

bool
sbx_has_line(const char *out, const char *name, const char *value)
{
	char line[256];
	size_t n;

	n = (size_t)snprintf(line, sizeof(line), "%s=%s", name, value);
	for (const char *p = out; (p = strstr(p, line)) != NULL; p++) {
		if ((p == out || p[-1] == '\n') && (p[n] == '\n' || p[n] == 0))
			return true;
	}
	return false;
}

const char *
sbx_line_value(const char *out, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = out; (p = strstr(p, name)) != NULL; p++)
		if ((p == out || p[-1] == '\n') && p[n] == '=')
			return p + n + 1;
	return NULL;
}
