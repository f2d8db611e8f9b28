/*
 * hostcheck_report.c - sandbox check, the verdict and the report: the
 * level --require-isolation would reach (run_iso_need(), the run's own
 * rule), the exit code, what to change to get more, as text for people
 * and as the JSON object of docs/sandbox-check.md for machines. Every
 * layer named here is one a run records (msg_layers_text); nothing is
 * guessed from the kernel version.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/termesc.h"
#include "config.h"
#include "proto/msg.h"
#include "supervisor/run/hostcheck.h"
#include "supervisor/run/run_priv.h"
#include "supervisor/sandbox/cgroup.h"

/* The namespaces a worker gets, as the results name them. */
static const struct {
	uint32_t bit;
	const char *name;
	const char *what;
} layer_tab[] = {
	{ MSG_LAYER_SECCOMP, "seccomp", "system call filter" },
	{ MSG_LAYER_NO_NEW_PRIVS, "no_new_privs", "no privilege gain on exec" },
	{ MSG_LAYER_RLIMITS, "rlimits", "per-process limits" },
	{ MSG_LAYER_LANDLOCK, "landlock", "file access rules" },
	{ MSG_LAYER_NS_USER, "userns", "user namespace" },
	{ MSG_LAYER_NS_PID, "pidns", "PID namespace" },
	{ MSG_LAYER_NS_NET, "netns", "network namespace" },
	{ MSG_LAYER_NS_MOUNT, "mntns", "mount namespace" },
	{ MSG_LAYER_NS_IPC, "ipcns", "IPC namespace" },
	{ MSG_LAYER_NS_UTS, "utsns", "UTS namespace" },
	{ MSG_LAYER_UNPRIVILEGED_UID, "unprivileged-uid",
	  "a separate uid per run" },
	{ MSG_LAYER_MIN_ROOT, "minimal-root", "only the policy's paths" },
	{ MSG_LAYER_CGROUP, "cgroup", "the run's memory and process totals" },
};

#define N_LAYERS (sizeof(layer_tab) / sizeof(*layer_tab))

static const char *const level_names[] = { "none", "seccomp", "landlock",
					   "full" };

static bool
has(const struct hostcheck *h, uint32_t bits)
{
	return (h->layers & bits) == bits;
}

/* Whether the worker meets level lvl, by the run's own rule. */
static bool
meets(const struct hostcheck *h, enum run_isolation lvl)
{
	uint32_t need = 0;
	int abi = 0;

	run_iso_need(lvl, &need, &abi);
	return h->started && has(h, need) && h->landlock_abi >= abi;
}

void
hostcheck_judge(struct hostcheck *h)
{
	h->level = RUN_ISO_NONE;
	for (int l = RUN_ISO_SECCOMP; l <= RUN_ISO_FULL; l++)
		if (meets(h, (enum run_isolation)l))
			h->level = (enum run_isolation)l;
	h->documented = h->started &&
			has(h, MSG_LAYER_SECCOMP | MSG_LAYER_NO_NEW_PRIVS) &&
			!(h->memory_explicit && !(h->cg_on & CGROUP_MEMORY));
	h->exit_code = h->documented && h->level >= h->require ? EXIT_OK :
								 EXIT_INFRA;
}

/* Whether a run wants the layer here: not a user namespace as root (it
 * drops to a uid instead), not a network namespace under a policy that
 * allows the network, not a separate uid for an ordinary user. */
static bool
wanted(const struct hostcheck *h, uint32_t bit)
{
	if (bit == MSG_LAYER_NS_USER)
		return !h->root;
	if (bit == MSG_LAYER_NS_NET)
		return !h->policy_network;
	if (bit == MSG_LAYER_UNPRIVILEGED_UID)
		return h->root;
	return true;
}

/* Why a layer is not in force and what to change, or NULL when it is in
 * force or not wanted. */
