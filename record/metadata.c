// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What a recording says about itself: the metadata the recorder writes into the trace
 * (format/metakeys.h for the keys), from the binary, the plan, the options and what the target's
 * memory held at the start.
 */
#include <sys/random.h>

#include "record/recorder_internal.h"

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
uint8_t rec__stack_bits(const struct recorder *r)
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
uint8_t rec__block_frames(const struct recorder *r)
{
	return r->o.stacks == RECORDER_STACKS_ALL ? 0 : RECORDER_BLOCK_FRAMES;
}

/* Whether snapshots of blocked goroutines carry the stack they wait in: always in production
 * mode (they cost the target nothing), with the stacks of blocking events in full mode (its
 * walk at attach). */
bool rec__walk_stacks(const struct recorder *r)
{
	return r->production || (rec__stack_bits(r) & XGB_STACKS_BLOCK);
}

/* The "stacks" metadata: "off", or "frame pointers (KIND, ...)" for the kinds recorded with a
 * stack. */
static const char *stacks_meta(const struct recorder *r, char *buf, size_t size)
{
	static const char head[] = "frame pointers (";
	uint8_t bits = rec__stack_bits(r);
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
	    {XG_EV_SNAPSHOT, rec__walk_stacks(r) && snapshots, ""},
	};

	snprintf(buf, size, "%s", head);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]) && len < size; i++) {
		if (!kinds[i].on || (kinds[i].kind != XG_EV_SNAPSHOT &&
				     !(r->o.kinds & XGB_KIND_BIT(kinds[i].kind))))
			continue;
		len += (size_t)snprintf(buf + len, size - len, "%s%s%s", n++ ? ", " : "",
					xg_kind_name(kinds[i].kind), kinds[i].what);
		if (kinds[i].kind == XG_EV_GO_STATE && rec__block_frames(r) && len < size)
			len += (size_t)snprintf(buf + len, size - len, " with the first %u frames",
						rec__block_frames(r));
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
	if (r->budget_limit >= 0) {
		char b[96];

		snprintf(b, sizeof(b), "%g%% of the target's CPU; a trap costs %.2f us here",
			 r->budget_limit * 100, r->trap_ns / 1000);
		err = err ?: tf_meta__set_str(m, TF_KEY_BUDGET, b);
	}
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
	if (k & XGB_KIND_BIT(XG_EV_SCHED))
		SAY("sched: the scheduler's counts read every %u ms; ", r->o.heap_ms);
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
	if (k & XGB_KIND_BIT(XG_EV_SCHED)) {
		err = err ?: set_global(m, TF_KEY_GLOBALS "sched", &r->globals.sched);
		err = err ?: set_global(m, TF_KEY_GLOBALS "allp", &r->globals.allp);
		err = err ?: set_global(m, TF_KEY_GLOBALS "gomaxprocs", &r->globals.gomaxprocs);
	}
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

/* 128 random bits for trace.id; none (readers derive one) if the kernel gives none. */
static int meta_trace_id(struct tf_meta *m)
{
	unsigned char b[TF_TRACE_ID_LEN / 2];
	char id[TF_TRACE_ID_LEN + 1];

	if (getrandom(b, sizeof(b), GRND_NONBLOCK) != (ssize_t)sizeof(b))
		return 0;
	for (size_t i = 0; i < sizeof(b); i++)
		snprintf(id + 2 * i, 3, "%02x", b[i]);
	return tf_meta__set_str(m, TF_KEY_TRACE_ID, id);
}

int rec__build_meta(struct recorder *r)
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
	err = err ?: meta_trace_id(m);
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
		snprintf(val, sizeof(val), "%.10g", rec__rate_of(&r->o, k));
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
