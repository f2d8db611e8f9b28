/*
 * run_caps.c - the run's totals: its cgroup (memory, processes) and the
 * caps of the project watch (disk bytes, files).
 *
 * Design note
 * -----------
 * A run's memory and process totals are a cgroup's (sandbox/cgroup.h),
 * made before the run's first worker starts and joined by every worker
 * the run spawns (its agents' and its service workers); the disk and file
 * caps are the project watch's (agent/watch.h), measured by the agent's
 * own worker after each call that can write. Which of them are in force
 * is decided here, once, at the run's start:
 *
 *   - a memory cap asked for (--max-memory, max_memory: in the user
 *     config) that the host cannot enforce: the run does not start, and
 *     the message says what is missing and the fix (exit 4);
 *   - a default that cannot be enforced (memory, or the policy's process
 *     count): a warning on stderr and in the results;
 *   - the caps and who enforces them go into the results (isolation.
 *     run_caps); a worker in the cgroup reports the layer "cgroup".
 *
 * The process cap is the policy's `processes` plus RUN_PIDS_SLACK for
 * gao-dev's own worker processes; a phase whose policy allows more
 * raises it (run_caps_phase).
 */
#include "supervisor/run/run_priv.h"

#include <stdio.h>
#include <string.h>

#include "common/io.h"
#include "common/pathbuf.h"
#include "common/termesc.h"
#include "supervisor/sandbox/cgroup.h"

/* gao-dev's own processes in the cgroup: an init and a worker for each
 * live worker (an agent's pool of up to BATCH_POOL_MAX = 4, the service
 * worker, the clone worker: 12). */
#define RUN_PIDS_SLACK 16

uint64_t
run_caps_pids(const struct policy *p)
{
	if (!p || p->limits.processes == 0)
		return 0; /* "unlimited": no pids cap */
	return p->limits.processes + RUN_PIDS_SLACK;
}

static void
warn(struct run *r, const char *what, const char *why)
{
	termesc_fprintf(
		stderr,
		"gao-dev: warning: %s: %s cannot be enforced here (each "
		"process keeps its policy rlimits): %s\n",
		r->id, what, why);
	json_array_append_new(r->warnings,
			      json_sprintf("%s cannot be enforced on this "
					   "host: %s",
					   what, why));
}

/*
 * runs/<run_id>/cgroups: the run's cgroup directories, one a line, for
 * `runs list --prune` when this supervisor dies before cgroup_destroy
 * (runs_prune.c). Best effort: without it prune finds no cgroup to
 * remove, and says nothing of one.
 */
static void
record_cgroup(const struct run *r)
{
	char path[PATH_MAX], text[CGROUP_MAX_FDS * (PATH_MAX + 1) + 1];
	const char *d;
	size_t o = 0;
	int n = 0;

	text[0] = 0;
	for (int i = 0; (d = cgroup_dir(r->cgroup, i, &n)) != NULL; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o, "%s\n", d);
	if (n > 0 &&
	    pathbuf_fmt(path, sizeof(path), "%s/cgroups", r->run_dir) == 0)
		(void)io_write_file_atomic(path, text, strlen(text));
}

int
run_caps_setup(struct run *r, char *err, size_t errlen)
{
	const struct run_env *env = r->env;
	struct cgroup_caps caps = {
		.memory_bytes = env->max_memory,
		.pids = run_caps_pids(r->svcx.policy),
	};
	struct cgroup_src src;
	char why[1024];
	uint32_t on;
	int rc;

	cgroup_src_host(&src);
	rc = cgroup_create(&src, r->id, &caps, &r->cgroup, why, sizeof(why));
	if (rc < 0) {
		snprintf(err, errlen, "cannot set up the run's cgroup: %s",
			 strerror(-rc));
		return -1;
	}
	on = cgroup_enforced(r->cgroup);
	if (caps.memory_bytes && !(on & CGROUP_MEMORY) &&
	    env->memory_explicit) {
		snprintf(err, errlen,
			 "--max-memory (or max_memory: in the user config) "
			 "asks for a memory total of %llu bytes for the run, "
			 "and this host cannot enforce it: %s Or leave "
			 "--max-memory and max_memory: unset (then each "
			 "process still has the policy's RLIMIT_AS)",
			 (unsigned long long)caps.memory_bytes, why);
		return -1;
	}
	if (caps.memory_bytes && !(on & CGROUP_MEMORY) && caps.pids &&
	    !(on & CGROUP_PIDS))
		warn(r,
		     "the run's memory total (the default of --max-memory) "
		     "and process total (the policy's processes)",
		     why);
	else if (caps.memory_bytes && !(on & CGROUP_MEMORY))
		warn(r, "the run's memory total (the default of --max-memory)",
		     why);
	else if (caps.pids && !(on & CGROUP_PIDS))
		warn(r, "the run's process total (the policy's processes)",
		     why);
	record_cgroup(r);
	r->caps_pids = caps.pids;
	r->caps_on = on;
	r->caps_kind = cgroup_kind(r->cgroup);
	r->svcx.opts.cgroup = r->cgroup;
	r->svcx_net.opts.cgroup = r->cgroup;
	r->pe.cgroup = r->cgroup;
	return 0;
}

