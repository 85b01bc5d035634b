// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The web output's server. Endpoints (everything else is 404; wrong methods 405):
 *
 *   GET  /, /app.js, /style.css   the compiled-in page (web_assets[]); nothing else is served
 *   GET  /api/stream              server-sent events: one "frame" event per published frame
 *   GET  /api/history             the whole counts-over-time history (answered at the next tick)
 *   GET  /api/g?id=GOID           one goroutine's details (answered at the next tick)
 *   POST /api/pause, /api/play    replay control (409 when the source cannot)
 *   POST /api/speed?x=N, /api/seek?t=NS
 *   POST /api/view?sort=KEY&filter=STR   how the frames' goroutine table is sorted and filtered
 *   POST /api/report, GET /api/report    the page's own metrics (memory, frame times)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "util/err.h"
#include "util/jsonw.h"
#include "viewer/web.h"

#define FRAME_NS     200000000ULL /* at most 5 frames a second */
#define RING	     16		  /* frames kept for clients that lag a little (3 s) */
#define LANES	     200	  /* goroutines in the timeline: the newest */
#define TABLE_ROWS   150
#define NTOP	     10
#define NGROUPS	     15 /* start functions in a frame */
#define MAX_BODY     8192
#define MAX_CONN     64
#define QUERY_WAIT_S 3
#define SSE_SNDBUF   (64 * 1024)

struct frame {
	char *data; /* "event: frame\ndata: {...}\n\n" */
	size_t len;
	uint64_t seq;
};

enum { Q_G = 1, Q_HISTORY };

struct query {
	int type;
	uint64_t goid;
	bool taken, done;
	char *answer; /* malloc'd JSON, or NULL: not found */
	size_t len;
	struct query *next;
};

/* A goroutine's measured time per slot when the last frame drew its lane. */
struct lane {
	uint64_t goid;
	uint64_t ns[GM_NSLOTS];
};

struct web {
	struct MHD_Daemon *d;
	uint16_t port;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct frame ring[RING];
	uint64_t seq; /* last frame published */
	bool closing;
	struct query *queries;
	char *report;
	int sort_key;
	char filter[64];
	/* source-thread state */
	struct sink_control *ctl;
	uint64_t last_frame, last_ts, hist_seq, resets;
	uint32_t *rows;
	uint32_t rows_cap;
	bool reset_pending;
	struct lane lanes[LANES]; /* the timeline as the last frame drew it */
	uint32_t nlanes;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* --- frames (source thread) ---------------------------------------------------------------- */

/* A JSON document built in memory. */
struct jbuf {
	char *buf;
	size_t len;
	FILE *f;
	struct jsonw *j;
};

static bool jbuf_open(struct jbuf *b)
{
	memset(b, 0, sizeof(*b));
	b->f = open_memstream(&b->buf, &b->len);
	if (!b->f)
		return false;
	b->j = jsonw_new(b->f);
	if (!b->j) {
		fclose(b->f);
		free(b->buf);
		return false;
	}
	return true;
}

/* The document (malloc'd) and its length, or NULL. */
static char *jbuf_close(struct jbuf *b, size_t *len)
{
	jsonw_free(b->j);
	if (fclose(b->f)) {
		free(b->buf);
		return NULL;
	}
	*len = b->len;
	return b->buf;
}

static void put_bucket(struct jsonw *j, const struct gm_bucket *b)
{
	jsonw_start_array(j);
	jsonw_uint(j, b->t0);
	jsonw_uint(j, b->counts[XG_G_RUNNING]);
	jsonw_uint(j, b->counts[XG_G_RUNNABLE]);
	jsonw_uint(j, b->counts[XG_G_WAITING]);
	jsonw_uint(j, b->counts[XG_G_SYSCALL]);
	jsonw_uint(j, (uint64_t)b->counts[XG_G_IDLE] + b->counts[XG_G_COPYSTACK] +
			  b->counts[XG_G_PREEMPTED] + b->counts[XG_G_LEAKED]);
	jsonw_uint(j, b->alloc_bytes);
	jsonw_uint(j, b->alloc_objs);
	jsonw_uint(j, b->events);
	jsonw_uint(j, b->created);
	jsonw_uint(j, b->exited);
	jsonw_end_array(j);
}

/* A time figure: name = ns, and name + "b" = its bound (enum gm_bound) when not measured. */
static void put_time(struct jsonw *j, const char *name, struct gm_time t)
{
	char b[32];

	jsonw_uint_field(j, name, t.ns);
	if (t.bound != GM_KNOWN) {
		snprintf(b, sizeof(b), "%sb", name);
		jsonw_uint_field(j, b, t.bound);
	}
}

/* "slots": time in each slot; "slotsb": their bounds when any is not measured. */
static void put_states(struct jsonw *j, const struct gm_g *g, const struct gmodel *m)
{
	struct gm_time t[GM_NSLOTS];
	bool all = true;

	for (int s = 0; s < GM_NSLOTS; s++) {
		t[s] = gmodel__slot_time(m, g, s);
		all &= t[s].bound == GM_KNOWN;
	}
	jsonw_name(j, "slots");
	jsonw_start_array(j);
	for (int s = 0; s < GM_NSLOTS; s++)
		jsonw_uint(j, t[s].ns);
	jsonw_end_array(j);
	if (all)
		return;
	jsonw_name(j, "slotsb");
	jsonw_start_array(j);
	for (int s = 0; s < GM_NSLOTS; s++)
		jsonw_uint(j, t[s].bound);
	jsonw_end_array(j);
}

static void put_row(struct jsonw *j, const struct gmodel *m, const struct gm_g *g)
{
	const struct xg_frame *where;
	char wh[256];
	const char *st = (g->flags & GM_G_NO_STATE) ? "?" : xg_gstate_name(g->t.state);

	jsonw_start_object(j);
	jsonw_uint_field(j, "id", g->t.goid);
	jsonw_string_field(j, "st", st ? st : "?");
	jsonw_string_field(j, "why", gmodel__str(m, g->t.reason));
	jsonw_string_field(j, "fn", gmodel__start_fn(m, g));
	jsonw_uint_field(j, "par", g->t.parent_goid);
	put_time(j, "age", gmodel__age(m, g));
	put_states(j, g, m);
	jsonw_uint_field(j, "na", g->alloc_count);
	jsonw_uint_field(j, "ab", g->alloc_bytes);
	if (gmodel__has_cpu(m, g))
		jsonw_double_field(j, "cpu", g->cpu_pct);
	where = gmodel__where(m, g);
	if (where) /* where it is: function file:line */
		jsonw_string_field(
		    j, "wh", gm_text_site(wh, sizeof(wh), m, where->fn, where->file, where->line));
	jsonw_end_object(j);
}

/* The timeline cell of g for the interval since the last frame: the slot it spent most of the
 * interval in (from the measured times the last frame saw, struct lane), 5 when it exited in the
 * interval without time in any slot. *l gets what this frame sees. */
static int lane_code(const struct gmodel *m, const struct gm_g *g, const struct lane *prev,
		     struct lane *l, bool advance)
{
	uint64_t best = 0;
	int code = -1;

