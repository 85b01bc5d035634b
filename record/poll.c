// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Reading the target's runtime state (record/poll.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "bpf/goabi.h"
#include "format/event.h"
#include "record/poll.h"
#include "util/err.h"

/* remote reads per process_vm_readv (the kernel takes at most IOV_MAX = 1024) */
#define BATCH	   512
#define MAX_ALLG   (4u << 20) /* allglen beyond this is not a count */
#define GCC_FIELDS 6

struct rec_poll {
	pid_t pid;
	uint64_t bias;
	const struct go_offsets *off;
	const struct rec_globals *gl;
	/* gcController fields read, as [lo, hi) */
	int32_t gcc_lo, gcc_hi;
	/* the part of a g read: [g_lo, g_hi) */
	int32_t g_lo, g_hi;
	uint64_t *gs;
	size_t gcap;
	uint8_t *gbuf; /* BATCH * (g_hi - g_lo) */
	uint8_t *g1;   /* one g (rec_poll__read_g(), also called while gbuf is in use) */
	/* stacks: what of a g is read again after its stack, [chk_lo, chk_hi); windows and PCs
	 * of a group of goroutines */
	int32_t chk_lo, chk_hi;
	uint8_t *swin;	/* REC_STACK_GROUP * REC_STACK_WINDOW */
	uint64_t *spcs; /* REC_STACK_GROUP * REC_STACK_PCS */
};

static void span(int32_t *lo, int32_t *hi, int32_t off, int32_t size)
{
	if (off < 0)
		return;
	if (*lo < 0 || off < *lo)
		*lo = off;
	if (off + size > *hi)
		*hi = off + size;
}

struct rec_poll *rec_poll__new(pid_t pid, uint64_t bias, const struct go_offsets *off,
			       const struct rec_globals *gl)
{
	struct rec_poll *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->pid = pid;
	p->bias = bias;
	p->off = off;
	p->gl = gl;
	p->gcc_lo = p->g_lo = -1;
	span(&p->gcc_lo, &p->gcc_hi, off->gcc_heap_live, 8);
	span(&p->gcc_lo, &p->gcc_hi, off->gcc_gc_percent_heap_goal, 8);
	span(&p->gcc_lo, &p->gcc_hi, off->gcc_last_heap_goal, 8);
	span(&p->gcc_lo, &p->gcc_hi, off->gcc_heap_marked, 8);
	span(&p->gcc_lo, &p->gcc_hi, off->gcc_total_alloc, 8);
	span(&p->gcc_lo, &p->gcc_hi, off->gcc_total_free, 8);
	span(&p->g_lo, &p->g_hi, off->g_atomicstatus, 4);
	span(&p->g_lo, &p->g_hi, off->g_goid, 8);
	span(&p->g_lo, &p->g_hi, off->g_waitreason, 1);
	span(&p->g_lo, &p->g_hi, off->g_parent_goid, 8);
	span(&p->g_lo, &p->g_hi, off->g_gopc, 8);
	span(&p->g_lo, &p->g_hi, off->g_startpc, 8);
	span(&p->g_lo, &p->g_hi, off->g_waitsince, 8);
	if (rec_poll__can_stacks(p)) {
		span(&p->g_lo, &p->g_hi, off->g_sched_pc, 8);
		span(&p->g_lo, &p->g_hi, off->g_sched_sp, 8);
		span(&p->g_lo, &p->g_hi, off->g_sched_bp, 8);
		span(&p->g_lo, &p->g_hi, off->g_stack_lo, 8);
		span(&p->g_lo, &p->g_hi, off->g_stack_hi, 8);
		p->chk_lo = -1;
		span(&p->chk_lo, &p->chk_hi, off->g_atomicstatus, 4);
		span(&p->chk_lo, &p->chk_hi, off->g_goid, 8);
		span(&p->chk_lo, &p->chk_hi, off->g_sched_pc, 8);
		span(&p->chk_lo, &p->chk_hi, off->g_sched_sp, 8);
	}
	if (p->gcc_hi - p->gcc_lo > 4096 || p->g_hi - p->g_lo > 4096 ||
	    p->chk_hi - p->chk_lo > 4096) {
		free(p);
		errno = EINVAL;
		return NULL;
	}
	return p;
}

void rec_poll__free(struct rec_poll *p)
{
	if (!p)
		return;
	free(p->gs);
	free(p->gbuf);
	free(p->g1);
	free(p->swin);
	free(p->spcs);
	free(p);
}

