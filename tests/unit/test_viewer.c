// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The viewer's model and outputs, fed synthetic events through the sink API. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/evjson.h"
#include "sink/sink.h"
#include "tests/unit/test.h"
#include "util/err.h"
#include "model/model.h"
#include "viewer/outputs.h"

#define MS 1000000ULL
#define S  1000000000ULL

struct fixture {
	struct tf_tables *names;
	struct tf_meta *meta;
	struct sink_info info;
	struct gmodel *m;
};

static bool fixture_init(struct fixture *f, const char *alloc_rate)
{
	memset(f, 0, sizeof(*f));
	f->names = tf_tables__new();
	f->meta = tf_meta__new();
	f->m = gmodel__new();
	if (!f->names || !f->meta || !f->m)
		return false;
	tf_meta__set_str(f->meta, TF_KEY_GO_VERSION, "go1.22.4");
	tf_meta__set_str(f->meta, TF_KEY_MODE, "full");
	if (alloc_rate)
		tf_meta__set_str(f->meta, TF_KEY_SAMPLE_PREFIX "alloc", alloc_rate);
	f->info.meta = f->meta;
	f->info.names = f->names;
	f->info.replay = true;
	f->info.source = "synthetic.xgt";
	return gmodel__begin(f->m, &f->info) == 0;
}

static void fixture_free(struct fixture *f)
{
	gmodel__free(f->m);
	tf_meta__free(f->meta);
	tf_tables__free(f->names);
}

static uint32_t str(struct fixture *f, const char *s)
{
	return tf_tables__intern(f->names, s, strlen(s));
}

static struct xg_event ev_create(uint64_t ts, uint64_t goid, uint64_t parent, uint32_t fn)
{
	struct xg_event e = {.ts = ts, .kind = XG_EV_GO_CREATE, .goid = goid};

	e.parent_goid = parent;
	e.start_fn = fn;
	return e;
}

static struct xg_event ev_state(uint64_t ts, uint64_t goid, int from, int to, uint32_t reason)
{
	struct xg_event e = {.ts = ts, .kind = XG_EV_GO_STATE, .goid = goid};

	e.from = (uint8_t)from;
	e.to = (uint8_t)to;
	e.reason = reason;
	return e;
}

TEST(viewer_model_goroutines)
{
	struct fixture f;
	uint32_t worker, chanrecv;
	struct xg_event e;
	struct gm_g *g;

	if (!ASSERT_TRUE(fixture_init(&f, NULL), "init"))
		goto out;
	worker = str(&f, "main.worker");
	chanrecv = str(&f, "chan receive");
	e = ev_create(0, 1, 0, str(&f, "runtime.main"));
	gmodel__event(f.m, &e);
	e = ev_state(0, 1, XG_G_RUNNABLE, XG_G_RUNNING, 0);
	gmodel__event(f.m, &e);
	for (uint64_t id = 2; id <= 4; id++) {
		e = ev_create(10 * MS, id, 1, worker);
		gmodel__event(f.m, &e);
	}
	/* g2 runs 20 ms then waits on a channel; g3 runs and exits */
	e = ev_state(20 * MS, 2, XG_G_RUNNABLE, XG_G_RUNNING, 0);
	gmodel__event(f.m, &e);
	e = ev_state(40 * MS, 2, XG_G_RUNNING, XG_G_WAITING, chanrecv);
	gmodel__event(f.m, &e);
	e = ev_state(20 * MS, 3, XG_G_RUNNABLE, XG_G_RUNNING, 0);
	gmodel__event(f.m, &e);
	e = ev_state(30 * MS, 3, XG_G_RUNNING, XG_G_DEAD, 0);
	gmodel__event(f.m, &e);
	e = (struct xg_event){.ts = 30 * MS, .kind = XG_EV_GO_EXIT, .goid = 3};
	gmodel__event(f.m, &e);
	e = (struct xg_event){.ts = 100 * MS, .kind = XG_EV_GC_START, .gc = 1};
	gmodel__event(f.m, &e);

	ASSERT_EQ(f.m->live, 3u, "live");
	ASSERT_EQ(f.m->created, 4u, "created");
	ASSERT_EQ(f.m->exited, 1u, "exited once although dead and go_exit both came");
	ASSERT_EQ(f.m->counts[XG_G_RUNNING], 1u, "running");
	ASSERT_EQ(f.m->counts[XG_G_WAITING], 1u, "waiting");
	ASSERT_EQ(f.m->counts[XG_G_RUNNABLE], 1u, "runnable");
	ASSERT_EQ(f.m->gc_cycles, 1u, "gc");
	g = gmodel__g(f.m, 2);
	if (!ASSERT_OK_PTR(g, "g2"))
		goto out;
	ASSERT_EQ(g->t.parent_goid, 1u, "parent");
	ASSERT_STREQ(gmodel__str(f.m, g->t.start_fn), "main.worker", "start fn");
	ASSERT_STREQ(gmodel__str(f.m, g->t.reason), "chan receive", "reason");
	ASSERT_EQ(gmodel__slot_ns(f.m, g, GM_RUNNING), 20 * MS, "ran 20 ms");
	ASSERT_EQ(gmodel__slot_ns(f.m, g, GM_RUNNABLE), 10 * MS, "runnable 10 ms");
	/* trace time is 100 ms: waiting since 40 ms */
	ASSERT_EQ(gmodel__slot_ns(f.m, g, GM_WAITING), 60 * MS, "waiting up to now");
	g = gmodel__g(f.m, 3);
	if (!ASSERT_OK_PTR(g, "g3 still shown"))
		goto out;
	ASSERT_TRUE(g->flags & GM_G_EXITED, "g3 exited");
	ASSERT_EQ(gmodel__slot_ns(f.m, g, GM_RUNNING), 10 * MS, "g3 ran 10 ms, no more");
	/* a late event about an exited goroutine changes nothing */
	e = ev_state(120 * MS, 3, XG_G_DEAD, XG_G_RUNNABLE, 0);
	gmodel__event(f.m, &e);
	ASSERT_EQ(f.m->live, 3u, "live after late event");
out:
	fixture_free(&f);
}

