/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The probe budget (record --budget): the share of the target's CPU time that the uprobes'
 * traps may take. Each trap costs the target one measured price (rec_bpf__trap_cost()); the
 * kernel counts the hits of each program (rec_bpf__prog_traps()), /proc the target's CPU
 * time. From those, at the end of each period, the controller gives every unit (a set of
 * programs turned on and off together, listed in the order they are given up) the share of
 * the next period it can afford, in the reverse order: the last unit listed is served first,
 * the first is the first to go. A unit then has its probes in for one window per period, from
 * the period's start, as long as its share; a share shorter than REC_BUDGET_MIN_WINDOW_NS is
 * saved up over the periods until it makes a window that long. A unit's hit rate is measured
 * while it is in and kept while it is out. While units are in, what they spent is looked at
 * every REC_BUDGET_CHECK_NS: one that spent half as much again as planned goes out, whatever
 * its window said (a target busier than when it was measured).
 *
 *	struct rec_budget b;
 *	rec_budget__init(&b, 0.01, trap_ns, n, now, target_cpu_ns);
 *	each loop turn: if (rec_budget__due(&b, now)) {
 *		rec_budget__feed(&b, now, target_cpu_ns, hits_of_each_unit);
 *		for each unit u whose rec_budget__want(&b, u, now) differs from b.u[u].in:
 *			attach or detach its probes, then rec_budget__set(&b, u, in, when done)
 *	}
 *
 * Pure arithmetic: no BPF, no clock of its own (tests/unit/test_record.c drives it).
 */
#ifndef XG_RECORD_BUDGET_H
#define XG_RECORD_BUDGET_H

#include <stdbool.h>
#include <stdint.h>

#define REC_BUDGET_PERIOD_NS	 1000000000ull /* one decision per second */
#define REC_BUDGET_MIN_WINDOW_NS 20000000ull   /* no window shorter than 20 ms */
#define REC_BUDGET_FIRST_NS	 10000000ull   /* every unit in for 10 ms at first, to measure */
#define REC_BUDGET_CHECK_NS	 10000000ull   /* spending looked at every 10 ms while in */
#define REC_BUDGET_UNITS	 8

struct rec_budget_unit {
	bool in;	      /* its probes are in */
	uint64_t since;	      /* when it last went in (valid while in) */
	uint64_t in_ns;	      /* time in, this period */
	uint64_t hits_last;   /* the hit count fed last */
	uint64_t hits;	      /* hits this period */
	double rate;	      /* hits per ns while in; < 0 while never measured */
	double share;	      /* of the current period: its window's length over the period */
	double planned_ns;    /* what its traps should cost in this period */
	uint64_t window_end;  /* in until then (0: out this period) */
	double saved_ns;      /* window time saved up from shares too short for a window */
	uint64_t total_in_ns; /* time in since the start */
};

struct rec_budget {
	double limit;	/* the share of the target's CPU the traps may take, 0-1 */
	double trap_ns; /* one trap's price */
	uint64_t period_start, next;
	int64_t cpu_last; /* the target's CPU time at the period's start, -1 unknown */
	double cpu_ns;	  /* the target's own CPU time (without the traps) per period, at the
			   * last period's pace */
	double debt_ns;	  /* what they cost beyond their share so far (< 0: less) */
	uint64_t decisions;
	unsigned int n;
	struct rec_budget_unit u[REC_BUDGET_UNITS];
};

/* limit: 0-1; trap_ns: > 0; n units (at most REC_BUDGET_UNITS), the first to go first; all
 * are wanted in for the first REC_BUDGET_FIRST_NS from now; cpu_ns: the target's CPU time so
 * far (-1 unknown). */
void rec_budget__init(struct rec_budget *b, double limit, double trap_ns, unsigned int n,
		      uint64_t now, int64_t cpu_ns);
/* Whether a decision is due at now (feed, then look at the wants). */
bool rec_budget__due(const struct rec_budget *b, uint64_t now);
/* The state at now: the target's CPU time so far (-1 unknown: the shares stay) and each
 * unit's hit count so far (hits[0..n)). Decides the wants from now until the next due. */
void rec_budget__feed(struct rec_budget *b, uint64_t now, int64_t cpu_ns, const uint64_t *hits);
/* Whether unit u's probes should be in at now; the caller tells rec_budget__set() when they
 * are. */
bool rec_budget__want(const struct rec_budget *b, unsigned int u, uint64_t now);
void rec_budget__set(struct rec_budget *b, unsigned int u, bool in, uint64_t now);
/* A new limit (0-1), from the next decision on; what was spent beyond the old one is
 * forgotten. */
void rec_budget__set_limit(struct rec_budget *b, double limit);
/* The share of the time since start (to now) unit u has been in, 0-1. */
double rec_budget__coverage(const struct rec_budget *b, unsigned int u, uint64_t start,
			    uint64_t now);

#endif /* XG_RECORD_BUDGET_H */
