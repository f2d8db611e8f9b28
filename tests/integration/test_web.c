/*
 * test_web.c - WebSearch and WebFetch through the API (docs/tools.md):
 * the real gao-dev against the fake API, whose record shows what each
 * request offered.
 *
 * Design note
 * -----------
 * tests/integration/configs/web.yaml has two phases: Mary, whose persona
 * lists WebSearch and WebFetch, and Bob, whose persona does not. The
 * scenario web.json has Mary search, fetch (the API's server tools: the
 * fake plays them against the request's own definitions and refuses a
 * use of a tool the request does not offer) and write a file. Each test
 * is one or two gao-dev invocations of about a second (the first test
 * also replays its recording); the usage errors are --dry-run
 * invocations (no API call).
 *
 * What the web results can bring in counts in the worst case before a
 * call (data/web.json's result_tokens): the token test finds the first
 * call's exact worst case from a run that makes it (the request's
 * content-length / 4), then a cap of exactly that lets the call go out
 * and one token less stops the phase before it.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "harness_bench.h"

#define CFG "tests/integration/configs/web.yaml"
#define WEB "tests/integration/scenarios/web.json"
#define WEB_OFF "tests/integration/scenarios/web-off.json"

/* gao-dev sandbox run CFG ARGS... (NULL-terminated, at most 12). */
static void
run(struct hb *t, const char *const *extra)
{
	char cfg[512];
	const char *args[16] = { cfg };
	int n = 1;

	h_src(CFG, cfg, sizeof(cfg));
	for (int i = 0; extra && extra[i] && n < 15; i++)
		args[n++] = extra[i];
	hb_run(t, args, 120);
}

/* The POST /v1/messages records of one conversation, in order. */
static json_t *
posts(const struct hb *t, const char *conv)
{
	json_t *all = h_jsonl(t->fake.record), *out = json_array(), *q;
	size_t i;

	json_array_foreach(all, i, q) {
		if (!strcmp(hb_str(q, "path"), "/v1/messages") &&
		    !strcmp(hb_str(q, "conversation"), conv))
			json_array_append(out, q);
	}
	json_decref(all);
	return out;
}

/* The request's tool whose type starts with prefix, or NULL. */
static const json_t *
tool_typed(const json_t *q, const char *prefix)
{
	const json_t *tools = json_object_get(json_object_get(q, "body"),
					      "tools");
	const json_t *d;
	size_t i;

	json_array_foreach(tools, i, d) {
		if (!strncmp(hb_str(d, "type"), prefix, strlen(prefix)))
			return d;
	}
	return NULL;
}

static void
assert_no_key(struct hb *t, const char *key)
{
	size_t n = 0;
	char *rec = h_slurp(t->fake.record, &n);

	cr_assert_not(h_tree_contains(t->root, key), "key under the root");
	cr_assert_null(strstr(t->out.out, key), "key on stdout");
	cr_assert_null(strstr(t->out.err, key), "key on stderr");
	cr_assert_not_null(rec);
	cr_assert_null(memmem(rec, n, key, strlen(key)), "key in a request");
	free(rec);
}

/* The transcript lines of phase i of type type. */
static json_t *
transcript_lines(const json_t *r, size_t i, const char *type)
{
	json_t *all = h_jsonl(hb_str(hb_phase(r, i), "transcript"));
	json_t *out = json_array(), *l;
	size_t k;

	json_array_foreach(all, k, l) {
		if (!strcmp(hb_str(l, "type"), type))
			json_array_append(out, l);
	}
	json_decref(all);
	return out;
}

/* A model's price for kind per token, from the data file; cache prices
 * missing or null count at the input price (docs/tools.md). */
