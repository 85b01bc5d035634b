// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Trace writer. Producers fill event buffers under w->lock; the background thread takes sealed
 * buffers in order, merges them with the events held back for reordering, sorts, feeds the
 * chunk encoder, and writes table, chunk and keyframe records. See format/writer.h for the
 * contract and SPEC.md for the bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "format/chunk.h"
#include "format/codec.h"
#include "format/gtrack.h"
#include "format/writer.h"
#include "format/xgt.h"
#include "util/array.h"
#include "util/err.h"

#define DEF_CHUNK_EVENTS 65536u
#define DEF_CHUNK_BYTES	 (4u << 20)
#define DEF_NS		 1000000000ULL
#define DEF_REORDER_NS	 10000000ULL
#define DEF_FLUSH_MS	 1000
#define DEF_MEM		 (64u << 20)
#define MIN_MEM		 (16u << 20)
#define BUF_EVENTS	 16384u
#define MAX_BUFS	 64u
#define TABLE_RECORD_MAX (1u << 20) /* split table records at about this many bytes */
#define COMPRESS_MIN	 256	    /* compress table/keyframe/index payloads from this size */

#define BUF_FLUSH	 1 /* write everything, including the reorder window */
#define BUF_TICK	 2 /* wall-clock cut: write what is outside the window and the open chunk */

struct evbuf {
	struct xg_event *ev;
	uint32_t n;
	uint32_t flags;
	uint32_t nstr, nstack; /* table sizes when sealed */
	struct evbuf *next;
};

struct chunk_ent {
	uint64_t off, size, ts_first, ts_last, n;
};

struct kf_ent {
	uint64_t off, size, ts, chunks_before, n;
};

struct table_ent {
	uint8_t type;
	uint64_t off, size, first, count;
};

struct tf_writer {
	char *path;
	int fd;
	struct tf_writer_opts o;
	size_t mem;

	/* producer side, under lock */
	pthread_mutex_t lock;
	pthread_cond_t cv_free, cv_work, cv_done;
	struct evbuf *bufs;
	uint32_t nbufs, buf_events;
	struct evbuf *free_list, *q_head, *q_tail, *cur;
	uint64_t submitted, completed;
	uint64_t appended, lost, blocked_ns;
	uint64_t stop_ts;	    /* tf_writer__set_stop(); 0: not given */
	struct tf_meta *final_meta; /* tf_writer__set_final_meta(); NULL: none */
	bool stop;
	int err; /* sticky */
	char errmsg[512];

	pthread_mutex_t tlock;
	struct tf_tables *tables;

	pthread_t thr;
	bool thr_started;

	/* background side */
	struct xg_event *carry[2];
	size_t ncarry, carry_cap;
	int ci;
	const struct xg_event **ptrs, **ptmp;
	uint64_t *keys, *ktmp;
	struct tf_chunk_enc *enc;
	ZSTD_CCtx *zc;
	struct tf_buf rec, tmp;
	struct tf_gtrack *gt;
	uint64_t off; /* bytes written */
	uint32_t str_avail, stack_avail, str_done, stack_done;
	uint64_t watermark, newest, first_ts, last_kf_ts;
	bool have_ts, kf_any, wrote;
	struct chunk_ent *chunks;
	size_t nchunks, chunks_cap;
	struct kf_ent *kfs;
	size_t nkfs, kfs_cap;
	struct table_ent *tabs;
	size_t ntabs, tabs_cap;
	uint64_t kinds[256];
	uint64_t written, late, late_max, raw_bytes;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* --- records --------------------------------------------------------------------------------- */

/* Starts a record in b (which must be empty); the payload follows. */
static int rec_begin(struct tf_buf *b, uint8_t type)
{
	int err;

	b->len = 0;
	err = tf_buf__reserve(b, TF_REC_HDR + 64);
	if (err)
		return err;
	memset(b->p, 0, TF_REC_HDR);
	b->p[0] = type;
	b->len = TF_REC_HDR;
	return 0;
}

/* Fills in length and CRC. */
static int rec_end(struct tf_buf *b)
{
	size_t plen = b->len - TF_REC_HDR;
	int err;

	if (plen > TF_MAX_RECORD)
		return xg_error(-E2BIG, "record of %zu bytes exceeds the format's limit", plen);
	err = tf_buf__reserve(b, TF_REC_CRC);
	if (err)
		return err;
	tf_put_le32(b->p + 4, (uint32_t)plen);
	tf_put_le32(b->p + b->len, tf_crc32c(0, b->p, b->len));
	b->len += TF_REC_CRC;
	return 0;
}

/* Appends the payload in src to the record in b, compressed (TF_RECF_ZSTD) when it pays. */
static int rec_payload(struct tf_writer *w, struct tf_buf *b, const struct tf_buf *src)
{
	int err;

	if (w->zc && src->len >= COMPRESS_MIN) {
		size_t bound = ZSTD_compressBound(src->len), r;
		uint8_t *p;

		err = tf_buf__reserve(b, bound + 10);
		if (err)
			return err;
		p = tf_put_uv(b->p + b->len, src->len);
		r = ZSTD_compress2(w->zc, p, bound, src->p, src->len);
		if (ZSTD_isError(r))
			return xg_error(-EIO, "zstd: %s", ZSTD_getErrorName(r));
		if (r + (size_t)(p - (b->p + b->len)) < src->len) {
			b->p[1] |= TF_RECF_ZSTD;
			b->len = (size_t)(p - b->p) + r;
			return 0;
		}
	}
	return tf_buf__append(b, src->p, src->len);
}

static int fail(struct tf_writer *w, int err, const char *what)
{
	/* cut the file back to its last complete record (best effort: it may fail too) */
	int r = ftruncate(w->fd, (off_t)w->off);

	(void)r;
	return xg_error(err, "%s: %s at offset %llu: %s", w->path, what, (unsigned long long)w->off,
			strerror(-err));
}

static int write_all(struct tf_writer *w, const uint8_t *p, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = pwrite(w->fd, p + done, len - done, (off_t)(w->off + done));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return fail(w, -errno, "write");
		if (r == 0)
			return fail(w, -EIO, "write");
		done += (size_t)r;
	}
	w->off += len;
	w->wrote = true;
	return 0;
}

