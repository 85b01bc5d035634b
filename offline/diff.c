// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "offline/diff.h"
#include "util/array.h"

const char *const diff_section_names[DIFF_NSECTIONS] = {
    [DIFF_TOTALS] = "totals",	      [DIFF_GOROUTINES] = "goroutines",
    [DIFF_ALLOC_SITE] = "alloc-site", [DIFF_ALLOC_TYPE] = "alloc-type",
    [DIFF_STATE_TIME] = "state-time",
};

const char *const diff_section_titles[DIFF_NSECTIONS] = {
    [DIFF_TOTALS] = "totals",
    [DIFF_GOROUTINES] = "goroutines by start function",
    [DIFF_ALLOC_SITE] = "allocations by site",
    [DIFF_ALLOC_TYPE] = "allocations by type",
    [DIFF_STATE_TIME] = "time in state by start function",
};

static const char *const slot_metric[GM_NSLOTS] = {
    [GM_RUNNING] = "running", [GM_RUNNABLE] = "runnable", [GM_WAITING] = "waiting",
    [GM_SYSCALL] = "syscall", [GM_OTHER] = "other",
};

struct rows {
	struct diff_row *v;
	size_t n, cap;
	int err;
};

static void rows_free(struct rows *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].key);
	free(r->v);
	memset(r, 0, sizeof(*r));
}

static void add(struct rows *r, enum diff_section s, enum diff_unit u, const char *key,
		const char *metric, uint64_t v)
{
	struct diff_row *row;

	if (r->err || !v)
		return; /* absent and zero are the same */
	if (xg_array_grow((void **)&r->v, &r->cap, r->n + 1, sizeof(*r->v))) {
		r->err = -ENOMEM;
		return;
	}
	row = &r->v[r->n];
	row->key = strdup(key);
	if (!row->key) {
		r->err = -ENOMEM;
		return;
	}
	row->section = s;
	row->unit = u;
	row->metric = metric;
	row->a = v;
	row->b = 0;
	r->n++;
}

static const char *fn_name(const struct analysis *a, uint32_t id)
{
	const char *s = analysis_str(a, id);

	return *s ? s : "(unknown)";
}

static void collect(const struct analysis *a, struct rows *r)
{
	const struct gmodel *m = a->m;
	uint64_t created = 0, alive = 0;
	char key[1024];

	for (uint32_t i = 0; i < a->nfns; i++) {
		const struct analysis_fn *f = &a->fns[i];
		const char *n = fn_name(a, f->fn);

		created += f->created;
		alive += f->live;
		add(r, DIFF_GOROUTINES, DIFF_COUNT, n, "created", f->created);
		add(r, DIFF_GOROUTINES, DIFF_COUNT, n, "exited", f->exited);
		add(r, DIFF_GOROUTINES, DIFF_COUNT, n, "alive at the end", f->live);
		add(r, DIFF_GOROUTINES, DIFF_COUNT, n, "most alive at once", f->max_live);
		for (int s = 0; s < GM_NSLOTS; s++)
			add(r, DIFF_STATE_TIME, DIFF_NS, n, slot_metric[s], f->slot_ns[s]);
	}
	add(r, DIFF_TOTALS, DIFF_COUNT, "", "goroutines created", created);
	add(r, DIFF_TOTALS, DIFF_COUNT, "", "goroutines alive at the end", alive);
	add(r, DIFF_TOTALS, DIFF_COUNT, "",
	    "most goroutines alive at once (the runtime's not counted)", a->peak_goroutines);
	add(r, DIFF_TOTALS, DIFF_BYTES, "", "bytes allocated", m->alloc_bytes);
	add(r, DIFF_TOTALS, DIFF_COUNT, "", "objects allocated", m->alloc_objs);
	add(r, DIFF_TOTALS, DIFF_BYTES, "", "peak heap", a->peak_heap);
	add(r, DIFF_TOTALS, DIFF_COUNT, "", "GC cycles", m->gc_cycles);
	add(r, DIFF_TOTALS, DIFF_COUNT, "", "events lost", m->lost);
	for (uint32_t i = 0; i < m->sites.len; i++) {
		const struct gm_top *t = &m->sites.v[i];

		snprintf(key, sizeof(key), "%s (%s:%u)", fn_name(a, t->fn),
			 analysis_str(a, t->file), t->line);
		add(r, DIFF_ALLOC_SITE, DIFF_BYTES, key, "bytes", t->bytes);
		add(r, DIFF_ALLOC_SITE, DIFF_COUNT, key, "objects", t->count);
	}
	for (uint32_t i = 0; i < m->types.len; i++) {
		const struct gm_top *t = &m->types.v[i];
		const char *n = t->fn ? analysis_str(a, t->fn) : "(untyped)";

		add(r, DIFF_ALLOC_TYPE, DIFF_BYTES, n, "bytes", t->bytes);
		add(r, DIFF_ALLOC_TYPE, DIFF_COUNT, n, "objects", t->count);
	}
}