TEST(viewer_model_rows_sort_filter)
{
	struct fixture f;
	uint32_t rows[16], n;
	struct xg_event e;
	uint32_t a = 0, b = 0;

	if (!ASSERT_TRUE(fixture_init(&f, NULL), "init"))
		goto out;
	a = str(&f, "main.alpha");
	b = str(&f, "net/http.(*conn).serve");
	for (uint64_t id = 1; id <= 6; id++) {
		e = ev_create(id * MS, id, 1, id % 2 ? a : b);
		gmodel__event(f.m, &e);
	}
	/* CPU samples: g5 gets 3x as many as g3; one second of trace time rolls CPU% */
	for (int i = 0; i < 99; i++) {
		e = (struct xg_event){.ts = 10 * MS + (uint64_t)i * 10 * MS,
				      .kind = XG_EV_CPU_SAMPLE};
		e.goid = i % 4 ? 5 : 3;
		gmodel__event(f.m, &e);
	}
	e = (struct xg_event){.ts = 1200 * MS, .kind = XG_EV_HEAP};
	gmodel__event(f.m, &e);
	n = gmodel__rows(f.m, rows, 16, GM_SORT_CPU, true, NULL, true, 0, NULL);
	if (!ASSERT_EQ(n, 6u, "all rows"))
		goto out;
	ASSERT_EQ(f.m->g[rows[0]].t.goid, 5u, "busiest first");
	ASSERT_EQ(f.m->g[rows[1]].t.goid, 3u, "then g3");
	ASSERT_GT(f.m->g[rows[0]].cpu_pct, 70.0f, "g5 about 75%");
	ASSERT_LT(f.m->g[rows[0]].cpu_pct, 80.0f, "g5 about 75%");
	n = gmodel__rows(f.m, rows, 16, GM_SORT_GOID, false, "http", true, 0, NULL);
	if (!ASSERT_EQ(n, 3u, "filter by function"))
		goto out;
	ASSERT_EQ(f.m->g[rows[0]].t.goid, 2u, "ascending goid");
	ASSERT_EQ(f.m->g[rows[2]].t.goid, 6u, "ascending goid");
	n = gmodel__rows(f.m, rows, 16, GM_SORT_GOID, false, "runnable", true, 0, NULL);
	ASSERT_EQ(n, 6u, "filter by state");
	n = gmodel__rows(f.m, rows, 16, GM_SORT_GOID, false, "4", true, 0, NULL);
	ASSERT_EQ(n, 1u, "filter by goid");
	{
		uint32_t full[16], part[16], total = 0;
		uint32_t nf = gmodel__rows(f.m, full, 16, GM_SORT_AGE, true, NULL, true, 0, NULL);
		uint32_t np = gmodel__rows(f.m, part, 16, GM_SORT_AGE, true, NULL, true, 3, &total);

		ASSERT_EQ(np, 3u, "limit");
		ASSERT_EQ(total, nf, "total matching");
		ASSERT_TRUE(!memcmp(full, part, 3 * sizeof(full[0])), "same first rows as a sort");
	}
out:
	fixture_free(&f);
}

