// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Instruction decoding (gobin/disasm.h), and the analyses gobin/ makes of it: probe placement,
 * the direct calls of a function, how a wrapper finds the function it calls through its
 * closure.
 *
 * Probe placement: a linear sweep of a function finds every RET and the stack-check prologue,
 * and picks the instruction to put the uprobe on. Why it matters: the kernel emulates a few
 * instructions (push reg, call rel32, jmp, jcc, the standard nops) in one trap; everything else is
 * copied out of line and single-stepped, a second trap that costs several times more (measured with
 * `make bench`, record.bench). A Go function with a stack check starts `cmp rsp, [r14+0x10]; jbe
 * morestack` (single-stepped cmp) and reaches `push rbp` right after, with the argument registers
 * still intact, and a probe there does not fire again when the function restarts after growing its
 * stack. arm64 follows the same rules (its RET is `ret`, its prologue `ldr x16, [x28, #16]; cmp sp,
 * x16; b.ls`) but is not tested here.
 *
 * Everything that differs between architectures is in struct gobin_arch_ops, one entry per
 * architecture in arch_ops[].
 */
#include <capstone/capstone.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gobin/disasm.h"
#include "gobin/internal.h"
#include "util/err.h"

#define PROLOGUE_WINDOW                                                                            \
	16 /* the stack check, or arm64's frame setup and argument spills,                         \
	    * are within the first instructions */
#define MAX_FUNC_SIZE	(64u << 20) /* what the analyses below sweep */
#define MAX_DECODE_SIZE (16u << 20) /* what gobin_code__decode_func() keeps in memory */

/* How control leaves an instruction. */
enum flow {
	FLOW_NEXT, /* to the next instruction (calls included) */
	FLOW_END,  /* nowhere in this function: ret, trap */
	FLOW_COND, /* to the target, when direct, or to the next instruction */
	FLOW_JUMP, /* to the target only, when direct */
};

struct gobin_arch_ops {
	const char *name;
	cs_arch cs_arch;
	cs_mode cs_mode;
	unsigned int width;	   /* fixed instruction width in bytes, 0 when variable */
	unsigned int check_branch; /* instructions from the stack check to its branch, at most */
	int (*regnum)(unsigned int reg);
	int (*reg_op)(const cs_insn *in, int k);
	int (*dest_reg)(const cs_insn *in);
	int (*op_count)(const cs_insn *in);
	bool (*is_ret)(const cs_insn *in);
	bool (*is_nop)(const cs_insn *in);
	bool (*is_cond_branch)(csh h, const cs_insn *in);
	bool (*call)(const cs_insn *in, uint64_t *target);
	/* calls anything (a function, the kernel): every register may change */
	bool (*calls)(const cs_insn *in);
	enum flow (*flow)(csh h, const cs_insn *in, uint64_t *target, bool *direct);
	bool (*emulated)(const cs_insn *in);
	/* compares a stack pointer with g.stackguard0 (or, arm64, loads it for that) */
	bool (*stack_check)(const cs_insn *in);
	/* a branch taken when unsigned lower or same (x86 jbe, arm64 b.ls): the stack check's */
	bool (*branch_ls)(const cs_insn *in);
	/* saves the frame pointer, emulated (x86: push rbp) */
	bool (*frame_push)(const cs_insn *in);
	/* part of a frame setup that leaves the arguments and the return address in place, and
	 * is not emulated (arm64: str x30, [sp, #-N]!; stur x29, [sp, #-8]; sub x29, sp, #8);
	 * NULL when the architecture's setup is emulated itself (x86: push rbp) */
	bool (*frame_setup)(csh h, const cs_insn *in);
	/* changes nothing a probe at a function's entry reads (argument registers, g, frame
	 * pointer, return address, stack pointer) and goes on to the next instruction */
	bool (*keeps_entry)(csh h, const cs_insn *in);
	/* prev and prev2 are the instructions before in, or NULL */
	uint64_t (*global)(const cs_insn *prev2, const cs_insn *prev, const cs_insn *in, int k,
			   unsigned int *size);
	uint64_t (*global_addr)(const cs_insn *prev, const cs_insn *in);
	int (*cas32_sites)(const struct gobin_code *c, int32_t disp, struct gobin_cas_site *out,
			   size_t max);
	uint64_t (*global_inc32)(const struct gobin_code *c, size_t i);
	/* the frame the prologue allocates, 0 for a frame pointer alone, -1 when unknown */
	int64_t (*frame_size)(const struct gobin_code *c);
	/* whether in stores register reg to the spill slot of argument arg (0-based) */
	bool (*spills_arg)(const cs_insn *in, int64_t frame, int arg, int reg);
	int nargs;	     /* integer argument registers of ABIInternal */
	const int *arg_regs; /* their numbers, in order */
	bool (*stores_zero)(const cs_insn *in);
	int (*atomic_store_base)(const cs_insn *in);
};

/* --- x86-64 ---------------------------------------------------------------------------------- */

static int x86_regnum(unsigned int r)
{
	static const unsigned int regs[16][5] = {
	    {X86_REG_RAX, X86_REG_EAX, X86_REG_AX, X86_REG_AL, X86_REG_AH},
	    {X86_REG_RCX, X86_REG_ECX, X86_REG_CX, X86_REG_CL, X86_REG_CH},
	    {X86_REG_RDX, X86_REG_EDX, X86_REG_DX, X86_REG_DL, X86_REG_DH},
	    {X86_REG_RBX, X86_REG_EBX, X86_REG_BX, X86_REG_BL, X86_REG_BH},
	    {X86_REG_RSP, X86_REG_ESP, X86_REG_SP, X86_REG_SPL},
	    {X86_REG_RBP, X86_REG_EBP, X86_REG_BP, X86_REG_BPL},
	    {X86_REG_RSI, X86_REG_ESI, X86_REG_SI, X86_REG_SIL},
	    {X86_REG_RDI, X86_REG_EDI, X86_REG_DI, X86_REG_DIL},
	    {X86_REG_R8, X86_REG_R8D, X86_REG_R8W, X86_REG_R8B},
	    {X86_REG_R9, X86_REG_R9D, X86_REG_R9W, X86_REG_R9B},
	    {X86_REG_R10, X86_REG_R10D, X86_REG_R10W, X86_REG_R10B},
	    {X86_REG_R11, X86_REG_R11D, X86_REG_R11W, X86_REG_R11B},
	    {X86_REG_R12, X86_REG_R12D, X86_REG_R12W, X86_REG_R12B},
	    {X86_REG_R13, X86_REG_R13D, X86_REG_R13W, X86_REG_R13B},
	    {X86_REG_R14, X86_REG_R14D, X86_REG_R14W, X86_REG_R14B},
	    {X86_REG_R15, X86_REG_R15D, X86_REG_R15W, X86_REG_R15B},
	};

	if (r == X86_REG_INVALID)
		return -1;
	for (int i = 0; i < 16; i++)
		for (int j = 0; j < 5; j++)
			if (regs[i][j] == r)
				return i;
	return -1;
}

static int x86_reg_op(const cs_insn *in, int k)
{
	const cs_x86 *x = &in->detail->x86;

	if (k < 0 || k >= x->op_count || x->operands[k].type != X86_OP_REG)
		return -1;
	return x86_regnum(x->operands[k].reg);
}

static int x86_dest_reg(const cs_insn *in)
{
	return in->detail->x86.op_count == 2 ? x86_reg_op(in, 0) : -1;
}

static int x86_op_count(const cs_insn *in)
{
	return in->detail->x86.op_count;
}

