// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Walks of the target's goroutines (record/walk.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format/event.h"
#include "record/walk.h"
#include "util/array.h"
#include "util/u64map.h"

/* in a snapshot key's state byte (states take 4 bits): the goroutine's stack is still owed */
#define KEY_OWED 0x80u

/* A snapshot waiting for its goroutine's stack. */
struct pending {
	struct rec_gsnap g;
	uint64_t key;
	bool retry;	/* its snapshot went out without the stack: only one with it is due */
	bool same_base; /* state, wait reason and waitsince as last sent: only g.sched moved */
};

struct rec_walk {
	struct rec_walk_opts o;
	int go_minor;
	uint64_t walk;	/* walks so far (this one while it runs) */
	uint64_t ticks; /* goroutines and stacks looked at, for opts.tick */
	/* goid -> snap_key() | walk << 32 as last emitted */
	struct u64map last;
	/* goid -> where() << 32 | stack id: the stack read for that goroutine waiting there */
	struct u64map stack;
	/* goid -> snap_key() without where(), as last sent: a goroutine that woke and parked
	 * again in the same stack needs no new snapshot */
	struct u64map base;
	struct pending *pend;
	size_t npend, cappend;
	struct rec_stack_req *req;
	size_t capreq;
	size_t *idx; /* 2 * cappend: read_stacks()'s two lists */
	size_t capidx;
	struct rec_walk_stats st;
};

struct walk_ctx {
	struct rec_walk *w;
	struct rec_poll *p;
	uint64_t mono; /* when the walk started */
	bool adopt;    /* watch these goroutines' exits too */
	/* read_stacks(): the pending snapshots of this try (indices into pend), and those to
	 * try again; last: this try's outcomes are final */
	size_t *todo, ntodo, *again, nagain;
	bool last;
};

static uint64_t clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct rec_walk *rec_walk__new(const struct rec_walk_opts *o)
{
	struct rec_walk *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->o = *o;
	if (!w->o.stack_budget)
		w->o.stack_budget = REC_WALK_STACK_BUDGET;
	w->go_minor = o->bin ? gobin__info(o->bin)->go_minor : 0;
	return w;
}

void rec_walk__free(struct rec_walk *w)
{
	if (!w)
		return;
	u64map_free(&w->last);
	u64map_free(&w->stack);
	u64map_free(&w->base);
	free(w->pend);
	free(w->req);
	free(w->idx);
	free(w);
}

void rec_walk__stats(const struct rec_walk *w, struct rec_walk_stats *st)
{
	*st = w->st;
}

/* Whether g is off CPU in a place its stack can be walked from (g.sched). */
static bool blocked(const struct rec_gsnap *g)
{
	return g->state == XG_G_WAITING || g->state == XG_G_SYSCALL || g->state == XG_G_PREEMPTED ||
	       g->state == XG_G_LEAKED;
}

/* Where blocked g waits, in 32 bits: a goroutine woken and blocked again elsewhere (with the
 * same wait reason) has another g.sched. */
static uint32_t where(const struct rec_gsnap *g)
{
	uint64_t h = u64_hash(g->sched_sp ^ u64_hash(g->sched_pc));

	return (uint32_t)(h ^ h >> 32);
}

/* What a snapshot event says of g at mono, in 32 bits: state, wait reason, and (folded) the
 * runtime's waitsince behind its waited_ns and, with stacks, where a blocked goroutine waits. */
static uint64_t snap_key_where(const struct rec_walk *w, const struct rec_gsnap *g, uint64_t mono,
			       bool with_where)
{
	uint64_t since = rec_gsnap__waited(g, mono) ? (uint64_t)g->waitsince : 0;

	since ^= since >> 32;
	since ^= since >> 16;
	if (with_where && w->o.stacks && blocked(g))
		since ^= where(g);
	/* the wait reason as the event says it: g.waitreason stays behind when it runs again */
	uint64_t reason = g->state == XG_G_WAITING ? g->reason : 0;

	return (uint64_t)g->state | reason << 8 | (since & 0xffff) << 16;
}

static uint64_t snap_key(const struct rec_walk *w, const struct rec_gsnap *g, uint64_t mono)
{
	return snap_key_where(w, g, mono, true);
}

