// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * record/ production mode without a process: option parsing; the control-flow check that says
 * where an allocating function's type argument sits in its spill slot (on hand-assembled
 * code); ingest of cpu_sample, alloc_sample and snapshot
 * records, and a snapshot's waited_ns from g.waitsince. Recording itself is tested end to end by
 * tests/prodmode.test.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf/events.h"
#include "gobin/disasm.h"
#include "record/ingest.h"
#include "record/plan.h"
#include "record/recorder.h"
#include "tests/unit/test.h"
#include "util/err.h"

TEST(prod_parse)
{
	enum recorder_mode m = RECORDER_MODE_AUTO;
	uint32_t k = 0;

	ASSERT_OK(recorder__parse_mode("production", &m), "production");
	ASSERT_EQ((int)m, (int)RECORDER_MODE_PRODUCTION, "mode");
	ASSERT_OK(recorder__parse_mode("full", &m), "full");
	ASSERT_EQ((int)m, (int)RECORDER_MODE_FULL, "mode");
	ASSERT_ERR(recorder__parse_mode("fast", &m), "unknown mode");
	ASSERT_HAS_SUBSTR(xg_errmsg(), "fast", "message names it");
	ASSERT_OK(recorder__parse_kinds("cpu_sample,heap,snapshot,alloc_sample", &k), "kinds");
	ASSERT_EQ(k,
		  XGB_KIND_BIT(XG_EV_CPU_SAMPLE) | XGB_KIND_BIT(XG_EV_HEAP) |
		      XGB_KIND_BIT(XG_EV_SNAPSHOT) | XGB_KIND_BIT(XG_EV_ALLOC_SAMPLE),
		  "bits");
	ASSERT_ERR(recorder__parse_kinds("lost", &k), "lost is not recorded");
	ASSERT_TRUE((REC_PRODUCTION_KINDS & XGB_KIND_BIT(XG_EV_GO_STATE)) == 0,
		    "production mode has no go_state");
	ASSERT_TRUE((REC_PRODUCTION_DEFAULT_KINDS & XGB_KIND_BIT(XG_EV_ALLOC)) == 0,
		    "large allocations are opt-in");
}

/*
 * Hand-assembled functions (GNU as, Intel syntax), each with a `mov [rsp+0x38], rbx` (the
 * typ spill slot of a 0x20-byte frame) and a call after it.
 */
struct spill_case {
	const char *name;
	uint8_t code[64];
	size_t len;
	uint64_t spill, site; /* offsets */
	bool want;
};

static const struct spill_case spill_cases[] = {
    /* push rbp; mov rbp,rsp; sub rsp,0x20; mov [rsp+0x38],rbx; cmp rax,1; je 1f; call;
     * 1: call; ret */
    {"entry block",
     {0x55, 0x48, 0x89, 0xe5, 0x48, 0x83, 0xec, 0x20, 0x48, 0x89, 0x5c, 0x24, 0x38, 0x48, 0x83,
      0xf8, 0x01, 0x74, 0x05, 0xe8, 0xe8, 0xff, 0xff, 0xff, 0xe8, 0xe3, 0xff, 0xff, 0xff, 0xc3},
     30,
     0x8,
     0x18,
     true},
    /* ...; cmp rax,1; je 1f; mov [rsp+0x38],rbx; 1: call; ret */
    {"one branch only",
     {0x55, 0x48, 0x89, 0xe5, 0x48, 0x83, 0xec, 0x20, 0x48, 0x83, 0xf8, 0x01, 0x74,
      0x05, 0x48, 0x89, 0x5c, 0x24, 0x38, 0xe8, 0xe8, 0xff, 0xff, 0xff, 0xc3},
     25,
     0xe,
     0x13,
     false},
    /* ...; mov ebx,5; mov [rsp+0x38],rbx; call; ret */
    {"rbx changed first",
     {0x55, 0x48, 0x89, 0xe5, 0x48, 0x83, 0xec, 0x20, 0xbb, 0x05, 0x00, 0x00,
      0x00, 0x48, 0x89, 0x5c, 0x24, 0x38, 0xe8, 0xe9, 0xff, 0xff, 0xff, 0xc3},
     24,
     0xd,
     0x12,
     false},
    /* cmp rsp,[r14+0x10]; jbe 2f; push rbp; ...; mov [rsp+0x38],rbx; jmp 3f;
     * 2: mov [rsp+0x10],rbx; call morestack; mov rbx,[rsp+0x10]; jmp entry; 3: call; ret */
    {"morestack restarts",
     {0x49, 0x3b, 0x66, 0x10, 0x76, 0x0f, 0x55, 0x48, 0x89, 0xe5, 0x48, 0x83, 0xec, 0x20, 0x48,
      0x89, 0x5c, 0x24, 0x38, 0xeb, 0x11, 0x48, 0x89, 0x5c, 0x24, 0x10, 0xe8, 0xe1, 0xff, 0xff,
      0xff, 0x48, 0x8b, 0x5c, 0x24, 0x10, 0xeb, 0xda, 0xe8, 0xd5, 0xff, 0xff, 0xff, 0xc3},
     44,
     0xe,
     0x26,
     true},
    /* as above with a call between the prologue and the spill */
    {"call before the spill",
     {0x49, 0x3b, 0x66, 0x10, 0x76, 0x14, 0x55, 0x48, 0x89, 0xe5, 0x48, 0x83, 0xec,
      0x20, 0xe8, 0xed, 0xff, 0xff, 0xff, 0x48, 0x89, 0x5c, 0x24, 0x38, 0xeb, 0x11,
      0x48, 0x89, 0x5c, 0x24, 0x10, 0xe8, 0xdc, 0xff, 0xff, 0xff, 0x48, 0x8b, 0x5c,
      0x24, 0x10, 0xeb, 0xd5, 0xe8, 0xd0, 0xff, 0xff, 0xff, 0xc3},
     49,
     0x13,
     0x2b,
     false},
};

