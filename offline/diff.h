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

enum xd_section {
	XD_TOTALS,
	XD_GOROUTINES,
	XD_ALLOC_SITE,
	XD_ALLOC_TYPE,
	XD_STATE_TIME,
	XD_NSECTIONS
};

enum xd_unit {
	XD_COUNT,
	XD_BYTES,
	XD_NS,
};

struct xd_row {
	enum xd_section section;
	enum xd_unit unit;
	char *key;	    /* "main.worker", "main.f (/src/x.go:12)", "[]uint8", "" for totals */
	const char *metric; /* "created", "bytes", "waiting", ... (static) */
	uint64_t a, b;
};

struct xd_result {
	struct xd_row *grew; /* sorted as said above */
	size_t ngrew;
	size_t nshrank; /* figures that got smaller */
	size_t nsame;	/* figures present in both, equal */
};

extern const char *const xd_section_names[XD_NSECTIONS]; /* "totals", "goroutines", ... */
extern const char *const xd_section_titles[XD_NSECTIONS];

/* Compares a and b. 0 or -ENOMEM. */
int xg_diff(const struct xg_analysis *a, const struct xg_analysis *b, double threshold_pct,
	    struct xd_result *out);
void xd_result__free(struct xd_result *r);

#endif /* XG_OFFLINE_DIFF_H */
