// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format/reader.h"
#include "format/xgt.h"
#include "replay/replay.h"
#include "util/err.h"
#include "util/u64map.h"

#define BATCH	   4096
#define TICK_NS	   100000000ULL /* tick the outputs at least this often */
#define BATCH_NS   1000000ULL	/* deliver together what is due within 1 ms */
#define LAG_ON_NS  100000000ULL /* say "lagging" when 100 ms behind schedule */
#define LAG_OFF_NS 10000000ULL	/* and stop saying it within 10 ms */
#define NS_PER_SEC 1000000000ULL
#define LAG_SAY_NS 10000000000ULL /* print "behind schedule" at most every 10 s */

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

static void sleep_until(uint64_t ns)
{
	struct timespec ts = {.tv_sec = (time_t)(ns / NS_PER_SEC),
			      .tv_nsec = (long)(ns % NS_PER_SEC)};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* --- time arguments -------------------------------------------------------------------------- */

static int parse_dur(const char *s, uint64_t *ts)
{
	static const struct {
		const char *suffix;
		double mult;
	} units[] = {{"ns", 1},	  {"us", 1e3},	 {"ms", 1e6}, {"s", 1e9},
		     {"m", 60e9}, {"h", 3600e9}, {"", 1e9}};
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || v < 0 || !isfinite(v))
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].suffix) != 0)
			continue;
		if (v * units[i].mult > 1.8e19)
			return -EINVAL;
		*ts = (uint64_t)llround(v * units[i].mult);
		return 0;
	}
	return -EINVAL;
}

int replay__parse_time(const char *s, uint64_t wall_start_ns, uint64_t *ts)
{
	struct tm tm;
	const char *rest;
	uint64_t wall, frac = 0, scale = 100000000;
	int64_t day_start;

	if (!s || !*s)
		return xg_error(-EINVAL, "empty time");
	if (!strchr(s, ':')) {
		if (parse_dur(s, ts))
			return xg_error(
			    -EINVAL,
			    "'%s' is not a time: use a trace time like 1.5s, 200ms, 30us, or "
			    "a wall-clock time like 2026-11-25T18:00:01 or 18:00:01 (UTC)",
			    s);
		return 0;
	}
	if (!wall_start_ns)
		return xg_error(-EINVAL, "'%s': the trace has no wall.start_ns, use a trace time",
				s);
	memset(&tm, 0, sizeof(tm));
	rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!rest) {
		time_t st = (time_t)(wall_start_ns / NS_PER_SEC);

		gmtime_r(&st, &tm);
		rest = strptime(s, "%H:%M:%S", &tm);
	}
	if (!rest)
		return xg_error(-EINVAL, "'%s' is not a wall-clock time (YYYY-MM-DDTHH:MM:SS)", s);
	if (*rest == '.') {
		for (rest++; *rest >= '0' && *rest <= '9'; rest++) {
			frac += (uint64_t)(*rest - '0') * scale;
			scale /= 10;
		}
	}
	if (*rest && strcmp(rest, "Z") != 0)
		return xg_error(-EINVAL, "'%s': unexpected '%s'", s, rest);
	day_start = (int64_t)timegm(&tm);
	if (day_start < 0)
		return xg_error(-EINVAL, "'%s': before 1970", s);
	wall = (uint64_t)day_start * NS_PER_SEC + frac;
	if (wall < wall_start_ns)
		return xg_error(-EINVAL, "'%s' is before the trace started", s);
	*ts = wall - wall_start_ns;
	return 0;
}

/* --- the replay loop ---------------------------------------------------------------------------
 */

struct player {
	const struct replay_opts *o;
	struct tf_reader *r;
	struct sink_pump pump; /* to the outputs: pump.st is where the replay is */
	struct u64map goids;
	uint64_t from, to;
	/* pacing: trace time base_ts is due at wall time base_wall */
	uint64_t base_ts, base_wall;
	uint64_t last_tick;
	uint64_t lag_said; /* when "behind schedule" was last printed */
	uint32_t seen_gen;
	uint64_t seeks; /* seek() calls so far */
};

