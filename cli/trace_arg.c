// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The argument handling shared by the commands that read trace files: one trace (info, dump),
 * and their warnings (check, diff, export, push). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "offline/open.h"
#include "util/err.h"

struct trace *xg_cli_open_trace_arg(int argc, char **argv, const char *cmd, void (*usage)(FILE *f),
				    const struct tf_reader_opts *ro, bool *json, const char **path,
				    int *status)
{
	static const struct option longopts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct trace *t;
	int c;

	*json = false;
	/* known before parsing, so that an error about an option is JSON too */
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j"))
			*json = true;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			break;
		case 'h':
			usage(stdout);
			*status = XG_EXIT_OK;
			return NULL;
		default:
			xg_report_error(*json, cmd, "unknown option %s; see --help",
					argv[optind - 1]);
			*status = XG_EXIT_USAGE;
			return NULL;
		}
	}
	if (optind != argc - 1) {
		xg_report_error(*json, cmd, "expected one trace file; see --help");
		*status = XG_EXIT_USAGE;
		return NULL;
	}
	*path = argv[optind];
	t = trace__open(*path, ro); /* a trace, or a bundle's (offline/open.h) */
	if (!t) {
		xg_report_error(*json, cmd, "%s", xg_errmsg());
		*status = XG_EXIT_USAGE;
	}
	return t;
}

void xg_cli_warn(void *ctx, const char *msg)
{
	struct xg_cli_warns *w = ctx;

	w->n++;
	fprintf(stderr, "xgotop %s: warning: %s\n", w->cmd, msg);
}
