// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xgotop's probes on the Go runtime. record/ decides where each program is attached (the probe
 * plan, from the target's pclntab and instruction decoding) and fills the knobs below before
 * load; the programs only read arguments, the g and runtime structures at offsets they are
 * given, and write struct xgb_event records (bpf/events.h) to one ring buffer.
 *
 *   casgstatus      runtime.casgstatus entry: every status change; creation (_Gdead ->
 *                   _Grunnable/_Gwaiting) and exit (_Grunning -> _Gdead, only in
 *                   gdestroy/goexit0) are read off the same transition
 *   cas_site        where a direct compare-and-swap on g.atomicstatus (casGToPreemptScan,
 *                   casGFromPreempted, coroswitch_m, the Go 1.26+ syscall fast path) shows
 *                   its outcome (x86-64: the jcc after `lock cmpxchg`; arm64: past casal or
 *                   the ldaxr/stlxr loop): the transition if the exchange happened
 *   newg_call       Go 1.21-1.23: the `call runqput` after newproc1 in newproc's closure, where
 *                   the new g finally has its goid (newproc1 sets it after casgstatus)
 *   gdestroy        gdestroy (1.22+) / goexit0 (1.21): exits, when casgstatus is not attached
 *   alloc           mallocgc (1.21-1.23), else each function mallocgc dispatches to plus the
 *                   size-specialized entry points: one hit per allocation
 *   gc_start        (*gcControllerState).startCycle: once per cycle, RAX = &gcController;
 *                   the world is stopped, memstats.numgc counts the cycles that ended
 *   gc_end          gcSweep: once per cycle, after mark termination reset heapLive and before
 *                   it increments memstats.numgc
 *
 * Production mode (a few traps, or none, per unit of work):
 *   cpu_sample      a perf event (CPU clock) on every CPU, filtered by process: the goroutine
 *                   on the interrupted thread (g from TLS, m.curg on a system stack) and its
 *                   user stack; no uprobe at all
 *   go_new          creation: the `call runqput` after newproc1 in newproc's closure (the new
 *                   g, its goid set, in the second argument), and runtime.corostart (an
 *                   iter.Pull coroutine's first run, the g running); exits are read from the
 *                   target's memory by record/, or come from gdestroy with --exit-probe
 *   alloc_sample    runtime.profilealloc: the allocations the runtime samples for its heap
 *                   profile (one per MemProfileRate bytes on average), with stack; alloc on
 *                   mallocgcLarge only, for exact large allocations
 *
 * Never a uretprobe (they corrupt Go stacks). Every probe sits after the stack-check prologue
 * (or on a nosplit/system-stack function), so none can fire twice for one call.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "bpf/events.h"
#include "bpf/goabi.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* --- knobs, set by record/ between open and load ------------------------------------------- */

const volatile __u32 targ_tgid = 0; /* only this process; 0 = any (or filtered by the kernel) */
const volatile __u32 kinds = 0;	    /* XGB_KIND_BIT(kind) for each kind to emit */
const volatile __u8 stacks = 0;	    /* XGB_STACKS_*: the events that carry the user stack */
/* blocking go_state events (XGB_STACKS_BLOCK): at most this many PCs, from one read of the
 * stack; 0 = XGB_MAX_FRAMES, read as needed */
const volatile __u8 block_frames = 0;
const volatile __u8 create_deferred = 0; /* Go 1.21-1.23: goid set after casgstatus */
/* The reader sees every goroutine's creation and state changes (a launched target recording
 * go_state): goids are read only where they cannot be looked up by g (see bpf/events.h). */
const volatile __u8 lazy_goid = 0;
const volatile __u64 wakeup_bytes = 0; /* wake the reader when this much is queued; 0 = never
					* (it polls) */
/* mixed into the goroutine sample's draw: each recording draws its own goroutines */
const volatile __u64 sample_seed = 0;
/* cpu_sample: the process sampled (perf events on CPUs are not per process) */
const volatile __u32 cpu_tgid = 0;
/* where a Go thread keeps its g: its TLS base (GO_TLS_BASE) + this; on amd64, the off of
 * runtime.stackcheck's `mov %fs:off, reg` */
const volatile __s32 tls_g_off = GO_TLS_G_OFF_DEFAULT;
/* alloc_sample: profilealloc called from [large_lo, large_hi) (mallocgcLarge) is not
 * reported, the alloc program reports every large allocation exactly; 0 = report all */
const volatile __u64 large_lo = 0;
const volatile __u64 large_hi = 0;
/* The target's Go text [text_lo, text_hi) at run time: a return address outside it ends a
 * stack walk; 0 = unknown (then only addresses in the stack being walked are refused) */
const volatile __u64 text_lo = 0;
const volatile __u64 text_hi = 0;
/* gc_start, gc_end: &memstats.numgc at run time (0 = unknown), and its value when recording
 * started, for when it cannot be read */
const volatile __u64 numgc_addr = 0;
const volatile __u32 numgc_start = 0;
/* &gcController at run time, 0 = unknown (then learned at the first startCycle) */
const volatile __u64 gcc_addr = 0;

/* Go runtime offsets (gobin__offsets); -1 when unknown. */
const volatile __s32 off_g_goid = -1;
const volatile __s32 off_g_waitreason = -1;
const volatile __s32 off_g_parent_goid = -1;
const volatile __s32 off_g_gopc = -1;
const volatile __s32 off_g_startpc = -1;
const volatile __s32 off_g_m = -1;
const volatile __s32 off_g_stack_lo = -1;
const volatile __s32 off_g_stack_hi = -1;
const volatile __s32 off_g_sched_sp = -1;
const volatile __s32 off_g_sched_pc = -1;
const volatile __s32 off_g_sched_bp = -1;
const volatile __s32 off_g_sched_ctxt = -1;
const volatile __s32 off_m_curg = -1;
const volatile __s32 off_m_g0 = -1;
const volatile __s32 off_gcc_heap_live = -1;
const volatile __s32 off_gcc_heap_marked = -1;
const volatile __s32 off_gcc_last_heap_goal = -1;
const volatile __s32 off_gcc_gc_percent_heap_goal = -1;
const volatile __s32 off_gcc_sweep_dist_min_trigger = -1;
const volatile __s32 off_gcc_memory_limit = -1;
const volatile __s32 off_gcc_heap_free = -1;
const volatile __s32 off_gcc_mapped_ready = -1;
const volatile __s32 off_gcc_total_alloc = -1;
const volatile __s32 off_gcc_total_free = -1;

/* --- maps ---------------------------------------------------------------------------------- */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20); /* resized by record/ */
} events SEC(".maps");

