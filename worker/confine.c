/*
 * confine.c - apply the policy's layers inside the worker.
 *
 * Design note
 * -----------
 * The order matters. rlimits first (they cannot be raised again once the
 * process has no privilege). Landlock next: it needs its own syscalls,
 * which the seccomp filter then may deny. seccomp last; libseccomp sets
 * PR_SET_NO_NEW_PRIVS before loading the filter. Each layer is best effort
 * by design of the kernel (Landlock may be absent) but a failure to apply a
 * layer the kernel does offer is fatal: the worker exits instead of running
 * tools half-confined. What is in force is reported in READY, and the
 * supervisor decides (under --require-isolation) whether that is enough.
 *
 * Test builds (-Dtest_switches=true) honour policy.test_disable to reach
 * lower isolation levels for the escape suite; release builds ignore it.
 */
#include "worker/confine.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "config.h"
#include "policy/apply.h"
#include "proto/fdmap.h"

/* The project directory through its fd: valid even when the path is not
 * reachable from the worker (a 0700 parent, another mount namespace). */
#define PROJECT_FD_PATH "/proc/self/fd/5"
_Static_assert(FDMAP_PROJECT == 5, "PROJECT_FD_PATH names fd 5");

/* Layers a test build may skip; always 0 in a release build. */
static uint32_t
disabled_layers(const struct msg_policy *p)
{
#if GAO_DEV_TEST_SWITCHES
	return p->test_disable;
#else
	(void)p;
	return 0;
#endif
}

int
confine_apply(const struct msg_init *init, struct confine_report *rep,
	      char *err, size_t errlen)
{
	const struct msg_policy *p = &init->policy;
	uint32_t off = disabled_layers(p);
	int rc, abi = 0;

	memset(rep, 0, sizeof(*rep));
	/* what spawn did (namespaces, the run's own uid) it reports itself:
	 * a uid other than 0 here may be the operator's, not the run's */
	rep->layers = 0;
	rc = policy_limits_apply(p, err, errlen);
	if (rc < 0)
		return rc;
	rep->layers |= MSG_LAYER_RLIMITS;
	if (!(off & MSG_LAYER_LANDLOCK)) {
		rc = policy_landlock_apply(p, PROJECT_FD_PATH, &abi, err,
					   errlen);
		if (rc < 0)
			return rc;
		if (abi > 0)
			rep->layers |= MSG_LAYER_LANDLOCK;
		rep->landlock_abi = abi;
	}
	if (!(off & MSG_LAYER_SECCOMP)) {
		rc = policy_seccomp_apply(p, err, errlen);
		if (rc < 0)
			return rc;
		rep->layers |= MSG_LAYER_SECCOMP;
	} else if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(err, errlen, "PR_SET_NO_NEW_PRIVS: %s",
			 strerror(errno));
		return -1;
	}
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1)
		rep->layers |= MSG_LAYER_NO_NEW_PRIVS;
	return 0;
}
