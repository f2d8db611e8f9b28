/*
 * fuzz_policy.c - libFuzzer harness for the profile loader.
 *
 * Profiles are normally the operator's files, but `--policy PATH` takes
 * any file, so the loader must reject garbage cleanly: no crash, no leak,
 * no unbounded work. For every input that does load, two properties are
 * checked: policy_print() output loads again to a policy with the same
 * hash, and policy_to_msg() expands every path.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"
#include "proto/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Print p, load the text again, and compare hashes. */
static void
check_round_trip(const struct policy *p)
{
	struct policy *q = NULL;
	char *text = NULL, h1[65], h2[65], err[256];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (f == NULL)
		return;
	if (policy_print(f, p) != 0)
		abort();
	fclose(f);
	if (policy_load_buffer(text, len, "printed", &q, err, sizeof(err)) != 0)
		abort();
	policy_hash(p, h1);
	policy_hash(q, h2);
	if (strcmp(h1, h2) != 0 || strlen(h1) != 64)
		abort();
	policy_free(q);
	free(text);
}

static void
check_expand(const struct policy *p)
{
	struct msg_policy m;
	size_t i;

	if (policy_to_msg(p, "/srv/project", "/srv/tmp", &m) != 0)
		abort();
	if (m.n_ro != p->n_ro || m.n_rw != p->n_rw)
		abort();
	for (i = 0; i < m.n_rw; i++)
		if (m.rw_paths[i][0] != '/' || strchr(m.rw_paths[i], '{'))
			abort();
	msg_policy_clear(&m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy *p = NULL;
	char err[256];

	if (policy_load_buffer((const char *)data, size, "fuzz", &p, err,
			       sizeof(err)) != 0) {
		if (p != NULL || strncmp(err, "fuzz", 4) != 0)
			abort();
		return 0;
	}
	check_round_trip(p);
	check_expand(p);
	policy_free(p);
	return 0;
}