/* Records that could not be queued, per CPU and kind. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XGB_NKINDS);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

/* Uprobe hits per program (enum xgb_prog) and CPU, a row of XGB_TRAP_STRIDE per CPU
 * (bpf/events.h): the traps the target paid, whatever the program then did with them (record
 * prices them in its summary and holds them to its budget). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XGB_TRAP_STRIDE); /* resized by record/: a row per possible CPU */
	__type(key, __u32);
	__type(value, __u64);
} traps SEC(".maps");

/* Sampling: keep an event when a 32-bit draw is below the threshold; ~0 keeps all. Goroutine
 * kinds draw from the goid (a sampled goroutine is kept whole), allocations at random.
 * Userspace may change these while recording. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XGB_NKINDS);
	__type(key, __u32);
	__type(value, __u32);
} sample SEC(".maps");

/* Probe-site descriptors, indexed by attach cookie. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XGB_MAX_SITES);
	__type(key, __u32);
	__type(value, struct xgb_site);
} sites SEC(".maps");

/* Go 1.21-1.23: goroutines whose creating casgstatus was seen but whose goid was not yet set,
 * by g address; the value is the state they were created in. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u32);
} pending SEC(".maps");

/* Memory read for a stack walk, in few helper calls: a call costs about the same for 8 bytes
 * as for a kilobyte, and a walk would otherwise make one per frame and per g field. */
#define G_HDR	256  /* the first bytes of a g: stack bounds, m, sched, goid, waitreason */
#define STK_WIN 2048 /* stack bytes read at once, from the frame being walked up */

struct scratch {
	struct xgb_event e;
	__u64 pcs[XGB_MAX_FRAMES];
	__u64 hdr_g; /* the g whose first G_HDR bytes hdr holds; 0 = none */
	__u64 hdr[G_HDR / 8];
	__u64 win; /* the stack bytes [win, win + nwin) are in stk */
	__u64 nwin;
	__u64 stk[STK_WIN / 8];
	/* in use: a program preempted on this CPU (the kernel only disables migration around
	 * uprobe programs) must not have its record overwritten by the next one; taken with a
	 * compare-and-swap (64 bits: the one BPF has without -mcpu=v3) */
	__u64 busy;
};

/* One per CPU, the CPU being the key: a plain array rather than a per-CPU one, as the traps
 * map is (bpf/events.h XGB_TRAP_STRIDE says why). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* resized by record/: one per possible CPU */
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

/* alloc_sample: return addresses after which the allocating function's type argument is in
 * a spill slot (record/plan.h rec_plan.typ_ret); the value is the level (0: the function
 * that called profilealloc, 1: its caller, mallocgc) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 128);
	__type(key, __u64);
	__type(value, __u32);
} typsites SEC(".maps");

/* start wrappers that call through their closure, by runtime entry (struct xgb_wrapper) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XGB_MAX_WRAPPERS);
	__type(key, __u64);
	__type(value, struct xgb_wrapper);
} wrappers SEC(".maps");

/* cpu_sample's record buffer */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} cpu_scratch SEC(".maps");

/* cpu_sample: this CPU's clock (the perf event's count, ns) at its previous sample */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} cpu_clock_last SEC(".maps");

/* &gcController, learned at the first startCycle (gc_end of a cycle that started before the
 * attach has only gcc_addr). */
__u64 gc_controller = 0;
__u32 gc_cycles = 0; /* startCycle hits since the probes were enabled */
/* Set by record/ once every probe is attached, so that all of them start at one instant (an
 * attached target runs while the probes go in one by one). */
__u32 enabled = 0;
/* Set by record/ for a program whose probes are on their way out (the probe budget's windows,
 * record/windows.c): its hits are counted, and nothing more is done, from that instant; the
 * detach, which then waits for the kernel, does not hold the window open. */
__u8 prog_off[XGB_NPROGS] = {0};

/* --- helpers ------------------------------------------------------------------------------- */

static __always_inline bool want(__u32 kind)
{
	return kinds & XGB_KIND_BIT(kind);
}

/* Every uprobe program starts here: counts the hit of program prog (enum xgb_prog), then
 * says whether to go on. */
static __always_inline bool our_process(struct pt_regs *ctx, __u32 prog)
{
	__u32 slot = bpf_get_smp_processor_id() * XGB_TRAP_STRIDE + prog;
	__u64 *hits = bpf_map_lookup_elem(&traps, &slot);

	if (hits)
		__sync_fetch_and_add(hits, 1);
	if (!enabled || prog >= XGB_NPROGS || prog_off[prog])
		return false;
	/* on the stack check's branch, taken: to morestack, the function starts over after */
	if ((bpf_get_attach_cookie(ctx) & XGB_COOKIE_CHECK) && GO_BRANCH_LS(ctx))
		return false;
	return !targ_tgid || (bpf_get_current_pid_tgid() >> 32) == targ_tgid;
}

/* Whether a probe placed at a function's entry sits before its frame setup (the return
 * address in its entry place, the frame pointer the caller's), as it does but on arm64
 * nosplit functions (XGB_COOKIE_FRAMED). */
static __always_inline bool at_entry(struct pt_regs *ctx)
{
	return !(bpf_get_attach_cookie(ctx) & XGB_COOKIE_FRAMED);
}

static __always_inline __u64 read_u64(__u64 addr)
{
	__u64 v = 0;

	bpf_probe_read_user(&v, sizeof(v), (void *)addr);
	return v;
}

static __always_inline __u64 g_field(__u64 g, __s32 off)
{
	return off >= 0 && g ? read_u64(g + off) : 0;
}

static __always_inline __u32 threshold(__u32 kind)
{
	__u32 *t = bpf_map_lookup_elem(&sample, &kind);

	return t ? *t : ~0u;
}

/* A goroutine is in or out of a goroutine kind's sample as a whole: the draw is a hash of its
 * goid, unique to it. (Not of its g's address: the runtime reuses a dead goroutine's g for the
 * next one, and goroutines started one after another would share one draw.) goid: the
 * goroutine's, or 0 to read it from gp. */
static __always_inline bool sampled_g(__u32 kind, __u64 gp, __u64 goid)
{
	__u32 t = threshold(kind);

	if (t == ~0u)
		return true;
	if (!goid)
		goid = g_field(gp, off_g_goid);
	/* murmur3's finalizer: goids of any stride spread over the whole range */
	goid ^= sample_seed;
	goid = (goid ^ (goid >> 33)) * 0xff51afd7ed558ccdull;
	goid = (goid ^ (goid >> 33)) * 0xc4ceb9fe1a85ec53ull;
	return (__u32)((goid ^ (goid >> 33)) >> 32) < t;
}

