/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The kernel/user ABI of xgotop's BPF programs (bpf/xgotop.bpf.c): the ring-buffer record, the
 * probe-site descriptors record/ fills before attaching, and the map layouts. Fixed-width
 * fields, explicit padding, sizes checked at compile time; included by the BPF object (after
 * vmlinux.h) and by record/ (after <linux/types.h>).
 *
 * The BPF side cannot include format/: the event kinds it sends are numbered here, with
 * format/event.h's numbers (enum xg_kind); the states are Go's (GO_G_* in bpf/goabi.h), which
 * enum xg_gstate keeps. record/ingest.c checks both at compile time.
 */
#ifndef XG_BPF_EVENTS_H
#define XG_BPF_EVENTS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* xgb_event.kind: the kinds the BPF programs send (enum xg_kind's numbers). */
#define XGB_EV_GO_CREATE    1
#define XGB_EV_GO_EXIT	    2
#define XGB_EV_GO_STATE	    3
#define XGB_EV_ALLOC	    4
#define XGB_EV_GC_START	    5
#define XGB_EV_GC_END	    6
#define XGB_EV_CPU_SAMPLE   8
#define XGB_EV_ALLOC_SAMPLE 9

/* Stack depth captured (frames after the fixed record): pprof's. A power of two, which the
 * BPF side masks indices with. */
#define XGB_MAX_FRAMES 64
/* Kinds that have a drop counter and a sampling rate (every enum xg_kind is below this). */
#define XGB_NKINDS 16
/* Probe sites with a descriptor (the attach cookie indexes this table). */
#define XGB_MAX_SITES 256

/* The programs, in record/plan.h's REC_PROGS order (record/bpfobj.c checks it): each uprobe
 * program counts its hits in its own slot of the traps map. */
enum xgb_prog {
	XGB_PROG_CASGSTATUS,
	XGB_PROG_CAS_SITE,
	XGB_PROG_NEWG_CALL,
	XGB_PROG_GDESTROY,
	XGB_PROG_ALLOC,
	XGB_PROG_GC_START,
	XGB_PROG_GC_END,
	XGB_PROG_GO_NEW,
	XGB_PROG_ALLOC_SAMPLE,
	XGB_PROG_CPU_SAMPLE, /* on perf events: no trap, its slot stays 0 */
	XGB_NPROGS
};

/*
 * The traps map: the hit counters, a row of XGB_TRAP_STRIDE u64 slots per possible CPU (record/
 * sizes it), the slot of program p on CPU c being c * XGB_TRAP_STRIDE + p. A plain array with
 * a row per CPU rather than a per-CPU array: a program reaches its slot with no memory read
 * but the slot's own, where a per-CPU array's lookup reads the map's table of per-CPU pointers
 * first, then per-CPU memory that nothing else the program touches is near; after a trap,
 * with caches and TLB cold, that cost about 65 ns more per hit on a VM measured.
 */
#define XGB_TRAP_STRIDE 16

/* Bits of the `kinds` knob, one per enum xg_kind value. */
#define XGB_KIND_BIT(k) (1u << (k))

/* Bits of the `stacks` knob: the full-mode events that carry the user stack (cpu_sample and
 * alloc_sample always do). */
#define XGB_STACKS_CREATE 0x01 /* go_create: the creating goroutine's, from the go statement */
#define XGB_STACKS_BLOCK  0x02 /* go_state into waiting, syscall or preempted: where it stopped */
#define XGB_STACKS_ALLOC  0x04 /* alloc: the allocating code's */

/* xgb_event.flags */
#define XGB_EVF_DEFERRED 0x01 /* go_create resolved after newproc1 (Go 1.21-1.23) */
#define XGB_EVF_FALLBACK 0x02 /* ... at the goroutine's next event rather than at runqput */
#define XGB_EVF_SCHED	 0x04 /* stack walked from g.sched (the goroutine was off-CPU) */
#define XGB_EVF_CAS	 0x08 /* go_state from a direct atomicstatus CAS, not casgstatus */
#define XGB_EVF_INTERNAL 0x10 /* go_create sent only so the reader learns the goid of a g */
#define XGB_EVF_TARGET                                                                             \
	0x20 /* go_create sent only to carry, as start_pc, the function the                        \
	      * g's start wrapper calls through its closure (xgb_wrapper) */

/* xgb_event.prof.flags (cpu_sample) */
#define XGB_CPUF_KERNEL 0x01 /* the thread was in the kernel (a system call, a fault) */
#define XGB_CPUF_SYSTEM 0x02 /* it ran on a system stack (g0) for the goroutine m.curg */
#define XGB_CPUF_NO_G	0x04 /* no goroutine: a non-Go thread or the scheduler */

/* Start wrappers that call through their closure (gobin__for_each_indirect_wrapper), by
 * runtime entry address: from g.sched.ctxt, v = *(v + off[i]) for i < nloads gives the PC
 * of the function the goroutine will run. */
#define XGB_MAX_WRAPPERS  4096
#define XGB_WRAPPER_LOADS 3
struct xgb_wrapper {
	__s32 off[XGB_WRAPPER_LOADS];
	__u32 nloads;
};

/* xgb_event.sflags: how the stack that follows was walked */
#define XGB_STACK_TRUNCATED 0x01 /* cut where the frame chain went on (its limit, or its read) */
#define XGB_STACK_CURG	    0x02 /* went on from g0 into m.curg's stack at pcs[sys_frames] */

/* Attach cookies of the go_new program, where the new g is: the second argument (at the
 * `call runqput(pp, gp, next)` after newproc1), or the running g (runtime.corostart, a
 * coroutine's first run). */