/* The kernel's x86_nops[] (arch/x86/include/asm/nops.h, 64-bit), emulated by branch_xol_ops. */
static const uint8_t x86_nops[][8] = {
    {0x90},
    {0x66, 0x90},
    {0x0f, 0x1f, 0x00},
    {0x0f, 0x1f, 0x40, 0x00},
    {0x0f, 0x1f, 0x44, 0x00, 0x00},
    {0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00},
    {0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00},
    {0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
};

/* arch/x86/kernel/uprobes.c: branch_setup_xol_ops() and push_setup_xol_ops() */
static bool x86_emulated(const cs_insn *in)
{
	const uint8_t *b = in->bytes;
	size_t len = in->size;

	if (len >= 1 && len <= 8 && !memcmp(b, x86_nops[len - 1], len))
		return true;
	if (len == 1 && b[0] >= 0x50 && b[0] <= 0x57) /* push r64 */
		return true;
	if (len == 2 && b[0] == 0x41 && b[1] >= 0x50 && b[1] <= 0x57) /* push r8..r15 */
		return true;
	switch (b[0]) {
	case 0xeb: /* jmp rel8 */
		return len == 2;
	case 0xe9: /* jmp rel32 */
	case 0xe8: /* call rel32 */
		return len == 5;
	case 0x0f: /* jcc rel32 */
		return len == 6 && b[1] >= 0x80 && b[1] <= 0x8f;
	default: /* jcc rel8 */
		return len == 2 && b[0] >= 0x70 && b[0] <= 0x7f;
	}
}

static bool x86_is_ret(const cs_insn *in)
{
	return in->id == X86_INS_RET;
}

static bool x86_is_nop(const cs_insn *in)
{
	return in->id == X86_INS_NOP;
}

static bool x86_is_cond_branch(csh h, const cs_insn *in)
{
	return cs_insn_group(h, in, X86_GRP_JUMP) && in->id != X86_INS_JMP &&
	       in->id != X86_INS_LJMP;
}

static bool x86_call(const cs_insn *in, uint64_t *target)
{
	const cs_x86 *x = &in->detail->x86;

	if (in->id != X86_INS_CALL || x->op_count != 1 || x->operands[0].type != X86_OP_IMM)
		return false;
	*target = (uint64_t)x->operands[0].imm;
	return true;
}

static bool x86_calls(const cs_insn *in)
{
	return in->id == X86_INS_CALL || in->id == X86_INS_SYSCALL;
}

static enum flow x86_flow(csh h, const cs_insn *in, uint64_t *target, bool *direct)
{
	const cs_x86 *x = &in->detail->x86;

	*direct = false;
	if (in->id == X86_INS_RET || in->id == X86_INS_INT3 || in->id == X86_INS_UD2 ||
	    in->id == X86_INS_HLT)
		return FLOW_END;
	if (!cs_insn_group(h, in, X86_GRP_JUMP))
		return FLOW_NEXT;
	if (x->op_count == 1 && x->operands[0].type == X86_OP_IMM) {
		*target = (uint64_t)x->operands[0].imm;
		*direct = true;
	}
	return in->id == X86_INS_JMP || in->id == X86_INS_LJMP ? FLOW_JUMP : FLOW_COND;
}

static bool x86_stack_check(const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;

	/* cmp rsp|r12, qword ptr [r14 + 0x10]: g.stackguard0 (R14 holds g in ABIInternal) */
	return in->id == X86_INS_CMP && x->op_count == 2 && x->operands[0].type == X86_OP_REG &&
	       x->operands[1].type == X86_OP_MEM && x->operands[1].mem.base == X86_REG_R14 &&
	       x->operands[1].mem.index == X86_REG_INVALID && x->operands[1].mem.disp == 0x10 &&
	       x->operands[1].mem.segment == X86_REG_INVALID;
}

static bool x86_branch_ls(const cs_insn *in)
{
	return in->id == X86_INS_JBE;
}

static bool x86_frame_push(const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;

	return in->id == X86_INS_PUSH && x->op_count == 1 && x->operands[0].type == X86_OP_REG &&
	       x->operands[0].reg == X86_REG_RBP;
}

static uint64_t x86_global(const cs_insn *prev2, const cs_insn *prev, const cs_insn *in, int k,
			   unsigned int *size)
{
	const cs_x86 *x = &in->detail->x86;
	const cs_x86_op *op;

	(void)prev2;
	(void)prev;
	if (k < 0 || k >= x->op_count)
		return 0;
	op = &x->operands[k];
	if (op->type != X86_OP_MEM || op->mem.base != X86_REG_RIP ||
	    op->mem.index != X86_REG_INVALID || op->mem.segment != X86_REG_INVALID)
		return 0;
	if (size)
		*size = op->size;
	return in->address + in->size + (uint64_t)op->mem.disp;
}

static uint64_t x86_global_addr(const cs_insn *prev, const cs_insn *in)
{
	if (in->id != X86_INS_LEA || x86_dest_reg(in) < 0)
		return 0;
	return x86_global(NULL, prev, in, 1, NULL);
}

/* mov [mem], 0 */
static bool x86_stores_zero(const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;

	return in->id == X86_INS_MOV && x->op_count == 2 && x->operands[0].type == X86_OP_MEM &&
	       x->operands[1].type == X86_OP_IMM && x->operands[1].imm == 0;
}

/* xchg [r], r2 */
static int x86_atomic_store_base(const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;

	if (in->id != X86_INS_XCHG)
		return -1;
	for (int k = 0; k < x->op_count; k++)
		if (x->operands[k].type == X86_OP_MEM && x->operands[k].mem.disp == 0 &&
		    x->operands[k].mem.index == X86_REG_INVALID &&
		    x->operands[k].mem.segment == X86_REG_INVALID)
			return x86_regnum(x->operands[k].mem.base);
	return -1;
}

/* RAX, RBX, RCX, RDI, RSI, R8, R9, R10, R11 */
static const int x86_arg_regs[] = {0, 3, 1, 7, 6, 8, 9, 10, 11};

/* `sub rsp, N` after `push rbp` (and `mov rbp, rsp`) */
static int64_t x86_frame_size(const struct gobin_code *c)
{
	bool pushed = false;

	for (size_t i = 0; i < c->n && i < 12; i++) {
		const cs_insn *in = &c->insn[i];
		const cs_x86 *x = &in->detail->x86;

		if (x86_frame_push(in))
			pushed = true;
		else if (pushed && in->id == X86_INS_SUB && x->op_count == 2 &&
			 x->operands[0].type == X86_OP_REG && x->operands[0].reg == X86_REG_RSP &&
			 x->operands[1].type == X86_OP_IMM)
			return x->operands[1].imm;
	}
	return pushed ? 0 : -1;
}

/* mov [rsp + frame + 16 + 8 * arg], reg: above the saved rbp and the return address */
static bool x86_spills_arg(const cs_insn *in, int64_t frame, int arg, int reg)
{
	const cs_x86 *x = &in->detail->x86;

	return in->id == X86_INS_MOV && x->op_count == 2 && x->operands[0].type == X86_OP_MEM &&
	       x->operands[0].mem.base == X86_REG_RSP &&
	       x->operands[0].mem.index == X86_REG_INVALID &&
	       x->operands[0].mem.segment == X86_REG_INVALID &&
	       x->operands[0].mem.disp == frame + 16 + 8 * arg && x->operands[0].size == 8 &&
	       x->operands[1].type == X86_OP_REG && x86_regnum(x->operands[1].reg) == reg;
}

/* --- arm64 ------------------------------------------------------------------------------------ */

/* arm64 words capstone 4 does not decode, or decodes without the fields needed here */
#define A64_CAS32(w)   (((w)&0xffa07c00u) == 0x88a07c00u) /* cas{,a,l,al} ws, wt, [xn] */
#define A64_LDAXR32(w) (((w)&0xfffffc00u) == 0x885ffc00u) /* ldaxr wt, [xn] */
#define A64_STLXR32(w) (((w)&0xffe0fc00u) == 0x8800fc00u) /* stlxr ws, wt, [xn] */
#define A64_RS(w)      ((int)(((w) >> 16) & 31))
#define A64_RN(w)      ((int)(((w) >> 5) & 31))
#define A64_RT(w)      ((int)((w)&31))

/* A word capstone does not know (e.g. ARMv8.1 atomics such as casal in capstone 4) is kept as
 * an instruction with id 0 and no operands: it is none of the kinds asked about. */

static uint32_t arm64_word(const cs_insn *in)
{
	uint32_t w;

	memcpy(&w, in->bytes, 4);
	return w;
}

static int arm64_regnum(unsigned int r)
{
	if (r >= ARM64_REG_X0 && r <= ARM64_REG_X28)
		return (int)(r - ARM64_REG_X0);
	if (r >= ARM64_REG_W0 && r <= ARM64_REG_W30)
		return (int)(r - ARM64_REG_W0);
	if (r == ARM64_REG_X29 || r == ARM64_REG_X30)
		return r == ARM64_REG_X29 ? 29 : 30;
	if (r == ARM64_REG_SP || r == ARM64_REG_WSP)
		return 31;
	return -1;
}

static int arm64_reg_op(const cs_insn *in, int k)
{
	const cs_arm64 *a = &in->detail->arm64;

	if (k < 0 || k >= a->op_count || a->operands[k].type != ARM64_OP_REG)
		return -1;
	return arm64_regnum(a->operands[k].reg);
}

static int arm64_dest_reg(const cs_insn *in)
{
	return arm64_reg_op(in, 0);
}

static int arm64_op_count(const cs_insn *in)
{
	return in->detail->arm64.op_count;
}

/* arch/arm64/kernel/probes/decode-insn.c simulates branches and pc-relative address loads. */
static bool arm64_emulated(const cs_insn *in)
{
	uint32_t w = arm64_word(in);

	if (!in->id)
		return false;
	return (w & 0x7c000000) == 0x14000000 || /* b, bl */
	       (w & 0xff000010) == 0x54000000 || /* b.cond */
	       (w & 0x7e000000) == 0x34000000 || /* cbz, cbnz */
	       (w & 0x7e000000) == 0x36000000 || /* tbz, tbnz */
	       (w & 0xfffffc1f) == 0xd61f0000 || /* br */
	       (w & 0xfffffc1f) == 0xd63f0000 || /* blr */
	       (w & 0xfffffc1f) == 0xd65f0000 || /* ret */
	       (w & 0x1f000000) == 0x10000000 || /* adr, adrp */
	       (w & 0xbf000000) == 0x18000000 || /* ldr (literal) */
	       (w & 0xff000000) == 0x98000000;	 /* ldrsw (literal) */
}

static bool arm64_is_ret(const cs_insn *in)
{
	return in->id && (arm64_word(in) & 0xfffffc1f) == 0xd65f0000;
}

static bool arm64_is_nop(const cs_insn *in)
{
	return in->id == ARM64_INS_NOP;
}

static bool arm64_is_b_cond(const cs_insn *in)
{
	return in->id && (arm64_word(in) & 0xff000010) == 0x54000000;
}

static bool arm64_is_cond_branch(csh h, const cs_insn *in)
{
	(void)h;
	return arm64_is_b_cond(in) || in->id == ARM64_INS_CBZ || in->id == ARM64_INS_CBNZ ||
	       in->id == ARM64_INS_TBZ || in->id == ARM64_INS_TBNZ;
}

static bool arm64_call(const cs_insn *in, uint64_t *target)
{
	/* BL imm26 is 100101 imm26, the target pc + imm26 * 4 */
	uint32_t w = arm64_word(in);
	int64_t imm;

	if (!in->id || (w & 0xfc000000u) != 0x94000000u)
		return false;
	imm = (int64_t)(w & 0x03ffffffu);
	if (imm & 0x02000000)
		imm -= 0x04000000;
	*target = in->address + (uint64_t)(imm * 4);
	return true;
}

static bool arm64_calls(const cs_insn *in)
{
	return in->id == ARM64_INS_BL || in->id == ARM64_INS_BLR || in->id == ARM64_INS_SVC;
}

static enum flow arm64_flow(csh h, const cs_insn *in, uint64_t *target, bool *direct)
{
	const cs_arm64 *a = &in->detail->arm64;
	bool cond = arm64_is_cond_branch(h, in);

	*direct = false;
	if (in->id == ARM64_INS_RET || in->id == ARM64_INS_BRK || in->id == ARM64_INS_HLT)
		return FLOW_END;
	if (!cond && in->id != ARM64_INS_B && in->id != ARM64_INS_BR)
		return FLOW_NEXT;
	/* the target is the last operand of b, b.cond, cbz and tbz */
	if (a->op_count && a->operands[a->op_count - 1].type == ARM64_OP_IMM) {
		*target = (uint64_t)a->operands[a->op_count - 1].imm;
		*direct = true;
	}
	return cond ? FLOW_COND : FLOW_JUMP;
}

static bool arm64_stack_check(const cs_insn *in)
{
	const cs_arm64 *a = &in->detail->arm64;

	/* ldr x16, [x28, #16]: loads g.stackguard0; the cmp with sp and b.ls follow */
	return in->id == ARM64_INS_LDR && a->op_count == 2 && a->operands[1].type == ARM64_OP_MEM &&
	       a->operands[1].mem.base == ARM64_REG_X28 && a->operands[1].mem.disp == 16;
}

static bool arm64_branch_ls(const cs_insn *in)
{
	return in->id && (arm64_word(in) & 0xff00001fu) == 0x54000009u; /* b.cond, cond LS */
}

static bool arm64_frame_push(const cs_insn *in)
{
	(void)in;
	return false; /* the frame record store is not emulated on arm64 */
}

static bool arm64_frame_setup(csh h, const cs_insn *in)
{
	const cs_arm64 *a = &in->detail->arm64;
	const cs_arm64_op *m;

	(void)h;
	if (a->op_count == 3 && in->id == ARM64_INS_SUB) /* sub x29, sp, #8 */
		return a->operands[0].type == ARM64_OP_REG && a->operands[0].reg == ARM64_REG_X29 &&
		       a->operands[1].type == ARM64_OP_REG && a->operands[1].reg == ARM64_REG_SP &&
		       a->operands[2].type == ARM64_OP_IMM && a->operands[2].imm == 8;
	if (a->op_count != 2 || a->operands[0].type != ARM64_OP_REG ||
	    a->operands[1].type != ARM64_OP_MEM)
		return false;
	m = &a->operands[1];
	if (m->mem.base != ARM64_REG_SP || m->mem.index != ARM64_REG_INVALID)
		return false;
	if (in->id == ARM64_INS_STR) /* str x30, [sp, #-N]! */
		return a->operands[0].reg == ARM64_REG_X30 && a->writeback && m->mem.disp < 0;
	/* stur x29, [sp, #-8] */
	return in->id == ARM64_INS_STUR && a->operands[0].reg == ARM64_REG_X29 &&
	       m->mem.disp == -8 && !a->writeback;
}

static bool arm64_keeps_entry(csh h, const cs_insn *in)
{
	cs_regs rd, wr;
	uint8_t nrd = 0, nwr = 0;

	if (!in->id || arm64_calls(in) || arm64_is_cond_branch(h, in) || in->id == ARM64_INS_B ||
	    in->id == ARM64_INS_BR || in->id == ARM64_INS_RET || in->detail->arm64.writeback)
		return false;
	if (cs_regs_access(h, in, rd, &nrd, wr, &nwr) != CS_ERR_OK)
		return false;
	for (uint8_t i = 0; i < nwr; i++) {
		int r = arm64_regnum(wr[i]);

		if ((r >= 0 && r <= 15) || r >= 28 || wr[i] == ARM64_REG_SP)
			return false;
	}
	return true;
}

/* The page `adrp reg, page` at prev puts in reg, or 0. */
static uint64_t arm64_adrp_page(const cs_insn *prev, unsigned int reg)
{
	const cs_arm64 *a;

	if (!prev || prev->id != ARM64_INS_ADRP)
		return 0;
	a = &prev->detail->arm64;
	if (a->op_count != 2 || a->operands[0].type != ARM64_OP_REG || a->operands[0].reg != reg ||
	    a->operands[1].type != ARM64_OP_IMM)
		return 0;
	return (uint64_t)a->operands[1].imm;
}

/* The access size of a load or store of a general register (the size field of the
 * unsigned-offset, unscaled, pre- and post-index and acquire/release forms), else 8 or 4 by the
 * width of its register operand. */
static unsigned int arm64_access_size(const cs_insn *in)
{
	uint32_t w = arm64_word(in);
	const cs_arm64 *a = &in->detail->arm64;

	if ((w & 0x3b000000u) == 0x39000000u || (w & 0x3b200000u) == 0x38000000u ||
	    (w & 0x3f000000u) == 0x08000000u)
		return 1u << (w >> 30);
	return a->operands[0].type == ARM64_OP_REG && a->operands[0].reg >= ARM64_REG_W0 &&
		       a->operands[0].reg <= ARM64_REG_W30
		   ? 4
		   : 8;
}

static uint64_t arm64_global(const cs_insn *prev2, const cs_insn *prev, const cs_insn *in, int k,
			     unsigned int *size)
{
	const cs_arm64 *a = &in->detail->arm64;
	const cs_arm64_op *op;
	uint64_t page;

	if (k < 0 || k >= a->op_count)
		return 0;
	op = &a->operands[k];
	if (op->type != ARM64_OP_MEM || op->mem.index != ARM64_REG_INVALID)
		return 0;
	page = arm64_adrp_page(prev, op->mem.base);
	/* adrp xB, page; add xB, xB, #lo; ldar/stlr w, [xB] (no immediate offset there) */
	if (!page && prev && prev2 && prev->id == ARM64_INS_ADD &&
	    prev->detail->arm64.op_count == 3 &&
	    prev->detail->arm64.operands[0].reg == op->mem.base &&
	    prev->detail->arm64.operands[2].type == ARM64_OP_IMM) {
		page = arm64_adrp_page(prev2, prev->detail->arm64.operands[1].reg);
		if (page)
			page += (uint64_t)prev->detail->arm64.operands[2].imm;
	}
	if (!page)
		return 0;
	if (size)
		*size = arm64_access_size(in);
	return page + (uint64_t)(int64_t)op->mem.disp;
}

static uint64_t arm64_global_addr(const cs_insn *prev, const cs_insn *in)
{
	const cs_arm64 *a = &in->detail->arm64;
	uint64_t page;

	if (in->id == ARM64_INS_ADR && a->op_count == 2 && a->operands[1].type == ARM64_OP_IMM)
		return (uint64_t)a->operands[1].imm;
	if (in->id != ARM64_INS_ADD || a->op_count != 3 || a->operands[1].type != ARM64_OP_REG ||
	    a->operands[2].type != ARM64_OP_IMM)
		return 0;
	page = arm64_adrp_page(prev, a->operands[1].reg);
	return page ? page + (uint64_t)a->operands[2].imm : 0;
}

static int x86_cas32_sites(const struct gobin_code *c, int32_t disp, struct gobin_cas_site *out,
			   size_t max);
static uint64_t x86_global_inc32(const struct gobin_code *c, size_t i);
static uint64_t arm64_global_inc32(const struct gobin_code *c, size_t i);
static int arm64_cas32_sites(const struct gobin_code *c, int32_t disp, struct gobin_cas_site *out,
			     size_t max);

/* str xzr|wzr, [mem] */
static bool arm64_stores_zero(const cs_insn *in)
{
	const cs_arm64 *a = &in->detail->arm64;

	return (in->id == ARM64_INS_STR || in->id == ARM64_INS_STUR) && a->op_count == 2 &&
	       a->operands[0].type == ARM64_OP_REG &&
	       (a->operands[0].reg == ARM64_REG_XZR || a->operands[0].reg == ARM64_REG_WZR);
}

/* stlr r2, [r] */
static int arm64_atomic_store_base(const cs_insn *in)
{
	uint32_t w = arm64_word(in);

	/* stlr: size 1x, 001000 1 0 0 11111 1 11111 Rn Rt */
	if (!in->id || (w & 0xbffffc00u) != 0x889ffc00u)
		return -1;
	return A64_RN(w);
}

static const int arm64_arg_regs[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

/* `str x30, [sp, #-N]!` (after the stack check) */
static int64_t arm64_frame_size(const struct gobin_code *c)
{
	for (size_t i = 0; i < c->n && i < 8; i++) {
		const cs_insn *in = &c->insn[i];
		const cs_arm64 *a = &in->detail->arm64;

		if (in->id == ARM64_INS_STR && arm64_frame_setup(c->h, in))
			return -a->operands[1].mem.disp;
	}
	return -1;
}

/* str xR, [sp, #frame + 8 + 8 * arg]: the caller's outgoing argument area, above the word at
 * the caller's sp */
static bool arm64_spills_arg(const cs_insn *in, int64_t frame, int arg, int reg)
{
	const cs_arm64 *a = &in->detail->arm64;

	return in->id == ARM64_INS_STR && a->op_count == 2 && a->operands[0].type == ARM64_OP_REG &&
	       a->operands[0].reg == (unsigned int)(ARM64_REG_X0 + reg) &&
	       a->operands[1].type == ARM64_OP_MEM && a->operands[1].mem.base == ARM64_REG_SP &&
	       a->operands[1].mem.index == ARM64_REG_INVALID && !a->writeback &&
	       a->operands[1].mem.disp == frame + 8 + 8 * arg;
}

static const struct gobin_arch_ops arch_ops[] = {
    [GOBIN_ARCH_X86_64] =
	{
	    .name = "x86-64",
	    .cs_arch = CS_ARCH_X86,
	    .cs_mode = CS_MODE_64,
	    .width = 0,
	    .check_branch = 1, /* cmp; jbe */
	    .regnum = x86_regnum,
	    .reg_op = x86_reg_op,
	    .dest_reg = x86_dest_reg,
	    .op_count = x86_op_count,
	    .is_ret = x86_is_ret,
	    .is_nop = x86_is_nop,
	    .is_cond_branch = x86_is_cond_branch,
	    .call = x86_call,
	    .calls = x86_calls,
	    .flow = x86_flow,
	    .emulated = x86_emulated,
	    .stack_check = x86_stack_check,
	    .frame_push = x86_frame_push,
	    .branch_ls = x86_branch_ls,
	    .global = x86_global,
	    .global_addr = x86_global_addr,
	    .cas32_sites = x86_cas32_sites,
	    .global_inc32 = x86_global_inc32,
	    .frame_size = x86_frame_size,
	    .spills_arg = x86_spills_arg,
	    .nargs = 9,
	    .arg_regs = x86_arg_regs,
	    .stores_zero = x86_stores_zero,
	    .atomic_store_base = x86_atomic_store_base,
	},
    [GOBIN_ARCH_ARM64] =
	{
	    .name = "arm64",
	    .cs_arch = CS_ARCH_ARM64,
	    .cs_mode = CS_MODE_ARM,
	    .width = 4,
	    .check_branch = 3, /* ldr; [sub;] cmp; b.ls */
	    .regnum = arm64_regnum,
	    .reg_op = arm64_reg_op,
	    .dest_reg = arm64_dest_reg,
	    .op_count = arm64_op_count,
	    .is_ret = arm64_is_ret,
	    .is_nop = arm64_is_nop,
	    .is_cond_branch = arm64_is_cond_branch,
	    .call = arm64_call,
	    .calls = arm64_calls,
	    .flow = arm64_flow,
	    .emulated = arm64_emulated,
	    .stack_check = arm64_stack_check,
	    .frame_push = arm64_frame_push,
	    .branch_ls = arm64_branch_ls,
	    .frame_setup = arm64_frame_setup,
	    .keeps_entry = arm64_keeps_entry,
	    .global = arm64_global,
	    .global_addr = arm64_global_addr,
	    .cas32_sites = arm64_cas32_sites,
	    .global_inc32 = arm64_global_inc32,
	    .frame_size = arm64_frame_size,
	    .spills_arg = arm64_spills_arg,
	    .nargs = 16,
	    .arg_regs = arm64_arg_regs,
	    .stores_zero = arm64_stores_zero,
	    .atomic_store_base = arm64_atomic_store_base,
	},
};

static const struct gobin_arch_ops *arch_ops_of(enum gobin_arch arch)
{
	return (unsigned int)arch < sizeof(arch_ops) / sizeof(arch_ops[0]) ? &arch_ops[arch] : NULL;
}

/* --- the sweep ------------------------------------------------------------------------------- */

/* A linear sweep over code, one instruction at a time, in constant memory. */
struct sweep {
	const struct gobin_arch_ops *ops;
	csh h;
	cs_insn *in;	/* capstone's, with details */
	cs_insn word;	/* a fixed-width word capstone does not know */
	cs_detail none; /* its (empty) details */
	const uint8_t *p;
	size_t left;
	uint64_t addr;
};

/* 0, or -EINVAL (unknown architecture) or -ENOMEM with a message. sweep_close() must follow. */
static int sweep_open(struct sweep *s, enum gobin_arch arch, const uint8_t *code, size_t len,
		      uint64_t addr)
{
	memset(s, 0, sizeof(*s));
	s->ops = arch_ops_of(arch);
	if (!s->ops)
		return xg_error(-EINVAL, "unknown architecture %d", (int)arch);
	if (cs_open(s->ops->cs_arch, s->ops->cs_mode, &s->h) != CS_ERR_OK) {
		s->h = 0;
		return xg_error(-ENOMEM, "capstone: cannot open an %s decoder", s->ops->name);
	}
	cs_option(s->h, CS_OPT_DETAIL, CS_OPT_ON);
	s->in = cs_malloc(s->h);
	if (!s->in)
		return xg_error(-ENOMEM, "capstone: out of memory");
	s->p = code;
	s->left = len;
	s->addr = addr;
	return 0;
}

/* The next instruction, valid until the next call; NULL at the end, or (s->left > 0) at bytes
 * that do not decode as an instruction of a variable-width architecture or that are shorter
 * than a fixed-width one's. */
static const cs_insn *sweep_next(struct sweep *s)
{
	unsigned int w = s->ops->width;

	if (!s->left)
		return NULL;
	if (cs_disasm_iter(s->h, &s->p, &s->left, &s->addr, s->in))
		return s->in;
	if (!w || s->left < w)
		return NULL;
	memset(&s->word, 0, sizeof(s->word));
	s->word.address = s->addr;
	s->word.size = (uint16_t)w;
	memcpy(s->word.bytes, s->p, w);
	snprintf(s->word.mnemonic, sizeof(s->word.mnemonic), ".word");
	snprintf(s->word.op_str, sizeof(s->word.op_str), "0x%02x%02x%02x%02x", s->p[3], s->p[2],
		 s->p[1], s->p[0]);
	s->word.detail = &s->none;
	s->p += w;
	s->left -= w;
	s->addr += w;
	return &s->word;
}

static void sweep_close(struct sweep *s)
{
	if (s->in)
		cs_free(s->in, 1);
	if (s->h)
		cs_close(&s->h);
	s->in = NULL;
}

/* --- decoded code ----------------------------------------------------------------------------- */

static int code_push(struct gobin_code *c, const cs_insn *in)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		cs_insn *ni = realloc(c->insn, cap * sizeof(*ni));
		cs_detail *nd;

		if (!ni)
			return -ENOMEM;
		c->insn = ni;
		nd = realloc(c->details, cap * sizeof(*nd));
		if (!nd)
			return -ENOMEM;
		c->details = nd;
		c->cap = cap;
	}
	c->insn[c->n] = *in;
	c->details[c->n] = *in->detail;
	c->n++;
	return 0;
}

