/*
 * batch_fixture.c - the batch tests' project, real worker, loop and
 * readers. See batch_fixture.h.
 *
 * Design note
 * -----------
 * Everything lives under one mkdtemp directory (project/, tmp/, the
 * audit log, the events file) that the teardown removes whole. The
 * worker is opened by path once (O_PATH), as the runner does; a test may
 * swap that fd for another program before its batch starts.
 */
#include "tests/unit/batch_fixture.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "supervisor/agent/audit.h"
#include "supervisor/core/evlog.h"
#include "supervisor/core/loop.h"

struct batch_fixture batch_fixture;

/* The fixture's shorter name here. */
static struct batch_fixture *const fx = &batch_fixture;

static void
on_line(void *ctx, const char *type, json_t *fields)
{
	struct batch_fixture *f = ctx;

	json_array_append_new(f->lines, json_pack("[s,o]", type, fields));
}

void
batch_fixture_on_done(void *ctx, const struct batch_end *end)
{
	struct batch_fixture *f = ctx;

	f->calls++;
	f->stop = end->stop;
	snprintf(f->error, sizeof(f->error), "%s",
		 end->error ? end->error : "");
	json_decref(f->results);
	f->results = json_incref(end->results);
	loop_stop(f->loop);
}

static void
on_guard(struct loop *l, void *ctx)
{
	(void)ctx;
	loop_stop(l);
}

void
batch_fixture_loop_for(uint64_t ms)
{
	uint64_t guard = loop_add_timer(fx->loop, ms, on_guard, NULL);

	loop_run(fx->loop);
	loop_cancel_timer(fx->loop, guard);
}

void
batch_fixture_loop(void)
{
	batch_fixture_loop_for(30000);
}

static const char *
worker_path(void)
{
	const char *p = getenv("GAO_TEST_WORKER");

	cr_assert_not_null(p, "GAO_TEST_WORKER is not set (meson test)");
	return p;
}

static void
make_init(void)
{
	static char *tools[] = { "Read",        "Write", "Bash",
				 "gao_measure", "Grep",  "Glob" };
	char err[512] = "";

	cr_assert_eq(policy_load_named("default", POLICY_TEST_PROFILES,
				       &fx->policy, err, sizeof(err)),
		     0, "policy: %s", err);
	cr_assert_eq(policy_to_msg(fx->policy, fx->project, fx->tmp,
				   &fx->init.policy),
		     0);
	fx->init.version = PROTO_VERSION;
	fx->init.project_dir = fx->project;
	fx->init.agent = "tester";
	fx->init.tools = tools;
	fx->init.n_tools = 6;
}

static void
make_worker_opts(void)
{
	int wfd = open(worker_path(), O_PATH | O_CLOEXEC);
	int pfd = open(fx->project, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	cr_assert_geq(wfd, 0, "%s: %s", worker_path(), strerror(errno));
	cr_assert_geq(pfd, 0);
	cr_assert_gt(asprintf(&fx->envp[0], "HOME=%s", fx->project), 0);
	cr_assert_gt(asprintf(&fx->envp[1], "TMPDIR=%s", fx->tmp), 0);
	fx->envp[2] = strdup("PATH=/usr/local/bin:/usr/bin:/bin");
	fx->wopts = (struct wconn_opts){
		.worker_fd = wfd,
		.project_fd = pfd,
		.project_path = fx->project,
		.tmp_path = fx->tmp,
		.envp = fx->envp,
		.ready_timeout_ms = 10000,
		.init = &fx->init,
	};
}

void
batch_fixture_setup(void)
{
	memset(fx, 0, sizeof(*fx));
	snprintf(fx->base, sizeof(fx->base), "/tmp/batch-test-XXXXXX");
	cr_assert_not_null(mkdtemp(fx->base));
	snprintf(fx->project, sizeof(fx->project), "%s/project", fx->base);
	snprintf(fx->tmp, sizeof(fx->tmp), "%s/tmp", fx->base);
	snprintf(fx->audit_path, sizeof(fx->audit_path), "%s/audit", fx->base);
	snprintf(fx->events_path, sizeof(fx->events_path), "%s/events",
		 fx->base);
	cr_assert_eq(mkdir(fx->project, 0700), 0);
	cr_assert_eq(mkdir(fx->tmp, 0700), 0);
	signal(SIGPIPE, SIG_IGN);
	evlog_set_mode(EVLOG_QUIET);
	make_init();
	make_worker_opts();
	fx->loop = loop_new();
	fx->events = evlog_open(fx->events_path, "test");
	fx->audit = audit_open(fx->audit_path);
	cr_assert(fx->loop && fx->events && fx->audit);
	fx->tool_defs = json_pack("[{s:s},{s:s},{s:s},{s:s},{s:s},{s:s}]",
				  "name", "Read", "name", "Write", "name",
				  "Bash", "name", "TodoWrite", "name", "Grep",
				  "name", "Glob");
	fx->lines = json_array();
	fx->stop = SESSION_N_STOPS;
}

void
batch_fixture_teardown(void)
{
	char cmd[PATH_MAX];

	batch_free(fx->b);
	audit_close(fx->audit);
	evlog_close(fx->events);
	loop_free(fx->loop);
	close(fx->wopts.worker_fd);
	close(fx->wopts.project_fd);
	json_decref(fx->tool_defs);
	json_decref(fx->lines);
	json_decref(fx->results);
	msg_policy_clear(&fx->init.policy);
	policy_free(fx->policy);
	for (size_t i = 0; i < 3; i++)
		free(fx->envp[i]);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->base);
	if (system(cmd) != 0)
		cr_log_warn("could not remove %s", fx->base);
}

