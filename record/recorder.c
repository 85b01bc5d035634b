// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The recorder (record/recorder.h): orchestration. The BPF side is bpf/xgotop.bpf.c, where each
 * probe goes is record/plan.c, records become events in record/ingest.c, the process is handled
 * by record/target.c.
 *
 * One thread: an epoll loop over the ring buffer, a signalfd (SIGINT, SIGTERM, SIGHUP) and the
 * target's pidfd, waking at least every poll_ms to drain the buffer (the BPF side wakes it early
 * only when a quarter of the buffer is used, so an idle target costs no wakeups per event) and
 * every 100 ms to read the drop counters and tick the outputs.
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
#include "record/recorder.h"
#include "record/target.h"
#include "record/walk.h"
#include "util/err.h"
#include "util/version.h"

#define TICK_NS		     100000000ull
#define DEFAULT_RINGBUF	     (16u << 20)
#define DEFAULT_POLL_MS	     2
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
	struct ring_buffer *rb;
	struct tf_writer *w;
	struct tf_meta *meta;
	struct rec_ingest *ing;
	uint64_t start_mono, start_wall;
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
	uint64_t traps;
	double trap_ns;
	char trap_error[160];
	int64_t cpu_start_ns, cpu_last_ns; /* -1 while unknown */

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
	uint64_t next_heap, next_snapshot, next_exit; /* CLOCK_MONOTONIC ns */
	uint64_t polls_heap, polls_snapshot, polls_exit, poll_ns, exits_polled;
	bool exit_poll; /* go_exit by watching created goroutines (no gdestroy probe) */
	struct rec_gsnap *gread;
	size_t gread_cap;
	struct rec_walk *walk;	/* snapshot events from walks of the goroutines */
	int64_t mem_rate_start; /* MemProfileRate at the start, 0 when unknown */
	int64_t mem_rate_orig;	/* its value before opts.mem_profile_rate was written */
	bool mem_rate_written;
	bool memprof_off;      /* the linker turned memory profiling off (no runtime.MemProfile) */
	char unavailable[512]; /* what production mode cannot do for this binary */
	char poll_error[160];
};

static uint64_t clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The user + system CPU time of process pid so far (all its threads), in ns; -1 when gone. */
static int64_t process_cpu_ns(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	long tck = sysconf(_SC_CLK_TCK);
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0 || tck <= 0)
		return -1;
	buf[n] = 0;
	/* the command name may hold spaces and parentheses: fields go on after the last ')' */
	p = strrchr(buf, ')');
	if (!p ||
	    sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return -1;
	return (int64_t)((ut + st) * (1000000000ull / (unsigned long long)tck));
}

static void sample_target_cpu(struct recorder *r)
{
	int64_t v = process_cpu_ns(r->t.pid);

	if (v >= 0)
		r->cpu_last_ns = v;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level != LIBBPF_WARN || getenv("XGOTOP_LIBBPF_QUIET"))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* --- options --------------------------------------------------------------------------------- */

int recorder__parse_mode(const char *s, enum recorder_mode *mode)
{
	if (!strcmp(s, "production") || !strcmp(s, "prod"))
		*mode = RECORDER_MODE_PRODUCTION;
	else if (!strcmp(s, "full"))
		*mode = RECORDER_MODE_FULL;
	else
		return xg_error(-EINVAL, "--mode %s: expected production or full", s);
	return 0;
}

int recorder__parse_kinds(const char *list, uint32_t *kinds)
{
	char buf[256], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", list);
	*kinds = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int k;

		if (!strcmp(tok, "all")) {
			*kinds |= RECORDER_KINDS;
			continue;
		}
		if (!strcmp(tok, "gc")) {
			*kinds |= XGB_KIND_BIT(XG_EV_GC_START) | XGB_KIND_BIT(XG_EV_GC_END);
			continue;
		}
		k = xg_kind_parse(tok);
		if (k < 0 || !(RECORDER_KINDS & XGB_KIND_BIT(k)))
			return xg_error(
			    -EINVAL,
			    "--events: unknown kind '%s' (full mode: go_create, go_exit, "
			    "go_state, alloc, gc_start, gc_end; production mode: go_create, "
			    "go_exit, cpu_sample, alloc_sample, heap, snapshot, alloc (large "
			    "ones), gc_start, gc_end; gc = both, all = every kind of the mode)",
			    tok);
		*kinds |= XGB_KIND_BIT(k);
	}
	if (!*kinds)
		return xg_error(-EINVAL, "--events: no kinds given");
	return 0;
}

int recorder__parse_sample(const char *arg, struct recorder_opts *opts)
{
	const char *eq = strchr(arg, '=');
	char name[32], *end;
	double rate;
	int k;

	if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof(name))
		return xg_error(-EINVAL, "--sample %s: expected KIND=RATE, e.g. alloc=0.01", arg);
	snprintf(name, sizeof(name), "%.*s", (int)(eq - arg), arg);
	k = xg_kind_parse(name);
	if (k < 0 || !(REC_FULL_KINDS & XGB_KIND_BIT(k)))
		return xg_error(-EINVAL,
				"--sample: unknown kind '%s' (go_create, go_exit, go_state, alloc, "
				"gc_start, gc_end: the kinds sampled in the kernel)",
				name);
	errno = 0;
	rate = strtod(eq + 1, &end);
	if (errno || *end || end == eq + 1 || !(rate >= 0 && rate <= 1))
		return xg_error(-EINVAL, "--sample %s: the rate must be a number from 0 to 1", arg);
	opts->sample[k] = rate;
	opts->sample_set[k] = true;
	return 0;
}

