// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Benchmark driver for tests/bench/record.bench (built as $(OUTPUT)/record-bench).
 *
 *   record-bench ingest BINARY
 *	The reader's cost per event, ring buffer to trace file, fed by a synthetic BPF producer
 *	(bpf/bench.bpf.c `produce`, run with BPF_PROG_TEST_RUN from another thread) rather than
 *	by uprobes, so the figure is not capped by traps, without and with stacks on blocking
 *	events. BINARY (a Go program) is what names are looked up in, as in a recording. Prints
 *	benchmark rows.
 *
 *   record-bench symbolize BINARY
 *	The cost of naming one captured PC, the work a recording does once per new PC: every
 *	16th byte of every function of BINARY, as a return address, expanded into its inlined
 *	frames (gobin__pc_frames) and, for comparison, named by the function holding it alone
 *	(gobin__pc_lookup, what recordings did before inline expansion). Prints benchmark rows.
 *
 *   record-bench trap placed|entry KINDS -- PROGRAM [ARGS...]
 *	Runs PROGRAM with the empty BPF program (bpf/bench.bpf.c `empty`) on the probe sites
 *	`xgotop record --events KINDS` would use (`placed`), or on the entries of the same
 *	functions (`entry`), and prints {"hits": N, "bpf_ns": T} on stderr: the target's slowdown
 *	over hits is the cost of the trap alone.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.skel.h"
#include "format/writer.h"
#include "gobin/gobin.h"
#include "record/ingest.h"
#include "record/ringbuf.h"
#include "record/plan.h"
#include "record/recorder.h"
#include "record/target.h"
#include "util/array.h"
#include "util/err.h"

static uint64_t now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void row(const char *name, double value, const char *unit, const char *goal)
{
	printf("%s\t%.1f\t%s\t%s\n", name, value, unit, goal);
	fflush(stdout);
}

/* --- ingest -------------------------------------------------------------------------------- */

struct producer {
	int prog_fd;
	double rate; /* events/s; 0 = as fast as possible */
	atomic_bool stop;
	uint64_t produced;
	uint64_t cpu_ns; /* this thread's CPU time */
};

static void *produce(void *arg)
{
	struct producer *p = arg;
	uint8_t pkt[64] = {0};
	uint64_t t0 = now_ns(CLOCK_MONOTONIC), done = 0;
	const int batch = p->rate > 0 ? (int)(p->rate / 1000) : 4096;

	while (!atomic_load(&p->stop)) {
		struct bpf_test_run_opts o = {.sz = sizeof(o),
					      .data_in = pkt,
					      .data_size_in = sizeof(pkt),
					      .repeat = batch > 0 ? batch : 1};

		if (bpf_prog_test_run_opts(p->prog_fd, &o))
			break;
		done += (uint64_t)o.repeat;
		if (p->rate > 0) {
			/* pace: sleep until the events so far are due */
			uint64_t due = t0 + (uint64_t)((double)done / p->rate * 1e9);
			uint64_t now = now_ns(CLOCK_MONOTONIC);

			if (due > now) {
				struct timespec ts = {
				    .tv_sec = (time_t)((due - now) / 1000000000ull),
				    .tv_nsec = (long)((due - now) % 1000000000ull)};
				nanosleep(&ts, NULL);
			}
		}
	}
	p->produced = done;
	p->cpu_ns = now_ns(CLOCK_THREAD_CPUTIME_ID);
	return NULL;
}

struct ingest_result {
	double secs;
	uint64_t events, lost;
	double reader_ns, process_ns; /* CPU per event: reader thread, whole process */
	uint64_t produced;
};

/* One run: the producer at rate (0 = flat out) for secs, the reader polling like the
 * recorder (every 2 ms, no wakeups). */
static int ingest_run(struct bench *skel, const struct gobin *bin, const struct go_offsets *off,
		      double rate, double secs, const char *tmpdir, bool file,
		      struct ingest_result *res)
{
	struct rec_ingest_opts io = {0};
	struct producer p = {.prog_fd = bpf_program__fd(skel->progs.produce), .rate = rate};
	struct rec_ring *rb = NULL;
	struct rec_ingest *ing = NULL;
	struct tf_writer *w = NULL;
	struct rec_ingest_stats st;
	uint64_t p0, p1;
	char path[4096];
	uint64_t t0, c0, lost0 = 0, lost1 = 0, end;
	uint32_t zero = 0;
	pthread_t th;
	int err = 0;

