// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/xgt.h"
#include "model/model.h"
#include "offline/analyze.h"
#include "offline/timeline.h"
#include "util/array.h"
#include "util/err.h"
#include "util/u64map.h"

#define BATCH 4096

const struct timeline_counter_info timeline_counters[TIMELINE_NCOUNTERS] = {
    [TIMELINE_C_RUNNING] = {"goroutines running", "count"},
    [TIMELINE_C_RUNNABLE] = {"goroutines runnable", "count"},
    [TIMELINE_C_WAITING] = {"goroutines waiting", "count"},
    [TIMELINE_C_SYSCALL] = {"goroutines in syscall", "count"},
    [TIMELINE_C_ALIVE] = {"goroutines alive", "count"},
    [TIMELINE_C_HEAP_LIVE] = {"heap live", "bytes"},
    [TIMELINE_C_HEAP_GOAL] = {"heap goal", "bytes"},
    [TIMELINE_C_ALLOC_RATE] = {"allocation rate", "bytes/s"},
};

const char *timeline_state_name(char *buf, size_t len, unsigned int state, const char *reason)
{
	const char *n = xg_gstate_name(state);

	if (state == XG_G_WAITING && reason && *reason)
		snprintf(buf, len, "waiting:%s", reason);
	else if (n)
		snprintf(buf, len, "%s", n);
	else
		snprintf(buf, len, "state%u", state);
	return buf;
}

struct walk {
	struct trace *t;
	const struct tf_tables *names;
	const struct timeline_ops *ops;
	struct timeline_stats *st;
	double rate;
	/* pass 1 */
	struct u64map start_fn; /* goid -> start fn string id */
	uint64_t *win;		/* scaled bytes per window */
	size_t nwin;
	/* pass 2 */
	struct tf_gtrack *tr;
	struct u64map seen; /* goids with a track */
	int64_t cnt[TIMELINE_NCOUNTERS], shown[TIMELINE_NCOUNTERS];
	bool shown_any[TIMELINE_NCOUNTERS];
	uint64_t pending_ts; /* goroutine counters changed at this ts, not yet emitted */
	bool pending;
	size_t next_win; /* first window not emitted */
	int64_t last_rate;
	bool gc_open;
};

static int add_window(struct walk *w, uint64_t ts, uint64_t bytes)
{
	size_t i = (size_t)(ts / TIMELINE_WINDOW_NS);

	if (xg_array_grow_zeroed((void **)&w->win, &w->nwin, i + 1, sizeof(*w->win)))
		return -ENOMEM;
	w->win[i] += bytes;
	return 0;
}

static int pass1(struct walk *w, struct xg_event *evs)
{
	long n;
	int err = 0;

	while ((n = tf_reader__read(w->t->r, evs, BATCH)) > 0) {
		for (long i = 0; i < n && !err; i++) {
			const struct xg_event *ev = &evs[i];
			uint64_t bytes, objs;

			switch (ev->kind) {
			case XG_EV_GO_CREATE:
			case XG_EV_SNAPSHOT:
				if (ev->goid && ev->start_fn)
					err = u64map_put(&w->start_fn, ev->goid, ev->start_fn);
				break;
			case XG_EV_ALLOC:
			case XG_EV_ALLOC_SAMPLE:
				gm_alloc_scale(w->rate, ev, &bytes, &objs);
				err = add_window(w, ev->ts, bytes);
				break;
			default:
				break;
			}
		}
		if (err)
			return err;
	}
	return (int)n;
}

static int track(struct walk *w, uint64_t goid)
{
	char name[512];
	uint64_t fn = 0;

	if (u64map_get(&w->seen, goid, NULL))
		return 0;
	if (u64map_put(&w->seen, goid, 1))
		return -ENOMEM;
	u64map_get(&w->start_fn, goid, &fn);
	if (fn)
		snprintf(name, sizeof(name), "G%" PRIu64 " %s", goid,
			 tf_tables__str(w->names, (uint32_t)fn));
	else
		snprintf(name, sizeof(name), "G%" PRIu64, goid);
	w->st->tracks++;
	return w->ops->track(w->ops->ctx, goid, name);
}

static int counter(struct walk *w, enum timeline_counter c, uint64_t ts, int64_t v)
{
	w->shown[c] = v;
	w->shown_any[c] = true;
	w->st->counters++;
	return w->ops->counter(w->ops->ctx, c, ts, v);
}

/* Goroutine counters that changed at pending_ts. */
static int flush_counts(struct walk *w)
{
	int err = 0;

	if (!w->pending)
		return 0;
	w->pending = false;
	for (int c = TIMELINE_C_RUNNING; c <= TIMELINE_C_ALIVE && !err; c++)
		if (!w->shown_any[c] || w->shown[c] != w->cnt[c])
			err = counter(w, c, w->pending_ts, w->cnt[c]);
	return err;
}

