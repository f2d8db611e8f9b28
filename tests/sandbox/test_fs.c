/*
 * test_fs.c - escape attempts on the filesystem: #1-#6 and #24 of
 * docs/escape-suite.md (with the expected outcomes).
 *
 * "Outside" is the test's host/ directory (standing for the operator's
 * home: mode 0700, the suite user's), plus /tmp, /var/tmp and /etc of
 * the host. Every attempt checks on the host, unconfined, that nothing
 * there appeared or changed, and removes what an escape left behind.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attempt.h"
#include "supervisor/core/loop.h"

#define SECRET "sbx-outside-secret-" SBX_CANARY

/* host/secret holding SECRET; the path into buf. */
static void
put_secret(const struct sbx *s, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s/secret", s->host);
	sbx_put(buf, SECRET "\n", 0600);
}

static const struct sbx_res *
tool1(struct sbx *s, const char *tool, const char *key, const char *val)
{
	const struct sbx_res *r = sbx_tool(s, tool,
					   json_pack("{s:s}", key, val), 10000);

	cr_assert_not_null(r, "%s died: %s", tool, s->why);
	return r;
}

/* A file tool must refuse, and say nothing of the secret. */
static void
assert_refused(const struct sbx_res *r, const char *what)
{
	cr_assert(r->is_error, "%s was not refused: %.500s", what, r->content);
	cr_assert_null(strstr(r->content, SECRET), "%s leaked the secret",
		       what);
}

SBX_ATTEMPT(a01_read_outside)
{
	char secret[PATH_MAX];
	const char *out;
	bool escaped;

	put_secret(s, secret, sizeof(secret));
	assert_refused(tool1(s, "Read", "file_path", secret), "Read");
	assert_refused(tool1(s, "Read", "file_path", "/etc/shadow"),
		       "Read /etc/shadow");
	out = sbx_bash(s, 5000,
		       "cat %s; cat /etc/shadow; cat /etc/gshadow; "
		       "ls %s",
		       secret, s->host);
	escaped = strstr(out, SECRET) || strstr(out, "root:");
	sbx_judge(s, 1, escaped, out);
	/* Landlock or permissions refuse; in a minimal root (#31) the files
	 * are not there at all */
	if (!escaped)
		cr_assert(strstr(out, "Permission denied") ||
				  strstr(out, "No such file or directory"),
			  "%s", out);
	cr_assert_null(strstr(out, "root:"), "/etc/shadow read: %s", out);
}

SBX_ATTEMPT(a02_write_outside)
{
	char tmpf[PATH_MAX], vtmpf[PATH_MAX], homef[PATH_MAX];
	const char *out;
	bool escaped;

	snprintf(tmpf, sizeof(tmpf), "/tmp/%s-tmp", s->token);
	snprintf(vtmpf, sizeof(vtmpf), "/var/tmp/%s-vartmp", s->token);
	snprintf(homef, sizeof(homef), "%s/%s-home", s->host, s->token);
	out = sbx_bash(s, 5000,
		       "for f in %s %s %s /%s-root; do echo pwned > "
		       "$f; echo \"$f: $?\"; done; ls -d /tmp/%s-tmp",
		       tmpf, vtmpf, homef, s->token, s->token);
	escaped = sbx_exists(tmpf) || sbx_exists(vtmpf) || sbx_exists(homef);
	unlink(tmpf);
	unlink(vtmpf);
	unlink(homef);
	sbx_judge(s, 2, escaped, out);
	if (!escaped)
		cr_assert(strstr(out, "Permission denied") ||
				  strstr(out, "Read-only file system") ||
				  strstr(out, "No such file or directory"),
			  "%s", out);
	cr_assert_not(sbx_exists("/x"), "written into /");
}

