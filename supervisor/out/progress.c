/*
 * progress.c - see progress.h for the design note.
 */
#include "supervisor/out/progress.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <jansson.h>

#include "common/termesc.h"
#include "common/utf8.h"
#include "supervisor/core/evlog.h"

#define TICK_MS 100   /* at most 10 redraws a second */
#define MAX_RUNS 64   /* runs shown at once (--jobs beyond: counted) */
#define MIN_COLS 20   /* narrower terminals are taken as 20 wide */
#define MAX_COLS 1000 /* wider ones as 1000 */
#define LINES_PER_RUN 3

/* One running run, as the events tell it (strings redacted, unescaped). */
struct prun {
	char id[64];
	char name[256];
	char phase[256];
	char agent[128];
	char tool[512]; /* "Bash {...}", cut */
	int phase_no, phases, turn;
	int64_t tokens;
	double cost, cap;
	bool cost_unknown;
	uint64_t started_ms;
};

static struct {
	enum progress_view view;
	bool colour;
	bool up;      /* the area is on the terminal (cursor hidden) */
	bool dirty;   /* something changed since the last redraw */
	bool hooked;  /* atexit registered */
	bool resized; /* SIGWINCH since the last redraw */
	struct loop *loop;
	uint64_t timer;
	int sigfd;
	unsigned cols, rows;
	uint64_t last_sec; /* the elapsed second of the last redraw */
	struct prun runs[MAX_RUNS];
	int n_runs;
	int hidden; /* runs not shown: no room in runs[] */
} P = { .sigfd = -1 };

/* ---- output ---- */

