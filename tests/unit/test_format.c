// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Trace format: writer -> reader round trips, determinism, seeking, projection, codec helpers. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format/chunk.h"
#include "format/codec.h"
#include "format/gtrack.h"
#include "format/reader.h"
#include "format/writer.h"
#include "format/xgt.h"
#include "tests/unit/test.h"
#include "util/err.h"

static uint64_t seed;

static uint64_t rnd(void)
{
	uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A value that is often extreme: 0, 1, max, near powers of two, or random. */
static uint64_t wild(void)
{
	switch (rnd() % 8) {
	case 0:
		return 0;
	case 1:
		return UINT64_MAX;
	case 2:
		return UINT64_MAX - rnd() % 3;
	case 3:
		return 1ULL << (rnd() % 64);
	case 4:
		return rnd() % 200;
	default:
		return rnd() >> (rnd() % 64);
	}
}

#define K(k) (1u << (k))
/* which fields the format stores for a kind (SPEC.md "Columns") */
static void keep_stored(struct xg_event *e)
{
	unsigned int k = e->kind, m = k < 32 ? K(k) : 0;
	struct xg_event o = *e;

	memset(e, 0, sizeof(*e));
	e->ts = o.ts;
	e->goid = o.goid;
	e->tid = o.tid;
	e->cpu = o.cpu;
	e->kind = o.kind;
	if (m & (K(XG_EV_GO_STATE) | K(XG_EV_SNAPSHOT))) {
		e->from = o.from & 15;
		e->to = o.to & 15;
		e->reason = o.reason;
	}
	if (m & (K(XG_EV_GO_CREATE) | K(XG_EV_GO_STATE) | K(XG_EV_ALLOC) | K(XG_EV_CPU_SAMPLE) |
		 K(XG_EV_ALLOC_SAMPLE) | K(XG_EV_SNAPSHOT)))
		e->stack = o.stack;
	if (m & (K(XG_EV_GO_CREATE) | K(XG_EV_SNAPSHOT))) {
		e->parent_goid = o.parent_goid;
		e->create_pc = o.create_pc;
		e->start_pc = o.start_pc;
		e->create_fn = o.create_fn;
		e->start_fn = o.start_fn;
	}
	if (m & (K(XG_EV_ALLOC) | K(XG_EV_ALLOC_SAMPLE))) {
		e->size = o.size;
		e->type = o.type;
	}
	if (m & K(XG_EV_ALLOC_SAMPLE))
		e->weight = o.weight;
	if (m & (K(XG_EV_GC_START) | K(XG_EV_GC_END) | K(XG_EV_HEAP))) {
		e->gc = o.gc;
		e->heap_live = o.heap_live;
		e->heap_goal = o.heap_goal;
		e->total_alloc = o.total_alloc;
		e->total_free = o.total_free;
	}
	if (m & K(XG_EV_LOST)) {
		e->count = o.count;
		e->of = o.of;
	}
	if (m & K(XG_EV_SNAPSHOT))
		e->waited_ns = o.waited_ns;
	if (m & K(XG_EV_SCHED)) {
		e->created = o.created;
		e->alive = o.alive;
		e->threads = o.threads;
		e->gomaxprocs = o.gomaxprocs;
		e->runnable = o.runnable;
	}
}

/* n random events in ts order, every field filled (the writer keeps what the kind stores). */
static struct xg_event *random_events(size_t n, bool extreme)
{
	struct xg_event *evs = calloc(n, sizeof(*evs));
	uint64_t ts = extreme ? UINT64_MAX - n * 3 : rnd() % 1000;

	for (size_t i = 0; evs && i < n; i++) {
		struct xg_event *e = &evs[i];

		ts += extreme ? rnd() % 3 : rnd() % 5000;
		e->ts = ts;
		e->kind = (uint8_t)(rnd() % 16 == 0 ? rnd() % 256 : 1 + rnd() % 12);
		e->goid = extreme ? wild() : 1 + rnd() % 300;
		e->tid = (uint32_t)(extreme ? wild() : 1000 + rnd() % 8);
		e->cpu = (uint16_t)(extreme ? wild() : rnd() % 8);
		e->from = (uint8_t)rnd();
		e->to = (uint8_t)rnd();
		e->of = (uint8_t)rnd();
		e->reason = (uint32_t)(extreme ? wild() : rnd() % 10);
		e->stack = (uint32_t)(extreme ? wild() : rnd() % 10);
		e->parent_goid = extreme ? wild() : rnd() % 300;
		e->create_pc = extreme ? wild() : 0x400000 + rnd() % 100;
		e->start_pc = extreme ? wild() : 0x400000 + rnd() % 100;
		e->create_fn = (uint32_t)wild();
		e->start_fn = (uint32_t)wild();
		e->size = wild();
		e->type = (uint32_t)wild();
		e->gc = (uint32_t)wild();
		e->weight = wild();
		e->count = wild();
		e->heap_live = wild();
		e->heap_goal = wild();
		e->total_alloc = wild();
		e->total_free = wild();
		e->waited_ns = wild();
		e->created = wild();
		e->alive = (uint32_t)wild();
		e->threads = (uint32_t)wild();
		e->gomaxprocs = (uint32_t)wild();
		e->runnable = (uint32_t)wild();
	}
	return evs;
}

static bool same_event(const struct xg_event *a, const struct xg_event *b, size_t i)
{
	struct xg_event x = *a, y = *b;

	keep_stored(&x);
	keep_stored(&y);
	if (!memcmp(&x, &y, sizeof(x)))
		return true;
	test__fail(__FILE__, __LINE__,
		   "event %zu differs: kind %u/%u ts %llu/%llu goid %llu/%llu size %llu/%llu", i,
		   x.kind, y.kind, (unsigned long long)x.ts, (unsigned long long)y.ts,
		   (unsigned long long)x.goid, (unsigned long long)y.goid,
		   (unsigned long long)x.size, (unsigned long long)y.size);
	return false;
}

static char *tmp_path(const char *name)
{
	static char p[8][512];
	static int k;
	char *s = p[k++ % 8];

	snprintf(s, sizeof(p[0]), "%s/%s", test__tmpdir(), name);
	return s;
}

static int write_events(const char *path, const struct xg_event *evs, size_t n,
			const struct tf_writer_opts *o)
{
	struct tf_meta *m = tf_meta__new();
	struct tf_writer *w;
	int err;

	tf_meta__set_str(m, TF_KEY_HOST, "unit");
	tf_meta__set_int(m, TF_KEY_TARGET_PID, -5);
	w = tf_writer__open(path, m, o);
	tf_meta__free(m);
	if (!w)
		return -errno;
	err = tf_writer__append_batch(w, evs, n);
	if (err) {
		tf_writer__close(w);
		return err;
	}
	return tf_writer__close(w);
}

/* Reads path and compares with evs[0..n). */
static bool read_compare(const char *path, const struct xg_event *evs, size_t n)
{
	struct tf_reader *r = tf_reader__open(path, NULL);
	struct xg_event ev;
	size_t i = 0;
	bool ok = true;
	int rc;

	if (!ASSERT_OK_PTR(r, "reader open"))
		return false;
	while ((rc = tf_reader__next(r, &ev)) > 0) {
		if (i >= n) {
			ok = ASSERT_LT(i, n, "too many events");
			break;
		}
		if (!same_event(&evs[i], &ev, i)) {
			ok = false;
			break;
		}
		i++;
	}
	if (ok)
		ok = ASSERT_EQ(rc, 0, "end") && ASSERT_EQ(i, n, "event count");
	tf_reader__close(r);
	return ok;
}

TEST(format_roundtrip_random)
{
	static const int levels[] = {-1, 1, 3};

	seed = 1;
	for (int extreme = 0; extreme < 2; extreme++) {
		for (size_t li = 0; li < 3; li++) {
			size_t n = 20000 + rnd() % 5000;
			struct xg_event *evs = random_events(n, extreme);
			TF_WRITER_OPTS(o, .flush_ms = -1, .zstd_level = levels[li],
				       .chunk_max_events = (uint32_t)(500 + rnd() % 5000));
			const char *p = tmp_path("rt.xgt");

			if (!ASSERT_OK_PTR(evs, "events"))
				return;
			if (ASSERT_OK(write_events(p, evs, n, &o), "write"))
				read_compare(p, evs, n);
			free(evs);
		}
	}
}

TEST(format_determinism)
{
	struct xg_event *evs;
	const char *a = tmp_path("a.xgt"), *b = tmp_path("b.xgt");
	TF_WRITER_OPTS(o, .flush_ms = -1, .chunk_max_events = 3000);
	char cmd[1200];

	seed = 7;
	evs = random_events(50000, false);
	if (!ASSERT_OK_PTR(evs, "events"))
		return;
	ASSERT_OK(write_events(a, evs, 50000, &o), "write a");
	ASSERT_OK(write_events(b, evs, 50000, &o), "write b");
	snprintf(cmd, sizeof(cmd), "cmp -s %s %s", a, b);
	ASSERT_OK(system(cmd), "same events give the same bytes");
	free(evs);
}

/* --- codec helpers ---------------------------------------------------------------------------- */

TEST(format_codec)
{
	static const uint64_t vals[] = {
	    0, 1, 127, 128, 16383, 16384, 1ULL << 35, UINT64_MAX - 1, UINT64_MAX};
	uint8_t buf[16 + TF_PAD];

	ASSERT_EQ(tf_crc32c(0, "123456789", 9), 0xE3069283u, "crc32c check value");
	ASSERT_EQ(tf_crc32c(tf_crc32c(0, "1234", 4), "56789", 5), 0xE3069283u, "crc32c continued");
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		const uint8_t *p = buf;
		uint64_t v = 0;
		uint8_t *e;

		memset(buf, 0, sizeof(buf));
		e = tf_put_uv(buf, vals[i]);
		ASSERT_EQ((size_t)(e - buf), (size_t)tf_uv_len(vals[i]), "length");
		ASSERT_OK(tf_get_uv(&p, e, &v), "checked read");
		ASSERT_EQ(v, vals[i], "checked value");
		ASSERT_EQ(tf_get_uv_fast(buf, &v), (const uint8_t *)e, "fast read end");
		ASSERT_EQ(v, vals[i], "fast value");
		p = buf;
		ASSERT_ERR(e - buf > 1 ? tf_get_uv(&p, e - 1, &v) : -1, "truncated varint");
		ASSERT_EQ((uint64_t)tf_unzz(tf_zz((int64_t)vals[i])), vals[i], "zigzag");
	}
}