SBX_ATTEMPT(a03_symlink_out)
{
	char secret[PATH_MAX], created[PATH_MAX];
	const struct sbx_res *r;
	char *after;
	bool escaped;

	put_secret(s, secret, sizeof(secret));
	snprintf(created, sizeof(created), "%s/created", s->host);
	sbx_bash(s, 5000,
		 "ln -s %s link && ln -s %s hostdir && ln -s "
		 "/etc/passwd pw",
		 secret, s->host);
	assert_refused(tool1(s, "Read", "file_path", "link"), "Read link");
	assert_refused(tool1(s, "Read", "file_path", "pw"), "Read pw");
	assert_refused(tool1(s, "Read", "file_path", "hostdir/secret"),
		       "Read hostdir/secret");
	r = sbx_tool(s, "Write",
		     json_pack("{s:s,s:s}", "file_path", "link", "content",
			       "pwned"),
		     5000);
	assert_refused(r, "Write link");
	r = sbx_tool(s, "Write",
		     json_pack("{s:s,s:s}", "file_path", "hostdir/created",
			       "content", "x"),
		     5000);
	assert_refused(r, "Write hostdir/created");
	r = sbx_tool(s, "Edit",
		     json_pack("{s:s,s:s,s:s}", "file_path", "link",
			       "old_string", "sbx", "new_string", "pwned"),
		     5000);
	assert_refused(r, "Edit link");
	r = sbx_tool(s, "MultiEdit",
		     json_pack("{s:s,s:[{s:s,s:s}]}", "file_path", "link",
			       "edits", "old_string", "sbx", "new_string",
			       "pwned"),
		     5000);
	assert_refused(r, "MultiEdit link");
	r = sbx_tool(s, "Grep",
		     json_pack("{s:s,s:s}", "pattern", "canary", "path",
			       "hostdir"),
		     5000);
	assert_refused(r, "Grep hostdir");
	/* a walk of the project never follows the links out */
	r = sbx_tool(s, "Grep",
		     json_pack("{s:s,s:s,s:s}", "pattern", "outside-secret",
			       "path", ".", "output_mode", "content"),
		     5000);
	cr_assert(r && strstr(r->content, SECRET) == NULL, "Grep .");
	r = tool1(s, "Glob", "pattern", "**/secret");
	cr_assert_null(strstr(r->content, "secret"), "%s", r->content);
	after = sbx_slurp(secret);
	escaped = !after || strcmp(after, SECRET "\n") != 0 ||
		  sbx_exists(created);
	sbx_judge(s, 3, escaped, after);
	free(after);
	/* the links are still links: nothing replaced them with files */
	cr_assert(strstr(sbx_bash(s, 5000, "stat -c %%F link"), "symbolic"));
}

SBX_ATTEMPT(a04_hardlink_in)
{
	char secret[PATH_MAX], link[PATH_MAX];
	const struct sbx_res *r;
	const char *out;
	char *after;
	bool escaped;

	put_secret(s, secret, sizeof(secret));
	out = sbx_bash(s, 5000,
		       "ln %s hl; ln /etc/passwd pw; ln /etc/shadow "
		       "sh; ls",
		       secret);
	snprintf(link, sizeof(link), "%s/hl", s->project);
	escaped = sbx_exists(link);
	if (escaped) {
		/* with the link, the file tools reach the outside file */
		r = tool1(s, "Read", "file_path", "hl");
		cr_assert(strstr(r->content, SECRET), "%s", r->content);
		(void)sbx_tool(s, "Write",
			       json_pack("{s:s,s:s}", "file_path", "hl",
					 "content", "pwned\n"),
			       5000);
		after = sbx_slurp(secret);
		cr_assert_str_eq(after, "pwned\n");
		free(after);
	}
	sbx_judge(s, 4, escaped, out);
	if (!escaped)
		cr_assert(strstr(out, "Invalid cross-device link") ||
				  strstr(out, "Operation not permitted") ||
				  strstr(out, "Permission denied"),
			  "%s", out);
	snprintf(link, sizeof(link), "%s/sh", s->project);
	cr_assert_not(sbx_exists(link), "/etc/shadow hard-linked");
}

