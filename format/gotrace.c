// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Go execution trace reader (see gotrace.h). The structure follows Go's internal/trace reader so
 * that the events come out in the same order with the same content:
 *
 *   input     buffered bytes from an fd, a FILE or memory, with the offset of each byte
 *   batches   one generation's batches: event batches grouped by M in order of appearance, the
 *             string, stack and CPU-sample tables decoded, the sync batch (frequency, clock)
 *   cursors   one per M over its batches, in a min-heap by the time of its next event
 *   ordering  the partial-order state machine over goroutines, procs, threads, GC and tasks
 *             that decides whether the next event of an M can happen now; accepted events go
 *             to a queue (one wire event may make several high-level events)
 *
 * Every length read from the input is bounded by what remains of its batch or of the input.
 */

#include "format/gotrace.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/array.h"
#include "util/err.h"
#include "util/u64map.h"
#include "util/utf8.h"

#define GT_HEADER_LEN 16
#define GT_MAX_BATCH  (64u << 10)
#define GT_MAX_FRAMES 128
#define GT_MAX_STRING 1024
#define GT_IN_BUF     (64u << 10)

/* Wire event types (tracev2), in the order Go numbers them. */
enum {
	EV_NONE,
	EV_EVENT_BATCH,
	EV_STACKS,
	EV_STACK,
	EV_STRINGS,
	EV_STRING,
	EV_CPU_SAMPLES,
	EV_CPU_SAMPLE,
	EV_FREQUENCY,
	EV_PROCS_CHANGE,
	EV_PROC_START,
	EV_PROC_STOP,
	EV_PROC_STEAL,
	EV_PROC_STATUS,
	EV_GO_CREATE,
	EV_GO_CREATE_SYSCALL,
	EV_GO_START,
	EV_GO_DESTROY,
	EV_GO_DESTROY_SYSCALL,
	EV_GO_STOP,
	EV_GO_BLOCK,
	EV_GO_UNBLOCK,
	EV_GO_SYSCALL_BEGIN,
	EV_GO_SYSCALL_END,
	EV_GO_SYSCALL_END_BLOCKED,
	EV_GO_STATUS,
	EV_STW_BEGIN,
	EV_STW_END,
	EV_GC_ACTIVE,
	EV_GC_BEGIN,
	EV_GC_END,
	EV_GC_SWEEP_ACTIVE,
	EV_GC_SWEEP_BEGIN,
	EV_GC_SWEEP_END,
	EV_GC_MARK_ASSIST_ACTIVE,
	EV_GC_MARK_ASSIST_BEGIN,
	EV_GC_MARK_ASSIST_END,
	EV_HEAP_ALLOC,
	EV_HEAP_GOAL,
	EV_GO_LABEL,
	EV_USER_TASK_BEGIN,
	EV_USER_TASK_END,
	EV_USER_REGION_BEGIN,
	EV_USER_REGION_END,
	EV_USER_LOG,
	EV_GO_SWITCH,
	EV_GO_SWITCH_DESTROY,
	EV_GO_CREATE_BLOCKED,
	EV_GO_STATUS_STACK,
	EV_EXPERIMENTAL_BATCH,
	EV_SYNC,
	EV_CLOCK_SNAPSHOT,
	EV_END_OF_GENERATION,
	EV_SPAN = 128,
	EV_SPAN_ALLOC,
	EV_SPAN_FREE,
	EV_HEAP_OBJECT,
	EV_HEAP_OBJECT_ALLOC,
	EV_HEAP_OBJECT_FREE,
	EV_GOROUTINE_STACK,
	EV_GOROUTINE_STACK_ALLOC,
	EV_GOROUTINE_STACK_FREE,
	EV_NUM_SPECS,
};

/* Go's tracev2.GoStatus and tracev2.ProcStatus. */
enum { GS_BAD, GS_RUNNABLE, GS_RUNNING, GS_SYSCALL, GS_WAITING };
enum { PS_BAD, PS_RUNNING, PS_IDLE, PS_SYSCALL, PS_SYSCALL_ABANDONED };

#define EXP_ALLOC_FREE 1

/*
 * One wire event type: its arguments as Go names them (the first is the time delta of a timed
 * event), the 1-based argument positions of stack and string IDs, the event that begins the
 * range it ends or continues, and its experiment.
 */
struct gt_spec {
	const char *name;
	uint8_t nargs;
	bool timed;
	uint8_t stack[2];
	uint8_t str[2];
	uint8_t start;
	uint8_t exp;
	const char *args[5];
};

#define TIMED(n, ...) .name = n, .timed = true, .args = {"dt", __VA_ARGS__}
static const struct gt_spec specs[EV_NUM_SPECS] = {
    [EV_EVENT_BATCH] = {.name = "EventBatch", .nargs = 4},
    [EV_STACKS] = {.name = "Stacks"},
    [EV_STACK] = {.name = "Stack", .nargs = 2},
    [EV_STRINGS] = {.name = "Strings"},
    [EV_STRING] = {.name = "String", .nargs = 1},
    [EV_CPU_SAMPLES] = {.name = "CPUSamples"},
    [EV_CPU_SAMPLE] = {.name = "CPUSample", .nargs = 5, .stack = {4}},
    [EV_FREQUENCY] = {.name = "Frequency", .nargs = 1},
    [EV_PROCS_CHANGE] = {TIMED("ProcsChange", "procs_value", "stack"), .nargs = 3, .stack = {2}},
    [EV_PROC_START] = {TIMED("ProcStart", "p", "p_seq"), .nargs = 3},
    [EV_PROC_STOP] = {TIMED("ProcStop"), .nargs = 1},
    [EV_PROC_STEAL] = {TIMED("ProcSteal", "p", "p_seq", "m"), .nargs = 4},
    [EV_PROC_STATUS] = {TIMED("ProcStatus", "p", "pstatus"), .nargs = 3},
    [EV_GO_CREATE] = {TIMED("GoCreate", "new_g", "new_stack", "stack"), .nargs = 4,
		      .stack = {3, 2}},
    [EV_GO_CREATE_SYSCALL] = {TIMED("GoCreateSyscall", "new_g"), .nargs = 2},
    [EV_GO_START] = {TIMED("GoStart", "g", "g_seq"), .nargs = 3},
    [EV_GO_DESTROY] = {TIMED("GoDestroy"), .nargs = 1},
    [EV_GO_DESTROY_SYSCALL] = {TIMED("GoDestroySyscall"), .nargs = 1},
    [EV_GO_STOP] = {TIMED("GoStop", "reason_string", "stack"), .nargs = 3, .stack = {2},
		    .str = {1}},
    [EV_GO_BLOCK] = {TIMED("GoBlock", "reason_string", "stack"), .nargs = 3, .stack = {2},
		     .str = {1}},
    [EV_GO_UNBLOCK] = {TIMED("GoUnblock", "g", "g_seq", "stack"), .nargs = 4, .stack = {3}},
    [EV_GO_SYSCALL_BEGIN] = {TIMED("GoSyscallBegin", "p_seq", "stack"), .nargs = 3, .stack = {2}},
    [EV_GO_SYSCALL_END] = {TIMED("GoSyscallEnd"), .nargs = 1, .start = EV_GO_SYSCALL_BEGIN},
    [EV_GO_SYSCALL_END_BLOCKED] = {TIMED("GoSyscallEndBlocked"), .nargs = 1,
				   .start = EV_GO_SYSCALL_BEGIN},
    [EV_GO_STATUS] = {TIMED("GoStatus", "g", "m", "gstatus"), .nargs = 4},
    [EV_STW_BEGIN] = {TIMED("STWBegin", "kind_string", "stack"), .nargs = 3, .stack = {2},
		      .str = {1}},
    [EV_STW_END] = {TIMED("STWEnd"), .nargs = 1, .start = EV_STW_BEGIN},
    [EV_GC_ACTIVE] = {TIMED("GCActive", "gc_seq"), .nargs = 2, .start = EV_GC_BEGIN},
    [EV_GC_BEGIN] = {TIMED("GCBegin", "gc_seq", "stack"), .nargs = 3, .stack = {2}},
    [EV_GC_END] = {TIMED("GCEnd", "gc_seq"), .nargs = 2, .start = EV_GC_BEGIN},
    [EV_GC_SWEEP_ACTIVE] = {TIMED("GCSweepActive", "p"), .nargs = 2, .start = EV_GC_SWEEP_BEGIN},
    [EV_GC_SWEEP_BEGIN] = {TIMED("GCSweepBegin", "stack"), .nargs = 2, .stack = {1}},
    [EV_GC_SWEEP_END] = {TIMED("GCSweepEnd", "swept_value", "reclaimed_value"), .nargs = 3,
			 .start = EV_GC_SWEEP_BEGIN},
    [EV_GC_MARK_ASSIST_ACTIVE] = {TIMED("GCMarkAssistActive", "g"), .nargs = 2,
				  .start = EV_GC_MARK_ASSIST_BEGIN},
    [EV_GC_MARK_ASSIST_BEGIN] = {TIMED("GCMarkAssistBegin", "stack"), .nargs = 2, .stack = {1}},
    [EV_GC_MARK_ASSIST_END] = {TIMED("GCMarkAssistEnd"), .nargs = 1,
			       .start = EV_GC_MARK_ASSIST_BEGIN},
    [EV_HEAP_ALLOC] = {TIMED("HeapAlloc", "heapalloc_value"), .nargs = 2},
    [EV_HEAP_GOAL] = {TIMED("HeapGoal", "heapgoal_value"), .nargs = 2},
    [EV_GO_LABEL] = {TIMED("GoLabel", "label_string"), .nargs = 2, .str = {1}},
    [EV_USER_TASK_BEGIN] = {TIMED("UserTaskBegin", "task", "parent_task", "name_string", "stack"),
			    .nargs = 5, .stack = {4}, .str = {3}},
    [EV_USER_TASK_END] = {TIMED("UserTaskEnd", "task", "stack"), .nargs = 3, .stack = {2}},
    [EV_USER_REGION_BEGIN] = {TIMED("UserRegionBegin", "task", "name_string", "stack"), .nargs = 4,
			      .stack = {3}, .str = {2}},
    [EV_USER_REGION_END] = {TIMED("UserRegionEnd", "task", "name_string", "stack"), .nargs = 4,
			    .stack = {3}, .str = {2}, .start = EV_USER_REGION_BEGIN},
    [EV_USER_LOG] = {TIMED("UserLog", "task", "key_string", "value_string", "stack"), .nargs = 5,
		     .stack = {4}, .str = {2, 3}},
    [EV_GO_SWITCH] = {TIMED("GoSwitch", "g", "g_seq"), .nargs = 3},
    [EV_GO_SWITCH_DESTROY] = {TIMED("GoSwitchDestroy", "g", "g_seq"), .nargs = 3},
    [EV_GO_CREATE_BLOCKED] = {TIMED("GoCreateBlocked", "new_g", "new_stack", "stack"), .nargs = 4,
			      .stack = {3, 2}},
    [EV_GO_STATUS_STACK] = {TIMED("GoStatusStack", "g", "m", "gstatus", "stack"), .nargs = 5,
			    .stack = {4}},
    [EV_EXPERIMENTAL_BATCH] = {.name = "ExperimentalBatch", .nargs = 4},
    [EV_SYNC] = {.name = "Sync"},
    [EV_CLOCK_SNAPSHOT] = {TIMED("ClockSnapshot", "mono", "sec", "nsec"), .nargs = 4},
    [EV_END_OF_GENERATION] = {.name = "EndOfGeneration"},
    [EV_SPAN] = {TIMED("Span", "id", "npages_value", "kindclass"), .nargs = 4,
		 .exp = EXP_ALLOC_FREE},
    [EV_SPAN_ALLOC] = {TIMED("SpanAlloc", "id", "npages_value", "kindclass"), .nargs = 4,
		       .exp = EXP_ALLOC_FREE},
    [EV_SPAN_FREE] = {TIMED("SpanFree", "id"), .nargs = 2, .exp = EXP_ALLOC_FREE},
    [EV_HEAP_OBJECT] = {TIMED("HeapObject", "id", "type"), .nargs = 3, .exp = EXP_ALLOC_FREE},
    [EV_HEAP_OBJECT_ALLOC] = {TIMED("HeapObjectAlloc", "id", "type"), .nargs = 3,
			      .exp = EXP_ALLOC_FREE},
    [EV_HEAP_OBJECT_FREE] = {TIMED("HeapObjectFree", "id"), .nargs = 2, .exp = EXP_ALLOC_FREE},
    [EV_GOROUTINE_STACK] = {TIMED("GoroutineStack", "id", "order"), .nargs = 3,
			    .exp = EXP_ALLOC_FREE},
    [EV_GOROUTINE_STACK_ALLOC] = {TIMED("GoroutineStackAlloc", "id", "order"), .nargs = 3,
				  .exp = EXP_ALLOC_FREE},
    [EV_GOROUTINE_STACK_FREE] = {TIMED("GoroutineStackFree", "id"), .nargs = 2,
				 .exp = EXP_ALLOC_FREE},
};
#undef TIMED

/* internal/trace's tracev2Type2Kind. */
static enum gotrace_kind wire_kind(uint8_t typ)
{
	switch (typ) {
	case EV_CPU_SAMPLE:
		return GOTRACE_STACK_SAMPLE;
	case EV_PROCS_CHANGE:
	case EV_HEAP_ALLOC:
	case EV_HEAP_GOAL:
		return GOTRACE_METRIC;
	case EV_PROC_START:
	case EV_PROC_STOP:
	case EV_PROC_STEAL:
	case EV_PROC_STATUS:
	case EV_GO_CREATE:
	case EV_GO_CREATE_SYSCALL:
	case EV_GO_START:
	case EV_GO_DESTROY:
	case EV_GO_DESTROY_SYSCALL:
	case EV_GO_STOP:
	case EV_GO_BLOCK:
	case EV_GO_UNBLOCK:
	case EV_GO_SYSCALL_BEGIN:
	case EV_GO_SYSCALL_END:
	case EV_GO_SYSCALL_END_BLOCKED:
	case EV_GO_STATUS:
	case EV_GO_SWITCH:
	case EV_GO_SWITCH_DESTROY:
	case EV_GO_CREATE_BLOCKED:
	case EV_GO_STATUS_STACK:
		return GOTRACE_STATE_TRANSITION;
	case EV_STW_BEGIN:
	case EV_GC_BEGIN:
	case EV_GC_SWEEP_BEGIN:
	case EV_GC_MARK_ASSIST_BEGIN:
		return GOTRACE_RANGE_BEGIN;
	case EV_GC_ACTIVE:
	case EV_GC_SWEEP_ACTIVE:
	case EV_GC_MARK_ASSIST_ACTIVE:
		return GOTRACE_RANGE_ACTIVE;
	case EV_STW_END:
	case EV_GC_END:
	case EV_GC_SWEEP_END:
	case EV_GC_MARK_ASSIST_END:
		return GOTRACE_RANGE_END;
	case EV_GO_LABEL:
		return GOTRACE_LABEL;
	case EV_USER_TASK_BEGIN:
		return GOTRACE_TASK_BEGIN;
	case EV_USER_TASK_END:
		return GOTRACE_TASK_END;
	case EV_USER_REGION_BEGIN:
		return GOTRACE_REGION_BEGIN;
	case EV_USER_REGION_END:
		return GOTRACE_REGION_END;
	case EV_USER_LOG:
		return GOTRACE_LOG;
	default:
		if (typ >= EV_SPAN && typ < EV_NUM_SPECS)
			return GOTRACE_EXPERIMENTAL;
		return GOTRACE_BAD;
	}
}

static const char *const go_status_names[] = {"Bad", "Runnable", "Running", "Syscall", "Waiting"};
static const char *const proc_status_names[] = {"Bad", "Running", "Idle", "Syscall",
						"SyscallAbandoned"};

static const char *go_status_name(uint64_t s)
{
	return s < 5 ? go_status_names[s] : "Bad";
}

static const char *proc_status_name(uint64_t s)
{
	return s < 5 ? proc_status_names[s] : "Bad";
}

/* ---- input ------------------------------------------------------------------------------- */

struct gt_in {
	int fd;
	FILE *f;
	const uint8_t *buf; /* the memory input, or own */
	uint8_t *own;
	size_t pos, end;
	uint64_t base; /* input offset of buf[0] */
	bool eof;
	int err; /* errno of a failed read */
};

static uint64_t in_off(const struct gt_in *in)
{
	return in->base + in->pos;
}

