// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xgotop record: trace a Go program's goroutines, allocations and GC into a trace file.
 *
 *   xgotop record [OPTIONS] -p PID
 *   xgotop record [OPTIONS] -- PROGRAM [ARGS...]
 *
 * Exit status: 0 recorded (whatever the target's own exit status); 1 a run-time failure (BPF
 * load or attach, the process vanished, the file could not be written); 2 bad usage or bad
 * input (not a Go binary, unsupported Go version).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "offline/clickhouse.h"
#include "offline/open.h"
#include "record/recorder.h"
#include "util/err.h"
#include "viewer/outputs.h"

enum {
	OPT_EVENTS = 0x1200,
	OPT_SAMPLE,
	OPT_STACKS,
	OPT_NO_STACKS,
	OPT_RINGBUF,
	OPT_PLAN,
	OPT_POLL,
	OPT_SAMPLE_FILE,
	OPT_BPF_STATS,
	OPT_MODE,
	OPT_CPU_HZ,
	OPT_HEAP_INTERVAL,
	OPT_SNAPSHOT_INTERVAL,
	OPT_MEM_PROFILE_RATE,
	OPT_EXIT_PROBE,
	OPT_EXIT_INTERVAL,
	OPT_PROGRAM_OUTPUT,
	OPT_BUDGET,
	OPT_PUSH,
};

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: xgotop record [OPTIONS] -p PID\n"
	    "       xgotop record [OPTIONS] -- PROGRAM [ARGS...]\n"
	    "\n"
	    "Records a Go program's goroutines, allocations and GC cycles into a trace file,\n"
	    "with eBPF. A launched PROGRAM is traced from its first instruction; -p attaches\n"
	    "to a running process. Recording stops when the process exits, on Ctrl-C or\n"
	    "SIGTERM, or after --duration; a launched program still running then is sent\n"
	    "SIGTERM. Only that process (all its threads) is traced, not its children.\n"
	    "\n"
	    "Two modes:\n"
	    "  production  (default with -p) for a busy service: CPU samples per goroutine with\n"
	    "              stacks from perf events (no uprobe), the runtime's own sampled\n"
	    "              allocations (one per MemProfileRate bytes, 512 KiB by default), one\n"
	    "              cheap trap per goroutine creation (exits are read, not trapped), GC\n"
	    "              cycles, and heap figures and every goroutine's status read from the\n"
	    "              process's memory at a fixed rate. Sampled figures are marked.\n"
	    "  full        (default with -- PROGRAM) every status change and every allocation,\n"
	    "              exactly: a trap each, a large slowdown on a busy program.\n"
	    "\n"
	    "options:\n"
	    "  -o, --output FILE      trace file (default xgotop-<prog>-<YYYYmmdd-HHMMSS>.xgt)\n"
	    "  -p, --pid PID          attach to a running process\n"
	    "  -d, --duration DUR     stop after DUR (e.g. 500ms, 5s, 2m)\n"
	    "      --program-output FILE  a launched PROGRAM's stdout and stderr go to FILE,\n"
	    "                         in the order written. By default they go to the trace\n"
	    "                         file's name + .out (demo.xgt.out) while the TUI is shown\n"
	    "                         or JSON lines go to stdout, and stay on xgotop's stdout\n"
	    "                         and stderr otherwise\n"
	    "      --mode MODE        production or full (see above)\n"
	    "      --budget PERCENT   the share of the program's CPU time the probes' traps may\n"
	    "                         take (production default 1%%; full: none, every probe\n"
	    "                         stays in). xgotop measures a trap's price here and each\n"
	    "                         probe's hits, and keeps the probes in only for windows\n"
	    "                         the budget pays for (production: creations first to\n"
	    "                         go, then allocation samples, GC last; full: allocations,\n"
	    "                         then goroutines, GC last, with the goroutines, heap and\n"
	    "                         scheduler counts read from memory as in production;\n"
	    "                         CPU samples and memory reads are not traps). The windows\n"
	    "                         are in the trace. \"none\": no budget\n"
	    "      --events LIST      kinds to record. full: go_create,go_exit,go_state,alloc,\n"
	    "                         gc_start,gc_end (the default) and sched (the scheduler's\n"
	    "                         counts, read from memory at the heap interval).\n"
	    "                         production: go_create,go_exit,cpu_sample,alloc_sample,\n"
	    "                         heap,snapshot,sched,gc_start,gc_end (the default) and\n"
	    "                         alloc: every large allocation exactly (Go 1.24+, a trap\n"
	    "                         each; under a budget, while its probe is in). gc = both\n"
	    "                         gc kinds, all = every kind of the mode\n"
	    "      --cpu-hz N         production: CPU samples per second (default 99)\n"
	    "      --heap-interval DUR  read the heap figures and the scheduler's counts this\n"
	    "                         often (100ms)\n"
	    "      --snapshot-interval DUR  production: read every goroutine's status this\n"
	    "                         often (default 1s)\n"
	    "      --exit-interval DUR  production: goroutine exits are seen without a probe,\n"
	    "                         by reading the goroutines created this often (100ms):\n"
	    "                         an exit's time is when it was seen, at most DUR late\n"
	    "      --exit-probe       production, with --budget none: a probe on gdestroy\n"
	    "                         instead (a trap per exit, exact exit times)\n"
	    "      --mem-profile-rate N  production: set the program's runtime.MemProfileRate\n"
	    "                         to N bytes while recording (written into its memory;\n"
	    "                         put back at the end). Needed for allocation samples in\n"
	    "                         programs without runtime/pprof, where it is 0\n"
	    "      --sample KIND=RATE keep this fraction of KIND in the kernel, e.g. alloc=0.01;\n"
	    "                         goroutine kinds keep whole goroutines, alloc keeps each\n"
	    "                         allocation at random; repeatable\n"
	    "      --sample-file FILE KIND=RATE lines, read at start and again on SIGHUP, which\n"
	    "                         changes the rates in the kernel while recording (the\n"
	    "                         file's metadata keeps the rates of the start); a line\n"
	    "                         budget=PERCENT sets the budget (a change is a budget\n"
	    "                         event in the trace)\n"
	    "      --stacks           user stacks on creation, blocking and allocations, every\n"
	    "                         frame (up to 64)\n"
	    "      --no-stacks        no stacks on goroutine events (production's samples and\n"
	    "                         snapshots keep theirs). Full mode's default: each go_state\n"
	    "                         into waiting, syscall or preempted has the first %d frames\n"
	    "                         of where the goroutine stopped, from one read of its stack:\n"
	    "                         0.2-0.3 us of BPF per blocking event measured, next to\n"
	    "                         1.3-1.5 us for an event (trap, BPF, userspace). Every frame\n"
	    "                         costs as much plus a read per 2 KiB of stack (0.7-1.1 us\n"
	    "                         at 48 frames): over a tenth of an event, so not the\n"
	    "                         default. (Blocked goroutines' snapshots at attach have\n"
	    "                         their whole stack.)\n"
	    "      --ringbuf-size N   ring buffer bytes, a power of 2 (default 16M)\n"
	    "      --plan             print where each probe goes and exit\n"
	    "      --bpf-stats        report each BPF program's kernel run count and time\n"
	    "      --push URL         stream the events to ClickHouse while recording (see\n"
	    "                         `xgotop push`), then add the stacks and the trace's row\n"
	    "                         from the finished file; a server down or refusing\n"
	    "                         costs nothing recorded: `xgotop push URL FILE` later\n"
	    "                         completes the trace\n"
	    "  -q, --quiet            no summary on stderr\n",
	    RECORDER_BLOCK_FRAMES);
	viewer_opts__usage(f);
	fprintf(f, "\nExit status: 0 recorded (whatever the target's own status), 1 run-time\n"
		   "failure (BPF, the process vanished, writing), 2 bad usage or input (not a Go\n"
		   "binary, unsupported Go version).\n");
}

