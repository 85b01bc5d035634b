// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The scheduler's counts from the target's memory (record/sched.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "record/sched.h"
#include "util/err.h"

#define GOID_BATCH 16	      /* the runtime's _GoidCacheBatch (1.21 to 1.27) */
#define RUNQ_SIZE  256	      /* a P's local run queue, len(p.runq) */
#define MAX_ALLG   (4u << 20) /* allglen beyond this is not a count */
#define MAX_M	   (1u << 20) /* Ms beyond this are not a count */
#define SEG_GAP	   64	      /* fields of a P closer than this are read in one piece */
#define MAX_SEGS   8
#define IOV_BATCH  1024 /* the kernel's IOV_MAX */
#define SCHED_BUF  1024 /* bytes of runtime.sched read, at most */

/* The pieces of a structure read: [lo, hi) each, in order, stored one after the other from
 * pos in the local copy of len bytes. */
struct seg {
	int32_t lo, hi;
};

struct layout {
	struct seg segs[MAX_SEGS];
	int32_t pos[MAX_SEGS];
	int n;
	int32_t len;
};

struct rec_sched {
	pid_t pid;
	uint64_t bias;
	const struct go_offsets *off;
	const struct rec_globals *gl;
	bool counter;	      /* Go 1.26+: goroutinesCreated, else the goid generator */
	struct layout sl, pl; /* what of runtime.sched and of a P is read */
	uint64_t *ps;	      /* allp's array, REC_SCHED_MAX_P */
	uint8_t *pbuf;	      /* pl.len per P, grown to the capacity seen */
	size_t pcap;
	struct iovec *liov, *riov; /* IOV_BATCH each */
};

const char *rec_sched_bad_name(enum rec_sched_bad why)
{
	static const char *const names[REC_SCHED_BAD_MAX] = {"allp", "p", "count"};

	return (unsigned int)why < REC_SCHED_BAD_MAX ? names[why] : "?";
}

/* the free gs of sched are known: gFree.n (1.21-1.24), or stack.size + noStack.size (1.25+) */
static bool sched_gfree_known(const struct go_offsets *o)
{
	return o->sched_gfree_n >= 0 ||
	       (o->sched_gfree_stack_size >= 0 && o->sched_gfree_nostack_size >= 0);
}

static bool counter_known(const struct go_offsets *o)
{
	return o->sched_goroutines_created >= 0 && o->p_goroutines_created >= 0;
}

const char *rec_sched__missing(const struct go_offsets *o, const struct rec_globals *gl)
{
	if (!gl->sched.addr)
		return "runtime.sched not found";
	if (!gl->allp.addr)
		return "runtime.allp not found";
	if (!gl->allglen.addr)
		return "runtime.allglen not found";
	if (!counter_known(o) &&
	    (o->sched_goidgen < 0 || o->p_goidcache < 0 || o->p_goidcacheend < 0))
		return "the runtime's goroutine counter (goroutinesCreated, goidgen) not known";
	if (o->sched_mnext < 0 || o->sched_nmfreed < 0 || o->sched_ngsys < 0 ||
	    !sched_gfree_known(o) || (o->sched_runqsize < 0 && o->sched_runq_size < 0))
		return "runtime.schedt's fields not known";
	if ((o->p_gfree_n < 0 && o->p_gfree_size < 0) || o->p_runqhead < 0 || o->p_runqtail < 0 ||
	    o->p_runnext < 0 || o->p_id < 0)
		return "runtime.p's fields not known";
	return NULL;
}

static int cmp_seg(const void *a, const void *b)
{
	const struct seg *x = a, *y = b;

	return (x->lo > y->lo) - (x->lo < y->lo);
}

/* Fields f[0..n) (offset < 0: unknown, left out) merged into pieces. -E2BIG when they do not
 * fit in MAX_SEGS pieces or make a structure beyond 64 KiB. */
static int plan(struct layout *l, struct seg *f, int n)
{
	int k = 0;

	for (int i = 0; i < n; i++)
		if (f[i].lo >= 0)
			f[k++] = f[i];
	qsort(f, (size_t)k, sizeof(f[0]), cmp_seg);
	memset(l, 0, sizeof(*l));
	for (int i = 0; i < k; i++) {
		struct seg *last = l->n ? &l->segs[l->n - 1] : NULL;

		if (last && f[i].lo <= last->hi + SEG_GAP) {
			if (f[i].hi > last->hi)
				last->hi = f[i].hi;
			continue;
		}
		if (l->n == MAX_SEGS || f[i].hi > 65536)
			return -E2BIG;
		l->segs[l->n++] = f[i];
	}
	for (int i = 0; i < l->n; i++) {
		l->pos[i] = l->len;
		l->len += l->segs[i].hi - l->segs[i].lo;
	}
	return 0;
}

