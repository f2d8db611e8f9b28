/*
 * test_disk.c - full and read-only disks (issue 15, "Crashes, full
 * disks, odd answers"; docs/reliability.md, "Full and read-only disks").
 *
 * Through the real binary, the real sandbox and the fake API
 * (scenarios/disk.json):
 *
 *   tmpfs_root_fills    the sandbox root is a 4 MiB tmpfs. (a) The
 *                       agent's project is a 256 KiB tmpfs of its own
 *                       that the agent fills: its Bash command fails
 *                       with ENOSPC (a non-zero exit, as any failing
 *                       command: docs/tools.md) and its Write is a tool
 *                       error (is_error), both seen by the agent (the
 *                       fake checks the requests); it frees the space and
 *                       the run completes.
 *                       (b) An agent fills the whole root and leaves it
 *                       full: gao-dev's own writes fail, exit 4, the
 *                       messages name each file, no results file nor a
 *                       part of one, and `runs list` shows `unsaved`.
 *                       Needs to mount (root; a private mount namespace
 *                       of the test's own, so nothing shows on the host):
 *                       skipped with the reason elsewhere.
 *   injected_*          errors a tmpfs cannot give on demand, from the
 *                       test build's --test-fault switch (wfault.h):
 *                       EROFS on the events log, EDQUOT on a transcript,
 *                       EIO on an audit log (exit 4, the file named, the
 *                       results say write_failed); and of two runs of
 *                       one invocation the first cannot write its results
 *                       (EDQUOT: `unsaved`, no part of a file) while the
 *                       second completes unaffected.
 *   *recording*         a --record line that cannot be written: on a
 *                       16 KiB tmpfs (root; a real ENOSPC mid-line) and
 *                       injected (EIO): recording_failed, exit 4, the
 *                       recording said incomplete, whole lines only.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "harness_bench.h"
#include "harness_replay.h"

#define SCENARIO "tests/integration/scenarios/disk.json"

/* The names in dir (not . or ..), at most 8, into names; the count. */
static int
names_in(const char *dir, char names[8][256])
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.' && n < 8)
			snprintf(names[n++], 256, "%s", e->d_name);
	if (d)
		closedir(d);
	return n;
}

/* The run directory under t->root/runs other than skip (NULL: none). */
static void
run_other_than(const struct hb *t, const char *skip, char *id, size_t cap)
{
	char dir[600], names[8][256];
	int n;

	snprintf(dir, sizeof(dir), "%s/runs", t->root);
	n = names_in(dir, names);
	id[0] = 0;
	for (int i = 0; i < n; i++)
		if (!skip || strcmp(names[i], skip) != 0) {
			size_t k = strnlen(names[i], cap - 1);

			memcpy(id, names[i], k);
			id[k] = 0;
		}
	cr_assert_neq(id[0], 0, "no run under %s", dir);
}

/* `runs list --json` of t->root: the line of run id (caller's). */
static json_t *
listed(const struct hb *t, const char *id)
{
	const char *args[] = { "runs",           "list",  "--json",
			       "--sandbox-root", t->root, NULL };
	struct h_out o = { 0 };
	json_t *found = NULL;

	h_run(args, NULL, t->dir, 30, &o);
	cr_assert_eq(o.code, 0, "runs list: %d\n%s", o.code, o.err);
	for (char *p = o.out, *nl; p && *p; p = nl ? nl + 1 : NULL) {
		json_t *j;

		nl = strchr(p, '\n');
		j = json_loadb(p, nl ? (size_t)(nl - p) : strlen(p), 0, NULL);
		cr_assert_not_null(j, "not JSON: %.200s", p);
		if (strcmp(hb_str(j, "run_id"), id) == 0 && !found)
			found = j;
		else
			json_decref(j);
	}
	cr_assert_not_null(found, "%s is not listed:\n%s", id, o.out);
	h_out_free(&o);
	return found;
}

/* gao-dev's stdout or stderr says "cannot write PATH: WHY" (why NULL:
 * "cannot write PATH..."). */
