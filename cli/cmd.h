/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Subcommands. Each cli/cmd_*.c registers itself with XG_COMMAND(); main() finds them in the
 * "xg_cmds" section, so adding a command touches no central table.
 *
 * Exit status (documented in README.md):
 *   0  success
 *   1  the operation failed at run time (target vanished, I/O error, BPF load failure)
 *   2  bad usage or bad input (unknown option, not a Go binary, damaged trace file)
 *   3  a `check` rule failed
 */
#ifndef XG_CLI_CMD_H
#define XG_CLI_CMD_H

#include <stdbool.h>
#include <stdio.h>

struct tf_reader;
struct tf_reader_opts;

#define XG_EXIT_OK    0
#define XG_EXIT_FAIL  1
#define XG_EXIT_USAGE 2
#define XG_EXIT_CHECK 3

struct xg_cmd {
	const char *name;
	/* argv[0] is the command name; returns an exit status */
	int (*run)(int argc, char **argv);
	const char *summary;
};

#define XG_COMMAND(_name, _run, _summary)                                                          \
	static const struct xg_cmd xg_cmd_##_run                                                   \
	    __attribute__((used, section("xg_cmds"), aligned(sizeof(void *)))) = {                 \
		.name = (_name),                                                                   \
		.run = (_run),                                                                     \
		.summary = (_summary),                                                             \
	}

/*
 * Reports an error for a command: "xgotop <cmd>: <message>" on stderr, or, when json is true,
 * {"error": "<message>"} on stdout (bpftool's rule: in JSON mode errors are JSON too), and on
 * stderr as well when stdout cannot be written (a closed pipe, a full disk).
 */
void xg_report_error(bool json, const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * A reader's warnings (tf_reader_opts.warn = xg_cli_warn, .warn_ctx = a struct xg_cli_warns):
 * each printed on stderr as "xgotop CMD: warning: MSG" and counted in n.
 */
struct xg_cli_warns {
	const char *cmd;
	unsigned long n;
};
void xg_cli_warn(void *ctx, const char *msg);

/*
 * For commands that read one trace: parses [--json|-j] [--help|-h] FILE and opens FILE (a
 * trace, or a bundle's) with ro. Returns the trace (trace__close() it), with *json and *path
 * (argv's) set; or NULL after printing the help or an error, with *status the exit status.
 */
struct trace;
struct trace *xg_cli_open_trace_arg(int argc, char **argv, const char *cmd, void (*usage)(FILE *f),
				    const struct tf_reader_opts *ro, bool *json, const char **path,
				    int *status);

#endif /* XG_CLI_CMD_H */
