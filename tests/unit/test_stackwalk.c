// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * record/poll.h's walks of off-CPU goroutines' stacks (rec_poll__stacks), on stacks and gs
 * built in this process's own memory and read with process_vm_readv like a target's: frame
 * chains across several windows, the end of a chain, the PC limit, chains that are not there,
 * memory that cannot be read, the byte budget, and a goroutine that ran while it was read.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "format/event.h"
#include "record/poll.h"
#include "tests/unit/test.h"
#include "util/err.h"

/* a g as the fake offsets below lay it out */
#define G_STACK_LO  0
#define G_STACK_HI  8
#define G_SCHED_SP  56
#define G_SCHED_PC  64
#define G_SCHED_BP  104
#define G_STATUS    144
#define G_GOID	    152
#define G_SIZE	    256

#define STACK_BYTES (256u << 10)

struct fake {
	uint8_t g[G_SIZE];
	uint64_t *stack; /* STACK_BYTES */
	struct rec_stack_req req;
	uint64_t want[REC_STACK_PCS + 1];
	uint32_t nwant;
};

static void put(uint8_t *b, int off, uint64_t v)
{
	memcpy(b + off, &v, sizeof(v));
}

/* A stack of depth frames of frame bytes each (a multiple of 8, >= 16) below its top, parked
 * like mcall leaves a goroutine: g.sched.pc in the innermost function, sched.bp its frame. */
static bool fake_init(struct fake *f, uint64_t goid, uint32_t depth, uint32_t frame)
{
	uint64_t lo, hi, fp = 0;

	memset(f, 0, sizeof(*f));
	f->stack = calloc(1, STACK_BYTES);
	if (!f->stack)
		return false;
	lo = (uint64_t)(uintptr_t)f->stack;
	hi = lo + STACK_BYTES;
	f->want[f->nwant++] = 0x401000;
	/* the outermost frame first: its saved frame pointer is 0 */
	for (uint32_t i = 0; i < depth; i++) {
		uint64_t at = hi - 64 - (uint64_t)(i + 1) * frame;

		f->stack[(at - lo) / 8] = fp;
		f->stack[(at - lo) / 8 + 1] = 0x500000 + (uint64_t)(depth - 1 - i) * 16;
		fp = at;
	}
	for (uint32_t i = 0; i < depth && f->nwant <= REC_STACK_PCS; i++)
		f->want[f->nwant++] = 0x500000 + (uint64_t)i * 16;
	put(f->g, G_STACK_LO, lo);
	put(f->g, G_STACK_HI, hi);
	put(f->g, G_SCHED_SP, fp - 32);
	put(f->g, G_SCHED_PC, 0x401000);
	put(f->g, G_SCHED_BP, fp);
	put(f->g, G_STATUS, XG_G_WAITING);
	put(f->g, G_GOID, goid);
	f->req = (struct rec_stack_req){.g = (uint64_t)(uintptr_t)f->g,
					.goid = goid,
					.state = XG_G_WAITING,
					.pc = 0x401000,
					.sp = fp - 32,
					.bp = fp,
					.lo = lo,
					.hi = hi};
	return true;
}

struct got {
	enum rec_stack_status st[8];
	uint32_t n[8];
	bool truncated[8];
	bool same[8]; /* the PCs are the fake's */
	const struct fake *fk;
};

static int got_one(size_t i, enum rec_stack_status st, const uint64_t *pcs, uint32_t n,
		   bool truncated, void *ctx)
{
	struct got *g = ctx;
	uint32_t want = g->fk[i].nwant > REC_STACK_PCS ? REC_STACK_PCS : g->fk[i].nwant;

	if (i >= 8)
		return -EINVAL;
	g->st[i] = st;
	g->n[i] = n;
	g->truncated[i] = truncated;
	g->same[i] = st == REC_STACK_OK && n == want &&
		     !memcmp(pcs, g->fk[i].want, (size_t)n * sizeof(*pcs));
	return 0;
}

static struct rec_poll *self_poll(struct go_offsets *off, struct rec_globals *gl)
{
	go_offsets__init(off);
	off->g_stack_lo = G_STACK_LO;
	off->g_stack_hi = G_STACK_HI;
	off->g_sched_sp = G_SCHED_SP;
	off->g_sched_pc = G_SCHED_PC;
	off->g_sched_bp = G_SCHED_BP;
	off->g_atomicstatus = G_STATUS;
	off->g_goid = G_GOID;
	memset(gl, 0, sizeof(*gl));
	return rec_poll__new(getpid(), 0, off, gl);
}

