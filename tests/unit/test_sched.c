// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * record/sched.c on runtime structures laid out in this process's own memory (process_vm_readv
 * of our own pid): the figures computed as Go 1.21-1.25 and 1.26+ compute them, and every bound
 * on what is read, each dropping the reading with its reason. Reading a real Go program is
 * tests/sched.test.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "record/sched.h"
#include "tests/unit/test.h"

#define P_SIZE 4096

/* A Go 1.24-like runtime: sched, allp with three Ps (the third given up by procresize), allglen,
 * gomaxprocs and the extra M counts. */
struct fake {
	uint8_t sched[1024];
	uint8_t p[3][P_SIZE];
	uint64_t allp_arr[3];
	uint64_t allp[3]; /* ptr, len, cap */
	uint64_t allglen;
	int32_t gomaxprocs;
	uint32_t extram_in_use, extram_length;
	struct go_offsets off;
	struct rec_globals gl;
};

static void put32(uint8_t *b, int32_t off, uint32_t v)
{
	memcpy(b + off, &v, sizeof(v));
}

static void put64(uint8_t *b, int32_t off, uint64_t v)
{
	memcpy(b + off, &v, sizeof(v));
}

static void p_fill(struct fake *f, int i, uint32_t id, uint64_t cache, uint64_t cache_end,
		   uint32_t head, uint32_t tail, uint64_t next, uint32_t gfree, uint64_t created)
{
	const struct go_offsets *o = &f->off;

	put32(f->p[i], o->p_id, id);
	put64(f->p[i], 384, cache);
	put64(f->p[i], 392, cache_end);
	put32(f->p[i], o->p_runqhead, head);
	put32(f->p[i], o->p_runqtail, tail);
	put64(f->p[i], o->p_runnext, next);
	put32(f->p[i], 2472, gfree);
	put64(f->p[i], 3000, created);
}

static void fake_init(struct fake *f)
{
	struct go_offsets *o = &f->off;

	memset(f, 0, sizeof(*f));
	go_offsets__init(o);
	o->sched_goidgen = 0;
	o->sched_mnext = 48;
	o->sched_nmfreed = 64;
	o->sched_ngsys = 72;
	o->sched_runqsize = 120;
	o->sched_gfree_n = 184;
	o->p_id = 0;
	o->p_goidcache = 384;
	o->p_goidcacheend = 392;
	o->p_runqhead = 400;
	o->p_runqtail = 404;
	o->p_runnext = 2456;
	o->p_gfree_n = 2472;
	f->gl.sched.addr = (uint64_t)(uintptr_t)f->sched;
	f->gl.allp.addr = (uint64_t)(uintptr_t)f->allp;
	f->gl.allglen.addr = (uint64_t)(uintptr_t)&f->allglen;
	f->gl.gomaxprocs.addr = (uint64_t)(uintptr_t)&f->gomaxprocs;
	f->gl.extram_in_use.addr = (uint64_t)(uintptr_t)&f->extram_in_use;
	f->gl.extram_length.addr = (uint64_t)(uintptr_t)&f->extram_length;

	put64(f->sched, 0, 200); /* goidgen */
	put64(f->sched, 48, 9);	 /* mnext */
	put64(f->sched, 64, 1);	 /* nmfreed */
	put32(f->sched, 72, 4);	 /* ngsys */
	put32(f->sched, 120, 3); /* runqsize */
	put32(f->sched, 184, 5); /* gFree.n */
	for (int i = 0; i < 3; i++)
		f->allp_arr[i] = (uint64_t)(uintptr_t)f->p[i];
	f->allp[0] = (uint64_t)(uintptr_t)f->allp_arr;
	f->allp[1] = 2;
	f->allp[2] = 3;
	f->allglen = 60;
	f->gomaxprocs = 2;
	f->extram_in_use = 1;
	/* P0: 5 ids cached, 3 queued and runnext; P1: nothing; P2 (given up): 16 ids cached, and
	 * a queue and free gs that count for nothing */
	p_fill(f, 0, 0, 195, 200, 7, 10, 0xc000001000, 2, 40);
	p_fill(f, 1, 1, 180, 180, 0, 0, 0, 1, 30);
	p_fill(f, 2, 2, 160, 176, 0, 5, 0, 9, 20);
}

/* One reading of f: its return, with *c and *why. */
static int read_fake(struct fake *f, struct rec_sched_counts *c, enum rec_sched_bad *why)
{
	struct rec_sched *s = rec_sched__new(getpid(), 0, &f->off, &f->gl);
	int err;

	*why = REC_SCHED_BAD_MAX;
	if (!s)
		return -errno;
	err = rec_sched__read(s, c, why);
	rec_sched__free(s);
	return err;
}