/* --- fixtures, truncation, damage --------------------------------------------------------------
 */

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (!fseek(f, 0, SEEK_END) && (n = ftell(f)) > 0 && !fseek(f, 0, SEEK_SET)) {
		buf = malloc((size_t)n);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)n;
	}
	fclose(f);
	return buf;
}

/* Record boundaries of a well-formed file: offsets, types, and events per chunk. */
struct layout {
	size_t n;
	uint64_t off[4096], end[4096], events[4096];
	uint8_t type[4096];
};

static bool layout_of(const uint8_t *b, size_t len, struct layout *l)
{
	uint64_t off = TF_HEADER_SIZE;

	l->n = 0;
	while (off + TF_REC_EXTRA <= len && l->n < 4096) {
		uint32_t plen = tf_le32(b + off + 4);

		l->off[l->n] = off;
		l->type[l->n] = b[off];
		l->end[l->n] = off + plen + TF_REC_EXTRA;
		l->events[l->n] = 0;
		if (b[off] == TF_REC_CHUNK) {
			const uint8_t *p = b + off + TF_REC_HDR;
			uint64_t n = 0;

			tf_get_uv(&p, p + plen, &n);
			l->events[l->n] = n;
		}
		off = l->end[l->n++];
	}
	return off == len;
}

/* All events of an in-memory file. */
static struct xg_event *read_all(const uint8_t *b, size_t len, const struct tf_reader_opts *o,
				 size_t *n, struct tf_reader **keep)
{
	struct tf_reader *r = tf_reader__open_mem(b, len, "mem", o);
	struct xg_event *evs = NULL;
	size_t cap = 0;
	long k;

	*n = 0;
	if (!r)
		return NULL;
	for (;;) {
		if (*n == cap) {
			struct xg_event *ne;

			cap = cap ? cap * 2 : 1024;
			ne = realloc(evs, cap * sizeof(*evs));
			if (!ne)
				break;
			evs = ne;
		}
		k = tf_reader__read(r, evs + *n, cap - *n);
		if (k <= 0)
			break;
		*n += (size_t)k;
	}
	if (keep)
		*keep = r;
	else
		tf_reader__close(r);
	return evs ? evs : malloc(1);
}

