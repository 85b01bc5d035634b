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
	uint32_t numgc;	      /* memstats.numgc */
	bool numgc_ok;
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

/* Calls fn for every goroutine that is not dead (fn's non-zero return stops the walk and is
 * returned). Returns the number of goroutines seen, or -errno with a message. */
int rec_poll__goroutines(struct rec_poll *p, int (*fn)(const struct rec_gsnap *g, void *ctx),
			 void *ctx);

#endif /* XG_RECORD_POLL_H */