static int add_table_ent(struct tf_writer *w, uint8_t type, uint64_t off, uint64_t size,
			 uint64_t first, uint64_t count)
{
	if (xg_array_grow((void **)&w->tabs, &w->tabs_cap, w->ntabs + 1, sizeof(*w->tabs)))
		return -ENOMEM;
	w->tabs[w->ntabs++] = (struct table_ent){type, off, size, first, count};
	return 0;
}

static int write_meta(struct tf_writer *w, const struct tf_meta *m)
{
	size_t n = tf_meta__count(m);
	struct tf_buf *t = &w->tmp;
	uint64_t off = w->off;
	int err;

	t->len = 0;
	err = tf_buf__reserve(t, 10);
	if (err)
		return err;
	t->len = (size_t)(tf_put_uv(t->p, n) - t->p);
	for (size_t i = 0; i < n; i++) {
		const char *key = NULL, *sval = NULL;
		int64_t ival = 0;
		enum tf_meta_type type = tf_meta__at(m, i, &key, &sval, &ival);
		size_t klen = strlen(key), vlen = sval ? strlen(sval) : 0;
		uint8_t *p;

		err = tf_buf__reserve(t, 1 + 10 + klen + 10 + vlen + 8);
		if (err)
			return err;
		p = t->p + t->len;
		*p++ = (uint8_t)type;
		p = tf_put_uv(p, klen);
		// NOLINTNEXTLINE(bugprone-not-null-terminated-result): a sized field
		memcpy(p, key, klen);
		p += klen;
		if (type == TF_META_STR) {
			p = tf_put_uv(p, vlen);
			if (vlen) // NOLINTNEXTLINE(bugprone-not-null-terminated-result)
				memcpy(p, sval, vlen);
			p += vlen;
		} else {
			tf_put_le64(p, (uint64_t)ival);
			p += 8;
		}
		t->len = (size_t)(p - t->p);
	}
	err = rec_begin(&w->rec, TF_REC_META);
	if (!err)
		err = tf_buf__append(&w->rec, t->p, t->len);
	if (!err)
		err = rec_end(&w->rec);
	if (!err)
		err = write_all(w, w->rec.p, w->rec.len);
	if (!err)
		err = add_table_ent(w, TF_REC_META, off, w->rec.len, 0, n);
	return err;
}

/* Writes one table record from w->tmp (payload: first, count, entries). */
static int write_table(struct tf_writer *w, uint8_t type, uint32_t first, uint32_t count)
{
	uint64_t off = w->off;
	int err;

	err = rec_begin(&w->rec, type);
	if (!err)
		err = rec_payload(w, &w->rec, &w->tmp);
	if (!err)
		err = rec_end(&w->rec);
	if (!err)
		err = write_all(w, w->rec.p, w->rec.len);
	if (!err)
		err = add_table_ent(w, type, off, w->rec.len, first, count);
	return err;
}

static int table_start(struct tf_buf *t)
{
	t->len = 0;
	/* first id and count are filled in at the end: reserve 2 x 5 bytes, padded varints */
	if (tf_buf__reserve(t, 10))
		return -ENOMEM;
	t->len = 10;
	return 0;
}

/* Finishes the table payload: writes first and count as fixed 5-byte varints. */
static void table_fix(struct tf_buf *t, uint32_t first, uint32_t count)
{
	uint32_t v[2] = {first, count};

	for (int k = 0; k < 2; k++)
		for (int i = 0; i < 5; i++)
			t->p[k * 5 + i] =
			    (uint8_t)(((v[k] >> (7 * i)) & 0x7f) | (i < 4 ? 0x80 : 0));
}

/* The frame flags of stacks [first, end), appended after them (format 1.1, SPEC.md section 8):
 * per stack the number of flagged frames, then (frame index, flags) for each. */
static int put_frame_flags(struct tf_writer *w, uint32_t first, uint32_t end)
{
	for (uint32_t id = first; id < end; id++) {
		uint32_t nf, m = 0;
		const struct xg_frame *f = tf_tables__stack(w->tables, id, &nf);
		uint8_t *p;
		int err;

		for (uint32_t i = 0; i < nf; i++)
			m += f[i].flags != 0;
		err = tf_buf__reserve(&w->tmp, 10 + (size_t)m * 20);
		if (err)
			return err;
		p = tf_put_uv(w->tmp.p + w->tmp.len, m);
		for (uint32_t i = 0; i < nf && m; i++) {
			if (!f[i].flags)
				continue;
			p = tf_put_uv(p, i);
			p = tf_put_uv(p, f[i].flags);
		}
		w->tmp.len = (size_t)(p - w->tmp.p);
	}
	return 0;
}

