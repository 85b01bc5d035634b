// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The probe budget's duty cycle (record/budget.h). */
#include <string.h>

#include "record/budget.h"

void rec_budget__init(struct rec_budget *b, double limit, double trap_ns, unsigned int n,
		      uint64_t now, int64_t cpu_ns)
{
	memset(b, 0, sizeof(*b));
	b->limit = limit < 0 ? 0 : limit;
	b->trap_ns = trap_ns;
	b->n = n > REC_BUDGET_UNITS ? REC_BUDGET_UNITS : n;
	b->period_start = now;
	b->next = now; /* the caller puts every unit in at once */
	b->cpu_last = cpu_ns;
	for (unsigned int i = 0; i < b->n; i++) {
		b->u[i].rate = -1;
		b->u[i].share = 1;
		b->u[i].window_end = now + REC_BUDGET_FIRST_NS;
	}
}

bool rec_budget__due(const struct rec_budget *b, uint64_t now)
{
	return now >= b->next;
}

/* Unit u's time in, up to now. */
static void accrue(struct rec_budget_unit *u, uint64_t now)
{
	if (!u->in || now <= u->since)
		return;
	u->in_ns += now - u->since;
	u->total_in_ns += now - u->since;
	u->since = now;
}

/* The shares of the next period, from the last one's CPU time and each unit's rate. */
static void decide(struct rec_budget *b, uint64_t now, int64_t cpu_ns)
{
	double left, cost_ns = 0; /* the traps' price in the period that ends */
	double share;		  /* of the target's own CPU time (without the traps) */

	for (unsigned int i = 0; i < b->n; i++) {
		struct rec_budget_unit *u = &b->u[i];

		/* a rate from a window under a millisecond is noise: keep the last one (none: the
		 * unit stays in, and is measured again when it has ten hits) */
		if (u->in_ns >= 1000000)
			u->rate = (double)u->hits / (double)u->in_ns;
		cost_ns += (double)u->hits * b->trap_ns;
	}
	/* the target's own CPU time per period at the last one's pace: the traps' price is in
	 * its CPU time, and a window full of traps would otherwise raise the next budget */
	if (cpu_ns >= 0 && b->cpu_last >= 0 && cpu_ns >= b->cpu_last && now > b->period_start) {
		double own = (double)(cpu_ns - b->cpu_last) - cost_ns;

		b->cpu_ns = (own > 0 ? own : 0) * (double)REC_BUDGET_PERIOD_NS /
			    (double)(now - b->period_start);
	}
	if (cpu_ns >= 0)
		b->cpu_last = cpu_ns;
	/* what the traps may cost in the next period, if the target keeps its pace, less what
	 * they cost beyond their share so far (or plus what they left of it, up to a period's
	 * worth): the first measurement (every unit in: where traps are dear, a few periods'
	 * worth, repaid like the rest), windows that ran long */
	/* (traps / (own + traps) = limit: traps = own * limit / (1 - limit)) */
	share = b->limit < 1 ? b->limit / (1 - b->limit) : 1e9;
	b->debt_ns += cost_ns - share * b->cpu_ns * (double)(now - b->period_start) /
				    (double)REC_BUDGET_PERIOD_NS;
	if (b->debt_ns < -share * b->cpu_ns)
		b->debt_ns = -share * b->cpu_ns;
	left = share * b->cpu_ns - b->debt_ns;
	if (left < 0)
		left = 0;
	for (unsigned int k = b->n; k-- > 0;) {
		struct rec_budget_unit *u = &b->u[k];
		double full = u->rate > 0 ? u->rate * (double)REC_BUDGET_PERIOD_NS * b->trap_ns : 0;
		double w;

		u->share = full > left ? left / full : 1;
		u->planned_ns = u->share * full;
		left -= u->planned_ns;
		w = u->share * (double)REC_BUDGET_PERIOD_NS;
		if (w >= (double)REC_BUDGET_MIN_WINDOW_NS) {
			u->window_end = now + (uint64_t)w;
			u->saved_ns = 0;
			continue;
		}
		u->saved_ns += w;
		if (u->saved_ns >= (double)REC_BUDGET_MIN_WINDOW_NS) {
			u->window_end = now + (uint64_t)u->saved_ns;
			u->saved_ns = 0;
		} else {
			u->window_end = 0;
		}
	}
	for (unsigned int i = 0; i < b->n; i++) {
		b->u[i].hits = 0;
		b->u[i].in_ns = 0;
	}
	b->period_start = now;
}

/* Whether a unit in, with no hit when its rate was measured, has ten now. */
static bool unmeasured(const struct rec_budget *b)
{
	for (unsigned int i = 0; i < b->n; i++)
		if (b->decisions && b->u[i].in && b->u[i].rate == 0 && b->u[i].hits >= 10)
			return true;
	return false;
}

void rec_budget__feed(struct rec_budget *b, uint64_t now, int64_t cpu_ns, const uint64_t *hits)
{
	for (unsigned int i = 0; i < b->n; i++) {
		struct rec_budget_unit *u = &b->u[i];

		accrue(u, now);
		u->hits += hits[i] >= u->hits_last ? hits[i] - u->hits_last : 0;
		u->hits_last = hits[i];
	}
	/* a period ends (the first one, of measurement only, is shorter; and so is one in which
	 * a unit that showed no hit when measured shows ten: its rate is measured now) */
	if (now >= b->period_start + (b->decisions ? REC_BUDGET_PERIOD_NS : REC_BUDGET_FIRST_NS) ||
	    unmeasured(b)) {
		decide(b, now, cpu_ns);
		b->decisions++;
	} else if (b->decisions) {
		/* a unit that spent half as much again as the period's plan for it (and ten traps
		 * more): the target got busier than its rate said; it goes out now */
		for (unsigned int i = 0; i < b->n; i++) {
			struct rec_budget_unit *u = &b->u[i];

			if (u->window_end > now &&
			    (double)u->hits * b->trap_ns > 1.5 * u->planned_ns + 10 * b->trap_ns) {
				u->window_end = now;
			}
		}
	}
	b->next = b->period_start + (b->decisions ? REC_BUDGET_PERIOD_NS : REC_BUDGET_FIRST_NS);
	for (unsigned int i = 0; i < b->n; i++) {
		uint64_t end = b->u[i].window_end;

		/* (while a unit is in, what it spends is looked at every REC_BUDGET_CHECK_NS) */
		if (end > now && b->decisions && end > now + REC_BUDGET_CHECK_NS)
			end = now + REC_BUDGET_CHECK_NS;
		if (end > now && end < b->next)
			b->next = end;
	}
}

bool rec_budget__want(const struct rec_budget *b, unsigned int u, uint64_t now)
{
	return u < b->n && b->u[u].window_end > now;
}

void rec_budget__set(struct rec_budget *b, unsigned int u, bool in, uint64_t now)
{
	if (u >= b->n || b->u[u].in == in)
		return;
	accrue(&b->u[u], now);
	b->u[u].in = in;
	b->u[u].since = now;
}

void rec_budget__set_limit(struct rec_budget *b, double limit)
{
	b->limit = limit < 0 ? 0 : limit;
	b->debt_ns = 0;
}

double rec_budget__coverage(const struct rec_budget *b, unsigned int u, uint64_t start,
			    uint64_t now)
{
	uint64_t in;

	if (u >= b->n || now <= start)
		return 0;
	in = b->u[u].total_in_ns + (b->u[u].in && now > b->u[u].since ? now - b->u[u].since : 0);
	return in >= now - start ? 1 : (double)in / (double)(now - start);
}
