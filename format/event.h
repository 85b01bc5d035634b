/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The event vocabulary every part of xgotop speaks: what record produces, what a trace file
 * stores (SPEC.md), what replay re-emits and what the outputs consume.
 *
 * Kind and state numbers are stored in trace files: never renumber, never reuse. The JSON names
 * (xg_kind_name, xg_gstate_name) are the public schema of `--json` output: add, never rename.
 */
#ifndef XG_FORMAT_EVENT_H
#define XG_FORMAT_EVENT_H

#include <stdint.h>

enum xg_kind {
	XG_EV_NONE = 0,
	XG_EV_GO_CREATE = 1,	/* a goroutine was created */
	XG_EV_GO_EXIT = 2,	/* a goroutine exited (gdestroy / goexit0) */
	XG_EV_GO_STATE = 3,	/* a goroutine changed status */
	XG_EV_ALLOC = 4,	/* one heap allocation (full mode) */
	XG_EV_GC_START = 5,	/* a GC cycle started */
	XG_EV_GC_END = 6,	/* a GC cycle's mark phase ended */
	XG_EV_LOST = 7,		/* the kernel dropped `count` events of kind `of` on `cpu` */
	XG_EV_CPU_SAMPLE = 8,	/* a CPU profile sample of the goroutine on a thread */
	XG_EV_ALLOC_SAMPLE = 9, /* an allocation sampled by the runtime's MemProfileRate */
	XG_EV_HEAP = 10,	/* heap statistics read from the target */
	XG_EV_SNAPSHOT = 11,	/* one goroutine's status, from a periodic walk of allgs */
	XG_EV_KIND_MAX		/* one past the last kind */
};

/* Goroutine states: Go's _G* numbering with the _Gscan bit removed. */
enum xg_gstate {
	XG_G_IDLE = 0,
	XG_G_RUNNABLE = 1,
	XG_G_RUNNING = 2,
	XG_G_SYSCALL = 3,
	XG_G_WAITING = 4,
	XG_G_DEAD = 6,
	XG_G_COPYSTACK = 8,
	XG_G_PREEMPTED = 9,
	XG_G_LEAKED = 10,
	XG_G_STATE_MAX = 16 /* states are stored in 4 bits */
};

/*
 * One event. Which fields mean something depends on kind (listed per field); the others are
 * zero. String fields are ids into the trace's string table (struct tf_tables), 0 meaning "none";
 * stack is an id into its stack table, 0 meaning "no stack".
 */
struct xg_event {
	uint64_t ts;   /* ns since the trace's start (metadata "clock.start_ns") */
	uint64_t goid; /* the goroutine the event is about; 0 when none */
	uint32_t tid;  /* OS thread that produced the event; 0 when unknown */
	uint16_t cpu;  /* CPU that produced the event */
	uint8_t kind;  /* enum xg_kind */
	uint8_t from;  /* go_state: previous state (enum xg_gstate) */
	uint8_t to;    /* go_state, snapshot: new / current state */
	uint8_t of;    /* lost: kind of the dropped events */
	uint16_t pad;

	uint32_t reason; /* go_state, snapshot: wait reason string ("chan receive"); 0 = none */
	uint32_t stack;	 /* go_create, go_state, alloc, cpu_sample, alloc_sample: stack id */

	/* go_create */
	uint64_t parent_goid;	/* creating goroutine */
	uint64_t create_pc;	/* PC of the go statement (g.gopc) */
	uint64_t start_pc;	/* the goroutine's entry function (g.startpc) */
	uint32_t create_fn;	/* string: function containing create_pc */
	uint32_t start_fn;	/* string: the function the goroutine runs, as the bottom frame of
				 * Go's traceback names it (also set on snapshot) */
	uint32_t start_wrapper; /* string: the compiler wrapper at start_pc whose callee start_fn
				 * is (`go f(x)` makes main.main.gowrap1); 0 when none */
	uint32_t pad2;

	/* alloc, alloc_sample */
	uint64_t size;	 /* bytes requested */
	uint32_t type;	 /* string: type name; 0 = untyped (noscan) allocation */
	uint32_t gc;	 /* gc_start, gc_end, heap: GC cycle number (runtime's numgc) */
	uint64_t weight; /* alloc_sample: bytes the sample stands for (scaled by the rate) */

	/* lost: number of events dropped; count of kind `of` on `cpu` */
	uint64_t count;

	/* gc_start, gc_end, heap: heap figures in bytes, 0 when not available */
	uint64_t heap_live;   /* bytes in live + unswept spans (gcController.heapLive) */
	uint64_t heap_goal;   /* the heap size at which the next GC triggers */
	uint64_t total_alloc; /* cumulative bytes allocated */
	uint64_t total_free;  /* cumulative bytes freed */

	/* snapshot: how long the runtime says the goroutine had been blocked (waiting or in a
	 * syscall) at ts, from g.waitsince (set by the first GC cycle that saw it blocked, as
	 * Go's tracebacks print "[chan receive, 6 minutes]"): ts minus waitsince, approximate by
	 * about one GC cycle either way (SPEC.md section 10); 0 when the runtime does not know */
	uint64_t waited_ns;
};

/* "go_create", ... or NULL for a number that is not a kind. */
const char *xg_kind_name(unsigned int kind);
/* The kind named name, or -1. */
int xg_kind_parse(const char *name);

/* "idle", "runnable", "running", "syscall", "waiting", "dead", "copystack", "preempted",
 * "leaked", or NULL for a number that is not a state. */
const char *xg_gstate_name(unsigned int state);
int xg_gstate_parse(const char *name);

#endif /* XG_FORMAT_EVENT_H */