/* More bytes in the buffer: > 0, 0 at the end, -1 on a read error. */
static int in_fill(struct gt_in *in)
{
	ssize_t n;

	if (in->pos < in->end)
		return 1;
	if (in->eof || !in->own)
		return 0;
	if (in->err)
		return -1;
	in->base += in->end;
	in->pos = in->end = 0;
	if (in->f) {
		n = (ssize_t)fread(in->own, 1, GT_IN_BUF, in->f);
		if (n == 0 && ferror(in->f)) {
			in->err = EIO;
			return -1;
		}
	} else {
		do
			n = read(in->fd, in->own, GT_IN_BUF);
		while (n < 0 && errno == EINTR);
		if (n < 0) {
			in->err = errno;
			return -1;
		}
	}
	if (n == 0) {
		in->eof = true;
		return 0;
	}
	in->end = (size_t)n;
	return 1;
}

/* A byte, -1 at the end, -2 on a read error. */
static int in_byte(struct gt_in *in)
{
	int r = in_fill(in);

	if (r <= 0)
		return r == 0 ? -1 : -2;
	return in->buf[in->pos++];
}

/* Copies up to n bytes to dst; the count copied (less at the end or on an error). */
static size_t in_read(struct gt_in *in, uint8_t *dst, size_t n)
{
	size_t got = 0;

	while (got < n && in_fill(in) > 0) {
		size_t k = in->end - in->pos;

		if (k > n - got)
			k = n - got;
		memcpy(dst + got, in->buf + in->pos, k);
		in->pos += k;
		got += k;
	}
	return got;
}

/*
 * binary.Uvarint's rules: at most 10 bytes, the 10th at most 1. 0; -1 when the bytes end first;
 * -2 on overflow.
 */
static int go_uvarint(const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
	const uint8_t *p = *pp;
	uint64_t v = 0;

	for (unsigned int i = 0, shift = 0; i < 10; i++, shift += 7) {
		uint8_t b;

		if (p >= end)
			return -1;
		b = *p++;
		if (b < 0x80) {
			if (i == 9 && b > 1)
				return -2;
			*out = v | (uint64_t)b << shift;
			*pp = p;
			return 0;
		}
		v |= (uint64_t)(b & 0x7f) << shift;
	}
	return -2;
}

/* binary.ReadUvarint from the input: 0, -1 at the end (maybe after some bytes), -2 overflow,
 * -3 read error. */
static int in_uvarint(struct gt_in *in, uint64_t *out)
{
	uint64_t v = 0;

	for (unsigned int i = 0, shift = 0; i < 10; i++, shift += 7) {
		int b = in_byte(in);

		if (b < 0)
			return b == -1 ? -1 : -3;
		if (b < 0x80) {
			if (i == 9 && b > 1)
				return -2;
			*out = v | (uint64_t)b << shift;
			return 0;
		}
		v |= (uint64_t)(b & 0x7f) << shift;
	}
	return -2;
}

/* ---- one generation ---------------------------------------------------------------------- */

struct gt_batch {
	int64_t m;
	uint64_t time;
	size_t off, len; /* in gen.data */
	uint64_t foff;	 /* input offset of its data */
	uint8_t exp;
};

struct gt_mlist {
	int64_t m;
	size_t *idx; /* into gen.batches */
	size_t n, cap;
};

struct gt_strdef {
	size_t off, len; /* in gen.sdata, NUL-terminated there */
};

struct gt_framedef {
	uint64_t pc, func, file, line;
};

struct gt_stackdef {
	uint64_t id;
	size_t first, n; /* in gen.pcs and gen.frames */
};

struct gt_cpu {
	int64_t time;
	int64_t m, p, g;
	uint64_t stack;
};

struct gt_expdef {
	uint8_t exp;
	int64_t m;
	size_t off, len;
};

struct gt_gen {
	uint64_t gen;
	uint64_t min_ts;
	double freq; /* ns per tick; 0 until the frequency event */
	bool has_clock;
	uint64_t snap_time, snap_mono, snap_sec, snap_nsec;

	uint8_t *data;
	size_t len, cap;
	struct gt_batch *batches;
	size_t nbatches, capbatches;
	struct gt_mlist *ms;
	size_t nms, capms;
	struct u64map mmap; /* M -> index in ms */

	char *sdata;
	size_t slen, scap;
	struct gt_strdef *strs;
	size_t nstrs, capstrs;
	struct u64map smap;	 /* string ID -> index in strs */
	struct gotrace_str *str; /* resolved, once the generation is complete */
	size_t capstr;

	uint64_t *pcs;
	size_t npcs, cappcs;
	struct gt_stackdef *stacks;
	size_t nstacks, capstacks;
	struct u64map kmap; /* stack ID -> index in stacks */
	struct gt_framedef *fdefs;
	size_t nfdefs, capfdefs;
	struct u64map pcmap;	      /* PC -> index in fdefs (the first definition wins) */
	struct gotrace_frame *frames; /* resolved, one per pcs entry */
	size_t capframes;

	struct gt_cpu *cpu;
	size_t ncpu, capcpu, cpu_next;

	struct gt_expdef *exps;
	size_t nexps, capexps;
	struct gotrace_exp_batch *exp_out;
	size_t capexp_out;
	char (*exp_names)[24];

	char **extra; /* task types carried from their begin event */
	size_t nextra, capextra;
};

static void gen_reset(struct gt_gen *g)
{
	for (size_t i = 0; i < g->nms; i++)
		g->ms[i].n = 0;
	for (size_t i = 0; i < g->nextra; i++)
		free(g->extra[i]);
	g->gen = 0;
	g->min_ts = 0;
	g->freq = 0;
	g->has_clock = false;
	g->snap_time = g->snap_mono = g->snap_sec = g->snap_nsec = 0;
	g->len = g->nbatches = g->nms = 0;
	g->slen = g->nstrs = g->npcs = g->nstacks = g->nfdefs = 0;
	g->ncpu = g->cpu_next = g->nexps = g->nextra = 0;
	u64map_clear(&g->mmap);
	u64map_clear(&g->smap);
	u64map_clear(&g->kmap);
	u64map_clear(&g->pcmap);
}

static void gen_free(struct gt_gen *g)
{
	gen_reset(g);
	for (size_t i = 0; i < g->capms; i++)
		free(g->ms[i].idx);
	free(g->ms);
	free(g->data);
	free(g->batches);
	free(g->sdata);
	free(g->strs);
	free(g->str);
	free(g->pcs);
	free(g->stacks);
	free(g->fdefs);
	free(g->frames);
	free(g->cpu);
	free(g->exps);
	free(g->exp_out);
	free(g->exp_names);
	free(g->extra);
	u64map_free(&g->mmap);
	u64map_free(&g->smap);
	u64map_free(&g->kmap);
	u64map_free(&g->pcmap);
	memset(g, 0, sizeof(*g));
}

/* ---- ordering state ---------------------------------------------------------------------- */

struct gt_range {
	uint8_t typ;
	uint64_t desc;
};

struct gt_ranges {
	struct gt_range *r;
	size_t n, cap;
};

struct gt_region {
	uint64_t task;
	char *name;
	size_t len;
};

struct gt_gstate {
	int64_t id;
	uint8_t status;
	uint64_t seq_gen, seq;
	struct gt_region *regions;
	size_t nregions, capregions;
	struct gt_ranges ranges;
};

struct gt_pstate {
	int64_t id;
	uint8_t status;
	uint64_t seq_gen, seq;
	struct gt_ranges ranges;
};

struct gt_mstate {
	int64_t id, g, p;
};

struct gt_task {
	char *name;
	size_t len;
	uint64_t parent;
};

/* An ordered event before it is handed out: Go's Event (wire type, time, args, context). */
struct gt_ev {
	uint8_t typ;
	int64_t time;
	uint64_t args[4];
	int64_t g, p, m;
	uint64_t foff;
};

struct gt_cursor {
	int64_t m;
	size_t ml; /* index in gen.ms */
	size_t mi; /* index of its M's state in gotrace.mst (never removed), or SIZE_MAX */
	int64_t last_ts;
	size_t idx, data_off;
	struct gt_ev ev; /* its next event (typ, time, args) */
};

struct gotrace {
	struct gt_in in;
	int version;
	uint64_t syncs;
	int64_t last_ts;
	int err; /* sticky */
	bool done;
	bool have_gen; /* a generation was installed (gen holds it) */
	struct gt_gen gen;

	/* traces before Go 1.26: the next generation's first batch, read while reading this one */
	bool have_spill;
	struct gt_batch spill;
	uint64_t spill_gen;
	uint8_t *spill_data;
	int spill_err; /* the error that ended the last generation */
	bool spill_err_sync;
	char *spill_msg;
	int gen_err; /* Go 1.26+: the error reading the next generation */
	char *gen_msg;

	struct gt_cursor *cursors;
	size_t ncursors, capcursors;
	struct gt_cursor **frontier;
	size_t nfrontier, capfrontier;

	/* ordering */
	uint64_t initial_gen;
	uint64_t gc_seq;
	int gc_state; /* 0 undetermined, 1 not running, 2 running */
	struct gt_gstate *gs;
	size_t ngs, capgs;
	size_t *gfree;
	size_t ngfree, capgfree;
	struct u64map gmap;
	struct gt_pstate *ps;
	size_t nps, capps;
	struct u64map pmap;
	struct gt_mstate *mst;
	size_t nmst, capmst;
	struct u64map mmap;
	struct gt_task *tasks;
	size_t ntasks, captasks;
	size_t *tfree;
	size_t ntfree, captfree;
	struct u64map tmap;

	struct gt_ev *queue;
	size_t qcap, qstart, qend;

	char namebuf[GT_MAX_STRING + 32];
};

/* ---- errors ------------------------------------------------------------------------------ */

__attribute__((format(printf, 4, 5))) static int gt_fail(struct gotrace *gt, int err, uint64_t off,
							 const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	(void)gt;
	return xg_error(err, "go trace: offset %" PRIu64 ": %s", off, msg);
}

/* A varint failure from in_uvarint as Go words it. */
static int gt_in_fail(struct gotrace *gt, int r, uint64_t off, const char *what)
{
	if (r == -3)
		return gt_fail(gt, -EIO, off, "%s: read error: %s", what, strerror(gt->in.err));
	if (r == -2)
		return gt_fail(gt, -EINVAL, off, "%s: varint overflows a 64-bit integer", what);
	return gt_fail(gt, -EINVAL, off, "%s: unexpected end of trace", what);
}

static int enomem(void)
{
	return xg_error(-ENOMEM, "go trace: out of memory");
}

/* ---- reading batches --------------------------------------------------------------------- */

#define GROW(arr, cap, need) xg_array_grow((void **)&(arr), &(cap), (need), sizeof(*(arr)))

enum { BATCH_OK = 1, BATCH_EOF = 0 };

/*
 * Go's readBatch: reads one batch, its data appended to gen.data. BATCH_OK with *b and *gen
 * (an end-of-generation marker has gen 0 and end_of_gen set), BATCH_EOF when the input ends
 * before a batch, or -errno.
 */
static int read_batch(struct gotrace *gt, struct gt_batch *b, uint64_t *gen, bool *end_of_gen)
{
	struct gt_in *in = &gt->in;
	struct gt_gen *g = &gt->gen;
	uint64_t start = in_off(in), m, ts, size;
	int typ, r;
	size_t got;

	*end_of_gen = false;
	*gen = 0;
	memset(b, 0, sizeof(*b));
	typ = in_byte(in);
	if (typ == -1)
		return BATCH_EOF;
	if (typ == -2)
		return gt_fail(gt, -EIO, start, "read error: %s", strerror(in->err));
	if (typ == EV_END_OF_GENERATION) {
		*end_of_gen = true;
		b->m = GOTRACE_NONE;
		return BATCH_OK;
	}
	if (typ != EV_EVENT_BATCH && typ != EV_EXPERIMENTAL_BATCH)
		return gt_fail(gt, -EINVAL, start, "expected batch event, got event %d", typ);
	if (typ == EV_EXPERIMENTAL_BATCH) {
		int e = in_byte(in);

		if (e < 0)
			return gt_in_fail(gt, e == -1 ? -1 : -3, start, "reading experiment");
		b->exp = (uint8_t)e;
	}
	r = in_uvarint(in, gen);
	if (r)
		return gt_in_fail(gt, r, start, "error reading batch gen");
	r = in_uvarint(in, &m);
	if (r)
		return gt_in_fail(gt, r, start, "error reading batch M ID");
	r = in_uvarint(in, &ts);
	if (r)
		return gt_in_fail(gt, r, start, "error reading batch timestamp");
	r = in_uvarint(in, &size);
	if (r)
		return gt_in_fail(gt, r, start, "error reading batch size");
	if (size > GT_MAX_BATCH)
		return gt_fail(gt, -EINVAL, start, "invalid batch size %" PRIu64 ", maximum is %u",
			       size, GT_MAX_BATCH);
	if (GROW(g->data, g->cap, g->len + size + 1))
		return enomem();
	b->m = (int64_t)m;
	b->time = ts;
	b->off = g->len;
	b->len = size;
	b->foff = in_off(in);
	got = in_read(in, g->data + g->len, size);
	if (got != size) {
		if (in->err)
			return gt_fail(gt, -EIO, start, "batch for M %" PRId64 ": read error: %s",
				       b->m, strerror(in->err));
		return gt_fail(gt, -EINVAL, start,
			       "batch for M %" PRId64
			       " truncated: read %zu bytes but wanted %" PRIu64,
			       b->m, got, size);
	}
	g->len += size;
	return BATCH_OK;
}

static const uint8_t *batch_data(const struct gt_gen *g, const struct gt_batch *b)
{
	return g->data + b->off;
}

static int batch_first(const struct gt_gen *g, const struct gt_batch *b)
{
	return b->exp == 0 && b->len > 0 ? batch_data(g, b)[0] : -1;
}

static bool is_sync_batch(const struct gotrace *gt, const struct gt_batch *b)
{
	int t = batch_first(&gt->gen, b);

	return (t == EV_FREQUENCY && gt->version < 25) || (t == EV_SYNC && gt->version >= 25);
}

/* A varint inside a table batch: 0 or the error. */
static int table_uv(struct gotrace *gt, const struct gt_batch *b, const uint8_t **p,
		    const uint8_t *end, uint64_t *v, const char *what)
{
	int r = go_uvarint(p, end, v);

	if (!r)
		return 0;
	return gt_fail(gt, -EINVAL, b->foff + (size_t)(*p - batch_data(&gt->gen, b)), "%s: %s",
		       what,
		       r == -2 ? "varint overflows a 64-bit integer" : "unexpected end of batch");
}

#define POFF(p) (b->foff + (uint64_t)((p)-batch_data(g, b)))

/* The head of a string or stack table entry: its type byte (want), ID and a count. */
static int table_entry(struct gotrace *gt, const struct gt_batch *b, const uint8_t **p,
		       const uint8_t *end, uint8_t want, uint64_t *id, uint64_t *n)
{
	struct gt_gen *g = &gt->gen;
	const uint8_t *at = *p;
	int err;

	if (*(*p)++ != want)
		return gt_fail(gt, -EINVAL, POFF(at), "expected %s event, got %d",
			       want == EV_STRING ? "string" : "stack", *at);
	err = table_uv(gt, b, p, end, id, want == EV_STRING ? "string ID" : "stack ID");
	if (!err)
		err =
		    table_uv(gt, b, p, end, n, want == EV_STRING ? "string length" : "stack size");
	return err;
}

static int add_strings(struct gotrace *gt, const struct gt_batch *b)
{
	struct gt_gen *g = &gt->gen;
	const uint8_t *p = batch_data(g, b) + 1, *end = batch_data(g, b) + b->len;
	int err;

	while (p < end) {
		uint64_t id, len;
		const uint8_t *at = p;

		err = table_entry(gt, b, &p, end, EV_STRING, &id, &len);
		if (err)
			return err;
		if (len > GT_MAX_STRING)
			return gt_fail(gt, -EINVAL, POFF(at),
				       "invalid string size %" PRIu64 ", maximum is %d", len,
				       GT_MAX_STRING);
		if (len > (uint64_t)(end - p))
			return gt_fail(gt, -EINVAL, POFF(at),
				       "failed to read full string: read %zu but wanted %" PRIu64,
				       (size_t)(end - p), len);
		if (id == 0 || u64map_get(&g->smap, id, NULL))
			return gt_fail(gt, -EINVAL, POFF(at),
				       "multiple strings with the same ID: id=%" PRIu64, id);
		if (GROW(g->sdata, g->scap, g->slen + len + 1) ||
		    GROW(g->strs, g->capstrs, g->nstrs + 1) || u64map_put(&g->smap, id, g->nstrs))
			return enomem();
		memcpy(g->sdata + g->slen, p, len);
		g->sdata[g->slen + len] = 0;
		g->strs[g->nstrs++] = (struct gt_strdef){g->slen, len};
		g->slen += len + 1;
		p += len;
	}
	return 0;
}

