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

#include <stdbool.h>
#include <stdint.h>

/*
 * Which fields of struct xg_event a kind stores, in groups: the chunk columns written for its
 * rows (SPEC.md sections 9.2 and 10). Every kind stores ts, cpu, tid, kind and goid.
 */
enum xg_fields {
	XG_FLD_STATE = 1 << 0,	/* from, to, reason */
	XG_FLD_STACK = 1 << 1,	/* stack */
	XG_FLD_CREATE = 1 << 2, /* parent_goid, create_pc, start_pc, create_fn, start_fn,
				 * start_wrapper */
	XG_FLD_ALLOC = 1 << 3,	/* size, type */
	XG_FLD_WEIGHT = 1 << 4, /* weight */
	XG_FLD_HEAP = 1 << 5,	/* gc, heap_live, heap_goal, total_alloc, total_free */
	XG_FLD_LOST = 1 << 6,	/* count, of */
	XG_FLD_WAITED = 1 << 7, /* waited_ns */
	XG_FLD_SCHED = 1 << 8,	/* created, alive, threads, gomaxprocs, runnable */
};

/* What a kind is, besides its fields. */
enum xg_kind_flags {
	/* changes a goroutine's state (tf_goroutine__step in format/gtrack.h) */
	XG_KIND_GOROUTINE = 1 << 0,
	/* a sample or a periodic reading by nature, counted as it is: no "sample.<kind>"
	 * fraction applies to it (format/metakeys.h) */
	XG_KIND_SAMPLES = 1 << 1,
};

/*
 * The event kinds, one line each: X(arg, number, C name, name, fields, flags), arg being the
 * second argument of XG_EVENT_KINDS, passed through. The number is stored in files: never
 * renumber, never reuse; list the kinds in order, without gaps. XG_EV_<C name> is the enum;
 * the name is the kind's public name (xg_kind_name: JSON `kind`, `--events`, the "events" and
 * "sample.<kind>" metadata): add, never rename. fields: enum xg_fields; flags: enum
 * xg_kind_flags. HACKING.md "Adding an event kind" lists what else a new kind touches.
 */
#define XG_EVENT_KINDS(X, arg)                                                                     \
	/* a goroutine was created */                                                              \
	X(arg, 1, GO_CREATE, "go_create", XG_FLD_CREATE | XG_FLD_STACK, XG_KIND_GOROUTINE)         \
	/* a goroutine exited (gdestroy / goexit0) */                                              \
	X(arg, 2, GO_EXIT, "go_exit", 0, XG_KIND_GOROUTINE)                                        \
	/* a goroutine changed status */                                                           \
	X(arg, 3, GO_STATE, "go_state", XG_FLD_STATE | XG_FLD_STACK, XG_KIND_GOROUTINE)            \
	/* one heap allocation (full mode) */                                                      \
	X(arg, 4, ALLOC, "alloc", XG_FLD_ALLOC | XG_FLD_STACK, 0)                                  \
	/* a GC cycle started */                                                                   \
	X(arg, 5, GC_START, "gc_start", XG_FLD_HEAP, 0)                                            \
	/* a GC cycle's mark phase ended */                                                        \
	X(arg, 6, GC_END, "gc_end", XG_FLD_HEAP, 0)                                                \
	/* the kernel dropped `count` events of kind `of` on `cpu` */                              \
	X(arg, 7, LOST, "lost", XG_FLD_LOST, 0)                                                    \
	/* a CPU profile sample of the goroutine on a thread */                                    \
	X(arg, 8, CPU_SAMPLE, "cpu_sample", XG_FLD_STACK | XG_FLD_WEIGHT, XG_KIND_SAMPLES)         \
	/* an allocation sampled by the runtime's MemProfileRate */                                \
	X(arg, 9, ALLOC_SAMPLE, "alloc_sample", XG_FLD_ALLOC | XG_FLD_WEIGHT | XG_FLD_STACK,       \
	  XG_KIND_SAMPLES)                                                                         \
	/* heap statistics read from the target */                                                 \
	X(arg, 10, HEAP, "heap", XG_FLD_HEAP, XG_KIND_SAMPLES)                                     \
	/* one goroutine's status, from a periodic walk of allgs */                                \
	X(arg, 11, SNAPSHOT, "snapshot",                                                           \
	  XG_FLD_STATE | XG_FLD_STACK | XG_FLD_CREATE | XG_FLD_WAITED,                             \
	  XG_KIND_GOROUTINE | XG_KIND_SAMPLES)                                                     \
	/* the probes behind kind `of` went in (count 1) or out (count 0): the budget's windows */ \
	X(arg, 12, WINDOW, "window", XG_FLD_LOST, XG_KIND_SAMPLES)                                 \
	/* the probe budget changed to `count` parts per million of the target's CPU */            \
	X(arg, 13, BUDGET, "budget", XG_FLD_LOST, XG_KIND_SAMPLES)                                 \
	/* the scheduler's counts read from the target */                                          \
	X(arg, 14, SCHED, "sched", XG_FLD_SCHED, XG_KIND_SAMPLES)

