/*
 * test_root.c - escape attempt #31 of docs/escape-suite.md: see the host's
 * tree.
 *
 * Landlock decides what a worker may open, not what it may stat or list,
 * so the promise "nothing outside the project is there" is kept only by
 * the minimal root (supervisor/sandbox/spawn_root.h), which needs a mount
 * namespace. The suite plants, on the host: a 0600 file beside the
 * project (in the test's base directory, which the worker must traverse
 * to reach its project), a 0600 file in the host's /tmp, and, as root, a
 * 0600 file in /root and one in /var/tmp. The worker then stats them and
 * lists /run, /home, /var/log, /var/lib and /. The attempt escapes when
 * any stat or listing works. Contained, each directory must be absent
 * (ENOENT, not a refusal) and the listing of / (where Landlock does not
 * refuse it) hold only the minimal set: what the default policy grants,
 * /dev, /proc, /tmp and the first component of the project's path.
 */
#include <errno.h>
#include <limits.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attempt.h"

/* What / of a minimal root may hold under the default policy. */
static const char *const root_names[] = {
	"bin",  "dev", "etc", "lib", "lib64", "opt",    "proc",
	"sbin", "sys", "tmp", "usr", "lib32", "libx32",
};

struct planted {
	char beside[PATH_MAX], tmp[PATH_MAX], root[PATH_MAX], vartmp[PATH_MAX];
};

static void
plant(const struct sbx *s, struct planted *p)
{
	snprintf(p->beside, sizeof(p->beside), "%s/secret-%s", s->base,
		 s->token);
	snprintf(p->tmp, sizeof(p->tmp), "/tmp/%s-host", s->token);
	sbx_put(p->beside, "beside the project\n", 0600);
	sbx_put(p->tmp, "the host's /tmp\n", 0600);
	p->root[0] = p->vartmp[0] = 0;
	if (sbx_is_root()) {
		snprintf(p->root, sizeof(p->root), "/root/%s-root", s->token);
		snprintf(p->vartmp, sizeof(p->vartmp), "/var/tmp/%s-vartmp",
			 s->token);
		/* W_OK: root in a user namespace may not write the host's */
		if (access("/root", W_OK) == 0)
			sbx_put(p->root, "root's\n", 0600);
		else
			p->root[0] = 0;
		sbx_put(p->vartmp, "/var/tmp\n", 0600);
	}
}

static void
unplant(const struct planted *p)
{
	const char *const all[] = { p->beside, p->tmp, p->root, p->vartmp };

	for (size_t i = 0; i < 4; i++)
		if (all[i][0])
			unlink(all[i]);
}

/* Whether name is one of the minimal root's own, or first. */
static bool
minimal_name(const char *name, const char *first)
{
	bool ok = strcmp(name, first) == 0;

	for (size_t i = 0; i < sizeof(root_names) / sizeof(*root_names); i++)
		ok |= strcmp(name, root_names[i]) == 0;
	return ok;
}

/* The names "ls -A /" printed between the markers, checked against the
 * minimal set plus first (the project's first component). */
static bool
root_listing_minimal(const char *out, const char *first)
{
	const char *p = strstr(out, "<<root\n"), *end = strstr(out, "root>>");
	char name[NAME_MAX + 1];

	cr_assert(p && end && end > p, "no listing of /: %s", out);
	/* Landlock grants nothing on / itself: the listing is refused */
	if (strstr(p, "cannot open directory '/': Permission denied"))
		return true;
	for (p += 7; p < end;) {
		const char *nl = strchr(p, '\n');
		size_t n = (size_t)(nl - p);
		if (!nl || nl > end || n > NAME_MAX)
			return false;
		memcpy(name, p, n);
		name[n] = 0;
		if (!minimal_name(name, first)) {
			cr_log_info("/ holds %s", name);
			return false;
		}
		p = nl + 1;
	}
	return true;
}

