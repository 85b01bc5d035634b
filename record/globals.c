// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Runtime variables production mode reads (record/globals.h). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "gobin/disasm.h"
#include "record/globals.h"

#define MEM_PROFILE_RATE_DEFAULT (512 * 1024)

static int decode_named(const struct gobin *b, const char *name, struct gobin_code *d)
{
	struct gobin_func f;

	memset(d, 0, sizeof(*d));
	if (gobin__func(b, name, &f))
		return -1;
	return gobin_code__decode_func(d, b, &f) ? -1 : 0;
}

/* gcStart: the address of a global loaded into the first argument register last before
 * `call startCycle`. */
static uint64_t find_gc_controller(const struct gobin *b)
{
	struct gobin_func sc;
	struct gobin_code d;
	uint64_t found = 0, t;

	if (gobin__func(b, "runtime.(*gcControllerState).startCycle", &sc) ||
	    decode_named(b, "runtime.gcStart", &d))
		return 0;
	for (size_t i = 0; i < d.n && !found; i++) {
		if (!gobin_code__call(&d, i, &t) || t != sc.addr)
			continue;
		for (size_t j = i; j-- > 0 && i - j < 32;) {
			if (gobin_code__dest_reg(&d, j) != 0)
				continue;
			/* the last write of the register: a global's address, or something else
			 * (give up) */
			found = gobin_code__global_addr(&d, j);
			break;
		}
	}
	gobin_code__free(&d);
	return found;
}

/* allgadd: a global's address into rN (`lea rN, [rip+X]`; arm64 `adrp; add`) followed within a
 * few instructions by an atomic store to [rN] (`xchg rM, [rN]`; arm64 `stlr xM, [xN]`). */
static void find_allg(const struct gobin *b, uint64_t *ptr, uint64_t *len)
{
	struct gobin_code d;
	uint64_t first = 0, last = 0;

	if (decode_named(b, "runtime.allgadd", &d))
		return;
	for (size_t i = 0; i < d.n; i++) {
		uint64_t target = gobin_code__global_addr(&d, i);
		int r = gobin_code__dest_reg(&d, i);

		if (!target || r < 0)
			continue;
		for (size_t j = i + 1; j < d.n && j < i + 4; j++) {
			int base = gobin_code__atomic_store_base(&d, j);

			if (base < 0)
				continue;
			if (base == r) {
				if (!first)
					first = target;
				last = target;
			}
			break;
		}
	}
	gobin_code__free(&d);
	if (first && last && first != last) {
		*ptr = first;
		*len = last;
	}
}

/* gcMarkTermination: the lowest 32-bit global it increments by one is memstats.numgc. */
static uint64_t find_memstats(const struct gobin *b, const struct go_offsets *off)
{
	struct gobin_code d;
	uint64_t low = 0;

	if (off->ms_numgc < 0 || decode_named(b, "runtime.gcMarkTermination", &d))
		return 0;
	for (size_t i = 0; i < d.n; i++) {
		uint64_t t = gobin_code__global_inc32(&d, i);

		if (t && (!low || t < low))
			low = t;
	}
	gobin_code__free(&d);
	return low > (uint64_t)off->ms_numgc ? low - (uint64_t)off->ms_numgc : 0;
}

/* profilealloc: the global quadword it reads that the file initializes to 512 KiB. */
static uint64_t find_mem_profile_rate(const struct gobin *b)
{
	struct gobin_code d;
	uint64_t found = 0;

	if (decode_named(b, "runtime.profilealloc", &d))
		return 0;
	for (size_t i = 0; i < d.n && !found; i++) {
		for (int k = 0; k < gobin_code__op_count(&d, i) && !found; k++) {
			unsigned int size = 0;
			uint64_t t = gobin_code__global(&d, i, k, &size), v = 0;

			if (t && size == 8 && !gobin__read_vaddr(b, t, &v, sizeof(v)) &&
			    v == MEM_PROFILE_RATE_DEFAULT)
				found = t;
		}
	}
	gobin_code__free(&d);
	return found;
}

/* The global byte instruction i reads or writes (any of its operands), or 0. */
static uint64_t byte_global(const struct gobin_code *d, size_t i)
{
	for (int k = 0; k < gobin_code__op_count(d, i); k++) {
		unsigned int size = 0;
		uint64_t t = gobin_code__global(d, i, k, &size);

		if (t && size == 1)
			return t;
	}
	return 0;
}

