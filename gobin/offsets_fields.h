/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The Go runtime structure fields xgotop reads: the one list. Everything about a field is
 * generated from it: the member of struct go_offsets, the DWARF query (gobin/dwarf.c), the
 * generated per-version table (scripts/gen-offsets reads this file), the rows of
 * `xgotop inspect`, the offsets.* keys of a recording's metadata and the BPF rodata knobs.
 *
 *   #define SHOW(name, gotype, path, need, meta, bpf, desc) printf("%s\n", #name);
 *   GO_OFFSETS_FIELDS(SHOW)
 *
 * X(name, gotype, path, need, meta, bpf, desc) for each field, grouped by Go type:
 *   name    the int32_t member of struct go_offsets: the byte offset, or GO_OFF_UNKNOWN
 *   gotype  the Go structure type holding the field, as DWARF names it
 *   path    the member, dot-separated through nested structures ("sched.sp" is member sp of
 *           the structure of member sched); "" stands for the size of the type
 *   need    REQUIRED: xgotop cannot record without it (DWARF lacking it is refused);
 *           OPTIONAL: the features that read it are off when it is unknown
 *   meta    META: recorded in the trace metadata as offsets.<type without "runtime.">.<path>;
 *           NOMETA: not
 *   bpf     BPF: reaches BPF as the const volatile rodata off_<name> (bpf/xgotop.bpf.c);
 *           NOBPF: read by user space only
 *   desc    the member's Go type and what xgotop reads it for
 *
 * The order is the order of struct go_offsets, of `xgotop inspect`, of the metadata keys and
 * of each entry of gobin/offsets_table.c. Adding a field here, then `make gen-offsets`, is all
 * it takes for DWARF, the table, inspect and the metadata; a BPF field also needs its rodata
 * variable. The parser in scripts/gen-offsets/main.go reads each X( line's first three
 * arguments: keep one entry per line, in the form below.
 */
#ifndef XG_GOBIN_OFFSETS_FIELDS_H
#define XG_GOBIN_OFFSETS_FIELDS_H

/* clang-format off */
#define GO_OFFSETS_FIELDS(X)                                                                       \
	/* runtime.g */                                                                            \
	X(g_goid, "runtime.g", "goid",                                                             \
	  REQUIRED, META, BPF, "uint64: goroutine id")                                             \
	X(g_atomicstatus, "runtime.g", "atomicstatus",                                             \
	  REQUIRED, META, NOBPF, "atomic.Uint32: _Grunning, _Gwaiting...")                         \
	X(g_waitreason, "runtime.g", "waitreason",                                                 \
	  REQUIRED, META, BPF, "uint8: why it waits")                                              \
	X(g_parent_goid, "runtime.g", "parentGoid",                                                \
	  OPTIONAL, META, BPF, "uint64: creator's id")                                             \
	X(g_gopc, "runtime.g", "gopc",                                                             \
	  OPTIONAL, META, BPF, "uintptr: pc of the go statement")                                  \
	X(g_startpc, "runtime.g", "startpc",                                                       \
	  OPTIONAL, META, BPF, "uintptr: its function")                                            \
	X(g_labels, "runtime.g", "labels",                                                         \
	  OPTIONAL, NOMETA, NOBPF, "pointer: pprof labels")                                        \
	X(g_m, "runtime.g", "m",                                                                   \
	  REQUIRED, META, BPF, "*m: the thread running it")                                        \
	X(g_sched_sp, "runtime.g", "sched.sp",                                                     \
	  REQUIRED, NOMETA, BPF, "uintptr: sp when parked")                                        \
	X(g_sched_pc, "runtime.g", "sched.pc",                                                     \
	  REQUIRED, META, BPF, "uintptr: pc when parked")                                          \
	X(g_sched_bp, "runtime.g", "sched.bp",                                                     \
	  OPTIONAL, META, BPF, "uintptr: frame pointer when parked")                               \
	X(g_sched_lr, "runtime.g", "sched.lr",                                                     \
	  OPTIONAL, NOMETA, NOBPF, "uintptr: arm64 LR when parked")                                \
	X(g_sched_ctxt, "runtime.g", "sched.ctxt",                                                 \
	  OPTIONAL, NOMETA, BPF, "pointer: closure before it runs")                                \
	X(g_stack_lo, "runtime.g", "stack.lo",                                                     \
	  REQUIRED, NOMETA, BPF, "uintptr: stack bottom")                                          \
	X(g_stack_hi, "runtime.g", "stack.hi",                                                     \
	  REQUIRED, NOMETA, BPF, "uintptr: stack top")                                             \
	X(g_waitsince, "runtime.g", "waitsince",                                                   \
	  OPTIONAL, META, NOBPF, "int64: nanotime it blocked at")                                  \
	X(g_coroarg, "runtime.g", "coroarg",                                                       \
	  OPTIONAL, NOMETA, NOBPF, "*coro: Go 1.22+")                                              \
	X(g_size, "runtime.g", "",                                                                 \
	  REQUIRED, NOMETA, NOBPF, "sizeof(runtime.g)")                                            \
	/* runtime.m */                                                                            \
	X(m_g0, "runtime.m", "g0",                                                                 \
	  OPTIONAL, NOMETA, BPF, "*g: the scheduler's goroutine")                                  \
	X(m_procid, "runtime.m", "procid",                                                         \
	  OPTIONAL, NOMETA, NOBPF, "uint64: OS thread id")                                         \
	X(m_curg, "runtime.m", "curg",                                                             \
	  REQUIRED, META, BPF, "*g: the user goroutine running")                                   \
	X(m_p, "runtime.m", "p",                                                                   \
	  OPTIONAL, NOMETA, NOBPF, "puintptr: its P")                                              \
	X(m_id, "runtime.m", "id",                                                                 \
	  OPTIONAL, NOMETA, NOBPF, "int64: M number")                                              \
	/* runtime.p */                                                                            \
	X(p_id, "runtime.p", "id",                                                                 \
	  OPTIONAL, NOMETA, NOBPF, "int32: P number")                                              \
	X(p_status, "runtime.p", "status",                                                         \
	  OPTIONAL, NOMETA, NOBPF, "uint32: _Pidle, _Prunning...")                                 \
	X(p_m, "runtime.p", "m",                                                                   \
	  OPTIONAL, NOMETA, NOBPF, "muintptr: its M")                                              \
	X(p_mcache, "runtime.p", "mcache",                                                         \
	  OPTIONAL, NOMETA, NOBPF, "*mcache: its allocation cache")                                \
	X(p_goidcache, "runtime.p", "goidcache",                                                   \
	  OPTIONAL, NOMETA, NOBPF, "uint64: next goroutine id cached")                             \
	X(p_goidcacheend, "runtime.p", "goidcacheend",                                             \
	  OPTIONAL, NOMETA, NOBPF, "uint64: end of the cached ids")                                \
	X(p_goroutines_created, "runtime.p", "goroutinesCreated",                                  \
	  OPTIONAL, NOMETA, NOBPF, "uint64: goroutines it created, 1.26+")                         \
	X(p_gfree_n, "runtime.p", "gFree.n",                                                       \
	  OPTIONAL, NOMETA, NOBPF, "int32: free gs, up to 1.24")                                   \
	X(p_gfree_size, "runtime.p", "gFree.size",                                                 \
	  OPTIONAL, NOMETA, NOBPF, "int32: free gs, 1.25+")                                        \
	X(p_runqhead, "runtime.p", "runqhead",                                                     \
	  OPTIONAL, NOMETA, NOBPF, "uint32: local run queue head")                                 \
	X(p_runqtail, "runtime.p", "runqtail",                                                     \
	  OPTIONAL, NOMETA, NOBPF, "uint32: local run queue tail")                                 \
	X(p_runnext, "runtime.p", "runnext",                                                       \
	  OPTIONAL, NOMETA, NOBPF, "guintptr: the g to run next")                                  \
	/* runtime.schedt (the runtime.sched variable) */                                          \
	X(sched_goidgen, "runtime.schedt", "goidgen",                                              \
	  OPTIONAL, NOMETA, NOBPF, "atomic.Uint64: last goroutine id handed out")                  \
	X(sched_goroutines_created, "runtime.schedt", "goroutinesCreated",                         \
	  OPTIONAL, NOMETA, NOBPF, "atomic.Uint64: flushed P counts, 1.26+")                       \
	X(sched_mnext, "runtime.schedt", "mnext",                                                  \
	  OPTIONAL, NOMETA, NOBPF, "int64: Ms made")                                               \
	X(sched_nmfreed, "runtime.schedt", "nmfreed",                                              \
	  OPTIONAL, NOMETA, NOBPF, "int64: Ms freed")                                              \
	X(sched_ngsys, "runtime.schedt", "ngsys",                                                  \
	  OPTIONAL, NOMETA, NOBPF, "atomic.Int32: system goroutines")                              \
	X(sched_gfree_n, "runtime.schedt", "gFree.n",                                              \
	  OPTIONAL, NOMETA, NOBPF, "int32: free gs, up to 1.24")                                   \
	X(sched_gfree_stack_size, "runtime.schedt", "gFree.stack.size",                            \
	  OPTIONAL, NOMETA, NOBPF, "int32: free gs with stacks, 1.25+")                            \
	X(sched_gfree_nostack_size, "runtime.schedt", "gFree.noStack.size",                        \
	  OPTIONAL, NOMETA, NOBPF, "int32: free gs without, 1.25+")                                \
	X(sched_runqsize, "runtime.schedt", "runqsize",                                            \
	  OPTIONAL, NOMETA, NOBPF, "int32: global run queue, up to 1.24")                          \
	X(sched_runq_size, "runtime.schedt", "runq.size",                                          \
	  OPTIONAL, NOMETA, NOBPF, "int32: global run queue, 1.25+")                               \
	/* runtime.gcControllerState (the runtime.gcController variable) */                        \
	X(gcc_heap_live, "runtime.gcControllerState", "heapLive",                                  \
	  OPTIONAL, META, BPF, "atomic.Uint64: bytes live (heap figures)")                         \
	X(gcc_heap_marked, "runtime.gcControllerState", "heapMarked",                              \
	  OPTIONAL, NOMETA, BPF, "uint64: bytes marked by the last GC")                            \
	X(gcc_total_alloc, "runtime.gcControllerState", "totalAlloc",                              \
	  OPTIONAL, META, BPF, "atomic.Uint64: bytes allocated in total")                          \
	X(gcc_total_free, "runtime.gcControllerState", "totalFree",                                \
	  OPTIONAL, META, BPF, "atomic.Uint64: bytes freed in total")                              \
	X(gcc_last_heap_goal, "runtime.gcControllerState", "lastHeapGoal",                         \
	  OPTIONAL, META, BPF, "uint64: the heap goal of the last GC")                             \
	X(gcc_gc_percent, "runtime.gcControllerState", "gcPercent",                                \
	  OPTIONAL, NOMETA, NOBPF, "atomic.Int32: GOGC")                                           \
	X(gcc_memory_limit, "runtime.gcControllerState", "memoryLimit",                            \
	  OPTIONAL, NOMETA, BPF, "atomic.Int64: GOMEMLIMIT")                                       \
	X(gcc_heap_scan, "runtime.gcControllerState", "heapScan",                                  \
	  OPTIONAL, NOMETA, NOBPF, "atomic.Uint64: scannable bytes")                               \
	X(gcc_heap_in_use, "runtime.gcControllerState", "heapInUse",                               \
	  OPTIONAL, NOMETA, NOBPF, "sysMemStat (uint64): heap spans in use")                       \
	X(gcc_heap_released, "runtime.gcControllerState", "heapReleased",                          \
	  OPTIONAL, NOMETA, NOBPF, "sysMemStat (uint64): returned to the OS")                      \
	X(gcc_heap_free, "runtime.gcControllerState", "heapFree",                                  \
	  OPTIONAL, NOMETA, BPF, "sysMemStat (uint64): free, not returned")                        \
	X(gcc_mapped_ready, "runtime.gcControllerState", "mappedReady",                            \
	  OPTIONAL, NOMETA, BPF, "atomic.Uint64: mapped and ready")                                \
	X(gcc_gc_percent_heap_goal, "runtime.gcControllerState", "gcPercentHeapGoal",              \
	  OPTIONAL, NOMETA, BPF, "atomic.Uint64: the heap goal from GOGC")                         \
	X(gcc_sweep_dist_min_trigger, "runtime.gcControllerState", "sweepDistMinTrigger",          \
	  OPTIONAL, NOMETA, BPF, "atomic.Uint64: the sweep trigger")                               \
	/* runtime.mstats (the runtime.memstats variable) */                                       \
	X(ms_last_gc_unix, "runtime.mstats", "last_gc_unix",                                       \
	  OPTIONAL, NOMETA, NOBPF, "uint64: ns since 1970")                                        \
	X(ms_pause_total_ns, "runtime.mstats", "pause_total_ns",                                   \
	  OPTIONAL, NOMETA, NOBPF, "uint64: GC pauses in total")                                   \
	X(ms_numgc, "runtime.mstats", "numgc",                                                     \
	  OPTIONAL, NOMETA, NOBPF, "uint32: GC cycles ended")                                      \
	X(ms_last_gc_nanotime, "runtime.mstats", "last_gc_nanotime",                               \
	  OPTIONAL, NOMETA, NOBPF, "uint64: nanotime of the last GC")                              \
	/* internal/abi.Type (runtime._type): allocation types */                                  \
	X(type_size, "internal/abi.Type", "Size_",                                                 \
	  OPTIONAL, NOMETA, NOBPF, "uintptr: size of a value (allocation types)")                  \
	X(type_ptrbytes, "internal/abi.Type", "PtrBytes",                                          \
	  OPTIONAL, NOMETA, NOBPF, "uintptr: bytes that may hold pointers")                        \
	X(type_tflag, "internal/abi.Type", "TFlag",                                                \
	  OPTIONAL, NOMETA, NOBPF, "uint8 (TFlag)")                                                \
	X(type_kind, "internal/abi.Type", "Kind_",                                                 \
	  OPTIONAL, NOMETA, NOBPF, "uint8 (Kind)")                                                 \
	X(type_str, "internal/abi.Type", "Str",                                                    \
	  OPTIONAL, NOMETA, NOBPF, "nameOff (int32): its name")                                    \
	/* runtime.moduledata */                                                                   \
	X(md_text, "runtime.moduledata", "text",                                                   \
	  OPTIONAL, NOMETA, NOBPF, "uintptr: start of the text (PC lookups)")                      \
	X(md_etext, "runtime.moduledata", "etext",                                                 \
	  OPTIONAL, NOMETA, NOBPF, "uintptr: end of the text")                                     \
	X(md_types, "runtime.moduledata", "types",                                                 \
	  OPTIONAL, NOMETA, NOBPF, "uintptr: start of the type descriptors")                       \
	X(md_etypes, "runtime.moduledata", "etypes",                                               \
	  OPTIONAL, NOMETA, NOBPF, "uintptr: end of the type descriptors")                         \
/* clang-format on */

/* Dispatch on the need, meta and bpf tokens: GO_OFF_IF_BPF(code) is code, GO_OFF_IF_NOBPF(code)
 * is nothing, and GO_OFF_IS_REQUIRED is 1. */
#define GO_OFF_IS_REQUIRED 1
#define GO_OFF_IS_OPTIONAL 0
#define GO_OFF_IS_META	   1
#define GO_OFF_IS_NOMETA   0
#define GO_OFF_IF_BPF(...) __VA_ARGS__
#define GO_OFF_IF_NOBPF(...)

#endif /* XG_GOBIN_OFFSETS_FIELDS_H */
