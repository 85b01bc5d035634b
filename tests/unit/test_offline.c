// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* offline/: the protobuf writer, PC tables, byte sizes, bundles, the analysis behind check and
 * diff, and the timeline behind the trace-viewer exports. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "format/writer.h"
#include "offline/analyze.h"
#include "offline/bundle.h"
#include "offline/check.h"
#include "offline/diff.h"
#include "offline/open.h"
#include "offline/pb.h"
#include "offline/symtab.h"
#include "offline/timeline.h"
#include "tests/unit/test.h"
#include "util/err.h"

/* --- a minimal protobuf reader, independent of offline/pb.c ----------------------------- */

static int rd_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	*v = 0;
	for (int shift = 0; shift < 70; shift += 7) {
		if (*p >= end)
			return -1;
		*v |= (uint64_t)(**p & 0x7f) << shift;
		if (!(*(*p)++ & 0x80))
			return 0;
	}
	return -1;
}

/* Finds field in [p, end) and returns its payload (LEN) or value (VARINT, I64). */
static bool rd_field(const uint8_t *p, const uint8_t *end, uint32_t field, uint64_t *v,
		     const uint8_t **sub, size_t *sublen)
{
	while (p < end) {
		uint64_t tag, len;

		if (rd_varint(&p, end, &tag))
			return false;
		switch (tag & 7) {
		case PB_VARINT:
			if (rd_varint(&p, end, v))
				return false;
			if ((tag >> 3) == field)
				return true;
			break;
		case PB_I64:
			if (end - p < 8)
				return false;
			*v = 0;
			for (int i = 0; i < 8; i++)
				*v |= (uint64_t)p[i] << (8 * i);
			p += 8;
			if ((tag >> 3) == field)
				return true;
			break;
		case PB_LEN:
			if (rd_varint(&p, end, &len) || len > (uint64_t)(end - p))
				return false;
			if ((tag >> 3) == field) {
				*sub = p;
				*sublen = (size_t)len;
				return true;
			}
			p += len;
			break;
		default:
			return false;
		}
	}
	return false;
}

TEST(pb_varints)
{
	static const struct {
		uint64_t v;
		uint8_t enc[10];
		size_t len;
	} cases[] = {
	    {0, {0x00}, 1},
	    {1, {0x01}, 1},
	    {127, {0x7f}, 1},
	    {128, {0x80, 0x01}, 2},
	    {300, {0xac, 0x02}, 2},
	    {16383, {0xff, 0x7f}, 2},
	    {16384, {0x80, 0x80, 0x01}, 3},
	    {UINT64_MAX, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 10},
	};
	struct pb_buf b = {0};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pb_buf__reset(&b);
		pb_varint(&b, cases[i].v);
		if (!ASSERT_EQ(b.len, cases[i].len, "length") ||
		    !ASSERT_OK(memcmp(b.p, cases[i].enc, b.len), "bytes"))
			break;
	}
	/* tags: field 1 varint = 0x08, field 60 LEN = 0xe2 0x03, field 87 varint */
	pb_buf__reset(&b);
	pb_uint(&b, 1, 150);
	ASSERT_OK(memcmp(b.p, "\x08\x96\x01", 3), "field 1 = 150");
	pb_buf__reset(&b);
	pb_int(&b, 2, -1);
	ASSERT_EQ(b.len, 11u, "negative int64: tag + 10 bytes");
	pb_buf__reset(&b);
	pb_fixed64(&b, 47, 0x0102030405060708ULL);
	ASSERT_OK(memcmp(b.p, "\xf9\x02\x08\x07\x06\x05\x04\x03\x02\x01", 10), "fixed64 LE");
	pb_buf__reset(&b);
	pb_string(&b, 2, "hi");
	ASSERT_OK(memcmp(b.p, "\x12\x02hi", 4), "string");
	pb_buf__reset(&b);
	pb_double(&b, 5, 1.0);
	ASSERT_OK(memcmp(b.p, "\x29\x00\x00\x00\x00\x00\x00\xf0\x3f", 9), "double");
	ASSERT_OK(b.err, "no error");
	pb_buf__free(&b);
}

