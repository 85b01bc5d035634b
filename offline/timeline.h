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

#define TIMELINE_TRACK_GC   (UINT64_MAX - 1) /* track ids of the non-goroutine tracks */
#define TIMELINE_TRACK_LOST (UINT64_MAX - 2)
#define TIMELINE_WINDOW_NS  100000000ULL /* allocation rate windows */

enum timeline_counter {
	TIMELINE_C_RUNNING,
	TIMELINE_C_RUNNABLE,
	TIMELINE_C_WAITING,
	TIMELINE_C_SYSCALL,
	TIMELINE_C_ALIVE,
	TIMELINE_C_HEAP_LIVE,
	TIMELINE_C_HEAP_GOAL,
	TIMELINE_C_ALLOC_RATE,
	TIMELINE_NCOUNTERS
};

struct timeline_counter_info {
	const char *name; /* "goroutines running", ... */
	const char *unit; /* "count", "bytes", "bytes/s" */
};
extern const struct timeline_counter_info timeline_counters[TIMELINE_NCOUNTERS];

struct timeline_ops {
	/* Once, before anything else: the target's pid and a process name. */
	int (*begin)(void *ctx, int64_t pid, const char *process);
	/* A goroutine track (goid), or TIMELINE_TRACK_GC / TIMELINE_TRACK_LOST, before its first
	 * use. */
	int (*track)(void *ctx, uint64_t track, const char *name);
	/* A slice begins; flow_end != 0: the flow with that id ends here. */
	int (*slice_begin)(void *ctx, uint64_t track, uint64_t ts, const char *name,
			   uint64_t flow_end);
	int (*slice_end)(void *ctx, uint64_t track, uint64_t ts);
	/* An instant; flow_begin != 0: a flow with that id starts here. goid/parent: 0 or the
	 * goroutines it is about (annotations). */
	int (*instant)(void *ctx, uint64_t track, uint64_t ts, const char *name,
		       uint64_t flow_begin, uint64_t goid);
	int (*counter)(void *ctx, enum timeline_counter c, uint64_t ts, int64_t value);
	/* Once, at the end. */
	int (*end)(void *ctx, uint64_t ts);
	void *ctx;
};

struct timeline_stats {
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
int timeline_walk(struct trace *t, const struct timeline_ops *ops, struct timeline_stats *st);

/* The slice name of a goroutine state: "running", "waiting:chan receive", ... into buf. */
const char *timeline_state_name(char *buf, size_t len, unsigned int state, const char *reason);

#endif /* XG_OFFLINE_TIMELINE_H */