int gobin_code__decode(struct gobin_code *c, enum gobin_arch arch, const uint8_t *code, size_t len,
		       uint64_t addr)
{
	const cs_insn *in;
	struct sweep s;
	int err;

	memset(c, 0, sizeof(*c));
	err = sweep_open(&s, arch, code, len, addr);
	if (err)
		goto out;
	c->arch = arch;
	c->ops = s.ops;
	while ((in = sweep_next(&s))) {
		err = code_push(c, in);
		if (err) {
			err = xg_error(err, "capstone: out of memory");
			goto out;
		}
	}
	c->swept = len - s.left;
	for (size_t i = 0; i < c->n; i++)
		c->insn[i].detail = &c->details[i];
	/* the handle stays open for the group and register queries */
	c->h = s.h;
	s.h = 0;
out:
	sweep_close(&s);
	if (err)
		gobin_code__free(c);
	return err;
}

int gobin_code__decode_func(struct gobin_code *c, const struct gobin *b, const struct gobin_func *f)
{
	uint8_t *buf = NULL;
	int err;

	memset(c, 0, sizeof(*c));
	if (!f->size || f->size > MAX_DECODE_SIZE)
		return xg_error(-EINVAL, "%s: implausible size %llu", f->name,
				(unsigned long long)f->size);
	buf = malloc(f->size);
	if (!buf)
		return -ENOMEM;
	err = gobin__read_vaddr(b, f->addr, buf, f->size);
	if (err)
		err = xg_error(err, "%s: cannot read its code", f->name);
	else
		err = gobin_code__decode(c, gobin__arch(b), buf, f->size, f->addr);
	free(buf);
	return err;
}

