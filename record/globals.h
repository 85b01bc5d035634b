/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Where the runtime's variables that production mode reads from the target's memory are:
 * runtime.gcController (heap figures), runtime.memstats (numgc), runtime.allglen and
 * runtime.allgptr (every goroutine, for snapshots), runtime.MemProfileRate (the weight of
 * an allocation sample), and for the scheduler's counts (sched events) runtime.sched,
 * runtime.allp, runtime.gomaxprocs, runtime.extraMInUse and runtime.extraMLength. From .symtab when
 * the binary has one; in a stripped binary, from the instructions of a runtime function that refers
 * to the variable (found through .gopclntab, which stripping keeps):
 *
 *   gcController    runtime.gcStart: `lea rax, [rip+X]` sets the receiver of the call to
 *                   (*gcControllerState).startCycle
 *   allgptr         runtime.allgadd: the first `lea r, [rip+X]` whose r then addresses an
 *                   `xchg` (atomicstorep(&allgptr, ...)), allglen the last (atomic store of
 *                   len(allgs))
 *   memstats        runtime.gcMarkTermination: `inc dword [rip+X]` increments memstats.numgc
 *                   (and, just before, numforcedgc, 4 bytes above): the lowest such X, minus
 *                   the offset of mstats.numgc
 *   MemProfileRate  runtime.profilealloc: the RIP-relative quadword it loads whose initial
 *                   value in the file is 512 KiB (the runtime's default)
 *   disableMemoryProfiling  runtime.schedinit: `cmp byte [rip+X], 0` just before the
 *                   `mov qword [rip+MemProfileRate], 0` it guards
 *   sched, extraMInUse, extraMLength  runtime.checkmcount (`mcount() - extraMInUse.Load() -
 *                   extraMLength.Load()`): its first quadword read, less the offset of
 *                   schedt.mnext, is sched when a later quadword read is sched.nmfreed; the
 *                   two doublewords it reads outside sched are extraMInUse, then extraMLength
 *   gomaxprocs      runtime.GOMAXPROCS: the first doubleword read after its first call
 *                   (lock(&sched.lock))
 *   allp            runtime.procresize: the slice header (three quadwords X, X+8, X+16, all
 *                   read) it refers to most often
 *
 * Addresses are link-time; add the load bias for a PIE. (A candidate for gobin/: "the data
 * address a function refers to in a given pattern".)
 */
#ifndef XG_RECORD_GLOBALS_H
#define XG_RECORD_GLOBALS_H

#include <stdint.h>

#include "gobin/gobin.h"

struct rec_global {
	uint64_t addr;	  /* link-time address, 0 = not found */
	const char *from; /* "symtab", "code: runtime.gcStart", ... */
};

struct rec_globals {
	struct rec_global gc_controller;
	struct rec_global memstats;
	struct rec_global allglen;
	struct rec_global allgptr;
	struct rec_global mem_profile_rate;
	struct rec_global disable_mem_profiling; /* bool the linker sets without MemProfile */
	struct rec_global sched;		 /* runtime.sched (schedt) */
	struct rec_global allp;			 /* []*p */
	struct rec_global gomaxprocs;		 /* int32 */
	struct rec_global extram_in_use;	 /* atomic.Uint32: cgo's extra Ms in use */
	struct rec_global extram_length;	 /* atomic.Uint32: and on their list */
};

/* GOBIN-less flag for tests: ignore .symtab, find everything in code. */
#define REC_GLOBALS_CODE_ONLY 0x1

/* Fills g with what can be found; what cannot stays 0. Never fails. */
void rec_globals__find(const struct gobin *b, const struct go_offsets *off, unsigned int flags,
		       struct rec_globals *g);

#endif /* XG_RECORD_GLOBALS_H */
