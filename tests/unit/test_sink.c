// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The source side of the sink contract (sink/sink.h): what a sink's returns do to a run. */
#include <errno.h>
#include <string.h>

#include "sink/sink.h"
#include "tests/unit/test.h"
#include "util/err.h"

/* A sink that counts its calls and returns what it is told to. */
struct script {
	struct sink base;
	int events, ticks, ends;
	int event_ret, tick_ret; /* returned from the fail_at'th call on */
	int fail_at;
	struct sink_status end_st;
};

static int script_event(struct sink *s, const struct xg_event *ev)
{
	struct script *k = (struct script *)s;

	(void)ev;
	if (++k->events >= k->fail_at && k->event_ret)
		return k->event_ret < 0 ? xg_error(k->event_ret, "event failed") : k->event_ret;
	return 0;
}

static int script_tick(struct sink *s, const struct sink_status *st)
{
	struct script *k = (struct script *)s;

	(void)st;
	if (++k->ticks >= k->fail_at && k->tick_ret)
		return k->tick_ret < 0 ? xg_error(k->tick_ret, "writing JSON lines: Broken pipe")
				       : k->tick_ret;
	return 0;
}

static void script_end(struct sink *s, const struct sink_status *st)
{
	struct script *k = (struct script *)s;

	k->ends++;
	k->end_st = *st;
}

static const struct sink_ops script_ops = {
    .name = "script", .event = script_event, .tick = script_tick, .end = script_end};

static void script_init(struct script *k)
{
	memset(k, 0, sizeof(*k));
	k->base.ops = &script_ops;
	k->fail_at = 1;
}

TEST(sink_pump_output_fails)
{
	struct xg_event ev = {.kind = XG_EV_GO_CREATE, .goid = 7};
	struct sink_info info = {0};
	struct sink_pump p;
	struct script k;
	int err;

	script_init(&k);
	k.tick_ret = -EPIPE;
	sink_pump__init(&p, &k.base);
	ASSERT_TRUE(k.base.ctl == &p.ctl, "the sink gets the control");
	ASSERT_OK(sink_pump__begin(&p, &info), "begin");
	ASSERT_OK(sink_pump__event(&p, &ev), "event");
	ASSERT_EQ(sink_pump__tick(&p), 1, "a failing tick stops the run");
	ASSERT_TRUE(p.stopped, "stopped");
	ASSERT_EQ(sink_pump__event(&p, &ev), 1, "nothing after the failure");
	ASSERT_EQ(sink_pump__tick(&p), 1, "no tick either");
	ASSERT_EQ(k.events, 1, "one event reached the sink");
	ASSERT_EQ(k.ticks, 1, "one tick reached the sink");
	sink_pump__stop(&p, "target exited");
	xg_error(-ENOENT, "a later failure elsewhere");
	err = sink_pump__end(&p, 0, "stopped");
	ASSERT_EQ(err, -EPIPE, "the run fails with the output's error");
	ASSERT_STREQ(xg_errmsg(), "writing JSON lines: Broken pipe", "and its message");
	ASSERT_STREQ(p.reason, "output failed", "the first reason is kept");
	ASSERT_EQ(k.ends, 1, "end() still called");
	ASSERT_TRUE(k.end_st.finished, "finished");
	ASSERT_STREQ(k.end_st.end_reason, "output failed", "end reason");
	ASSERT_EQ(k.end_st.events, 1u, "events delivered");
	sink_pump__destroy(&p);
	ASSERT_NULL(k.base.ctl, "the control is taken back");
}

TEST(sink_pump_user_quits)
{
	struct xg_event ev = {.kind = XG_EV_ALLOC};
	struct sink_pump p;
	struct script k;

	script_init(&k);
	k.event_ret = 1;
	k.fail_at = 3;
	sink_pump__init(&p, &k.base);
	ASSERT_OK(sink_pump__event(&p, &ev), "1");
	ASSERT_OK(sink_pump__event(&p, &ev), "2");
	ASSERT_EQ(sink_pump__event(&p, &ev), 1, "3: quit");
	ASSERT_EQ(sink_pump__event(&p, &ev), 1, "nothing after");
	ASSERT_EQ(k.events, 3, "three reached the sink");
	ASSERT_OK(sink_pump__end(&p, 0, "end of file"), "a quit is no failure");
	ASSERT_STREQ(p.reason, "quit", "reason");
	ASSERT_EQ(k.end_st.events, 2u, "two delivered");
	sink_pump__destroy(&p);
}

TEST(sink_pump_source_stops)
{
	struct xg_event evs[3] = {{.kind = XG_EV_ALLOC},
				  {.kind = XG_EV_LOST, .count = 5},
				  {.kind = XG_EV_LOST, .count = 2}};
	struct sink_ops no_events = {.name = "no events"};
	struct sink quiet = {.ops = &no_events};
	struct sink_pump p;
	struct script k;

	/* the source's own stop: what it still holds goes out before end() */
	script_init(&k);
	sink_pump__init(&p, &k.base);
	sink_pump__stop(&p, "target exited");
	sink_pump__stop(&p, "interrupted");
	ASSERT_TRUE(p.stopped, "stopped");
	ASSERT_OK(sink_pump__events(&p, evs, 3), "still delivered");
	ASSERT_OK(sink_pump__tick(&p), "still ticked");
	ASSERT_OK(sink_pump__end(&p, 0, "stopped"), "end");
	ASSERT_STREQ(k.end_st.end_reason, "target exited", "the first reason");
	ASSERT_EQ(k.end_st.events, 3u, "events");
	ASSERT_EQ(k.end_st.lost, 7u, "lost counted from lost events");
	sink_pump__destroy(&p);

	/* the source's own failure */
	script_init(&k);
	sink_pump__init(&p, &k.base);
	ASSERT_EQ(sink_pump__end(&p, -EIO, "end of file"), -EIO, "the source's error");
	ASSERT_STREQ(k.end_st.end_reason, "error", "reason");
	sink_pump__destroy(&p);

	/* without an event callback (or a sink), events are counted only */
	sink_pump__init(&p, &quiet);
	ASSERT_OK(sink_pump__events(&p, evs, 3), "counted");
	ASSERT_EQ(p.st.events, 3u, "events");
	ASSERT_EQ(p.st.lost, 7u, "lost");
	ASSERT_OK(sink_pump__end(&p, 0, "end of file"), "end");
	ASSERT_STREQ(p.reason, "end of file", "natural end");
	sink_pump__destroy(&p);
	sink_pump__init(&p, NULL);
	ASSERT_OK(sink_pump__event(&p, &evs[0]), "no sink");
	ASSERT_OK(sink_pump__tick(&p), "no sink: tick");
	ASSERT_OK(sink_pump__end(&p, 0, "stopped"), "no sink: end");
	sink_pump__destroy(&p);
}
