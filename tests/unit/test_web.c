/*
 * test_web.c - the web settings (config/webopt.c) and the server tools'
 * definitions, counts, prices and records (agent/web.c), unconfined.
 *
 * The data is the project's own data/web.json, found through
 * GAO_DEV_DATADIR (meson sets it). The content arrays are what a hostile
 * API could send: blocks of the wrong shape must be skipped or recorded
 * as errors, never crash or be counted as something else.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "supervisor/agent/web.h"
#include "supervisor/config/webopt.h"

static void
domains_ok(const char *list, const char *want)
{
	char err[256] = "", *got;
	json_t *d = NULL;

	cr_assert_eq(webopt_parse_domains(list, &d, err, sizeof(err)), 0,
		     "%s: %s", list, err);
	got = d ? json_dumps(d, JSON_COMPACT) : strdup("*");
	cr_assert_str_eq(got, want, "%s", list);
	free(got);
	json_decref(d);
}

static void
domains_bad(const char *list, const char *why)
{
	char err[256] = "";
	json_t *d = (json_t *)1;

	cr_assert_eq(webopt_parse_domains(list, &d, err, sizeof(err)), -1,
		     "%s accepted", list);
	cr_assert_null(d);
	cr_assert_not_null(strstr(err, why), "%s: \"%s\"", list, err);
}

Test(webopt, domain_lists)
{
	char long_label[80], long_name[300];

	domains_ok("*", "*");
	domains_ok("docs.python.org", "[\"docs.python.org\"]");
	domains_ok("Docs.Python.ORG,pypi.org",
		   "[\"docs.python.org\",\"pypi.org\"]");
	domains_ok("a-b.c0.io", "[\"a-b.c0.io\"]");
	domains_bad("", "empty domain");
	domains_bad(",", "empty domain");
	domains_bad("a.org,", "empty domain");
	domains_bad("a.org,,b.org", "empty domain");
	domains_bad("https://a.org", "scheme");
	domains_bad("a.org:443", "scheme, port or path");
	domains_bad("a.org/path", "scheme, port or path");
	domains_bad("*.a.org", "wildcard");
	domains_bad("a.org,*", "'*' must be given alone");
	domains_bad("**", "wildcard");
	domains_bad("-a.org", "starting with '-'");
	domains_bad("a-.org", "ending in '-'");
	domains_bad("a..org", "empty label");
	domains_bad(".a.org", "empty label");
	domains_bad("a.org.", "empty label");
	domains_bad("localhost", "without a dot");
	domains_bad("a_b.org", "other than letters");
	domains_bad("a b.org", "other than letters");
	domains_bad("\xc3\xa9.org", "other than letters");
	domains_bad("a.org,A.ORG", "listed twice");
	memset(long_label, 'x', 64);
	strcpy(long_label + 64, ".org");
	domains_bad(long_label, "longer than 63");
	long_name[0] = 0;
	for (int i = 0; i < 145; i++)
		strcat(long_name, "a.");
	strcat(long_name, "org");
	domains_bad(long_name, "longer than 253");
}

Test(webopt, at_most_100_domains)
{
	char list[2000] = "";

	for (int i = 0; i < 101; i++)
		sprintf(list + strlen(list), "%sd%d.org", i ? "," : "", i);
	domains_bad(list, "more than 100");
	*strrchr(list, ',') = 0;
	json_t *d = NULL;
	char err[256];

	cr_assert_eq(webopt_parse_domains(list, &d, err, sizeof(err)), 0);
	cr_assert_eq(json_array_size(d), 100);
	json_decref(d);
}

Test(webopt, user_config_values)
{
	static const char *const bad[] = {
		"[]",
		"[1]",
		"{\"a\": 1}",
		"7",
		"true",
		"[\"a.org\", \"*\"]",
		"[\"*\", \"*\"]",
		"[\"https://a.org\"]",
		"\"\"",
		"null",
	};
	json_t *d = NULL, *v;
	char err[256];

	v = json_loads("[\"A.org\", \"b.org\"]", 0, NULL);
	cr_assert_eq(webopt_domains_json(v, &d, err, sizeof(err)), 0);
	cr_assert_eq(json_array_size(d), 2);
	cr_assert_str_eq(json_string_value(json_array_get(d, 0)), "a.org");
	json_decref(d);
	json_decref(v);
	v = json_loads("[\"*\"]", 0, NULL);
	cr_assert_eq(webopt_domains_json(v, &d, err, sizeof(err)), 0);
	cr_assert_null(d);
	json_decref(v);
	v = json_string("a.org,b.org");
	cr_assert_eq(webopt_domains_json(v, &d, err, sizeof(err)), 0);
	cr_assert_eq(json_array_size(d), 2);
	json_decref(d);
	json_decref(v);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		v = json_loads(bad[i], JSON_DECODE_ANY, NULL);
		d = NULL;
		cr_assert_eq(webopt_domains_json(v, &d, err, sizeof(err)), -1,
			     "%s accepted", bad[i]);
		cr_assert_null(d);
		json_decref(v);
	}
}

static long
h_size(const char *path)
{
	struct stat st;

	cr_assert_eq(stat(path, &st), 0);
	return (long)st.st_size;
}

static struct web_data *
data(void)
{
	struct web_data *d = NULL;
	char err[512];

	cr_assert_not_null(getenv("GAO_DEV_DATADIR"), "run through meson");
	cr_assert_eq(web_data_load(&d, err, sizeof(err)), 0, "%s", err);
	return d;
}

Test(web, definitions_from_the_data)
{
	struct web_data *d = data();
	struct webopt w = { .on = true, .max_uses = 20 };
	json_t *def;
	char *s;

	cr_assert_str_eq(web_data_beta(d), "web-fetch-2025-09-10");
	cr_assert_eq(web_per_request(d, &w), 5);
	w.max_uses = 3;
	cr_assert_eq(web_per_request(d, &w), 1);
	w.max_uses = 2;
	cr_assert_eq(web_per_request(d, &w), 1);
	w.max_uses = 11;
	cr_assert_eq(web_per_request(d, &w), 5);
	def = web_tool_def(d, "WebSearch", &w);
	s = json_dumps(def, JSON_COMPACT);
	cr_assert_str_eq(s, "{\"type\":\"web_search_20250305\",\"name\":"
			    "\"web_search\",\"max_uses\":5}");
	free(s);
	json_decref(def);
	w.domains = json_pack("[s]", "a.org");
	def = web_tool_def(d, "WebFetch", &w);
	cr_assert_str_eq(json_string_value(json_object_get(def, "type")),
			 "web_fetch_20250910");
	cr_assert_str_eq(json_string_value(json_object_get(def, "name")),
			 "web_fetch");
	cr_assert_eq(json_array_size(json_object_get(def, "allowed_domains")),
		     1);
	cr_assert(json_is_true(
		json_object_get(json_object_get(def, "citations"), "enabled")));
	json_decref(def);
	cr_assert_null(web_tool_def(d, "Bash", &w));
	cr_assert_null(web_tool_def(d, "web_search", &w));
	cr_assert(web_is_tool(d, "WebSearch"));
	cr_assert_not(web_is_tool(d, "Read"));
	cr_assert_not(web_is_tool(NULL, "WebSearch"));
	cr_assert_float_eq(web_usd_per_use(d, "WebSearch"), 0.01, 1e-12);
	cr_assert_float_eq(web_usd_per_use(d, "WebFetch"), 0, 1e-12);
	/* a fetch brings in at most its max_content_tokens (and the
	 * block's other fields); a search the data's estimate */
	cr_assert_geq(web_result_tokens(d, "WebFetch"), 20000);
	cr_assert_gt(web_result_tokens(d, "WebSearch"), 0);
	cr_assert_eq(web_result_tokens(d, "Bash"), 0);
	webopt_clear(&w);
	web_data_free(d);
}