/* Where field off (one that plan() was given) is in the local copy. */
static int32_t at(const struct layout *l, int32_t off)
{
	for (int i = 0; i < l->n; i++)
		if (off >= l->segs[i].lo && off < l->segs[i].hi)
			return l->pos[i] + off - l->segs[i].lo;
	return 0; /* not reached: every field read is in a piece */
}

/* The fields of runtime.sched and of a P read. */
static int plan_all(struct rec_sched *s)
{
	const struct go_offsets *o = s->off;
	struct seg fs[] = {
	    {s->counter ? o->sched_goroutines_created : o->sched_goidgen, 0},
	    {o->sched_mnext, 8},
	    {o->sched_nmfreed, 8},
	    {o->sched_ngsys, 4},
	    {o->sched_gfree_n, 4},
	    {o->sched_gfree_stack_size, 4},
	    {o->sched_gfree_nostack_size, 4},
	    {o->sched_runqsize, 4},
	    {o->sched_runq_size, 4},
	};
	struct seg fp[] = {
	    {o->p_id, 4},
	    {s->counter ? o->p_goroutines_created : o->p_goidcache, 8},
	    {s->counter ? -1 : o->p_goidcacheend, 8},
	    {o->p_gfree_n >= 0 ? o->p_gfree_n : o->p_gfree_size, 4},
	    {o->p_runqhead, 4},
	    {o->p_runqtail, 4},
	    {o->p_runnext, 8},
	};

	fs[0].hi = 8;
	for (size_t i = 0; i < sizeof(fs) / sizeof(fs[0]); i++)
		fs[i].hi += fs[i].lo;
	for (size_t i = 0; i < sizeof(fp) / sizeof(fp[0]); i++)
		fp[i].hi += fp[i].lo;
	if (plan(&s->sl, fs, (int)(sizeof(fs) / sizeof(fs[0]))) ||
	    plan(&s->pl, fp, (int)(sizeof(fp) / sizeof(fp[0]))))
		return -E2BIG;
	return 0;
}

