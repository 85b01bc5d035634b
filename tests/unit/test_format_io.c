// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Trace format: seeking with keyframes, projection, the writer under threads, backpressure,
 * late events, write errors, huge strings, live files. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "format/gtrack.h"
#include "format/reader.h"
#include "format/writer.h"
#include "format/xgt.h"
#include "tests/unit/test.h"
#include "util/err.h"

static const char *path_in_tmp(const char *name)
{
	static char p[4][512];
	static int k;
	char *s = p[k++ % 4];

	snprintf(s, sizeof(p[0]), "%s/%s", test__tmpdir(), name);
	return s;
}

static struct xg_event *all_events(const char *path, size_t *n)
{
	struct tf_reader *r = tf_reader__open(path, NULL);
	struct xg_event *evs = NULL;
	size_t cap = 0;
	long k;

	*n = 0;
	if (!r)
		return NULL;
	for (;;) {
		if (*n == cap) {
			struct xg_event *ne =
			    realloc(evs, (cap = cap ? 2 * cap : 4096) * sizeof(*evs));

			if (!ne)
				break;
			evs = ne;
		}
		k = tf_reader__read(r, evs + *n, cap - *n);
		if (k <= 0)
			break;
		*n += (size_t)k;
	}
	tf_reader__close(r);
	return evs;
}

static bool same_goroutine(const struct tf_goroutine *a, const struct tf_goroutine *b)
{
	return a->goid == b->goid && a->state == b->state && a->reason == b->reason &&
	       a->parent_goid == b->parent_goid && a->start_fn == b->start_fn &&
	       a->create_fn == b->create_fn && a->start_pc == b->start_pc &&
	       a->create_pc == b->create_pc && a->created_ts == b->created_ts &&
	       a->since_ts == b->since_ts;
}

/*
 * Seeking anywhere gives the next event and the goroutine table a full read implies. The
 * fixture's events (late ones and go_creates after their goroutine's own events included) are
 * written anew: its keyframes are what the writer of its day made of them.
 */
TEST(format_seek_keyframes)
{
	const char *path = path_in_tmp("seek.xgt");
	/* as the fixture was written: small chunks, frequent keyframes */
	TF_WRITER_OPTS(wo, .flush_ms = -1, .chunk_max_events = 1024, .keyframe_ns = 250000000);
	struct tf_reader *r = NULL;
	struct xg_event *all = NULL, ev;
	struct tf_gtrack *gt = tf_gtrack__new();
	struct tf_writer *w;
	struct tf_info in;
	size_t n = 0;
	uint64_t targets[40];
	int nt = 0;

	all = all_events("tests/fixtures/http-mix.xgt", &n);
	if (!ASSERT_OK_PTR(all, "read the fixture") || !ASSERT_OK_PTR(gt, "gtrack"))
		goto out;
	w = tf_writer__open(path, NULL, &wo);
	if (!ASSERT_OK_PTR(w, "writer") ||
	    !ASSERT_OK(tf_writer__append_batch(w, all, n), "append") ||
	    !ASSERT_OK(tf_writer__close(w), "close"))
		goto out;
	free(all);
	all = NULL;
	r = tf_reader__open(path, NULL);
	if (!ASSERT_OK_PTR(r, "open"))
		goto out;
	ASSERT_OK(tf_reader__info(r, &in), "info");
	ASSERT_GE(in.keyframes, 4u, "the fixture has keyframes");
	all = all_events(path, &n);
	if (!ASSERT_OK_PTR(all, "read all") || !ASSERT_GT(n, 1000u, "events"))
		goto out;
	targets[nt++] = 0;
	targets[nt++] = all[0].ts;
	targets[nt++] = all[n - 1].ts;
	targets[nt++] = all[n - 1].ts + 1;
	for (int i = 1; i <= 30; i++)
		targets[nt++] = all[n * (size_t)i / 31].ts + (uint64_t)(i % 3 == 0);
	targets[nt++] = all[n / 2].ts; /* and back */
	for (int t = 0; t < nt; t++) {
		uint64_t T = targets[t];
		size_t first = 0, ng, nw;
		const struct tf_goroutine *got, *want;
		int rc;

		while (first < n && all[first].ts < T)
			first++;
		tf_gtrack__clear(gt);
		for (size_t i = 0; i < first; i++)
			tf_gtrack__apply(gt, &all[i]);
		if (!ASSERT_OK(tf_reader__seek(r, T), "seek"))
			break;
		rc = tf_reader__next(r, &ev);
		if (first == n) {
			ASSERT_EQ(rc, 0, "seek past the end: no events");
		} else if (ASSERT_EQ(rc, 1, "an event after seek")) {
			ASSERT_EQ(ev.ts, all[first].ts, "first event at or after T");
			ASSERT_EQ(ev.goid, all[first].goid, "the same event");
			ASSERT_EQ(ev.kind, all[first].kind, "the same kind");
		}
		got = tf_reader__goroutines(r, &ng);
		want = tf_gtrack__sorted(gt, &nw);
		if (!ASSERT_EQ(ng, nw, "goroutines alive at T")) {
			printf("  T = %llu\n", (unsigned long long)T);
			break;
		}
		for (size_t i = 0; i < ng; i++)
			if (!ASSERT_TRUE(same_goroutine(&got[i], &want[i]),
					 "goroutine state at T")) {
				printf("  T = %llu goid %llu\n", (unsigned long long)T,
				       (unsigned long long)want[i].goid);
				break;
			}
	}
	/* every seek above loaded a keyframe: none may have been skipped as damaged */
	{
		size_t nwarn;
		const char *const *warn = tf_reader__warnings(r, &nwarn);

		if (!ASSERT_EQ(nwarn, 0u, "keyframes load without warnings"))
			printf("  %s\n", warn[0]);
	}
out:
	free(all);
	tf_gtrack__free(gt);
	tf_reader__close(r);
}

