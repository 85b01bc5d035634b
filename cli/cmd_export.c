// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xgotop export FILE --format perfetto|chrome-json|pprof [--profile allocs|goroutines|cpu] -o OUT
 *
 * Writes a trace (or a bundle's trace) in a format other tools open (offline/export.h):
 * Perfetto protobuf for ui.perfetto.dev, Chrome JSON for chrome://tracing (small traces), and
 * pprof profiles for `go tool pprof` (allocations by stack and type, the goroutines alive at
 * the end by the stack they wait in, or CPU time by stack from production mode's CPU samples). OUT
 * "-" is standard output.
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
#include "offline/export.h"
#include "offline/open.h"
#include "util/err.h"

/* Chrome JSON above this many events loads slowly or not at all (catapult, the browser). */
#define CHROME_WARN_EVENTS 1000000

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: xgotop export FILE --format FORMAT -o OUT [--profile allocs|goroutines|cpu]\n\n"
	    "Writes a trace (or bundle) for other tools. OUT - is standard output.\n\n"
	    "  -f, --format perfetto      Perfetto protobuf: open in ui.perfetto.dev; a track\n"
	    "                             per goroutine with state slices, counters, flows\n"
	    "  -f, --format chrome-json   the same as Chrome JSON (chrome://tracing); small\n"
	    "                             traces only\n"
	    "  -f, --format pprof         gzip-compressed profile for `go tool pprof`\n"
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

static void on_warn(void *ctx, const char *msg)
{
	unsigned long *n = ctx;

	(*n)++;
	fprintf(stderr, "xgotop export: warning: %s\n", msg);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmd_export(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"format", required_argument, NULL, 'f'}, {"profile", required_argument, NULL, 'p'},
	    {"output", required_argument, NULL, 'o'}, {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},	      {NULL, 0, NULL, 0},
	};
	enum { F_NONE, F_PERFETTO, F_CHROME, F_PPROF } format = F_NONE;
	enum export_profile profile = EXPORT_PROFILE_ALLOCS;
	unsigned long warnings = 0;
	TF_READER_OPTS(ro, .warn = on_warn, .warn_ctx = &warnings);
	struct export_stats st = {0};
	struct trace *t = NULL;
	struct tf_info info;
	const char *out = NULL;
	bool quiet = false, to_stdout, profile_set = false;
	FILE *f = NULL;
	int c, err = 0, ret = XG_EXIT_OK, fd = -1;
	double t0;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":f:p:o:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (!strcmp(optarg, "perfetto"))
				format = F_PERFETTO;
			else if (!strcmp(optarg, "chrome-json") || !strcmp(optarg, "json"))
				format = F_CHROME;
			else if (!strcmp(optarg, "pprof"))
				format = F_PPROF;
			else {
				xg_report_error(
				    false, "export",
				    "--format: '%s' is not perfetto, chrome-json or pprof", optarg);
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
	if (optind != argc - 1 || format == F_NONE || !out) {
		xg_report_error(false, "export",
				"expected one trace file, --format and -o OUT; see --help");
		return XG_EXIT_USAGE;
	}
	if (profile_set && format != F_PPROF) {
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
	if (warnings) {
		fprintf(stderr, "xgotop export: %s: %lu damaged part%s skipped\n", t->name,
			warnings, warnings == 1 ? "" : "s");
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
XG_COMMAND("export", cmd_export, "write a trace as Perfetto, Chrome JSON or pprof");