static int add_stacks(struct gotrace *gt, const struct gt_batch *b)
{
	struct gt_gen *g = &gt->gen;
	const uint8_t *p = batch_data(g, b) + 1, *end = batch_data(g, b) + b->len;
	int err;

	while (p < end) {
		uint64_t id, n;
		const uint8_t *at = p;

		err = table_entry(gt, b, &p, end, EV_STACK, &id, &n);
		if (err)
			return err;
		if (n > GT_MAX_FRAMES)
			return gt_fail(gt, -EINVAL, POFF(at),
				       "invalid stack size %" PRIu64 ", maximum is %d", n,
				       GT_MAX_FRAMES);
		if (GROW(g->pcs, g->cappcs, g->npcs + n) ||
		    GROW(g->stacks, g->capstacks, g->nstacks + 1))
			return enomem();
		for (uint64_t i = 0; i < n; i++) {
			struct gt_framedef f;

			err = table_uv(gt, b, &p, end, &f.pc, "frame PC");
			if (!err)
				err = table_uv(gt, b, &p, end, &f.func, "frame funcID");
			if (!err)
				err = table_uv(gt, b, &p, end, &f.file, "frame fileID");
			if (!err)
				err = table_uv(gt, b, &p, end, &f.line, "frame line");
			if (err)
				return err;
			g->pcs[g->npcs + i] = f.pc;
			if (!u64map_get(&g->pcmap, f.pc, NULL)) {
				if (GROW(g->fdefs, g->capfdefs, g->nfdefs + 1) ||
				    u64map_put(&g->pcmap, f.pc, g->nfdefs))
					return enomem();
				g->fdefs[g->nfdefs++] = f;
			}
		}
		if (id == 0 || u64map_get(&g->kmap, id, NULL))
			return gt_fail(gt, -EINVAL, POFF(at),
				       "multiple stacks with the same ID: id=%" PRIu64, id);
		if (u64map_put(&g->kmap, id, g->nstacks))
			return enomem();
		g->stacks[g->nstacks++] = (struct gt_stackdef){id, g->npcs, n};
		g->npcs += n;
	}
	return 0;
}

static int add_cpu_samples(struct gotrace *gt, const struct gt_batch *b)
{
	struct gt_gen *g = &gt->gen;
	const uint8_t *p = batch_data(g, b) + 1, *end = batch_data(g, b) + b->len;
	int err;

	while (p < end) {
		uint64_t v[5];
		const uint8_t *at = p;

		if (*p++ != EV_CPU_SAMPLE)
			return gt_fail(gt, -EINVAL, POFF(at), "expected CPU sample event, got %d",
				       *at);
		for (int i = 0; i < 5; i++) {
			err = table_uv(gt, b, &p, end, &v[i], "CPU sample");
			if (err)
				return err;
		}
		if (GROW(g->cpu, g->capcpu, g->ncpu + 1))
			return enomem();
		g->cpu[g->ncpu] = (struct gt_cpu){
		    .time = (int64_t)v[0],
		    .m = (int64_t)v[1],
		    .p = (int64_t)v[2],
		    .g = v[3] == 0 ? GOTRACE_NONE : (int64_t)v[3],
		    .stack = v[4],
		};
		g->ncpu++;
	}
	return 0;
}

static int set_sync_batch(struct gotrace *gt, const struct gt_batch *b)
{
	struct gt_gen *g = &gt->gen;
	const uint8_t *p = batch_data(g, b), *end = p + b->len;
	uint64_t last = b->time;
	int err;

	if (gt->version >= 25)
		p++;
	while (p < end) {
		const uint8_t *at = p;
		uint8_t t = *p++;

		if (t == EV_FREQUENCY) {
			uint64_t f;

			if (g->freq != 0)
				return gt_fail(gt, -EINVAL, POFF(at),
					       "found multiple frequency events");
			err = table_uv(gt, b, &p, end, &f, "frequency");
			if (err)
				return err;
			g->freq = 1.0 / ((double)f / 1e9);
		} else if (t == EV_CLOCK_SNAPSHOT && gt->version >= 25) {
			uint64_t d;

			if (g->has_clock)
				return gt_fail(gt, -EINVAL, POFF(at),
					       "found multiple clock snapshot events");
			g->has_clock = true;
			err = table_uv(gt, b, &p, end, &d, "clock snapshot");
			if (!err)
				err = table_uv(gt, b, &p, end, &g->snap_mono, "clock snapshot");
			if (!err)
				err = table_uv(gt, b, &p, end, &g->snap_sec, "clock snapshot");
			if (!err)
				err = table_uv(gt, b, &p, end, &g->snap_nsec, "clock snapshot");
			if (err)
				return err;
			last += d;
			g->snap_time = last;
		} else {
			return gt_fail(gt, -EINVAL, POFF(at),
				       "expected frequency or clock snapshot event, got %d", t);
		}
	}
	return 0;
}

/* Go's processBatch. The data of table batches is dropped once decoded. */
static int process_batch(struct gotrace *gt, const struct gt_batch *b)
{
	struct gt_gen *g = &gt->gen;
	int first = batch_first(g, b), err = 0;
	bool drop = true;
	uint64_t mi;

	if (first == EV_STRINGS) {
		err = add_strings(gt, b);
	} else if (first == EV_STACKS) {
		err = add_stacks(gt, b);
	} else if (first == EV_CPU_SAMPLES) {
		err = add_cpu_samples(gt, b);
	} else if (is_sync_batch(gt, b)) {
		err = set_sync_batch(gt, b);
	} else if (b->exp) {
		if (GROW(g->exps, g->capexps, g->nexps + 1))
			return enomem();
		g->exps[g->nexps++] = (struct gt_expdef){b->exp, b->m, b->off, b->len};
		drop = false;
	} else if (first == EV_END_OF_GENERATION) {
		return gt_fail(gt, -EINVAL, b->foff,
			       "unexpectedly processing EndOfGeneration; broken trace?");
	} else {
		if (!u64map_get(&g->mmap, (uint64_t)b->m, &mi)) {
			if (xg_array_grow_zeroed((void **)&g->ms, &g->capms, g->nms + 1,
						 sizeof(*g->ms)))
				return enomem();
			mi = g->nms++;
			if (u64map_put(&g->mmap, (uint64_t)b->m, mi))
				return enomem();
			g->ms[mi].m = b->m;
			g->ms[mi].n = 0;
		}
		if (GROW(g->batches, g->capbatches, g->nbatches + 1) ||
		    GROW(g->ms[mi].idx, g->ms[mi].cap, g->ms[mi].n + 1))
			return enomem();
		g->ms[mi].idx[g->ms[mi].n++] = g->nbatches;
		g->batches[g->nbatches++] = *b;
		drop = false;
	}
	if (drop && b->off + b->len == g->len)
		g->len = b->off;
	return err;
}

/*
 * Go's slices.SortFunc (pattern-defeating quicksort, not stable), step for step: Go's reader
 * sorts its frontier and CPU samples with it, and equal keys (times are ticks of 64 ns) must
 * end in the same order as there. Elements are size bytes; cmp as for qsort.
 */
struct pdq {
	uint8_t *d;
	size_t size;
	int (*cmp)(const void *, const void *);
};

static bool pdq_less(const struct pdq *q, long i, long j)
{
	return q->cmp(q->d + (size_t)i * q->size, q->d + (size_t)j * q->size) < 0;
}

static void pdq_swap(const struct pdq *q, long i, long j)
{
	uint8_t *x = q->d + (size_t)i * q->size, *y = q->d + (size_t)j * q->size;

	for (size_t k = 0; k < q->size; k++) {
		uint8_t t = x[k];

		x[k] = y[k];
		y[k] = t;
	}
}

static int bits_len(unsigned long x)
{
	return x ? 64 - __builtin_clzl(x) : 0;
}

static void pdq_insertion(const struct pdq *q, long a, long b)
{
	for (long i = a + 1; i < b; i++)
		for (long j = i; j > a && pdq_less(q, j, j - 1); j--)
			pdq_swap(q, j, j - 1);
}

static void pdq_sift_down(const struct pdq *q, long lo, long hi, long first)
{
	long root = lo;

	for (;;) {
		long child = 2 * root + 1;

		if (child >= hi)
			return;
		if (child + 1 < hi && pdq_less(q, first + child, first + child + 1))
			child++;
		if (!pdq_less(q, first + root, first + child))
			return;
		pdq_swap(q, first + root, first + child);
		root = child;
	}
}

static void pdq_heapsort(const struct pdq *q, long a, long b)
{
	long first = a, hi = b - a;

	for (long i = (hi - 1) / 2; i >= 0; i--)
		pdq_sift_down(q, i, hi, first);
	for (long i = hi - 1; i >= 0; i--) {
		pdq_swap(q, first, first + i);
		pdq_sift_down(q, 0, i, first);
	}
}

static long pdq_partition(const struct pdq *q, long a, long b, long pivot, bool *already)
{
	long i = a + 1, j = b - 1;

	pdq_swap(q, a, pivot);
	while (i <= j && pdq_less(q, i, a))
		i++;
	while (i <= j && !pdq_less(q, j, a))
		j--;
	if (i > j) {
		pdq_swap(q, j, a);
		*already = true;
		return j;
	}
	pdq_swap(q, i, j);
	i++;
	j--;
	for (;;) {
		while (i <= j && pdq_less(q, i, a))
			i++;
		while (i <= j && !pdq_less(q, j, a))
			j--;
		if (i > j)
			break;
		pdq_swap(q, i, j);
		i++;
		j--;
	}
	pdq_swap(q, j, a);
	*already = false;
	return j;
}

static long pdq_partition_equal(const struct pdq *q, long a, long b, long pivot)
{
	long i = a + 1, j = b - 1;

	pdq_swap(q, a, pivot);
	for (;;) {
		while (i <= j && !pdq_less(q, a, i))
			i++;
		while (i <= j && pdq_less(q, a, j))
			j--;
		if (i > j)
			break;
		pdq_swap(q, i, j);
		i++;
		j--;
	}
	return i;
}

static bool pdq_partial_insertion(const struct pdq *q, long a, long b)
{
	long i = a + 1;

	for (int step = 0; step < 5; step++) {
		while (i < b && !pdq_less(q, i, i - 1))
			i++;
		if (i == b)
			return true;
		if (b - a < 50)
			return false;
		pdq_swap(q, i, i - 1);
		if (i - a >= 2) /* Go's loop runs down to index 1, not a + 1 */
			for (long j = i - 1; j >= 1 && pdq_less(q, j, j - 1); j--)
				pdq_swap(q, j, j - 1);
		if (b - i >= 2)
			for (long j = i + 1; j < b && pdq_less(q, j, j - 1); j++)
				pdq_swap(q, j, j - 1);
	}
	return false;
}

static void pdq_break_patterns(const struct pdq *q, long a, long b)
{
	long length = b - a;
	uint64_t r = (uint64_t)length;
	unsigned long modulus = 1ul << bits_len((unsigned long)length);

	if (length < 8)
		return;
	for (long idx = a + (length / 4) * 2 - 1; idx <= a + (length / 4) * 2 + 1; idx++) {
		long other;

		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		other = (long)(r & (modulus - 1));
		if (other >= length)
			other -= length;
		pdq_swap(q, idx, a + other);
	}
}

static void pdq_order2(const struct pdq *q, long *a, long *b, int *swaps)
{
	if (pdq_less(q, *b, *a)) {
		long t = *a;

		(*swaps)++;
		*a = *b;
		*b = t;
	}
}

static long pdq_median(const struct pdq *q, long a, long b, long c, int *swaps)
{
	pdq_order2(q, &a, &b, swaps);
	pdq_order2(q, &b, &c, swaps);
	pdq_order2(q, &a, &b, swaps);
	return b;
}

enum { HINT_UNKNOWN, HINT_INCREASING, HINT_DECREASING };

static long pdq_pivot(const struct pdq *q, long a, long b, int *hint)
{
	long l = b - a, i = a + l / 4 * 1, j = a + l / 4 * 2, k = a + l / 4 * 3;
	int swaps = 0;

	if (l >= 8) {
		if (l >= 50) {
			i = pdq_median(q, i - 1, i, i + 1, &swaps);
			j = pdq_median(q, j - 1, j, j + 1, &swaps);
			k = pdq_median(q, k - 1, k, k + 1, &swaps);
		}
		j = pdq_median(q, i, j, k, &swaps);
	}
	*hint = swaps == 0 ? HINT_INCREASING : swaps == 12 ? HINT_DECREASING : HINT_UNKNOWN;
	return j;
}

static void pdq_sort(const struct pdq *q, long a, long b, int limit)
{
	bool balanced = true, partitioned = true;

	for (;;) {
		long length = b - a, pivot, mid;
		int hint;
		bool already;

		if (length <= 12) {
			pdq_insertion(q, a, b);
			return;
		}
		if (limit == 0) {
			pdq_heapsort(q, a, b);
			return;
		}
		if (!balanced) {
			pdq_break_patterns(q, a, b);
			limit--;
		}
		pivot = pdq_pivot(q, a, b, &hint);
		if (hint == HINT_DECREASING) {
			for (long i = a, j = b - 1; i < j; i++, j--)
				pdq_swap(q, i, j);
			pivot = (b - 1) - (pivot - a);
			hint = HINT_INCREASING;
		}
		if (balanced && partitioned && hint == HINT_INCREASING &&
		    pdq_partial_insertion(q, a, b))
			return;
		if (a > 0 && !pdq_less(q, a - 1, pivot)) {
			a = pdq_partition_equal(q, a, b, pivot);
			continue;
		}
		mid = pdq_partition(q, a, b, pivot, &already);
		partitioned = already;
		if (mid - a < b - mid) {
			balanced = mid - a >= length / 8;
			pdq_sort(q, a, mid, limit);
			a = mid + 1;
		} else {
			balanced = b - mid >= length / 8;
			pdq_sort(q, mid + 1, b, limit);
			b = mid;
		}
	}
}

static void go_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	struct pdq q = {base, size, cmp};

	pdq_sort(&q, 0, (long)n, bits_len(n));
}

static int cmp_cpu(const void *a, const void *b)
{
	const struct gt_cpu *x = a, *y = b;

	return x->time < y->time ? -1 : x->time > y->time;
}

/* Go's frequency.mul: float64(t) * f, converted as amd64 does (out of range: MinInt64). */
static int64_t freq_mul(double f, uint64_t t)
{
	double v = (double)t * f;

	if (!(v >= -9223372036854775808.0 && v < 9223372036854775808.0))
		return INT64_MIN;
	return (int64_t)v;
}

static const char *experiment_name(struct gt_gen *g, size_t i, uint8_t exp)
{
	if (exp == EXP_ALLOC_FREE)
		return "AllocFree";
	snprintf(g->exp_names[i], sizeof(g->exp_names[i]), "Experiment(%u)", exp);
	return g->exp_names[i];
}

/* After the last batch: checks, string and frame resolution, CPU samples in time order. */
static int finish_gen(struct gotrace *gt, uint64_t off)
{
	struct gt_gen *g = &gt->gen;
	size_t cap;

	if (g->freq == 0)
		return gt_fail(gt, -EINVAL, off, "generation %" PRIu64 ": no frequency event found",
			       g->gen);
	if (gt->version >= 25 && !g->has_clock)
		return gt_fail(gt, -EINVAL, off,
			       "generation %" PRIu64 ": no clock snapshot event found", g->gen);
	if (GROW(g->str, g->capstr, g->nstrs + 1) || GROW(g->frames, g->capframes, g->npcs + 1))
		return enomem();
	for (size_t i = 0; i < g->nstrs; i++)
		g->str[i] = (struct gotrace_str){g->sdata + g->strs[i].off, g->strs[i].len};
	for (size_t i = 0; i < g->nstacks; i++) {
		const struct gt_stackdef *s = &g->stacks[i];

		for (size_t j = 0; j < s->n; j++) {
			uint64_t fi, si;
			const struct gt_framedef *f;
			struct gotrace_frame *out = &g->frames[s->first + j];

			u64map_get(&g->pcmap, g->pcs[s->first + j], &fi);
			f = &g->fdefs[fi];
			out->pc = f->pc;
			out->line = f->line;
			out->func = out->file = (struct gotrace_str){"", 0};
			if (f->func) {
				if (!u64map_get(&g->smap, f->func, &si))
					return gt_fail(gt, -EINVAL, off,
						       "generation %" PRIu64
						       ": found invalid func string ID %" PRIu64
						       " for stack %" PRIu64,
						       g->gen, f->func, s->id);
				out->func = g->str[si];
			}
			if (f->file) {
				if (!u64map_get(&g->smap, f->file, &si))
					return gt_fail(gt, -EINVAL, off,
						       "generation %" PRIu64
						       ": found invalid file string ID %" PRIu64
						       " for stack %" PRIu64,
						       g->gen, f->file, s->id);
				out->file = g->str[si];
			}
		}
	}
	for (size_t i = 0; i < g->ncpu; i++)
		g->cpu[i].time = freq_mul(g->freq, (uint64_t)g->cpu[i].time);
	go_sort(g->cpu, g->ncpu, sizeof(*g->cpu), cmp_cpu);
	cap = g->capexp_out;
	if (GROW(g->exp_out, g->capexp_out, g->nexps + 1))
		return enomem();
	if (cap != g->capexp_out) {
		void *n = realloc(g->exp_names, g->capexp_out * sizeof(*g->exp_names));

		if (!n)
			return enomem();
		g->exp_names = n;
	}
	for (size_t i = 0; i < g->nexps; i++)
		g->exp_out[i] = (struct gotrace_exp_batch){
		    .experiment = experiment_name(g, i, g->exps[i].exp),
		    .m = g->exps[i].m,
		    .data = g->data + g->exps[i].off,
		    .len = g->exps[i].len,
		};
	return 0;
}