/* Only the columns asked for are decoded; those decode the same. */
TEST(format_projection)
{
	const char *path = "tests/fixtures/http-mix.xgt";
	TF_READER_OPTS(o, .columns = TF_READ(TF_COL_SIZE));
	struct tf_reader *r = tf_reader__open(path, &o);
	struct xg_event *all = NULL, ev;
	size_t n = 0, i = 0;

	all = all_events(path, &n);
	if (!ASSERT_OK_PTR(r, "open") || !ASSERT_OK_PTR(all, "all"))
		goto out;
	while (tf_reader__next(r, &ev) > 0 && i < n) {
		const struct xg_event *a = &all[i++];

		if (!ASSERT_EQ(ev.ts, a->ts, "ts") || !ASSERT_EQ(ev.kind, a->kind, "kind") ||
		    !ASSERT_EQ(ev.size, a->size, "size") ||
		    !ASSERT_EQ(ev.goid, 0u, "goid not decoded") ||
		    !ASSERT_EQ(ev.type, 0u, "type not decoded") ||
		    !ASSERT_EQ(ev.stack, 0u, "stack"))
			break;
	}
	ASSERT_EQ(i, n, "all events");
	/* switching columns later takes effect from the next chunk on */
	tf_reader__set_columns(r, TF_READ_ALL);
	ASSERT_OK(tf_reader__seek(r, 0), "rewind");
	ASSERT_EQ(tf_reader__next(r, &ev), 1, "first");
	ASSERT_EQ(ev.goid, all[0].goid, "goid decoded again");
out:
	free(all);
	tf_reader__close(r);
}

