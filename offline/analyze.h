/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * One pass over a trace gathering what `check` and `diff` judge: goroutines by start function
 * (created, exited, alive at the end, most alive at once, time in each state), the goroutines
 * still alive at the end with their creation site, the longest waits, and the allocation
 * figures of the viewer's model (model/model.h: totals, by type, by site, scaled by the
 * sampling rate or weight) with the peak allocation rate and the peak heap.
 *
 * Goroutine states follow format/gtrack.h; time in a state is folded into the model's slots
 * (running, runnable, waiting, syscall, other). The runtime's own goroutines are those whose
 * start function is in package runtime, runtime/... or internal/... (bgsweep, bgscavenge,
 * forcegchelper, runfinq, GC mark workers, timer goroutines), plus os/signal.loop; the main
 * goroutine is goid 1 (or starts in runtime.main).
 */
#ifndef XG_OFFLINE_ANALYZE_H
#define XG_OFFLINE_ANALYZE_H

#include <stdbool.h>
#include <stdint.h>

#include "format/gtrack.h"
#include "offline/open.h"
#include "util/u64map.h"
#include "model/model.h"

/*
 * Goroutine tracking shared by the analysis and the exports: format/gtrack.h, plus two rules
 * for events that arrive out of causal order (goids are never reused): an event about a
 * goroutine that already exited is ignored, and a go_create about a goroutine already seen
 * adds its creation facts without resetting its state.
 */
struct xa_tracker {
	struct tf_gtrack *g;
	struct u64map gone; /* goids that exited */
};

int xa_tracker__init(struct xa_tracker *t);
void xa_tracker__fini(struct xa_tracker *t);
/*
 * Applies a goroutine event (go_create, go_state, go_exit, snapshot with goid != 0). *had says
 * whether the goroutine was known before, *before is its entry then, *after its entry now
 * (NULL when it is gone; valid until the next call). 0, 1 when the event was ignored (late),
 * or -ENOMEM.
 */
int xa_tracker__apply(struct xa_tracker *t, const struct xg_event *ev, bool *had,
		      struct tf_goroutine *before, const struct tf_goroutine **after);

/* Allocation rates: bytes per second over any second starting at a multiple of this (or over
 * the whole trace when it is shorter than a second). */
#define XA_WINDOW_NS 100000000ULL

/* Goroutines by start function. */
struct xa_fn {
	uint32_t fn; /* start function string id; 0: unknown */
	uint32_t pad;
	uint64_t created;	     /* go_create events */
	uint64_t exited;	     /* left the trace (go_exit / dead) */
	uint64_t live;		     /* alive now (at the end, once the pass is done) */
	uint64_t max_live;	     /* most alive at once */
	uint64_t slot_ns[GM_NSLOTS]; /* time spent in each slot, all its goroutines */
};

/* A goroutine alive at the end of the trace. */
struct xa_alive {
	uint64_t goid;
	uint64_t created_ts; /* ts of its go_create (when created) */
	uint64_t since_ts;   /* in its last state since */
	uint64_t create_pc;
	uint32_t start_fn, create_fn, reason, stack; /* stack: of its go_create, 0: none */
	uint8_t state;
	bool created; /* its go_create is in the trace (else it existed before) */
	bool runtime; /* the runtime's own goroutine, or main */
};

/* A wait of at least xa_opts.blocked_ns. */
struct xa_block {
	uint64_t goid;
	uint64_t from_ts, ns;
	uint32_t start_fn, reason;
	bool ongoing; /* still waiting at the end */
	bool runtime;
};

struct xa_opts {
	uint64_t blocked_ns; /* collect waits at least this long (0: none) */
};

struct xg_analysis {
	struct xg_trace *t; /* borrowed */
	struct gmodel *m;
	struct tf_info info;
	uint64_t end_ts; /* the last event's ts */
	uint64_t events;

	struct xa_fn *fns;
	uint32_t nfns, fns_cap;
	struct u64map fn_idx; /* start fn id -> index */

	struct xa_alive *alive; /* at the end, sorted by goid */
	uint32_t nalive;

	struct xa_block *blocks; /* waits >= opts.blocked_ns, in the order they ended */
	uint32_t nblocks, blocks_cap;

	uint64_t peak_goroutines, peak_goroutines_ts; /* non-system goroutines alive at once */
	uint64_t peak_heap, peak_heap_ts;	      /* largest heap_live seen */
	double peak_alloc_bps;	/* most bytes allocated in a second (scaled; see XA_WINDOW_NS) */
	uint64_t peak_alloc_ts; /* start of that second */

	/* internal */
	struct xa_tracker tr;
	double rate;   /* alloc sampling rate */
	uint64_t *win; /* scaled bytes allocated per XA_WINDOW_NS */
	size_t nwin;
	struct u64map create_stack; /* goid -> 1 + stack id of its go_create */
	struct u64map fn_class;	    /* start fn id -> 1 runtime, 2 user */
	uint64_t user_live;
	struct xa_opts o;
};

/* Reads the whole trace. NULL with errno set and a message on failure (out of memory, I/O). */
struct xg_analysis *xg_analyze(struct xg_trace *t, const struct xa_opts *o);
void xg_analysis__free(struct xg_analysis *a);

/* The sampling rate of alloc events (metadata sample.alloc: "0.01", or an integer N meaning one
 * in N; 1 when absent), read as viewer/model.c reads it. */
double xa_alloc_rate(const struct tf_meta *meta);
/* The bytes and objects an allocation event stands for, scaled as viewer/model.c scales them:
 * alloc events by 1/rate, alloc_sample events by their weight. Other kinds: 0, 0. */
void xa_alloc_scale(double rate, const struct xg_event *ev, uint64_t *bytes, uint64_t *objs);

/* The runtime's system goroutines, by start function name (as runtime.NumGoroutine leaves
 * them out): runtime.*, runtime/..., internal/..., os/signal.loop; not runtime.main. */
bool xa_system_goroutine(const char *start_fn);
/* System goroutines and main (goid 1, or runtime.main): exempt from the leak and wait rules. */
bool xa_runtime_goroutine(uint64_t goid, const char *start_fn);

/* The string of an id in the trace ("" for 0). */
const char *xa_str(const struct xg_analysis *a, uint32_t id);

/* The frames of a stack from its first frame outside the runtime on (the allocator's and the
 * runtime's own frames above user code left out, as model/model.h names allocation sites:
 * runtime., runtime/internal, internal/); all of them when every frame is the runtime's. */
const struct xg_frame *xa_user_frames(const struct tf_tables *t, const struct xg_frame *fr,
				      uint32_t *n);
/* The frames of a creation stack from the go statement on: the frame at create_pc, else the
 * first in create_fn, else xa_user_frames(). NULL and *n = 0 when there is no stack. */
const struct xg_frame *xa_create_frames(const struct tf_tables *t, uint32_t stack,
					uint64_t create_pc, uint32_t create_fn, uint32_t *n);

/* Where goroutine g was created: the go statement's frame of its go_create stack
 * (xa_create_frames()), else the trace's PC tables (bundle symbols, traced binary), else just
 * the creating function. */
void xa_create_site(const struct xg_analysis *a, const struct xa_alive *g, struct xg_where *w);

#endif /* XG_OFFLINE_ANALYZE_H */