bool rec_poll__can_heap(const struct rec_poll *p)
{
	return p->gl->gc_controller.addr && p->gcc_lo >= 0 && p->off->gcc_total_alloc >= 0;
}

bool rec_poll__can_snapshot(const struct rec_poll *p)
{
	return p->gl->allglen.addr && p->gl->allgptr.addr && p->g_lo >= 0 &&
	       p->off->g_atomicstatus >= 0 && p->off->g_goid >= 0;
}

bool rec_poll__can_stacks(const struct rec_poll *p)
{
	const struct go_offsets *o = p->off;

	return o->g_sched_pc >= 0 && o->g_sched_sp >= 0 && o->g_sched_bp >= 0 &&
	       o->g_stack_lo >= 0 && o->g_stack_hi >= 0 && o->g_atomicstatus >= 0 && o->g_goid >= 0;
}

/* Reads n remote ranges into local buffers; returns the number of bytes read or -errno. */
static ssize_t readv_remote(struct rec_poll *p, struct iovec *local, struct iovec *remote,
			    unsigned long n)
{
	ssize_t r = process_vm_readv(p->pid, local, n, remote, n, 0);

	return r < 0 ? -errno : r;
}

static int read_remote(struct rec_poll *p, uint64_t addr, void *buf, size_t len)
{
	struct iovec l = {.iov_base = buf, .iov_len = len};
	struct iovec r = {.iov_base = (void *)(uintptr_t)addr, .iov_len = len};
	ssize_t n = readv_remote(p, &l, &r, 1);

	if (n < 0)
		return xg_error((int)n, "pid %d: reading 0x%llx: %s", p->pid,
				(unsigned long long)addr, strerror((int)-n));
	if ((size_t)n != len)
		return xg_error(-EFAULT, "pid %d: reading 0x%llx: short read", p->pid,
				(unsigned long long)addr);
	return 0;
}

static uint64_t u64_at(const uint8_t *buf, int32_t off)
{
	uint64_t v;

	memcpy(&v, buf + off, sizeof(v));
	return v;
}

/* Where memstats.numgc is in the target; 0 when unknown. */
static uint64_t numgc_addr(const struct rec_poll *p)
{
	if (!p->gl->memstats.addr || p->off->ms_numgc < 0)
		return 0;
	return p->gl->memstats.addr + p->bias + (uint64_t)p->off->ms_numgc;
}

int rec_poll__heap(struct rec_poll *p, struct rec_heap *h)
{
	const struct go_offsets *o = p->off;
	uint8_t gcc[4096];
	int32_t lo = p->gcc_lo;
	struct iovec l[2], r[2];
	unsigned long n = 1;
	size_t want = (size_t)(p->gcc_hi - lo);
	uint64_t numgc = numgc_addr(p);
	ssize_t got;

	memset(h, 0, sizeof(*h));
	if (!rec_poll__can_heap(p))
		return -ENOENT;
	/* the controller and numgc in one read: a target exiting between two reads would give
	 * figures with a cycle count of 0 */
	l[0] = (struct iovec){.iov_base = gcc, .iov_len = want};
	r[0] = (struct iovec){
	    .iov_base = (void *)(uintptr_t)(p->gl->gc_controller.addr + p->bias + (uint64_t)lo),
	    .iov_len = want};
	if (numgc) {
		l[1] = (struct iovec){.iov_base = &h->numgc, .iov_len = sizeof(h->numgc)};
		r[1] = (struct iovec){.iov_base = (void *)(uintptr_t)numgc,
				      .iov_len = sizeof(h->numgc)};
		want += sizeof(h->numgc);
		n = 2;
	}
	got = readv_remote(p, l, r, n);
	if (got < 0)
		return xg_error((int)got, "pid %d: reading gcController at 0x%llx: %s", p->pid,
				(unsigned long long)p->gl->gc_controller.addr, strerror((int)-got));
	if ((size_t)got != want)
		return xg_error(-EFAULT, "pid %d: reading gcController at 0x%llx: short read",
				p->pid, (unsigned long long)p->gl->gc_controller.addr);
#define F(field) (o->field >= 0 ? u64_at(gcc, o->field - lo) : 0)
	h->heap_live = F(gcc_heap_live);
	h->heap_goal = F(gcc_gc_percent_heap_goal);
	if (!h->heap_goal)
		h->heap_goal = F(gcc_last_heap_goal);
	h->heap_marked = F(gcc_heap_marked);
	h->total_alloc = F(gcc_total_alloc);
	h->total_free = F(gcc_total_free);
#undef F
	if (h->total_free > h->total_alloc)
		return xg_error(
		    -EFAULT, "pid %d: gcController at 0x%llx: freed %llu > allocated %llu", p->pid,
		    (unsigned long long)p->gl->gc_controller.addr,
		    (unsigned long long)h->total_free, (unsigned long long)h->total_alloc);
	if (p->gl->mem_profile_rate.addr &&
	    read_remote(p, p->gl->mem_profile_rate.addr + p->bias, &h->mem_profile_rate,
			sizeof(h->mem_profile_rate)))
		h->mem_profile_rate = 0;
	return 0;
}

