/*
 * test_confine.c - issue 10, classes 6 and 7 through the real binary:
 * nothing a config or the agent wrote reaches a terminal raw, and a
 * config cannot widen the sandbox or reach outside its directory.
 *
 * Design note
 * -----------
 * Class 6. A config whose benchmark and phase names hold control
 * sequences (an OSC window title, SGR colours, a C1 CSI, a bidi
 * override) runs against the fake API (scenarios/hostile-text.json),
 * where Amelia tries to commit with such a subject through Bash (the
 * project holds no repository of gao-dev's: her commit never reaches the
 * history, and nothing of it the summary). Every output for
 * a person is read back and searched byte by byte (an oracle written
 * here, not termesc itself): the stdout summary, the human progress on
 * stderr (stderr a pseudo-terminal, as only then is it human), the
 * --dry-run plan, and the errors of `validate`. Each must hold no C0
 * control but newline and tab, no DEL, no C1, no bidi control, only valid
 * UTF-8, and must show the hostile text as visible escapes; the results
 * file (JSON) must keep the exact bytes.
 *
 * Class 7. The refusal fixtures (tests/fixtures/configs/refused/) are
 * checked in test_configs.c; here: what needs a key, a run or the
 * operator's flags. A template that holds the key (across the 64 KiB
 * read cut), is the key file, or is a hard link to the .env the key came
 * from: exit 2, the file named, the key never printed, no sandbox root
 * made. --boilerplate-root and boilerplate_root: in the user config admit
 * a template elsewhere; a file:// URL below the config's directory is
 * fine. policy: networked is refused, admitted with --allow-config-policy,
 * and then --require-isolation full (checked against what the workers
 * report, after the config's policy is applied) fails with exit 4: the
 * networked profile keeps the host's network namespace. timeout_seconds
 * is held to --max-timeout (or max_timeout: in the user config). An
 * existing --sandbox-root keeps its mode (1777, 0755), as root and not.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "common/utf8.h"
#include "config.h"
#include "harness.h"

struct t {
	char dir[256];
	char key[512];
	char root[512];
	char base[128];
	struct h_fake fake;
	bool fake_on;
	struct h_out out;
};

static void
setup(struct t *t)
{
	memset(t, 0, sizeof(*t));
	h_tmpdir(t->dir, sizeof(t->dir));
	h_keyfile(t->dir, H_TEST_KEY, t->key, sizeof(t->key));
	snprintf(t->root, sizeof(t->root), "%s/sandbox", t->dir);
}

static void
start_fake(struct t *t, const char *scenario)
{
	char sc[512];

	h_src(scenario, sc, sizeof(sc));
	h_fake_start(&t->fake, sc, t->key, t->dir);
	t->fake_on = true;
	snprintf(t->base, sizeof(t->base),
		 "ANTHROPIC_BASE_URL=http://127.0.0.1:%d", t->fake.port);
}

static void
done(struct t *t)
{
	if (t->fake_on)
		h_fake_stop(&t->fake);
	h_out_free(&t->out);
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* dir/name into buf. */
static const char *
in(const struct t *t, const char *name, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s/%s", t->dir, name);
	return buf;
}

/* Run gao-dev with args (NULL-terminated) and env in t->dir. */
static void
run(struct t *t, const char *const *args, const char *const *env)
{
	h_out_free(&t->out);
	h_run(args, env, t->dir, 120, &t->out);
}

/* Run gao-dev in t->dir: sandbox run cfg --standalone with t's key file
 * and sandbox root, then extra (NULL-terminated, or NULL); against the
 * fake when start_fake() ran. */
static void
run_standalone(struct t *t, const char *cfg, const char *const *extra)
{
	const char *args[24] = { "sandbox",
				 "run",
				 cfg,
				 "--standalone",
				 "--api-key-file",
				 t->key,
				 "--sandbox-root",
				 t->root };
	const char *env[] = { t->base, NULL };
	size_t n = 8;

	for (; extra && *extra; extra++) {
		cr_assert_lt(n, sizeof(args) / sizeof(args[0]) - 1);
		args[n++] = *extra;
	}
	args[n] = NULL;
	run(t, args, t->fake_on ? env : NULL);
}

/* ------------------------------------------------------------------ */
/* Class 6: the oracle                                                  */

/*
 * Where text (len bytes) breaks the promise of docs/security.md, or NULL:
 * a C0 control other than newline and tab, DEL, invalid UTF-8, a C1
 * control (U+0080..U+009F) or a bidi control (U+202A..U+202E,
 * U+2066..U+2069).
 */
