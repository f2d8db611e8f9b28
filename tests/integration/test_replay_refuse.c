/*
 * test_replay_refuse.c - what `--record` and `--replay` refuse, through
 * the real gao-dev against the fake API (the reproduction itself:
 * test_replay.c).
 *
 * Covered:
 * - fail closed: another initial_prompt, --model, phase, agent or a
 *   repeat the recording lacks: exit 4, replay_mismatch, the error names
 *   unit, repeat, phase, agent, turn and what differs, while a live fake
 *   behind ANTHROPIC_BASE_URL receives nothing;
 * - bad recordings: manifests (missing directory or file, a file for a
 *   directory, another format, not JSON, not an object, a symlink): exit
 *   2 naming --replay and the path; conversation lines (cut, not JSON,
 *   fields of the wrong type, wrong turn or unit, a header the format
 *   never keeps, a bad body): exit 4 naming FILE:LINE and the field;
 *   --record into a non-empty directory, a file or a symlink, --record
 *   with --replay, two configs with one benchmark name: exit 2, nothing
 *   written, nothing sent;
 * - the key (a sk-ant shaped one) is in no file of the recording, the
 *   results or the logs, and no request header is recorded.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness_replay.h"

/* ---- 3. fail closed --------------------------------------------------- */

/* beta recorded into t->dir/rec; the fake stopped. */
static void
record_beta(struct hb *t, const char *scenario, const char *key)
{
	const char *args[] = { "beta.yaml", "--record", NULL, NULL };
	char cfg[512], rec[600];

	hb_start_key(t, scenario, key);
	hb_write(t, "beta.yaml", BETA, cfg, sizeof(cfg));
	snprintf(rec, sizeof(rec), "%s/rec", t->dir);
	args[2] = rec;
	hb_run(t, args, 120);
	cr_assert_eq(t->out.code, 1, "record: exit %d: %s", t->out.code,
		     t->out.err);
	hr_stop_fake(t);
}

struct mismatch {
	const char *config; /* beta.yaml's text */
	const char *opt[4]; /* more options */
	const char *names;  /* the conversation named */
	const char *differs;
};

