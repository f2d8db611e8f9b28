/*
 * test_model_rules.c - the models of December 2026 and the rules of API
 * version 2026-10-21, through the real gao-dev against the fake API
 * (issue 14).
 *
 * Thinking: the scenario (scenarios/thinking.json) returns thinking and
 * redacted_thinking blocks on every turn, as Sonnet 5.5 does between tool
 * calls; the fake signs them over their conversation and answers 400 when
 * one comes back changed, goes missing from the final tool turn, or when
 * the system prompt, tools or earlier turns changed (scripts/fakeapi/
 * thinking.py). So a run that completes proves gao-dev sent every block
 * back as received in an unchanged conversation; the record of the fake
 * is then checked for what the fake does not judge: the thinking
 * parameter (the option's, the same in every request, or none), no forced
 * tool_choice, the system prompt and tools byte-identical, and each
 * request's messages a prefix of the next one's. Streamed, not streamed,
 * recorded and replayed.
 *
 * Lifecycle: a retired model is refused before any call (exit 2, the date
 * and a replacement named), whether it comes from --model, an agent file,
 * the config or the user config, and by the date alone (--test-today, a
 * switch of test builds); deprecated, legacy and unpriced-cache models run
 * with their warnings in the results, on stderr and in the summary.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "config.h"
#include "harness_api.h"

#define THINK "tests/integration/scenarios/thinking.json"
#define WRITE "tests/integration/scenarios/api-write.json"

#define KEYOPTS(t, ...) \
	((const char *const[]){ "--api-key-file", (t)->key, __VA_ARGS__ })

static void
expect_exit(const struct ha_run *t, int code)
{
	cr_assert_eq(t->out.code, code, "exit %d, expected %d; stderr:\n%s",
		     t->out.code, code, t->out.err);
}

/* ha_run after freeing the outputs of the test's previous run. */
static void
rerun(struct ha_run *t, const char *const *opts, const char *const *env)
{
	h_out_free(&t->out);
	ha_run(t, opts, env);
}

/* A JSON value with every "cache_control" key removed (a copy). */
static json_t *
no_cache_control(const json_t *v)
{
	json_t *c = json_deep_copy(v), *x;
	const char *k;
	size_t i;

	if (json_is_object(c)) {
		json_object_del(c, "cache_control");
		json_object_foreach(c, k, x)
			json_object_set_new(c, k, no_cache_control(x));
	} else if (json_is_array(c)) {
		json_array_foreach(c, i, x)
			json_array_set_new(c, i, no_cache_control(x));
	}
	return c;
}

/* A message as the API reads it: string content as one text block. */
static json_t *
normal_message(const json_t *m)
{
	json_t *c = no_cache_control(m);
	const json_t *content = json_object_get(c, "content");

	if (json_is_string(content))
		json_object_set_new(c, "content",
				    json_pack("[{s:s,s:O}]", "type", "text",
					      "text", content));
	return c;
}

/* Whether s holds something like a date (2026-12-06) or a time (19:02). */
static bool
has_timestamp(const char *s)
{
	for (; *s; s++) {
#define D(i) (s[i] >= '0' && s[i] <= '9')
		if (D(0) && D(1) && D(2) && D(3) && s[4] == '-' && D(5) &&
		    D(6) && s[7] == '-' && D(8) && D(9))
			return true;
		if (D(0) && D(1) && s[2] == ':' && D(3) && D(4))
			return true;
#undef D
	}
	return false;
}

/*
 * What the fake does not judge, over every POST: the thinking parameter
 * (budget > 0: that budget; 0: absent), tool_choice never forced, system
 * prompt and tools identical, each request's messages a prefix of the
 * next one's (cache_control aside). Returns the number of thinking
 * blocks sent back.
 */