static double rate_of(const struct recorder_opts *o, unsigned int k)
{
	return k < XG_EV_KIND_MAX && o->sample_set[k] && o->sample[k] >= 0 ? o->sample[k] : 1.0;
}

static uint32_t threshold(double rate)
{
	if (rate >= 1)
		return UINT32_MAX;
	if (rate <= 0)
		return 0;
	return (uint32_t)(rate * 4294967296.0);
}

/* Reads KIND=RATE lines (# comments) from path into o. 0 or -errno with a message. */
static int read_sample_file(const char *path, struct recorder_opts *o)
{
	char line[256];
	int err = 0, n = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return xg_error(-errno, "%s: %s", path, strerror(errno));
	while (!err && fgets(line, sizeof(line), f)) {
		char *s = line, *e;

		n++;
		while (*s == ' ' || *s == '\t')
			s++;
		e = s + strcspn(s, "#\r\n");
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		*e = '\0';
		if (*s && recorder__parse_sample(s, o))
			err = xg_error(-EINVAL, "%s:%d: %s", path, n, xg_errmsg());
	}
	fclose(f);
	return err;
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
		r->o.kinds = r->production ? REC_PRODUCTION_DEFAULT_KINDS : REC_FULL_KINDS;
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
		err = read_sample_file(r->o.sample_file, &r->o);
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
	r->exit_poll =
	    r->production && (r->o.kinds & XGB_KIND_BIT(XG_EV_GO_EXIT)) && !r->o.exit_probe;
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
static int meta_offsets(struct tf_meta *m, const struct go_offsets *o)
{
	static const char runtime[] = "runtime.";
	int err = 0;

	for (unsigned int i = 0; i < GO_OFF_NFIELDS && !err; i++) {
		const struct gobin_off_field *f = &gobin_off_fields[i];
		int32_t v = gobin_off_field__get(o, f);
		const char *st = f->gotype;
		char key[128];

		if (!f->meta || v < 0)
			continue;
		if (!strncmp(st, runtime, sizeof(runtime) - 1))
			st += sizeof(runtime) - 1;
		snprintf(key, sizeof(key), GO_OFF_META_PREFIX "%s.%s", st, f->path);
		err = tf_meta__set_int(m, key, v);
	}
	return err;
}

static int set_u64(struct tf_meta *m, const char *key, uint64_t v)
{
	char val[32];

	snprintf(val, sizeof(val), "%" PRIu64, v);
	return tf_meta__set_str(m, key, val);
}

static int set_global(struct tf_meta *m, const char *key, const struct rec_global *g)
{
	char val[96];

	if (!g->addr)
		return tf_meta__set_str(m, key, "not found");
	snprintf(val, sizeof(val), "0x%" PRIx64 " (%s)", g->addr, g->from);
	return tf_meta__set_str(m, key, val);
}

/* The XGB_STACKS_* bits of the events that carry the user stack. */
static uint8_t stack_bits(const struct recorder *r)
{
	switch (r->o.stacks) {
	case RECORDER_STACKS_ALL:
		return XGB_STACKS_CREATE | XGB_STACKS_BLOCK | XGB_STACKS_ALLOC;
	case RECORDER_STACKS_NONE:
		return 0;
	default:
		return r->production ? 0 : XGB_STACKS_BLOCK;
	}
}

/* The most PCs a blocking go_state's stack holds (0 = XGB_MAX_FRAMES). */
static uint8_t block_frames(const struct recorder *r)
{
	return r->o.stacks == RECORDER_STACKS_ALL ? 0 : RECORDER_BLOCK_FRAMES;
}

/* Whether snapshots of blocked goroutines carry the stack they wait in: always in production
 * mode (they cost the target nothing), with the stacks of blocking events in full mode (its
 * walk at attach). */
static bool walk_stacks(const struct recorder *r)
{
	return r->production || (stack_bits(r) & XGB_STACKS_BLOCK);
}

/* The "stacks" metadata: "off", or "frame pointers (KIND, ...)" for the kinds recorded with a
 * stack. */
static const char *stacks_meta(const struct recorder *r, char *buf, size_t size)
{
	static const char head[] = "frame pointers (";
	uint8_t bits = stack_bits(r);
	size_t len = strlen(head), n = 0;
	/* full mode's snapshots are those of its walk at attach */
	bool snapshots =
	    r->production ? (r->o.kinds & XGB_KIND_BIT(XG_EV_SNAPSHOT)) != 0 : r->poll != NULL;
	struct {
		unsigned int kind;
		bool on;
		const char *what;
	} kinds[] = {
	    {XG_EV_CPU_SAMPLE, r->production, ""},
	    {XG_EV_ALLOC_SAMPLE, r->production, ""},
	    {XG_EV_GO_CREATE, bits & XGB_STACKS_CREATE, ""},
	    {XG_EV_GO_STATE, bits & XGB_STACKS_BLOCK, " into waiting/syscall/preempted"},
	    {XG_EV_ALLOC, bits & XGB_STACKS_ALLOC, ""},
	    {XG_EV_SNAPSHOT, walk_stacks(r) && snapshots, ""},
	};

	snprintf(buf, size, "%s", head);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]) && len < size; i++) {
		if (!kinds[i].on || (kinds[i].kind != XG_EV_SNAPSHOT &&
				     !(r->o.kinds & XGB_KIND_BIT(kinds[i].kind))))
			continue;
		len += (size_t)snprintf(buf + len, size - len, "%s%s%s", n++ ? ", " : "",
					xg_kind_name(kinds[i].kind), kinds[i].what);
		if (kinds[i].kind == XG_EV_GO_STATE && block_frames(r) && len < size)
			len += (size_t)snprintf(buf + len, size - len, " with the first %u frames",
						block_frames(r));
	}
	if (!n)
		return "off";
	if (len < size)
		snprintf(buf + len, size - len, ")");
	return buf;
}

