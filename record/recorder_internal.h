/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The recorder's state and what its files share: recorder.c (new, start, free: reading the
 * binary, launching or attaching, loading BPF), options.c, metadata.c, loop.c (run),
 * proccpu.c. Nothing outside record/recorder*.c and these files includes it.
 */
#ifndef XG_RECORD_RECORDER_INTERNAL_H
#define XG_RECORD_RECORDER_INTERNAL_H

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include "format/windows.h"
#include "gobin/gobin.h"
#include "record/bpfobj.h"
#include "record/budget.h"
#include "record/globals.h"
#include "record/ingest.h"
#include "record/poll.h"
#include "record/recorder.h"
#include "record/ringbuf.h"
#include "record/target.h"
#include "record/walk.h"
#include "util/err.h"
#include "util/version.h"

#define TICK_NS		     100000000ull
#define DEFAULT_RINGBUF	     (16u << 20)
#define DEFAULT_POLL_MS	     2
#define IDLE_POLL_MAX_MS     16
#define DEFAULT_REORDER_NS   1000000ull
#define TARGET_STOP_GRACE_MS 2000
#define READER_NICE	     -5
#define DEFAULT_CPU_HZ	     99
#define DEFAULT_HEAP_MS	     100
#define DEFAULT_SNAPSHOT_MS  1000
#define DEFAULT_EXIT_MS	     100

struct recorder {
	struct recorder_opts o;
	struct rec_target t;
	struct go_offsets off;
	struct rec_plan plan;
	struct rec_bpf bpf;
	struct sink_pump pump; /* to the outputs (recorder__run); its reason: why it stopped */
	struct gobin *bin;
	struct rec_ring *rb;
	struct tf_writer *w;
	struct tf_meta *meta;
	struct rec_ingest *ing;
	uint64_t start_mono, start_wall;
	uint64_t stop_mono; /* when recording stopped (0 while it runs) */
	uint64_t bias;
	uint64_t *lost_seen; /* [ncpus * XGB_NKINDS]: counts already reported */
	uint64_t lost[XG_EV_KIND_MAX];
	int ncpus;
	char out_path[PATH_MAX];
	char prog_out[PATH_MAX]; /* where the launched program's output goes, "" = ours */
	char status[64];
	int stats_fd; /* BPF_ENABLE_STATS while open */
	bool target_ok, plan_ok, bpf_ok;
	/* what the probes cost the target: uprobe hits, one trap's price measured at the end,
	 * and the target's CPU time (user + system) when the probes went on and lately */
	uint64_t traps, traps_base;
	double trap_ns;
	char trap_error[160];
	int64_t cpu_start_ns, cpu_last_ns; /* -1 while unknown */
	/* xgotop's own CPU time (every thread) at the attach, and spent from there until the
	 * last event was written */
	uint64_t self_start_ns, self_cpu_ns;

	/* gc_start, gc_end: the run-time address of memstats.numgc (0 = unknown) and its value
	 * when the probes went in */
	uint64_t numgc_addr;
	uint32_t numgc_start;
	/* attached: when the GC cycles before the attach ended (unix ns, oldest first) */
	uint64_t gc_ends[REC_GC_ENDS];
	uint32_t n_gc_ends;

	/* production mode */
	bool production;
	struct rec_globals globals;
	struct rec_poll *poll;
	struct rec_sched *sched; /* the scheduler's counts (sched events), NULL when not read */
	uint64_t next_heap, next_snapshot, next_exit, next_sched; /* CLOCK_MONOTONIC ns */
	uint64_t polls_sched, sched_dropped[REC_SCHED_BAD_MAX];
	uint64_t polls_heap, polls_snapshot, polls_exit, poll_ns, exits_polled;
	bool exit_poll; /* go_exit by watching created goroutines (no gdestroy probe) */
	/* full mode under a budget: what production mode reads from memory is read too (walks,
	 * heap, scheduler counts, exits), so that what the probes miss while out is known */
	bool full_budget;
	bool resync_due; /* they went out during a walk: their walk is owed */
	struct rec_gsnap *gread;
	size_t gread_cap;
	struct rec_walk *walk;	/* snapshot events from walks of the goroutines */
	int64_t mem_rate_start; /* MemProfileRate at the start, 0 when unknown */
	int64_t mem_rate_orig;	/* its value before opts.mem_profile_rate was written */
	bool mem_rate_written;
	bool memprof_off;      /* the linker turned memory profiling off (no runtime.MemProfile) */
	char unavailable[512]; /* what production mode cannot do for this binary */
	char poll_error[160];

