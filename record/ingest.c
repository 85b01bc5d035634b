// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Ring-buffer records to events (record/ingest.h).
 *
 * Cost per record is a copy, a few cached lookups and an insertion into the reorder queue.
 * Names are looked up in the binary once per distinct address (function by PC, type by its
 * descriptor's address, wait reason by number, stack by a hash of its PCs) and interned into
 * the trace's string and stack tables, which then hold each of them once.
 *
 * Ordering: one ring buffer serves every CPU, and a record's timestamp is taken just before it
 * is reserved, so records from different CPUs can be out of order by the time between the two
 * (a few hundred ns, more if an interrupt hits). The queue holds events for reorder_ns after
 * their timestamp and delivers them sorted; an event older than one already delivered would be
 * "late" (counted; its ts is raised so outputs never see time go back).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bpf/events.h"
#include "bpf/goabi.h"
#include "format/event.h"
#include "record/ingest.h"
#include "util/array.h"
#include "util/err.h"
#include "util/u64map.h"

/*
 * Records are read without translating their numbers: the kinds and states the BPF side sends
 * (bpf/events.h, bpf/goabi.h: it cannot include format/) are format/event.h's.
 */
#define SAME_KIND(k)                                                                               \
	_Static_assert(XGB_EV_##k == XG_EV_##k, "bpf/events.h XGB_EV_" #k " is enum xg_kind's");
#define SAME_STATE(s)                                                                              \
	_Static_assert(GO_G_##s == XG_G_##s, "bpf/goabi.h GO_G_" #s " is enum xg_gstate's");
SAME_KIND(GO_CREATE)
SAME_KIND(GO_EXIT)
SAME_KIND(GO_STATE)
SAME_KIND(ALLOC)
SAME_KIND(GC_START)
SAME_KIND(GC_END)
SAME_KIND(CPU_SAMPLE)
SAME_KIND(ALLOC_SAMPLE)
SAME_STATE(IDLE)
SAME_STATE(RUNNABLE)
SAME_STATE(RUNNING)
SAME_STATE(SYSCALL)
SAME_STATE(WAITING)
SAME_STATE(DEAD)
SAME_STATE(PREEMPTED)
#undef SAME_KIND
#undef SAME_STATE
_Static_assert(XG_EV_KIND_MAX <= XGB_NKINDS, "a drop counter and a sampling rate per kind");
_Static_assert(XG_EV_KIND_MAX <= 32, "the kinds knob has a bit per kind");
_Static_assert(XG_G_STATE_MAX <= 256 && XG_EV_KIND_MAX <= 256, "kind, from and to are u8s");
_Static_assert(sizeof(struct xgb_event) % sizeof(uint64_t) == 0,
	       "the PCs after a record are u64-aligned");

/* Delay histogram: 16 sub-buckets per power of two. */
#define LAT_SUB	    16
#define LAT_BUCKETS (64 * LAT_SUB)
/* Events handed to the writer at once. */
#define RELEASE_RUN 256
/* The reorder queue holds at most this many events: beyond, rec_ingest__record() asks the
 * ring buffer's reader to stop (-EAGAIN), and release delivers the oldest ones early. */
#define QUEUE_HIGH (1u << 18)
/* ... and starts with room for this many: a reorder window and a poll interval of events at a
 * few million per second (a power of two) */
#define QUEUE_START (1u << 14)
/* runtime.MemProfileRate's default */
#define MEM_RATE_DEFAULT (512.0 * 1024)
/* frames of one stack after inline expansion (the format allows 4096) */
#define STACK_FRAMES 1024

/* A logical frame of a captured PC, with what Go's rule for hiding wrappers needs. */
struct pc_frame {
	struct xg_frame f;
	bool wrapper; /* compiler-generated: left out unless it called a panic */
	bool top;     /* a stack's outermost function (runtime.goexit, mstart): nothing follows */
	bool unknown; /* in no function of the binary */
	bool panics;  /* runtime.gopanic, sigpanic or panicwrap (a wrapper calling it stays) */
};

struct rec_ingest {
	struct rec_ingest_opts o;
	uint64_t cut_mono;     /* probe records after this are dropped (0: none) */
	struct tf_tables *own; /* tables when there is no writer */

	/* reorder queue: a ring of events sorted by ts from head to tail */
	struct xg_event *q;
	size_t cap, head, len;
	uint64_t last_ts; /* ts of the last event delivered */

	/* name caches */
	struct u64map fn_by_pc;	    /* link-time PC -> string id of its function */
	struct u64map type_by_addr; /* runtime *abi.Type -> string id */
	struct u64map start_by_pc;  /* link-time start PC -> start_fn | start_wrapper << 32 */
	struct u64map
	    target_by_g; /* g -> what its start wrapper calls (XGB_EVF_TARGET), link-time */
	struct u64map frame_by_pc; /* link-time PC << 1 | ret -> index << 8 | count in frames */
	struct pc_frame *frames;
	size_t nframes, capframes;
	struct u64map stack_by_hash; /* hash of the captured PCs -> stack id */
	struct u64map goid_by_g;     /* g address -> goid of the goroutine using it now */
	struct u64map curg_by_tid;   /* thread -> goid of the goroutine it runs (m.curg) */
	uint32_t reason_id[256];
	bool reason_done[256];
	struct u64map tsize_by_addr; /* runtime *abi.Type -> its Size_ + 1 (UINT64_MAX: not one) */
	/* track_exits: live goroutines by g; a go_exit found while converting a creation */
	struct u64map live_by_g;
	uint64_t *live_gs, *live_goids;
	size_t live_cap;
	bool exit_due;
	struct xg_event exit_ev;
	double mem_rate; /* MemProfileRate */

	/* delay measurement */
	bool lat_on;
	uint64_t lat[LAT_BUCKETS];
	uint64_t lat_n, lat_max;

	struct rec_ingest_stats st;
	int stop; /* the writer failed, or memory ran out: -errno */
};

static uint32_t intern(struct rec_ingest *g, const char *s, size_t len)
{
	return g->o.w ? tf_writer__intern(g->o.w, s, len) : tf_tables__intern(g->own, s, len);
}

static uint32_t intern_stack(struct rec_ingest *g, const struct xg_frame *f, uint32_t n)
{
	return g->o.w ? tf_writer__intern_stack(g->o.w, f, n)
		      : tf_tables__intern_stack(g->own, f, n);
}

struct rec_ingest *rec_ingest__new(const struct rec_ingest_opts *o)
{
	struct rec_ingest *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->o = *o;
	g->lat_on = true;
	g->mem_rate = MEM_RATE_DEFAULT;
	g->cap = QUEUE_START;
	g->q = malloc(g->cap * sizeof(*g->q));
	if (!g->o.w)
		g->own = tf_tables__new();
	if (!g->q || (!g->o.w && !g->own)) {
		rec_ingest__free(g);
		errno = ENOMEM;
		return NULL;
	}
	return g;
}

void rec_ingest__free(struct rec_ingest *g)
{
	if (!g)
		return;
	free(g->q);
	free(g->frames);
	u64map_free(&g->fn_by_pc);
	u64map_free(&g->type_by_addr);
	u64map_free(&g->frame_by_pc);
	u64map_free(&g->start_by_pc);
	u64map_free(&g->target_by_g);
	u64map_free(&g->stack_by_hash);
	u64map_free(&g->goid_by_g);
	u64map_free(&g->curg_by_tid);
	u64map_free(&g->tsize_by_addr);
	u64map_free(&g->live_by_g);
	free(g->live_gs);
	free(g->live_goids);
	tf_tables__free(g->own);
	free(g);
}

/* --- names ----------------------------------------------------------------------------------- */

/* The string id of Go function `name` as Go prints it (generic shapes as "[...]"). */
static uint32_t go_name_id(struct rec_ingest *g, const char *name)
{
	char buf[1024];

	gobin_func_print_name(name, gobin__info(g->o.bin)->go_minor, buf, sizeof(buf));
	return intern(g, buf, strlen(buf));
}

/* The function holding pc (not what it inlined: Go's "created by" names that one too). */
static uint32_t fn_id(struct rec_ingest *g, uint64_t pc)
{
	struct gobin_pcinfo pi;
	uint64_t id;

	if (!pc || !g->o.bin)
		return 0;
	if (u64map_get(&g->fn_by_pc, pc, &id))
		return (uint32_t)id;
	id = 0;
	if (!gobin__pc_lookup(g->o.bin, pc, &pi))
		id = go_name_id(g, pi.fn);
	u64map_put(&g->fn_by_pc, pc, id);
	return (uint32_t)id;
}

/* start_fn and start_wrapper of a goroutine starting at link-time pc (gobin__start_func). */
static void start_ids(struct rec_ingest *g, uint64_t pc, uint32_t *fn, uint32_t *wrapper)
{
	const char *name, *wname;
	uint64_t v = 0;

	*fn = *wrapper = 0;
	if (!pc || !g->o.bin)
		return;
	if (!u64map_get(&g->start_by_pc, pc, &v)) {
		if (!gobin__start_func(g->o.bin, pc, &name, &wname))
			v = go_name_id(g, name) | (uint64_t)(wname ? go_name_id(g, wname) : 0)
						      << 32;
		else
			v = fn_id(g, pc); /* a C function */
		u64map_put(&g->start_by_pc, pc, v);
	}
	*fn = (uint32_t)v;
	*wrapper = (uint32_t)(v >> 32);
}

static uint32_t type_id(struct rec_ingest *g, uint64_t typ)
{
	char name[256];
	uint64_t id;

	if (!typ || !g->o.bin)
		return 0;
	if (u64map_get(&g->type_by_addr, typ, &id))
		return (uint32_t)id;
	if (gobin__type_name(g->o.bin, typ - g->o.bias, name, sizeof(name)))
		snprintf(name, sizeof(name), "?type@0x%" PRIx64, typ - g->o.bias);
	id = intern(g, name, strlen(name));
	u64map_put(&g->type_by_addr, typ, id);
	return (uint32_t)id;
}

static uint32_t reason_id(struct rec_ingest *g, unsigned int r)
{
	const char *s;
	char buf[32];

	r &= 0xff;
	if (g->reason_done[r])
		return g->reason_id[r];
	if (g->o.off && r < g->o.off->nwaitreasons && g->o.off->waitreason[r][0]) {
		s = g->o.off->waitreason[r];
	} else {
		snprintf(buf, sizeof(buf), "waitreason %u", r);
		s = buf;
	}
	g->reason_id[r] = r ? intern(g, s, strlen(s)) : 0;
	g->reason_done[r] = true;
	return g->reason_id[r];
}

/*
 * The type of an alloc_sample, or 0. The BPF side read it from a spill slot record/plan.c
 * verified; still, it must be a type descriptor of the binary, of at most the sampled size.
 */
static uint32_t sample_type(struct rec_ingest *g, const struct xgb_event *r)
{
	uint64_t typ = r->alloc.type, v;
	char name[8];

	if (!typ || !g->o.bin || !g->o.off || g->o.off->type_size < 0 || typ < g->o.bias)
		return 0;
	if (!u64map_get(&g->tsize_by_addr, typ, &v)) {
		uint64_t sz = 0;

		/* (a name truncated into name[] is fine: it resolved) */
		if (gobin__read_vaddr(g->o.bin, typ - g->o.bias + (uint64_t)g->o.off->type_size,
				      &sz, sizeof(sz)) ||
		    gobin__type_name(g->o.bin, typ - g->o.bias, name, sizeof(name)))
			sz = UINT64_MAX - 1;
		v = sz + 1;
		u64map_put(&g->tsize_by_addr, typ, v);
	}
	if (v - 1 > r->alloc.size)
		return 0;
	g->st.samples_typed++;
	return type_id(g, typ);
}

/* What one sample of size bytes stands for at the runtime's sampling rate (the runtime samples
 * an allocation of size s with probability 1 - exp(-s/rate); pprof scales the same way). */
static uint64_t sample_weight(const struct rec_ingest *g, uint64_t size)
{
	double s = (double)size, rate = g->mem_rate;

	if (rate <= 1 || !size)
		return size;
	return (uint64_t)llround(s / (1.0 - exp(-s / rate)));
}

/*
 * The logical frames of link-time pc (ret: a return address, so the call before it is looked
 * up): the calls inlined there, innermost first, then the function holding the code, as Go's
 * tracebacks print them (gobin__pc_frames). Cached per pc; *out points into the cache, valid
 * until the next call. The count (>= 1), or -ENOMEM.
 */
static int frames_of(struct rec_ingest *g, uint64_t pc, bool ret, const struct pc_frame **out)
{
	uint64_t key = pc << 1 | ret, v;
	struct gobin_frame gf[GOBIN_MAX_PC_FRAMES];
	int n = 0;

	if (u64map_get(&g->frame_by_pc, key, &v)) {
		*out = &g->frames[v >> 8];
		return (int)(v & 0xff);
	}
	if (g->o.bin)
		n = gobin__pc_frames(g->o.bin, pc, ret, gf, GOBIN_MAX_PC_FRAMES);
	if (n <= 0) {
		n = 1;
		gf[0] = (struct gobin_frame){.fn = NULL};
	}
	/* (the grown array moves: *out is taken below) */
	if (xg_array_grow((void **)&g->frames, &g->capframes, g->nframes + (size_t)n,
			  sizeof(*g->frames)))
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		struct pc_frame *f = &g->frames[g->nframes + (size_t)i];

		memset(f, 0, sizeof(*f));
		f->f.pc = pc;
		f->unknown = g->o.bin && !gf[i].fn; /* without the binary, every PC is kept */
		if (!gf[i].fn)
			continue;
		f->top = gf[i].top;
		f->f.fn = go_name_id(g, gf[i].fn);
		f->f.file = gf[i].file[0] ? intern(g, gf[i].file, strlen(gf[i].file)) : 0;
		f->f.line = gf[i].line;
		f->f.flags = gf[i].inlined ? XG_FRAME_INLINED : 0;
		f->wrapper = gf[i].wrapper;
		f->panics = !strcmp(gf[i].fn, "runtime.gopanic") ||
			    !strcmp(gf[i].fn, "runtime.sigpanic") ||
			    !strcmp(gf[i].fn, "runtime.panicwrap");
	}
	if (u64map_put(&g->frame_by_pc, key, g->nframes << 8 | (uint64_t)n))
		return -ENOMEM;
	*out = &g->frames[g->nframes];
	g->nframes += (size_t)n;
	return n;
}

/*
 * The stack id of n captured PCs (innermost first). The first is where the probe hit unless
 * first_ret (it is then a return address, like all the others). Each PC is expanded into its
 * inlined calls, and compiler wrappers are left out unless they called a panic, as
 * runtime.CallersFrames and Go's tracebacks do. The stack ends at a top frame (runtime.goexit,
 * runtime.mstart), where Go's unwinder stops: a frame-pointer chain can go on into the thread's
 * C start code or garbage; and at a return address in no known function (a C frame without
 * symbols, or garbage). A first PC in no known function (a CPU sample in the vdso) is left out,
 * as Go's profiler does. truncated: the capture stopped at its limit.
 */
static uint32_t stack_id(struct rec_ingest *g, const uint64_t *pcs, uint32_t n, bool first_ret,
			 bool truncated)
{
	struct xg_frame frames[STACK_FRAMES];
	uint64_t h = 0xcbf29ce484222325ull ^ n ^ ((uint64_t)first_ret << 32) ^
		     ((uint64_t)truncated << 33),
		 id;
	uint32_t k = 0;
	bool panics = false;   /* the frame below (the callee) is a panic function */
	bool top_seen = false; /* the last frame kept is a top frame */

	for (uint32_t i = 0; i < n; i++)
		h = u64_hash(h ^ pcs[i]);
	if (u64map_get(&g->stack_by_hash, h, &id))
		return (uint32_t)id;
	for (uint32_t i = 0; i < n; i++) {
		const struct pc_frame *pf;
		int m = frames_of(g, pcs[i] - g->o.bias, i > 0 || first_ret, &pf);

		if (m < 0)
			return 0;
		if (pf[0].unknown && i == 0)
			continue; /* the vdso, say: Go's profiler starts at its Go caller too */
		if (pf[0].unknown) {
			truncated = false; /* the chain left the program: not cut by the limit */
			break;
		}
		if (top_seen) {
			truncated = false;
			break;
		}
		for (int j = 0; j < m; j++) {
			bool keep = !pf[j].wrapper || panics;

			panics = pf[j].panics;
			if (!keep)
				continue;
			if (k == STACK_FRAMES) {
				truncated = true;
				break;
			}
			frames[k++] = pf[j].f;
			top_seen = pf[j].top;
		}
	}
	if (!k)
		return 0;
	/* a kept inlined frame whose outer frames were all wrappers stands alone */
	frames[k - 1].flags &= ~(uint32_t)XG_FRAME_INLINED;
	if (truncated)
		frames[k - 1].flags |= XG_FRAME_TRUNCATED;
	id = intern_stack(g, frames, k);
	if (id)
		u64map_put(&g->stack_by_hash, h, id);
	return (uint32_t)id;
}

/* --- records --------------------------------------------------------------------------------- */

static bool on_cpu(unsigned int state)
{
	return state == XG_G_RUNNING || state == XG_G_SYSCALL;
}

/*
 * Goids the BPF side left out (lazy-goid mode, bpf/events.h): every goroutine's creation (and
 * a cgo callback's first state change) carries its goid and g, and a g keeps its goroutine
 * until the next creation on it, so the g says which goroutine an event is about. A thread runs
 * the goroutine last switched to running or syscall on it: that is m.curg, the goroutine on
 * whose behalf the runtime allocates on the system stack.
 */
static uint64_t goid_of(struct rec_ingest *g, const struct xgb_event *r)
{
	uint64_t goid = r->goid;

	if (goid) {
		if (r->g && r->kind != XG_EV_ALLOC)
			u64map_put(&g->goid_by_g, r->g, goid);
		return goid;
	}
	if (r->g && u64map_get(&g->goid_by_g, r->g, &goid))
		return goid;
	if (r->kind == XG_EV_ALLOC && u64map_get(&g->curg_by_tid, r->tid, &goid))
		return goid;
	if (r->kind == XG_EV_GO_STATE || r->kind == XG_EV_GO_EXIT || r->kind == XG_EV_GO_CREATE)
		g->st.unresolved++;
	return 0;
}

/* (a thread left running nothing keeps goid 0, which is what a lookup of no entry gives: a
 * put in place, cheaper than a delete and its shifts) */
static void track_curg(struct rec_ingest *g, const struct xgb_event *r, uint64_t goid)
{
	if (on_cpu(r->state.to))
		u64map_put(&g->curg_by_tid, r->tid, goid);
	else if (on_cpu(r->state.from))
		u64map_put(&g->curg_by_tid, r->tid, 0);
}

/*
 * track_exits: goroutine ev->goid starts on g r->g (a creation), or is seen there (a status
 * change). If that g carried another goroutine we knew, that one has exited (the runtime
 * reuses a g only after gdestroy): its go_exit goes out just before this event (queued by
 * rec_ingest__record() once ev is in).
 */
static void track_create(struct rec_ingest *g, const struct xgb_event *r, const struct xg_event *ev)
{
	uint64_t old;

	if (u64map_get(&g->live_by_g, r->g, &old)) {
		if (old == ev->goid)
			return;
		memset(&g->exit_ev, 0, sizeof(g->exit_ev));
		g->exit_ev.kind = XG_EV_GO_EXIT;
		g->exit_ev.goid = old;
		g->exit_ev.ts = ev->ts ? ev->ts - 1 : 0;
		g->exit_ev.tid = ev->tid;
		g->exit_ev.cpu = ev->cpu;
		g->exit_due = true;
		g->st.exits_reused++;
	}
	u64map_put(&g->live_by_g, r->g, ev->goid);
}

/* track_exits: goroutine goid on g gaddr exited, seen by a probe. */
static void track_exit(struct rec_ingest *g, uint64_t gaddr, uint64_t goid)
{
	uint64_t cur;

	if (u64map_get(&g->live_by_g, gaddr, &cur) && cur == goid)
		u64map_del(&g->live_by_g, gaddr);
}

/* 0, 1 for a record that only feeds the goid lookup, or -EINVAL. */
static int convert(struct rec_ingest *g, const struct xgb_event *r, const uint64_t *pcs,
		   struct xg_event *ev)
{
	/* copied rather than memset: GCC clears a struct this size with rep stos, whose start-up
	 * costs more than the copy of the whole */
	static const struct xg_event none;
	uint64_t bias = g->o.bias, target;
	uint32_t fn, wfn;

	*ev = none;
	ev->ts = r->ts > g->o.start_mono ? r->ts - g->o.start_mono : 0;
	ev->goid = goid_of(g, r);
	ev->tid = r->tid;
	ev->cpu = r->cpu;
	ev->kind = r->kind;
	switch (r->kind) {
	case XG_EV_GO_STATE:
		if (r->state.from >= XG_G_STATE_MAX || r->state.to >= XG_G_STATE_MAX)
			return -EINVAL;
		ev->from = r->state.from;
		ev->to = r->state.to;
		if (r->state.to == XG_G_WAITING)
			ev->reason = reason_id(g, r->state.reason);
		track_curg(g, r, ev->goid);
		/* a goroutine whose creation no probe saw (under a budget) is watched from its
		 * first status change seen, like a created one */
		if (g->o.track_exits && r->g && ev->goid && ev->to != XG_G_DEAD)
			track_create(g, r, ev);
		break;
	case XG_EV_GO_CREATE:
		if (r->create.flags & XGB_EVF_TARGET) {
			if (r->g && r->create.start_pc > g->o.bias)
				u64map_put(&g->target_by_g, r->g, r->create.start_pc - g->o.bias);
			return 1;
		}
		if (r->create.flags & XGB_EVF_INTERNAL)
			return 1;
		ev->parent_goid = r->create.parent_goid;
		ev->create_pc = r->create.create_pc ? r->create.create_pc - bias : 0;
		ev->start_pc = r->create.start_pc ? r->create.start_pc - bias : 0;
		/* gopc is the return address of the call to newproc: look up the call */
		ev->create_fn = ev->create_pc ? fn_id(g, ev->create_pc - 1) : 0;
		start_ids(g, ev->start_pc, &ev->start_fn, &ev->start_wrapper);
		if (r->g && u64map_get(&g->target_by_g, r->g, &target)) {
			/* a wrapper calling through its closure: BPF read what it calls */
			u64map_del(&g->target_by_g, r->g);
			/* (an interface's method may be a wrapper of its own: (*T).M for T.M) */
			start_ids(g, target, &fn, &wfn);
			if (!ev->start_wrapper && fn) {
				ev->start_wrapper = ev->start_fn;
				ev->start_fn = fn;
			}
		}
		/* the creation stack starts at the go statement, not in newproc on g0 */
		for (uint32_t i = 0; i < r->nframes; i++) {
			if (pcs[i] == r->create.create_pc) {
				ev->stack = stack_id(g, pcs + i, r->nframes - i, true,
						     r->sflags & XGB_STACK_TRUNCATED);
				break;
			}
		}
		if (g->o.track_exits && r->g)
			track_create(g, r, ev);
		break;
	case XG_EV_GO_EXIT:
		/* a probe saw it: the watch need not (it would see it again) */
		if (g->o.track_exits && r->g)
			track_exit(g, r->g, ev->goid);
		break;
	case XG_EV_ALLOC:
		ev->size = r->alloc.size;
		ev->type = type_id(g, r->alloc.type);
		break;
	case XG_EV_ALLOC_SAMPLE:
		ev->size = r->alloc.size;
		ev->type = sample_type(g, r);
		ev->weight = sample_weight(g, r->alloc.size);
		break;
	case XG_EV_CPU_SAMPLE:
		ev->weight = r->prof.ns;
		break;
	case XG_EV_GC_START:
	case XG_EV_GC_END:
		ev->gc = r->cycle;
		ev->heap_live = r->gc.heap_live;
		ev->heap_goal = r->gc.heap_goal;
		ev->total_alloc = r->gc.total_alloc;
		ev->total_free = r->gc.total_free;
		break;
	default:
		return -EINVAL;
	}
	if (r->nframes && !ev->stack)
		ev->stack = stack_id(g, pcs, r->nframes,
				     r->kind == XG_EV_GO_STATE && (r->state.flags & XGB_EVF_SCHED),
				     r->sflags & XGB_STACK_TRUNCATED);
	return 0;
}

/* Doubles the queue in place (realloc moves a large block's pages without copying or faulting
 * them in again): only the part that wrapped round to the start moves, to just past the old
 * end, where the larger ring puts it. */
static int grow(struct rec_ingest *g)
{
	size_t cap = g->cap * 2;
	struct xg_event *nq = realloc(g->q, cap * sizeof(*nq));

	if (!nq)
		return -ENOMEM;
	if (g->head + g->len > g->cap)
		memcpy(nq + g->cap, nq, (g->head + g->len - g->cap) * sizeof(*nq));
	g->q = nq;
	g->cap = cap;
	return 0;
}

/* The free slot at the tail of the queue, or NULL. */
static struct xg_event *tail_slot(struct rec_ingest *g)
{
	if (g->len == g->cap && grow(g))
		return NULL;
	return &g->q[(g->head + g->len) & (g->cap - 1)];
}

/* Takes the event written into tail_slot() into the queue, in ts order. */
static void commit_tail(struct rec_ingest *g)
{
	size_t mask = g->cap - 1, i = g->len++;
	struct xg_event ev;

	/* insertion from the back: records arrive nearly sorted, so this rarely moves any */
	if (i == 0 || g->q[(g->head + i - 1) & mask].ts <= g->q[(g->head + i) & mask].ts)
		return;
	ev = g->q[(g->head + i) & mask];
	while (i > 0 && g->q[(g->head + i - 1) & mask].ts > ev.ts) {
		g->q[(g->head + i) & mask] = g->q[(g->head + i - 1) & mask];
		i--;
	}
	g->q[(g->head + i) & mask] = ev;
}

int rec_ingest__push(struct rec_ingest *g, const struct xg_event *ev)
{
	struct xg_event *slot = tail_slot(g);

	if (!slot)
		return -ENOMEM;
	*slot = *ev;
	commit_tail(g);
	return 0;
}

uint32_t rec_ingest__sched_stack(struct rec_ingest *g, const uint64_t *pcs, uint32_t n,
				 bool truncated)
{
	return n ? stack_id(g, pcs, n, true, truncated) : 0;
}

int rec_ingest__snapshot(struct rec_ingest *g, uint64_t mono, const struct rec_gsnap *s,
			 uint32_t stack)
{
	struct xg_event ev = {0};
	uint64_t bias = g->o.bias;

	ev.ts = mono > g->o.start_mono ? mono - g->o.start_mono : 0;
	ev.kind = XG_EV_SNAPSHOT;
	ev.goid = s->goid;
	ev.from = ev.to = s->state < XG_G_STATE_MAX ? s->state : XG_G_DEAD;
	if (s->state == XG_G_WAITING)
		ev.reason = reason_id(g, s->reason);
	ev.parent_goid = s->parent_goid;
	ev.start_pc = s->startpc > bias ? s->startpc - bias : 0;
	ev.create_pc = s->gopc > bias ? s->gopc - bias : 0;
	start_ids(g, ev.start_pc, &ev.start_fn, &ev.start_wrapper);
	ev.create_fn = ev.create_pc ? fn_id(g, ev.create_pc - 1) : 0;
	ev.waited_ns = rec_gsnap__waited(s, mono);
	ev.stack = stack;
	return rec_ingest__push(g, &ev);
}

int rec_ingest__walk_done(struct rec_ingest *g, uint64_t mono)
{
	struct xg_event ev = {0};

	ev.ts = mono > g->o.start_mono ? mono - g->o.start_mono : 0;
	ev.kind = XG_EV_SNAPSHOT;
	return rec_ingest__push(g, &ev);
}

void rec_ingest__set_mem_rate(struct rec_ingest *g, int64_t rate)
{
	g->mem_rate = rate > 0 ? (double)rate : MEM_RATE_DEFAULT;
}

int rec_ingest__record(void *ctx, void *data, size_t size)
{
	struct rec_ingest *g = ctx;
	const struct xgb_event *r = data;
	struct xg_event *ev;
	int err;

	/* the next records: written by other CPUs, so every line is a cache miss */
	__builtin_prefetch((const char *)data + 256);
	__builtin_prefetch((const char *)data + 320);
	g->st.records++;
	if (size < sizeof(*r) || size < sizeof(*r) + (size_t)r->nframes * sizeof(uint64_t) ||
	    r->nframes > XGB_MAX_FRAMES) {
		g->st.bad++;
		return 0;
	}
	if (g->cut_mono && r->ts > g->cut_mono) {
		g->st.after_stop++;
		return 0;
	}
	/* converted in place, at the tail of the reorder queue */
	ev = tail_slot(g);
	if (!ev) {
		g->stop = -ENOMEM;
		return g->stop;
	}
	err = convert(g, r, (const uint64_t *)(r + 1), ev);
	if (err) {
		g->st.bad += err < 0;
		return 0;
	}
	commit_tail(g);
	if (g->exit_due) {
		g->exit_due = false;
		if (rec_ingest__push(g, &g->exit_ev))
			g->stop = -ENOMEM;
	}
	if (g->stop)
		return g->stop;
	return g->len >= QUEUE_HIGH ? -EAGAIN : 0;
}

size_t rec_ingest__live(struct rec_ingest *g, const uint64_t **gs, const uint64_t **goids)
{
	size_t n = 0, it = 0;
	uint64_t k, v;

	if (g->live_cap < g->live_by_g.len) {
		size_t cap = g->live_by_g.len * 2;
		uint64_t *a = realloc(g->live_gs, cap * sizeof(*a));
		uint64_t *b = a ? realloc(g->live_goids, cap * sizeof(*b)) : NULL;

		if (a)
			g->live_gs = a;
		if (b)
			g->live_goids = b;
		if (!a || !b) {
			*gs = *goids = NULL;
			return 0;
		}
		g->live_cap = cap;
	}
	while (u64map_next(&g->live_by_g, &it, &k, &v)) {
		g->live_gs[n] = k;
		g->live_goids[n++] = v;
	}
	*gs = g->live_gs;
	*goids = g->live_goids;
	return n;
}

int rec_ingest__exited(struct rec_ingest *g, uint64_t gaddr, uint64_t goid, uint64_t mono)
{
	struct xg_event ev = {0};
	uint64_t cur;

	/* only the goroutine still believed to be on gaddr (a creation may have come between) */
	if (!u64map_get(&g->live_by_g, gaddr, &cur) || cur != goid)
		return 0;
	u64map_del(&g->live_by_g, gaddr);
	ev.kind = XG_EV_GO_EXIT;
	ev.goid = goid;
	ev.ts = mono > g->o.start_mono ? mono - g->o.start_mono : 0;
	return rec_ingest__push(g, &ev);
}

int rec_ingest__adopt(struct rec_ingest *g, uint64_t gaddr, uint64_t goid, uint64_t mono)
{
	uint64_t cur;
	int err;

	if (u64map_get(&g->live_by_g, gaddr, &cur)) {
		/* (not by goid order: each P takes goids 16 at a time, so a g freed by goroutine
		 * 40 may be taken next by goroutine 35; the walk's read is never older than what
		 * the ingest has converted, as records are converted only between walks) */
		if (cur == goid)
			return 0;
		/* the g was reused by a goroutine whose creation no probe saw (it came while the
		 * creation probe was out): the one we knew on it has exited */
		err = rec_ingest__exited(g, gaddr, cur, mono);
		if (err)
			return err;
	}
	return u64map_put(&g->live_by_g, gaddr, goid) ? -ENOMEM : 0;
}

static void lat_add(struct rec_ingest *g, uint64_t d)
{
	unsigned int e = d ? 63 - (unsigned int)__builtin_clzll(d) : 0, sub;

	sub = e >= 4 ? (unsigned int)((d >> (e - 4)) & (LAT_SUB - 1)) : (unsigned int)d;
	g->lat[(e * LAT_SUB + sub) % LAT_BUCKETS]++;
	g->lat_n++;
	if (d > g->lat_max)
		g->lat_max = d;
}

static uint64_t lat_value(unsigned int b)
{
	unsigned int e = b / LAT_SUB, sub = b % LAT_SUB;

	if (e < 4)
		return sub;
	/* the middle of the bucket */
	return ((uint64_t)(LAT_SUB + sub) << (e - 4)) + ((1ull << (e - 4)) >> 1);
}

static uint64_t lat_quantile(const struct rec_ingest *g, double q)
{
	uint64_t want = (uint64_t)(q * (double)g->lat_n), seen = 0;

	if (!g->lat_n)
		return 0;
	for (unsigned int b = 0; b < LAT_BUCKETS; b++) {
		seen += g->lat[b];
		if (seen > want)
			return lat_value(b) < g->lat_max ? lat_value(b) : g->lat_max;
	}
	return g->lat_max;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int rec_ingest__release(struct rec_ingest *g, uint64_t now_mono, bool flush)
{
	uint64_t limit = now_mono - g->o.start_mono;
	uint64_t now = 0;
	int err;

	if (g->stop)
		return g->stop;
	limit = limit > g->o.reorder_ns ? limit - g->o.reorder_ns : 0;
	while (g->len) {
		/* the events due, as one run of contiguous slots (up to the ring's wrap) */
		size_t run = 0, max = g->cap - g->head < g->len ? g->cap - g->head : g->len;

		/* in runs short enough not to hold the writer's lock long */
		if (max > RELEASE_RUN)
			max = RELEASE_RUN;
		struct xg_event *first = &g->q[g->head];

		/* a full queue goes out early: the writer or the outputs are behind */
		while (run < max &&
		       (flush || first[run].ts <= limit || g->len - run > QUEUE_HIGH / 2)) {
			struct xg_event *ev = &first[run];

			if (ev->ts < g->last_ts) {
				g->st.late++;
				ev->ts = g->last_ts;
			}
			g->last_ts = ev->ts;
			if (g->lat_on && ev->kind != XG_EV_LOST) {
				if (!now)
					now = mono_ns() - g->o.start_mono;
				lat_add(g, now > ev->ts ? now - ev->ts : 0);
			}
			if (ev->kind < XG_EV_KIND_MAX)
				g->st.kinds[ev->kind]++;
			run++;
		}
		if (!run)
			break;
		if (g->o.w) {
			err = tf_writer__append_batch(g->o.w, first, run);
			if (err) {
				g->stop = err;
				return err;
			}
		}
		if (g->o.pump)
			sink_pump__events(g->o.pump, first, run);
		g->st.delivered += run;
		g->head = (g->head + run) & (g->cap - 1);
		g->len -= run;
	}
	return 0;
}

void rec_ingest__set_pump(struct rec_ingest *g, struct sink_pump *pump)
{
	g->o.pump = pump;
}

const struct tf_tables *rec_ingest__tables(const struct rec_ingest *g)
{
	return g->o.w ? tf_writer__tables(g->o.w) : g->own;
}

uint64_t rec_ingest__now_ts(const struct rec_ingest *g)
{
	return g->last_ts;
}

void rec_ingest__cut(struct rec_ingest *g, uint64_t mono)
{
	g->cut_mono = mono;
}

void rec_ingest__stop_latency(struct rec_ingest *g)
{
	g->lat_on = false;
}

void rec_ingest__stats(const struct rec_ingest *g, struct rec_ingest_stats *st)
{
	*st = g->st;
	st->lat_n = g->lat_n;
	st->lat_max = g->lat_max;
	st->lat_p50 = lat_quantile(g, 0.50);
	st->lat_p99 = lat_quantile(g, 0.99);
}
