// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The recorder's loop (recorder__run): one thread, an epoll loop over the ring buffer, a signalfd
 * (SIGINT, SIGTERM, SIGHUP) and the target's pidfd, waking at least every poll_ms to drain the
 * buffer (the BPF side wakes it early only when a quarter of the buffer is used, so an idle
 * target costs no wakeups per event) and every 100 ms to read the drop counters, poll the
 * target's memory in production mode and tick the outputs through the pump.
 */
#include "record/recorder_internal.h"

/* Turns new drops (per CPU and kind) into lost events. Returns how many were new. */
static uint64_t collect_lost(struct recorder *r, uint64_t now_ts)
{
	uint64_t vals[512], fresh = 0;
	int fd = bpf_map__fd(r->bpf.lost);

	if (r->ncpus > 512)
		return 0;
	for (uint32_t k = 0; k < XGB_NKINDS; k++) {
		if (bpf_map_lookup_elem(fd, &k, vals))
			continue;
		for (int c = 0; c < r->ncpus; c++) {
			uint64_t *seen = &r->lost_seen[(size_t)c * XGB_NKINDS + k];
			struct xg_event ev = {0};

			if (vals[c] <= *seen)
				continue;
			ev.ts = now_ts;
			ev.kind = XG_EV_LOST;
			ev.cpu = (uint16_t)c;
			ev.of = (uint8_t)k;
			ev.count = vals[c] - *seen;
			*seen = vals[c];
			if (k < XG_EV_KIND_MAX)
				r->lost[k] += ev.count;
			fresh += ev.count;
			rec_ingest__push(r->ing, &ev);
		}
	}
	return fresh;
}

/* Reads what the ring buffer holds; while the reorder queue is full, delivers the oldest.
 * Returns 1 when it took records, 0 when there were none, or -errno. */
static int drain(struct recorder *r)
{
	int got = 0;

	for (;;) {
		long n = rec_ring__consume(r->rb);

		if (n >= 0)
			return n > 0 ? 1 : got;
		if (n != -EAGAIN)
			return (int)n;
		/* the queue was full: some records were taken */
		got = 1;
		n = rec_ingest__release(r->ing, rec__clock_ns(CLOCK_MONOTONIC), false);
		if (n)
			return n < 0 ? n : got;
	}
}

/* Stops polling (the target is gone, or its memory does not hold what it should). */
static void poll_stop(struct recorder *r, int err)
{
	if (err != -ESRCH && !r->poll_error[0])
		snprintf(r->poll_error, sizeof(r->poll_error), "%s", xg_errmsg());
	rec_poll__free(r->poll);
	r->poll = NULL;
}

/*
 * Full mode, attached: the goroutines that were there before the probes (state, wait reason,
 * start and creation site, parent), as snapshot events from one walk right after the probes
 * were enabled, so that every goroutine the trace shows has its start function. Production
 * mode's walks do the same once a second.
 */
int rec__snapshot_at_attach(struct recorder *r)
{
	int err = rec_walk__run(r->walk, r->poll, rec__clock_ns(CLOCK_MONOTONIC), false);

	if (err < 0)
		return xg_error(err, "reading the goroutines at attach: %s", xg_errmsg());
	r->polls_snapshot = 1;
	return 0;
}

/* Exits without a probe: reads every goroutine believed alive; a g that is dead, or carries
 * another goroutine now, says its goroutine has exited, at the latest now. */
static int poll_exits(struct recorder *r)
{
	const uint64_t *gs, *goids;
	size_t n = rec_ingest__live(r->ing, &gs, &goids);
	uint64_t seen;
	int err;

	if (!n)
		return 0;
	if (n > r->gread_cap) {
		struct rec_gsnap *a = realloc(r->gread, n * 2 * sizeof(*a));

		if (!a)
			return -ENOMEM;
		r->gread = a;
		r->gread_cap = n * 2;
	}
	err = rec_poll__read_gs(r->poll, gs, n, r->gread);
	if (err)
		return err;
	seen = rec__clock_ns(CLOCK_MONOTONIC);
	for (size_t i = 0; i < n; i++) {
		const struct rec_gsnap *s = &r->gread[i];

		if (s->state != XG_G_DEAD && s->goid == goids[i])
			continue;
		/* (the arrays stay valid: exited() does not touch them) */
		err = rec_ingest__exited(r->ing, gs[i], goids[i], seen);
		if (err)
			return err;
		r->exits_polled++;
	}
	return 0;
}

