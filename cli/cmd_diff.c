// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xgotop diff A B [--threshold PCT] [--fail-on-growth] [--json]: what grew from trace A (the
 * baseline) to trace B (offline/diff.h): goroutines by start function, allocations by site and
 * type, time in each state, and totals; sorted by growth within each section.
 *
 * Exit status: 0 compared (whatever grew, unless --fail-on-growth); 3 with --fail-on-growth
 * when something grew; 2 bad usage, a file that cannot be read, or a damaged trace; 1 a
 * run-time failure.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "offline/analyze.h"
#include "offline/diff.h"
#include "offline/open.h"
#include "util/err.h"
#include "util/jsonw.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xgotop diff A B [--threshold PCT] [--fail-on-growth] [--json]\n\n"
		"Compares trace B with trace A (the baseline) and prints what grew, largest\n"
		"growth first: goroutines by start function (created, exited, alive at the\n"
		"end, most alive at once), allocations by site and by type (bytes, objects),\n"
		"time in each state by start function, and totals.\n\n"
		"  -t, --threshold PCT   only growth of at least PCT percent of A (default 0)\n"
		"  -F, --fail-on-growth  exit status 3 when anything grew\n"
		"  -j, --json            one JSON object\n"
		"  -h, --help            this text\n\n"
		"Exit status: 0 compared; 3 something grew (with --fail-on-growth); 2 bad usage\n"
		"or a file that cannot be read (or is damaged); 1 a run-time failure.\n");
}

static const char *fmt_value(char *buf, int len, enum diff_unit u, uint64_t v)
{
	switch (u) {
	case DIFF_BYTES:
		return gm_text_bytes(buf, len, (double)v);
	case DIFF_NS:
		return gm_text_dur(buf, len, v);
	default:
		snprintf(buf, (size_t)len, "%" PRIu64, v);
		return buf;
	}
}

static void text(const struct analysis *a, const struct analysis *b, const struct diff_result *r,
		 double threshold)
{
	int last = -1;

	printf("xgotop diff: A %s (%.3f s, %" PRIu64 " events)\n", a->t->name,
	       (double)a->end_ts / 1e9, a->events);
	printf("             B %s (%.3f s, %" PRIu64 " events)\n", b->t->name,
	       (double)b->end_ts / 1e9, b->events);
	for (size_t i = 0; i < r->ngrew; i++) {
		const struct diff_row *row = &r->grew[i];
		char d[64], pct[24], va[32], vb[32];

		if ((int)row->section != last) {
			last = (int)row->section;
			printf("%s:\n", diff_section_titles[row->section]);
		}
		fmt_value(va, sizeof(va), row->unit, row->b - row->a);
		if (row->a)
			snprintf(pct, sizeof(pct), " (+%.0f%%)",
				 100.0 * (double)(row->b - row->a) / (double)row->a);
		else
			snprintf(pct, sizeof(pct), " (new)");
		snprintf(d, sizeof(d), "+%s%s", va, pct);
		fmt_value(va, sizeof(va), row->unit, row->a);
		fmt_value(vb, sizeof(vb), row->unit, row->b);
		printf("  %-22s %s%s%s %s -> %s\n", d, row->key, *row->key ? ": " : "", row->metric,
		       va, vb);
	}
	if (!r->ngrew)
		printf("nothing grew");
	else
		printf("%zu figure%s grew", r->ngrew, r->ngrew == 1 ? "" : "s");
	printf(" (threshold %g%%); %zu shrank, %zu unchanged\n", threshold, r->nshrank, r->nsame);
}

static void json_side(struct jsonw *w, const char *name, const struct analysis *a)
{
	jsonw_name(w, name);
	jsonw_start_object(w);
	jsonw_string_field(w, "file", a->t->name);
	jsonw_uint_field(w, "duration_ns", a->end_ts);
	jsonw_uint_field(w, "events", a->events);
	jsonw_end_object(w);
}

