// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The terminal UI. Layout, top to bottom:
 *
 *   header       source, Go version, mode, badges (replay xN, paused, LAGGING), trace time
 *   summary      events/s, lost, GC, heap; goroutines by state; allocation rate
 *   history      goroutine counts and allocation rate over the last minute (sparklines)
 *   table        one row per goroutine (only the visible rows are drawn)
 *   tops         top allocating types and sites
 *   key bar      htop-style, or the filter prompt
 */
#include <curses.h>
#include <errno.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include "format/tables.h"
#include "viewer/tui.h"

#define DRAW_NS 100000000ULL /* at most 10 redraws a second */
#define SORT_NS 500000000ULL /* re-sort at most twice a second */
#define NTOP	20

enum { FOCUS_TABLE, FOCUS_TYPES, FOCUS_SITES, FOCUS_MAX };
enum { FOLLOW_OFF, FOLLOW_NEWEST, FOLLOW_GOID };

enum {
	C_HDR = 1,
	C_BADGE,
	C_LAG,
	C_RUN,
	C_RUNQ,
	C_WAIT,
	C_SYS,
	C_DEAD,
	C_SEL,
	C_KEY,
	C_DIM,
	C_TITLE,
};

struct tui {
	struct sink_control *ctl;
	SCREEN *scr;
	bool active;
	uint64_t last_draw, last_sort;
	uint32_t *rows;
	uint32_t nrows, rows_cap;
	uint64_t rows_resets;
	int sort_key;
	bool desc;
	bool show_exited;
	char filter[64];
	bool editing;
	int sel, top;
	uint64_t sel_goid;
	bool moved; /* the user moved the selection since the last follow change */
	int follow;
	int focus;
	int top_sel[FOCUS_MAX];
	bool help;
	bool detail; /* Enter: the selected goroutine's details and stacks */
	bool dirty, resort;
	char msg[160];
	uint64_t msg_until;
	int table_h;  /* rows of the table drawn last time */
	bool grouped; /* the table shows start functions, not goroutines */
	bool menu;    /* the F6 "sort by" list is open */
	int menu_sel;
	struct gm_group *groups;
	int ngroups;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

struct tui *tui__new(void)
{
	struct tui *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->sort_key = GM_SORT_CPU;
	t->desc = true;
	t->show_exited = true;
	return t;
}

void tui__free(struct tui *t)
{
	if (!t)
		return;
	if (t->active)
		endwin();
	if (t->scr)
		delscreen(t->scr);
	free(t->rows);
	free(t->groups);
	free(t);
}

__attribute__((format(printf, 2, 3))) static void say(struct tui *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->msg, sizeof(t->msg), fmt, ap);
	va_end(ap);
	t->msg_until = mono_ns() + 2000000000ULL;
	t->dirty = true;
}

int tui__begin(struct tui *t, const struct gmodel *m, struct sink_control *ctl)
{
	(void)m;
	t->ctl = ctl;
	setlocale(LC_ALL, "");
	if (!isatty(STDOUT_FILENO))
		return -ENOTTY;
	/* newterm, not initscr: initscr exits the program when there is no terminal */
	t->scr = newterm(NULL, stdout, stdin);
	if (!t->scr)
		return -ENOTTY;
	set_term(t->scr);
	t->active = true;
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
	set_escdelay(25);
	if (has_colors()) {
		start_color();
		use_default_colors();
		init_pair(C_HDR, COLOR_BLACK, COLOR_CYAN);
		init_pair(C_BADGE, COLOR_BLACK, COLOR_YELLOW);
		init_pair(C_LAG, COLOR_WHITE, COLOR_RED);
		init_pair(C_RUN, COLOR_GREEN, -1);
		init_pair(C_RUNQ, COLOR_YELLOW, -1);
		init_pair(C_WAIT, COLOR_CYAN, -1);
		init_pair(C_SYS, COLOR_MAGENTA, -1);
		init_pair(C_DEAD, COLOR_RED, -1);
		init_pair(C_SEL, COLOR_BLACK, COLOR_CYAN);
		init_pair(C_KEY, COLOR_BLACK, COLOR_CYAN);
		init_pair(C_DIM, COLOR_BLUE, -1);
		init_pair(C_TITLE, COLOR_BLACK, COLOR_GREEN);
	}
	t->dirty = t->resort = true;
	return 0;
}

void tui__reset(struct tui *t)
{
	t->nrows = 0;
	t->resort = t->dirty = true;
}

/* --- drawing helpers ----------------------------------------------------------------------- */

static int state_pair(unsigned int st)
{
	switch (st) {
	case XG_G_RUNNING:
		return C_RUN;
	case XG_G_RUNNABLE:
		return C_RUNQ;
	case XG_G_WAITING:
		return C_WAIT;
	case XG_G_SYSCALL:
		return C_SYS;
	case XG_G_DEAD:
		return C_DEAD;
	default:
		return 0;
	}
}

/* Writes s at (y, x), clipped at the screen's right edge; returns the new x. */
static int put(int y, int x, const char *s)
{
	int w = COLS - x;

	if (w <= 0 || y >= LINES)
		return x;
	mvaddnstr(y, x, s, w);
	return x + (int)strlen(s) < COLS ? x + (int)strlen(s) : COLS;
}

__attribute__((format(printf, 3, 4))) static int putf(int y, int x, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return put(y, x, buf);
}

static void fill_line(int y, int pair)
{
	attron(COLOR_PAIR(pair));
	mvhline(y, 0, ' ', COLS);
	attroff(COLOR_PAIR(pair));
}

