/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the model's files share and nothing else sees. model.c: events to goroutines, groups
 * and allocation sites; history.c: the counts-over-time rings; views.c: rows, sorting,
 * filtering, groups and top lists for outputs; text.c: figures as short text.
 */
#ifndef XG_MODEL_INTERNAL_H
#define XG_MODEL_INTERNAL_H

#include <stdint.h>

#include "model/model.h"

#define BUCKET_NS    100000000ULL /* level 0: 100 ms */
#define LEVEL_FACTOR 10		  /* each level's buckets are 10 of the level below */
#define RATE_BUCKETS 10		  /* rates over the last second */
#define CPU_ROLL_NS  1000000000ULL
/* The rates of the runtime's counts (totalAlloc, goroutines created) are measured over at
 * least this long. */
#define COUNT_RATE_NS 1000000000ULL

/* The open interval of g's current state, up to now: 0 when not measured. */
static inline uint64_t gm__open_ns(const struct gmodel *m, const struct gm_g *g)
{
	if (!m->exact || (g->flags & (GM_G_EXITED | GM_G_NO_STATE)))
		return 0;
	return (m->now_ts > g->t.since_ts ? m->now_ts - g->t.since_ts : 0) + g->pre_ns;
}

/* Allocates the history rings of a new model. 0 or -ENOMEM. */
int gm__history_init(struct gmodel *m);
/* Moves the current bucket forward to trace time ts, closing the buckets it passes. */
void gm__advance(struct gmodel *m, uint64_t ts);

#endif /* XG_MODEL_INTERNAL_H */
