// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The recorder (record/recorder.h): new, start and free. Reading the binary and planning the
 * probes, launching or attaching, loading and attaching BPF, opening the trace file. The loop is
 * record/loop.c, the metadata record/metadata.c, options record/options.c; the BPF side is
 * bpf/xgotop.bpf.c, where each probe goes record/plan.c, records become events in
 * record/ingest.c, the process is handled by record/target.c.
 */
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

#include "gobin/gobin.h"
#include "record/bpfobj.h"
#include "record/globals.h"
#include "record/ingest.h"
#include "record/poll.h"
#include "record/sched.h"
#include "record/recorder.h"
#include "record/target.h"
#include "record/walk.h"
#include "util/err.h"
#include "util/version.h"

#include "record/recorder_internal.h"

__attribute__((format(printf, 2, 0))) static int libbpf_print(enum libbpf_print_level level,
							      const char *fmt, va_list ap)
{
	if (level != LIBBPF_WARN || getenv("XGOTOP_LIBBPF_QUIET"))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* --- setup ----------------------------------------------------------------------------------- */

static void unavailable(struct recorder *r, const char *what)
{
	size_t len = strlen(r->unavailable);

	snprintf(r->unavailable + len, sizeof(r->unavailable) - len, "%s%s", len ? "; " : "", what);
}

/* The kinds of the mode: the default, "all" narrowed to the mode, or those asked for when
 * the mode records them. 0 or -EINVAL. */
static int mode_kinds(struct recorder *r)
{
	uint32_t mine = r->production ? REC_PRODUCTION_KINDS : REC_FULL_KINDS, other;

	if (!r->o.kinds)
		r->o.kinds = r->production ? REC_PRODUCTION_DEFAULT_KINDS : REC_FULL_DEFAULT_KINDS;
	else if (r->o.kinds == RECORDER_KINDS)
		r->o.kinds = mine;
	other = r->o.kinds & ~mine;
	if (other) {
		unsigned int k = (unsigned int)__builtin_ctz(other);

		return xg_error(-EINVAL, "--events: %s needs --mode %s", xg_kind_name(k),
				r->production ? "full" : "production");
	}
	return 0;
}

/* Where the variables read from the target's memory are (production mode, GC numbers, the
 * goroutines there before an attach); kinds that need one that cannot be found are dropped
 * and said so. */
static void find_globals(struct recorder *r)
{
	struct rec_globals *g = &r->globals;

	rec_globals__find(r->bin, &r->off, 0, g);
	if ((r->o.kinds & (XGB_KIND_BIT(XG_EV_GC_START) | XGB_KIND_BIT(XG_EV_GC_END))) &&
	    !r->t.launched && (!g->memstats.addr || r->off.ms_numgc < 0))
		unavailable(r, "gc_start, gc_end: the runtime's GC count (runtime.memstats) not "
			       "found, cycles are counted from the attach");
	if ((r->o.kinds & XGB_KIND_BIT(XG_EV_HEAP)) && !g->gc_controller.addr) {
		r->o.kinds &= ~XGB_KIND_BIT(XG_EV_HEAP);
		unavailable(r, "heap: runtime.gcController not found");
	}
	if ((r->o.kinds & XGB_KIND_BIT(XG_EV_SNAPSHOT)) && (!g->allglen.addr || !g->allgptr.addr)) {
		r->o.kinds &= ~XGB_KIND_BIT(XG_EV_SNAPSHOT);
		unavailable(r, "snapshot: runtime.allglen/allgptr not found");
	}
	if (r->o.kinds & XGB_KIND_BIT(XG_EV_SCHED)) {
		const char *missing = rec_sched__missing(&r->off, g);
		char msg[160];

		if (missing) {
			r->o.kinds &= ~XGB_KIND_BIT(XG_EV_SCHED);
			snprintf(msg, sizeof(msg), "sched: %s", missing);
			unavailable(r, msg);
		} else if (!g->gomaxprocs.addr) {
			unavailable(r, "sched: runtime.gomaxprocs not found, gomaxprocs left out");
		}
		if (!missing && r->off.sched_goroutines_created < 0 &&
		    (!g->extram_in_use.addr || !g->extram_length.addr))
			unavailable(r, "sched: runtime.extraMInUse/extraMLength not found, created "
				       "counts cgo's extra Ms too");
	}
	if ((r->o.kinds & XGB_KIND_BIT(XG_EV_HEAP)) && !g->memstats.addr)
		unavailable(r, "heap: GC count (runtime.memstats) not found, gc is 0");
	if ((r->o.kinds & XGB_KIND_BIT(XG_EV_ALLOC_SAMPLE)) && !g->mem_profile_rate.addr)
		unavailable(
		    r, r->o.mem_profile_rate
			   ? "alloc_sample: runtime.MemProfileRate not found, cannot be set"
			   : "alloc_sample: runtime.MemProfileRate not found, 512 KiB assumed");
	/* the linker zeroes MemProfileRate at start-up in programs that cannot reach
	 * runtime.MemProfile (no runtime/pprof): the runtime then samples nothing */
	{
		struct gobin_func f;

		r->memprof_off = gobin__func(r->bin, "runtime.MemProfile", &f) == -ENOENT;
	}
	if ((r->o.kinds & XGB_KIND_BIT(XG_EV_ALLOC_SAMPLE)) && r->memprof_off &&
	    !r->o.mem_profile_rate)
		unavailable(
		    r, "alloc_sample: memory profiling is off in this program (it does not "
		       "use runtime/pprof, so the linker had runtime.MemProfileRate set to 0): "
		       "no samples; --mem-profile-rate N turns it on");
}

struct recorder *recorder__new(const struct recorder_opts *opts)
{
	struct recorder *r = calloc(1, sizeof(*r));
	int err;

	if (!r)
		return NULL;
	memcpy(&r->o, opts, opts->sz < sizeof(r->o) ? opts->sz : sizeof(r->o));
	r->t.pidfd = -1;
	r->t.cpu_ns = -1;
	r->stats_fd = -1;
	r->budget_limit = -1;
	tf_windows__init(&r->win);
	r->cpu_start_ns = r->cpu_last_ns = -1;
	if (r->o.mode == RECORDER_MODE_AUTO)
		r->o.mode = r->o.pid > 0 ? RECORDER_MODE_PRODUCTION : RECORDER_MODE_FULL;
	r->production = r->o.mode == RECORDER_MODE_PRODUCTION;
	if (!r->o.cpu_hz)
		r->o.cpu_hz = DEFAULT_CPU_HZ;
	if (!r->o.heap_ms)
		r->o.heap_ms = DEFAULT_HEAP_MS;
	if (!r->o.snapshot_ms)
		r->o.snapshot_ms = DEFAULT_SNAPSHOT_MS;
	if (!r->o.exit_ms)
		r->o.exit_ms = DEFAULT_EXIT_MS;
	err = mode_kinds(r);
	if (err)
		goto fail;
	/* full mode under a budget reads what production mode reads, for what the probes miss
	 * while out: the goroutines (walks, exits), the heap figures, the scheduler's counts */
	r->full_budget = !r->production && r->o.budget_set && r->o.budget >= 0;
	if (r->full_budget)
		r->o.kinds |= XGB_KIND_BIT(XG_EV_SNAPSHOT) | XGB_KIND_BIT(XG_EV_HEAP) |
			      XGB_KIND_BIT(XG_EV_SCHED);
	if (!r->o.ringbuf_bytes)
		r->o.ringbuf_bytes = DEFAULT_RINGBUF;
	if (!r->o.poll_ms)
		r->o.poll_ms = DEFAULT_POLL_MS;
	if (!r->o.reorder_ns)
		r->o.reorder_ns = DEFAULT_REORDER_NS;
	if (r->o.ringbuf_bytes & (r->o.ringbuf_bytes - 1) || r->o.ringbuf_bytes < 4096) {
		err = xg_error(-EINVAL, "ring buffer size %zu: must be a power of 2, at least 4096",
			       r->o.ringbuf_bytes);
		goto fail;
	}

	if (r->o.sample_file) {
		err = rec__read_sample_file(r->o.sample_file, &r->o);
		if (err)
			goto fail;
	}
	if (r->o.pid > 0)
		err = rec_target__attach(&r->t, r->o.pid);
	else if (r->o.argv && r->o.argv[0])
		err = rec_target__resolve(&r->t, r->o.argv);
	else
		err = xg_error(-EINVAL, "nothing to record: give -p PID or -- PROGRAM");
	if (err)
		goto fail;
	r->target_ok = true;

	r->bin = gobin__open(r->t.exe);
	if (!r->bin) {
		err = -errno;
		goto fail;
	}
	err = gobin__offsets(r->bin, &r->off);
	if (err)
		goto fail;
	r->exit_poll = (r->production || r->full_budget) &&
		       (r->o.kinds & XGB_KIND_BIT(XG_EV_GO_EXIT)) && !r->o.exit_probe;
	if (r->production)
		err = rec_plan__build_production(
		    &r->plan, r->bin, &r->off,
		    r->exit_poll ? r->o.kinds & ~XGB_KIND_BIT(XG_EV_GO_EXIT) : r->o.kinds);
	else
		err = rec_plan__build(&r->plan, r->bin, &r->off, r->o.kinds);
	if (err)
		goto fail;
	r->plan_ok = true;
	find_globals(r);
	return r;
fail:
	recorder__free(r);
	errno = -err;
	return NULL;
}

static void default_path(struct recorder *r)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	snprintf(r->out_path, sizeof(r->out_path), "xgotop-%s-%s.xgt", r->t.comm, stamp);
}

