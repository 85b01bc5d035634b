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
		 K(XG_EV_ALLOC_SAMPLE)))
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
		e->kind = (uint8_t)(rnd() % 16 == 0 ? rnd() % 256 : 1 + rnd() % 11);
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

	tf_meta__set_str(m, "host", "unit");
	tf_meta__set_int(m, "target.pid", -5);
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