void gobin_code__free(struct gobin_code *c)
{
	if (!c)
		return;
	free(c->insn);
	free(c->details);
	if (c->h)
		cs_close(&c->h);
	memset(c, 0, sizeof(*c));
}

long gobin_code__index(const struct gobin_code *c, uint64_t addr)
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->insn[mid].address < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < c->n && c->insn[lo].address == addr ? (long)lo : -1;
}

int gobin_code__regnum(const struct gobin_code *c, unsigned int reg)
{
	return c->ops->regnum(reg);
}

int gobin_code__op_count(const struct gobin_code *c, size_t i)
{
	return c->ops->op_count(&c->insn[i]);
}

int gobin_code__reg_op(const struct gobin_code *c, size_t i, int k)
{
	return c->ops->reg_op(&c->insn[i], k);
}

int gobin_code__dest_reg(const struct gobin_code *c, size_t i)
{
	return c->ops->dest_reg(&c->insn[i]);
}

bool gobin_code__is_ret(const struct gobin_code *c, size_t i)
{
	return c->ops->is_ret(&c->insn[i]);
}

bool gobin_code__is_nop(const struct gobin_code *c, size_t i)
{
	return c->ops->is_nop(&c->insn[i]);
}

bool gobin_code__is_cond_branch(const struct gobin_code *c, size_t i)
{
	return c->ops->is_cond_branch(c->h, &c->insn[i]);
}