/* Nested messages of every body length class, the inner one growing past one length byte. */
TEST(pb_nested_lengths)
{
	static const size_t sizes[] = {0, 1, 126, 127, 128, 129, 16383, 16384, 20000};
	struct pb_buf b = {0};
	char *payload = malloc(20000);

	if (!ASSERT_OK_PTR(payload, "malloc"))
		return;
	for (size_t i = 0; i < 20000; i++)
		payload[i] = (char)('a' + i % 26);
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		const uint8_t *outer, *inner, *s;
		size_t outer_len, inner_len, slen;
		uint64_t v;
		size_t o, in;

		pb_buf__reset(&b);
		pb_uint(&b, 8, 12345);
		o = pb_begin(&b, 11);
		pb_uint(&b, 1, 7);
		in = pb_begin(&b, 4);
		pb_bytes(&b, 6, payload, sizes[k]);
		pb_end(&b, in);
		pb_uint(&b, 2, 9);
		pb_end(&b, o);
		pb_uint(&b, 10, 1);
		if (!ASSERT_OK(b.err, "encode"))
			break;
		if (!ASSERT_TRUE(rd_field(b.p, b.p + b.len, 8, &v, &s, &slen) && v == 12345,
				 "field before") ||
		    !ASSERT_TRUE(rd_field(b.p, b.p + b.len, 10, &v, &s, &slen) && v == 1,
				 "field after") ||
		    !ASSERT_TRUE(rd_field(b.p, b.p + b.len, 11, &v, &outer, &outer_len), "outer") ||
		    !ASSERT_TRUE(rd_field(outer, outer + outer_len, 1, &v, &s, &slen) && v == 7,
				 "outer's first") ||
		    !ASSERT_TRUE(rd_field(outer, outer + outer_len, 2, &v, &s, &slen) && v == 9,
				 "outer's last") ||
		    !ASSERT_TRUE(rd_field(outer, outer + outer_len, 4, &v, &inner, &inner_len),
				 "inner") ||
		    !ASSERT_TRUE(rd_field(inner, inner + inner_len, 6, &v, &s, &slen), "payload") ||
		    !ASSERT_EQ(slen, sizes[k], "payload length") ||
		    !ASSERT_OK(memcmp(s, payload, slen), "payload bytes"))
			break;
	}
	{
		/* packed */
		uint64_t vals[] = {1, 300, UINT64_MAX};
		const uint8_t *s;
		size_t slen;
		uint64_t v;

		pb_buf__reset(&b);
		pb_packed_uint(&b, 2, vals, 3);
		ASSERT_TRUE(rd_field(b.p, b.p + b.len, 2, &v, &s, &slen) && slen == 1 + 2 + 10,
			    "packed length");
	}
	free(payload);
	pb_buf__free(&b);
}

TEST(symtab_round_trip)
{
	struct symtab *s = symtab__new(), *p = NULL;
	const struct symtab_sym *r;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (!ASSERT_OK_PTR(s, "new"))
		return;
	ASSERT_OK(symtab__add(s, 0x4010a3, "main.worker", "/src/a.go", 14, "binary"), "add");
	ASSERT_OK(symtab__add(s, 0x400000, "main.main", "/src/with\ttab.go", 3, "trace"), "add");
	ASSERT_OK(symtab__add(s, 0x4010a3, "other", "x", 1, "trace"), "first row wins");
	ASSERT_EQ(symtab__count(s), 2u, "count");
	f = open_memstream(&buf, &len);
	if (!ASSERT_OK_PTR(f, "memstream"))
		goto out;
	ASSERT_OK(symtab__write(s, f), "write");
	fclose(f);
	ASSERT_HAS_SUBSTR(buf, "0x400000\tmain.main\t/src/with tab.go\t3\ttrace\n",
			  "text, tab replaced");
	p = symtab__parse(buf, len, "t.tsv");
	if (!ASSERT_OK_PTR(p, "parse"))
		goto out;
	r = symtab__lookup(p, 0x4010a3);
	if (ASSERT_OK_PTR(r, "lookup")) {
		ASSERT_STREQ(r->fn, "main.worker", "fn");
		ASSERT_STREQ(r->file, "/src/a.go", "file");
		ASSERT_EQ(r->line, 14u, "line");
		ASSERT_STREQ(r->source, "binary", "source");
	}
	ASSERT_NULL(symtab__lookup(p, 0x4010a4), "no row");
	ASSERT_EQ(symtab__at(p, 0)->pc, 0x400000u, "sorted");
	symtab__free(p);
	p = symtab__parse("0x10\tf\tx.go\t1\n", 14, "bad.tsv");
	ASSERT_NULL(p, "4 fields");
	ASSERT_HAS_SUBSTR(xg_errmsg(), "bad.tsv: line 1: expected 5", "message");
	p = symtab__parse("# c\n10\tf\tx\t1\tb\n", 15, "bad.tsv");
	ASSERT_NULL(p, "pc without 0x");
	ASSERT_HAS_SUBSTR(xg_errmsg(), "line 2: bad pc", "message");
	p = symtab__parse("0x10\tf\tx\t99999999999\tb\n", 24, "bad.tsv");
	ASSERT_NULL(p, "line too large");
out:
	free(buf);
	symtab__free(s);
}