/* Writes the table entries interned before the newest buffer taken so far. */
static int emit_tables(struct tf_writer *w)
{
	int err = 0;

	if (w->str_done >= w->str_avail && w->stack_done >= w->stack_avail)
		return 0;
	pthread_mutex_lock(&w->tlock);
	while (!err && w->str_done < w->str_avail) {
		uint32_t first = w->str_done + 1, id = first;

		err = table_start(&w->tmp);
		while (!err && id <= w->str_avail && w->tmp.len < TABLE_RECORD_MAX) {
			size_t len = tf_tables__str_len(w->tables, id);

			err = tf_buf__reserve(&w->tmp, 10 + len);
			if (err)
				break;
			w->tmp.len = (size_t)(tf_put_uv(w->tmp.p + w->tmp.len, len) - w->tmp.p);
			memcpy(w->tmp.p + w->tmp.len, tf_tables__str(w->tables, id), len);
			w->tmp.len += len;
			id++;
		}
		if (err)
			break;
		table_fix(&w->tmp, first, id - first);
		err = write_table(w, TF_REC_STRINGS, first, id - first);
		w->str_done = id - 1;
	}
	while (!err && w->stack_done < w->stack_avail) {
		uint32_t first = w->stack_done + 1, id = first;

		err = table_start(&w->tmp);
		while (!err && id <= w->stack_avail && w->tmp.len < TABLE_RECORD_MAX) {
			uint32_t nf;
			const struct xg_frame *f = tf_tables__stack(w->tables, id, &nf);
			uint8_t *p;

			err = tf_buf__reserve(&w->tmp, 10 + (size_t)nf * 40);
			if (err)
				break;
			p = tf_put_uv(w->tmp.p + w->tmp.len, nf);
			for (uint32_t i = 0; i < nf; i++) {
				p = tf_put_uv(p, f[i].pc);
				p = tf_put_uv(p, f[i].fn);
				p = tf_put_uv(p, f[i].file);
				p = tf_put_uv(p, f[i].line);
			}
			w->tmp.len = (size_t)(p - w->tmp.p);
			id++;
		}
		if (!err)
			err = put_frame_flags(w, first, id);
		if (err)
			break;
		table_fix(&w->tmp, first, id - first);
		err = write_table(w, TF_REC_STACKS, first, id - first);
		w->stack_done = id - 1;
	}
	pthread_mutex_unlock(&w->tlock);
	return err;
}

static int write_keyframe(struct tf_writer *w, uint64_t ts)
{
	size_t n;
	const struct tf_goroutine *g = tf_gtrack__sorted(w->gt, &n);
	struct tf_buf *t = &w->tmp;
	uint64_t prev = 0, off = w->off;
	uint8_t *p;
	int err;

	if (!g && n)
		return -ENOMEM;
	t->len = 0;
	err = tf_buf__reserve(t, 30 + n * (1 + 9 * 10));
	if (err)
		return err;
	p = t->p;
	p = tf_put_uv(p, ts);
	p = tf_put_uv(p, w->nchunks);
	p = tf_put_uv(p, n);
	for (size_t i = 0; i < n; i++) {
		p = tf_put_uv(p, g[i].goid - prev);
		prev = g[i].goid;
		*p++ = g[i].state;
		p = tf_put_uv(p, g[i].reason);
		p = tf_put_uv(p, g[i].parent_goid);
		p = tf_put_uv(p, g[i].start_fn);
		p = tf_put_uv(p, g[i].create_fn);
		p = tf_put_uv(p, g[i].start_pc);
		p = tf_put_uv(p, g[i].create_pc);
		p = tf_put_uv(p, g[i].created_ts);
		p = tf_put_uv(p, g[i].since_ts);
	}
	t->len = (size_t)(p - t->p);
	err = rec_begin(&w->rec, TF_REC_KEYFRAME);
	if (!err)
		err = rec_payload(w, &w->rec, t);
	if (!err)
		err = rec_end(&w->rec);
	if (!err)
		err = write_all(w, w->rec.p, w->rec.len);
	if (err)
		return err;
	if (xg_array_grow((void **)&w->kfs, &w->kfs_cap, w->nkfs + 1, sizeof(*w->kfs)))
		return -ENOMEM;
	w->kfs[w->nkfs++] = (struct kf_ent){off, w->rec.len, ts, w->nchunks, n};
	w->last_kf_ts = ts;
	w->kf_any = true;
	return 0;
}

/* Writes the chunk being built, the tables it needs before it, and a keyframe after it when
 * one is due. */