static bool want(const struct player *p, const struct xg_event *ev)
{
	if (p->o->kinds && !(p->o->kinds & (1u << ev->kind)))
		return false;
	if (p->o->n_goids && !u64map_get(&p->goids, ev->goid, NULL) &&
	    !(ev->kind == XG_EV_GO_CREATE && u64map_get(&p->goids, ev->parent_goid, NULL)))
		return false;
	return true;
}

static void rebase(struct player *p, uint64_t ts)
{
	p->base_ts = ts;
	p->base_wall = mono_ns();
}

static int tick(struct player *p)
{
	p->last_tick = mono_ns();
	return sink_pump__tick(&p->pump);
}

/* Repositions at ts: the outputs forget, then get the goroutine states at ts. */
static int seek(struct player *p, uint64_t ts)
{
	const struct tf_goroutine *gs;
	size_t n = 0;
	int err;

	err = tf_reader__seek(p->r, ts);
	if (err)
		return err;
	p->seeks++;
	p->pump.st.now_ts = ts;
	if (sink_pump__reset(&p->pump, ts))
		return 0;
	gs = tf_reader__goroutines(p->r, &n);
	for (size_t i = 0; i < n; i++) {
		struct xg_event ev = {.ts = ts, .kind = XG_EV_SNAPSHOT, .goid = gs[i].goid};

		ev.to = gs[i].state;
		ev.reason = gs[i].reason;
		ev.start_fn = gs[i].start_fn;
		ev.parent_goid = gs[i].parent_goid;
		ev.create_fn = gs[i].create_fn;
		ev.create_pc = gs[i].create_pc;
		ev.start_pc = gs[i].start_pc;
		if (!want(p, &ev))
			continue;
		if (sink_pump__event(&p->pump, &ev))
			return 0;
	}
	rebase(p, ts);
	return 0;
}

/* Applies the outputs' requests; returns non-zero to stop. Blocks while paused. */
static int control(struct player *p)
{
	struct sink_control c;
	uint32_t gen = __atomic_load_n(&p->pump.ctl.generation, __ATOMIC_RELAXED);
	int err;

	if (p->o->stop && *p->o->stop) {
		sink_pump__stop(&p->pump, "interrupted");
		return 1;
	}
	if (gen == p->seen_gen && !p->pump.st.paused)
		return 0;
	for (;;) {
		sink_control__take(&p->pump.ctl, &c);
		p->seen_gen = c.generation;
		if (c.quit) {
			sink_pump__stop(&p->pump, "quit");
			return 1;
		}
		if (c.speed_set && !p->o->max) {
			p->pump.st.speed = c.speed;
			rebase(p, p->pump.st.now_ts);
		}
		if (c.seek_ts >= 0) {
			uint64_t to = (uint64_t)c.seek_ts;

			if (to < p->from)
				to = p->from;
			if (to > p->to)
				to = p->to;
			err = seek(p, to);
			if (err)
				return err;
		}
		if (c.paused != p->pump.st.paused) {
			p->pump.st.paused = c.paused;
			rebase(p, p->pump.st.now_ts);
		}
		if (!p->pump.st.paused)
			return p->pump.stopped;
		/* paused: keep the outputs ticking until something changes */
		if (tick(p))
			return 1;
		sleep_until(mono_ns() + TICK_NS);
		if (p->o->stop && *p->o->stop) {
			sink_pump__stop(&p->pump, "interrupted");
			return 1;
		}
		if (__atomic_load_n(&p->pump.ctl.generation, __ATOMIC_RELAXED) == p->seen_gen)
			continue;
	}
}

/* Waits until ts is due (paced replay), ticking and obeying requests meanwhile. Non-zero when
 * what was due at ts is not to be delivered: stop, or a request moved the reader elsewhere. */