static void json(const struct analysis *a, const struct analysis *b, const struct diff_result *r,
		 double threshold)
{
	static const char *const units[] = {
	    [DIFF_COUNT] = "count", [DIFF_BYTES] = "bytes", [DIFF_NS] = "ns"};
	struct jsonw *w = jsonw_new(stdout);

	if (!w)
		return;
	jsonw_start_object(w);
	json_side(w, "a", a);
	json_side(w, "b", b);
	jsonw_double_field(w, "threshold_pct", threshold);
	jsonw_name(w, "grew");
	jsonw_start_array(w);
	for (size_t i = 0; i < r->ngrew; i++) {
		const struct diff_row *row = &r->grew[i];

		jsonw_start_object(w);
		jsonw_string_field(w, "section", diff_section_names[row->section]);
		jsonw_string_field(w, "key", row->key);
		jsonw_string_field(w, "metric", row->metric);
		jsonw_string_field(w, "unit", units[row->unit]);
		jsonw_uint_field(w, "a", row->a);
		jsonw_uint_field(w, "b", row->b);
		jsonw_uint_field(w, "delta", row->b - row->a);
		jsonw_name(w, "pct");
		if (row->a)
			jsonw_double(w, round(1000.0 * (double)(row->b - row->a) / (double)row->a) /
					    10.0);
		else
			jsonw_null(w);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
	jsonw_uint_field(w, "shrank", r->nshrank);
	jsonw_uint_field(w, "unchanged", r->nsame);
	jsonw_end_object(w);
	jsonw_newline(w);
	jsonw_free(w);
}

static int cmd_diff(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"threshold", required_argument, NULL, 't'},
	    {"fail-on-growth", no_argument, NULL, 'F'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct xg_cli_warns warns = {.cmd = "diff"};
	TF_READER_OPTS(ro, .warn = xg_cli_warn, .warn_ctx = &warns);
	struct trace *t[2] = {NULL, NULL};
	struct analysis *an[2] = {NULL, NULL};
	struct diff_result res = {0};
	double threshold = 0;
	bool as_json = false, fail = false;
	int c, err, ret = XG_EXIT_OK;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j"))
			as_json = true;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":t:Fjh", longopts, NULL)) != -1) {
		switch (c) {
		case 't': {
			char *end;

			errno = 0;
			threshold = strtod(optarg, &end);
			if (end[0] == '%')
				end++;
			if (errno || end == optarg || *end || !(threshold >= 0) ||
			    threshold > 1e9) {
				xg_report_error(as_json, "diff",
						"--threshold: '%s' is not a percentage", optarg);
				return XG_EXIT_USAGE;
			}
			break;
		}
		case 'F':
			fail = true;
			break;
		case 'j':
			break;
		case 'h':
			usage(stdout);
			return XG_EXIT_OK;
		case ':':
			xg_report_error(as_json, "diff", "%s needs a value; see --help",
					argv[optind - 1]);
			return XG_EXIT_USAGE;
		default:
			xg_report_error(as_json, "diff", "unknown option %s; see --help",
					argv[optind - 1]);
			return XG_EXIT_USAGE;
		}
	}
	if (optind != argc - 2) {
		xg_report_error(as_json, "diff", "expected two trace files, A and B; see --help");
		return XG_EXIT_USAGE;
	}
	for (int k = 0; k < 2; k++) {
		t[k] = trace__open(argv[optind + k], &ro);
		if (!t[k]) {
			xg_report_error(as_json, "diff", "%s", xg_errmsg());
			ret = XG_EXIT_USAGE;
			goto out;
		}
		an[k] = analysis__new(t[k], NULL);
		if (!an[k]) {
			xg_report_error(as_json, "diff", "%s", xg_errmsg());
			ret = errno == ENOMEM ? XG_EXIT_FAIL : XG_EXIT_USAGE;
			goto out;
		}
	}
	err = diff__run(an[0], an[1], threshold, &res);
	if (err) {
		xg_report_error(as_json, "diff", "out of memory");
		ret = XG_EXIT_FAIL;
		goto out;
	}
	if (as_json)
		json(an[0], an[1], &res, threshold);
	else
		text(an[0], an[1], &res, threshold);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "xgotop diff: writing the output: %s\n", strerror(errno));
		ret = XG_EXIT_FAIL;
		goto out;
	}
	for (int k = 0; k < 2; k++)
		if (!an[k]->info.clean)
			fprintf(stderr, "xgotop diff: note: %s: %s\n", t[k]->name,
				an[k]->info.recovery);
	if (warns.n) {
		fprintf(stderr, "xgotop diff: %lu damaged part%s skipped\n", warns.n,
			warns.n == 1 ? "" : "s");
		ret = XG_EXIT_USAGE;
	} else if (fail && res.ngrew) {
		ret = XG_EXIT_CHECK;
	}
out:
	diff_result__free(&res);
	for (int k = 0; k < 2; k++) {
		analysis__free(an[k]);
		trace__close(t[k]);
	}
	return ret;
}
XG_COMMAND("diff", cmd_diff, "compare two traces: what grew");