static void truncate_every_byte(const char *path, size_t full_decode_every)
{
	size_t len = 0, nall = 0;
	uint8_t *file = slurp(path, &len);
	struct xg_event *all;
	struct layout *l = calloc(1, sizeof(*l));

	if (!ASSERT_OK_PTR(file, path) || !ASSERT_OK_PTR(l, "layout"))
		goto out;
	ASSERT_TRUE(layout_of(file, len, l), "fixture layout");
	all = read_all(file, len, NULL, &nall, NULL);
	if (!ASSERT_OK_PTR(all, "full read"))
		goto out;
	for (size_t cut = 0; cut <= len; cut++) {
		uint8_t *b = malloc(cut ? cut : 1); /* exact size: ASan sees any overread */
		uint64_t want_chunks = 0, want_events = 0;
		struct tf_reader *r;
		struct tf_info in;

		if (!b)
			break;
		memcpy(b, file, cut);
		for (size_t i = 0; i < l->n; i++)
			if (l->type[i] == TF_REC_CHUNK && l->end[i] <= cut) {
				want_chunks++;
				want_events += l->events[i];
			}
		r = tf_reader__open_mem(b, cut, "cut", NULL);
		if (cut < TF_HEADER_SIZE) {
			if (!ASSERT_NULL(r, "no header, no reader")) {
				tf_reader__close(r);
				free(b);
				break;
			}
			free(b);
			continue;
		}
		if (!ASSERT_OK_PTR(r, "open truncated") ||
		    !ASSERT_OK(tf_reader__info(r, &in), "info")) {
			tf_reader__close(r);
			free(b);
			break;
		}
		if (!ASSERT_EQ(in.chunks, want_chunks, "every complete chunk recovered") ||
		    !ASSERT_EQ(in.events, want_events, "their events") ||
		    !ASSERT_EQ(in.damaged, 0u, "nothing damaged") ||
		    !ASSERT_EQ(in.clean, cut == len, "clean only when whole")) {
			printf("  at cut %zu\n", cut);
			tf_reader__close(r);
			free(b);
			break;
		}
		tf_reader__close(r);
		if (cut == len || cut % full_decode_every == 0) {
			size_t n = 0;
			struct xg_event *evs = read_all(b, cut, NULL, &n, NULL);
			bool ok =
			    ASSERT_OK_PTR(evs, "read") && ASSERT_EQ(n, want_events, "decoded");

			for (size_t i = 0; ok && i < n; i++)
				ok = same_event(&all[i], &evs[i], i);
			free(evs);
			if (!ok) {
				printf("  at cut %zu\n", cut);
				free(b);
				break;
			}
		}
		free(b);
	}
	free(all);
out:
	free(file);
	free(l);
}