static int pace(struct player *p, uint64_t ts)
{
	uint64_t seeks = p->seeks;

	for (;;) {
		uint64_t now = mono_ns();
		uint64_t due;

		if (p->o->max || p->pump.st.speed <= 0)
			return 0;
		due = p->base_wall + (uint64_t)((double)(ts > p->base_ts ? ts - p->base_ts : 0) /
						p->pump.st.speed);
		if (due <= now + BATCH_NS) {
			uint64_t behind = now > due ? now - due : 0;

			if (behind > LAG_ON_NS)
				p->pump.st.lagging = true;
			else if (behind < LAG_OFF_NS)
				p->pump.st.lagging = false;
			p->pump.st.lag_ns = p->pump.st.lagging ? behind : 0;
			if (p->pump.st.lagging && p->o->say_lag &&
			    now >= p->lag_said + LAG_SAY_NS) {
				/* outputs without a screen: say it on stderr, every 10 s at most */
				fprintf(
				    stderr,
				    "xgotop replay: %.1f s behind schedule at x%g: the outputs cannot "
				    "keep up\n",
				    (double)behind / 1e9, p->pump.st.speed);
				p->lag_said = now;
			}
			return 0;
		}
		p->pump.st.lagging = false;
		p->pump.st.lag_ns = 0;
		/* the trace clock moves on while waiting */
		{
			uint64_t at = p->base_ts +
				      (uint64_t)((double)(now - p->base_wall) * p->pump.st.speed);

			if (at > p->pump.st.now_ts && at < ts)
				p->pump.st.now_ts = at;
		}
		if (now - p->last_tick >= TICK_NS && tick(p))
			return 1;
		sleep_until(due < p->last_tick + TICK_NS ? due : p->last_tick + TICK_NS);
		if (control(p) || p->seeks != seeks)
			return 1;
	}
}

/* At the end (or --to): hold paused for interactive outputs. Returns 1 to stop, 0 when the
 * user sought back (reading goes on). */
static int hold(struct player *p)
{
	uint64_t gen;

	if (!p->o->hold_at_end)
		return 1;
	if (p->to != UINT64_MAX && p->to > p->pump.st.now_ts)
		p->pump.st.now_ts = p->to;
	sink_control__pause(&p->pump.ctl, true);
	p->pump.st.paused = true;
	gen = p->pump.ctl.generation;
	p->pump.st.lagging = false;
	for (;;) {
		struct sink_control c;

		if (tick(p))
			return 1;
		sleep_until(mono_ns() + TICK_NS);
		if (p->o->stop && *p->o->stop) {
			sink_pump__stop(&p->pump, "interrupted");
			return 1;
		}
		if (__atomic_load_n(&p->pump.ctl.generation, __ATOMIC_RELAXED) == gen)
			continue;
		sink_control__take(&p->pump.ctl, &c);
		gen = c.generation;
		p->seen_gen = c.generation;
		if (c.quit) {
			sink_pump__stop(&p->pump, "quit");
			return 1;
		}
		if (c.speed_set)
			p->pump.st.speed = c.speed;
		if (c.seek_ts >= 0) {
			uint64_t to = (uint64_t)c.seek_ts;

			if (to >= p->pump.st.now_ts)
				continue; /* already at the end */
			p->pump.st.paused = c.paused;
			if (seek(p, to < p->from ? p->from : to))
				return 1;
			return p->pump.stopped;
		}
		if (!c.paused) {
			/* "play" at the end: play again from the start */
			p->pump.st.paused = false;
			if (seek(p, p->from))
				return 1;
			return p->pump.stopped;
		}
	}
}

int replay__run(struct tf_reader *r, const char *source, const struct replay_opts *o,
		struct sink *out, struct replay_result *res)
{
	struct player p = {.o = o, .r = r, .to = UINT64_MAX};
	struct xg_event *evs = NULL;
	struct sink_info info = {0};
	struct tf_info fi;
	int64_t wall_start = 0;
	uint64_t t0 = mono_ns();
	int err = 0;
	bool fast = !o->kinds && !o->n_goids && !out->ops->event;

	memset(res, 0, sizeof(*res));
	sink_pump__init(&p.pump, out);
	p.pump.ctl.can_pause = p.pump.ctl.can_seek = true;
	p.pump.ctl.can_speed = !o->max;
	p.pump.st.speed = o->max ? 0 : (o->speed > 0 ? o->speed : 1);

