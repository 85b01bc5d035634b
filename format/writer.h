/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Trace file writer (SPEC.md). record appends events from one or more producer threads; a
 * background thread sorts, encodes, compresses and writes them, so appending costs a copy under
 * a mutex.
 *
 *	TF_WRITER_OPTS(opts, .zstd_level = 3);
 *	struct tf_writer *w = tf_writer__open("out.xgt", meta, &opts);
 *	uint32_t fn = tf_writer__intern(w, "main.worker", 11);
 *	struct xg_event ev = {.ts = 10, .kind = XG_EV_GO_CREATE, .goid = 7, .start_fn = fn};
 *	tf_writer__append(w, &ev);
 *	err = tf_writer__close(w);
 *
 * Ordering. Events may arrive slightly out of ts order (several CPUs feeding one ring buffer).
 * The writer holds back the newest reorder_ns of trace time, sorts what it writes (stable: equal
 * ts keep their arrival order), and writes chunks whose ts ranges never go back, so readers get
 * non-decreasing ts. An event that arrives after events more than reorder_ns newer than it have
 * been written ("late") is written with its ts raised to the last written ts; tf_writer__stats()
 * and the file's index count such events. tf_writer__flush() writes everything held back, so
 * events older than the flush point that arrive afterwards are late too.
 *
 * Memory. Event buffers, the reorder buffer and the encoder's scratch stay within mem_limit
 * (default 64 MiB). When every buffer is full (the disk or the compressor cannot keep up),
 * tf_writer__append() blocks until the background thread frees one: backpressure, never
 * silent loss. tf_writer__stats() reports the time producers spent blocked.
 *
 * Durability. Records are appended whole, so a file cut anywhere (killed recorder, full disk)
 * reads up to its last complete record. Every flush_ms of wall-clock time (default 1000) the
 * background thread writes what it has, so a killed recorder loses at most about that much and
 * the file can be read while it grows. After a write error (ENOSPC, EIO) the file is cut back
 * to its last complete record, every later call returns the error, and tf_writer__close() still
 * releases everything.
 *
 * Threads. tf_writer__append/_append_batch/_flush/_intern/_intern_stack/_stats/_set_stop may be
 * called from any thread. tf_writer__close() must be the last call, with no other call running.
 */
#ifndef XG_FORMAT_WRITER_H
#define XG_FORMAT_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "format/event.h"
#include "format/meta.h"
#include "format/tables.h"

enum tf_fsync {
	TF_FSYNC_CLOSE = 0, /* default: fdatasync once, at close */
	TF_FSYNC_NONE = 1,  /* never: leave it to the kernel */
	TF_FSYNC_CHUNK = 2, /* after every batch of chunks written (and at close) */
};

#define TF_DEFAULT_LEVEL 3

/* Zero means "default" for every field. */
struct tf_writer_opts {
	size_t sz;		   /* sizeof(struct tf_writer_opts), for compatibility */
	uint32_t chunk_max_events; /* events per chunk; default 65536, at most 1 Mi */
	uint32_t chunk_max_bytes;  /* uncompressed column bytes per chunk (soft); default 4 MiB */
	uint64_t chunk_max_ns;	   /* trace time one chunk may span; default 1 s */
	uint64_t keyframe_ns;	   /* trace time between keyframes; default 1 s */
	uint64_t reorder_ns;	   /* reorder window; default 10 ms */
	int flush_ms;		   /* wall-clock write interval; default 1000; < 0: never */
	int zstd_level;		   /* default TF_DEFAULT_LEVEL; < 0: store uncompressed */
	size_t mem_limit;	   /* bytes; default 64 MiB; at least 16 MiB is used */
	enum tf_fsync fsync;
};

#define TF_WRITER_OPTS(name, ...)                                                                  \
	struct tf_writer_opts name = {.sz = sizeof(struct tf_writer_opts), __VA_ARGS__}

struct tf_writer_stats {
	uint64_t events;      /* appended */
	uint64_t written;     /* written to the file */
	uint64_t chunks;      /* chunk records written */
	uint64_t keyframes;   /* keyframe records written */
	uint64_t bytes;	      /* file size so far */
	uint64_t raw_bytes;   /* column bytes before compression */
	uint64_t late;	      /* events whose ts was raised (see "Ordering") */
	uint64_t late_max_ns; /* the largest such raise */
	uint64_t blocked_ns;  /* time producers waited for a free buffer */
	uint64_t lost;	      /* sum of count over the lost events appended */
	size_t mem;	      /* bytes the writer holds */
};

struct tf_writer;

/*
 * Creates (truncating) path and writes the header and meta (copied; NULL for none). NULL with
 * errno set and a message (util/err.h) on failure.
 */
struct tf_writer *tf_writer__open(const char *path, const struct tf_meta *meta,
				  const struct tf_writer_opts *opts);
/* Same on an open file descriptor (kept; closed by tf_writer__close). name is for messages. */
struct tf_writer *tf_writer__open_fd(int fd, const char *name, const struct tf_meta *meta,
				     const struct tf_writer_opts *opts);

/* Appends one event (copied). Fields that SPEC.md does not store for ev->kind are dropped;
 * states are stored in 4 bits. 0, or -errno of an earlier write failure (see xg_errmsg()). */
int tf_writer__append(struct tf_writer *w, const struct xg_event *ev);
int tf_writer__append_batch(struct tf_writer *w, const struct xg_event *evs, size_t n);

/* Interns a string or stack into the file's tables (thread-safe); the entry is written before
 * the first chunk appended after this call. The id, or 0 with errno set. */
uint32_t tf_writer__intern(struct tf_writer *w, const char *s, size_t len);
uint32_t tf_writer__intern_stack(struct tf_writer *w, const struct xg_frame *frames, uint32_t n);
/*
 * The tables, to resolve ids (sink_info.names). Reading them races with tf_writer__intern*()
 * from other threads: read them from the thread that interns, or hold tf_writer__lock_tables().
 * Interning directly with tf_tables__intern() on them is allowed only under that lock.
 */
struct tf_tables *tf_writer__tables(struct tf_writer *w);
void tf_writer__lock_tables(struct tf_writer *w);
void tf_writer__unlock_tables(struct tf_writer *w);

/* Writes everything appended so far (including the reorder window) as complete records and
 * waits for it to reach the file (and the disk with TF_FSYNC_CHUNK). 0 or -errno. */
int tf_writer__flush(struct tf_writer *w);

void tf_writer__stats(struct tf_writer *w, struct tf_writer_stats *st);

/*
 * The trace time at which the recording stopped (the duration reached, the target exited, an
 * interrupt), for the index (SPEC.md section 12, stop): readers then give the recording's span
 * to that moment, not to its last event. Written at close, raised to the last event's ts when
 * it is earlier. Without a call, or with ts 0, the index says it is not known.
 */
void tf_writer__set_stop(struct tf_writer *w, uint64_t ts);

/*
 * Metadata known only at the end (what an import found in its input): written at close as a
 * second META record, after the last chunk and before the index; its entries replace the first
 * record's values of the same keys (SPEC.md section 6). Copied; a later call replaces it.
 * 0 or -ENOMEM.
 */
int tf_writer__set_final_meta(struct tf_writer *w, const struct tf_meta *meta);

/*
 * Writes everything, the index and the trailer, syncs per the fsync policy, closes the file and
 * frees w (NULL-safe). 0, or the first error met during the writer's life (-errno, message in
 * xg_errmsg()); the file then still reads up to its last complete record.
 */
int tf_writer__close(struct tf_writer *w);

#endif /* XG_FORMAT_WRITER_H */
