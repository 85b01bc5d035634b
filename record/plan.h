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

/* The BPF programs (their section names in bpf/xgotop.bpf.c). */
enum rec_prog {
	REC_PROG_CASGSTATUS,
	REC_PROG_CAS_SITE,
	REC_PROG_NEWG_CALL,
	REC_PROG_GDESTROY,
	REC_PROG_ALLOC,
	REC_PROG_GC_START,
	REC_PROG_GC_END,
	REC_PROG_MAX
};

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
	uint64_t cookie;   /* bpf_get_attach_cookie(): index into sites[] for cas_site */
};

struct rec_plan {
	struct rec_probe *probes;
	uint32_t n, cap;
	struct xgb_site sites[XGB_MAX_SITES];
	uint32_t nsites;
	bool create_deferred; /* goid set after the creating casgstatus (Go 1.21-1.23) */
	bool exit_from_casgstatus;
	const char *alloc_mode; /* "mallocgc", "split", "split+size-specialized", or NULL */
	char warnings[1024];	/* things the plan could not cover, "; "-separated */
};

/*
 * Plans probes in b for the event kinds in `kinds` (XGB_KIND_BIT(XG_EV_...) bits). off must be
 * gobin__offsets(b). 0 or -errno (xg_errmsg names what is missing).
 */
int rec_plan__build(struct rec_plan *p, const struct gobin *b, const struct go_offsets *off,
		    uint32_t kinds);
void rec_plan__free(struct rec_plan *p);

#endif /* XG_RECORD_PLAN_H */