static __always_inline void count_lost(__u32 kind)
{
	__u64 *n = bpf_map_lookup_elem(&lost, &kind);

	if (n)
		__sync_fetch_and_add(n, 1);
}

static __always_inline __u64 rb_flags(void)
{
	if (!wakeup_bytes)
		return BPF_RB_NO_WAKEUP;
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP
									     : BPF_RB_NO_WAKEUP;
}

static __always_inline void fill(struct xgb_event *e, __u32 kind, __u64 goid, __u64 g)
{
	e->ts = bpf_ktime_get_ns();
	e->goid = goid;
	e->g = g;
	e->tid = (__u32)bpf_get_current_pid_tgid();
	e->cpu = bpf_get_smp_processor_id();
	e->kind = kind;
	e->nframes = 0;
	/* the union, then cycle, sflags, sys_frames and pad: five aligned stores (volatile:
	 * merged into one memset, they were lowered a byte at a time) */
	for (int i = 0; i < 5; i++)
		((volatile __u64 *)e->raw)[i] = 0;
}

/* --- stacks -------------------------------------------------------------------------------- */

/*
 * Stacks are walked along the frame-pointer chain ([fp] = the caller's fp, [fp+8] = the return
 * address into the caller), one goroutine stack at a time: each frame record must lie within
 * the bounds of the g whose stack is walked, above the one before it, and hold a return
 * address that can be code. The walk ends where the chain leaves the stack (a goroutine's
 * first frame holds fp 0), except on a system stack (g0), which the runtime runs on behalf of
 * the thread's goroutine m.curg: there it goes on into that goroutine's stack, as Go's own
 * profiler does, along the chain where it leads there (systemstack keeps the frame pointer, so
 * did mcall before Go 1.25), or from the context m.curg's g.sched holds where mcall or
 * morestack cleared the frame pointer.
 */

/* A stack being walked: the bounds of its g, [lo, hi), and where the chain is. */
struct walk {
	__u64 lo, hi;
	__u64 fp;
	__u32 n;   /* PCs in the record so far */
	__u32 max; /* PCs the record may hold, at most XGB_MAX_FRAMES */
	/* a short walk: the stack is read once, and the record ends where that read does */
	bool once;
};

/* Appends pc, a frame that exists; false when the record is full, which is then marked
 * truncated. */
static __always_inline bool push(struct scratch *s, struct walk *w, __u64 pc)
{
	if (w->n >= w->max || w->n >= XGB_MAX_FRAMES) {
		s->e.sflags |= XGB_STACK_TRUNCATED;
		return false;
	}
	s->pcs[w->n & (XGB_MAX_FRAMES - 1)] = pc;
	w->n++;
	return true;
}

/* Whether pc can be a return address found on the stack [lo, hi): in the Go text when its
 * bounds are known, else at least not in the first page or in that stack. */
static __always_inline bool code_pc(__u64 pc, __u64 lo, __u64 hi)
{
	if (text_hi)
		return pc >= text_lo && pc < text_hi;
	return pc >= 4096 && (pc < lo || pc >= hi);
}

/* Forgets the memory read for the last record: the next one is about another moment. */
static __always_inline void scratch_reset(struct scratch *s)
{
	s->hdr_g = 0;
	s->nwin = 0;
}

/* Reads the first G_HDR bytes of gp into s->hdr, unless they are there already. */
static __always_inline void g_load(struct scratch *s, __u64 gp)
{
	if (!gp || gp == s->hdr_g)
		return;
	s->hdr_g = 0;
	if (!bpf_probe_read_user(s->hdr, sizeof(s->hdr), (void *)gp))
		s->hdr_g = gp;
}

/* gp's u64 field at off: from s->hdr when it holds it, else read. */
static __always_inline __u64 g_get(struct scratch *s, __u64 gp, __s32 off)
{
	if (off < 0 || !gp)
		return 0;
	if (gp == s->hdr_g && off <= G_HDR - 8 && !(off & 7))
		return s->hdr[(off >> 3) & (G_HDR / 8 - 1)];
	return read_u64(gp + off);
}

/* gp's u8 field at off, the same way. */
static __always_inline __u8 g_get_u8(struct scratch *s, __u64 gp, __s32 off)
{
	__u8 v = 0;

	if (off < 0 || !gp)
		return 0;
	if (gp == s->hdr_g && off < G_HDR)
		return ((__u8 *)s->hdr)[off & (G_HDR - 1)];
	bpf_probe_read_user(&v, 1, (void *)(gp + off));
	return v;
}

/* g.stack, the bounds of gp's stack; false when unknown. */
static __always_inline bool g_stack(struct scratch *s, __u64 gp, __u64 *lo, __u64 *hi)
{
	if (!gp || off_g_stack_lo < 0 || off_g_stack_hi < 0)
		return false;
	g_load(s, gp);
	*lo = g_get(s, gp, off_g_stack_lo);
	*hi = g_get(s, gp, off_g_stack_hi);
	return *lo && *hi > *lo + 16;
}

/* Reads the stack from fp, a frame record below hi, into s->stk: up to STK_WIN bytes, or the
 * record alone when the larger read fails. False when even that fails. */
static __always_inline bool stk_read(struct scratch *s, __u64 fp, __u64 hi)
{
	__u64 n = hi - fp;

	if (n > STK_WIN)
		n = STK_WIN;
	s->win = fp;
	s->nwin = 0;
	if (n < 16)
		return false;
	if (!bpf_probe_read_user(s->stk, n, (void *)fp)) {
		s->nwin = n;
		return true;
	}
	if (bpf_probe_read_user(s->stk, 16, (void *)fp))
		return false;
	s->nwin = 16;
	return true;
}

/*
 * Follows the chain from w->fp while its frame records are on the stack [w->lo, w->hi). 1 when
 * it stopped because the next frame pointer, left in w->fp (maybe 0), is not on it, else 0.
 * Global, so that the verifier checks it once, not once per caller and per record length.
 */