	l->goid = g->t.goid;
	for (int s = 0; s < GM_NSLOTS; s++) {
		uint64_t v = gmodel__slot_ns(m, g, s);
		uint64_t was = prev ? prev->ns[s] : v;
		uint64_t d = advance && v > was ? v - was : 0;

		l->ns[s] = advance || !prev ? v : prev->ns[s];
		if (d > best) {
			best = d;
			code = s;
		}
	}
	if (code < 0) /* no time passed, or none measured: the state it is in */
		code = (g->flags & GM_G_EXITED) ? 5 : gmodel__g_slot(g);
	return code;
}

static uint64_t lane_rank(const struct gm_g *g)
{
	return (g->flags & GM_G_EXITED ? 0 : 1ULL << 63) | g->seq;
}

static void put_lanes(struct web *w, struct jsonw *j, const struct gmodel *m, bool advance)
{
	uint32_t pick[LANES];
	uint32_t n = 0;
	struct lane now[LANES];

	/* the LANES newest goroutines (order of first sight), live ones before exited ones */
	for (uint32_t i = 0; i < m->g_len; i++) {
		uint64_t key;
		uint32_t k;

		if (!m->g[i].t.goid)
			continue;
		key = lane_rank(&m->g[i]);
		if (n == LANES && key <= lane_rank(&m->g[pick[n - 1]]))
			continue;
		k = n < LANES ? n++ : LANES - 1;
		while (k > 0 && lane_rank(&m->g[pick[k - 1]]) < key) {
			pick[k] = pick[k - 1];
			k--;
		}
		pick[k] = i;
	}
	/* adv: the cells cover the time since the last frame; else they only say the current
	 * state (a page that has no column yet draws one) */
	jsonw_bool_field(j, "adv", advance);
	jsonw_name(j, "lanes");
	jsonw_start_array(j);
	for (uint32_t i = 0; i < n; i++) {
		const struct gm_g *g = &m->g[pick[i]];
		const struct lane *prev = NULL;

		for (uint32_t k = 0; k < w->nlanes && !prev; k++)
			if (w->lanes[k].goid == g->t.goid)
				prev = &w->lanes[k];
		jsonw_start_array(j);
		jsonw_uint(j, g->t.goid);
		jsonw_int(j, lane_code(m, g, prev, &now[i], advance));
		jsonw_string(j, (g->flags & GM_G_NO_STATE) ? "?" : xg_gstate_name(g->t.state));
		/* a lane's label: the name as the TUI shortens it */
		jsonw_string(j, tf_func_short(gmodel__start_fn(m, g)));
		jsonw_end_array(j);
	}
	jsonw_end_array(j);
	memcpy(w->lanes, now, n * sizeof(*now));
	w->nlanes = n;
}

static void put_tops(struct jsonw *j, const struct gmodel *m, const struct gm_tops *t, bool site)
{
	const struct gm_top *top[NTOP];
	uint32_t n = gmodel__top(t, top, NTOP);

	jsonw_start_array(j);
	for (uint32_t i = 0; i < n; i++) {
		jsonw_start_array(j);
		jsonw_string(j, site || top[i]->fn ? gmodel__str(m, top[i]->fn) : "(untyped)");
		jsonw_uint(j, top[i]->bytes);
		jsonw_uint(j, top[i]->count);
		if (site) {
			jsonw_string(j, gmodel__str(m, top[i]->file));
			jsonw_uint(j, top[i]->line);
		}
		jsonw_end_array(j);
	}
	jsonw_end_array(j);
}

/* The busiest start functions: [fn, live, exited, running, runnable, waiting, syscall, cpu%,
 * cpu samples, alloc bytes]. */
static void put_groups(struct jsonw *j, const struct gmodel *m)
{
	struct gm_group *g = NULL;
	int n = gmodel__groups(m, &g);

	jsonw_name(j, "fns");
	jsonw_start_array(j);
	for (int i = 0; i < n && i < NGROUPS; i++) {
		jsonw_start_array(j);
		jsonw_string(j, gmodel__str(m, g[i].fn));
		jsonw_uint(j, g[i].live);
		jsonw_uint(j, g[i].exited);
		jsonw_uint(j, g[i].counts[GM_RUNNING]);
		jsonw_uint(j, g[i].counts[GM_RUNNABLE]);
		jsonw_uint(j, g[i].counts[GM_WAITING]);
		jsonw_uint(j, g[i].counts[GM_SYSCALL]);
		jsonw_double(j, g[i].cpu_pct);
		jsonw_uint(j, g[i].cpu_samples);
		jsonw_uint(j, g[i].alloc_bytes);
		jsonw_end_array(j);
	}
	jsonw_end_array(j);
	free(g);
}

static char *build_frame(struct web *w, const struct gmodel *m, uint64_t seq, size_t *len)
{
	const struct sink_status *st = &m->st;
	struct jbuf jb;
	struct jsonw *j;
	const struct gm_ring *r = &m->hist[0];
	bool advanced = m->now_ts != w->last_ts || w->reset_pending;
	char filter[64];
	int sort_key;
	uint32_t nrows, matched = 0;

	if (!jbuf_open(&jb))
		return NULL;
	j = jb.j;
	fputs("event: frame\ndata: ", jb.f);
	jsonw_start_object(j);
	jsonw_uint_field(j, "seq", seq);
	jsonw_uint_field(j, "t", m->now_ts);
	jsonw_uint_field(j, "dur", m->duration_ns);
	jsonw_bool_field(j, "replay", m->replay);
	jsonw_string_field(j, "src", m->source ? m->source : "live");
	jsonw_string_field(j, "go", m->go_version ? m->go_version : "");
	jsonw_string_field(j, "mode", m->mode ? m->mode : "");
	jsonw_double_field(j, "speed", st->speed);
	jsonw_bool_field(j, "paused", st->paused);
	jsonw_bool_field(j, "lagging", st->lagging);
	jsonw_uint_field(j, "lag", st->lag_ns);
	jsonw_bool_field(j, "finished", st->finished);
	jsonw_bool_field(j, "can_seek", w->ctl && w->ctl->can_seek);
	jsonw_bool_field(j, "can_pause", w->ctl && w->ctl->can_pause);
	jsonw_uint_field(j, "ev", m->events);
	jsonw_double_field(j, "evps", m->events_ps);
	jsonw_uint_field(j, "lost", m->lost > m->lost_status ? m->lost : m->lost_status);
	/* kinds under the probe budget: the share of the time their probes were in */
	jsonw_name(j, "seen");
	jsonw_start_object(j);
	for (unsigned int k = 0; k < XG_EV_KIND_MAX; k++)
		if (gmodel__coverage(m, k) >= 0)
			jsonw_double_field(j, xg_kind_name(k), gmodel__coverage(m, k));
	jsonw_end_object(j);
	jsonw_uint_field(j, "gc", m->gc_cycles);
	jsonw_uint_field(j, "heap", m->heap_live);
	jsonw_uint_field(j, "goal", m->heap_goal);
	if (m->sched_seen) {
		jsonw_name(j, "sched");
		jsonw_start_object(j);
		jsonw_uint_field(j, "created", m->sched.created);
		jsonw_uint_field(j, "alive", m->sched.alive);
		jsonw_uint_field(j, "threads", m->sched.threads);
		jsonw_uint_field(j, "gomaxprocs", m->sched.gomaxprocs);
		jsonw_uint_field(j, "runnable", m->sched.runnable);
		jsonw_end_object(j);
	}
	jsonw_uint_field(j, "live", m->live);
	jsonw_uint_field(j, "created", m->created);
	jsonw_uint_field(j, "exited", m->exited);
	jsonw_double_field(j, "crps", m->created_ps);
	jsonw_double_field(j, "exps", m->exited_ps);
	jsonw_name(j, "counts");
	jsonw_start_object(j);
	for (unsigned int s = 0; s < GM_HSTATES; s++)
		if (m->counts[s] && xg_gstate_name(s))
			jsonw_uint_field(j, xg_gstate_name(s), m->counts[s]);
	jsonw_end_object(j);
	jsonw_name(j, "alloc");
	jsonw_start_object(j);
	jsonw_double_field(j, "bps", m->alloc_bps);
	jsonw_double_field(j, "ops", m->alloc_ops);
	jsonw_uint_field(j, "bytes", m->alloc_bytes);
	jsonw_uint_field(j, "objs", m->alloc_objs);
	jsonw_bool_field(j, "sampled", m->alloc_sampled);
	jsonw_bool_field(j, "bps_exact", m->alloc_bps_exact);
	jsonw_double_field(j, "rate", m->alloc_rate);
	jsonw_end_object(j);
	jsonw_double_field(j, "g_rate", m->g_rate);
	jsonw_uint_field(j, "cpu_samples", m->cpu_samples);
	jsonw_double_field(j, "cpu_hz", m->cpu_hz);
	jsonw_double_field(j, "cpu_busy", m->cpu_busy);

	/* new history buckets (all of them after a reset) */
	if (w->reset_pending || m->resets != w->resets) {
		jsonw_bool_field(j, "reset", true);
		w->nlanes = 0; /* the goroutines' figures start afresh */
	}
	jsonw_name(j, "hist");
	jsonw_start_array(j);
	{
		uint64_t fresh = r->seq - w->hist_seq;
		uint32_t from =
		    fresh >= r->len || m->resets != w->resets ? 0 : r->len - (uint32_t)fresh;

		for (uint32_t i = from; i < r->len; i++)
			put_bucket(j, gmodel__bucket(m, 0, i));
	}
	jsonw_end_array(j);
	w->hist_seq = r->seq;
	w->resets = m->resets;
	w->reset_pending = false;

	put_lanes(w, j, m, advanced);
	w->last_ts = m->now_ts;

	pthread_mutex_lock(&w->lock);
	sort_key = w->sort_key;
	snprintf(filter, sizeof(filter), "%s", w->filter);
	pthread_mutex_unlock(&w->lock);
	if (w->rows_cap < m->g_len) {
		uint32_t *n = realloc(w->rows, ((size_t)m->g_len + 1024) * sizeof(*n));

		if (n) {
			w->rows = n;
			w->rows_cap = m->g_len + 1024;
		}
	}
	nrows = w->rows_cap >= m->g_len
		    ? gmodel__rows(m, w->rows, w->rows_cap, sort_key,
				   sort_key != GM_SORT_GOID && sort_key != GM_SORT_FN, filter, true,
				   TABLE_ROWS, &matched)
		    : 0;
	jsonw_string_field(j, "sort", gmodel__sort_name(gmodel__sort_key(m, sort_key)));
	jsonw_uint_field(j, "rows", matched);
	jsonw_name(j, "table");
	jsonw_start_array(j);
	for (uint32_t i = 0; i < nrows && i < TABLE_ROWS; i++)
		put_row(j, m, &m->g[w->rows[i]]);
	jsonw_end_array(j);
	put_groups(j, m);
	jsonw_name(j, "types");
	put_tops(j, m, &m->types, false);
	jsonw_name(j, "sites");
	put_tops(j, m, &m->sites, true);
	jsonw_end_object(j);
	fputs("\n\n", jb.f);
	return jbuf_close(&jb, len);
}

/* name: [{fn, file, line, inlined}], only the frames Go's tracebacks show when go_filter */
static void put_stack(struct jsonw *j, const struct gmodel *m, const char *name, uint32_t stack,
		      bool go_filter)
{
	const struct xg_frame *fr = NULL;
	uint32_t n = 0;

	if (stack && m->names)
		fr = tf_tables__stack(m->names, stack, &n);
	jsonw_name(j, name);
	jsonw_start_array(j);
	for (uint32_t i = 0; fr && i < n; i++) {
		if (go_filter && !tf_frame_shown_by_go(gmodel__str(m, fr[i].fn), i == 0))
			continue;
		jsonw_start_object(j);
		jsonw_string_field(j, "fn", gmodel__str(m, fr[i].fn));
		jsonw_string_field(j, "file", gmodel__str(m, fr[i].file));
		jsonw_uint_field(j, "line", fr[i].line);
		if (fr[i].flags & XG_FRAME_INLINED)
			jsonw_bool_field(j, "inlined", true);
		jsonw_end_object(j);
	}
	jsonw_end_array(j);
}

static char *answer_g(const struct gmodel *m, uint64_t goid, size_t *len)
{
	const struct gm_g *g = gmodel__g(m, goid);
	struct jbuf jb;
	struct jsonw *j;

	if (!g || !jbuf_open(&jb))
		return NULL;
	j = jb.j;
	jsonw_start_object(j);
	jsonw_uint_field(j, "goid", g->t.goid);
	jsonw_uint_field(j, "parent", g->t.parent_goid);
	jsonw_string_field(j, "state",
			   (g->flags & GM_G_NO_STATE) ? "?" : xg_gstate_name(g->t.state));
	jsonw_string_field(j, "reason", gmodel__str(m, g->t.reason));
	jsonw_string_field(j, "start_fn", gmodel__start_fn(m, g));
	jsonw_string_field(j, "create_fn", gmodel__str(m, g->t.create_fn));
	jsonw_hex_field(j, "create_pc", g->t.create_pc);
	/* created_ts: its go_create, else when it was first seen (created_seen false) */
	jsonw_uint_field(j, "created_ts", (g->flags & GM_G_CREATED) ? g->t.created_ts : g->seen_ts);
	jsonw_bool_field(j, "created_seen", g->flags & GM_G_CREATED);
	put_time(j, "age", gmodel__age(m, g));
	put_time(j, "in_state", gmodel__in_state(m, g));
	if (g->flags & GM_G_EXITED)
		jsonw_uint_field(j, "exited_ts", g->exited_ts);
	jsonw_uint_field(j, "transitions", g->transitions);
	put_states(j, g, m);
	jsonw_uint_field(j, "allocs", g->alloc_count);
	jsonw_uint_field(j, "alloc_bytes", g->alloc_bytes);
	jsonw_uint_field(j, "cpu_samples", g->cpu_samples);
	if (gmodel__has_cpu(m, g))
		jsonw_double_field(j, "cpu_pct", g->cpu_pct);
	put_stack(j, m, "create_stack", g->create_stack, false);
	/* where it waits (or was last seen running), as Go's dump prints it: its frame filter */
	put_stack(j, m, "where_stack", g->where_stack, true);
	jsonw_end_object(j);
	return jbuf_close(&jb, len);
}

static char *answer_history(const struct gmodel *m, size_t *len)
{
	struct jbuf jb;
	struct jsonw *j;

	if (!jbuf_open(&jb))
		return NULL;
	j = jb.j;
	jsonw_start_object(j);
	jsonw_uint_field(j, "t", m->now_ts);
	jsonw_name(j, "levels");
	jsonw_start_array(j);
	for (int l = 0; l < GM_LEVELS; l++) {
		jsonw_start_object(j);
		jsonw_uint_field(j, "width", m->hist[l].width_ns);
		jsonw_name(j, "b");
		jsonw_start_array(j);
		for (uint32_t i = 0; i < m->hist[l].len; i++)
			put_bucket(j, gmodel__bucket(m, l, i));
		jsonw_end_array(j);
		jsonw_end_object(j);
	}
	jsonw_end_array(j);
	jsonw_end_object(j);
	return jbuf_close(&jb, len);
}

static void publish(struct web *w, char *data, size_t len)
{
	struct frame *fr;

	pthread_mutex_lock(&w->lock);
	fr = &w->ring[(w->seq + 1) % RING];
	free(fr->data);
	fr->data = data;
	fr->len = len;
	fr->seq = ++w->seq;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

static void serve_queries(struct web *w, const struct gmodel *m)
{
	struct query *q, *list;

	pthread_mutex_lock(&w->lock);
	list = w->queries;
	w->queries = NULL;
	for (q = list; q; q = q->next)
		q->taken = true;
	pthread_mutex_unlock(&w->lock);
	if (!list)
		return;
	for (q = list; q; q = q->next) {
		if (q->type == Q_G)
			q->answer = answer_g(m, q->goid, &q->len);
		else
			q->answer = answer_history(m, &q->len);
	}
	pthread_mutex_lock(&w->lock);
	for (q = list; q;) {
		struct query *next = q->next;

		q->done = true; /* the waiter owns q from here on */
		q = next;
	}
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

int web__tick(struct web *w, const struct gmodel *m)
{
	uint64_t now = mono_ns();

	serve_queries(w, m);
	if (now - w->last_frame >= FRAME_NS) {
		size_t len = 0;
		char *data = build_frame(w, m, w->seq + 1, &len);

		if (data)
			publish(w, data, len);
		w->last_frame = now;
	}
	return 0;
}

int web__begin(struct web *w, const struct gmodel *m, struct sink_control *ctl)
{
	(void)m;
	w->ctl = ctl;
	return 0;
}

void web__reset(struct web *w)
{
	w->reset_pending = true;
	w->last_frame = 0; /* publish the jump at once */
}

void web__end(struct web *w, const struct gmodel *m)
{
	size_t len = 0;
	char *data;

	serve_queries(w, m);
	data = build_frame(w, m, w->seq + 1, &len);
	if (data)
		publish(w, data, len);
}

/* --- HTTP (server threads) ----------------------------------------------------------------- */

struct client {
	struct web *w;
	uint64_t next; /* next frame seq to send */
	char *buf;
	size_t len, off;
};

static ssize_t stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct client *c = cls;
	struct web *w = c->w;
	size_t n;

	(void)pos;
	if (c->off == c->len) {
		struct timespec until;
		const struct frame *fr;
		bool gap = false;

		free(c->buf);
		c->buf = NULL;
		c->len = c->off = 0;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		pthread_mutex_lock(&w->lock);
		while (!w->closing && w->seq < c->next)
			if (pthread_cond_timedwait(&w->cond, &w->lock, &until) == ETIMEDOUT)
				break;
		if (w->closing) {
			pthread_mutex_unlock(&w->lock);
			return MHD_CONTENT_READER_END_OF_STREAM;
		}
		if (w->seq < c->next) {
			pthread_mutex_unlock(&w->lock);
			c->buf = strdup(": keep-alive\n\n");
		} else {
			/* too far behind: skip to the newest frame and say so */
			if (w->seq - c->next >= RING - 1) {
				c->next = w->seq;
				gap = true;
			}
			fr = &w->ring[c->next % RING];
			c->buf = malloc(fr->len + 32);
			if (c->buf) {
				int h = gap ? snprintf(c->buf, 32, "event: gap\ndata: {}\n\n") : 0;

				memcpy(c->buf + h, fr->data, fr->len);
				c->len = (size_t)h + fr->len;
			}
			c->next++;
			pthread_mutex_unlock(&w->lock);
		}
		if (!c->buf)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		if (!c->len)
			c->len = strlen(c->buf);
	}
	n = c->len - c->off < max ? c->len - c->off : max;
	memcpy(out, c->buf + c->off, n);
	c->off += n;
	return (ssize_t)n;
}

static void stream_free(void *cls)
{
	struct client *c = cls;

	free(c->buf);
	free(c);
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int code, const char *type,
			     const void *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, mode);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned int code, const char *msg)
{
	return reply(conn, code, "text/plain; charset=utf-8", msg, strlen(msg),
		     MHD_RESPMEM_PERSISTENT);
}

static enum MHD_Result serve_stream(struct web *w, struct MHD_Connection *conn)
{
	struct client *c = calloc(1, sizeof(*c));
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (!c)
		return reply_text(conn, 503, "out of memory\n");
	/* keep a slow reader's backlog in our bounded ring, not in megabytes of socket buffer */
	if (ci) {
		int sndbuf = SSE_SNDBUF;

		setsockopt(ci->connect_fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	}
	c->w = w;
	pthread_mutex_lock(&w->lock);
	c->next = w->seq ? w->seq : 1; /* start with the newest frame */
	pthread_mutex_unlock(&w->lock);
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, stream_read, c, stream_free);
	if (!r) {
		free(c);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "text/event-stream");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	ret = MHD_queue_response(conn, 200, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result serve_query(struct web *w, struct MHD_Connection *conn, int type,
				   uint64_t goid)
{
	struct query q = {.type = type, .goid = goid};
	struct timespec until;
	enum MHD_Result ret;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += QUERY_WAIT_S;
	pthread_mutex_lock(&w->lock);
	q.next = w->queries;
	/* q lives on this stack: it is unlinked below, or answered, before this returns */
	w->queries = &q; // cppcheck-suppress autoVariables
	while (!q.done) {
		int err = pthread_cond_timedwait(&w->cond, &w->lock, &until);

		if ((err == ETIMEDOUT || w->closing) && !q.taken) {
			/* unlink: nobody else will touch q */
			struct query **p = &w->queries;

			while (*p && *p != &q)
				p = &(*p)->next;
			if (*p)
				*p = q.next;
			break;
		}
	}
	pthread_mutex_unlock(&w->lock);
	if (!q.done)
		return reply_text(conn, 503, "the source did not answer in time\n");
	if (!q.answer)
		return reply_text(conn, 404, "no such goroutine\n");
	ret = reply(conn, 200, "application/json", q.answer, q.len, MHD_RESPMEM_MUST_FREE);
	return ret;
}

static bool parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!s || !*s || *s == '-')
		return false;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return !*end && !errno;
}

static enum MHD_Result serve_control(struct web *w, struct MHD_Connection *conn, const char *op)
{
	struct sink_control *ctl = w->ctl;
	const char *arg;
	uint64_t v;

