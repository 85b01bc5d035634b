// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * record/budget.h's duty cycle, against a simulated target: a process that uses a steady
 * share of a CPU, with probe units hit at steady rates while in, each hit costing the target
 * one trap (counted in its CPU time, as the kernel does). The traps' cost over the run stays
 * within the budget, the units are given up in their order, and a budget that covers them all
 * keeps every probe in.
 */
#include <string.h>

#include "record/budget.h"
#include "tests/unit/test.h"

#define MS 1000000ull
/* a fraction in parts per million, for readable failures */
#define PPM(x) ((long long)((x)*1e6))

struct sim {
	double cpu_share;	/* of one CPU, without the traps */
	double rate[3];		/* hits per second of each unit while in */
	double trap_ns;		/* one trap's price */
	double hits[3], cpu_ns; /* so far */
	double trap_cost_ns;
	unsigned int changes; /* attaches and detaches */
};

/* Runs s under a budget of limit for secs seconds, in steps of 1 ms. */
static void run(struct sim *s, struct rec_budget *b, double limit, unsigned int secs)
{
	uint64_t now = 1000 * MS, end = now + secs * 1000ull * MS;

	rec_budget__init(b, limit, s->trap_ns, 3, now, 0);
	for (; now < end; now += MS) {
		uint64_t hits[3];

		if (rec_budget__due(b, now)) {
			for (int u = 0; u < 3; u++)
				hits[u] = (uint64_t)s->hits[u];
			rec_budget__feed(b, now, (int64_t)s->cpu_ns, hits);
			for (unsigned int u = 0; u < 3; u++)
				if (rec_budget__want(b, u, now) != b->u[u].in) {
					rec_budget__set(b, u, !b->u[u].in, now);
					s->changes++;
				}
		}
		s->cpu_ns += s->cpu_share * (double)MS;
		for (int u = 0; u < 3; u++) {
			double h = b->u[u].in ? s->rate[u] / 1000 : 0;

			s->hits[u] += h;
			s->cpu_ns += h * s->trap_ns;
			s->trap_cost_ns += h * s->trap_ns;
		}
	}
}

TEST(budget_duty_cycle)
{
	/* a server at a quarter of a CPU: 4000 creations, 100 allocation samples and 2 GC
	 * cycles (two probes each) a second, at 5 us a trap: creations alone cost 8% */
	struct sim base = {.cpu_share = 0.25, .rate = {4000, 100, 4}, .trap_ns = 5000};
	struct rec_budget b;
	struct sim s = base;
	uint64_t end = 1000 * MS + 120000 * MS;
	double cost;

	run(&s, &b, 0.01, 120);
	cost = s.trap_cost_ns / s.cpu_ns;
	ASSERT_LE(PPM(cost), PPM(0.0105), "1%: the traps take at most the budget (and a 5% slack)");
	ASSERT_GE(PPM(cost), PPM(0.009), "1%: and most of it");
	ASSERT_GE(PPM(rec_budget__coverage(&b, 2, 1000 * MS, end)), PPM(0.99), "1%: GC kept in");
	ASSERT_GE(PPM(rec_budget__coverage(&b, 1, 1000 * MS, end)), PPM(0.99),
		  "1%: samples kept in");
	ASSERT_LE(PPM(rec_budget__coverage(&b, 0, 1000 * MS, end)), PPM(0.12),
		  "1%: creations in ~10%");
	ASSERT_GE(PPM(rec_budget__coverage(&b, 0, 1000 * MS, end)), PPM(0.08),
		  "1%: creations in ~10%");
	ASSERT_LE(s.changes, 2 * 121u, "1%: one window a second");

	/* 20%: everything fits */
	s = base;
	run(&s, &b, 0.20, 60);
	end = 1000 * MS + 60000 * MS;
	for (unsigned int u = 0; u < 3; u++)
		ASSERT_GE(PPM(rec_budget__coverage(&b, u, 1000 * MS, end)), PPM(0.999),
			  "20%: all in");
	ASSERT_EQ(s.changes, 3u, "20%: each unit put in once, never out");

	/* 0.01%: creations out, samples in windows of at least 20 ms saved up over periods */
	s = base;
	run(&s, &b, 0.0001, 120);
	end = 1000 * MS + 120000 * MS;
	/* the first 10 ms measure every unit at full price, 8 s of this budget: repaid */
	ASSERT_LE(PPM(s.trap_cost_ns / s.cpu_ns), PPM(0.000105),
		  "0.01%: within the budget, the first window's measurement included");
	ASSERT_LE(PPM(rec_budget__coverage(&b, 0, 1000 * MS, end)), PPM(0.001),
		  "0.01%: creations out");
	ASSERT_GE(PPM(rec_budget__coverage(&b, 2, 1000 * MS, end)), PPM(0.9),
		  "0.01%: GC still in, but while the first window is repaid");
	ASSERT_GT(PPM(rec_budget__coverage(&b, 1, 1000 * MS, end)), PPM(0.005),
		  "0.01%: samples at times");
}

TEST(budget_follows_the_target)
{
	/* the target gets busier: its CPU time grows 4x, its creation rate 8x, at once; the
	 * budget's windows follow */
	struct sim s = {.cpu_share = 0.1, .rate = {1000, 0, 0}, .trap_ns = 5000};
	struct rec_budget b;
	uint64_t now = 1000 * MS;
	double cost_before, cpu_before;

	rec_budget__init(&b, 0.02, s.trap_ns, 3, now, 0);
	for (int phase = 0; phase < 2; phase++) {
		uint64_t end = now + 30000 * MS;

		if (phase) {
			s.cpu_share = 0.4;
			s.rate[0] = 8000;
		}
		cost_before = s.trap_cost_ns;
		cpu_before = s.cpu_ns;
		for (; now < end; now += MS) {
			uint64_t hits[3] = {(uint64_t)s.hits[0], 0, 0};

			if (rec_budget__due(&b, now)) {
				rec_budget__feed(&b, now, (int64_t)s.cpu_ns, hits);
				if (rec_budget__want(&b, 0, now) != b.u[0].in)
					rec_budget__set(&b, 0, !b.u[0].in, now);
			}
			s.cpu_ns += s.cpu_share * (double)MS;
			if (b.u[0].in) {
				s.hits[0] += s.rate[0] / 1000;
				s.cpu_ns += s.rate[0] / 1000 * s.trap_ns;
				s.trap_cost_ns += s.rate[0] / 1000 * s.trap_ns;
			}
		}
		ASSERT_LE(PPM((s.trap_cost_ns - cost_before) / (s.cpu_ns - cpu_before)),
			  PPM(0.0215), "2%: held in each phase");
		/* 2% of 0.1 CPU against 5 ms of traps a second, then of 0.4 CPU against 40 */
		ASSERT_LE(PPM(b.u[0].share), PPM(phase ? 0.22 : 0.42), "the share follows");
		ASSERT_GE(PPM(b.u[0].share), PPM(phase ? 0.19 : 0.38), "the share follows");
	}
}
