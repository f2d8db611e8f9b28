/*
 * test_schema_check.c - the validator of schema_check.h, and the real
 * docs/results.schema.json against a results document built here.
 *
 * The first suite checks each keyword on a small schema: a valid document
 * passes, and each kind of mistake is reported with its path. The second
 * loads docs/results.schema.json (every keyword it uses must be one the
 * validator knows) and shows that it accepts a complete results document
 * and rejects the mistakes the results writer could make.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "schema_check.h"

static const char small_schema[] =
	"{\"$schema\": \"https://json-schema.org/draft/2020-12/schema\","
	" \"title\": \"t\", \"type\": \"object\","
	" \"required\": [\"id\", \"kind\", \"items\"],"
	" \"additionalProperties\": false,"
	" \"properties\": {"
	"  \"id\": {\"type\": \"string\", \"pattern\": \"^[a-z]+-[0-9]{2}$\"},"
	"  \"kind\": {\"enum\": [\"a\", \"b\"]},"
	"  \"n\": {\"type\": \"integer\", \"minimum\": 0},"
	"  \"cost\": {\"type\": [\"number\", \"null\"]},"
	"  \"tag\": {\"const\": \"x\"},"
	"  \"items\": {\"type\": \"array\","
	"             \"items\": {\"$ref\": \"#/$defs/it\"}},"
	"  \"map\": {\"type\": \"object\","
	"           \"additionalProperties\": {\"type\": \"integer\"}}"
	" },"
	" \"$defs\": {\"it\": {\"oneOf\": ["
	"   {\"type\": \"object\", \"required\": [\"s\"],"
	"    \"additionalProperties\": false,"
	"    \"properties\": {\"s\": {\"const\": \"skipped\"}}},"
	"   {\"type\": \"object\", \"required\": [\"s\", \"t\"],"
	"    \"additionalProperties\": false,"
	"    \"properties\": {\"s\": {\"enum\": [\"ok\", \"bad\"]},"
	"                   \"t\": {\"type\": \"number\"}}}"
	" ]}}}";

static json_t *
parse(const char *text)
{
	json_error_t je;
	json_t *v = json_loads(text, 0, &je);

	cr_assert_not_null(v, "bad JSON in the test: %s: %s", je.text, text);
	return v;
}

/* Validate doc (JSON text) against the small schema: the problems. */
static json_t *
problems(const char *doc)
{
	json_t *s = parse(small_schema), *d = parse(doc), *errs = json_array();
	int n = schema_check(s, d, errs);

	cr_assert_eq((size_t)n, json_array_size(errs), "return value %d", n);
	json_decref(s);
	json_decref(d);
	return errs;
}

/* doc has exactly one problem, and it contains needle. */
static void
one_problem(const char *doc, const char *needle)
{
	json_t *errs = problems(doc);
	char *all = json_dumps(errs, JSON_INDENT(1));

	cr_assert_geq(json_array_size(errs), 1, "no problem found in %s", doc);
	cr_assert_not_null(strstr(json_string_value(json_array_get(errs, 0)),
				  needle),
			   "want \"%s\" in %s", needle, all);
	free(all);
	json_decref(errs);
}

#define OK_DOC \
	"{\"id\": \"run-42\", \"kind\": \"a\", \"n\": 3, " \
	"\"cost\": null, \"tag\": \"x\", \"map\": {\"Bash\": 2}, " \
	"\"items\": [{\"s\": \"skipped\"}, {\"s\": \"ok\", \"t\": 1.5}]}"

Test(validator, valid_document)
{
	json_t *errs = problems(OK_DOC);

	cr_assert_eq(json_array_size(errs), 0, "%s",
		     json_string_value(json_array_get(errs, 0)));
	json_decref(errs);
	errs = problems("{\"id\": \"x-00\", \"kind\": \"b\", \"items\": [],"
			" \"n\": 2.0, \"cost\": 0.25}");
	cr_assert_eq(json_array_size(errs), 0, "%s (2.0 is an integer)",
		     json_string_value(json_array_get(errs, 0)));
	json_decref(errs);
}