	if (!ctl)
		return reply_text(conn, 409, "no source\n");
	if (!strcmp(op, "pause") || !strcmp(op, "play")) {
		if (!ctl->can_pause)
			return reply_text(conn, 409, "this source cannot pause\n");
		sink_control__pause(ctl, !strcmp(op, "pause"));
	} else if (!strcmp(op, "speed")) {
		char *end;
		double x;

		arg = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "x");
		if (!arg)
			return reply_text(conn, 400, "speed needs x=N\n");
		x = strtod(arg, &end);
		if (*end || !(x >= 0.25 && x <= 1000))
			return reply_text(conn, 400, "x must be a number from 0.25 to 1000\n");
		if (!ctl->can_speed)
			return reply_text(conn, 409, "this source has no speed\n");
		sink_control__set_speed(ctl, x);
	} else if (!strcmp(op, "seek")) {
		arg = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "t");
		if (!parse_u64(arg, &v) || v > INT64_MAX)
			return reply_text(conn, 400, "seek needs t=NS (trace time)\n");
		if (!ctl->can_seek)
			return reply_text(conn, 409, "this source cannot seek\n");
		sink_control__seek(ctl, (int64_t)v);
	} else if (!strcmp(op, "view")) {
		const char *sort = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "sort");
		const char *filter =
		    MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "filter");
		int key = -1;

		for (int k = 0; sort && k < GM_SORT_MAX; k++)
			if (!strcmp(sort, gmodel__sort_name(k)))
				key = k;
		if (sort && key < 0)
			return reply_text(conn, 400, "unknown sort key\n");
		pthread_mutex_lock(&w->lock);
		if (key >= 0)
			w->sort_key = key;
		if (filter)
			snprintf(w->filter, sizeof(w->filter), "%s", filter);
		pthread_mutex_unlock(&w->lock);
	} else {
		return reply_text(conn, 404, "not found\n");
	}
	return reply_text(conn, 200, "ok\n");
}

