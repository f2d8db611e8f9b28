/*
 * limits.c - the policy's resource limits as rlimits (worker side).
 *
 * Design note
 * -----------
 * rlimits are per process (RLIMIT_NPROC: per uid) and inherited by every
 * child, so setting them in the worker covers every Bash command it runs.
 * Both the soft and the hard limit are set, so a command cannot raise its
 * own soft limit back; only CPU keeps 5 s of headroom between them so the
 * process gets SIGXCPU (which it may catch and report) before SIGKILL.
 * A limit is never raised: without CAP_SYS_RESOURCE that would fail, and a
 * tighter limit imposed by whoever started gao-dev is kept.
 *
 * RLIMIT_AS counts address space, not memory: runtimes that reserve large
 * regions up front (V8 WebAssembly guard regions, the JVM heap, Go arenas)
 * fail under a tight value although they touch little. docs/policy.md says
 * so; a cgroup memory.max set by the supervisor is the better tool where
 * delegated. RLIMIT_NPROC counts every process of the uid, so the
 * supervisor must leave room for all workers sharing a uid.
 *
 * Only libc: linked into the worker.
 */
#include "policy/apply.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#define LIMITS_CPU_GRACE 5            /* seconds between SIGXCPU and SIGKILL */
#define LIMITS_MEMLOCK_MAX (8u << 20) /* bytes; Linux's default */
#define LIMITS_MSGQUEUE_MAX 819200    /* bytes; Linux's default */

/* Lower resource res to soft/hard; never raise above the current hard. */
static int
limits_set(int res, const char *what, uint64_t soft, uint64_t hard, char *err,
	   size_t errlen)
{
	struct rlimit cur, want;
	int e;

	if (getrlimit(res, &cur) < 0)
		goto fail;
	want.rlim_max = (rlim_t)hard;
	if (cur.rlim_max != RLIM_INFINITY && want.rlim_max > cur.rlim_max)
		want.rlim_max = cur.rlim_max;
	want.rlim_cur = (rlim_t)soft;
	if (want.rlim_cur > want.rlim_max)
		want.rlim_cur = want.rlim_max;
	if (setrlimit(res, &want) < 0)
		goto fail;
	return 0;
fail:
	e = errno;
	if (errlen > 0)
		snprintf(err, errlen, "setrlimit(%s): %s", what, strerror(e));
	return -e;
}

/* Saturating a + b for rlimit values (RLIM_INFINITY is all ones). */
static uint64_t
limits_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/*
 * Limits no policy sets, which would otherwise pass from whoever started
 * gao-dev to the agent's commands (a systemd unit's LimitRTPRIO, a
 * container's unlimited MEMLOCK): no real-time scheduling (a SCHED_FIFO
 * loop starves the host), no priority above the one inherited, locked
 * memory and POSIX message queues at the kernel's usual defaults.
 */
static int
limits_fixed(char *err, size_t errlen)
{
	int rc;

	rc = limits_set(RLIMIT_RTPRIO, "RLIMIT_RTPRIO", 0, 0, err, errlen);
	if (rc == 0)
		rc = limits_set(RLIMIT_NICE, "RLIMIT_NICE", 0, 0, err, errlen);
	if (rc == 0)
		rc = limits_set(RLIMIT_MEMLOCK, "RLIMIT_MEMLOCK",
				LIMITS_MEMLOCK_MAX, LIMITS_MEMLOCK_MAX, err,
				errlen);
	if (rc == 0)
		rc = limits_set(RLIMIT_MSGQUEUE, "RLIMIT_MSGQUEUE",
				LIMITS_MSGQUEUE_MAX, LIMITS_MSGQUEUE_MAX, err,
				errlen);
	return rc;
}

int
policy_limits_apply(const struct msg_policy *p, char *err, size_t errlen)
{
	int rc;

	rc = limits_set(RLIMIT_CORE, "RLIMIT_CORE", 0, 0, err, errlen);
	if (rc == 0 && p->cpu_seconds > 0)
		rc = limits_set(RLIMIT_CPU, "RLIMIT_CPU", p->cpu_seconds,
				limits_add(p->cpu_seconds, LIMITS_CPU_GRACE),
				err, errlen);
	if (rc == 0 && p->file_size_bytes > 0)
		rc = limits_set(RLIMIT_FSIZE, "RLIMIT_FSIZE",
				p->file_size_bytes, p->file_size_bytes, err,
				errlen);
	if (rc == 0 && p->open_files > 0)
		rc = limits_set(RLIMIT_NOFILE, "RLIMIT_NOFILE", p->open_files,
				p->open_files, err, errlen);
	if (rc == 0 && p->processes > 0)
		rc = limits_set(RLIMIT_NPROC, "RLIMIT_NPROC", p->processes,
				p->processes, err, errlen);
	if (rc == 0 && p->memory_bytes > 0)
		rc = limits_set(RLIMIT_AS, "RLIMIT_AS", p->memory_bytes,
				p->memory_bytes, err, errlen);
	if (rc == 0)
		rc = limits_fixed(err, errlen);
	return rc;
}
