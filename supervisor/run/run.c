/*
 * run.c - one benchmark run: the state machine that walks its phases. See
 * run.h for the design note and run_priv.h for how the run's files share
 * the work: prompts and sandboxes are built in run_phase.c, checks run in
 * run_checks.c, records and the results document in run_results.c, and
 * the rules of the run's status are those of run_status.c.
 */
#include "supervisor/run/boilerplate.h"
#include "supervisor/run/run_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/pathbuf.h"
#include "supervisor/config/cli.h"
#include "supervisor/core/wfault.h"
#include "supervisor/run/run_lock.h"

static void start_phase(struct run *r);

const json_t *
run_results(const struct run *r)
{
	return r->results;
}

int
run_exit_code(const struct run *r)
{
	return r->exit_code;
}

const char *
run_results_path(const struct run *r)
{
	return r->results_saved ? r->results_path : NULL;
}

const char *
run_id(const struct run *r)
{
	return r->id;
}

int
run_pick_uid(uid_t *uid, char *why, size_t whylen)
{
	return uidmap_run_uid(uid, why, whylen);
}

/* mkdir -p with mode 0700 for every directory it creates. */
int
run_mkdirs(const char *path)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	if (n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != 0)
			continue;
		buf[i] = 0;
		if (mkdir(buf, 0700) < 0 && errno != EEXIST)
			return -errno;
		buf[i] = path[i];
	}
	return 0;
}

static void
make_id(struct run *r)
{
	char slug[96], stamp[32];
	uint32_t rnd = 0;
	time_t now = time(NULL);
	struct tm tm;

	benchmark_slug(r->b->name, slug, sizeof(slug));
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		rnd = (uint32_t)loop_now_ms() ^ (uint32_t)getpid();
	snprintf(r->id, sizeof(r->id), "%s-%s-%08x", slug, stamp, rnd);
}

/*
 * Running as root, workers run as the run's own uid. They reach their
 * project and tmp through directories that let others pass (0711: no
 * listing) and own those two themselves (0700). Results, transcripts and
 * audit logs stay root's, 0600 in 0700 directories.
 *
 * The sandbox root is the operator's directory and keeps its mode (a
 * 1777 /tmp-like root stays 1777; the runner made a new one 0711). Of
 * gao-dev's own projects/ and runs/ below it, only one that others cannot
 * pass yet gets 0711; a mode that already lets them pass is left as it
 * is. A root others cannot pass is masked in the workers' mount
 * namespaces (spawn_view.h), or refused by the runner without them.
 */
static int
pass_through(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -1;
	if (st.st_mode & S_IXOTH)
		return 0;
	return chmod(path, 0711);
}

static int
share_with_worker(const struct run *r)
{
	const char *root = r->env->sandbox_root;
	char path[PATH_MAX];
	const char *pass[] = { "/projects", "/runs" };

	for (size_t i = 0; i < 2; i++) {
		pathbuf_fmt(path, sizeof(path), "%s%s", root, pass[i]);
		if (pass_through(path) < 0)
			return -1;
	}
	pathbuf_fmt(path, sizeof(path), "%s/tmp", r->run_dir);
	if (chmod(r->run_dir, 0711) < 0 || chmod(path, 0711) < 0)
		return -1;
	return chown(r->project_dir, r->worker_uid, r->worker_uid);
}

