/*
 * run_phase.c - everything a phase's agent session needs: its persona,
 * policy, granted tools, prompts, worker environment and file paths.
 *
 * Design note
 * -----------
 * The policy is chosen per agent: --policy, else the config's "policy"
 * key, else "default" for agents that run Bash and "strict" for the rest.
 * The tools offered to the model are the agent's tools that the policy
 * allows, in the fixed order of data/tools.json (a stable prefix keeps the
 * prompt cache warm). WebSearch and WebFetch are never offered: there is
 * no search backend (DECISIONS.md); the run records a warning instead.
 * Prompts come from data/prompts/ templates with {name} placeholders and
 * contain no timestamps, so they are byte-stable across turns.
 */
#include "supervisor/run/run_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "supervisor/core/datadir.h"
#include "supervisor/core/text.h"
#include "supervisor/sandbox/spawn_ns.h"

static char *
read_text(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	n = getdelim(&buf, &cap, 0, f);
	fclose(f);
	if (n < 0) {
		free(buf);
		return strdup("");
	}
	return buf;
}

int
run_load_data(struct run *r, char *err, size_t errlen)
{
	char path[PATH_MAX];
	json_error_t je;

	run_path(path, sizeof(path), "%s/tools.json", datadir_path());
	r->tool_defs = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_array(r->tool_defs)) {
		snprintf(err, errlen, "%s:%d: %s", path, je.line, je.text);
		return -1;
	}
	run_path(path, sizeof(path), "%s/prompts/system.txt", datadir_path());
	r->system_tpl = read_text(path, err, errlen);
	run_path(path, sizeof(path), "%s/prompts/task.txt", datadir_path());
	r->task_tpl = read_text(path, err, errlen);
	return r->system_tpl && r->task_tpl ? 0 : -1;
}

/* Replace every {key} of tpl with vars[key]; unknown keys stay. */
static char *
fill(const char *tpl, const json_t *vars)
{
	size_t cap = strlen(tpl) + 1, o = 0;
	char *out = malloc(cap);

	for (const char *p = tpl; out && *p;) {
		const char *end = *p == '{' ? strchr(p, '}') : NULL;
		const char *val = NULL;
		char key[64];

		if (end && (size_t)(end - p - 1) < sizeof(key)) {
			memcpy(key, p + 1, (size_t)(end - p - 1));
			key[end - p - 1] = 0;
			val = json_string_value(json_object_get(vars, key));
		}
		size_t n = val ? strlen(val) : 1;

		if (o + n + 1 > cap) {
			char *q = realloc(out, (o + n + 1) * 2);

			if (!q) {
				free(out);
				return NULL;
			}
			out = q;
			cap = (o + n + 1) * 2;
		}
		memcpy(out + o, val ? val : p, n);
		o += n;
		p = val ? end + 1 : p + 1;
	}
	if (out)
		out[o] = 0;
	return out;
}

static const char *
policy_for(const struct run *r, const struct agent_def *a)
{
	if (r->env->policy)
		return r->env->policy;
	if (r->b->policy)
		return r->b->policy;
	return agents_has_tool(a, "Bash") ? "default" : "strict";
}

/* The granted tools' API definitions, in data/tools.json order. */
static json_t *
granted_defs(struct run *r, const struct agent_def *a,
	     const struct policy *p)
{
	json_t *out = json_array(), *d, *t;
	size_t i;

	json_array_foreach(r->tool_defs, i, d) {
		const char *name = json_string_value(json_object_get(d, "name"));

		/* TodoWrite never reaches a worker: no policy restricts it */
		if (agents_has_tool(a, name) && (policy_allows_tool(p, name) ||
						 !strcmp(name, "TodoWrite")))
			json_array_append(out, d);
	}
	json_array_foreach(a->tools, i, t) {
		const char *name = json_string_value(t);

		if (strcmp(name, "WebSearch") == 0 ||
		    strcmp(name, "WebFetch") == 0) {
			json_array_append_new(r->warnings, json_sprintf(
				"%s: %s left out: gao-dev has no web search "
				"backend", a->name, name));
		}
	}
	return out;
}

