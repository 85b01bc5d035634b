// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A BPF ring buffer's reader (record/ringbuf.h). The kernel's layout (kernel/bpf/ringbuf.c):
 * the map's first page holds the consumer position (the reader's to write), the second the
 * producer position; the data area follows, mapped twice in a row so that a record that wraps
 * reads as one piece. Each record starts with an 8-byte header: its length, with a busy bit
 * while the program has not submitted it and a discard bit when it gave it up.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "record/ringbuf.h"
#include "util/err.h"

struct rec_ring {
	int fd;
	rec_ring_cb cb;
	void *ctx;
	size_t page, size;   /* page size; data bytes (a power of 2) */
	unsigned long *cons; /* consumer position (read-write page) */
	unsigned long *prod; /* producer position (read-only, followed by the data twice) */
	const uint8_t *data;
};

struct rec_ring *rec_ring__new(int map_fd, rec_ring_cb cb, void *ctx)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);
	struct rec_ring *r;
	void *p;

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(map_fd, &info, &len)) {
		xg_error(-errno, "ring buffer map (fd %d): %s", map_fd, strerror(errno));
		return NULL;
	}
	if (info.type != BPF_MAP_TYPE_RINGBUF || !info.max_entries ||
	    (info.max_entries & (info.max_entries - 1))) {
		xg_error(-EINVAL, "map fd %d: not a ring buffer", map_fd);
		errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		xg_error(-ENOMEM, "ring buffer map (fd %d): out of memory", map_fd);
		return NULL;
	}
	r->fd = map_fd;
	r->cb = cb;
	r->ctx = ctx;
	r->page = (size_t)sysconf(_SC_PAGESIZE);
	r->size = info.max_entries;
	p = mmap(NULL, r->page, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
	if (p == MAP_FAILED)
		goto fail;
	r->cons = p;
	p = mmap(NULL, r->page + 2 * r->size, PROT_READ, MAP_SHARED, map_fd, (off_t)r->page);
	if (p == MAP_FAILED)
		goto fail;
	r->prod = p;
	r->data = (const uint8_t *)p + r->page;
	return r;
fail:
	xg_error(-errno, "ring buffer map (fd %d): mmap: %s", map_fd, strerror(errno));
	rec_ring__free(r);
	return NULL;
}

void rec_ring__free(struct rec_ring *r)
{
	int e = errno;

	if (!r)
		return;
	if (r->cons)
		munmap(r->cons, r->page);
	if (r->prod)
		munmap(r->prod, r->page + 2 * r->size);
	free(r);
	errno = e;
}

int rec_ring__fd(const struct rec_ring *r)
{
	return r->fd;
}

long rec_ring__consume(struct rec_ring *r)
{
	unsigned long cons = __atomic_load_n(r->cons, __ATOMIC_ACQUIRE), prod, stored = cons;
	long n = 0;
	int err = 0;

	for (;;) {
		prod = __atomic_load_n(r->prod, __ATOMIC_ACQUIRE);
		if (cons >= prod)
			break;
		while (cons < prod) {
			const uint32_t *hdr = (const uint32_t *)(r->data + (cons & (r->size - 1)));
			uint32_t len = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);

			if (len & BPF_RINGBUF_BUSY_BIT)
				goto done;
			cons += ((len & ~BPF_RINGBUF_DISCARD_BIT) + BPF_RINGBUF_HDR_SZ + 7) & ~7ul;
			if (!(len & BPF_RINGBUF_DISCARD_BIT)) {
				n++;
				err = r->cb(r->ctx, (void *)(hdr + 2),
					    len & ~BPF_RINGBUF_DISCARD_BIT);
				if (err < 0)
					goto done;
			}
			/* the space back to the programs now and then, not after each record */
			if (cons - stored >= REC_RING_RETURN_BYTES) {
				__atomic_store_n(r->cons, cons, __ATOMIC_RELEASE);
				stored = cons;
			}
		}
	}
done:
	if (cons != stored)
		__atomic_store_n(r->cons, cons, __ATOMIC_RELEASE);
	return err < 0 ? err : n;
}
