/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The Go scheduler's counts read from the target's memory (sched events, SPEC.md section 10):
 *
 *   struct rec_sched *s = rec_sched__new(pid, bias, &off, &globals);
 *   struct rec_sched_counts c;
 *   enum rec_sched_bad why;
 *   if (!rec_sched__read(s, &c, &why)) ... c.created, c.alive ...
 *   rec_sched__free(s);
 *
 * A reading is three process_vm_readv calls: runtime.sched with the variables beside it
 * (allp's slice header, allglen, gomaxprocs, the extra M counts), then allp's array of P
 * pointers, then the fields of every P. Each figure is computed as the target's runtime
 * computes it (gcount(), mcount(), runtime/metrics' goroutines-created; the goid generator
 * less the per-P id caches before Go 1.26), without stopping the program: each value is what
 * it was at some instant of the read.
 *
 * The memory is another process's: every count and length read is bounded (allp's length
 * against gomaxprocs and its capacity against REC_SCHED_MAX_P, each P's id against its
 * index, id caches against the runtime's batch size, run queues against their size) and a
 * reading that fails a bound is dropped, with the reason (enum rec_sched_bad), never turned
 * into a wrong number. Not thread-safe: one reader per thread.
 */
#ifndef XG_RECORD_SCHED_H
#define XG_RECORD_SCHED_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "gobin/offsets.h"
#include "record/globals.h"

#define REC_SCHED_MAX_P (1u << 14) /* allp's capacity beyond this is not a count */

struct rec_sched_counts {
	uint64_t created;    /* goroutines created since the program started */
	uint32_t alive;	     /* runtime.NumGoroutine() */
	uint32_t threads;    /* mcount() */
	uint32_t gomaxprocs; /* 0 when runtime.gomaxprocs was not found */
	uint32_t runnable;   /* run queues, global and per P, with runnext */
};

/* Why a reading was dropped. */
enum rec_sched_bad {
	REC_SCHED_BAD_ALLP,  /* allp's length or capacity out of bounds, or not gomaxprocs */
	REC_SCHED_BAD_P,     /* a P of allp unreadable, nil, or not numbered by its index */
	REC_SCHED_BAD_COUNT, /* a count out of its bounds (id cache, run queue, free gs, Ms), or
			      * the global run queue changed while the Ps were read */
	REC_SCHED_BAD_MAX
};

/* "allp", "p", "count" */
const char *rec_sched_bad_name(enum rec_sched_bad why);

struct rec_sched;

/* What each figure needs, missing: NULL when every variable and field needed was found, else
 * what was not ("runtime.sched not found", ...). */
const char *rec_sched__missing(const struct go_offsets *off, const struct rec_globals *gl);

/* off and gl must outlive the reader. NULL with errno (ENOENT: rec_sched__missing says what
 * is). */
struct rec_sched *rec_sched__new(pid_t pid, uint64_t bias, const struct go_offsets *off,
				 const struct rec_globals *gl);
void rec_sched__free(struct rec_sched *s);

/* Reads the counts into *c. 0; -ENODATA when the runtime has not started (allp is empty);
 * -EAGAIN when the reading was dropped, with *why; or -errno (-ESRCH: the process is gone;
 * -EFAULT: runtime.sched is not where it should be) with a message. */
int rec_sched__read(struct rec_sched *s, struct rec_sched_counts *c, enum rec_sched_bad *why);

#endif /* XG_RECORD_SCHED_H */
