// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Probe placement: a linear sweep of a function with capstone finds every RET and the
 * stack-check prologue, and picks the instruction to put the uprobe on.
 *
 * Why it matters (shared/notes/uprobe-cost.md): the kernel emulates a few instructions (push
 * reg, call rel32, jmp, jcc, the standard nops) in one trap; everything else is copied out of
 * line and single-stepped, a second trap that costs about ten times more in this VM. A Go
 * function with a stack check starts `cmp rsp, [r14+0x10]; jbe morestack` (single-stepped
 * cmp) and reaches `push rbp` right after, with the argument registers still intact, and a
 * probe there does not fire again when the function restarts after growing its stack.
 *
 * Architecture specifics sit behind struct arch_ops; arm64 follows the same rules (its RET is
 * `ret`, its prologue `ldr x16, [x28, #16]; cmp sp, x16; b.ls`) but is not tested here.
 */
#include <capstone/capstone.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gobin/internal.h"
#include "util/err.h"

#define PROLOGUE_WINDOW 8 /* the stack check is within the first instructions */
#define MAX_FUNC_SIZE	(64u << 20)

struct insn_info {
	uint32_t off;
	bool stack_check; /* compares a stack pointer with g.stackguard0 */
	bool cond_branch;
	bool frame_push; /* saves the frame pointer (x86: push rbp) */
	bool emulated;
	char text[64];
};

struct arch_ops {
	cs_arch arch;
	cs_mode mode;
	bool (*is_ret)(const cs_insn *in);
	void (*classify)(csh h, const cs_insn *in, struct insn_info *out);
};

