// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xgotop import TRACE.out|- -o FILE.xgt
 *
 * Turns a Go execution trace (runtime/trace, `go test -trace`, /debug/pprof/trace, Go 1.22 and
 * later) into a trace file (offline/goimport.h). The reading commands take Go traces directly
 * too; import keeps the result.
 *
 * Exit status: 0 written; 1 the output cannot be written; 2 bad usage, an input that is not a
 * Go trace, or a damaged one (what came before the damage is written).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "offline/goimport.h"
#include "util/err.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xgotop import TRACE -o FILE.xgt\n\n"
		"Reads a Go execution trace (runtime/trace, go test -trace, /debug/pprof/trace;\n"
		"Go 1.22 and later) and writes it as an xgotop trace file. TRACE - is standard\n"
		"input. Every other command also reads Go traces directly.\n\n"
		"  -o, --output FILE   the trace file to write\n"
		"  -q, --quiet         no summary on stderr\n"
		"  -h, --help          this text\n\n"
		"Exit status: 0 written; 2 bad usage, not a Go trace, or a damaged one (the\n"
		"events before the damage are written); 1 the output cannot be written.\n");
}

static int cmd_import(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *out = NULL, *in;
	struct goimport_result res;
	struct timespec t0, t1;
	bool quiet = false;
	int c, in_fd, out_fd, err;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":o:qh", longopts, NULL)) != -1) {
		switch (c) {
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
			xg_report_error(false, "import", "%s needs a value; see --help",
					argv[optind - 1]);
			return XG_EXIT_USAGE;
		default:
			xg_report_error(false, "import", "unknown option %s; see --help",
					argv[optind - 1]);
			return XG_EXIT_USAGE;
		}
	}
	if (optind != argc - 1 || !out) {
		xg_report_error(false, "import", "%s; see --help",
				optind >= argc	    ? "no Go trace given"
				: optind < argc - 1 ? "one Go trace at a time"
						    : "no output given (-o FILE.xgt)");
		return XG_EXIT_USAGE;
	}
	in = argv[optind];
	in_fd = strcmp(in, "-") ? open(in, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
	if (in_fd < 0) {
		xg_report_error(false, "import", "%s: %s", in, strerror(errno));
		return XG_EXIT_USAGE;
	}
	out_fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out_fd < 0) {
		xg_report_error(false, "import", "%s: %s", out, strerror(errno));
		if (in_fd != STDIN_FILENO)
			close(in_fd);
		return XG_EXIT_FAIL;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = goimport__fd(in_fd, in, out_fd, out, &res);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (in_fd != STDIN_FILENO)
		close(in_fd);
	if (err) {
		xg_report_error(false, "import", "%s", xg_errmsg());
		if (!res.go_events)
			unlink(out); /* nothing of the input in it */
		return res.version ? XG_EXIT_FAIL : XG_EXIT_USAGE;
	}
	if (res.damage)
		xg_report_error(false, "import", "%s; wrote the %" PRIu64 " events before it",
				res.damage_msg, res.events);
	if (!quiet)
		fprintf(stderr,
			"xgotop import: wrote %s: %" PRIu64 " events from %" PRIu64
			" Go events (format go 1.%d, %" PRIu64 " generation%s, %" PRIu64
			" bytes) in %.3f s\n",
			out, res.events, res.go_events, res.version, res.generations,
			res.generations == 1 ? "" : "s", res.in_bytes,
			(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	return res.damage ? XG_EXIT_USAGE : XG_EXIT_OK;
}

XG_COMMAND("import", cmd_import, "turn a Go execution trace into a trace file");
