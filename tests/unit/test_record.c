// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * record/: option parsing, and ingest (ring-buffer records to events) on synthetic records:
 * goid lookup by g in the lazy-goid mode, m.curg attribution of allocations on g0, internal
 * creations, reordering, late events, malformed records, wait reason names, the queue bound.
 * The BPF side and probe placement are tested end to end by tests/record.test.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf/events.h"
#include "format/tables.h"
#include "record/ingest.h"
#include "record/recorder.h"
#include "tests/unit/test.h"
#include "util/err.h"

TEST(record_parse_kinds)
{
	uint32_t k = 0;

	ASSERT_OK(recorder__parse_kinds("go_create,alloc", &k), "two kinds");
	ASSERT_EQ(k, XGB_KIND_BIT(XG_EV_GO_CREATE) | XGB_KIND_BIT(XG_EV_ALLOC), "bits");
	ASSERT_OK(recorder__parse_kinds("gc", &k), "gc");
	ASSERT_EQ(k, XGB_KIND_BIT(XG_EV_GC_START) | XGB_KIND_BIT(XG_EV_GC_END), "gc = both");
	ASSERT_OK(recorder__parse_kinds("all", &k), "all");
	ASSERT_EQ(k, (uint32_t)RECORDER_KINDS, "all kinds");
	ASSERT_ERR(recorder__parse_kinds("go_create,nope", &k), "unknown kind");
	ASSERT_HAS_SUBSTR(xg_errmsg(), "nope", "message names it");
	ASSERT_ERR(recorder__parse_kinds("lost", &k), "a kind record does not produce");
	ASSERT_ERR(recorder__parse_kinds(",", &k), "nothing");
}

TEST(record_parse_sample)
{
	struct recorder_opts o = {.sz = sizeof(o)};

	ASSERT_OK(recorder__parse_sample("alloc=0.01", &o), "alloc=0.01");
	ASSERT_TRUE(o.sample_set[XG_EV_ALLOC] && o.sample[XG_EV_ALLOC] == 0.01, "stored");
	ASSERT_OK(recorder__parse_sample("go_state=1", &o), "rate 1");
	ASSERT_OK(recorder__parse_sample("go_exit=0", &o), "rate 0");
	ASSERT_ERR(recorder__parse_sample("alloc=2", &o), "above 1");
	ASSERT_ERR(recorder__parse_sample("alloc=-0.5", &o), "negative");
	ASSERT_ERR(recorder__parse_sample("alloc=", &o), "no rate");
	ASSERT_ERR(recorder__parse_sample("alloc=0.5x", &o), "junk");
	ASSERT_ERR(recorder__parse_sample("=0.5", &o), "no kind");
	ASSERT_ERR(recorder__parse_sample("heap=0.5", &o), "unknown kind");
}

/* A sink that keeps what it is given. */
struct keep {
	struct sink base;
	struct sink_pump pump;
	struct xg_event ev[64];
	int n;
};

static int keep_event(struct sink *s, const struct xg_event *ev)
{
	struct keep *k = (struct keep *)s;

	if (k->n < 64)
		k->ev[k->n++] = *ev;
	return 0;
}

static const struct sink_ops keep_ops = {.name = "keep", .event = keep_event};

#define START 1000000000ull /* CLOCK_MONOTONIC of trace time 0 in these tests */
#define G1    0xc000001000ull
#define G2    0xc000002000ull
#define G0    0x7f0000000000ull /* a g0: never created */

static struct xgb_event rec(uint8_t kind, uint64_t ts, uint64_t goid, uint64_t g, uint32_t tid)
{
	struct xgb_event r;

	memset(&r, 0, sizeof(r));
	r.kind = kind;
	r.ts = START + ts;
	r.goid = goid;
	r.g = g;
	r.tid = tid;
	return r;
}