int rec_poll__numgc(struct rec_poll *p, uint32_t *n)
{
	uint64_t addr = numgc_addr(p);

	*n = 0;
	return addr ? read_remote(p, addr, n, sizeof(*n)) : -ENOENT;
}

int rec_poll__gc_ends(struct rec_poll *p, uint64_t ends[REC_GC_ENDS], uint32_t *n)
{
	/* mstats: pause_total_ns uint64, pause_ns [256]uint64, pause_end [256]uint64, numgc
	 * (Go 1.21 to 1.27); the two offsets known say whether that layout holds */
	const int32_t ring = REC_GC_ENDS * 8;
	uint64_t buf[REC_GC_ENDS];
	uint32_t numgc, k;
	int err;

	*n = 0;
	if (!p->gl->memstats.addr || p->off->ms_numgc < 0 || p->off->ms_pause_total_ns < 0 ||
	    p->off->ms_numgc - p->off->ms_pause_total_ns != 8 + 2 * ring)
		return -ENOENT;
	err = rec_poll__numgc(p, &numgc);
	err = err
		  ?: read_remote(
			 p, p->gl->memstats.addr + p->bias + (uint64_t)(p->off->ms_numgc - ring),
			 buf, sizeof(buf));
	if (err)
		return err;
	k = numgc < REC_GC_ENDS ? numgc : REC_GC_ENDS;
	/* cycle c (1-based) wrote pause_end[(c - 1) % 256] */
	for (uint32_t i = 0; i < k; i++) {
		uint64_t e = buf[(numgc - k + i) % REC_GC_ENDS];

		if (e && (!*n || e >= ends[*n - 1]))
			ends[(*n)++] = e;
	}
	return 0;
}

int64_t rec_poll__mem_rate(struct rec_poll *p)
{
	int64_t v = 0;

	if (!p->gl->mem_profile_rate.addr ||
	    read_remote(p, p->gl->mem_profile_rate.addr + p->bias, &v, sizeof(v)))
		return 0;
	return v;
}

int rec_poll__set_mem_rate(struct rec_poll *p, int64_t rate)
{
	struct iovec l = {.iov_base = &rate, .iov_len = sizeof(rate)};
	struct iovec r = {.iov_len = sizeof(rate)};
	ssize_t n;

	if (!p->gl->mem_profile_rate.addr)
		return xg_error(-ENOENT, "runtime.MemProfileRate not found");
	r.iov_base = (void *)(uintptr_t)(p->gl->mem_profile_rate.addr + p->bias);
	/* an aligned 8-byte store: the runtime reads the variable without synchronization */
	n = process_vm_writev(p->pid, &l, 1, &r, 1, 0);
	if (n != (ssize_t)sizeof(rate))
		return xg_error(n < 0 ? -errno : -EFAULT,
				"pid %d: writing runtime.MemProfileRate: %s", p->pid,
				n < 0 ? strerror(errno) : "short write");
	return 0;
}

int rec_poll__enable_mem_profiling(struct rec_poll *p)
{
	uint8_t off = 0;
	struct iovec l = {.iov_base = &off, .iov_len = 1};
	struct iovec r = {.iov_len = 1};

	if (!p->gl->disable_mem_profiling.addr)
		return xg_error(-ENOENT, "runtime.disableMemoryProfiling not found");
	r.iov_base = (void *)(uintptr_t)(p->gl->disable_mem_profiling.addr + p->bias);
	if (process_vm_writev(p->pid, &l, 1, &r, 1, 0) != 1)
		return xg_error(-errno, "pid %d: writing runtime.disableMemoryProfiling: %s",
				p->pid, strerror(errno));
	return 0;
}