TEST(format_truncate_every_byte_minimal)
{
	truncate_every_byte("tests/fixtures/minimal.xgt", 1);
}

TEST(format_truncate_every_byte_http_mix)
{
	truncate_every_byte("tests/fixtures/http-mix.xgt", 499);
}

struct warnlog {
	char text[8192];
	int n;
};

static void collect(void *ctx, const char *msg)
{
	struct warnlog *w = ctx;
	size_t used = strlen(w->text);

	snprintf(w->text + used, sizeof(w->text) - used, "%s\n", msg);
	w->n++;
}

static void fix_header_crc(uint8_t *b)
{
	tf_put_le32(b + 44, tf_crc32c(0, b, 44));
}

static void fix_record_crc(uint8_t *b, uint64_t off)
{
	uint32_t plen = tf_le32(b + off + 4);

	tf_put_le32(b + off + TF_REC_HDR + plen, tf_crc32c(0, b + off, TF_REC_HDR + plen));
}

/* Opens a mutated copy of minimal.xgt; returns the error message, or "" when it opened. */
static const char *open_msg(const uint8_t *b, size_t len)
{
	struct tf_reader *r;

	xg_error_clear();
	r = tf_reader__open_mem(b, len, "bad.xgt", NULL);
	if (r) {
		tf_reader__close(r);
		return "";
	}
	return xg_errmsg();
}

