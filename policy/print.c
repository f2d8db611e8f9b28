/*
 * print.c - the two text forms of a policy: the commented YAML that
 * `gao-dev policy show` prints, and the canonical form behind policy_hash()
 * (supervisor side).
 *
 * Design note
 * -----------
 * policy_print() writes a profile a user can read and also load again:
 * every comment explains which layer enforces the setting below it, and
 * the values are written in the loader's own syntax (strings
 * double-quoted, sizes with binary suffixes). Tests check that printing
 * and reloading gives the same hash.
 *
 * The canonical form is line-based text, one "key value" per line in a
 * fixed order, enums and tools as words, path lists sorted (Landlock rules
 * do not depend on order), no description and no source file (they do not
 * change behaviour); docs/policy.md spells it out. Its
 * first line names the format version; change it whenever the form
 * changes, so old and new hashes never collide by accident. The loader
 * rejects control characters, so a value can never forge a line.
 */
#include "policy/policy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#define PRINT_CANON_VERSION "gao-dev-policy 1"

/* A YAML double-quoted string (the loader refused control characters). */
static void
print_quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* A size with the largest exact binary suffix; 0 as "unlimited". */
static void
print_size(FILE *f, uint64_t v)
{
	static const char *const sfx[] = { "TiB", "GiB", "MiB", "KiB" };
	size_t i;

	if (v == 0) {
		fputs("unlimited", f);
		return;
	}
	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		unsigned shift = 10u * (unsigned)(4 - i);

		if ((v & ((1ull << shift) - 1)) == 0) {
			fprintf(f, "%llu%s", (unsigned long long)(v >> shift),
				sfx[i]);
			return;
		}
	}
	fprintf(f, "%llu", (unsigned long long)v);
}

static void
print_count(FILE *f, uint64_t v)
{
	if (v == 0)
		fputs("unlimited", f);
	else
		fprintf(f, "%llu", (unsigned long long)v);
}

static void
print_paths(FILE *f, const char *key, char *const *paths, size_t n)
{
	size_t i;

	fprintf(f, "  %s:%s\n", key, n == 0 ? " []" : "");
	for (i = 0; i < n; i++) {
		fputs("    - ", f);
		print_quoted(f, paths[i]);
		fputc('\n', f);
	}
}

static void
print_header(FILE *f, const struct policy *p)
{
	char hash[65];

	policy_hash(p, hash);
	fprintf(f, "# gao-dev sandbox policy \"%s\"\n", p->name);
	if (p->source != NULL)
		fprintf(f, "# source: %s\n", p->source);
	fprintf(f, "# sha256: %s\n", hash);
	fputs("#\n"
	      "# A worker applies these layers in order, before it reads\n"
	      "# any tool call: rlimits (limits), Landlock (filesystem,\n"
	      "# network), then seccomp (syscalls). Each holds without the\n"
	      "# others; docs/policy.md says what each denies and why.\n"
	      "name: ",
	      f);
	print_quoted(f, p->name);
	fputc('\n', f);
	if (p->description != NULL) {
		fputs("description: ", f);
		print_quoted(f, p->description);
		fputc('\n', f);
	}
}

static void
print_filesystem(FILE *f, const struct policy *p)
{
	fputs("\n"
	      "# Landlock: read + execute beneath read_only; every right but\n"
	      "# making device nodes beneath read_write and the project\n"
	      "# directory. /dev/null and /dev/zero (read/write),\n"
	      "# /dev/random and /dev/urandom (read) are always\n"
	      "# reachable; /dev/tty never.\n"
	      "# Paths missing on this machine are skipped. {project} is the\n"
	      "# agent's project directory, {tmp} its private temporary one.\n"
	      "# With a mount namespace these paths (/etc curated), a small\n"
	      "# /dev, /proc and a private /tmp are all the worker's root\n"
	      "# holds: nothing else of the host is there to stat or list.\n"
	      "filesystem:\n",
	      f);
	print_paths(f, "read_only", p->ro_paths, p->n_ro);
	print_paths(f, "read_write", p->rw_paths, p->n_rw);
}

