/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A reader of Go's execution traces in the generation-based format written by Go 1.22 to 1.27
 * (file headers "go 1.22 trace" ... "go 1.26 trace"; Go 1.27 writes 1.26's format). It yields
 * the events Go's own reader (internal/trace.Reader) yields, in the same order and with the
 * same content: the high-level events of internal/trace.Event, not the wire events.
 *
 *	struct gotrace *gt = gotrace__open_fd(fd);       // or gotrace__open_mem(buf, len)
 *	struct gotrace_event ev;
 *	while ((err = gotrace__next(gt, &ev)) > 0)
 *		use(&ev);                                // err 0: end; < 0: -errno, xg_errmsg()
 *	gotrace__close(gt);
 *
 * Opening reads and checks the 16-byte header only. The trace is then read one generation at a
 * time: all batches of a generation are buffered (traces before Go 1.26 have no end-of-generation
 * marker, so the first batch of the next generation is read too and held), its string, stack and
 * CPU-sample tables are decoded, and its events are handed out one by one, ordered across threads
 * by Go's partial-order state machine (goroutine and proc sequence numbers). Memory is therefore
 * bounded by one generation plus the ordering state (goroutines, procs, threads, active tasks),
 * never by the file. Input can be a pipe (standard input): it is read sequentially, once.
 *
 * Like Go's reader, the event stream opens with a Sync event, has one Sync event at the start of
 * every generation, and ends with a Sync event.
 *
 * Damage: every error is reported once by gotrace__next() as -errno (-EINVAL for a malformed
 * trace, -EIO for a read error, -ENOMEM) with an xg_error() message that names the byte offset
 * in the file and what was wrong ("go trace: offset 12345: batch for M 3 truncated: ..."); later
 * calls return the same code. The events returned before the error are exactly those Go's reader
 * returns before its error (tests/gotrace_parse.test compares them on cut and corrupted traces):
 *  - every generation that precedes the damaged one, whole and ended by a Sync event: a
 *    generation is handed out only once its batches have been read and its tables decoded; one
 *    whose string, stack, CPU-sample or frequency batches are damaged is dropped whole, and so
 *    is, in Go 1.26+ traces, one that cannot be read to its end-of-generation marker;
 *  - traces before Go 1.26 have no such marker: when a batch cannot be read (the input ends or
 *    a batch header is damaged), Go, and this reader, hand out the generation made of the
 *    batches read before it, then a Sync event, then the error;
 *  - when the damage is only found while ordering the events of a generation (an event that
 *    cannot be placed, an unknown stack or string), the events of that generation ordered
 *    before it.
 *
 * Lifetimes: the event filled by gotrace__next() and every pointer in it are valid until the
 * next gotrace__next() or gotrace__close(), except what belongs to the generation, which stays
 * valid until gotrace__next() returns the next Sync event: stacks (struct gotrace_stack and its
 * frames), the strings of the trace's string table (function and file names, reasons, labels,
 * task and region types, log texts) and the Sync event's experimental batches. Metric, range
 * (but "stop-the-world (...)": until the next call) and experimental names are static.
 *
 * Not thread-safe: one reader per thread.
 */
#ifndef XG_FORMAT_GOTRACE_H
#define XG_FORMAT_GOTRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* internal/trace.EventKind, same values. */
enum gotrace_kind {
	GOTRACE_BAD,
	GOTRACE_SYNC,
	GOTRACE_METRIC,
	GOTRACE_LABEL,
	GOTRACE_STACK_SAMPLE,
	GOTRACE_RANGE_BEGIN,
	GOTRACE_RANGE_ACTIVE,
	GOTRACE_RANGE_END,
	GOTRACE_TASK_BEGIN,
	GOTRACE_TASK_END,
	GOTRACE_REGION_BEGIN,
	GOTRACE_REGION_END,
	GOTRACE_LOG,
	GOTRACE_STATE_TRANSITION,
	GOTRACE_EXPERIMENTAL,
};

/* internal/trace.GoState, same values. */
enum gotrace_gstate {
	GOTRACE_G_UNDETERMINED,
	GOTRACE_G_NOT_EXIST,
	GOTRACE_G_RUNNABLE,
	GOTRACE_G_RUNNING,
	GOTRACE_G_WAITING,
	GOTRACE_G_SYSCALL,
};

/* internal/trace.ProcState, same values. */
enum gotrace_pstate {
	GOTRACE_P_UNDETERMINED,
	GOTRACE_P_NOT_EXIST,
	GOTRACE_P_RUNNING,
	GOTRACE_P_IDLE,
};

/* internal/trace.ResourceKind, same values. */
enum gotrace_resource {
	GOTRACE_RES_NONE,
	GOTRACE_RES_GOROUTINE,
	GOTRACE_RES_PROC,
	GOTRACE_RES_THREAD,
};

#define GOTRACE_NONE	(-1)	   /* NoGoroutine, NoProc, NoThread */
#define GOTRACE_NO_TASK UINT64_MAX /* NoTask */

/* A string of the trace: len bytes at s, which is also NUL-terminated (the bytes may hold NULs). */
struct gotrace_str {
	const char *s;
	size_t len;
};

struct gotrace_frame {
	uint64_t pc;
	struct gotrace_str func;
	struct gotrace_str file;
	uint64_t line;
};

