// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "format/gtrack.h"
#include "offline/analyze.h"
#include "util/array.h"
#include "util/err.h"

#define BATCH 4096

bool xa_system_goroutine(const char *fn)
{
	if (!fn || !*fn || !strcmp(fn, "runtime.main"))
		return false;
	return !strncmp(fn, "runtime.", 8) || !strncmp(fn, "runtime/", 8) ||
	       !strncmp(fn, "internal/", 9) || !strcmp(fn, "os/signal.loop");
}

bool xa_runtime_goroutine(uint64_t goid, const char *fn)
{
	return goid == 1 || (fn && !strcmp(fn, "runtime.main")) || xa_system_goroutine(fn);
}

double xa_alloc_rate(const struct tf_meta *meta)
{
	const char *s = meta ? tf_meta__str(meta, "sample.alloc") : NULL;
	double v = 1.0;
	int64_t iv;

	if (s) {
		char *end;
		double d = strtod(s, &end);

		if (end != s && d > 0)
			v = d;
	} else if (meta && tf_meta__int(meta, "sample.alloc", &iv) && iv > 0) {
		v = iv == 1 ? 1.0 : 1.0 / (double)iv;
	}
	return v > 1.0 ? 1.0 : v;
}

void xa_alloc_scale(double rate, const struct xg_event *ev, uint64_t *bytes, uint64_t *objs)
{
	*bytes = *objs = 0;
	if (ev->kind == XG_EV_ALLOC) {
		if (rate >= 1.0) {
			*bytes = ev->size;
			*objs = 1;
		} else {
			double inv = 1.0 / rate; /* the model's arithmetic, to the bit */

			*bytes = (uint64_t)llround((double)ev->size * inv);
			*objs = (uint64_t)llround(inv);
		}
	} else if (ev->kind == XG_EV_ALLOC_SAMPLE) {
		*bytes = ev->weight ? ev->weight : ev->size;
		*objs = ev->size ? (*bytes + ev->size / 2) / ev->size : 1;
	}
}

const char *xa_str(const struct xg_analysis *a, uint32_t id)
{
	return id ? tf_tables__str(tf_reader__tables(a->t->r), id) : "";
}

/* The runtime's system goroutines, by start function (cached per string id). */
static bool is_system(struct xg_analysis *a, uint32_t fn)
{
	uint64_t c;

	if (!u64map_get(&a->fn_class, fn, &c)) {
		c = xa_system_goroutine(xa_str(a, fn)) ? 1 : 2;
		if (u64map_put(&a->fn_class, fn, c))
			return c == 1;
	}
	return c == 1;
}

/* System goroutines and main: exempt from leak and wait rules. */
static bool is_runtime(struct xg_analysis *a, uint64_t goid, uint32_t fn)
{
	return goid == 1 || is_system(a, fn) || !strcmp(xa_str(a, fn), "runtime.main");
}

static struct xa_fn *fn_get(struct xg_analysis *a, uint32_t fn)
{
	uint64_t i;

	if (u64map_get(&a->fn_idx, fn, &i))
		return &a->fns[i];
	if (a->nfns == a->fns_cap) {
		uint32_t ncap = a->fns_cap ? a->fns_cap * 2 : 64;
		struct xa_fn *v = realloc(a->fns, ncap * sizeof(*v));

		if (!v)
			return NULL;
		a->fns = v;
		a->fns_cap = ncap;
	}
	if (u64map_put(&a->fn_idx, fn, a->nfns))
		return NULL;
	memset(&a->fns[a->nfns], 0, sizeof(a->fns[0]));
	a->fns[a->nfns].fn = fn;
	return &a->fns[a->nfns++];
}

