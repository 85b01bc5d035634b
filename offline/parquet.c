// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Parquet writer (offline/parquet.h). A row group is written column by column: each chunk's
 * values are encoded into one page body (definition levels, then values), compressed with
 * zstd and written after its Thrift PageHeader; the chunk's ColumnChunk metadata is encoded
 * as it is written and kept (a few hundred bytes per chunk) for the footer.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "format/codec.h"
#include "offline/parquet.h"
#include "offline/thrift.h"
#include "util/array.h"
#include "util/err.h"
#include "util/u64map.h"

/* Parquet's enums (parquet.thrift) */
#define PQ_ENC_PLAIN	      0
#define PQ_ENC_RLE	      3
#define PQ_ENC_RLE_DICTIONARY 8
#define PQ_ENC_DELTA	      5 /* DELTA_BINARY_PACKED */
#define PQ_CODEC_ZSTD	      6
#define PQ_PAGE_DATA	      0
#define PQ_PAGE_DICTIONARY    2
#define PQ_REQUIRED	      0
#define PQ_OPTIONAL	      1
#define PQ_CONVERTED_UTF8     0
#define PQ_CONVERTED_UINT_64  14

/* A row group is also written when its strings reach this many bytes: pages stay far below
 * Parquet's 2 GiB page size limit. */
#define PQ_ROW_GROUP_STR_BYTES (128u << 20)

static const uint8_t pq_magic[4] = {'P', 'A', 'R', '1'};

struct pq_str {
	const char *p;
	size_t len;
};

struct pq_col {
	uint8_t *defl; /* per row of the row group: 1 a value, 0 NULL (defl_cap of them) */
	int64_t *iv;   /* INT64 and BOOLEAN values */
	size_t iv_cap;
	struct pq_str *sv; /* BYTE_ARRAY values */
	size_t sv_cap;
	size_t nvals; /* non-NULL values in the row group */
	bool set;     /* put in the current row */
};

struct pq_writer {
	FILE *f;
	const struct pq_column *defs;
	size_t ncols;
	struct pq_col *cols;
	uint32_t rg_rows;
	int level;
	size_t nrows;	  /* rows buffered */
	size_t defl_cap;  /* room in every column's defl */
	size_t str_bytes; /* string bytes buffered */
	uint64_t total_rows, nrg, offset;
	int err; /* sticky */
	ZSTD_CCtx *zc;
	struct thrift_buf rgs; /* the RowGroup structs written, each encoded on its own */
	struct thrift_buf rg;  /* the row group being written */
	struct thrift_buf tb;  /* page headers, the footer */
	uint8_t *raw;	       /* the page body being built */
	size_t raw_len, raw_cap;
	uint8_t *z;
	size_t z_cap;
	uint32_t *idx; /* dictionary indices */
	size_t idx_cap;
	uint32_t *lv; /* definition levels, booleans */
	size_t lv_cap;
	size_t *first; /* per dictionary entry: the value it was first seen at */
	size_t first_cap;
	struct u64map dict;
	char **kv; /* key, value, key, value ... */
	size_t nkv;
	char *created_by;
};

/* xg_array_grow() when arr is full: the common case costs a comparison. */
static inline bool room(void *arr, size_t *cap, size_t need, size_t elem)
{
	return need <= *cap || !xg_array_grow(arr, cap, need, elem);
}

static int fail(struct pq_writer *w, int err)
{
	if (!w->err)
		w->err = err;
	return w->err;
}

/* ---- values ------------------------------------------------------------------------------ */

static struct pq_col *col_for_put(struct pq_writer *w, size_t col, enum pq_type type)
{
	struct pq_col *c;

	if (w->err)
		return NULL;
	if (col >= w->ncols || w->defs[col].type != type) {
		fail(w, xg_error(-EINVAL, "parquet: column %zu is not of the type put", col));
		return NULL;
	}
	c = &w->cols[col];
	if (c->set)
		c->nvals--; /* replaced */
	return c;
}