Test(replay, a_changed_request_fails_closed_and_sends_nothing)
{
	static const struct mismatch cases[] = {
		{ "name: beta\ndescription: x\ninitial_prompt: do it twice\n"
		  "workflow_phases:\n  - phase_name: Broken Step\n"
		  "    agent: Amelia\n",
		  { NULL },
		  "unit beta, repeat 0, phase 1 (Broken Step), agent Amelia, "
		  "turn 1",
		  "message 0 (user), block 0 (text) differs" },
		{ BETA,
		  { "--model", "claude-haiku-5-5", NULL },
		  "unit beta, repeat 0, phase 1 (Broken Step), agent Amelia, "
		  "turn 1",
		  "the request's \"model\" differs" },
		{ BETA,
		  { "--repeat", "2", NULL },
		  "unit beta, repeat 1, phase 1 (Broken Step), agent Amelia, "
		  "turn 1",
		  "the recording has no such conversation" },
		{ "name: beta\ndescription: x\ninitial_prompt: do it\n"
		  "workflow_phases:\n  - phase_name: Other Step\n"
		  "    agent: Amelia\n",
		  { NULL },
		  "unit beta, repeat 0, phase 1 (Other Step), agent Amelia, "
		  "turn 1",
		  "the recording has no such conversation" },
		{ "name: beta\ndescription: x\ninitial_prompt: do it\n"
		  "workflow_phases:\n  - phase_name: Broken Step\n"
		  "    agent: Murat\n",
		  { NULL },
		  "unit beta, repeat 0, phase 1 (Broken Step), agent Murat, "
		  "turn 1",
		  "the recording has no such conversation" },
	};
	struct hb t;
	struct h_fake live;
	char sc[512], ldir[600], rec[600], cfg[512];

	record_beta(&t, SCEN, H_TEST_KEY);
	snprintf(rec, sizeof(rec), "%s/rec", t.dir);
	/* a live fake behind ANTHROPIC_BASE_URL: it must hear nothing */
	snprintf(ldir, sizeof(ldir), "%s/live", t.dir);
	cr_assert_eq(mkdir(ldir, 0700), 0);
	h_src(SCEN, sc, sizeof(sc));
	h_fake_start(&live, sc, t.key, ldir);
	for (size_t c = 0; c < sizeof(cases) / sizeof(*cases); c++) {
		const char *args[12] = { "beta.yaml", "--replay", rec };
		char root[600];
		size_t n = 3;
		json_t *r;
		const char *err;

		hb_write(&t, "beta.yaml", cases[c].config, cfg, sizeof(cfg));
		for (size_t k = 0; cases[c].opt[k]; k++)
			args[n++] = cases[c].opt[k];
		args[n] = NULL;
		snprintf(root, sizeof(root), "%s/sb%zu", t.dir, c);
		hr_run_nokey(&t, root, live.port, args);
		cr_assert_eq(t.out.code, 4, "case %zu: exit %d: %s", c,
			     t.out.code, t.out.err);
		snprintf(t.root, sizeof(t.root), "%.400s", root);
		if (cases[c].opt[0] && !strcmp(cases[c].opt[0], "--repeat")) {
			json_t *all = hb_all_results(&t), *x;
			size_t i;

			cr_assert_eq(json_array_size(all), 2);
			r = NULL;
			json_array_foreach(all, i, x)
				if (!strcmp(hb_str(x, "status"), "error"))
					r = json_incref(x);
			json_decref(all);
			cr_assert_not_null(r, "case %zu: no run failed", c);
		} else {
			r = hb_results(&t);
		}
		hb_assert_run(&t, r, 4, "error", "replay_mismatch");
		cr_assert_str_eq(hb_str(hb_phase(r, 0), "stop_reason"),
				 "replay_mismatch");
		err = json_string_value(
			json_array_get(json_object_get(r, "errors"), 0));
		cr_assert_not_null(err, "case %zu: no error", c);
		cr_assert_not_null(strstr(err, cases[c].names), "case %zu: %s",
				   c, err);
		cr_assert_not_null(strstr(err, cases[c].differs),
				   "case %zu: %s", c, err);
		cr_assert_not_null(strstr(t.out.out, cases[c].names),
				   "case %zu: %s", c, t.out.out);
		json_decref(r);
	}
	/* the fake was there all along and heard no request */
	cr_assert(hr_port_open(live.port));
	char *heard = h_slurp(live.record, NULL);

	cr_assert(!heard || !heard[0], "the live fake got: %.400s", heard);
	free(heard);
	h_fake_stop(&live);
	hb_finish(&t);
}

/* ---- 4. bad recordings ------------------------------------------------ */

static void
write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	cr_assert_geq(fputs(text, f), 0);
	cr_assert_eq(fclose(f), 0);
}

static void
assert_nothing_ran(const struct hb *t, const char *root)
{
	char p[700];

	snprintf(p, sizeof(p), "%s/results", root);
	cr_assert_neq(access(p, F_OK), 0, "%s exists", p);
	cr_assert_eq(hr_fake_posts(t->fake.record), 0);
}

