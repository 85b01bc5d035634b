// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The BPF object (record/bpfobj.h), opened and loaded through the bpftool skeleton
 * ($(OUTPUT)/xgotop.skel.h, which embeds the ELF image): programs, maps and knobs are the
 * skeleton's fields, so that renaming one in bpf/xgotop.bpf.c is a compile error here. The
 * probes are attached here rather than by the skeleton's attach: their places come from the
 * probe plan.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "record/bpfobj.h"
#include "util/err.h"
#include "xgotop.skel.h"

/*
 * BPF_LINK_CREATE for uprobe_multi (Linux 6.6), which the system's <linux/bpf.h> (6.1) and
 * libbpf 1.1 do not know: the attach type and this member of union bpf_attr's link_create,
 * as in the kernel's UAPI.
 */
#define XG_BPF_LINK_CREATE	  28
#define XG_BPF_TRACE_UPROBE_MULTI 48

struct xg_link_create_uprobe_multi {
	__u32 prog_fd;
	__u32 target_fd;
	__u32 attach_type;
	__u32 flags;
	__u64 path;
	__u64 offsets;
	__u64 ref_ctr_offsets;
	__u64 cookies;
	__u32 cnt;
	__u32 um_flags;
	__u32 pid;
	__u32 pad;
};

/* REC_PROGS is every program of the object */
_Static_assert(sizeof(((struct xgotop *)0)->progs) == REC_PROG_MAX * sizeof(struct bpf_program *),
	       "REC_PROGS (record/plan.h) lists every program of bpf/xgotop.bpf.c");

static void set_knobs(struct xgotop__rodata *ro, const struct rec_bpf_knobs *k)
{
	const struct go_offsets *o = k->off;
	uint64_t seed;

	ro->targ_tgid = k->tgid;
	ro->kinds = k->kinds;
	ro->stacks = k->stacks;
	ro->block_frames = k->block_frames;
	ro->create_deferred = k->create_deferred;
	ro->lazy_goid = k->lazy_goid;
	ro->wakeup_bytes = k->wakeup_bytes;
	/* no entropy (a very early boot): the same goroutines each time, still at the rate */
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
		seed = 0;
	ro->sample_seed = seed;
	/* every offset marked BPF in gobin/offsets_fields.h: ro->off_<name> = o-><name> */
#define SET_OFF(name, gotype, path, need, meta, bpf, desc)                                         \
	GO_OFF_IF_##bpf(ro->off_##name = o->name;)
	GO_OFFSETS_FIELDS(SET_OFF)
#undef SET_OFF
	ro->cpu_tgid = k->cpu_tgid;
	if (k->tls_g_off)
		ro->tls_g_off = k->tls_g_off; /* else the object's default, GO_TLS_G_OFF_DEFAULT */
	ro->large_lo = k->large_lo;
	ro->large_hi = k->large_hi;
	ro->numgc_addr = k->numgc_addr;
	ro->numgc_start = k->numgc_start;
	ro->gcc_addr = k->gcc_addr;
}

int rec_bpf__open(struct rec_bpf *b, const struct rec_bpf_knobs *k)
{
	struct xgotop *skel;
	int err, ncpus;

	memset(b, 0, sizeof(*b));
	for (int p = 0; p < REC_PROG_MAX; p++)
		b->multi_fds[p] = -1;
	b->multi = k->multi;
	/* libbpf copies the embedded image */
	skel = xgotop__open();
	if (!skel) {
		err = -errno;
		return xg_error(err, "BPF: cannot open the object: %s", strerror(-err));
	}
	b->skel = skel;
	b->events = skel->maps.events;
	b->lost = skel->maps.lost;
	b->sample = skel->maps.sample;
	b->sites = skel->maps.sites;
	b->typsites = skel->maps.typsites;
	b->wrappers = skel->maps.wrappers;
	b->traps = skel->maps.traps;
#define PROG_OF_SKEL(e, name) b->progs[REC_PROG_##e] = skel->progs.name;
	REC_PROGS(PROG_OF_SKEL)
#undef PROG_OF_SKEL
	for (int p = 0; p < REC_PROG_MAX && b->multi; p++)
		if (REC_PROG_IS_UPROBE(p))
			bpf_program__set_expected_attach_type(b->progs[p],
							      XG_BPF_TRACE_UPROBE_MULTI);
	set_knobs(skel->rodata, k);
	err = bpf_map__set_max_entries(b->events, (uint32_t)k->ringbuf_bytes);
	if (err) {
		xg_error(err, "BPF: ring buffer size %zu: %s", k->ringbuf_bytes, strerror(-err));
		goto fail;
	}
	/* a row of hit counters and a stack record buffer per CPU */
	ncpus = libbpf_num_possible_cpus();
	err = ncpus > 0 ? bpf_map__set_max_entries(b->traps, (uint32_t)ncpus * XGB_TRAP_STRIDE)
			: ncpus;
	err = err ?: bpf_map__set_max_entries(skel->maps.scratch, (uint32_t)ncpus);
	if (err) {
		xg_error(err, "BPF: per-CPU maps for %d CPUs: %s", ncpus, strerror(-err));
		goto fail;
	}
	return 0;
fail:
	rec_bpf__close(b);
	return err;
}