TEST(prod_spill_dominates)
{
	for (size_t i = 0; i < sizeof(spill_cases) / sizeof(spill_cases[0]); i++) {
		const struct spill_case *c = &spill_cases[i];
		struct gobin_code d;
		long spill, site;

		if (!ASSERT_OK(gobin_code__decode(&d, GOBIN_ARCH_X86_64, c->code, c->len, 0x1000),
			       c->name))
			continue;
		spill = gobin_code__index(&d, 0x1000 + c->spill);
		site = gobin_code__index(&d, 0x1000 + c->site);
		if (ASSERT_GE(spill, 0, c->name) && ASSERT_GE(site, 0, c->name))
			ASSERT_EQ(
			    gobin_code__entry_reg_stored_before(&d, (size_t)spill, 3, (size_t)site),
			    c->want, c->name);
		gobin_code__free(&d);
	}
}

/* --- ingest -------------------------------------------------------------------------------- */

struct keep {
	struct sink base;
	struct sink_pump pump;
	struct xg_event ev[16];
	int n;
};

static int keep_event(struct sink *s, const struct xg_event *ev)
{
	struct keep *k = (struct keep *)s;

	if (k->n < 16)
		k->ev[k->n++] = *ev;
	return 0;
}

static const struct sink_ops keep_ops = {.name = "keep", .event = keep_event};

#define START 1000000000ull

