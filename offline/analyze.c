// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "offline/analyze.h"
#include "util/array.h"
#include "util/err.h"

#define BATCH 4096

const char *analysis_str(const struct analysis *a, uint32_t id)
{
	return id ? tf_tables__str(tf_reader__tables(a->t->r), id) : "";
}

static int cmp_goid(const void *x, const void *y)
{
	const struct analysis_alive *a = x, *b = y;

	return a->goid < b->goid ? -1 : a->goid > b->goid;
}

static bool runtime_g(const struct analysis *a, const struct gm_g *g)
{
	return gmodel_runtime_g(g->t.goid, analysis_str(a, g->t.start_fn));
}

/* The model's figures, once the trace is read and its time advanced to the end. */
static int gather(struct analysis *a)
{
	const struct gmodel *m = a->m;
	struct gm_group *gs = NULL;
	uint32_t nb = 0;
	int n = gmodel__groups(m, &gs);

	if (n < 0)
		return n;
	a->fns = calloc(n ? (size_t)n : 1, sizeof(*a->fns));
	a->alive = calloc(m->live ? m->live : 1, sizeof(*a->alive));
	a->blocks = calloc((size_t)m->nwaits + m->live + 1, sizeof(*a->blocks));
	if (!a->fns || !a->alive || !a->blocks) {
		free(gs);
		return -ENOMEM;
	}
	for (int i = 0; i < n; i++) {
		struct analysis_fn *f = &a->fns[a->nfns++];

		*f = (struct analysis_fn){.fn = gs[i].fn,
					  .partial = gs[i].partial,
					  .created = gs[i].created,
					  .exited = gs[i].exited,
					  .live = gs[i].live,
					  .max_live = gs[i].max_live};
		memcpy(f->slot_ns, gs[i].slot_ns, sizeof(f->slot_ns));
	}
	free(gs);
	for (uint32_t i = 0; i < m->nwaits; i++) {
		const struct gm_wait *w = &m->waits[i];

		a->blocks[nb++] = (struct analysis_block){
		    .goid = w->goid,
		    .from_ts = w->from_ts,
		    .ns = w->ns,
		    .start_fn = w->start_fn,
		    .reason = w->reason,
		    .at_least = w->bound != GM_KNOWN,
		    .runtime = gmodel_runtime_g(w->goid, analysis_str(a, w->start_fn))};
	}
	for (uint32_t i = 0; i < m->g_len; i++) {
		const struct gm_g *g = &m->g[i];
		struct analysis_alive *al;
		struct gm_time in;

		if (!g->t.goid || (g->flags & (GM_G_EXITED | GM_G_NO_STATE)))
			continue;
		in = gmodel__in_state(m, g);
		al = &a->alive[a->nalive++];
		*al = (struct analysis_alive){.goid = g->t.goid,
					      .parent_goid = g->t.parent_goid,
					      .observed_ts = m->exact ? 0 : g->obs_ts,
					      .created = g->flags & GM_G_CREATED,
					      .created_ts = g->t.created_ts,
					      .since_ts = g->t.since_ts,
					      .create_pc = g->t.create_pc,
					      .start_fn = g->t.start_fn,
					      .create_fn = g->t.create_fn,
					      .reason = g->t.reason,
					      .stack =
						  (g->flags & GM_G_CREATED) ? g->create_stack : 0,
					      .where_stack = g->where_stack,
					      .state = g->t.state,
					      .runtime = runtime_g(a, g),
					      .age = gmodel__age(m, g),
					      .in_state = in};
		/* a wait still going on at the end, as long as the model can tell */
		if (a->o.blocked_ns && gmodel__g_slot(g) == GM_WAITING && in.bound != GM_UNKNOWN &&
		    in.bound != GM_ABOUT && in.ns >= a->o.blocked_ns)
			a->blocks[nb++] = (struct analysis_block){
			    .goid = g->t.goid,
			    .from_ts = a->end_ts > in.ns ? a->end_ts - in.ns : 0,
			    .ns = in.ns,
			    .start_fn = g->t.start_fn,
			    .reason = g->t.reason,
			    .ongoing = true,
			    .at_least = in.bound != GM_KNOWN,
			    .runtime = al->runtime};
	}
	a->nblocks = nb;
	qsort(a->alive, a->nalive, sizeof(*a->alive), cmp_goid);
	a->peak_goroutines = m->peak_user;
	a->peak_goroutines_ts = m->peak_user_ts;
	a->peak_heap = m->peak_heap;
	a->peak_heap_ts = m->peak_heap_ts;
	a->peak_alloc_bps = m->peak_alloc_bps;
	a->peak_alloc_ts = m->peak_alloc_ts;
	if (a->end_ts < 1000000000ULL) /* shorter than a second: the average */
		a->peak_alloc_bps =
		    a->end_ts ? (double)m->alloc_bytes * 1e9 / (double)a->end_ts : 0;
	return 0;
}

