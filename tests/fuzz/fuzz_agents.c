/*
 * fuzz_agents.c - libFuzzer harness for the persona loader.
 *
 * `--agents-dir DIR` adds or overrides personas from YAML files a user
 * hands over (supervisor/config/agents.c, through yamljson.c). The input
 * is the one file of such a directory, loaded after the built-in eight of
 * the data directory (GAO_DEV_DATADIR, set by the meson test; else found
 * the way gao-dev finds it).
 *
 * Checked, beyond no crash, leak or sanitizer report: a load either fails
 * with a message, or gives a list where every persona has a name, a role,
 * a persona text and an array of tool names, and every name is found
 * again by agents_find().
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/config/agents.h"
#include "tests/fuzz/fuzz_input_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_list(const struct agents *a)
{
	size_t i, j;
	json_t *t;

	for (i = 0; i < a->n; i++) {
		const struct agent_def *d = &a->list[i];

		if (d->name == NULL || d->role == NULL || d->persona == NULL ||
		    !json_is_array(d->tools))
			abort();
		json_array_foreach(d->tools, j, t)
			if (!json_is_string(t))
				abort();
		if (agents_find(a, d->name) == NULL)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct agents a = { 0 };
	char path[512], err[1024] = "";

	fuzz_input_write("fuzzed.yaml", data, size, path, sizeof(path));
	if (agents_load(&a, fuzz_input_dir(), err, sizeof(err)) != 0) {
		if (err[0] == '\0')
			abort();
	} else {
		check_list(&a);
	}
	agents_clear(&a);
	return 0;
}
