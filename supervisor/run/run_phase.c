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
 * prompt cache warm). WebSearch and WebFetch are the API's server tools
 * (agent/web.h): with --web their definitions follow the worker's tools,
 * built once per phase; without it the run records a warning that they
 * were left out. Prompts come from data/prompts/ templates with {name}
 * placeholders and contain no timestamps, so they are byte-stable across
 * turns; {network} says whether the web tools are there.
 *
 * A phase sees its run only through struct phase_env (run_priv.h): what
 * it reads is there, and what it gives back (its files, policy, model)
 * is in its struct phase. The service workers' sandboxes are built here
 * too, from the same phase_env.
 */
#include "supervisor/run/run_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/pathbuf.h"
#include "config.h"
#include "proto/msg.h"
#include "supervisor/config/agents.h"
#include "supervisor/core/datadir.h"
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

	pathbuf_fmt(path, sizeof(path), "%s/tools.json", datadir_path());
	r->tool_defs = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_array(r->tool_defs)) {
		snprintf(err, errlen, "%s:%d: %s", path, je.line, je.text);
		return -1;
	}
	pathbuf_fmt(path, sizeof(path), "%s/prompts/system.txt",
		    datadir_path());
	r->system_tpl = read_text(path, err, errlen);
	pathbuf_fmt(path, sizeof(path), "%s/prompts/task.txt", datadir_path());
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
policy_for(const struct phase_env *pe, const struct agent_def *a)
{
	if (pe->env->policy)
		return pe->env->policy;
	if (pe->b->policy)
		return pe->b->policy;
	return agents_has_tool(a, "Bash") ? "default" : "strict";
}

/* The persona tool names of the API's server tools (agent/web.h). */
static const char *const web_names[] = { "WebSearch", "WebFetch" };

/* The granted tools' API definitions, in data/tools.json order. */
static json_t *
granted_defs(const struct phase_env *pe, const struct agent_def *a,
	     const struct policy *p)
{
	json_t *out = json_array(), *d;
	size_t i;

	json_array_foreach(pe->tool_defs, i, d) {
		const char *name = json_string_value(
			json_object_get(d, "name"));

		/* TodoWrite never reaches a worker: no policy restricts it */
		if (agents_has_tool(a, name) &&
		    (policy_allows_tool(p, name) || !strcmp(name, "TodoWrite")))
			json_array_append(out, d);
	}
	/* the web tools in a fixed order, once each, whatever the persona
	 * file's order or repetitions */
	for (i = 0; i < sizeof(web_names) / sizeof(*web_names); i++) {
		const char *name = web_names[i];

		if (!agents_has_tool(a, name))
			continue;
		if (pe->env->web.on && pe->env->web_data)
			json_array_append_new(out,
					      web_tool_def(pe->env->web_data,
							   name,
							   &pe->env->web));
		else
			json_array_append_new(
				pe->warnings,
				json_sprintf("%s: %s left out: web tools are "
					     "off (--web and --web-domains "
					     "turn them on)",
					     a->name, name));
	}
	return out;
}

/* The server tools among p's definitions, for the session (web.h). */
static struct web_session
web_session(const struct phase_env *pe, const struct agent_def *a)
{
	const struct web_data *d = pe->env->web_data;
	struct web_session w = { 0 };

	if (!pe->env->web.on || !d)
		return w;
	w.per_request = web_per_request(d, &pe->env->web);
	for (size_t i = 0; i < sizeof(web_names) / sizeof(*web_names); i++) {
		const char *name = web_names[i];

		if (!agents_has_tool(a, name) || !web_is_tool(d, name))
			continue;
		w.n_tools++;
		w.worst_usd += w.per_request * web_usd_per_use(d, name);
		w.worst_tokens += w.per_request * web_result_tokens(d, name);
	}
	if (w.n_tools)
		w.data = d;
	return w;
}

/*
 * git's global config for the worker, in its private tmp: the project
 * belongs to the worker's uid but a file:// boilerplate may not, and
 * safe.directory is only honoured in a global config.
 */