static size_t
check_conversation(const json_t *posts, long long budget)
{
	const json_t *first = ha_get(json_array_get(posts, 0), "body"), *p;
	json_t *sys0 = no_cache_control(json_object_get(first, "system"));
	json_t *tools0 = no_cache_control(json_object_get(first, "tools"));
	size_t i, sent_back = 0;

	cr_assert_geq(json_array_size(posts), 3, "%zu requests",
		      json_array_size(posts));
	cr_assert(!has_timestamp(ha_str(first, "system.0.text")),
		  "a date or time in the system prompt");
	json_array_foreach(posts, i, p) {
		const json_t *b = ha_get(p, "body");
		const json_t *next = ha_get(json_array_get(posts, i + 1),
					    "body");
		const json_t *tc = json_object_get(b, "tool_choice");
		json_t *sys = no_cache_control(json_object_get(b, "system"));
		json_t *tools = no_cache_control(json_object_get(b, "tools"));
		const json_t *msgs = json_object_get(b, "messages"), *m;
		size_t k;

		cr_assert_eq(ha_int(p, "status"), 200, "request %zu", i);
		if (budget) {
			json_t *want = json_pack("{s:s,s:I}", "type", "enabled",
						 "budget_tokens",
						 (json_int_t)budget);

			cr_assert(json_equal(json_object_get(b, "thinking"),
					     want),
				  "request %zu's thinking", i);
			json_decref(want);
		} else
			cr_assert_null(json_object_get(b, "thinking"));
		cr_assert(!tc || !strcmp(ha_str(tc, "type"), "auto"),
			  "tool_choice forced");
		cr_assert(json_equal(sys, sys0), "system prompt changed");
		cr_assert(json_equal(tools, tools0), "tools changed");
		json_array_foreach(msgs, k, m) {
			json_t *a = normal_message(m), *z;
			const json_t *blk;
			size_t j;

			json_array_foreach(json_object_get(a, "content"), j,
					   blk)
				sent_back += !strcmp(ha_str(blk, "type"),
						     "thinking");
			if (!next)
				goto next_msg;
			z = normal_message(json_array_get(
				json_object_get(next, "messages"), k));
			cr_assert(json_equal(a, z),
				  "message %zu of request %zu changed", k, i);
			json_decref(z);
		next_msg:
			json_decref(a);
		}
		json_decref(sys);
		json_decref(tools);
	}
	json_decref(sys0);
	json_decref(tools0);
	return sent_back;
}

/* A run of the thinking scenario with budget from the option (or, with
 * user_config, from thinking_budget: in the user config). */
static void
thinking_run(bool stream, long long budget, bool user_config)
{
	struct ha_run t;
	char opt[64], cfg[600], env[700];
	json_t *rec, *posts, *res;
	const char *opts[8] = { "--api-key-file", NULL };
	const char *envs[] = { env, NULL };
	size_t n = 2;

	ha_setup(&t, THINK, H_TEST_KEY);
	opts[1] = t.key;
	snprintf(cfg, sizeof(cfg), "%s/user.yaml", t.dir);
	snprintf(env, sizeof(env), "GAO_DEV_CONFIG=%s", cfg);
	if (user_config) {
		snprintf(opt, sizeof(opt), "thinking_budget: %lld\n", budget);
		ha_write_file(cfg, opt, 0600);
	} else if (budget) {
		snprintf(opt, sizeof(opt), "%lld", budget);
		opts[n++] = "--thinking-budget";
		opts[n++] = opt;
	}
	if (!stream)
		opts[n++] = "--no-stream";
	rerun(&t, opts, user_config ? envs : NULL);
	expect_exit(&t, 0);
	res = ha_results(&t);
	cr_assert_str_eq(ha_str(res, "phases.0.stop_reason"), "end_turn");
	cr_assert_eq(ha_int(res, "phases.0.turns"), 3);
	cr_assert_eq(ha_int(res, "metrics.tool_calls"), 2);
	if (budget)
		cr_assert_eq(ha_int(res, "reproduce.thinking_budget"), budget);
	else
		cr_assert(
			json_is_null(ha_get(res, "reproduce.thinking_budget")));
	rec = ha_records(&t);
	posts = ha_posts(rec);
	cr_assert_eq(json_array_size(posts), 3);
	/* turns 0 and 1 (one thinking block each) went back twice and once */
	cr_assert_eq(check_conversation(posts, budget), 3);
	json_decref(posts);
	json_decref(rec);
	json_decref(res);
	ha_finish(&t);
}

