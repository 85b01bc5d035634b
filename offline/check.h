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

#define CHECK_UNSET	 UINT64_MAX
#define CHECK_MAX_GOIDS	 10 /* goroutine ids listed per group */
#define CHECK_MAX_STATES 8  /* state breakdown entries per group */

struct check_rules {
	bool no_leaks;
	uint64_t leak_min_age_ns;  /* goroutines younger than this at the end are not leaks */
	const char *const *ignore; /* fnmatch(3) patterns on start / creating function */
	size_t nignore;
	/* limits; CHECK_UNSET when not checked */
	uint64_t max_goroutines;
	uint64_t max_alloc_bytes;
	uint64_t max_alloc_rate; /* bytes per second, peak over 1 s */
	uint64_t max_blocked_ns;
	uint64_t max_heap;
	uint64_t max_lost;
};

#define CHECK_RULES_INIT                                                                           \
	{                                                                                          \
		.max_goroutines = CHECK_UNSET, .max_alloc_bytes = CHECK_UNSET,                     \
		.max_alloc_rate = CHECK_UNSET, .max_blocked_ns = CHECK_UNSET,                      \
		.max_heap = CHECK_UNSET, .max_lost = CHECK_UNSET                                   \
	}

struct check_state_count {
	uint8_t state;
	uint32_t reason; /* string id */
	uint64_t count;
};

/* Leaked goroutines of one creation site and start function; or, for max-blocked, long waits
 * of one start function and wait reason. */
struct check_group {
	struct trace_where site; /* creation site (leaks) */
	uint32_t
	    where_stack; /* leaks: the stack they wait in (a group per creation site and stack) */
	uint32_t start_fn;
	uint32_t create_fn;
	uint64_t count;
	struct check_state_count states[CHECK_MAX_STATES]; /* leaks: what they are stuck in */
	uint32_t nstates;
	uint32_t reason;     /* blocked: the wait reason */
	uint64_t oldest_ts;  /* leaks: earliest creation; blocked: start of the longest wait */
	uint64_t newest_ts;  /* leaks: latest creation */
	uint64_t longest_ns; /* blocked */
	bool ongoing;	     /* blocked: the longest is still waiting at the end */
	bool at_least;	     /* blocked: the longest began before it was seen (a lower bound) */
	uint64_t goids[CHECK_MAX_GOIDS];
	uint32_t ngoids;
};

enum check_rule_id {
	CHECK_NO_LEAKS,
	CHECK_MAX_GOROUTINES,
	CHECK_MAX_ALLOC_BYTES,
	CHECK_MAX_ALLOC_RATE,
	CHECK_MAX_HEAP,
	CHECK_MAX_BLOCKED,
	CHECK_MAX_LOST,
	CHECK_NRULES
};

struct check_rule {
	enum check_rule_id id;
	const char *name; /* "no-leaks", "max-goroutines", ... */
	bool ok;
	uint64_t limit;
	uint64_t value;
	uint64_t at_ts; /* when the value was reached, when it is a peak */
	bool estimate;	/* from sampled events */
};

struct check_report {
	struct check_rule rules[CHECK_NRULES]; /* the rules checked, in enum order */
	uint32_t nrules, failed;
	/* no-leaks */
	struct check_group *leaks; /* sorted: most goroutines first */
	uint32_t nleaks;
	uint64_t leaked;
	uint64_t not_runtime, not_preexisting, not_young, not_ignored; /* alive, not counted */
	/* max-blocked */
	struct check_group *blocked; /* sorted: longest first */
	uint32_t nblocked;
	uint64_t blocked_waits;
};

/* Judges a against r. 0 or -ENOMEM. */
int check__run(const struct analysis *a, const struct check_rules *r, struct check_report *out);
void check_report__free(struct check_report *rep);

/* Parses a byte count: "1048576", "512K", "10MB", "64KiB", "1.5GiB" (K, M, G, T and KB...:
 * powers of 1000; Ki, KiB...: powers of 1024; a trailing B is optional), with an optional
 * "/s" when per_second. 0 or -EINVAL. */
int check_parse_bytes(const char *s, bool per_second, uint64_t *out);

#endif /* XG_OFFLINE_CHECK_H */