void
run_caps_phase(const struct phase_env *pe, const struct policy *p)
{
	cgroup_raise_pids(pe->cgroup, run_caps_pids(p));
}

void
run_caps_fsize(const struct phase_env *pe, struct msg_policy *mp)
{
	uint64_t cap = pe->env->max_disk;

	if (cap && (mp->file_size_bytes == 0 || mp->file_size_bytes > cap))
		mp->file_size_bytes = cap;
}

json_t *
run_caps_json(const struct run *r)
{
	uint32_t on = r->caps_on;

	return json_pack("{s:s,s:I,s:b,s:I,s:b,s:I,s:I}", "cgroup",
			 r->caps_kind ? r->caps_kind : "none", "memory_bytes",
			 (json_int_t)r->env->max_memory, "memory_enforced",
			 (on & CGROUP_MEMORY) != 0, "processes",
			 (json_int_t)r->caps_pids, "processes_enforced",
			 (on & CGROUP_PIDS) != 0, "disk_bytes",
			 (json_int_t)r->env->max_disk, "files",
			 (json_int_t)r->env->max_files);
}

/*
 * The final measurement, by the service worker with the host's find and
 * awk (the agent cannot write to /usr): every entry below the project,
 * not following links, its allocated blocks, in watch.h's answer format.
 * find's complaint about an unreadable directory, or its failure, makes
 * the answer unreadable, which stops the run (fail closed).
 */
static const char measure_cmd[] =
	"set -o pipefail; LC_ALL=C find . -mindepth 1 -printf '%b\\n' | "
	"LC_ALL=C awk '{ n++; b += $1 } END { printf \"measure %.0f %.0f "
	"complete\\n\", b * 512, n }'";

static void
on_measured(void *ctx, const struct msg_tool_result *res)
{
	struct run *r = ctx;
	struct phase *p = &r->cur;
	struct watch_caps caps = { .max_bytes = r->env->max_disk,
				   .max_files = r->env->max_files };
	enum session_stop stop;
	char why[512];

	/* a non-zero exit (find could not read everything) is no answer */
	stop = watch_verdict(&caps, res && res->exit_code == 0 ? res : NULL,
			     why, sizeof(why));
	if (stop != SESSION_STOP_NONE) {
		p->status = PHASE_STATUS_STOPPED;
		snprintf(p->stop_reason, sizeof(p->stop_reason), "%s",
			 session_stop_name(stop));
		if (p->record) {
			json_object_set_new(p->record, "status",
					    json_string(phase_status_name(
						    p->status)));
			json_object_set_new(p->record, "stop_reason",
					    json_string(p->stop_reason));
		}
		json_array_append_new(r->errors,
				      json_sprintf("phase %s: at its end, %s",
						   p->def->name, why));
	}
	r->caps_next(r);
}

void
run_caps_after_phase(struct run *r, struct phase *p,
		     void (*next)(struct run *r))
{
	r->caps_next = next;
	if ((p->status != PHASE_STATUS_SUCCESS &&
	     p->status != PHASE_STATUS_FAILED) ||
	    (!r->env->max_disk && !r->env->max_files)) {
		next(r);
		return;
	}
	if (svc_bash(r->svc, measure_cmd, WATCH_TIMEOUT_MS * 3, on_measured,
		     r) < 0)
		on_measured(r, NULL);
}

void
run_caps_clear(struct run *r)
{
	cgroup_destroy(r->cgroup);
	r->cgroup = NULL;
}