/* A sparkline of n values into width cells (the last width values). */
static void sparkline(int y, int x, int width, double *v, int n)
{
	static const wchar_t bars[] = L" ▁▂▃▄▅▆▇█";
	double max = 0, min = -1;
	int start = n > width ? n - width : 0;

	for (int i = start; i < n; i++) {
		if (v[i] > max)
			max = v[i];
		if (min < 0 || v[i] < min)
			min = v[i];
	}
	/* a level that barely moves: show its variation, not its size */
	if (min > 0.5 * max) {
		double lo = max > min ? min - (max - min) * 0.25 : min / 2;

		for (int i = start; i < n; i++)
			v[i] -= lo;
		max -= lo;
	}
	move(y, x);
	for (int i = start; i < n && x < COLS; i++, x++) {
		int level = max > 0 ? (int)(v[i] / max * 8 + 0.5) : 0;
		wchar_t c[2] = {bars[level < 0 ? 0 : level > 8 ? 8 : level], 0};

		if (v[i] > 0 && level == 0)
			c[0] = bars[1];
		addwstr(c);
	}
}

/* --- parts --------------------------------------------------------------------------------- */

static void draw_header(const struct gmodel *m)
{
	const struct sink_status *st = &m->st;
	char a[32], b[32];
	int x;

	fill_line(0, C_HDR);
	attron(COLOR_PAIR(C_HDR) | A_BOLD);
	x = put(0, 0, " xgotop ");
	attroff(A_BOLD);
	{
		/* the source's full name when it fits, else its last path element */
		const char *src = m->source ? m->source : "live";
		const char *base = strrchr(src, '/');

		if (base && (int)strlen(src) + 110 > COLS)
			src = base + 1;
		x = putf(0, x, " %s%s", m->replay ? "replay " : "", src);
	}
	if (m->go_version)
		x = putf(0, x, "  %s", m->go_version);
	if (m->mode && COLS >= 110)
		x = putf(0, x, "  mode %s", m->mode);
	attroff(COLOR_PAIR(C_HDR));
	x += 2;
	if (m->replay) {
		attron(COLOR_PAIR(C_BADGE) | A_BOLD);
		if (st->speed > 0)
			x = putf(0, x, " replay x%g ", st->speed);
		else
			x = put(0, x, " replay max ");
		attroff(COLOR_PAIR(C_BADGE) | A_BOLD);
		x++;
	}
	if (st->paused) {
		attron(COLOR_PAIR(C_BADGE) | A_BOLD);
		x = put(0, x, m->duration_ns && m->now_ts >= m->duration_ns ? " end " : " paused ");
		attroff(COLOR_PAIR(C_BADGE) | A_BOLD);
		x++;
	}
	if (st->lagging) {
		attron(COLOR_PAIR(C_LAG) | A_BOLD);
		x = putf(0, x, " LAGGING %s ", gm_text_dur(a, sizeof(a), st->lag_ns));
		attroff(COLOR_PAIR(C_LAG) | A_BOLD);
	}
	/* trace time, right-aligned */
	if (m->duration_ns)
		snprintf(b, sizeof(b), "trace %s / %s ", gm_text_dur(a, sizeof(a), m->now_ts),
			 gm_text_dur(b + 16, 16, m->duration_ns));
	else
		snprintf(b, sizeof(b), "trace %s ", gm_text_dur(a, sizeof(a), m->now_ts));
	if (COLS - (int)strlen(b) > x) {
		attron(COLOR_PAIR(C_HDR));
		put(0, COLS - (int)strlen(b), b);
		attroff(COLOR_PAIR(C_HDR));
	}
}

/* The summary lines from y: 3, and a fourth with the runtime's own counts when the trace has
 * sched events. Returns the number of lines. */