static int cmp_key(const void *x, const void *y)
{
	const struct diff_row *a = x, *b = y;
	int c;

	if (a->section != b->section)
		return a->section < b->section ? -1 : 1;
	c = strcmp(a->key, b->key);
	return c ? c : strcmp(a->metric, b->metric);
}

static int cmp_growth(const void *x, const void *y)
{
	const struct diff_row *a = x, *b = y;
	uint64_t da = a->b - a->a, db = b->b - b->a;

	if (a->section != b->section)
		return a->section < b->section ? -1 : 1;
	if (da != db)
		return da > db ? -1 : 1;
	return cmp_key(x, y);
}

/* Sums rows with the same key (the model may split a site or a type by id). */
static void merge_dups(struct rows *r)
{
	size_t o = 0;

	if (r->n)
		qsort(r->v, r->n, sizeof(r->v[0]), cmp_key);
	for (size_t i = 0; i < r->n; i++) {
		if (o && !cmp_key(&r->v[o - 1], &r->v[i])) {
			r->v[o - 1].a += r->v[i].a;
			free(r->v[i].key);
			continue;
		}
		r->v[o++] = r->v[i];
	}
	r->n = o;
}

int diff__run(const struct analysis *a, const struct analysis *b, double threshold_pct,
	      struct diff_result *out)
{
	struct rows ra = {0}, rb = {0}, g = {0};
	size_t i = 0, j = 0;
	int err;

	memset(out, 0, sizeof(*out));
	collect(a, &ra);
	collect(b, &rb);
	err = ra.err ? ra.err : rb.err;
	if (err)
		goto out;
	merge_dups(&ra);
	merge_dups(&rb);
	while (i < ra.n || j < rb.n) {
		int c = i == ra.n ? 1 : j == rb.n ? -1 : cmp_key(&ra.v[i], &rb.v[j]);
		const struct diff_row *row = c <= 0 ? &ra.v[i] : &rb.v[j];
		uint64_t va = c <= 0 ? ra.v[i].a : 0, vb = c >= 0 ? rb.v[j].a : 0;

		if (vb > va && (!va || (double)(vb - va) * 100.0 >= threshold_pct * (double)va)) {
			add(&g, row->section, row->unit, row->key, row->metric, 1);
			if (g.err) {
				err = g.err;
				goto out;
			}
			g.v[g.n - 1].a = va;
			g.v[g.n - 1].b = vb;
		} else if (vb < va) {
			out->nshrank++;
		} else if (vb == va) {
			out->nsame++;
		}
		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
	}
	if (g.n)
		qsort(g.v, g.n, sizeof(g.v[0]), cmp_growth);
	out->grew = g.v;
	out->ngrew = g.n;
	g.v = NULL;
	g.n = 0;
out:
	rows_free(&ra);
	rows_free(&rb);
	rows_free(&g);
	return err;
}

void diff_result__free(struct diff_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->ngrew; i++)
		free(r->grew[i].key);
	free(r->grew);
	memset(r, 0, sizeof(*r));
}
