// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fuzz target for Go execution traces, untrusted input of `xgotop import` and of every reading
 * command: the bytes are read by format/gotrace.h from memory to the end or the first error,
 * each event printed as go tool trace -d=parsed prints it (to /dev/null), and imported by
 * offline/goimport.h into an anonymous file that is then read back whole. Errors are the
 * expected outcome for most inputs; a crash or a sanitizer report is a bug.
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "format/gotrace.h"
#include "format/reader.h"
#include "offline/goimport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(void *ctx, const char *msg)
{
	(void)ctx;
	(void)msg;
}

static void import_and_read(const uint8_t *data, size_t size)
{
	TF_READER_OPTS(o, .warn = quiet);
	struct goimport_result res;
	struct tf_reader *r;
	struct xg_event ev[64];
	char path[64];
	int in, out;

	in = memfd_create("fuzz-gotrace-in", MFD_CLOEXEC);
	out = memfd_create("fuzz-gotrace-out", MFD_CLOEXEC);
	if (in < 0 || out < 0 || write(in, data, size) != (ssize_t)size ||
	    lseek(in, 0, SEEK_SET) != 0) {
		if (in >= 0)
			close(in);
		if (out >= 0)
			close(out);
		return;
	}
	if (goimport__fd(in, "fuzz", dup(out), "fuzz.xgt", &res) == 0) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", out);
		r = tf_reader__open(path, &o);
		while (r && tf_reader__read(r, ev, 64) > 0)
			;
		tf_reader__close(r);
	}
	close(in);
	close(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *null;
	struct gotrace_event ev;
	struct gotrace *gt;

	if (!null)
		null = fopen("/dev/null", "w");
	gt = gotrace__open_mem(data, size);
	while (gt && gotrace__next(gt, &ev) > 0)
		if (null)
			gotrace_event__print(&ev, null);
	gotrace__close(gt);
	import_and_read(data, size);
	return 0;
}