/* Allocation-rate points of the windows that began at or before ts. */
static int flush_windows(struct walk *w, uint64_t ts)
{
	size_t upto = (size_t)(ts / TIMELINE_WINDOW_NS);
	int err = 0;

	for (; w->next_win <= upto && !err; w->next_win++) {
		uint64_t b = w->next_win < w->nwin ? w->win[w->next_win] : 0;
		int64_t v = (int64_t)(b * (1000000000ULL / TIMELINE_WINDOW_NS));

		if (w->shown_any[TIMELINE_C_ALLOC_RATE] && v == w->last_rate)
			continue;
		w->last_rate = v;
		err = counter(w, TIMELINE_C_ALLOC_RATE, (uint64_t)w->next_win * TIMELINE_WINDOW_NS,
			      v);
	}
	return err;
}

static int state_counter(unsigned int state)
{
	switch (state) {
	case XG_G_RUNNING:
		return TIMELINE_C_RUNNING;
	case XG_G_RUNNABLE:
		return TIMELINE_C_RUNNABLE;
	case XG_G_WAITING:
		return TIMELINE_C_WAITING;
	case XG_G_SYSCALL:
		return TIMELINE_C_SYSCALL;
	default:
		return -1;
	}
}

static void count(struct walk *w, const struct tf_goroutine *g, int d, uint64_t ts)
{
	int c = state_counter(g->state);

	if (c >= 0)
		w->cnt[c] += d;
	w->cnt[TIMELINE_C_ALIVE] += d;
	w->pending = true;
	w->pending_ts = ts;
}

static int goroutine(struct walk *w, const struct xg_event *ev)
{
	const struct timeline_ops *o = w->ops;
	const struct tf_goroutine *g;
	struct tf_goroutine before;
	char name[512];
	uint64_t flow = 0;
	bool had, changed;
	int err;

	err = tf_gtrack__step(w->tr, ev, &had, &before, &g);
	if (err) {
		w->st->ignored += err > 0;
		return err < 0 ? err : 0;
	}
	if (!had && !g)
		return 0; /* an exit of a goroutine never seen */
	if (!had) {	  /* a goroutine known before has its track */
		err = track(w, ev->goid);
		if (err)
			return err;
	}
	if (ev->kind == XG_EV_GO_CREATE && !had && ev->parent_goid) {
		err = track(w, ev->parent_goid);
		if (err)
			return err;
		flow = ev->goid;
		snprintf(name, sizeof(name), "go %s", tf_tables__str(w->names, ev->start_fn));
		err = o->instant(o->ctx, ev->parent_goid, ev->ts, name, flow, ev->goid);
		if (err)
			return err;
		w->st->flows++;
	}
	changed = !had || !g || g->state != before.state ||
		  (g->state == XG_G_WAITING && g->reason != before.reason);
	if (!changed)
		return 0;
	if (had) {
		count(w, &before, -1, ev->ts);
		err = o->slice_end(o->ctx, ev->goid, ev->ts);
		if (err)
			return err;
	}
	if (g) {
		count(w, g, +1, ev->ts);
		timeline_state_name(name, sizeof(name), g->state,
				    tf_tables__str(w->names, g->reason));
		w->st->slices++;
		err = o->slice_begin(o->ctx, ev->goid, ev->ts, name, flow);
	}
	return err;
}

static int gc(struct walk *w, const struct xg_event *ev)
{
	const struct timeline_ops *o = w->ops;
	char name[64];
	int err = 0;

	if (ev->kind == XG_EV_GC_START) {
		if (w->gc_open)
			err = o->slice_end(o->ctx, TIMELINE_TRACK_GC, ev->ts);
		snprintf(name, sizeof(name), "GC %u", ev->gc);
		err = err ?: o->slice_begin(o->ctx, TIMELINE_TRACK_GC, ev->ts, name, 0);
		w->gc_open = !err;
		w->st->gc_slices += !err;
	} else if (ev->kind == XG_EV_GC_END && w->gc_open) {
		err = o->slice_end(o->ctx, TIMELINE_TRACK_GC, ev->ts);
		w->gc_open = false;
	}
	if (!err && ev->heap_live &&
	    (!w->shown_any[TIMELINE_C_HEAP_LIVE] ||
	     w->shown[TIMELINE_C_HEAP_LIVE] != (int64_t)ev->heap_live))
		err = counter(w, TIMELINE_C_HEAP_LIVE, ev->ts, (int64_t)ev->heap_live);
	if (!err && ev->heap_goal &&
	    (!w->shown_any[TIMELINE_C_HEAP_GOAL] ||
	     w->shown[TIMELINE_C_HEAP_GOAL] != (int64_t)ev->heap_goal))
		err = counter(w, TIMELINE_C_HEAP_GOAL, ev->ts, (int64_t)ev->heap_goal);
	return err;
}