#define XGB_NEWG_ARG2 0
#define XGB_NEWG_G    1
/* or'ed into the attach cookie of a probe at a function's entry that sits past the frame
 * setup (arm64 nosplit functions, gobin_probe_site.framed): the walk starts at the frame
 * pointer, the return address is not to be taken from the entry state */
#define XGB_COOKIE_FRAMED (1ull << 62)
/* or'ed into the attach cookie of a probe on the conditional branch of a function's stack
 * check (arm64's b.ls; x86-64's jbe where no push rbp follows): a hit that takes the branch
 * goes to morestack, and the function starts over from its entry (no call to report) */
#define XGB_COOKIE_CHECK (1ull << 61)
/* the flags above, which a program's own use of the cookie masks out */
#define XGB_COOKIE_FLAGS (XGB_COOKIE_FRAMED | XGB_COOKIE_CHECK)

/*
 * One ring-buffer record: this fixed part, then nframes u64 PCs (innermost first) when stacks
 * are on. All addresses are as seen in the target (not adjusted for a PIE load bias).
 *
 * goid is 0 when the BPF side did not read it (the lazy-goid mode of a launched target, where
 * every goroutine's creation is seen): the reader then knows it from the g's go_create, or, for
 * an allocation on a system stack (g0), from the goroutine the thread is running.
 */
struct xgb_event {
	__u64 ts;   /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u64 goid; /* the goroutine the event is about; 0 = look it up by g */
	__u64 g;    /* that goroutine's g; alloc: the g running the allocation */
	__u32 tid;  /* thread that hit the probe */
	__u16 cpu;
	__u8 kind;    /* XGB_EV_* (enum xg_kind) */
	__u8 nframes; /* PCs that follow the record */
	union {
		struct {
			__u8 from;   /* GO_G_*, scan bit removed (enum xg_gstate) */
			__u8 to;     /* GO_G_*, scan bit removed (enum xg_gstate) */
			__u8 reason; /* raw g.waitreason when to is waiting, else 0 */
			__u8 flags;  /* XGB_EVF_* */
			__u32 pad;
			__u64 pad2[3];
		} state;
		struct {
			__u64 parent_goid;
			__u64 create_pc; /* g.gopc */
			__u64 start_pc;	 /* g.startpc */
			__u8 flags;	 /* XGB_EVF_* */
			__u8 pad[7];
		} create;
		struct {
			__u64 size;
			__u64 type; /* *abi.Type in the target, 0 for untyped (alloc_sample: or
				     * unknown) */
			__u64 ptr;  /* alloc_sample: the object */
			__u64 pad;
		} alloc;
		struct {
			__u64 g;    /* the g in the thread's TLS slot (g0 on a system stack) */
			__u8 flags; /* XGB_CPUF_* */
			__u8 pad[7];
			__u64 ns; /* CPU clock since the CPU's previous sample; 0: not known */
			__u64 pad2;
		} prof;
		struct {
			__u64 heap_live;
			__u64 heap_goal;
			__u64 total_alloc;
			__u64 total_free;
		} gc;
		__u64 raw[4];
	};
	__u32 cycle;	 /* gc_start, gc_end: the runtime's number of the cycle (gctrace's gc N) */
	__u8 sflags;	 /* XGB_STACK_*, 0 when nframes is */
	__u8 sys_frames; /* XGB_STACK_CURG: PCs on the system stack, before m.curg's */
	__u8 pad[2];
};

/* Probe-site kinds (xgb_site.kind). */
#define XGB_SITE_CAS 1
/* xgb_site.ok_how: when the exchange happened */
#define XGB_OK_ZF  0 /* ZF is 1 (the probe sits right after the cmpxchg, or on its jcc) */
#define XGB_OK_NZF 1 /* ZF is 0 (a SETE r; TEST r,r sits between cmpxchg and the jcc) */
/* xgb_site.new_reg when the register was overwritten: read g.atomicstatus instead */
#define XGB_REG_NONE 0xff

/*
 * A probe site that needs more than its program says; the attach cookie of such a probe is its
 * index in the `sites` array map. A CAS site is where the outcome of a compare-and-swap on
 * g.atomicstatus is still visible (gobin/disasm.h gobin_code__cas32_sites): x86-64, the
 * instruction after `lock cmpxchg [base + g.atomicstatus], new` (or the jcc after a SETE/TEST
 * pair); arm64, the first simulated instruction after casal or the ldaxr/stlxr loop. There the
 * flags still say whether the exchange happened and old_reg holds the old status if it did.
 */
struct xgb_site {
	__u8 kind;    /* XGB_SITE_* */
	__u8 base;    /* register holding the g (+ base_adj), numbered as bpf/goabi.h go_regs */
	__u8 old_reg; /* register holding the old status */
	__u8 new_reg; /* register holding the new status, or XGB_REG_NONE */
	__u8 ok_how;  /* XGB_OK_* */
	__u8 pad[3];
	__u32 status_off; /* offset of g.atomicstatus (the cmpxchg's displacement) */
	__u32 base_adj;	  /* base holds the g plus this (0, or status_off on arm64) */
};

_Static_assert(sizeof(struct xgb_event) == 72, "xgb_event layout");
_Static_assert((XGB_MAX_FRAMES & (XGB_MAX_FRAMES - 1)) == 0 && XGB_MAX_FRAMES <= 255,
	       "stack indices are masked, nframes is a u8");
_Static_assert(sizeof(struct xgb_site) == 16, "xgb_site layout");
_Static_assert(XGB_NPROGS <= XGB_TRAP_STRIDE, "a slot per program in each CPU's row of traps");
_Static_assert(sizeof(struct xgb_wrapper) == 16, "xgb_wrapper layout");

#endif /* XG_BPF_EVENTS_H */
