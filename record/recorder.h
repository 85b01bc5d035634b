/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The recorder: launches or attaches to a Go program, puts the probes of the plan
 * (record/plan.h) on it, and turns the ring buffer's records into struct xg_event for a trace
 * file (format/writer.h) and the live outputs (sink/sink.h).
 *
 *	struct recorder_opts o = {.sz = sizeof(o), .argv = argv, .out_path = "t.xgt"};
 *	struct recorder *r = recorder__new(&o);      // reads the binary, plans the probes
 *	err = recorder__start(r);                    // launch/attach, load BPF, attach, open file
 *	err = recorder__run(r, sink);                // until exit, signal, --duration or quit
 *	recorder__free(r);                           // closes the file (also after errors)
 *
 * Two modes (recorder_opts.mode): full, exact events at a trap per status change and per
 * allocation; production, CPU samples from perf events, the runtime's own sampled allocations,
 * creations at one cheap trap each, and exits, heap figures and goroutine snapshots read from
 * the target's memory at a fixed rate (record/plan.h, record/poll.h).
 *
 * What is traced: the one process (and all its threads) given by pid or launched from argv.
 * Its children, forked or exec'd, are not traced, even when they run the same binary (the
 * uprobes are filtered by process); other processes running the binary are not slowed down.
 */
#ifndef XG_RECORD_RECORDER_H
#define XG_RECORD_RECORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "format/event.h"
#include "format/meta.h"
#include "record/plan.h"
#include "record/sched.h"
#include "record/walk.h"
#include "sink/sink.h"

/* Event kinds full mode records when none are asked for (production mode's default is
 * REC_PRODUCTION_DEFAULT_KINDS). */
#define RECORDER_DEFAULT_KINDS REC_FULL_DEFAULT_KINDS
/* Kinds record can produce, in one mode or the other ("all": every kind of the mode). */
#define RECORDER_KINDS (REC_FULL_KINDS | REC_PRODUCTION_KINDS)

/* recorder_opts.mode */
enum recorder_mode {
	RECORDER_MODE_AUTO = 0,	  /* production when attaching (pid), full when launching (argv) */
	RECORDER_MODE_FULL,	  /* exact: a trap per status change and per allocation */
	RECORDER_MODE_PRODUCTION, /* sampled and polled: a few traps, see record/plan.h */
};

/* recorder_opts.stacks: which events carry the user stack */
enum recorder_stacks {
	/* the mode's: full mode, go_state into waiting, syscall or preempted (where a goroutine
	 * stopped); production mode, none but its samples' */
	RECORDER_STACKS_DEFAULT = 0,
	RECORDER_STACKS_ALL,  /* creations and allocations too */
	RECORDER_STACKS_NONE, /* none (production's CPU and allocation samples keep theirs) */
};

/* The most frames a blocking go_state's stack holds by default (RECORDER_STACKS_DEFAULT in
 * full mode); 0 = as many as any stack (XGB_MAX_FRAMES). */
#define RECORDER_BLOCK_FRAMES 16

struct recorder_opts {
	size_t sz;		       /* sizeof(struct recorder_opts) */
	pid_t pid;		       /* attach to this process ... */
	char *const *argv;	       /* ... or launch this program (argv[0] searched in PATH) */
	uint32_t kinds;		       /* XGB_KIND_BIT()s; 0 = RECORDER_DEFAULT_KINDS */
	double sample[XG_EV_KIND_MAX]; /* keep this fraction of each kind; < 0 or unset = 1 */
	bool sample_set[XG_EV_KIND_MAX];
	enum recorder_stacks stacks;
	uint64_t duration_ns;	 /* stop after this long; 0 = no limit */
	const char *out_path;	 /* trace file; NULL = xgotop-<prog>-<time>.xgt */
	size_t ringbuf_bytes;	 /* ring buffer size (power of 2); 0 = 16 MiB */
	int poll_ms;		 /* reader poll interval when idle; 0 = 2 */
	uint64_t reorder_ns;	 /* hold events this long to sort them; 0 = 1 ms */
	bool quiet;		 /* no progress lines on stderr */
	const char *sample_file; /* KIND=RATE lines, read at start and again on SIGHUP */
	bool bpf_stats;		 /* have the kernel time the BPF programs (recorder_stats.prog_*) */
	/* added with production mode */
	enum recorder_mode mode;
	unsigned int cpu_hz;	  /* cpu_sample: CPU clock samples per second; 0 = 99 */
	unsigned int heap_ms;	  /* heap: figures read every heap_ms; 0 = 100 */
	unsigned int snapshot_ms; /* snapshot: every goroutine read every snapshot_ms; 0 = 1000 */
	/* alloc_sample: set the target's runtime.MemProfileRate to this while recording (a write
	 * into its memory; restored at the end if still ours); 0 = leave it alone */
	int64_t mem_profile_rate;
	/* go_exit in production mode: from a probe on gdestroy (a trap per exit, exact time)
	 * instead of watching the goroutines created (no trap; the exit is stamped when seen,
	 * at most exit_ms late, or when a new goroutine takes its g) */
	bool exit_probe;
	unsigned int exit_ms; /* 0 = 100 */
	/* a launched program's stdout and stderr both go to this file, in the order written
	 * (created or emptied; kept): "" = the trace file's path with ".out" appended; NULL =
	 * they stay xgotop's. Unused when attaching. */
	const char *program_output;
	/* the share of the target's CPU time the traps may take (0-1; record/budget.h), when
	 * budget_set (else production's RECORDER_BUDGET, none in full mode); < 0: none */
	double budget;
	bool budget_set;
};