static const char *
layer_advice(const struct hostcheck *h, uint32_t bit)
{
	if (!h->started || (h->layers & bit) || !wanted(h, bit))
		return NULL;
	if (h->test_disable & bit)
		return "switched off by --test-disable-layers (a test build)";
	switch (bit) {
	case MSG_LAYER_SECCOMP:
	case MSG_LAYER_NO_NEW_PRIVS:
		return "the worker could not install its seccomp filter or "
		       "set no_new_privs: a kernel with "
		       "CONFIG_SECCOMP_FILTER, and a container runtime that "
		       "lets processes install their own filters";
	case MSG_LAYER_LANDLOCK:
		return "Landlock: Linux >= 5.13 with Landlock enabled "
		       "(CONFIG_SECURITY_LANDLOCK=y and landlock in the lsm= "
		       "boot parameter or CONFIG_LSM); level landlock needs "
		       "ABI 4 (Linux >= 6.7)";
	case MSG_LAYER_CGROUP:
		return NULL; /* the cgroup's own advice says more */
	case MSG_LAYER_UNPRIVILEGED_UID:
		/* uidmap.c's reason names the fix; else the general one */
		return h->uid_why[0] ?
			       h->uid_why :
			       "a separate uid per run: map more than root's "
			       "own uid into the container (rootless Podman: "
			       "subordinate ids in /etc/subuid and "
			       "/etc/subgid; Kubernetes: hostUsers: false)";
	default:
		break;
	}
	if (h->ns_off)
		return "namespaces: switched off (--test-no-namespaces)";
	/* a mount namespace but no PID namespace: no private /proc */
	if (bit == MSG_LAYER_NS_PID && (h->layers & MSG_LAYER_NS_MOUNT))
		return "PID namespace: the other namespaces were made, but a "
		       "private /proc for a new PID namespace could not be "
		       "mounted: a container whose /proc is masked (Docker: "
		       "--security-opt systempaths=unconfined; Kubernetes: "
		       "procMount: Unmasked)";
	if (!h->root)
		return "namespaces: run as root, or enable unprivileged user "
		       "namespaces (sysctl user.max_user_namespaces > 0 and, "
		       "where it exists, kernel.unprivileged_userns_clone=1; "
		       "on Ubuntu, AppArmor's restriction: "
		       "kernel.apparmor_restrict_unprivileged_userns=0 or a "
		       "profile that allows userns for gao-dev); in a "
		       "container, also a seccomp profile that allows clone "
		       "and unshare with namespace flags";
	return "namespaces: the kernel or the container refuses new "
	       "namespaces to root: a seccomp profile that allows clone and "
	       "unshare with namespace flags, and CAP_SYS_ADMIN (e.g. docker "
	       "run --cap-add SYS_ADMIN --security-opt seccomp=unconfined), "
	       "or run on the host";
}

/* The advice, one line each, without repeats; NULL-terminated. */
static size_t
advice(const struct hostcheck *h, const char *out[N_LAYERS + 5])
{
	size_t n = 0;

	if (!h->started)
		out[n++] = h->error;
	for (size_t i = 0; i < N_LAYERS; i++) {
		const char *a = layer_advice(h, layer_tab[i].bit);
		bool seen = false;

		for (size_t k = 0; a && k < n; k++)
			seen = seen || strcmp(out[k], a) == 0;
		if (a && !seen)
			out[n++] = a;
	}
	if (h->cg_why[0])
		out[n++] = h->cg_why;
	if (h->cg_why[0] && !h->root)
		out[n++] = "the run's cgroup as an ordinary user: a cgroup v2 "
			   "delegation, e.g. systemd-run --user --scope -p "
			   "Delegate=yes gao-dev ...";
	out[n] = NULL;
	return n;
}

static const char *
cgroup_by(const struct hostcheck *h, uint32_t ctl)
{
	return (h->cg_on & ctl) ? h->cg_kind : NULL;
}