static void put_int(struct pq_writer *w, size_t col, enum pq_type type, int64_t v)
{
	struct pq_col *c = col_for_put(w, col, type);

	if (!c)
		return;
	if (!room((void **)&c->iv, &c->iv_cap, c->nvals + 1, sizeof(*c->iv))) {
		fail(w, -ENOMEM);
		return;
	}
	c->iv[c->nvals++] = v;
	c->set = true;
}

void pq_writer__put_i64(struct pq_writer *w, size_t col, int64_t v)
{
	put_int(w, col, PQ_INT64, v);
}

void pq_writer__put_bool(struct pq_writer *w, size_t col, bool v)
{
	put_int(w, col, PQ_BOOLEAN, v);
}

void pq_writer__put_str(struct pq_writer *w, size_t col, const char *s, size_t len)
{
	struct pq_col *c = col_for_put(w, col, PQ_BYTE_ARRAY);

	if (!c)
		return;
	if (len > INT32_MAX) {
		fail(w, xg_error(-E2BIG, "parquet: column %s: a string of %zu bytes",
				 w->defs[col].name, len));
		return;
	}
	if (!room((void **)&c->sv, &c->sv_cap, c->nvals + 1, sizeof(*c->sv))) {
		fail(w, -ENOMEM);
		return;
	}
	c->sv[c->nvals].p = s;
	c->sv[c->nvals++].len = len;
	c->set = true;
	w->str_bytes += len;
}

int pq_writer__end_row(struct pq_writer *w)
{
	if (w->err)
		return w->err;
	if (w->nrows + 1 > w->defl_cap) { /* every column's levels grow together */
		size_t cap = w->defl_cap ? 2 * w->defl_cap : 1024;

		for (size_t i = 0; i < w->ncols; i++) {
			uint8_t *p = realloc(w->cols[i].defl, cap);

			if (!p)
				return fail(w, -ENOMEM);
			w->cols[i].defl = p;
		}
		w->defl_cap = cap;
	}
	for (size_t i = 0; i < w->ncols; i++) {
		struct pq_col *c = &w->cols[i];

		if (!c->set && !w->defs[i].optional)
			return fail(w, xg_error(-EINVAL, "parquet: required column %s has no value",
						w->defs[i].name));
		c->defl[w->nrows] = c->set;
		c->set = false;
	}
	w->nrows++;
	if (w->nrows >= w->rg_rows || w->str_bytes >= PQ_ROW_GROUP_STR_BYTES)
		return pq_writer__flush(w);
	return 0;
}

/* ---- encodings --------------------------------------------------------------------------- */

static void raw_put(struct pq_writer *w, const void *p, size_t n)
{
	if (w->err || !n)
		return;
	if (!room((void **)&w->raw, &w->raw_cap, w->raw_len + n, 1)) {
		fail(w, -ENOMEM);
		return;
	}
	memcpy(w->raw + w->raw_len, p, n);
	w->raw_len += n;
}

static void raw_byte(struct pq_writer *w, uint8_t v)
{
	raw_put(w, &v, 1);
}

static void raw_uvarint(struct pq_writer *w, uint64_t v)
{
	uint8_t tmp[10];

	raw_put(w, tmp, (size_t)(tf_put_uv(tmp, v) - tmp));
}

static void raw_le(struct pq_writer *w, uint64_t v, size_t n)
{
	uint8_t tmp[8];

	for (size_t i = 0; i < n; i++)
		tmp[i] = (uint8_t)(v >> (8 * i));
	raw_put(w, tmp, n);
}

/* n values of width bits each, least significant bit first, the last byte padded with 0. */
static void bitpack(struct pq_writer *w, const uint32_t *v, size_t n, size_t count, int width)
{
	uint64_t acc = 0;
	int bits = 0;

	for (size_t i = 0; i < count; i++) {
		acc |= (uint64_t)(i < n ? v[i] : 0) << bits;
		bits += width;
		while (bits >= 8) {
			raw_byte(w, (uint8_t)acc);
			acc >>= 8;
			bits -= 8;
		}
	}
	if (bits)
		raw_byte(w, (uint8_t)acc);
}