static void tick(struct rec_walk *w)
{
	if (w->o.tick && ++w->ticks % REC_WALK_TICK == 0)
		w->o.tick(w->o.tick_ctx);
}

static int emit(struct rec_walk *w, uint64_t mono, const struct rec_gsnap *g, uint32_t stack)
{
	w->st.events++;
	return rec_ingest__snapshot(w->o.ing, mono, g, stack);
}

/* One goroutine of a walk: an event when it is new to the walks or its key changed since the
 * last one. A g is copied while it runs, so a goroutine new to the walks is read again first:
 * Go 1.21-1.23 make a reused g runnable before they give it its goid, and a copy taken in
 * between names the g's previous, exited goroutine. A blocked goroutine's event waits for its
 * stack (read_stacks()) unless the stack read for it before still holds. */
static int snap_one(const struct rec_gsnap *g, void *arg)
{
	struct walk_ctx *c = arg;
	struct rec_walk *w = c->w;
	uint64_t key = snap_key(w, g, c->mono), base = snap_key_where(w, g, c->mono, false);
	uint64_t last, v, last_base;
	bool known = u64map_get(&w->last, g->goid, &last);
	bool same = known && (last & 0xffffffff) == key;
	bool same_base = u64map_get(&w->base, g->goid, &last_base) && last_base == base;
	struct rec_gsnap again;

	tick(w);
	if (!known && (rec_poll__read_gs(c->p, &g->g, 1, &again) || again.goid != g->goid))
		return 0; /* the next walk sees it as it is */

	if (c->adopt && !known) {
		int err = rec_ingest__adopt(w->o.ing, g->g, g->goid, c->mono);

		if (err)
			return err;
	}
	if (u64map_put(&w->last, g->goid, key | w->walk << 32) ||
	    u64map_put(&w->base, g->goid, base))
		return -ENOMEM;
	if (same)
		return 0;
	if (!w->o.stacks || !blocked(g))
		return emit(w, c->mono, g, 0);
	if (u64map_get(&w->stack, g->goid, &v) && v >> 32 == where(g)) {
		w->st.stacks_kept++;
		return emit(w, c->mono, g, (uint32_t)v);
	}
	if (xg_array_grow((void **)&w->pend, &w->cappend, w->npend + 1, sizeof(*w->pend)))
		return -ENOMEM;
	w->pend[w->npend++] =
	    (struct pending){*g, key, known && (last & 0xffffffff) == (key | KEY_OWED), same_base};
	return 0;
}

/* The snapshot of pd, with the outcome of its stack's last read. */
static int stack_final(struct walk_ctx *c, const struct pending *pd, enum rec_stack_status st,
		       const uint64_t *pcs, uint32_t n, bool truncated)
{
	struct rec_walk *w = c->w;
	uint32_t id = 0;
	uint64_t old;

	switch (st) {
	case REC_STACK_OK:
	case REC_STACK_BROKEN:
		id = rec_ingest__sched_stack(w->o.ing, pcs, n, truncated);
		w->st.stacks++;
		/* woke and parked again where it was: what its last snapshot said still holds */
		if (pd->same_base && !pd->retry && id && u64map_get(&w->stack, pd->g.goid, &old) &&
		    (uint32_t)old == id)
			return u64map_put(&w->stack, pd->g.goid,
					  (uint64_t)where(&pd->g) << 32 | id);
		/* fall through */
	case REC_STACK_NONE:
		w->st.stacks_none += st == REC_STACK_NONE;
		if (u64map_put(&w->stack, pd->g.goid, (uint64_t)where(&pd->g) << 32 | id))
			return -ENOMEM;
		break;
	case REC_STACK_MOVED:
	case REC_STACK_BUDGET:
		/* a later walk sends this goroutine's snapshot again, with its stack; this one
		 * goes out now without it, unless an earlier one did */
		w->st.stacks_moved += st == REC_STACK_MOVED;
		w->st.stacks_owed += st == REC_STACK_BUDGET;
		if (u64map_put(&w->last, pd->g.goid, (pd->key | KEY_OWED) | w->walk << 32))
			return -ENOMEM;
		if (pd->retry)
			return 0;
		break;
	}
	return emit(w, c->mono, &pd->g, id);
}

