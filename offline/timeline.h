/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The timeline the trace-viewer exports draw (Perfetto protobuf, Chrome JSON): a walk over a
 * trace that calls a backend for tracks, slices, instants, flows and counters, so both
 * formats show the same thing.
 *
 *   one track per goroutine, named "G<goid> <start function>", first named when first seen
 *   state slices on it: "running", "runnable", "syscall", "waiting:<reason>" (or "waiting"),
 *     and the other state names ("copystack", "preempted", ...); a new slice when the state or
 *     the wait reason changes; all closed at the recording's end (its span)
 *   a flow from creator to created goroutine: an instant "go <start fn>" on the creator's track
 *     starts it, the created goroutine's first slice ends it (flow id = the new goid); only
 *     when the go_create is the first event about the new goroutine and the parent is known
 *   counters: goroutines running, runnable, waiting, in syscall and alive (after each trace
 *     time at which they changed), heap live and heap goal (from gc_start, gc_end and heap
 *     events), allocation rate in bytes/s per 100 ms window (scaled like model/model.h)
 *   a "GC" track with a slice "GC <n>" from each gc_start to its gc_end, and a "lost events"
 *     track with an instant per lost-events record
 *
 * Goroutine states follow format/gtrack.h (late events ignored).
 */
#ifndef XG_OFFLINE_TIMELINE_H
#define XG_OFFLINE_TIMELINE_H

#include <stdint.h>

#include "offline/open.h"

#define XT_TRACK_GC   (UINT64_MAX - 1) /* track ids of the non-goroutine tracks */
#define XT_TRACK_LOST (UINT64_MAX - 2)
#define XT_WINDOW_NS  100000000ULL /* allocation rate windows */

enum xt_counter {
	XT_C_RUNNING,
	XT_C_RUNNABLE,
	XT_C_WAITING,
	XT_C_SYSCALL,
	XT_C_ALIVE,
	XT_C_HEAP_LIVE,
	XT_C_HEAP_GOAL,
	XT_C_ALLOC_RATE,
	XT_NCOUNTERS
};

struct xt_counter_info {
	const char *name; /* "goroutines running", ... */
	const char *unit; /* "count", "bytes", "bytes/s" */
};
extern const struct xt_counter_info xt_counters[XT_NCOUNTERS];

struct xt_ops {
	/* Once, before anything else: the target's pid and a process name. */
	int (*begin)(void *ctx, int64_t pid, const char *process);
	/* A goroutine track (goid), or XT_TRACK_GC / XT_TRACK_LOST, before its first use. */
	int (*track)(void *ctx, uint64_t track, const char *name);
	/* A slice begins; flow_end != 0: the flow with that id ends here. */
	int (*slice_begin)(void *ctx, uint64_t track, uint64_t ts, const char *name,
			   uint64_t flow_end);
	int (*slice_end)(void *ctx, uint64_t track, uint64_t ts);
	/* An instant; flow_begin != 0: a flow with that id starts here. goid/parent: 0 or the
	 * goroutines it is about (annotations). */
	int (*instant)(void *ctx, uint64_t track, uint64_t ts, const char *name,
		       uint64_t flow_begin, uint64_t goid);
	int (*counter)(void *ctx, enum xt_counter c, uint64_t ts, int64_t value);
	/* Once, at the end. */
	int (*end)(void *ctx, uint64_t ts);
	void *ctx;
};

struct xt_stats {
	uint64_t events;    /* read from the trace */
	uint64_t tracks;    /* goroutine tracks */
	uint64_t slices;    /* state slices on goroutine tracks */
	uint64_t flows;	    /* creator -> created */
	uint64_t counters;  /* counter points, all counters */
	uint64_t gc_slices; /* GC slices */
	uint64_t lost;	    /* lost-event instants */
	uint64_t ignored;   /* late goroutine events ignored */
	uint64_t end_ts;    /* the recording's end: its span (tf_info.span_ns), or the last event */
};

/* Walks the trace twice (names and allocation windows first, then the timeline; t's reader is
 * rewound with a seek to 0). 0, or -errno (the backend's error, or the reader's). */
int xt_walk(struct xg_trace *t, const struct xt_ops *ops, struct xt_stats *st);

/* The slice name of a goroutine state: "running", "waiting:chan receive", ... into buf. */
const char *xt_state_name(char *buf, size_t len, unsigned int state, const char *reason);

#endif /* XG_OFFLINE_TIMELINE_H */