struct producer {
	struct tf_writer *w;
	int id;
	int n;
	uint64_t base;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void *produce(void *arg)
{
	struct producer *p = arg;
	uint64_t x = 0x9e3779b97f4a7c15ULL * (uint64_t)(p->id + 1);

	for (int i = 0; i < p->n; i++) {
		struct xg_event ev = {0};

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		/* wall time, a little jitter backwards: what several CPUs feeding one ring do */
		ev.ts = now_ns() - p->base - (x % 20000);
		ev.kind = XG_EV_ALLOC;
		ev.goid = (uint64_t)p->id << 32 | (uint64_t)i; /* identifies the event */
		ev.cpu = (uint16_t)p->id;
		ev.size = x % 4096;
		if (tf_writer__append(p->w, &ev))
			break;
	}
	return NULL;
}

static int cmp_goid(const void *a, const void *b)
{
	const struct xg_event *x = a, *y = b;

	return x->goid < y->goid ? -1 : x->goid > y->goid;
}

/* Several producers at once, a small memory limit: nothing lost, output in ts order. */
TEST(format_writer_threads)
{
	enum { NT = 4, PER = 150000 };
	const char *path = path_in_tmp("threads.xgt");
	TF_WRITER_OPTS(o, .mem_limit = 16u << 20, .chunk_max_events = 8192);
	struct tf_writer *w = tf_writer__open(path, NULL, &o);
	struct producer ps[NT];
	pthread_t th[NT];
	struct tf_writer_stats st;
	struct xg_event *evs = NULL;
	size_t n = 0;
	uint64_t base = now_ns() - 1000000;

	if (!ASSERT_OK_PTR(w, "open"))
		return;
	for (int i = 0; i < NT; i++) {
		ps[i] = (struct producer){w, i, PER, base};
		pthread_create(&th[i], NULL, produce, &ps[i]);
	}
	for (int i = 0; i < NT; i++)
		pthread_join(th[i], NULL);
	tf_writer__stats(w, &st);
	ASSERT_EQ(st.events, (uint64_t)NT * PER, "appended");
	ASSERT_LE(st.mem, (size_t)(16u << 20), "memory within the limit");
	if (!ASSERT_OK(tf_writer__close(w), "close"))
		return;
	evs = all_events(path, &n);
	if (!ASSERT_OK_PTR(evs, "read") || !ASSERT_EQ(n, (size_t)NT * PER, "every event written"))
		goto out;
	for (size_t i = 1; i < n; i++)
		if (!ASSERT_LE(evs[i - 1].ts, evs[i].ts, "non-decreasing ts"))
			break;
	qsort(evs, n, sizeof(*evs), cmp_goid);
	for (size_t i = 0; i < n; i++)
		if (!ASSERT_EQ(evs[i].goid, (uint64_t)(i / PER) << 32 | (i % PER),
			       "each event once"))
			break;
out:
	free(evs);
}

/* Events older than the reorder window after a flush: ts raised and counted. */
TEST(format_writer_late_events)
{
	const char *path = path_in_tmp("late.xgt");
	TF_WRITER_OPTS(o, .flush_ms = -1, .reorder_ns = 1000);
	struct tf_writer *w = tf_writer__open(path, NULL, &o);
	struct xg_event ev = {.kind = XG_EV_GO_EXIT, .goid = 1};
	struct tf_writer_stats st;
	struct tf_reader *r = NULL;
	struct tf_info in;
	struct xg_event *evs;
	size_t n;

	if (!ASSERT_OK_PTR(w, "open"))
		return;
	/* out of order within the window: sorted, not late */
	for (uint64_t ts = 10000; ts < 20000; ts += 100) {
		ev.ts = ts % 300 == 0 ? ts - 150 : ts;
		tf_writer__append(w, &ev);
	}
	ASSERT_OK(tf_writer__flush(w), "flush");
	ev.ts = 5000; /* before what is on disk */
	ev.goid = 2;
	tf_writer__append(w, &ev);
	ev.ts = 30000;
	tf_writer__append(w, &ev);
	tf_writer__stats(w, &st);
	ASSERT_OK(tf_writer__close(w), "close");
	ASSERT_EQ(st.events, 102u, "appended");
	evs = all_events(path, &n);
	if (!ASSERT_OK_PTR(evs, "read") || !ASSERT_EQ(n, 102u, "all written"))
		goto out;
	for (size_t i = 1; i < n; i++)
		ASSERT_LE(evs[i - 1].ts, evs[i].ts, "non-decreasing");
	ASSERT_EQ(evs[100].goid, 2u, "the late event comes after the flushed ones");
	ASSERT_EQ(evs[100].ts, evs[99].ts, "its ts is raised to the last written");
	r = tf_reader__open(path, NULL);
	if (ASSERT_OK_PTR(r, "open") && ASSERT_OK(tf_reader__info(r, &in), "info")) {
		ASSERT_EQ(in.late, 1u, "one late event");
		ASSERT_EQ(in.late_max_ns, evs[99].ts - 5000, "raised by");
	}
out:
	tf_reader__close(r);
	free(evs);
}

/* The recording's stop in the index: the span reaches it; raised to the last event when
 * earlier; without it (or before the file is closed) the span ends at the last event. */
TEST(format_stop_span)
{
	static const struct {
		uint64_t stop, want_stop, want_span;
	} cases[] = {
	    {3000000000ULL, 3000000000ULL, 3000000000ULL},
	    {4000, 5000, 5000}, /* before the last event: raised */
	    {0, 0, 5000},	/* not given */
	};
	const char *path = path_in_tmp("stop.xgt");
	struct xg_event ev = {.kind = XG_EV_GO_EXIT, .goid = 1};
	struct tf_reader *r;
	struct tf_info in;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		TF_WRITER_OPTS(o, .flush_ms = -1);
		struct tf_writer *w = tf_writer__open(path, NULL, &o);

		if (!ASSERT_OK_PTR(w, "open"))
			return;
		for (ev.ts = 1000; ev.ts <= 5000; ev.ts += 1000)
			tf_writer__append(w, &ev);
		if (cases[i].stop)
			tf_writer__set_stop(w, cases[i].stop);
		if (i == 0) {
			/* still being written: no index, so no stop yet */
			ASSERT_OK(tf_writer__flush(w), "flush");
			r = tf_reader__open(path, NULL);
			if (ASSERT_OK_PTR(r, "open live") &&
			    ASSERT_OK(tf_reader__info(r, &in), "info")) {
				ASSERT_FALSE(in.clean, "not closed");
				ASSERT_EQ(in.stop_ts, 0u, "no stop before close");
				ASSERT_EQ(in.span_ns, 5000u, "span to the last event");
			}
			tf_reader__close(r);
		}
		ASSERT_OK(tf_writer__close(w), "close");
		r = tf_reader__open(path, NULL);
		if (ASSERT_OK_PTR(r, "reopen") && ASSERT_OK(tf_reader__info(r, &in), "info")) {
			ASSERT_EQ(in.minor, TF_MINOR, "minor");
			ASSERT_EQ(in.ts_last, 5000u, "ts_last");
			ASSERT_EQ(in.stop_ts, cases[i].want_stop, "stop_ts");
			ASSERT_EQ(in.span_ns, cases[i].want_span, "span_ns");
		}
		tf_reader__close(r);
	}
}