Test(validator, each_mistake_is_named_with_its_path)
{
	one_problem("{\"id\": 7, \"kind\": \"a\", \"items\": []}",
		    "$.id: expected string, found integer");
	one_problem("{\"id\": \"RUN-1\", \"kind\": \"a\", \"items\": []}",
		    "$.id: \"RUN-1\" does not match");
	one_problem("{\"id\": \"a-01\", \"kind\": \"c\", \"items\": []}",
		    "$.kind: \"c\" is not one of");
	one_problem("{\"id\": \"a-01\", \"items\": []}",
		    "$: missing required key \"kind\"");
	one_problem("{\"id\": \"a-01\", \"kind\": \"a\", \"items\": [], "
		    "\"extra\": 1}",
		    "$: unexpected key \"extra\"");
	one_problem("{\"id\": \"a-01\", \"kind\": \"a\", \"items\": [], "
		    "\"n\": -1}",
		    "$.n: -1 is below the minimum 0");
	one_problem("{\"id\": \"a-01\", \"kind\": \"a\", \"items\": [], "
		    "\"n\": 1.5}",
		    "$.n: expected integer, found number");
	one_problem("{\"id\": \"a-01\", \"kind\": \"a\", \"items\": [], "
		    "\"cost\": \"1\"}",
		    "$.cost: expected one of");
	one_problem("{\"id\": \"a-01\", \"kind\": \"a\", \"items\": [], "
		    "\"tag\": \"y\"}",
		    "$.tag: \"y\" is not \"x\"");
	one_problem("{\"id\": \"a-01\", \"kind\": \"a\", \"items\": [], "
		    "\"map\": {\"Bash\": \"2\"}}",
		    "$.map.Bash: expected integer");
	one_problem("{\"id\": \"a-01\", \"kind\": \"a\", \"items\": 3}",
		    "$.items: expected array");
}

Test(validator, one_of_needs_exactly_one_match)
{
	json_t *errs;

	/* matches neither: the closest alternative explains why */
	errs = problems("{\"id\": \"a-01\", \"kind\": \"a\", "
			"\"items\": [{\"s\": \"ok\", \"t\": \"1\"}]}");
	cr_assert_geq(json_array_size(errs), 2);
	cr_assert_not_null(strstr(json_string_value(json_array_get(errs, 0)),
				  "$.items[0]: matches none of the 2 oneOf"));
	cr_assert_not_null(strstr(json_string_value(json_array_get(errs, 1)),
				  "$.items[0].t: expected number"));
	json_decref(errs);
	/* an ambiguous schema: both alternatives match */
	json_t *s = parse("{\"oneOf\": [{\"type\": \"number\"}, "
			  "{\"minimum\": 0}]}");
	json_t *d = json_integer(4);

	errs = json_array();
	cr_assert_eq(schema_check(s, d, errs), 1);
	cr_assert_not_null(strstr(json_string_value(json_array_get(errs, 0)),
				  "matches 2 oneOf alternatives"));
	json_decref(errs);
	json_decref(s);
	json_decref(d);
}

Test(validator, unsupported_schemas_are_refused)
{
	static const char *const bad[] = {
		"{\"type\": \"string\", \"maxLength\": 3}",
		"{\"$ref\": \"#/definitions/x\"}",
		"{\"$ref\": \"#/$defs/missing\"}",
		"{\"type\": \"string\", \"pattern\": \"([a-z\"}",
		"{\"properties\": []}",
		("{\"$defs\": {\"l\": {\"$ref\": \"#/$defs/l\"}}, "
		 "\"$ref\": \"#/$defs/l\"}"),
	};
	json_t *doc = json_string("abc");

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		json_t *s = parse(bad[i]), *errs = json_array();

		cr_assert_eq(schema_check(s, doc, errs), -1, "%s", bad[i]);
		cr_assert_not_null(strstr(json_string_value(
						  json_array_get(errs, 0)),
					  "schema at $"),
				   "%s", bad[i]);
		json_decref(errs);
		json_decref(s);
	}
	json_decref(doc);
}