/*
 * git's global config for the worker, in its private tmp: the project
 * belongs to the worker's uid but a file:// boilerplate may not, and
 * safe.directory is only honoured in a global config.
 */
static void
write_gitconfig(const struct run *r, const char *tmp)
{
	char path[PATH_MAX];
	FILE *f;

	if (run_path(path, sizeof(path), "%s/.gitconfig", tmp) < 0)
		return;
	f = fopen(path, "wex");
	if (!f)
		return;
	fputs("[safe]\n\tdirectory = *\n[user]\n\tname = gao-dev agent\n"
	      "\temail = agent@gao-dev.invalid\n[init]\n\tdefaultBranch = "
	      "main\n", f);
	/* created 0600 (umask): the worker's uid must own it to read it */
	if (geteuid() == 0 &&
	    fchown(fileno(f), r->worker_uid, r->worker_uid) < 0)
		unlink(path);
	fclose(f);
}

/* The worker's whole environment: nothing inherited. */
static char **
worker_env(const struct run *r, const char *tmp)
{
	char **env = calloc(12, sizeof(char *));
	int i = 0;

	if (!env)
		return NULL;
	write_gitconfig(r, tmp);
	if (asprintf(&env[i++], "HOME=%s", r->project_dir) < 0 ||
	    asprintf(&env[i++], "TMPDIR=%s", tmp) < 0)
		return env;
	env[i++] = strdup("PATH=/usr/local/bin:/usr/bin:/bin");
	env[i++] = strdup("LANG=C.UTF-8");
	env[i++] = strdup("TERM=dumb");
	env[i++] = strdup("PYTHONDONTWRITEBYTECODE=1");
	if (asprintf(&env[i++], "GIT_CONFIG_GLOBAL=%s/.gitconfig", tmp) < 0)
		env[i - 1] = NULL;
	return env;
}

static char *
join_list(const json_t *list, const char *prefix)
{
	json_t *e;
	size_t i, n = 1;
	char *out;

	json_array_foreach(list, i, e)
		n += strlen(prefix) + strlen(json_string_value(e)) + 1;
	out = calloc(1, n);
	json_array_foreach(list, i, e) {
		if (!out)
			break;
		strcat(out, prefix);
		strcat(out, json_string_value(e));
		strcat(out, "\n");
	}
	return out;
}

static void
build_prompts(struct run *r, const struct bm_phase *ph,
	      const struct agent_def *a, const json_t *defs)
{
	struct run_phase_ctx *c = &r->cur;
	char *artifacts = join_list(ph->expected_artifacts, "- ");
	char *accept = ph->acceptance_criteria ?
		       join_list(ph->acceptance_criteria, "- ") : NULL;
	char *tools = NULL, minutes[32], *art = NULL, *acc = NULL;
	json_t *d, *names = json_array();
	size_t i;

	json_array_foreach(defs, i, d)
		json_array_append(names, json_object_get(d, "name"));
	tools = join_list(names, "");
	for (char *p = tools; p && *p; p++)
		if (*p == '\n')
			*p = p[1] ? ',' : 0;
	json_decref(names);
	snprintf(minutes, sizeof(minutes), "%lld",
		 (long long)(ph->timeout_seconds + 59) / 60);
	if (artifacts && *artifacts &&
	    asprintf(&art, "\nExpected artifacts (paths in the project):\n%s",
		     artifacts) < 0)
		art = NULL;
	if (accept && *accept &&
	    asprintf(&acc, "\nAcceptance criteria:\n%s", accept) < 0)
		acc = NULL;
	json_t *vars = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}",
		"persona", a->persona, "agent", a->name, "role", a->role,
		"project", r->b->project_name, "tools", tools ? tools : "",
		"brief", r->b->initial_prompt[0] ? r->b->initial_prompt :
		r->b->description, "phase", ph->name, "description",
		ph->description ? ph->description : ph->name, "artifacts",
		art ? art : "", "minutes", minutes);

	json_object_set_new(vars, "acceptance", json_string(acc ? acc : ""));
	c->system_prompt = fill(r->system_tpl, vars);
	c->task_prompt = fill(r->task_tpl, vars);
	json_decref(vars);
	free(artifacts);
	free(accept);
	free(tools);
	free(art);
	free(acc);
}