bool gobin_code__call(const struct gobin_code *c, size_t i, uint64_t *target)
{
	return c->ops->call(&c->insn[i], target);
}

bool gobin_code__emulated(const struct gobin_code *c, size_t i)
{
	return c->ops->emulated(&c->insn[i]);
}

uint64_t gobin_code__global(const struct gobin_code *c, size_t i, int k, unsigned int *size)
{
	return c->ops->global(i > 1 ? &c->insn[i - 2] : NULL, i ? &c->insn[i - 1] : NULL,
			      &c->insn[i], k, size);
}

uint64_t gobin_code__global_addr(const struct gobin_code *c, size_t i)
{
	return c->ops->global_addr(i ? &c->insn[i - 1] : NULL, &c->insn[i]);
}

const cs_x86 *gobin_code__x86(const struct gobin_code *c, size_t i)
{
	return c->arch == GOBIN_ARCH_X86_64 ? &c->insn[i].detail->x86 : NULL;
}

/* --- control flow ---------------------------------------------------------------------------- */

/* The successors of instruction i (at most 2) into out; returns how many. */
static int successors(const struct gobin_code *c, size_t i, size_t out[2])
{
	uint64_t target = 0;
	bool direct;
	enum flow fl = c->ops->flow(c->h, &c->insn[i], &target, &direct);
	int n = 0;
	long t;

	if (fl == FLOW_END)
		return 0;
	if (fl != FLOW_NEXT && direct) {
		t = gobin_code__index(c, target);
		if (t >= 0)
			out[n++] = (size_t)t;
	}
	if (fl == FLOW_JUMP)
		return n; /* unconditional; an indirect or outside target ends the path */
	if (i + 1 < c->n)
		out[n++] = i + 1;
	return n;
}

static bool writes_reg(const struct gobin_code *c, const cs_insn *in, int reg)
{
	cs_regs rd, wr;
	uint8_t nrd = 0, nwr = 0;

	if (c->ops->calls(in))
		return true;
	if (cs_regs_access(c->h, in, rd, &nrd, wr, &nwr) != CS_ERR_OK)
		return true;
	for (uint8_t i = 0; i < nwr; i++)
		if (c->ops->regnum(wr[i]) == reg)
			return true;
	return false;
}

