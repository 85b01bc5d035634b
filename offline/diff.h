/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * `xgotop diff A B`: what grew from trace A to trace B. Each analysed trace (offline/analyze.h)
 * becomes a list of figures keyed by name, so traces with different string tables compare:
 *
 *   totals       goroutines created, alive at the end, most alive at once; bytes and objects
 *                allocated (scaled); peak heap; GC cycles; lost events
 *   goroutines   per start function: created, exited, alive at the end, most alive at once
 *   alloc-site   per allocation site (top user frame: function (file:line)): bytes, objects
 *   alloc-type   per type: bytes, objects
 *   state-time   per start function and state slot (running, runnable, waiting, syscall,
 *                other): ns spent by its goroutines
 *
 * A figure grew when B > A and the growth is at least threshold percent of A (a figure absent
 * from A counts as 0 and always grew). Rows come sorted by section, then by growth (largest
 * first), then by key and metric: the order is stable.
 */
#ifndef XG_OFFLINE_DIFF_H
#define XG_OFFLINE_DIFF_H

#include <stddef.h>
#include <stdint.h>

#include "offline/analyze.h"

enum diff_section {
	DIFF_TOTALS,
	DIFF_GOROUTINES,
	DIFF_ALLOC_SITE,
	DIFF_ALLOC_TYPE,
	DIFF_STATE_TIME,
	DIFF_NSECTIONS
};

enum diff_unit {
	DIFF_COUNT,
	DIFF_BYTES,
	DIFF_NS,
};

struct diff_row {
	enum diff_section section;
	enum diff_unit unit;
	char *key;	    /* "main.worker", "main.f (/src/x.go:12)", "[]uint8", "" for totals */
	const char *metric; /* "created", "bytes", "waiting", ... (static) */
	uint64_t a, b;
};

struct diff_result {
	struct diff_row *grew; /* sorted as said above */
	size_t ngrew;
	size_t nshrank; /* figures that got smaller */
	size_t nsame;	/* figures present in both, equal */
};

extern const char *const diff_section_names[DIFF_NSECTIONS]; /* "totals", "goroutines", ... */
extern const char *const diff_section_titles[DIFF_NSECTIONS];

/* Compares a and b. 0 or -ENOMEM. */
int diff__run(const struct analysis *a, const struct analysis *b, double threshold_pct,
	      struct diff_result *out);
void diff_result__free(struct diff_result *r);

#endif /* XG_OFFLINE_DIFF_H */