static int stack_done(size_t i, enum rec_stack_status st, const uint64_t *pcs, uint32_t n,
		      bool truncated, void *arg)
{
	struct walk_ctx *c = arg;

	tick(c->w);
	if (!c->last && st != REC_STACK_OK && st != REC_STACK_BUDGET) {
		c->again[c->nagain++] = c->todo[i];
		return 0;
	}
	return stack_final(c, &c->w->pend[c->todo[i]], st, pcs, n, truncated);
}

/* The frame pointer of g's innermost frame when g is in a system call and Go (before 1.23)
 * did not save it: found from the frame's size at g.sched.pc. On amd64 the saved frame
 * pointer sits just below the return address, at the top of the frame; on arm64 the frame
 * record sits just below the frame's stack pointer (a function with a frame keeps x29 = sp - 8).
 * 0 when not known. */
static uint64_t syscall_bp(const struct rec_walk *w, const struct rec_gsnap *g)
{
	const char *arch;
	int32_t d;

	if (!w->o.bin || g->sched_pc <= w->o.bias ||
	    gobin__pc_spdelta(w->o.bin, g->sched_pc - w->o.bias, &d) || d < 8)
		return 0;
	arch = gobin__info(w->o.bin)->goarch;
	if (!strcmp(arch, "arm64"))
		return g->sched_sp - 8;
	return strcmp(arch, "amd64") ? 0 : g->sched_sp + (uint64_t)d - 8;
}

/* One try of read_stacks(): the stacks of c->todo, with budget bytes. */
static int stacks_try(struct walk_ctx *c, uint64_t budget, struct rec_stack_stats *ss)
{
	struct rec_walk *w = c->w;

	for (size_t i = 0; i < c->ntodo; i++) {
		const struct rec_gsnap *g = &w->pend[c->todo[i]].g;
		struct rec_stack_req *q = &w->req[i];

		*q = (struct rec_stack_req){.g = g->g,
					    .goid = g->goid,
					    .state = g->state,
					    .pc = g->sched_pc,
					    .sp = g->sched_sp,
					    .bp = g->sched_bp,
					    .lo = g->stack_lo,
					    .hi = g->stack_hi};
		if (g->state == XG_G_SYSCALL && w->go_minor < 23)
			q->bp = syscall_bp(w, g);
	}
	return rec_poll__stacks(c->p, w->req, c->ntodo, budget, stack_done, c, ss);
}

/* A goroutine whose stack read went wrong, read again: 1 when it still waits as its snapshot
 * says (state, wait reason, goid), its g.sched updated (it may have woken and parked again on
 * the same line, or a few frames away); 0 when it is on its way (runnable, running): maybe
 * blocked again soon; -1 when it went elsewhere (another wait, or it exited). */
static int still_blocked(struct walk_ctx *c, struct pending *pd)
{
	struct rec_gsnap now;

	if (rec_poll__read_g(c->p, pd->g.g, &now) || now.goid != pd->g.goid)
		return -1;
	if (now.state == XG_G_RUNNABLE || now.state == XG_G_RUNNING)
		return 0;
	if (now.state != pd->g.state || (now.state == XG_G_WAITING && now.reason != pd->g.reason))
		return -1;
	pd->g.sched_pc = now.sched_pc;
	pd->g.sched_sp = now.sched_sp;
	pd->g.sched_bp = now.sched_bp;
	pd->g.stack_lo = now.stack_lo;
	pd->g.stack_hi = now.stack_hi;
	pd->key = snap_key(c->w, &pd->g, c->mono);
	return u64map_put(&c->w->last, pd->g.goid, pd->key | c->w->walk << 32) ? -1 : 1;
}

/*
 * The stacks of the goroutines whose snapshots wait for them, then their snapshots. A stack
 * read while its goroutine ran is read again in the same walk, up to STACK_TRIES times, once
 * its goroutine waits again as its snapshot says: a walk's snapshots carry the stacks of that
 * walk (the last walk of a recording has no later one to put them off to). It ran if its g
 * changed (moved), if the chain broke (frames rewritten under the read), or if the g said
 * where it waits but not from where (none: a g copied as it parked, its status read after
 * park_m set it and its g.sched before mcall did, still cleared by gogo). One on its way
 * (runnable, running) is looked at again up to STACK_PAUSES times, STACK_PAUSE_NS apart
 * (at most 0.4 ms in a walk). The budget holds for the first try; the tries again may go
 * past it by the stacks read again.
 */