void rec__walk(struct recorder *r, bool afresh)
{
	uint64_t t0;
	int err;

	if (!r->poll || !(r->o.kinds & XGB_KIND_BIT(XG_EV_SNAPSHOT)))
		return;
	if (afresh)
		rec_walk__forget(r->walk);
	/* the snapshot's time is the start of the walk: every status read after it, so an exit
	 * seen by the probes before the walk read the g is older than ts */
	/* goroutines no creation probe saw (an attached target's from before the probes, those
	 * created while a budget kept the probe out): their exits too */
	t0 = rec__clock_ns(CLOCK_MONOTONIC);
	err = rec_walk__run(r->walk, r->poll, t0, r->exit_poll);
	if (err < 0) {
		poll_stop(r, err);
		return;
	}
	err = rec_ingest__walk_done(r->ing, t0);
	if (err) {
		poll_stop(r, err);
		return;
	}
	r->polls_snapshot++;
	r->poll_ns += rec__clock_ns(CLOCK_MONOTONIC) - t0;
}

/* The scheduler's counts, at the heap interval (either mode): a reading that fails a bound
 * is dropped and counted, a target whose memory cannot be read stops them. */
static void poll_sched(struct recorder *r, uint64_t now, bool force)
{
	struct rec_sched_counts c;
	enum rec_sched_bad why = REC_SCHED_BAD_MAX;
	struct xg_event ev = {0};
	uint64_t t0;
	int err;

	if (!r->sched || (!force && now < r->next_sched))
		return;
	r->next_sched = now + (uint64_t)r->o.heap_ms * 1000000;
	t0 = rec__clock_ns(CLOCK_MONOTONIC);
	err = rec_sched__read(r->sched, &c, &why);
	if (err == -EAGAIN && why < REC_SCHED_BAD_MAX)
		r->sched_dropped[why]++;
	if (err == -EAGAIN || err == -ENODATA)
		return;
	if (err) {
		if (err != -ESRCH && !r->poll_error[0])
			snprintf(r->poll_error, sizeof(r->poll_error), "%s", xg_errmsg());
		rec_sched__free(r->sched);
		r->sched = NULL;
		return;
	}
	ev.ts = rec__clock_ns(CLOCK_MONOTONIC) - r->start_mono;
	ev.kind = XG_EV_SCHED;
	ev.created = c.created;
	ev.alive = c.alive;
	ev.threads = c.threads;
	ev.gomaxprocs = c.gomaxprocs;
	ev.runnable = c.runnable;
	rec_ingest__push(r->ing, &ev);
	r->polls_sched++;
	r->poll_ns += rec__clock_ns(CLOCK_MONOTONIC) - t0;
}

/* Production mode: the heap figures and the goroutine snapshot, when due (or now); the
 * scheduler's counts in either mode. */
static void poll_target(struct recorder *r, uint64_t now, bool force)
{
	uint64_t t0;
	int err;

	poll_sched(r, now, force);
	if (!r->poll)
		return;
	if ((r->o.kinds & XGB_KIND_BIT(XG_EV_HEAP)) && (force || now >= r->next_heap)) {
		struct rec_heap h;
		struct xg_event ev = {0};

		t0 = rec__clock_ns(CLOCK_MONOTONIC);
		err = rec_poll__heap(r->poll, &h);
		if (err) {
			poll_stop(r, err);
			return;
		}
		/* stamped when the read is done: every cycle its numgc counts ended before ts (the
		 * gc_end probe runs before the runtime counts the cycle) */
		ev.ts = rec__clock_ns(CLOCK_MONOTONIC) - r->start_mono;
		ev.kind = XG_EV_HEAP;
		ev.gc = h.numgc;
		ev.heap_live = h.heap_live;
		ev.heap_goal = h.heap_goal;
		ev.total_alloc = h.total_alloc;
		ev.total_free = h.total_free;
		rec_ingest__push(r->ing, &ev);
		/* the runtime zeroes it at start-up when profiling is off: set it again */
		if (r->mem_rate_written && h.mem_profile_rate == 0 &&
		    !rec_poll__set_mem_rate(r->poll, r->o.mem_profile_rate))
			h.mem_profile_rate = r->o.mem_profile_rate;
		rec_ingest__set_mem_rate(r->ing, h.mem_profile_rate);
		r->polls_heap++;
		r->poll_ns += rec__clock_ns(CLOCK_MONOTONIC) - t0;
		r->next_heap = now + (uint64_t)r->o.heap_ms * 1000000;
	}
	/* (while the status probes are in, they say what the walks would) */
	if ((r->o.kinds & XGB_KIND_BIT(XG_EV_SNAPSHOT)) && (force || now >= r->next_snapshot) &&
	    !rec__status_in(r)) {
		rec__walk(r, false);
		if (!r->poll)
			return;
		r->next_snapshot = now + (uint64_t)r->o.snapshot_ms * 1000000;
	}
	if (r->exit_poll && (force || now >= r->next_exit)) {
		t0 = rec__clock_ns(CLOCK_MONOTONIC);
		err = poll_exits(r);
		if (err) {
			poll_stop(r, err);
			return;
		}
		r->polls_exit++;
		r->poll_ns += rec__clock_ns(CLOCK_MONOTONIC) - t0;
		r->next_exit = now + (uint64_t)r->o.exit_ms * 1000000;
	}
}