/* A reader that owns its bytes frees them at close, and at once when the open fails (run under
 * the sanitizers, a leak or a double free fails the test). */
TEST(format_reader_owns_memory)
{
	size_t len = 0;
	uint8_t *file = slurp("tests/fixtures/minimal.xgt", &len);
	struct tf_reader *r;
	struct tf_info info;

	if (!ASSERT_OK_PTR(file, "minimal.xgt"))
		return;
	r = tf_reader__open_mem_owned(file, len, "owned.xgt", NULL);
	if (!ASSERT_OK_PTR(r, "open"))
		return;
	if (ASSERT_OK(tf_reader__info(r, &info), "info"))
		ASSERT_TRUE(info.clean && info.events > 0, "read from the bytes it owns");
	tf_reader__close(r);
	file = malloc(16);
	if (!ASSERT_OK_PTR(file, "malloc"))
		return;
	memset(file, 0, 16);
	xg_error_clear();
	ASSERT_NULL(tf_reader__open_mem_owned(file, 16, "zeros.xgt", NULL), "not a trace");
	ASSERT_HAS_SUBSTR(xg_errmsg(), "zeros.xgt", "the message names it");
}

TEST(format_reject)
{
	size_t len = 0;
	uint8_t *file = slurp("tests/fixtures/minimal.xgt", &len), *b = NULL;

	if (!ASSERT_OK_PTR(file, "minimal.xgt"))
		return;
	b = malloc(len);
	if (!ASSERT_OK_PTR(b, "copy"))
		goto out;

	memcpy(b, file, len);
	b[1] = 'Y';
	ASSERT_STREQ(open_msg(b, len), "bad.xgt: not an xgotop trace (bad magic)", "bad magic");

	memcpy(b, file, len);
	tf_put_le16(b + 8, 2);
	fix_header_crc(b);
	ASSERT_STREQ(open_msg(b, len),
		     "bad.xgt: format version 2.0 is not supported (this xgotop reads 1.x)",
		     "newer major");

	memcpy(b, file, len);
	tf_put_le16(b + 10, 7); /* a newer minor reads */
	fix_header_crc(b);
	ASSERT_STREQ(open_msg(b, len), "", "newer minor");

	memcpy(b, file, len);
	b[32] = 0x04; /* incompat bit 2 */
	fix_header_crc(b);
	ASSERT_STREQ(open_msg(b, len),
		     "bad.xgt: uses incompatible features 0x4 unknown to this xgotop (format 1.0); "
		     "a newer xgotop is needed",
		     "unknown incompat flag");

	memcpy(b, file, len);
	b[16] = 0x80; /* compat and ro_compat bits: still readable */
	b[24] = 0x01;
	fix_header_crc(b);
	ASSERT_STREQ(open_msg(b, len), "", "unknown compat flags read");

	memcpy(b, file, len);
	b[20] ^= 1;
	ASSERT_STREQ(open_msg(b, len), "bad.xgt: header checksum mismatch", "header crc");

	memcpy(b, file, len);
	tf_put_le32(b + 12, 1u << 30);
	fix_header_crc(b);
	ASSERT_STREQ(open_msg(b, len), "bad.xgt: header size 1073741824 is impossible",
		     "header size");

	ASSERT_STREQ(open_msg(file, 0), "bad.xgt: empty file, not an xgotop trace", "empty");
	ASSERT_STREQ(open_msg(file, 30), "bad.xgt: header truncated (30 of 48 bytes)",
		     "short header");
out:
	free(file);
	free(b);
}

