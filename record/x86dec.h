/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A Go function's machine code decoded with capstone (x86-64), for probe placement
 * (record/plan.c) and for finding runtime variables in stripped binaries (record/globals.c).
 */
#ifndef XG_RECORD_X86DEC_H
#define XG_RECORD_X86DEC_H

#include <capstone/capstone.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gobin/gobin.h"

struct rec_x86 {
	csh h;
	cs_insn *insn; /* with details */
	size_t n;
};

/* Decodes f (linear sweep over its f->size bytes). 0 or -errno with a message; on success
 * rec_x86__free() must follow. */
int rec_x86__decode(const struct gobin *b, const struct gobin_func *f, struct rec_x86 *d);
/* Decodes len bytes of code that sit at address addr. 0 or -errno. */
int rec_x86__decode_bytes(const uint8_t *code, size_t len, uint64_t addr, struct rec_x86 *d);
/* NULL-safe on a zeroed or freed d. */
void rec_x86__free(struct rec_x86 *d);

/* x86 register number (RAX=0, RCX=1, RDX=2, RBX=3, RSP=4, RBP=5, RSI=6, RDI=7, R8..R15 =
 * 8..15, as bpf/goabi.h go_regs) of a capstone register of any width, or -1. */
int rec_x86__regnum(unsigned int reg);

/* The address a RIP-relative memory operand of in refers to, or 0 when op is not one. */
uint64_t rec_x86__rip_target(const cs_insn *in, const cs_x86_op *op);

/* The index of the instruction at addr, or -1. */
long rec_x86__index(const struct rec_x86 *d, uint64_t addr);

/*
 * Whether instruction `spill` stores register `reg` (x86 number) as it was at the function's
 * entry, and is executed on every path from the entry to instruction `site`: no path from the
 * entry reaches site without passing spill, and no instruction on a path from the entry to
 * spill (restarts at the entry, as after morestack, excepted) writes reg or calls anything.
 * Built on the control flow of the decoded function (direct jumps; an indirect jump ends a
 * path). Conservative: false when unsure.
 */
bool rec_x86__entry_reg_stored_before(const struct rec_x86 *d, size_t spill, int reg, size_t site);

#endif /* XG_RECORD_X86DEC_H */