struct analysis *analysis__new(struct trace *t, const struct analysis_opts *o)
{
	struct analysis *a = calloc(1, sizeof(*a));
	struct xg_event *evs = NULL;
	struct sink_info si = {0};
	struct sink_status st = {0};
	long n;
	int err = 0;

	if (!a)
		return NULL;
	a->t = t;
	if (o)
		a->o = *o;
	a->m = gmodel__new();
	evs = malloc(BATCH * sizeof(*evs));
	if (!a->m || !evs) {
		err = -ENOMEM;
		goto out;
	}
	err = tf_reader__info(t->r, &a->info);
	if (err)
		goto out;
	a->end_ts = a->info.span_ns ? a->info.span_ns : a->info.ts_last;
	if (a->o.until_ns && a->o.until_ns < a->end_ts)
		a->end_ts = a->o.until_ns;
	si.meta = tf_reader__meta(t->r);
	si.names = tf_reader__tables(t->r);
	si.replay = true;
	si.source = t->name;
	si.duration_ns = a->end_ts;
	a->m->wait_limit_ns = a->o.blocked_ns;
	err = gmodel__begin(a->m, &si);
	if (err)
		goto out;
	while ((n = tf_reader__read(t->r, evs, BATCH)) > 0) {
		for (long i = 0; i < n && !err; i++) {
			if (a->o.until_ns && evs[i].ts > a->o.until_ns)
				break;
			a->events++;
			if (evs[i].ts > a->end_ts)
				a->end_ts = evs[i].ts;
			err = gmodel__event(a->m, &evs[i]);
		}
		if (err)
			goto out;
		if (a->o.until_ns && evs[n - 1].ts > a->o.until_ns)
			break;
	}
	if (n < 0) {
		err = (int)n;
		goto out;
	}
	st.now_ts = a->end_ts;
	st.finished = true;
	gmodel__tick(a->m, &st);
	err = gather(a);
	if (!err)
		err = tf_reader__info(t->r, &a->info);
out:
	free(evs);
	if (err) {
		if (err == -ENOMEM && !*xg_errmsg())
			xg_error(err, "%s: out of memory", t->name);
		analysis__free(a);
		errno = -err;
		return NULL;
	}
	return a;
}

void analysis__free(struct analysis *a)
{
	if (!a)
		return;
	gmodel__free(a->m);
	free(a->fns);
	free(a->alive);
	free(a->blocks);
	free(a);
}

const struct xg_frame *analysis_user_frames(const struct tf_tables *t, const struct xg_frame *fr,
					    uint32_t *n)
{
	for (uint32_t i = 0; i < *n; i++) {
		if (!gmodel_runtime_frame(tf_tables__str(t, fr[i].fn))) {
			*n -= i;
			return fr + i;
		}
	}
	return fr;
}

const struct xg_frame *analysis_create_frames(const struct tf_tables *t, uint32_t stack,
					      uint64_t create_pc, uint32_t create_fn, uint32_t *n)
{
	const struct xg_frame *fr = tf_tables__stack(t, stack, n);

	if (!fr || !*n)
		return NULL;
	for (uint32_t i = 0; i < *n; i++) {
		if (create_pc && fr[i].pc == create_pc) {
			*n -= i;
			return fr + i;
		}
	}
	for (uint32_t i = 0; i < *n; i++) {
		if (create_fn && fr[i].fn == create_fn) {
			*n -= i;
			return fr + i;
		}
	}
	return analysis_user_frames(t, fr, n);
}

void analysis_create_site(const struct analysis *a, const struct analysis_alive *g,
			  struct trace_where *w)
{
	const struct tf_tables *t = tf_reader__tables(a->t->r);
	const struct xg_frame *fr;
	uint32_t n;

	fr = analysis_create_frames(t, g->stack, g->create_pc, g->create_fn, &n);
	if (fr && n) {
		w->fn = tf_tables__str(t, fr[0].fn);
		w->file = tf_tables__str(t, fr[0].file);
		w->line = fr[0].line;
		return;
	}
	if (trace__pc_where(a->t, g->create_pc, true, w) && *w->fn)
		return;
	w->fn = analysis_str(a, g->create_fn);
	w->file = "";
	w->line = 0;
}
