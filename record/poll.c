// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Reading the target's runtime state (record/poll.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "format/event.h"
#include "record/poll.h"
#include "util/err.h"

/* remote reads per process_vm_readv (the kernel takes at most IOV_MAX = 1024) */
#define BATCH	   512
#define MAX_ALLG   (4u << 20) /* allglen beyond this is not a count */
#define G_SCAN	   0x1000
#define G_DEADX	   11 /* _Gdeadextra (Go 1.26+) */
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
	if (p->gcc_hi - p->gcc_lo > 4096 || p->g_hi - p->g_lo > 4096) {
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

int rec_poll__heap(struct rec_poll *p, struct rec_heap *h)
{
	const struct go_offsets *o = p->off;
	uint8_t gcc[4096];
	int32_t lo = p->gcc_lo;
	int err;

	memset(h, 0, sizeof(*h));
	if (!rec_poll__can_heap(p))
		return -ENOENT;
	err = read_remote(p, p->gl->gc_controller.addr + p->bias + (uint64_t)lo, gcc,
			  (size_t)(p->gcc_hi - lo));
	if (err)
		return err;
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
	h->numgc_ok = !rec_poll__numgc(p, &h->numgc);
	if (p->gl->mem_profile_rate.addr &&
	    read_remote(p, p->gl->mem_profile_rate.addr + p->bias, &h->mem_profile_rate,
			sizeof(h->mem_profile_rate)))
		h->mem_profile_rate = 0;
	return 0;
}

int rec_poll__numgc(struct rec_poll *p, uint32_t *n)
{
	*n = 0;
	if (!p->gl->memstats.addr || p->off->ms_numgc < 0)
		return -ENOENT;
	return read_remote(p, p->gl->memstats.addr + p->bias + (uint64_t)p->off->ms_numgc, n,
			   sizeof(*n));
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

static void decode_g(const struct rec_poll *p, uint64_t g, const uint8_t *b, struct rec_gsnap *s)
{
	const struct go_offsets *o = p->off;
	int32_t lo = p->g_lo;
	uint32_t st;

	memset(s, 0, sizeof(*s));
	s->g = g;
	memcpy(&st, b + o->g_atomicstatus - lo, sizeof(st));
	st &= ~(uint32_t)G_SCAN;
	s->state = st == G_DEADX ? XG_G_DEAD : st < XG_G_STATE_MAX ? (uint8_t)st : XG_G_DEAD;
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
			st &= ~(uint32_t)G_SCAN;
			s->state = st == G_DEADX	 ? XG_G_DEAD
				   : st < XG_G_STATE_MAX ? (uint8_t)st
							 : XG_G_DEAD;
			s->goid = u64_at(buf[j], o->g_goid - lo);
		}
		if (ok < k)
			k = ok + 1;
	}
	return 0;
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