static const char *
unsafe(const char *text, size_t len)
{
	const unsigned char *p = (const unsigned char *)text;

	if (!utf8_valid(text, len))
		return "invalid UTF-8";
	for (size_t i = 0; i < len; i++) {
		if ((p[i] < 0x20 && p[i] != '\n' && p[i] != '\t') ||
		    p[i] == 0x7f)
			return "a C0 control or DEL";
		if (p[i] == 0xc2 && i + 1 < len && p[i + 1] >= 0x80 &&
		    p[i + 1] <= 0x9f)
			return "a C1 control";
		if (p[i] == 0xe2 && i + 2 < len &&
		    ((p[i + 1] == 0x80 && p[i + 2] >= 0xaa &&
		      p[i + 2] <= 0xae) ||
		     (p[i + 1] == 0x81 && p[i + 2] >= 0xa6 &&
		      p[i + 2] <= 0xa9)))
			return "a bidi control";
	}
	return NULL;
}

static void
assert_safe(const char *what, const char *text)
{
	const char *why = unsafe(text, strlen(text));

	cr_assert_null(why, "%s holds %s:\n%s", what, why, text);
}

/* The hostile config, written into t->dir as hostile.yaml. */
static const char *
hostile_config(struct t *t, char *path, size_t cap)
{
	in(t, "hostile.yaml", path, cap);
	write_file(path,
		   "name: \"hostile\\e]0;owned\\a\"\n"
		   "description: \"names with \\e[31mcontrols\\e[0m\"\n"
		   "initial_prompt: Do what the scenario says.\n"
		   "timeout_seconds: 300\n"
		   "workflow_phases:\n"
		   "  - phase_name: \"\\e[31mImpl\\e]0;t\\a\\x9b\\u202e\"\n"
		   "    agent: Amelia\n"
		   "success_criteria:\n"
		   "  quality_gates:\n"
		   "    commit_format: conventional\n",
		   0600);
	return path;
}

#define PHASE_RAW "\x1b[31mImpl\x1b]0;t\x07\xc2\x9b\xe2\x80\xae"
#define PHASE_SHOWN "\\x1b[31mImpl\\x1b]0;t\\x07\\u009b\\u202e"

/* The results file of the run in t->root, parsed. */
static json_t *
results(const struct t *t)
{
	char path[1024];
	json_error_t e;
	json_t *r;

	cr_assert(h_single_file(t->root, "results", path, sizeof(path)),
		  "no results file below %s", t->root);
	r = json_load_file(path, 0, &e);
	cr_assert_not_null(r, "%s: %s", path, e.text);
	return r;
}

Test(terminal, summary_escapes_what_the_results_keep_exact)
{
	char cfg[512];
	const char *phase, *reason = NULL;
	json_t *r, *c;
	size_t i;
	struct t t;

	setup(&t);
	start_fake(&t, "tests/integration/scenarios/hostile-text.json");
	run_standalone(&t, hostile_config(&t, cfg, sizeof(cfg)), NULL);
	assert_safe("the summary on stdout", t.out.out);
	cr_assert(strstr(t.out.out, "\\x1b[31mImpl"),
		  "the phase name is not shown escaped:\n%s", t.out.out);
	/* JSON stays exact */
	r = results(&t);
	phase = json_string_value(
		json_object_get(json_array_get(json_object_get(r, "phases"), 0),
				"name"));
	cr_assert_str_eq(phase, PHASE_RAW);
	json_array_foreach(json_object_get(r, "success_criteria"), i, c)
		if (!strcmp(json_string_value(json_object_get(c, "name")),
			    "commit_format"))
			reason = json_string_value(
				json_object_get(c, "reason"));
	/* the agent's own commit (Bash: git commit) never reaches the
	 * history gao-dev keeps: the project has no repository of gao-dev's
	 * (issue 10, class 5; its git directory is runs/<id>/git), so
	 * commit_format judges gao-dev's subjects, whose hostile part (the
	 * phase name) is shown escaped above */
	cr_assert(reason && !strstr(reason, "pwned"),
		  "the agent's commit reached the history: %s",
		  reason ? reason : "(none)");
	cr_assert_null(strstr(t.out.out, "pwned"), "%s", t.out.out);
	json_decref(r);
	done(&t);
}

/*
 * Run gao-dev with stderr on a pseudo-terminal (raw mode, so the bytes
 * are what gao-dev wrote): human progress. What it wrote there into
 * *err (malloc'ed); stdout into t->out.
 */
