/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * bpf/xgotop.bpf.c as a libbpf object, through its bpftool skeleton: its programs (by enum
 * rec_prog), the maps record/ fills and reads, and its knobs (the const volatile .rodata) to
 * fill before load.
 */
#ifndef XG_RECORD_BPFOBJ_H
#define XG_RECORD_BPFOBJ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/types.h>

#include "gobin/offsets.h"
#include "record/plan.h"

struct bpf_map;
struct bpf_program;
struct bpf_link;
struct xgotop; /* the skeleton, $(OUTPUT)/xgotop.skel.h */
struct rec_bpf_gone;
#define REC_BPF_GONE_MAX 8

struct rec_bpf {
	struct xgotop *skel;
	/* the skeleton's maps that record/ fills or reads */
	struct bpf_map *events, *lost, *sample, *sites, *typsites, *traps, *wrappers;
	struct bpf_program *progs[REC_PROG_MAX]; /* the skeleton's programs, by enum rec_prog */
	bool multi;				 /* programs loaded for uprobe_multi links */
	int multi_fds[REC_PROG_MAX];		 /* uprobe_multi links, -1 when none */
	struct bpf_link **links;		 /* else one perf-event uprobe per probe */
	uint32_t nlinks;
	struct bpf_link **cpu_links; /* cpu_sample on each CPU's clock */
	int ncpu_links;
	/* detaches under way in threads of their own (rec_bpf__detach_prog) */
	struct rec_bpf_gone *gone[REC_BPF_GONE_MAX];
	int ngone;
};

/* The knobs of bpf/xgotop.bpf.c (its const volatile globals). */
struct rec_bpf_knobs {
	uint32_t tgid;		      /* only this process; 0 = any */
	uint32_t kinds;		      /* XGB_KIND_BIT()s */
	uint8_t stacks;		      /* XGB_STACKS_*: the events that carry the user stack */
	uint8_t block_frames;	      /* blocking stacks: at most this many PCs; 0 = all */
	bool create_deferred;	      /* see rec_plan.create_deferred */
	bool lazy_goid;		      /* see bpf/events.h */
	uint64_t wakeup_bytes;	      /* wake the reader once this much is queued */
	size_t ringbuf_bytes;	      /* ring buffer size */
	const struct go_offsets *off; /* runtime struct offsets */
	bool multi;		      /* attach with uprobe_multi links (Linux 6.6+) */
	/* gc_start, gc_end: run-time addresses of memstats.numgc and gcController (0 = unknown),
	 * and numgc when recording starts */
	uint64_t numgc_addr;
	uint64_t gcc_addr;
	uint32_t numgc_start;
	/* production mode */
	uint32_t cpu_tgid; /* the process cpu_sample keeps */
	int32_t tls_g_off; /* g at fs base + this */
	uint64_t large_lo; /* runtime [lo, hi) of mallocgcLarge: its profilealloc calls are */
	uint64_t large_hi; /* not sampled (alloc reports them exactly); 0 = sample all */
};

/* Opens the object embedded in the binary and sets its knobs. 0 or -errno with a message. */
int rec_bpf__open(struct rec_bpf *b, const struct rec_bpf_knobs *k);
/* Verifies and loads every program. 0 or -errno with a message. */
int rec_bpf__load(struct rec_bpf *b);
/*
 * Puts the programs on the probes of plan in the executable path, for process pid, but those
 * in skip (1u << enum rec_prog). With uprobe_multi, one link per program (attaching and, above
 * all, detaching many perf-event uprobes costs an RCU grace period each, ~100 ms here).
 * -EOPNOTSUPP when the kernel has no uprobe_multi links: reopen without multi. 0 or -errno
 * with a message.
 */
int rec_bpf__attach(struct rec_bpf *b, const struct rec_plan *plan, pid_t pid, const char *path,
		    uint32_t skip);
/*
 * cpu_sample on a CPU-clock perf event at hz on every online CPU (the program keeps the
 * target's samples). 0 or -errno with a message.
 */
int rec_bpf__attach_cpu(struct rec_bpf *b, unsigned int hz);
/* Lets every attached probe report, from now on, all at once (or stop). 0 or -errno. */
int rec_bpf__set_enabled(struct rec_bpf *b, bool on);
/* The uprobe hits so far: traps the target paid (and the trap-cost measurement's own). */
uint64_t rec_bpf__traps(struct rec_bpf *b);
/*
 * What one trap costs on this machine, in ns: xgotop probes a function of its own at an
 * emulated instruction, as record's sites are (x86-64 `push %rbp`, arm64 `b.ls`; the programs
 * turned off, so a hit costs the trap and a counter) and
 * times calls against unprobed ones. Turns the programs off; call after detaching. About 10 ms
 * where a trap costs 5 us. 0 or -errno with a message.
 */
int rec_bpf__trap_cost(struct rec_bpf *b, double *ns);
/* Puts program p's probes of plan in (none when they are in already). 0 or -errno with a
 * message. */
int rec_bpf__attach_prog(struct rec_bpf *b, const struct rec_plan *plan, int p, pid_t pid,
			 const char *path);
/* Takes them out: the kernel removes the breakpoints at once, then waits for the programs
 * already running to end (0.1-0.3 s for uprobe_multi links here), in a thread of its own; the
 * program can be attached again meanwhile. rec_bpf__detach() waits for every one. */
void rec_bpf__detach_prog(struct rec_bpf *b, const struct rec_plan *plan, int p);
/* Whether program p does anything when hit (off: it counts the hit and returns; the budget's
 * windows end at that instant, whenever the detach ends). 0 or -errno with a message. */
int rec_bpf__set_prog_off(struct rec_bpf *b, int p, bool off);
/* Empties the map of creations whose goid is not set yet (Go 1.21-1.23: reported at the
 * newg_call probe). 0 or -errno with a message. */
int rec_bpf__clear_pending(struct rec_bpf *b);
/* The uprobe hits so far of each program (enum xgb_prog, which is enum rec_prog's order).
 * 0 or -errno. */
int rec_bpf__prog_traps(struct rec_bpf *b, uint64_t hits[XGB_NPROGS]);
/* Removes every probe (blocks until the kernel has). */
void rec_bpf__detach(struct rec_bpf *b);
void rec_bpf__close(struct rec_bpf *b);

#endif /* XG_RECORD_BPFOBJ_H */