/* SIGHUP: apply the rates (and the budget) now in opts.sample_file. */
static void reload_samples(struct recorder *r)
{
	struct recorder_opts o = {0};

	if (rec__read_sample_file(r->o.sample_file, &o)) {
		fprintf(stderr, "xgotop record: %s (sampling unchanged)\n", xg_errmsg());
		return;
	}
	if (o.budget_set)
		rec__budget_change(r, o.budget);
	for (unsigned int k = 0; k < XG_EV_KIND_MAX; k++) {
		if (!o.sample_set[k] || recorder__set_sample(r, k, o.sample[k]))
			continue;
		if (!r->o.quiet)
			fprintf(stderr, "xgotop record: sampling %s at %g from now on\n",
				xg_kind_name(k), o.sample[k]);
	}
}

/* What woke the event loop (epoll_event.data.u32). */
enum {
	EP_RING,   /* the ring buffer has records */
	EP_SIGNAL, /* SIGINT, SIGTERM or SIGHUP (signalfd) */
	EP_TARGET, /* the target exited (pidfd) */
};

static int epoll_add(int epfd, int fd, uint32_t tag, const char *what)
{
	struct epoll_event e = {.events = EPOLLIN, .data.u32 = tag};

	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &e))
		return xg_error(-errno, "epoll_ctl(ADD) of the %s (fd %d): %s", what, fd,
				strerror(errno));
	return 0;
}