json_t *
hostcheck_json(const struct hostcheck *h)
{
	const char *adv[N_LAYERS + 5];
	json_t *j, *names = json_array(), *tab = json_array(),
		   *advj = json_array();
	char summary[256];

	if (!names || !tab || !advj)
		goto fail;
	for (size_t i = 0; i < N_LAYERS; i++) {
		bool on = (h->layers & layer_tab[i].bit) != 0;
		const char *a = layer_advice(h, layer_tab[i].bit);

		if (on)
			json_array_append_new(names,
					      json_string(layer_tab[i].name));
		json_array_append_new(tab,
				      json_pack("{s:s,s:s,s:b,s:s?}", "name",
						layer_tab[i].name, "what",
						layer_tab[i].what, "in_force",
						on, "advice", a));
		json_object_set_new(json_array_get(tab, i), "wanted",
				    json_boolean(wanted(h, layer_tab[i].bit)));
	}
	advice(h, adv);
	for (size_t i = 0; adv[i]; i++)
		json_array_append_new(advj, json_string(adv[i]));
	msg_layers_text(h->layers, h->landlock_abi, summary, sizeof(summary));
	j = json_pack(
		"{s:s,s:s,s:s,s:i,s:b,s:s,"
		"s:{s:b,s:s?},s:o,s:I,s:i,s:s,s:o,"
		"s:{s:b,s:b,s:I,s:s?},"
		"s:{s:s,s:b,s:b,s:s?,s:s,s:b},"
		"s:{s:s,s:I,s:b,s:b,s:I,s:b,s:I,s:I},"
		"s:s,s:{s:b,s:b,s:b},s:o,s:b,s:i}",
		"schema", "gao-dev-sandbox-check/1", "gao_dev", GAO_DEV_VERSION,
		"kernel", h->kernel, "euid", (int)geteuid(), "root", h->root,
		"policy", h->policy, "worker", "started", h->started, "error",
		h->started ? NULL : h->error, "layers", names, "layer_bits",
		(json_int_t)h->layers, "landlock_abi", h->landlock_abi,
		"summary", h->started ? summary : "no worker ran",
		"layer_table", tab, "run_uid", "applies", h->root, "separate",
		h->root && h->uid_rc == 1, "uid", (json_int_t)h->uid, "why",
		h->uid_why[0] ? h->uid_why : NULL, "cgroup", "version",
		h->cg_kind, "memory", (h->cg_on & CGROUP_MEMORY) != 0, "pids",
		(h->cg_on & CGROUP_PIDS) != 0, "why",
		h->cg_why[0] ? h->cg_why : NULL, "host_v1", h->cg_v1, "host_v2",
		h->cg_v2, "run_caps", "cgroup", h->cg_kind, "memory_bytes",
		(json_int_t)h->max_memory, "memory_explicit",
		h->memory_explicit, "memory_enforced",
		(h->cg_on & CGROUP_MEMORY) != 0, "processes",
		(json_int_t)h->pids, "processes_enforced",
		(h->cg_on & CGROUP_PIDS) != 0, "disk_bytes",
		(json_int_t)h->max_disk, "files", (json_int_t)h->max_files,
		"isolation_level", level_names[h->level], "levels", "seccomp",
		meets(h, RUN_ISO_SECCOMP), "landlock",
		meets(h, RUN_ISO_LANDLOCK), "full", meets(h, RUN_ISO_FULL),
		"advice", advj, "applies_as_documented", h->documented,
		"exit_code", h->exit_code);
	return j;
fail:
	json_decref(names);
	json_decref(tab);
	json_decref(advj);
	return NULL;
}