static int write_chunk(struct tf_writer *w)
{
	uint32_t n = tf_chunk_enc__count(w->enc);
	uint64_t ts_first = tf_chunk_enc__ts_first(w->enc);
	uint64_t ts_last = tf_chunk_enc__ts_last(w->enc), off;
	int err;

	if (!n)
		return 0;
	err = emit_tables(w);
	if (err)
		return err;
	off = w->off;
	err = rec_begin(&w->rec, TF_REC_CHUNK);
	if (!err)
		err = tf_chunk_enc__finish(w->enc, &w->rec);
	if (!err)
		err = rec_end(&w->rec);
	if (!err)
		err = write_all(w, w->rec.p, w->rec.len);
	if (err)
		return err;
	if (xg_array_grow((void **)&w->chunks, &w->chunks_cap, w->nchunks + 1, sizeof(*w->chunks)))
		return -ENOMEM;
	w->chunks[w->nchunks++] = (struct chunk_ent){off, w->rec.len, ts_first, ts_last, n};
	w->written += n;
	if (ts_last - (w->kf_any ? w->last_kf_ts : w->first_ts) >= w->o.keyframe_ns)
		err = write_keyframe(w, ts_last);
	return err;
}

/* Stable LSD radix sort of w->ptrs[0..n) by ts. */
static void sort_ptrs(struct tf_writer *w, size_t n)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	const struct xg_event **src = w->ptrs, **dst = w->ptmp, **t;
	uint64_t *ks = w->keys, *kd = w->ktmp, *kt;

	for (size_t i = 0; i < n; i++) {
		uint64_t ts = src[i]->ts;

		lo = ts < lo ? ts : lo;
		hi = ts > hi ? ts : hi;
	}
	for (size_t i = 0; i < n; i++)
		ks[i] = src[i]->ts - lo;
	for (unsigned int shift = 0; shift < 64 && ((hi - lo) >> shift); shift += 11) {
		size_t cnt[2048] = {0}, sum = 0;

		for (size_t i = 0; i < n; i++)
			cnt[(ks[i] >> shift) & 2047]++;
		for (size_t b = 0; b < 2048; b++) {
			size_t c = cnt[b];

			cnt[b] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++) {
			size_t at = cnt[(ks[i] >> shift) & 2047]++;

			dst[at] = src[i];
			kd[at] = ks[i];
		}
		t = src, src = dst, dst = t;
		kt = ks, ks = kd, kd = kt;
	}
	if (src != w->ptrs)
		memcpy(w->ptrs, src, n * sizeof(*src));
}

/* Adds ptrs[0..n) to chunks, writing each chunk as it fills. */
static int encode(struct tf_writer *w, size_t n)
{
	size_t i = 0;

	while (i < n) {
		long added = tf_chunk_enc__add(w->enc, w->ptrs + i, n - i);

		if (added < 0)
			return (int)added;
		for (long k = 0; k < added; k++) {
			const struct xg_event *ev = w->ptrs[i + (size_t)k];

			w->kinds[ev->kind]++;
			if (XG_KIND_IN(XG_KINDS_WITH_FLAGS(XG_KIND_GOROUTINE), ev->kind)) {
				if (tf_gtrack__apply(w->gt, ev))
					return -ENOMEM;
			}
		}
		i += (size_t)added;
		if (tf_chunk_enc__full(w->enc)) {
			int err = write_chunk(w);

			if (err)
				return err;
		}
	}
	return 0;
}

/* Background: one sealed buffer. */
static int process(struct tf_writer *w, struct evbuf *b)
{
	bool flush = b->flags & BUF_FLUSH, tick = b->flags & BUF_TICK, sorted = true;
	size_t n = 0, cut;
	struct xg_event *nc;
	int err;

	if (tick && !b->n)
		flush = true;
	w->str_avail = b->nstr;
	w->stack_avail = b->nstack;

	for (size_t i = 0; i < w->ncarry; i++)
		w->ptrs[n++] = &w->carry[w->ci][i];
	for (uint32_t i = 0; i < b->n; i++) {
		struct xg_event *ev = &b->ev[i];

		if (n && ev->ts < w->ptrs[n - 1]->ts)
			sorted = false;
		if (!w->have_ts) {
			w->have_ts = true;
			w->first_ts = ev->ts;
			w->watermark = ev->ts;
		}
		if (ev->ts > w->newest)
			w->newest = ev->ts;
		w->ptrs[n++] = ev;
	}
	if (!sorted)
		sort_ptrs(w, n);

	/* late events: raise to the watermark (only the first ones can be late once sorted) */
	for (size_t i = 0; i < n && w->ptrs[i]->ts < w->watermark; i++) {
		struct xg_event *ev = (struct xg_event *)w->ptrs[i];
		uint64_t by = w->watermark - ev->ts;

		w->late++;
		if (by > w->late_max)
			w->late_max = by;
		ev->ts = w->watermark;
	}

	if (flush) {
		cut = n;
	} else {
		uint64_t lim = w->newest > w->o.reorder_ns ? w->newest - w->o.reorder_ns : 0;
		size_t lo = 0, hi = n;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (w->ptrs[mid]->ts <= lim)
				lo = mid + 1;
			else
				hi = mid;
		}
		cut = lo;
		if (n - cut > w->carry_cap)
			cut = n - w->carry_cap;
	}
	err = encode(w, cut);
	if (!err && (flush || tick))
		err = write_chunk(w);
	if (err)
		return err;
	if (cut)
		w->watermark = w->ptrs[cut - 1]->ts;

	/* keep the rest for the next round */
	nc = w->carry[!w->ci];
	for (size_t i = cut; i < n; i++)
		nc[i - cut] = *w->ptrs[i];
	w->ncarry = n - cut;
	w->ci = !w->ci;

	if (w->o.fsync == TF_FSYNC_CHUNK && w->wrote) {
		w->wrote = false;
		if (fdatasync(w->fd))
			return fail(w, -errno, "fdatasync");
	}
	return 0;
}

