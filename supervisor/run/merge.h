/*
 * merge.h - `gao-dev results merge DIR... --out DIR [--junit PATH]`.
 *
 * Design note
 * -----------
 * The shards of one invocation (--shard I/N, shard.h) come back from N
 * machines as N directories. Every byte of them is hostile: each
 * manifest and results file is read bounded (no symlink followed in the
 * last component, a regular file, a size cap), parsed strictly (no
 * duplicate keys, every field of the expected type and range) and any
 * problem is an error naming the file and the field (exit 2). The
 * manifests must agree (format, gao-dev version, config hashes, model,
 * API version, price table, policy, N, repeat, the unit list), all N
 * must be there, and every unit must have run in exactly one of them.
 * Only then are OUT/results-index.json, OUT/summary.txt and the JUnit
 * file written, each atomically: a refused merge writes nothing, and a
 * failed write leaves the previous file whole. The exit code is the one
 * a single invocation of all the units gives (run_exit_aggregate).
 */
#ifndef GAO_SUPERVISOR_MERGE_H
#define GAO_SUPERVISOR_MERGE_H

#define MERGE_MAX_MANIFEST (16 << 20) /* bytes of one manifest */
#define MERGE_MAX_RESULTS (64 << 20)  /* bytes of one results file */

/*
 * merge_main - merge the shards in dirs[0..n) into out (and junit when
 * not NULL). Prints the summary to stdout and every problem to stderr.
 * Returns the exit code (docs/decisions.md).
 */
int merge_main(char *const *dirs, int n, const char *out, const char *junit);

#endif
