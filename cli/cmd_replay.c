// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xgotop replay: a trace file into the same outputs as live capture.
 *
 *   xgotop replay FILE [--speed N | --max] [--from T] [--to T] [--goid N,...]
 *                      [--events KIND,...] [--loop] [--json] [--tui|--no-tui] [--web [ADDR:]PORT]
 *
 * Exit status: 0 ok (including the user quitting); 1 a run-time failure; 2 bad usage or a file
 * that cannot be read at all. A damaged or truncated file replays what it holds, and what was
 * skipped is said on stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "format/event.h"
#include "offline/open.h"
#include "replay/replay.h"
#include "util/err.h"
#include "viewer/outputs.h"

#define MAX_GOIDS 4096

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/* Warnings met while the TUI owns the terminal, printed after it gives it back. */
struct held_warnings {
	char *lines[32];
	unsigned int n, dropped;
};

static void hold_warning(void *ctx, const char *msg)
{
	struct held_warnings *h = ctx;

	if (h->n < sizeof(h->lines) / sizeof(h->lines[0]))
		h->lines[h->n++] = strdup(msg);
	else
		h->dropped++;
}

static void warn_stderr(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "xgotop replay: warning: %s\n", msg);
}

static void print_warnings(struct held_warnings *h)
{
	for (unsigned int i = 0; i < h->n; i++) {
		if (h->lines[i])
			fprintf(stderr, "xgotop replay: warning: %s\n", h->lines[i]);
		free(h->lines[i]);
	}
	if (h->dropped)
		fprintf(stderr, "xgotop replay: %u more warnings\n", h->dropped);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: xgotop replay FILE [OPTIONS]\n\n"
		   "Replays a trace file into the outputs (TUI by default on a terminal).\n\n"
		   "  --speed N          replay speed, 0.25 to 1000 (default 1: real time)\n"
		   "  --max              as fast as possible\n"
		   "  --from T, --to T   start / stop at a trace time (1.5s, 200ms, 40us) or a\n"
		   "                     wall-clock time (2026-11-25T18:00:01.5 or 18:00:01, UTC)\n"
		   "  --goid N,...       only events about these goroutines (and their creation)\n"
		   "  --events KIND,...  only these kinds (go_create, go_exit, go_state, alloc,\n"
		   "                     gc_start, gc_end, lost, cpu_sample, alloc_sample, heap,\n"
		   "                     snapshot)\n"
		   "  --loop             start over at the end\n");
	viewer_opts__usage(f);
	fprintf(f,
		"\nInteractive outputs (TUI, web) stay at the end of the trace until you quit.\n");
}

static int parse_goids(const char *arg, uint64_t *goids, size_t *n)
{
	char *copy = strdup(arg), *save = NULL, *tok;
	int err = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *end;
		unsigned long long v;

		errno = 0;
		v = strtoull(tok, &end, 10);
		if (*end || end == tok || errno || *tok == '-') {
			err = xg_error(-EINVAL, "--goid: '%s' is not a goroutine id", tok);
			break;
		}
		if (*n == MAX_GOIDS) {
			err = xg_error(-EINVAL, "--goid: at most %d ids", MAX_GOIDS);
			break;
		}
		goids[(*n)++] = v;
	}
	free(copy);
	return err;
}

static int parse_kinds(const char *arg, uint32_t *mask)
{
	char *copy = strdup(arg), *save = NULL, *tok;
	int err = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int k = xg_kind_parse(tok);

		if (k <= 0) {
			err = xg_error(-EINVAL, "--events: unknown kind '%s'", tok);
			break;
		}
		*mask |= 1u << k;
	}
	free(copy);
	return err;
}