	/* the probe budget (windows.c): its share of the target's CPU (< 0: none), the units
	 * it turns on and off (programs, kinds), the hit counts when it began */
	double budget_limit;
	bool trap_measured; /* trap_ns measured before the probes went in */
	bool budgeted;
	struct rec_budget budget;
	unsigned int nunits;
	uint32_t unit_progs[REC_BUDGET_UNITS]; /* 1u << enum rec_prog */
	uint32_t unit_kinds[REC_BUDGET_UNITS]; /* XGB_KIND_BIT()s */
	uint32_t budget_progs;		       /* all of the units' programs */
	bool budget_begun;		       /* its first turn came */
	uint64_t hits_base[XGB_NPROGS];
	uint64_t budget_switches; /* units put in or taken out */
	struct tf_windows win;	  /* the window events written, read as a reader reads them */
	char budget_error[160];
};

/* proccpu.c */
/* Clock c in ns. */
uint64_t rec__clock_ns(clockid_t c);
/* The user + system CPU time of process pid so far (all its threads), in ns; -1 when gone. */
int64_t rec__process_cpu_ns(pid_t pid);
/* Reads the target's CPU time so far into r->cpu_last_ns (kept when it is gone). */
void rec__sample_cpu(struct recorder *r);

/* options.c */
/* The fraction of kind k's events to keep (1 when not sampled). */
double rec__rate_of(const struct recorder_opts *o, unsigned int k);
/* A keep fraction as the BPF side's bound on a 32-bit random number (UINT32_MAX: all). */
uint32_t rec__threshold(double rate);
/* Reads KIND=RATE lines (# comments) from path into o. 0 or -errno with a message. */
int rec__read_sample_file(const char *path, struct recorder_opts *o);

/* metadata.c */
/* The XGB_STACKS_* bits of the events that carry the user stack. */
uint8_t rec__stack_bits(const struct recorder *r);
/* The most PCs a blocking go_state's stack holds (0 = XGB_MAX_FRAMES). */
uint8_t rec__block_frames(const struct recorder *r);
/* Whether snapshots of blocked goroutines carry the stack they wait in. */
bool rec__walk_stacks(const struct recorder *r);
/* The recording's metadata (format/metakeys.h), from the binary, the plan, the options and the
 * target. 0 or -errno. */
int rec__build_meta(struct recorder *r);

/* windows.c */
/* With a budget (opts.budget, production's default): its units, and a trap's price measured
 * (the programs loaded, before the probes go in). Without one, or when the price cannot be
 * measured (said on stderr), r->budget_limit is < 0. Once set, the units' programs
 * (r->budget_progs) are not attached with the others: rec__budget_turn() puts them in. 0 or
 * -errno with a message (a budget in full mode). */
int rec__budget_measure(struct recorder *r);
/* Once the other probes are in, before they are enabled: where the hit counts start. */
int rec__budget_start(struct recorder *r);
/* SIGHUP with a budget= line in opts.sample_file: limit (< 0: none) from the next decision on,
 * and a budget event. */
void rec__budget_change(struct recorder *r, double limit);
/* Whether full mode's status probes are in under a budget (the walks need not run then). */
bool rec__status_in(const struct recorder *r);
/* Each turn of the event loop, and once before a launched target runs: the budget's
 * decisions when one is due, and the units put in or taken out as they say. */
void rec__budget_turn(struct recorder *r, uint64_t now);
/* A walk's tick (rec_walk_opts.tick, ctx the recorder): the decisions when due, and the
 * units whose window ended taken out, so that a long walk does not keep them in. */
void rec__budget_guard(void *ctx);
/* When rec__budget_turn() next has something to do (a decision, a check, a window's end);
 * UINT64_MAX without a budget. */
uint64_t rec__budget_next(const struct recorder *r);

/* loop.c */
/* Writes a snapshot of every goroutine alive at attach. 0 or -errno. */
int rec__snapshot_at_attach(struct recorder *r);
/* A walk of the goroutines now (snapshot events and the walk's mark), when snapshots are
 * recorded; afresh: a snapshot of every goroutine, not only of those changed since the last
 * walk. A target whose memory cannot be read stops the reads (r->poll NULL). */
void rec__walk(struct recorder *r, bool afresh);

#endif /* XG_RECORD_RECORDER_INTERNAL_H */
