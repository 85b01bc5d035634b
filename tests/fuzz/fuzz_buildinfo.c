// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fuzzes the .go.buildinfo parser (gobin/buildinfo.c). The input is the section's bytes; for
 * the pre-1.18 pointer format, pointers are read as offsets into the input itself. Corpus:
 * tests/fuzz/corpus/buildinfo (real sections, see mkcorpus.py).
 */
#include <stdint.h>
#include <string.h>

#include "gobin/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct input {
	const uint8_t *data;
	size_t size;
};

static int read_input(void *ctx, uint64_t addr, void *buf, size_t len)
{
	const struct input *in = ctx;

	if (addr > in->size || len > in->size - addr)
		return -1;
	memcpy(buf, in->data + addr, len);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = {data, size};
	struct gobin_buildinfo bi;
	size_t n = 0;

	if (!gobin_buildinfo__parse(&bi, data, size, "fuzz", read_input, &in)) {
		const char *v = gobin_buildinfo__get(&bi, "GOARCH");

		n += v ? strlen(v) : 0;
		for (size_t i = 0; i < bi.nsettings; i++)
			n += strlen(bi.keys[i]) + strlen(bi.values[i]);
		n += strlen(bi.path) + strlen(bi.module) + strlen(bi.version);
	}
	gobin_buildinfo__free(&bi);
	return n == (size_t)-1; /* keep n live */
}