Test(thinking, streamed_with_budget_blocks_go_back_unchanged, .timeout = 60)
{
	thinking_run(true, 2048, false);
}

Test(thinking, not_streamed_budget_of_the_user_config, .timeout = 60)
{
	thinking_run(false, 3000, true);
}

Test(thinking, recorded_then_replayed, .timeout = 60)
{
	struct ha_run t;
	char rec_dir[600], n_before[32];
	json_t *rec, *res, *posts;

	ha_setup(&t, THINK, H_TEST_KEY);
	snprintf(rec_dir, sizeof(rec_dir), "%s/rec", t.dir);
	/* no thinking parameter: the model thinks all the same */
	rerun(&t, KEYOPTS(&t, "--record", rec_dir, NULL), NULL);
	expect_exit(&t, 0);
	rec = ha_records(&t);
	posts = ha_posts(rec);
	cr_assert_eq(check_conversation(posts, 0), 3);
	json_decref(posts);
	snprintf(n_before, sizeof(n_before), "%zu", json_array_size(rec));
	json_decref(rec);
	/* a second root: the replay's results are the only ones there */
	snprintf(t.root, sizeof(t.root), "%s/root-replay", t.dir);
	rerun(&t, (const char *const[]){ "--replay", rec_dir, NULL }, NULL);
	expect_exit(&t, 0);
	res = ha_results(&t);
	cr_assert_str_eq(ha_str(res, "status"), "completed");
	cr_assert_eq(ha_int(res, "phases.0.turns"), 3);
	cr_assert_str_eq(ha_str(res, "recording.mode"), "replayed");
	rec = ha_records(&t);
	cr_assert_eq(json_array_size(rec), strtoul(n_before, NULL, 10),
		     "the replay reached the network");
	json_decref(rec);
	json_decref(res);
	ha_finish(&t);
}

Test(thinking, budget_validated_before_any_call, .timeout = 60)
{
	struct ha_run t;
	char cfg[600], env[700];
	json_t *rec;

	ha_setup(&t, THINK, H_TEST_KEY);
	/* not below max_tokens: thinking is part of it */
	rerun(&t, KEYOPTS(&t, "--thinking-budget", "16000", NULL), NULL);
	expect_exit(&t, 2);
	cr_assert(strstr(t.out.err, "--max-output-tokens"), "%s", t.out.err);
	rerun(&t,
	      KEYOPTS(&t, "--thinking-budget", "4096", "--max-output-tokens",
		      "4000", NULL),
	      NULL);
	expect_exit(&t, 2);
	rerun(&t, KEYOPTS(&t, "--thinking-budget", "1023", NULL), NULL);
	expect_exit(&t, 2);
	cr_assert(strstr(t.out.err, "--thinking-budget 1023"), "%s", t.out.err);
	rerun(&t, KEYOPTS(&t, "--thinking-budget", "2k", NULL), NULL);
	expect_exit(&t, 2);
	/* the user config's, checked the same way */
	snprintf(cfg, sizeof(cfg), "%s/user.yaml", t.dir);
	snprintf(env, sizeof(env), "GAO_DEV_CONFIG=%s", cfg);
	ha_write_file(cfg, "thinking_budget: lots\n", 0600);
	rerun(&t, KEYOPTS(&t, NULL), (const char *const[]){ env, NULL });
	expect_exit(&t, 2);
	cr_assert(strstr(t.out.err, "thinking_budget: expected"), "%s",
		  t.out.err);
	ha_write_file(cfg, "thinking_budget: 30000\n", 0600);
	rerun(&t, KEYOPTS(&t, NULL), (const char *const[]){ env, NULL });
	expect_exit(&t, 2);
	rec = ha_records(&t);
	cr_assert_eq(json_array_size(rec), 0, "a request was made");
	json_decref(rec);
	ha_finish(&t);
}

/* ---- lifecycle --------------------------------------------------------- */

/* How many of the results' warnings speak of a model, after asserting
 * that want is one of them. */
