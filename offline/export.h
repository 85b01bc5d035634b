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
 *   Parquet (DuckDB, ClickHouse, Spark...): one or many traces into an events file, a row per
 *     event with the JSON-lines schema's columns, a stacks file, a row per frame keyed by
 *     (trace_id, stack_id), and a traces file, a row per trace with its metadata;
 *     offline/parquet.h writes the files. SPEC.md section 20.
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

struct export_parquet_stats {
	uint64_t traces, events, stacks, frames;
	uint64_t row_groups;				   /* of the events file */
	uint64_t events_bytes, stacks_bytes, traces_bytes; /* written so far */
};

struct export_parquet;

/* Writes Parquet to events, stacks and traces (borrowed; the caller closes them after
 * export_parquet__close), row groups of at most row_group_rows rows (0: PQ_ROW_GROUP_ROWS).
 * NULL with errno set. */
struct export_parquet *export_parquet__new(FILE *events, FILE *stacks, FILE *traces,
					   uint32_t row_group_rows);
/* Appends t's events and stacks (t stays the caller's); damaged chunks are skipped as the reader
 * skips them. 0 or -errno (-EIO: a write error). */
int export_parquet__add(struct export_parquet *x, struct trace *t);
/* Writes the footers. 0 or -errno. */
int export_parquet__close(struct export_parquet *x);
void export_parquet__free(struct export_parquet *x);
void export_parquet__stats(const struct export_parquet *x, struct export_parquet_stats *st);

#endif /* XG_OFFLINE_EXPORT_H */