static int
make_dirs(struct run *r, char *err, size_t errlen)
{
	const char *root = r->env->sandbox_root;
	char path[PATH_MAX];
	int rc;

	pathbuf_fmt(r->project_dir, sizeof(r->project_dir), "%s/projects/%s",
		    root, r->id);
	pathbuf_fmt(r->run_dir, sizeof(r->run_dir), "%s/runs/%s", root, r->id);
	pathbuf_fmt(r->git_dir, sizeof(r->git_dir), "%s/git", r->run_dir);
	pathbuf_fmt(r->results_path, sizeof(r->results_path),
		    "%s/results/%s.json", root, r->id);
	pathbuf_fmt(path, sizeof(path), "%s/results", root);
	rc = run_mkdirs(path);
	if (rc == 0)
		rc = -wfault_mkdirs(); /* a test build's --test-fault mkdirs */
	if (rc == 0)
		rc = run_mkdirs(r->project_dir);
	pathbuf_fmt(path, sizeof(path), "%s/agents", r->run_dir);
	if (rc == 0)
		rc = run_mkdirs(path);
	pathbuf_fmt(path, sizeof(path), "%s/tmp", r->run_dir);
	if (rc == 0)
		rc = run_mkdirs(path);
	if (rc < 0) {
		snprintf(err, errlen,
			 "cannot create the run's directories "
			 "under %s: %s",
			 root, strerror(-rc));
		return rc;
	}
	if (geteuid() == 0 && share_with_worker(r) < 0) {
		snprintf(err, errlen, "cannot hand %s to the worker uid %d: %s",
			 r->project_dir, (int)r->worker_uid, strerror(errno));
		return -errno;
	}
	r->project_fd = open(r->project_dir,
			     O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (r->project_fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", r->project_dir,
			 strerror(errno));
		return -errno;
	}
	if (r->b->boilerplate_path &&
	    access(r->b->boilerplate_path, F_OK) == 0 &&
	    boilerplate_copy(r->b->boilerplate_path, r->project_fd,
			     geteuid() == 0 ? (int)r->worker_uid : -1,
			     r->warnings, err, errlen) < 0)
		return -1;
	return 0;
}

static void
next_phase(struct loop *l, void *ctx)
{
	struct run *r = ctx;

	(void)l;
	r->next_timer = 0;
	start_phase(r);
}

/* The phase and its checks are over: only now does it act on the run. */
static void
after_checks(struct run *r)
{
	struct phase *p = &r->cur;

	run_phase_ended(&r->state, p->status, p->stop_reason, p->api_outcome,
			p->def->continue_on_failure);
	r->phase++;
	r->next_timer = loop_add_timer(r->env->loop, 0, next_phase, r);
}

/* The phase's final measurement is in (run_caps_after_phase): its
 * checks. */
static void
checks(struct run *r)
{
	run_after_phase(r, &r->cur, after_checks);
}

static void
on_command_done(void *ctx, const struct msg_tool_result *res)
{
	struct run *r = ctx;
	struct phase *p = &r->cur;
	bool ok = res && !res->is_error && res->exit_code == 0;

	run_audit_record(r, r->svc_exec, p->def->command, res,
			 res ? NULL : svc_unmet(r->svc_exec));

	/* the record says how the command failed; the run, that it did */
	p->status = ok ? PHASE_STATUS_SUCCESS : PHASE_STATUS_FAILED;
	snprintf(p->stop_reason, sizeof(p->stop_reason), "%s",
		 ok ? "" : "phase_failed");
	if (!ok && run_time_left_ms(r) < 1000) {
		/* cut by the run's time limit, not its own */
		p->status = PHASE_STATUS_TIMEOUT;
		snprintf(p->stop_reason, sizeof(p->stop_reason), "run_timeout");
	}
	if (!res && r->state.status == RUN_STATUS_CANCELLED) {
		/* killed by the cancel (run_cancel) */
		p->status = PHASE_STATUS_CANCELLED;
		snprintf(p->stop_reason, sizeof(p->stop_reason), "signal");
	} else if (!res && svc_unmet(r->svc_exec)) {
		/* its worker fell short of --require-isolation: ran nothing */
		p->status = PHASE_STATUS_ERROR;
		snprintf(p->stop_reason, sizeof(p->stop_reason),
			 "isolation_unmet");
		if (run_set_status(&r->state, RUN_STATUS_ERROR,
				   "isolation_unmet"))
			json_array_append_new(r->errors, json_string(svc_unmet(
								 r->svc_exec)));
	}
	run_record_command(r, p, res);
	run_caps_after_phase(r, p, checks);
}

/*
 * A phase with a command runs it in the exec service worker instead of
 * an agent, within its own timeout and the run's time left.
 */
static void
run_command_phase(struct run *r, struct phase *p)
{
	const struct bm_phase *ph = p->def;
	uint64_t ms = (uint64_t)ph->timeout_seconds * 1000u;
	uint64_t left = run_time_left_ms(r);

	evlog_emit(r->events, "info", "phase_started",
		   json_pack("{s:s,s:s}", "phase", ph->name, "command",
			     ph->command));
	p->started_ms = loop_now_ms();
	p->started = time(NULL);
	if (ms > left)
		ms = left;
	if (ms < 1000 || svc_bash(r->svc_exec, ph->command,
				  ms > 600000 ? 600000 : (uint32_t)ms,
				  on_command_done, r) < 0)
		on_command_done(r, NULL);
}

