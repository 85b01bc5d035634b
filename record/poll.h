/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Production mode's reads of the target's memory (process_vm_readv: no trap, no stop; the
 * target never notices beyond the kernel's page-table walk): the runtime's heap figures, and
 * every goroutine's status from runtime.allgs, at a fixed rate. What is read races with the
 * running program: each value is what it was at some instant during the read, and a goroutine
 * can change status while its neighbours are read.
 */
#ifndef XG_RECORD_POLL_H
#define XG_RECORD_POLL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "gobin/offsets.h"
#include "record/globals.h"

/* The runtime's heap figures (gcControllerState and mstats), 0 when unknown. */
struct rec_heap {
	uint64_t heap_live;   /* gcController.heapLive */
	uint64_t heap_goal;   /* gcController.gcPercentHeapGoal (else lastHeapGoal) */
	uint64_t heap_marked; /* gcController.heapMarked: live after the last cycle */
	uint64_t total_alloc; /* gcController.totalAlloc: bytes allocated, spans flushed so far */
	uint64_t total_free;  /* gcController.totalFree */
	uint32_t numgc;	      /* memstats.numgc; 0 when unknown */
	int64_t mem_profile_rate; /* runtime.MemProfileRate; 0 when unknown */
};

/* One goroutine, as read from its g. */
struct rec_gsnap {
	uint64_t g;
	uint64_t goid;
	uint64_t parent_goid;
	uint64_t gopc;	   /* runtime address */
	uint64_t startpc;  /* runtime address */
	uint8_t state;	   /* enum xg_gstate (scan bit removed; _Gdeadextra is dead) */
	uint8_t reason;	   /* raw g.waitreason */
	int64_t waitsince; /* raw g.waitsince: the runtime's nanotime (CLOCK_MONOTONIC) since
			    * when it is blocked, set by a GC cycle; 0 when not known */
	/* where it was switched out (g.sched: pc, sp, frame pointer) and its stack's bounds
	 * (g.stack.lo, hi): what its stack is walked from while it is off CPU; 0 when the
	 * offsets are unknown */
	uint64_t sched_pc, sched_sp, sched_bp;
	uint64_t stack_lo, stack_hi;
};

/* How long s had been blocked (waiting or in a syscall) at CLOCK_MONOTONIC ns mono, by its
 * g.waitsince (SPEC.md section 10, waited_ns): 0 when it is not blocked, the runtime has not
 * set waitsince, or waitsince is after mono (set after mono, or not a time). */
uint64_t rec_gsnap__waited(const struct rec_gsnap *s, uint64_t mono);

struct rec_poll;

/* off and gl must outlive the poller. NULL with errno. */
struct rec_poll *rec_poll__new(pid_t pid, uint64_t bias, const struct go_offsets *off,
			       const struct rec_globals *gl);
void rec_poll__free(struct rec_poll *p);

/* Whether the variables each read needs were found. */
bool rec_poll__can_heap(const struct rec_poll *p);
bool rec_poll__can_snapshot(const struct rec_poll *p);

/* 0, or -errno (-ESRCH: the process is gone; -EFAULT: the addresses do not hold what they
 * should), with a message. */
int rec_poll__heap(struct rec_poll *p, struct rec_heap *h);

/* memstats.numgc now: the GC cycles that ended. 0, -ENOENT when runtime.memstats was not
 * found, or -errno with a message. */
int rec_poll__numgc(struct rec_poll *p, uint32_t *n);
/* The end times (unix ns) of the last min(numgc, REC_GC_ENDS) GC cycles, oldest first, from
 * memstats.pause_end (each written after the cycle's sweep began); *n of them. 0, -ENOENT when
 * memstats is not where it should be, or -errno. */
#define REC_GC_ENDS 256
int rec_poll__gc_ends(struct rec_poll *p, uint64_t ends[REC_GC_ENDS], uint32_t *n);

/* runtime.MemProfileRate now, or 0 when unknown or unreadable. */
int64_t rec_poll__mem_rate(struct rec_poll *p);

/* Writes runtime.MemProfileRate (the one write xgotop ever makes into a target, on request).
 * 0 or -errno with a message. */
int rec_poll__set_mem_rate(struct rec_poll *p, int64_t rate);
/* Before a launched program runs: clears runtime.disableMemoryProfiling, so that its start-up
 * leaves MemProfileRate alone. 0 or -errno with a message. */
int rec_poll__enable_mem_profiling(struct rec_poll *p);

/* Reads the status and goid of the n goroutines whose g addresses are gs into out[] (g,
 * goid, state; the rest zero). A g that cannot be read gets state dead and goid 0. 0 or
 * -errno (-ESRCH: the process is gone) with a message. */
int rec_poll__read_gs(struct rec_poll *p, const uint64_t *gs, size_t n, struct rec_gsnap *out);

/* Reads the goroutine whose g is at g (all of rec_gsnap) into *out. 0, -ENOENT when the
 * offsets needed are unknown, or -errno with a message. */
int rec_poll__read_g(struct rec_poll *p, uint64_t g, struct rec_gsnap *out);

/* Calls fn for every goroutine that is not dead (fn's non-zero return stops the walk and is
 * returned). Returns the number of goroutines seen, or -errno with a message. */
int rec_poll__goroutines(struct rec_poll *p, int (*fn)(const struct rec_gsnap *g, void *ctx),
			 void *ctx);

/*
 * Stacks of goroutines that are off CPU (blocked, in a system call), walked along their frame
 * pointers from where the runtime switched them out, as the runtime's own tracebacks and the
 * BPF side's go_state stacks do: the first PC is g.sched.pc (a return address: mcall's or
 * entersyscall's), then [fp + 8] is the return address into the caller and [fp] the caller's
 * frame pointer, for each frame record inside the goroutine's stack [lo, hi) and above the
 * one before it. The walk ends at the chain's end (the goroutine's first frame holds frame
 * pointer 0), or REC_STACK_PCS PCs (then truncated), or else where the chain breaks: a frame
 * pointer outside the stack or below the one before, or a return address that cannot be
 * code (REC_STACK_BROKEN).
 *
 * Reads are batched (one process_vm_readv for REC_STACK_GROUP goroutines) and come in windows
 * of REC_STACK_WINDOW bytes from the frame pointer up: a goroutine's next window is read only
 * when its chain goes on past the last. budget bounds the bytes read per call: once spent, the
 * goroutines left get REC_STACK_BUDGET (the first goroutine read is read whole whatever the
 * budget, so that every call makes progress). After its stack, each goroutine's g is read
 * again: one that ran meanwhile (its g.sched, status or goid changed) gets REC_STACK_MOVED.
 */
#define REC_STACK_GROUP	 128
#define REC_STACK_WINDOW 4096
#define REC_STACK_PCS	 1024

/* A goroutine whose stack to walk: from its rec_gsnap (pc, sp: g.sched; lo, hi: g.stack) and
 * the frame pointer of its innermost frame (g.sched.bp where the runtime saved it). */
struct rec_stack_req {
	uint64_t g, goid;
	uint8_t state; /* as read: must be unchanged after the stack */
	uint64_t pc, sp, bp, lo, hi;
};

enum rec_stack_status {
	REC_STACK_OK,	 /* pcs hold its stack */
	REC_STACK_NONE,	 /* no frame chain where the g says (or its stack cannot be read) */
	REC_STACK_MOVED, /* it ran while its stack was read: read it again some other time */
	/* pcs hold the frames up to where the chain broke: a goroutine that ran while its stack
	 * was read and parked again in the same place (its g says what it said), or a chain
	 * through code without frame pointers */
	REC_STACK_BROKEN,
	REC_STACK_BUDGET, /* not read: the bytes allowed were spent */
};

struct rec_stack_stats {
	uint64_t bytes;	   /* stack bytes read */
	uint64_t windows;  /* windows read (one per goroutine and round) */
	uint64_t syscalls; /* process_vm_readv calls */
	uint64_t status[REC_STACK_BUDGET + 1];
};

/* The outcome for rq[i], in order: pcs[0..n) innermost first (pcs[0] is req.pc, all are
 * return addresses) when st is REC_STACK_OK or REC_STACK_BROKEN, valid during the call; truncated:
 * the chain went on past REC_STACK_PCS. Its non-zero return stops the walk and is returned. */
typedef int (*rec_stack_fn)(size_t i, enum rec_stack_status st, const uint64_t *pcs, uint32_t n,
			    bool truncated, void *ctx);

/* Walks the stacks of rq[0..n), at most budget bytes (see above), adding to *st. 0, -ENOENT
 * when the offsets needed are unknown, fn's return, or -errno (-ESRCH: the process is gone)
 * with a message. */
int rec_poll__stacks(struct rec_poll *p, const struct rec_stack_req *rq, size_t n, uint64_t budget,
		     rec_stack_fn fn, void *ctx, struct rec_stack_stats *st);
bool rec_poll__can_stacks(const struct rec_poll *p);

#endif /* XG_RECORD_POLL_H */
