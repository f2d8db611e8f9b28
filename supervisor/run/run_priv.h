/*
 * run_priv.h - what run.c, run_phase.c and run_results.c share.
 */
#ifndef GAO_SUPERVISOR_RUN_PRIV_H
#define GAO_SUPERVISOR_RUN_PRIV_H

#include <limits.h>
#include <time.h>

#include "policy/policy.h"
#include "supervisor/agent/session.h"
#include "supervisor/core/evlog.h"
#include "supervisor/run/run.h"
#include "supervisor/sandbox/svc.h"

/* Everything one phase's session borrows; freed when the next starts. */
struct run_phase_ctx {
	struct policy *policy;
	char policy_hash[65];
	struct msg_init init;
	char **envp;
	json_t *tool_defs;
	char *system_prompt;
	char *task_prompt;
	char *model;
	char transcript[PATH_MAX];
	char audit[PATH_MAX];
	char tmp_dir[PATH_MAX];
	uint64_t started_ms;
	time_t started;
};

struct task;

/* The service worker's sandbox (svc.h): like an agent's, policy default. */
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
	run_done_fn done;
	void *done_ctx;
	char id[160];
	char project_dir[PATH_MAX];
	char run_dir[PATH_MAX];
	char results_path[PATH_MAX];
	int project_fd;
	struct evlog *events;
	struct run_budget budget;
	json_t *tool_defs;        /* data/tools.json */
	char *system_tpl;
	char *task_tpl;
	size_t phase;             /* index of the current phase */
	struct session *session;
	struct session *dead_session;
	struct run_phase_ctx cur;
	uint64_t next_timer;
	uint64_t timeout_timer;
	uint64_t start_ms;
	time_t start_time;
	const char *status;       /* NULL while all goes well */
	char stop_reason[64];
	enum api_outcome api_outcome;
	bool stop, cancelled, finished, any_failed, last_failed;
	json_t *phases;           /* phase results */
	json_t *errors;
	json_t *warnings;
	json_t *workers;          /* isolation of each worker */
	json_t *results;
	struct api_usage usage;
	double cost;
	bool cost_unknown;
	int api_calls, retries, tool_calls, tool_errors, denied;
	json_t *tools_by_name;
	char policy_name[64];
	char policy_hash[65];
	char model[128];
	int exit_code;
	uid_t worker_uid;          /* as root: the run's uid (RUN_UID_BASE+) */
	/* the run's own checks (run_checks.c) */
	struct run_svc_ctx svcx;
	struct svc *svc;
	struct run_svc_ctx svcx_net;  /* boilerplate_url only */
	struct svc *svc_net;
	struct task *tasks;
	size_t n_tasks, task_idx;
	void (*tasks_done)(struct run *r);
	json_t *criteria;
	double want_coverage;
	int commits;
	uint64_t cmd_started;      /* a command phase's start */
};

/*
 * When gao-dev runs as root, every worker of a run runs as that run's own
 * unprivileged uid and gid, RUN_UID_BASE plus 24 random bits: uids no
 * account uses, so runs cannot signal or trace each other even without a
 * PID namespace, and RLIMIT_NPROC (counted per uid) is each run's alone.
 */
#define RUN_UID_BASE 0x40000000u

int run_mkdirs(const char *path);

/* A fresh uid for the workers of one run (see RUN_UID_BASE). */
uid_t run_pick_uid(void);

/* snprintf for paths; -ENAMETOOLONG (and an empty buf) when cut. */
int run_path(char *buf, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* run_phase.c */
int run_load_data(struct run *r, char *err, size_t errlen);
int run_phase_start(struct run *r, const struct bm_phase *ph,
		    session_done_fn done, char *err, size_t errlen);
void run_phase_clear(struct run *r);

/* run_phase.c: the service worker's sandbox */
int run_svc_prepare(struct run *r, char *err, size_t errlen);
void run_svc_clear(struct run *r);

/* run_checks.c */
void run_setup_project(struct run *r, void (*next)(struct run *));
void run_after_phase(struct run *r, const struct bm_phase *ph, json_t *phase,
		     void (*next)(struct run *));
void run_judge_criteria(struct run *r, void (*next)(struct run *));

/* run_results.c */
void run_record_phase(struct run *r, const struct bm_phase *ph,
		      const struct session_result *res);
void run_finish(struct run *r);

#endif