/* "5s", "500ms", "2m", "1h", "1.5" (seconds) -> ns */
static int parse_duration(const char *s, uint64_t *ns)
{
	char *end;
	double v, mul = 1e9;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !(v > 0))
		return -EINVAL;
	if (!strcmp(end, "ms"))
		mul = 1e6;
	else if (!strcmp(end, "us"))
		mul = 1e3;
	else if (!strcmp(end, "m"))
		mul = 60e9;
	else if (!strcmp(end, "h"))
		mul = 3600e9;
	else if (*end && strcmp(end, "s") != 0)
		return -EINVAL;
	*ns = (uint64_t)(v * mul);
	return 0;
}

static int parse_size(const char *s, size_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -EINVAL;
	if (*end == 'K' || *end == 'k')
		v <<= 10, end++;
	else if (*end == 'M' || *end == 'm')
		v <<= 20, end++;
	else if (*end == 'G' || *end == 'g')
		v <<= 30, end++;
	if (*end)
		return -EINVAL;
	*out = (size_t)v;
	return 0;
}

static void print_plan(const struct rec_plan *p)
{
	printf("%-12s %-45s %8s %8s  %s\n", "PROGRAM", "FUNCTION", "OFFSET", "EMULATED",
	       "INSTRUCTION");
	for (uint32_t i = 0; i < p->n; i++) {
		const struct rec_probe *pr = &p->probes[i];

		printf("%-12s %-45s %8u %8s  %s\n", rec_prog_name(pr->prog), pr->func, pr->off,
		       pr->emulated ? "yes" : "no", pr->insn);
	}
	if (p->production) {
		printf("mode: production\n");
		printf("allocations: %s\n", p->alloc_mode ? p->alloc_mode : "sampled only");
		printf("creation: %s\n", p->create_mode ? p->create_mode : "not recorded");
		if (p->g_in_reg)
			printf("cpu samples: g from the interrupted thread's x28\n");
		else if (p->tls_from)
			printf("cpu samples: g at fs%+d (%s)\n", p->tls_g_off, p->tls_from);
		if (p->typ_calls) {
			uint32_t l0 = 0;

			for (uint32_t i = 0; i < p->ntyp; i++)
				l0 += !p->typ_level[i];
			printf("allocation sample types: from the allocating function at %u of %u "
			       "calls to profilealloc, from mallocgc at %u of its calls\n",
			       l0, p->typ_calls, p->ntyp - l0);
		}
	} else {
		printf("mode: full\n");
		printf("allocations: %s\n", p->alloc_mode ? p->alloc_mode : "not recorded");
		printf("creation: %s\n",
		       p->create_deferred
			   ? "deferred to the call of runqput (goid set after casgstatus)"
			   : "at casgstatus");
	}
	if (p->warnings[0])
		printf("warnings: %s\n", p->warnings);
}

