// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "util/jsonw.h"
#include "util/version.h"

extern const struct xg_cmd __start_xg_cmds[];
extern const struct xg_cmd __stop_xg_cmds[];

/* Commands registered with XG_COMMAND() sit back to back in the xg_cmds section. */
static size_t cmd_count(void)
{
	return ((uintptr_t)__stop_xg_cmds - (uintptr_t)__start_xg_cmds) / sizeof(struct xg_cmd);
}

void xg_report_error(bool json, const char *cmd, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (json) {
		fputs("{\"error\":", stdout);
		json_put_string(stdout, msg, strlen(msg));
		fputs("}\n", stdout);
		/* stdout failed (a closed pipe, a full disk): the message goes where it can be read
		 */
		if (!fflush(stdout) && !ferror(stdout))
			return;
	}
	fprintf(stderr, "xgotop %s: %s\n", cmd, msg);
}

static int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("xgotop %s\n", xg_version);
	return XG_EXIT_OK;
}
XG_COMMAND("version", cmd_version, "print xgotop's version");

static int cmp_cmd(const void *a, const void *b)
{
	const struct xg_cmd *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

static void usage(FILE *f)
{
	const struct xg_cmd *sorted[64] = {0};
	size_t n = 0;

	for (size_t i = 0; i < cmd_count() && n < 64; i++)
		sorted[n++] = &__start_xg_cmds[i];
	qsort(sorted, n, sizeof(sorted[0]), cmp_cmd);
	fprintf(
	    f,
	    "usage: xgotop COMMAND [OPTIONS]\n\n"
	    "Watches the Go runtime of a live program with eBPF and records it into trace files.\n\n"
	    "commands:\n");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "  %-10s %s\n", sorted[i]->name, sorted[i]->summary);
	fprintf(f, "\nRun `xgotop COMMAND --help` for a command's options.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return XG_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return XG_EXIT_OK;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version"))
		return cmd_version(1, argv + 1);
	for (size_t i = 0; i < cmd_count(); i++) {
		if (!strcmp(__start_xg_cmds[i].name, argv[1]))
			return __start_xg_cmds[i].run(argc - 1, argv + 1);
	}
	fprintf(stderr, "xgotop: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return XG_EXIT_USAGE;
}