static int grow(struct rec_poll *p, size_t n)
{
	uint64_t *gs;

	if (n <= p->gcap)
		return 0;
	gs = realloc(p->gs, n * sizeof(*gs));
	if (!gs)
		return -ENOMEM;
	p->gs = gs;
	p->gcap = n;
	return 0;
}

/* enum xg_gstate of a raw g.atomicstatus: the scan bit removed, _Gdeadextra is dead */
static uint8_t state_of(uint32_t st)
{
	st &= ~(uint32_t)GO_G_SCAN;
	return st == GO_G_DEAD_EXTRA ? XG_G_DEAD : st < XG_G_STATE_MAX ? (uint8_t)st : XG_G_DEAD;
}

static void decode_g(const struct rec_poll *p, uint64_t g, const uint8_t *b, struct rec_gsnap *s)
{
	const struct go_offsets *o = p->off;
	int32_t lo = p->g_lo;
	uint32_t st;

	memset(s, 0, sizeof(*s));
	s->g = g;
	memcpy(&st, b + o->g_atomicstatus - lo, sizeof(st));
	s->state = state_of(st);
	s->goid = u64_at(b, o->g_goid - lo);
	if (o->g_waitreason >= 0)
		s->reason = b[o->g_waitreason - lo];
	if (o->g_parent_goid >= 0)
		s->parent_goid = u64_at(b, o->g_parent_goid - lo);
	if (o->g_gopc >= 0)
		s->gopc = u64_at(b, o->g_gopc - lo);
	if (o->g_startpc >= 0)
		s->startpc = u64_at(b, o->g_startpc - lo);
	if (o->g_waitsince >= 0)
		s->waitsince = (int64_t)u64_at(b, o->g_waitsince - lo);
	if (rec_poll__can_stacks(p)) {
		s->sched_pc = u64_at(b, o->g_sched_pc - lo);
		s->sched_sp = u64_at(b, o->g_sched_sp - lo);
		s->sched_bp = u64_at(b, o->g_sched_bp - lo);
		s->stack_lo = u64_at(b, o->g_stack_lo - lo);
		s->stack_hi = u64_at(b, o->g_stack_hi - lo);
	}
}

uint64_t rec_gsnap__waited(const struct rec_gsnap *s, uint64_t mono)
{
	if ((s->state != XG_G_WAITING && s->state != XG_G_SYSCALL) || s->waitsince <= 0 ||
	    (uint64_t)s->waitsince > mono)
		return 0;
	return mono - (uint64_t)s->waitsince;
}

int rec_poll__read_gs(struct rec_poll *p, const uint64_t *gs, size_t n, struct rec_gsnap *out)
{
	const struct go_offsets *o = p->off;
	int32_t lo = o->g_atomicstatus < o->g_goid ? o->g_atomicstatus : o->g_goid;
	int32_t hi =
	    (o->g_atomicstatus + 4 > o->g_goid + 8 ? o->g_atomicstatus + 4 : o->g_goid + 8);
	size_t gsz = (size_t)(hi - lo);
	struct iovec lv[BATCH], rv[BATCH];
	uint8_t buf[BATCH][32];

	if (o->g_atomicstatus < 0 || o->g_goid < 0 || gsz > sizeof(buf[0]))
		return -ENOENT;
	memset(out, 0, n * sizeof(*out));
	for (size_t i = 0, k; i < n; i += k) {
		ssize_t got;
		size_t ok;

		k = n - i < BATCH ? n - i : BATCH;
		for (size_t j = 0; j < k; j++) {
			lv[j] = (struct iovec){.iov_base = buf[j], .iov_len = gsz};
			rv[j] = (struct iovec){.iov_base =
						   (void *)(uintptr_t)(gs[i + j] + (uint64_t)lo),
					       .iov_len = gsz};
		}
		got = readv_remote(p, lv, rv, k);
		if (got < 0)
			return xg_error((int)got, "pid %d: reading goroutines: %s", p->pid,
					strerror((int)-got));
		/* a short read stops at the first g that could not be read: skip that one */
		ok = (size_t)got / gsz;
		for (size_t j = 0; j < k; j++) {
			struct rec_gsnap *s = &out[i + j];
			uint32_t st;

			s->g = gs[i + j];
			s->state = XG_G_DEAD;
			if (j >= ok)
				continue;
			memcpy(&st, buf[j] + o->g_atomicstatus - lo, sizeof(st));
			s->state = state_of(st);
			s->goid = u64_at(buf[j], o->g_goid - lo);
		}
		if (ok < k)
			k = ok + 1;
	}
	return 0;
}