/* The host's / entries (seen by the test, which can list /) that a
 * minimal root must not hold, space-separated into buf; odd names are
 * left out (they would need quoting). */
static void
host_extras(const char *first, char *buf, size_t cap)
{
	DIR *d = opendir("/");
	struct dirent *e;
	size_t len = 0;

	buf[0] = 0;
	cr_assert_not_null(d);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || minimal_name(e->d_name, first) ||
		    strspn(e->d_name,
			   "abcdefghijklmnopqrstuvwxyz"
			   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
			    strlen(e->d_name) ||
		    len + strlen(e->d_name) + 2 > cap)
			continue;
		len += (size_t)snprintf(buf + len, cap - len, "%s ", e->d_name);
	}
	closedir(d);
}

/* "stat_<what>=<exit status>" for each planted file, "hroot_<name>=absent"
 * or "=there" for each of the host's other / entries (stat is not
 * subject to Landlock, so this holds where the listing of / is refused).
 */
static const char *
look(struct sbx *s, const struct planted *p, const char *extras)
{
	return sbx_bash(
		s, 10000,
		"for f in beside:%s tmp:%s root:%s vartmp:%s; do "
		"  n=${f%%%%:*}; f=${f#*:}; [ -n \"$f\" ] || continue; "
		"  stat -c '%%n %%s %%U %%y' \"$f\"; echo stat_$n=$?; "
		"done; "
		"for d in /run /home /var/log /var/lib; do "
		"  ls -A $d >/dev/null; echo ls_${d##*/}=$?; done; "
		"for n in %s; do if stat /$n 2>&1 | grep -q "
		"'No such file or directory'; then echo hroot_$n=absent; "
		"else echo hroot_$n=there; fi; done; "
		"echo '<<root'; ls -A /; echo 'root>>'",
		p->beside, p->tmp, p->root, p->vartmp, extras);
}

/* Whether line name=0 is there (a stat or ls that worked). */
static bool
worked(const char *out, const char *name)
{
	return sbx_has_line(out, name, "0");
}

SBX_ATTEMPT(a31_host_tree)
{
	static const char *const dirs[] = { "ls_run", "ls_home", "ls_log",
					    "ls_lib" };
	static const char *const dir_paths[] = { "/run", "/home", "/var/log",
						 "/var/lib" };
	struct planted p;
	char first[NAME_MAX + 1], extras[4096], *tok, *save = NULL;
	const char *out, *slash;
	bool escaped = false;

	slash = strchr(s->project + 1, '/');
	cr_assert_not_null(slash);
	snprintf(first, sizeof(first), "%.*s", (int)(slash - s->project - 1),
		 s->project + 1);
	host_extras(first, extras, sizeof(extras));
	plant(s, &p);
	out = look(s, &p, extras);
	escaped = worked(out, "stat_beside") || worked(out, "stat_tmp") ||
		  worked(out, "stat_root") || worked(out, "stat_vartmp");
	for (size_t i = 0; i < 4; i++)
		if (sbx_exists(dir_paths[i]))
			escaped |= worked(out, dirs[i]);
	unplant(&p);
	sbx_judge(s, 31, escaped, out);
	if (escaped)
		return;
	/* contained: nothing of the host but the minimal set at / */
	cr_assert(root_listing_minimal(out, first), "%s", out);
	for (tok = strtok_r(extras, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		char line[NAME_MAX + 16];

		snprintf(line, sizeof(line), "hroot_%s", tok);
		cr_assert(sbx_has_line(out, line, "absent"),
			  "/%s of the host is there: %s", tok, out);
	}
	cr_assert_null(strstr(out, "beside the project"), "%s", out);
	/* not refused: absent */
	for (size_t i = 0; i < 4; i++) {
		char line[128];

		snprintf(line, sizeof(line),
			 "cannot access '%s': No such file or directory",
			 dir_paths[i]);
		cr_assert(strstr(out, line), "%s is there: %s", dir_paths[i],
			  out);
	}
}
