/*
 * test_api_bounds.c - answers a well-behaved server never gives, through
 * the real gao-dev against the fake API (issue 15, the API side): an SSE
 * event of tens of megabytes, headers that never end (fast and slowly),
 * TLS that fails (a self-signed certificate, a plain-HTTP server behind
 * an https:// base URL), and the user config's idle_timeout: key.
 *
 * Each ends the run with its own clear outcome (stop_reason, error type,
 * message) within the configured limits, and each test is cheap: the
 * only wait is one 5 s idle timeout (the option's minimum).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness_api.h"

#define KEYOPTS(t, ...) \
	((const char *const[]){ "--api-key-file", (t)->key, __VA_ARGS__ })
#define WRITE_SCENARIO "tests/integration/scenarios/api-write.json"

struct seen {
	json_t *res, *events, *retried, *posts, *ends;
};

static void
look(struct ha_run *t, struct seen *s)
{
	json_t *rec = ha_records(t);

	s->res = ha_results(t);
	s->events = ha_events(s->res);
	s->retried = ha_events_named(s->events, "api_call_retried");
	s->ends = ha_events_named(s->events, "api_call_completed");
	s->posts = ha_posts(rec);
	json_decref(rec);
}

static void
done(struct ha_run *t, struct seen *s)
{
	json_decref(s->res);
	json_decref(s->events);
	json_decref(s->retried);
	json_decref(s->ends);
	json_decref(s->posts);
	ha_finish(t);
}

static void
expect_end(const struct ha_run *t, const struct seen *s, int code,
	   const char *reason)
{
	cr_assert_eq(t->out.code, code, "exit %d, expected %d; stderr:\n%s",
		     t->out.code, code, t->out.err);
	cr_assert_str_eq(ha_str(s->res, "status"), "error");
	cr_assert_str_eq(ha_str(s->res, "stop_reason"), reason, "%s: %s",
			 ha_str(s->res, "stop_reason"),
			 ha_str(s->res, "errors.0"));
	cr_assert_str_eq(ha_str(s->res, "phases.0.status"), "error");
	cr_assert_not_null(strstr(t->out.out, reason), "summary:\n%s",
			   t->out.out);
}

static void
expect_in_error(const struct seen *s, const char *needle)
{
	const char *err = ha_str(s->res, "errors.0");

	cr_assert_not_null(strstr(err, needle), "'%s' not in: %s", needle, err);
}

/* A user config holding text, in the test's dir; "GAO_DEV_CONFIG=..." */
static void
user_config(const struct ha_run *t, const char *text, char *env, size_t cap)
{
	char path[400];

	snprintf(path, sizeof(path), "%s/config.yaml", t->dir);
	ha_write_file(path, text, 0600);
	snprintf(env, cap, "GAO_DEV_CONFIG=%s", path);
}

/* --- one SSE event of tens of megabytes ------------------------------ */

Test(bounds, huge_sse_event_ends_the_call_at_once_in_bounded_memory)
{
	struct ha_run t;
	struct seen s;

	/* 128 MiB in one event, on every attempt: the first one ends it */
	ha_setup_faults(&t, WRITE_SCENARIO,
			"[{\"conversation\": \"amelia\", \"turn\": 0, "
			"\"attempt\": \"all\", \"kind\": \"huge_event\", "
			"\"size_mb\": 128}]",
			H_TEST_KEY);
	ha_run(&t, KEYOPTS(&t, NULL), NULL);
	look(&t, &s);
	expect_end(&t, &s, 4, "bad_response");
	cr_assert_eq(json_array_size(s.posts), 1, "retried: %zu attempts",
		     json_array_size(s.posts));
	cr_assert_eq(json_array_size(s.retried), 0);
	cr_assert_str_eq(ha_str(s.ends, "0.error_type"), "event_too_large");
	cr_assert_str_eq(ha_str(s.ends, "0.outcome"), "bad_response");
	expect_in_error(&s, "16 MiB");
	expect_in_error(&s, "not retried");
	printf("huge event: gao-dev peak RSS %ld KiB\n", t.maxrss_kb);
	/* far below the 128 MiB sent: the event was never held whole */
	if (!getenv("GAO_TEST_SANITIZED"))
		cr_assert_lt(t.maxrss_kb, 64 * 1024, "peak RSS %ld KiB",
			     t.maxrss_kb);
	cr_assert_lt(t.seconds, 20.0);
	done(&t, &s);
}

/* --- headers that never end -------------------------------------------- */

/*
 * The run t recorded into t->dir/rec replays, in a fresh sandbox root and
 * with no request to the fake, to the same end: the same stop_reason and
 * the same error_type on every attempt (a recording keeps why the client
 * cut an attempt's headers, which no status or transport code says).
 */