static void
print_switches(FILE *f, const struct policy *p)
{
	fputs("\n"
	      "# none: no TCP/UDP sockets (seccomp), TCP bind and connect\n"
	      "# denied (Landlock ABI 4+). tcp: outbound TCP and UDP (DNS)\n"
	      "# allowed; TCP bind, raw and packet sockets still denied.\n",
	      f);
	fprintf(f, "network: %s\n",
		p->network == POLICY_NET_TCP ? "tcp" : "none");
	fputs("\n# Whether programs may be executed at all (Bash needs it).\n",
	      f);
	fprintf(f, "exec: %s\n", p->allow_exec ? "true" : "false");
	fputs("\n"
	      "# AF_UNIX sockets of any type. Off: only socketpair(AF_UNIX,\n"
	      "# SOCK_STREAM), connected for good, so nothing can address a\n"
	      "# host socket. Landlock does not cover pathname sockets: with\n"
	      "# this on, a worker could reach docker.sock, /dev/log or an\n"
	      "# ssh-agent socket it can name.\n",
	      f);
	fprintf(f, "unix_sockets: %s\n", p->allow_unix ? "true" : "false");
	fputs("\n"
	      "# denylist: all syscalls but ptrace, mounts, namespaces, bpf,\n"
	      "# keyrings, io_uring, modules, ... (EPERM or ENOSYS, never a\n"
	      "# kill). allowlist: only what the file tools need, no exec.\n"
	      "# Both kill a foreign architecture (i386 int 0x80, x32).\n"
	      "syscalls:\n",
	      f);
	fprintf(f, "  mode: %s\n",
		p->syscalls == POLICY_SYSCALLS_ALLOWLIST ? "allowlist" :
							   "denylist");
}

static void
print_limits(FILE *f, const struct policy *p)
{
	const struct policy_limits *l = &p->limits;

	fputs("\n"
	      "# rlimits per process, inherited by every command. The\n"
	      "# run's totals are set per run, not here: --max-memory (a\n"
	      "# cgroup, where the host has one), --max-disk and\n"
	      "# --max-files (the project is measured after each call\n"
	      "# that can write and at each phase's end; over either\n"
	      "# cap the run stops).\n"
	      "limits:\n"
	      "  # RLIMIT_CPU: SIGXCPU, then SIGKILL 5 s later\n"
	      "  cpu_seconds: ",
	      f);
	print_count(f, l->cpu_seconds);
	fputs("\n  # RLIMIT_AS: address space, not resident memory\n"
	      "  memory: ",
	      f);
	print_size(f, l->memory_bytes);
	fputs("\n  # RLIMIT_FSIZE: one file; the run lowers it to\n"
	      "  # --max-disk when that is smaller\n"
	      "  file_size: ",
	      f);
	print_size(f, l->file_size_bytes);
	fprintf(f, "\n  # RLIMIT_NOFILE\n  open_files: %llu\n",
		(unsigned long long)l->open_files);
	fputs("  # RLIMIT_NPROC: counts every process of the uid; also\n"
	      "  # the run's pids.max (plus 16 for gao-dev's own) where\n"
	      "  # the run's cgroup is in force; Bash's background jobs\n"
	      "  # may hold half of it\n"
	      "  processes: ",
	      f);
	print_count(f, l->processes);
	fputs("\n  # one tool result's text is cut after this many bytes\n"
	      "  output_bytes: ",
	      f);
	print_size(f, l->output_bytes);
	fprintf(f,
		"\n  # Bash timeout when the agent gives none, and the\n"
		"  # longest it may ask for\n"
		"  timeout_default_ms: %u\n  timeout_max_ms: %u\n",
		l->timeout_default_ms, l->timeout_max_ms);
}

