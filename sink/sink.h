/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one interface between event sources (record: live BPF events; replay: a trace file) and
 * outputs (viewer/: TUI, JSON lines, web). An output cannot tell live from replayed except by
 * sink_info.replay, which it shows as a badge ("replay x4").
 *
 * Calling sequence, all on the source's thread:
 *   begin(info) once; then event() for each event in non-decreasing ts order, interleaved with
 *   tick() at least every 100 ms of wall-clock time (also while paused or idle); then end() once;
 *   then free(). A non-zero return from begin/event/tick asks the source to stop: negative
 *   (-errno, with xg_error's message) when the output failed, which the command reports and
 *   exits 1 for; positive when the user quit, a normal stop. The source then still calls end()
 *   and free(). Sources make these calls through struct sink_pump (below), which applies this
 *   rule for all of them.
 *
 * Outputs steer the source through struct sink_control (pause, speed, seek, quit); a source
 * that cannot do something (record cannot seek) says so in the control's capability flags.
 */
#ifndef XG_SINK_SINK_H
#define XG_SINK_SINK_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format/event.h"
#include "format/meta.h"
#include "format/tables.h"

/* What the source tells outputs up front. Pointers stay valid until end() returns. */
struct sink_info {
	const struct tf_meta *meta;    /* recording metadata (format/meta.h keys) */
	const struct tf_tables *names; /* resolves string and stack ids (format/tables.h) */
	bool replay;		       /* events come from a file */
	const char *source;	       /* trace path when replaying; target description when live */
	uint64_t duration_ns;	       /* replay: trace length (last ts), 0 when unknown or live */
};

/* Where the source is; passed to tick() and end(). */
struct sink_status {
	uint64_t now_ts; /* current trace time, ns since trace start */
	uint64_t events; /* events delivered so far */
	uint64_t lost;	 /* events the kernel dropped so far (live), or lost records seen */
	double speed;	 /* replay speed (1 = real time), 0 = as fast as possible */
	bool paused;
	bool lagging;		/* the source is behind its schedule: outputs cannot keep up */
	uint64_t lag_ns;	/* how far behind */
	bool finished;		/* end(): the source has no more events */
	const char *end_reason; /* end(): "target exited", "end of file", "interrupted", ... */
};

struct sink;

struct sink_ops {
	const char *name;
	int (*begin)(struct sink *s, const struct sink_info *info);
	/* ev is valid only during the call; ids in it resolve through info->names. */
	int (*event)(struct sink *s, const struct xg_event *ev);
	int (*tick)(struct sink *s, const struct sink_status *st);
	void (*end)(struct sink *s, const struct sink_status *st);
	void (*free)(struct sink *s);
	/*
	 * Optional: the source jumped to trace time ts (a seek, or --loop starting over). Outputs
	 * drop what they derived from earlier events; the goroutines' states at ts follow as
	 * XG_EV_SNAPSHOT events, then the events from ts on (their ts may be below earlier ones).
	 */
	int (*reset)(struct sink *s, uint64_t ts);
};

/*
 * Requests from outputs to the source. Outputs may call the request functions from any thread
 * (the web server's, for instance); the source polls sink_control__take() between events.
 */
struct sink_control {
	pthread_mutex_t lock;
	/* capabilities, set by the source before begin() */
	bool can_pause;
	bool can_seek;
	bool can_speed;
	/* requests */
	bool quit;
	bool paused;
	double speed; /* requested speed; valid when speed_set */
	bool speed_set;
	int64_t seek_ts;     /* requested trace time, or -1 */
	uint32_t generation; /* bumped on every request */
};

void sink_control__init(struct sink_control *c);
void sink_control__destroy(struct sink_control *c);
void sink_control__quit(struct sink_control *c);
void sink_control__pause(struct sink_control *c, bool paused);
void sink_control__set_speed(struct sink_control *c, double speed);
void sink_control__seek(struct sink_control *c, int64_t ts);
/* A consistent copy of the requests; the seek and speed requests are consumed (reset). */
void sink_control__take(struct sink_control *c, struct sink_control *out);

struct sink {
	const struct sink_ops *ops;
	struct sink_control *ctl; /* set by the source before begin(); may be shared */
};

/* NULL-safe helpers that call through ops. */
int sink__begin(struct sink *s, const struct sink_info *info);
int sink__event(struct sink *s, const struct xg_event *ev);
int sink__tick(struct sink *s, const struct sink_status *st);
void sink__end(struct sink *s, const struct sink_status *st);
void sink__free(struct sink *s);
int sink__reset(struct sink *s, uint64_t ts);

/*
 * The source side of the calling sequence above, one for every source (record, replay), so
 * that a sink's returns mean the same whatever the source: the pump calls the sink, keeps why
 * the run stopped and the first failure, and counts what it delivered.
 *
 *	struct sink_pump p;
 *	sink_pump__init(&p, out);	// out->ctl = &p.ctl; set p.ctl's capabilities now
 *	if (!sink_pump__begin(&p, &info))
 *		while (!p.stopped && next(&ev) && !sink_pump__event(&p, &ev))
 *			...;		// sink_pump__tick(&p) every 100 ms, sink_pump__stop(&p,
 *why) err = sink_pump__end(&p, err, "end of file"); sink_pump__destroy(&p);
 *
 * A non-zero return of the sink stops the run: negative, the output failed (end reason
 * "output failed"; sink_pump__end() returns it, with the sink's message in xg_errmsg(), and
 * the command exits 1); positive, the user quit (end reason "quit"; a normal stop). The pump
 * then calls nothing but end(): every helper returns 1 at once. A stop of the source's own
 * (sink_pump__stop()) lets it deliver what it still holds before end(). Single-threaded, like
 * the source; only p.ctl is shared with the outputs' threads.
 */
struct sink_pump {
	struct sink *out;	 /* NULL: nothing to call, events are only counted */
	struct sink_control ctl; /* the outputs' requests; the source reads them */
	/* passed to tick() and end(). The source sets now_ts, speed, paused, lagging and lag_ns;
	 * the pump counts events and lost (the counts of XG_EV_LOST events delivered) */
	struct sink_status st;
	bool stopped;	    /* the run stops: the output asked to, or sink_pump__stop() */
	bool out_done;	    /* the output returned non-zero: it gets nothing more but end() */
	int err;	    /* the output's failure (-errno), 0 when none */
	const char *reason; /* why the run stopped; NULL while it runs */
	char msg[256];	    /* the output's message for err */
};

/* Ties out (may be NULL) to p: out->ctl = &p->ctl until sink_pump__destroy(). */
void sink_pump__init(struct sink_pump *p, struct sink *out);
/* Each calls the sink and returns 0 to go on, or 1 when the output stopped the run (now or
 * before). begin(): */
int sink_pump__begin(struct sink_pump *p, const struct sink_info *info);
/* event(), counted in st.events (and st.lost) when delivered: */
int sink_pump__event(struct sink_pump *p, const struct xg_event *ev);
/* n events, up to the first non-zero return; without an event callback, counted only: */
int sink_pump__events(struct sink_pump *p, const struct xg_event *evs, size_t n);
/* tick() with p->st: */
int sink_pump__tick(struct sink_pump *p);
/* reset(): */
int sink_pump__reset(struct sink_pump *p, uint64_t ts);
/* The source stops the run for its own reason ("interrupted", "target exited", ...). The first
 * reason to stop a run is the one kept. */
void sink_pump__stop(struct sink_pump *p, const char *reason);
/*
 * Calls end() with st.finished and st.end_reason: the reason the run stopped, else "error"
 * when err (the source's own failure, -errno with its message) is non-zero, else done (the
 * source's natural end: "end of file", ...). Returns the run's status: err, else the output's
 * failure (its message put back in xg_errmsg()), else 0.
 */
int sink_pump__end(struct sink_pump *p, int err, const char *done);
/* Unties the sink (out->ctl = NULL) and frees the control. */
void sink_pump__destroy(struct sink_pump *p);

/*
 * A sink that forwards to several sinks (TUI and web at once, say). Takes ownership of the
 * sinks in arr. A non-zero return from any child stops the whole chain. NULL with errno set.
 */
struct sink *sink_fanout__new(struct sink **arr, int n);

#endif /* XG_SINK_SINK_H */