void
batch_fixture_new(bool worker, uint32_t require_layers)
{
	struct batch_cfg cfg = {
		.loop = fx->loop,
		.events = fx->events,
		.audit = fx->audit,
		.agent = "tester",
		.phase = "build",
		.tool_defs = fx->tool_defs,
		.worker = worker ? &fx->wopts : NULL,
		.require_layers = require_layers,
		.transcript = on_line,
		.transcript_ctx = fx,
		.watch = fx->watch,
	};

	fx->b = batch_new(&cfg);
	cr_assert_not_null(fx->b);
}

void
batch_fixture_start(void)
{
	char err[256] = "";

	batch_fixture_new(true, 0);
	cr_assert_eq(batch_start(fx->b, batch_fixture_on_done, fx, err,
				 sizeof(err)),
		     0, "start: %s", err);
	batch_fixture_loop();
	cr_assert_eq(fx->calls, 1);
	cr_assert_eq(fx->stop, SESSION_STOP_NONE, "start: %s", fx->error);
	fx->calls = 0;
}

json_t *
batch_fixture_tool_use(const char *id, const char *name, json_t *input)
{
	return json_pack("{s:s,s:s,s:s,s:o}", "type", "tool_use", "id", id,
			 "name", name, "input", input);
}

void
batch_fixture_run(json_t *content)
{
	cr_assert_eq(batch_run(fx->b, content, batch_fixture_on_done, fx), 0);
	json_decref(content);
	batch_fixture_loop();
	cr_assert_eq(fx->calls, 1, "the callback ran %d times", fx->calls);
}

json_t *
batch_fixture_result(size_t i)
{
	return json_array_get(fx->results, i);
}

const char *
batch_fixture_result_text(size_t i)
{
	return json_string_value(
		json_object_get(batch_fixture_result(i), "content"));
}

bool
batch_fixture_result_error(size_t i)
{
	return json_is_true(
		json_object_get(batch_fixture_result(i), "is_error"));
}

json_t *
batch_fixture_audit(void)
{
	char head[65], why[256];
	uint64_t count = 0;
	json_t *recs = json_array();
	char line[16384];
	FILE *f;

	cr_assert_eq(audit_verify_file(fx->audit_path, head, &count, why,
				       sizeof(why)),
		     0, "audit: %s", why);
	f = fopen(fx->audit_path, "re");
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f))
		json_array_append_new(recs, json_loads(line, 0, NULL));
	fclose(f);
	cr_assert_eq(json_array_size(recs), count);
	return recs;
}

const char *
batch_fixture_str(const json_t *a, size_t i, const char *key)
{
	return json_string_value(json_object_get(json_array_get(a, i), key));
}

json_t *
batch_fixture_events(const char *name)
{
	char line[16384];
	json_t *out = json_array();
	FILE *f = fopen(fx->events_path, "re");

	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f)) {
		json_t *e = json_loads(line, 0, NULL);

		if (e && strcmp(json_string_value(json_object_get(e, "event")),
				name) == 0)
			json_array_append(out, e);
		json_decref(e);
	}
	fclose(f);
	return out;
}

int
batch_fixture_count_events(const char *name)
{
	json_t *evs = batch_fixture_events(name);
	int n = (int)json_array_size(evs);

	json_decref(evs);
	return n;
}

bool
batch_fixture_has(const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", fx->project, rel);
	return access(path, F_OK) == 0;
}

int
batch_fixture_count_lines(const char *type)
{
	json_t *l;
	size_t i;
	int n = 0;

	json_array_foreach(fx->lines, i, l)
		n += strcmp(json_string_value(json_array_get(l, 0)), type) == 0;
	return n;
}