static void gen_note_min_ts(struct gt_gen *g, const struct gt_batch *b)
{
	if (g->min_ts == 0 || b->time < g->min_ts)
		g->min_ts = b->time;
}

/*
 * Go's readGenerationWithSpill (traces before Go 1.26). 1 with a generation in gt->gen (and
 * maybe gt->spill_err set: the error that ended it, to report after it), or -errno with no
 * generation.
 */
static int read_gen_spill(struct gotrace *gt)
{
	struct gt_gen *g = &gt->gen;
	struct gt_batch b;
	uint64_t gen, start;
	bool eog;
	int r;

	gen_reset(g);
	if (gt->have_spill) {
		if (GROW(g->data, g->cap, gt->spill.len + 1))
			return enomem();
		memcpy(g->data, gt->spill_data, gt->spill.len);
		g->len = gt->spill.len;
		b = gt->spill;
		b.off = 0;
		g->gen = gt->spill_gen;
		g->min_ts = b.time;
		gt->have_spill = false;
		r = process_batch(gt, &b);
		if (r)
			return r;
	}
	for (;;) {
		start = in_off(&gt->in);
		r = read_batch(gt, &b, &gen, &eog);
		if (r == BATCH_EOF)
			break;
		if (r < 0) {
			if (g->gen != 0) {
				gt->spill_err = r;
				free(gt->spill_msg);
				gt->spill_msg = strdup(xg_errmsg());
				break;
			}
			return r;
		}
		if (gen == 0)
			return gt_fail(gt, -EINVAL, start, "invalid generation number %" PRIu64,
				       gen);
		if (g->gen == 0)
			g->gen = gen;
		if (gen == g->gen + 1) {
			free(gt->spill_data);
			gt->spill_data = malloc(b.len + 1);
			if (!gt->spill_data)
				return enomem();
			memcpy(gt->spill_data, g->data + b.off, b.len);
			g->len = b.off;
			gt->spill = b;
			gt->spill_gen = gen;
			gt->have_spill = true;
			break;
		}
		if (gen != g->gen)
			return gt_fail(gt, -EINVAL, start,
				       "generations out of order: batch of generation %" PRIu64
				       " in generation %" PRIu64,
				       gen, g->gen);
		gen_note_min_ts(g, &b);
		r = process_batch(gt, &b);
		if (r)
			return r;
	}
	r = finish_gen(gt, in_off(&gt->in));
	return r ? r : 1;
}

/* Go's readGeneration (Go 1.26+ traces): 1 with a generation, 0 at the end, or -errno. */
static int read_gen(struct gotrace *gt)
{
	struct gt_gen *g = &gt->gen;
	struct gt_batch b;
	uint64_t gen, start;
	bool eog, any = false;
	int r;

	gen_reset(g);
	for (;;) {
		start = in_off(&gt->in);
		r = read_batch(gt, &b, &gen, &eog);
		if (r == BATCH_EOF) {
			if (any)
				return gt_fail(
				    gt, -EINVAL, start,
				    "incomplete generation found; trace likely truncated");
			return 0;
		}
		if (r < 0)
			return r;
		if (g->gen == 0)
			g->gen = gen;
		if (eog || batch_first(g, &b) == EV_END_OF_GENERATION)
			break;
		if (gen == 0)
			return gt_fail(gt, -EINVAL, start, "invalid generation number %" PRIu64,
				       gen);
		if (gen != g->gen)
			return gt_fail(
			    gt, -EINVAL, start,
			    "broken trace: missing end-of-generation event, or generations are "
			    "interleaved");
		gen_note_min_ts(g, &b);
		r = process_batch(gt, &b);
		if (r)
			return r;
		any = g->nms != 0;
	}
	r = finish_gen(gt, in_off(&gt->in));
	return r ? r : 1;
}

/* ---- batch cursors and the frontier heap -------------------------------------------------- */

/* Go's readTimedBaseEvent into c->ev; 0 or -errno. */
static int cursor_next(struct gotrace *gt, struct gt_cursor *c, bool *ok)
{
	struct gt_gen *g = &gt->gen;
	struct gt_mlist *ml = &g->ms[c->ml];
	const struct gt_batch *b;
	const uint8_t *p, *end, *start;
	const struct gt_spec *s;
	uint64_t dt;
	int r;

	*ok = false;
	while (c->idx < ml->n && g->batches[ml->idx[c->idx]].len == c->data_off) {
		c->idx++;
		c->data_off = 0;
		c->last_ts = 0;
	}
	if (c->idx == ml->n)
		return 0;
	b = &g->batches[ml->idx[c->idx]];
	if (c->last_ts == 0)
		c->last_ts = freq_mul(g->freq, b->time);
	start = batch_data(g, b) + c->data_off;
	end = batch_data(g, b) + b->len;
	p = start + 1;
	c->ev.foff = POFF(start);
	if (*start >= EV_NUM_SPECS)
		return gt_fail(gt, -EINVAL, c->ev.foff,
			       "M %" PRId64 ": found invalid event type: %d", c->m, *start);
	c->ev.typ = *start;
	s = &specs[*start];
	if (s->nargs == 0 || !s->timed)
		return gt_fail(gt, -EINVAL, c->ev.foff,
			       "M %" PRId64 ": found event without a timestamp: type=%d", c->m,
			       *start);
	r = go_uvarint(&p, end, &dt);
	if (r)
		return gt_fail(gt, -EINVAL, c->ev.foff,
			       "M %" PRId64 ": found invalid uvarint for timestamp", c->m);
	for (int i = 0; i < s->nargs - 1; i++) {
		r = go_uvarint(&p, end, &c->ev.args[i]);
		if (r)
			return gt_fail(gt, -EINVAL, c->ev.foff,
				       "M %" PRId64 ": %s event: found invalid uvarint", c->m,
				       s->name);
	}
	c->ev.time = (int64_t)((uint64_t)freq_mul(g->freq, dt) + (uint64_t)c->last_ts);
	c->last_ts = c->ev.time;
	c->data_off += (size_t)(p - start);
	*ok = true;
	return 0;
}

static void heap_swap(struct gt_cursor **h, size_t i, size_t j)
{
	struct gt_cursor *t = h[i];

	h[i] = h[j];
	h[j] = t;
}

static size_t heap_up(struct gt_cursor **h, size_t i)
{
	while (i > 0 && h[(i - 1) / 2]->ev.time > h[i]->ev.time) {
		heap_swap(h, (i - 1) / 2, i);
		i = (i - 1) / 2;
	}
	return i;
}

static void heap_down(struct gt_cursor **h, size_t n, size_t i)
{
	for (;;) {
		size_t m = i, c1 = 2 * i + 1, c2 = 2 * i + 2;
		int64_t mt = INT64_MAX;

		if (i < n)
			mt = h[i]->ev.time;
		if (c1 < n && h[c1]->ev.time < mt) {
			mt = h[c1]->ev.time;
			m = c1;
		}
		if (c2 < n && h[c2]->ev.time < mt)
			m = c2;
		if (m == i)
			return;
		heap_swap(h, i, m);
		i = m;
	}
}

static void heap_update(struct gt_cursor **h, size_t n, size_t i)
{
	if (heap_up(h, i) != i)
		return;
	heap_down(h, n, i);
}

static void heap_remove(struct gotrace *gt, size_t i)
{
	struct gt_cursor **h = gt->frontier;

	while (i > 0) {
		heap_swap(h, (i - 1) / 2, i);
		i = (i - 1) / 2;
	}
	heap_swap(h, 0, gt->nfrontier - 1);
	gt->nfrontier--;
	heap_down(h, gt->nfrontier, 0);
}

/* ---- ordering ---------------------------------------------------------------------------- */

static int q_push(struct gotrace *gt, const struct gt_ev *ev)
{
	if (gt->qend - gt->qstart == gt->qcap) {
		size_t ncap = gt->qcap ? gt->qcap * 2 : 8;
		struct gt_ev *n = malloc(ncap * sizeof(*n));

		if (!n)
			return enomem();
		for (size_t i = gt->qstart; gt->qcap && i < gt->qend; i++)
			n[i - gt->qstart] = gt->queue[i % gt->qcap];
		free(gt->queue);
		gt->queue = n;
		gt->qend -= gt->qstart;
		gt->qstart = 0;
		gt->qcap = ncap;
	}
	gt->queue[gt->qend++ % gt->qcap] = *ev;
	return 0;
}

static bool q_pop(struct gotrace *gt, struct gt_ev *ev)
{
	if (gt->qend == gt->qstart || !gt->qcap)
		return false;
	*ev = gt->queue[gt->qstart++ % gt->qcap];
	if (gt->qstart == gt->qend)
		gt->qstart = gt->qend = 0;
	return true;
}

static struct gt_gstate *g_get(struct gotrace *gt, int64_t id)
{
	uint64_t i;

	return u64map_get(&gt->gmap, (uint64_t)id, &i) ? &gt->gs[i] : NULL;
}

static struct gt_gstate *g_new(struct gotrace *gt, int64_t id, uint8_t status, uint64_t gen)
{
	size_t i;
	struct gt_gstate *s;

	if (gt->ngfree) {
		i = gt->gfree[--gt->ngfree];
	} else {
		if (GROW(gt->gs, gt->capgs, gt->ngs + 1))
			return NULL;
		i = gt->ngs++;
		memset(&gt->gs[i], 0, sizeof(gt->gs[i]));
	}
	if (u64map_put(&gt->gmap, (uint64_t)id, i))
		return NULL;
	s = &gt->gs[i];
	s->id = id;
	s->status = status;
	s->seq_gen = gen;
	s->seq = 0;
	return s;
}

static int g_del(struct gotrace *gt, int64_t id)
{
	uint64_t i;
	struct gt_gstate *s;

	if (!u64map_get(&gt->gmap, (uint64_t)id, &i))
		return 0;
	u64map_del(&gt->gmap, (uint64_t)id);
	s = &gt->gs[i];
	for (size_t k = 0; k < s->nregions; k++)
		free(s->regions[k].name);
	s->nregions = 0;
	s->ranges.n = 0;
	if (GROW(gt->gfree, gt->capgfree, gt->ngfree + 1))
		return enomem();
	gt->gfree[gt->ngfree++] = i;
	return 0;
}

static struct gt_pstate *p_get(struct gotrace *gt, int64_t id)
{
	uint64_t i;

	return u64map_get(&gt->pmap, (uint64_t)id, &i) ? &gt->ps[i] : NULL;
}

static struct gt_mstate *m_get(struct gotrace *gt, int64_t id)
{
	uint64_t i;

	return u64map_get(&gt->mmap, (uint64_t)id, &i) ? &gt->mst[i] : NULL;
}

static struct gt_mstate *m_new(struct gotrace *gt, int64_t id, int64_t g, int64_t p)
{
	if (GROW(gt->mst, gt->capmst, gt->nmst + 1) ||
	    u64map_put(&gt->mmap, (uint64_t)id, gt->nmst))
		return NULL;
	gt->mst[gt->nmst] = (struct gt_mstate){id, g, p};
	return &gt->mst[gt->nmst++];
}

struct gt_ctx {
	int64_t g, p, m;
};

enum { MUST_NOT, MAY, MUST };

static int ctx_check(struct gotrace *gt, const struct gt_ev *ev, struct gt_ctx c, int m, int p,
		     int g)
{
	const char *what = NULL;

	if (m == MUST && c.m == GOTRACE_NONE)
		what = "expected a thread but didn't have one";
	else if (m == MUST_NOT && c.m != GOTRACE_NONE)
		what = "expected no thread but had one";
	else if (p == MUST && c.p == GOTRACE_NONE)
		what = "expected a proc but didn't have one";
	else if (p == MUST_NOT && c.p != GOTRACE_NONE)
		what = "expected no proc but had one";
	else if (g == MUST && c.g == GOTRACE_NONE)
		what = "expected a goroutine but didn't have one";
	else if (g == MUST_NOT && c.g != GOTRACE_NONE)
		what = "expected no goroutine but had one";
	if (!what)
		return 0;
	return gt_fail(gt, -EINVAL, ev->foff, "M %" PRId64 ": %s event: %s", c.m,
		       specs[ev->typ].name, what);
}

#define USER_GO(gt, ev, c) ctx_check(gt, ev, c, MUST, MUST, MUST)

static int push(struct gotrace *gt, const struct gt_ev *ev, struct gt_ctx c)
{
	struct gt_ev e = *ev;

	e.g = c.g;
	e.p = c.p;
	e.m = c.m;
	return q_push(gt, &e);
}

/* An event the ordering makes up (Go's makeEvent). */
static int push_made(struct gotrace *gt, const struct gt_ev *from, struct gt_ctx c, uint8_t typ,
		     uint64_t a0, uint64_t a1)
{
	struct gt_ev e = {.typ = typ, .time = from->time, .args = {a0, a1}, .foff = from->foff};

	return push(gt, &e, c);
}

static int ev_fail(struct gotrace *gt, const struct gt_ev *ev, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int ev_fail(struct gotrace *gt, const struct gt_ev *ev, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return gt_fail(gt, -EINVAL, ev->foff, "%s event: %s", specs[ev->typ].name, msg);
}

/* The M's goroutine, which must exist in status want; the M must have a thread and a goroutine,
 * and a proc as preq says. 0 with *out, or -errno. */
static int cur_g(struct gotrace *gt, const struct gt_ev *ev, struct gt_ctx c, int preq,
		 uint8_t want, struct gt_gstate **out)
{
	int err = ctx_check(gt, ev, c, MUST, preq, MUST);

	if (err)
		return err;
	*out = g_get(gt, c.g);
	if (!*out)
		return ev_fail(gt, ev, "event for goroutine (%" PRId64 ") that doesn't exist", c.g);
	if ((*out)->status != want)
		return ev_fail(gt, ev, "event for goroutine that's not %s", go_status_name(want));
	return 0;
}

static uint8_t range_start(uint8_t typ)
{
	return specs[typ].start ? specs[typ].start : typ;
}

static bool ranges_has(const struct gt_ranges *r, uint8_t typ, uint64_t desc)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->r[i].typ == typ && r->r[i].desc == desc)
			return true;
	return false;
}

static int ranges_begin(struct gotrace *gt, const struct gt_ev *ev, struct gt_ranges *r,
			uint8_t typ, uint64_t desc)
{
	typ = range_start(typ);
	if (ranges_has(r, typ, desc))
		return ev_fail(gt, ev,
			       "discovered event already in-flight for when starting event %s",
			       specs[typ].name);
	if (GROW(r->r, r->cap, r->n + 1))
		return enomem();
	r->r[r->n++] = (struct gt_range){typ, desc};
	return 0;
}

static int ranges_active(struct gotrace *gt, const struct gt_ev *ev, struct gt_ranges *r,
			 uint8_t typ, bool initial)
{
	typ = range_start(typ);
	if (initial) {
		if (ranges_has(r, typ, 0))
			return ev_fail(gt, ev, "found named active range already in first gen");
		if (GROW(r->r, r->cap, r->n + 1))
			return enomem();
		r->r[r->n++] = (struct gt_range){typ, 0};
	} else if (!ranges_has(r, typ, 0)) {
		return ev_fail(gt, ev, "resource is missing active range: %s", specs[typ].name);
	}
	return 0;
}

static int ranges_end(struct gotrace *gt, const struct gt_ev *ev, struct gt_ranges *r,
		      uint64_t *desc)
{
	uint8_t st = specs[ev->typ].start;

	for (size_t i = 0; i < r->n; i++) {
		if (r->r[i].typ != st)
			continue;
		*desc = r->r[i].desc;
		r->r[i] = r->r[r->n - 1];
		r->n--;
		return 0;
	}
	return ev_fail(gt, ev, "tried to end event %s, but not in-flight", specs[st].name);
}