int rec_bpf__load(struct rec_bpf *b)
{
	int err = xgotop__load(b->skel);

	if (err)
		return xg_error(
		    err, "BPF: load failed: %s (run as root, or with CAP_BPF and CAP_PERFMON)",
		    strerror(-err));
	return 0;
}

/* One uprobe_multi link of prog on n offsets of path, for process pid: its fd, or -errno. */
static int link_multi(struct bpf_program *prog, const char *path, const uint64_t *offs,
		      const uint64_t *cookies, uint32_t n, pid_t pid)
{
	struct xg_link_create_uprobe_multi a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.prog_fd = (__u32)bpf_program__fd(prog);
	a.attach_type = XG_BPF_TRACE_UPROBE_MULTI;
	a.path = (__u64)(uintptr_t)path;
	a.offsets = (__u64)(uintptr_t)offs;
	a.cookies = (__u64)(uintptr_t)cookies;
	a.cnt = n;
	a.pid = (__u32)pid;
	fd = (int)syscall(__NR_bpf, XG_BPF_LINK_CREATE, &a, sizeof(a));
	return fd < 0 ? -errno : fd;
}

/* Program p's probes of plan as one uprobe_multi link (none when it has no probe). */
static int attach_multi(struct rec_bpf *b, const struct rec_plan *plan, int p, pid_t pid,
			const char *path)
{
	uint64_t *offs = calloc(plan->n ? plan->n : 1, sizeof(*offs));
	uint64_t *cookies = calloc(plan->n ? plan->n : 1, sizeof(*cookies));
	int err = offs && cookies ? 0 : -ENOMEM;
	uint32_t n = 0;
	int fd;

	for (uint32_t i = 0; i < plan->n && !err; i++) {
		if (plan->probes[i].prog != (enum rec_prog)p)
			continue;
		offs[n] = plan->probes[i].file_off;
		cookies[n] = plan->probes[i].cookie;
		n++;
	}
	if (!err && n) {
		fd = link_multi(b->progs[p], path, offs, cookies, n, pid);
		if (fd >= 0)
			b->multi_fds[p] = fd;
		else if (fd == -EINVAL || fd == -EOPNOTSUPP || fd == -ENOSYS || fd == -E2BIG)
			err =
			    xg_error(-EOPNOTSUPP, "BPF: no uprobe_multi links: %s", strerror(-fd));
		else
			err = xg_error(fd, "attaching %s (%u probes) to %s: %s", rec_prog_name(p),
				       n, path, strerror(-fd));
	}
	free(offs);
	free(cookies);
	return err;
}

/* Program p's probes of plan as perf-event uprobes: links[i] is plan->probes[i]'s. */
static int attach_perf(struct rec_bpf *b, const struct rec_plan *plan, int p, pid_t pid,
		       const char *path)
{
	if (!b->links) {
		b->links = calloc(plan->n ? plan->n : 1, sizeof(*b->links));
		if (!b->links)
			return -ENOMEM;
		b->nlinks = plan->n;
	}
	for (uint32_t i = 0; i < plan->n; i++) {
		const struct rec_probe *q = &plan->probes[i];
		struct bpf_uprobe_opts uo = {.sz = sizeof(uo), .bpf_cookie = q->cookie};

		if (q->prog != (enum rec_prog)p || b->links[i])
			continue;
		b->links[i] =
		    bpf_program__attach_uprobe_opts(b->progs[p], pid, path, q->file_off, &uo);
		if (!b->links[i])
			return xg_error(
			    -errno, "attaching %s at %s+%u (file offset 0x%" PRIx64 "): %s",
			    rec_prog_name(q->prog), q->func, q->off, q->file_off, strerror(errno));
	}
	return 0;
}

int rec_bpf__attach_prog(struct rec_bpf *b, const struct rec_plan *plan, int p, pid_t pid,
			 const char *path)
{
	if (p < 0 || p >= REC_PROG_MAX || !REC_PROG_IS_UPROBE(p))
		return -EINVAL;
	if (b->multi)
		return b->multi_fds[p] >= 0 ? 0 : attach_multi(b, plan, p, pid, path);
	return attach_perf(b, plan, p, pid, path);
}

