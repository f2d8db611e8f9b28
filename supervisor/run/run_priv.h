/*
 * run_priv.h - what the files of a run share.
 *
 * Design note
 * -----------
 * struct run is the whole run, and run.c's: the state machine that walks
 * the phases. The other files get narrower things where they can:
 *
 *   struct phase_env   what every phase borrows from its run, set once
 *                      by run_start: the run's settings, directories,
 *                      worker uid, events, budget and data files;
 *   struct phase       one phase: its definition and index (inputs), how
 *                      it ended and its record in the results (outputs),
 *                      and what its agent session borrows;
 *   struct run_state   the run's status (run_status.h), which only
 *                      run_set_status() changes.
 *
 * run_phase.c prepares and starts a phase's session from a phase_env and
 * a phase alone. A phase's end fills the phase's status and reason; its
 * checks (run_checks.c) may turn a success into a failure; only then does
 * run.c apply it to the run, once, with run_phase_ended(). run_results.c
 * turns phases into records and the run into its results document.
 */
#ifndef GAO_SUPERVISOR_RUN_PRIV_H
#define GAO_SUPERVISOR_RUN_PRIV_H

#include <limits.h>
#include <time.h>

#include "policy/policy.h"
#include "supervisor/agent/audit.h"
#include "supervisor/agent/session.h"
#include "supervisor/core/evlog.h"
#include "supervisor/run/run.h"
#include "supervisor/run/run_status.h"
#include "supervisor/sandbox/svc.h"
#include "supervisor/sandbox/uidmap.h"

/* What every phase of a run borrows from it (all owned by the run). */
struct phase_env {
	const struct run_env *env;
	const struct benchmark *b;
	int repeat; /* the run's index among --repeat: its work unit */
	const char *project_dir;
	const char *run_dir;
	const char *git_dir; /* the project's history, out of agents' reach */
	int project_fd;
	uid_t worker_uid; /* as root: the workers' uid and gid */
	struct evlog *events;
	struct run_budget *budget;
	const json_t *tool_defs; /* data/tools.json */
	const char *system_tpl;  /* data/prompts/system.txt */
	const char *task_tpl;    /* data/prompts/task.txt */
	json_t *warnings;        /* the run's: a phase may add to it */
	struct cgroup *cgroup;   /* the run's totals (run_caps.c), or NULL */
};

/* One phase: what it gets, what it gives back, what its session borrows. */
struct phase {
	/* in */
	const struct bm_phase *def;
	size_t index; /* in the config, from 0 */
	/* out */
	enum phase_status status;
	char stop_reason[64];         /* why it ended, as the run reports it */
	enum api_outcome api_outcome; /* when the API ended the session */
	json_t *record;               /* its entry of the results' phases (the
				       * run's array holds the reference) */
	uint64_t started_ms;
	time_t started;
	/* an agent phase's session borrows these; freed by phase_clear */
	struct policy *policy;
	char policy_hash[65];
	struct msg_init init;
	char **envp;
	json_t *tool_defs; /* the granted tools' definitions */
	char *system_prompt;
	char *task_prompt;
	char *model; /* set once the sandbox is prepared */
	char transcript[PATH_MAX];
	char audit[PATH_MAX];
	char tmp_dir[PATH_MAX];
};

struct task;

/*
 * The run's service workers (svc.h), each in a sandbox like an agent's
 * (run_svc_prepare). They never share a private directory:
 *
 *   RUN_SVC_CHECKS  git and the checks that only look (artifacts,
 *                   features, git history): policy default, execute
 *                   only beneath the system directories (exec_ro_only),
 *                   its private directory is the git directory
 *                   runs/<id>/git, GIT_DIR and GIT_WORK_TREE point git
 *                   there and at the project, and no git config but the
 *                   repository's own, which gao-dev alone writes;
 *   RUN_SVC_EXEC    what runs the project's code by design: command
 *                   phases, the test, build and coverage checks. It
 *                   cannot reach the git directory;
 *   RUN_SVC_CLONE   the clone of boilerplate_url (policy networked).
 */
