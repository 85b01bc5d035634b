/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Goroutine status tracking: the table of live goroutines implied by a stream of events
 * (go_create, go_state, go_exit, snapshot). The trace writer keeps one to emit keyframes; the
 * reader keeps one to give the goroutine states at a seek point; replay and outputs may use it
 * as well. Rules (SPEC.md "Keyframes"):
 *   go_create      adds goid as runnable with its parent, PCs and names (replacing a stale entry)
 *   go_state       sets state and reason (adding goid when unknown); to == dead removes it
 *   snapshot       sets state and reason, and the non-zero ones of parent_goid, start_fn,
 *                  start_pc, create_fn, create_pc (adding goid when unknown); dead removes it
 *   go_exit        removes goid
 * Events with goid 0 and other kinds change nothing. since_ts moves only when the state changes.
 * Not thread-safe.
 */
#ifndef XG_FORMAT_GTRACK_H
#define XG_FORMAT_GTRACK_H

#include <stddef.h>
#include <stdint.h>

#include "format/event.h"

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

struct tf_gtrack;

struct tf_gtrack *tf_gtrack__new(void);
void tf_gtrack__free(struct tf_gtrack *t);
void tf_gtrack__clear(struct tf_gtrack *t);
/* Applies one event. 0 or -ENOMEM. */
int tf_gtrack__apply(struct tf_gtrack *t, const struct xg_event *ev);
/* Adds or replaces one entry (loading a keyframe). 0 or -ENOMEM. */
int tf_gtrack__put(struct tf_gtrack *t, const struct tf_goroutine *g);
/* The entry for goid, or NULL. Valid until the next change. */
const struct tf_goroutine *tf_gtrack__get(const struct tf_gtrack *t, uint64_t goid);
size_t tf_gtrack__count(const struct tf_gtrack *t);
/* All live goroutines sorted by goid, *n of them; valid until the next call on t. NULL with
 * *n = 0 when empty or out of memory (errno set then). */
const struct tf_goroutine *tf_gtrack__sorted(struct tf_gtrack *t, size_t *n);

#endif /* XG_FORMAT_GTRACK_H */