TEST(viewer_model_alloc_sampled_and_sites)
{
	struct fixture f;
	const struct gm_top *top[4];
	struct xg_frame fr[3] = {{0}};
	uint32_t st, n;
	struct xg_event e;

	if (!ASSERT_TRUE(fixture_init(&f, "0.01"), "init"))
		goto out;
	ASSERT_TRUE(f.m->alloc_sampled, "sampled flag from metadata");
	fr[0].fn = str(&f, "runtime.mallocgc");
	fr[1].fn = str(&f, "main.makeBuf");
	fr[1].file = str(&f, "/src/main.go");
	fr[1].line = 42;
	fr[2].fn = str(&f, "main.main");
	st = tf_tables__intern_stack(f.names, fr, 3);
	for (int i = 0; i < 10; i++) {
		e = (struct xg_event){.ts = (uint64_t)i * MS, .kind = XG_EV_ALLOC, .goid = 1};
		e.size = 64;
		e.type = str(&f, i < 7 ? "[]uint8" : "main.T");
		e.stack = st;
		gmodel__event(f.m, &e);
	}
	ASSERT_EQ(f.m->alloc_bytes, 100u * 64 * 10, "bytes scaled by 1/rate");
	ASSERT_EQ(f.m->alloc_objs, 1000u, "objects scaled");
	n = gmodel__top(&f.m->types, top, 4);
	if (!ASSERT_EQ(n, 2u, "two types"))
		goto out;
	ASSERT_STREQ(gmodel__str(f.m, top[0]->fn), "[]uint8", "top type");
	ASSERT_EQ(top[0]->count, 700u, "top type count");
	n = gmodel__top(&f.m->sites, top, 4);
	if (!ASSERT_EQ(n, 1u, "one site"))
		goto out;
	ASSERT_STREQ(gmodel__str(f.m, top[0]->fn), "main.makeBuf", "top user frame");
	ASSERT_EQ(top[0]->line, 42u, "site line");
	ASSERT_EQ(gmodel__g(f.m, 1)->alloc_bytes, 64000u, "per goroutine, scaled");
out:
	fixture_free(&f);
}

TEST(viewer_model_memory_bounded)
{
	struct fixture f;
	struct xg_event e;
	uint32_t fn;
	uint64_t ts = 0;

	if (!ASSERT_TRUE(fixture_init(&f, NULL), "init"))
		goto out;
	fn = str(&f, "main.short");
	/* 200k short-lived goroutines over 3 hours of trace time */
	for (uint64_t id = 1; id <= 200000; id++) {
		ts = id * 54 * MS;
		e = ev_create(ts, id, 1, fn);
		gmodel__event(f.m, &e);
		e = ev_state(ts + 1, id, XG_G_RUNNABLE, XG_G_RUNNING, 0);
		gmodel__event(f.m, &e);
		e = (struct xg_event){.ts = ts + 2, .kind = XG_EV_GO_EXIT, .goid = id};
		gmodel__event(f.m, &e);
	}
	ASSERT_EQ(f.m->live, 0u, "none live");
	ASSERT_EQ(f.m->created, 200000u, "created");
	ASSERT_EQ(f.m->exited, 200000u, "exited");
	ASSERT_LE(f.m->g_len, GM_EXITED_KEEP + 1u, "exited goroutines forgotten");
	ASSERT_LE(f.m->by_goid.len, (size_t)GM_EXITED_KEEP, "map bounded");
	for (int l = 0; l < GM_LEVELS; l++)
		ASSERT_LE(f.m->hist[l].len, f.m->hist[l].cap, "history bounded");
	ASSERT_EQ(f.m->hist[0].len, f.m->hist[0].cap, "level 0 full");
	ASSERT_GT(f.m->hist[2].len, 600u, "3 h of 10 s buckets");
	/* the rate: 1 goroutine per 54 ms = 18.5/s */
	ASSERT_GT(f.m->created_ps, 15.0, "creation rate");
	ASSERT_LT(f.m->created_ps, 22.0, "creation rate");
	ASSERT_GT(f.m->events_ps, 45.0, "events/s");
out:
	fixture_free(&f);
}

TEST(viewer_model_many_live_and_reset)
{
	struct fixture f;
	struct xg_event e;
	uint32_t fn, reason;

	if (!ASSERT_TRUE(fixture_init(&f, NULL), "init"))
		goto out;
	fn = str(&f, "main.idle");
	reason = str(&f, "select");
	for (uint64_t id = 1; id <= 100000; id++) {
		e = ev_create(id, id, 1, fn);
		gmodel__event(f.m, &e);
	}
	for (uint64_t i = 0; i < 1000000; i++) {
		uint64_t id = 1 + (i * 7919) % 100000;
		int to = i % 2 ? XG_G_WAITING : XG_G_RUNNABLE;

		e = ev_state(100000 + i, id, XG_G_RUNNABLE, to, reason);
		gmodel__event(f.m, &e);
	}
	ASSERT_EQ(f.m->live, 100000u, "live");
	ASSERT_EQ((uint64_t)f.m->counts[XG_G_WAITING] + f.m->counts[XG_G_RUNNABLE], 100000u,
		  "every goroutine counted once");
	/* a seek: the model forgets, then snapshots rebuild it */
	gmodel__reset(f.m, 5 * S);
	ASSERT_EQ(f.m->live, 0u, "reset");
	ASSERT_EQ(f.m->hist[0].len, 0u, "history reset");
	e = (struct xg_event){.ts = 5 * S, .kind = XG_EV_SNAPSHOT, .goid = 42, .to = XG_G_WAITING};
	e.reason = reason;
	e.start_fn = fn;
	gmodel__event(f.m, &e);
	ASSERT_EQ(f.m->live, 1u, "snapshot adds");
	ASSERT_EQ(f.m->counts[XG_G_WAITING], 1u, "snapshot state");
	ASSERT_STREQ(gmodel__str(f.m, gmodel__g(f.m, 42)->t.reason), "select", "reason");
out:
	fixture_free(&f);
}