/* What production mode sampled and how, in words and in numbers. */
static int production_meta(struct recorder *r, struct tf_meta *m)
{
	uint32_t k = r->o.kinds;
	int64_t rate = r->mem_rate_start > 0 ? r->mem_rate_start : r->memprof_off ? 0 : 512 * 1024;
	char by[2048];
	size_t len = 0;
	int err = 0;

#define SAY(...)                                                                                   \
	do {                                                                                       \
		if (len < sizeof(by))                                                              \
			len += (size_t)snprintf(by + len, sizeof(by) - len, __VA_ARGS__);          \
	} while (0)
	by[0] = '\0';
	if (k & XGB_KIND_BIT(XG_EV_CPU_SAMPLE)) {
		SAY("cpu_sample: each CPU's clock at %u Hz, kept when the target runs (one sample "
		    "= 1/%u s of one CPU); ",
		    r->o.cpu_hz, r->o.cpu_hz);
		err = err ?: set_u64(m, TF_KEY_SAMPLE_CPU_HZ, r->o.cpu_hz);
		err = err ?: set_u64(m, TF_KEY_CPU_HZ, r->o.cpu_hz);
		err = err ?: tf_meta__set_int(m, TF_KEY_TLS_G_OFFSET, r->plan.tls_g_off);
	}
	if ((k & XGB_KIND_BIT(XG_EV_ALLOC_SAMPLE)) && !rate) {
		SAY("alloc_sample: none, runtime.MemProfileRate is 0 in this program (it does not "
		    "use runtime/pprof; --mem-profile-rate sets it); ");
		err = err ?: set_u64(m, TF_KEY_SAMPLE_ALLOC_BYTES, 0);
	} else if (k & XGB_KIND_BIT(XG_EV_ALLOC_SAMPLE)) {
		SAY("alloc_sample: the runtime's own heap-profile samples, one per %" PRId64
		    " bytes allocated on average (runtime.MemProfileRate%s), weight = size / (1 - "
		    "exp(-size/rate))%s; ",
		    rate,
		    r->mem_rate_written	    ? ", set by xgotop --mem-profile-rate"
		    : r->mem_rate_start > 0 ? ""
					    : ", assumed",
		    k & XGB_KIND_BIT(XG_EV_ALLOC) && r->plan.large_hi ? ", large ones excepted"
								      : "");
		err = err ?: set_u64(m, TF_KEY_SAMPLE_ALLOC_BYTES, (uint64_t)rate);
	}
	if (k & XGB_KIND_BIT(XG_EV_ALLOC))
		SAY("alloc: every large allocation (runtime.mallocgcLarge), exactly; ");
	if (k & XGB_KIND_BIT(XG_EV_HEAP)) {
		SAY("heap: the runtime's figures read every %u ms; ", r->o.heap_ms);
		err = err ?: set_u64(m, TF_KEY_SAMPLE_HEAP_MS, r->o.heap_ms);
	}
	if (k & XGB_KIND_BIT(XG_EV_SNAPSHOT)) {
		SAY("snapshot: every goroutine's status read every %u ms, an event when it is new "
		    "or its state or wait reason changed; ",
		    r->o.snapshot_ms);
		err = err ?: set_u64(m, TF_KEY_SAMPLE_SNAPSHOT_MS, r->o.snapshot_ms);
	}
	if (r->exit_poll)
		SAY("go_exit: every one, without a probe: the goroutines created are read every %u "
		    "ms, an exit is stamped when seen (up to %u ms late) or just before a new "
		    "goroutine takes its g; ",
		    r->o.exit_ms, r->o.exit_ms);
	SAY("go_create, %sgc_start, gc_end: every one", r->exit_poll ? "" : "go_exit, ");
#undef SAY
	err = err ?: tf_meta__set_str(m, TF_KEY_SAMPLE_BY, by);
	err = err ?: set_global(m, TF_KEY_GLOBALS "gcController", &r->globals.gc_controller);
	err = err ?: set_global(m, TF_KEY_GLOBALS "memstats", &r->globals.memstats);
	err = err ?: set_global(m, TF_KEY_GLOBALS "allglen", &r->globals.allglen);
	err = err ?: set_global(m, TF_KEY_GLOBALS "allgptr", &r->globals.allgptr);
	err = err ?: set_global(m, TF_KEY_GLOBALS "MemProfileRate", &r->globals.mem_profile_rate);
	if (r->mem_rate_written)
		err = err
			  ?: set_u64(m, TF_KEY_TARGET_WRITTEN_MEMPROFILERATE,
				     (uint64_t)r->o.mem_profile_rate);
	if (r->plan.create_mode)
		err = err ?: tf_meta__set_str(m, TF_KEY_CREATION, r->plan.create_mode);
	if (k & XGB_KIND_BIT(XG_EV_GO_EXIT))
		err = err
			  ?: tf_meta__set_str(
				 m, TF_KEY_EXITS,
				 r->exit_poll ? "polled (no probe): seen dead or its g reused"
					      : "probe on runtime.gdestroy/goexit0 (exact time)");
	if (r->exit_poll)
		err = err ?: set_u64(m, TF_KEY_SAMPLE_GO_EXIT_MS, r->o.exit_ms);
	if (r->unavailable[0])
		err = err ?: tf_meta__set_str(m, TF_KEY_UNAVAILABLE, r->unavailable);
	return err;
}