static int draw_summary(const struct gmodel *m, int y)
{
	char a[32], b[32], c[32], d[32];
	uint64_t lost = m->lost > m->lost_status ? m->lost : m->lost_status;
	int x;

	x = putf(y, 0, " events %s/s  total %s", gm_text_count(a, sizeof(a), m->events_ps),
		 gm_text_count(b, sizeof(b), (double)m->events));
	if (lost)
		attron(COLOR_PAIR(C_DEAD) | A_BOLD);
	x = putf(y, x, "  lost %s", gm_text_count(a, sizeof(a), (double)lost));
	if (lost)
		attroff(COLOR_PAIR(C_DEAD) | A_BOLD);
	x = putf(y, x, "  GC %llu", (unsigned long long)m->gc_cycles);
	if (m->heap_live)
		x = putf(y, x, "  heap %s", gm_text_bytes(a, sizeof(a), (double)m->heap_live));
	/* GOGC=off without a memory limit: the runtime's goal is "never" (about 2^63) */
	if (m->heap_goal >= 1ULL << 62)
		x = putf(y, x, " / goal none (GC off)");
	else if (m->heap_goal)
		x = putf(y, x, " / goal %s", gm_text_bytes(a, sizeof(a), (double)m->heap_goal));
	if (m->cpu_samples)
		x = putf(y, x, "  CPU %.2f cores (%.0f Hz samples)", m->cpu_busy, m->cpu_hz);
	/* kinds under the probe budget whose probes were out part of the time */
	for (unsigned int k = 0, first = 1; k < XG_EV_KIND_MAX; k++) {
		double seen = gmodel__coverage(m, k);

		if (seen < 0 || seen >= 0.995)
			continue;
		attron(COLOR_PAIR(C_DEAD));
		x = putf(y, x, first ? "  seen: %s %.0f%%" : ", %s %.0f%%", xg_kind_name(k),
			 100 * seen);
		attroff(COLOR_PAIR(C_DEAD));
		first = 0;
	}

	y++;
	x = putf(y, 0, " goroutines %u", m->live);
	for (unsigned int s = 0; s < GM_HSTATES; s++) {
		if (!m->counts[s] && s != XG_G_RUNNING && s != XG_G_RUNNABLE && s != XG_G_WAITING &&
		    s != XG_G_SYSCALL)
			continue;
		x = put(y, x, "  ");
		attron(COLOR_PAIR(state_pair(s)));
		x = putf(y, x, "%s %u", xg_gstate_name(s) ? xg_gstate_name(s) : "?", m->counts[s]);
		attroff(COLOR_PAIR(state_pair(s)));
	}
	/* (~: the creations seen in the probe's windows, scaled by the share of the time it was
	 * in; without sched events, the one figure there is) */
	x = putf(y, x, "   created %s%s/s  exited %s/s",
		 !m->created_ps_exact && gmodel__coverage(m, XG_EV_GO_CREATE) >= 0 ? "~" : "",
		 gm_text_count(a, sizeof(a), m->created_ps),
		 gm_text_count(b, sizeof(b), m->exited_ps));
	if (m->g_rate < 1.0) {
		attron(COLOR_PAIR(C_BADGE));
		putf(y, x + 2, " sampled: goroutines at rate %g, ~%.0f live ", m->g_rate,
		     (double)m->live / m->g_rate);
		attroff(COLOR_PAIR(C_BADGE));
	}

	y++;
	x = putf(y, 0, " alloc %s%s/s  %s%s obj/s  total %s in %s objects",
		 m->alloc_sampled && !m->alloc_bps_exact ? "~" : "",
		 gm_text_bytes(a, sizeof(a), m->alloc_bps), m->alloc_sampled ? "~" : "",
		 gm_text_count(b, sizeof(b), m->alloc_ops),
		 gm_text_bytes(c, sizeof(c), (double)m->alloc_bytes),
		 gm_text_count(d, sizeof(d), (double)m->alloc_objs));
	if (m->alloc_sampled) {
		attron(COLOR_PAIR(C_BADGE));
		if (m->alloc_rate < 1.0)
			putf(y, x + 2, " sampled: alloc rate %g, scaled x%g ", m->alloc_rate,
			     1.0 / m->alloc_rate);
		else if (m->alloc_bps_exact)
			put(y, x + 2,
			    " bytes/s: runtime totals; the rest scaled by sample weights ");
		else
			put(y, x + 2, " sampled: scaled by sample weights ");
		attroff(COLOR_PAIR(C_BADGE));
	}
	if (!m->sched_seen)
		return 3;

	y++;
	x = putf(y, 0, " runtime  created %llu  alive %u  threads %u",
		 (unsigned long long)m->sched.created, m->sched.alive, m->sched.threads);
	if (m->sched.gomaxprocs)
		x = putf(y, x, "  GOMAXPROCS %u", m->sched.gomaxprocs);
	x = putf(y, x, "  runnable %u", m->sched.runnable);
	attron(COLOR_PAIR(C_BADGE));
	put(y, x + 2, " exact: the scheduler's counts, read from its memory ");
	attroff(COLOR_PAIR(C_BADGE));
	return 4;
}

static void draw_history(const struct gmodel *m, int y)
{
	const struct gm_ring *r = &m->hist[0];
	double g[600] = {0}, a[600] = {0};
	int n = 0, w = (COLS - 20) / 2;

	if (w < 10)
		return;
	for (uint32_t i = 0; i < r->len && n < 600; i++) {
		const struct gm_bucket *b = gmodel__bucket(m, 0, i);
		uint64_t live = 0;

		for (int s = 0; s < GM_HSTATES; s++)
			live += b->counts[s];
		g[n] = (double)live;
		a[n] = (double)b->alloc_bytes;
		n++;
	}
	attron(COLOR_PAIR(C_DIM));
	put(y, 0, " goroutines");
	attroff(COLOR_PAIR(C_DIM));
	attron(COLOR_PAIR(C_RUN));
	sparkline(y, 12, w - 12, g, n);
	attroff(COLOR_PAIR(C_RUN));
	attron(COLOR_PAIR(C_DIM));
	put(y, w + 1, " alloc/100ms");
	attroff(COLOR_PAIR(C_DIM));
	attron(COLOR_PAIR(C_RUNQ));
	sparkline(y, w + 14, COLS - w - 14, a, n);
	attroff(COLOR_PAIR(C_RUNQ));
}

static void sort_rows(struct tui *t, const struct gmodel *m)
{
	if (t->rows_cap < m->g_len) {
		uint32_t ncap = m->g_len + 1024;
		uint32_t *n = realloc(t->rows, (size_t)ncap * sizeof(*n));

		if (!n)
			return;
		t->rows = n;
		t->rows_cap = ncap;
	}
	t->nrows = gmodel__rows(
	    m, t->rows, t->rows_cap, t->follow == FOLLOW_NEWEST ? GM_SORT_NEWEST : t->sort_key,
	    t->follow == FOLLOW_NEWEST ? true : t->desc, t->filter, t->show_exited, 0, NULL);
	t->rows_resets = m->resets;
	t->last_sort = mono_ns();
	t->resort = false;
	if (t->grouped) {
		struct gm_group *g = NULL;
		int n = gmodel__groups(m, &g);

		if (n >= 0) {
			free(t->groups);
			t->groups = g;
			t->ngroups = n;
		}
	}
	/* keep the selected goroutine selected */
	if (t->follow == FOLLOW_NEWEST) {
		t->sel = 0;
	} else if (t->sel_goid) {
		for (uint32_t i = 0; i < t->nrows; i++) {
			if (m->g[t->rows[i]].t.goid == t->sel_goid) {
				t->sel = (int)i;
				break;
			}
		}
	}
}