static int walk(struct rec_poll *p, struct fake *fk, size_t n, uint64_t budget, struct got *g,
		struct rec_stack_stats *st)
{
	struct rec_stack_req rq[8];

	memset(g, 0, sizeof(*g));
	memset(st, 0, sizeof(*st));
	g->fk = fk;
	for (size_t i = 0; i < n; i++)
		rq[i] = fk[i].req;
	return rec_poll__stacks(p, rq, n, budget, got_one, g, st);
}

TEST(stackwalk_chains)
{
	struct go_offsets off;
	struct rec_globals gl;
	struct rec_poll *p = self_poll(&off, &gl);
	struct fake fk[5] = {0};
	struct rec_stack_stats st;
	struct got g;

	if (!ASSERT_OK_PTR(p, "poll"))
		return;
	ASSERT_TRUE(rec_poll__can_stacks(p), "offsets suffice");
	/* 0: shallow; 1: 40 frames of 1000 bytes, ten windows; 2: longer than the PC limit;
	 * 3: a frame pointer outside its stack; 4: a stack that is not mapped */
	if (!fake_init(&fk[0], 7, 5, 48) || !fake_init(&fk[1], 8, 40, 1000) ||
	    !fake_init(&fk[2], 9, REC_STACK_PCS + 20, 64) || !fake_init(&fk[3], 10, 3, 32) ||
	    !fake_init(&fk[4], 11, 3, 32))
		goto out;
	fk[3].req.bp = fk[3].req.hi + 4096;
	{
		void *m =
		    mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (!ASSERT_TRUE(m != MAP_FAILED, "mmap"))
			goto out;
		munmap(m, 65536);
		fk[4].req.lo = (uint64_t)(uintptr_t)m;
		fk[4].req.hi = fk[4].req.lo + 65536;
		fk[4].req.sp = fk[4].req.lo + 1024;
		fk[4].req.bp = fk[4].req.lo + 2048;
	}
	if (!ASSERT_OK(walk(p, fk, 5, UINT64_MAX, &g, &st), "walk"))
		goto out;
	ASSERT_TRUE(g.same[0], "shallow: every frame");
	ASSERT_EQ(g.n[0], 6u, "shallow: pc and 5 return addresses");
	ASSERT_FALSE(g.truncated[0], "shallow: whole");
	ASSERT_TRUE(g.same[1], "deep: every frame, through the windows");
	ASSERT_FALSE(g.truncated[1], "deep: whole");
	ASSERT_EQ((int)g.st[2], (int)REC_STACK_OK, "longer than the limit");
	ASSERT_TRUE(g.same[2], "the first PCs");
	ASSERT_TRUE(g.truncated[2], "truncated");
	ASSERT_EQ((int)g.st[3], (int)REC_STACK_NONE, "frame pointer outside");
	ASSERT_EQ((int)g.st[4], (int)REC_STACK_NONE, "unmapped stack");
	ASSERT_EQ(st.status[REC_STACK_OK], 3ull, "three read");
	/* windows of 4096 bytes from each frame pointer: 1 for the shallow one, 8 of 5 frames
	 * for the 40 frames of 1000 bytes, 16 of 64 frames for the 1023 return addresses of the
	 * long one; read together, one round for each of the long one's, and the g check */
	ASSERT_EQ(st.windows, 1ull + 8 + 16, "windows");
	ASSERT_EQ(st.syscalls, 16ull + 1, "reads batched");
out:
	for (int i = 0; i < 5; i++)
		free(fk[i].stack);
	rec_poll__free(p);
}