/* What the gc field of gc_start, gc_end and heap events counts. */
static const char *gc_numbering(const struct recorder *r)
{
	if (r->numgc_addr)
		return "the runtime's count (memstats.numgc): gc_start and gc_end carry the number of "
		       "their cycle (GODEBUG=gctrace=1's \"gc N\"), heap the number of cycles "
		       "ended (runtime.MemStats.NumGC)";
	if (r->t.launched)
		return "the runtime's count, counted from the program's start (runtime.memstats "
		       "not found): gc_start and gc_end carry the number of their cycle; heap: 0";
	return "gc_start, gc_end: cycles since the probes were attached (runtime.memstats not "
	       "found); heap: 0";
}

/* gc.ends: when the GC cycles before the recording ended, in trace ns (negative), oldest
 * first, comma-separated (SPEC.md "Metadata"). */
static int gc_ends_meta(const struct recorder *r, struct tf_meta *m)
{
	char *buf;
	size_t len = 0, cap = (size_t)r->n_gc_ends * 24 + 1;
	int err;

	if (!r->n_gc_ends)
		return 0;
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	buf[0] = '\0';
	for (uint32_t i = 0; i < r->n_gc_ends; i++)
		len += (size_t)snprintf(buf + len, cap - len, "%s%" PRId64, i ? "," : "",
					(int64_t)r->gc_ends[i] - (int64_t)r->start_wall);
	err = tf_meta__set_str(m, TF_KEY_GC_ENDS, buf);
	free(buf);
	return err;
}