TEST(check_parse_bytes)
{
	static const struct {
		const char *s;
		bool ps;
		uint64_t v;
	} ok[] = {
	    {"0", false, 0},
	    {"1048576", false, 1048576},
	    {"512K", false, 512000},
	    {"10MB", false, 10000000},
	    {"64KiB", false, 65536},
	    {"1.5GiB", false, 1610612736},
	    {"2Gi", false, 2147483648},
	    {"50MB/s", true, 50000000},
	    {"1TB", false, 1000000000000},
	};
	static const char *const bad[] = {"", "-1", "10XB", "MB", "1e400", "5 MB", "+3", "10MB/s"};
	uint64_t v;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!ASSERT_OK(check_parse_bytes(ok[i].s, ok[i].ps, &v), ok[i].s) ||
		    !ASSERT_EQ(v, ok[i].v, ok[i].s))
			return;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ASSERT_ERR(check_parse_bytes(bad[i], false, &v), bad[i]);
}

/* --- traces written here ---------------------------------------------------------------- */

static void path_in(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", test__tmpdir(), name);
}

static struct tf_meta *meta(void)
{
	struct tf_meta *m = tf_meta__new();

	if (!m)
		return NULL;
	tf_meta__set_str(m, TF_KEY_BINARY_PATH, "/nonexistent/xgotop-test-binary");
	tf_meta__set_str(m, TF_KEY_TARGET_CMDLINE, "./t");
	tf_meta__set_int(m, TF_KEY_TARGET_PID, 99);
	tf_meta__set_str(m, TF_KEY_SAMPLE_PREFIX "alloc", "0.5");
	return m;
}

/*
 * g1 main (never created), g10 main.leaky created from main.main with a stack, blocked for good
 * on "chan send"; g11 main.ok exits; g12's go_create arrives after its first state change (out
 * of order) and it exits; a late go_state about g11 after its exit is ignored; g2 is the
 * runtime's. Two allocations of 100 B sampled at 0.5.
 */