/* START FUNCTION's width in the table; WHERE takes the rest */
#define FN_W 22

static void draw_table(struct tui *t, const struct gmodel *m, int y, int h)
{
	char age[16], run[16], runq[16], wait[16], sys[16], al[16], by[16], wh[256];
	int x;

	fill_line(y, C_TITLE);
	attron(COLOR_PAIR(C_TITLE));
	putf(y, 0, "%8s %-9s %-20s %7s %7s %7s %7s %7s %7s %8s %6s  %-*s %s", "GOID", "STATE",
	     "WAIT REASON", "AGE", "RUN", "RUNQ", "WAIT", "SYSCALL", "ALLOCS", "BYTES", "CPU%",
	     FN_W, "START FUNCTION", "WHERE");
	attroff(COLOR_PAIR(C_TITLE));
	y++;
	h--;
	t->table_h = h;
	if (t->sel >= (int)t->nrows)
		t->sel = t->nrows ? (int)t->nrows - 1 : 0;
	if (t->sel < 0)
		t->sel = 0;
	if (t->sel < t->top)
		t->top = t->sel;
	if (t->sel >= t->top + h)
		t->top = t->sel - h + 1;
	if (t->top > (int)t->nrows - h)
		t->top = (int)t->nrows - h > 0 ? (int)t->nrows - h : 0;
	for (int i = 0; i < h; i++) {
		uint32_t r = (uint32_t)(t->top + i);
		const struct gm_g *g;
		const struct xg_frame *where;
		bool sel;
		const char *st;

		if (r >= t->nrows)
			break;
		g = &m->g[t->rows[r]];
		if (!g->t.goid)
			continue; /* forgotten since the last sort */
		sel = (int)r == t->sel && t->focus == FOCUS_TABLE;
		/* ">=": a lower bound (it began before it was seen), "~": an estimate from CPU
		 * samples, "-": not measured */
		gm_text_time(age, sizeof(age), gmodel__age(m, g));
		gm_text_time(run, sizeof(run), gmodel__slot_time(m, g, GM_RUNNING));
		gm_text_time(runq, sizeof(runq), gmodel__slot_time(m, g, GM_RUNNABLE));
		gm_text_time(wait, sizeof(wait), gmodel__slot_time(m, g, GM_WAITING));
		gm_text_time(sys, sizeof(sys), gmodel__slot_time(m, g, GM_SYSCALL));
		/* '~': estimates scaled from sampled allocations */
		al[0] = by[0] = '~';
		gm_text_count(al + (m->alloc_sampled && g->alloc_count), sizeof(al) - 1,
			      (double)g->alloc_count);
		gm_text_bytes(by + (m->alloc_sampled && g->alloc_bytes), sizeof(by) - 1,
			      (double)g->alloc_bytes);
		st = (g->flags & GM_G_NO_STATE) ? "?" : xg_gstate_name(g->t.state);
		if (sel)
			attron(COLOR_PAIR(C_SEL));
		move(y + i, 0);
		clrtoeol();
		x = putf(y + i, 0, "%8llu ", (unsigned long long)g->t.goid);
		if (!sel)
			attron(COLOR_PAIR(state_pair(g->t.state)));
		x = putf(y + i, x, "%-9.9s ", st ? st : "?");
		if (!sel)
			attroff(COLOR_PAIR(state_pair(g->t.state)));
		x = putf(y + i, x, "%-20.20s %7s %7s %7s %7s %7s %7s %8s ",
			 gmodel__str(m, g->t.reason), age, run, runq, wait, sys, al, by);
		if (gmodel__has_cpu(m, g))
			x = putf(y + i, x, "%6.1f  ", g->cpu_pct);
		else
			x = put(y + i, x, "     -  ");
		x = putf(y + i, x, "%-*.*s ", FN_W, FN_W, tf_func_short(gmodel__start_fn(m, g)));
		where = gmodel__where(m, g);
		put(y + i, x,
		    where ? gm_text_site(wh, sizeof(wh), m, where->fn, where->file, where->line)
			  : "-");
		if (sel) {
			mvchgat(y + i, 0, -1, A_NORMAL, C_SEL, NULL);
			attroff(COLOR_PAIR(C_SEL));
		}
	}
}