static void
run_on_tty(struct t *t, const char *const *args, const char *const *env,
	   char **err)
{
	const char *bin = getenv("GAO_DEV");
	int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC), status = 0;
	char *argv[32], outp[400], buf[4096];
	size_t n = 0, len = 0;
	struct termios tio;
	pid_t pid;

	cr_assert_geq(master, 0);
	cr_assert_eq(grantpt(master), 0);
	cr_assert_eq(unlockpt(master), 0);
	argv[n++] = (char *)bin;
	for (; args[n - 1] && n < 31; n++)
		argv[n] = (char *)args[n - 1];
	argv[n] = NULL;
	in(t, "tty-stdout", outp, sizeof(outp));
	*err = calloc(1, 1);
	pid = h_fork(H_GAO_DEV_DEATH);
	if (pid == 0) {
		/* dup2 clears close-on-exec on the copies */
		int s = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
		int o = open(outp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			     0600);

		if (s < 0 || o < 0 || chdir(t->dir) < 0)
			_exit(126);
		tcgetattr(s, &tio);
		cfmakeraw(&tio);
		tcsetattr(s, TCSANOW, &tio);
		dup2(o, 1);
		dup2(s, 2);
		dup2(open("/dev/null", O_RDONLY | O_CLOEXEC), 0);
		unsetenv("ANTHROPIC_API_KEY");
		unsetenv("ANTHROPIC_BASE_URL");
		for (size_t k = 0; env[k]; k++)
			putenv((char *)env[k]);
		execv(bin, argv);
		_exit(127);
	}
	fcntl(master, F_SETFL, O_NONBLOCK);
	for (int waited = 0; waited < 120 * 20;) {
		struct pollfd pf = { .fd = master, .events = POLLIN };
		ssize_t k;

		if (poll(&pf, 1, 50) == 0) {
			waited++;
			if (waitpid(pid, &status, WNOHANG) == pid)
				break;
			continue;
		}
		k = read(master, buf, sizeof(buf));
		if (k <= 0) {
			if (waitpid(pid, &status, WNOHANG) == pid)
				break;
			continue;
		}
		*err = realloc(*err, len + (size_t)k + 1);
		memcpy(*err + len, buf, (size_t)k);
		len += (size_t)k;
		(*err)[len] = 0;
	}
	close(master);
	h_out_free(&t->out);
	t->out.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
	t->out.out = h_slurp(outp, NULL);
	t->out.err = strdup("");
}

Test(terminal, human_progress_on_a_terminal_is_escaped)
{
	char cfg[512], *err = NULL;
	struct t t;

	setup(&t);
	start_fake(&t, "tests/integration/scenarios/hostile-text.json");
	const char *env[] = { t.base, NULL };
	/* the plain lines (the status area's escaping: tests/progress/) */
	const char *args[] = { "sandbox",
			       "run",
			       hostile_config(&t, cfg, sizeof(cfg)),
			       "--api-key-file",
			       t.key,
			       "--sandbox-root",
			       t.root,
			       "--no-progress",
			       NULL };

	run_on_tty(&t, args, env, &err);
	cr_assert(strstr(err, "phase_started"),
		  "no human progress on the terminal:\n%s", err);
	assert_safe("the progress on the terminal", err);
	cr_assert(strstr(err, "phase=" PHASE_SHOWN), "%s", err);
	assert_safe("the summary on stdout", t.out.out);
	free(err);
	done(&t);
}

Test(terminal, dry_run_plan_and_config_errors_are_escaped)
{
	char cfg[512], bad[512];
	struct t t;

	setup(&t);
	const char *args[] = { "sandbox", "run",
			       hostile_config(&t, cfg, sizeof(cfg)),
			       "--dry-run", NULL };

	run(&t, args, NULL);
	cr_assert_eq(t.out.code, 0, "%s", t.out.err);
	assert_safe("the plan", t.out.out);
	cr_assert(strstr(t.out.out, "hostile\\x1b]0;owned\\x07"), "%s",
		  t.out.out);
	cr_assert(strstr(t.out.out, PHASE_SHOWN), "%s", t.out.out);
	/* an error that quotes a hostile value, and an unknown agent */
	write_file(in(&t, "bad.yaml", bad, sizeof(bad)),
		   "name: b\ndescription: d\n"
		   "boilerplate_path: \"/etc/\\e]0;x\\a\\u2066\"\n"
		   "policy: \"\\e[5mnetworked\"\n"
		   "workflow_phases:\n"
		   "  - phase_name: \"\\x9b\\e[2J\"\n"
		   "    agent: \"\\e]0;Eve\\a\"\n",
		   0600);
	const char *vargs[] = { "sandbox", "validate", bad, NULL };

	run(&t, vargs, NULL);
	cr_assert_eq(t.out.code, 2, "%s", t.out.err);
	assert_safe("the errors", t.out.err);
	assert_safe("the verdict", t.out.out);
	cr_assert(strstr(t.out.err, "\\x1b]0;x\\x07\\u2066"), "%s", t.out.err);
	cr_assert(strstr(t.out.err, "\\x1b[5mnetworked"), "%s", t.out.err);
	cr_assert(strstr(t.out.err, "\\x1b]0;Eve\\x07"), "%s", t.out.err);
	done(&t);
}