static int write_trace(const char *path, bool leak)
{
	TF_WRITER_OPTS(o, .flush_ms = -1);
	struct tf_meta *m = meta();
	struct tf_writer *w = tf_writer__open(path, m, &o);
	uint32_t mainfn, leaky, okfn, rt, send, typ, file, stk;
	struct xg_frame fr;
	int err;

	tf_meta__free(m);
	if (!w)
		return -errno;
	mainfn = tf_writer__intern(w, "main.main", 9);
	leaky = tf_writer__intern(w, "main.leaky", 10);
	okfn = tf_writer__intern(w, "main.ok", 7);
	rt = tf_writer__intern(w, "runtime.bgsweep", 15);
	send = tf_writer__intern(w, "chan send", 9);
	typ = tf_writer__intern(w, "main.T", 6);
	file = tf_writer__intern(w, "/src/t/main.go", 14);
	fr = (struct xg_frame){.pc = 0x401234, .fn = mainfn, .file = file, .line = 42};
	stk = tf_writer__intern_stack(w, &fr, 1);
	{
		struct xg_event evs[] = {
		    {.ts = 10,
		     .goid = 1,
		     .kind = XG_EV_GO_STATE,
		     .from = XG_G_RUNNABLE,
		     .to = XG_G_RUNNING},
		    {.ts = 20,
		     .goid = 2,
		     .kind = XG_EV_GO_CREATE,
		     .parent_goid = 1,
		     .start_fn = rt},
		    {.ts = 30,
		     .goid = 2,
		     .kind = XG_EV_GO_STATE,
		     .from = XG_G_RUNNABLE,
		     .to = XG_G_WAITING},
		    {.ts = 100,
		     .goid = 10,
		     .kind = XG_EV_GO_CREATE,
		     .parent_goid = 1,
		     .start_fn = leaky,
		     .create_fn = mainfn,
		     .create_pc = 0x401234,
		     .stack = stk},
		    {.ts = 110,
		     .goid = 11,
		     .kind = XG_EV_GO_CREATE,
		     .parent_goid = 1,
		     .start_fn = okfn,
		     .create_fn = mainfn,
		     .create_pc = 0x401250},
		    {.ts = 120,
		     .goid = 10,
		     .kind = XG_EV_GO_STATE,
		     .from = XG_G_RUNNABLE,
		     .to = XG_G_RUNNING},
		    {.ts = 130,
		     .goid = 10,
		     .kind = XG_EV_ALLOC,
		     .size = 100,
		     .type = typ,
		     .stack = stk},
		    {.ts = 140,
		     .goid = 10,
		     .kind = XG_EV_GO_STATE,
		     .from = XG_G_RUNNING,
		     .to = leak ? XG_G_WAITING : XG_G_DEAD,
		     .reason = leak ? send : 0},
		    {.ts = 150,
		     .goid = 11,
		     .kind = XG_EV_GO_STATE,
		     .from = XG_G_RUNNABLE,
		     .to = XG_G_RUNNING},
		    {.ts = 160, .goid = 11, .kind = XG_EV_ALLOC, .size = 100, .type = typ},
		    {.ts = 170,
		     .goid = 11,
		     .kind = XG_EV_GO_STATE,
		     .from = XG_G_RUNNING,
		     .to = XG_G_DEAD},
		    {.ts = 170, .goid = 11, .kind = XG_EV_GO_EXIT},
		    {.ts = 180,
		     .goid = 11,
		     .kind = XG_EV_GO_STATE,
		     .from = XG_G_WAITING,
		     .to = XG_G_RUNNABLE},
		    {.ts = 190,
		     .goid = 12,
		     .kind = XG_EV_GO_STATE,
		     .from = XG_G_RUNNABLE,
		     .to = XG_G_RUNNING},
		    {.ts = 195,
		     .goid = 12,
		     .kind = XG_EV_GO_CREATE,
		     .parent_goid = 1,
		     .start_fn = okfn,
		     .create_fn = mainfn,
		     .create_pc = 0x401250},
		    {.ts = 200,
		     .goid = 12,
		     .kind = XG_EV_GO_STATE,
		     .from = XG_G_RUNNING,
		     .to = XG_G_DEAD},
		    {.ts = 1000,
		     .goid = 1,
		     .kind = XG_EV_GO_STATE,
		     .from = XG_G_RUNNING,
		     .to = XG_G_RUNNABLE},
		};
		err = tf_writer__append_batch(w, evs, sizeof(evs) / sizeof(evs[0]));
	}
	if (err) {
		tf_writer__close(w);
		return err;
	}
	return tf_writer__close(w);
}

TEST(analysis_leaks_and_rules)
{
	struct check_rules rules = CHECK_RULES_INIT;
	struct check_report rep = {0};
	struct analysis *a = NULL;
	struct trace *t = NULL;
	struct analysis_opts ao = {.blocked_ns = 500};
	char path[4096];

	path_in(path, sizeof(path), "leak.xgt");
	if (!ASSERT_OK(write_trace(path, true), "write"))
		return;
	t = trace__open(path, NULL);
	if (!ASSERT_OK_PTR(t, "open"))
		return;
	a = analysis__new(t, &ao);
	if (!ASSERT_OK_PTR(a, "analyze"))
		goto out;
	ASSERT_EQ(a->events, 17u, "events");
	ASSERT_EQ(a->nalive, 3u, "alive at the end: g1, g2, g10 (g11 stays gone)");
	ASSERT_EQ(a->m->alloc_bytes, 400u, "bytes scaled by 1/0.5");
	ASSERT_EQ(a->peak_goroutines, 3u, "user goroutines at once: g1, g10, g11");
	rules.no_leaks = true;
	rules.max_blocked_ns = 500;
	rules.max_alloc_bytes = 399;
	if (!ASSERT_OK(check__run(a, &rules, &rep), "check"))
		goto out;
	ASSERT_EQ(rep.nrules, 3u, "rules");
	ASSERT_EQ(rep.failed, 3u, "all fail");
	ASSERT_EQ(rep.leaked, 1u, "one leak");
	if (ASSERT_EQ(rep.nleaks, 1u, "one site")) {
		ASSERT_STREQ(rep.leaks[0].site.file, "/src/t/main.go", "site from the stack");
		ASSERT_EQ(rep.leaks[0].site.line, 42u, "line");
		ASSERT_EQ(rep.leaks[0].goids[0], 10u, "goid");
		ASSERT_EQ(rep.leaks[0].states[0].state, (uint8_t)XG_G_WAITING, "state");
	}
	ASSERT_EQ(rep.not_runtime, 2u, "g1 and g2 exempt");
	if (ASSERT_EQ(rep.nblocked, 1u, "long wait")) {
		ASSERT_EQ(rep.blocked[0].longest_ns, (uint64_t)(1000 - 140),
			  "waiting until the end");
		ASSERT_TRUE(rep.blocked[0].ongoing, "ongoing");
	}
	check_report__free(&rep);
	/* --ignore and --leak-min-age exempt it */
	{
		const char *ign[] = {"main.lea*"};

		rules = (struct check_rules)CHECK_RULES_INIT;
		rules.no_leaks = true;
		rules.ignore = ign;
		rules.nignore = 1;
		ASSERT_OK(check__run(a, &rules, &rep), "check");
		ASSERT_EQ(rep.failed, 0u, "ignored");
		ASSERT_EQ(rep.not_ignored, 1u, "counted as ignored");
		check_report__free(&rep);
		rules.nignore = 0;
		rules.leak_min_age_ns = 901;
		ASSERT_OK(check__run(a, &rules, &rep), "check");
		ASSERT_EQ(rep.not_young, 1u, "younger than 901 ns at the end");
		check_report__free(&rep);
	}
out:
	check_report__free(&rep);
	analysis__free(a);
	trace__close(t);
}

