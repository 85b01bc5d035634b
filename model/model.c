// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/internal.h"
#include "model/model.h"
#include "util/array.h"

struct gmodel *gmodel__new(void)
{
	struct gmodel *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	if (gm__history_init(m)) {
		gmodel__free(m);
		errno = ENOMEM;
		return NULL;
	}
	m->alloc_rate = 1.0;
	m->g_rate = 1.0;
	m->cpu_hz = 99;
	tf_windows__init(&m->win);
	return m;
}

static void tops_free(struct gm_tops *t)
{
	free(t->v);
	u64map_free(&t->idx);
	memset(t, 0, sizeof(*t));
}

void gmodel__free(struct gmodel *m)
{
	if (!m)
		return;
	for (int l = 0; l < GM_LEVELS; l++)
		free(m->hist[l].b);
	free(m->g);
	free(m->free_slots);
	u64map_free(&m->by_goid);
	u64map_free(&m->stack_site);
	tf_gone__free(&m->gone);
	free(m->groups);
	u64map_free(&m->group_idx);
	free(m->waits);
	free(m->reason_runs);
	tops_free(&m->types);
	tops_free(&m->sites);
	free(m->source);
	free(m->go_version);
	free(m->mode);
	free(m);
}

/* A sampling rate from metadata: "0.01" (a probability) or an integer N meaning one in N. */
static double meta_rate(const struct tf_meta *meta, const char *key, double def)
{
	const char *s = meta ? tf_meta__str(meta, key) : NULL;
	int64_t iv;

	if (s) {
		char *end;
		double v = strtod(s, &end);

		if (end != s && v > 0)
			return v;
		return def;
	}
	if (meta && tf_meta__int(meta, key, &iv) && iv > 0)
		return iv == 1 ? 1.0 : 1.0 / (double)iv;
	return def;
}

static double meta_num(const struct tf_meta *meta, const char *key, double def)
{
	double v;

	return tf_meta__num(meta, key, &v) && v > 0 ? v : def;
}

static char *dup_or_null(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

/* Whether the comma-separated list has name as an element. */
static bool list_has(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
		if (!strncmp(p, name, n) && (p[n] == ',' || p[n] == '\0'))
			return true;
	}
	return false;
}

/* The fraction of kind kept: its "sample.<kind>" metadata, or def. */
static double kind_rate(const struct tf_meta *meta, unsigned int kind, double def)
{
	char key[TF_KEY_SAMPLE_MAX];

	return meta_rate(meta, tf_meta_key_sample(key, sizeof(key), kind), def);
}

double gmodel_alloc_rate(const struct tf_meta *meta)
{
	double v = kind_rate(meta, XG_EV_ALLOC, 1.0);

	return v > 1.0 ? 1.0 : v;
}

double gmodel_cpu_hz(const struct tf_meta *meta)
{
	char key[TF_KEY_SAMPLE_MAX];
	double hz = meta_num(meta, TF_KEY_SAMPLE_CPU_HZ, 0);

	if (hz <= 0)
		hz = meta_num(meta, TF_KEY_CPU_HZ, 0);
	tf_meta_key_sample(key, sizeof(key), XG_EV_CPU_SAMPLE);
	if (hz <= 0 && meta_num(meta, key, 0) > 1)
		hz = meta_num(meta, key, 0);
	return hz > 0 ? hz : 99;
}

static void gc_end_seen(struct gmodel *m, int64_t ts);

/* The GC cycles that ended before an attach (SPEC.md "Metadata": gc.ends), as if seen. */
static void gc_history(struct gmodel *m)
{
	m->n_gc_ends = 0;
	for (const char *p = m->meta ? tf_meta__str(m->meta, TF_KEY_GC_ENDS) : NULL; p && *p;) {
		char *end;
		long long v = strtoll(p, &end, 10);

		if (end == p)
			break;
		gc_end_seen(m, (int64_t)v);
		p = *end == ',' ? end + 1 : end;
	}
}

int gmodel__begin(struct gmodel *m, const struct sink_info *info)
{
	const char *events = info->meta ? tf_meta__str(info->meta, TF_KEY_EVENTS) : NULL;

	free(m->source);
	free(m->go_version);
	free(m->mode);
	m->names = info->names;
	m->meta = info->meta;
	m->replay = info->replay;
	m->duration_ns = info->duration_ns;
	m->source = dup_or_null(info->source);
	m->go_version =
	    dup_or_null(info->meta ? tf_meta__str(info->meta, TF_KEY_GO_VERSION) : NULL);
	m->mode = dup_or_null(info->meta ? tf_meta__str(info->meta, TF_KEY_MODE) : NULL);
	m->alloc_rate = gmodel_alloc_rate(info->meta);
	m->alloc_sampled = m->alloc_rate < 1.0;
	m->g_rate = kind_rate(info->meta, XG_EV_GO_STATE, 1.0);
	if (kind_rate(info->meta, XG_EV_GO_CREATE, 1.0) < m->g_rate)
		m->g_rate = kind_rate(info->meta, XG_EV_GO_CREATE, 1.0);
	if (m->g_rate > 1.0)
		m->g_rate = 1.0;
	m->cpu_hz = gmodel_cpu_hz(info->meta);
	gc_history(m);
	/* a trace without the list (older or synthetic ones) is taken as recording what it has */
	m->cpu_sampled = !events || list_has(events, xg_kind_name(XG_EV_CPU_SAMPLE));
	/* under a probe budget the status probes had windows: exact inside them only */
	m->exact = !(m->mode && !strcmp(m->mode, "production")) && m->g_rate >= 1.0 &&
		   (!events || list_has(events, xg_kind_name(XG_EV_GO_STATE))) &&
		   !(info->meta && tf_meta__str(info->meta, TF_KEY_BUDGET));
	m->began = true;
	return 0;
}