Test(terminal, policy_show_and_check_are_escaped)
{
	char src[512], pol[512], *text, *at, *out = NULL;
	struct t t;

	setup(&t);
	h_src("policy/profiles/strict.yaml", src, sizeof(src));
	text = h_slurp(src, NULL);
	cr_assert_not_null(text);
	at = strstr(text, "description:");
	cr_assert_not_null(at);
	/* a description with a bidi override and a C1 CSI (the loader
	 * refuses C0 controls there), in a file whose name holds ESC */
	cr_assert_geq(asprintf(&out,
			       "%.*sdescription: \"x \\u202e y \\x9b z\"\n%s",
			       (int)(at - text), text, strchr(at, '\n') + 1),
		      0);
	write_file(in(&t, "p\x1b]0;t\x07.yaml", pol, sizeof(pol)), out, 0600);
	free(out);
	free(text);
	const char *show[] = { "policy", "show", pol, NULL };
	const char *check[] = { "policy", "check", pol, NULL };

	run(&t, show, NULL);
	cr_assert_eq(t.out.code, 0, "%s", t.out.err);
	assert_safe("policy show", t.out.out);
	cr_assert(strstr(t.out.out, "tools:"), "%s", t.out.out);
	run(&t, check, NULL);
	cr_assert_eq(t.out.code, 0, "%s", t.out.err);
	assert_safe("policy check", t.out.out);
	cr_assert(strstr(t.out.out, "p\\x1b]0;t\\x07.yaml: valid"), "%s",
		  t.out.out);
	done(&t);
}

/* ------------------------------------------------------------------ */
/* Class 7: the key never reaches a project through boilerplate         */

/* A config in t->dir with boilerplate_path: tpl (made 0700 here). */
static void
template_config(struct t *t, char *cfg, size_t cap, char *tpl, size_t tcap)
{
	in(t, "tpl", tpl, tcap);
	cr_assert_eq(mkdir(tpl, 0700), 0);
	write_file(in(t, "bp.yaml", cfg, cap),
		   "name: bp\ndescription: d\n"
		   "initial_prompt: Do what the scenario says.\n"
		   "boilerplate_path: tpl\ntimeout_seconds: 300\n"
		   "workflow_phases:\n  - phase_name: Implementation\n"
		   "    agent: Amelia\nsuccess_criteria: {}\n",
		   0600);
}

/* Exit 2 before any side effect, naming the file, never the key. */
static void
assert_key_refused(const struct t *t, const char *file, const char *what)
{
	struct stat st;

	cr_assert_eq(t->out.code, 2, "exit %d; stderr:\n%s", t->out.code,
		     t->out.err);
	cr_assert(strstr(t->out.err, file) && strstr(t->out.err, what),
		  "want \"%s\" and \"%s\" in:\n%s", file, what, t->out.err);
	cr_assert_null(strstr(t->out.err, H_TEST_KEY), "the key was printed");
	cr_assert_null(strstr(t->out.out, H_TEST_KEY), "the key was printed");
	cr_assert_neq(stat(t->root, &st), 0, "the sandbox root was made");
}

Test(boilerplate_key, a_file_holding_the_key_is_never_copied)
{
	char cfg[512], tpl[512], path[700], *big;
	size_t cut = 65536 - 7; /* the key across the first read's end */
	struct t t;

	setup(&t);
	template_config(&t, cfg, sizeof(cfg), tpl, sizeof(tpl));
	snprintf(path, sizeof(path), "%s/sub", tpl);
	cr_assert_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/sub/big.txt", tpl);
	big = malloc(cut + strlen(H_TEST_KEY) + 2);
	memset(big, 'a', cut);
	strcpy(big + cut, H_TEST_KEY "b");
	write_file(path, big, 0644);
	free(big);
	const char *args[] = { "sandbox",        "run", cfg,
			       "--api-key-file", t.key, "--sandbox-root",
			       t.root,           NULL };

	run(&t, args, NULL);
	assert_key_refused(&t, "sub/big.txt", "holds the API key");
	done(&t);
}

Test(boilerplate_key, the_key_file_itself_is_never_copied)
{
	char cfg[512], tpl[512], key[700];
	struct t t;

	setup(&t);
	template_config(&t, cfg, sizeof(cfg), tpl, sizeof(tpl));
	h_keyfile(tpl, H_TEST_KEY, key, sizeof(key));
	const char *args[] = { "sandbox",        "run", cfg,
			       "--api-key-file", key,   "--sandbox-root",
			       t.root,           NULL };

	run(&t, args, NULL);
	assert_key_refused(&t, "boilerplate: key",
			   "is the file the API key was read from");
	done(&t);
}