static void
assert_named(const struct hb *t, const char *path, const char *why)
{
	char want[1200];

	snprintf(want, sizeof(want), "cannot write %s%s%s", path,
		 why ? ": " : "", why ? why : "");
	cr_assert(strstr(t->out.out, want) || strstr(t->out.err, want),
		  "no \"%s\"; stdout:\n%s\nstderr:\n%s", want, t->out.out,
		  t->out.err);
}

/* Each line of path is a whole JSON object (no part of a line). */
static void
assert_whole_lines(const char *path)
{
	char *text = h_slurp(path, NULL);

	cr_assert_not_null(text, "%s", path);
	for (char *p = text, *nl; *p; p = nl + 1) {
		json_t *j;

		nl = strchr(p, '\n');
		cr_assert_not_null(nl, "%s ends in a part of a line", path);
		j = json_loadb(p, (size_t)(nl - p), 0, NULL);
		cr_assert(json_is_object(j), "%s: not a JSON line: %.100s",
			  path, p);
		json_decref(j);
	}
	free(text);
}

/* A tmpfs of size at dir (made 0755); false when it cannot be mounted. */
static bool
small_fs(const char *dir, const char *size)
{
	char opts[64];

	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return false;
	snprintf(opts, sizeof(opts), "size=%s,mode=0755", size);
	return mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, opts) == 0;
}

/*
 * A mount namespace of this test process only (its mounts gone with it),
 * or the test skipped with the reason: mounting a tmpfs needs root.
 */