TEST(sched_figures)
{
	static struct fake f;
	struct rec_sched_counts c;
	enum rec_sched_bad why;

	fake_init(&f);
	if (!ASSERT_OK(read_fake(&f, &c, &why), "read"))
		return;
	/* goidgen 200, less 5 + 0 + 16 cached (the given-up P's too), less one extra M */
	ASSERT_EQ(c.created, 178ull, "created from the goid generator");
	/* allglen 60 - sched.gFree 5 - ngsys 4 - P0's 2 - P1's 1 (not P2, past len(allp)) */
	ASSERT_EQ(c.alive, 48u, "alive as gcount()");
	ASSERT_EQ(c.threads, 8u, "mnext - nmfreed");
	ASSERT_EQ(c.gomaxprocs, 2u, "gomaxprocs");
	/* global 3 + P0's 3 + its runnext (P2's queue not counted) */
	ASSERT_EQ(c.runnable, 7u, "runnable");

	/* Go 1.26+: the runtime's counter, sched's plus every P's */
	f.off.sched_goroutines_created = 256;
	f.off.p_goroutines_created = 3000;
	put64(f.sched, 256, 1000);
	if (ASSERT_OK(read_fake(&f, &c, &why), "read with the counter"))
		ASSERT_EQ(c.created, 1090ull, "created from goroutinesCreated");

	/* gomaxprocs not found: left out, the rest read */
	fake_init(&f);
	f.gl.gomaxprocs.addr = 0;
	if (ASSERT_OK(read_fake(&f, &c, &why), "read without gomaxprocs"))
		ASSERT_TRUE(c.gomaxprocs == 0 && c.alive == 48, "gomaxprocs left out");

	/* fewer runtime variables: no reader, and why */
	fake_init(&f);
	f.gl.allp.addr = 0;
	ASSERT_HAS_SUBSTR(rec_sched__missing(&f.off, &f.gl), "runtime.allp", "allp missing");
	ASSERT_EQ(read_fake(&f, &c, &why), -ENOENT, "no reader without allp");
	fake_init(&f);
	f.off.p_runnext = GO_OFF_UNKNOWN;
	ASSERT_HAS_SUBSTR(rec_sched__missing(&f.off, &f.gl), "runtime.p", "a P field missing");

	/* before the runtime made its Ps */
	fake_init(&f);
	memset(f.allp, 0, sizeof(f.allp));
	ASSERT_EQ(read_fake(&f, &c, &why), -ENODATA, "not started");
}

/* Each bound drops the reading with its reason, never a wrong figure. */
TEST(sched_bounds)
{
	static struct fake f;
	struct rec_sched_counts c;
	enum rec_sched_bad why;
	static const struct {
		const char *name;
		enum rec_sched_bad why;
	} cases[] = {
	    {"len(allp) is not gomaxprocs", REC_SCHED_BAD_ALLP},
	    {"cap(allp) beyond any machine", REC_SCHED_BAD_ALLP},
	    {"len(allp) above its cap", REC_SCHED_BAD_ALLP},
	    {"allp's array unreadable", REC_SCHED_BAD_ALLP},
	    {"a P numbered wrong", REC_SCHED_BAD_P},
	    {"a nil P within len(allp)", REC_SCHED_BAD_P},
	    {"a P unreadable", REC_SCHED_BAD_P},
	    {"an id cache ending before it starts", REC_SCHED_BAD_COUNT},
	    {"an id cache beyond the batch", REC_SCHED_BAD_COUNT},
	    {"a run queue beyond its size", REC_SCHED_BAD_COUNT},
	    {"more system goroutines than goroutines", REC_SCHED_BAD_COUNT},
	    {"negative free goroutines", REC_SCHED_BAD_COUNT},
	    {"fewer ids handed out than cached", REC_SCHED_BAD_COUNT},
	    {"no M", REC_SCHED_BAD_COUNT},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fake_init(&f);
		switch (i) {
		case 0:
			f.gomaxprocs = 3;
			break;
		case 1:
			f.allp[2] = REC_SCHED_MAX_P + 1;
			break;
		case 2:
			f.allp[1] = 4;
			f.gomaxprocs = 4;
			break;
		case 3:
			f.allp[0] = 16; /* unmapped */
			break;
		case 4:
			put32(f.p[1], f.off.p_id, 7);
			break;
		case 5:
			f.allp_arr[1] = 0;
			break;
		case 6:
			f.allp_arr[2] = 16;
			break;
		case 7:
			put64(f.p[0], 392, 190);
			break;
		case 8:
			put64(f.p[0], 392, 195 + 17);
			break;
		case 9:
			put32(f.p[1], f.off.p_runqtail, 257);
			break;
		case 10:
			put32(f.sched, 72, 61);
			break;
		case 11:
			put32(f.sched, 184, (uint32_t)-1);
			break;
		case 12:
			put64(f.sched, 0, 20);
			break;
		case 13:
			put64(f.sched, 64, 9);
			break;
		}
		ASSERT_EQ(read_fake(&f, &c, &why), -EAGAIN, cases[i].name);
		ASSERT_EQ((int)why, (int)cases[i].why, cases[i].name);
	}
	ASSERT_STREQ(rec_sched_bad_name(REC_SCHED_BAD_P), "p", "reason name");
}
