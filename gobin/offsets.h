/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Offsets of Go runtime structure fields that xgotop reads, and the runtime's wait reason
 * names, for one binary. They come from the binary's DWARF when present, else from the table
 * generated per Go minor version (tests/gen-offsets.sh writes gobin/offsets_table.c). They
 * reach BPF as const volatile rodata before load; nothing else hard-codes them.
 */
#ifndef XG_GOBIN_OFFSETS_H
#define XG_GOBIN_OFFSETS_H

#include <stdbool.h>
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

	/* Added after the first version of this header (all optional for users). */
	int32_t g_sched_lr;  /* sched.lr (arm64: LR of a parked g) */
	int32_t g_waitsince; /* waitsince (int64 nanotime when it blocked) */
	int32_t m_id;	     /* id (int64) */
	/* runtime.p */
	int32_t p_id;	  /* id (int32) */
	int32_t p_status; /* status (uint32) */
	int32_t p_m;	  /* m (muintptr) */
	int32_t p_mcache; /* mcache (*mcache) */
	/* runtime.gcControllerState (more heap statistics) */
	int32_t gcc_gc_percent;		  /* gcPercent (atomic.Int32) */
	int32_t gcc_memory_limit;	  /* memoryLimit (atomic.Int64) */
	int32_t gcc_heap_scan;		  /* heapScan (atomic.Uint64) */
	int32_t gcc_heap_in_use;	  /* heapInUse (sysMemStat, uint64) */
	int32_t gcc_heap_released;	  /* heapReleased */
	int32_t gcc_heap_free;		  /* heapFree */
	int32_t gcc_mapped_ready;	  /* mappedReady (atomic.Uint64) */
	int32_t gcc_gc_percent_heap_goal; /* gcPercentHeapGoal (atomic.Uint64) */
	/* runtime.mstats (the runtime.memstats variable) */
	int32_t ms_last_gc_unix;     /* last_gc_unix (uint64 ns since 1970) */
	int32_t ms_pause_total_ns;   /* pause_total_ns */
	int32_t ms_numgc;	     /* numgc (uint32) */
	int32_t ms_last_gc_nanotime; /* last_gc_nanotime */
	/* internal/abi.Type, runtime.moduledata */
	int32_t type_ptrbytes; /* PtrBytes */
	int32_t md_etext;      /* etext */
	int32_t g_sched_ctxt;  /* sched.ctxt: the closure of a goroutine that has not run yet */
	/* runtime.gcControllerState.sweepDistMinTrigger (atomic.Uint64) */
	int32_t gcc_sweep_dist_min_trigger;

	/* waitreason[n] is the string Go prints for reason n ("chan receive"), "" if unknown */
	uint32_t nwaitreasons;
	char waitreason[GO_MAX_WAITREASONS][GO_WAITREASON_LEN];

	const char *source; /* "dwarf", or "table go1.NN" */
	/* set by gobin__offsets() when the binary's Go version is newer than the table (offsets
	 * then come from DWARF); warning names the version, "" otherwise */
	bool newer_than_table;
	char warning[256];
};

/* Fills out from the built-in table for Go 1.minor on goarch ("amd64", "arm64").
 * 0, or -EPROTONOSUPPORT when the table has no entry. */
int go_offsets__from_table(int minor, const char *goarch, struct go_offsets *out);

/* Sets every offset to GO_OFF_UNKNOWN and clears the names. */
void go_offsets__init(struct go_offsets *out);

#endif /* XG_GOBIN_OFFSETS_H */