__noinline int walk_fp(struct scratch *s, struct walk *w)
{
	if (!s || !w)
		return 0;
	for (int i = 0; i <= XGB_MAX_FRAMES; i++) {
		__u64 fp = w->fp, at, next, ret;

		if (!fp || fp < w->lo || fp > w->hi - 16 || (fp & 7))
			return 1;
		if (fp < s->win || fp + 16 > s->win + s->nwin) {
			if (w->once && s->nwin) {
				s->e.sflags |= XGB_STACK_TRUNCATED;
				return 0;
			}
			if (!stk_read(s, fp, w->hi))
				return 0;
		}
		/* the record: the caller's frame pointer, then the return address into it */
		at = (fp - s->win) >> 3;
		next = s->stk[at & (STK_WIN / 8 - 1)];
		ret = s->stk[(at + 1) & (STK_WIN / 8 - 1)];
		if (!code_pc(ret, w->lo, w->hi) || !push(s, w, ret))
			return 0;
		/* a caller's frame is above its callee's: anything else on this stack is no
		 * frame chain (and a cycle would repeat itself) */
		if (next <= fp && next >= w->lo)
			return 0;
		w->fp = next;
	}
	return 0;
}

/*
 * Walks gp's stack from w->fp (after the w->n PCs already in the record), and when gp may be a
 * system stack (sys) whose chain leaves it, m.curg's after it. The number of PCs in the
 * record.
 */
static __always_inline __u32 walk_g(struct scratch *s, struct walk *w, __u64 gp, bool sys)
{
	__u64 m, curg, lo, hi, sp, pc;
	__u32 nsys;

	if (!g_stack(s, gp, &w->lo, &w->hi) || !walk_fp(s, w) || !sys)
		return w->n;
	m = g_get(s, gp, off_g_m);
	curg = m && off_m_curg >= 0 ? read_u64(m + off_m_curg) : 0;
	if (!curg || curg == gp || !g_stack(s, curg, &lo, &hi))
		return w->n;
	nsys = w->n;
	if (!w->fp) {
		/* g.sched is set while the goroutine is switched out (sp is 0 while it runs) */
		sp = g_get(s, curg, off_g_sched_sp);
		pc = g_get(s, curg, off_g_sched_pc);
		if (sp < lo || sp >= hi || !code_pc(pc, lo, hi) || !push(s, w, pc))
			return w->n;
		w->fp = g_get(s, curg, off_g_sched_bp);
	} else if (w->fp < lo || w->fp >= hi) {
		return w->n;
	}
	s->e.sflags |= XGB_STACK_CURG;
	s->e.sys_frames = nsys;
	w->lo = lo;
	w->hi = hi;
	walk_fp(s, w);
	return w->n;
}

/*
 * The stack to attach: at most max PCs, and when max is less than XGB_MAX_FRAMES, what one
 * read of the stack holds (a walk's cost is in its reads). At a function-entry probe the frame
 * pointer still belongs to the caller and the return address is at the stack top; inside a
 * function, the frame is its own. When the g in question is not the one running (it is being
 * parked from g0), its stack is walked from g.sched, which mcall saved. gp, when given, is a
 * goroutine changing status, never a system stack: its walk does not go on into m.curg's.
 */
static __always_inline __u32 capture(struct scratch *s, struct pt_regs *ctx, __u64 gp, bool entry,
				     __u32 max)
{
	struct walk w = {.max = max, .once = max < XGB_MAX_FRAMES};

	if (gp && gp != GO_G(ctx) && off_g_sched_pc >= 0 && off_g_sched_bp >= 0) {
		__u64 pc;

		g_load(s, gp);
		pc = g_get(s, gp, off_g_sched_pc);
		if (!pc)
			return 0;
		push(s, &w, pc);
		s->e.state.flags |= XGB_EVF_SCHED;
		w.fp = g_get(s, gp, off_g_sched_bp);
		return walk_g(s, &w, gp, false);
	}
	push(s, &w, GO_PC(ctx));
	if (entry) {
		__u64 ra = go_entry_ret(ctx);

		/* (no stack to compare with yet: the text bounds or the first page only) */
		if (!code_pc(ra, 0, 0))
			return w.n;
		push(s, &w, ra);
	}
	w.fp = GO_FP(ctx);
	return walk_g(s, &w, GO_G(ctx), GO_G(ctx) != gp);
}

/* The per-CPU record buffer for stack events, or NULL when this CPU's is in use. */
static __always_inline struct scratch *scratch_get(void)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct scratch *s = bpf_map_lookup_elem(&scratch, &cpu);

	if (!s || __sync_val_compare_and_swap(&s->busy, 0, 1))
		return NULL;
	scratch_reset(s);
	return s;
}

/* Queues s->e with its n PCs and releases the buffer. */
static __always_inline void output(struct scratch *s, __u32 n)
{
	__u64 len;

	if (n > XGB_MAX_FRAMES)
		n = XGB_MAX_FRAMES;
	s->e.nframes = n;
	len = sizeof(struct xgb_event) + (__u64)n * sizeof(__u64);
	if (bpf_ringbuf_output(&events, s, len, rb_flags()))
		count_lost(s->e.kind);
	s->busy = 0;
}

/* --- writing a record ---------------------------------------------------------------------- */

/* A record of kind reserved in the ring buffer, its common fields filled; NULL (counted as
 * lost) when the buffer is full. */
static __always_inline struct xgb_event *reserve(__u32 kind, __u64 goid, __u64 g)
{
	struct xgb_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		count_lost(kind);
		return NULL;
	}
	fill(e, kind, goid, g);
	return e;
}

static __always_inline void submit(struct xgb_event *e)
{
	bpf_ringbuf_submit(e, rb_flags());
}

/* A record that carries the running code's stack when it can: in the per-CPU stack buffer s
 * (e is then &s->e), or, when no stack is asked for or the buffer is in use, reserved
 * without one. */
struct emit {
	struct xgb_event *e;
	struct scratch *s;
};

/* Starts a record of kind, with room for a stack if `stack`. False (counted as lost) when
 * there is no room at all. */
static __always_inline bool emit_begin(struct emit *m, __u32 kind, __u64 goid, __u64 g, bool stack)
{
	m->s = stack ? scratch_get() : NULL;
	if (m->s) {
		m->e = &m->s->e;
		fill(m->e, kind, goid, g);
		return true;
	}
	m->e = reserve(kind, goid, g);
	return m->e != NULL;
}

/* Queues the record, with the running code's stack (capture()) when it has room for one. */
static __always_inline void emit_end(struct emit *m, struct pt_regs *ctx, bool entry)
{
	if (m->s)
		output(m->s, capture(m->s, ctx, 0, entry, XGB_MAX_FRAMES));
	else
		submit(m->e);
}

/* --- goroutine events ---------------------------------------------------------------------- */

/* g.goid and, for a goroutine about to wait, g.waitreason (set before the transition): one
 * read when they are close, as they are in every Go version. */
