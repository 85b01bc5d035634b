// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The probe budget at work (record/budget.h does the arithmetic): which programs of the plan
 * form each unit, the trap's price measured before the probes go in, the probes taken out and
 * put back in as the budget says, and a window event (SPEC.md section 10) for each kind a
 * unit produces each time it goes in or out.
 */
#include "record/recorder_internal.h"

#define PROG(p) (1u << REC_PROG_##p)

/* How long a program already past its on/off check when it was turned off may still take to
 * send its event: a window ends this long after the programs were turned off. */
#define PAST_CHECK_NS 200000

/* Production mode's units (programs turned on and off together), the first to go first:
 * creations (and the exits the gdestroy probe sees, with --exit-probe), then large
 * allocations, allocation samples, GC cycles. */
static const uint32_t production_units[] = {
    PROG(GO_NEW) | PROG(GDESTROY),
    PROG(ALLOC),
    PROG(ALLOC_SAMPLE),
    PROG(GC_START) | PROG(GC_END),
};

/* The kind production mode's program p produces. */
static unsigned int kind_of(int p)
{
	switch (p) {
	case REC_PROG_GO_NEW:
		return XG_EV_GO_CREATE;
	case REC_PROG_GDESTROY:
		return XG_EV_GO_EXIT;
	case REC_PROG_ALLOC:
		return XG_EV_ALLOC;
	case REC_PROG_ALLOC_SAMPLE:
		return XG_EV_ALLOC_SAMPLE;
	case REC_PROG_GC_START:
		return XG_EV_GC_START;
	case REC_PROG_GC_END:
		return XG_EV_GC_END;
	default:
		return XG_EV_NONE;
	}
}

/* Whether program p has a probe in the plan. */
static bool planned(const struct rec_plan *plan, int p)
{
	for (uint32_t i = 0; i < plan->n; i++)
		if (plan->probes[i].prog == (enum rec_prog)p)
			return true;
	return false;
}

int rec__budget_measure(struct recorder *r)
{
	double limit = r->o.budget_set ? r->o.budget : r->production ? RECORDER_BUDGET : -1;
	unsigned int n = 0;

	r->budget_limit = -1;
	if (limit < 0)
		return 0;
	if (!r->production)
		return xg_error(-EINVAL, "--budget: production mode only for now (full mode "
					 "keeps every probe in)");
	if (rec_bpf__trap_cost(&r->bpf, &r->trap_ns) || !(r->trap_ns > 0)) {
		fprintf(stderr,
			"xgotop record: the budget cannot be held: %s; every probe stays in\n",
			r->trap_ns > 0 ? xg_errmsg() : "a trap's price measured 0");
		r->trap_ns = 0;
		return 0;
	}
	r->trap_measured = true;
	for (size_t i = 0; i < sizeof(production_units) / sizeof(production_units[0]); i++) {
		uint32_t progs = 0, kinds = 0;

		for (int p = 0; p < REC_PROG_MAX; p++)
			if ((production_units[i] & (1u << p)) && planned(&r->plan, p)) {
				progs |= 1u << p;
				kinds |= XGB_KIND_BIT(kind_of(p));
			}
		if (!progs || n == REC_BUDGET_UNITS)
			continue;
		r->unit_progs[n] = progs;
		r->unit_kinds[n] = kinds;
		r->budget_progs |= progs;
		n++;
	}
	r->nunits = n;
	r->budget_limit = limit;
	r->budgeted = n > 0;
	return 0;
}

/* A window event for each kind of unit u. */
static void window_events(struct recorder *r, unsigned int u, bool in, uint64_t now)
{
	for (unsigned int k = 0; k < XG_EV_KIND_MAX; k++) {
		struct xg_event ev = {0};

		if (!(r->unit_kinds[u] & r->o.kinds & XGB_KIND_BIT(k)))
			continue;
		ev.ts = now > r->start_mono ? now - r->start_mono : 0;
		ev.kind = XG_EV_WINDOW;
		ev.of = (uint8_t)k;
		ev.count = in;
		rec_ingest__push(r->ing, &ev);
	}
}

