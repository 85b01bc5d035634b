/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Walks of the target's goroutines (production mode's, once per snapshot interval, and full
 * mode's one at attach): every goroutine's g read from runtime.allgs (record/poll.h), and a
 * snapshot event for each one new or changed since the last walk (state, wait reason, the
 * runtime's waitsince, and for a blocked goroutine where it blocked). A goroutine parked for
 * hours costs one event, not one per walk.
 *
 *	struct rec_walk_opts o = {.ing = ing, .bin = bin, .bias = bias, .stacks = true};
 *	struct rec_walk *w = rec_walk__new(&o);
 *	n = rec_walk__run(w, poll, mono, false);     // each interval; then rec_ingest__walk_done()
 *	rec_walk__free(w);
 *
 * With opts.stacks, the snapshot of a goroutine that is blocked (waiting, in a system call,
 * preempted, leaked) carries the stack it waits in, walked from g.sched along the frame
 * pointers (rec_poll__stacks()) after the statuses, and expanded like every stack
 * (rec_ingest__sched_stack()), so it is what Go's traceback prints for that goroutine. A
 * stack is read when its goroutine's snapshot goes out, at most opts.stack_budget bytes per
 * walk: the goroutines left over get their snapshot without a stack, and once more with it in
 * a later walk. A goroutine whose snapshot goes out again while it still waits where it did
 * (only the runtime's waitsince changed) keeps the stack read before.
 *
 * Single-threaded, like the ingest it feeds.
 */
#ifndef XG_RECORD_WALK_H
#define XG_RECORD_WALK_H

#include <stdbool.h>
#include <stdint.h>

#include "gobin/gobin.h"
#include "record/ingest.h"
#include "record/poll.h"

/* rec_walk_opts.stack_budget's default: 4 MiB of stacks per walk */
#define REC_WALK_STACK_BUDGET (4u << 20)

struct rec_walk_opts {
	struct rec_ingest *ing;	 /* where the events go; must outlive the walker */
	const struct gobin *bin; /* the target's binary (frames of goroutines in a system call
				  * of Go 1.21 and 1.22, whose frame pointer the runtime did not
				  * save); NULL: those get no stack */
	uint64_t bias;		 /* runtime address - link-time address */
	bool stacks;		 /* stacks of blocked goroutines */
	uint64_t stack_budget;	 /* stack bytes read per walk at most; 0 = the default */
	/* called every REC_WALK_TICK goroutines and stacks, so that a long walk does not hold
	 * up what must happen on time (the probe budget's windows); NULL: none */
	void (*tick)(void *ctx);
	void *tick_ctx;
};

#define REC_WALK_TICK 64

struct rec_walk_stats {
	uint64_t walks;
	uint64_t events;		/* snapshot events queued */
	uint64_t ns, first_ns, last_ns; /* time in walks: all, the first, the last */
	uint64_t stack_ns;		/* of it, reading stacks and queueing their snapshots */
	uint64_t stacks;		/* snapshots given a stack read in their walk */
	uint64_t stacks_kept;	    /* snapshots given the stack read before (still waits there) */
	uint64_t stacks_none;	    /* blocked goroutines with no frame chain to read */
	uint64_t stacks_moved;	    /* read while the goroutine ran: retried in a later walk */
	uint64_t stacks_retried;    /* read again in the same walk (it ran while read, and
				     * still waits as its snapshot says) */
	uint64_t stacks_owed;	    /* not read for the budget: retried in a later walk */
	uint64_t stack_bytes;	    /* stack bytes read, all walks */
	uint64_t stack_bytes_first; /* in the first walk */
	uint64_t stack_bytes_max;   /* in the walk that read most */
	uint64_t stack_walks;	    /* walks that read stacks */
	uint64_t stack_syscalls;    /* process_vm_readv calls for stacks */
};

struct rec_walk;

/* NULL with errno. */
struct rec_walk *rec_walk__new(const struct rec_walk_opts *o);
void rec_walk__free(struct rec_walk *w);

/* One walk with p, started at CLOCK_MONOTONIC ns mono (the events' time): queues the snapshot
 * events (not the walk's mark). adopt: the goroutines new to the walks are adopted into the
 * ingest's exit tracking (rec_ingest__adopt()). The number of goroutines seen, or -errno with a
 * message (from p: -ESRCH when the process is gone). */
int rec_walk__run(struct rec_walk *w, struct rec_poll *p, uint64_t mono, bool adopt);

/* Forgets what the walks saw: the next walk queues a snapshot of every goroutine (after
 * status changes the walks did not see, e.g. probes' events). The stacks read stay: a
 * goroutine still waiting where one was read keeps it. */
void rec_walk__forget(struct rec_walk *w);

void rec_walk__stats(const struct rec_walk *w, struct rec_walk_stats *st);

#endif /* XG_RECORD_WALK_H */
