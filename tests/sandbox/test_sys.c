/*
 * test_sys.c - escape attempts on the kernel's syscall surface: #14-#18
 * of docs/escape-suite.md, through sbx-probe (probe.c) run from Bash.
 *
 * Each probe line is "syscall=RESULT"; every syscall listed here must
 * fail with the errno the seccomp filter returns (the table in
 * docs/policy.md), which also shows the call never reached the kernel's
 * own permission checks. Those errnos are ours, whatever the host.
 *
 * The foreign ABIs (#14) are the exception: whether the kernel's syscall
 * entry sees an i386 `int 0x80` or an x32 number at all depends on the
 * host (ia32 emulation may be off, x32 is rarely built in), so the suite
 * first runs the same probe unconfined to learn what the host does, then
 * asserts the promise, that the call never runs, in the form this host
 * allows (docs/escape-suite.md, "Kernel-dependent probes").
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "attempt.h"

/* Every name must have the result want; false (with the first offender
 * logged) otherwise. */
static bool
all_are(const char *out, const char *const *names, size_t n, const char *want)
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

/* One foreign-ABI path of #14: what the host does with it outside any
 * sandbox, and how the sandboxed probe ended. */
struct abi_path {
	const char *mode; /* sbx-probe mode, and the Bash line name */
	bool delivered;   /* the host's syscall entry saw the call */
	char host[64];    /* "returned -38" or "SIGSEGV" */
	int sig;          /* what killed the sandboxed probe, or 0 */
	char stopper[48]; /* who stopped it in the sandbox */
};

static void
sig_text(int sig, char *buf, size_t len)
{
	const char *abbrev = sigabbrev_np(sig);

	if (abbrev)
		snprintf(buf, len, "SIG%s", abbrev);
	else
		snprintf(buf, len, "signal %d", sig);
}

/* Ask the host: the probe run unconfined either returns from the call
 * ("after N": delivered, even if N is -ENOSYS) or dies by a signal. */
static void
abi_host(struct abi_path *p)
{
	char out[512];
	const char *after;
	int st = sbx_probe_unconfined(p->mode, out, sizeof(out));

	if (WIFSIGNALED(st)) {
		p->delivered = false;
		sig_text(WTERMSIG(st), p->host, sizeof(p->host));
		return;
	}
	after = strstr(out, "after ");
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0 && after,
		  "unconfined sbx-probe %s: status 0x%x: %s", p->mode, st, out);
	p->delivered = true;
	snprintf(p->host, sizeof(p->host), "returned %ld",
		 strtol(after + 6, NULL, 10));
}

/* The sandboxed probe's Bash status ("int80=RC"): killed by a signal is
 * 128 + its number. Fills sig and stopper; 0 when it was not killed. */
static void
abi_sandboxed(struct abi_path *p, const char *out)
{
	const char *v = sbx_line_value(out, p->mode);
	int rc = v ? atoi(v) : -1;
	char name[32];

	p->sig = rc > 128 ? rc - 128 : 0;
	if (!p->sig) {
		snprintf(p->stopper, sizeof(p->stopper), "not killed (rc %d)",
			 rc);
		return;
	}
	sig_text(p->sig, name, sizeof(name));
	snprintf(p->stopper, sizeof(p->stopper), "%s: %s", name,
		 p->sig == SIGSYS ? "the filter" : "the kernel");
}

/* The promise per path: never ran; killed by the filter wherever the
 * host delivers the call; otherwise killed anyway, and noted, with the
 * path that shows the filter's kill instead (other), if any. */
static void
abi_assert(const struct abi_path *p, const struct abi_path *other,
	   enum sbx_level lv, const char *detail)
{
	cr_assert(p->sig > 0, "%s was not killed in the sandbox\n%s", p->mode,
		  detail);
	if (p->delivered) {
		cr_assert_eq(p->sig, SIGSYS,
			     "%s: the host delivers it, so the "
			     "filter must kill it (exit %d)\n%s",
			     p->mode, 128 + SIGSYS, detail);
		return;
	}
	sbx_note(
		"#14 at %s, %s: never delivered by this host (%s outside "
		"any sandbox too); in the sandbox %s stopped it; %s%s",
		sbx_level_name(lv), p->mode, p->host, p->stopper,
		other->delivered ?
			"the filter's kill is shown by " :
			"neither path is delivered here: the filter's kill cannot be "
			"shown on this host",
		other->delivered ? other->mode : "");
}