/* --- threads --------------------------------------------------------------------------------- */

static void enqueue(struct tf_writer *w, struct evbuf *b)
{
	b->next = NULL;
	if (w->q_tail)
		w->q_tail->next = b;
	else
		w->q_head = b;
	w->q_tail = b;
	w->submitted++;
	pthread_cond_signal(&w->cv_work);
}

/* The buffer producers fill, taking a free one when there is none; waits while every buffer
 * is full (backpressure). Called with lock held. */
static struct evbuf *cur_buf(struct tf_writer *w)
{
	uint64_t t0 = 0;

	while (!w->cur) {
		if (w->free_list) {
			w->cur = w->free_list;
			w->free_list = w->cur->next;
			w->cur->n = 0;
			break;
		}
		if (!t0)
			t0 = now_ns();
		pthread_cond_wait(&w->cv_free, &w->lock);
	}
	if (t0)
		w->blocked_ns += now_ns() - t0;
	return w->cur;
}

/* Hands the current buffer (which must exist) to the background thread. Called with lock
 * held. */
static void seal(struct tf_writer *w, uint32_t flags)
{
	struct evbuf *b = w->cur;

	b->flags = flags;
	pthread_mutex_lock(&w->tlock);
	b->nstr = tf_tables__str_count(w->tables);
	b->nstack = tf_tables__stack_count(w->tables);
	pthread_mutex_unlock(&w->tlock);
	w->cur = NULL;
	enqueue(w, b);
}