	snprintf(path, sizeof(path), "%s/record-bench.xgt", tmpdir);
	w = file ? tf_writer__open(path, NULL, NULL) : NULL;
	if (file && !w)
		return -errno;
	io.bin = bin;
	io.off = off;
	io.start_mono = now_ns(CLOCK_MONOTONIC);
	io.reorder_ns = 1000000;
	io.w = w;
	ing = rec_ingest__new(&io);
	rb = ing ? rec_ring__new(bpf_map__fd(skel->maps.events), rec_ingest__record, ing) : NULL;
	if (!rb) {
		err = -ENOMEM;
		goto out;
	}
	bpf_map_lookup_elem(bpf_map__fd(skel->maps.lost), &zero, &lost0);
	p0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
	c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
	t0 = now_ns(CLOCK_MONOTONIC);
	end = t0 + (uint64_t)(secs * 1e9);
	if (pthread_create(&th, NULL, produce, &p)) {
		err = -errno;
		goto out;
	}
	for (;;) {
		uint64_t now = now_ns(CLOCK_MONOTONIC);

		if (now >= end && !atomic_load(&p.stop)) {
			atomic_store(&p.stop, true);
			pthread_join(th, NULL);
		}
		while (rec_ring__consume(rb) == -EAGAIN)
			rec_ingest__release(ing, now_ns(CLOCK_MONOTONIC), false);
		rec_ingest__release(ing, now_ns(CLOCK_MONOTONIC), atomic_load(&p.stop));
		if (atomic_load(&p.stop))
			break;
		usleep(2000);
	}
	while (rec_ring__consume(rb) == -EAGAIN)
		rec_ingest__release(ing, now_ns(CLOCK_MONOTONIC), false);
	rec_ingest__release(ing, now_ns(CLOCK_MONOTONIC), true);
	res->reader_ns = (double)(now_ns(CLOCK_THREAD_CPUTIME_ID) - c0);
	err = tf_writer__close(w); /* the writer thread finishes encoding: part of the cost */
	w = NULL;
	p1 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
	res->secs = (double)(now_ns(CLOCK_MONOTONIC) - t0) / 1e9;
	bpf_map_lookup_elem(bpf_map__fd(skel->maps.lost), &zero, &lost1);
	rec_ingest__stats(ing, &st);
	res->events = st.delivered;
	res->lost = lost1 - lost0;
	res->produced = p.produced;
	/* every thread but the producer: reader, writer (encoding, compression, writing) */
	res->process_ns =
	    ((double)(p1 - p0) - (double)p.cpu_ns) / (st.delivered ? (double)st.delivered : 1);
	res->reader_ns /= st.delivered ? (double)st.delivered : 1;
out:
	rec_ring__free(rb);
	rec_ingest__free(ing);
	tf_writer__close(w);
	unlink(path);
	return err;
}

#define NTURNS 3

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of v[odd], v[odd + 2], ... (NTURNS values). */
static double median_of_turns(const double *v, int odd)
{
	double t[NTURNS];

	for (int i = 0; i < NTURNS; i++)
		t[i] = v[2 * i + odd];
	qsort(t, NTURNS, sizeof(t[0]), cmp_double);
	return t[NTURNS / 2];
}