/* The offsets.* keys of the fields marked META, when known (gobin/offsets.h). */

/* A start wrapper whose callee BPF reads from the closure at each creation (bpf/events.h);
 * past the map's size the rest keep their wrapper's name. */
static int add_wrapper(uint64_t entry, const struct gobin_wrapper_call *c, void *ctx)
{
	struct recorder *r = ctx;
	struct xgb_wrapper w = {.nloads = c->nloads};
	uint64_t key = entry + r->bias;

	memcpy(w.off, c->off, sizeof(w.off));
	if (bpf_map_update_elem(bpf_map__fd(r->bpf.wrappers), &key, &w, BPF_NOEXIST))
		return errno == E2BIG ? 1
				      : xg_error(-errno, "BPF: wrappers map: %s", strerror(errno));
	return 0;
}

static int setup_bpf(struct recorder *r, bool multi)
{
	struct rec_bpf_knobs knobs = {
	    /* the kernel filters both kinds of uprobe links by process already */
	    .tgid = 0,
	    .kinds = r->o.kinds,
	    .stacks = rec__stack_bits(r),
	    .block_frames = rec__block_frames(r),
	    .create_deferred = r->plan.create_deferred,
	    /* launched: every goroutine's creation is seen, so most goids need no read (not
	     * under a budget, which takes the probes out) */
	    .lazy_goid =
		r->t.launched && !r->full_budget && (r->o.kinds & XGB_KIND_BIT(XG_EV_GO_STATE)),
	    /* never wake the reader: it polls every poll_ms, far sooner than probes could
	     * fill the buffer, and a wakeup per event would cost more than the event */
	    .wakeup_bytes = 0,
	    .ringbuf_bytes = r->o.ringbuf_bytes,
	    .off = &r->off,
	    .multi = multi,
	    .cpu_tgid = (uint32_t)r->t.pid,
	    .tls_g_off = r->plan.tls_g_off,
	    .large_lo = r->plan.large_hi ? r->plan.large_lo + r->bias : 0,
	    .large_hi = r->plan.large_hi ? r->plan.large_hi + r->bias : 0,
	    .numgc_addr = r->numgc_addr,
	    .numgc_start = r->numgc_start,
	    .gcc_addr = r->globals.gc_controller.addr ? r->globals.gc_controller.addr + r->bias : 0,
	};
	int err;

	libbpf_set_print(libbpf_print);
	err = rec_bpf__open(&r->bpf, &knobs);
	if (err)
		return err;
	r->bpf_ok = true;
	err = rec_bpf__load(&r->bpf);
	if (err)
		return err;

	for (unsigned int k = 0; k < XGB_NKINDS; k++) {
		uint32_t t = rec__threshold(rec__rate_of(&r->o, k));

		err = bpf_map_update_elem(bpf_map__fd(r->bpf.sample), &k, &t, BPF_ANY);
		if (err)
			return xg_error(-errno, "BPF: sample map: %s", strerror(errno));
	}
	for (uint32_t i = 0; i < r->plan.nsites; i++) {
		err =
		    bpf_map_update_elem(bpf_map__fd(r->bpf.sites), &i, &r->plan.sites[i], BPF_ANY);
		if (err)
			return xg_error(-errno, "BPF: sites map: %s", strerror(errno));
	}

	for (uint32_t i = 0; i < r->plan.ntyp; i++) {
		uint64_t ra = r->plan.typ_ret[i] + r->bias;
		uint32_t lvl = r->plan.typ_level[i];

		if (bpf_map_update_elem(bpf_map__fd(r->bpf.typsites), &ra, &lvl, BPF_ANY))
			return xg_error(-errno, "BPF: typsites map: %s", strerror(errno));
	}

	err = gobin__for_each_indirect_wrapper(r->bin, add_wrapper, r);
	if (err < 0)
		return err;

	r->ncpus = libbpf_num_possible_cpus();
	if (r->ncpus <= 0)
		return xg_error(-EINVAL, "cannot count CPUs");
	r->lost_seen = calloc((size_t)r->ncpus * XGB_NKINDS, sizeof(uint64_t));
	return r->lost_seen ? 0 : -ENOMEM;
}

