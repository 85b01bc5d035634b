/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Output options shared by `record` and `replay`, and the sink that carries them out.
 *
 *   --json              JSON lines on stdout (format/evjson.h), buffered, flushed on every tick
 *   --tui / --no-tui    the terminal UI; on by default when stdout is a terminal and no --json
 *   --web [ADDR:]PORT   serve the web page on ADDR (127.0.0.1 unless given); PORT 0 picks a
 *                       free port; the URL is printed on stderr
 *   --null              discard the events (benchmarks: measures the source alone)
 *
 * A command adds VIEWER_LONG_OPTS to its getopt_long table and passes every option it does not
 * know itself to viewer_opts__parse():
 *
 *	static const struct option opts[] = { {"speed", 1, NULL, 's'}, VIEWER_LONG_OPTS, {0} };
 *	...
 *	default:
 *		err = viewer_opts__parse(&vo, c, optarg);  // 1 handled, 0 not ours, <0 bad arg
 */
#ifndef XG_VIEWER_OUTPUTS_H
#define XG_VIEWER_OUTPUTS_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sink/sink.h"

enum viewer_opt_key {
	VIEWER_OPT_JSON = 0x1100,
	VIEWER_OPT_TUI,
	VIEWER_OPT_NO_TUI,
	VIEWER_OPT_WEB,
	VIEWER_OPT_NULL,
};

#define VIEWER_LONG_OPTS                                                                           \
	{"json", no_argument, NULL, VIEWER_OPT_JSON}, {"tui", no_argument, NULL, VIEWER_OPT_TUI},  \
	    {"no-tui", no_argument, NULL, VIEWER_OPT_NO_TUI},                                      \
	    {"web", required_argument, NULL, VIEWER_OPT_WEB},                                      \
	{                                                                                          \
		"null", no_argument, NULL, VIEWER_OPT_NULL                                         \
	}

struct viewer_opts {
	bool json;
	int tui; /* -1: automatic, 0: off, 1: on */
	bool web;
	char web_addr[64]; /* numeric IPv4 or IPv6 address */
	uint16_t web_port;
	bool null;
	FILE *json_out; /* NULL: stdout */
};

void viewer_opts__init(struct viewer_opts *o);
/* 1 when key was a viewer option (and arg good), 0 when not one, -EINVAL (with xg_errmsg) when
 * its argument is bad. */
int viewer_opts__parse(struct viewer_opts *o, int key, const char *arg);
/* The option lines for a command's --help. */
void viewer_opts__usage(FILE *f);
/* Resolves the automatic choices (TUI when stdout is a terminal and no --json). */
void viewer_opts__finish(struct viewer_opts *o);
/* true when an output lets a person steer (TUI or web): a replay then holds at its end. */
bool viewer_opts__interactive(const struct viewer_opts *o);
/* true when the TUI owns the terminal (sources then keep quiet on stderr). */
bool viewer_opts__tui(const struct viewer_opts *o);

/*
 * The outputs the options ask for, as one sink (a fan-out when there are several). The web
 * server starts listening here, so a bad address fails before any event is read. NULL with
 * errno set and xg_errmsg() saying why.
 */
struct sink *viewer_outputs__new(const struct viewer_opts *o);

#endif /* XG_VIEWER_OUTPUTS_H */