Test(boilerplate_key, the_dotenv_the_key_came_from_is_never_copied)
{
	char cfg[512], tpl[512], env_path[512], link_path[700];
	struct t t;

	setup(&t);
	template_config(&t, cfg, sizeof(cfg), tpl, sizeof(tpl));
	write_file(in(&t, ".env", env_path, sizeof(env_path)),
		   "ANTHROPIC_API_KEY=" H_TEST_KEY "\n", 0600);
	snprintf(link_path, sizeof(link_path), "%s/settings", tpl);
	cr_assert_eq(link(env_path, link_path), 0);
	const char *env[] = { "GAO_DEV_CONFIG=/nonexistent", NULL };
	const char *args[] = { "sandbox",        "run",  cfg,
			       "--sandbox-root", t.root, NULL };

	run(&t, args, env);
	assert_key_refused(&t, "boilerplate: settings",
			   "is the file the API key was read from");
	done(&t);
}

Test(boilerplate_key, a_local_repository_holding_the_key_is_refused)
{
	char cfg[512], repo[512], path[700];
	struct t t;

	setup(&t);
	in(&t, "repo", repo, sizeof(repo));
	cr_assert_eq(mkdir(repo, 0700), 0);
	snprintf(path, sizeof(path), "%s/config.txt", repo);
	write_file(path, "token = " H_TEST_KEY "\n", 0600);
	snprintf(path, sizeof(path),
		 "name: u\ndescription: d\ninitial_prompt: p\n"
		 "boilerplate_url: file://%s\n",
		 repo);
	write_file(in(&t, "url.yaml", cfg, sizeof(cfg)), path, 0600);
	const char *args[] = { "sandbox",        "run", cfg,
			       "--api-key-file", t.key, "--sandbox-root",
			       t.root,           NULL };

	run(&t, args, NULL);
	assert_key_refused(&t, "config.txt", "holds the API key");
	cr_assert(strstr(t.out.err, "boilerplate_url"), "%s", t.out.err);
	done(&t);
}

/*
 * A key only in the repository's history (not in its work tree, so the
 * walk before the run finds nothing) arrives with the clone: the fresh
 * project is walked before git or any agent sees it, and the run ends
 * with status error (boilerplate_failed, exit 4); no agent ran.
 */
Test(boilerplate_key, a_key_that_arrives_with_a_clone_ends_the_run)
{
	char cfg[512], repo[512], cmd[2048], text[900], *res;
	struct t t;
	json_t *r;

	setup(&t);
	in(&t, "repo", repo, sizeof(repo));
	cr_assert_eq(mkdir(repo, 0755), 0);
	snprintf(cmd, sizeof(cmd),
		 "cd %s && git init -q && echo hi > README && "
		 "echo 'key: %s' > secret.txt && git add -A && "
		 "git -c user.name=t -c user.email=t@t commit -q -m init && "
		 "rm secret.txt",
		 repo, H_TEST_KEY);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	snprintf(text, sizeof(text),
		 "name: c\ndescription: d\ninitial_prompt: p\n"
		 "boilerplate_url: file://%s\ntimeout_seconds: 300\n"
		 "success_criteria: {}\n",
		 repo);
	write_file(in(&t, "c.yaml", cfg, sizeof(cfg)), text, 0600);
	start_fake(&t, "tests/integration/scenarios/api-write.json");
	run_standalone(&t, cfg, NULL);
	cr_assert_eq(t.out.code, 4, "exit %d; stdout:\n%s\nstderr:\n%s",
		     t.out.code, t.out.out, t.out.err);
	r = results(&t);
	cr_assert_str_eq(json_string_value(json_object_get(r, "status")),
			 "error");
	cr_assert_str_eq(json_string_value(json_object_get(r, "stop_reason")),
			 "boilerplate_failed");
	res = json_dumps(json_object_get(r, "errors"), 0);
	cr_assert(strstr(res, "secret.txt holds the API key"), "%s", res);
	cr_assert_null(strstr(res, H_TEST_KEY));
	cr_assert_null(strstr(t.out.out, H_TEST_KEY));
	cr_assert_null(strstr(t.out.err, H_TEST_KEY));
	/* no phase ran: nothing of the agents' */
	cr_assert_eq(json_array_size(json_object_get(r, "phases")), 0, "%s",
		     t.out.out);
	free(res);
	json_decref(r);
	done(&t);
}

/* A test with a config whose template holds a README, and the sandbox
 * root made (0700): the config's path into cfg. */