Test(validator, text_form)
{
	json_t *s = parse(small_schema), *d = parse(OK_DOC);
	char *text = schema_check_text(s, d);

	cr_assert_null(text);
	json_object_set_new(d, "kind", json_string("z"));
	json_object_del(d, "id");
	text = schema_check_text(s, d);
	cr_assert_not_null(text);
	cr_assert_not_null(strstr(text, "missing required key \"id\"\n"));
	cr_assert_not_null(strstr(text, "$.kind: \"z\" is not one of"));
	free(text);
	json_decref(s);
	json_decref(d);
}

/* ---- docs/results.schema.json ------------------------------------------ */

static json_t *
results_schema(void)
{
	char path[512];
	json_error_t je;
	json_t *s;

	h_src("docs/results.schema.json", path, sizeof(path));
	s = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	cr_assert_not_null(s, "%s:%d: %s", path, je.line, je.text);
	return s;
}

static json_t *
tokens(void)
{
	return json_pack("{s:i,s:i,s:i,s:i}", "input", 10, "output", 20,
			 "cache_creation", 0, "cache_read", 5);
}

/* A results document with one phase of each kind. */
static json_t *
results_doc(void)
{
	const char *hash = "sha256:0123456789abcdef0123456789abcdef"
			   "0123456789abcdef0123456789abcdef";
	const char *head = "0123456789abcdef0123456789abcdef"
			   "0123456789abcdef0123456789abcdef";
	json_t *agent = json_pack(
		"{s:s,s:s,s:s,s:s,s:s,s:s,s:f,s:i,s:i,s:i,"
		"s:i,s:i,s:o,s:{s:i},s:f,s:s,s:s,s:{s:i,s:i,s:i,s:s},s:s,s:s,"
		"s:s,s:n,s:s,s:{s:[s],s:[s],s:[]}}",
		"name", "Implementation", "agent", "Amelia", "status",
		"success", "stop_reason", "end_turn", "start_time",
		"2026-11-24T04:50:33Z", "end_time", "2026-11-24T04:50:34Z",
		"duration_seconds", 0.7, "turns", 2, "api_calls", 2,
		"tool_calls", 1, "tool_errors", 0, "tool_calls_refused", 0,
		"tokens", tokens(), "tools_by_name", "Bash", 1, "cost_usd",
		0.01, "model", "claude-sonnet-5-5", "policy", "default",
		"isolation", "layers", 2039, "landlock_abi", 7, "uid", 65534,
		"summary", "landlock-abi7,seccomp", "transcript",
		"/s/runs/x/agents/01-i-amelia.transcript.jsonl", "audit_log",
		"/s/runs/x/agents/01-i-amelia.audit.jsonl", "audit_head", head,
		"todos", "final_text", "done", "artifacts", "expected", "a.py",
		"found", "a.py", "missing");
	json_t *cmd = json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:f,s:f,s:o,s:s}",
				"name", "Lint", "agent", "command", "command",
				"make lint", "status", "failed", "stop_reason",
				"nonzero_exit", "exit_code", 2,
				"duration_seconds", 0.2, "cost_usd", 0.0,
				"tokens", tokens(), "output", "lint: 3 errors");
	json_t *skip = json_pack("{s:s,s:s,s:s,s:s,s:f,s:o}", "name", "Docs",
				 "agent", "John", "status", "skipped", "reason",
				 "skip_if_failed: the previous phase failed",
				 "cost_usd", 0.0, "tokens", tokens());
	json_t *doc;

	json_object_set_new(agent, "audit_records", json_integer(3));
	doc = json_pack("{s:s,s:s,s:s,s:i,s:s,s:s,s:f,"
			"s:{s:s,s:s,s:s,s:s,s:s},s:{s:s},s:[o,o,o],"
			"s:{s:o,s:n,s:i,s:i,s:i,s:i,s:i,s:{}},"
			"s:[{s:s,s:s,s:s}],s:{s:[s],s:s},"
			"s:{s:s,s:s,s:s,s:s,s:{s:s,s:s},s:s,s:b},"
			"s:[s],s:[],s:s,s:s,s:s,s:s,s:f}",
			"run_id", "demo-calculator-20261124-045032-93567660",
			"status", "failed", "stop_reason", "phase_failed",
			"exit_code", 1, "start_time", "2026-11-24T04:50:32Z",
			"end_time", "2026-11-24T04:50:34Z", "duration_seconds",
			1.2, "benchmark", "name", "demo-calculator", "version",
			"1.0.0", "config_file", "/b/demo.yaml", "mode",
			"phases", "prompt_hash", hash, "config", "name",
			"demo-calculator", "phases", agent, cmd, skip,
			"metrics", "tokens", tokens(), "cost_usd", "api_calls",
			2, "retries", 0, "tool_calls", 1, "tool_errors", 0,
			"tool_calls_refused", 0, "tools_by_name",
			"success_criteria", "name", "tests_passing", "outcome",
			"skipped", "reason", "no tests", "isolation", "workers",
			"landlock-abi7", "summary", "landlock-abi7",
			"reproduce", "gao_dev_version", "0.1.0", "model",
			"claude-sonnet-5-5", "api_version", "2026-10-21",
			"price_table_date", "2026-11-01", "policy", "name",
			"default", "hash", head, "kernel", "6.1.0", "streaming",
			1, "errors", "phase Lint: exit 2", "warnings",
			"project_dir", "/s/projects/x", "run_dir", "/s/runs/x",
			"git_dir", "/s/runs/x/git", "results_file",
			"/s/results/x.json", "max_cost_usd", 10.0);
	json_object_set_new(doc, "audit_format", json_integer(1));
	return doc;
}

