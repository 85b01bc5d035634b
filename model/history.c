// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The model's counts over time: BUCKET_NS buckets in level 0, merged LEVEL_FACTOR-fold into
 * each level above, each level a ring (struct gm_ring in model/model.h); rates over the last
 * second and each goroutine's CPU share over the last CPU_ROLL_NS.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model/internal.h"
#include "model/model.h"

static const uint32_t level_cap[GM_LEVELS] = {600, 600, 720}; /* 1 min, 10 min, 2 h */

int gm__history_init(struct gmodel *m)
{
	uint64_t w = BUCKET_NS;

	for (int l = 0; l < GM_LEVELS; l++) {
		m->hist[l].b = calloc(level_cap[l], sizeof(struct gm_bucket));
		if (!m->hist[l].b)
			return -ENOMEM;
		m->hist[l].cap = level_cap[l];
		m->hist[l].width_ns = w;
		w *= LEVEL_FACTOR;
	}
	return 0;
}

static void bucket_merge(struct gm_bucket *acc, const struct gm_bucket *b, bool first)
{
	if (first) {
		*acc = *b;
		return;
	}
	memcpy(acc->counts, b->counts, sizeof(acc->counts));
	acc->events += b->events;
	acc->alloc_bytes += b->alloc_bytes;
	acc->alloc_objs += b->alloc_objs;
	acc->created += b->created;
	acc->exited += b->exited;
	acc->lost += b->lost;
	acc->cpu_ns += b->cpu_ns;
	acc->gc += b->gc;
}

static void ring_push(struct gm_ring *r, const struct gm_bucket *b)
{
	if (r->len < r->cap) {
		r->b[(r->head + r->len) % r->cap] = *b;
		r->len++;
	} else {
		r->b[r->head] = *b;
		r->head = (r->head + 1) % r->cap;
	}
	r->seq++;
}

const struct gm_bucket *gmodel__bucket(const struct gmodel *m, int l, uint32_t i)
{
	const struct gm_ring *r;

	if (l < 0 || l >= GM_LEVELS)
		return NULL;
	r = &m->hist[l];
	if (i >= r->len)
		return NULL;
	return &r->b[(r->head + i) % r->cap];
}

static bool count_rate_fresh(const struct gmodel *m, const struct gm_count_rate *c)
{
	return c->ts && m->cur.t0 + BUCKET_NS <= c->ts + 2 * COUNT_RATE_NS;
}

static void update_rates(struct gmodel *m)
{
	const struct gm_ring *r = &m->hist[0];
	uint32_t n = r->len < RATE_BUCKETS ? r->len : RATE_BUCKETS;
	uint64_t ev = 0, ab = 0, ao = 0, cr = 0, ex = 0, cpu = 0;
	double secs;

	if (!n)
		return;
	for (uint32_t i = r->len - n; i < r->len; i++) {
		const struct gm_bucket *b = gmodel__bucket(m, 0, i);

		ev += b->events;
		ab += b->alloc_bytes;
		ao += b->alloc_objs;
		cr += b->created;
		ex += b->exited;
		cpu += b->cpu_ns;
	}
	secs = (double)n * (double)BUCKET_NS / 1e9;
	m->events_ps = (double)ev / secs;
	m->alloc_bps = (double)ab / secs;
	m->alloc_ops = (double)ao / secs;
	m->created_ps = (double)cr / secs;
	m->exited_ps = (double)ex / secs;
	m->cpu_busy = (double)cpu / 1e9 / secs;
	/* heap (sched) readings at most 2 s older than the bucket closing give the exact byte
	 * (creation) rate */
	m->alloc_bps_exact = count_rate_fresh(m, &m->heap_rate);
	if (m->alloc_bps_exact)
		m->alloc_bps = m->heap_rate.per_s;
	m->created_ps_exact = count_rate_fresh(m, &m->sched_rate);
	if (m->created_ps_exact) {
		m->created_ps = m->sched_rate.per_s;
	} else {
		/* under a budget, the creations seen stand for those in the share of the time
		 * the probe was in (an estimate, marked as such) */
		double cov = gmodel__coverage(m, XG_EV_GO_CREATE);

		if (cov > 0 && cov < 1)
			m->created_ps /= cov;
	}
	if (n == RATE_BUCKETS && (double)ab > m->peak_alloc_bps) {
		m->peak_alloc_bps = (double)ab;
		m->peak_alloc_ts = gmodel__bucket(m, 0, r->len - n)->t0;
	}
}

/* CPU% over the interval since the last roll: from the goroutine's CPU samples when the trace
 * has them, else from running time in exact traces. */
static void cpu_roll(struct gmodel *m, uint64_t ts)
{
	double secs = (double)(ts - m->cpu_roll_ts) / 1e9;

	if (secs <= 0)
		return;
	for (uint32_t i = 0; i < m->g_len; i++) {
		struct gm_g *g = &m->g[i];
		uint64_t v;

		if (!g->t.goid)
			continue;
		v = m->exact && !m->cpu_samples ? gmodel__slot_ns(m, g, GM_RUNNING) : g->cpu_ns;
		g->cpu_pct = (float)(100.0 * (double)(v - g->cpu_mark) / 1e9 / secs);
		g->cpu_mark = v;
	}
	m->cpu_roll_ts = ts;
}

static void close_bucket(struct gmodel *m)
{
	struct gm_bucket *b = &m->cur;
	uint64_t end = b->t0 + BUCKET_NS;

	memcpy(b->counts, m->counts, sizeof(b->counts));
	ring_push(&m->hist[0], b);
	/* fold into the coarser levels */
	for (int l = 1; l < GM_LEVELS; l++) {
		bucket_merge(&m->acc[l], b, m->acc_n[l] == 0);
		if (++m->acc_n[l] < LEVEL_FACTOR)
			break;
		ring_push(&m->hist[l], &m->acc[l]);
		m->acc_n[l] = 0;
		b = &m->hist[l].b[(m->hist[l].head + m->hist[l].len - 1) % m->hist[l].cap];
	}
	update_rates(m);
	if ((m->cpu_samples || m->exact) && end - m->cpu_roll_ts >= CPU_ROLL_NS)
		cpu_roll(m, end);
	memset(&m->cur, 0, sizeof(m->cur));
	m->cur.t0 = end;
}

/* Closes the intervals that ended before ts. */
void gm__advance(struct gmodel *m, uint64_t ts)
{
	/* after a gap longer than the whole history, start afresh rather than fill it */
	if (ts - m->cur.t0 > 2ULL * 3600 * 1000000000ULL) {
		uint64_t t0 = ts - ts % BUCKET_NS;

		close_bucket(m);
		m->cur.t0 = t0;
		m->cpu_roll_ts = t0;
		return;
	}
	while (ts >= m->cur.t0 + BUCKET_NS)
		close_bucket(m);
}