static int cmd_replay(int argc, char **argv)
{
	static const struct option long_opts[] = {
	    {"speed", required_argument, NULL, 's'},
	    {"max", no_argument, NULL, 'm'},
	    {"from", required_argument, NULL, 'f'},
	    {"to", required_argument, NULL, 't'},
	    {"goid", required_argument, NULL, 'g'},
	    {"events", required_argument, NULL, 'e'},
	    {"loop", no_argument, NULL, 'l'},
	    {"help", no_argument, NULL, 'h'},
	    VIEWER_LONG_OPTS,
	    {NULL, 0, NULL, 0},
	};
	struct replay_opts ro = {.speed = 1};
	struct replay_result res;
	struct held_warnings held = {0};
	struct viewer_opts vo;
	struct sigaction sa;
	TF_READER_OPTS(ropts, .warn = warn_stderr);
	struct tf_reader *r = NULL;
	struct sink *out = NULL;
	uint64_t *goids = NULL;
	size_t n_goids = 0;
	const char *path;
	int c, err, rc = XG_EXIT_OK;

	viewer_opts__init(&vo);
	goids = calloc(MAX_GOIDS, sizeof(*goids));
	if (!goids)
		return XG_EXIT_FAIL;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		char *end;

		err = 0;
		switch (c) {
		case 's':
			ro.speed = strtod(optarg, &end);
			if (*end || !(ro.speed >= 0.25 && ro.speed <= 1000))
				err =
				    xg_error(-EINVAL, "--speed must be a number from 0.25 to 1000");
			break;
		case 'm':
			ro.max = true;
			break;
		case 'f':
			ro.from = optarg;
			break;
		case 't':
			ro.to = optarg;
			break;
		case 'g':
			err = parse_goids(optarg, goids, &n_goids);
			break;
		case 'e':
			err = parse_kinds(optarg, &ro.kinds);
			break;
		case 'l':
			ro.loop = true;
			break;
		case 'h':
			usage(stdout);
			free(goids);
			return XG_EXIT_OK;
		default:
			err = viewer_opts__parse(&vo, c, optarg);
			if (err > 0) {
				err = 0;
				break;
			}
			if (!err) {
				usage(stderr);
				free(goids);
				return XG_EXIT_USAGE;
			}
			break;
		}
		if (err) {
			xg_report_error(vo.json, "replay", "%s", xg_errmsg());
			free(goids);
			return XG_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		xg_report_error(vo.json, "replay", "expected one trace file (see --help)");
		free(goids);
		return XG_EXIT_USAGE;
	}
	path = argv[optind];
	ro.goids = n_goids ? goids : NULL;
	ro.n_goids = n_goids;
	viewer_opts__finish(&vo);
	ro.hold_at_end = viewer_opts__interactive(&vo) && !ro.loop;
	ro.say_lag = !viewer_opts__interactive(&vo);
	ro.stop = &stop_flag;
	if (viewer_opts__tui(&vo)) {
		ropts.warn = hold_warning;
		ropts.warn_ctx = &held;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART; /* a signal must not fail a write to stdout */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	out = viewer_outputs__new(&vo);
	if (!out) {
		xg_report_error(vo.json, "replay", "%s", xg_errmsg());
		free(goids);
		return XG_EXIT_FAIL;
	}
	/* a trace, or a bundle's (offline/open.h) */
	r = trace__open_reader(path, &ropts);
	if (!r) {
		err = -(errno ? errno : EINVAL);
		memset(&res, 0, sizeof(res));
	} else {
		err = replay__run(r, path, &ro, out, &res);
	}
	sink__free(out);
	tf_reader__close(r);
	print_warnings(&held);
	if (err) {
		xg_report_error(vo.json, "replay", "%s", xg_errmsg());
		if (res.output_failed)
			rc = err == -ENOTTY ? XG_EXIT_USAGE : XG_EXIT_FAIL;
		else
			rc = err == -ENOMEM || err == -EIO ? XG_EXIT_FAIL : XG_EXIT_USAGE;
	} else {
		if (!res.clean && res.recovery[0])
			fprintf(stderr, "xgotop replay: %s: not closed cleanly: %s\n", path,
				res.recovery);
		if (res.damaged)
			fprintf(stderr, "xgotop replay: %s: skipped %llu damaged chunk%s\n", path,
				(unsigned long long)res.damaged, res.damaged == 1 ? "" : "s");
	}
	free(goids);
	return rc;
}
XG_COMMAND("replay", cmd_replay, "replay a trace file into the TUI, JSON lines or the web page");