static void
replays_alike(struct ha_run *t, const struct seen *live)
{
	json_t *before = ha_records(t), *after;
	struct seen s;
	size_t i;
	json_t *e;

	snprintf(t->root + strlen(t->root), sizeof(t->root) - strlen(t->root),
		 "-replay");
	cr_assert_eq(mkdir(t->root, 0700), 0, "%s", t->root);
	ha_run(t, (const char *const[]){ "--replay", "rec", NULL }, NULL);
	s.res = ha_results(t);
	s.events = ha_events(s.res);
	s.retried = ha_events_named(s.events, "api_call_retried");
	s.ends = ha_events_named(s.events, "api_call_completed");
	cr_assert_eq(t->out.code, 4, "replay: exit %d; stderr:\n%s",
		     t->out.code, t->out.err);
	cr_assert_str_eq(ha_str(s.res, "stop_reason"),
			 ha_str(live->res, "stop_reason"));
	cr_assert_str_eq(ha_str(s.res, "recording.mode"), "replayed");
	cr_assert_eq(json_array_size(s.retried),
		     json_array_size(live->retried));
	json_array_foreach(live->retried, i, e)
		cr_assert_str_eq(ha_str(json_array_get(s.retried, i),
					"error_type"),
				 ha_str(e, "error_type"));
	cr_assert_str_eq(ha_str(s.ends, "0.error_type"),
			 ha_str(live->ends, "0.error_type"));
	after = ha_records(t);
	cr_assert_eq(json_array_size(after), json_array_size(before),
		     "the replay reached the fake");
	json_decref(before);
	json_decref(after);
	json_decref(s.res);
	json_decref(s.events);
	json_decref(s.retried);
	json_decref(s.ends);
}

Test(bounds, endless_headers_hit_the_size_bound_and_count_as_a_bad_answer)
{
	struct ha_run t;
	struct seen s;

	/* header lines as fast as the socket takes them, every attempt */
	ha_setup_faults(&t, WRITE_SCENARIO,
			"[{\"conversation\": \"amelia\", \"turn\": 0, "
			"\"attempt\": \"all\", \"kind\": \"endless_headers\"}]",
			H_TEST_KEY);
	ha_run(&t, KEYOPTS(&t, "--record", "rec", NULL), NULL);
	look(&t, &s);
	expect_end(&t, &s, 4, "bad_response");
	cr_assert_eq(json_array_size(s.posts), 2, "%zu attempts, not 2",
		     json_array_size(s.posts));
	cr_assert_eq(json_array_size(s.retried), 1);
	cr_assert_str_eq(ha_str(s.retried, "0.error_type"),
			 "headers_too_large");
	expect_in_error(&s, "64 KiB");
	expect_in_error(&s, "same malformed answer");
	cr_assert_lt(t.seconds, 20.0);
	replays_alike(&t, &s);
	done(&t, &s);
}

/*
 * Header lines every 0.5 s (never 5 s without a byte, so the idle timeout
 * alone would wait forever): the header deadline, the idle timeout taken
 * from the user config's idle_timeout: 5, ends the attempt.
 */
Test(bounds, slow_endless_headers_meet_the_header_deadline_from_the_config)
{
	struct ha_run t;
	struct seen s;
	char env[512];

	ha_setup_faults(&t, WRITE_SCENARIO,
			"[{\"request\": 1, \"kind\": \"endless_headers\", "
			"\"interval_ms\": 500}]",
			H_TEST_KEY);
	user_config(&t, "idle_timeout: 5\n", env, sizeof(env));
	ha_run(&t, KEYOPTS(&t, "--max-retries", "0", "--record", "rec", NULL),
	       (const char *const[]){ env, NULL });
	look(&t, &s);
	expect_end(&t, &s, 4, "retries_exhausted");
	cr_assert_str_eq(ha_str(s.ends, "0.error_type"), "header_timeout");
	expect_in_error(&s, "did not end within 5 s");
	cr_assert(ha_int(s.ends, "0.latency_ms") >= 4500 &&
			  ha_int(s.ends, "0.latency_ms") < 9000,
		  "ended after %lld ms", ha_int(s.ends, "0.latency_ms"));
	replays_alike(&t, &s);
	done(&t, &s);
}

/* --- TLS ------------------------------------------------------------- */

/* A self-signed certificate for 127.0.0.1 in dir (openssl req). */
static void
self_signed(const char *dir, char *cert, char *key, size_t cap)
{
	char cmd[2048];

	snprintf(cert, cap, "%s/cert.pem", dir);
	snprintf(key, cap, "%s/key.pem", dir);
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey rsa:2048 -nodes -days 1 "
		 "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 "
		 "-keyout '%s' -out '%s' >/dev/null 2>&1",
		 key, cert);
	cr_assert_eq(system(cmd), 0, "openssl req failed");
}