TEST(diff_what_grew)
{
	struct trace *ta = NULL, *tb = NULL;
	struct analysis *a = NULL, *b = NULL;
	struct diff_result r = {0};
	char pa[4096], pb[4096];
	bool found = false;

	path_in(pa, sizeof(pa), "fixed.xgt");
	path_in(pb, sizeof(pb), "leak.xgt");
	if (!ASSERT_OK(write_trace(pa, false), "write a") ||
	    !ASSERT_OK(write_trace(pb, true), "write b"))
		return;
	ta = trace__open(pa, NULL);
	tb = trace__open(pb, NULL);
	if (!ASSERT_OK_PTR(ta, "open a") || !ASSERT_OK_PTR(tb, "open b"))
		goto out;
	a = analysis__new(ta, NULL);
	b = analysis__new(tb, NULL);
	if (!ASSERT_OK_PTR(a, "a") || !ASSERT_OK_PTR(b, "b"))
		goto out;
	if (!ASSERT_OK(diff__run(a, b, 0, &r), "diff"))
		goto out;
	for (size_t i = 0; i < r.ngrew; i++) {
		const struct diff_row *row = &r.grew[i];

		if (row->section == DIFF_GOROUTINES && !strcmp(row->key, "main.leaky") &&
		    !strcmp(row->metric, "alive at the end")) {
			found = true;
			ASSERT_EQ(row->a, 0u, "a");
			ASSERT_EQ(row->b, 1u, "b");
		}
		if (i)
			ASSERT_LE(r.grew[i - 1].section, row->section, "sorted by section");
	}
	ASSERT_TRUE(found, "main.leaky alive at the end grew");
	diff_result__free(&r);
	ASSERT_OK(diff__run(a, a, 0, &r), "diff with itself");
	ASSERT_EQ(r.ngrew, 0u, "nothing grew");
	ASSERT_EQ(r.nshrank, 0u, "nothing shrank");
out:
	diff_result__free(&r);
	analysis__free(a);
	analysis__free(b);
	trace__close(ta);
	trace__close(tb);
}

/* A timeline backend that counts. */
struct tl_count {
	int begins, ends, instants, flows_begun, flows_ended, tracks, counters, depth[64];
	int bad;
	int64_t last[TIMELINE_NCOUNTERS];
};

static int tc_begin(void *ctx, int64_t pid, const char *process)
{
	(void)ctx;
	(void)pid;
	(void)process;
	return 0;
}

static int tc_track(void *ctx, uint64_t track, const char *name)
{
	struct tl_count *c = ctx;

	(void)name;
	c->tracks += track < 64;
	return 0;
}