static void
print_tools(FILE *f, const struct policy *p)
{
	uint32_t bit;
	const char *sep = "";

	fputs("\n# The tools an agent may be offered.\n", f);
	if (p->tools == POLICY_TOOL_ALL) {
		fputs("tools: all\n", f);
		return;
	}
	fputs("tools: [", f);
	for (bit = 1; bit & POLICY_TOOL_ALL; bit <<= 1) {
		if (!(p->tools & bit))
			continue;
		fprintf(f, "%s%s", sep, policy_tool_name(bit));
		sep = ", ";
	}
	fputs("]\n", f);
}

int
policy_print(FILE *f, const struct policy *p)
{
	print_header(f, p);
	print_filesystem(f, p);
	print_switches(f, p);
	print_limits(f, p);
	print_tools(f, p);
	if (fflush(f) != 0 || ferror(f))
		return -EIO;
	return 0;
}

static int
print_strcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One "key path" line per path, sorted. */
static int
print_canon_paths(FILE *f, const char *key, char *const *paths, size_t n)
{
	char **sorted;
	size_t i;

	if (n == 0)
		return 0;
	sorted = malloc(n * sizeof(*sorted));
	if (sorted == NULL)
		return -ENOMEM;
	memcpy(sorted, paths, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), print_strcmp);
	for (i = 0; i < n; i++)
		fprintf(f, "%s %s\n", key, sorted[i]);
	free(sorted);
	return 0;
}

/* The canonical form (see the design note) into f. */
static int
print_canon(FILE *f, const struct policy *p)
{
	const struct policy_limits *l = &p->limits;
	const char *sep = " ";
	uint32_t bit;
	int rc;

	fprintf(f,
		PRINT_CANON_VERSION "\nname %s\nnetwork %s\nexec %d\n"
				    "unix %d\nsyscalls %s\n",
		p->name, p->network == POLICY_NET_TCP ? "tcp" : "none",
		p->allow_exec, p->allow_unix,
		p->syscalls == POLICY_SYSCALLS_ALLOWLIST ? "allowlist" :
							   "denylist");
	fprintf(f,
		"cpu_seconds %llu\nmemory %llu\nfile_size %llu\n"
		"open_files %llu\nprocesses %llu\noutput_bytes %llu\n"
		"timeout_default_ms %u\ntimeout_max_ms %u\ntools",
		(unsigned long long)l->cpu_seconds,
		(unsigned long long)l->memory_bytes,
		(unsigned long long)l->file_size_bytes,
		(unsigned long long)l->open_files,
		(unsigned long long)l->processes,
		(unsigned long long)l->output_bytes, l->timeout_default_ms,
		l->timeout_max_ms);
	for (bit = 1; bit & POLICY_TOOL_ALL; bit <<= 1) {
		if (!(p->tools & bit))
			continue;
		fprintf(f, "%s%s", sep, policy_tool_name(bit));
		sep = ",";
	}
	fputc('\n', f);
	rc = print_canon_paths(f, "ro", p->ro_paths, p->n_ro);
	if (rc == 0)
		rc = print_canon_paths(f, "rw", p->rw_paths, p->n_rw);
	return rc;
}

static int
print_sha256_hex(const char *buf, size_t len, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	if (ctx == NULL)
		return -ENOMEM;
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	     EVP_DigestUpdate(ctx, buf, len) == 1 &&
	     EVP_DigestFinal_ex(ctx, md, &n) == 1 && n == 32;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -EIO;
	for (i = 0; i < n; i++) {
		out[2 * (size_t)i] = hex[md[i] >> 4];
		out[2 * (size_t)i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
	return 0;
}

void
policy_hash(const struct policy *p, char out[65])
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	out[0] = '\0';
	f = open_memstream(&buf, &len);
	if (f == NULL)
		return;
	rc = print_canon(f, p);
	if (fclose(f) != 0 || rc < 0) {
		free(buf);
		return;
	}
	if (print_sha256_hex(buf, len, out) < 0)
		out[0] = '\0';
	free(buf);
}