int rec_bpf__attach(struct rec_bpf *b, const struct rec_plan *plan, pid_t pid, const char *path,
		    uint32_t skip)
{
	int err = 0;

	for (int p = 0; p < REC_PROG_MAX && !err; p++)
		if (REC_PROG_IS_UPROBE(p) && !(skip & (1u << p)))
			err = rec_bpf__attach_prog(b, plan, p, pid, path);
	return err;
}

/* Links being taken out by a thread of their own. */
struct rec_bpf_gone {
	pthread_t th;
	int fd; /* a uprobe_multi link, or -1 */
	struct bpf_link **links;
	uint32_t n;
};

static void *gone_run(void *arg)
{
	struct rec_bpf_gone *g = arg;

	if (g->fd >= 0)
		close(g->fd);
	for (uint32_t i = 0; i < g->n; i++)
		bpf_link__destroy(g->links[i]);
	return NULL;
}

static void gone_join(struct rec_bpf_gone *g)
{
	pthread_join(g->th, NULL);
	free(g->links);
	free(g);
}

void rec_bpf__detach_prog(struct rec_bpf *b, const struct rec_plan *plan, int p)
{
	struct rec_bpf_gone *g;

	if (p < 0 || p >= REC_PROG_MAX)
		return;
	g = calloc(1, sizeof(*g));
	if (g)
		g->links = calloc(b->nlinks ? b->nlinks : 1, sizeof(*g->links));
	if (!g || !g->links) {
		free(g);
		g = NULL;
	} else {
		g->fd = -1;
	}
	if (b->multi_fds[p] >= 0) {
		if (g)
			g->fd = b->multi_fds[p];
		else
			close(b->multi_fds[p]);
	}
	b->multi_fds[p] = -1;
	for (uint32_t i = 0; i < b->nlinks && i < plan->n; i++)
		if (plan->probes[i].prog == (enum rec_prog)p && b->links[i]) {
			if (g)
				g->links[g->n++] = b->links[i];
			else
				bpf_link__destroy(b->links[i]);
			b->links[i] = NULL;
		}
	if (!g)
		return;
	/* the oldest first when all slots are taken (by then it has long ended) */
	if (b->ngone == REC_BPF_GONE_MAX) {
		gone_join(b->gone[0]);
		memmove(b->gone, b->gone + 1, (REC_BPF_GONE_MAX - 1) * sizeof(b->gone[0]));
		b->ngone--;
	}
	if (pthread_create(&g->th, NULL, gone_run, g)) {
		gone_run(g);
		free(g->links);
		free(g);
		return;
	}
	b->gone[b->ngone++] = g;
}

int rec_bpf__set_prog_off(struct rec_bpf *b, int p, bool off)
{
	if (p < 0 || p >= XGB_NPROGS)
		return -EINVAL;
	if (!b->skel || !b->skel->bss)
		return xg_error(-EINVAL, "BPF object: .bss is not mapped");
	__atomic_store_n(&b->skel->bss->prog_off[p], off, __ATOMIC_RELEASE);
	return 0;
}

int rec_bpf__clear_pending(struct rec_bpf *b)
{
	int fd = b->skel ? bpf_map__fd(b->skel->maps.pending) : -1;
	__u64 key;

	if (fd < 0)
		return xg_error(-EINVAL, "BPF object: no pending map");
	/* each deletion makes the first key the next one */
	while (!bpf_map_get_next_key(fd, NULL, &key))
		if (bpf_map_delete_elem(fd, &key) && errno != ENOENT)
			return xg_error(-errno, "BPF: pending map: %s", strerror(errno));
	return 0;
}