static int tc_sbegin(void *ctx, uint64_t track, uint64_t ts, const char *name, uint64_t flow)
{
	struct tl_count *c = ctx;

	(void)ts;
	(void)name;
	if (track < 64) {
		c->begins++;
		c->bad += c->depth[track]++ != 0;
	}
	c->flows_ended += flow != 0;
	return 0;
}

static int tc_send(void *ctx, uint64_t track, uint64_t ts)
{
	struct tl_count *c = ctx;

	(void)ts;
	if (track < 64) {
		c->ends++;
		c->bad += --c->depth[track] != 0;
	}
	return 0;
}

static int tc_instant(void *ctx, uint64_t track, uint64_t ts, const char *name, uint64_t flow,
		      uint64_t goid)
{
	struct tl_count *c = ctx;

	(void)track;
	(void)ts;
	(void)name;
	(void)goid;
	c->instants++;
	c->flows_begun += flow != 0;
	return 0;
}

static int tc_counter(void *ctx, enum timeline_counter k, uint64_t ts, int64_t v)
{
	struct tl_count *c = ctx;

	(void)ts;
	c->counters++;
	c->last[k] = v;
	return 0;
}

static int tc_end(void *ctx, uint64_t ts)
{
	(void)ctx;
	(void)ts;
	return 0;
}

TEST(timeline_walk)
{
	struct tl_count c = {0};
	struct timeline_ops ops = {tc_begin,   tc_track,   tc_sbegin, tc_send,
				   tc_instant, tc_counter, tc_end,    &c};
	struct timeline_stats st;
	struct trace *t;
	char path[4096];

	path_in(path, sizeof(path), "tl.xgt");
	if (!ASSERT_OK(write_trace(path, true), "write"))
		return;
	t = trace__open(path, NULL);
	if (!ASSERT_OK_PTR(t, "open"))
		return;
	if (!ASSERT_OK(timeline_walk(t, &ops, &st), "walk"))
		goto out;
	ASSERT_EQ(c.bad, 0, "one slice at a time per goroutine, all closed");
	ASSERT_EQ(c.begins, c.ends, "balanced");
	ASSERT_EQ(c.tracks, 5, "g1 g2 g10 g11 g12");
	/* g1: running, runnable; g2: runnable, waiting; g10: runnable, running, waiting;
	 * g11: runnable, running; g12: running (its go_create comes late) */
	ASSERT_EQ(c.begins, 10, "slices");
	ASSERT_EQ(c.flows_begun, 3, "g2, g10, g11 (not g12: created after it was seen)");
	ASSERT_EQ(c.flows_begun, c.flows_ended, "every flow ends");
	ASSERT_EQ(st.ignored, 2u, "g11's go_exit after its death, and the late go_state");
	ASSERT_EQ(c.last[TIMELINE_C_WAITING], 2, "g2 and g10 waiting at the end");
	ASSERT_EQ(c.last[TIMELINE_C_ALIVE], 3, "g1 g2 g10 alive");
	ASSERT_EQ(c.last[TIMELINE_C_ALLOC_RATE], 4000, "400 B (scaled) in the first 100 ms");
out:
	trace__close(t);
}

/* --- bundles ---------------------------------------------------------------------------- */

static int write_tar(const char *path, const char *const *names, const char *const *data, int n,
		     bool zstd)
{
	struct archive *a = archive_write_new();
	int err = 0;

	if (!a)
		return -ENOMEM;
	if (zstd)
		archive_write_add_filter_zstd(a);
	archive_write_set_format_pax_restricted(a);
	if (archive_write_open_filename(a, path) != ARCHIVE_OK)
		err = -EIO;
	for (int i = 0; i < n && !err; i++) {
		struct archive_entry *e = archive_entry_new();

		archive_entry_set_pathname(e, names[i]);
		archive_entry_set_size(e, (la_int64_t)strlen(data[i]));
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		if (archive_write_header(a, e) != ARCHIVE_OK ||
		    archive_write_data(a, data[i], strlen(data[i])) != (la_ssize_t)strlen(data[i]))
			err = -EIO;
		archive_entry_free(e);
	}
	if (archive_write_close(a) != ARCHIVE_OK)
		err = -EIO;
	archive_write_free(a);
	return err;
}

