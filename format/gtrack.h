/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Goroutine status tracking: the table of live goroutines implied by a stream of events
 * (go_create, go_state, go_exit, snapshot). The rules live here, once (SPEC.md "Keyframes"): the
 * trace writer keeps a table to emit keyframes, the reader to give the goroutine states at a
 * seek point, the exports to draw state slices, and the goroutine model (model/model.h) steps
 * its own records with tf_goroutine__step().
 *   go_create      adds goid as runnable with its parent, PCs and names; when goid is already
 *                  known (its own events were written before its creator's go_create: they came
 *                  from another CPU) it adds the creation facts and keeps its state
 *   go_state       sets state and reason (adding goid when unknown); to == dead removes it
 *   snapshot       sets state and reason, and the non-zero ones of parent_goid, start_fn,
 *                  start_pc, create_fn, create_pc (adding goid when unknown); dead removes it
 *   go_exit        removes goid
 *   an event about a goid removed in the last TF_GONE_NS of trace time is late and changes
 *   nothing (goids are never reused)
 * Events with goid 0 and other kinds change nothing. since_ts moves only when the state changes.
 * Not thread-safe.
 */
#ifndef XG_FORMAT_GTRACK_H
#define XG_FORMAT_GTRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format/event.h"
#include "util/u64map.h"

struct tf_goroutine {
	uint64_t goid;
	uint64_t parent_goid; /* 0 when unknown */
	uint64_t start_pc;
	uint64_t create_pc;
	uint64_t created_ts; /* ts of its go_create; 0 when it predates what was seen */
	uint64_t since_ts;   /* ts at which it entered state */
	uint32_t start_fn;   /* string ids; 0 when unknown */
	uint32_t create_fn;
	uint32_t reason; /* wait reason string id when waiting */
	uint8_t state;	 /* enum xg_gstate */
	uint8_t pad[3];
};

/* How long a removed goid is remembered, in trace time, so that late events about it are
 * ignored rather than bringing it back. */
#define TF_GONE_NS (10ULL * 1000000000ULL)

/* What one event did to a goroutine's entry. */
enum tf_gstep {
	TF_GSTEP_NONE = 0, /* nothing: another kind, goid 0, or a late event */
	TF_GSTEP_SET,	   /* added or changed (possibly to the same values) */
	TF_GSTEP_GONE,	   /* removed: it exited (also when it was not known) */
};

/*
 * The rules on one entry: applies ev to *g, which holds the goroutine's entry when known (else
 * anything; it is filled when the event adds the goroutine). The caller keeps the table and the
 * late-event rule (struct tf_gone). ev->goid must be non-zero.
 */
enum tf_gstep tf_goroutine__step(struct tf_goroutine *g, bool known, const struct xg_event *ev);

/* Goids removed recently (TF_GONE_NS), to ignore late events about them. Zeroed = empty. */
struct tf_gone {
	struct u64map at; /* goid -> ts of its removal */
	uint64_t *fifo;	  /* goids in removal order: fifo[head..len) */
	size_t head, len, cap;
};

void tf_gone__free(struct tf_gone *s);
void tf_gone__clear(struct tf_gone *s);
/* Remembers goid removed at ts, forgetting those removed more than TF_GONE_NS before. 0 or
 * -ENOMEM. */
int tf_gone__add(struct tf_gone *s, uint64_t goid, uint64_t ts);
bool tf_gone__has(const struct tf_gone *s, uint64_t goid);

struct tf_gtrack;

struct tf_gtrack *tf_gtrack__new(void);
void tf_gtrack__free(struct tf_gtrack *t);
void tf_gtrack__clear(struct tf_gtrack *t);
/* Applies one event. 0 or -ENOMEM. */
int tf_gtrack__apply(struct tf_gtrack *t, const struct xg_event *ev);
/*
 * Same, telling what changed: *had says whether the goroutine was known before, *before is its
 * entry then, *after its entry now (NULL when it is gone; valid until the next change). 0, 1
 * when the event changed nothing (another kind, goid 0, late), or -ENOMEM.
 */
int tf_gtrack__step(struct tf_gtrack *t, const struct xg_event *ev, bool *had,
		    struct tf_goroutine *before, const struct tf_goroutine **after);
/* Adds or replaces one entry (loading a keyframe). 0 or -ENOMEM. */
int tf_gtrack__put(struct tf_gtrack *t, const struct tf_goroutine *g);
/* The entry for goid, or NULL. Valid until the next change. */
const struct tf_goroutine *tf_gtrack__get(const struct tf_gtrack *t, uint64_t goid);
size_t tf_gtrack__count(const struct tf_gtrack *t);
/* All live goroutines sorted by goid, *n of them; valid until the next call on t. NULL with
 * *n = 0 when empty or out of memory (errno set then). */
const struct tf_goroutine *tf_gtrack__sorted(struct tf_gtrack *t, size_t *n);

#endif /* XG_FORMAT_GTRACK_H */
