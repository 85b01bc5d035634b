/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The probe plan: which BPF program of bpf/xgotop.bpf.c goes on which instruction of the
 * target binary, for the event kinds asked for. Built from the binary alone (gobin), so it can
 * be shown (`xgotop record --plan`) and tested without a process.
 */
#ifndef XG_RECORD_PLAN_H
#define XG_RECORD_PLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "bpf/events.h"
#include "gobin/gobin.h"

/*
 * The BPF programs of bpf/xgotop.bpf.c, one X(ENUM, name) each: enum rec_prog's REC_PROG_ENUM,
 * and name, the program's (and so its skeleton field's, skel->progs.name: record/bpfobj.c
 * does not compile when the two part).
 */
#define REC_PROGS(X)                                                                               \
	X(CASGSTATUS, casgstatus)                                                                  \
	X(CAS_SITE, cas_site)                                                                      \
	X(NEWG_CALL, newg_call)                                                                    \
	X(GDESTROY, gdestroy)                                                                      \
	X(ALLOC, alloc)                                                                            \
	X(GC_START, gc_start)                                                                      \
	X(GC_END, gc_end)                                                                          \
	X(GO_NEW, go_new)	      /* production: creation at `call runqput` / corostart */     \
	X(ALLOC_SAMPLE, alloc_sample) /* production: runtime.profilealloc */                       \
	X(CPU_SAMPLE, cpu_sample)     /* production: perf events on every CPU, no probe */

enum rec_prog {
#define REC_PROG_ENUM(e, name) REC_PROG_##e,
	REC_PROGS(REC_PROG_ENUM)
#undef REC_PROG_ENUM
	    REC_PROG_MAX
};

/* Programs that go on uprobes (the others are attached to perf events). */
#define REC_PROG_IS_UPROBE(p) ((p) != REC_PROG_CPU_SAMPLE)

/* "casgstatus", ... */
const char *rec_prog_name(enum rec_prog p);

struct rec_probe {
	enum rec_prog prog;
	const char *func;  /* Go function (valid while the gobin is open) */
	uint64_t addr;	   /* link-time address of the probed instruction */
	uint64_t file_off; /* what the uprobe attaches to */
	uint32_t off;	   /* from the function's entry */
	bool emulated;	   /* the kernel emulates the instruction (one trap, no single-step) */
	char insn[64];	   /* the instruction there */
	uint64_t cookie;   /* bpf_get_attach_cookie(): index into sites[] for cas_site; for
			    * go_new XGB_NEWG_*; XGB_COOKIE_FRAMED on a framed entry site */
};

#define REC_MAX_TYPSITES 128

struct rec_plan {
	struct rec_probe *probes;
	uint32_t n, cap;
	struct xgb_site sites[XGB_MAX_SITES];
	uint32_t nsites;
	bool create_deferred; /* goid set after the creating casgstatus (Go 1.21-1.23) */
	bool exit_from_casgstatus;
	const char *alloc_mode; /* "mallocgc", "split", "split+size-specialized", or NULL */
	char warnings[1024];	/* things the plan could not cover, "; "-separated */

	/* production mode */
	bool production;
	int32_t tls_g_off;	 /* g at fs base + this (from runtime.stackcheck) */
	const char *tls_from;	 /* how tls_g_off was found */
	bool g_in_reg;		 /* cpu samples take the g from the interrupted x28 (arm64), not
				  * from TLS */
	uint64_t large_lo;	 /* link-time [lo, hi) of runtime.mallocgcLarge when alloc events */
	uint64_t large_hi;	 /* report large allocations exactly; 0 otherwise */
	const char *create_mode; /* how creations are seen */
	/* alloc_sample types: return addresses (link-time) of calls after which the allocating
	 * function's type argument is known to be in its spill slot: level 0, a `call
	 * profilealloc` in a function that spilled its typ on every path to it (its second
	 * argument's spill slot, gobin_code__spills_arg(), GO_ARG_SPILL in bpf/goabi.h); level 1, a
	 * call from mallocgc, whose spill is one frame further up */
	uint64_t typ_ret[REC_MAX_TYPSITES];
	uint8_t typ_level[REC_MAX_TYPSITES];
	uint32_t ntyp, typ_calls; /* verified sites, and calls to profilealloc seen in all */
};

/* Kinds each mode can record. */
#define REC_FULL_KINDS                                                                             \
	(XGB_KIND_BIT(XG_EV_GO_CREATE) | XGB_KIND_BIT(XG_EV_GO_EXIT) |                             \
	 XGB_KIND_BIT(XG_EV_GO_STATE) | XGB_KIND_BIT(XG_EV_ALLOC) | XGB_KIND_BIT(XG_EV_GC_START) | \
	 XGB_KIND_BIT(XG_EV_GC_END) | XGB_KIND_BIT(XG_EV_SCHED))
/* Full mode's default: everything but sched (read from memory, not traced: opt-in). */
#define REC_FULL_DEFAULT_KINDS (REC_FULL_KINDS & ~XGB_KIND_BIT(XG_EV_SCHED))
#define REC_PRODUCTION_KINDS                                                                       \
	(XGB_KIND_BIT(XG_EV_GO_CREATE) | XGB_KIND_BIT(XG_EV_GO_EXIT) | XGB_KIND_BIT(XG_EV_ALLOC) | \
	 XGB_KIND_BIT(XG_EV_GC_START) | XGB_KIND_BIT(XG_EV_GC_END) |                               \
	 XGB_KIND_BIT(XG_EV_CPU_SAMPLE) | XGB_KIND_BIT(XG_EV_ALLOC_SAMPLE) |                       \
	 XGB_KIND_BIT(XG_EV_HEAP) | XGB_KIND_BIT(XG_EV_SNAPSHOT) | XGB_KIND_BIT(XG_EV_SCHED))
/* Production mode's default: everything but alloc (a trap per large allocation: opt-in). */
#define REC_PRODUCTION_DEFAULT_KINDS (REC_PRODUCTION_KINDS & ~XGB_KIND_BIT(XG_EV_ALLOC))

/*
 * Plans probes in b for the event kinds in `kinds` (XGB_KIND_BIT(XG_EV_...) bits). off must be
 * gobin__offsets(b). 0 or -errno (xg_errmsg names what is missing).
 */
int rec_plan__build(struct rec_plan *p, const struct gobin *b, const struct go_offsets *off,
		    uint32_t kinds);
/*
 * Production mode's plan for kinds (within REC_PRODUCTION_KINDS): one emulated trap per
 * goroutine creation (`call runqput` after newproc1, runtime.corostart) and, when go_exit is
 * among kinds, per exit (gdestroy or goexit0: the recorder leaves go_exit out when it reads
 * exits from memory instead), one per sampled allocation (runtime.profilealloc), one per
 * large allocation when alloc is asked for (runtime.mallocgcLarge, Go 1.24+), a few per GC
 * cycle; cpu_sample, heap and snapshot need no probe. 0 or -errno.
 */
int rec_plan__build_production(struct rec_plan *p, const struct gobin *b,
			       const struct go_offsets *off, uint32_t kinds);
void rec_plan__free(struct rec_plan *p);

#endif /* XG_RECORD_PLAN_H */
