/*
 * fuzz_config.c - libFuzzer harness for the benchmark config loader.
 *
 * A benchmark config is untrusted input (a file from a pull request, say):
 * YAML read as JSON with positions (supervisor/config/yamljson.c), then
 * every field checked and the plan built (benchmark.c, bm_parse.c,
 * bm_stories.c, bm_text.c) under the default rules for untrusted configs
 * (confine.c). The input is written as benchmark.yaml in a private
 * directory: boilerplate paths resolve against it and find nothing else.
 *
 * Checked for every input, beyond no crash, leak or sanitizer report: the
 * loader returns a benchmark or, only for text that is not YAML at all, a
 * message; the error and warning lists are arrays of strings; a config
 * without errors has at least one phase, and every phase a name, an agent
 * and a positive timeout.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/config/benchmark.h"
#include "tests/fuzz/fuzz_input_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_strings(const json_t *list)
{
	size_t i;
	json_t *v;

	if (!json_is_array(list))
		abort();
	json_array_foreach(list, i, v)
		if (!json_is_string(v) || json_string_length(v) == 0)
			abort();
}

static void
check_plan(const struct benchmark *b)
{
	if (b->n_phases == 0 || b->phases == NULL)
		abort();
	for (size_t i = 0; i < b->n_phases; i++) {
		const struct bm_phase *p = &b->phases[i];

		if (p->name == NULL || p->agent == NULL ||
		    p->timeout_seconds <= 0)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct benchmark *b;
	char path[512], err[1024] = "";

	fuzz_input_write("benchmark.yaml", data, size, path, sizeof(path));
	b = benchmark_load(path, err, sizeof(err));
	if (b == NULL) {
		if (err[0] == '\0')
			abort();
		return 0;
	}
	check_strings(b->errors);
	check_strings(b->warnings);
	if (json_array_size(b->errors) == 0)
		check_plan(b);
	benchmark_free(b);
	return 0;
}