TEST(prod_ingest)
{
	struct go_offsets off;
	struct rec_ingest_opts o = {.off = &off, .start_mono = START, .reorder_ns = 1000};
	struct {
		struct xgb_event e;
		uint64_t pcs[3];
	} r;
	struct rec_gsnap g = {
	    .g = 0xc000001000, .goid = 7, .parent_goid = 1, .state = XG_G_WAITING, .reason = 0};
	const struct tf_tables *t;
	struct rec_ingest *in;
	struct keep k;
	double w;

	memset(&k, 0, sizeof(k));
	k.base.ops = &keep_ops;
	sink_pump__init(&k.pump, &k.base);
	o.pump = &k.pump;
	if (!ASSERT_OK(go_offsets__from_table(27, "amd64", &off), "offsets"))
		return;
	in = rec_ingest__new(&o);
	if (!ASSERT_OK_PTR(in, "new"))
		return;

	/* a CPU sample with a three-frame stack */
	memset(&r, 0, sizeof(r));
	r.e.kind = XG_EV_CPU_SAMPLE;
	r.e.ts = START + 10;
	r.e.goid = 5;
	r.e.g = 0xc000002000;
	r.e.prof.ns = 30303030; /* three periods at 99 Hz: a late timer */
	r.e.nframes = 3;
	r.pcs[0] = 0x401000;
	r.pcs[1] = 0x402000;
	r.pcs[2] = 0x403000;
	ASSERT_OK(rec_ingest__record(in, &r, sizeof(r)), "cpu_sample");

	/* an allocation sample at the default rate, and one after the rate became 1 */
	memset(&r, 0, sizeof(r));
	r.e.kind = XG_EV_ALLOC_SAMPLE;
	r.e.ts = START + 20;
	r.e.goid = 5;
	r.e.alloc.size = 48;
	r.e.alloc.type = 0x12345; /* not a type of any binary: no bin, no type */
	ASSERT_OK(rec_ingest__record(in, &r.e, sizeof(r.e)), "alloc_sample");
	rec_ingest__set_mem_rate(in, 1);
	r.e.ts = START + 21;
	ASSERT_OK(rec_ingest__record(in, &r.e, sizeof(r.e)), "alloc_sample at rate 1");

	/* goroutine 7 waiting on a channel (Go 1.27's waitReasonChanReceive is 19) since 500 ns
	 * before the trace's start, by its g.waitsince */
	g.reason = 19;
	g.waitsince = (int64_t)START - 500;
	ASSERT_OK(rec_ingest__snapshot(in, START + 30, &g, 0), "snapshot");
	g.goid = 8;
	g.state = XG_G_RUNNING; /* a waitsince left over does not count while it runs */
	ASSERT_OK(rec_ingest__snapshot(in, START + 30, &g, 0), "snapshot running");

	rec_ingest__release(in, START + 1000000, true);
	if (!ASSERT_EQ(k.n, 5, "events"))
		goto out;
	t = rec_ingest__tables(in);
	ASSERT_EQ(k.ev[0].kind, XG_EV_CPU_SAMPLE, "kind");
	ASSERT_EQ(k.ev[0].goid, 5ull, "goid");
	ASSERT_EQ(k.ev[0].weight, 30303030ull, "the CPU time it stands for");
	ASSERT_NEQ(k.ev[0].stack, 0u, "stack");
	{
		uint32_t n = 0;
		const struct xg_frame *f = tf_tables__stack(t, k.ev[0].stack, &n);

		ASSERT_EQ(n, 3u, "frames");
		if (f && n == 3)
			ASSERT_EQ(f[2].pc, 0x403000ull, "outermost");
	}
	ASSERT_EQ(k.ev[1].kind, XG_EV_ALLOC_SAMPLE, "alloc_sample");
	ASSERT_EQ(k.ev[1].size, 48ull, "size");
	ASSERT_EQ(k.ev[1].type, 0u, "no type without the binary");
	/* 48 / (1 - exp(-48 / 524288)) */
	w = 48.0 / (1.0 - exp(-48.0 / 524288.0));
	ASSERT_TRUE(fabs((double)k.ev[1].weight - w) < 1.0, "weight at 512 KiB");
	ASSERT_EQ(k.ev[2].weight, 48ull, "weight at rate 1 is the size");
	ASSERT_EQ(k.ev[3].kind, XG_EV_SNAPSHOT, "snapshot");
	ASSERT_EQ(k.ev[3].ts, 30ull, "ts");
	ASSERT_EQ(k.ev[3].to, XG_G_WAITING, "state");
	ASSERT_STREQ(tf_tables__str(t, k.ev[3].reason), "chan receive", "reason");
	ASSERT_EQ(k.ev[3].parent_goid, 1ull, "parent");
	ASSERT_EQ(k.ev[3].waited_ns, 530ull, "waited since before the start");
	ASSERT_EQ(k.ev[4].to, XG_G_RUNNING, "running");
	ASSERT_EQ(k.ev[4].reason, 0u, "no reason when running");
	ASSERT_EQ(k.ev[4].waited_ns, 0ull, "not waiting");
out:
	rec_ingest__free(in);
}

/* g.waitsince into waited_ns: only for a blocked goroutine, only when it is a time before the
 * snapshot's. */
TEST(prod_waited)
{
	static const struct {
		uint8_t state;
		int64_t waitsince;
		uint64_t mono, want;
	} cases[] = {
	    {XG_G_WAITING, 1000, 5000, 4000}, {XG_G_SYSCALL, 1000, 5000, 4000},
	    {XG_G_WAITING, 5000, 5000, 0},  /* at the snapshot: 0 ns */
	    {XG_G_WAITING, 0, 5000, 0},	    /* not set by a GC cycle yet */
	    {XG_G_WAITING, 6000, 5000, 0},  /* after the snapshot's time */
	    {XG_G_WAITING, -1, 5000, 0},    /* not a time */
	    {XG_G_RUNNABLE, 1000, 5000, 0}, /* not blocked */
	    {XG_G_RUNNING, 1000, 5000, 0},    {XG_G_PREEMPTED, 1000, 5000, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rec_gsnap g = {
		    .goid = 1, .state = cases[i].state, .waitsince = cases[i].waitsince};

		ASSERT_EQ(rec_gsnap__waited(&g, cases[i].mono), cases[i].want, "waited");
	}
}
