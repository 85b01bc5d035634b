// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Programs for tests/bench/record_bench.c, not used by xgotop itself.
 *
 *   produce  a synthetic event producer run with BPF_PROG_TEST_RUN (repeat = n): each run
 *            writes one struct xgb_event, in the proportions of a real recording, to its own
 *            ring buffer, so the reader's cost per event can be measured without uprobe traps;
 *            with `stacks` set, every status change into waiting carries a stack of
 *            BENCH_FRAMES PCs, one of 16 (a recording's blocking stacks repeat)
 *   empty    a uprobe program that does nothing: what the kernel's run-time statistics add by
 *            themselves, and the cost of a trap alone when it is put on a probe site
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "bpf/events.h"
#include "bpf/goabi.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

#define BENCH_FRAMES 8

__u64 seq = 0;
__u32 stacks = 0; /* set by record_bench.c */

struct stacked {
	struct xgb_event e;
	__u64 pcs[BENCH_FRAMES];
};

static __always_inline void count_lost(void)
{
	__u32 zero = 0;
	__u64 *l = bpf_map_lookup_elem(&lost, &zero);

	if (l)
		__sync_fetch_and_add(l, 1);
}

/* The fields every event has, for the n-th event. */
static __always_inline void common(struct xgb_event *e, __u64 n)
{
	e->ts = bpf_ktime_get_ns();
	e->goid = 1 + (n >> 4) % 512;
	e->g = 0xc000000000ull + (e->goid << 10);
	e->tid = 1000 + (n % 4);
	e->cpu = bpf_get_smp_processor_id();
	e->nframes = 0;
	e->raw[0] = e->raw[1] = e->raw[2] = e->raw[3] = 0;
	e->cycle = 0;
	e->sflags = e->sys_frames = 0;
	e->pad[0] = e->pad[1] = 0;
}

SEC("tc")
int produce(struct __sk_buff *ctx __attribute__((unused)))
{
	__u64 n = __sync_fetch_and_add(&seq, 1);
	__u32 pick = n % 100;
	struct xgb_event *e;

	if (stacks && pick < 60 && !(n & 3)) {
		/* a status change into waiting (below), with its stack */
		struct stacked *s = bpf_ringbuf_reserve(&events, sizeof(*s), 0);

		if (!s) {
			count_lost();
			return 0;
		}
		common(&s->e, n);
		s->e.kind = XGB_EV_GO_STATE;
		s->e.state.from = GO_G_RUNNING;
		s->e.state.to = GO_G_WAITING;
		s->e.state.reason = 14;
		s->e.nframes = BENCH_FRAMES;
		for (int i = 0; i < BENCH_FRAMES; i++)
			s->pcs[i] = 0x401000 + (((n >> 6) % 16) * BENCH_FRAMES + i) * 0x40;
		bpf_ringbuf_submit(s, BPF_RB_NO_WAKEUP);
		return 0;
	}
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	common(e, n);
	if (pick < 60) {
		/* a status change; every 4th into waiting with a reason (and, as in a launched
		 * recording, only those carry their goid: the reader looks the others up by g) */
		e->kind = XGB_EV_GO_STATE;
		if (n & 3)
			e->goid = 0;
		e->state.from = (n & 3) == 0 ? GO_G_RUNNING : GO_G_RUNNABLE;
		e->state.to = (n & 3) == 0 ? GO_G_WAITING : GO_G_RUNNING;
		e->state.reason = (n & 3) == 0 ? 14 : 0;
	} else if (pick < 95) {
		/* an allocation of one of 64 types */
		e->kind = XGB_EV_ALLOC;
		e->goid = 0;
		e->alloc.size = 16 + (n % 7) * 16;
		e->alloc.type = 0x4a0000 + (n % 64) * 0x40;
	} else if (pick < 98) {
		e->kind = XGB_EV_GO_CREATE;
		e->create.parent_goid = 1;
		e->create.create_pc = 0x401000 + (n % 16) * 0x20;
		e->create.start_pc = 0x402000 + (n % 16) * 0x40;
	} else {
		e->kind = XGB_EV_GO_EXIT;
	}
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

SEC("uprobe")
int empty(struct pt_regs *ctx __attribute__((unused)))
{
	return 0;
}
