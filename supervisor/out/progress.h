/*
 * progress.h - what `sandbox run` shows on stderr while runs go: JSON
 * lines, plain lines, or one status area redrawn in place.
 *
 * Design note
 * -----------
 * The view is picked once, before anything is printed:
 *
 *   --standalone, or stderr not a terminal   JSON lines, exactly the
 *                                            events file's (evlog.h)
 *   --no-progress, TERM unset or "dumb"      one plain line per event
 *   otherwise                                the status area
 *
 * The area is fed by the events the runs already emit, through the
 * evlog observer (core/ knows nothing of this module), plus the notes
 * the sessions give for a live view only (spend so far, the tool being
 * run). For each running run it shows the phase, the agent, the turn,
 * the tokens, the cost against the cap, the last tool call and the time
 * since the run started; warnings, errors and each run's end go above it
 * as plain lines. It is redrawn from a loop timer, at most 10 times a
 * second and only when something changed (or the clock's second did),
 * never from an event, so a chatty run cannot flood the terminal.
 *
 * Every string in it (benchmark, phase and agent names, tool names and
 * inputs) comes from configs, the agent or the API: it passes through
 * termesc (common/termesc.h), its newlines and tabs become spaces, and
 * each line is cut to the terminal's width minus one column on a UTF-8
 * boundary, counting any code point from U+1100 up as two columns (an
 * over-estimate, so a line never wraps and the cursor arithmetic holds).
 * The width comes from TIOCGWINSZ, asked again on SIGWINCH (a signalfd
 * of this module's own on the loop). A terminal reflows what is on it
 * when it is resized, each in its own way, and the cursor moves with the
 * text: after a resize the next redraw clears the screen (ESC [2J) and
 * draws the area at the top, rather than guess where the old one went.
 *
 * The cursor rests at the area's first line, which is blank: text that
 * other code writes to stderr meanwhile (the runner's "stopping the runs"
 * line) lands there without mixing with the area, and the next redraw
 * starts below it. The cursor is hidden while the area is up and shown
 * again, with the area cleared, by progress_stop() and at exit. Colour
 * (bold, dim, yellow for warnings, red for errors) is left out when
 * NO_COLOR is set and not empty; the cursor movement stays.
 */
#ifndef GAO_SUPERVISOR_PROGRESS_H
#define GAO_SUPERVISOR_PROGRESS_H

#include <stdbool.h>

#include "supervisor/core/loop.h"

enum progress_view {
	PROGRESS_JSON,  /* JSON lines on stderr */
	PROGRESS_LINES, /* one plain line per event */
	PROGRESS_AREA,  /* the status area */
};

/*
 * progress_setup - pick the view (see the design note) from the flags,
 * isatty(2), TERM and NO_COLOR, and set evlog up for it (the mode, and
 * the observer for the area). Process-wide; call once, before the first
 * event. Returns the view picked.
 */
enum progress_view progress_setup(bool standalone, bool no_progress);

/*
 * progress_start - with the area view, start drawing on l: the redraw
 * timer, SIGWINCH (blocked and read through a signalfd), the hidden
 * cursor, an atexit hook that restores it. A no-op returning 0 in the
 * other views; -errno when the signalfd could not be set up (then the
 * area still works, without resizing).
 */
int progress_start(struct loop *l);

/*
 * progress_stop - clear the area, show the cursor, stop the timer and
 * the signalfd. Safe to call at any time, more than once; later events
 * (warnings) still print as plain lines.
 */
void progress_stop(void);

/*
 * progress_cut - the number of bytes of the valid UTF-8 string s that
 * fit in cols terminal columns (see the design note for the count),
 * never ending inside a sequence. Exposed for the unit tests.
 */
unsigned long progress_cut(const char *s, unsigned long cols);

#endif
