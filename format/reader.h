/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Trace file reader (SPEC.md). replay, info, dump and the exports read traces through it; the
 * commands open a trace, or a bundle's, with offline/open.h and hand the reader on.
 *
 *	struct tf_reader *r = tf_reader__open("t.xgt", NULL);
 *	struct xg_event ev;
 *	while ((err = tf_reader__next(r, &ev)) > 0)
 *		use(&ev, tf_reader__tables(r));
 *	tf_reader__close(r);
 *
 * Or a block of up to 1024 events at a time, as one array per column (struct tf_columns,
 * format/chunk.h), the fast way when a reader wants a few fields of many events:
 *
 *	const struct tf_columns *c;
 *	while ((err = tf_reader__next_cols(r, &c)) > 0)
 *		for (uint32_t i = c->first; i < c->n; i++)
 *			use(c->col[TF_COL_TS].u64[i], c->col[TF_COL_KIND].u8[i]);
 *
 * Both go through one decoder: a block's columns are decoded, and tf_reader__next makes its
 * rows from them.
 *
 * The bytes come from a file (tf_reader__open), from memory the caller keeps
 * (tf_reader__open_mem), or from memory the reader owns and frees at close
 * (tf_reader__open_mem_owned: a bundle's trace).
 *
 * Open validates the header, then reads the index through the trailer; without a usable
 * trailer and index (recorder killed, disk full, file still being written) it scans the records
 * from the start up to the last complete one, and tf_reader__info() says what it recovered and
 * why the scan stopped. Metadata and tables are loaded at open; events are decoded one chunk at
 * a time, so memory stays O(chunk + tables) whatever the file size (plus the bytes themselves
 * when they are in memory).
 *
 * Damage: a chunk that fails its checksum or does not decode is skipped with a warning naming
 * its index and offset (from the block where decoding found the damage, when it is found
 * there), and reading goes on with the next one. Warnings go to opts.warn when set, else they
 * are kept (tf_reader__warnings()).
 *
 * Not thread-safe: one reader per thread.
 */
#ifndef XG_FORMAT_READER_H
#define XG_FORMAT_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format/chunk.h"
#include "format/event.h"
#include "format/gtrack.h"
#include "format/meta.h"
#include "format/tables.h"

/* Column selection for tf_reader_opts.columns / tf_reader__set_columns: a mask of
 * TF_READ_<column> bits (format/xgt.h column ids). ts and kind are always decoded. */
#define TF_READ(col) (1ULL << (col))
#define TF_READ_ALL  0ULL

struct tf_reader_opts {
	size_t sz; /* sizeof(struct tf_reader_opts) */
	/* Called for each damaged part skipped (message names what and where); NULL: kept. */
	void (*warn)(void *ctx, const char *msg);
	void *warn_ctx;
	uint64_t columns; /* decode only these columns (TF_READ mask); 0: all */
	bool no_index;	  /* ignore trailer and index: always scan (recovery, tests) */
};

#define TF_READER_OPTS(name, ...)                                                                  \
	struct tf_reader_opts name = {.sz = sizeof(struct tf_reader_opts), __VA_ARGS__}

struct tf_info {
	uint16_t major, minor;
	uint64_t compat, ro_compat, incompat;
	bool clean;	     /* closed properly: trailer and index present and valid */
	char recovery[512];  /* when not clean: what was recovered and why the scan stopped */
	uint64_t file_bytes; /* size of the file */
	uint64_t used_bytes; /* bytes up to the end of the last record read */
	uint64_t events;
	uint64_t chunks;
	uint64_t damaged; /* chunks skipped as damaged (known so far, or all after a full scan) */
	uint64_t keyframes;
	uint64_t strings, stacks, meta_entries;
	uint64_t ts_first, ts_last; /* trace time range; 0, 0 when there are no events */
	/* when the recording stopped (trace ns, from the index); 0 when not recorded (files before
	 * format 1.2, files not closed cleanly) */
	uint64_t stop_ts;
	/* the recording's span, what every tool reports: [0, span_ns), span_ns = stop_ts when
	 * known, else ts_last (and never less than ts_last) */
	uint64_t span_ns;
	uint64_t kinds[256];	    /* events per kind */
	uint64_t lost;		    /* sum of count over lost events */
	uint64_t late, late_max_ns; /* events whose ts the writer raised (from the index) */
	/* the probe budget's windows (window events, SPEC.md section 10), by the kind they are
	 * about: window events, and the time its probes were in; 0 events: not under a budget */
	uint64_t windows[XG_EV_KIND_MAX];
	uint64_t window_in_ns[XG_EV_KIND_MAX];
	uint64_t raw_bytes;    /* column bytes before compression */
	uint64_t stored_bytes; /* column bytes in the file */
};

struct tf_reader;

/* NULL with errno set and a message (xg_errmsg()) naming the file and what is wrong. */
struct tf_reader *tf_reader__open(const char *path, const struct tf_reader_opts *opts);
/* Reads from memory (borrowed: must outlive the reader); name is used in messages. */
struct tf_reader *tf_reader__open_mem(const void *data, size_t len, const char *name,
				      const struct tf_reader_opts *opts);
/* The same, taking ownership of data (malloc'ed): tf_reader__close() frees it, and so does a
 * failed open, so the caller never frees it (a bundle's trace read into memory). */
struct tf_reader *tf_reader__open_mem_owned(void *data, size_t len, const char *name,
					    const struct tf_reader_opts *opts);
void tf_reader__close(struct tf_reader *r);

const struct tf_meta *tf_reader__meta(const struct tf_reader *r);
/* Valid until close; sinks may keep the pointers (format/tables.h). */
const struct tf_tables *tf_reader__tables(const struct tf_reader *r);

/* Facts about the file. Counts per kind come from the index, or from decoding the kind column
 * of every chunk when the file was not closed cleanly (O(file) then). info->damaged counts the
 * chunks found damaged so far; tf_reader__verify() checks them all. 0 or -errno. */
int tf_reader__info(struct tf_reader *r, struct tf_info *info);
/* Checks every chunk's checksum and header (reading the whole file): damaged ones are warned
 * about once, counted, and skipped by iteration. The number damaged, or -errno. */
int tf_reader__verify(struct tf_reader *r);

/* The next event in non-decreasing ts order: 1, 0 at the end, -errno on a fatal error (I/O,
 * out of memory). Damaged chunks are skipped with a warning, not an error. */
int tf_reader__next(struct tf_reader *r, struct xg_event *ev);
/* Up to n events into evs: the count, 0 at the end, or -errno. */
long tf_reader__read(struct tf_reader *r, struct xg_event *evs, size_t n);

/*
 * The next block of events as columns (struct tf_columns in format/chunk.h: typed arrays, which
 * rows a column has values for, and what an absent or unselected column means): 1, 0 at the
 * end, or -errno on a fatal error. Damaged chunks are skipped with a warning, as by
 * tf_reader__next; the column selection applies. *cols is valid until the next call on r.
 * After tf_reader__next or a seek, the block those stopped in comes whole, with the rows before
 * cols->first already returned; otherwise first is 0. The next call of either kind goes on
 * with the block after it.
 */
int tf_reader__next_cols(struct tf_reader *r, const struct tf_columns **cols);

/* Decode only these columns from the next chunk on (TF_READ mask; 0 = all). */
void tf_reader__set_columns(struct tf_reader *r, uint64_t columns);

/*
 * Positions the reader so the next event is the first with ts >= ts, using the index and the
 * nearest keyframe before it, and computes the goroutine states just before ts (all events
 * with a smaller ts applied; format/gtrack.h rules). 0 or -errno.
 */
int tf_reader__seek(struct tf_reader *r, uint64_t ts);
/* The goroutines alive at the last seek point, sorted by goid; valid until the next seek.
 * Before any seek: none. */
const struct tf_goroutine *tf_reader__goroutines(struct tf_reader *r, size_t *n);

/* Warnings kept so far (when opts.warn is NULL). */
const char *const *tf_reader__warnings(const struct tf_reader *r, size_t *n);

#endif /* XG_FORMAT_READER_H */