/* DELTA_BINARY_PACKED (Encodings.md): a header (block size 128, 4 miniblocks, the value count,
 * the first value zigzag), then blocks of 128 deltas: the block's smallest delta (zigzag), the
 * 4 miniblocks' bit widths, and each miniblock's 32 deltas minus that smallest, bit-packed.
 * Miniblocks past the last value have width 0 and no bytes. Deltas wrap modulo 2^64. */
static void delta_binary(struct pq_writer *w, const int64_t *v, size_t n)
{
	raw_uvarint(w, 128);
	raw_uvarint(w, 4);
	raw_uvarint(w, n);
	raw_uvarint(w, n ? tf_zz(v[0]) : 0);
	for (size_t b = 1; b < n; b += 128) {
		size_t m = n - b < 128 ? n - b : 128;
		uint64_t d[128];
		int64_t min;
		uint8_t widths[4] = {0};

		min = INT64_MAX;
		for (size_t i = 0; i < m; i++) {
			d[i] = (uint64_t)v[b + i] - (uint64_t)v[b + i - 1];
			if ((int64_t)d[i] < min)
				min = (int64_t)d[i];
		}
		for (size_t i = 0; i < m; i++)
			d[i] -= (uint64_t)min;
		for (size_t mb = 0; mb * 32 < m; mb++) {
			uint64_t any = 0;

			for (size_t i = mb * 32; i < m && i < mb * 32 + 32; i++)
				any |= d[i];
			while (widths[mb] < 64 && (any >> widths[mb]))
				widths[mb]++;
		}
		raw_uvarint(w, tf_zz(min));
		raw_put(w, widths, 4);
		for (size_t mb = 0; mb * 32 < m; mb++) {
			unsigned __int128 acc = 0;
			int bits = 0, width = widths[mb];

			for (size_t i = mb * 32; i < mb * 32 + 32; i++) {
				acc |= (unsigned __int128)(i < m ? d[i] : 0) << bits;
				bits += width;
				while (bits >= 8) {
					raw_byte(w, (uint8_t)acc);
					acc >>= 8;
					bits -= 8;
				}
			}
		}
	}
}

static size_t run_at(const uint32_t *v, size_t n, size_t i)
{
	size_t r = 1;

	while (i + r < n && v[i + r] == v[i])
		r++;
	return r;
}

/*
 * The RLE / bit-packing hybrid (Parquet's Encodings.md): a run of 8 or more equal values is an
 * RLE run (header run << 1, the value in ceil(width / 8) bytes); other values go in bit-packed
 * runs of whole groups of 8 (header groups << 1 | 1, at most 63 groups), which end where a run
 * of 8 begins at a group boundary. Only the last group of all may be padded.
 */
static void hybrid(struct pq_writer *w, const uint32_t *v, size_t n, int width)
{
	size_t i = 0, vbytes = (size_t)(width + 7) / 8;

	while (i < n) {
		size_t run = run_at(v, n, i), j, groups = 0;

		if (run >= 8) {
			raw_uvarint(w, (uint64_t)run << 1);
			raw_le(w, v[i], vbytes);
			i += run;
			continue;
		}
		j = i;
		while (j < n && groups < 63) {
			if (j > i && run_at(v, n, j) >= 8)
				break;
			j += 8;
			groups++;
		}
		raw_uvarint(w, (uint64_t)groups << 1 | 1);
		bitpack(w, v + i, n - i < groups * 8 ? n - i : groups * 8, groups * 8, width);
		i = j < n ? j : n;
	}
}

static int bit_width(uint64_t max)
{
	int b = 1;

	while (b < 32 && (max >> b))
		b++;
	return b;
}