enum run_svc_kind {
	RUN_SVC_CHECKS,
	RUN_SVC_EXEC,
	RUN_SVC_CLONE,
};

/* One service worker's sandbox. */
struct run_svc_ctx {
	struct policy *policy;
	struct msg_init init;
	char **envp;
	char tmp_dir[PATH_MAX];
	struct wconn_opts opts;
};

struct run {
	const struct run_env *env;
	struct benchmark *b;
	int repeat; /* among --repeat: with b's name, the work unit */
	run_done_fn done;
	void *done_ctx;
	char id[160];
	char project_dir[PATH_MAX];
	char run_dir[PATH_MAX];
	char git_dir[PATH_MAX]; /* runs/<id>/git */
	char results_path[PATH_MAX];
	int project_fd;
	int lock_fd; /* runs/<id>/lock, held for the run's life (run_lock.h) */
	struct evlog *events;
	struct run_budget budget;
	json_t *tool_defs; /* data/tools.json */
	char *system_tpl;
	char *task_tpl;
	struct phase_env pe; /* points into the fields above */
	size_t phase;        /* index of the current phase */
	struct phase cur;
	struct session *session;
	struct session *dead_session;
	uint64_t next_timer;
	uint64_t timeout_timer;
	uint64_t start_ms;
	time_t start_time;
	struct run_state state; /* status: run_set_status() only */
	bool finished;
	json_t *phases; /* phase results */
	json_t *errors;
	json_t *warnings;
	json_t *workers; /* isolation of each worker */
	json_t *results;
	struct api_usage usage;
	double cost;
	bool cost_unknown;
	int api_calls, retries, tool_calls, tool_errors, denied;
	unsigned replay_differences; /* --replay: tool results unlike it */
	json_t *tools_by_name;
	/* for "reproduce": the last prepared phase's policy and model */
	char policy_name[64];
	char policy_hash[65];
	char model[128];
	int exit_code;
	bool own_write_failed;   /* events, audit or transcript: exit 4 */
	bool results_saved;      /* results/<id>.json written (run_lock_end) */
	char results_error[128]; /* why it was not */
	uid_t worker_uid;        /* as root: the run's uid (RUN_UID_BASE+) */
	/* the run's own checks (run_checks.c, run_criteria.c) */
	struct run_svc_ctx svcx;
	struct svc *svc; /* RUN_SVC_CHECKS */
	struct run_svc_ctx svcx_exec;
	struct svc *svc_exec;        /* RUN_SVC_EXEC */
	struct run_svc_ctx svcx_net; /* boilerplate_url only */
	struct svc *svc_net;
	/* the run-level audit log (run_audit.c) */
	struct audit *audit;
	char audit_path[PATH_MAX];
	struct task *tasks;
	size_t n_tasks, task_idx;
	void (*tasks_done)(struct run *r);
	json_t *criteria; /* one entry per configured check, config order */
	double want_coverage;
	long want_commits;
	void (*judged)(struct run *r); /* after the criteria */
	/* the run's totals (run_caps.c) */
	struct cgroup *cgroup; /* NULL once the run is over */
	uint64_t caps_pids;
	uint32_t caps_on;                 /* cgroup_enforced() at the start */
	const char *caps_kind;            /* cgroup_kind() at the start */
	void (*caps_next)(struct run *r); /* after the final measurement */
};

/*
 * When gao-dev runs as root, every worker of a run runs as that run's own
 * unprivileged uid and gid, UIDMAP_BASE plus 24 random bits on a plain
 * host, an unused mapped id in a user-namespaced container, or root
 * without capabilities when no other id is mapped (uidmap.h).
 */
#define RUN_UID_BASE UIDMAP_BASE

/* mkdir -p, mode 0700 for each directory it creates. 0, or -errno. */
int run_mkdirs(const char *path);

/* A fresh uid for the workers of one run (see RUN_UID_BASE):
 * uidmap_run_uid(): 1 with a separate uid, 0 with our own euid (why says
 * why), -1 with why when the uid maps cannot be read. */