static int block_add(struct xg_analysis *a, const struct tf_goroutine *g, uint64_t ts, bool ongoing)
{
	struct xa_block *b;

	if (!a->o.blocked_ns || g->state != XG_G_WAITING || ts - g->since_ts < a->o.blocked_ns)
		return 0;
	if (a->nblocks == a->blocks_cap) {
		uint32_t ncap = a->blocks_cap ? a->blocks_cap * 2 : 64;
		struct xa_block *v = realloc(a->blocks, ncap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		a->blocks = v;
		a->blocks_cap = ncap;
	}
	b = &a->blocks[a->nblocks++];
	*b = (struct xa_block){.goid = g->goid,
			       .from_ts = g->since_ts,
			       .ns = ts - g->since_ts,
			       .start_fn = g->start_fn,
			       .reason = g->reason,
			       .ongoing = ongoing,
			       .runtime = is_runtime(a, g->goid, g->start_fn)};
	return 0;
}

/* Time in the state g is leaving (or is in at the end). */
static int account(struct xg_analysis *a, const struct tf_goroutine *g, uint64_t ts, bool end)
{
	struct xa_fn *f = fn_get(a, g->start_fn);

	if (!f)
		return -ENOMEM;
	if (ts > g->since_ts)
		f->slot_ns[gmodel__slot_of(g->state)] += ts - g->since_ts;
	return block_add(a, g, ts, end);
}

int xa_tracker__init(struct xa_tracker *t)
{
	memset(t, 0, sizeof(*t));
	t->g = tf_gtrack__new();
	return t->g ? 0 : -ENOMEM;
}

void xa_tracker__fini(struct xa_tracker *t)
{
	tf_gtrack__free(t->g);
	u64map_free(&t->gone);
	memset(t, 0, sizeof(*t));
}

int xa_tracker__apply(struct xa_tracker *t, const struct xg_event *ev, bool *had,
		      struct tf_goroutine *before, const struct tf_goroutine **after)
{
	const struct tf_goroutine *g;
	int err;

	*after = NULL;
	*had = false;
	if (u64map_get(&t->gone, ev->goid, NULL))
		return 1;
	g = tf_gtrack__get(t->g, ev->goid);
	if (g) {
		*had = true;
		*before = *g;
	}
	if (ev->kind == XG_EV_GO_CREATE && g) {
		struct tf_goroutine n = *g;

		n.parent_goid = ev->parent_goid;
		n.start_pc = ev->start_pc;
		n.create_pc = ev->create_pc;
		n.start_fn = ev->start_fn;
		n.create_fn = ev->create_fn;
		n.created_ts = ev->ts;
		err = tf_gtrack__put(t->g, &n);
	} else {
		err = tf_gtrack__apply(t->g, ev);
	}
	if (err)
		return err;
	*after = tf_gtrack__get(t->g, ev->goid);
	if (!*after && u64map_put(&t->gone, ev->goid, 1))
		return -ENOMEM;
	return 0;
}

static int goroutine_event(struct xg_analysis *a, const struct xg_event *ev)
{
	const struct tf_goroutine *g;
	struct tf_goroutine before;
	bool had;
	struct xa_fn *f;
	int err;

	err = xa_tracker__apply(&a->tr, ev, &had, &before, &g);
	if (err)
		return err < 0 ? err : 0;
	if (ev->kind == XG_EV_GO_CREATE) {
		f = fn_get(a, ev->start_fn);
		if (!f)
			return -ENOMEM;
		f->created++;
		if (u64map_put(&a->create_stack, ev->goid, (uint64_t)ev->stack + 1))
			return -ENOMEM;
	}
	if (had && (!g || g->state != before.state || g->start_fn != before.start_fn)) {
		err = account(a, &before, ev->ts, false);
		if (err)
			return err;
	}
	if (had && (!g || g->start_fn != before.start_fn)) {
		f = fn_get(a, before.start_fn);
		f->live--;
		if (!g)
			f->exited++;
		if (!is_system(a, before.start_fn))
			a->user_live--;
	}
	if (g && (!had || g->start_fn != before.start_fn)) {
		f = fn_get(a, g->start_fn);
		if (!f)
			return -ENOMEM;
		if (++f->live > f->max_live)
			f->max_live = f->live;
		if (!is_system(a, g->start_fn))
			a->user_live++;
	}
	if (!g)
		u64map_del(&a->create_stack, ev->goid);
	if (a->user_live > a->peak_goroutines) {
		a->peak_goroutines = a->user_live;
		a->peak_goroutines_ts = ev->ts;
	}
	return 0;
}

static int alloc_window(struct xg_analysis *a, const struct xg_event *ev)
{
	size_t i = (size_t)(ev->ts / XA_WINDOW_NS);
	uint64_t bytes, objs;

	if (xg_array_grow_zeroed((void **)&a->win, &a->nwin, i + 1, sizeof(*a->win)))
		return -ENOMEM;
	xa_alloc_scale(a->rate, ev, &bytes, &objs);
	a->win[i] += bytes;
	return 0;
}

/* The most bytes allocated in any second [k * 100 ms, k * 100 ms + 1 s) within the trace; the
 * average over the whole trace when it is shorter than a second. */
static void peak_rate(struct xg_analysis *a)
{
	const size_t per_s = 1000000000ULL / XA_WINDOW_NS;
	uint64_t sum = 0, total = 0;

	for (size_t i = 0; i < a->nwin; i++)
		total += a->win[i];
	if (a->end_ts < 1000000000ULL) {
		a->peak_alloc_bps = a->end_ts ? (double)total * 1e9 / (double)a->end_ts : 0;
		return;
	}
	/* windows that end by the end of the trace */
	for (size_t k = 0; (k + per_s) * XA_WINDOW_NS <= a->end_ts + XA_WINDOW_NS; k++) {
		if (k == 0) {
			for (size_t i = 0; i < per_s && i < a->nwin; i++)
				sum += a->win[i];
		} else {
			sum -= k - 1 < a->nwin ? a->win[k - 1] : 0;
			sum += k + per_s - 1 < a->nwin ? a->win[k + per_s - 1] : 0;
		}
		if ((double)sum > a->peak_alloc_bps || k == 0) {
			a->peak_alloc_bps = (double)sum;
			a->peak_alloc_ts = k * XA_WINDOW_NS;
		}
	}
}

static int cmp_goid(const void *x, const void *y)
{
	const struct xa_alive *a = x, *b = y;

	return a->goid < b->goid ? -1 : a->goid > b->goid;
}

static int finish(struct xg_analysis *a)
{
	const struct tf_goroutine *gs;
	size_t n;
	int err;

	gs = tf_gtrack__sorted(a->tr.g, &n);
	if (!gs && n)
		return -ENOMEM;
	a->alive = calloc(n ? n : 1, sizeof(*a->alive));
	if (!a->alive)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct xa_alive *al = &a->alive[a->nalive++];
		uint64_t stack = 0;
		bool created;

		err = account(a, &gs[i], a->end_ts, true);
		if (err)
			return err;
		created = u64map_get(&a->create_stack, gs[i].goid, &stack);
		*al = (struct xa_alive){.goid = gs[i].goid,
					.created = created,
					.created_ts = gs[i].created_ts,
					.since_ts = gs[i].since_ts,
					.create_pc = gs[i].create_pc,
					.start_fn = gs[i].start_fn,
					.create_fn = gs[i].create_fn,
					.reason = gs[i].reason,
					.stack = created ? (uint32_t)(stack - 1) : 0,
					.state = gs[i].state,
					.runtime = is_runtime(a, gs[i].goid, gs[i].start_fn)};
	}
	qsort(a->alive, a->nalive, sizeof(*a->alive), cmp_goid);
	return 0;
}