static bool seq_succeeds(uint64_t gen, uint64_t seq, uint64_t sgen, uint64_t sseq)
{
	return gen == sgen && seq == sseq + 1;
}

static const uint8_t go_status_state[] = {
    [GS_RUNNABLE] = GOTRACE_G_RUNNABLE,
    [GS_RUNNING] = GOTRACE_G_RUNNING,
    [GS_WAITING] = GOTRACE_G_WAITING,
    [GS_SYSCALL] = GOTRACE_G_SYSCALL,
};

static const uint8_t proc_status_state[] = {
    [PS_RUNNING] = GOTRACE_P_RUNNING,
    [PS_IDLE] = GOTRACE_P_IDLE,
    [PS_SYSCALL] = GOTRACE_P_RUNNING,
    [PS_SYSCALL_ABANDONED] = GOTRACE_P_IDLE,
};

/* The advance functions: 1 (accepted, events queued, *nc the M's new context), 0 (not yet),
 * or -errno. */
typedef int advance_fn(struct gotrace *gt, struct gt_ev *ev, uint64_t gen, struct gt_ctx c,
		       struct gt_ctx *nc);

static int adv_proc_status(struct gotrace *gt, struct gt_ev *ev, uint64_t gen, struct gt_ctx c,
			   struct gt_ctx *nc)
{
	int64_t pid = (int64_t)ev->args[0];
	uint64_t status = ev->args[1];
	uint8_t old;
	struct gt_pstate *s;

	if (status >= 5)
		return ev_fail(gt, ev, "invalid status for proc %" PRId64 ": %" PRIu64, pid,
			       status);
	old = proc_status_state[status];
	s = p_get(gt, pid);
	if (s) {
		if (status == PS_SYSCALL_ABANDONED && s->status == PS_SYSCALL) {
			old = GOTRACE_P_RUNNING;
			ev->args[1] = PS_SYSCALL;
		} else if (status == PS_SYSCALL_ABANDONED && s->status == PS_SYSCALL_ABANDONED) {
			old = GOTRACE_P_IDLE;
			ev->args[1] = PS_SYSCALL_ABANDONED;
		} else if (s->status != status) {
			return ev_fail(
			    gt, ev, "inconsistent status for proc %" PRId64 ": old %s vs. new %s",
			    pid, proc_status_name(s->status), proc_status_name(status));
		}
		s->seq_gen = gen;
		s->seq = 0;
	} else {
		if (GROW(gt->ps, gt->capps, gt->nps + 1) ||
		    u64map_put(&gt->pmap, (uint64_t)pid, gt->nps))
			return enomem();
		gt->ps[gt->nps++] =
		    (struct gt_pstate){.id = pid, .status = (uint8_t)status, .seq_gen = gen};
		old = gen == gt->initial_gen ? GOTRACE_P_UNDETERMINED : GOTRACE_P_NOT_EXIST;
	}
	ev->args[2] = old;
	*nc = c;
	if (status == PS_RUNNING || status == PS_SYSCALL)
		nc->p = pid;
	if (status == PS_SYSCALL_ABANDONED && old == GOTRACE_P_RUNNING) {
		bool found = false;

		for (size_t i = 0; i < gt->nmst; i++) {
			if (gt->mst[i].p == pid) {
				c.m = gt->mst[i].id;
				c.p = pid;
				c.g = gt->mst[i].g;
				found = true;
			}
		}
		if (!found)
			return ev_fail(gt, ev,
				       "failed to find sched context for proc %" PRId64
				       " that's about to be stolen",
				       pid);
	}
	return push(gt, ev, c) ?: 1;
}

static int adv_proc_start(struct gotrace *gt, struct gt_ev *ev, uint64_t gen, struct gt_ctx c,
			  struct gt_ctx *nc)
{
	int64_t pid = (int64_t)ev->args[0];
	struct gt_pstate *s = p_get(gt, pid);
	int err;

	if (!s || s->status != PS_IDLE || !seq_succeeds(gen, ev->args[1], s->seq_gen, s->seq) ||
	    c.p != GOTRACE_NONE)
		return 0;
	err = ctx_check(gt, ev, c, MUST, MUST_NOT, MAY);
	if (err)
		return err;
	s->status = PS_RUNNING;
	s->seq_gen = gen;
	s->seq = ev->args[1];
	*nc = c;
	nc->p = pid;
	return push(gt, ev, c) ?: 1;
}

static int adv_proc_stop(struct gotrace *gt, struct gt_ev *ev, uint64_t gen, struct gt_ctx c,
			 struct gt_ctx *nc)
{
	struct gt_pstate *s = p_get(gt, c.p);
	int err;

	(void)gen;
	if (!s)
		return ev_fail(gt, ev, "event for proc (%" PRId64 ") that doesn't exist", c.p);
	if (s->status != PS_RUNNING && s->status != PS_SYSCALL)
		return ev_fail(gt, ev, "event for proc that's not Running or Syscall");
	err = ctx_check(gt, ev, c, MUST, MUST, MAY);
	if (err)
		return err;
	s->status = PS_IDLE;
	*nc = c;
	nc->p = GOTRACE_NONE;
	return push(gt, ev, c) ?: 1;
}

static int adv_proc_steal(struct gotrace *gt, struct gt_ev *ev, uint64_t gen, struct gt_ctx c,
			  struct gt_ctx *nc)
{
	int64_t pid = (int64_t)ev->args[0], mid;
	struct gt_pstate *s = p_get(gt, pid);
	struct gt_mstate *ms;
	uint8_t old;
	int err;

	if (!s || (s->status != PS_SYSCALL && s->status != PS_SYSCALL_ABANDONED) ||
	    !seq_succeeds(gen, ev->args[1], s->seq_gen, s->seq))
		return 0;
	err = ctx_check(gt, ev, c, MUST, MAY, MAY);
	if (err)
		return err;
	old = s->status;
	ev->args[3] = old;
	s->status = PS_IDLE;
	s->seq_gen = gen;
	s->seq = ev->args[1];
	*nc = c;
	if (old == PS_SYSCALL_ABANDONED)
		return push(gt, ev, c) ?: 1;
	mid = (int64_t)ev->args[2];
	if (mid == c.m) {
		if (c.p != pid)
			return ev_fail(gt, ev,
				       "tried to self-steal proc %" PRId64 " (thread %" PRId64
				       "), but got proc %" PRId64 " instead",
				       pid, mid, c.p);
		nc->p = GOTRACE_NONE;
		return push(gt, ev, c) ?: 1;
	}
	ms = m_get(gt, mid);
	if (!ms)
		return ev_fail(gt, ev, "stole proc from non-existent thread %" PRId64, mid);
	if (ms->p != pid)
		return ev_fail(gt, ev,
			       "tried to steal proc %" PRId64 " from thread %" PRId64
			       ", but got proc %" PRId64 " instead",
			       pid, mid, ms->p);
	ms->p = GOTRACE_NONE;
	return push(gt, ev, c) ?: 1;
}

static int adv_go_status(struct gotrace *gt, struct gt_ev *ev, uint64_t gen, struct gt_ctx c,
			 struct gt_ctx *nc)
{
	int64_t gid = (int64_t)ev->args[0], mid = (int64_t)ev->args[1];
	uint64_t status = ev->args[2];
	uint8_t old;
	struct gt_gstate *s;

	if (status >= 5)
		return ev_fail(gt, ev, "invalid status for goroutine %" PRId64 ": %" PRIu64, gid,
			       status);
	old = go_status_state[status];
	s = g_get(gt, gid);
	if (s) {
		if (s->status != status)
			return ev_fail(gt, ev,
				       "inconsistent status for goroutine %" PRId64
				       ": old %s vs. new %s",
				       gid, go_status_name(s->status), go_status_name(status));
		s->seq_gen = gen;
		s->seq = 0;
	} else if (gen == gt->initial_gen) {
		if (!g_new(gt, gid, (uint8_t)status, gen))
			return enomem();
		old = GOTRACE_G_UNDETERMINED;
	} else {
		return ev_fail(
		    gt, ev,
		    "found goroutine status for new goroutine after the first generation: "
		    "id=%" PRId64 " status=%s",
		    gid, go_status_name(status));
	}
	ev->args[2] = (uint64_t)old << 32 | status;
	*nc = c;
	if (status == GS_RUNNING) {
		nc->g = gid;
	} else if (status == GS_SYSCALL) {
		if (mid == GOTRACE_NONE)
			return ev_fail(
			    gt, ev, "found goroutine %" PRId64 " in syscall without a thread", gid);
		if (mid == c.m) {
			if (gen != gt->initial_gen && c.g != gid)
				return ev_fail(
				    gt, ev,
				    "inconsistent thread for syscalling goroutine %" PRId64
				    ": thread has goroutine %" PRId64,
				    gid, c.g);
			nc->g = gid;
		} else {
			struct gt_mstate *ms = m_get(gt, mid);

			if (ms) {
				if (ms->g != gid)
					return ev_fail(
					    gt, ev,
					    "inconsistent thread for syscalling goroutine %" PRId64
					    ": thread has goroutine %" PRId64,
					    gid, ms->g);
				c.g = ms->g;
			} else if (!m_new(gt, mid, gid, GOTRACE_NONE)) {
				return enomem();
			}
			c.m = mid;
		}
	}
	return push(gt, ev, c) ?: 1;
}

static int adv_go_create(struct gotrace *gt, struct gt_ev *ev, uint64_t gen, struct gt_ctx c,
			 struct gt_ctx *nc)
{
	struct gt_gstate *s;
	int64_t newg = (int64_t)ev->args[0];
	int err = ctx_check(gt, ev, c, MUST, MUST, MAY);

	if (err)
		return err;
	s = g_get(gt, c.g);
	if (s && s->status != GS_RUNNING)
		return ev_fail(gt, ev, "event for goroutine that's not Running");
	if (g_get(gt, newg))
		return ev_fail(gt, ev,
			       "tried to create goroutine (%" PRId64 ") that already exists", newg);
	if (!g_new(gt, newg, ev->typ == EV_GO_CREATE_BLOCKED ? GS_WAITING : GS_RUNNABLE, gen))
		return enomem();
	*nc = c;
	return push(gt, ev, c) ?: 1;
}

static int adv_go_stop_exec(struct gotrace *gt, struct gt_ev *ev, uint64_t gen, struct gt_ctx c,
			    struct gt_ctx *nc)
{
	struct gt_gstate *s;
	int err = cur_g(gt, ev, c, MUST, GS_RUNNING, &s);

	(void)gen;
	if (err)
		return err;
	*nc = c;
	nc->g = GOTRACE_NONE;
	if (ev->typ == EV_GO_DESTROY)
		err = g_del(gt, c.g);
	else
		s->status = ev->typ == EV_GO_STOP ? GS_RUNNABLE : GS_WAITING;
	return err ?: push(gt, ev, c) ?: 1;
}

static int adv_go_start(struct gotrace *gt, struct gt_ev *ev, uint64_t gen, struct gt_ctx c,
			struct gt_ctx *nc)
{
	int64_t gid = (int64_t)ev->args[0];
	struct gt_gstate *s = g_get(gt, gid);
	int err;

	if (!s || s->status != GS_RUNNABLE || !seq_succeeds(gen, ev->args[1], s->seq_gen, s->seq))
		return 0;
	err = ctx_check(gt, ev, c, MUST, MUST, MUST_NOT);
	if (err)
		return err;
	s->status = GS_RUNNING;
	s->seq_gen = gen;
	s->seq = ev->args[1];
	*nc = c;
	nc->g = gid;
	return push(gt, ev, c) ?: 1;
}

static int adv_go_unblock(struct gotrace *gt, struct gt_ev *ev, uint64_t gen, struct gt_ctx c,
			  struct gt_ctx *nc)
{
	struct gt_gstate *s = g_get(gt, (int64_t)ev->args[0]);

	if (!s || s->status != GS_WAITING || !seq_succeeds(gen, ev->args[1], s->seq_gen, s->seq))
		return 0;
	s->status = GS_RUNNABLE;
	s->seq_gen = gen;
	s->seq = ev->args[1];
	*nc = c;
	return push(gt, ev, c) ?: 1;
}

static int adv_go_switch(struct gotrace *gt, struct gt_ev *ev, uint64_t gen, struct gt_ctx c,
			 struct gt_ctx *nc)
{
	struct gt_gstate *cur, *next;
	int64_t nextg = (int64_t)ev->args[0];
	struct gt_ctx sc = c;
	int err = cur_g(gt, ev, c, MUST, GS_RUNNING, &cur);

	if (err)
		return err;
	next = g_get(gt, nextg);
	if (!next || next->status != GS_WAITING ||
	    !seq_succeeds(gen, ev->args[1], next->seq_gen, next->seq))
		return 0;
	err = push(gt, ev, c);
	if (err)
		return err;
	if (ev->typ == EV_GO_SWITCH) {
		cur->status = GS_WAITING;
		err = push_made(gt, ev, c, EV_GO_BLOCK, 0, 0);
	} else {
		err = g_del(gt, c.g);
		if (!err)
			err = push_made(gt, ev, c, EV_GO_DESTROY, 0, 0);
		next = g_get(gt, nextg); /* the pool may have moved */
	}
	if (err)
		return err;
	next->status = GS_RUNNING;
	next->seq_gen = gen;
	next->seq = ev->args[1];
	*nc = c;
	nc->g = nextg;
	sc.g = GOTRACE_NONE;
	return push_made(gt, ev, sc, EV_GO_START, (uint64_t)nextg, ev->args[1]) ?: 1;
}

static int adv_go_syscall_begin(struct gotrace *gt, struct gt_ev *ev, uint64_t gen, struct gt_ctx c,
				struct gt_ctx *nc)
{
	struct gt_gstate *s;
	struct gt_pstate *p;
	int err = cur_g(gt, ev, c, MUST, GS_RUNNING, &s);

	if (err)
		return err;
	s->status = GS_SYSCALL;
	p = p_get(gt, c.p);
	if (!p)
		return ev_fail(gt, ev, "uninitialized proc %" PRId64 " found", c.p);
	p->status = PS_SYSCALL;
	if (!seq_succeeds(gen, ev->args[0], p->seq_gen, p->seq))
		return ev_fail(gt, ev,
			       "failed to advance: can't make sequence: %" PRIu64 " (gen=%" PRIu64
			       ") -> %" PRIu64 " (gen=%" PRIu64 ")",
			       p->seq, p->seq_gen, ev->args[0], gen);
	p->seq_gen = gen;
	p->seq = ev->args[0];
	*nc = c;
	return push(gt, ev, c) ?: 1;
}

static int adv_go_syscall_end(struct gotrace *gt, struct gt_ev *ev, uint64_t gen, struct gt_ctx c,
			      struct gt_ctx *nc)
{
	struct gt_gstate *s;
	struct gt_pstate *p;
	int err = cur_g(gt, ev, c, MUST, GS_SYSCALL, &s);

	(void)gen;
	if (err)
		return err;
	s->status = GS_RUNNING;
	p = p_get(gt, c.p);
	if (!p)
		return ev_fail(gt, ev, "uninitialized proc %" PRId64 " found", c.p);
	if (p->status != PS_SYSCALL)
		return ev_fail(gt, ev,
			       "expected proc %" PRId64 " in state Syscall, but got %s instead",
			       c.p, proc_status_name(p->status));
	p->status = PS_RUNNING;
	*nc = c;
	return push(gt, ev, c) ?: 1;
}

static int adv_go_syscall_end_blocked(struct gotrace *gt, struct gt_ev *ev, uint64_t gen,
				      struct gt_ctx c, struct gt_ctx *nc)
{
	struct gt_gstate *s;
	int err;

	(void)gen;
	if (c.p != GOTRACE_NONE) {
		struct gt_pstate *p = p_get(gt, c.p);

		if (!p)
			return ev_fail(gt, ev, "uninitialized proc %" PRId64 " found", c.p);
		if (p->status == PS_SYSCALL)
			return 0;
	}
	err = cur_g(gt, ev, c, MAY, GS_SYSCALL, &s);
	if (err)
		return err;
	*nc = c;
	nc->g = GOTRACE_NONE;
	s->status = GS_RUNNABLE;
	return push(gt, ev, c) ?: 1;
}

static int adv_go_create_syscall(struct gotrace *gt, struct gt_ev *ev, uint64_t gen,
				 struct gt_ctx c, struct gt_ctx *nc)
{
	int64_t newg = (int64_t)ev->args[0];
	int err = ctx_check(gt, ev, c, MUST, MAY, MUST_NOT);

