// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Viewer and replay benchmark driver (tests/bench/replay.bench, tests/bench/viewer.bench).
 *
 *   viewer-bench gen FILE EVENTS [MEAN_ARRIVAL_NS]
 *                                  writes a synthesized HTTP-server trace (tests/fixtures/synth.c);
 *                                  new connections every MEAN_ARRIVAL_NS (default 40 us)
 *   viewer-bench model FILE        events/s into the aggregated model (the viewer sink without a
 *                                  front end), the file's events held in memory
 *   viewer-bench many              events/s into the model with 100 000 live goroutines
 *   viewer-bench manyfile FILE     100 000 live goroutines, then 100 000 state changes a second
 *                                  for 20 s, as a trace file (tests/tui.test)
 *   viewer-bench cpu FILE          writes a small production-mode-like trace with known CPU shares
 *                                  (3 goroutines at 50/30/20% of one CPU, 99 Hz samples, 10 s)
 *                                  and allocations sampled at rate 0.01 (tests/tui.test, web.test)
 *
 * Prints rows "name<TAB>value<TAB>unit<TAB>goal".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format/reader.h"
#include "format/writer.h"
#include "tests/fixtures/synth.h"
#include "util/err.h"
#include "model/model.h"
#include "viewer/outputs.h"

int main(int argc, char **argv);

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int emit(void *ctx, const struct xg_event *ev)
{
	return tf_writer__append(ctx, ev);
}

static uint32_t intern(void *ctx, const char *s, size_t len)
{
	return tf_writer__intern(ctx, s, len);
}

static uint32_t intern_stack(void *ctx, const struct xg_frame *f, uint32_t n)
{
	return tf_writer__intern_stack(ctx, f, n);
}

static int gen(const char *path, uint64_t n, uint64_t arrival_ns)
{
	struct tf_meta *m = tf_meta__new();
	TF_WRITER_OPTS(o, .flush_ms = -1);
	struct synth_opts so = {
	    .seed = 7,
	    .duration_ns = UINT64_MAX / 2,
	    .max_events = n,
	    .mean_arrival_ns = arrival_ns ? arrival_ns : 40000,
	    .ncpu = 8,
	    .workers = 16,
	    .gc_every_ns = 150000000,
	    .lost_every_ns = 900000000,
	    .stacks = 1,
	};
	struct tf_writer *w;
	struct synth_io io;
	long r;
	int err;

	if (!m)
		return -ENOMEM;
	tf_meta__set_str(m, TF_KEY_GO_VERSION, "go1.22.12");
	tf_meta__set_str(m, TF_KEY_MODE, "full");
	tf_meta__set_int(m, TF_KEY_WALL_START_NS, 1767225600000000000);
	w = tf_writer__open(path, m, &o);
	tf_meta__free(m);
	if (!w)
		return -errno;
	io = (struct synth_io){w, emit, intern, intern_stack};
	r = synth_http(&so, &io);
	err = tf_writer__close(w);
	return r < 0 ? (int)r : err;
}

static int feed(const char *name, const struct xg_event *evs, size_t n,
		const struct tf_tables *names)
{
	struct viewer_opts vo;
	struct sink_control ctl;
	struct sink_info info = {.names = names, .replay = true, .source = name};
	struct sink_status st = {0};
	struct sink *s;
	double t0, dt;

	viewer_opts__init(&vo);
	vo.tui = 0;
	s = viewer_outputs__new(&vo); /* no front end: the model alone */
	if (!s)
		return -errno;
	sink_control__init(&ctl);
	s->ctl = &ctl;
	sink__begin(s, &info);
	t0 = now();
	for (size_t i = 0; i < n; i++) {
		sink__event(s, &evs[i]);
		if (!(i & 0xffff)) {
			st.now_ts = evs[i].ts;
			sink__tick(s, &st);
		}
	}
	dt = now() - t0;
	sink__end(s, &st);
	sink__free(s);
	sink_control__destroy(&ctl);
	printf("viewer model ingest (%s)\t%.1f\tM events/s\t>= 1\n", name, (double)n / dt / 1e6);
	printf("viewer model ingest (%s) per event\t%.1f\tns\t-\n", name, dt * 1e9 / (double)n);
	return 0;
}

static int model(const char *path)
{
	struct tf_reader *r = tf_reader__open(path, NULL);
	struct xg_event *evs = NULL;
	size_t n = 0, cap = 0;
	long got;
	int err = 0;

	if (!r)
		return -errno;
	for (;;) {
		if (n + 65536 > cap) {
			struct xg_event *ne;

			cap = cap ? cap * 2 : 1 << 20;
			ne = realloc(evs, cap * sizeof(*evs));
			if (!ne) {
				err = -ENOMEM;
				goto out;
			}
			evs = ne;
		}
		got = tf_reader__read(r, evs + n, 65536);
		if (got < 0) {
			err = (int)got;
			goto out;
		}
		if (!got)
			break;
		n += (size_t)got;
	}
	err = feed("http", evs, n, tf_reader__tables(r));
out:
	free(evs);
	tf_reader__close(r);
	return err;
}