TEST(viewer_opts_parse)
{
	struct viewer_opts o;

	viewer_opts__init(&o);
	ASSERT_EQ(viewer_opts__parse(&o, VIEWER_OPT_WEB, "8080"), 1, "port only");
	ASSERT_STREQ(o.web_addr, "127.0.0.1", "loopback by default");
	ASSERT_EQ(o.web_port, 8080u, "port");
	ASSERT_EQ(viewer_opts__parse(&o, VIEWER_OPT_WEB, "0.0.0.0:9"), 1, "addr:port");
	ASSERT_STREQ(o.web_addr, "0.0.0.0", "addr");
	ASSERT_EQ(viewer_opts__parse(&o, VIEWER_OPT_WEB, "[::1]:0"), 1, "ipv6");
	ASSERT_STREQ(o.web_addr, "::1", "ipv6 addr");
	ASSERT_EQ(viewer_opts__parse(&o, VIEWER_OPT_WEB, "70000"), -EINVAL, "port range");
	ASSERT_EQ(viewer_opts__parse(&o, VIEWER_OPT_WEB, "host:80"), -EINVAL, "names refused");
	ASSERT_HAS_SUBSTR(xg_errmsg(), "numeric", "message");
	ASSERT_EQ(viewer_opts__parse(&o, VIEWER_OPT_WEB, ""), -EINVAL, "empty");
	ASSERT_EQ(viewer_opts__parse(&o, 'x', NULL), 0, "not ours");
	ASSERT_EQ(viewer_opts__parse(&o, VIEWER_OPT_JSON, NULL), 1, "json");
	viewer_opts__finish(&o);
	ASSERT_EQ(o.tui, 0, "no TUI with --json");
}

/* --json through the sink interface writes exactly what xg_event_write_json writes. */
TEST(viewer_json_output)
{
	struct fixture f;
	struct viewer_opts o;
	struct sink_control ctl;
	struct sink_status st = {0};
	char *got = NULL, *want = NULL;
	size_t glen = 0, wlen = 0;
	FILE *gf = NULL, *wf = NULL;
	struct sink *s = NULL;
	struct xg_event evs[3];

	sink_control__init(&ctl);
	if (!ASSERT_TRUE(fixture_init(&f, NULL), "init"))
		goto out;
	gf = open_memstream(&got, &glen);
	wf = open_memstream(&want, &wlen);
	if (!ASSERT_OK_PTR(gf, "memstream") || !ASSERT_OK_PTR(wf, "memstream"))
		goto out;
	viewer_opts__init(&o);
	viewer_opts__parse(&o, VIEWER_OPT_JSON, NULL);
	o.json_out = gf;
	s = viewer_outputs__new(&o);
	if (!ASSERT_OK_PTR(s, "outputs"))
		goto out;
	s->ctl = &ctl;
	evs[0] = ev_create(5, 7, 1, str(&f, "main.worker"));
	evs[1] = ev_state(9, 7, XG_G_RUNNABLE, XG_G_WAITING, str(&f, "chan \"send\""));
	evs[2] = (struct xg_event){.ts = 11, .kind = XG_EV_LOST, .count = 3, .of = XG_EV_ALLOC};
	ASSERT_OK(sink__begin(s, &f.info), "begin");
	for (int i = 0; i < 3; i++) {
		ASSERT_OK(sink__event(s, &evs[i]), "event");
		xg_event_write_json(wf, &evs[i], f.names);
	}
	ASSERT_OK(sink__tick(s, &st), "tick");
	st.finished = true;
	sink__end(s, &st);
	fflush(gf);
	fflush(wf);
	ASSERT_GT(glen, 0u, "wrote");
	ASSERT_STREQ(got, want, "same bytes as the schema's encoder");
out:
	sink__free(s);
	if (gf)
		fclose(gf);
	if (wf)
		fclose(wf);
	free(got);
	free(want);
	fixture_free(&f);
	sink_control__destroy(&ctl);
}