/* A reply with hostile blocks among two real uses. */
static const char hostile[] =
	"[\"not a block\", 7, {\"type\": 3},"
	" {\"type\": \"server_tool_use\", \"name\": 5, \"id\": \"srvtoolu_a\"},"
	" {\"type\": \"server_tool_use\", \"name\": \"code_execution\","
	"  \"id\": \"srvtoolu_b\", \"input\": {}},"
	" {\"type\": \"server_tool_use\", \"name\": \"web_search\","
	"  \"id\": \"srvtoolu_c\", \"input\": {\"query\": \"q1\"}},"
	" {\"type\": \"web_search_tool_result\", \"tool_use_id\": \"srvtoolu_c\","
	"  \"content\": [{\"type\": \"web_search_result\", \"url\": \"u\"}]},"
	" {\"type\": \"server_tool_use\", \"name\": \"web_fetch\","
	"  \"id\": \"srvtoolu_d\", \"input\": \"not an object\"},"
	" {\"type\": \"web_fetch_tool_result\", \"tool_use_id\": \"srvtoolu_d\","
	"  \"content\": {\"type\": \"web_fetch_tool_error\","
	"   \"error_code\": \"url_not_allowed\"}},"
	" {\"type\": \"server_tool_use\", \"name\": \"web_search\","
	"  \"input\": {\"query\": 9}},"
	" {\"type\": \"tool_use\", \"name\": \"web_search\", \"id\": \"x\","
	"  \"input\": {}}]";