int rec_poll__read_g(struct rec_poll *p, uint64_t g, struct rec_gsnap *out)
{
	size_t gsz = (size_t)(p->g_hi - p->g_lo);
	int err;

	if (!rec_poll__can_snapshot(p))
		return -ENOENT;
	if (!p->g1) {
		p->g1 = malloc(gsz);
		if (!p->g1)
			return -ENOMEM;
	}
	err = read_remote(p, g + (uint64_t)p->g_lo, p->g1, gsz);
	if (!err)
		decode_g(p, g, p->g1, out);
	return err;
}

int rec_poll__goroutines(struct rec_poll *p, int (*fn)(const struct rec_gsnap *g, void *ctx),
			 void *ctx)
{
	size_t gsz = (size_t)(p->g_hi - p->g_lo), n, seen = 0;
	uint64_t hdr[2], len, ptr;
	struct iovec lv[BATCH], rv[BATCH];
	int err;

	if (!rec_poll__can_snapshot(p))
		return -ENOENT;
	if (!p->gbuf) {
		p->gbuf = malloc(BATCH * gsz);
		if (!p->gbuf)
			return -ENOMEM;
	}
	err = read_remote(p, p->gl->allglen.addr + p->bias, &hdr[0], 8);
	err = err ?: read_remote(p, p->gl->allgptr.addr + p->bias, &hdr[1], 8);
	if (err)
		return err;
	len = hdr[0];
	ptr = hdr[1];
	if (len > MAX_ALLG || (len && !ptr))
		return xg_error(-EFAULT,
				"pid %d: allglen %llu, allgptr 0x%llx: not a goroutine list",
				p->pid, (unsigned long long)len, (unsigned long long)ptr);
	if (!len)
		return 0;
	err = grow(p, len);
	err = err ?: read_remote(p, ptr, p->gs, len * sizeof(uint64_t));
	if (err)
		return err;
	for (size_t i = 0; i < len; i += n) {
		ssize_t got;

		n = len - i < BATCH ? len - i : BATCH;
		for (size_t j = 0; j < n; j++) {
			lv[j] = (struct iovec){.iov_base = p->gbuf + j * gsz, .iov_len = gsz};
			rv[j] = (struct iovec){
			    .iov_base = (void *)(uintptr_t)(p->gs[i + j] + (uint64_t)p->g_lo),
			    .iov_len = gsz};
		}
		got = readv_remote(p, lv, rv, n);
		if (got < 0)
			return xg_error((int)got, "pid %d: reading goroutines: %s", p->pid,
					strerror((int)-got));
		/* a short read stops at the first g that could not be read: skip that one */
		if ((size_t)got < n * gsz)
			n = (size_t)got / gsz + 1;
		for (size_t j = 0; j < n && (j + 1) * gsz <= (size_t)got; j++) {
			struct rec_gsnap s;

			decode_g(p, p->gs[i + j], p->gbuf + j * gsz, &s);
			if (s.state == XG_G_DEAD || s.state == XG_G_IDLE)
				continue;
			seen++;
			err = fn(&s, ctx);
			if (err)
				return err;
		}
	}
	return (int)seen;
}

/* --- stacks ---------------------------------------------------------------------------------- */

/* One goroutine's walk through a group's rounds. */
struct swalk {
	uint64_t fp;	   /* the next frame record */
	uint64_t wlo, whi; /* the window read this round, [wlo, whi) */
	uint32_t n;	   /* PCs so far */
	enum rec_stack_status st;
	bool active; /* wants a window */
	bool truncated;
	bool broken; /* the chain ended at something that is no frame record, not at its end */
};

/* Whether pc can be a return address found on the stack [lo, hi) (as the BPF side's code_pc
 * without the text bounds). */
static bool code_pc(uint64_t pc, uint64_t lo, uint64_t hi)
{
	return pc >= 4096 && (pc < lo || pc >= hi);
}

/* Follows w's chain through the window just read (win holds [w->wlo, w->whi)); leaves w
 * active when the chain goes on past it. */