/*
 * Murat's validation passes only with a last line "VERDICT: PASS". The
 * final text loses its trailing blanks and emphasis (so does the record);
 * a failure gets its reason and error in res.
 */
static bool
validation_passed(struct session_result *res)
{
	char *t = res->final_text;
	size_t n = strlen(t);

	while (n > 0 && strchr(" \t\r\n*`", t[n - 1]))
		t[--n] = 0; /* trailing blanks and markdown emphasis */
	/* the whole answer's last line, not the capped text's (session.h) */
	if (strcmp(res->last_line, "VERDICT: PASS") == 0)
		return true;
	snprintf(res->stop_reason, sizeof(res->stop_reason), "verdict_fail");
	snprintf(res->error, sizeof(res->error),
		 "the validation did not "
		 "end with VERDICT: PASS");
	return false;
}

static void
on_session_done(void *ctx, struct session_result *res)
{
	struct run *r = ctx;
	struct phase *p = &r->cur;

	p->status = phase_status_of_session(res->status_code);
	if (p->def->is_validation && p->status == PHASE_STATUS_SUCCESS &&
	    !validation_passed(res))
		p->status = PHASE_STATUS_FAILED;
	snprintf(p->stop_reason, sizeof(p->stop_reason), "%s",
		 res->stop_reason);
	p->api_outcome = res->api_outcome;
	run_record_phase(r, p, res);
	/* free the session from the loop, not from inside its callback */
	r->dead_session = r->session;
	r->session = NULL;
	if (r->state.status == RUN_STATUS_CANCELLED) {
		after_checks(r);
		return;
	}
	run_caps_after_phase(r, p, checks);
}

/* The policy and model of the last phase whose sandbox was prepared. */
static void
remember_setup(struct run *r, const struct phase *p)
{
	if (!p->model)
		return;
	snprintf(r->policy_name, sizeof(r->policy_name), "%s",
		 policy_name(p->policy));
	memcpy(r->policy_hash, p->policy_hash, sizeof(r->policy_hash));
	snprintf(r->model, sizeof(r->model), "%s", p->model);
}

/* Start phase p (an agent's or a command); false when it cannot start. */
static bool
start_one(struct run *r, struct phase *p)
{
	char err[512] = "";

	if (p->def->command) {
		run_command_phase(r, p);
		return true;
	}
	r->session = phase_start(&r->pe, p, on_session_done, r, err,
				 sizeof(err));
	remember_setup(r, p);
	if (r->session)
		return true;
	json_array_append_new(r->errors,
			      json_string(err[0] ?
						  err :
						  "the phase could not start"));
	run_set_status(&r->state, RUN_STATUS_ERROR, "worker_failed");
	return false;
}

/* A run that is over gives back its files and its last session before
 * its owner hears of it (the owner may keep it, or free it there as the
 * runner does, runner_end.c): else an invocation of many runs held three
 * fds per finished run (the project directory, the events log, the run's
 * audit log) and ran out of fds past a few hundred runs, and its memory
 * grew with every run (found by scripts/soak). The session is freed from
 * the loop, as start_phase() does. A later event goes to stderr only;
 * standalone_benchmark_completed stays the log's last line. */
static void
release_run(struct run *r)
{
	session_free(r->dead_session);
	r->dead_session = NULL;
	phase_clear(&r->cur);
	json_decref(r->tool_defs);
	r->tool_defs = NULL;
	free(r->system_tpl);
	r->system_tpl = NULL;
	free(r->task_tpl);
	r->task_tpl = NULL;
	if (r->project_fd >= 0)
		close(r->project_fd);
	r->project_fd = -1;
	r->pe.project_fd = -1;
	evlog_close_file(r->events);
	audit_close(r->audit);
	r->audit = NULL;
	/* last: the results are written, the cgroup and service workers
	 * gone; from now on `runs list` sees a finished run. How it ended
	 * goes into the lock in place, so that a run whose results file
	 * could not be written (a full disk) is not taken for one that
	 * died (run_lock.h) */
	if (r->lock_fd >= 0 && r->finished)
		(void)run_lock_end(r->lock_fd, "ended",
				   run_status_name(r->state.status),
				   r->exit_code, r->results_saved,
				   r->results_error);
	if (r->lock_fd >= 0)
		close(r->lock_fd);
	r->lock_fd = -1;
}