static __always_inline __u64 read_goid(__u64 gp, __u32 to, __u8 *reason)
{
	__s32 d = off_g_waitreason - off_g_goid;
	__u8 buf[32];

	*reason = 0;
	if (!gp || off_g_goid < 0)
		return 0;
	if (to != GO_G_WAITING || off_g_waitreason < 0)
		return read_u64(gp + off_g_goid);
	if (d >= 8 && d < (__s32)sizeof(buf)) {
		if (bpf_probe_read_user(buf, sizeof(buf), (void *)(gp + off_g_goid)))
			return 0;
		*reason = buf[d & (sizeof(buf) - 1)];
		return *(__u64 *)buf;
	}
	bpf_probe_read_user(reason, 1, (void *)(gp + off_g_waitreason));
	return read_u64(gp + off_g_goid);
}

/* Whether a go_state event into `to` carries the goroutine's stack: where it stopped. */
static __always_inline bool block_stack(__u32 to)
{
	return (stacks & XGB_STACKS_BLOCK) &&
	       (to == GO_G_WAITING || to == GO_G_SYSCALL || to == GO_G_PREEMPTED);
}

/* A go_state event with gp's stack (block_stack); with read_ids, its goid and wait reason are
 * read here, with the g's other fields the walk needs (one read). False when the record
 * buffer is in use. */
static __always_inline bool emit_state_stack(struct pt_regs *ctx, __u64 gp, __u64 goid, __u32 from,
					     __u32 to, __u8 reason, __u8 flags, bool entry,
					     bool read_ids)
{
	struct scratch *s = scratch_get();

	if (!s)
		return false;
	if (read_ids) {
		g_load(s, gp);
		goid = g_get(s, gp, off_g_goid);
		if (to == GO_G_WAITING)
			reason = g_get_u8(s, gp, off_g_waitreason);
	}
	fill(&s->e, XGB_EV_GO_STATE, goid, gp);
	s->e.state.from = from;
	s->e.state.to = to;
	s->e.state.reason = reason;
	s->e.state.flags = flags;
	output(s, capture(s, ctx, gp, entry, block_frames ?: XGB_MAX_FRAMES));
	return true;
}

static __always_inline void emit_state(__u64 gp, __u64 goid, __u32 from, __u32 to, __u8 reason,
				       __u8 flags)
{
	struct xgb_event *e = reserve(XGB_EV_GO_STATE, goid, gp);

	if (!e)
		return;
	e->state.from = from;
	e->state.to = to;
	e->state.reason = reason;
	e->state.flags = flags;
	submit(e);
}

/* g.parentGoid, g.gopc and g.startpc: one read when they are close (they are 24 bytes apart
 * in every Go version), else three. */
static __always_inline void read_create(__u64 gp, struct xgb_event *e)
{
	__s32 lo = off_g_parent_goid, dg = off_g_gopc - lo, ds = off_g_startpc - lo;
	__u64 buf[8];

	if (lo >= 0 && dg > 0 && ds > 0 && dg < 64 && ds < 64 && !(dg & 7) && !(ds & 7)) {
		if (bpf_probe_read_user(buf, sizeof(buf), (void *)(gp + lo)))
			return;
		e->create.parent_goid = buf[0];
		e->create.create_pc = buf[(dg >> 3) & 7];
		e->create.start_pc = buf[(ds >> 3) & 7];
		return;
	}
	e->create.parent_goid = g_field(gp, off_g_parent_goid);
	e->create.create_pc = g_field(gp, off_g_gopc);
	e->create.start_pc = g_field(gp, off_g_startpc);
}

/* When g's start PC is a wrapper that calls through its closure (`go fv(x)`), the function it
 * will call, read from the closure now (g.sched.ctxt is cleared when the g first runs), in a
 * go_create record of its own ahead of the real one. */
static __always_inline void emit_target(__u64 gp, __u64 goid)
{
	__u64 start = g_field(gp, off_g_startpc), v;
	struct xgb_wrapper *w;
	struct xgb_event *e;

	if (!start || off_g_sched_ctxt < 0)
		return;
	w = bpf_map_lookup_elem(&wrappers, &start);
	if (!w)
		return;
	v = read_u64(gp + off_g_sched_ctxt);
	for (__u32 i = 0; i < XGB_WRAPPER_LOADS; i++) {
		if (i >= w->nloads || !v)
			break;
		v = read_u64(v + w->off[i]);
	}
	if (!v)
		return;
	e = reserve(XGB_EV_GO_CREATE, goid, gp);
	if (!e)
		return;
	e->create.start_pc = v;
	e->create.flags = XGB_EVF_TARGET;
	submit(e);
}

static __always_inline void emit_create(struct pt_regs *ctx, __u64 gp, __u64 goid, __u8 flags,
					bool entry)
{
	struct emit m;

	if (!(flags & (XGB_EVF_INTERNAL | XGB_EVF_FALLBACK)))
		emit_target(gp, goid);
	if (!emit_begin(&m, XGB_EV_GO_CREATE, goid, gp,
			(stacks & XGB_STACKS_CREATE) && !(flags & XGB_EVF_FALLBACK)))
		return;
	read_create(gp, m.e);
	m.e->create.flags = flags;
	/* the creator's stack: newproc1 runs on g0 through systemstack, which keeps the frame
	 * chain going into the creating goroutine */
	emit_end(&m, ctx, entry);
}

static __always_inline void emit_exit(__u64 goid, __u64 gp)
{
	struct xgb_event *e = reserve(XGB_EV_GO_EXIT, goid, gp);

	if (e)
		submit(e);
}

/* A goroutine created with the given state: its go_create, then its first go_state. */
static __always_inline void created(struct pt_regs *ctx, __u64 gp, __u32 to, __u8 flags, bool entry)
{
	__u8 reason;
	__u64 goid = read_goid(gp, to, &reason);

	if (lazy_goid)
		/* the reader needs every creation to know every goroutine's goid; it does the
		 * kind and sampling filtering itself */
		emit_create(ctx, gp, goid,
			    flags | (want(XGB_EV_GO_CREATE) && sampled_g(XGB_EV_GO_CREATE, gp, goid)
					 ? 0
					 : XGB_EVF_INTERNAL),
			    entry);
	else if (want(XGB_EV_GO_CREATE) && sampled_g(XGB_EV_GO_CREATE, gp, goid))
		emit_create(ctx, gp, goid, flags, entry);
	if (want(XGB_EV_GO_STATE) && sampled_g(XGB_EV_GO_STATE, gp, goid) &&
	    !(block_stack(to) &&
	      emit_state_stack(ctx, gp, goid, GO_G_DEAD, to, reason, flags, entry, false)))
		emit_state(gp, goid, GO_G_DEAD, to, reason, flags);
}

