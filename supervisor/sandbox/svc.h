/*
 * svc.h - a worker the run itself uses: git, artifact checks, criteria.
 *
 * Design note
 * -----------
 * The supervisor never touches the agent-controlled tree itself: no git,
 * no test command, no glob that could follow a symlink (a hook an agent
 * wrote into .git/hooks must never run outside the sandbox). Everything
 * the run needs to know about the project, it asks a service worker: a
 * gao-dev-worker like an agent's, with the same policy and isolation,
 * that gets Bash commands from the run instead of from a model. Calls are
 * queued and run one at a time; each answers through its callback, from
 * the loop. A worker that dies is started again for the same call, three
 * starts in all; then the call is answered with NULL. The budget is per
 * call: the next call gets its own three starts, so no call can use up
 * another's (and every caller must treat NULL as "not run", never as
 * success).
 *
 * A service worker meets --require-isolation like an agent's: one that
 * reports fewer layers than the level needs is stopped before it runs a
 * command, and that call and every later one is answered with NULL;
 * svc_unmet() then says why, so the run can end as isolation_unmet.
 * A cancelled run (svc_cancel) gets the same answers without waiting for
 * the command in flight.
 */
#ifndef GAO_SUPERVISOR_SVC_H
#define GAO_SUPERVISOR_SVC_H

#include <stdint.h>

#include "proto/msg.h"
#include "supervisor/core/loop.h"
#include "supervisor/sandbox/wconn.h"

struct svc;

/* r is NULL when the worker failed; valid only during the call. */
typedef void (*svc_fn)(void *ctx, const struct msg_tool_result *r);

/*
 * svc_new - a service worker that starts with opts on the first call.
 * opts (and what it points to) must outlive the svc.
 */
struct svc *svc_new(struct loop *l, const struct wconn_opts *opts);

/*
 * svc_require - the layers (MSG_LAYER_* bits) and Landlock ABI every
 * worker of s must report in READY; the default is none.
 */
void svc_require(struct svc *s, uint32_t layers, int landlock_abi);

/*
 * svc_unmet - NULL, or why a worker of s fell short of svc_require() (a
 * string owned by s, valid until svc_free). Once set, every call of s is
 * answered with NULL.
 */
const char *svc_unmet(const struct svc *s);

/*
 * svc_cancel - the run was cancelled: the worker is killed (a command in
 * flight with it) and that call and every later one is answered with
 * NULL, from the loop, at once. Safe to call at any time but from inside
 * one of s's own callbacks.
 */
void svc_cancel(struct svc *s);

/* Queue a Bash command (timeout in ms). 0 or -ENOMEM. */
int svc_bash(struct svc *s, const char *command, uint32_t timeout_ms, svc_fn fn,
	     void *ctx);

/* Stop the worker and drop pending calls (their callbacks do not run). */
void svc_free(struct svc *s);

/* Single-quote s for bash (malloc'ed): 'it'\''s'. */
char *svc_quote(const char *s);

#endif