static struct xgb_event state(uint64_t ts, uint64_t goid, uint64_t g, uint32_t tid, uint8_t from,
			      uint8_t to)
{
	struct xgb_event r = rec(XG_EV_GO_STATE, ts, goid, g, tid);

	r.state.from = from;
	r.state.to = to;
	return r;
}

static struct rec_ingest *new_ingest(struct keep *k, const struct go_offsets *off)
{
	struct rec_ingest_opts o = {.off = off, .start_mono = START, .reorder_ns = 1000};

	memset(k, 0, sizeof(*k));
	k->base.ops = &keep_ops;
	sink_pump__init(&k->pump, &k->base);
	o.pump = &k->pump;
	return rec_ingest__new(&o);
}

static int feed(struct rec_ingest *g, struct xgb_event r)
{
	return rec_ingest__record(g, &r, sizeof(r));
}

TEST(record_ingest_lazy_goids)
{
	struct rec_ingest_stats st;
	struct keep k;
	struct rec_ingest *g = new_ingest(&k, NULL);
	struct xgb_event c;

	if (!ASSERT_OK_PTR(g, "new"))
		return;
	/* goroutine 7 on G1, created by 1; the BPF side sends goids only at creation */
	c = rec(XG_EV_GO_CREATE, 10, 7, G1, 100);
	c.create.parent_goid = 1;
	feed(g, c);
	feed(g, state(11, 7, G1, 100, XG_G_DEAD, XG_G_RUNNABLE));
	feed(g, state(12, 0, G1, 101, XG_G_RUNNABLE, XG_G_RUNNING)); /* runs on thread 101 */
	feed(g, rec(XG_EV_ALLOC, 13, 0, G1, 101));		     /* on its own stack */
	feed(g, rec(XG_EV_ALLOC, 14, 0, G0, 101));		     /* on g0 of thread 101 */
	feed(g, state(15, 0, G1, 101, XG_G_RUNNING, XG_G_WAITING));
	feed(g, rec(XG_EV_ALLOC, 16, 0, G0, 101)); /* g0, nothing running */
	feed(g, rec(XG_EV_GO_EXIT, 17, 0, G1, 101));
	/* G1 reused by goroutine 9: a creation carries the new goid */
	c = rec(XG_EV_GO_CREATE, 18, 9, G1, 100);
	feed(g, c);
	feed(g, state(19, 0, G1, 100, XG_G_RUNNABLE, XG_G_RUNNING));
	feed(g, state(20, 0, G2, 100, XG_G_RUNNING, XG_G_RUNNABLE)); /* never created: unknown */
	if (!ASSERT_OK(rec_ingest__release(g, START + 1000000, true), "release"))
		goto out;
	if (!ASSERT_EQ(k.n, 11, "events"))
		goto out;
	ASSERT_EQ(k.ev[0].kind, XG_EV_GO_CREATE, "create");
	ASSERT_EQ(k.ev[0].parent_goid, 1ull, "parent");
	ASSERT_EQ(k.ev[2].goid, 7ull, "state looked up by g");
	ASSERT_EQ(k.ev[3].goid, 7ull, "alloc on the goroutine's stack");
	ASSERT_EQ(k.ev[4].goid, 7ull, "alloc on g0 goes to the thread's m.curg");
	ASSERT_EQ(k.ev[6].goid, 0ull, "alloc on g0 with nothing running");
	ASSERT_EQ(k.ev[7].goid, 7ull, "exit looked up by g");
	ASSERT_EQ(k.ev[9].goid, 9ull, "the g's next goroutine");
	ASSERT_EQ(k.ev[10].goid, 0ull, "unknown g");
	rec_ingest__stats(g, &st);
	ASSERT_EQ(st.unresolved, 1ull, "one unresolved");
	ASSERT_EQ(st.bad, 0ull, "no malformed records");
	ASSERT_EQ(k.ev[2].ts, 12ull, "ts relative to the start");
out:
	rec_ingest__free(g);
}

