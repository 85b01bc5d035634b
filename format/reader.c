// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Trace reader: header, trailer and index, or a linear scan; tables and metadata at open;
 * chunks one at a time. Every length read from the file is bounded by what remains of it.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "format/chunk.h"
#include "format/codec.h"
#include "format/reader.h"
#include "format/windows.h"
#include "format/xgt.h"
#include "util/array.h"
#include "util/err.h"

struct rchunk {
	uint64_t off, size, ts_first, ts_last;
	uint32_t n;
	bool bad; /* found damaged (and said so) */
};

struct rkf {
	uint64_t off, size, ts, chunks_before;
};

struct tf_reader {
	char *name;
	int fd;
	const uint8_t *mem;
	void *owned; /* mem when the reader owns it (tf_reader__open_mem_owned) */
	uint64_t size;
	struct tf_reader_opts o;
	struct tf_meta *meta;
	struct tf_tables *tables;

	uint16_t major, minor;
	uint64_t compat, ro_compat, incompat;
	uint32_t hdr_size;
	bool clean;
	char recovery[1024];
	uint64_t used;

	struct rchunk *chunks;
	size_t nchunks, chunks_cap;
	struct rkf *kfs;
	size_t nkfs, kfs_cap;

	/* from the index */
	bool have_stats;
	uint64_t kinds[256], lost, late, late_max, raw, stored;
	uint64_t stop_ts; /* 0: not in the index (before format 1.2) */
	/* from the scan */
	uint64_t scan_raw, scan_stored, damaged;

	/* iteration */
	struct tf_chunk_dec *dec;
	struct tf_buf rbuf; /* a record's bytes (fd sources) */
	struct tf_buf zbuf; /* a decompressed record payload */
	size_t ci;	    /* next chunk to load */
	size_t cur;	    /* chunk being decoded */
	bool loaded;
	uint64_t cols, load_cols;
	struct tf_gtrack *gt;
	const struct tf_goroutine *gs;
	size_t ngs;
	size_t bpos, bn; /* batch[bpos..bn) decoded, not yet returned */
	struct xg_event batch[256];

	char **warns;
	size_t nwarns, warns_cap;
};