static void summary(struct recorder *r)
{
	struct recorder_stats st;
	uint64_t total = 0, lost = 0;

	recorder__stats(r, &st);
	for (unsigned int k = 0; k < XG_EV_KIND_MAX; k++) {
		total += st.events[k];
		lost += st.lost[k];
	}
	fprintf(stderr, "xgotop record: %" PRIu64 " events (", total);
	for (unsigned int k = 1, first = 1; k < XG_EV_KIND_MAX; k++) {
		if (!st.events[k])
			continue;
		fprintf(stderr, "%s%s %" PRIu64, first ? "" : ", ", xg_kind_name(k), st.events[k]);
		first = 0;
	}
	fprintf(stderr, "), %" PRIu64 " lost\n", lost);
	fprintf(stderr, "xgotop record: stopped (%s); the target %s\n",
		st.end_reason ? st.end_reason : "stopped", st.target_status);
	if (st.lat_n)
		fprintf(
		    stderr,
		    "xgotop record: probe-to-output delay p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
		    (double)st.lat_p50 / 1e6, (double)st.lat_p99 / 1e6, (double)st.lat_max / 1e6);
	for (int p = 0; p < REC_PROG_MAX; p++)
		if (st.prog_runs[p])
			fprintf(stderr,
				"xgotop record: bpf %-10s %10" PRIu64 " runs %8.1f ns/run\n",
				rec_prog_name(p), st.prog_runs[p],
				(double)st.prog_ns[p] / (double)st.prog_runs[p]);
	if (st.production && (st.polls_heap || st.polls_snapshot || st.polls_exit))
		fprintf(stderr,
			"xgotop record: %" PRIu64 " heap reads, %" PRIu64
			" goroutine snapshots, %" PRIu64 " exit checks (%" PRIu64
			" exits seen there, %" PRIu64 " by g reuse), %.1f ms reading in all\n",
			st.polls_heap, st.polls_snapshot, st.polls_exit, st.exits_polled,
			st.exits_reused, (double)st.poll_ns / 1e6);
	if (st.polls_sched || st.sched_dropped[0] || st.sched_dropped[1] || st.sched_dropped[2])
		fprintf(stderr,
			"xgotop record: %" PRIu64 " scheduler count reads, %" PRIu64
			" dropped (allp %" PRIu64 ", p %" PRIu64 ", count %" PRIu64 ")\n",
			st.polls_sched,
			st.sched_dropped[REC_SCHED_BAD_ALLP] + st.sched_dropped[REC_SCHED_BAD_P] +
			    st.sched_dropped[REC_SCHED_BAD_COUNT],
			st.sched_dropped[REC_SCHED_BAD_ALLP], st.sched_dropped[REC_SCHED_BAD_P],
			st.sched_dropped[REC_SCHED_BAD_COUNT]);
	if (st.walk.stacks || st.walk.stacks_kept || st.walk.stacks_owed || st.walk.stacks_none)
		fprintf(stderr,
			"xgotop record: %" PRIu64 " goroutine walks, %.1f ms (the first %.1f ms, "
			"the last %.1f ms); stacks of blocked goroutines: %" PRIu64
			" read in %" PRIu64
			" walks (%.1f KiB, the first walk %.1f KiB; %.1f ms), %" PRIu64
			" kept from an earlier walk, %" PRIu64
			" put off by the %u KiB per walk, %" PRIu64
			" read again (they ran while read), %" PRIu64
			" moved on while read, %" PRIu64 " without a frame chain\n",
			st.walk.walks, (double)st.walk.ns / 1e6, (double)st.walk.first_ns / 1e6,
			(double)st.walk.last_ns / 1e6, st.walk.stacks, st.walk.stack_walks,
			(double)st.walk.stack_bytes / 1024,
			(double)st.walk.stack_bytes_first / 1024, (double)st.walk.stack_ns / 1e6,
			st.walk.stacks_kept, st.walk.stacks_owed, REC_WALK_STACK_BUDGET / 1024,
			st.walk.stacks_retried, st.walk.stacks_moved, st.walk.stacks_none);
	if (st.traps && st.trap_ns > 0) {
		double cost_ns = (double)st.traps * st.trap_ns;

		fprintf(
		    stderr,
		    "xgotop record: the probes were hit %" PRIu64
		    " times; a trap costs %.2f us here (measured), so the traps alone took about "
		    "%.1f ms of the target's CPU",
		    st.traps, st.trap_ns / 1e3, cost_ns / 1e6);
		if (st.target_cpu_ns > 0)
			fprintf(stderr, ", %.1f%% of the %.2f s it used while recorded",
				100 * cost_ns / (double)st.target_cpu_ns,
				(double)st.target_cpu_ns / 1e9);
		fprintf(stderr, "\n");
	} else if (st.traps) {
		fprintf(stderr, "xgotop record: the probes were hit %" PRIu64 " times (%s)\n",
			st.traps, st.trap_error[0] ? st.trap_error : "trap cost not measured");
	}
	if (st.self_cpu_ns) {
		fprintf(stderr, "xgotop record: xgotop itself used %.2f s of CPU",
			(double)st.self_cpu_ns / 1e9);
		if (st.target_cpu_ns > 0)
			fprintf(stderr, ", %.1f%% of the target's",
				100 * (double)st.self_cpu_ns / (double)st.target_cpu_ns);
		fprintf(stderr, " (reading, writing, walks, outputs)\n");
	}
	if (st.budget >= 0) {
		fprintf(stderr, "xgotop record: budget %g%% of the target's CPU: probes in",
			100 * st.budget);
		for (unsigned int k = 0, first = 1; k < XG_EV_KIND_MAX; k++)
			if (st.coverage[k] >= 0) {
				fprintf(stderr, "%s %s %.1f%%", first ? "" : ",", xg_kind_name(k),
					100 * st.coverage[k]);
				first = 0;
			}
		fprintf(stderr, " of the time (%" PRIu64 " switches)%s%s\n", st.budget_switches,
			st.budget_error[0] ? "; stopped following it: " : "", st.budget_error);
	}
	if (st.production && st.events[XG_EV_ALLOC_SAMPLE])
		fprintf(stderr,
			"xgotop record: %" PRIu64 " of %" PRIu64 " allocation samples typed\n",
			st.samples_typed, st.events[XG_EV_ALLOC_SAMPLE]);
	if (st.poll_error[0])
		fprintf(stderr, "xgotop record: stopped reading the target: %s\n", st.poll_error);
	if (st.unresolved)
		fprintf(stderr,
			"xgotop record: %" PRIu64 " goroutine events with an unknown goid\n",
			st.unresolved);
	if (st.bad_records)
		fprintf(stderr, "xgotop record: %" PRIu64 " malformed records ignored\n",
			st.bad_records);
}