struct rec_sched *rec_sched__new(pid_t pid, uint64_t bias, const struct go_offsets *off,
				 const struct rec_globals *gl)
{
	struct rec_sched *s;

	if (rec_sched__missing(off, gl)) {
		errno = ENOENT;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->pid = pid;
	s->bias = bias;
	s->off = off;
	s->gl = gl;
	s->counter = counter_known(off);
	s->ps = calloc(REC_SCHED_MAX_P, sizeof(*s->ps));
	s->liov = calloc(IOV_BATCH, sizeof(*s->liov));
	s->riov = calloc(IOV_BATCH, sizeof(*s->riov));
	if (plan_all(s) || s->sl.len > SCHED_BUF || !s->ps || !s->liov || !s->riov) {
		int e = s->ps && s->liov && s->riov ? EINVAL : ENOMEM;

		rec_sched__free(s);
		errno = e;
		return NULL;
	}
	return s;
}

void rec_sched__free(struct rec_sched *s)
{
	if (!s)
		return;
	free(s->ps);
	free(s->pbuf);
	free(s->liov);
	free(s->riov);
	free(s);
}

/* n ranges in one call: the bytes read, or -errno */
static ssize_t readv_remote(struct rec_sched *s, unsigned long n)
{
	ssize_t r = process_vm_readv(s->pid, s->liov, n, s->riov, n, 0);

	return r < 0 ? -errno : r;
}

static void iov(struct rec_sched *s, unsigned long i, void *local, uint64_t remote, size_t len)
{
	s->liov[i] = (struct iovec){.iov_base = local, .iov_len = len};
	s->riov[i] = (struct iovec){.iov_base = (void *)(uintptr_t)remote, .iov_len = len};
}

static uint64_t u64_at(const uint8_t *b, int32_t off)
{
	uint64_t v;

	memcpy(&v, b + off, sizeof(v));
	return v;
}

static uint32_t u32_at(const uint8_t *b, int32_t off)
{
	uint32_t v;

	memcpy(&v, b + off, sizeof(v));
	return v;
}

/* The P pointers of allp[0..cap) into s->ps, and their fields into s->pbuf: 0, -EAGAIN (a P
 * could not be read: *why), or -errno. */
static int read_ps(struct rec_sched *s, uint64_t arr, uint64_t cap, enum rec_sched_bad *why)
{
	unsigned long n = 0;
	size_t total = 0;
	ssize_t got;

	iov(s, 0, s->ps, arr, cap * 8);
	got = readv_remote(s, 1);
	if (got != (ssize_t)(cap * 8)) {
		*why = REC_SCHED_BAD_ALLP;
		return got == -ESRCH ? -ESRCH : -EAGAIN;
	}
	if (cap > s->pcap) {
		uint8_t *b = realloc(s->pbuf, cap * (size_t)s->pl.len);

		if (!b)
			return xg_error(-ENOMEM, "the fields of %llu Ps: out of memory",
					(unsigned long long)cap);
		s->pbuf = b;
		s->pcap = cap;
	}
	memset(s->pbuf, 0, cap * (size_t)s->pl.len);
	for (uint64_t i = 0; i < cap; i++) {
		uint8_t *pb = s->pbuf + i * (size_t)s->pl.len;

		if (!s->ps[i])
			continue;
		for (int k = 0; k < s->pl.n; k++) {
			const struct seg *g = &s->pl.segs[k];

			iov(s, n++, pb + s->pl.pos[k], s->ps[i] + (uint64_t)g->lo,
			    (size_t)(g->hi - g->lo));
			total += (size_t)(g->hi - g->lo);
			if (n == IOV_BATCH) {
				got = readv_remote(s, n);
				if (got == -ESRCH)
					return -ESRCH;
				if (got != (ssize_t)total) {
					*why = REC_SCHED_BAD_P;
					return -EAGAIN;
				}
				n = 0;
				total = 0;
			}
		}
	}
	if (n) {
		got = readv_remote(s, n);
		if (got == -ESRCH)
			return -ESRCH;
		if (got != (ssize_t)total) {
			*why = REC_SCHED_BAD_P;
			return -EAGAIN;
		}
	}
	return 0;
}

int rec_sched__read(struct rec_sched *s, struct rec_sched_counts *c, enum rec_sched_bad *why)
{
	const struct go_offsets *o = s->off;
	const struct rec_globals *gl = s->gl;
	uint8_t sb[SCHED_BUF];
	uint64_t allp[3], allglen = 0, created, cached = 0, runnable;
	int32_t gomaxprocs = 0;
	uint32_t extram[2] = {0, 0};
	int64_t alive, threads, free_gs;
	unsigned long n = 0;
	ssize_t want, got;
	int err;

	memset(c, 0, sizeof(*c));
	for (int k = 0; k < s->sl.n; k++)
		iov(s, n++, sb + s->sl.pos[k],
		    gl->sched.addr + s->bias + (uint64_t)s->sl.segs[k].lo,
		    (size_t)(s->sl.segs[k].hi - s->sl.segs[k].lo));
	iov(s, n++, allp, gl->allp.addr + s->bias, sizeof(allp));
	iov(s, n++, &allglen, gl->allglen.addr + s->bias, sizeof(allglen));
	want = s->sl.len + (ssize_t)sizeof(allp) + (ssize_t)sizeof(allglen);
	if (gl->gomaxprocs.addr) {
		iov(s, n++, &gomaxprocs, gl->gomaxprocs.addr + s->bias, sizeof(gomaxprocs));
		want += (ssize_t)sizeof(gomaxprocs);
	}
	if (!s->counter && gl->extram_in_use.addr && gl->extram_length.addr) {
		iov(s, n++, &extram[0], gl->extram_in_use.addr + s->bias, 4);
		iov(s, n++, &extram[1], gl->extram_length.addr + s->bias, 4);
		want += 8;
	}
	got = readv_remote(s, n);
	if (got < 0)
		return xg_error((int)got, "pid %d: reading runtime.sched: %s", s->pid,
				strerror((int)-got));
	if (got != want)
		return xg_error(-EFAULT, "pid %d: reading runtime.sched at 0x%llx: short read",
				s->pid, (unsigned long long)gl->sched.addr);

	/* a launched program whose runtime has not made its Ps yet, or is making them (procresize
	 * stores gomaxprocs after allp and its Ps) */
	if ((!allp[0] && !allp[1] && !allp[2]) || (gl->gomaxprocs.addr && !gomaxprocs))
		return -ENODATA;
	/* allp: len(allp) is GOMAXPROCS (procresize sets both under a stopped world) */
	if (!allp[0] || allp[1] < 1 || allp[1] > allp[2] || allp[2] > REC_SCHED_MAX_P ||
	    (gl->gomaxprocs.addr && (uint64_t)(int64_t)gomaxprocs != allp[1])) {
		*why = REC_SCHED_BAD_ALLP;
		return -EAGAIN;
	}
	err = read_ps(s, allp[0], allp[2], why);
	if (err)
		return err == -ESRCH ? xg_error(-ESRCH, "pid %d: gone", s->pid) : err;

#define S32(f)	   ((int64_t)(int32_t)u32_at(sb, at(&s->sl, o->f)))
#define P32(pb, f) u32_at(pb, at(&s->pl, o->f))
#define P64(pb, f) u64_at(pb, at(&s->pl, o->f))
	free_gs = o->sched_gfree_n >= 0
		      ? S32(sched_gfree_n)
		      : S32(sched_gfree_stack_size) + S32(sched_gfree_nostack_size);
	runnable = (uint64_t)(o->sched_runqsize >= 0 ? S32(sched_runqsize) : S32(sched_runq_size));
	created =
	    u64_at(sb, at(&s->sl, s->counter ? o->sched_goroutines_created : o->sched_goidgen));
	if (free_gs < 0 || free_gs > MAX_ALLG || (int64_t)runnable < 0 || runnable > MAX_ALLG ||
	    allglen > MAX_ALLG || S32(sched_ngsys) < 0 || S32(sched_ngsys) > (int64_t)allglen) {
		*why = REC_SCHED_BAD_COUNT;
		return -EAGAIN;
	}
	alive = (int64_t)allglen - free_gs - S32(sched_ngsys);
	/* the global run queue again, after the Ps: goroutines moved between it and a P's queue
	 * meanwhile would count twice, or not at all (8 for 4 seen once) */
	{
		int64_t off = o->sched_runqsize >= 0 ? o->sched_runqsize : o->sched_runq_size;
		int32_t again;

		iov(s, 0, &again, gl->sched.addr + s->bias + (uint64_t)off, sizeof(again));
		got = readv_remote(s, 1);
		if (got != (ssize_t)sizeof(again) || (uint64_t)(int64_t)again != runnable) {
			*why = REC_SCHED_BAD_COUNT;
			return got == -ESRCH ? xg_error(-ESRCH, "pid %d: gone", s->pid) : -EAGAIN;
		}
	}
	for (uint64_t i = 0; i < allp[2]; i++) {
		const uint8_t *pb = s->pbuf + i * (size_t)s->pl.len;
		uint32_t q;
		int64_t pfree;

		if (!s->ps[i]) {
			if (i < allp[1]) {
				*why = REC_SCHED_BAD_P;
				return -EAGAIN;
			}
			continue;
		}
		if (P32(pb, p_id) != i) {
			*why = REC_SCHED_BAD_P;
			return -EAGAIN;
		}
		/* the ids a P holds in its cache, Ps past len(allp) included: a P given up by
		 * procresize keeps its cache for when it comes back */
		if (s->counter) {
			uint64_t pc = P64(pb, p_goroutines_created);

			if (pc > MAX_ALLG * 1024ull) {
				*why = REC_SCHED_BAD_COUNT;
				return -EAGAIN;
			}
			created += pc;
		} else {
			uint64_t from = P64(pb, p_goidcache), end = P64(pb, p_goidcacheend);

			if (end < from || end - from > GOID_BATCH) {
				*why = REC_SCHED_BAD_COUNT;
				return -EAGAIN;
			}
			cached += end - from;
		}
		if (i >= allp[1])
			continue;
		/* gcount() and the run queues: Ps in allp[:len] */
		pfree = (int32_t)(o->p_gfree_n >= 0 ? P32(pb, p_gfree_n) : P32(pb, p_gfree_size));
		q = P32(pb, p_runqtail) - P32(pb, p_runqhead);
		if (pfree < 0 || pfree > MAX_ALLG || q > RUNQ_SIZE) {
			*why = REC_SCHED_BAD_COUNT;
			return -EAGAIN;
		}
		alive -= pfree;
		runnable += q + (P64(pb, p_runnext) != 0);
	}
#undef S32
#undef P32
#undef P64
	if (!s->counter) {
		/* ids handed out, less those still cached, less one per extra M */
		uint64_t taken = cached + extram[0] + extram[1];

		if (created < taken) {
			*why = REC_SCHED_BAD_COUNT;
			return -EAGAIN;
		}
		created -= taken;
	}
	threads = (int64_t)u64_at(sb, at(&s->sl, o->sched_mnext)) -
		  (int64_t)u64_at(sb, at(&s->sl, o->sched_nmfreed));
	if (threads < 1 || threads > MAX_M || created > (1ull << 62)) {
		*why = REC_SCHED_BAD_COUNT;
		return -EAGAIN;
	}
	c->created = created;
	c->alive = alive < 1 ? 1 : (uint32_t)alive; /* as gcount(): at least the caller runs */
	c->threads = (uint32_t)threads;
	c->gomaxprocs = gl->gomaxprocs.addr ? (uint32_t)gomaxprocs : 0;
	c->runnable = (uint32_t)runnable;
	return 0;
}