int run_pick_uid(uid_t *uid, char *why, size_t whylen);

/* ---- run_phase.c -------------------------------------------------------- */

/*
 * run_load_data - read data/tools.json and the prompt templates into r.
 * 0, or -1 with a message in err.
 */
int run_load_data(struct run *r, char *err, size_t errlen);

/*
 * phase_reset - make p the phase def, index-th of its config: what the
 * previous phase's session borrowed is freed (that session must be gone),
 * the outputs are zeroed (status success, no reason, no record).
 */
void phase_reset(struct phase *p, const struct bm_phase *def, size_t index);

/*
 * phase_start - start p's agent session in its sandbox: persona, policy,
 * granted tools, prompts, files under pe->run_dir. p must be reset. The
 * session reports to done(ctx, ...) once; the caller owns and frees it.
 * p->model is set once the sandbox is prepared, even when the session
 * then does not start. NULL with a message in err when nothing started.
 */
struct session *phase_start(const struct phase_env *pe, struct phase *p,
			    session_done_fn done, void *ctx, char *err,
			    size_t errlen);

/* phase_clear - free what p's session borrowed and zero p. */
void phase_clear(struct phase *p);

/*
 * run_svc_prepare - the sandboxes and service workers of the run's own
 * checks (r->pe must be set): r->svc, and r->svc_net for a
 * boilerplate_url. 0, or -1 with a message in err.
 */
int run_svc_prepare(struct run *r, char *err, size_t errlen);

/* run_svc_clear - stop the service workers and free their sandboxes. */
void run_svc_clear(struct run *r);

/* ---- run_tasks.c: the service workers' task list ------------------------ */

/*
 * A task's parser. res is the command's answer, or NULL when it did not
 * run; then why says why ("not run: service worker unavailable", "not
 * run: run time limit"). A task cut by the run's time limit is reported
 * as not run (and the run's status becomes timeout) before its parser
 * sees it.
 */
typedef void (*run_task_parse)(struct run *r, const struct msg_tool_result *res,
			       const char *why, void *arg);

#define RUN_NOT_RUN_SVC "not run: service worker unavailable"
#define RUN_NOT_RUN_TIME "not run: run time limit"
#define RUN_NOT_RUN_ISOLATION \
	"not run: the service worker does not meet --require-isolation"

/*
 * run_task_add - queue command (owned; NULL: out of memory, reported to
 * p as not run) on svc with timeout_ms, cut to the run's time left.
 */
void run_task_add(struct run *r, struct svc *svc, char *command,
		  uint32_t timeout_ms, run_task_parse p, void *arg);

/*
 * run_audit_open - create runs/<id>/gao-dev.audit.jsonl (a failure is an
 * error of the run's own writes: exit 4). run_audit_record - one record of
 * a command gao-dev ran on svc for the run: res its answer, or NULL with
 * not_run the reason. run_audit_json - {log, head, records}, or NULL when
 * the log could not be created.
 */
void run_audit_open(struct run *r);
void run_audit_record(struct run *r, const struct svc *s, const char *command,
		      const struct msg_tool_result *res, const char *not_run);
json_t *run_audit_json(const struct run *r);

/* run_tasks_drop - every queued task is answered "not run" with why. */
void run_tasks_drop(struct run *r, const char *why);

/* run_tasks_start - run the queued tasks in order, then done(r). */
void run_tasks_start(struct run *r, void (*done)(struct run *));

/* Milliseconds left before the run's deadline (0 when it has passed). */
uint64_t run_time_left_ms(const struct run *r);

/*
 * run_find_command - a Bash command that answers, for each pattern of
 * patterns (alternatives joined by " OR "), "FOUND i" or "MISSING i"
 * (i from 0), then "END n". Malloc'ed; NULL on ENOMEM.
 */
char *run_find_command(const json_t *patterns);

/*
 * run_parse_found - read the answer of run_find_command for n patterns
 * into found[0..n). 0 for a complete answer; -1 with the reason in why
 * for anything else (the check failed: it must not pass).
 */
