// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "format/gtrack.h"
#include "util/array.h"
#include "util/u64map.h"

struct tf_gtrack {
	struct tf_goroutine *gs; /* unordered; map gives the index */
	size_t n, cap;
	struct u64map idx; /* goid -> index in gs */
	struct tf_goroutine *sorted;
	size_t sorted_cap;
};

struct tf_gtrack *tf_gtrack__new(void)
{
	return calloc(1, sizeof(struct tf_gtrack));
}

void tf_gtrack__free(struct tf_gtrack *t)
{
	if (!t)
		return;
	free(t->gs);
	free(t->sorted);
	u64map_free(&t->idx);
	free(t);
}

void tf_gtrack__clear(struct tf_gtrack *t)
{
	t->n = 0;
	u64map_clear(&t->idx);
}

size_t tf_gtrack__count(const struct tf_gtrack *t)
{
	return t ? t->n : 0;
}

const struct tf_goroutine *tf_gtrack__get(const struct tf_gtrack *t, uint64_t goid)
{
	uint64_t i;

	if (!u64map_get(&t->idx, goid, &i))
		return NULL;
	return &t->gs[i];
}

/* The entry for goid, added zeroed when absent; NULL on ENOMEM. *added tells which. */
static struct tf_goroutine *slot(struct tf_gtrack *t, uint64_t goid, bool *added)
{
	uint64_t i;

	*added = false;
	if (u64map_get(&t->idx, goid, &i))
		return &t->gs[i];
	if (xg_array_grow((void **)&t->gs, &t->cap, t->n + 1, sizeof(*t->gs)))
		return NULL;
	if (u64map_put(&t->idx, goid, t->n))
		return NULL;
	memset(&t->gs[t->n], 0, sizeof(t->gs[0]));
	t->gs[t->n].goid = goid;
	*added = true;
	return &t->gs[t->n++];
}

static void del(struct tf_gtrack *t, uint64_t goid)
{
	uint64_t i;

	if (!u64map_get(&t->idx, goid, &i))
		return;
	u64map_del(&t->idx, goid);
	if (i != t->n - 1) {
		t->gs[i] = t->gs[t->n - 1];
		u64map_put(&t->idx, t->gs[i].goid, i); /* replaces: cannot fail */
	}
	t->n--;
}

int tf_gtrack__put(struct tf_gtrack *t, const struct tf_goroutine *g)
{
	struct tf_goroutine *s;
	bool added;

	s = slot(t, g->goid, &added);
	if (!s)
		return -ENOMEM;
	*s = *g;
	return 0;
}

static void set_state(struct tf_goroutine *g, uint8_t state, uint64_t ts, bool added)
{
	if (added || g->state != state)
		g->since_ts = ts;
	g->state = state;
}

int tf_gtrack__apply(struct tf_gtrack *t, const struct xg_event *ev)
{
	struct tf_goroutine *g;
	bool added;

	if (!ev->goid)
		return 0;
	switch (ev->kind) {
	case XG_EV_GO_CREATE:
		g = slot(t, ev->goid, &added);
		if (!g)
			return -ENOMEM;
		memset(g, 0, sizeof(*g));
		g->goid = ev->goid;
		g->parent_goid = ev->parent_goid;
		g->start_pc = ev->start_pc;
		g->create_pc = ev->create_pc;
		g->start_fn = ev->start_fn;
		g->create_fn = ev->create_fn;
		g->created_ts = ev->ts;
		g->since_ts = ev->ts;
		g->state = XG_G_RUNNABLE;
		return 0;
	case XG_EV_GO_STATE:
		if (ev->to == XG_G_DEAD) {
			del(t, ev->goid);
			return 0;
		}
		g = slot(t, ev->goid, &added);
		if (!g)
			return -ENOMEM;
		set_state(g, ev->to, ev->ts, added);
		g->reason = ev->reason;
		return 0;
	case XG_EV_SNAPSHOT:
		if (ev->to == XG_G_DEAD) {
			del(t, ev->goid);
			return 0;
		}
		g = slot(t, ev->goid, &added);
		if (!g)
			return -ENOMEM;
		set_state(g, ev->to, ev->ts, added);
		g->reason = ev->reason;
		if (ev->parent_goid)
			g->parent_goid = ev->parent_goid;
		if (ev->start_fn)
			g->start_fn = ev->start_fn;
		if (ev->start_pc)
			g->start_pc = ev->start_pc;
		if (ev->create_fn)
			g->create_fn = ev->create_fn;
		if (ev->create_pc)
			g->create_pc = ev->create_pc;
		return 0;
	case XG_EV_GO_EXIT:
		del(t, ev->goid);
		return 0;
	default:
		return 0;
	}
}

static int cmp_goid(const void *a, const void *b)
{
	const struct tf_goroutine *x = a, *y = b;

	return x->goid < y->goid ? -1 : x->goid > y->goid;
}

const struct tf_goroutine *tf_gtrack__sorted(struct tf_gtrack *t, size_t *n)
{
	*n = 0;
	if (!t->n)
		return NULL;
	if (t->sorted_cap < t->n) {
		struct tf_goroutine *s = realloc(t->sorted, t->cap * sizeof(*s));

		if (!s) {
			errno = ENOMEM;
			return NULL;
		}
		t->sorted = s;
		t->sorted_cap = t->cap;
	}
	memcpy(t->sorted, t->gs, t->n * sizeof(*t->gs));
	qsort(t->sorted, t->n, sizeof(*t->sorted), cmp_goid);
	*n = t->n;
	return t->sorted;
}