static int pass2(struct walk *w, struct xg_event *evs)
{
	const struct timeline_ops *o = w->ops;
	char name[128];
	long n;
	int err = 0;

	while ((n = tf_reader__read(w->t->r, evs, BATCH)) > 0) {
		for (long i = 0; i < n && !err; i++) {
			const struct xg_event *ev = &evs[i];

			w->st->events++;
			w->st->end_ts = ev->ts;
			if (w->pending && ev->ts > w->pending_ts)
				err = flush_counts(w);
			err = err ?: flush_windows(w, ev->ts);
			if (err)
				break;
			switch (ev->kind) {
			case XG_EV_GO_CREATE:
			case XG_EV_GO_STATE:
			case XG_EV_GO_EXIT:
			case XG_EV_SNAPSHOT:
				if (ev->goid)
					err = goroutine(w, ev);
				break;
			case XG_EV_GC_START:
			case XG_EV_GC_END:
			case XG_EV_HEAP:
				err = gc(w, ev);
				break;
			case XG_EV_LOST: {
				const char *k = xg_kind_name(ev->of);

				snprintf(name, sizeof(name), "lost %" PRIu64 " %s", ev->count,
					 k ? k : "events");
				w->st->lost++;
				err = o->instant(o->ctx, TIMELINE_TRACK_LOST, ev->ts, name, 0, 0);
				break;
			}
			default:
				break;
			}
		}
		if (err)
			return err;
	}
	return (int)n;
}

/* Closes what is open at the end. */
static int finish(struct walk *w)
{
	const struct timeline_ops *o = w->ops;
	const struct tf_goroutine *gs;
	struct tf_info in;
	size_t n;
	int err;

	/* the recording's end, which may come after its last event */
	if (!tf_reader__info(w->t->r, &in) && in.span_ns > w->st->end_ts)
		w->st->end_ts = in.span_ns;
	err = flush_counts(w);
	err = err ?: flush_windows(w, w->st->end_ts);
	if (!err && w->gc_open)
		err = o->slice_end(o->ctx, TIMELINE_TRACK_GC, w->st->end_ts);
	gs = tf_gtrack__sorted(w->tr, &n);
	if (!gs && n)
		return -ENOMEM;
	for (size_t i = 0; i < n && !err; i++)
		err = o->slice_end(o->ctx, gs[i].goid, w->st->end_ts);
	return err ?: o->end(o->ctx, w->st->end_ts);
}

int timeline_walk(struct trace *t, const struct timeline_ops *ops, struct timeline_stats *st)
{
	const struct tf_meta *meta = tf_reader__meta(t->r);
	struct walk w = {.t = t, .ops = ops, .st = st};
	struct xg_event *evs = malloc(BATCH * sizeof(*evs));
	const char *process;
	int64_t pid = 0;
	int err;

	memset(st, 0, sizeof(*st));
	if (!evs)
		return -ENOMEM;
	w.names = tf_reader__tables(t->r);
	w.rate = gmodel_alloc_rate(meta);
	w.tr = tf_gtrack__new();
	if (!w.tr) {
		err = -ENOMEM;
		goto out;
	}
	/* names and allocation windows need only these columns (ts and kind always come) */
	tf_reader__set_columns(t->r, TF_READ(TF_COL_GOID) | TF_READ(TF_COL_START_FN) |
					 TF_READ(TF_COL_SIZE) | TF_READ(TF_COL_WEIGHT));
	err = pass1(&w, evs);
	tf_reader__set_columns(t->r, TF_READ_ALL);
	if (err < 0)
		goto out;
	err = tf_reader__seek(t->r, 0);
	if (err)
		goto out;
	tf_meta__int(meta, TF_KEY_TARGET_PID, &pid);
	process = tf_meta__str(meta, TF_KEY_TARGET_CMDLINE);
	err = ops->begin(ops->ctx, pid, process && *process ? process : t->name);
	err = err ?: ops->track(ops->ctx, TIMELINE_TRACK_GC, "GC");
	err = err ?: ops->track(ops->ctx, TIMELINE_TRACK_LOST, "lost events");
	if (err)
		goto out;
	err = pass2(&w, evs);
	if (err < 0)
		goto out;
	err = finish(&w);
out:
	free(evs);
	free(w.win);
	u64map_free(&w.start_fn);
	u64map_free(&w.seen);
	tf_gtrack__free(w.tr);
	return err < 0 ? err : 0;
}