/* Starts the program, its output into opts.program_output when asked. */
static int launch(struct recorder *r)
{
	int fd = -1, err;

	if (r->o.program_output) {
		if (*r->o.program_output)
			snprintf(r->prog_out, sizeof(r->prog_out), "%s", r->o.program_output);
		else if (snprintf(r->prog_out, sizeof(r->prog_out), "%s.out", r->out_path) >=
			 (int)sizeof(r->prog_out))
			return xg_error(-ENAMETOOLONG, "%s.out: name too long", r->out_path);
		fd = open(r->prog_out, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
		if (fd < 0)
			return xg_error(-errno, "%s: %s", r->prog_out, strerror(errno));
	}
	err = rec_target__launch(&r->t, r->o.argv, fd);
	if (fd >= 0)
		close(fd);
	if (err && fd >= 0)
		unlink(r->prog_out);
	if (err)
		r->prog_out[0] = '\0';
	return err;
}

/*
 * gc_start, gc_end: where BPF reads the runtime's cycle count, and the count now (for when BPF
 * cannot read it). The read also maps the page holding it, which the target may not have
 * touched yet: a BPF program cannot fault it in.
 */
static void gc_count_start(struct recorder *r)
{
	struct rec_poll *p = r->poll;
	int err;

	if (!r->globals.memstats.addr || r->off.ms_numgc < 0)
		return;
	if (!p)
		p = rec_poll__new(r->t.pid, r->bias, &r->off, &r->globals);
	err = p ? rec_poll__numgc(p, &r->numgc_start) : -errno;
	/* an attached program's GC history: what lets a reader turn g.waitsince (snapshots'
	 * waited_ns) into a proven wait for goroutines blocked since before the attach */
	if (!err && !r->t.launched && p && rec_poll__gc_ends(p, r->gc_ends, &r->n_gc_ends))
		r->n_gc_ends = 0;
	if (p != r->poll)
		rec_poll__free(p);
	if (!err)
		r->numgc_addr = r->globals.memstats.addr + r->bias + (uint64_t)r->off.ms_numgc;
	else if (!r->t.launched &&
		 (r->o.kinds & (XGB_KIND_BIT(XG_EV_GC_START) | XGB_KIND_BIT(XG_EV_GC_END))))
		unavailable(r, "gc_start, gc_end: the runtime's GC count (runtime.memstats) "
			       "unreadable, cycles are counted from the attach");
}

int recorder__start(struct recorder *r)
{
	TF_WRITER_OPTS(wo);
	struct rec_ingest_opts io = {0};
	int err;

	if (!r->o.out_path)
		default_path(r);
	else
		snprintf(r->out_path, sizeof(r->out_path), "%s", r->o.out_path);
	if (r->t.pid <= 0) {
		err = launch(r);
		if (err)
			return err;
	}

	err = gobin__load_bias(r->bin, r->t.pid, &r->bias);
	if (err)
		return err;
	if ((r->production || r->full_budget) &&
	    (r->exit_poll ||
	     (r->o.kinds & (XGB_KIND_BIT(XG_EV_HEAP) | XGB_KIND_BIT(XG_EV_SNAPSHOT) |
			    XGB_KIND_BIT(XG_EV_ALLOC_SAMPLE))))) {
		r->poll = rec_poll__new(r->t.pid, r->bias, &r->off, &r->globals);
		if (!r->poll)
			return xg_error(-errno, "reading the target: %s", strerror(errno));
		r->mem_rate_start = rec_poll__mem_rate(r->poll);
		if (r->memprof_off && !r->o.mem_profile_rate)
			r->mem_rate_start = 0;
		if (r->o.mem_profile_rate && (r->o.kinds & XGB_KIND_BIT(XG_EV_ALLOC_SAMPLE))) {
			/* a launched program is not started yet: what it will run with */
			r->mem_rate_orig = r->t.launched ? (r->memprof_off ? 0 : r->mem_rate_start)
							 : r->mem_rate_start;
			err = rec_poll__set_mem_rate(r->poll, r->o.mem_profile_rate);
			/* not started yet: keep its start-up from zeroing the rate again */
			if (!err && r->t.launched && r->memprof_off)
				err = rec_poll__enable_mem_profiling(r->poll);
			if (err)
				return err;
			r->mem_rate_written = true;
			r->mem_rate_start = r->o.mem_profile_rate;
		}
	}
	if (!r->production && !r->full_budget && !r->t.launched &&
	    (r->o.kinds & (XGB_KIND_BIT(XG_EV_GO_CREATE) | XGB_KIND_BIT(XG_EV_GO_STATE)))) {
		/* full mode attached: one walk of the goroutines there before the probes */
		r->poll = rec_poll__new(r->t.pid, r->bias, &r->off, &r->globals);
		if (r->poll && !rec_poll__can_snapshot(r->poll)) {
			rec_poll__free(r->poll);
			r->poll = NULL;
		}
		if (!r->poll)
			unavailable(
			    r, "the goroutines from before the attach (runtime.allgs not found)");
	}
	if (r->o.kinds & XGB_KIND_BIT(XG_EV_SCHED)) {
		r->sched = rec_sched__new(r->t.pid, r->bias, &r->off, &r->globals);
		if (!r->sched)
			return xg_error(-errno, "reading the scheduler's counts: %s",
					strerror(errno));
	}
	gc_count_start(r);
	if (r->o.bpf_stats) {
		r->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
		if (r->stats_fd < 0)
			return xg_error(-errno, "BPF_ENABLE_STATS: %s", strerror(errno));
	}
	err = setup_bpf(r, true);
	err = err ?: rec__budget_measure(r);
	if (err)
		return err;

	/* trace time 0: just before the first probe can fire */
	r->start_mono = rec__clock_ns(CLOCK_MONOTONIC);
	r->start_wall = rec__clock_ns(CLOCK_REALTIME);
	err = rec__build_meta(r);
	if (err)
		return xg_error(err, "metadata: %s", strerror(-err));
	r->w = tf_writer__open(r->out_path, r->meta, &wo);
	if (!r->w)
		return -errno;

	io.bin = r->bin;
	io.off = &r->off;
	io.bias = r->bias;
	io.start_mono = r->start_mono;
	io.reorder_ns = r->o.reorder_ns;
	io.w = r->w;
	io.track_exits = r->exit_poll;
	r->ing = rec_ingest__new(&io);
	if (!r->ing)
		return -errno;
	{
		struct rec_walk_opts wk = {.ing = r->ing,
					   .bin = r->bin,
					   .bias = r->bias,
					   .stacks = rec__walk_stacks(r),
					   .tick = rec__budget_guard,
					   .tick_ctx = r};

		r->walk = rec_walk__new(&wk);
		if (!r->walk)
			return -errno;
	}
	r->rb = rec_ring__new(bpf_map__fd(r->bpf.events), rec_ingest__record, r->ing);
	if (!r->rb)
		return xg_error(-errno, "BPF: ring buffer: %s", xg_errmsg());

	err = rec_bpf__attach(&r->bpf, &r->plan, r->t.pid, r->t.exe, r->budget_progs);
	if (err == -EOPNOTSUPP) {
		/* no uprobe_multi (Linux < 6.6): one perf-event uprobe per probe */
		rec_ring__free(r->rb);
		r->rb = NULL;
		rec_bpf__close(&r->bpf);
		r->bpf_ok = false;
		free(r->lost_seen);
		r->lost_seen = NULL;
		err = setup_bpf(r, false);
		if (!err) {
			r->rb =
			    rec_ring__new(bpf_map__fd(r->bpf.events), rec_ingest__record, r->ing);
			err = r->rb ? 0 : xg_error(-errno, "BPF: ring buffer: %s", xg_errmsg());
		}
		if (!err)
			err =
			    rec_bpf__attach(&r->bpf, &r->plan, r->t.pid, r->t.exe, r->budget_progs);
	}
	if (!err && (r->o.kinds & XGB_KIND_BIT(XG_EV_CPU_SAMPLE)))
		err = rec_bpf__attach_cpu(&r->bpf, r->o.cpu_hz);
	/* the traps counted from here on are the recording's */
	if (!err)
		r->traps_base = rec_bpf__traps(&r->bpf);
	if (!err)
		err = rec__budget_start(r);
	if (!err)
		err = rec_bpf__set_enabled(&r->bpf, true);
	/* (under a budget, the walks at the status probes' windows do it) */
	if (!err && r->poll && !r->production && !r->full_budget)
		err = rec__snapshot_at_attach(r);
	if (err)
		return err;
	r->cpu_start_ns = r->cpu_last_ns = rec__process_cpu_ns(r->t.pid);
	r->self_start_ns = rec__clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	rec_ingest__set_mem_rate(r->ing, r->mem_rate_start);
	if (!r->o.quiet)
		fprintf(stderr, "xgotop record: recording pid %d (%s), %s mode, %u probes, to %s\n",
			r->t.pid, r->t.comm, r->production ? "production" : "full", r->plan.n,
			r->out_path);
	if (!r->o.quiet && r->unavailable[0])
		fprintf(stderr, "xgotop record: not available for this binary: %s\n",
			r->unavailable);
	/* the budget's units in before a launched program runs: its first goroutines (main's
	 * among them) are created in its first milliseconds */
	rec__budget_turn(r, rec__clock_ns(CLOCK_MONOTONIC));
	return rec_target__resume(&r->t);
}

int recorder__set_sample(struct recorder *r, unsigned int kind, double rate)
{
	uint32_t t = rec__threshold(rate);

	if (kind >= XGB_NKINDS || !(rate >= 0 && rate <= 1))
		return -EINVAL;
	if (!r->bpf_ok)
		return -ENODEV;
	if (bpf_map_update_elem(bpf_map__fd(r->bpf.sample), &kind, &t, BPF_ANY))
		return -errno;
	if (kind < XG_EV_KIND_MAX) {
		r->o.sample[kind] = rate;
		r->o.sample_set[kind] = true;
	}
	return 0;
}

void recorder__stats(struct recorder *r, struct recorder_stats *st)
{
	struct rec_ingest_stats is = {0};
	int64_t last;
	uint64_t span;

	memset(st, 0, sizeof(*st));
	if (r->ing)
		rec_ingest__stats(r->ing, &is);
	memcpy(st->events, is.kinds, sizeof(st->events));
	memcpy(st->lost, r->lost, sizeof(st->lost));
	st->records = is.records;
	st->bad_records = is.bad;
	st->unresolved = is.unresolved;
	st->end_reason = r->pump.reason;
	snprintf(st->target_status, sizeof(st->target_status), "%s", r->status);
	st->out_path = r->out_path;
	st->program_output = r->prog_out[0] ? r->prog_out : NULL;
	st->lat_p50 = is.lat_p50;
	st->lat_p99 = is.lat_p99;
	st->lat_max = is.lat_max;
	st->lat_n = is.lat_n;
	st->production = r->production;
	st->polls_heap = r->polls_heap;
	st->polls_snapshot = r->polls_snapshot;
	st->polls_sched = r->polls_sched;
	memcpy(st->sched_dropped, r->sched_dropped, sizeof(st->sched_dropped));
	st->poll_ns = r->poll_ns;
	st->samples_typed = is.samples_typed;
	st->polls_exit = r->polls_exit;
	st->exits_polled = r->exits_polled;
	st->exits_reused = is.exits_reused;
	snprintf(st->poll_error, sizeof(st->poll_error), "%s", r->poll_error);
	if (r->walk)
		rec_walk__stats(r->walk, &st->walk);
	st->traps = r->traps;
	st->trap_ns = r->trap_ns;
	st->self_cpu_ns = r->self_cpu_ns;
	st->budget = r->budgeted ? r->budget_limit : -1;
	/* from the window events, as `info` reads them from the file */
	span = (r->stop_mono ? r->stop_mono : rec__clock_ns(CLOCK_MONOTONIC)) - r->start_mono;
	for (unsigned int k = 0; k < XG_EV_KIND_MAX; k++)
		st->coverage[k] = r->win.events[k] && span
				      ? (double)tf_windows__in_ns(&r->win, k, span) / (double)span
				      : -1;
	st->budget_switches = r->budget_switches;
	snprintf(st->budget_error, sizeof(st->budget_error), "%s", r->budget_error);
	snprintf(st->trap_error, sizeof(st->trap_error), "%s", r->trap_error);
	/* a launched target's own total when it was reaped: /proc counts clock ticks, too coarse
	 * for a short run */
	last = r->t.cpu_ns >= 0 ? r->t.cpu_ns : r->cpu_last_ns;
	st->target_cpu_ns =
	    r->cpu_start_ns >= 0 && last >= r->cpu_start_ns ? last - r->cpu_start_ns : -1;
	for (int p = 0; p < REC_PROG_MAX && r->bpf_ok && r->stats_fd >= 0; p++) {
		struct bpf_prog_info pi;
		uint32_t len = sizeof(pi);

		memset(&pi, 0, sizeof(pi));
		if (!bpf_obj_get_info_by_fd(bpf_program__fd(r->bpf.progs[p]), &pi, &len)) {
			st->prog_runs[p] = pi.run_cnt;
			st->prog_ns[p] = pi.run_time_ns;
		}
	}
	if (r->w) {
		struct tf_writer_stats ws;

		tf_writer__stats(r->w, &ws);
		st->file_bytes = ws.bytes;
	}
}

const struct tf_meta *recorder__meta(const struct recorder *r)
{
	return r->meta;
}

const struct rec_plan *recorder__plan(const struct recorder *r)
{
	return &r->plan;
}

int recorder__prog_fd(const struct recorder *r, enum rec_prog p)
{
	return r->bpf_ok && p < REC_PROG_MAX ? bpf_program__fd(r->bpf.progs[p]) : -1;
}

int recorder__free(struct recorder *r)
{
	int err = 0;

	if (!r)
		return 0;
	rec_ring__free(r->rb);
	if (r->w) {
		err = tf_writer__close(r->w);
		r->w = NULL;
	}
	rec_ingest__free(r->ing);
	if (r->bpf_ok)
		rec_bpf__close(&r->bpf);
	if (r->target_ok) {
		if (r->t.launched && !r->t.exited)
			rec_target__stop(&r->t, TARGET_STOP_GRACE_MS);
		rec_target__close(&r->t);
	}
	if (r->plan_ok)
		rec_plan__free(&r->plan);
	rec_poll__free(r->poll);
	rec_sched__free(r->sched);
	free(r->gread);
	rec_walk__free(r->walk);
	gobin__close(r->bin);
	tf_meta__free(r->meta);
	free(r->lost_seen);
	if (r->stats_fd >= 0)
		close(r->stats_fd);
	free(r);
	return err;
}