static int str_cmp(const struct pq_str *a, const struct pq_str *b)
{
	int c = memcmp(a->p, b->p, a->len < b->len ? a->len : b->len);

	if (c)
		return c;
	return a->len < b->len ? -1 : a->len > b->len;
}

/* ---- pages and chunks -------------------------------------------------------------------- */

static int out(struct pq_writer *w, const void *p, size_t n)
{
	if (n && fwrite(p, 1, n, w->f) != n)
		return fail(w, xg_error(-EIO, "parquet: write failed"));
	w->offset += n;
	return 0;
}

/* Compresses the page body in raw and writes it with its header. */
static int write_page(struct pq_writer *w, int type, uint32_t num_values, int encoding,
		      uint64_t *unc, uint64_t *comp)
{
	size_t bound = ZSTD_compressBound(w->raw_len), zn;

	if (w->err)
		return w->err;
	if (w->raw_len > INT32_MAX)
		return fail(w, xg_error(-E2BIG, "parquet: a page of %zu bytes", w->raw_len));
	if (xg_array_grow((void **)&w->z, &w->z_cap, bound, 1))
		return fail(w, -ENOMEM);
	zn = ZSTD_compressCCtx(w->zc, w->z, bound, w->raw, w->raw_len, w->level);
	if (ZSTD_isError(zn))
		return fail(w, xg_error(-EIO, "parquet: zstd: %s", ZSTD_getErrorName(zn)));
	thrift_buf__reset(&w->tb);
	thrift_i32(&w->tb, 1, type);
	thrift_i32(&w->tb, 2, (int32_t)w->raw_len);
	thrift_i32(&w->tb, 3, (int32_t)zn);
	/* CRC-32 (gzip's) of the page as stored */
	thrift_i32(&w->tb, 4, (int32_t)crc32(crc32(0L, Z_NULL, 0), w->z, (uInt)zn));
	if (type == PQ_PAGE_DATA) {
		thrift_struct_begin(&w->tb, 5);
		thrift_i32(&w->tb, 1, (int32_t)num_values);
		thrift_i32(&w->tb, 2, encoding);
		thrift_i32(&w->tb, 3, PQ_ENC_RLE);
		thrift_i32(&w->tb, 4, PQ_ENC_RLE);
		thrift_struct_end(&w->tb);
	} else {
		thrift_struct_begin(&w->tb, 7);
		thrift_i32(&w->tb, 1, (int32_t)num_values);
		thrift_i32(&w->tb, 2, PQ_ENC_PLAIN);
		thrift_struct_end(&w->tb);
	}
	thrift_stop(&w->tb);
	if (w->tb.err)
		return fail(w, w->tb.err);
	*unc += w->tb.len + w->raw_len;
	*comp += w->tb.len + zn;
	if (out(w, w->tb.p, w->tb.len) || out(w, w->z, zn))
		return w->err;
	return 0;
}

static void plain_value(struct pq_writer *w, const struct pq_column *d, const struct pq_col *c,
			size_t i)
{
	if (d->type == PQ_INT64) {
		raw_le(w, (uint64_t)c->iv[i], 8);
	} else {
		raw_le(w, c->sv[i].len, 4);
		raw_put(w, c->sv[i].p, c->sv[i].len);
	}
}

/* Fills w->idx with each value's dictionary index and w->first with each entry's first value;
 * the number of entries, or 0 when the chunk is not worth a dictionary. */
