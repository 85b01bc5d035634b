/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Event chunks (SPEC.md "CHUNK record"): the columnar encoder used by the writer and the decoder
 * used by the reader. A chunk stands alone: every context (previous ts, per-CPU thread and
 * goroutine) starts fresh in each chunk.
 */
#ifndef XG_FORMAT_CHUNK_H
#define XG_FORMAT_CHUNK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format/event.h"
#include "format/xgt.h"

/* A growable byte buffer. */
struct tf_buf {
	uint8_t *p;
	size_t len, cap;
};

/* Makes room for extra more bytes. 0 or -ENOMEM. */
int tf_buf__reserve(struct tf_buf *b, size_t extra);
int tf_buf__append(struct tf_buf *b, const void *data, size_t len);
void tf_buf__free(struct tf_buf *b);

#define TF_COLBIT(c)  (1ULL << (c))
#define TF_COLS_ALL   (~0ULL)
#define TF_COLS_KNOWN (((1ULL << TF_COL_MAX) - 1) & ~1ULL)

/* Per-column sizes of what an encoder or decoder has processed. */
struct tf_col_stats {
	uint64_t raw[TF_COL_MAX];    /* bytes before compression */
	uint64_t stored[TF_COL_MAX]; /* bytes in the file */
};

struct tf_chunk_enc;

/* level: zstd level (1..19; <= 0 stores columns uncompressed). NULL with errno set. */
struct tf_chunk_enc *tf_chunk_enc__new(int level);
void tf_chunk_enc__free(struct tf_chunk_enc *e);
/* When a chunk is full: max_events rows (0 = TF_MAX_CHUNK_EVENTS), max_raw bytes of column data
 * (a soft limit checked every 256 rows; 0 = none), a ts span of max_ns (0 = none). */
void tf_chunk_enc__limits(struct tf_chunk_enc *e, uint32_t max_events, size_t max_raw,
			  uint64_t max_ns);
/*
 * Adds rows to the chunk being built. Rows must come in non-decreasing ts order, within and
 * across calls. Returns how many were added (fewer than n, possibly 0, once the chunk is full)
 * or -ENOMEM. The rows are copied: they need not outlive the call.
 */
long tf_chunk_enc__add(struct tf_chunk_enc *e, const struct xg_event *const *rows, size_t n);
uint32_t tf_chunk_enc__count(const struct tf_chunk_enc *e);
bool tf_chunk_enc__full(const struct tf_chunk_enc *e);
/* ts of the first and the last row of the chunk being built. */
uint64_t tf_chunk_enc__ts_first(const struct tf_chunk_enc *e);
uint64_t tf_chunk_enc__ts_last(const struct tf_chunk_enc *e);
/* Compresses the chunk built so far into a CHUNK record payload appended to out, and starts a
 * new chunk. Nothing is appended when the chunk is empty. 0 or -errno. */
int tf_chunk_enc__finish(struct tf_chunk_enc *e, struct tf_buf *out);
/* Sizes of everything encoded so far. */
const struct tf_col_stats *tf_chunk_enc__stats(const struct tf_chunk_enc *e);
/* Bytes the encoder holds (buffers, zstd context). */
size_t tf_chunk_enc__mem(const struct tf_chunk_enc *e);

/* The uncompressed chunk header. */
struct tf_chunk_hdr {
	uint32_t n_events;
	uint32_t ncols;
	uint64_t ts_first, ts_last;
	uint64_t raw_bytes;    /* sum of the columns' raw_len */
	uint64_t stored_bytes; /* sum of the columns' stored_len */
};

/* Parses the header and column directory of payload (validating every length). 0 or -EINVAL
 * with a message (without location: the caller prefixes it). */
int tf_chunk__parse_hdr(const uint8_t *payload, size_t len, struct tf_chunk_hdr *h);

/*
 * One column of a block of decoded events: its values, in row order, for the rows whose kind is in
 *mask (bit k: rows of kind k; kinds past 63 never are), or for every row when mask is 0 (SPEC.md
 * section 9.1, "Which rows carry a value"). The values are typed by column (tf_col_width):
 *
 *	u64: ts goid parent_goid create_pc start_pc size weight heap_live heap_goal total_alloc
 *	     total_free count waited_ns created
 *	u32: tid reason stack create_fn start_fn type gc start_wrapper alive threads gomaxprocs
 *	     runnable
 *	u16: cpu
 *	u8:  kind, state (from << 4 | to), of
 *
 * A column absent from the chunk, or not decoded (column selection), has no values (p NULL,
 * n 0): the field is 0 on every row. Otherwise n is the number of the block's rows mask
 * selects.
 */