TEST(record_ingest_internal_create)
{
	struct keep k;
	struct rec_ingest *g = new_ingest(&k, NULL);
	struct xgb_event c = rec(XG_EV_GO_CREATE, 10, 5, G1, 100);

	if (!ASSERT_OK_PTR(g, "new"))
		return;
	c.create.flags = XGB_EVF_INTERNAL; /* go_create not asked for, or sampled out */
	feed(g, c);
	feed(g, state(11, 0, G1, 100, XG_G_RUNNABLE, XG_G_RUNNING));
	rec_ingest__release(g, START + 1000000, true);
	if (ASSERT_EQ(k.n, 1, "the creation is not delivered"))
		ASSERT_EQ(k.ev[0].goid, 5ull, "but its goid is known");
	rec_ingest__free(g);
}

TEST(record_ingest_order)
{
	struct rec_ingest_stats st;
	struct keep k;
	struct rec_ingest *g = new_ingest(&k, NULL);

	if (!ASSERT_OK_PTR(g, "new"))
		return;
	/* two CPUs' records, slightly out of order */
	feed(g, state(100, 1, G1, 1, XG_G_RUNNABLE, XG_G_RUNNING));
	feed(g, state(90, 2, G2, 2, XG_G_RUNNABLE, XG_G_RUNNING));
	feed(g, state(120, 1, G1, 1, XG_G_RUNNING, XG_G_RUNNABLE));
	feed(g, state(110, 2, G2, 2, XG_G_RUNNING, XG_G_RUNNABLE));
	/* at trace time 1110 with a 1000 ns window: events up to 110 are due */
	rec_ingest__release(g, START + 1110, false);
	if (!ASSERT_EQ(k.n, 3, "due ones"))
		goto out;
	ASSERT_TRUE(k.ev[0].ts == 90 && k.ev[1].ts == 100 && k.ev[2].ts == 110, "sorted");
	/* one arriving after later ones went out: raised, counted */
	feed(g, state(50, 3, G1, 3, XG_G_RUNNABLE, XG_G_RUNNING));
	rec_ingest__release(g, START + 5000, true);
	if (!ASSERT_EQ(k.n, 5, "all"))
		goto out;
	ASSERT_EQ(k.ev[3].ts, 110ull, "late event raised to the last ts");
	ASSERT_EQ(k.ev[4].ts, 120ull, "then the rest");
	rec_ingest__stats(g, &st);
	ASSERT_EQ(st.late, 1ull, "one late");
	ASSERT_EQ(rec_ingest__now_ts(g), 120ull, "now");
out:
	rec_ingest__free(g);
}

/* A sink that checks the events come as 1, 2, 3, ... in ts, each with its goid. */
struct seq {
	struct sink base;
	struct sink_pump pump;
	uint64_t n, wrong;
};

static int seq_event(struct sink *s, const struct xg_event *ev)
{
	struct seq *q = (struct seq *)s;

	q->n++;
	q->wrong += ev->ts != q->n || ev->goid != (q->n - 1) % 1000 + 1;
	return 0;
}

static const struct sink_ops seq_ops = {.name = "seq", .event = seq_event};

TEST(record_ingest_queue_grows_wrapped)
{
	struct rec_ingest_opts o = {.start_mono = START, .reorder_ns = 1000};
	struct seq q = {.base.ops = &seq_ops};
	struct rec_ingest *g;
	uint64_t ts = 0;

	sink_pump__init(&q.pump, &q.base);
	o.pump = &q.pump;
	g = rec_ingest__new(&o);
	if (!ASSERT_OK_PTR(g, "new"))
		return;
	/* most of the first records out, so that the queue's ring wraps round, then more than it
	 * holds: it grows while wrapped, more than once */
	for (; ts < 10000; ts++)
		feed(g, state(ts + 1, ts % 1000 + 1, G1, 1, XG_G_RUNNABLE, XG_G_RUNNING));
	ASSERT_OK(rec_ingest__release(g, START + 9000 + 1000, false), "release some");
	ASSERT_EQ(q.n, 9000ull, "delivered so far");
	for (; ts < 80000; ts++)
		feed(g, state(ts + 1, ts % 1000 + 1, G1, 1, XG_G_RUNNABLE, XG_G_RUNNING));
	ASSERT_OK(rec_ingest__release(g, START + 1000000, true), "release all");
	ASSERT_EQ(q.n, 80000ull, "every event");
	ASSERT_EQ(q.wrong, 0ull, "in order, each as it was");
	rec_ingest__free(g);
}