/* A write error: a clear message, and what was written before stays readable. */
TEST(format_writer_write_error)
{
	const char *path = path_in_tmp("full.xgt");
	TF_WRITER_OPTS(o, .flush_ms = -1, .chunk_max_events = 1000);
	struct rlimit old, lim;
	struct sigaction sa = {.sa_handler = SIG_IGN}, oldsa;
	struct tf_writer *w;
	struct xg_event ev = {.kind = XG_EV_ALLOC, .goid = 7, .cpu = 1};
	struct tf_reader *r;
	struct tf_info in;
	int err = 0, close_err;
	uint64_t x = 1;

	getrlimit(RLIMIT_FSIZE, &old);
	sigaction(SIGXFSZ, &sa, &oldsa);
	lim = old;
	lim.rlim_cur = 64 * 1024; /* writes past 64 KiB fail with EFBIG */
	w = tf_writer__open(path, NULL, &o);
	if (!ASSERT_OK_PTR(w, "open"))
		goto out;
	setrlimit(RLIMIT_FSIZE, &lim);
	for (int i = 0; i < 400000 && !err; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		ev.ts += x >> 50;
		ev.size = x >> 40; /* incompressible enough to fill the file */
		err = tf_writer__append(w, &ev);
		if (i % 5000 == 4999 && !err)
			err = tf_writer__flush(w);
	}
	ASSERT_EQ(err, -EFBIG, "append/flush report the error");
	ASSERT_HAS_SUBSTR(xg_errmsg(), "full.xgt: write at offset",
			  "message names file and offset");
	ASSERT_HAS_SUBSTR(xg_errmsg(), "File too large", "and the cause");
	close_err = tf_writer__close(w);
	ASSERT_EQ(close_err, -EFBIG, "close reports it too");
	setrlimit(RLIMIT_FSIZE, &old);
	r = tf_reader__open(path, NULL);
	if (ASSERT_OK_PTR(r, "what was written opens")) {
		ASSERT_OK(tf_reader__info(r, &in), "info");
		ASSERT_FALSE(in.clean, "not closed cleanly");
		ASSERT_GT(in.chunks, 3u, "chunks before the error");
		ASSERT_EQ(in.damaged, 0u, "none damaged");
		ASSERT_HAS_SUBSTR(in.recovery, "scanning to the end of the file",
				  "cut back to a record boundary");
		tf_reader__close(r);
	}
out:
	setrlimit(RLIMIT_FSIZE, &old);
	sigaction(SIGXFSZ, &oldsa, NULL);
}

