/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A Parquet file writer (the Apache Parquet format: "PAR1", column chunks, a Thrift compact
 * FileMetaData footer, its length, "PAR1"), for flat schemas of INT64, BOOLEAN and BYTE_ARRAY
 * columns, required or optional, without a Parquet library.
 *
 *	static const struct pq_column cols[] = {
 *		{"ts", PQ_INT64, PQ_LOGICAL_NONE, false},
 *		{"fn", PQ_BYTE_ARRAY, PQ_LOGICAL_STRING, true},
 *	};
 *	struct pq_writer *w = pq_writer__new(f, cols, 2, NULL);
 *	pq_writer__put_i64(w, 0, ts); pq_writer__put_str(w, 1, s, len);	(a column left out is NULL)
 *	err = pq_writer__end_row(w);
 *	err = pq_writer__close(w);			(flushes, writes the footer)
 *	pq_writer__free(w);
 *
 * Rows are buffered per column up to opts.row_group_rows (then a row group is written), or until
 * pq_writer__flush(): memory is O(row_group_rows x columns), whatever the number of rows. String
 * values are borrowed: the bytes must stay valid and unchanged until the row group they are in
 * is written (the next flush, or the row that fills it).
 *
 * Each column chunk is one data page (v1: definition levels RLE/bit-packed hybrid, bit width 1,
 * for optional columns), preceded by a dictionary page when the chunk's values repeat enough
 * (RLE_DICTIONARY: every BYTE_ARRAY chunk of up to PQ_DICT_MAX distinct values, and an INT64
 * chunk whose distinct values are at most half its values); otherwise INT64 values are
 * DELTA_BINARY_PACKED and the others PLAIN. Pages are compressed with zstd and carry their
 * CRC-32. Every chunk has statistics: null_count, and min_value/max_value (signed for INT64,
 * unsigned for UINT64, bytewise for BYTE_ARRAY; left out for strings longer than
 * PQ_STAT_MAX_STR). Strings are written as given: the caller makes sure a STRING column gets
 * UTF-8.
 *
 * Not thread-safe: one writer per thread.
 */
#ifndef XG_OFFLINE_PARQUET_H
#define XG_OFFLINE_PARQUET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* physical types, Parquet's numbers */
enum pq_type {
	PQ_BOOLEAN = 0,
	PQ_INT64 = 2,
	PQ_BYTE_ARRAY = 6,
};

enum pq_logical {
	PQ_LOGICAL_NONE,
	PQ_LOGICAL_STRING,	 /* BYTE_ARRAY: UTF-8 */
	PQ_LOGICAL_TIMESTAMP_NS, /* INT64: ns since the Unix epoch, UTC */
	PQ_LOGICAL_UINT64,	 /* INT64: unsigned (pq_writer__put_i64 of the value cast) */
};

struct pq_column {
	const char *name;
	enum pq_type type;
	enum pq_logical logical;
	bool optional;
};

#define PQ_DICT_MAX	    65536
#define PQ_STAT_MAX_STR	    64
#define PQ_ROW_GROUP_ROWS   65536
#define PQ_MAX_COLUMNS	    256
#define PQ_DEFAULT_ZSTD_LVL 3

struct pq_writer_opts {
	size_t sz;		 /* sizeof(struct pq_writer_opts) */
	uint32_t row_group_rows; /* 0: PQ_ROW_GROUP_ROWS */
	int zstd_level;		 /* 0: PQ_DEFAULT_ZSTD_LVL */
	const char *created_by;	 /* FileMetaData.created_by; NULL: none */
};

#define PQ_WRITER_OPTS(name, ...)                                                                  \
	struct pq_writer_opts name = {.sz = sizeof(struct pq_writer_opts), __VA_ARGS__}

struct pq_stats {
	uint64_t rows, row_groups;
	uint64_t bytes; /* written so far */
};

struct pq_writer;

/* Writes "PAR1" to f (borrowed: the caller closes it after pq_writer__close). cols is borrowed
 * too and must outlive the writer. NULL with errno set (and a message). */
struct pq_writer *pq_writer__new(FILE *f, const struct pq_column *cols, size_t ncols,
				 const struct pq_writer_opts *opts);
void pq_writer__free(struct pq_writer *w);

/* The value of column col in the current row. A second value for a column in one row replaces
 * the first. Errors (out of memory) stick and come back from end_row, flush and close. */
void pq_writer__put_i64(struct pq_writer *w, size_t col, int64_t v);
void pq_writer__put_bool(struct pq_writer *w, size_t col, bool v);
void pq_writer__put_str(struct pq_writer *w, size_t col, const char *s, size_t len);

/* Ends the row: columns not put are NULL (-EINVAL when one of them is required). Writes the row
 * group when it is full. 0 or -errno. */
int pq_writer__end_row(struct pq_writer *w);
/* Writes the rows buffered as a row group (none: nothing). 0 or -errno (-EIO: a write error). */
int pq_writer__flush(struct pq_writer *w);
/* A footer key/value pair (FileMetaData.key_value_metadata), copied. 0 or -errno. */
int pq_writer__set_kv(struct pq_writer *w, const char *key, const char *value);
/* Flushes and writes the footer. 0 or -errno. */
int pq_writer__close(struct pq_writer *w);
void pq_writer__stats(const struct pq_writer *w, struct pq_stats *st);

#endif /* XG_OFFLINE_PARQUET_H */