/* The null output and a fan-out (json + model) built from the options. */
TEST(viewer_outputs_fanout)
{
	struct fixture f;
	struct viewer_opts o;
	struct sink_control ctl;
	struct sink_status st = {.now_ts = 2 * S};
	struct sink *s = NULL;
	FILE *devnull = fopen("/dev/null", "w");
	struct xg_event e;

	sink_control__init(&ctl);
	if (!ASSERT_TRUE(fixture_init(&f, NULL), "init") || !ASSERT_OK_PTR(devnull, "devnull"))
		goto out;
	viewer_opts__init(&o);
	viewer_opts__parse(&o, VIEWER_OPT_NULL, NULL);
	s = viewer_outputs__new(&o);
	if (!ASSERT_OK_PTR(s, "null"))
		goto out;
	ASSERT_STREQ(s->ops->name, "null", "null sink alone");
	ASSERT_TRUE(s->ops->event == NULL, "null has no event callback");
	sink__free(s);
	viewer_opts__init(&o);
	viewer_opts__parse(&o, VIEWER_OPT_JSON, NULL);
	viewer_opts__parse(&o, VIEWER_OPT_WEB, "127.0.0.1:0");
	o.json_out = devnull;
	s = viewer_outputs__new(&o);
	if (!ASSERT_OK_PTR(s, "json+web"))
		goto out;
	ASSERT_STREQ(s->ops->name, "fanout", "fan-out");
	s->ctl = &ctl;
	ASSERT_OK(sink__begin(s, &f.info), "begin");
	e = ev_create(S, 9, 1, str(&f, "main.x"));
	ASSERT_OK(sink__event(s, &e), "event");
	ASSERT_OK(sink__reset(s, S), "reset");
	ASSERT_OK(sink__tick(s, &st), "tick");
	sink__end(s, &st);
out:
	sink__free(s);
	if (devnull)
		fclose(devnull);
	fixture_free(&f);
	sink_control__destroy(&ctl);
}

/* Metadata drives the sampling labels: allocation and goroutine rates, CPU frequency. */
TEST(viewer_model_sampling_metadata)
{
	struct fixture f;
	struct gm_group *groups = NULL;
	struct xg_event e;
	int n;

	if (!ASSERT_TRUE(fixture_init(&f, "0.25"), "init"))
		goto out;
	tf_meta__set_str(f.meta, TF_KEY_SAMPLE_PREFIX "go_state", "0.1");
	tf_meta__set_int(f.meta, TF_KEY_CPU_HZ, 250);
	ASSERT_OK(gmodel__begin(f.m, &f.info), "begin again");
	ASSERT_TRUE(f.m->alloc_rate == 0.25, "alloc rate");
	ASSERT_TRUE(f.m->g_rate == 0.1, "goroutine rate");
	ASSERT_TRUE(f.m->cpu_hz == 250, "cpu hz");
	for (uint64_t id = 1; id <= 4; id++) {
		e = ev_create(id, id, 1, str(&f, id % 2 ? "main.odd" : "main.even"));
		gmodel__event(f.m, &e);
	}
	/* 250 Hz for one second: goroutine 3 gets all 250 samples (100% of a CPU) */
	for (int i = 0; i < 250; i++) {
		e = (struct xg_event){.ts = 10 * MS + (uint64_t)i * 4 * MS,
				      .kind = XG_EV_CPU_SAMPLE};
		e.goid = 3;
		gmodel__event(f.m, &e);
	}
	e = (struct xg_event){.ts = 1500 * MS, .kind = XG_EV_HEAP};
	gmodel__event(f.m, &e);
	n = gmodel__groups(f.m, &groups);
	if (!ASSERT_EQ(n, 2, "two start functions"))
		goto out;
	ASSERT_STREQ(gmodel__str(f.m, groups[0].fn), "main.odd", "busiest first");
	ASSERT_EQ(groups[0].live, 2u, "two goroutines");
	ASSERT_GT(groups[0].cpu_pct, 95.0f, "about 100%");
	ASSERT_LT(groups[0].cpu_pct, 105.0f, "about 100%");
	ASSERT_EQ(groups[0].counts[GM_RUNNABLE], 2u, "states per group");
out:
	free(groups);
	fixture_free(&f);
}

/* The first-N selection (web frames) gives what a full sort gives. */
TEST(viewer_model_rows_limit_matches_sort)
{
	struct fixture f;
	uint32_t full[600], part[600];
	struct xg_event e;
	uint64_t x = 12345;

	if (!ASSERT_TRUE(fixture_init(&f, NULL), "init"))
		goto out;
	for (uint64_t id = 1; id <= 500; id++) {
		e = ev_create(id, id, 1, str(&f, id % 3 ? "main.a" : "main.b"));
		gmodel__event(f.m, &e);
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		e = (struct xg_event){.ts = 1000 + id, .kind = XG_EV_ALLOC, .goid = id};
		e.size = (x >> 33) % 50; /* many ties */
		gmodel__event(f.m, &e);
		if (id % 7 == 0) {
			e = (struct xg_event){.ts = 2000 + id, .kind = XG_EV_GO_EXIT, .goid = id};
			gmodel__event(f.m, &e);
		}
	}
	for (int key = 0; key < GM_SORT_MAX; key++) {
		for (int desc = 0; desc < 2; desc++) {
			uint32_t nf = gmodel__rows(f.m, full, 600, key, desc, NULL, true, 0, NULL);
			uint32_t np = gmodel__rows(f.m, part, 600, key, desc, NULL, true, 37, NULL);

			if (!ASSERT_EQ(nf, 500u, "all") || !ASSERT_EQ(np, 37u, "limit"))
				goto out;
			if (!ASSERT_TRUE(!memcmp(full, part, 37 * sizeof(full[0])), "same order"))
				goto out;
		}
	}
out:
	fixture_free(&f);
}