bool gobin_code__entry_reg_stored_before(const struct gobin_code *c, size_t spill, int reg,
					 size_t site)
{
	size_t n = c->n, *stack = NULL, *pred = NULL, *pstart = NULL, *fill = NULL, sp = 0, s2[2];
	uint8_t *fwd = NULL, *bwd = NULL;
	bool ok = false;

	if (spill >= n || site >= n || !n)
		return false;
	stack = malloc(n * sizeof(*stack));
	pstart = calloc(n + 1, sizeof(*pstart));
	pred = malloc(2 * n * sizeof(*pred));
	fill = calloc(n + 1, sizeof(*fill));
	fwd = calloc(n, 1);
	bwd = calloc(n, 1);
	if (!stack || !pstart || !pred || !fill || !fwd || !bwd)
		goto out;

	/* predecessors, CSR: count, prefix sums, fill */
	for (size_t i = 0; i < n; i++) {
		int k = successors(c, i, s2);

		for (int j = 0; j < k; j++)
			pstart[s2[j] + 1]++;
	}
	for (size_t i = 0; i < n; i++)
		pstart[i + 1] += pstart[i];
	for (size_t i = 0; i < n; i++) {
		int k = successors(c, i, s2);

		for (int j = 0; j < k; j++)
			pred[pstart[s2[j]] + fill[s2[j]]++] = i;
	}

	/* forward from the entry, spill as a barrier: site must stay unreached */
	if (spill != 0) {
		fwd[0] = 1;
		stack[sp++] = 0;
		while (sp) {
			size_t i = stack[--sp];
			int k = successors(c, i, s2);

			for (int j = 0; j < k; j++) {
				if (s2[j] == spill || fwd[s2[j]])
					continue;
				fwd[s2[j]] = 1;
				stack[sp++] = s2[j];
			}
		}
		if (fwd[site])
			goto out;
	}
	/* backward from spill, not past the entry: the instructions that can run between
	 * the entry and spill; none may change reg */
	stack[sp++] = spill;
	bwd[spill] = 1;
	while (sp) {
		size_t i = stack[--sp];

		if (i == 0)
			continue;
		for (size_t j = pstart[i]; j < pstart[i + 1]; j++) {
			size_t q = pred[j];

			if (bwd[q] || q == spill)
				continue;
			bwd[q] = 1;
			stack[sp++] = q;
		}
	}
	ok = true;
	for (size_t i = 0; i < n && ok; i++)
		if (i != spill && bwd[i] && (spill == 0 || fwd[i] || i == 0) &&
		    writes_reg(c, &c->insn[i], reg))
			ok = false;
out:
	free(stack);
	free(pstart);
	free(pred);
	free(fill);
	free(fwd);
	free(bwd);
	return ok;
}

/* --- compare-and-swap sites --------------------------------------------------------------------
 */

static size_t skip_nops(const struct gobin_code *c, size_t i)
{
	while (i < c->n && c->ops->is_nop(&c->insn[i]))
		i++;
	return i;
}

/* Adds s to out[n] unless a site is there already: two paths (arm64's casal and ldaxr/stlxr)
 * that meet at one site share its probe, which must then read what holds on either path. */
static int cas_add(struct gobin_cas_site *out, size_t max, int n, const struct gobin_cas_site *s)
{
	for (int k = 0; k < n; k++) {
		if (out[k].at != s->at)
			continue;
		if (out[k].new_reg != s->new_reg)
			out[k].new_reg = -1; /* read the word instead */
		if (out[k].base != s->base || out[k].base_adj != s->base_adj ||
		    out[k].old_reg != s->old_reg || out[k].ok_zf != s->ok_zf) {
			/* no one descriptor fits both: no probe there */
			memmove(&out[k], &out[k + 1], (size_t)(n - k - 1) * sizeof(*out));
			return n - 1;
		}
		return n;
	}
	if ((size_t)n < max)
		out[n++] = *s;
	return n;
}

/*
 * x86-64: each `lock cmpxchg dword [base + disp], src`, probed where the outcome is still
 * visible: the jcc right after it (ZF set on success), the jcc after a `SETcc r; TEST r, r`
 * pair (the setcc register must not be one read there), or else the instruction right after
 * the cmpxchg (single-stepped, but then every register is intact). The old status is in eax.
 */
static int x86_cas32_sites(const struct gobin_code *c, int32_t disp, struct gobin_cas_site *out,
			   size_t max)
{
	int n = 0;

	for (size_t i = 0; i < c->n; i++) {
		const cs_insn *in = &c->insn[i];
		const cs_x86 *x = &in->detail->x86;
		struct gobin_cas_site s = {.at = i + 1, .old_reg = 0, .ok_zf = true};
		size_t j, k;
		int base, src;

		if (in->id != X86_INS_CMPXCHG || x->prefix[0] != X86_PREFIX_LOCK ||
		    x->op_count != 2 || x->operands[0].type != X86_OP_MEM ||
		    x->operands[0].size != 4)
			continue;
		if (x->operands[0].mem.disp != disp ||
		    x->operands[0].mem.index != X86_REG_INVALID ||
		    x->operands[0].mem.segment != X86_REG_INVALID)
			continue;
		base = x86_regnum(x->operands[0].mem.base);
		src = x86_reg_op(in, 1);
		if (base <= 0 || src < 0 || i + 1 >= c->n)
			continue;
		s.base = base;
		s.new_reg = src;

		j = skip_nops(c, i + 1);
		if (j < c->n && x86_is_cond_branch(c->h, &c->insn[j])) {
			s.at = j;
		} else if (j < c->n &&
			   (c->insn[j].id == X86_INS_SETE || c->insn[j].id == X86_INS_SETNE)) {
			int r = x86_reg_op(&c->insn[j], 0);

			k = skip_nops(c, j + 1);
			if (r > 0 && r != base && k < c->n && c->insn[k].id == X86_INS_TEST &&
			    x86_reg_op(&c->insn[k], 0) == r && x86_reg_op(&c->insn[k], 1) == r) {
				size_t l = skip_nops(c, k + 1);

				if (l < c->n && x86_is_cond_branch(c->h, &c->insn[l])) {
					s.at = l;
					/* sete: r = success, TEST sets ZF when r == 0 */
					s.ok_zf = c->insn[j].id != X86_INS_SETE;
					if (r == src)
						s.new_reg = -1;
				}
			}
		}
		n = cas_add(out, max, n, &s);
	}
	return n;
}

/* The register that `add xd, xs, #imm` at i adds imm to when it writes d, else -1. */
static int arm64_add_imm_src(const cs_insn *in, int d, int64_t imm)
{
	const cs_arm64 *a = &in->detail->arm64;

	if (in->id != ARM64_INS_ADD || a->op_count != 3 || a->operands[2].type != ARM64_OP_IMM ||
	    a->operands[2].imm != imm || arm64_reg_op(in, 0) != d)
		return -1;
	return arm64_reg_op(in, 1);
}

/* Whether cmp at in compares registers x and some other, which goes into *other. */
static bool arm64_cmp_with(const cs_insn *in, int x, int *other)
{
	int r0, r1;

	if (in->id != ARM64_INS_CMP || in->detail->arm64.op_count != 2)
		return false;
	r0 = arm64_reg_op(in, 0);
	r1 = arm64_reg_op(in, 1);
	if (r0 < 0 || r1 < 0 || (r0 != x && r1 != x))
		return false;
	*other = r0 == x ? r1 : r0;
	return true;
}

/*
 * arm64: Go compiles a CompareAndSwap on g.atomicstatus (GOARM64 below v8.1) into two paths
 * chosen by internal/cpu's HasATOMICS: `casal ws, wt, [xn]; cmp wold, ws` and the loop
 * `ldaxr wv, [xn]; cmp wold, wv; b.ne out; stlxr wst, wt, [xn]; cbnz wst, loop`, xn being
 * `add xn, xg, #disp`. Each path is probed at the first instruction the kernel simulates on
 * its way out (past the loop's cbnz), where the flags of that cmp still say whether the
 * exchange happened (ZF), wold holds the old status and wt the new: usually the branch on the
 * cset result, a `b` to it, or a ret. The g is xg there, or xn minus disp when xg was reused.
 */
