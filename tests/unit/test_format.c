// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Trace format: writer -> reader round trips, determinism, seeking, projection, codec helpers. */
#include <dirent.h>
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
	if (m & (K(XG_EV_CPU_SAMPLE) | K(XG_EV_ALLOC_SAMPLE)))
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

/* --- the column API ------------------------------------------------------------------------- */

/*
 * Row i of a decoded chunk, made from its columns by SPEC.md's rule of which rows carry a value,
 * written here apart from the reader's own row maker: cur[] counts the values of each column
 * taken by the rows before.
 */
static bool row_of(const struct tf_columns *c, uint32_t i, uint32_t *cur, struct xg_event *ev)
{
	uint8_t kind = c->col[TF_COL_KIND].u8[i];

	memset(ev, 0, sizeof(*ev));
	for (unsigned int id = 1; id < TF_COL_MAX; id++) {
		const struct tf_column *col = &c->col[id];
		uint64_t v = 0;

		if (!col->p || (col->mask && !XG_KIND_IN(col->mask, kind)))
			continue;
		if (!ASSERT_LT(cur[id], col->n, tf_col_name(id)))
			return false;
		switch (tf_col_width(id)) {
		case 8:
			v = col->u64[cur[id]];
			break;
		case 4:
			v = col->u32[cur[id]];
			break;
		case 2:
			v = col->u16[cur[id]];
			break;
		default:
			v = col->u8[cur[id]];
			break;
		}
		cur[id]++;
		switch (id) {
		case TF_COL_TS:
			ev->ts = v;
			break;
		case TF_COL_CPU:
			ev->cpu = (uint16_t)v;
			break;
		case TF_COL_TID:
			ev->tid = (uint32_t)v;
			break;
		case TF_COL_KIND:
			ev->kind = (uint8_t)v;
			break;
		case TF_COL_GOID:
			ev->goid = v;
			break;
		case TF_COL_STATE:
			ev->from = (uint8_t)(v >> 4);
			ev->to = v & 15;
			break;
		case TF_COL_REASON:
			ev->reason = (uint32_t)v;
			break;
		case TF_COL_STACK:
			ev->stack = (uint32_t)v;
			break;
		case TF_COL_PARENT:
			ev->parent_goid = v;
			break;
		case TF_COL_CREATE_PC:
			ev->create_pc = v;
			break;
		case TF_COL_START_PC:
			ev->start_pc = v;
			break;
		case TF_COL_CREATE_FN:
			ev->create_fn = (uint32_t)v;
			break;
		case TF_COL_START_FN:
			ev->start_fn = (uint32_t)v;
			break;
		case TF_COL_SIZE:
			ev->size = v;
			break;
		case TF_COL_TYPE:
			ev->type = (uint32_t)v;
			break;
		case TF_COL_WEIGHT:
			ev->weight = v;
			break;
		case TF_COL_GC:
			ev->gc = (uint32_t)v;
			break;
		case TF_COL_HEAP_LIVE:
			ev->heap_live = v;
			break;
		case TF_COL_HEAP_GOAL:
			ev->heap_goal = v;
			break;
		case TF_COL_TOTAL_ALLOC:
			ev->total_alloc = v;
			break;
		case TF_COL_TOTAL_FREE:
			ev->total_free = v;
			break;
		case TF_COL_COUNT:
			ev->count = v;
			break;
		case TF_COL_OF:
			ev->of = (uint8_t)v;
			break;
		case TF_COL_START_WRAPPER:
			ev->start_wrapper = (uint32_t)v;
			break;
		case TF_COL_WAITED:
			ev->waited_ns = v;
			break;
		case TF_COL_CREATED:
			ev->created = v;
			break;
		case TF_COL_ALIVE:
			ev->alive = (uint32_t)v;
			break;
		case TF_COL_THREADS:
			ev->threads = (uint32_t)v;
			break;
		case TF_COL_GOMAXPROCS:
			ev->gomaxprocs = (uint32_t)v;
			break;
		case TF_COL_RUNNABLE:
			ev->runnable = (uint32_t)v;
			break;
		default:
			test__fail(__FILE__, __LINE__, "column %u has no field here", id);
			return false;
		}
	}
	return true;
}

