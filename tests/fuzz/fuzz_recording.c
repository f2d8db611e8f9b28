/*
 * fuzz_recording.c - libFuzzer harness: arbitrary bytes as a recorded
 * conversation file (--replay reads it as hostile input): each line
 * through rec_line_read(), its request delta through rec_match_apply(),
 * the rebuilt request compared with a fixed body by rec_match_compare().
 *
 * Design note
 * -----------
 * The key expected is the one the seed corpus uses (unit "u", repeat 0,
 * phase 0 "p", agent "a") with turns counting from 1, so inputs that pass
 * the key check reach the delta and the comparison, as a replay does.
 * At most 16 lines an input; every attempt read is walked (its headers
 * and body within the lengths given) so ASan sees any bad bound.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/api/rec_line.h"
#include "supervisor/api/rec_match.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t
fuzz_walk(const struct rec_attempt *a, size_t n)
{
	size_t sum = 0;

	for (size_t i = 0; i < n; i++) {
		for (size_t h = 0; h < a[i].n_headers; h++)
			sum += strlen(a[i].headers[h]);
		for (size_t b = 0; b < a[i].body_len; b++)
			sum += (unsigned char)a[i].body[b];
	}
	return sum;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rec_line_key want = { "u", 0, 0, "p", "a", 1 };
	struct rec_req prev = { 0 };
	json_t *body = json_loads("{\"model\":\"m\",\"messages\":[{\"role\":"
				  "\"user\",\"content\":\"hi\"}]}",
				  0, NULL);
	json_t *seen = json_object(), *diffs = json_array();
	char *copy = malloc(size ? size : 1);
	FILE *f;

	if (!copy || !body)
		abort();
	memcpy(copy, data, size);
	f = fmemopen(copy, size, "r");
	for (int line = 0; f && line < 16; line++, want.turn++) {
		struct rec_attempt *att = NULL;
		json_t *delta = NULL;
		size_t n = 0;
		char err[256];
		int rc = rec_line_read(f, &want, &delta, &att, &n, err,
				       sizeof(err));

		if (rc != 0)
			break;
		if (n == 0 || n > REC_MAX_ATTEMPTS || !delta)
			abort(); /* a line read must have what replay needs */
		(void)fuzz_walk(att, n);
		if (rec_match_apply(&prev, delta, err, sizeof(err)) == 0)
			(void)rec_match_compare(&prev, body, seen, diffs, err,
						sizeof(err));
		for (size_t i = 0; i < n; i++)
			rec_line_attempt_clear(&att[i]);
		free(att);
		json_decref(delta);
	}
	if (f)
		fclose(f);
	rec_req_clear(&prev);
	json_decref(body);
	json_decref(seen);
	json_decref(diffs);
	free(copy);
	return 0;
}