static void
teardown(struct loop *l, void *ctx)
{
	struct run *r = ctx;

	(void)l;
	r->next_timer = 0;
	run_svc_clear(r);
	run_caps_clear(r);
	release_run(r);
	/* last: the owner may free r now */
	r->done(r->done_ctx, r);
}

/* The run is over: the results, then, from the loop (this may run inside
 * a service worker's callback), its service workers stop and its cgroup
 * goes with whatever is left in it, rather than at run_free(); then the
 * owner hears of it (run_done_fn) and may free the run. */
static void
end_run(struct run *r)
{
	run_finish(r);
	if (!r->next_timer)
		r->next_timer = loop_add_timer(r->env->loop, 0, teardown, r);
}

static void
start_phase(struct run *r)
{
	session_free(r->dead_session);
	r->dead_session = NULL;
	while (run_state_going(&r->state) && r->phase < r->b->n_phases) {
		const struct bm_phase *ph = &r->b->phases[r->phase];

		phase_reset(&r->cur, ph, r->phase);
		if (!run_state_skips(&r->state, ph->skip_if_failed)) {
			if (start_one(r, &r->cur))
				return;
			continue;
		}
		run_record_skipped(r, ph,
				   "skip_if_failed: the previous phase "
				   "failed");
		r->phase++;
	}
	/* every criterion gets a verdict, "not run" when the run ended */
	run_judge_criteria(r, end_run);
}

static void
begin(struct loop *l, void *ctx)
{
	struct run *r = ctx;

	(void)l;
	r->next_timer = 0;
	run_setup_project(r, start_phase);
}

static void
on_run_timeout(struct loop *l, void *ctx)
{
	struct run *r = ctx;

	(void)l;
	r->timeout_timer = 0;
	if (r->session)
		session_abort(r->session,
			      phase_status_name(PHASE_STATUS_TIMEOUT),
			      "run_timeout");
}

/* The token and cost caps (the lower wins) and the deadline, t s away. */
static void
set_budget(struct run *r, int64_t t)
{
	const struct run_env *env = r->env;
	const struct benchmark *b = r->b;

	r->budget.max_tokens = env->max_tokens > 0 ?
				       env->max_tokens :
				       (b->max_tokens > 0 ? b->max_tokens : 0);
	r->budget.max_cost_usd = env->max_cost_usd;
	if (b->max_cost_usd > 0 &&
	    (env->max_cost_usd <= 0 || b->max_cost_usd < env->max_cost_usd))
		r->budget.max_cost_usd = b->max_cost_usd;
	r->budget.deadline_ms = r->start_ms + (uint64_t)t * 1000u;
	r->budget.web_max_uses = env->web.on ? env->web.max_uses : 0;
}

/* What every phase borrows from r (struct phase_env); events come later. */
static void
share_with_phases(struct run *r)
{
	r->pe = (struct phase_env){
		.env = r->env,
		.b = r->b,
		.repeat = r->repeat,
		.project_dir = r->project_dir,
		.run_dir = r->run_dir,
		.git_dir = r->git_dir,
		.project_fd = r->project_fd,
		.worker_uid = r->worker_uid,
		.events = r->events,
		.budget = &r->budget,
		.tool_defs = r->tool_defs,
		.system_tpl = r->system_tpl,
		.task_tpl = r->task_tpl,
		.warnings = r->warnings,
	};
}

/* The run's worker uid (uidmap.h); root with no separate uid mapped
 * keeps uid 0 without capabilities, and the results warn of it. 0, or
 * -1 with err when the uid maps cannot be read. */
static int
pick_worker_uid(struct run *r, char *err, size_t errlen)
{
	char why[512];
	int rc = run_pick_uid(&r->worker_uid, why, sizeof(why));

	if (rc < 0) {
		snprintf(err, errlen, "choosing the workers' uid: %s", why);
		return -1;
	}
	if (rc == 0 && geteuid() == 0)
		json_array_append_new(
			r->warnings,
			json_sprintf("per-run uid: %s (layer unprivileged-uid "
				     "not in force)",
				     why));
	return 0;
}