/*
 * record --push, once the trace file is complete: pushes it (the streamed events are found
 * there, the stacks and the trace's row added; whatever is missing, the whole trace). false
 * when that failed: the file has everything, and the message says how to complete it.
 */
static bool finish_push(const char *url, const char *path, struct ch_conn *c, bool conn_ok,
			bool summarize)
{
	struct ch_push_stats st = {0};
	struct trace *t;
	int err = conn_ok ? 0 : ch_conn__open(c, url);

	if (!err) {
		c->quiet = !summarize;
		t = trace__open(path, NULL);
		err = t ? ch_conn__push(c, t, &st) : -(errno ? errno : EIO);
		trace__close(t);
	}
	if (err) {
		xg_report_error(false, "record",
				"--push: %s; %s has the whole recording: `xgotop "
				"push %s %s` completes it",
				xg_errmsg()[0] ? xg_errmsg() : strerror(-err), path, url, path);
		return false;
	}
	if (summarize)
		fprintf(stderr, "xgotop record: pushed %s to ClickHouse at %s: %s\n", path, c->who,
			st.skipped    ? "it was there already"
			: st.streamed ? "the streamed events are all there; stacks and the trace's "
					"row added"
				      : "whole (the streamed events were incomplete)");
	return true;
}

static int cmd_record(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"pid", required_argument, NULL, 'p'},
	    {"duration", required_argument, NULL, 'd'},
	    {"events", required_argument, NULL, OPT_EVENTS},
	    {"sample", required_argument, NULL, OPT_SAMPLE},
	    {"stacks", no_argument, NULL, OPT_STACKS},
	    {"no-stacks", no_argument, NULL, OPT_NO_STACKS},
	    {"ringbuf-size", required_argument, NULL, OPT_RINGBUF},
	    {"poll-ms", required_argument, NULL, OPT_POLL},
	    {"sample-file", required_argument, NULL, OPT_SAMPLE_FILE},
	    {"bpf-stats", no_argument, NULL, OPT_BPF_STATS},
	    {"plan", no_argument, NULL, OPT_PLAN},
	    {"mode", required_argument, NULL, OPT_MODE},
	    {"cpu-hz", required_argument, NULL, OPT_CPU_HZ},
	    {"heap-interval", required_argument, NULL, OPT_HEAP_INTERVAL},
	    {"snapshot-interval", required_argument, NULL, OPT_SNAPSHOT_INTERVAL},
	    {"mem-profile-rate", required_argument, NULL, OPT_MEM_PROFILE_RATE},
	    {"exit-probe", no_argument, NULL, OPT_EXIT_PROBE},
	    {"exit-interval", required_argument, NULL, OPT_EXIT_INTERVAL},
	    {"program-output", required_argument, NULL, OPT_PROGRAM_OUTPUT},
	    {"budget", required_argument, NULL, OPT_BUDGET},
	    {"push", required_argument, NULL, OPT_PUSH},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    VIEWER_LONG_OPTS,
	    {NULL, 0, NULL, 0},
	};
	struct recorder_opts o = {.sz = sizeof(o)};
	struct viewer_opts vo;
	struct recorder *r = NULL;
	struct sink *sink = NULL, *stream = NULL;
	struct ch_conn conn;
	const char *push_url = NULL;
	bool plan = false, json, summarize, conn_ok = false;
	sigset_t sigs;
	int c, err, ret = XG_EXIT_OK;

	viewer_opts__init(&vo);
	optind = 1;
	while ((c = getopt_long(argc, argv, "+o:p:d:qh", longopts, NULL)) != -1) {
		char *end;

		switch (c) {
		case 'o':
			o.out_path = optarg;
			break;
		case 'p':
			errno = 0;
			o.pid = (pid_t)strtol(optarg, &end, 10);
			if (errno || *end || o.pid <= 0) {
				xg_report_error(vo.json, "record", "-p %s: not a process id",
						optarg);
				return XG_EXIT_USAGE;
			}
			break;
		case 'd':
			if (parse_duration(optarg, &o.duration_ns)) {
				xg_report_error(vo.json, "record",
						"--duration %s: expected e.g. 5s, 500ms", optarg);
				return XG_EXIT_USAGE;
			}
			break;
		case OPT_EVENTS:
			if (recorder__parse_kinds(optarg, &o.kinds)) {
				xg_report_error(vo.json, "record", "%s", xg_errmsg());
				return XG_EXIT_USAGE;
			}
			break;
		case OPT_SAMPLE:
			if (recorder__parse_sample(optarg, &o)) {
				xg_report_error(vo.json, "record", "%s", xg_errmsg());
				return XG_EXIT_USAGE;
			}
			break;
		case OPT_BPF_STATS:
			o.bpf_stats = true;
			break;
		case OPT_MODE:
			if (recorder__parse_mode(optarg, &o.mode)) {
				xg_report_error(vo.json, "record", "%s", xg_errmsg());
				return XG_EXIT_USAGE;
			}
			break;
		case OPT_CPU_HZ: {
			unsigned long hz;

			errno = 0;
			hz = strtoul(optarg, &end, 10);
			if (errno || *end || hz < 1 || hz > 10000) {
				xg_report_error(vo.json, "record",
						"--cpu-hz %s: expected a frequency from 1 to 10000",
						optarg);
				return XG_EXIT_USAGE;
			}
			o.cpu_hz = (unsigned int)hz;
			break;
		}
		case OPT_MEM_PROFILE_RATE: {
			long long rate;

			errno = 0;
			rate = strtoll(optarg, &end, 0);
			if (errno || *end || rate < 1) {
				xg_report_error(vo.json, "record",
						"--mem-profile-rate %s: expected a byte count >= 1",
						optarg);
				return XG_EXIT_USAGE;
			}
			o.mem_profile_rate = rate;
			break;
		}
		case OPT_EXIT_PROBE:
			o.exit_probe = true;
			break;
		case OPT_PUSH: {
			struct xg_url u;

			if (xg_url_parse(optarg, &u)) {
				xg_report_error(vo.json, "record", "--push: %s", xg_errmsg());
				return XG_EXIT_USAGE;
			}
			push_url = optarg;
			break;
		}
		case OPT_BUDGET:
			if (recorder__parse_budget(optarg, &o.budget)) {
				xg_report_error(vo.json, "record", "%s", xg_errmsg());
				return XG_EXIT_USAGE;
			}
			o.budget_set = true;
			break;
		case OPT_HEAP_INTERVAL:
		case OPT_EXIT_INTERVAL:
		case OPT_SNAPSHOT_INTERVAL: {
			uint64_t ns;

			if (parse_duration(optarg, &ns) || ns < 1000000 || ns > 3600000000000ull) {
				xg_report_error(vo.json, "record",
						"%s %s: expected a duration from 1ms to 1h",
						c == OPT_HEAP_INTERVAL	 ? "--heap-interval"
						: c == OPT_EXIT_INTERVAL ? "--exit-interval"
									 : "--snapshot-interval",
						optarg);
				return XG_EXIT_USAGE;
			}
			if (c == OPT_HEAP_INTERVAL)
				o.heap_ms = (unsigned int)(ns / 1000000);
			else if (c == OPT_EXIT_INTERVAL)
				o.exit_ms = (unsigned int)(ns / 1000000);
			else
				o.snapshot_ms = (unsigned int)(ns / 1000000);
			break;
		}
		case OPT_SAMPLE_FILE:
			o.sample_file = optarg;
			break;
		case OPT_PROGRAM_OUTPUT:
			if (!*optarg) {
				xg_report_error(vo.json, "record",
						"--program-output: no file name");
				return XG_EXIT_USAGE;
			}
			o.program_output = optarg;
			break;
		case OPT_STACKS:
			o.stacks = RECORDER_STACKS_ALL;
			break;
		case OPT_NO_STACKS:
			o.stacks = RECORDER_STACKS_NONE;
			break;
		case OPT_RINGBUF:
			if (parse_size(optarg, &o.ringbuf_bytes)) {
				xg_report_error(vo.json, "record", "--ringbuf-size %s: not a size",
						optarg);
				return XG_EXIT_USAGE;
			}
			break;
		case OPT_POLL: {
			long ms;

			errno = 0;
			ms = strtol(optarg, &end, 10);
			if (errno || *end || ms < 1 || ms > 1000) {
				xg_report_error(vo.json, "record",
						"--poll-ms %s: not a number of ms from 1 to 1000",
						optarg);
				return XG_EXIT_USAGE;
			}
			o.poll_ms = (int)ms;
			break;
		}
		case OPT_PLAN:
			plan = true;
			break;
		case 'q':
			o.quiet = true;
			break;
		case 'h':
			usage(stdout);
			return XG_EXIT_OK;
		default:
			err = viewer_opts__parse(&vo, c, optarg);
			if (err > 0)
				break;
			if (err < 0)
				xg_report_error(vo.json, "record", "%s", xg_errmsg());
			else
				usage(stderr);
			return XG_EXIT_USAGE;
		}
	}
	json = vo.json;
	if (optind < argc)
		o.argv = &argv[optind];
	if ((o.pid > 0) == (o.argv != NULL)) {
		xg_report_error(json, "record", "give either -p PID or -- PROGRAM [ARGS...]");
		return XG_EXIT_USAGE;
	}
	/* a probe on every exit is a trap the budget cannot take out: exits come from memory */
	if (o.exit_probe && (!o.budget_set || o.budget >= 0) &&
	    (o.mode == RECORDER_MODE_PRODUCTION || (o.mode == RECORDER_MODE_AUTO && o.pid > 0))) {
		xg_report_error(json, "record",
				"--exit-probe traps on every exit, which a budget cannot take out: "
				"add --budget none (under a budget, exits are read from memory)");
		return XG_EXIT_USAGE;
	}
	if (o.pid > 0 && o.program_output) {
		xg_report_error(json, "record",
				"--program-output: only for a launched program (-- PROGRAM)");
		return XG_EXIT_USAGE;
	}
	viewer_opts__finish(&vo);
	/* the TUI owns the terminal while recording: the summary comes after it closes; a
	 * launched program's output goes to a file rather than over the screen or into the JSON
	 * lines on stdout, where a line of its could land inside one of ours */
	summarize = !o.quiet;
	if (viewer_opts__tui(&vo))
		o.quiet = true;
	if ((viewer_opts__tui(&vo) || (vo.json && !vo.json_out)) && o.argv && !o.program_output)
		o.program_output = "";

	/* Ctrl-C and SIGTERM end the recording (taken from a signalfd in recorder__run); every
	 * thread started from here on inherits the mask, a launched program gets the defaults */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	if (o.sample_file)
		sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	r = recorder__new(&o);
	if (!r) {
		err = -errno;
		xg_report_error(json, "record", "%s",
				xg_errmsg()[0] ? xg_errmsg() : strerror(-err));
		return err == -ENOMEM || err == -EIO ? XG_EXIT_FAIL : XG_EXIT_USAGE;
	}
	if (plan) {
		print_plan(recorder__plan(r));
		recorder__free(r);
		return XG_EXIT_OK;
	}
	err = recorder__start(r);
	if (err) {
		xg_report_error(json, "record", "%s",
				xg_errmsg()[0] ? xg_errmsg() : strerror(-err));
		ret = XG_EXIT_FAIL;
		goto out;
	}
	if (summarize) {
		struct recorder_stats st;

		recorder__stats(r, &st);
		if (st.program_output)
			fprintf(stderr, "xgotop record: the program's output goes to %s\n",
				st.program_output);
	}
	if (vo.json || viewer_opts__tui(&vo) || vo.web || vo.null) {
		sink = viewer_outputs__new(&vo);
		if (!sink) {
			xg_report_error(json, "record", "%s", xg_errmsg());
			ret = XG_EXIT_FAIL;
			goto out;
		}
	}
	if (push_url) {
		conn_ok = !ch_conn__open(&conn, push_url);
		if (!conn_ok)
			fprintf(stderr,
				"xgotop record: --push: %s; recording goes on, and the trace is "
				"pushed at the end if the server is back by then\n",
				xg_errmsg());
		stream = conn_ok ? ch_stream__new(&conn) : NULL;
		if (stream && sink) {
			struct sink *both[2] = {sink, stream};
			struct sink *f = sink_fanout__new(both, 2);

			if (!f) {
				sink__free(stream);
				stream = NULL;
			} else {
				sink = f;
			}
		} else if (stream) {
			sink = stream;
		}
	}
	err = recorder__run(r, sink);
	if (stream) {
		struct ch_stream_stats ss;

		ch_stream__stats(stream, &ss);
		if (summarize)
			fprintf(stderr,
				"xgotop record: streamed %" PRIu64
				" events to ClickHouse at %s in %" PRIu64 " requests; %" PRIu64
				" failed requests, %" PRIu64 " events left for the "
				"file's push%s%s\n",
				ss.rows_sent, conn.who, ss.batches_sent, ss.failures,
				ss.rows_dropped, ss.last_error[0] ? "; last failure: " : "",
				ss.last_error);
	}
	if (err) {
		xg_report_error(json, "record", "%s",
				xg_errmsg()[0] ? xg_errmsg() : strerror(-err));
		ret = XG_EXIT_FAIL;
	}
out:
	sink__free(sink);
	if (summarize && ret == XG_EXIT_OK)
		summary(r);
	{
		struct recorder_stats st;
		char path[PATH_MAX], prog_out[PATH_MAX] = "";
		int werr;

		/* st's strings live in r */
		recorder__stats(r, &st);
		snprintf(path, sizeof(path), "%s", st.out_path);
		if (st.program_output)
			snprintf(prog_out, sizeof(prog_out), "%s", st.program_output);
		werr = recorder__free(r);
		if (werr) {
			xg_report_error(json, "record", "%s", xg_errmsg());
			ret = XG_EXIT_FAIL;
		} else if (summarize && ret == XG_EXIT_OK) {
			fprintf(stderr, "xgotop record: wrote %s\n", path);
		}
		if (push_url && !werr && ret == XG_EXIT_OK &&
		    !finish_push(push_url, path, &conn, conn_ok, summarize))
			ret = XG_EXIT_FAIL;
		if (summarize && prog_out[0])
			fprintf(stderr, "xgotop record: the program's output is in %s\n", prog_out);
	}
	return ret;
}
XG_COMMAND("record", cmd_record, "record a Go program's goroutines and allocations");