const char *gmodel__str(const struct gmodel *m, uint32_t id)
{
	return id && m->names ? tf_tables__str(m->names, id) : "";
}

const char *gmodel__start_fn(const struct gmodel *m, const struct gm_g *g)
{
	if (g->t.start_fn)
		return gmodel__str(m, g->t.start_fn);
	return g->t.goid == 1 ? "runtime.main" : "?";
}

int gmodel__slot_of(unsigned int state)
{
	switch (state) {
	case XG_G_RUNNING:
	case XG_G_COPYSTACK: /* newstack copying a running goroutine's stack: it runs on */
		return GM_RUNNING;
	case XG_G_RUNNABLE:
		return GM_RUNNABLE;
	case XG_G_WAITING:
		return GM_WAITING;
	case XG_G_SYSCALL:
		return GM_SYSCALL;
	default:
		return GM_OTHER;
	}
}

int gmodel__g_slot(const struct gm_g *g)
{
	return (g->flags & GM_G_RUNS_WAITING) ? GM_RUNNING : gmodel__slot_of(g->t.state);
}

/* Whether a wait for reason (a string id) is no block (xg_wait_reason_runs), looked up once
 * per reason. */
static bool reason_runs(struct gmodel *m, uint32_t reason)
{
	if (!reason)
		return false;
	if (xg_array_grow_zeroed((void **)&m->reason_runs, &m->reason_runs_cap, (size_t)reason + 1,
				 1))
		return xg_wait_reason_runs(gmodel__str(m, reason));
	if (!m->reason_runs[reason])
		m->reason_runs[reason] = xg_wait_reason_runs(gmodel__str(m, reason)) ? 2 : 1;
	return m->reason_runs[reason] == 2;
}

const char *gmodel__slot_name(int s)
{
	static const char *const n[GM_NSLOTS] = {"run", "runq", "wait", "sys", "other"};

	return s >= 0 && s < GM_NSLOTS ? n[s] : "?";
}

uint64_t gmodel__slot_ns(const struct gmodel *m, const struct gm_g *g, int s)
{
	uint64_t v = g->slot_ns[s];

	if (gmodel__slot_of(g->t.state) == s)
		v += gm__open_ns(m, g);
	return v;
}

static uint64_t end_of(const struct gmodel *m, const struct gm_g *g)
{
	return (g->flags & GM_G_EXITED) ? g->exited_ts : m->now_ts;
}

static bool blocked(unsigned int state)
{
	return state == XG_G_WAITING || state == XG_G_SYSCALL;
}

struct gm_time gmodel__slot_time(const struct gmodel *m, const struct gm_g *g, int s)
{
	if (m->exact)
		return (struct gm_time){gmodel__slot_ns(m, g, s),
					(g->flags & GM_G_PARTIAL) ? GM_AT_LEAST : GM_KNOWN};
	if (s == GM_RUNNING && m->cpu_sampled && m->cpu_hz > 0)
		return (struct gm_time){g->cpu_ns, GM_ABOUT};
	if (!(g->flags & GM_G_EXITED) && g->waited_ns && gmodel__g_slot(g) == s &&
	    blocked(g->t.state))
		return (struct gm_time){g->waited_ns, GM_AT_LEAST};
	return (struct gm_time){0, GM_UNKNOWN};
}

struct gm_time gmodel__age(const struct gmodel *m, const struct gm_g *g)
{
	uint64_t end = end_of(m, g), v;

	if (g->flags & GM_G_CREATED)
		return (struct gm_time){end > g->t.created_ts ? end - g->t.created_ts : 0,
					GM_KNOWN};
	v = end > g->seen_ts ? end - g->seen_ts : 0;
	if (g->waited_ns && end >= g->obs_ts && end - g->obs_ts + g->waited_ns > v)
		v = end - g->obs_ts + g->waited_ns;
	return (struct gm_time){v, GM_AT_LEAST};
}