TEST(record_ingest_bad_records)
{
	struct rec_ingest_stats st;
	struct keep k;
	struct rec_ingest *g = new_ingest(&k, NULL);
	struct xgb_event r = state(10, 1, G1, 1, XG_G_RUNNABLE, XG_G_RUNNING);
	uint8_t big[sizeof(r) + 8];

	if (!ASSERT_OK_PTR(g, "new"))
		return;
	rec_ingest__record(g, &r, sizeof(r) - 1); /* short */
	r.nframes = 3;				  /* claims PCs it does not carry */
	memcpy(big, &r, sizeof(r));
	rec_ingest__record(g, big, sizeof(big));
	r = state(11, 1, G1, 1, XG_G_RUNNABLE, 200); /* no such state */
	feed(g, r);
	r = rec(99, 12, 1, G1, 1); /* no such kind */
	feed(g, r);
	rec_ingest__release(g, START + 1000000, true);
	rec_ingest__stats(g, &st);
	ASSERT_EQ(st.bad, 4ull, "four malformed");
	ASSERT_EQ(k.n, 0, "none delivered");
	rec_ingest__free(g);
}

TEST(record_ingest_reasons)
{
	struct go_offsets off;
	struct keep k;
	struct rec_ingest *g;
	struct xgb_event r;

	go_offsets__init(&off);
	off.nwaitreasons = 20;
	snprintf(off.waitreason[14], sizeof(off.waitreason[14]), "chan receive");
	g = new_ingest(&k, &off);
	if (!ASSERT_OK_PTR(g, "new"))
		return;
	r = state(10, 1, G1, 1, XG_G_RUNNING, XG_G_WAITING);
	r.state.reason = 14;
	feed(g, r);
	r.ts++;
	r.state.reason = 40; /* beyond the table */
	feed(g, r);
	r = state(12, 1, G1, 1, XG_G_WAITING, XG_G_RUNNABLE);
	r.state.reason = 14; /* ignored when not waiting */
	feed(g, r);
	rec_ingest__release(g, START + 1000000, true);
	if (!ASSERT_EQ(k.n, 3, "events"))
		goto out;
	ASSERT_STREQ(tf_tables__str(rec_ingest__tables(g), k.ev[0].reason), "chan receive", "name");
	ASSERT_STREQ(tf_tables__str(rec_ingest__tables(g), k.ev[1].reason), "waitreason 40",
		     "unknown reason");
	ASSERT_EQ(k.ev[2].reason, 0u, "no reason when not waiting");
out:
	rec_ingest__free(g);
}

TEST(record_ingest_queue_bound)
{
	struct keep k;
	struct rec_ingest *g = new_ingest(&k, NULL);
	int err = 0;
	uint32_t i;

	if (!ASSERT_OK_PTR(g, "new"))
		return;
	/* fresh events (inside the reorder window) pile up until the queue says stop */
	for (i = 0; i < (1u << 20) && !err; i++)
		err = feed(g, state(i, 1, G1, 1, XG_G_RUNNABLE, XG_G_RUNNING));
	ASSERT_EQ(err, -EAGAIN, "the reader is told to stop");
	ASSERT_LT(i, 1u << 20, "before a million");
	/* released early although inside the window: the queue empties to half */
	k.n = 0;
	ASSERT_OK(rec_ingest__release(g, START, false), "release");
	ASSERT_EQ(feed(g, state(i, 1, G1, 1, XG_G_RUNNABLE, XG_G_RUNNING)), 0, "room again");
	rec_ingest__free(g);
}
