// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fuzz target for the trace reader (format/reader.c): a file of arbitrary bytes is opened from
 * memory, described (info, which checks every chunk), read to the end, and sought into, with
 * and without its index and with a column projection. Any crash or sanitizer report is a bug;
 * errors and warnings are the expected outcome for most inputs.
 */
#include <stddef.h>
#include <stdint.h>

#include "format/reader.h"
#include "format/xgt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(void *ctx, const char *msg)
{
	(void)ctx;
	(void)msg;
}

static void exercise(const uint8_t *data, size_t size, bool no_index, uint64_t cols)
{
	TF_READER_OPTS(o, .warn = quiet, .no_index = no_index, .columns = cols);
	struct tf_reader *r = tf_reader__open_mem(data, size, "fuzz", &o);
	struct xg_event ev[64];
	struct tf_info in;
	uint64_t first = 0, last = 0;
	size_t n;
	long k;

	if (!r)
		return;
	tf_reader__info(r, &in);
	while ((k = tf_reader__read(r, ev, 64)) > 0) {
		if (!last)
			first = ev[0].ts;
		last = ev[k - 1].ts;
		for (long i = 0; i < k; i++) {
			/* resolve every id, as outputs do */
			uint32_t nf;

			tf_tables__str(tf_reader__tables(r), ev[i].reason);
			tf_tables__stack(tf_reader__tables(r), ev[i].stack, &nf);
		}
	}
	if (!tf_reader__seek(r, first + (last - first) / 2)) {
		tf_reader__goroutines(r, &n);
		tf_reader__next(r, &ev[0]);
	}
	tf_reader__seek(r, 0);
	tf_reader__next(r, &ev[0]);
	tf_reader__close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	exercise(data, size, false, 0);
	exercise(data, size, true, TF_READ(TF_COL_GOID) | TF_READ(TF_COL_SIZE));
	return 0;
}