/* Every event of the reader through the column API, as rows; NULL on a failure (reported). */
static struct xg_event *read_cols(struct tf_reader *r, size_t *n)
{
	const struct tf_columns *c;
	struct xg_event *evs = NULL;
	size_t cap = 0;
	int rc;

	*n = 0;
	while ((rc = tf_reader__next_cols(r, &c)) > 0) {
		uint32_t cur[TF_COL_MAX] = {0};

		if (!ASSERT_EQ(c->first, 0u, "whole blocks") || !ASSERT_GT(c->n, 0u, "rows") ||
		    !ASSERT_LE(c->n, 1024u, "a block at most"))
			goto fail;
		if (*n + c->n > cap) {
			struct xg_event *ne;

			cap = (*n + c->n) * 2;
			ne = realloc(evs, cap * sizeof(*evs));
			if (!ASSERT_OK_PTR(ne, "realloc"))
				goto fail;
			evs = ne;
		}
		for (uint32_t i = 0; i < c->n; i++)
			if (!row_of(c, i, cur, &evs[*n + i]))
				goto fail;
		for (unsigned int id = 1; id < TF_COL_MAX; id++)
			if (!ASSERT_EQ(cur[id], c->col[id].n, "every value taken"))
				goto fail;
		*n += c->n;
	}
	if (ASSERT_OK(rc, "next_cols"))
		return evs ? evs : malloc(1);
fail:
	free(evs);
	return NULL;
}

/* Both APIs over one file (damaged parts included): the same events, the same warnings. */
static void cols_equal_rows(const uint8_t *b, size_t len, const struct tf_reader_opts *o,
			    const char *what)
{
	struct tf_reader *r1 = NULL, *r2 = tf_reader__open_mem(b, len, "mem", o);
	size_t nrows = 0, ncols = 0, w1 = 0, w2 = 0;
	struct xg_event *rows = read_all(b, len, o, &nrows, &r1), *cols = NULL;
	const char *const *t1, *const *t2;

	if (!r1 || !r2) {
		ASSERT_TRUE(!r1 && !r2, "both open or neither");
		goto out;
	}
	cols = read_cols(r2, &ncols);
	if (!ASSERT_OK_PTR(rows, what) || !ASSERT_OK_PTR(cols, what) ||
	    !ASSERT_EQ(ncols, nrows, what))
		goto out;
	for (size_t i = 0; i < nrows; i++)
		if (!ASSERT_OK(memcmp(&rows[i], &cols[i], sizeof(rows[i])), what)) {
			same_event(&rows[i], &cols[i], i);
			break;
		}
	t1 = tf_reader__warnings(r1, &w1);
	t2 = tf_reader__warnings(r2, &w2);
	if (ASSERT_EQ(w2, w1, "as many warnings"))
		for (size_t i = 0; i < w1; i++)
			ASSERT_STREQ(t2[i], t1[i], "the same warning");
out:
	free(rows);
	free(cols);
	tf_reader__close(r1);
	tf_reader__close(r2);
}

