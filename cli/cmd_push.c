// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xgotop push URL FILE...
 *
 * Sends traces (or bundles' traces) to a ClickHouse server over HTTP (offline/clickhouse.h):
 * tables made when missing, each trace once (a trace already there adds nothing), progress
 * and rows/s on stderr.
 *
 * Exit status: 0 every trace is there whole (pushed now or before); 1 the server refused or
 * could not be reached (its message shown; the traces pushed before it stay, a trace cut off
 * is completed by the next push); 2 bad usage or a file that cannot be read.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "offline/clickhouse.h"
#include "offline/open.h"
#include "util/err.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: xgotop push URL FILE...\n\n"
		   "Sends traces to ClickHouse over its HTTP interface, into the tables\n"
		   "xgotop_events, xgotop_stacks and xgotop_traces (made when missing).\n"
		   "  URL  http://[user[:password]@]host[:port]/[?database=DB&setting=value...]\n"
		   "       (port 8123 when none; user and password also from $CLICKHOUSE_USER and\n"
		   "       $CLICKHOUSE_PASSWORD)\n"
		   "A trace already pushed adds nothing; one a failed push left in part is\n"
		   "pushed again whole.\n\n"
		   "  -q, --quiet   no progress on stderr\n"
		   "  -h, --help    this help\n");
}

static int cmd_push(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct xg_cli_warns warns = {.cmd = "push"};
	TF_READER_OPTS(ro, .warn = xg_cli_warn, .warn_ctx = &warns);
	struct ch_conn conn;
	bool quiet = false;
	int c, err, pushed = 0, skipped = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage(stdout);
			return XG_EXIT_OK;
		default:
			usage(stderr);
			return XG_EXIT_USAGE;
		}
	}
	if (argc - optind < 2) {
		xg_report_error(false, "push", "expected a URL and at least one trace; see --help");
		return XG_EXIT_USAGE;
	}
	err = ch_conn__open(&conn, argv[optind]);
	if (err) {
		xg_report_error(false, "push", "%s", xg_errmsg());
		return err == -EINVAL ? XG_EXIT_USAGE : XG_EXIT_FAIL;
	}
	conn.quiet = quiet;
	if (!quiet)
		fprintf(stderr, "xgotop push: ClickHouse %s at %s (%s tables)\n", conn.version,
			conn.who, conn.modern ? "current" : "plain-typed");
	for (int i = optind + 1; i < argc; i++) {
		struct ch_push_stats st;
		struct trace *t = trace__open(argv[i], &ro);

		if (!t) {
			xg_report_error(false, "push", "%s", xg_errmsg());
			return XG_EXIT_USAGE;
		}
		warns.n = 0;
		err = ch_conn__push(&conn, t, &st);
		if (err) {
			xg_report_error(false, "push", "%s: %s", t->name,
					xg_errmsg()[0] ? xg_errmsg() : strerror(-err));
			fprintf(stderr,
				"xgotop push: %s is not marked in xgotop_traces: pushing it again "
				"completes it\n",
				t->name);
			trace__close(t);
			return XG_EXIT_FAIL;
		}
		if (st.skipped) {
			skipped++;
			if (!quiet)
				fprintf(
				    stderr,
				    "xgotop push: %s: already in xgotop_traces, nothing added\n",
				    t->name);
		} else {
			pushed++;
			if (st.cleaned && !quiet)
				fprintf(stderr,
					"xgotop push: %s: %" PRIu64
					" rows an earlier failed push left were deleted first\n",
					t->name, st.cleaned);
		}
		if (warns.n)
			fprintf(stderr, "xgotop push: %s: %lu damaged part%s skipped\n", t->name,
				warns.n, warns.n == 1 ? "" : "s");
		trace__close(t);
	}
	if (!quiet)
		fprintf(stderr, "xgotop push: %d trace%s pushed, %d already there\n", pushed,
			pushed == 1 ? "" : "s", skipped);
	return XG_EXIT_OK;
}

XG_COMMAND("push", cmd_push, "send traces to a ClickHouse server");