/* runs/<id>/events.jsonl. One that cannot be made is a write of the
 * run's own that failed (exit 4, the file named); its events still go
 * to stderr. */
static void
open_events(struct run *r)
{
	char path[PATH_MAX];

	pathbuf_fmt(path, sizeof(path), "%s/events.jsonl", r->run_dir);
	r->events = evlog_open(path, r->id);
	if (!r->events) {
		int e = errno;

		r->events = evlog_open(NULL, r->id);
		evlog_write_failed(r->events, path, e);
	}
	r->pe.events = r->events;
}

/* Directories, data files, the service workers. 0, or -1 with err. */
static int
prepare_run(struct run *r, char *err, size_t errlen)
{
	if (make_dirs(r, err, errlen) < 0 || run_load_data(r, err, errlen) < 0)
		return -1;
	share_with_phases(r);
	if (run_svc_prepare(r, err, errlen) < 0)
		return -1;
	return run_caps_setup(r, err, errlen);
}

struct run *
run_start(const struct run_env *env, struct benchmark *b, int repeat,
	  run_done_fn done, void *ctx, char *err, size_t errlen)
{
	struct run *r = calloc(1, sizeof(*r));
	int64_t t = env->timeout_s ? env->timeout_s : b->timeout_seconds;

	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->env = env;
	r->b = b;
	r->repeat = repeat;
	r->done = done;
	r->done_ctx = ctx;
	r->project_fd = -1;
	r->lock_fd = -1;
	r->phases = json_array();
	r->errors = json_array();
	r->warnings = json_deep_copy(b->warnings);
	r->workers = json_array();
	r->start_ms = loop_now_ms();
	r->start_time = time(NULL);
	make_id(r);
	/* before anything else of the run is written: a run that dies from
	 * here on is told from a live one by this lock (run_lock.h) */
	r->lock_fd = run_lock_take(env->sandbox_root, r->id, b->name,
				   r->start_time, err, errlen);
	if (r->lock_fd < 0) {
		run_free(r);
		return NULL;
	}
	r->criteria = json_array();
	if (pick_worker_uid(r, err, errlen) < 0 ||
	    prepare_run(r, err, errlen) < 0) {
		/* listed `not_started` with the reason, not `interrupted` */
		(void)run_lock_end(r->lock_fd, "not_started", NULL, EXIT_INFRA,
				   false, err);
		run_free(r);
		return NULL;
	}
	open_events(r);
	run_audit_open(r);
	set_budget(r, t);
	r->timeout_timer = loop_add_timer(env->loop, (uint64_t)t * 1000u,
					  on_run_timeout, r);
	evlog_emit(r->events, "info", "standalone_benchmark_started",
		   json_pack("{s:s,s:s,s:s,s:i,s:I}", "benchmark", b->name,
			     "config", b->path, "project_dir", r->project_dir,
			     "phases", (int)b->n_phases, "timeout_seconds",
			     (json_int_t)t));
	r->next_timer = loop_add_timer(env->loop, 0, begin, r);
	return r;
}

void
run_cancel(struct run *r)
{
	if (r->finished ||
	    !run_set_status(&r->state, RUN_STATUS_CANCELLED, "signal"))
		return;
	if (r->session)
		session_abort(r->session,
			      phase_status_name(PHASE_STATUS_CANCELLED),
			      "signal");
	/* a command phase, a clone, the checks: killed, answered "not
	 * run" at once, and so is every later call (svc.h) */
	svc_cancel(r->svc);
	svc_cancel(r->svc_exec);
	svc_cancel(r->svc_net);
}

void
run_free(struct run *r)
{
	if (!r)
		return;
	if (r->timeout_timer)
		loop_cancel_timer(r->env->loop, r->timeout_timer);
	if (r->next_timer)
		loop_cancel_timer(r->env->loop, r->next_timer);
	session_free(r->session);
	run_svc_clear(r);
	run_tasks_drop(r, RUN_NOT_RUN_SVC); /* a run freed mid-checks */
	run_caps_clear(r);
	json_decref(r->criteria);
	/* what teardown gives back (a no-op when it did), the lock last */
	release_run(r);
	evlog_close(r->events);
	json_decref(r->phases);
	json_decref(r->errors);
	json_decref(r->warnings);
	json_decref(r->workers);
	json_decref(r->tools_by_name);
	json_decref(r->results);
	free(r);
}
