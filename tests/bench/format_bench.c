// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Trace format benchmark: bytes per event and encode/decode speed on synthesized streams.
 * Prints rows "name<TAB>value<TAB>unit<TAB>goal" (tests/bench/run).
 *
 *   format-bench [EVENTS] [DIR]
 *
 * Streams: "http" is the Go HTTP server model of tests/fixtures/synth.c under load (8 CPUs,
 * stacks on); "entropy" is a deliberately high-entropy mix (random P interleaving, 2000 live
 * goroutines, Zipf-distributed sites), the hard case for the codec.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "format/chunk.h"
#include "format/reader.h"
#include "format/writer.h"
#include "tests/fixtures/synth.h"
#include "util/err.h"

int main(int argc, char **argv);

struct stream {
	struct xg_event *ev;
	size_t n, cap;
	struct tf_tables *t;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int push(void *ctx, const struct xg_event *ev)
{
	struct stream *s = ctx;

	if (s->n == s->cap)
		return 1;
	s->ev[s->n++] = *ev;
	return 0;
}

static uint32_t intern(void *ctx, const char *str, size_t len)
{
	return tf_tables__intern(((struct stream *)ctx)->t, str, len);
}

static uint32_t intern_stack(void *ctx, const struct xg_frame *f, uint32_t n)
{
	return tf_tables__intern_stack(((struct stream *)ctx)->t, f, n);
}

static int cmp_ts(const void *a, const void *b)
{
	const struct xg_event *x = a, *y = b;

	return x->ts < y->ts ? -1 : x->ts > y->ts;
}

static int gen_http(struct stream *s, size_t n)
{
	struct synth_opts o = {
	    .seed = 42,
	    .duration_ns = UINT64_MAX / 2,
	    .max_events = n,
	    .mean_arrival_ns = 40000,
	    .ncpu = 8,
	    .workers = 16,
	    .gc_every_ns = 150000000,
	    .lost_every_ns = 900000000,
	    .stacks = 1,
	};
	struct synth_io io = {s, push, intern, intern_stack};
	long r = synth_http(&o, &io);

	if (r < 0)
		return (int)r;
	qsort(s->ev, s->n, sizeof(*s->ev), cmp_ts);
	return 0;
}

/* --- the high-entropy generator ---------------------------------------------------------- */

static uint64_t rs = 99;

static uint64_t rnd(void)
{
	uint64_t z = (rs += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double unit(void)
{
	return (double)(rnd() >> 11) / 9007199254740992.0;
}

static uint64_t expo(double mean)
{
	double u = unit(), x = 0, t = 1 - u;

	while (t < 0.5) {
		t *= 2;
		x += 0.6931471805599453;
	}
	{
		double y = (t - 1) / (t + 1), y2 = y * y, sum = y, term = y;

		for (int k = 3; k < 19; k += 2) {
			term *= y2;
			sum += term / k;
		}
		x -= 2 * sum;
	}
	return (uint64_t)(x * mean);
}

static int gen_entropy(struct stream *s, size_t n)
{
	static const uint32_t classes[] = {
	    8,	 16,  24,  32,	 48,   64,   80,   96,	 112,  128,  144,  160, 176, 192,
	    208, 224, 240, 256,	 288,  320,  352,  384,	 416,  448,  480,  512, 576, 640,
	    704, 768, 896, 1024, 1152, 1280, 1408, 1536, 1792, 2048, 4096, 8192};
	enum { NSITES = 8000, LIVE = 2000, NP = 8 };
	uint32_t *site_type = malloc(NSITES * sizeof(uint32_t));
	uint32_t *site_size = malloc(NSITES * sizeof(uint32_t));
	uint64_t *live = malloc(LIVE * sizeof(uint64_t));
	double *cdf = malloc(NSITES * sizeof(double)), tot = 0;
	uint64_t ts = 1000, next_goid = 1000000, cur[NP];
	uint8_t switching[NP] = {0}, insys[NP] = {0};
	int err = -ENOMEM;

	if (!site_type || !site_size || !live || !cdf)
		goto out;
	for (int i = 0; i < NSITES; i++) {
		char b[32];
		struct xg_frame f = {.pc = 0x400000 + (uint64_t)i * 64, .line = (uint32_t)i};

		snprintf(b, sizeof(b), "type%d", (int)(rnd() % 3000));
		site_type[i] = tf_tables__intern(s->t, b, strlen(b));
		site_size[i] = classes[rnd() % (sizeof(classes) / sizeof(classes[0]))];
		f.fn = site_type[i];
		tf_tables__intern_stack(s->t, &f, 1);
		tot += 1.0 / __builtin_pow((double)(i + 1), 1.05);
		cdf[i] = tot;
	}
	for (int i = 0; i < LIVE; i++)
		live[i] = next_goid++;
	for (int p = 0; p < NP; p++)
		cur[p] = live[rnd() % LIVE];
	for (size_t i = 0; i < n; i++) {
		struct xg_event *e = &s->ev[i];
		uint64_t r = rnd() % 1000;
		unsigned int p = (unsigned int)(rnd() % NP);

		ts += expo(500);
		memset(e, 0, sizeof(*e));
		e->ts = ts;
		e->cpu = (uint16_t)p;
		e->tid = 5000 + p;
		e->goid = cur[p];
		if (switching[p]) {
			/* the P runs another goroutine */
			cur[p] = live[rnd() % LIVE];
			e->goid = cur[p];
			e->kind = XG_EV_GO_STATE;
			e->from = XG_G_RUNNABLE;
			e->to = XG_G_RUNNING;
			switching[p] = 0;
		} else if (r < 610) {
			double u = unit() * tot;
			int lo = 0, hi = NSITES - 1;

			while (lo < hi) {
				int mid = (lo + hi) / 2;

				if (cdf[mid] < u)
					lo = mid + 1;
				else
					hi = mid;
			}
			e->kind = XG_EV_ALLOC;
			e->stack = (uint32_t)lo + 1;
			e->type = rnd() % 10 ? site_type[lo] : (uint32_t)(1 + rnd() % 3000);
			e->size = rnd() % 10 ? site_size[lo] : classes[rnd() % 40];
		} else if (r < 960) {
			e->kind = XG_EV_GO_STATE;
			switch (rnd() % 4) {
			case 0: /* blocks */
				e->from = XG_G_RUNNING;
				e->to = XG_G_WAITING;
				switching[p] = 1;
				break;
			case 1: /* wakes a random goroutine */
				e->goid = live[rnd() % LIVE];
				e->from = XG_G_WAITING;
				e->to = XG_G_RUNNABLE;
				break;
			case 2: /* preempted */
				e->from = XG_G_RUNNING;
				e->to = XG_G_RUNNABLE;
				switching[p] = 1;
				break;
			default: /* a syscall, both ways */
				e->from = insys[p] ? XG_G_SYSCALL : XG_G_RUNNING;
				e->to = insys[p] ? XG_G_RUNNING : XG_G_SYSCALL;
				insys[p] = !insys[p];
				break;
			}
		} else if (r < 977) {
			e->kind = XG_EV_GO_CREATE;
			e->parent_goid = e->goid;
			e->goid = next_goid;
			live[rnd() % LIVE] = next_goid++;
		} else {
			e->kind = XG_EV_GO_EXIT;
			switching[p] = 1;
		}
	}
	s->n = n;
	err = 0;
out:
	free(site_type);
	free(site_size);
	free(live);
	free(cdf);
	return err;
}

/* --- measurements ---------------------------------------------------------------------------- */

static void row(const char *name, double v, const char *unit, const char *goal)
{
	printf("%s\t%.2f\t%s\t%s\n", name, v, unit, goal);
}

/* Encodes the stream as chunks on this thread; returns events/s, bytes/event in *bpe. */
static int encode_speed(const struct stream *s, int level, double *evs_per_s, double *mb_s,
			double *bpe, struct tf_col_stats *cs)
{
	struct tf_chunk_enc *e = tf_chunk_enc__new(level);
	const struct xg_event **ptrs = malloc(s->n * sizeof(*ptrs));
	struct tf_buf out = {0};
	double t0, t;
	size_t total = 0, i = 0;

	if (!e || !ptrs)
		return -ENOMEM;
	for (size_t k = 0; k < s->n; k++)
		ptrs[k] = &s->ev[k];
	tf_chunk_enc__limits(e, 65536, 4u << 20, 1000000000ULL);
	t0 = cpu_now();
	while (i < s->n) {
		long a = tf_chunk_enc__add(e, ptrs + i, s->n - i);

		if (a < 0)
			return (int)a;
		i += (size_t)a;
		if (tf_chunk_enc__full(e) || i == s->n) {
			out.len = 0;
			if (tf_chunk_enc__finish(e, &out))
				return -ENOMEM;
			total += out.len + 12;
		}
	}
	t = cpu_now() - t0;
	*evs_per_s = (double)s->n / t;
	*mb_s = (double)s->n * sizeof(struct xg_event) / t / 1e6;
	*bpe = (double)total / (double)s->n;
	memcpy(cs, tf_chunk_enc__stats(e), sizeof(*cs));
	tf_chunk_enc__free(e);
	free(ptrs);
	tf_buf__free(&out);
	return 0;
}

/* Writes the stream through the writer (interning tables from s->t first). */
static int write_file(const struct stream *s, const char *path, int level, double *secs)
{
	TF_WRITER_OPTS(o, .zstd_level = level, .flush_ms = -1);
	struct tf_writer *w = tf_writer__open(path, NULL, &o);
	double t0;
	int err;

	if (!w)
		return -errno;
	for (uint32_t i = 1; i <= tf_tables__str_count(s->t); i++)
		tf_writer__intern(w, tf_tables__str(s->t, i), tf_tables__str_len(s->t, i));
	for (uint32_t i = 1; i <= tf_tables__stack_count(s->t); i++) {
		uint32_t n;
		const struct xg_frame *f = tf_tables__stack(s->t, i, &n);

		tf_writer__intern_stack(w, f, n);
	}
	t0 = now();
	err = tf_writer__append_batch(w, s->ev, s->n);
	if (!err)
		err = tf_writer__close(w);
	else
		tf_writer__close(w);
	*secs = now() - t0;
	return err;
}

/* Decodes the file (cols: TF_READ mask) a chunk of columns at a time, or as rows (struct
 * xg_event, tf_reader__read); returns events/s of this thread's CPU. */
static int read_speed(const char *path, uint64_t cols, bool rows, double *evs_per_s, size_t expect)
{
	TF_READER_OPTS(o, .columns = cols);
	struct tf_reader *r = tf_reader__open(path, &o);
	const struct tf_columns *c;
	struct xg_event ev[256];
	size_t n = 0;
	double t0;
	long k;

	if (!r)
		return -errno;
	t0 = cpu_now();
	if (rows) {
		while ((k = tf_reader__read(r, ev, 256)) > 0)
			n += (size_t)k;
	} else {
		while ((k = tf_reader__next_cols(r, &c)) > 0)
			n += c->n - c->first;
	}
	*evs_per_s = (double)n / (cpu_now() - t0);
	tf_reader__close(r);
	return k == 0 && n == expect ? 0 : -EIO;
}

static int bench(const char *name, struct stream *s, const char *dir, const char *size_goal)
{
	char path[4096], rn[128];
	double eps = 0, mbs = 0, bpe = 0, secs = 0;
	struct tf_col_stats cs;
	long fsize;
	FILE *f;
	int err;

	err = encode_speed(s, TF_DEFAULT_LEVEL, &eps, &mbs, &bpe, &cs);
	if (err)
		return err;
	snprintf(rn, sizeof(rn), "format %s: chunk bytes/event (zstd %d)", name, TF_DEFAULT_LEVEL);
	row(rn, bpe, "B/event", size_goal);
	for (int c = 1; c < TF_COL_MAX; c++) {
		if (!cs.stored[c])
			continue;
		snprintf(rn, sizeof(rn), "format %s:   column %s", name, tf_col_name((unsigned)c));
		row(rn, (double)cs.stored[c] / (double)s->n, "B/event", "-");
	}
	snprintf(rn, sizeof(rn), "format %s: encode+compress, one core", name);
	row(rn, eps / 1e6, "M ev/s", ">= 20");
	snprintf(rn, sizeof(rn), "format %s: encode+compress input rate", name);
	row(rn, mbs, "MB/s", "-");

	snprintf(path, sizeof(path), "%s/format-bench-%s.xgt", dir, name);
	err = write_file(s, path, TF_DEFAULT_LEVEL, &secs);
	if (err)
		return err;
	f = fopen(path, "rb");
	if (!f)
		return -errno;
	fseek(f, 0, SEEK_END);
	fsize = ftell(f);
	fclose(f);
	snprintf(rn, sizeof(rn), "format %s: file bytes/event (with tables, index)", name);
	row(rn, (double)fsize / (double)s->n, "B/event", size_goal);
	snprintf(rn, sizeof(rn), "format %s: writer API, append to close (wall)", name);
	row(rn, (double)s->n / secs / 1e6, "M ev/s", "-");
	snprintf(rn, sizeof(rn), "format %s: file write rate", name);
	row(rn, (double)fsize / secs / 1e6, "MB/s", "-");

	err = read_speed(path, TF_READ_ALL, false, &eps, s->n);
	if (err)
		return err;
	snprintf(rn, sizeof(rn), "format %s: decode, all columns", name);
	row(rn, eps / 1e6, "M ev/s", ">= 100");
	err = read_speed(path, TF_READ(TF_COL_GOID), false, &eps, s->n);
	if (err)
		return err;
	snprintf(rn, sizeof(rn), "format %s: decode, ts+kind+goid", name);
	row(rn, eps / 1e6, "M ev/s", ">= 100");
	err = read_speed(path, TF_READ_ALL, true, &eps, s->n);
	if (err)
		return err;
	snprintf(rn, sizeof(rn), "format %s: decode, all columns, row API (%zu-byte struct)", name,
		 sizeof(struct xg_event));
	row(rn, eps / 1e6, "M ev/s", "-");
	if (!getenv("KEEP"))
		unlink(path);
	return 0;
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 2000000;
	const char *dir = argc > 2 ? argv[2] : "/tmp";
	struct stream s = {0};
	int err;

	s.cap = n;
	s.ev = calloc(n, sizeof(*s.ev));
	s.t = tf_tables__new();
	if (!s.ev || !s.t)
		return 1;
	err = gen_http(&s, n);
	if (!err)
		err = bench("http", &s, dir, "<= 3");
	if (!err) {
		tf_tables__free(s.t);
		s.t = tf_tables__new();
		s.n = 0;
		err = s.t ? gen_entropy(&s, n) : -ENOMEM;
	}
	if (!err)
		err = bench("entropy", &s, dir, "- (notes: 4.6-5.3; Go 4-6)");
	if (err) {
		fprintf(stderr, "format-bench: %s (%s)\n", xg_errmsg(), strerror(-err));
		return 1;
	}
	free(s.ev);
	tf_tables__free(s.t);
	return 0;
}