static void
root_and_template(struct t *t, char *cfg, size_t cap)
{
	char tpl[512], path[600];

	setup(t);
	template_config(t, cfg, cap, tpl, sizeof(tpl));
	snprintf(path, sizeof(path), "%s/README.md", tpl);
	write_file(path, "template\n", 0644);
	cr_assert_eq(mkdir(t->root, 0700), 0);
}

/* A clean template is copied, and an existing sandbox root keeps its
 * mode (as root it used to become 0711). */
static void
copy_into_root_of_mode(mode_t mode)
{
	char cfg[512], path[1200], project[1024];
	struct stat st;
	const char *p;
	struct t t;

	root_and_template(&t, cfg, sizeof(cfg));
	cr_assert_eq(chmod(t.root, mode), 0);
	start_fake(&t, "tests/integration/scenarios/api-write.json");
	run_standalone(&t, cfg, NULL);
	cr_assert_eq(t.out.code, 0, "exit %d; stderr:\n%s", t.out.code,
		     t.out.err);
	p = strstr(t.out.out, "project:");
	cr_assert_not_null(p, "%s", t.out.out);
	cr_assert_eq(sscanf(p, "project: %1023s", project), 1);
	snprintf(path, sizeof(path), "%s/README.md", project);
	cr_assert_eq(stat(path, &st), 0, "the template was not copied");
	cr_assert_eq(stat(t.root, &st), 0);
	cr_assert_eq(st.st_mode & 07777, mode, "the root is now %04o, was %04o",
		     (unsigned)(st.st_mode & 07777), (unsigned)mode);
	done(&t);
}

Test(sandbox_root, an_existing_1777_root_keeps_its_mode)
{
	copy_into_root_of_mode(01777);
}

Test(sandbox_root, an_existing_0755_root_keeps_its_mode)
{
	copy_into_root_of_mode(0755);
}

/* A run in the root with its mode (and runs/ made beforehand with
 * runs_mode, owned by runs_uid, unless runs_mode is 0): refused, exit 4,
 * the message saying words. */
static void
refused_root(mode_t mode, mode_t runs_mode, uid_t runs_uid, const char *words)
{
	char cfg[512], path[1200];
	struct t t;

	root_and_template(&t, cfg, sizeof(cfg));
	if (runs_mode) {
		snprintf(path, sizeof(path), "%s/runs", t.root);
		cr_assert_eq(mkdir(path, 0700), 0);
		cr_assert_eq(chmod(path, runs_mode), 0);
		cr_assert_eq(chown(path, runs_uid, (gid_t)-1), 0);
	}
	cr_assert_eq(chmod(t.root, mode), 0);
	start_fake(&t, "tests/integration/scenarios/api-write.json");
	run_standalone(&t, cfg, NULL);
	cr_assert_eq(t.out.code, 4, "exit %d; stderr:\n%s", t.out.code,
		     t.out.err);
	cr_assert_not_null(strstr(t.out.err, words), "%s", t.out.err);
	snprintf(path, sizeof(path), "%s/projects", t.root);
	cr_assert(!h_single_file(t.root, "projects", path, sizeof(path)),
		  "a run started");
	done(&t);
}

/* A root others may write in without the sticky bit, or a runs/ someone
 * else made or may write in: they could swap a run's directories for
 * links that gao-dev's chmod and chown then follow. */
Test(sandbox_root, a_root_others_could_swap_is_refused)
{
	refused_root(0777, 0, 0, "sticky");
	refused_root(01777, 0777, geteuid(), "only you may write in");
	if (geteuid() == 0) /* another user's runs/ in a shared root */
		refused_root(01777, 0700, 65534, "only you may write in");
}

/* ------------------------------------------------------------------ */
/* Class 7: the operator's flags                                        */

static int
validate(struct t *t, const char *cfg, const char *flag, const char *val,
	 const char *const *env)
{
	const char *args[] = { "sandbox", "validate", cfg, flag, val, NULL };

	run(t, args, env);
	return t->out.code;
}