int rec_bpf__attach_cpu(struct rec_bpf *b, unsigned int hz)
{
	struct perf_event_attr a;
	int n = libbpf_num_possible_cpus();

	if (n <= 0)
		return xg_error(-EINVAL, "cannot count CPUs");
	b->cpu_links = calloc((size_t)n, sizeof(*b->cpu_links));
	if (!b->cpu_links)
		return -ENOMEM;
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_CPU_CLOCK;
	a.freq = 1;
	a.sample_freq = hz;
	for (int cpu = 0; cpu < n; cpu++) {
		int fd = (int)syscall(__NR_perf_event_open, &a, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
		struct bpf_link *l;

		if (fd < 0) {
			if (errno == ENODEV || errno == ENOENT) /* possible but not online */
				continue;
			return xg_error(-errno, "perf_event_open (CPU clock at %u Hz, CPU %d): %s",
					hz, cpu, strerror(errno));
		}
		l = bpf_program__attach_perf_event(b->progs[REC_PROG_CPU_SAMPLE], fd);
		if (!l) {
			int err = -errno;

			close(fd);
			return xg_error(err, "attaching cpu_sample to CPU %d: %s", cpu,
					strerror(-err));
		}
		b->cpu_links[b->ncpu_links++] = l;
	}
	return 0;
}

int rec_bpf__set_enabled(struct rec_bpf *b, bool on)
{
	/* once loaded, the skeleton maps .bss into this process (Linux 5.5+): one store */
	if (!b->skel || !b->skel->bss)
		return xg_error(-EINVAL, "BPF object: cannot %s the probes: .bss is not mapped",
				on ? "enable" : "disable");
	__atomic_store_n(&b->skel->bss->enabled, on, __ATOMIC_RELEASE);
	return 0;
}

/* REC_PROGS and enum xgb_prog list the programs in one order */
#define PROG_SAME(e, name)                                                                         \
	_Static_assert((int)REC_PROG_##e == (int)XGB_PROG_##e,                                     \
		       "enum xgb_prog (bpf/events.h) follows REC_PROGS: " #name);
REC_PROGS(PROG_SAME)
#undef PROG_SAME
_Static_assert((int)REC_PROG_MAX == (int)XGB_NPROGS,
	       "enum xgb_prog has every program of REC_PROGS");

int rec_bpf__prog_traps(struct rec_bpf *b, uint64_t hits[XGB_NPROGS])
{
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	uint32_t n = b->traps ? bpf_map__max_entries(b->traps) : 0, count = n, next;
	uint32_t *keys = NULL;
	uint64_t *v = NULL;
	int err = 0;

	memset(hits, 0, XGB_NPROGS * sizeof(*hits));
	if (!n)
		return -EINVAL;
	keys = calloc(n, sizeof(*keys));
	v = calloc(n, sizeof(*v));
	if (!keys || !v) {
		err = -ENOMEM;
		goto out;
	}
	/* every CPU's row in one call (an array's last batch ends with ENOENT) */
	if (bpf_map_lookup_batch(bpf_map__fd(b->traps), NULL, &next, keys, v, &count, &o) &&
	    errno != ENOENT) {
		err = -errno;
		goto out;
	}
	for (uint32_t i = 0; i < count && i < n; i++)
		if (keys[i] % XGB_TRAP_STRIDE < XGB_NPROGS)
			hits[keys[i] % XGB_TRAP_STRIDE] += v[i];
out:
	free(keys);
	free(v);
	return err;
}

uint64_t rec_bpf__traps(struct rec_bpf *b)
{
	uint64_t hits[XGB_NPROGS], sum = 0;

	rec_bpf__prog_traps(b, hits);
	for (int p = 0; p < XGB_NPROGS; p++)
		sum += hits[p];
	return sum;
}

/*
 * xg_trap_site: what a probe at a Go function's usual site meets, in xgotop itself: an
 * instruction the kernel emulates (x86-64: the `push %rbp` after the stack check; arm64: the
 * `b.ls` of the stack check, simulated), reached by calling xg_trap_target.
 */
void xg_trap_target(void);
void xg_trap_site(void);
#if defined(__x86_64__)
__asm__(".text\n"
	".globl xg_trap_target\n"
	".globl xg_trap_site\n"
	".type xg_trap_target, @function\n"
	"xg_trap_target:\n"
	"xg_trap_site:\n"
	"	push %rbp\n"
	"	mov %rsp, %rbp\n"
	"	pop %rbp\n"
	"	ret\n"
	".size xg_trap_target, .-xg_trap_target\n");
#elif defined(__aarch64__)
__asm__(".text\n"
	".globl xg_trap_target\n"
	".globl xg_trap_site\n"
	".type xg_trap_target, %function\n"
	"xg_trap_target:\n"
	"	cmp sp, #0\n"
	"xg_trap_site:\n"
	"	b.ls 1f\n" /* never taken */
	"1:	ret\n"
	".size xg_trap_target, .-xg_trap_target\n");
#else
#error "xgotop: unsupported architecture (x86-64 and arm64 only)"
#endif

/* The file offset of addr in this executable, from /proc/self/maps; 0 when not found. */
static uint64_t self_file_off(uintptr_t addr)
{
	FILE *f = fopen("/proc/self/maps", "re");
	unsigned long lo, hi, off;
	char line[512];
	uint64_t res = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx %*s %lx", &lo, &hi, &off) == 3 && addr >= lo &&
		    addr < hi) {
			res = addr - lo + off;
			break;
		}
	fclose(f);
	return res;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

enum { TRAP_ROUNDS = 7, TRAP_CALLS = 300 };

/* The median over TRAP_ROUNDS rounds of the time of TRAP_CALLS calls of xg_trap_target, in ns. */
static uint64_t time_calls(void)
{
	void (*volatile fn)(void) = xg_trap_target;
	uint64_t t[TRAP_ROUNDS];

	for (int r = 0; r < TRAP_ROUNDS; r++) {
		struct timespec a, z;

		clock_gettime(CLOCK_MONOTONIC, &a);
		for (int i = 0; i < TRAP_CALLS; i++)
			fn();
		clock_gettime(CLOCK_MONOTONIC, &z);
		t[r] = (uint64_t)(z.tv_sec - a.tv_sec) * 1000000000ull + (uint64_t)z.tv_nsec -
		       (uint64_t)a.tv_nsec;
	}
	qsort(t, TRAP_ROUNDS, sizeof(t[0]), cmp_u64);
	return t[TRAP_ROUNDS / 2];
}

int rec_bpf__trap_cost(struct rec_bpf *b, double *ns)
{
	uint64_t off = self_file_off((uintptr_t)xg_trap_site), base, probed;
	struct bpf_program *prog = b->progs[REC_PROG_GO_NEW];
	struct bpf_link *l = NULL;
	int fd = -1, err;

	if (!off || !prog)
		return xg_error(-ENOENT, "trap cost: cannot find xgotop's own code");
	/* the programs must not act on these hits; they still count them */
	err = rec_bpf__set_enabled(b, false);
	if (err)
		return err;
	base = time_calls();
	if (b->multi) {
		uint64_t cookie = 0;

		fd = link_multi(prog, "/proc/self/exe", &off, &cookie, 1, getpid());
		err = fd < 0 ? fd : 0;
	} else {
		l = bpf_program__attach_uprobe(prog, false, getpid(), "/proc/self/exe", off);
		err = l ? 0 : -errno;
	}
	if (err)
		return xg_error(err, "trap cost: cannot probe xgotop itself: %s", strerror(-err));
	probed = time_calls();
	if (fd >= 0)
		close(fd);
	bpf_link__destroy(l);
	*ns = probed > base ? (double)(probed - base) / TRAP_CALLS : 0;
	return 0;
}

struct detacher {
	struct bpf_link **links;
	uint32_t n, step;
};

static void *detach_some(void *arg)
{
	struct detacher *d = arg;

	for (uint32_t i = 0; i < d->n; i += d->step)
		bpf_link__destroy(d->links[i]);
	return NULL;
}

void rec_bpf__detach(struct rec_bpf *b)
{
	enum { MAX_THREADS = 16 };
	struct detacher d[MAX_THREADS];
	pthread_t th[MAX_THREADS];
	bool started[MAX_THREADS] = {false};
	uint32_t nt = b->nlinks < MAX_THREADS ? b->nlinks : MAX_THREADS;

	for (int i = 0; i < b->ngone; i++)
		gone_join(b->gone[i]);
	b->ngone = 0;

	for (int p = 0; p < REC_PROG_MAX; p++) {
		if (b->multi_fds[p] >= 0)
			close(b->multi_fds[p]);
		b->multi_fds[p] = -1;
	}
	/* a perf-event link owns its perf event and closes it */
	for (int i = 0; i < b->ncpu_links; i++)
		bpf_link__destroy(b->cpu_links[i]);
	b->ncpu_links = 0;
	/* perf-event uprobes: from several threads, in case the kernel lets the waits overlap */
	for (uint32_t i = 0; i < nt; i++) {
		d[i] = (struct detacher){.links = b->links + i, .n = b->nlinks - i, .step = nt};
		started[i] = i > 0 && !pthread_create(&th[i], NULL, detach_some, &d[i]);
	}
	for (uint32_t i = 0; i < nt; i++)
		if (!started[i])
			detach_some(&d[i]);
	for (uint32_t i = 0; i < nt; i++)
		if (started[i])
			pthread_join(th[i], NULL);
	b->nlinks = 0;
}

void rec_bpf__close(struct rec_bpf *b)
{
	rec_bpf__detach(b);
	free(b->links);
	free(b->cpu_links);
	xgotop__destroy(b->skel);
	memset(b, 0, sizeof(*b));
	for (int p = 0; p < REC_PROG_MAX; p++)
		b->multi_fds[p] = -1;
}
