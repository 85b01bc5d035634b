// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What outputs list from the model: goroutine rows sorted and filtered, goroutine groups,
 * the top allocation sites.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/internal.h"
#include "model/model.h"

const char *gmodel__sort_name(int key)
{
	static const char *const n[GM_SORT_MAX] = {
	    [GM_SORT_GOID] = "goid", [GM_SORT_STATE] = "state", [GM_SORT_AGE] = "age",
	    [GM_SORT_CPU] = "cpu",   [GM_SORT_ALLOC] = "alloc", [GM_SORT_RUN] = "run",
	    [GM_SORT_WAIT] = "wait", [GM_SORT_FN] = "function", [GM_SORT_NEWEST] = "newest",
	};

	return key >= 0 && key < GM_SORT_MAX ? n[key] : "?";
}

int gmodel__sort_key(const struct gmodel *m, int key)
{
	if (key == GM_SORT_CPU && !m->exact && !m->cpu_samples)
		return GM_SORT_ALLOC;
	return key;
}

struct sort_ctx {
	const struct gmodel *m;
	int key;
	bool desc;
	bool live_first;
};

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_rows(const void *pa, const void *pb, void *arg)
{
	const struct sort_ctx *c = arg;
	const struct gm_g *a = &c->m->g[*(const uint32_t *)pa];
	const struct gm_g *b = &c->m->g[*(const uint32_t *)pb];
	int r = 0;

	if (c->live_first) {
		r = (int)(a->flags & GM_G_EXITED) - (int)(b->flags & GM_G_EXITED);
		if (r)
			return r;
	}
	switch (c->key) {
	case GM_SORT_STATE:
		r = (int)a->t.state - (int)b->t.state;
		break;
	case GM_SORT_AGE:
		r = cmp_u64(gmodel__age(c->m, a).ns, gmodel__age(c->m, b).ns);
		break;
	case GM_SORT_CPU:
		r = a->cpu_pct < b->cpu_pct ? -1 : a->cpu_pct > b->cpu_pct;
		if (!r)
			r = cmp_u64(a->cpu_ns, b->cpu_ns);
		break;
	case GM_SORT_ALLOC:
		r = cmp_u64(a->alloc_bytes, b->alloc_bytes);
		break;
	case GM_SORT_RUN:
		r = cmp_u64(gmodel__slot_ns(c->m, a, GM_RUNNING),
			    gmodel__slot_ns(c->m, b, GM_RUNNING));
		break;
	case GM_SORT_WAIT:
		r = cmp_u64(gmodel__slot_ns(c->m, a, GM_WAITING),
			    gmodel__slot_ns(c->m, b, GM_WAITING));
		break;
	case GM_SORT_FN:
		r = strcmp(gmodel__str(c->m, a->t.start_fn), gmodel__str(c->m, b->t.start_fn));
		break;
	case GM_SORT_NEWEST:
		r = cmp_u64(a->seq, b->seq);
		break;
	default:
		break;
	}
	if (!r)
		r = cmp_u64(a->t.goid, b->t.goid);
	return c->desc ? -r : r; /* live_first above is not reversed */
}

static bool matches(const struct gmodel *m, const struct gm_g *g, const char *filter)
{
	const char *st;
	char *end;
	unsigned long long id;

	if (!filter || !*filter)
		return true;
	id = strtoull(filter, &end, 10);
	if (!*end && end != filter)
		return g->t.goid == id || g->t.parent_goid == id;
	if (strcasestr(gmodel__str(m, g->t.start_fn), filter) ||
	    strcasestr(gmodel__str(m, g->t.reason), filter) ||
	    strcasestr(gmodel__str(m, g->t.create_fn), filter))
		return true;
	st = xg_gstate_name(g->t.state);
	return st && !strcasecmp(st, filter);
}