int rec__budget_start(struct recorder *r)
{
	if (r->budgeted && rec_bpf__prog_traps(&r->bpf, r->hits_base))
		return xg_error(-EIO, "BPF: cannot read the probes' hit counts");
	return 0;
}

void rec__budget_change(struct recorder *r, double limit)
{
	struct xg_event ev = {0};
	uint64_t now = rec__clock_ns(CLOCK_MONOTONIC);

	if (!r->budgeted) {
		fprintf(stderr, "xgotop record: a budget cannot begin while recording (record with "
				"--budget); the probes stay in\n");
		return;
	}
	if (limit < 0 || limit > 1)
		limit = 1; /* none: every probe in */
	r->budget_limit = limit;
	rec_budget__set_limit(&r->budget, limit);
	ev.ts = now > r->start_mono ? now - r->start_mono : 0;
	ev.kind = XG_EV_BUDGET;
	ev.count = (uint64_t)(limit * 1e6 + 0.5);
	rec_ingest__push(r->ing, &ev);
	if (!r->o.quiet)
		fprintf(stderr, "xgotop record: budget %g%% of the target's CPU from now on\n",
			limit * 100);
}

void rec__budget_turn(struct recorder *r, uint64_t now)
{
	uint64_t hits[XGB_NPROGS], uhits[REC_BUDGET_UNITS] = {0};

	if (!r->budgeted)
		return;
	/* the units' first windows start with the event loop, not before */
	if (!r->budget_begun) {
		rec_budget__init(&r->budget, r->budget_limit, r->trap_ns, r->nunits, now,
				 rec__process_cpu_ns(r->t.pid));
		r->budget_begun = true;
	}
	if (!rec_budget__due(&r->budget, now))
		return;
	if (rec_bpf__prog_traps(&r->bpf, hits))
		return; /* next turn */
	for (unsigned int u = 0; u < r->nunits; u++)
		for (int p = 0; p < REC_PROG_MAX; p++)
			if (r->unit_progs[u] & (1u << p))
				uhits[u] += hits[p] - r->hits_base[p];
	rec_budget__feed(&r->budget, now, rec__process_cpu_ns(r->t.pid), uhits);
	for (unsigned int u = 0; u < r->nunits; u++) {
		bool in = rec_budget__want(&r->budget, u, now);
		int err = 0;

		if (in == r->budget.u[u].in)
			continue;
		/* In: the probes go in, then their programs are turned on: the window starts
		 * there. Out: the programs are turned off (they count their hits and return), the
		 * window ends there (a moment later, for one that was already past the check),
		 * and the probes are taken out in the background (the kernel then waits for an
		 * RCU grace period, 0.1-0.3 s). */
		for (int p = 0; p < REC_PROG_MAX && !err; p++)
			if ((r->unit_progs[u] & (1u << p)) && in)
				err =
				    rec_bpf__attach_prog(&r->bpf, &r->plan, p, r->t.pid, r->t.exe);
		if (err) {
			/* the target may have exited; the unit's probes stay out */
			snprintf(r->budget_error, sizeof(r->budget_error), "%s", xg_errmsg());
			continue;
		}
		now = rec__clock_ns(CLOCK_MONOTONIC);
		for (int p = 0; p < REC_PROG_MAX; p++)
			if (r->unit_progs[u] & (1u << p))
				rec_bpf__set_prog_off(&r->bpf, p, !in);
		if (!in) {
			nanosleep(&(struct timespec){0, PAST_CHECK_NS}, NULL);
			now = rec__clock_ns(CLOCK_MONOTONIC);
			for (int p = 0; p < REC_PROG_MAX; p++)
				if (r->unit_progs[u] & (1u << p))
					rec_bpf__detach_prog(&r->bpf, &r->plan, p);
		}
		rec_budget__set(&r->budget, u, in, now);
		window_events(r, u, in, now);
		r->budget_switches++;
	}
}