/* Go 1.21-1.23: if gp's creation is still pending, its goid is set by now: report it. */
static __always_inline void resolve(struct pt_regs *ctx, __u64 gp, __u8 flags, bool entry)
{
	__u32 *to = bpf_map_lookup_elem(&pending, &gp);
	__u32 st;

	if (!to)
		return;
	st = *to;
	bpf_map_delete_elem(&pending, &gp);
	created(ctx, gp, st, XGB_EVF_DEFERRED | flags, entry);
}

/* One logical status change of gp (scan bits already removed). */
static __always_inline void transition(struct pt_regs *ctx, __u64 gp, __u32 from, __u32 to,
				       __u8 flags, bool entry)
{
	__u64 goid;
	__u8 reason;
	bool ids, state;

	/* _Gdeadextra is _Gdead by another name (Go 1.26 split them; earlier ones use _Gdead) */
	if (from == GO_G_DEAD_EXTRA)
		from = GO_G_DEAD;
	if (to == GO_G_DEAD_EXTRA)
		to = GO_G_DEAD;
	if (from == to || from == GO_G_IDLE) /* g struct being set up by malg/oneNewExtraM */
		return;
	if (from == GO_G_DEAD && (to == GO_G_RUNNABLE || to == GO_G_WAITING)) {
		if (create_deferred) {
			if (bpf_map_update_elem(&pending, &gp, &to, BPF_ANY))
				count_lost(XGB_EV_GO_CREATE);
			return;
		}
		created(ctx, gp, to, flags, entry);
		return;
	}
	if (create_deferred)
		resolve(ctx, gp, XGB_EVF_FALLBACK, entry);

	/* a g leaving _Gdead without being created is a cgo callback's (needm): its goid is
	 * not known from a creation */
	ids = !lazy_goid || to == GO_G_WAITING || from == GO_G_DEAD;
	state = want(XGB_EV_GO_STATE) && sampled_g(XGB_EV_GO_STATE, gp, 0);
	/* (never into _Gdead: no exit below) */
	if (state && block_stack(to) &&
	    emit_state_stack(ctx, gp, 0, from, to, 0, flags, entry, ids))
		return;
	if (ids)
		goid = read_goid(gp, to, &reason);
	else
		goid = reason = 0;
	if (state)
		emit_state(gp, goid, from, to, reason, flags);
	/* the only casgstatus(_Grunning, _Gdead) is gdestroy's (goexit0's on 1.21) first act */
	if (from == GO_G_RUNNING && to == GO_G_DEAD && want(XGB_EV_GO_EXIT) &&
	    sampled_g(XGB_EV_GO_EXIT, gp, goid))
		emit_exit(goid, gp);
}

/* func casgstatus(gp *g, oldval, newval uint32) — nosplit, starts with push rbp */
SEC("uprobe")
int casgstatus(struct pt_regs *ctx)
{
	__u64 gp = GO_ARG1(ctx);
	__u32 from = (__u32)GO_ARG2(ctx) & ~GO_G_SCAN;
	__u32 to = (__u32)GO_ARG3(ctx) & ~GO_G_SCAN;

	if (!our_process(ctx, XGB_PROG_CASGSTATUS))
		return 0;
	transition(ctx, gp, from, to, 0, at_entry(ctx));
	return 0;
}

/* Where a compare-and-swap on gp->atomicstatus shows its outcome; cookie = sites index. */
SEC("uprobe")
int cas_site(struct pt_regs *ctx)
{
	__u32 idx = (__u32)bpf_get_attach_cookie(ctx);
	struct xgb_site *s;
	__u64 gp, regs[16];
	__u32 from, to;
	bool zf, ok;

	if (!our_process(ctx, XGB_PROG_CAS_SITE))
		return 0;
	s = bpf_map_lookup_elem(&sites, &idx);
	if (!s || s->kind != XGB_SITE_CAS)
		return 0;
	zf = GO_ZF(ctx);
	ok = s->ok_how == XGB_OK_ZF ? zf : !zf;
	if (!ok)
		return 0; /* the exchange failed; casgstatus (probed) takes over */
	go_regs(ctx, regs);
	gp = regs[s->base & 15] - s->base_adj;
	from = (__u32)regs[s->old_reg & 15] & ~GO_G_SCAN;
	if (s->new_reg != XGB_REG_NONE) {
		to = (__u32)regs[s->new_reg & 15];
	} else {
		/* just written by the exchange; the g cannot move on before this thread does */
		to = 0;
		bpf_probe_read_user(&to, sizeof(to), (void *)(gp + s->status_off));
	}
	to &= ~GO_G_SCAN;
	transition(ctx, gp, from, to, XGB_EVF_CAS, false);
	return 0;
}

/* Go 1.21-1.23: `call runqput(pp *p, gp *g, next bool)` right after newproc1 returned gp. */
SEC("uprobe")
int newg_call(struct pt_regs *ctx)
{
	if (!our_process(ctx, XGB_PROG_NEWG_CALL))
		return 0;
	resolve(ctx, GO_ARG2(ctx), 0, false);
	return 0;
}

/* func gdestroy(gp *g) / func goexit0(gp *g): used when casgstatus is not probed. */
SEC("uprobe")
int gdestroy(struct pt_regs *ctx)
{
	__u64 goid, gp;

	if (!our_process(ctx, XGB_PROG_GDESTROY))
		return 0;
	gp = GO_ARG1(ctx);
	goid = g_field(gp, off_g_goid);
	if (sampled_g(XGB_EV_GO_EXIT, gp, goid))
		emit_exit(goid, gp);
	return 0;
}

/* --- allocations --------------------------------------------------------------------------- */

/* The goroutine on whose behalf the running code allocates (m.curg when on g0); 0 in the
 * lazy-goid mode, where the reader knows. */
static __always_inline __u64 current_goid(struct pt_regs *ctx)
{
	__u64 g = GO_G(ctx);
	__u64 goid;

	if (lazy_goid)
		return 0;
	goid = g_field(g, off_g_goid);

	if (!goid && off_g_m >= 0 && off_m_curg >= 0) {
		__u64 m = g_field(g, off_g_m);
		__u64 curg = m ? read_u64(m + off_m_curg) : 0;

		goid = g_field(curg, off_g_goid);
	}
	return goid;
}

/* mallocgc(size uintptr, typ *_type, needzero bool) and every function with that prefix of
 * arguments that allocates exactly one object per call. */