/* --- x86-64 ---------------------------------------------------------------------------------- */

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
static bool x86_emulated(const uint8_t *b, size_t len)
{
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

static void x86_classify(csh h, const cs_insn *in, struct insn_info *out)
{
	const cs_x86 *x = &in->detail->x86;

	out->emulated = x86_emulated(in->bytes, in->size);
	/* cmp rsp|r12, qword ptr [r14 + 0x10]: g.stackguard0 (R14 holds g in ABIInternal) */
	out->stack_check =
	    in->id == X86_INS_CMP && x->op_count == 2 && x->operands[0].type == X86_OP_REG &&
	    x->operands[1].type == X86_OP_MEM && x->operands[1].mem.base == X86_REG_R14 &&
	    x->operands[1].mem.index == X86_REG_INVALID && x->operands[1].mem.disp == 0x10 &&
	    x->operands[1].mem.segment == X86_REG_INVALID;
	out->cond_branch =
	    cs_insn_group(h, in, X86_GRP_JUMP) && in->id != X86_INS_JMP && in->id != X86_INS_LJMP;
	out->frame_push = in->id == X86_INS_PUSH && x->op_count == 1 &&
			  x->operands[0].type == X86_OP_REG && x->operands[0].reg == X86_REG_RBP;
}

/* --- arm64 (designed for, untested) ----------------------------------------------------------- */

/* arch/arm64/kernel/probes/decode-insn.c simulates branches and pc-relative address loads. */
static bool arm64_emulated(uint32_t w)
{
	return (w & 0x7c000000) == 0x14000000 || /* b, bl */
	       (w & 0xff000010) == 0x54000000 || /* b.cond */
	       (w & 0x7e000000) == 0x34000000 || /* cbz, cbnz */
	       (w & 0x7e000000) == 0x36000000 || /* tbz, tbnz */
	       (w & 0xfffffc1f) == 0xd61f0000 || /* br */
	       (w & 0xfffffc1f) == 0xd63f0000 || /* blr */
	       (w & 0xfffffc1f) == 0xd65f0000 || /* ret */
	       (w & 0x1f000000) == 0x10000000;	 /* adr, adrp */
}

static bool arm64_is_ret(const cs_insn *in)
{
	uint32_t w;

	memcpy(&w, in->bytes, 4);
	return (w & 0xfffffc1f) == 0xd65f0000;
}

static void arm64_classify(csh h, const cs_insn *in, struct insn_info *out)
{
	const cs_arm64 *a = &in->detail->arm64;
	uint32_t w;

	(void)h;
	memcpy(&w, in->bytes, 4);
	out->emulated = arm64_emulated(w);
	/* ldr x16, [x28, #16]: loads g.stackguard0; the cmp with sp and b.ls follow */
	out->stack_check =
	    in->id == ARM64_INS_LDR && a->op_count == 2 && a->operands[1].type == ARM64_OP_MEM &&
	    a->operands[1].mem.base == ARM64_REG_X28 && a->operands[1].mem.disp == 16;
	out->cond_branch = (w & 0xff000010) == 0x54000000;
	out->frame_push = false; /* the frame record store is not emulated on arm64 */
}

static const struct arch_ops arch_ops[] = {
    [GOBIN_ARCH_X86_64] = {CS_ARCH_X86, CS_MODE_64, x86_is_ret, x86_classify},
    [GOBIN_ARCH_ARM64] = {CS_ARCH_ARM64, CS_MODE_ARM, arm64_is_ret, arm64_classify},
};

/* --- the sweep ------------------------------------------------------------------------------- */

static void choose(enum gobin_arch arch, const struct insn_info *in, size_t n,
		   struct gobin_probe_site *out)
{
	const struct insn_info *pick = &in[0];

	for (size_t i = 0; i + 1 < n; i++) {
		size_t j = i + 1;

		if (!in[i].stack_check)
			continue;
		/* arm64: ldr; cmp; b.ls */
		if (arch == GOBIN_ARCH_ARM64 && j + 1 < n)
			j++;
		if (!in[j].cond_branch)
			break;
		if (j + 1 < n && in[j + 1].frame_push)
			pick = &in[j + 1];
		else if (in[j].emulated && !in[0].emulated)
			pick = &in[j];
		break;
	}
	out->probe_off = pick->off;
	out->emulated = pick->emulated;
	snprintf(out->insn, sizeof(out->insn), "%s", pick->text);
}

int gobin_disasm__probe_site(enum gobin_arch arch, const uint8_t *code, size_t size,
			     const char *name, struct gobin_probe_site *out)
{
	const struct arch_ops *ops;
	struct insn_info first[PROLOGUE_WINDOW];
	size_t nfirst = 0, left = size;
	const uint8_t *p = code;
	uint64_t addr = 0;
	cs_insn *in = NULL;
	csh h = 0;
	int err = 0;

	memset(out, 0, sizeof(*out));
	if ((unsigned int)arch >= sizeof(arch_ops) / sizeof(arch_ops[0]))
		return xg_error(-EINVAL, "%s: unknown architecture %d", name, (int)arch);
	ops = &arch_ops[arch];
	if (!size)
		return xg_error(-EINVAL, "%s: empty function", name);
	if (size > MAX_FUNC_SIZE)
		return xg_error(-E2BIG, "%s: function of %zu bytes is too large to decode", name,
				size);
	if (cs_open(ops->arch, ops->mode, &h) != CS_ERR_OK)
		return xg_error(-ENOMEM, "%s: capstone: cannot open a decoder", name);
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	in = cs_malloc(h);
	if (!in) {
		err = xg_error(-ENOMEM, "%s: capstone: out of memory", name);
		goto out;
	}
	while (left) {
		uint64_t off = addr;

		if (!cs_disasm_iter(h, &p, &left, &addr, in)) {
			char hex[3 * 8 + 1] = "";

			/* fixed width: a word capstone 4 does not know (e.g. ARMv8.1 atomics such
			 * as casal) is still one instruction, and not a RET or a branch */
			if (arch == GOBIN_ARCH_ARM64 && left >= 4) {
				if (nfirst < PROLOGUE_WINDOW) {
					memset(&first[nfirst], 0, sizeof(first[0]));
					first[nfirst].off = (uint32_t)off;
					snprintf(first[nfirst].text, sizeof(first[0].text),
						 ".word 0x%02x%02x%02x%02x", p[3], p[2], p[1],
						 p[0]);
					nfirst++;
				}
				p += 4;
				left -= 4;
				addr += 4;
				continue;
			}

			for (size_t i = 0; i < 8 && i < left; i++)
				snprintf(hex + 3 * i, 4, " %02x", p[i]);
			err = xg_error(-EBADMSG, "%s: cannot decode the instruction at +0x%llx:%s",
				       name, (unsigned long long)off, hex);
			goto out;
		}
		if (nfirst < PROLOGUE_WINDOW) {
			struct insn_info *ii = &first[nfirst++];

			memset(ii, 0, sizeof(*ii));
			ii->off = (uint32_t)off;
			ops->classify(h, in, ii);
			snprintf(ii->text, sizeof(ii->text), "%.24s%s%.36s", in->mnemonic,
				 in->op_str[0] ? " " : "", in->op_str);
		}
		if (ops->is_ret(in)) {
			if (out->nret < GOBIN_MAX_RETS)
				out->ret_offs[out->nret++] = (uint32_t)off;
			else
				out->rets_truncated = true;
		}
	}
	choose(arch, first, nfirst, out);
out:
	if (in)
		cs_free(in, 1);
	cs_close(&h);
	return err;
}

int gobin_disasm__calls(enum gobin_arch arch, const uint8_t *code, size_t size, uint64_t addr,
			uint64_t *targets, size_t max)
{
	size_t n = 0, left = size;
	const uint8_t *p = code;
	cs_insn *in = NULL;
	csh h = 0;

	if (arch == GOBIN_ARCH_ARM64) {
		/* fixed width: BL imm26 is 100101 imm26, the target pc + imm26 * 4 */
		for (size_t off = 0; off + 4 <= size && n < max; off += 4) {
			uint32_t w = (uint32_t)p[off] | (uint32_t)p[off + 1] << 8 |
				     (uint32_t)p[off + 2] << 16 | (uint32_t)p[off + 3] << 24;
			int64_t imm;

			if ((w & 0xfc000000u) != 0x94000000u)
				continue;
			imm = (int64_t)(w & 0x03ffffffu);
			if (imm & 0x02000000)
				imm -= 0x04000000;
			targets[n++] = addr + off + (uint64_t)(imm * 4);
		}
		return (int)n;
	}
	if (arch != GOBIN_ARCH_X86_64 || size > MAX_FUNC_SIZE)
		return -EINVAL;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return -ENOMEM;
	in = cs_malloc(h);
	if (!in) {
		cs_close(&h);
		return -ENOMEM;
	}
	while (left && n < max && cs_disasm_iter(h, &p, &left, &addr, in)) {
		/* call rel32 */
		if (in->size == 5 && in->bytes[0] == 0xe8) {
			int32_t rel =
			    (int32_t)((uint32_t)in->bytes[1] | (uint32_t)in->bytes[2] << 8 |
				      (uint32_t)in->bytes[3] << 16 | (uint32_t)in->bytes[4] << 24);

			targets[n++] = in->address + 5 + (uint64_t)(int64_t)rel;
		}
	}
	cs_free(in, 1);
	cs_close(&h);
	return (int)n;
}

/* x86-64 general-purpose register number (rax 0 .. r15 15) of any of its names, or -1. */
static int x86_gpr(const char *name)
{
	static const char *const n64[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
					    "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
	static const char *const n32[16] = {"eax",  "ecx",  "edx",  "ebx", "esp",  "ebp",
					    "esi",  "edi",  "r8d",  "r9d", "r10d", "r11d",
					    "r12d", "r13d", "r14d", "r15d"};

	if (!name)
		return -1;
	for (int i = 0; i < 16; i++)
		if (!strcmp(name, n64[i]) || !strcmp(name, n32[i]))
			return i;
	/* 16- and 8-bit names: ax, al, ah, ..., r8w, r8b */
	if ((name[0] == 'r' && name[1] >= '0' && name[1] <= '9')) {
		int v = atoi(name + 1);

		return v >= 8 && v <= 15 ? v : -1;
	}
	if (strlen(name) == 2) {
		static const char base[] = "acdb";
		const char *p = strchr(base, name[0]);

		if (p && (name[1] == 'x' || name[1] == 'l' || name[1] == 'h'))
			return (int)(p - base);
		if (!strcmp(name, "si") || !strcmp(name, "sil"))
			return 6;
		if (!strcmp(name, "di"))
			return 7;
	}
	if (!strcmp(name, "sil"))
		return 6;
	if (!strcmp(name, "dil"))
		return 7;
	return -1;
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
	size_t left = size;
	const uint8_t *p = code;
	uint64_t addr = 0;
	cs_insn *in = NULL;
	csh h = 0;
	int err = -ENOENT;

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
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return -ENOMEM;
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	in = cs_malloc(h);
	if (!in) {
		cs_close(&h);
		return -ENOMEM;
	}
	while (left && cs_disasm_iter(h, &p, &left, &addr, in)) {
		const cs_x86 *x = &in->detail->x86;
		cs_regs rd, wr;
		uint8_t nrd, nwr;

		if (in->id == X86_INS_RET || (in->id == X86_INS_CALL && x->op_count == 1 &&
					      x->operands[0].type == X86_OP_IMM))
			break; /* a direct call first: not a wrapper that calls through its closure
				*/
		if ((in->id == X86_INS_CALL || in->id == X86_INS_JMP) && x->op_count == 1 &&
		    x->operands[0].type == X86_OP_REG) {
			int r = x86_gpr(cs_reg_name(h, x->operands[0].reg));

			if (r >= 0 && nloads[r] > 0) {
				out->nloads = (uint32_t)nloads[r];
				memcpy(out->off, offs[r], sizeof(out->off));
				err = 0;
			}
			break;
		}
		if (in->id == X86_INS_MOV && x->op_count == 2 &&
		    x->operands[0].type == X86_OP_REG && x->operands[0].size == 8) {
			int d = x86_gpr(cs_reg_name(h, x->operands[0].reg));
			const cs_x86_op *s = &x->operands[1];

			if (d >= 0 && s->type == X86_OP_MEM && s->mem.index == X86_REG_INVALID &&
			    s->mem.segment == X86_REG_INVALID) {
				int b = x86_gpr(cs_reg_name(h, s->mem.base));

				if (b >= 0 && nloads[b] >= 0 && nloads[b] < GOBIN_WRAPPER_LOADS &&
				    s->mem.disp >= INT32_MIN && s->mem.disp <= INT32_MAX) {
					int n = nloads[b];

					memcpy(offs[d], offs[b], sizeof(offs[d]));
					offs[d][n] = (int32_t)s->mem.disp;
					nloads[d] = n + 1;
					continue;
				}
			} else if (d >= 0 && s->type == X86_OP_REG) {
				int b = x86_gpr(cs_reg_name(h, s->reg));

				if (b >= 0) {
					memcpy(offs[d], offs[b], sizeof(offs[d]));
					nloads[d] = nloads[b];
					continue;
				}
			}
		}
		/* anything else: what it writes no longer comes from the closure */
		if (cs_regs_access(h, in, rd, &nrd, wr, &nwr) == CS_ERR_OK) {
			for (uint8_t i = 0; i < nwr; i++) {
				int r = x86_gpr(cs_reg_name(h, wr[i]));

				if (r >= 0)
					nloads[r] = -1;
			}
		}
	}
	cs_free(in, 1);
	cs_close(&h);
	return err;
}