/* Strings of many megabytes round trip. */
TEST(format_huge_strings)
{
	const char *path = path_in_tmp("huge.xgt");
	TF_WRITER_OPTS(o, .flush_ms = -1);
	struct tf_writer *w = tf_writer__open(path, NULL, &o);
	size_t big = 20u << 20;
	char *s = malloc(big);
	struct tf_reader *r = NULL;
	struct xg_event ev = {.ts = 1, .kind = XG_EV_ALLOC, .goid = 1, .size = 8};
	uint32_t id1, id2;

	if (!ASSERT_OK_PTR(w, "open") || !ASSERT_OK_PTR(s, "alloc"))
		goto out;
	for (size_t i = 0; i < big; i++)
		s[i] = (char)('a' + (i * 7919 + i / 13) % 26);
	id1 = tf_writer__intern(w, s, big);
	id2 = tf_writer__intern(w, s, 3000000);
	ev.type = id1;
	tf_writer__append(w, &ev);
	ev.type = id2;
	tf_writer__append(w, &ev);
	if (!ASSERT_OK(tf_writer__close(w), "close"))
		goto out;
	w = NULL;
	r = tf_reader__open(path, NULL);
	if (!ASSERT_OK_PTR(r, "reopen"))
		goto out;
	ASSERT_EQ(tf_tables__str_len(tf_reader__tables(r), id1), big, "20 MiB string");
	ASSERT_TRUE(!memcmp(tf_tables__str(tf_reader__tables(r), id1), s, big), "its bytes");
	ASSERT_EQ(tf_tables__str_len(tf_reader__tables(r), id2), 3000000u, "3 MB string");
	ASSERT_EQ(tf_reader__next(r, &ev), 1, "event");
	ASSERT_EQ(ev.type, id1, "refers to it");
out:
	if (w)
		tf_writer__close(w);
	tf_reader__close(r);
	free(s);
}

/* A file being written reads up to what was flushed, by itself every flush_ms. */
TEST(format_live_file)
{
	const char *path = path_in_tmp("live.xgt");
	TF_WRITER_OPTS(o, .flush_ms = 20);
	struct tf_writer *w = tf_writer__open(path, NULL, &o);
	struct xg_event ev = {.kind = XG_EV_GO_STATE, .goid = 3, .from = 2, .to = 4};
	struct tf_reader *r;
	struct tf_info in = {0};
	uint64_t t0 = now_ns();

	if (!ASSERT_OK_PTR(w, "open"))
		return;
	for (int i = 0; i < 1000; i++) {
		ev.ts = 1000 + (uint64_t)i * 1000;
		tf_writer__append(w, &ev);
	}
	/* no flush call: the wall-clock cut writes them (all, once no more arrive) */
	while (now_ns() - t0 < 5000000000ULL) {
		r = tf_reader__open(path, NULL);
		if (r && !tf_reader__info(r, &in) && in.events == 1000) {
			tf_reader__close(r);
			break;
		}
		tf_reader__close(r);
		usleep(10000);
	}
	ASSERT_EQ(in.events, 1000u, "readable while the writer is open");
	ASSERT_FALSE(in.clean, "not closed yet");
	ASSERT_OK(tf_writer__close(w), "close");
	r = tf_reader__open(path, NULL);
	if (ASSERT_OK_PTR(r, "reopen") && ASSERT_OK(tf_reader__info(r, &in), "info")) {
		ASSERT_TRUE(in.clean, "clean after close");
		ASSERT_EQ(in.events, 1000u, "same events");
	}
	tf_reader__close(r);
}

TEST(format_writer_open_errors)
{
	struct tf_writer *w = tf_writer__open("/nonexistent-dir/x.xgt", NULL, NULL);

	ASSERT_NULL(w, "cannot create");
	ASSERT_STREQ(xg_errmsg(),
		     "/nonexistent-dir/x.xgt: cannot create: No such file or directory", "message");
	w = tf_writer__open("/dev/full", NULL, NULL);
	ASSERT_NULL(w, "header write fails");
	ASSERT_HAS_SUBSTR(xg_errmsg(), "/dev/full: write at offset 0: No space left on device",
			  "ENOSPC message");
	tf_writer__close(NULL);
	tf_reader__close(NULL);
}