/* schedinit: `if disableMemoryProfiling { MemProfileRate = 0 }`: the byte global tested in the
 * few instructions before the store of zero into MemProfileRate (x86-64 `cmp byte [X], 0; jcc;
 * mov qword [rate], 0`; arm64 `ldrb w, [X]; tbz; str xzr, [rate]`). */
static uint64_t find_disable_memprof(const struct gobin *b, uint64_t rate)
{
	struct gobin_code d;
	uint64_t found = 0;

	if (!rate || decode_named(b, "runtime.schedinit", &d))
		return 0;
	for (size_t i = 0; i < d.n && !found; i++) {
		unsigned int size = 0;
		int k = gobin_code__op_count(&d, i) - 1;

		if (!gobin_code__stores_zero(&d, i) ||
		    (gobin_code__global(&d, i, 0, &size) != rate &&
		     gobin_code__global(&d, i, k, &size) != rate) ||
		    size != 8)
			continue;
		for (size_t j = i; j-- > 0 && i - j <= 4 && !found;)
			found = byte_global(&d, j);
	}
	gobin_code__free(&d);
	return found;
}

/* The global memory operands of d, in order: address and access size. */
struct gref {
	uint64_t addr;
	unsigned int size;
};

static size_t global_refs(const struct gobin_code *d, struct gref *out, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < d->n && n < cap; i++)
		for (int k = 0; k < gobin_code__op_count(d, i) && n < cap; k++) {
			unsigned int size = 0;
			uint64_t t = gobin_code__global(d, i, k, &size);

			if (t)
				out[n++] = (struct gref){t, size};
		}
	return n;
}

#define MAX_REFS 512

/* checkmcount: sched from its reads of sched.mnext and sched.nmfreed, then the two doublewords
 * read outside sched (extraMInUse, extraMLength). */
static void find_sched(const struct gobin *b, const struct go_offsets *off, uint64_t *sched,
		       uint64_t *in_use, uint64_t *length)
{
	struct gobin_code d;
	struct gref r[64];
	uint64_t base = 0, em[2] = {0, 0};
	size_t n, nem = 0;

	if (off->sched_mnext < 0 || off->sched_nmfreed < 0 ||
	    decode_named(b, "runtime.checkmcount", &d))
		return;
	n = global_refs(&d, r, 64);
	gobin_code__free(&d);
	for (size_t i = 0; i < n && !base; i++) {
		if (r[i].size != 8 || r[i].addr < (uint64_t)off->sched_mnext)
			continue;
		for (size_t j = i + 1; j < n; j++)
			if (r[j].size == 8 && r[j].addr == r[i].addr - (uint64_t)off->sched_mnext +
							       (uint64_t)off->sched_nmfreed) {
				base = r[i].addr - (uint64_t)off->sched_mnext;
				break;
			}
		break; /* the first quadword read is mnext, or this is not the pattern */
	}
	if (!base)
		return;
	*sched = base;
	for (size_t i = 0; i < n; i++) {
		if (r[i].size != 4 || (r[i].addr >= base && r[i].addr < base + 4096))
			continue;
		if (nem < 2 && (!nem || em[0] != r[i].addr))
			em[nem++] = r[i].addr;
		else if (nem == 2 && r[i].addr != em[0] && r[i].addr != em[1])
			return; /* a third: not the pattern */
	}
	if (nem == 2) {
		*in_use = em[0];
		*length = em[1];
	}
}

/* GOMAXPROCS: the first doubleword read after the first call (lock(&sched.lock)). */
static uint64_t find_gomaxprocs(const struct gobin *b)
{
	struct gobin_code d;
	uint64_t found = 0, t;
	bool called = false;

	if (decode_named(b, "runtime.GOMAXPROCS", &d))
		return 0;
	for (size_t i = 0; i < d.n && !found; i++) {
		if (gobin_code__call(&d, i, &t)) {
			called = true;
			continue;
		}
		for (int k = 0; called && k < gobin_code__op_count(&d, i) && !found; k++) {
			unsigned int size = 0;
			uint64_t g = gobin_code__global(&d, i, k, &size);

			if (g && size == 4)
				found = g;
		}
	}
	gobin_code__free(&d);
	return found;
}