struct xg_analysis *xg_analyze(struct xg_trace *t, const struct xa_opts *o)
{
	struct xg_analysis *a = calloc(1, sizeof(*a));
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
	if (!a->m || !evs || xa_tracker__init(&a->tr)) {
		err = -ENOMEM;
		goto out;
	}
	err = tf_reader__info(t->r, &a->info);
	if (err)
		goto out;
	si.meta = tf_reader__meta(t->r);
	si.names = tf_reader__tables(t->r);
	si.replay = true;
	si.source = t->name;
	si.duration_ns = a->info.ts_last;
	err = gmodel__begin(a->m, &si);
	if (err)
		goto out;
	a->rate = xa_alloc_rate(si.meta);
	while ((n = tf_reader__read(t->r, evs, BATCH)) > 0) {
		for (long i = 0; i < n && !err; i++) {
			const struct xg_event *ev = &evs[i];

			a->events++;
			a->end_ts = ev->ts;
			err = gmodel__event(a->m, ev);
			if (err)
				break;
			switch (ev->kind) {
			case XG_EV_GO_CREATE:
			case XG_EV_GO_STATE:
			case XG_EV_GO_EXIT:
			case XG_EV_SNAPSHOT:
				if (ev->goid)
					err = goroutine_event(a, ev);
				break;
			case XG_EV_ALLOC:
			case XG_EV_ALLOC_SAMPLE:
				err = alloc_window(a, ev);
				break;
			case XG_EV_GC_START:
			case XG_EV_GC_END:
			case XG_EV_HEAP:
				if (ev->heap_live > a->peak_heap) {
					a->peak_heap = ev->heap_live;
					a->peak_heap_ts = ev->ts;
				}
				break;
			default:
				break;
			}
		}
		if (err)
			goto out;
	}
	if (n < 0) {
		err = (int)n;
		goto out;
	}
	st.now_ts = a->end_ts;
	st.finished = true;
	gmodel__tick(a->m, &st);
	peak_rate(a);
	err = finish(a);
	if (!err)
		err = tf_reader__info(t->r, &a->info);
out:
	free(evs);
	if (err) {
		if (err == -ENOMEM && !*xg_errmsg())
			xg_error(err, "%s: out of memory", t->name);
		xg_analysis__free(a);
		errno = -err;
		return NULL;
	}
	return a;
}