/* The whole buffer to stderr; a failed terminal write is dropped. */
static void
put(const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(2, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static void
puts2(const char *s)
{
	put(s, strlen(s));
}

unsigned long
progress_cut(const char *s, unsigned long cols)
{
	size_t len = strlen(s), i = 0;
	unsigned long used = 0;

	while (i < len) {
		int n = utf8_seq(s + i, len - i);
		unsigned long w = 1;
		uint32_t cp;

		if (n <= 0) /* not valid UTF-8: stop before it */
			break;
		cp = (unsigned char)s[i];
		if (n > 1) {
			cp &= 0x7fu >> n;
			for (int k = 1; k < n; k++)
				cp = (cp << 6) |
				     ((unsigned char)s[i + k] & 0x3fu);
		}
		if (cp >= 0x1100)
			w = 2;
		if (used + w > cols)
			break;
		used += w;
		i += (size_t)n;
	}
	return i;
}

/*
 * One line of the area into m: the text escaped, its newlines and tabs
 * as spaces, cut to the width; sgr is the colour (NULL: none). Out of
 * memory, the line is empty: draw() counts it all the same.
 */
static void
line(FILE *m, const char *sgr, const char *text)
{
	char *flat = strdup(text), *esc = NULL;

	if (flat) {
		for (char *p = flat; *p; p++)
			if (*p == '\n' || *p == '\t')
				*p = ' ';
		esc = termesc_dup(flat);
		free(flat);
	}
	if (esc) {
		if (sgr && P.colour)
			fputs(sgr, m);
		/* a memstream: a failed write shows at fclose() */
		(void)fwrite(esc, 1, progress_cut(esc, P.cols - 1), m);
		if (sgr && P.colour)
			fputs("\x1b[0m", m);
		free(esc);
	}
	fputs("\x1b[K\n", m); /* the rest of the old line goes */
}

static void
query_size(void)
{
	struct winsize ws;

	P.cols = 80;
	P.rows = 24;
	if (ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col && ws.ws_row) {
		P.cols = ws.ws_col;
		P.rows = ws.ws_row;
	}
	if (P.cols < MIN_COLS)
		P.cols = MIN_COLS;
	if (P.cols > MAX_COLS)
		P.cols = MAX_COLS;
	if (P.rows < 2)
		P.rows = 2;
}

static void
fmt_elapsed(char *buf, size_t cap, uint64_t ms)
{
	uint64_t s = ms / 1000;

	if (s >= 3600)
		snprintf(buf, cap, "%llu:%02llu:%02llu",
			 (unsigned long long)(s / 3600),
			 (unsigned long long)(s / 60 % 60),
			 (unsigned long long)(s % 60));
	else
		snprintf(buf, cap, "%llu:%02llu", (unsigned long long)(s / 60),
			 (unsigned long long)(s % 60));
}

static void
draw_run(FILE *m, const struct prun *r, uint64_t now)
{
	char buf[1400], cost[96], el[32];

	snprintf(buf, sizeof(buf), "%s: phase %d/%d %s, agent %s",
		 r->name[0] ? r->name : "run", r->phase_no, r->phases,
		 r->phase[0] ? r->phase : "-", r->agent[0] ? r->agent : "-");
	line(m, "\x1b[1m", buf);
	if (r->cost_unknown)
		snprintf(cost, sizeof(cost), "cost unknown (no price)");
	else if (r->cap > 0)
		snprintf(cost, sizeof(cost), "cost $%.4f of $%.2f", r->cost,
			 r->cap);
	else
		snprintf(cost, sizeof(cost), "cost $%.4f (no cap)", r->cost);
	fmt_elapsed(el, sizeof(el), now - r->started_ms);
	snprintf(buf, sizeof(buf), "  turn %d  tokens %lld  %s  elapsed %s",
		 r->turn, (long long)r->tokens, cost, el);
	line(m, NULL, buf);
	snprintf(buf, sizeof(buf), "  last tool: %s",
		 r->tool[0] ? r->tool : "-");
	line(m, "\x1b[2m", buf);
}

/* Redraw the area from its first line (where the cursor rests). */
static void
draw(void)
{
	char *buf = NULL;
	size_t len = 0;
	uint64_t now = loop_now_ms();
	int lines = 1, room = ((int)P.rows - 2) / LINES_PER_RUN, shown = 0;
	FILE *m = open_memstream(&buf, &len);

	if (!m)
		return;
	/* after a resize the terminal has reflowed the old area in its
	 * own way, so the cursor may be anywhere: start on a clean screen */
	if (P.resized && P.up)
		fputs("\x1b[H\x1b[2J", m);
	P.resized = false;
	fputc('\r', m);
	if (!P.up)
		fputs("\x1b[?25l", m);
	fputs("\x1b[K\n", m); /* the blank first line (progress.h) */
	for (int i = 0; i < P.n_runs && shown < room; i++, shown++) {
		draw_run(m, &P.runs[i], now);
		lines += LINES_PER_RUN;
	}
	if (P.n_runs - shown + P.hidden > 0) {
		char more[64];

		snprintf(more, sizeof(more), "  ... and %d more running",
			 P.n_runs - shown + P.hidden);
		line(m, NULL, more);
		lines++;
	}
	/* what is left of a taller area, below this one; never from the
	 * first row, which some terminals (tmux's scroll-on-clear) would
	 * take as clearing the screen and scroll into the history */
	fprintf(m, "\x1b[J\x1b[%dA", lines);
	if (fclose(m) == 0)
		put(buf, len);
	free(buf);
	P.up = true;
	P.dirty = false;
	P.last_sec = now / 1000;
}

/* Take the area off the terminal (from its blank first line, see
 * draw()), the cursor back at its first line. */
static void
erase_area(void)
{
	puts2("\r\x1b[K\n\x1b[J\x1b[A");
}

/* Take the area off the terminal and show the cursor. */
static void
clear_area(void)
{
	if (P.up) {
		erase_area();
		puts2("\x1b[?25h");
	}
	P.up = false;
}

static void
at_exit(void)
{
	clear_area();
}

/* ---- state from the events ---- */

static struct prun *
find_run(const char *id, bool create)
{
	for (int i = 0; i < P.n_runs; i++)
		if (!strcmp(P.runs[i].id, id))
			return &P.runs[i];
	if (!create || !id[0])
		return NULL;
	if (P.n_runs == MAX_RUNS) {
		P.hidden++;
		return NULL;
	}
	struct prun *r = &P.runs[P.n_runs++];

	memset(r, 0, sizeof(*r));
	utf8_copy(r->id, sizeof(r->id), id);
	r->started_ms = loop_now_ms();
	return r;
}

static void
drop_run(struct prun *r)
{
	int i = (int)(r - P.runs);

	memmove(&P.runs[i], &P.runs[i + 1],
		(size_t)(P.n_runs - i - 1) * sizeof(*r));
	P.n_runs--;
}

static void
copy_str(char *out, size_t cap, const json_t *f, const char *key)
{
	const char *v = json_string_value(json_object_get(f, key));

	if (v)
		utf8_copy(out, cap, v);
}

/* A json_dump_callback sink that keeps the first cap bytes (jansson's
 * json_dumpb skips a chunk that does not fit and leaves a hole). */
struct bounded {
	char *buf;
	size_t cap, used;
};

static int
bounded_put(const char *s, size_t n, void *ctx)
{
	struct bounded *b = ctx;
	size_t room = b->cap - b->used;

	if (n > room)
		n = room;
	memcpy(b->buf + b->used, s, n);
	b->used += n;
	return 0;
}

/* "Tool {input...}", cut at the buffer (the input may be huge). */
static void
set_tool(struct prun *r, const json_t *f)
{
	const char *tool = json_string_value(json_object_get(f, "tool"));
	const json_t *in = json_object_get(f, "input");
	char dump[sizeof(r->tool)];
	size_t n = 0;

	dump[0] = '\0';
	if (in) {
		struct bounded bd = { dump, sizeof(dump) - 1, 0 };

		json_dump_callback(in, bounded_put, &bd,
				   JSON_COMPACT | JSON_ENCODE_ANY);
		n = bd.used;
		dump[n] = '\0';
	}
	snprintf(r->tool, sizeof(r->tool), "%s %s", tool ? tool : "?", dump);
	/* the cut may have split a sequence: keep it valid */
	r->tool[utf8_boundary(r->tool, strlen(r->tool), sizeof(r->tool) - 1)] =
		'\0';
}

/* A plain line above the area (warnings, errors, a run's end). */
static void
print_above(const char *level, const char *event, const json_t *fields)
{
	json_t *own = json_copy((json_t *)fields);
	char *text;
	const char *sgr = !strcmp(level, "error") ? "\x1b[31m" :
			  !strcmp(level, "warn")  ? "\x1b[33m" :
						    NULL;
	char *esc;

	if (!own)
		return;
	/* the event's own fields, as the plain lines show them, after the
	 * run id (several runs may share the terminal) */
	json_object_del(own, "ts");
	json_object_del(own, "level");
	json_object_del(own, "event");
	text = evlog_human_text(level, event, own);
	json_decref(own);
	if (!text)
		return;
	esc = termesc_dup(text);
	free(text);
	if (!esc)
		return;
	if (P.up)
		erase_area();
	if (sgr && P.colour) {
		/* the colour closes before the newline */
		size_t n = strlen(esc);

		if (n && esc[n - 1] == '\n')
			esc[--n] = '\0';
		puts2(sgr);
		put(esc, n);
		puts2("\x1b[0m\n");
	} else {
		puts2(esc);
	}
	free(esc);
	P.dirty = true;
	if (P.up) {
		P.up = false;
		draw(); /* at once: the area must not vanish until the tick */
	}
}

static void
on_event(void *ctx, const char *run_id, const char *level, const char *event,
	 const json_t *f)
{
	struct prun *r;

	(void)ctx;
	if (strcmp(level, "info") != 0 ||
	    !strcmp(event, "standalone_benchmark_completed")) {
		print_above(level, event, f);
	}
	if (!strcmp(event, "standalone_benchmark_completed")) {
		r = find_run(run_id, false);
		if (r)
			drop_run(r);
		else if (P.hidden)
			P.hidden--;
		P.dirty = true;
		return;
	}
	r = find_run(run_id, !strcmp(event, "standalone_benchmark_started"));
	if (!r)
		return;
	P.dirty = true;
	if (!strcmp(event, "standalone_benchmark_started")) {
		copy_str(r->name, sizeof(r->name), f, "benchmark");
		r->phases = (int)json_integer_value(
			json_object_get(f, "phases"));
	} else if (!strcmp(event, "phase_started")) {
		r->phase_no++;
		r->phase[0] = r->agent[0] = r->tool[0] = '\0';
		r->turn = 0;
		copy_str(r->phase, sizeof(r->phase), f, "phase");
		if (json_object_get(f, "command"))
			utf8_copy(r->agent, sizeof(r->agent), "command");
		copy_str(r->agent, sizeof(r->agent), f, "agent");
	} else if (!strcmp(event, "agent_turn") || !strcmp(event, "spend")) {
		json_t *v = json_object_get(f, "turn");

		if (v)
			r->turn = (int)json_integer_value(v);
		if ((v = json_object_get(f, "tokens")))
			r->tokens = json_integer_value(v);
		if ((v = json_object_get(f, "cost_usd")))
			r->cost = json_number_value(v);
		if ((v = json_object_get(f, "max_cost_usd")))
			r->cap = json_number_value(v);
		if ((v = json_object_get(f, "cost_unknown")))
			r->cost_unknown = json_is_true(v);
	} else if (!strcmp(event, "tool_started")) {
		set_tool(r, f);
	}
}

/* ---- the loop side ---- */

static void
on_tick(struct loop *l, void *ctx)
{
	(void)ctx;
	P.timer = loop_add_timer(l, TICK_MS, on_tick, NULL);
	if (P.dirty || loop_now_ms() / 1000 != P.last_sec)
		draw();
}

static void
on_winch(struct loop *l, int fd, int events, void *ctx)
{
	struct signalfd_siginfo si;

	(void)l;
	(void)events;
	(void)ctx;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		;
	query_size();
	P.resized = true;
	P.dirty = true;
}

static int
watch_winch(struct loop *l)
{
	sigset_t set;
	int rc;

	sigemptyset(&set);
	sigaddset(&set, SIGWINCH);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	P.sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (P.sigfd < 0)
		return -errno;
	rc = loop_add_fd(l, P.sigfd, LOOP_IN, on_winch, NULL);
	if (rc < 0) {
		close(P.sigfd);
		P.sigfd = -1;
	}
	return rc;
}

enum progress_view
progress_setup(bool standalone, bool no_progress)
{
	const char *term = getenv("TERM");
	const char *nc = getenv("NO_COLOR");

	if (standalone || !isatty(2))
		P.view = PROGRESS_JSON;
	else if (no_progress || !term || !*term || !strcmp(term, "dumb"))
		P.view = PROGRESS_LINES;
	else
		P.view = PROGRESS_AREA;
	P.colour = !(nc && *nc);
	query_size();
	evlog_set_mode(P.view == PROGRESS_JSON  ? EVLOG_JSON :
		       P.view == PROGRESS_LINES ? EVLOG_HUMAN :
						  EVLOG_QUIET);
	if (P.view == PROGRESS_AREA)
		evlog_set_observer(on_event, NULL);
	return P.view;
}

int
progress_start(struct loop *l)
{
	if (P.view != PROGRESS_AREA || P.loop)
		return 0;
	P.loop = l;
	query_size();
	if (!P.hooked && atexit(at_exit) == 0)
		P.hooked = true;
	P.dirty = true;
	P.timer = loop_add_timer(l, 0, on_tick, NULL);
	return watch_winch(l);
}

void
progress_stop(void)
{
	if (P.loop) {
		loop_cancel_timer(P.loop, P.timer);
		if (P.sigfd >= 0) {
			loop_del_fd(P.loop, P.sigfd);
			close(P.sigfd);
			P.sigfd = -1;
		}
	}
	P.loop = NULL;
	P.timer = 0;
	clear_area();
}