/* The table grouped by start function: count, states, CPU%, allocations. */
static void draw_groups(struct tui *t, const struct gmodel *m, int y, int h)
{
	char al[16], by[16], run[16];

	fill_line(y, C_TITLE);
	attron(COLOR_PAIR(C_TITLE));
	putf(y, 0, "%6s %6s %7s %8s %7s %7s %7s %7s %8s %8s  %s", "LIVE", "EXITED", "RUNNING",
	     "RUNNABLE", "WAITING", "SYSCALL", "CPU%", "RUN", "ALLOCS", "BYTES",
	     "START FUNCTION (goroutines grouped)");
	attroff(COLOR_PAIR(C_TITLE));
	y++;
	h--;
	t->table_h = h;
	if (t->sel >= t->ngroups)
		t->sel = t->ngroups ? t->ngroups - 1 : 0;
	if (t->sel < t->top)
		t->top = t->sel;
	if (t->sel >= t->top + h)
		t->top = t->sel - h + 1;
	for (int i = 0; i < h && t->top + i < t->ngroups; i++) {
		const struct gm_group *g = &t->groups[t->top + i];
		bool sel = t->top + i == t->sel && t->focus == FOCUS_TABLE;
		int x;

		if (sel)
			attron(COLOR_PAIR(C_SEL));
		gm_text_count(al, sizeof(al), (double)g->alloc_count);
		gm_text_bytes(by, sizeof(by), (double)g->alloc_bytes);
		gm_text_time(run, sizeof(run), gmodel__group_time(m, g, GM_RUNNING));
		x = putf(y + i, 0, "%6llu %6llu %7u %8u %7u %7u ", (unsigned long long)g->live,
			 (unsigned long long)g->exited, g->counts[GM_RUNNING],
			 g->counts[GM_RUNNABLE], g->counts[GM_WAITING], g->counts[GM_SYSCALL]);
		if (m->exact || g->cpu_samples)
			x = putf(y + i, x, "%7.1f ", g->cpu_pct);
		else
			x = put(y + i, x, "      - ");
		x = putf(y + i, x, "%7s %8s %8s  ", run, al, by);
		put(y + i, x, g->fn ? tf_func_short(gmodel__str(m, g->fn)) : "?");
		if (sel) {
			mvchgat(y + i, 0, -1, A_NORMAL, C_SEL, NULL);
			attroff(COLOR_PAIR(C_SEL));
		}
	}
}

static void draw_tops(struct tui *t, const struct gmodel *m, int y, int h)
{
	const struct gm_top *top[NTOP];
	int w = COLS / 2;
	char a[16], b[16];

	for (int p = 0; p < 2; p++) {
		const struct gm_tops *tops = p ? &m->sites : &m->types;
		int x0 = p ? w : 0, pw = p ? COLS - w : w - 1;
		uint32_t n = gmodel__top(tops, top, h - 1 < NTOP ? (uint32_t)(h - 1) : NTOP);
		bool focus = t->focus == (p ? FOCUS_SITES : FOCUS_TYPES);
		char title[80];

		snprintf(title, sizeof(title), " TOP ALLOCATING %s%s",
			 p ? "SITES (top user frame)" : "TYPES",
			 m->alloc_sampled ? " (~sampled)" : "");
		attron(COLOR_PAIR(focus ? C_SEL : C_TITLE));
		mvhline(y, x0, ' ', pw);
		putf(y, x0, "%-*.*s", pw, pw, title);
		attroff(COLOR_PAIR(focus ? C_SEL : C_TITLE));
		for (uint32_t i = 0; i < n && (int)i < h - 1; i++) {
			const char *name = gmodel__str(m, top[i]->fn);
			char line[256], where[200];
			double share = m->alloc_bytes
					   ? 100.0 * (double)top[i]->bytes / (double)m->alloc_bytes
					   : 0;

			if (p) {
				gm_text_site(where, sizeof(where), m, top[i]->fn, top[i]->file,
					     top[i]->line);
			} else {
				snprintf(where, sizeof(where), "%s", *name ? name : "(untyped)");
			}
			snprintf(line, sizeof(line), "%9s %5.1f%% %7s  %s",
				 gm_text_bytes(a, sizeof(a), (double)top[i]->bytes), share,
				 gm_text_count(b, sizeof(b), (double)top[i]->count), where);
			if (focus && (int)i == t->top_sel[t->focus])
				attron(A_REVERSE);
			mvaddnstr(y + 1 + (int)i, x0, line, pw);
			if (focus && (int)i == t->top_sel[t->focus])
				attroff(A_REVERSE);
		}
		if (!n && p && m->alloc_objs)
			/* allocations, but no stacks to name their sites */
			mvaddnstr(
			    y + 1, x0,
			    "  (allocations have no stacks: record with --stacks, or production "
			    "mode's samples)",
			    pw);
		else if (!n)
			mvaddnstr(y + 1, x0, "  (no allocation events)", pw);
	}
}

static void draw_keys(struct tui *t, const struct gmodel *m)
{
	static const char *const keys[][2] = {
	    {"F1", "Help"},   {"F3", "Filter"}, {"F5", "Follow"}, {"F6", "Sort"}, {"I", "Invert"},
	    {"Tab", "Panel"}, {"Spc", "Pause"}, {"+-", "Speed"},  {"<>", "Seek"}, {"F10", "Quit"},
	};
	int y = LINES - 1, x = 0;

	move(y, 0);
	clrtoeol();
	if (t->editing) {
		attron(A_BOLD);
		x = put(y, 0, "Filter: ");
		attroff(A_BOLD);
		x = put(y, x, t->filter);
		put(y, x + 2, "(Enter: apply, Esc: clear)");
		return;
	}
	if (t->msg[0] && mono_ns() < t->msg_until) {
		attron(A_BOLD);
		put(y, 0, t->msg);
		attroff(A_BOLD);
		return;
	}
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (!m->replay && (keys[i][1][0] == 'S' && keys[i][1][1] == 'e'))
			continue;
		x = put(y, x, keys[i][0]);
		attron(COLOR_PAIR(C_KEY));
		x = putf(y, x, "%-7s", keys[i][1]);
		attroff(COLOR_PAIR(C_KEY));
	}
	x = putf(y, x + 1, " sort: %s%s",
		 t->follow == FOLLOW_NEWEST ? "newest"
					    : gmodel__sort_name(gmodel__sort_key(m, t->sort_key)),
		 t->follow == FOLLOW_NEWEST || t->desc ? " (desc)" : " (asc)");
	if (t->follow == FOLLOW_GOID)
		x = putf(y, x, "  following %llu", (unsigned long long)t->sel_goid);
	if (t->filter[0])
		putf(y, x, "  filter: %s", t->filter);
}

