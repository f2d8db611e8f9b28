/*
 * shard.h - --shard I/N: which work units a shard runs, and its manifest.
 *
 * Design note
 * -----------
 * A work unit is a benchmark name and a repeat index (0 to --repeat - 1).
 * Its shard is chosen by rendezvous hashing: for each shard k of N the
 * score is SHA-256("name" NUL "repeat" NUL "k"), and the highest score
 * wins. The choice depends on the unit and N alone, so N machines given
 * the same options cover every unit exactly once, adding a config moves
 * no other unit, and changing N moves only about 1/N of them.
 *
 * At its end a shard writes SANDBOX_ROOT/manifest-I-of-N.json (0600,
 * atomically; the fields are in docs/results.md): what must agree across
 * shards (versions, config hashes, model, API version, policy, N, the
 * whole unit list) and what this shard ran (run ids, statuses, exit
 * codes, results files relative to the sandbox root, audit heads).
 * `gao-dev results merge` (merge.h) reads it back as hostile input.
 */
#ifndef GAO_SUPERVISOR_SHARD_H
#define GAO_SUPERVISOR_SHARD_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "supervisor/config/benchmark.h"

#define SHARD_FORMAT 1 /* manifest format version */

/* One invocation as the manifest describes it. */
struct shard_inv {
	int i, n; /* this shard, 1-based, of n */
	struct benchmark **configs;
	int n_configs;
	int repeat;
	const char *model;       /* --model or the first config's, or default */
	const char *api_version; /* anthropic-version header */
	const char *price_date;  /* price table date */
	const char *policy;      /* --policy, or NULL: each config's */
};

/* shard_of - the shard (1..n) of unit (name, repeat index) among n. */
int shard_of(const char *name, int repeat_idx, int n);

/*
 * shard_slot_mine - whether run slot (config slot % n_configs, repeat
 * slot / n_configs, as runner.c numbers them) is this shard's.
 */
bool shard_slot_mine(const struct shard_inv *inv, int slot);

/*
 * shard_check_names - units must be unique: two configs with the same
 * benchmark name are refused (0, or -1 with both paths in err).
 */
int shard_check_names(const struct shard_inv *inv, char *err, size_t errlen);

/*
 * shard_write_manifest - the manifest of this shard into root (absolute).
 * results[slot]: the results document of each slot this shard ran (or
 * the not-started record, or NULL when the slot is not this shard's).
 * 0, or -1 with why in err.
 */
int shard_write_manifest(const char *root, const struct shard_inv *inv,
			 const json_t *const *results, bool interrupted,
			 char *err, size_t errlen);

/* shard_sha256_file - "sha256:HEX" of a file (at most 16 MiB): 0 or -1. */
int shard_sha256_file(const char *path, char out[72]);

#endif