int recorder__run(struct recorder *r, struct sink *sink)
{
	struct sink_pump *pump = &r->pump;
	struct epoll_event evs[4];
	struct sink_info info = {0};
	char source[PATH_MAX + 64];
	uint64_t next_tick, last_tick, deadline = 0, stop_mono;
	sigset_t sigs;
	int epfd = -1, sfd = -1, err = 0, idle_ms = r->o.poll_ms, idle_max = IDLE_POLL_MAX_MS;

	sink_pump__init(pump, sink);
	pump->st.speed = 1;
	snprintf(source, sizeof(source), "pid %d (%s)", r->t.pid, r->t.comm);
	info.meta = r->meta;
	info.names = tf_writer__tables(r->w);
	info.source = source;

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	if (r->o.sample_file)
		sigaddset(&sigs, SIGHUP);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (sfd < 0 || epfd < 0) {
		err = xg_error(-errno, "signalfd/epoll: %s", strerror(errno));
		goto out;
	}
	err = epoll_add(epfd, rec_ring__fd(r->rb), EP_RING, "ring buffer");
	if (!err)
		err = epoll_add(epfd, sfd, EP_SIGNAL, "signalfd");
	if (!err)
		err = epoll_add(epfd, r->t.pidfd, EP_TARGET, "target's pidfd");
	if (err)
		goto out;
	rec_ingest__set_pump(r->ing, pump);
	if (sink_pump__begin(pump, &info))
		goto finish;

	/* the reader thread (only: the target and the writer's thread keep their priority) runs
	 * ahead of the target's threads, so that a busy target does not delay the outputs; what
	 * it does per event is small. Needs CAP_SYS_NICE; without it, nothing changes. */
	if (setpriority(PRIO_PROCESS, (id_t)gettid(), READER_NICE))
		errno = 0;
	last_tick = rec__clock_ns(CLOCK_MONOTONIC);
	next_tick = last_tick + TICK_NS;
	/* memory reads closer together than that keep their pace */
	if (r->o.heap_ms < (unsigned int)idle_max)
		idle_max = (int)r->o.heap_ms;
	if (idle_max < r->o.poll_ms)
		idle_max = r->o.poll_ms;
	if (r->o.duration_ns)
		deadline = r->start_mono + r->o.duration_ns;
	while (!pump->stopped) {
		uint64_t now = rec__clock_ns(CLOCK_MONOTONIC), due = rec__budget_next(r);
		int timeout = idle_ms, n;

		if (deadline && now >= deadline) {
			sink_pump__stop(pump, "duration reached");
			break;
		}
		/* wake at the deadline, so that the recording stops there */
		if (deadline && (timeout < 0 || deadline - now < (uint64_t)timeout * 1000000))
			timeout = (int)((deadline - now + 999999) / 1000000);
		/* and when the budget has a probe to put in or take out */
		if (due <= now)
			timeout = 0;
		else if (due - now < (uint64_t)timeout * 1000000)
			timeout = (int)((due - now + 999999) / 1000000);
		n = epoll_wait(epfd, evs, 4, timeout);
		if (n < 0 && errno != EINTR) {
			err = xg_error(-errno, "epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			if (evs[i].data.u32 == EP_SIGNAL) {
				struct signalfd_siginfo si;

				if (read(sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
					continue;
				if (si.ssi_signo == SIGHUP) {
					reload_samples(r);
					continue;
				}
				sink_pump__stop(pump, si.ssi_signo == SIGINT ? "interrupted"
									     : "terminated");
			} else if (evs[i].data.u32 == EP_TARGET) {
				/* its CPU time while it is a zombie, before it is reaped */
				rec__sample_cpu(r);
				if (rec_target__poll_exit(&r->t))
					sink_pump__stop(pump, "target exited");
			}
		}
		n = drain(r);
		if (n < 0) {
			err = xg_error(n, "ring buffer: %s", strerror(-n));
			break;
		}
		/* an idle target: fewer wakeups, down to one per IDLE_POLL_MAX_MS (the BPF side
		 * still wakes the loop when a quarter of the buffer fills) */
		idle_ms = n ? r->o.poll_ms : idle_ms * 2 > idle_max ? idle_max : idle_ms * 2;
		now = rec__clock_ns(CLOCK_MONOTONIC);
		rec__budget_turn(r, now);
		poll_target(r, now, false);
		if (now >= next_tick) {
			collect_lost(r, now - r->start_mono);
			rec__sample_cpu(r);
			next_tick = now + TICK_NS;
		}
		err = rec_ingest__release(r->ing, now, false);
		if (err) {
			sink_pump__stop(pump, "trace file write failed");
			break;
		}
		if (now - last_tick >= TICK_NS) {
			struct sink_control c;

			last_tick = now;
			pump->st.now_ts = now - r->start_mono;
			if (sink_pump__tick(pump))
				break;
			sink_control__take(&pump->ctl, &c);
			if (c.quit)
				sink_pump__stop(pump, "quit");
		}
	}

finish:
	/* the last figures of a target that still runs, and its own sampling rate back */
	if (!r->poll && !r->t.exited)
		poll_sched(r, rec__clock_ns(CLOCK_MONOTONIC), true);
	if (r->poll && !r->t.exited) {
		poll_target(r, rec__clock_ns(CLOCK_MONOTONIC), true);
		if (r->poll && r->mem_rate_written &&
		    rec_poll__mem_rate(r->poll) == r->o.mem_profile_rate)
			rec_poll__set_mem_rate(r->poll, r->mem_rate_orig);
	}
	/* the moment the recording stopped: the file's span ends here (tf_writer__set_stop),
	 * and what the probes see later is not part of it */
	stop_mono = rec__clock_ns(CLOCK_MONOTONIC);
	r->stop_mono = stop_mono;
	tf_writer__set_stop(r->w, stop_mono - r->start_mono);
	rec_ingest__cut(r->ing, stop_mono);
	/* no new events from here on; what the kernel queued is still delivered (to the file,
	 * and to outputs that did not stop) */
	if (!r->t.exited)
		rec__sample_cpu(r);
	if (r->bpf_ok)
		rec_bpf__detach(&r->bpf);
	rec_ingest__stop_latency(r->ing);
	if (!err)
		err = drain(r);
	if (err > 0)
		err = 0;
	collect_lost(r, stop_mono - r->start_mono); /* dropped before the stop */
	if (!err)
		err = rec_ingest__release(r->ing, rec__clock_ns(CLOCK_MONOTONIC), true);
	if (r->self_start_ns)
		r->self_cpu_ns = rec__clock_ns(CLOCK_PROCESS_CPUTIME_ID) - r->self_start_ns;
	/* what the probes cost: counted before the measurement adds its own hits */
	if (r->bpf_ok) {
		r->traps = rec_bpf__traps(&r->bpf) - r->traps_base;
		if (r->traps && !r->trap_measured && rec_bpf__trap_cost(&r->bpf, &r->trap_ns))
			snprintf(r->trap_error, sizeof(r->trap_error), "%s", xg_errmsg());
	}
	if (r->t.launched && !r->t.exited)
		rec_target__stop(&r->t, TARGET_STOP_GRACE_MS);
	rec_target__poll_exit(&r->t);
	rec_target__describe(&r->t, r->status, sizeof(r->status));
	pump->st.now_ts = rec__clock_ns(CLOCK_MONOTONIC) - r->start_mono;
	err = sink_pump__end(pump, err, "stopped");
out:
	rec_ingest__set_pump(r->ing, NULL);
	sink_pump__destroy(pump);
	if (sfd >= 0)
		close(sfd);
	if (epfd >= 0)
		close(epfd);
	return err;
}