struct gm_time gmodel__in_state(const struct gmodel *m, const struct gm_g *g)
{
	if (g->flags & (GM_G_EXITED | GM_G_NO_STATE))
		return (struct gm_time){0, GM_UNKNOWN};
	if (m->exact)
		return (struct gm_time){gm__open_ns(m, g),
					(g->flags & GM_G_TIMED) ? GM_KNOWN : GM_AT_LEAST};
	/* states seen at instants: only the runtime's own wait clock tells a duration, as of the
	 * last snapshot */
	if (g->waited_ns && blocked(g->t.state))
		return (struct gm_time){g->waited_ns, GM_AT_LEAST};
	return (struct gm_time){0, GM_UNKNOWN};
}

bool gmodel__has_cpu(const struct gmodel *m, const struct gm_g *g)
{
	return m->exact || g->cpu_samples;
}

int gmodel__dominant(const struct gmodel *m, const struct gm_g *g)
{
	int best = 0;
	uint64_t bv = 0;

	for (int s = 0; s < GM_NSLOTS; s++) {
		uint64_t v = gmodel__slot_ns(m, g, s);

		if (v > bv) {
			bv = v;
			best = s;
		}
	}
	return best;
}

struct gm_g *gmodel__g(const struct gmodel *m, uint64_t goid)
{
	uint64_t slot;

	if (!u64map_get(&m->by_goid, goid, &slot))
		return NULL;
	return &m->g[slot];
}

/* --- groups ----------------------------------------------------------------------------- */

bool gmodel_system_fn(const char *fn)
{
	if (!fn || !*fn || !strcmp(fn, "runtime.main"))
		return false;
	return !strncmp(fn, "runtime.", 8) || !strncmp(fn, "runtime/", 8) ||
	       !strncmp(fn, "internal/", 9) || !strcmp(fn, "os/signal.loop");
}

bool gmodel_runtime_g(uint64_t goid, const char *fn)
{
	return goid == 1 || (fn && !strcmp(fn, "runtime.main")) || gmodel_system_fn(fn);
}

/* The index of fn's group, added when new; -ENOMEM. */
static int64_t group_of(struct gmodel *m, uint32_t fn)
{
	uint64_t i;

	if (u64map_get(&m->group_idx, fn, &i))
		return (int64_t)i;
	if (xg_array_grow((void **)&m->groups, &m->groups_cap, m->ngroups + 1, sizeof(*m->groups)))
		return -ENOMEM;
	if (u64map_put(&m->group_idx, fn, m->ngroups))
		return -ENOMEM;
	m->groups[m->ngroups] =
	    (struct gm_group){.fn = fn, .system = gmodel_system_fn(gmodel__str(m, fn))};
	return m->ngroups++;
}

/* g joins group gi (d = +1) or leaves it (d = -1), with everything it counted there. */
static void group_move(struct gmodel *m, struct gm_g *g, uint32_t gi, int d)
{
	struct gm_group *e = &m->groups[gi];
	bool live = !(g->flags & GM_G_EXITED);

	g->group = gi;
	if (live) {
		e->live += (uint64_t)(int64_t)d;
		if (!e->system)
			m->user_live += (uint64_t)(int64_t)d;
	} else {
		e->exited += (uint64_t)(int64_t)d;
	}
	if (g->flags & GM_G_CREATED)
		e->created += (uint64_t)(int64_t)d;
	e->partial |= d > 0 && (g->flags & GM_G_PARTIAL);
	e->cpu_samples += (uint64_t)(int64_t)d * g->cpu_samples;
	e->cpu_ns += (uint64_t)(int64_t)d * g->cpu_ns;
	e->alloc_bytes += (uint64_t)(int64_t)d * g->alloc_bytes;
	e->alloc_count += (uint64_t)(int64_t)d * g->alloc_count;
	for (int s = 0; s < GM_NSLOTS; s++)
		e->slot_ns[s] += (uint64_t)(int64_t)d * g->slot_ns[s];
	if (e->live > e->max_live)
		e->max_live = e->live;
}

static void peak_user(struct gmodel *m, uint64_t ts)
{
	if (m->user_live > m->peak_user) {
		m->peak_user = m->user_live;
		m->peak_user_ts = ts;
	}
}

/* g's start function became fn. 0 or -ENOMEM. */
static int regroup(struct gmodel *m, struct gm_g *g, uint32_t fn)
{
	int64_t gi = group_of(m, fn);

	if (gi < 0)
		return (int)gi;
	group_move(m, g, g->group, -1);
	group_move(m, g, (uint32_t)gi, +1);
	return 0;
}

/* --- goroutines ------------------------------------------------------------------------- */

static struct gm_g *g_add(struct gmodel *m, uint64_t goid, uint64_t ts)
{
	int64_t gi = group_of(m, 0);
	uint32_t slot;
	struct gm_g *g;