static void
write_gitconfig(const struct phase_env *pe, const char *tmp)
{
	char path[PATH_MAX];
	FILE *f;

	if (pathbuf_fmt(path, sizeof(path), "%s/.gitconfig", tmp) < 0)
		return;
	f = fopen(path, "wex");
	if (!f)
		return;
	fputs("[safe]\n\tdirectory = *\n[user]\n\tname = gao-dev agent\n"
	      "\temail = agent@gao-dev.invalid\n[init]\n\tdefaultBranch = "
	      "main\n",
	      f);
	/* created 0600 (umask): the worker's uid must own it to read it */
	if (geteuid() == 0 &&
	    fchown(fileno(f), pe->worker_uid, pe->worker_uid) < 0)
		unlink(path);
	fclose(f);
}

/* The worker's whole environment: nothing inherited. */
static char **
worker_env(const struct phase_env *pe, const char *tmp)
{
	char **env = calloc(12, sizeof(char *));
	int i = 0;

	if (!env)
		return NULL;
	write_gitconfig(pe, tmp);
	if (asprintf(&env[i++], "HOME=%s", pe->project_dir) < 0 ||
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

/* The tools' names, comma-separated (malloc'ed). */
static char *
tool_names(const json_t *defs)
{
	json_t *d, *names = json_array();
	char *tools;
	size_t i;

	json_array_foreach(defs, i, d)
		json_array_append(names, json_object_get(d, "name"));
	tools = join_list(names, "");
	for (char *p = tools; p && *p; p++)
		if (*p == '\n')
			*p = p[1] ? ',' : 0;
	json_decref(names);
	return tools;
}

/* "\n<title>:\n- a\n- b\n", or "" for an empty or missing list. */
static char *
titled_list(const char *title, const json_t *list)
{
	char *items = list ? join_list(list, "- ") : NULL, *out = NULL;

	if (items && *items && asprintf(&out, "\n%s:\n%s", title, items) < 0)
		out = NULL;
	free(items);
	return out ? out : strdup("");
}

/* {network}: the sandbox has none; with web tools, say where the web is. */
static const char *
network_text(const struct phase_env *pe, const struct agent_def *a)
{
	if (web_session(pe, a).data)
		return "there is no network access from the sandbox; the web "
		       "is reachable only through the web_search and "
		       "web_fetch tools, which Anthropic runs, limited to the "
		       "domains the operator allowed and to a number of uses";
	return "there is no network access";
}

/* The {placeholders} of the prompt templates for phase p and agent a. */
static json_t *
prompt_vars(const struct phase_env *pe, const struct phase *p,
	    const struct agent_def *a)
{
	const struct bm_phase *ph = p->def;
	char *tools = tool_names(p->tool_defs), minutes[32];
	char *art = titled_list("Expected artifacts (paths in the project)",
				ph->expected_artifacts);
	char *acc = titled_list("Acceptance criteria", ph->acceptance_criteria);
	json_t *vars;

	snprintf(minutes, sizeof(minutes), "%lld",
		 (long long)(ph->timeout_seconds + 59) / 60);
	vars = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "persona",
			 a->persona, "agent", a->name, "role", a->role,
			 "project", pe->b->project_name, "tools",
			 tools ? tools : "", "brief",
			 pe->b->initial_prompt[0] ? pe->b->initial_prompt :
						    pe->b->description,
			 "phase", ph->name, "description",
			 ph->description ? ph->description : ph->name,
			 "artifacts", art ? art : "", "minutes", minutes);
	json_object_set_new(vars, "acceptance", json_string(acc ? acc : ""));
	json_object_set_new(vars, "network", json_string(network_text(pe, a)));
	free(tools);
	free(art);
	free(acc);
	return vars;
}

static void
build_prompts(const struct phase_env *pe, struct phase *p,
	      const struct agent_def *a)
{
	json_t *vars = prompt_vars(pe, p, a);

	p->system_prompt = fill(pe->system_tpl, vars);
	p->task_prompt = fill(pe->task_tpl, vars);
	json_decref(vars);
}

static const char *
pick_model(const struct phase_env *pe, const struct agent_def *a)
{
	if (pe->env->model)
		return pe->env->model;
	if (a->model)
		return a->model;
	if (pe->b->model)
		return pe->b->model;
	return models_default(pe->env->models);
}

/* The worker-side tool names (TodoWrite stays in the supervisor). */
static int
init_tools(struct phase *p)
{
	json_t *d;
	size_t i, n = 0;

	p->init.tools = calloc(json_array_size(p->tool_defs) + 2,
			       sizeof(char *));
	if (!p->init.tools)
		return -1;
	json_array_foreach(p->tool_defs, i, d) {
		const char *name = json_string_value(
			json_object_get(d, "name"));

		if (strcmp(name, "TodoWrite") != 0)
			p->init.tools[n++] = strdup(name);
	}
	/* the project watch (agent/watch.h): the worker's, never the
	 * model's (the model is offered only p->tool_defs) */
	if (n > 0)
		p->init.tools[n++] = strdup(WATCH_TOOL);
	p->init.n_tools = n;
	return 0;
}

/* The phase's files: transcript, audit log, private tmp (created). */
static int
phase_paths(const struct phase_env *pe, struct phase *p,
	    const struct agent_def *a, char *err, size_t errlen)
{
	char slug_p[64], slug_a[64], path[PATH_MAX];

	benchmark_slug(p->def->name, slug_p, sizeof(slug_p));
	benchmark_slug(a->name, slug_a, sizeof(slug_a));
	pathbuf_fmt(path, sizeof(path), "%s/agents/%02zu-%s-%s", pe->run_dir,
		    p->index + 1, slug_p, slug_a);
	pathbuf_fmt(p->transcript, sizeof(p->transcript), "%s.transcript.jsonl",
		    path);
	pathbuf_fmt(p->audit, sizeof(p->audit), "%s.audit.jsonl", path);
	pathbuf_fmt(p->tmp_dir, sizeof(p->tmp_dir), "%s/tmp/%02zu-%s",
		    pe->run_dir, p->index + 1, slug_a);
	if (run_mkdirs(p->tmp_dir) < 0 ||
	    (geteuid() == 0 &&
	     chown(p->tmp_dir, pe->worker_uid, pe->worker_uid) < 0)) {
		snprintf(err, errlen, "cannot create %s", p->tmp_dir);
		return -1;
	}
	return 0;
}

static int
prepare(const struct phase_env *pe, struct phase *p, const struct agent_def *a,
	char *err, size_t errlen)
{
	if (policy_load_named(policy_for(pe, a), datadir_profiles(), &p->policy,
			      err, errlen) < 0)
		return -1;
	policy_hash(p->policy, p->policy_hash);
	if (phase_paths(pe, p, a, err, errlen) < 0)
		return -1;
	p->tool_defs = granted_defs(pe, a, p->policy);
	p->envp = worker_env(pe, p->tmp_dir);
	if (!p->envp || init_tools(p) < 0 ||
	    policy_to_msg(p->policy, pe->project_dir, p->tmp_dir,
			  &p->init.policy) < 0) {
		snprintf(err, errlen, "cannot prepare the phase's sandbox");
		return -1;
	}
	p->init.policy.test_disable = pe->env->test_disable;
	run_caps_fsize(pe, &p->init.policy);
	p->init.version = PROTO_VERSION;
	p->init.project_dir = (char *)pe->project_dir; /* only read */
	/* a name a config may give is one the worker can be sent */
	_Static_assert(AGENTS_NAME_MAX <= PROTO_NAME_MAX,
		       "persona names longer than INIT's agent field");
	p->init.agent = a->name;
	build_prompts(pe, p, a);
	if (p->system_prompt && p->task_prompt)
		p->model = strdup(pick_model(pe, a));
	if (!p->model) {
		snprintf(err, errlen,
			 "cannot prepare the phase's prompts: "
			 "out of memory");
		return -1;
	}
	return 0;
}

void
run_iso_need(enum run_isolation lvl, uint32_t *layers, int *abi)
{
	uint32_t ns = MSG_LAYER_NS_PID | MSG_LAYER_NS_NET | MSG_LAYER_NS_MOUNT |
		      MSG_LAYER_NS_IPC | MSG_LAYER_NS_UTS;

	if (lvl >= RUN_ISO_SECCOMP)
		*layers |= MSG_LAYER_SECCOMP | MSG_LAYER_NO_NEW_PRIVS;
	if (lvl >= RUN_ISO_LANDLOCK) {
		*layers |= MSG_LAYER_LANDLOCK;
		*abi = 4;
	}
	if (lvl >= RUN_ISO_FULL)
		*layers |= ns;
}

/* The layers and Landlock ABI --require-isolation asks of every worker
 * of the run, an agent's or a service worker. */
static void
require_layers(const struct phase_env *pe, uint32_t *layers, int *abi)
{
	run_iso_need(pe->env->require, layers, abi);
}

/* The session of prepared phase p (its strings are p's and pe's). */
static struct session_cfg
session_cfg(const struct phase_env *pe, struct phase *p,
	    const struct agent_def *a)
{
	const struct run_env *env = pe->env;
	struct session_cfg s = {
		.loop = env->loop,
		.api = env->api,
		.events = pe->events,
		.models = env->models,
		.budget = pe->budget,
		.agent = a->name,
		.phase = p->def->name,
		.model = p->model,
		.max_output_tokens = env->max_output_tokens > 0 ?
					     env->max_output_tokens :
					     models_default_max_output(
						     env->models),
		.thinking_budget = env->thinking_budget,
		.max_turns = env->max_turns,
		.max_pause_turns = 5,
		.timeout_ms = (uint64_t)p->def->timeout_seconds * 1000u,
		.system_prompt = p->system_prompt,
		.task_prompt = p->task_prompt,
		.tool_defs = p->tool_defs,
		.needs_worker = p->init.n_tools > 0,
		.stream = env->stream,
		.transcript_path = p->transcript,
		.audit_path = p->audit,
		.watch = { .max_bytes = env->max_disk,
			   .max_files = env->max_files },
		.rec = env->rec,
		.web = web_session(pe, a),
		.rec_key = { .unit = pe->b->name,
			     .repeat = pe->repeat,
			     .phase_index = p->index,
			     .phase = p->def->name,
			     .agent = a->name },
	};

	s.worker = (struct wconn_opts){
		.worker_fd = env->worker_fd,
		.project_fd = pe->project_fd,
		.project_path = pe->project_dir,
		.tmp_path = p->tmp_dir,
		.envp = p->envp,
		.ready_timeout_ms = 10000,
		.init = &p->init,
		.ns_flags = env->use_namespaces ?
				    spawn_ns_flags(p->policy->network ==
						   POLICY_NET_TCP) :
				    0,
		.private_tmp = strncmp(pe->project_dir, "/tmp/", 5) != 0 &&
			       strncmp(p->tmp_dir, "/tmp/", 5) != 0,
		.drop_uid = geteuid() == 0 && pe->worker_uid != 0,
		.uid = pe->worker_uid,
		.gid = pe->worker_uid,
		.cgroup = pe->cgroup,
	};
	require_layers(pe, &s.require_layers, &s.require_landlock_abi);
	return s;
}

/* Whether the run's warnings already speak of model (one phase after
 * another with the same model says it once). */
static bool
warned_model(const json_t *warnings, const char *model)
{
	char prefix[200];
	const json_t *w;
	size_t i, n;

	n = (size_t)snprintf(prefix, sizeof(prefix), "model %s", model);
	json_array_foreach(warnings, i, w) {
		const char *t = json_string_value(w);

		if (t && strncmp(t, prefix, n) == 0 &&
		    (t[n] == ' ' || t[n] == ':'))
			return true;
	}
	return false;
}

struct session *
phase_start(const struct phase_env *pe, struct phase *p, session_done_fn done,
	    void *ctx, char *err, size_t errlen)
{
	const struct bm_phase *ph = p->def;
	const struct agent_def *a = agents_find(pe->env->agents, ph->agent);
	struct session_cfg s;

	if (!a) {
		snprintf(err, errlen, "phase \"%s\": unknown agent \"%s\"",
			 ph->name, ph->agent);
		return NULL;
	}
	if (prepare(pe, p, a, err, errlen) < 0)
		return NULL;
	run_caps_phase(pe, p->policy);
	/* a retired model was refused before the run (runner_models.c);
	 * this is the last line of defence, never reached from the CLI */
	if (models_refusal(pe->env->models, p->model, err, errlen))
		return NULL;
	if (!warned_model(pe->warnings, p->model))
		models_warnings(pe->env->models, p->model, pe->warnings);
	s = session_cfg(pe, p, a);
	p->started_ms = loop_now_ms();
	p->started = time(NULL);
	evlog_emit(pe->events, "info", "phase_started",
		   json_pack("{s:s,s:s,s:s,s:s,s:I}", "phase", ph->name,
			     "agent", a->name, "model", p->model, "policy",
			     policy_name(p->policy), "timeout_seconds",
			     (json_int_t)ph->timeout_seconds));
	return session_start(&s, done, ctx, err, errlen);
}

void
phase_clear(struct phase *p)
{
	policy_free(p->policy);
	for (size_t i = 0; p->init.tools && i < p->init.n_tools; i++)
		free(p->init.tools[i]);
	free(p->init.tools);
	msg_policy_clear(&p->init.policy);
	for (size_t i = 0; p->envp && p->envp[i]; i++)
		free(p->envp[i]);
	free(p->envp);
	json_decref(p->tool_defs);
	free(p->system_prompt);
	free(p->task_prompt);
	free(p->model);
	memset(p, 0, sizeof(*p));
}

void
phase_reset(struct phase *p, const struct bm_phase *def, size_t index)
{
	phase_clear(p);
	p->def = def;
	p->index = index;
	p->status = PHASE_STATUS_SUCCESS;
	p->api_outcome = API_OK;
}

/* The sandbox's read-only extra path (a file:// boilerplate): ro_paths. */
static const char *
add_ro_path(struct msg_policy *mp, const char *extra_ro)
{
	char **ro;

	if (!extra_ro)
		return NULL;
	ro = realloc(mp->ro_paths, (mp->n_ro + 2) * sizeof(char *));
	if (!ro)
		return NULL;
	mp->ro_paths = ro;
	ro[mp->n_ro] = strdup(extra_ro);
	ro[mp->n_ro + 1] = NULL;
	return ro[mp->n_ro++];
}

/*
 * The checks worker's environment: git's repository is its private
 * directory, the project is the work tree, and git reads no config but
 * the repository's (no system, no global file, no HOME in the project).
 */
static char **
checks_env(const struct phase_env *pe)
{
	static const char *const fixed[] = {
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"LANG=C.UTF-8",
		"TERM=dumb",
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_ATTR_NOSYSTEM=1",
		"GIT_NO_REPLACE_OBJECTS=1",
		"GIT_TERMINAL_PROMPT=0",
		"GIT_PAGER=cat",
		"GIT_OPTIONAL_LOCKS=0",
	};
	size_t n = sizeof(fixed) / sizeof(*fixed), i = 0;
	char **env = calloc(n + 5, sizeof(char *));

	if (!env)
		return NULL;
	if (asprintf(&env[i++], "HOME=%s", pe->git_dir) < 0 ||
	    asprintf(&env[i++], "TMPDIR=%s", pe->git_dir) < 0 ||
	    asprintf(&env[i++], "GIT_DIR=%s", pe->git_dir) < 0 ||
	    asprintf(&env[i++], "GIT_WORK_TREE=%s", pe->project_dir) < 0) {
		env[i - 1] = NULL;
		return env; /* incomplete: the caller sees a NULL entry */
	}
	for (size_t k = 0; k < n; k++)
		env[i++] = strdup(fixed[k]);
	return env;
}

/* Whether every entry of a NULL-terminated env of n entries is set. */
static bool
env_complete(char **env, size_t n)
{
	for (size_t i = 0; env && i < n; i++)
		if (!env[i])
			return false;
	return env != NULL;
}

/*
 * The sandbox of a service worker of kind k (run_priv.h): policy
 * "default" for the checks and the exec worker, "networked" for the clone
 * (with extra_ro, the local repository of a file:// URL, readable). The
 * checks worker's private directory is the git directory, and it executes
 * only beneath the system directories. The result is stored in x;
 * svc_new follows.
 */
static int
svc_prepare(const struct phase_env *pe, struct run_svc_ctx *x,
	    enum run_svc_kind k, const char *extra_ro, char *err, size_t errlen)
{
	const char *profile = k == RUN_SVC_CLONE ? "networked" : "default";
	const char *ro_view;

	if (policy_load_named(profile, datadir_profiles(), &x->policy, err,
			      errlen) < 0)
		return -1;
	if (k == RUN_SVC_CHECKS)
		pathbuf_fmt(x->tmp_dir, sizeof(x->tmp_dir), "%s", pe->git_dir);
	else
		pathbuf_fmt(x->tmp_dir, sizeof(x->tmp_dir), "%s/tmp/%s",
			    pe->run_dir,
			    k == RUN_SVC_CLONE ? "00-clone" : "00-service");
	if (run_mkdirs(x->tmp_dir) < 0 ||
	    (geteuid() == 0 &&
	     chown(x->tmp_dir, pe->worker_uid, pe->worker_uid) < 0)) {
		snprintf(err, errlen, "cannot create %s", x->tmp_dir);
		return -1;
	}
	x->envp = k == RUN_SVC_CHECKS ? checks_env(pe) :
					worker_env(pe, x->tmp_dir);
	x->init.tools = calloc(2, sizeof(char *));
	if (!env_complete(x->envp, k == RUN_SVC_CHECKS ? 14 : 7) ||
	    !x->init.tools || !(x->init.tools[0] = strdup("Bash")) ||
	    policy_to_msg(x->policy, pe->project_dir, x->tmp_dir,
			  &x->init.policy) < 0) {
		snprintf(err, errlen, "cannot prepare the service sandbox");
		return -1;
	}
	x->init.policy.exec_ro_only = k == RUN_SVC_CHECKS;
	ro_view = add_ro_path(&x->init.policy, extra_ro);
	x->init.n_tools = 1;
	x->init.version = PROTO_VERSION;
	x->init.project_dir = (char *)pe->project_dir; /* only read */
	x->init.agent = "gao-dev";
	x->init.policy.test_disable = pe->env->test_disable;
	run_caps_fsize(pe, &x->init.policy);
	x->opts = (struct wconn_opts){
		.worker_fd = pe->env->worker_fd,
		.project_fd = pe->project_fd,
		.project_path = pe->project_dir,
		.tmp_path = x->tmp_dir,
		.ro_path = ro_view,
		.envp = x->envp,
		.ready_timeout_ms = 10000,
		.init = &x->init,
		.ns_flags = pe->env->use_namespaces ?
				    spawn_ns_flags(x->policy->network ==
						   POLICY_NET_TCP) :
				    0,
		.private_tmp = strncmp(pe->project_dir, "/tmp/", 5) != 0,
		.drop_uid = geteuid() == 0 && pe->worker_uid != 0,
		.uid = pe->worker_uid,
		.gid = pe->worker_uid,
	};
	return 0;
}

/* The service worker meets --require-isolation like an agent's. */
static void
svc_require_run(const struct phase_env *pe, struct svc *s)
{
	uint32_t layers = 0;
	int abi = 0;

	require_layers(pe, &layers, &abi);
	svc_require(s, layers, abi);
}

int
run_svc_prepare(struct run *r, char *err, size_t errlen)
{
	const char *url = r->b->boilerplate_url;

	/* git and the checks: no network, nothing of the project executed */
	if (svc_prepare(&r->pe, &r->svcx, RUN_SVC_CHECKS, NULL, err, errlen) <
	    0)
		return -1;
	r->svc = svc_new(r->env->loop, &r->svcx.opts);
	/* command phases, tests, build, coverage: exec, no network */
	if (!r->svc || svc_prepare(&r->pe, &r->svcx_exec, RUN_SVC_EXEC, NULL,
				   err, errlen) < 0)
		return -1;
	r->svc_exec = svc_new(r->env->loop, &r->svcx_exec.opts);
	if (!r->svc_exec)
		return -1;
	svc_require_run(&r->pe, r->svc);
	svc_require_run(&r->pe, r->svc_exec);
	if (!url)
		return 0;
	if (svc_prepare(&r->pe, &r->svcx_net, RUN_SVC_CLONE,
			strncmp(url, "file://", 7) == 0 ? url + 7 : NULL, err,
			errlen) < 0)
		return -1;
	r->svc_net = svc_new(r->env->loop, &r->svcx_net.opts);
	if (!r->svc_net)
		return -1;
	svc_require_run(&r->pe, r->svc_net);
	return 0;
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
	svc_free(r->svc_exec);
	svc_free(r->svc_net);
	r->svc = r->svc_exec = r->svc_net = NULL;
	svc_clear(&r->svcx);
	svc_clear(&r->svcx_exec);
	svc_clear(&r->svcx_net);
}