static size_t
model_warnings(const json_t *res, const char *want)
{
	const json_t *w;
	size_t i, n = 0;
	bool found = false;

	json_array_foreach(json_object_get(res, "warnings"), i, w) {
		n += !strncmp(json_string_value(w), "model ", 6);
		found = found || !strcmp(json_string_value(w), want);
	}
	cr_assert(found, "no warning \"%s\" in %s", want,
		  json_dumps(json_object_get(res, "warnings"), JSON_COMPACT));
	return n;
}

/* exit 2 before any request, saying what and why */
static void
refused(struct ha_run *t, const char *const *opts, const char *const *env,
	const char *const *words)
{
	json_t *rec = ha_records(t);
	size_t before = json_array_size(rec);

	json_decref(rec);
	rerun(t, opts, env);
	expect_exit(t, 2);
	for (size_t i = 0; words[i]; i++)
		cr_assert(strstr(t->out.err, words[i]), "no \"%s\" in:\n%s",
			  words[i], t->out.err);
	rec = ha_records(t);
	cr_assert_eq(json_array_size(rec), before, "a request reached the API");
	json_decref(rec);
}

Test(lifecycle, retired_model_refused_from_every_source, .timeout = 60)
{
	struct ha_run t;
	char path[800], env[900], dir[600];
	const char *const words[] = { "retired on 2026-11-30",
				      "--model claude-sonnet-5-5", NULL };

	ha_setup(&t, WRITE, H_TEST_KEY);
	refused(&t, KEYOPTS(&t, "--model", "claude-sonnet-4-5", NULL), NULL,
		words);
	refused(&t, KEYOPTS(&t, "--model", "claude-sonnet-4-5-20250929", NULL),
		NULL, words);
	/* the config's model: */
	snprintf(t.config, sizeof(t.config), "%s/bench.yaml", t.dir);
	ha_write_file(t.config,
		      "name: retired\ndescription: a retired model\n"
		      "initial_prompt: go\n"
		      "model: claude-sonnet-4-5\nworkflow_phases:\n"
		      "  - phase_name: Build\n    agent: Amelia\n",
		      0600);
	refused(&t, KEYOPTS(&t, NULL), NULL,
		(const char *const[]){ "phase \"Build\" (agent Amelia)",
				       "asked by the config's model:", words[0],
				       words[1], NULL });
	h_src("tests/integration/scenarios/api-bench.yaml", t.config,
	      sizeof(t.config));
	/* an agent file's model: */
	snprintf(dir, sizeof(dir), "%s/agents", t.dir);
	cr_assert_eq(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/amelia.yaml", dir);
	ha_write_file(path,
		      "name: Amelia\nrole: Developer\n"
		      "model: claude-sonnet-4-5-20250929\n"
		      "tools: [Read, Write]\npersona: You write code.\n",
		      0600);
	refused(&t, KEYOPTS(&t, "--agents-dir", dir, NULL), NULL,
		(const char *const[]){
			"asked by the agent file's model:", words[0], NULL });
	/* the user config's model: (the operator's default) */
	snprintf(path, sizeof(path), "%s/user.yaml", t.dir);
	snprintf(env, sizeof(env), "GAO_DEV_CONFIG=%s", path);
	ha_write_file(path, "model: claude-sonnet-4-5\n", 0600);
	refused(&t, KEYOPTS(&t, NULL), (const char *const[]){ env, NULL },
		(const char *const[]){
			"asked by the user config's model:", words[0], NULL });
	ha_write_file(path, "model: \"claude sonnet\"\n", 0600);
	refused(&t, KEYOPTS(&t, NULL), (const char *const[]){ env, NULL },
		(const char *const[]){ "model: expected a model id", NULL });
	/* validate says it too, without a key */
	ha_write_file(path, "model: claude-sonnet-4-5\n", 0600);
	{
		const char *args[] = { "sandbox", "validate", t.config, NULL };
		const char *venv[] = { env, NULL };

		h_out_free(&t.out);
		h_run(args, venv, t.dir, 30, &t.out);
		expect_exit(&t, 2);
		cr_assert(strstr(t.out.err, words[0]), "%s", t.out.err);
	}
	ha_finish(&t);
}

/* 2027-01-22T00:00:00Z: the day claude-opus-4-5 retires (UTC dates) */
#define RETIRED_OPUS_4_5 ((time_t)1800576000)

Test(lifecycle, retirement_follows_the_date, .timeout = 60)
{
	struct ha_run t;
	json_t *res;
	const char *want = "model claude-opus-4-5 is deprecated (since "
			   "2026-11-23) and will be retired on 2027-01-22; "
			   "move to claude-opus-5-5";

	ha_setup(&t, WRITE, H_TEST_KEY);
#if GAO_DEV_TEST_SWITCHES
	refused(&t,
		KEYOPTS(&t, "--model", "claude-opus-4-5", "--test-today",
			"2027-01-22", NULL),
		NULL,
		(const char *const[]){ "retired on 2027-01-22",
				       "--model claude-opus-5-5", NULL });
	rerun(&t,
	      KEYOPTS(&t, "--model", "claude-opus-4-5", "--test-today",
		      "2027-01-21", "--dry-run", NULL),
	      NULL);
	expect_exit(&t, 0);
	cr_assert(strstr(t.out.out, want), "%s", t.out.out);
	refused(&t,
		KEYOPTS(&t, "--model", "claude-opus-4-5", "--test-today",
			"2027-02-30", NULL),
		NULL, (const char *const[]){ "--test-today 2027-02-30", NULL });
#endif
	/* today, by the real clock: before the retirement date deprecated,
	 * runs, says so everywhere; from it on refused like the dates above */
	if (time(NULL) >= RETIRED_OPUS_4_5) {
		refused(&t, KEYOPTS(&t, "--model", "claude-opus-4-5", NULL),
			NULL,
			(const char *const[]){ "retired on 2027-01-22", NULL });
		ha_finish(&t);
		return;
	}
	rerun(&t, KEYOPTS(&t, "--model", "claude-opus-4-5", NULL), NULL);
	expect_exit(&t, 0);
	cr_assert(strstr(t.out.err, want), "stderr:\n%s", t.out.err);
	cr_assert(strstr(t.out.out, "warnings:"), "summary:\n%s", t.out.out);
	cr_assert(strstr(t.out.out, want), "summary:\n%s", t.out.out);
	res = ha_results(&t);
	cr_assert_eq(model_warnings(res, want), 1);
	json_decref(res);
	ha_finish(&t);
}

Test(lifecycle, legacy_and_unpublished_cache_prices, .timeout = 60)
{
	struct ha_run t;
	json_t *res;
	double in, cost;

	ha_setup(&t, WRITE, H_TEST_KEY);
	rerun(&t, KEYOPTS(&t, "--model", "claude-sonnet-5", "--dry-run", NULL),
	      NULL);
	expect_exit(&t, 0);
	cr_assert(strstr(t.out.out, "warning: model claude-sonnet-5 is a "
				    "legacy model"),
		  "%s", t.out.out);
	rerun(&t, KEYOPTS(&t, "--model", "claude-mythos-5-2", NULL), NULL);
	expect_exit(&t, 0);
	res = ha_results(&t);
	cr_assert_eq(model_warnings(res,
				    "model claude-mythos-5-2: cache prices are "
				    "not published; the budget counts its "
				    "cache writes and reads at the input price "
				    "($8.00 per million tokens)"),
		     1);
	/* cost: every input token, cached or not, at $8; output at $40 */
	in = (double)(ha_int(res, "metrics.tokens.input") +
		      ha_int(res, "metrics.tokens.cache_creation") +
		      ha_int(res, "metrics.tokens.cache_read"));
	cost = json_number_value(ha_get(res, "metrics.cost_usd"));
	cr_assert_float_eq(cost,
			   in * 8e-6 + (double)ha_int(res,
						      "metrics.tokens.output") *
					       40e-6,
			   1e-9, "cost %f", cost);
	cr_assert_gt(ha_int(res, "metrics.tokens.cache_creation"), 0,
		     "the scenario wrote no cache: nothing was estimated");
	json_decref(res);
	ha_finish(&t);
}