	if (err)
		return err;
	if (g_get(gt, newg))
		return ev_fail(
		    gt, ev,
		    "tried to create goroutine (%" PRId64 ") in syscall that already exists", newg);
	if (!g_new(gt, newg, GS_SYSCALL, gen))
		return enomem();
	*nc = c;
	nc->g = newg;
	return push(gt, ev, c) ?: 1;
}

static int adv_go_destroy_syscall(struct gotrace *gt, struct gt_ev *ev, uint64_t gen,
				  struct gt_ctx c, struct gt_ctx *nc)
{
	struct gt_gstate *s;
	int err = cur_g(gt, ev, c, MAY, GS_SYSCALL, &s);

	(void)gen;
	if (err)
		return err;
	err = g_del(gt, c.g);
	if (err)
		return err;
	*nc = c;
	nc->g = GOTRACE_NONE;
	if (c.p != GOTRACE_NONE) {
		struct gt_pstate *p = p_get(gt, c.p);
		struct gt_ev extra = {.typ = EV_PROC_STEAL,
				      .time = ev->time,
				      .args = {(uint64_t)c.p, 0, 0, PS_SYSCALL},
				      .foff = ev->foff};

		if (!p)
			return ev_fail(gt, ev, "found invalid proc %" PRId64, c.p);
		if (p->status != PS_SYSCALL)
			return ev_fail(gt, ev, "proc %" PRId64 " in unexpected state %s", c.p,
				       proc_status_name(p->status));
		p->status = PS_SYSCALL_ABANDONED;
		nc->p = GOTRACE_NONE;
		err = push(gt, &extra, c);
		if (err)
			return err;
	}
	return push(gt, ev, c) ?: 1;
}

static bool gen_str(const struct gt_gen *g, uint64_t id, struct gotrace_str *out)
{
	uint64_t i;

	if (id == 0) {
		*out = (struct gotrace_str){"", 0};
		return true;
	}
	if (!u64map_get(&g->smap, id, &i))
		return false;
	*out = g->str[i];
	return true;
}

static char *dup_str(struct gotrace_str s)
{
	char *d = malloc(s.len + 1);

	if (d) {
		memcpy(d, s.s, s.len);
		d[s.len] = 0;
	}
	return d;
}

static int adv_task_begin(struct gotrace *gt, struct gt_ev *ev, uint64_t gen, struct gt_ctx c,
			  struct gt_ctx *nc)
{
	uint64_t id = ev->args[0], i;
	struct gotrace_str name;
	struct gt_task *t;
	int err;

	(void)gen;
	if (u64map_get(&gt->tmap, id, NULL))
		return ev_fail(gt, ev, "task ID conflict: %" PRIu64, id);
	if (ev->args[1] == 0)
		ev->args[1] = GOTRACE_NO_TASK;
	if (!gen_str(&gt->gen, ev->args[2], &name))
		return ev_fail(gt, ev, "invalid string ID %" PRIu64, ev->args[2]);
	if (gt->ntfree) {
		i = gt->tfree[--gt->ntfree];
	} else {
		if (GROW(gt->tasks, gt->captasks, gt->ntasks + 1))
			return enomem();
		i = gt->ntasks++;
	}
	t = &gt->tasks[i];
	t->name = dup_str(name);
	t->len = name.len;
	t->parent = ev->args[1];
	if (!t->name || u64map_put(&gt->tmap, id, i))
		return enomem();
	err = USER_GO(gt, ev, c);
	if (err)
		return err;
	*nc = c;
	return push(gt, ev, c) ?: 1;
}

static int adv_task_end(struct gotrace *gt, struct gt_ev *ev, uint64_t gen, struct gt_ctx c,
			struct gt_ctx *nc)
{
	struct gt_gen *g = &gt->gen;
	uint64_t i;
	int err;

	(void)gen;
	ev->args[2] = GOTRACE_NO_TASK;
	ev->args[3] = 0;
	if (u64map_get(&gt->tmap, ev->args[0], &i)) {
		struct gt_task *t = &gt->tasks[i];

		ev->args[2] = t->parent;
		if (t->len) {
			if (GROW(g->extra, g->capextra, g->nextra + 1))
				return enomem();
			g->extra[g->nextra++] = t->name;
			ev->args[3] = g->nextra;
		} else {
			free(t->name);
		}
		t->name = NULL;
		u64map_del(&gt->tmap, ev->args[0]);
		if (GROW(gt->tfree, gt->captfree, gt->ntfree + 1))
			return enomem();
		gt->tfree[gt->ntfree++] = i;
	}
	err = USER_GO(gt, ev, c);
	if (err)
		return err;
	*nc = c;
	return push(gt, ev, c) ?: 1;
}

static int adv_region(struct gotrace *gt, struct gt_ev *ev, uint64_t gen, struct gt_ctx c,
		      struct gt_ctx *nc)
{
	struct gotrace_str name;
	struct gt_gstate *s;
	int err = USER_GO(gt, ev, c);

	(void)gen;
	if (err)
		return err;
	if (!gen_str(&gt->gen, ev->args[1], &name))
		return ev_fail(gt, ev, "invalid string ID %" PRIu64, ev->args[1]);
	s = g_get(gt, c.g);
	if (!s)
		return ev_fail(gt, ev, "without known state for current goroutine %" PRId64, c.g);
	if (ev->typ == EV_USER_REGION_BEGIN) {
		char *d = dup_str(name);

		if (!d || GROW(s->regions, s->capregions, s->nregions + 1)) {
			free(d);
			return enomem();
		}
		s->regions[s->nregions++] = (struct gt_region){ev->args[0], d, name.len};
	} else if (s->nregions) {
		struct gt_region *r = &s->regions[s->nregions - 1];

		if (r->task != ev->args[0] || r->len != name.len ||
		    memcmp(r->name, name.s, name.len) != 0)
			return ev_fail(
			    gt, ev,
			    "misuse of region in goroutine %" PRId64 ": region end {%" PRIu64
			    " %s} when the inner-most active region start event is {%" PRIu64
			    " %s}",
			    c.g, ev->args[0], name.s, r->task, r->name);
		free(r->name);
		s->nregions--;
	}
	*nc = c;
	return push(gt, ev, c) ?: 1;
}

static int adv_gc_active(struct gotrace *gt, struct gt_ev *ev, uint64_t gen, struct gt_ctx c,
			 struct gt_ctx *nc)
{
	uint64_t seq = ev->args[0];
	int err;

	*nc = c;
	if (gen == gt->initial_gen) {
		if (gt->gc_state != 0)
			return ev_fail(gt, ev,
				       "GCActive in the first generation isn't first GC event");
		gt->gc_seq = seq;
		gt->gc_state = 2;
		return push(gt, ev, c) ?: 1;
	}
	if (seq != gt->gc_seq + 1)
		return 0;
	if (gt->gc_state != 2)
		return ev_fail(gt, ev, "encountered GCActive while GC was not in progress");
	gt->gc_seq = seq;
	err = USER_GO(gt, ev, c);
	return err ?: push(gt, ev, c) ?: 1;
}

static int adv_gc_begin(struct gotrace *gt, struct gt_ev *ev, uint64_t gen, struct gt_ctx c,
			struct gt_ctx *nc)
{
	uint64_t seq = ev->args[0];
	int err;

	(void)gen;
	*nc = c;
	if (gt->gc_state == 0) {
		gt->gc_seq = seq;
		gt->gc_state = 2;
		return push(gt, ev, c) ?: 1;
	}
	if (seq != gt->gc_seq + 1)
		return 0;
	if (gt->gc_state == 2)
		return ev_fail(gt, ev, "encountered GCBegin while GC was already in progress");
	gt->gc_seq = seq;
	gt->gc_state = 2;
	err = USER_GO(gt, ev, c);
	return err ?: push(gt, ev, c) ?: 1;
}

static int adv_gc_end(struct gotrace *gt, struct gt_ev *ev, uint64_t gen, struct gt_ctx c,
		      struct gt_ctx *nc)
{
	uint64_t seq = ev->args[0];
	int err;

	(void)gen;
	*nc = c;
	if (seq != gt->gc_seq + 1)
		return 0;
	if (gt->gc_state == 1)
		return ev_fail(gt, ev, "encountered GCEnd when GC was not in progress");
	if (gt->gc_state == 0)
		return ev_fail(gt, ev, "encountered GCEnd when GC was in an undetermined state");
	gt->gc_seq = seq;
	gt->gc_state = 1;
	err = USER_GO(gt, ev, c);
	return err ?: push(gt, ev, c) ?: 1;
}

static int adv_annotation(struct gotrace *gt, struct gt_ev *ev, uint64_t gen, struct gt_ctx c,
			  struct gt_ctx *nc)
{
	int err = USER_GO(gt, ev, c);

	(void)gen;
	*nc = c;
	return err ?: push(gt, ev, c) ?: 1;
}

static int adv_heap_metric(struct gotrace *gt, struct gt_ev *ev, uint64_t gen, struct gt_ctx c,
			   struct gt_ctx *nc)
{
	int err = ctx_check(gt, ev, c, MUST, MUST, MAY);

	(void)gen;
	*nc = c;
	return err ?: push(gt, ev, c) ?: 1;
}

static int adv_alloc_free(struct gotrace *gt, struct gt_ev *ev, uint64_t gen, struct gt_ctx c,
			  struct gt_ctx *nc)
{
	int err = ctx_check(gt, ev, c, MUST, MAY, MAY);

	(void)gen;
	*nc = c;
	return err ?: push(gt, ev, c) ?: 1;
}

static int adv_sweep_begin(struct gotrace *gt, struct gt_ev *ev, uint64_t gen, struct gt_ctx c,
			   struct gt_ctx *nc)
{
	struct gt_pstate *p;
	int err = ctx_check(gt, ev, c, MUST, MUST, MAY);

	(void)gen;
	if (err)
		return err;
	p = p_get(gt, c.p);
	if (!p)
		return ev_fail(gt, ev, "for unknown proc %" PRId64, c.p);
	err = ranges_begin(gt, ev, &p->ranges, ev->typ, 0);
	*nc = c;
	return err ?: push(gt, ev, c) ?: 1;
}

static int adv_sweep_active(struct gotrace *gt, struct gt_ev *ev, uint64_t gen, struct gt_ctx c,
			    struct gt_ctx *nc)
{
	int64_t pid = (int64_t)ev->args[0];
	struct gt_pstate *p = p_get(gt, pid);
	int err;

	if (!p)
		return ev_fail(gt, ev, "encountered GCSweepActive for unknown proc %" PRId64, pid);
	err = ranges_active(gt, ev, &p->ranges, ev->typ, gen == gt->initial_gen);
	*nc = c;
	return err ?: push(gt, ev, c) ?: 1;
}

static int adv_sweep_end(struct gotrace *gt, struct gt_ev *ev, uint64_t gen, struct gt_ctx c,
			 struct gt_ctx *nc)
{
	struct gt_pstate *p;
	uint64_t desc = 0;
	int err = ctx_check(gt, ev, c, MUST, MUST, MAY);

	(void)gen;
	if (err)
		return err;
	p = p_get(gt, c.p);
	if (!p)
		return ev_fail(gt, ev, "for unknown proc %" PRId64, c.p);
	err = ranges_end(gt, ev, &p->ranges, &desc);
	*nc = c;
	return err ?: push(gt, ev, c) ?: 1;
}

static int adv_go_range_begin(struct gotrace *gt, struct gt_ev *ev, uint64_t gen, struct gt_ctx c,
			      struct gt_ctx *nc)
{
	struct gt_gstate *s;
	int err = USER_GO(gt, ev, c);

	(void)gen;
	if (err)
		return err;
	s = g_get(gt, c.g);
	if (!s)
		return ev_fail(gt, ev, "without known state for current goroutine %" PRId64, c.g);
	err = ranges_begin(gt, ev, &s->ranges, ev->typ, ev->typ == EV_STW_BEGIN ? ev->args[0] : 0);
	*nc = c;
	return err ?: push(gt, ev, c) ?: 1;
}

static int adv_go_range_active(struct gotrace *gt, struct gt_ev *ev, uint64_t gen, struct gt_ctx c,
			       struct gt_ctx *nc)
{
	int64_t gid = (int64_t)ev->args[0];
	struct gt_gstate *s = g_get(gt, gid);
	int err;

	if (!s)
		return ev_fail(gt, ev, "uninitialized goroutine %" PRId64 " found", gid);
	err = ranges_active(gt, ev, &s->ranges, ev->typ, gen == gt->initial_gen);
	*nc = c;
	return err ?: push(gt, ev, c) ?: 1;
}

static int adv_go_range_end(struct gotrace *gt, struct gt_ev *ev, uint64_t gen, struct gt_ctx c,
			    struct gt_ctx *nc)
{
	struct gt_gstate *s;
	uint64_t desc = 0;
	int err = USER_GO(gt, ev, c);

	(void)gen;
	if (err)
		return err;
	s = g_get(gt, c.g);
	if (!s)
		return ev_fail(gt, ev, "without known state for current goroutine %" PRId64, c.g);
	err = ranges_end(gt, ev, &s->ranges, &desc);
	if (err)
		return err;
	if (ev->typ == EV_STW_END)
		ev->args[0] = desc;
	*nc = c;
	return push(gt, ev, c) ?: 1;
}

static advance_fn *const dispatch[EV_NUM_SPECS] = {
    [EV_PROCS_CHANGE] = adv_annotation,
    [EV_PROC_START] = adv_proc_start,
    [EV_PROC_STOP] = adv_proc_stop,
    [EV_PROC_STEAL] = adv_proc_steal,
    [EV_PROC_STATUS] = adv_proc_status,
    [EV_GO_CREATE] = adv_go_create,
    [EV_GO_CREATE_SYSCALL] = adv_go_create_syscall,
    [EV_GO_START] = adv_go_start,
    [EV_GO_DESTROY] = adv_go_stop_exec,
    [EV_GO_DESTROY_SYSCALL] = adv_go_destroy_syscall,
    [EV_GO_STOP] = adv_go_stop_exec,
    [EV_GO_BLOCK] = adv_go_stop_exec,
    [EV_GO_UNBLOCK] = adv_go_unblock,
    [EV_GO_SYSCALL_BEGIN] = adv_go_syscall_begin,
    [EV_GO_SYSCALL_END] = adv_go_syscall_end,
    [EV_GO_SYSCALL_END_BLOCKED] = adv_go_syscall_end_blocked,
    [EV_GO_STATUS] = adv_go_status,
    [EV_STW_BEGIN] = adv_go_range_begin,
    [EV_STW_END] = adv_go_range_end,
    [EV_GC_ACTIVE] = adv_gc_active,
    [EV_GC_BEGIN] = adv_gc_begin,
    [EV_GC_END] = adv_gc_end,
    [EV_GC_SWEEP_ACTIVE] = adv_sweep_active,
    [EV_GC_SWEEP_BEGIN] = adv_sweep_begin,
    [EV_GC_SWEEP_END] = adv_sweep_end,
    [EV_GC_MARK_ASSIST_ACTIVE] = adv_go_range_active,
    [EV_GC_MARK_ASSIST_BEGIN] = adv_go_range_begin,
    [EV_GC_MARK_ASSIST_END] = adv_go_range_end,
    [EV_HEAP_ALLOC] = adv_heap_metric,
    [EV_HEAP_GOAL] = adv_heap_metric,
    [EV_GO_LABEL] = adv_annotation,
    [EV_USER_TASK_BEGIN] = adv_task_begin,
    [EV_USER_TASK_END] = adv_task_end,
    [EV_USER_REGION_BEGIN] = adv_region,
    [EV_USER_REGION_END] = adv_region,
    [EV_USER_LOG] = adv_annotation,
    [EV_GO_SWITCH] = adv_go_switch,
    [EV_GO_SWITCH_DESTROY] = adv_go_switch,
    [EV_GO_CREATE_BLOCKED] = adv_go_create,
    [EV_GO_STATUS_STACK] = adv_go_status,
    [EV_SPAN] = adv_alloc_free,
    [EV_SPAN_ALLOC] = adv_alloc_free,
    [EV_SPAN_FREE] = adv_alloc_free,
    [EV_HEAP_OBJECT] = adv_alloc_free,
    [EV_HEAP_OBJECT_ALLOC] = adv_alloc_free,
    [EV_HEAP_OBJECT_FREE] = adv_alloc_free,
    [EV_GOROUTINE_STACK] = adv_alloc_free,
    [EV_GOROUTINE_STACK_ALLOC] = adv_alloc_free,
    [EV_GOROUTINE_STACK_FREE] = adv_alloc_free,
};