static void *bg_main(void *arg)
{
	struct tf_writer *w = arg;
	struct timespec deadline;
	uint64_t interval = w->o.flush_ms > 0 ? (uint64_t)w->o.flush_ms * 1000000ULL : 0;
	uint64_t next = now_ns() + interval;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		struct evbuf *b;
		int err = 0;

		while (!w->q_head && !w->stop) {
			if (!interval) {
				pthread_cond_wait(&w->cv_work, &w->lock);
				continue;
			}
			deadline.tv_sec = (time_t)(next / 1000000000ULL);
			deadline.tv_nsec = (long)(next % 1000000000ULL);
			if (pthread_cond_timedwait(&w->cv_work, &w->lock, &deadline) != ETIMEDOUT)
				continue;
			next = now_ns() + interval;
			/* a wall-clock cut, when anything waits to be written; a free buffer
			 * exists: nothing is queued and this thread holds none */
			if (!w->err && (w->cur || w->free_list) &&
			    ((w->cur && w->cur->n) || w->ncarry || tf_chunk_enc__count(w->enc))) {
				cur_buf(w); /* does not wait: a buffer is there */
				seal(w, BUF_TICK);
			}
		}
		if (!w->q_head)
			break;
		b = w->q_head;
		w->q_head = b->next;
		if (!w->q_head)
			w->q_tail = NULL;
		pthread_mutex_unlock(&w->lock);

		if (!w->err)
			err = process(w, b);

		pthread_mutex_lock(&w->lock);
		if (err && !w->err) {
			w->err = err;
			snprintf(w->errmsg, sizeof(w->errmsg), "%s", xg_errmsg());
		}
		b->n = 0;
		b->next = w->free_list;
		w->free_list = b;
		w->completed++;
		pthread_cond_broadcast(&w->cv_free);
		pthread_cond_broadcast(&w->cv_done);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* --- API ------------------------------------------------------------------------------------- */

static void set_opts(struct tf_writer_opts *o, const struct tf_writer_opts *in)
{
	memset(o, 0, sizeof(*o));
	if (in)
		memcpy(o, in, in->sz < sizeof(*o) ? in->sz : sizeof(*o));
	o->sz = sizeof(*o);
	if (!o->chunk_max_events)
		o->chunk_max_events = DEF_CHUNK_EVENTS;
	if (o->chunk_max_events > TF_MAX_CHUNK_EVENTS)
		o->chunk_max_events = TF_MAX_CHUNK_EVENTS;
	if (!o->chunk_max_bytes)
		o->chunk_max_bytes = DEF_CHUNK_BYTES;
	if (o->chunk_max_bytes > TF_MAX_COL_RAW)
		o->chunk_max_bytes = TF_MAX_COL_RAW;
	if (!o->chunk_max_ns)
		o->chunk_max_ns = DEF_NS;
	if (!o->keyframe_ns)
		o->keyframe_ns = DEF_NS;
	if (!o->reorder_ns)
		o->reorder_ns = DEF_REORDER_NS;
	if (!o->flush_ms)
		o->flush_ms = DEF_FLUSH_MS;
	if (!o->zstd_level)
		o->zstd_level = TF_DEFAULT_LEVEL;
	if (o->zstd_level > ZSTD_maxCLevel())
		o->zstd_level = ZSTD_maxCLevel();
	if (!o->mem_limit)
		o->mem_limit = DEF_MEM;
	if (o->mem_limit < MIN_MEM)
		o->mem_limit = MIN_MEM;
}

/* What one zstd compression context takes for chunk-sized inputs (ZSTD_estimateCCtxSize is
 * not in the stable API). */
static size_t zstd_ctx_estimate(int level)
{
	return level <= 5 ? (3u << 20) : level <= 12 ? (12u << 20) : (40u << 20);
}

/* Sizes buffers to fit the memory limit. */
static void plan_memory(struct tf_writer *w)
{
	struct tf_writer_opts *o = &w->o;
	size_t ev = sizeof(struct xg_event), fixed, bufbytes;
	uint32_t be = BUF_EVENTS;

	for (;;) {
		size_t cc = 2 * (size_t)be;

		bufbytes = (size_t)be * ev;
		/* reorder buffers (2 x cc events), pointer and key arrays for cc + be rows, the
		 * encoder's columns and its compressed copy, the record buffer, contexts, zstd */
		fixed = 2 * cc * ev + 4 * (cc + be) * 8 + 3 * (size_t)o->chunk_max_bytes +
			(1u << 20) + (o->zstd_level > 0 ? 2 * zstd_ctx_estimate(o->zstd_level) : 0);
		if (fixed + 2 * bufbytes <= o->mem_limit || be <= 1024) {
			if (fixed + 2 * bufbytes > o->mem_limit &&
			    o->chunk_max_bytes > (256u << 10)) {
				o->chunk_max_bytes /= 2;
				continue;
			}
			break;
		}
		be /= 2;
	}
	w->buf_events = be;
	w->carry_cap = 2 * (size_t)be;
	w->nbufs = (uint32_t)((o->mem_limit > fixed ? o->mem_limit - fixed : 0) / bufbytes);
	if (w->nbufs < 2)
		w->nbufs = 2;
	if (w->nbufs > MAX_BUFS)
		w->nbufs = MAX_BUFS;
	w->mem = fixed + (size_t)w->nbufs * bufbytes;
}

static int write_header(struct tf_writer *w)
{
	uint8_t h[TF_HEADER_SIZE] = {0};

	// NOLINTNEXTLINE(bugprone-not-null-terminated-result): bytes, not a string
	memcpy(h, TF_MAGIC, TF_MAGIC_LEN);
	tf_put_le16(h + 8, TF_MAJOR);
	tf_put_le16(h + 10, TF_MINOR);
	tf_put_le32(h + 12, TF_HEADER_SIZE);
	/* compat, ro_compat, incompat (16..39) and reserved (40..43) are zero */
	tf_put_le32(h + 44, tf_crc32c(0, h, 44));
	return write_all(w, h, sizeof(h));
}

static void writer_free(struct tf_writer *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	for (uint32_t i = 0; w->bufs && i < w->nbufs; i++)
		free(w->bufs[i].ev);
	free(w->bufs);
	free(w->carry[0]);
	free(w->carry[1]);
	free(w->ptrs);
	free(w->ptmp);
	free(w->keys);
	free(w->ktmp);
	tf_chunk_enc__free(w->enc);
	ZSTD_freeCCtx(w->zc);
	tf_buf__free(&w->rec);
	tf_buf__free(&w->tmp);
	tf_gtrack__free(w->gt);
	tf_tables__free(w->tables);
	tf_meta__free(w->final_meta);
	free(w->chunks);
	free(w->kfs);
	free(w->tabs);
	pthread_mutex_destroy(&w->lock);
	pthread_mutex_destroy(&w->tlock);
	pthread_cond_destroy(&w->cv_free);
	pthread_cond_destroy(&w->cv_work);
	pthread_cond_destroy(&w->cv_done);
	free(w->path);
	free(w);
}

struct tf_writer *tf_writer__open_fd(int fd, const char *name, const struct tf_meta *meta,
				     const struct tf_writer_opts *opts)
{
	struct tf_writer *w = calloc(1, sizeof(*w));
	pthread_condattr_t ca;
	size_t rows;
	int err = -ENOMEM;

	if (!w) {
		close(fd);
		errno = ENOMEM;
		xg_error(-ENOMEM, "%s: out of memory", name);
		return NULL;
	}
	w->fd = fd;
	pthread_mutex_init(&w->lock, NULL);
	pthread_mutex_init(&w->tlock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cv_work, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&w->cv_free, NULL);
	pthread_cond_init(&w->cv_done, NULL);
	set_opts(&w->o, opts);
	w->path = strdup(name ? name : "trace");
	if (!w->path)
		goto fail;
	plan_memory(w);

	w->bufs = calloc(w->nbufs, sizeof(*w->bufs));
	if (!w->bufs)
		goto fail;
	for (uint32_t i = 0; i < w->nbufs; i++) {
		w->bufs[i].ev = calloc(w->buf_events, sizeof(struct xg_event));
		if (!w->bufs[i].ev)
			goto fail;
		if (i) {
			w->bufs[i].next = w->free_list;
			w->free_list = &w->bufs[i];
		}
	}
	w->cur = &w->bufs[0];
	rows = w->carry_cap + w->buf_events;
	w->carry[0] = malloc(w->carry_cap * sizeof(struct xg_event));
	w->carry[1] = malloc(w->carry_cap * sizeof(struct xg_event));
	w->ptrs = malloc(rows * sizeof(*w->ptrs));
	w->ptmp = malloc(rows * sizeof(*w->ptmp));
	w->keys = malloc(rows * sizeof(*w->keys));
	w->ktmp = malloc(rows * sizeof(*w->ktmp));
	w->enc = tf_chunk_enc__new(w->o.zstd_level);
	w->gt = tf_gtrack__new();
	w->tables = tf_tables__new();
	if (!w->carry[0] || !w->carry[1] || !w->ptrs || !w->ptmp || !w->keys || !w->ktmp ||
	    !w->enc || !w->gt || !w->tables)
		goto fail;
	tf_chunk_enc__limits(w->enc, w->o.chunk_max_events, w->o.chunk_max_bytes,
			     w->o.chunk_max_ns);
	if (w->o.zstd_level > 0) {
		w->zc = ZSTD_createCCtx();
		if (!w->zc || ZSTD_isError(ZSTD_CCtx_setParameter(w->zc, ZSTD_c_compressionLevel,
								  w->o.zstd_level)))
			goto fail;
	}

	/* the META record always follows the header, empty when there is no metadata */
	err = write_header(w);
	if (!err)
		err = write_meta(w, meta);
	if (err)
		goto fail_msg;
	if (pthread_create(&w->thr, NULL, bg_main, w)) {
		err = -EAGAIN;
		goto fail;
	}
	w->thr_started = true;
	return w;
fail:
	xg_error(err, "%s: cannot set up the writer: %s", w->path ? w->path : "trace",
		 strerror(-err));
fail_msg:
	writer_free(w);
	errno = -err;
	return NULL;
}

struct tf_writer *tf_writer__open(const char *path, const struct tf_meta *meta,
				  const struct tf_writer_opts *opts)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0) {
		int err = -errno;

		xg_error(err, "%s: cannot create: %s", path, strerror(errno));
		errno = -err;
		return NULL;
	}
	return tf_writer__open_fd(fd, path, meta, opts);
}