static int arm64_cas32_sites(const struct gobin_code *c, int32_t disp, struct gobin_cas_site *out,
			     size_t max)
{
	int n = 0;

	for (size_t i = 0; i < c->n; i++) {
		uint32_t w = arm64_word(&c->insn[i]);
		struct gobin_cas_site s = {.ok_zf = true, .new_reg = -1, .old_reg = -1};
		int xn, xg = -1, xv, status = -1;
		bool g_ok = true, n_ok = true, old_ok = true, new_ok = true, ok = false;
		size_t at = i, add = 0;

		if (A64_CAS32(w)) {
			xn = A64_RN(w);
			xv = A64_RS(w);
			s.new_reg = A64_RT(w);
		} else if (A64_STLXR32(w)) {
			size_t l;

			xn = A64_RN(w);
			status = A64_RS(w);
			s.new_reg = A64_RT(w);
			/* the ldaxr from the same address and the cmp before it */
			for (l = i; l-- > 0 && i - l < 4;)
				if (A64_LDAXR32(arm64_word(&c->insn[l])) &&
				    A64_RN(arm64_word(&c->insn[l])) == xn)
					break;
			if (l >= i || i - l >= 4)
				continue;
			xv = A64_RT(arm64_word(&c->insn[l]));
			for (size_t k = l + 1; k < i; k++)
				arm64_cmp_with(&c->insn[k], xv, &s.old_reg);
			if (s.old_reg < 0)
				continue;
		} else {
			continue;
		}
		/* xn = xg + disp, the last write of xn before */
		for (size_t k = i; k-- > 0 && i - k < 24;) {
			uint32_t wk = arm64_word(&c->insn[k]);

			/* (the other path's casal: capstone 4 does not know what it writes) */
			if (A64_CAS32(wk) ? A64_RS(wk) != xn : !writes_reg(c, &c->insn[k], xn))
				continue;
			xg = arm64_add_imm_src(&c->insn[k], xn, disp);
			add = k;
			break;
		}
		if (xg < 0 || xg == 31)
			continue;
		for (size_t k = add + 1; k < i; k++) {
			uint32_t wk = arm64_word(&c->insn[k]);

			if (A64_CAS32(wk) ? A64_RS(wk) == xg : writes_reg(c, &c->insn[k], xg))
				g_ok = false;
		}
		/* forward along the way out of a successful exchange */
		for (int steps = 0; steps < 16; steps++) {
			const cs_insn *in;
			uint64_t t;
			bool direct;
			long ti;

			if (at + 1 >= c->n)
				break;
			at++;
			in = &c->insn[at];
			if (status >= 0 && (in->id == ARM64_INS_CBNZ || in->id == ARM64_INS_CBZ) &&
			    arm64_reg_op(in, 0) == status)
				continue; /* the loop's retry: on success it falls through */
			/* a `b` to where the other path joins: on to the site they share */
			if (in->id && arm64_flow(c->h, in, &t, &direct) == FLOW_JUMP && direct &&
			    (ti = gobin_code__index(c, t)) > 0) {
				at = (size_t)ti - 1;
				continue;
			}
			if (s.old_reg >= 0 && arm64_emulated(in)) {
				ok = true;
				break;
			}
			if (!in->id || arm64_calls(in))
				break;
			if (in->detail->arm64.update_flags) {
				if (s.old_reg >= 0 || !arm64_cmp_with(in, xv, &s.old_reg))
					break; /* flags that no longer tell */
				continue;
			}
			g_ok &= !writes_reg(c, in, xg);
			n_ok &= !writes_reg(c, in, xn);
			old_ok &= s.old_reg < 0 || !writes_reg(c, in, s.old_reg);
			new_ok &= !writes_reg(c, in, s.new_reg);
		}
		if (!ok || !old_ok || s.old_reg > 15)
			continue;
		s.at = at;
		if (!new_ok || s.new_reg > 15)
			s.new_reg = -1;
		if (g_ok && xg <= 15) {
			s.base = xg;
		} else if (n_ok && xn <= 15) {
			s.base = xn;
			s.base_adj = (uint32_t)disp;
		} else {
			continue;
		}
		n = cas_add(out, max, n, &s);
	}
	return n;
}

int gobin_code__cas32_sites(const struct gobin_code *c, int32_t disp, struct gobin_cas_site *out,
			    size_t max)
{
	return c->ops->cas32_sites(c, disp, out, max);
}

/* --- globals --------------------------------------------------------------------------------- */

/* inc dword [rip + X], or add dword [rip + X], 1 */
static uint64_t x86_global_inc32(const struct gobin_code *c, size_t i)
{
	const cs_insn *in = &c->insn[i];
	const cs_x86 *x = &in->detail->x86;

	if ((in->id != X86_INS_INC && in->id != X86_INS_ADD) || x->op_count < 1 ||
	    x->operands[0].size != 4)
		return 0;
	if (in->id == X86_INS_ADD &&
	    (x->op_count != 2 || x->operands[1].type != X86_OP_IMM || x->operands[1].imm != 1))
		return 0;
	return gobin_code__global(c, i, 0, NULL);
}

/* ldr wV, [X]; add wN, wV, #1; str wN, [X]: the str (adrp instructions between them) */
static uint64_t arm64_global_inc32(const struct gobin_code *c, size_t i)
{
	const cs_insn *in = &c->insn[i];
	unsigned int size = 0;
	uint64_t x;
	int r;

	if (in->id != ARM64_INS_STR && in->id != ARM64_INS_STUR)
		return 0;
	x = gobin_code__global(c, i, 1, &size);
	r = arm64_reg_op(in, 0);
	if (!x || size != 4 || r < 0)
		return 0;
	for (size_t k = i; k-- > 0 && i - k <= 3;) {
		int v = arm64_add_imm_src(&c->insn[k], r, 1);

		if (v < 0)
			continue;
		for (size_t l = k; l-- > 0 && k - l <= 2;) {
			unsigned int ls = 0;

			if (c->insn[l].id == ARM64_INS_LDR && arm64_reg_op(&c->insn[l], 0) == v &&
			    gobin_code__global(c, l, 1, &ls) == x && ls == 4)
				return x;
		}
		return 0;
	}
	return 0;
}

int64_t gobin_code__frame_size(const struct gobin_code *c)
{
	return c->ops->frame_size(c);
}

int gobin_code__arg_reg(const struct gobin_code *c, int arg)
{
	return arg >= 0 && arg < c->ops->nargs ? c->ops->arg_regs[arg] : -1;
}

bool gobin_code__spills_arg(const struct gobin_code *c, size_t i, int64_t frame, int arg)
{
	int reg = gobin_code__arg_reg(c, arg);

	return reg >= 0 && frame >= 0 && c->insn[i].id &&
	       c->ops->spills_arg(&c->insn[i], frame, arg, reg);
}

uint64_t gobin_code__global_inc32(const struct gobin_code *c, size_t i)
{
	return c->ops->global_inc32(c, i);
}

bool gobin_code__stores_zero(const struct gobin_code *c, size_t i)
{
	return c->insn[i].id && c->ops->stores_zero(&c->insn[i]);
}

int gobin_code__atomic_store_base(const struct gobin_code *c, size_t i)
{
	return c->insn[i].id ? c->ops->atomic_store_base(&c->insn[i]) : -1;
}

/* --- probe placement -------------------------------------------------------------------------- */

struct insn_info {
	uint32_t off;
	bool stack_check;
	bool cond_branch;
	bool frame_push;
	bool emulated;
	bool frame_setup;
	bool keeps_entry;
	bool branch_ls; /* jbe / b.ls */
	char text[64];
};

static void classify(const struct sweep *s, const cs_insn *in, struct insn_info *out)
{
	memset(out, 0, sizeof(*out));
	out->off = (uint32_t)in->address;
	snprintf(out->text, sizeof(out->text), "%.24s%s%.36s", in->mnemonic,
		 in->op_str[0] ? " " : "", in->op_str);
	if (in == &s->word)
		return; /* an unknown word: none of these */
	out->emulated = s->ops->emulated(in);
	out->stack_check = s->ops->stack_check(in);
	out->cond_branch = s->ops->is_cond_branch(s->h, in);
	out->frame_push = s->ops->frame_push(in);
	out->branch_ls = s->ops->branch_ls(in);
	if (s->ops->frame_setup) {
		out->frame_setup = s->ops->frame_setup(s->h, in);
		out->keeps_entry = s->ops->keeps_entry(s->h, in);
	}
}

/*
 * A function without a stack check whose first instruction is single-stepped (arm64: the
 * frame setup of a nosplit function, such as casgstatus): the first emulated instruction
 * after the frame setup, when every instruction before it left the arguments, the g and the
 * return address register alone, and no branch of the function leads back to it or before
 * it (min_target: the lowest branch target in the function but its entry). The stack walk
 * there starts from the function's own frame (framed). NULL when there is none.
 */
static const struct insn_info *after_frame(const struct gobin_arch_ops *ops,
					   const struct insn_info *in, size_t n,
					   uint64_t min_target)
{
	size_t i = 0;

	if (!ops->frame_setup || in[0].emulated)
		return NULL;
	while (i < n && in[i].frame_setup)
		i++;
	if (i != 3) /* str x30; stur x29; sub x29: all of them */
		return NULL;
	for (; i < n; i++) {
		if (in[i].emulated)
			return in[i].off < min_target ? &in[i] : NULL;
		if (!in[i].keeps_entry)
			return NULL;
	}
	return NULL;
}

