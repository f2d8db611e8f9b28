/*
 * hostcheck.h - gao-dev sandbox check: what this host gives a run.
 *
 * Design note
 * -----------
 * The check must say what a run would get, not what a guess says it
 * would: so it does what a run does, on the same code path. It loads
 * the policy (default, or --policy), picks the run's uid as a run does,
 * makes the run's cgroup with the run's caps (run_caps.c's numbers),
 * and starts one real gao-dev-worker through wconn_start() with the
 * spawn options of an agent's worker (namespaces as spawn_ns_flags()
 * allows, the minimal root, the uid drop as root, the cgroup), in a
 * temporary project and tmp directory under $TMPDIR or --sandbox-root.
 * The worker confines itself and reports READY; the layers it reports
 * (plus those spawn set up) are exactly what a run records in its
 * results as isolation.layers and isolation.summary (msg_layers_text).
 * Then the worker is shut down, the cgroup removed, the directories
 * deleted. Nothing is sent to any API; no key is read.
 *
 * The verdict (docs/decisions.md, "sandbox check"): exit 4 when the
 * worker cannot start or confine itself, when seccomp or no_new_privs
 * is missing (the floor every documented level stands on), when a memory
 * total asked for (--max-memory, max_memory: in the user config) cannot
 * be enforced (a run would exit 4 too), or when --require-isolation is
 * given and not reached. Any other host is exit 0, with what is missing
 * and how to get it listed.
 *
 * hostcheck.c probes, hostcheck_report.c judges and prints.
 */
#ifndef GAO_SUPERVISOR_HOSTCHECK_H
#define GAO_SUPERVISOR_HOSTCHECK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <jansson.h>

#include "supervisor/config/cli.h"
#include "supervisor/run/run.h"

/* What the probe found (hostcheck_probe) and the verdict on it. */
struct hostcheck {
	bool root;
	char kernel[65];
	char policy[65];
	bool policy_network;   /* the policy allows TCP: no network ns */
	bool ns_off;           /* --test-no-namespaces (test builds) */
	bool ns_refused;       /* the kernel refuses new namespaces */
	uint32_t test_disable; /* --test-disable-layers (test builds) */
	/* the worker */
	bool started; /* it reported READY */
	char error[1536];
	uint32_t layers; /* msg_layer bits, as a run records them */
	int landlock_abi;
	/* the run's uid (as root) */
	int uid_rc; /* uidmap_run_uid(): 1 separate, 0 kept, -1 error */
	uid_t uid;
	char uid_why[256];
	/* the run's cgroup */
	const char *cg_kind; /* "v1", "v2", "none" */
	uint32_t cg_on;      /* enum cgroup_ctl bits in force */
	char cg_why[1024];
	char cg_v1[256]; /* the v1 controllers the supervisor is in, "a,b" */
	bool cg_v2;      /* it is in a v2 (unified) hierarchy too */
	/* the run caps */
	uint64_t max_memory;
	bool memory_explicit;
	uint64_t pids; /* 0: the policy has no process limit */
	uint64_t max_disk;
	uint64_t max_files;
	/* the verdict (hostcheck_judge) */
	enum run_isolation require;
	enum run_isolation level;
	bool documented; /* the policy can be applied as documented */
	int exit_code;
};

/*
 * hostcheck_main - the command: probe, judge, print (text, or JSON with
 * --json) to stdout. Returns the exit code (0, 2, 4).
 */
int hostcheck_main(struct cli *c);

/*
 * hostcheck_probe - fill h for the options of c (the run caps already
 * completed by runner_pick_caps). 0; EXIT_USAGE after printing what is
 * wrong (a policy that does not load, a --sandbox-root that is not a
 * directory); EXIT_INTERRUPTED when SIGINT, SIGTERM or SIGHUP came
 * (held until the worker, the cgroup and the directory are gone).
 * Anything the host refuses is recorded in h, never a failure.
 */
int hostcheck_probe(const struct cli *c, struct hostcheck *h);

/* The level reached and the exit code, from what h found. */
void hostcheck_judge(struct hostcheck *h);

/* The report for people (escaped for the terminal). */
void hostcheck_print(const struct hostcheck *h, FILE *f);

/* The report for machines (docs/sandbox-check.md); NULL on ENOMEM. */
json_t *hostcheck_json(const struct hostcheck *h);

#endif