static void warn(struct tf_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void warn(struct tf_reader *r, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	int n;

	n = snprintf(msg, sizeof(msg), "%s: ", r->name);
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	if (r->o.warn) {
		r->o.warn(r->o.warn_ctx, msg);
		return;
	}
	if (r->nwarns == r->warns_cap) {
		size_t ncap = r->warns_cap ? r->warns_cap * 2 : 8;
		char **n2 = realloc(r->warns, ncap * sizeof(*n2));

		if (!n2)
			return;
		r->warns = n2;
		r->warns_cap = ncap;
	}
	r->warns[r->nwarns] = strdup(msg);
	if (r->warns[r->nwarns])
		r->nwarns++;
}

const char *const *tf_reader__warnings(const struct tf_reader *r, size_t *n)
{
	*n = r->nwarns;
	return (const char *const *)r->warns;
}

/* len bytes at off: a pointer into memory, or read into buf. The caller checked the bounds. */
static int src_read(struct tf_reader *r, uint64_t off, size_t len, const uint8_t **out,
		    struct tf_buf *buf)
{
	size_t done = 0;

	if (off > r->size || len > r->size - off)
		return xg_error(-EINVAL, "%s: read of %zu bytes at offset %" PRIu64 " past the end",
				r->name, len, off);
	if (r->mem) {
		*out = r->mem + off;
		return 0;
	}
	buf->len = 0;
	if (tf_buf__reserve(buf, len + TF_PAD))
		return xg_error(-ENOMEM, "%s: out of memory", r->name);
	while (done < len) {
		ssize_t n = pread(r->fd, buf->p + done, len - done, (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return xg_error(n < 0 ? -errno : -EIO, "%s: read at offset %" PRIu64 ": %s",
					r->name, off + done,
					n < 0 ? strerror(errno) : "short read");
		done += (size_t)n;
	}
	buf->len = len;
	*out = buf->p;
	return 0;
}

/* --- records --------------------------------------------------------------------------------- */

struct rec {
	uint8_t type, flags;
	uint64_t off;		/* of the record */
	uint64_t size;		/* whole record, header and CRC included */
	const uint8_t *payload; /* decompressed when flagged */
	size_t len;
};

/*
 * Reads and checks the record at off (which must lie within [hdr_size, limit)): bounds, CRC,
 * flags, and decompression. -EINVAL with a message saying what is wrong (no file name), or
 * -ENODATA when the record is cut off by limit (truncated file).
 */
static int read_rec(struct tf_reader *r, uint64_t off, uint64_t limit, struct rec *rec,
		    bool decompress)
{
	const uint8_t *p = NULL;
	uint32_t len, crc;
	int err;

	memset(rec, 0, sizeof(*rec));
	rec->off = off;
	if (limit - off < TF_REC_EXTRA)
		return xg_error(-ENODATA, "record header cut off (%" PRIu64 " bytes left)",
				limit - off);
	err = src_read(r, off, TF_REC_HDR, &p, &r->rbuf);
	if (err || !p)
		return err ? err : -EIO;
	rec->type = p[0];
	rec->flags = p[1];
	len = tf_le32(p + 4);
	if (len > TF_MAX_RECORD)
		return xg_error(-EINVAL, "record length %u exceeds the format's limit of %u", len,
				TF_MAX_RECORD);
	if ((uint64_t)len + TF_REC_EXTRA > limit - off)
		return xg_error(-ENODATA,
				"record of type 0x%02x needs %" PRIu64 " bytes but %" PRIu64
				" are left",
				rec->type, (uint64_t)len + TF_REC_EXTRA, limit - off);
	rec->size = (uint64_t)len + TF_REC_EXTRA;
	err = src_read(r, off, (size_t)rec->size, &p, &r->rbuf);
	if (err)
		return err;
	crc = tf_crc32c(0, p, TF_REC_HDR + (size_t)len);
	if (crc != tf_le32(p + TF_REC_HDR + len))
		return xg_error(-EINVAL, "record of type 0x%02x: checksum mismatch", rec->type);
	if (rec->flags & ~TF_RECF_KNOWN)
		return xg_error(-EINVAL, "record of type 0x%02x: unknown flags 0x%02x", rec->type,
				rec->flags);
	rec->payload = p + TF_REC_HDR;
	rec->len = len;
	if ((rec->flags & TF_RECF_ZSTD) && decompress) {
		const uint8_t *q = rec->payload, *end = q + len;
		unsigned long long fsz;
		ZSTD_DCtx *zd;
		uint64_t raw;
		size_t n;

		if (rec->type == TF_REC_CHUNK || rec->type == TF_REC_END)
			return xg_error(-EINVAL, "record of type 0x%02x cannot be compressed",
					rec->type);
		if (tf_get_uv(&q, end, &raw))
			return xg_error(-EINVAL, "compressed record: size truncated");
		if (raw > TF_MAX_RAW)
			return xg_error(-EINVAL,
					"compressed record declares %" PRIu64
					" bytes, over the limit of %u",
					raw, TF_MAX_RAW);
		fsz = ZSTD_getFrameContentSize(q, (size_t)(end - q));
		if (fsz != raw)
			return xg_error(
			    -EINVAL,
			    "compressed record: zstd frame declares %lld bytes, record %" PRIu64,
			    (long long)fsz, raw);
		r->zbuf.len = 0;
		if (tf_buf__reserve(&r->zbuf, (size_t)raw + TF_PAD))
			return xg_error(-ENOMEM, "out of memory");
		zd = tf_chunk_dec__zctx(r->dec);
		if (!zd)
			return xg_error(-ENOMEM, "out of memory");
		n = ZSTD_decompressDCtx(zd, r->zbuf.p, (size_t)raw, q, (size_t)(end - q));
		if (ZSTD_isError(n))
			return xg_error(-EINVAL, "compressed record: zstd: %s",
					ZSTD_getErrorName(n));
		if (n != raw)
			return xg_error(-EINVAL,
					"compressed record: %zu bytes decompressed, %" PRIu64
					" declared",
					n, raw);
		rec->payload = r->zbuf.p;
		rec->len = (size_t)raw;
	}
	return 0;
}

static int parse_meta(struct tf_reader *r, const struct rec *rec)
{
	const uint8_t *p = rec->payload, *end = p + rec->len;
	uint64_t n;

	if (tf_get_uv(&p, end, &n) || n > TF_MAX_META)
		return xg_error(-EINVAL, "META record: bad entry count");
	for (uint64_t i = 0; i < n; i++) {
		uint64_t klen, vlen;
		char *key = NULL, *val = NULL;
		uint8_t type;
		int err;

		if (p >= end)
			return xg_error(-EINVAL, "META record: entry %" PRIu64 " truncated", i);
		type = *p++;
		if (tf_get_uv(&p, end, &klen) || klen > (uint64_t)(end - p))
			return xg_error(-EINVAL, "META record: entry %" PRIu64 " key truncated", i);
		key = strndup((const char *)p, (size_t)klen);
		p += klen;
		if (!key)
			return -ENOMEM;
		if (type == TF_META_STR) {
			if (tf_get_uv(&p, end, &vlen) || vlen > (uint64_t)(end - p)) {
				xg_error(-EINVAL, "META record: value of %.200s truncated", key);
				free(key);
				return -EINVAL;
			}
			val = strndup((const char *)p, (size_t)vlen);
			p += vlen;
			err = val ? tf_meta__set_str(r->meta, key, val) : -ENOMEM;
		} else if (type == TF_META_INT) {
			if (end - p < 8) {
				free(key);
				return xg_error(-EINVAL, "META record: value truncated");
			}
			err = tf_meta__set_int(r->meta, key, (int64_t)tf_le64(p));
			p += 8;
		} else {
			free(key);
			return xg_error(
			    -EINVAL, "META record: entry %" PRIu64 " has unknown type %u", i, type);
		}
		free(key);
		free(val);
		if (err)
			return err;
	}
	return 0;
}

static int parse_strings(struct tf_reader *r, const struct rec *rec)
{
	const uint8_t *p = rec->payload, *end = p + rec->len;
	uint64_t first, count;
	uint32_t have = tf_tables__str_count(r->tables);

	if (tf_get_uv(&p, end, &first) || tf_get_uv(&p, end, &count))
		return xg_error(-EINVAL, "STRINGS record: header truncated");
	if (first != (uint64_t)have + 1)
		return xg_error(-EINVAL, "STRINGS record starts at id %" PRIu64 ", expected %u",
				first, have + 1);
	if (count > (uint64_t)(end - p))
		return xg_error(-EINVAL,
				"STRINGS record: %" PRIu64 " strings cannot fit in %zu bytes",
				count, (size_t)(end - p));
	for (uint64_t i = 0; i < count; i++) {
		uint64_t len;
		int err;

		if (tf_get_uv(&p, end, &len) || len > (uint64_t)(end - p) || len > TF_MAX_STRING)
			return xg_error(-EINVAL, "STRINGS record: string %" PRIu64 " truncated",
					first + i);
		err = tf_tables__add_str(r->tables, (uint32_t)(first + i), (const char *)p,
					 (size_t)len);
		if (err)
			return xg_error(err, "STRINGS record: cannot add string %" PRIu64,
					first + i);
		p += len;
	}
	return 0;
}

/* The end of count stacks starting at p (their frame lists), or NULL when they do not fit. */
static const uint8_t *skip_stacks(const uint8_t *p, const uint8_t *end, uint64_t count)
{
	for (uint64_t i = 0; i < count; i++) {
		uint64_t nf, v;

		if (tf_get_uv(&p, end, &nf) || nf > TF_MAX_FRAMES)
			return NULL;
		for (uint64_t k = 0; k < 4 * nf; k++)
			if (tf_get_uv(&p, end, &v))
				return NULL;
	}
	return p;
}

/* Format 1.1: the flags of stack id's frames fr[0..nf), from the list after the stacks (*fp up
 * to end; absent in 1.0 files, *fp == end). Unknown flag bits are ignored. */
static int frame_flags(const uint8_t **fp, const uint8_t *end, uint64_t id, struct xg_frame *fr,
		       uint64_t nf)
{
	uint64_t m, k, flags;

	if (*fp >= end)
		return 0;
	if (tf_get_uv(fp, end, &m) || m > nf)
		return xg_error(-EINVAL,
				"STACKS record: stack %" PRIu64 " has a bad frame flag count", id);
	for (uint64_t j = 0; j < m; j++) {
		if (tf_get_uv(fp, end, &k) || tf_get_uv(fp, end, &flags) || k >= nf)
			return xg_error(-EINVAL,
					"STACKS record: stack %" PRIu64 " has bad frame flags", id);
		fr[k].flags = (uint32_t)(flags & XG_FRAME_KNOWN);
	}
	return 0;
}

static int parse_stacks(struct tf_reader *r, const struct rec *rec)
{
	const uint8_t *p = rec->payload, *end = p + rec->len, *fp;
	uint64_t first, count;
	uint32_t have = tf_tables__stack_count(r->tables);
	struct xg_frame *fr = NULL;
	int err = 0;

	if (tf_get_uv(&p, end, &first) || tf_get_uv(&p, end, &count))
		return xg_error(-EINVAL, "STACKS record: header truncated");
	if (first != (uint64_t)have + 1)
		return xg_error(-EINVAL, "STACKS record starts at id %" PRIu64 ", expected %u",
				first, have + 1);
	if (count > (uint64_t)(end - p))
		return xg_error(-EINVAL,
				"STACKS record: %" PRIu64 " stacks cannot fit in %zu bytes", count,
				(size_t)(end - p));
	fp = skip_stacks(p, end, count);
	if (!fp)
		fp = end; /* the loop below names the damage */
	fr = malloc(TF_MAX_FRAMES * sizeof(*fr));
	if (!fr)
		return -ENOMEM;
	for (uint64_t i = 0; i < count && !err; i++) {
		uint64_t nf;

		if (tf_get_uv(&p, end, &nf) || nf == 0 || nf > TF_MAX_FRAMES) {
			err = xg_error(-EINVAL,
				       "STACKS record: stack %" PRIu64 " has a bad frame count",
				       first + i);
			break;
		}
		for (uint64_t k = 0; k < nf; k++) {
			uint64_t pc, fn, file, line;

			if (tf_get_uv(&p, end, &pc) || tf_get_uv(&p, end, &fn) ||
			    tf_get_uv(&p, end, &file) || tf_get_uv(&p, end, &line) ||
			    fn > UINT32_MAX || file > UINT32_MAX || line > UINT32_MAX) {
				err =
				    xg_error(-EINVAL, "STACKS record: stack %" PRIu64 " truncated",
					     first + i);
				break;
			}
			fr[k] = (struct xg_frame){.pc = pc,
						  .fn = (uint32_t)fn,
						  .file = (uint32_t)file,
						  .line = (uint32_t)line};
		}
		if (!err)
			err = frame_flags(&fp, end, first + i, fr, nf);
		if (!err) {
			err = tf_tables__add_stack(r->tables, (uint32_t)(first + i), fr,
						   (uint32_t)nf);
			if (err)
				err = xg_error(err, "STACKS record: cannot add stack %" PRIu64,
					       first + i);
		}
	}
	free(fr);
	return err;
}

static int add_chunk(struct tf_reader *r, uint64_t off, uint64_t size, uint64_t t0, uint64_t t1,
		     uint64_t n)
{
	if (xg_array_grow((void **)&r->chunks, &r->chunks_cap, r->nchunks + 1, sizeof(*r->chunks)))
		return -ENOMEM;
	r->chunks[r->nchunks++] = (struct rchunk){off, size, t0, t1, (uint32_t)n, false};
	return 0;
}

static int add_kf(struct tf_reader *r, uint64_t off, uint64_t size, uint64_t ts, uint64_t before)
{
	if (xg_array_grow((void **)&r->kfs, &r->kfs_cap, r->nkfs + 1, sizeof(*r->kfs)))
		return -ENOMEM;
	r->kfs[r->nkfs++] = (struct rkf){off, size, ts, before};
	return 0;
}

/* A table or META record found by the scan or listed in the index. */
static int load_table(struct tf_reader *r, const struct rec *rec)
{
	switch (rec->type) {
	case TF_REC_META:
		return parse_meta(r, rec);
	case TF_REC_STRINGS:
		return parse_strings(r, rec);
	case TF_REC_STACKS:
		return parse_stacks(r, rec);
	default:
		return 0;
	}
}

/* Does a valid record start at off? (To resynchronize after a damaged record.) */
static bool valid_rec_at(struct tf_reader *r, uint64_t off)
{
	struct rec rec;
	char save[1024];
	bool ok;

	snprintf(save, sizeof(save), "%s", xg_errmsg());
	ok = off == r->size || !read_rec(r, off, r->size, &rec, false);
	xg_error(0, "%s", save);
	return ok;
}

/* Linear scan from the header to the last complete record; why_scan says why the index was
 * not used. */
static int scan(struct tf_reader *r, const char *why_scan)
{
	uint64_t off = r->hdr_size, last_ts = 0;
	const char *why = "end of file";
	char whybuf[600];

	for (;;) {
		struct rec rec;
		int err;

		if (off == r->size)
			break;
		err = read_rec(r, off, r->size, &rec, true);
		if (err == -ENOMEM)
			return err;
		if (err) {
			/* a damaged record whose length still leads to a valid record: skip it */
			if (err == -EINVAL && rec.size && valid_rec_at(r, off + rec.size)) {
				warn(r, "record at offset %" PRIu64 " (type 0x%02x) skipped: %s",
				     off, rec.type, xg_errmsg());
				if (rec.type == TF_REC_CHUNK)
					r->damaged++;
				off += rec.size;
				continue;
			}
			snprintf(whybuf, sizeof(whybuf), "at offset %" PRIu64 ": %.500s", off,
				 xg_errmsg());
			why = whybuf;
			break;
		}
		switch (rec.type) {
		case TF_REC_META:
		case TF_REC_STRINGS:
		case TF_REC_STACKS:
			err = load_table(r, &rec);
			if (err == -ENOMEM)
				return err;
			if (err)
				warn(r, "record at offset %" PRIu64 " skipped: %s", off,
				     xg_errmsg());
			break;
		case TF_REC_CHUNK: {
			struct tf_chunk_hdr h;

			err = tf_chunk__parse_hdr(rec.payload, rec.len, &h);
			if (!err && h.ts_first < last_ts)
				err = xg_error(-EINVAL,
					       "starts at ts %" PRIu64
					       ", before the previous chunk's end %" PRIu64,
					       h.ts_first, last_ts);
			if (err) {
				warn(r, "chunk %zu at offset %" PRIu64 " skipped: %s", r->nchunks,
				     off, xg_errmsg());
				r->damaged++;
				break;
			}
			if (add_chunk(r, off, rec.size, h.ts_first, h.ts_last, h.n_events))
				return -ENOMEM;
			r->scan_raw += h.raw_bytes;
			r->scan_stored += h.stored_bytes;
			last_ts = h.ts_last;
			break;
		}
		case TF_REC_KEYFRAME: {
			const uint8_t *p = rec.payload, *end = p + rec.len;
			uint64_t ts, before;

			if (tf_get_uv(&p, end, &ts) || tf_get_uv(&p, end, &before) ||
			    before != r->nchunks) {
				warn(r, "keyframe at offset %" PRIu64 " skipped: bad header", off);
				break;
			}
			if (add_kf(r, off, rec.size, ts, before))
				return -ENOMEM;
			break;
		}
		case TF_REC_END:
			/* a trailer that did not validate as the last record */
			break;
		default: /* index (not trusted here) and unknown types: skipped */
			break;
		}
		off += rec.size;
		r->used = off;
	}
	r->used = off;
	if (off == r->size)
		snprintf(r->recovery, sizeof(r->recovery),
			 "%.180s: recovered %zu chunks by scanning to the end of the file "
			 "(%" PRIu64 " bytes)",
			 why_scan, r->nchunks, off);
	else
		snprintf(r->recovery, sizeof(r->recovery),
			 "%.180s: recovered %zu chunks from the first %" PRIu64
			 " bytes; scan stopped %.500s; %" PRIu64 " bytes ignored",
			 why_scan, r->nchunks, off, why, r->size - off);
	return 0;
}

/* Reads the trailer and the index. 0 when usable; otherwise a reason in xg_errmsg(). */
static int read_index(struct tf_reader *r)
{
	uint64_t end_off, ioff, isize, lim;
	const uint8_t *p, *e;
	struct rec rec;
	uint64_t n;
	int err;

	if (r->size < (uint64_t)r->hdr_size + TF_END_SIZE)
		return xg_error(-ENOENT, "too short for a trailer");
	end_off = r->size - TF_END_SIZE;
	err = read_rec(r, end_off, r->size, &rec, false);
	if (err)
		return xg_error(-ENOENT, "no valid trailer at the end");
	if (rec.type != TF_REC_END || rec.len != TF_END_PAYLOAD ||
	    memcmp(rec.payload + 16, TF_END_MAGIC, TF_END_MAGIC_LEN) != 0)
		return xg_error(-ENOENT, "no valid trailer at the end");
	ioff = tf_le64(rec.payload);
	isize = tf_le64(rec.payload + 8);
	if (ioff < r->hdr_size || ioff > end_off || isize != end_off - ioff)
		return xg_error(-EINVAL,
				"trailer points to an index at offset %" PRIu64 " (%" PRIu64
				" bytes) outside the file",
				ioff, isize);
	err = read_rec(r, ioff, end_off, &rec, true);
	if (err) {
		xg_error_prefix("index at offset %" PRIu64, ioff);
		return err;
	}
	if (rec.type != TF_REC_INDEX)
		return xg_error(-EINVAL, "trailer points to a record of type 0x%02x, not an index",
				rec.type);

	/* copy: reading tables below reuses the decompression buffer */
	{
		struct tf_buf ib = {0};

		if (tf_buf__append(&ib, rec.payload, rec.len))
			return -ENOMEM;
		p = ib.p;
		e = ib.p + ib.len;
		lim = ioff;
		err = -EINVAL;
		if (tf_get_uv(&p, e, &n) || n > (uint64_t)(e - p))
			goto bad;
		for (uint64_t i = 0; i < n; i++) {
			uint64_t off, size, t0, t1, cnt;

			if (tf_get_uv(&p, e, &off) || tf_get_uv(&p, e, &size) ||
			    tf_get_uv(&p, e, &t0) || tf_get_uv(&p, e, &t1) ||
			    tf_get_uv(&p, e, &cnt))
				goto bad;
			if (off < r->hdr_size || size < TF_REC_EXTRA || off > lim ||
			    size > lim - off || t1 < t0 || cnt == 0 || cnt > TF_MAX_CHUNK_EVENTS ||
			    (r->nchunks && t0 < r->chunks[r->nchunks - 1].ts_last)) {
				xg_error(-EINVAL, "index entry for chunk %" PRIu64 " is impossible",
					 i);
				goto bad_msg;
			}
			if (add_chunk(r, off, size, t0, t1, cnt)) {
				err = -ENOMEM;
				goto bad_msg;
			}
		}
		if (tf_get_uv(&p, e, &n) || n > (uint64_t)(e - p))
			goto bad;
		for (uint64_t i = 0; i < n; i++) {
			uint64_t off, size, ts, before, cnt;

			if (tf_get_uv(&p, e, &off) || tf_get_uv(&p, e, &size) ||
			    tf_get_uv(&p, e, &ts) || tf_get_uv(&p, e, &before) ||
			    tf_get_uv(&p, e, &cnt))
				goto bad;
			if (off < r->hdr_size || size < TF_REC_EXTRA || off > lim ||
			    size > lim - off || before > r->nchunks ||
			    (r->nkfs && before < r->kfs[r->nkfs - 1].chunks_before)) {
				xg_error(-EINVAL,
					 "index entry for keyframe %" PRIu64 " is impossible", i);
				goto bad_msg;
			}
			if (add_kf(r, off, size, ts, before)) {
				err = -ENOMEM;
				goto bad_msg;
			}
		}
		if (tf_get_uv(&p, e, &n) || n > (uint64_t)(e - p))
			goto bad;
		for (uint64_t i = 0; i < n; i++) {
			uint64_t off, size, first, cnt;
			struct rec t;
			uint8_t type;

			if (p >= e)
				goto bad;
			type = *p++;
			if (tf_get_uv(&p, e, &off) || tf_get_uv(&p, e, &size) ||
			    tf_get_uv(&p, e, &first) || tf_get_uv(&p, e, &cnt))
				goto bad;
			if (off < r->hdr_size || off > lim || size > lim - off) {
				xg_error(-EINVAL,
					 "index entry for table record %" PRIu64 " is impossible",
					 i);
				goto bad_msg;
			}
			err = read_rec(r, off, off + size, &t, true);
			if (!err && (t.type != type || t.size != size))
				err = xg_error(-EINVAL, "is a record of type 0x%02x, not 0x%02x",
					       t.type, type);
			if (!err)
				err = load_table(r, &t);
			if (err == -ENOMEM)
				goto bad_msg;
			if (err)
				warn(r, "record at offset %" PRIu64 " skipped: %s", off,
				     xg_errmsg());
			err = -EINVAL;
		}
		if (tf_get_uv(&p, e, &n) || n > 256)
			goto bad;
		for (uint64_t k = 0; k < n; k++)
			if (tf_get_uv(&p, e, &r->kinds[k]))
				goto bad;
		if (tf_get_uv(&p, e, &r->lost) || tf_get_uv(&p, e, &r->late) ||
		    tf_get_uv(&p, e, &r->late_max) || tf_get_uv(&p, e, &r->raw) ||
		    tf_get_uv(&p, e, &r->stored))
			goto bad;
		r->stop_ts = 0;
		if (p < e && tf_get_uv(&p, e, &r->stop_ts)) /* format 1.2 */
			goto bad;
		/* later versions may append fields: ignored */
		r->have_stats = true;
		tf_buf__free(&ib);
		r->used = r->size;
		return 0;
	bad:
		xg_error(-EINVAL, "index truncated");
	bad_msg:
		tf_buf__free(&ib);
		return err;
	}
}

static void reset_tables(struct tf_reader *r)
{
	tf_tables__free(r->tables);
	tf_meta__free(r->meta);
	r->tables = tf_tables__new();
	r->meta = tf_meta__new();
	r->nchunks = r->nkfs = 0;
	r->have_stats = false;
}

static int check_header(struct tf_reader *r)
{
	const uint8_t *h;
	uint32_t hsize;
	int err;

	if (r->size == 0)
		return xg_error(-EINVAL, "%s: empty file, not an xgotop trace", r->name);
	if (r->size < TF_MAGIC_LEN + 4)
		return xg_error(-EINVAL, "%s: %" PRIu64 " bytes, too short for an xgotop trace",
				r->name, r->size);
	err = src_read(r, 0, r->size < TF_HEADER_SIZE ? (size_t)r->size : TF_HEADER_SIZE, &h,
		       &r->rbuf);
	if (err)
		return err;
	if (memcmp(h, TF_MAGIC, TF_MAGIC_LEN) != 0)
		return xg_error(-EINVAL, "%s: not an xgotop trace (bad magic)", r->name);
	r->major = tf_le16(h + 8);
	r->minor = tf_le16(h + 10);
	if (r->major != TF_MAJOR)
		return xg_error(
		    -EINVAL, "%s: format version %u.%u is not supported (this xgotop reads %u.x)",
		    r->name, r->major, r->minor, TF_MAJOR);
	if (r->size < TF_HEADER_SIZE)
		return xg_error(-EINVAL, "%s: header truncated (%" PRIu64 " of %u bytes)", r->name,
				r->size, TF_HEADER_SIZE);
	hsize = tf_le32(h + 12);
	if (hsize < TF_HEADER_SIZE || hsize > 65536 || hsize > r->size)
		return xg_error(-EINVAL, "%s: header size %u is impossible", r->name, hsize);
	if (tf_crc32c(0, h, 44) != tf_le32(h + 44))
		return xg_error(-EINVAL, "%s: header checksum mismatch", r->name);
	r->compat = tf_le64(h + 16);
	r->ro_compat = tf_le64(h + 24);
	r->incompat = tf_le64(h + 32);
	if (r->incompat & ~TF_INCOMPAT_KNOWN)
		return xg_error(-EINVAL,
				"%s: uses incompatible features 0x%" PRIx64
				" unknown to this xgotop (format %u.%u); a newer xgotop is needed",
				r->name, r->incompat & ~(uint64_t)TF_INCOMPAT_KNOWN, r->major,
				r->minor);
	r->hdr_size = hsize;
	return 0;
}

static struct tf_reader *open_common(struct tf_reader *r, const struct tf_reader_opts *opts)
{
	char why[200] = "index not used (no_index)";
	int err;

	if (opts)
		memcpy(&r->o, opts, opts->sz < sizeof(r->o) ? opts->sz : sizeof(r->o));
	r->o.sz = sizeof(r->o);
	r->cols = r->o.columns ? r->o.columns : TF_COLS_ALL;
	r->tables = tf_tables__new();
	r->meta = tf_meta__new();
	r->dec = tf_chunk_dec__new();
	r->gt = tf_gtrack__new();
	if (!r->tables || !r->meta || !r->dec || !r->gt) {
		err = xg_error(-ENOMEM, "%s: out of memory", r->name);
		goto fail;
	}
	err = check_header(r);
	if (err)
		goto fail;
	if (!r->o.no_index) {
		err = read_index(r);
		if (!err) {
			r->clean = true;
			return r;
		}
		if (err == -ENOMEM)
			goto fail;
		/* fall back to a scan, with fresh tables */
		if (err == -ENOENT)
			snprintf(why, sizeof(why), "no trailer");
		else
			snprintf(why, sizeof(why), "trailer present but index unusable (%.150s)",
				 xg_errmsg());
		reset_tables(r);
		if (!r->tables || !r->meta) {
			err = -ENOMEM;
			goto fail;
		}
	}
	err = scan(r, why);
	if (err)
		goto fail;
	return r;
fail:
	tf_reader__close(r);
	errno = -err;
	return NULL;
}

struct tf_reader *tf_reader__open(const char *path, const struct tf_reader_opts *opts)
{
	struct tf_reader *r = calloc(1, sizeof(*r));
	struct stat st;

	if (!r) {
		xg_error(-ENOMEM, "%s: out of memory", path);
		errno = ENOMEM;
		return NULL;
	}
	r->name = strdup(path);
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0 || fstat(r->fd, &st)) {
		int err = -errno;

		xg_error(err, "%s: %s", path, strerror(-err));
		tf_reader__close(r);
		errno = -err;
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		xg_error(-EINVAL, "%s: not a regular file", path);
		tf_reader__close(r);
		errno = EINVAL;
		return NULL;
	}
	if (!r->name) {
		tf_reader__close(r);
		errno = ENOMEM;
		return NULL;
	}
	r->size = (uint64_t)st.st_size;
	return open_common(r, opts);
}

struct tf_reader *tf_reader__open_mem(const void *data, size_t len, const char *name,
				      const struct tf_reader_opts *opts)
{
	struct tf_reader *r = calloc(1, sizeof(*r));

	if (!r || !(r->name = strdup(name ? name : "(memory)"))) {
		free(r);
		xg_error(-ENOMEM, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	r->fd = -1;
	r->mem = data ? data : (const uint8_t *)"";
	r->size = len;
	return open_common(r, opts);
}

struct tf_reader *tf_reader__open_mem_owned(void *data, size_t len, const char *name,
					    const struct tf_reader_opts *opts)
{
	struct tf_reader *r = calloc(1, sizeof(*r));

	if (!r || !(r->name = strdup(name ? name : "(memory)"))) {
		free(r);
		free(data);
		xg_error(-ENOMEM, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	r->fd = -1;
	r->owned = data;
	r->mem = data ? data : (const uint8_t *)"";
	r->size = len;
	return open_common(r, opts);
}

void tf_reader__close(struct tf_reader *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	tf_meta__free(r->meta);
	tf_tables__free(r->tables);
	tf_chunk_dec__free(r->dec);
	tf_gtrack__free(r->gt);
	tf_buf__free(&r->rbuf);
	tf_buf__free(&r->zbuf);
	free(r->chunks);
	free(r->kfs);
	for (size_t i = 0; i < r->nwarns; i++)
		free(r->warns[i]);
	free(r->warns);
	free(r->name);
	free(r->owned);
	free(r);
}

const struct tf_meta *tf_reader__meta(const struct tf_reader *r)
{
	return r->meta;
}

const struct tf_tables *tf_reader__tables(const struct tf_reader *r)
{
	return r->tables;
}

void tf_reader__set_columns(struct tf_reader *r, uint64_t columns)
{
	r->cols = columns ? columns : TF_COLS_ALL;
}

/* --- events ---------------------------------------------------------------------------------- */

/* The loaded chunk did not decode to its end (xg_errmsg says why): named, counted, its
 * remaining events skipped. */
static void chunk_rest_damaged(struct tf_reader *r)
{
	warn(r, "chunk %zu at offset %" PRIu64 ": %s; rest of the chunk skipped", r->cur,
	     r->chunks[r->cur].off, xg_errmsg());
	r->damaged++;
}

/* Loads chunk i for decoding cols. 0, -EINVAL (damaged: warned), or a fatal -errno. */
static int load_chunk(struct tf_reader *r, size_t i, uint64_t cols)
{
	struct rchunk *c = &r->chunks[i];
	struct rec rec;
	int err;

	if (c->bad)
		return -EINVAL; /* said already */
	err = read_rec(r, c->off, c->off + c->size, &rec, false);
	if (!err && (rec.type != TF_REC_CHUNK || rec.size != c->size))
		err = xg_error(-EINVAL, "not a chunk record (type 0x%02x)", rec.type);
	if (!err && (rec.flags & TF_RECF_ZSTD))
		err = xg_error(-EINVAL, "chunk records cannot be compressed as a whole");
	if (!err)
		err = tf_chunk_dec__load(r->dec, rec.payload, rec.len, cols);
	if (!err) {
		const struct tf_chunk_hdr *h = tf_chunk_dec__hdr(r->dec);

		if (h->n_events != c->n || h->ts_first != c->ts_first || h->ts_last != c->ts_last)
			err = xg_error(-EINVAL, "header does not match the index");
	}
	if (err == -ENOMEM)
		return err;
	if (err) {
		warn(r, "chunk %zu at offset %" PRIu64 " skipped: %s", i, c->off, xg_errmsg());
		r->damaged++;
		c->bad = true;
		return -EINVAL;
	}
	r->cur = i;
	r->load_cols = cols;
	return 0;
}

/* The loaded chunk has no events left (k: what reading it gave, < 0 when damaged): loads the
 * next undamaged one (cols for it). 1, 0 at the end, or a fatal -errno. */
static int next_chunk(struct tf_reader *r, long k, uint64_t cols)
{
	if (r->loaded && k < 0)
		chunk_rest_damaged(r);
	r->loaded = false;
	while (r->ci < r->nchunks) {
		int rc = load_chunk(r, r->ci++, cols);

		if (rc == -ENOMEM)
			return rc;
		if (!rc) {
			r->loaded = true;
			return 1;
		}
	}
	return 0;
}

/* Decodes up to n events into evs from the current or the next chunks (cols for chunks loaded
 * now). The count, 0 at the end, or a fatal -errno. */
static long decode(struct tf_reader *r, struct xg_event *evs, size_t n, uint64_t cols)
{
	long k = 0;
	int rc;

	for (;;) {
		if (r->loaded) {
			k = tf_chunk_dec__read(r->dec, evs, n);
			if (k > 0)
				return k;
		}
		rc = next_chunk(r, k, cols);
		if (rc <= 0)
			return rc;
	}
}

/* The next event through the batch buffer. */
static int next_ev(struct tf_reader *r, struct xg_event *ev, uint64_t cols)
{
	if (r->bpos == r->bn) {
		long k = decode(r, r->batch, sizeof(r->batch) / sizeof(r->batch[0]), cols);

		if (k <= 0)
			return (int)k;
		r->bpos = 0;
		r->bn = (size_t)k;
	}
	*ev = r->batch[r->bpos++];
	return 1;
}

int tf_reader__next(struct tf_reader *r, struct xg_event *ev)
{
	return next_ev(r, ev, r->cols);
}

int tf_reader__next_cols(struct tf_reader *r, const struct tf_columns **cols)
{
	/* rows decoded into the batch but not returned yet: the decoder's block has them */
	uint32_t unread = (uint32_t)(r->bn - r->bpos);
	int rc = 0;

	r->bpos = r->bn = 0;
	for (;;) {
		if (r->loaded) {
			rc = tf_chunk_dec__cols(r->dec, unread, cols);
			unread = 0;
			if (rc > 0)
				return rc;
		}
		rc = next_chunk(r, rc, r->cols);
		if (rc <= 0)
			return rc;
	}
}

long tf_reader__read(struct tf_reader *r, struct xg_event *evs, size_t n)
{
	size_t i = 0;

	while (i < n && r->bpos < r->bn)
		evs[i++] = r->batch[r->bpos++];
	while (i < n) {
		long k = decode(r, evs + i, n - i, r->cols);

		if (k < 0)
			return k;
		if (!k)
			break;
		i += (size_t)k;
	}
	return (long)i;
}

/* Loads keyframe k into the tracker. */
static int load_kf(struct tf_reader *r, size_t k)
{
	const struct rkf *kf = &r->kfs[k];
	const uint8_t *p, *e;
	uint64_t ts, before, n, goid = 0;
	struct rec rec;
	int err;

	tf_gtrack__clear(r->gt);
	err = read_rec(r, kf->off, kf->off + kf->size, &rec, true);
	if (err)
		return err;
	if (rec.type != TF_REC_KEYFRAME)
		return xg_error(-EINVAL, "not a keyframe record (type 0x%02x)", rec.type);
	p = rec.payload;
	e = p + rec.len;
	if (tf_get_uv(&p, e, &ts) || tf_get_uv(&p, e, &before) || tf_get_uv(&p, e, &n) ||
	    before != kf->chunks_before || n > (uint64_t)(e - p))
		return xg_error(-EINVAL, "keyframe header is damaged");
	for (uint64_t i = 0; i < n; i++) {
		struct tf_goroutine g = {0};
		uint64_t d, v[8];

		if (tf_get_uv(&p, e, &d) || p >= e)
			return xg_error(-EINVAL, "keyframe entry %" PRIu64 " truncated", i);
		g.state = *p++;
		for (int k2 = 0; k2 < 8; k2++)
			if (tf_get_uv(&p, e, &v[k2]))
				return xg_error(-EINVAL, "keyframe entry %" PRIu64 " truncated", i);
		goid += d;
		g.goid = goid;
		g.reason = (uint32_t)v[0];
		g.parent_goid = v[1];
		g.start_fn = (uint32_t)v[2];
		g.create_fn = (uint32_t)v[3];
		g.start_pc = v[4];
		g.create_pc = v[5];
		g.created_ts = v[6];
		g.since_ts = v[7];
		if (tf_gtrack__put(r->gt, &g))
			return -ENOMEM;
	}
	return 0;
}

#define GT_COLS                                                                                    \
	(TF_COLBIT(TF_COL_CPU) | TF_COLBIT(TF_COL_GOID) | TF_COLBIT(TF_COL_STATE) |                \
	 TF_COLBIT(TF_COL_REASON) | TF_COLBIT(TF_COL_PARENT) | TF_COLBIT(TF_COL_CREATE_PC) |       \
	 TF_COLBIT(TF_COL_START_PC) | TF_COLBIT(TF_COL_CREATE_FN) | TF_COLBIT(TF_COL_START_FN))

int tf_reader__seek(struct tf_reader *r, uint64_t ts)
{
	size_t start = 0;
	struct xg_event ev;
	bool have = false;

	r->bpos = r->bn = 0;
	r->loaded = false;
	/* the last keyframe after which every earlier event has ts < target */
	for (size_t k = r->nkfs; k-- > 0;) {
		size_t b = r->kfs[k].chunks_before;
		int err;

		if (b > 0 && r->chunks[b - 1].ts_last >= ts)
			continue;
		err = load_kf(r, k);
		if (err == -ENOMEM)
			return err;
		if (err) {
			warn(r, "keyframe at offset %" PRIu64 " skipped: %s", r->kfs[k].off,
			     xg_errmsg());
			continue;
		}
		start = b;
		have = true;
		break;
	}
	if (!have)
		tf_gtrack__clear(r->gt);
	r->ci = start;
	/* replay the events before ts into the tracker */
	for (;;) {
		int rc = next_ev(r, &ev, r->cols | GT_COLS);

		if (rc < 0)
			return rc;
		if (!rc)
			break;
		if (ev.ts >= ts) {
			r->bpos--; /* the next call returns it again */
			break;
		}
		if (tf_gtrack__apply(r->gt, &ev))
			return -ENOMEM;
	}
	r->gs = tf_gtrack__sorted(r->gt, &r->ngs);
	return 0;
}

const struct tf_goroutine *tf_reader__goroutines(struct tf_reader *r, size_t *n)
{
	*n = r->ngs;
	return r->gs;
}

/* --- info ------------------------------------------------------------------------------------ */

/* Chunk i cannot be read (xg_errmsg says why): named once, counted, skipped from here on. */
static void chunk_damaged(struct tf_reader *r, size_t i)
{
	warn(r, "chunk %zu at offset %" PRIu64 " is damaged: %s", i, r->chunks[i].off, xg_errmsg());
	r->chunks[i].bad = true;
	r->damaged++;
}

int tf_reader__verify(struct tf_reader *r)
{
	for (size_t i = 0; i < r->nchunks; i++) {
		struct rchunk *c = &r->chunks[i];
		struct tf_chunk_hdr h;
		struct rec rec;
		int err;

		if (c->bad)
			continue;
		err = read_rec(r, c->off, c->off + c->size, &rec, false);
		if (!err && rec.type != TF_REC_CHUNK)
			err = xg_error(-EINVAL, "not a chunk record (type 0x%02x)", rec.type);
		if (!err)
			err = tf_chunk__parse_hdr(rec.payload, rec.len, &h);
		if (!err &&
		    (h.n_events != c->n || h.ts_first != c->ts_first || h.ts_last != c->ts_last))
			err = xg_error(-EINVAL, "header does not match the index");
		if (err == -ENOMEM)
			return err;
		if (err)
			chunk_damaged(r, i);
	}
	return (int)(r->damaged > INT32_MAX ? INT32_MAX : r->damaged);
}

int tf_reader__info(struct tf_reader *r, struct tf_info *in)
{
	memset(in, 0, sizeof(*in));
	in->major = r->major;
	in->minor = r->minor;
	in->compat = r->compat;
	in->ro_compat = r->ro_compat;
	in->incompat = r->incompat;
	in->clean = r->clean;
	snprintf(in->recovery, sizeof(in->recovery), "%.511s", r->clean ? "" : r->recovery);
	in->file_bytes = r->size;
	in->used_bytes = r->used;
	in->chunks = r->nchunks;
	in->keyframes = r->nkfs;
	in->strings = tf_tables__str_count(r->tables);
	in->stacks = tf_tables__stack_count(r->tables);
	in->meta_entries = tf_meta__count(r->meta);
	for (size_t i = 0; i < r->nchunks; i++)
		in->events += r->chunks[i].n;
	if (r->nchunks) {
		in->ts_first = r->chunks[0].ts_first;
		in->ts_last = r->chunks[r->nchunks - 1].ts_last;
	}
	in->span_ns = in->ts_last;
	if (r->have_stats) {
		in->stop_ts = r->stop_ts;
		if (in->stop_ts > in->span_ns)
			in->span_ns = in->stop_ts;
		memcpy(in->kinds, r->kinds, sizeof(in->kinds));
		in->lost = r->lost;
		in->late = r->late;
		in->late_max_ns = r->late_max;
		in->raw_bytes = r->raw;
		in->stored_bytes = r->stored;
		in->damaged = r->damaged;
		if (!in->kinds[XG_EV_WINDOW])
			return 0;
	}
	/* no index: count from the chunks themselves (kind, count and of columns only), with the
	 * iteration's decoder unless a chunk is being iterated; with one, only the windows */
	{
		bool count = !r->have_stats;

		struct tf_chunk_dec *d = r->loaded ? tf_chunk_dec__new() : r->dec;
		uint64_t cols = TF_COLBIT(TF_COL_COUNT) | TF_COLBIT(TF_COL_OF);
		struct tf_windows win;

		tf_windows__init(&win);

		if (!d)
			return -ENOMEM;
		if (count)
			in->events = 0;
		for (size_t i = 0; i < r->nchunks; i++) {
			const struct rchunk *c = &r->chunks[i];
			const uint32_t *kinds;
			struct rec rec;
			long k;
			int err;

			if (c->bad) /* counted and named where it was found */
				continue;
			err = read_rec(r, c->off, c->off + c->size, &rec, false);
			if (!err)
				err = tf_chunk_dec__load(d, rec.payload, rec.len, cols);
			if (err == -ENOMEM) {
				if (d != r->dec)
					tf_chunk_dec__free(d);
				return err;
			}
			if (err) {
				chunk_damaged(r, i);
				continue;
			}
			kinds = tf_chunk_dec__kinds(d);
			for (int j = 0; j < 256 && count; j++) {
				in->events += kinds[j];
				in->kinds[j] += kinds[j];
			}
			k = 0;
			/* lost events carry the counts, windows their times: only then are the
			 * rows decoded (with their ts for windows) */
			if (kinds[XG_EV_WINDOW] && tf_chunk_dec__load(d, rec.payload, rec.len,
								      cols | TF_COLBIT(TF_COL_TS)))
				k = -1;
			while (k >= 0 && ((count && kinds[XG_EV_LOST]) || kinds[XG_EV_WINDOW]) &&
			       (k = tf_chunk_dec__read(d, r->batch, 256)) > 0) {
				for (long j = 0; j < k; j++)
					if (r->batch[j].kind == XG_EV_LOST && count)
						in->lost += r->batch[j].count;
					else if (r->batch[j].kind == XG_EV_WINDOW)
						tf_windows__add(&win, &r->batch[j]);
			}
			if (k < 0)
				chunk_damaged(r, i);
		}
		/* windows still open at the end count to the span's end */
		for (unsigned int k = 0; k < XG_EV_KIND_MAX; k++) {
			in->windows[k] = win.events[k];
			in->window_in_ns[k] =
			    win.events[k] ? tf_windows__in_ns(&win, k, in->span_ns) : 0;
		}
		if (count) {
			in->raw_bytes = r->scan_raw;
			in->stored_bytes = r->scan_stored;
		}
		in->damaged = r->damaged;
		if (d != r->dec)
			tf_chunk_dec__free(d);
	}
	return 0;
}