/* Go's ordering.Advance for the next event of M m. */
static int advance(struct gotrace *gt, struct gt_ev *ev, int64_t m, size_t *mcache, uint64_t gen)
{
	struct gt_ctx c = {.g = GOTRACE_NONE, .p = GOTRACE_NONE, .m = m}, nc;
	struct gt_mstate *ms = NULL;
	size_t mi = 0;
	int r;

	if (gt->initial_gen == 0)
		gt->initial_gen = gen;
	if (m != GOTRACE_NONE) {
		if (*mcache == SIZE_MAX) {
			ms = m_get(gt, m);
			if (!ms)
				ms = m_new(gt, m, GOTRACE_NONE, GOTRACE_NONE);
			if (!ms)
				return enomem();
			*mcache = (size_t)(ms - gt->mst);
		}
		mi = *mcache;
		ms = &gt->mst[mi];
		c.p = ms->p;
		c.g = ms->g;
	}
	if (!dispatch[ev->typ])
		return gt_fail(gt, -EINVAL, ev->foff,
			       "M %" PRId64 ": bad event type found while ordering: %d", m,
			       ev->typ);
	nc = c;
	r = dispatch[ev->typ](gt, ev, gen, c, &nc);
	if (r == 1 && ms) {
		gt->mst[mi].p = nc.p; /* the table may have grown */
		gt->mst[mi].g = nc.g;
	}
	return r;
}

/* ---- the reader -------------------------------------------------------------------------- */

static struct gotrace *gt_new(void)
{
	struct gotrace *gt = calloc(1, sizeof(*gt));

	if (!gt) {
		errno = ENOMEM;
		return NULL;
	}
	gt->in.fd = -1;
	return gt;
}

int gotrace__probe(const void *buf, size_t len)
{
	const char *p = buf;
	int v;

	if (len < GT_HEADER_LEN || memcmp(p, "go 1.", 5) != 0 || p[5] < '0' || p[5] > '9' ||
	    p[6] < '0' || p[6] > '9' || memcmp(p + 7, " trace\0\0\0", 9) != 0)
		return 0;
	v = (p[5] - '0') * 10 + (p[6] - '0');
	return v == 22 || v == 23 || v == 25 || v == 26 ? v : 0;
}

static struct gotrace *gt_start(struct gotrace *gt)
{
	uint8_t hdr[GT_HEADER_LEN];
	size_t got = in_read(&gt->in, hdr, sizeof(hdr));

	if (gt->in.err) {
		xg_error(-EIO, "go trace: offset 0: read error: %s", strerror(gt->in.err));
		gotrace__close(gt);
		errno = EIO;
		return NULL;
	}
	gt->version = gotrace__probe(hdr, got);
	if (!gt->version) {
		bool digits =
		    got >= 7 && hdr[5] >= '0' && hdr[5] <= '9' && hdr[6] >= '0' && hdr[6] <= '9';

		if (memcmp(hdr, "go 1.", got < 5 ? got : 5) != 0 || got == 0)
			xg_error(-EINVAL,
				 "go trace: offset 0: bad file format: not a Go execution trace?");
		else if (got < GT_HEADER_LEN)
			xg_error(-EINVAL, "go trace: offset 0: header cut short: %zu of %d bytes",
				 got, GT_HEADER_LEN);
		else if (digits && memcmp(hdr + 7, " trace\0\0\0", 9) == 0)
			xg_error(
			    -EINVAL,
			    "go trace: offset 0: unknown or unsupported trace version go 1.%c%c trace",
			    hdr[5], hdr[6]);
		else
			xg_error(-EINVAL,
				 "go trace: offset 0: bad file format: not a Go execution trace?");
		gotrace__close(gt);
		errno = EINVAL;
		return NULL;
	}
	return gt;
}

static struct gotrace *open_stream(int fd, FILE *f)
{
	struct gotrace *gt = gt_new();

	if (!gt)
		return NULL;
	gt->in.fd = fd;
	gt->in.f = f;
	gt->in.own = malloc(GT_IN_BUF);
	if (!gt->in.own) {
		free(gt);
		errno = ENOMEM;
		return NULL;
	}
	gt->in.buf = gt->in.own;
	return gt_start(gt);
}

struct gotrace *gotrace__open_fd(int fd)
{
	return open_stream(fd, NULL);
}

struct gotrace *gotrace__open_file(FILE *f)
{
	return open_stream(-1, f);
}

struct gotrace *gotrace__open_mem(const void *buf, size_t len)
{
	struct gotrace *gt = gt_new();

	if (!gt)
		return NULL;
	gt->in.buf = buf;
	gt->in.end = len;
	return gt_start(gt);
}

static void ranges_free(struct gt_ranges *r)
{
	free(r->r);
}

void gotrace__close(struct gotrace *gt)
{
	if (!gt)
		return;
	gen_free(&gt->gen);
	free(gt->in.own);
	free(gt->spill_data);
	free(gt->spill_msg);
	free(gt->gen_msg);
	free(gt->cursors);
	free(gt->frontier);
	for (size_t i = 0; i < gt->ngs; i++) {
		for (size_t k = 0; k < gt->gs[i].nregions; k++)
			free(gt->gs[i].regions[k].name);
		free(gt->gs[i].regions);
		ranges_free(&gt->gs[i].ranges);
	}
	free(gt->gs);
	free(gt->gfree);
	u64map_free(&gt->gmap);
	for (size_t i = 0; i < gt->nps; i++)
		ranges_free(&gt->ps[i].ranges);
	free(gt->ps);
	u64map_free(&gt->pmap);
	free(gt->mst);
	u64map_free(&gt->mmap);
	for (size_t i = 0; i < gt->ntasks; i++)
		free(gt->tasks[i].name);
	free(gt->tasks);
	free(gt->tfree);
	u64map_free(&gt->tmap);
	free(gt->queue);
	free(gt);
}

int gotrace__version(const struct gotrace *gt)
{
	return gt->version;
}

uint64_t gotrace__offset(const struct gotrace *gt)
{
	return in_off(&gt->in);
}

/* A Sync event; with_gen: the installed generation's (clock snapshot, experimental batches). */
static void sync_event(struct gotrace *gt, struct gotrace_event *ev, int64_t time, bool with_gen)
{
	struct gt_gen *g = &gt->gen;

	memset(ev, 0, sizeof(*ev));
	ev->kind = GOTRACE_SYNC;
	ev->time = time;
	ev->m = ev->p = ev->g = GOTRACE_NONE;
	ev->sync.n = ++gt->syncs;
	if (!with_gen)
		return;
	ev->gen = g->gen;
	ev->sync.ns_per_tick = g->freq;
	ev->sync.exp_batches = g->nexps ? g->exp_out : NULL;
	ev->sync.n_exp_batches = g->nexps;
	if (g->has_clock) {
		ev->sync.has_clock = true;
		ev->sync.clock_time = freq_mul(g->freq, g->snap_time);
		ev->sync.clock_mono = g->snap_mono;
		ev->sync.clock_wall_sec = (int64_t)g->snap_sec;
		ev->sync.clock_wall_nsec = (int64_t)g->snap_nsec;
	}
}

/* Go's installGen: the frontier of the generation just read, and its Sync event. */
static int install_gen(struct gotrace *gt, struct gotrace_event *out)
{
	struct gt_gen *g = &gt->gen;

	gt->have_gen = true;
	gt->nfrontier = 0;
	if (GROW(gt->cursors, gt->capcursors, g->nms + 1) ||
	    GROW(gt->frontier, gt->capfrontier, g->nms + 1))
		return enomem();
	gt->ncursors = 0;
	for (size_t i = 0; i < g->nms; i++) {
		struct gt_cursor *c = &gt->cursors[gt->ncursors];
		bool ok;
		int err;

		memset(c, 0, sizeof(*c));
		c->m = g->ms[i].m;
		c->ml = i;
		c->mi = SIZE_MAX;
		err = cursor_next(gt, c, &ok);
		if (err)
			return err;
		if (!ok)
			continue;
		gt->ncursors++;
		gt->frontier[gt->nfrontier] = c;
		heap_up(gt->frontier, gt->nfrontier++);
	}
	sync_event(gt, out, freq_mul(g->freq, g->min_ts), true);
	return 1;
}

static int sticky(struct gotrace *gt, int err)
{
	gt->err = err;
	return err;
}

/* Reports a saved error (its message was recorded when found). */
static int replay_err(struct gotrace *gt, int err, const char *msg)
{
	gt->err = err;
	return xg_error(err, "%s", msg ? msg : "go trace: error");
}

/* The next generation (or the end, or an error after a Sync event), as Go's ReadEvent does
 * when the frontier and the CPU samples are used up. */
static int next_gen(struct gotrace *gt, struct gotrace_event *out)
{
	int r;

	if (gt->version < 26) {
		if (gt->spill_err) {
			if (gt->spill_err_sync)
				return replay_err(gt, gt->spill_err, gt->spill_msg);
			gt->spill_err_sync = true;
			sync_event(gt, out, gt->last_ts, false);
			return 1;
		}
		if (gt->have_gen && !gt->have_spill) {
			gt->done = true;
			sync_event(gt, out, gt->last_ts, false);
			return 1;
		}
		r = read_gen_spill(gt);
		if (r < 0) {
			gen_reset(&gt->gen);
			gt->have_gen = false;
			gt->spill_err = r;
			gt->spill_err_sync = true;
			free(gt->spill_msg);
			gt->spill_msg = strdup(xg_errmsg());
			sync_event(gt, out, gt->last_ts, false);
			return 1;
		}
		return install_gen(gt, out);
	}
	if (gt->gen_err)
		return replay_err(gt, gt->gen_err, gt->gen_msg);
	r = read_gen(gt);
	if (r < 0) {
		gt->gen_err = r;
		free(gt->gen_msg);
		gt->gen_msg = strdup(xg_errmsg());
		gen_reset(&gt->gen);
		gt->have_gen = false;
		sync_event(gt, out, gt->last_ts, false);
		return 1;
	}
	if (r == 0) {
		gt->have_gen = false;
		gt->done = true;
		sync_event(gt, out, gt->last_ts, false);
		return 1;
	}
	return install_gen(gt, out);
}

static int try_advance(struct gotrace *gt, size_t i, bool *ok)
{
	struct gt_cursor *c = gt->frontier[i];
	bool more;
	int r = advance(gt, &c->ev, c->m, &c->mi, gt->gen.gen);

	*ok = r == 1;
	if (r <= 0)
		return r;
	r = cursor_next(gt, c, &more);
	if (r)
		return r;
	if (more)
		heap_update(gt->frontier, gt->nfrontier, i);
	else
		heap_remove(gt, i);
	return 0;
}

static int cmp_cursor(const void *a, const void *b)
{
	const struct gt_cursor *x = *(struct gt_cursor *const *)a,
			       *y = *(struct gt_cursor *const *)b;

	return x->ev.time < y->ev.time ? -1 : x->ev.time > y->ev.time;
}

static int stack_of(struct gotrace *gt, uint64_t id, struct gotrace_stack *out)
{
	struct gt_gen *g = &gt->gen;
	uint64_t i;

	memset(out, 0, sizeof(*out));
	if (id == 0)
		return 0;
	if (!u64map_get(&g->kmap, id, &i))
		return -1;
	out->id = id;
	out->n = g->stacks[i].n;
	out->frames = out->n ? g->frames + g->stacks[i].first : NULL;
	return 0;
}

/* Go's Event accessors, from an ordered event to the public form (after validateTableIDs). */
static int fill_event(struct gotrace *gt, const struct gt_ev *e, struct gotrace_event *ev)
{
	const struct gt_spec *s = &specs[e->typ];
	struct gt_gen *g = &gt->gen;
	struct gotrace_str str;
	uint64_t stack_id = 0;

	for (int i = 0; i < 2; i++) {
		struct gotrace_stack st;

		if (s->stack[i] && stack_of(gt, e->args[s->stack[i] - 1], &st))
			return gt_fail(gt, -EINVAL, e->foff,
				       "found invalid stack ID %" PRIu64 " for event %s",
				       e->args[s->stack[i] - 1], s->name);
		if (s->str[i] && !gen_str(g, e->args[s->str[i] - 1], &str))
			return gt_fail(gt, -EINVAL, e->foff,
				       "found invalid string ID %" PRIu64 " for event %s",
				       e->args[s->str[i] - 1], s->name);
	}
	memset(ev, 0, sizeof(*ev));
	ev->kind = wire_kind(e->typ);
	ev->wire = e->typ;
	ev->gen = g->gen;
	ev->time = e->time;
	ev->m = e->m;
	ev->p = e->p;
	ev->g = e->g;
	if (e->typ == EV_CPU_SAMPLE)
		stack_id = e->args[0];
	else if (s->stack[0])
		stack_id = e->args[s->stack[0] - 1];
	if (stack_of(gt, stack_id, &ev->stack))
		return gt_fail(gt, -EINVAL, e->foff,
			       "found invalid stack ID %" PRIu64 " for event %s", stack_id,
			       s->name);

#define STR(dst, id)                                                                               \
	do {                                                                                       \
		if (!gen_str(g, (id), &(dst)))                                                     \
			return gt_fail(gt, -EINVAL, e->foff,                                       \
				       "found invalid string ID %" PRIu64 " for event %s", (id),   \
				       s->name);                                                   \
	} while (0)

	switch (ev->kind) {
	case GOTRACE_METRIC:
		ev->metric.value = e->args[0];
		ev->metric.name.s = e->typ == EV_PROCS_CHANGE ? "/sched/gomaxprocs:threads"
				    : e->typ == EV_HEAP_ALLOC ? "/memory/classes/heap/objects:bytes"
							      : "/gc/heap/goal:bytes";
		ev->metric.name.len = strlen(ev->metric.name.s);
		break;
	case GOTRACE_LABEL:
		STR(ev->label.label, e->args[0]);
		ev->label.g = e->g;
		break;
	case GOTRACE_RANGE_BEGIN:
	case GOTRACE_RANGE_ACTIVE:
	case GOTRACE_RANGE_END: {
		const char *name = NULL;

		switch (e->typ) {
		case EV_STW_BEGIN:
		case EV_STW_END:
			STR(str, e->args[0]);
			memcpy(gt->namebuf, "stop-the-world (", 16);
			memcpy(gt->namebuf + 16, str.s, str.len);
			memcpy(gt->namebuf + 16 + str.len, ")", 2);
			ev->range.name.s = gt->namebuf;
			ev->range.name.len = 17 + str.len;
			ev->range.scope = GOTRACE_RES_GOROUTINE;
			ev->range.scope_id = e->g;
			break;
		case EV_GC_BEGIN:
		case EV_GC_ACTIVE:
		case EV_GC_END:
			name = "GC concurrent mark phase";
			ev->range.scope = GOTRACE_RES_NONE;
			break;
		case EV_GC_SWEEP_BEGIN:
		case EV_GC_SWEEP_ACTIVE:
		case EV_GC_SWEEP_END:
			name = "GC incremental sweep";
			ev->range.scope = GOTRACE_RES_PROC;
			ev->range.scope_id =
			    e->typ == EV_GC_SWEEP_ACTIVE ? (int64_t)e->args[0] : e->p;
			if (e->typ == EV_GC_SWEEP_END) {
				ev->range.has_sweep = true;
				ev->range.swept = e->args[0];
				ev->range.reclaimed = e->args[1];
			}
			break;
		default:
			name = "GC mark assist";
			ev->range.scope = GOTRACE_RES_GOROUTINE;
			ev->range.scope_id =
			    e->typ == EV_GC_MARK_ASSIST_ACTIVE ? (int64_t)e->args[0] : e->g;
			break;
		}
		if (name)
			ev->range.name = (struct gotrace_str){name, strlen(name)};
		break;
	}
	case GOTRACE_TASK_BEGIN:
		ev->task.id = e->args[0];
		ev->task.parent = e->args[1];
		STR(ev->task.type, e->args[2]);
		break;
	case GOTRACE_TASK_END:
		ev->task.id = e->args[0];
		ev->task.parent = e->args[2];
		ev->task.type = (struct gotrace_str){"", 0};
		if (e->args[3] && e->args[3] <= g->nextra) {
			const char *t = g->extra[e->args[3] - 1];

			ev->task.type = (struct gotrace_str){t, strlen(t)};
		}
		break;
	case GOTRACE_REGION_BEGIN:
	case GOTRACE_REGION_END:
		ev->region.task = e->args[0];
		STR(ev->region.type, e->args[1]);
		break;
	case GOTRACE_LOG:
		ev->log.task = e->args[0];
		STR(ev->log.category, e->args[1]);
		STR(ev->log.message, e->args[2]);
		break;
	case GOTRACE_EXPERIMENTAL:
		ev->experimental.name = s->name;
		ev->experimental.experiment = "AllocFree";
		ev->experimental.nargs = (size_t)s->nargs - 1;
		ev->experimental.arg_names = s->args + 1;
		memcpy(ev->experimental.args, e->args, sizeof(e->args));
		break;
	case GOTRACE_STATE_TRANSITION: {
		struct gotrace_str empty = {"", 0};
		uint8_t from = 0, to = 0;
		bool proc = false;
		int64_t id = e->g;
		uint64_t tstack = 0;

		ev->transition.reason = empty;
		switch (e->typ) {
		case EV_PROC_START:
			proc = true, id = (int64_t)e->args[0];
			from = GOTRACE_P_IDLE, to = GOTRACE_P_RUNNING;
			break;
		case EV_PROC_STOP:
			proc = true, id = e->p;
			from = GOTRACE_P_RUNNING, to = GOTRACE_P_IDLE;
			break;
		case EV_PROC_STEAL:
			proc = true, id = (int64_t)e->args[0];
			from =
			    e->args[3] == PS_SYSCALL_ABANDONED ? GOTRACE_P_IDLE : GOTRACE_P_RUNNING;
			to = GOTRACE_P_IDLE;
			break;
		case EV_PROC_STATUS:
			proc = true, id = (int64_t)e->args[0];
			from = (uint8_t)e->args[2];
			to = e->args[1] < 5 ? proc_status_state[e->args[1]] : 0;
			break;
		case EV_GO_CREATE:
		case EV_GO_CREATE_BLOCKED:
			id = (int64_t)e->args[0];
			from = GOTRACE_G_NOT_EXIST;
			to =
			    e->typ == EV_GO_CREATE_BLOCKED ? GOTRACE_G_WAITING : GOTRACE_G_RUNNABLE;
			tstack = e->args[1];
			break;
		case EV_GO_CREATE_SYSCALL:
			id = (int64_t)e->args[0];
			from = GOTRACE_G_NOT_EXIST, to = GOTRACE_G_SYSCALL;
			break;
		case EV_GO_START:
			id = (int64_t)e->args[0];
			from = GOTRACE_G_RUNNABLE, to = GOTRACE_G_RUNNING;
			break;
		case EV_GO_DESTROY:
			from = GOTRACE_G_RUNNING, to = GOTRACE_G_NOT_EXIST;
			break;
		case EV_GO_DESTROY_SYSCALL:
			from = GOTRACE_G_SYSCALL, to = GOTRACE_G_NOT_EXIST;
			break;
		case EV_GO_STOP:
		case EV_GO_BLOCK:
			from = GOTRACE_G_RUNNING;
			to = e->typ == EV_GO_STOP ? GOTRACE_G_RUNNABLE : GOTRACE_G_WAITING;
			STR(ev->transition.reason, e->args[0]);
			tstack = stack_id;
			break;
		case EV_GO_UNBLOCK:
		case EV_GO_SWITCH:
		case EV_GO_SWITCH_DESTROY:
			id = (int64_t)e->args[0];
			from = GOTRACE_G_WAITING, to = GOTRACE_G_RUNNABLE;
			break;
		case EV_GO_SYSCALL_BEGIN:
			from = GOTRACE_G_RUNNING, to = GOTRACE_G_SYSCALL;
			tstack = stack_id;
			break;
		case EV_GO_SYSCALL_END:
			from = GOTRACE_G_SYSCALL, to = GOTRACE_G_RUNNING;
			break;
		case EV_GO_SYSCALL_END_BLOCKED:
			from = GOTRACE_G_SYSCALL, to = GOTRACE_G_RUNNABLE;
			break;
		default: /* EV_GO_STATUS, EV_GO_STATUS_STACK */
			id = (int64_t)e->args[0];
			from = (uint8_t)(e->args[2] >> 32);
			to = (e->args[2] & 0xffffffff) < 5
				 ? go_status_state[e->args[2] & 0xffffffff]
				 : 0;
			tstack = stack_id;
			break;
		}
		ev->transition.resource = proc ? GOTRACE_RES_PROC : GOTRACE_RES_GOROUTINE;
		ev->transition.id = id;
		ev->transition.from = from;
		ev->transition.to = to;
		if (stack_of(gt, tstack, &ev->transition.stack))
			return gt_fail(gt, -EINVAL, e->foff,
				       "found invalid stack ID %" PRIu64 " for event %s", tstack,
				       s->name);
		break;
	}
	default:
		break;
	}
#undef STR
	return 1;
}