static void walk_window(const struct rec_stack_req *q, struct swalk *w, const uint8_t *win,
			uint64_t *pcs)
{
	for (;;) {
		uint64_t fp = w->fp, next, ret;

		if (!fp)
			break; /* the chain's end: the goroutine's first frame */
		if (fp < q->lo || fp > q->hi - 16 || (fp & 7)) {
			w->broken = true;
			break;
		}
		if (fp < w->wlo || fp + 16 > w->whi)
			return; /* the next window starts here */
		memcpy(&next, win + (fp - w->wlo), 8);
		memcpy(&ret, win + (fp - w->wlo) + 8, 8);
		if (!code_pc(ret, q->lo, q->hi)) {
			w->broken = true;
			break;
		}
		if (w->n == REC_STACK_PCS) {
			w->truncated = true;
			break;
		}
		pcs[w->n++] = ret;
		/* a caller's frame is above its callee's: anything else is no frame chain */
		if (next <= fp && next >= q->lo) {
			w->broken = true;
			break;
		}
		w->fp = next;
	}
	w->active = false;
}

/* One process_vm_readv of m ranges: the bytes read, which stop at the first range that cannot
 * be read whole (0 when that is the first), or -errno with a message. */
static ssize_t read_batch(struct rec_poll *p, struct iovec *lv, struct iovec *rv, size_t m,
			  struct rec_stack_stats *st)
{
	ssize_t got = readv_remote(p, lv, rv, m);

	st->syscalls++;
	if (got == -EFAULT)
		return 0;
	if (got < 0)
		return xg_error((int)got, "pid %d: reading goroutine stacks: %s", p->pid,
				strerror((int)-got));
	return got;
}

/* A new walk of q: its first PC, or REC_STACK_NONE when the g holds no frame to start from.
 * The frame record is at or above sp (amd64: at the top of the frame), or 8 bytes below it
 * (arm64: a Go function's x29 is its sp - 8). */
static void walk_start(const struct rec_stack_req *q, struct swalk *w, uint64_t *pcs)
{
	memset(w, 0, sizeof(*w));
	if (!q->pc || !q->lo || q->hi <= q->lo + 16 || q->sp < q->lo || q->sp >= q->hi ||
	    q->bp + 8 < q->sp || q->bp < q->lo || q->bp > q->hi - 16 || (q->bp & 7)) {
		w->st = REC_STACK_NONE;
		return;
	}
	pcs[0] = q->pc;
	w->n = 1;
	w->fp = q->bp;
	w->active = true;
}

/* The rounds of windows for rq[0..k) (a group): each reads the next window of every walk
 * that goes on, until none does, within *left bytes. *exempt: the goroutine read whatever
 * the budget (the first one this call reads; NULL until then). */
static int walk_group(struct rec_poll *p, const struct rec_stack_req *rq, size_t k, struct swalk *w,
		      uint64_t *left, const struct rec_stack_req **exempt,
		      struct rec_stack_stats *st)
{
	struct iovec lv[REC_STACK_GROUP], rv[REC_STACK_GROUP];
	size_t idx[REC_STACK_GROUP];

	for (;;) {
		size_t m = 0, done = 0;
		ssize_t got;

		for (size_t j = 0; j < k; j++) {
			uint64_t len = rq[j].hi - w[j].fp;

			if (!w[j].active)
				continue;
			if (len > REC_STACK_WINDOW)
				len = REC_STACK_WINDOW;
			if (!*exempt) {
				*exempt = &rq[j];
			} else if (len > *left && *exempt != &rq[j]) {
				w[j].active = false;
				w[j].st = REC_STACK_BUDGET;
				continue;
			}
			*left -= len < *left ? len : *left;
			w[j].wlo = w[j].fp;
			w[j].whi = w[j].fp + len;
			lv[m] = (struct iovec){.iov_base = p->swin + j * REC_STACK_WINDOW,
					       .iov_len = len};
			rv[m] =
			    (struct iovec){.iov_base = (void *)(uintptr_t)w[j].fp, .iov_len = len};
			idx[m++] = j;
		}
		if (!m)
			return 0;
		got = read_batch(p, lv, rv, m, st);
		if (got < 0)
			return (int)got;
		st->bytes += (uint64_t)got;
		/* a short read stops at the first window that could not be read whole: that
		 * stack is unreadable; the windows after it are read again next round */
		for (size_t i = 0; i < m; i++) {
			struct swalk *x = &w[idx[i]];

			if ((size_t)got < done + lv[i].iov_len) {
				x->active = false;
				x->st = REC_STACK_NONE;
				break;
			}
			done += lv[i].iov_len;
			st->windows++;
			walk_window(&rq[idx[i]], x, p->swin + idx[i] * REC_STACK_WINDOW,
				    p->spcs + idx[i] * REC_STACK_PCS);
		}
	}
}