	if (gi < 0)
		return NULL;
	if (m->n_free) {
		slot = m->free_slots[--m->n_free];
	} else {
		if (m->g_len == m->g_cap) {
			uint32_t ncap = m->g_cap ? m->g_cap * 2 : 1024;
			struct gm_g *n = realloc(m->g, (size_t)ncap * sizeof(*n));

			if (!n)
				return NULL;
			m->g = n;
			m->g_cap = ncap;
		}
		slot = m->g_len++;
	}
	if (u64map_put(&m->by_goid, goid, slot)) {
		if (slot == m->g_len - 1)
			m->g_len--;
		else
			m->free_slots[m->n_free++] = slot; /* it came from there: room is left */
		return NULL;
	}
	g = &m->g[slot];
	memset(g, 0, sizeof(*g));
	g->t.goid = goid;
	g->t.since_ts = ts;
	g->seen_ts = ts;
	g->flags = GM_G_NO_STATE;
	g->seq = ++m->next_seq;
	m->live++;
	group_move(m, g, (uint32_t)gi, +1);
	return g;
}

static struct gm_g *g_get(struct gmodel *m, uint64_t goid, uint64_t ts)
{
	uint64_t slot;

	if (u64map_get(&m->by_goid, goid, &slot))
		return &m->g[slot];
	return g_add(m, goid, ts);
}

