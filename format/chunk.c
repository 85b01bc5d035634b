// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Columnar chunk codec. The encoder makes one pass over the rows writing every column with
 * direct pointer stores into buffers reserved a block of rows at a time; the decoder walks one
 * cursor per column. Both keep the same contexts (SPEC.md "Context coding").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "format/chunk.h"
#include "format/codec.h"
#include "util/err.h"

#define K(kind) (1ULL << (kind))
#define M_STATE (K(XG_EV_GO_STATE) | K(XG_EV_SNAPSHOT))
#define M_STACK                                                                                    \
	(K(XG_EV_GO_CREATE) | K(XG_EV_GO_STATE) | K(XG_EV_ALLOC) | K(XG_EV_CPU_SAMPLE) |           \
	 K(XG_EV_ALLOC_SAMPLE))
#define M_CREATE     (K(XG_EV_GO_CREATE) | K(XG_EV_SNAPSHOT))
#define M_ALLOC	     (K(XG_EV_ALLOC) | K(XG_EV_ALLOC_SAMPLE))
#define M_WEIGHT     K(XG_EV_ALLOC_SAMPLE)
#define M_HEAP	     (K(XG_EV_GC_START) | K(XG_EV_GC_END) | K(XG_EV_HEAP))
#define M_LOST	     K(XG_EV_LOST)
#define NCPU	     65536
#define BLOCK	     256
#define MAX_VAL	     10 /* bytes of the longest value */
#define MIN_COMPRESS 64 /* columns shorter than this are stored as they are */

struct colspec {
	const char *name;
	uint8_t enc;
	uint64_t mask; /* kinds whose rows carry a value; 0 = every row */
};

static const struct colspec specs[TF_COL_MAX] = {
    [TF_COL_TS] = {"ts", TF_ENC_TSDELTA, 0},
    [TF_COL_CPU] = {"cpu", TF_ENC_UVARINT, 0},
    [TF_COL_TID] = {"tid", TF_ENC_CPUCTX, 0},
    [TF_COL_KIND] = {"kind", TF_ENC_U8, 0},
    [TF_COL_GOID] = {"goid", TF_ENC_CPUCTX, 0},
    [TF_COL_STATE] = {"state", TF_ENC_U8, M_STATE},
    [TF_COL_REASON] = {"reason", TF_ENC_UVARINT, M_STATE},
    [TF_COL_STACK] = {"stack", TF_ENC_UVARINT, M_STACK},
    [TF_COL_PARENT] = {"parent_goid", TF_ENC_CPUCTX, M_CREATE},
    [TF_COL_CREATE_PC] = {"create_pc", TF_ENC_UVARINT, M_CREATE},
    [TF_COL_START_PC] = {"start_pc", TF_ENC_UVARINT, M_CREATE},
    [TF_COL_CREATE_FN] = {"create_fn", TF_ENC_UVARINT, M_CREATE},
    [TF_COL_START_FN] = {"start_fn", TF_ENC_UVARINT, M_CREATE},
    [TF_COL_SIZE] = {"size", TF_ENC_UVARINT, M_ALLOC},
    [TF_COL_TYPE] = {"type", TF_ENC_UVARINT, M_ALLOC},
    [TF_COL_WEIGHT] = {"weight", TF_ENC_UVARINT, M_WEIGHT},
    [TF_COL_GC] = {"gc", TF_ENC_UVARINT, M_HEAP},
    [TF_COL_HEAP_LIVE] = {"heap_live", TF_ENC_DELTA, M_HEAP},
    [TF_COL_HEAP_GOAL] = {"heap_goal", TF_ENC_DELTA, M_HEAP},
    [TF_COL_TOTAL_ALLOC] = {"total_alloc", TF_ENC_DELTA, M_HEAP},
    [TF_COL_TOTAL_FREE] = {"total_free", TF_ENC_DELTA, M_HEAP},
    [TF_COL_COUNT] = {"count", TF_ENC_UVARINT, M_LOST},
    [TF_COL_OF] = {"of", TF_ENC_U8, M_LOST},
};

const char *tf_col_name(unsigned int col)
{
	return col > 0 && col < TF_COL_MAX ? specs[col].name : NULL;
}

/* --- buffers --------------------------------------------------------------------------------- */