Test(operator, boilerplate_root_admits_a_template_elsewhere)
{
	char cfg[512], other[512], tpl[600], text[900], uc[512], ucp[700];
	struct t t;

	setup(&t);
	in(&t, "templates", other, sizeof(other));
	cr_assert_eq(mkdir(other, 0700), 0);
	snprintf(tpl, sizeof(tpl), "%s/web", other);
	cr_assert_eq(mkdir(tpl, 0700), 0);
	cr_assert_eq(mkdir(in(&t, "cfgs", cfg, sizeof(cfg)), 0700), 0);
	snprintf(text, sizeof(text),
		 "name: o\ndescription: d\ninitial_prompt: p\n"
		 "boilerplate_path: %s\n",
		 tpl);
	write_file(in(&t, "cfgs/o.yaml", cfg, sizeof(cfg)), text, 0600);
	cr_assert_eq(validate(&t, cfg, NULL, NULL, NULL), 2, "%s", t.out.err);
	cr_assert(strstr(t.out.err, "--boilerplate-root"), "%s", t.out.err);
	cr_assert_eq(validate(&t, cfg, "--boilerplate-root", other, NULL), 0,
		     "%s", t.out.err);
	/* the root itself is admitted; a directory beside it is not */
	cr_assert_eq(validate(&t, cfg, "--boilerplate-root", tpl, NULL), 0,
		     "%s", t.out.err);
	in(&t, "elsewhere", ucp, sizeof(ucp));
	cr_assert_eq(mkdir(ucp, 0700), 0);
	cr_assert_eq(validate(&t, cfg, "--boilerplate-root", ucp, NULL), 2,
		     "%s", t.out.err);
	/* the same from the user config */
	snprintf(text, sizeof(text), "boilerplate_root: %s\n", other);
	write_file(in(&t, "user.yaml", uc, sizeof(uc)), text, 0600);
	snprintf(ucp, sizeof(ucp), "GAO_DEV_CONFIG=%s", uc);
	const char *env[] = { ucp, NULL };

	cr_assert_eq(validate(&t, cfg, NULL, NULL, env), 0, "%s", t.out.err);
	done(&t);
}

Test(operator, a_file_url_below_the_config_is_fine)
{
	char cfg[512], repo[512], text[900];
	struct t t;

	setup(&t);
	cr_assert_eq(mkdir(in(&t, "repo", repo, sizeof(repo)), 0700), 0);
	snprintf(text, sizeof(text),
		 "name: f\ndescription: d\ninitial_prompt: p\n"
		 "boilerplate_url: file://%s\n",
		 repo);
	write_file(in(&t, "f.yaml", cfg, sizeof(cfg)), text, 0600);
	cr_assert_eq(validate(&t, cfg, NULL, NULL, NULL), 0, "%s", t.out.err);
	snprintf(text, sizeof(text),
		 "name: f\ndescription: d\ninitial_prompt: p\n"
		 "boilerplate_url: file://%s/../..\n",
		 repo);
	write_file(cfg, text, 0600);
	cr_assert_eq(validate(&t, cfg, NULL, NULL, NULL), 2, "%s", t.out.err);
	cr_assert(strstr(t.out.err, "\"..\" component"), "%s", t.out.err);
	done(&t);
}

Test(operator, config_policy_needs_the_operator)
{
	char cfg[512], pol[512], src[512], *text;
	struct t t;

	setup(&t);
	write_file(in(&t, "p.yaml", cfg, sizeof(cfg)),
		   "name: p\ndescription: d\ninitial_prompt: p\n"
		   "policy: networked\n",
		   0600);
	cr_assert_eq(validate(&t, cfg, NULL, NULL, NULL), 2, "%s", t.out.err);
	cr_assert(strstr(t.out.err, "(network: tcp)"), "%s", t.out.err);
	cr_assert_eq(validate(&t, cfg, "--allow-config-policy", NULL, NULL), 0,
		     "%s", t.out.err);
	/* no wider than default: fine without the flag */
	write_file(cfg,
		   "name: p\ndescription: d\ninitial_prompt: p\n"
		   "policy: strict\n",
		   0600);
	cr_assert_eq(validate(&t, cfg, NULL, NULL, NULL), 0, "%s", t.out.err);
	/* a policy file (a copy of strict: narrow, yet a file) */
	h_src("policy/profiles/strict.yaml", src, sizeof(src));
	text = h_slurp(src, NULL);
	cr_assert_not_null(text);
	write_file(in(&t, "mine.yaml", pol, sizeof(pol)), text, 0600);
	free(text);
	write_file(cfg,
		   "name: p\ndescription: d\ninitial_prompt: p\n"
		   "policy: mine.yaml\n",
		   0600);
	cr_assert_eq(validate(&t, cfg, NULL, NULL, NULL), 2, "%s", t.out.err);
	cr_assert(strstr(t.out.err, "is a policy file"), "%s", t.out.err);
	cr_assert_eq(validate(&t, cfg, "--allow-config-policy", NULL, NULL), 0,
		     "%s", t.out.err);
	done(&t);
}