Test(bounds, self_signed_certificate_is_not_trusted_and_not_retried)
{
	struct ha_run t;
	struct seen s;
	char sc[512], cert[512], key[512];
	json_t *rec;

	memset(&t, 0, sizeof(t));
	h_tmpdir(t.dir, sizeof(t.dir));
	ha_scenario(t.dir, WRITE_SCENARIO, NULL, sc, sizeof(sc));
	self_signed(t.dir, cert, key, sizeof(cert));
	h_keyfile(t.dir, H_TEST_KEY, t.key, sizeof(t.key));
	snprintf(t.root, sizeof(t.root), "%s/sandbox", t.dir);
	h_src("tests/integration/scenarios/api-bench.yaml", t.config,
	      sizeof(t.config));
	h_fake_start_tls(&t.fake, sc, t.key, t.dir, cert, key);
	snprintf(t.base, sizeof(t.base),
		 "ANTHROPIC_BASE_URL=https://127.0.0.1:%d", t.fake.port);

	/* the key check at startup says so and exits 4 */
	ha_run(&t, KEYOPTS(&t, NULL), NULL);
	cr_assert_eq(t.out.code, 4, "exit %d; stderr:\n%s", t.out.code,
		     t.out.err);
	cr_assert_not_null(strstr(t.out.err, "not trusted"), "%s", t.out.err);
	cr_assert_not_null(strstr(t.out.err, "ANTHROPIC_BASE_URL"));

	/* past it, the run's first call ends tls_error, without a retry */
	ha_run(&t, KEYOPTS(&t, "--skip-key-validation", NULL), NULL);
	look(&t, &s);
	expect_end(&t, &s, 4, "tls_error");
	cr_assert_eq(json_array_size(s.retried), 0, "retried");
	cr_assert_str_eq(ha_str(s.ends, "0.error_type"), "tls_untrusted");
	expect_in_error(&s, "certificate is not trusted");
	/* nothing, the key least of all, went over the untrusted link */
	rec = ha_records(&t);
	cr_assert_eq(json_array_size(rec), 0, "the fake saw a request");
	json_decref(rec);
	done(&t, &s);
}

Test(bounds, plain_http_behind_https_fails_the_handshake_twice_then_ends)
{
	struct ha_run t;
	struct seen s;

	ha_setup(&t, WRITE_SCENARIO, H_TEST_KEY);
	snprintf(t.base, sizeof(t.base),
		 "ANTHROPIC_BASE_URL=https://127.0.0.1:%d", t.fake.port);
	ha_run(&t, KEYOPTS(&t, "--skip-key-validation", NULL), NULL);
	look(&t, &s);
	expect_end(&t, &s, 4, "tls_error");
	cr_assert_eq(json_array_size(s.retried), 1, "%zu retries",
		     json_array_size(s.retried));
	cr_assert_str_eq(ha_str(s.retried, "0.error_type"), "tls_handshake");
	cr_assert_str_eq(ha_str(s.ends, "0.outcome"), "tls_error");
	expect_in_error(&s, "TLS handshake failed");
	expect_in_error(&s, "same failure on attempts 1 and 2");
	done(&t, &s);
}

/* --- idle_timeout: in the user config --------------------------------- */

Test(bounds, idle_timeout_in_the_user_config_is_checked)
{
	static const char *const bad[] = {
		"idle_timeout: 4\n",      "idle_timeout: 3601\n",
		"idle_timeout: \"30\"\n", "idle_timeout: 5.5\n",
		"idle_timeout: -1\n",     "idle_timeout: [5]\n"
	};
	struct ha_run t;
	char env[512];

	ha_setup(&t, WRITE_SCENARIO, H_TEST_KEY);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		user_config(&t, bad[i], env, sizeof(env));
		ha_run(&t, KEYOPTS(&t, NULL),
		       (const char *const[]){ env, NULL });
		cr_assert_eq(t.out.code, 2, "%s: exit %d; stderr:\n%s", bad[i],
			     t.out.code, t.out.err);
		cr_assert_not_null(strstr(t.out.err, "config.yaml:1:"), "%s",
				   t.out.err);
		cr_assert_not_null(strstr(t.out.err,
					  "idle_timeout: expected a whole "
					  "number of seconds from 5 to 3600"),
				   "%s", t.out.err);
	}
	/* the option wins: the file's bad value is not even read */
	user_config(&t, "idle_timeout: 4\n", env, sizeof(env));
	ha_run(&t, KEYOPTS(&t, "--idle-timeout", "60", NULL),
	       (const char *const[]){ env, NULL });
	cr_assert_eq(t.out.code, 0, "exit %d; stderr:\n%s", t.out.code,
		     t.out.err);
	ha_finish(&t);
}