/* Per-request state of a POST body. */
struct body {
	char buf[MAX_BODY];
	size_t len;
	bool too_big;
};

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
			       const char *method, const char *version, const char *upload,
			       size_t *upload_size, void **state)
{
	struct web *w = cls;
	bool get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
	bool post = !strcmp(method, "POST");
	uint64_t v;

	(void)version;
	if (post && !*state) {
		*state = calloc(1, sizeof(struct body));
		return *state ? MHD_YES : MHD_NO;
	}
	if (post && *upload_size) {
		struct body *b = *state;

		if (b->len + *upload_size >= MAX_BODY)
			b->too_big = true;
		else
			memcpy(b->buf + b->len, upload, *upload_size);
		if (!b->too_big)
			b->len += *upload_size;
		*upload_size = 0;
		return MHD_YES;
	}
	if (!strncmp(url, "/api/", 5)) {
		const char *op = url + 5;

		if (!strcmp(op, "report")) {
			if (post) {
				struct body *b = *state;
				char *copy;

				if (b->too_big)
					return reply_text(conn, 413, "report too big\n");
				copy = strndup(b->buf, b->len);
				pthread_mutex_lock(&w->lock);
				free(w->report);
				w->report = copy;
				pthread_mutex_unlock(&w->lock);
				return reply_text(conn, 200, "ok\n");
			}
			if (get) {
				char *copy;

				pthread_mutex_lock(&w->lock);
				copy = strdup(w->report ? w->report : "{}");
				pthread_mutex_unlock(&w->lock);
				if (!copy)
					return reply_text(conn, 503, "out of memory\n");
				return reply(conn, 200, "application/json", copy, strlen(copy),
					     MHD_RESPMEM_MUST_FREE);
			}
		} else if (!strcmp(op, "stream") || !strcmp(op, "history") || !strcmp(op, "g")) {
			if (!get)
				return reply_text(conn, 405, "method not allowed\n");
			if (!strcmp(op, "stream"))
				return serve_stream(w, conn);
			if (!strcmp(op, "history"))
				return serve_query(w, conn, Q_HISTORY, 0);
			if (!parse_u64(
				MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "id"), &v))
				return reply_text(conn, 400, "id must be a goroutine id\n");
			return serve_query(w, conn, Q_G, v);
		} else if (!strcmp(op, "pause") || !strcmp(op, "play") || !strcmp(op, "speed") ||
			   !strcmp(op, "seek") || !strcmp(op, "view")) {
			if (!post)
				return reply_text(conn, 405, "method not allowed: use POST\n");
			return serve_control(w, conn, op);
		}
		return reply_text(conn, 404, "not found\n");
	}
	for (unsigned int i = 0; i < web_assets_count; i++) {
		if (strcmp(url, web_assets[i].path) != 0)
			continue;
		if (!get)
			return reply_text(conn, 405, "method not allowed\n");
		return reply(conn, 200, web_assets[i].type, web_assets[i].data, web_assets[i].len,
			     MHD_RESPMEM_PERSISTENT);
	}
	return reply_text(conn, 404, "not found\n");
}