static const char *
pick_model(struct run *r, const struct agent_def *a)
{
	if (r->env->model)
		return r->env->model;
	if (a->model)
		return a->model;
	if (r->b->model)
		return r->b->model;
	return models_default(r->env->models);
}

/* The worker-side tool names (TodoWrite stays in the supervisor). */
static int
init_tools(struct run_phase_ctx *c)
{
	json_t *d;
	size_t i, n = 0;

	c->init.tools = calloc(json_array_size(c->tool_defs) + 1,
			       sizeof(char *));
	if (!c->init.tools)
		return -1;
	json_array_foreach(c->tool_defs, i, d) {
		const char *name = json_string_value(json_object_get(d, "name"));

		if (strcmp(name, "TodoWrite") != 0)
			c->init.tools[n++] = strdup(name);
	}
	c->init.n_tools = n;
	return 0;
}

static int
prepare(struct run *r, const struct bm_phase *ph, const struct agent_def *a,
	char *err, size_t errlen)
{
	struct run_phase_ctx *c = &r->cur;
	char slug_p[64], slug_a[64], path[PATH_MAX];
	const char *pname = policy_for(r, a);

	if (policy_load_named(pname, datadir_profiles(), &c->policy, err,
			      errlen) < 0)
		return -1;
	policy_hash(c->policy, c->policy_hash);
	benchmark_slug(ph->name, slug_p, sizeof(slug_p));
	benchmark_slug(a->name, slug_a, sizeof(slug_a));
	run_path(path, sizeof(path), "%s/agents/%02zu-%s-%s", r->run_dir,
		 r->phase + 1, slug_p, slug_a);
	run_path(c->transcript, sizeof(c->transcript), "%s.transcript.jsonl",
		 path);
	run_path(c->audit, sizeof(c->audit), "%s.audit.jsonl", path);
	run_path(c->tmp_dir, sizeof(c->tmp_dir), "%s/tmp/%02zu-%s", r->run_dir,
		 r->phase + 1, slug_a);
	if (run_mkdirs(c->tmp_dir) < 0 || (geteuid() == 0 &&
	    chown(c->tmp_dir, r->worker_uid, r->worker_uid) < 0)) {
		snprintf(err, errlen, "cannot create %s", c->tmp_dir);
		return -1;
	}
	c->tool_defs = granted_defs(r, a, c->policy);
	c->model = strdup(pick_model(r, a));
	c->envp = worker_env(r, c->tmp_dir);
	if (!c->model || !c->envp || init_tools(c) < 0 ||
	    policy_to_msg(c->policy, r->project_dir, c->tmp_dir,
			  &c->init.policy) < 0) {
		snprintf(err, errlen, "cannot prepare the phase's sandbox");
		return -1;
	}
	c->init.policy.test_disable = r->env->test_disable;
	c->init.version = PROTO_VERSION;
	c->init.project_dir = r->project_dir;
	c->init.agent = a->name;
	build_prompts(r, ph, a, c->tool_defs);
	return c->system_prompt && c->task_prompt ? 0 : -1;
}

static void
require_layers(const struct run *r, struct session_cfg *s)
{
	uint32_t ns = MSG_LAYER_NS_PID | MSG_LAYER_NS_NET | MSG_LAYER_NS_MOUNT |
		      MSG_LAYER_NS_IPC | MSG_LAYER_NS_UTS;

	if (r->env->require >= RUN_ISO_SECCOMP)
		s->require_layers |= MSG_LAYER_SECCOMP | MSG_LAYER_NO_NEW_PRIVS;
	if (r->env->require >= RUN_ISO_LANDLOCK) {
		s->require_layers |= MSG_LAYER_LANDLOCK;
		s->require_landlock_abi = 4;
	}
	if (r->env->require >= RUN_ISO_FULL)
		s->require_layers |= ns;
}