static int free_slot(struct gmodel *m, uint32_t slot)
{
	if (m->n_free == m->free_cap) {
		uint32_t ncap = m->free_cap ? m->free_cap * 2 : 1024;
		uint32_t *n = realloc(m->free_slots, (size_t)ncap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		m->free_slots = n;
		m->free_cap = ncap;
	}
	u64map_del(&m->by_goid, m->g[slot].t.goid);
	m->g[slot].t.goid = 0;
	m->g[slot].flags = 0;
	m->free_slots[m->n_free++] = slot;
	return 0;
}

static int wait_add(struct gmodel *m, const struct gm_wait *w)
{
	if (xg_array_grow((void **)&m->waits, &m->waits_cap, m->nwaits + 1, sizeof(*m->waits)))
		return -ENOMEM;
	m->waits[m->nwaits++] = *w;
	return 0;
}

/* Exact traces: the time of the state g is leaving (or is in at its exit), measured. */
static int account(struct gmodel *m, struct gm_g *g, uint64_t ts)
{
	uint64_t d;
	int s;

	if (!m->exact || (g->flags & GM_G_NO_STATE))
		return 0;
	d = (ts > g->t.since_ts ? ts - g->t.since_ts : 0) + g->pre_ns;
	s = gmodel__g_slot(g);
	g->slot_ns[s] += d;
	m->groups[g->group].slot_ns[s] += d;
	if (m->wait_limit_ns && s == GM_WAITING && d >= m->wait_limit_ns)
		return wait_add(m, &(struct gm_wait){
				       .goid = g->t.goid,
				       .from_ts = g->t.since_ts,
				       .ns = d,
				       .start_fn = g->t.start_fn,
				       .reason = g->t.reason,
				       .bound = (g->flags & GM_G_TIMED) ? GM_KNOWN : GM_AT_LEAST,
				   });
	return 0;
}

/*
 * How long a goroutine snapshot ev saw blocked has been blocked for sure. The runtime sets
 * g.waitsince to work.tstart, the start of the previous cycle's mark termination, when a
 * cycle's mark phase first finds g blocked: so g was blocked at a moment before the end of the
 * cycle after the one that started at waitsince. Its gc_end is the second at or after
 * waitsince (the first is the cycle waitsince names); a later one when those came before the
 * trace, which proves less but still holds. 0 when no such cycle end is in the trace yet.
 */
static uint64_t proven_wait(const struct gmodel *m, int64_t waitsince, uint64_t ts)
{
	int seen = 0;

	for (uint32_t i = 0; i < m->n_gc_ends; i++) {
		int64_t e = m->gc_end_ts[i];

		if (e >= waitsince && ++seen == 2)
			return e <= (int64_t)ts ? (uint64_t)((int64_t)ts - e) : 0;
	}
	return 0;
}

static void gc_end_seen(struct gmodel *m, int64_t ts)
{
	if (m->n_gc_ends == GM_GC_ENDS) {
		memmove(m->gc_end_ts, m->gc_end_ts + 1, (GM_GC_ENDS - 1) * sizeof(m->gc_end_ts[0]));
		m->n_gc_ends--;
	}
	m->gc_end_ts[m->n_gc_ends++] = ts;
}

/* States seen at instants: a wait the runtime's clock showed at the last snapshot ended (the
 * goroutine is seen in another state, or in a wait the runtime started anew). */
static int wait_seen_ended(struct gmodel *m, struct gm_g *g, const struct xg_event *ev)
{
	if (m->exact || !m->wait_limit_ns || g->t.state != XG_G_WAITING ||
	    g->waited_ns < m->wait_limit_ns)
		return 0;
	if (ev->to == XG_G_WAITING && ev->waited_ns &&
	    (int64_t)ev->ts - (int64_t)ev->waited_ns == g->waitsince_ts)
		return 0; /* the same wait, still going */
	return wait_add(m, &(struct gm_wait){
			       .goid = g->t.goid,
			       .from_ts = g->obs_ts > g->waited_ns ? g->obs_ts - g->waited_ns : 0,
			       .ns = g->waited_ns,
			       .start_fn = g->t.start_fn,
			       .reason = g->t.reason,
			       .bound = GM_AT_LEAST,
			   });
}

static void count_state(struct gmodel *m, const struct gm_g *g, int d)
{
	unsigned int state = (g->flags & GM_G_RUNS_WAITING) ? XG_G_RUNNING : g->t.state;

	if (!(g->flags & GM_G_NO_STATE) && state < GM_HSTATES)
		m->counts[state] += d;
}

static int g_exit(struct gmodel *m, struct gm_g *g, uint64_t ts)
{
	uint32_t slot = (uint32_t)(g - m->g);
	struct gm_group *e = &m->groups[g->group];
	int err;

	if (g->flags & GM_G_EXITED)
		return 0;
	err = account(m, g, ts);
	if (err)
		return err;
	count_state(m, g, -1);
	g->flags &= (uint8_t)~GM_G_RUNS_WAITING;
	g->t.state = XG_G_DEAD;
	g->t.since_ts = ts;
	g->t.reason = 0;
	g->pre_ns = 0;
	g->flags = (uint8_t)((g->flags | GM_G_EXITED) & ~GM_G_NO_STATE);
	g->exited_ts = ts;
	g->cpu_pct = 0;
	m->live--;
	m->exited++;
	m->cur.exited++;
	e->live--;
	e->exited++;
	if (!e->system)
		m->user_live--;
	if (m->exited_len == GM_EXITED_KEEP) {
		err = free_slot(m, m->exited_ring[m->exited_head]);
		if (err)
			return err;
		m->exited_ring[m->exited_head] = slot;
		m->exited_head = (m->exited_head + 1) % GM_EXITED_KEEP;
	} else {
		m->exited_ring[(m->exited_head + m->exited_len) % GM_EXITED_KEEP] = slot;
		m->exited_len++;
	}
	return 0;
}

/* A walk over every goroutine ended (a snapshot with goid 0): those it did not report were seen
 * unchanged at ts, their wait proven up to there. */
static void walk_seen(struct gmodel *m, uint64_t ts)
{
	if (m->exact)
		return;
	for (uint32_t i = 0; i < m->g_len; i++) {
		struct gm_g *g = &m->g[i];

		if (!g->t.goid || (g->flags & GM_G_EXITED) || !(g->flags & GM_G_SNAPSHOT) ||
		    g->obs_ts >= ts)
			continue;
		g->obs_ts = ts;
		if (g->waitsince_ts)
			g->waited_ns = proven_wait(m, g->waitsince_ts, ts);
	}
}

/* The status probes went out (a budget's window ended): from here on a goroutine may leave
 * its state and come back to it unseen, so no state began at a time the trace knows. */
static void status_gap(struct gmodel *m)
{
	for (uint32_t i = 0; i < m->g_len; i++)
		m->g[i].flags &= (uint8_t)~GM_G_TIMED;
}

/* go_create, go_state, go_exit, snapshot: format/gtrack.h's rules on g's entry, then the
 * figures. */
static int goroutine_event(struct gmodel *m, const struct xg_event *ev)
{
	struct tf_goroutine t = {0};
	struct gm_g *g;
	bool known, changed;
	int err = 0;

	if (!ev->goid && ev->kind == XG_EV_SNAPSHOT)
		walk_seen(m, ev->ts);
	if (!ev->goid || tf_gone__has(&m->gone, ev->goid))
		return 0;
	g = gmodel__g(m, ev->goid);
	if (g && (g->flags & GM_G_EXITED))
		return 0; /* a late event about a goroutine already gone */
	known = g && !(g->flags & GM_G_NO_STATE);
	if (g)
		t = g->t;
	switch (tf_goroutine__step(&t, known, ev)) {
	case TF_GSTEP_NONE:
		return 0;
	case TF_GSTEP_GONE:
		err = g ? g_exit(m, g, ev->ts) : 0;
		return err ?: tf_gone__add(&m->gone, ev->goid, ev->ts);
	case TF_GSTEP_SET:
		break;
	}
	if (!g) {
		g = g_add(m, ev->goid, ev->ts);
		if (!g)
			return -ENOMEM;
	}
	changed = !known || t.state != g->t.state;
	if (ev->kind == XG_EV_SNAPSHOT)
		err = wait_seen_ended(m, g, ev);
	if (!err && known && changed)
		err = account(m, g, ev->ts);
	if (!err && t.start_fn != g->t.start_fn)
		err = regroup(m, g, t.start_fn);
	if (err)
		return err;
	count_state(m, g, -1);
	g->t = t;
	g->flags &= (uint8_t) ~(GM_G_NO_STATE | GM_G_RUNS_WAITING);
	if (t.state == XG_G_WAITING && reason_runs(m, t.reason))
		g->flags |= GM_G_RUNS_WAITING;
	count_state(m, g, +1);
	if (changed)
		g->pre_ns = 0;

	switch (ev->kind) {
	case XG_EV_GO_CREATE:
		g->create_stack = ev->stack;
		if (changed)
			g->where_stack = 0; /* not started */
		if (!(g->flags & GM_G_CREATED)) {
			m->created++;
			m->cur.created++;
			m->groups[g->group].created++;
		}
		/* its whole life is in the trace */
		g->flags = (uint8_t)((g->flags | GM_G_CREATED) & ~GM_G_PARTIAL);
		if (changed)
			g->flags |= GM_G_TIMED;
		break;
	case XG_EV_GO_STATE:
		g->transitions++;
		/* where it stopped; a runnable goroutine is still there; a running one moves */
		if (ev->stack && (blocked(t.state) || t.state == XG_G_PREEMPTED))
			g->where_stack = ev->stack;
		else if (t.state == XG_G_RUNNING || (changed && blocked(t.state)))
			g->where_stack = 0;
		if (!known && !(g->flags & GM_G_CREATED))
			g->flags |= GM_G_PARTIAL;
		if (changed)
			g->flags |= GM_G_TIMED; /* a transition, at its exact time */
		break;
	case XG_EV_SNAPSHOT:
		g->flags |= GM_G_SNAPSHOT;
		if (ev->stack)
			g->where_stack = ev->stack;
		else if (changed && t.state != XG_G_RUNNABLE)
			g->where_stack = 0;
		if (!known && !(g->flags & GM_G_CREATED)) {
			g->flags |= GM_G_PARTIAL;
			m->groups[g->group].partial = true;
		}
		if (changed) /* seen in a state it entered earlier: when, only the runtime knows */
			g->flags &= (uint8_t)~GM_G_TIMED;
		g->obs_ts = ev->ts;
		g->waitsince_ts = 0;
		g->waited_ns = 0;
		if (blocked(t.state) && ev->waited_ns) {
			g->waitsince_ts = (int64_t)ev->ts - (int64_t)ev->waited_ns;
			g->waited_ns = proven_wait(m, g->waitsince_ts, ev->ts);
		}
		/* exact traces: the runtime may know the wait began before it was first seen */
		if (m->exact && !(g->flags & GM_G_TIMED) && g->waited_ns > ev->ts - t.since_ts &&
		    g->waited_ns - (ev->ts - t.since_ts) > g->pre_ns)
			g->pre_ns = g->waited_ns - (ev->ts - t.since_ts);
		break;
	default:
		break;
	}
	return 0;
}

/* --- allocations ------------------------------------------------------------------------ */

static struct gm_top *tops_get(struct gm_tops *t, uint64_t key)
{
	uint64_t i;

	if (u64map_get(&t->idx, key, &i))
		return &t->v[i];
	if (t->len == t->cap) {
		uint32_t ncap = t->cap ? t->cap * 2 : 256;
		struct gm_top *n = realloc(t->v, (size_t)ncap * sizeof(*n));

		if (!n)
			return NULL;
		t->v = n;
		t->cap = ncap;
	}
	if (u64map_put(&t->idx, key, t->len))
		return NULL;
	memset(&t->v[t->len], 0, sizeof(t->v[0]));
	return &t->v[t->len++];
}

bool gmodel_runtime_frame(const char *fn)
{
	return !strncmp(fn, "runtime.", 8) || !strncmp(fn, "internal/", 9) ||
	       !strncmp(fn, "runtime/internal", 16);
}

/*
 * A function of the program rather than of Go's standard library: package main, or an import
 * path whose first element has a dot (a module path: example.com/x, github.com/y). Standard
 * library paths have none (net/http, encoding/json, bufio).
 */
static bool user_frame(const char *fn)
{
	const char *slash = strchr(fn, '/'), *dot = strchr(fn, '.');

	if (!strncmp(fn, "main.", 5))
		return true;
	/* without a slash: a one-element path, the standard library */
	return slash && dot && dot < slash;
}

const struct xg_frame *gmodel__stack_site(const struct gmodel *m, uint32_t stack)
{
	const struct xg_frame *fr;
	uint32_t n;

	if (!stack || !m->names)
		return NULL;
	fr = tf_tables__stack(m->names, stack, &n);
	if (!fr || !n)
		return NULL;
	/* the program's own code first, else the first frame Go shows, else outside the runtime */
	for (uint32_t i = 0; i < n; i++)
		if (user_frame(tf_tables__str(m->names, fr[i].fn)))
			return &fr[i];
	for (uint32_t i = 0; i < n; i++)
		if (tf_frame_shown_by_go(tf_tables__str(m->names, fr[i].fn), i == 0))
			return &fr[i];
	for (uint32_t i = 0; i < n; i++)
		if (!gmodel_runtime_frame(tf_tables__str(m->names, fr[i].fn)))
			return &fr[i];
	return &fr[0];
}

const struct xg_frame *gmodel__where(const struct gmodel *m, const struct gm_g *g)
{
	return gmodel__stack_site(m, g->where_stack);
}

/* The site (top user frame) of an allocation's stack, cached per stack id. */
static struct gm_top *site_of(struct gmodel *m, uint32_t stack)
{
	const struct xg_frame *pick;
	uint64_t v;
	struct gm_top *t;

	if (!stack || !m->names)
		return NULL;
	if (u64map_get(&m->stack_site, stack, &v))
		return v ? &m->sites.v[v - 1] : NULL;
	pick = gmodel__stack_site(m, stack);
	if (!pick) {
		u64map_put(&m->stack_site, stack, 0);
		return NULL;
	}
	t = tops_get(&m->sites, (uint64_t)pick->fn << 32 | pick->line);
	if (!t)
		return NULL;
	t->fn = pick->fn;
	t->file = pick->file;
	t->line = pick->line;
	if (u64map_put(&m->stack_site, stack, (uint64_t)(t - m->sites.v) + 1))
		return NULL;
	return t;
}

static int alloc(struct gmodel *m, const struct xg_event *ev, uint64_t bytes, uint64_t objs)
{
	struct gm_top *t;

	m->alloc_bytes += bytes;
	m->alloc_objs += objs;
	m->cur.alloc_bytes += bytes;
	m->cur.alloc_objs += objs;
	if (ev->goid && !tf_gone__has(&m->gone, ev->goid)) {
		struct gm_g *g = g_get(m, ev->goid, ev->ts);

		if (!g)
			return -ENOMEM;
		g->alloc_bytes += bytes;
		g->alloc_count += objs;
		m->groups[g->group].alloc_bytes += bytes;
		m->groups[g->group].alloc_count += objs;
	}
	t = tops_get(&m->types, ev->type);
	if (!t)
		return -ENOMEM;
	t->fn = ev->type;
	t->bytes += bytes;
	t->count += objs;
	t = site_of(m, ev->stack);
	if (t) {
		t->bytes += bytes;
		t->count += objs;
	}
	return 0;
}

uint64_t gm_cpu_ns(double hz, const struct xg_event *ev)
{
	if (ev->weight)
		return ev->weight;
	return hz > 0 ? (uint64_t)(1e9 / hz) : 0;
}

void gm_alloc_scale(double rate, const struct xg_event *ev, uint64_t *bytes, uint64_t *objs)
{
	*bytes = *objs = 0;
	if (ev->kind == XG_EV_ALLOC) {
		if (rate >= 1.0) {
			*bytes = ev->size;
			*objs = 1;
		} else {
			double inv = 1.0 / rate;

			*bytes = (uint64_t)llround((double)ev->size * inv);
			*objs = (uint64_t)llround(inv);
		}
	} else if (ev->kind == XG_EV_ALLOC_SAMPLE) {
		*bytes = ev->weight ? ev->weight : ev->size;
		*objs = ev->size ? (*bytes + ev->size / 2) / ev->size : 1;
	}
}

/* --- events ----------------------------------------------------------------------------- */

/* A reading val of a count at ts into its rate (a count that went back, or a reading older
 * than the anchor, starts again from there). */
static void count_rate(struct gm_count_rate *c, uint64_t ts, uint64_t val)
{
	if (!c->anchor_ts || val < c->anchor || ts < c->anchor_ts) {
		c->anchor_ts = ts;
		c->anchor = val;
	} else if (ts >= c->anchor_ts + COUNT_RATE_NS) {
		c->per_s = (double)(val - c->anchor) * 1e9 / (double)(ts - c->anchor_ts);
		c->ts = ts;
		c->anchor_ts = ts;
		c->anchor = val;
	}
}

static void heap_figures(struct gmodel *m, const struct xg_event *ev)
{
	if (ev->kind == XG_EV_HEAP && ev->total_alloc)
		count_rate(&m->heap_rate, ev->ts, ev->total_alloc);
	if (ev->heap_live)
		m->heap_live = ev->heap_live;
	if (ev->heap_live > m->peak_heap) {
		m->peak_heap = ev->heap_live;
		m->peak_heap_ts = ev->ts;
	}
	if (ev->heap_goal)
		m->heap_goal = ev->heap_goal;
	if (ev->total_alloc)
		m->total_alloc = ev->total_alloc;
	if (ev->gc)
		m->gc_last = ev->gc;
}

double gmodel__coverage(const struct gmodel *m, unsigned int kind)
{
	uint64_t in;

	if (kind >= XG_EV_KIND_MAX || !m->win.events[kind])
		return -1;
	if (m->now_ts <= m->win_from)
		return 0;
	in = tf_windows__in_ns(&m->win, kind, m->now_ts);
	return in >= m->now_ts - m->win_from ? 1 : (double)in / (double)(m->now_ts - m->win_from);
}

int gmodel__event(struct gmodel *m, const struct xg_event *ev)
{
	struct gm_g *g;

	if (ev->ts >= m->cur.t0 + BUCKET_NS)
		gm__advance(m, ev->ts);
	if (ev->ts > m->now_ts)
		m->now_ts = ev->ts;
	m->events++;
	m->cur.events++;
	if (ev->kind < XG_EV_KIND_MAX)
		m->kind_events[ev->kind]++;

	switch (ev->kind) {
	case XG_EV_GO_CREATE:
	case XG_EV_GO_EXIT:
	case XG_EV_GO_STATE:
	case XG_EV_SNAPSHOT: {
		int err = goroutine_event(m, ev);

		/* after the goroutine found its group: not while it is still "unknown" */
		peak_user(m, ev->ts);
		return err;
	}
	case XG_EV_ALLOC:
	case XG_EV_ALLOC_SAMPLE: {
		uint64_t bytes, objs;

		gm_alloc_scale(m->alloc_rate, ev, &bytes, &objs);
		if (ev->kind == XG_EV_ALLOC_SAMPLE)
			m->alloc_sampled = true;
		return alloc(m, ev, bytes, objs);
	}
	case XG_EV_CPU_SAMPLE: {
		uint64_t ns = gm_cpu_ns(m->cpu_hz, ev);

		m->cpu_samples++;
		m->cur.cpu_ns += ns;
		if (!ev->goid || tf_gone__has(&m->gone, ev->goid))
			return 0;
		g = g_get(m, ev->goid, ev->ts);
		if (!g)
			return -ENOMEM;
		g->cpu_samples++;
		g->cpu_ns += ns;
		m->groups[g->group].cpu_samples++;
		m->groups[g->group].cpu_ns += ns;
		if (ev->stack) /* on CPU there */
			g->where_stack = ev->stack;
		return 0;
	}
	case XG_EV_GC_START:
		m->gc_cycles++;
		m->cur.gc++;
		heap_figures(m, ev);
		return 0;
	case XG_EV_GC_END:
		gc_end_seen(m, (int64_t)ev->ts);
		heap_figures(m, ev);
		return 0;
	case XG_EV_HEAP:
		heap_figures(m, ev);
		return 0;
	case XG_EV_SCHED:
		if (ev->created)
			count_rate(&m->sched_rate, ev->ts, ev->created);
		m->sched = (struct gm_sched){.ts = ev->ts,
					     .created = ev->created,
					     .alive = ev->alive,
					     .threads = ev->threads,
					     .gomaxprocs = ev->gomaxprocs,
					     .runnable = ev->runnable};
		m->sched_seen = true;
		return 0;
	case XG_EV_LOST:
		m->lost += ev->count;
		m->cur.lost += ev->count;
		return 0;
	case XG_EV_WINDOW:
		tf_windows__add(&m->win, ev);
		if (ev->of == XG_EV_GO_STATE && !ev->count)
			status_gap(m);
		return 0;
	default:
		return 0;
	}
}

void gmodel__tick(struct gmodel *m, const struct sink_status *st)
{
	m->st = *st;
	m->st.end_reason = NULL;
	if (st->end_reason)
		snprintf(m->end_reason, sizeof(m->end_reason), "%s", st->end_reason);
	if (st->lost > m->lost_status)
		m->lost_status = st->lost;
	if (st->now_ts > m->now_ts)
		m->now_ts = st->now_ts;
	if (m->now_ts >= m->cur.t0 + BUCKET_NS)
		gm__advance(m, m->now_ts);
}

void gmodel__reset(struct gmodel *m, uint64_t ts)
{
	u64map_clear(&m->by_goid);
	m->g_len = 0;
	m->n_free = 0;
	m->exited_head = m->exited_len = 0;
	m->live = 0;
	memset(m->counts, 0, sizeof(m->counts));
	tf_gone__clear(&m->gone);
	m->ngroups = 0;
	u64map_clear(&m->group_idx);
	m->user_live = m->peak_user = m->peak_user_ts = 0;
	m->nwaits = 0;
	m->peak_heap = m->peak_heap_ts = 0;
	gc_history(m);
	m->peak_alloc_bps = 0;
	m->peak_alloc_ts = 0;
	m->events = 0;
	memset(m->kind_events, 0, sizeof(m->kind_events));
	tf_windows__restart(&m->win);
	m->win_from = ts;
	m->created = m->exited = m->lost = 0;
	m->alloc_bytes = m->alloc_objs = 0;
	m->cpu_samples = 0;
	m->gc_cycles = 0;
	m->events_ps = m->alloc_bps = m->alloc_ops = m->created_ps = m->exited_ps = 0;
	m->cpu_busy = 0;
	m->alloc_bps_exact = false;
	memset(&m->heap_rate, 0, sizeof(m->heap_rate));
	memset(&m->sched_rate, 0, sizeof(m->sched_rate));
	m->created_ps_exact = false;
	for (int l = 0; l < GM_LEVELS; l++) {
		m->hist[l].len = m->hist[l].head = 0;
		m->hist[l].seq++; /* viewers see a change even when nothing was pushed */
		m->acc_n[l] = 0;
	}
	memset(&m->cur, 0, sizeof(m->cur));
	m->cur.t0 = ts - ts % BUCKET_NS;
	m->cpu_roll_ts = m->cur.t0;
	m->types.len = 0;
	u64map_clear(&m->types.idx);
	m->sites.len = 0;
	u64map_clear(&m->sites.idx);
	u64map_clear(&m->stack_site);
	m->now_ts = ts;
	m->resets++;
}