#define STACK_TRIES    3
#define STACK_PAUSES   4
#define STACK_PAUSE_NS 50000
static int read_stacks(struct walk_ctx *c)
{
	struct rec_walk *w = c->w;
	struct rec_stack_stats ss = {0};
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC), budget = w->o.stack_budget;
	int err;

	if (!w->npend)
		return 0;
	if (xg_array_grow((void **)&w->req, &w->capreq, w->npend, sizeof(*w->req)) ||
	    xg_array_grow((void **)&w->idx, &w->capidx, 2 * w->npend, sizeof(*w->idx)))
		return -ENOMEM;
	c->todo = w->idx;
	c->again = w->idx + w->npend;
	c->ntodo = w->npend;
	for (size_t i = 0; i < w->npend; i++)
		c->todo[i] = i;
	for (int try = 1; c->ntodo; try++) {
		size_t n;

		c->last = try == STACK_TRIES;
		c->nagain = 0;
		err = stacks_try(c, budget, &ss);
		if (err)
			return err;
		budget = ss.bytes < w->o.stack_budget ? w->o.stack_budget - ss.bytes : 1;
		/* the ones to try again: those waiting again as they did are read in the next
		 * try; those on their way are given a moment; the others get their snapshot now */
		c->ntodo = 0;
		n = c->nagain;
		for (int pause = 0; n; pause++) {
			size_t later = 0;

			if (pause)
				nanosleep(&(struct timespec){0, STACK_PAUSE_NS}, NULL);
			for (size_t i = 0; i < n; i++) {
				size_t k = c->again[i];
				int r = still_blocked(c, &w->pend[k]);

				if (r == 1) {
					c->todo[c->ntodo++] = k;
					w->st.stacks_retried++;
				} else if (r == 0 && pause < STACK_PAUSES) {
					c->again[later++] = k;
				} else {
					err = stack_final(c, &w->pend[k], REC_STACK_MOVED, NULL, 0,
							  false);
					if (err)
						return err;
				}
			}
			n = later;
		}
	}
	w->st.stack_bytes += ss.bytes;
	if (w->walk == 1)
		w->st.stack_bytes_first = ss.bytes;
	if (ss.bytes > w->st.stack_bytes_max)
		w->st.stack_bytes_max = ss.bytes;
	w->st.stack_walks += ss.bytes > 0;
	w->st.stack_syscalls += ss.syscalls;
	w->st.stack_ns += clock_ns(CLOCK_MONOTONIC) - t0;
	return 0;
}

/* Forgets the goroutines the last two walks did not see (they exited; one walk may miss a
 * goroutine whose g it read while the runtime was changing it). */
static void prune(struct rec_walk *w)
{
	uint64_t k, v, *gone = NULL;
	size_t n = 0, cap = 0, it = 0;

	while (u64map_next(&w->last, &it, &k, &v)) {
		if (v >> 32 >= w->walk - 1)
			continue;
		if (n == cap) {
			uint64_t *a = realloc(gone, (cap = cap ? cap * 2 : 64) * sizeof(*a));

			if (!a)
				break;
			gone = a;
		}
		gone[n++] = k;
	}
	for (size_t i = 0; i < n; i++) {
		u64map_del(&w->last, gone[i]);
		u64map_del(&w->stack, gone[i]);
		u64map_del(&w->base, gone[i]);
	}
	free(gone);
}

void rec_walk__forget(struct rec_walk *w)
{
	u64map_clear(&w->last);
	u64map_clear(&w->base);
}

int rec_walk__run(struct rec_walk *w, struct rec_poll *p, uint64_t mono, bool adopt)
{
	struct walk_ctx c = {.w = w, .p = p, .mono = mono, .adopt = adopt};
	int seen, err;

	w->walk++;
	w->npend = 0;
	seen = rec_poll__goroutines(p, snap_one, &c);
	err = seen < 0 ? seen : read_stacks(&c);
	if (err)
		return err;
	prune(w);
	w->st.walks++;
	mono = clock_ns(CLOCK_MONOTONIC) - mono;
	w->st.ns += mono;
	w->st.last_ns = mono;
	if (w->walk == 1)
		w->st.first_ns = mono;
	return seen;
}
