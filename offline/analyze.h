/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What `check` and `diff` judge, read from the goroutine model (model/model.h) after one pass
 * over a trace: goroutines by start function (the model's groups: created, exited, alive at
 * the end, most alive at once, time in each state), the goroutines still alive at the end with
 * their creation site, the waits of at least a limit, and the model's allocation figures
 * (totals, by type, by site, peak rate) and peak heap. The trace's span is the recording's
 * (tf_info.span_ns): what is still going on at the end is counted up to when recording stopped.
 */
#ifndef XG_OFFLINE_ANALYZE_H
#define XG_OFFLINE_ANALYZE_H

#include <stdbool.h>
#include <stdint.h>

#include "offline/open.h"
#include "util/u64map.h"
#include "model/model.h"

/* Goroutines by start function. */
struct analysis_fn {
	uint32_t fn;	   /* start function string id; 0: unknown */
	bool partial;	   /* some existed before they were seen: slot_ns are lower bounds */
	uint64_t created;  /* go_create events */
	uint64_t exited;   /* left the trace (go_exit / dead) */
	uint64_t live;	   /* alive now (at the end, once the pass is done) */
	uint64_t max_live; /* most alive at once */
	uint64_t slot_ns[GM_NSLOTS]; /* time spent in each slot, all its goroutines */
};

/* A goroutine alive at the end of the trace. */
struct analysis_alive {
	uint64_t goid;
	uint64_t parent_goid; /* 0 when unknown */
	uint64_t created_ts;  /* ts of its go_create (when created) */
	uint64_t since_ts;    /* in its last state since */
	uint64_t create_pc;
	uint32_t start_fn, create_fn, reason, stack; /* stack: of its go_create, 0: none */
	uint32_t where_stack; /* the stack it waits in (or last ran in); 0: not known */
	uint8_t state;
	bool created; /* its go_create is in the trace (else it existed before) */
	bool runtime; /* the runtime's own goroutine, or main */
	struct gm_time age, in_state;
	/* traces that see states at instants: when its state was last seen (0: exact traces) */
	uint64_t observed_ts;
};

/* A wait of at least analysis_opts.blocked_ns. */
struct analysis_block {
	uint64_t goid;
	uint64_t from_ts, ns;
	uint32_t start_fn, reason;
	bool ongoing;  /* still waiting at the end */
	bool at_least; /* it began before it was seen: ns is a lower bound */
	bool runtime;
};

struct analysis_opts {
	uint64_t blocked_ns; /* collect waits at least this long (0: none) */
	uint64_t until_ns;   /* read up to this trace time only (0: the whole trace) */
};

struct analysis {
	struct trace *t; /* borrowed */
	struct gmodel *m;
	struct tf_info info;
	uint64_t end_ts; /* the end of the recording (info.span_ns), or opts.until_ns */
	uint64_t events;

	struct analysis_fn *fns; /* the model's groups */
	uint32_t nfns;

	struct analysis_alive *alive; /* at the end, sorted by goid */
	uint32_t nalive;

	struct analysis_block *blocks; /* waits >= opts.blocked_ns: ended ones, then ongoing ones */
	uint32_t nblocks;

	uint64_t peak_goroutines, peak_goroutines_ts; /* non-system goroutines alive at once */
	uint64_t peak_heap, peak_heap_ts;	      /* largest heap_live seen */
	double peak_alloc_bps;	/* most bytes allocated in a second (scaled) */
	uint64_t peak_alloc_ts; /* start of that second */
	struct analysis_opts o;
};

/* Reads the whole trace. NULL with errno set and a message on failure (out of memory, I/O). */
struct analysis *analysis__new(struct trace *t, const struct analysis_opts *o);
void analysis__free(struct analysis *a);

/* The string of an id in the trace ("" for 0). */
const char *analysis_str(const struct analysis *a, uint32_t id);

/* The frames of a stack from its first frame outside the runtime on (the allocator's and the
 * runtime's own frames above user code left out, as model/model.h names allocation sites:
 * runtime., runtime/internal, internal/); all of them when every frame is the runtime's. */
const struct xg_frame *analysis_user_frames(const struct tf_tables *t, const struct xg_frame *fr,
					    uint32_t *n);
/* The frames of a creation stack from the go statement on: the frame at create_pc, else the
 * first in create_fn, else analysis_user_frames(). NULL and *n = 0 when there is no stack. */
const struct xg_frame *analysis_create_frames(const struct tf_tables *t, uint32_t stack,
					      uint64_t create_pc, uint32_t create_fn, uint32_t *n);

/* Where goroutine g was created: the go statement's frame of its go_create stack
 * (analysis_create_frames()), else the trace's PC tables (bundle symbols, traced binary), else just
 * the creating function. */
void analysis_create_site(const struct analysis *a, const struct analysis_alive *g,
			  struct trace_where *w);

#endif /* XG_OFFLINE_ANALYZE_H */
