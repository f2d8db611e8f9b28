/*
 * apply.h - the worker side of the policy: rlimits, Landlock, seccomp.
 *
 * Design note
 * -----------
 * The worker calls these in this order, once, before it reads any
 * untrusted input (worker/confine.c):
 *
 *   policy_limits_apply()    rlimits; only ever lowers a limit
 *   policy_landlock_apply()  filesystem, TCP and scoping rules, by ABI
 *   policy_seccomp_apply()   no_new_privs, then the syscall filter
 *
 * Landlock comes before seccomp because the filter may deny the Landlock
 * syscalls' misuse later; the limits come first because nothing after the
 * filter could raise them anyway. Each call is irreversible for the calling
 * process and everything it forks or executes: never call them in a test
 * process, only in a forked child or the worker.
 *
 * These files are linked into the worker, which is built without
 * sanitizers: they may use libc and libseccomp only (no libyaml, no
 * jansson, no libcrypto). The input is a struct msg_policy whose paths the
 * supervisor has already expanded (policy_to_msg()).
 *
 * Errors: 0 on success, a negative errno on a real failure with a
 * human-readable message in err (which may be NULL when errlen is 0). A
 * kernel without Landlock is not a failure: it is reported through
 * *abi_out = 0 and the caller decides (--require-isolation).
 */
#ifndef GAO_POLICY_APPLY_H
#define GAO_POLICY_APPLY_H

#include <stddef.h>

#include "proto/msg.h"

/*
 * policy_limits_apply - set RLIMIT_CORE to 0 and RLIMIT_CPU, _FSIZE,
 * _NOFILE, _NPROC and _AS from p (a 0 field leaves that limit alone).
 * Soft and hard limits are both set (CPU: hard = soft + 5 s so SIGXCPU
 * comes first); a value is never raised above the current hard limit.
 * SIGXFSZ is not touched: the worker decides how it handles it.
 * Returns 0, or a negative errno naming the limit in err.
 */
int policy_limits_apply(const struct msg_policy *p, char *err, size_t errlen);

/*
 * policy_landlock_abi - the Landlock ABI version the running kernel offers
 * (1, 2, ...), or 0 when Landlock is missing or disabled. No side effects.
 */
int policy_landlock_abi(void);

/*
 * policy_landlock_apply - restrict the calling process with Landlock:
 * read + execute beneath p->ro_paths, every right beneath p->rw_paths and
 * project_dir, read/write on /dev/null and /dev/zero, read on /dev/random
 * and /dev/urandom (never /dev/tty). At ABI >= 4 TCP bind is denied, and
 * TCP connect too unless p->net_tcp. At ABI >= 6 signals and abstract unix
 * sockets are scoped to the sandbox. Listed paths that do not exist (or
 * cannot be opened) are skipped; project_dir must exist. Sets
 * no_new_privs (Landlock needs it). Returns 0 with *abi_out = the ABI
 * enforced (0: the kernel has no Landlock, nothing done), or a negative
 * errno on a real failure (then the process may be partly restricted:
 * the caller must not go on).
 */
int policy_landlock_apply(const struct msg_policy *p, const char *project_dir,
			  int *abi_out, char *err, size_t errlen);

/*
 * policy_seccomp_apply - set no_new_privs, then load the seccomp filter
 * for p: p->seccomp_allowlist selects the allow-list (strict profile),
 * otherwise the deny-list shaped by p->allow_exec, p->allow_unix and
 * p->net_tcp. Foreign architectures (i386 int 0x80, x32) kill the
 * process; everything else denied returns an errno (docs/policy.md lists
 * which). Returns 0, or a negative errno with a message in err.
 */
int policy_seccomp_apply(const struct msg_policy *p, char *err, size_t errlen);

#endif