/* Allocation sites are the program's own frames: not the runtime's, not the standard
 * library's (net/http, encoding/json), but main and module paths (example.com/...). */
TEST(viewer_model_sites_user_frames)
{
	static const char *const stacks[][4] = {
	    {"runtime.mallocgc", "encoding/json.(*encodeState).marshal", "main.(*api).handle",
	     NULL},
	    {"runtime.makeslice", "bufio.NewReaderSize", "example.com/shop/store.(*S).List", NULL},
	    {"runtime.newobject", "net/http.(*conn).serve", NULL, NULL},
	    {"runtime.mallocgc", NULL, NULL, NULL},
	};
	static const char *const want[] = {"main.(*api).handle", "example.com/shop/store.(*S).List",
					   "net/http.(*conn).serve", "runtime.mallocgc"};
	struct fixture f;

	if (!ASSERT_TRUE(fixture_init(&f, NULL), "init"))
		goto out;
	for (int k = 0; k < 4; k++) {
		struct xg_frame fr[4] = {{0}};
		const struct gm_top *top[8];
		struct xg_event e = {.ts = (uint64_t)k, .kind = XG_EV_ALLOC, .goid = 1, .size = 8};
		uint32_t n = 0, got;

		for (; n < 4 && stacks[k][n]; n++)
			fr[n].fn = str(&f, stacks[k][n]);
		e.stack = tf_tables__intern_stack(f.names, fr, n);
		e.size = 1000u >> k; /* site k is the k-th biggest */
		gmodel__event(f.m, &e);
		got = gmodel__top(&f.m->sites, top, 8);
		if (!ASSERT_EQ(got, (uint32_t)k + 1, "one more site"))
			goto out;
		ASSERT_STREQ(gmodel__str(f.m, top[k]->fn), want[k], "site");
	}
out:
	fixture_free(&f);
}

/* Production mode: the byte rate comes from the runtime's totalAlloc readings (heap events),
 * exact, while sampled allocations still feed types and sites. */
TEST(viewer_model_alloc_rate_from_heap_events)
{
	struct fixture f;
	struct xg_event e;

	if (!ASSERT_TRUE(fixture_init(&f, NULL), "init"))
		goto out;
	/* 3 s of readings every 100 ms: 5 MB per reading = 50 MB/s; samples claim far less */
	for (uint64_t i = 0; i <= 30; i++) {
		e = (struct xg_event){.ts = i * 100 * MS, .kind = XG_EV_HEAP};
		e.total_alloc = 1000000 + i * 5000000;
		gmodel__event(f.m, &e);
		e = (struct xg_event){
		    .ts = i * 100 * MS + 1, .kind = XG_EV_ALLOC_SAMPLE, .goid = 1};
		e.size = 64;
		e.weight = 512 * 1024;
		gmodel__event(f.m, &e);
	}
	ASSERT_TRUE(f.m->alloc_sampled, "allocations are sampled");
	ASSERT_TRUE(f.m->alloc_bps_exact, "the byte rate is exact");
	ASSERT_GT(f.m->alloc_bps, 49.9e6, "50 MB/s from the readings");
	ASSERT_LT(f.m->alloc_bps, 50.1e6, "50 MB/s from the readings");
	/* readings stop: after 2 s the rate falls back to the samples' estimate */
	e = (struct xg_event){.ts = 6000 * MS, .kind = XG_EV_GC_START, .gc = 1};
	gmodel__event(f.m, &e);
	ASSERT_FALSE(f.m->alloc_bps_exact, "stale readings are not used");
	ASSERT_LT(f.m->alloc_bps, 49e6, "back to the sampled estimate");
out:
	fixture_free(&f);
}

static struct xg_event ev_snap(uint64_t ts, uint64_t goid, int to, uint32_t reason, uint32_t fn,
			       uint64_t waited)
{
	struct xg_event e = {.ts = ts, .kind = XG_EV_SNAPSHOT, .goid = goid};

	e.to = (uint8_t)to;
	e.reason = reason;
	e.start_fn = fn;
	e.waited_ns = waited;
	return e;
}

/* Group figures stay exact however many goroutines came and went: 3000 exits, far past the
 * rows kept (GM_EXITED_KEEP). */
