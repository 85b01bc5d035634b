/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The goroutine model every output reads (htop's process table under its screens): fed by sink
 * events, the same code live, in replay and offline. The TUI and the web page (viewer/), check,
 * diff and the exports (offline/) only read it; nothing writes into it from outside.
 *
 * Goroutines follow format/gtrack.h's rules (one state machine for keyframes, seeks and this
 * model, late events ignored the same way); on top of them it keeps time in each state, ages,
 * CPU%, allocations scaled by the sampling rates stored in the trace, GC and heap figures,
 * groups by start function, and the counts over time.
 *
 * Every figure is measured or says what it is (struct gm_time): a trace that records every
 * transition (full mode: gmodel.exact) measures time in each state from the transitions; a
 * goroutine first seen in a snapshot (it existed before the recording) has lower bounds there.
 * A production trace sees states at instants (snapshots) and CPU samples: running time is
 * estimated from the samples, a wait is known only as at least what the runtime's own
 * g.waitsince proves (Go's tracebacks print it as "[chan receive, 6 minutes]"; it is off by up
 * to a GC cycle, the model takes the end of the cycle that saw the goroutine blocked), the rest
 * is unknown.
 *
 * Cost: O(1) per event (hash lookups in util/u64map.h), O(goroutines) once per second of trace
 * time (CPU% roll). Memory is bounded: exited goroutines are kept for a while (GM_EXITED_KEEP)
 * and then forgotten, while the figures of each group (start function) stay exact whatever
 * came and went; the counts-over-time history is a set of rings at 100 ms, 1 s and 10 s
 * resolution (older data aggregated, the oldest dropped).
 *
 * Threading: not thread-safe. Every call happens on the source's thread (sink callbacks); the web
 * server never touches the model, it gets frames serialized from it during tick().
 *
 * Time: everything is trace time (ns since the trace's start), never wall time, so a replay shows
 * the same figures at the same trace time whatever its speed.
 */
#ifndef XG_MODEL_MODEL_H
#define XG_MODEL_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "format/event.h"
#include "format/gtrack.h"
#include "format/meta.h"
#include "format/tables.h"
#include "format/windows.h"
#include "sink/sink.h"
#include "util/u64map.h"

/* Time-in-state slots (a goroutine's states folded into what a reader cares about). */
enum gm_slot {
	GM_RUNNING = 0, /* running; copystack (its stack being grown, as it runs); a wait that is
			 * no block (GM_G_RUNS_WAITING) */
	GM_RUNNABLE,
	GM_WAITING,
	GM_SYSCALL,
	GM_OTHER, /* idle, preempted, leaked: short-lived or runtime-internal */
	GM_NSLOTS
};

/* States counted in the history (enum xg_gstate values; dead goroutines are not counted). */
#define GM_HSTATES 16

/* GC cycle ends remembered to turn g.waitsince into a proven wait. */
#define GM_GC_ENDS 256

/* Exited goroutines kept visible (dead, with their figures) before they are forgotten. */
#define GM_EXITED_KEEP 1024

#define GM_G_EXITED    0x1  /* go_exit seen */
#define GM_G_CREATED   0x2  /* go_create seen (parent, creation site and age known) */
#define GM_G_SNAPSHOT  0x4  /* known from a snapshot */
#define GM_G_NO_STATE  0x8  /* no state seen yet (only allocations or CPU samples) */
#define GM_G_TIMED     0x10 /* exact traces: its current state began exactly at t.since_ts */
#define GM_G_PARTIAL   0x20 /* it existed before it was first seen: its times are lower bounds */
/* waiting with a reason that is no block (xg_wait_reason_runs(): marking, a stack scan): its
 * time and its count go to running */
#define GM_G_RUNS_WAITING 0x40

struct gm_g {
	/* identity and state by format/gtrack.h's rules: goid, parent_goid, start and creation
	 * PCs and functions, state, reason, since_ts (when it entered its state, or was first
	 * seen in it), created_ts (its go_create's ts; 0 when not seen) */
	struct tf_goroutine t;
	uint64_t seen_ts; /* first event about it */
	uint64_t exited_ts;
	uint64_t obs_ts; /* its last snapshot */
	/* at obs_ts: blocked at least this long, as the runtime's g.waitsince proves it (from the
	 * end of the GC cycle whose mark phase saw it blocked); 0: not proven */
	uint64_t waited_ns;
	int64_t waitsince_ts; /* g.waitsince in trace time (may be before the trace); 0: none */
	uint64_t pre_ns;      /* exact traces: time in its state before since_ts (from waited_ns) */
	uint64_t slot_ns[GM_NSLOTS]; /* measured time in each slot, closed intervals (exact) */
	uint64_t alloc_bytes;	     /* scaled by the sampling rate when sampled */
	uint64_t alloc_count;
	uint64_t cpu_samples;
	uint64_t cpu_ns;       /* CPU time its samples stand for (gm_cpu_ns) */
	uint64_t cpu_mark;     /* cpu_ns (or running ns in exact traces) at the last CPU% roll */
	uint64_t seq;	       /* order of first sight: larger is newer */
	float cpu_pct;	       /* CPU% over the last roll interval */
	uint32_t group;	       /* index in gmodel.groups */
	uint32_t create_stack; /* stack id of the creation, 0 when none */
	/* where it is: the stack it blocked in (go_state to waiting/syscall/preempted, snapshot),
	 * kept while it waits and is runnable again; the last CPU sample's while it runs; 0 when
	 * not known */
	uint32_t where_stack;
	uint32_t transitions;
	uint8_t flags; /* GM_G_* */
	uint8_t pad[3];
};

/* What is known of a time figure. */
enum gm_bound {
	GM_KNOWN = 0, /* measured */
	GM_AT_LEAST,  /* a lower bound (it began before it could be seen) */
	GM_ABOUT,     /* an estimate (from samples) */
	GM_UNKNOWN,   /* not measured: shown as "-" */
};

struct gm_time {
	uint64_t ns;
	enum gm_bound bound;
};

/* "measured", "at_least", "about", "unknown" (JSON outputs). */
const char *gm_bound_name(enum gm_bound b);

/* A goroutine group: every goroutine ever seen with one start function. Exact however many
 * goroutines came and went (the per-goroutine rows are bounded, these are not). */
struct gm_group {
	uint32_t fn;  /* start function string id (0: unknown) */
	bool system;  /* the runtime's own goroutines (gmodel_system_fn()) */
	bool partial; /* some members existed before they were seen: times are lower bounds */
	uint64_t live, exited;
	uint64_t created;	    /* go_create events */
	uint64_t max_live;	    /* most alive at once */
	uint32_t counts[GM_NSLOTS]; /* live ones per slot of their current state (views) */
	float cpu_pct;		    /* sum over the live members (views) */
	uint64_t cpu_samples;
	uint64_t cpu_ns; /* CPU time the samples stand for */
	uint64_t alloc_bytes, alloc_count;
	uint64_t slot_ns[GM_NSLOTS]; /* measured time of all members (views: up to now) */
};

/* A wait of at least gmodel.wait_limit_ns (for check --max-blocked). */
struct gm_wait {
	uint64_t goid;
	uint64_t from_ts; /* when it began, or was first seen blocked (bound AT_LEAST) */
	uint64_t ns;
	uint32_t start_fn, reason;
	enum gm_bound bound; /* GM_KNOWN or GM_AT_LEAST */
	bool ongoing;	     /* still waiting at the end */
};

/* One interval of the counts-over-time history. */
struct gm_bucket {
	uint64_t t0;			/* start, trace ns */
	uint32_t counts[GM_HSTATES];	/* goroutines per state at the end of the interval */
	uint64_t events;		/* events in the interval */
	uint64_t alloc_bytes;		/* scaled */
	uint64_t alloc_objs;		/* scaled */
	uint64_t created, exited, lost; /* goroutine creations and exits, dropped events */
	uint64_t cpu_ns;		/* CPU time its samples stand for */
	uint64_t gc;			/* GC cycles started */
};

#define GM_LEVELS 3
struct gm_ring {
	struct gm_bucket *b;
	uint32_t cap, len, head; /* head: index of the oldest */
	uint64_t width_ns;
	uint64_t seq; /* buckets ever pushed (frames ask "what is new since seq") */
};

/* An allocation aggregate: per type (key = type string id) or per site. */
struct gm_top {
	uint32_t fn;   /* type string id, or the site's function string id */
	uint32_t file; /* site: file string id */
	uint32_t line; /* site: line */
	uint32_t pad;
	uint64_t bytes; /* scaled */
	uint64_t count; /* scaled */
};

struct gm_tops {
	struct gm_top *v;
	uint32_t len, cap;
	struct u64map idx; /* key -> index */
};

/* The rate of a count the runtime keeps (totalAlloc, goroutines created), from readings a
 * second or more apart. */
struct gm_count_rate {
	uint64_t anchor_ts, anchor; /* the reading the rate is measured from */
	uint64_t ts;		    /* when the rate was last computed (0: never) */
	double per_s;
};

struct gmodel {
	/* from begin() */
	const struct tf_tables *names;
	const struct tf_meta *meta;
	bool replay;
	char *source;
	char *go_version;
	char *mode;
	uint64_t duration_ns;
	double alloc_rate; /* sampling rate of alloc events (1 = every allocation) */
	double g_rate;	   /* sampling rate of goroutines (go_create/go_state/go_exit by goid) */
	double cpu_hz;	   /* CPU sampling frequency */
	bool cpu_sampled;  /* the trace has CPU samples (cpu_sample among its events) */
	/* the trace records every goroutine transition (full mode, go_state not sampled): time
	 * in each state is measured; otherwise states are seen at instants (snapshots) */
	bool exact;
	bool began;
	/* collect waits at least this long into waits (0: none); set before begin() */
	uint64_t wait_limit_ns;

	/* the source's last status (tick) */
	struct sink_status st;
	char end_reason[64];

	uint64_t now_ts; /* latest trace time seen (events or ticks) */

	/* goroutines */
	struct gm_g *g;
	uint32_t g_len, g_cap; /* slots used (incl. free ones) / allocated */
	uint32_t *free_slots;
	uint32_t n_free, free_cap;
	struct u64map by_goid; /* goid -> slot */
	uint32_t exited_ring[GM_EXITED_KEEP];
	uint32_t exited_head, exited_len;
	uint64_t next_seq;
	uint32_t live;		     /* goroutines seen and not exited */
	uint32_t counts[GM_HSTATES]; /* live goroutines per state (a wait that is no block:
				      * running) */
	uint8_t *reason_runs;	     /* per reason string id: 0 not looked at, 1 a block, 2 not */
	size_t reason_runs_cap;
	struct tf_gone gone; /* recently exited: late events about them are ignored */
	/* when the last GC cycles ended (gc_end events, and metadata gc.ends for those before
	 * an attach, negative), oldest first */
	int64_t gc_end_ts[GM_GC_ENDS];
	uint32_t n_gc_ends;

	/* groups by start function, exact */
	struct gm_group *groups;
	uint32_t ngroups;
	size_t groups_cap;
	struct u64map group_idx; /* start fn id -> index */
	/* goroutines of the program (not the runtime's: gmodel_system_fn()) alive now, and the
	 * most at once with when */
	uint64_t user_live, peak_user, peak_user_ts;

	/* waits of at least wait_limit_ns that ended (ongoing ones: gmodel__in_state()) */
	struct gm_wait *waits;
	uint32_t nwaits;
	size_t waits_cap;

	/* totals since begin (or the last reset) */
	uint64_t events;
	uint64_t kind_events[XG_EV_KIND_MAX];
	uint64_t created, exited;
	uint64_t lost, lost_status;
	uint64_t alloc_bytes, alloc_objs; /* scaled */
	bool alloc_sampled;		  /* some allocation figures are estimates */
	uint64_t cpu_samples;
	uint64_t gc_cycles, gc_last;
	uint64_t heap_live, heap_goal, total_alloc;
	uint64_t peak_heap, peak_heap_ts; /* largest heap_live seen */
	/* the runtime's scheduler counts of the last sched event (exact: read from its memory,
	 * SPEC.md section 10), kept like heap_live; sched_seen: the trace has sched events */
	struct gm_sched {
		uint64_t ts, created;
		uint32_t alive, threads, gomaxprocs, runnable;
	} sched;
	bool sched_seen;
	/* most bytes allocated in one second (scaled): over each 1 s of consecutive 100 ms
	 * intervals, or over the whole trace when it is shorter than a second */
	double peak_alloc_bps;
	uint64_t peak_alloc_ts; /* start of that second */

	/* rates over the last second of trace time, updated when a 100 ms bucket closes */
	double events_ps, alloc_bps, alloc_ops, created_ps, exited_ps, cpu_busy;
	/* alloc_bps comes from the runtime's own cumulative totalAlloc (production mode's heap
	 * events), exact even when allocation events are sampled */
	bool alloc_bps_exact;
	struct gm_count_rate heap_rate;
	/* created_ps comes from the scheduler's count (sched events), exact when the creation
	 * probe is sampled or under a budget, the same way as alloc_bps from heap events; without
	 * them, under a budget, from the creations seen scaled by the probe's coverage */
	bool created_ps_exact;
	struct gm_count_rate sched_rate;

	/* counts over time: level 0 = 100 ms, 1 = 1 s, 2 = 10 s */
	struct gm_ring hist[GM_LEVELS];
	struct gm_bucket cur;		 /* level-0 bucket being filled */
	struct gm_bucket acc[GM_LEVELS]; /* partial coarse buckets */
	uint32_t acc_n[GM_LEVELS];
	uint64_t cpu_roll_ts; /* trace time of the last CPU% roll */

	/* allocations by type and by site (top user frame of the allocation's stack) */
	struct gm_tops types, sites;
	struct u64map stack_site; /* stack id -> site index + 1 */

	uint64_t resets; /* bumped by reset(): views drop cached rows */

	/* the probe budget's windows since win_from (begin or the last reset: every kind out
	 * until its next window event) */
	struct tf_windows win;
	uint64_t win_from;
};

struct gmodel *gmodel__new(void);
void gmodel__free(struct gmodel *m);

/* Takes what the source says up front; info's pointers are borrowed until end(). 0 or -errno. */
int gmodel__begin(struct gmodel *m, const struct sink_info *info);
/* One event. 0 or -ENOMEM. */
int gmodel__event(struct gmodel *m, const struct xg_event *ev);
/* The source's status: advances trace time (empty intervals while idle). */
void gmodel__tick(struct gmodel *m, const struct sink_status *st);
/* The source jumped (seek, loop): forget everything event-derived; snapshots follow. */
void gmodel__reset(struct gmodel *m, uint64_t ts);

/* The share of the time since begin (or the last reset) kind's probes were in, 0-1, or -1 when
 * the kind is not under a probe budget: its events are whole. */
double gmodel__coverage(const struct gmodel *m, unsigned int kind);

/* Lookups. NULL when unknown. */
struct gm_g *gmodel__g(const struct gmodel *m, uint64_t goid);
/* The string of an id ("" for 0). */
const char *gmodel__str(const struct gmodel *m, uint32_t id);
/* g's start function; "runtime.main" for goroutine 1 when unknown (it predates the trace's
 * probes), "?" for others. */
const char *gmodel__start_fn(const struct gmodel *m, const struct gm_g *g);
/* Time goroutine g has spent in slot s as measured, up to now (including the current state);
 * 0 in traces that do not record transitions. For views that compare goroutines. */
uint64_t gmodel__slot_ns(const struct gmodel *m, const struct gm_g *g, int s);
/* What is known of the time g spent in slot s (see the header comment). */
struct gm_time gmodel__slot_time(const struct gmodel *m, const struct gm_g *g, int s);
/* How long g has lived, up to now or its exit. */
struct gm_time gmodel__age(const struct gmodel *m, const struct gm_g *g);
/* How long g has been in its current state (a wait's length so far). */
struct gm_time gmodel__in_state(const struct gmodel *m, const struct gm_g *g);
/* The frame that says where g is (its where_stack): its own code first (package main or a
 * module path), else the first frame Go's tracebacks show. NULL when not known. */
const struct xg_frame *gmodel__where(const struct gmodel *m, const struct gm_g *g);
/* The same for any stack id (allocation sites pick their frame so). */
const struct xg_frame *gmodel__stack_site(const struct gmodel *m, uint32_t stack);
/* Whether g's CPU% is measured (exact traces, or CPU samples of it). */
bool gmodel__has_cpu(const struct gmodel *m, const struct gm_g *g);
/* The bytes and objects an allocation event stands for: alloc events scaled by 1/rate (the
 * trace's gmodel_alloc_rate()), alloc_sample events by their weight. Other kinds: 0, 0. */
void gm_alloc_scale(double rate, const struct xg_event *ev, uint64_t *bytes, uint64_t *objs);

/* The CPU time a cpu_sample stands for, in ns: its weight (the CPU clock since the previous
 * sample on its CPU), or one period, 1/hz s, when it has none (files before format 1.5). */
uint64_t gm_cpu_ns(double hz, const struct xg_event *ev);

/* The CPU sampling frequency a trace's metadata gives (sample.cpu_sample.hz, cpu.hz, or
 * sample.cpu_sample when that is a frequency rather than a probability); 99 when none. */
double gmodel_cpu_hz(const struct tf_meta *meta);
/* The sampling rate of alloc events in meta (sample.alloc: "0.01", or an integer N meaning one
 * in N; 1 when absent). */
double gmodel_alloc_rate(const struct tf_meta *meta);
/* The runtime's own goroutines, by start function name (as runtime.NumGoroutine leaves them
 * out): runtime.*, runtime/..., internal/..., os/signal.loop; not runtime.main. */
bool gmodel_system_fn(const char *start_fn);
/* System goroutines and main (goid 1, or runtime.main): exempt from leak and wait rules. */
bool gmodel_runtime_g(uint64_t goid, const char *start_fn);
/* A frame of the runtime (runtime., runtime/internal, internal/): allocation sites and
 * creation sites are the first frame that is not. */
bool gmodel_runtime_frame(const char *fn);
/* The slot of a state. */
int gmodel__slot_of(unsigned int state);
/* The slot g's current state counts in: its state's, but running for a wait that is no block
 * (GM_G_RUNS_WAITING). */
int gmodel__g_slot(const struct gm_g *g);
/* The slot g spent most time in. */
int gmodel__dominant(const struct gmodel *m, const struct gm_g *g);
/* A short name of a slot: "run", "runq", "wait", "sys", "other". */
const char *gmodel__slot_name(int s);
/* Bucket i (0 = oldest) of history level l, or NULL. */
const struct gm_bucket *gmodel__bucket(const struct gmodel *m, int l, uint32_t i);

/* Sort keys of goroutine lists. */
enum gm_sort {
	GM_SORT_GOID = 0,
	GM_SORT_STATE,
	GM_SORT_AGE,
	GM_SORT_CPU,
	GM_SORT_ALLOC,
	GM_SORT_RUN,  /* time running */
	GM_SORT_WAIT, /* time waiting */
	GM_SORT_FN,   /* start function */
	GM_SORT_NEWEST,
	GM_SORT_MAX
};
const char *gmodel__sort_name(int key);
/* The key rows are really sorted by: GM_SORT_CPU becomes GM_SORT_ALLOC in a trace with no CPU
 * figures (neither CPU samples nor every transition), whose CPU% column is all "-". */
int gmodel__sort_key(const struct gmodel *m, int key);

/*
 * Fills rows (capacity cap) with the slots of goroutines matching filter (a substring of the
 * start function, wait reason or creating function, a state name, or a goid; NULL or "" for
 * all), sorted by key (descending when desc), live ones before exited ones (shown only when
 * show_exited). With limit > 0 only the first limit rows are sorted and kept (cheaper than a
 * full sort). Returns the number of rows; *total (when not NULL) gets the number matching.
 */
uint32_t gmodel__rows(const struct gmodel *m, uint32_t *rows, uint32_t cap, int key, bool desc,
		      const char *filter, bool show_exited, uint32_t limit, uint32_t *total);

/* The groups with their figures up to now, sorted by CPU% then live count (descending), into
 * *out (malloc'd; the caller frees it). Returns how many, or -ENOMEM. */
int gmodel__groups(const struct gmodel *m, struct gm_group **out);

/* What is known of the time a group's members spent in slot s (gmodel__slot_time()'s rules). */
struct gm_time gmodel__group_time(const struct gmodel *m, const struct gm_group *e, int s);

/* The n biggest entries of tops by bytes into out; returns how many. */
uint32_t gmodel__top(const struct gm_tops *t, const struct gm_top **out, uint32_t n);

/* Human formats into buf: "1.2 MB", "340 ms", "12.3k". Return buf. */
char *gm_text_bytes(char *buf, int len, double v);
char *gm_text_dur(char *buf, int len, uint64_t ns);
char *gm_text_count(char *buf, int len, double v);
/* A code site, short: "pkg.(*T).M file.go:42" (tf_func_short(), the file's base name). */
char *gm_text_site(char *buf, int len, const struct gmodel *m, uint32_t fn, uint32_t file,
		   uint32_t line);
/* A time figure: "340ms" known, ">=340ms" at least, "~340ms" about, "-" unknown. */
char *gm_text_time(char *buf, int len, struct gm_time t);

#endif /* XG_MODEL_MODEL_H */
