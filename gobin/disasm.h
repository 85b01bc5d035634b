/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A Go function's machine code decoded with capstone: the one instruction front-end of xgotop,
 * for probe placement, the calls of compiler wrappers, and record/'s patterns (the CAS sites
 * of g.atomicstatus, the TLS slot of g, runtime variables in stripped binaries).
 *
 *   struct gobin_code c;
 *   uint64_t target;
 *
 *   if (!gobin_code__decode_func(&c, b, &f)) {
 *           for (size_t i = 0; i < c.n; i++)
 *                   if (gobin_code__call(&c, i, &target) && target == callee) ...
 *           gobin_code__free(&c);
 *   }
 *
 * Decoding is a linear sweep from the function's entry. What differs between architectures
 * sits in one table in disasm.c (struct gobin_arch_ops): the capstone mode, the instruction
 * width (x86-64: variable, so the sweep stops at the first bytes that do not decode; arm64:
 * 4 bytes, so a word capstone does not know is kept as a `.word` and the sweep goes on),
 * register numbers, and what counts as a RET, a NOP, a direct call, a conditional branch, a
 * reference to a global variable, and an instruction the kernel's uprobes emulate. Callers
 * ask those questions through gobin_code__*(). A pattern that exists on one architecture only
 * (x86's `lock cmpxchg`, an fs: load) reads that architecture's capstone detail through
 * gobin_code__x86(), which is NULL on any other: such a pattern finds nothing there.
 *
 * Register numbers: x86-64 as bpf/goabi.h go_regs (RAX=0, RCX=1, RDX=2, RBX=3, RSP=4, RBP=5,
 * RSI=6, RDI=7, R8..R15 = 8..15), any width of a register giving its number; arm64 X0..X30
 * (and W0..W30) = 0..30, SP = 31.
 *
 * A gobin_code owns its instructions and does not borrow from the gobin or the bytes it was
 * decoded from. One object is not for concurrent use; separate objects are independent.
 */
#ifndef XG_GOBIN_DISASM_H
#define XG_GOBIN_DISASM_H

#include <capstone/capstone.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gobin/gobin.h"

enum gobin_arch {
	GOBIN_ARCH_X86_64,
	GOBIN_ARCH_ARM64,
};

struct gobin_arch_ops;

struct gobin_code {
	enum gobin_arch arch;
	const struct gobin_arch_ops *ops; /* private */
	csh h;
	cs_insn *insn; /* n instructions with details, in address order */
	size_t n;
	size_t swept;	    /* bytes decoded: less than the length when x86-64 met bytes it cannot
			     * decode (the instructions before them are in insn) */
	cs_detail *details; /* private: insn[i].detail points here */
	size_t cap;	    /* private */
};

/* The architecture of b's code. */
enum gobin_arch gobin__arch(const struct gobin *b);

/* Decodes len bytes of code that sit at link-time address addr. 0, or -EINVAL (unknown
 * architecture) or -ENOMEM with a message; on success gobin_code__free() must follow. */
int gobin_code__decode(struct gobin_code *c, enum gobin_arch arch, const uint8_t *code, size_t len,
		       uint64_t addr);
/* Decodes f (its f->size bytes, read from the file). 0 or -errno with a message naming f; on
 * success gobin_code__free() must follow. */
int gobin_code__decode_func(struct gobin_code *c, const struct gobin *b,
			    const struct gobin_func *f);
/* NULL-safe on a zeroed or freed c. */
void gobin_code__free(struct gobin_code *c);

/* The index of the instruction at addr, or -1. */
long gobin_code__index(const struct gobin_code *c, uint64_t addr);

/* The register number (see above) of a capstone register of c's architecture, or -1. */
int gobin_code__regnum(const struct gobin_code *c, unsigned int reg);
/* The number of operands of instruction i. */
int gobin_code__op_count(const struct gobin_code *c, size_t i);
/* The register number of operand k of instruction i when it is a register, else -1. */
int gobin_code__reg_op(const struct gobin_code *c, size_t i, int k);
/* The register instruction i writes as its destination (x86-64: the first of two operands,
 * when it is a register; arm64: the first operand), or -1. */
int gobin_code__dest_reg(const struct gobin_code *c, size_t i);

bool gobin_code__is_ret(const struct gobin_code *c, size_t i);
bool gobin_code__is_nop(const struct gobin_code *c, size_t i);
/* A conditional branch (x86-64 jcc, jrcxz, loop; arm64 b.cond, cbz, tbz and their negations). */
bool gobin_code__is_cond_branch(const struct gobin_code *c, size_t i);
/* A direct call (x86-64 `call rel32`, arm64 `bl`): true with its target in *target. */
bool gobin_code__call(const struct gobin_code *c, size_t i, uint64_t *target);
/* Whether the kernel emulates instruction i when a uprobe sits on it (x86-64: push, call
 * rel32, jmp, jcc, the standard nops; arm64: branches and pc-relative address loads): one
 * trap, against two for an instruction it single-steps out of line. */
bool gobin_code__emulated(const struct gobin_code *c, size_t i);

/* The link-time address of the global that memory operand k of instruction i refers to
 * (x86-64 [rip + X]; arm64 [xN, #o] right after `adrp xN, P`, or [xN] right after `adrp xN, P;
 * add xN, xN, #lo`), with the access size in *size
 * when size is not NULL; 0 when operand k is not such a reference. */
uint64_t gobin_code__global(const struct gobin_code *c, size_t i, int k, unsigned int *size);
/* The link-time address of a global that instruction i puts in its destination register
 * (x86-64 `lea r, [rip + X]`; arm64 `adr`, or `add xD, xN, #o` right after `adrp xN, P`), or 0. */
uint64_t gobin_code__global_addr(const struct gobin_code *c, size_t i);

/*
 * A compare-and-swap of a 32-bit word at displacement disp from an object (g.atomicstatus in
 * a g), and the instruction where a probe sees its outcome: the flags say whether the exchange
 * happened, and registers hold the object, the old and the new word.
 */
struct gobin_cas_site {
	size_t at;	   /* the instruction to probe */
	int base;	   /* register holding the object's address plus base_adj */
	uint32_t base_adj; /* 0, or disp when only the word's own address survives */
	int old_reg;	   /* register holding the old word when the exchange happened */
	int new_reg;	   /* register holding the new word, or -1 (then read the word) */
	bool ok_zf;	   /* the exchange happened when ZF is 1 (else when it is 0) */
};

/* The CAS sites on a 32-bit word at [object + disp] in c (x86-64: `lock cmpxchg`; arm64: the
 * casal and ldaxr/stlxr paths Go emits for each), at most max into out; returns how many.
 * Registers above 15 are never used (bpf/goabi.h go_regs). */
int gobin_code__cas32_sites(const struct gobin_code *c, int32_t disp, struct gobin_cas_site *out,
			    size_t max);

/* The size of the frame c's prologue allocates (x86-64 `sub rsp, N` after `push rbp`; arm64
 * `str x30, [sp, #-N]!`), 0 for a frame pointer alone, -1 when not found. */
int64_t gobin_code__frame_size(const struct gobin_code *c);
/* The register number of integer argument arg (0-based, ABIInternal order), or -1. */
int gobin_code__arg_reg(const struct gobin_code *c, int arg);
/* Whether instruction i stores argument register arg to that argument's spill slot, in the
 * caller's outgoing argument area (x86-64 [rsp + frame + 16 + 8 * arg]; arm64 [sp + frame + 8 +
 * 8 * arg]), frame being gobin_code__frame_size(). Seen from the function's frame pointer
 * fp once the frame is set up, the slot is at fp + 16 + 8 * arg on x86-64 and at [fp] + 16 +
 * 8 * arg on arm64 (bpf/goabi.h GO_ARG_SPILL). */
bool gobin_code__spills_arg(const struct gobin_code *c, size_t i, int64_t frame, int arg);

/* The link-time address of a 32-bit global that instruction i increments by one (x86-64 `inc
 * dword [rip + X]`, `add dword [rip + X], 1`; arm64 the `str` of `ldr w, [X]; add w, w, #1;
 * str w, [X]`), or 0. */
uint64_t gobin_code__global_inc32(const struct gobin_code *c, size_t i);
/* Whether instruction i stores zero to memory (x86-64 `mov [m], 0`; arm64 `str xzr, [m]`). */
bool gobin_code__stores_zero(const struct gobin_code *c, size_t i);
/* The register (number) holding the address instruction i stores to atomically without a
 * displacement (x86-64 `xchg [r], r2`; arm64 `stlr r2, [r]`), or -1. */
int gobin_code__atomic_store_base(const struct gobin_code *c, size_t i);

/* The x86-64 detail of instruction i, or NULL when c is not x86-64 code. */
const cs_x86 *gobin_code__x86(const struct gobin_code *c, size_t i);

/*
 * Whether instruction `spill` stores register `reg` as it was at the function's entry, and is
 * executed on every path from the entry to instruction `site`: no path from the entry reaches
 * site without passing spill, and no instruction on a path from the entry to spill (restarts
 * at the entry, as after morestack, excepted) writes reg or calls anything. Built on the
 * control flow of the decoded function (direct branches; an indirect one ends a path).
 * Conservative: false when unsure.
 */
bool gobin_code__entry_reg_stored_before(const struct gobin_code *c, size_t spill, int reg,
					 size_t site);

#endif /* XG_GOBIN_DISASM_H */