/* The Reader's last step for every event: times never go backwards. */
static int deliver(struct gotrace *gt, struct gotrace_event *ev)
{
	if (ev->time <= gt->last_ts)
		ev->time = (int64_t)((uint64_t)gt->last_ts + 1);
	gt->last_ts = ev->time;
	return 1;
}

int gotrace__next(struct gotrace *gt, struct gotrace_event *ev)
{
	struct gt_ev e;
	int r;
	bool ok;

	if (gt->done)
		return 0;
	if (gt->err)
		return gt->err;
	if (q_pop(gt, &e))
		goto out;
	if (gt->nfrontier == 0 && gt->gen.cpu_next == gt->gen.ncpu) {
		r = next_gen(gt, ev);
		if (r < 0)
			return sticky(gt, r);
		return deliver(gt, ev);
	}
	if (gt->gen.cpu_next < gt->gen.ncpu) {
		const struct gt_cpu *c = &gt->gen.cpu[gt->gen.cpu_next];

		if (gt->nfrontier == 0 || c->time < gt->frontier[0]->ev.time) {
			e = (struct gt_ev){.typ = EV_CPU_SAMPLE,
					   .time = c->time,
					   .args = {c->stack},
					   .g = c->g,
					   .p = c->p,
					   .m = c->m};
			gt->gen.cpu_next++;
			goto out;
		}
	}
	if (gt->nfrontier == 0)
		return sticky(gt, gt_fail(gt, -EINVAL, in_off(&gt->in),
					  "generation %" PRIu64 ": broken trace: frontier is empty",
					  gt->gen.gen));
	r = try_advance(gt, 0, &ok);
	if (r < 0)
		return sticky(gt, r);
	if (!ok) {
		go_sort(gt->frontier, gt->nfrontier, sizeof(*gt->frontier), cmp_cursor);
		for (size_t i = 1; i < gt->nfrontier && !ok; i++) {
			r = try_advance(gt, i, &ok);
			if (r < 0)
				return sticky(gt, r);
		}
		if (!ok) {
			const struct gt_cursor *c = gt->frontier[0];

			return sticky(
			    gt, gt_fail(gt, -EINVAL, c->ev.foff,
					"generation %" PRIu64
					": broken trace: failed to advance: no M of %zu can "
					"go on (M %" PRId64 " is at %s)",
					gt->gen.gen, gt->nfrontier, c->m, specs[c->ev.typ].name));
		}
	}
	if (!q_pop(gt, &e))
		return sticky(gt,
			      gt_fail(gt, -EINVAL, in_off(&gt->in), "internal error: empty queue"));
out:
	r = fill_event(gt, &e, ev);
	if (r < 0)
		return sticky(gt, r);
	return deliver(gt, ev);
}

/* ---- names and printing ------------------------------------------------------------------ */

static const char *const kind_names[] = {
    "Bad",	   "Sync",	  "Metric",   "Label",		 "StackSample",
    "RangeBegin",  "RangeActive", "RangeEnd", "TaskBegin",	 "TaskEnd",
    "RegionBegin", "RegionEnd",	  "Log",      "StateTransition", "Experimental",
};

const char *gotrace__kind_name(enum gotrace_kind kind)
{
	return (unsigned int)kind < sizeof(kind_names) / sizeof(*kind_names) ? kind_names[kind]
									     : "Bad";
}

const char *gotrace__gstate_name(enum gotrace_gstate s)
{
	static const char *const n[] = {"Undetermined", "NotExist", "Runnable",
					"Running",	"Waiting",  "Syscall"};

	return (unsigned int)s < 6 ? n[s] : "Bad";
}

const char *gotrace__pstate_name(enum gotrace_pstate s)
{
	static const char *const n[] = {"Undetermined", "NotExist", "Running", "Idle"};

	return (unsigned int)s < 4 ? n[s] : "Bad";
}

/* Whether Go's unicode.IsPrint holds for rune r >= 0x80 (close enough: the controls, the
 * format characters and the separators Go escapes). */
static bool rune_printable(uint32_t r)
{
	if (r < 0xa0 || r == 0xad)
		return false;
	if ((r >= 0x2000 && r <= 0x200f) || (r >= 0x2028 && r <= 0x202f) ||
	    (r >= 0x205f && r <= 0x206f) || r == 0x3000 || r == 0xfeff)
		return false;
	if ((r >= 0xe000 && r <= 0xf8ff) || (r >= 0xfff9 && r <= 0xfffb) || r >= 0xf0000)
		return false;
	if ((r & 0xfffe) == 0xfffe)
		return false;
	return true;
}

/* strconv.Quote. */
static void print_quoted(FILE *f, struct gotrace_str s)
{
	const unsigned char *p = (const unsigned char *)s.s;
	size_t n = s.len;

	fputc('"', f);
	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		size_t k;
		uint32_t r;

		if (c < 0x80) {
			i++;
			switch (c) {
			case '\a':
				fputs("\\a", f);
				continue;
			case '\b':
				fputs("\\b", f);
				continue;
			case '\f':
				fputs("\\f", f);
				continue;
			case '\n':
				fputs("\\n", f);
				continue;
			case '\r':
				fputs("\\r", f);
				continue;
			case '\t':
				fputs("\\t", f);
				continue;
			case '\v':
				fputs("\\v", f);
				continue;
			case '"':
				fputs("\\\"", f);
				continue;
			case '\\':
				fputs("\\\\", f);
				continue;
			default:
				break;
			}
			if (c < 0x20 || c == 0x7f)
				fprintf(f, "\\x%02x", c);
			else
				fputc(c, f);
			continue;
		}
		k = utf8_seq_len(p + i, n - i);
		if (!k) {
			fprintf(f, "\\x%02x", c);
			i++;
			continue;
		}
		r = k == 2   ? (uint32_t)(c & 0x1f)
		    : k == 3 ? (uint32_t)(c & 0x0f)
			     : (uint32_t)(c & 0x07);
		for (size_t j = 1; j < k; j++)
			r = r << 6 | (p[i + j] & 0x3f);
		if (rune_printable(r))
			fwrite(p + i, 1, k, f);
		else if (r < 0x10000)
			fprintf(f, "\\u%04x", r);
		else
			fprintf(f, "\\U%08x", r);
		i += k;
	}
	fputc('"', f);
}

static void print_stack(FILE *f, const struct gotrace_stack *st)
{
	for (size_t i = 0; i < st->n; i++) {
		const struct gotrace_frame *fr = &st->frames[i];

		fputc('\t', f);
		fwrite(fr->func.s, 1, fr->func.len, f);
		fprintf(f, " @ 0x%" PRIx64 "\n\t\t", fr->pc);
		fwrite(fr->file.s, 1, fr->file.len, f);
		fprintf(f, ":%" PRIu64 "\n", fr->line);
	}
}

static const char *const resource_names[] = {"None", "Goroutine", "Proc", "Thread"};

static void print_resource(FILE *f, enum gotrace_resource k, int64_t id)
{
	if (k == GOTRACE_RES_NONE)
		fputs("None", f);
	else
		fprintf(f, "%s(%" PRId64 ")", resource_names[k], id);
}

/* time.Time.Format(time.RFC3339Nano) of a Unix time, in the local zone as time.Unix gives. */
static void print_wall(FILE *f, int64_t sec, int64_t nsec)
{
	struct tm tm;
	time_t t;
	char frac[16] = "";
	long off;

	sec += nsec / 1000000000;
	nsec %= 1000000000;
	if (nsec < 0) {
		nsec += 1000000000;
		sec--;
	}
	t = (time_t)sec;
	if (!localtime_r(&t, &tm)) {
		fputs("?", f);
		return;
	}
	if (nsec) {
		int len;

		snprintf(frac, sizeof(frac), ".%09" PRId64, nsec);
		len = (int)strlen(frac);
		while (frac[len - 1] == '0')
			frac[--len] = 0;
	}
	fprintf(f, "%04d-%02d-%02dT%02d:%02d:%02d%s", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
	off = tm.tm_gmtoff;
	if (off == 0) {
		fputc('Z', f);
		return;
	}
	fputc(off < 0 ? '-' : '+', f);
	if (off < 0)
		off = -off;
	fprintf(f, "%02ld:%02ld", off / 3600, off / 60 % 60);
}

int gotrace_event__print(const struct gotrace_event *ev, FILE *f)
{
	fprintf(f, "M=%" PRId64 " P=%" PRId64 " G=%" PRId64 " %s Time=%" PRId64, ev->m, ev->p,
		ev->g, gotrace__kind_name(ev->kind), ev->time);
	switch (ev->kind) {
	case GOTRACE_METRIC:
		fputs(" Name=", f);
		print_quoted(f, ev->metric.name);
		fprintf(f, " Value=Value{Uint64(%" PRIu64 ")}", ev->metric.value);
		break;
	case GOTRACE_LABEL:
		fputs(" Label=", f);
		print_quoted(f, ev->label.label);
		fprintf(f, " Resource=Goroutine(%" PRId64 ")", ev->label.g);
		break;
	case GOTRACE_RANGE_BEGIN:
	case GOTRACE_RANGE_ACTIVE:
	case GOTRACE_RANGE_END:
		fputs(" Name=", f);
		print_quoted(f, ev->range.name);
		fputs(" Scope=", f);
		print_resource(f, ev->range.scope, ev->range.scope_id);
		if (ev->kind == GOTRACE_RANGE_END) {
			fputs(" Attributes=[", f);
			if (ev->range.has_sweep)
				fprintf(f,
					"\"bytes swept\"=Value{Uint64(%" PRIu64
					")} \"bytes reclaimed\"=Value{Uint64(%" PRIu64 ")}",
					ev->range.swept, ev->range.reclaimed);
			fputs("]", f);
		}
		break;
	case GOTRACE_TASK_BEGIN:
	case GOTRACE_TASK_END:
		fprintf(f, " ID=%" PRIu64 " Parent=%" PRIu64 " Type=", ev->task.id,
			ev->task.parent);
		print_quoted(f, ev->task.type);
		break;
	case GOTRACE_REGION_BEGIN:
	case GOTRACE_REGION_END:
		fprintf(f, " Task=%" PRIu64 " Type=", ev->region.task);
		print_quoted(f, ev->region.type);
		break;
	case GOTRACE_LOG:
		fprintf(f, " Task=%" PRIu64 " Category=", ev->log.task);
		print_quoted(f, ev->log.category);
		fputs(" Message=", f);
		print_quoted(f, ev->log.message);
		break;
	case GOTRACE_STATE_TRANSITION:
		if (ev->transition.resource == GOTRACE_RES_GOROUTINE)
			fprintf(f, " GoID=%" PRId64 " %s->%s", ev->transition.id,
				gotrace__gstate_name(ev->transition.from),
				gotrace__gstate_name(ev->transition.to));
		else
			fprintf(f, " ProcID=%" PRId64 " %s->%s", ev->transition.id,
				gotrace__pstate_name(ev->transition.from),
				gotrace__pstate_name(ev->transition.to));
		fputs(" Reason=", f);
		print_quoted(f, ev->transition.reason);
		/* Go prints a creation stack even when its ID is 0 (an empty one) */
		if (ev->transition.stack.id || ev->wire == EV_GO_CREATE ||
		    ev->wire == EV_GO_CREATE_BLOCKED) {
			fputs("\nTransitionStack=\n", f);
			print_stack(f, &ev->transition.stack);
		}
		break;
	case GOTRACE_EXPERIMENTAL:
		fprintf(f, " Name=%s Args=[", ev->experimental.name);
		for (size_t i = 0; i < ev->experimental.nargs; i++)
			fprintf(f, "%s%s=Value{Uint64(%" PRIu64 ")}", i ? ", " : "",
				ev->experimental.arg_names[i], ev->experimental.args[i]);
		fputs("]", f);
		break;
	case GOTRACE_SYNC:
		fprintf(f, " N=%" PRIu64, ev->sync.n);
		if (ev->sync.has_clock) {
			fprintf(f, " Trace=%" PRId64 " Mono=%" PRIu64 " Wall=", ev->sync.clock_time,
				ev->sync.clock_mono);
			print_wall(f, ev->sync.clock_wall_sec, ev->sync.clock_wall_nsec);
		}
		break;
	default:
		break;
	}
	if (ev->stack.id || ev->kind == GOTRACE_STACK_SAMPLE) {
		fputs("\nStack=\n", f);
		print_stack(f, &ev->stack);
	}
	fputc('\n', f);
	return ferror(f) ? -EIO : 0;
}