static void draw_help(void)
{
	static const char *const lines[] = {
	    "xgotop keys",
	    "",
	    "  F1 ?        this help (any key closes it)",
	    "  F10 q       quit",
	    "  F3 F4 /     filter goroutines: start function, wait reason, state or goid",
	    "  Esc         clear the filter",
	    "  F6          choose the sort column (Up/Down, Enter)",
	    "  > <         sort by the next / previous column",
	    "  I           invert the sort order",
	    "  F5 F        follow: the selected goroutine, or the newest when none is",
	    "  x           show / hide exited goroutines",
	    "  g           group by start function (CPU%, states, allocations per function)",
	    "  Enter       the selected goroutine: where it waits (its stack), its creation",
	    "  Tab         move between the table, top types and top sites",
	    "  Up Down PgUp PgDn Home End   move",
	    "",
	    "  replay:",
	    "  Space       pause / resume",
	    "  + -         double / halve the speed",
	    "  Left Right  seek back / forward 1 s of trace time ([ ] for 10 s)",
	    "",
	    "Figures are trace time; '~' marks sampled figures scaled by their rate.",
	};
	int h = (int)(sizeof(lines) / sizeof(lines[0])) + 2, w = 84;
	int y0 = (LINES - h) / 2 > 0 ? (LINES - h) / 2 : 0,
	    x0 = (COLS - w) / 2 > 0 ? (COLS - w) / 2 : 0;

	for (int i = 0; i < h && y0 + i < LINES; i++) {
		mvhline(y0 + i, x0, ' ', w < COLS ? w : COLS);
		if (i > 0 && i - 1 < (int)(sizeof(lines) / sizeof(lines[0])))
			put(y0 + i, x0 + 2, lines[i - 1]);
	}
	attron(A_BOLD);
	put(y0 + 1, x0 + 2, lines[0]);
	attroff(A_BOLD);
}

/* Frames of a stack as Go's tracebacks print them (its frame filter), from line y; returns the
 * next line. */
static int draw_stack(const struct gmodel *m, uint32_t stack, int y, int x0, int w, int y_end)
{
	const struct xg_frame *fr;
	uint32_t n, shown = 0;

	fr = stack && m->names ? tf_tables__stack(m->names, stack, &n) : NULL;
	for (uint32_t i = 0; fr && i < n && y + 1 < y_end; i++) {
		const char *fn = gmodel__str(m, fr[i].fn);

		if (!tf_frame_shown_by_go(fn, i == 0))
			continue;
		shown++;
		mvhline(y, x0, ' ', w);
		putf(y++, x0 + 4, "%.*s%s", w - 8, fn,
		     fr[i].flags & XG_FRAME_INLINED ? "(...)" : "");
		mvhline(y, x0, ' ', w);
		putf(y++, x0 + 8, "%.*s:%u", w - 16, gmodel__str(m, fr[i].file), fr[i].line);
	}
	if (!shown && y < y_end) {
		mvhline(y, x0, ' ', w);
		put(y++, x0 + 4, stack ? "(only runtime frames)" : "(not recorded)");
	}
	return y;
}

/* The selected goroutine: state and for how long, age, creator, and where it is (the stack it
 * waits in, or was last seen running in), as Go's dump prints a goroutine. */
static void draw_detail(const struct tui *t, const struct gmodel *m)
{
	const struct gm_g *g = t->sel_goid ? gmodel__g(m, t->sel_goid) : NULL;
	int w = COLS, x0 = 0, y = 2, y_end = LINES - 1;
	char a[32], b[32];
	const char *st;

	for (int i = y; i < y_end; i++)
		mvhline(i, x0, ' ', w);
	if (!g) {
		put(y, x0 + 2, "no goroutine selected (Enter or Esc closes)");
		return;
	}
	st = (g->flags & GM_G_NO_STATE) ? "?" : xg_gstate_name(g->t.state);
	attron(A_BOLD);
	putf(y++, x0 + 2, "goroutine %llu [%s, %s]: %s", (unsigned long long)g->t.goid,
	     g->t.reason ? gmodel__str(m, g->t.reason)
	     : st	 ? st
			 : "?",
	     gm_text_time(a, sizeof(a), gmodel__in_state(m, g)), gmodel__start_fn(m, g));
	attroff(A_BOLD);
	if (g->t.goid == 1)
		putf(y++, x0 + 2, "age %s, the main goroutine   (Enter or Esc closes)",
		     gm_text_time(b, sizeof(b), gmodel__age(m, g)));
	else if (!g->t.create_fn)
		putf(y++, x0 + 2, "age %s, created before the recording   (Enter or Esc closes)",
		     gm_text_time(b, sizeof(b), gmodel__age(m, g)));
	else
		putf(y++, x0 + 2, "age %s, created by %s in goroutine %llu   (Enter or Esc closes)",
		     gm_text_time(b, sizeof(b), gmodel__age(m, g)), gmodel__str(m, g->t.create_fn),
		     (unsigned long long)g->t.parent_goid);
	y++;
	put(y++, x0 + 2,
	    g->t.state == XG_G_RUNNING ? "where it runs (last CPU sample):" : "where it is:");
	y = draw_stack(m, g->where_stack, y, x0, w, y_end);
	if (y + 2 < y_end) {
		y++;
		put(y++, x0 + 2, "created at:");
		draw_stack(m, g->create_stack, y, x0, w, y_end);
	}
}