int
run_phase_start(struct run *r, const struct bm_phase *ph,
		session_done_fn done, char *err, size_t errlen)
{
	const struct agent_def *a = agents_find(r->env->agents, ph->agent);
	struct run_phase_ctx *c = &r->cur;
	struct session_cfg s = { 0 };
	const char *eol;

	run_phase_clear(r);
	if (!a) {
		snprintf(err, errlen, "phase \"%s\": unknown agent \"%s\"",
			 ph->name, ph->agent);
		return -1;
	}
	if (prepare(r, ph, a, err, errlen) < 0)
		return -1;
	eol = models_deprecated(r->env->models, c->model);
	if (eol)
		json_array_append_new(r->warnings, json_sprintf("model %s is "
			"deprecated and reaches end of life on %s", c->model,
			eol));
	snprintf(r->policy_name, sizeof(r->policy_name), "%s",
		 policy_name(c->policy));
	memcpy(r->policy_hash, c->policy_hash, sizeof(r->policy_hash));
	snprintf(r->model, sizeof(r->model), "%s", c->model);
	s = (struct session_cfg){
		.loop = r->env->loop, .api = r->env->api, .events = r->events,
		.models = r->env->models, .budget = &r->budget,
		.agent = a->name, .phase = ph->name, .model = c->model,
		.max_output_tokens = r->env->max_output_tokens > 0 ?
			r->env->max_output_tokens :
			models_default_max_output(r->env->models),
		.max_turns = r->env->max_turns, .max_pause_turns = 5,
		.timeout_ms = (uint64_t)ph->timeout_seconds * 1000u,
		.system_prompt = c->system_prompt,
		.task_prompt = c->task_prompt, .tool_defs = c->tool_defs,
		.needs_worker = c->init.n_tools > 0, .stream = r->env->stream,
		.transcript_path = c->transcript, .audit_path = c->audit,
	};
	s.worker = (struct wconn_opts){
		.worker_fd = r->env->worker_fd, .project_fd = r->project_fd,
		.project_path = r->project_dir, .tmp_path = c->tmp_dir,
		.envp = c->envp, .ready_timeout_ms = 10000, .init = &c->init,
		.ns_flags = r->env->use_namespaces ? spawn_ns_flags(
			c->policy->network == POLICY_NET_TCP) : 0,
		.private_tmp = strncmp(r->project_dir, "/tmp/", 5) != 0 &&
			       strncmp(c->tmp_dir, "/tmp/", 5) != 0,
		.drop_uid = geteuid() == 0,
		.uid = r->worker_uid, .gid = r->worker_uid,
	};
	require_layers(r, &s);
	c->started_ms = loop_now_ms();
	c->started = time(NULL);
	evlog_emit(r->events, "info", "phase_started", json_pack(
		"{s:s,s:s,s:s,s:s,s:I}", "phase", ph->name, "agent", a->name,
		"model", c->model, "policy", policy_name(c->policy),
		"timeout_seconds", (json_int_t)ph->timeout_seconds));
	r->session = session_start(&s, done, r, err, errlen);
	return r->session ? 0 : -1;
}

void
run_phase_clear(struct run *r)
{
	struct run_phase_ctx *c = &r->cur;

	policy_free(c->policy);
	for (size_t i = 0; c->init.tools && i < c->init.n_tools; i++)
		free(c->init.tools[i]);
	free(c->init.tools);
	msg_policy_clear(&c->init.policy);
	for (size_t i = 0; c->envp && c->envp[i]; i++)
		free(c->envp[i]);
	free(c->envp);
	json_decref(c->tool_defs);
	free(c->system_prompt);
	free(c->task_prompt);
	free(c->model);
	memset(c, 0, sizeof(*c));
}

/*
 * The sandbox of a service worker: profile "default" for git and checks,
 * "networked" to clone boilerplate_url (with extra_ro, a local repository
 * of a file:// URL, readable). The result is stored in x; svc_new follows.
 */
