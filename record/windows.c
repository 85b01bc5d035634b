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
#define PAST_CHECK_NS 1000000

/* Production mode's units (programs turned on and off together), the first to go first:
 * creations (and the exits the gdestroy probe sees, with --exit-probe), then large
 * allocations, allocation samples, GC cycles. */
static const uint32_t production_units[] = {
    PROG(GO_NEW) | PROG(GDESTROY),
    PROG(ALLOC),
    PROG(ALLOC_SAMPLE),
    PROG(GC_START) | PROG(GC_END),
};

/* Full mode's, the first to go first: every allocation, then every goroutine's creation,
 * status changes and exit together (so that a window holds each goroutine's exact sequence),
 * then GC cycles. */
static const uint32_t full_units[] = {
    PROG(ALLOC),
    PROG(CASGSTATUS) | PROG(CAS_SITE) | PROG(NEWG_CALL) | PROG(GDESTROY),
    PROG(GC_START) | PROG(GC_END),
};

/* The programs that report goroutines' status changes (full mode's goroutine unit). */
#define STATUS_PROGS (PROG(CASGSTATUS) | PROG(CAS_SITE) | PROG(NEWG_CALL))

/* The kinds program p produces. */
static uint32_t kinds_of(int p)
{
	switch (p) {
	case REC_PROG_CASGSTATUS:
	case REC_PROG_CAS_SITE:
	case REC_PROG_NEWG_CALL:
		return XGB_KIND_BIT(XG_EV_GO_CREATE) | XGB_KIND_BIT(XG_EV_GO_STATE) |
		       XGB_KIND_BIT(XG_EV_GO_EXIT);
	case REC_PROG_GO_NEW:
		return XGB_KIND_BIT(XG_EV_GO_CREATE);
	case REC_PROG_GDESTROY:
		return XGB_KIND_BIT(XG_EV_GO_EXIT);
	case REC_PROG_ALLOC:
		return XGB_KIND_BIT(XG_EV_ALLOC);
	case REC_PROG_ALLOC_SAMPLE:
		return XGB_KIND_BIT(XG_EV_ALLOC_SAMPLE);
	case REC_PROG_GC_START:
		return XGB_KIND_BIT(XG_EV_GC_START);
	case REC_PROG_GC_END:
		return XGB_KIND_BIT(XG_EV_GC_END);
	default:
		return 0;
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
	const uint32_t *units = r->production ? production_units : full_units;
	size_t nunits = r->production ? sizeof(production_units) / sizeof(production_units[0])
				      : sizeof(full_units) / sizeof(full_units[0]);
	unsigned int n = 0;

	r->budget_limit = -1;
	if (limit < 0)
		return 0;
	if (rec_bpf__trap_cost(&r->bpf, &r->trap_ns) || !(r->trap_ns > 0)) {
		fprintf(stderr,
			"xgotop record: the budget cannot be held: %s; every probe stays in\n",
			r->trap_ns > 0 ? xg_errmsg() : "a trap's price measured 0");
		r->trap_ns = 0;
		return 0;
	}
	r->trap_measured = true;
	for (size_t i = 0; i < nunits; i++) {
		uint32_t progs = 0, kinds = 0;

		for (int p = 0; p < REC_PROG_MAX; p++)
			if ((units[i] & (1u << p)) && planned(&r->plan, p)) {
				progs |= 1u << p;
				kinds |= kinds_of(p);
			}
		/* exits watched from memory too are complete: no windows for them */
		if (r->exit_poll)
			kinds &= ~XGB_KIND_BIT(XG_EV_GO_EXIT);
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
		tf_windows__add(&r->win, &ev);
		rec_ingest__push(r->ing, &ev);
	}
}

int rec__budget_start(struct recorder *r)
{
	if (!r->budgeted)
		return 0;
	if (rec_bpf__prog_traps(&r->bpf, r->hits_base))
		return xg_error(-EIO, "BPF: cannot read the probes' hit counts");
	/* off until their window begins: attached, they are hit before it does */
	for (int p = 0; p < REC_PROG_MAX; p++)
		if ((r->budget_progs & (1u << p)) && rec_bpf__set_prog_off(&r->bpf, p, true))
			return -EINVAL;
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

/*
 * Full mode's status probes go in or went out: every goroutine's state
 * from a walk right then, so that the trace says where each one stands just before its exact
 * sequence starts, and where it ends (the walks compare with what they saw, and the probes
 * changed that meanwhile). Going in, the walk comes before the probes: with a thousand
 * goroutines it takes milliseconds, which their traps would otherwise fill. (The
 * creations pending from an earlier window, Go 1.21-1.23, are forgotten before the programs
 * are on: their goroutines may have run, exited and left their g to another.)
 */
static void status_switch(struct recorder *r)
{
	rec__walk(r, true);
	r->next_snapshot = rec__clock_ns(CLOCK_MONOTONIC) + (uint64_t)r->o.snapshot_ms * 1000000;
}

/* Puts unit u's probes in (then its programs on: the window starts there) or takes them out
 * (its programs off: they count their hits and return; the window ends there, a moment later
 * for one already past the check; the probes are taken out in the background, where the
 * kernel waits for an RCU grace period, 0.1-0.3 s). */
static void unit_switch(struct recorder *r, unsigned int u, bool in)
{
	uint64_t now;
	int err = 0;

	for (int p = 0; p < REC_PROG_MAX && !err; p++)
		if ((r->unit_progs[u] & (1u << p)) && in)
			err = rec_bpf__attach_prog(&r->bpf, &r->plan, p, r->t.pid, r->t.exe);
	if (err) {
		/* the target may have exited; the unit's probes stay out */
		snprintf(r->budget_error, sizeof(r->budget_error), "%s", xg_errmsg());
		return;
	}
	/* (the programs are in but off: nothing is pending while they stay so) */
	if (in && (r->unit_progs[u] & STATUS_PROGS) && r->plan.create_deferred)
		rec_bpf__clear_pending(&r->bpf);
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

bool rec__status_in(const struct recorder *r)
{
	for (unsigned int u = 0; r->budgeted && u < r->nunits; u++)
		if ((r->unit_progs[u] & STATUS_PROGS) && r->budget.u[u].in)
			return true;
	return false;
}

/* A decision of the budget when one is due at now: false when the hit counts could not be
 * read (the next turn tries again). */
static bool budget_decide(struct recorder *r, uint64_t now)
{
	uint64_t hits[XGB_NPROGS], uhits[REC_BUDGET_UNITS] = {0};

	if (!rec_budget__due(&r->budget, now))
		return true;
	if (rec_bpf__prog_traps(&r->bpf, hits))
		return false;
	for (unsigned int u = 0; u < r->nunits; u++)
		for (int p = 0; p < REC_PROG_MAX; p++)
			if (r->unit_progs[u] & (1u << p))
				uhits[u] += hits[p] - r->hits_base[p];
	rec_budget__feed(&r->budget, now, rec__process_cpu_ns(r->t.pid), uhits);
	return true;
}

/* The units whose window ended go out; true when the status probes were among them. */
static bool budget_outs(struct recorder *r, uint64_t now)
{
	bool status = false;

	for (unsigned int u = 0; u < r->nunits; u++)
		if (r->budget.u[u].in && !rec_budget__want(&r->budget, u, now)) {
			unit_switch(r, u, false);
			status |= (r->unit_progs[u] & STATUS_PROGS) != 0;
		}
	return status;
}

void rec__budget_guard(void *ctx)
{
	struct recorder *r = ctx;
	uint64_t now = rec__clock_ns(CLOCK_MONOTONIC);

	if (!r->budgeted || !r->budget_begun || !budget_decide(r, now))
		return;
	/* (no walk in a walk: the next turn takes the status probes' walk) */
	if (budget_outs(r, now))
		r->resync_due = true;
}

uint64_t rec__budget_next(const struct recorder *r)
{
	if (!r->budgeted)
		return UINT64_MAX;
	return r->budget_begun ? r->budget.next : 0;
}

void rec__budget_turn(struct recorder *r, uint64_t now)
{
	if (!r->budgeted)
		return;
	/* the units' first windows start as the target is let go (recorder__start) */
	if (!r->budget_begun) {
		rec_budget__init(&r->budget, r->budget_limit, r->trap_ns, r->nunits, now,
				 rec__process_cpu_ns(r->t.pid));
		r->budget_begun = true;
	}
	if (!budget_decide(r, now))
		return;
	/* Out first, then in: a walk at a status window's edge takes milliseconds, which the
	 * traps of the units in meanwhile would fill (and a walk takes units out on time,
	 * rec__budget_guard()). */
	if (budget_outs(r, now) || r->resync_due) {
		r->resync_due = false;
		status_switch(r);
	}
	for (unsigned int u = 0; u < r->nunits; u++)
		if (rec_budget__want(&r->budget, u, now) && !r->budget.u[u].in &&
		    (r->unit_progs[u] & STATUS_PROGS))
			status_switch(r);
	/* (the walk took time, and may have seen a decision) */
	now = rec__clock_ns(CLOCK_MONOTONIC);
	for (unsigned int u = 0; u < r->nunits; u++)
		if (rec_budget__want(&r->budget, u, now) && !r->budget.u[u].in)
			unit_switch(r, u, true);
}