static size_t build_dict(struct pq_writer *w, const struct pq_column *d, const struct pq_col *c)
{
	uint64_t last_key = 0;
	size_t n = 0;

	if (d->type == PQ_BOOLEAN || !c->nvals)
		return 0;
	u64map_clear(&w->dict);
	if (xg_array_grow((void **)&w->idx, &w->idx_cap, c->nvals, sizeof(*w->idx))) {
		fail(w, -ENOMEM);
		return 0;
	}
	for (size_t i = 0; i < c->nvals; i++) {
		/* strings are keyed by their pointer: the caller hands equal strings as one
		 * pointer (interned); two pointers to equal bytes only make two entries */
		uint64_t key =
		    d->type == PQ_INT64 ? (uint64_t)c->iv[i] : (uint64_t)(uintptr_t)c->sv[i].p;
		uint64_t k;

		if (i && key == last_key) { /* runs are common: one trace, kind, goroutine */
			w->idx[i] = w->idx[i - 1];
			continue;
		}
		last_key = key;
		if (!u64map_get(&w->dict, key, &k)) {
			k = n++;
			if (n > PQ_DICT_MAX)
				return 0;
			if (u64map_put(&w->dict, key, k) ||
			    xg_array_grow((void **)&w->first, &w->first_cap, n,
					  sizeof(*w->first))) {
				fail(w, -ENOMEM);
				return 0;
			}
			w->first[k] = i;
		}
		w->idx[i] = (uint32_t)k;
	}
	if (d->type == PQ_INT64 && n * 2 > c->nvals)
		return 0;
	return n;
}

static void write_stats(struct pq_writer *w, const struct pq_column *d, const struct pq_col *c,
			size_t ndict)
{
	struct thrift_buf *t = &w->rg;
	uint8_t lo[8], hi[8];

	thrift_struct_begin(t, 12);
	if (c->nvals && d->type != PQ_BYTE_ARRAY) {
		/* unsigned: compared with the sign bit flipped */
		uint64_t flip = d->logical == PQ_LOGICAL_UINT64 ? 1ULL << 63 : 0;
		int64_t mn = c->iv[0], mx = c->iv[0];
		size_t sz = d->type == PQ_INT64 ? 8 : 1;

		for (size_t i = 1; i < c->nvals; i++) {
			if ((int64_t)((uint64_t)c->iv[i] ^ flip) < (int64_t)((uint64_t)mn ^ flip))
				mn = c->iv[i];
			if ((int64_t)((uint64_t)c->iv[i] ^ flip) > (int64_t)((uint64_t)mx ^ flip))
				mx = c->iv[i];
		}
		for (size_t i = 0; i < 8; i++) {
			lo[i] = (uint8_t)((uint64_t)mn >> (8 * i));
			hi[i] = (uint8_t)((uint64_t)mx >> (8 * i));
		}
		if (!flip) { /* the deprecated min and max are signed */
			thrift_binary(t, 1, hi, sz);
			thrift_binary(t, 2, lo, sz);
		}
		thrift_i64(t, 3, (int64_t)(w->nrows - c->nvals));
		thrift_binary(t, 5, hi, sz);
		thrift_binary(t, 6, lo, sz);
	} else if (c->nvals) {
		const struct pq_str *mn = &c->sv[0], *mx = &c->sv[0];
		/* with a dictionary, its entries are every value there is */
		size_t n = ndict ? ndict : c->nvals;

		for (size_t j = 1; j < n; j++) {
			const struct pq_str *v = &c->sv[ndict ? w->first[j] : j];

			if (str_cmp(v, mn) < 0)
				mn = v;
			if (str_cmp(v, mx) > 0)
				mx = v;
		}
		thrift_i64(t, 3, (int64_t)(w->nrows - c->nvals));
		if (mn->len <= PQ_STAT_MAX_STR && mx->len <= PQ_STAT_MAX_STR) {
			thrift_binary(t, 5, mx->p, mx->len);
			thrift_binary(t, 6, mn->p, mn->len);
		}
	} else {
		thrift_i64(t, 3, (int64_t)w->nrows);
	}
	thrift_struct_end(t);
}