TEST(format_gtrack)
{
	struct tf_gtrack *t = tf_gtrack__new();
	struct xg_event c = {.ts = 10,
			     .kind = XG_EV_GO_CREATE,
			     .goid = 5,
			     .parent_goid = 1,
			     .start_fn = 3,
			     .create_fn = 4};
	struct xg_event s = {
	    .ts = 20, .kind = XG_EV_GO_STATE, .goid = 5, .from = 1, .to = 4, .reason = 9};
	const struct tf_goroutine *g;
	size_t n;

	if (!ASSERT_OK_PTR(t, "new"))
		return;
	tf_gtrack__apply(t, &c);
	tf_gtrack__apply(t, &s);
	g = tf_gtrack__get(t, 5);
	if (ASSERT_OK_PTR(g, "tracked")) {
		ASSERT_EQ(g->state, XG_G_WAITING, "state");
		ASSERT_EQ(g->reason, 9u, "reason");
		ASSERT_EQ(g->since_ts, 20u, "since");
		ASSERT_EQ(g->created_ts, 10u, "created");
		ASSERT_EQ(g->start_fn, 3u, "start_fn");
	}
	s.ts = 30;
	s.to = 4; /* same state: since stays */
	tf_gtrack__apply(t, &s);
	ASSERT_EQ(tf_gtrack__get(t, 5)->since_ts, 20u, "since unchanged");
	s.goid = 6; /* unknown goroutine: added */
	tf_gtrack__apply(t, &s);
	tf_gtrack__sorted(t, &n);
	ASSERT_EQ(n, 2u, "two");
	c.kind = XG_EV_GO_EXIT;
	tf_gtrack__apply(t, &c);
	s.to = XG_G_DEAD;
	tf_gtrack__apply(t, &s);
	ASSERT_EQ(tf_gtrack__count(t), 0u, "exit and dead remove");
	tf_gtrack__free(t);
}

/* Format 1.1: frame flags (inlined, truncated) and start_wrapper come back as written. */
TEST(format_frame_flags_and_wrapper)
{
	const char *path = path_in_tmp("flags.xgt");
	TF_WRITER_OPTS(o, .flush_ms = -1);
	struct tf_writer *w = tf_writer__open(path, NULL, &o);
	struct xg_frame fr[3] = {{.pc = 0x401000, .line = 1, .flags = XG_FRAME_INLINED},
				 {.pc = 0x401000, .line = 2},
				 {.pc = 0x402000, .line = 3, .flags = XG_FRAME_TRUNCATED}};
	struct xg_event ev = {.kind = XG_EV_GO_CREATE, .goid = 7, .ts = 10};
	const struct xg_frame *got;
	struct tf_reader *r = NULL;
	struct xg_event back;
	uint32_t n, plain;

	if (!ASSERT_OK_PTR(w, "open"))
		return;
	fr[0].fn = fr[1].fn = fr[2].fn = tf_writer__intern(w, "main.f", 6);
	ev.start_fn = tf_writer__intern(w, "main.worker", 11);
	ev.start_wrapper = tf_writer__intern(w, "main.main.gowrap1", 17);
	ev.stack = tf_writer__intern_stack(w, fr, 3);
	ASSERT_NEQ(ev.stack, 0u, "stack");
	fr[0].flags = fr[2].flags = 0;
	plain = tf_writer__intern_stack(w, fr, 3);
	ASSERT_NEQ(plain, ev.stack, "flags make another stack");
	tf_writer__append(w, &ev);
	ASSERT_OK(tf_writer__close(w), "close");
	r = tf_reader__open(path, NULL);
	if (!ASSERT_OK_PTR(r, "reopen") || !ASSERT_EQ(tf_reader__next(r, &back), 1, "event"))
		goto out;
	ASSERT_STREQ(tf_tables__str(tf_reader__tables(r), back.start_wrapper), "main.main.gowrap1",
		     "start_wrapper");
	got = tf_tables__stack(tf_reader__tables(r), back.stack, &n);
	if (ASSERT_OK_PTR(got, "stack") && ASSERT_EQ(n, 3u, "frames")) {
		ASSERT_EQ(got[0].flags, (uint32_t)XG_FRAME_INLINED, "inlined");
		ASSERT_EQ(got[1].flags, 0u, "plain");
		ASSERT_EQ(got[2].flags, (uint32_t)XG_FRAME_TRUNCATED, "truncated");
	}
	got = tf_tables__stack(tf_reader__tables(r), plain, &n);
	if (ASSERT_OK_PTR(got, "plain stack"))
		ASSERT_EQ(got[0].flags | got[2].flags, 0u, "no flags");
out:
	tf_reader__close(r);
}
