/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Ring-buffer records (struct xgb_event, bpf/events.h) to events (struct xg_event): names and
 * stacks resolved through the binary and interned into the trace's tables (each function, type
 * and stack once, cached by address), a short reorder window so that outputs get
 * non-decreasing timestamps, then delivery to the trace writer and, through the source's pump
 * (sink/sink.h), to the outputs. Once the outputs stopped, events still go to the writer.
 *
 * Single-threaded: one reader thread calls everything here.
 */
#ifndef XG_RECORD_INGEST_H
#define XG_RECORD_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format/event.h"
#include "format/writer.h"
#include "gobin/gobin.h"
#include "record/poll.h"
#include "sink/sink.h"

struct rec_ingest_opts {
	const struct gobin *bin;      /* for names; NULL: names stay 0 (benchmarks) */
	const struct go_offsets *off; /* wait reason names */
	uint64_t bias;		      /* runtime address - link-time address */
	uint64_t start_mono;	      /* CLOCK_MONOTONIC ns of trace time 0 */
	uint64_t reorder_ns;	      /* hold events this long before delivering */
	struct tf_writer *w;	      /* may be NULL */
	struct sink_pump *pump;	      /* to the outputs; may be NULL */
	/* production mode without the exit probe: keep the g of every goroutine created (and
	 * adopted), and report a goroutine's exit when a new goroutine is created on its g
	 * (rec_ingest__live() and rec_ingest__exited() let a poller find the others) */
	bool track_exits;
};

struct rec_ingest_stats {
	uint64_t records;		/* ring-buffer records taken */
	uint64_t bad;			/* malformed records */
	uint64_t delivered;		/* events delivered */
	uint64_t kinds[XG_EV_KIND_MAX]; /* delivered per kind */
	uint64_t late;			/* events older than what was already delivered */
	uint64_t unresolved;		/* goroutine events whose goid could not be looked up */
	uint64_t samples_typed;		/* alloc_sample events with a type */
	uint64_t exits_reused; /* track_exits: exits seen when a new goroutine took the g */
	uint64_t after_stop;   /* probe records from after the recording stopped, dropped */
	uint64_t lat_p50, lat_p99, lat_max, lat_n; /* probe-to-delivery delay (ns) */
};

struct rec_ingest;

struct rec_ingest *rec_ingest__new(const struct rec_ingest_opts *o);
void rec_ingest__free(struct rec_ingest *g);

/* Sets where events go to the outputs (before the first release; NULL: nowhere). */
void rec_ingest__set_pump(struct rec_ingest *g, struct sink_pump *pump);
/* A rec_ring_cb (record/ringbuf.h): takes one record. Returns -EAGAIN when the reorder queue
 * is full (release, then read on), another -errno when the writer failed or memory ran out. */
int rec_ingest__record(void *g, void *data, size_t size);
/* Queues an event made here (lost counts, heap figures). */
int rec_ingest__push(struct rec_ingest *g, const struct xg_event *ev);
/* Queues a snapshot event for goroutine s, read at CLOCK_MONOTONIC ns mono (names resolved
 * here), with stack id stack (0: none). 0 or -ENOMEM. */
int rec_ingest__snapshot(struct rec_ingest *g, uint64_t mono, const struct rec_gsnap *s,
			 uint32_t stack);
/* The stack id of the n PCs of an off-CPU goroutine's stack walked from g.sched (runtime
 * addresses, innermost first, every one a return address; rec_poll__stacks()), in the form
 * of the other kinds' stacks: inlined calls expanded, wrappers left out, ending at the top
 * frame; truncated: the chain went on past the last. 0 when none of them is code. */
uint32_t rec_ingest__sched_stack(struct rec_ingest *g, const uint64_t *pcs, uint32_t n,
				 bool truncated);
/* Queues the mark of a whole walk read at mono (a snapshot event with goid 0: every goroutine
 * without its own snapshot at that ts was seen as its last one says). 0 or -ENOMEM. */
int rec_ingest__walk_done(struct rec_ingest *g, uint64_t mono);
/* Goroutines created (or adopted) and not seen to exit: their g addresses and goids, valid
 * until the next call into the ingest. Returns how many. */
size_t rec_ingest__live(struct rec_ingest *g, const uint64_t **gs, const uint64_t **goids);
/* The goroutine goid on g has exited, seen at CLOCK_MONOTONIC ns mono: queues its go_exit
 * and forgets it. 0 or -ENOMEM. */
int rec_ingest__exited(struct rec_ingest *g, uint64_t gaddr, uint64_t goid, uint64_t mono);
/* A goroutine seen by a walk that no creation probe reported (it existed before the probes,
 * or was created while the creation probe was out under a budget): its exit is reported like
 * a created one's. A goroutine known before on the same g has exited (seen at mono): its
 * go_exit is queued. 0 or -ENOMEM. */
int rec_ingest__adopt(struct rec_ingest *g, uint64_t gaddr, uint64_t goid, uint64_t mono);

/* The runtime's MemProfileRate, for the weight of alloc_sample events (from then on);
 * 0 = unknown, the default 512 KiB is assumed. */
void rec_ingest__set_mem_rate(struct rec_ingest *g, int64_t rate);
/* Delivers queued events older than now_mono - reorder_ns (all when flush): to the writer, and
 * to the pump until its output stops the run (the pump says so). 0, or -errno when the writer
 * failed or memory ran out. */
int rec_ingest__release(struct rec_ingest *g, uint64_t now_mono, bool flush);
/* The tables names are interned into: the writer's, or the ingest's own without a writer. */
const struct tf_tables *rec_ingest__tables(const struct rec_ingest *g);
/* The last trace time delivered. */
uint64_t rec_ingest__now_ts(const struct rec_ingest *g);
void rec_ingest__stats(const struct rec_ingest *g, struct rec_ingest_stats *st);
/* Ends delay measurement for events delivered so far (e.g. the final drain after detaching
 * is not a live delay). */
void rec_ingest__stop_latency(struct rec_ingest *g);
/* The recording stopped at CLOCK_MONOTONIC ns mono: probe records from after it are dropped
 * (the probes go out one by one, and a record from a half-detached set could name a goroutine
 * from stale state). */
void rec_ingest__cut(struct rec_ingest *g, uint64_t mono);

#endif /* XG_RECORD_INGEST_H */