TEST(model_groups_exact)
{
	struct fixture f;
	struct gm_group *gs = NULL;
	struct xg_event e;
	uint32_t fn = 0;
	int n;

	if (!ASSERT_TRUE(fixture_init(&f, NULL), "init"))
		goto out;
	fn = str(&f, "net/http.(*conn).serve");
	for (uint64_t id = 10; id < 3010; id++) {
		e = ev_create(id * MS, id, 1, fn);
		gmodel__event(f.m, &e);
		e = (struct xg_event){
		    .ts = id * MS + 10, .kind = XG_EV_ALLOC, .goid = id, .size = 100};
		gmodel__event(f.m, &e);
		e = ev_state(id * MS + 100, id, XG_G_RUNNABLE, XG_G_RUNNING, 0);
		gmodel__event(f.m, &e);
		e = (struct xg_event){.ts = id * MS + 600, .kind = XG_EV_GO_EXIT, .goid = id};
		gmodel__event(f.m, &e);
	}
	n = gmodel__groups(f.m, &gs);
	if (!ASSERT_EQ(n, 1, "one group") || !gs)
		goto out;
	ASSERT_EQ(gs[0].exited, 3000u, "every exit counted");
	ASSERT_EQ(gs[0].created, 3000u, "every creation counted");
	ASSERT_EQ(gs[0].alloc_bytes, 300000u, "every allocation counted");
	ASSERT_EQ(gs[0].slot_ns[GM_RUNNING], 3000u * 500, "running time of all");
	ASSERT_EQ(gs[0].slot_ns[GM_RUNNABLE], 3000u * 100, "runnable time of all");
	ASSERT_EQ(gs[0].max_live, 1u, "one at a time");
	ASSERT_LE(f.m->exited_len, (uint32_t)GM_EXITED_KEEP, "rows bounded");
out:
	free(gs);
	fixture_free(&f);
}

/* Full mode attached to a running program: a goroutine first seen in the attach snapshot has
 * lower bounds; one created in the trace has measured figures. */
TEST(model_exact_attach_bounds)
{
	struct fixture f;
	struct xg_event e;
	struct gm_time t;
	const struct gm_g *g;
	uint32_t fn = 0, rs = 0;

	if (!ASSERT_TRUE(fixture_init(&f, NULL), "init"))
		goto out;
	fn = str(&f, "main.worker");
	rs = str(&f, "chan receive");
	ASSERT_TRUE(f.m->exact, "full mode is exact");
	e = ev_snap(1 * MS, 7, XG_G_WAITING, rs, fn, 0);
	gmodel__event(f.m, &e);
	e = ev_create(2 * MS, 8, 7, fn);
	gmodel__event(f.m, &e);
	e = ev_state(500 * MS, 7, XG_G_WAITING, XG_G_RUNNABLE, 0);
	gmodel__event(f.m, &e);
	e = ev_state(600 * MS, 7, XG_G_RUNNABLE, XG_G_RUNNING, 0);
	gmodel__event(f.m, &e);
	e = (struct xg_event){.ts = 1000 * MS, .kind = XG_EV_HEAP};
	gmodel__event(f.m, &e);
	g = gmodel__g(f.m, 7);
	if (!ASSERT_OK_PTR(g, "g7"))
		goto out;
	t = gmodel__slot_time(f.m, g, GM_WAITING);
	ASSERT_EQ((int)t.bound, (int)GM_AT_LEAST, "wait began before the attach");
	ASSERT_EQ(t.ns, 499 * MS, "wait seen");
	t = gmodel__in_state(f.m, g);
	ASSERT_EQ((int)t.bound, (int)GM_KNOWN, "running since a transition");
	ASSERT_EQ(t.ns, 400 * MS, "running for");
	t = gmodel__age(f.m, g);
	ASSERT_EQ((int)t.bound, (int)GM_AT_LEAST, "age of one seen at attach");
	g = gmodel__g(f.m, 8);
	t = gmodel__age(f.m, g);
	ASSERT_EQ((int)t.bound, (int)GM_KNOWN, "age of one created in the trace");
	ASSERT_EQ(t.ns, 998 * MS, "age");
	ASSERT_EQ((int)gmodel__slot_time(f.m, g, GM_RUNNABLE).bound, (int)GM_KNOWN, "measured");
out:
	fixture_free(&f);
}

/* Production mode: states at instants. A wait is proven from the end of the GC cycle after
 * the one g.waitsince names; nothing else is invented. */