static void
print_caps(const struct hostcheck *h, FILE *f)
{
	const char *mem = cgroup_by(h, CGROUP_MEMORY);
	const char *pids = cgroup_by(h, CGROUP_PIDS);

	termesc_fprintf(f, "run caps:\n");
	termesc_fprintf(f, "  memory     %llu bytes (--max-memory%s): %s%s%s\n",
			(unsigned long long)h->max_memory,
			h->memory_explicit ? ", asked for" : ", the default",
			mem ? "enforced by the cgroup " : "NOT enforced",
			mem ? mem : "",
			mem ? "" :
			h->memory_explicit ?
			      " (a run would exit 4)" :
			      " (each process keeps the policy's RLIMIT_AS)");
	if (h->pids)
		termesc_fprintf(f,
				"  processes  %llu (the policy's processes + "
				"gao-dev's own): %s%s%s\n",
				(unsigned long long)h->pids,
				pids ? "enforced by the cgroup " :
				       "NOT enforced",
				pids ? pids : "",
				pids ? "" :
				       " (each uid keeps the policy's "
				       "RLIMIT_NPROC)");
	else
		termesc_fprintf(f, "  processes  unlimited by the policy\n");
	termesc_fprintf(f,
			"  disk       %llu bytes (--max-disk): enforced by the "
			"project watch and RLIMIT_FSIZE\n",
			(unsigned long long)h->max_disk);
	termesc_fprintf(f,
			"  files      %llu (--max-files): enforced by the "
			"project watch\n",
			(unsigned long long)h->max_files);
}

void
hostcheck_print(const struct hostcheck *h, FILE *f)
{
	const char *adv[N_LAYERS + 5];
	char summary[256];
	size_t n;

	termesc_fprintf(f,
			"gao-dev sandbox check: policy %s, %s (uid %d), Linux "
			"%s\n\n",
			h->policy, h->root ? "as root" : "not root",
			(int)geteuid(), h->kernel);
	if (!h->started) {
		termesc_fprintf(f, "worker: NOT started: %s\n", h->error);
	} else {
		msg_layers_text(h->layers, h->landlock_abi, summary,
				sizeof(summary));
		termesc_fprintf(f,
				"worker: started and confined itself; its "
				"layers (as a run records them):\n  %s\n\n",
				summary);
		for (size_t i = 0; i < N_LAYERS; i++) {
			bool on = (h->layers & layer_tab[i].bit) != 0;
			bool want = wanted(h, layer_tab[i].bit);

			termesc_fprintf(f, "  %-17s %-4s %s", layer_tab[i].name,
					on ? "yes" : "no", layer_tab[i].what);
			if (layer_tab[i].bit == MSG_LAYER_LANDLOCK && on)
				termesc_fprintf(f, " (ABI %d)",
						h->landlock_abi);
			if (!on && !want)
				termesc_fprintf(f, " (not needed here)");
			termesc_fprintf(f, "\n");
		}
	}
	termesc_fprintf(f,
			"\ncgroup: the run's: %s, memory %s, pids %s (the "
			"host: v1 %s; v2 %s)\n",
			h->cg_kind, (h->cg_on & CGROUP_MEMORY) ? "yes" : "no",
			(h->cg_on & CGROUP_PIDS) ? "yes" : "no",
			h->cg_v1[0] ? h->cg_v1 : "none",
			h->cg_v2 ? "yes" : "no");
	if (h->root)
		termesc_fprintf(f, "run uid: %s (%d)\n",
				h->uid_rc == 1 ? "a separate uid" :
						 "none separate: uid 0 with "
						 "every capability dropped",
				(int)h->uid);
	termesc_fprintf(f, "\n");
	print_caps(h, f);
	termesc_fprintf(f,
			"\n--require-isolation: reaches %s (seccomp %s, "
			"landlock %s, full %s)\n",
			level_names[h->level],
			meets(h, RUN_ISO_SECCOMP) ? "yes" : "no",
			meets(h, RUN_ISO_LANDLOCK) ? "yes" : "no",
			meets(h, RUN_ISO_FULL) ? "yes" : "no");
	n = advice(h, adv);
	if (n)
		termesc_fprintf(f, "\nto get more:\n");
	for (size_t i = 0; i < n; i++)
		termesc_fprintf(f, "  - %s\n", adv[i]);
	if (h->exit_code == EXIT_OK)
		termesc_fprintf(f, "\nverdict: the policy can be applied as "
				   "documented (exit 0)\n");
	else if (h->documented)
		termesc_fprintf(f,
				"\nverdict: --require-isolation %s is not "
				"reached (exit 4)\n",
				level_names[h->require]);
	else
		termesc_fprintf(f,
				"\nverdict: a run cannot apply the policy as "
				"documented here (exit 4)\n");
}
