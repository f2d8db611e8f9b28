/*
 * bench_worker.c - see bench_worker.h.
 */
#include "bench_worker.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "supervisor/sandbox/spawn_ns.h"

#ifndef BENCH_WORKER_PATH
#define BENCH_WORKER_PATH "gao-dev-worker"
#endif
#ifndef BENCH_PROFILES_DIR
#define BENCH_PROFILES_DIR "policy/profiles"
#endif

/* The uid workers run as when we are root (supervisor/run/run_priv.h). */
#define BENCH_WORKER_UID 65534
extern char **environ;

/* No answer from a worker within this long is a failure. */
#define BENCH_IO_TIMEOUT_MS 30000

static const char *const all_tools[] = {
	"Read", "Write", "Edit", "MultiEdit", "Glob", "Grep", "Bash",
};

const char *
bench_default_worker(void)
{
	const char *w = getenv("GAO_DEV_WORKER");

	return w && *w ? w : BENCH_WORKER_PATH;
}

const char *
bench_default_profiles(void)
{
	return BENCH_PROFILES_DIR;
}

/* dir/project and dir/tmp, given to the worker's uid when we are root. */
static int
make_dirs(struct bench_env *e, const char *base, char *err, size_t errlen)
{
	char real[PATH_MAX];
	uid_t u = BENCH_WORKER_UID;

	if (!realpath(base, real) ||
	    snprintf(e->dir, sizeof(e->dir), "%s/gao-bench.XXXXXX", real) >=
		    (int)sizeof(e->dir) ||
	    !mkdtemp(e->dir)) {
		snprintf(err, errlen, "temp directory under %s: %s", base,
			 strerror(errno));
		e->dir[0] = 0;
		return -1;
	}
	if (snprintf(e->project, sizeof(e->project), "%s/project", e->dir) >=
		    (int)sizeof(e->project) ||
	    snprintf(e->tmp, sizeof(e->tmp), "%s/tmp", e->dir) >=
		    (int)sizeof(e->tmp)) {
		snprintf(err, errlen, "%s: path too long", e->dir);
		return -1;
	}
	/* 0711: the worker's uid may traverse to its two directories */
	if (chmod(e->dir, 0711) < 0 || mkdir(e->project, 0700) < 0 ||
	    mkdir(e->tmp, 0700) < 0 ||
	    (geteuid() == 0 &&
	     (chown(e->project, u, u) < 0 || chown(e->tmp, u, u) < 0))) {
		snprintf(err, errlen, "%s: %s", e->dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* The INIT of run_phase.c: granted tools, the policy, the project. */
static int
make_init(struct bench_env *e, const struct bench_env_cfg *cfg, char *err,
	  size_t errlen)
{
	size_t n = 0;

	if (policy_load_named(cfg->profile, cfg->profiles_dir, &e->policy, err,
			      errlen) < 0)
		return -1;
	e->init.tools = calloc(sizeof(all_tools) / sizeof(all_tools[0]),
			       sizeof(char *));
	if (!e->init.tools)
		goto nomem;
	for (size_t i = 0; i < sizeof(all_tools) / sizeof(all_tools[0]); i++)
		if (policy_allows_tool(e->policy, all_tools[i]) &&
		    !(e->init.tools[n++] = strdup(all_tools[i])))
			goto nomem;
	e->init.n_tools = n;
	e->init.version = PROTO_VERSION;
	e->init.project_dir = e->project;
	e->init.agent = "bench";
	if (policy_to_msg(e->policy, e->project, e->tmp, &e->init.policy) < 0)
		goto nomem;
	return 0;
nomem:
	snprintf(err, errlen, "cannot build the INIT message");
	return -1;
}

/* The environment run_phase.c's worker_env() gives a worker. */
static int
make_envp(struct bench_env *e)
{
	static const char *const fixed[] = {
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"LANG=C.UTF-8",
		"TERM=dumb",
		"PYTHONDONTWRITEBYTECODE=1",
		"GIT_CONFIG_COUNT=1",
		"GIT_CONFIG_KEY_0=safe.directory",
		"GIT_CONFIG_VALUE_0=*",
	};
	size_t i = 0;

	if (asprintf(&e->envp[i++], "HOME=%s", e->project) < 0 ||
	    asprintf(&e->envp[i++], "TMPDIR=%s", e->tmp) < 0)
		return -1;
	for (size_t k = 0; k < sizeof(fixed) / sizeof(fixed[0]); k++)
		if (!(e->envp[i++] = strdup(fixed[k])))
			return -1;
	return 0;
}

int
bench_env_open(struct bench_env *e, const struct bench_env_cfg *cfg, char *err,
	       size_t errlen)
{
	memset(e, 0, sizeof(*e));
	e->project_fd = e->worker_fd = -1;
	if (make_dirs(e, cfg->base_dir, err, errlen) < 0 ||
	    make_init(e, cfg, err, errlen) < 0)
		goto fail;
	if (make_envp(e) < 0) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	e->project_fd = open(e->project, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	e->worker_fd = open(cfg->worker_path, O_PATH | O_CLOEXEC);
	if (e->project_fd < 0 || e->worker_fd < 0) {
		snprintf(err, errlen, "%s: %s",
			 e->project_fd < 0 ? e->project : cfg->worker_path,
			 strerror(errno));
		goto fail;
	}
	e->so = (struct spawn_opts){
		.worker_fd = e->worker_fd,
		.project_fd = e->project_fd,
		.project_path = e->project,
		.tmp_path = e->tmp,
		.envp = e->envp,
		.ns_flags = spawn_ns_flags(e->policy->network ==
					   POLICY_NET_TCP),
		.private_tmp = strncmp(e->project, "/tmp/", 5) != 0 &&
			       strncmp(e->tmp, "/tmp/", 5) != 0,
		/* as wconn.c starts every worker */
		.minimal_root = true,
		.root_ro_paths = e->init.policy.ro_paths,
		.n_root_ro = e->init.policy.n_ro,
		.root_rw_paths = e->init.policy.rw_paths,
		.n_root_rw = e->init.policy.n_rw,
		.drop_uid = geteuid() == 0,
		.uid = BENCH_WORKER_UID,
		.gid = BENCH_WORKER_UID,
	};
	return 0;
fail:
	bench_env_close(e);
	return -1;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	if (remove(path) < 0)
		fprintf(stderr, "bench: cannot remove %s: %s\n", path,
			strerror(errno));
	return 0;
}

void
bench_env_close(struct bench_env *e)
{
	if (e->project_fd >= 0)
		close(e->project_fd);
	if (e->worker_fd >= 0)
		close(e->worker_fd);
	e->project_fd = e->worker_fd = -1;
	for (size_t i = 0; e->init.tools && i < e->init.n_tools; i++)
		free(e->init.tools[i]);
	free(e->init.tools);
	e->init.tools = NULL;
	msg_policy_clear(&e->init.policy);
	for (size_t i = 0; i < BENCH_ENV_MAX; i++) {
		free(e->envp[i]);
		e->envp[i] = NULL;
	}
	policy_free(e->policy);
	e->policy = NULL;
	if (e->dir[0])
		nftw(e->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	e->dir[0] = 0;
}

int
bench_env_write(const struct bench_env *e, const char *name, const void *data,
		size_t len)
{
	int fd = openat(e->project_fd, name,
			O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
			0600);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, data, len) != (ssize_t)len)
		rc = -EIO;
	else if (geteuid() == 0 &&
		 fchown(fd, BENCH_WORKER_UID, BENCH_WORKER_UID) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/* Keep the last bytes of the worker's stderr (for error messages). */
static void
drain_log(struct bench_worker *w)
{
	char buf[512];
	ssize_t n;

	while ((n = read(w->c.log_fd, buf, sizeof(buf))) > 0) {
		size_t k = (size_t)n;

		if (k >= sizeof(w->log) - 1) {
			memcpy(w->log, buf + k - (sizeof(w->log) - 1),
			       sizeof(w->log) - 1);
			w->log_len = sizeof(w->log) - 1;
		} else {
			if (w->log_len + k > sizeof(w->log) - 1) {
				size_t drop = w->log_len + k -
					      (sizeof(w->log) - 1);

				memmove(w->log, w->log + drop,
					w->log_len - drop);
				w->log_len -= drop;
			}
			memcpy(w->log + w->log_len, buf, k);
			w->log_len += k;
		}
	}
	w->log[w->log_len] = 0;
}

/* Encode and write one message on the non-blocking request pipe. */
static int
send_msg(struct bench_worker *w, const struct msg *m)
{
	struct frame_writer fw = { 0 };
	struct pollfd pf = { .fd = w->c.req_fd, .events = POLLOUT };
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = msg_encode(m, &buf, &len);

	if (rc < 0)
		return -EINVAL;
	rc = frame_writer_push(&fw, buf, len);
	free(buf);
	while (rc == 0) {
		rc = frame_writer_flush(&fw, w->c.req_fd);
		if (rc == 0) {
			int p = poll(&pf, 1, BENCH_IO_TIMEOUT_MS);

			if (p == 0 || (p < 0 && errno != EINTR))
				rc = -ETIMEDOUT;
		}
	}
	frame_writer_clear(&fw);
	return rc < 0 ? rc : 0;
}

/* Wait for the next whole frame and decode it into *m. */
static int
recv_msg(struct bench_worker *w, struct msg *m, char *err, size_t errlen)
{
	struct pollfd pf[2] = {
		{ .fd = w->c.res_fd, .events = POLLIN },
		{ .fd = w->c.log_fd, .events = POLLIN },
	};
	uint8_t *body;
	size_t len;
	int rc;

	for (;;) {
		rc = frame_reader_read(&w->rd, w->c.res_fd, &body, &len);
		if (rc == 1)
			break;
		if (rc < 0) {
			drain_log(w);
			snprintf(err, errlen, "worker: %s; its log: %s",
				 frame_strerror(rc), w->log);
			return -1;
		}
		rc = poll(pf, 2, BENCH_IO_TIMEOUT_MS);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0) {
			snprintf(err, errlen, "worker: no answer in %d ms",
				 BENCH_IO_TIMEOUT_MS);
			return -1;
		}
		if (pf[1].revents & POLLIN)
			drain_log(w);
		if (pf[1].revents & (POLLHUP | POLLERR))
			pf[1].fd = -1; /* the log closed: stop watching it */
	}
	rc = msg_decode(body, len, m);
	free(body);
	if (rc < 0) {
		snprintf(err, errlen, "worker: %s", msg_strerror(rc));
		return -1;
	}
	return 0;
}

int
bench_worker_start(const struct bench_env *e, struct bench_worker *w, char *err,
		   size_t errlen)
{
	struct msg m = { .type = MSG_S2W_INIT }, r;

	memset(w, 0, sizeof(*w));
	frame_reader_init(&w->rd, PROTO_FRAME_MAX);
	if (spawn_worker(&e->so, &w->c, err, errlen) < 0) {
		if (w->c.pid > 0)
			bench_worker_kill(w);
		return -1;
	}
	m.u.init = e->init;
	if (send_msg(w, &m) < 0) {
		snprintf(err, errlen, "cannot send INIT");
		goto fail;
	}
	if (recv_msg(w, &r, err, errlen) < 0)
		goto fail;
	if (r.type != MSG_W2S_READY) {
		snprintf(err, errlen, "worker sent %s, not READY",
			 msg_type_name(r.type));
		msg_clear(&r);
		goto fail;
	}
	w->ready = r.u.ready;
	w->ready.layers |= w->c.layers; /* spawn knows the namespaces */
	msg_clear(&r);
	return 0;
fail:
	bench_worker_kill(w);
	return -1;
}

int
bench_worker_call(struct bench_worker *w, const char *id, const char *tool,
		  const json_t *input, struct msg *reply, char *err,
		  size_t errlen)
{
	struct msg m = { .type = MSG_S2W_TOOL_CALL };

	m.u.call.id = (char *)id;
	m.u.call.tool = (char *)tool;
	m.u.call.input = (json_t *)input;
	m.u.call.timeout_ms = 120000;
	if (send_msg(w, &m) < 0) {
		snprintf(err, errlen, "cannot send TOOL_CALL");
		return -1;
	}
	if (recv_msg(w, reply, err, errlen) < 0)
		return -1;
	if (reply->type != MSG_W2S_TOOL_RESULT ||
	    strcmp(reply->u.result.id, id) != 0) {
		snprintf(err, errlen,
			 "worker sent %s, not the TOOL_RESULT "
			 "of %s",
			 msg_type_name(reply->type), id);
		msg_clear(reply);
		return -1;
	}
	return 0;
}

static int
reap(pid_t pid)
{
	int status = 0;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return status;
}

int
bench_worker_stop(struct bench_worker *w)
{
	struct msg m = { .type = MSG_S2W_SHUTDOWN };
	int status;

	if (send_msg(w, &m) < 0) {
		bench_worker_kill(w);
		return -1;
	}
	spawn_child_close(&w->c);
	status = reap(w->c.pid);
	w->c.pid = 0;
	frame_reader_clear(&w->rd);
	return status;
}

void
bench_worker_kill(struct bench_worker *w)
{
	if (w->c.pid > 0) {
		kill(-w->c.pid, SIGKILL);
		kill(w->c.pid, SIGKILL);
		reap(w->c.pid);
	}
	w->c.pid = 0;
	spawn_child_close(&w->c);
	frame_reader_clear(&w->rd);
}

void
bench_layers_str(const struct msg_ready *r, char *buf, size_t cap)
{
	msg_layers_text(r->layers, (int)r->landlock_abi, buf, cap);
}

int
bench_fork_exec(char *const argv[], char *const envp[])
{
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execve(argv[0], argv, envp ? envp : environ);
		_exit(127);
	}
	return reap(pid);
}