/* A resolved stack, innermost frame first; n == 0 (frames NULL) is Go's NoStack. */
struct gotrace_stack {
	const struct gotrace_frame *frames;
	size_t n;
	uint64_t id; /* the stack's ID in its generation's table, 0 for none */
};

/* The raw data of an experimental batch (internal/trace.ExperimentalBatch). */
struct gotrace_exp_batch {
	const char *experiment; /* "AllocFree", or "Experiment(N)" for an unknown one */
	int64_t m;
	const uint8_t *data;
	size_t len;
};

struct gotrace_event {
	enum gotrace_kind kind;
	uint8_t wire;	 /* the wire event type behind it (tracev2 EvXxx number); 0 for Sync */
	uint64_t gen;	 /* generation number as written by the runtime; 0 for the final Sync */
	int64_t time;	 /* ns, Go's Time: timestamps times the generation's ns per tick */
	int64_t m, p, g; /* the thread, proc and goroutine it happened on, or GOTRACE_NONE */
	struct gotrace_stack stack; /* Event.Stack() */
	union {
		struct {
			uint64_t n;		/* 1 for the first Sync event, counting up */
			bool has_clock;		/* Go 1.25+: the generation's clock snapshot */
			int64_t clock_time;	/* trace time of the snapshot, ns */
			uint64_t clock_mono;	/* CLOCK_MONOTONIC ns at clock_time */
			int64_t clock_wall_sec; /* wall clock (Unix time) at clock_time */
			int64_t clock_wall_nsec;
			double
			    ns_per_tick; /* the generation's frequency, as Go keeps it; 0 if none */
			const struct gotrace_exp_batch *exp_batches; /* the generation's */
			size_t n_exp_batches;
		} sync;
		struct {
			struct gotrace_str name; /* "/sched/gomaxprocs:threads", ... */
			uint64_t value;
		} metric;
		struct {
			struct gotrace_str label;
			int64_t g; /* the goroutine labelled */
		} label;
		struct {
			struct gotrace_str
			    name; /* "GC concurrent mark phase", "stop-the-world (...)" ... */
			enum gotrace_resource scope;
			int64_t scope_id;
			bool has_sweep; /* RangeEnd of "GC incremental sweep": its two attributes */
			uint64_t swept; /* "bytes swept" */
			uint64_t reclaimed; /* "bytes reclaimed" */
		} range;
		struct {
			uint64_t id;
			uint64_t parent; /* GOTRACE_NO_TASK when none */
			struct gotrace_str type;
		} task;
		struct {
			uint64_t task;
			struct gotrace_str type;
		} region;
		struct {
			uint64_t task;
			struct gotrace_str category;
			struct gotrace_str message;
		} log;
		struct {
			enum gotrace_resource
			    resource;		    /* GOTRACE_RES_GOROUTINE or GOTRACE_RES_PROC */
			int64_t id;		    /* the goroutine's or proc's ID */
			uint8_t from, to;	    /* enum gotrace_gstate or enum gotrace_pstate */
			struct gotrace_str reason;  /* "" when none */
			struct gotrace_stack stack; /* the transition's stack (creation stack...) */
		} transition;
		struct {
			const char *name;	/* "HeapObjectAlloc", ... */
			const char *experiment; /* "AllocFree" */
			size_t nargs;
			const char *const *arg_names; /* nargs names ("id", "type", ...) */
			uint64_t args[4];
		} experimental;
	};
};

struct gotrace;

/* Reads through fd, which may be a pipe; fd stays open and owned by the caller. */
struct gotrace *gotrace__open_fd(int fd);
/* Reads through f (the caller keeps it open until close). */
struct gotrace *gotrace__open_file(FILE *f);
/* Reads len bytes at buf, which stay valid and unchanged until gotrace__close(). */
struct gotrace *gotrace__open_mem(const void *buf, size_t len);
/* NULL-safe. */
void gotrace__close(struct gotrace *gt);

/* The next event: 1 (ev filled), 0 at the end of the trace, or -errno (see Damage above). */
int gotrace__next(struct gotrace *gt, struct gotrace_event *ev);

/* The format version of the header: 22, 23, 25 or 26 (Go 1.24 writes 23, 1.27 writes 26). */
int gotrace__version(const struct gotrace *gt);
/* Bytes of the input read so far. */
uint64_t gotrace__offset(const struct gotrace *gt);

/*
 * The format version (22..26) when the first len bytes at buf start like a Go execution trace of
 * a version this reader reads ("go 1.NN trace\0\0\0"), 0 otherwise; len >= 16 is needed for a
 * positive answer.
 */
int gotrace__probe(const void *buf, size_t len);

/* Names as Go prints them: "StateTransition", "Running", "Idle", "Goroutine"... */
const char *gotrace__kind_name(enum gotrace_kind kind);
const char *gotrace__gstate_name(enum gotrace_gstate s);
const char *gotrace__pstate_name(enum gotrace_pstate s);

/*
 * Writes ev to f as Go's internal/trace.Event.String() does, with its line break at the end as
 * `go tool trace -d=parsed` prints it. The wall clock of a Sync event is printed in the local
 * time zone, as Go does. 0 or -EIO.
 */
int gotrace_event__print(const struct gotrace_event *ev, FILE *f);

#endif /* XG_FORMAT_GOTRACE_H */