/* 100 000 live goroutines created over 1 s, then `changes` state changes among them (a random
 * walk) every `gap_ns`. */
static struct xg_event *many_events(struct tf_tables *t, size_t live, size_t changes,
				    uint64_t gap_ns, size_t *count)
{
	struct xg_event *evs = calloc(live + changes, sizeof(*evs));
	uint8_t *st = calloc(live + 1, 1);
	uint64_t x = 88172645463325252ULL;
	uint32_t fn[4], why;
	size_t k = 0;

	if (!evs || !st) {
		free(evs);
		free(st);
		return NULL;
	}
	fn[0] = tf_tables__intern(t, "main.handler", 12);
	fn[1] = tf_tables__intern(t, "main.poller", 11);
	fn[2] = tf_tables__intern(t, "main.(*pool).worker", 19);
	fn[3] = tf_tables__intern(t, "net/http.(*conn).serve", 22);
	why = tf_tables__intern(t, "chan receive", 12);
	for (size_t i = 1; i <= live; i++) {
		struct xg_event *e = &evs[k++];

		e->ts = i * (1000000000 / live);
		e->kind = XG_EV_GO_CREATE;
		e->goid = i;
		e->parent_goid = 1;
		e->start_fn = fn[i % 4];
		st[i] = XG_G_RUNNABLE;
	}
	for (size_t i = 0; i < changes; i++) {
		struct xg_event *e = &evs[k++];
		uint64_t g;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		g = 1 + x % live;
		e->ts = 1000000000 + i * gap_ns;
		e->kind = XG_EV_GO_STATE;
		e->goid = g;
		e->from = st[g];
		e->to = st[g] == XG_G_RUNNING	? XG_G_WAITING
			: st[g] == XG_G_WAITING ? XG_G_RUNNABLE
						: XG_G_RUNNING;
		e->reason = e->to == XG_G_WAITING ? why : 0;
		st[g] = e->to;
	}
	free(st);
	*count = k;
	return evs;
}

static int many(void)
{
	struct tf_tables *t = tf_tables__new();
	struct sink_info info = {.names = t, .replay = true, .source = "many"};
	struct gmodel *m = gmodel__new();
	struct xg_event *evs = NULL;
	struct gm_group *groups = NULL;
	uint32_t *rows = NULL;
	size_t n = 0;
	double t0;
	int err = -ENOMEM, ng = 0;

	if (!t || !m)
		goto out;
	evs = many_events(t, 100000, 2000000, 500, &n);
	if (!evs)
		goto out;
	err = feed("100k live goroutines", evs, n, t);
	if (err)
		goto out;
	/* what the TUI and the web output do with them, at most a few times a second */
	gmodel__begin(m, &info);
	for (size_t i = 0; i < n; i++)
		gmodel__event(m, &evs[i]);
	rows = calloc(m->g_len, sizeof(*rows));
	if (!rows)
		goto out;
	t0 = now();
	for (int i = 0; i < 10; i++)
		gmodel__rows(m, rows, m->g_len, i % 2 ? GM_SORT_WAIT : GM_SORT_CPU, true, NULL,
			     true, 0, NULL);
	printf("sort 100k goroutines (TUI table)\t%.1f\tms\t<= 100\n", (now() - t0) * 1e3 / 10);
	t0 = now();
	for (int i = 0; i < 10; i++)
		gmodel__rows(m, rows, m->g_len, i % 2 ? GM_SORT_WAIT : GM_SORT_CPU, true, NULL,
			     true, 150, NULL);
	printf("first 150 of 100k goroutines (web frame)\t%.1f\tms\t<= 20\n",
	       (now() - t0) * 1e3 / 10);
	t0 = now();
	for (int i = 0; i < 10; i++) {
		free(groups);
		ng = gmodel__groups(m, &groups);
	}
	printf("group 100k goroutines by start function (%d)\t%.1f\tms\t<= 100\n", ng,
	       (now() - t0) * 1e3 / 10);
	err = 0;
out:
	free(groups);
	free(rows);
	free(evs);
	gmodel__free(m);
	tf_tables__free(t);
	return err;
}

/* The same as a trace file: 100 000 goroutines, then 100 000 state changes a second for 20 s. */
static int many_file(const char *path)
{
	struct tf_tables *t = tf_tables__new();
	struct tf_meta *m = tf_meta__new();
	TF_WRITER_OPTS(o, .flush_ms = -1);
	struct tf_writer *w = NULL;
	struct xg_event *evs = NULL;
	size_t n = 0;
	int err = -ENOMEM;

	if (!t || !m)
		goto out;
	evs = many_events(t, 100000, 2000000, 10000, &n);
	if (!evs)
		goto out;
	tf_meta__set_str(m, TF_KEY_GO_VERSION, "go1.25.3");
	tf_meta__set_str(m, TF_KEY_MODE, "full");
	w = tf_writer__open(path, m, &o);
	if (!w) {
		err = -errno;
		goto out;
	}
	/* the writer has its own tables: re-intern each string id */
	for (uint32_t id = 1; id <= tf_tables__str_count(t); id++) {
		const char *s = tf_tables__str(t, id);

		if (tf_writer__intern(w, s, strlen(s)) != id) {
			err = -EINVAL;
			goto out;
		}
	}
	err = tf_writer__append_batch(w, evs, n);
out:
	if (w) {
		int e = tf_writer__close(w);

		err = err ? err : e;
	}
	free(evs);
	tf_meta__free(m);
	tf_tables__free(t);
	return err;
}

