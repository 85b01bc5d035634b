// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xgotop export FILE --format perfetto|chrome-json|pprof [--profile allocs|goroutines|cpu] -o OUT
 * xgotop export FILE... --format parquet -o OUT.parquet [--stacks STACKS.parquet]
 *
 * Writes a trace (or a bundle's trace) in a format other tools open (offline/export.h):
 * Perfetto protobuf for ui.perfetto.dev, Chrome JSON for chrome://tracing (small traces), and
 * pprof profiles for `go tool pprof` (allocations by stack and type, the goroutines alive at
 * the end by the stack they wait in, or CPU time by stack from production mode's CPU samples). OUT
 * "-" is standard output. Parquet takes many traces (a bundle: each of its traces, unless
 * BUNDLE:NAME.xgt names one) into one events file, one stacks file and one traces file (OUT
 * with .parquet replaced by .stacks.parquet and .traces.parquet, unless --stacks and --traces
 * name them).
 *
 * Exit status: 0 written (a trace not closed cleanly is noted on stderr); 1 the output cannot
 * be written; 2 bad usage, a file that cannot be read, or damaged parts skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "offline/bundle.h"
#include "offline/export.h"
#include "offline/open.h"
#include "util/err.h"

/* Chrome JSON above this many events loads slowly or not at all (catapult, the browser). */
#define CHROME_WARN_EVENTS 1000000

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: xgotop export FILE --format FORMAT -o OUT [--profile allocs|goroutines|cpu]\n"
	    "       xgotop export FILE... --format parquet -o OUT.parquet [--stacks FILE]\n"
	    "                     [--traces FILE] [--row-group N]\n\n"
	    "Writes a trace (or bundle) for other tools. OUT - is standard output.\n\n"
	    "  -f, --format perfetto      Perfetto protobuf: open in ui.perfetto.dev; a track\n"
	    "                             per goroutine with state slices, counters, flows\n"
	    "  -f, --format chrome-json   the same as Chrome JSON (chrome://tracing); small\n"
	    "                             traces only\n"
	    "  -f, --format pprof         gzip-compressed profile for `go tool pprof`\n"
	    "  -f, --format parquet       Parquet for DuckDB, ClickHouse, Spark...: the events\n"
	    "                             of every FILE (each trace of a bundle) in OUT, one\n"
	    "                             row per event; their stacks in OUT's name with\n"
	    "                             .stacks.parquet, one row per frame; the traces in\n"
	    "                             .traces.parquet, one row each with its metadata\n"
	    "  -s, --stacks FILE          parquet: the stacks file's name\n"
	    "  -t, --traces FILE          parquet: the traces file's name\n"
	    "  -r, --row-group N          parquet: at most N rows per row group (65536); a\n"
	    "                             row group never holds two traces\n"
	    "  -p, --profile allocs       pprof: allocations by stack and type (default)\n"
	    "  -p, --profile goroutines   pprof: Go's goroutine profile at the end: the\n"
	    "                             goroutines alive by the stack they wait in, labels\n"
	    "                             start_fn and created_by\n"
	    "  -p, --profile cpu          pprof: CPU time by stack, from the CPU samples of\n"
	    "                             a production-mode recording\n"
	    "  -o, --output OUT           the file to write\n"
	    "  -q, --quiet                no summary on stderr\n"
	    "  -h, --help                 this text\n\n"
	    "Exit status: 0 written; 2 bad usage or a file that cannot be read (or is\n"
	    "damaged); 1 the output cannot be written.\n");
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* OUT.parquet -> OUT.WHAT.parquet; another name gets .WHAT.parquet appended. */
static char *sibling_name(const char *out, const char *what)
{
	size_t n = strlen(out);
	char *s = NULL;

	if (n > 8 && !strcmp(out + n - 8, ".parquet"))
		n -= 8;
	if (asprintf(&s, "%.*s.%s.parquet", (int)n, out, what) < 0)
		return NULL;
	return s;
}

struct pq_run {
	struct export_parquet *x;
	struct xg_cli_warns warns;
};

/* Exports one trace (path, or a bundle's trace); with each_of_bundle, a bundle's other traces
 * too. 0, or an exit status with the error reported. */
static int parquet_one(struct pq_run *run, const char *path, bool each_of_bundle)
{
	TF_READER_OPTS(ro, .warn = xg_cli_warn, .warn_ctx = &run->warns);
	struct trace *t = trace__open(path, &ro);
	char **more = NULL;
	size_t nmore = 0;
	struct tf_info info;
	int err, ret = XG_EXIT_OK;

	if (!t) {
		xg_report_error(false, "export", "%s", xg_errmsg());
		return XG_EXIT_USAGE;
	}
	/* a bundle named alone (not BUNDLE:NAME.xgt) stands for all its traces */
	if (each_of_bundle && t->bundle && t->bundle->ntraces > 1 &&
	    !strcmp(t->bundle->path, path)) {
		struct bundle *b = t->bundle;

		more = calloc(b->n, sizeof(*more));
		for (size_t i = 0; more && i < b->n; i++) {
			const char *name = bundle__trace_name(b->m[i].name);

			if (i != b->trace && name && b->m[i].regular &&
			    asprintf(&more[nmore], "%s:%s", path, name) >= 0)
				nmore++;
		}
		if (!more) {
			xg_report_error(false, "export", "%s: out of memory", path);
			ret = XG_EXIT_FAIL;
			goto out;
		}
	}
	err = tf_reader__info(t->r, &info);
	if (!err && !info.clean)
		fprintf(stderr, "xgotop export: note: %s: %s\n", t->name, info.recovery);
	if (!err)
		err = export_parquet__add(run->x, t);
	if (err) {
		xg_report_error(false, "export", "%s: %s", t->name,
				xg_errmsg()[0] ? xg_errmsg() : strerror(-err));
		ret =
		    err == -EIO || err == -ENOSPC || err == -ENOMEM ? XG_EXIT_FAIL : XG_EXIT_USAGE;
		goto out;
	}
	for (size_t i = 0; i < nmore && !ret; i++)
		ret = parquet_one(run, more[i], false);
out:
	for (size_t i = 0; i < nmore; i++)
		free(more[i]);
	free(more);
	trace__close(t);
	return ret;
}

/* events, stacks, traces */
#define PQ_FILES 3

static int export_parquet_files(char **files, int n, const char *out, const char *stacks_arg,
				const char *traces_arg, uint32_t rg_rows, bool quiet)
{
	struct pq_run run = {.warns = {.cmd = "export"}};
	struct export_parquet_stats st;
	char *names[PQ_FILES] = {
	    strdup(out),
	    stacks_arg ? strdup(stacks_arg) : sibling_name(out, "stacks"),
	    traces_arg ? strdup(traces_arg) : sibling_name(out, "traces"),
	};
	FILE *f[PQ_FILES] = {NULL};
	int ret = XG_EXIT_OK, err = 0;
	bool complete = false;
	double t0 = now_s();

	for (int i = 0; i < PQ_FILES; i++) {
		if (!names[i]) {
			xg_report_error(false, "export", "out of memory");
			ret = XG_EXIT_FAIL;
			goto out;
		}
		for (int j = 0; j < i; j++)
			if (!strcmp(names[i], names[j]))
				ret = XG_EXIT_USAGE;
		if (!strcmp(names[i], "-"))
			ret = XG_EXIT_USAGE;
	}
	if (ret) {
		xg_report_error(false, "export",
				"parquet writes three files, OUT.parquet and its stacks and traces "
				"files, each its own and none standard output; see --help");
		goto out;
	}
	for (int i = 0; i < PQ_FILES; i++) {
		f[i] = fopen(names[i], "we");
		if (!f[i]) {
			xg_report_error(false, "export", "%s: %s", names[i], strerror(errno));
			ret = XG_EXIT_FAIL;
			goto out;
		}
		setvbuf(f[i], NULL, _IOFBF, 1 << 20);
	}
	run.x = export_parquet__new(f[0], f[1], f[2], rg_rows);
	if (!run.x) {
		xg_report_error(false, "export", "%s",
				xg_errmsg()[0] ? xg_errmsg() : strerror(errno));
		ret = XG_EXIT_FAIL;
		goto out;
	}
	for (int i = 0; i < n && !ret; i++)
		ret = parquet_one(&run, files[i], true);
	if (ret)
		goto out;
	err = export_parquet__close(run.x);
	for (int i = 0; i < PQ_FILES && !err; i++)
		if (fflush(f[i]) || ferror(f[i]))
			err = xg_error(-EIO, "%s: %s", names[i], strerror(errno));
	if (err) {
		xg_report_error(false, "export", "%s",
				xg_errmsg()[0] ? xg_errmsg() : strerror(-err));
		ret = XG_EXIT_FAIL;
		goto out;
	}
	complete = true;
	export_parquet__stats(run.x, &st);
	if (!quiet)
		fprintf(stderr,
			"xgotop export: wrote %s: %" PRIu64 " events of %" PRIu64
			" trace%s in %" PRIu64 " row groups, %" PRIu64
			" bytes (%.2f B/event); %s: %" PRIu64 " frames of %" PRIu64
			" stacks, %" PRIu64 " bytes; %s: %" PRIu64 " bytes; %.3f s\n",
			names[0], st.events, st.traces, st.traces == 1 ? "" : "s", st.row_groups,
			st.events_bytes,
			st.events ? (double)st.events_bytes / (double)st.events : 0.0, names[1],
			st.frames, st.stacks, st.stacks_bytes, names[2], st.traces_bytes,
			now_s() - t0);
	if (run.warns.n) {
		fprintf(stderr, "xgotop export: %lu damaged part%s skipped\n", run.warns.n,
			run.warns.n == 1 ? "" : "s");
		ret = XG_EXIT_USAGE;
	}
out:
	export_parquet__free(run.x);
	for (int i = 0; i < PQ_FILES; i++) {
		if (f[i] && fclose(f[i]) && complete) {
			xg_report_error(false, "export", "%s: %s", names[i], strerror(errno));
			ret = XG_EXIT_FAIL;
			complete = false;
		}
	}
	for (int i = 0; i < PQ_FILES; i++) {
		if (!complete && f[i]) /* nothing half-written stays behind */
			unlink(names[i]);
		free(names[i]);
	}
	return ret;
}

static int cmd_export(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"format", required_argument, NULL, 'f'},
	    {"profile", required_argument, NULL, 'p'},
	    {"output", required_argument, NULL, 'o'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"stacks", required_argument, NULL, 's'},
	    {"traces", required_argument, NULL, 't'},
	    {"row-group", required_argument, NULL, 'r'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	enum { F_NONE, F_PERFETTO, F_CHROME, F_PPROF, F_PARQUET } format = F_NONE;
	enum export_profile profile = EXPORT_PROFILE_ALLOCS;
	struct xg_cli_warns warns = {.cmd = "export"};
	TF_READER_OPTS(ro, .warn = xg_cli_warn, .warn_ctx = &warns);
	struct export_stats st = {0};
	struct trace *t = NULL;
	struct tf_info info;
	const char *out = NULL, *stacks = NULL, *traces = NULL;
	uint32_t rg_rows = 0;
	bool quiet = false, to_stdout, profile_set = false;
	FILE *f = NULL;
	int c, err = 0, ret = XG_EXIT_OK, fd = -1;
	double t0;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":f:p:o:s:t:r:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (!strcmp(optarg, "perfetto"))
				format = F_PERFETTO;
			else if (!strcmp(optarg, "chrome-json") || !strcmp(optarg, "json"))
				format = F_CHROME;
			else if (!strcmp(optarg, "pprof"))
				format = F_PPROF;
			else if (!strcmp(optarg, "parquet"))
				format = F_PARQUET;
			else {
				xg_report_error(
				    false, "export",
				    "--format: '%s' is not perfetto, chrome-json, pprof "
				    "or parquet",
				    optarg);
				return XG_EXIT_USAGE;
			}
			break;
		case 'p':
			profile_set = true;
			if (!strcmp(optarg, "allocs"))
				profile = EXPORT_PROFILE_ALLOCS;
			else if (!strcmp(optarg, "goroutines"))
				profile = EXPORT_PROFILE_GOROUTINES;
			else if (!strcmp(optarg, "cpu"))
				profile = EXPORT_PROFILE_CPU;
			else {
				xg_report_error(false, "export",
						"--profile: '%s' is not allocs, goroutines or cpu",
						optarg);
				return XG_EXIT_USAGE;
			}
			break;
		case 'o':
			out = optarg;
			break;
		case 's':
			stacks = optarg;
			break;
		case 't':
			traces = optarg;
			break;
		case 'r': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);

			if (*end || !v || v > (1UL << 24)) {
				xg_report_error(
				    false, "export",
				    "--row-group: '%s' is not a row count from 1 to %lu", optarg,
				    1UL << 24);
				return XG_EXIT_USAGE;
			}
			rg_rows = (uint32_t)v;
			break;
		}
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage(stdout);
			return XG_EXIT_OK;
		case ':':
			xg_report_error(false, "export", "%s needs a value; see --help",
					argv[optind - 1]);
			return XG_EXIT_USAGE;
		default:
			xg_report_error(false, "export", "unknown option %s; see --help",
					argv[optind - 1]);
			return XG_EXIT_USAGE;
		}
	}
	if (format == F_PARQUET && optind < argc && out && !profile_set)
		return export_parquet_files(argv + optind, argc - optind, out, stacks, traces,
					    rg_rows, quiet);
	if ((stacks || rg_rows) && format != F_PARQUET) {
		xg_report_error(false, "export",
				"--stacks and --row-group go with --format parquet");
		return XG_EXIT_USAGE;
	}
	if (optind != argc - 1 || format == F_NONE || !out) {
		xg_report_error(false, "export",
				"expected one trace file, --format and -o OUT; see --help");
		return XG_EXIT_USAGE;
	}
	if (format == F_PARQUET || (profile_set && format != F_PPROF)) {
		xg_report_error(false, "export", "--profile goes with --format pprof");
		return XG_EXIT_USAGE;
	}
	t = trace__open(argv[optind], &ro);
	if (!t) {
		xg_report_error(false, "export", "%s", xg_errmsg());
		return XG_EXIT_USAGE;
	}
	err = tf_reader__info(t->r, &info);
	if (err) {
		xg_report_error(false, "export", "%s", xg_errmsg());
		ret = XG_EXIT_USAGE;
		goto out;
	}
	if (format == F_CHROME && info.events > CHROME_WARN_EVENTS)
		fprintf(stderr,
			"xgotop export: warning: %" PRIu64
			" events: Chrome JSON this large loads slowly or not at all; "
			"--format perfetto is made for it\n",
			info.events);
	to_stdout = !strcmp(out, "-");
	fd = to_stdout ? dup(STDOUT_FILENO)
		       : open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		xg_report_error(false, "export", "%s: %s", out, strerror(errno));
		ret = XG_EXIT_FAIL;
		goto out;
	}
	t0 = now_s();
	if (format == F_PPROF) {
		err = export_pprof(t, profile, fd, &st);
	} else {
		f = fdopen(fd, "w");
		if (!f) {
			err = -errno;
		} else {
			fd = -1;
			setvbuf(f, NULL, _IOFBF, 1 << 20);
			err = format == F_PERFETTO ? export_perfetto(t, f, &st)
						   : export_chrome(t, f, &st);
		}
	}
	if (f && fclose(f) && !err)
		err = -EIO;
	f = NULL;
	if (fd >= 0 && close(fd) && !err)
		err = -EIO;
	fd = -1;
	if (err) {
		xg_report_error(false, "export", "%s: %s", err == -EIO ? out : t->name,
				xg_errmsg()[0] ? xg_errmsg() : strerror(-err));
		ret =
		    err == -EIO || err == -ENOSPC || err == -ENOMEM ? XG_EXIT_FAIL : XG_EXIT_USAGE;
		if (!to_stdout)
			unlink(out);
		goto out;
	}
	if (!quiet) {
		double dt = now_s() - t0;

		if (format == F_PPROF)
			fprintf(stderr,
				"xgotop export: wrote %s: %" PRIu64 " samples, %" PRIu64
				" locations, %" PRIu64 " functions; totals %" PRIu64 " and %" PRIu64
				"; %" PRIu64 " events in %.3f s\n",
				out, st.samples, st.locations, st.functions, st.total[0],
				st.total[1], st.tl.events, dt);
		else
			fprintf(stderr,
				"xgotop export: wrote %s: %" PRIu64 " %s, %" PRIu64
				" goroutine tracks, %" PRIu64 " slices, %" PRIu64 " flows, %" PRIu64
				" counter points, %" PRIu64 " bytes; %" PRIu64
				" events in %.3f s\n",
				out, st.packets, format == F_PERFETTO ? "packets" : "events",
				st.tl.tracks, st.tl.slices, st.tl.flows, st.tl.counters, st.bytes,
				st.tl.events, dt);
	}
	if (!info.clean)
		fprintf(stderr, "xgotop export: note: %s: %s\n", t->name, info.recovery);
	if (warns.n) {
		fprintf(stderr, "xgotop export: %s: %lu damaged part%s skipped\n", t->name, warns.n,
			warns.n == 1 ? "" : "s");
		ret = XG_EXIT_USAGE;
	}
out:
	if (f)
		fclose(f);
	if (fd >= 0)
		close(fd);
	trace__close(t);
	return ret;
}
XG_COMMAND("export", cmd_export, "write traces as Perfetto, Chrome JSON, pprof or Parquet");