Test(replay, bad_manifests_are_refused_with_exit_2)
{
	static const char *const manifests[] = {
		NULL, /* none */
		"{\"format\": 2, \"gao_dev_version\": \"0.1.0\"}\n",
		"{\"format\": \"1\"}\n",
		"{\"format\": 1.0}\n",
		"{\"format\": 1\n",
		"[1]\n",
		"",
		"{\"format\": 1, \"format\": 1}\n",
	};
	struct hb t;
	char cfg[512], dir[600], path[700], root[600];

	hb_start(&t, SCEN);
	hb_write(&t, "beta.yaml", BETA, cfg, sizeof(cfg));
	snprintf(root, sizeof(root), "%s/sb", t.dir);
	for (size_t i = 0; i < sizeof(manifests) / sizeof(*manifests) + 5;
	     i++) {
		const char *args[] = { "beta.yaml", "--replay", dir, NULL };

		snprintf(dir, sizeof(dir), "%s/rec%zu", t.dir, i);
		if (i < sizeof(manifests) / sizeof(*manifests)) {
			cr_assert_eq(mkdir(dir, 0700), 0);
			snprintf(path, sizeof(path), "%s/recording.json", dir);
			if (manifests[i])
				write_text(path, manifests[i]);
		} else if (i == sizeof(manifests) / sizeof(*manifests)) {
			/* a missing directory */
		} else if (i == sizeof(manifests) / sizeof(*manifests) + 1) {
			write_text(dir, "{\"format\": 1}\n"); /* a file */
		} else if (i == sizeof(manifests) / sizeof(*manifests) + 2) {
			/* a symlink to a good manifest (never followed) */
			char good[700];

			cr_assert_eq(mkdir(dir, 0700), 0);
			snprintf(good, sizeof(good), "%s/good.json", t.dir);
			write_text(good, "{\"format\": 1}\n");
			snprintf(path, sizeof(path), "%s/recording.json", dir);
			cr_assert_eq(symlink(good, path), 0);
		} else if (i == sizeof(manifests) / sizeof(*manifests) + 3) {
			/* a directory for recording.json */
			cr_assert_eq(mkdir(dir, 0700), 0);
			snprintf(path, sizeof(path), "%s/recording.json", dir);
			cr_assert_eq(mkdir(path, 0700), 0);
		} else {
			/* a FIFO (opening it to read would wait for ever) */
			cr_assert_eq(mkdir(dir, 0700), 0);
			snprintf(path, sizeof(path), "%s/recording.json", dir);
			cr_assert_eq(mkfifo(path, 0600), 0);
		}
		hr_run_nokey(&t, root, t.fake.port, args);
		cr_assert_eq(t.out.code, 2, "case %zu: exit %d: %s", i,
			     t.out.code, t.out.err);
		cr_assert_not_null(strstr(t.out.err, "--replay "),
				   "case %zu: %s", i, t.out.err);
		cr_assert_not_null(strstr(t.out.err, dir), "case %zu: %s", i,
				   t.out.err);
		assert_nothing_ran(&t, root);
	}
	hb_finish(&t);
}

/* The recording's only conversation file (beta has one phase). */
static void
only_conversation(const char *rec, char *buf, size_t cap)
{
	json_t *paths = json_array();

	hr_jsonl_files(rec, paths);
	cr_assert_eq(json_array_size(paths), 1);
	snprintf(buf, cap, "%s", json_string_value(json_array_get(paths, 0)));
	json_decref(paths);
}

/* The lines of a file (each with its newline), as strings. */
static json_t *
raw_lines(const char *path)
{
	json_t *out = json_array();
	char *c = h_slurp(path, NULL), *p, *nl;

	cr_assert_not_null(c, "%s", path);
	for (p = c; (nl = strchr(p, '\n')); p = nl + 1)
		json_array_append_new(out,
				      json_stringn(p, (size_t)(nl - p + 1)));
	free(c);
	return out;
}

enum edit {
	E_CUT_FIRST,
	E_CUT_SECOND,
	E_NOT_JSON,
	E_TURN_STRING,
	E_STATUS_STRING,
	E_TURN_WRONG,
	E_SWAPPED,
	E_UNIT_WRONG,
	E_HEADER_KEY,
	E_BODY_HEX_ODD,
	E_NO_ATTEMPTS,
	E_KEEP_TOO_BIG,
	N_EDITS,
};

/* The line edit makes wrong (1-based) and a word the error must have. */
static const struct {
	unsigned line;
	const char *says;
} edits[N_EDITS] = {
	[E_CUT_FIRST] = { 1, "no newline (cut)" },
	[E_CUT_SECOND] = { 2, "no newline (cut)" },
	[E_NOT_JSON] = { 1, "not a JSON object" },
	[E_TURN_STRING] = { 1, "\"turn\"" },
	[E_STATUS_STRING] = { 1, "\"attempts\"[0].\"status\"" },
	[E_TURN_WRONG] = { 2, "\"turn\"" },
	[E_SWAPPED] = { 1, "\"turn\"" },
	[E_UNIT_WRONG] = { 1, "\"unit\"" },
	[E_HEADER_KEY] = { 1, "\"attempts\"[0].\"headers\"" },
	[E_BODY_HEX_ODD] = { 2, "\"attempts\"[0].\"body\"" },
	[E_NO_ATTEMPTS] = { 1, "\"attempts\"" },
	[E_KEEP_TOO_BIG] = { 2, "\"keep\"" },
};

static char *
dump_line(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS), *l;

	cr_assert_not_null(s);
	cr_assert_geq(asprintf(&l, "%s\n", s), 0);
	free(s);
	return l;
}