int tf_buf__reserve(struct tf_buf *b, size_t extra)
{
	size_t need = b->len + extra, ncap;
	uint8_t *n;

	if (need < b->len)
		return -ENOMEM;
	if (need <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 4096;
	while (ncap < need)
		ncap *= 2;
	n = realloc(b->p, ncap);
	if (!n)
		return -ENOMEM;
	b->p = n;
	b->cap = ncap;
	return 0;
}

int tf_buf__append(struct tf_buf *b, const void *data, size_t len)
{
	int err = tf_buf__reserve(b, len);

	if (err)
		return err;
	if (len)
		memcpy(b->p + b->len, data, len);
	b->len += len;
	return 0;
}

void tf_buf__free(struct tf_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* --- encoder --------------------------------------------------------------------------------- */

struct ecol {
	struct tf_buf b;
	uint64_t any; /* OR of the field values: 0 means the column is left out */
};

struct tf_chunk_enc {
	int level;
	ZSTD_CCtx *zc;
	struct ecol cols[TF_COL_MAX];
	struct tf_buf z; /* compressed columns, before they follow the directory */
	/* limits */
	uint32_t max_events;
	size_t max_raw;
	uint64_t max_ns;
	/* the chunk being built */
	uint32_t count;
	bool full;
	uint64_t ts_first, prev_ts, last_created;
	uint64_t prev_live, prev_goal, prev_talloc, prev_tfree;
	uint32_t *ctx_tid;
	uint64_t *ctx_goid;
	uint8_t *touched;
	uint16_t *tlist;
	uint32_t ntouched;
	struct tf_col_stats stats;
};

struct tf_chunk_enc *tf_chunk_enc__new(int level)
{
	struct tf_chunk_enc *e = calloc(1, sizeof(*e));

	if (!e)
		goto err;
	e->level = level;
	e->max_events = TF_MAX_CHUNK_EVENTS;
	e->max_ns = UINT64_MAX;
	e->ctx_tid = malloc(NCPU * sizeof(*e->ctx_tid));
	e->ctx_goid = malloc(NCPU * sizeof(*e->ctx_goid));
	e->touched = calloc(NCPU, 1);
	e->tlist = malloc(NCPU * sizeof(*e->tlist));
	if (!e->ctx_tid || !e->ctx_goid || !e->touched || !e->tlist)
		goto err;
	if (level > 0) {
		e->zc = ZSTD_createCCtx();
		if (!e->zc)
			goto err;
		if (ZSTD_isError(ZSTD_CCtx_setParameter(e->zc, ZSTD_c_compressionLevel, level)) ||
		    ZSTD_isError(ZSTD_CCtx_setParameter(e->zc, ZSTD_c_contentSizeFlag, 1)) ||
		    ZSTD_isError(ZSTD_CCtx_setParameter(e->zc, ZSTD_c_checksumFlag, 0)))
			goto err;
	}
	return e;
err:
	tf_chunk_enc__free(e);
	errno = ENOMEM;
	return NULL;
}

void tf_chunk_enc__free(struct tf_chunk_enc *e)
{
	if (!e)
		return;
	for (int c = 0; c < TF_COL_MAX; c++)
		tf_buf__free(&e->cols[c].b);
	tf_buf__free(&e->z);
	ZSTD_freeCCtx(e->zc);
	free(e->ctx_tid);
	free(e->ctx_goid);
	free(e->touched);
	free(e->tlist);
	free(e);
}

void tf_chunk_enc__limits(struct tf_chunk_enc *e, uint32_t max_events, size_t max_raw,
			  uint64_t max_ns)
{
	e->max_events =
	    max_events && max_events < TF_MAX_CHUNK_EVENTS ? max_events : TF_MAX_CHUNK_EVENTS;
	e->max_raw = max_raw;
	e->max_ns = max_ns ? max_ns : UINT64_MAX;
}

const struct tf_col_stats *tf_chunk_enc__stats(const struct tf_chunk_enc *e)
{
	return &e->stats;
}

uint32_t tf_chunk_enc__count(const struct tf_chunk_enc *e)
{
	return e->count;
}

bool tf_chunk_enc__full(const struct tf_chunk_enc *e)
{
	return e->full;
}

uint64_t tf_chunk_enc__ts_first(const struct tf_chunk_enc *e)
{
	return e->ts_first;
}

uint64_t tf_chunk_enc__ts_last(const struct tf_chunk_enc *e)
{
	return e->prev_ts;
}

size_t tf_chunk_enc__mem(const struct tf_chunk_enc *e)
{
	size_t m = NCPU * (sizeof(*e->ctx_tid) + sizeof(*e->ctx_goid) + 1 + sizeof(*e->tlist));

	for (int c = 0; c < TF_COL_MAX; c++)
		m += e->cols[c].b.cap;
	return m + e->z.cap + (e->zc ? ZSTD_sizeof_CCtx(e->zc) : 0);
}

static size_t raw_total(const struct tf_chunk_enc *e)
{
	size_t t = 0;

	for (int c = 1; c < TF_COL_MAX; c++)
		t += e->cols[c].b.len;
	return t;
}

/* Encodes rows[0..n) into the column buffers; returns how many, or -ENOMEM. */
static long encode_rows(struct tf_chunk_enc *e, const struct xg_event *const *rows, size_t n)
{
	struct ecol *C = e->cols;
	uint64_t prev_ts = e->prev_ts, last_created = e->last_created;
	uint64_t prev_live = e->prev_live, prev_goal = e->prev_goal;
	uint64_t prev_talloc = e->prev_talloc, prev_tfree = e->prev_tfree;
	uint32_t *ctx_tid = e->ctx_tid;
	uint64_t *ctx_goid = e->ctx_goid;
	size_t i = 0;

	while (i < n) {
		size_t b = n - i < BLOCK ? n - i : BLOCK;
		uint8_t *p[TF_COL_MAX];
		uint64_t any[TF_COL_MAX];

		for (int c = 1; c < TF_COL_MAX; c++) {
			if (tf_buf__reserve(&C[c].b, b * MAX_VAL + TF_PAD))
				return -ENOMEM;
			p[c] = C[c].b.p + C[c].b.len;
			any[c] = C[c].any;
		}
		for (size_t end = i + b; i < end; i++) {
			const struct xg_event *ev = rows[i];
			unsigned int kind = ev->kind, cpu = ev->cpu;
			uint64_t km = kind < 64 ? 1ULL << kind : 0, v;

			v = ev->ts - prev_ts;
			prev_ts = ev->ts;
			p[TF_COL_TS] = tf_put_uv(p[TF_COL_TS], v);
			any[TF_COL_TS] |= v;
			p[TF_COL_CPU] = tf_put_uv(p[TF_COL_CPU], cpu);
			any[TF_COL_CPU] |= cpu;
			if (__builtin_expect(!e->touched[cpu], 0)) {
				e->touched[cpu] = 1;
				e->tlist[e->ntouched++] = (uint16_t)cpu;
				ctx_tid[cpu] = 0;
				ctx_goid[cpu] = 0;
			}
			v = tf_zz((int64_t)ev->tid - (int64_t)ctx_tid[cpu]);
			ctx_tid[cpu] = ev->tid;
			p[TF_COL_TID] = tf_put_uv(p[TF_COL_TID], v);
			any[TF_COL_TID] |= ev->tid;
			*p[TF_COL_KIND]++ = (uint8_t)kind;
			any[TF_COL_KIND] |= kind;
			if (kind == XG_EV_GO_CREATE) {
				v = tf_zz((int64_t)(ev->goid - last_created));
				last_created = ev->goid;
			} else {
				v = tf_zz((int64_t)(ev->goid - ctx_goid[cpu]));
				if (ev->goid)
					ctx_goid[cpu] = ev->goid;
			}
			p[TF_COL_GOID] = tf_put_uv(p[TF_COL_GOID], v);
			any[TF_COL_GOID] |= ev->goid;
			if (!(km & (M_STATE | M_STACK | M_CREATE | M_ALLOC | M_HEAP | M_LOST)))
				continue;
			if (km & M_STATE) {
				uint8_t s = (uint8_t)((ev->from & 15) << 4 | (ev->to & 15));

				*p[TF_COL_STATE]++ = s;
				any[TF_COL_STATE] |= s;
				p[TF_COL_REASON] = tf_put_uv(p[TF_COL_REASON], ev->reason);
				any[TF_COL_REASON] |= ev->reason;
			}
			if (km & M_STACK) {
				p[TF_COL_STACK] = tf_put_uv(p[TF_COL_STACK], ev->stack);
				any[TF_COL_STACK] |= ev->stack;
			}
			if (km & M_ALLOC) {
				p[TF_COL_SIZE] = tf_put_uv(p[TF_COL_SIZE], ev->size);
				any[TF_COL_SIZE] |= ev->size;
				p[TF_COL_TYPE] = tf_put_uv(p[TF_COL_TYPE], ev->type);
				any[TF_COL_TYPE] |= ev->type;
				if (km & M_WEIGHT) {
					p[TF_COL_WEIGHT] = tf_put_uv(p[TF_COL_WEIGHT], ev->weight);
					any[TF_COL_WEIGHT] |= ev->weight;
				}
			}
			if (km & M_CREATE) {
				v = tf_zz((int64_t)(ev->parent_goid - ctx_goid[cpu]));
				if (kind == XG_EV_GO_CREATE && ev->parent_goid)
					ctx_goid[cpu] = ev->parent_goid;
				p[TF_COL_PARENT] = tf_put_uv(p[TF_COL_PARENT], v);
				any[TF_COL_PARENT] |= ev->parent_goid;
				p[TF_COL_CREATE_PC] = tf_put_uv(p[TF_COL_CREATE_PC], ev->create_pc);
				any[TF_COL_CREATE_PC] |= ev->create_pc;
				p[TF_COL_START_PC] = tf_put_uv(p[TF_COL_START_PC], ev->start_pc);
				any[TF_COL_START_PC] |= ev->start_pc;
				p[TF_COL_CREATE_FN] = tf_put_uv(p[TF_COL_CREATE_FN], ev->create_fn);
				any[TF_COL_CREATE_FN] |= ev->create_fn;
				p[TF_COL_START_FN] = tf_put_uv(p[TF_COL_START_FN], ev->start_fn);
				any[TF_COL_START_FN] |= ev->start_fn;
			}
			if (km & M_HEAP) {
				p[TF_COL_GC] = tf_put_uv(p[TF_COL_GC], ev->gc);
				any[TF_COL_GC] |= ev->gc;
				v = tf_zz((int64_t)(ev->heap_live - prev_live));
				prev_live = ev->heap_live;
				p[TF_COL_HEAP_LIVE] = tf_put_uv(p[TF_COL_HEAP_LIVE], v);
				any[TF_COL_HEAP_LIVE] |= ev->heap_live;
				v = tf_zz((int64_t)(ev->heap_goal - prev_goal));
				prev_goal = ev->heap_goal;
				p[TF_COL_HEAP_GOAL] = tf_put_uv(p[TF_COL_HEAP_GOAL], v);
				any[TF_COL_HEAP_GOAL] |= ev->heap_goal;
				v = tf_zz((int64_t)(ev->total_alloc - prev_talloc));
				prev_talloc = ev->total_alloc;
				p[TF_COL_TOTAL_ALLOC] = tf_put_uv(p[TF_COL_TOTAL_ALLOC], v);
				any[TF_COL_TOTAL_ALLOC] |= ev->total_alloc;
				v = tf_zz((int64_t)(ev->total_free - prev_tfree));
				prev_tfree = ev->total_free;
				p[TF_COL_TOTAL_FREE] = tf_put_uv(p[TF_COL_TOTAL_FREE], v);
				any[TF_COL_TOTAL_FREE] |= ev->total_free;
			}
			if (km & M_LOST) {
				p[TF_COL_COUNT] = tf_put_uv(p[TF_COL_COUNT], ev->count);
				any[TF_COL_COUNT] |= ev->count;
				*p[TF_COL_OF]++ = ev->of;
				any[TF_COL_OF] |= ev->of;
			}
		}
		for (int c = 1; c < TF_COL_MAX; c++) {
			C[c].b.len = (size_t)(p[c] - C[c].b.p);
			C[c].any = any[c];
		}
		if (e->max_raw && raw_total(e) >= e->max_raw) {
			e->full = true;
			break;
		}
	}
	e->prev_ts = prev_ts;
	e->last_created = last_created;
	e->prev_live = prev_live;
	e->prev_goal = prev_goal;
	e->prev_talloc = prev_talloc;
	e->prev_tfree = prev_tfree;
	return (long)i;
}

long tf_chunk_enc__add(struct tf_chunk_enc *e, const struct xg_event *const *rows, size_t n)
{
	size_t k = 0, room;
	long done;

	if (e->full || !n)
		return 0;
	if (!e->count) {
		e->ts_first = e->prev_ts = rows[0]->ts;
		e->last_created = 0;
		e->prev_live = e->prev_goal = e->prev_talloc = e->prev_tfree = 0;
	}
	room = e->max_events - e->count;
	while (k < n && k < room && rows[k]->ts - e->ts_first < e->max_ns)
		k++;
	if (k < n)
		e->full = true;
	if (!k)
		return 0;
	done = encode_rows(e, rows, k);
	if (done < 0)
		return done;
	e->count += (uint32_t)done;
	return done;
}

int tf_chunk_enc__finish(struct tf_chunk_enc *e, struct tf_buf *out)
{
	size_t ncols = 0, zlen[TF_COL_MAX] = {0};
	uint8_t comp[TF_COL_MAX] = {0};
	uint8_t *p;
	int err;

	if (!e->count)
		return 0;
	e->z.len = 0;
	for (int c = 1; c < TF_COL_MAX; c++) {
		struct ecol *col = &e->cols[c];
		size_t raw = col->b.len, bound;

		if (!col->any)
			continue;
		ncols++;
		comp[c] = TF_COMP_NONE;
		zlen[c] = raw;
		if (e->zc && raw >= MIN_COMPRESS) {
			size_t r;

			bound = ZSTD_compressBound(raw);
			err = tf_buf__reserve(&e->z, bound);
			if (err)
				return err;
			r = ZSTD_compress2(e->zc, e->z.p + e->z.len, bound, col->b.p, raw);
			if (ZSTD_isError(r))
				return xg_error(-EIO, "zstd: %s", ZSTD_getErrorName(r));
			if (r < raw) {
				comp[c] = TF_COMP_ZSTD;
				zlen[c] = r;
				e->z.len += r;
				continue;
			}
		}
		err = tf_buf__append(&e->z, col->b.p, raw);
		if (err)
			return err;
	}

	/* header + directory, then the column data */
	err = tf_buf__reserve(out, 4 * MAX_VAL + ncols * (3 + 3 * MAX_VAL) + e->z.len);
	if (err)
		return err;
	p = out->p + out->len;
	p = tf_put_uv(p, e->count);
	p = tf_put_uv(p, e->ts_first);
	p = tf_put_uv(p, e->prev_ts - e->ts_first);
	p = tf_put_uv(p, ncols);
	for (int c = 1; c < TF_COL_MAX; c++) {
		if (!e->cols[c].any)
			continue;
		*p++ = (uint8_t)c;
		*p++ = specs[c].enc;
		*p++ = comp[c];
		p = tf_put_uv(p, specs[c].mask);
		p = tf_put_uv(p, e->cols[c].b.len);
		p = tf_put_uv(p, zlen[c]);
		e->stats.raw[c] += e->cols[c].b.len;
		e->stats.stored[c] += zlen[c];
	}
	memcpy(p, e->z.p, e->z.len);
	p += e->z.len;
	out->len = (size_t)(p - out->p);

	/* start the next chunk */
	for (int c = 1; c < TF_COL_MAX; c++) {
		e->cols[c].b.len = 0;
		e->cols[c].any = 0;
	}
	for (uint32_t k = 0; k < e->ntouched; k++)
		e->touched[e->tlist[k]] = 0;
	e->ntouched = 0;
	e->count = 0;
	e->full = false;
	return 0;
}

/* --- decoder --------------------------------------------------------------------------------- */

struct dcol {
	const uint8_t *p, *end; /* cursor over the decoded bytes */
	const uint8_t *src;	/* stored bytes in the payload */
	uint64_t mask;
	uint32_t raw_len, stored_len;
	uint8_t enc, comp;
	bool present; /* in the chunk */
	bool active;  /* present and decoded */
	struct tf_buf buf;
};

struct tf_chunk_dec {
	ZSTD_DCtx *zd;
	struct dcol cols[TF_COL_MAX];
	struct tf_chunk_hdr hdr;
	uint32_t left;
	uint64_t ts, last_created;
	uint64_t prev_live, prev_goal, prev_talloc, prev_tfree;
	uint32_t *ctx_tid;
	uint64_t *ctx_goid;
	uint8_t *touched;
	uint16_t *tlist;
	uint32_t ntouched;
	struct tf_col_stats stats;
};

struct tf_chunk_dec *tf_chunk_dec__new(void)
{
	struct tf_chunk_dec *d = calloc(1, sizeof(*d));

	if (!d)
		goto err;
	d->zd = ZSTD_createDCtx();
	d->ctx_tid = malloc(NCPU * sizeof(*d->ctx_tid));
	d->ctx_goid = malloc(NCPU * sizeof(*d->ctx_goid));
	d->touched = calloc(NCPU, 1);
	d->tlist = malloc(NCPU * sizeof(*d->tlist));
	if (!d->zd || !d->ctx_tid || !d->ctx_goid || !d->touched || !d->tlist)
		goto err;
	return d;
err:
	tf_chunk_dec__free(d);
	errno = ENOMEM;
	return NULL;
}

void tf_chunk_dec__free(struct tf_chunk_dec *d)
{
	if (!d)
		return;
	for (int c = 0; c < TF_COL_MAX; c++)
		tf_buf__free(&d->cols[c].buf);
	ZSTD_freeDCtx(d->zd);
	free(d->ctx_tid);
	free(d->ctx_goid);
	free(d->touched);
	free(d->tlist);
	free(d);
}

const struct tf_chunk_hdr *tf_chunk_dec__hdr(const struct tf_chunk_dec *d)
{
	return &d->hdr;
}

uint32_t tf_chunk_dec__left(const struct tf_chunk_dec *d)
{
	return d->left;
}

const struct tf_col_stats *tf_chunk_dec__stats(const struct tf_chunk_dec *d)
{
	return &d->stats;
}

static const char *colname(unsigned int c, char *buf, size_t len)
{
	const char *n = tf_col_name(c);

	if (n)
		return n;
	snprintf(buf, len, "#%u", c);
	return buf;
}

/* Parses header and directory; fills cols[] (for known ids) when d is given. */
static int parse(const uint8_t *payload, size_t len, struct tf_chunk_hdr *h, struct dcol *cols)
{
	const uint8_t *p = payload, *end = payload + len;
	uint64_t n, ts, span, ncols, data = 0;
	uint8_t seen[256] = {0};
	char nb[16];

	memset(h, 0, sizeof(*h));
	if (tf_get_uv(&p, end, &n) || tf_get_uv(&p, end, &ts) || tf_get_uv(&p, end, &span) ||
	    tf_get_uv(&p, end, &ncols))
		return xg_error(-EINVAL, "chunk header truncated");
	if (n == 0 || n > TF_MAX_CHUNK_EVENTS)
		return xg_error(-EINVAL, "event count %llu out of range 1..%u",
				(unsigned long long)n, TF_MAX_CHUNK_EVENTS);
	if (ts + span < ts)
		return xg_error(-EINVAL, "time range overflows");
	if (ncols > 255)
		return xg_error(-EINVAL, "%llu columns (at most 255)", (unsigned long long)ncols);
	h->n_events = (uint32_t)n;
	h->ncols = (uint32_t)ncols;
	h->ts_first = ts;
	h->ts_last = ts + span;
	for (uint64_t i = 0; i < ncols; i++) {
		uint64_t mask, raw, stored;
		uint8_t id, enc, comp;

		if (end - p < 3)
			return xg_error(-EINVAL, "column directory truncated");
		id = p[0];
		enc = p[1];
		comp = p[2];
		p += 3;
		if (tf_get_uv(&p, end, &mask) || tf_get_uv(&p, end, &raw) ||
		    tf_get_uv(&p, end, &stored))
			return xg_error(-EINVAL, "column directory truncated");
		if (id == 0 || seen[id])
			return xg_error(-EINVAL, "column %s listed twice or id 0",
					colname(id, nb, sizeof(nb)));
		seen[id] = 1;
		if (raw > TF_MAX_COL_RAW || raw > n * MAX_VAL)
			return xg_error(-EINVAL,
					"column %s: raw length %llu impossible for %llu events",
					colname(id, nb, sizeof(nb)), (unsigned long long)raw,
					(unsigned long long)n);
		if (comp != TF_COMP_NONE && comp != TF_COMP_ZSTD)
			return xg_error(-EINVAL, "column %s: unknown compression %u",
					colname(id, nb, sizeof(nb)), comp);
		if (comp == TF_COMP_NONE && stored != raw)
			return xg_error(
			    -EINVAL,
			    "column %s: stored length %llu != raw length %llu (uncompressed)",
			    colname(id, nb, sizeof(nb)), (unsigned long long)stored,
			    (unsigned long long)raw);
		if (stored > len)
			return xg_error(
			    -EINVAL, "column %s: stored length %llu exceeds chunk size %zu",
			    colname(id, nb, sizeof(nb)), (unsigned long long)stored, len);
		if (id < TF_COL_MAX && enc != specs[id].enc)
			return xg_error(-EINVAL, "column %s: unknown encoding %u", specs[id].name,
					enc);
		h->raw_bytes += raw;
		h->stored_bytes += stored;
		if (cols && id < TF_COL_MAX) {
			struct dcol *c = &cols[id];

			c->present = true;
			c->mask = mask;
			c->raw_len = (uint32_t)raw;
			c->stored_len = (uint32_t)stored;
			c->enc = enc;
			c->comp = comp;
			c->src = payload + data; /* relative for now */
		}
		data += stored;
	}
	if (data != (uint64_t)(end - p))
		return xg_error(-EINVAL, "column data is %llu bytes but the chunk holds %zu",
				(unsigned long long)data, (size_t)(end - p));
	if (cols) {
		size_t base = (size_t)(p - payload);

		for (int c = 1; c < TF_COL_MAX; c++)
			if (cols[c].present)
				cols[c].src += base;
	}
	return 0;
}

int tf_chunk__parse_hdr(const uint8_t *payload, size_t len, struct tf_chunk_hdr *h)
{
	return parse(payload, len, h, NULL);
}

static int inflate(struct tf_chunk_dec *d, unsigned int id)
{
	struct dcol *c = &d->cols[id];
	int err;

	c->buf.len = 0;
	err = tf_buf__reserve(&c->buf, (size_t)c->raw_len + TF_PAD);
	if (err)
		return xg_error(err, "column %s: out of memory", specs[id].name);
	if (c->comp == TF_COMP_ZSTD) {
		unsigned long long fsz = ZSTD_getFrameContentSize(c->src, c->stored_len);
		size_t r;

		if (fsz != c->raw_len)
			return xg_error(-EINVAL,
					"column %s: zstd frame declares %lld bytes, directory %u",
					specs[id].name, (long long)fsz, c->raw_len);
		r = ZSTD_decompressDCtx(d->zd, c->buf.p, c->raw_len, c->src, c->stored_len);
		if (ZSTD_isError(r))
			return xg_error(-EINVAL, "column %s: zstd: %s", specs[id].name,
					ZSTD_getErrorName(r));
		if (r != c->raw_len)
			return xg_error(-EINVAL,
					"column %s: decompressed to %zu bytes, expected %u",
					specs[id].name, r, c->raw_len);
	} else {
		memcpy(c->buf.p, c->src, c->raw_len);
	}
	memset(c->buf.p + c->raw_len, 0, TF_PAD);
	c->p = c->buf.p;
	c->end = c->buf.p + c->raw_len;
	d->stats.raw[id] += c->raw_len;
	d->stats.stored[id] += c->stored_len;
	return 0;
}

int tf_chunk_dec__load(struct tf_chunk_dec *d, const uint8_t *payload, size_t len, uint64_t cols)
{
	uint32_t hist[256] = {0};
	int err;

	d->left = 0;
	for (int c = 0; c < TF_COL_MAX; c++) {
		d->cols[c].present = false;
		d->cols[c].active = false;
	}
	err = parse(payload, len, &d->hdr, d->cols);
	if (err)
		return err;

	cols |= TF_COLBIT(TF_COL_TS) | TF_COLBIT(TF_COL_KIND);
	/* goid and parent_goid share the per-CPU goroutine context */
	if (cols & (TF_COLBIT(TF_COL_PARENT) | TF_COLBIT(TF_COL_GOID)))
		cols |= TF_COLBIT(TF_COL_GOID) | TF_COLBIT(TF_COL_PARENT);
	if (cols & (TF_COLBIT(TF_COL_GOID) | TF_COLBIT(TF_COL_TID)))
		cols |= TF_COLBIT(TF_COL_CPU);

	/* kind first: it gives the number of rows each sparse column must hold */
	if (d->cols[TF_COL_KIND].present) {
		struct dcol *k = &d->cols[TF_COL_KIND];

		if (k->raw_len != d->hdr.n_events)
			return xg_error(-EINVAL, "column kind: %u bytes for %u events", k->raw_len,
					d->hdr.n_events);
		err = inflate(d, TF_COL_KIND);
		if (err)
			return err;
		k->active = true;
		for (uint32_t i = 0; i < k->raw_len; i++)
			hist[k->p[i]]++;
	} else {
		hist[0] = d->hdr.n_events;
	}
	for (int id = 1; id < TF_COL_MAX; id++) {
		struct dcol *c = &d->cols[id];
		uint64_t rows = 0;

		if (!c->present || id == TF_COL_KIND)
			continue;
		for (int k = 0; k < 256; k++)
			if (!c->mask || (k < 64 && (c->mask >> k & 1)))
				rows += hist[k];
		if (c->enc == TF_ENC_U8 ? c->raw_len != rows
					: c->raw_len < rows || c->raw_len > rows * MAX_VAL)
			return xg_error(-EINVAL, "column %s: %u bytes cannot hold %llu values",
					specs[id].name, c->raw_len, (unsigned long long)rows);
		if (!(cols & TF_COLBIT(id)))
			continue;
		err = inflate(d, id);
		if (err)
			return err;
		c->active = true;
	}
	for (uint32_t k = 0; k < d->ntouched; k++)
		d->touched[d->tlist[k]] = 0;
	d->ntouched = 0;
	d->ts = d->hdr.ts_first;
	d->last_created = 0;
	d->prev_live = d->prev_goal = d->prev_talloc = d->prev_tfree = 0;
	d->left = d->hdr.n_events;
	return 0;
}

static int overrun(unsigned int id)
{
	return xg_error(-EINVAL, "column %s: values run past its end", specs[id].name);
}

#define GET(id, out)                                                                               \
	do {                                                                                       \
		struct dcol *_c = &d->cols[id];                                                    \
		_c->p = tf_get_uv_fast(_c->p, &(out));                                             \
		if (__builtin_expect(_c->p > _c->end, 0))                                          \
			return overrun(id);                                                        \
	} while (0)

static int finish(struct tf_chunk_dec *d)
{
	for (int id = 1; id < TF_COL_MAX; id++) {
		const struct dcol *c = &d->cols[id];

		if (c->active && c->p != c->end)
			return xg_error(-EINVAL, "column %s: %zu bytes left after the last event",
					specs[id].name, (size_t)(c->end - c->p));
	}
	if (d->ts != d->hdr.ts_last)
		return xg_error(-EINVAL, "last event at ts %llu but the header says %llu",
				(unsigned long long)d->ts, (unsigned long long)d->hdr.ts_last);
	return 0;
}

int tf_chunk_dec__next(struct tf_chunk_dec *d, struct xg_event *ev)
{
	struct dcol *C = d->cols;
	unsigned int kind = 0, cpu = 0;
	uint64_t km, v;

	if (!d->left)
		return 0;
	memset(ev, 0, sizeof(*ev));
	if (C[TF_COL_KIND].active)
		kind = *C[TF_COL_KIND].p++;
	ev->kind = (uint8_t)kind;
	km = kind < 64 ? 1ULL << kind : 0;
	if (C[TF_COL_TS].active) {
		GET(TF_COL_TS, v);
		if (d->ts + v < d->ts)
			return xg_error(-EINVAL, "column ts: time overflows");
		d->ts += v;
	}
	ev->ts = d->ts;
	if (C[TF_COL_CPU].active) {
		GET(TF_COL_CPU, v);
		if (v > UINT16_MAX)
			return xg_error(-EINVAL, "column cpu: value %llu out of range",
					(unsigned long long)v);
		cpu = (unsigned int)v;
		ev->cpu = (uint16_t)cpu;
	}
	if (!d->touched[cpu]) {
		d->touched[cpu] = 1;
		d->tlist[d->ntouched++] = (uint16_t)cpu;
		d->ctx_tid[cpu] = 0;
		d->ctx_goid[cpu] = 0;
	}
	if (C[TF_COL_TID].active) {
		GET(TF_COL_TID, v);
		ev->tid = (uint32_t)((int64_t)d->ctx_tid[cpu] + tf_unzz(v));
		d->ctx_tid[cpu] = ev->tid;
	}
	if (C[TF_COL_GOID].active) {
		GET(TF_COL_GOID, v);
		if (kind == XG_EV_GO_CREATE) {
			ev->goid = d->last_created + (uint64_t)tf_unzz(v);
			d->last_created = ev->goid;
		} else {
			ev->goid = d->ctx_goid[cpu] + (uint64_t)tf_unzz(v);
			if (ev->goid)
				d->ctx_goid[cpu] = ev->goid;
		}
	}
	if (km & C[TF_COL_STATE].mask && C[TF_COL_STATE].active) {
		uint8_t s = *C[TF_COL_STATE].p++;

		ev->from = s >> 4;
		ev->to = s & 15;
	}
	if (km & C[TF_COL_REASON].mask && C[TF_COL_REASON].active) {
		GET(TF_COL_REASON, v);
		ev->reason = (uint32_t)v;
	}
	if (km & C[TF_COL_STACK].mask && C[TF_COL_STACK].active) {
		GET(TF_COL_STACK, v);
		ev->stack = (uint32_t)v;
	}
	if (km & C[TF_COL_PARENT].mask && C[TF_COL_PARENT].active) {
		GET(TF_COL_PARENT, v);
		ev->parent_goid = d->ctx_goid[cpu] + (uint64_t)tf_unzz(v);
		if (kind == XG_EV_GO_CREATE && ev->parent_goid)
			d->ctx_goid[cpu] = ev->parent_goid;
	}
	if (km & C[TF_COL_CREATE_PC].mask && C[TF_COL_CREATE_PC].active)
		GET(TF_COL_CREATE_PC, ev->create_pc);
	if (km & C[TF_COL_START_PC].mask && C[TF_COL_START_PC].active)
		GET(TF_COL_START_PC, ev->start_pc);
	if (km & C[TF_COL_CREATE_FN].mask && C[TF_COL_CREATE_FN].active) {
		GET(TF_COL_CREATE_FN, v);
		ev->create_fn = (uint32_t)v;
	}
	if (km & C[TF_COL_START_FN].mask && C[TF_COL_START_FN].active) {
		GET(TF_COL_START_FN, v);
		ev->start_fn = (uint32_t)v;
	}
	if (km & C[TF_COL_SIZE].mask && C[TF_COL_SIZE].active)
		GET(TF_COL_SIZE, ev->size);
	if (km & C[TF_COL_TYPE].mask && C[TF_COL_TYPE].active) {
		GET(TF_COL_TYPE, v);
		ev->type = (uint32_t)v;
	}
	if (km & C[TF_COL_WEIGHT].mask && C[TF_COL_WEIGHT].active)
		GET(TF_COL_WEIGHT, ev->weight);
	if (km & C[TF_COL_GC].mask && C[TF_COL_GC].active) {
		GET(TF_COL_GC, v);
		ev->gc = (uint32_t)v;
	}
	if (km & C[TF_COL_HEAP_LIVE].mask && C[TF_COL_HEAP_LIVE].active) {
		GET(TF_COL_HEAP_LIVE, v);
		d->prev_live += (uint64_t)tf_unzz(v);
		ev->heap_live = d->prev_live;
	}
	if (km & C[TF_COL_HEAP_GOAL].mask && C[TF_COL_HEAP_GOAL].active) {
		GET(TF_COL_HEAP_GOAL, v);
		d->prev_goal += (uint64_t)tf_unzz(v);
		ev->heap_goal = d->prev_goal;
	}
	if (km & C[TF_COL_TOTAL_ALLOC].mask && C[TF_COL_TOTAL_ALLOC].active) {
		GET(TF_COL_TOTAL_ALLOC, v);
		d->prev_talloc += (uint64_t)tf_unzz(v);
		ev->total_alloc = d->prev_talloc;
	}
	if (km & C[TF_COL_TOTAL_FREE].mask && C[TF_COL_TOTAL_FREE].active) {
		GET(TF_COL_TOTAL_FREE, v);
		d->prev_tfree += (uint64_t)tf_unzz(v);
		ev->total_free = d->prev_tfree;
	}
	if (km & C[TF_COL_COUNT].mask && C[TF_COL_COUNT].active)
		GET(TF_COL_COUNT, ev->count);
	if (km & C[TF_COL_OF].mask && C[TF_COL_OF].active)
		ev->of = *C[TF_COL_OF].p++;
	if (--d->left == 0)
		return finish(d) ?: 1;
	return 1;
}