static void draw_menu(const struct tui *t)
{
	int y0 = 6, w = 18;

	attron(COLOR_PAIR(C_TITLE));
	mvhline(y0, 0, ' ', w);
	put(y0, 1, "Sort by");
	attroff(COLOR_PAIR(C_TITLE));
	for (int k = 0; k < GM_SORT_NEWEST && y0 + 1 + k < LINES - 1; k++) {
		if (k == t->menu_sel)
			attron(COLOR_PAIR(C_SEL));
		mvhline(y0 + 1 + k, 0, ' ', w);
		putf(y0 + 1 + k, 1, "%c %s", k == t->sort_key ? '*' : ' ', gmodel__sort_name(k));
		if (k == t->menu_sel)
			attroff(COLOR_PAIR(C_SEL));
	}
}

static void draw(struct tui *t, const struct gmodel *m)
{
	int y, tops_h, table_h;

	erase();
	if (LINES < 8 || COLS < 40) {
		put(0, 0, "xgotop: terminal too small");
		refresh();
		return;
	}
	draw_header(m);
	y = 1 + draw_summary(m, 1);
	if (LINES >= 24) {
		draw_history(m, y);
		y++;
	}
	tops_h = LINES >= 30 ? 8 : 0;
	table_h = LINES - 1 - y - tops_h;
	if (t->grouped)
		draw_groups(t, m, y, table_h);
	else
		draw_table(t, m, y, table_h);
	if (tops_h)
		draw_tops(t, m, LINES - 1 - tops_h, tops_h);
	draw_keys(t, m);
	if (t->menu)
		draw_menu(t);
	if (t->detail)
		draw_detail(t, m);
	if (t->help)
		draw_help();
	refresh();
}

/* --- keys ---------------------------------------------------------------------------------- */

static void set_sel(struct tui *t, const struct gmodel *m, int sel)
{
	t->sel = sel < 0 ? 0 : sel;
	if (t->nrows && t->sel >= (int)t->nrows)
		t->sel = (int)t->nrows - 1;
	t->sel_goid = t->nrows ? m->g[t->rows[t->sel]].t.goid : 0;
	t->moved = true;
	if (t->follow == FOLLOW_NEWEST)
		t->follow = FOLLOW_OFF;
}

static void seek(struct tui *t, const struct gmodel *m, int64_t delta_ns)
{
	int64_t to = (int64_t)m->now_ts + delta_ns;

	if (!t->ctl || !t->ctl->can_seek) {
		say(t, "%s", "seeking needs a replay");
		return;
	}
	sink_control__seek(t->ctl, to < 0 ? 0 : to);
}

static bool edit_key(struct tui *t, int c)
{
	size_t n = strlen(t->filter);

	switch (c) {
	case 27: /* Esc */
		t->filter[0] = 0;
		t->editing = false;
		break;
	case '\r':
	case '\n':
	case KEY_ENTER:
		t->editing = false;
		break;
	case KEY_BACKSPACE:
	case 127:
	case 8:
		if (n)
			t->filter[n - 1] = 0;
		break;
	default:
		if (c >= 32 && c < 127 && n + 1 < sizeof(t->filter)) {
			t->filter[n] = (char)c;
			t->filter[n + 1] = 0;
		}
		break;
	}
	t->resort = true;
	return false;
}

/* The F6 list: Up/Down choose, Enter sorts, Esc/F6 close. */
static bool menu_key(struct tui *t, int c)
{
	switch (c) {
	case KEY_UP:
	case 'k':
		t->menu_sel = (t->menu_sel + GM_SORT_NEWEST - 1) % GM_SORT_NEWEST;
		break;
	case KEY_DOWN:
	case 'j':
		t->menu_sel = (t->menu_sel + 1) % GM_SORT_NEWEST;
		break;
	case '\r':
	case '\n':
	case KEY_ENTER:
		t->sort_key = t->menu_sel;
		t->resort = true;
		t->menu = false;
		say(t, "sort by %s", gmodel__sort_name(t->sort_key));
		break;
	case 27:
	case KEY_F(6):
	case 'q':
		t->menu = false;
		break;
	default:
		break;
	}
	return false;
}