Test(web, uses_and_price)
{
	struct web_data *d = data();
	json_t *c = json_loads(hostile, 0, NULL);
	struct api_usage u = { 0 };
	int64_t s = -1, f = -1;

	cr_assert_not_null(c);
	web_uses(d, c, &u, &s, &f);
	cr_assert_eq(s, 2, "searches %lld", (long long)s);
	cr_assert_eq(f, 1);
	u.web_search_requests = 4;
	u.web_fetch_requests = 0;
	web_uses(d, c, &u, &s, &f);
	cr_assert_eq(s, 4, "usage wins when it says more");
	cr_assert_eq(f, 1, "blocks win when they say more");
	u.web_fetch_requests = 7;
	cr_assert_float_eq(web_cost_usd(d, &u), 0.04, 1e-12);
	json_decref(c);
	web_data_free(d);
}

struct lines {
	json_t *all;
};

static void
collect(void *ctx, const char *type, json_t *fields)
{
	struct lines *l = ctx;

	json_object_set_new(fields, "type", json_string(type));
	json_array_append_new(l->all, fields);
}

Test(web, records_each_use)
{
	struct web_data *d = data();
	json_t *c = json_loads(hostile, 0, NULL), *by = json_object(), *x;
	struct lines l = { json_array() };
	char dir[] = "/tmp/web-test-XXXXXX", path[64];
	struct audit *a;
	FILE *f;
	char line[4096];
	int n = 0;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a.jsonl", dir);
	a = audit_open(path);
	cr_assert_not_null(a);
	cr_assert_eq(web_record(d, c, "Mary", "Research", a, by, collect, &l),
		     3);
	cr_assert_eq(audit_count(a), 3);
	audit_close(a);
	cr_assert_eq(json_integer_value(json_object_get(by, "WebSearch")), 2);
	cr_assert_eq(json_integer_value(json_object_get(by, "WebFetch")), 1);
	x = json_array_get(l.all, 0);
	cr_assert_str_eq(json_string_value(json_object_get(x, "tool")),
			 "WebSearch");
	cr_assert_str_eq(json_string_value(json_object_get(x, "query")), "q1");
	cr_assert_str_eq(json_string_value(json_object_get(x, "server_tool")),
			 "web_search_20250305");
	cr_assert_gt(json_integer_value(json_object_get(x, "result_bytes")),
		     20);
	x = json_array_get(l.all, 1);
	cr_assert_str_eq(json_string_value(json_object_get(x, "tool")),
			 "WebFetch");
	cr_assert(json_is_null(json_object_get(x, "url")));
	cr_assert_str_eq(json_string_value(json_object_get(x, "error_code")),
			 "url_not_allowed");
	/* a use without an id has no result: recorded as an error */
	x = json_array_get(l.all, 2);
	cr_assert_eq(json_integer_value(json_object_get(x, "result_bytes")), 0);
	f = fopen(path, "re");
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f)) {
		json_t *rec = json_loads(line, 0, NULL);
		const char *want = n == 0 ? "allowed" : "error";

		cr_assert_str_eq(json_string_value(
					 json_object_get(rec, "outcome")),
				 want, "record %d", n);
		cr_assert_str_eq(json_string_value(
					 json_object_get(rec, "agent")),
				 "Mary");
		json_decref(rec);
		n++;
	}
	fclose(f);
	cr_assert_eq(n, 3);
	unlink(path);
	rmdir(dir);
	json_decref(l.all);
	json_decref(by);
	json_decref(c);
	web_data_free(d);
}

/* data/web.json is the installation's, still checked: what reaches a
 * request's headers and JSON must be plain words. One bad file per test
 * (datadir.h keeps its first answer in a process). */
static void
bad_data(const char *text, const char *why)
{
	char dir[] = "/tmp/web-data-XXXXXX", path[64], err[512] = "";
	struct web_data *d = (struct web_data *)1;
	FILE *f;

	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(setenv("GAO_DEV_DATADIR", dir, 1), 0);
	snprintf(path, sizeof(path), "%s/web.json", dir);
	f = fopen(path, "we");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	cr_assert_eq(web_data_load(&d, err, sizeof(err)), -1);
	cr_assert_null(d);
	cr_assert_not_null(strstr(err, why), "%s", err);
	cr_assert_not_null(strstr(err, "web.json"), "%s", err);
	unlink(path);
	rmdir(dir);
}

