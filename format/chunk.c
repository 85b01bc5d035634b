// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Columnar chunk codec. The encoder makes one pass over the rows writing every column with
 * direct pointer stores into buffers reserved a block of rows at a time; the decoder walks one
 * cursor per column, decoding a block of rows column by column into typed arrays (the column
 * API), from which rows are made for the row API. Both keep the same contexts (SPEC.md "Context
 * coding").
 */
#include <errno.h>
#include <stddef.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "format/chunk.h"
#include "format/codec.h"
#include "util/err.h"

/* kinds whose rows carry each group of columns (format/event.h) */
#define M_STATE	     XG_KINDS_WITH_FIELDS(XG_FLD_STATE)
#define M_STACK	     XG_KINDS_WITH_FIELDS(XG_FLD_STACK)
#define M_CREATE     XG_KINDS_WITH_FIELDS(XG_FLD_CREATE)
#define M_ALLOC	     XG_KINDS_WITH_FIELDS(XG_FLD_ALLOC)
#define M_WEIGHT     XG_KINDS_WITH_FIELDS(XG_FLD_WEIGHT)
#define M_HEAP	     XG_KINDS_WITH_FIELDS(XG_FLD_HEAP)
#define M_LOST	     XG_KINDS_WITH_FIELDS(XG_FLD_LOST)
#define M_WAITED     XG_KINDS_WITH_FIELDS(XG_FLD_WAITED)
#define M_SCHED	     XG_KINDS_WITH_FIELDS(XG_FLD_SCHED)
#define M_ANY	     XG_KINDS_WITH_FIELDS(~0U) /* kinds with any column past goid */
#define NCPU	     65536
#define BLOCK	     256
#define MAX_VAL	     10 /* bytes of the longest value */
#define MIN_COMPRESS 64 /* columns shorter than this are stored as they are */
#define PREFETCH     16 /* rows ahead */

struct colspec {
	const char *name;
	uint64_t mask; /* kinds whose rows carry a value; 0 = every row */
	uint16_t off;  /* the struct xg_event field (state: from, then to) */
	uint8_t width; /* bytes of the field, and of a decoded value (struct tf_columns) */
	uint8_t enc;
};

#define F(field) offsetof(struct xg_event, field), sizeof(((struct xg_event *)0)->field)

static const struct colspec specs[TF_COL_MAX] = {
    [TF_COL_TS] = {"ts", 0, F(ts), TF_ENC_TSDELTA},
    [TF_COL_CPU] = {"cpu", 0, F(cpu), TF_ENC_UVARINT},
    [TF_COL_TID] = {"tid", 0, F(tid), TF_ENC_CPUCTX},
    [TF_COL_KIND] = {"kind", 0, F(kind), TF_ENC_U8},
    [TF_COL_GOID] = {"goid", 0, F(goid), TF_ENC_CPUCTX},
    [TF_COL_STATE] = {"state", M_STATE, F(from), TF_ENC_U8},
    [TF_COL_REASON] = {"reason", M_STATE, F(reason), TF_ENC_UVARINT},
    [TF_COL_STACK] = {"stack", M_STACK, F(stack), TF_ENC_UVARINT},
    [TF_COL_PARENT] = {"parent_goid", M_CREATE, F(parent_goid), TF_ENC_CPUCTX},
    [TF_COL_CREATE_PC] = {"create_pc", M_CREATE, F(create_pc), TF_ENC_UVARINT},
    [TF_COL_START_PC] = {"start_pc", M_CREATE, F(start_pc), TF_ENC_UVARINT},
    [TF_COL_CREATE_FN] = {"create_fn", M_CREATE, F(create_fn), TF_ENC_UVARINT},
    [TF_COL_START_FN] = {"start_fn", M_CREATE, F(start_fn), TF_ENC_UVARINT},
    [TF_COL_SIZE] = {"size", M_ALLOC, F(size), TF_ENC_UVARINT},
    [TF_COL_TYPE] = {"type", M_ALLOC, F(type), TF_ENC_UVARINT},
    [TF_COL_WEIGHT] = {"weight", M_WEIGHT, F(weight), TF_ENC_UVARINT},
    [TF_COL_GC] = {"gc", M_HEAP, F(gc), TF_ENC_UVARINT},
    [TF_COL_HEAP_LIVE] = {"heap_live", M_HEAP, F(heap_live), TF_ENC_DELTA},
    [TF_COL_HEAP_GOAL] = {"heap_goal", M_HEAP, F(heap_goal), TF_ENC_DELTA},
    [TF_COL_TOTAL_ALLOC] = {"total_alloc", M_HEAP, F(total_alloc), TF_ENC_DELTA},
    [TF_COL_TOTAL_FREE] = {"total_free", M_HEAP, F(total_free), TF_ENC_DELTA},
    [TF_COL_COUNT] = {"count", M_LOST, F(count), TF_ENC_UVARINT},
    [TF_COL_OF] = {"of", M_LOST, F(of), TF_ENC_U8},
    [TF_COL_START_WRAPPER] = {"start_wrapper", M_CREATE, F(start_wrapper), TF_ENC_UVARINT},
    [TF_COL_WAITED] = {"waited_ns", M_WAITED, F(waited_ns), TF_ENC_UVARINT},
    [TF_COL_CREATED] = {"created", M_SCHED, F(created), TF_ENC_UVARINT},
    [TF_COL_ALIVE] = {"alive", M_SCHED, F(alive), TF_ENC_UVARINT},
    [TF_COL_THREADS] = {"threads", M_SCHED, F(threads), TF_ENC_UVARINT},
    [TF_COL_GOMAXPROCS] = {"gomaxprocs", M_SCHED, F(gomaxprocs), TF_ENC_UVARINT},
    [TF_COL_RUNNABLE] = {"runnable", M_SCHED, F(runnable), TF_ENC_UVARINT},
};
#undef F

const char *tf_col_name(unsigned int col)
{
	return col > 0 && col < TF_COL_MAX ? specs[col].name : NULL;
}

unsigned int tf_col_width(unsigned int col)
{
	return col > 0 && col < TF_COL_MAX ? specs[col].width : 0;
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

/* --- per-CPU contexts (SPEC.md "Context coding"), shared by encoder and decoder -------------- */

/* Starts small and grows to every possible CPU number the first time a big one shows up. */
struct cpuctx {
	uint32_t *tid;
	uint64_t *goid;
	uint8_t *touched; /* this chunk has set the CPU's contexts */
	uint16_t *tlist;  /* which ones, to reset them */
	uint32_t ntouched, cap;
};

static int ctx_grow(struct cpuctx *c, uint32_t cap)
{
	uint32_t *t = realloc(c->tid, cap * sizeof(*t));
	uint64_t *g;
	uint8_t *u;
	uint16_t *l;

	if (!t)
		return -ENOMEM;
	c->tid = t;
	g = realloc(c->goid, cap * sizeof(*g));
	if (!g)
		return -ENOMEM;
	c->goid = g;
	u = realloc(c->touched, cap);
	if (!u)
		return -ENOMEM;
	c->touched = u;
	memset(u + c->cap, 0, cap - c->cap);
	l = realloc(c->tlist, cap * sizeof(*l));
	if (!l)
		return -ENOMEM;
	c->tlist = l;
	c->cap = cap;
	return 0;
}

static void ctx_free(struct cpuctx *c)
{
	free(c->tid);
	free(c->goid);
	free(c->touched);
	free(c->tlist);
}

/* First use of cpu in this chunk: its contexts start at 0. 0 or -ENOMEM. */
static int ctx_touch(struct cpuctx *c, unsigned int cpu)
{
	if (cpu >= c->cap && ctx_grow(c, NCPU))
		return -ENOMEM;
	if (!c->touched[cpu]) {
		c->touched[cpu] = 1;
		c->tlist[c->ntouched++] = (uint16_t)cpu;
		c->tid[cpu] = 0;
		c->goid[cpu] = 0;
	}
	return 0;
}

static void ctx_reset(struct cpuctx *c)
{
	for (uint32_t k = 0; k < c->ntouched; k++)
		c->touched[c->tlist[k]] = 0;
	c->ntouched = 0;
}

static size_t ctx_mem(const struct cpuctx *c)
{
	return (size_t)c->cap * (sizeof(*c->tid) + sizeof(*c->goid) + 1 + sizeof(*c->tlist));
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
	struct cpuctx ctx;
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
	if (ctx_grow(&e->ctx, 256))
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
	ctx_free(&e->ctx);
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
	size_t m = ctx_mem(&e->ctx);

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
	uint32_t *ctx_tid = e->ctx.tid;
	uint64_t *ctx_goid = e->ctx.goid;
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
			unsigned int kind, cpu;

			/* rows are 136 bytes, often cold: fetch a few ahead (reading past the
			 * last row is harmless: prefetches do not fault) */
			if (i + PREFETCH < n) {
				__builtin_prefetch(rows[i + PREFETCH]);
				__builtin_prefetch((const char *)rows[i + PREFETCH] + 64);
			}
			kind = ev->kind;
			cpu = ev->cpu;
			uint64_t km = kind < 64 ? 1ULL << kind : 0, v;

			v = ev->ts - prev_ts;
			prev_ts = ev->ts;
			p[TF_COL_TS] = tf_put_uv(p[TF_COL_TS], v);
			any[TF_COL_TS] |= v;
			p[TF_COL_CPU] = tf_put_uv(p[TF_COL_CPU], cpu);
			any[TF_COL_CPU] |= cpu;
			if (__builtin_expect(cpu >= e->ctx.cap || !e->ctx.touched[cpu], 0)) {
				if (ctx_touch(&e->ctx, cpu))
					return -ENOMEM;
				ctx_tid = e->ctx.tid;
				ctx_goid = e->ctx.goid;
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
			if (!(km & M_ANY))
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
			}
			if (km & M_WEIGHT) {
				p[TF_COL_WEIGHT] = tf_put_uv(p[TF_COL_WEIGHT], ev->weight);
				any[TF_COL_WEIGHT] |= ev->weight;
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
				p[TF_COL_START_WRAPPER] =
				    tf_put_uv(p[TF_COL_START_WRAPPER], ev->start_wrapper);
				any[TF_COL_START_WRAPPER] |= ev->start_wrapper;
			}
			if (km & M_WAITED) {
				p[TF_COL_WAITED] = tf_put_uv(p[TF_COL_WAITED], ev->waited_ns);
				any[TF_COL_WAITED] |= ev->waited_ns;
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
			if (km & M_SCHED) {
#define PUT(col, field)                                                                            \
	do {                                                                                       \
		p[col] = tf_put_uv(p[col], ev->field);                                             \
		any[col] |= ev->field;                                                             \
	} while (0)
				PUT(TF_COL_CREATED, created);
				PUT(TF_COL_ALIVE, alive);
				PUT(TF_COL_THREADS, threads);
				PUT(TF_COL_GOMAXPROCS, gomaxprocs);
				PUT(TF_COL_RUNNABLE, runnable);
#undef PUT
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
	if (!room) {
		e->full = true;
		return 0;
	}
	k = n < room ? n : room;
	if (rows[k - 1]->ts - e->ts_first >= e->max_ns) {
		/* rows are sorted: the first one past the time limit, by bisection */
		size_t lo = 0, hi = k - 1;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (rows[mid]->ts - e->ts_first < e->max_ns)
				lo = mid + 1;
			else
				hi = mid;
		}
		k = lo;
	}
	if (k < n)
		e->full = true;
	if (!k)
		return 0;
	done = encode_rows(e, rows, k);
	if (done < 0)
		return done;
	e->count += (uint32_t)done;
	if (e->count == e->max_events)
		e->full = true;
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
	ctx_reset(&e->ctx);
	e->count = 0;
	e->full = false;
	return 0;
}

/* --- decoder --------------------------------------------------------------------------------- */

struct dcol {
	const uint8_t *p, *end; /* cursor over the decompressed bytes */
	const uint8_t *src;	/* stored bytes in the payload */
	uint64_t mask;
	uint32_t raw_len, stored_len;
	uint32_t nvals; /* values it holds: rows of the kinds in its mask */
	uint8_t enc, comp;
	bool present;	    /* in the chunk */
	bool active;	    /* present and decoded */
	bool bytes;	    /* every value is one byte (raw_len == nvals) */
	bool serial;	    /* many values of several bytes: read without a branch per byte */
	uint64_t prev;	    /* DELTA: the previous value */
	struct tf_buf buf;  /* decompressed bytes */
	struct tf_buf vals; /* the values of the current block */
};

struct tf_chunk_dec {
	ZSTD_DCtx *zd;
	struct dcol cols[TF_COL_MAX];
	struct tf_chunk_hdr hdr;
	uint32_t hist[256]; /* events per kind */
	bool loaded;
	/* the block: rows [row0, row0 + view.n) of the chunk, decoded; bpos of them returned as
	 * rows; vi[c]: the next value of column c for them */
	uint32_t row0, bpos, vi[TF_COL_MAX];
	struct tf_columns view;
	uint64_t ts, last_created;
	struct tf_buf scratch; /* a block's values before they are narrowed or put in context */
	struct cpuctx ctx;
	struct tf_col_stats stats;
};

/* One zstd context kept from a freed decoder for the next one: creating them is the costliest
 * part of opening a reader (tests and tools open thousands). */
static pthread_mutex_t spare_lock = PTHREAD_MUTEX_INITIALIZER;
static ZSTD_DCtx *spare;

/* zeroed bytes after each decoded column: a sub-batch of unchecked reads stays inside */
#define SLACK (256 * MAX_VAL + TF_PAD)

struct tf_chunk_dec *tf_chunk_dec__new(void)
{
	struct tf_chunk_dec *d = calloc(1, sizeof(*d));

	if (!d)
		goto err;
	if (ctx_grow(&d->ctx, 256))
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
	for (int c = 0; c < TF_COL_MAX; c++) {
		tf_buf__free(&d->cols[c].buf);
		tf_buf__free(&d->cols[c].vals);
	}
	tf_buf__free(&d->scratch);
	pthread_mutex_lock(&spare_lock);
	if (!spare) {
		spare = d->zd;
		d->zd = NULL;
	}
	pthread_mutex_unlock(&spare_lock);
	ZSTD_freeDCtx(d->zd);
	ctx_free(&d->ctx);
	free(d);
}

struct ZSTD_DCtx_s *tf_chunk_dec__zctx(struct tf_chunk_dec *d)
{
	if (d->zd)
		return d->zd;
	pthread_mutex_lock(&spare_lock);
	d->zd = spare;
	spare = NULL;
	pthread_mutex_unlock(&spare_lock);
	if (!d->zd)
		d->zd = ZSTD_createDCtx();
	return d->zd;
}

__attribute__((destructor)) static void free_spare(void)
{
	ZSTD_freeDCtx(spare);
	spare = NULL;
}

const uint32_t *tf_chunk_dec__kinds(const struct tf_chunk_dec *d)
{
	return d->hist;
}

const struct tf_chunk_hdr *tf_chunk_dec__hdr(const struct tf_chunk_dec *d)
{
	return &d->hdr;
}

uint32_t tf_chunk_dec__left(const struct tf_chunk_dec *d)
{
	return d->loaded ? d->hdr.n_events - d->row0 - d->bpos : 0;
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
	err = tf_buf__reserve(&c->buf, (size_t)c->raw_len + SLACK);
	if (err)
		return xg_error(err, "column %s: out of memory", specs[id].name);
	if (c->comp == TF_COMP_ZSTD) {
		unsigned long long fsz = ZSTD_getFrameContentSize(c->src, c->stored_len);
		size_t r;

		if (!tf_chunk_dec__zctx(d))
			return xg_error(-ENOMEM, "out of memory");
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
	memset(c->buf.p + c->raw_len, 0, SLACK);
	c->p = c->buf.p;
	c->end = c->buf.p + c->raw_len;
	d->stats.raw[id] += c->raw_len;
	d->stats.stored[id] += c->stored_len;
	return 0;
}

int tf_chunk_dec__load(struct tf_chunk_dec *d, const uint8_t *payload, size_t len, uint64_t cols)
{
	uint32_t *hist = d->hist;
	int err;

	memset(hist, 0, sizeof(d->hist));
	d->loaded = false;
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
		k->nvals = d->hdr.n_events;
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
		if (!c->mask)
			rows = d->hdr.n_events;
		for (uint64_t m = c->mask; m; m &= m - 1)
			rows += hist[__builtin_ctzll(m)];
		if (c->enc == TF_ENC_U8 ? c->raw_len != rows
					: c->raw_len < rows || c->raw_len > rows * MAX_VAL)
			return xg_error(-EINVAL, "column %s: %u bytes cannot hold %llu values",
					specs[id].name, c->raw_len, (unsigned long long)rows);
		/* ts, cpu, tid and goid are decoded for every row, whatever their mask says (a
		 * mask that selects fewer rows leaves bytes over or runs past the end: damaged) */
		c->nvals = specs[id].mask ? (uint32_t)rows : d->hdr.n_events;
		if (!(cols & TF_COLBIT(id)))
			continue;
		err = inflate(d, id);
		if (err)
			return err;
		c->active = true;
	}
	for (int id = 1; id < TF_COL_MAX; id++) {
		d->cols[id].bytes = d->cols[id].raw_len == d->cols[id].nvals;
		d->cols[id].serial =
		    (uint64_t)d->cols[id].raw_len * 8 > (uint64_t)d->cols[id].nvals * 9;
		d->cols[id].prev = 0;
	}
	ctx_reset(&d->ctx);
	d->ts = d->hdr.ts_first;
	d->last_created = 0;
	d->row0 = d->bpos = 0;
	memset(&d->view, 0, sizeof(d->view));
	d->loaded = true;
	return 0;
}

static int nomem(void)
{
	return xg_error(-ENOMEM, "out of memory");
}

static int overrun(unsigned int id)
{
	return xg_error(-EINVAL, "column %s: values run past its end", specs[id].name);
}

/* Room for n values of column id in its block buffer. */
static void *vals_room(struct dcol *c, unsigned int id, uint32_t n)
{
	c->vals.len = 0;
	if (tf_buf__reserve(&c->vals, (size_t)n * specs[id].width + TF_PAD))
		return NULL;
	return c->vals.p;
}

/* Room for n values of 64 bits, before they are put in context. */
static uint64_t *scratch_room(struct tf_chunk_dec *d, uint32_t n)
{
	d->scratch.len = 0;
	if (tf_buf__reserve(&d->scratch, (size_t)n * sizeof(uint64_t) + TF_PAD))
		return NULL;
	return (uint64_t *)(void *)d->scratch.p;
}

/*
 * The next nv values of a varint column into out, as type T; *any gets the OR of the values.
 * A column whose every value is one byte is copied. Other columns are read unchecked BLOCK
 * values at a time: a block runs at most BLOCK * 10 bytes past the column's end, into the SLACK
 * zeroed bytes inflate() leaves, and the check after each block catches it.
 */
#define UV_NEXT(fn, T)                                                                             \
	static int fn(struct dcol *c, unsigned int id, T *out, uint32_t nv, uint64_t *any)         \
	{                                                                                          \
		const uint8_t *p = c->p;                                                           \
		uint64_t v, or = 0;                                                                \
                                                                                                   \
		if (c->bytes) {                                                                    \
			for (uint32_t i = 0; i < nv; i++) {                                        \
				or |= p[i];                                                        \
				out[i] = p[i];                                                     \
			}                                                                          \
			if (or &0x80) /* a longer value: fewer values than rows */                 \
				return overrun(id);                                                \
			c->p = p + nv;                                                             \
			*any |= or ;                                                               \
			return 0;                                                                  \
		}                                                                                  \
		if (c->serial) {                                                                   \
			uint64_t acc = 0, shift = 0, bad = 0;                                      \
			uint32_t i = 0;                                                            \
                                                                                                   \
			while (i < nv && p < c->end) {                                             \
				uint64_t b = *p++, more = b >> 7;                                  \
                                                                                                   \
				acc |= (b & 0x7f) << (shift & 63);                                 \
				out[i] = (T)acc;                                                   \
				or |= acc;                                                         \
				i += (uint32_t)(more ^ 1);                                         \
				acc &= 0 - more;                                                   \
				shift = (shift + 7) & (0 - more);                                  \
				bad |= shift >> 6; /* a 10th byte goes on */                       \
			}                                                                          \
			if (bad)                                                                   \
				return xg_error(-EINVAL,                                           \
						"column %s: a value longer than 10 bytes",         \
						specs[id].name);                                   \
			if (shift || (p == c->end && i < nv))                                      \
				return overrun(id);                                                \
			c->p = p;                                                                  \
			*any |= or ;                                                               \
			return 0;                                                                  \
		}                                                                                  \
		for (uint32_t i = 0; i < nv;) {                                                    \
			uint32_t bend = nv - i < BLOCK ? nv : i + BLOCK;                           \
                                                                                                   \
			for (; i < bend; i++) {                                                    \
				p = tf_get_uv_fast(p, &v);                                         \
				or |= v;                                                           \
				out[i] = (T)v;                                                     \
			}                                                                          \
			if (p > c->end)                                                            \
				return overrun(id);                                                \
		}                                                                                  \
		c->p = p;                                                                          \
		*any |= or ;                                                                       \
		return 0;                                                                          \
	}
UV_NEXT(uv_next64, uint64_t)
UV_NEXT(uv_next32, uint32_t)
UV_NEXT(uv_next16, uint16_t)
#undef UV_NEXT

#define DBLOCK 1024 /* rows of a block: decoded column by column, then handed out */

/* Values of absent kind and cpu columns. */
static const uint8_t zero_kinds[DBLOCK];
static const uint16_t zero_cpus[DBLOCK];

/* tid, goid and parent_goid of the block's n rows with their per-CPU contexts (SPEC.md section
 * 9.4); np: the block's parent_goid values. */
static int dec_ctx(struct tf_chunk_dec *d, const uint8_t *kind, const uint16_t *cpu, uint32_t n,
		   uint32_t np)
{
	struct dcol *t = &d->cols[TF_COL_TID], *g = &d->cols[TF_COL_GOID];
	struct dcol *pa = &d->cols[TF_COL_PARENT];
	uint64_t any = 0;
	int err;

	if (!t->active && !g->active && !pa->active)
		return 0;
	for (uint32_t i = 0; i < n; i++) {
		unsigned int k = cpu[i];

		if (__builtin_expect(k >= d->ctx.cap || !d->ctx.touched[k], 0) &&
		    ctx_touch(&d->ctx, k))
			return nomem();
	}
	if (t->active) {
		uint32_t *out = vals_room(t, TF_COL_TID, n), *ctx = d->ctx.tid;
		uint64_t *v = scratch_room(d, n);

		if (!out || !v)
			return nomem();
		err = uv_next64(t, TF_COL_TID, v, n, &any);
		if (err)
			return err;
		/* most deltas are 0: the context is stored only when it changes */
		for (uint32_t i = 0; i < n; i++) {
			if (v[i])
				ctx[cpu[i]] = (uint32_t)((int64_t)ctx[cpu[i]] + tf_unzz(v[i]));
			out[i] = ctx[cpu[i]];
		}
		d->view.col[TF_COL_TID] = (struct tf_column){.p = out, .n = n};
	}
	if (g->active || pa->active) {
		uint64_t *gout = g->active ? vals_room(g, TF_COL_GOID, n) : NULL;
		uint64_t *pout = pa->active ? vals_room(pa, TF_COL_PARENT, np) : NULL;
		uint64_t *ctx = d->ctx.goid, last = d->last_created,
			 pmask = pa->active ? pa->mask : 0;
		uint32_t j = 0; /* parent values: np in all, the rows pmask selects */

		if ((g->active && !gout) || (pa->active && !pout))
			return nomem();
		err = gout ? uv_next64(g, TF_COL_GOID, gout, n, &any) : 0;
		if (!err && pout)
			err = uv_next64(pa, TF_COL_PARENT, pout, np, &any);
		if (err)
			return err;
		for (uint32_t i = 0; i < n; i++) {
			unsigned int k = cpu[i];
			bool create = kind[i] == XG_EV_GO_CREATE;

			if (gout) {
				uint64_t goid = ctx[k];

				if (create) {
					goid = last + (uint64_t)tf_unzz(gout[i]);
					last = goid;
				} else {
					goid += (uint64_t)tf_unzz(gout[i]);
					if (goid)
						ctx[k] = goid;
				}
				gout[i] = goid;
			}
			if (XG_KIND_IN(pmask, kind[i])) {
				uint64_t parent = ctx[k] + (uint64_t)tf_unzz(pout[j]);

				if (create && parent)
					ctx[k] = parent;
				pout[j++] = parent;
			}
		}
		d->last_created = last;
		if (gout)
			d->view.col[TF_COL_GOID] = (struct tf_column){.p = gout, .n = n};
		if (pout)
			d->view.col[TF_COL_PARENT] =
			    (struct tf_column){.p = pout, .mask = pa->mask, .n = np};
	}
	return 0;
}

/* The chunk's last block is decoded: every column must end there, and ts where the header
 * says. */
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

/* Decodes the next n <= DBLOCK rows of every active column into the view. */
static int decode_block(struct tf_chunk_dec *d, uint32_t n)
{
	struct dcol *C = d->cols;
	struct tf_columns *v = &d->view;
	uint32_t hist[256] = {0};
	const uint16_t *cpu = zero_cpus;
	const uint8_t *kind = zero_kinds;
	uint64_t any = 0, *ts;
	int err;

	memset(v, 0, sizeof(*v));
	v->n = n;
	if (C[TF_COL_KIND].active) {
		kind = C[TF_COL_KIND].p;
		C[TF_COL_KIND].p += n;
	}
	v->col[TF_COL_KIND] = (struct tf_column){.p = kind, .n = n};
	for (uint32_t i = 0; i < n; i++)
		hist[kind[i]]++;

	ts = vals_room(&C[TF_COL_TS], TF_COL_TS, n);
	if (!ts)
		return nomem();
	if (C[TF_COL_TS].active) {
		uint64_t t = d->ts, ov = 0;

		err = uv_next64(&C[TF_COL_TS], TF_COL_TS, ts, n, &any);
		if (err)
			return err;
		for (uint32_t i = 0; i < n; i++) {
			ov |= t + ts[i] < t;
			t += ts[i];
			ts[i] = t;
		}
		if (ov)
			return xg_error(-EINVAL, "column ts: time overflows");
		d->ts = t;
	} else {
		for (uint32_t i = 0; i < n; i++)
			ts[i] = d->ts;
	}
	v->col[TF_COL_TS] = (struct tf_column){.p = ts, .n = n};

	if (C[TF_COL_CPU].active) {
		uint16_t *out = vals_room(&C[TF_COL_CPU], TF_COL_CPU, n);

		any = 0;
		if (!out)
			return nomem();
		err = uv_next16(&C[TF_COL_CPU], TF_COL_CPU, out, n, &any);
		if (err)
			return err;
		if (any >> 16)
			return xg_error(-EINVAL, "column cpu: value out of range");
		v->col[TF_COL_CPU] = (struct tf_column){.p = out, .n = n};
		cpu = out;
	}

	for (unsigned int id = 1; id < TF_COL_MAX; id++) {
		struct dcol *c = &C[id];
		uint32_t cnt = 0;
		void *out;

		if (!c->active || !specs[id].mask)
			continue; /* not decoded, or ts, cpu, tid, kind, goid */
		if (!c->mask)
			cnt = n;
		for (uint64_t m = c->mask; m; m &= m - 1)
			cnt += hist[__builtin_ctzll(m)];
		v->col[id] = (struct tf_column){.mask = c->mask, .n = cnt};
		if (id == TF_COL_PARENT)
			continue; /* with goid, below */
		if (specs[id].enc == TF_ENC_U8) {
			v->col[id].p = c->p;
			c->p += cnt;
			continue;
		}
		out = vals_room(c, id, cnt);
		if (!out)
			return nomem();
		if (specs[id].width == 4) {
			err = uv_next32(c, id, out, cnt, &any);
		} else {
			err = uv_next64(c, id, out, cnt, &any);
			if (!err && specs[id].enc == TF_ENC_DELTA) {
				uint64_t *o = out, prev = c->prev;

				for (uint32_t i = 0; i < cnt; i++) {
					prev += (uint64_t)tf_unzz(o[i]);
					o[i] = prev;
				}
				c->prev = prev;
			}
		}
		if (err)
			return err;
		v->col[id].p = out;
	}
	err = dec_ctx(d, kind, cpu, n, v->col[TF_COL_PARENT].n);
	if (err)
		return err;
	if (d->row0 + n == d->hdr.n_events)
		return finish(d);
	return 0;
}

/* Moves on to the next block of the loaded chunk: 1, 0 at its end, or -EINVAL (then the rest
 * of the chunk is given up). */
static int next_block(struct tf_chunk_dec *d)
{
	uint32_t left = d->hdr.n_events - d->row0 - d->view.n;
	int err;

	if (!d->loaded || !left)
		return 0;
	d->row0 += d->view.n;
	d->bpos = 0;
	memset(d->vi, 0, sizeof(d->vi));
	err = decode_block(d, left < DBLOCK ? left : DBLOCK);
	if (err) {
		d->loaded = false;
		return err;
	}
	return 1;
}

int tf_chunk_dec__cols(struct tf_chunk_dec *d, uint32_t unread, const struct tf_columns **cols)
{
	int rc = 1;

	if (!d->loaded)
		return 0;
	if (d->bpos - unread >= d->view.n)
		rc = next_block(d);
	else
		d->view.first = d->bpos - unread;
	if (rc <= 0)
		return rc;
	d->bpos = d->view.n;
	*cols = &d->view;
	return 1;
}

#define SUB 256 /* rows assembled at a time */

/* Rows of a sub-batch whose kind is in a column's mask, cached per distinct mask. */
struct rowset {
	uint64_t mask;
	uint32_t n;
	uint16_t idx[SUB];
};

#define NROWSETS 8

static const struct rowset *rows_for(struct rowset *rs, int *nrs, const uint64_t *km, size_t k,
				     uint64_t mask)
{
	struct rowset *r;

	for (int i = 0; i < *nrs; i++)
		if (rs[i].mask == mask)
			return &rs[i];
	r = &rs[*nrs < NROWSETS ? (*nrs)++ : NROWSETS - 1];
	r->mask = mask;
	r->n = 0;
	for (size_t i = 0; i < k; i++) {
		r->idx[r->n] = (uint16_t)i;
		r->n += (km[i] & mask) != 0;
	}
	return r;
}

/* Stores cnt column values into a field of rows idx[0..cnt), or of the first cnt rows. */
#define SCATTER(type)                                                                              \
	do {                                                                                       \
		const type *_v = (const type *)col->p + d->vi[id];                                 \
		if (idx)                                                                           \
			for (uint32_t j = 0; j < cnt; j++)                                         \
				memcpy((char *)&evs[idx[j]] + off, &_v[j], sizeof(type));          \
		else                                                                               \
			for (uint32_t j = 0; j < cnt; j++)                                         \
				memcpy((char *)&evs[j] + off, &_v[j], sizeof(type));               \
	} while (0)

/* Rows [bpos, bpos + k) of the block into evs, k <= SUB. */
static void assemble(struct tf_chunk_dec *d, struct xg_event *evs, uint32_t k)
{
	const uint8_t *kind = d->view.col[TF_COL_KIND].u8 + d->bpos;
	struct rowset rs[NROWSETS];
	uint64_t km[SUB], kmall = 0;
	int nrs = 0;

	memset(evs, 0, k * sizeof(*evs));
	for (uint32_t i = 0; i < k; i++) {
		km[i] = kind[i] < 64 ? 1ULL << kind[i] : 0;
		kmall |= km[i];
	}
	for (unsigned int id = 1; id < TF_COL_MAX; id++) {
		const struct tf_column *col = &d->view.col[id];
		const uint16_t *idx = NULL;
		size_t off = specs[id].off;
		uint32_t cnt = k;

		if (!col->p)
			continue;
		if (col->mask) {
			const struct rowset *r;

			if (!(col->mask & kmall))
				continue;
			r = rows_for(rs, &nrs, km, k, col->mask);
			idx = r->idx;
			cnt = r->n;
		} else {
			d->vi[id] = d->bpos;
		}
		if (id == TF_COL_STATE) {
			const uint8_t *v = col->u8 + d->vi[id];

			for (uint32_t j = 0; j < cnt; j++) {
				struct xg_event *e = &evs[idx ? idx[j] : j];

				e->from = v[j] >> 4;
				e->to = v[j] & 15;
			}
		} else if (specs[id].width == 8) {
			SCATTER(uint64_t);
		} else if (specs[id].width == 4) {
			SCATTER(uint32_t);
		} else if (specs[id].width == 2) {
			SCATTER(uint16_t);
		} else {
			SCATTER(uint8_t);
		}
		d->vi[id] += cnt;
	}
}

long tf_chunk_dec__read(struct tf_chunk_dec *d, struct xg_event *evs, size_t n)
{
	size_t done = 0;

	if (!n || !d->loaded)
		return 0;
	if (d->bpos == d->view.n) {
		int rc = next_block(d);

		if (rc <= 0)
			return rc;
	}
	/* rows of one block only: a caller's rows not yet used are all in the current block */
	while (done < n && d->bpos < d->view.n) {
		uint32_t k = d->view.n - d->bpos;

		if (k > SUB)
			k = SUB;
		if (k > n - done)
			k = (uint32_t)(n - done);
		assemble(d, evs + done, k);
		d->bpos += k;
		done += k;
	}
	return (long)done;
}