/* doc (consumed) must be rejected by the schema, for the reason why. */
static void
rejected(json_t *schema, json_t *doc, const char *why)
{
	char *text = schema_check_text(schema, doc);

	cr_assert_not_null(text, "accepted: %s", why);
	free(text);
	json_decref(doc);
}

Test(results_schema, accepts_a_complete_document)
{
	json_t *s = results_schema(), *d = results_doc();
	char *text;

	cr_assert_not_null(d);
	text = schema_check_text(s, d);
	cr_assert_null(text, "%s", text);
	json_decref(d);
	json_decref(s);
}

Test(results_schema, rejects_what_the_writer_must_not_write)
{
	json_t *s = results_schema(), *d, *p;

	d = results_doc();
	json_object_set_new(d, "status", json_string("done"));
	rejected(s, d, "an unknown run status");
	d = results_doc();
	json_object_del(d, "run_id");
	rejected(s, d, "no run_id");
	d = results_doc();
	json_object_set_new(d, "run_id", json_string("demo-2026-abc"));
	rejected(s, d, "a run id of another form");
	d = results_doc();
	json_object_set_new(d, "exit_code", json_integer(7));
	rejected(s, d, "an exit code outside the table");
	d = results_doc();
	json_object_set_new(d, "surprise", json_true());
	rejected(s, d, "an undocumented top-level key");
	d = results_doc();
	p = json_array_get(json_object_get(d, "phases"), 0);
	json_object_set_new(p, "status", json_string("skipped"));
	rejected(s, d, "an agent phase marked skipped");
	d = results_doc();
	p = json_array_get(json_object_get(d, "phases"), 1);
	json_object_del(p, "exit_code");
	rejected(s, d, "a command phase without its exit code");
	d = results_doc();
	p = json_array_get(json_object_get(d, "phases"), 2);
	json_object_del(p, "reason");
	rejected(s, d, "a skipped phase without a reason");
	d = results_doc();
	p = json_array_get(json_object_get(d, "success_criteria"), 0);
	json_object_set_new(p, "outcome", json_string("ok"));
	rejected(s, d, "a criterion outcome other than passed/failed/skipped");
	d = results_doc();
	p = json_object_get(json_object_get(d, "metrics"), "tokens");
	json_object_set_new(p, "input", json_integer(-1));
	rejected(s, d, "negative tokens");
	d = results_doc();
	json_object_set_new(d, "start_time", json_string("2026-11-24 04:50"));
	rejected(s, d, "a time that is not UTC ISO-8601");
	json_decref(s);
}
