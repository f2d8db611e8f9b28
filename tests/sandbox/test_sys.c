/*
 * test_sys.c - escape attempts on the kernel's syscall surface: #14-#18
 * of SECURITY.md, through sbx-probe (probe.c) run from Bash.
 *
 * Each probe line is "syscall=RESULT"; every syscall listed here must
 * fail with the errno the seccomp filter returns (the table in
 * docs/policy.md), which also shows the call never reached the kernel's
 * own permission checks.
 */
#include <stdio.h>
#include <string.h>

#include "attempt.h"

/* Every name must have the result want; false (with the first offender
 * logged) otherwise. */
static bool
all_are(const char *out, const char *const *names, size_t n,
	const char *want)
{
	for (size_t i = 0; i < n; i++) {
		if (!sbx_has_line(out, names[i], want)) {
			cr_log_warn("%s is not %s", names[i], want);
			return false;
		}
	}
	return true;
}

static bool
any_ok(const char *out, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (sbx_has_line(out, names[i], "OK"))
			return true;
	return false;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

SBX_ATTEMPT(a14_foreign_arch)
{
	const char *out;
	bool escaped;

	sbx_install_probe(s);
	out = sbx_bash(s, 10000, "./sbx-probe int80; echo int80=$?; "
		       "./sbx-probe x32; echo x32=$?");
	escaped = strstr(out, "after") != NULL;
	sbx_judge(s, 14, escaped, out);
	/* 159 = 128 + SIGSYS: killed by the filter, not by the kernel */
	cr_assert(strstr(out, "int80=159") && strstr(out, "x32=159"), "%s",
		  out);
}

SBX_ATTEMPT(a15_io_uring)
{
	const char *out;
	bool escaped;

	sbx_install_probe(s);
	out = sbx_bash(s, 10000, "./sbx-probe io_uring; echo rc=$?");
	escaped = sbx_has_line(out, "io_uring_setup", "OK");
	sbx_judge(s, 15, escaped, out);
	cr_assert(sbx_has_line(out, "io_uring_setup", "EPERM"), "%s", out);
	cr_assert(strstr(out, "alive\nrc=0"), "not a kill: %s", out);
}

SBX_ATTEMPT(a16_namespaces)
{
	static const char *const eperm[] = {
		"unshare_USER", "unshare_NS", "unshare_NET", "unshare_PID",
		"unshare_IPC", "unshare_UTS", "unshare_CGROUP", "clone_USER",
		"clone_NS", "clone_NET", "clone_PID", "clone_IPC", "clone_UTS",
		"clone_CGROUP", "setns",
	};
	const char *out;
	bool escaped;

	sbx_install_probe(s);
	out = sbx_bash(s, 10000, "./sbx-probe ns; unshare -Ur id -u; "
		       "echo unshare=$?");
	escaped = any_ok(out, eperm, N(eperm)) ||
		  sbx_has_line(out, "clone3", "OK") ||
		  strstr(out, "unshare=0");
	sbx_judge(s, 16, escaped, out);
	cr_assert(all_are(out, eperm, N(eperm), "EPERM"), "%s", out);
	cr_assert(sbx_has_line(out, "clone3", "ENOSYS"), "%s", out);
}

SBX_ATTEMPT(a17_mounts)
{
	static const char *const eperm[] = {
		"mount", "umount2", "fsopen", "fsmount", "open_tree",
		"move_mount", "pivot_root", "chroot",
	};
	const char *out;
	bool escaped;

	sbx_install_probe(s);
	out = sbx_bash(s, 10000, "./sbx-probe mount");
	escaped = any_ok(out, eperm, N(eperm));
	sbx_judge(s, 17, escaped, out);
	cr_assert(all_are(out, eperm, N(eperm), "EPERM"), "%s", out);
}

SBX_ATTEMPT(a18_kernel_surface)
{
	static const char *const eperm[] = {
		"bpf", "perf_event_open", "userfaultfd", "keyctl", "add_key",
		"request_key", "open_by_handle_at", "name_to_handle_at",
		"init_module", "finit_module", "delete_module", "kexec_load",
		"kexec_file_load", "reboot", "swapon", "acct", "personality",
	};
	const char *out;
	bool escaped;

	sbx_install_probe(s);
	out = sbx_bash(s, 10000, "./sbx-probe kernel");
	escaped = any_ok(out, eperm, N(eperm));
	sbx_judge(s, 18, escaped, out);
	cr_assert(all_are(out, eperm, N(eperm), "EPERM"), "%s", out);
}