/* Write the two lines of file, changed by e. */
static void
apply_edit(const char *file, const json_t *lines, enum edit e)
{
	const char *l1 = json_string_value(json_array_get(lines, 0));
	const char *l2 = json_string_value(json_array_get(lines, 1));
	json_t *o1 = json_loads(l1, 0, NULL), *o2 = json_loads(l2, 0, NULL);
	json_t *a1 = json_array_get(json_object_get(o1, "attempts"), 0);
	json_t *a2 = json_array_get(json_object_get(o2, "attempts"), 0);
	char *s1 = NULL, *s2 = NULL, *text = NULL;

	cr_assert(o1 && o2 && a1 && a2);
	switch (e) {
	case E_CUT_FIRST:
		cr_assert_geq(asprintf(&text, "%.*s", (int)strlen(l1) / 2, l1),
			      0);
		break;
	case E_CUT_SECOND:
		cr_assert_geq(asprintf(&text, "%s%.*s", l1, (int)strlen(l2) / 2,
				       l2),
			      0);
		break;
	case E_NOT_JSON:
		cr_assert_geq(asprintf(&text, "garbage\n%s", l2), 0);
		break;
	case E_TURN_STRING:
		json_object_set_new(o1, "turn", json_string("1"));
		break;
	case E_STATUS_STRING:
		json_object_set_new(a1, "status", json_string("200"));
		break;
	case E_TURN_WRONG:
		json_object_set_new(o2, "turn", json_integer(5));
		break;
	case E_SWAPPED:
		cr_assert_geq(asprintf(&text, "%s%s", l2, l1), 0);
		break;
	case E_UNIT_WRONG:
		json_object_set_new(o1, "unit", json_string("alpha"));
		break;
	case E_HEADER_KEY:
		json_array_append_new(json_object_get(a1, "headers"),
				      json_string("x-api-key: sk-ant-x"));
		break;
	case E_BODY_HEX_ODD:
		json_object_del(a2, "body");
		json_object_set_new(a2, "body_hex", json_string("abc"));
		break;
	case E_NO_ATTEMPTS:
		json_object_set_new(o1, "attempts", json_array());
		break;
	case E_KEEP_TOO_BIG:
		json_object_set_new(json_object_get(o2, "request"), "keep",
				    json_integer(99));
		break;
	default:
		break;
	}
	if (!text) {
		s1 = dump_line(o1);
		s2 = dump_line(o2);
		cr_assert_geq(asprintf(&text, "%s%s", s1, s2), 0);
	}
	write_text(file, text);
	free(text);
	free(s1);
	free(s2);
	json_decref(o1);
	json_decref(o2);
}

/* The conversation file of a copy of rec is a FIFO: a miss that says
 * so, at once (opening it to read would wait for a writer for ever). */
static void
fifo_conversation(struct hb *t, const char *rec, const char *rel)
{
	char copy[700], cfile[PATH_MAX + 800], root[700];
	const char *args[] = { "beta.yaml", "--replay", copy, NULL };
	int st;
	json_t *r;

	snprintf(copy, sizeof(copy), "%s/copy-fifo", t->dir);
	const char *cp[] = { "cp", "-a", rec, copy, NULL };
	free(hb_capture(cp, &st));
	cr_assert_eq(st, 0);
	snprintf(cfile, sizeof(cfile), "%s%s", copy, rel);
	cr_assert_eq(unlink(cfile), 0);
	cr_assert_eq(mkfifo(cfile, 0600), 0);
	snprintf(root, sizeof(root), "%s/sb-fifo", t->dir);
	hr_run_nokey(t, root, t->fake.port, args);
	cr_assert_eq(t->out.code, 4, "exit %d: %s", t->out.code, t->out.err);
	snprintf(t->root, sizeof(t->root), "%.400s", root);
	r = hb_results(t);
	hb_assert_run(t, r, 4, "error", "replay_mismatch");
	cr_assert_not_null(strstr(hb_str(hb_phase(r, 0), "error"),
				  "not a regular file"),
			   "%s", hb_str(hb_phase(r, 0), "error"));
	json_decref(r);
}

