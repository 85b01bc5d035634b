/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Offsets of Go runtime structure fields that xgotop reads, and the runtime's wait reason
 * names, for one binary. They come from the binary's DWARF when present, else from the table
 * generated per Go minor version (tests/gen-offsets.sh writes gobin/offsets_table.c). They
 * reach BPF as const volatile rodata before load; nothing else hard-codes them.
 */
#ifndef XG_GOBIN_OFFSETS_H
#define XG_GOBIN_OFFSETS_H

#include <stdint.h>

#define GO_OFF_UNKNOWN	   (-1)
#define GO_MAX_WAITREASONS 64
#define GO_WAITREASON_LEN  40

/* Each field: byte offset of the named Go field in its struct, or GO_OFF_UNKNOWN. */
struct go_offsets {
	/* runtime.g */
	int32_t g_stack_lo;	/* stack.lo */
	int32_t g_stack_hi;	/* stack.hi */
	int32_t g_m;		/* m */
	int32_t g_sched_sp;	/* sched.sp */
	int32_t g_sched_pc;	/* sched.pc */
	int32_t g_sched_bp;	/* sched.bp */
	int32_t g_atomicstatus; /* atomicstatus (uint32) */
	int32_t g_goid;		/* goid (uint64) */
	int32_t g_waitreason;	/* waitreason (uint8) */
	int32_t g_parent_goid;	/* parentGoid (uint64) */
	int32_t g_gopc;		/* gopc */
	int32_t g_startpc;	/* startpc */
	int32_t g_labels;	/* labels */
	int32_t g_coroarg;	/* coroarg (1.22+) */
	int32_t g_size;		/* sizeof(runtime.g) */
	/* runtime.m */
	int32_t m_g0;
	int32_t m_procid; /* OS thread id */
	int32_t m_curg;
	int32_t m_p;
	/* runtime.gcControllerState */
	int32_t gcc_heap_live;	    /* heapLive */
	int32_t gcc_heap_marked;    /* heapMarked */
	int32_t gcc_total_alloc;    /* totalAlloc */
	int32_t gcc_total_free;	    /* totalFree */
	int32_t gcc_last_heap_goal; /* lastHeapGoal */
	/* internal/abi.Type (runtime._type) */
	int32_t type_size;  /* Size_ */
	int32_t type_tflag; /* TFlag (uint8) */
	int32_t type_kind;  /* Kind_ (uint8) */
	int32_t type_str;   /* Str (nameOff, int32) */
	/* runtime.moduledata */
	int32_t md_text;
	int32_t md_types;
	int32_t md_etypes;

	/* waitreason[n] is the string Go prints for reason n ("chan receive"), "" if unknown */
	uint32_t nwaitreasons;
	char waitreason[GO_MAX_WAITREASONS][GO_WAITREASON_LEN];

	const char *source; /* "dwarf", or "table go1.NN" */
};

/* Fills out from the built-in table for Go 1.minor on goarch ("amd64", "arm64").
 * 0, or -EPROTONOSUPPORT when the table has no entry. */
int go_offsets__from_table(int minor, const char *goarch, struct go_offsets *out);

/* Sets every offset to GO_OFF_UNKNOWN and clears the names. */
void go_offsets__init(struct go_offsets *out);

#endif /* XG_GOBIN_OFFSETS_H */
