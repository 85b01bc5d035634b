/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Replay: reads a trace through an opened reader (format/reader.h; the command opens the file or
 * the bundle) and feeds its events to a sink, through the pump of sink/sink.h, at the pace they
 * happened (times a speed), or as fast as possible, so outputs cannot tell it from live capture
 * except by the "replay" badge.
 *
 * Pacing runs on absolute deadlines: event e is due at start + (e.ts - base_ts) / speed on
 * CLOCK_MONOTONIC and the loop sleeps with clock_nanosleep(TIMER_ABSTIME), delivering every event
 * due within the next millisecond at once, so a long replay does not drift. When the outputs
 * cannot keep up, sink_status.lagging and lag_ns say so. Outputs pause, resume, change speed and
 * seek through struct sink_control; a seek goes through the reader's index and keyframes and
 * hands the goroutine states at the seek point to the outputs as XG_EV_SNAPSHOT events after a
 * reset().
 */
#ifndef XG_REPLAY_REPLAY_H
#define XG_REPLAY_REPLAY_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format/reader.h"
#include "sink/sink.h"

struct replay_opts {
	double speed;	       /* 1 = real time; 0.25 .. 1000 */
	bool max;	       /* as fast as possible */
	const char *from;      /* start here (replay__parse_time); NULL = the beginning */
	const char *to;	       /* stop after this time; NULL = the end */
	const uint64_t *goids; /* only events about these goroutines (NULL: all) */
	size_t n_goids;
	uint32_t kinds;	  /* bit mask of (1 << kind) to deliver; 0 = all */
	bool loop;	  /* start over at the end */
	bool hold_at_end; /* interactive outputs: stay paused at the end until quit or seek */
	bool say_lag;	  /* no output shows sink_status.lagging: say it on stderr */
	/* set asynchronously (a signal handler) to stop; may be NULL */
	volatile sig_atomic_t *stop;
};

struct replay_result {
	uint64_t events;	/* delivered */
	uint64_t read;		/* read from the file */
	uint64_t damaged;	/* chunks skipped */
	bool clean;		/* the file was closed properly */
	char recovery[512];	/* when not clean: what was recovered */
	double wall_s;		/* time spent delivering */
	const char *end_reason; /* sink_status.end_reason: "end of file", "quit", ... */
	bool output_failed;	/* the error returned is an output's (sink/sink.h) */
};

/* Parses a time for --from/--to: a trace time ("1.5s", "200ms", "3us", "10ns", "2m", or plain
 * seconds) or, with wall_start_ns (metadata wall.start_ns; 0 = unknown), a wall-clock time
 * "YYYY-MM-DDTHH:MM:SS[.frac]" or "HH:MM:SS[.frac]" (UTC; the trace's day). 0 or -EINVAL. */
int replay__parse_time(const char *s, uint64_t wall_start_ns, uint64_t *ts);

/*
 * Replays the trace r reads (source: its name for the outputs) into out. Both stay the
 * caller's: replay reads r from where it is, seeks it and changes its column selection
 * (tf_reader__set_columns()); the warnings r gives are the caller's reader options'. out->ctl
 * is set during the call. 0, or -errno with xg_errmsg() saying what failed: an output
 * (res->output_failed), a bad --from or --to (-EINVAL), reading. An output that asks to stop
 * (the user quit) is not an error.
 */
int replay__run(struct tf_reader *r, const char *source, const struct replay_opts *o,
		struct sink *out, struct replay_result *res);

#endif /* XG_REPLAY_REPLAY_H */