/* Damage to records inside the file: the reader skips and says what and where. */
TEST(format_damaged_records)
{
	size_t len = 0, n;
	uint8_t *file = slurp("tests/fixtures/http-mix.xgt", &len), *b = NULL;
	struct layout *l = calloc(1, sizeof(*l));
	struct warnlog wl;
	struct xg_event *evs;
	uint64_t c3 = 0, c3_events = 0, total = 0;
	size_t chunk_no = 0;
	char want[256];

	if (!ASSERT_OK_PTR(file, "http-mix.xgt") || !ASSERT_OK_PTR(l, "layout"))
		goto out;
	b = malloc(len);
	if (!ASSERT_OK_PTR(b, "copy"))
		goto out;
	layout_of(file, len, l);
	for (size_t i = 0; i < l->n; i++) {
		if (l->type[i] != TF_REC_CHUNK)
			continue;
		if (chunk_no++ == 3) {
			c3 = l->off[i];
			c3_events = l->events[i];
		}
		total += l->events[i];
	}

	for (int use_index = 1; use_index >= 0; use_index--) {
		TF_READER_OPTS(o, .warn = collect, .warn_ctx = &wl, .no_index = !use_index);

		/* a flipped bit in chunk 3's payload: checksum mismatch, the chunk is skipped */
		memcpy(b, file, len);
		b[c3 + 40] ^= 0x10;
		memset(&wl, 0, sizeof(wl));
		evs = read_all(b, len, &o, &n, NULL);
		ASSERT_EQ(n, total - c3_events, "the other chunks read");
		snprintf(want, sizeof(want),
			 use_index ? "mem: chunk 3 at offset %llu skipped: record of "
				     "type 0x04: checksum mismatch"
				   : "mem: record at offset %llu (type 0x04) skipped: "
				     "record of type 0x04: checksum mismatch",
			 (unsigned long long)c3);
		ASSERT_HAS_SUBSTR(wl.text, want, "bad crc message");
		free(evs);

		/* an impossible length in chunk 3's record header */
		memcpy(b, file, len);
		tf_put_le32(b + c3 + 4, 0xfffffff0u);
		memset(&wl, 0, sizeof(wl));
		{
			struct tf_reader *r = NULL;
			struct tf_info in;

			evs = read_all(b, len, &o, &n, &r);
			if (use_index) {
				ASSERT_EQ(n, total - c3_events, "other chunks read");
				snprintf(want, sizeof(want),
					 "mem: chunk 3 at offset %llu skipped: record length "
					 "4294967280 exceeds the format's limit of 268435456",
					 (unsigned long long)c3);
				ASSERT_HAS_SUBSTR(wl.text, want, "impossible length message");
			} else if (ASSERT_OK_PTR(r, "scan open")) {
				/* a scan cannot get past a record whose length is gone */
				tf_reader__info(r, &in);
				snprintf(want, sizeof(want),
					 "scan stopped at offset %llu: record length 4294967280 "
					 "exceeds the format's limit of 268435456",
					 (unsigned long long)c3);
				ASSERT_HAS_SUBSTR(in.recovery, want, "scan stop reason");
				ASSERT_EQ(in.chunks, 3u, "chunks before the damage");
			}
			tf_reader__close(r);
			free(evs);
		}
	}

	/* an impossible column length, with a valid checksum: the chunk is skipped */
	{
		uint64_t pay = c3 + TF_REC_HDR, raw;
		const uint8_t *p = b + pay, *e = b + len;
		uint64_t v;
		uint8_t *rawp;

		memcpy(b, file, len);
		for (int i = 0; i < 4; i++)
			tf_get_uv(&p, e, &v); /* n, ts_first, span, ncols */
		p += 3;			      /* first column: id, encoding, compression */
		tf_get_uv(&p, e, &v);	      /* kind mask */
		rawp = (uint8_t *)p;
		tf_get_uv(&p, e, &raw);
		if (ASSERT_EQ((size_t)(p - rawp), 2u, "raw_len is a 2-byte varint")) {
			rawp[0] = 0xff; /* 16383: too many bytes for the rows */
			rawp[1] = 0x7f;
			fix_record_crc(b, c3);
			memset(&wl, 0, sizeof(wl));
			TF_READER_OPTS(o, .warn = collect, .warn_ctx = &wl);
			evs = read_all(b, len, &o, &n, NULL);
			ASSERT_EQ(n, total - c3_events, "other chunks read");
			snprintf(want, sizeof(want),
				 "mem: chunk 3 at offset %llu skipped: column ts: raw length 16383 "
				 "impossible for 1024 events",
				 (unsigned long long)c3);
			ASSERT_HAS_SUBSTR(wl.text, want, "column length message");
			free(evs);
		}
	}
out:
	free(file);
	free(b);
	free(l);
}

