/*
 * tool_fixture.c - a throw-away project directory for the tool tests: see
 * tool_fixture.h.
 *
 * Removal uses nftw(FTW_DEPTH | FTW_PHYS), so a symlink the test planted
 * towards outside/ or elsewhere is removed, never followed.
 */
#include "tests/unit/tool_fixture.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void
tool_fixture_setup(struct tool_fixture *f)
{
	char tmpl[] = "/tmp/gao-tool-test-XXXXXX", *base;

	memset(f, 0, sizeof(*f));
	base = mkdtemp(tmpl);
	cr_assert_not_null(base, "mkdtemp: %s", strerror(errno));
	cr_assert_not_null(realpath(base, f->base), "realpath");
	snprintf(f->dir, sizeof(f->dir), "%s/project", f->base);
	snprintf(f->outside, sizeof(f->outside), "%s/outside", f->base);
	cr_assert_eq(mkdir(f->dir, 0755), 0);
	cr_assert_eq(mkdir(f->outside, 0755), 0);
	f->fd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(f->fd, 0);
	f->ctx.project_fd = f->fd;
	f->ctx.project_dir = f->dir;
	f->ctx.output_max = 30000;
	f->ctx.timeout_default_ms = 120000;
	f->ctx.timeout_max_ms = 600000;
	f->ctx.allow_exec = true;
}

static int
rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	/* Best effort: a leftover only wastes /tmp space. */
	if (type == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

void
tool_fixture_teardown(struct tool_fixture *f)
{
	if (f->fd > 0)
		close(f->fd);
	f->fd = -1;
	if (f->base[0] != '\0')
		nftw(f->base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* mkdir -p of the directories leading to path (not path itself). */
static void
make_parents(const char *path)
{
	char buf[PATH_MAX], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(buf, 0755) < 0)
			cr_assert_eq(errno, EEXIST, "mkdir %s: %s", buf,
				     strerror(errno));
		*p = '/';
	}
}

void
tool_fixture_put_bytes(const char *root, const char *rel, const void *data,
		       size_t len)
{
	char path[PATH_MAX];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	make_parents(path);
	fp = fopen(path, "we");
	cr_assert_not_null(fp, "fopen %s: %s", path, strerror(errno));
	cr_assert_eq(fwrite(data, 1, len, fp), len);
	cr_assert_eq(fclose(fp), 0);
}

void
tool_fixture_put(const char *root, const char *rel, const char *content)
{
	tool_fixture_put_bytes(root, rel, content, strlen(content));
}

char *
tool_fixture_get(const char *root, const char *rel, size_t *len)
{
	char path[PATH_MAX], *buf;
	struct stat st;
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	fp = fopen(path, "re");
	if (fp == NULL)
		return NULL;
	if (fstat(fileno(fp), &st) < 0 || !S_ISREG(st.st_mode)) {
		fclose(fp);
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	cr_assert_not_null(buf);
	n = fread(buf, 1, (size_t)st.st_size, fp);
	fclose(fp);
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return buf;
}

bool
tool_fixture_exists(const char *root, const char *rel)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	return lstat(path, &st) == 0;
}

void
tool_fixture_symlink(const char *target, const char *root, const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	make_parents(path);
	cr_assert_eq(symlink(target, path), 0, "symlink %s: %s", path,
		     strerror(errno));
}

void
tool_fixture_run(struct tool_fixture *f, tool_fn fn, const char *json,
		 uint32_t timeout_ms, struct tool_out *out)
{
	json_error_t jerr;
	json_t *input;
	int rc;

	input = json_loads(json, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	cr_assert_not_null(input, "bad test JSON %s: %s", json, jerr.text);
	tool_out_clear(out);
	rc = fn(&f->ctx, input, timeout_ms, out);
	json_decref(input);
	cr_assert_eq(rc, 0, "tool returned %d", rc);
	cr_assert_not_null(out->content);
}

void
tool_fixture_begin(struct tool_fixture *f, struct tool_out *out)
{
	tool_fixture_setup(f);
	memset(out, 0, sizeof(*out));
}

void
tool_fixture_end(struct tool_fixture *f, struct tool_out *out)
{
	tool_out_clear(out);
	tool_fixture_teardown(f);
}

bool
tool_fixture_utf8_ok(const char *s)
{
	json_t *j = json_string(s);
	bool ok = j != NULL;

	json_decref(j);
	return ok;
}
