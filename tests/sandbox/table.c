/*
 * table.c - the expected outcomes, read from docs/escape-suite.md.
 *
 * Design note
 * -----------
 * The document is the single source of truth: its table has one row per
 * attempt, "| n | attempt | full | no namespaces | no Landlock | seccomp
 * only | why |", and each level's cell is one of
 *
 *   contained              contained as root and unprivileged
 *   escapes                escapes as root and unprivileged
 *   escapes unprivileged   escapes when the suite runs as a user other
 *                          than root (as root the worker's uid drop
 *                          contains it)
 *
 * GAO_SBX_SHOW=1 in the environment logs what every attempt saw.
 *
 * optionally followed by "; below ABI N: <outcome>" for an attempt that
 * only a Landlock feature contains at that level (signal scoping is ABI
 * 6): on a kernel whose Landlock ABI is below N the second outcome is
 * expected. A cell may carry emphasis (**escapes**); nothing else is
 * accepted, and a row missing for any of the 32 attempts fails every
 * test, so the table cannot silently fall out of step with the suite.
 */
#include "sbx.h"

#include "policy/apply.h"

#include <criterion/criterion.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SBX_ATTEMPTS 32

struct cell {
	enum sbx_outcome outcome;
	int below_abi;          /* 0: no condition */
	enum sbx_outcome below; /* the outcome below that ABI */
};

static struct cell table[SBX_ATTEMPTS + 1][SBX_N_LEVELS];
static bool loaded[SBX_ATTEMPTS + 1];
static bool parsed;

/* Trim blanks and ** emphasis in place. */
static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '*')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '*' || e[-1] == '\n'))
		*--e = 0;
	return s;
}

static int
parse_outcome(const char *word, enum sbx_outcome *out)
{
	if (strcmp(word, "contained") == 0)
		*out = SBX_CONTAINED;
	else if (strcmp(word, "escapes") == 0)
		*out = SBX_ESCAPES;
	else if (strcmp(word, "escapes unprivileged") == 0)
		*out = SBX_ESCAPES_UNPRIV;
	else
		return -1;
	return 0;
}

/* "outcome" or "outcome; below ABI N: outcome" (modified in place). */
static int
parse_cell(char *text, struct cell *c)
{
	char *semi = strchr(text, ';'), *colon;

	c->below_abi = 0;
	if (!semi)
		return parse_outcome(trim(text), &c->outcome);
	*semi = 0;
	colon = strchr(semi + 1, ':');
	if (!colon || sscanf(semi + 1, " below ABI %d", &c->below_abi) != 1 ||
	    c->below_abi < 1)
		return -1;
	if (parse_outcome(trim(text), &c->outcome) < 0)
		return -1;
	return parse_outcome(trim(colon + 1), &c->below);
}

/* One "| n | attempt | c1 | c2 | c3 | c4 | why |" row. */
static void
parse_row(char *line, const char *path, int lineno)
{
	char *field[8], *p = line + 1, *bar;
	int nf = 0, n;

	while (nf < 8 && (bar = strchr(p, '|')) != NULL) {
		*bar = 0;
		field[nf++] = trim(p);
		p = bar + 1;
	}
	if (nf < 6 || !isdigit((unsigned char)field[0][0]))
		return;
	n = atoi(field[0]);
	cr_assert(n >= 1 && n <= SBX_ATTEMPTS, "%s:%d: attempt %d", path,
		  lineno, n);
	for (int lv = 0; lv < SBX_N_LEVELS; lv++) {
		char cell[256];

		snprintf(cell, sizeof(cell), "%s", field[2 + lv]);
		cr_assert_eq(parse_cell(cell, &table[n][lv]), 0,
			     "%s:%d: bad cell \"%s\"", path, lineno,
			     field[2 + lv]);
	}
	loaded[n] = true;
}

static void
load(void)
{
	char path[4096], *line = NULL;
	size_t cap = 0;
	int lineno = 0;
	FILE *f;

	if (parsed)
		return;
	snprintf(path, sizeof(path), "%s/docs/escape-suite.md",
		 sbx_source_root());
	f = fopen(path, "re");
	cr_assert_not_null(f, "cannot open %s", path);
	while (getline(&line, &cap, f) > 0) {
		lineno++;
		if (line[0] == '|')
			parse_row(line, path, lineno);
	}
	free(line);
	fclose(f);
	for (int n = 1; n <= SBX_ATTEMPTS; n++)
		cr_assert(loaded[n], "%s: no row for attempt %d", path, n);
	parsed = true;
}

enum sbx_outcome
sbx_expected(int n, enum sbx_level lv)
{
	load();
	cr_assert(n >= 1 && n <= SBX_ATTEMPTS && lv < SBX_N_LEVELS);
	if (table[n][lv].below_abi &&
	    policy_landlock_abi() < table[n][lv].below_abi)
		return table[n][lv].below;
	return table[n][lv].outcome;
}

bool
sbx_expect_escape(int n, enum sbx_level lv)
{
	switch (sbx_expected(n, lv)) {
	case SBX_ESCAPES:
		return true;
	case SBX_ESCAPES_UNPRIV:
		return !sbx_workers_own_uid();
	default:
		return false;
	}
}

void
sbx_judge(const struct sbx *s, int n, bool escaped, const char *detail)
{
	bool want = sbx_expect_escape(n, s->level);

	/* GAO_SBX_SHOW=1: what each attempt saw, for reading the table */
	if (getenv("GAO_SBX_SHOW"))
		cr_log_info("#%d at %s: %s\n%.3000s", n,
			    sbx_level_name(s->level),
			    escaped ? "escaped" : "contained",
			    detail ? detail : "");

	cr_assert_eq(escaped, want,
		     "attempt #%d at level \"%s\" as %s: "
		     "docs/escape-suite.md says it %s, but it %s.\n%.3000s",
		     n, sbx_level_name(s->level),
		     sbx_workers_own_uid() ? "root" :
		     sbx_is_root()         ? "root without a mapped uid" :
					     "an unprivileged user",
		     want ? "escapes" : "is contained",
		     escaped ? "escaped" : "was contained",
		     detail ? detail : "");
}