TEST(model_production_bounds)
{
	struct fixture f;
	struct xg_event e;
	struct gm_time t;
	const struct gm_g *g;
	uint32_t fn = 0, rs = 0;

	if (!ASSERT_TRUE(fixture_init(&f, NULL), "init"))
		goto out;
	tf_meta__set_str(f.meta, TF_KEY_MODE, "production");
	tf_meta__set_str(f.meta, TF_KEY_EVENTS,
			 "go_create,cpu_sample,snapshot,gc_start,gc_end,heap");
	gmodel__begin(f.m, &f.info);
	f.m->wait_limit_ns = 1 * S;
	ASSERT_FALSE(f.m->exact, "production is not exact");
	fn = str(&f, "main.worker");
	rs = str(&f, "chan receive");
	/* blocked since before the trace: waitsince = -5 s; GC cycles end at 0.2, 0.4, 0.6 s */
	e = ev_snap(10 * MS, 7, XG_G_WAITING, rs, fn, 5 * S + 10 * MS);
	gmodel__event(f.m, &e);
	g = gmodel__g(f.m, 7);
	ASSERT_EQ((int)gmodel__in_state(f.m, g).bound, (int)GM_UNKNOWN,
		  "no cycle end seen: not proven");
	for (int i = 1; i <= 3; i++) {
		e = (struct xg_event){.ts = (uint64_t)i * 200 * MS, .kind = XG_EV_GC_END};
		gmodel__event(f.m, &e);
	}
	e = ev_snap(1000 * MS, 7, XG_G_WAITING, rs, fn, 6 * S);
	gmodel__event(f.m, &e);
	t = gmodel__in_state(f.m, g);
	ASSERT_EQ((int)t.bound, (int)GM_AT_LEAST, "proven");
	ASSERT_EQ(t.ns, 600 * MS, "from the second cycle end after waitsince");
	/* blocked at 0.5 s (waitsince = 0.4 s, the cycle ending at 0.6 s saw it) */
	e = ev_snap(1000 * MS, 9, XG_G_WAITING, rs, fn, 600 * MS);
	gmodel__event(f.m, &e);
	t = gmodel__in_state(f.m, gmodel__g(f.m, 9));
	ASSERT_EQ((int)t.bound, (int)GM_AT_LEAST, "proven");
	ASSERT_EQ(t.ns, 400 * MS, "since the end of the cycle that saw it");
	/* waitsince = 0.6 s: the cycle that saw it has not ended yet */
	e = ev_snap(1000 * MS, 10, XG_G_WAITING, rs, fn, 400 * MS);
	gmodel__event(f.m, &e);
	ASSERT_EQ((int)gmodel__in_state(f.m, gmodel__g(f.m, 10)).bound, (int)GM_UNKNOWN,
		  "not proven yet");
	/* a goroutine with CPU samples: running time about samples / hz, its wait unknown */
	e = ev_create(100 * MS, 20, 1, fn);
	gmodel__event(f.m, &e);
	for (int i = 0; i < 99; i++) {
		e = (struct xg_event){.ts = 100 * MS + (uint64_t)i * MS, .kind = XG_EV_CPU_SAMPLE};
		e.goid = 20;
		gmodel__event(f.m, &e);
	}
	g = gmodel__g(f.m, 20);
	t = gmodel__slot_time(f.m, g, GM_RUNNING);
	ASSERT_EQ((int)t.bound, (int)GM_ABOUT, "running estimated");
	/* a period in whole ns: 10101010 */
	ASSERT_EQ(t.ns, 99 * (1 * S / 99), "99 samples at 99 Hz");
	ASSERT_EQ((int)gmodel__slot_time(f.m, g, GM_WAITING).bound, (int)GM_UNKNOWN,
		  "wait not invented");
	ASSERT_EQ((int)gmodel__slot_time(f.m, g, GM_RUNNABLE).bound, (int)GM_UNKNOWN,
		  "runq not invented");
	ASSERT_EQ((int)gmodel__in_state(f.m, g).bound, (int)GM_UNKNOWN, "no state duration");
	/* samples that carry their weight (a timer that fired late): the CPU time they measured,
	 * not their count over the frequency */
	e = ev_create(100 * MS, 21, 1, fn);
	gmodel__event(f.m, &e);
	for (int i = 0; i < 10; i++) {
		e = (struct xg_event){.ts = 100 * MS + (uint64_t)i * 30 * MS,
				      .kind = XG_EV_CPU_SAMPLE};
		e.goid = 21;
		e.weight = i < 5 ? 30 * MS : 10101010;
		gmodel__event(f.m, &e);
	}
	ASSERT_EQ(gmodel__slot_time(f.m, gmodel__g(f.m, 21), GM_RUNNING).ns,
		  150 * MS + 5 * 10101010, "weighted samples");
	ASSERT_EQ(gmodel__g(f.m, 21)->cpu_samples, 10u, "samples counted");
	/* the wait ends: goroutine 7 seen running; the proven part is kept as a long wait */
	e = ev_snap(2000 * MS, 7, XG_G_RUNNING, 0, fn, 0);
	gmodel__event(f.m, &e);
	ASSERT_EQ(f.m->nwaits, 0u, "0.6 s proven is under the 1 s limit");
	e = ev_snap(3000 * MS, 9, XG_G_WAITING, rs, fn, 2600 * MS);
	gmodel__event(f.m, &e);
	e = ev_snap(4000 * MS, 9, XG_G_RUNNABLE, 0, fn, 0);
	gmodel__event(f.m, &e);
	if (ASSERT_EQ(f.m->nwaits, 1u, "a proven 2.4 s wait ended")) {
		ASSERT_EQ(f.m->waits[0].ns, 2400 * MS, "proven length");
		ASSERT_EQ((int)f.m->waits[0].bound, (int)GM_AT_LEAST, "a lower bound");
	}
out:
	fixture_free(&f);
}