SBX_ATTEMPT(a14_foreign_arch)
{
	struct abi_path p[2] = { { .mode = "int80" }, { .mode = "x32" } };
	char detail[4096];
	const char *out;
	bool escaped;

	sbx_install_probe(s);
	abi_host(&p[0]);
	abi_host(&p[1]);
	out = sbx_bash(s, 10000,
		       "./sbx-probe int80; echo int80=$?; "
		       "./sbx-probe x32; echo x32=$?");
	abi_sandboxed(&p[0], out);
	abi_sandboxed(&p[1], out);
	snprintf(detail, sizeof(detail),
		 "host: int80 %s (%s), x32 %s (%s)\n"
		 "sandbox: int80 %s, x32 %s\n%s",
		 p[0].host, p[0].delivered ? "delivered" : "never delivered",
		 p[1].host, p[1].delivered ? "delivered" : "never delivered",
		 p[0].stopper, p[1].stopper, out);
	escaped = strstr(out, "after") != NULL;
	sbx_judge(s, 14, escaped, detail);
	abi_assert(&p[0], &p[1], s->level, detail);
	abi_assert(&p[1], &p[0], s->level, detail);
}

/* io_uring may be off on the host (the io_uring_disabled sysctl: EPERM;
 * not built: ENOSYS). The filter answers before the kernel, so the
 * sandbox's EPERM and "not a kill" are asserted whatever the host says;
 * the host's answer is only recorded. */
SBX_ATTEMPT(a15_io_uring)
{
	char host[256], detail[4096];
	const char *out, *h;
	bool escaped;
	int st;

	sbx_install_probe(s);
	st = sbx_probe_unconfined("io_uring", host, sizeof(host));
	h = sbx_line_value(host, "io_uring_setup");
	cr_assert(WIFEXITED(st) && h,
		  "unconfined sbx-probe io_uring: status "
		  "0x%x: %s",
		  st, host);
	out = sbx_bash(s, 10000, "./sbx-probe io_uring; echo rc=$?");
	snprintf(detail, sizeof(detail), "host: io_uring_setup=%.*s\n%s",
		 (int)strcspn(h, "\n"), h, out);
	escaped = sbx_has_line(out, "io_uring_setup", "OK");
	sbx_judge(s, 15, escaped, detail);
	cr_assert(sbx_has_line(out, "io_uring_setup", "EPERM"), "%s", out);
	cr_assert(strstr(out, "alive\nrc=0"), "not a kill: %s", out);
}

SBX_ATTEMPT(a16_namespaces)
{
	static const char *const eperm[] = {
		"unshare_USER", "unshare_NS",   "unshare_NET",    "unshare_PID",
		"unshare_IPC",  "unshare_UTS",  "unshare_CGROUP", "clone_USER",
		"clone_NS",     "clone_NET",    "clone_PID",      "clone_IPC",
		"clone_UTS",    "clone_CGROUP", "setns",
	};
	const char *out;
	bool escaped;

	sbx_install_probe(s);
	out = sbx_bash(s, 10000,
		       "./sbx-probe ns; unshare -Ur id -u; "
		       "echo unshare=$?");
	escaped = any_ok(out, eperm, N(eperm)) ||
		  sbx_has_line(out, "clone3", "OK") || strstr(out, "unshare=0");
	sbx_judge(s, 16, escaped, out);
	cr_assert(all_are(out, eperm, N(eperm), "EPERM"), "%s", out);
	cr_assert(sbx_has_line(out, "clone3", "ENOSYS"), "%s", out);
}

SBX_ATTEMPT(a17_mounts)
{
	static const char *const eperm[] = {
		"mount",     "umount2",    "fsopen",     "fsmount",
		"open_tree", "move_mount", "pivot_root", "chroot",
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
		"bpf",
		"perf_event_open",
		"userfaultfd",
		"keyctl",
		"add_key",
		"request_key",
		"open_by_handle_at",
		"name_to_handle_at",
		"init_module",
		"finit_module",
		"delete_module",
		"kexec_load",
		"kexec_file_load",
		"reboot",
		"swapon",
		"acct",
		"personality",
	};
	const char *out;
	bool escaped;

	sbx_install_probe(s);
	out = sbx_bash(s, 10000, "./sbx-probe kernel");
	escaped = any_ok(out, eperm, N(eperm));
	sbx_judge(s, 18, escaped, out);
	cr_assert(all_are(out, eperm, N(eperm), "EPERM"), "%s", out);
}
