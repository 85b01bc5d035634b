/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * `xgotop check` rules over an analysed trace (offline/analyze.h): leaked goroutines grouped by
 * creation site and the stack they wait in (as goleak reports them from inside a test), and limits
 * on goroutines, allocations, the heap, waits and lost events. The front end (cli/cmd_check.c)
 * prints the result as text or JSON.
 */
#ifndef XG_OFFLINE_CHECK_H
#define XG_OFFLINE_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "offline/analyze.h"

#define XC_UNSET      UINT64_MAX
#define XC_MAX_GOIDS  10 /* goroutine ids listed per group */
#define XC_MAX_STATES 8	 /* state breakdown entries per group */

struct xc_rules {
	bool no_leaks;
	uint64_t leak_min_age_ns;  /* goroutines younger than this at the end are not leaks */
	const char *const *ignore; /* fnmatch(3) patterns on start / creating function */
	size_t nignore;
	/* limits; XC_UNSET when not checked */
	uint64_t max_goroutines;
	uint64_t max_alloc_bytes;
	uint64_t max_alloc_rate; /* bytes per second, peak over 1 s */
	uint64_t max_blocked_ns;
	uint64_t max_heap;
	uint64_t max_lost;
};

#define XC_RULES_INIT                                                                              \
	{                                                                                          \
		.max_goroutines = XC_UNSET, .max_alloc_bytes = XC_UNSET,                           \
		.max_alloc_rate = XC_UNSET, .max_blocked_ns = XC_UNSET, .max_heap = XC_UNSET,      \
		.max_lost = XC_UNSET                                                               \
	}

struct xc_state_count {
	uint8_t state;
	uint32_t reason; /* string id */
	uint64_t count;
};

/* Leaked goroutines of one creation site and start function; or, for max-blocked, long waits
 * of one start function and wait reason. */
struct xc_group {
	struct xg_where site; /* creation site (leaks) */
	uint32_t
	    where_stack; /* leaks: the stack they wait in (a group per creation site and stack) */
	uint32_t start_fn;
	uint32_t create_fn;
	uint64_t count;
	struct xc_state_count states[XC_MAX_STATES]; /* leaks: what they are stuck in */
	uint32_t nstates;
	uint32_t reason;     /* blocked: the wait reason */
	uint64_t oldest_ts;  /* leaks: earliest creation; blocked: start of the longest wait */
	uint64_t newest_ts;  /* leaks: latest creation */
	uint64_t longest_ns; /* blocked */
	bool ongoing;	     /* blocked: the longest is still waiting at the end */
	bool at_least;	     /* blocked: the longest began before it was seen (a lower bound) */
	uint64_t goids[XC_MAX_GOIDS];
	uint32_t ngoids;
};

enum xc_rule_id {
	XC_NO_LEAKS,
	XC_MAX_GOROUTINES,
	XC_MAX_ALLOC_BYTES,
	XC_MAX_ALLOC_RATE,
	XC_MAX_HEAP,
	XC_MAX_BLOCKED,
	XC_MAX_LOST,
	XC_NRULES
};

struct xc_rule {
	enum xc_rule_id id;
	const char *name; /* "no-leaks", "max-goroutines", ... */
	bool ok;
	uint64_t limit;
	uint64_t value;
	uint64_t at_ts; /* when the value was reached, when it is a peak */
	bool estimate;	/* from sampled events */
};

struct xc_report {
	struct xc_rule rules[XC_NRULES]; /* the rules checked, in enum order */
	uint32_t nrules, failed;
	/* no-leaks */
	struct xc_group *leaks; /* sorted: most goroutines first */
	uint32_t nleaks;
	uint64_t leaked;
	uint64_t not_runtime, not_preexisting, not_young, not_ignored; /* alive, not counted */
	/* max-blocked */
	struct xc_group *blocked; /* sorted: longest first */
	uint32_t nblocked;
	uint64_t blocked_waits;
};

/* Judges a against r. 0 or -ENOMEM. */
int xg_check(const struct xg_analysis *a, const struct xc_rules *r, struct xc_report *out);
void xc_report__free(struct xc_report *rep);

/* Parses a byte count: "1048576", "512K", "10MB", "64KiB", "1.5GiB" (K, M, G, T and KB...:
 * powers of 1000; Ki, KiB...: powers of 1024; a trailing B is optional), with an optional
 * "/s" when per_second. 0 or -EINVAL. */
int xc_parse_bytes(const char *s, bool per_second, uint64_t *out);

#endif /* XG_OFFLINE_CHECK_H */