/* After their stacks: the goroutines of rq[0..k) walked whole whose g no longer says what it
 * said (status, goid, g.sched) ran meanwhile. */
static int recheck_group(struct rec_poll *p, const struct rec_stack_req *rq, size_t k,
			 struct swalk *w, struct rec_stack_stats *st)
{
	const struct go_offsets *o = p->off;
	size_t csz = (size_t)(p->chk_hi - p->chk_lo), m = 0, idx[REC_STACK_GROUP];
	struct iovec lv[REC_STACK_GROUP], rv[REC_STACK_GROUP];
	ssize_t got;

	for (size_t j = 0; j < k; j++) {
		if (w[j].st != REC_STACK_OK)
			continue;
		/* (the window buffers are free again: the PCs are taken) */
		lv[m] = (struct iovec){.iov_base = p->swin + j * REC_STACK_WINDOW, .iov_len = csz};
		rv[m] = (struct iovec){
		    .iov_base = (void *)(uintptr_t)(rq[j].g + (uint64_t)p->chk_lo), .iov_len = csz};
		idx[m++] = j;
	}
	if (!m)
		return 0;
	got = read_batch(p, lv, rv, m, st);
	if (got < 0)
		return (int)got;
	for (size_t i = 0; i < m; i++) {
		const struct rec_stack_req *q = &rq[idx[i]];
		const uint8_t *b = p->swin + idx[i] * REC_STACK_WINDOW;
		uint32_t status;

		/* a g not read (a short read stops at the first) is taken as moved: its stack is
		 * read again next time */
		if ((size_t)got < (i + 1) * csz) {
			w[idx[i]].st = REC_STACK_MOVED;
			continue;
		}
		memcpy(&status, b + o->g_atomicstatus - p->chk_lo, sizeof(status));
		if (state_of(status) != q->state || u64_at(b, o->g_goid - p->chk_lo) != q->goid ||
		    u64_at(b, o->g_sched_pc - p->chk_lo) != q->pc ||
		    u64_at(b, o->g_sched_sp - p->chk_lo) != q->sp)
			w[idx[i]].st = REC_STACK_MOVED;
	}
	return 0;
}

int rec_poll__stacks(struct rec_poll *p, const struct rec_stack_req *rq, size_t n, uint64_t budget,
		     rec_stack_fn fn, void *ctx, struct rec_stack_stats *st)
{
	const struct rec_stack_req *exempt = NULL;
	struct swalk w[REC_STACK_GROUP];
	int err;

	if (!rec_poll__can_stacks(p))
		return -ENOENT;
	if (!p->swin) {
		p->swin = malloc((size_t)REC_STACK_GROUP * REC_STACK_WINDOW);
		p->spcs = malloc((size_t)REC_STACK_GROUP * REC_STACK_PCS * sizeof(*p->spcs));
		if (!p->swin || !p->spcs) {
			free(p->swin);
			free(p->spcs);
			p->swin = NULL;
			p->spcs = NULL;
			return -ENOMEM;
		}
	}
	for (size_t i = 0, k; i < n; i += k) {
		k = n - i < REC_STACK_GROUP ? n - i : REC_STACK_GROUP;
		for (size_t j = 0; j < k; j++)
			walk_start(&rq[i + j], &w[j], p->spcs + j * REC_STACK_PCS);
		err = walk_group(p, rq + i, k, w, &budget, &exempt, st);
		err = err ?: recheck_group(p, rq + i, k, w, st);
		if (err)
			return err;
		for (size_t j = 0; j < k; j++) {
			if (w[j].st == REC_STACK_OK && w[j].broken)
				w[j].st = REC_STACK_BROKEN;
			st->status[w[j].st]++;
			err = fn(i + j, w[j].st, p->spcs + j * REC_STACK_PCS, w[j].n,
				 w[j].truncated, ctx);
			if (err)
				return err;
		}
	}
	return 0;
}