static int build_meta(struct recorder *r)
{
	const struct gobin_info *bi = gobin__info(r->bin);
	struct tf_meta *m = tf_meta__new();
	char buf[4096], host[256] = "";
	struct utsname un;
	size_t len = 0;
	int err = 0;

	if (!m)
		return -ENOMEM;
	r->meta = m;
	gethostname(host, sizeof(host) - 1);
	uname(&un);
	snprintf(buf, sizeof(buf), "%s", un.release);

	err = err ?: tf_meta__set_str(m, TF_KEY_XGOTOP_VERSION, xg_version);
	err = err ?: tf_meta__set_str(m, TF_KEY_CLOCK, "CLOCK_MONOTONIC");
	err = err ?: tf_meta__set_int(m, TF_KEY_CLOCK_START_NS, (int64_t)r->start_mono);
	err = err ?: tf_meta__set_int(m, TF_KEY_WALL_START_NS, (int64_t)r->start_wall);
	err = err ?: tf_meta__set_str(m, TF_KEY_HOST, host);
	err = err ?: tf_meta__set_str(m, TF_KEY_KERNEL, buf);
	err = err ?: tf_meta__set_int(m, TF_KEY_TARGET_PID, r->t.pid);
	err = err ?: tf_meta__set_str(m, TF_KEY_TARGET_CMDLINE, r->t.cmdline);
	err = err
		  ?: tf_meta__set_str(m, TF_KEY_TARGET_STARTED,
				      r->t.launched ? "launched" : "attached");
	err = err ?: tf_meta__set_str(m, TF_KEY_BINARY_PATH, r->t.exe_path);
	err = err ?: tf_meta__set_str(m, TF_KEY_BINARY_BUILD_ID, bi->build_id);
	err = err ?: tf_meta__set_int(m, TF_KEY_BINARY_LOAD_BIAS, (int64_t)r->bias);
	err = err ?: tf_meta__set_str(m, TF_KEY_GO_VERSION, bi->go_version);
	err = err ?: tf_meta__set_str(m, TF_KEY_GO_ARCH, bi->goarch);
	err = err ?: tf_meta__set_str(m, TF_KEY_MODE, r->production ? "production" : "full");

	buf[0] = '\0';
	for (unsigned int k = 1; k < XG_EV_KIND_MAX; k++)
		if (r->o.kinds & XGB_KIND_BIT(k))
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s",
						len ? "," : "", xg_kind_name(k));
	err = err ?: tf_meta__set_str(m, TF_KEY_EVENTS, buf);
	for (unsigned int k = 1; k < XG_EV_KIND_MAX && !err; k++) {
		char key[TF_KEY_SAMPLE_MAX], val[32];

		/* a fraction per kind; the production kinds that are samples by nature say how
		 * they are sampled in keys of their own (below) */
		if (!(r->o.kinds & XGB_KIND_BIT(k)) ||
		    XG_KIND_IN(XG_KINDS_WITH_FLAGS(XG_KIND_SAMPLES), k))
			continue;
		snprintf(val, sizeof(val), "%.10g", rate_of(&r->o, k));
		err = tf_meta__set_str(m, tf_meta_key_sample(key, sizeof(key), k), val);
	}
	if (r->production)
		err = err ?: production_meta(r, m);
	else
		err = err
			  ?: tf_meta__set_str(
				 m, TF_KEY_SAMPLE_BY,
				 "go_create, go_exit, go_state: whole goroutines (hash of the g "
				 "address); alloc: each allocation at random");
	err = err ?: tf_meta__set_str(m, TF_KEY_STACKS, stacks_meta(r, buf, sizeof(buf)));
	err = err ?: tf_meta__set_str(m, TF_KEY_GC_NUMBERING, gc_numbering(r));
	err = err ?: gc_ends_meta(r, m);
	err = err ?: tf_meta__set_str(m, GO_OFF_META_SOURCE, r->off.source ? r->off.source : "");
	err = err ?: meta_offsets(m, &r->off);
	err = err
		  ?: tf_meta__set_str(m, TF_KEY_ALLOC_MODE,
				      r->plan.alloc_mode ? r->plan.alloc_mode : "");
	err = err ?: tf_meta__set_int(m, TF_KEY_PROBES_COUNT, r->plan.n);

	len = 0;
	buf[0] = '\0';
	for (uint32_t i = 0; i < r->plan.n && len < sizeof(buf) - 1; i++) {
		const struct rec_probe *p = &r->plan.probes[i];

		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s+0x%x", i ? "," : "",
					p->func, p->off);
	}
	err = err ?: tf_meta__set_str(m, TF_KEY_PROBES, buf);
	if (r->plan.warnings[0])
		err = err ?: tf_meta__set_str(m, TF_KEY_PROBES_WARNINGS, r->plan.warnings);
	err = err
		  ?: tf_meta__set_str(m, TF_KEY_TRACED,
				      "this process and all its threads; not its children");
	return err;
}