void xg_analysis__free(struct xg_analysis *a)
{
	if (!a)
		return;
	gmodel__free(a->m);
	free(a->fns);
	u64map_free(&a->fn_idx);
	free(a->alive);
	free(a->blocks);
	free(a->win);
	u64map_free(&a->create_stack);
	u64map_free(&a->fn_class);
	xa_tracker__fini(&a->tr);
	free(a);
}

static bool runtime_frame(const char *fn)
{
	return !strncmp(fn, "runtime.", 8) || !strncmp(fn, "internal/", 9) ||
	       !strncmp(fn, "runtime/internal", 16);
}

const struct xg_frame *xa_user_frames(const struct tf_tables *t, const struct xg_frame *fr,
				      uint32_t *n)
{
	for (uint32_t i = 0; i < *n; i++) {
		if (!runtime_frame(tf_tables__str(t, fr[i].fn))) {
			*n -= i;
			return fr + i;
		}
	}
	return fr;
}

const struct xg_frame *xa_create_frames(const struct tf_tables *t, uint32_t stack,
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
	return xa_user_frames(t, fr, n);
}

void xa_create_site(const struct xg_analysis *a, const struct xa_alive *g, struct xg_where *w)
{
	const struct tf_tables *t = tf_reader__tables(a->t->r);
	const struct xg_frame *fr;
	uint32_t n;

	fr = xa_create_frames(t, g->stack, g->create_pc, g->create_fn, &n);
	if (fr && n) {
		w->fn = tf_tables__str(t, fr[0].fn);
		w->file = tf_tables__str(t, fr[0].file);
		w->line = fr[0].line;
		return;
	}
	if (xg_trace__pc_where(a->t, g->create_pc, true, w) && *w->fn)
		return;
	w->fn = xa_str(a, g->create_fn);
	w->file = "";
	w->line = 0;
}