SEC("uprobe")
int alloc(struct pt_regs *ctx)
{
	__u32 t = threshold(XGB_EV_ALLOC);
	struct emit m;

	/* after our_process(): every hit is a trap, whatever the draw */
	if (!our_process(ctx, XGB_PROG_ALLOC))
		return 0;
	if (t != ~0u && bpf_get_prandom_u32() >= t)
		return 0;
	if (!emit_begin(&m, XGB_EV_ALLOC, current_goid(ctx), GO_G(ctx), stacks & XGB_STACKS_ALLOC))
		return 0;
	m.e->alloc.size = GO_ARG1(ctx);
	m.e->alloc.type = GO_ARG2(ctx);
	emit_end(&m, ctx, at_entry(ctx));
	return 0;
}

/* --- GC ------------------------------------------------------------------------------------ */

/* The pacer's constants (runtime/mgcpacer.go, mgc.go; the same in Go 1.21 to 1.27). */
#define GC_MIN_RUNWAY	      (64 << 10) /* heapGoalInternal: minRunway */
#define GC_LIMIT_HEADROOM_PCT 3		 /* memoryLimitHeapGoalHeadroomPercent */
#define GC_LIMIT_MIN_HEADROOM (1 << 20)	 /* memoryLimitMinHeapGoalHeadroom */

/* The runtime's number of the cycle under way (gctrace's "gc N"): both probes run before mark
 * termination increments memstats.numgc. When it cannot be read, the count at the start of
 * the recording plus the cycles seen since. */
static __always_inline __u32 gc_number(void)
{
	__u32 n;

	if (!numgc_addr || bpf_probe_read_user(&n, sizeof(n), (void *)numgc_addr))
		return numgc_start + gc_cycles;
	return n + 1;
}

/* gcControllerState.memoryLimitHeapGoal(); ~0 when a figure is unknown or the figures are
 * inconsistent (the runtime reads again then; here the world is stopped). */
static __always_inline __u64 limit_goal(__u64 c)
{
	__u64 limit, heap_free, heap_alloc, mapped, marked, nonheap, overage = 0, goal, headroom;

	if (off_gcc_memory_limit < 0 || off_gcc_heap_free < 0 || off_gcc_mapped_ready < 0 ||
	    off_gcc_total_alloc < 0 || off_gcc_total_free < 0 || off_gcc_heap_marked < 0)
		return ~0ull;
	limit = g_field(c, off_gcc_memory_limit);
	heap_free = g_field(c, off_gcc_heap_free);
	heap_alloc = g_field(c, off_gcc_total_alloc) - g_field(c, off_gcc_total_free);
	mapped = g_field(c, off_gcc_mapped_ready);
	marked = g_field(c, off_gcc_heap_marked);
	if (heap_free + heap_alloc > mapped)
		return ~0ull;
	nonheap = mapped - heap_free - heap_alloc;
	if (mapped > limit)
		overage = mapped - limit;
	if (nonheap + overage >= limit)
		return marked;
	goal = limit - (nonheap + overage);
	headroom = goal / 100 * GC_LIMIT_HEADROOM_PCT;
	if (headroom < GC_LIMIT_MIN_HEADROOM)
		headroom = GC_LIMIT_MIN_HEADROOM;
	if (goal < headroom || goal - headroom < headroom)
		goal = headroom;
	else
		goal -= headroom;
	return goal < marked ? marked : goal;
}

/*
 * The heap goal of the cycle startCycle is starting: gcControllerState.heapGoal() once
 * startCycle has set triggered = heapLive (the value GODEBUG=gctrace=1 prints as "MB goal"
 * when the cycle ends, unless a memory limit moves it meanwhile). Without the goal's inputs,
 * lastHeapGoal: the previous cycle's.
 */
static __always_inline __u64 start_goal(__u64 c, __u64 live)
{
	__u64 goal, limit, sweep;

	if (off_gcc_gc_percent_heap_goal < 0)
		return g_field(c, off_gcc_last_heap_goal);
	goal = g_field(c, off_gcc_gc_percent_heap_goal);
	limit = limit_goal(c);
	if (limit < goal)
		return limit;
	sweep = g_field(c, off_gcc_sweep_dist_min_trigger);
	if (sweep > goal)
		goal = sweep;
	if (goal < live + GC_MIN_RUNWAY)
		goal = live + GC_MIN_RUNWAY;
	return goal;
}

static __always_inline void emit_gc(__u32 kind, __u64 c)
{
	struct xgb_event *e = reserve(kind, 0, 0);

	if (!e)
		return;
	if (c) {
		e->gc.heap_live = g_field(c, off_gcc_heap_live);
		/* gc_end: endCycle set lastHeapGoal to this cycle's goal */
		e->gc.heap_goal = kind == XGB_EV_GC_START ? start_goal(c, e->gc.heap_live)
							  : g_field(c, off_gcc_last_heap_goal);
		e->gc.total_alloc = g_field(c, off_gcc_total_alloc);
		e->gc.total_free = g_field(c, off_gcc_total_free);
	}
	e->cycle = gc_number();
	submit(e);
}

/* func (c *gcControllerState) startCycle(markStartTime int64, procs int, trigger gcTrigger) */
SEC("uprobe")
int gc_start(struct pt_regs *ctx)
{
	if (!our_process(ctx, XGB_PROG_GC_START))
		return 0;
	gc_controller = GO_ARG1(ctx);
	__sync_fetch_and_add(&gc_cycles, 1);
	emit_gc(XGB_EV_GC_START, gc_controller);
	return 0;
}

/* func gcSweep(mode gcMode) [bool]: mark termination is over, heapLive was reset */
SEC("uprobe")
int gc_end(struct pt_regs *ctx)
{
	if (!our_process(ctx, XGB_PROG_GC_END))
		return 0;
	emit_gc(XGB_EV_GC_END, gc_controller ?: gcc_addr);
	return 0;
}

/* --- production mode ----------------------------------------------------------------------- */

/* A goroutine started: `call runqput(pp, gp, next)` after newproc1 (cookie XGB_NEWG_ARG2), or
 * runtime.corostart's push rbp (XGB_NEWG_G): goid, parent and start PC are all set by then. */
SEC("uprobe")
int go_new(struct pt_regs *ctx)
{
	bool coro = (bpf_get_attach_cookie(ctx) & ~XGB_COOKIE_FLAGS) == XGB_NEWG_G;
	__u64 g = GO_G(ctx), arg2 = GO_ARG2(ctx), gp, goid;

	if (!our_process(ctx, XGB_PROG_GO_NEW))
		return 0;
	/* both read at fixed offsets: the verifier refuses a context pointer moved by a
	 * computed amount, which is what a select between the two loads compiles to */
	asm volatile("" : "+r"(g));
	asm volatile("" : "+r"(arg2));
	gp = coro ? g : arg2;
	goid = g_field(gp, off_g_goid);
	if (sampled_g(XGB_EV_GO_CREATE, gp, goid))
		emit_create(ctx, gp, goid, 0, coro && at_entry(ctx));
	return 0;
}

