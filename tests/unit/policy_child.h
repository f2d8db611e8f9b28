/*
 * policy_child.h - the harness of the policy apply tests: a fixture (a
 * project, a private tmp and an outside directory), a forked child that
 * applies layers and reports the first failed check through a pipe, and
 * the checks used inside such children.
 *
 * The test process itself is never confined: every check runs in a child
 * (run_child()) that applies one or more layers and then probes the
 * kernel. The child reports the first failed check as text and exits 1,
 * or exits 0 when everything held; the tests for killed processes look at
 * the wait status instead. Children leave with _exit() only, so nothing of
 * Criterion or the sanitizers runs confined at exit.
 *
 * Kernel-dependent outcomes: where the host decides what a call does
 * before any layer is consulted (the i386 and x32 ABIs, errnos of the
 * kernel's own permission checks), the tests ask the host first, in an
 * unconfined child, and then assert the promise (the call never runs, is
 * refused) in whichever form the host gives it: EXPECT_ERR_ANY() for
 * errnos, expect_foreign_abi_stopped() for the foreign ABIs. An errno our
 * own seccomp filter returns is asserted exactly (EXPECT_ERR()).
 *
 * Sanitizer builds: ASan reserves terabytes of address space, so
 * RLIMIT_AS is left out of the children that go on allocating
 * (POLICY_TEST_ASAN); everything else runs the same.
 */
#ifndef GAO_TESTS_POLICY_CHILD_H
#define GAO_TESTS_POLICY_CHILD_H

#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "policy/apply.h"
#include "policy/policy.h"
#include "proto/msg.h"

#if defined(__SANITIZE_ADDRESS__)
#define POLICY_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POLICY_TEST_ASAN 1
#endif
#endif
#ifndef POLICY_TEST_ASAN
#define POLICY_TEST_ASAN 0
#endif

extern char proj[64], tmpd[64], outside[64];
extern int report_fd;
extern unsigned short listen_port;

#define CHECK(cond, ...) \
	do { \
		if (!(cond)) \
			child_fail(__VA_ARGS__); \
	} while (0)

/* The call must fail with errno e. */
#define EXPECT_ERR(call, e) \
	do { \
		long r_; \
		int e_; \
		errno = 0; \
		r_ = (long)(call); \
		e_ = errno; \
		if (r_ != -1 || e_ != (e)) \
			child_fail("line %d: %s: want -1/%s, got %ld/%s", \
				   __LINE__, #call, strerror(e), r_, \
				   strerror(e_)); \
	} while (0)

/* The call must fail with one of the errnos listed: the forms a
 * refusal by the kernel's own checks may take (EACCES from Landlock or
 * permissions, EROFS, ENOENT where the host has no such file, ...). */
#define EXPECT_ERR_ANY(call, ...) \
	do { \
		static const int want_[] = { __VA_ARGS__, 0 }; \
		long r_; \
		int e_; \
		errno = 0; \
		r_ = (long)(call); \
		e_ = errno; \
		if (r_ != -1 || !errno_in(e_, want_)) \
			child_fail("line %d: %s: want -1/one of %s, got " \
				   "%ld/%s", \
				   __LINE__, #call, #__VA_ARGS__, r_, \
				   strerror(e_)); \
	} while (0)

/* The call must succeed (return >= 0). */
#define EXPECT_OK(call) \
	do { \
		long r_; \
		errno = 0; \
		r_ = (long)(call); \
		if (r_ < 0) \
			child_fail("line %d: %s: %s", __LINE__, #call, \
				   strerror(errno)); \
	} while (0)

typedef void (*child_fn)(const struct msg_policy *m);

int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw);
void dirs_setup(void);
void dirs_teardown(void);
void profile_msg(const char *name, struct msg_policy *m);
__attribute__((format(printf, 1, 2), noreturn)) void child_fail(const char *fmt,
								...);
int run_child(child_fn fn, const struct msg_policy *m, char *msg, size_t len);
void expect_child_ok(child_fn fn, const struct msg_policy *m);
void expect_child_signal(child_fn fn, const struct msg_policy *m, int sig);
void apply_landlock(const struct msg_policy *m);
void apply_seccomp(const struct msg_policy *m);
void apply_all(const struct msg_policy *m);
int write_file(const char *dir, const char *name);
int open_in(const char *dir, const char *name, int flags);
void require_landlock(int abi);

/*
 * host_note - record a fact about the host that a passing test depends
 * on (which layer stopped a call, a check the kernel cannot support): a
 * "[NOTE] ..." line on stderr, shown in every run. Not cr_log_warn():
 * Criterion exits 1 after any warning, even when every test passed.
 */
__attribute__((format(printf, 1, 2))) void host_note(const char *fmt, ...);

/* True when e is in want (terminated by 0). */
bool errno_in(int e, const int *want);

/*
 * host_delivers - run fn unconfined (m NULL) in a child, as the host
 * itself treats the call it makes. fn must end with child_fail()
 * naming what the call returned. True when the call returned (the
 * kernel's syscall entry saw it, even if only to answer ENOSYS), with
 * that report in how; false when a signal stopped it first, with the
 * signal's name (SIGSEGV) in how.
 */
bool host_delivers(child_fn fn, char *how, size_t len);

/*
 * expect_foreign_abi_stopped - the promise for a foreign-ABI call (what
 * names it in messages): host_delivers() first, then fn(m) in a child
 * that applies the layers, which must never return from the call. Where
 * the host delivers the call the filter must be what killed it
 * (SIGSYS); where the host never does, any signal will do, and which one
 * stopped it (the kernel or the filter) is noted (host_note()). Returns
 * whether the host delivers the call.
 */
bool expect_foreign_abi_stopped(const char *what, child_fn fn,
				const struct msg_policy *m);

/* A TCP listener on 127.0.0.1 in the test process; its port is in
 * the global listen_port. */
int tcp_listener(void);
/* Connect to that listener; the socket fd, or -1 with errno. */
int tcp_connect(void);

#endif
