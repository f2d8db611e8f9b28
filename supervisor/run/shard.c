/*
 * shard.c - --shard I/N: unit assignment and the manifest. See shard.h.
 */
#include "supervisor/run/shard.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/io.h"
#include "config.h"
#include "supervisor/core/secret.h"
#include "supervisor/out/results.h"

#define SHARD_MAX_CONFIG (16 << 20)

static void
hex(const unsigned char *md, unsigned n, char *out)
{
	for (unsigned k = 0; k < n; k++)
		snprintf(out + 2 * k, 3, "%02x", md[k]);
}

int
shard_of(const char *name, int repeat_idx, int n)
{
	unsigned char best[EVP_MAX_MD_SIZE] = { 0 }, md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	int win = 1;

	for (int k = 1; k <= n; k++) {
		char buf[1200];
		int len = snprintf(buf, sizeof(buf), "%.1023s%c%d%c%d", name, 0,
				   repeat_idx, 0, k);

		if (len < 0 || (size_t)len >= sizeof(buf))
			len = (int)sizeof(buf) - 1;
		if (!EVP_Digest(buf, (size_t)len, md, &mdlen, EVP_sha256(),
				NULL))
			continue;
		if (k == 1 || memcmp(md, best, mdlen) > 0) {
			memcpy(best, md, mdlen);
			win = k;
		}
	}
	return win;
}

bool
shard_slot_mine(const struct shard_inv *inv, int slot)
{
	if (inv->n <= 0 || inv->n_configs <= 0)
		return true;
	return shard_of(inv->configs[slot % inv->n_configs]->name,
			slot / inv->n_configs, inv->n) == inv->i;
}

int
shard_check_names(const struct shard_inv *inv, char *err, size_t errlen)
{
	for (int a = 0; a < inv->n_configs; a++)
		for (int b = a + 1; b < inv->n_configs; b++)
			if (!strcmp(inv->configs[a]->name,
				    inv->configs[b]->name)) {
				snprintf(err, errlen,
					 "--shard: %.400s and %.400s both name "
					 "benchmark \"%.200s\"; a work unit is "
					 "a benchmark name and a repeat index, "
					 "so names must differ (or drop "
					 "--shard)",
					 inv->configs[a]->path,
					 inv->configs[b]->path,
					 inv->configs[a]->name);
				return -1;
			}
	return 0;
}

int
shard_sha256_file(const char *path, char out[72])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	char *buf = NULL;
	ssize_t n;
	int fd, rc = -1;

	fd = io_open(path, O_RDONLY, 0);
	if (fd < 0)
		return -1;
	buf = malloc(SHARD_MAX_CONFIG + 1);
	if (!buf)
		goto out;
	n = io_read_all(fd, buf, SHARD_MAX_CONFIG + 1);
	if (n < 0 || n > SHARD_MAX_CONFIG)
		goto out;
	if (!EVP_Digest(buf, (size_t)n, md, &mdlen, EVP_sha256(), NULL))
		goto out;
	strcpy(out, "sha256:");
	hex(md, mdlen, out + 7);
	rc = 0;
out:
	free(buf);
	close(fd);
	return rc;
}

/* The results file's path relative to root, or "" when not below it. */
static const char *
rel_to(const char *root, const char *path)
{
	size_t n = strlen(root);

	if (path && !strncmp(path, root, n) && path[n] == '/')
		return path + n + 1;
	return "";
}

/* The record of one unit this shard ran (or could not start). */
static json_t *
unit_ran(const char *root, const char *name, int rep, const json_t *r)
{
	json_t *heads = json_array(), *ph;
	const json_t *pol = json_object_get(json_object_get(r, "reproduce"),
					    "policy");
	const char *id = json_string_value(json_object_get(r, "run_id"));
	const char *file = json_string_value(
		json_object_get(r, "results_file"));
	size_t k;

	json_array_foreach(json_object_get(r, "phases"), k, ph) {
		const char *h = json_string_value(
			json_object_get(ph, "audit_head"));

		if (h)
			json_array_append_new(
				heads,
				json_pack("{s:s?,s:s}", "phase",
					  json_string_value(
						  json_object_get(ph, "name")),
					  "head", h));
	}
	return json_pack(
		"{s:s,s:i,s:s?,s:s?,s:i,s:s?,s:s?,s:o}", "name", name, "repeat",
		rep, "run_id", id, "status",
		json_string_value(json_object_get(r, "status")), "exit_code",
		(int)json_integer_value(json_object_get(r, "exit_code")),
		"results_file", file ? rel_to(root, file) : NULL, "policy_hash",
		json_string_value(json_object_get(pol, "hash")), "audit_heads",
		heads);
}

static json_t *
configs_json(const struct shard_inv *inv)
{
	json_t *a = json_array();
	char sum[72];

	for (int c = 0; c < inv->n_configs; c++) {
		const struct benchmark *b = inv->configs[c];

		if (shard_sha256_file(b->path, sum) < 0)
			snprintf(sum, sizeof(sum), "unreadable");
		json_array_append_new(a, json_pack("{s:s,s:s,s:s}", "name",
						   b->name, "config_file",
						   b->path, "sha256", sum));
	}
	return a;
}

int
shard_write_manifest(const char *root, const struct shard_inv *inv,
		     const json_t *const *results, bool interrupted, char *err,
		     size_t errlen)
{
	json_t *m, *units = json_array(), *ran = json_array();
	char path[4200], *text = NULL, *red = NULL;
	int rc = -1, wrc;

	for (int s = 0; s < inv->n_configs * inv->repeat; s++) {
		const char *name = inv->configs[s % inv->n_configs]->name;
		int rep = s / inv->n_configs;

		json_array_append_new(units,
				      json_pack("{s:s,s:i,s:i}", "name", name,
						"repeat", rep, "shard",
						shard_of(name, rep, inv->n)));
		if (results[s])
			json_array_append_new(ran, unit_ran(root, name, rep,
							    results[s]));
	}
	m = json_pack("{s:i,s:s,s:i,s:i,s:o,s:s?,s:s?,s:s?,s:s?,s:b,s:o,s:o}",
		      "format", SHARD_FORMAT, "gao_dev_version",
		      GAO_DEV_VERSION, "shard", inv->i, "of", inv->n, "configs",
		      configs_json(inv), "model", inv->model, "api_version",
		      inv->api_version, "price_table_date", inv->price_date,
		      "policy", inv->policy, "interrupted", interrupted,
		      "units", units, "ran", ran);
	if (!m) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	json_object_set_new(m, "repeat", json_integer(inv->repeat));
	snprintf(path, sizeof(path), "%s/manifest-%d-of-%d.json", root, inv->i,
		 inv->n);
	text = json_dumps(m, JSON_INDENT(2) | JSON_SORT_KEYS);
	red = text ? secret_redact(text) : NULL;
	wrc = red ? results_write_text_atomic(path, red) : -ENOMEM;
	if (wrc < 0)
		snprintf(err, errlen, "cannot write %.4000s: %s", path,
			 strerror(-wrc));
	else
		rc = 0;
	free(red);
	free(text);
	json_decref(m);
	return rc;
}