static double
price(const char *model, const char *kind)
{
	char path[512];
	json_t *doc, *p, *v;
	double usd;

	h_src("data/models.json", path, sizeof(path));
	doc = json_load_file(path, 0, NULL);
	p = json_object_get(json_object_get(doc, "models"), model);
	if (!p) /* the table's name before issue 14 */
		p = json_object_get(json_object_get(doc, "prices"), model);
	cr_assert_not_null(p, "no price for %s", model);
	v = json_object_get(p, kind);
	if (!json_is_number(v))
		v = json_object_get(p, "input");
	usd = json_number_value(v) / 1e6;
	json_decref(doc);
	return usd;
}

/* A response line's cost minus its tokens' cost: the web uses' price. */
static double
web_part(const json_t *line)
{
	const json_t *u = json_object_get(line, "usage");
	const char *model = hb_str(json_object_get(line, "message"), "model");

	return json_number_value(json_object_get(line, "cost_usd")) -
	       (double)hb_int(u, "input_tokens") * price(model, "input") -
	       (double)hb_int(u, "output_tokens") * price(model, "output") -
	       (double)hb_int(u, "cache_creation_input_tokens") *
		       price(model, "cache_write") -
	       (double)hb_int(u, "cache_read_input_tokens") *
		       price(model, "cache_read");
}

/* The JSON of request q's body[key] (malloc'ed). */
static char *
body_json(const json_t *q, const char *key)
{
	return json_dumps(json_object_get(json_object_get(q, "body"), key),
			  JSON_COMPACT | JSON_SORT_KEYS);
}

/* The content of Mary's assistant message in request q (sorted JSON),
 * without the rolling cache breakpoint (gao-dev's, on the newest block). */
static char *
assistant_sent(const json_t *q)
{
	const json_t *msgs = json_object_get(json_object_get(q, "body"),
					     "messages");
	json_t *c = json_deep_copy(
		json_object_get(json_array_get(msgs, 1), "content"));
	json_t *b;
	size_t i;
	char *s;

	json_array_foreach(c, i, b)
		json_object_del(b, "cache_control");
	s = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(c);
	return s;
}