static int write_chunk(struct pq_writer *w, size_t ci, uint64_t *unc_sum, uint64_t *comp_sum)
{
	const struct pq_column *d = &w->defs[ci];
	struct pq_col *c = &w->cols[ci];
	uint64_t unc = 0, comp = 0, dict_off = 0, data_off;
	size_t ndict = build_dict(w, d, c);
	int width = 0, encoding = ndict			? PQ_ENC_RLE_DICTIONARY
				  : d->type == PQ_INT64 ? PQ_ENC_DELTA
							: PQ_ENC_PLAIN;

	if (w->err)
		return w->err;
	if (ndict) {
		w->raw_len = 0;
		for (size_t k = 0; k < ndict; k++)
			plain_value(w, d, c, w->first[k]);
		dict_off = w->offset;
		if (write_page(w, PQ_PAGE_DICTIONARY, (uint32_t)ndict, 0, &unc, &comp))
			return w->err;
		width = bit_width(ndict - 1);
	}
	data_off = w->offset;
	w->raw_len = 0;
	if (d->optional) {
		size_t at;

		if (xg_array_grow((void **)&w->lv, &w->lv_cap, w->nrows, sizeof(*w->lv)))
			return fail(w, -ENOMEM);
		for (size_t i = 0; i < w->nrows; i++)
			w->lv[i] = c->defl[i];
		raw_le(w, 0, 4);
		at = w->raw_len;
		hybrid(w, w->lv, w->nrows, 1);
		if (!w->err) {
			size_t len = w->raw_len - at;

			for (size_t i = 0; i < 4; i++)
				w->raw[at - 4 + i] = (uint8_t)(len >> (8 * i));
		}
	}
	if (ndict) {
		raw_byte(w, (uint8_t)width);
		hybrid(w, w->idx, c->nvals, width);
	} else if (d->type == PQ_BOOLEAN) {
		if (xg_array_grow((void **)&w->lv, &w->lv_cap, c->nvals + 1, sizeof(*w->lv)))
			return fail(w, -ENOMEM);
		for (size_t i = 0; i < c->nvals; i++)
			w->lv[i] = c->iv[i] != 0;
		bitpack(w, w->lv, c->nvals, c->nvals, 1);
	} else if (d->type == PQ_INT64) {
		delta_binary(w, c->iv, c->nvals);
	} else {
		for (size_t i = 0; i < c->nvals; i++)
			plain_value(w, d, c, i);
	}
	if (write_page(w, PQ_PAGE_DATA, (uint32_t)w->nrows, encoding, &unc, &comp))
		return w->err;

	/* ColumnChunk */
	thrift_elem_struct_begin(&w->rg);
	thrift_i64(&w->rg, 2, 0);
	thrift_struct_begin(&w->rg, 3); /* ColumnMetaData */
	thrift_i32(&w->rg, 1, d->type);
	/* the encodings used: the dictionary page's, the levels', the values' */
	thrift_list_begin(&w->rg, 2, THRIFT_I32, ndict ? 3 : 2);
	if (ndict)
		thrift_elem_i32(&w->rg, PQ_ENC_PLAIN);
	thrift_elem_i32(&w->rg, PQ_ENC_RLE);
	thrift_elem_i32(&w->rg, encoding);
	thrift_list_begin(&w->rg, 3, THRIFT_BINARY, 1);
	thrift_elem_string(&w->rg, d->name);
	thrift_i32(&w->rg, 4, PQ_CODEC_ZSTD);
	thrift_i64(&w->rg, 5, (int64_t)w->nrows);
	thrift_i64(&w->rg, 6, (int64_t)unc);
	thrift_i64(&w->rg, 7, (int64_t)comp);
	thrift_i64(&w->rg, 9, (int64_t)data_off);
	if (ndict)
		thrift_i64(&w->rg, 11, (int64_t)dict_off);
	write_stats(w, d, c, ndict);
	thrift_struct_end(&w->rg);
	thrift_struct_end(&w->rg);
	if (w->rg.err)
		return fail(w, w->rg.err);
	*unc_sum += unc;
	*comp_sum += comp;
	return 0;
}

