/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The reader's side of a BPF ring buffer map (BPF_MAP_TYPE_RINGBUF), mapped by hand instead of
 * through libbpf's ring_buffer: libbpf stores the consumer position after every record, and
 * every such store takes the position's cache line from the CPUs whose programs reserve
 * (bpf_ringbuf_reserve reads it on every hit). Here the position moves once per
 * REC_RING_RETURN_BYTES of records and at the end of each consume: the same records, in the same
 *order, with the same callback contract as libbpf's (a negative return stops the consume after that
 * record, which counts as read).
 *
 *	struct rec_ring *r = rec_ring__new(map_fd, cb, ctx);
 *	epoll on rec_ring__fd(r); then n = rec_ring__consume(r);
 *	rec_ring__free(r);
 */
#ifndef XG_RECORD_RINGBUF_H
#define XG_RECORD_RINGBUF_H

#include <stddef.h>

#define REC_RING_RETURN_BYTES 4096

typedef int (*rec_ring_cb)(void *ctx, void *data, size_t size);

struct rec_ring;

/* NULL with errno (and a message) when the map cannot be mapped. */
struct rec_ring *rec_ring__new(int map_fd, rec_ring_cb cb, void *ctx);
void rec_ring__free(struct rec_ring *r);
/* The map's fd: readable (EPOLLIN) when the programs asked for a wakeup. */
int rec_ring__fd(const struct rec_ring *r);
/* Reads every committed record; returns how many, or the callback's negative return. */
long rec_ring__consume(struct rec_ring *r);

#endif