struct tf_column {
	union {
		const void *p;
		const uint8_t *u8;
		const uint16_t *u16;
		const uint32_t *u32;
		const uint64_t *u64;
	};
	uint64_t mask;
	uint32_t n;
};

/*
 * A block of decoded events, a column at a time: col[TF_COL_*] (format/xgt.h; col[0] unused).
 * ts and kind always have one value per row; cpu, tid and goid have one per row when decoded.
 * A row of a sparse column finds its value by counting the rows before it that the column's
 * mask selects:
 *
 *	for (uint32_t i = 0, j = 0; i < c->n; i++)
 *		if (XG_KIND_IN(c->col[TF_COL_SIZE].mask, c->col[TF_COL_KIND].u8[i]))
 *			bytes += c->col[TF_COL_SIZE].u64[j++];
 */
struct tf_columns {
	uint32_t n; /* events */
	/* rows already returned one at a time before the columns were asked for (after
	 * tf_reader__next or a seek): a reader that mixes the two starts at row first */
	uint32_t first;
	struct tf_column col[TF_COL_MAX];
};

/* Bytes of one decoded value of column col (1, 2, 4 or 8), 0 for an unknown column. */
unsigned int tf_col_width(unsigned int col);

struct tf_chunk_dec;

struct tf_chunk_dec *tf_chunk_dec__new(void);
void tf_chunk_dec__free(struct tf_chunk_dec *d);
/*
 * Loads a chunk payload for decoding the columns in cols (TF_COLBIT mask; the columns they
 * depend on are added), checking the directory against the kinds of the rows and
 * decompressing the columns. payload must stay valid until the next load. 0 or -errno with a
 * message (without location).
 */
int tf_chunk_dec__load(struct tf_chunk_dec *d, const uint8_t *payload, size_t len, uint64_t cols);
/*
 * The loaded chunk is decoded a block of up to 1024 events at a time, every loaded column of
 * the block at once; its last block is checked whole (each column's values end exactly at its
 * end, the last ts is the header's). Memory: the chunk's decompressed columns, and one block
 * of values.
 *
 * The next block as columns: 1 with *cols valid until the next call on d, 0 at the end of the
 * chunk, or -EINVAL (damaged column: the rest of the chunk is given up) with a message. When
 * the current block still has rows tf_chunk_dec__read did not return, or that its caller did
 * not use (unread, the last ones it returned), that block comes again with cols->first set.
 */
int tf_chunk_dec__cols(struct tf_chunk_dec *d, uint32_t unread, const struct tf_columns **cols);
/* The next up to n events of the chunk as rows, from one block's columns (fields of columns
 * not decoded are 0): the count, 0 at the end of the chunk, or -EINVAL (damaged column: the
 * rest of the chunk is given up) with a message. */
long tf_chunk_dec__read(struct tf_chunk_dec *d, struct xg_event *evs, size_t n);
/* The loaded chunk's header. */
const struct tf_chunk_hdr *tf_chunk_dec__hdr(const struct tf_chunk_dec *d);
/* Events per kind in the loaded chunk (256 entries). */
const uint32_t *tf_chunk_dec__kinds(const struct tf_chunk_dec *d);
/* The decoder's zstd context (created on first use; NULL when out of memory), for callers that
 * decompress other records: one context per reader. */
struct ZSTD_DCtx_s *tf_chunk_dec__zctx(struct tf_chunk_dec *d);
/* Events left in the loaded chunk. */
uint32_t tf_chunk_dec__left(const struct tf_chunk_dec *d);
const struct tf_col_stats *tf_chunk_dec__stats(const struct tf_chunk_dec *d);

/* The column's name in SPEC.md ("ts", "goid", ...), or NULL. */
const char *tf_col_name(unsigned int col);

#endif /* XG_FORMAT_CHUNK_H */