int pq_writer__flush(struct pq_writer *w)
{
	uint64_t unc = 0, comp = 0, start = w->offset;

	if (w->err)
		return w->err;
	if (!w->nrows)
		return 0;
	thrift_buf__reset(&w->rg);
	thrift_list_begin(&w->rg, 1, THRIFT_STRUCT, (uint32_t)w->ncols);
	for (size_t i = 0; i < w->ncols; i++)
		if (write_chunk(w, i, &unc, &comp))
			return w->err;
	thrift_i64(&w->rg, 2, (int64_t)unc);
	thrift_i64(&w->rg, 3, (int64_t)w->nrows);
	thrift_i64(&w->rg, 5, (int64_t)start);
	thrift_i64(&w->rg, 6, (int64_t)comp);
	thrift_stop(&w->rg);
	thrift_raw(&w->rgs, w->rg.p, w->rg.len);
	if (w->rg.err || w->rgs.err)
		return fail(w, -ENOMEM);
	w->nrg++;
	w->total_rows += w->nrows;
	for (size_t i = 0; i < w->ncols; i++)
		w->cols[i].nvals = 0;
	w->nrows = 0;
	w->str_bytes = 0;
	return 0;
}

/* ---- the file ---------------------------------------------------------------------------- */

struct pq_writer *pq_writer__new(FILE *f, const struct pq_column *cols, size_t ncols,
				 const struct pq_writer_opts *opts)
{
	struct pq_writer *w;
	int err;

	if (!ncols || ncols > PQ_MAX_COLUMNS) {
		xg_error(-EINVAL, "parquet: %zu columns", ncols);
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->f = f;
	w->defs = cols;
	w->ncols = ncols;
	w->rg_rows = opts && opts->row_group_rows ? opts->row_group_rows : PQ_ROW_GROUP_ROWS;
	w->level = opts && opts->zstd_level ? opts->zstd_level : PQ_DEFAULT_ZSTD_LVL;
	w->cols = calloc(ncols, sizeof(*w->cols));
	w->zc = ZSTD_createCCtx();
	if (opts && opts->created_by)
		w->created_by = strdup(opts->created_by);
	if (!w->cols || !w->zc || (opts && opts->created_by && !w->created_by)) {
		pq_writer__free(w);
		errno = ENOMEM;
		return NULL;
	}
	err = out(w, pq_magic, sizeof(pq_magic));
	if (err) {
		pq_writer__free(w);
		errno = -err;
		return NULL;
	}
	return w;
}

int pq_writer__set_kv(struct pq_writer *w, const char *key, const char *value)
{
	char **kv;

	if (w->err)
		return w->err;
	kv = realloc(w->kv, (w->nkv + 2) * sizeof(*kv));
	if (!kv)
		return fail(w, -ENOMEM);
	w->kv = kv;
	kv[w->nkv] = strdup(key);
	kv[w->nkv + 1] = strdup(value);
	w->nkv += 2;
	if (!kv[w->nkv - 2] || !kv[w->nkv - 1])
		return fail(w, -ENOMEM);
	return 0;
}

static void schema_element(struct thrift_buf *t, const struct pq_column *d)
{
	thrift_elem_struct_begin(t);
	thrift_i32(t, 1, d->type);
	thrift_i32(t, 3, d->optional ? PQ_OPTIONAL : PQ_REQUIRED);
	thrift_string(t, 4, d->name);
	if (d->logical == PQ_LOGICAL_STRING)
		thrift_i32(t, 6, PQ_CONVERTED_UTF8);
	if (d->logical == PQ_LOGICAL_UINT64)
		thrift_i32(t, 6, PQ_CONVERTED_UINT_64);
	if (d->logical != PQ_LOGICAL_NONE) {
		thrift_struct_begin(t, 10); /* LogicalType */
		if (d->logical == PQ_LOGICAL_STRING) {
			thrift_struct_begin(t, 1); /* StringType */
			thrift_struct_end(t);
		} else if (d->logical == PQ_LOGICAL_UINT64) {
			thrift_struct_begin(t, 10); /* IntType */
			thrift_byte(t, 1, 64);	    /* bitWidth */
			thrift_bool(t, 2, false);   /* isSigned */
			thrift_struct_end(t);
		} else {
			thrift_struct_begin(t, 8); /* TimestampType */
			thrift_bool(t, 1, true);   /* isAdjustedToUTC */
			thrift_struct_begin(t, 2); /* TimeUnit */
			thrift_struct_begin(t, 3); /* NANOS */
			thrift_struct_end(t);
			thrift_struct_end(t);
			thrift_struct_end(t);
		}
		thrift_struct_end(t);
	}
	thrift_struct_end(t);
}

int pq_writer__close(struct pq_writer *w)
{
	struct thrift_buf *t = &w->tb;
	uint8_t len[4];

	if (pq_writer__flush(w))
		return w->err;
	thrift_buf__reset(t);
	thrift_i32(t, 1, 1);
	thrift_list_begin(t, 2, THRIFT_STRUCT, (uint32_t)w->ncols + 1);
	thrift_elem_struct_begin(t);
	thrift_string(t, 4, "schema");
	thrift_i32(t, 5, (int32_t)w->ncols);
	thrift_struct_end(t);
	for (size_t i = 0; i < w->ncols; i++)
		schema_element(t, &w->defs[i]);
	thrift_i64(t, 3, (int64_t)w->total_rows);
	thrift_list_begin(t, 4, THRIFT_STRUCT, (uint32_t)w->nrg);
	thrift_raw(t, w->rgs.p, w->rgs.len);
	if (w->nkv) {
		thrift_list_begin(t, 5, THRIFT_STRUCT, (uint32_t)(w->nkv / 2));
		for (size_t i = 0; i < w->nkv; i += 2) {
			thrift_elem_struct_begin(t);
			thrift_string(t, 1, w->kv[i]);
			thrift_string(t, 2, w->kv[i + 1]);
			thrift_struct_end(t);
		}
	}
	if (w->created_by)
		thrift_string(t, 6, w->created_by);
	thrift_list_begin(t, 7, THRIFT_STRUCT, (uint32_t)w->ncols);
	for (size_t i = 0; i < w->ncols; i++) {
		thrift_elem_struct_begin(t);
		thrift_struct_begin(t, 1); /* TypeDefinedOrder */
		thrift_struct_end(t);
		thrift_struct_end(t);
	}
	thrift_stop(t);
	if (t->err)
		return fail(w, t->err);
	if (t->len > UINT32_MAX)
		return fail(w, xg_error(-E2BIG, "parquet: a footer of %zu bytes", t->len));
	for (size_t i = 0; i < 4; i++)
		len[i] = (uint8_t)(t->len >> (8 * i));
	if (out(w, t->p, t->len) || out(w, len, 4) || out(w, pq_magic, sizeof(pq_magic)))
		return w->err;
	return 0;
}

void pq_writer__stats(const struct pq_writer *w, struct pq_stats *st)
{
	st->rows = w->total_rows;
	st->row_groups = w->nrg;
	st->bytes = w->offset;
}

void pq_writer__free(struct pq_writer *w)
{
	if (!w)
		return;
	for (size_t i = 0; w->cols && i < w->ncols; i++) {
		free(w->cols[i].defl);
		free(w->cols[i].iv);
		free(w->cols[i].sv);
	}
	free(w->cols);
	for (size_t i = 0; i < w->nkv; i++)
		free(w->kv[i]);
	free(w->kv);
	free(w->created_by);
	ZSTD_freeCCtx(w->zc);
	thrift_buf__free(&w->rgs);
	thrift_buf__free(&w->rg);
	thrift_buf__free(&w->tb);
	free(w->raw);
	free(w->z);
	free(w->idx);
	free(w->lv);
	free(w->first);
	u64map_free(&w->dict);
	free(w);
}