static void choose(const struct gobin_arch_ops *ops, const struct insn_info *in, size_t n,
		   uint64_t min_target, struct gobin_probe_site *out)
{
	const struct insn_info *pick = &in[0], *framed;

	if (!n)
		return; /* nothing decoded: the caller has reported why */
	framed = after_frame(ops, in, n, min_target);
	if (framed) {
		out->probe_off = framed->off;
		out->emulated = true;
		out->framed = true;
		snprintf(out->insn, sizeof(out->insn), "%s", framed->text);
		return;
	}
	for (size_t i = 0; i + 1 < n; i++) {
		size_t j = i + 1;

		if (!in[i].stack_check)
			continue;
		/* the branch ends the check: x86 `cmp; jbe`, arm64 `ldr; cmp; b.ls` or, for a
		 * large frame, `ldr; sub; cmp; b.ls` */
		while (j < n && j < i + ops->check_branch && !in[j].cond_branch)
			j++;
		if (j >= n || !in[j].cond_branch)
			break;
		if (j + 1 < n && in[j + 1].frame_push) {
			pick = &in[j + 1];
		} else if (in[j].emulated && !in[0].emulated && in[j].branch_ls) {
			pick = &in[j];
			out->check_branch = true;
		}
		break;
	}
	out->probe_off = pick->off;
	out->emulated = pick->emulated;
	snprintf(out->insn, sizeof(out->insn), "%s", pick->text);
}

int gobin_disasm__probe_site(enum gobin_arch arch, const uint8_t *code, size_t size,
			     const char *name, struct gobin_probe_site *out)
{
	struct insn_info first[PROLOGUE_WINDOW];
	uint64_t min_target = UINT64_MAX;
	size_t nfirst = 0;
	const cs_insn *in;
	struct sweep s;
	int err;

	memset(out, 0, sizeof(*out));
	if (!arch_ops_of(arch))
		return xg_error(-EINVAL, "%s: unknown architecture %d", name, (int)arch);
	if (!size)
		return xg_error(-EINVAL, "%s: empty function", name);
	if (size > MAX_FUNC_SIZE)
		return xg_error(-E2BIG, "%s: function of %zu bytes is too large to decode", name,
				size);
	err = sweep_open(&s, arch, code, size, 0);
	if (err) {
		xg_error_prefix("%s", name);
		goto out;
	}
	while ((in = sweep_next(&s))) {
		uint64_t t;
		bool direct;

		if (nfirst < PROLOGUE_WINDOW)
			classify(&s, in, &first[nfirst++]);
		if (in != &s.word && s.ops->flow(s.h, in, &t, &direct) != FLOW_NEXT && direct &&
		    t > 0 && t < min_target)
			min_target = t;
		if (in != &s.word && s.ops->is_ret(in)) {
			if (out->nret < GOBIN_MAX_RETS)
				out->ret_offs[out->nret++] = (uint32_t)in->address;
			else
				out->rets_truncated = true;
		}
	}
	if (s.left) {
		size_t off = size - s.left;
		char hex[3 * 8 + 1] = "";

		for (size_t i = 0; i < 8 && i < s.left; i++)
			snprintf(hex + 3 * i, 4, " %02x", code[off + i]);
		err = xg_error(-EBADMSG, "%s: cannot decode the instruction at +0x%llx:%s", name,
			       (unsigned long long)off, hex);
		goto out;
	}
	choose(s.ops, first, nfirst, min_target, out);
out:
	sweep_close(&s);
	return err;
}

int gobin__probe_site(const struct gobin *b, const struct gobin_func *f,
		      struct gobin_probe_site *out)
{
	size_t avail;
	const uint8_t *code = gobin_vaddr_ptr(b, f->addr, &avail);
	char name[512];

	snprintf(name, sizeof(name), "%s: %s at 0x%llx", b->path, f->name ? f->name : "?",
		 (unsigned long long)f->addr);
	if (!code || !gobin_exec_addr(b, f->addr))
		return xg_error(-EFAULT, "%s: not in an executable segment of the file", name);
	if (f->size > avail)
		return xg_error(
		    -EFAULT,
		    "%s: the function (%llu bytes) extends past its segment's data in the "
		    "file",
		    name, (unsigned long long)f->size);
	return gobin_disasm__probe_site(b->arch, code, (size_t)f->size, name, out);
}

int gobin_disasm__calls(enum gobin_arch arch, const uint8_t *code, size_t size, uint64_t addr,
			uint64_t *targets, size_t max)
{
	const cs_insn *in;
	struct sweep s;
	size_t n = 0;
	int err;

	if (!arch_ops_of(arch) || size > MAX_FUNC_SIZE)
		return -EINVAL;
	err = sweep_open(&s, arch, code, size, addr);
	while (!err && n < max && (in = sweep_next(&s)))
		if (in != &s.word && s.ops->call(in, &targets[n]))
			n++;
	sweep_close(&s);
	return err ? err : (int)n;
}

/* Whether code holds the bytes of a `call r64` or `jmp r64`: FF with ModRM 11 010 rrr (D0-D7)
 * or 11 100 rrr (E0-E7), after an optional REX prefix. Without them there is no such branch. */
static bool x86_may_branch_reg(const uint8_t *code, size_t size)
{
	for (size_t k = 0; k + 1 < size; k++)
		if (code[k] == 0xff &&
		    ((code[k + 1] & 0xf8) == 0xd0 || (code[k + 1] & 0xf8) == 0xe0))
			return true;
	return false;
}

int gobin_disasm__closure_call(enum gobin_arch arch, const uint8_t *code, size_t size,
			       struct gobin_wrapper_call *out)
{
	/* per register: loads from the closure pointer (-1: not derived from it) */
	int nloads[16];
	int32_t offs[16][GOBIN_WRAPPER_LOADS];
	const cs_insn *in;
	struct sweep s;
	uint64_t target;
	int err;

	if (arch != GOBIN_ARCH_X86_64)
		return -EOPNOTSUPP;
	if (size > MAX_FUNC_SIZE)
		return -E2BIG;
	/* most wrappers (tens of thousands in a large server) need no decoding at all */
	if (!x86_may_branch_reg(code, size))
		return -ENOENT;
	for (int i = 0; i < 16; i++)
		nloads[i] = -1;
	nloads[2] = 0; /* rdx: the closure context (ABIInternal) */
	err = sweep_open(&s, arch, code, size, 0);
	if (err)
		goto out;
	err = -ENOENT;
	while ((in = sweep_next(&s))) {
		const cs_x86 *x = &in->detail->x86;
		cs_regs rd, wr;
		uint8_t nrd, nwr;

		if (x86_is_ret(in) || x86_call(in, &target))
			break; /* a direct call first: not a wrapper that calls through its closure
				*/
		if ((in->id == X86_INS_CALL || in->id == X86_INS_JMP) && x->op_count == 1 &&
		    x->operands[0].type == X86_OP_REG) {
			int r = x86_regnum(x->operands[0].reg);

			if (r >= 0 && nloads[r] > 0) {
				out->nloads = (uint32_t)nloads[r];
				memcpy(out->off, offs[r], sizeof(out->off));
				err = 0;
			}
			break;
		}
		if (in->id == X86_INS_MOV && x->op_count == 2 &&
		    x->operands[0].type == X86_OP_REG && x->operands[0].size == 8) {
			int d = x86_regnum(x->operands[0].reg);
			const cs_x86_op *src = &x->operands[1];

			if (d >= 0 && src->type == X86_OP_MEM &&
			    src->mem.index == X86_REG_INVALID &&
			    src->mem.segment == X86_REG_INVALID) {
				int b = x86_regnum(src->mem.base);

				if (b >= 0 && nloads[b] >= 0 && nloads[b] < GOBIN_WRAPPER_LOADS &&
				    src->mem.disp >= INT32_MIN && src->mem.disp <= INT32_MAX) {
					int n = nloads[b];

					memcpy(offs[d], offs[b], sizeof(offs[d]));
					offs[d][n] = (int32_t)src->mem.disp;
					nloads[d] = n + 1;
					continue;
				}
			} else if (d >= 0 && src->type == X86_OP_REG) {
				int b = x86_regnum(src->reg);

				if (b >= 0) {
					memcpy(offs[d], offs[b], sizeof(offs[d]));
					nloads[d] = nloads[b];
					continue;
				}
			}
		}
		/* anything else: what it writes no longer comes from the closure */
		if (cs_regs_access(s.h, in, rd, &nrd, wr, &nwr) == CS_ERR_OK) {
			for (uint8_t i = 0; i < nwr; i++) {
				int r = x86_regnum(wr[i]);

				if (r >= 0)
					nloads[r] = -1;
			}
		}
	}
out:
	sweep_close(&s);
	return err;
}