static int cmd_ingest(const char *binary, const char *tmpdir)
{
	struct go_offsets off;
	struct ingest_result r;
	struct gobin *bin = NULL;
	struct bench *skel = NULL;
	double best = 0, tried = 0, reader[2 * NTURNS], process[2 * NTURNS];
	char name[160];
	int err;

	bin = gobin__open(binary);
	if (!bin || gobin__offsets(bin, &off)) {
		fprintf(stderr, "record-bench: %s\n", xg_errmsg());
		return 1;
	}
	skel = bench__open_and_load();
	if (!skel) {
		fprintf(stderr, "record-bench: cannot load bpf/bench.bpf.c: %s\n", strerror(errno));
		gobin__close(bin);
		return 1;
	}

	/* a rate the whole pipeline sustains, so the reader never waits on the writer */
	err = ingest_run(skel, bin, &off, 1e6, 2.0, tmpdir, false, &r);
	if (err)
		goto out;
	row("record: ingest per event, ring buffer -> ordered xg_event (reader thread CPU, 1 M/s)",
	    r.reader_ns, "ns/event", "-");
	/* into the file, without and with a stack on every status change into waiting (15% of
	 * the events), in turns: the difference is small next to the noise of one run */
	for (int i = 0; i < 2 * NTURNS && !err; i++) {
		skel->bss->stacks = i & 1;
		err = ingest_run(skel, bin, &off, 1e6, 2.0, tmpdir, true, &r);
		reader[i] = r.reader_ns;
		process[i] = r.process_ns;
	}
	skel->bss->stacks = 0;
	if (err)
		goto out;
	row("record: ingest per event, ring buffer -> trace writer (reader thread CPU, 1 M/s)",
	    median_of_turns(reader, 0), "ns/event", "<= 30");
	row("record: CPU per event, reader + encoding + compression + write (all threads, 1 M/s)",
	    median_of_turns(process, 0), "ns/event", "-");
	row("record: CPU per event, as above, with an 8-PC stack (1 of 16) on each one into "
	    "waiting",
	    median_of_turns(process, 1), "ns/event", "-");
	row("record: CPU per blocking event for its stack, reader + writer (the difference / 0.15)",
	    (median_of_turns(process, 1) - median_of_turns(process, 0)) / 0.15, "ns", "-");

	/* flat out: the producer as fast as BPF_PROG_TEST_RUN goes on one CPU */
	err = ingest_run(skel, bin, &off, 0, 2.0, tmpdir, true, &r);
	if (err)
		goto out;
	snprintf(
	    name, sizeof(name),
	    "record: synthetic producer flat out: events recorded (%.1f M/s produced, %.1f M/s "
	    "dropped)",
	    (double)r.produced / r.secs / 1e6, (double)r.lost / r.secs / 1e6);
	row(name, (double)r.events / r.secs / 1e6, "M events/s", "-");

	/* the highest rate read with no drop, from 1 M/s up in steps of x1.25 */
	for (double rate = 1e6; rate <= 64e6; rate *= 1.25) {
		err = ingest_run(skel, bin, &off, rate, 1.0, tmpdir, true, &r);
		if (err)
			goto out;
		tried = rate;
		if (r.lost || (double)r.produced < rate * 0.9 * r.secs)
			break; /* drops, or the producer cannot go faster */
		best = (double)r.events / r.secs;
	}
	snprintf(name, sizeof(name),
		 "record: highest zero-drop rate into the trace file (next step %.1f M/s: %s)",
		 tried / 1e6, r.lost ? "drops" : "producer limit");
	row(name, best / 1e6, "M events/s", "-");
out:
	if (err)
		fprintf(stderr, "record-bench: ingest: %s (%s)\n", strerror(-err), xg_errmsg());
	bench__destroy(skel);
	gobin__close(bin);
	return err ? 1 : 0;
}

/* --- trap ---------------------------------------------------------------------------------- */

static int cmd_trap(bool entry, const char *kinds_arg, char *const argv[])
{
	struct rec_target t;
	struct rec_plan plan;
	struct go_offsets off;
	struct gobin *bin = NULL;
	struct bench *skel = NULL;
	struct bpf_link **links = NULL;
	struct bpf_prog_info pi;
	uint32_t kinds, nl = 0, len = sizeof(pi);
	int stats = -1, status, err = 1;

	if (recorder__parse_kinds(kinds_arg, &kinds) || rec_target__resolve(&t, argv) ||
	    !(bin = gobin__open(t.exe)) || gobin__offsets(bin, &off) ||
	    rec_plan__build(&plan, bin, &off, kinds)) {
		fprintf(stderr, "record-bench: %s\n", xg_errmsg());
		gobin__close(bin);
		return 1;
	}
	skel = bench__open_and_load();
	stats = bpf_enable_stats(BPF_STATS_RUN_TIME);
	links = calloc(plan.n + 1, sizeof(*links));
	if (!skel || stats < 0 || !links || rec_target__launch(&t, argv, -1)) {
		fprintf(stderr, "record-bench: %s\n",
			xg_errmsg()[0] ? xg_errmsg() : strerror(errno));
		goto out;
	}
	for (uint32_t i = 0; i < plan.n; i++) {
		const struct rec_probe *p = &plan.probes[i];
		uint64_t at = p->file_off;

		/* the function's first byte, for the probes that sit at an entry */
		if (entry && p->prog != REC_PROG_CAS_SITE && p->prog != REC_PROG_NEWG_CALL)
			at -= p->off;
		links[nl] = bpf_program__attach_uprobe(skel->progs.empty, false, t.pid, t.exe, at);
		if (!links[nl]) {
			fprintf(stderr, "record-bench: attach at %s: %s\n", p->func,
				strerror(errno));
			rec_target__stop(&t, 0);
			goto out;
		}
		nl++;
	}
	rec_target__resume(&t);
	waitpid(t.pid, &status, 0);
	t.exited = true;
	memset(&pi, 0, sizeof(pi));
	bpf_obj_get_info_by_fd(bpf_program__fd(skel->progs.empty), &pi, &len);
	fprintf(stderr, "{\"hits\": %llu, \"bpf_ns\": %llu, \"probes\": %u}\n",
		(unsigned long long)pi.run_cnt, (unsigned long long)pi.run_time_ns, nl);
	err = WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
out:
	for (uint32_t i = 0; i < nl; i++)
		bpf_link__destroy(links[i]);
	free(links);
	if (stats >= 0)
		close(stats);
	bench__destroy(skel);
	rec_target__close(&t);
	rec_plan__free(&plan);
	gobin__close(bin);
	return err;
}