/* Unknown record types are skipped, extension range or not. */
TEST(format_unknown_records)
{
	size_t len = 0, n;
	uint8_t *file = slurp("tests/fixtures/minimal.xgt", &len), *b;
	struct layout l;
	struct warnlog wl = {.n = 0};
	TF_READER_OPTS(o, .warn = collect, .warn_ctx = &wl);
	struct xg_event *evs;
	struct tf_reader *r = NULL;
	struct tf_info in;
	uint8_t ext[TF_REC_EXTRA + 5] = {0x80, 0, 0, 0, 5, 0, 0, 0, 'h', 'e', 'l', 'l', 'o'};
	uint64_t at;

	if (!ASSERT_OK_PTR(file, "minimal.xgt"))
		return;
	layout_of(file, len, &l);
	at = l.end[0]; /* after META */
	tf_put_le32(ext + TF_REC_HDR + 5, tf_crc32c(0, ext, TF_REC_HDR + 5));
	b = malloc(len + 2 * sizeof(ext));
	if (!ASSERT_OK_PTR(b, "alloc"))
		goto out;
	memcpy(b, file, at);
	memcpy(b + at, ext, sizeof(ext));
	ext[0] = 0x3c; /* an unassigned type below the extension range */
	tf_put_le32(ext + TF_REC_HDR + 5, tf_crc32c(0, ext, TF_REC_HDR + 5));
	memcpy(b + at + sizeof(ext), ext, sizeof(ext));
	/* drop index and trailer, whose offsets no longer hold */
	memcpy(b + at + 2 * sizeof(ext), file + at, l.off[l.n - 2] - at);
	evs = read_all(b, l.off[l.n - 2] + 2 * sizeof(ext), &o, &n, &r);
	ASSERT_EQ(n, 11u, "all events");
	ASSERT_EQ(wl.n, 0, "no warnings");
	if (ASSERT_OK_PTR(r, "reader")) {
		tf_reader__info(r, &in);
		ASSERT_HAS_SUBSTR(in.recovery, "scanning to the end of the file", "scanned");
	}
	tf_reader__close(r);
	free(evs);
	free(b);
out:
	free(file);
}