uint32_t gmodel__rows(const struct gmodel *m, uint32_t *rows, uint32_t cap, int key, bool desc,
		      const char *filter, bool show_exited, uint32_t limit, uint32_t *total)
{
	struct sort_ctx c = {
	    .m = m, .key = gmodel__sort_key(m, key), .desc = desc, .live_first = true};
	uint32_t n = 0;

	for (uint32_t i = 0; i < m->g_len && n < cap; i++) {
		const struct gm_g *g = &m->g[i];

		if (!g->t.goid || (!show_exited && (g->flags & GM_G_EXITED)))
			continue;
		if (!matches(m, g, filter))
			continue;
		rows[n++] = i;
	}
	if (total)
		*total = n;
	if (limit && n > limit) {
		/* the first `limit` only: a heap of the best so far with the worst on top,
		 * O(n log limit), then a sort of those */
		uint32_t k = 0;

		for (uint32_t i = 0; i < n; i++) {
			uint32_t r = rows[i], j;

			if (k < limit) {
				/* sift up: parents sort after their children */
				for (j = k++; j > 0 && cmp_rows(&rows[(j - 1) / 2], &r, &c) < 0;
				     j = (j - 1) / 2)
					rows[j] = rows[(j - 1) / 2];
				rows[j] = r;
				continue;
			}
			if (cmp_rows(&r, &rows[0], &c) >= 0)
				continue;
			/* replace the worst and sift down */
			for (j = 0;;) {
				uint32_t l = 2 * j + 1, w = j;
				const uint32_t *wv = &r;

				if (l < k && cmp_rows(&rows[l], wv, &c) > 0) {
					w = l;
					wv = &rows[l];
				}
				if (l + 1 < k && cmp_rows(&rows[l + 1], wv, &c) > 0)
					w = l + 1;
				if (w == j)
					break;
				rows[j] = rows[w];
				j = w;
			}
			rows[j] = r;
		}
		qsort_r(rows, k, sizeof(*rows), cmp_rows, &c);
		return k;
	}
	if (n > 1)
		qsort_r(rows, n, sizeof(*rows), cmp_rows, &c);
	return n;
}

static int cmp_groups(const void *pa, const void *pb)
{
	const struct gm_group *a = pa, *b = pb;

	if (a->cpu_pct != b->cpu_pct)
		return a->cpu_pct < b->cpu_pct ? 1 : -1;
	if (a->live != b->live)
		return a->live < b->live ? 1 : -1;
	return a->fn < b->fn ? -1 : a->fn > b->fn;
}

int gmodel__groups(const struct gmodel *m, struct gm_group **out)
{
	struct gm_group *v;
	uint32_t *at; /* group index -> index in v + 1 */
	uint32_t n = 0;

	*out = NULL;
	v = calloc(m->ngroups ? m->ngroups : 1, sizeof(*v));
	at = calloc(m->ngroups ? m->ngroups : 1, sizeof(*at));
	if (!v || !at) {
		free(v);
		free(at);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < m->ngroups; i++) {
		const struct gm_group *e = &m->groups[i];

		if (!e->live && !e->exited)
			continue; /* every member moved on to its known start function */
		v[n] = *e;
		memset(v[n].counts, 0, sizeof(v[n].counts));
		v[n].cpu_pct = 0;
		at[i] = ++n;
	}
	/* the live members' current states */
	for (uint32_t i = 0; i < m->g_len; i++) {
		const struct gm_g *g = &m->g[i];
		struct gm_group *e;
		int s;

		if (!g->t.goid || (g->flags & GM_G_EXITED) || !at[g->group])
			continue;
		e = &v[at[g->group] - 1];
		e->cpu_pct += g->cpu_pct;
		if (g->flags & GM_G_NO_STATE)
			continue;
		s = gmodel__g_slot(g);
		e->counts[s]++;
		e->slot_ns[s] += gm__open_ns(m, g);
	}
	free(at);
	if (n)
		qsort(v, n, sizeof(*v), cmp_groups);
	*out = v;
	return (int)n;
}

struct gm_time gmodel__group_time(const struct gmodel *m, const struct gm_group *e, int s)
{
	if (m->exact)
		return (struct gm_time){e->slot_ns[s], e->partial ? GM_AT_LEAST : GM_KNOWN};
	if (s == GM_RUNNING && m->cpu_sampled && m->cpu_hz > 0)
		return (struct gm_time){e->cpu_ns, GM_ABOUT};
	return (struct gm_time){0, GM_UNKNOWN};
}

uint32_t gmodel__top(const struct gm_tops *t, const struct gm_top **out, uint32_t n)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < t->len; i++) {
		const struct gm_top *e = &t->v[i];
		uint32_t j;

		if (!e->count)
			continue;
		if (k == n && e->bytes <= out[k - 1]->bytes)
			continue;
		j = k < n ? k++ : n - 1;
		while (j > 0 && out[j - 1]->bytes < e->bytes) {
			out[j] = out[j - 1];
			j--;
		}
		out[j] = e;
	}
	return k;
}