TEST(bundle_round_trip)
{
	BUNDLE_OPTS(o, .zstd_level = 3);
	const char *traces[2];
	char t1[4096], t2[4096], out[4096], sel[4200];
	struct bundle *b = NULL;
	struct tf_reader *r = NULL;
	struct tf_info info;

	path_in(t1, sizeof(t1), "one.xgt");
	path_in(t2, sizeof(t2), "two.xgt");
	path_in(out, sizeof(out), "b.tar.zst");
	if (!ASSERT_OK(write_trace(t1, true), "write") ||
	    !ASSERT_OK(write_trace(t2, false), "write"))
		return;
	traces[0] = t1;
	traces[1] = t2;
	if (!ASSERT_OK(bundle__write(out, traces, 2, &o), "bundle"))
		return;
	ASSERT_EQ(bundle_input_kind(out), BUNDLE_INPUT_BUNDLE, "a bundle by its magic");
	ASSERT_EQ(bundle_input_kind(t1), BUNDLE_INPUT_TRACE, "a trace by its magic");
	b = bundle__open(out, NULL);
	if (!ASSERT_OK_PTR(b, "open"))
		return;
	ASSERT_EQ(b->ntraces, 2u, "traces");
	ASSERT_STREQ(b->trace_name, "one.xgt", "the first");
	ASSERT_OK_PTR(b->symbols, "its symbol table");
	ASSERT_HAS_SUBSTR(b->symbols, "0x401234\tmain.main\t/src/t/main.go\t42\ttrace",
			  "from the trace");
	ASSERT_STREQ(b->m[0].name, BUNDLE_ROOT "README.txt", "README first");
	bundle__close(b);

	r = trace__open_reader(out, NULL);
	if (!ASSERT_OK_PTR(r, "open the bundle's trace"))
		return;
	if (ASSERT_OK(tf_reader__info(r, &info), "info"))
		ASSERT_EQ(info.events, 17u, "events");
	tf_reader__close(r);
	snprintf(sel, sizeof(sel), "%s:two.xgt", out);
	r = trace__open_reader(sel, NULL);
	ASSERT_OK_PTR(r, "BUNDLE:NAME");
	tf_reader__close(r);
	snprintf(sel, sizeof(sel), "%s:three.xgt", out);
	r = trace__open_reader(sel, NULL);
	ASSERT_NULL(r, "no such trace");
	ASSERT_HAS_SUBSTR(xg_errmsg(), "no trace named 'three.xgt'", "message");
	tf_reader__close(r);
	traces[0] = out;
	ASSERT_ERR(bundle__write(out, traces, 1, &o), "a bundle of a bundle");
	ASSERT_HAS_SUBSTR(xg_errmsg(), "already a bundle", "message");
}

TEST(bundle_rejects)
{
	static const char *const evil[] = {"xgotop-bundle/../../evil.xgt"};
	static const char *const abs_[] = {"/etc/evil.xgt"};
	static const char *const none[] = {"xgotop-bundle/README.txt"};
	static const char *const data[] = {"x"};
	char p[4096], garbage[64];
	size_t n;
	FILE *f;

	path_in(p, sizeof(p), "evil.tar.zst");
	if (!ASSERT_OK(write_tar(p, evil, data, 1, true), "write"))
		return;
	ASSERT_NULL(bundle__open(p, NULL), "path traversal");
	ASSERT_HAS_SUBSTR(xg_errmsg(), "unsafe name", "message");
	ASSERT_OK(write_tar(p, abs_, data, 1, false), "write");
	ASSERT_EQ(bundle_input_kind(p), BUNDLE_INPUT_BUNDLE, "a plain tar");
	ASSERT_NULL(bundle__open(p, NULL), "absolute");
	ASSERT_HAS_SUBSTR(xg_errmsg(), "unsafe name", "message");
	ASSERT_OK(write_tar(p, none, data, 1, true), "write");
	ASSERT_NULL(bundle__open(p, NULL), "no trace");
	ASSERT_HAS_SUBSTR(xg_errmsg(), "holds no trace", "message");
	/* zstd data that is no tar */
	n = ZSTD_compress(garbage, sizeof(garbage), "not a tar archive at all", 24, 1);
	if (!ASSERT_FALSE(ZSTD_isError(n), "compress"))
		return;
	f = fopen(p, "wb");
	if (!ASSERT_OK_PTR(f, "fopen"))
		return;
	fwrite(garbage, 1, n, f);
	fclose(f);
	ASSERT_NULL(bundle__open(p, NULL), "not tar");
	ASSERT_HAS_SUBSTR(xg_errmsg(), "not an xgotop bundle", "message");
	ASSERT_NULL(trace__open_reader(p, NULL), "not a trace either");
}
