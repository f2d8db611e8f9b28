/*
 * bm_text.c - a config's text (see bm_parse.h). gao-dev fills in no
 * templates, so a config that still holds a template's placeholder (a
 * "{{...}}" in any string value, or a whole value "<...>") was never
 * finished: each one is an error at the placeholder's own line and
 * column. An unquoted "{{" is not even YAML (a flow mapping whose key is
 * a mapping); the YAML error then says so too.
 */
#include "supervisor/config/bm_parse.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- placeholders left from a template ------------------------------ */

/*
 * The template placeholder in s, into out: the first "{{...}}" on one
 * line, or the whole value (spaces aside) when it is "<words>" (a word or
 * a few: "<my-benchmark>", not "<a href=...>" or "GET /hello/<name>").
 */
static bool
placeholder(const char *s, char *out, size_t cap)
{
	const char *a, *z;
	size_t n;

	for (a = strstr(s, "{{"); a; a = strstr(a + 2, "{{")) {
		z = strstr(a + 2, "}}");
		if (z && !memchr(a, '\n', (size_t)(z - a))) {
			snprintf(out, cap, "%.*s", (int)(z + 2 - a), a);
			return true;
		}
	}
	s += strspn(s, " \t\n");
	n = strlen(s);
	while (n && strchr(" \t\n", s[n - 1]))
		n--;
	if (n < 3 || s[0] != '<' || s[n - 1] != '>' ||
	    !isalpha((unsigned char)s[1]))
		return false;
	for (size_t i = 1; i < n - 1; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr(" _-.", s[i]))
			return false;
	snprintf(out, cap, "%.*s", (int)n, s);
	return true;
}

/* The file's text (NUL-terminated, malloc'ed), or NULL. */
static char *
read_text(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = f ? malloc(BM_TEXT_MAX + 1) : NULL;
	size_t n = 0;

	if (buf)
		n = fread(buf, 1, BM_TEXT_MAX, f);
	if (f)
		fclose(f);
	if (buf)
		buf[n] = 0;
	return buf;
}

/* The start of line number line (1-based) of text, or NULL. */
static const char *
line_start(const char *text, int line)
{
	for (int i = 1; text && i < line; i++) {
		text = strchr(text, '\n');
		if (text)
			text++;
	}
	return text;
}

/*
 * Where needle first occurs in the file at or after line *line: its line
 * and column (in characters, as YAML counts them); unchanged if nowhere.
 */
static void
text_pos(struct bm_ctx *c, const char *needle, int *line, int *col)
{
	const char *bol, *hit, *nl;
	int l = *line, n = 1;

	if (!c->text)
		c->text = read_text(c->b->path);
	bol = line_start(c->text, l);
	hit = bol ? strstr(bol, needle) : NULL;
	if (!hit)
		return;
	for (nl = strchr(bol, '\n'); nl && nl < hit; nl = strchr(bol, '\n')) {
		bol = nl + 1;
		l++;
	}
	for (const char *p = bol; p < hit; p++)
		n += ((unsigned char)*p & 0xc0) != 0x80;
	*line = l;
	*col = n;
}

static void
report_placeholder(struct bm_ctx *c, const char *path, const char *ph)
{
	char msg[400];
	int line = 0, col = 0;

	bm_parse_pos(c, path, &line, &col);
	text_pos(c, ph, &line, &col);
	snprintf(msg, sizeof(msg),
		 "template placeholder \"%.80s\" was never "
		 "filled in: replace it with the real value (gao-dev does not "
		 "fill in templates)",
		 ph);
	bm_parse_emit(c, c->b->errors, line, col, path, msg);
}

/* Every string value below v (its path in path, of size cap). */
void
bm_text_placeholders(struct bm_ctx *c, json_t *v, char *path, size_t cap)
{
	size_t base = strlen(path), i;
	const char *k;
	char ph[128];
	json_t *e;

	if (json_is_string(v) &&
	    placeholder(json_string_value(v), ph, sizeof(ph)))
		report_placeholder(c, path, ph);
	json_object_foreach(v, k, e) {
		snprintf(path + base, cap - base, "%s%s", base ? "." : "", k);
		bm_text_placeholders(c, e, path, cap);
	}
	json_array_foreach(v, i, e) {
		snprintf(path + base, cap - base, "[%zu]", i);
		bm_text_placeholders(c, e, path, cap);
	}
	path[base] = 0;
}

/*
 * A YAML error on a line that holds "{{...}}": say it is a placeholder.
 * err is "path:line:column: message".
 */
void
bm_text_explain_yaml_error(const char *path, char *err, size_t errlen)
{
	size_t len = strlen(path), used = strlen(err);
	char *text, ph[128];
	const char *bol, *eol;
	int line;

	if (strncmp(err, path, len) != 0 || err[len] != ':')
		return;
	line = (int)strtol(err + len + 1, NULL, 10); /* 0 when none */
	text = read_text(path);
	bol = line > 0 ? line_start(text, line) : NULL;
	eol = bol ? strchrnul(bol, '\n') : NULL;
	if (eol)
		*(char *)eol = 0;
	if (bol && strstr(bol, "{{") && placeholder(bol, ph, sizeof(ph)))
		snprintf(err + used, errlen - used,
			 "; this line holds the "
			 "template placeholder \"%.80s\": replace it with the "
			 "real value (gao-dev does not fill in templates)",
			 ph);
	free(text);
}