/* Paths in tool inputs: ../ and absolute ones outside the project. */
SBX_ATTEMPT(a05_paths_in_inputs)
{
	char secret[PATH_MAX], via[PATH_MAX * 2], created[PATH_MAX];
	const char *bad[] = { "../host/secret",
			      via,
			      secret,
			      "/etc/passwd",
			      "sub/../../host/secret",
			      "/proc/self/environ" };
	const struct sbx_res *r;
	bool escaped = false;
	char *after;

	put_secret(s, secret, sizeof(secret));
	snprintf(via, sizeof(via), "%s/../host/secret", s->project);
	snprintf(created, sizeof(created), "%s/new", s->host);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = tool1(s, "Read", "file_path", bad[i]);
		escaped |= !r->is_error;
		assert_refused(r, bad[i]);
		r = sbx_tool(s, "Edit",
			     json_pack("{s:s,s:s,s:s}", "file_path", bad[i],
				       "old_string", "sbx", "new_string", "x"),
			     5000);
		assert_refused(r, bad[i]);
	}
	r = sbx_tool(s, "Write",
		     json_pack("{s:s,s:s}", "file_path", "../host/new",
			       "content", "x"),
		     5000);
	assert_refused(r, "Write ../host/new");
	r = sbx_tool(s, "Write",
		     json_pack("{s:s,s:s}", "file_path", created, "content",
			       "x"),
		     5000);
	assert_refused(r, "Write host/new");
	r = sbx_tool(s, "Glob",
		     json_pack("{s:s,s:s}", "pattern", "*", "path", ".."),
		     5000);
	assert_refused(r, "Glob ..");
	r = tool1(s, "Glob", "pattern", "../host/*");
	cr_assert_null(strstr(r->content, "secret"), "%s", r->content);
	r = sbx_tool(s, "Grep",
		     json_pack("{s:s,s:s}", "pattern", "canary", "path",
			       "/etc"),
		     5000);
	assert_refused(r, "Grep /etc");
	after = sbx_slurp(secret);
	escaped |= sbx_exists(created) || strcmp(after, SECRET "\n") != 0;
	free(after);
	sbx_judge(s, 5, escaped, NULL);
}

/*
 * A racer swaps real/ for a symlink to host/ and back as fast as
 * rename(2) allows, while the file tools work beneath real/.
 *
 * The racer is a background job: a plain call's leftovers die when it
 * returns, before they swap anything. It touches racing once it swapped,
 * and the window starts only then (Python alone took over 10 s to start
 * on a loaded host, tests/integration/harness.c); it runs until the stop
 * file the test makes after the window (60 s at most), and then touches
 * stopped: a racer that died during the window (an OSError) never does.
 * A Write may make a new real/ while ours is away (Write makes missing
 * parents), which blocks the next rename: the racer drops that one and
 * puts ours back.
 */
/* Start the racer as a background job (see a06) and wait until it has
 * swapped once. */
static void
start_racer(struct sbx *s)
{
	char cmd[2048];
	const struct sbx_res *r;
	const char *out;

	snprintf(cmd, sizeof(cmd),
		 "exec -a %s-racer python3 -c '\n"
		 "import os, shutil, time\n"
		 "end = time.time() + 60\n"
		 "r = os.rename\n"
		 "n = 0\n"
		 "while time.time() < end and not os.path.exists(\"stop\"):\n"
		 "    try:\n"
		 "        r(\"real\", \"tmpd\"); r(\"evil\", \"real\")\n"
		 "        r(\"real\", \"evil\"); r(\"tmpd\", \"real\")\n"
		 "    except OSError:\n"
		 "        shutil.rmtree(\"real\", True)\n"
		 "        try:\n"
		 "            r(\"tmpd\", \"real\")\n"
		 "        except OSError:\n"
		 "            pass\n"
		 "        continue\n"
		 "    n += 1\n"
		 "    if n == 1:\n"
		 "        open(\"racing\", \"w\").close()\n"
		 "open(\"stopped\", \"w\").write(str(n))\n"
		 "'",
		 s->token);
	r = sbx_tool(s, "Bash",
		     json_pack("{s:s,s:b}", "command", cmd, "run_in_background",
			       1),
		     10000);
	cr_assert_not_null(r, "the worker died: %s", s->why);
	cr_assert(!r->is_error, "%s", r->content);
	out = sbx_bash(s, 40000,
		       "for i in $(seq 600); do [ -e racing ] && break; "
		       "sleep 0.05; done; [ -e racing ] && echo racing");
	cr_assert(strstr(out, "racing"), "the racer never swapped: %s", out);
}