static void
private_mounts_or_skip(void)
{
	if (geteuid() != 0)
		cr_skip_test("mounting a tmpfs needs root (CI runs this suite "
			     "as root); the injected failures run as every "
			     "user");
	if (unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		cr_skip_test("no private mount namespace here: %s",
			     strerror(errno));
}

Test(disk, tmpfs_root_fills, .timeout = 120)
{
	struct hb t;
	char cfg[600], path[1400], id1[256], id2[256], names[8][256];
	json_t *r, *l;

	private_mounts_or_skip();
	hb_start(&t, SCENARIO);
	snprintf(path, sizeof(path), "%s/projects", t.root);
	if (!small_fs(t.root, "4m") || !small_fs(path, "256k"))
		cr_skip_test("cannot mount a tmpfs here: %s", strerror(errno));

	/* (a) the agent fills its own file system: tool errors it sees */
	hb_write_config(&t, "fill-project", "Fill Project", cfg, sizeof(cfg));
	const char *a1[] = { cfg, NULL };
	hb_run(&t, a1, 60);
	cr_assert_eq(t.out.code, 0, "exit %d\n%s\n%s", t.out.code, t.out.out,
		     t.out.err);
	r = hb_results(&t);
	cr_assert_str_eq(hb_str(r, "status"), "completed");
	snprintf(id1, sizeof(id1), "%s", hb_str(r, "run_id"));
	json_decref(r);
	hb_assert_fake_ok(&t, 4); /* each expectation on the tool errors */
	cr_assert_eq(umount2(path, MNT_DETACH), 0);

	/* (b) the agent fills the whole root and leaves it full */
	hb_write_config(&t, "fill-root", "Fill Root", cfg, sizeof(cfg));
	const char *a2[] = { cfg, NULL };
	hb_run(&t, a2, 60);
	cr_assert_eq(t.out.code, 4, "exit %d\n%s\n%s", t.out.code, t.out.out,
		     t.out.err);
	run_other_than(&t, id1, id2, sizeof(id2));
	snprintf(path, sizeof(path), "%s/results/%s.json", t.root, id2);
	assert_named(&t, path, strerror(ENOSPC));
	snprintf(path, sizeof(path), "%s/runs/%s/", t.root, id2);
	assert_named(&t, path, NULL); /* a record of the run's own */
	/* no results file of the run, nor a part of one */
	snprintf(path, sizeof(path), "%s/results", t.root);
	cr_assert_eq(names_in(path, names), 1, "results/: %s, %s", names[0],
		     names[1]);
	cr_assert(strncmp(names[0], id1, strlen(id1)) == 0, "%s", names[0]);
	snprintf(path, sizeof(path), "%s/runs/%s/events.jsonl", t.root, id2);
	assert_whole_lines(path);
	l = listed(&t, id2);
	cr_assert_str_eq(hb_str(l, "status"), "unsaved");
	cr_assert_eq(hb_int(l, "exit_code"), 4);
	cr_assert(strstr(hb_str(l, "error"), strerror(ENOSPC)), "%s",
		  hb_str(l, "error"));
	json_decref(l);
	l = listed(&t, id1);
	cr_assert_str_eq(hb_str(l, "status"), "completed");
	json_decref(l);
	cr_assert_eq(umount2(t.root, MNT_DETACH), 0);
	hb_finish(&t);
}

/*
 * A recording whose line cannot be written: the run ends as an
 * infrastructure error (recording_failed, exit 4), the invocation says the
 * recording is incomplete, the manifest says so, and the conversation
 * file holds whole lines only.
 */
static void
recording_lost(struct hb *t, const char *rec, const char *why)
{
	char path[1400], want[1400];
	json_t *r, *m, *files;
	size_t i;
	json_t *f;

	cr_assert_eq(t->out.code, 4, "exit %d\n%s\n%s", t->out.code, t->out.out,
		     t->out.err);
	r = hb_results(t);
	cr_assert_str_eq(hb_str(r, "status"), "error");
	cr_assert_str_eq(hb_str(r, "stop_reason"), "recording_failed");
	json_decref(r);
	snprintf(want, sizeof(want), "the recording %s is incomplete", rec);
	cr_assert(strstr(t->out.err, want), "no \"%s\":\n%s", want, t->out.err);
	cr_assert(strstr(t->out.err, why), "no \"%s\":\n%s", why, t->out.err);
	snprintf(path, sizeof(path), "%s/recording.json", rec);
	m = json_load_file(path, 0, NULL);
	cr_assert(json_is_object(m), "%s", path);
	cr_assert(json_is_false(json_object_get(m, "complete")), "%s", path);
	json_decref(m);
	files = json_array();
	hr_jsonl_files(rec, files);
	json_array_foreach(files, i, f)
		assert_whole_lines(json_string_value(f));
	json_decref(files);
}

/*
 * The recording's file system fills: a 16 KiB tmpfs holds the manifest
 * and little more, so a call's line is written in part (a real ENOSPC,
 * not an injected one) and must be cut off again.
 */
Test(disk, tmpfs_recording_fills, .timeout = 120)
{
	struct hb t;
	char cfg[600], rec[600];

	private_mounts_or_skip();
	hb_start(&t, SCENARIO);
	snprintf(rec, sizeof(rec), "%s/recfs", t.dir);
	if (!small_fs(rec, "16k"))
		cr_skip_test("cannot mount a tmpfs here: %s", strerror(errno));
	hb_write_config(&t, "quick", "Quick Step", cfg, sizeof(cfg));
	snprintf(rec, sizeof(rec), "%s/recfs/rec", t.dir);
	const char *args[] = { cfg, "--record", rec, NULL };
	hb_run(&t, args, 60);
	recording_lost(&t, rec, strerror(ENOSPC));
	snprintf(rec, sizeof(rec), "%s/recfs", t.dir);
	cr_assert_eq(umount2(rec, MNT_DETACH), 0);
	hb_finish(&t);
}

#if GAO_DEV_TEST_SWITCHES /* --test-fault */
/* One run of the quick step with --test-fault fault in root t->dir/sub:
 * exit 4, write_failed, the file named in the results and the output. */
static void
injected(struct hb *t, const char *sub, const char *fault, const char *suffix,
	 int err)
{
	char cfg[600], id[256], want[1400];
	json_t *r, *e;
	size_t i;
	bool named = false;

	snprintf(t->root, sizeof(t->root), "%s/%s", t->dir, sub);
	hb_write_config(t, "quick", "Quick Step", cfg, sizeof(cfg));
	const char *args[] = { cfg, "--test-fault", fault, NULL };
	hb_run(t, args, 60);
	cr_assert_eq(t->out.code, 4, "%s: exit %d\n%s", fault, t->out.code,
		     t->out.err);
	r = hb_results(t);
	cr_assert_str_eq(hb_str(r, "status"), "error", "%s", fault);
	cr_assert_str_eq(hb_str(r, "stop_reason"), "write_failed", "%s", fault);
	snprintf(id, sizeof(id), "%s", hb_str(r, "run_id"));
	snprintf(want, sizeof(want), "cannot write %s/runs/%s/", t->root, id);
	json_array_foreach(json_object_get(r, "errors"), i, e) {
		const char *s = json_string_value(e);
		const char *colon = s ? strstr(s, ": ") : NULL;

		named |= colon && strncmp(s, want, strlen(want)) == 0 &&
			 (size_t)(colon - s) > strlen(suffix) &&
			 strncmp(colon - strlen(suffix), suffix,
				 strlen(suffix)) == 0 &&
			 strcmp(colon + 2, strerror(err)) == 0;
	}
	cr_assert(named, "%s: no error names the file: %s", fault,
		  json_dumps(json_object_get(r, "errors"), 0));
	cr_assert(strstr(t->out.out, want), "%s: the summary:\n%s", fault,
		  t->out.out);
	snprintf(want, sizeof(want), "%s/runs/%s/events.jsonl", t->root, id);
	assert_whole_lines(want);
	json_decref(r);
}

Test(disk, injected_erofs_edquot_eio, .timeout = 90)
{
	struct hb t;

	hb_start(&t, SCENARIO);
	injected(&t, "ro-events", "events:3:EROFS", "/events.jsonl", EROFS);
	injected(&t, "dq-transcript", "transcript:1:EDQUOT",
		 ".transcript.jsonl", EDQUOT);
	injected(&t, "eio-audit", "audit:4:EIO", ".audit.jsonl", EIO);
	hb_finish(&t);
}

Test(disk, injected_recording_write_fails, .timeout = 90)
{
	struct hb t;
	char cfg[600], rec[600];

	hb_start(&t, SCENARIO);
	hb_write_config(&t, "quick", "Quick Step", cfg, sizeof(cfg));
	snprintf(rec, sizeof(rec), "%s/rec", t.dir);
	const char *args[] = {
		cfg, "--record", rec, "--test-fault", "recording:2:EIO", NULL
	};
	hb_run(&t, args, 60);
	recording_lost(&t, rec, strerror(EIO));
	hb_finish(&t);
}

Test(disk, injected_one_of_two_runs, .timeout = 90)
{
	struct hb t;
	char cfg[600], path[1400], names[8][256], id1[256], id2[256];
	json_t *r, *l;
	int n;

	hb_start(&t, SCENARIO);
	hb_write_config(&t, "quick", "Quick Step", cfg, sizeof(cfg));
	const char *args[] = { cfg,
			       "--repeat",
			       "2",
			       "--jobs",
			       "1",
			       "--test-fault",
			       "results:1:EDQUOT",
			       NULL };
	hb_run(&t, args, 60);
	cr_assert_eq(t.out.code, 4, "exit %d\n%s", t.out.code, t.out.err);
	/* the second run: its results whole, completed */
	r = hb_results(&t);
	cr_assert_str_eq(hb_str(r, "status"), "completed");
	cr_assert_eq(hb_int(r, "exit_code"), 0);
	snprintf(id2, sizeof(id2), "%s", hb_str(r, "run_id"));
	json_decref(r);
	/* the first: no file, no part of one; named; unsaved */
	snprintf(path, sizeof(path), "%s/results", t.root);
	n = names_in(path, names);
	cr_assert_eq(n, 1, "results/ holds %d files: %s, %s", n, names[0],
		     names[1]);
	run_other_than(&t, id2, id1, sizeof(id1));
	snprintf(path, sizeof(path), "%s/results/%s.json", t.root, id1);
	assert_named(&t, path, strerror(EDQUOT));
	l = listed(&t, id1);
	cr_assert_str_eq(hb_str(l, "status"), "unsaved");
	cr_assert_eq(hb_int(l, "exit_code"), 4);
	cr_assert(strstr(hb_str(l, "error"), strerror(EDQUOT)), "%s",
		  hb_str(l, "error"));
	json_decref(l);
	l = listed(&t, id2);
	cr_assert_str_eq(hb_str(l, "status"), "completed");
	json_decref(l);
	hb_finish(&t);
}
#endif
