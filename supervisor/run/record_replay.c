/*
 * record_replay.c - --record and --replay of an invocation. See
 * record_replay.h.
 */
#include "supervisor/run/record_replay.h"

#include <stdio.h>
#include <string.h>

int
record_replay_open(const struct cli *c, struct benchmark *const *configs,
		   int n_configs, struct rec **rec, char *err, size_t errlen)
{
	const char *dir = c->record ? c->record : c->replay;

	*rec = NULL;
	if (!dir)
		return 0;
	for (int i = 0; i < n_configs; i++)
		for (int j = 0; j < i; j++)
			if (strcmp(configs[i]->name, configs[j]->name) == 0) {
				snprintf(err, errlen,
					 "%s and %s: both are benchmark "
					 "\"%s\"; a recording keys its "
					 "conversations by benchmark name, so "
					 "--%s needs unique names (rename one)",
					 configs[j]->path, configs[i]->path,
					 configs[i]->name,
					 c->record ? "record" : "replay");
				return EXIT_USAGE;
			}
	*rec = rec_open(dir, c->record ? REC_RECORD : REC_REPLAY, err, errlen);
	return *rec ? 0 : EXIT_USAGE;
}

int
record_replay_close(struct rec *rec, bool complete, int rc, char *line,
		    size_t linecap, char *err, size_t errlen)
{
	line[0] = 0;
	if (!rec)
		return rc;
	if (rec_mode(rec) == REC_RECORD)
		snprintf(line, linecap, "recorded %u API call%s to %s",
			 rec_calls(rec), rec_calls(rec) == 1 ? "" : "s",
			 rec_dir(rec));
	else
		snprintf(line, linecap,
			 "replayed %u API call%s from %s (no network, no "
			 "key); %u tool result%s differed from the "
			 "recording",
			 rec_calls(rec), rec_calls(rec) == 1 ? "" : "s",
			 rec_dir(rec), rec_differences(rec),
			 rec_differences(rec) == 1 ? "" : "s");
	if (rec_close(rec, complete, err, errlen) < 0 &&
	    (rc == EXIT_OK || rc == EXIT_FAILED || rc == EXIT_LIMIT))
		return EXIT_INFRA;
	return rc;
}