Test(replay, corrupt_conversation_lines_fail_closed_naming_file_and_line)
{
	struct hb t;
	char rec[600], file[PATH_MAX], rel[PATH_MAX];
	json_t *lines;

	record_beta(&t, SCEN, H_TEST_KEY);
	snprintf(rec, sizeof(rec), "%s/rec", t.dir);
	only_conversation(rec, file, sizeof(file));
	snprintf(rel, sizeof(rel), "%s", file + strlen(rec));
	lines = raw_lines(file);
	cr_assert_eq(json_array_size(lines), 2);
	for (int e = 0; e < N_EDITS; e++) {
		char copy[700], cfile[PATH_MAX + 800], at[PATH_MAX + 816],
			root[700];
		const char *args[] = { "beta.yaml", "--replay", copy, NULL };
		int st;
		json_t *r;

		snprintf(copy, sizeof(copy), "%s/copy%d", t.dir, e);
		const char *cp[] = { "cp", "-a", rec, copy, NULL };
		free(hb_capture(cp, &st));
		cr_assert_eq(st, 0);
		snprintf(cfile, sizeof(cfile), "%s%s", copy, rel);
		apply_edit(cfile, lines, (enum edit)e);
		snprintf(root, sizeof(root), "%s/sb%d", t.dir, e);
		hr_run_nokey(&t, root, t.fake.port, args);
		cr_assert_eq(t.out.code, 4, "edit %d: exit %d: %s", e,
			     t.out.code, t.out.err);
		snprintf(t.root, sizeof(t.root), "%.400s", root);
		r = hb_results(&t);
		hb_assert_run(&t, r, 4, "error", "replay_mismatch");
		snprintf(at, sizeof(at), "%s:%u: ", cfile, edits[e].line);
		const char *err = hb_str(hb_phase(r, 0), "error");

		cr_assert_not_null(strstr(err, at), "edit %d: no \"%s\" in %s",
				   e, at, err);
		cr_assert_not_null(strstr(err, edits[e].says),
				   "edit %d: no \"%s\" in %s", e, edits[e].says,
				   err);
		cr_assert_not_null(strstr(err, "unit beta, repeat 0, phase 1 "
					       "(Broken Step), agent Amelia"),
				   "edit %d: %s", e, err);
		/* a bad second line: the first call was answered */
		cr_assert_eq(hb_int(hb_phase(r, 0), "api_calls"),
			     edits[e].line == 2 ? 1 : 0, "edit %d", e);
		json_decref(r);
	}
	json_decref(lines);
	fifo_conversation(&t, rec, rel);
	hb_finish(&t);
}

Test(replay, record_and_option_misuse_is_refused_with_exit_2)
{
	struct hb t;
	char cfg[512], dir[600], keep[700], file[600], link[600], empty[600],
		root[600], both[600];
	char *text;

	hb_start(&t, SCEN);
	hb_write(&t, "beta.yaml", BETA, cfg, sizeof(cfg));
	hb_write(&t, "beta2.yaml", BETA, cfg, sizeof(cfg));
	snprintf(root, sizeof(root), "%s/sb", t.dir);

	/* a non-empty directory: refused, left as it was */
	snprintf(dir, sizeof(dir), "%s/full", t.dir);
	cr_assert_eq(mkdir(dir, 0755), 0);
	snprintf(keep, sizeof(keep), "%s/keep.txt", dir);
	write_text(keep, "mine\n");
	/* a regular file, and a symlink to an empty directory */
	snprintf(file, sizeof(file), "%s/afile", t.dir);
	write_text(file, "mine\n");
	snprintf(empty, sizeof(empty), "%s/empty", t.dir);
	cr_assert_eq(mkdir(empty, 0755), 0);
	snprintf(link, sizeof(link), "%s/link", t.dir);
	cr_assert_eq(symlink(empty, link), 0);
	const char *const targets[] = { dir, file, link };

	for (size_t i = 0; i < 3; i++) {
		const char *args[] = { "beta.yaml", "--record", targets[i],
				       NULL };

		hr_run_nokey(&t, root, t.fake.port, args);
		cr_assert_eq(t.out.code, 2, "--record %s: exit %d: %s",
			     targets[i], t.out.code, t.out.err);
		cr_assert_not_null(strstr(t.out.err, "--record "), "%s",
				   t.out.err);
		cr_assert_not_null(strstr(t.out.err, targets[i]), "%s",
				   t.out.err);
		assert_nothing_ran(&t, root);
	}
	cr_assert_not_null(strstr(t.out.err, "not a directory"), "%s",
			   t.out.err);
	text = h_slurp(keep, NULL);
	cr_assert_str_eq(text, "mine\n");
	free(text);
	text = h_slurp(file, NULL);
	cr_assert_str_eq(text, "mine\n");
	free(text);
	DIR *d = opendir(dir);
	size_t n = 0;

	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	closedir(d);
	cr_assert_eq(n, 1, "something was written into %s", dir);
	d = opendir(empty);
	n = 0;
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	closedir(d);
	cr_assert_eq(n, 0, "something was written through %s", link);

	/* --record with --replay */
	snprintf(both, sizeof(both), "%s/new", t.dir);
	const char *bargs[] = { "beta.yaml", "--record", both,
				"--replay",  dir,        NULL };
	hr_run_nokey(&t, root, t.fake.port, bargs);
	cr_assert_eq(t.out.code, 2, "exit %d: %s", t.out.code, t.out.err);
	cr_assert_not_null(strstr(t.out.err, "--record and --replay"), "%s",
			   t.out.err);
	cr_assert_neq(access(both, F_OK), 0);
	assert_nothing_ran(&t, root);

	/* two configs, one benchmark name */
	for (int replay = 0; replay < 2; replay++) {
		const char *args[] = { "beta.yaml", "beta2.yaml",
				       replay ? "--replay" : "--record", both,
				       NULL };

		hr_run_nokey(&t, root, t.fake.port, args);
		cr_assert_eq(t.out.code, 2, "exit %d: %s", t.out.code,
			     t.out.err);
		cr_assert_not_null(strstr(t.out.err, "both are benchmark "
						     "\"beta\""),
				   "%s", t.out.err);
		cr_assert_not_null(strstr(t.out.err, "beta2.yaml"), "%s",
				   t.out.err);
		cr_assert_not_null(strstr(t.out.err,
					  replay ? "--replay" : "--record"),
				   "%s", t.out.err);
		cr_assert_neq(access(both, F_OK), 0);
		assert_nothing_ran(&t, root);
	}
	hb_finish(&t);
}

