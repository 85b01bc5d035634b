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
	struct tf_gone gone;
	struct tf_goroutine *sorted;
	size_t sorted_cap;
};

/* --- the rules --------------------------------------------------------------------------- */

static void set_state(struct tf_goroutine *g, uint8_t state, uint64_t ts, bool added)
{
	if (added || g->state != state)
		g->since_ts = ts;
	g->state = state;
}

enum tf_gstep tf_goroutine__step(struct tf_goroutine *g, bool known, const struct xg_event *ev)
{
	switch (ev->kind) {
	case XG_EV_GO_CREATE:
		if (!known) {
			memset(g, 0, sizeof(*g));
			g->goid = ev->goid;
			g->since_ts = ev->ts;
			g->state = XG_G_RUNNABLE;
		}
		g->parent_goid = ev->parent_goid;
		g->start_pc = ev->start_pc;
		g->create_pc = ev->create_pc;
		g->start_fn = ev->start_fn;
		g->create_fn = ev->create_fn;
		g->created_ts = ev->ts;
		return TF_GSTEP_SET;
	case XG_EV_GO_STATE:
	case XG_EV_SNAPSHOT:
		if (ev->to == XG_G_DEAD)
			return TF_GSTEP_GONE;
		if (!known) {
			memset(g, 0, sizeof(*g));
			g->goid = ev->goid;
		}
		set_state(g, ev->to, ev->ts, !known);
		g->reason = ev->reason;
		if (ev->kind == XG_EV_GO_STATE)
			return TF_GSTEP_SET;
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
		return TF_GSTEP_SET;
	case XG_EV_GO_EXIT:
		return TF_GSTEP_GONE;
	default:
		return TF_GSTEP_NONE;
	}
}

void tf_gone__free(struct tf_gone *s)
{
	u64map_free(&s->at);
	free(s->fifo);
	memset(s, 0, sizeof(*s));
}

void tf_gone__clear(struct tf_gone *s)
{
	u64map_clear(&s->at);
	s->head = s->len = 0;
}

int tf_gone__add(struct tf_gone *s, uint64_t goid, uint64_t ts)
{
	uint64_t at;

	/* forget the old ones */
	while (s->head < s->len && u64map_get(&s->at, s->fifo[s->head], &at) &&
	       at + TF_GONE_NS < ts) {
		u64map_del(&s->at, s->fifo[s->head]);
		s->head++;
	}
	if (s->head == s->len) {
		s->head = s->len = 0;
	} else if (s->len == s->cap && s->head >= s->len / 2) {
		memmove(s->fifo, s->fifo + s->head, (s->len - s->head) * sizeof(*s->fifo));
		s->len -= s->head;
		s->head = 0;
	}
	if (u64map_get(&s->at, goid, NULL))
		return u64map_put(&s->at, goid, ts);
	if (xg_array_grow((void **)&s->fifo, &s->cap, s->len + 1, sizeof(*s->fifo)))
		return -ENOMEM;
	if (u64map_put(&s->at, goid, ts))
		return -ENOMEM;
	s->fifo[s->len++] = goid;
	return 0;
}

bool tf_gone__has(const struct tf_gone *s, uint64_t goid)
{
	return u64map_get(&s->at, goid, NULL);
}

/* --- the table --------------------------------------------------------------------------- */

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
	tf_gone__free(&t->gone);
	free(t);
}

void tf_gtrack__clear(struct tf_gtrack *t)
{
	t->n = 0;
	u64map_clear(&t->idx);
	tf_gone__clear(&t->gone);
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
	uint64_t i;

	if (t->gs && u64map_get(&t->idx, g->goid, &i)) {
		t->gs[i] = *g;
		return 0;
	}
	if (xg_array_grow((void **)&t->gs, &t->cap, t->n + 1, sizeof(*t->gs)))
		return -ENOMEM;
	if (u64map_put(&t->idx, g->goid, t->n))
		return -ENOMEM;
	t->gs[t->n++] = *g;
	return 0;
}

int tf_gtrack__step(struct tf_gtrack *t, const struct xg_event *ev, bool *had,
		    struct tf_goroutine *before, const struct tf_goroutine **after)
{
	struct tf_goroutine g;
	const struct tf_goroutine *cur;
	int err = 0;

	*had = false;
	*after = NULL;
	if (!ev->goid || ev->kind == XG_EV_NONE || tf_gone__has(&t->gone, ev->goid))
		return 1;
	cur = tf_gtrack__get(t, ev->goid);
	if (cur) {
		*had = true;
		*before = *cur;
		g = *cur;
	}
	switch (tf_goroutine__step(&g, cur != NULL, ev)) {
	case TF_GSTEP_NONE:
		*after = cur;
		return 1;
	case TF_GSTEP_SET:
		err = tf_gtrack__put(t, &g);
		break;
	case TF_GSTEP_GONE:
		del(t, ev->goid);
		err = tf_gone__add(&t->gone, ev->goid, ev->ts);
		break;
	}
	if (err)
		return err;
	*after = tf_gtrack__get(t, ev->goid);
	return 0;
}

int tf_gtrack__apply(struct tf_gtrack *t, const struct xg_event *ev)
{
	const struct tf_goroutine *after;
	struct tf_goroutine before;
	bool had;
	int err = tf_gtrack__step(t, ev, &had, &before, &after);

	return err < 0 ? err : 0;
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