struct pcs {
	uint64_t *v;
	size_t n, cap;
};

static int collect_pc(const struct gobin_func *f, void *ctx)
{
	struct pcs *p = ctx;

	for (uint64_t off = 1; off < f->size; off += 16) {
		if (xg_array_grow((void **)&p->v, &p->cap, p->n + 1, sizeof(*p->v)))
			return -ENOMEM;
		p->v[p->n++] = f->addr + off;
	}
	return 0;
}

static int cmd_symbolize(const char *binary)
{
	struct gobin_frame fr[GOBIN_MAX_PC_FRAMES];
	struct gobin *bin = gobin__open(binary);
	struct pcs p = {0};
	struct gobin_pcinfo pi;
	uint64_t frames = 0, t0;
	double expand = 0, lookup = 0;

	if (!bin || gobin__for_each_func(bin, "", collect_pc, &p) || !p.n) {
		fprintf(stderr, "record-bench: %s: %s\n", binary,
			bin ? "no functions" : xg_errmsg());
		gobin__close(bin);
		free(p.v);
		return 1;
	}
	for (int round = 0; round < 3; round++) {
		double dt;

		t0 = now_ns(CLOCK_MONOTONIC);
		frames = 0;
		for (size_t i = 0; i < p.n; i++) {
			int n = gobin__pc_frames(bin, p.v[i], true, fr, GOBIN_MAX_PC_FRAMES);

			frames += n > 0 ? (uint64_t)n : 0;
		}
		dt = (double)(now_ns(CLOCK_MONOTONIC) - t0) / (double)p.n;
		expand = round && expand < dt ? expand : dt;
		t0 = now_ns(CLOCK_MONOTONIC);
		for (size_t i = 0; i < p.n; i++)
			gobin__pc_lookup(bin, p.v[i] - 1, &pi);
		dt = (double)(now_ns(CLOCK_MONOTONIC) - t0) / (double)p.n;
		lookup = round && lookup < dt ? lookup : dt;
	}
	printf("symbolize: PC -> frames, inline expansion (%zu PCs, %.2f frames each)\t%.0f\t"
	       "ns/PC\t-\n",
	       p.n, (double)frames / (double)p.n, expand);
	printf("symbolize: PC -> function only (before inline expansion)\t%.0f\tns/PC\t-\n",
	       lookup);
	gobin__close(bin);
	free(p.v);
	return 0;
}

int main(int argc, char **argv)
{
	libbpf_set_print(NULL);
	if (argc >= 3 && !strcmp(argv[1], "symbolize"))
		return cmd_symbolize(argv[2]);
	if (argc >= 3 && !strcmp(argv[1], "ingest"))
		return cmd_ingest(argv[2], argc > 3 ? argv[3] : "/tmp");
	if (argc >= 6 && !strcmp(argv[1], "trap") && !strcmp(argv[4], "--"))
		return cmd_trap(!strcmp(argv[2], "entry"), argv[3], &argv[5]);
	fprintf(stderr, "usage: record-bench ingest BINARY [TMPDIR]\n"
			"       record-bench trap placed|entry KINDS -- PROGRAM [ARGS...]\n");
	return 2;
}