static int
svc_prepare(struct run *r, struct run_svc_ctx *x, const char *profile,
	    const char *tmp_name, const char *extra_ro, char *err,
	    size_t errlen)
{
	char **ro;
	const char *ro_view = NULL;

	if (policy_load_named(profile, datadir_profiles(), &x->policy, err,
			      errlen) < 0)
		return -1;
	run_path(x->tmp_dir, sizeof(x->tmp_dir), "%s/tmp/%s", r->run_dir,
		 tmp_name);
	if (run_mkdirs(x->tmp_dir) < 0 || (geteuid() == 0 &&
	    chown(x->tmp_dir, r->worker_uid, r->worker_uid) < 0)) {
		snprintf(err, errlen, "cannot create %s", x->tmp_dir);
		return -1;
	}
	x->envp = worker_env(r, x->tmp_dir);
	x->init.tools = calloc(2, sizeof(char *));
	if (!x->envp || !x->init.tools ||
	    !(x->init.tools[0] = strdup("Bash")) ||
	    policy_to_msg(x->policy, r->project_dir, x->tmp_dir,
			  &x->init.policy) < 0) {
		snprintf(err, errlen, "cannot prepare the service sandbox");
		return -1;
	}
	if (extra_ro && (ro = realloc(x->init.policy.ro_paths,
			 (x->init.policy.n_ro + 2) * sizeof(char *)))) {
		x->init.policy.ro_paths = ro;
		ro[x->init.policy.n_ro] = strdup(extra_ro);
		ro_view = ro[x->init.policy.n_ro++];
		ro[x->init.policy.n_ro] = NULL;
	}
	x->init.n_tools = 1;
	x->init.version = PROTO_VERSION;
	x->init.project_dir = r->project_dir;
	x->init.agent = "gao-dev";
	x->init.policy.test_disable = r->env->test_disable;
	x->opts = (struct wconn_opts){
		.worker_fd = r->env->worker_fd, .project_fd = r->project_fd,
		.project_path = r->project_dir, .tmp_path = x->tmp_dir,
		.ro_path = ro_view, .envp = x->envp,
		.ready_timeout_ms = 10000, .init = &x->init,
		.ns_flags = r->env->use_namespaces ? spawn_ns_flags(
			x->policy->network == POLICY_NET_TCP) : 0,
		.private_tmp = strncmp(r->project_dir, "/tmp/", 5) != 0,
		.drop_uid = geteuid() == 0,
		.uid = r->worker_uid, .gid = r->worker_uid,
	};
	return 0;
}

int
run_svc_prepare(struct run *r, char *err, size_t errlen)
{
	const char *url = r->b->boilerplate_url;

	/* git and test commands need exec and no network: always default */
	if (svc_prepare(r, &r->svcx, "default", "00-service", NULL, err,
			errlen) < 0)
		return -1;
	r->svc = svc_new(r->env->loop, &r->svcx.opts);
	if (!r->svc)
		return -1;
	if (!url)
		return 0;
	if (svc_prepare(r, &r->svcx_net, "networked", "00-clone",
			strncmp(url, "file://", 7) == 0 ? url + 7 : NULL, err,
			errlen) < 0)
		return -1;
	r->svc_net = svc_new(r->env->loop, &r->svcx_net.opts);
	return r->svc_net ? 0 : -1;
}

static void
svc_clear(struct run_svc_ctx *x)
{
	policy_free(x->policy);
	if (x->init.tools)
		free(x->init.tools[0]);
	free(x->init.tools);
	msg_policy_clear(&x->init.policy);
	for (size_t i = 0; x->envp && x->envp[i]; i++)
		free(x->envp[i]);
	free(x->envp);
	memset(x, 0, sizeof(*x));
}

void
run_svc_clear(struct run *r)
{
	svc_free(r->svc);
	svc_free(r->svc_net);
	r->svc = r->svc_net = NULL;
	svc_clear(&r->svcx);
	svc_clear(&r->svcx_net);
}