TEST(stackwalk_budget_moved)
{
	struct go_offsets off;
	struct rec_globals gl;
	struct rec_poll *p = self_poll(&off, &gl);
	struct fake fk[4] = {0};
	struct rec_stack_stats st;
	struct got g;

	if (!ASSERT_OK_PTR(p, "poll"))
		return;
	/* each stack 3104 bytes above its frame pointer: one window */
	for (int i = 0; i < 4; i++)
		if (!fake_init(&fk[i], 20 + (uint64_t)i, 10, 304))
			goto out;
	/* 1000 bytes allowed: the first is read whole anyway, the others wait */
	if (!ASSERT_OK(walk(p, fk, 4, 1000, &g, &st), "small budget"))
		goto out;
	ASSERT_TRUE(g.same[0], "the first is read whatever the budget");
	ASSERT_EQ((int)g.st[1], (int)REC_STACK_BUDGET, "the second waits");
	ASSERT_EQ((int)g.st[3], (int)REC_STACK_BUDGET, "the last waits");
	ASSERT_EQ(st.status[REC_STACK_BUDGET], 3ull, "three put off");
	/* room for two */
	if (!ASSERT_OK(walk(p, fk, 4, 2 * 3104, &g, &st), "two fit"))
		goto out;
	ASSERT_TRUE(g.same[0] && g.same[1], "two read");
	ASSERT_EQ((int)g.st[2], (int)REC_STACK_BUDGET, "the third waits");
	ASSERT_TRUE(st.bytes <= 2 * 3104, "within the budget");
	/* the second ran since its g was read (another g.sched.sp), the third exited and its g
	 * went to another goroutine, the fourth is runnable now */
	put(fk[1].g, G_SCHED_SP, fk[1].req.sp + 64);
	put(fk[2].g, G_GOID, 99);
	put(fk[3].g, G_STATUS, XG_G_RUNNABLE);
	if (!ASSERT_OK(walk(p, fk, 4, UINT64_MAX, &g, &st), "moved"))
		goto out;
	ASSERT_TRUE(g.same[0], "the first still holds");
	ASSERT_EQ((int)g.st[1], (int)REC_STACK_MOVED, "sched moved");
	ASSERT_EQ((int)g.st[2], (int)REC_STACK_MOVED, "goid changed");
	ASSERT_EQ((int)g.st[3], (int)REC_STACK_MOVED, "status changed");
	/* a g scanned by the GC (_Gscan | _Gwaiting) has not moved */
	put(fk[3].g, G_STATUS, 0x1000 | XG_G_WAITING);
	if (!ASSERT_OK(walk(p, fk + 3, 1, UINT64_MAX, &g, &st), "scan bit"))
		goto out;
	ASSERT_EQ((int)g.st[0], (int)REC_STACK_OK, "scan bit ignored");
out:
	for (int i = 0; i < 4; i++)
		free(fk[i].stack);
	rec_poll__free(p);
}

TEST(stackwalk_broken)
{
	struct go_offsets off;
	struct rec_globals gl;
	struct rec_poll *p = self_poll(&off, &gl);
	struct fake fk[3] = {0};
	struct rec_stack_stats st;
	struct got g;
	uint64_t lo, fp;

	if (!ASSERT_OK_PTR(p, "poll"))
		return;
	for (int i = 0; i < 3; i++)
		if (!fake_init(&fk[i], 30 + (uint64_t)i, 10, 64))
			goto out;
	/* a goroutine that ran while its stack was read and parked again where it was: its g
	 * says what it said, but the frames under gopark's were being rewritten. 0: the third
	 * frame record's saved frame pointer below its own; 1: its return address 0; 2: its
	 * frame pointer outside the stack */
	for (int i = 0; i < 3; i++) {
		lo = fk[i].req.lo;
		fp = fk[i].req.bp;
		for (int k = 0; k < 2; k++)
			memcpy(&fp, (uint8_t *)fk[i].stack + (fp - lo), 8);
		{
			const uint64_t bad[3] = {fp - 64, 0, fk[i].req.hi};

			fk[i].stack[(fp - lo) / 8 + (i == 1)] = bad[i];
		}
	}
	if (!ASSERT_OK(walk(p, fk, 3, UINT64_MAX, &g, &st), "walk"))
		goto out;
	for (int i = 0; i < 3; i++)
		ASSERT_EQ((int)g.st[i], (int)REC_STACK_BROKEN, "broken chain");
	/* the PCs up to the break: g.sched.pc, and the return addresses of the frames before */
	ASSERT_EQ(g.n[0], 4u, "below its callee: the record's return address is kept");
	ASSERT_EQ(g.n[1], 3u, "no return address");
	ASSERT_EQ(g.n[2], 4u, "outside the stack");
	ASSERT_EQ(st.status[REC_STACK_BROKEN], 3ull, "counted");
	ASSERT_EQ(st.status[REC_STACK_OK], 0ull, "none whole");
out:
	for (int i = 0; i < 3; i++)
		free(fk[i].stack);
	rec_poll__free(p);
}
