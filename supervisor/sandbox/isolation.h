/*
 * isolation.h - the words for an --require-isolation that a worker does
 * not meet.
 *
 * Design note
 * -----------
 * An agent's worker (supervisor/agent/batch.c) and a service worker
 * (svc.c) are checked against the same level; the operator must read the
 * same sentence for both: which layers are missing by name, the Landlock
 * ABI asked for and found, and what the worker had.
 */
#ifndef GAO_SUPERVISOR_ISOLATION_H
#define GAO_SUPERVISOR_ISOLATION_H

#include <stddef.h>
#include <stdint.h>

/*
 * isolation_unmet_text - "--require-isolation is not met: WHO lacks
 * pidns,mntns (and Landlock ABI >= 4, it has 0); it has seccomp,...":
 * has/abi are what the worker reported, need/need_abi what the level
 * asks. Always NUL-terminated.
 */
void isolation_unmet_text(uint32_t has, int abi, uint32_t need, int need_abi,
			  const char *who, char *buf, size_t cap);

#endif
