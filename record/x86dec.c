// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Decoding Go functions with capstone (record/x86dec.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "record/x86dec.h"
#include "util/err.h"

int rec_x86__regnum(unsigned int r)
{
	static const unsigned int regs[16][4] = {
	    {X86_REG_RAX, X86_REG_EAX, X86_REG_AX, X86_REG_AL},
	    {X86_REG_RCX, X86_REG_ECX, X86_REG_CX, X86_REG_CL},
	    {X86_REG_RDX, X86_REG_EDX, X86_REG_DX, X86_REG_DL},
	    {X86_REG_RBX, X86_REG_EBX, X86_REG_BX, X86_REG_BL},
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

	for (int i = 0; i < 16; i++)
		for (int j = 0; j < 4; j++)
			if (regs[i][j] == r)
				return i;
	return -1;
}

uint64_t rec_x86__rip_target(const cs_insn *in, const cs_x86_op *op)
{
	if (op->type != X86_OP_MEM || op->mem.base != X86_REG_RIP ||
	    op->mem.index != X86_REG_INVALID || op->mem.segment != X86_REG_INVALID)
		return 0;
	return in->address + in->size + (uint64_t)op->mem.disp;
}

int rec_x86__decode_bytes(const uint8_t *code, size_t len, uint64_t addr, struct rec_x86 *d)
{
	memset(d, 0, sizeof(*d));
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &d->h) != CS_ERR_OK) {
		d->h = 0;
		return xg_error(-EINVAL, "capstone: cannot open an x86-64 decoder");
	}
	cs_option(d->h, CS_OPT_DETAIL, CS_OPT_ON);
	d->n = cs_disasm(d->h, code, len, addr, 0, &d->insn);
	return 0;
}

int rec_x86__decode(const struct gobin *b, const struct gobin_func *f, struct rec_x86 *d)
{
	uint8_t *buf = NULL;
	int err;

	memset(d, 0, sizeof(*d));
	if (!f->size || f->size > (16u << 20))
		return xg_error(-EINVAL, "%s: implausible size %llu", f->name,
				(unsigned long long)f->size);
	buf = malloc(f->size);
	if (!buf)
		return -ENOMEM;
	err = gobin__read_vaddr(b, f->addr, buf, f->size);
	if (err)
		err = xg_error(err, "%s: cannot read its code", f->name);
	else
		err = rec_x86__decode_bytes(buf, f->size, f->addr, d);
	free(buf);
	return err;
}

long rec_x86__index(const struct rec_x86 *d, uint64_t addr)
{
	size_t lo = 0, hi = d->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (d->insn[mid].address < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < d->n && d->insn[lo].address == addr ? (long)lo : -1;
}

/* The successors of instruction i (at most 2) into out; returns how many. */
static int successors(const struct rec_x86 *d, size_t i, size_t out[2])
{
	const cs_insn *in = &d->insn[i];
	const cs_x86 *x = &in->detail->x86;
	bool jump = cs_insn_group(d->h, in, X86_GRP_JUMP);
	int n = 0;
	long t;

	if (in->id == X86_INS_RET || in->id == X86_INS_INT3 || in->id == X86_INS_UD2 ||
	    in->id == X86_INS_HLT)
		return 0;
	if (!jump)
		goto next;
	if (x->op_count == 1 && x->operands[0].type == X86_OP_IMM) {
		t = rec_x86__index(d, (uint64_t)x->operands[0].imm);
		if (t >= 0)
			out[n++] = (size_t)t;
	}
	if (in->id == X86_INS_JMP || in->id == X86_INS_LJMP)
		return n; /* unconditional; an indirect or outside target ends the path */
next:
	if (i + 1 < d->n)
		out[n++] = i + 1;
	return n;
}

static bool writes_reg(const struct rec_x86 *d, const cs_insn *in, int reg)
{
	cs_regs rd, wr;
	uint8_t nrd = 0, nwr = 0;

	if (in->id == X86_INS_CALL || in->id == X86_INS_SYSCALL)
		return true;
	if (cs_regs_access(d->h, in, rd, &nrd, wr, &nwr) != CS_ERR_OK)
		return true;
	for (uint8_t i = 0; i < nwr; i++)
		if (rec_x86__regnum(wr[i]) == reg)
			return true;
	return false;
}

bool rec_x86__entry_reg_stored_before(const struct rec_x86 *d, size_t spill, int reg, size_t site)
{
	size_t n = d->n, *stack = NULL, *pred = NULL, *pstart = NULL, *fill = NULL, sp = 0, s2[2];
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
		int k = successors(d, i, s2);

		for (int j = 0; j < k; j++)
			pstart[s2[j] + 1]++;
	}
	for (size_t i = 0; i < n; i++)
		pstart[i + 1] += pstart[i];
	for (size_t i = 0; i < n; i++) {
		int k = successors(d, i, s2);

		for (int j = 0; j < k; j++)
			pred[pstart[s2[j]] + fill[s2[j]]++] = i;
	}

	/* forward from the entry, spill as a barrier: site must stay unreached */
	if (spill != 0) {
		fwd[0] = 1;
		stack[sp++] = 0;
		while (sp) {
			size_t i = stack[--sp];
			int k = successors(d, i, s2);

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
		    writes_reg(d, &d->insn[i], reg))
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

void rec_x86__free(struct rec_x86 *d)
{
	if (d->insn)
		cs_free(d->insn, d->n);
	if (d->h)
		cs_close(&d->h);
	memset(d, 0, sizeof(*d));
}