/* ---- 5. the key ------------------------------------------------------ */

/* Whether any file below dir holds needle, case-insensitively. */
static bool
tree_has_nocase(const char *dir, const char *needle)
{
	json_t *paths = json_array(), *p;
	bool found = false;
	size_t i;

	hr_jsonl_files(dir, paths);
	json_array_append_new(paths, json_sprintf("%s/recording.json", dir));
	json_array_foreach(paths, i, p) {
		char *c = h_slurp(json_string_value(p), NULL);

		cr_assert_not_null(c);
		found |= strcasestr(c, needle) != NULL;
		free(c);
	}
	json_decref(paths);
	return found;
}

Test(replay, the_key_and_request_headers_are_never_recorded)
{
	static const char *const headers[] = {
		"x-api-key",         "authorization", "bearer",
		"anthropic-version", "user-agent",    "content-length",
	};
	struct hb t;
	char rec[600], hex[2 * sizeof(H_TEST_KEY_SKANT) + 1];
	json_t *seen, *e;
	size_t i;

	record_beta(&t, SCEN, H_TEST_KEY_SKANT);
	snprintf(rec, sizeof(rec), "%s/rec", t.dir);
	/* the key was sent, and accepted */
	seen = h_jsonl(t.fake.record);
	cr_assert_gt(json_array_size(seen), 0);
	json_array_foreach(seen, i, e)
		cr_assert_str_eq(hb_str(e, "auth"), "ok");
	json_decref(seen);
	for (i = 0; i < strlen(H_TEST_KEY_SKANT); i++)
		snprintf(hex + 2 * i, 3, "%02x",
			 (unsigned char)H_TEST_KEY_SKANT[i]);
	cr_assert_not(h_tree_contains(rec, H_TEST_KEY_SKANT));
	cr_assert_not(h_tree_contains(rec, hex));
	cr_assert_not(h_tree_contains(t.root, H_TEST_KEY_SKANT),
		      "the key is in the results, events or transcripts");
	cr_assert_null(strstr(t.out.out, H_TEST_KEY_SKANT));
	cr_assert_null(strstr(t.out.err, H_TEST_KEY_SKANT));
	/* the response headers that matter are there; no request header */
	cr_assert(tree_has_nocase(rec, "request-id: req_"));
	cr_assert(tree_has_nocase(rec, "anthropic-ratelimit-"));
	for (i = 0; i < sizeof(headers) / sizeof(*headers); i++)
		cr_assert_not(tree_has_nocase(rec, headers[i]),
			      "%s is in the recording", headers[i]);
	hb_finish(&t);
}
