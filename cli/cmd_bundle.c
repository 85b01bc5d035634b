// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xgotop bundle FILE... -o report.tar.zst [--binary PATH] [--level N]
 * xgotop bundle --list BUNDLE
 *
 * Packs traces into a bug-report bundle (offline/bundle.h): the traces, a PC table for each,
 * `inspect --json` of the traced binary when it is still there, host facts, a manifest and a
 * README. info, dump, replay, export, check and diff read a bundle directly. --list prints the
 * members of a bundle.
 *
 * Exit status: 0 written (notes about a missing binary go to stderr); 1 the bundle could not
 * be written (I/O); 2 bad usage, or a FILE that is not a trace (or a bundle that cannot be
 * read, for --list).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cmd.h"
#include "offline/bundle.h"
#include "util/err.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: xgotop bundle FILE... -o OUT.tar.zst [--binary PATH] [--level N]\n"
		   "       xgotop bundle --list BUNDLE\n\n"
		   "Packs trace files into one bug-report bundle that reads without the traced\n"
		   "binary: the traces, function and file:line of every PC in them, `inspect\n"
		   "--json` of the binary (from the traces' metadata, when it is still there),\n"
		   "host and kernel facts, and a README. info, dump, replay, export, check and\n"
		   "diff open a bundle directly (BUNDLE:NAME.xgt picks a trace other than the\n"
		   "first).\n\n"
		   "  -o, --output OUT   the bundle to write (zstd-compressed tar)\n"
		   "  -b, --binary PATH  the traced binary, when it moved since recording\n"
		   "  -l, --level N      zstd level, 1-19 (default 3)\n"
		   "      --list         list the members of BUNDLE\n"
		   "  -h, --help         this text\n\n"
		   "Exit status: 0 written; 2 bad usage, or a FILE that is not a trace; 1 the\n"
		   "bundle cannot be written.\n");
}

static void on_note(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "xgotop bundle: note: %s\n", msg);
}

static int list(const char *path)
{
	struct bundle *b = bundle__open(path, NULL);

	if (!b) {
		xg_report_error(false, "bundle", "%s", xg_errmsg());
		return XG_EXIT_USAGE;
	}
	for (size_t i = 0; i < b->n; i++)
		printf("%12" PRIu64 "  %s%s\n", b->m[i].size, b->m[i].name,
		       b->m[i].regular ? "" : "  (not a regular file)");
	printf("%zu members, %zu trace%s\n", b->n, b->ntraces, b->ntraces == 1 ? "" : "s");
	bundle__close(b);
	return XG_EXIT_OK;
}

static int cmd_bundle(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"output", required_argument, NULL, 'o'}, {"binary", required_argument, NULL, 'b'},
	    {"level", required_argument, NULL, 'l'},  {"list", no_argument, NULL, 'L'},
	    {"help", no_argument, NULL, 'h'},	      {NULL, 0, NULL, 0},
	};
	BUNDLE_OPTS(o, .note = on_note);
	const char *out = NULL;
	bool do_list = false;
	struct stat st;
	int c, err;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":o:b:l:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'b':
			o.binary = optarg;
			break;
		case 'l': {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*end || end == optarg || v < 1 || v > 19) {
				xg_report_error(false, "bundle", "--level: '%s' is not 1 to 19",
						optarg);
				return XG_EXIT_USAGE;
			}
			o.zstd_level = (int)v;
			break;
		}
		case 'L':
			do_list = true;
			break;
		case 'h':
			usage(stdout);
			return XG_EXIT_OK;
		case ':':
			xg_report_error(false, "bundle", "%s needs a value; see --help",
					argv[optind - 1]);
			return XG_EXIT_USAGE;
		default:
			xg_report_error(false, "bundle", "unknown option %s; see --help",
					argv[optind - 1]);
			return XG_EXIT_USAGE;
		}
	}
	if (do_list) {
		if (optind != argc - 1) {
			xg_report_error(false, "bundle", "--list takes one bundle; see --help");
			return XG_EXIT_USAGE;
		}
		return list(argv[optind]);
	}
	if (optind == argc || !out) {
		xg_report_error(false, "bundle", "expected trace files and -o OUT; see --help");
		return XG_EXIT_USAGE;
	}
	err = bundle__write(out, (const char *const *)argv + optind, (size_t)(argc - optind), &o);
	if (err) {
		xg_report_error(false, "bundle", "%s",
				xg_errmsg()[0] ? xg_errmsg() : strerror(-err));
		return err == -EIO || err == -ENOSPC || err == -ENOMEM ? XG_EXIT_FAIL
								       : XG_EXIT_USAGE;
	}
	if (!stat(out, &st))
		fprintf(stderr, "xgotop bundle: wrote %s (%lld bytes, %d trace%s)\n", out,
			(long long)st.st_size, argc - optind, argc - optind == 1 ? "" : "s");
	return XG_EXIT_OK;
}
XG_COMMAND("bundle", cmd_bundle, "pack traces into a bug-report bundle");