/* The file tools beneath real/ for 1.5 s while the racer swaps; whether
 * a Read saw the host's secret. *rounds counts the rounds, *failed the
 * Reads, Writes and Edits that failed (a swap seen, or a refusal). */
static bool
race_window(struct sbx *s, unsigned *rounds, unsigned *failed)
{
	static const char *const word[2] = { "inside", "INSIDE" };
	uint64_t until = loop_now_ms() + 1500;
	const struct sbx_res *r;
	bool escaped = false;

	while (loop_now_ms() < until) {
		r = tool1(s, "Read", "file_path", "real/secret");
		escaped |= strstr(r->content, SECRET) != NULL;
		*failed += r->is_error;
		r = sbx_tool(s, "Write",
			     json_pack("{s:s,s:s}", "file_path", "real/w",
				       "content", "x"),
			     5000);
		*failed += r->is_error;
		/* a real edit: the word's case flips each round */
		r = sbx_tool(s, "Edit",
			     json_pack("{s:s,s:s,s:s}", "file_path",
				       "real/secret", "old_string",
				       word[*rounds % 2], "new_string",
				       word[(*rounds + 1) % 2]),
			     5000);
		*failed += r->is_error;
		++*rounds;
	}
	return escaped;
}

SBX_ATTEMPT(a06_symlink_race)
{
	char dir[PATH_MAX], secret[PATH_MAX + 16], w[PATH_MAX + 16];
	const char *out;
	unsigned failed = 0, rounds = 0;
	bool escaped;
	char *after;

	snprintf(dir, sizeof(dir), "%s/dir", s->host);
	cr_assert_eq(mkdir(dir, 0700), 0);
	snprintf(secret, sizeof(secret), "%s/secret", dir);
	sbx_put(secret, SECRET "\n", 0600);
	out = sbx_bash(s, 5000,
		       "mkdir real && echo inside > real/secret && "
		       "ln -s %s evil && echo made",
		       dir);
	cr_assert(strstr(out, "made"), "%s", out);
	start_racer(s);
	escaped = race_window(s, &rounds, &failed);
	/* the racer saw the stop file alive: it swapped the whole window */
	out = sbx_bash(s, 20000,
		       "touch stop; for i in $(seq 200); do [ -e stopped ] && "
		       "break; sleep 0.05; done; echo stopped=$(cat stopped)");
	sbx_kill_procs(s->token);
	after = sbx_slurp(secret);
	snprintf(w, sizeof(w), "%s/w", dir);
	escaped |= sbx_exists(w) || strcmp(after, SECRET "\n") != 0;
	free(after);
	cr_log_info("race: %u rounds, %u calls failed, %s", rounds, failed,
		    out);
	cr_assert(strstr(out, "stopped=") && !strstr(out, "stopped=\n"),
		  "the racer did not last the window: %s", out);
	sbx_judge(s, 6, escaped, NULL);
}

/* File size: a write past the 1 GiB limit fails with EFBIG. */
SBX_ATTEMPT(a24_huge_file)
{
	char big[PATH_MAX];
	struct stat st;
	const char *out;
	bool escaped;

	out = sbx_bash(s, 20000,
		       "dd if=/dev/zero of=big bs=1M count=1 "
		       "seek=1100 2>&1; echo dd=$?; fallocate -l 2G big2; "
		       "echo fallocate=$?; head -c 2M /dev/zero >> big3; "
		       "echo small=$?");
	snprintf(big, sizeof(big), "%s/big", s->project);
	escaped = stat(big, &st) == 0 && st.st_size > (1 << 30);
	snprintf(big, sizeof(big), "%s/big2", s->project);
	escaped |= stat(big, &st) == 0 && st.st_size > (1 << 30);
	sbx_judge(s, 24, escaped, out);
	/* bash's children get SIGXFSZ (the worker's SIG_IGN is reset) */
	cr_assert(strstr(out, "File size limit exceeded") ||
			  strstr(out, "File too large"),
		  "%s", out);
	cr_assert(strstr(out, "small=0"), "a small write failed: %s", out);
}