static int sticky(struct tf_writer *w)
{
	xg_error(w->err, "%s", w->errmsg);
	return w->err;
}

int tf_writer__append(struct tf_writer *w, const struct xg_event *ev)
{
	return tf_writer__append_batch(w, ev, 1);
}

int tf_writer__append_batch(struct tf_writer *w, const struct xg_event *evs, size_t n)
{
	int err = 0;

	pthread_mutex_lock(&w->lock);
	/* as many at once as the current buffer takes */
	while (n) {
		struct evbuf *b;
		size_t k;

		if (w->err) {
			err = sticky(w);
			break;
		}
		b = cur_buf(w);
		k = w->buf_events - b->n < n ? w->buf_events - b->n : n;
		memcpy(&b->ev[b->n], evs, k * sizeof(*evs));
		for (size_t i = 0; i < k; i++)
			if (evs[i].kind == XG_EV_LOST)
				w->lost += evs[i].count;
		b->n += (uint32_t)k;
		w->appended += k;
		evs += k;
		n -= k;
		if (b->n == w->buf_events)
			seal(w, 0);
	}
	pthread_mutex_unlock(&w->lock);
	return err;
}

uint32_t tf_writer__intern(struct tf_writer *w, const char *s, size_t len)
{
	uint32_t id;

	if (len > TF_MAX_STRING) {
		errno = E2BIG;
		return 0;
	}
	pthread_mutex_lock(&w->tlock);
	id = tf_tables__intern(w->tables, s, len);
	pthread_mutex_unlock(&w->tlock);
	return id;
}

uint32_t tf_writer__intern_stack(struct tf_writer *w, const struct xg_frame *frames, uint32_t n)
{
	uint32_t id;

	if (n > TF_MAX_FRAMES) {
		errno = E2BIG;
		return 0;
	}
	pthread_mutex_lock(&w->tlock);
	id = tf_tables__intern_stack(w->tables, frames, n);
	pthread_mutex_unlock(&w->tlock);
	return id;
}

struct tf_tables *tf_writer__tables(struct tf_writer *w)
{
	return w->tables;
}

void tf_writer__lock_tables(struct tf_writer *w)
{
	pthread_mutex_lock(&w->tlock);
}

void tf_writer__unlock_tables(struct tf_writer *w)
{
	pthread_mutex_unlock(&w->tlock);
}

int tf_writer__flush(struct tf_writer *w)
{
	uint64_t target;
	int err = 0;

	pthread_mutex_lock(&w->lock);
	if (!w->err) {
		cur_buf(w);
		seal(w, BUF_FLUSH);
		target = w->submitted;
		while (w->completed < target)
			pthread_cond_wait(&w->cv_done, &w->lock);
	}
	if (w->err)
		err = sticky(w);
	pthread_mutex_unlock(&w->lock);
	return err;
}

void tf_writer__stats(struct tf_writer *w, struct tf_writer_stats *st)
{
	const struct tf_col_stats *cs;

	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&w->lock);
	st->events = w->appended;
	st->lost = w->lost;
	st->blocked_ns = w->blocked_ns;
	st->mem = w->mem;
	/* the background thread's counters: a racy but harmless snapshot */
	st->written = w->written;
	st->chunks = w->nchunks;
	st->keyframes = w->nkfs;
	st->bytes = w->off;
	st->late = w->late;
	st->late_max_ns = w->late_max;
	cs = tf_chunk_enc__stats(w->enc);
	for (int c = 0; c < TF_COL_MAX; c++)
		st->raw_bytes += cs->raw[c];
	pthread_mutex_unlock(&w->lock);
}

