/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * bpf/xgotop.bpf.c as a libbpf object: its programs and maps by name, and its knobs (the
 * const volatile .rodata, typed by the bpftool skeleton's struct) to fill before load.
 */
#ifndef XG_RECORD_BPFOBJ_H
#define XG_RECORD_BPFOBJ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gobin/offsets.h"
#include "record/plan.h"

struct bpf_object;
struct bpf_map;
struct bpf_program;

struct rec_bpf {
	struct bpf_object *obj;
	struct bpf_map *events, *lost, *sample, *sites;
	struct bpf_program *progs[REC_PROG_MAX];
};

/* The knobs of bpf/xgotop.bpf.c (its const volatile globals). */
struct rec_bpf_knobs {
	uint32_t tgid;		      /* only this process; 0 = any */
	uint32_t kinds;		      /* XGB_KIND_BIT()s */
	bool stacks;		      /* walk user stacks */
	bool create_deferred;	      /* see rec_plan.create_deferred */
	uint64_t wakeup_bytes;	      /* wake the reader once this much is queued */
	size_t ringbuf_bytes;	      /* ring buffer size */
	const struct go_offsets *off; /* runtime struct offsets */
};

/* Opens the object embedded in the binary and sets its knobs. 0 or -errno with a message. */
int rec_bpf__open(struct rec_bpf *b, const struct rec_bpf_knobs *k);
/* Verifies and loads every program. 0 or -errno with a message. */
int rec_bpf__load(struct rec_bpf *b);
void rec_bpf__close(struct rec_bpf *b);

#endif /* XG_RECORD_BPFOBJ_H */