Test(operator, require_isolation_is_checked_after_the_config_policy)
{
	char cfg[512];
	struct t t;

	setup(&t);
	start_fake(&t, "tests/integration/scenarios/api-write.json");
	write_file(in(&t, "n.yaml", cfg, sizeof(cfg)),
		   "name: n\ndescription: d\ninitial_prompt: p\n"
		   "policy: networked\ntimeout_seconds: 300\n"
		   "workflow_phases:\n  - phase_name: Implementation\n"
		   "    agent: Amelia\nsuccess_criteria: {}\n",
		   0600);
	const char *extra[] = { "--allow-config-policy", "--require-isolation",
				"full", NULL };

	/* networked keeps the host's network namespace: never "full" */
	run_standalone(&t, cfg, extra);
	cr_assert_eq(t.out.code, 4, "exit %d; stdout:\n%s\nstderr:\n%s",
		     t.out.code, t.out.out, t.out.err);
	done(&t);
}

Test(operator, timeouts_are_held_to_the_ceiling)
{
	char cfg[512], uc[512], ucp[700];
	struct t t;

	setup(&t);
	write_file(in(&t, "t.yaml", cfg, sizeof(cfg)),
		   "name: t\ndescription: d\ninitial_prompt: p\n"
		   "timeout_seconds: 10800\n",
		   0600);
	cr_assert_eq(validate(&t, cfg, NULL, NULL, NULL), 2, "%s", t.out.err);
	cr_assert(strstr(t.out.err, "timeout_seconds: 10800 s is over the "
				    "operator's ceiling of 7200 s") &&
			  strstr(t.out.err, "--max-timeout"),
		  "%s", t.out.err);
	cr_assert_eq(validate(&t, cfg, "--max-timeout", "10800", NULL), 0, "%s",
		     t.out.err);
	cr_assert_eq(validate(&t, cfg, "--max-timeout", "10799", NULL), 2, "%s",
		     t.out.err);
	cr_assert_eq(validate(&t, cfg, "--max-timeout", "86401", NULL), 2, "%s",
		     t.out.err);
	cr_assert(strstr(t.out.err, "--max-timeout 86401"), "%s", t.out.err);
	/* the user config's max_timeout:, and a bad one named */
	write_file(in(&t, "user.yaml", uc, sizeof(uc)), "max_timeout: 10800\n",
		   0600);
	snprintf(ucp, sizeof(ucp), "GAO_DEV_CONFIG=%s", uc);
	const char *env[] = { ucp, NULL };

	cr_assert_eq(validate(&t, cfg, NULL, NULL, env), 0, "%s", t.out.err);
	write_file(uc, "max_timeout: soon\n", 0600);
	cr_assert_eq(validate(&t, cfg, NULL, NULL, env), 2, "%s", t.out.err);
	cr_assert(strstr(t.out.err, "max_timeout: expected a whole number"),
		  "%s", t.out.err);
	done(&t);
}

#if GAO_DEV_TEST_SWITCHES /* --test-no-namespaces */
/*
 * The service workers meet --require-isolation like an agent's: a run of
 * command phases only (no agent to check) at a level its workers cannot
 * reach ends as an isolation error, exit 4, and runs nothing: neither
 * git's setup nor the command.
 */
Test(operator, require_isolation_holds_for_the_service_workers)
{
	char cfg[512], path[1200];
	struct t t;
	json_t *res;

	setup(&t);
	/* without namespaces the run's uid must pass through the test's dir */
	cr_assert_eq(chmod(t.dir, 0711), 0);
	write_file(in(&t, "c.yaml", cfg, sizeof(cfg)),
		   "name: c\ndescription: d\ninitial_prompt: p\n"
		   "timeout_seconds: 300\nworkflow_phases:\n"
		   "  - phase_name: Generate\n    command: \"touch ran\"\n"
		   "success_criteria: {}\n",
		   0600);
	const char *extra[] = { "--skip-key-validation", "--test-no-namespaces",
				"--require-isolation", "full", NULL };

	run_standalone(&t, cfg, extra);
	cr_assert_eq(t.out.code, 4, "exit %d; stdout:\n%s\nstderr:\n%s",
		     t.out.code, t.out.out, t.out.err);
	cr_assert(strstr(t.out.out, "isolation_unmet"),
		  "stdout:\n%s\nstderr:\n%s", t.out.out, t.out.err);
	res = results(&t);
	cr_assert_str_eq(json_string_value(json_object_get(res, "stop_reason")),
			 "isolation_unmet");
	snprintf(path, sizeof(path), "%s/ran",
		 json_string_value(json_object_get(res, "project_dir")));
	cr_assert(access(path, F_OK) != 0, "the command ran: %s", path);
	json_decref(res);
	/* the same run at a level the host gives runs the command */
	extra[1] = "--max-files";
	extra[2] = "1000";
	extra[3] = NULL;
	run_standalone(&t, cfg, extra);
	cr_assert_eq(t.out.code, 0, "exit %d; stderr:\n%s", t.out.code,
		     t.out.err);
	done(&t);
}
#endif