/* production mode's budget when none is given: 1% */
#define RECORDER_BUDGET 0.01

/* "1%", "0.5%", "1" (percent), "none" -> a fraction (none: -1). 0 or -EINVAL with a message. */
int recorder__parse_budget(const char *s, double *budget);

struct recorder;

/* Opens the binary and plans the probes. NULL with errno set and xg_errmsg(). */
struct recorder *recorder__new(const struct recorder_opts *opts);
/* Starts or attaches to the target, loads and attaches the BPF programs, opens the trace
 * file. A launched target then runs. 0 or -errno. */
int recorder__start(struct recorder *r);
/*
 * Delivers events to sink (may be NULL) and the trace file until the target exits, SIGINT or
 * SIGTERM arrives (the caller must block them first: they are taken with a signalfd), the
 * duration passes, or the sink asks to stop. With opts.sample_file, SIGHUP (blocked by the
 * caller too) re-reads the rates from it and applies them in the kernel at once. Then detaches,
 * drains what is left, and calls sink end(). 0 or -errno. The trace file is complete after
 * recorder__free().
 */
int recorder__run(struct recorder *r, struct sink *sink);
/* Changes a sampling rate while recording (0..1); it takes effect in the kernel at once. */
int recorder__set_sample(struct recorder *r, unsigned int kind, double rate);

struct recorder_stats {
	uint64_t events[XG_EV_KIND_MAX]; /* delivered, per kind */
	uint64_t lost[XG_EV_KIND_MAX];	 /* dropped by the kernel, per kind */
	uint64_t records;		 /* ring-buffer records read */
	uint64_t bad_records;		 /* malformed records (a bug if non-zero) */
	uint64_t unresolved; /* goroutine events without a known goid (a bug if non-zero) */
	uint64_t file_bytes;
	const char *end_reason; /* "target exited", "interrupted", ... */
	char target_status[64]; /* "exited with status 0", ... */
	const char *out_path;
	const char *program_output; /* where the launched program's output went; NULL = ours */
	/* probe-to-output delay while recording: percentiles in ns, and how many were seen */
	uint64_t lat_p50, lat_p99, lat_max, lat_n;
	/* with opts.bpf_stats: runs and total run time of each BPF program (kernel statistics;
	 * the uprobe trap around each run is not included) */
	uint64_t prog_runs[REC_PROG_MAX], prog_ns[REC_PROG_MAX];
	/* production mode */
	bool production;
	uint64_t polls_heap, polls_snapshot; /* reads of the target's memory done */
	/* the scheduler's counts read (sched events), and readings dropped for failing a
	 * bound, by enum rec_sched_bad */
	uint64_t polls_sched, sched_dropped[REC_SCHED_BAD_MAX];
	uint64_t poll_ns;		     /* time they took, in total */
	uint64_t samples_typed;		     /* alloc_sample events with a type */
	uint64_t polls_exit;		     /* reads of the live goroutines for exits */
	uint64_t exits_polled, exits_reused; /* exits seen by those reads, by g reuse */
	char poll_error[160];		     /* why polling stopped early, "" if it did not */
	struct rec_walk_stats walk;	     /* the walks of the goroutines (snapshot) */
	/* what the probes cost the target, known once recording has ended: its uprobe hits, one
	 * trap's price measured on this machine (0 if not measured, trap_error says why) and
	 * its CPU time while the probes were on (-1 when unknown) */
	uint64_t traps;
	double trap_ns;
	char trap_error[160];
	int64_t target_cpu_ns;
	/* xgotop's own CPU time (every thread) from the attach until the last event was
	 * written: reading, encoding, walks, outputs */
	uint64_t self_cpu_ns;
	/* the probe budget (< 0: none), and for each kind under it the share of the recording
	 * its probes were in (< 0: not under it), the probes put in or taken out, and why they
	 * stopped following the budget ("" if they did not) */
	double budget;
	double coverage[XG_EV_KIND_MAX];
	uint64_t budget_switches;
	char budget_error[160];
};

void recorder__stats(struct recorder *r, struct recorder_stats *st);
const struct tf_meta *recorder__meta(const struct recorder *r);
const struct rec_plan *recorder__plan(const struct recorder *r);
/* The BPF programs' file descriptors (for kernel run-time statistics); -1 for unused ones. */
int recorder__prog_fd(const struct recorder *r, enum rec_prog p);
/* Closes the trace file, detaches everything, ends a launched target that still runs
 * (SIGTERM, then SIGKILL), frees r. NULL-safe. Returns the trace writer's final status. */
int recorder__free(struct recorder *r);

/* "production" / "full" -> *mode. 0 or -EINVAL. */
int recorder__parse_mode(const char *s, enum recorder_mode *mode);
/* "go_create,go_state" -> kinds bits. 0 or -EINVAL naming the bad word. */
int recorder__parse_kinds(const char *list, uint32_t *kinds);
/* "alloc=0.01" -> opts->sample. 0 or -EINVAL. */
int recorder__parse_sample(const char *arg, struct recorder_opts *opts);

#endif /* XG_RECORD_RECORDER_H */