/* Handles one key; true when the user quit. */
static bool key(struct tui *t, const struct gmodel *m, int c)
{
	struct sink_control *ctl = t->ctl;
	int page = t->table_h > 1 ? t->table_h - 1 : 1;

	t->dirty = true;
	if (t->editing)
		return edit_key(t, c);
	if (t->menu)
		return menu_key(t, c);
	if (t->help && c != KEY_RESIZE) {
		t->help = false;
		return false;
	}
	if (t->detail && c != KEY_RESIZE) {
		if (c == 27 || c == '\n' || c == '\r' || c == KEY_ENTER || c == 'q')
			t->detail = false;
		return false;
	}
	switch (c) {
	case 'q':
	case 'Q':
	case KEY_F(10):
		if (ctl)
			sink_control__quit(ctl);
		return true;
	case KEY_F(1):
	case '?':
	case 'h':
		t->help = true;
		break;
	case '/':
	case KEY_F(3):
	case KEY_F(4):
		t->editing = true;
		break;
	case 27:
		t->filter[0] = 0;
		t->resort = true;
		break;
	case KEY_F(6):
		t->menu = true;
		t->menu_sel = t->sort_key;
		break;
	case '\r':
	case '\n':
	case KEY_ENTER:
		if (t->focus == FOCUS_TABLE && !t->grouped && t->nrows && t->sel < (int)t->nrows) {
			t->sel_goid = m->g[t->rows[t->sel]].t.goid;
			t->detail = true;
		}
		break;
	case '>':
	case '.':
		t->sort_key = (t->sort_key + 1) % GM_SORT_NEWEST;
		t->resort = true;
		say(t, "sort by %s", gmodel__sort_name(t->sort_key));
		break;
	case '<':
	case ',':
		t->sort_key = (t->sort_key + GM_SORT_NEWEST - 1) % GM_SORT_NEWEST;
		t->resort = true;
		say(t, "sort by %s", gmodel__sort_name(t->sort_key));
		break;
	case 'I':
		t->desc = !t->desc;
		t->resort = true;
		break;
	case 'F':
	case 'f':
	case KEY_F(5):
		if (t->follow != FOLLOW_OFF) {
			t->follow = FOLLOW_OFF;
			say(t, "%s", "follow off");
		} else if (t->moved && t->sel_goid) {
			t->follow = FOLLOW_GOID;
			say(t, "%s", "following the selected goroutine");
		} else {
			t->follow = FOLLOW_NEWEST;
			say(t, "%s", "following the newest goroutine");
		}
		t->resort = true;
		break;
	case 'g':
		t->grouped = !t->grouped;
		t->sel = t->top = 0;
		t->resort = true;
		say(t, "%s", t->grouped ? "grouped by start function" : "one row per goroutine");
		break;
	case 'x':
		t->show_exited = !t->show_exited;
		t->resort = true;
		say(t, "%s",
		    t->show_exited ? "showing exited goroutines" : "hiding exited goroutines");
		break;
	case '\t':
		t->focus = (t->focus + 1) % FOCUS_MAX;
		break;
	case KEY_BTAB:
		t->focus = (t->focus + FOCUS_MAX - 1) % FOCUS_MAX;
		break;
	case KEY_UP:
	case 'k':
		if (t->focus == FOCUS_TABLE)
			set_sel(t, m, t->sel - 1);
		else if (t->top_sel[t->focus] > 0)
			t->top_sel[t->focus]--;
		break;
	case KEY_DOWN:
	case 'j':
		if (t->focus == FOCUS_TABLE)
			set_sel(t, m, t->sel + 1);
		else if (t->top_sel[t->focus] < NTOP - 1)
			t->top_sel[t->focus]++;
		break;
	case KEY_PPAGE:
		set_sel(t, m, t->sel - page);
		break;
	case KEY_NPAGE:
		set_sel(t, m, t->sel + page);
		break;
	case KEY_HOME:
		set_sel(t, m, 0);
		break;
	case KEY_END:
		set_sel(t, m, (int)t->nrows - 1);
		break;
	case ' ':
		if (!ctl || !ctl->can_pause) {
			say(t, "%s", "this source cannot pause");
			break;
		}
		sink_control__pause(ctl, !m->st.paused);
		break;
	case '+':
	case '=':
	case '-': {
		double s = m->st.speed > 0 ? m->st.speed : 1000;

		if (!ctl || !ctl->can_speed) {
			say(t, "%s", "speed needs a replay");
			break;
		}
		s = c == '-' ? s / 2 : s * 2;
		s = s < 0.25 ? 0.25 : s > 1000 ? 1000 : s;
		sink_control__set_speed(ctl, s);
		break;
	}
	case KEY_LEFT:
		seek(t, m, -1000000000LL);
		break;
	case KEY_RIGHT:
		seek(t, m, 1000000000LL);
		break;
	case '[':
		seek(t, m, -10000000000LL);
		break;
	case ']':
		seek(t, m, 10000000000LL);
		break;
	case KEY_RESIZE:
		break;
	default:
		t->dirty = false;
		break;
	}
	return false;
}

int tui__tick(struct tui *t, const struct gmodel *m)
{
	uint64_t now;
	int c;

	if (!t->active)
		return 0;
	while ((c = getch()) != ERR) {
		if (key(t, m, c))
			return 1;
	}
	now = mono_ns();
	if (!t->dirty && now - t->last_draw < DRAW_NS)
		return 0;
	if (t->resort || now - t->last_sort >= SORT_NS || t->rows_resets != m->resets)
		sort_rows(t, m);
	draw(t, m);
	t->last_draw = now;
	t->dirty = false;
	return 0;
}

void tui__end(struct tui *t, const struct gmodel *m)
{
	const char *why = m->end_reason[0] ? m->end_reason : "finished";

	if (!t->active)
		return;
	/* the source ended on its own (the target exited, --duration, end of file): keep the last
	 * screen until q, the user still browsing it; not when the user or a signal stopped it, or
	 * on an error */
	if ((!strcmp(why, "target exited") || !strcmp(why, "duration reached") ||
	     !strcmp(why, "end of file")) &&
	    isatty(STDIN_FILENO)) {
		int c;

		raw(); /* Ctrl-C arrives as a key: the source's signal handler is done with */
		nodelay(stdscr, FALSE);
		timeout(500);
		for (;;) {
			if (!t->editing) {
				snprintf(t->msg, sizeof(t->msg), "%s: press q to quit", why);
				t->msg_until = UINT64_MAX;
			}
			sort_rows(t, m);
			draw(t, m);
			c = getch();
			if (c == ERR)
				continue;
			if (c == 3 || key(t, m, c)) /* browse: sort, filter, scroll still work */
				break;
		}
	}
	sort_rows(t, m);
	draw(t, m);
	endwin();
	t->active = false;
}
