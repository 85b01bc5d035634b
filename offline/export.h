/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Exports of a trace for tools people already use:
 *
 *   Perfetto (ui.perfetto.dev, trace_processor): a protobuf TracePacket stream written
 *     directly (offline/pb.h), the timeline of offline/timeline.h: TrackDescriptors for the
 *     process, each goroutine, the counters, GC and lost events; TrackEvents with interned
 *     names (one sequence); slices, instants with flows, counters.
 *   Chrome JSON (chrome://tracing, Perfetto's JSON importer): the same timeline as B/E, i, s/f
 *     and C events; for small traces.
 *   pprof (go tool pprof): gzip-compressed profile.proto. Allocations by stack and type
 *     (sample types alloc_objects/count and alloc_space/bytes, scaled like model/model.h,
 *     a "type" label), or Go's goroutine profile at the recording's end (the goroutines alive
 *     by the stack they wait in: goroutines/count, created/count; "start_fn" and "created_by"
 *     labels), or CPU time.
 */
#ifndef XG_OFFLINE_EXPORT_H
#define XG_OFFLINE_EXPORT_H

#include <stdint.h>
#include <stdio.h>

#include "offline/open.h"
#include "offline/timeline.h"

/* Track uuids in Perfetto exports. */
#define PERFETTO_UUID_PROCESS	 1ULL
#define PERFETTO_UUID_COUNTER(c) (2ULL + (uint64_t)(c))
#define PERFETTO_UUID_GC	 16ULL
#define PERFETTO_UUID_LOST	 17ULL
#define PERFETTO_UUID_G(goid)	 ((1ULL << 32) + (goid))
#define PERFETTO_SEQUENCE	 1 /* trusted_packet_sequence_id of every packet */

struct export_stats {
	struct timeline_stats tl; /* timeline exports */
	uint64_t packets;	  /* Perfetto: TracePackets; Chrome JSON: events */
	uint64_t names;		  /* Perfetto: interned event names */
	uint64_t samples;	  /* pprof */
	uint64_t locations;	  /* pprof */
	uint64_t functions;	  /* pprof */
	uint64_t total[2];	  /* pprof: the sum of each sample value */
	uint64_t bytes;		  /* written (before gzip for pprof) */
};

/* Writes t to f. 0 or -errno (EIO on a write error). */
int export_perfetto(struct trace *t, FILE *f, struct export_stats *st);
int export_chrome(struct trace *t, FILE *f, struct export_stats *st);

enum export_profile {
	EXPORT_PROFILE_ALLOCS,
	EXPORT_PROFILE_GOROUTINES,
	EXPORT_PROFILE_CPU,
};

/* Writes a gzip-compressed profile to fd (not closed). 0 or -errno. */
int export_pprof(struct trace *t, enum export_profile p, int fd, struct export_stats *st);

#endif /* XG_OFFLINE_EXPORT_H */