/* Every fixture, the damaged ones too, decodes through the columns as through rows. */
TEST(format_cols_fixtures)
{
	const char *dir = "tests/fixtures";
	struct dirent *e;
	DIR *d = opendir(dir);
	int files = 0;

	if (!ASSERT_OK_PTR(d, dir))
		return;
	while ((e = readdir(d))) {
		size_t nlen = strlen(e->d_name), len = 0;
		char path[512];
		uint8_t *b;

		/* reject-empty.xgt has no bytes to compare */
		if (nlen < 4 || strcmp(e->d_name + nlen - 4, ".xgt") ||
		    !strcmp(e->d_name, "reject-empty.xgt"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		b = slurp(path, &len);
		if (!ASSERT_OK_PTR(b, path))
			continue;
		for (int no_index = 0; no_index < 2; no_index++) {
			TF_READER_OPTS(o, .no_index = no_index);

			cols_equal_rows(b, len, &o, path);
		}
		free(b);
		files++;
	}
	closedir(d);
	ASSERT_GE(files, 10, "fixtures read");
}

/* Column selection: unselected columns have no values, selected ones the same as in full. */
TEST(format_cols_selection)
{
	size_t len = 0;
	uint8_t *b = slurp("tests/fixtures/http-mix.xgt", &len);
	TF_READER_OPTS(o_size, .columns = TF_READ(TF_COL_SIZE));
	TF_READER_OPTS(o_tid, .columns = TF_READ(TF_COL_TID));
	struct tf_reader *all = NULL, *r = NULL;
	const struct tf_columns *c, *a;

	if (!ASSERT_OK_PTR(b, "http-mix.xgt"))
		return;
	cols_equal_rows(b, len, &o_size, "size only");
	cols_equal_rows(b, len, &o_tid, "tid only");
	all = tf_reader__open_mem(b, len, "all", NULL);
	r = tf_reader__open_mem(b, len, "size", &o_size);
	if (!ASSERT_OK_PTR(all, "open") || !ASSERT_OK_PTR(r, "open"))
		goto out;
	while (tf_reader__next_cols(r, &c) > 0) {
		const struct tf_column *s = &c->col[TF_COL_SIZE];
		uint64_t *size = NULL;

		if (!ASSERT_EQ(tf_reader__next_cols(all, &a), 1, "same chunks"))
			break;
		size = malloc((s->n + 1) * sizeof(*size));
		if (!ASSERT_OK_PTR(size, "copy"))
			break;
		memcpy(size, s->u64, s->n * sizeof(*size));
		ASSERT_OK_PTR(c->col[TF_COL_TS].p, "ts always");
		ASSERT_OK_PTR(c->col[TF_COL_KIND].p, "kind always");
		ASSERT_NULL(c->col[TF_COL_GOID].p, "goid not decoded");
		ASSERT_NULL(c->col[TF_COL_CPU].p, "cpu not decoded");
		ASSERT_NULL(c->col[TF_COL_STACK].p, "stack not decoded");
		ASSERT_EQ(c->col[TF_COL_STACK].n, 0u, "no stack values");
		if (ASSERT_OK_PTR(s->p, "size decoded") &&
		    ASSERT_EQ(s->n, a->col[TF_COL_SIZE].n, "size values") &&
		    ASSERT_EQ(s->mask, 1ULL << XG_EV_ALLOC | 1ULL << XG_EV_ALLOC_SAMPLE, "mask"))
			ASSERT_OK(memcmp(size, a->col[TF_COL_SIZE].u64, s->n * sizeof(*size)),
				  "same sizes");
		free(size);
	}
	/* tid needs cpu, and nothing more (from the chunk after the one a seek decoded) */
	tf_reader__set_columns(r, TF_READ(TF_COL_TID));
	ASSERT_OK(tf_reader__seek(r, 0), "rewind");
	ASSERT_EQ(tf_reader__next_cols(r, &c), 1, "first chunk");
	if (ASSERT_EQ(tf_reader__next_cols(r, &c), 1, "second chunk")) {
		ASSERT_OK_PTR(c->col[TF_COL_CPU].p, "cpu for tid");
		ASSERT_OK_PTR(c->col[TF_COL_TID].p, "tid");
		ASSERT_NULL(c->col[TF_COL_GOID].p, "no goid");
		ASSERT_NULL(c->col[TF_COL_SIZE].p, "no size");
	}
out:
	tf_reader__close(all);
	tf_reader__close(r);
	free(b);
}

/*
 * Damage: a chunk failing its checksum is skipped; one whose damage only decoding finds (its
 * header's last ts one less than its events') gives its events up to the block where that is
 * found. Both APIs give the same events and warnings.
 */
TEST(format_cols_damaged)
{
	size_t len = 0, chunk_no = 0;
	uint8_t *file = slurp("tests/fixtures/http-mix.xgt", &len), *b = NULL;
	struct layout *l = calloc(1, sizeof(*l));
	uint64_t off = 0, events = 0, total = 0;
	struct warnlog wl;
	char want[256];

	if (!ASSERT_OK_PTR(file, "http-mix.xgt") || !ASSERT_OK_PTR(l, "layout") ||
	    !ASSERT_OK_PTR(b = malloc(len), "copy"))
		goto out;
	layout_of(file, len, l);
	for (size_t i = 0; i < l->n; i++) {
		if (l->type[i] != TF_REC_CHUNK)
			continue;
		if (chunk_no++ == 5) {
			off = l->off[i];
			events = l->events[i];
		}
		total += l->events[i];
	}
	if (!ASSERT_GT(events, 0u, "chunk 5"))
		goto out;

	memcpy(b, file, len);
	b[off + 40] ^= 0x10;
	for (int no_index = 0; no_index < 2; no_index++) {
		TF_READER_OPTS(o, .no_index = no_index);

		cols_equal_rows(b, len, &o, "bad checksum");
	}

	/* span: n, ts_first, then ts_span, whose first byte's low bits are lowered by one */
	{
		const uint8_t *p = b + off + TF_REC_HDR, *e = b + len;
		TF_READER_OPTS(o, .no_index = true, .warn = collect, .warn_ctx = &wl);
		uint64_t v, got = 0, last_block = events - (events - 1) / 1024 * 1024;
		struct tf_reader *r;
		const struct tf_columns *c;
		uint8_t *span;
		int rc;

		memcpy(b, file, len);
		tf_get_uv(&p, e, &v);
		tf_get_uv(&p, e, &v);
		span = (uint8_t *)p;
		if (!ASSERT_GT(span[0] & 0x7f, 0, "span's low bits"))
			goto out;
		span[0]--;
		fix_record_crc(b, off);
		cols_equal_rows(b, len, &o, "bad span");
		memset(&wl, 0, sizeof(wl));
		r = tf_reader__open_mem(b, len, "mem", &o);
		if (!ASSERT_OK_PTR(r, "open"))
			goto out;
		while ((rc = tf_reader__next_cols(r, &c)) > 0)
			got += c->n;
		ASSERT_OK(rc, "to the end");
		ASSERT_EQ(got, total - last_block, "all but the chunk's last block");
		ASSERT_EQ(wl.n, 1, "one warning");
		snprintf(want, sizeof(want), "mem: chunk 5 at offset %llu: last event at ts ",
			 (unsigned long long)off);
		ASSERT_HAS_SUBSTR(wl.text, want, "message");
		ASSERT_HAS_SUBSTR(wl.text, "; rest of the chunk skipped", "message end");
		tf_reader__close(r);
	}
out:
	free(file);
	free(b);
	free(l);
}

/* After rows or a seek, the columns start where those stopped; then whole blocks follow. */
TEST(format_cols_after_rows)
{
	size_t len = 0, nall = 0;
	uint8_t *b = slurp("tests/fixtures/http-mix.xgt", &len);
	struct xg_event *all = b ? read_all(b, len, NULL, &nall, NULL) : NULL, ev;
	struct tf_reader *r = NULL;
	const struct tf_columns *c;
	uint32_t cur[TF_COL_MAX] = {0};
	size_t at;

	if (!ASSERT_OK_PTR(all, "read") || !ASSERT_GT(nall, 5000u, "events"))
		goto out;
	r = tf_reader__open_mem(b, len, "mem", NULL);
	if (!ASSERT_OK_PTR(r, "open"))
		goto out;
	for (int i = 0; i < 10; i++)
		tf_reader__next(r, &ev);
	if (!ASSERT_EQ(tf_reader__next_cols(r, &c), 1, "rest of block 0") ||
	    !ASSERT_EQ(c->first, 10u, "first"))
		goto out;
	for (uint32_t i = 0; i <= c->first; i++)
		row_of(c, i, cur, &ev);
	ASSERT_OK(memcmp(&ev, &all[10], sizeof(ev)), "row first is event 10");
	at = c->n;
	if (ASSERT_EQ(tf_reader__next_cols(r, &c), 1, "block 1"))
		ASSERT_EQ(c->first, 0u, "whole");
	at += c->n;
	ASSERT_EQ(tf_reader__next(r, &ev), 1, "a row after");
	ASSERT_OK(memcmp(&ev, &all[at], sizeof(ev)), "block 2's first row");

	/* the event 4321 is in the middle of a chunk */
	ASSERT_OK(tf_reader__seek(r, all[4321].ts), "seek");
	for (at = 4321; at > 0 && all[at - 1].ts == all[4321].ts; at--)
		;
	if (!ASSERT_EQ(tf_reader__next_cols(r, &c), 1, "after seek") ||
	    !ASSERT_GT(c->first, 0u, "mid-chunk"))
		goto out;
	memset(cur, 0, sizeof(cur));
	for (uint32_t i = 0; i <= c->first; i++)
		row_of(c, i, cur, &ev);
	ASSERT_OK(memcmp(&ev, &all[at], sizeof(ev)), "first row after the seek");
out:
	tf_reader__close(r);
	free(all);
	free(b);
}
