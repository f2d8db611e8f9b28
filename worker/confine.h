/*
 * confine.h - the worker confines itself before it reads untrusted input.
 */
#ifndef GAO_WORKER_CONFINE_H
#define GAO_WORKER_CONFINE_H

#include <stddef.h>
#include <stdint.h>

#include "proto/msg.h"

struct confine_report {
	uint32_t layers;  /* enum msg_layer bits actually in force */
	int landlock_abi; /* ABI enforced, 0 when none */
};

/*
 * confine_apply - enter the sandbox described by init->policy: rlimits,
 * then Landlock (by ABI; absent is recorded, not fatal), then seccomp
 * (which also sets no_new_privs). Also detects the namespaces the
 * supervisor set up at spawn. Returns 0 and fills *rep, or a negative
 * errno with a message in err when a layer that should work failed.
 * Irreversible: call once, in the worker only, never in a test process.
 */
int confine_apply(const struct msg_init *init, struct confine_report *rep,
		  char *err, size_t errlen);

#endif