	err = tf_reader__info(p.r, &fi);
	if (err)
		goto out;
	res->clean = fi.clean;
	snprintf(res->recovery, sizeof(res->recovery), "%s", fi.recovery);
	tf_meta__int(tf_reader__meta(p.r), TF_KEY_WALL_START_NS, &wall_start);
	if (o->from) {
		err = replay__parse_time(o->from, (uint64_t)wall_start, &p.from);
		if (err) {
			xg_error_prefix("--from");
			goto out;
		}
	}
	if (o->to) {
		err = replay__parse_time(o->to, (uint64_t)wall_start, &p.to);
		if (err) {
			xg_error_prefix("--to");
			goto out;
		}
		if (p.to < p.from) {
			err = xg_error(-EINVAL, "--to is before --from");
			goto out;
		}
	}
	for (size_t i = 0; i < o->n_goids; i++) {
		err = u64map_put(&p.goids, o->goids[i], 1);
		if (err)
			goto out;
	}
	evs = malloc(BATCH * sizeof(*evs));
	if (!evs) {
		err = -ENOMEM;
		goto out;
	}

	info.meta = tf_reader__meta(p.r);
	info.names = tf_reader__tables(p.r);
	info.replay = true;
	info.source = source;
	info.duration_ns = p.to != UINT64_MAX && p.to < fi.span_ns ? p.to : fi.span_ns;
	if (sink_pump__begin(&p.pump, &info))
		goto done;
	/* an output that takes no events needs no columns but the lost count (ts and kind are
	 * always decoded) */
	if (fast)
		tf_reader__set_columns(p.r, TF_READ(TF_COL_COUNT));
	t0 = mono_ns();
	p.last_tick = t0;
	rebase(&p, p.from);
	if (p.from) {
		err = seek(&p, p.from);
		if (err)
			goto done;
	}

	while (!p.pump.stopped) {
		long n;
		bool at_end;

		/* requests first: after a seek while paused, nothing is read until "play" */
		err = control(&p);
		if (err) {
			err = err < 0 ? err : 0;
			break;
		}
		n = tf_reader__read(p.r, evs, BATCH);
		at_end = n <= 0;

		if (n < 0) {
			err = (int)n;
			break;
		}
		res->read += (uint64_t)(n > 0 ? n : 0);
		if (fast && p.pump.st.speed <= 0 && n > 0 && evs[n - 1].ts <= p.to) {
			/* nothing to deliver to (null output), as fast as possible: count */
			sink_pump__events(&p.pump, evs, (size_t)n);
			p.pump.st.now_ts = evs[n - 1].ts;
		} else {
			for (long i = 0; i < n && !p.pump.stopped; i++) {
				const struct xg_event *ev = &evs[i];

				if (ev->ts > p.to) {
					at_end = true;
					break;
				}
				if (!want(&p, ev))
					continue;
				if (pace(&p, ev->ts))
					break;
				if (ev->ts > p.pump.st.now_ts)
					p.pump.st.now_ts = ev->ts;
				if (sink_pump__event(&p.pump, ev))
					break;
				if (!(p.pump.st.events & 1023) &&
				    mono_ns() - p.last_tick >= TICK_NS && tick(&p))
					break;
			}
		}
		if (p.pump.stopped)
			break;
		if (mono_ns() - p.last_tick >= TICK_NS && tick(&p))
			break;
		if (!at_end)
			continue;
		/* the recording goes on after its last event, to its stop (or --to) */
		if (pace(&p, info.duration_ns)) {
			if (p.pump.stopped)
				break;
			continue; /* sought back meanwhile: read from there */
		}
		if (info.duration_ns > p.pump.st.now_ts)
			p.pump.st.now_ts = info.duration_ns;
		if (p.to != UINT64_MAX && p.to > p.pump.st.now_ts)
			p.pump.st.now_ts = p.to;
		if (o->loop) {
			err = seek(&p, p.from);
			if (err)
				break;
			continue;
		}
		if (p.to != UINT64_MAX && p.pump.st.now_ts < p.to)
			p.pump.st.now_ts = p.to;
		tick(&p);
		if (hold(&p))
			break;
	}
done:
	tf_reader__info(p.r, &fi);
	res->damaged = fi.damaged;
	res->events = p.pump.st.events;
	res->wall_s = (double)(mono_ns() - t0) / 1e9;
	res->output_failed = !err && p.pump.err;
	err = sink_pump__end(&p.pump, err, "end of file");
	res->end_reason = p.pump.reason;
out:
	free(evs);
	u64map_free(&p.goids);
	sink_pump__destroy(&p.pump);
	return err;
}