/*
 * func profilealloc(mp *m, x unsafe.Pointer, size uintptr): the runtime sampled this
 * allocation for its heap profile. The type is not an argument; record/ verified (in the
 * code) which calls leave the allocating function's own typ argument (its second) in its
 * spill slot (GO_ARG_SPILL): the function calling profilealloc (level 0), or mallocgc one
 * frame up when it called that function (level 1). Anywhere else the type stays unknown.
 */
SEC("uprobe")
int alloc_sample(struct pt_regs *ctx)
{
	__u64 ra = go_entry_ret(ctx), fp = GO_FP(ctx), typ = 0, frame[2];
	__u32 *lvl;
	struct emit m;

	if (!our_process(ctx, XGB_PROG_ALLOC_SAMPLE))
		return 0;
	if (!at_entry(ctx))
		fp = read_u64(fp); /* past the frame setup: the caller's frame pointer */
	if (large_hi && ra >= large_lo && ra < large_hi)
		return 0;
	lvl = bpf_map_lookup_elem(&typsites, &ra);
	if (lvl && *lvl == 0) {
		typ = read_u64(GO_ARG_SPILL(fp, 1));
	} else if (!bpf_probe_read_user(frame, sizeof(frame), (void *)fp)) {
		/* frame[0]: the caller's frame pointer, frame[1]: the return address into it */
		lvl = bpf_map_lookup_elem(&typsites, &frame[1]);
		if (lvl && *lvl == 1)
			typ = read_u64(GO_ARG_SPILL(frame[0], 1));
	}
	if (!emit_begin(&m, XGB_EV_ALLOC_SAMPLE, current_goid(ctx), GO_G(ctx), true))
		return 0;
	m.e->alloc.size = GO_ARG3(ctx);
	m.e->alloc.type = typ;
	m.e->alloc.ptr = GO_ARG2(ctx);
	emit_end(&m, ctx, at_entry(ctx));
	return 0;
}

/*
 * A CPU-clock perf event fired on this CPU. If the interrupted thread belongs to the target,
 * the goroutine it runs: the g in its TLS slot, or, when that is a system stack (g0, the
 * signal stack), the user goroutine the M runs for (m.curg); none in the scheduler. The stack
 * is walked from the thread's user registers (saved at kernel entry when the thread was in
 * the kernel) like a probe's: the system stack's frames, then m.curg's (see walk_g).
 *
 * The sample stands for the CPU clock since this CPU's previous one, which is the period only
 * when the timer fires on time: a late timer (an interrupt held off, a virtual CPU not running)
 * skips the periods it missed, and counting samples would lose that time.
 */
SEC("perf_event")
int cpu_sample(struct bpf_perf_event_data *ctx)
{
	struct task_struct *task;
	struct pt_regs *regs;
	struct scratch *s;
	struct walk w = {.max = XGB_MAX_FRAMES};
	__u32 zero = 0;
	__u64 g = 0, m, curg = 0, gp, g0 = 0, pc = 0, fp = 0, ns = 0, *last;
	__u8 flags = 0;

	/* every firing moves the mark, the target's or not */
	last = bpf_map_lookup_elem(&cpu_clock_last, &zero);
	if (last) {
		struct bpf_perf_event_value v = {};

		if (!bpf_perf_prog_read_value(ctx, &v, sizeof(v)) && v.counter > *last) {
			ns = *last ? v.counter - *last : 0;
			*last = v.counter;
		}
	}
	if (!enabled || (bpf_get_current_pid_tgid() >> 32) != cpu_tgid)
		return 0;
	task = bpf_get_current_task_btf();
	if (GO_USER_MODE(&ctx->regs)) {
		pc = GO_PC(&ctx->regs);
		fp = GO_FP(&ctx->regs);
		if (!GO_G_IN_TLS)
			g = GO_G(&ctx->regs);
	} else {
		flags |= XGB_CPUF_KERNEL;
		regs = (struct pt_regs *)bpf_task_pt_regs(task);
		bpf_probe_read_kernel(&pc, sizeof(pc), &GO_PC(regs));
		bpf_probe_read_kernel(&fp, sizeof(fp), &GO_FP(regs));
		if (!GO_G_IN_TLS)
			bpf_probe_read_kernel(&g, sizeof(g), &GO_G(regs));
	}
	if (GO_G_IN_TLS) {
		__u64 tls = GO_TLS_BASE(task);

		if (tls)
			g = read_u64(tls + tls_g_off);
	}
	m = g_field(g, off_g_m);
	if (m && off_m_curg >= 0)
		curg = read_u64(m + off_m_curg);
	if (m && off_m_g0 >= 0)
		g0 = read_u64(m + off_m_g0);
	/* the g register outside Go code (C, the vDSO) is anything: a g only if its m says so */
	if (!GO_G_IN_TLS && g != g0 && g != curg)
		g = curg = g0 = 0;
	gp = curg ? curg : g;
	if (!gp || gp == g0)
		flags |= XGB_CPUF_NO_G;
	else if (g != gp)
		flags |= XGB_CPUF_SYSTEM;

	/* its own buffer: this runs in an interrupt, possibly in the middle of a uprobe's use
	 * of the shared one */
	s = bpf_map_lookup_elem(&cpu_scratch, &zero);
	if (!s)
		return 0;
	scratch_reset(s);
	fill(&s->e, XGB_EV_CPU_SAMPLE, flags & XGB_CPUF_NO_G ? 0 : g_field(gp, off_g_goid), gp);
	s->e.prof.g = g;
	s->e.prof.flags = flags;
	s->e.prof.ns = ns;
	if (pc) {
		__u64 lo, hi;

		/* a thread without a g (not the runtime's) has no stack bounds: its PC alone */
		push(s, &w, pc);
		w.fp = fp;
		/* a vDSO call (nanotime, walltime) from a goroutine runs on g0's stack, the g in
		 * TLS unchanged: its frame, if it has one, is on g0's stack, then the chain goes
		 * back into the goroutine's */
		if (g0 && g != g0 && g_stack(s, g, &lo, &hi) && (fp < lo || fp >= hi) &&
		    g_stack(s, g0, &lo, &hi) && fp >= lo && fp < hi)
			g = g0;
		walk_g(s, &w, g, true);
	}
	output(s, w.n);
	return 0;
}
