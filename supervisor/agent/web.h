/*
 * web.h - WebSearch and WebFetch as the Messages API's server tools: their
 * definitions, their price, and the record of each use.
 *
 * Design note
 * -----------
 * Anthropic runs these tools: a use arrives inside the model's reply as a
 * server_tool_use block followed by its *_tool_result block, and both go
 * back to the API unchanged with the rest of the assistant turn (the
 * session does that; nothing here edits content). The supervisor's part
 * is to offer them (only with --web, only to personas that list them),
 * to count and price the uses, to stop before a call could pass the run's
 * maximum, to say how many tokens one call's results can bring in (the
 * session counts them in its token and cost caps before the call), and
 * to write each use to the transcript and the audit log under the
 * persona's tool name.
 *
 * The facts that follow the API (type names, the fields each definition
 * carries, the beta header, the price per use) are data, data/web.json,
 * never code. A definition is built once per phase and never changes
 * within a conversation: max_uses per request is a fixed number (the data
 * file's, at most half the run's maximum), so the prompt cache and a
 * thinking model's turns stay valid.
 */
#ifndef GAO_SUPERVISOR_WEB_H
#define GAO_SUPERVISOR_WEB_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "supervisor/agent/audit.h"
#include "supervisor/api/response.h"
#include "supervisor/config/webopt.h"

struct web_data;

/* The server tools one session offers (session.h's cfg.web). */
struct web_session {
	const struct web_data *data; /* NULL: no web tools offered */
	int n_tools;                 /* 1 or 2 */
	int per_request;             /* max_uses of each definition */
	double worst_usd;            /* the most one call's uses can cost */
	int64_t worst_tokens;        /* the most one call's results add to its
				      * input: per_request x result_tokens of each
				      * tool offered */
};

/*
 * web_data_load - data/web.json (the data directory, datadir.h). 0 and
 * *out (the caller frees it: web_data_free), or -1 with a message naming
 * the file and the problem in err.
 */
int web_data_load(struct web_data **out, char *err, size_t errlen);

/* Free d; NULL is fine. */
void web_data_free(struct web_data *d);

/* The data's table date ("unknown" when absent); d's storage. */
const char *web_data_date(const struct web_data *d);

/*
 * The anthropic-beta header value the tools need (WebFetch's), or NULL
 * when none does; d's storage.
 */
const char *web_data_beta(const struct web_data *d);

/*
 * web_per_request - max_uses of each definition: the data file's number,
 * at most half of w->max_uses (so one call offering both tools fits in
 * the run's maximum), at least 1.
 */
int web_per_request(const struct web_data *d, const struct webopt *w);

/*
 * web_tool_def - the API definition of persona tool name ("WebSearch" or
 * "WebFetch"): type and name from the data, max_uses web_per_request(),
 * allowed_domains from w (none for '*'), and the data's fixed fields.
 * A new reference, or NULL for another name (or out of memory).
 */
json_t *web_tool_def(const struct web_data *d, const char *name,
		     const struct webopt *w);

/* Whether name is one of the data's persona tools (WebSearch, WebFetch). */
bool web_is_tool(const struct web_data *d, const char *name);

/* The price of one use of persona tool name, USD (0 when unknown). */
double web_usd_per_use(const struct web_data *d, const char *name);

/*
 * web_result_tokens - the most one use of persona tool name adds to the
 * input of the call that makes it (the data's result_tokens: WebFetch's
 * is at least its max_content_tokens; WebSearch's is the data's
 * estimate, the API has no cap for it); 0 for a name not in the data.
 */
int64_t web_result_tokens(const struct web_data *d, const char *name);

/*
 * web_uses - the uses in a reply: per tool, the larger of what usage
 * reports (usage.server_tool_use) and the server_tool_use blocks of
 * content naming it. *searches and *fetches are set.
 */
void web_uses(const struct web_data *d, const json_t *content,
	      const struct api_usage *u, int64_t *searches, int64_t *fetches);

/* The price of the uses usage reports (searches x price ...), USD. */
double web_cost_usd(const struct web_data *d, const struct api_usage *u);

/* A transcript line: type and fields (stolen), as session.c writes. */
typedef void (*web_line_fn)(void *ctx, const char *type, json_t *fields);

/*
 * web_record - for each server_tool_use block of content that names a
 * web tool: a "web_tool" transcript line and an audit record, under the
 * persona's tool name, with the server tool's type, the query or URL,
 * the result's size in bytes (its JSON) and its error_code when it is an
 * error. agent and phase label the audit record; by_name (an object)
 * counts the records per persona tool name. Returns the number of uses
 * recorded; -1 when an audit record could not be written.
 */
int web_record(const struct web_data *d, const json_t *content,
	       const char *agent, const char *phase, struct audit *audit,
	       json_t *by_name, web_line_fn line, void *ctx);

#endif