#define XG__KIND_ENUM(arg, num, id, name, fields, flags) XG_EV_##id = (num),
/* clang-format off */
enum xg_kind {
	XG_EV_NONE = 0,
	XG_EVENT_KINDS(XG__KIND_ENUM, 0)
	XG_EV_KIND_MAX /* one past the last kind */
};
/* clang-format on */
#undef XG__KIND_ENUM

#define XG__KIND_ONE(arg, num, id, name, fields, flags) +1
_Static_assert(XG_EV_KIND_MAX == 1 XG_EVENT_KINDS(XG__KIND_ONE, 0),
	       "event kinds are numbered 1, 2, ... in XG_EVENT_KINDS' order");
#undef XG__KIND_ONE

#define XG__KIND_IF_FIELDS(want, num, id, name, fields, flags)                                     \
	| (((fields) & (want)) ? 1ULL << (num) : 0ULL)
#define XG__KIND_IF_FLAGS(want, num, id, name, fields, flags)                                      \
	| (((flags) & (want)) ? 1ULL << (num) : 0ULL)
/* The kinds that store any of the field groups in fields (enum xg_fields), as a constant set
 * of 1ULL << kind: the kind mask of a chunk column. */
#define XG_KINDS_WITH_FIELDS(fields) (0ULL XG_EVENT_KINDS(XG__KIND_IF_FIELDS, (fields)))
/* The kinds with any of flags (enum xg_kind_flags), as a constant set of 1ULL << kind. */
#define XG_KINDS_WITH_FLAGS(flags) (0ULL XG_EVENT_KINDS(XG__KIND_IF_FLAGS, (flags)))
/* Whether kind is in the set mask (of 1ULL << kind); kinds past 63 never are. */
#define XG_KIND_IN(mask, kind) ((unsigned int)(kind) < 64 && (((mask) >> (kind)) & 1))

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

	/* lost: number of events dropped; count of kind `of` on `cpu`. window: 1 the probes of
	 * kind `of` went in, 0 they went out. budget: the new budget, in parts per million of the
	 * target's CPU time */
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

	/* sched: the runtime's scheduler counts at ts, read from its memory (SPEC.md section
	 * 10); a count the runtime's variables could not give is left out (sched_has) */
	uint64_t created;    /* goroutines created since the program started */
	uint32_t alive;	     /* runtime.NumGoroutine() */
	uint32_t threads;    /* OS threads the runtime made (mcount()) */
	uint32_t gomaxprocs; /* runtime.GOMAXPROCS(0) */
	uint32_t runnable;   /* goroutines on run queues, global and per P */
};

/* "go_create", ... or NULL for a number that is not a kind. */
const char *xg_kind_name(unsigned int kind);
/* The kind named name, or -1. */
int xg_kind_parse(const char *name);

/* "idle", "runnable", "running", "syscall", "waiting", "dead", "copystack", "preempted",
 * "leaked", or NULL for a number that is not a state. */
const char *xg_gstate_name(unsigned int state);
int xg_gstate_parse(const char *name);

/*
 * Whether a wait with this reason (as Go spells it: "GC assist marking") is no block: the
 * runtime sets _Gwaiting only so that the GC or the tracer may take the goroutine's stack
 * while it goes on running on the system stack (Go's isWaitingForSuspendG: stopping the world,
 * GC mark termination and scans, a mark worker's or an assist's marking, the tracer writing
 * statuses, flushing caches). Its time is running time; Go's tracer does not write it.
 */
bool xg_wait_reason_runs(const char *reason);

#endif /* XG_FORMAT_EVENT_H */