/* The content of response lines from..to, concatenated (sorted JSON). */
static char *
responses_got(const json_t *resp, size_t from, size_t to)
{
	json_t *all = json_array();
	char *s;

	for (size_t i = from; i <= to; i++)
		json_array_extend(
			all,
			json_object_get(json_object_get(json_array_get(resp, i),
							"message"),
					"content"));
	s = json_dumps(all, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(all);
	return s;
}

/* Each WebSearch/WebFetch record of an audit log is Mary's, allowed. */
static size_t
web_records(const char *log)
{
	json_t *audit = h_jsonl(log);
	const json_t *q;
	size_t i, n = 0;

	json_array_foreach(audit, i, q) {
		if (strcmp(hb_str(q, "tool"), "WebSearch") != 0 &&
		    strcmp(hb_str(q, "tool"), "WebFetch") != 0)
			continue;
		n++;
		cr_assert_str_eq(hb_str(q, "outcome"), "allowed");
		cr_assert_str_eq(hb_str(q, "agent"), "Mary");
	}
	json_decref(audit);
	return n;
}

/* The run recorded in t->dir/rec replays with the same web options, the
 * fake stopped: the server-tool blocks are part of the recording. */
static void
replays(struct hb *t)
{
	const char *args[] = {
		"--web",    "--web-domains", "docs.python.org,PyPI.org",
		"--replay", "rec",           NULL
	};
	json_t *all, *r;
	size_t i, replayed = 0;
	char rec[512];

	snprintf(rec, sizeof(rec), "%s/rec", t->dir);
	cr_assert_not(h_tree_contains(rec, H_TEST_KEY), "key in the recording");
	h_fake_stop(&t->fake);
	run(t, args);
	cr_assert_eq(t->out.code, 0, "replay: exit %d; stderr:\n%s",
		     t->out.code, t->out.err);
	all = hb_all_results(t);
	cr_assert_eq(json_array_size(all), 2);
	json_array_foreach(all, i, r) {
		cr_assert_str_eq(hb_str(r, "status"), "completed");
		cr_assert_eq(hb_int(json_object_get(r, "web"), "searches"), 1);
		cr_assert_eq(hb_int(json_object_get(r, "web"), "fetches"), 1);
		replayed += !strcmp(hb_str(json_object_get(r, "recording"),
					   "mode"),
				    "replayed");
	}
	cr_assert_eq(replayed, 1);
	json_decref(all);
}

Test(web, offered_with_web_only_to_web_personas_and_recorded)
{
	const char *args[] = {
		"--web",    "--web-domains", "docs.python.org,PyPI.org",
		"--record", "rec",           NULL
	};
	struct hb t;
	json_t *r, *mary, *bob, *lines, *w, *resp;
	char *tools[3], *sent, *got;
	const json_t *d, *l;

	hb_start_key(&t, WEB, H_TEST_KEY);
	run(&t, args);
	cr_assert_eq(t.out.code, 0, "exit %d; stderr:\n%s", t.out.code,
		     t.out.err);
	r = hb_results(&t);
	mary = posts(&t, "mary");
	bob = posts(&t, "bob");
	/* search (pause_turn), continued: fetch and Write, then the end */
	cr_assert_eq(json_array_size(mary), 3);
	cr_assert_eq(json_array_size(bob), 1);
	/* Mary's definitions: fixed max_uses, the domains lower-cased */
	d = tool_typed(json_array_get(mary, 0), "web_search_20250305");
	cr_assert_not_null(d, "no web_search definition");
	cr_assert_str_eq(hb_str(d, "name"), "web_search");
	cr_assert_eq(hb_int(d, "max_uses"), 5);
	sent = json_dumps(json_object_get(d, "allowed_domains"), JSON_COMPACT);
	cr_assert_str_eq(sent, "[\"docs.python.org\",\"pypi.org\"]");
	free(sent);
	d = tool_typed(json_array_get(mary, 0), "web_fetch_20250910");
	cr_assert_not_null(d, "no web_fetch definition");
	cr_assert_str_eq(hb_str(d, "name"), "web_fetch");
	cr_assert_str_eq(hb_str(json_object_get(json_array_get(mary, 0),
						"headers"),
				"anthropic-beta"),
			 "web-fetch-2025-09-10");
	/* the tool list and the system prompt are byte-identical within
	 * the conversation */
	for (size_t i = 0; i < 3; i++)
		tools[i] = body_json(json_array_get(mary, i), "tools");
	cr_assert_str_eq(tools[0], tools[1]);
	cr_assert_str_eq(tools[0], tools[2]);
	for (size_t i = 0; i < 3; i++)
		free(tools[i]);
	/* Bob's persona has no web tools: none offered */
	cr_assert_null(tool_typed(json_array_get(bob, 0), "web_"));
	/* the server-tool blocks went back exactly as the API sent them;
	 * after pause_turn the continuation joined the same assistant turn */
	resp = transcript_lines(r, 0, "response");
	cr_assert_eq(json_array_size(resp), 3);
	sent = assistant_sent(json_array_get(mary, 1));
	got = responses_got(resp, 0, 0);
	cr_assert_str_eq(sent, got);
	free(sent);
	free(got);
	sent = assistant_sent(json_array_get(mary, 2));
	got = responses_got(resp, 0, 1);
	cr_assert_str_eq(sent, got);
	cr_assert_not_null(strstr(sent, "WEB-MARK-17"));
	cr_assert_not_null(strstr(sent, "srvtoolu_"));
	free(sent);
	free(got);
	/* the search's price is in the cost after the response */
	cr_assert(fabs(web_part(json_array_get(resp, 0)) - 0.01) < 1e-6,
		  "web part of the cost: %f",
		  web_part(json_array_get(resp, 0)));
	cr_assert(fabs(web_part(json_array_get(resp, 1))) < 1e-6);
	cr_assert(fabs(web_part(json_array_get(resp, 2))) < 1e-6);
	/* the transcript and the audit log name each use */
	lines = transcript_lines(r, 0, "web_tool");
	cr_assert_eq(json_array_size(lines), 2);
	l = json_array_get(lines, 0);
	cr_assert_str_eq(hb_str(l, "tool"), "WebSearch");
	cr_assert_str_eq(hb_str(l, "server_tool"), "web_search_20250305");
	cr_assert_str_eq(hb_str(l, "query"), "python argparse subcommands");
	cr_assert_gt(hb_int(l, "result_bytes"), 100);
	l = json_array_get(lines, 1);
	cr_assert_str_eq(hb_str(l, "tool"), "WebFetch");
	cr_assert_str_eq(hb_str(l, "server_tool"), "web_fetch_20250910");
	cr_assert_str_eq(hb_str(l, "url"),
			 "https://docs.python.org/3/library/argparse.html");
	cr_assert_gt(hb_int(l, "result_bytes"), 100);
	cr_assert_eq(web_records(hb_str(hb_phase(r, 0), "audit_log")), 2);
	cr_assert_eq(hb_int(json_object_get(hb_phase(r, 0), "tools_by_name"),
			    "WebSearch"),
		     1);
	/* results and summary say web tools were on */
	w = json_object_get(r, "web");
	cr_assert(json_is_true(json_object_get(w, "enabled")));
	cr_assert_eq(hb_int(w, "searches"), 1);
	cr_assert_eq(hb_int(w, "fetches"), 1);
	cr_assert_eq(hb_int(w, "max_uses"), 20);
	cr_assert_not_null(strstr(t.out.out, "web:       on, 1 searches, "
					     "1 fetches (at most 20; domains "
					     "docs.python.org,pypi.org)"),
			   "%s", t.out.out);
	assert_no_key(&t, H_TEST_KEY);
	json_decref(lines);
	json_decref(resp);
	json_decref(mary);
	json_decref(bob);
	json_decref(r);
	replays(&t);
	hb_finish(&t);
}

Test(web, absent_without_web)
{
	/* the cap that the search's price passes below (web_limit_costs) */
	const char *args[] = { "--max-cost-usd", "0.03", "--max-output-tokens",
			       "100", NULL };
	struct hb t;
	json_t *r, *all, *q;
	char *sys;
	size_t i;

	hb_start_key(&t, WEB_OFF, H_TEST_KEY);
	run(&t, args);
	cr_assert_eq(t.out.code, 0, "exit %d; stderr:\n%s", t.out.code,
		     t.out.err);
	r = hb_results(&t);
	all = h_jsonl(t.fake.record);
	json_array_foreach(all, i, q) {
		if (strcmp(hb_str(q, "path"), "/v1/messages") != 0)
			continue;
		cr_assert_null(tool_typed(q, "web_"), "a web tool offered");
		cr_assert_null(json_object_get(json_object_get(q, "headers"),
					       "anthropic-beta"));
		sys = json_dumps(json_object_get(json_object_get(q, "body"),
						 "system"),
				 0);
		cr_assert_not_null(strstr(sys, "there is no network access."));
		cr_assert_null(strstr(sys, "web_search"));
		free(sys);
	}
	cr_assert_not(json_is_true(
		json_object_get(json_object_get(r, "web"), "enabled")));
	sys = json_dumps(json_object_get(r, "warnings"), 0);
	cr_assert_not_null(strstr(sys, "Mary: WebSearch left out"), "%s", sys);
	free(sys);
	cr_assert_not_null(strstr(t.out.out, "web:       off"));
	json_decref(all);
	json_decref(r);
	hb_finish(&t);
}

/* One --dry-run with args; asserts its exit code and that the message
 * names want (stderr for errors, stdout for the plan). */
static void
dry(struct hb *t, const char *const *args, int code, const char *want)
{
	const char *all[16] = { "--dry-run" };
	int n = 1;

	for (int i = 0; args[i] && n < 15; i++)
		all[n++] = args[i];
	run(t, all);
	cr_assert_eq(t->out.code, code, "%s ...: exit %d; stderr:\n%s", args[0],
		     t->out.code, t->out.err);
	cr_assert_not_null(strstr(code ? t->out.err : t->out.out, want),
			   "%s: no \"%s\" in:\n%s%s", args[0], want, t->out.out,
			   t->out.err);
}

Test(web, settings_checked_exit_2)
{
	struct hb t;
	char conf[1024];

	hb_start_key(&t, WEB_OFF, H_TEST_KEY);
	dry(&t, (const char *[]){ "--web", NULL }, 2,
	    "--web needs --web-domains LIST");
	dry(&t, (const char *[]){ "--web-domains", "a.org", NULL }, 2,
	    "add --web");
	dry(&t, (const char *[]){ "--web-max-uses", "10", NULL }, 2,
	    "add --web");
	dry(&t,
	    (const char *[]){ "--web", "--web-domains", "https://a.org", NULL },
	    2, "scheme");
	dry(&t, (const char *[]){ "--web", "--web-domains", "a.org,*", NULL },
	    2, "'*' must be given alone");
	dry(&t, (const char *[]){ "--web", "--web-domains", "*.a.org", NULL },
	    2, "wildcard");
	dry(&t,
	    (const char *[]){ "--web", "--web-domains", "a.org,,b.org", NULL },
	    2, "empty domain");
	dry(&t,
	    (const char *[]){ "--web", "--web-domains", "a.org,A.org", NULL },
	    2, "listed twice");
	dry(&t, (const char *[]){ "--web", "--web-domains", "localhost", NULL },
	    2, "without a dot");
	dry(&t,
	    (const char *[]){ "--web", "--web-domains", "a.org",
			      "--web-max-uses", "1", NULL },
	    2, "--web-max-uses");
	dry(&t,
	    (const char *[]){ "--web", "--web-domains", "a.org",
			      "--web-max-uses", "1001", NULL },
	    2, "--web-max-uses");
	/* '*' said explicitly: every domain */
	dry(&t, (const char *[]){ "--web", "--web-domains", "*", NULL }, 0,
	    "web tools: on (server tools WebSearch/WebFetch), domains *, max "
	    "uses 20 per run, 5 per request");
	dry(&t,
	    (const char *[]){ "--web", "--web-domains", "a.org",
			      "--web-max-uses", "3", NULL },
	    0, "domains a.org, max uses 3 per run, 1 per request");
	dry(&t, (const char *[]){ NULL }, 0, "web tools: off");
	dry(&t, (const char *[]){ NULL }, 0,
	    "(WebSearch/WebFetch left out: no --web)");
	/* the user config: same rules, the file and key named */
	hb_write(&t, "user.yaml", "web: true\n", conf, sizeof(conf));
	setenv("GAO_DEV_CONFIG", conf, 1);
	dry(&t, (const char *[]){ NULL }, 2, "web_domains: in the user config");
	hb_write(&t, "user.yaml", "web: yes please\nweb_domains: a.org\n", conf,
		 sizeof(conf));
	dry(&t, (const char *[]){ NULL }, 2,
	    "user.yaml:1:1: web: expected true or false");
	hb_write(&t, "user.yaml", "web: true\nweb_domains: [a.org, '*']\n",
		 conf, sizeof(conf));
	dry(&t, (const char *[]){ NULL }, 2,
	    "user.yaml:2:1: web_domains: item 2");
	hb_write(&t, "user.yaml",
		 "web: true\nweb_domains: a.org\n"
		 "web_max_uses: 0\n",
		 conf, sizeof(conf));
	dry(&t, (const char *[]){ NULL }, 2, "web_max_uses: expected");
	hb_write(&t, "user.yaml", "web: true\nweb_domains: [a.org, b.org]\n",
		 conf, sizeof(conf));
	dry(&t, (const char *[]){ NULL }, 0, "domains a.org,b.org");
	/* the command line wins */
	dry(&t, (const char *[]){ "--web-domains", "c.org", NULL }, 0,
	    "domains c.org,");
	unsetenv("GAO_DEV_CONFIG");
	hb_finish(&t);
}

Test(web, run_maximum_stops_the_phase)
{
	const char *args[] = { "--web", "--web-domains",
			       "*",     "--web-max-uses",
			       "2",     NULL };
	struct hb t;
	json_t *r, *mary;

	hb_start_key(&t, WEB, H_TEST_KEY);
	run(&t, args);
	cr_assert_eq(t.out.code, 5, "exit %d; stderr:\n%s", t.out.code,
		     t.out.err);
	r = hb_results(&t);
	cr_assert_str_eq(hb_str(r, "status"), "stopped");
	cr_assert_str_eq(hb_str(r, "stop_reason"), "web_limit");
	hb_assert_phase(r, 0, "Research", "Mary", "stopped");
	cr_assert_str_eq(hb_str(hb_phase(r, 0), "stop_reason"), "web_limit");
	/* one call: max_uses 1 per tool, both tools offered; it made one
	 * search, and the next call could make 1 + 2 > 2 */
	mary = posts(&t, "mary");
	cr_assert_eq(json_array_size(mary), 1);
	cr_assert_eq(hb_int(tool_typed(json_array_get(mary, 0), "web_search"),
			    "max_uses"),
		     1);
	cr_assert_null(json_object_get(tool_typed(json_array_get(mary, 0),
						  "web_search"),
				       "allowed_domains"),
		       "'*' sends no allowed_domains");
	cr_assert_eq(hb_int(json_object_get(r, "web"), "searches"), 1);
	cr_assert_eq(hb_int(json_object_get(r, "web"), "fetches"), 0);
	json_decref(mary);
	json_decref(r);
	hb_finish(&t);
}

Test(web, search_price_counts_before_the_call)
{
	/* absent_without_web runs both phases under this cap; with the web
	 * tools each call could add 5 searches at $0.01 */
	const char *args[] = { "--web", "--web-domains",
			       "*",     "--max-cost-usd",
			       "0.03",  "--max-output-tokens",
			       "100",   NULL };
	struct hb t;
	json_t *r, *mary;

	hb_start_key(&t, WEB, H_TEST_KEY);
	run(&t, args);
	cr_assert_eq(t.out.code, 5, "exit %d; stderr:\n%s", t.out.code,
		     t.out.err);
	r = hb_results(&t);
	cr_assert_str_eq(hb_str(hb_phase(r, 0), "stop_reason"), "cost_limit");
	mary = posts(&t, "mary");
	cr_assert_eq(json_array_size(mary), 0, "Mary's call went out");
	json_decref(mary);
	json_decref(r);
	hb_finish(&t);
}

/* result_tokens of persona tool name, from the data file. */
static int64_t
result_tokens(const char *name)
{
	char path[512];
	json_t *doc;
	int64_t n;

	h_src("data/web.json", path, sizeof(path));
	doc = json_load_file(path, 0, NULL);
	cr_assert_not_null(doc);
	n = json_integer_value(
		json_object_get(json_object_get(json_object_get(doc, "tools"),
						name),
				"result_tokens"));
	json_decref(doc);
	cr_assert_gt(n, 0, "no result_tokens for %s", name);
	return n;
}

/* Mary's first request's content-length, or -1 when she made none. */
static int64_t
first_request_bytes(const struct hb *t)
{
	json_t *mary = posts(t, "mary");
	const char *len = hb_str(json_object_get(json_array_get(mary, 0),
						 "headers"),
				 "content-length");
	int64_t n = json_array_size(mary) ? strtoll(len, NULL, 10) : -1;

	json_decref(mary);
	return n;
}

Test(web, result_tokens_count_before_the_call)
{
	/* --web-max-uses 2: max_uses 1 per tool, both offered */
	char cap[32];
	const char *args[] = {
		"--web", "--web-domains",       "*",   "--web-max-uses",
		"2",     "--max-output-tokens", "100", "--max-cost-usd",
		"100",   "--max-tokens",        cap,   NULL
	};
	const int64_t web = result_tokens("WebSearch") +
			    result_tokens("WebFetch");
	struct hb t;
	json_t *r;
	int64_t body, worst;

	/* far below the caps (tokens and cost): the call goes out (the
	 * phase then stops on the web maximum, as in
	 * run_maximum_stops_the_phase) */
	hb_start_key(&t, WEB, H_TEST_KEY);
	snprintf(cap, sizeof(cap), "%d", 10000000);
	run(&t, args);
	cr_assert_eq(t.out.code, 5, "exit %d; stderr:\n%s", t.out.code,
		     t.out.err);
	r = hb_results(&t);
	cr_assert_str_eq(hb_str(hb_phase(r, 0), "stop_reason"), "web_limit");
	json_decref(r);
	body = first_request_bytes(&t);
	cr_assert_gt(body, 0, "Mary's call did not go out");
	worst = body / 4 + 100 + web;
	hb_finish(&t);

	/* exactly the worst case: the call goes out */
	hb_start_key(&t, WEB, H_TEST_KEY);
	snprintf(cap, sizeof(cap), "%lld", (long long)worst);
	run(&t, args);
	cr_assert_eq(first_request_bytes(&t), body,
		     "at a cap of %lld: stderr:\n%s", (long long)worst,
		     t.out.err);
	r = hb_results(&t);
	/* the call's usage then leaves no room for the next one */
	cr_assert_str_eq(hb_str(hb_phase(r, 0), "stop_reason"), "token_limit");
	json_decref(r);
	r = posts(&t, "mary");
	cr_assert_eq(json_array_size(r), 1);
	json_decref(r);
	hb_finish(&t);

	/* one token less: the results could pass it, no call is made */
	hb_start_key(&t, WEB, H_TEST_KEY);
	snprintf(cap, sizeof(cap), "%lld", (long long)worst - 1);
	run(&t, args);
	cr_assert_eq(t.out.code, 5, "exit %d; stderr:\n%s", t.out.code,
		     t.out.err);
	cr_assert_eq(first_request_bytes(&t), -1, "Mary's call went out");
	r = hb_results(&t);
	cr_assert_str_eq(hb_str(r, "status"), "stopped");
	cr_assert_str_eq(hb_str(hb_phase(r, 0), "stop_reason"), "token_limit");
	cr_assert_str_eq(hb_str(hb_phase(r, 0), "error"),
			 "the next call could exceed --max-tokens with what "
			 "its web results bring in");
	json_decref(r);
	hb_finish(&t);
}

Test(web, result_tokens_count_in_the_cost_cap)
{
	/* $0.04 lets the call go out with one search ($0.01) and 100
	 * output tokens (absent_without_web runs both phases under $0.03
	 * without web tools); what a fetch and a search can bring in, at
	 * the input price, passes it. result_tokens_count_before_the_call
	 * makes the call under a $100 cap. */
	const char *args[] = { "--web", "--web-domains",
			       "*",     "--web-max-uses",
			       "2",     "--max-output-tokens",
			       "100",   "--max-cost-usd",
			       "0.04",  NULL };
	struct hb t;
	json_t *r;

	hb_start_key(&t, WEB, H_TEST_KEY);
	run(&t, args);
	cr_assert_eq(t.out.code, 5, "exit %d; stderr:\n%s", t.out.code,
		     t.out.err);
	cr_assert_eq(first_request_bytes(&t), -1, "Mary's call went out");
	r = hb_results(&t);
	cr_assert_str_eq(hb_str(hb_phase(r, 0), "stop_reason"), "cost_limit");
	cr_assert_str_eq(hb_str(hb_phase(r, 0), "error"),
			 "the next call could exceed --max-cost-usd with its "
			 "web uses and what their results bring in");
	json_decref(r);
	hb_finish(&t);
}