static int snapshot_at_attach(struct recorder *r);

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
	    .stacks = stack_bits(r),
	    .block_frames = block_frames(r),
	    .create_deferred = r->plan.create_deferred,
	    /* launched: every goroutine's creation is seen, so most goids need no read */
	    .lazy_goid = r->t.launched && (r->o.kinds & XGB_KIND_BIT(XG_EV_GO_STATE)),
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
		uint32_t t = threshold(rate_of(&r->o, k));

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
	if (r->production && (r->exit_poll || (r->o.kinds & (XGB_KIND_BIT(XG_EV_HEAP) |
							     XGB_KIND_BIT(XG_EV_SNAPSHOT) |
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
	if (!r->production && !r->t.launched &&
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
	gc_count_start(r);
	if (r->o.bpf_stats) {
		r->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
		if (r->stats_fd < 0)
			return xg_error(-errno, "BPF_ENABLE_STATS: %s", strerror(errno));
	}
	err = setup_bpf(r, true);
	if (err)
		return err;

	/* trace time 0: just before the first probe can fire */
	r->start_mono = clock_ns(CLOCK_MONOTONIC);
	r->start_wall = clock_ns(CLOCK_REALTIME);
	err = build_meta(r);
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
		struct rec_walk_opts wk = {
		    .ing = r->ing, .bin = r->bin, .bias = r->bias, .stacks = walk_stacks(r)};

		r->walk = rec_walk__new(&wk);
		if (!r->walk)
			return -errno;
	}
	r->rb = ring_buffer__new(bpf_map__fd(r->bpf.events), rec_ingest__record, r->ing, NULL);
	if (!r->rb)
		return xg_error(-errno, "BPF: ring buffer: %s", strerror(errno));

	err = rec_bpf__attach(&r->bpf, &r->plan, r->t.pid, r->t.exe);
	if (err == -EOPNOTSUPP) {
		/* no uprobe_multi (Linux < 6.6): one perf-event uprobe per probe */
		ring_buffer__free(r->rb);
		r->rb = NULL;
		rec_bpf__close(&r->bpf);
		r->bpf_ok = false;
		free(r->lost_seen);
		r->lost_seen = NULL;
		err = setup_bpf(r, false);
		if (!err) {
			r->rb = ring_buffer__new(bpf_map__fd(r->bpf.events), rec_ingest__record,
						 r->ing, NULL);
			err = r->rb ? 0 : xg_error(-errno, "BPF: ring buffer: %s", strerror(errno));
		}
		if (!err)
			err = rec_bpf__attach(&r->bpf, &r->plan, r->t.pid, r->t.exe);
	}
	if (!err && (r->o.kinds & XGB_KIND_BIT(XG_EV_CPU_SAMPLE)))
		err = rec_bpf__attach_cpu(&r->bpf, r->o.cpu_hz);
	if (!err)
		err = rec_bpf__set_enabled(&r->bpf, true);
	if (!err && r->poll && !r->production)
		err = snapshot_at_attach(r);
	if (err)
		return err;
	r->cpu_start_ns = r->cpu_last_ns = process_cpu_ns(r->t.pid);
	rec_ingest__set_mem_rate(r->ing, r->mem_rate_start);
	if (!r->o.quiet)
		fprintf(stderr, "xgotop record: recording pid %d (%s), %s mode, %u probes, to %s\n",
			r->t.pid, r->t.comm, r->production ? "production" : "full", r->plan.n,
			r->out_path);
	if (!r->o.quiet && r->unavailable[0])
		fprintf(stderr, "xgotop record: not available for this binary: %s\n",
			r->unavailable);
	return rec_target__resume(&r->t);
}

/* --- running --------------------------------------------------------------------------------- */

/* Turns new drops (per CPU and kind) into lost events. Returns how many were new. */
static uint64_t collect_lost(struct recorder *r, uint64_t now_ts)
{
	uint64_t vals[512], fresh = 0;
	int fd = bpf_map__fd(r->bpf.lost);

	if (r->ncpus > 512)
		return 0;
	for (uint32_t k = 0; k < XGB_NKINDS; k++) {
		if (bpf_map_lookup_elem(fd, &k, vals))
			continue;
		for (int c = 0; c < r->ncpus; c++) {
			uint64_t *seen = &r->lost_seen[(size_t)c * XGB_NKINDS + k];
			struct xg_event ev = {0};

			if (vals[c] <= *seen)
				continue;
			ev.ts = now_ts;
			ev.kind = XG_EV_LOST;
			ev.cpu = (uint16_t)c;
			ev.of = (uint8_t)k;
			ev.count = vals[c] - *seen;
			*seen = vals[c];
			if (k < XG_EV_KIND_MAX)
				r->lost[k] += ev.count;
			fresh += ev.count;
			rec_ingest__push(r->ing, &ev);
		}
	}
	return fresh;
}

/* Reads what the ring buffer holds; while the reorder queue is full, delivers the oldest. */
static int drain(struct recorder *r)
{
	for (;;) {
		int n = ring_buffer__consume(r->rb);

		if (n != -EAGAIN)
			return n < 0 && n != -EINTR ? n : 0;
		n = rec_ingest__release(r->ing, clock_ns(CLOCK_MONOTONIC), false);
		if (n)
			return n < 0 ? n : 0;
	}
}

/* Stops polling (the target is gone, or its memory does not hold what it should). */
static void poll_stop(struct recorder *r, int err)
{
	if (err != -ESRCH && !r->poll_error[0])
		snprintf(r->poll_error, sizeof(r->poll_error), "%s", xg_errmsg());
	rec_poll__free(r->poll);
	r->poll = NULL;
}

/*
 * Full mode, attached: the goroutines that were there before the probes (state, wait reason,
 * start and creation site, parent), as snapshot events from one walk right after the probes
 * were enabled, so that every goroutine the trace shows has its start function. Production
 * mode's walks do the same once a second.
 */
static int snapshot_at_attach(struct recorder *r)
{
	int err = rec_walk__run(r->walk, r->poll, clock_ns(CLOCK_MONOTONIC), false);

	if (err < 0)
		return xg_error(err, "reading the goroutines at attach: %s", xg_errmsg());
	r->polls_snapshot = 1;
	return 0;
}

/* Exits without a probe: reads every goroutine believed alive; a g that is dead, or carries
 * another goroutine now, says its goroutine has exited, at the latest now. */
static int poll_exits(struct recorder *r)
{
	const uint64_t *gs, *goids;
	size_t n = rec_ingest__live(r->ing, &gs, &goids);
	uint64_t seen;
	int err;

	if (!n)
		return 0;
	if (n > r->gread_cap) {
		struct rec_gsnap *a = realloc(r->gread, n * 2 * sizeof(*a));

		if (!a)
			return -ENOMEM;
		r->gread = a;
		r->gread_cap = n * 2;
	}
	err = rec_poll__read_gs(r->poll, gs, n, r->gread);
	if (err)
		return err;
	seen = clock_ns(CLOCK_MONOTONIC);
	for (size_t i = 0; i < n; i++) {
		const struct rec_gsnap *s = &r->gread[i];

		if (s->state != XG_G_DEAD && s->goid == goids[i])
			continue;
		/* (the arrays stay valid: exited() does not touch them) */
		err = rec_ingest__exited(r->ing, gs[i], goids[i], seen);
		if (err)
			return err;
		r->exits_polled++;
	}
	return 0;
}

/* Production mode: the heap figures and the goroutine snapshot, when due (or now). */
static void poll_target(struct recorder *r, uint64_t now, bool force)
{
	uint64_t t0;
	int err;

	if (!r->poll)
		return;
	if ((r->o.kinds & XGB_KIND_BIT(XG_EV_HEAP)) && (force || now >= r->next_heap)) {
		struct rec_heap h;
		struct xg_event ev = {0};

		t0 = clock_ns(CLOCK_MONOTONIC);
		err = rec_poll__heap(r->poll, &h);
		if (err) {
			poll_stop(r, err);
			return;
		}
		ev.ts = t0 - r->start_mono;
		ev.kind = XG_EV_HEAP;
		ev.gc = h.numgc;
		ev.heap_live = h.heap_live;
		ev.heap_goal = h.heap_goal;
		ev.total_alloc = h.total_alloc;
		ev.total_free = h.total_free;
		rec_ingest__push(r->ing, &ev);
		/* the runtime zeroes it at start-up when profiling is off: set it again */
		if (r->mem_rate_written && h.mem_profile_rate == 0 &&
		    !rec_poll__set_mem_rate(r->poll, r->o.mem_profile_rate))
			h.mem_profile_rate = r->o.mem_profile_rate;
		rec_ingest__set_mem_rate(r->ing, h.mem_profile_rate);
		r->polls_heap++;
		r->poll_ns += clock_ns(CLOCK_MONOTONIC) - t0;
		r->next_heap = now + (uint64_t)r->o.heap_ms * 1000000;
	}
	if ((r->o.kinds & XGB_KIND_BIT(XG_EV_SNAPSHOT)) && (force || now >= r->next_snapshot)) {
		/* the snapshot's time is the start of the walk: every status read after it, so
		 * an exit seen by the probes before the walk read the g is older than ts */
		/* an attached target's goroutines from before the probes: their exits too */
		t0 = clock_ns(CLOCK_MONOTONIC);
		err = rec_walk__run(r->walk, r->poll, t0,
				    r->exit_poll && !r->t.launched && !r->polls_snapshot);
		if (err < 0) {
			poll_stop(r, err);
			return;
		}
		err = rec_ingest__walk_done(r->ing, t0);
		if (err) {
			poll_stop(r, err);
			return;
		}
		r->polls_snapshot++;
		r->poll_ns += clock_ns(CLOCK_MONOTONIC) - t0;
		r->next_snapshot = now + (uint64_t)r->o.snapshot_ms * 1000000;
	}
	if (r->exit_poll && (force || now >= r->next_exit)) {
		t0 = clock_ns(CLOCK_MONOTONIC);
		err = poll_exits(r);
		if (err) {
			poll_stop(r, err);
			return;
		}
		r->polls_exit++;
		r->poll_ns += clock_ns(CLOCK_MONOTONIC) - t0;
		r->next_exit = now + (uint64_t)r->o.exit_ms * 1000000;
	}
}

/* SIGHUP: apply the rates now in opts.sample_file. */
static void reload_samples(struct recorder *r)
{
	struct recorder_opts o = {0};

	if (read_sample_file(r->o.sample_file, &o)) {
		fprintf(stderr, "xgotop record: %s (sampling unchanged)\n", xg_errmsg());
		return;
	}
	for (unsigned int k = 0; k < XG_EV_KIND_MAX; k++) {
		if (!o.sample_set[k] || recorder__set_sample(r, k, o.sample[k]))
			continue;
		if (!r->o.quiet)
			fprintf(stderr, "xgotop record: sampling %s at %g from now on\n",
				xg_kind_name(k), o.sample[k]);
	}
}

/* What woke the event loop (epoll_event.data.u32). */
enum {
	EP_RING,   /* the ring buffer has records */
	EP_SIGNAL, /* SIGINT, SIGTERM or SIGHUP (signalfd) */
	EP_TARGET, /* the target exited (pidfd) */
};

static int epoll_add(int epfd, int fd, uint32_t tag, const char *what)
{
	struct epoll_event e = {.events = EPOLLIN, .data.u32 = tag};

	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &e))
		return xg_error(-errno, "epoll_ctl(ADD) of the %s (fd %d): %s", what, fd,
				strerror(errno));
	return 0;
}

int recorder__run(struct recorder *r, struct sink *sink)
{
	struct sink_pump *pump = &r->pump;
	struct epoll_event evs[4];
	struct sink_info info = {0};
	char source[PATH_MAX + 64];
	uint64_t next_tick, last_tick, deadline = 0, stop_mono;
	sigset_t sigs;
	int epfd = -1, sfd = -1, err = 0;

	sink_pump__init(pump, sink);
	pump->st.speed = 1;
	snprintf(source, sizeof(source), "pid %d (%s)", r->t.pid, r->t.comm);
	info.meta = r->meta;
	info.names = tf_writer__tables(r->w);
	info.source = source;

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	if (r->o.sample_file)
		sigaddset(&sigs, SIGHUP);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (sfd < 0 || epfd < 0) {
		err = xg_error(-errno, "signalfd/epoll: %s", strerror(errno));
		goto out;
	}
	err = epoll_add(epfd, ring_buffer__epoll_fd(r->rb), EP_RING, "ring buffer");
	if (!err)
		err = epoll_add(epfd, sfd, EP_SIGNAL, "signalfd");
	if (!err)
		err = epoll_add(epfd, r->t.pidfd, EP_TARGET, "target's pidfd");
	if (err)
		goto out;
	rec_ingest__set_pump(r->ing, pump);
	if (sink_pump__begin(pump, &info))
		goto finish;

	/* the reader thread (only: the target and the writer's thread keep their priority) runs
	 * ahead of the target's threads, so that a busy target does not delay the outputs; what
	 * it does per event is small. Needs CAP_SYS_NICE; without it, nothing changes. */
	if (setpriority(PRIO_PROCESS, (id_t)gettid(), READER_NICE))
		errno = 0;
	last_tick = clock_ns(CLOCK_MONOTONIC);
	next_tick = last_tick + TICK_NS;
	if (r->o.duration_ns)
		deadline = r->start_mono + r->o.duration_ns;
	while (!pump->stopped) {
		uint64_t now = clock_ns(CLOCK_MONOTONIC);
		int timeout = r->o.poll_ms, n;

		if (deadline && now >= deadline) {
			sink_pump__stop(pump, "duration reached");
			break;
		}
		/* wake at the deadline, so that the recording stops there */
		if (deadline && (timeout < 0 || deadline - now < (uint64_t)timeout * 1000000))
			timeout = (int)((deadline - now + 999999) / 1000000);
		n = epoll_wait(epfd, evs, 4, timeout);
		if (n < 0 && errno != EINTR) {
			err = xg_error(-errno, "epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			if (evs[i].data.u32 == EP_SIGNAL) {
				struct signalfd_siginfo si;

				if (read(sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
					continue;
				if (si.ssi_signo == SIGHUP) {
					reload_samples(r);
					continue;
				}
				sink_pump__stop(pump, si.ssi_signo == SIGINT ? "interrupted"
									     : "terminated");
			} else if (evs[i].data.u32 == EP_TARGET) {
				/* its CPU time while it is a zombie, before it is reaped */
				sample_target_cpu(r);
				if (rec_target__poll_exit(&r->t))
					sink_pump__stop(pump, "target exited");
			}
		}
		err = drain(r);
		if (err) {
			xg_error(err, "ring buffer: %s", strerror(-err));
			break;
		}
		now = clock_ns(CLOCK_MONOTONIC);
		poll_target(r, now, false);
		if (now >= next_tick) {
			collect_lost(r, now - r->start_mono);
			sample_target_cpu(r);
			next_tick = now + TICK_NS;
		}
		err = rec_ingest__release(r->ing, now, false);
		if (err) {
			sink_pump__stop(pump, "trace file write failed");
			break;
		}
		if (now - last_tick >= TICK_NS) {
			struct sink_control c;

			last_tick = now;
			pump->st.now_ts = now - r->start_mono;
			if (sink_pump__tick(pump))
				break;
			sink_control__take(&pump->ctl, &c);
			if (c.quit)
				sink_pump__stop(pump, "quit");
		}
	}

finish:
	/* the last figures of a target that still runs, and its own sampling rate back */
	if (r->poll && !r->t.exited) {
		poll_target(r, clock_ns(CLOCK_MONOTONIC), true);
		if (r->poll && r->mem_rate_written &&
		    rec_poll__mem_rate(r->poll) == r->o.mem_profile_rate)
			rec_poll__set_mem_rate(r->poll, r->mem_rate_orig);
	}
	/* the moment the recording stopped: the file's span ends here (tf_writer__set_stop),
	 * and what the probes see later is not part of it */
	stop_mono = clock_ns(CLOCK_MONOTONIC);
	tf_writer__set_stop(r->w, stop_mono - r->start_mono);
	rec_ingest__cut(r->ing, stop_mono);
	/* no new events from here on; what the kernel queued is still delivered (to the file,
	 * and to outputs that did not stop) */
	if (!r->t.exited)
		sample_target_cpu(r);
	if (r->bpf_ok)
		rec_bpf__detach(&r->bpf);
	rec_ingest__stop_latency(r->ing);
	if (!err)
		err = drain(r);
	collect_lost(r, stop_mono - r->start_mono); /* dropped before the stop */
	if (!err)
		err = rec_ingest__release(r->ing, clock_ns(CLOCK_MONOTONIC), true);
	/* what the probes cost: counted before the measurement adds its own hits */
	if (r->bpf_ok) {
		r->traps = rec_bpf__traps(&r->bpf);
		if (r->traps && rec_bpf__trap_cost(&r->bpf, &r->trap_ns))
			snprintf(r->trap_error, sizeof(r->trap_error), "%s", xg_errmsg());
	}
	if (r->t.launched && !r->t.exited)
		rec_target__stop(&r->t, TARGET_STOP_GRACE_MS);
	rec_target__poll_exit(&r->t);
	rec_target__describe(&r->t, r->status, sizeof(r->status));
	pump->st.now_ts = clock_ns(CLOCK_MONOTONIC) - r->start_mono;
	err = sink_pump__end(pump, err, "stopped");
out:
	rec_ingest__set_pump(r->ing, NULL);
	sink_pump__destroy(pump);
	if (sfd >= 0)
		close(sfd);
	if (epfd >= 0)
		close(epfd);
	return err;
}

int recorder__set_sample(struct recorder *r, unsigned int kind, double rate)
{
	uint32_t t = threshold(rate);

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
	ring_buffer__free(r->rb);
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