static int write_index(struct tf_writer *w)
{
	struct tf_buf *t = &w->tmp;
	const struct tf_col_stats *cs = tf_chunk_enc__stats(w->enc);
	uint64_t raw = 0, stored = 0, lost = 0, stop_ts, off = w->off;
	size_t need = 64 + w->nchunks * 50 + w->nkfs * 50 + w->ntabs * 41 + 256 * 10;
	uint8_t *p, end[TF_END_PAYLOAD];
	int err;

	for (int c = 0; c < TF_COL_MAX; c++) {
		raw += cs->raw[c];
		stored += cs->stored[c];
	}
	t->len = 0;
	err = tf_buf__reserve(t, need);
	if (err)
		return err;
	p = t->p;
	p = tf_put_uv(p, w->nchunks);
	for (size_t i = 0; i < w->nchunks; i++) {
		const struct chunk_ent *c = &w->chunks[i];

		p = tf_put_uv(p, c->off);
		p = tf_put_uv(p, c->size);
		p = tf_put_uv(p, c->ts_first);
		p = tf_put_uv(p, c->ts_last);
		p = tf_put_uv(p, c->n);
	}
	p = tf_put_uv(p, w->nkfs);
	for (size_t i = 0; i < w->nkfs; i++) {
		const struct kf_ent *k = &w->kfs[i];

		p = tf_put_uv(p, k->off);
		p = tf_put_uv(p, k->size);
		p = tf_put_uv(p, k->ts);
		p = tf_put_uv(p, k->chunks_before);
		p = tf_put_uv(p, k->n);
	}
	p = tf_put_uv(p, w->ntabs);
	for (size_t i = 0; i < w->ntabs; i++) {
		const struct table_ent *e = &w->tabs[i];

		*p++ = e->type;
		p = tf_put_uv(p, e->off);
		p = tf_put_uv(p, e->size);
		p = tf_put_uv(p, e->first);
		p = tf_put_uv(p, e->count);
	}
	p = tf_put_uv(p, 256);
	for (int k = 0; k < 256; k++)
		p = tf_put_uv(p, w->kinds[k]);
	pthread_mutex_lock(&w->lock);
	lost = w->lost;
	stop_ts = w->stop_ts;
	pthread_mutex_unlock(&w->lock);
	/* never before the last event written (events the recorder appended after its stop) */
	if (stop_ts && w->nchunks && stop_ts < w->chunks[w->nchunks - 1].ts_last)
		stop_ts = w->chunks[w->nchunks - 1].ts_last;
	p = tf_put_uv(p, lost);
	p = tf_put_uv(p, w->late);
	p = tf_put_uv(p, w->late_max);
	p = tf_put_uv(p, raw);
	p = tf_put_uv(p, stored);
	p = tf_put_uv(p, stop_ts); /* format 1.2 */
	t->len = (size_t)(p - t->p);

	err = rec_begin(&w->rec, TF_REC_INDEX);
	if (!err)
		err = rec_payload(w, &w->rec, t);
	if (!err)
		err = rec_end(&w->rec);
	if (!err)
		err = write_all(w, w->rec.p, w->rec.len);
	if (err)
		return err;

	tf_put_le64(end, off);
	tf_put_le64(end + 8, w->rec.len);
	// NOLINTNEXTLINE(bugprone-not-null-terminated-result): bytes, not a string
	memcpy(end + 16, TF_END_MAGIC, TF_END_MAGIC_LEN);
	err = rec_begin(&w->rec, TF_REC_END);
	if (!err)
		err = tf_buf__append(&w->rec, end, sizeof(end));
	if (!err)
		err = rec_end(&w->rec);
	if (!err)
		err = write_all(w, w->rec.p, w->rec.len);
	return err;
}

int tf_writer__set_final_meta(struct tf_writer *w, const struct tf_meta *meta)
{
	struct tf_meta *m = tf_meta__dup(meta);

	if (!m)
		return -ENOMEM;
	pthread_mutex_lock(&w->lock);
	tf_meta__free(w->final_meta);
	w->final_meta = m;
	pthread_mutex_unlock(&w->lock);
	return 0;
}

void tf_writer__set_stop(struct tf_writer *w, uint64_t ts)
{
	pthread_mutex_lock(&w->lock);
	w->stop_ts = ts;
	pthread_mutex_unlock(&w->lock);
}

int tf_writer__close(struct tf_writer *w)
{
	int err;

	if (!w)
		return 0;
	err = tf_writer__flush(w);
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_broadcast(&w->cv_work);
	pthread_mutex_unlock(&w->lock);
	if (w->thr_started)
		pthread_join(w->thr, NULL);
	if (!err && w->err)
		err = sticky(w);
	if (!err && w->final_meta) /* the thread is gone: its buffers are ours */
		err = write_meta(w, w->final_meta);
	if (!err)
		err = write_index(w);
	if (!err && w->o.fsync != TF_FSYNC_NONE && fdatasync(w->fd))
		err = fail(w, -errno, "fdatasync");
	if (w->fd >= 0 && close(w->fd) && !err)
		err = xg_error(-errno, "%s: close: %s", w->path, strerror(errno));
	w->fd = -1;
	writer_free(w);
	return err;
}