static int cpu_trace(const char *path)
{
	static const char *const fns[] = {"main.spin50", "main.spin30", "main.spin20"};
	struct tf_meta *m = tf_meta__new();
	TF_WRITER_OPTS(o, .flush_ms = -1);
	struct tf_writer *w;
	struct xg_event e;
	uint32_t blob, why;
	int err;

	if (!m)
		return -ENOMEM;
	tf_meta__set_str(m, TF_KEY_GO_VERSION, "go1.26.2");
	tf_meta__set_str(m, TF_KEY_MODE, "production");
	tf_meta__set_int(m, TF_KEY_WALL_START_NS, 1767225600000000000);
	tf_meta__set_str(m, TF_KEY_CPU_HZ, "99");
	tf_meta__set_str(m, TF_KEY_SAMPLE_PREFIX "alloc", "0.01");
	w = tf_writer__open(path, m, &o);
	tf_meta__free(m);
	if (!w)
		return -errno;
	blob = tf_writer__intern(w, "main.Blob", 9);
	why = tf_writer__intern(w, "sleep", 5);
	e = (struct xg_event){.kind = XG_EV_GO_CREATE, .goid = 1};
	e.start_fn = tf_writer__intern(w, "runtime.main", 12);
	tf_writer__append(w, &e);
	e = (struct xg_event){.ts = 1000,
			      .kind = XG_EV_GO_STATE,
			      .goid = 1,
			      .from = XG_G_RUNNABLE,
			      .to = XG_G_WAITING,
			      .reason = why};
	tf_writer__append(w, &e);
	for (int i = 0; i < 3; i++) {
		e = (struct xg_event){.ts = 2000 + (uint64_t)i, .kind = XG_EV_GO_CREATE};
		e.goid = 2 + (uint64_t)i;
		e.parent_goid = 1;
		e.start_fn = tf_writer__intern(w, fns[i], strlen(fns[i]));
		e.create_fn = tf_writer__intern(w, "main.main", 9);
		tf_writer__append(w, &e);
		e = (struct xg_event){.ts = 3000 + (uint64_t)i, .kind = XG_EV_GO_STATE};
		e.goid = 2 + (uint64_t)i;
		e.from = XG_G_RUNNABLE;
		e.to = XG_G_RUNNING;
		tf_writer__append(w, &e);
	}
	/* 10 s of 99 Hz samples on one CPU: 5 in 10 to g2, 3 to g3, 2 to g4 */
	for (uint64_t i = 0; i < 990; i++) {
		uint64_t k = i % 10;

		e = (struct xg_event){.ts = 10000000 + i * 1000000000ULL / 99,
				      .kind = XG_EV_CPU_SAMPLE};
		e.goid = k < 5 ? 2 : k < 8 ? 3 : 4;
		tf_writer__append(w, &e);
		/* one allocation of 1000 bytes in 100 is seen: 10 seen a second */
		if (i % 10 == 0) {
			e = (struct xg_event){.ts = 10000000 + i * 1000000000ULL / 99 + 1};
			e.kind = XG_EV_ALLOC;
			e.goid = 2;
			e.size = 1000;
			e.type = blob;
			tf_writer__append(w, &e);
		}
	}
	err = tf_writer__close(w);
	return err;
}

int main(int argc, char **argv)
{
	int err;

	if (argc >= 4 && !strcmp(argv[1], "gen"))
		err = gen(argv[2], strtoull(argv[3], NULL, 10),
			  argc >= 5 ? strtoull(argv[4], NULL, 10) : 0);
	else if (argc >= 3 && !strcmp(argv[1], "model"))
		err = model(argv[2]);
	else if (argc >= 2 && !strcmp(argv[1], "many"))
		err = many();
	else if (argc >= 3 && !strcmp(argv[1], "cpu"))
		err = cpu_trace(argv[2]);
	else if (argc >= 3 && !strcmp(argv[1], "manyfile"))
		err = many_file(argv[2]);
	else {
		fprintf(stderr,
			"usage: viewer-bench gen FILE EVENTS [ARRIVAL_NS] | model FILE | many | "
			"cpu FILE\n");
		return 2;
	}
	if (err) {
		fprintf(stderr, "viewer-bench: %s (%s)\n", xg_errmsg(), strerror(-err));
		return 1;
	}
	return 0;
}