/* procresize: the slice header X (X, X+8 and X+16 all read or written) it refers to most. */
static uint64_t find_allp(const struct gobin *b)
{
	struct gobin_code d;
	struct gref *r = calloc(MAX_REFS, sizeof(*r));
	uint64_t best = 0;
	size_t n, best_n = 0;

	if (!r)
		return 0;
	if (decode_named(b, "runtime.procresize", &d)) {
		free(r);
		return 0;
	}
	n = global_refs(&d, r, MAX_REFS);
	gobin_code__free(&d);
	for (size_t i = 0; i < n; i++) {
		size_t cnt[3] = {0, 0, 0};

		if (r[i].size != 8)
			continue;
		for (size_t j = 0; j < n; j++)
			for (int w = 0; w < 3; w++)
				cnt[w] +=
				    r[j].size == 8 && r[j].addr == r[i].addr + 8 * (uint64_t)w;
		if (cnt[0] && cnt[1] && cnt[2] && cnt[0] + cnt[1] + cnt[2] > best_n) {
			best_n = cnt[0] + cnt[1] + cnt[2];
			best = r[i].addr;
		}
	}
	free(r);
	return best;
}

static void from_symtab(const struct gobin *b, const char *name, struct rec_global *g)
{
	if (!gobin__symbol(b, name, &g->addr) && g->addr)
		g->from = "symtab";
	else
		g->addr = 0;
}

static void from_code(struct rec_global *g, uint64_t addr, const char *from)
{
	if (g->addr || !addr)
		return;
	g->addr = addr;
	g->from = from;
}

void rec_globals__find(const struct gobin *b, const struct go_offsets *off, unsigned int flags,
		       struct rec_globals *g)
{
	uint64_t ptr = 0, len = 0;

	memset(g, 0, sizeof(*g));
	if (!(flags & REC_GLOBALS_CODE_ONLY)) {
		from_symtab(b, "runtime.gcController", &g->gc_controller);
		from_symtab(b, "runtime.memstats", &g->memstats);
		from_symtab(b, "runtime.allglen", &g->allglen);
		from_symtab(b, "runtime.allgptr", &g->allgptr);
		from_symtab(b, "runtime.MemProfileRate", &g->mem_profile_rate);
		from_symtab(b, "runtime.disableMemoryProfiling", &g->disable_mem_profiling);
		from_symtab(b, "runtime.sched", &g->sched);
		from_symtab(b, "runtime.allp", &g->allp);
		from_symtab(b, "runtime.gomaxprocs", &g->gomaxprocs);
		from_symtab(b, "runtime.extraMInUse", &g->extram_in_use);
		from_symtab(b, "runtime.extraMLength", &g->extram_length);
	}
	if (!g->gc_controller.addr)
		from_code(&g->gc_controller, find_gc_controller(b), "code: runtime.gcStart");
	if (!g->allglen.addr || !g->allgptr.addr) {
		find_allg(b, &ptr, &len);
		if (ptr && len) {
			g->allgptr = (struct rec_global){ptr, "code: runtime.allgadd"};
			g->allglen = (struct rec_global){len, "code: runtime.allgadd"};
		}
	}
	if (!g->memstats.addr)
		from_code(&g->memstats, find_memstats(b, off), "code: runtime.gcMarkTermination");
	if (!g->mem_profile_rate.addr)
		from_code(&g->mem_profile_rate, find_mem_profile_rate(b),
			  "code: runtime.profilealloc");
	if (!g->disable_mem_profiling.addr)
		from_code(&g->disable_mem_profiling,
			  find_disable_memprof(b, g->mem_profile_rate.addr),
			  "code: runtime.schedinit");
	if (!g->sched.addr || !g->extram_in_use.addr || !g->extram_length.addr) {
		uint64_t sched = 0, in_use = 0, length = 0;

		find_sched(b, off, &sched, &in_use, &length);
		from_code(&g->sched, sched, "code: runtime.checkmcount");
		if (!g->extram_in_use.addr || !g->extram_length.addr) {
			from_code(&g->extram_in_use, in_use, "code: runtime.checkmcount");
			from_code(&g->extram_length, length, "code: runtime.checkmcount");
		}
	}
	if (!g->gomaxprocs.addr)
		from_code(&g->gomaxprocs, find_gomaxprocs(b), "code: runtime.GOMAXPROCS");
	if (!g->allp.addr)
		from_code(&g->allp, find_allp(b), "code: runtime.procresize");
}
