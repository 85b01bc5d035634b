/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The Go ABI as xgotop's probes meet it: the runtime's numbers that the BPF programs and
 * record/ both use (first part, plain constants for either side), then the register ABI
 * (ABIInternal, cmd/compile/abi-internal.md) as seen from a uprobe's struct pt_regs, per
 * architecture (BPF only). Every BPF program reads Go arguments, the current g, its TLS slot
 * and the frame chain through these macros and nothing else.
 *
 *             amd64                                   arm64
 *   args      RAX RBX RCX RDI RSI R8 R9 R10 R11       R0 .. R15
 *   g         R14; also at fs base + tls_g_off        R28; with cgo, at TPIDR_EL0 + tls_g_off
 *   frame     RBP; [RBP] = caller's RBP,              R29; [R29] = caller's R29,
 *             [RBP+8] = return address                [R29+8] = return address
 *   spill     [RBP+16+8*i]: argument i's spill slot   [[R29]+16+8*i]: the same, 16 bytes above
 *             (the caller's outgoing argument space)  the caller's frame record
 *   at entry  return address at [RSP]                 return address in LR (R30)
 *
 * Sub-word arguments live in the low bits of their register: mask them.
 */
#ifndef XG_BPF_GOABI_H
#define XG_BPF_GOABI_H

/*
 * g.atomicstatus: Go's _G* numbers (runtime/runtime2.go), the same in every version xgotop
 * reads. The records carry them with the scan bit removed and _Gdeadextra as _Gdead, which
 * is enum xg_gstate's numbering (record/ingest.c checks that at compile time).
 */
#define GO_G_IDLE	0
#define GO_G_RUNNABLE	1
#define GO_G_RUNNING	2
#define GO_G_SYSCALL	3
#define GO_G_WAITING	4
#define GO_G_DEAD	6
#define GO_G_PREEMPTED	9
#define GO_G_DEAD_EXTRA 11     /* Go 1.26+: a dead g kept by an extra M for cgo callbacks */
#define GO_G_SCAN	0x1000 /* or'ed into a status while the GC holds the g's stack */

/*
 * amd64: where a Go thread keeps its g, from its TLS base (fs): runtime.stackcheck's
 * `mov %fs:-8, reg` in every build checked. record/ reads the real offset from
 * runtime.stackcheck and falls back to this.
 */
#define GO_TLS_G_OFF_DEFAULT (-8)

#ifdef __bpf__

#if defined(__TARGET_ARCH_x86)

#define GO_ARG1(r) ((r)->ax)
#define GO_ARG2(r) ((r)->bx)
#define GO_ARG3(r) ((r)->cx)
#define GO_ARG4(r) ((r)->di)
#define GO_ARG5(r) ((r)->si)
#define GO_RET1(r) ((r)->ax)
#define GO_G(r)	   ((r)->r14)
#define GO_FP(r)   ((r)->bp)
#define GO_SP(r)   ((r)->sp)
#define GO_PC(r)   ((r)->ip)
/* The spill slot of argument i (0-based) of the function whose frame pointer is fp. */
#define GO_ARG_SPILL(fp, i) ((fp) + 16 + 8 * (i))
/* A task's TLS base, which tls_g_off is relative to. */
#define GO_TLS_BASE(task) BPF_CORE_READ(task, thread.fsbase)
/* A CPU sample finds the g in TLS (any code the thread runs keeps it there). */
#define GO_G_IN_TLS 1
/* The zero flag, for probes placed on the jcc after a compare-and-swap. */
#define GO_ZF(r) (((r)->flags >> 6) & 1)
/* Whether a jbe / b.ls there is taken (CF or ZF set), for probes on a stack check's branch. */
#define GO_BRANCH_LS(r) (((r)->flags & 0x41) != 0)
/* Interrupted registers (a perf event's) are the user's: CPL 3. cs (with its padding) is
 * read as the whole word: a perf event program's context allows only word-sized loads. */
#define GO_USER_MODE(r) (((*(const volatile __u64 *)&(r)->cs) & 3) == 3)

/*
 * The general registers by their number in the order x86 encodes them (RAX=0, RCX=1, RDX=2,
 * RBX=3, RSP=4, RBP=5, RSI=6, RDI=7, R8..R15 = 8..15); record/ passes these numbers in probe
 * site descriptors. (A copy, because the verifier refuses a computed offset into the context.)
 */
static __always_inline void go_regs(const struct pt_regs *r, __u64 v[16])
{
	v[0] = r->ax;
	v[1] = r->cx;
	v[2] = r->dx;
	v[3] = r->bx;
	v[4] = r->sp;
	v[5] = r->bp;
	v[6] = r->si;
	v[7] = r->di;
	v[8] = r->r8;
	v[9] = r->r9;
	v[10] = r->r10;
	v[11] = r->r11;
	v[12] = r->r12;
	v[13] = r->r13;
	v[14] = r->r14;
	v[15] = r->r15;
}

/* The return address of a probe sitting at a function's entry (before its frame exists). */
static __always_inline __u64 go_entry_ret(const struct pt_regs *r)
{
	__u64 ra = 0;

	bpf_probe_read_user(&ra, sizeof(ra), (void *)r->sp);
	return ra;
}

#elif defined(__TARGET_ARCH_arm64)

#define GO_ARG1(r)	    ((r)->regs[0])
#define GO_ARG2(r)	    ((r)->regs[1])
#define GO_ARG3(r)	    ((r)->regs[2])
#define GO_ARG4(r)	    ((r)->regs[3])
#define GO_ARG5(r)	    ((r)->regs[4])
#define GO_RET1(r)	    ((r)->regs[0])
#define GO_G(r)		    ((r)->regs[28])
#define GO_FP(r)	    ((r)->regs[29])
#define GO_SP(r)	    ((r)->sp)
#define GO_PC(r)	    ((r)->pc)
#define GO_ZF(r)	    (((r)->pstate >> 30) & 1)
/* b.ls: C clear or Z set (pstate N Z C V = bits 31..28) */
#define GO_BRANCH_LS(r)	    ((((r)->pstate >> 29) & 1) == 0 || (((r)->pstate >> 30) & 1))
/* EL0 */
#define GO_USER_MODE(r)	    (((r)->pstate & 0xf) == 0)

/* The spill slot of argument i (0-based) of the function whose frame pointer is fp: in the
 * caller's outgoing argument area, 16 bytes above the caller's frame record, which [fp]
 * holds (the distance from fp itself depends on the frame size); 0 when unreadable. */
static __always_inline __u64 go_arg_spill(__u64 fp, int i)
{
	__u64 caller = 0;

	if (bpf_probe_read_user(&caller, sizeof(caller), (void *)fp) || !caller)
		return 0;
	return caller + 16 + 8 * i;
}
#define GO_ARG_SPILL(fp, i) go_arg_spill(fp, i)
/* TPIDR_EL0 */
#define GO_TLS_BASE(task)   BPF_CORE_READ(task, thread.uw.tp_value)
/* A CPU sample takes the g from the interrupted user registers (x28): Go keeps g in TLS only
 * when it links cgo, while x28 is the g in all Go code (checked against the g's m). */
#define GO_G_IN_TLS	    0

/* x0..x15 (the numbering of record/'s site descriptors is per architecture) */
static __always_inline void go_regs(const struct pt_regs *r, __u64 v[16])
{
	for (int i = 0; i < 16; i++)
		v[i] = r->regs[i];
}

static __always_inline __u64 go_entry_ret(const struct pt_regs *r)
{
	return r->regs[30];
}

#else
#error "xgotop: unsupported architecture (amd64 and arm64 only)"
#endif

#endif /* __bpf__ */

#endif /* XG_BPF_GOABI_H */