int run_parse_found(const struct msg_tool_result *res, size_t n, bool *found,
		    char *why, size_t cap);

/* ---- run_caps.c: the run's totals --------------------------------------- */

/*
 * run_caps_setup - the run's cgroup (after run_svc_prepare: the service
 * workers join it too). -1 with a message in err when a cap asked for
 * explicitly cannot be enforced (the run must not start: exit 4); an
 * unenforceable default is a warning (stderr and r->warnings).
 */
int run_caps_setup(struct run *r, char *err, size_t errlen);

/* A phase's policy may allow more processes: raise the run's cap. */
void run_caps_phase(const struct phase_env *pe, const struct policy *p);

/* The run's process total for policy p: its processes plus gao-dev's
 * own worker processes; 0 (no cap) for an unlimited policy. */
uint64_t run_caps_pids(const struct policy *p);

/* RLIMIT_FSIZE of a worker's policy: no more than the disk cap. */
void run_caps_fsize(const struct phase_env *pe, struct msg_policy *mp);

/* The caps and who enforces them, for the results' isolation. */
json_t *run_caps_json(const struct run *r);

/*
 * run_caps_after_phase - the project measured once more at the end of
 * phase p (p->record set), by the service worker: what a command phase
 * or a background process wrote after the last measured call counts too.
 * Over a cap, or unmeasurable, p becomes stopped (disk_limit,
 * file_limit) in p and its record. Then next(r), from the loop. A phase
 * that did not end in success or failure is not measured.
 */
void run_caps_after_phase(struct run *r, struct phase *p,
			  void (*next)(struct run *r));

/* Kill what is left in the cgroup and remove it (after the workers);
 * idempotent. */
void run_caps_clear(struct run *r);

/* ---- run_checks.c: each calls next(r) from the loop when done ----------- */

/* Clone boilerplate_url (an error stops the run), then git init. */
void run_setup_project(struct run *r, void (*next)(struct run *));

/* git add -A without gitlinks: why, in run_checks.c (shared with the
 * diff of run_diff.c, which stages exactly as the commit does). */
#define RUN_GIT_ADD_ALL \
	"git add -A && { git ls-files -z -s | { grep -z '^160000 ' || " \
	"true; } | cut -z -f2- | git update-index -z --force-remove " \
	"--stdin; }"

/* The diff of a phase's changes, at most RUN_DIFF_MAX bytes of it. */
#define RUN_DIFF_MAX 24000

/*
 * run_diff_task - queue, on the checks worker, the staged diff of p's
 * changes; written to RUN_DIR/diffs/NN-PHASE.diff (run_diff.c).
 */
void run_diff_task(struct run *r, struct phase *p);

/*
 * run_after_phase - check p's expected artifacts (a missing one turns a
 * success into a failure, "missing_artifacts", in p and its record), then
 * commit the project. p->record must be set.
 */
void run_after_phase(struct run *r, struct phase *p,
		     void (*next)(struct run *));

/* ---- run_criteria.c ----------------------------------------------------- */

/*
 * run_judge_criteria - one verdict per configured criterion, in the
 * config's order, into r->criteria and r->state's tally. When the run
 * already ended (timeout, stopped, error, cancelled), the checks that
 * need the project are not run and fail with the reason.
 */
void run_judge_criteria(struct run *r, void (*next)(struct run *));

/* ---- run_results.c: records go to r->phases, p->record points there ---- */

/* An agent phase ended (p->status set): its record, the run's metrics. */
void run_record_phase(struct run *r, struct phase *p,
		      const struct session_result *res);

/* A command phase ended (p->status set); res NULL: the worker failed. */
void run_record_command(struct run *r, struct phase *p,
			const struct msg_tool_result *res);

/* Phase ph was skipped, for the reason why. */
void run_record_skipped(struct run *r, const struct bm_phase *ph,
			const char *why);

/*
 * run_finish - once: the final status (run_state_finish), the exit code,
 * the results document written atomically; then r->done is called.
 */
void run_finish(struct run *r);

#endif