#define TOOLR(type, rt, beta) \
	"{\"type\": \"" type "\", \"name\": \"n\", \"input\": \"query\", " \
	"\"result_type\": \"r\", \"usage\": \"web_search_requests\", " \
	"\"usd_per_use\": 0.01" rt beta "}"
#define TOOL(type, beta) TOOLR(type, ", \"result_tokens\": 100", beta)

Test(web_data, header_injection_refused)
{
	bad_data(
		"{\"tools\": {\"WebSearch\": " TOOL("t", "") ", \"WebFetch\": " TOOL(
			"t", ", \"beta\": \"x\\r\\nx-api-key: k\"") "}}",
		"has a beta other than");
}

Test(web_data, odd_type_refused)
{
	bad_data("{\"tools\": {\"WebSearch\": " TOOL(
			 "t\\\"", "") ", \"WebFetch\": " TOOL("t", "") "}}",
		 "type or name");
}

/* the worst case before a call needs each tool's result_tokens: a
 * missing, odd or too small one is refused, naming the tool */
Test(web_data, result_tokens_missing_refused)
{
	bad_data("{\"tools\": {\"WebSearch\": " TOOLR(
			 "t", "", "") ", \"WebFetch\": " TOOL("t", "") "}}",
		 "tools.WebSearch lacks a result_tokens");
}

Test(web_data, result_tokens_odd_refused)
{
	bad_data(
		"{\"tools\": {\"WebSearch\": " TOOL(
			"t",
			"") ", \"WebFetch\": " TOOLR("t",
						     ", \"result_tokens\": 1.5",
						     "") "}}",
		"tools.WebFetch lacks a result_tokens");
}

Test(web_data, result_tokens_out_of_range_refused)
{
	bad_data("{\"tools\": {\"WebSearch\": " TOOLR(
			 "t", ", \"result_tokens\": 1000001",
			 "") ", \"WebFetch\": " TOOLR("t",
						      ", \"result_tokens\": 0",
						      "") "}}",
		 "tools.WebSearch lacks a result_tokens");
}

Test(web_data, result_tokens_below_the_fetch_cap_refused)
{
	bad_data(
		"{\"tools\": {\"WebSearch\": " TOOL("t", "") ", \"WebFetch\": " TOOL(
			"t", ", \"fixed\": "
			     "{\"max_content_tokens\": 101}") "}}",
		"tools.WebFetch has a result_tokens below "
		"fixed.max_content_tokens");
}

Test(web_data, missing_tool_refused)
{
	bad_data("{\"tools\": {\"WebSearch\": " TOOL("t", "") "}}",
		 "no tools WebSearch and WebFetch");
}

/* The API's strings are hostile: a record keeps at most 2 KiB of a query
 * and 127 bytes of an id, whole characters only. */
Test(web, records_cap_the_api_strings)
{
	struct web_data *d = data();
	size_t big = 10000;
	char *q = malloc(big + 1), *id = malloc(big + 1);
	json_t *c, *by = json_object(), *x;
	struct lines l = { json_array() };
	char dir[] = "/tmp/web-cap-XXXXXX", path[64];
	struct audit *a;

	cr_assert(q && id);
	for (size_t i = 0; i < big; i += 2)
		memcpy(q + i, "\xc3\xa9", 2); /* é: never cut in half */
	q[big] = 0;
	memset(id, 'x', big);
	id[big] = 0;
	c = json_pack("[{s:s,s:s,s:s,s:{s:s}}]", "type", "server_tool_use",
		      "name", "web_search", "id", id, "input", "query", q);
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a.jsonl", dir);
	a = audit_open(path);
	cr_assert_eq(web_record(d, c, "Mary", "R", a, by, collect, &l), 1);
	audit_close(a);
	x = json_array_get(l.all, 0);
	cr_assert_eq(strlen(json_string_value(json_object_get(x, "query"))),
		     2046);
	cr_assert_eq(strlen(json_string_value(
			     json_object_get(x, "tool_use_id"))),
		     127);
	cr_assert_lt(h_size(path), 3000, "the audit record is capped");
	unlink(path);
	rmdir(dir);
	free(q);
	free(id);
	json_decref(l.all);
	json_decref(by);
	json_decref(c);
	web_data_free(d);
}