/* A chunk filled exactly by one call, then more rows: the next call must see it full. */
TEST(format_chunk_exact_fill)
{
	struct tf_chunk_enc *e = tf_chunk_enc__new(1);
	struct xg_event evs[300];
	const struct xg_event *rows[300];
	struct tf_buf out = {0};
	long a;

	if (!ASSERT_OK_PTR(e, "encoder"))
		return;
	for (int i = 0; i < 300; i++) {
		evs[i] = (struct xg_event){.ts = (uint64_t)i, .kind = XG_EV_GO_EXIT, .goid = 1};
		rows[i] = &evs[i];
	}
	tf_chunk_enc__limits(e, 100, 0, 0);
	a = tf_chunk_enc__add(e, rows, 100);
	ASSERT_EQ(a, 100, "exactly full");
	ASSERT_TRUE(tf_chunk_enc__full(e), "full");
	ASSERT_EQ(tf_chunk_enc__add(e, rows + 100, 200), 0, "no room");
	ASSERT_OK(tf_chunk_enc__finish(e, &out), "finish");
	ASSERT_FALSE(tf_chunk_enc__full(e), "a new chunk");
	ASSERT_EQ(tf_chunk_enc__add(e, rows + 100, 200), 100, "next chunk takes 100");
	/* the time limit cuts by ts */
	out.len = 0;
	ASSERT_OK(tf_chunk_enc__finish(e, &out), "finish");
	tf_chunk_enc__limits(e, 1000, 0, 50);
	ASSERT_EQ(tf_chunk_enc__add(e, rows, 300), 50, "50 ns of rows");
	tf_buf__free(&out);
	tf_chunk_enc__free(e);
}

/* A trailer whose index is damaged: the file is scanned instead, nothing is lost. */
TEST(format_damaged_index)
{
	size_t len = 0, n = 0;
	uint8_t *b = slurp("tests/fixtures/http-mix.xgt", &len);
	struct tf_reader *r = NULL;
	struct xg_event *evs;
	struct tf_info in;
	uint64_t ioff;
	char want[160];

	if (!ASSERT_OK_PTR(b, "http-mix.xgt"))
		return;
	ioff = tf_le64(b + len - TF_END_SIZE + TF_REC_HDR);
	b[ioff + TF_REC_HDR + 3] ^= 0x40;
	evs = read_all(b, len, NULL, &n, &r);
	ASSERT_EQ(n, 10700u, "every event, by a scan");
	if (ASSERT_OK_PTR(r, "reader") && ASSERT_OK(tf_reader__info(r, &in), "info")) {
		ASSERT_FALSE(in.clean, "not clean");
		snprintf(want, sizeof(want),
			 "trailer present but index unusable (index at offset %llu: record of type "
			 "0x06: checksum mismatch): recovered 11 chunks by scanning",
			 (unsigned long long)ioff);
		ASSERT_HAS_SUBSTR(in.recovery, want, "why and what");
		ASSERT_EQ(in.keyframes, 6u, "keyframes found by the scan");
	}
	tf_reader__close(r);
	free(evs);
	free(b);
}

/* Columns left out because they are all zero: the contexts of the others still agree. */
TEST(format_absent_columns)
{
	struct xg_event evs[64];
	const char *p = tmp_path("absent.xgt");
	TF_WRITER_OPTS(o, .flush_ms = -1);

	memset(evs, 0, sizeof(evs));
	for (int i = 0; i < 64; i++) {
		evs[i].ts = 100 + (uint64_t)i;
		evs[i].cpu = (uint16_t)(i % 3);
		evs[i].kind = i % 2 ? XG_EV_GO_CREATE : XG_EV_GO_EXIT;
		/* goid and tid are all zero; parents are not */
		evs[i].parent_goid = i % 2 ? 1000 + (uint64_t)i % 5 : 0;
	}
	if (ASSERT_OK(write_events(p, evs, 64, &o), "write"))
		read_compare(p, evs, 64);
}