static void request_done(void *cls, struct MHD_Connection *conn, void **state,
			 enum MHD_RequestTerminationCode code)
{
	(void)cls;
	(void)conn;
	(void)code;
	free(*state);
	*state = NULL;
}

static void mhd_panic(void *cls, const char *file, unsigned int line, const char *reason)
{
	(void)cls;
	fprintf(stderr, "xgotop: web server: fatal error at %s:%u: %s\n", file, line,
		reason ? reason : "");
	abort();
}

struct web *web__new(const char *addr, uint16_t port)
{
	struct web *w = calloc(1, sizeof(*w));
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	unsigned int flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD;
	const union MHD_DaemonInfo *info;

	if (!w)
		return NULL;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	w->sort_key = GM_SORT_CPU;
	memset(&ss, 0, sizeof(ss));
	if (!addr)
		addr = "127.0.0.1";
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
	} else if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		flags |= MHD_USE_IPv6;
	} else {
		xg_error(-EINVAL, "web: '%s' is not a numeric address", addr);
		web__free(w);
		errno = EINVAL;
		return NULL;
	}
	MHD_set_panic_func(mhd_panic, NULL);
	w->d = MHD_start_daemon(flags, port, NULL, NULL, handler, w, MHD_OPTION_SOCK_ADDR, &ss,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned int)MAX_CONN,
				MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)(MAX_CONN / 2),
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30,
				MHD_OPTION_NOTIFY_COMPLETED, request_done, NULL, MHD_OPTION_END);
	if (!w->d) {
		int err = errno ? errno : EADDRINUSE;

		xg_error(-err, "web: cannot listen on %s port %u: %s", addr, port, strerror(err));
		web__free(w);
		errno = err;
		return NULL;
	}
	info = MHD_get_daemon_info(w->d, MHD_DAEMON_INFO_BIND_PORT);
	w->port = info ? info->port : port;
	return w;
}

uint16_t web__port(const struct web *w)
{
	return w->port;
}

void web__free(struct web *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->closing = true;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	if (w->d)
		MHD_stop_daemon(w->d);
	for (int i = 0; i < RING; i++)
		free(w->ring[i].data);
	free(w->report);
	free(w->rows);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
